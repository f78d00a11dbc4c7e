"""``kmc critical-current``: the critical stripping current against stack pressure and temperature
(kmc.critical), one line per pressure with its band."""
from __future__ import annotations

from kmc import jsontext
import sys
from pathlib import Path

import click

from kmc.errors import OneLineErrorCommand, fail


def _numbers(text: str, what: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        fail(f"--{what} {text!r} is not a list of numbers; allowed: comma-separated numbers, e.g. 1,2,5,10")
    if not values or any(not v > 0 for v in values):
        fail(f"--{what} {text!r}; allowed: numbers > 0")
    return values


@click.command("critical-current", cls=OneLineErrorCommand)
@click.argument("config")
@click.option("--pressures", default="1,2,5,10", show_default=True, metavar="P1,P2,...",
              help="Stack pressures (MPa), one search each.")
@click.option("--temperatures", default=None, metavar="T1,T2,...",
              help="Temperatures (K), one search each with every pressure (default: the file's).")
@click.option("--currents", "bracket", nargs=2, type=float, default=None, metavar="LOW HIGH",
              help="The current bracket searched (mA/cm2; default 0.05 20).")
@click.option("--factor", type=click.FloatRange(min=1.01), default=None,
              help="Bisect until high/low is at most this (default 1.25): each answer's band.")
@click.option("--stop", "stop_mAh_cm2", type=click.FloatRange(min=0.01, max=100), default=None,
              help="A run that strips this much (mAh/cm2) without failing holds (default 4).")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override a config value in every run (repeatable), e.g. --set meso.interface=area "
                   "--set meso.depth_um=40.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for each search's record (default runs/out/critical_<set name>); a search recorded "
                   "there with the same inputs is not run again.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run each round's searches on a local Dask cluster of N worker processes (default: here, one "
                   "after another).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run them on an existing Dask distributed cluster instead, e.g. tcp://host:8786.")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
def critical_current(config, pressures, temperatures, bracket, factor, stop_mAh_cm2, overrides, out_dir, workers,
                     scheduler, as_json):
    """The critical stripping current of a parameter set against stack pressure (and temperature): for each,
    the lowest current density at which `kmc meso`'s interface model loses 90 % of its contact (contact <
    0.1, seed 004's failure) before stripping --stop mAh/cm2, bisected in log current; one line per pressure
    with its band (the bracket the bisection leaves).  Each search is independent (local processes or Dask)
    and recorded in --out, so an interrupted scan resumes."""
    from kmc import critical
    from kmc.cell.inputs import CellInputError, meso_table
    from kmc.config import ConfigError, load_config, resolve_params
    from kmc.validation import check, warn
    if workers is not None and scheduler is not None:
        fail("--workers and --scheduler both given; allowed: one of them (--workers N for local processes, "
             "--scheduler ADDRESS for a Dask cluster)")
    try:
        params = resolve_params(config)
        settings = load_config(params, list(overrides))
        meso_table(settings)
    except (ConfigError, CellInputError) as exc:
        fail(str(exc))
    temps = ([settings.conditions.temperature_K] if temperatures is None
             else _numbers(temperatures, "temperatures"))
    low, high = bracket if bracket is not None else critical.BRACKET_mA_cm2
    if not 0 < low < high:
        fail(f"--currents {low:g} {high:g}; allowed: 0 < LOW < HIGH")
    tasks = [critical.CriticalSearch(str(params), tuple(overrides), p, t, (low, high), factor or critical.FACTOR,
                                     stop_mAh_cm2 or critical.STOP_mAh_cm2)
             for t in temps for p in _numbers(pressures, "pressures")]
    advice = {}
    try:          # every search's inputs at both ends of the bracket, through kmc meso's one check, before any run
        for task in tasks:
            for current in (low, high):
                advice.update((a.line(), a) for a in check(task.settings(current), "meso"))
    except ConfigError as exc:
        fail(str(exc))
    folder = Path(out_dir) if out_dir is not None else Path("runs") / "out" / f"critical_{settings.model.name}"
    if folder.exists() and not folder.is_dir():
        fail(f"--out {folder} is a file; allowed: a folder (new, or one of an earlier scan to resume)")
    for item in advice.values():
        warn(item)

    def report(task, record):
        if not as_json:
            click.echo(line(record))
    from kmc.interface_rates.pieces import PieceError
    try:
        records = critical.scan(tasks, folder, workers, scheduler, report)
    except (PieceError, ValueError) as exc:          # a run refused on a worker; kmc.sweep_pool.PoolError
        fail(str(exc))
    except KeyboardInterrupt:
        click.echo(f"interrupted; the searches' probes so far are in {folder}: re-run the same command to resume",
                   err=True)
        sys.exit(130)
    if as_json:
        click.echo(jsontext.dumps(records, indent=1))
        return
    click.echo(f"critical current of {settings.model.name} ({settings.meso.interface}, contact < "
               f"{critical.FAILED_CONTACT:g} before {tasks[0].stop_mAh_cm2:g} mAh/cm2); records in {folder}:")
    for record in records:
        click.echo("  " + line(record))


def line(record: dict) -> str:
    """'P = 1 MPa, 298 K: 0.32-0.40 mA/cm2 (holds at 0.32: lowest contact 0.45; fails at 0.40 at 1.2 mAh/cm2)'."""
    s = record["search"]
    head = f"P = {s['pressure_MPa']:g} MPa, {s['temperature_K']:g} K: "
    probes = {r["current_mA_cm2"]: r for r in record["probes"]}
    holds, fails = record["holds_at_mA_cm2"], record["fails_at_mA_cm2"]
    if record["status"] == "holds at high":
        r = probes[holds]
        return head + f"> {holds:.3g} mA/cm2 (holds at {holds:.3g}: lowest contact {r['lowest_contact']:.2f})"
    if record["status"] == "fails at low":
        r = probes[fails]
        return head + f"<= {fails:.3g} mA/cm2 (fails at {fails:.3g} at {r['failure_mAh_cm2']:.3g} mAh/cm2)"
    h, f = probes[holds], probes[fails]
    return head + (f"{holds:.3g}-{fails:.3g} mA/cm2 (holds at {holds:.3g}: lowest contact {h['lowest_contact']:.2f}, "
                   f"highest eta {h['highest_overpotential_mV']:.0f} mV; fails at {fails:.3g}: contact < 0.1 at "
                   f"{f['failure_mAh_cm2']:.3g} mAh/cm2)")
