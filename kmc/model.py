"""Energy model and rate rules: turns settings + lattice into the tables the engine uses.

Configuration energy (site codes of kmc.species: 0 vacancy, 1 host, 2 solute):

    E = sum_{1st-neighbour pairs} pair_eV[c][A][B] + sum_sites site_eV[layer][A]
        + sum_{metal sites i} embed_eV[A_i][class(layer_i)][n_i]
        + sum_{pairs of L1 sites a apart} l1_pair_eV[0][A][B] + sum_{a sqrt2 apart} l1_pair_eV[1][A][B]

A bond touching L1 joins L1 and L2 (and, on [110], two L1 sites) and is indexed with its L1 end
first, pair_eV[BOND_L1_L2][A in L1][B in L2] (kmc.rate_rules.bond_class); l1_pair_eV holds the L1 vacancy
pair at a (interface_vacancy_pair_eV) and the L1 solute pairs at a and a sqrt2
(interface_solute_pair_eV, interface_solute_pair_sqrt2_eV).

n_i is the number of metal first neighbours of i inside the box (whatever their species); the
class is 0 in the bulk, 1 in L1, 2 in the bottom layer.  "L1" in the interface terms (the L1 site
terms and class, the bonds touching L1, the L1 pairs) is the contact: an L1 site at a pore's mouth
(``EnergyModel.l1_open``, kmc.pore: no electrolyte above it) has none of them, its metal a free
surface with the bulk's terms (kmc.rate_rules.energy_row; docs/pore_edge.md).  Two forms fill these
tables (energy.form, docs/energy_model.md):

* "second_moment" (Finnis-Sinclair): pair_eV = V[A][B] > 0 (repulsive) between metals;
  embed_eV[A][c][n] = -eps_A sqrt(n + extra_c), where extra is the electrolyte's coordination
  c_S(A) in L1 and the metal continuation below the box (``missing_below`` neighbours) in the
  bottom layer; site_eV[L1][A] = R_S(A), the electrolyte contact repulsion.  The continuation is
  a frozen mean-field layer of bulk composition: its pairs with the box and its embedding,
  linearised about full coordination, are a site term of the bottom layer, so an isolated
  vacancy there costs exactly what it costs in the bulk.
* "bond": embed_eV = 0 and the rest as below (the special case F = 0, kept with its fast paths).

* pair_eV[0] (bulk bonds): -phi(A,B) between metals, 0 for anything with a vacancy.
* pair_eV[1] (L1 end first), pair_eV[2] (its transpose), pair_eV[3] (L1-L1, [110] only): the same
  metal bonds, plus the interface solute-vacancy repulsion q between an L1 vacancy and a solute
  first neighbour (pair_eV[1][V][S], pair_eV[3][V][S] = pair_eV[3][S][V]), not between an L1
  solute and an L2 vacancy.
* site_eV[layer][vacancy] = per-layer vacancy energy delta(l) relative to bulk;
  site_eV[L1][metal] = -adhesion(metal) (contact with the electrolyte);
  site_eV[bottom][metal] = bonds to the bulk continuation below the box (mean-field composition).

Hops: rate = nu exp(-Ea/kT) with the barrier and KRA rules of kmc.rate_rules (the one copy of each),
so k_fwd/k_bwd = exp(-dE/kT) exactly.  ``total_energy`` is the reference that the engine's local
energy differences (kmc.rate_rules.hop_energy_change_eV) must reproduce.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc import units
from kmc.config import ConfigError, Settings
from kmc.physics import contact_vacancy, creep, electrochemistry, flow, solute, vacancy
from kmc.physics.strength import SizeStrength
from kmc.rate_rules import (BOND_L1_L1, BOND_L1_L2, BOND_L2_L1, CLASS_BOTTOM, CLASS_BULK, CLASS_L1, N_CLASSES, N_FAST_TYPES,
                       RATE_CACHE_SIZE, RateModel, barrier_eV, bulk_by_word, bulk_rate_lookup, kra_eV)
from kmc.species import HOST, SOLUTE, VACANCY
from lattices import Lattice, build_bcc


@dataclass(frozen=True)
class EnergyModel:
    pair_eV: np.ndarray          # (4, 3, 3) bond energies [kmc.rate_rules.bond_class][A][B]
    site_eV: np.ndarray          # (n_layers, 3) per-site energies by layer and species
    l1_pair_eV: np.ndarray       # (2, 3, 3) pair of L1 sites [a, a sqrt2 apart][A][B] (symmetric in A, B)
    kra_eV: np.ndarray           # (3,) [host, host with a solute next to either end, solute]
    embed_eV: np.ndarray         # (3, N_CLASSES, 9) embedding [species][layer class][metal neighbours]
    layer_class: np.ndarray      # (n_layers,) uint8 CLASS_* of each layer
    attempt_frequency_Hz: float  # nu, kinetics.attempt_frequency_Hz (the cell's bare hop)
    hop_prefactor_Hz: float      # the box's hops: nu exp(S_f/k) (box_hop_prefactor_Hz)
    kT_eV: float
    has_interface: bool
    # bool per L1 site: no electrolyte above it (a pore's mouth, kmc.pore); None: the perfect interface
    l1_open: np.ndarray | None = None

    def total_energy(self, occupancy: np.ndarray, lattice: Lattice) -> float:
        """Configuration energy in eV (reference implementation, used by tests and the fit)."""
        occ = occupancy.astype(np.intp)
        nbr = lattice.neighbors
        rows = self.energy_rows(lattice)
        i = np.repeat(np.arange(lattice.n_sites), nbr.shape[1])
        j = nbr.ravel()
        keep = (j > i)
        i, j = i[keep], j[keep]
        # a bond touching the contact (L1 under the electrolyte) is indexed with its contact end first
        # (kmc.rate_rules.bond_class)
        first, other = i, j
        if self.has_interface:
            contact = rows == 0
            swap = contact[j]
            first, other = np.where(swap, j, i), np.where(swap, i, j)
            cls = np.where(contact[first], np.where(contact[other], BOND_L1_L1, BOND_L1_L2), 0)
        else:
            cls = np.zeros_like(i)
        e = self.pair_eV[cls, occ[first], occ[other]].sum()
        site, layer_class = self.rate_tables()
        e += site[rows, occ].sum()
        if self.has_embedding:
            n_metal = ((occ[np.where(nbr >= 0, nbr, 0)] != VACANCY) & (nbr >= 0)).sum(axis=1)
            e += self.embed_eV[occ, layer_class[rows], n_metal].sum()
        if self.has_interface and self.l1_pair_eV.any():
            l1 = np.arange(lattice.sites_per_layer)
            in_contact = rows[:lattice.sites_per_layer] == 0
            for w, q in zip(self.l1_pair_eV, (lattice.l1_second_neighbors, lattice.l1_third_neighbors)):
                for c in range(q.shape[1]):
                    ok = (q[:, c] > l1) & in_contact & in_contact[np.maximum(q[:, c], 0)]
                    e += w[occ[l1[ok]], occ[q[ok, c]]].sum()
        return float(e)

    def energy_rows(self, lattice: Lattice) -> np.ndarray:
        """The row of the per-layer energy tables each site reads (kmc.rate_rules.energy_row): its
        layer, n_layers for an L1 site at a pore's mouth."""
        rows = lattice.layer.astype(np.intp)
        if self.l1_open is not None:
            rows[:lattice.sites_per_layer][np.asarray(self.l1_open, bool)] = lattice.n_layers
        return rows

    def rate_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """site_eV and layer_class with the pore mouth's row appended (index n_layers: an L1 site
        with no electrolyte above it has no site term and the bulk class of the embedding), as the
        rate kernels read them (kmc.rate_rules.RateModel)."""
        return (np.vstack([self.site_eV, np.zeros((1, self.site_eV.shape[1]))]),
                np.append(self.layer_class, np.uint8(CLASS_BULK)).astype(np.uint8))

    @property
    def has_embedding(self) -> bool:
        return bool(self.embed_eV.any())

    @property
    def l1_vacancy_pair_eV(self) -> float:
        """The L1 vacancy pair at distance a (interface_vacancy_pair_eV)."""
        return float(self.l1_pair_eV[0, VACANCY, VACANCY])

    @property
    def l1_shells(self) -> int:
        """How many L1 in-plane shells carry terms (kmc.rate_rules.RateModel.l1_shells)."""
        return self.l1_shells_reached(solute_present=True)

    def l1_shells_reached(self, solute_present: bool) -> int:
        """The shells whose terms a run can meet: without solute (none in the box, none in the
        electrode below) the solute pairs never form, so a pure-host run's engine need not visit
        the shells only they reach (the a sqrt2 shell: 25 % of a default Li run's time)."""
        w = self.l1_pair_eV if solute_present else self.l1_pair_eV[:, :SOLUTE, :SOLUTE]
        return 2 if w[1].any() else (1 if w[0].any() else 0)

    def hop_rate(self, dE_eV: float, kra: float) -> float:
        """The box's hop: hop_prefactor_Hz exp(-Ea/kT) with Ea from kmc.rate_rules.barrier_eV:
        k(dE)/k(-dE) = exp(-dE/kT) exactly.

        Evaluated as exp(-Ea / kT); the engine's interface rates use exp(-Ea * (1/kT)), which can
        differ in the last bit (tests compare the two with rtol 1e-9)."""
        return vacancy.hop_rate_per_s(self.hop_prefactor_Hz, barrier_eV(dE_eV, kra), self.kT_eV)

    def bulk_layers(self, n_layers: int) -> np.ndarray:
        """uint8 per layer: 1 where a vacancy's hops may use ``bulk_rate_table``.

        True when no hop from that layer can touch an interface bond (an L1 site among the
        neighbours of either end, i.e. within two layers) or a site term (at either end), and,
        with an embedding, no neighbour of either end lies in a layer of another class.  With an
        embedding such layers use kmc.rate_rules.bulk_embedding_hop_rate instead of the table.
        """
        ok = np.ones(n_layers, np.uint8)
        if not self.has_interface:
            return ok
        if self.has_embedding:
            # A hop also reads the coordinations of both ends' neighbours (two layers either
            # side): they must all be of the bulk class, and the ends free of site terms.
            site_free = ~self.site_eV.any(axis=1)
            for layer in range(n_layers):
                reach = range(layer - 2, layer + 3)
                ok[layer] = (reach[0] >= 0 and reach[-1] < n_layers
                             and all(self.layer_class[e] == CLASS_BULK for e in reach)
                             and all(site_free[e] for e in reach[1:-1]) and layer >= 3)
            return ok
        site_free = ~self.site_eV.any(axis=1)
        for layer in range(n_layers):
            ends = range(max(layer - 1, 0), min(layer + 2, n_layers))
            ok[layer] = layer - 2 >= 1 and layer + 1 < n_layers and all(site_free[e] for e in ends)
        return ok

    def bulk_rate_table(self) -> np.ndarray:
        """Hop rates in the bulk, indexed [species-1, dHost+8, dSolute+8, solute nearby].

        Away from the interface a hop's energy change depends only on the hopping species and on
        how many host and solute neighbours it has after the hop minus before (in -8..8), since
        bulk bonds with a vacancy cost nothing; the KRA depends on the species and on whether a
        solute is next to either end.  The engine looks rates up here instead of calling exp.
        Bond form only: with an embedding the energy also depends on the neighbours'
        coordinations, and ``bulk_layers`` lets no layer use the table.
        """
        assert not self.pair_eV[0, VACANCY].any(), "bulk bonds with a vacancy must be zero for the table"
        table = np.zeros((2, 17, 17, 2))
        for x in (HOST, SOLUTE):
            for d_host in range(-8, 9):
                for d_solute in range(-8, 9):
                    dE = self.pair_eV[0, x, HOST] * d_host + self.pair_eV[0, x, SOLUTE] * d_solute
                    for near in (0, 1):
                        table[x - 1, d_host + 8, d_solute + 8, near] = self.hop_rate(dE, kra_eV(x, near, self.kra_eV))
        return table

    def rate_model(self, n_layers: int, exit_per_s: float, layer_kind: np.ndarray, deep_first_layer: int = 0,
                   deep_hop_factor: float = 1.0, layer_neighbours: np.ndarray | None = None,
                   solute_present: bool = True, fast_layers: int = 0) -> RateModel:
        """What the compiled rate kernels read (kmc.rate_rules.RateModel), with a fresh exp memo;
        ``layer_kind`` from kmc.engine.refresh.layer_kinds(self.bulk_layers(n_layers)); the deep box from
        EventRates (deep_box) and the lattice's in-box neighbour count per layer; ``fast_layers`` the layers whose
        hops are typed for fast-event scaling (kmc.rate_rules.fast; 0: off), every factor 1 to start with."""
        if layer_neighbours is None:
            layer_neighbours = np.full(n_layers, 8, np.uint8)
        shells = self.l1_shells_reached(solute_present)
        site, layer_class = self.rate_tables()
        return RateModel(self.pair_eV, site, self.l1_pair_eV, shells, self.kra_eV,
                         float(self.hop_prefactor_Hz), 1.0 / self.kT_eV, float(exit_per_s),
                         bulk_rate_lookup(self.bulk_rate_table()), layer_kind,
                         np.full(RATE_CACHE_SIZE, -1, np.int64), np.zeros(RATE_CACHE_SIZE, np.float64),
                         self.embed_eV, layer_class,
                         bulk_by_word(self.pair_eV, self.embed_eV),
                         int(deep_first_layer), float(deep_hop_factor), np.asarray(layer_neighbours, np.uint8),
                         int(fast_layers), np.ones(N_FAST_TYPES, np.float64), np.zeros((N_FAST_TYPES, 2), np.int64))


def build_lattice(settings: Settings) -> Lattice:
    lat = settings.lattice
    return build_bcc(lat.cells, lat.orientation, lat.lattice_constant_A,
                     periodic_z=(lat.geometry == "bulk"))


# Energies of the second-moment form are rounded to multiples of 2^-40 eV (1e-12 eV, far below
# any DFT number's precision).  Every sum of such numbers the engine forms (tens of terms of a
# few eV) is then exact in float64, so a hop's energy change has the same bits in whatever order
# its terms are added: the fast paths, which share a vacancy's neighbour sum among its 8 hops,
# give exactly the rates of the general path (and forward and backward dE are exact negatives).
ENERGY_GRID_eV = 2.0 ** -40


def on_energy_grid(x):
    """x (eV, array or float) rounded to the nearest multiple of ENERGY_GRID_eV."""
    return np.round(np.asarray(x, np.float64) / ENERGY_GRID_eV) * ENERGY_GRID_eV


def build_energy_model(settings: Settings, lattice: Lattice, l1_open: np.ndarray | None = None) -> EnergyModel:
    """The energy model of a parameter set on ``lattice``; ``l1_open`` (bool per L1 site, kmc.pore) the
    L1 sites at a pore's mouth, None for the perfect interface (the model's fitted rows, kmc.fit, are
    of the perfect interface)."""
    en = settings.energy
    kin = settings.kinetics
    has_interface = settings.lattice.geometry == "slab"
    n_layers = lattice.n_layers
    site = np.zeros((n_layers, 3))
    embed = np.zeros((3, N_CLASSES, 9))
    layer_class = np.full(n_layers, CLASS_BULK, np.uint8)
    x_sol = settings.composition.solute_fraction
    below = lattice.missing_below if has_interface else 0
    if en.form == "second_moment":
        v = np.zeros((3, 3))
        v[HOST, HOST] = en.host_host_pair_eV
        v[HOST, SOLUTE] = v[SOLUTE, HOST] = en.host_solute_pair_eV
        v[SOLUTE, SOLUTE] = en.solute_solute_pair_eV
        pair = np.stack([v] * 4)
        eps = {HOST: en.host_embedding_eV, SOLUTE: en.solute_embedding_eV}
        c_s = {HOST: en.electrolyte_coordination_host, SOLUTE: en.electrolyte_coordination_solute}
        n = np.arange(9.0)
        for sp in (HOST, SOLUTE):
            embed[sp, CLASS_BULK] = -eps[sp] * np.sqrt(n)
        if has_interface:
            layer_class[0], layer_class[-1] = CLASS_L1, CLASS_BOTTOM
            eps_ghost = (1 - x_sol) * eps[HOST] + x_sol * eps[SOLUTE]
            ghost_per_box_neighbour = -eps_ghost * (math.sqrt(8.0) - math.sqrt(7.0))
            for sp in (HOST, SOLUTE):
                embed[sp, CLASS_L1] = -eps[sp] * np.sqrt(n + c_s[sp])
                embed[sp, CLASS_BOTTOM] = -eps[sp] * np.sqrt(n + below)
                site[0, sp] = en.electrolyte_repulsion_host_eV if sp == HOST else en.electrolyte_repulsion_solute_eV
                v_ghost = (1 - x_sol) * v[sp, HOST] + x_sol * v[sp, SOLUTE]
                site[-1, sp] += below * (v_ghost + ghost_per_box_neighbour)
    else:
        phi = np.zeros((3, 3))
        phi[HOST, HOST] = en.host_host_bond_eV
        phi[HOST, SOLUTE] = phi[SOLUTE, HOST] = en.host_solute_bond_eV
        phi[SOLUTE, SOLUTE] = en.solute_solute_bond_eV
        pair = np.stack([-phi] * 4)
        if has_interface:
            for layer, delta in enumerate(en.layer_vacancy_eV):
                site[layer, VACANCY] = delta
            site[0, HOST] -= en.adhesion_host_eV
            site[0, SOLUTE] -= en.adhesion_solute_eV
            # Bonds from the bottom layer to the (unsimulated) bulk below, at the bulk composition.
            for sp in (HOST, SOLUTE):
                site[-1, sp] += below * ((1 - x_sol) * pair[0, sp, HOST] + x_sol * pair[0, sp, SOLUTE])
    l1_pair = np.zeros((2, 3, 3))
    if has_interface:
        # q acts between an L1 vacancy and a solute first neighbour only: every seed row has the
        # vacancy in L1; none holds an L1 solute over an L2 vacancy, where CHGNet finds no
        # repulsion (kmc/atomistic/rows.toml [rows.q_L2vac_under_L1Mg])
        q = en.interface_solute_vacancy_eV
        pair[BOND_L1_L2, VACANCY, SOLUTE] = pair[BOND_L2_L1, SOLUTE, VACANCY] = q
        pair[BOND_L1_L1, VACANCY, SOLUTE] = pair[BOND_L1_L1, SOLUTE, VACANCY] = q
        l1_pair[0, VACANCY, VACANCY] = en.interface_vacancy_pair_eV
        l1_pair[0, SOLUTE, SOLUTE] = en.interface_solute_pair_eV
        l1_pair[1, SOLUTE, SOLUTE] = en.interface_solute_pair_sqrt2_eV
    if en.form == "second_moment":
        pair, site, embed, l1_pair = (on_energy_grid(a) for a in (pair, site, embed, l1_pair))
    return EnergyModel(
        pair_eV=pair, site_eV=site,
        l1_pair_eV=np.asarray(l1_pair, np.float64),
        kra_eV=np.array([kin.kra_host_eV, kin.kra_host_near_solute_eV, kin.kra_solute_eV]),
        embed_eV=embed, layer_class=layer_class,
        attempt_frequency_Hz=float(kin.attempt_frequency_Hz),
        hop_prefactor_Hz=box_hop_prefactor_Hz(settings),
        kT_eV=units.kT_eV(settings.conditions.temperature_K),
        has_interface=has_interface,
        l1_open=None if l1_open is None or not has_interface else np.asarray(l1_open, bool).copy())


@dataclass(frozen=True)
class EventRates:
    """Rates of the non-hop event classes (already multiplied by run.acceleration where it applies)
    and what the electrode below the box (kmc.electrode) needs."""
    strip_total_per_s: float          # galvanostatic: shared among the Li atoms still in contact
    creep_per_void_site_full_contact_per_s: float  # refill rate of a one-site interface void at contact 1
    creep_stress_exponent: float      # per site of an N-site void: the above x sqrt(N) x contact**-n
    exit_per_bottom_vacancy_per_s: float   # vacancy leaves the box towards the sinks (x A)
    create_total_per_s: float         # reservoir: vacancies entering from the bulk below (x A)
    bulk_vacancy_concentration: float # c_eq * supersaturation: what the sinks hold
    acceleration: float = 1.0         # run.acceleration: every macroscopic rate carries it
    vacancy_diffusivity_A2_s: float = 0.0        # the box's D_v (box_vacancy_diffusivity_A2_s)
    solute_diffusivity_per_vacancy_A2_s: float = 0.0  # D_solute / c_v at the box's hops (kmc.electrode)
    sink_distance_A: float = math.inf
    electrode_depth_A: float = 0.0    # metal below the box (thickness minus the box's depth)
    deep_first_layer: int = 0         # the deep box (deep_box): its first layer,
    deep_hop_factor: float = 1.0      # the speed-up of a lone vacancy's hops in it (1: off),
    boundary_sink_distance_A: float = math.inf  # and the rest of the way to the sinks, L'
    strip_activation_per_eV: float = 0.0  # alpha/kT of energy-weighted stripping (0: uniform)


def creep_strain_rate_per_s(settings: Settings, stress_MPa: float) -> float:
    """Power-law creep of the metal at ``stress_MPa`` (kmc.physics.creep, the [creep] keys)."""
    return creep.NortonLaw.of(settings.creep).strain_rate_per_s(stress_MPa, settings.conditions.temperature_K)


def vacancy_diffusivity_A2_s(model: EnergyModel, lattice: Lattice, prefactor_Hz: float | None = None) -> float:
    """D_v = Gamma a^2 (A^2/s, kmc.physics.vacancy.vacancy_diffusivity) with Gamma = nu exp(-E_kra(host)/kT)
    the bare host hop of the model (docs/physics.md section 4b: ~1.5-1.8e-3 cm^2/s at 298 K): the cell's,
    whose c_eq carries the formation entropy (vacancy_equilibrium_fraction).  ``prefactor_Hz`` in
    place of nu (box_vacancy_diffusivity_A2_s)."""
    nu = model.attempt_frequency_Hz if prefactor_Hz is None else prefactor_Hz
    gamma = vacancy.hop_rate_per_s(nu, kra_eV(HOST, False, model.kra_eV), model.kT_eV)
    return vacancy.vacancy_diffusivity(gamma, lattice.lattice_constant_A)


def box_vacancy_diffusivity_A2_s(model: EnergyModel, lattice: Lattice) -> float:
    """The box's D_v, its host hop at hop_prefactor_Hz: with the box's own equilibrium
    (box_vacancy_equilibrium_fraction) it carries the cell's D_v c_eq (box_hop_prefactor_Hz)."""
    return vacancy_diffusivity_A2_s(model, lattice, model.hop_prefactor_Hz)


def box_hop_prefactor_Hz(settings: Settings) -> float:
    """The prefactor of the box's hops, nu exp(S_f/k) of kinetics.attempt_frequency_Hz and
    boundary.vacancy_formation_entropy_kB (kmc.physics.vacancy.box_hop_prefactor_Hz says why)."""
    return vacancy.box_hop_prefactor_Hz(settings.kinetics.attempt_frequency_Hz,
                                        settings.boundary.vacancy_formation_entropy_kB)


def vacancy_equilibrium_fraction(settings: Settings, kT_eV: float) -> float:
    """c_eq = exp(S_f/k) exp(-E_f/kT) of boundary.vacancy_formation_eV and
    boundary.vacancy_formation_entropy_kB (kmc.physics.vacancy.equilibrium_fraction): what the
    sinks hold at supersaturation 1, and with D_v the cell's vacancy transport (its supersaturation,
    capture and solute diffusivity); the kMC box's own equilibrium is box_vacancy_equilibrium_fraction."""
    bnd = settings.boundary
    return vacancy.equilibrium_fraction(bnd.vacancy_formation_eV, kT_eV, bnd.vacancy_formation_entropy_kB)


def box_vacancy_equilibrium_fraction(settings: Settings, kT_eV: float, formation_energy_eV=None):
    """The kMC box's own c_eq = exp(-E_f/kT), without boundary.vacancy_formation_entropy_kB: the
    configuration energy carries no vibrational entropy, so a vacancy of the box (dispersed or in a
    void's wall) is in equilibrium with its voids at this fraction.  The box measures S against it,
    and its hops carry the entropy instead (box_hop_prefactor_Hz), so that its D_v c_eq, its S
    and kT ln S, the driving force that decides nucleation, are the cell's; the box holds
    exp(S_f/k) fewer vacancies than the cell, each hopping that much faster
    (docs/vacancy_thermodynamics.md, section 8).  ``formation_energy_eV`` as in
    vacancy_equilibrium_fraction."""
    e_f = settings.boundary.vacancy_formation_eV if formation_energy_eV is None else formation_energy_eV
    return vacancy.equilibrium_fraction(e_f, kT_eV)


def solute_vacancy_binding_eV(settings: Settings) -> float:
    """Energy of a vacancy at a first neighbour of an isolated solute minus that of a vacancy far
    from it, from the model's own total energy (a periodic bulk box); > 0 means repulsion."""
    bulk = settings.replaced(lattice={"geometry": "bulk", "cells": [4, 4, 4]}, run={"max_events": 1})
    lat = build_lattice(bulk)
    model = build_energy_model(bulk, lat)
    occ = np.full(lat.n_sites, HOST, np.int8)
    m = 0
    occ[m] = SOLUTE
    near, far = int(lat.neighbors[m, 0]), int(np.argmax(((lat.positions_A - lat.positions_A[m]) ** 2).sum(axis=1)))
    e = []
    for v in (near, far):
        o = occ.copy()
        o[v] = VACANCY
        e.append(model.total_energy(o, lat))
    return float(e[0] - e[1])


def solute_diffusivity_per_vacancy_A2_s(settings: Settings, model: EnergyModel, lattice: Lattice,
                                        prefactor_Hz: float | None = None) -> float:
    """D_solute / c_v (A^2/s), the model's own vacancy-mechanism solute diffusivity per unit vacancy
    site fraction c_v (kmc.physics.solute.diffusivity_per_vacancy): the binding E_b of
    solute_vacancy_binding_eV and the solute's hop Gamma_s = nu exp(-E_kra(solute)/kT).  The
    correlation factor is taken as 1 (the solute hops ~6x slower than the host, so the vacancy
    mostly wanders off before it could bring the solute back).  At the equilibrium c_v =
    exp(-0.50 eV/kT) (no formation entropy) this gives 4.5e-13 cm^2/s at 298 K against seed 004's
    DFT-computed 2.06e-13 cm^2/s, computed the same way; with the shipped S_f = 2.75 k_B, 7.1e-12
    (docs/vacancy_thermodynamics.md section 8).  The cell's, at nu; ``prefactor_Hz`` in its place (the
    box's, model.hop_prefactor_Hz, for the box's vacancy fraction)."""
    if settings.composition.solute_fraction == 0:
        return 0.0
    nu = model.attempt_frequency_Hz if prefactor_Hz is None else prefactor_Hz
    gamma_s = vacancy.hop_rate_per_s(nu, kra_eV(SOLUTE, False, model.kra_eV), model.kT_eV)
    return solute.diffusivity_per_vacancy(solute_vacancy_binding_eV(settings), gamma_s, lattice.lattice_constant_A,
                                          model.kT_eV)


def creep_closure_per_void_site_per_s(settings: Settings, lattice: Lattice, stress_MPa: float) -> float:
    """Refill rate (1/s, no acceleration) of the site of a one-site interface void under the local
    stress ``stress_MPa`` (docs/validation.md, "Creep closure per void"): the k of the creep law
    whose dependence on the void's size and on the contact is kmc.rate_rules.creep_bound_per_s.

    A flat void between the metal and the rigid electrolyte, its footprint a disc of the void's
    area A = N a_s (a_s the area of an L1 site) and diameter w = 2 sqrt(A / pi), closes as its
    roof sinks at the mean velocity v = kappa eps_dot(sigma) w (power-law creep has no length of
    its own; kappa = creep.closure_coefficient).  The void loses v A / Omega sites per second
    (Omega = a_s d the atomic volume, d the layer spacing), so each of its N sites is refilled
    at kappa eps_dot w / d: this rate (N = 1) times sqrt(N)."""
    site_area_A2 = lattice.interface_area_A2 / lattice.sites_per_layer
    width_A = 2.0 * math.sqrt(site_area_A2 / math.pi)
    return (settings.creep.closure_coefficient * creep_strain_rate_per_s(settings, stress_MPa)
            * width_A / lattice.layer_spacing_A)


@dataclass(frozen=True)
class CellTransport:
    """Vacancy and solute transport in the cell the box stands for, in um and s: what the cell-scale
    model (kmc.cell and its interface models), the acceleration check and the rate measurements (kmc.interface_rates) take
    from a parameter set (the formulas: kmc.physics)."""
    atomic_volume_A3: float
    kT_eV: float
    current_mA_cm2: float
    recession_velocity_um_s: float                # v0 = i Omega / e at full contact
    vacancy_diffusivity_um2_s: float              # D_v of the model's bare host hop
    vacancy_equilibrium_fraction: float           # c_eq of boundary.vacancy_formation_eV and _entropy_kB
    sink_distance_um: float
    sink_supersaturation: float                   # the sinks hold this x c_eq (boundary.supersaturation)
    solute_fraction: float
    solute_diffusivity_per_vacancy_um2_s: float   # D_solute / c_v (0 without a solute)

    @property
    def supersaturation(self) -> float:
        """S = 1 + J Omega L / (D_v c_eq) at the interface that carries the stripping flux to sinks
        holding c_eq (docs/physics.md section 4b: ~130 for the seed's cell without a formation entropy;
        9.5 with the shipped S_f = 2.75 k_B, which raises c_eq 15.6x)."""
        return vacancy.supersaturation(self.recession_velocity_um_s, self.sink_distance_um,
                                       self.vacancy_diffusivity_um2_s, self.vacancy_equilibrium_fraction)

    def solute_diffusivity_um2_s(self, supersaturation: float) -> float:
        """The solute's diffusivity at the vacancy fraction S c_eq (vacancy-enhanced diffusion)."""
        return solute.diffusivity(self.solute_diffusivity_per_vacancy_um2_s, supersaturation,
                                  self.vacancy_equilibrium_fraction)

    def enrichment_depth_um(self, supersaturation: float) -> float | None:
        """delta = D_solute(S) / v0: how deep the solute stripping leaves behind spreads (None without
        a solute or a current)."""
        if self.solute_fraction == 0 or self.recession_velocity_um_s <= 0:
            return None
        return solute.enrichment_depth(self.solute_diffusivity_um2_s(supersaturation), self.recession_velocity_um_s)


def cell_transport(settings: Settings) -> CellTransport:
    """The cell's transport numbers of a parameter set (its own lattice and energy model)."""
    lattice = build_lattice(settings)
    model = build_energy_model(settings, lattice)
    omega_A3 = vacancy.atomic_volume_bcc(settings.lattice.lattice_constant_A)
    cond = settings.conditions
    return CellTransport(
        atomic_volume_A3=omega_A3, kT_eV=model.kT_eV, current_mA_cm2=cond.current_density_mA_cm2,
        recession_velocity_um_s=electrochemistry.recession_velocity_um_s(cond.current_density_mA_cm2, omega_A3),
        vacancy_diffusivity_um2_s=vacancy_diffusivity_A2_s(model, lattice) * units.UM2_PER_A2,
        vacancy_equilibrium_fraction=vacancy_equilibrium_fraction(settings, model.kT_eV),
        sink_distance_um=settings.electrode.sink_distance_um, sink_supersaturation=settings.boundary.supersaturation,
        solute_fraction=settings.composition.solute_fraction,
        solute_diffusivity_per_vacancy_um2_s=(solute_diffusivity_per_vacancy_A2_s(settings, model, lattice)
                                              * units.UM2_PER_A2))


def flow_law(settings: Settings, transport: CellTransport | None = None) -> flow.FlowLaw:
    """Li's flow law of a parameter set at its temperature (kmc.physics.flow.FlowLaw): the [creep] law
    referred to conditions.temperature_K, the [flow] keys (with Xu's pillar law for free-standing features)
    and the cell's own D_v and c_eq there (``transport``, cell_transport's, computed if not given)."""
    if not hasattr(settings, "flow"):
        raise ConfigError(f"{settings.source}: no [flow] table; allowed: a parameter file with one, e.g. "
                          "params/li_li2s.toml (docs/mechanics.md section 10)")
    cell = cell_transport(settings) if transport is None else transport
    f, T = settings.flow, settings.conditions.temperature_K
    pillars = SizeStrength(f.pillar_reference_size_um, f.pillar_strength_temperature_K, f.pillar_strength_MPa,
                           f.pillar_strength_exponent, f.pillar_hot_K, f.pillar_hot_strength_MPa, f.pillar_hot_exponent)
    return flow.FlowLaw(
        creep=creep.NortonLaw.of(settings.creep).at(T), temperature_K=T, yield_stress_MPa=f.yield_stress_MPa,
        strain_gradient_length_um=f.strain_gradient_length_um,
        vacancy_diffusivity_um2_s=cell.vacancy_diffusivity_um2_s, equilibrium_fraction=cell.vacancy_equilibrium_fraction,
        omega_per_MPa=flow.stress_coefficient_per_MPa(cell.atomic_volume_A3, cell.kT_eV),
        geometry_factor=f.diffusion_geometry_factor, pillars=pillars, pillar_strain_rate_per_s=f.pillar_strain_rate_per_s,
        onset=(flow.SourceLimitedOnset(f.onset_hardness_MPa, f.onset_exponent, f.onset_strain_rate_per_s)
               if f.onset_hardness_MPa > 0 else None),
        solute_coefficient=f.solute_flow_stress_coefficient, solute_fraction=settings.composition.solute_fraction,
        solute_rate_rows=tuple(zip(f.solute_rate_fractions, f.solute_rate_factors)))


def contact_sink_rate_um_s(settings: Settings, subsurface_fraction=None):
    """kappa of the metal | electrolyte contact as a vacancy sink (um/s; kmc.physics.vacancy.contact_annihilation_velocity):
    electrode.contact_sink_rate_m_s, the one calibrated input (docs/mechanics.md section 10), the pure host's.  A
    set with [contact_vacancy] rows carries it to its own contact, of solute fraction ``subsurface_fraction`` just
    below it (None: the bulk's; a number or an array, one per cell), by the ratio of the contact layers'
    collecting lengths there and at the rows' first (kmc.physics.contact_vacancy.ContactVacancyRecords.sink_ratio;
    docs/alloy.md section 6)."""
    kappa = settings.electrode.contact_sink_rate_m_s * units.UM_PER_M
    rows = contact_vacancy.read_records(getattr(settings, "contact_vacancy", None))
    if rows is None:
        return kappa
    x = settings.composition.solute_fraction if subsurface_fraction is None else subsurface_fraction
    return kappa * rows.sink_ratio(x)


def contact_sink_rows(settings: Settings) -> tuple:
    """(subsurface solute fraction, kappa in um/s) rows of a set with [contact_vacancy] rows
    (contact_sink_rate_um_s at each row's fraction), for a cell model that carries each contact cell's own Mg;
    () without rows (kappa is then the same on every cell)."""
    rows = contact_vacancy.read_records(getattr(settings, "contact_vacancy", None))
    if rows is None:
        return ()
    x = np.asarray(rows.subsurface_fraction, float)
    return tuple(zip(x.tolist(), np.asarray(contact_sink_rate_um_s(settings, x), float).tolist()))


def cell_supersaturation(settings: Settings) -> float:
    """CellTransport.supersaturation of a parameter set: the interface supersaturation that carries
    the stripping flux of conditions.current_density_mA_cm2 to the sinks at electrode.sink_distance_um."""
    return cell_transport(settings).supersaturation


@dataclass(frozen=True)
class DeepBox:
    first_layer: int           # first layer below the interface region (where the energy is the bulk's)
    hop_factor: float          # B: a lone vacancy's hops between deep layers run B times faster
    sink_distance_A: float     # L': what the bottom boundary puts between the box and the sinks


def deep_box(settings: Settings, lattice: Lattice, model: EnergyModel, accel: float) -> DeepBox:
    """The box below its interface region, as the electrode it stands for (docs/validation.md,
    "The deep box").

    Vacancies reach the sinks at L below the box through the box's own deep layers and then the
    bottom boundary (build_event_rates).  In the cell the deep layers, N = n_layers - k of them
    below the interface region's last layer k - 1, add (N - 1) d to the path (d the layer
    spacing; N - 1 hops between deep layers).  The boundary carries A, but if the box's hops do
    not, their N - 1 layers weigh as A (N - 1) d in cell terms: 4.2 mm for a 12-cell box at
    A = 1e6 against L = 100 um, so escape, and everything it controls, grew with the box depth.
    So a lone vacancy's hops between deep layers run B times faster (a symmetric factor: detailed
    balance and the equilibrium are untouched; voids keep physical rates, kmc.rate_rules.deep_hop_factor),
    their layers weigh A (N - 1) d / B, and the boundary takes the rest of the cell's path:
        A (N - 1) d / B + L' = L + (N - 1) d.
    ``run.deep_box_share`` s is the share of that path the deep layers take,
    A (N - 1) d / B = s (L + (N - 1) d), so B = A (N - 1) d / (s (L + (N - 1) d)), at least 1
    (then L' = L + (N - 1) d (1 - A), still > 0).  The escape path is L + (N - 1) d whatever the
    box depth and s; s only moves the share of the vacancies' last stretch that is walked in the
    box (cost ~ N^2 / s hops per escaping vacancy) and the deep box's vacancy fraction (a share s
    of the drop to the sinks; results must not depend on it: docs/validation.md checks s = 0.5
    against 0.1).  s = 0 is the rule before the deep box: B = 1 and L' = L; so is a closed bottom."""
    el = settings.electrode
    sink_A = el.sink_distance_um * units.A_PER_UM
    table = np.flatnonzero(model.bulk_layers(lattice.n_layers))
    share = settings.run.deep_box_share
    # Only where there are sinks to reach: a closed bottom (wetting, segregation checks) keeps
    # physical hops everywhere.
    open_slab = (settings.lattice.geometry == "slab" and model.has_interface
                 and settings.boundary.bottom in ("sink", "reservoir"))
    if not open_slab or share == 0 or table.size == 0:
        return DeepBox(lattice.n_layers if table.size == 0 else int(table[0]), 1.0, sink_A)
    k = int(table[0])
    deep_path_A = (lattice.n_layers - k - 1) * lattice.layer_spacing_A
    if deep_path_A <= 0:
        return DeepBox(k, 1.0, sink_A)
    factor = max(1.0, accel * deep_path_A / (share * (sink_A + deep_path_A)))
    return DeepBox(k, factor, sink_A + deep_path_A - accel * deep_path_A / factor)


def build_event_rates(settings: Settings, lattice: Lattice, model: EnergyModel) -> EventRates:
    """The macroscopic rates.  The box (nanometres) stands for the interface region of an electrode
    whose macroscopic fluxes (stripping, creep, escape of vacancies to the sinks, exchange of metal
    with the electrode below) all run run.acceleration = A times faster than in the cell, while
    the hops inside the box keep their physical rates.  So every one of those rates carries the
    same factor A, and their ratios (what decides contact, voids and Mg transport) are those of the
    cell; only their ratio to the hops is A times off, which is what the convergence in A tests."""
    accel = settings.run.acceleration
    cond = settings.conditions
    bnd = settings.boundary
    el = settings.electrode
    slab = settings.lattice.geometry == "slab"
    strip = accel * units.strip_rate_per_s(cond.current_density_mA_cm2, lattice.interface_area_A2) if slab else 0.0
    creep_rate = accel * creep_closure_per_void_site_per_s(settings, lattice, cond.stack_pressure_MPa) if slab else 0.0
    # Escape to sinks at distance L below the bottom layer: each bottom vacancy leaves at D_v / (d L)
    # (kmc.physics.vacancy.exit_rate_per_s, which includes the series resistance of the hop out),
    # and the sinks send vacancies in at that rate times c_inf per bottom site, so that a bottom layer
    # in equilibrium with them holds c_inf (detailed balance with the bulk).  Both carry A: escape to
    # the sinks is one of the macroscopic fluxes (an unaccelerated hop out put the sinks at L_box * A
    # in cell terms: 4.2 nm x 1e6 = 4.2 mm).  With the deep box (deep_box) the box's deep layers take
    # their share of L off the boundary.
    d_v = box_vacancy_diffusivity_A2_s(model, lattice)
    sink_A = el.sink_distance_um * units.A_PER_UM
    deep = deep_box(settings, lattice, model, accel)
    k_exit = vacancy.exit_rate_per_s(d_v, lattice.layer_spacing_A, deep.sink_distance_A, accel)
    c_bulk = bnd.supersaturation * box_vacancy_equilibrium_fraction(settings, model.kT_eV)
    exit_rate = k_exit if (slab and bnd.bottom in ("sink", "reservoir")) else 0.0
    create = k_exit * c_bulk * lattice.sites_per_layer if (slab and bnd.bottom == "reservoir") else 0.0
    return EventRates(strip_total_per_s=strip, creep_per_void_site_full_contact_per_s=creep_rate,
                      creep_stress_exponent=settings.creep.stress_exponent,
                      exit_per_bottom_vacancy_per_s=exit_rate, create_total_per_s=create,
                      bulk_vacancy_concentration=c_bulk, acceleration=float(accel),
                      vacancy_diffusivity_A2_s=d_v,
                      solute_diffusivity_per_vacancy_A2_s=(solute_diffusivity_per_vacancy_A2_s(
                          settings, model, lattice, model.hop_prefactor_Hz) if slab else 0.0),
                      sink_distance_A=sink_A,
                      electrode_depth_A=el.thickness_um * units.A_PER_UM - lattice.n_layers * lattice.layer_spacing_A,
                      strip_activation_per_eV=(settings.kinetics.strip_transfer_coefficient / model.kT_eV
                                               if strip > 0 else 0.0),
                      deep_first_layer=deep.first_layer, deep_hop_factor=deep.hop_factor,
                      boundary_sink_distance_A=deep.sink_distance_A)
