"""Connected regions of an interface area (kmc.resolved.area): the cells of a (depth, width) array on
the torus (periodic in both lateral axes), grouped into regions and measured, in compiled kernels
(numba; the time loop calls them every step on ~1e5 cells).

* ``label_regions``: the 4-connected regions of a mask, each cell's periodic image (so a region that
  crosses an edge has unwrapped coordinates), and whether each region wraps around an axis (a
  tunnel along the depth wraps around the depth axis);
* ``tributaries``: the partition of the plane among *features* (the regions of one phase): every
  cell of the other phase (the *matrix*) goes to its nearest feature (4-neighbour distance; a cell
  equidistant from two features, or from two images of one, is split between them), and every cell
  gets the two distances the mechanics' profiles are read at: to the edge between the phases and
  to the middle (a feature's ridge; the matrix's boundary between tributaries).  On a map uniform
  along the depth these are the section's own cuts (kmc.mechanics.reduced: each void's cell from
  the middle of the island on its left to the middle of the island on its right).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

_UNSET = -1


@njit(cache=True, inline="always")
def _torus_neighbour(z, x, d, nz, nx):
    """The d-th of the four neighbours of cell (z, x) on the torus (d = 0, 1, 2, 3: +z, -z, +x, -x) and
    the periods crossed on the way along each axis (-1 below 0, +1 past the end, else 0)."""
    zz = z + (d == 0) - (d == 1)
    xx = x + (d == 2) - (d == 3)
    cz, cx = 0, 0
    if zz < 0:
        zz += nz
        cz = -1
    elif zz >= nz:
        zz -= nz
        cz = 1
    if xx < 0:
        xx += nx
        cx = -1
    elif xx >= nx:
        xx -= nx
        cx = 1
    return zz, xx, cz, cx


@njit(cache=True)
def _label(mask, labels, image, wraps):
    """4-connected regions of ``mask`` on the torus by breadth-first search: ``labels`` (-1 off the
    mask), each cell's image (z, x) in units of the periods, ``wraps[region, axis]``; returns the
    number of regions."""
    # on flat views, each popped cell's own values read once and the crossing known from the branch that
    # finds the neighbour (the search of before, in the same order: the same labels, images and wraps)
    nz, nx = mask.shape
    n = nz * nx
    ok = mask.ravel()
    lab = labels.ravel()
    img = image.reshape(n, 2)
    queue = np.empty(n, np.int64)
    count = 0
    for start in range(n):
        if not ok[start] or lab[start] >= 0:
            continue
        lab[start] = count
        img[start, 0] = 0
        img[start, 1] = 0
        head, tail = 0, 1
        queue[0] = start
        wz, wx = False, False
        while head < tail:
            c = queue[head]
            head += 1
            z = c // nx
            x = c - z * nx
            oz, ox = img[c, 0], img[c, 1]
            for d in range(4):
                iz, ix = oz, ox
                if d == 0:
                    if z + 1 < nz:
                        nb = c + nx
                    else:
                        nb = c + nx - n
                        iz = oz + 1
                elif d == 1:
                    if z >= 1:
                        nb = c - nx
                    else:
                        nb = c - nx + n
                        iz = oz - 1
                elif d == 2:
                    if x + 1 < nx:
                        nb = c + 1
                    else:
                        nb = c + 1 - nx
                        ix = ox + 1
                else:
                    if x >= 1:
                        nb = c - 1
                    else:
                        nb = c - 1 + nx
                        ix = ox - 1
                if not ok[nb]:
                    continue
                if lab[nb] < 0:
                    lab[nb] = count
                    img[nb, 0] = iz
                    img[nb, 1] = ix
                    queue[tail] = nb
                    tail += 1
                else:
                    if img[nb, 0] != iz:
                        wz = True
                    if img[nb, 1] != ix:
                        wx = True
        wraps[count, 0] = wz
        wraps[count, 1] = wx
        count += 1
    return count


@dataclass
class Regions:
    labels: np.ndarray        # (depth, width) region of each cell, -1 off the mask
    count: int
    image: np.ndarray         # (depth, width, 2) the cell's periodic image (depth, width periods)
    wraps: np.ndarray         # (count, 2) bool: the region wraps around the depth / the width axis
    # what callers measure of these regions, kept with them (label_regions returns the same object for an
    # equal mask: a step's walls and mechanics measure the open cells' regions more than once)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    def sizes(self) -> np.ndarray:
        return np.bincount(self.labels[self.labels >= 0], minlength=self.count)


# the last masks labelled and their regions, newest first: a step (or a press's ask) labels the open cells,
# the contact and the open cells the plunger moves, each several times over
_LAST: list = []
_KEPT = 4


def label_regions(mask: np.ndarray) -> Regions:
    """The 4-connected regions of ``mask`` (a (depth, width) bool array) on the torus (the Regions of
    the last _KEPT masks asked for are kept and returned again for an equal mask: treat them as read-only)."""
    mask = np.ascontiguousarray(mask, dtype=np.bool_)
    for k, (kept, regions) in enumerate(_LAST):
        if kept.shape == mask.shape and np.array_equal(kept, mask):
            _LAST.insert(0, _LAST.pop(k))
            return regions
    labels = np.full(mask.shape, _UNSET, np.int64)
    image = np.zeros(mask.shape + (2,), np.int64)
    wraps = np.zeros((mask.size + 1, 2), np.bool_)
    count = _label(mask, labels, image, wraps)
    out = Regions(labels, int(count), image, wraps[:count].copy())
    _LAST.insert(0, (mask.copy(), out))
    del _LAST[_KEPT:]
    return out


@njit(cache=True)
def _bfs(seeds_dist, allowed, dist, queue):
    """Breadth-first distances (4 neighbours, on the torus) within ``allowed`` from the seeded cells
    (``seeds_dist`` >= 0, the seed's own distance: 0 or 0.5), each step + 1; cells of ``allowed`` keep
    their -1 where unreached (``dist`` is written only there: two searches over disjoint domains can
    share it); ``queue``: scratch of one int64 per cell."""
    nz, nx = allowed.shape
    n = nz * nx
    # on flat views, the neighbours in _torus_neighbour's order (+z, -z, +x, -x): the same search
    ok = allowed.ravel()
    seed = seeds_dist.ravel()
    dst = dist.ravel()
    head, tail = 0, 0
    # seeds at 0 first, then at 0.5, so the queue stays in order of distance
    for level in (0.0, 0.5):
        for c in range(n):
            if ok[c] and seed[c] == level:
                dst[c] = level
                queue[tail] = c
                tail += 1
    while head < tail:
        c = queue[head]
        head += 1
        z = c // nx
        x = c - z * nx
        step = dst[c] + 1.0
        for d in range(4):
            if d == 0:
                nb = c + nx if z + 1 < nz else c + nx - n
            elif d == 1:
                nb = c - nx if z >= 1 else c - nx + n
            elif d == 2:
                nb = c + 1 if x + 1 < nx else c + 1 - nx
            else:
                nb = c - 1 if x >= 1 else c - 1 + nx
            if ok[nb] and dst[nb] < 0:
                dst[nb] = step
                queue[tail] = nb
                tail += 1


@njit(cache=True)
def _nearest_feature(feature, flabel, fimage, fwraps, owner, owner_image, second, dist, queue):
    """Multi-source breadth-first search from every feature cell over the matrix: each matrix cell's
    nearest feature (``owner``, with the image it was reached through), its distance (cells, from
    feature cell centre to cell centre) and ``second``, another feature reached at the same distance
    (or the same feature through another image: -2, images compared only along the axes the
    feature does not wrap around), -1 if none.  On flat views, each popped cell's own values read
    once (the search of before, in the same order: the same answer)."""
    nz, nx = feature.shape
    n = nz * nx
    feat = feature.ravel()
    own = owner.ravel()
    img = owner_image.reshape(n, 2)
    sec = second.ravel()
    dst = dist.ravel()
    lab = flabel.ravel()
    fim = fimage.reshape(n, 2)
    head, tail = 0, 0
    for c in range(n):
        if feat[c]:
            own[c] = lab[c]
            img[c, 0] = fim[c, 0]
            img[c, 1] = fim[c, 1]
            dst[c] = 0.0
            queue[tail] = c
            tail += 1
    while head < tail:
        c = queue[head]
        head += 1
        z = c // nx
        x = c - z * nx
        f = own[c]
        oz, ox = img[c, 0], img[c, 1]
        step = dst[c] + 1.0
        for d in range(4):
            # the neighbour (+z, -z, +x, -x) and the image of the feature seen from it: crossing an edge
            # moves it the other way
            iz, ix = oz, ox
            if d == 0:
                nb = c + nx if z + 1 < nz else c + nx - n
                if z + 1 >= nz:
                    iz = oz - 1
            elif d == 1:
                nb = c - nx if z >= 1 else c - nx + n
                if z < 1:
                    iz = oz + 1
            elif d == 2:
                nb = c + 1 if x + 1 < nx else c + 1 - nx
                if x + 1 >= nx:
                    ix = ox - 1
            else:
                nb = c - 1 if x >= 1 else c - 1 + nx
                if x < 1:
                    ix = ox + 1
            if feat[nb]:
                continue
            if dst[nb] < 0:
                dst[nb] = step
                own[nb] = f
                img[nb, 0] = iz
                img[nb, 1] = ix
                queue[tail] = nb
                tail += 1
            elif dst[nb] == step and sec[nb] == -1:
                if own[nb] != f:
                    sec[nb] = f
                elif ((not fwraps[f, 0] and img[nb, 0] != iz)
                        or (not fwraps[f, 1] and img[nb, 1] != ix)):
                    sec[nb] = -2


@njit(cache=True)
def _middle_seeds(feature, fwraps, owner, owner_image, second, edge, seeds, on_matrix=True):
    """Where the distances to the middle start: on the matrix, the boundary between tributaries (a
    split cell at 0, a cell next to another tributary at 0.5; none with ``on_matrix`` False); in a
    feature, its ridge (a cell whose distance to the edge is a maximum along the depth or the width:
    strict, 0; tied with one neighbour along that axis, 0.5)."""
    nz, nx = feature.shape
    for z in range(nz):
        for x in range(nx):
            seeds[z, x] = -1.0
            if not feature[z, x]:
                if not on_matrix:
                    continue
                if second[z, x] != -1:
                    seeds[z, x] = 0.0
                    continue
                for d in range(4):
                    zz, xx, wz, wx = _torus_neighbour(z, x, d, nz, nx)
                    if feature[zz, xx] or second[zz, xx] != -1:
                        continue
                    # a neighbour of another feature, or of this one through another image
                    # the neighbour's image in this cell's frame (crossing an edge shifts it by one
                    # period), along the axes the feature does not wrap around
                    f = owner[z, x]
                    if (owner[zz, xx] != f
                            or (not fwraps[f, 0] and owner_image[zz, xx, 0] + wz != owner_image[z, x, 0])
                            or (not fwraps[f, 1] and owner_image[zz, xx, 1] + wx != owner_image[z, x, 1])):
                        seeds[z, x] = 0.5
                        break
            else:
                e = edge[z, x]
                best = 1.0
                # the neighbours on the torus (a wrap by hand: the modulo's division was most of this loop)
                zm, zp = (z - 1 if z > 0 else nz - 1), (z + 1 if z + 1 < nz else 0)
                xm, xp = (x - 1 if x > 0 else nx - 1), (x + 1 if x + 1 < nx else 0)
                for axis in range(2):
                    if axis == 0:
                        a, b = edge[zm, x], edge[zp, x]
                        ina, inb = feature[zm, x], feature[zp, x]
                    else:
                        a, b = edge[z, xm], edge[z, xp]
                        ina, inb = feature[z, xm], feature[z, xp]
                    a = a if ina else -1.0
                    b = b if inb else -1.0
                    if e > a and e > b:
                        best = 0.0
                    elif (e == a and e > b) or (e == b and e > a):
                        best = min(best, 0.5)
                if best < 1.0:
                    seeds[z, x] = best


@dataclass
class Tributaries:
    owner: np.ndarray         # (depth, width) the feature each cell belongs to (its own, for a feature cell)
    second: np.ndarray        # the feature a split matrix cell shares half with (-1: none; -2: its owner again)
    edge: np.ndarray          # distance (cells) from the cell's centre to the edge between the phases
    middle: np.ndarray        # distance (cells) from the cell's centre to the middle (ridge / tributary boundary)
    feature_area: np.ndarray  # (features,) cells
    area: np.ndarray          # (features,) cells of each tributary, the feature's own included (split cells halved)


def tributaries(feature: np.ndarray, regions: Regions, matrix_middle: bool = True) -> Tributaries:
    """The partition of the torus among the regions of ``feature`` (module docstring); ``regions``:
    label_regions(feature).  Distances are in cells (centre to centre; the edge lies half a cell
    from the cells on either side of it).  ``matrix_middle`` False: the matrix's distances to the
    middle are not searched (-1 there; a caller that reads only the features' cells and the areas).  Kept with
    ``regions`` (its memo; label_regions returns the same Regions for an equal mask): the press asks again on an
    unchanged map whenever a wall's area, not a closing cell, ended the last interval.  Treat it as read-only."""
    key = ("tributaries", bool(matrix_middle))
    if key in regions.memo:
        return regions.memo[key]
    feature = np.ascontiguousarray(feature, dtype=np.bool_)
    shape = feature.shape
    owner = np.empty(shape, np.int64)
    second = np.empty(shape, np.int64)
    edge = np.empty(shape)
    middle = np.empty(shape)
    n = regions.count
    area = np.zeros(n)
    _tributaries(feature, regions.labels, regions.image, regions.wraps, owner, second, edge, middle, area,
                 matrix_middle, *_scratch(shape))
    regions.memo[key] = Tributaries(owner, second, edge, middle, regions.sizes().astype(float), area)
    return regions.memo[key]


# the searches' working arrays, kept for the last shape asked for: fresh ones each call were a third of a
# call's time on 1e5 cells (the memory's first touch), and the time loop calls it twice a step.  Shared by
# threads safely: the kernel holds the GIL (no nogil), so one call uses them at a time
_SCRATCH: dict = {}


def _scratch(shape):
    if _SCRATCH.get("shape") != shape:
        _SCRATCH.clear()
        _SCRATCH.update(shape=shape, arrays=(np.empty(shape + (2,), np.int64), np.empty(shape), np.empty(shape),
                                              np.empty(shape, np.bool_), np.empty(shape[0] * shape[1], np.int64)))
    return _SCRATCH["arrays"]


@njit(cache=True)
def _tributaries(feature, flabel, fimage, fwraps, owner, second, edge, middle, area, matrix_middle,
                 owner_image, dist_out, seeds, matrix, queue):
    """``tributaries`` in one compiled pass (the numpy steps it replaced, each kernel as before): the
    nearest feature over the matrix, the distance to the edge inside the features (from the cells next
    to the matrix, at 0.5), the middle's seeds and the distances to the middle within the features and
    within the matrix, each tributary's area (split cells halved).  ``owner_image`` ... ``queue``:
    scratch, overwritten."""
    nz, nx = feature.shape
    owner[:] = _UNSET
    second[:] = _UNSET
    owner_image[:] = 0
    dist_out[:] = -1.0
    _nearest_feature(feature, flabel, fimage, fwraps, owner, owner_image, second, dist_out, queue)
    # the distance to the edge inside the features, from their cells next to the matrix (``seeds`` holds
    # those until the middle's seeds replace them); then the matrix's, from the nearest feature's cell
    for z in range(nz):
        zm, zp = (z - 1 if z > 0 else nz - 1), (z + 1 if z + 1 < nz else 0)
        for x in range(nx):
            xm, xp = (x - 1 if x > 0 else nx - 1), (x + 1 if x + 1 < nx else 0)
            edge[z, x] = -1.0
            matrix[z, x] = not feature[z, x]
            if feature[z, x] and (not feature[zm, x] or not feature[zp, x] or not feature[z, xm] or not feature[z, xp]):
                seeds[z, x] = 0.5
            else:
                seeds[z, x] = -1.0
    _bfs(seeds, feature, edge, queue)
    for z in range(nz):
        for x in range(nx):
            if not feature[z, x]:
                edge[z, x] = dist_out[z, x] - 0.5
    _middle_seeds(feature, fwraps, owner, owner_image, second, edge, seeds, matrix_middle)
    # within the features and within the matrix: two searches that never meet (each its own domain, so
    # they share ``middle``)
    middle[:] = -1.0
    _bfs(seeds, feature, middle, queue)
    if matrix_middle:
        _bfs(seeds, matrix, middle, queue)
    # each tributary's area (sums of halves and ones: exact in any order)
    for z in range(nz):
        for x in range(nx):
            f, g = owner[z, x], second[z, x]
            if f < 0:
                continue
            if g >= 0:
                area[f] += 0.5
                area[g] += 0.5
            else:
                area[f] += 1.0
