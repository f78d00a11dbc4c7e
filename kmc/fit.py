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
  tall.  For the alloy, L1 holds a fraction ``L1_SOLUTE_FRACTION`` of solute atoms; a void keeps
  them on its metal floor (same lateral sites) and gamma is that of a free surface with the same
  fraction (docs/energy_model.md section 5).

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
from kmc.rates import barrier_eV, kra_eV
from kmc.species import HOST, SOLUTE, VACANCY
from lattices import build_bcc

# How far a fitted row may be from its target and still count as met (the fit's own standard).
TOLERANCE = {"eV": 0.03, "J/m^2": 0.03, "deg": 3.0}

# The L1 solute fraction assumed for the alloy's wetting angle: what the kMC leaves in L1 after
# stripping (0.069 +- 0.007 and 0.066 +- 0.003 after 5.5 ML, docs/energy_model.md section 5).
L1_SOLUTE_FRACTION = 0.07

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
    """The mean of the forward and backward barriers of the model's rule (kmc.rates.barrier_eV)."""
    return 0.5 * (barrier_eV(dE, kra) + barrier_eV(-dE, kra))


class Configurations:
    """Total energies of named lattice configurations of one parameter set."""

    def __init__(self, settings: Settings, cells=FIT_CELLS):
        self.settings = settings.with_overrides([
            "lattice.geometry=slab", "lattice.orientation=001", "composition.vacancy_fraction=0.0",
            f"lattice.cells={list(cells)}"])
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
            s = self.settings.with_overrides(["lattice.geometry=bulk", f"lattice.cells={list(BULK_CELLS)}",
                                              "run.max_events=1"])
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

    def w_ad_J_m2(self, h: int, solute_columns=()) -> float:
        """Lift the metal off the electrolyte: L1..Lh emptied, their host atoms to the bulk; the L1
        solutes (at ``solute_columns``) stay with the metal, in the new top layer Lh+1."""
        contact = {self.layer(0)[c]: SOLUTE for c in solute_columns}
        lifted = {self.layer(h)[c]: SOLUTE for c in solute_columns}
        for L in range(h):
            lifted.update({s: VACANCY for s in self.layer(L)})
        return (self.energy(lifted) - self.energy(contact) + h * self.spl * self.mu()) / self.spl * self.to_J_m2


def _angle_deg(w: float, gamma: float) -> float:
    return math.degrees(math.acos(max(-1.0, min(1.0, w / gamma - 1))))


def alloy_interface(settings: Settings, x: float = L1_SOLUTE_FRACTION) -> dict:
    """W_ad, gamma and theta of a void two layers tall on an alloy interface with an L1 solute
    fraction x (solutes spread over L1, no two sharing a bond; the energy is linear in their
    number).  gamma: a free surface whose top layer holds the same fraction (both faces)."""
    c = Configurations(settings, ALLOY_CELLS)
    n_sol = int(round(x * c.spl))
    cols = list(dict.fromkeys((3 * k) % c.spl for k in range(n_sol)))
    assert len(cols) == n_sol
    m = c.lat.n_layers // 2
    base = {c.layer(m - 1)[k]: SOLUTE for k in cols}
    base.update({c.layer(m + 2)[k]: SOLUTE for k in cols})
    w = c.w_ad_J_m2(2, cols)
    gamma = c.gamma_J_m2(base)
    return {"x": n_sol / c.spl, "w_ad_J_m2": w, "gamma_J_m2": gamma, "theta_deg": _angle_deg(w, gamma)}


class _Slab:
    """The configurations the rows share, built once per parameter set; the expensive ones (the
    alloy interface, the pure-solute crystal) only when a row asks for them."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.cfg = cfg = Configurations(settings.with_overrides(["composition.solute_fraction=0.0"]))
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
        return alloy_interface(self.settings)


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
    return _angle_deg(m.w_ad_2, m.gamma)


@_quantity("wetting_angle_alloy", "wetting angle of {host}-{solute}, void >= 2 layers, L1 {solute} fraction {x:.2f}",
           "deg", True)
def _theta_alloy(m):
    return m.alloy["theta_deg"]


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
    symbols = {"host": settings.species.host, "solute": settings.species.solute, "x": L1_SOLUTE_FRACTION}
    by_name = {t.name: t for t in targets}
    rows = []
    for name in names:
        q, t = QUANTITIES[name], by_name.get(name)
        model = round(float(q.compute(slab)), 6)
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
