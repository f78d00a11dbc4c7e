"""kmc critical-current (kmc.critical; its bisection: tests/test_meso_mechanics_scan.py): the scan's
rounds through kmc.meso_scan.meso_scan and its records (resumed without running a probe twice) on stand-in runs,
the command on a tiny section, and (slow) a real scan of the section at two pressures on two local workers."""
import json

import pytest
from click.testing import CliRunner

from kmc import critical
from kmc.cli import main

LI = "params/li_li2s.toml"


def _stand_in(thresholds, ran):
    """A meso_scan whose run fails (stop contact_lost) at currents from the pressure's threshold on."""
    def meso_scan(settings_list, workers=None, scheduler=None, label=""):
        out = []
        for s in settings_list:
            P, i = s.conditions.stack_pressure_MPa, s.conditions.current_density_mA_cm2
            assert s.meso.stop_contact_fraction == critical.FAILED_CONTACT
            ran.append((P, i))
            failed = i >= thresholds[P]
            out.append(dict(series=dict(stripped_charge=[0.0, 0.5], contact_fraction=[0.8, 0.05 if failed else 0.6],
                                        overpotential=[5.0, 30.0], supersaturation=[9.0, 9.0]),
                            stop_reason="contact_lost" if failed else "stripped", steps=10))
        return out
    return meso_scan


def test_the_scan_runs_its_searches_in_rounds_and_resumes_from_its_records(tmp_path, monkeypatch):
    import kmc.meso_scan
    thresholds, ran = {1.0: 0.3, 7.0: 4.0}, []
    monkeypatch.setattr(kmc.meso_scan, "meso_scan", _stand_in(thresholds, ran))
    tasks = [critical.CriticalSearch(LI, (), P, 298.0) for P in thresholds]
    records = critical.scan(tasks, tmp_path)
    for task, rec in zip(tasks, records):
        assert rec["status"] == "bracketed"
        assert rec["holds_at_mA_cm2"] < thresholds[task.pressure_MPa] <= rec["fails_at_mA_cm2"]
        assert json.loads(critical.record_path(tmp_path, task).read_text()) == json.loads(json.dumps(rec))
        assert all(p["failed"] == (p["current_mA_cm2"] >= thresholds[task.pressure_MPa]) for p in rec["probes"])
    assert ran[:2] == [(1.0, 20.0), (7.0, 20.0)]                       # one round asks every search at once
    n = len(ran)
    again = critical.scan(tasks, tmp_path)                             # resumed: nothing run again
    assert len(ran) == n and again == records
    # a record of other inputs is not taken
    other = critical.CriticalSearch(LI, (), 1.0, 298.0, factor=2.0)
    critical.scan([other], tmp_path)
    assert len(ran) > n


def test_a_run_that_neither_holds_nor_fails_stops_the_search(tmp_path, monkeypatch):
    """A probe stopped unconverged (a solve short of its tolerance) is neither a hold nor a failure: the scan
    records the round's other runs, then stops with the run's message (ValueError, which the command prints as its
    error); the undecided search records no probe."""
    import kmc.meso_scan
    decided = _stand_in({1.0: 0.3}, [])

    def one_unconverged(settings_list, workers=None, scheduler=None, label=""):
        out = []
        for s in settings_list:
            if s.conditions.stack_pressure_MPa == 7.0:
                out.append(dict(series=dict(stripped_charge=[0.0], contact_fraction=[0.8], overpotential=[5.0],
                                            supersaturation=[9.0]), stop_reason="unconverged", steps=3,
                                unconverged="the current's fixed point still moved ..."))
            else:
                out += decided([s])
        return out
    monkeypatch.setattr(kmc.meso_scan, "meso_scan", one_unconverged)
    undecided, other = (critical.CriticalSearch(LI, (), P, 298.0) for P in (7.0, 1.0))
    with pytest.raises(ValueError, match=r"P7_T298: the run at 20 mA/cm2 stopped unconverged \(the current's fixed "
                                         r"point still moved \.\.\.\): it neither holds nor fails"):
        critical.scan([undecided, other], tmp_path)
    assert not critical.record_path(tmp_path, undecided).exists()
    assert [p["current_mA_cm2"] for p in json.loads(critical.record_path(tmp_path, other).read_text())["probes"]] \
        == [20.0]


def test_critical_current_command_brackets_resumes_and_refuses(tmp_path):
    """`kmc critical-current` on a 10 um section to 0.02 mAh/cm2: one line per pressure, each search recorded
    and not run again; bad input one line, exit 2."""
    args = ["critical-current", LI, "--set", "meso.width_um=10", "--pressures", "1,7", "--stop", "0.02",
            "--factor", "8", "--currents", "0.5", "20", "--out", str(tmp_path)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    lines = [x for x in first.output.splitlines() if x.startswith("  P = ")]
    assert len(lines) == 2 and "P = 1 MPa, 298 K" in lines[0] and "P = 7 MPa" in lines[1]
    records = sorted(tmp_path.glob("*.json"))
    assert [p.name for p in records] == ["P1_T298.json", "P7_T298.json"]
    stamp = [p.stat().st_mtime_ns for p in records]
    again = CliRunner().invoke(main, [*args, "--json"])
    assert again.exit_code == 0 and [p.stat().st_mtime_ns for p in records] == stamp
    data = json.loads(again.stdout)
    assert {r["search"]["pressure_MPa"] for r in data} == {1.0, 7.0}
    for r in data:
        assert r["status"] in ("bracketed", "holds at high", "fails at low") and r["probes"]
    bad = CliRunner().invoke(main, ["critical-current", LI, "--pressures", "1,x"])
    assert bad.exit_code == 2 and "allowed" in bad.output
    bad = CliRunner().invoke(main, ["critical-current", LI, "--currents", "2", "1"])
    assert bad.exit_code == 2 and "0 < LOW < HIGH" in bad.output


@pytest.mark.slow
def test_the_critical_current_rises_with_pressure_on_two_workers(tmp_path):
    """The real scan (kmc critical-current, two local workers): Li's 40 um section at 1 and 7 MPa, bisected
    to a factor 2 over 0.1-10 mA/cm2 to 1 mAh/cm2.  Each probe is a failure exactly when its contact fell to
    0.1, and more pressure holds at least as high a current."""
    out = tmp_path / "cc"
    result = CliRunner().invoke(main, ["critical-current", LI, "--pressures", "1,7", "--currents", "0.1", "10",
                                       "--factor", "2", "--stop", "1", "--set", "meso.width_um=40",
                                       "--workers", "2", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["search"]["pressure_MPa"] for r in records] == [1.0, 7.0]
    for r in records:
        assert r["status"] in ("bracketed", "fails at low", "holds at high")
        for p in r["probes"]:
            assert p["failed"] == (p["lowest_contact"] <= critical.FAILED_CONTACT)
    low = [r["holds_at_mA_cm2"] or 0.0 for r in records]
    assert low[1] >= low[0]
