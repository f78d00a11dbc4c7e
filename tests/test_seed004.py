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


@pytest.mark.slow   # a validation: a sweep of 16 kMC runs, ~23 s of CPU
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


def _record(split_per_um2, contact):
    """A run record with the fields verdicts reads; `contact` at 0, 1 and 2 ML."""
    return {"voids_per_um_section_early": 10.0, "width_median_nm_early": 1.0, "coalescence_per_um2": 0.0,
            "split_per_um2": split_per_um2, "collapse_per_um2": 0.0, "monolayers_end": 2.0,
            "curve_monolayers": [0.0, 1.0, 2.0], "curve_contact": [1.0, contact, contact],
            "curve_overpotential_mV": [1.0, 2.0, 2.0], "interface_solute_fraction_end": 0.03,
            "contact_fraction_end": contact}


def test_li_and_li_mg_are_compared_at_every_pressure_with_runs_of_both():
    """Li-Mg splits more at 2 MPa only (two replicas per group, 1e-3 apart so that the standard
    error is not zero): the 2 MPa row supports the seed, the 0.2 MPa row cannot tell; a pressure
    with runs of one chemistry only gets no row."""
    li, limg = seed004.LI, seed004.LIMG
    groups = {(li, 0.2): [_record(1.0, 0.5), _record(1.001, 0.5)],
              (limg, 0.2): [_record(1.0, 0.5), _record(1.001, 0.5)],
              (li, 2.0): [_record(1.0, 0.9), _record(1.001, 0.9)],
              (limg, 2.0): [_record(5.0, 0.9), _record(5.001, 0.9)],
              (li, 5.0): [_record(1.0, 0.9), _record(1.001, 0.9)]}
    rows = seed004.verdicts(groups)
    split = {r["pressure_MPa"]: r["verdict"] for r in rows if r["finding"] == "Li-Mg voids split more (per area)"}
    assert split == {0.2: "cannot tell", 2.0: "supported"}
    assert {r["pressure_MPa"] for r in rows if r["finding"].startswith("stack pressure")} == {None}


def test_student_t_quantiles_match_the_tables():
    """Two-sided 95 % points of Student's t (any statistics table) and the normal limit."""
    from common import student_t_quantile, welch_dof
    for dof, t in ((1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (10, 2.2281), (30, 2.0423), (1e7, 1.9600)):
        assert abs(student_t_quantile(0.975, dof) - t) < 2e-4, dof
    assert welch_dof(1.0, 2, 1.0, 2) == 2.0            # equal scatter and size: n_a + n_b - 2
    assert welch_dof(1.0, 5, 0.0, 3) == 4.0            # a group without scatter adds no dof


def test_a_difference_of_a_few_standard_errors_needs_more_than_two_replicas():
    """3.5 standard errors: beyond the bar with many replicas (t -> 1.96), within it with two per
    group (Welch dof 2: t = 4.30)."""
    few = seed004._compare((3.5, 0.5 ** 0.5, 2), (0.0, 0.5 ** 0.5, 2), True)
    many = seed004._compare((3.5, 0.5 ** 0.5, 400), (0.0, 0.5 ** 0.5, 400), True)
    assert few[0] == "cannot tell" and many[0] == "supported", (few, many)


def test_a_wide_box_is_cut_into_tiles_of_the_reference_size():
    """seed004_numerics.tile_densities: a 100 x 100 A box (1e-4 um^2) in 2 x 2 tiles of 2.5e-5 um^2; a void
    counts in the tile of its centroid (periodic: x = -10 A is x = 90 A), every void exactly once,
    and one that reaches within half its width of a tile edge is counted as crossing it."""
    import seed004_numerics as numerics
    x_A = [10.0, 60.0, -10.0, 25.0]          # tiles (0,0), (1,0), (1,1), (0,1)
    y_A = [10.0, 10.0, 90.0, 70.0]
    width_nm = [0.5, 0.5, 0.5, 4.2]          # the last, 21 A either side of y = 70 A, crosses y = 50 A
    density, crossing = numerics.tile_densities(x_A, y_A, width_nm, 100.0, 100.0, 2)
    assert density == pytest.approx([4e4, 4e4, 4e4, 4e4])   # one void per tile
    assert crossing == 1
    whole, none = numerics.tile_densities(x_A, y_A, width_nm, 100.0, 100.0, 1)
    assert whole == pytest.approx([4e4]) and none == 0      # one tile: no edges to cross


def test_a_variant_that_differs_by_more_than_the_bar_is_reported_as_differing():
    import seed004_numerics as numerics
    reference = [10.0, 11.0, 12.0, 13.0]
    assert numerics.compare(reference, [10.5, 11.5, 12.5, 11.0]).endswith("same")
    assert numerics.compare(reference, [0.0, 0.0, 0.0, 0.0]).endswith("differs")
