"""The seed-004 comparison (benchmarks/validation/seed004.py) on a tiny version of its sweep: every
finding gets a verdict from the allowed set, with numbers, and the figure is drawn."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks" / "validation"))
import seed004  # noqa: E402

from kmc.sweep import expand_sweep, run_sweep  # noqa: E402

TINY = ["lattice.cells=[8,8,6]", "run.stop_stripped_monolayers=1.5", "run.acceleration=1e8",
        "output.frame_every_mAh_cm2=1.8e-5"]


def test_seed004_comparison_on_a_tiny_sweep(tmp_path):
    plan = expand_sweep(seed004.SPEC, TINY, tmp_path / "out")
    assert len(plan.runs) == 16          # 2 chemistries x 2 pressures x 4 replicas
    run_sweep(plan, workers=1)
    groups = seed004.collect(seed004.SPEC, TINY, tmp_path / "out", min_void_nm=0.5)
    assert sorted(groups) == [("li_li2s", 0.2), ("li_li2s", 2.0), ("limg_li2s", 0.2), ("limg_li2s", 2.0)]
    assert all(len(records) == 4 for records in groups.values())
    rows = seed004.verdicts(groups)
    findings = {r["finding"] for r in rows}
    assert {"more voids in Li than Li-Mg right after stripping starts", "Li-Mg voids wider than Li voids",
            "Li loses more contact", "stack pressure helps Li"} <= findings
    assert {r["verdict"] for r in rows} <= {"supported", "contradicted", "cannot tell"}
    assert all(r["model"] and r["why"] for r in rows)
    record = groups[("li_li2s", 0.2)][0]
    assert record["monolayers_end"] >= 1.5 and 0 < record["contact_fraction_end"] <= 1
    paths = seed004.figures(groups, tmp_path / "docs")
    assert paths[0].stat().st_size > 10_000


def test_runs_that_stop_early_are_compared_at_the_charge_every_run_reached():
    stopped = {"monolayers_end": 2.0, "curve_monolayers": [0.0, 1.0, 2.0], "curve_contact": [1.0, 0.5, 0.0]}
    lasted = {"monolayers_end": 3.0, "curve_monolayers": [0.0, 1.0, 2.0, 3.0], "curve_contact": [1.0, 0.9, 0.8, 0.7]}
    assert seed004.common_charge([stopped], [lasted]) == 2.0
    assert seed004.value_at_charge(lasted, "curve_contact", 2.0) == 0.8     # not its own end, 0.7
    assert seed004.value_at_charge(lasted, "curve_contact", 1.5) == 0.9     # the last frame before
    assert seed004.value_at_charge(lasted, "curve_contact", -1.0) != seed004.value_at_charge(lasted, "curve_contact", -1.0)
