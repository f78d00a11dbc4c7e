"""The pellet's pore in the kMC figures (kmc.pore, docs/pore_edge.md): where the electrolyte is absent above the
contact layer, drawn in the cross-section (a gap in the electrolyte's band over the pore's mouth) and
in the plan view (the mouth's sites hatched); the contact of a plan counts the sites under the
electrolyte only.  kmc.plot calls these; a run without a pore draws as before."""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Patch, Rectangle

from kmc.analysis.edge import run_pore
from kmc.plot_common import ELECTROLYTE_COLOR
from kmc.runfile import open_run_file

MOUTH_HATCH = "////"
MOUTH_EDGE_COLOR = "0.15"


def open_intervals_nm(pore, lattice, row_y_A: float) -> list[tuple[float, float]]:
    """x intervals (nm) over which the L1 row at y = row_y_A has no electrolyte above it, each open
    site one in-row spacing wide, neighbouring ones merged (periodic ends left as two pieces)."""
    if pore is None:
        return []
    xy = lattice.positions_of_layers(0, 1)[:, :2]
    in_row = np.abs(xy[:, 1] - row_y_A) < 1e-6
    x = xy[in_row, 0]
    order = np.argsort(x)
    x, is_open = x[order], pore.l1_open[in_row][order]
    half = (lattice.box_A[0] / x.size) / 2
    intervals = []
    for xi, o in zip(x, is_open):
        if not o:
            continue
        lo, hi = (xi - half) / 10, (xi + half) / 10
        if intervals and abs(intervals[-1][1] - lo) < 1e-9:
            intervals[-1] = (intervals[-1][0], hi)
        else:
            intervals.append((lo, hi))
    return intervals


def draw_electrolyte_band(ax, x0_nm: float, x1_nm: float, top_nm: float, band_nm: float, openings):
    """The electrolyte's band above L1 from x0 to x1 (nm), interrupted over ``openings`` (the pore's
    mouth, open_intervals_nm), whose edges are drawn as the pore's walls."""
    edges = [x0_nm]
    for lo, hi in openings:
        edges += [lo, hi]
    edges.append(x1_nm)
    for lo, hi in zip(edges[::2], edges[1::2]):
        if hi > lo:
            ax.add_patch(Rectangle((lo, top_nm - band_nm), hi - lo, band_nm, facecolor=ELECTROLYTE_COLOR,
                                   edgecolor="none"))
    for lo, hi in openings:
        ax.add_patch(Rectangle((lo, top_nm - band_nm), hi - lo, band_nm, facecolor="none", edgecolor=MOUTH_EDGE_COLOR,
                               hatch=MOUTH_HATCH, linewidth=0.0))


def mark_mouth(ax, l1_grid: np.ndarray, pore, x_edges_nm: np.ndarray, y_edges_nm: np.ndarray):
    """Hatch the plan view's cells at the pore's mouth (``l1_grid``: L1 site indices [row in y, x])."""
    open_cells = pore.l1_open[l1_grid]
    for iy, ix in zip(*np.nonzero(open_cells)):
        ax.add_patch(Rectangle((x_edges_nm[ix], y_edges_nm[iy]), x_edges_nm[ix + 1] - x_edges_nm[ix],
                               y_edges_nm[iy + 1] - y_edges_nm[iy], facecolor="none", edgecolor=MOUTH_EDGE_COLOR,
                               hatch=MOUTH_HATCH, linewidth=0.0))


def mouth_legend_handle() -> Patch:
    return Patch(facecolor="none", edgecolor=MOUTH_EDGE_COLOR, hatch=MOUTH_HATCH, label="pore (no electrolyte)")


def contact_share(grid_species: np.ndarray, l1_grid: np.ndarray, pore, vacancy_code: int) -> float:
    """Metal on the L1 sites under the electrolyte per L1 site (all of them without a pore)."""
    under = np.ones(l1_grid.shape, bool) if pore is None else ~pore.l1_open[l1_grid]
    return float(np.count_nonzero((grid_species != vacancy_code) & under) / grid_species.size)


def mark_starting_contact(ax, paths) -> None:
    """A dotted line at each distinct starting contact 1 - the pore's mouth share of the runs (kMC runs
    with a pore, kmc.pore): the contact the pellet's face leaves before any stripping."""
    shares = set()
    for path in paths:
        with open_run_file(path) as f:
            if f.is_meso:
                continue
            pore, _ = run_pore(f)
        if pore is not None:
            shares.add(round(pore.open_fraction, 6))
    for share in sorted(shares):
        ax.axhline(1 - share, color="0.4", ls=":", lw=1)
        ax.annotate(f"the pore's mouth ({100 * share:.1f} % of L1) is never contact", (0.01, 1 - share),
                    xycoords=("axes fraction", "data"), xytext=(0, -11), textcoords="offset points",
                    fontsize="x-small", color="0.3")
