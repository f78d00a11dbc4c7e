"""Figures from run files: SEM-like cross-sections, contact loss and overpotential, void statistics,
Mg depth profiles and comparisons between runs.

Each figure function returns a matplotlib Figure drawn on an Agg canvas: it renders without a
display and never touches pyplot's global state, so it is safe in notebooks and on servers.
``kmc plot FILE --kind K -o OUT.png`` saves the same figures.  Vacancy, Li, Mg and the
electrolyte have one colour each, used in every figure.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import click
import h5py
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from kmc.analysis import analyze_file
from kmc.electrochemistry import DEFAULT_EXCHANGE_CURRENT_mA_cm2, overpotential_mV
from kmc.errors import OneLineErrorCommand, fail
from kmc.export import LI, MG, VACANCY, read_frames, resolve_frames
from kmc.io import (OutputPathError, RunFileError, check_output_file, check_run_file, open_run_file,
                    replace_when_done)

SPECIES_COLORS = {VACANCY: "#23203f", LI: "#bcc7d3", MG: "#e0622a"}
SPECIES_LABELS = {VACANCY: "vacancy", LI: "Li", MG: "Mg"}
ELECTROLYTE_COLOR = "#7fb38d"
BURIED_VOID_COLOR = "#8a8a8a"
OVERPOTENTIAL_COLOR = "#8e44ad"
RUN_COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")
ELECTROLYTE_BAND_NM = 0.5      # drawn thickness of the electrolyte above L1 (it is rigid and not simulated)
VOID_EVENT_MARKERS = {"coalescence": "v", "split": "^", "collapse": "x"}
CHARGE_LABEL = "stripped charge (mAh/cm²)"
PANEL_WIDTH_IN = 3.4

KINDS = ("cross-section", "contact", "voids", "mg-profile", "compare")
# Options that mean something for each kind; anything else given is an error, not silently ignored.
KIND_OPTIONS = {"cross-section": {"frames", "panels", "y_nm"}, "contact": {"exchange_current_mA_cm2"},
                "voids": set(), "mg-profile": {"frames"}, "compare": {"quantity"}}
OPTION_FLAGS = {"frames": "--frames", "panels": "--panels", "y_nm": "--y",
                "exchange_current_mA_cm2": "--exchange-current", "quantity": "--quantity"}
# Parameter attributes that never distinguish two runs in a legend (paths, duplicates of other keys).
LEGEND_IGNORED_PARAMETERS = {"model.name", "model.description", "source", "seed", "output.path", "config_toml"}


# ------------------------------------------------------------------------------- shared pieces
def _new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on its own Agg canvas (no display, no pyplot state)."""
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _charge_per_monolayer(f: h5py.File) -> float:
    """mAh/cm^2 per stripped monolayer: the writer's own conversion (charge per atom x L1 sites)."""
    return float(f["parameters/model"].attrs["charge_per_atom_mAh_cm2"]) * int(f["particles/metal"].attrs["sites_per_layer"])


def _charge_axis(ax, charge_per_monolayer: float | None):
    """Stripped charge on the bottom x axis (power-of-ten offset: a nm box strips ~1e-4 mAh/cm²)
    and, given the conversion, stripped monolayers on the top axis."""
    ax.set_xlabel(CHARGE_LABEL)
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3), useMathText=True)
    if charge_per_monolayer is not None:
        top = ax.secondary_xaxis("top", functions=(lambda q: q / charge_per_monolayer,
                                                   lambda ml: ml * charge_per_monolayer))
        top.set_xlabel("stripped monolayers")


def _sci_text(value: float, mantissa_format: str = ".1f") -> str:
    """Mathtext like 1.2×10⁻⁴ for labels and titles."""
    if value == 0:
        return "0"
    exponent = int(np.floor(np.log10(abs(value))))
    return rf"${value / 10 ** exponent:{mantissa_format}}\times10^{{{exponent}}}$"


def _charge_text(charge_mAh_cm2: float) -> str:
    return f"{_sci_text(charge_mAh_cm2)} mAh/cm²"


def _parameters(f: h5py.File) -> dict:
    return dict(f["parameters"].attrs)


def _conditions_text(par: dict) -> str:
    return (f"{par['conditions.current_density_mA_cm2']:g} mA/cm², {par['conditions.stack_pressure_MPa']:g} MPa, "
            f"{par['conditions.temperature_K']:g} K, acceleration {_sci_text(par['run.acceleration'], 'g')}")


def _frame_count(path) -> int:
    with open_run_file(path) as f:
        return f["particles/metal/species/value"].shape[0]


def _layer_depths_A(frame) -> np.ndarray:
    return frame.positions_A[::frame.sites_per_layer, 2]


def _species_legend_handles(codes) -> list:
    handles = [Patch(facecolor=SPECIES_COLORS[c], edgecolor="0.3", linewidth=0.5, label=SPECIES_LABELS[c])
               for c in codes]
    return handles + [Patch(facecolor=ELECTROLYTE_COLOR, edgecolor="0.3", linewidth=0.5, label="electrolyte")]


# ------------------------------------------------------------------------------- cross-section
class SectionImage(NamedTuple):
    """A cross-section as an image: ``grid[layer, column]`` is a species code (-1: no site)."""

    grid: np.ndarray           # (n_layers, n_columns) int8, row 0 = L1
    x_edges_A: np.ndarray      # (n_columns + 1,)
    depth_edges_A: np.ndarray  # (n_layers + 1,), increasing downwards
    l1_row_y_A: float          # y of the L1 sites shown


def _periodic_distance(a, b, length):
    return np.abs((a - b + length / 2) % length - length / 2)


def cross_section_grid(species, positions_A, box_A, sites_per_layer: int, y_A: float) -> SectionImage:
    """Species of the sites nearest the plane y = y_A, layer by layer, as an image.

    Each layer contributes its row of sites nearest y_A (periodic in y).  In [001] consecutive
    layers hold alternate y planes, so every layer shows, offset by a/2 in x as in the crystal.
    Each site fills a cell one in-row site spacing wide centred on its x, on a column grid fine
    enough for those offsets; cells cut by the periodic x boundary wrap around.
    """
    box_x, box_y = float(box_A[0]), float(box_A[1])
    n_layers = species.size // sites_per_layer
    rows = []  # per layer: the sites of its row, and the left edge of each site's cell
    for layer in range(n_layers):
        sites = np.arange(layer * sites_per_layer, (layer + 1) * sites_per_layer)
        y = positions_A[sites, 1]
        plane_y = y[np.argmin(_periodic_distance(y, y_A, box_y))]
        in_row = sites[_periodic_distance(y, plane_y, box_y) < 1e-6]
        rows.append(in_row)
    site_spacing_A = box_x / rows[0].size  # the same in every layer of a BCC cut
    left_A = [(positions_A[row, 0] - site_spacing_A / 2) % box_x for row in rows]
    # Columns: as wide as the smallest offset between cell edges of any two layers (a/2 in [001]).
    phases = np.concatenate(left_A) % site_spacing_A
    phases = np.unique(np.round(np.where(np.isclose(phases, site_spacing_A), 0.0, phases), 6))
    column_A = np.diff(np.append(phases, phases[0] + site_spacing_A)).min()
    n_columns = int(round(box_x / column_A))
    columns_per_site = int(round(site_spacing_A / column_A))
    grid = np.full((n_layers, n_columns), -1, dtype=np.int8)
    for layer, (row, left) in enumerate(zip(rows, left_A)):
        first = np.round(((left - phases[0]) % box_x) / column_A).astype(int)
        cells = (first[:, None] + np.arange(columns_per_site)[None, :]) % n_columns
        grid[layer, cells] = species[row][:, None]
    depth_A = positions_A[::sites_per_layer, 2][:n_layers]
    mid = (depth_A[1:] + depth_A[:-1]) / 2
    depth_edges_A = np.concatenate(([2 * depth_A[0] - mid[0]], mid, [2 * depth_A[-1] - mid[-1]]))
    x_edges_A = phases[0] + column_A * np.arange(n_columns + 1)
    return SectionImage(grid, x_edges_A, depth_edges_A, float(positions_A[rows[0][0], 1]))


def _section_rgba(grid: np.ndarray) -> np.ndarray:
    rgba = np.zeros(grid.shape + (4,))
    for code, colour in SPECIES_COLORS.items():
        rgba[grid == code] = to_rgba(colour)
    return rgba


def _draw_section(ax, section: SectionImage):
    """The section image under an electrolyte band; x and depth in nm, depth increasing downwards."""
    x_nm, depth_nm = section.x_edges_A / 10, section.depth_edges_A / 10
    ax.imshow(_section_rgba(section.grid), extent=(x_nm[0], x_nm[-1], depth_nm[-1], depth_nm[0]),
              origin="upper", interpolation="nearest", resample=False)
    ax.add_patch(Rectangle((x_nm[0], depth_nm[0] - ELECTROLYTE_BAND_NM), x_nm[-1] - x_nm[0], ELECTROLYTE_BAND_NM,
                           facecolor=ELECTROLYTE_COLOR, edgecolor="none"))
    ax.set_xlim(x_nm[0], x_nm[-1])
    ax.set_ylim(depth_nm[-1], depth_nm[0] - ELECTROLYTE_BAND_NM)
    ax.set_aspect("equal")
    ax.set_xlabel("x (nm)")


def _chosen_frames(path, frames, panels, default) -> list[int]:
    """Frame indices from explicit numbers, or ``panels`` evenly spaced over the run, or the default."""
    n_frames = _frame_count(path)
    if frames is not None and panels is not None:
        raise RunFileError("--frames and --panels both given; allowed: one of them")
    if panels is not None:
        if not 1 <= panels <= n_frames:
            raise RunFileError(f"--panels {panels} for {path}, which holds {n_frames} frames; allowed: 1..{n_frames}")
        return list(np.unique(np.round(np.linspace(0, n_frames - 1, panels)).astype(int)))
    chosen = resolve_frames(default if frames is None else frames, n_frames, path)
    return list(dict.fromkeys(chosen))


def cross_section(path, frames=None, panels: int | None = None, y_nm: float | None = None) -> Figure:
    """SEM-like x-depth section(s) at y = y_nm (default mid-box): one panel per chosen frame
    (default the last), titled with the stripped charge and monolayers."""
    path = check_run_file(path)
    chosen = read_frames(path, _chosen_frames(path, frames, panels, default=[-1]))
    with open_run_file(path) as f:
        par = _parameters(f)
    box_A = chosen[0].box_A
    if y_nm is None:
        y_nm = box_A[1] / 20
    elif not 0 <= y_nm < box_A[1] / 10:
        raise RunFileError(f"--y {y_nm:g} nm is outside the box; allowed: 0 to {box_A[1] / 10:.3g} nm")
    sections = [cross_section_grid(fr.species, fr.positions_A, fr.box_A, fr.sites_per_layer, y_nm * 10)
                for fr in chosen]
    first = sections[0]
    height_nm = (first.depth_edges_A[-1] - first.depth_edges_A[0]) / 10 + ELECTROLYTE_BAND_NM
    width_nm = (first.x_edges_A[-1] - first.x_edges_A[0]) / 10
    fig = _new_figure(PANEL_WIDTH_IN * len(chosen), PANEL_WIDTH_IN * height_nm / width_nm + 1.5)
    axes = fig.subplots(1, len(chosen), sharey=True, squeeze=False)[0]
    for ax, fr, section in zip(axes, chosen, sections):
        _draw_section(ax, section)
        ax.set_title(f"{_charge_text(fr.stripped_charge_mAh_cm2)}\n{fr.stripped_monolayers:.2f} monolayers",
                     fontsize="medium")
    axes[0].set_ylabel("depth below electrolyte (nm)")
    fig.suptitle(f"{par['model.description'] or par['model.name']}: section at y = {first.l1_row_y_A / 10:.2f} nm")
    codes = [VACANCY, LI, MG] if par["composition.mg_fraction"] > 0 else [VACANCY, LI]
    fig.legend(handles=_species_legend_handles(codes), loc="outside lower center", ncols=len(codes) + 1,
               frameon=False)
    return fig


# ------------------------------------------------------------------------------- contact loss
def contact_loss(path, exchange_current_mA_cm2: float | None = None) -> Figure:
    """Contact loss (%) versus stripped charge with the estimated overpotential on the right.

    The overpotential comes from ``/analysis/frames/overpotential_mV`` when the file has it and no
    exchange current is given; otherwise it is computed here from the contact fraction.
    """
    path = check_run_file(path)
    if exchange_current_mA_cm2 is not None and not 0 < exchange_current_mA_cm2 < math.inf:
        raise RunFileError(f"--exchange-current {exchange_current_mA_cm2:g}; allowed: > 0 mA/cm² (finite)")
    with open_run_file(path) as f:
        par = _parameters(f)
        charge = f["observables/stripped_charge/value"][()]
        contact = f["observables/contact_fraction/value"][()]
        charge_per_monolayer = _charge_per_monolayer(f)
        from_analysis = exchange_current_mA_cm2 is None and "analysis/frames/overpotential_mV" in f
        if from_analysis:
            eta_charge = f["analysis/frames/stripped_charge_mAh_cm2"][()]
            eta_mV = f["analysis/frames/overpotential_mV"][()]
    if not from_analysis:
        i0 = exchange_current_mA_cm2 or DEFAULT_EXCHANGE_CURRENT_mA_cm2
        eta_charge = charge
        eta_mV = overpotential_mV(par["conditions.current_density_mA_cm2"], contact, i0,
                                  par["conditions.temperature_K"])
    eta_label = ("overpotential (kmc analyze)" if from_analysis
                 else f"overpotential, i₀ = {i0:g} mA/cm²")

    fig = _new_figure(6.4, 4.4)
    ax = fig.subplots()
    loss_line, = ax.plot(charge, 100 * (1 - contact), color=SPECIES_COLORS[VACANCY], lw=2, label="contact loss")
    ax.set_ylabel("contact loss (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    _charge_axis(ax, charge_per_monolayer)
    right = ax.twinx()
    eta_line, = right.plot(eta_charge, eta_mV, color=OVERPOTENTIAL_COLOR, lw=1.5, ls="--", label=eta_label)
    right.set_ylabel("estimated overpotential (mV)", color=OVERPOTENTIAL_COLOR)
    right.tick_params(axis="y", colors=OVERPOTENTIAL_COLOR)
    right.set_ylim(bottom=0)
    ax.legend(handles=[loss_line, eta_line], loc="upper left", fontsize="small")
    ax.set_title(f"{par['model.description'] or par['model.name']}\n{_conditions_text(par)}", fontsize="medium")
    return fig


# ------------------------------------------------------------------------------- voids
def _read_table(group: h5py.Group) -> dict:
    return {name: (ds.asstr()[()] if ds.dtype.kind in "SOU" else ds[()]) for name, ds in group.items()}


def read_void_analysis(path) -> tuple[dict, dict, dict]:
    """The /analysis frames, voids and events tables of a run file, running the analysis if absent."""
    path = check_run_file(path)
    with open_run_file(path) as f:
        analysed = "analysis" in f
    if not analysed:
        analyze_file(path)
    with open_run_file(path) as f:
        missing = [g for g in ("analysis/frames", "analysis/voids", "analysis/events") if g not in f]
        if missing:
            raise RunFileError(f"{path} has an incomplete void analysis (no /{missing[0]}); allowed: a file "
                               f"analysed with `kmc analyze {path}`")
        return tuple(_read_table(f[g]) for g in ("analysis/frames", "analysis/voids", "analysis/events"))


def _box_width(charge: np.ndarray, charge_per_monolayer: float) -> float:
    """Box width on the charge axis: 60 % of the closest frame spacing (one monolayer if one frame)."""
    gaps = np.diff(np.unique(charge))
    return 0.6 * (gaps.min() if gaps.size else charge_per_monolayer)


def void_statistics(path) -> Figure:
    """Interface void count (with coalescence, split and collapse marked) and box plots of
    interface void width and height per frame, versus stripped charge."""
    frames, voids, events = read_void_analysis(path)
    with open_run_file(path) as f:
        par = _parameters(f)
        charge_per_monolayer = _charge_per_monolayer(f)
    charge = frames["stripped_charge_mAh_cm2"]
    charge_of_frame = dict(zip(frames["frame"].tolist(), charge))

    fig = _new_figure(7.6, 7.6)
    ax_count, ax_width, ax_height = fig.subplots(3, 1, sharex=True)
    ax_count.plot(charge, frames["interface_void_count"], "o-", color=SPECIES_COLORS[VACANCY], label="interface voids")
    ax_count.plot(charge, frames["buried_void_count"], "s--", color=BURIED_VOID_COLOR, ms=4, label="buried voids")
    ax_count.set_ylabel("voids in the box")
    ax_count.set_ylim(0, 1.45 * max(1, frames["interface_void_count"].max(), frames["buried_void_count"].max()))
    marker_rows = iter((0.92, 0.84, 0.76))
    for kind, marker in VOID_EVENT_MARKERS.items():
        at = sorted(set(events["frame"][events["kind"] == kind].tolist()))
        if at:
            ax_count.plot([charge_of_frame[fr] for fr in at], [next(marker_rows)] * len(at), marker, ls="none",
                          color="k", transform=ax_count.get_xaxis_transform(), label=kind)
    ax_count.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: markers stay visible
    _charge_axis(ax_count, charge_per_monolayer)
    ax_count.set_xlabel("")

    interface = voids["interface"] != 0
    width = _box_width(charge, charge_per_monolayer)
    for ax, column, label in ((ax_width, "width_nm", "interface void width (nm)"),
                              (ax_height, "height_nm", "interface void height (nm)")):
        per_frame = [(charge_of_frame[fr], voids[column][interface & (voids["frame"] == fr)]) for fr in frames["frame"]]
        per_frame = [(q, values) for q, values in per_frame if values.size]
        if per_frame:
            ax.boxplot([values for _, values in per_frame], positions=[q for q, _ in per_frame], widths=width,
                       manage_ticks=False, patch_artist=True, showfliers=True,
                       boxprops={"facecolor": to_rgba(SPECIES_COLORS[VACANCY], 0.25),
                                 "edgecolor": SPECIES_COLORS[VACANCY]},
                       medianprops={"color": SPECIES_COLORS[VACANCY], "lw": 2},
                       flierprops={"markersize": 3, "markeredgecolor": SPECIES_COLORS[VACANCY]})
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
    for ax in (ax_count, ax_width, ax_height):
        ax.grid(alpha=0.3)
    _charge_axis(ax_height, None)
    ax_height.set_xlim(min(charge) - width, max(charge) + width)
    fig.suptitle(f"{par['model.description'] or par['model.name']}\n{_conditions_text(par)}", fontsize="medium")
    return fig


# ------------------------------------------------------------------------------- Mg profile
def mg_depth_profile(frame) -> tuple[np.ndarray, np.ndarray]:
    """Depth of each layer (nm) and its Mg fraction, Mg / metal atoms (NaN for an empty layer)."""
    layers = frame.species.reshape(-1, frame.sites_per_layer)
    metal = np.count_nonzero(layers != VACANCY, axis=1)
    mg = np.count_nonzero(layers == MG, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _layer_depths_A(frame) / 10, np.where(metal > 0, mg / metal, np.nan)


def mg_profile(path, frames=None) -> Figure:
    """Mg fraction per layer versus depth at the chosen frames (default first and last), with the
    bulk composition as a dashed reference."""
    path = check_run_file(path)
    chosen = read_frames(path, _chosen_frames(path, frames, None, default=[0, -1]))
    with open_run_file(path) as f:
        par = _parameters(f)
    fig = _new_figure(6.4, 4.4)
    ax = fig.subplots()
    lightness = np.linspace(0.6, 0.0, len(chosen)) if len(chosen) > 1 else [0.0]  # later frames darker
    mg_rgb = np.array(to_rgba(SPECIES_COLORS[MG])[:3])
    depth_nm = _layer_depths_A(chosen[0]) / 10
    for fr, light in zip(chosen, lightness):
        _, fraction = mg_depth_profile(fr)
        ax.plot(depth_nm, 100 * fraction, "o-", ms=4, color=mg_rgb + (1 - mg_rgb) * light,
                label=f"frame {fr.index}: {_charge_text(fr.stripped_charge_mAh_cm2)}")
    bulk = 100 * par["composition.mg_fraction"]
    ax.axhline(bulk, color="0.3", ls="--", lw=1, label=f"bulk composition ({bulk:.3g} at.% Mg)")
    spacing_nm = depth_nm[1] - depth_nm[0]
    ax.axvspan(-spacing_nm / 2 - ELECTROLYTE_BAND_NM, -spacing_nm / 2, color=ELECTROLYTE_COLOR, label="electrolyte")
    ax.set_xlim(-spacing_nm / 2 - ELECTROLYTE_BAND_NM, depth_nm[-1] + spacing_nm / 2)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("depth below electrolyte (nm)")
    ax.set_ylabel("Mg / metal atoms in the layer (at.%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(f"{par['model.description'] or par['model.name']}: Mg depth profile", fontsize="medium")
    return fig


# ------------------------------------------------------------------------------- compare runs
def _format_value(value) -> str:
    if isinstance(value, np.ndarray):
        return "[" + ",".join(_format_value(v) for v in value.tolist()) + "]"
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    return str(value)


def run_labels(parameter_sets: list[dict]) -> list[str]:
    """Legend labels: each run's model name plus every parameter whose value differs between runs."""
    keys = sorted(set().union(*parameter_sets) - LEGEND_IGNORED_PARAMETERS)

    def same(a, b):
        return a is not None and b is not None and np.array_equal(np.asarray(a), np.asarray(b))

    differing = [k for k in keys if not all(same(p.get(k), parameter_sets[0].get(k)) for p in parameter_sets)]
    labels = []
    for p in parameter_sets:
        extra = ", ".join(f"{k}={_format_value(p[k])}" for k in differing if k in p)
        labels.append(f"{p.get('model.name', '?')}" + (f" ({extra})" if extra else ""))
    return labels


def _series_observables(f: h5py.File) -> list[str]:
    return [name for name in f["observables"] if f[f"observables/{name}/value"].ndim == 1]


def compare_runs(paths, quantity: str = "contact_fraction") -> Figure:
    """One observable from several run files on one axes, against stripped charge."""
    paths = [check_run_file(p) for p in paths]
    runs = []
    for path in paths:
        with open_run_file(path) as f:
            allowed = _series_observables(f)
            if quantity not in allowed:
                raise RunFileError(f"unknown quantity {quantity!r} for {path}; allowed: {', '.join(allowed)}")
            value = f[f"observables/{quantity}/value"]
            runs.append({"charge": f["observables/stripped_charge/value"][()], "value": value[()],
                         "unit": value.attrs.get("unit", ""), "parameters": _parameters(f),
                         "charge_per_monolayer": _charge_per_monolayer(f)})
    fig = _new_figure(6.4, 4.4)
    ax = fig.subplots()
    for i, (run, label) in enumerate(zip(runs, run_labels([r["parameters"] for r in runs]))):
        ax.plot(run["charge"], run["value"], color=RUN_COLORS[i % len(RUN_COLORS)], lw=1.8, label=label)
    unit = runs[0]["unit"]
    ax.set_ylabel(quantity.replace("_", " ") + ("" if unit in ("", "1") else f" ({unit})"))
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    conversions = [r["charge_per_monolayer"] for r in runs]
    # one monolayer axis only if a monolayer is the same charge in every run
    _charge_axis(ax, conversions[0] if np.allclose(conversions, conversions[0]) else None)
    ax.legend(fontsize="small")
    conditions = {_conditions_text(r["parameters"]) for r in runs}
    if len(conditions) == 1:  # shared conditions as the title; differing ones are in the legend
        ax.set_title(conditions.pop(), fontsize="medium")
    return fig


# ------------------------------------------------------------------------------- command line
def _parse_frames(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        fail(f"--frames {text!r} is not a list of frame numbers; allowed: comma-separated integers, e.g. 0,3,-1")


@click.command(cls=OneLineErrorCommand)
@click.argument("files", nargs=-1)
@click.option("--kind", default=None, metavar="|".join(KINDS), help="Which figure.")
@click.option("-o", "--output", default=None, help="Image file (.png; .pdf and .svg work too).")
@click.option("--frames", default=None, metavar="I,J,...",
              help="cross-section, mg-profile: frames to show (negative counts from the end).")
@click.option("--panels", type=int, default=None, help="cross-section: N frames evenly spaced over the run.")
@click.option("--y", "y_nm", type=float, default=None, help="cross-section: section plane y in nm (default mid-box).")
@click.option("--exchange-current", "exchange_current_mA_cm2", type=float, default=None,
              help="contact: exchange current density i0 in mA/cm² for the overpotential "
                   f"(default: the file's analysis, else {DEFAULT_EXCHANGE_CURRENT_mA_cm2:g}).")
@click.option("--quantity", default=None, help="compare: observable to plot (default contact_fraction).")
@click.option("--dpi", type=click.IntRange(min=20, max=1200), default=150, show_default=True)
def plot(files, kind, output, frames, panels, y_nm, exchange_current_mA_cm2, quantity, dpi):
    """Figures from run files: cross-section, contact, voids, mg-profile, or compare (several files)."""
    if kind not in KINDS:
        given = "no --kind given" if kind is None else f"unknown kind {kind!r}"
        fail(f"{given}; allowed: --kind {', '.join(KINDS)}")
    given_options = {name for name, value in (("frames", frames), ("panels", panels), ("y_nm", y_nm),
                                              ("exchange_current_mA_cm2", exchange_current_mA_cm2),
                                              ("quantity", quantity)) if value is not None}
    for name in sorted(given_options - KIND_OPTIONS[kind]):
        usable = [k for k, opts in KIND_OPTIONS.items() if name in opts]
        fail(f"{OPTION_FLAGS[name]} does not apply to --kind {kind}; allowed: with --kind {', '.join(usable)}")
    if not files:
        fail("no run file given; allowed: one .h5 file written by kmc run (several for --kind compare)")
    if len(files) > 1 and kind != "compare":
        fail(f"{len(files)} files given for --kind {kind}; allowed: one file (several only for --kind compare)")
    try:
        check_output_file(output, "figure.png", inputs=files)
    except OutputPathError as exc:
        fail(str(exc))
    suffix = Path(output).suffix.lstrip(".").lower()
    if suffix not in FigureCanvasAgg.get_supported_filetypes():
        fail(f"cannot write a {suffix or 'suffix-less'} image ({output}); allowed: "
             f"{', '.join(sorted(FigureCanvasAgg.get_supported_filetypes()))}")
    frame_list = None if frames is None else _parse_frames(frames)
    try:
        if kind == "cross-section":
            fig = cross_section(files[0], frame_list, panels, y_nm)
        elif kind == "contact":
            fig = contact_loss(files[0], exchange_current_mA_cm2)
        elif kind == "voids":
            fig = void_statistics(files[0])
        elif kind == "mg-profile":
            fig = mg_profile(files[0], frame_list)
        else:
            fig = compare_runs(files, quantity or "contact_fraction")
    except RunFileError as exc:
        fail(str(exc))
    with replace_when_done(output) as tmp:
        fig.savefig(tmp, dpi=dpi, format=suffix)
    click.echo(f"wrote {output}")
