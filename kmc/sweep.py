"""Parameter sweeps: one TOML spec in ``runs/`` expands into many runs, one HDF5 file each.

``kmc sweep SPEC`` runs them on a local process pool (or a Dask cluster), ``--status`` counts
done / failed / pending runs, ``--collect`` (and ``load_sweep(folder)``) tabulates the results.
The spec format is described in ``runs/README.md``.

Identity of a run, and why: a run is a pure function of its resolved config, which includes
``run.seed``.  The seed is drawn from ``numpy.random.SeedSequence(root_seed, spawn_key=(c, r))``
where ``c`` is the first 128 bits of the SHA-256 of the resolved config *without* ``run.seed``
and ``r`` is the replica number.  Adding values to a varied list or more replicas therefore never
changes the seed, nor the output, of a run that already existed; ``--set`` overrides change the
config and so get their own seeds.  The output file is ``<spec>_<h>.h5`` with ``h`` the first 12
hex digits of the SHA-256 of ``Settings.to_toml()`` (seed included): equal names mean equal runs.

Loss-free and resumable: a file is written as ``<name>.h5.partial`` beside its checkpoint
``<name>.h5.checkpoint`` and renamed when complete.  A run is done when its ``.h5`` has ``/run``
with a ``stop_reason`` other than ``interrupted``; re-running the same command skips done runs,
continues runs that were cut off (Ctrl-C, a killed worker) from their checkpoints, exactly as
``kmc run --resume`` does, and starts the rest afresh (a ``.partial`` without a usable checkpoint
is replaced).
A run that raises is recorded in ``<name>.error.json`` and does not stop the others.
``manifest.json`` in the output folder maps run name -> varied parameters, replica, seed, status.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import click
import numpy as np

from kmc import validation
from kmc.config import (SCHEMA, ConfigError, Settings, dumps_toml, read_toml, settings_from_dict, shipped_params,
                        validate)
from kmc.runfile import OutputPathError, check_output_folder, is_complete, open_run_file
from kmc.sweep_pool import PoolError, StopSignals, connect, dask_outcomes, local_outcomes, usable_cpus

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST_NAME = "manifest.json"
PARAMS_KEY = "params"   # varied key that picks the parameter file itself (e.g. Li vs Li-Mg)
SWEEP_OWNED_KEYS = {"run.seed": "it is derived from sweep.root_seed; allowed: change sweep.root_seed",
                    "output.path": "the sweep names every output file; allowed: --out or sweep.output "
                                   "for the folder"}
SPEC_KEYS = {
    "sweep": ("description", "root_seed", "replicas", "output", "command"),
    "base": ("params", "set"),
    "grid": None,       # any config key (section.key) or params
    "zip": None,
    "collect": ("charge_marks_mAh_cm2",),
}
DEFAULT_MARK_FRACTIONS = (0.25, 0.5, 0.75)   # of the smallest run.stop_stripped_mAh_cm2 in the sweep
SEEDING_RULE = ("run.seed = SeedSequence(root_seed, spawn_key=(int(sha256(resolved config TOML "
                "without run.seed)[:16 bytes]), replica)).generate_state(1, uint64)[0] >> 1")
ANALYSIS_FINAL_COLUMNS = {"interface_void_count": "interface_void_count_final",
                          "max_void_width_nm": "max_void_width_final_nm"}


# sweep.command -> what each point runs: the kMC (kmc run) or the interface at the cell's scale (kmc meso)
COMMANDS = {"run": "kmc run", "meso": "kmc meso"}


class SweepError(ValueError):
    """Bad sweep input; the message names what is wrong and what is allowed."""


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep: its resolved config (seed included) and where it came from."""
    name: str               # output file is <name>.h5
    varied: dict            # varied key -> value as resolved (params: the spec's path string)
    replica: int
    seed: int
    config: dict            # Settings.to_dict() of the resolved config
    source: str             # the parameter file it was built from
    command: str = "run"    # sweep.command: a key of COMMANDS

    def describe(self) -> str:
        return ", ".join([f"{k}={v}" for k, v in self.varied.items()] + [f"replica {self.replica}"])


@dataclass(frozen=True)
class SweepPlan:
    spec_path: Path
    spec_name: str
    root_seed: int
    output_dir: Path
    overrides: tuple[str, ...]
    varied_keys: tuple[str, ...]
    charge_marks_mAh_cm2: tuple[float, ...]
    runs: tuple[PlannedRun, ...]


# ------------------------------------------------------------------------------- spec -> plan
def _config_key_error(name: str) -> str | None:
    """Why ``name`` is not a config key (None if it is one)."""
    parts = name.split(".")
    if len(parts) != 2 or not all(parts):
        return f"{name!r} is not section.key; allowed: a config key such as conditions.stack_pressure_MPa"
    section, key = parts
    if section not in SCHEMA:
        return f"unknown section [{section}] in {name!r}; allowed sections: {', '.join(SCHEMA)}"
    if key not in SCHEMA[section]:
        return f"unknown key {name}; allowed keys in [{section}]: {', '.join(SCHEMA[section])}"
    return None


def _flat_keys(table: dict, where: str, allow_params: bool) -> dict:
    """{section: {key: v}} (TOML dotted keys) or {"section.key": v} -> {"section.key": v}, checked."""
    flat = {}
    for top, value in table.items():
        if top == PARAMS_KEY and allow_params:
            items = [(PARAMS_KEY, value)]
        elif isinstance(value, dict):
            items = [(f"{top}.{key}", v) for key, v in value.items()]
        else:
            items = [(top, value)]
        for name, v in items:
            if name != PARAMS_KEY or not allow_params:
                problem = _config_key_error(name)
                if problem:
                    also = f" (or {PARAMS_KEY}, the parameter file)" if allow_params else ""
                    raise SweepError(f"{where}: {problem}{also}")
                if name in SWEEP_OWNED_KEYS:
                    raise SweepError(f"{where}: {name} cannot be set in a sweep: {SWEEP_OWNED_KEYS[name]}")
            if name in flat:
                raise SweepError(f"{where}: {name} is given twice; allowed: each key once")
            flat[name] = v
    return flat


def _resolve_params(value, spec_dir: Path, where: str) -> Path:
    """A parameter file relative to the spec file, else to the repository root, else a shipped set
    named ``params/<name>.toml`` or ``<name>`` (so specs work after a non-editable install)."""
    if not isinstance(value, str) or not value:
        raise SweepError(f"{where}: expected a parameter file path, got {value!r}; allowed: a TOML path "
                         "relative to the spec file or the repository, e.g. params/li_li2s.toml")
    for candidate in (spec_dir / value, REPO_ROOT / value):
        if candidate.is_file():
            return candidate.resolve()
    shipped, given = shipped_params(), Path(value)
    if given.parts[:-1] in ((), ("params",)) and given.suffix in ("", ".toml") and given.stem in shipped:
        return shipped[given.stem]
    raise SweepError(f"{where}: parameter file {value!r} not found next to the spec ({spec_dir}) or in "
                     f"the repository ({REPO_ROOT}), and not a shipped set ({', '.join(shipped)}); "
                     "allowed: an existing TOML path, e.g. params/li_li2s.toml")


def _read_toml(path: Path, what: str, example: str) -> dict:
    try:
        return read_toml(path, what, example)
    except ConfigError as exc:
        raise SweepError(str(exc)) from None


def _check_spec_layout(spec: dict, where: str):
    for section, value in spec.items():
        if section not in SPEC_KEYS:
            raise SweepError(f"{where}: unknown section [{section}]; allowed sections: {', '.join(SPEC_KEYS)}")
        if not isinstance(value, dict):
            raise SweepError(f"{where}: [{section}] must be a table, got {type(value).__name__}")
        allowed = SPEC_KEYS[section]
        for key in value if allowed is not None else ():
            if key not in allowed:
                raise SweepError(f"{where}: unknown key {section}.{key}; allowed keys in [{section}]: "
                                 f"{', '.join(allowed)}")


def _int_setting(table: dict, key: str, where: str, default, minimum: int) -> int:
    value = table.get(key, default)
    if value is None:
        raise SweepError(f"{where}: missing required key sweep.{key}; allowed: an integer >= {minimum}")
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < 2**63:
        raise SweepError(f"{where}: sweep.{key} = {value!r}; allowed: an integer {minimum} <= x < 2**63")
    return value


def _varied_lists(table: dict, section: str, where: str) -> dict:
    lists = _flat_keys(table, f"{where} [{section}]", allow_params=True)
    for name, values in lists.items():
        if not isinstance(values, list) or not values:
            raise SweepError(f"{where} [{section}]: {name} = {values!r}; allowed: a non-empty list of values")
    return lists


def _points(grid: dict, zipped: dict, where: str) -> list[dict]:
    """Cartesian product of the grid lists, times the rows of the zipped lists."""
    lengths = {name: len(values) for name, values in zipped.items()}
    if len(set(lengths.values())) > 1:
        raise SweepError(f"{where} [zip]: lists have different lengths "
                         f"({', '.join(f'{k}: {n}' for k, n in lengths.items())}); allowed: equal lengths")
    zip_rows = [dict(zip(zipped, row)) for row in zip(*zipped.values())] if zipped else [{}]
    return [dict(zip(grid, combo)) | row for combo in itertools.product(*grid.values()) for row in zip_rows]


def _identity_without_seed(config: dict) -> bytes:
    reduced = {section: {k: v for k, v in values.items() if (section, k) != ("run", "seed")}
               for section, values in config.items()}
    return hashlib.sha256(dumps_toml(reduced).encode()).digest()


def derive_seed(root_seed: int, config: dict, replica: int) -> int:
    """The 63-bit ``run.seed`` of a run (``SEEDING_RULE``): stable under adding values or replicas."""
    config_key = int.from_bytes(_identity_without_seed(config)[:16], "big")
    state = np.random.SeedSequence(root_seed, spawn_key=(config_key, replica)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def config_hash(settings: Settings) -> str:
    """First 12 hex digits of the SHA-256 of the resolved config (seed included)."""
    return hashlib.sha256(settings.to_toml().encode()).hexdigest()[:12]


def _override_key(item: str) -> str:
    return item.split("=", 1)[0].strip()


def _plan_run(params_table: dict, params_path: Path, base_set: dict, point: dict, overrides: tuple,
              root_seed: int, replica: int, spec_name: str, where: str, command: str) -> PlannedRun:
    """Resolve one run's config (params file < [base.set] < --set; varied keys are set nowhere else),
    check its inputs' physical range for its command (kmc.validation: a sweep refuses before any run
    starts), then its seed and name."""
    raw = {section: dict(values) if isinstance(values, dict) else values for section, values in params_table.items()}
    for name, value in itertools.chain(base_set.items(), point.items()):
        if name != PARAMS_KEY:
            section, key = name.split(".")
            if not isinstance(raw.setdefault(section, {}), dict):
                raise SweepError(f"{params_path}: [{section}] must be a table")
            raw[section][key] = value
    try:
        resolved = settings_from_dict(raw, list(overrides)).to_dict()
        validation.check(Settings(resolved, str(params_path)), "meso" if command == "meso" else "run")
    except ConfigError as exc:
        label = ", ".join(f"{k}={v}" for k, v in point.items()) or "the base point"
        raise SweepError(f"{where}, run with {label}: {exc}") from None
    resolved["run"]["seed"] = derive_seed(root_seed, resolved, replica)
    settings = Settings(validate(resolved), str(params_path))
    varied = {k: (v if k == PARAMS_KEY else settings.flat()[k]) for k, v in point.items()}
    return PlannedRun(f"{spec_name}_{config_hash(settings)}", varied, replica, settings.run.seed,
                      settings.to_dict(), str(params_path))


def expand_sweep(spec_path, overrides=(), output_dir=None) -> SweepPlan:
    """Read and validate a spec and build every run's resolved config; raise SweepError before any work."""
    spec_path = Path(spec_path)
    spec = _read_toml(spec_path, "sweep spec", "runs/pressure.toml")
    where = f"sweep spec {spec_path}"
    _check_spec_layout(spec, where)
    head, base = spec.get("sweep", {}), spec.get("base", {})
    root_seed = _int_setting(head, "root_seed", where, None, 0)
    replicas = _int_setting(head, "replicas", where, 1, 1)
    command = head.get("command", "run")
    if command not in COMMANDS:
        raise SweepError(f"{where}: sweep.command = {command!r}; allowed: "
                         + ", ".join(f"{k!r} ({v})" for k, v in COMMANDS.items()))
    spec_dir = spec_path.resolve().parent
    if not isinstance(base.get("set", {}), dict):
        raise SweepError(f"{where}: [base.set] must be a table of section.key = value; allowed: e.g. "
                         "run.stop_stripped_mAh_cm2 = 1e-4")
    base_set = _flat_keys(base.get("set", {}), f"{where} [base.set]", allow_params=False)
    grid = _varied_lists(spec.get("grid", {}), "grid", where)
    zipped = _varied_lists(spec.get("zip", {}), "zip", where)
    in_both = sorted(grid.keys() & zipped.keys())
    if in_both:
        raise SweepError(f"{where}: {in_both[0]} is varied in both [grid] and [zip]; allowed: one of them")
    varied_keys = tuple(grid) + tuple(zipped)
    set_and_varied = sorted(base_set.keys() & set(varied_keys))
    if set_and_varied:
        raise SweepError(f"{where}: {set_and_varied[0]} is both set in [base.set] and varied; "
                         "allowed: one of them")
    if PARAMS_KEY not in varied_keys and "params" not in base:
        raise SweepError(f"{where}: missing base.params; allowed: a parameter file path such as "
                         "params/li_li2s.toml (or vary params in [grid] / [zip])")
    overrides = tuple(overrides)
    for item in overrides:
        key = _override_key(item)
        problem = _config_key_error(key) if "=" in item else "expected section.key=value"
        if problem:
            raise SweepError(f"--set {item!r}: {problem}")
        if key in varied_keys:
            raise SweepError(f"--set {item!r}: {key} is varied by the spec; allowed: keys the spec does not vary")
        if key in SWEEP_OWNED_KEYS:
            raise SweepError(f"--set {item!r}: {key} cannot be set in a sweep: {SWEEP_OWNED_KEYS[key]}")

    param_tables: dict[Path, dict] = {}
    runs, by_name = [], {}
    for replica in range(replicas):            # replica-major: a first pass covers every point
        for point in _points(grid, zipped, where):
            params_value = point.get(PARAMS_KEY, base.get("params"))
            params_where = f"{where} [{'grid/zip' if PARAMS_KEY in point else 'base'}] params"
            params_path = _resolve_params(params_value, spec_dir, params_where)
            if params_path not in param_tables:
                param_tables[params_path] = _read_toml(params_path, "parameter file", "params/li_li2s.toml")
            run = _plan_run(param_tables[params_path], params_path, base_set, point, overrides,
                            root_seed, replica, spec_path.stem, where, command)
            if command != "run":
                if "meso" not in run.config:
                    raise SweepError(f"{where}: sweep.command = 'meso' needs a [meso] table in {params_path}; "
                                     "allowed: a parameter file with one, e.g. params/li_li2s.toml")
                run = replace(run, command=command)
            if run.name in by_name:
                raise SweepError(f"{where}: runs ({by_name[run.name].describe()}) and ({run.describe()}) "
                                 "resolve to the same config; allowed: distinct values in each varied list")
            by_name[run.name] = run
            runs.append(run)

    if output_dir is not None:
        out = Path(output_dir)
    elif "output" in head:
        if not isinstance(head["output"], str) or not head["output"]:
            raise SweepError(f"{where}: sweep.output = {head['output']!r}; allowed: a folder path")
        out = spec_dir / head["output"]
    else:
        out = spec_dir / "out" / spec_path.stem
    if out.exists() and not out.is_dir():
        raise SweepError(f"output folder {out} exists and is not a folder; allowed: a folder path (--out)")
    return SweepPlan(spec_path, spec_path.stem, root_seed, out, overrides, varied_keys,
                     _charge_marks(spec.get("collect", {}), runs, where), tuple(runs))


def _charge_marks(collect: dict, runs: list[PlannedRun], where: str) -> tuple[float, ...]:
    """Stripped charges (mAh/cm2) at which --collect reports the contact fraction."""
    if "charge_marks_mAh_cm2" in collect:
        marks = collect["charge_marks_mAh_cm2"]
        if not isinstance(marks, list) or not all(isinstance(m, (int, float)) and not isinstance(m, bool)
                                                  and 0 < m < math.inf for m in marks):
            raise SweepError(f"{where}: collect.charge_marks_mAh_cm2 = {marks!r}; allowed: a list of "
                             "positive numbers (mAh/cm2)")
        return tuple(float(m) for m in marks)
    stops = [_stop_charge(r) for r in runs if _stop_charge(r) > 0]
    return tuple(float(f"{f * min(stops):.12g}") for f in DEFAULT_MARK_FRACTIONS) if stops else ()


def _stop_charge(run: PlannedRun) -> float:
    section = "meso" if run.command == "meso" else "run"
    return run.config[section]["stop_stripped_mAh_cm2"]


# ------------------------------------------------------------------------------- run states
def output_path(folder, name: str) -> Path:
    return Path(folder) / f"{name}.h5"


def error_path(folder, name: str) -> Path:
    return Path(folder) / f"{name}.error.json"


def run_state(folder, name: str) -> str:
    """'done', 'failed' (an error record and no complete output) or 'pending'."""
    if is_complete(output_path(folder, name)):
        return "done"
    if error_path(folder, name).is_file():
        return "failed"
    return "pending"


def _write_json(path: Path, data):
    """Write JSON through a temporary name so readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    os.replace(tmp, path)


def _read_manifest(folder) -> dict:
    """The folder's manifest ({} if there is none yet); SweepError if it cannot be read or is not
    what kmc sweep writes (checked before anything in the folder is touched)."""
    path = Path(folder) / MANIFEST_NAME
    allowed = "allowed: the JSON kmc sweep writes, or delete it and re-run the sweep"
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError) as exc:   # a folder, unreadable, not UTF-8, not JSON
        raise SweepError(f"{path}: not a readable sweep manifest ({exc}); {allowed}") from None
    runs = manifest.get("runs") if isinstance(manifest, dict) else None
    if not (isinstance(runs, dict) and all(isinstance(e, dict) and isinstance(e.get("varied"), dict)
                                           and {"replica", "seed"} <= e.keys() for e in runs.values())):
        raise SweepError(f"{path}: not a sweep manifest (no table of runs with varied, replica and seed); {allowed}")
    return manifest


def recorded_runs(folder) -> dict:
    """{name: entry} of the runs the folder's manifest records ({} before any run started)."""
    return _read_manifest(folder).get("runs", {})


def _write_manifest(plan: SweepPlan, states: dict, errors: dict):
    """Merge this plan's runs into the folder's manifest (runs from earlier plans are kept)."""
    old = _read_manifest(plan.output_dir).get("runs", {})
    planned = {run.name for run in plan.runs}
    runs = {name: dict(entry, status=run_state(plan.output_dir, name))
            for name, entry in old.items() if name not in planned}
    for run in plan.runs:
        runs[run.name] = {"file": f"{run.name}.h5", "varied": run.varied,
                          "replica": run.replica, "seed": run.seed, "overrides": list(plan.overrides),
                          "status": states[run.name], "error": errors.get(run.name)}
    _write_json(plan.output_dir / MANIFEST_NAME, {
        "spec": str(plan.spec_path.resolve()), "spec_name": plan.spec_name, "root_seed": plan.root_seed,
        "seeding_rule": SEEDING_RULE, "varied_keys": list(plan.varied_keys),
        "charge_marks_mAh_cm2": list(plan.charge_marks_mAh_cm2), "runs": runs})


def _error_summary(folder, name: str) -> str:
    try:
        return json.loads(error_path(folder, name).read_text())["error"]
    except (OSError, ValueError, KeyError) as exc:
        return f"(unreadable error record: {exc})"


# ------------------------------------------------------------------------------- running
def execute_run(run: PlannedRun, folder: str) -> dict:
    """Run one sweep run into ``folder/<name>.h5``, continuing from its checkpoint if an earlier
    attempt was cut off; failures come back as a record instead of raising."""
    if run.command == "meso":
        return _execute_meso(run, folder)
    from kmc.checkpoint import run_paths
    from kmc.launch import OpenRunError, open_run
    wall0 = time.perf_counter()
    path = output_path(folder, run.name)
    _, partial, checkpoint = run_paths(path)
    try:
        opened = None
        if partial.is_file() and checkpoint.is_file():
            try:
                opened = open_run(path, "resume", warn=None)     # its warnings: the sweep's, printed once
            except OpenRunError:   # torn or foreign leftovers: start this run again
                opened = None
        if opened is None:
            opened = open_run(path, "overwrite", Settings(run.config, run.source), warn=None)
        sim, writer, checkpointer = opened
        try:
            result = sim.run(writer, progress=False, checkpointer=checkpointer)
        except BaseException:
            writer.close()   # the .partial file and the last checkpoint stay for the next attempt
            raise
    except Exception as exc:
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                "wall_time_s": time.perf_counter() - wall0}
    if result.stop_reason == "interrupted":     # Ctrl-C: the .partial file and checkpoint wait for a re-run
        return {"status": "pending", "stop_reason": result.stop_reason, "wall_time_s": time.perf_counter() - wall0}
    return {"status": "done", "stop_reason": result.stop_reason, "wall_time_s": time.perf_counter() - wall0}


def _execute_meso(run: PlannedRun, folder: str) -> dict:
    """A `kmc meso` point (seconds: no checkpoint; its file is written whole or not at all)."""
    from kmc.launch import run_cell_to_file
    wall0 = time.perf_counter()
    try:
        settings = Settings(run.config, run.source)
        result = run_cell_to_file(settings, output_path(folder, run.name), warn=None)
    except Exception as exc:
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                "wall_time_s": time.perf_counter() - wall0}
    outcome = {"status": "done", "stop_reason": result.stop_reason, "wall_time_s": time.perf_counter() - wall0}
    if result.unconverged:                       # the solver's message, printed with the stop
        outcome["unconverged"] = result.unconverged
    return outcome


def sweep_warnings(runs) -> list[tuple[validation.Advice, int]]:
    """Each distinct warning of the runs (kmc.launch.run_advice for a kMC run, kmc.validation.check for
    a meso one) with the number of runs that give it, in the order met: a sweep prints each once."""
    from kmc.launch import run_advice
    found: dict[str, list] = {}
    for run in runs:
        settings = Settings(run.config, run.source)
        advice = validation.check(settings, "meso") if run.command == "meso" else run_advice(settings)
        for item in advice:
            found.setdefault(item.line(), [item, 0])[1] += 1
    return [(item, n) for item, n in found.values()]


def warm_jit(run: PlannedRun):
    """Compile the engine here (or load it from numba's cache) before fanning out, so the workers
    load cached machine code instead of all compiling at once.  Returns the signal number if a
    SIGINT / SIGTERM cut the warm-up run short, else None."""
    if run.command == "meso":
        # the interface's energetics, computed once and cached for the workers (and the disc model's
        # compiled kernels, if that is the model)
        from kmc.energetics import interface_energetics
        settings = Settings(run.config, run.source)
        interface_energetics(settings)
        if settings.meso.interface == "disc":
            from kmc.launch import warm_cell_model
            warm_cell_model(settings)
        return None
    from kmc.observers import COMPILE_CLOCK, print_compile_notice
    from kmc.simulation import Simulation
    depth = run.config["lattice"]["cells"][2]   # keeps the layer_vacancy_eV length check valid
    settings = Settings(run.config, run.source).replaced(lattice={"cells": [4, 4, depth]}, run={"max_events": 1000})
    with COMPILE_CLOCK.watch(print_compile_notice):     # the first run of an energy form compiles here
        sim = Simulation(settings)
        sim.compile_engine()
    if sim.run(None, progress=False).stop_reason == "interrupted":
        return sim._stop_signal   # the SIGINT / SIGTERM that cut the warm-up short
    return None


def _run_todo(plan, todo, folder, states, errors, workers, client, stop):
    """Run ``todo`` (warm-up, then the pool or the cluster), recording each outcome as it comes."""
    try:
        warmed = warm_jit(todo[0])
        if warmed is not None and stop.received is None:   # a signal the warm-up run took for itself
            stop.received = warmed
    except Exception as exc:   # that run will fail on its own and be recorded
        click.echo(f"JIT warm-up skipped ({type(exc).__name__}: {exc})", err=True)
    outcomes = (dask_outcomes(todo, str(folder), client, execute_run) if client is not None
                else local_outcomes(todo, str(folder), workers or usable_cpus(), stop, execute_run,
                                    lambda run: run_state(folder, run.name)))
    for k, (run, outcome) in enumerate(outcomes, 1):
        states[run.name] = outcome["status"]
        if outcome["status"] == "failed":
            errors[run.name] = outcome["error"]
            _write_json(error_path(folder, run.name), {
                "run": run.name, "varied": run.varied, "replica": run.replica, "seed": run.seed,
                "error": outcome["error"], "traceback": outcome["traceback"]})
        else:
            errors.pop(run.name, None)
            error_path(folder, run.name).unlink(missing_ok=True)
        _write_manifest(plan, states, errors)
        detail = outcome.get("stop_reason") if outcome["status"] != "failed" else outcome["error"]
        if "unconverged" in outcome:
            detail = f"{detail}: {outcome['unconverged']}"
        if stop.received is not None and outcome["status"] == "pending":
            detail = "interrupted (resumable)"
        click.echo(f"[{k}/{len(todo)}] {outcome['status']:7s} {run.name}  ({run.describe()})  "
                   f"{outcome['wall_time_s']:.1f} s  {detail}")


def run_sweep(plan: SweepPlan, workers: int | None = None, scheduler: str | None = None) -> dict:
    """Run every run of ``plan`` that is not done; return {'done': n, 'failed': n, 'pending': n,
    'stopped_by': None or the signal number (SIGINT / SIGTERM) that stopped a local sweep early}.

    On a local pool a stop signal ends the sweep cleanly: running runs end as interrupted (resumable
    by the same command), no worker is left behind (see ``_local_outcomes``)."""
    folder = plan.output_dir.resolve()
    try:   # everything that can refuse the sweep comes before the first write
        check_output_folder(folder, "a folder you can write to (--out or sweep.output)")
    except OutputPathError as exc:
        raise SweepError(str(exc)) from None
    _read_manifest(folder)
    try:
        client = connect(scheduler) if scheduler else None
    except PoolError as exc:
        raise SweepError(str(exc)) from None
    folder.mkdir(parents=True, exist_ok=True)
    states = {run.name: run_state(folder, run.name) for run in plan.runs}
    errors = {name: _error_summary(folder, name) for name, state in states.items() if state == "failed"}
    todo = [run for run in plan.runs if states[run.name] != "done"]
    _write_manifest(plan, states, errors)
    from kmc.checkpoint import checkpoint_path
    cut_off = sum(checkpoint_path(output_path(folder, run.name)).is_file() for run in todo)
    resuming = f" ({cut_off} continue from checkpoints)" if cut_off else ""
    click.echo(f"{plan.spec_name}: {len(plan.runs)} runs, {len(plan.runs) - len(todo)} already done, "
               f"{len(todo)} to run{resuming} -> {plan.output_dir}")
    for advice, n in sweep_warnings(todo):     # once per sweep, not once per worker
        validation.warn(advice, count=f"{n} of the {len(todo)} runs to run" if n < len(todo) else "")
    stop = StopSignals()
    try:
        if todo:
            with stop if client is None else contextlib.nullcontext():
                _run_todo(plan, todo, folder, states, errors, workers, client, stop)
    finally:
        if client is not None:
            client.close()
    counts = {s: sum(1 for v in states.values() if v == s) for s in ("done", "failed", "pending")}
    counts["stopped_by"] = stop.received
    click.echo(f"{counts['done']} done, {counts['failed']} failed, {counts['pending']} pending of {len(plan.runs)}")
    return counts


@dataclass(frozen=True)
class SweepStatus:
    """Where a sweep's folder stands, read from its manifest (the runs it records, whatever --set the
    status is asked with) and its files."""
    counts: dict              # done / failed / pending of the folder's runs
    failures: list            # (name, what it varied, error) of each failed one
    runs: int                 # the folder's runs: its manifest's (the plan's, before any started)
    not_in_folder: int        # runs of the plan as given that the folder does not hold
    folder_overrides: tuple   # the --set the folder's runs were made with, if they share one


def _describe(entry: dict) -> str:
    return ", ".join([f"{k}={v}" for k, v in entry["varied"].items()] + [f"replica {entry['replica']}"])


def sweep_status(plan: SweepPlan) -> SweepStatus:
    """The done / failed / pending runs of the plan's folder, found from its manifest alone (so a
    status asked without the --set the runs were made with still finds them), and how many runs of
    the plan as given the folder does not hold; writes nothing."""
    folder = plan.output_dir
    entries = _read_manifest(folder).get("runs", {})
    if not entries:    # nothing started yet: the plan's runs, all pending
        entries = {run.name: {"varied": run.varied, "replica": run.replica, "overrides": list(plan.overrides)}
                   for run in plan.runs}
    states = {name: run_state(folder, name) for name in entries}
    counts = {s: sum(1 for v in states.values() if v == s) for s in ("done", "failed", "pending")}
    failures = [(name, _describe(entry), _error_summary(folder, name)) for name, entry in entries.items()
                if states[name] == "failed"]
    overrides = {tuple(entry.get("overrides", ())) for entry in entries.values()}
    return SweepStatus(counts, failures, len(entries), sum(run.name not in entries for run in plan.runs),
                       next(iter(overrides)) if len(overrides) == 1 else ())


# ------------------------------------------------------------------------------- collecting
def run_metrics(path, charge_marks_mAh_cm2=()) -> dict:
    """Summary of one finished run file: final observables, contact at stripped-charge marks, /run
    figures, and the final void count and width when the file has an /analysis group."""
    with open_run_file(path) as f:
        charge = f.series("stripped_charge")
        contact = f.series("contact_fraction")
        row = {"contact_fraction_final": float(contact[-1])}
        for mark in charge_marks_mAh_cm2:   # NaN beyond the run's final charge: no extrapolation
            row[f"contact_fraction_at_{mark:g}_mAh_cm2"] = float(np.interp(mark, charge, contact,
                                                                           left=math.nan, right=math.nan))
        run = f.run_attributes()
        if f.is_meso:
            return _meso_metrics(f, charge, contact, row, run)
        row["stripped_charge_final_mAh_cm2"] = float(charge[-1])
        row["vacancy_count_final"] = int(f.series("vacancy_count")[-1])
        row["interface_solute_fraction_final"] = float(f.series("interface_solute_fraction")[-1])  # old files: Mg name
        for column, name in ANALYSIS_FINAL_COLUMNS.items():
            values = f.analysis_column("frames", column)
            if values is not None:
                row[name] = values[-1].item()
    row["events"] = int(run["events"])
    row["events_per_s"] = float(run["events_per_s"])
    row["kmc_time_s"] = float(run["kmc_time_s"])
    row["stop_reason"] = str(run["stop_reason"])
    return row


def _meso_metrics(f, charge, contact, row: dict, run: dict) -> dict:
    """The rest of run_metrics for a `kmc meso` file: overpotential, voids per 100 um of section and
    void count at the end, the lowest contact, and its /run figures."""
    row["stripped_charge_final_mAh_cm2"] = float(charge[-1])
    row["contact_fraction_min"] = float(contact.min())
    row["overpotential_final_mV"] = float(f.series("overpotential")[-1])
    row["section_voids_per_100um_final"] = 100 * float(f.series("section_voids_per_um")[-1])
    row["void_count_final"] = int(f.series("void_count")[-1])
    row["steps"] = int(run["steps"])
    row["wall_time_s"] = float(run["wall_time_s"])
    row["stop_reason"] = str(run["stop_reason"])
    return row


def load_sweep(folder, charge_marks_mAh_cm2=None, names=None):
    """One pandas DataFrame row per finished run of the sweep in ``folder`` (from its manifest):
    the varied parameters, replica, ``run_metrics``, seed and file name.

    ``charge_marks_mAh_cm2`` defaults to the marks recorded in the manifest; ``names`` restricts
    (and orders) the runs.  Runs that are not finished are left out.
    """
    import pandas as pd
    folder = Path(folder)
    manifest = _read_manifest(folder)
    if not manifest:
        raise SweepError(f"no {MANIFEST_NAME} in {folder}; allowed: an output folder of kmc sweep")
    marks = manifest.get("charge_marks_mAh_cm2", []) if charge_marks_mAh_cm2 is None else charge_marks_mAh_cm2
    entries = manifest["runs"]
    rows = []
    for name in names if names is not None else entries:
        entry = entries.get(name)
        if entry is None or not is_complete(output_path(folder, name)):
            continue
        row = dict(entry["varied"], replica=entry["replica"])
        row.update(run_metrics(output_path(folder, name), marks))
        row.update(seed=entry["seed"], file=f"{name}.h5")
        if entry.get("overrides"):
            row["overrides"] = " ".join(entry["overrides"])
        rows.append(row)
    return pd.DataFrame(rows)
