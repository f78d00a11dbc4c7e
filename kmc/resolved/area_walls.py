"""The metal's wall over each void of the area (on kmc.resolved.area; the section's
rules are kmc.resolved.walls): its capillarity, which voids are holes of the face the metal spans,
and, on tunnels, how capture moves the contact line and how surface diffusion reshapes it.

As on the section, the face is the envelope less its open pores of depth p, the gap g lies between
the face and the metal, and the metal stands e = g - p above the envelope; a void's wall volume over
the envelope is V = sum e h^2.

* **Tunnels** (voids that wrap around one axis of the area; a void uniform along the depth is one):
  each cut across the tunnel's axis is the section's void, and takes the section's rules
  (kmc.resolved.walls) line by line: its Laplace traction gamma / R (the circular arc of its chord
  and area), capture moving its contact lines and deepening its roof (``walls.grow``), Mullins'
  relaxation toward the Young angle's segment with the contact line pinned at a pore's rim and
  the sub-grid drop (``walls.relax``).  On a map uniform along the depth every row is the section.
* **Compact voids** (all others): the wall is the spherical cap on the void's footprint (base radius
  of the footprint's area a) that holds V, pulling with 2 gamma / R
  (kmc.physics.capillarity.cap_curvature_per_um); an elongated footprint takes chi = width / length
  of that and 1 - chi of the tunnel's gamma / R of its width and V per length (the blend the area's
  mechanics uses for its cells, kmc.mechanics.reduced_area, and as unchecked).  Capture and Mullins'
  relaxation of compact voids are kmc.resolved.area's and kmc.resolved.area_shapes' (the latter
  pins a void over a pore at its rim).
* **Held**: a void whose wall volume is <= 0 over an open pore is a hole of the face under a flat or
  pressed-in roof (the section's ``walls.spanned_cells``): the mechanics holds it in its island.

Units: um, MPa, J/m^2."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from kmc.physics.capillarity import cap_curvature_per_um, chord_curvature_per_um, laplace_traction_MPa
from kmc.physics.nucleation import VoidCap
from kmc.mechanics.regions import Regions, label_regions
from kmc.resolved.assembly import edge_crossing_time_s, wall_interval_s
from kmc.resolved.walls import grow_lines, line_run_sums, line_walls, relax_lines

COMPACT = -1            # tunnel_axis of a void that wraps around no axis


@dataclass
class AreaWalls:
    regions: Regions              # the voids (label_regions of gap > 0)
    tunnel_axis: np.ndarray       # (voids,) a tunnel's axis (0: depth, its cuts the rows; 1: width), or COMPACT
    volume_um3: np.ndarray        # (voids,) V, the wall's signed volume over the envelope
    traction_MPa: np.ndarray      # (depth, width) the Laplace traction of the wall of each cell's void (0 on contact)
    held: np.ndarray              # (depth, width) in a hole of the face the metal spans

    def tunnel_cells(self, axis: int) -> np.ndarray:
        """(depth, width) the cells of the tunnels along ``axis``: kept with the regions (their memo; the walls,
        their step limit and their growth each ask for them), so treat as read-only."""
        key = ("tunnel_cells", axis)
        if key not in self.regions.memo:
            along = self.tunnel_axis == axis
            if not along.any():             # no tunnel along it (or no void at all: nothing to index)
                self.regions.memo[key] = np.zeros(self.regions.labels.shape, bool)
            else:
                self.regions.memo[key] = (self.regions.labels >= 0) & along[np.maximum(self.regions.labels, 0)]
        return self.regions.memo[key]


def _tunnel_axes(reg: Regions) -> np.ndarray:
    """Per region, the axis it wraps around (0 first: a void wrapping both is cut along the rows), or COMPACT."""
    return np.where(reg.wraps[:, 0], 0, np.where(reg.wraps[:, 1], 1, COMPACT))


def _lines(a: np.ndarray, axis: int) -> np.ndarray:
    """The cuts across tunnels along ``axis`` as rows (a view: rows for axis 0, columns for axis 1)."""
    return a if axis == 0 else a.T


def _run_cells(rows: np.ndarray, starts: np.ndarray, widths: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(line, cell) indices of every cell of the runs (line, start, width) of periodic lines of n cells."""
    offset = np.arange(widths.sum()) - np.repeat(np.cumsum(widths) - widths, widths)
    return np.repeat(rows, widths), (np.repeat(starts, widths) + offset) % n


def area_walls_of(gap_um: np.ndarray, pore_um: np.ndarray, cell_um: float, surface_energy_J_m2: float,
                  shapes) -> AreaWalls:
    """Every void's wall (module docstring); ``shapes(regions, mask)``: each region's length (um) and
    chi (kmc.mechanics.reduced_area.AreaFoil.shapes)."""
    h = cell_um
    open_cells = gap_um > 0
    reg = label_regions(open_cells)
    n = reg.count
    traction = np.zeros(gap_um.shape)
    held = np.zeros(gap_um.shape, bool)
    if n == 0:
        return AreaWalls(reg, np.zeros(0, int), np.zeros(0), traction, held)
    axis = _tunnel_axes(reg)
    metal, count, has_pore = void_sums(reg.labels, gap_um, pore_um, n)
    volume = metal * h * h
    walls = AreaWalls(reg, axis, volume, traction, held)
    # tunnels: the section's traction on every cut across them (kmc.resolved.walls.wall_traction_MPa's
    # rule, the cuts' arcs solved in one call)
    for ax in (0, 1):
        if not (axis == ax).any():
            continue
        own = walls.tunnel_cells(ax)
        g, p, out = _lines(np.where(own, gap_um, 0.0), ax), _lines(pore_um, ax), _lines(traction, ax)
        rows, starts, widths, area = line_walls(g, p, h)
        pulls = laplace_traction_MPa(surface_energy_J_m2, chord_curvature_per_um(widths * h, area))
        out[_run_cells(rows, starts, widths, g.shape[1])] = np.repeat(pulls, widths)
    # compact voids: the cap of the footprint, blended toward the tunnel of its width by chi
    compact = axis == COMPACT
    per_void = np.zeros(n)
    if compact.any():
        length, chi = shapes(reg, open_cells)
        length, chi, v = length[compact], chi[compact], volume[compact]
        base = np.sqrt(count[compact] * h * h / math.pi)
        kappa = np.zeros(n)
        kappa[compact] = (chi * cap_curvature_per_um(base, v)
                          + (1 - chi) * chord_curvature_per_um(chi * length, v / length))
        per_void = laplace_traction_MPa(surface_energy_J_m2, kappa)
    # holes the metal spans: no wall volume over an open pore
    spanned = (volume <= 0) & has_pore
    _scatter_walls(reg.labels, compact, per_void, spanned, traction, held)
    return walls


@njit(cache=True)
def void_sums(labels, gap_um, pore_um, count):
    """Per void (``labels``' regions), over its cells in the cells' order (numpy's bincount's, so the same sums):
    the metal's height over the envelope (gap - pore) summed, its cells, and whether any lies over an open pore."""
    metal, cells, over_pore = np.zeros(count), np.zeros(count), np.zeros(count, np.bool_)
    nz, nx = labels.shape
    for z in range(nz):
        for x in range(nx):
            k = labels[z, x]
            if k < 0:
                continue
            metal[k] += gap_um[z, x] - pore_um[z, x]
            cells[k] += 1.0
            if pore_um[z, x] > 0:
                over_pore[k] = True
    return metal, cells, over_pore


@njit(cache=True)
def _scatter_walls(labels, compact, per_void, spanned, traction, held):
    """Onto the cells of every void: a compact void's traction (``per_void``; a tunnel's cuts wrote their own) and
    whether it is a hole the metal spans."""
    nz, nx = labels.shape
    for z in range(nz):
        for x in range(nx):
            k = labels[z, x]
            if k < 0:
                continue
            if compact[k]:
                traction[z, x] = per_void[k]
            held[z, x] = spanned[k]


def wall_change_limit_s(walls: AreaWalls, gap_um: np.ndarray, pore_um: np.ndarray, closing_um_s: np.ndarray,
                        cell_um: float, pressure_MPa: float, stress_exponent: float, mullins_um4_s: float) -> float:
    """The longest time over which, at closing velocities ``closing_um_s``, no wall changes by more than the
    press's limit allows (kmc.resolved.assembly.wall_interval_s, the section's rule, at the press's
    ``pressure_MPa``, the metal's ``stress_exponent`` and the surface's ``mullins_um4_s``): every cut across a
    tunnel by its area (floor 0.01 um x its chord; surface diffusion at its contact lines, its two end cells), a
    compact void by its volume (floor 0.01 um x its footprint; surface diffusion of its footprint in Mullins' time,
    kmc.resolved.area_shapes), each at its own traction.  inf: nothing changes."""
    h, reg = cell_um, walls.regions
    dt = math.inf
    if reg.count == 0:
        return dt
    open_cells = reg.labels >= 0
    lab = reg.labels[open_cells]
    compact = walls.tunnel_axis == COMPACT
    if compact.any():
        change = np.bincount(lab, closing_um_s[open_cells], reg.count) * h * h
        footprint = np.bincount(lab, minlength=reg.count) * h * h
        traction = np.zeros(reg.count)
        traction[lab] = walls.traction_MPa[open_cells]           # one per compact void (its cells share it)
        ok = compact & (change > 0)
        if ok.any():
            # its footprint's radius relaxes in Mullins' time a^4 / B (kmc.physics.surface.reshaping_time_s)
            mullins_s = (footprint[ok] / math.pi) ** 2 / mullins_um4_s if mullins_um4_s > 0 else math.inf
            dt = min(dt, float(np.min(wall_interval_s(walls.volume_um3[ok], 0.01 * footprint[ok], change[ok],
                                                      traction[ok], mullins_s, pressure_MPa, stress_exponent))))
    for ax in (0, 1):
        if not (walls.tunnel_axis == ax).any():
            continue
        own = walls.tunnel_cells(ax)
        rows, starts, widths, area = line_walls(_lines(np.where(own, gap_um, 0.0), ax), _lines(pore_um, ax), h)
        change = line_run_sums(np.ascontiguousarray(_lines(closing_um_s, ax), dtype=float), rows, starts, widths) * h
        ok = change > 0
        if ok.any():
            r, first, w = rows[ok], starts[ok], widths[ok]
            traction = _lines(walls.traction_MPa, ax)[r, first]          # a cut's cells share its pull
            # its contact lines at its two end cells, the thinner metal the faster
            metal = _lines(gap_um - pore_um, ax)
            n = metal.shape[1]
            edge = np.minimum(metal[r, first % n], metal[r, (first + w - 1) % n])
            dt = min(dt, float(np.min(wall_interval_s(area[ok], 0.01 * w * h, change[ok], traction,
                                                      edge_crossing_time_s(edge, h, mullins_um4_s), pressure_MPa,
                                                      stress_exponent))))
    return dt


def grow_tunnels(walls: AreaWalls, gap, new_gap, pore, rim_fill, capture_um_s, closing_um_s, dt: float,
                 cell_um: float, mullins_um4_s: float, cap: VoidCap, rim_retreat=None) -> None:
    """Capture and the roof's closing on every cut across a tunnel (kmc.resolved.walls.grow, the
    section's rule, with its rim pin ``rim_retreat`` per cell, None: none), into ``new_gap`` (its tunnel
    cells, and the contact cells their walls open); ``rim_fill`` updated in place.  Other voids' cells
    are met as voids (a wall rises there)."""
    for ax in (0, 1):
        if not (walls.tunnel_axis == ax).any():
            continue
        own = _lines(walls.tunnel_cells(ax), ax)
        g, p, fill, c, v, out = [_lines(a, ax) for a in (gap, pore, rim_fill, capture_um_s, closing_um_s, new_gap)]
        grown = np.array(g, dtype=float)
        grow_lines(g, p, fill, own, c, v, grown, dt, cell_um, mullins_um4_s, cap, None,
                   None if rim_retreat is None else _lines(rim_retreat, ax))
        # its own cells, and what its walls opened (cells that were contact: not another void's)
        took = own | ((grown != g) & (g == 0))
        out[took] = grown[took]


def relax_tunnels(gap, pore, rim_fill, dt: float, cell_um: float, cap: VoidCap,
                  mullins_um4_s: float, rewet=None) -> list[tuple[tuple[int, int], float]]:
    """Surface diffusion on every cut across a tunnel of ``gap`` (kmc.resolved.walls.relax, the
    section's rule), in place; the tunnels are those of ``gap`` as it is (the cells the step's growth
    opened included, as the section relaxes each run as it stands).  ``rewet`` (2, *gap.shape): the
    section's ``rewet`` of the cuts along axis 0 and along axis 1 (a cell can end a cut of each),
    in place; a cell not on a tunnel of an axis keeps none on it (None: none kept).  Returns the cuts
    too narrow for a cell as ((row, column), volume um^3 of that cell) for the sub-grid nuclei."""
    shrunk = []
    if mullins_um4_s <= 0 or not (gap > 0).any():
        return shrunk
    reg = label_regions(gap > 0)
    walls = AreaWalls(reg, _tunnel_axes(reg), np.zeros(reg.count), np.zeros(0), np.zeros(0))
    for ax in (0, 1):
        if not (walls.tunnel_axis == ax).any():
            if rewet is not None:
                rewet[ax] = 0.0
            continue
        own = _lines(walls.tunnel_cells(ax), ax)
        g = _lines(gap, ax)
        cuts = np.where(own, g, 0.0)
        wet = None if rewet is None else _lines(rewet[ax], ax)
        if wet is not None:
            wet[~own] = 0.0
        gone = relax_lines(cuts, _lines(pore, ax), _lines(rim_fill, ax), dt, cell_um, cap, mullins_um4_s,
                           rewet=wet)
        keep = ~((g > 0) & ~own)                    # another void's cells are not these cuts'
        g[keep] = cuts[keep]
        shrunk += [((r, cell) if ax == 0 else (cell, r), volume) for (r, cell), volume in gone]
    return shrunk
