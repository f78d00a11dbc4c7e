"""Surface diffusion on a void's walls."""
from __future__ import annotations


def mullins_coefficient(surface_diffusivity: float, gamma_eV_A2: float, atomic_volume_A3: float,
                        kT_eV: float) -> float:
    """B of Mullins' time tau = r^4 / B = kT r^4 / (D_s gamma Omega^(4/3)) for surface diffusion to
    reshape a void of size r (surface site density Omega^(-2/3)); in D_s's units times A^2 (0 if
    D_s = 0)."""
    return surface_diffusivity * gamma_eV_A2 * atomic_volume_A3 ** (4 / 3) / kT_eV
