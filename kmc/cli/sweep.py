"""``kmc sweep``: the click command; the work (expansion, running, collecting) is in kmc.sweep."""
from __future__ import annotations

import signal
import sys

import click

from kmc import jsontext
from kmc.errors import OneLineErrorCommand, fail
from kmc.sweep import (MANIFEST_NAME, SweepError, SweepPlan, expand_sweep, load_sweep, recorded_runs, run_sweep,
                       sweep_status)


@click.command(cls=OneLineErrorCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: the CPUs this process may use).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on an existing Dask distributed cluster, e.g. tcp://host:8786.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: sweep.output, or out/<spec name>/ beside the spec).")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override a config value in every run (repeatable), e.g. --set lattice.cells=[8,8,6].")
@click.option("--status", "show_status", is_flag=True, help="Count done / failed / pending runs; list failures.")
@click.option("--collect", is_flag=True, help="Print one row per finished run: varied parameters and metrics (CSV).")
@click.option("--json", "as_json", is_flag=True, help="With --collect: print JSON records.")
def sweep(spec, workers, scheduler, out_dir, overrides, show_status, collect, as_json):
    """Run a parameter sweep from a spec in runs/ (format: runs/README.md); resumable."""
    if show_status and collect:
        fail("--status and --collect are exclusive; allowed: one of them")
    if as_json and not collect:
        fail("--json applies to --collect; allowed: --collect --json")
    try:
        plan = expand_sweep(spec, overrides, out_dir)
        if show_status:
            _print_status(plan, spec)
            return
        if collect:
            _print_collected(plan, as_json)
            return
        counts = run_sweep(plan, workers, scheduler)
    except SweepError as exc:
        fail(str(exc))
    except KeyboardInterrupt:   # a Dask sweep, or Ctrl-C before the pool started
        click.echo("interrupted; re-run the same command to resume", err=True)
        sys.exit(130)
    if counts["stopped_by"] is not None:
        name = signal.Signals(counts["stopped_by"]).name
        click.echo(f"stopped by {name}: no worker is left running; the runs cut short kept their checkpoints; "
                   "re-run the same command to resume", err=True)
        sys.exit(128 + counts["stopped_by"])
    if counts["failed"]:
        sys.exit(1)


def _print_status(plan: SweepPlan, spec: str):
    """The folder's runs (from its manifest) done / failed / pending, each failure, and the runs of the
    spec as given here that the folder does not hold."""
    status = sweep_status(plan)
    counts = status.counts
    click.echo(f"{plan.spec_name}: {status.runs} runs in {plan.output_dir}: {counts['done']} done, "
               f"{counts['failed']} failed, {counts['pending']} pending")
    for name, described, error in status.failures:
        click.echo(f"  failed {name}  ({described}): {error}")
    if status.not_in_folder:
        asked = " ".join(f"--set {o}" for o in plan.overrides) or "no --set"
        made = " ".join(f"--set {o}" for o in status.folder_overrides) or "no --set"
        differ = f" (its runs were made with {made}, this status asks with {asked})" if made != asked else ""
        click.echo(f"  {status.not_in_folder} of the {len(plan.runs)} runs the spec plans as given here are not in "
                   f"the folder{differ}; kmc sweep {spec} {asked if plan.overrides else ''}".rstrip()
                   + " would start them")


def _print_collected(plan: SweepPlan, as_json: bool):
    """The finished runs of the plan's folder (from its manifest, whatever --set is given here) as CSV
    (or JSON records); unfinished ones are counted on stderr."""
    import pandas as pd
    started = (plan.output_dir / MANIFEST_NAME).is_file()
    recorded = len(recorded_runs(plan.output_dir)) if started else len(plan.runs)
    table = load_sweep(plan.output_dir, plan.charge_marks_mAh_cm2) if started else pd.DataFrame()
    if len(table) < recorded:
        click.echo(f"{recorded - len(table)} of {recorded} runs not finished (left out)", err=True)
    if as_json:
        records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
        click.echo(jsontext.dumps(records, indent=1))
    elif len(table):
        click.echo(table.to_csv(index=False), nl=False)
