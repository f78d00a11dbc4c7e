"""Surface diffusion on the area's voids (kmc.resolved.area): each void relaxes toward its equilibrium
shape in Mullins' time, the section's rule (kmc.resolved.interface) for a void of the area:

* a compact void (one that does not wrap around the area) toward the spherical cap of its volume
  (kmc.physics.nucleation.VoidCap: base radius a_eq = (V / k_V)^(1/3) at the void's angle): its
  footprint's radius (of the footprint's area) moves toward a_eq and its gap toward the cap's heights
  about its centroid, both by exp(-dt / tau), tau = a^4 / B at its footprint radius a;
* a tunnel (a void that wraps around one axis: a void uniform along the depth is the section's)
  relaxes across: each of its cuts along the other axis is the section's 2-D void, relaxed by the
  section's rule toward the circular segment of its area (kmc.resolved.interface.cap_profile).

The seam of issue 54 item 3 (the Young angle's contact line and Mullins' relaxation from the section's
new rules in kmc.physics): this module applies what the section applies, on the area.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from kmc.physics.nucleation import VoidCap
from kmc.resolved.interface import cap_profile
from kmc.resolved.regions import label_regions


def relax_shapes(gap: np.ndarray, dt: float, cell_um: float, cap: VoidCap, mullins_um4_s: float) -> None:
    """Relax every void of ``gap`` (a (depth, width) array, changed in place) for dt (module docstring)."""
    open_cells = gap > 0
    if not open_cells.any():
        return
    reg = label_regions(open_cells)
    tunnels = np.flatnonzero(reg.wraps.any(axis=1))
    for k in tunnels:
        axis = 0 if reg.wraps[k, 0] else 1                 # the axis the tunnel runs along
        _relax_tunnel(gap, reg.labels == k, axis, dt, cell_um, cap, mullins_um4_s)
    compact = ~reg.wraps.any(axis=1)
    if compact.any():
        _relax_caps(gap, reg, compact, dt, cell_um, cap, mullins_um4_s)


_UNIT_PROFILES: dict = {}      # (angle, cell) -> rows w: the section's cap profile of w cells and unit area


def _unit_profiles(widest: int, h: float, cap: VoidCap) -> np.ndarray:
    """Row w (1 <= w <= widest): the section's equilibrium 2-D void of w cells and unit area
    (kmc.resolved.interface.cap_profile), zero beyond w; cached and grown as wider voids appear."""
    key = (cap.angle_rad, h)
    table = _UNIT_PROFILES.get(key)
    if table is None or table.shape[0] <= widest:
        size = max(widest + 1, 2 * (0 if table is None else table.shape[0]), 64)
        table = np.zeros((size, size))
        for w in range(1, size):
            table[w, :w] = cap_profile(w, 1.0, h, cap.angle_rad)
        _UNIT_PROFILES[key] = table
    return table


def _relax_tunnel(gap, mask, axis, dt, h, cap: VoidCap, B) -> None:
    """Each cut of a tunnel across its axis, as the section's void (kmc.resolved.interface)."""
    lines = np.ascontiguousarray(gap if axis == 0 else gap.T)
    own = np.ascontiguousarray(mask if axis == 0 else mask.T)
    profiles = _unit_profiles(lines.shape[1], h, cap)
    _relax_cuts(lines, own, dt, h, cap.section_area_per_chord2, B, profiles)
    if axis == 0:
        gap[:] = lines
    else:
        gap[:] = lines.T


@njit(cache=True)
def _relax_cuts(lines, own, dt, h, area_per_w2, B, profiles):
    """The section's relaxation (kmc.resolved.interface.ResolvedInterface._relax_shapes) on every run of
    ``own`` along every row of ``lines`` (periodic rows): width toward the equilibrium segment's of the
    run's area, profile toward ``profiles[width]`` x area, both by exp(-dt / tau), tau = (w/2)^4 / B;
    a run does not widen into another void's cells."""
    rows, n = lines.shape
    for r in range(rows):
        start = -1
        for c in range(n):
            if not own[r, c]:
                start = c
                break
        if start < 0:
            continue                              # the whole row is this void's: nothing to relax across
        c = 0
        while c < n:
            i = (start + c) % n
            if not own[r, i]:
                c += 1
                continue
            w = 0
            while c + w < n and own[r, (start + c + w) % n]:
                w += 1
            s0 = start + c
            area = 0.0
            for k in range(w):
                area += lines[r, (s0 + k) % n]
            area *= h
            w_um = w * h
            f = math.exp(-dt / ((w_um / 2) ** 4 / B))
            w_eq = math.sqrt(area / area_per_w2)
            w_new = min(max(1, int(np.rint((w_eq + (w_um - w_eq) * f) / h))), n)
            if w_new != w:
                new_start = int(np.rint(s0 + 0.5 * w - 0.5 * w_new))
                if w_new > w:
                    for k in range(w_new):
                        j = (new_start + k) % n
                        if lines[r, j] > 0 and (j - s0) % n >= w:       # another void's cell: keep the width
                            new_start, w_new = s0, w
                            break
                for k in range(w):
                    lines[r, (s0 + k) % n] = 0.0
                for k in range(w_new):
                    lines[r, (new_start + k) % n] = profiles[w_new, k] * area
            else:
                for k in range(w):
                    j = (s0 + k) % n
                    target = profiles[w, k] * area
                    lines[r, j] = target + (lines[r, j] - target) * f
            c += w


def _cap_heights(base_radius_um: float, distance_um: np.ndarray, cap: VoidCap) -> np.ndarray:
    inside = distance_um < base_radius_um
    out = np.zeros(distance_um.shape)
    out[inside] = cap.height_at(base_radius_um, distance_um[inside])
    return np.maximum(out, 0.0)


def _scaled(heights: np.ndarray, volume_um3: float, h: float) -> np.ndarray:
    total = heights.sum() * h * h
    return heights * (volume_um3 / total) if total > 0 else np.full(heights.shape, volume_um3 / (heights.size * h * h))


def _relax_caps(gap, reg, compact, dt, h, cap: VoidCap, B) -> None:
    """The compact voids toward their caps (module docstring)."""
    nz, nx = gap.shape
    on = reg.labels >= 0
    zz, xx = np.nonzero(on)
    lab = reg.labels[on]
    z = zz + reg.image[zz, xx, 0] * nz
    x = xx + reg.image[zz, xx, 1] * nx
    n = reg.count
    count = np.bincount(lab, minlength=n).astype(float)
    volume = np.bincount(lab, gap[on], n) * h * h
    cz, cx = np.bincount(lab, z, n) / count, np.bincount(lab, x, n) / count
    distance = np.hypot(z - cz[lab], x - cx[lab]) * h
    a_now = np.sqrt(count * h * h / math.pi)
    f = np.exp(-dt * B / a_now ** 4)
    a_eq = (volume / cap.volume_per_radius3) ** (1 / 3)
    a_new = a_eq + (a_now - a_eq) * f
    n_new = np.maximum(1, np.rint(math.pi * a_new ** 2 / (h * h))).astype(int)
    changing = compact & (n_new != count.astype(int))
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
        target = np.where(total[k] > 0, heights * volume[k] / np.where(total[k] > 0, total[k], 1.0),
                          volume[k] / (count[k] * h * h))
        cells = (zz[keep], xx[keep])
        gap[cells] = target + (gap[cells] - target) * f[k]
    if changing.any():
        by_void = np.argsort(lab, kind="stable")
        bounds = np.searchsorted(lab[by_void], np.arange(n + 1))
        for k in np.flatnonzero(changing):
            cells = by_void[bounds[k]:bounds[k + 1]]
            _reshape_cap(gap, reg, k, (zz[cells], xx[cells]), (cz[k], cx[k]), int(n_new[k]), volume[k], h, cap)


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
