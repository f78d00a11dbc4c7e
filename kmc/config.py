"""Run configuration: TOML + ``--set section.key=value`` overrides -> validated, immutable settings.

Every key has a type, an allowed range and (where it is not physics) a default.  Energy and rate
parameters have no defaults: they come from a file in ``params/`` together with their sources.
Any error raises ConfigError naming the key and what is allowed, before any work is done.
"""
from __future__ import annotations

import copy
import math
import re
import reprlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable


class ConfigError(ValueError):
    """Bad configuration input; the message names the key and what is allowed."""


REQUIRED = object()  # marks keys that a parameter file must provide


@dataclass(frozen=True)
class Key:
    kind: type | tuple            # python type(s) accepted (int is accepted where float is)
    default: Any
    check: Callable[[Any], bool] | None = None
    allowed: str = ""             # human description of the allowed values


def _pos(x):
    return x > 0


def _nonneg(x):
    return x >= 0


def _frac(x):
    return 0 <= x < 1


def _cells(v):
    return isinstance(v, list) and len(v) == 3 and all(isinstance(c, int) and not isinstance(c, bool)
                                                         and c >= 2 for c in v)


# Integers are stored as int64 (engine counters, HDF5 attributes).
INT64_RANGE = (-2**63, 2**63)
# Sites per orthogonal cell of each orientation, and the largest box: the neighbour table holds
# int32 site indices.
SITES_PER_CELL = {"001": 2, "110": 4}
MAX_SITES = 2**31 - 1
# An element symbol: one capital letter and at most one small one ("Va" is taken by the vacancy).
ELEMENT_SYMBOL = re.compile(r"(?!Va$)[A-Z][a-z]?")
# model.name becomes part of the default output file name (runs/out/<name>_s<seed>.h5)
MODEL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _finite_numbers(v):
    """Every item a finite float or a 64-bit integer (not a boolean)."""
    return all(isinstance(x, float) and math.isfinite(x)
               or isinstance(x, int) and not isinstance(x, bool) and INT64_RANGE[0] <= x < INT64_RANGE[1]
               for x in v)


F = (int, float)
ENERGY_FORMS = ("bond", "second_moment")
# The energy keys each form requires; those of the other form must be absent or zero and are
# stored as zero (every stored value is a number or list, so settings round-trip through TOML).
FORM_KEYS = {
    "bond": ("host_host_bond_eV", "host_solute_bond_eV", "solute_solute_bond_eV", "adhesion_host_eV",
             "adhesion_solute_eV", "layer_vacancy_eV"),
    "second_moment": ("host_host_pair_eV", "host_solute_pair_eV", "solute_solute_pair_eV", "host_embedding_eV",
                      "solute_embedding_eV", "electrolyte_coordination_host", "electrolyte_coordination_solute",
                      "electrolyte_repulsion_host_eV", "electrolyte_repulsion_solute_eV"),
}
SCHEMA: dict[str, dict[str, Key]] = {
    "model": {
        "name": Key(str, "unnamed", MODEL_NAME.fullmatch,   # short name of the chemistry; used for output names
                    "letters, digits, '_', '.' and '-' (a file name part), not starting with '.' or '-'"),
        "description": Key(str, ""),
    },
    "lattice": {
        "orientation": Key(str, "001", lambda v: v in ("001", "110"), "'001' or '110'"),
        "cells": Key(list, [24, 24, 12], _cells, "three integers >= 2 (nx, ny, nz orthogonal cells)"),
        "lattice_constant_A": Key(F, REQUIRED, _pos, "> 0"),
        "geometry": Key(str, "slab", lambda v: v in ("slab", "bulk"),
                        "'slab' (electrolyte on top) or 'bulk' (periodic in z, no interface)"),
    },
    "species": {
        # The element symbols behind the host and solute codes (kmc.species): outputs, figures
        # and exports use them.  A file without [species] is seed 004's Li and Mg.
        "host": Key(str, "Li", lambda v: ELEMENT_SYMBOL.fullmatch(v) is not None,
                    "an element symbol such as 'Li' (the strippable metal)"),
        "solute": Key(str, "Mg", lambda v: ELEMENT_SYMBOL.fullmatch(v) is not None,
                      "an element symbol such as 'Mg', 'Ag' or 'Zn' (the alloying element)"),
    },
    "composition": {
        "solute_fraction": Key(F, 0.0, lambda x: 0 <= x <= 0.7,
                               "0 <= x <= 0.7 (a BCC solid solution; Li-Mg is one up to ~0.7)"),
        "vacancy_fraction": Key(F, 0.0, lambda x: 0 <= x <= 0.5, "0 <= x <= 0.5"),
    },
    "energy": {
        # Which configuration energy (docs/energy_model.md): "bond" = first-neighbour bonds with
        # per-layer site terms (the *_bond_eV, adhesion_* and layer_vacancy_eV keys);
        # "second_moment" = repulsive pairs + a square-root (Finnis-Sinclair) embedding of the
        # metal coordination, the electrolyte adding to an L1 atom's coordination (the *_pair_eV,
        # *_embedding_eV, electrolyte_* keys).  The keys of the other form must be absent or zero.
        "form": Key(str, "bond", lambda v: v in ENERGY_FORMS, "'bond' or 'second_moment'"),
        "host_host_bond_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "host_solute_bond_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "solute_solute_bond_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "adhesion_host_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "adhesion_solute_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "layer_vacancy_eV": Key(list, REQUIRED, _finite_numbers,
                                "a list of finite numbers (vacancy energy of L1, L2, ... relative to bulk)"),
        "host_host_pair_eV": Key(F, REQUIRED, _nonneg, ">= 0 (the form needs repulsive pairs)"),
        "host_solute_pair_eV": Key(F, REQUIRED, _nonneg, ">= 0 (the form needs repulsive pairs)"),
        "solute_solute_pair_eV": Key(F, REQUIRED, _nonneg, ">= 0 (the form needs repulsive pairs)"),
        "host_embedding_eV": Key(F, REQUIRED, _pos, "> 0 eV"),
        "solute_embedding_eV": Key(F, REQUIRED, _pos, "> 0 eV"),
        "electrolyte_coordination_host": Key(F, REQUIRED, _nonneg, ">= 0 (metal neighbours' worth)"),
        "electrolyte_coordination_solute": Key(F, REQUIRED, _nonneg, ">= 0 (metal neighbours' worth)"),
        "electrolyte_repulsion_host_eV": Key(F, REQUIRED, _nonneg, ">= 0 eV"),
        "electrolyte_repulsion_solute_eV": Key(F, REQUIRED, _nonneg, ">= 0 eV"),
        "interface_solute_vacancy_eV": Key(F, 0.0, None, "a number"),
        "interface_vacancy_pair_eV": Key(F, 0.0, None, "a number"),
        # Pair of L1 solutes a apart (in-plane second neighbours, the same shell as the vacancy
        # pair): the L1 solute-solute interaction (kmc.model, docs/energy_model.md).
        "interface_solute_pair_eV": Key(F, 0.0, None, "a number"),
        # ... and a sqrt2 apart (in-plane third neighbours)
        "interface_solute_pair_sqrt2_eV": Key(F, 0.0, None, "a number"),
    },
    "kinetics": {
        "attempt_frequency_Hz": Key(F, REQUIRED, _pos, "> 0"),
        "kra_host_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "kra_host_near_solute_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "kra_solute_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        # Energy-weighted stripping (kmc.rate_rules.strip_site_weight): a joined L1 host atom's share of
        # the current goes as exp(-alpha dE_removal/kT).  0.5 is the symmetric Butler-Volmer
        # value; seed 004 gives no site-resolved one.  0: every joined L1 host atom equally.
        "strip_transfer_coefficient": Key(F, 0.5, lambda x: 0 <= x <= 1, "0 <= alpha <= 1 (0: uniform)"),
    },
    "conditions": {
        "temperature_K": Key(F, 298.0, lambda x: 0 < x < 454, "0 < T < 454 K (below Li melting)"),
        "current_density_mA_cm2": Key(F, 0.5, _nonneg, ">= 0 (0 means no stripping)"),
        "stack_pressure_MPa": Key(F, 0.2, _nonneg, ">= 0 (0 means no creep)"),
        # Butler-Volmer exchange current density of the contact, for the overpotential observable
        # and run.stop_overpotential_mV.  Seed 004 gives no value; 1 mA/cm2 is an order of
        # magnitude (i0 = RT / (F R_ct), R_ct the interface's charge-transfer resistance in
        # ohm cm2: 1 mA/cm2 is R_ct = 26 ohm cm2 at 298 K).  It scales eta, not the trajectory.
        "exchange_current_mA_cm2": Key(F, 1.0, _pos, "> 0 mA/cm^2"),
    },
    "boundary": {
        "bottom": Key(str, "sink", lambda v: v in ("sink", "reservoir", "closed"),
                      "'sink', 'reservoir' or 'closed'"),
        "vacancy_formation_eV": Key(F, REQUIRED, _pos, "> 0"),
        "supersaturation": Key(F, 1.0, _nonneg, ">= 0"),
    },
    # The electrode beyond the box (kmc.electrode; docs/validation.md "The electrode around the
    # box"): vacancy sinks at a physical distance and a 1-D continuum of solute below the box.
    "electrode": {
        # seed 004 Methods: the Li and Li-Mg foils are 100 +- 10 um thick.  Below the box lies
        # this much metal minus the box's own depth (the solute continuum's extent).
        "thickness_um": Key(F, 100.0, lambda x: 0.01 <= x <= 1e4,
                            "0.01 <= thickness_um <= 10000 um (a foil; deeper than the box)"),
        # Distance from the bottom of the box to the vacancy sinks.  seed 004 Supp. Fig. 19: grains
        # ~100 um across, so grain boundaries lie ~100 um apart, and the far side (the current
        # collector) is the thickness away: both put the sinks ~100 um away (within a factor 2).
        "sink_distance_um": Key(F, 100.0, lambda x: 1e-4 <= x <= 1e4,
                                "1e-4 <= sink_distance_um <= 10000 um, and at most electrode.thickness_um"),
    },
    "creep": {
        "reference_strain_rate_per_s": Key(F, REQUIRED, _nonneg, ">= 0"),
        "reference_stress_MPa": Key(F, REQUIRED, _pos, "> 0"),
        "stress_exponent": Key(F, REQUIRED, _pos, "> 0"),
        "activation_energy_kJ_mol": Key(F, REQUIRED, _nonneg, ">= 0"),
        "reference_temperature_K": Key(F, REQUIRED, _pos, "> 0"),
        # Closure velocity of an interface void of width w: v = kappa eps_dot(P / contact) w
        # (dimensionless kappa; params/*.toml give its derivation, docs/validation.md).
        "closure_coefficient": Key(F, REQUIRED, lambda x: 0 < x <= 10,
                                   "0 < kappa <= 10 (dimensionless, of order 1: 1/pi for a flat circular void)"),
    },
    "run": {
        # Stripping, creep, escape to the sinks and exchange with the electrode run this much faster
        # than in the cell, the hops at their own rates (kmc.model.build_event_rates).  Numerics that
        # decide results, so every parameter file states it: docs/rates.md section 5 finds a run's
        # answers those of the cell for A <~ 2e4 on the shipped sets (kmc.acceleration checks it
        # for every run and records it in the run file).
        "acceleration": Key(F, REQUIRED, lambda x: x >= 1,
                            ">= 1 (numerics: within the converged range, A <~ 2e4 for the shipped sets, docs/rates.md)"),
        "seed": Key(int, 1, lambda x: 0 <= x < 2**63, "an integer 0 <= seed < 2**63"),
        "stop_stripped_mAh_cm2": Key(F, 3e-4, _nonneg, ">= 0 (0: no charge limit)"),
        "stop_time_s": Key(F, 0.0, _nonneg, ">= 0 kMC seconds (0: no time limit)"),
        "max_events": Key(int, 0, _nonneg, ">= 0 (0: no event limit)"),
        # compared with the metal-occupied fraction of L1 (1 - interface_vacancy_count / L1 sites),
        # which the engine keeps per event; the electrical contact_fraction is at most that
        "stop_contact_fraction": Key(F, 0.0, lambda x: 0 <= x <= 1, "0 <= x <= 1 (0: never stop on contact)"),
        # A cycler's cut-off: stop when the overpotential observable reaches this value.
        "stop_overpotential_mV": Key(F, 0.0, _nonneg, ">= 0 mV (0: no cut-off)"),
        "stop_stripped_monolayers": Key(F, 0.0, _nonneg, ">= 0 monolayers of L1 sites (0: no limit)"),
        # Wall-clock limit of one `kmc run` call (a batch job's time slot): the run ends cleanly,
        # stop reason "wall_time", and its file is complete; where it ends depends on the machine.
        "stop_wall_s": Key(F, 0.0, _nonneg, ">= 0 wall-clock seconds (0: no limit)"),
        "chunk_events": Key(int, 200_000, lambda x: x >= 1, ">= 1"),
        # The deep box (kmc.model.deep_box): the share of the path to the vacancy sinks that the
        # box's layers below the interface region take (a lone vacancy's hops there are sped up to
        # match, and the bottom boundary takes the rest).  Numerics: the escape path is the
        # cell's whatever the value; 0 turns the deep box off (the box's own hops unaccelerated).
        "deep_box_share": Key(F, 0.5, lambda x: 0 <= x < 1, "0 <= deep_box_share < 1 (0: off)"),
    },
    "output": {
        "path": Key(str, "", None, "a file path ('' = runs/out/<model>_s<seed>.h5)"),
        "frame_every_mAh_cm2": Key(F, 3e-5, _nonneg, ">= 0 (0: off)"),
        "frame_every_events": Key(int, 0, _nonneg, ">= 0 (0: off)"),
        "frame_every_s": Key(F, 0.0, _nonneg, ">= 0 (0: off)"),
        "series_every_mAh_cm2": Key(F, 3e-6, _nonneg, ">= 0 (0: off)"),
        "series_every_events": Key(int, 0, _nonneg, ">= 0 (0: off)"),
        "series_every_s": Key(F, 0.0, _nonneg, ">= 0 (0: off)"),
        # checkpoints go with every frame, and at least this often (wall clock) in between
        "checkpoint_every_wall_s": Key(F, 600.0, _pos, "> 0 wall-clock seconds"),
    },
    "tracers": {
        # Tagged atoms whose lattice jumps are followed, for tracer diffusion (MSD) observables.
        "count": Key(int, 0, lambda x: 0 <= x <= 10_000_000, "0 <= count <= 1e7 (0: off)"),
        # 'host' / 'solute' or the [species] symbols (checked against them in _cross_checks)
        "species": Key(str, "all", lambda v: v in ("all", "host", "solute") or ELEMENT_SYMBOL.fullmatch(v) is not None,
                       "'all', 'host', 'solute' or one of the [species] symbols"),
    },
    # The interface at the cell's scale, read only by `kmc meso` (kmc.meso, docs/meso.md); the
    # rest of its inputs are the sections above.  Physics keys are required once [meso] is there
    # (params/*.toml give each one's source and error); the numerics have defaults.
    "meso": {
        # side of the periodic square of interface (um); seed 004 images 160 um of section
        "width_um": Key(F, 160.0, lambda x: 10 <= x <= 1e4, "10 <= width_um <= 10000 um"),
        # pre-existing void seeds at the interface (pores, pits): density and base radius
        "defect_density_per_um2": Key(F, REQUIRED, lambda x: 0 <= x <= 10, "0 <= density <= 10 per um^2"),
        "defect_radius_um": Key(F, REQUIRED, lambda x: 1e-3 <= x <= 10, "1e-3 <= radius <= 10 um"),
        # I(S) = prefactor exp(-dG*(S)/kT), classical heterogeneous nucleation of an interface void
        "nucleation_prefactor_per_um2_s": Key(F, REQUIRED, lambda x: 0 <= x <= 1e25,
                                              "0 <= prefactor <= 1e25 per um^2 per s (0: no nucleation)"),
        # I(S) measured by the kMC (`kmc rates`, docs/rates.md): rows (S, I) that replace the
        # classical I(S) above when given; log-log interpolation between rows (kmc.meso.measured_rate_per_um2_s)
        "nucleation_rate_S": Key(list, [], lambda v: _finite_numbers(v) and all(x > 1 for x in v)
                                 and all(b > a for a, b in zip(v, v[1:])),
                                 "a list of supersaturations > 1, rising"),
        "nucleation_rate_per_um2_s": Key(list, [], lambda v: _finite_numbers(v) and all(0 < x <= 1e25 for x in v),
                                         "a list of rates 0 < I <= 1e25 per um^2 per s"),
        # how a void takes what it captures: "cap" keeps the equilibrium cap (surface diffusion
        # infinitely fast), "kinetic" grows at its rim and relaxes toward the cap at the Mullins
        # rate of surface_diffusivity_cm2_s; docs/meso.md
        "void_shape": Key(str, REQUIRED, lambda v: v in ("cap", "kinetic"), "'cap' or 'kinetic'"),
        # surface self-diffusivity on the void's walls: relaxes a kinetic void toward the cap
        "surface_diffusivity_cm2_s": Key(F, REQUIRED, lambda x: 0 <= x <= 1, "0 <= D_s <= 1 cm^2/s (0: none)"),
        # numerics and counting
        "min_void_width_um": Key(F, 0.5, lambda x: 0 <= x <= 100, "0 <= width <= 100 um (smallest chord counted)"),
        "section_lines": Key(int, 16, lambda x: 1 <= x <= 1000, "1 <= lines <= 1000"),
        "max_step_mAh_cm2": Key(F, 2e-3, lambda x: 0 < x <= 0.1, "0 < step <= 0.1 mAh/cm^2"),
        "output_every_mAh_cm2": Key(F, 0.025, lambda x: 0 < x <= 10, "0 < interval <= 10 mAh/cm^2"),
        "stop_stripped_mAh_cm2": Key(F, 4.0, lambda x: 0 < x <= 100, "0 < charge <= 100 mAh/cm^2"),
        "stop_contact_fraction": Key(F, 0.01, lambda x: 0 <= x < 1, "0 <= contact < 1"),
    },
}
# Sections a parameter file may leave out as a whole; once given, their required keys are required.
OPTIONAL_SECTIONS = ("meso",)


# [fit] of a parameter file: the numbers `kmc params show FILE --fit` compares the model with
# (kmc.fit), one row per quantity, each with its source.  Not run configuration: no run reads
# them, so they stay out of Settings.to_dict(), run files, checkpoints and sweep identities
# (editing a source note must not rename, reseed or block the resume of a run).
FIT_KINDS = ("target", "check")
FIT_ROW_KEYS: dict[str, Key] = {
    "name": Key(str, REQUIRED, bool, "a quantity that kmc.fit computes (an unknown one is refused with the list)"),
    "value": Key(F, REQUIRED, None, "a finite number"),
    "unit": Key(str, REQUIRED, bool, "the quantity's unit ('eV', 'J/m^2' or 'deg')"),
    "source": Key(str, REQUIRED, bool, "where the number comes from (paper, table, derivation)"),
    # "check": shown beside the model's value but not fitted: a number built from other rows (seed
    # 004's D_Mg is computed from E_f = 0.50 and the 0.102 eV hop) or a prediction of the model
    "kind": Key(str, "target", lambda v: v in FIT_KINDS,
                "'target' (the parameters are fitted to it) or 'check' (shown, not fitted)"),
}


@dataclass(frozen=True)
class FitTarget:
    """One row of a parameter file's [fit] targets."""
    name: str
    value: float
    unit: str
    source: str
    kind: str = "target"


def fit_targets(raw: dict) -> tuple[FitTarget, ...]:
    """The rows of ``[fit] targets`` of a raw parameter table (none if it has no [fit]); ConfigError
    naming the row and key for anything malformed."""
    fit = raw.get("fit", {}) if isinstance(raw, dict) else {}
    if not isinstance(fit, dict):
        raise ConfigError(f"[fit] must be a table, got {type(fit).__name__}; allowed: a [fit] table with "
                          "targets = [{name = ..., value = ..., unit = ..., source = ...}, ...]")
    for key in fit:
        if key != "targets":
            raise ConfigError(f"unknown key fit.{key}; allowed keys in [fit]: targets")
    rows = fit.get("targets", [])
    if not isinstance(rows, list):
        raise ConfigError(f"fit.targets: expected a list of rows, got {type(rows).__name__}; allowed: "
                          "[{name = ..., value = ..., unit = ..., source = ...}, ...]")
    out, seen = [], set()
    for i, row in enumerate(rows):
        where = f"fit.targets[{i}]"
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: expected a table, got {type(row).__name__} {_show(row)}; allowed: "
                              "{name = ..., value = ..., unit = ..., source = ...}")
        for key in row:
            if key not in FIT_ROW_KEYS:
                raise ConfigError(f"unknown key {where}.{key}; allowed keys of a fit row: {', '.join(FIT_ROW_KEYS)}")
        values = {}
        for key, spec in FIT_ROW_KEYS.items():
            if key not in row:
                if spec.default is REQUIRED:
                    raise ConfigError(f"{where} has no {key}; allowed: {spec.allowed}")
                values[key] = spec.default
                continue
            _check_value(where, key, spec, row[key])
            values[key] = float(row[key]) if spec.kind is F else row[key]
        if values["name"] in seen:
            raise ConfigError(f"{where}: {values['name']!r} is listed twice; allowed: one row per quantity")
        seen.add(values["name"])
        out.append(FitTarget(**values))
    return tuple(out)


def fit_targets_toml(targets) -> str:
    """The [fit] table of ``targets`` as TOML (one inline table per row), '' for none."""
    if not targets:
        return ""
    rows = ",\n".join("  {" + ", ".join(f"{k} = {_fmt(getattr(t, k))}" for k in FIT_ROW_KEYS) + "}" for t in targets)
    return f"[fit]\ntargets = [\n{rows},\n]\n"


# Keys of parameter files written before species were data, which named Li and Mg in the keys.
# They keep working: each is read as its host/solute key, with [species] Li and Mg.
LEGACY_KEYS = {
    "composition.mg_fraction": "composition.solute_fraction",
    "energy.li_li_bond_eV": "energy.host_host_bond_eV",
    "energy.li_mg_bond_eV": "energy.host_solute_bond_eV",
    "energy.mg_mg_bond_eV": "energy.solute_solute_bond_eV",
    "energy.adhesion_li_eV": "energy.adhesion_host_eV",
    "energy.adhesion_mg_eV": "energy.adhesion_solute_eV",
    "energy.interface_mg_vacancy_eV": "energy.interface_solute_vacancy_eV",
    "kinetics.kra_li_eV": "kinetics.kra_host_eV",
    "kinetics.kra_li_near_mg_eV": "kinetics.kra_host_near_solute_eV",
    "kinetics.kra_mg_eV": "kinetics.kra_solute_eV",
}


# Keys that were removed because their physics changed: a file or --set that still names one is
# refused with what replaced it (a translation would silently change the model).
REMOVED_KEYS = {
    "meso.wetting_angle_deg": (
        "removed: the meso voids' wetting angle now comes from the energy model, W_ad and gamma of the [energy] "
        "form at the interface's equilibrium L1 composition (kmc.meso.interface_energetics: Li 93.6 deg, "
        "Li0.97Mg0.03 58.4 deg), as the kMC's own voids do; allowed: delete meso.wetting_angle_deg"),
    "creep.refill_length_nm": (
        "removed: creep no longer refills every interface void site at eps_dot x refill_length / layer "
        "whatever the void's size; each interface void now closes at the velocity kappa eps_dot(P / contact) w "
        "set by its own width w, with no length to choose; allowed: delete refill_length_nm and set "
        "creep.closure_coefficient (kappa, dimensionless; 0.3183 = 1/pi, the shipped value, derived for a flat "
        "circular void in params/li_li2s.toml)"),
}


def _refuse_removed(section: str, key: str, where: str = "") -> None:
    name = f"{section}.{key}"
    if name in REMOVED_KEYS:
        raise ConfigError(f"{where}{name}: {REMOVED_KEYS[name]}")


def canonical_key(name: str) -> str:
    """The current name of a config key ("section.key"), translating a legacy Li/Mg name."""
    return LEGACY_KEYS.get(name, name)


def _translate_legacy_keys(raw: dict) -> None:
    """Rename legacy Li/Mg keys in a raw config in place; they imply [species] Li and Mg."""
    used = []
    for old, new in LEGACY_KEYS.items():
        section, key = old.split(".")
        table = raw.get(section)
        if not isinstance(table, dict) or key not in table:
            continue
        new_key = new.split(".")[1]
        if new_key in table:
            raise ConfigError(f"{old} and {new} are both given; allowed: only {new} ({old} is its name "
                              "from before species were data)")
        table[new_key] = table.pop(key)
        used.append(old)
    species = raw.get("species")
    if used and isinstance(species, dict) and (species.get("host", "Li"), species.get("solute", "Mg")) != ("Li", "Mg"):
        raise ConfigError(f"{used[0]} names Li and Mg but [species] is {species.get('host', 'Li')}/"
                          f"{species.get('solute', 'Mg')}; allowed: the host/solute keys "
                          f"(here {canonical_key(used[0])}) with any [species]")


class Section:
    """Read-only attribute view of one config section."""

    def __init__(self, name: str, values: dict):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_values", MappingProxyType(dict(values)))

    def __getattr__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"config section [{self._name}] has no key {key!r}") from None

    def __setattr__(self, key, value):
        raise AttributeError("settings are immutable; use Settings.with_overrides")

    def __getitem__(self, key):
        return self._values[key]

    def items(self):
        return self._values.items()


class Settings:
    """Validated, immutable configuration.  ``settings.run.seed``, ``settings["run"]["seed"]``."""

    def __init__(self, data: dict, source: str = "<dict>", fit_targets: tuple = ()):
        object.__setattr__(self, "_data", copy.deepcopy(data))
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "fit_targets", tuple(fit_targets))   # the file's [fit] rows (FitTarget)
        object.__setattr__(self, "_sections", {k: Section(k, v) for k, v in data.items()})

    def __getattr__(self, name):
        try:
            return self._sections[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, key, value):
        raise AttributeError("settings are immutable; use Settings.with_overrides")

    def __getitem__(self, name):
        return self._sections[name]

    def to_dict(self) -> dict:
        return copy.deepcopy(self._data)

    def flat(self) -> dict[str, Any]:
        return {f"{s}.{k}": v for s, sec in self._data.items() for k, v in sec.items()}

    def to_toml(self) -> str:
        return dumps_toml(self._data)

    def with_overrides(self, overrides: list[str]) -> "Settings":
        data = self.to_dict()
        _apply_overrides(data, overrides)
        return Settings(validate(data), self.source, self.fit_targets)


_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    """A TOML basic string; control characters are escaped (TOML forbids them raw)."""
    return '"' + "".join(_STRING_ESCAPES.get(ch) or (f"\\u{ord(ch):04x}" if ch < " " or ch == "\x7f" else ch)
                         for ch in text) + '"'


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def dumps_toml(data: dict) -> str:
    lines = []
    for sec, values in data.items():
        lines.append(f"[{sec}]")
        lines += [f"{k} = {_fmt(v)}" for k, v in values.items()]
        lines.append("")
    return "\n".join(lines)


def _type_name(kind) -> str:
    if kind is F:
        return "a number"
    return {int: "an integer", str: "a string", list: "a list", bool: "true/false"}.get(kind, str(kind))


_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 60
_SHOW.maxlong = 40


def _show(value) -> str:
    """A short repr for messages (a value may be a 300-digit integer or a deeply nested list)."""
    return _SHOW.repr(value)


def _check_value(section: str, key: str, spec: Key, value):
    name = f"{section}.{key}"
    allowed = spec.allowed or _type_name(spec.kind)
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigError(f"{name}: expected {_type_name(spec.kind)}, got {type(value).__name__} "
                          f"{_show(value)}; allowed: {allowed}")
    if isinstance(value, int) and not INT64_RANGE[0] <= value < INT64_RANGE[1]:
        raise ConfigError(f"{name}: {_show(value)} does not fit in a 64-bit integer; allowed: {allowed}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name}: must be finite, got {value!r}; allowed: {allowed}")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # undecodable command-line bytes arrive as lone surrogates
            raise ConfigError(f"{name}: {_show(value)} is not valid UTF-8 text; allowed: {allowed}") from None
        if "\0" in value:  # HDF5 string attributes cannot hold NUL
            raise ConfigError(f"{name}: {_show(value)} contains a NUL character; allowed: {allowed} "
                              "without NUL characters")
    if spec.check is not None and not spec.check(value):
        problem = "is out of range" if isinstance(value, (int, float)) else "is not accepted"
        raise ConfigError(f"{name}: {_show(value)} {problem}; allowed: {allowed}")


def _is_zero(value, kind) -> bool:
    """A number equal to zero, or (kind list) a list of them, possibly empty: how an unused energy
    key of the other form may be written."""
    def zero(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and x == 0
    if kind is list:
        return isinstance(value, list) and all(zero(x) for x in value)
    return zero(value)


def validate(raw: dict) -> dict:
    """Check every key of ``raw`` against SCHEMA, fill defaults, return a plain nested dict."""
    if not isinstance(raw, dict):
        raise ConfigError(f"config must be a table of sections, got {type(raw).__name__}; allowed: a TOML table")
    raw = {section: dict(values) if isinstance(values, dict) else values for section, values in raw.items()}
    _translate_legacy_keys(raw)
    fit_targets(raw)   # checked here so that every reader refuses a malformed [fit]; kept apart from the run's keys
    for section, values in raw.items():
        if section == "fit":
            continue
        if section not in SCHEMA:
            raise ConfigError(f"unknown section [{section}]; allowed sections: {', '.join(SCHEMA)}, fit")
        if not isinstance(values, dict):
            raise ConfigError(f"[{section}] must be a table of keys, got {type(values).__name__}; "
                              f"allowed: a [{section}] table")
        for key in values:
            _refuse_removed(section, key)
            if key not in SCHEMA[section]:
                raise ConfigError(f"unknown key {section}.{key}; allowed keys in [{section}]: "
                                  f"{', '.join(SCHEMA[section])}")
    form = raw.get("energy", {}).get("form", "bond")
    _check_value("energy", "form", SCHEMA["energy"]["form"], form)
    unused = {k for f, keys in FORM_KEYS.items() if f != form for k in keys}
    out: dict[str, dict] = {}
    for section, keys in SCHEMA.items():
        if section in OPTIONAL_SECTIONS and section not in raw:
            continue
        given = raw.get(section, {})
        out[section] = {}
        for key, spec in keys.items():
            if section == "energy" and key in unused and key in given and _is_zero(given[key], spec.kind):
                out[section][key] = list(given[key]) if spec.kind is list else float(given[key])
            elif key in given:
                value = given[key]
                _check_value(section, key, spec, value)
                if spec.kind is F:
                    value = float(value)
                if section == "energy" and key in unused:
                    raise ConfigError(f"energy.{key} = {_show(value)} belongs to energy.form = "
                                      f"{'bond' if form == 'second_moment' else 'second_moment'!r}, but this file "
                                      f"has energy.form = {form!r}; allowed: absent or zero (its physics is "
                                      f"in the keys {', '.join('energy.' + k for k in FORM_KEYS[form])})")
                out[section][key] = value
            elif section == "energy" and key in unused:
                out[section][key] = [] if spec.kind is list else 0.0
            elif spec.default is REQUIRED:
                raise ConfigError(f"missing required key {section}.{key}; allowed: {spec.allowed} "
                                  "(the parameter files in params/ provide it)")
            else:
                out[section][key] = copy.deepcopy(spec.default)
    _cross_checks(out)
    return out


def _cross_checks(cfg: dict):
    lat = cfg["lattice"]
    species = cfg["species"]
    if species["host"] == species["solute"]:
        raise ConfigError(f"species.host and species.solute are both {species['host']!r}; allowed: two "
                          "different element symbols")
    tracer_species = cfg["tracers"]["species"]
    if tracer_species not in ("all", "host", "solute", species["host"], species["solute"]):
        raise ConfigError(f"tracers.species: {tracer_species!r} is not a species of this run; allowed: 'all', "
                          f"'host', 'solute', {species['host']!r} or {species['solute']!r}")
    comp = cfg["composition"]
    if comp["solute_fraction"] + comp["vacancy_fraction"] >= 1:
        raise ConfigError("composition.solute_fraction + composition.vacancy_fraction is "
                          f"{comp['solute_fraction'] + comp['vacancy_fraction']:g}; "
                          f"allowed: a sum < 1 (some {species['host']} must remain)")
    nx, ny, nz = lat["cells"]
    if SITES_PER_CELL[lat["orientation"]] * nx * ny * nz > MAX_SITES:
        raise ConfigError(f"lattice.cells {lat['cells']} gives {SITES_PER_CELL[lat['orientation']] * nx * ny * nz:.3g} "
                          f"sites; allowed: at most {MAX_SITES} sites (int32 neighbour indices)")
    if lat["geometry"] == "slab":
        n_layers = 2 * lat["cells"][2]  # both orientations have two layers per cell
        if len(cfg["energy"]["layer_vacancy_eV"]) >= n_layers:
            raise ConfigError(f"energy.layer_vacancy_eV has {len(cfg['energy']['layer_vacancy_eV'])} "
                              f"layers but lattice.cells gives only {n_layers}; allowed: fewer entries "
                              "than layers, or a deeper box")
    _energy_form_checks(cfg)
    el = cfg["electrode"]
    if el["sink_distance_um"] > el["thickness_um"]:
        raise ConfigError(f"electrode.sink_distance_um = {el['sink_distance_um']:g} um exceeds electrode.thickness_um = "
                          f"{el['thickness_um']:g} um; allowed: sinks no farther than the far side "
                          "(sink_distance_um <= thickness_um)")
    if lat["geometry"] == "slab":
        depth_um = 2 * lat["cells"][2] * _layer_spacing_A(lat) * 1e-4
        if el["thickness_um"] <= depth_um:
            raise ConfigError(f"electrode.thickness_um = {el['thickness_um']:g} um is not deeper than the box "
                              f"({depth_um:.4g} um); allowed: a thickness greater than the box depth")
    meso = cfg.get("meso")
    if meso is not None and len(meso["nucleation_rate_S"]) != len(meso["nucleation_rate_per_um2_s"]):
        raise ConfigError(f"meso.nucleation_rate_S has {len(meso['nucleation_rate_S'])} rows and "
                          f"meso.nucleation_rate_per_um2_s {len(meso['nucleation_rate_per_um2_s'])}; allowed: "
                          "the same number of rows, at least 2 (or neither key: the classical I(S))")
    if meso is not None and len(meso["nucleation_rate_S"]) == 1:
        raise ConfigError("meso.nucleation_rate_S has one row; allowed: at least 2 rows (the rate is "
                          "interpolated in log S), or neither key (the classical I(S))")
    run = cfg["run"]
    stops = ("stop_stripped_mAh_cm2", "stop_stripped_monolayers", "stop_time_s", "max_events",
             "stop_contact_fraction", "stop_overpotential_mV", "stop_wall_s")
    if not any(run[k] for k in stops):
        raise ConfigError("run: no stop condition set; allowed: set at least one of "
                          + ", ".join(f"run.{k}" for k in stops))
    no_stripping = cfg["conditions"]["current_density_mA_cm2"] == 0 or lat["geometry"] == "bulk"
    for key in ("stop_stripped_mAh_cm2", "stop_stripped_monolayers", "stop_overpotential_mV"):
        if run[key] and no_stripping and not (run["stop_time_s"] or run["max_events"] or run["stop_wall_s"]):
            raise ConfigError(f"run.{key} can never be reached without stripping (current 0 or bulk "
                              "geometry); allowed: set run.max_events, run.stop_time_s or run.stop_wall_s")


def _layer_spacing_A(lat: dict) -> float:
    """Spacing of the box's layers: a/2 for [001], a/sqrt 2 for [110] (lattices.bcc)."""
    a = lat["lattice_constant_A"]
    return a / 2 if lat["orientation"] == "001" else a / math.sqrt(2)


def second_moment_interface(en: dict, lattice_constant_A: float) -> dict:
    """gamma(001), W_ad (J/m^2) and cos(theta) of pure host under the second-moment form, from its
    closed forms (docs/energy_model.md section 3b); kmc.fit computes the same from total energies
    of lattice configurations (tests/test_fit.py checks that they agree)."""
    eps, v = en["host_embedding_eV"], en["host_host_pair_eV"]
    c, r, p = en["electrolyte_coordination_host"], en["electrolyte_repulsion_host_eV"], en["interface_vacancy_pair_eV"]
    to_J_m2 = 16.02176634 / lattice_constant_A**2
    gamma = (eps * (math.sqrt(8) - 2) - 2 * v) * to_J_m2
    w = (eps * (math.sqrt(4 + c) - 2) - r + 2 * p) * to_J_m2
    return {"gamma_J_m2": gamma, "w_ad_J_m2": w, "cos_theta": w / gamma - 1 if gamma > 0 else math.nan}


def _energy_form_checks(cfg: dict):
    """A second-moment parameter set that has no (001) surface, no adhesion or no wetting angle is
    refused before any work."""
    en = cfg["energy"]
    if en["form"] != "second_moment":
        return
    d = second_moment_interface(en, cfg["lattice"]["lattice_constant_A"])
    if d["gamma_J_m2"] <= 0:
        raise ConfigError(f"energy.host_embedding_eV and energy.host_host_pair_eV give a (001) surface energy "
                          f"gamma = eps (sqrt 8 - 2) - 2 V = {d['gamma_J_m2']:.4g} J/m^2; allowed: gamma > 0, "
                          "i.e. host_host_pair_eV < 0.4142 * host_embedding_eV")
    if d["w_ad_J_m2"] <= 0:
        raise ConfigError(f"energy.electrolyte_repulsion_host_eV gives a work of adhesion W = eps (sqrt(4 + c) - 2) "
                          f"- R + 2 p = {d['w_ad_J_m2']:.4g} J/m^2; allowed: W > 0 (a smaller repulsion, a "
                          "larger electrolyte_coordination_host or interface_vacancy_pair_eV)")
    if not -1 < d["cos_theta"] < 1:
        raise ConfigError(f"energy.electrolyte_repulsion_host_eV gives cos(theta) = W/gamma - 1 = "
                          f"{d['cos_theta']:.4g} (W {d['w_ad_J_m2']:.4g}, gamma {d['gamma_J_m2']:.4g} J/m^2); "
                          "allowed: -1 < cos(theta) < 1 (a wetting angle between 0 and 180 deg: 0 < W < 2 gamma)")


def _parse_override_value(item: str, text: str):
    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return text  # bare words are strings: --set boundary.bottom=closed
    except RecursionError:
        raise ConfigError(f"--set {_show(item)}: value nested too deeply; allowed: one TOML value") from None
    if list(parsed) != ["v"]:  # a line break in the value smuggled in more TOML
        raise ConfigError(f"--set {_show(item)}: more than one value; allowed: one TOML value after '='")
    return parsed["v"]


def _apply_overrides(data: dict, overrides) -> None:
    _translate_legacy_keys(data)   # so that a legacy file takes overrides under the current names
    for item in overrides or ():
        if "=" not in item:
            raise ConfigError(f"--set {_show(item)}: expected section.key=value; allowed: e.g. run.seed=3")
        path, text = item.split("=", 1)
        parts = canonical_key(path.strip()).split(".")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"--set {_show(item)}: key must be section.key; allowed: e.g. run.seed=3")
        section, key = parts
        _refuse_removed(section, key, f"--set {_show(item)}: ")
        if section not in SCHEMA:
            raise ConfigError(f"--set {_show(item)}: unknown section [{section}]; allowed sections: "
                              f"{', '.join(SCHEMA)}")
        if key not in SCHEMA[section]:
            raise ConfigError(f"--set {_show(item)}: unknown key {section}.{key}; allowed keys in "
                              f"[{section}]: {', '.join(SCHEMA[section])}")
        table = data.setdefault(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] must be a table of keys, got {type(table).__name__}; allowed: "
                              f"a [{section}] table")
        table[key] = _parse_override_value(item, text.strip())


def read_toml(path: str | Path, what: str = "config file", example: str = "params/li_li2s.toml") -> dict:
    """The table of a TOML file; ConfigError naming the file if it is missing, unreadable or not TOML."""
    p = Path(path)
    allowed = f"allowed: a TOML file, e.g. {example}"
    if not p.exists():
        raise ConfigError(f"{what} {str(p)!r} does not exist; {allowed}")
    if p.is_dir():
        raise ConfigError(f"{what} {str(p)!r} is a directory; {allowed}")
    if not p.is_file():
        raise ConfigError(f"{what} {str(p)!r} is not a regular file; {allowed}")
    try:
        text = p.read_bytes().decode("utf-8")   # TOML is UTF-8 whatever the locale
        return tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {str(p)!r} ({exc.strerror}); {allowed}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: not UTF-8 text (byte {exc.start}); {allowed}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}; {allowed}") from None
    except RecursionError:
        raise ConfigError(f"{p}: arrays or tables nested deeper than the TOML reader allows; {allowed}") from None


# ----------------------------------------------------------------------------- finding parameter sets
PARAMS_PACKAGE = "kmc.params"   # the top-level params/ folder, installed under this name (pyproject.toml)
SOURCE_PARAMS = Path(__file__).resolve().parents[1] / "params"   # that folder, in a source checkout


def shipped_params() -> dict[str, Path]:
    """{name: file} of the parameter sets installed with the package, by importlib.resources, so
    they are found after an editable or a normal install, from any folder."""
    from importlib.resources import files
    try:
        entries = list(files(PARAMS_PACKAGE).iterdir())
    except ModuleNotFoundError:   # an editable install made before params/ became kmc.params:
        entries = list(SOURCE_PARAMS.glob("*.toml"))   # the checkout's folder until pip install -e . again
    return {Path(str(entry)).stem: Path(str(entry)) for entry in sorted(entries, key=str)
            if entry.name.endswith(".toml")}


def resolve_params(name: str) -> Path:
    """A parameter file from a path; else a name in ./params; else a shipped set, named either
    ``li_li2s`` or ``params/li_li2s.toml`` (so the README's commands work from any folder)."""
    given = Path(name)
    for cand in (given, Path("params") / f"{name}.toml"):
        if cand.is_file():
            return cand
    shipped = shipped_params()
    if not given.suffix and len(given.parts) == 1 and name in shipped:
        return shipped[name]
    if given.suffix == ".toml" and given.parts[:-1] == ("params",) and given.stem in shipped:
        return shipped[given.stem]
    if given.exists() or given.suffix or len(given.parts) > 1:
        return given  # meant as a path: load_config says what is wrong with it (a folder, missing, ...)
    raise ConfigError(f"no parameter set {name!r}; allowed: a TOML path or one of {', '.join(shipped)}")


def load_config(path: str | Path, overrides: list[str] | None = None) -> Settings:
    """Read a TOML parameter/run file, apply ``section.key=value`` overrides, validate."""
    raw = read_toml(path)
    _apply_overrides(raw, overrides)
    return Settings(validate(raw), str(path), fit_targets(raw))


def settings_from_dict(raw: dict, overrides: list[str] | None = None) -> Settings:
    # Overrides replace whole values, so copying the two table levels keeps the caller's dict intact
    # (a deep copy could hit the recursion limit on a deeply nested bad value before validation).
    if isinstance(raw, dict):   # anything else is rejected by validate
        raw = {section: dict(values) if isinstance(values, dict) else values for section, values in raw.items()}
        _apply_overrides(raw, overrides)
    return Settings(validate(raw), fit_targets=fit_targets(raw) if isinstance(raw, dict) else ())
