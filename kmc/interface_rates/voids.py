"""An existing interface void at the steady interface: its capture and emission of vacancies
against its size and S (the probability that a pre-existing void grows past the nucleation
stage is in kmc.interface_rates.defects).

The void is placed as a compact cap: the n sites nearest a point of the contact plane at the box's
centre (a hemisphere on the electrolyte, the shape of a void of contact angle ~90 deg; the model's
Li/Li2S angle is 93.6 deg).  Its size is the order parameter of kmc.interface_rates.clusters (the largest
interface vacancy cluster), read every ``check_events`` events.  Capture and emission are the
rates of its +1 and -1 steps (a vacancy joining or leaving the cluster between two readings),
counted while the size stays within +-``window`` of n: at S they are the k+(n, S) and k-(n) of a
cluster-size master equation, with the engine's own kinetics; k+ = k- marks the critical size.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc.interface_rates import steady
from kmc.interface_rates.clusters import ClusterFinder
from kmc.species import VACANCY


def cap_sites(lattice, n: int) -> np.ndarray:
    """The n sites nearest the contact plane's centre (ties broken by site index)."""
    pos = lattice.positions_A
    centre = np.array([lattice.box_A[0] / 2, lattice.box_A[1] / 2, -0.5 * lattice.layer_spacing_A])
    d = pos - centre
    d[:, :2] -= np.round(d[:, :2] / lattice.box_A[:2]) * lattice.box_A[:2]
    order = np.lexsort((np.arange(len(pos)), np.round((d ** 2).sum(axis=1), 6)))
    return order[:n]


def void_occupancy(settings, supersaturation: float, n: int, seed: int) -> np.ndarray:
    """The steady start (steady.seeded_occupancy) with a cap void of n vacancies in the middle."""
    from kmc.model import build_lattice
    st = steady.steady_settings(settings, supersaturation)
    occ = steady.seeded_occupancy(st, supersaturation, seed, "random")
    cap = cap_sites(build_lattice(st), n)
    occ[cap] = VACANCY
    return occ


@dataclass
class CaptureEmission:
    size: int
    supersaturation: float
    capture_per_s: float
    capture_se_per_s: float
    emission_per_s: float
    emission_se_per_s: float
    steps: int          # +-1 steps counted
    time_s: float


def capture_emission(settings, supersaturation: float, n: int, seeds=(1, 2, 3, 4), events: int = 40_000,
                     check_events: int = 20, window: int = 2) -> CaptureEmission:
    """k+(n, S) and k-(n) of a placed void of n vacancies (per void per second), from one run per
    seed; standard errors from the replicas' spread."""
    from kmc.simulation import Simulation
    st = steady.steady_settings(settings, supersaturation)
    finder = ClusterFinder(st)
    ups, downs, times = [], [], []
    for seed in seeds:
        s = st.replaced(run={"seed": int(seed)})
        sim = Simulation(s, void_occupancy(settings, supersaturation, n, int(seed)))
        lam, t_prev, up, down, t_in = finder(sim), sim.time_s, 0, 0, 0.0
        done = 0
        while done < events:
            sim.step(check_events)
            done += check_events
            new = finder(sim)
            if abs(lam - n) <= window:
                t_in += sim.time_s - t_prev
                up += new > lam
                down += new < lam
            lam, t_prev = new, sim.time_s
        ups.append(up)
        downs.append(down)
        times.append(t_in)
    ups, downs, times = np.array(ups, float), np.array(downs, float), np.array(times)
    T = times.sum()

    def ratio_se(counts):
        if T <= 0:             # never within the window: no rate (kmc rates says so)
            return math.nan, math.nan
        r = counts.sum() / T
        if len(counts) < 2:
            return r, r / math.sqrt(max(counts.sum(), 1))
        resid = counts - r * times
        return r, math.sqrt(len(counts) / (len(counts) - 1) * float((resid ** 2).sum())) / T

    kp, kp_se = ratio_se(ups)
    km, km_se = ratio_se(downs)
    return CaptureEmission(n, supersaturation, kp, kp_se, km, km_se, int(ups.sum() + downs.sum()), float(T))
