"""`kmc meso` gives the numbers it gave before the architecture's restructuring (issue 46), bit for
bit: short cuts of the shipped default runs (Li at 0.2 and 1.5 MPa, Li-Mg) and the paths the
defaults do not take (cap-shaped voids, pre-existing defect seeds), value by value against
tests/meso_reference.json (written by ``python benchmarks/meso_hashes.py --save-short`` on the code
before the change; the full 4 mAh/cm^2 runs: ``python benchmarks/meso_hashes.py --check``)."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((ROOT / "tests" / "meso_reference.json").read_text())
sys.path.insert(0, str(ROOT / "benchmarks"))
import meso_hashes  # noqa: E402


@pytest.mark.parametrize("case", sorted(REFERENCE))
def test_meso_runs_are_bit_identical_to_the_reference(case):
    want = REFERENCE[case]
    series, stop, steps, voids = meso_hashes.meso_run(want["params"], want["overrides"])
    assert (stop, int(steps), int(voids["r"].size)) == (want["stop_reason"], want["steps"], want["void_count"])
    assert list(series) == list(want["series"])
    for name, values in want["series"].items():
        np.testing.assert_array_equal(np.asarray(series[name], np.float64), np.array(values, np.float64),
                                      err_msg=name)
    assert meso_hashes._voids_digest(voids) == want["voids_sha256"]
