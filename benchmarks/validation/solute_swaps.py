"""Metropolis solute-host swaps between kMC chunks: lets a solute that the kMC moves too slowly
reach its equilibrium arrangement, without changing the equilibrium.

The move: pick one of the N_s solute atoms of a site set uniformly and one of its N_h host atoms
uniformly, and propose to exchange them.  Neither count in the set changes, so the reverse move
has the same proposal probability 1/(N_s N_h): the proposal is symmetric.  It is accepted with
min(1, exp(-dE/kT)), dE the change of the model's own configuration energy
(``EnergyModel.total_energy``; ``swap_energy_change`` is the exact local form of that difference).
Symmetric proposals with Metropolis acceptance satisfy detailed balance with respect to the same
Boltzmann distribution the kMC hops satisfy (kmc.model: k_fwd/k_bwd = exp(-dE/kT)), so a chain
that alternates the two keeps the canonical distribution of the same energy: equilibrium
averages (a contact angle) are unchanged; only the time to reach them shrinks.  Kinetic
quantities (times, diffusion) of such a chain mean nothing.

After swaps the engine's state is rebuilt from the new occupancy (``Simulation.with_occupancy``): a
fresh Simulation (site words, vacancy list, rates, sum tree, per-site embedding loss sums, L1
contact lists), which carries over the engine's RNG stream, clock and counters, so the chain is a
fixed function of the seeds.  No swap accepted, no rebuild.
"""
from __future__ import annotations

import math

import numpy as np

from kmc.rate_rules import bond_class
from kmc.simulation import Simulation
from kmc.species import HOST, SOLUTE, VACANCY

SWAP_STREAM = 3   # SeedSequence([seed, 3]): 0, 1, 2 are the alloy, the engine and the tracers


def swap_rng(seed: int) -> np.random.Generator:
    """The swaps' own random stream (separate from the engine's and the initial alloy's)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, SWAP_STREAM])))


def _local_energy(model, layer, nbr, occ, sites, l1_tables) -> float:
    """The terms of EnergyModel.total_energy that involve a site of ``sites`` (each bond once).

    Valid for differences between configurations that differ only by the species of metal atoms
    on ``sites``: every site's metal-neighbour count (the embedding's argument) and the L1
    vacancy pairs are then the same in both, so the other terms cancel (the L1 in-plane pairs of
    ``sites`` are summed here, each once)."""
    e = 0.0
    for s in sites:
        a = occ[s]
        l_s = layer[s]
        e += model.site_eV[l_s, a]
        n_metal = 0
        for k in nbr[s]:
            if k < 0:
                continue
            b = occ[k]
            if b != VACANCY:
                n_metal += 1
            if k in sites and k < s:
                continue   # a bond inside the set: counted once, from its lower end
            c = bond_class(l_s, layer[k] == 0) if model.has_interface else 0
            e += model.pair_eV[c, a, b]
        if a != VACANCY:
            e += model.embed_eV[a, model.layer_class[l_s], n_metal]
        if model.has_interface and l_s == 0 and model.l1_pair_eV.any():
            if l1_tables is None:
                raise ValueError("the model has L1 in-plane pair terms: pass the lattice's "
                                 "(l1_second_neighbors, l1_third_neighbors)")
            for w, table in zip(model.l1_pair_eV, l1_tables):
                for k in table[s]:
                    if k >= 0 and not (k in sites and k < s):
                        e += w[a, occ[k]]
    return float(e)


def swap_energy_change(model, layer, nbr, occ, i: int, j: int, l1_tables=None) -> float:
    """Exact change of the configuration energy when the metal atoms on sites i and j exchange
    species (both metal; ``layer``, ``nbr`` the lattice's per-site layer and neighbour table,
    ``l1_tables`` its (l1_second_neighbors, l1_third_neighbors), needed when the model has L1 pair
    terms).
    ``occ`` is left as it was."""
    if model.l1_open is not None and np.any(model.l1_open):
        raise ValueError("the swaps' local energy is the perfect interface's (every L1 site under the "
                         "electrolyte); this model has a pore's mouth in L1 (kmc.pore); allowed: "
                         "electrolyte.box_pore = 'none'")
    a, b = occ[i], occ[j]
    if a == VACANCY or b == VACANCY:
        raise ValueError(f"sites {i} and {j} hold species {a} and {b}; a swap exchanges two metal atoms")
    if a == b:
        return 0.0
    pair = (int(i), int(j))
    before = _local_energy(model, layer, nbr, occ, pair, l1_tables)
    occ[i], occ[j] = b, a
    try:
        after = _local_energy(model, layer, nbr, occ, pair, l1_tables)
    finally:
        occ[i], occ[j] = a, b
    return after - before


def metropolis_swaps(model, layer, nbr, occ, site_set, proposals: int, rng: np.random.Generator,
                     l1_tables=None) -> int:
    """``proposals`` Metropolis solute-host exchanges within ``site_set`` (see the module
    docstring), applied to ``occ`` in place; returns the number accepted.  The set's solute and
    host atoms are listed once at the start; an accepted swap exchanges their entries, so the
    lists stay exact."""
    site_set = np.asarray(site_set)
    solutes = [int(s) for s in site_set[occ[site_set] == SOLUTE]]
    hosts = [int(s) for s in site_set[occ[site_set] == HOST]]
    if not solutes or not hosts:
        return 0
    beta = 1.0 / model.kT_eV
    accepted = 0
    for _ in range(proposals):
        p = int(rng.integers(len(solutes)))
        q = int(rng.integers(len(hosts)))
        i, j = solutes[p], hosts[q]
        dE = swap_energy_change(model, layer, nbr, occ, i, j, l1_tables)
        if dE <= 0.0 or rng.random() < math.exp(-dE * beta):
            occ[i], occ[j] = HOST, SOLUTE
            solutes[p], hosts[q] = j, i
            accepted += 1
    return accepted


class SwapChain:
    """kMC chunks interleaved with Metropolis solute-host swaps on a fixed site set.

    ``step(n)`` runs n kMC events in chunks of ``every`` events, each chunk preceded by
    ``proposals`` swap proposals on the current occupancy (and a rebuild if any was accepted).
    With no solute (or no host) in the set the swaps are no-ops and ``step`` is exactly
    ``Simulation.step``."""

    def __init__(self, sim: Simulation, site_set, proposals: int, every: int, seed: int):
        self.sim = sim
        self.site_set = np.asarray(site_set)
        self.proposals = int(proposals)
        self.every = int(every)
        self.rng = swap_rng(seed)
        self.layer = sim.lattice.layer
        self.nbr = sim.lattice.neighbors
        self.proposed = 0
        self.accepted = 0
        self.rebuilds = 0

    def swap(self):
        occ = self.sim.occupancy
        if not np.any(occ[self.site_set] == SOLUTE):
            return
        acc = metropolis_swaps(self.sim.model, self.layer, self.nbr, occ, self.site_set, self.proposals, self.rng,
                               (self.sim.lattice.l1_second_neighbors, self.sim.lattice.l1_third_neighbors))
        self.proposed += self.proposals
        self.accepted += acc
        if acc:
            self.sim = self.sim.with_occupancy(occ)
            self.rebuilds += 1

    def step(self, events: int):
        left = int(events)
        while left > 0:
            n = min(self.every, left)
            self.swap()
            self.sim.step(n)
            left -= n

    @property
    def acceptance(self) -> float:
        return self.accepted / self.proposed if self.proposed else math.nan
