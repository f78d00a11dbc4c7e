"""kmc.load and kmc info: coordinates for plotting against charge, frames tied to samples, and runs
that are still being written (X.h5.partial; every reader on every kind of file, with a live
writer held open by another process: tests/test_readers.py)."""
import h5py
import numpy as np
import pytest
from click.testing import CliRunner

import kmc
from kmc import runfile
from kmc.cli import main
from regimes import PERFECT_INTERFACE

SMALL = ["--set", "lattice.cells=[8,8,6]", "--set", "run.stop_stripped_mAh_cm2=4e-5",
         "--set", "run.acceleration=1e8",
         "--set", PERFECT_INTERFACE]   # every L1 site contact (the pore: tests/test_pore.py)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("load") / "small.h5"
    # in this process (the fast tier's one compilation of the event loop, tests/conftest.py; the `kmc`
    # command itself: tests/test_install.py)
    done = CliRunner().invoke(main, ["run", "limg_li2s", "-o", str(out), "--no-progress", *SMALL])
    assert done.exit_code == 0, done.output
    return out


def test_stripped_charge_and_monolayers_are_sample_coordinates(small_run):
    ds = kmc.load(small_run)
    with h5py.File(small_run, "r") as f:
        charge = f["observables/stripped_charge/value"][()]
        monolayers = f["observables/stripped_monolayers/value"][()]
        contact = f["observables/contact_fraction/value"][()]
    for name, values in (("stripped_charge", charge), ("stripped_monolayers", monolayers)):
        assert name in ds.coords and ds[name].dims == ("sample",)
        np.testing.assert_array_equal(ds[name].values, values)
    line = ds.contact_fraction.plot(x="stripped_charge")[0]    # the README's example
    np.testing.assert_array_equal(line.get_xdata(), charge)
    np.testing.assert_array_equal(line.get_ydata(), contact)
    assert ds.attrs["run_status"] == "complete"


def test_frames_carry_their_sample_and_its_charge(small_run):
    ds = kmc.load(small_run)
    d = kmc.load(small_run, as_xarray=False)
    assert ds.sizes["frame"] >= 3 and (ds.frame_sample >= 0).all()
    # the sample at each frame's step: same step, and its charge is the frame's coordinate
    np.testing.assert_array_equal(ds.sample_step.values[ds.frame_sample.values], ds.frame_step.values)
    np.testing.assert_array_equal(ds.frame_stripped_charge.values, ds.stripped_charge.values[ds.frame_sample.values])
    # and the frame's contact fraction, recomputed from its species, is the sample's
    spl = ds.attrs["sites_per_layer"]
    l1 = ds.species.values[:, :spl]
    contact = ds.contact_fraction.isel(sample=ds.frame_sample).values
    np.testing.assert_allclose((l1 != 0).sum(axis=1) / spl, contact)
    np.testing.assert_array_equal(d["frame_sample"], ds.frame_sample.values)
    np.testing.assert_array_equal(d["frame_stripped_monolayers"], ds.frame_stripped_monolayers.values)


def test_the_solute_fraction_reads_under_its_new_name(small_run):
    ds = kmc.load(small_run)
    with h5py.File(small_run, "r") as f:
        stored = "interface_solute_fraction" if "interface_solute_fraction" in f["observables"] else "interface_mg_fraction"
        values = f[f"observables/{stored}/value"][()]
    np.testing.assert_array_equal(ds.interface_solute_fraction.values, values)
    assert ds.interface_solute_fraction.max() > 0
    assert ds.attrs["composition.solute_fraction"] == pytest.approx(0.03)


@pytest.mark.parametrize("written_now", [True, False])
def test_a_read_that_races_a_write_is_read_again_while_the_run_is_written(small_run, tmp_path, monkeypatch,
                                                                            written_now):
    """A reader that lands inside one of the writer's flushes sees the file truncated for a moment
    (a timing-based live-run test failed so, now and then, on `kmc info`): info and load read again
    while a process is writing the run (it holds a lock on the .partial), and fail at once on a
    file nobody writes.  The race is made on purpose: the first check of the file fails."""
    import fcntl
    import shutil
    partial = tmp_path / "live.h5.partial"
    shutil.copy(small_run, partial)
    with h5py.File(partial, "r+") as f:
        del f["run"]
    real_check, calls = runfile.check_run_file, []

    def racing_check(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 1:
            raise runfile.RunFileError(f"{path} cannot be read (the file is truncated, e.g. an incomplete copy)")
        return real_check(path, *args, **kwargs)

    monkeypatch.setattr(runfile.readers, "check_run_file", racing_check)
    with open(partial, "rb") as writer:
        if written_now:                         # what kmc run's open file does (run_status)
            fcntl.flock(writer.fileno(), fcntl.LOCK_EX)
        for read in (runfile.info, kmc.load):
            calls.clear()
            if written_now:
                assert read(tmp_path / "live.h5") is not None and len(calls) == 2
            else:
                with pytest.raises(runfile.RunFileError, match="truncated"):
                    read(tmp_path / "live.h5")
                assert len(calls) == 1


def test_a_growing_file_seen_one_sample_apart_still_reads(small_run, tmp_path):
    """Read without HDF5's lock while another process writes, a .partial file can show one
    observable a sample ahead of another; the readers keep what all of them have, where a finished
    file with the same mismatch is refused as inconsistent."""
    import shutil
    partial = tmp_path / "grow.h5.partial"
    shutil.copy(small_run, partial)
    with h5py.File(partial, "r+") as f:
        del f["run"]
        value = f["observables/event_counts/value"]
        value.resize(value.shape[0] + 1, axis=0)     # a sample written for this observable only
    d = kmc.load(partial, as_xarray=False)
    assert d["event_counts"].shape[0] == d["contact_fraction"].shape[0] == d["sample_step"].size
    finished = tmp_path / "grow.h5"
    shutil.copy(partial, finished)
    with pytest.raises(runfile.RunFileError, match="inconsistent"):
        runfile.check_run_file(finished)


def test_a_frame_written_before_its_sample_is_left_out_of_a_growing_file(small_run, tmp_path):
    """A frame is flushed just before the sample taken with it, so a reader can catch a .partial
    file between the two (or a run cut off there): the frame without its sample is left out until
    the sample arrives, and every frame the reader returns has its sample."""
    import shutil
    partial = tmp_path / "ahead.h5.partial"
    shutil.copy(small_run, partial)
    full = kmc.load(small_run, as_xarray=False)
    with h5py.File(partial, "r+") as f:
        del f["run"]
        obs = f["observables"]
        n = obs["contact_fraction/step"].shape[0]
        last_frame_step = f["particles/metal/species/step"][-1]
        assert obs["contact_fraction/step"][n - 1] == last_frame_step   # the run ended on a frame
        for name in obs:                          # drop the sample taken with the last frame
            obs[f"{name}/value"].resize(n - 1, axis=0)
        obs["contact_fraction/step"].resize((n - 1,))
        obs["contact_fraction/time"].resize((n - 1,))
    d = kmc.load(partial, as_xarray=False)
    assert d["attrs"]["run_status"] == "interrupted"
    assert d["species"].shape[0] == full["species"].shape[0] - 1
    assert (d["frame_sample"] >= 0).all() and np.isfinite(d["frame_stripped_charge"]).all()
    np.testing.assert_array_equal(d["species"], full["species"][:-1])
