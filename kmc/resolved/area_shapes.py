"""Surface diffusion on the area's compact voids (kmc.resolved.area; tunnels, voids that wrap around
one axis of the area, take the section's rule on each cut: kmc.resolved.area_walls.relax_tunnels):
each relaxes toward its equilibrium shape in Mullins' time.

* A compact void toward the spherical cap of its wall's volume over the envelope
  (kmc.physics.nucleation.VoidCap at the void's angle: base radius a_eq = (V / k_V)^(1/3)): its
  footprint's radius (of the footprint's area) moves toward a_eq and its metal's heights toward the
  cap's about its centroid, both by exp(-dt / tau), tau = a^4 / B at its footprint radius a.
* A void over an open pore of the face keeps its footprint (the section's pinning: a contact line
  does not cross a pore's rim, kmc.resolved.walls), and its metal's heights over the envelope relax
  toward the cap's heights of its wall's volume over that footprint (toward the flat roof when the
  metal has no volume over the envelope there).  The section lets a void over a pore spread past the
  rim when its cap is wider; on the area such a void keeps its footprint (a simplification:
  docs/area.md section 7).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from kmc.physics.nucleation import VoidCap
from kmc.mechanics.regions import label_regions
from kmc.resolved.area_walls import void_sums


def relax_shapes(gap: np.ndarray, pore: np.ndarray, dt: float, cell_um: float, cap: VoidCap,
                 mullins_um4_s: float) -> None:
    """Relax every compact void of ``gap`` (a (depth, width) array, changed in place) for dt over a face
    with open pores of depth ``pore`` (module docstring)."""
    open_cells = gap > 0
    if not open_cells.any():
        return
    reg = label_regions(open_cells)
    compact = ~reg.wraps.any(axis=1)
    if compact.any():
        _relax_caps(gap, pore, reg, compact, dt, cell_um, cap, mullins_um4_s)


def _cap_heights(base_radius_um: float, distance_um: np.ndarray, cap: VoidCap) -> np.ndarray:
    inside = distance_um < base_radius_um
    out = np.zeros(distance_um.shape)
    out[inside] = cap.height_at(base_radius_um, distance_um[inside])
    return np.maximum(out, 0.0)


def _scaled(heights: np.ndarray, volume_um3: float, h: float) -> np.ndarray:
    total = heights.sum() * h * h
    return heights * (volume_um3 / total) if total > 0 else np.full(heights.shape, volume_um3 / (heights.size * h * h))


def _relax_caps(gap, pore, reg, compact, dt, h, cap: VoidCap, B) -> None:
    """The compact voids toward their caps (module docstring)."""
    n = reg.count
    # per void its metal's height over the envelope summed, its cells and whether it lies over a pore (its rim holds
    # the footprint), as the walls sum them; the open cells in order (np.nonzero's), their voids, their unwrapped
    # places and those summed per void: compiled passes, the sums in the cells' order as bincount adds them
    gap, pore = np.ascontiguousarray(gap, dtype=float), np.ascontiguousarray(pore, dtype=float)
    metal_sum, count, pinned = void_sums(reg.labels, gap, pore, n)
    zz, xx, lab, z, x, sz, sx = _void_cells(reg.labels, reg.image, n)
    volume = metal_sum * h * h
    cz, cx = sz / count, sx / count
    distance = np.hypot(z - cz[lab], x - cx[lab]) * h
    a_now = np.sqrt(count * h * h / math.pi)
    f = np.exp(-dt * B / a_now ** 4)
    a_eq = (np.maximum(volume, 0.0) / cap.volume_per_radius3) ** (1 / 3)
    a_new = a_eq + (a_now - a_eq) * f
    n_new = np.maximum(1, np.rint(math.pi * a_new ** 2 / (h * h))).astype(int)
    changing = compact & ~pinned & (n_new != count.astype(int))
    # the voids that keep their footprint: the profile toward the cap over it
    keep = compact[lab] & ~changing[lab]
    if keep.any():
        k = lab[keep]
        radius = a_now[k] + 0.5 * h
        d = distance[keep]
        heights = np.zeros(k.size)
        inside = d < radius
        heights[inside] = np.maximum(cap.height_at(radius[inside], d[inside]), 0.0)
        total = np.bincount(k, heights, n) * h * h
        # the cap's heights scaled to the void's volume (flat if its cells hold no cap at all)
        held = np.maximum(volume[k], 0.0)
        target = np.where(total[k] > 0, heights * held / np.where(total[k] > 0, total[k], 1.0),
                          held / (count[k] * h * h))
        cells = (zz[keep], xx[keep])
        p = pore[cells]
        gap[cells] = p + target + (gap[cells] - p - target) * f[k]
    if changing.any():
        by_void, bounds = _grouped(lab, n)
        for k in np.flatnonzero(changing):
            cells = by_void[bounds[k]:bounds[k + 1]]
            _reshape_cap(gap, reg, k, (zz[cells], xx[cells]), (cz[k], cx[k]), int(n_new[k]), volume[k], h, cap)


@njit(cache=True)
def _void_cells(labels, image, n):
    """The open cells in order (np.nonzero's): their rows, columns, voids and unwrapped places (z + image_z * depth,
    x + image_x * width), and per void the unwrapped places summed (as bincount adds them)."""
    nz, nx = labels.shape
    m = 0
    for z in range(nz):
        for x in range(nx):
            if labels[z, x] >= 0:
                m += 1
    zz, xx, lab = np.empty(m, np.int64), np.empty(m, np.int64), np.empty(m, np.int64)
    uz, ux = np.empty(m, np.int64), np.empty(m, np.int64)
    sz, sx = np.zeros(n), np.zeros(n)
    i = 0
    for z in range(nz):
        for x in range(nx):
            k = labels[z, x]
            if k < 0:
                continue
            zz[i], xx[i], lab[i] = z, x, k
            uz[i] = z + image[z, x, 0] * nz
            ux[i] = x + image[z, x, 1] * nx
            sz[k] += float(uz[i])
            sx[k] += float(ux[i])
            i += 1
    return zz, xx, lab, uz, ux, sz, sx


@njit(cache=True)
def _grouped(labels, count):
    """The indices of ``labels`` (each in 0 .. count - 1) grouped by label, in index order within each group
    (np.argsort(labels, kind="stable"), by counting: O(N)), and where each group starts (count + 1 bounds)."""
    bounds = np.zeros(count + 1, np.int64)
    for lab in labels:
        bounds[lab + 1] += 1
    for k in range(count):
        bounds[k + 1] += bounds[k]
    at = bounds[:-1].copy()
    order = np.empty(labels.size, np.int64)
    for i in range(labels.size):
        order[at[labels[i]]] = i
        at[labels[i]] += 1
    return order, bounds


def _reshape_cap(gap, reg, k, own_cells, centre, cells_wanted, volume_um3, h, cap: VoidCap) -> None:
    """Void k's footprint (its cells ``own_cells``) to ``cells_wanted`` cells nearest its centroid (not
    into another void nor next to one: voids meet by growth, not by relaxation), the cap's profile of
    its volume over it.  Works in a window around the centroid (one cell wider, to see the neighbours)."""
    nz, nx = gap.shape
    a = math.sqrt(cells_wanted * h * h / math.pi)
    reach = int(math.ceil(a / h)) + 2
    cz, cx = centre
    zr = np.arange(int(math.floor(cz)) - reach - 1, int(math.ceil(cz)) + reach + 2)
    xr = np.arange(int(math.floor(cx)) - reach - 1, int(math.ceil(cx)) + reach + 2)
    labels = reg.labels[np.ix_(zr % nz, xr % nx)]
    other = (labels >= 0) & (labels != k)
    near_other = other[1:-1, 1:-1] | other[:-2, 1:-1] | other[2:, 1:-1] | other[1:-1, :-2] | other[1:-1, 2:]
    own = labels[1:-1, 1:-1] == k
    Z, X = np.meshgrid(zr[1:-1], xr[1:-1], indexing="ij")
    allowed = own | ~near_other
    dist = np.hypot(Z - cz, X - cx) * h
    candidates = np.flatnonzero(allowed.ravel())
    order = candidates[np.argsort(dist.ravel()[candidates], kind="stable")][:cells_wanted]
    if order.size == 0:
        return
    gap[own_cells] = 0.0
    chosen = (Z.ravel()[order] % nz, X.ravel()[order] % nx)
    radius = math.sqrt(order.size * h * h / math.pi)
    gap[chosen] = _scaled(_cap_heights(radius + 0.5 * h, dist.ravel()[order], cap), volume_um3, h)
