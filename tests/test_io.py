"""HDF5 layout, loading, summaries and bit-identical reruns."""
import tomllib

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

import kmc
from kmc.cli import main
from kmc.config import settings_from_dict
from kmc.electrochemistry import overpotential_mV
from kmc.io import OBSERVABLE_UNITS
from kmc.observables import ALWAYS_RECORDED

SMALL = ["--set", "lattice.cells=[6,6,4]", "--set", "run.acceleration=1e8",
         "--set", "run.stop_stripped_mAh_cm2=1e-4", "--set", "output.frame_every_mAh_cm2=2e-5",
         "--set", "output.series_every_mAh_cm2=3e-6"]  # schedules that do not line up


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
    from kmc import io
    from kmc.config import load_config
    from kmc.simulation import Simulation
    sim = Simulation(load_config(limg_params, [f'lattice.orientation="{orientation}"', "lattice.cells=[4,4,5]"]))
    lat = sim.lattice
    monkeypatch.setattr(io, "STATIC_BLOCK_SITES", 3 * lat.sites_per_layer)
    assert lat.n_layers % 3 != 0
    writer = io.H5Writer(tmp_path / "t.h5", sim)
    writer.suspend()   # the lattice tables are written on creation; keep the file as it is
    with h5py.File(writer.tmp_path, "r") as f:
        metal = f["particles/metal"]
        np.testing.assert_array_equal(metal["neighbors"][()], lat.neighbors)
        np.testing.assert_array_equal(metal["position"][()], lat.positions_A)
        np.testing.assert_array_equal(metal["layer"][()], lat.layer)
