"""Li's size-dependent strength (docs/physics.md sections 7 and 9): micrometre Li is far stronger than
bulk Li, and the smaller the stronger.

Xu, Ahmad, Aryanfar, Viswanathan & Greer, PNAS 114, 57 (2017), compressed single-crystal Li pillars
of ~1-10 um: at room temperature sigma_y = 105 MPa at 1.4 um and sigma_y ~ d^-0.68; at 90 C ~35 MPa
with sigma_y ~ d^-1.00.  A power law through a reference size and strength at each of the two
measured temperatures,

    sigma_y(d, T) = sigma_ref(T) (d / d_ref)^-m(T),

with ln sigma_ref and m linear in T between the two measurements and held beyond them (no third
temperature was measured: a run outside 298-363 K takes the nearer end, and says so only through
its inputs).  Units: um, MPa, K."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SizeStrength:
    """Two measured power laws sigma_y = strength (d / reference_size)^-exponent, at ``cold_K`` and
    ``hot_K`` (the [meso] ligament keys; params/*.toml give the source)."""
    reference_size_um: float
    cold_K: float
    cold_strength_MPa: float
    cold_exponent: float
    hot_K: float
    hot_strength_MPa: float
    hot_exponent: float

    def __post_init__(self):
        for name in ("reference_size_um", "cold_K", "cold_strength_MPa", "cold_exponent", "hot_K",
                     "hot_strength_MPa", "hot_exponent"):
            if not getattr(self, name) > 0:
                raise ValueError(f"SizeStrength.{name} = {getattr(self, name)!r}: must be > 0")
        if not self.hot_K > self.cold_K:
            raise ValueError(f"SizeStrength.hot_K = {self.hot_K!r} must be above cold_K = {self.cold_K!r}")

    def _share(self, temperature_K: float) -> float:
        """Where T lies between the two measurements (0 at cold_K, 1 at hot_K; held outside)."""
        return min(1.0, max(0.0, (temperature_K - self.cold_K) / (self.hot_K - self.cold_K)))

    def exponent(self, temperature_K: float) -> float:
        """m(T), linear between the two measured exponents."""
        u = self._share(temperature_K)
        return (1 - u) * self.cold_exponent + u * self.hot_exponent

    def reference_strength_MPa(self, temperature_K: float) -> float:
        """sigma_ref(T) at reference_size_um, log-linear between the two measured strengths."""
        u = self._share(temperature_K)
        return math.exp((1 - u) * math.log(self.cold_strength_MPa) + u * math.log(self.hot_strength_MPa))

    def strength_MPa(self, size_um, temperature_K: float):
        """sigma_y (MPa) of Li of this size (um; a number or an array) at this temperature."""
        return self.reference_strength_MPa(temperature_K) * (
            np.asarray(size_um, float) / self.reference_size_um) ** -self.exponent(temperature_K)
