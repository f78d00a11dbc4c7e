"""Nucleation of a void at the flat electrolyte, and the void's shape there.

One angle convention: a void on the electrolyte is a spherical cap that meets the electrolyte at
the angle alpha measured *through the void*, which is 180 deg minus the metal's wetting angle theta
on the electrolyte (Young's law for the cap: a metal that wets the electrolyte, theta < 90 deg,
makes a tall void, alpha > 90 deg; ``VoidCap.of_wetting_angle``).  Volmer's heterogeneous factor is
the cap's share of the volume of its sphere,

    f(alpha) = (2 + cos alpha)(1 - cos alpha)^2 / 4,

so a lithiophilic metal (Li-Mg, theta 58 deg, alpha 122 deg, f = 0.86) gives its voids a higher
barrier than a lithiophobic one (Li, theta 93.6 deg, alpha 86.4 deg, f = 0.45).  Classical
nucleation at a vacancy supersaturation S, dmu = kT ln S per vacancy, isotropic gamma:

    R* = 2 gamma Omega / dmu,   dG* = (16 pi / 3) gamma^3 Omega^2 f / dmu^2,   n* = (4 pi R*^3 / 3 Omega) f.

Units: gamma in eV/A^2, Omega in A^3, radii in A unless named otherwise."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class VoidCap:
    """A void as a spherical cap on the electrolyte plane, meeting it at ``angle_rad`` measured
    through the void (180 deg minus the metal's wetting angle)."""
    angle_rad: float

    @classmethod
    def of_wetting_angle(cls, wetting_angle_deg: float) -> "VoidCap":
        """The cap of a metal whose wetting angle on the electrolyte is theta: alpha = 180 deg - theta."""
        return cls(math.radians(180.0 - wetting_angle_deg))

    @property
    def wetting_angle_deg(self) -> float:
        """The metal's wetting (Young) angle on the electrolyte, theta = 180 deg - alpha."""
        return 180.0 - math.degrees(self.angle_rad)

    @property
    def height_per_radius(self) -> float:     # h / r = tan(alpha / 2), r the base radius
        return math.tan(self.angle_rad / 2)

    @property
    def volume_per_radius3(self) -> float:    # V / r^3 = pi (2 - 3 cos a + cos^3 a) / (3 sin^3 a)
        c, s = math.cos(self.angle_rad), math.sin(self.angle_rad)
        return math.pi * (2 - 3 * c + c ** 3) / (3 * s ** 3)

    @property
    def volmer_factor(self) -> float:         # the cap's share of its sphere: (2 + cos a)(1 - cos a)^2 / 4
        c = math.cos(self.angle_rad)
        return (2 + c) * (1 - c) ** 2 / 4

    @property
    def section_area_per_chord2(self) -> float:
        """Area of the cap's cut through its axis (a circular segment of chord w = 2 r, what a
        section sees) per w^2: (alpha - sin alpha cos alpha) / (4 sin^2 alpha)."""
        c, s = math.cos(self.angle_rad), math.sin(self.angle_rad)
        return (self.angle_rad - s * c) / (4 * s * s)

    def base_radius(self, sphere_radius):
        """Radius of the cap's footprint on the electrolyte, R sin(alpha)."""
        return sphere_radius * math.sin(self.angle_rad)

    def height_at(self, r, d):
        """Height of the cap of base radius r at lateral distance d < r from its axis (r's unit)."""
        r_sphere = r / math.sin(self.angle_rad)
        return np.sqrt(r_sphere ** 2 - d ** 2) - r_sphere * math.cos(self.angle_rad)


def critical_radius_A(gamma_eV_A2: float, atomic_volume_A3: float, kT_eV: float, supersaturation: float) -> float:
    """R* = 2 gamma Omega / (kT ln S), the radius of the critical cap's sphere (S > 1)."""
    return 2 * gamma_eV_A2 * atomic_volume_A3 / (kT_eV * math.log(supersaturation))


def barrier_eV(gamma_eV_A2: float, atomic_volume_A3: float, kT_eV: float, supersaturation: float,
               cap: VoidCap) -> float:
    """dG* = (16 pi / 3) gamma^3 Omega^2 f(alpha) / (kT ln S)^2 (inf at S <= 1)."""
    if supersaturation <= 1:
        return math.inf
    return (16 * math.pi / 3 * gamma_eV_A2 ** 3 * atomic_volume_A3 ** 2
            * cap.volmer_factor / (kT_eV * math.log(supersaturation)) ** 2)


def critical_vacancies(gamma_eV_A2: float, atomic_volume_A3: float, kT_eV: float, supersaturation: float,
                       cap: VoidCap) -> float:
    """n* = (4 pi R*^3 / 3 Omega) f(alpha): vacancies in the critical cap (inf at S <= 1)."""
    if supersaturation <= 1:
        return math.inf
    r = critical_radius_A(gamma_eV_A2, atomic_volume_A3, kT_eV, supersaturation)
    return 4 * math.pi * r ** 3 / 3 / atomic_volume_A3 * cap.volmer_factor


def classical_rate(prefactor: float, gamma_eV_A2: float, atomic_volume_A3: float, kT_eV: float,
                   supersaturation: float, cap: VoidCap) -> float:
    """I = I0 exp(-dG*/kT) in the prefactor's units; 0 at S <= 1 or I0 = 0."""
    if supersaturation <= 1 or prefactor == 0:
        return 0.0
    return prefactor * math.exp(-barrier_eV(gamma_eV_A2, atomic_volume_A3, kT_eV, supersaturation, cap) / kT_eV)


def rate_at_hop_prefactor(rate_per_um2_s: float, measured_at_Hz: float, prefactor_Hz: float) -> float:
    """A nucleation rate the kMC measured on a box whose hops had the prefactor ``measured_at_Hz``,
    for a box whose hops have ``prefactor_Hz``: I scales as the prefactor.  At a given S the
    measurement (kmc.interface_rates.steady: acceleration 1, no stripping, the reservoir's
    exchange ~ D_v) has no rate that is not a hop's or proportional to one (creep's refill, ~1e-7
    per second per void site at 0.2 MPa, against ~1e12 hops per second), so a common factor on the
    hops is a change of clock: the same trajectories, every time divided by the factor
    (tests/test_vacancy_thermo.py measures it)."""
    return rate_per_um2_s * (prefactor_Hz / measured_at_Hz)


def measured_rate(rows, supersaturation: float) -> float:
    """I(S) from measured (S, I) rows, S rising (``kmc rates``' nucleation rows): log-log
    interpolation between rows; above the last row its rate (there nucleation has no barrier left
    and I saturates, docs/rates.md); below the first, the power law of the first two rows continued
    (the local exponent d ln I / d ln S); 0 at S <= 1."""
    if supersaturation <= 1:
        return 0.0
    s = np.array([r[0] for r in rows], float)
    i = np.array([r[1] for r in rows], float)
    if supersaturation >= s[-1]:
        return float(i[-1])
    if supersaturation <= s[0]:
        exponent = math.log(i[1] / i[0]) / math.log(s[1] / s[0])
        return float(i[0] * (supersaturation / s[0]) ** exponent)
    return float(np.exp(np.interp(math.log(supersaturation), np.log(s), np.log(i))))


class MeasuredRateTable:
    """``measured_rate`` of these rows read off a table on 0.001 steps of log10 S up to S = 1e5 (the
    rule is piecewise linear in log-log, so the table reproduces it to < 1e-3 between its kinks), for
    arrays of S at once; 0 at S <= 1 and without rows."""

    def __init__(self, rows):
        self.log_S = np.arange(1e-3, 5.0 + 1e-9, 1e-3)
        rates = (np.array([measured_rate(rows, 10.0 ** x) for x in self.log_S]) if rows
                 else np.zeros(self.log_S.size))
        self.log_I = np.log10(np.maximum(rates, 1e-300))

    def rate_per_um2_s(self, supersaturation) -> np.ndarray:
        S = np.asarray(supersaturation, float)
        out = np.zeros(S.shape)
        ok = S > 1.0
        if ok.any():
            out[ok] = 10.0 ** np.interp(np.log10(S[ok]), self.log_S, self.log_I)
        return out
