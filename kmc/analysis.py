"""Void analysis of a run file: voids per frame, their events between frames, contact loss and
an overpotential estimate, written back into the file under ``/analysis``.

Everything is computed from the file alone (frames, neighbour table, positions, layers, box,
parameters, observables).  What a void is and how it is measured: ``VOID_DEFINITION``; what a
section counts: ``SECTION_RULE``; how voids are followed between frames: ``TRACKING_RULE``; the
overpotential: ``OVERPOTENTIAL_MODEL``.  All are stored as attributes of ``/analysis`` with
``format_version`` (``FORMAT_VERSION``) and the minimum void size used.

``analyze_file(path)`` (and ``kmc analyze FILE``, kmc.cli.analyze) write ``/analysis``;
``load_analysis(path)`` reads it back for a notebook.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from numba import njit

from kmc import __version__
from kmc.physics.electrochemistry import DEFAULT_EXCHANGE_CURRENT_mA_cm2, OVERPOTENTIAL_MODEL, overpotential_mV
from kmc.io import RunFileError, check_run_file, file_of_run, hdf5_reason, open_run_file
from kmc.io import load as load_run
from kmc.species import HOST, SOLUTE, VACANCY

EVENT_KINDS = ("nucleation", "growth", "shrinkage", "coalescence", "split", "collapse", "dissolution")


# Version of the /analysis layout and definitions; readers refuse other versions (re-run kmc analyze).
# 1: every first-neighbour vacancy cluster was a void, section runs were raw L1 vacancy runs.
# 2: L1 vacancies join in-plane, a minimum void width, isolated vacancies apart, section runs
#    bridged over undercut metal, solute (not Mg) names.
FORMAT_VERSION = 2

# The smallest lateral extent (width) of a void, nm.  A vacancy is ~0.35 nm across and a
# di- or tri-vacancy reaches ~0.5-0.9 nm; an electron-microscope section shows a gap as a void
# only once it is a few atoms wide.  1 nm (about three Li lattice constants) keeps point defects
# and few-vacancy clusters out of the void statistics while keeping every void the nm boxes can
# hold; --min-void-nm 5 or 10 mimics a FIB-SEM's lateral resolution on boxes wide enough.
DEFAULT_MIN_VOID_nm = 1.0

VOID_DEFINITION = (
    "a vacancy cluster is a connected set of vacant sites, joined through first neighbours of the "
    "file's neighbour table (periodic in x and y) and, in the contact layer L1, also in-plane between "
    "L1 sites a apart (with the [001] normal no first-neighbour bond lies inside a layer, yet two "
    "adjacent vacant L1 sites are one gap in the contact).  A cluster is a void when its width is at "
    "least min_void_nm (attribute of /analysis); smaller clusters are isolated vacancies, counted per "
    "frame but not as voids.  An interface void holds at least one L1 site, a buried void none.  "
    "Every site counts one column wide and one "
    "layer thick: the extent along an axis is the distance between the outermost site centres plus "
    "the site pitch, measured on the periodic circle in x and y (box length minus the largest empty "
    "gap).  width = the larger x or y extent of the projection of all the void's sites on the "
    "interface plane; height = depth of the deepest site + one layer spacing for an interface void "
    "(how far it reaches below the electrolyte), its own z extent for a buried void; equivalent "
    "diameter = 2 sqrt(area / pi) with the L1 footprint area (interface void) or the projected area "
    "(buried void); centroid x, y = circular mean over the periodic box, z = mean depth.")

SECTION_RULE = (
    "an SEM-like section is an L1 row in x (periodic); each L1 site on it is read as the void it "
    "belongs to, and a stretch of metal L1 sites between two sites of the same void is read as that "
    "void too when every site of the stretch is undercut by it (has a first neighbour below that "
    "belongs to the void): the section line then passes through one void, which a lone surviving "
    "atom does not split.  Voids per um of section = runs of equal void along every L1 row / total "
    "row length; a fully covered row is one run.")

TRACKING_RULE = (
    "a void of frame t and one of frame t+1 are linked when they share a site; a void that shares "
    "no site with any void of the other frame is linked instead to every void of the other frame "
    "that holds a first neighbour of one of its sites.  Events, recorded at frame t+1: nucleation "
    "(void without ancestor, or a cluster grown to the minimum width), growth / shrinkage (one "
    "ancestor with one descendant, size up / down; equal size is no event), coalescence (void with "
    "two or more ancestors), split (void with two or more descendants), collapse (interface void "
    "without descendant: its former L1 footprint is metal again, or what is left of it is narrower "
    "than the minimum), dissolution (buried void without descendant).  Track ids: each ancestor passes its id to its largest descendant; "
    "a void offered several ids keeps that of its largest ancestor; other voids get new ids.  "
    "Voids of frame 0 get ids without nucleation events.")

# name: (unit, description); the order is the column order in the file.
FRAME_COLUMNS = {
    "frame": ("1", "frame index in /particles/metal/species"),
    "step": ("1", "event count at the frame"),
    "time_s": ("s", "kMC time at the frame"),
    "stripped_charge_mAh_cm2": ("mAh/cm^2", "/observables/stripped_charge at the frame step "
                                            "(NaN if no sample was written at that step)"),
    "stripped_monolayers": ("monolayer", "/observables/stripped_monolayers at the frame step "
                                         "(NaN if no sample was written at that step)"),
    "contact_fraction": ("1", "L1 metal atoms joined to the electrode by a path of first-neighbour metal "
                         "sites / L1 sites (electrical contact; NaN without an interface)"),
    "interface_void_count": ("1", "voids holding at least one L1 site"),
    "buried_void_count": ("1", "voids without an L1 site"),
    "isolated_vacancy_count": ("1", "vacant sites in no void (single vacancies and clusters narrower "
                                    "than min_void_nm)"),
    "isolated_l1_vacancy_count": ("1", "vacant L1 sites in no void (lost contact that is not a void)"),
    "interface_voids_per_um2": ("um^-2", "interface voids / interface area"),
    "interface_voids_per_um_section": ("um^-1", "voids met along every L1 row in x / total row length: "
                                                "the void density an SEM cross-section sees "
                                                "(/analysis attrs section_rule)"),
    "max_void_width_nm": ("nm", "largest interface-void width (NaN without interface voids)"),
    "max_void_height_nm": ("nm", "largest interface-void height (NaN without interface voids)"),
    "void_width_q1_nm": ("nm", "first quartile of interface-void widths"),
    "void_width_median_nm": ("nm", "median interface-void width"),
    "void_width_q3_nm": ("nm", "third quartile of interface-void widths"),
    "void_height_q1_nm": ("nm", "first quartile of interface-void heights"),
    "void_height_median_nm": ("nm", "median interface-void height"),
    "void_height_q3_nm": ("nm", "third quartile of interface-void heights"),
    "interface_solute_fraction": ("1", "solute / metal atoms in L1 (NaN without metal there or without an "
                                       "interface)"),
    "overpotential_mV": ("mV", "Butler-Volmer current-focusing estimate (see /analysis attrs overpotential_model)"),
    **{f"n_{kind}": ("1", f"{kind} events up to and including this frame") for kind in EVENT_KINDS},
}
VOID_COLUMNS = {
    "frame": ("1", "frame index"),
    "track_id": ("1", "persistent void id across frames"),
    "sites": ("1", "vacant sites in the void"),
    "volume_nm3": ("nm^3", "sites x atomic volume a^3/2"),
    "footprint_sites": ("1", "L1 sites of the void"),
    "footprint_area_nm2": ("nm^2", "footprint sites x interface area / L1 sites"),
    "width_nm": ("nm", "larger x or y extent of the projection on the interface plane, periodic-aware"),
    "equivalent_diameter_nm": ("nm", "2 sqrt(area / pi); area = footprint area (interface voids) "
                                     "or projected area (buried voids)"),
    "height_nm": ("nm", "interface void: depth of the deepest site + one layer spacing; "
                        "buried void: z extent (+ one layer spacing)"),
    "centroid_x_A": ("angstrom", "circular mean over the periodic box"),
    "centroid_y_A": ("angstrom", "circular mean over the periodic box"),
    "centroid_z_A": ("angstrom", "mean depth below the electrolyte"),
    "interface": ("1", "1 for an interface void, 0 for a buried void"),
}
EVENT_COLUMNS = {
    "frame": ("1", "frame at which the event is first seen"),
    "kind": ("", ", ".join(EVENT_KINDS)),
    "parents": ("", "track ids of the voids before the event (frame - 1), comma separated"),
    "children": ("", "track ids of the voids after the event (frame), comma separated"),
    "parent_sites": ("", "sizes (sites) of the parents, same order"),
    "child_sites": ("", "sizes (sites) of the children, same order"),
}


class AnalysisInputError(RunFileError):
    """A file or argument the analysis cannot use; the message says what is wrong and what is allowed.
    A RunFileError, so readers that run the analysis (``kmc plot --kind voids``) report it the same way."""


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


@njit(cache=True)
def _connected_l1_metal(occupancy, neighbors, layer, n_layers):
    """L1 metal atoms joined to the electrode: breadth-first search from every metal site of the
    bottom layer (bonded to the bulk below) through first-neighbour metal sites; the L1 sites it
    reaches.  The same rule as the engine's contact (kmc.engine.metal_connected), found from the
    other end."""
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
        if layer[s] == 0:
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


def _distinct_coordinates(values_A):
    """Index of each row's distinct value (coordinates equal to 1e-3 A) and the number of distinct values."""
    keys = np.round(np.asarray(values_A).reshape(len(values_A), -1) / 1e-3).astype(np.int64)
    keys -= keys.min(axis=0)
    key = keys[:, 0]
    for k in range(1, keys.shape[1]):
        key = key * (int(keys[:, k].max()) + 1) + keys[:, k]
    distinct, inverse = np.unique(key, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), distinct.size


def read_geometry(f) -> RunGeometry:
    metal = f["particles/metal"]
    position = np.ascontiguousarray(metal["position"][()], dtype=np.float64)
    layer = np.ascontiguousarray(metal["layer"][()], dtype=np.int32)
    box = np.asarray(metal["box/edges"][()], dtype=np.float64)
    boundary = [b.decode() if isinstance(b, bytes) else str(b) for b in metal["box"].attrs["boundary"]]
    a = float(metal.attrs["lattice_constant_A"])
    spacing = float(metal.attrs["layer_spacing_A"])
    column, n_columns = _distinct_coordinates(position[:, :2])
    _, n_x = _distinct_coordinates(position[:, 0])
    _, n_y = _distinct_coordinates(position[:, 1])
    periodic_z = boundary[2] == "periodic"
    axes = np.array([[box[0], box[1], box[2] if periodic_z else 0.0],
                     [box[0] / n_x, box[1] / n_y, spacing]])
    neighbors = np.ascontiguousarray(metal["neighbors"][()], dtype=np.int32)
    l1 = np.flatnonzero(layer == 0)
    # L1 as rows in y, each sorted in x (a section line runs along a row)
    iy, n_rows = _distinct_coordinates(position[l1, 1])
    by_row = np.lexsort((position[l1, 0], iy))
    if l1.size % n_rows or np.any(np.bincount(iy) != l1.size // n_rows):
        raise AnalysisInputError(f"the L1 sites of {f.filename} do not form rows of equal length in x; "
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
            raise AnalysisInputError(f"the L1 sites of {f.filename} have no first-neighbour bond in-plane but do "
                                     "not form a square net; allowed: a run file of a [001] or [110] slab")
        grid = np.empty((n_rows, n_x1), np.int64)
        grid[iy, ix] = l1
        in_plane[l1] = np.stack([grid[iy, (ix + 1) % n_x1], grid[iy, (ix - 1) % n_x1],
                                 grid[(iy + 1) % n_rows, ix], grid[(iy - 1) % n_rows, ix]], axis=1)
    interface_area = float(box[0] * box[1])
    return RunGeometry(
        neighbors=neighbors, position_A=position, layer=layer, column=column, axes=axes,
        n_layers=int(metal.attrs["n_layers"]), l1_sites=int(l1.size), layer_spacing_A=spacing,
        atomic_volume_A3=a ** 3 / 2.0, interface_area_A2=interface_area,
        column_area_A2=interface_area / n_columns, has_interface=not periodic_z,
        l1_grid=l1_grid, in_plane=in_plane, section_length_um=n_rows * float(box[0]) * 1e-4)


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
    isolated_vacancies: int        # vacant sites in clusters narrower than the minimum
    isolated_l1_vacancies: int


def frame_voids(occupancy, geo: RunGeometry, min_void_nm: float = DEFAULT_MIN_VOID_nm) -> FrameVoids:
    """Detect the voids of one frame (``VOID_DEFINITION``) and measure them (units: nm, nm^2, nm^3,
    A for centroids)."""
    label, order, start = _label_clusters(occupancy, geo.neighbors, geo.in_plane)
    footprint, n_columns, extent, centroid, deepest = _void_shapes(
        order, start, geo.position_A, geo.layer, geo.column, geo.axes)
    sites = np.diff(start).astype(np.int64)
    footprint *= geo.has_interface          # a periodic bulk box has no L1
    width_nm = np.maximum(extent[:, 0], extent[:, 1]) * 0.1
    is_void = width_nm >= min_void_nm * (1 - 1e-9)   # a width equal to the minimum up to rounding counts
    isolated, isolated_l1 = int(sites[~is_void].sum()), int(footprint[~is_void].sum())
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
    return FrameVoids(label, order, start, sites, interface, columns, isolated, isolated_l1)


def section_void_count(occupancy, voids: FrameVoids, geo: RunGeometry) -> int:
    """Voids met along every L1 row in x, by ``SECTION_RULE``."""
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


# ------------------------------------------------------------------------------- the analysis
def _as_table(columns: dict):
    try:
        import pandas as pd
    except ImportError:
        return columns
    return pd.DataFrame(columns)


def _check_number(name, value, allowed, ok):
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and ok(value)):
        raise AnalysisInputError(f"{name} {value!r} is not usable; allowed: {allowed}")


def exchange_current_of(parameter_attrs, override: float | None = None) -> tuple[float, str]:
    """The exchange current density (mA/cm^2) for the overpotential and where it came from: the
    override, else the run's ``conditions.exchange_current_mA_cm2``, else the package default."""
    if override is not None:
        return float(override), "given"
    if "conditions.exchange_current_mA_cm2" in parameter_attrs:
        return float(parameter_attrs["conditions.exchange_current_mA_cm2"]), "run file"
    return DEFAULT_EXCHANGE_CURRENT_mA_cm2, "default"


def compute_analysis(path, exchange_current_mA_cm2: float | None = None,
                     min_void_nm: float = DEFAULT_MIN_VOID_nm) -> dict:
    """Everything ``/analysis`` holds, as numpy arrays: {"frames", "voids", "events",
    "solute_profile"}, plus the "exchange_current_mA_cm2" used (None: the file's value, else the
    default) and its "exchange_current_source", and "min_void_nm"."""
    path = Path(path)
    if exchange_current_mA_cm2 is not None:
        _check_number("exchange current density", exchange_current_mA_cm2, "a finite number > 0 mA/cm2",
                      lambda x: x > 0)
    _check_number("minimum void width", min_void_nm, f"a finite number >= 0 nm (default {DEFAULT_MIN_VOID_nm:g})",
                  lambda x: x >= 0)
    check_run_file(path)
    with open_run_file(path) as f:
        geo = read_geometry(f)
        species = f["particles/metal/species"]
        frame_step = species["step"][()].astype(np.int64)
        frame_time = species["time"][()].astype(np.float64)
        sample_step = f["observables/stripped_charge/step"][()]
        charge = _observable_at(frame_step, sample_step, f["observables/stripped_charge/value"][()])
        monolayers = _observable_at(frame_step, sample_step, f["observables/stripped_monolayers/value"][()])
        parameters = f["parameters"].attrs
        current = float(parameters["conditions.current_density_mA_cm2"])
        temperature = float(parameters["conditions.temperature_K"])
        i0, i0_source = exchange_current_of(parameters, exchange_current_mA_cm2)
        n_frames = frame_step.size
        tracker = _Tracker(geo.neighbors)
        solute_profile = np.full((n_frames, geo.n_layers), np.nan)
        contact = np.full(n_frames, np.nan)
        section_runs = np.zeros(n_frames, np.int64)
        stats = {name: np.full(n_frames, np.nan) for name in SHAPE_STATISTICS}
        counts = {name: np.zeros(n_frames, np.int64) for name in
                  ("interface_void_count", "buried_void_count", "isolated_vacancy_count", "isolated_l1_vacancy_count")}
        void_parts = {name: [] for name in VOID_COLUMNS}
        for t in range(n_frames):
            occupancy = species["value"][t]
            voids = frame_voids(occupancy, geo, min_void_nm)
            ids = tracker.add(t, voids)
            for name, values in voids.columns.items():
                void_parts[name].append(values)
            void_parts["frame"].append(np.full(ids.size, t, np.int64))
            void_parts["track_id"].append(ids)
            layer_counts = _layer_species_counts(occupancy, geo.layer, geo.n_layers)
            metal = layer_counts[:, HOST] + layer_counts[:, SOLUTE]
            with np.errstate(invalid="ignore"):
                solute_profile[t] = layer_counts[:, SOLUTE] / metal
            if geo.has_interface:
                contact[t] = _connected_l1_metal(occupancy, geo.neighbors, geo.layer, geo.n_layers) / geo.l1_sites
                section_runs[t] = section_void_count(occupancy, voids, geo)
            counts["interface_void_count"][t] = np.count_nonzero(voids.interface)
            counts["buried_void_count"][t] = voids.interface.size - counts["interface_void_count"][t]
            counts["isolated_vacancy_count"][t] = voids.isolated_vacancies
            counts["isolated_l1_vacancy_count"][t] = voids.isolated_l1_vacancies
            widths = _quartiles(voids.columns["width_nm"][voids.interface])
            heights = _quartiles(voids.columns["height_nm"][voids.interface])
            for name, value in zip(SHAPE_STATISTICS, widths + heights):
                stats[name][t] = value

    events = tracker.events()
    area_um2 = geo.interface_area_A2 * 1e-8
    interface_solute = solute_profile[:, 0] if geo.has_interface else np.full(n_frames, np.nan)
    frames = {
        "frame": np.arange(n_frames, dtype=np.int64),
        "step": frame_step,
        "time_s": frame_time,
        "stripped_charge_mAh_cm2": charge,
        "stripped_monolayers": monolayers,
        "contact_fraction": contact,
        **counts,
        "interface_voids_per_um2": counts["interface_void_count"] / area_um2 if geo.has_interface
        else np.full(n_frames, np.nan),
        "interface_voids_per_um_section": section_runs / geo.section_length_um if geo.has_interface
        else np.full(n_frames, np.nan),
        **stats,
        "interface_solute_fraction": interface_solute,
        "overpotential_mV": overpotential_mV(current, contact, i0, temperature),
    }
    for kind in EVENT_KINDS:
        per_frame = np.bincount(events["frame"][events["kind"] == kind], minlength=n_frames)
        frames[f"n_{kind}"] = np.cumsum(per_frame).astype(np.int64)
    frames = {name: frames[name] for name in FRAME_COLUMNS}
    voids = {name: np.concatenate(parts) for name, parts in void_parts.items()}
    return {"frames": frames, "voids": voids, "events": events, "solute_profile": solute_profile,
            "exchange_current_mA_cm2": i0, "exchange_current_source": i0_source, "min_void_nm": float(min_void_nm)}


STRING_BLOCK_ROWS = 1 << 16


def _write_columns(group, columns: dict, docs: dict):
    """One 1-D dataset per column.  Event kinds are variable-length UTF-8 strings; the id and size
    lists (digits and commas) are fixed-length UTF-8, which gzip shrinks far below the ~40 bytes
    per row that variable-length strings take.  Long columns are gzip-compressed."""
    for name, (unit, description) in docs.items():
        values = columns[name]
        compress = {"compression": "gzip", "compression_opts": 1} if values.size > 4096 else {}
        if values.dtype == object and name == "kind":
            ds = group.create_dataset(name, data=values, dtype=h5py.string_dtype("utf-8"))
        elif values.dtype == object:
            width = max(1, max(map(len, values), default=0))
            ds = group.create_dataset(name, shape=values.shape, dtype=h5py.string_dtype("utf-8", width), **compress)
            for first in range(0, values.size, STRING_BLOCK_ROWS):   # bounded memory for long tables
                block = values[first:first + STRING_BLOCK_ROWS]
                ds[first:first + block.size] = block.astype(ds.dtype)
        else:
            ds = group.create_dataset(name, data=values, shuffle=bool(compress), **compress)
        ds.attrs["unit"] = unit
        ds.attrs["description"] = description


def write_analysis(path, result: dict):
    """(Re)write ``/analysis`` of ``path`` from ``compute_analysis``'s result.

    The old group is deleted first, so that HDF5 can reuse its space for the new one; a write that
    fails leaves no ``/analysis`` group rather than a partial one.
    """
    try:
        f = h5py.File(path, "r+")
    except OSError as exc:
        raise AnalysisInputError(f"cannot write into {path} ({hdf5_reason(exc)}); allowed: a writable run file, "
                                 "not open in another program") from None
    with f:
        if "analysis" in f:
            del f["analysis"]
        g = f.create_group("analysis", track_order=True)
        try:
            g.attrs["format_version"] = FORMAT_VERSION
            g.attrs["exchange_current_mA_cm2"] = float(result["exchange_current_mA_cm2"])
            g.attrs["exchange_current_source"] = result["exchange_current_source"]
            g.attrs["min_void_nm"] = float(result["min_void_nm"])
            g.attrs["code_version"] = __version__
            g.attrs["overpotential_model"] = OVERPOTENTIAL_MODEL
            g.attrs["tracking_rule"] = TRACKING_RULE
            g.attrs["void_definition"] = VOID_DEFINITION
            g.attrs["section_rule"] = SECTION_RULE
            for name, docs in (("frames", FRAME_COLUMNS), ("voids", VOID_COLUMNS), ("events", EVENT_COLUMNS)):
                _write_columns(g.create_group(name, track_order=True), result[name], docs)
            profile = g.create_dataset("solute_profile", data=result["solute_profile"])
            profile.attrs["unit"] = "1"
            profile.attrs["dims"] = np.array([b"frame", b"layer"])
            profile.attrs["description"] = ("solute / metal atoms in each layer (layer 0 = L1); NaN where a layer "
                                            "holds no metal")
        except BaseException:
            del f["analysis"]
            raise


def analyze_file(path, exchange_current_mA_cm2: float | None = None, min_void_nm: float = DEFAULT_MIN_VOID_nm):
    """Analyse a run file and (re)write its ``/analysis`` group; return the per-frame summary.

    The summary is a pandas DataFrame (a dict of numpy arrays without pandas).  Raises
    RunFileError, before touching the file, for a missing, foreign, damaged or frameless file.
    """
    result = compute_analysis(path, exchange_current_mA_cm2, min_void_nm)
    write_analysis(path, result)
    return _as_table(result["frames"])


def check_analysis_version(f: h5py.File, path) -> h5py.Group:
    """The ``/analysis`` group of an open file, if written in this ``FORMAT_VERSION``; otherwise an
    AnalysisInputError (a KeyError-free message that says to re-run kmc analyze)."""
    if "analysis" not in f:
        raise AnalysisInputError(f"{path} has no /analysis group; allowed: a file analysed with `kmc analyze {path}`")
    g = f["analysis"]
    version = g.attrs.get("format_version", 1)
    if version != FORMAT_VERSION:
        raise AnalysisInputError(f"{path} holds an /analysis of format {version} (an older void definition); "
                                 f"allowed: format {FORMAT_VERSION}: re-run `kmc analyze {path}`")
    return g


def load_analysis(path) -> dict:
    """``/analysis`` of a file: {"frames", "voids", "events"} as DataFrames (dicts of arrays
    without pandas), "solute_profile" as an (n_frames, n_layers) array and "attrs" (the
    definitions, min_void_nm, exchange current).  AnalysisInputError for a file without
    ``/analysis`` or with one of another format (re-run kmc analyze)."""
    with h5py.File(path, "r") as f:
        g = check_analysis_version(f, path)
        out = {}
        for name in ("frames", "voids", "events"):
            out[name] = _as_table({k: (ds.asstr()[()] if h5py.check_string_dtype(ds.dtype) else ds[()])
                                   for k, ds in g[name].items()})
        out["solute_profile"] = g["solute_profile"][()]
        out["attrs"] = {k: (v.item() if hasattr(v, "item") else v) for k, v in g.attrs.items()}
    return out


def load(path, as_xarray: bool | None = None):
    """``kmc.load``: the run (``kmc.io.load``, whose docstring says what it holds) and, if ``kmc
    analyze`` has been run on it, its per-frame void statistics as variables ``analysis_<column>``
    on ``frame`` and the solute profile as ``analysis_solute_profile`` (frame, layer_index); in the
    dict (``as_xarray=False``) the whole ``load_analysis`` result is under "analysis".  The
    per-void and per-event tables are pandas DataFrames from ``kmc.load_analysis(path)``."""
    run = load_run(path, as_xarray)
    source = file_of_run(path)     # X.h5, or the .partial of a run being written (never analysed)
    with open_run_file(source) as f:
        analysed = "analysis" in f
    if not analysed:
        return run
    analysis = load_analysis(source)
    if isinstance(run, dict):
        run["analysis"] = analysis
        return run
    n_frames = run.sizes["frame"]
    frames = analysis["frames"]
    for column in frames:
        if column != "frame":
            run[f"analysis_{column}"] = (("frame",), np.asarray(frames[column])[:n_frames])
    run["analysis_solute_profile"] = (("frame", "layer_index"), analysis["solute_profile"][:n_frames])
    return run
