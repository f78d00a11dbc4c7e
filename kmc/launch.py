"""Starting a run: the one entry point that ``kmc run``, ``kmc sweep`` and Python users go through
for a kMC run (``open_run``, and ``run`` for a whole run in one call), so that every run checks what
its acceleration distorts (kmc.acceleration) and records it in its file; and for a run at the cell's
scale (``run_cell_to_file``), the choice of the interface model meso.interface names (the resolved
section of kmc.resolved, or the disc model of kmc.disc), which share kmc.cell and never import each
other."""
from __future__ import annotations

import warnings
from pathlib import Path

from kmc import runfile
from kmc.checkpoint import Checkpointer, resume_run, run_paths
from kmc.config import load_config, resolve_params
from kmc.simulation import Simulation


class AccelerationWarning(UserWarning):
    """run.acceleration lies beyond the range where a run's answers are those of the cell."""


def _warn(message: str) -> None:
    warnings.warn(message, AccelerationWarning, stacklevel=3)


def acceleration_record(settings, warn=_warn) -> dict:
    """The /run attributes acceleration_check_* of a run of ``settings`` ({} for a run that strips
    nothing); ``warn`` gets the check's message when A lies beyond the converged range."""
    from kmc.acceleration import CHECK_KEYS, applies, check
    if not applies(settings):
        return {}
    found = check(settings)
    if found["message"]:
        warn(found["message"])
    return {f"acceleration_check_{key}": found[key] for key in CHECK_KEYS if found[key] is not None}


POLICIES = ("fresh", "overwrite", "resume")


class OpenRunError(ValueError):
    """A run cannot be started or resumed; the message says why and what is allowed."""


def _record_acceleration(settings, writer, warn, fresh: bool) -> None:
    """The acceleration check into the writer's /run attributes; if it fails, a fresh run's file is
    dropped and a resumed one's kept."""
    try:
        writer.run_attributes.update(acceleration_record(settings, warn))
    except BaseException:
        if fresh:
            writer.abort()
        else:
            writer.close()
        raise


def open_run(path, policy: str = "fresh", settings=None, warn=_warn):
    """(simulation, writer, checkpointer) for a run whose output is ``path``: the one way ``kmc run``,
    ``kmc sweep`` and ``run`` start or continue a run.  The acceleration check
    (kmc.acceleration.check) is made here: beyond the converged range ``warn`` gets its message once,
    and the writer records the numbers in /run (acceleration_check_*) when the run ends.

    ``policy`` is ``"fresh"`` (refuse if ``path``, or an interrupted run's ``.partial`` or checkpoint
    beside it, exists), ``"overwrite"`` (start again whatever is there; the old file stays until the
    new one is complete) or ``"resume"`` (continue the interrupted or killed run at ``path`` from its
    checkpoint; ``settings`` must be None: they come from the checkpoint).  The writer's ``path`` is
    the run's final name.  Raises OpenRunError with a one-line reason, having written nothing.
    """
    if policy not in POLICIES:
        raise OpenRunError(f"unknown policy {policy!r}; allowed: {', '.join(POLICIES)}")
    if policy == "resume":
        if settings is not None:
            raise OpenRunError("resume takes no settings; allowed: the output path alone (the "
                               "configuration comes from the checkpoint)")
        try:
            sim, writer, checkpointer, _ = resume_run(path)
        except (ValueError, OSError) as exc:
            raise OpenRunError(str(exc)) from None
        _record_acceleration(sim.settings, writer, warn, fresh=False)
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
    try:
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
    _record_acceleration(settings, writer, warn, fresh=True)    # after every refusal: bad input is one error line
    return sim, writer, Checkpointer(path, settings.output.checkpoint_every_wall_s)


def run(config, output=None, overrides=(), policy: str = "fresh", progress: bool | None = False):
    """One kMC run from a parameter file (a path, or a shipped set's name such as "li_li2s") with
    ``overrides`` ("section.key=value"), into ``output`` (default: output.path, or
    runs/out/<model>_s<seed>.h5); ``policy`` as open_run's.  Returns the run's RunResult; the file
    is complete unless the run was interrupted (then X.h5.partial and its checkpoint stay, for
    ``kmc run --resume``).  ``kmc.run`` is this function."""
    settings = None if policy == "resume" else load_config(resolve_params(str(config)), list(overrides))
    path = Path(output or settings.output.path or runfile.default_output_path(settings)) if settings else Path(output)
    sim, writer, checkpointer = open_run(path, policy, settings)
    try:
        return sim.run(writer, progress=progress, checkpointer=checkpointer)
    except BaseException:
        writer.close()   # the .partial file and the last checkpoint stay, for --resume
        raise


def run_cell_to_file(settings, path, observer=None):
    """Run ``settings`` at the cell's scale into the file ``path`` with the interface model
    meso.interface names: the resolved interface (kmc.resolved.run.run_to_file, the default: the section,
    or the area when meso.depth_um > 0, docs/area.md) or the disc model (kmc.disc.output.run_to_file); the
    same kmc.cell.loop.Observer, the same file layout (kmc.runfile.MesoWriter).  Returns the
    kmc.cell.loop.CellResult."""
    from kmc.cell.loop import Observer
    observer = observer or Observer()
    if settings.meso.interface == "resolved":
        from kmc.resolved.run import run_to_file
        return run_to_file(settings, path, observer)
    from kmc.disc.output import run_to_file
    return run_to_file(settings, path, observer=observer)
