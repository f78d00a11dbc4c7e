"""What the interface's composition does to the voids, from the energy model: L1 in segregation
equilibrium with the bulk and the void's surface energy and wetting angle there
(kmc.fit.equilibrium_alloy_interface), L1's solute against a subsurface that stripping enriches, and
the same L1, angle, surface energy and work of adhesion at each local composition the cell's solute
field reaches (``composition_table``; docs/alloy.md §1).
The one provider of these numbers for every scale (the cell-scale models, the classical nucleus of
kmc.interface_rates), with one cache: in the process and on disk."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from kmc.config import Settings
from kmc.disk_cache import cache_root, code_digest, write_whole
from kmc.physics.surface import wetting_angle_deg

# Subsurface solute fractions at which the L1 equilibrium is tabulated: the bulk's x doubled up to the
# schema's highest solute fraction (0.7); L1 = 1 at x = 1 (no host left to segregate against)
_CURVE_TOP = 0.7
# Metropolis sweeps per point of that table (equilibration, sampling): the L1 fraction's standard
# error is ~1e-3 (kmc.fit's own 400 + 1600 give 2e-4 at 0.593 in 0.7 s per point)
_CURVE_SWEEPS = (100, 400)
# The energetics depend on the energy parameters, the lattice, the species, the composition and the
# temperature only (and on the code that computes them): a process computes them once per such set,
# and keeps them on disk (cache_folder) for the next process (~9 s of Metropolis chains for Li-Mg).
_CACHE: dict = {}


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
    # (subsurface x, L1 solute fraction, wetting angle deg, surface energy J/m^2, work of adhesion J/m^2)
    # rows at the solute_curve's x (composition_table; the first row is the four numbers above); ()
    # without a solute
    composition_table: tuple = ()


def cache_folder() -> Path:
    """Where the interface energetics of each parameter set are kept: the interface/ folder of
    kmc.disk_cache.cache_root()."""
    return cache_root() / "interface"


def cache_key(settings: Settings) -> str:
    """The hash of what decides the energetics: the energy, lattice and species sections, the bulk
    solute fraction, the temperature, the table's sampling and the code."""
    decides = {section: {k: repr(v) for k, v in getattr(settings, section).items()}
               for section in ("energy", "lattice", "species")}
    decides.update(solute_fraction=repr(settings.composition.solute_fraction),
                   temperature_K=repr(settings.conditions.temperature_K),
                   curve=repr((_CURVE_TOP, _CURVE_SWEEPS)), code=code_digest())
    return hashlib.sha256(json.dumps(decides, sort_keys=True).encode()).hexdigest()


def _read_cached(path: Path) -> InterfaceEnergetics | None:
    try:
        stored = json.loads(path.read_text())
        stored["solute_curve"] = tuple(tuple(row) for row in stored["solute_curve"])
        stored["composition_table"] = tuple(tuple(row) for row in stored["composition_table"])
        return InterfaceEnergetics(**stored)
    except (OSError, ValueError, TypeError):    # absent, unreadable or from another layout: recompute
        return None


def _write_cached(path: Path, iface: InterfaceEnergetics) -> None:
    """Whole or not at all (kmc.disk_cache.write_whole); an unwritable cache folder only costs the next call the
    time."""
    write_whole(path, lambda f: f.write(json.dumps(dataclasses.asdict(iface)).encode()))


def interface_energetics(settings: Settings) -> InterfaceEnergetics:
    """kmc.fit.equilibrium_alloy_interface (semi-grand-canonical L1 against the bulk's x at the run's
    temperature) and the L1 table against the subsurface (each row kmc.fit.l1_equilibrium at that
    subsurface x), cached per parameter set (cache_key) in the process and in cache_folder()."""
    key = cache_key(settings)
    if key in _CACHE:
        return _CACHE[key]
    path = cache_folder() / f"{key}.json"
    iface = _read_cached(path)
    if iface is None:
        iface = _compute(settings)
        _write_cached(path, iface)
    _CACHE[key] = iface
    return iface


def _compute(settings: Settings) -> InterfaceEnergetics:
    from kmc import fit
    iface = fit.equilibrium_alloy_interface(settings)
    x = settings.composition.solute_fraction
    curve, table = (), ()
    if x > 0:
        xs = [x]
        while 2 * xs[-1] < _CURVE_TOP:
            xs.append(2 * xs[-1])
        xs.append(_CURVE_TOP)
        chains = [fit.l1_equilibrium(settings.replaced(composition={"solute_fraction": xi}),
                                     sweeps=_CURVE_SWEEPS) for xi in xs]
        curve = tuple(zip(xs + [1.0], [c.fraction for c in chains] + [1.0]))
        table = composition_table(settings, iface, xs, chains)
    return InterfaceEnergetics(iface["theta_deg"], iface["gamma_J_m2"], iface["w_ad_J_m2"], iface["x"], curve, table)


def composition_table(settings: Settings, at_bulk: dict, xs: list, chains: list) -> tuple:
    """(subsurface x, L1 solute fraction, wetting angle deg, gamma J/m^2, W_ad J/m^2) rows: the interface
    in segregation equilibrium with a subsurface of solute fraction x, at the curve's x (the chains of
    kmc.fit.l1_equilibrium there): W_ad and gamma averaged over each chain's L1 arrangements
    (kmc.fit.alloy_interface, as kmc.fit.equilibrium_alloy_interface does at the bulk's x), the angle from
    their means.  The first row is the interface as made (``at_bulk``: equilibrium_alloy_interface at the
    bulk's x), so the factors of kmc.resolved.solute are 1 where nothing was stripped."""
    from kmc import fit
    rows = [(xs[0], at_bulk["x"], at_bulk["theta_deg"], at_bulk["gamma_J_m2"], at_bulk["w_ad_J_m2"])]
    for xi, chain in zip(xs[1:], chains[1:]):
        runs = [fit.alloy_interface(settings, columns=cols, cells=fit.EQUILIBRIUM_CELLS) for cols in chain.snapshots]
        w = sum(r["w_ad_J_m2"] for r in runs) / len(runs)
        gamma = sum(r["gamma_J_m2"] for r in runs) / len(runs)
        rows.append((xi, chain.fraction, wetting_angle_deg(w, gamma), gamma, w))
    return tuple(rows)
