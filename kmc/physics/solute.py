"""A solute carried by vacancies, and the enrichment that stripping leaves behind it (docs/physics.md
section 4b).  Lengths and times in the caller's consistent units (A and s in the kMC, um and s in
kmc.disc)."""
from __future__ import annotations

import math

import numpy as np


def diffusivity_per_vacancy(binding_eV: float, solute_hop_rate: float, lattice_constant: float, kT_eV: float) -> float:
    """D_solute / c_v of the vacancy mechanism on BCC: a given first neighbour of a solute is vacant
    with probability c_v exp(-E_b/kT) (E_b > 0: the pair repels), the solute jumps into it at
    Gamma_s, and 8 such neighbours at a sqrt(3)/2 give D = c_v exp(-E_b/kT) Gamma_s a^2
    (correlation factor taken as 1)."""
    return math.exp(-binding_eV / kT_eV) * solute_hop_rate * lattice_constant ** 2


def diffusivity(per_vacancy: float, supersaturation: float, c_eq: float) -> float:
    """D_solute at the vacancy fraction S c_eq."""
    return per_vacancy * supersaturation * c_eq


def enrichment_depth(diffusivity_: float, recession_velocity: float) -> float:
    """delta = D / v: the depth over which a solute that is never stripped spreads ahead of a
    surface receding at v (the quasi-steady profile x(z) - x = (x_s - x) exp(-z / delta))."""
    return diffusivity_ / recession_velocity


def subsurface_fraction(bulk_fraction: float, stripped_depth: float, recession_velocity: float,
                        diffusivity_: float) -> float:
    """Solute fraction just below the receding surface after stripping a depth h: none of the
    solute is stripped, so h leaves x h of it in the profile of depth delta = D / v,
    x_s = x (1 + h / delta) (at most 1)."""
    return min(1.0, bulk_fraction * (1 + stripped_depth * recession_velocity / diffusivity_))


def interface_fraction(equilibrium_rows, subsurface_fraction_: float) -> float:
    """The first layer's solute fraction in segregation equilibrium with the metal below it, from
    (subsurface x, L1 x) rows, x rising (kmc.fit.l1_equilibrium's table), linear between rows."""
    xs, l1 = zip(*equilibrium_rows)
    return float(np.interp(subsurface_fraction_, xs, l1))
