"""Helpers shared by the validation scripts (and tests/test_validation.py)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kmc.simulation import Simulation  # noqa: E402


def simulation_with_occupancy(settings, occupancy: np.ndarray) -> Simulation:
    """A Simulation that starts from ``occupancy`` instead of the random alloy of the config
    (tests/test_validation.py checks its rates against total-energy differences)."""
    return Simulation(settings, occupancy=occupancy)


def mean_sem(values) -> tuple[float, float]:
    """Mean and standard error of the mean (ddof=1); sem is NaN for fewer than two values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan


def verdict(ok: bool) -> str:
    return "PASS" if ok else "DIFFERS"
