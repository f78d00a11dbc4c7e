"""Classical nucleation theory of an interface void (a spherical cap on the flat electrolyte,
contact angle theta), with the model's own surface energy and wetting angle (kmc.fit's rows: the
(001) surface energy gamma and the angle of voids >= 2 layers tall).

    r* = 2 gamma Omega / (kT ln S),   dG* = 16 pi gamma^3 Omega^2 / (3 (kT ln S)^2) f(theta),
    n* = (4 pi r*^3 / 3 Omega) f(theta),   f(theta) = (2 + cos theta)(1 - cos theta)^2 / 4

(Volmer's heterogeneous factor, the cap's share of the sphere's volume, with theta the model's
void contact angle as kmc.fit defines it).  Continuum, isotropic gamma: a reference for the
lattice's critical size, not a rate."""
from __future__ import annotations

import math
from dataclasses import dataclass

from kmc import units

EV_PER_J = 1.0 / 1.602176634e-19


@dataclass(frozen=True)
class Nucleus:
    radius_nm: float
    vacancies: float
    barrier_eV: float
    gamma_J_m2: float
    theta_deg: float


def model_surface(settings) -> tuple[float, float]:
    """(gamma in J/m^2, void wetting angle theta in degrees) of the parameter set (kmc.fit)."""
    from kmc.fit import model_value
    gamma = model_value(settings, "surface_energy_001")
    angle = "wetting_angle_alloy" if settings.composition.solute_fraction > 0 else "wetting_angle_host"
    return gamma, model_value(settings, angle)


def critical_nucleus(settings, supersaturation: float, gamma_theta=None) -> Nucleus:
    if supersaturation <= 1:
        return Nucleus(math.inf, math.inf, math.inf, math.nan, math.nan)
    gamma, theta = gamma_theta or model_surface(settings)
    a = settings.lattice.lattice_constant_A
    omega_A3 = a ** 3 / 2                                  # BCC: 2 sites per cubic cell
    gamma_eV_A2 = gamma * EV_PER_J * 1e-20
    dmu = units.kT_eV(settings.conditions.temperature_K) * math.log(supersaturation)
    c = math.cos(math.radians(theta))
    f = (2 + c) * (1 - c) ** 2 / 4
    r = 2 * gamma_eV_A2 * omega_A3 / dmu
    return Nucleus(r / 10, 4 * math.pi * r ** 3 / 3 / omega_A3 * f,
                   16 * math.pi * gamma_eV_A2 ** 3 * omega_A3 ** 2 / (3 * dmu ** 2) * f, gamma, theta)
