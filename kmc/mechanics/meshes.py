"""Triangle meshes for the creep solver (scikit-fem ``MeshTri``), lengths in um.

* ``foil_mesh``: a section of the foil, 0 <= x <= width, 0 <= y <= thickness, the electrolyte
  at y = 0.  Elements are ``interface_size`` wide along the interface (the contact map's
  resolution), and grow away from it: ``rows_per_level`` rows of square-ish cells at each size,
  then a transition row that doubles the lateral spacing (each coarse cell sits on two fine ones),
  up to a largest size.  Grading toward the interface is where the void edges' singular fields are.
* ``annulus_mesh``: a quarter annulus a <= R <= b (the sphere's or cylinder's wall), radial spacing
  geometric toward the cavity.
* ``tensor_mesh``: a rectangle on given node lines (graded toward a punch corner by the caller).
"""
from __future__ import annotations

import math

import numpy as np
from skfem import MeshTri, MeshTri2


def _level_spacings(width: float, interface_size: float, largest_size: float) -> list[float]:
    cells = width / interface_size
    if abs(cells - round(cells)) > 1e-9 * cells:
        raise ValueError(f"foil mesh: width {width} um is not a whole number of interface cells of "
                         f"{interface_size} um; allowed: width / interface_size an integer")
    n0 = int(round(cells))
    sizes = [interface_size]
    while n0 % (2 ** len(sizes)) == 0 and interface_size * 2 ** len(sizes) <= largest_size:
        sizes.append(interface_size * 2 ** len(sizes))
    return sizes


def foil_rows(width: float, thickness: float, interface_size: float, rows_per_level: int = 3,
              largest_size: float | None = None) -> list[tuple[float, int]]:
    """(y, level) of each node row from the interface (y = 0) to the plunger (y = thickness);
    level k rows hold nodes every interface_size * 2^k."""
    largest = thickness / 4 if largest_size is None else largest_size
    sizes = _level_spacings(width, interface_size, max(largest, interface_size))
    rows = [(0.0, 0)]
    y, level = 0.0, 0
    while True:
        h = sizes[level]
        placed = 0
        while placed < rows_per_level or level == len(sizes) - 1:
            if y + 1.5 * h >= thickness:          # the last row: stretched or shrunk onto the plunger
                rows.append((thickness, level))
                return rows
            y += h
            rows.append((y, level))
            placed += 1
        if y + h + 1.5 * sizes[level + 1] >= thickness:
            sizes = sizes[:level + 1]             # no room to coarsen further: finish at this size
            continue
        y += h                                    # a 2-to-1 transition row one fine cell higher
        level += 1
        rows.append((y, level))


def foil_mesh(width: float, thickness: float, interface_size: float, rows_per_level: int = 3,
              largest_size: float | None = None) -> MeshTri:
    """The graded section mesh (see the module docstring)."""
    if not (width > 0 and thickness > 0 and interface_size > 0):
        raise ValueError(f"foil mesh: width {width}, thickness {thickness}, interface_size {interface_size}: "
                         "all must be > 0")
    rows = foil_rows(width, thickness, interface_size, rows_per_level, largest_size)
    n0 = int(round(width / interface_size))
    points, row_ids = [], []
    for y, level in rows:
        n = n0 // 2 ** level
        start = len(points)
        points.extend((width * j / n, y) for j in range(n + 1))
        row_ids.append(np.arange(start, start + n + 1))
    tris = []
    for (_, lb), (_, lt), b, t in zip(rows[:-1], rows[1:], row_ids[:-1], row_ids[1:]):
        if lt == lb:
            for j in range(len(b) - 1):
                if j % 2 == 0:
                    tris += [(b[j], b[j + 1], t[j + 1]), (b[j], t[j + 1], t[j])]
                else:
                    tris += [(b[j], b[j + 1], t[j]), (b[j + 1], t[j + 1], t[j])]
        else:                                      # 2-to-1 transition
            for jj in range(len(t) - 1):
                b0, b1, b2 = b[2 * jj], b[2 * jj + 1], b[2 * jj + 2]
                tris += [(b0, b1, t[jj]), (b1, t[jj + 1], t[jj]), (b1, b2, t[jj + 1])]
    return MeshTri(np.array(points, float).T, np.array(tris, np.int64).T)


def annulus_mesh(inner_radius: float, outer_radius: float, radial_cells: int, angular_cells: int) -> MeshTri2:
    """Quarter annulus in the first quadrant, node radii geometric from the inner radius; quadratic
    (isoparametric) triangles whose edge midpoints sit at the mean radius and angle of their ends,
    so the circles are followed to O(h^3) (straight edges would make the cavity a polygon whose
    area is short by (pi/2/angular_cells)^2 / 6, 0.16 % at 16 cells)."""
    radii = inner_radius * (outer_radius / inner_radius) ** (np.arange(radial_cells + 1) / radial_cells)
    angles = np.linspace(0.0, math.pi / 2, angular_cells + 1)
    rr, aa = np.meshgrid(radii, angles, indexing="ij")
    points = np.vstack([(rr * np.cos(aa)).ravel(), (rr * np.sin(aa)).ravel()])
    points[:, np.isclose(aa.ravel(), math.pi / 2)] *= np.array([[0.0], [1.0]])   # exactly on the axis
    idx = np.arange(points.shape[1]).reshape(rr.shape)
    tris = []
    for i in range(radial_cells):
        for j in range(angular_cells):
            a, b, c, d = idx[i, j], idx[i + 1, j], idx[i + 1, j + 1], idx[i, j + 1]
            tris += [(a, b, c), (a, c, d)] if (i + j) % 2 == 0 else [(a, b, d), (b, c, d)]
    quadratic = MeshTri2.from_mesh(MeshTri(points, np.array(tris, np.int64).T))
    ends = quadratic.p[:, quadratic.facets]                                  # (2, 2, facets)
    radius = np.hypot(ends[0], ends[1]).mean(axis=0)
    phi = np.arctan2(ends[1], ends[0]).mean(axis=0)               # the facet's polar coordinate
    doflocs = quadratic.doflocs.copy()
    doflocs[:, quadratic.nvertices:] = radius * np.array([np.cos(phi), np.sin(phi)])
    doflocs[0, quadratic.nvertices:][np.isclose(phi, math.pi / 2)] = 0.0
    return MeshTri2(doflocs, quadratic.t)


def graded_line(length: float, finest: float, growth: float, focus: float = 0.0) -> np.ndarray:
    """Node coordinates on [0, length] with spacing ``finest`` at ``focus`` growing geometrically
    by ``growth`` away from it (both sides)."""
    def side(span):
        if span <= 0:
            return np.zeros(1)
        pts, h = [0.0], finest
        while pts[-1] + h < span:
            pts.append(pts[-1] + h)
            h *= growth
        if span - pts[-1] < 0.3 * h / growth and len(pts) > 1:
            pts[-1] = span
        else:
            pts.append(span)
        return np.array(pts)
    left = focus - side(focus)[::-1]
    right = focus + side(length - focus)
    return np.unique(np.concatenate([left, right]))


def tensor_mesh(x_nodes: np.ndarray, y_nodes: np.ndarray) -> MeshTri:
    return MeshTri.init_tensor(np.asarray(x_nodes, float), np.asarray(y_nodes, float))
