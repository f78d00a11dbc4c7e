"""``kmc run``: one simulation, one HDF5 file (or the resumption of an interrupted one)."""
from __future__ import annotations

from pathlib import Path

import click

from kmc.cli.params import resolve_params
from kmc.config import ConfigError, load_config
from kmc.errors import OneLineErrorCommand, fail


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
    """
    from kmc import io
    from kmc.checkpoint import Checkpointer, resume_run, run_paths
    from kmc.simulation import Simulation
    if resume_path is not None:
        if config or overrides or output or overwrite:
            fail("--resume takes only the run's output file; allowed: kmc run --resume X.h5 "
                 "(the configuration comes from the checkpoint)")
        try:
            sim, writer, checkpointer, path = resume_run(resume_path)
        except (ValueError, OSError) as exc:
            fail(str(exc))
        click.echo(f"resuming {path} at event {sim.events}")
    else:
        if config is None:
            fail("missing CONFIG; allowed: a parameter file or name (e.g. params/li_li2s.toml, "
                 "li_li2s), or --resume X.h5")
        try:
            settings = load_config(resolve_params(config), list(overrides))
        except ConfigError as exc:
            fail(str(exc))
        path = Path(output or settings.output.path or io.default_output_path(settings))
        _, partial, ckpt = run_paths(path)
        if path.is_dir():
            fail(f"output {path} is a directory; allowed: a file path ending in .h5")
        if path.exists() and not overwrite:
            fail(f"output {path} exists; allowed: a new path (-o), or --overwrite to replace it")
        if (partial.exists() or ckpt.exists()) and not overwrite:
            fail(f"an interrupted run left {partial.name} beside {path}; allowed: kmc run --resume {path}, "
                 "or --overwrite to start again")
        try:
            sim = Simulation(settings)
            io.check_output_location(path, io.estimated_output_bytes(settings, sim.lattice.n_sites,
                                                                       sim.charge_per_atom_mAh_cm2))
        except (ValueError, OSError) as exc:
            fail(str(exc))
        try:
            writer = io.H5Writer(path, sim)
        except OSError as exc:
            fail(f"cannot write {partial} ({io.hdf5_reason(exc)}); allowed: a path no other run is writing (-o)")
        ckpt.unlink(missing_ok=True)   # a stale checkpoint must never pair with the new file
        checkpointer = Checkpointer(path, settings.output.checkpoint_every_wall_s)
    try:
        result = sim.run(writer, progress=progress, checkpointer=checkpointer)
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
    click.echo(f"  stripped {obs['stripped_charge']:.3g} mAh/cm2 ({obs['stripped_monolayers']:.2f} monolayers), "
               f"contact fraction {obs['contact_fraction']:.3f}, {obs['vacancy_count']} vacancies")
