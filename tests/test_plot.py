"""kmc plot: every kind renders a real PNG whose pixels follow the data, and bad input fails cleanly."""
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.colors import to_rgba
from matplotlib.image import imread

from kmc import plot as kplot
from kmc.analysis import FORMAT_VERSION
from kmc.cli.plot import plot as plot_command
from kmc.physics.electrochemistry import overpotential_mV
from kmc.config import load_config
from kmc.export import frame_charge
from kmc.runfile import open_run_file
from kmc.species import COLOURS
from kmc.species import HOST as LI
from kmc.species import SOLUTE as MG
from kmc.species import VACANCY
from kmc.runfile import KmcWriter
from kmc.simulation import Simulation
from lattices.bcc import build_bcc
from regimes import PERFECT_INTERFACE

PARAMS = Path(__file__).resolve().parent.parent / "params"
# six frames (as at 1e-4 every 2e-5, in half the events)
SMALL = ["lattice.cells=[8,8,4]", "run.acceleration=1e8", "run.stop_stripped_mAh_cm2=5e-5",
         "output.frame_every_mAh_cm2=1e-5",
         PERFECT_INTERFACE]   # every L1 site contact: the pixels below (the pore: tests/test_pore.py)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

FRAME_COLUMNS = ["frame", "step", "time_s", "stripped_charge_mAh_cm2", "stripped_monolayers", "contact_fraction",
                 "interface_void_count", "buried_void_count", "isolated_vacancy_count",
                 "isolated_l1_vacancy_count", "pore_mouth_sites", "pore_void_vacancies", "pore_rim_gap_sites",
                 "pore_void_depth_nm", "interface_voids_per_um2",
                 "interface_voids_per_um_section", "max_void_width_nm", "max_void_height_nm", "void_width_q1_nm",
                 "void_width_median_nm", "void_width_q3_nm", "void_height_q1_nm", "void_height_median_nm",
                 "void_height_q3_nm", "interface_solute_fraction", "overpotential_mV", "n_nucleation", "n_growth",
                 "n_shrinkage", "n_coalescence", "n_split", "n_collapse", "n_dissolution"]
VOID_COLUMNS = ["frame", "track_id", "sites", "volume_nm3", "footprint_sites", "footprint_area_nm2", "width_nm",
                "equivalent_diameter_nm", "height_nm", "centroid_x_A", "centroid_y_A", "centroid_z_A", "interface"]


def make_run(params, path, extra=()):
    sim = Simulation(load_config(params, SMALL + list(extra)))
    sim.run(KmcWriter(path, sim), progress=False)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("plot")
    return {"li": make_run(PARAMS / "li_li2s.toml", d / "li.h5"),
            "li_seed2": make_run(PARAMS / "li_li2s.toml", d / "li_s2.h5", ["run.seed=2"]),
            "limg": make_run(PARAMS / "limg_li2s.toml", d / "limg.h5")}


def frame_charges(path):
    """Stripped charge and monolayers at each frame (kmc.export.frame_charge of the run file)."""
    with open_run_file(path) as run:
        return frame_charge(run)


def copy_run(src, dst):
    shutil.copy(src, dst)
    return dst


def write_analysis(path, seed=0, width_scale=1.0):
    """An /analysis group following kmc.analysis's schema, with made-up voids, on a real run file."""
    rng = np.random.default_rng(seed)
    charge, monolayers = frame_charges(path)
    with h5py.File(path, "a") as f:
        n = f["particles/metal/species/value"].shape[0]
        rows = []  # per-void rows: frame, track, interface, width, height
        for frame in range(n):
            for track in range(frame + 1):
                rows.append((frame, track, int(track % 3 != 2), width_scale * rng.uniform(0.3, 3.0),
                             rng.uniform(0.2, 1.5)))
        rows = np.array(rows)
        frames = {c: np.zeros(n) for c in FRAME_COLUMNS}
        frames.update(frame=np.arange(n), step=f["particles/metal/species/step"][()],
                      time_s=f["particles/metal/species/time"][()], stripped_charge_mAh_cm2=charge,
                      stripped_monolayers=monolayers, overpotential_mV=np.linspace(10, 90, n),
                      pore_void_depth_nm=np.full(n, np.nan))     # a box without a pore
        for frame in range(n):
            mine = rows[rows[:, 0] == frame]
            frames["interface_void_count"][frame] = mine[:, 2].sum()
            frames["buried_void_count"][frame] = (mine[:, 2] == 0).sum()
        g = f.create_group("analysis/frames")
        for c in FRAME_COLUMNS:
            g[c] = frames[c]
        g = f.create_group("analysis/voids")
        for c in VOID_COLUMNS:
            g[c] = np.zeros(len(rows))
        g["frame"][...] = rows[:, 0]
        g["track_id"][...] = rows[:, 1]
        del g["interface"]
        g["interface"] = rows[:, 2].astype(np.int8)
        g["width_nm"][...] = rows[:, 3]
        g["height_nm"][...] = rows[:, 4]
        g = f.create_group("analysis/events")
        g["frame"] = np.array([1, 2, 3, 3])
        g["kind"] = np.array(["nucleation", "coalescence", "split", "collapse"], dtype=h5py.string_dtype())
        for c in ("parents", "children", "parent_sites", "child_sites"):
            g[c] = np.array(["0", "1", "2", "3"], dtype=h5py.string_dtype())
        f["analysis/solute_profile"] = np.zeros((n, f["particles/metal"].attrs["n_layers"]))
        f["analysis"].attrs["format_version"] = FORMAT_VERSION
        f["analysis"].attrs["min_void_nm"] = 1.0
        f["analysis"].attrs["exchange_current_mA_cm2"] = 1.0
    return path


def render(args, out):
    """Run ``kmc plot ARGS -o OUT`` and return the decoded image."""
    result = CliRunner().invoke(plot_command, [*map(str, args), "-o", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    image = imread(out)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200
    rgba = np.ascontiguousarray((image * 255).round().astype(np.uint8)).view(np.uint32)
    assert np.unique(rgba).size > 20, "a real figure, not a blank canvas"
    return image


def assert_follows_data(args_a, args_b, tmp_path):
    """Same data -> identical pixels; different data -> different pixels."""
    a1 = render(args_a, tmp_path / "a1.png")
    a2 = render(args_a, tmp_path / "a2.png")
    b = render(args_b, tmp_path / "b.png")
    assert np.array_equal(a1, a2)
    assert a1.shape != b.shape or not np.array_equal(a1, b)


def figure_pixels(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())


def pixel_at(fig, ax, x, y):
    """RGBA (0-255) of the rendered figure at data point (x, y) of ``ax``."""
    pixels = figure_pixels(fig)
    px, py = ax.transData.transform((x, y))
    return pixels[pixels.shape[0] - 1 - int(round(py)), int(round(px))].astype(int)


def rgba255(colour):
    return (np.array(to_rgba(colour)) * 255).round().astype(int)


# ------------------------------------------------------------------------------- colours
def test_one_distinct_colour_per_species_and_electrolyte():
    colours = [to_rgba(COLOURS[c]) for c in (VACANCY, LI, MG)] + [to_rgba(kplot.ELECTROLYTE_COLOR)]
    assert len(set(colours)) == 4


# ------------------------------------------------------------------------------- cross-section
def test_section_grid_maps_every_row_site_to_its_cells():
    """Each layer's row nearest y shows its own sites, each a cell of one site spacing around its x."""
    lat = build_bcc((6, 5, 4), "001")
    rng = np.random.default_rng(3)
    species = rng.integers(0, 3, lat.n_sites).astype(np.int8)
    a = lat.lattice_constant_A
    y = 2 * a + 0.1  # nearest to the y = 2a plane in layers with sites on the cube corners
    sec = kplot.cross_section_grid(species, lat.positions_A, lat.box_A, lat.sites_per_layer, y)
    assert sec.grid.shape == (lat.n_layers, 2 * 6)  # cells of a/2: every layer offset by a/2
    assert np.all(sec.grid >= 0), "every cell of every layer is covered by a site"
    assert np.allclose(np.diff(sec.x_edges_A), a / 2) and sec.x_edges_A[-1] - sec.x_edges_A[0] == pytest.approx(lat.box_A[0])
    assert np.allclose(np.diff(sec.depth_edges_A), lat.layer_spacing_A)
    for layer in range(lat.n_layers):
        sites = np.arange(layer * lat.sites_per_layer, (layer + 1) * lat.sites_per_layer)
        dy = np.abs((lat.positions_A[sites, 1] - y + lat.box_A[1] / 2) % lat.box_A[1] - lat.box_A[1] / 2)
        row = sites[np.isclose(dy, dy.min())]
        assert row.size == 6 and np.isclose(lat.positions_A[row, 1], lat.positions_A[row[0], 1]).all()
        for s in row:
            for offset in (-a / 4, a / 4):  # both halves of the site's cell
                x = (lat.positions_A[s, 0] + offset - sec.x_edges_A[0]) % lat.box_A[0]
                assert sec.grid[layer, int(x // (a / 2))] == species[s]


def test_section_grid_shows_a_hand_made_void(runs, tmp_path):
    path = copy_run(runs["li"], tmp_path / "void.h5")
    with h5py.File(path, "a") as f:
        pos = f["particles/metal/position"][()]
        frame = np.full(pos.shape[0], LI, np.int8)
        void = (pos[:, 0] >= 7.0) & (pos[:, 0] < 17.0) & (pos[:, 2] < 6.0)
        frame[void] = VACANCY
        f["particles/metal/species/value"][-1] = frame
        box = f["particles/metal/box/edges"][()]
        spl = int(f["particles/metal"].attrs["sites_per_layer"])
    sec = kplot.cross_section_grid(frame, pos, box, spl, box[1] / 2)
    x_mid = (sec.x_edges_A[:-1] + sec.x_edges_A[1:]) / 2
    depth_mid = (sec.depth_edges_A[:-1] + sec.depth_edges_A[1:]) / 2
    inside = (depth_mid[:, None] < 6.0) & (x_mid[None, :] > 8.9) & (x_mid[None, :] < 15.1)
    outside = (depth_mid[:, None] > 6.0) | (x_mid[None, :] < 5.0) | (x_mid[None, :] > 19.0)
    assert np.all(sec.grid[inside] == VACANCY) and np.all(sec.grid[outside] == LI)

    # the rendered figure shows the vacancy colour inside the void, Li beside it, electrolyte above
    fig = kplot.cross_section(path)
    ax = fig.axes[0]
    assert np.abs(pixel_at(fig, ax, 1.2, 0.25) - rgba255(COLOURS[VACANCY])).max() <= 2
    assert np.abs(pixel_at(fig, ax, 2.2, 1.0) - rgba255(COLOURS[LI])).max() <= 2
    assert np.abs(pixel_at(fig, ax, 1.2, -0.2) - rgba255(kplot.ELECTROLYTE_COLOR)).max() <= 2


def test_cross_section_png_follows_data(runs, tmp_path):
    assert_follows_data([runs["li"], "--kind", "cross-section"],
                        [runs["li_seed2"], "--kind", "cross-section"], tmp_path)


def test_cross_section_panels_over_stripped_charge(runs, tmp_path):
    fig = kplot.cross_section(runs["li"], frames=[0, 2, -1])
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 3
    with h5py.File(runs["li"], "r") as f:
        n = f["particles/metal/species/value"].shape[0]
    charge, monolayers = frame_charges(runs["li"])
    assert f"{monolayers[-1]:.2f} monolayers" in panels[-1].get_title()
    assert "mAh/cm²" in panels[0].get_title()
    assert len([ax for ax in kplot.cross_section(runs["li"], panels=n).axes if ax.get_images()]) == n
    one = render([runs["li"], "--kind", "cross-section"], tmp_path / "one.png")
    strip = render([runs["li"], "--kind", "cross-section", "--panels", "3"], tmp_path / "strip.png")
    assert strip.shape[1] > 1.5 * one.shape[1]      # one panel has a minimum width for its titles


# ------------------------------------------------------------------------------- contact
def test_overpotential_formula():
    """eta = 2RT/F asinh(i / (2 i0 c)), with R and F written out here independently of kmc.units."""
    R, F = 8.314462618, 96485.33212
    eta = overpotential_mV(0.5, np.array([1.0, 0.25, 0.0]), 1.0, 298.0)
    assert eta[0] == pytest.approx(2 * R * 298 / F * np.arcsinh(0.25) * 1e3, rel=1e-6)
    assert eta[1] == pytest.approx(2 * R * 298 / F * np.arcsinh(1.0) * 1e3, rel=1e-6)
    assert eta[2] == np.inf


def _right_axis_line(fig):
    right = [ax for ax in fig.axes if ax.get_ylabel().startswith("estimated overpotential")]
    assert len(right) == 1
    return right[0].lines[0]


def test_contact_overpotential_from_observables_or_analysis(runs, tmp_path):
    with h5py.File(runs["li"], "r") as f:
        par = f["parameters"].attrs
        contact = f["observables/contact_fraction/value"][()]
        charge = f["observables/stripped_charge/value"][()]
        expected = overpotential_mV(par["conditions.current_density_mA_cm2"], contact, 2.0,
                                    par["conditions.temperature_K"])
    fig = kplot.contact_loss(runs["li"], exchange_current_mA_cm2=2.0)
    line = _right_axis_line(fig)
    assert np.allclose(line.get_xdata(), charge) and np.allclose(line.get_ydata(), expected)
    loss = [ln for ln in fig.axes[0].lines if ln.get_label() == "contact loss (1 − contact fraction)"][0]
    assert np.allclose(loss.get_ydata(), 100 * (1 - contact))

    analysed = write_analysis(copy_run(runs["li"], tmp_path / "an.h5"))
    line = _right_axis_line(kplot.contact_loss(analysed))
    assert np.allclose(line.get_ydata(), np.linspace(10, 90, len(line.get_ydata())))


def test_contact_png_follows_data(runs, tmp_path):
    assert_follows_data([runs["li"], "--kind", "contact"], [runs["limg"], "--kind", "contact"], tmp_path)


# ------------------------------------------------------------------------------- voids
def test_voids_png_follows_data(runs, tmp_path):
    a = write_analysis(copy_run(runs["li"], tmp_path / "a.h5"))
    b = write_analysis(copy_run(runs["li"], tmp_path / "b.h5"), width_scale=2.0)
    assert_follows_data([a, "--kind", "voids"], [b, "--kind", "voids"], tmp_path)


def test_voids_boxes_and_event_markers(runs, tmp_path):
    path = write_analysis(copy_run(runs["li"], tmp_path / "a.h5"))
    fig = kplot.void_statistics(path)
    ax_count, ax_width, ax_height = [ax for ax in fig.axes if ax.get_ylabel()]
    with h5py.File(path, "r") as f:
        voids = {c: f[f"analysis/voids/{c}"][()] for c in ("frame", "interface", "width_nm")}
        charge = f["analysis/frames/stripped_charge_mAh_cm2"][()]
    frames_with_voids = np.unique(voids["frame"][voids["interface"] == 1]).astype(int)
    medians = [ln for ln in ax_width.lines if ln.get_linewidth() == 2]  # median lines of the boxes
    assert len(medians) == frames_with_voids.size
    for ln, frame in zip(medians, frames_with_voids):
        widths = voids["width_nm"][(voids["frame"] == frame) & (voids["interface"] == 1)]
        assert ln.get_ydata()[0] == pytest.approx(np.median(widths))
        assert np.mean(ln.get_xdata()) == pytest.approx(charge[frame])
    markers = {ln.get_label(): ln for ln in ax_count.lines}
    assert {"coalescence", "split", "collapse"} <= set(markers) and "nucleation" not in markers
    assert markers["split"].get_xdata()[0] == pytest.approx(charge[3])


def test_voids_runs_the_analysis_when_missing(runs, tmp_path, monkeypatch):
    """A file without /analysis is analysed once (by kmc.analysis) before the voids figure is drawn."""
    path = copy_run(runs["li"], tmp_path / "raw.h5")
    calls = []
    real = kplot.analyze_file
    monkeypatch.setattr(kplot, "analyze_file", lambda p: calls.append(p) or real(p))
    render([path, "--kind", "voids"], tmp_path / "v.png")
    render([path, "--kind", "voids"], tmp_path / "v2.png")
    assert len(calls) == 1
    with h5py.File(path, "r") as f:
        assert "analysis/frames/interface_void_count" in f


# ------------------------------------------------------------------------------- Mg profile
def test_solute_profile_is_solute_over_metal_per_layer(runs):
    fig = kplot.solute_profile(runs["limg"], frames=[-1])
    ax = fig.axes[0]
    with h5py.File(runs["limg"], "r") as f:
        frame = f["particles/metal/species/value"][-1]
        pos = f["particles/metal/position"][()]
        layer = f["particles/metal/layer"][()]
        attrs = f["parameters"].attrs
        bulk = attrs.get("composition.solute_fraction", attrs.get("composition.mg_fraction"))
    profile = [ln for ln in ax.lines if ln.get_label().startswith("frame")]
    assert len(profile) == 1
    depth, percent = profile[0].get_xdata(), profile[0].get_ydata()
    for ell in range(layer.max() + 1):
        in_layer = layer == ell
        metal = np.count_nonzero(frame[in_layer] != VACANCY)
        assert depth[ell] == pytest.approx(pos[in_layer, 2].mean() / 10)
        if metal:
            assert percent[ell] == pytest.approx(100 * np.count_nonzero(frame[in_layer] == MG) / metal)
        else:
            assert np.isnan(percent[ell])
    reference = [ln for ln in ax.lines if ln.get_label().startswith("bulk")][0]
    assert np.allclose(reference.get_ydata(), 100 * bulk)


def test_solute_profile_png_follows_data(runs, tmp_path):
    edited = copy_run(runs["limg"], tmp_path / "mg.h5")
    with h5py.File(edited, "a") as f:
        spl = int(f["particles/metal"].attrs["sites_per_layer"])
        frame = f["particles/metal/species/value"][-1]
        third_layer = frame[2 * spl:3 * spl]
        third_layer[third_layer != VACANCY] = MG  # a layer of pure Mg
        f["particles/metal/species/value"][-1] = frame
    assert_follows_data([runs["limg"], "--kind", "solute-profile"], [edited, "--kind", "solute-profile"], tmp_path)


# ------------------------------------------------------------------------------- compare
def legend_texts(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def assert_legend_on_the_figure(fig):
    fig.canvas.draw()
    box, legend = fig.bbox, fig.axes[0].get_legend().get_window_extent()
    assert box.x0 <= legend.x0 and legend.x1 <= box.x1 and box.y0 <= legend.y0 and legend.y1 <= box.y1


def test_compare_labels_name_the_difference(runs):
    """Each line is named by its chemistry and, in words, what differs (not by parameter dumps)."""
    fig = kplot.compare_runs([runs["li"], runs["limg"]], "contact_fraction")
    with h5py.File(runs["limg"], "r") as f:     # key names before and after species became data
        solute = next(k for k in ("interface_solute_fraction", "interface_mg_fraction") if k in f["observables"])
    assert legend_texts(fig) == ["Li", "Li0.97Mg0.03"]
    assert_legend_on_the_figure(fig)
    labels = kplot.run_labels([dict(h5py.File(p, "r")["parameters"].attrs) for p in (runs["li"], runs["li_seed2"])])
    assert labels == ["Li, seed 1", "Li, seed 2"]
    with h5py.File(runs["limg"], "r") as f:
        mg = f[f"observables/{solute}/value"][()]
    line = kplot.compare_runs([runs["li"], runs["limg"]], solute).axes[0].lines[1]
    assert np.allclose(line.get_ydata(), mg)


def test_compare_labels_fall_back_to_keys_then_file_names(runs, tmp_path):
    li = dict(h5py.File(runs["li"], "r")["parameters"].attrs)
    hotter = {**li, "conditions.temperature_K": 333.0, "conditions.stack_pressure_MPa": 5.0}
    assert kplot.run_labels([li, hotter]) == ["Li, 0.2 MPa, 298 K", "Li, 5 MPa, 333 K"]
    stiffer = {**li, "creep.stress_exponent": 7.0}
    assert kplot.run_labels([li, stiffer]) == [f"Li, creep.stress_exponent={li['creep.stress_exponent']:g}",
                                               "Li, creep.stress_exponent=7"]
    shifted = {**li, "energy.layer_vacancy_eV": np.array([0.0, -0.07])}    # a list value is not printed
    assert kplot.run_labels([li, shifted], ["a.h5", "b.h5"]) == ["Li, energy.layer_vacancy_eV differs, a.h5",
                                                                 "Li, energy.layer_vacancy_eV differs, b.h5"]
    twin = copy_run(runs["li"], tmp_path / "twin.h5")    # the same run twice: the file names tell them apart
    assert legend_texts(kplot.compare_runs([runs["li"], twin])) == ["Li, li.h5", "Li, twin.h5"]


def test_compare_png_follows_data(runs, tmp_path):
    assert_follows_data([runs["li"], runs["limg"], "--kind", "compare"],
                        [runs["li"], runs["limg"], "--kind", "compare", "--quantity", "vacancy_count"], tmp_path)


# ------------------------------------------------------------------------------- bad input
def test_bad_input_one_line_exit_2_no_file(runs, tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = 1
    li, limg = str(runs["li"]), str(runs["limg"])
    out, odd = str(tmp_path / "out.png"), str(tmp_path / "figure.nope")
    cases = {
        "no such file": [str(tmp_path / "missing.h5"), "--kind", "contact", "-o", out],
        "not an HDF5 file": [str(text), "--kind", "contact", "-o", out],
        "not a kmc run file": [str(other), "--kind", "contact", "-o", out],
        "unknown kind": [li, "--kind", "sem", "-o", out],
        "--kind mg-profile is now --kind solute-profile": [li, "--kind", "mg-profile", "-o", out],
        "no --kind given": [li, "-o", out],
        "out of range": [li, "--kind", "cross-section", "--frames", "0,99", "-o", out],
        "not a list of frame numbers": [li, "--kind", "cross-section", "--frames", "first", "-o", out],
        "allowed: 1..": [li, "--kind", "cross-section", "--panels", "99", "-o", out],
        "outside the box": [li, "--kind", "cross-section", "--y", "1000", "-o", out],
        "unknown quantity": [li, limg, "--kind", "compare", "--quantity", "voltage", "-o", out],
        "does not apply": [li, "--kind", "contact", "--frames", "0", "-o", out],
        "2 files given": [li, li, "--kind", "contact", "-o", out],
        "allowed: > 0": [li, "--kind", "contact", "--exchange-current", "0", "-o", out],
        "cannot write a nope image": [li, "--kind", "contact", "-o", odd],
        "no output file": [li, "--kind", "contact"],
        "--dpi": [li, "--kind", "contact", "--dpi", "many", "-o", out],
    }
    for expected, args in cases.items():
        result = CliRunner().invoke(plot_command, args)
        assert result.exit_code == 2, (expected, result.output)
        assert isinstance(result.exception, SystemExit), "no traceback"
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], (expected, lines)
        assert not Path(out).exists() and not Path(odd).exists()


# ------------------------------------------------------------------------------- plan view
def _hand_frame(run, tmp_path, vacant_l1=(), under=(), solute_l1=()):
    """The last frame of a copy of ``run`` replaced by all host with the given L1 (ix, iy) cells
    vacant or solute, and the L2 sites below ``under`` cells vacant."""
    path = copy_run(run, tmp_path / "hand.h5")
    with h5py.File(path, "a") as f:
        pos = f["particles/metal/position"][()]
        layer = f["particles/metal/layer"][()]
        a = f["particles/metal"].attrs["lattice_constant_A"]
        frame = np.full(pos.shape[0], LI, np.int8)
        ij = np.floor(pos[:, :2] / a).astype(int)            # L1 site (ix + 1/2, iy + 1/2) a
        for cells, code, in_layer in ((vacant_l1, VACANCY, 0), (solute_l1, MG, 0)):
            for ix, iy in cells:
                frame[(layer == in_layer) & (ij[:, 0] == ix) & (ij[:, 1] == iy)] = code
        for ix, iy in under:                                 # the 4 L2 sites around the L1 site (ix, iy)
            near = (layer == 1) & (np.abs(pos[:, 0] - (ix + 0.5) * a) < 0.6 * a) & (np.abs(pos[:, 1] - (iy + 0.5) * a) < 0.6 * a)
            frame[near] = VACANCY
        f["particles/metal/species/value"][-1] = frame
    return path, a / 10


def test_plan_view_pixels_show_void_isolated_vacancy_and_solute(runs, tmp_path):
    patch = [(ix, iy) for ix in range(1, 5) for iy in range(1, 5)]          # 4 x 4 cells: a 1.4 nm void
    path, a_nm = _hand_frame(runs["li"], tmp_path, vacant_l1=patch + [(6, 6)], solute_l1=[(6, 2)])
    fig = kplot.plan_view(path)
    ax = fig.axes[0]
    centre = lambda ix, iy: ((ix + 0.5) * a_nm, (iy + 0.5) * a_nm)       # noqa: E731
    assert np.abs(pixel_at(fig, ax, *centre(2, 2)) - rgba255(COLOURS[VACANCY])).max() <= 2     # void
    assert np.abs(pixel_at(fig, ax, *centre(6, 6)) - rgba255(kplot.ISOLATED_VACANCY_COLOR)).max() <= 2
    assert np.abs(pixel_at(fig, ax, *centre(6, 2)) - rgba255(COLOURS[MG])).max() <= 2
    assert np.abs(pixel_at(fig, ax, *centre(0, 6)) - rgba255(COLOURS[LI])).max() <= 2
    assert "voids: 1" in ax.get_title() and ax.collections, "the void is outlined"
    with h5py.File(path, "r") as f:
        attrs = f["parameters"].attrs
        n_l1 = int(f["particles/metal"].attrs["sites_per_layer"])
    assert f"contact {100 * (n_l1 - 17) / n_l1:.1f} %" in ax.get_title()


def test_plan_png_follows_data(runs, tmp_path):
    assert_follows_data([runs["li"], "--kind", "plan"], [runs["li_seed2"], "--kind", "plan"], tmp_path)
    two = render([runs["li"], "--kind", "plan", "--frames", "0,-1"], tmp_path / "two.png")
    four = render([runs["li"], "--kind", "plan", "--panels", "4"], tmp_path / "four.png")
    assert four.shape[1] > 1.5 * two.shape[1]


# ------------------------------------------------------------------------------- wide boxes
@pytest.fixture(scope="module")
def wide_run(tmp_path_factory):
    """A 120-cell wide slab (42 nm), a few hundred events: the section is cut into strips."""
    path = tmp_path_factory.mktemp("wide") / "wide.h5"
    sim = Simulation(load_config(PARAMS / "li_li2s.toml", [
        "lattice.cells=[120,4,4]", "run.acceleration=1e8", "run.stop_stripped_mAh_cm2=0", "run.max_events=300",
        "output.frame_every_mAh_cm2=0", "output.frame_every_events=300", "output.series_every_mAh_cm2=0",
        "output.series_every_events=100"]))
    sim.run(KmcWriter(path, sim), progress=False)
    return path


def test_wide_cross_section_is_stacked_strips_at_one_scale(wide_run, tmp_path):
    with h5py.File(wide_run, "r+") as f:
        pos = f["particles/metal/position"][()]
        frame = np.full(pos.shape[0], LI, np.int8)
        frame[(pos[:, 0] > 250) & (pos[:, 0] < 300) & (pos[:, 2] < 5)] = VACANCY   # a void 25-30 nm in x
        f["particles/metal/species/value"][-1] = frame
        box_nm = f["particles/metal/box/edges"][0] / 10
    fig = kplot.cross_section(wide_run)
    strips = [ax for ax in fig.axes if ax.get_images()]
    assert len(strips) == int(np.ceil(box_nm / kplot.SECTION_ROW_NM)) == 3
    spans = [ax.get_xlim()[1] - ax.get_xlim()[0] for ax in strips]
    assert np.allclose(spans, kplot.SECTION_ROW_NM)                  # one scale for every strip
    assert all(ax.get_aspect() == 1.0 for ax in strips)
    # the void (x 25-30 nm) is in the second strip, in vacancy colour; the first strip there is host
    assert np.abs(pixel_at(fig, strips[1], 27.5, 0.2) - rgba255(COLOURS[VACANCY])).max() <= 2
    assert np.abs(pixel_at(fig, strips[0], 10.0, 0.2) - rgba255(COLOURS[LI])).max() <= 2
    bars = [a for a in strips[-1].artists if a.__class__.__name__ == "AnchoredSizeBar"]
    assert len(bars) == 1
    image = render([wide_run, "--kind", "cross-section"], tmp_path / "wide.png")
    assert image.shape[0] > 0.25 * image.shape[1], "stacked strips, not one unreadable sliver"


# ------------------------------------------------------------------------------- analysis versions
def test_old_analysis_format_asks_for_a_rerun(runs, tmp_path):
    path = write_analysis(copy_run(runs["li"], tmp_path / "old.h5"))
    with h5py.File(path, "r+") as f:
        del f["analysis"].attrs["format_version"]
    result = CliRunner().invoke(plot_command, [str(path), "--kind", "voids", "-o", str(tmp_path / "v.png")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "re-run `kmc analyze" in lines[0] and lines[0].startswith("error: ")


def test_contact_uses_the_run_files_exchange_current(runs, tmp_path):
    path = copy_run(runs["li"], tmp_path / "i0.h5")
    with h5py.File(path, "r+") as f:
        f["parameters"].attrs["conditions.exchange_current_mA_cm2"] = 3.0
        par = f["parameters"].attrs
        expected = overpotential_mV(par["conditions.current_density_mA_cm2"], f["observables/contact_fraction/value"][()],
                                    3.0, par["conditions.temperature_K"])
    line = _right_axis_line(kplot.contact_loss(path))
    assert np.allclose(line.get_ydata(), expected) and "3 mA/cm²" in line.get_label()


def test_compare_draws_equal_runs_apart_on_an_unmagnified_axis(runs):
    """Two runs with the same contact both show (the first widest, the second dashed on it), and the
    contact axis is the whole of [0, 1]: a one-site change of a 400-site layer stays a small change."""
    fig = kplot.compare_runs([runs["li"], runs["li"]])
    ax = fig.axes[0]
    first, second = ax.lines[:2]
    assert first.get_linewidth() > second.get_linewidth() and first.get_linestyle() != second.get_linestyle()
    assert ax.get_ylim() == (0.0, 1.02)
    low, high = kplot.unmagnified_limits(np.array([100.0, 100.25]), "vacancy_count")   # 0.25 in 100: 5 % shown
    assert high - low == pytest.approx(1.1 * 0.05 * 100.25) and (low + high) / 2 == pytest.approx(100.125)
    low, high = kplot.unmagnified_limits(np.array([1.0, 9.0]), "vacancy_count")   # a real change: its own range
    assert low == pytest.approx(0.6) and high == pytest.approx(9.4)


def test_contact_plot_shows_the_pores_mouth(li_params, tmp_path):
    """With the shipped pore the contact loss starts at the mouth's share, drawn and labelled as such;
    the compare figure marks the contact the face leaves (1 - that share)."""
    path = tmp_path / "pore.h5"
    sim = Simulation(load_config(li_params, ["lattice.cells=[6,6,4]", "run.acceleration=1e8",
                                             "run.stop_stripped_mAh_cm2=1e-5", "output.frame_every_mAh_cm2=5e-6"]))
    sim.run(KmcWriter(path, sim), progress=False)
    share = float(sim.pore.open_fraction)
    ax = kplot.contact_loss(path).axes[0]
    labels = [h.get_label() for h in ax.get_legend().legend_handles]
    assert f"the pore's mouth: {100 * share:.1f} % of L1, never contact" in labels
    loss = [ln for ln in ax.lines if ln.get_label().startswith("contact loss")][0]
    assert loss.get_ydata()[0] == pytest.approx(100 * share)
    ax = kplot.compare_runs([path]).axes[0]
    assert any(ln.get_ydata()[0] == pytest.approx(1 - share) and ln.get_linestyle() == ":" for ln in ax.lines)


def test_the_meso_section_has_a_height_axis_in_um(li_params, tmp_path):
    """A resolved kmc meso run's cross-section: each panel's height axis in µm from the electrolyte (0)
    with one tick above, labelled for the figure; the contact figure says why contact starts below 1."""
    from click.testing import CliRunner

    from kmc.cli import main
    from kmc.plot_meso import GAP_AXIS_LABEL, _height_tick_um
    out = tmp_path / "meso.h5"
    result = CliRunner().invoke(main, ["meso", str(li_params), "-o", str(out), "--set", "meso.stop_stripped_mAh_cm2=0.002",
                                       "--set", "meso.output_every_mAh_cm2=0.0005"])
    assert result.exit_code == 0, result.output
    fig = kplot.cross_section(out)
    assert fig._supylabel.get_text() == GAP_AXIS_LABEL
    for ax in fig.axes:
        ticks = ax.get_yticks()
        assert ticks[0] == 0 and 0 < ticks[1] <= ax.get_ylim()[1]
    assert [_height_tick_um(x) for x in (4.1, 1.3, 0.65, 30)] == [2, 1, 0.5, 20]
    texts = [t.get_text() for ax in kplot.contact_loss(out).axes for t in ax.texts]
    assert any(t.startswith("as pressed: 0.9") and "open pores" in t for t in texts), texts   # 0.908
