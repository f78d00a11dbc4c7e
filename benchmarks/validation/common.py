"""Helpers shared by the validation scripts (and tests/test_validation.py)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kmc.engine import VAC  # noqa: E402
from kmc.simulation import Simulation  # noqa: E402


def simulation_with_occupancy(settings, occupancy: np.ndarray) -> Simulation:
    """A Simulation that starts from ``occupancy`` instead of the random alloy of the config.

    The driver has no public way to start from a given configuration, so this rebuilds the
    engine state the way Simulation.__init__ does (its first ``_allocate`` call builds all rate
    tables and lists from the occupancy).  tests/test_validation.py checks the rebuilt rates
    against total-energy differences.
    """
    sim = Simulation(settings)
    occupancy = np.asarray(occupancy, dtype=np.int8)
    if occupancy.shape != sim.occupancy.shape:
        raise ValueError(f"occupancy has {occupancy.size} sites, the box {sim.occupancy.size}")
    sim.occupancy[:] = occupancy
    layers = sim.lattice.layer[occupancy == VAC]
    sim.layer_vacancies[:] = np.bincount(layers, minlength=sim.lattice.n_layers)
    del sim.capacity                      # makes _allocate build, not grow
    sim._allocate(max(1024, 2 * int(np.count_nonzero(occupancy == VAC))))
    return sim


def mean_sem(values) -> tuple[float, float]:
    """Mean and standard error of the mean (ddof=1); sem is NaN for fewer than two values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan


def verdict(ok: bool) -> str:
    return "PASS" if ok else "DIFFERS"
