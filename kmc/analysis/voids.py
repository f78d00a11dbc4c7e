"""Voids in a frame and between frames: the compiled cluster searches, the lattice of a run file as
the analysis needs it, a frame's voids and the tracker that links them across frames
(kmc.analysis.definitions says what each is)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from kmc.analysis.definitions import DEFAULT_MIN_VOID_nm, EVENT_COLUMNS, AnalysisInputError
from kmc.analysis.run_pore import run_pore
from kmc.physics import vacancy
from kmc.species import VACANCY

# ------------------------------------------------------------------------------- numba kernels
@njit(cache=True)
def _label_clusters(occupancy, neighbors, in_plane):
    """Vacancy clusters by breadth-first search over two tables: first neighbours and the in-plane
    L1 neighbours (``in_plane`` (n_sites, 4), -1 for no neighbour; (n_sites, 0) for none at all).

    Returns ``label`` (n_sites,) cluster index or -1, ``order`` the vacant sites grouped by
    cluster and ``start`` (n_clusters + 1,) offsets into ``order``.  Clusters are numbered by
    their lowest site.
    """
    n_sites = occupancy.shape[0]
    label = np.full(n_sites, -1, np.int32)
    n_vacant = 0
    for s in range(n_sites):
        if occupancy[s] == VACANCY:
            n_vacant += 1
    order = np.empty(n_vacant, np.int32)
    start = np.empty(n_vacant + 1, np.int32)
    n_voids = 0
    tail = 0
    for seed in range(n_sites):
        if occupancy[seed] != VACANCY or label[seed] >= 0:
            continue
        start[n_voids] = tail
        label[seed] = n_voids
        order[tail] = seed
        head = tail
        tail += 1
        while head < tail:
            site = order[head]
            head += 1
            for k in range(neighbors.shape[1] + in_plane.shape[1]):
                nb = neighbors[site, k] if k < neighbors.shape[1] else in_plane[site, k - neighbors.shape[1]]
                if nb >= 0 and occupancy[nb] == VACANCY and label[nb] < 0:
                    label[nb] = n_voids
                    order[tail] = nb
                    tail += 1
        n_voids += 1
    start[n_voids] = tail
    return label, order, start[:n_voids + 1].copy()


def _label_voids(occupancy, neighbors):
    """Vacancy clusters through first neighbours only (no in-plane joining, no minimum size): the
    raw clusters the wetting benchmark follows.  Same return values as ``_label_clusters``."""
    return _label_clusters(occupancy, neighbors, np.zeros((occupancy.shape[0], 0), np.int32))


@njit(cache=True)
def _section_runs(label, occupancy, l1_grid, neighbors, layer):
    """Voids met along every L1 row (``l1_grid`` (rows, sites along x), periodic) by ``SECTION_RULE``:
    runs of equal void label, with metal stretches bridged when their ends are sites of one void
    and every metal site of the stretch has a first neighbour below it (layer > 0) in that void."""
    n_rows, n_cols = l1_grid.shape
    row = np.empty(n_cols, np.int64)            # void label, -1 vacancy in no void, -2 metal
    nonmetal = np.empty(n_cols, np.int64)
    runs = 0
    for r in range(n_rows):
        n_nonmetal = 0
        for i in range(n_cols):
            s = l1_grid[r, i]
            row[i] = label[s] if occupancy[s] == VACANCY else -2
            if row[i] != -2:
                nonmetal[n_nonmetal] = i
                n_nonmetal += 1
        for j in range(n_nonmetal):
            p = nonmetal[j]
            q = nonmetal[(j + 1) % n_nonmetal]
            v = row[p]
            gap = n_cols - 1 if n_nonmetal == 1 else (q - p - 1) % n_cols
            if v < 0 or row[q] != v or gap == 0:
                continue
            undercut = True
            for g in range(1, gap + 1):
                s = l1_grid[r, (p + g) % n_cols]
                below = False
                for k in range(neighbors.shape[1]):
                    nb = neighbors[s, k]
                    if nb >= 0 and layer[nb] > 0 and label[nb] == v:
                        below = True
                        break
                if not below:
                    undercut = False
                    break
            if undercut:
                for g in range(1, gap + 1):
                    row[(p + g) % n_cols] = v
        starts = 0
        for i in range(n_cols):
            if row[i] >= 0 and row[i] != row[i - 1]:     # row[-1]: the periodic predecessor of site 0
                starts += 1
        if starts == 0 and row[0] >= 0:                   # the whole row is one void
            starts = 1
        runs += starts
    return runs


@njit(cache=True)
def _void_shapes(order, start, position, layer, column, axes):
    """Per void: L1 sites, distinct projected columns, extent and centroid along x, y, z, deepest z.

    ``axes`` (2, 3): row 0 the period of each axis (0 = not periodic), row 1 the site pitch.
    """
    n_voids = start.shape[0] - 1
    footprint = np.zeros(n_voids, np.int64)
    n_columns = np.zeros(n_voids, np.int64)
    extent = np.empty((n_voids, 3))
    centroid = np.empty((n_voids, 3))
    deepest = np.empty(n_voids)
    values = np.empty(order.shape[0])
    columns = np.empty(order.shape[0], np.int64)
    for v in range(n_voids):
        first, m = start[v], start[v + 1] - start[v]
        for i in range(m):
            s = order[first + i]
            if layer[s] == 0:
                footprint[v] += 1
            columns[i] = column[s]
        cols = np.sort(columns[:m])
        distinct = 1
        for i in range(1, m):
            if cols[i] != cols[i - 1]:
                distinct += 1
        n_columns[v] = distinct
        for d in range(3):
            period, pitch = axes[0, d], axes[1, d]
            vals = values[:m]
            for i in range(m):
                vals[i] = position[order[first + i], d]
            vals.sort()
            if period > 0.0:
                largest_gap = vals[0] + period - vals[m - 1]
                cos_sum = 0.0
                sin_sum = 0.0
                for i in range(m):
                    if i > 0 and vals[i] - vals[i - 1] > largest_gap:
                        largest_gap = vals[i] - vals[i - 1]
                    phase = 2.0 * np.pi * vals[i] / period
                    cos_sum += np.cos(phase)
                    sin_sum += np.sin(phase)
                extent[v, d] = min(period - largest_gap + pitch, period)
                centroid[v, d] = (np.arctan2(sin_sum, cos_sum) / (2.0 * np.pi) * period) % period
            else:
                extent[v, d] = vals[m - 1] - vals[0] + pitch
                centroid[v, d] = vals.sum() / m
            if d == 2:
                deepest[v] = vals[m - 1]
    return footprint, n_columns, extent, centroid, deepest


@njit(cache=True)
def _link_voids(prev_label, prev_order, prev_start, cur_label, cur_order, cur_start, neighbors):
    """(parent, child) pairs between consecutive frames by the rule of ``TRACKING_RULE``.

    May hold a pair twice (when both voids fall back on first-neighbour contact).
    """
    n_prev = prev_start.shape[0] - 1
    n_cur = cur_start.shape[0] - 1
    has_parent = np.zeros(n_cur, np.bool_)
    has_child = np.zeros(n_prev, np.bool_)
    last_child = np.full(n_prev, -1, np.int64)   # last child recorded for each parent
    last_parent = np.full(n_cur, -1, np.int64)   # last parent recorded for each child
    direct_p = np.empty(cur_order.shape[0], np.int64)
    direct_c = np.empty(cur_order.shape[0], np.int64)
    n_direct = 0
    for c in range(n_cur):
        for i in range(cur_start[c], cur_start[c + 1]):
            p = prev_label[cur_order[i]]
            if p >= 0 and last_child[p] != c:
                last_child[p] = c
                direct_p[n_direct] = p
                direct_c[n_direct] = c
                n_direct += 1
                has_parent[c] = True
                has_child[p] = True
    loose_sites = 0
    for c in range(n_cur):
        if not has_parent[c]:
            loose_sites += cur_start[c + 1] - cur_start[c]
    for p in range(n_prev):
        if not has_child[p]:
            loose_sites += prev_start[p + 1] - prev_start[p]
    n_max = n_direct + neighbors.shape[1] * loose_sites
    pair_p = np.empty(n_max, np.int64)
    pair_c = np.empty(n_max, np.int64)
    pair_p[:n_direct] = direct_p[:n_direct]
    pair_c[:n_direct] = direct_c[:n_direct]
    n = n_direct
    for c in range(n_cur):
        if has_parent[c]:
            continue
        for i in range(cur_start[c], cur_start[c + 1]):
            for k in range(neighbors.shape[1]):
                nb = neighbors[cur_order[i], k]
                if nb >= 0 and prev_label[nb] >= 0 and last_child[prev_label[nb]] != c:
                    last_child[prev_label[nb]] = c
                    pair_p[n] = prev_label[nb]
                    pair_c[n] = c
                    n += 1
    for p in range(n_prev):
        if has_child[p]:
            continue
        for i in range(prev_start[p], prev_start[p + 1]):
            for k in range(neighbors.shape[1]):
                nb = neighbors[prev_order[i], k]
                if nb >= 0 and cur_label[nb] >= 0 and last_parent[cur_label[nb]] != p:
                    last_parent[cur_label[nb]] = p
                    pair_p[n] = p
                    pair_c[n] = cur_label[nb]
                    n += 1
    return pair_p[:n].copy(), pair_c[:n].copy()


@njit(cache=True)
def _layer_species_counts(occupancy, layer, n_layers):
    """(n_layers, 3) number of vacancies, host and solute atoms in each layer (columns by site code)."""
    counts = np.zeros((n_layers, 3), np.int64)
    for s in range(occupancy.shape[0]):
        counts[layer[s], occupancy[s]] += 1
    return counts


def _connected_l1_metal(occupancy, neighbors, layer, n_layers, l1_open=None):
    """L1 metal atoms joined to the electrode (_connected_metal), those at a pore's mouth (``l1_open``,
    bool per L1 site, kmc.pore) not counted: they are no contact."""
    counted = layer == 0
    if l1_open is not None:
        counted[:l1_open.size] &= ~np.asarray(l1_open, bool)
    return _connected_metal(occupancy, neighbors, layer, n_layers, counted)


@njit(cache=True)
def _connected_metal(occupancy, neighbors, layer, n_layers, counted):
    """The ``counted`` sites' metal atoms joined to the electrode: breadth-first search from every
    metal site of the bottom layer (bonded to the bulk below) through first-neighbour metal sites;
    the counted sites it reaches.  The same rule as the engine's contact
    (kmc.engine.contact.metal_connected), found from the other end."""
    n_sites = occupancy.shape[0]
    seen = np.zeros(n_sites, np.bool_)
    queue = np.empty(n_sites, np.int64)
    tail = 0
    for s in range(n_sites):
        if layer[s] == n_layers - 1 and occupancy[s] != VACANCY:
            seen[s] = True
            queue[tail] = s
            tail += 1
    head = 0
    count = 0
    while head < tail:
        s = queue[head]
        head += 1
        if counted[s]:
            count += 1
        for k in range(neighbors.shape[1]):
            n = neighbors[s, k]
            if n >= 0 and not seen[n] and occupancy[n] != VACANCY:
                seen[n] = True
                queue[tail] = n
                tail += 1
    return count


# ------------------------------------------------------------------------------- reading a run
@dataclass
class RunGeometry:
    """What the analysis needs from a run file besides the frames."""
    neighbors: np.ndarray          # (n_sites, 8) int32
    position_A: np.ndarray         # (n_sites, 3) float64
    layer: np.ndarray              # (n_sites,) int32
    column: np.ndarray             # (n_sites,) int64, index of the site's (x, y) column
    axes: np.ndarray               # (2, 3) period (0 = open) and pitch of each axis, A
    n_layers: int
    l1_sites: int
    layer_spacing_A: float
    atomic_volume_A3: float
    interface_area_A2: float
    column_area_A2: float
    has_interface: bool
    l1_grid: np.ndarray            # (rows in y, sites along x) L1 site indices, in increasing y and x
    in_plane: np.ndarray           # (n_sites, 4) int32 L1 neighbours a apart in x and y; -1 elsewhere
    section_length_um: float       # total length of all L1 rows
    l1_open: np.ndarray | None = None   # bool per L1 site: under the pellet's open pore (kmc.pore); None: no pore


def _distinct_coordinates(values_A):
    """Index of each row's distinct value (coordinates equal to 1e-3 A) and the number of distinct values."""
    keys = np.round(np.asarray(values_A).reshape(len(values_A), -1) / 1e-3).astype(np.int64)
    keys -= keys.min(axis=0)
    key = keys[:, 0]
    for k in range(1, keys.shape[1]):
        key = key * (int(keys[:, k].max()) + 1) + keys[:, k]
    distinct, inverse = np.unique(key, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), distinct.size


def read_geometry(run) -> RunGeometry:
    """The lattice of an open run file (kmc.runfile.RunFile)."""
    lattice = run.lattice_attributes()
    position = np.ascontiguousarray(run.positions_A(), dtype=np.float64)
    layer = np.ascontiguousarray(run.layers(), dtype=np.int32)
    box = np.asarray(run.box_edges_A(), dtype=np.float64)
    boundary = run.box_boundary()
    a = float(lattice["lattice_constant_A"])
    spacing = float(lattice["layer_spacing_A"])
    column, n_columns = _distinct_coordinates(position[:, :2])
    _, n_x = _distinct_coordinates(position[:, 0])
    _, n_y = _distinct_coordinates(position[:, 1])
    periodic_z = boundary[2] == "periodic"
    axes = np.array([[box[0], box[1], box[2] if periodic_z else 0.0],
                     [box[0] / n_x, box[1] / n_y, spacing]])
    neighbors = np.ascontiguousarray(run.neighbors(), dtype=np.int32)
    l1 = np.flatnonzero(layer == 0)
    # L1 as rows in y, each sorted in x (a section line runs along a row)
    iy, n_rows = _distinct_coordinates(position[l1, 1])
    by_row = np.lexsort((position[l1, 0], iy))
    if l1.size % n_rows or np.any(np.bincount(iy) != l1.size // n_rows):
        raise AnalysisInputError(f"the L1 sites of {run.path} do not form rows of equal length in x; "
                                 "allowed: a run file of a slab written by kmc run")
    l1_grid = l1[by_row].reshape(n_rows, -1)
    # In [001] no first-neighbour bond lies inside L1, whose sites form a square net of pitch a:
    # adjacent vacant L1 sites are joined in-plane, along x and y (in [110] first neighbours do it).
    in_plane = np.full((position.shape[0], 4), -1, np.int32)
    l1_nb = neighbors[l1]
    bonded_in_plane = np.any((l1_nb >= 0) & (layer[np.where(l1_nb >= 0, l1_nb, 0)] == 0))
    if not periodic_z and not bonded_in_plane:
        ix, n_x1 = _distinct_coordinates(position[l1, 0])
        if n_x1 * n_rows != l1.size:
            raise AnalysisInputError(f"the L1 sites of {run.path} have no first-neighbour bond in-plane but do "
                                     "not form a square net; allowed: a run file of a [001] or [110] slab")
        grid = np.empty((n_rows, n_x1), np.int64)
        grid[iy, ix] = l1
        in_plane[l1] = np.stack([grid[iy, (ix + 1) % n_x1], grid[iy, (ix - 1) % n_x1],
                                 grid[(iy + 1) % n_rows, ix], grid[(iy - 1) % n_rows, ix]], axis=1)
    interface_area = float(box[0] * box[1])
    pore, _ = run_pore(run)
    return RunGeometry(
        neighbors=neighbors, position_A=position, layer=layer, column=column, axes=axes,
        n_layers=int(lattice["n_layers"]), l1_sites=int(l1.size), layer_spacing_A=spacing,
        atomic_volume_A3=vacancy.atomic_volume_bcc(a), interface_area_A2=interface_area,
        column_area_A2=interface_area / n_columns, has_interface=not periodic_z,
        l1_grid=l1_grid, in_plane=in_plane, section_length_um=n_rows * float(box[0]) * 1e-4,
        l1_open=None if pore is None else np.asarray(pore.l1_open, bool))


def _observable_at(steps_wanted, sample_steps, values):
    """The observable at each wanted step, NaN where no sample was written at that step."""
    out = np.full(steps_wanted.size, np.nan)
    if sample_steps.size:
        idx = np.searchsorted(sample_steps, steps_wanted).clip(0, sample_steps.size - 1)
        found = sample_steps[idx] == steps_wanted
        out[found] = values[idx[found]]
    return out


# ------------------------------------------------------------------------------- physics
@dataclass
class FrameVoids:
    """Voids of one frame: labelling (for tracking) and per-void table columns."""
    label: np.ndarray              # (n_sites,) void index, -1 for metal and isolated vacancies
    order: np.ndarray
    start: np.ndarray
    sites: np.ndarray
    interface: np.ndarray
    columns: dict
    isolated_vacancies: int        # vacant sites in clusters narrower than the minimum (not the pore's)
    isolated_l1_vacancies: int
    pore: PoreVoid                 # the pore's void (PORE_RULE): apart from the voids


@dataclass(frozen=True)
class PoreVoid:
    """The vacancy clusters of a frame that reach the pore's mouth (``PORE_RULE``): metal receded from
    the pellet's open pore, which was never contact.  No void of the contact; counted apart."""
    sites: np.ndarray              # their vacant sites (int64 indices)
    rim_gap_sites: int             # of those, L1 sites under the electrolyte: contact lost at the pore's rim
    depth_nm: float                # deepest site below L1 + one layer spacing (NaN: no such cluster)

    @property
    def vacancies(self) -> int:
        return int(self.sites.size)


NO_PORE_VOID = PoreVoid(np.zeros(0, np.int64), 0, math.nan)


def _pore_clusters(label, n_clusters: int, geo: RunGeometry) -> np.ndarray:
    """bool per cluster: it holds a vacant L1 site at the pore's mouth (geo.l1_open)."""
    at_pore = np.zeros(n_clusters, bool)
    if geo.l1_open is not None and n_clusters:
        mouth = label[:geo.l1_open.size][geo.l1_open]
        at_pore[mouth[mouth >= 0]] = True
    return at_pore


def frame_voids(occupancy, geo: RunGeometry, min_void_nm: float = DEFAULT_MIN_VOID_nm) -> FrameVoids:
    """Detect the voids of one frame (``VOID_DEFINITION``) and measure them (units: nm, nm^2, nm^3,
    A for centroids); the clusters at the pore's mouth apart (``PORE_RULE``, FrameVoids.pore)."""
    label, order, start = _label_clusters(occupancy, geo.neighbors, geo.in_plane)
    footprint, n_columns, extent, centroid, deepest = _void_shapes(
        order, start, geo.position_A, geo.layer, geo.column, geo.axes)
    sites = np.diff(start).astype(np.int64)
    footprint *= geo.has_interface          # a periodic bulk box has no L1
    at_pore = _pore_clusters(label, sites.size, geo)
    pore = NO_PORE_VOID
    if at_pore.any():
        in_pore = np.flatnonzero((label >= 0) & at_pore[np.maximum(label, 0)])
        l1 = in_pore[in_pore < geo.l1_open.size]
        pore = PoreVoid(in_pore.astype(np.int64), int(np.count_nonzero(~geo.l1_open[l1])),
                        float((deepest[at_pore].max() + geo.layer_spacing_A) * 0.1))
    width_nm = np.maximum(extent[:, 0], extent[:, 1]) * 0.1
    is_void = (width_nm >= min_void_nm * (1 - 1e-9)) & ~at_pore  # a width equal to the minimum up to rounding counts
    isolated = int(sites[~is_void & ~at_pore].sum())
    isolated_l1 = int(footprint[~is_void & ~at_pore].sum())
    if not is_void.all():                   # keep the voids, renumbered in their order
        new_index = np.where(is_void, np.cumsum(is_void) - 1, -1).astype(np.int32)
        label = np.where(label >= 0, new_index[label], -1).astype(np.int32)
        order = order[label[order] >= 0]
        start = np.r_[0, np.cumsum(sites[is_void])].astype(np.int32)
        sites, footprint, n_columns, width_nm = sites[is_void], footprint[is_void], n_columns[is_void], width_nm[is_void]
        extent, centroid, deepest = extent[is_void], centroid[is_void], deepest[is_void]
    interface = footprint > 0
    footprint_area_nm2 = footprint * geo.interface_area_A2 / geo.l1_sites * 1e-2
    area_nm2 = np.where(interface, footprint_area_nm2, n_columns * geo.column_area_A2 * 1e-2)
    height_A = np.where(interface, deepest + geo.layer_spacing_A, extent[:, 2])
    columns = {
        "sites": sites,
        "volume_nm3": sites * geo.atomic_volume_A3 * 1e-3,
        "footprint_sites": footprint,
        "footprint_area_nm2": footprint_area_nm2,
        "width_nm": width_nm,
        "equivalent_diameter_nm": 2.0 * np.sqrt(area_nm2 / np.pi),
        "height_nm": height_A * 0.1,
        "centroid_x_A": centroid[:, 0],
        "centroid_y_A": centroid[:, 1],
        "centroid_z_A": centroid[:, 2],
        "interface": interface.astype(np.int8),
    }
    return FrameVoids(label, order, start, sites, interface, columns, isolated, isolated_l1, pore)


def section_void_count(occupancy, voids: FrameVoids, geo: RunGeometry) -> int:
    """Voids met along every L1 row in x, by ``SECTION_RULE`` (the pore's void is no void: its sites
    read as vacancies in no void, which end a run and are never bridged)."""
    return int(_section_runs(voids.label, occupancy, geo.l1_grid, geo.neighbors, geo.layer))


# per-frame statistics over interface voids, in the order _quartiles returns them (widths, heights)
SHAPE_STATISTICS = ("void_width_q1_nm", "void_width_median_nm", "void_width_q3_nm", "max_void_width_nm",
                    "void_height_q1_nm", "void_height_median_nm", "void_height_q3_nm", "max_void_height_nm")


def _quartiles(values):
    """First quartile, median, third quartile and maximum (numpy's linear interpolation); NaN if empty."""
    if values.size == 0:
        return (math.nan,) * 4
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return float(q1), float(q2), float(q3), float(values.max())


def _id_list(values) -> str:
    return ",".join(str(int(v)) for v in values)


def _id_strings(values) -> np.ndarray:
    """Integers as an object array of decimal strings (one id or size per event row)."""
    return values.astype(str).astype(object)


class _Tracker:
    """Persistent track ids and the event table, fed one frame at a time."""

    def __init__(self, neighbors):
        self.neighbors = neighbors
        self.next_id = 0
        self.prev: FrameVoids | None = None
        self.prev_ids = np.zeros(0, np.int64)
        self.event_chunks = []

    def events(self) -> dict:
        """The event table: one array per column of ``EVENT_COLUMNS``."""
        return {name: np.concatenate([chunk[name] for chunk in self.event_chunks])
                if self.event_chunks else np.zeros(0, np.int64 if name == "frame" else object)
                for name in EVENT_COLUMNS}

    def _new_ids(self, n):
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        return ids

    def _append(self, frame, kind, parents, children, parent_sites, child_sites):
        """Event rows from equal-length object arrays of strings."""
        n = len(parents)
        if n:
            self.event_chunks.append({"frame": np.full(n, frame, np.int64), "kind": np.full(n, kind, object),
                                      "parents": parents, "children": children,
                                      "parent_sites": parent_sites, "child_sites": child_sites})

    def _one_to_one(self, frame, kind, p, c, ids, cur: FrameVoids):
        """Events with at most one parent and one child: index arrays ``p`` and ``c`` (None: no such void)."""
        blank = np.full(len(c if p is None else p), "", object)
        self._append(frame, kind,
                     blank if p is None else _id_strings(self.prev_ids[p]),
                     blank if c is None else _id_strings(ids[c]),
                     blank if p is None else _id_strings(self.prev.sites[p]),
                     blank if c is None else _id_strings(cur.sites[c]))

    def _many(self, frame, kind, groups, ids, cur: FrameVoids):
        """Events with several parents or children: ``groups`` is a list of (parents, children) index arrays."""
        rows = []
        for parents, children in groups:
            parents = parents[np.argsort(self.prev_ids[parents], kind="stable")]
            children = children[np.argsort(ids[children], kind="stable")]
            rows.append((_id_list(self.prev_ids[parents]), _id_list(ids[children]),
                         _id_list(self.prev.sites[parents]), _id_list(cur.sites[children])))
        if rows:
            self._append(frame, kind, *(np.array(column, dtype=object) for column in zip(*rows)))

    def _track_ids(self, pair_p, pair_c, cur: FrameVoids):
        """Each parent's heir is its largest child; a child takes the id of its largest heir-parent."""
        by_parent = np.lexsort((pair_c, -cur.sites[pair_c], pair_p))
        p_sorted, c_sorted = pair_p[by_parent], pair_c[by_parent]
        first = np.r_[True, p_sorted[1:] != p_sorted[:-1]][:p_sorted.size]
        heir = np.full(self.prev.sites.size, -1, np.int64)
        heir[p_sorted[first]] = c_sorted[first]
        inherit = heir[pair_p] == pair_c
        ip, ic = pair_p[inherit], pair_c[inherit]
        by_child = np.lexsort((self.prev_ids[ip], -self.prev.sites[ip], ic))
        ip, ic = ip[by_child], ic[by_child]
        first = np.r_[True, ic[1:] != ic[:-1]][:ic.size]
        ids = np.full(cur.sites.size, -1, np.int64)
        ids[ic[first]] = self.prev_ids[ip[first]]
        fresh = ids < 0
        ids[fresh] = self._new_ids(int(fresh.sum()))
        return ids

    def add(self, frame: int, cur: FrameVoids) -> np.ndarray:
        """Link ``cur`` to the previous frame, record events, return the track ids of ``cur``'s voids."""
        if self.prev is None:
            ids = self._new_ids(cur.sites.size)
            self.prev, self.prev_ids = cur, ids
            return ids
        prev = self.prev
        pair_p, pair_c = _link_voids(prev.label, prev.order, prev.start, cur.label, cur.order,
                                     cur.start, self.neighbors)
        stride = max(cur.sites.size, 1)
        key = np.unique(pair_p * stride + pair_c)       # sorted by parent, then child
        pair_p, pair_c = key // stride, key % stride
        n_children = np.bincount(pair_p, minlength=prev.sites.size)
        n_parents = np.bincount(pair_c, minlength=cur.sites.size)
        ids = self._track_ids(pair_p, pair_c, cur)

        self._one_to_one(frame, "nucleation", None, np.flatnonzero(n_parents == 0), ids, cur)
        single = (n_children[pair_p] == 1) & (n_parents[pair_c] == 1)
        for kind, changed in (("growth", cur.sites[pair_c] > prev.sites[pair_p]),
                              ("shrinkage", cur.sites[pair_c] < prev.sites[pair_p])):
            self._one_to_one(frame, kind, pair_p[single & changed], pair_c[single & changed], ids, cur)
        parents_by_child = pair_p[np.argsort(pair_c, kind="stable")]
        first_parent = np.r_[0, np.cumsum(n_parents)]
        first_child = np.r_[0, np.cumsum(n_children)]
        self._many(frame, "coalescence", [(parents_by_child[first_parent[c]:first_parent[c + 1]], np.array([c]))
                                          for c in np.flatnonzero(n_parents >= 2)], ids, cur)
        self._many(frame, "split", [(np.array([p]), pair_c[first_child[p]:first_child[p + 1]])
                                    for p in np.flatnonzero(n_children >= 2)], ids, cur)
        orphans = n_children == 0
        self._one_to_one(frame, "collapse", np.flatnonzero(orphans & prev.interface), None, ids, cur)
        self._one_to_one(frame, "dissolution", np.flatnonzero(orphans & ~prev.interface), None, ids, cur)
        self.prev, self.prev_ids = cur, ids
        return ids
