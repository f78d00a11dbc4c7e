"""The studies beside the package (studies/): their code reads their data files, and the pieces a
study's conclusions rest on do what they say."""
import sys
from pathlib import Path

import numpy as np
import pytest

from kmc.cell.loop import CellResult

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "studies" / "meso_report"))
import report as meso_report  # noqa: E402


def test_the_meso_reports_data_are_files_it_reads():
    """Seed 004's observations and the inputs' variations come from the study's TOML files: every
    variation names a known chemistry, moves something, and its overrides are config keys."""
    from kmc.config import load_config, resolve_params
    assert meso_report.SEED["Li"]["voids_per_100um"] == [16, 18]
    assert len(meso_report.VARIATIONS) >= 10
    li = load_config(resolve_params("li_li2s"))
    for label, v in meso_report.VARIATIONS.items():
        assert set(v.chems) <= set(meso_report.PARAMS), label
        assert (v.overrides or v.nucleation_scale != 1.0 or v.nucleation_rows or v.nucleation_row_changes
                or v.wetting_angle_deg is not None), label
        li.with_overrides(list(v.overrides))      # a key the schema refuses would raise here


def test_largest_void_drops_are_read_at_the_seeds_frames():
    """The report reads drops of the section's largest void as the seed does, frame to frame
    (0.125 mAh/cm^2): a 40 % drop between frames counts, with a collapse if a wide void closed in
    between; a 10 % drop, or a dip that recovers before the next frame, does not."""
    q = np.round(np.arange(0, 1.0001, 0.025), 6)
    width = np.full(q.size, 20.0)
    width[(q > 0.375) & (q < 0.5)] = 5.0            # a dip between frames 0.375 and 0.5: unseen
    width[q >= 0.625] = 12.0                         # 20 -> 12 at the 0.625 frame: seen
    width[q >= 0.875] = 11.0                         # 12 -> 11: under MAX_DROP
    collapsed = np.where(q >= 0.6, 1.0, 0.0)
    series = {"stripped_charge": q, "void_width_max": width, "void_height_max": width / 10,
              "collapsed": collapsed}
    res = CellResult(series, "stripped", 0, 0.0, 0.0, None)
    drops = meso_report.largest_void_drops(res)
    assert [d["charge"] for d in drops["void_width_max"]] == pytest.approx([0.625])
    assert drops["void_width_max"][0]["collapse"] and drops["void_width_max"][0]["to"] == 12.0
    assert [d["charge"] for d in drops["void_height_max"]] == pytest.approx([0.625])


def test_the_report_reads_the_plateau_contact_as_the_mean_from_025():
    """The verdict's contact is the plateau mean (samples from 0.25 mAh/cm^2 on), which inputs move
    and single merges do not; a run that lost its contact has none (0)."""
    q = np.round(np.arange(0, 1.0001, 0.05), 6)
    contact = np.where(q < 0.25, 0.9, 0.4)
    contact[-1] = 0.6                                # one late sample
    series = {"stripped_charge": q, "contact_fraction": contact}
    expected = np.mean(contact[q >= 0.25])
    assert meso_report.plateau_contact(CellResult(series, "stripped", 0, 0.0, 0.0, None)) == pytest.approx(expected)
    assert 0.4 < expected < 0.5
    assert meso_report.plateau_contact(CellResult(series, "contact_lost", 0, 0.0, 0.0, None)) == 0.0
