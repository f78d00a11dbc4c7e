"""Driver: stop conditions, output schedules, interrupt handling."""
import time

import h5py
import numpy as np
import pytest

from kmc.config import load_config
from kmc.engine.state import EVENT_CLASSES
from kmc.runfile import KmcWriter
from kmc.simulation import Simulation
from kmc.species import HOST, SOLUTE, VACANCY

SMALL = ["lattice.cells=[6,6,4]", "run.acceleration=1e8"]


def run_to_file(params, tmp_path, extra, name="run.h5"):
    sim = Simulation(load_config(params, SMALL + extra))
    path = tmp_path / name
    result = sim.run(KmcWriter(path, sim), progress=False)
    return sim, result, path


def test_stop_on_events_and_event_schedule(li_params, tmp_path):
    sim, result, path = run_to_file(li_params, tmp_path, [
        "run.stop_stripped_mAh_cm2=0", "run.max_events=5000", "output.frame_every_events=1000",
        "output.frame_every_mAh_cm2=0", "output.series_every_events=250", "output.series_every_mAh_cm2=0"])
    assert result.stop_reason == "max_events" and sim.events == 5000
    with h5py.File(path, "r") as f:
        assert list(f["particles/metal/species/step"][()]) == [0, 1000, 2000, 3000, 4000, 5000]
        assert list(f["observables/vacancy_count/step"][()]) == list(range(0, 5001, 250))


def test_stop_on_kmc_time_and_time_schedule(li_params, tmp_path):
    sim, result, path = run_to_file(li_params, tmp_path, [
        "run.stop_stripped_mAh_cm2=0", "run.stop_time_s=2e-9", "output.frame_every_s=5e-10",
        "output.frame_every_mAh_cm2=0"])
    assert result.stop_reason == "stop_time" and sim.time_s >= 2e-9
    with h5py.File(path, "r") as f:
        t = f["particles/metal/species/time"][()]
    assert len(t) == 5
    # each frame is the first state at or after its scheduled time
    assert np.all(t[1:] >= np.array([5e-10, 1e-9, 1.5e-9, 2e-9]))


def test_stop_on_contact_fraction(li_params, tmp_path):
    sim, result, path = run_to_file(li_params, tmp_path, [
        "run.acceleration=1e9", "run.stop_stripped_mAh_cm2=0", "run.stop_contact_fraction=0.5"])
    assert result.stop_reason == "contact"
    assert sim.observables()["contact_fraction"] <= 0.5
    with h5py.File(path, "r") as f:
        assert f["observables/contact_fraction/value"][-1] <= 0.5


def test_stop_on_charge(limg_params, tmp_path):
    sim, result, _ = run_to_file(limg_params, tmp_path, ["run.stop_stripped_mAh_cm2=5e-5"])
    assert result.stop_reason == "stripped_charge"
    assert 5e-5 <= sim.observables()["stripped_charge"] < 5e-5 + 2 * sim.charge_per_atom_mAh_cm2


def test_keyboard_interrupt_closes_file(li_params, tmp_path, monkeypatch):
    """A KeyboardInterrupt that escapes the stop handler (e.g. a run outside the main thread)
    still ends with the file closed and readable, kept as .partial (the run is incomplete)."""
    sim = Simulation(load_config(li_params, SMALL + ["run.chunk_events=1000"]))
    calls = {"n": 0}
    real_step = sim.step

    def step(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_step(*a, **k)

    monkeypatch.setattr(sim, "step", step)
    path = tmp_path / "int.h5"
    result = sim.run(KmcWriter(path, sim), progress=False)
    assert result.stop_reason == "interrupted"
    assert not path.exists()
    with h5py.File(tmp_path / "int.h5.partial", "r") as f:
        assert f["particles/metal/species/value"].shape[0] >= 1
        assert "run" not in f


def test_zero_pressure_means_no_creep_and_zero_current_no_strip(li_params):
    sim = Simulation(load_config(li_params, SMALL + ["conditions.stack_pressure_MPa=0",
                                                      "composition.vacancy_fraction=0.05",
                                                      "run.acceleration=1e9"]))
    assert sim.rates.creep_per_void_site_full_contact_per_s == 0
    sim.step(20000)
    assert sim.event_counts()["creep_refill"] == 0 and sim.event_counts()["strip"] > 0
    sim = Simulation(load_config(li_params, SMALL + ["conditions.current_density_mA_cm2=0",
                                                      "composition.vacancy_fraction=0.05",
                                                      "run.stop_stripped_mAh_cm2=0", "run.max_events=10"]))
    sim.step(20000)
    assert sim.event_counts()["strip"] == 0 and sim.event_counts()["hop_host"] > 0


def test_overpotential_is_live_and_stops_the_run_like_a_cycler(li_params, tmp_path):
    """The overpotential observable follows the contact at every sample (Butler-Volmer with the
    run's exchange current), and run.stop_overpotential_mV ends the run at the first sample whose
    overpotential reaches it: the contact just before stays below the cut-off."""
    from kmc.physics.electrochemistry import overpotential_mV
    cutoff = 40.0
    sim, result, path = run_to_file(li_params, tmp_path, [
        "run.acceleration=1e9", "run.stop_stripped_mAh_cm2=0", f"run.stop_overpotential_mV={cutoff}",
        "conditions.exchange_current_mA_cm2=0.5", "output.series_every_mAh_cm2=0", "output.series_every_events=200"])
    assert result.stop_reason == "overpotential"
    with h5py.File(path, "r") as f:
        eta = f["observables/overpotential/value"][()]
        contact = f["observables/contact_fraction/value"][()]
        assert f["observables/overpotential/value"].attrs["unit"] == "mV"
    np.testing.assert_allclose(eta, overpotential_mV(0.5, contact, 0.5, 298.0))
    assert eta[-1] >= cutoff and np.all(eta[:-1] < cutoff)
    # the cut-off maps onto a contact count: one more L1 atom would be below it
    spl = sim.lattice.sites_per_layer
    assert overpotential_mV(0.5, contact[-1] + 1 / spl, 0.5, 298.0) < cutoff


def test_stop_on_monolayers_and_on_wall_time(li_params, tmp_path, monkeypatch):
    sim, result, _ = run_to_file(li_params, tmp_path, ["run.stop_stripped_mAh_cm2=0", "run.stop_stripped_monolayers=0.5"])
    spl = sim.lattice.sites_per_layer
    assert result.stop_reason == "stripped_monolayers" and sim.stripped_atoms == int(np.ceil(0.5 * spl))
    # The run reads its wall time from time.perf_counter.  A clock that reads 0 s until the run has
    # done 10,000 events and 1 s from then on makes the stop independent of the machine's speed: it
    # must come at the first chunk boundary (chunks of 2,000 events) where 0.2 s have passed.
    sim = Simulation(load_config(li_params, SMALL + [
        "run.stop_stripped_mAh_cm2=0", "run.stop_wall_s=0.2", "conditions.current_density_mA_cm2=0",
        "composition.vacancy_fraction=0.02", "boundary.bottom=closed", "run.chunk_events=2000",
        "run.max_events=100000"]))      # the backstop: a run that ignored its wall time would end here
    monkeypatch.setattr(time, "perf_counter", lambda: 0.0 if sim.events < 10_000 else 1.0)
    path = tmp_path / "wall.h5"
    result = sim.run(KmcWriter(path, sim), progress=False)
    assert result.stop_reason == "wall_time" and sim.events == 10_000 and result.wall_time_s == 1.0
    with h5py.File(path, "r") as f:   # a complete file, not an interrupted one
        assert f["run"].attrs["stop_reason"] == "wall_time"


def test_the_run_read_by_name_agrees_with_its_configuration(limg_params):
    """Simulation's named reads (what callers outside the engine use) against what the occupancy
    and the lattice say independently: vacancies and their sites, L1's atoms and vacancies, each
    site's vacant neighbours, the event counts and the tracers."""
    sim = Simulation(load_config(limg_params, SMALL + ["composition.vacancy_fraction=0.05", "tracers.count=40"]))
    sim.step(5000)
    occ, spl = sim.occupancy, sim.lattice.sites_per_layer
    assert sim.vacancy_count == np.count_nonzero(occ == VACANCY) > 0
    assert sorted(sim.vacancy_sites()) == list(np.flatnonzero(occ == VACANCY))
    contact = occ[:spl][~sim.pore.l1_open]        # the L1 sites under the electrolyte (kmc.pore: the shipped stripe)
    assert sim.l1_metal_atoms() == (np.count_nonzero(contact == HOST), np.count_nonzero(contact == SOLUTE))
    assert sim.l1_vacancy_count == np.count_nonzero(contact == VACANCY)
    nbr = sim.lattice.neighbors
    vacant_neighbours = np.where(nbr >= 0, occ[nbr] == VACANCY, False).sum(axis=1)
    assert np.array_equal(sim.neighbour_counts(VACANCY), vacant_neighbours) and vacant_neighbours.any()
    counts = sim.event_counts()
    assert list(counts) == list(EVENT_CLASSES) and sum(counts.values()) == sim.events == 5000
    assert counts["hop_host"] > 0 and counts["strip"] > 0
    assert sim.tracer_count == 40 and sim.tracer_jump_counts().shape == (40,) and sim.tracer_jump_counts().any()
    sites = sim.tracer_sites()
    sites[:] = -1   # a copy: the run's tracers are untouched
    assert (sim.tracer_sites() >= 0).any()


def test_reseed_restarts_the_random_stream_and_nothing_else(li_params):
    """From one state, the same key gives the same continuation, another key another one (forward-
    flux sampling's trials); the configuration and clock are those of the state."""
    sim = Simulation(load_config(li_params, SMALL + ["composition.vacancy_fraction=0.05"]))
    sim.step(2000)
    start, occupancy, time_s = sim.get_state(), sim.occupancy, sim.time_s
    ends = []
    for key in ((7, 1), (7, 1), (7, 2)):
        sim.set_state(start)
        sim.reseed(*key)
        assert np.array_equal(sim.occupancy, occupancy) and sim.time_s == time_s
        sim.step(2000)
        ends.append(sim.get_state())
    assert all(np.array_equal(ends[0][k], ends[1][k]) for k in ends[0])
    assert not np.array_equal(ends[0]["site_word"], ends[2]["site_word"])
    assert not np.array_equal(ends[0]["rng"], start["rng"])


def test_with_occupancy_carries_the_run_on_and_refuses_what_it_cannot_carry(li_params, limg_params):
    """A new configuration with the same vacancies per layer carries on the clock, counts, events,
    stripped atoms and random stream; moved vacancies (the layer integrals would be wrong) and
    tracers (their identity) are refused with what is allowed."""
    sim = Simulation(load_config(limg_params, SMALL + ["boundary.bottom=closed"]))
    sim.step(3000)
    occ = sim.occupancy
    host, solute = np.flatnonzero(occ == HOST)[0], np.flatnonzero(occ == SOLUTE)[0]
    occ[host], occ[solute] = SOLUTE, HOST
    new = sim.with_occupancy(occ)
    assert np.array_equal(new.occupancy, occ) and new.events == sim.events and new.time_s == sim.time_s
    assert new.event_counts() == sim.event_counts() and new.stripped_atoms == sim.stripped_atoms > 0
    assert np.array_equal(new.get_state()["rng"], sim.get_state()["rng"])
    assert np.array_equal(new.time_averaged_layer_vacancies(), sim.time_averaged_layer_vacancies())
    moved, spl = occ.copy(), sim.lattice.sites_per_layer
    vacancy = new.vacancy_sites()[0]
    other_layer = np.flatnonzero((occ == HOST) & (np.arange(occ.size) // spl != vacancy // spl))[0]
    moved[vacancy], moved[other_layer] = HOST, occ[vacancy]
    with pytest.raises(ValueError, match="vacancies per layer.*allowed"):
        sim.with_occupancy(moved)
    traced = Simulation(load_config(li_params, SMALL + ["boundary.bottom=closed", "tracers.count=10"]))
    with pytest.raises(ValueError, match="allowed only without"):
        traced.with_occupancy(traced.occupancy)
