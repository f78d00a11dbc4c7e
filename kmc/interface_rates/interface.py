"""Rates of a single interface vacancy at physical kinetics: its layer-by-layer walk as an exact
birth-death chain, its dwell time in the interface region and its lifetime against escape to the
sinks.

An isolated vacancy in a pure-host [001] slab has the same energy everywhere in a layer, so its
depth is a birth-death chain on the layers: from layer l it hops to l +- 1 through 4 neighbours
each, at 4 nu exp(-Ea/kT), Ea = barrier_eV(E_f(l +- 1) - E_f(l), E_kra) (kmc.rate_rules' one rule), with
E_f(l) the model's own formation energies (kmc.interface_rates.steady.layer_formation_energies_eV; bulk
below L3).  Mean first-passage times of such a chain are exact sums (no sampling, no error but
floating point):  tau(0 -> m) = sum_{k<m} (sum_{j<=k} pi_j) / (pi_k down_k),  pi_j = exp(-E_f(j)/kT),
reflecting at L1.  The engine's brute force checks it (tests/test_physical_kinetics.py).
"""
from __future__ import annotations

import numpy as np

from kmc import units
from kmc.interface_rates.steady import layer_formation_energies_eV
from kmc.model import box_hop_prefactor_Hz
from kmc.physics import vacancy
from kmc.rate_rules import barrier_eV, kra_eV
from kmc.species import HOST

NEAR_LAYERS = 4   # L1..L4: below L3 every layer has the bulk's formation energy


def layer_hop_rates_per_s(settings, n_layers: int):
    """(down rates (1/s), formation energies (eV)) of an isolated vacancy's depth in layers
    0..n_layers-1 (the up rates follow from detailed balance and are not needed)."""
    kT = units.kT_eV(settings.conditions.temperature_K)
    near = layer_formation_energies_eV(settings, NEAR_LAYERS)
    e_f = np.full(n_layers + 1, near[-1])
    e_f[:min(NEAR_LAYERS, n_layers + 1)] = near[:min(NEAR_LAYERS, n_layers + 1)]
    kin = settings.kinetics
    kra = np.array([kin.kra_host_eV, kin.kra_host_near_solute_eV, kin.kra_solute_eV])
    e_kra = kra_eV(HOST, False, kra)
    nu = box_hop_prefactor_Hz(settings)   # the box's hops, whose brute force this checks

    # 4 neighbours in the layer below, each at the hop rate of the model's barrier rule
    down = np.array([4.0 * vacancy.hop_rate_per_s(nu, barrier_eV(float(e_f[k + 1] - e_f[k]), e_kra), kT)
                     for k in range(n_layers)])
    return down, e_f[:n_layers]


def first_passage_time_s(settings, target_layer: int) -> float:
    """Mean time for a vacancy starting in L1 (layer 0) to first reach layer ``target_layer``
    (reflecting at L1; exact)."""
    if target_layer < 1:
        raise ValueError(f"target_layer = {target_layer}; allowed: >= 1 (layer 0 is L1)")
    kT = units.kT_eV(settings.conditions.temperature_K)
    down, e_f = layer_hop_rates_per_s(settings, target_layer)
    pi = vacancy.equilibrium_fraction(e_f - e_f.min(), kT)     # Boltzmann weights of the layers
    return float(np.sum(np.cumsum(pi) / (pi * down)))


def escape_lifetime_s(settings, sink_distance_um: float | None = None) -> float:
    """Mean lifetime of an L1 vacancy against escape to sinks at the sink distance below the
    interface (electrode.sink_distance_um unless given): its first passage to that depth."""
    from kmc.model import build_lattice
    d_A = build_lattice(settings).layer_spacing_A
    L_um = settings.electrode.sink_distance_um if sink_distance_um is None else sink_distance_um
    return first_passage_time_s(settings, max(1, int(round(L_um * 1e4 / d_A))))


def brute_force_first_passage_s(settings, target_layer: int, seeds) -> np.ndarray:
    """The engine's first-passage times of one vacancy from L1 to ``target_layer`` (pure host, a
    closed slab at acceleration 1; one replica per seed), event by event."""
    from kmc.model import build_lattice
    from kmc.pore import perfect_interface
    from kmc.simulation import Simulation
    from kmc.species import VACANCY
    st = settings.replaced(run={"acceleration": 1.0, "deep_box_share": 0.0, "stop_stripped_mAh_cm2": 0.0,
                                "stop_stripped_monolayers": 0.0, "max_events": 1_000_000},
                           boundary={"bottom": "closed"},
                           conditions={"current_density_mA_cm2": 0.0, "stack_pressure_MPa": 0.0},
                           composition={"solute_fraction": 0.0, "vacancy_fraction": 0.0},
                           **perfect_interface(settings))
    lat = build_lattice(st)
    if target_layer >= lat.n_layers:
        raise ValueError(f"target_layer = {target_layer}; allowed: < {lat.n_layers} layers of this box")
    occ = np.full(lat.n_sites, HOST, np.int8)
    occ[0] = VACANCY
    taus = []
    for seed in seeds:
        sim = Simulation(st.replaced(run={"seed": int(seed)}), occ)
        while True:
            sim.step(1)
            (site,) = sim.vacancy_sites()   # the one vacancy: nothing creates or removes one here
            if site // lat.sites_per_layer >= target_layer:
                break
        taus.append(sim.time_s)
    return np.array(taus)
