"""Coalescence: voids whose footprints touch on the periodic square merge into one of their summed
volume, until no footprints overlap."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from kmc.cell.inputs import CellInputs
from kmc.disc.kinetics import FLAT_VOLUME, void_volume_um3


@njit(cache=True)
def _touching_pairs(x, y, r, width):
    """Pairs of voids whose footprints overlap (periodic square).  A cell list of side ~2 mean
    radii, no more cells than voids, counting-sorted so that a column of cells is one run of the
    sorted arrays; each pair is found from its larger void (ties: the lower index), which scans
    the cells within twice its radius, so one wide void costs its own area, not every pair's.
    Pairs come in cell order (_merge_components does not depend on their order)."""
    n = x.size
    out_i = np.empty(0, np.int64)
    if n < 2:
        return out_i, out_i
    rmean = 0.0
    for i in range(n):
        rmean += r[i]
    rmean /= n
    ncell = max(1, min(int(math.sqrt(n)) + 1, int(width / (2 * max(rmean, 1e-9)))))
    side = width / ncell
    cell = np.empty(n, np.int64)
    counts = np.zeros(ncell * ncell + 1, np.int64)
    for i in range(n):
        cx = min(int(x[i] / side), ncell - 1)
        cy = min(int(y[i] / side), ncell - 1)
        cell[i] = cx * ncell + cy
        counts[cell[i] + 1] += 1
    start = np.cumsum(counts)
    fill = start[:-1].copy()
    order = np.empty(n, np.int64)
    for i in range(n):            # counting sort by cell: O(n)
        order[fill[cell[i]]] = i
        fill[cell[i]] += 1
    xs = x[order]
    ys = y[order]
    rs = r[order]
    cap = 64
    pi_ = np.empty(cap, np.int64)
    pj_ = np.empty(cap, np.int64)
    m = 0
    for p in range(n):
        a = order[p]
        ra = rs[p]
        xa = xs[p]
        ya = ys[p]
        ca = cell[a]
        cxa = ca // ncell
        cya = ca - cxa * ncell
        reach = int(2 * ra / side) + 1
        if 2 * reach + 1 >= ncell:
            x0, x1, y0, y1 = 0, ncell - 1, 0, ncell - 1
            wrap = False
        else:
            x0, x1, y0, y1 = cxa - reach, cxa + reach, cya - reach, cya + reach
            wrap = True
        for gx in range(x0, x1 + 1):
            ux = gx
            if wrap:
                if ux < 0:
                    ux += ncell
                elif ux >= ncell:
                    ux -= ncell
            row = ux * ncell
            # the column's cells y0..y1 are contiguous in the sorted order: at most two runs (wrap)
            for run in range(2):
                if run == 0:
                    lo_c, hi_c = max(y0, 0), min(y1, ncell - 1)
                elif y0 < 0:
                    lo_c, hi_c = y0 + ncell, ncell - 1
                elif y1 >= ncell:
                    lo_c, hi_c = 0, y1 - ncell
                else:
                    break
                for q in range(start[row + lo_c], start[row + hi_c + 1]):
                    rb = rs[q]
                    if rb > ra:
                        continue
                    b = order[q]
                    if b == a or (rb == ra and b < a):
                        continue
                    ddx = abs(xa - xs[q])
                    ddx = min(ddx, width - ddx)
                    ddy = abs(ya - ys[q])
                    ddy = min(ddy, width - ddy)
                    if ddx * ddx + ddy * ddy < (ra + rb) ** 2:
                        if m == cap:
                            cap *= 2
                            pi_ = np.concatenate((pi_, np.empty(cap - m, np.int64)))
                            pj_ = np.concatenate((pj_, np.empty(cap - m, np.int64)))
                        pi_[m] = a
                        pj_[m] = b
                        m += 1
    return pi_[:m], pj_[:m]


@njit(cache=True)
def _merge_components(x, y, r, v, pi_, pj_, width, footprint_power):
    """Union the touching voids; each group becomes one void of the summed volume v whose base
    radius adds as r^p (p = 3 for caps, whose shape fixes r by the volume; p = 2 for kinetic voids,
    whose footprints add), at the volume-weighted centre (minimum image about the largest)."""
    n = x.size
    parent = np.arange(n)
    for k in range(pi_.size):
        a, b = pi_[k], pj_[k]
        while parent[a] != a:
            a = parent[a]
        while parent[b] != b:
            b = parent[b]
        if a != b:   # the root is the group's largest void (ties: lowest index), whatever the pair order
            if r[a] > r[b] or (r[a] == r[b] and a < b):
                parent[b] = a
            else:
                parent[a] = b
    root = np.empty(n, np.int64)
    for i in range(n):
        a = i
        while parent[a] != a:
            a = parent[a]
        root[i] = a
    vol = np.zeros(n)
    rp = np.zeros(n)
    sx = np.zeros(n)
    sy = np.zeros(n)
    for i in range(n):
        g = root[i]
        w = v[i]
        rp[g] += r[i] ** footprint_power
        dx = x[i] - x[g]
        dx -= width * np.round(dx / width)
        dy = y[i] - y[g]
        dy -= width * np.round(dy / width)
        vol[g] += w
        sx[g] += w * dx
        sy[g] += w * dy
    keep = np.flatnonzero(root == np.arange(n))
    nx = (x[keep] + sx[keep] / vol[keep]) % width
    ny = (y[keep] + sy[keep] / vol[keep]) % width
    return nx, ny, rp[keep] ** (1.0 / footprint_power), vol[keep]


def coalesce(x, y, r, v, width, footprint_power=3.0):
    """Merge touching voids until no footprints overlap; returns x, y, r, volumes and the merges."""
    merges = 0
    while True:
        pi_, pj_ = _touching_pairs(x, y, r, width)
        if pi_.size == 0:
            return x, y, r, v, merges
        n_before = x.size
        x, y, r, v = _merge_components(x, y, r, v, pi_, pj_, width, footprint_power)
        merges += n_before - x.size


def coalesce_state(inp: CellInputs, x, y, r, h):
    """coalesce for either void shape; returns x, y, r, h and the merges."""
    flat = inp.void_shape == "kinetic"
    x, y, r, v, merges = coalesce(x, y, r, void_volume_um3(inp, r, h), inp.width_um, 2.0 if flat else 3.0)
    h = v / (FLAT_VOLUME * r ** 2) if flat else r * inp.shape.height_per_radius
    return x, y, r, h, merges
