"""``kmc analyze``: find and track voids in every frame of a run file (the work is done in kmc.analysis)."""
from __future__ import annotations

import click
import numpy as np

from kmc.analysis import (DEFAULT_MIN_VOID_nm, EVENT_KINDS, FRAME_COLUMNS, compute_analysis,
                          write_analysis)
from kmc.physics.electrochemistry import DEFAULT_EXCHANGE_CURRENT_mA_cm2
from kmc import jsontext
from kmc.errors import OneLineErrorCommand, fail
from kmc.runfile import KIND_MESO, RunFileError, check_run_file, file_kind_of, open_run_file, run_status

# (column, title, width, format) of the printed summary
SUMMARY_COLUMNS = (("frame", "frame", 5, "d"), ("stripped_charge_mAh_cm2", "mAh/cm2", 9, ".3g"),
                   ("contact_fraction", "contact", 7, ".4f"), ("interface_void_count", "voids", 5, "d"),
                   ("buried_void_count", "buried", 6, "d"), ("isolated_vacancy_count", "vac", 6, "d"),
                   ("pore_void_vacancies", "pore_vac", 8, "d"), ("pore_rim_gap_sites", "rim_gap", 7, "d"),
                   ("interface_voids_per_um_section", "per_um", 7, ".1f"),
                   ("max_void_width_nm", "wmax_nm", 7, ".2f"), ("max_void_height_nm", "hmax_nm", 7, ".2f"),
                   ("interface_solute_fraction", "sol_L1", 6, ".3f"), ("overpotential_mV", "eta_mV", 8, ".1f"))


@click.command("analyze", cls=OneLineErrorCommand)
@click.argument("file", type=click.Path())
@click.option("--exchange-current", "exchange_current", type=float, default=None,
              help="Exchange current density i0 (mA/cm2) of the Butler-Volmer overpotential estimate "
                   "[default: the run's conditions.exchange_current_mA_cm2, else "
                   f"{DEFAULT_EXCHANGE_CURRENT_mA_cm2:g}].")
@click.option("--min-void-nm", "min_void_nm", type=float, default=DEFAULT_MIN_VOID_nm, show_default=True,
              help="Smallest void width (nm); narrower vacancy clusters are counted as isolated vacancies.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-frame summary as a JSON list.")
def analyze(file, exchange_current, min_void_nm, as_json):
    """Find and track voids in every frame of a run FILE; write the results into its /analysis group.
    A run still being written (or cut off) is analysed without writing into it; a kmc meso file,
    whose void statistics are its own observables, is summarised per sample."""
    try:
        path = check_run_file(file, require_frames=False, running=True)
        if file_kind_of(path) == KIND_MESO:
            _meso_summary(path, as_json)
            return
        result = compute_analysis(path, exchange_current, min_void_nm)
        finished = run_status(path) == "complete"
        if finished:
            write_analysis(path, result)
    except RunFileError as exc:
        fail(str(exc))
    frames = result["frames"]
    n = frames["frame"].size
    if as_json:
        rows = [{name: frames[name][t] for name in FRAME_COLUMNS} for t in range(n)]
        click.echo(jsontext.dumps(rows, indent=1))
        return
    done = f"wrote {path}:/analysis" if finished else f"analysed {path} (run {run_status(path)}: nothing written)"
    click.echo(f"{done} ({n} frames, voids at least {result['min_void_nm']:g} nm wide, "
               f"i0 = {result['exchange_current_mA_cm2']:g} mA/cm2, {result['exchange_current_source']})")
    mouth, l1_sites = (int(frames["pore_mouth_sites"][0]) if n else 0), result["l1_sites"]
    if mouth:
        click.echo(f"the pore's mouth: {mouth} of {l1_sites} L1 sites ({100 * mouth / l1_sites:.1f} %) have no "
                   f"electrolyte above them, never contact (the contact starts at {1 - mouth / l1_sites:.4f}); the "
                   "vacancies gathered there are the pore's void (pore_vac; rim_gap: its L1 sites under the "
                   "electrolyte, contact lost at the pore's rim), not voids")
    click.echo(" ".join(f"{title:>{width}s}" for _, title, width, _ in SUMMARY_COLUMNS))
    for t in range(n):
        click.echo(" ".join(_cell(frames[name][t], width, fmt) for name, _, width, fmt in SUMMARY_COLUMNS))
    if any(not np.isfinite(float(frames[name][t])) for name, *_ in SUMMARY_COLUMNS for t in range(n)):
        click.echo("(-: none in that frame, e.g. the widest void's width where there is no void)")
    click.echo("events: " + ", ".join(f"{kind} {int(frames['n_' + kind][-1])}" for kind in EVENT_KINDS))


# (observable, title, width, format) of the summary of a kmc meso file: its void statistics are observables
MESO_SUMMARY_COLUMNS = (("stripped_charge", "mAh/cm2", 8, ".3g"), ("contact_fraction", "contact", 7, ".3f"),
                        ("void_count", "voids", 6, ".0f"), ("section_voids_per_um", "per_um", 7, ".3f"),
                        ("void_width_median", "w_med_um", 8, ".3g"), ("void_width_max", "w_max_um", 8, ".3g"),
                        ("supersaturation", "S", 7, ".3g"), ("overpotential", "eta_mV", 8, ".1f"))


def _meso_summary(path, as_json: bool):
    """A kmc meso file's samples: the section statistics it recorded (nothing to compute or write)."""
    with open_run_file(path) as f:
        columns = {name: f.series(name) for name, *_ in MESO_SUMMARY_COLUMNS if f.has_observable(name)}
    n = min(v.size for v in columns.values())
    if as_json:
        click.echo(jsontext.dumps([{name: v[t] for name, v in columns.items()} for t in range(n)], indent=1))
        return
    click.echo(f"{path}: a kmc meso run ({n} samples); its void statistics are observables of the file "
               "(kmc.load), nothing written")
    shown = [c for c in MESO_SUMMARY_COLUMNS if c[0] in columns]
    click.echo(" ".join(f"{title:>{width}s}" for _, title, width, _ in shown))
    for t in range(n):
        click.echo(" ".join(_cell(columns[name][t], width, fmt) for name, _, width, fmt in shown))
    if any(not np.isfinite(float(columns[name][t])) for name, *_ in shown for t in range(n)):
        click.echo("(-: none at that charge, e.g. the voids' widths where there is no void)")


def _cell(value, width: int, fmt: str) -> str:
    """One number of a summary table; a statistic of nothing (NaN: no void to measure) as '-'."""
    value = float(value)
    if not np.isfinite(value):
        return f"{'-':>{width}s}"
    return f"{(int(value) if fmt == 'd' else value):{width}{fmt}}"
