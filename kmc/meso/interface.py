"""What the interface's composition does to the voids, from the energy model: L1 in segregation
equilibrium with the bulk and the void's surface energy and wetting angle there
(kmc.fit.interface_energetics), and L1's solute against a subsurface that stripping enriches."""
from __future__ import annotations

from dataclasses import dataclass

from kmc.config import Settings

# Subsurface solute fractions at which the L1 equilibrium is tabulated: the bulk's x doubled up to the
# schema's highest solute fraction (0.7); L1 = 1 at x = 1 (no host left to segregate against)
_CURVE_TOP = 0.7
# Metropolis sweeps per point of that table (equilibration, sampling): the L1 fraction's standard
# error is ~1e-3 (kmc.fit's own 400 + 1600 give 2e-4 at 0.593 in 0.7 s per point)
_CURVE_SWEEPS = (100, 400)
# The table depends on the energy parameters, the lattice, the species, the composition and the
# temperature only; a process computes it once per such set.
_CURVE_CACHE: dict = {}


@dataclass(frozen=True)
class InterfaceEnergetics:
    """The interface at L1's equilibrium composition (Li: W_ad 0.39 J/m^2, gamma 0.416 J/m^2, 93.6 deg,
    the DFT rows the model is fitted to; Li-Mg at its L1, 0.593 Mg per site: 0.698, 0.458, 58.4 deg,
    where seed 004's DFT gives 87.1 deg at a composition it does not state).  The void walls are
    taken to carry the same surface arrangement as L1 (gamma of a free surface whose top layer holds
    it)."""
    wetting_angle_deg: float           # the metal's, on the electrolyte
    surface_energy_J_m2: float
    work_of_adhesion_J_m2: float
    interface_solute_equilibrium: float     # L1 solute fraction at the bulk's x
    # (subsurface x, L1 solute fraction) rows of the L1 equilibrium against a subsurface enriched to
    # x, x rising (for the interface_solute_fraction observable); () without a solute
    solute_curve: tuple


def interface_energetics(settings: Settings) -> InterfaceEnergetics:
    """kmc.fit.interface_energetics (semi-grand-canonical L1 against the bulk's x at the run's
    temperature, cached per parameter set) and the L1 table against the subsurface (each row
    kmc.fit.l1_equilibrium at that subsurface x)."""
    from kmc import fit
    iface = fit.interface_energetics(settings)
    x = settings.composition.solute_fraction
    key = tuple((k, repr(v)) for section in (settings.energy, settings.lattice, settings.species)
                for k, v in section.items()) + (x, settings.conditions.temperature_K)
    if key not in _CURVE_CACHE:
        curve = ()
        if x > 0:
            xs = [x]
            while 2 * xs[-1] < _CURVE_TOP:
                xs.append(2 * xs[-1])
            xs.append(_CURVE_TOP)
            l1 = [fit.l1_equilibrium(settings.with_overrides([f"composition.solute_fraction={xi!r}"]),
                                     sweeps=_CURVE_SWEEPS).fraction for xi in xs]
            curve = tuple(zip(xs + [1.0], l1 + [1.0]))
        _CURVE_CACHE[key] = curve
    return InterfaceEnergetics(iface["theta_deg"], iface["gamma_J_m2"], iface["w_ad_J_m2"], iface["x"],
                               _CURVE_CACHE[key])
