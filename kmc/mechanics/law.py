"""What the mechanics adds to the metal's creep law (kmc.physics.creep.NortonLaw, driven by the von
Mises stress: eps_e = eps0 (sigma_e / sigma0)^n, eps_dot_ij = (3/2) (eps_e / sigma_e) s_ij, sigma_e =
sqrt(3/2 s:s), eps_e = sqrt(2/3 eps_dot:eps_dot), so uniaxial tension sigma creeps at eps0
(sigma/sigma0)^n, the form in which seed 003 writes its law and Masias et al. 2019 measured Li).  The
mechanics takes the law's isothermal view at the cell's temperature (``NortonLaw.at``).  Here: the
size-dependent strength of the islands between voids.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.physics.creep import NortonLaw
from kmc.physics.strength import SizeStrength


@dataclass(frozen=True)
class LigamentStrength:
    """Li's size-dependent strength (kmc.physics.strength.SizeStrength: Xu et al. 2017, with its
    temperature dependence) as it enters a Norton solid: a feature of size w flows as the Norton law
    with its reference stress raised by

        f(w) = max(1, sigma_y(w, T) / sigma_bulk),

    sigma_y the uniaxial strength of micropillars of that size at the cell's temperature, measured at
    ``strain_rate_per_s``, and sigma_bulk the law's own uniaxial flow stress at that rate (so f
    compares the two at the rate the pillars were measured at, and keeps the law's exponent n at
    every other rate).  f = 1 where the fit falls to bulk: the size effect only strengthens.  Which
    size a feature has is the caller's (kmc.mechanics.reduced: the smaller of a void's width and its
    ligaments')."""
    strength: SizeStrength
    temperature_K: float
    strain_rate_per_s: float

    def __post_init__(self):
        for name in ("temperature_K", "strain_rate_per_s"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"LigamentStrength.{name} = {value!r}: must be > 0")

    def stress_factor(self, law: NortonLaw, width_um):
        """f(w) >= 1 for features of these sizes (um; a number or an array)."""
        bulk_MPa = law.effective_stress_MPa(self.strain_rate_per_s)
        return np.maximum(1.0, self.strength.strength_MPa(width_um, self.temperature_K) / bulk_MPa)

    def bulk_width_um(self, law: NortonLaw) -> float:
        """The size at which the fit falls to the law's bulk stress (f = 1 beyond)."""
        bulk_MPa = law.effective_stress_MPa(self.strain_rate_per_s)
        s, T = self.strength, self.temperature_K
        return s.reference_size_um * (s.reference_strength_MPa(T) / bulk_MPa) ** (1.0 / s.exponent(T))
