"""The nucleation rate's method follows the state, its pieces run anywhere with the
serial numbers, and ``kmc rates`` reports the host's and the solute's diffusivity.
The agreement of waiting times and FFS where both apply is test_physical_kinetics.py's
test_forward_flux_equals_waiting_times (slow)."""
from __future__ import annotations

import json
import math

import pytest

from kmc.config import load_config, resolve_params
from kmc.interface_rates import defects, ffs, report
from kmc.interface_rates.pieces import Runner


def params(name="li_li2s", extra=()):
    return load_config(resolve_params(name), list(extra))


def test_fast_nucleation_is_measured_by_waiting_times_not_reported_zero():
    """At S = 10000 the steady interface never sits below lambda_0 = 3, so FFS's basin is empty and
    it reported 0 +- 0 with a '95 % upper bound' of 2.75e11 per um^2 per s.  The record must now come
    from the waiting times (8 runs on the 12x12x4 box, seeds 1-8, about 4 s), say so and why, and
    give a rate with its Poisson error; N events in the time sampled must be impossible (Poisson
    probability < 1e-6) at the old bound's rate, and the rate within 3 combined se of the brute-force
    row of docs/rates.md (1.22e13 +- 1.8e12, mean first passage from A of 8 other runs)."""
    rec = report.nucleation_record(params(), 10_000.0, trials=10, flux_events=400_000, seeds=range(1, 9),
                                   l1="random")
    assert rec["method_used"] == "waiting times" and "not where the interface lives" in rec["method_reason"]
    assert rec["fraction_in_A"] < report.IN_BASIN_MIN
    n = rec["waiting_reached"]
    assert n == 8 and rec["upper_bound"] is None
    assert rec["error"] == pytest.approx(rec["value"] / math.sqrt(n))
    mean_at_old_bound = 2.75e11 / rec["value"] * n        # expected events in the same time at the old bound
    p_at_least_n = 1 - sum(math.exp(-mean_at_old_bound) * mean_at_old_bound ** k / math.factorial(k) for k in range(n))
    assert p_at_least_n < 1e-6, p_at_least_n
    assert abs(rec["value"] - 1.22e13) < 3 * math.hypot(rec["error"], 1.8e12), rec["value"]


def test_no_event_in_the_sampled_time_gives_a_bound_not_zero():
    """Where no run reaches lambda_B the waiting times give 0 with the 95 % upper bound
    3 / (time sampled) / area (P(no event) = exp(-I A T) = 0.05), never a bare 0."""
    w = ffs.waiting_times(params(extra=["lattice.cells=[4,4,4]"]), 50.0, 3, 28, (1, 2), max_events=2000,
                          l1="random")
    assert w.reached == 0 and w.rate_per_um2_s == 0.0
    assert w.upper_bound_per_um2_s == pytest.approx(3.0 / w.time_sampled_s / w.area_um2)
    assert 0.5 < w.fraction_in_A <= 1.0    # at S = 50 the interface lives in A


def _without_wall(rec: dict) -> str:
    return json.dumps({k: v for k, v in rec.items() if k != "wall_s"}, sort_keys=True)


@pytest.mark.slow   # serial and on 2 Dask workers, ~12 s of CPU (a Dask cluster: tests/test_sweep.py)
def test_workers_give_the_serial_record_bit_for_bit():
    """The same nucleation record, FFS path (S = 1500 on a 6x6x4 box: the interface lives in A, the
    short waiting runs do not nucleate) and waiting-time path (S = 10000), serially and on 2 local
    Dask workers: every number of the JSON identical (wall time aside); so are a defect's growth runs
    (kmc.interface_rates.defects, cap of 6 at S = 10000, 4 runs).  The trials run in batches of
    4 pieces on the workers and of 20 here, so this also checks that the batches never change the
    stage."""
    box = params()
    kw = dict(trials=10, flux_events=4000, seeds=(1, 2), l1="random", cells=(6, 6, 4), ladder=(3, 4, 5), min_hits=2,
              max_trials=100)
    serial_ffs = report.nucleation_record(box, 1500.0, waiting_events=1000, **kw)
    serial_direct = report.nucleation_record(box, 10_000.0, **kw)
    small = params(extra=["lattice.cells=[6,6,4]"])
    serial_defect = defects.growth_probability(small, 10_000.0, "cap", 6, trials=4)
    assert serial_ffs["method_used"] == "FFS" and serial_ffs["flux_per_s"] > 0 and serial_ffs["probabilities"]
    assert serial_direct["method_used"] == "waiting times"
    with Runner(workers=2, progress=False) as runner:
        assert runner.slots == 2
        par_ffs = report.nucleation_record(box, 1500.0, waiting_events=1000, runner=runner, **kw)
        par_direct = report.nucleation_record(box, 10_000.0, runner=runner, **kw)
        par_defect = defects.growth_probability(small, 10_000.0, "cap", 6, trials=4, runner=runner)
    assert _without_wall(par_ffs) == _without_wall(serial_ffs)
    assert _without_wall(par_direct) == _without_wall(serial_direct)
    assert {**vars(par_defect), "wall_s": 0} == {**vars(serial_defect), "wall_s": 0}


def test_stage_stops_where_the_serial_rule_stops():
    """_stop_index: >= trials fired and >= min_hits succeeded, or max_trials."""
    assert ffs._stop_index([True] * 5, 10, 3, 100) is None
    assert ffs._stop_index([True] * 12, 10, 3, 100) == 10
    assert ffs._stop_index([False] * 10 + [True, False, True], 10, 2, 100) == 13
    assert ffs._stop_index([False] * 8, 10, 1, 8) == 8


def test_diffusivity_records_follow_the_cell_quantities():
    """The host's D* = f D_v c_eq and the solute's D at c_eq and at S c_eq, in cm^2/s, from the
    model's cell numbers (kmc.model.cell_transport, so they follow its c_eq and D_v); the solute's
    at S is S times its equilibrium one; both rise steeply with the temperature."""
    from kmc.model import cell_transport
    from kmc.physics import vacancy
    li = report.diffusivity_records(params(), 134.0)
    assert [r["name"] for r in li] == ["host_tracer_diffusivity"]
    cell = cell_transport(params())
    assert li[0]["value"] == pytest.approx(vacancy.TRACER_CORRELATION_FACTOR_BCC * cell.vacancy_diffusivity_um2_s
                                           * cell.vacancy_equilibrium_fraction * 1e-8, rel=1e-12)
    # the measured tracer law gives 7.0e-11 at 298 K; the shipped S_f = 2.75 k_B was derived from its D0
    # (5.76e-11: the 0.005 eV of Q), 3.7e-12 without it
    assert li[0]["unit"] == "cm^2/s" and 3e-11 < li[0]["value"] < 1e-10
    mg = {r["name"]: r for r in report.diffusivity_records(params("limg_li2s"), 50.0)}
    assert mg["solute_diffusivity_at_interface"]["value"] == pytest.approx(50 * mg["solute_diffusivity"]["value"])
    hotter = {r["name"]: r["value"] for r in report.diffusivity_records(
        params("limg_li2s", ["conditions.temperature_K=333"]), 50.0)}
    assert hotter["host_tracer_diffusivity"] > 5 * mg["host_tracer_diffusivity"]["value"]   # E_m + E_f ~ 0.6 eV
    assert hotter["solute_diffusivity"] > 5 * mg["solute_diffusivity"]["value"]


def test_workers_and_scheduler_are_exclusive():
    from click.testing import CliRunner

    from kmc.cli import main
    res = CliRunner().invoke(main, ["rates", "li_li2s", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert res.exit_code == 2 and "allowed: one of them" in res.output
    res = CliRunner().invoke(main, ["rates", "li_li2s", "--workers", "2", "--no-nucleation"])
    assert res.exit_code == 2 and "--no-nucleation" in res.output and "allowed" in res.output


def test_an_imposed_method_is_taken_and_said():
    """--method waiting takes the waiting times where the state would choose FFS (S = 50: the
    interface lives in A, nothing nucleates in 2000 events), gives the bound, and says it was asked
    for; a method that does not exist is refused."""
    kw = dict(trials=10, flux_events=2000, seeds=(1, 2), l1="random", cells=(4, 4, 4))
    rec = report.nucleation_record(params(), 50.0, method="waiting", **kw)
    assert rec["method_used"] == "waiting times" and "asked for" in rec["method_reason"]
    assert rec["value"] == 0 and rec["upper_bound"] > 0 and "upper bound" in rec["note"]
    with pytest.raises(ValueError, match="allowed"):
        report.nucleation_record(params(), 50.0, method="brute", **kw)


def test_ffs_without_a_rate_gives_way_to_the_runs_that_nucleated(monkeypatch):
    """Where FFS is chosen but ends without a rate (a stage of no success) while some direct runs
    did nucleate, the record is the waiting times', never FFS's bare 0 (S = 1500 on 6x6x4: FFS chosen;
    its stages get no trials here, max_trials 1, so it ends at the first stage with 0)."""
    real = ffs.waiting_times

    def one_nucleated(*args, **kw):    # the state with one of two runs nucleated, FFS chosen
        w = real(*args, **kw)
        w.reached, w.rate_per_um2_s, w.rate_se_per_um2_s, w.upper_bound_per_um2_s = 1, 1.0, 1.0, None
        return w
    monkeypatch.setattr(ffs, "waiting_times", one_nucleated)
    kw = dict(trials=1, flux_events=2000, seeds=(1, 2), l1="random", cells=(6, 6, 4), ladder=(3, 28), min_hits=1,
              max_trials=1, waiting_events=1000)
    rec = report.nucleation_record(params(), 1500.0, **kw)
    assert rec["method_used"] == "waiting times" and "FFS measured no rate" in rec["method_reason"]
    assert rec["value"] == 1.0


def test_ffs_without_a_rate_gives_its_upper_bound_as_a_number(monkeypatch):
    """FFS that ends on a stage with no success (S = 1500 on 6x6x4 with one trial per stage, asked for
    with --method ffs) holds the rule-of-three bound, flux x the stages' product x 3 / M / area, in a
    field of its own, and the record carries that number to the last bit, not the three digits the
    note shows."""
    results = []
    real = ffs.forward_flux

    def kept(*args, **kw):
        results.append(real(*args, **kw))
        return results[-1]
    monkeypatch.setattr(ffs, "forward_flux", kept)
    kw = dict(trials=1, flux_events=2000, seeds=(1, 2), l1="random", cells=(6, 6, 4), ladder=(3, 28), min_hits=1,
              max_trials=1, waiting_events=1000)
    rec = report.nucleation_record(params(), 1500.0, method="ffs", **kw)
    (r,) = results
    reached = [p for p in r.probabilities if p > 0]
    assert r.rate_per_um2_s == 0 and r.flux.crossings > 0 and r.probabilities[-1] == 0
    assert r.upper_bound_per_um2_s == r.flux.flux_per_s * math.prod(reached) * 3.0 / r.trials[-1] / r.area_um2
    assert rec["method_used"] == "FFS" and rec["value"] == 0 and rec["upper_bound"] == r.upper_bound_per_um2_s
    assert f"upper bound {r.upper_bound_per_um2_s:.3g}" in r.note
    assert rec["upper_bound"] != float(f"{r.upper_bound_per_um2_s:.3g}")   # what reading the note gave
