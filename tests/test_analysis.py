"""Void analysis: detection, measurement, tracking, contact, solute profile, overpotential, /analysis I/O, CLI.

Hand-built occupancies are written over the frames of a real tiny run (so the file layout is the
writer's).  Sites are addressed as (u, v, layer) with x = u a/2, y = v a/2, depth = layer a/2 on a
[001] slab of 6 x 6 x 4 cells: L1 sites have odd u and v, layer l sites have u = v = l + 1 (mod 2),
and first neighbours differ by +-1 in u, v and layer (u and v periodic modulo 12).

The measurement and tracking tests use voids a few sites wide and so pass ``min_void_nm=0`` (every
vacancy cluster a void); the minimum width has its own tests.
"""
import hashlib
import json
import math
import shutil
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from kmc.analysis import (DEFAULT_MIN_VOID_nm, FORMAT_VERSION, AnalysisInputError, analyze_file,
                          compute_analysis, load_analysis)
from kmc.cli.analyze import analyze
from kmc.physics.electrochemistry import overpotential_mV
from kmc.config import load_config
from kmc.runfile import KmcWriter
from kmc.simulation import Simulation
from regimes import PERFECT_INTERFACE

A = 3.51                       # lattice constant, A
HALF = A / 2                   # layer spacing and column pitch of the [001] slab, A
CELLS = (6, 6, 4)
L1_SITES = CELLS[0] * CELLS[1]
BOX_X = CELLS[0] * A
ATOMIC_VOLUME_NM3 = A ** 3 / 2 * 1e-3
R, FARADAY = 8.314462618, 96485.33212
PARAMS = Path(__file__).resolve().parent.parent / "params"


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    """A tiny real run with 7 frames, each at a step where the observables were sampled; the perfect
    interface (every L1 site contact), which the hand-built frames below assume."""
    sim = Simulation(load_config(PARAMS / "li_li2s.toml", [
        f"lattice.cells={list(CELLS)}", "run.acceleration=1e8", "run.stop_stripped_mAh_cm2=0",
        "run.max_events=600", "output.frame_every_events=100", "output.frame_every_mAh_cm2=0",
        "output.series_every_events=100", "output.series_every_mAh_cm2=0", PERFECT_INTERFACE]))
    path = tmp_path_factory.mktemp("analysis") / "base.h5"
    sim.run(KmcWriter(path, sim), progress=False)
    return path


@pytest.fixture(scope="module")
def site_of(base_run):
    """(u, v, layer) -> site index, from the run file's positions."""
    with h5py.File(base_run, "r") as f:
        pos = f["particles/metal/position"][()]
    keys = np.round(pos / HALF).astype(int)
    table = {tuple(k): s for s, k in enumerate(keys)}
    return lambda u, v, layer: table[(u % 12, v % 12, layer)]


@pytest.fixture
def write_frames(base_run, tmp_path):
    """Copy the base run and replace its frames by hand-built occupancies."""
    def write(frames, name="hand.h5"):
        path = tmp_path / name
        shutil.copy(base_run, path)
        with h5py.File(path, "r+") as f:
            sp = f["particles/metal/species"]
            n = len(frames)
            for k in ("step", "time", "value"):
                sp[k].resize(n, axis=0)
            sp["step"][:] = f["observables/stripped_charge/step"][:n]
            sp["time"][:] = f["observables/stripped_charge/time"][:n]
            sp["value"][:] = np.array(frames)
        return path
    return write


@pytest.fixture
def occupancy(site_of, base_run):
    """All-Li occupancy with vacancies at the given (u, v, layer) sites."""
    with h5py.File(base_run, "r") as f:
        n_sites = f["particles/metal/position"].shape[0]

    def build(vacant=(), mg=()):
        occ = np.ones(n_sites, np.int8)
        occ[[site_of(*s) for s in mg]] = 2
        occ[[site_of(*s) for s in vacant]] = 0
        return occ
    return build


def voids_of(result, frame):
    v = result["voids"]
    keep = v["frame"] == frame
    return {k: col[keep] for k, col in v.items()}


def events_of(result):
    e = result["events"]
    return [(int(e["frame"][i]), e["kind"][i], e["parents"][i], e["children"][i], e["parent_sites"][i],
             e["child_sites"][i]) for i in range(e["frame"].size)]


# A symmetric interface void: two L1 sites, the two L2 sites joining them, two L3 sites below.
INTERFACE_VOID = [(1, 1, 0), (3, 1, 0), (2, 0, 1), (2, 2, 1), (1, 1, 2), (3, 1, 2)]
# A buried void in layers 4-6.
BURIED_VOID = [(3, 3, 4), (2, 2, 5), (4, 4, 5), (3, 3, 6)]


def test_single_interface_void_measures(write_frames, occupancy):
    result = compute_analysis(write_frames([occupancy(INTERFACE_VOID)]), min_void_nm=0)
    v = voids_of(result, 0)
    assert v["sites"].tolist() == [6] and v["interface"].tolist() == [1]
    assert v["volume_nm3"][0] == pytest.approx(6 * ATOMIC_VOLUME_NM3)
    assert v["footprint_sites"][0] == 2
    assert v["footprint_area_nm2"][0] == pytest.approx(2 * A * A / 100)      # one L1 site per a^2
    # u and v both span 3 columns of pitch a/2; the deepest site is in layer 2 -> 3 layers deep
    assert v["width_nm"][0] == pytest.approx(3 * HALF / 10)
    assert v["height_nm"][0] == pytest.approx(3 * HALF / 10)
    assert v["equivalent_diameter_nm"][0] == pytest.approx(2 * math.sqrt(2 * A * A / 100 / math.pi))
    assert v["centroid_x_A"][0] == pytest.approx(2 * HALF)
    assert v["centroid_y_A"][0] == pytest.approx(1 * HALF)
    assert v["centroid_z_A"][0] == pytest.approx((2 * 1 + 2 * 2) * HALF / 6)
    fr = result["frames"]
    assert fr["contact_fraction"][0] == (L1_SITES - 2) / L1_SITES
    assert fr["interface_void_count"][0] == 1 and fr["buried_void_count"][0] == 0
    assert fr["interface_voids_per_um2"][0] == pytest.approx(1 / (BOX_X * BOX_X * 1e-8))
    # one run of vacant L1 sites (u = 1, 3 on the row v = 1) over 6 rows of length 6a
    assert fr["interface_voids_per_um_section"][0] == pytest.approx(1 / (6 * BOX_X * 1e-4))
    assert fr["max_void_width_nm"][0] == pytest.approx(3 * HALF / 10)
    assert fr["void_height_median_nm"][0] == pytest.approx(3 * HALF / 10)


def test_void_across_periodic_x_boundary_is_one_void(write_frames, occupancy):
    # piece at the right edge (u = 9..11) and piece at the left edge (u = 0..2), joined only by
    # the bond L1 (11, 1) - L2 (12 = 0, 0) across x = box length
    right = [(9, 1, 0), (10, 0, 1), (11, 1, 0)]
    left = [(0, 0, 1), (1, 1, 0), (2, 0, 1)]
    result = compute_analysis(write_frames([occupancy(right + left)]), min_void_nm=0)
    v = voids_of(result, 0)
    assert v["sites"].tolist() == [6]
    assert v["footprint_sites"][0] == 3
    assert v["width_nm"][0] == pytest.approx(6 * HALF / 10)       # u = 9 .. 14, not the box width
    assert v["centroid_x_A"][0] == pytest.approx(11.5 * HALF)    # across the boundary, not mid-box
    assert v["height_nm"][0] == pytest.approx(2 * HALF / 10)
    # L1 row v = 1 has vacant u = 9, 11, 1: one run around the periodic boundary
    assert result["frames"]["interface_voids_per_um_section"][0] == pytest.approx(1 / (6 * BOX_X * 1e-4))


def test_buried_void(write_frames, occupancy):
    result = compute_analysis(write_frames([occupancy(BURIED_VOID)]), min_void_nm=0)
    v = voids_of(result, 0)
    assert v["sites"].tolist() == [4] and v["interface"].tolist() == [0] and v["footprint_sites"][0] == 0
    assert v["height_nm"][0] == pytest.approx(3 * HALF / 10)     # layers 4..6
    assert v["width_nm"][0] == pytest.approx(3 * HALF / 10)
    # projected on 3 columns of area a^2 / 2
    assert v["equivalent_diameter_nm"][0] == pytest.approx(2 * math.sqrt(1.5 * A * A / 100 / math.pi))
    assert v["centroid_z_A"][0] == pytest.approx(5 * HALF)
    fr = result["frames"]
    assert fr["interface_void_count"][0] == 0 and fr["buried_void_count"][0] == 1
    assert fr["contact_fraction"][0] == 1.0
    assert math.isnan(fr["max_void_width_nm"][0]) and math.isnan(fr["void_height_q1_nm"][0])


BIG = [(1, 1, 0), (0, 2, 1), (2, 2, 1)]          # 3 sites, lower site indices -> track id 0
SMALL = [(5, 1, 0), (6, 2, 1)]                   # 2 sites -> track id 1
BRIDGE = [(3, 1, 0), (4, 2, 1)]                  # joins them


def test_coalescence(write_frames, occupancy):
    result = compute_analysis(write_frames([occupancy(BIG + SMALL), occupancy(BIG + SMALL + BRIDGE)]), min_void_nm=0)
    assert voids_of(result, 0)["track_id"].tolist() == [0, 1]
    assert voids_of(result, 1)["track_id"].tolist() == [0]      # the largest parent's id
    assert events_of(result) == [(1, "coalescence", "0,1", "0", "3,2", "7")]
    assert result["frames"]["n_coalescence"].tolist() == [0, 1]


def test_split(write_frames, occupancy):
    result = compute_analysis(write_frames([occupancy(BIG + SMALL + BRIDGE), occupancy(BIG + SMALL)]), min_void_nm=0)
    assert events_of(result) == [(1, "split", "0", "0,1", "7", "3,2")]
    assert voids_of(result, 1)["track_id"].tolist() == [0, 1]  # the largest child keeps the id
    assert result["frames"]["n_split"].tolist() == [0, 1]


def test_collapse_and_dissolution(write_frames, occupancy):
    result = compute_analysis(write_frames([occupancy(INTERFACE_VOID + BURIED_VOID), occupancy()]), min_void_nm=0)
    assert sorted(events_of(result)) == [(1, "collapse", "0", "", "6", ""),
                                         (1, "dissolution", "1", "", "4", "")]
    fr = result["frames"]
    assert fr["contact_fraction"].tolist() == [(L1_SITES - 2) / L1_SITES, 1.0]
    assert fr["n_collapse"].tolist() == [0, 1] and fr["n_dissolution"].tolist() == [0, 1]


def test_nucleation_growth_and_neighbour_linking(write_frames, occupancy):
    mono = (2, 2, 3)
    moved = (3, 3, 4)               # a first neighbour of ``mono``: linked, same id, no event
    far = (8, 8, 7)                 # appears far away in frame 1: nucleation
    jump = (8, 8, 5)                # ``far`` jumps two layers in frame 3: dissolution + nucleation
    frames = [occupancy([mono]), occupancy([moved, far]), occupancy([moved, (2, 2, 5), far]),
              occupancy([moved, (2, 2, 5), jump])]
    result = compute_analysis(write_frames(frames), min_void_nm=0)
    assert voids_of(result, 0)["track_id"].tolist() == [0]
    assert voids_of(result, 1)["track_id"].tolist() == [0, 1]
    assert voids_of(result, 2)["sites"].tolist() == [2, 1]
    assert events_of(result) == [(1, "nucleation", "", "1", "", "1"),
                                 (2, "growth", "0", "0", "1", "2"),
                                 (3, "nucleation", "", "2", "", "1"),
                                 (3, "dissolution", "1", "", "1", "")]
    fr = result["frames"]
    assert fr["n_nucleation"].tolist() == [0, 1, 1, 2] and fr["n_growth"].tolist() == [0, 0, 1, 1]


def test_shrinkage(write_frames, occupancy):
    result = compute_analysis(write_frames([occupancy(INTERFACE_VOID), occupancy(INTERFACE_VOID[:4])]), min_void_nm=0)
    assert events_of(result) == [(1, "shrinkage", "0", "0", "6", "4")]


def test_solute_profile_and_contact(write_frames, occupancy):
    l1_mg = [(1, 1, 0), (3, 3, 0), (5, 5, 0)]
    l1_vacant = [(u, 11, 0) for u in (1, 3, 5, 7, 9, 11)]               # one full row
    layer2_mg = [(u, v, 2) for u in (1, 3, 5) for v in (1, 3, 5)]        # 9 of 36
    layer3_vacant = [(u, v, 3) for u in range(0, 12, 2) for v in range(0, 12, 2)]
    result = compute_analysis(write_frames([occupancy(l1_vacant + layer3_vacant, l1_mg + layer2_mg)]))
    mg = result["solute_profile"][0]
    assert mg[0] == pytest.approx(3 / 30) and mg[2] == pytest.approx(9 / 36)
    assert mg[1] == 0 and math.isnan(mg[3]) and np.all(mg[4:] == 0)
    fr = result["frames"]
    assert fr["interface_solute_fraction"][0] == pytest.approx(3 / 30)
    # 30 of 36 L1 sites hold metal, but the all-vacant layer 3 cuts them off the electrode: no
    # electrical contact (contact is a metal path to the electrode)
    assert fr["contact_fraction"][0] == 0
    # the vacant row is one void (L1 vacancies join in-plane), one run of the section; the vacant
    # layer 3 is 36 buried monovacancies, isolated vacancies rather than voids
    assert fr["interface_voids_per_um_section"][0] == pytest.approx(1 / (6 * BOX_X * 1e-4))
    assert fr["interface_void_count"][0] == 1 and fr["buried_void_count"][0] == 0
    assert fr["isolated_vacancy_count"][0] == 36 and fr["isolated_l1_vacancy_count"][0] == 0


def test_overpotential_formula():
    thermal_mV = 2 * R * 298.0 / FARADAY * 1e3                    # 51.35 mV
    assert overpotential_mV(0.5, 0.25, 1.0, 298.0) == pytest.approx(thermal_mV * math.asinh(1.0))
    assert overpotential_mV(0.5, 0.25, 1.0, 298.0) == pytest.approx(45.26, abs=0.01)
    assert overpotential_mV(0.5, 1.0, 2.0, 298.0) == pytest.approx(thermal_mV * math.asinh(0.125))
    assert overpotential_mV(0.5, 0.0, 1.0, 298.0) == math.inf


def test_overpotential_from_contact(write_frames, occupancy):
    # 27 of 36 L1 sites vacant -> contact 1/4; the li_li2s run has 0.5 mA/cm2 at 298 K
    vacant_l1 = [(u, v, 0) for u in (1, 3, 5, 7, 9, 11) for v in (1, 3, 5, 7, 9, 11)][:27]
    all_l1 = [(u, v, 0) for u in (1, 3, 5, 7, 9, 11) for v in (1, 3, 5, 7, 9, 11)]
    path = write_frames([occupancy(vacant_l1), occupancy(all_l1)])
    result = compute_analysis(path, exchange_current_mA_cm2=2.0)
    fr = result["frames"]
    assert fr["contact_fraction"].tolist() == [0.25, 0.0]
    thermal_mV = 2 * R * 298.0 / FARADAY * 1e3
    assert fr["overpotential_mV"][0] == pytest.approx(thermal_mV * math.asinh(0.5 / (2 * 2.0 * 0.25)))
    assert fr["overpotential_mV"][1] == math.inf
    r = CliRunner().invoke(analyze, [str(path), "--exchange-current", "2", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows[0]["overpotential_mV"] == pytest.approx(fr["overpotential_mV"][0])
    assert rows[1]["overpotential_mV"] is None                  # infinite -> null
    with h5py.File(path, "r") as f:
        assert f["analysis"].attrs["exchange_current_mA_cm2"] == 2.0


def test_observables_at_frame_steps_and_nan_when_not_sampled(write_frames, occupancy):
    path = write_frames([occupancy(), occupancy(), occupancy()])
    with h5py.File(path, "r+") as f:
        charge = f["observables/stripped_charge/value"][:3]
        f["particles/metal/species/step"][2] += 1      # no sample at this step
    fr = compute_analysis(path)["frames"]
    assert fr["stripped_charge_mAh_cm2"][:2].tolist() == charge[:2].tolist()
    assert math.isnan(fr["stripped_charge_mAh_cm2"][2]) and math.isnan(fr["stripped_monolayers"][2])


def _datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f["analysis"].visititems(lambda name, obj: out.__setitem__(name, obj[()])
                                 if isinstance(obj, h5py.Dataset) else None)
        attrs = dict(f["analysis"].attrs)
    return out, attrs


def test_analyze_writes_schema_and_is_idempotent(write_frames, occupancy):
    path = write_frames([occupancy(BIG + SMALL), occupancy(BIG + SMALL + BRIDGE), occupancy(BURIED_VOID)])
    summary = analyze_file(path, min_void_nm=0)
    first, attrs = _datasets(path)
    analyze_file(path, min_void_nm=0)
    second, attrs2 = _datasets(path)
    assert first.keys() == second.keys()
    for k in first:
        np.testing.assert_array_equal(first[k], second[k])
    assert len(first["voids/frame"]) == 2 + 1 + 1 and len(first["events/frame"]) == 3
    assert set(attrs) >= {"exchange_current_mA_cm2", "code_version", "overpotential_model", "tracking_rule",
                          "void_definition", "section_rule", "min_void_nm", "format_version"}
    assert attrs["format_version"] == FORMAT_VERSION == 3 and attrs["min_void_nm"] == 0
    assert "pore" in attrs["pore_rule"]
    with h5py.File(path, "r") as f:
        g = f["analysis"]
        assert list(g["frames"]) == list(summary.columns)
        assert {"frame", "step", "time_s", "stripped_charge_mAh_cm2", "contact_fraction", "interface_solute_fraction",
                "overpotential_mV", "n_coalescence", "n_dissolution"} <= set(g["frames"])
        assert all("unit" in ds.attrs for ds in g["frames"].values())
        assert set(g["voids"]) == {"frame", "track_id", "sites", "volume_nm3", "footprint_sites",
                                   "footprint_area_nm2", "width_nm", "equivalent_diameter_nm", "height_nm",
                                   "centroid_x_A", "centroid_y_A", "centroid_z_A", "interface"}
        assert g["voids/interface"].dtype == np.int8
        assert set(g["events"]) == {"frame", "kind", "parents", "children", "parent_sites", "child_sites"}
        assert g["solute_profile"].shape == (3, 8) and list(g["solute_profile"].attrs["dims"]) == [b"frame", b"layer"]
    loaded = load_analysis(path)
    assert loaded["events"]["kind"].tolist() == ["coalescence", "nucleation", "collapse"]
    assert loaded["events"]["parents"].tolist() == ["0,1", "", "0"]
    assert loaded["frames"]["buried_void_count"].tolist() == [0, 0, 1]
    assert loaded["voids"].shape[0] == 4 and loaded["solute_profile"].shape == (3, 8)


def test_load_analysis_without_pandas(write_frames, occupancy, monkeypatch):
    path = write_frames([occupancy(INTERFACE_VOID)])
    analyze_file(path, min_void_nm=0)
    monkeypatch.setitem(sys.modules, "pandas", None)
    loaded = load_analysis(path)
    assert isinstance(loaded["frames"], dict) and loaded["frames"]["interface_void_count"].tolist() == [1]
    assert loaded["events"]["kind"].size == 0


def test_cli_json_and_table(write_frames, occupancy):
    path = write_frames([occupancy(BIG + SMALL), occupancy(BIG + SMALL + BRIDGE)])
    r = CliRunner().invoke(analyze, [str(path), "--json", "--min-void-nm", "0"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert len(rows) == 2
    keys = {"stripped_charge_mAh_cm2", "contact_fraction", "interface_void_count", "buried_void_count",
            "max_void_width_nm", "max_void_height_nm", "interface_solute_fraction", "n_nucleation", "n_growth",
            "n_shrinkage", "n_coalescence", "n_split", "n_collapse", "n_dissolution"}
    assert keys <= set(rows[0])
    assert rows[1]["n_coalescence"] == 1 and rows[0]["contact_fraction"] == 34 / 36
    assert rows[0]["interface_solute_fraction"] == 0.0
    r = CliRunner().invoke(analyze, [str(path), "--min-void-nm", "0"])
    assert r.exit_code == 0 and "coalescence 1" in r.stdout and len(r.stdout.splitlines()) == 2 + 2 + 1


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cli_bad_inputs(tmp_path, base_run):
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = 1
    empty = tmp_path / "empty.h5"
    shutil.copy(base_run, empty)
    with h5py.File(empty, "r+") as f:
        for k in ("step", "time", "value"):
            f["particles/metal/species"][k].resize(0, axis=0)
    cases = [([str(tmp_path / "missing.h5")], "does not exist"), ([str(text)], "not an HDF5 file"),
             ([str(foreign)], "not a kmc run file"), ([str(empty)], "has no frames"),
             ([str(base_run), "--exchange-current", "0"], "exchange current"),
             ([str(base_run), "--min-void-nm", "-1"], "minimum void width"),
             ([str(base_run), "--min-void-nm", "nan"], "minimum void width")]
    for args, message in cases:
        before = _digest(Path(args[0])) if Path(args[0]).exists() else None
        r = CliRunner().invoke(analyze, args)
        assert r.exit_code == 2, (args, r.output)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], r.stderr
        assert "allowed" in lines[0] and "Traceback" not in r.output
        if before is not None:
            assert _digest(Path(args[0])) == before


@pytest.mark.parametrize("params", ["li_li2s", "limg_li2s"])
def test_real_run_contact_matches_observables(params, tmp_path):
    settings = load_config(PARAMS / f"{params}.toml", [
        "lattice.cells=[8,8,4]", "run.acceleration=1e8", "run.stop_stripped_mAh_cm2=5e-5",
        "output.frame_every_mAh_cm2=1e-5", "output.series_every_mAh_cm2=5e-6"])  # 1e-4's frames and samples
    sim = Simulation(settings)
    path = tmp_path / "real.h5"
    sim.run(KmcWriter(path, sim), progress=False)
    fr = analyze_file(path)
    with h5py.File(path, "r") as f:
        frame_step = f["particles/metal/species/step"][()]
        obs_step = f["observables/contact_fraction/step"][()]
        at = np.searchsorted(obs_step, frame_step)
        assert np.array_equal(obs_step[at], frame_step)        # every frame was sampled
        solute = "interface_solute_fraction" if "interface_solute_fraction" in f["observables"] \
            else "interface_mg_fraction"                               # files written before species were data
        obs = {k: f[f"observables/{k}/value"][()][at] for k in
               ("contact_fraction", solute, "stripped_charge", "vacancy_count")}
        sites_per_frame = np.bincount(f["analysis/voids/frame"][()], weights=f["analysis/voids/sites"][()],
                                      minlength=frame_step.size)
    assert len(fr) >= 5 and fr["contact_fraction"].iloc[-1] < 1
    np.testing.assert_array_equal(fr["contact_fraction"].to_numpy(), obs["contact_fraction"])
    np.testing.assert_array_equal(fr["stripped_charge_mAh_cm2"].to_numpy(), obs["stripped_charge"])
    np.testing.assert_allclose(fr["interface_solute_fraction"].to_numpy(), obs[solute], equal_nan=True)
    # every vacancy is in one void, counted as isolated, or in the pore's void (PORE_RULE: apart from both);
    # the shipped scaled trajectory puts 1-2 of this box's vacancies at the pore's mouth by its end
    np.testing.assert_array_equal(sites_per_frame + fr["isolated_vacancy_count"].to_numpy()
                                  + fr["pore_void_vacancies"].to_numpy(), obs["vacancy_count"])


def test_periodic_bulk_box_has_no_interface(tmp_path):
    sim = Simulation(load_config(PARAMS / "li_li2s.toml", [
        f"lattice.cells={list(CELLS)}", "lattice.geometry=bulk", "run.max_events=100",
        "run.stop_stripped_mAh_cm2=0", "output.frame_every_mAh_cm2=0", "output.series_every_mAh_cm2=0"]))
    path = tmp_path / "bulk.h5"
    sim.run(KmcWriter(path, sim), progress=False)
    with h5py.File(path, "r+") as f:
        keys = np.round(f["particles/metal/position"][()] / HALF).astype(int)
        occ = np.ones(len(keys), np.int8)
        # layer 0 and the last layer (7) are first neighbours across the periodic z boundary
        for u, v, layer in [(1, 1, 0), (2, 2, 7)]:
            occ[np.flatnonzero((keys == (u, v, layer)).all(axis=1))] = 0
        sp = f["particles/metal/species"]
        for k in ("step", "time", "value"):
            sp[k].resize(1, axis=0)
        sp["value"][0] = occ
    result = compute_analysis(path, min_void_nm=0)
    v = voids_of(result, 0)
    assert v["sites"].tolist() == [2] and v["interface"].tolist() == [0] and v["footprint_sites"][0] == 0
    assert v["height_nm"][0] == pytest.approx(2 * HALF / 10)        # across z, not the box height
    fr = result["frames"]
    assert math.isnan(fr["contact_fraction"][0]) and math.isnan(fr["overpotential_mV"][0])
    assert fr["buried_void_count"][0] == 1 and fr["interface_void_count"][0] == 0


# ------------------------------------------------------------------ voids as a section counts them
def _per_um_section(runs):
    return runs / (6 * BOX_X * 1e-4)                 # 6 L1 rows of length 6a


def test_flat_one_layer_gap_is_one_void(write_frames, occupancy):
    # a 4 x 4 patch of vacant L1 sites with metal below: no first-neighbour bond joins them, the
    # in-plane rule does; 7 columns of a/2 = 1.23 nm wide, one layer high
    patch = [(u, v, 0) for u in (1, 3, 5, 7) for v in (1, 3, 5, 7)]
    result = compute_analysis(write_frames([occupancy(patch)]))
    v = voids_of(result, 0)
    assert v["sites"].tolist() == [16] and v["footprint_sites"].tolist() == [16] and v["interface"].tolist() == [1]
    assert v["width_nm"][0] == pytest.approx(7 * HALF / 10) and v["height_nm"][0] == pytest.approx(HALF / 10)
    fr = result["frames"]
    assert fr["interface_void_count"][0] == 1 and fr["isolated_vacancy_count"][0] == 0
    assert fr["interface_voids_per_um_section"][0] == pytest.approx(_per_um_section(4))   # rows v = 1, 3, 5, 7


def test_single_vacancy_is_not_a_void(write_frames, occupancy):
    result = compute_analysis(write_frames([occupancy([(5, 5, 0), (2, 2, 5)])]))
    assert result["voids"]["frame"].size == 0
    fr = result["frames"]
    assert fr["interface_void_count"][0] == 0 and fr["buried_void_count"][0] == 0
    assert fr["isolated_vacancy_count"][0] == 2 and fr["isolated_l1_vacancy_count"][0] == 1
    assert fr["contact_fraction"][0] == 35 / 36          # lost contact all the same
    assert fr["interface_voids_per_um_section"][0] == 0 and math.isnan(fr["max_void_width_nm"][0])


# Row v = 5: vacant L1 at u = 1, 3 and 7, 9 around a solute atom at u = 5 that is undercut: the L2
# sites (4, 4) and (6, 4) below its neighbours and the L3 site (5, 5) below it join the two patches.
UNDERCUT_SOLUTE = (5, 5, 0)
PATCHES = [(1, 5, 0), (3, 5, 0), (7, 5, 0), (9, 5, 0)]
UNDER = [(4, 4, 1), (6, 4, 1), (5, 5, 2)]


def test_void_under_a_solute_atom_is_not_split(write_frames, occupancy):
    result = compute_analysis(write_frames([occupancy(PATCHES + UNDER, [UNDERCUT_SOLUTE])]))
    v = voids_of(result, 0)
    assert v["sites"].tolist() == [7] and v["footprint_sites"].tolist() == [4]
    assert v["width_nm"][0] == pytest.approx(9 * HALF / 10)        # u = 1 .. 9
    fr = result["frames"]
    assert fr["interface_void_count"][0] == 1
    assert fr["interface_voids_per_um_section"][0] == pytest.approx(_per_um_section(1))  # one run, not two
    assert fr["contact_fraction"][0] == 32 / 36 and fr["interface_solute_fraction"][0] == pytest.approx(1 / 32)


def test_atom_that_is_not_undercut_separates_two_voids(write_frames, occupancy):
    # the same two patches without the void below the atom: two voids (with the minimum off, as
    # each patch is only 0.53 nm wide), and the section meets two
    result = compute_analysis(write_frames([occupancy(PATCHES, [UNDERCUT_SOLUTE])]), min_void_nm=0)
    fr = result["frames"]
    assert fr["interface_void_count"][0] == 2
    assert fr["interface_voids_per_um_section"][0] == pytest.approx(_per_um_section(2))
    # an atom undercut by another void than the one on both sides of it does not bridge either
    other = [(4, 4, 1), (5, 5, 2)]      # under the atom, joined to the left patch only
    result = compute_analysis(write_frames([occupancy(PATCHES + other, [UNDERCUT_SOLUTE])]), min_void_nm=0)
    assert result["frames"]["interface_voids_per_um_section"][0] == pytest.approx(_per_um_section(2))


def test_minimum_void_width(write_frames, occupancy):
    row = [(1, 1, 0), (3, 1, 0), (5, 1, 0)]          # 5 columns of a/2 = 0.8775 nm wide
    path = write_frames([occupancy(row)])
    wide_enough = compute_analysis(path, min_void_nm=0.87)["frames"]
    too_narrow = compute_analysis(path, min_void_nm=0.88)["frames"]
    assert wide_enough["interface_void_count"][0] == 1 and wide_enough["isolated_vacancy_count"][0] == 0
    assert too_narrow["interface_void_count"][0] == 0
    assert too_narrow["isolated_vacancy_count"][0] == 3 and too_narrow["isolated_l1_vacancy_count"][0] == 3
    assert DEFAULT_MIN_VOID_nm == 1.0
    r = CliRunner().invoke(analyze, [str(path), "--min-void-nm", "0.5", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)[0]["interface_void_count"] == 1
    with h5py.File(path, "r") as f:
        assert f["analysis"].attrs["min_void_nm"] == 0.5


def test_void_shrinking_below_the_minimum_collapses(write_frames, occupancy):
    wide = [(1, 1, 0), (3, 1, 0), (5, 1, 0), (7, 1, 0)]     # 1.23 nm
    result = compute_analysis(write_frames([occupancy(wide), occupancy(wide[:2])]))
    assert events_of(result) == [(1, "collapse", "0", "", "4", "")]
    assert result["frames"]["isolated_l1_vacancy_count"].tolist() == [0, 2]


def test_old_analysis_format_asks_for_a_rerun(write_frames, occupancy):
    path = write_frames([occupancy(INTERFACE_VOID)])
    analyze_file(path)
    with h5py.File(path, "r+") as f:
        del f["analysis"].attrs["format_version"]            # as written before format 2
    with pytest.raises(AnalysisInputError, match="re-run `kmc analyze"):
        load_analysis(path)
    with h5py.File(path, "r+") as f:
        del f["analysis"]
    with pytest.raises(AnalysisInputError, match="kmc analyze"):
        load_analysis(path)


def test_exchange_current_from_the_run_file(write_frames, occupancy):
    path = write_frames([occupancy([(u, v, 0) for u in (1, 3, 5) for v in (1, 3, 5, 7, 9, 11)])])  # contact 1/2
    thermal_mV = 2 * R * 298.0 / FARADAY * 1e3
    assert compute_analysis(path)["exchange_current_source"] == "run file"   # every run records it
    with h5py.File(path, "r+") as f:
        del f["parameters"].attrs["conditions.exchange_current_mA_cm2"]      # as in a file from before
    default = compute_analysis(path)
    assert default["exchange_current_source"] == "default"
    assert default["frames"]["overpotential_mV"][0] == pytest.approx(thermal_mV * math.asinh(0.5 / (2 * 1.0 * 0.5)))
    with h5py.File(path, "r+") as f:
        f["parameters"].attrs["conditions.exchange_current_mA_cm2"] = 4.0
    from_file = compute_analysis(path)
    assert from_file["exchange_current_mA_cm2"] == 4.0 and from_file["exchange_current_source"] == "run file"
    assert from_file["frames"]["overpotential_mV"][0] == pytest.approx(thermal_mV * math.asinh(0.5 / (2 * 4.0 * 0.5)))
    assert compute_analysis(path, 2.0)["exchange_current_mA_cm2"] == 2.0


def test_flat_patches_joined_in_plane_coalesce(write_frames, occupancy):
    # two 1.23 nm wide one-layer patches (rows v = 1 and 5) become one when row v = 3 fills in
    # between them: a coalescence of voids that share no first-neighbour bond at all
    rows = {v: [(u, v, 0) for u in (1, 3, 5, 7)] for v in (1, 3, 5)}
    result = compute_analysis(write_frames([occupancy(rows[1] + rows[5]), occupancy(rows[1] + rows[3] + rows[5])]))
    assert voids_of(result, 0)["sites"].tolist() == [4, 4] and voids_of(result, 1)["sites"].tolist() == [12]
    assert events_of(result) == [(1, "coalescence", "0,1", "0", "4,4", "12")]


# ------------------------------------------------------------------ the pore's mouth is no void
@pytest.fixture(scope="module")
def pore_run(tmp_path_factory):
    """The tiny run of base_run with the shipped pore (electrolyte.box_pore = 'stripe'): one column of
    L1 sites (17 % of six, rounded) has no electrolyte above it."""
    sim = Simulation(load_config(PARAMS / "li_li2s.toml", [
        f"lattice.cells={list(CELLS)}", "run.acceleration=1e8", "run.stop_stripped_mAh_cm2=0",
        "run.max_events=200", "output.frame_every_events=100", "output.frame_every_mAh_cm2=0",
        "output.series_every_events=100", "output.series_every_mAh_cm2=0"]))
    path = tmp_path_factory.mktemp("pore") / "pore.h5"
    sim.run(KmcWriter(path, sim), progress=False)
    open_u = sorted({int(round(x / HALF)) for x in sim.lattice.positions_of_layers(0, 1)[sim.pore.l1_open, 0]})
    return path, open_u


def test_vacancies_at_the_pore_mouth_are_the_pores_void_not_voids(pore_run, site_of, tmp_path):
    """A cluster at the mouth (a mouth site and the L2 site below it), a cluster reaching from the mouth
    under the rim (a mouth site joined in-plane to a contact site) and a void under the electrolyte away
    from the pore: only the last is a void (counted, sized, in the section); the first two are the
    pore's void, with one rim site of lost contact."""
    path, open_u = pore_run
    assert len(open_u) == 1
    u0 = open_u[0]                      # the mouth's column of L1 sites (odd u), every v
    away = (u0 + 6) % 12                # the contact column farthest from it
    mouth_only = [(u0, 1, 0), (u0 + 1, 2, 1)]
    under_rim = [(u0, 5, 0), (u0 + 2, 5, 0)]
    interface = [(away + du, 9, 0) for du in (-4, -2, 0, 2)] + [(away + 1, 10, 1)]   # 3.5 a = 1.23 nm wide
    frame = np.ones(h5py.File(path, "r")["particles/metal/position"].shape[0], np.int8)
    frame[[site_of(*s) for s in mouth_only + under_rim + interface]] = 0
    hand = tmp_path / "hand_pore.h5"
    shutil.copy(path, hand)
    with h5py.File(hand, "r+") as f:
        sp = f["particles/metal/species"]
        for k in ("step", "time", "value"):
            sp[k].resize(1, axis=0)
        sp["value"][0] = frame
    result = compute_analysis(hand)
    fr = {k: v[0] for k, v in result["frames"].items()}
    assert fr["pore_mouth_sites"] == 6 and fr["pore_void_vacancies"] == 4 and fr["pore_rim_gap_sites"] == 1
    assert fr["pore_void_depth_nm"] == pytest.approx(2 * HALF / 10)
    assert fr["interface_void_count"] == 1 and fr["buried_void_count"] == 0
    assert fr["isolated_vacancy_count"] == 0 and fr["isolated_l1_vacancy_count"] == 0
    v = voids_of(result, 0)
    assert v["sites"].tolist() == [5] and v["footprint_sites"].tolist() == [4]
    assert fr["interface_voids_per_um_section"] == pytest.approx(1 / (6 * BOX_X * 1e-4))   # row v = 9 only
    # contact: over every L1 site; the mouth's six and the four vacant sites under the electrolyte are not
    assert fr["contact_fraction"] == pytest.approx((L1_SITES - 6 - 5) / L1_SITES)
    out = CliRunner().invoke(analyze, [str(hand)])
    assert out.exit_code == 0, out.output
    assert "the pore's mouth: 6 of 36 L1 sites (16.7 %)" in out.output and "pore_vac" in out.output
