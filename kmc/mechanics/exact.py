"""Exact answers the creep solver is checked against (docs/mechanics.md derives each).

Units: the Norton law's own, eps_e = eps0 (sigma_e / sigma0)^n with sigma0 = eps0 = 1 unless given.
"""
from __future__ import annotations

import math


def sphere_shell_volume_rate(pressure: float, inner_radius: float, outer_radius: float, exponent: float,
                             sigma0: float = 1.0, eps0: float = 1.0) -> float:
    """V'/V of a spherical cavity of radius a in a shell of outer radius b loaded by an external
    pressure p (a power-law solid, radial flow u_R = A/R^2, traction-free cavity):

        V'/V = -(3/2) eps0 [3 p / (2 n sigma0 (1 - (a/b)^(3/n)))]^n,

    docs/physics.md section 7's infinite-body rate when b -> infinity (Budiansky, Hutchinson & Slutsky 1982)."""
    shell = 1.0 - (inner_radius / outer_radius) ** (3.0 / exponent)
    return -1.5 * eps0 * (3.0 * pressure / (2.0 * exponent * sigma0 * shell)) ** exponent


def cylinder_shell_area_rate(pressure: float, inner_radius: float, outer_radius: float, exponent: float,
                             sigma0: float = 1.0, eps0: float = 1.0) -> float:
    """A'/A of a cylindrical hole of radius a in a plane-strain tube of outer radius b under an
    external pressure p (u_r = A/r, eps_zz = 0):

        A'/A = -sqrt(3) eps0 [sqrt(3) p / (n sigma0 (1 - (a/b)^(2/n)))]^n."""
    shell = 1.0 - (inner_radius / outer_radius) ** (2.0 / exponent)
    return -math.sqrt(3.0) * eps0 * (math.sqrt(3.0) * pressure / (exponent * sigma0 * shell)) ** exponent


# Prandtl's flat punch on a rigid-perfectly-plastic half-space in plane strain: mean pressure
# (2 + pi) k, k = sigma0 / sqrt(3) the von Mises shear yield stress (Hill, The Mathematical Theory of
# Plasticity, 1950; smooth and rough punches give the same load).  A power-law solid tends to it as
# n -> infinity.
PRANDTL_PUNCH_PRESSURE_PER_YIELD = (2.0 + math.pi) / math.sqrt(3.0)


def boussinesq_punch_force(radius: float, velocity: float, viscosity: float) -> float:
    """Force on a rigid flat circular punch pushed at ``velocity`` into an incompressible linear
    viscous half-space of shear viscosity eta: F = 8 eta a V (Boussinesq's elastic punch,
    F = 2 E* a delta with E* = E / (1 - nu^2) = 4 G at nu = 1/2, by the elastic-viscous analogy;
    at nu = 1/2 the frictionless and the bonded punch coincide)."""
    return 8.0 * viscosity * radius * velocity


def bonded_patch_closing_velocity(pressure: float, radius: float, r, viscosity: float, geometry: str = "cap"):
    """How fast a traction-free patch of a linear viscous (n = 1), incompressible solid bonded to a rigid
    plane closes under a remote pressure p, at distance r from its middle: the patch is a crack with one
    compliant face (Dundurs' beta vanishes for nu = 1/2 against a rigid body, so nothing couples the
    normal and the shear tractions), opening as (4 / pi) (1 - nu^2) / E p (a^2 - r^2)^(1/2) for a disc
    ("cap": a penny-shaped crack) and 2 (1 - nu^2) / E p (a^2 - r^2)^(1/2) for a strip ("slot", plane
    strain), E = 3 eta by the elastic-viscous analogy:

        v(r) = p (a^2 - r^2)^(1/2) / (pi eta)  (cap),      v(x) = p (a^2 - x^2)^(1/2) / (2 eta)  (slot).

    Averaged over the patch, the cap closes at 16 / (3 pi^2) = 0.540 of the slot of the same width
    (docs/area.md: the cap's closure law against the section's)."""
    shape = (1.0 / math.pi) if geometry == "cap" else 0.5
    return shape * pressure * (radius ** 2 - r ** 2) ** 0.5 / viscosity


# A cap's mean closing velocity over a slot's of the same width, both isolated, at n = 1:
# (2/3) (1/pi) / ((pi/4) (1/2)) (bonded_patch_closing_velocity's means)
CAP_OVER_SLOT_CLOSING = 16.0 / (3.0 * math.pi ** 2)
