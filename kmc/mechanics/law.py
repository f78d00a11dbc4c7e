"""The metal's creep law as plain numbers: Norton (power-law) creep driven by the von Mises stress.

    eps_e = eps0 (sigma_e / sigma0)^n,   eps_dot_ij = (3/2) (eps_e / sigma_e) s_ij,

sigma_e = sqrt(3/2 s:s) the von Mises stress, s the deviator, eps_e = sqrt(2/3 eps_dot:eps_dot) the
equivalent strain rate (so uniaxial tension sigma creeps at eps0 (sigma/sigma0)^n, the form in which
seed 003 writes its law and Masias et al. 2019 measured Li).  The temperature factor is the
caller's: this is the law at the cell's temperature (kmc.physics.creep's power law, with the
inverse and the tensor form the solver needs).  The shipped numbers are params/*.toml
``[creep]`` (7.7e-3 /s at 1 MPa, n = 6.6; kmc.model.creep_strain_rate_per_s evaluates the same law).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.physics.creep import power_law_strain_rate_per_s


@dataclass(frozen=True)
class NortonLaw:
    """eps_e = reference_strain_rate_per_s (sigma_e / reference_stress_MPa)^stress_exponent."""
    reference_strain_rate_per_s: float
    reference_stress_MPa: float
    stress_exponent: float

    def __post_init__(self):
        for name in ("reference_strain_rate_per_s", "reference_stress_MPa", "stress_exponent"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"NortonLaw.{name} = {value!r}: must be > 0")

    def strain_rate_per_s(self, effective_stress_MPa: float) -> float:
        """Equivalent (von Mises) strain rate at an equivalent stress."""
        if effective_stress_MPa <= 0:
            return 0.0
        return power_law_strain_rate_per_s(self.reference_strain_rate_per_s, effective_stress_MPa,
                                           self.reference_stress_MPa, self.stress_exponent)

    def effective_stress_MPa(self, strain_rate_per_s: float) -> float:
        """The inverse: equivalent stress that creeps at an equivalent strain rate."""
        if strain_rate_per_s <= 0:
            return 0.0
        return self.reference_stress_MPa * (strain_rate_per_s / self.reference_strain_rate_per_s) ** (1.0 / self.stress_exponent)

    def scaled(self, strain_rate_factor: float) -> "NortonLaw":
        """The same law creeping ``strain_rate_factor`` times faster at every stress (an Arrhenius
        factor, or an input's error band)."""
        return NortonLaw(self.reference_strain_rate_per_s * strain_rate_factor, self.reference_stress_MPa,
                         self.stress_exponent)


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
