"""The model against its targets: every row computed from the total energy of lattice configurations.

Each row builds the configurations named in the parameter file's mapping comments on a [001]
slab and takes energy differences with the model's reference energy function
(``EnergyModel.total_energy``); no closed form is used.  Formation energies move the removed host
atom to the bulk, whose chemical potential is the energy per atom of the model's own perfect
periodic crystal (-4 phi for the bond form, 4 V - 2 sqrt2 eps for the second-moment form).
Hop-barrier rows report the KRA barrier: the mean of the forward and backward barriers.

Surface and interface rows (docs/energy_model.md):
* gamma(001): a two-layer gap opened deep in the slab, per site and face;
* W_ad: the metal lifted off the electrolyte by emptying the top h layers (h = 2, 3), per site;
* theta: cos(theta) = W_ad/gamma - 1 (Young-Dupre on the [001] interface) for a void two layers
  tall.  For the alloy, L1 holds the solute arrangement of the model's own equilibrium with the
  bulk (``l1_equilibrium``: a semi-grand-canonical Metropolis chain of L1 against the bulk
  solute fraction, on the L1 energy read off total energies); a void keeps the solutes on its
  metal floor (same lateral sites) and gamma is that of a free surface with the same arrangement
  (docs/energy_model.md section 5).

What the model is compared with comes from the parameter file: its ``[fit] targets`` rows (name,
value, unit, source, kind; kmc.config.FitTarget), so a new chemistry is compared with its own
numbers.  ``QUANTITIES`` is the one registry of what can be computed: a row names one of them.
A row of kind "check" (a number built from other rows, or a prediction) is shown but is not a
fitted target.  A file without targets shows the model's values alone.

Rows are dicts {name, label, kind, target, model, residual, unit, source}; tolerances per unit in
TOLERANCE.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np

from kmc import units
from kmc.config import ConfigError, Settings
from kmc.model import build_energy_model
from kmc.physics.surface import wetting_angle_deg
from kmc.physics.thermal import boltzmann_factor, ideal_exchange_potential_eV
from kmc.rate_rules import barrier_eV, kra_eV
from kmc.species import HOST, SOLUTE, VACANCY
from lattices import build_bcc

# How far a fitted row may be from its target and still count as met (the fit's own standard).
TOLERANCE = {"eV": 0.03, "J/m^2": 0.03, "deg": 3.0, "ratio": 0.05}

# The L1 of the alloy's wetting angle: equilibrium with the bulk (docs/validation.md, Wetting; before, a fixed
# 0.07 taken from bond-model kMC runs).  A 10 x 10 L1 (even sides: the chain updates the four 2 x 2
# sublattices in turn, none of whose sites interact), a fixed seed, and sweeps enough for the
# coverage's block means to agree to ~0.01 (the chain's own error is reported).
EQUILIBRIUM_CELLS = (10, 10, 6)
EQUILIBRIUM_SWEEPS = (400, 1600)      # equilibration, sampling
EQUILIBRIUM_SNAPSHOTS = 8             # arrangements (evenly spaced over the sampling) the angle averages
EQUILIBRIUM_SEED = 39
# The coverage rows: a 5 x 5 L1, as kmc/atomistic's interface structures.
COVERAGE_CELLS = (5, 5, 6)


def spread_l1_sites(n: int, count: int) -> list[int]:
    """count sites of an n x n [001] L1 by greedy farthest-point sampling from (0, 0) (periodic),
    ties broken by site order: the arrangement kmc/atomistic/structures.py spread_sites gives
    CHGNet's coverage rows (that layer imports nothing of the package, so the rule is repeated)."""
    cells = [(i, j) for i in range(n) for j in range(n)]

    def dist2(p, q):
        d = [min(abs(p[k] - q[k]), n - abs(p[k] - q[k])) for k in (0, 1)]
        return d[0] ** 2 + d[1] ** 2

    chosen = [cells[0]]
    while len(chosen) < count:
        chosen.append(max((c for c in cells if c not in chosen), key=lambda c: min(dist2(c, p) for p in chosen)))
    return [j * n + i for i, j in chosen]     # (i, j) = (x, y); [001] L1 site y * nx + x

FIT_CELLS = (4, 4, 6)            # 16 sites per layer, 12 layers
ALLOY_CELLS = (10, 10, 6)        # 100 L1 sites: 7 solutes at 0.07
BULK_CELLS = (4, 4, 4)           # periodic box for the chemical potential


def _min_image_distance(lat, i, j) -> float:
    d = lat.positions_A[j] - lat.positions_A[i]
    d[:2] -= np.round(d[:2] / lat.box_A[:2]) * lat.box_A[:2]
    return float(np.linalg.norm(d))


def _site_at_distance(lat, origin, layer, distance_A, exclude=()):
    """A site in ``layer`` at ``distance_A`` (to 0.05 A) from ``origin``, not in ``exclude``."""
    spl = lat.sites_per_layer
    for s in range(layer * spl, (layer + 1) * spl):
        if s not in exclude and abs(_min_image_distance(lat, origin, s) - distance_A) < 0.05:
            return s
    raise RuntimeError(f"no site {distance_A:.2f} A from {origin} in layer {layer}")


def _kra_barrier(dE: float, kra: float) -> float:
    """The mean of the forward and backward barriers of the model's rule (kmc.rate_rules.barrier_eV)."""
    return 0.5 * (barrier_eV(dE, kra) + barrier_eV(-dE, kra))


class Configurations:
    """Total energies of named lattice configurations of one parameter set."""

    def __init__(self, settings: Settings, cells=FIT_CELLS):
        self.settings = settings.replaced(lattice={"geometry": "slab", "orientation": "001", "cells": list(cells)},
                                          composition={"vacancy_fraction": 0.0})
        a = settings.lattice.lattice_constant_A
        self.lat = build_bcc(cells, "001", a, periodic_z=False)
        self.model = build_energy_model(self.settings, self.lat)
        self.a = a
        self.spl = self.lat.sites_per_layer
        self.to_J_m2 = units.J_PER_M2_PER_EV_PER_A2 / a**2
        self._mu = {}

    def mu(self, species=HOST) -> float:
        """Energy per atom of the perfect periodic crystal of one species (the reservoir)."""
        if species not in self._mu:
            s = self.settings.replaced(lattice={"geometry": "bulk", "cells": list(BULK_CELLS)}, run={"max_events": 1})
            lat = build_bcc(BULK_CELLS, "001", self.a, periodic_z=True)
            occ = np.full(lat.n_sites, species, np.int8)
            self._mu[species] = build_energy_model(s, lat).total_energy(occ, lat) / lat.n_sites
        return self._mu[species]

    def energy(self, changes: dict[int, int]) -> float:
        occ = np.full(self.lat.n_sites, HOST, np.int8)
        for site, sp in changes.items():
            occ[site] = sp
        return self.model.total_energy(occ, self.lat)

    def layer(self, L: int) -> range:
        return range(L * self.spl, (L + 1) * self.spl)

    def gamma_J_m2(self, base=None) -> float:
        """Free (001) surface: a two-layer gap deep in the slab, per site and face; ``base`` holds
        solutes placed in the layers that become the two faces."""
        m = self.lat.n_layers // 2
        base = dict(base or {})
        ch = dict(base)
        for L in (m, m + 1):
            ch.update({s: VACANCY for s in self.layer(L)})
        return (self.energy(ch) - self.energy(base) + 2 * self.spl * self.mu()) / self.spl / 2 * self.to_J_m2

    def gamma_110_J_m2(self, cells=(3, 4, 4)) -> float:
        """Free (110) surface: two adjacent (110) layers emptied in a periodic [110] box (two faces),
        the atoms to the bulk, per face area."""
        s = self.settings.replaced(lattice={"geometry": "bulk", "orientation": "110", "cells": list(cells)},
                                   run={"max_events": 1})
        lat = build_bcc(cells, "110", self.a, periodic_z=True)
        model = build_energy_model(s, lat)
        occ = np.full(lat.n_sites, HOST, np.int8)
        e_full = model.total_energy(occ, lat)
        occ[:2 * lat.sites_per_layer] = VACANCY
        area = float(lat.box_A[0] * lat.box_A[1])
        de = model.total_energy(occ, lat) - e_full + 2 * lat.sites_per_layer * self.mu()
        return de / (2 * area) * units.J_PER_M2_PER_EV_PER_A2

    def w_ad_J_m2(self, h: int, solute_columns=()) -> float:
        """Lift the metal off the electrolyte: L1..Lh emptied, their host atoms to the bulk; the L1
        solutes (at ``solute_columns``) stay with the metal, in the new top layer Lh+1."""
        contact = {self.layer(0)[c]: SOLUTE for c in solute_columns}
        lifted = {self.layer(h)[c]: SOLUTE for c in solute_columns}
        for L in range(h):
            lifted.update({s: VACANCY for s in self.layer(L)})
        return (self.energy(lifted) - self.energy(contact) + h * self.spl * self.mu()) / self.spl * self.to_J_m2


def alloy_interface(settings: Settings, x: float | None = None, columns=None, cells=ALLOY_CELLS) -> dict:
    """W_ad, gamma and theta of a void two layers tall on an alloy interface whose L1 holds solutes
    at ``columns`` (L1 site indices), or, given a fraction x, spread over L1 (no two sharing a
    bond; every 3rd site).  gamma: a free surface whose top layer holds the same arrangement (both
    faces).  The L1 in-plane solute pairs count at the contact only (a free surface has none)."""
    c = Configurations(settings, cells)
    if columns is None:
        n_sol = int(round(x * c.spl))
        columns = list(dict.fromkeys((3 * k) % c.spl for k in range(n_sol)))
        assert len(columns) == n_sol
    cols = [int(k) for k in columns]
    m = c.lat.n_layers // 2
    base = {c.layer(m - 1)[k]: SOLUTE for k in cols}
    base.update({c.layer(m + 2)[k]: SOLUTE for k in cols})
    w = c.w_ad_J_m2(2, cols)
    gamma = c.gamma_J_m2(base)
    return {"x": len(cols) / c.spl, "w_ad_J_m2": w, "gamma_J_m2": gamma, "theta_deg": wetting_angle_deg(w, gamma)}


@dataclass(frozen=True)
class L1LatticeGas:
    """The energy of an L1 holding solutes (no vacancies) in the second-moment or bond form: with
    ideal mixing a host-solute exchange costs the same whatever the neighbours' species, so
    E = E0 + sum_i e n_i + u sum_(a) n_i n_j + u2 sum_(a sqrt2) n_i n_j exactly, n_i = 1 on a solute.
    All three numbers are total-energy differences (tests/test_fit.py checks the form on random
    arrangements)."""
    segregation_eV: float      # one solute from deep in the slab into L1
    pair_a_eV: float           # two L1 solutes a apart minus far apart
    pair_a_sqrt2_eV: float     # a sqrt2 apart minus far apart


def l1_lattice_gas(settings: Settings, cells=EQUILIBRIUM_CELLS) -> L1LatticeGas:
    c = Configurations(settings.replaced(composition={"solute_fraction": 0.0}), cells)
    nx, ny = cells[0], cells[1]
    far = (ny // 2) * nx + nx // 2            # (nx/2, ny/2) from site 0: beyond both shells
    deep = (c.lat.n_layers // 2) * c.spl
    e_far = c.energy({0: SOLUTE, far: SOLUTE})
    return L1LatticeGas(
        segregation_eV=c.energy({0: SOLUTE}) - c.energy({deep: SOLUTE}),
        pair_a_eV=c.energy({0: SOLUTE, int(c.lat.l1_second_neighbors[0, 0]): SOLUTE}) - e_far,
        pair_a_sqrt2_eV=c.energy({0: SOLUTE, int(c.lat.l1_third_neighbors[0, 0]): SOLUTE}) - e_far)


@dataclass(frozen=True)
class L1Equilibrium:
    fraction: float            # mean L1 solute fraction over the sampling sweeps
    fraction_sem: float        # its standard error from 8 block means
    snapshots: tuple           # L1 arrangements (arrays of solute site indices) for the angle
    x_bulk: float
    temperature_K: float


def l1_equilibrium(settings: Settings, cells=EQUILIBRIUM_CELLS, sweeps=EQUILIBRIUM_SWEEPS,
                   seed=EQUILIBRIUM_SEED) -> L1Equilibrium:
    """L1 in equilibrium with the bulk solute fraction x (composition.solute_fraction) at the run's
    temperature: semi-grand-canonical Metropolis flips host <-> solute of L1 sites (no vacancies),
    each against the bulk's exchange chemical potential.  The model's bulk is an ideal solution
    (a host-solute exchange costs the same anywhere in it), so putting a solute into L1 and a host
    into the bulk changes the free energy by e_seg + (pair terms) - kT ln(x / (1 - x))."""
    g = l1_lattice_gas(settings, cells)
    x = settings.composition.solute_fraction
    kT = units.kT_eV(settings.conditions.temperature_K)
    nx, ny = cells[0], cells[1]
    if x <= 0:
        return L1Equilibrium(0.0, 0.0, (np.zeros(0, np.intp),), x, settings.conditions.temperature_K)
    field = g.segregation_eV - ideal_exchange_potential_eV(x, kT)
    rng = np.random.default_rng(seed)
    n = np.zeros((ny, nx), np.int8)           # [iy, ix]: L1 site iy * nx + ix ([001] order)
    keep = np.linspace(sweeps[0], sum(sweeps) - 1, EQUILIBRIUM_SNAPSHOTS).astype(int)
    cover, snaps = [], []
    for sweep in range(sum(sweeps)):
        for py in (0, 1):
            for px in (0, 1):
                a_sum = (np.roll(n, 1, 0) + np.roll(n, -1, 0) + np.roll(n, 1, 1) + np.roll(n, -1, 1))
                d_sum = (np.roll(n, (1, 1), (0, 1)) + np.roll(n, (1, -1), (0, 1))
                         + np.roll(n, (-1, 1), (0, 1)) + np.roll(n, (-1, -1), (0, 1)))
                local = field + g.pair_a_eV * a_sum + g.pair_a_sqrt2_eV * d_sum
                dE = np.where(n == 1, -local, local)[py::2, px::2]
                flip = rng.random(dE.shape) < boltzmann_factor(np.maximum(dE, 0.0), kT)
                n[py::2, px::2] ^= flip.astype(np.int8)
        if sweep >= sweeps[0]:
            cover.append(n.mean())
        if sweep in keep:
            snaps.append(np.flatnonzero(n.ravel()))
    blocks = np.array_split(np.array(cover), 8)
    means = np.array([b.mean() for b in blocks])
    return L1Equilibrium(float(np.mean(cover)), float(means.std(ddof=1) / math.sqrt(len(means))), tuple(snaps),
                         x, settings.conditions.temperature_K)


def equilibrium_alloy_interface(settings: Settings) -> dict:
    """alloy_interface averaged over the equilibrium L1 arrangements (l1_equilibrium): W_ad and
    gamma are linear in the arrangement's counts, so their means over the snapshots give the angle;
    "x" is the chain's mean L1 solute fraction.  What the interface's composition does to a void (for
    a pure host the DFT rows the energy is fitted to: W_ad 0.39 J/m^2, gamma 0.416 J/m^2, 93.6 deg);
    every scale reads it through kmc.energetics.interface_energetics, computed once per
    parameter set and cached there."""
    eq = l1_equilibrium(settings)
    runs = [alloy_interface(settings, columns=cols, cells=EQUILIBRIUM_CELLS) for cols in eq.snapshots]
    w = float(np.mean([r["w_ad_J_m2"] for r in runs]))
    gamma = float(np.mean([r["gamma_J_m2"] for r in runs]))
    return {"x": eq.fraction, "x_sem": eq.fraction_sem, "w_ad_J_m2": w, "gamma_J_m2": gamma,
            "theta_deg": wetting_angle_deg(w, gamma)}


class _Slab:
    """The configurations the rows share, built once per parameter set; the expensive ones (the
    alloy interface, the pure-solute crystal) only when a row asks for them."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.cfg = cfg = Configurations(settings.replaced(composition={"solute_fraction": 0.0}))
        self.lat, self.nbr, self.spl, self.a = cfg.lat, cfg.lat.neighbors, cfg.spl, cfg.a
        self.kra = cfg.model.kra_eV
        self.energy = cfg.energy
        self.bulk = (self.lat.n_layers // 2) * self.spl       # a site deep in the slab
        self.bulk_nb = int(self.nbr[self.bulk, 0])
        self.v0 = 0                                            # an L1 site
        self.l2 = [int(n) for n in self.nbr[self.v0] if n >= 0]  # its four L2 neighbours

    @cached_property
    def mu(self) -> float:
        return self.cfg.mu()

    @cached_property
    def e0(self) -> float:
        return self.energy({})

    def formation(self, site: int, solutes=()) -> float:
        """Vacancy formation energy at ``site``, solutes at ``solutes``, the atom moved to the bulk."""
        base = {s: SOLUTE for s in solutes}
        return self.energy({**base, site: VACANCY}) - (self.energy(base) if base else self.e0) + self.mu

    @cached_property
    def ef_solute_1st(self) -> float:
        return self.formation(self.bulk, [int(self.nbr[self.bulk, 1])])

    def interface_start(self, solute: int) -> float:
        """The interface rows' start: an L1 vacancy v0 with a solute at ``solute``."""
        return self.energy({solute: SOLUTE, self.v0: VACANCY})

    @cached_property
    def gamma(self) -> float:
        return self.cfg.gamma_J_m2()

    @cached_property
    def w_ad_2(self) -> float:
        return self.cfg.w_ad_J_m2(2)

    @cached_property
    def alloy(self) -> dict:
        return equilibrium_alloy_interface(self.settings)

    @cached_property
    def lattice_gas(self) -> L1LatticeGas:
        return l1_lattice_gas(self.settings)

    @cached_property
    def _coverage_slab(self) -> Configurations:
        return Configurations(self.settings.replaced(composition={"solute_fraction": 0.0}), COVERAGE_CELLS)

    def segregation_per_solute(self, count: int) -> float:
        """Per solute: ``count`` solutes spread over L1 (spread_l1_sites) minus as many deep in the
        slab (where, with ideal mixing, they do not interact), from total energies."""
        c = self._coverage_slab
        deep = (c.lat.n_layers // 2) * c.spl
        e0 = c.energy({})
        l1 = c.energy({s: SOLUTE for s in spread_l1_sites(COVERAGE_CELLS[0], count)})
        return (l1 - e0) / count - (c.energy({deep: SOLUTE}) - e0)


@dataclass(frozen=True)
class Quantity:
    """A quantity the model can be compared with: computed from total energies of lattice
    configurations.  ``label`` may name {host}, {solute} and {x} (L1_SOLUTE_FRACTION)."""
    name: str
    label: str
    unit: str
    compute: Callable[[_Slab], float]
    solute: bool = False        # about the solute: shown without targets only if the file has one


QUANTITIES: dict[str, Quantity] = {}


def _quantity(name: str, label: str, unit: str, solute: bool = False):
    def register(compute):
        QUANTITIES[name] = Quantity(name, label, unit, compute, solute)
        return compute
    return register


@_quantity("vacancy_formation_bulk", "bulk {host} vacancy formation", "eV")
def _ef_bulk(m):
    return m.formation(m.bulk)


@_quantity("vacancy_formation_L1", "L1 vacancy formation (pure {host} at the electrolyte)", "eV")
def _ef_l1(m):
    return m.formation(m.v0)


@_quantity("L1_vacancy_to_L2", "L1 vacancy moved to L2 (an L2 {host} fills it)", "eV")
def _l1_to_l2(m):
    return m.energy({m.l2[0]: VACANCY}) - m.energy({m.v0: VACANCY})


@_quantity("hop_barrier_host", "hop barrier: {host} into a vacancy, bulk {host}", "eV")
def _hop_host(m):
    dE = m.energy({m.bulk_nb: VACANCY}) - m.energy({m.bulk: VACANCY})
    return _kra_barrier(dE, kra_eV(HOST, False, m.kra))


@_quantity("vacancy_formation_bulk_solute_1st", "bulk vacancy formation, {solute} at 1st neighbour", "eV", True)
def _ef_solute_1st(m):
    return m.ef_solute_1st


@_quantity("vacancy_formation_bulk_solute_3rd", "bulk vacancy formation, {solute} at 3rd neighbour", "eV", True)
def _ef_solute_3rd(m):
    return m.formation(m.bulk, [_site_at_distance(m.lat, m.bulk, m.bulk // m.spl, m.a * math.sqrt(2))])


@_quantity("L1_vacancy_near_solute_filled_by_host",
           "interface: L1 vacancy next to an L2 {solute}, filled by an L2 {host}", "eV", True)
def _l1_near_solute_host_fill(m):
    sol = m.l2[0]                                               # solute at an L2 neighbour (3.04 A)
    fill = next(x for x in m.l2 if abs(_min_image_distance(m.lat, sol, x) - m.a) < 0.05)
    return m.energy({sol: SOLUTE, fill: VACANCY}) - m.interface_start(sol)


@_quantity("L1_vacancy_near_solute_filled_by_solute",
           "interface: L1 vacancy next to an L2 {solute}, filled by that {solute}", "eV", True)
def _l1_near_solute_solute_fill(m):
    far = _site_at_distance(m.lat, m.v0, 1, m.a * math.sqrt(4.75))  # L2 site ~7.45 A from the solute in L1
    return m.energy({m.v0: SOLUTE, far: VACANCY}) - m.interface_start(m.l2[0])


@_quantity("L1_vacancy_3rd_from_solute_filled_by_host",
           "interface: L1 vacancy with an L1 {solute} at 3rd neighbour, filled by an L2 {host}", "eV", True)
def _l1_far_solute_host_fill(m):
    sol = _site_at_distance(m.lat, m.v0, 0, m.a * math.sqrt(2))  # solute in L1 at 4.96 A
    fill = next(x for x in m.l2 if all(n != sol for n in m.nbr[x]))
    return m.energy({sol: SOLUTE, fill: VACANCY}) - m.interface_start(sol)


@_quantity("hop_barrier_host_near_solute", "hop barrier: {host} next to {solute}", "eV", True)
def _hop_host_near_solute(m):
    j = m.bulk_nb                                   # solute beside the hopping atom's start, vacancy at its target
    sol = next(int(n) for n in m.nbr[j] if n >= 0 and n != m.bulk)
    dE = m.energy({sol: SOLUTE, j: VACANCY}) - m.energy({sol: SOLUTE, m.bulk: VACANCY})
    return _kra_barrier(dE, kra_eV(HOST, True, m.kra))


@_quantity("hop_barrier_solute", "hop barrier: {solute} in dilute {host}-{solute}", "eV", True)
def _hop_solute(m):
    dE = m.energy({m.bulk: SOLUTE, m.bulk_nb: VACANCY}) - m.energy({m.bulk_nb: SOLUTE, m.bulk: VACANCY})
    return _kra_barrier(dE, kra_eV(SOLUTE, False, m.kra))


@_quantity("solute_diffusion_activation",
           "{solute} diffusion activation (E_f next to {solute} + {solute} hop)", "eV", True)
def _solute_diffusion_activation(m):
    return m.ef_solute_1st + m.kra[SOLUTE]


@_quantity("cohesive_energy_host", "cohesive energy of {host} (perfect BCC)", "eV")
def _cohesive_host(m):
    return -m.mu


@_quantity("cohesive_energy_solute", "cohesive energy of {solute} (perfect BCC)", "eV", True)
def _cohesive_solute(m):
    return -m.cfg.mu(SOLUTE)


@_quantity("surface_energy_001", "{host} (001) surface energy", "J/m^2")
def _gamma(m):
    return m.gamma


@_quantity("work_of_adhesion_2_layers", "work of adhesion of {host} (gap 2 layers)", "J/m^2")
def _w_ad_2(m):
    return m.w_ad_2


@_quantity("work_of_adhesion_3_layers", "work of adhesion of {host} (gap 3 layers)", "J/m^2")
def _w_ad_3(m):
    return m.cfg.w_ad_J_m2(3)


@_quantity("wetting_angle_host", "wetting angle of {host}, void >= 2 layers", "deg")
def _theta_host(m):
    return wetting_angle_deg(m.w_ad_2, m.gamma)


@_quantity("wetting_angle_alloy", "wetting angle of {host}-{solute}, void >= 2 layers, at the model's equilibrium "
           "L1 {solute} fraction {x:.2f}", "deg", True)
def _theta_alloy(m):
    return m.alloy["theta_deg"]


# ---------------------------------------------------------- the computed rows (docs/interface_energies.md)
# Rows that kmc/atomistic/rows.toml gives numbers for (CHGNet); shown as checks beside the model.

@_quantity("L2_vacancy_under_L1_solute",
           "interface: L2 vacancy under an L1 {solute} minus the same vacancy far from it", "eV", True)
def _l2_vacancy_under_l1_solute(m):
    sol = m.v0
    far = max(range(m.spl, 2 * m.spl), key=lambda t: _min_image_distance(m.lat, sol, t))
    return m.energy({sol: SOLUTE, m.l2[0]: VACANCY}) - m.energy({sol: SOLUTE, far: VACANCY})


@_quantity("L1_vacancy_over_L2_solute",
           "interface: L1 vacancy over an L2 {solute} minus the same vacancy far from it", "eV", True)
def _l1_vacancy_over_l2_solute(m):
    sol = m.l2[0]
    far = max(range(m.spl), key=lambda t: _min_image_distance(m.lat, sol, t))
    return m.interface_start(sol) - m.energy({sol: SOLUTE, far: VACANCY})


@_quantity("L1_vacancy_to_L2_under_solute_rich_L1",
           "interface: the one L1 vacancy of an all-{solute} L1 filled by the L2 {host} below", "eV", True)
def _l1_to_l2_solute_rich(m):
    rich = {s: SOLUTE for s in range(1, m.spl)}
    return m.energy({**rich, m.v0: HOST, m.l2[0]: VACANCY}) - m.energy({**rich, m.v0: VACANCY})


def _binding(m, a: int, b: int) -> float:
    """Binding of a vacancy pair (positive = bound): two apart minus together."""
    return m.energy({a: VACANCY}) + m.energy({b: VACANCY}) - m.e0 - m.energy({a: VACANCY, b: VACANCY})


@_quantity("divacancy_binding_bulk_1st", "bulk divacancy binding, 1st neighbours (positive = bound)", "eV")
def _divac_1st(m):
    return _binding(m, m.bulk, m.bulk_nb)


@_quantity("divacancy_binding_bulk_2nd", "bulk divacancy binding, 2nd neighbours (a)", "eV")
def _divac_2nd(m):
    return _binding(m, m.bulk, _site_at_distance(m.lat, m.bulk, m.bulk // m.spl + 2, m.a))


@_quantity("L1_vacancy_pair_binding", "L1 vacancy pair binding, in-plane a (positive = bound)", "eV")
def _l1_divac(m):
    return _binding(m, m.v0, int(m.lat.l1_second_neighbors[m.v0, 0]))


@_quantity("surface_energy_ratio_110_001", "{host} surface energies gamma(110)/gamma(001)", "ratio")
def _gamma_ratio(m):
    return m.cfg.gamma_110_J_m2() / m.gamma


@_quantity("L1_solute_pair_a", "two L1 {solute} a apart minus far apart", "eV", True)
def _l1_pair_a(m):
    return m.lattice_gas.pair_a_eV


@_quantity("L1_solute_pair_a_sqrt2", "two L1 {solute} a sqrt2 apart minus far apart", "eV", True)
def _l1_pair_a_sqrt2(m):
    return m.lattice_gas.pair_a_sqrt2_eV


@_quantity("segregation_L1_dilute", "one {solute} from the bulk into L1", "eV", True)
def _seg_dilute(m):
    return m.lattice_gas.segregation_eV


def _segregation_change(m, count: int) -> float:
    """Segregation energy per solute of ``count`` L1 solutes spread over a 5 x 5 L1 (as CHGNet's
    structures) minus that of one: the L1 solute-solute terms per solute."""
    return m.segregation_per_solute(count) - m.segregation_per_solute(1)


@_quantity("segregation_L1_change_6of25", "L1 {solute} at 6/25, per {solute}, minus dilute", "eV", True)
def _seg_6(m):
    return _segregation_change(m, 6)


@_quantity("segregation_L1_change_12of25", "L1 {solute} at 12/25, per {solute}, minus dilute", "eV", True)
def _seg_12(m):
    return _segregation_change(m, 12)


@_quantity("segregation_L1_change_full", "L1 {solute} at 25/25, per {solute}, minus dilute", "eV", True)
def _seg_full(m):
    return _segregation_change(m, 25)


def _checked_targets(settings: Settings) -> tuple:
    """The file's rows, refused as a whole (before any computing) if one names a quantity this
    module does not compute or gives it in another unit."""
    where = f"{settings.source}: " if settings.source != "<dict>" else ""
    for t in settings.fit_targets:
        q = QUANTITIES.get(t.name)
        if q is None:
            raise ConfigError(f"{where}fit target {t.name!r} is not a quantity kmc.fit computes; allowed: "
                              f"{', '.join(QUANTITIES)}")
        if t.unit != q.unit:
            raise ConfigError(f"{where}fit target {t.name!r} is given in {t.unit!r}; allowed: {q.unit!r} "
                              "(the unit the quantity is computed in)")
    return settings.fit_targets


def fit_rows(settings: Settings) -> list[dict]:
    """The model beside the parameter file's [fit] rows, in the file's order:
    {name, label, kind, target, model, residual, unit, source}.  A file without targets gets the
    model's value of every quantity it covers (the solute's only with a solute), with kind
    "model" and no target or residual.  ConfigError for a row naming an unknown quantity."""
    targets = _checked_targets(settings)
    has_solute = settings.composition.solute_fraction > 0
    if not targets:
        names = [q.name for q in QUANTITIES.values() if has_solute or not q.solute]
    else:
        names = [t.name for t in targets]
    slab = _Slab(settings)
    symbols = {"host": settings.species.host, "solute": settings.species.solute}
    by_name = {t.name: t for t in targets}
    rows = []
    for name in names:
        q, t = QUANTITIES[name], by_name.get(name)
        model = round(float(q.compute(slab)), 6)
        if "{x" in q.label:
            symbols["x"] = slab.alloy["x"]
        rows.append({"name": name, "label": q.label.format(**symbols), "kind": t.kind if t else "model",
                     "target": t.value if t else None, "model": model,
                     "residual": round(model - t.value, 6) + 0.0 if t else None, "unit": q.unit,
                     "source": t.source if t else ""})
    return rows


def model_value(settings: Settings, name: str) -> float:
    """The model's value of one quantity of the registry (QUANTITIES), whatever the file's targets."""
    return float(QUANTITIES[name].compute(_Slab(settings)))


def within_tolerance(row: dict) -> bool:
    """Whether a row's model value is within TOLERANCE of its target (rows without one: True)."""
    return row["residual"] is None or abs(row["residual"]) <= TOLERANCE[row["unit"]]
