"""BCC lattices cut with a chosen interface normal.

Sites are ordered layer by layer, from the layer touching the electrolyte (layer 0, "L1")
downwards, so ``layer = site // sites_per_layer`` and the L1 sites are ``0 .. sites_per_layer-1``.
x and y are always periodic; z is periodic for a bulk box and open for a slab (the electrolyte
sits above layer 0, the rest of the electrode below the last layer).
Missing neighbours (across an open z face) are -1 in the neighbour table.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lattices.neighbours import Geometry, event_reach_offsets, fill_neighbours_001, seam_geometry, second_step_via

# Orthogonal cells for each interface normal, in cubic-lattice units (a).  The rows are the
# cell's x, y, z axes (z = interface normal) expressed in cubic coordinates; the cell's edge
# lengths are the row norms.  Each cell holds an integer number of BCC sites.
ORIENTATIONS = {
    "001": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    "110": np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]),
}

# First-neighbour vectors of BCC in cubic units: (+-1/2, +-1/2, +-1/2).
_NN_CUBIC = np.array([[sx, sy, sz] for sx in (-0.5, 0.5) for sy in (-0.5, 0.5) for sz in (-0.5, 0.5)])
_SECOND_CUBIC = np.array([[1.0, 0, 0], [-1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0], [0, 0, 1.0], [0, 0, -1.0]])
# third neighbours, <110> a: the 12 vectors at a sqrt2
_THIRD_CUBIC = np.array([[sx, sy, 0.0] for sx in (1, -1) for sy in (1, -1)]
                        + [[sx, 0.0, sz] for sx in (1, -1) for sz in (1, -1)]
                        + [[0.0, sy, sz] for sy in (1, -1) for sz in (1, -1)])


@dataclass(frozen=True)
class Lattice:
    """Site geometry and connectivity of one simulation box.

    positions_A        (n_sites, 3) float64, site positions in angstrom; z is depth below the
                       electrolyte contact plane (L1 at z = 0, increasing downwards); a property,
                       computed on demand for [001]
    neighbors          (n_sites, 8) int32, first neighbours, -1 where the slab ends; a property,
                       computed on demand for [001] (the engine uses index arithmetic there)
    l1_second_neighbors (sites_per_layer, k) int32, second neighbours (distance a) of each L1
                       site that lie in L1 too (-1 padded); used by the L1 in-plane pair term
    l1_third_neighbors (sites_per_layer, k3) int32, the same for third neighbours (a sqrt2)
    box_A              (3,) float64, box edge lengths in angstrom
    neighbor_vectors_A (8, 3) float64, the vector to the neighbour in each table column
    opposite_slot      (8,) int32, column of the reverse vector: nbr[nbr[s, d], opposite[d]] == s
    """

    orientation: str
    cells: tuple[int, int, int]
    lattice_constant_A: float
    periodic_z: bool
    stored_positions_A: np.ndarray | None   # None: computed on demand ([001], saves 24 B/site)
    stored_neighbors: np.ndarray | None     # None: computed on demand ([001], saves 32 B/site)
    l1_second_neighbors: np.ndarray
    l1_third_neighbors: np.ndarray
    box_A: np.ndarray
    neighbor_vectors_A: np.ndarray
    opposite_slot: np.ndarray
    sites_per_layer: int
    n_layers: int
    layer_spacing_A: float

    @property
    def n_sites(self) -> int:
        return self.n_layers * self.sites_per_layer

    @property
    def neighbors(self) -> np.ndarray:
        return self.neighbors_of_layers(0, self.n_layers)

    def geometry(self, l1_open: np.ndarray | None = None) -> Geometry:
        """What compiled kernels need to name neighbours (lattices.neighbours): the stored table,
        or an empty one for [001], whose neighbours follow from the site index; ``l1_open`` (bool or
        uint8 per L1 site, None: none) the L1 sites with no electrolyte above (Geometry.l1_open)."""
        open_sites = np.zeros(self.sites_per_layer, np.uint8)
        if l1_open is not None:
            open_sites[:] = np.asarray(l1_open, bool)
        table = self.stored_neighbors if self.stored_neighbors is not None else np.zeros((0, 8), np.int32)
        nx, ny, _ = self.cells
        reach = (event_reach_offsets(nx, ny, self.sites_per_layer) if table.shape[0] == 0
                 else np.zeros((2, 8, 0, 4), np.int64))
        return Geometry(table, table.shape[0] != 0, nx, ny, self.sites_per_layer, self.n_layers, self.periodic_z,
                        self.opposite_slot, self.l1_second_neighbors, self.l1_third_neighbors, reach,
                        second_step_via(self.neighbor_vectors_A),
                        seam_geometry(nx, ny, self.n_layers, self.periodic_z, reach), open_sites)

    def neighbours_per_layer(self) -> np.ndarray:
        """uint8 per layer: how many first neighbours a site of the layer has inside the box (8,
        fewer in a slab's first and last layers; the same for every site of a layer)."""
        counts = np.empty(self.n_layers, np.uint8)
        for layer in range(self.n_layers):
            rows = self.neighbors_of_layers(layer, layer + 1)
            n = (rows >= 0).sum(axis=1)
            assert (n == n[0]).all()
            counts[layer] = n[0]
        return counts

    @property
    def positions_A(self) -> np.ndarray:
        return self.positions_of_layers(0, self.n_layers)

    def neighbors_of_layers(self, first: int, last: int) -> np.ndarray:
        """Rows of ``neighbors`` for the sites of layers first..last-1 (without building the
        whole table for [001])."""
        if self.stored_neighbors is not None:
            return self.stored_neighbors[first * self.sites_per_layer:last * self.sites_per_layer]
        nx, ny, nz = self.cells
        return _neighbors_001(nx, ny, nz, self.periodic_z, (first, last)).reshape(-1, 8)

    def positions_of_layers(self, first: int, last: int) -> np.ndarray:
        """Rows of ``positions_A`` for the sites of layers first..last-1."""
        if self.stored_positions_A is not None:
            return self.stored_positions_A[first * self.sites_per_layer:last * self.sites_per_layer]
        nx, ny, nz = self.cells
        return _positions_001(nx, ny, nz, self.lattice_constant_A, (first, last)).reshape(-1, 3)

    @property
    def layer(self) -> np.ndarray:
        """Layer index of every site (0 = L1, touching the electrolyte)."""
        return (np.arange(self.n_sites) // self.sites_per_layer).astype(np.int32)

    @property
    def interface_area_A2(self) -> float:
        return float(self.box_A[0] * self.box_A[1])

    @property
    def missing_below(self) -> int:
        """First neighbours each bottom-layer site lacks (those lie in the bulk below the box)."""
        if self.periodic_z:
            return 0
        if self.stored_neighbors is None:
            return 4   # [001]: the 4 neighbours one layer down
        return int(np.count_nonzero(self.stored_neighbors[-1] < 0))


def _cell_basis(orientation: str) -> tuple[np.ndarray, np.ndarray]:
    """Rotation (rows = unit cell axes in cubic coords), cell lengths (a units), basis (fractional)."""
    axes = ORIENTATIONS[orientation]
    lengths = np.linalg.norm(axes, axis=1)
    rot = axes / lengths[:, None]
    # Enumerate BCC points in a generous cube and keep those inside the orthogonal cell.
    r = int(np.ceil(lengths.max())) + 1
    g = np.arange(-r, r + 1, dtype=float)
    corners = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    pts = np.concatenate([corners, corners + 0.5])
    frac = (pts @ rot.T) / lengths
    keep = np.all((frac > -1e-9) & (frac < 1 - 1e-9), axis=1)
    basis = np.round(frac[keep], 9) % 1.0
    basis = np.unique(basis, axis=0)
    return rot, lengths, basis


def build_bcc(cells, orientation: str = "001", lattice_constant_A: float = 3.51,
              periodic_z: bool = False) -> Lattice:
    """Build a BCC box of ``cells = (nx, ny, nz)`` orthogonal cells.

    Raises ValueError for an unknown orientation or a box too small to hold distinct neighbours.
    """
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be one of {sorted(ORIENTATIONS)}, got {orientation!r}")
    nx, ny, nz = (int(c) for c in cells)
    if min(nx, ny, nz) < 2:
        raise ValueError(f"cells must be at least 2 in every direction, got {list(cells)}")
    if orientation == "001":
        return _build_001(nx, ny, nz, float(lattice_constant_A), bool(periodic_z))
    return _build_general(nx, ny, nz, orientation, float(lattice_constant_A), bool(periodic_z))


# [001] neighbour slot order: dz up (toward L1) first, then down; within each,
# (dx, dy) = (-,-), (-,+), (+,-), (+,+), as lattices.neighbours names them.
_SIGNS_001 = [(sx, sy, sz) for sz in (0, 1) for sx in (0, 1) for sy in (0, 1)]


def _build_001(nx: int, ny: int, nz: int, a: float, periodic_z: bool) -> Lattice:
    """[001] slab by index arithmetic (same site order and neighbour slots as the general build);
    positions and the neighbour table are not stored but computed when asked for."""
    n_layers = 2 * nz
    spl = nx * ny
    half = 0.5 * a
    nn = np.array([[(2 * sx - 1) * half, (2 * sy - 1) * half, (2 * sz - 1) * half] for sx, sy, sz in _SIGNS_001])
    l1x = np.arange(nx)[None, :]
    l1y = np.arange(ny)[:, None]
    l1_second = np.stack([l1y * nx + (l1x + 1) % nx, l1y * nx + (l1x - 1) % nx,
                          ((l1y + 1) % ny) * nx + l1x, ((l1y - 1) % ny) * nx + l1x], -1)
    l1_third = np.stack([((l1y + sy) % ny) * nx + (l1x + sx) % nx for sx in (1, -1) for sy in (1, -1)], -1)
    return Lattice(orientation="001", cells=(nx, ny, nz), lattice_constant_A=a, periodic_z=periodic_z,
                   stored_positions_A=None, stored_neighbors=None,
                   l1_second_neighbors=l1_second.reshape(-1, 4).astype(np.int32),
                   l1_third_neighbors=l1_third.reshape(-1, 4).astype(np.int32),
                   box_A=np.array([nx * a, ny * a, nz * a]), neighbor_vectors_A=nn,
                   opposite_slot=np.arange(7, -1, -1, dtype=np.int32),
                   sites_per_layer=spl, n_layers=n_layers, layer_spacing_A=half)


def _neighbors_001(nx: int, ny: int, nz: int, periodic_z: bool, layers: tuple[int, int]) -> np.ndarray:
    """(l1 - l0, ny, nx, 8) int32 first-neighbour table of layers l0..l1-1 (``layers=(l0, l1)``)
    of the [001] build, from the compiled index arithmetic the engine uses
    (``lattices.neighbours``)."""
    first, last = layers
    out = np.empty(((last - first) * ny * nx, 8), np.int32)
    fill_neighbours_001(nx, ny, 2 * nz, periodic_z, first, last, out)
    return out.reshape(last - first, ny, nx, 8)


def _positions_001(nx: int, ny: int, nz: int, a: float, layers: tuple[int, int]) -> np.ndarray:
    """(l1 - l0, ny, nx, 3) site positions of layers l0..l1-1 (``layers=(l0, l1)``) of the [001]
    build, in angstrom."""
    first, last = layers
    layer = np.arange(first, last).reshape(-1, 1, 1)
    shift = 0.5 * a * (1 - layer % 2)   # even layers sit on the body-centre sublattice
    shape = (last - first, ny, nx)
    pos = np.empty(shape + (3,))
    pos[..., 0] = np.broadcast_to(np.arange(nx).reshape(1, 1, -1) * a + shift, shape)
    pos[..., 1] = np.broadcast_to(np.arange(ny).reshape(1, -1, 1) * a + shift, shape)
    pos[..., 2] = np.broadcast_to(layer * 0.5 * a, shape)
    return pos


def _build_general(nx: int, ny: int, nz: int, orientation: str, a: float, periodic_z: bool) -> Lattice:
    """Any orientation in ORIENTATIONS, by position lookup (slower; used for [110])."""
    rot, lengths, basis = _cell_basis(orientation)
    box = np.array([nx, ny, nz], dtype=float) * lengths * a

    ix, iy, iz = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    cell_origin = np.stack([ix, iy, iz], -1).reshape(-1, 1, 3).astype(float)
    frac = (cell_origin + basis[None, :, :]).reshape(-1, 3) / np.array([nx, ny, nz])
    pos = frac * box  # height above the cell bottom along z

    # Layers: distinct z values; L1 is the topmost (largest height).  Depth = top - height.
    z_keys = np.round(pos[:, 2] / 1e-4).astype(np.int64)
    levels = np.unique(z_keys)[::-1]
    layer = np.searchsorted(-levels, -z_keys)
    order = np.lexsort((np.round(pos[:, 0], 6), np.round(pos[:, 1], 6), layer))
    pos = pos[order]
    layer = layer[order]
    n_layers = levels.size
    spl = pos.shape[0] // n_layers
    assert spl * n_layers == pos.shape[0]
    pos[:, 2] = pos[:, 2].max() - pos[:, 2]
    spacing = float(pos[spl, 2] - pos[0, 2])

    def lookup(targets: np.ndarray, wrap_z: bool) -> np.ndarray:
        """Index of the site at each target position, or -1 where none exists."""
        t = targets.copy()
        t[..., 0] %= box[0]
        t[..., 1] %= box[1]
        if wrap_z:
            t[..., 2] %= box[2]
        q = 1e-3
        key_of = lambda p: (np.round(p[..., 0] / q).astype(np.int64) % int(round(box[0] / q))) * 10**12 \
            + (np.round(p[..., 1] / q).astype(np.int64) % int(round(box[1] / q))) * 10**6 \
            + (np.round(p[..., 2] / q).astype(np.int64) % int(round(box[2] / q)))
        site_keys = key_of(pos)
        srt = np.argsort(site_keys)
        tk = key_of(t)
        idx = np.searchsorted(site_keys[srt], tk).clip(0, pos.shape[0] - 1)
        found = site_keys[srt][idx] == tk
        inside = (t[..., 2] > -1e-6) & (t[..., 2] < box[2] - 1e-6 + (0 if not wrap_z else 1))
        return np.where(found & inside, srt[idx], -1).astype(np.int32)

    # Neighbour vectors in the box frame; z flipped because positions are depths.
    flip = np.array([1.0, 1.0, -1.0])
    nn = (_NN_CUBIC @ rot.T) * a * flip
    # Order neighbour slots "upwards first" so table columns are stable: sort by dz then dx, dy.
    nn = nn[np.lexsort((np.round(nn[:, 1], 6), np.round(nn[:, 0], 6), np.round(nn[:, 2], 6)))]
    targets = pos[:, None, :] + nn[None, :, :]
    neighbors = lookup(targets, periodic_z)

    second = (_SECOND_CUBIC @ rot.T) * a * flip
    in_plane = second[np.abs(second[:, 2]) < 1e-6]
    l1 = pos[:spl]
    l1_second = lookup(l1[:, None, :] + in_plane[None, :, :], periodic_z) if in_plane.size else \
        np.full((spl, 0), -1, np.int32)
    third = (_THIRD_CUBIC @ rot.T) * a * flip
    in_plane3 = third[np.abs(third[:, 2]) < 1e-6]
    l1_third = lookup(l1[:, None, :] + in_plane3[None, :, :], periodic_z) if in_plane3.size else \
        np.full((spl, 0), -1, np.int32)

    return Lattice(orientation=orientation, cells=(nx, ny, nz), lattice_constant_A=a,
                   periodic_z=bool(periodic_z), stored_positions_A=pos, stored_neighbors=neighbors,
                   l1_second_neighbors=np.ascontiguousarray(l1_second, dtype=np.int32),
                   l1_third_neighbors=np.ascontiguousarray(l1_third, dtype=np.int32),
                   box_A=box, neighbor_vectors_A=nn,
                   opposite_slot=np.array([int(np.argmin(np.abs(nn + v).sum(1))) for v in nn], np.int32),
                   sites_per_layer=spl, n_layers=n_layers, layer_spacing_A=spacing)
