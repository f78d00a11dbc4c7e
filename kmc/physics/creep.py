"""Power-law creep of the metal (docs/physics.md sections 4 and 7; seed 003's Norton form) and how the
stack pressure focuses onto the contact that is left.

    eps_dot(sigma, T) = eps_ref (sigma / sigma_ref)^n exp(-Q/R (1/T - 1/T_ref))

The stack pressure P is carried by the contact fraction f alone, so the metal at the contact
sees sigma = P / f (``contact_stress_MPa``).  For this law the strain rate there is the rate at P
times f^-n (``focusing_factor``): the engine's creep rule uses the factor (its input is the rate
at full contact, kmc.model.creep_closure_per_void_site_per_s), the disc model (kmc.disc) evaluates
the law at P / f; both are this module's (tests/test_physics.py checks that the two agree).  A law that is not a
pure power law must change both here."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from kmc import units
from kmc.jit import kernel_inlined


@dataclass(frozen=True)
class NortonLaw:
    """The metal's creep law, eps_dot(sigma, T) = eps_ref (sigma / sigma_ref)^n exp(-Q/R (1/T - 1/T_ref)),
    sigma a uniaxial or von Mises (equivalent) stress: the [creep] keys of a parameter file (each with
    its source there).  The one creep law of every scale: the kMC's creep rule and the disc model call
    ``strain_rate_per_s(sigma, T)``; the continuum mechanics (kmc.mechanics) takes the isothermal view
    ``at(T)`` (the same law referred to T, so its ``strain_rate_per_s(sigma)`` needs no temperature)
    with its inverse ``effective_stress_MPa``."""
    reference_strain_rate_per_s: float
    reference_stress_MPa: float
    stress_exponent: float
    activation_energy_kJ_mol: float
    reference_temperature_K: float

    def __post_init__(self):
        for name in ("reference_stress_MPa", "stress_exponent", "reference_temperature_K"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"NortonLaw.{name} = {value!r}: must be > 0")
        for name in ("reference_strain_rate_per_s", "activation_energy_kJ_mol"):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"NortonLaw.{name} = {value!r}: must be >= 0")

    @classmethod
    def of(cls, creep_section) -> "NortonLaw":
        """From a settings section (or anything with these attributes)."""
        return cls(creep_section.reference_strain_rate_per_s, creep_section.reference_stress_MPa,
                   creep_section.stress_exponent, creep_section.activation_energy_kJ_mol,
                   creep_section.reference_temperature_K)

    def strain_rate_per_s(self, stress_MPa: float, temperature_K: float | None = None) -> float:
        """eps_dot (1/s) at ``stress_MPa`` and ``temperature_K`` (None: the law's reference temperature);
        0 at a stress <= 0, inf at an infinite stress."""
        if stress_MPa <= 0:
            return 0.0
        rate = power_law_strain_rate_per_s(self.reference_strain_rate_per_s, stress_MPa, self.reference_stress_MPa,
                                           self.stress_exponent)
        if temperature_K is None:
            return rate
        return rate * math.exp(-self.activation_energy_kJ_mol * units.J_PER_KJ / units.GAS_CONSTANT_J_per_mol_K
                               * (1 / temperature_K - 1 / self.reference_temperature_K))

    def strain_rates_per_s(self, stress_MPa) -> np.ndarray:
        """``strain_rate_per_s`` of every stress of an array, at the reference temperature, bit for bit (the same
        operations in the same order, compiled): the reduced operators ask it for every feature at every ask of
        the press, ~1.5e7 calls of the scalar form in the 160 x 40 um area's."""
        stress = np.ascontiguousarray(stress_MPa, dtype=float)
        out = np.empty(stress.shape)
        _power_law_rates(stress.ravel(), self.reference_strain_rate_per_s, self.reference_stress_MPa,
                         self.stress_exponent, out.ravel())
        return out

    def at(self, temperature_K: float) -> "NortonLaw":
        """The same law referred to ``temperature_K`` (its rate at the reference stress there): the
        isothermal view the mechanics solves with."""
        return replace(self, reference_strain_rate_per_s=self.strain_rate_per_s(self.reference_stress_MPa, temperature_K),
                       reference_temperature_K=temperature_K)

    def effective_stress_MPa(self, strain_rate_per_s: float) -> float:
        """The inverse at the reference temperature: the stress that creeps at ``strain_rate_per_s``."""
        if strain_rate_per_s <= 0:
            return 0.0
        return self.reference_stress_MPa * (strain_rate_per_s / self.reference_strain_rate_per_s) ** (1.0 / self.stress_exponent)

    def effective_stresses_MPa(self, strain_rate_per_s) -> np.ndarray:
        """``effective_stress_MPa`` of every rate of an array, bit for bit (compiled, as ``strain_rates_per_s``)."""
        rate = np.ascontiguousarray(strain_rate_per_s, dtype=float)
        out = np.empty(rate.shape)
        _power_law_stresses(rate.ravel(), self.reference_strain_rate_per_s, self.reference_stress_MPa,
                            1.0 / self.stress_exponent, out.ravel())
        return out

    def scaled(self, strain_rate_factor: float) -> "NortonLaw":
        """The same law creeping ``strain_rate_factor`` times faster at every stress (an input's error band)."""
        return replace(self, reference_strain_rate_per_s=self.reference_strain_rate_per_s * strain_rate_factor)


def power_law_strain_rate_per_s(reference_strain_rate_per_s: float, stress_MPa: float, reference_stress_MPa: float,
                                stress_exponent: float) -> float:
    """Norton's eps_dot0 (sigma / sigma0)^n at one temperature (a uniaxial or von Mises stress > 0)."""
    return reference_strain_rate_per_s * (stress_MPa / reference_stress_MPa) ** stress_exponent


# numpy's error model: a division by zero gives inf or nan, as the scalar form does on numpy's floats
@njit(cache=True, error_model="numpy")
def _power_law_rates(stress_MPa, reference_strain_rate_per_s, reference_stress_MPa, stress_exponent, out):
    """NortonLaw.strain_rate_per_s at the reference temperature on flat arrays (0 at a stress <= 0)."""
    for i in range(stress_MPa.size):
        s = stress_MPa[i]
        out[i] = 0.0 if s <= 0 else reference_strain_rate_per_s * (s / reference_stress_MPa) ** stress_exponent


@njit(cache=True, error_model="numpy")
def _power_law_stresses(rate_per_s, reference_strain_rate_per_s, reference_stress_MPa, inverse_exponent, out):
    """NortonLaw.effective_stress_MPa on flat arrays (0 at a rate <= 0)."""
    for i in range(rate_per_s.size):
        r = rate_per_s[i]
        out[i] = 0.0 if r <= 0 else reference_stress_MPa * (r / reference_strain_rate_per_s) ** inverse_exponent


def contact_stress_MPa(pressure_MPa: float, contact_fraction: float) -> float:
    """sigma = P / f: the stack pressure carried by the contact fraction f (inf at f = 0)."""
    return pressure_MPa / contact_fraction if contact_fraction > 0 else math.inf


@kernel_inlined
def focusing_factor(contact_fraction, stress_exponent):
    """eps_dot(P / f) / eps_dot(P) = f^-n for the Norton law: how much faster the metal creeps at a
    contact fraction f than at full contact (compiled: the engine's creep rule calls it)."""
    return contact_fraction ** (-stress_exponent)
