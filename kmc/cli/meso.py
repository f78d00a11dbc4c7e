"""``kmc meso``: the interface at the cell's scale (kmc.cell, and the model meso.interface names from
kmc.launch's registry: the section, the area or the disc), one HDF5 file per run."""
from __future__ import annotations

from pathlib import Path

import click

from kmc.config import REQUIRED, SCHEMA, ConfigError, load_config, resolve_params
from kmc.errors import OneLineErrorCommand, fail


def _defaults_text() -> str:
    """The [meso] numerics' defaults and the conditions' (from the schema: what a parameter file
    that leaves them out gets), for --help."""
    def listed(section):
        return ", ".join(f"{section}.{name} = {key.default:g}" for name, key in SCHEMA[section].items()
                         if key.default is not REQUIRED and isinstance(key.default, (int, float)))
    return ("\b\nDefaults where the parameter file gives none (change any with --set):\n  "
            + listed("meso").replace(", ", ",\n  ") + ",\n  " + listed("conditions").replace(", ", ",\n  ")
            + "\nThe physics keys of [meso] have no default: the shipped parameter\nsets give each, with its source.")


# Exit codes beside 0 (kmc run's: 2 bad input, 130 interrupted): the run stopped before its stop
# condition because it ran away (kmc.cell.loop.RunawayStop); the file is complete up to there.
EXIT_RUNAWAY = 3
# ... or because a field's solve fell short of its tolerance (kmc.cell.model.Unconverged): the file is complete up to
# its last sample.
EXIT_UNCONVERGED = 4


@click.command(cls=OneLineErrorCommand, epilog=_defaults_text())
@click.argument("config")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override a config value (repeatable), e.g. --set conditions.stack_pressure_MPa=1.5.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Output HDF5 file (refused if it exists, unless --overwrite).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--interface", type=click.Choice(["section", "area", "disc"]), default=None,
              help="The interface model (sets meso.interface; default: section). section: the gap as a field "
                   "over a section meso.width_um long at 0.25 um, closed by the foil's creep mechanics under one "
                   "rigid plunger (voids grow, coalesce, split and collapse by themselves). area: the same over a "
                   "periodic plane meso.width_um x meso.depth_um (docs/area.md). disc: cap-shaped voids on a "
                   "periodic square closed by a formula, a fast limit that the mechanics finds 1e3-1e4 times too "
                   "fast at closing voids (docs/mechanics.md).")
@click.option("--press-from", "press_from", type=click.Path(dir_okay=False), default=None, metavar="RUN.h5",
              help="Start from the pressed face an earlier kmc meso run kept in its file (/press) instead of pressing "
                   "again: the same face bit for bit. Refused unless the two runs' presses read the same inputs (they "
                   "may differ in the current, the stack pressure, the stop and the samples). A face pressed here "
                   "before is found in $KMC_CACHE_DIR/press without it (docs/area.md).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: only when stderr is a terminal).")
def meso(config, overrides, output, overwrite, interface, press_from, progress):
    """Strip the interface at the cell's real rates: stripping focused on the contact,
    quasi-static vacancy transport to the sinks and the voids, creep closure, coalescence, splits,
    nucleation at the kMC's I(S); writes contact_fraction, overpotential, stripped_charge (mAh/cm2)
    and the void statistics of SEM-like sections as observables (docs/meso.md).

    The interface's energetics (L1's equilibrium solute, ~10 s of Monte Carlo for Li-Mg) are
    computed once per parameter set and kept in $KMC_CACHE_DIR/interface (default
    ~/.cache/kmc-vacancy/interface), and a face's press once per face in $KMC_CACHE_DIR/press.

    \b
    Exit codes:
      0    the run reached its stop condition (stripped, or contact lost)
      2    bad input (parameters, output path, a temperature where the
           model's crystal does not exist): one "error:" line; nothing written
      3    runaway: more voids or steps than the run's box allows; the file
           is complete up to there (stop_reason runaway_voids/runaway_steps)
      4    a field's solve fell short of its tolerance (one "error:" line
           says which); the file is complete up to its last
           sample (stop_reason unconverged)
      130  interrupted (Ctrl-C, SIGTERM): the file is complete up to the
           last step, stop_reason interrupted (a second Ctrl-C: nothing kept)
    """
    from kmc.cell.inputs import CellInputError
    from kmc.cell.loop import Chain, RunawayStop, SignalStop, WorkInterrupted, progress_bar, said_if_long
    from kmc.launch import cell_model_of, run_cell_to_file
    from kmc.observers import COMPILE_CLOCK, print_compile_notice
    from kmc.runfile import OutputPathError, check_output_location
    from kmc.validation import check, warn
    if interface is not None:
        overrides = (*overrides, f"meso.interface={interface}")
    with SignalStop() as stop:
        try:
            settings = load_config(resolve_params(config), list(overrides))
            advice = check(settings, "meso")      # refused before any work
            kept = _kept_start(press_from) if press_from is not None else None
        except (ConfigError, CellInputError) as exc:
            fail(str(exc))
        path = Path(output)
        if path.is_dir():
            fail(f"output {path} is a directory; allowed: a file path ending in .h5")
        if path.exists() and not overwrite:
            fail(f"output {path} exists; allowed: a new path (-o), or --overwrite to replace it")
        try:
            check_output_location(path, _estimated_file_bytes(settings))
        except OutputPathError as exc:
            fail(str(exc))
        for item in advice:                  # before the progress bar: one line each
            warn(item)
        try:
            try:
                with stop.interruptible(), said_if_long("building the model (its energetics and mechanics)"):
                    model = cell_model_of(settings)
            except WorkInterrupted:
                raise KeyboardInterrupt from None
            if kept is not None:
                model.start_from_record(kept, press_from)
            for item in model.advice():
                warn(item)
            if stop.arrived:
                raise KeyboardInterrupt
            path.parent.mkdir(parents=True, exist_ok=True)
            runaway = RunawayStop(model.runaway_bounds())
            bar = progress_bar(progress, model.inp.stop_stripped_mAh_cm2)
            compiled_before = COMPILE_CLOCK.seconds
            try:
                with COMPILE_CLOCK.watch(print_compile_notice):   # said off a terminal too
                    result = run_cell_to_file(settings, path, observer=Chain(stop, runaway, bar), warn=None,
                                              model=model)
            finally:
                if bar is not None:
                    bar.close()
            compiled = COMPILE_CLOCK.seconds - compiled_before
        except CellInputError as exc:
            fail(str(exc))
        except (KeyboardInterrupt, SystemError):
            # a second Ctrl-C (or one before the run started): run_to_file dropped the file; a
            # SystemError is how a KeyboardInterrupt leaves a compiled function
            if not stop.arrived:
                raise
            click.echo(f"interrupted; nothing written to {path}", err=True)
            raise SystemExit(130)
    _exit_if_cut_short(result, path)
    s = result.series
    click.echo(f"wrote {path}")
    click.echo(f"  {s['stripped_charge'][-1]:.3g} mAh/cm2 of a {model.describe()} in "
               f"{result.wall_time_s:.2f} s ({result.steps} steps), stop: {result.stop_reason}")
    if compiled > 0:
        click.echo(f"  compiling the model's kernels took {compiled:.1f} s (numba: the first run only)")
    if model.assembly() is not None:
        kept_in = f" (the pressed face kept in {press_from})" if press_from is not None else ""
        click.echo(f"  {model.assembly()}{kept_in}: contact {s['contact_fraction'][0]:.3f} when stripping starts")
    click.echo(f"  contact fraction {s['contact_fraction'][-1]:.3f}, overpotential {s['overpotential'][-1]:.1f} mV, "
               f"{_voids(s['void_count'][-1])}, {100 * s['section_voids_per_um'][-1]:.1f} per 100 um of section")
    if runaway.message is not None:
        click.echo(f"error: {runaway.message}; {path} is complete up to there (stop_reason "
                   f"{result.stop_reason}); allowed: conditions the model was built for (see the warnings "
                   "above), or a smaller meso.width_um", err=True)
        raise SystemExit(EXIT_RUNAWAY)


def _voids(count: float) -> str:
    """'1 void', 'n voids' (the area at low contact is one open region around its islands of contact)."""
    return f"{int(count)} void" + ("" if int(count) == 1 else "s")


def _exit_if_cut_short(result, path) -> None:
    """Exit, with one line on stderr, where the run ended short of its stop condition: interrupted (130) or a
    solve unconverged (EXIT_UNCONVERGED); the file is complete up to its last sample either way."""
    s = result.series
    if result.stop_reason == "interrupted":
        click.echo(f"interrupted at {s['stripped_charge'][-1]:.3g} mAh/cm2 ({result.steps} steps); {path} is "
                   "complete up to there (stop_reason interrupted)", err=True)
        raise SystemExit(130)
    if result.stop_reason == "unconverged":
        reached = f"{s['stripped_charge'][-1]:.3g} mAh/cm2" if len(s["stripped_charge"]) else "no sample"
        click.echo(f"error: {result.unconverged}; {path} is complete up to its last sample ({reached}, "
                   f"{result.steps} steps; stop_reason unconverged): a state the solvers were not built for (what the "
                   "shipped runs need: docs/meso.md, Files)", err=True)
        raise SystemExit(EXIT_UNCONVERGED)


def _kept_start(path) -> dict:
    """The start a kmc meso run kept in its file at ``path`` (its /press), or CellInputError naming the file."""
    from kmc.cell.inputs import CellInputError
    from kmc.runfile import KIND_MESO, RunFileError, check_run_file, open_run_file
    try:
        found = check_run_file(path, require_frames=False)
        with open_run_file(found) as rf:
            if rf.kind != KIND_MESO:
                raise CellInputError(f"--press-from {path} is a kmc run file; allowed: the file of a kmc meso run "
                                     "whose face was pressed")
            record = rf.start_record()
    except RunFileError as exc:
        raise CellInputError(f"--press-from: {exc}") from None
    if record is None:
        raise CellInputError(f"--press-from {path} keeps no pressed face (a run without a press, the disc model, or a "
                             "file written before kmc meso kept it); allowed: the file of a kmc meso run whose face "
                             "was pressed, written by this version")
    return record


def _estimated_file_bytes(settings) -> int:
    """An upper bound on a run's file for the free-space check: HDF5's metadata (~1 MB with the
    preallocated chunks), every observable (value, with the shared step and time) at every sample,
    the final voids (4 numbers each) at the runaway bound of one per square of the smallest counted
    width (kmc.cell.model.runaway_bounds), and the frames (before stripping, at each of frame_charges and
    at the end; each a field and at most one more, CellModel.frame_fields) and the kept start (two
    fields), uncompressed, of the model meso.interface names: on 640 x 160 um the frames are ~0.1 GB."""
    from kmc.launch import cell_model
    meso = settings.meso
    model = cell_model(meso.interface)
    samples = meso.stop_stripped_mAh_cm2 / meso.output_every_mAh_cm2 + 2
    voids = meso.width_um ** 2 / max(meso.min_void_width_um, 0.5) ** 2
    fields = 2 * (len(model.frame_charges) + 2) + 2
    return int(1e6 + 8 * samples * (len(model.observables) + 2) + 32 * voids + 8 * fields * model.frame_cells(meso))
