"""Starting a run: the one entry point that ``kmc run``, ``kmc sweep`` and Python users go through
for a kMC run (``open_run``, and ``run`` for a whole run in one call), so that every run is checked
against the physical range of its inputs (kmc.validation), checks what its acceleration distorts
(kmc.acceleration) and records it in its file, and compiles its engine before its clocks start; and
for a run at the cell's scale, the registry of interface models by name (``CELL_MODELS``: the disc
model of kmc.disc, the gap model's section and area of kmc.resolved, which share kmc.cell and never
import each other), from which ``cell_model_of`` builds the one meso.interface names and
``run_cell_to_file`` runs it (kmc.cell.loop's one loop) into its file."""
from __future__ import annotations

import math
from pathlib import Path

from kmc import runfile, validation
from kmc.checkpoint import Checkpointer, resume_run, run_paths
from kmc.config import ConfigError, load_config, resolve_params
from kmc.observers import COMPILE_CLOCK, print_compile_notice, progress_wanted
from kmc.simulation import Simulation


def _round_down(x: float) -> float:
    """x to two significant figures, rounded down (an acceleration within a range stays within it)."""
    scale = 10 ** (math.floor(math.log10(x)) - 1)
    return math.floor(x / scale) * scale


def acceleration_check(settings) -> tuple[dict, validation.Advice | None]:
    """(the /run attributes acceleration_check_* of a run of ``settings``, the warning when its A lies
    beyond the converged range or None); ({}, None) for a run that strips nothing.  The warning names
    the run.acceleration within the range and its cost: the box's hops keep their own rates while
    the stripping slows by A / A', so a run takes up to A / A' times the events (its hops are nearly
    all of them) and the wall time (Li-Mg's probe box, 8x8x6 cells to 4e-5 mAh/cm2: 1.23e6 events at
    1e4, 9.87e6 at 1e3)."""
    from kmc.acceleration import CHECK_KEYS, DEFAULT_TOLERANCE, applies, check
    if not applies(settings):
        return {}, None
    found = check(settings, DEFAULT_TOLERANCE)
    record = {f"acceleration_check_{key}": found[key] for key in CHECK_KEYS if found[key] is not None}
    record["acceleration_check_tolerance"] = DEFAULT_TOLERANCE
    if not found["message"]:
        return record, None
    A = found["acceleration"]
    limits = [found["converged_up_to"], found["converged_up_to_solute_enrichment"]]
    within = _round_down(max(1.0, min(x for x in limits if x is not None)))
    return record, validation.Advice(
        "run.acceleration", found["message"],
        f"run.acceleration = {within:g} would be within it, at up to {A / within:.2g}x the events and wall time "
        "of this run (the box's hops, nearly all its events, keep their own rates while the stripping slows by "
        "that factor)")


def run_advice(settings) -> list[validation.Advice]:
    """Every warning a kMC run of ``settings`` gives (open_run's): its inputs' range, its acceleration, its
    estimated cost (kmc.run_cost)."""
    from kmc import run_cost
    advice = validation.check(settings, "run")
    accelerated = acceleration_check(settings)[1]
    return run_cost.with_cost(settings, advice + ([accelerated] if accelerated is not None else []))


POLICIES = ("fresh", "overwrite", "resume")


class OpenRunError(ValueError):
    """A run cannot be started or resumed; the message says why and what is allowed."""


def _checked(settings, writer, warn, fresh: bool, said=()) -> None:
    """The range of the inputs and the acceleration check: the warnings to ``warn`` (none if None; not
    those already ``said``), the check's numbers into the writer's /run attributes; if they fail, a fresh
    run's file is dropped and a resumed one's kept."""
    try:
        advice = validation.check(settings, "run")
        record, accelerated = acceleration_check(settings)
        writer.run_attributes.update(record)
        from kmc import run_cost
        for item in run_cost.with_cost(settings, advice + ([accelerated] if accelerated is not None else [])):
            if warn is not None and item not in said:
                warn(item)
    except BaseException as exc:
        if fresh:
            writer.abort()
        else:
            writer.close()
        if isinstance(exc, ConfigError):
            raise OpenRunError(str(exc)) from None
        raise


RESUMABLE = "allowed: the file of an interrupted or killed kmc run (X.h5 whose X.h5.partial and X.h5.checkpoint exist)"


def _refuse_unresumable(path) -> None:
    """OpenRunError for a finished file at ``path`` that is no kMC run to resume, saying what it is: not
    a run file (not even HDF5), a kmc meso file, or a finished kMC run."""
    final, partial, _ = run_paths(path)
    if partial.exists() or not final.exists():
        return     # resume_run says what is missing
    try:
        kind = runfile.file_kind_of(runfile.check_run_file(final, require_frames=False))
    except runfile.RunFileError as exc:
        raise OpenRunError(f"{str(exc).split('; allowed')[0]}; nothing to resume; {RESUMABLE}") from None
    if kind == runfile.KIND_MESO:
        raise OpenRunError(f"{final} is a kmc meso file, which has no checkpoint to resume (a meso run takes "
                           f"seconds: run kmc meso again); {RESUMABLE}")
    raise OpenRunError(f"{final} is a finished run; {RESUMABLE}")


def _once(notice):
    """``notice`` as a callable that acts the first time only (None stays None)."""
    if notice is None:
        return None
    told = []

    def tell():
        if not told:
            told.append(True)
            notice()
    return tell


def open_run(path, policy: str = "fresh", settings=None, warn=validation.warn, notice=None):
    """(simulation, writer, checkpointer) for a run whose output is ``path``: the one way ``kmc run``,
    ``kmc sweep`` and ``run`` start or continue a run.  The inputs' physical range
    (kmc.validation.check: a refusal before anything is written) and the acceleration check
    (kmc.acceleration.check) are made here: each warning goes to ``warn`` once (a
    kmc.validation.Advice; default: one line on stderr; None: none), and the writer records the
    acceleration's numbers in /run (acceleration_check_*) when the run ends.  The engine is compiled
    here, before the run's clocks start (Simulation.compile_engine); ``notice()`` is called once if
    numba has to compile it (the first run of an energy form), before the wait.

    ``policy`` is ``"fresh"`` (refuse if ``path``, or an interrupted run's ``.partial`` or checkpoint
    beside it, exists), ``"overwrite"`` (start again whatever is there; the old file stays until the
    new one is complete) or ``"resume"`` (continue the interrupted or killed run at ``path`` from its
    checkpoint; ``settings`` must be None: they come from the checkpoint).  The writer's ``path`` is
    the run's final name.  Raises OpenRunError with a one-line reason, having written nothing.
    """
    if policy not in POLICIES:
        raise OpenRunError(f"unknown policy {policy!r}; allowed: {', '.join(POLICIES)}")
    notice = _once(notice)     # the engine compiles in two steps here (the set-up's kernels, the loop)
    if policy == "resume":
        if settings is not None:
            raise OpenRunError("resume takes no settings; allowed: the output path alone (the "
                               "configuration comes from the checkpoint)")
        _refuse_unresumable(path)
        try:
            with COMPILE_CLOCK.watch(notice):
                sim, writer, checkpointer, _ = resume_run(path)
                sim.compile_engine()
        except (ValueError, OSError) as exc:
            raise OpenRunError(str(exc)) from None
        _checked(sim.settings, writer, warn, fresh=False)
        return sim, writer, checkpointer
    path = Path(path)
    _, partial, ckpt = run_paths(path)
    if path.is_dir():
        raise OpenRunError(f"output {path} is a directory; allowed: a file path ending in .h5")
    if policy == "fresh":
        if path.exists():
            raise OpenRunError(f"output {path} exists; allowed: a new path (-o), or --overwrite to replace it")
        if partial.exists() or ckpt.exists():
            raise OpenRunError(f"an interrupted run left {partial.name} beside {path}; allowed: kmc run "
                               f"--resume {path}, or --overwrite to start again")
    from kmc import run_cost
    try:
        advice = validation.check(settings, "run")   # refused before any work; its warnings come with the rest below
        cost = run_cost.estimate(settings)
        if cost is not None:                         # the file's room, before a box is built
            runfile.check_output_location(path, int(cost.file_bytes))
    except (ValueError, OSError) as exc:
        raise OpenRunError(str(exc)) from None
    # a large run says so before its box is built (minutes of set-up for 1e7 sites), the rest after it
    said = [a for a in run_cost.with_cost(settings, advice) if a.setting == "lattice.cells"]
    for item in said:
        if warn is not None:
            warn(item)
    try:
        with COMPILE_CLOCK.watch(notice):
            sim = Simulation(settings)
        runfile.check_output_location(path, runfile.estimated_output_bytes(settings, sim.lattice.n_sites,
                                                                           sim.charge_per_atom_mAh_cm2))
    except (ValueError, OSError) as exc:
        raise OpenRunError(str(exc)) from None
    try:
        writer = runfile.KmcWriter(path, sim)
    except OSError as exc:
        raise OpenRunError(f"cannot write {partial} ({runfile.hdf5_reason(exc)}); allowed: a path no other run "
                           "is writing (-o)") from None
    ckpt.unlink(missing_ok=True)   # a stale checkpoint must never pair with the new file
    _checked(settings, writer, warn, fresh=True, said=said)    # after every refusal: bad input is one error line
    try:
        with COMPILE_CLOCK.watch(notice):
            sim.compile_engine()
    except BaseException:
        writer.abort()
        raise
    return sim, writer, Checkpointer(path, settings.output.checkpoint_every_wall_s)


def run(config, output=None, overrides=(), policy: str = "fresh", progress: bool | None = False):
    """One kMC run from a parameter file (a path, or a shipped set's name such as "li_li2s") with
    ``overrides`` ("section.key=value"), into ``output`` (default: output.path, or
    runs/out/<model>_s<seed>.h5); ``policy`` as open_run's.  Returns the run's RunResult; the file
    is complete unless the run was interrupted (then X.h5.partial and its checkpoint stay, for
    ``kmc run --resume``).  ``kmc.run`` is this function."""
    settings = None if policy == "resume" else load_config(resolve_params(str(config)), list(overrides))
    path = Path(output or settings.output.path or runfile.default_output_path(settings)) if settings else Path(output)
    sim, writer, checkpointer = open_run(path, policy, settings,
                                         notice=print_compile_notice if progress_wanted(progress) else None)
    try:
        return sim.run(writer, progress=progress, checkpointer=checkpointer)
    except BaseException:
        writer.close()   # the .partial file and the last checkpoint stay, for --resume
        raise


def _section():
    from kmc.resolved.section import SectionModel
    return SectionModel


def _area():
    from kmc.resolved.area import AreaModel
    return AreaModel


def _disc():
    from kmc.disc.voids import DiscVoids
    return DiscVoids


# The registry of the interface models at the cell's scale by name (meso.interface): each name's model class
# (under kmc.cell.model's contract), imported when named.  kmc.launch and kmc meso read it, nothing else does
# (SPPARKS names an app by its style and its solvers know none).
CELL_MODELS = {"section": _section, "area": _area, "disc": _disc}


def cell_model(name: str):
    """The model class ``name`` stands for in CELL_MODELS."""
    if name not in CELL_MODELS:
        raise ValueError(f"meso.interface = {name!r}; allowed: {', '.join(repr(m) for m in CELL_MODELS)}")
    return CELL_MODELS[name]()


def cell_inputs_of(settings, name: str | None = None, **numerics):
    """The inputs record of the model ``name`` (None: meso.interface) for ``settings``: the model reads the
    settings once (its ``inputs``), with the interface's energetics of the energy model
    (kmc.energetics.interface_energetics: computed once per parameter set and cached) as an input;
    ``numerics``: the model's own keywords (e.g. the gap model's width_um, cell_um).  CellInputError
    (kmc.cell.inputs) for what the model cannot do."""
    from kmc.cell.inputs import meso_table
    from kmc.energetics import interface_energetics
    meso = meso_table(settings)          # refused before the energetics are computed
    return cell_model(name or meso.interface).inputs(settings, interface_energetics(settings), **numerics)


def cell_model_of(settings, name: str | None = None, **numerics):
    """The model ``name`` (None: meso.interface) built on its inputs (cell_inputs_of)."""
    from kmc.cell.inputs import meso_table
    return cell_model(name or meso_table(settings).interface)(cell_inputs_of(settings, name, **numerics))


def warm_cell_model(settings, charge_mAh_cm2: float = 0.002) -> None:
    """A short run of the model meso.interface names (to ``charge_mAh_cm2``, no file), so that its compiled
    kernels are in numba's cache before a sweep's workers load them."""
    from kmc.cell.loop import run
    run(cell_model_of(settings.replaced(meso={"stop_stripped_mAh_cm2": charge_mAh_cm2})))


def run_cell_to_file(settings, path, observer=None, warn=validation.warn, model=None):
    """Run ``settings`` at the cell's scale into the file ``path`` with the interface model meso.interface
    names (``model``: one already built of them, cell_model_of), through the one loop (kmc.cell.loop.run)
    with the same kmc.cell.loop.Observer and the same file layout (kmc.cell.output.run_to_file,
    kmc.runfile.MesoWriter).  Returns the kmc.cell.loop.CellResult.  The inputs' physical range is checked
    first (kmc.validation.check: InputRangeError before any work) and then the model's own warnings
    (model.advice()); each warning to ``warn``, a kmc.validation.Advice: default one line on stderr, None
    none.  A model not given its start (``start_from_record``) starts from the one an earlier run of the same
    start kept (its pressed face, kmc.cell.kept_starts: the same bit for bit), and keeps its own for the next."""
    from kmc.cell import kept_starts
    from kmc.cell.loop import Observer
    from kmc.cell.output import run_to_file
    from kmc.energetics import interface_energetics
    advice = validation.check(settings, "meso")
    model = model or cell_model_of(settings)
    for item in advice + model.advice():
        if warn is not None:
            warn(item)
    key = model.start_key() if model.start_record() is not None else kept_starts.start_from_kept(model)[0]
    result = run_to_file(model, settings, interface_energetics(settings), path, observer or Observer())
    kept_starts.keep_start(model, key)          # also after a run cut short: the press was whole
    return result
