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


@dataclass(frozen=True)
class LigamentStrength:
    """A size-dependent strength of the metal's ligaments (the islands of contact between voids), a
    sensitivity (docs/mechanics_sensitivity.md): a ligament of width w flows as the Norton law with
    its reference stress raised by

        f(w) = max(1, sigma_y(w) / sigma_bulk),  sigma_y(w) = strength_MPa (w / reference_width_um)^-exponent,

    sigma_y the uniaxial strength of micropillars measured at ``strain_rate_per_s`` and sigma_bulk
    the law's own uniaxial flow stress at that rate (so f compares the two at the rate the pillars
    were measured at, and keeps the law's exponent n at every other rate).  f = 1 where the fit
    falls to bulk: the size effect only strengthens."""
    strength_MPa: float
    reference_width_um: float
    exponent: float
    strain_rate_per_s: float

    def __post_init__(self):
        for name in ("strength_MPa", "reference_width_um", "exponent", "strain_rate_per_s"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"LigamentStrength.{name} = {value!r}: must be > 0")

    def stress_factor(self, law: NortonLaw, width_um):
        """f(w) >= 1 for ligaments of these widths (um; a number or an array)."""
        bulk_MPa = law.effective_stress_MPa(self.strain_rate_per_s)
        strength = self.strength_MPa * (np.asarray(width_um, float) / self.reference_width_um) ** -self.exponent
        return np.maximum(1.0, strength / bulk_MPa)

    def bulk_width_um(self, law: NortonLaw) -> float:
        """The ligament width at which the fit falls to the law's bulk stress (f = 1 beyond)."""
        bulk_MPa = law.effective_stress_MPa(self.strain_rate_per_s)
        return self.reference_width_um * (self.strength_MPa / bulk_MPa) ** (1.0 / self.exponent)
