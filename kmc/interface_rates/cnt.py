"""Classical nucleation theory of an interface void (kmc.physics.nucleation: a spherical cap on the
flat electrolyte, its angle measured through the void, 180 deg minus the metal's wetting angle),
with the interface energetics the cell-scale voids use (kmc.energetics.interface_energetics: the
surface energy and wetting angle of the model at L1's equilibrium composition).  Continuum, isotropic
gamma: a reference for the lattice's critical size, not a rate."""
from __future__ import annotations

import math
from dataclasses import dataclass

from kmc import units
from kmc.physics import nucleation, vacancy


@dataclass(frozen=True)
class Nucleus:
    radius_nm: float        # of the critical cap's sphere
    vacancies: float
    barrier_eV: float
    gamma_J_m2: float
    theta_deg: float        # the metal's wetting angle (the void's angle is 180 deg minus it)


def critical_nucleus(settings, supersaturation: float, gamma_theta=None) -> Nucleus:
    """The classical critical nucleus at S; ``gamma_theta`` = (gamma in J/m^2, the metal's wetting angle
    in degrees), by default kmc.energetics.interface_energetics'."""
    if supersaturation <= 1:
        return Nucleus(math.inf, math.inf, math.inf, math.nan, math.nan)
    if gamma_theta is None:
        from kmc.energetics import interface_energetics
        iface = interface_energetics(settings)
        gamma_theta = (iface.surface_energy_J_m2, iface.wetting_angle_deg)
    gamma, theta = gamma_theta
    omega_A3 = vacancy.atomic_volume_bcc(settings.lattice.lattice_constant_A)
    gamma_eV_A2 = gamma / units.J_PER_M2_PER_EV_PER_A2
    kT = units.kT_eV(settings.conditions.temperature_K)
    cap = nucleation.VoidCap.of_wetting_angle(theta)
    return Nucleus(nucleation.critical_radius_A(gamma_eV_A2, omega_A3, kT, supersaturation) / 10,
                   nucleation.critical_vacancies(gamma_eV_A2, omega_A3, kT, supersaturation, cap),
                   nucleation.barrier_eV(gamma_eV_A2, omega_A3, kT, supersaturation, cap), gamma, theta)
