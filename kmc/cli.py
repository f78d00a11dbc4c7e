"""Command line: ``kmc run``, ``kmc params show``, ``kmc info``.

Bad input ends with one line on stderr naming what is wrong and what is allowed, exit code 2,
and no output file.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import click

from kmc.config import MAX_SITES, ConfigError, load_config
from kmc.errors import OneLineErrorGroup, fail

PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"


def resolve_params(name: str) -> Path:
    """A parameter file from a path, or a name in ./params or the project's params/ folder."""
    for cand in (Path(name), Path("params") / f"{name}.toml", PARAMS_DIR / f"{name}.toml", PARAMS_DIR / name):
        if cand.is_file():
            return cand
    given = Path(name)
    if given.exists() or given.suffix or len(given.parts) > 1:
        return given  # meant as a path: load_config says what is wrong with it (a folder, missing, ...)
    known = sorted(p.stem for p in PARAMS_DIR.glob("*.toml"))
    raise ConfigError(f"no parameter set {name!r}; allowed: a TOML path or one of {', '.join(known)}")


# Commands that live with their own modules, imported when named: analysis and figures pull in
# matplotlib and pandas, about a third of a second that `kmc run` and `kmc info` do not need.
LAZY_COMMANDS = {"analyze": "kmc.analysis", "plot": "kmc.plot", "export": "kmc.export", "sweep": "kmc.sweep"}


class KmcGroup(OneLineErrorGroup):
    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS:
            return getattr(importlib.import_module(LAZY_COMMANDS[name]), name)
        return super().get_command(ctx, name)


@click.group(cls=KmcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kmc-vacancy")
def main():
    """Kinetic Monte Carlo of vacancies and voids at Li / solid-electrolyte interfaces."""


@main.command()
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


@main.group()
def params():
    """Inspect parameter sets."""


@params.command("list")
def params_list():
    """List the parameter sets shipped in params/."""
    for p in sorted(PARAMS_DIR.glob("*.toml")):
        s = load_config(p)
        click.echo(f"{p.stem:16s} {s.model.description}")


@params.command("show")
@click.argument("name")
@click.option("--fit", is_flag=True, help="Compare the model with the DFT rows it covers.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def params_show(name, fit, as_json):
    """Show a parameter set, or (--fit) its agreement with the DFT numbers."""
    from kmc.fit import TOLERANCE_eV, derived_quantities, fit_rows
    try:
        settings = load_config(resolve_params(name))
    except ConfigError as exc:
        fail(str(exc))
    if not fit:
        if as_json:
            click.echo(json.dumps(settings.to_dict(), indent=2))
        else:
            click.echo(settings.to_toml())
        return
    rows = fit_rows(settings)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'DFT row':58s} {'target':>8s} {'model':>8s} {'resid':>8s}   (eV)")
    for r in rows:
        flag = "" if abs(r["residual_eV"]) <= TOLERANCE_eV else "  > tolerance"
        click.echo(f"{r['name']:58s} {r['target_eV']:8.3f} {r['model_eV']:8.3f} {r['residual_eV']:+8.3f}{flag}")
    click.echo("\nderived model outputs")
    for d in derived_quantities(settings):
        click.echo(f"{d['name']:58s} {d['target']:8.3f} {d['model']:8.3f} {d['unit']:>7s}  ({d['note']})")


@main.command()
@click.option("--sites", type=click.IntRange(min=16, max=MAX_SITES), default=None,
              help="One bulk-box measurement with about this many sites (default: the quick set).")
@click.option("--events", type=click.IntRange(min=1, max=2**63 - 1), default=None, help="Events to time.")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def benchmark(sites, events, seed, as_json):
    """Events/s of the engine on periodic bulk Li0.97Mg0.03 boxes with 1 % vacancies."""
    from kmc import benchmark as bm
    sizes = [sites] if sites else bm.quick_set()
    try:
        results = [bm.bulk_benchmark(n, events or bm.default_events(n), seed) for n in sizes]
    except ConfigError as exc:  # e.g. --sites rounds to a cubic box just over the site limit
        fail(f"--sites {sites}: {exc}")
    if as_json:
        click.echo(json.dumps(results[0] if sites else results, indent=2))
    else:
        for r in results:
            click.echo(bm.format_row(r))


@main.command()
@click.argument("file", type=click.Path())
def info(file):
    """Summarise a run file."""
    from kmc import io
    try:
        click.echo(io.info(file))
    except io.RunFileError as exc:
        fail(str(exc))


if __name__ == "__main__":
    main()
