"""The DFT rows of PHYSICS.md section 2, evaluated on real lattice configurations of the model.

Each row builds the configurations named in the parameter file's mapping comments on a [001]
slab, takes energy differences with the model's reference energy function, and reports
(target, model, residual).  Formation energies move the removed Li atom to the bulk, whose
chemical potential in a first-neighbour bond model is the cohesive energy per atom, 4*pair(Li,Li).
Hop-barrier rows report the KRA barrier: the mean of the forward and backward barriers.
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

TOLERANCE_eV = 0.03


def _fit_lattice(settings: Settings):
    return build_bcc((4, 4, 6), "001", settings.lattice.lattice_constant_A, periodic_z=False)


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


def fit_rows(settings: Settings) -> list[dict]:
    """Rows {name, target_eV, model_eV, residual_eV} covered by this parameter set."""
    s = settings.with_overrides(["lattice.geometry=slab", "lattice.orientation=001",
                                 "composition.solute_fraction=0.0", "composition.vacancy_fraction=0.0"])
    lat = _fit_lattice(s)
    model = build_energy_model(s, lat)
    a = lat.lattice_constant_A
    spl = lat.sites_per_layer
    nbr = lat.neighbors
    mu_li = 4.0 * model.pair_eV[0, HOST, HOST]   # bulk cohesive energy per Li atom (bond model)

    def energy(changes: dict[int, int]) -> float:
        occ = np.full(lat.n_sites, HOST, np.int8)
        for site, sp in changes.items():
            occ[site] = sp
        return model.total_energy(occ, lat)

    def near_mg(changes, i, j):
        return any(changes.get(int(n), HOST) == SOLUTE for e in (i, j) for n in nbr[e] if n >= 0 and n not in (i, j))

    rows = []

    def row(name, target, value):
        rows.append({"name": name, "target_eV": target, "model_eV": round(value, 6),
                     "residual_eV": round(value - target, 6)})

    bulk = (lat.n_layers // 2) * spl           # a site deep in the slab
    bulk_nb = int(nbr[bulk, 0])
    v0 = 0                                     # an L1 site
    l2 = [int(n) for n in nbr[v0] if n >= 0]   # its four L2 neighbours
    e0 = energy({})

    row("bulk Li vacancy formation", 0.50, energy({bulk: VACANCY}) - e0 + mu_li)
    row("L1 vacancy formation (Li/Li2S)", 0.28, energy({v0: VACANCY}) - e0 + mu_li)
    row("L1 vacancy moved to L2 (L2 Li fills it), Li/Li2S", 0.15, energy({l2[0]: VACANCY}) - energy({v0: VACANCY}))
    dE = energy({bulk_nb: VACANCY}) - energy({bulk: VACANCY})
    row("hop barrier: Li into a vacancy, bulk Li", 0.055, _kra_barrier(dE, kra_eV(HOST, False, model.kra_eV)))

    if settings.composition.solute_fraction > 0:
        mg1 = int(nbr[bulk, 1])
        e_mg = energy({mg1: SOLUTE})
        row("bulk Li-Mg vacancy formation, Mg at 1st neighbour", 0.53,
            energy({mg1: SOLUTE, bulk: VACANCY}) - e_mg + mu_li)
        layer_b = bulk // spl
        mg3 = _site_at_distance(lat, bulk, layer_b, a * math.sqrt(2))
        row("bulk Li-Mg vacancy formation, Mg at 3rd neighbour", 0.50,
            energy({mg3: SOLUTE, bulk: VACANCY}) - energy({mg3: SOLUTE}) + mu_li)

        m = l2[0]                                               # Mg at an L2 neighbour (3.04 A)
        s_li = next(x for x in l2 if abs(_min_image_distance(lat, m, x) - a) < 0.05)
        start = energy({m: SOLUTE, v0: VACANCY})
        row("Li-Mg/Li2S: L1 vacancy next to Mg filled by L2 Li", -0.16, energy({m: SOLUTE, s_li: VACANCY}) - start)
        far = _site_at_distance(lat, v0, 1, a * math.sqrt(4.75))  # L2 site ~7.45 A from the Mg in L1
        row("Li-Mg/Li2S: L1 vacancy next to Mg filled by L2 Mg", -0.67, energy({v0: SOLUTE, far: VACANCY}) - start)
        mg_l1 = _site_at_distance(lat, v0, 0, a * math.sqrt(2))   # Mg in L1 at 4.96 A
        fill = next(x for x in l2 if all(n != mg_l1 for n in nbr[x]))
        row("Li-Mg/Li2S: L1 vacancy 4.9 A from Mg filled by adjacent Li", 0.13,
            energy({mg_l1: SOLUTE, fill: VACANCY}) - energy({mg_l1: SOLUTE, v0: VACANCY}))

        # Li hop next to Mg: Mg beside the hopping Li's start site, vacancy at its target.
        j = bulk_nb
        mg_j = next(int(n) for n in nbr[j] if n >= 0 and n != bulk)
        changes = {mg_j: SOLUTE}
        dE = energy({**changes, j: VACANCY}) - energy({**changes, bulk: VACANCY})
        assert near_mg(changes, bulk, j)
        row("hop barrier: Li next to Mg", 0.061, _kra_barrier(dE, kra_eV(HOST, True, model.kra_eV)))
        dE = energy({bulk: SOLUTE, bulk_nb: VACANCY}) - energy({bulk_nb: SOLUTE, bulk: VACANCY})
        row("hop barrier: Mg in dilute Li-Mg", 0.102, _kra_barrier(dE, kra_eV(SOLUTE, False, model.kra_eV)))
    return rows


def derived_quantities(settings: Settings) -> list[dict]:
    """Model outputs that follow from the fit, next to the literature values they stand for."""
    en = settings.energy
    a = settings.lattice.lattice_constant_A
    to_J_m2 = units.J_PER_M2_PER_EV_PER_A2 / a**2
    gamma = 2 * en.host_host_bond_eV * to_J_m2
    w_ad = (en.adhesion_host_eV + 2 * en.interface_vacancy_pair_eV) * to_J_m2
    cos_theta = w_ad / gamma - 1
    theta = math.degrees(math.acos(max(-1.0, min(1.0, cos_theta))))
    out = [
        {"name": "Li (001) surface energy", "target": 0.416, "model": gamma, "unit": "J/m^2",
         "note": "target from W_ad 0.39 J/m^2 and 93.6 deg (Young-Dupre)"},
        {"name": "work of adhesion Li/Li2S (extended contact)", "target": 0.39, "model": w_ad, "unit": "J/m^2",
         "note": "DFT"},
        {"name": "wetting angle of an interface void, Li/Li2S", "target": 93.6, "model": theta, "unit": "deg",
         "note": "DFT; cos(theta) = W_ad/gamma - 1 on (001)"},
    ]
    if settings.composition.solute_fraction > 0:
        q = settings.boundary.vacancy_formation_eV + (en.host_solute_bond_eV - en.host_host_bond_eV) + settings.kinetics.kra_solute_eV
        out.append({"name": "Mg diffusion activation energy (vacancy next to Mg + Mg hop)",
                    "target": 0.60, "model": q, "unit": "eV",
                    "note": "from DFT D_Mg at 25 and 60 C"})
    return out
