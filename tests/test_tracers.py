"""Tracer bookkeeping: tagged atoms are followed exactly and tracking never changes a run."""
import h5py
import numpy as np
import pytest

import kmc
from kmc import runfile
from kmc.config import ConfigError, load_config
from kmc.species import SOLUTE, VACANCY
from kmc.simulation import Simulation

SLAB = ["lattice.cells=[6,6,6]", "composition.vacancy_fraction=0.02", "run.acceleration=1e7",
        "run.stop_stripped_mAh_cm2=0", "run.max_events=40000", "run.chunk_events=7000",
        "output.frame_every_events=10000", "output.frame_every_mAh_cm2=0", "output.series_every_mAh_cm2=0",
        "output.series_every_events=5000"]


def unwrapped_matches(sim):
    """Initial position + displacement lands on the tracer's current site, modulo the box."""
    lat = sim.lattice
    pos = lat.positions_A
    sites = sim.tracer_sites()
    present = sites >= 0
    start = pos[sim.tracer_initial_site[present]]
    now = pos[sites[present]]
    diff = start + sim.tracer_displacements_A()[present] - now
    box = lat.box_A
    periodic = np.array([True, True, lat.periodic_z])
    diff[:, periodic] -= box[periodic] * np.round(diff[:, periodic] / box[periodic])
    return np.abs(diff).max() if diff.size else 0.0


def test_tracers_follow_their_atoms_and_do_not_change_the_run(limg_params):
    plain = Simulation(load_config(limg_params, SLAB))
    traced = Simulation(load_config(limg_params, SLAB + ["tracers.count=300"]))
    species0 = traced.occupancy[traced.tracer_sites()]
    plain.step(40000)
    traced.step(40000)
    np.testing.assert_array_equal(plain.occupancy, traced.occupancy)
    assert plain.event_counts() == traced.event_counts()
    assert plain.time_s == traced.time_s
    sites = traced.tracer_sites()
    present = sites >= 0
    # each tracer still holds its own species, and no two tracers share a site
    assert (traced.occupancy[sites[present]] == species0[present]).all()
    assert len(set(sites[present])) == present.sum()
    assert (traced.tracer_of_site[sites[present]] == np.flatnonzero(present)).all()   # the engine's inverse map
    # the run strips Li and creeps, so some tracers moved and some may have left
    assert traced.tracer_jump_counts().sum() > 100
    assert unwrapped_matches(traced) < 1e-9


def test_all_atoms_traced_jumps_equal_hops(li_params):
    """With every atom tagged in a closed bulk box, tracer jumps sum to the hop count exactly."""
    cfg = ["lattice.geometry=bulk", "lattice.cells=[5,5,5]", "composition.vacancy_fraction=0.01",
           "conditions.current_density_mA_cm2=0", "conditions.stack_pressure_MPa=0", "boundary.bottom=closed",
           "run.stop_stripped_mAh_cm2=0", "run.max_events=20000", "tracers.count=248"]
    sim = Simulation(load_config(li_params, cfg))
    assert (sim.occupancy != VACANCY).sum() == 248
    sim.step(20000)
    counts = sim.event_counts()
    assert sim.tracer_jump_counts().sum() == counts["hop_host"] + counts["hop_solute"] == 20000
    assert unwrapped_matches(sim) < 1e-9
    # periodic bulk: the summed displacement of all atoms is minus the vacancies' net motion,
    # so it is a multiple of a/2 in every direction
    half = sim.lattice.lattice_constant_A / 2
    total = sim.tracer_displacements_A().sum(axis=0) / half
    np.testing.assert_allclose(total, np.round(total), atol=1e-9)


def test_tracer_output_in_file(tmp_path, limg_params):
    settings = load_config(limg_params, SLAB + ["tracers.count=10", "tracers.species=Mg"])
    sim = Simulation(settings)
    assert (sim.occupancy[sim.tracer_sites()] == SOLUTE).all()
    path = tmp_path / "t.h5"
    result = sim.run(runfile.KmcWriter(path, sim), progress=False)
    with h5py.File(path) as f:
        tr = f["particles/tracers"]
        assert tr["displacement"].shape == (f["particles/metal/species/value"].shape[0], 10, 3)
        np.testing.assert_array_equal(tr["step"][()], f["particles/metal/species/step"][()])
        np.testing.assert_allclose(tr["displacement"][-1], sim.tracer_displacements_A())
        # where the tracers started, not where they were when the writer was made
        np.testing.assert_array_equal(tr["initial_site"][()], sim.tracer_initial_site)
        assert (tr["site"][-1] != tr["initial_site"][()]).any()
        msd = f["observables/tracer_msd_solute/value"][()]
        assert np.isnan(f["observables/tracer_msd_host/value"][()]).all()
    present = sim.tracer_sites() >= 0
    assert msd[-1] == pytest.approx((sim.tracer_displacements_A()[present] ** 2).sum(1).mean())
    assert result.observables["tracer_msd_solute"] == msd[-1]
    ds = kmc.load(path, as_xarray=False)
    assert "tracer_msd_solute" in ds


def test_too_many_tracers_is_a_config_error(li_params):
    with pytest.raises(ConfigError, match="tracers.count"):
        Simulation(load_config(li_params, ["lattice.cells=[4,4,4]", "tracers.count=5000"]))


def test_writer_made_after_steps_records_where_tracers_started(tmp_path, li_params):
    sim = Simulation(load_config(li_params, SLAB + ["tracers.count=100"]))
    sim.step(20000)
    assert (sim.tracer_sites() != sim.tracer_initial_site).any()
    writer = runfile.KmcWriter(tmp_path / "late.h5", sim)
    with h5py.File(writer.tmp_path, "r") as f:
        np.testing.assert_array_equal(f["particles/tracers/initial_site"][()], sim.tracer_initial_site)
    writer.abort()
