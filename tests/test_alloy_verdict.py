"""benchmarks/alloy_verdict.py --verdict (docs/alloy.md section 9): each seed finding's row
applies its stated criterion to the runs' rows, so a row moves from reproduced to partial to contradicted
with what the runs give (synthetic rows: no run here)."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("alloy_verdict", ROOT / "benchmarks" / "alloy_verdict.py")
verdict_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verdict_module)
verdict = verdict_module.verdict


def _row(case, voids=16.0, width=2.0, fails_at=None, width_drops=(), height_drops=(), contact=0.9, x_s=math.nan,
         end=4.0):
    """A run's row sampled every 0.025 mAh/cm^2 to ``end``: the largest width and height rising, but falling by
    1 um (0.2 um) at each charge of ``width_drops`` (``height_drops``); the Mg below the contact rising
    linearly to ``x_s``."""
    q = np.round(np.arange(0.0, end + 1e-9, 0.025), 3)
    width_max, height_max = 5.0 + q, 1.0 + 0.1 * q
    for c in width_drops:
        width_max[q >= c] -= 2.0
    for c in height_drops:
        height_max[q >= c] -= 0.3
    row = {"case": case, "fails_at": fails_at, "end_charge": end, "largest_width_max": 20.0,
           "voids_per_100um@0.125": voids, "width_median@0.125": width,
           "series": {"stripped_charge": q.tolist(), "void_width_max": width_max.tolist(),
                      "void_height_max": height_max.tolist(),
                      "subsurface_solute_fraction": (0.03 + (x_s - 0.03) * q / end).tolist(),
                      "subsurface_solute_fraction_max": (0.03 + (x_s - 0.03) * q / end).tolist(),
                      "interface_solute_fraction": [0.6] * q.size}}
    for c in (0, 0.25, 1, 3, 4):
        row[f"contact@{c:g}"], row[f"eta@{c:g}"] = contact, 5.0
    return row


def _verdicts(rows):
    lines = verdict(rows, pressures=(0.2, 50.0)).splitlines()[2:]
    return [line.rstrip(" |").rsplit("| ", 1)[1] for line in lines]


def test_the_seed_alloy_is_reproduced_row_by_row():
    rows = [_row("Li", voids=17, fails_at=0.9, contact=0.05),
            _row("Li-Mg", voids=3, width=3.8, width_drops=(0.625, 1.0, 2.375), height_drops=(0.5, 1.0)),
            _row("Li-Mg 50 MPa"),
            _row("Li-Mg 1 MPa 0.05 mA/cm2", x_s=0.06), _row("Li-Mg 1 MPa 0.5 mA/cm2", x_s=0.08)]
    assert _verdicts(rows) == ["reproduced"] * 6


def test_each_criterion_falls_to_partial_then_contradicted():
    # fewer voids than Li but not a third of them; one split and one collapse; fails later than Li; holds at
    # one pressure of two; x_s 2x apart but bcc
    rows = [_row("Li", voids=17, fails_at=0.3), _row("Li-Mg", voids=12, width_drops=(0.5,), height_drops=(0.5,),
                                                       fails_at=0.8),
            _row("Li-Mg 50 MPa"),
            _row("Li-Mg 1 MPa 0.05 mA/cm2", x_s=0.04), _row("Li-Mg 1 MPa 0.5 mA/cm2", x_s=0.09)]
    assert _verdicts(rows) == ["partial"] * 6
    # as many voids as Li; nothing splits or collapses; fails first; fails at every pressure; beyond bcc
    rows = [_row("Li", voids=17, fails_at=0.5), _row("Li-Mg", voids=17, fails_at=0.3),
            _row("Li-Mg 50 MPa", fails_at=0.4),
            _row("Li-Mg 1 MPa 0.05 mA/cm2", x_s=0.9), _row("Li-Mg 1 MPa 0.5 mA/cm2", x_s=0.95)]
    assert _verdicts(rows) == ["contradicted"] * 6


def test_the_enrichment_is_compared_where_both_runs_reach():
    rows = [_row("Li-Mg 1 MPa 0.05 mA/cm2", x_s=0.05, end=0.5), _row("Li-Mg 1 MPa 0.5 mA/cm2", x_s=0.09, end=0.25)]
    line = verdict(rows).splitlines()[-1]
    # at 0.25 mAh/cm^2: 0.04 against 0.09, 2.25x apart
    assert "at 0.25 mAh/cm² (both runs reach no further): x_s 0.040 and 0.090" in line and line.endswith("partial |")
    # one contact cell beyond bcc Li-Mg's 0.7 (hcp Mg, which the seed does not find) contradicts it
    mx = rows[1]["series"]["subsurface_solute_fraction_max"]
    rows[1]["series"]["subsurface_solute_fraction_max"] = [0.75] * len(mx)
    assert verdict(rows).splitlines()[-1].endswith("contradicted |")
    # and so does one that passed it at an earlier sample and fell back (hcp Mg does not redissolve)
    rows[1]["series"]["subsurface_solute_fraction_max"] = [0.09] * len(mx)
    rows[1]["series"]["subsurface_solute_fraction_max"][3] = 0.75
    assert verdict(rows).splitlines()[-1].endswith("contradicted |")
    # past the charge compared, it does not count
    rows[0]["series"]["subsurface_solute_fraction_max"][-1] = 0.75
    rows[1]["series"]["subsurface_solute_fraction_max"][3] = 0.09
    assert verdict(rows).splitlines()[-1].endswith("partial |")


def test_drops_after_the_contact_failed_do_not_count():
    rows = [_row("Li", voids=17, fails_at=0.3), _row("Li-Mg", voids=3, fails_at=0.8,
                                                       width_drops=(0.875, 1.0), height_drops=(0.5, 0.875))]
    assert _verdicts(rows)[1:3] == ["partial", "partial"]


def test_drops_are_counted_at_the_seed_frames():
    # two drops within one frame interval (every 0.125 mAh/cm^2) are one drop at the next frame; a drop that
    # a rise undoes before the next frame is none
    row = _row("Li-Mg", width_drops=(0.55, 0.575))
    every, held = verdict_module.frame_drops(row, "void_width_max", verdict_module.WIDTH_DROP_um)
    assert every == held == [0.625]
    q = np.asarray(row["series"]["stripped_charge"])
    w = np.asarray(row["series"]["void_width_max"])
    w[(q > 1.5) & (q < 1.6)] -= 3.0
    row["series"]["void_width_max"] = w.tolist()
    assert verdict_module.frame_drops(row, "void_width_max", verdict_module.WIDTH_DROP_um)[0] == [0.625]
