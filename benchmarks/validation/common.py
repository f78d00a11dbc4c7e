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


def student_t_cdf(t: float, dof: float) -> float:
    """P(T <= t) for Student's t with ``dof`` (> 0, not necessarily whole) degrees of freedom:
    1/2 plus the density integrated from 0 to |t| (Simpson, 1000 intervals after the substitution
    x = tan(u), which keeps the heavy tails of one or two degrees of freedom finite); accurate
    to ~1e-8 for the dof and t a handful of replicas give."""
    if dof <= 0:
        raise ValueError("degrees of freedom must be positive")
    log_norm = math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2) - 0.5 * math.log(dof * math.pi)
    upper = math.atan(abs(t))
    n = 1000
    h = upper / n

    def integrand(u):   # density at x = tan(u) times dx/du
        x = math.tan(u)
        return math.exp(log_norm - (dof + 1) / 2 * math.log1p(x * x / dof)) / math.cos(u) ** 2

    area = integrand(0.0) + integrand(upper)
    area += sum((4 if i % 2 else 2) * integrand(i * h) for i in range(1, n))
    area *= h / 3
    return 0.5 + math.copysign(area, t)


def student_t_quantile(p: float, dof: float) -> float:
    """The t with student_t_cdf(t, dof) = p (0.5 < p < 1), by bisection."""
    lo, hi = 0.0, 1.0
    while student_t_cdf(hi, dof) < p:
        hi *= 2
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if student_t_cdf(mid, dof) < p else (lo, mid)
    return 0.5 * (lo + hi)


def welch_dof(se_a: float, n_a: int, se_b: float, n_b: int) -> float:
    """Welch-Satterthwaite degrees of freedom of the difference of two means with standard errors
    se_a, se_b from n_a, n_b replicas (a group with zero scatter contributes no uncertainty)."""
    terms = [se ** 4 / (n - 1) for se, n in ((se_a, n_a), (se_b, n_b)) if se > 0]
    if not terms:
        return math.inf
    return (se_a ** 2 + se_b ** 2) ** 2 / sum(terms)
