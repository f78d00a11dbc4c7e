"""The interface as an area (kmc.resolved.area, docs/area.md; the section as its limit on a map uniform
along the depth is the gap model's contract, tests/test_contract.py): the face's stereology on the plane, the
walls' capillarity (a cap's 2 gamma / R), the cap's closure against exact and finite-element answers,
the load under one plunger, void counting on sections against a constructed map, what the pellet's
pores cause at the shipped inputs, the file and the plot kinds."""
import math
from dataclasses import replace

import numpy as np
import pytest

from kmc.config import load_config
from kmc.mechanics import exact
from kmc.mechanics.cell import solve_cell
from kmc.resolved.area import AreaModel
from kmc.mechanics.reduced_area import VOIDS, AreaFoil
from kmc.launch import cell_inputs_of
from kmc.mechanics.regions import label_regions, tributaries
from kmc.cell.loop import run
from regimes import BULK_LAW, DENSE_FACE, FREE_STANDING_ISLANDS, NO_FORMATION_ENTROPY, OLD_FACE

LI = "params/li_li2s.toml"


@pytest.fixture(scope="module")
def section_inputs():
    """Li at 1 MPa on a 40 um section at 0.25 um cells, no press (the starts below are the tests' own)."""
    settings = load_config(LI, ["conditions.stack_pressure_MPa=1.0", "meso.output_every_mAh_cm2=0.05"])
    return replace(cell_inputs_of(settings, width_um=40.0), assembly=None)


def _three_voids(cells: int) -> np.ndarray:
    gap = np.zeros(cells)
    gap[20:32] = 0.5
    gap[60:64] = 0.3
    gap[100:130] = 1.0
    return gap


def test_regions_and_tributaries_are_the_sections_cuts_on_a_depth_uniform_map():
    """Tunnels along the depth: each is one region wrapping around the depth axis, and its tributary
    is the section's cell (kmc.mechanics.reduced: from the middle of the island on its left to the
    middle of the one on its right), the profiles' places the section's (exact)."""
    row = np.zeros(60, bool)
    row[[0, 1, 2, 10, 20, 21, 22, 23, 30, 31, 45, 46, 47, 48, 49, 59]] = True
    mask = np.tile(row, (5, 1))
    reg = label_regions(mask)
    assert reg.count == 5 and reg.wraps[:, 0].all() and not reg.wraps[:, 1].any()
    trib = tributaries(mask, reg)
    # regions in scan order: {59, 0, 1, 2}, {10}, {20..23}, {30, 31}, {45..49}
    assert np.array_equal(trib.feature_area / 5, [4, 1, 4, 2, 5])
    assert np.array_equal(trib.area / 5, [12, 9, 11.5, 11.5, 16])
    # the void of 5 cells: 2, 1, 0, 1, 2 cells from its middle; the island of 7 cells between the
    # first two voids: 3, 2, 1, 0, 1, 2, 3 from its middle
    assert np.array_equal(trib.middle[0, 45:50], [2, 1, 0, 1, 2])
    assert np.array_equal(trib.middle[0, 3:10], [3, 2, 1, 0, 1, 2, 3])
    assert (trib.second[:, 6] >= 0).all() and (trib.second[:, 5] == -1).all()


def test_regions_are_the_torus_components_with_consistent_images():
    """label_regions on random masks of three densities, on a stripe and on a full mask: each region is a
    4-connected component on the torus (against a union of neighbours), numbered in the order of its first
    cell; within a region a neighbour's image is the cell's plus the period it crosses, along every axis the
    region does not wrap around; and a region wraps around an axis exactly where some pair of its neighbours
    disagrees so (a cycle around the torus)."""
    rng = np.random.default_rng(11)
    masks = [rng.random((30, 50)) < p for p in (0.3, 0.55, 0.7)]
    masks += [np.tile(np.arange(50) % 7 < 3, (30, 1)), np.ones((30, 50), bool)]
    for mask in masks:
        reg = label_regions(mask)
        nz, nx = mask.shape
        parent = np.arange(mask.size)

        def root(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i
        pairs = []                                     # (cell, neighbour, axis, period crossed)
        for z in range(nz):
            for x in range(nx):
                for zz, xx, axis, crossed in ((z + 1, x, 0, int(z + 1 == nz)), (z, x + 1, 1, int(x + 1 == nx))):
                    zz, xx = zz % nz, xx % nx
                    if mask[z, x] and mask[zz, xx]:
                        pairs.append(((z, x), (zz, xx), axis, crossed))
                        parent[root(z * nx + x)] = root(zz * nx + xx)
        roots = [root(i) for i in range(mask.size)]
        first = {}
        for i in np.flatnonzero(mask.ravel()):
            first.setdefault(roots[i], len(first))
        want = np.full(mask.size, -1)
        for i in np.flatnonzero(mask.ravel()):
            want[i] = first[roots[i]]
        assert np.array_equal(reg.labels.ravel(), want) and reg.count == len(first)
        disagrees = np.zeros((reg.count, 2), bool)
        for a, b, axis, crossed in pairs:
            step = reg.image[b] - reg.image[a]
            expected = np.array([crossed, 0]) if axis == 0 else np.array([0, crossed])
            disagrees[reg.labels[a]] |= step != expected
        assert np.array_equal(disagrees, reg.wraps)
    assert reg.wraps.all() and label_regions(masks[3]).wraps.tolist() == [[True, False]] * 7   # columns 49 and 0-2 one tunnel


def test_cap_cell_closes_as_the_exact_penny_patch_at_n_1():
    """The axisymmetric cell's finite elements against the cap's exact closure where one exists
    (kmc.mechanics.exact.bonded_patch_closing_velocity: a linear viscous, incompressible solid bonded
    to a rigid base, a traction-free circular patch of radius a, remote pressure P; eta = sigma0 /
    (3 eps0) = 1/3 in the law's units).  A cap of a / b = 0.05 in a cell 4 diameters deep; tolerance:
    the table's mesh (resolution 12) is 2-3 % below convergence at a void's edge (docs/mechanics.md
    section 6), and the finite cell adds ~(a/b)^2."""
    s = 0.0025
    r = solve_cell(s, 0.25, 1.0, "stuck", geometry="cap")
    a = math.sqrt(s) * 0.5
    assert r.closing_profile[0] == pytest.approx(exact.bonded_patch_closing_velocity(1.0, a, 0.0, 1 / 3), rel=0.02)
    # incompressible: the plunger descends at the void's mean closing times its area fraction
    assert abs(r.plunger_velocity) == pytest.approx(s * r.mean_closing_velocity, rel=0.02)


def test_the_cap_closes_at_the_derived_share_of_the_sections_tunnel():
    """The cap's closure law: a cap void of diameter w at area fraction s closes, on average, at
    16 / (3 pi^2) = 0.540 of the rate of the section's tunnel of width w at void fraction s (exact for
    isolated patches at n = 1: kmc.mechanics.exact.CAP_OVER_SLOT_CLOSING).  Checked against the shipped
    tables of the finite-element cells at n = 6.6 wherever the foil is at least half a period thick
    (lambda / H <= 2): every entry within 10 % (measured: 0.50 - 0.59).  The velocities are G lambda
    over the void's width, G lambda / (s^(1/2) lambda) and G lambda / (s lambda), per unit of mean closing
    (V A_cell = v_mean A_void)."""
    from kmc.mechanics.table import load_table
    sec, cap = load_table(6.6, "stuck"), load_table(6.6, "stuck", "cap")
    checked = 0
    for i, s in enumerate(cap.void_fractions):
        for j, lh in enumerate(cap.period_over_thickness):
            if lh > 2 or s not in sec.void_fractions or lh not in sec.period_over_thickness:
                continue
            i_sec = list(sec.void_fractions).index(s)
            j_sec = list(sec.period_over_thickness).index(lh)
            cap_mean = abs(cap.plunger_velocity[i, j]) / s / math.sqrt(s)
            sec_mean = abs(sec.plunger_velocity[i_sec, j_sec]) / s / s
            assert cap_mean / sec_mean == pytest.approx(exact.CAP_OVER_SLOT_CLOSING, rel=0.10), (s, lh)
            checked += 1
    assert checked >= 40


def test_area_operator_closes_one_cap_as_its_finite_element_cell_and_its_law(section_inputs):
    """One disc void on a square area: the area's reduced operator (the axisymmetric cell of the same
    area, kmc.mechanics.reduced_area) against a finite-element solve of that cell at the void's own s and
    lambda / H (n = 6.6, between the table's entries; a coarser mesh, resolution 8, 1-2 % below the
    table's), and against the cap's derived law (16 / (3 pi^2) of the section's tunnel of the same width
    and void fraction, within 10 % of the cells: test above), in a foil thick enough for both periods
    (lambda / H < 1: where the foil's thickness no longer matters).  Tolerances: the table's
    interpolation between entries a factor 2 apart in s and lambda / H (10 %); the law's 10 % on top."""
    inp = section_inputs
    shape = (48, 48)
    foil = AreaFoil(inp.law, shape, inp.cell_um)
    z, x = np.mgrid[0:shape[0], 0:shape[1]]
    open_cells = np.hypot(z - 23.5, x - 23.5) < 8.3
    thickness = 60.0
    resp = foil.respond(open_cells, inp.pressure_MPa, thickness)
    part = resp.partition
    assert part.mode == VOIDS and part.regions.count == 1 and part.chi[0] == pytest.approx(1.0, abs=0.01)
    s = float(open_cells.mean())
    rate = inp.law.strain_rate_per_s(inp.pressure_MPa)
    lam = 2 * math.sqrt(shape[0] * shape[1] * inp.cell_um ** 2 / math.pi)
    fe = solve_cell(s, lam / thickness, inp.law.stress_exponent, "stuck", geometry="cap", resolution=8)
    blend = part.chi[0]            # a pixelated disc is not quite round: the rest is the section's period
    assert abs(resp.plunger_velocity_um_s) == pytest.approx(abs(fe.plunger_velocity) * rate * lam,
                                                            rel=0.10 + (1 - blend))
    width = 2 * math.sqrt(open_cells.sum() / math.pi) * inp.cell_um
    tunnel_period = width / s
    assert tunnel_period / thickness < 1
    G = np.exp(foil.section._log_quantity(foil.section._logG, np.array([s]), np.array([tunnel_period / thickness])))[0]
    law = exact.CAP_OVER_SLOT_CLOSING * G * tunnel_period * rate / s
    assert resp.closing_velocity_um_s[open_cells].mean() == pytest.approx(law, rel=0.2)
    # one rigid plunger: the contact carries the load, P x area = sum of the contact's tractions (to the
    # pressure profile's sampling on cells, a few per cent)
    load = resp.contact_pressure_MPa.sum() * inp.cell_um ** 2
    assert load == pytest.approx(inp.pressure_MPa * shape[0] * shape[1] * inp.cell_um ** 2, rel=0.05)


def test_the_features_are_the_voids_exactly_where_the_contact_wraps(section_inputs):
    """The partition takes the voids as its features where the contact wraps around the torus and the islands of
    contact elsewhere; a row or a column all in contact decides it without labelling the contact.  Against the
    contact's own labelling on random faces (the shortcut decides about half of them) and on a contact band along
    the diagonal, which wraps through no row or column (the labelling decides it)."""
    from kmc.mechanics.reduced_area import ISLANDS
    inp = section_inputs
    rng = np.random.default_rng(5)
    decided_by_a_line = 0
    for shape in ((1, 24), (12, 30)):
        foil = AreaFoil(inp.law, shape, inp.cell_um)
        for open_share in (0.1, 0.5, 0.7, 0.9):
            for _ in range(12):
                open_cells = rng.random(shape) < open_share
                if open_cells.all() or not open_cells.any():
                    continue
                wraps = label_regions(~open_cells).wraps.any()
                decided_by_a_line += not open_cells.any(axis=0).all() or not open_cells.any(axis=1).all()
                assert foil.partition(open_cells).mode == (VOIDS if wraps else ISLANDS)
    assert decided_by_a_line >= 20
    z, x = np.mgrid[0:12, 0:12]
    band = ((x - z) % 12) < 2                   # contact on a diagonal band: it wraps, through no row or column
    foil = AreaFoil(inp.law, (12, 12), inp.cell_um)
    assert foil.partition(~band).mode == VOIDS and foil.partition(band).mode == VOIDS
    islands = np.hypot(z - 5.5, x - 5.5) < 3    # one island of contact
    assert foil.partition(~islands).mode == ISLANDS


def test_islands_under_one_plunger_carry_the_load(section_inputs):
    """Sparse contact (islands of contact in one void, no contact region wrapping): the features are the
    islands, each the axisymmetric island cell of its tributary; one rigid plunger over all of them, so
    the smaller island (the same cell, less contact) carries the higher mean pressure, and together
    they carry the stack pressure times the area (to the profiles' sampling on cells, 5 %)."""
    from kmc.mechanics.reduced_area import ISLANDS
    inp = section_inputs
    shape = (40, 80)
    foil = AreaFoil(inp.law, shape, inp.cell_um)
    z, x = np.mgrid[0:shape[0], 0:shape[1]]
    contact = (np.hypot(z - 19.5, x - 19.5) < 6.0) | (np.hypot(z - 19.5, x - 59.5) < 3.0)
    resp = foil.respond(~contact, inp.pressure_MPa, 20.0)
    part = resp.partition
    assert part.mode == ISLANDS and part.regions.count == 2
    assert part.cell_area_um2.sum() == pytest.approx(shape[0] * shape[1] * inp.cell_um ** 2)
    big = part.regions.labels[19, 19]
    small = part.regions.labels[19, 59]
    mean = [resp.contact_pressure_MPa[part.regions.labels == k].mean() for k in (big, small)]
    assert mean[1] > mean[0] > inp.pressure_MPa
    load = resp.contact_pressure_MPa.sum() * inp.cell_um ** 2
    assert load == pytest.approx(inp.pressure_MPa * shape[0] * shape[1] * inp.cell_um ** 2, rel=0.05)
    assert (resp.closing_velocity_um_s[~contact] > 0).all() and (resp.closing_velocity_um_s[contact] == 0).all()


def test_the_plunger_s_trials_recompute_only_what_they_close(section_inputs):
    """The implicit plunger's trials (AreaFoil.plunger_speed) keep the step map's weights and recompute the
    features a trial closes cells in: on a map of many voids with Li's feature strength, every trial's |V|
    is that of recomputing every feature's weight from the trial's areas, bit for bit (a trial that
    recomputed the wrong features, or kept a closed void's weight, would differ), and voids a trial closes
    whole drop out of the load."""
    inp = section_inputs
    shape = (40, 80)
    foil = AreaFoil(inp.law, shape, inp.cell_um, strength=inp.feature_strength())
    rng = np.random.default_rng(3)
    open_cells = rng.random(shape) < 0.12
    resp = foil.respond(open_cells, inp.pressure_MPa, 20.0, wall_traction_MPa=np.where(open_cells, 0.4, 0.0))
    part = resp.partition
    assert part.mode == VOIDS and part.regions.count > 50 and part.traction_MPa is not None
    cells = part.feature_area_um2 / inp.cell_um ** 2
    for trial in range(20):
        closed = np.zeros(part.regions.count)
        pick = rng.choice(part.regions.count, size=1 + trial % 5, replace=False)
        closed[pick] = np.minimum(cells[pick], rng.integers(1, 4, pick.size))   # some whole, some in part
        area = part.feature_area_um2 - closed * inp.cell_um ** 2
        alive = area > 0
        weights = foil._weights(part, np.where(alive, area, part.feature_area_um2), 20.0)[1]
        assert foil.plunger_speed(part, closed, inp.pressure_MPa, 20.0) == foil._speed(part, weights, inp.pressure_MPa,
                                                                                         alive)
    assert foil.plunger_speed(part, None, inp.pressure_MPa, 20.0) == pytest.approx(-resp.plunger_velocity_um_s,
                                                                                   rel=1e-12)


def test_the_shallowest_open_cells_are_the_full_sort_s():
    """ShallowestFirst (the implicit descent's levels on an area) sorts only the shallowest open cells until a
    trial reaches past them, then GROWTH times as many: its cells and gaps are the full stable sort's at every k,
    ties included, before and after it reaches past its first SHALLOWEST, past GROWTH times those, and to the
    end."""
    from kmc.resolved.step_control import ShallowestFirst
    rng = np.random.default_rng(7)
    for n in (10, 300, 5000):
        gap = np.round(rng.random(n) * 3, 1)                    # gaps of 0 (closed) and many ties
        cells = np.flatnonzero(gap > 0)
        full = cells[np.argsort(gap[cells], kind="stable")]
        levels = ShallowestFirst(gap, cells)
        assert levels.size == cells.size
        first = ShallowestFirst.SHALLOWEST
        for k in (0, 1, 17, first, first + 40, first * ShallowestFirst.GROWTH + 40, 3000, cells.size):
            k = min(k, cells.size)
            assert np.array_equal(levels.shallowest(k), full[:k])
            if k < cells.size:
                assert levels[k] == gap[full[k]]
        assert ShallowestFirst(gap, cells)[-1] == gap[full[-1]]



def test_the_features_moments_are_numpy_s_sums_bit_for_bit():
    """The features' shapes (length and chi) come from their cells' unwrapped positions summed in one compiled pass
    (kmc.mechanics.reduced_area._cell_moments): the same sums as numpy's bincount over np.nonzero's cells, bit for
    bit, on random maps whose regions cross the torus's edges or wrap around it (a region's count is its size)."""
    from kmc.mechanics.reduced_area import _cell_moments
    rng = np.random.default_rng(11)
    for open_share in (0.3, 0.7):
        feature = rng.random((40, 90)) < open_share
        regions = label_regions(feature)
        assert (regions.image != 0).any() and regions.wraps.any() == (open_share > 0.5)
        lab = regions.labels[feature]
        zz, xx = np.nonzero(feature)
        z = zz + regions.image[zz, xx, 0] * feature.shape[0]
        x = xx + regions.image[zz, xx, 1] * feature.shape[1]
        n = regions.count
        expected = [np.bincount(lab, minlength=n).astype(float)] + [np.bincount(lab, w, n) for w in (z, x, z * z, x * x,
                                                                                                      z * x)]
        sums = np.zeros((6, n))
        _cell_moments(feature, regions.labels, regions.image, sums)
        assert np.array_equal(sums.view(np.int64), np.array(expected).view(np.int64))
        assert np.array_equal(sums[0], regions.sizes())

def _rim_shares_numpy(capture, open_cells, regions, at_edge):
    """kmc.resolved.area._rim_shares as numpy wrote it before its compiled kernel (the reference of the test below)."""
    def neighbour(a, shift, axis):
        return np.roll(a, -shift, axis=axis)
    contact = ~open_cells
    faces = [open_cells & neighbour(contact, s, a) for s, a in ((1, 0), (-1, 0), (1, 1), (-1, 1))]
    n_faces = sum(f.astype(float) for f in faces)
    labels = regions.labels
    n = max(regions.count, 1)
    interior = open_cells & ~at_edge
    has_interior = np.bincount(labels[interior], minlength=n) > 0
    thin_cell = open_cells & ~has_interior[np.maximum(labels, 0)]
    pooled = np.bincount(labels[open_cells], weights=capture[open_cells], minlength=n)
    pairs = np.bincount(labels[open_cells], weights=n_faces[open_cells], minlength=n)
    per_pair = np.where(pairs > 0, pooled / np.maximum(pairs, 1), 0.0)
    own = np.where(n_faces > 0, capture / np.maximum(n_faces, 1), 0.0)
    share = np.where(thin_cell, per_pair[np.maximum(labels, 0)], own)
    return np.stack([np.where(f, share, 0.0) for f in faces])


def _events_numpy(before, counted_before, after_regions, counted_after, after):
    """AreaModel.count_events's counts as numpy wrote them before its compiled kernel."""
    def counted_labels(reg, counted):
        if reg.count == 0:
            return reg.labels
        return np.where((reg.labels >= 0) & counted[np.maximum(reg.labels, 0)], reg.labels, -1)
    lab_b, lab_a = counted_labels(before, counted_before), counted_labels(after_regions, counted_after)
    both = (lab_b >= 0) & (lab_a >= 0)
    n_after = max(after_regions.count, 1)
    pairs = np.unique(lab_b[both] * n_after + lab_a[both])
    per_old = np.bincount(pairs // n_after, minlength=max(before.count, 1))
    per_new = np.bincount(pairs % n_after, minlength=n_after)
    counted_b = np.bincount(lab_b[lab_b >= 0], minlength=max(before.count, 1)) > 0
    survived = np.bincount(lab_b[(lab_b >= 0) & after], minlength=max(before.count, 1)) > 0
    return int((per_old > 1).sum()), int((per_new > 1).sum()), int(counted_b.sum() - survived.sum())


def test_the_steps_compiled_region_rules_are_numpy_s_bit_for_bit(section_inputs):
    """The step's rules over the area's regions run in compiled passes (kmc.resolved.area: the rim shares, the
    counted voids' widths, the events' overlaps; kmc.resolved.area_shapes._grouped; the walls' sums per void and
    their scatter, kmc.resolved.area_walls): each gives what the numpy
    form it replaced gives, bit for bit, on random maps whose regions cross the torus's edges or wrap around it
    and on maps a step changes (cells opened and closed: splits, coalescences and collapses all occur)."""
    from kmc.resolved.area import _overlap_events, _rim_shares, _width_spans
    from kmc.resolved.area_shapes import _grouped
    from kmc.resolved.area_walls import _scatter_walls, void_sums
    rng = np.random.default_rng(5)
    area = AreaModel(replace(section_inputs, width_um=22.5, depth_um=10.0, min_void_width_um=0.75))
    events = np.zeros(3, int)
    for open_share in (0.2, 0.45, 0.7):
        before_open = rng.random(area.shape) < open_share
        before = label_regions(before_open)
        after_open = before_open ^ (rng.random(area.shape) < 0.15)
        after_open[before.labels == np.argmax(area._counted(before))] = False     # a counted void gone whole
        after = label_regions(after_open)
        at_edge = area._at_edge(before_open)
        capture = np.where(before_open, rng.random(area.shape) * 1e-3, 0.0)
        shares = _rim_shares(capture, before_open, before.labels, max(before.count, 1), at_edge)
        expected = _rim_shares_numpy(capture, before_open, before, at_edge)
        assert np.array_equal(shares.view(np.int64), expected.view(np.int64)) and (shares > 0).any()
        for reg in (before, after):
            on = reg.labels >= 0
            x = np.nonzero(on)[1] + reg.image[..., 1][on] * area.shape[1]
            span = [np.ptp(x[reg.labels[on] == k]) + 1 for k in range(reg.count)]
            assert np.array_equal(_width_spans(reg.labels, reg.image[..., 1], reg.count), span)
            order, bounds = _grouped(reg.labels[on], reg.count)
            stable = np.argsort(reg.labels[on], kind="stable")
            assert np.array_equal(order, stable)
            assert np.array_equal(bounds, np.searchsorted(reg.labels[on][stable], np.arange(reg.count + 1)))
        # the walls' sums per void and their scatter onto the cells (kmc.resolved.area_walls.area_walls_of)
        gap = np.where(before_open, rng.random(area.shape), 0.0)
        pore = np.where(rng.random(area.shape) < 0.3, 0.5, 0.0)
        lab = before.labels[before_open]
        metal, cells, over_pore = void_sums(before.labels, gap, pore, before.count)
        summed = np.bincount(lab, (gap - pore)[before_open], before.count)
        assert np.array_equal(metal.view(np.int64), summed.view(np.int64))
        assert np.array_equal(cells, np.bincount(lab, minlength=before.count))
        assert np.array_equal(over_pore, np.bincount(lab, (pore > 0)[before_open], before.count) > 0)
        compact, per_void, spanned = ~before.wraps.any(axis=1), rng.random(before.count), metal <= 0
        traction, held = np.full(area.shape, -1.0), np.zeros(area.shape, bool)
        _scatter_walls(before.labels, compact, per_void, spanned, traction, held)
        on_compact = before_open & compact[np.maximum(before.labels, 0)]
        assert np.array_equal(traction[on_compact], per_void[before.labels[on_compact]])
        assert (traction[~on_compact] == -1.0).all() and np.array_equal(held[before_open], spanned[lab])
        assert not held[~before_open].any()
        counted_b, counted_a = area._counted(before), area._counted(after)
        assert 0 < counted_b.sum() < before.count
        got = _overlap_events(before.labels, counted_b, after.labels, counted_a, after_open)
        assert got == _events_numpy(before, counted_b, after, counted_a, after_open)
        events += got
    assert (events > 0).all()


def test_sections_count_the_voids_of_a_constructed_map(section_inputs):
    """Counting as an SEM section does, on section_lines rows across the depth: a constructed map with
    a disc, a tunnel along the depth and a void across the width's edge, every run, width and height
    known by construction (exact)."""
    inp = replace(section_inputs, width_um=10.0, depth_um=2.0, section_lines=4, min_void_width_um=0.5)
    area = AreaModel(inp)
    nz, nx = area.shape
    assert (nz, nx) == (8, 40)
    gap = np.zeros((nz, nx))
    gap[:, 10:13] = 0.4                          # a tunnel along the depth, 3 cells (0.75 um) wide
    gap[2:5, 20:26] = 0.7                        # a block crossing rows 3 only (rows 1, 3, 5, 7 are cut)
    gap[3, 22] = 0.9
    gap[5:8, 38:40] = 0.2                        # across the width's edge: rows 5 and 7, cells 38, 39, 0
    gap[5:8, 0] = 0.3
    gap[7, 30] = 0.1                             # one cell: 0.25 um, not counted
    assert list(area.section_rows()) == [1, 3, 5, 7]
    v = area.section_voids(gap)
    counted = v["width"] >= inp.min_void_width_um
    # rows 1 and 3: tunnel; row 3: the block; rows 5 and 7: tunnel and the edge void; row 7: the single cell
    assert counted.sum() == 2 + 1 + 2 + 2 and (~counted).sum() == 1
    assert sorted(v["width"][counted]) == pytest.approx(sorted([0.75] * 4 + [1.5] + [0.75] * 2))
    assert sorted(v["height"][counted]) == pytest.approx(sorted([0.4] * 4 + [0.9] + [0.3] * 2))
    edge = np.isclose(v["width"], 0.75) & np.isclose(v["height"], 0.3)
    assert v["x"][edge] == pytest.approx([(38 + 1.5) * 0.25 % 10.0] * 2)
    reg = label_regions(gap > 0)
    assert reg.count == 4 and reg.wraps[:, 0].sum() == 1
    assert area._counted(reg).sum() == 3          # the tunnel, the block and the edge void; not the cell


@pytest.fixture(scope="module")
def area_file(tmp_path_factory):
    """A small area run into a file (Li, S_f = 0: voids nucleate; 10 x 2.5 um to 0.1 mAh/cm^2)."""
    from kmc.launch import run_cell_to_file
    settings = load_config(LI, [NO_FORMATION_ENTROPY, "meso.interface=area", "meso.width_um=10", "meso.depth_um=2.5",
                                "meso.stop_stripped_mAh_cm2=0.1", "meso.output_every_mAh_cm2=0.05"])
    path = tmp_path_factory.mktemp("area") / "area.h5"
    result = run_cell_to_file(settings, path)
    return path, result


def test_area_file_round_trip(area_file):
    """An area run's file: the gap fields with both lateral axes at the stored charges (before stripping
    and at the end), the last equal to the run's final state, its samples and its voids."""
    from kmc.runfile import info, open_run_file
    path, result = area_file
    with open_run_file(path) as f:
        charges, gaps, cell_um = f.gap_sections()
        contact = f.series("contact_fraction")
        counted = f.series("counted_void_count")
    assert gaps.shape[1:] == (10, 40) and cell_um == 0.25
    assert charges[0] == 0.0 and charges[-1] == pytest.approx(result.series["stripped_charge"][-1])
    assert np.array_equal(gaps[-1], result.final.gap_um)
    assert np.array_equal(contact, result.series["contact_fraction"])
    assert np.array_equal(counted, result.series["counted_void_count"])
    assert contact[-1] == pytest.approx(float((gaps[-1] == 0).mean()))
    assert "periodic area 10 x 2.5 um" in info(path)


def test_plot_kinds_on_an_area_file(area_file, tmp_path):
    """kmc plot --kind plan and --kind cross-section on an area file; plan refuses a section file."""
    from kmc import plot
    from kmc.runfile import RunFileError
    path, _ = area_file
    plan = plot.plan_view(path)
    assert len(plan.axes) == 3                     # the plan, the section beside it, the colour bar
    sections = plot.cross_section(path, panels=2)
    assert len(sections.axes) == 2 * 3             # two charges x three depths
    settings = load_config(LI, ["meso.width_um=10", "meso.stop_stripped_mAh_cm2=0.01"])
    from kmc.launch import run_cell_to_file
    run_cell_to_file(settings, tmp_path / "section.h5")
    with pytest.raises(RunFileError, match="no plan view"):
        plot.plan_view(tmp_path / "section.h5")


def test_zero_stack_pressure_runs_on_an_area(tmp_path):
    """conditions.stack_pressure_MPa = 0 (an everyday condition): the run strips to its end; the plunger
    carries nothing, so only the walls' capillarity moves the metal (the section's rule,
    kmc.mechanics.reduced): a void whose wall bulges into the metal closes under its own traction, and
    with no traction nothing moves."""
    from kmc.launch import run_cell_to_file
    settings = load_config(LI, [NO_FORMATION_ENTROPY, "conditions.stack_pressure_MPa=0",
                                "meso.interface=area", "meso.width_um=10", "meso.depth_um=2.5", "meso.stop_stripped_mAh_cm2=0.05"])
    result = run_cell_to_file(settings, tmp_path / "p0.h5")
    assert result.stop_reason == "stripped"
    foil = AreaFoil(cell_inputs_of(settings, "area").law, (10, 40), 0.25)
    open_cells = np.zeros((10, 40), bool)
    open_cells[3:6, 10:20] = True
    resp = foil.respond(open_cells, 0.0, 50.0)
    assert not resp.closing_velocity_um_s.any() and resp.plunger_velocity_um_s == 0
    pulled = foil.respond(open_cells, 0.0, 50.0, np.where(open_cells, 0.4, 0.0))
    assert (pulled.closing_velocity_um_s[open_cells] > 0).all() and pulled.plunger_velocity_um_s < 0
    # the plunger carries nothing: the contact's tractions sum to the stack pressure's zero load
    assert pulled.contact_pressure_MPa.sum() == pytest.approx(0.0, abs=1e-9 * 0.4 * open_cells.sum())


def test_an_area_on_a_dense_face_strips_with_no_void_at_all():
    """A dense face (electrolyte.relative_density = 1, a flat envelope: no press, no open cell) is an
    area with no region: the walls have no tunnel to index (this raised an IndexError), the run strips
    in full contact, and at S_f = 0 (S = 134: the bulk law and no contact sink, regimes.OLD_FACE) sub-grid nuclei
    are born in it."""
    settings = load_config(LI, [NO_FORMATION_ENTROPY, *OLD_FACE,
                                "meso.electrolyte_roughness_rms_um=0", "meso.width_um=10", "meso.depth_um=2.5"])
    inp = cell_inputs_of(settings, "area", stop_stripped_mAh_cm2=0.001, output_every_mAh_cm2=0.001)
    out = run(AreaModel(inp))
    assert out.stop_reason == "stripped"
    assert out.final.counts["nucleated"] > 0


def test_no_void_recedes_past_the_foil_and_its_volume_spreads_over_the_void():
    """kmc.resolved.area.within_the_foil: a cell whose metal would recede past the foil's thickness
    stops there and its excess goes to the same void's cells in proportion to their room, the void's
    volume kept; another void is not touched; a void with no room stops at the thickness."""
    from kmc.resolved.area import within_the_foil
    gap = np.zeros((4, 12))
    pore = np.zeros((4, 12))
    gap[1, 1:5] = [2.0, 9.0, 22.0, 4.0]         # one void, one cell past a 10 um foil by 12
    pore[1, 2] = 1.0                             # a pore under one cell: its ceiling is 11
    gap[1, 8:10] = [3.0, 5.0]                    # another void, within the foil
    full = gap.copy()
    within_the_foil(gap, pore, 10.0)
    assert (gap - pore).max() <= 10.0 + 1e-12
    assert gap[1, 1:5].sum() == pytest.approx(full[1, 1:5].sum(), rel=1e-12)
    assert np.array_equal(gap[1, 8:10], full[1, 8:10]) and np.array_equal(gap[0], full[0])
    room = np.array([8.0, 2.0, 0.0, 6.0])        # ceiling - gap before the spread
    assert gap[1, 1:5] - full[1, 1:5] == pytest.approx(room * 12.0 / room.sum() + np.array([0, 0, -12.0, 0]),
                                                       abs=1e-12)
    tall = np.zeros((4, 12))                     # no room: the foil perforated, the void at its thickness
    tall[2, 3:6] = 50.0
    within_the_foil(tall, np.zeros((4, 12)), 10.0)
    assert np.array_equal(tall[2, 3:6], np.full(3, 10.0))


def test_the_area_face_has_the_sections_stereology_on_every_line():
    """The pellet's pores on the plane (kmc.physics.pores.face_pore_depth_map_um): one Boolean model of
    spheres, each row cut by the line's rule, so every line of the face, along the width and along the
    depth, has the section's open fraction phi and chord law (mean pore width 2 d / (3 ln(1/phi)), phi
    lambda_1 pores per um); tolerance: the sampled area's scatter (~2e4 chords: 1-2 %) and the cells'
    0.05 um (a few per cent on a 0.38 um mean width)."""
    from kmc.mechanics.reduced import runs
    from kmc.physics import pores
    phi, d, h = 0.17, 1.0, 0.05
    depth = pores.face_pore_depth_map_um((400, 400), h, phi, d, np.random.default_rng(1))
    open_cells = depth > 0
    assert open_cells.mean() == pytest.approx(phi, rel=0.05)
    for lines in (open_cells, open_cells.T):
        widths = np.concatenate([runs(line)[1] for line in lines]) * h
        assert widths.mean() == pytest.approx(pores.mean_pore_width_um(phi, d), rel=0.05)
        assert widths.size / (lines.shape[0] * lines.shape[1] * h) == pytest.approx(pores.pores_per_um(phi, d), rel=0.05)
    # pores are as deep as they are wide (the linear contact distribution: exponential, same mean)
    assert depth[open_cells].mean() == pytest.approx(pores.mean_pore_width_um(phi, d), rel=0.05)
    assert not pores.face_pore_depth_map_um((10, 10), h, 0.0, d, np.random.default_rng(1)).any()


def test_a_caps_wall_pulls_with_two_curvatures_a_tunnels_with_one(section_inputs):
    """The walls' capillarity on the area (kmc.resolved.area_walls): a void with a round footprint and the
    metal over it bulging as a cap pulls with gamma 2 / R of the spherical cap of its footprint and volume
    (exact for the cap: kmc.physics.capillarity.cap_curvature_per_um inverts VoidCap's volume); a tunnel
    along the depth pulls on every row with the section's gamma / R (kmc.resolved.walls, exact)."""
    from kmc.physics.capillarity import cap_curvature_per_um
    from kmc.physics.nucleation import VoidCap
    from kmc.resolved.area_walls import COMPACT, area_walls_of
    from kmc.resolved.walls import wall_traction_MPa, walls_of
    for alpha in (0.3, 1.2, 2.4):
        cap = VoidCap(alpha)
        assert cap_curvature_per_um(1.3, cap.volume_per_radius3 * 1.3 ** 3) == pytest.approx(2 * math.sin(alpha) / 1.3,
                                                                                               rel=1e-6)
    inp = section_inputs
    foil = AreaFoil(inp.law, (48, 48), inp.cell_um)
    gamma = 0.42
    z, x = np.mgrid[0:48, 0:48]
    disc = np.hypot(z - 23.5, x - 23.5) < 8.3
    gap = np.where(disc, 0.5, 0.0)
    walls = area_walls_of(gap, np.zeros(gap.shape), inp.cell_um, gamma, foil.shapes)
    assert walls.tunnel_axis.tolist() == [COMPACT] and not walls.held.any()
    a = math.sqrt(disc.sum() / math.pi) * inp.cell_um
    cap_pull = gamma * float(cap_curvature_per_um(a, gap.sum() * inp.cell_um ** 2))
    chi = foil.shapes(walls.regions, disc)[1][0]
    assert walls.traction_MPa[disc] == pytest.approx(cap_pull, rel=1 - chi + 1e-9)
    assert (walls.traction_MPa[~disc] == 0).all()
    row = np.zeros(48)
    row[10:22] = np.linspace(0.1, 0.6, 12)
    pore = np.zeros(48)
    pore[12:15] = 0.8                                   # a pore under part of it: the metal dips into it
    tunnel = area_walls_of(np.tile(row, (6, 1)), np.tile(pore, (6, 1)), inp.cell_um, gamma, foil.shapes)
    section = wall_traction_MPa(walls_of(row, pore, inp.cell_um), 48, inp.cell_um, gamma)
    assert tunnel.tunnel_axis.tolist() == [0]
    assert np.array_equal(tunnel.traction_MPa, np.tile(section, (6, 1)))


def test_the_walls_rules_over_many_lines_are_the_sections_line_by_line():
    """kmc.resolved.walls' rules compiled over many periodic lines at once (an area's cuts across its
    tunnels) give, line by line, what the section's one-line call gives, bit for bit: the runs and wall
    areas (against kmc.mechanics.reduced's runs and run_sums, the section's before the rules were
    compiled), capture's growth and surface diffusion (with their rim fills and dropped voids)."""
    from kmc.mechanics.reduced import run_sums, runs
    from kmc.physics.nucleation import VoidCap
    from kmc.resolved.walls import grow, grow_lines, line_walls, relax, relax_lines
    rng = np.random.default_rng(0)
    lines, n, h, B, dt = 8, 48, 0.25, 1e-2, 1.0
    scale = rng.choice([1e-3, 0.05, 1.0], (lines, 1))
    gap = np.where(rng.random((lines, n)) < 0.6, rng.random((lines, n)) * scale, 0.0)
    gap[0], gap[1] = 0.3, 0.0                            # a line all open, a line all contact
    pore = np.where(rng.random((lines, n)) < 0.2, 0.2 * rng.random((lines, n)), 0.0)
    rows, starts, widths, area = line_walls(gap, pore, h)
    for r in range(lines):
        s, w = runs(gap[r] > 0)
        assert np.array_equal(starts[rows == r], s) and np.array_equal(widths[rows == r], w)
        assert np.array_equal(area[rows == r], run_sums(gap[r] - pore[r], s, w) * h)
    cap = VoidCap(math.radians(120.0))
    capture, closing = rng.random((lines, n)), 0.01 * rng.random((lines, n))
    fill = rng.random((lines, n)) * (gap == 0)
    grown, fill_all = gap.copy(), fill.copy()
    # (a slower surface diffusion for capture, whose edges' pull would hold every thin wall back)
    retreat = np.full((lines, n), 0.5)
    grow_lines(gap, pore, fill_all, gap > 0, capture, closing, grown, dt, h, 1e-3 * B, cap, None, retreat)
    assert ((grown > 0) & (gap == 0)).any()              # some contact line moved
    for r in range(lines):
        f = fill[r].copy()
        one = grow(gap[r], pore[r], f, gap[r] > 0, capture[r], closing[r], dt, h, 1e-3 * B, cap, None, retreat[r])
        assert np.array_equal(one, grown[r]) and np.array_equal(f, fill_all[r])
    relaxed, fill_all = gap.copy(), fill.copy()
    dropped = relax_lines(relaxed, pore, fill_all, dt, h, cap, B)
    assert dropped and not np.array_equal(relaxed, gap)
    for r in range(lines):
        g, f = gap[r].copy(), fill[r].copy()
        gone = relax(g, pore[r], f, dt, h, cap, B)
        assert np.array_equal(g, relaxed[r]) and np.array_equal(f, fill_all[r])
        assert gone == [(cell, volume) for (line, cell), volume in dropped if line == r]


def _pressed_area(overrides):
    """The area's model and its state when the press ends (its start: the face and the press)."""
    inp = cell_inputs_of(load_config(LI, ["meso.width_um=10", "meso.depth_um=2.5", *overrides]), "area")
    model = AreaModel(inp)
    return model, model.start()


def test_the_pellets_pores_open_the_area_at_the_shipped_inputs():
    """At the shipped inputs (the pellet's porous face, the press with Li's flow law, Li at 0.2 MPa), a
    small area: the press leaves pore cells open and closes the envelope (measured: 34 % of the pore cells
    against none of the envelope's), some as holes the metal spans (held in their islands: every held cell
    over a pore); the bulk law fills no fewer (next test).  Stripping then splits the stripped vacancies
    between the open gaps and the contact's sink (measured: 0.35 and 0.64 at the start, 0.80 and 0.20 by
    0.05 mAh/cm^2; no nucleus born) and the contact falls.  A dense face (relative density 1, the same envelope draw for
    draw) has no holes to hold."""
    model, st = _pressed_area([])
    inp = model.inp
    assert inp.assembly.relative_density < 1 and inp.feature_strength() is not None
    pore = st.pore_um > 0
    opened = st.gap_um > 0
    assert pore.any() and opened[pore].mean() > opened[~pore].mean()
    held = model.rates(st)["spanned"]
    assert held.any() and pore[held].mean() > 0.5
    dense_model, dense = _pressed_area([DENSE_FACE])
    assert not dense.pore_um.any() and not dense_model.rates(dense)["spanned"].any()
    s = run(AreaModel(replace(inp, stop_stripped_mAh_cm2=0.05, output_every_mAh_cm2=0.025)), state=st).series
    assert s["nucleated"][-1] == 0 and (s["captured_fraction"] > 0.3).all() and (s["contact_sink_fraction"] > 0.1).all()
    assert (s["captured_fraction"] + s["contact_sink_fraction"] <= 1 + 1e-9).all()
    assert s["contact_fraction"][-1] < s["contact_fraction"][0] < 1
    assert s["void_volume_per_area"][-1] > s["void_volume_per_area"][0]


@pytest.mark.slow
def test_lis_size_effect_keeps_the_pellets_pores_open_on_an_area():
    """The shipped area of the test above pressed with the bulk law (regimes.BULK_LAW): the envelope closes
    as with Li's flow law, and the pores fill no less (measured: 32 % of the pore cells left open against
    the flow law's 34 %; 88 % with the flow law before a void's own width counted in its strength,
    kmc.mechanics.reduced: on this small area what leaves a pore open is then mostly the press's course,
    docs/mechanics.md 10.3); the pillar law on every feature (free-standing) leaves the most open."""
    _, st = _pressed_area([])
    _, bulk = _pressed_area(BULK_LAW)
    _, pillars = _pressed_area([FREE_STANDING_ISLANDS])
    pore = st.pore_um > 0
    assert np.array_equal(bulk.pore_um, st.pore_um) and np.array_equal(pillars.pore_um, st.pore_um)
    open_pores = [(x.gap_um > 0)[pore].mean() for x in (bulk, st, pillars)]
    assert open_pores[0] <= open_pores[1] < open_pores[2]
    assert not (bulk.gap_um > 0)[~pore].any()


def test_a_hole_the_metal_spans_has_no_wall_to_move_the_contact_line(section_inputs):
    """The section's rule on the area (kmc.resolved.walls.grow, SMALLEST_WALL_um): a void whose metal stands
    no higher than the smallest wall over the face (here a hole of the face the metal has entered, its metal
    below the face) has no wall, so what reaches its edge deepens its own cell and opens no contact cell
    beside it; before, its edge emptied a whole contact cell per step on a 1e-6 um height."""
    inp = replace(section_inputs, width_um=10.0, depth_um=2.0, pressure_MPa=1.0)
    area = AreaModel(inp)
    gap, pore = np.zeros(area.shape), np.zeros(area.shape)
    pore[3:5, 18:24] = 0.3                       # a pore of the face, 2 x 6 cells, the metal filling 2 x 2 of
    gap[3:5, 20:22] = 0.2                        # each side and 0.1 um into the middle 2 x 2: no wall volume
    gap[:, 5:8] = 0.5                            # and an ordinary void elsewhere
    st = area.initial_state(gap, pore)
    now = area.rates(st)
    hole = gap > 0.1
    hole[:, 5:8] = False
    assert now["walls"].held[hole].all() and not now["walls"].held[~hole].any()
    capture = now["vacancies"].capture_um_s[hole]
    assert (capture > 0).all()
    dt = 1.0
    new_gap = area.grow(st, now, np.zeros(area.shape), dt)
    beside = np.zeros(area.shape, bool)
    beside[2:6, 19:23] = True
    beside &= ~hole
    assert (new_gap[beside] == 0).all() and (st.rim_fill[beside] == 0).all()
    assert beside[pore > 0].sum() == 4                                # the filled pore cells beside it stay filled
    # what the hole captured deepened it: its cells' gaps rose by its whole capture (pooled over its edge pairs)
    assert new_gap[hole].sum() - gap[hole].sum() == pytest.approx(capture.sum() * dt, rel=1e-9)


def test_a_profile_point_is_located_as_the_walk_from_the_first_point_did():
    """kmc.mechanics.reduced_area._locate_point counts the inner points below x where it walked from the first: the
    same (k, t) as that walk, written out here, on the profile tables' points, on every point itself, its
    neighbouring doubles, outside the ends and at NaN."""
    from kmc.mechanics.reduced_area import _locate_point
    points = np.concatenate([[0.0], np.sort(np.random.default_rng(4).random(15)), [1.0]])
    xs = np.concatenate([np.linspace(-0.2, 1.2, 2001), points, np.nextafter(points, 2), np.nextafter(points, -2),
                         [np.nan]])
    for x in xs:
        if x <= points[0]:
            want = (-1, 0.0)
        elif x >= points[-1]:
            want = (points.size - 1, 0.0)
        else:
            k = 0
            while points[k + 1] < x:
                k += 1
            want = (k, (x - points[k]) / (points[k + 1] - points[k]))
        got = _locate_point(points, x)
        assert got[0] == want[0] and np.array_equal(got[1], want[1], equal_nan=True), x


def test_the_compact_voids_sums_are_the_bincounts_they_replaced():
    """What _relax_caps reads of the open cells (kmc.resolved.area_walls.void_sums, the walls' per-void sums, and
    kmc.resolved.area_shapes._void_cells): the open cells in np.nonzero's order, their voids and unwrapped places,
    and per void its cells, its metal over the envelope, whether it lies over a pore and its places summed, as the
    gathers and bincounts they replaced give them, bit for bit (on regions that cross the edges)."""
    from kmc.resolved.area_shapes import _void_cells
    from kmc.resolved.area_walls import void_sums
    rng = np.random.default_rng(13)
    gap = np.where(rng.random((24, 40)) < 0.45, rng.random((24, 40)), 0.0)
    pore = np.where(rng.random(gap.shape) < 0.3, 0.5 * rng.random(gap.shape), 0.0)
    reg = label_regions(gap > 0)
    nz, nx = gap.shape
    on = reg.labels >= 0
    zz, xx = np.nonzero(on)
    lab = reg.labels[on]
    z, x = zz + reg.image[zz, xx, 0] * nz, xx + reg.image[zz, xx, 1] * nx
    n = reg.count
    want = (zz, xx, lab, z, x, np.bincount(lab, minlength=n).astype(float), np.bincount(lab, gap[on] - pore[on], n),
            np.bincount(lab, pore[on] > 0, n) > 0, np.bincount(lab, z, n), np.bincount(lab, x, n))
    metal, count, pinned = void_sums(reg.labels, gap, pore, n)
    cells = _void_cells(reg.labels, reg.image, n)
    got = cells[:5] + (count, metal, pinned) + cells[5:]
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(got, want))
    assert (reg.image != 0).any() and want[7].any() and not want[7].all()


def test_the_compact_voids_growth_pass_is_the_numpy_form_it_replaced():
    """kmc.resolved.area._compact_growth and _cells_height: AreaModel.grow's explicit change of the compact voids'
    cells (capture kept on them, the roof's closing, capture away from the edge, per void its cells and its metal's
    heights summed, each cell's void's mean height) as the numpy expressions they replaced, bit for bit, NaN and
    negative heights included."""
    from kmc.resolved.area import _cells_height, _compact_growth
    rng = np.random.default_rng(21)
    shape = (20, 36)
    gap = np.where(rng.random(shape) < 0.5, rng.random(shape), 0.0)
    labels = label_regions(gap > 0).labels
    compact = (gap > 0) & (rng.random(shape) < 0.8)
    at_edge = compact & (rng.random(shape) < 0.4)
    pore = np.where(rng.random(shape) < 0.3, rng.random(shape), 0.0)
    capture_all, closing = rng.standard_normal(shape), rng.standard_normal(shape)
    closing[tuple(np.argwhere(compact)[0])] = np.nan             # a NaN on a compact cell: its void's sum is NaN
    dt, voids = 0.3, max(labels.max() + 1, 1)
    capture = np.where(compact, capture_all, 0.0)
    g = np.where(compact, gap - closing * dt, 0.0)
    g = np.where(compact & ~at_edge, g + capture * dt, g)
    cells = np.bincount(labels[compact], minlength=voids)
    height = np.bincount(labels[compact], weights=np.maximum(g - pore, 0.0)[compact], minlength=voids)
    want = (capture, np.where(compact, g, gap), cells, height)
    got = (np.empty(shape), np.empty(shape), np.zeros(voids, np.int64), np.zeros(voids))
    _compact_growth(compact, at_edge, labels, capture_all, gap, pore, closing, dt, *got)
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(got, want)) and np.isnan(height).any()
    mean = np.maximum(height / np.maximum(cells, 1), 1e-6)
    cell_height = np.empty(shape)
    _cells_height(compact, labels, mean, cell_height)
    assert np.array_equal(cell_height, np.where(compact, mean[np.maximum(labels, 0)], 0.0), equal_nan=True)


def test_the_rim_pins_pass_is_the_numpy_form_it_replaced():
    """kmc.resolved.area._pinned_shares: AreaModel._pin_at_rims' pass over the four neighbours (a thin edge cell
    over a pore keeps, toward a neighbour off the pore, the neighbour's retreat share of what it sends; the rest is
    summed per void) as the numpy form it replaced (rolls, masks and a bincount a direction), bit for bit, across
    the torus's edges."""
    from kmc.resolved.area import _NEIGHBOURS, _neighbour, _pinned_shares
    rng = np.random.default_rng(22)
    shape = (14, 22)
    labels = label_regions(rng.random(shape) < 0.6).labels
    thin = (labels >= 0) & (rng.random(shape) < 0.7)
    pore = np.where(rng.random(shape) < 0.5, rng.random(shape), 0.0)
    retreat = rng.random(shape)
    shares = np.where(rng.random((4,) + shape) < 0.6, rng.random((4,) + shape), 0.0)
    n = labels.max() + 1
    want_shares, want_raised = shares.copy(), np.zeros(n)
    for d, (shift, axis) in enumerate(_NEIGHBOURS):
        pinned = thin & (_neighbour(pore, shift, axis) <= 0) & (want_shares[d] > 0)
        if not pinned.any():
            continue
        kept = np.where(pinned, want_shares[d] * (1.0 - _neighbour(retreat, shift, axis)), 0.0)
        want_shares[d] = want_shares[d] - kept
        want_raised += np.bincount(labels[pinned], kept[pinned], n)
    raised = np.zeros(n)
    _pinned_shares(thin, pore, retreat, shares, labels, raised)
    assert np.array_equal(shares, want_shares) and np.array_equal(raised, want_raised) and raised.any()
