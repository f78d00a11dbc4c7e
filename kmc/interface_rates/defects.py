"""Pre-existing interface defects at the steady interface, and whether they grow into voids.

A defect here is a set of missing metal atoms at the contact, set into the initial state of a
steady-interface run (``defect_occupancy``: the steady start of kmc.interface_rates.steady with the
defect's sites vacant; no engine change):
- ``"cap"``: a small interface void, the n sites nearest a point of the contact plane
  (kmc.interface_rates.voids.cap_sites: a hemisphere on the electrolyte, contact angle ~90 deg);
- ``"pit"``: a flat pit in the metal's contact, a w x w square of L1 sites and the (w - 1)^2 L2
  sites beneath it (each under four of the square's L1 sites): w^2 + (w - 1)^2 missing atoms, two
  layers deep, the shape of a contact left by a missing terrace rather than a cap.

Both are vacancy clusters of the model, so the metal can refill them: such a defect is a state on
the nucleation path, and what it contributes is its committor, the probability that its largest
interface cluster reaches lambda_B (a committed nucleus, kmc.interface_rates.report.LADDER) before it
dissolves below lambda_low (FFS's basin A).  A defect density rho gives rho P voids; after it
dissolves the interface nucleates at the perfect interface's I(S).  A permanent defect (an
electrolyte-side feature the metal cannot refill) would change site energies and is not built.

Trials are independent (each starts from its own seeded steady gas and RNG stream), so the number
that grow is binomial and P's standard error is sqrt(P (1 - P) / trials).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from kmc.interface_rates import steady
from kmc.interface_rates.clusters import ClusterFinder
from kmc.interface_rates.voids import cap_sites
from kmc.species import VACANCY

DEFECT_KINDS = ("cap", "pit")


def pit_sites(lattice, width: int) -> np.ndarray:
    """A width x width square of L1 sites at the box's centre and the L2 sites all four of whose L1
    neighbours lie in it ((width - 1)^2 of them)."""
    spl = lattice.sites_per_layer
    nx, ny = int(lattice.cells[0]), int(lattice.cells[1])
    if not (1 <= width <= min(nx, ny) - 2):
        raise ValueError(f"pit width = {width!r}; allowed: 1 .. {min(nx, ny) - 2} on a {nx}x{ny}-cell box "
                         "(the pit must leave a rim of contact)")
    a = lattice.lattice_constant_A
    xy = lattice.positions_A[:spl, :2]
    col = np.round((xy - xy.min(axis=0)) / a).astype(int)
    lo = np.array([(nx - width) // 2, (ny - width) // 2])
    inside = np.all((col >= lo) & (col < lo + width), axis=1)
    l1 = np.flatnonzero(inside)
    in_pit = np.zeros(lattice.n_sites, bool)
    in_pit[l1] = True
    l2 = np.arange(spl, 2 * spl)
    nb = lattice.neighbors[l2]
    up = np.where((nb >= 0) & (nb < spl), nb, -1)
    below = l2[np.array([(row[row >= 0].size == 4) and in_pit[row[row >= 0]].all() for row in up])]
    return np.concatenate([l1, below])


def defect_sites(lattice, kind: str, size: int) -> np.ndarray:
    """The defect's missing sites: ``size`` vacancies for a cap, the square's width for a pit."""
    if kind == "cap":
        if not (1 <= size <= lattice.sites_per_layer):
            raise ValueError(f"cap size = {size!r}; allowed: 1 .. {lattice.sites_per_layer} vacancies")
        return cap_sites(lattice, size)
    if kind == "pit":
        return pit_sites(lattice, size)
    raise ValueError(f"defect kind = {kind!r}; allowed: {', '.join(DEFECT_KINDS)}")


def defect_occupancy(settings, supersaturation: float, kind: str, size: int, seed: int) -> np.ndarray:
    """The initial state: the steady start at S (steady.seeded_occupancy) with the defect vacant."""
    from kmc.model import build_lattice
    st = steady.steady_settings(settings, supersaturation)
    occ = steady.seeded_occupancy(st, supersaturation, seed, "random")
    occ[defect_sites(build_lattice(st), kind, size)] = VACANCY
    return occ


@dataclass
class GrowthProbability:
    kind: str
    size: int                  # the cap's vacancies, or the pit's width
    vacancies: int             # missing sites placed
    supersaturation: float
    probability: float         # grown / trials
    standard_error: float      # binomial, sqrt(P(1 - P)/trials) (1/trials^(1/2) floor at P = 0 or 1)
    grown: int
    trials: int
    undecided: int             # trials that hit max_events between the two bounds (counted as not grown)
    mean_decision_time_s: float
    events: int
    wall_s: float


def _growth_trial(settings, supersaturation, kind, size, lambda_low, lambda_B, check_events, max_events, seed):
    """One run from the placed defect (a piece, seeded by ``seed``): (grown, undecided, events, time s)."""
    from kmc.simulation import Simulation
    st = steady.steady_settings(settings, supersaturation)
    finder = ClusterFinder(st)
    sim = Simulation(st.replaced(run={"seed": int(seed)}),
                     defect_occupancy(settings, supersaturation, kind, size, seed))
    done, lam = 0, finder(sim)
    while lambda_low <= lam < lambda_B and done < max_events:
        sim.step(check_events)
        done += check_events
        lam = finder(sim)
    return bool(lam >= lambda_B), bool(lambda_low <= lam < lambda_B), done, sim.time_s


def growth_probability(settings, supersaturation: float, kind: str, size: int, lambda_low: int = 3,
                       lambda_B: int = 28, trials: int = 40, check_events: int = 20,
                       max_events: int = 2_000_000, root_seed: int = 41, runner=None) -> GrowthProbability:
    """Fraction of independent runs from a placed defect whose largest interface cluster reaches
    ``lambda_B`` before it falls below ``lambda_low`` (module docstring), with its binomial error.
    Run k is seeded root_seed * 100000 + k; the runs are pieces on ``runner``
    (kmc.interface_rates.pieces; None: here), summed in index order."""
    from kmc.interface_rates import pieces
    from kmc.model import build_lattice
    wall = time.time()
    st = steady.steady_settings(settings, supersaturation)
    n_vac = int(defect_sites(build_lattice(st), kind, size).size)
    runs = (runner or pieces.SERIAL).map(
        _growth_trial, [(settings, supersaturation, kind, size, lambda_low, lambda_B, check_events, max_events,
                         root_seed * 100_000 + k) for k in range(trials)], f"{kind} {size} at S = {supersaturation:g}")
    grown, undecided, events, t_sum = 0, 0, 0, 0.0
    for g, u, done, t in runs:
        grown += g
        undecided += u
        events += done
        t_sum += t
    p = grown / trials
    se = math.sqrt(max(p * (1 - p), 1.0 / trials) / trials)
    return GrowthProbability(kind, int(size), n_vac, float(supersaturation), p, se, grown, trials, undecided,
                             t_sum / trials, events, time.time() - wall)
