"""``kmc run``: one simulation, one HDF5 file (or the resumption of an interrupted one)."""
from __future__ import annotations

from pathlib import Path

import click

from kmc.config import ConfigError, load_config, resolve_params
from kmc.errors import OneLineErrorCommand, fail

# A run that ends because no host atom is left in contact to strip wrote a complete file but did
# not reach its stop: the exit code says so (2 is bad input, 130 an interruption).
# "no_strippable_li" is the name before species became data; both are accepted.
NOTHING_TO_STRIP = ("no_strippable_host", "no_strippable_li")
EXIT_NOTHING_TO_STRIP = 3


@click.command(cls=OneLineErrorCommand)
@click.argument("config", required=False)
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override a config value (repeatable), e.g. --set run.seed=3.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Output HDF5 file (default: output.path, or runs/out/<model>_s<seed>.h5).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file (or an interrupted run's).")
@click.option("--resume", "resume_path", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Continue the interrupted or killed run whose output is FILE (X.h5 or X.h5.partial) "
                   "from its last checkpoint; takes no CONFIG.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: only when stderr is a terminal).")
def run(config, overrides, output, overwrite, resume_path, progress):
    """Run a simulation from a parameter/run file and write one HDF5 file.

    A checkpoint (X.h5.checkpoint) is kept beside the output while the run goes; Ctrl-C or
    SIGTERM stops after the current chunk and keeps X.h5.partial, and `kmc run --resume X.h5`
    finishes the run exactly as if it had not stopped.

    \b
    Exit codes:
      0    the run reached its stop condition
      2    bad input: one "error:" line naming the key or file and what is
           allowed; nothing is written
      3    no host atom of the contact layer joined to the electrode is left
           to strip; the file is complete up to there (no_strippable_host)
      130  interrupted (Ctrl-C, SIGTERM); continue with kmc run --resume X.h5
    """
    from kmc.launch import OpenRunError, open_run
    from kmc.observers import print_compile_notice
    notice = print_compile_notice     # on stderr whether a terminal or not: a first run's minute is never silent
    if resume_path is not None:
        if config or overrides or output or overwrite:
            fail("--resume takes only the run's output file; allowed: kmc run --resume X.h5 "
                 "(the configuration comes from the checkpoint)")
        try:
            sim, writer, checkpointer = open_run(resume_path, "resume", notice=notice)
        except OpenRunError as exc:
            fail(str(exc))
        path = writer.path
        click.echo(f"resuming {path} at event {sim.events}")
    else:
        from kmc import runfile
        if config is None:
            fail("missing CONFIG; allowed: a parameter file or name (e.g. params/li_li2s.toml, "
                 "li_li2s), or --resume X.h5")
        try:
            settings = load_config(resolve_params(config), list(overrides))
        except ConfigError as exc:
            fail(str(exc))
        path = Path(output or settings.output.path or runfile.default_output_path(settings))
        try:
            sim, writer, checkpointer = open_run(path, "overwrite" if overwrite else "fresh", settings, notice=notice)
        except OpenRunError as exc:
            fail(str(exc))
    try:
        result = sim.run(writer, progress=progress, checkpointer=checkpointer, watch_pace=True)
    except OSError as exc:   # e.g. the disk filled up: what was written so far stays resumable
        writer.close()
        fail(f"writing {writer.tmp_path} failed ({exc}); the frames so far and the last checkpoint are "
             f"kept; allowed: free the space, then kmc run --resume {path}")
    except BaseException:
        writer.close()   # the .partial file and the last checkpoint stay, for --resume
        raise
    obs = result.observables
    if result.stop_reason == "interrupted":
        click.echo(f"interrupted at event {result.events}; {writer.tmp_path.name} and its checkpoint "
                   f"are kept. Continue with: kmc run --resume {path}", err=True)
        raise SystemExit(130)
    click.echo(f"wrote {path}")
    resumed = f" ({result.events_this_run} since resuming)" if resume_path is not None else ""
    click.echo(f"  {result.events} events{resumed} in {result.wall_time_s:.1f} s "
               f"({result.events_per_s / 1e6:.2f} M events/s), stop: {result.stop_reason}")
    if result.fast_events:   # run.fast_event_scaling (kmc.engine.fast)
        fast = result.fast_events
        click.echo(f"  fast reversible events scaled (run.fast_event_scaling): {fast['types_scaled']} hop types at "
                   f"the end, the smallest factor {fast['smallest_factor']:.1e}, over {fast['windows']} windows")
    if result.compile_time_s > 0:
        click.echo(f"  compiling the engine took {result.compile_time_s:.1f} s before that (the first run of "
                   "this energy form only: numba keeps it in its cache)")
    click.echo(f"  stripped {obs['stripped_charge']:.3g} mAh/cm2 ({obs['stripped_monolayers']:.2f} monolayers), "
               f"contact fraction {obs['contact_fraction']:.3f}, {obs['vacancy_count']} vacancies")
    if sim.pore is not None:   # the pellet's pore at the box (kmc.pore): what the vacancies did at its edge
        from kmc.analysis.edge import summary
        click.echo(f"  {summary(sim)}")
    if result.stop_reason in NOTHING_TO_STRIP:
        from kmc.species import species_of
        host = species_of(sim.settings).host
        click.echo(f"error: the run stopped before its stop condition: no {host} atom is left in the contact "
                   f"layer to strip (none that metal joins to the electrode; stop: {result.stop_reason}); {path} is a complete record up to that "
                   "point; allowed: a deeper box, creep refill (conditions.stack_pressure_MPa > 0), less "
                   "solute, or a smaller run.stop_stripped_mAh_cm2", err=True)
        raise SystemExit(EXIT_NOTHING_TO_STRIP)

