"""Run configuration: TOML + ``--set section.key=value`` overrides -> validated, immutable settings.

Every key has a type, an allowed range and (where it is not physics) a default.  Energy and rate
parameters have no defaults: they come from a file in ``params/`` together with their sources.
Any error raises ConfigError naming the key and what is allowed, before any work is done.
"""
from __future__ import annotations

import copy
import math
import reprlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kmc import units
from kmc.physics import vacancy
from kmc.physics.surface import young_dupre_cos_theta
from kmc.schema import (F, FIT_ROW_KEYS, FORM_KEYS, INT64_RANGE, LEGACY_KEYS, MAX_SITES, OPTIONAL_SECTIONS,
                        REMOVED_KEYS, REQUIRED, SCHEMA, SITES_PER_CELL, Key)


class ConfigError(ValueError):
    """Bad configuration input; the message names the key and what is allowed."""


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


def _translate_legacy_values(raw: dict) -> None:
    """The value a key took before its name changed, in place: meso.interface = "resolved" (the gap model
    before its geometries were named) is the section, or the area for meso.depth_um > 0; and a depth given
    with no model named (``--set meso.depth_um=40``) asks for the area, the one model with a depth (a model
    named explicitly is kept, and the section or the disc then refuse the depth in one line)."""
    meso = raw.get("meso")
    if not isinstance(meso, dict):
        return
    depth = meso.get("depth_um", 0)
    deep = isinstance(depth, (int, float)) and depth > 0
    if meso.get("interface") == "resolved" or ("interface" not in meso and deep):
        meso["interface"] = "area" if deep else "section"


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
        """These settings with ``section.key=value`` texts applied (``--set``; TOML values)."""
        data = self.to_dict()
        _apply_overrides(data, overrides)
        return Settings(validate(data), self.source, self.fit_targets)

    def replaced(self, **sections: dict) -> "Settings":
        """These settings with keys replaced by value, a dict per section, validated as a whole
        again: ``settings.replaced(run={"seed": 3}, lattice={"cells": [4, 4, 4]})``.  How the
        package derives the settings of a measurement from a run's; text overrides are for users."""
        data = self.to_dict()
        for section, values in sections.items():
            if section not in SCHEMA:
                raise ConfigError(f"unknown section [{section}]; allowed sections: {', '.join(SCHEMA)}")
            for key, value in values.items():
                if key not in SCHEMA[section]:
                    raise ConfigError(f"unknown key {section}.{key}; allowed keys in [{section}]: "
                                      f"{', '.join(SCHEMA[section])}")
                data.setdefault(section, {})[key] = copy.deepcopy(value)
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
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
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
    _translate_legacy_values(raw)
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
    fl = cfg.get("flow")
    if fl is not None and len(fl["solute_rate_fractions"]) != len(fl["solute_rate_factors"]):
        raise ConfigError(f"flow.solute_rate_fractions has {len(fl['solute_rate_fractions'])} entries and "
                          f"flow.solute_rate_factors {len(fl['solute_rate_factors'])}; allowed: one factor per fraction")
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
    # what a command can run with these inputs (a stop a kMC run reaches, a current kmc meso strips with,
    # a temperature where the crystal exists) is kmc.validation's


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
    to_J_m2 = units.J_PER_M2_PER_EV_PER_A2 / vacancy.site_area_001(lattice_constant_A)
    gamma = (eps * (math.sqrt(8) - 2) - 2 * v) * to_J_m2
    w = (eps * (math.sqrt(4 + c) - 2) - r + 2 * p) * to_J_m2
    cos_theta = young_dupre_cos_theta(w, gamma) if gamma > 0 else math.nan
    return {"gamma_J_m2": gamma, "w_ad_J_m2": w, "cos_theta": cos_theta}


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
