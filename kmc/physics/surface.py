"""The metal's surfaces: the wetting angle of its contact with the electrolyte (Young-Dupre) and
surface diffusion on a void's walls."""
from __future__ import annotations

import math


def young_dupre_cos_theta(work_of_adhesion: float, surface_energy: float) -> float:
    """cos(theta) = W_ad / gamma - 1 (Young-Dupre; any one unit for both): the metal's wetting angle on
    the electrolyte, theta < 90 deg where W_ad > gamma (lithiophilic)."""
    return work_of_adhesion / surface_energy - 1


def wetting_angle_deg(work_of_adhesion: float, surface_energy: float) -> float:
    """The Young-Dupre angle (deg), 0 where W_ad >= 2 gamma (the metal spreads) and 180 where W_ad <= 0."""
    return math.degrees(math.acos(max(-1.0, min(1.0, young_dupre_cos_theta(work_of_adhesion, surface_energy)))))


def mullins_coefficient(surface_diffusivity: float, gamma_eV_A2: float, atomic_volume_A3: float,
                        kT_eV: float) -> float:
    """B of Mullins' time tau = r^4 / B = kT r^4 / (D_s gamma Omega^(4/3)) for surface diffusion to
    reshape a void of size r (surface site density Omega^(-2/3)); in D_s's units times A^2 (0 if
    D_s = 0)."""
    return surface_diffusivity * gamma_eV_A2 * atomic_volume_A3 ** (4 / 3) / kT_eV


def reshaping_time_s(size_um, mullins_um4_s: float):
    """Mullins' time r^4 / B (s) for surface diffusion to reshape a feature of size r (um, B in
    um^4/s from ``mullins_coefficient``): inf without surface diffusion."""
    if mullins_um4_s <= 0:
        return float("inf")
    return float(size_um) ** 4 / mullins_um4_s


def edge_speed_um_s(height_um, mullins_um4_s: float):
    """How fast surface diffusion moves the edge of a void of this height along the surface it
    meets, toward the Young angle: B / h^3 (um/s), the one speed Mullins' law has near an edge
    whose only length is its height (the retracting edge of a thin film, Srolovitz & Safran,
    J. Appl. Phys. 60, 247 (1986); Wong, Voorhees, Miksis & Davis, Acta Mater. 48, 1719 (2000), whose
    numerical prefactor, of order 1, is left out).  A sliver of a few nm re-wets in microseconds,
    a um-tall wall moves ~B / um^3."""
    h = max(float(height_um), 1e-12)
    return mullins_um4_s / h ** 3
