"""HDF5 layout, loading, summaries and bit-identical reruns."""
import tomllib

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

import kmc
from kmc.cli import main
from kmc.config import settings_from_dict
from kmc.physics.electrochemistry import overpotential_mV
from kmc.observables import UNITS as OBSERVABLE_UNITS
from kmc.observables import ALWAYS_RECORDED
from regimes import PERFECT_INTERFACE

SMALL = ["--set", "lattice.cells=[6,6,4]", "--set", "run.acceleration=1e8",
         "--set", "run.stop_stripped_mAh_cm2=5e-5", "--set", "output.frame_every_mAh_cm2=1e-5",
         "--set", "output.series_every_mAh_cm2=1.5e-6",   # schedules that do not line up (the frames and
         # samples of 1e-4 every 2e-5 and 3e-6, in half the events)
         "--set", PERFECT_INTERFACE]          # every L1 site contact (the pore: tests/test_pore.py)


def run_cli(params, out, *extra):
    r = CliRunner().invoke(main, ["run", str(params), "-o", str(out), *SMALL, *extra])
    # exit 3: the small box ran out of Li in contact (a complete file all the same; test_run_exit.py)
    assert r.exit_code in (0, 3), r.output + r.stderr
    return r


@pytest.fixture(scope="module")
def limg_file(tmp_path_factory):
    from pathlib import Path
    out = tmp_path_factory.mktemp("io") / "limg.h5"
    run_cli(Path(__file__).parent.parent / "params" / "limg_li2s.toml", out)
    return out


def test_layout(limg_file):
    with h5py.File(limg_file, "r") as f:
        assert list(f["h5md"].attrs["version"]) == [1, 1]
        assert f["h5md/creator"].attrs["name"] == "kmc-vacancy"
        metal = f["particles/metal"]
        n = metal["position"].shape[0]
        assert metal["position"].shape == (n, 3) and metal["position"].attrs["unit"] == "angstrom"
        assert list(metal["box"].attrs["boundary"]) == [b"periodic", b"periodic", b"none"]
        assert metal["box/edges"].attrs["unit"] == "angstrom"
        sp = metal["species"]
        assert sp["value"].dtype == np.int8 and sp["value"].shape[1] == n
        assert sp["value"].compression == "gzip" and sp["value"].chunks == (1, n)
        assert sp["step"].shape[0] == sp["time"].shape[0] == sp["value"].shape[0] >= 3
        assert sp["time"].attrs["unit"] == "s"
        assert np.all(np.diff(sp["step"][()]) > 0)
        assert metal["neighbors"].shape == (n, 8) and metal["layer"].shape == (n,)
        assert set(f["observables"]) == set(ALWAYS_RECORDED)   # no tracers in this run
        for name in ALWAYS_RECORDED:
            unit = OBSERVABLE_UNITS[name]
            g = f[f"observables/{name}"]
            assert {"step", "time", "value"} <= set(g)
            assert g["value"].attrs["unit"] == unit
        samples = f["observables/contact_fraction/value"].shape[0]
        assert samples > sp["value"].shape[0]
        par = f["parameters"]
        toml_text = par["config_toml"][()].decode()
        s = settings_from_dict(tomllib.loads(toml_text))
        assert s.lattice.cells == [6, 6, 4] and par.attrs["seed"] == 1 and par.attrs["code_version"]
        assert par.attrs["run.acceleration"] == 1e8
        # the model's energy tables as the run used them: the L1 in-plane pairs (a, a sqrt2) carry
        # the file's own Mg-Mg pair keys
        l1 = par["model/l1_pair_eV"][()]
        assert l1.shape == (2, 3, 3) and par["model/l1_pair_eV"].attrs["unit"] == "eV"
        assert l1[0, 2, 2] == pytest.approx(s.energy.interface_solute_pair_eV)
        assert l1[1, 2, 2] == pytest.approx(s.energy.interface_solute_pair_sqrt2_eV) and l1[1, 2, 2] != 0
        assert f["run"].attrs["stop_reason"] in ("stripped_charge", "no_strippable_host")
        assert int(f["run"].attrs["count_strip"]) > 0


def test_observables_consistent_with_frames(limg_file):
    """contact fraction, vacancy count and interface Mg at each frame match the frame itself."""
    with h5py.File(limg_file, "r") as f:
        metal = f["particles/metal"]
        spl = int(metal.attrs["sites_per_layer"])
        frames, fsteps = metal["species/value"][()], metal["species/step"][()]
        steps = f["observables/contact_fraction/step"][()]
        obs = {k: f[f"observables/{k}/value"][()] for k in ALWAYS_RECORDED}
        par = dict(f["parameters"].attrs)
        q = f["parameters/model"].attrs["charge_per_atom_mAh_cm2"]
    for frame, step in zip(frames, fsteps):
        i = np.flatnonzero(steps == step)
        assert i.size == 1, "every frame has an observable sample at the same step"
        i = i[0]
        l1 = frame[:spl]
        assert obs["contact_fraction"][i] == pytest.approx((l1 != 0).mean())
        assert obs["vacancy_count"][i] == (frame == 0).sum()
        assert obs["interface_vacancy_count"][i] == (l1 == 0).sum()
        metal_l1 = (l1 != 0).sum()
        if metal_l1:
            assert obs["interface_solute_fraction"][i] == pytest.approx((l1 == 2).sum() / metal_l1)
        assert obs["stripped_charge"][i] == pytest.approx(obs["stripped_monolayers"][i] * spl * q)
        assert obs["overpotential"][i] == pytest.approx(overpotential_mV(
            par["conditions.current_density_mA_cm2"], (l1 != 0).mean(), par["conditions.exchange_current_mA_cm2"],
            par["conditions.temperature_K"]))
    assert np.all(np.diff(obs["stripped_charge"]) >= 0)


def test_load_xarray_and_dict(limg_file):
    pytest.importorskip("xarray")
    ds = kmc.load(limg_file)
    assert ds["species"].dims == ("frame", "site")
    assert ds["contact_fraction"].dims == ("sample",)
    assert ds["event_counts"].dims == ("sample", "event_class")
    d = kmc.load(limg_file, as_xarray=False)
    assert np.array_equal(d["species"], ds["species"].values)
    assert np.array_equal(d["contact_fraction"], ds["contact_fraction"].values, equal_nan=True)
    assert d["parameters"]["model.name"] == "limg_li2s"


def test_info(limg_file):
    r = CliRunner().invoke(main, ["info", str(limg_file)])
    assert r.exit_code == 0 and "limg_li2s" in r.output and "contact_fraction" in r.output
    r = CliRunner().invoke(main, ["info", str(limg_file) + ".nope"])
    assert r.exit_code == 2 and r.stderr.startswith("error:")


def _datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
            attrs = {k: v for k, v in obj.attrs.items()}
            if name == "run":
                attrs = {k: v for k, v in attrs.items() if k not in ("wall_time_s", "events_per_s")}
            out[name + "@attrs"] = attrs
        f.visititems(visit)
    return out


def _equal(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=np.asarray(a).dtype.kind == "f")


def test_same_seed_bit_identical(tmp_path, li_params):
    run_cli(li_params, tmp_path / "a.h5")
    run_cli(li_params, tmp_path / "b.h5", "--set", "run.chunk_events=777")
    run_cli(li_params, tmp_path / "c.h5", "--set", "run.seed=2")
    a, b, c = (_datasets(tmp_path / f"{x}.h5") for x in "abc")
    assert a.keys() == b.keys()
    differing = [k for k in a if not k.startswith("parameters") and not _equal(a[k], b[k])]
    assert not differing
    assert not _equal(a["particles/metal/species/value"], c["particles/metal/species/value"])


def test_load_exposes_analysis(limg_file, tmp_path):
    pytest.importorskip("xarray")
    import shutil
    from kmc.analysis import analyze_file
    path = tmp_path / "a.h5"
    shutil.copy(limg_file, path)
    assert "analysis_contact_fraction" not in kmc.load(path)
    analyze_file(path)
    ds = kmc.load(path)
    assert ds["analysis_interface_void_count"].dims == ("frame",)
    assert np.allclose(ds["analysis_contact_fraction"].values,
                       (ds["species"].values[:, :int(ds.attrs["sites_per_layer"])] != 0).mean(1))
    assert ds["analysis_solute_profile"].dims == ("frame", "layer_index")
    tables = kmc.load_analysis(path)
    assert {"frames", "voids", "events", "solute_profile"} <= set(tables)
    assert len(tables["voids"]) > 0 and "track_id" in tables["voids"]
    d = kmc.load(path, as_xarray=False)
    assert len(d["analysis"]["frames"]) == ds.sizes["frame"]


@pytest.mark.parametrize("orientation", ["001", "110"])
def test_lattice_tables_written_in_blocks_equal_the_lattice(limg_params, tmp_path, monkeypatch, orientation):
    """The writer stores positions, neighbours and layers a block of layers at a time; with a
    block of a few layers (so blocks end inside the box and the last one is partial) the file
    holds exactly the lattice's tables."""
    from kmc import runfile
    from kmc.config import load_config
    from kmc.simulation import Simulation
    sim = Simulation(load_config(limg_params, [f'lattice.orientation="{orientation}"', "lattice.cells=[4,4,5]"]))
    lat = sim.lattice
    monkeypatch.setattr(runfile.writers, "STATIC_BLOCK_SITES", 3 * lat.sites_per_layer)
    assert lat.n_layers % 3 != 0
    writer = runfile.KmcWriter(tmp_path / "t.h5", sim)
    writer.suspend()   # the lattice tables are written on creation; keep the file as it is
    with h5py.File(writer.tmp_path, "r") as f:
        metal = f["particles/metal"]
        np.testing.assert_array_equal(metal["neighbors"][()], lat.neighbors)
        np.testing.assert_array_equal(metal["position"][()], lat.positions_A)
        np.testing.assert_array_equal(metal["layer"][()], lat.layer)


def _with_observable_added(monkeypatch, name="void_pressure"):
    """The registry of kmc.observables with one more observable, as a later version would have it."""
    from kmc import observables
    new = observables.Observable(name, "MPa", "a quantity added after the file was written", lambda sim: 1.5)
    monkeypatch.setattr(observables, "OBSERVABLES", observables.OBSERVABLES + (new,))
    monkeypatch.setattr(observables, "BY_NAME", {**observables.BY_NAME, name: new})
    monkeypatch.setattr(observables, "ALWAYS_RECORDED", observables.ALWAYS_RECORDED + (name,))
    monkeypatch.setattr(observables, "UNITS", {**observables.UNITS, name: "MPa"})


def test_a_file_written_before_an_observable_was_added_still_reads(limg_file, tmp_path, monkeypatch):
    """Written with today's registry, read with one more observable: info names it absent,
    kmc.load fills it with NaN and says so in its attrs, analyze and export work; before the engine's restructure
    every reader stopped with "no dataset /observables/<new>/step"."""
    pytest.importorskip("xarray")
    old = tmp_path / "old.h5"
    old.write_bytes(limg_file.read_bytes())
    _with_observable_added(monkeypatch)
    r = CliRunner().invoke(main, ["info", str(old)])
    assert r.exit_code == 0, r.output
    absent = [line for line in r.output.splitlines() if line.startswith("absent")]
    assert len(absent) == 1 and "void_pressure" in absent[0]
    ds = kmc.load(old)
    assert ds.attrs["absent_observables"] == "void_pressure" and ds.attrs["absent_counters"] == ""
    assert ds["void_pressure"].dims == ("sample",) and np.isnan(ds["void_pressure"]).all()
    assert ds["void_pressure"].attrs["unit"] == "MPa"
    assert ds.sizes["sample"] == ds["contact_fraction"].size > 0 and not np.isnan(ds["contact_fraction"]).any()
    d = kmc.load(old, as_xarray=False)
    assert np.isnan(d["void_pressure"]).all() and d["attrs"]["absent_observables"] == "void_pressure"
    assert CliRunner().invoke(main, ["analyze", str(old)]).exit_code == 0
    assert "analysis_interface_void_count" in kmc.load(old)
    r = CliRunner().invoke(main, ["export", str(old), "--format", "xyz", "-o", str(tmp_path / "x.xyz")])
    assert r.exit_code == 0, r.output


def test_a_file_with_a_newer_observable_reads_with_todays_registry(tmp_path, limg_params, monkeypatch):
    """The other way round: a file written by a registry with one more observable reads with
    today's, the extra observable included, nothing reported absent."""
    pytest.importorskip("xarray")
    newer = tmp_path / "newer.h5"
    with monkeypatch.context() as m:
        _with_observable_added(m)
        run_cli(limg_params, newer)
    with h5py.File(newer, "r") as f:
        assert f["observables/void_pressure/value"][()].tolist() == [1.5] * f["observables/void_pressure/value"].size
    ds = kmc.load(newer)
    assert (ds["void_pressure"] == 1.5).all() and ds.attrs["absent_observables"] == ""
    assert "absent" not in CliRunner().invoke(main, ["info", str(newer)]).output


def test_a_file_written_before_an_event_class_was_added_still_reads(limg_file, tmp_path, monkeypatch):
    """A counter added later (count_<class> in /run, a column of event_counts): info says
    absent, kmc.load gives NaN in that column and names it; the other columns keep their counts."""
    pytest.importorskip("xarray")
    from kmc.engine import state
    old = tmp_path / "old.h5"
    old.write_bytes(limg_file.read_bytes())
    before = kmc.load(old)
    monkeypatch.setattr(state, "EVENT_CLASSES", state.EVENT_CLASSES + ("nucleate",))
    r = CliRunner().invoke(main, ["info", str(old)])
    assert r.exit_code == 0, r.output
    assert "nucleate absent" in r.output and f"strip {int(before.attrs['run.count_strip'])}" in r.output
    ds = kmc.load(old)
    assert ds.attrs["absent_counters"] == "nucleate"
    assert list(ds["event_class"].values) == list(state.EVENT_CLASSES)
    assert np.isnan(ds["event_counts"].sel(event_class="nucleate")).all()
    assert (ds["event_counts"].sel(event_class="strip") == before["event_counts"].sel(event_class="strip")).all()


def test_a_run_file_without_its_core_observables_is_refused(limg_file, tmp_path):
    """Not every observable may go: without the sample clock and charge axis (contact_fraction,
    stripped_charge, stripped_monolayers) the file is not a run file; an observable present with
    the wrong length is an inconsistent one."""
    from kmc.runfile import CORE_OBSERVABLES, RunFileError, check_run_file
    for name in CORE_OBSERVABLES:
        bad = tmp_path / f"no_{name}.h5"
        bad.write_bytes(limg_file.read_bytes())
        with h5py.File(bad, "r+") as f:
            del f[f"observables/{name}"]
        with pytest.raises(RunFileError, match=f"is not a kmc run file \\(no dataset /observables/{name}/"):
            check_run_file(bad)
        r = CliRunner().invoke(main, ["info", str(bad)])
        assert r.exit_code == 2 and "not a kmc run file" in r.stderr
    short = tmp_path / "short.h5"
    short.write_bytes(limg_file.read_bytes())
    with h5py.File(short, "r+") as f:
        f["observables/overpotential/value"].resize((3,))
    with pytest.raises(RunFileError, match="/observables/overpotential/value has shape"):
        check_run_file(short)
