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

Rows are dicts {name, target, model, residual, unit, note}; tolerances per unit in TOLERANCE.
"""
from __future__ import annotations

import math

import numpy as np

from kmc import units
from kmc.config import Settings
from kmc.model import build_energy_model
from kmc.rates import barrier_eV, kra_eV
from kmc.species import HOST, SOLUTE, VACANCY
from lattices import build_bcc

TOLERANCE = {"eV": 0.03, "J/m^2": 0.03, "deg": 3.0}
TOLERANCE_eV = TOLERANCE["eV"]

# Targets (PHYSICS.md section 2 and 4b; literature where stated).
W_AD_J_M2 = 0.39                 # DFT work of adhesion Li/Li2S
THETA_HOST_DEG = 93.6            # DFT wetting angle Li/Li2S
THETA_ALLOY_DEG = 87.1           # DFT wetting angle Li-Mg/Li2S
GAMMA_J_M2 = W_AD_J_M2 / (1 + math.cos(math.radians(THETA_HOST_DEG)))   # 0.416, Young-Dupre
E_COH_SOLUTE_EV = 1.51           # Kittel: cohesive energy of Mg (HCP; BCC-HCP difference ~0.03 eV neglected)
E_COH_HOST_EV = 1.63             # Kittel: cohesive energy of Li (a prediction, not fitted)
# D_Mg at 25 and 60 C (seed 004): Q = k ln(D60/D25) / (1/298.15 - 1/333.15) = 0.6025 eV
Q_SOLUTE_EV = units.K_B_eV_per_K * math.log(2.42e-12 / 2.06e-13) / (1 / 298.15 - 1 / 333.15)
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


def fit_rows(settings: Settings) -> list[dict]:
    """Every row covered by this parameter set: {name, target, model, residual, unit, note}."""
    cfg = Configurations(settings.with_overrides(["composition.solute_fraction=0.0"]))
    lat, nbr, spl, a = cfg.lat, cfg.lat.neighbors, cfg.spl, cfg.a
    kra = cfg.model.kra_eV
    mu = cfg.mu()
    energy = cfg.energy
    has_solute = settings.composition.solute_fraction > 0
    rows = []

    def row(name, target, value, unit, note):
        rows.append({"name": name, "target": target, "model": round(float(value), 6),
                     "residual": round(float(value) - target, 6) + 0.0, "unit": unit, "note": note})

    bulk = (lat.n_layers // 2) * spl           # a site deep in the slab
    bulk_nb = int(nbr[bulk, 0])
    v0 = 0                                     # an L1 site
    l2 = [int(n) for n in nbr[v0] if n >= 0]   # its four L2 neighbours
    e0 = energy({})

    row("bulk Li vacancy formation", 0.50, energy({bulk: VACANCY}) - e0 + mu, "eV", "DFT")
    row("L1 vacancy formation (Li/Li2S)", 0.28, energy({v0: VACANCY}) - e0 + mu, "eV", "DFT")
    row("L1 vacancy moved to L2 (L2 Li fills it), Li/Li2S", 0.15,
        energy({l2[0]: VACANCY}) - energy({v0: VACANCY}), "eV", "DFT")
    dE = energy({bulk_nb: VACANCY}) - energy({bulk: VACANCY})
    row("hop barrier: Li into a vacancy, bulk Li", 0.055, _kra_barrier(dE, kra_eV(HOST, False, kra)), "eV",
        "DFT KRA")

    if has_solute:
        mg1 = int(nbr[bulk, 1])
        ef_mg1 = energy({mg1: SOLUTE, bulk: VACANCY}) - energy({mg1: SOLUTE}) + mu
        row("bulk Li-Mg vacancy formation, Mg at 1st neighbour", 0.53, ef_mg1, "eV", "DFT")
        mg3 = _site_at_distance(lat, bulk, bulk // spl, a * math.sqrt(2))
        row("bulk Li-Mg vacancy formation, Mg at 3rd neighbour", 0.50,
            energy({mg3: SOLUTE, bulk: VACANCY}) - energy({mg3: SOLUTE}) + mu, "eV", "DFT")
        m = l2[0]                                               # Mg at an L2 neighbour (3.04 A)
        s_li = next(x for x in l2 if abs(_min_image_distance(lat, m, x) - a) < 0.05)
        start = energy({m: SOLUTE, v0: VACANCY})
        row("Li-Mg/Li2S: L1 vacancy next to Mg filled by L2 Li", -0.16,
            energy({m: SOLUTE, s_li: VACANCY}) - start, "eV", "DFT")
        far = _site_at_distance(lat, v0, 1, a * math.sqrt(4.75))  # L2 site ~7.45 A from the Mg in L1
        row("Li-Mg/Li2S: L1 vacancy next to Mg filled by L2 Mg", -0.67,
            energy({v0: SOLUTE, far: VACANCY}) - start, "eV", "DFT")
        mg_l1 = _site_at_distance(lat, v0, 0, a * math.sqrt(2))   # Mg in L1 at 4.96 A
        fill = next(x for x in l2 if all(n != mg_l1 for n in nbr[x]))
        row("Li-Mg/Li2S: L1 vacancy 4.9 A from Mg filled by adjacent Li", 0.13,
            energy({mg_l1: SOLUTE, fill: VACANCY}) - energy({mg_l1: SOLUTE, v0: VACANCY}), "eV", "DFT")
        # Li hop next to Mg: Mg beside the hopping Li's start site, vacancy at its target.
        j = bulk_nb
        mg_j = next(int(n) for n in nbr[j] if n >= 0 and n != bulk)
        dE = energy({mg_j: SOLUTE, j: VACANCY}) - energy({mg_j: SOLUTE, bulk: VACANCY})
        row("hop barrier: Li next to Mg", 0.061, _kra_barrier(dE, kra_eV(HOST, True, kra)), "eV", "DFT KRA")
        dE = energy({bulk: SOLUTE, bulk_nb: VACANCY}) - energy({bulk_nb: SOLUTE, bulk: VACANCY})
        row("hop barrier: Mg in dilute Li-Mg", 0.102, _kra_barrier(dE, kra_eV(SOLUTE, False, kra)), "eV", "DFT KRA")
        row("Mg diffusion activation (E_f next to Mg + Mg hop)", round(Q_SOLUTE_EV, 4), ef_mg1 + kra[2], "eV",
            "DFT D_Mg at 25 and 60 C")
        if settings.energy.form == "second_moment":
            row("cohesive energy of Mg (pure BCC)", E_COH_SOLUTE_EV, -cfg.mu(SOLUTE), "eV", "Kittel")

    gamma = cfg.gamma_J_m2()
    w2 = cfg.w_ad_J_m2(2)
    row("Li (001) surface energy", round(GAMMA_J_M2, 4), gamma, "J/m^2",
        "Young-Dupre from DFT W_ad 0.39 J/m^2 and 93.6 deg")
    row("work of adhesion Li/Li2S (gap 2 layers)", W_AD_J_M2, w2, "J/m^2", "DFT")
    row("work of adhesion Li/Li2S (gap 3 layers)", W_AD_J_M2, cfg.w_ad_J_m2(3), "J/m^2", "DFT")
    row("wetting angle Li/Li2S, void >= 2 layers", THETA_HOST_DEG, _angle_deg(w2, gamma), "deg",
        "DFT; cos(theta) = W_ad/gamma - 1")
    if has_solute:
        al = alloy_interface(settings)
        row(f"wetting angle Li-Mg/Li2S, void >= 2 layers, L1 Mg fraction {al['x']:.2f}", THETA_ALLOY_DEG,
            al["theta_deg"], "deg", "DFT; interface composition: what stripping leaves in L1")
    return rows


def derived_quantities(settings: Settings) -> list[dict]:
    """Model outputs that were not fitted, next to the literature values they stand for
    ({name, target, model, unit, note}); the fitted rows are in ``fit_rows``."""
    cfg = Configurations(settings.with_overrides(["composition.solute_fraction=0.0"]))
    return [{"name": "cohesive energy of Li (not fitted)", "target": E_COH_HOST_EV, "model": -cfg.mu(),
             "unit": "eV", "note": "Kittel"}]
