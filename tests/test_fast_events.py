"""Fast reversible events (run.fast_event_scaling; kmc.rate_rules.fast, kmc.engine.fast): a hop and its reverse
share a type, so scaling the types keeps every hop's rate ratio to its reverse (detailed balance); the key off
runs every hop at its own rate; the window's rule scales balanced types and resets the others.  The bias
against the exact kMC is measured by benchmarks/fast_event_bias.py (slow: tests/test_fast_events_bias.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kmc.config import load_config
from kmc.engine import fast, loop
from kmc.engine.fast import FastEventScaling
from kmc.engine.state import EV_STRIP, EVENT_CLASSES
from kmc.rate_rules import N_FAST_TYPES
from kmc.simulation import Simulation
from kmc.species import HOST, VACANCY

ROOT = Path(__file__).resolve().parent.parent


def _settings(on: bool, cells="6,6,4"):
    return load_config(ROOT / "params" / "li_li2s.toml", [f"lattice.cells=[{cells}]",
                                                          f"run.fast_event_scaling={str(on).lower()}"])


def _rough_occupancy(settings, n_vacancies=40, seed=3):
    """The box with vacancies scattered over its top three layers (the mouth's and the contact's)."""
    sim = Simulation(settings)
    occ = sim.occupancy.copy()
    spl = sim.lattice.sites_per_layer
    rng = np.random.default_rng(seed)
    occ[rng.choice(3 * spl, n_vacancies, replace=False)] = VACANCY
    return occ


def _rates_by_hop(sim) -> dict:
    """{(vacancy site, atom site): rate} of every hop the engine holds."""
    nbr = sim.lattice.neighbors
    out = {}
    for k in range(sim.vacancy_count):
        v = int(sim.vacancy_site[k])
        for d in range(8):
            j = int(nbr[v, d])
            if j >= 0 and sim.vacancy_rates[k, d] > 0:
                out[(v, j)] = float(sim.vacancy_rates[k, d])
    return out


def _rescale(sim, scale):
    sim.fast_scale[:] = scale
    rate_model, state, _ = sim._kernel_state()
    loop.refresh_all_rates(sim._geometry, rate_model, state, *sim._form_markers)


def test_scaled_types_keep_detailed_balance():
    """Random factors on every type: for each hop of the rough box and its reverse (the configuration after
    it), the ratio of the two rates is the exact kMC's, while the rates themselves are scaled.  It fails if a
    hop and its reverse fell in types of different factors."""
    settings = _settings(True)
    occ = _rough_occupancy(settings)
    scale = np.random.default_rng(7).uniform(0.01, 1.0, N_FAST_TYPES)
    sim = Simulation(settings, occ)
    assert sim._rate_model.fast_layers >= 2
    exact = _rates_by_hop(sim)
    _rescale(sim, scale)
    scaled = _rates_by_hop(sim)
    checked = 0
    for (v, j), r_scaled in scaled.items():
        if r_scaled == exact[(v, j)]:
            continue                     # not typed (an end below the typed layers)
        after = occ.copy()
        after[v], after[j] = occ[j], VACANCY
        back = Simulation(settings, after)
        back_exact = _rates_by_hop(back)[(j, v)]
        _rescale(back, scale)
        back_scaled = _rates_by_hop(back)[(j, v)]
        assert r_scaled / back_scaled == pytest.approx(exact[(v, j)] / back_exact, rel=1e-12)
        checked += 1
        if checked == 8:
            break
    assert checked == 8


def test_off_runs_every_hop_at_its_own_rate():
    """The key off: no type is scaled, the rates are those of the scaling on with every factor 1, and the
    run keeps no window; the key is recorded with the run's parameters (run.fast_event_scaling)."""
    occ = _rough_occupancy(_settings(False))
    off, on = Simulation(_settings(False), occ), Simulation(_settings(True), occ)
    assert off.fast_scaling is None and off._rate_model.fast_layers == 0 and fast.record(off) == {}
    assert on.fast_scaling is not None
    assert np.array_equal(off.vacancy_rates, on.vacancy_rates)
    _rescale(off, np.full(N_FAST_TYPES, 0.5))     # the factors are not read with the key off
    assert np.array_equal(off.vacancy_rates, on.vacancy_rates)
    _rescale(on, np.full(N_FAST_TYPES, 0.5))
    assert not np.array_equal(off.vacancy_rates, on.vacancy_rates)


def test_window_rule():
    """Dybeck's rule on one window: a balanced type is slowed towards `separation` times the slowest
    unbalanced channel (the strip class here), by at most max_step; an unbalanced one returns to 1; a scaled
    one too rarely executed to be tested is raised."""
    rule = FastEventScaling(min_executions=100, tolerance=0.2, separation=50.0, max_step=10.0)
    counts = np.zeros((N_FAST_TYPES, 2), np.int64)
    counts[0] = (5000, 5000)      # balanced, 10000 executions: 50 x 2 strips wants 1/100, bounded to 1/10
    counts[1] = (60, 50)          # balanced, 110: wants 100/110
    counts[2] = (900, 100)        # unbalanced
    counts[3] = (3, 2)            # too few to test, scaled before
    classes = np.zeros(len(EVENT_CLASSES), np.int64)
    classes[EV_STRIP] = 2
    scale = np.ones(N_FAST_TYPES)
    scale[2], scale[3] = 0.01, 0.001
    assert rule.update(counts, classes, scale)
    assert scale[0] == pytest.approx(0.1) and scale[1] == pytest.approx(100 / 110)
    assert scale[2] == 1.0 and scale[3] == pytest.approx(0.01)
    assert (scale[4:] == 1.0).all()
    # the slowest unbalanced channel may be a type: the unbalanced type of 1000 executions is slower
    # than no strip at all; then 50 x 1000 > 10000 executions leaves type 0 at its factor
    classes[EV_STRIP] = 0
    counts[3] = 0
    scale[:] = 1.0
    scale[0] = 0.5
    rule.update(counts, classes, scale)
    assert scale[0] == pytest.approx(1.0)


def test_scaled_run_counts_types_and_records():
    """A short run with the key on counts the typed hops in both directions, closes windows, scales the
    mouth's flicker and records it (the run file's /run fast_event_*)."""
    sim = Simulation(_settings(True), _rough_occupancy(_settings(True)))
    sim.fast_scaling = FastEventScaling(window_events=2000)
    sim.step(2000 - 1)
    assert sim.fast_counts.sum() > 0 and (sim.fast_counts[:, 0].sum() > 0) and (sim.fast_counts[:, 1].sum() > 0)
    sim.step(20_000)
    record = fast.record(sim)
    assert record["windows"] == 10 and record["types_scaled"] > 0 and record["smallest_factor"] < 1.0
    assert (sim.occupancy == HOST).sum() > 0


def test_scaled_run_resumes_bit_for_bit():
    """A run with the key on stopped mid-window and restored from its state carries on as the unbroken run:
    the factors, the window's counts and its start travel with the checkpoint."""
    settings = _settings(True)
    occ = _rough_occupancy(settings)
    whole = Simulation(settings, occ)
    whole.fast_scaling = FastEventScaling(window_events=3000)
    whole.step(7500)
    state = whole.get_state()
    whole.step(7500)
    resumed = Simulation(settings, occ)
    resumed.fast_scaling = whole.fast_scaling
    resumed.set_state(state)
    resumed.step(7500)
    assert (whole.fast_scale < 1.0).any()
    assert np.array_equal(whole.occupancy, resumed.occupancy) and whole.time_s == resumed.time_s
    assert np.array_equal(whole.fast_scale, resumed.fast_scale) and fast.record(whole) == fast.record(resumed)


def test_a_lone_vacancy_runs_at_its_own_rate():
    """A lone vacancy's hops (no other vacancy next to either end) carry the stripped vacancies across the contact:
    never typed, so no factor reaches them, while a vacancy pair's hops in the same layers are scaled."""
    settings = _settings(True)
    sim = Simulation(settings)
    spl = sim.lattice.sites_per_layer
    contact = next(s for s in range(spl) if not sim.pore.l1_open[s])
    lone = int(sim.lattice.neighbors[contact, 4])          # the L2 site under a contact site (slots 4-7: below)
    occ = sim.occupancy.copy()
    occ[lone] = VACANCY
    for configuration, scaled in ((occ, False), (np.where(np.arange(occ.size) == contact, VACANCY, occ), True)):
        sim = Simulation(settings, configuration.astype(np.int8))
        exact = _rates_by_hop(sim)
        _rescale(sim, np.full(N_FAST_TYPES, 0.5))
        assert (_rates_by_hop(sim) != exact) == scaled
