"""Driver: stop conditions, output schedules, interrupt handling."""
import time

import h5py
import numpy as np

from kmc.config import load_config
from kmc.runfile import KmcWriter
from kmc.simulation import Simulation

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
    assert sim.counts[5] == 0 and sim.counts[2] > 0
    sim = Simulation(load_config(li_params, SMALL + ["conditions.current_density_mA_cm2=0",
                                                      "composition.vacancy_fraction=0.05",
                                                      "run.stop_stripped_mAh_cm2=0", "run.max_events=10"]))
    sim.step(20000)
    assert sim.counts[2] == 0 and sim.counts[0] > 0


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
