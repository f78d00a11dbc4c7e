"""Figures from run files: SEM-like cross-sections, plan views of the contact layer, contact loss
and overpotential, void statistics, solute depth profiles and comparisons between runs.

Each figure function returns a matplotlib Figure drawn on an Agg canvas: it renders without a
display and never touches pyplot's global state, so it is safe in notebooks and on servers.
``kmc plot FILE --kind K -o OUT.png`` (kmc.cli.plot) saves the same figures.  Vacancy, host,
solute (kmc.species.COLOURS) and the electrolyte have one colour each, used in every figure; the
element names come from the run file.

Wide boxes: a cross-section wider than ``SECTION_ROW_NM`` is cut into strips of that length,
stacked top to bottom at one scale (equal aspect, a scale bar in nm), so a 100-cell box stays as
readable as a 20-cell one.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from kmc.analysis import (DEFAULT_MIN_VOID_nm, FORMAT_VERSION, analyze_file, check_analysis_version,
                          compute_analysis, exchange_current_of, frame_voids, read_geometry)
from kmc.physics.electrochemistry import overpotential_mV
from kmc.export import read_frames
from kmc.runfile import (KIND_MESO, RunFileError, check_run_file, file_kind_of, open_run_file, read_analysis_group,
                         run_status)
from kmc.plot_common import (CHARGE_LABEL, COMPARE_DASHES, COMPARE_WIDTHS, ELECTROLYTE_COLOR,  # noqa: F401
                              OVERPOTENTIAL_COLOR, PANEL_WIDTH_IN, RUN_COLORS, unmagnified_limits,
                              _charge_text, _chosen_indices, _conditions_text, _new_figure, _sci_text, _title,
                              overpotential_top_mV, say_nothing_to_show)
from kmc.plot_edge import (contact_share, draw_electrolyte_band, mark_mouth, mark_starting_contact,
                           mouth_legend_handle, open_intervals_nm, run_pore)
from kmc.plot_meso import meso_contact, meso_plan, meso_section, meso_solute
from kmc.species import (COLOURS, DEFAULT_HOST, DEFAULT_SOLUTE, HOST, SOLUTE, VACANCY, Species,
                         species_from_attributes)

ISOLATED_VACANCY_COLOR = "#8f8bb8"   # plan view: a lost-contact site that is no void (lighter than a void)
PORE_VOID_COLOR = "#f2f2f2"          # plan view: a vacant site of the pore's void (metal receded from the pore)
VOID_OUTLINE_COLOR = "#ffd23f"
SECTION_ROW_NM = 20.0          # a wider cross-section is cut into strips of this length, stacked
SECTION_IN_PER_NM = 0.34       # drawn width of a nm of section in a strip (a 20 nm strip is 6.8 in)
BURIED_VOID_COLOR = "#8a8a8a"
ELECTROLYTE_BAND_NM = 0.5      # drawn thickness of the electrolyte above L1 (it is rigid and not simulated)
VOID_EVENT_MARKERS = {"coalescence": "v", "split": "^", "collapse": "x"}
MIN_FIGURE_WIDTH_IN = 5.5      # room for a two-line title and the legend above and below one panel


# ------------------------------------------------------------------------------- shared pieces
def _charge_per_monolayer(f) -> float:
    """mAh/cm^2 per stripped monolayer: the writer's own conversion (charge per atom x L1 sites)."""
    return float(f.model_attributes()["charge_per_atom_mAh_cm2"]) * int(f.lattice_attributes()["sites_per_layer"])


def _charge_axis(ax, charge_per_monolayer: float | None):
    """Stripped charge on the bottom x axis (power-of-ten offset: a nm box strips ~1e-4 mAh/cm²)
    and, given the conversion, stripped monolayers on the top axis."""
    ax.set_xlabel(CHARGE_LABEL)
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3), useMathText=True)
    if charge_per_monolayer is not None:
        top = ax.secondary_xaxis("top", functions=(lambda q: q / charge_per_monolayer,
                                                   lambda ml: ml * charge_per_monolayer))
        top.set_xlabel("stripped monolayers")


def _solute_fraction(par: dict) -> float:
    """Bulk solute fraction of a run (``composition.mg_fraction`` in files written before species were data)."""
    return float(par.get("composition.solute_fraction", par.get("composition.mg_fraction", 0.0)))


def _frame_count(path) -> int:
    with open_run_file(path) as f:
        return f.n_frames


def _layer_depths_A(frame) -> np.ndarray:
    return frame.positions_A[::frame.sites_per_layer, 2]


def _species_legend_handles(species: Species, codes, extra=(("electrolyte", ELECTROLYTE_COLOR),)) -> list:
    handles = [Patch(facecolor=COLOURS[c], edgecolor="0.3", linewidth=0.5, label=species.label(c)) for c in codes]
    return handles + [Patch(facecolor=colour, edgecolor="0.3", linewidth=0.5, label=label) for label, colour in extra]


def _codes_present(par: dict) -> list:
    return [VACANCY, HOST, SOLUTE] if _solute_fraction(par) > 0 else [VACANCY, HOST]


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
    """Species codes -> RGBA (transparent where -1)."""
    rgba = np.zeros(grid.shape + (4,))
    for code, colour in COLOURS.items():
        rgba[grid == code] = to_rgba(colour)
    return rgba


def _scale_bar(ax, length_nm: float):
    """A scale bar of ``length_nm`` in the lower right corner of ``ax`` (data units are nm)."""
    ax.add_artist(AnchoredSizeBar(ax.transData, length_nm, f"{length_nm:g} nm", "lower right", pad=0.3,
                                  color="white", frameon=False, size_vertical=0.08, sep=2,
                                  fontproperties={"size": "small"}))


def _nice_length(span_nm: float) -> float:
    """A round bar length near a fifth of ``span_nm`` (1, 2 or 5 x 10^k nm)."""
    target = span_nm / 5
    base = 10 ** math.floor(math.log10(target))
    return max(m * base for m in (1, 2, 5) if m * base <= target)


def _draw_section(ax, section: SectionImage, openings=()):
    """The section image under an electrolyte band, open over ``openings`` (x intervals in nm: the
    pore's mouth, kmc.plot_edge); x and depth in nm, depth increasing downwards."""
    x_nm, depth_nm = section.x_edges_A / 10, section.depth_edges_A / 10
    ax.imshow(_section_rgba(section.grid), extent=(x_nm[0], x_nm[-1], depth_nm[-1], depth_nm[0]),
              origin="upper", interpolation="nearest", resample=False)
    draw_electrolyte_band(ax, x_nm[0], x_nm[-1], depth_nm[0], ELECTROLYTE_BAND_NM, openings)
    ax.set_xlim(x_nm[0], x_nm[-1])
    ax.set_ylim(depth_nm[-1], depth_nm[0] - ELECTROLYTE_BAND_NM)
    ax.set_aspect("equal")
    ax.set_xlabel("x (nm)")


def _chosen_frames(path, frames, panels, default) -> list[int]:
    """Frame indices from explicit numbers, or ``panels`` evenly spaced over the run, or the default."""
    return _chosen_indices(_frame_count(path), frames, panels, default, path)


def _section_strips(width_nm: float) -> tuple[int, float]:
    """Number of stacked strips and the x length (nm) each shows: one strip up to 1.25 rows' length
    (no strip is nearly empty), else strips of ``SECTION_ROW_NM``."""
    if width_nm <= 1.25 * SECTION_ROW_NM:
        return 1, width_nm
    return math.ceil(width_nm / SECTION_ROW_NM), SECTION_ROW_NM


def cross_section(path, frames=None, panels: int | None = None, y_nm: float | None = None) -> Figure:
    """SEM-like x-depth section(s) at y = y_nm (default mid-box): one column of panels per chosen
    frame (default the last), titled with the stripped charge and monolayers.  A section wider than
    ``SECTION_ROW_NM`` is cut into strips of that length stacked top to bottom (same scale, equal
    aspect, a scale bar), so wide boxes stay readable.  A resolved `kmc meso` run: its gap
    sections (meso_section)."""
    if file_kind_of(check_run_file(path, require_frames=False, running=True)) == KIND_MESO:
        if y_nm is not None:
            raise RunFileError(f"--y {y_nm:g} nm: a kmc meso run's section is one line of the interface; "
                               "allowed: --frames or --panels")
        return meso_section(path, frames, panels)
    path = check_run_file(path, running=True)
    chosen = read_frames(path, _chosen_frames(path, frames, panels, default=[-1]))
    with open_run_file(path) as f:
        par = f.parameters()
        species = species_from_attributes(par)
        pore, lattice = run_pore(f)
    box_A = chosen[0].box_A
    if y_nm is None:
        y_nm = box_A[1] / 20
    elif not 0 <= y_nm < box_A[1] / 10:
        raise RunFileError(f"--y {y_nm:g} nm is outside the box; allowed: 0 to {box_A[1] / 10:.3g} nm")
    sections = [cross_section_grid(fr.species, fr.positions_A, fr.box_A, fr.sites_per_layer, y_nm * 10)
                for fr in chosen]
    first = sections[0]
    openings = open_intervals_nm(pore, lattice, first.l1_row_y_A)
    height_nm = (first.depth_edges_A[-1] - first.depth_edges_A[0]) / 10 + ELECTROLYTE_BAND_NM
    width_nm = (first.x_edges_A[-1] - first.x_edges_A[0]) / 10
    n_strips, strip_nm = _section_strips(width_nm)
    panel_in = PANEL_WIDTH_IN if n_strips == 1 else SECTION_IN_PER_NM * strip_nm
    fig = _new_figure(max(panel_in * len(chosen), MIN_FIGURE_WIDTH_IN),
                      n_strips * (panel_in * height_nm / strip_nm + 0.45) + 1.3)
    axes = fig.subplots(n_strips, len(chosen), sharey=True, squeeze=False)
    x0_nm = first.x_edges_A[0] / 10
    for column, (fr, section) in enumerate(zip(chosen, sections)):
        for strip in range(n_strips):
            ax = axes[strip, column]
            _draw_section(ax, section, openings)
            if n_strips > 1:
                ax.set_xlim(x0_nm + strip * strip_nm, x0_nm + (strip + 1) * strip_nm)
                if strip < n_strips - 1:
                    ax.set_xlabel("")
            if strip == n_strips - 1:
                _scale_bar(ax, _nice_length(strip_nm))
        axes[0, column].set_title(f"{_charge_text(fr.stripped_charge_mAh_cm2)}\n"
                                  f"{fr.stripped_monolayers:.2f} monolayers", fontsize="medium")
    for strip in range(n_strips):
        axes[strip, 0].set_ylabel("depth (nm)" if n_strips > 1 else "depth below electrolyte (nm)")
    strips_text = f", {n_strips} strips of {strip_nm:g} nm, top to bottom" if n_strips > 1 else ""
    fig.suptitle(f"{_title(par)}\nsection at y = {first.l1_row_y_A / 10:.2f} nm{strips_text}", fontsize="medium")
    codes = _codes_present(par)
    handles = _species_legend_handles(species, codes) + ([mouth_legend_handle()] if openings else [])
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    return fig


# ------------------------------------------------------------------------------- plan view
class PlanImage(NamedTuple):
    """The contact layer L1 seen from the electrolyte: ``grid[row in y, column in x]``."""

    grid: np.ndarray           # (n_y, n_x) int8 species code of each L1 site
    in_void: np.ndarray        # (n_y, n_x) int32 interface-void index of a vacant site, PORE_VOID in the
                               # pore's void (kmc.analysis PORE_RULE), -1 otherwise
    x_edges_A: np.ndarray      # (n_x + 1,)
    y_edges_A: np.ndarray      # (n_y + 1,)


PORE_VOID = -2                 # PlanImage.in_void of a vacant site in the pore's void


def plan_grid(species, positions_A, l1_grid, void_label, pore_sites=()) -> PlanImage:
    """L1 as an image: each site a square cell of one in-plane spacing (a) centred on its (x, y).

    ``l1_grid`` (n_y, n_x) holds the L1 site indices in increasing y and x (kmc.analysis geometry);
    ``void_label`` (n_sites,) the void index of each site (-1: no void); ``pore_sites`` the sites of
    the pore's void (kmc.analysis FrameVoids.pore).  The rows of a [110] slab's centred net, offset by
    half a pitch in x, are drawn at the first row's x positions.
    """
    x_A = positions_A[l1_grid[0], 0]
    y_A = positions_A[l1_grid[:, 0], 1]
    pitch_x = x_A[1] - x_A[0] if x_A.size > 1 else 2 * x_A[0]
    pitch_y = y_A[1] - y_A[0] if y_A.size > 1 else 2 * y_A[0]
    x_edges = np.append(x_A - pitch_x / 2, x_A[-1] + pitch_x / 2)
    y_edges = np.append(y_A - pitch_y / 2, y_A[-1] + pitch_y / 2)
    grid = species[l1_grid].astype(np.int8)
    in_void = np.where(grid == VACANCY, void_label[l1_grid], -1).astype(np.int32)
    label = np.asarray(void_label).copy()
    label[np.asarray(pore_sites, np.int64)] = PORE_VOID
    in_void[(grid == VACANCY) & (label[l1_grid] == PORE_VOID)] = PORE_VOID
    return PlanImage(grid, in_void, x_edges, y_edges)


def _plan_rgba(plan: PlanImage) -> np.ndarray:
    """Species colours; vacant L1 sites outside voids in the lighter isolated-vacancy colour, those of
    the pore's void in its own."""
    rgba = _section_rgba(plan.grid)
    rgba[(plan.grid == VACANCY) & (plan.in_void == -1)] = to_rgba(ISOLATED_VACANCY_COLOR)
    rgba[(plan.grid == VACANCY) & (plan.in_void == PORE_VOID)] = to_rgba(PORE_VOID_COLOR)
    return rgba


def _min_void_nm_of(f) -> float:
    """The minimum void width of the file's analysis when it has a current one, else the default."""
    attributes = f.analysis_attributes()
    if attributes is not None and attributes.get("format_version", 1) == FORMAT_VERSION:
        return float(attributes["min_void_nm"])
    return DEFAULT_MIN_VOID_nm


def plan_view(path, frames=None, panels: int | None = None) -> Figure:
    """The contact layer L1 seen from the electrolyte, one panel per chosen frame (default the
    last): host, solute, vacant sites in voids (outlined) and isolated vacancies (lighter), by the
    void definition of kmc.analysis with the file's minimum void width.  A resolved `kmc meso` run over
    an area: its contact seen from the electrolyte (meso_plan)."""
    if file_kind_of(check_run_file(path, require_frames=False, running=True)) == KIND_MESO:
        return meso_plan(path, frames, panels)
    path = check_run_file(path, running=True)
    indices = _chosen_frames(path, frames, panels, default=[-1])
    chosen = read_frames(path, indices)
    with open_run_file(path) as f:
        par = f.parameters()
        species = species_from_attributes(f.parameters())
        geo = read_geometry(f)
        min_void_nm = _min_void_nm_of(f)
        pore, _ = run_pore(f)
    if not geo.has_interface:
        raise RunFileError(f"{path} is a periodic bulk box without a contact layer; allowed: a slab run "
                           "for --kind plan")
    plans = []
    for fr in chosen:
        voids = frame_voids(fr.species, geo, min_void_nm)
        plans.append((plan_grid(fr.species, geo.position_A, geo.l1_grid, voids.label, voids.pore.sites),
                      int(np.count_nonzero(voids.interface))))
    first = plans[0][0]
    width_nm = (first.x_edges_A[-1] - first.x_edges_A[0]) / 10
    height_nm = (first.y_edges_A[-1] - first.y_edges_A[0]) / 10
    panel_in = PANEL_WIDTH_IN if width_nm <= 1.25 * SECTION_ROW_NM else min(SECTION_IN_PER_NM * width_nm, 9.0)
    panel_in = max(panel_in, MIN_FIGURE_WIDTH_IN / len(chosen))   # room for the titles of one panel
    fig = _new_figure(panel_in * len(chosen), panel_in * height_nm / width_nm + 1.6)
    axes = fig.subplots(1, len(chosen), sharey=True, squeeze=False)[0]
    for ax, fr, (plan, n_voids) in zip(axes, chosen, plans):
        x_nm, y_nm = plan.x_edges_A / 10, plan.y_edges_A / 10
        ax.imshow(_plan_rgba(plan), extent=(x_nm[0], x_nm[-1], y_nm[0], y_nm[-1]), origin="lower",
                  interpolation="nearest", resample=False)
        if np.any(plan.in_void >= 0):     # void outlines: the boundary of the in-void cells (not the pore's)
            centres_x, centres_y = (x_nm[1:] + x_nm[:-1]) / 2, (y_nm[1:] + y_nm[:-1]) / 2
            ax.contour(centres_x, centres_y, (plan.in_void >= 0).astype(float), levels=[0.5],
                       colors=VOID_OUTLINE_COLOR, linewidths=0.8)
        if pore is not None:
            mark_mouth(ax, geo.l1_grid, pore, x_nm, y_nm)
        ax.set_xlim(x_nm[0], x_nm[-1])
        ax.set_ylim(y_nm[0], y_nm[-1])
        ax.set_aspect("equal")
        ax.set_xlabel("x (nm)")
        _scale_bar(ax, _nice_length(width_nm))
        contact = contact_share(plan.grid, geo.l1_grid, pore, VACANCY)
        ax.set_title(f"{_charge_text(fr.stripped_charge_mAh_cm2)}, {fr.stripped_monolayers:.2f} ML\n"
                     f"contact {100 * contact:.1f} %, voids: {n_voids}", fontsize="medium")
    axes[0].set_ylabel("y (nm)")
    fig.suptitle(f"{_title(par)}\ncontact layer L1 seen from the electrolyte (voids: under the electrolyte, at least "
                 f"{min_void_nm:g} nm wide)",
                 fontsize="medium")
    codes = _codes_present(par)
    handles = _species_legend_handles(species, codes, extra=(("vacancy in no void", ISOLATED_VACANCY_COLOR),))
    handles[0].set_label("void")
    if pore is not None:
        handles += [Patch(facecolor=PORE_VOID_COLOR, edgecolor="0.6", label="the pore's void (never contact)"),
                    mouth_legend_handle()]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), frameon=False)
    return fig


# ------------------------------------------------------------------------------- contact loss
def contact_loss(path, exchange_current_mA_cm2: float | None = None) -> Figure:
    """Contact loss (%) versus stripped charge with the estimated overpotential on the right.

    The overpotential comes from ``/analysis/frames/overpotential_mV`` when the file has a current
    analysis and no exchange current is given; otherwise it is computed here from the contact
    fraction with the given exchange current, else the run's ``conditions.exchange_current_mA_cm2``,
    else the package default.
    """
    if exchange_current_mA_cm2 is not None and not 0 < exchange_current_mA_cm2 < math.inf:
        raise RunFileError(f"--exchange-current {exchange_current_mA_cm2:g}; allowed: > 0 mA/cm² (finite)")
    path = check_run_file(path, require_frames=False, running=True)
    if file_kind_of(path) == KIND_MESO:
        return meso_contact(path, exchange_current_mA_cm2)
    with open_run_file(path) as f:
        par = f.parameters()
        pore, _ = run_pore(f)
        charge, contact = f.series("stripped_charge"), f.series("contact_fraction")
        n = min(charge.size, contact.size)          # a file being written: what both hold
        charge, contact = charge[:n], contact[:n]
        charge_per_monolayer = _charge_per_monolayer(f)
        # an analysis of an older format holds the same overpotential rule, but is not read: one
        # rule for every reader of /analysis (kmc.analysis.check_analysis_version)
        analysis = f.analysis_attributes()
        eta_mV = f.analysis_column("frames", "overpotential_mV")
        from_analysis = (exchange_current_mA_cm2 is None and eta_mV is not None
                         and analysis.get("format_version", 1) == FORMAT_VERSION)
        if from_analysis:
            eta_charge = f.analysis_column("frames", "stripped_charge_mAh_cm2")
            i0 = float(analysis["exchange_current_mA_cm2"])
    if not from_analysis:
        i0, _ = exchange_current_of(par, exchange_current_mA_cm2)
        eta_charge = charge
        eta_mV = overpotential_mV(par["conditions.current_density_mA_cm2"], contact, i0,
                                  par["conditions.temperature_K"])
    eta_label = f"overpotential, i₀ = {i0:g} mA/cm²" + (" (kmc analyze)" if from_analysis else "")

    fig = _new_figure(6.4, 4.4)
    ax = fig.subplots()
    handles = []
    if pore is not None:   # the pore's mouth: no electrolyte above it, so never contact (docs/physics.md section 5)
        mouth = 100 * pore.open_fraction
        handles.append(ax.axhspan(0, mouth, facecolor="none", edgecolor="0.55", hatch="////", linewidth=0,
                                  label=f"the pore's mouth: {mouth:.1f} % of L1, never contact"))
    loss_line, = ax.plot(charge, 100 * (1 - contact), color=COLOURS[VACANCY], lw=2,
                         label="contact loss (1 − contact fraction)")
    handles.insert(0, loss_line)
    ax.set_ylabel("contact loss (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    _charge_axis(ax, charge_per_monolayer)
    right = ax.twinx()
    eta_line, = right.plot(eta_charge, eta_mV, color=OVERPOTENTIAL_COLOR, lw=1.5, ls="--", label=eta_label)
    right.set_ylabel("estimated overpotential (mV)", color=OVERPOTENTIAL_COLOR)
    right.tick_params(axis="y", colors=OVERPOTENTIAL_COLOR)
    right.set_ylim(0, overpotential_top_mV(eta_mV))
    ax.legend(handles=handles + [eta_line], loc="upper left", fontsize="small")
    ax.set_title(f"{_title(par)}\n{_conditions_text(par)}", fontsize="medium")
    return fig


# ------------------------------------------------------------------------------- voids
def read_void_analysis(path) -> tuple[dict, dict, dict]:
    """The /analysis frames, voids and events tables of a run file, running the analysis if absent
    (written into a finished file; only computed for a run still being written or cut off); an
    analysis of an older format is refused (AnalysisInputError: re-run kmc analyze)."""
    path = check_run_file(path, running=True)
    if run_status(path) != "complete":
        result = compute_analysis(path)
        return result["frames"], result["voids"], result["events"]
    group = read_analysis_group(path)
    if group is None:
        analyze_file(path)
        group = read_analysis_group(path)
    check_analysis_version(group["attrs"], path)
    return group["frames"], group["voids"], group["events"]


def _box_width(charge: np.ndarray, charge_per_monolayer: float) -> float:
    """Box width on the charge axis: 60 % of the closest frame spacing (one monolayer if one frame)."""
    gaps = np.diff(np.unique(charge))
    return 0.6 * (gaps.min() if gaps.size else charge_per_monolayer)


def void_statistics(path) -> Figure:
    """Interface void count (with coalescence, split and collapse marked) and box plots of
    interface void width and height per frame, versus stripped charge."""
    frames, voids, events = read_void_analysis(path)
    with open_run_file(path) as f:
        par = f.parameters()
        charge_per_monolayer = _charge_per_monolayer(f)
    charge = frames["stripped_charge_mAh_cm2"]
    charge_of_frame = dict(zip(frames["frame"].tolist(), charge))

    fig = _new_figure(7.6, 7.6)
    ax_count, ax_width, ax_height = fig.subplots(3, 1, sharex=True)
    ax_count.plot(charge, frames["interface_void_count"], "o-", color=COLOURS[VACANCY],
                  label="interface voids (under the electrolyte)")
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
                       boxprops={"facecolor": to_rgba(COLOURS[VACANCY], 0.25),
                                 "edgecolor": COLOURS[VACANCY]},
                       medianprops={"color": COLOURS[VACANCY], "lw": 2},
                       flierprops={"markersize": 3, "markeredgecolor": COLOURS[VACANCY]})
        elif not (column == "height_nm" and np.isfinite(frames["pore_void_depth_nm"]).any()):
            say_nothing_to_show(ax, "no interface void in any frame")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
    if np.isfinite(frames["pore_void_depth_nm"]).any():   # the pore's void: sized apart, never counted (PORE_RULE)
        ax_height.plot(charge, frames["pore_void_depth_nm"], "D:", color="0.45", ms=4,
                       label="the pore's void, depth (no void of the contact)")
        ax_height.legend(fontsize="small", loc="upper left")
        if not (voids["interface"] != 0).any():
            say_nothing_to_show(ax_width, "no interface void in any frame")
    for ax in (ax_count, ax_width, ax_height):
        ax.grid(alpha=0.3)
    _charge_axis(ax_height, None)
    ax_height.set_xlim(min(charge) - width, max(charge) + width)
    fig.suptitle(f"{_title(par)}\n{_conditions_text(par)}", fontsize="medium")
    return fig


# ------------------------------------------------------------------------------- solute profile
def solute_depth_profile(frame) -> tuple[np.ndarray, np.ndarray]:
    """Depth of each layer (nm) and its solute fraction, solute / metal atoms (NaN for an empty layer)."""
    layers = frame.species.reshape(-1, frame.sites_per_layer)
    metal = np.count_nonzero(layers != VACANCY, axis=1)
    solute = np.count_nonzero(layers == SOLUTE, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _layer_depths_A(frame) / 10, np.where(metal > 0, solute / metal, np.nan)


def solute_profile(path, frames=None) -> Figure:
    """Solute fraction per layer versus depth at the chosen frames (default first and last), with
    the bulk composition as a dashed reference.  A `kmc meso` alloy run: its Mg field along the interface
    (kmc.plot_meso.meso_solute)."""
    if file_kind_of(check_run_file(path, require_frames=False, running=True)) == KIND_MESO:
        return meso_solute(path, frames)
    path = check_run_file(path, running=True)
    chosen = read_frames(path, _chosen_frames(path, frames, None, default=[0, -1]))
    with open_run_file(path) as f:
        par = f.parameters()
        solute = species_from_attributes(f.parameters()).solute
    fig = _new_figure(6.4, 4.4)
    ax = fig.subplots()
    lightness = np.linspace(0.6, 0.0, len(chosen)) if len(chosen) > 1 else [0.0]  # later frames darker
    solute_rgb = np.array(to_rgba(COLOURS[SOLUTE])[:3])
    depth_nm = _layer_depths_A(chosen[0]) / 10
    for fr, light in zip(chosen, lightness):
        _, fraction = solute_depth_profile(fr)
        ax.plot(depth_nm, 100 * fraction, "o-", ms=4, color=solute_rgb + (1 - solute_rgb) * light,
                label=f"frame {fr.index}: {_charge_text(fr.stripped_charge_mAh_cm2)}")
    bulk = 100 * _solute_fraction(par)
    ax.axhline(bulk, color="0.3", ls="--", lw=1, label=f"bulk composition ({bulk:.3g} at.% {solute})")
    spacing_nm = depth_nm[1] - depth_nm[0]
    ax.axvspan(-spacing_nm / 2 - ELECTROLYTE_BAND_NM, -spacing_nm / 2, color=ELECTROLYTE_COLOR, label="electrolyte")
    ax.set_xlim(-spacing_nm / 2 - ELECTROLYTE_BAND_NM, depth_nm[-1] + spacing_nm / 2)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("depth below electrolyte (nm)")
    ax.set_ylabel(f"{solute} / metal atoms in the layer (at.%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(f"{_title(par)}: {solute} depth profile", fontsize="medium")
    return fig


# ------------------------------------------------------------------------------- compare runs
def _format_value(value) -> str:
    if isinstance(value, np.ndarray):
        return "[" + ",".join(_format_value(v) for v in value.tolist()) + "]"
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    return str(value)


def _chemistry_text(par: dict) -> str:
    """'Li', or 'Li0.97Mg0.03': the host and solute of a run and the bulk solute fraction."""
    host, solute = par.get("species.host", DEFAULT_HOST), par.get("species.solute", DEFAULT_SOLUTE)
    x = _solute_fraction(par)
    return host if x == 0 else f"{host}{1 - x:.3g}{solute}{x:.3g}"


# What may tell runs apart, in words, in the order a legend names them (after the chemistry); the
# values come from the files' /parameters attributes.
LEGEND_CONDITIONS = (
    ("kind", lambda v: "meso" if v == "meso" else "kMC"),
    ("conditions.stack_pressure_MPa", lambda v: f"{v:g} MPa"),
    ("conditions.current_density_mA_cm2", lambda v: f"{v:g} mA/cm²"),
    ("conditions.temperature_K", lambda v: f"{v:g} K"),
    ("run.acceleration", lambda v: f"acceleration {_sci_text(v, 'g')}"),
    ("lattice.cells", lambda v: "×".join(str(int(c)) for c in np.ravel(v)) + " cells"),
    ("meso.width_um", lambda v: f"{v:g} µm square"),
    ("run.seed", lambda v: f"seed {v}"),
)
# Keys a legend never names on their own: paths and descriptions, the seed attribute (run.seed is
# named), and the keys the chemistry stands for.
LEGEND_IGNORED_PARAMETERS = {"model.name", "model.description", "source", "seed", "output.path", "config_toml",
                             "code_version", "species.host", "species.solute", "composition.solute_fraction",
                             "composition.mg_fraction"} | {key for key, _ in LEGEND_CONDITIONS}
LEGEND_MAX_OTHER_KEYS = 2


def run_labels(parameter_sets: list[dict], names: list[str] | None = None) -> list[str]:
    """Legend labels that say which line is which: each run's chemistry (Li, Li0.97Mg0.03) and, in
    words, every condition that differs between the runs (pressure, current, temperature,
    acceleration, box, seed, kMC or meso).  Where that does not tell two runs apart, the parameter
    sets' names follow when they differ, then up to two other differing keys as key=value (a list
    value is not printed: 'key differs'), then ``names`` (e.g. the file names)."""
    def same(key):
        values = [p.get(key) for p in parameter_sets]
        return all(v is not None and np.array_equal(np.asarray(v), np.asarray(values[0])) for v in values)

    labels = [[_chemistry_text(p)] for p in parameter_sets]
    for key, text in LEGEND_CONDITIONS:
        if not same(key):
            for label, p in zip(labels, parameter_sets):
                if key in p:
                    label.append(text(p[key]))

    def unique():
        return len({", ".join(label) for label in labels}) == len(labels)

    if not unique() and not same("model.name"):
        for label, p in zip(labels, parameter_sets):
            label.append(str(p.get("model.name", "?")))
    if not unique():
        keys = sorted(set().union(*parameter_sets) - LEGEND_IGNORED_PARAMETERS)
        if not any(p.get("kind") == "meso" for p in parameter_sets):   # [meso] does not act on a kMC run
            keys = [k for k in keys if not k.startswith("meso.")]
        differing = [k for k in keys if not same(k)]
        shown, rest = differing[:LEGEND_MAX_OTHER_KEYS], len(differing) - LEGEND_MAX_OTHER_KEYS
        for label, p in zip(labels, parameter_sets):
            label += [f"{k}={_format_value(p[k])}" if np.ndim(p[k]) == 0 else f"{k} differs" for k in shown if k in p]
            if rest > 0:
                label.append(f"{rest} more keys differ")
    if not unique() and names is not None:
        for label, name in zip(labels, names):
            label.append(name)
    return [", ".join(label) for label in labels]


def compare_runs(paths, quantity: str = "contact_fraction") -> Figure:
    """One observable from several run files on one axes, against stripped charge."""
    paths = [check_run_file(p, require_frames=False, running=True) for p in paths]
    runs = []
    for path in paths:
        with open_run_file(path) as f:
            allowed = f.observable_names(scalar_only=True)
            if quantity not in allowed:
                raise RunFileError(f"unknown quantity {quantity!r} for {path}; allowed: {', '.join(allowed)}")
            charge, value = f.series("stripped_charge"), f.series(quantity)
            n = min(charge.size, value.size)       # a file being written: what both hold
            runs.append({"charge": charge[:n], "value": value[:n], "unit": f.unit(quantity),
                         "parameters": f.parameters(),
                         # a meso file has no lattice: no monolayer axis
                         "charge_per_monolayer": None if f.is_meso else _charge_per_monolayer(f)})
    fig = _new_figure(6.4, 4.4)
    ax = fig.subplots()
    labels = run_labels([r["parameters"] for r in runs], [Path(p).name for p in paths])
    for i, (run, label) in enumerate(zip(runs, labels)):
        # each run its own colour, dash and width, the first widest: a run equal to another shows under it
        ax.plot(run["charge"], run["value"], color=RUN_COLORS[i % len(RUN_COLORS)], label=label,
                lw=COMPARE_WIDTHS[i % len(COMPARE_WIDTHS)], ls=COMPARE_DASHES[i % len(COMPARE_DASHES)])
    unit = runs[0]["unit"]
    ax.set_ylabel(quantity.replace("_", " ") + ("" if unit in ("", "1") else f" ({unit})"))
    ax.set_ylim(*unmagnified_limits(np.concatenate([r["value"] for r in runs]), quantity))
    if quantity == "contact_fraction":
        mark_starting_contact(ax, paths)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    conversions = [r["charge_per_monolayer"] for r in runs]
    # one monolayer axis only if a monolayer is the same charge in every run
    same = None not in conversions and np.allclose(conversions, conversions[0])
    _charge_axis(ax, conversions[0] if same else None)
    ax.legend(fontsize="small", loc="best")
    conditions = {_conditions_text(r["parameters"]) for r in runs}
    if len(conditions) == 1:  # shared conditions as the title; differing ones are in the legend
        ax.set_title(conditions.pop(), fontsize="medium")
    return fig
