"""Where the disc model's voids come from: nucleation at the interface's supersaturation (the rate is
kmc.cell.inputs.nucleation_rate_per_um2_s: the kMC's measured I(S), or the classical rate), how fast
it lets a step go, and seeds on pre-existing defect sites."""
from __future__ import annotations

import math

import numpy as np

from kmc.cell.inputs import CellInputs, nucleation_rate_per_um2_s
from kmc.disc.coalescence import _touching_pairs
from kmc.disc.kinetics import VANISHED_RADIUS_um


def nucleation_step_limit_s(inp: CellInputs, supersaturation: float, void_count: int) -> float:
    """At most ~10 % new voids (and 100 at least) per step, so that the new sinks lower S before
    the next step (a burst is self-limiting)."""
    births_per_s = nucleation_rate_per_um2_s(inp, supersaturation) * inp.area_um2
    return (100 + 0.1 * void_count) / births_per_s if births_per_s > 0 else math.inf


def defect_sites(inp: CellInputs, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The pre-existing defects: a Poisson number of sites at uniform random places (um).  The sites
    persist (pits and pores of the electrolyte's surface stay where they are as the metal recedes):
    a site that no void covers holds a seed again (reseed)."""
    n = rng.poisson(inp.defect_density_per_um2 * inp.area_um2)
    return rng.uniform(0, inp.width_um, n), rng.uniform(0, inp.width_um, n)


def reseed(inp: CellInputs, x, y, r, h, defect_x, defect_y, seed_radius_um: float,
           smallest_void_um: float = VANISHED_RADIUS_um):
    """A seed of ``seed_radius_um`` on every defect site where it fits without touching a void
    (found as the touching pairs of the voids and the sites taken as voids of the seed's radius);
    none if the seed radius is below twice ``smallest_void_um`` (creep fills the site faster than
    capture opens it).  A site within a seed radius of a void's rim is that void's edge: seeding
    it would merge at once and add a seed's footprint to the void every step, a growth set by the
    step count and not by any rate."""
    if defect_x.size == 0 or seed_radius_um < 2 * smallest_void_um:
        return x, y, r, h
    n = x.size
    pi_, pj_ = _touching_pairs(np.concatenate((x, defect_x)), np.concatenate((y, defect_y)),
                               np.concatenate((r, np.full(defect_x.size, seed_radius_um))), inp.width_um)
    covered = np.zeros(defect_x.size, bool)
    covered[pj_[(pi_ < n) & (pj_ >= n)] - n] = True
    covered[pi_[(pj_ < n) & (pi_ >= n)] - n] = True
    free = ~covered
    if not free.any():
        return x, y, r, h
    r0 = np.full(int(free.sum()), seed_radius_um)
    return (np.concatenate((x, defect_x[free])), np.concatenate((y, defect_y[free])), np.concatenate((r, r0)),
            np.concatenate((h, r0 * inp.shape.height_per_radius)))
