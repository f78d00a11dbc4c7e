"""Neighbour lookup for compiled kernels: the one place that relates a site index to its layer and
its first neighbours.

Sites are numbered layer by layer from L1 (layer 0, touching the electrolyte) downwards, so
``layer = s // sites_per_layer``.  A [001] box needs no neighbour table (32 bytes per site): site
s = layer*spl + iy*nx + ix, and the neighbour in slot d = 4*down + 2*sx + sy lies in layer
layer -+ 1 at x = ix + sx - (layer odd), y = iy + sy - (layer odd), wrapped (the even layers, L1
among them, sit on the body-centre sublattice).  Other orientations carry their table
(``neighbours``, -1 where the slab ends); an empty table means [001] arithmetic.

A site's "frame" (s, layer, layer above, layer below, y0, y1, x0, x1) holds what naming its
neighbours needs (-1: no layer there); a neighbour's frame follows from it without a division.
With a table only s and its layer are used.

The interior offsets: away from the box edges a [001] neighbour is the site index plus an offset
that depends only on the slot and the layer's parity; the engine's fast path names neighbours by
them.  At the edges the offset also depends on which edges the site lies on (its seam class, one
byte per site), and a 16 x 2 x 8 table of offsets serves every site (``seam_step``).
``lattices.bcc`` builds its [001] neighbour table (for output files and analysis) with these same
kernels.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
from lattices.jit import compiled as _compiled

compiled = _compiled()

# What kernels need to name neighbours (numba passes a namedtuple of arrays at no cost to an
# inlined helper; to a call, every array is its pointers, sizes, shape and strides).
#   neighbours   int32 (n_sites, 8) table, or (0, 8) for [001] arithmetic
#   table        neighbours is a table (not [001] arithmetic), for frame and neighbour_frame
#   opposite     int32 (8,): slot of the reverse vector, nbr[nbr[s, d], opposite[d]] == s
#   l1_second    int32 (sites_per_layer, k): L1 second neighbours (distance a) lying in L1, -1 padded
#   l1_third     int32 (sites_per_layer, k3): the same for L1 third neighbours (a sqrt2)
#   hop_reach    int64 (2, 8, HOP_REACH_SITES, 4): event_reach_offsets ([001]; empty with a table)
#   second_via   int64 (8, 8): second_step_via, which of a site's neighbours also neighbour the
#                site two steps away along slots a then b
#   seam         Seam (seam_geometry): the wrap of every [001] site's neighbours, for the fast
#                path at the box edges (empty arrays with a table and in boxes narrower than
#                SEAM_MIN_CELLS)
#   l1_open      uint8 (sites_per_layer,): 1 where no electrolyte lies above the L1 site (a pore of the
#                electrolyte's face, kmc.pore), 0 under the electrolyte (all 0 in a second-moment
#                periodic bulk box, which so shares the pore's compilation); or None where no L1 site
#                is open (the perfect interface, the bond form): then every kernel is compiled without
#                the pore's checks (at_pore_mouth, a compile-time choice).  An open L1 site is no contact:
#                its metal is a free surface (in_contact)
Geometry = namedtuple("Geometry", ["neighbours", "table", "nx", "ny", "sites_per_layer", "n_layers", "wrap_z",
                                   "opposite", "l1_second", "l1_third", "hop_reach", "second_via", "seam", "l1_open"])
# Geometry.seam:
#   site_class      uint8 per site: seam_classes (a byte per site: computing the class from the
#                   site index takes a division, and cost the seam path more than the load)
#   offset          int64 (SEAM_CLASSES, 2, 8): seam_offsets
#   reach_path      int64 (2, 8, HOP_REACH_SITES, 3): event_reach_paths
Seam = namedtuple("Seam", ["site_class", "offset", "reach_path"])

# Slots of a site's frame (see above): the site, its layer, the layers above and below (-1: none),
# and the rows and columns of its neighbours ([001]; unused with a table).
F_SITE, F_LAYER, F_ABOVE, F_BELOW, F_Y0, F_Y1, F_X0, F_X1 = range(8)
# Columns of a Geometry.hop_reach row (event_reach_offsets): the site's offset from v, its layer's
# parity, whether it is far, and for a far site the bit mask of the near rows it neighbours.
REACH_OFFSET, REACH_ODD, REACH_FAR, REACH_NEAR_MASK = range(4)


@compiled
def frame_at(layer, iy, ix, nx, ny, spl, n_layers, wrap_z):
    """Frame of the [001] site at (layer, iy, ix)."""
    odd = layer & 1
    x0 = ix - odd
    if x0 < 0:
        x0 = nx - 1
    x1 = ix + 1 - odd
    if x1 == nx:
        x1 = 0
    y0 = iy - odd
    if y0 < 0:
        y0 = ny - 1
    y1 = iy + 1 - odd
    if y1 == ny:
        y1 = 0
    up = layer - 1
    if up < 0:
        up = n_layers - 1 if wrap_z else -1
    down = layer + 1
    if down == n_layers:
        down = 0 if wrap_z else -1
    return (layer * spl + iy * nx + ix, layer, up, down, y0, y1, x0, x1)


@compiled
def frame(s, table, nx, ny, spl, n_layers, wrap_z):
    """Frame of site s; ``table``: the box has a neighbour table (then only s and its layer are
    used).  A flag, not the table: passed to a call, the table is nine values."""
    s = np.int64(s)
    layer = s // spl
    if table:
        return (s, layer, 0, 0, 0, 0, 0, 0)
    r = s - layer * spl
    iy = r // nx
    return frame_at(layer, iy, r - iy * nx, nx, ny, spl, n_layers, wrap_z)


@compiled
def neighbour_001(f, d, nx, spl):
    """[001] arithmetic: first neighbour in slot d of the site with frame f, or -1 where the slab ends."""
    layer = f[2] if d < 4 else f[3]
    if layer < 0:
        return -1
    return layer * spl + (f[5] if d & 1 else f[4]) * nx + (f[7] if d & 2 else f[6])


@compiled
def neighbour(f, d, nbr, nx, spl):
    """First neighbour in slot d of the site with frame f, or -1 where the slab ends."""
    if nbr.shape[0] != 0:
        return np.int64(nbr[f[0], d])
    return neighbour_001(f, d, nx, spl)


@compiled
def neighbour_layer(f, d, n, nbr, spl):
    """Layer of n, the (existing) neighbour in slot d of the site with frame f."""
    if nbr.shape[0] != 0:
        return n // spl
    return f[2] if d < 4 else f[3]


@compiled
def at_pore_mouth(s, l1_open):
    """True when the L1 site s lies at a pore's mouth (Geometry.l1_open).  ``l1_open`` None (no site
    open) is a compile-time choice: numba drops the branch and the load, so the perfect interface
    runs the code of before the pore (issue 64)."""
    if l1_open is None:
        return False
    return l1_open[np.uint64(s)] != 0


@compiled
def in_contact(s, spl, l1_open):
    """True when site s is an L1 site under the electrolyte: L1 (s < spl) and not at a pore's mouth
    (at_pore_mouth).  Only such sites carry the interface's terms, current and contact."""
    return s < spl and not at_pore_mouth(s, l1_open)


@compiled
def neighbour_frame(f, d, n, table, nx, ny, spl, n_layers, wrap_z):
    """Frame of n, the (existing) neighbour in slot d of the site with frame f (``table`` as in
    frame)."""
    if table:
        return (n, n // spl, 0, 0, 0, 0, 0, 0)
    return frame_at(f[2] if d < 4 else f[3], f[5] if d & 1 else f[4], f[7] if d & 2 else f[6],
                    nx, ny, spl, n_layers, wrap_z)


@compiled
def neighbour_sites(f, nbr, nx, spl):
    """The 8 first neighbours of the site with frame f (-1 where the slab ends), as a tuple."""
    return (neighbour(f, 0, nbr, nx, spl), neighbour(f, 1, nbr, nx, spl), neighbour(f, 2, nbr, nx, spl),
            neighbour(f, 3, nbr, nx, spl), neighbour(f, 4, nbr, nx, spl), neighbour(f, 5, nbr, nx, spl),
            neighbour(f, 6, nbr, nx, spl), neighbour(f, 7, nbr, nx, spl))


@compiled
def interior_offset(odd, d, nx, spl):
    """Neighbour in slot d minus the site index, for a [001] site on a layer of parity odd whose
    neighbours do not wrap."""
    return (spl if d >= 4 else -spl) + ((d & 1) - odd) * nx + (((d >> 1) & 1) - odd)


# The seam: from an even layer a [001] step moves x and y by 0 or +1, from an odd one by 0 or -1
# (see above), so a step wraps in x only from x = nx - 1 (even layers) or x = 0 (odd layers), in
# y likewise, and in z (a box periodic in z) only up from layer 0 or down from the last layer.
# A site's seam class says which of these edges it lies on; with it, one offset per (class,
# parity, slot) names every neighbour.
SEAM_X, SEAM_Y, SEAM_UP, SEAM_DOWN = 1, 2, 4, 8
SEAM_CLASSES = 16
# Narrower boxes take no fast path: within two steps of a hop's ends periodic images would
# alias (the same bound as event_reach_offsets')
SEAM_MIN_CELLS = 7


@compiled
def seam_step(s, odd, d, nx, spl, seam):
    """First neighbour in slot d of the [001] site s on a layer of parity odd.  ``seam`` is None
    where no neighbour of s wraps (a compile-time choice: the interior offset), else
    Geometry.seam (the offset of s's seam class)."""
    if seam is None:
        return s + interior_offset(odd, d, nx, spl)
    return s + seam.offset[seam.site_class[np.uint64(s)], odd, d]


@compiled
def seam_neighbour_sites(s, odd, nx, spl, seam):
    """neighbour_sites of the [001] site s on a layer of parity odd, by seam_step (``seam`` None:
    a site whose neighbours do not wrap)."""
    return (seam_step(s, odd, 0, nx, spl, seam), seam_step(s, odd, 1, nx, spl, seam),
            seam_step(s, odd, 2, nx, spl, seam), seam_step(s, odd, 3, nx, spl, seam),
            seam_step(s, odd, 4, nx, spl, seam), seam_step(s, odd, 5, nx, spl, seam),
            seam_step(s, odd, 6, nx, spl, seam), seam_step(s, odd, 7, nx, spl, seam))


@compiled
def seam_reach_site(v, j, odd_v, path, nx, spl, seam):
    """The site of a Geometry.hop_reach row by its path (a row of Seam.reach_path: from v (0) or
    j (1), then up to two slots), for a hop into v from its neighbour j."""
    s = v if path[0] == 0 else j
    odd = odd_v if path[0] == 0 else 1 - odd_v
    if path[1] >= 0:
        s = seam_step(s, odd, path[1], nx, spl, seam)
        odd = 1 - odd
    if path[2] >= 0:
        s = seam_step(s, odd, path[2], nx, spl, seam)
    return s


@compiled
def fill_neighbours_001(nx, ny, n_layers, wrap_z, first, last, out):
    """out[(s - first*spl), d] = neighbour in slot d of every site of layers first..last-1."""
    spl = nx * ny
    for layer in range(first, last):
        for iy in range(ny):
            for ix in range(nx):
                f = frame_at(layer, iy, ix, nx, ny, spl, n_layers, wrap_z)
                row = f[0] - first * spl
                for d in range(8):
                    out[row, d] = neighbour_001(f, d, nx, spl)


# Sites within two first-neighbour steps of either end of a hop: the two ends and their 14 other
# neighbours (16, "near"), then the 38 sites two steps out ("far").
HOP_REACH_NEAR = 16
HOP_REACH_SITES = 54


def second_step_via(neighbour_vectors: np.ndarray) -> np.ndarray:
    """(8, 8) int64: bit c of [a, b] is set when s + v_c is a first neighbour of s + v_a + v_b (v_d the
    vector of slot d).  Every orientation's slot d is one vector at every site, so this holds for
    every site whose neighbours exist; in a box 2 cells wide a periodic image can make two more
    sites neighbours, which the table does not list (a kernel using it for "handle a site once"
    then handles such a site twice, which changes nothing)."""
    v = np.asarray(neighbour_vectors, dtype=float)
    v = v / np.linalg.norm(v[0])             # unit vectors: the test is scale-free
    first = {tuple(np.round(x, 6)) for x in v}
    out = np.zeros((8, 8), np.int64)
    for a in range(8):
        for b in range(8):
            for c in range(8):
                if tuple(np.round(v[a] + v[b] - v[c], 6)) in first:
                    out[a, b] |= 1 << c
    return out


def event_reach_offsets(nx: int, ny: int, spl: int) -> np.ndarray:
    """For a hop from slot d into a vacancy v on a [001] layer of parity odd, away from the box
    edges: row i of [odd, d] = (offset of site i from v, its layer's parity, 1 if it is far else 0,
    for a far site the bit mask of the near rows it neighbours).  The HOP_REACH_NEAR near rows
    (v, its neighbour j in slot d and their other neighbours) come first, each group in
    increasing offset: every site within two steps of v or j once.  Empty for boxes narrower than
    SEAM_MIN_CELLS, where the seam path's offsets would alias; there kmc.engine.loop.run_chunk takes
    no interior path with the embedding either (event_is_interior accepts some sites of a 6-cell
    box)."""
    if min(nx, ny) < SEAM_MIN_CELLS:
        return np.zeros((2, 8, 0, 4), np.int64)
    out = np.zeros((2, 8, HOP_REACH_SITES, 4), np.int64)
    for odd in (0, 1):
        for d in range(8):
            def around(site):
                s, par = site
                return [(s + int(interior_offset(par, e, nx, spl)), 1 - par) for e in range(8)]
            ends = [(0, odd), (int(interior_offset(odd, d, nx, spl)), 1 - odd)]
            near = sorted(set(ends) | set(around(ends[0])) | set(around(ends[1])))
            far = sorted({n for s in near for n in around(s)} - set(near))
            assert len(near) == HOP_REACH_NEAR and len(near) + len(far) == HOP_REACH_SITES
            rows = [(o, p, 0, 0) for o, p in near]
            for site in far:
                nbrs = set(around(site))
                rows.append((site[0], site[1], 1, sum(1 << i for i, q in enumerate(near) if q in nbrs)))
            out[odd, d] = rows
    return out


def seam_offsets(nx: int, ny: int, n_layers: int) -> np.ndarray:
    """int64 (SEAM_CLASSES, 2, 8): the neighbour in slot d of a site of seam class c on a layer of
    parity odd, minus the site index (the interior offset, wrapped across the edges c names)."""
    spl = nx * ny
    out = np.zeros((SEAM_CLASSES, 2, 8), np.int64)
    for c in range(SEAM_CLASSES):
        for odd in (0, 1):
            for d in range(8):
                off = int(interior_offset(odd, d, nx, spl))
                step_x, step_y = ((d >> 1) & 1) - odd, (d & 1) - odd   # -1, 0 or +1
                if c & SEAM_X:
                    off -= step_x * nx
                if c & SEAM_Y:
                    off -= step_y * spl
                if c & SEAM_UP and d < 4:
                    off += n_layers * spl
                if c & SEAM_DOWN and d >= 4:
                    off -= n_layers * spl
                out[c, odd, d] = off
    return out


def seam_classes(nx: int, ny: int, n_layers: int, wrap_z: bool) -> np.ndarray:
    """Seam.site_class: SEAM_X where a step from the site wraps in x (x = nx - 1 on even layers, 0
    on odd ones), SEAM_Y likewise in y, SEAM_UP on the first layer and SEAM_DOWN on the last of a
    box periodic in z.  Built from the two parities' layers, with no temporary per site."""
    odd = np.arange(2)[:, None, None]
    iy = np.arange(ny)[None, :, None]
    ix = np.arange(nx)[None, None, :]
    plane = (np.where(ix == np.where(odd == 1, 0, nx - 1), SEAM_X, 0)
             | np.where(iy == np.where(odd == 1, 0, ny - 1), SEAM_Y, 0)).astype(np.uint8).reshape(2, nx * ny)
    c = plane[np.arange(n_layers) & 1]
    if wrap_z:
        c[0] |= SEAM_UP
        c[-1] |= SEAM_DOWN
    return c.reshape(-1)


def event_reach_paths(hop_reach: np.ndarray, nx: int, spl: int) -> np.ndarray:
    """int64 (2, 8, HOP_REACH_SITES, 3): for row i of hop_reach[odd, d], a path to its site that
    seam_reach_site follows: from v (0) or from j, v's neighbour in slot d (1), then slot a and
    slot b (-1: no step).  The near rows are v, j or one step from them; a far row one step from a
    near row."""
    out = np.full((2, 8, hop_reach.shape[2], 3), -1, np.int64)

    def off(par, e):
        return int(interior_offset(par, e, nx, spl))

    for odd in (0, 1):
        for d in range(8):
            ends = [(0, odd), (off(odd, d), 1 - odd)]
            paths = {}   # offset -> path, shortest first, v's before j's
            for length in range(3):
                for base, (o0, p0) in enumerate(ends):
                    steps = [()] if length == 0 else [(a,) for a in range(8)] if length == 1 else \
                        [(a, b) for a in range(8) for b in range(8)]
                    for st in steps:
                        o, p = o0, p0
                        for e in st:
                            o, p = o + off(p, e), 1 - p
                        paths.setdefault(o, (base,) + st + (-1,) * (2 - len(st)))
            for i in range(hop_reach.shape[2]):
                out[odd, d, i] = paths[int(hop_reach[odd, d, i, 0])]
    return out


def seam_geometry(nx: int, ny: int, n_layers: int, wrap_z: bool, hop_reach: np.ndarray) -> Seam:
    """Geometry.seam, with empty arrays where the box has no fast path (a table, or narrower than
    SEAM_MIN_CELLS, where hop_reach is empty)."""
    if hop_reach.shape[2] == 0:
        return Seam(np.zeros(0, np.uint8), np.zeros((SEAM_CLASSES, 2, 8), np.int64), np.zeros((2, 8, 0, 3), np.int64))
    return Seam(seam_classes(nx, ny, n_layers, wrap_z), seam_offsets(nx, ny, n_layers),
                event_reach_paths(hop_reach, nx, nx * ny))
