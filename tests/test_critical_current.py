"""The critical-current search (benchmarks/validation/critical_current.py): the log
bisection on stand-in monotone functions, the pass/fail rule, and one tiny real run whose contact
is read back from its file."""
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "validation"))

import critical_current as cc  # noqa: E402


@pytest.mark.parametrize("true_ic", [0.013, 0.2, 0.5, 3.7, 9.5])
def test_bisection_brackets_the_change(true_ic):
    calls = []

    def holds(i):
        calls.append(i)
        return i < true_ic

    br = cc.bisect_log(holds, 0.01, 10.0, ratio=1.5)
    assert br.status == "bracketed"
    assert br.i_pass < true_ic <= br.i_fail
    assert br.i_fail / br.i_pass <= 1.5 * (1 + 1e-9)
    assert len(calls) == len(set(calls))                      # no current run twice
    assert br.trials == [(i, i < true_ic) for i in calls]      # every run recorded, in order
    assert br.estimate == pytest.approx(math.sqrt(br.i_pass * br.i_fail))
    # 1000 -> 1.5 in log halvings: ceil(log2(ln 1000 / ln 1.5)) = 5 midpoints, plus at most one end
    assert len(calls) <= 6


def test_bisection_reports_open_brackets():
    below = cc.bisect_log(lambda i: False, 0.01, 10.0, ratio=2.0)
    assert below.status == "below" and below.i_pass is None and below.i_fail == 0.01
    assert below.trials[-1] == (0.01, False)                   # the lower end was run to confirm
    assert below.estimate is None
    above = cc.bisect_log(lambda i: True, 0.01, 10.0, ratio=2.0)
    assert above.status == "above" and above.i_fail is None and above.i_pass == 10.0
    assert above.trials[-1] == (10.0, True)


def test_bisection_does_not_run_unneeded_ends():
    # a change in the middle of the range never needs either bound run
    br = cc.bisect_log(lambda i: i < 0.3, 0.01, 10.0, ratio=2.0)
    assert 0.01 not in [i for i, _ in br.trials] and 10.0 not in [i for i, _ in br.trials]


def test_bisection_refuses_bad_bounds():
    for lo, hi, r in ((0, 1, 2), (1, 0.5, 2), (0.1, 1, 1.0)):
        with pytest.raises(ValueError):
            cc.bisect_log(lambda i: True, lo, hi, ratio=r)


def test_judge():
    assert cc.judge("stripped_monolayers", 0.9)
    assert not cc.judge("stripped_monolayers", 0.8999)
    assert not cc.judge("contact", 0.95)                       # stopped on the occupied fraction
    assert not cc.judge("no_strippable_host", 1.0)


def test_tiny_real_run_reads_contact(tmp_path):
    """A 6 x 6 x 4 box, no creep (P = 0), 80 mA/cm2: contact must drop; the file's series decides.
    (80: the 5 mA/cm2 of before the box's hops carried the formation entropy, x exp(2.75), so that
    stripping outruns the vacancies' escape as it did.)"""
    t = cc.run_point("Li", 0.0, 80.0, 1, 0.5, [6, 6, 4], 1e6, tmp_path, stop_on_contact=False)
    import h5py
    with h5py.File(t.path, "r") as f:
        c = f["observables/contact_fraction/value"][()]
        ml = f["observables/stripped_monolayers/value"][()]
    assert t.stop_reason == "stripped_monolayers" and t.stripped_monolayers == pytest.approx(0.5, abs=0.03)
    assert c[0] == 1.0 and t.min_contact == pytest.approx(c.min()) and t.final_contact == c[-1]
    assert t.held == (c.min() >= 0.9)
    assert t.mean_contact_second_half == pytest.approx(c[ml >= 0.5 * ml[-1]].mean())
    # no creep (P = 0) at a high current: half a monolayer of vacancies cannot all leave
    assert t.min_contact < 0.9 and not t.held
    # the same point with the contact stop ends early, on the occupied fraction, and fails
    s = cc.run_point("Li", 0.0, 80.0, 1, 0.5, [6, 6, 4], 1e6, tmp_path, stop_on_contact=True)
    assert s.stop_reason == "contact" and not s.held and s.stripped_monolayers < 0.5
