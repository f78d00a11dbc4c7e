"""The interface as it is made (docs/mechanics.md §5b): the rules of kmc.physics it added (Li's size-dependent
strength, capillarity, the pellet's pores), the metal's wall over each void (kmc.resolved.walls) and
the press onto a porous face (kmc.resolved.assembly)."""
import math

import numba
import numpy as np
import pytest

from kmc.config import load_config
from kmc.mechanics.reduced import runs
from kmc.physics import capillarity, pores
from kmc.physics.nucleation import VoidCap
from kmc.physics.strength import SizeStrength
from kmc.resolved import walls
from regimes import BULK_LAW, DENSE_FACE, FREE_STANDING_ISLANDS

LI = "params/li_li2s.toml"
XU = SizeStrength(1.4, 298.0, 105.0, 0.68, 363.0, 35.0, 1.00)
LI_CAP = VoidCap(math.radians(86.4))


def test_the_size_effect_is_xus_at_both_temperatures_and_between():
    """105 MPa at 1.4 um and d^-0.68 at 298 K; 35 MPa and d^-1.00 at 363 K; halfway between, the
    exponent is the mean and the strength the geometric mean; held beyond the measurements."""
    assert XU.strength_MPa(1.4, 298.0) == pytest.approx(105.0, rel=1e-12)
    assert XU.strength_MPa(2.8, 298.0) == pytest.approx(105.0 * 2 ** -0.68, rel=1e-12)
    assert XU.strength_MPa(2.8, 363.0) == pytest.approx(35.0 / 2, rel=1e-12)
    mid = 0.5 * (298.0 + 363.0)
    assert XU.exponent(mid) == pytest.approx(0.84, rel=1e-12)
    assert XU.reference_strength_MPa(mid) == pytest.approx(math.sqrt(105.0 * 35.0), rel=1e-12)
    assert XU.strength_MPa(1.0, 250.0) == XU.strength_MPa(1.0, 298.0)
    assert XU.strength_MPa(1.0, 400.0) == XU.strength_MPa(1.0, 363.0)
    with pytest.raises(ValueError, match="hot_K"):
        SizeStrength(1.4, 363.0, 105.0, 0.68, 298.0, 35.0, 1.0)


def test_a_walls_curvature_is_the_arc_of_its_chord_and_area():
    """A half disc of chord c (area pi c^2 / 8) has curvature 2/c; a shallow arc of sagitta d has
    area ~ (2/3) c d and curvature ~ 8 d / c^2; the sign follows the area's (into the metal > 0);
    a flat wall has none.  gamma kappa: 0.42 MPa at R = 1 um for 0.42 J/m^2."""
    c = np.array([2.0, 2.0, 2.0, 3.0])
    area = np.array([math.pi * 4 / 8, 2 / 3 * 2 * 0.001, -math.pi * 4 / 8, 0.0])
    kappa = capillarity.chord_curvature_per_um(c, area)
    assert kappa[0] == pytest.approx(1.0, rel=1e-9)
    assert kappa[1] == pytest.approx(8 * 0.001 / 4, rel=1e-3)
    assert kappa[2] == pytest.approx(-1.0, rel=1e-9) and kappa[3] == 0.0
    assert capillarity.laplace_traction_MPa(0.42, 1.0) == pytest.approx(0.42)
    # the Young angle's chord holds the cap's area: kmc.physics.nucleation's section of the cap
    a = capillarity.equilibrium_chord_um(3.0, LI_CAP)
    assert LI_CAP.section_area_per_chord2 * a ** 2 == pytest.approx(3.0, rel=1e-12)
    assert capillarity.segment_area_per_chord2(LI_CAP.angle_rad) == pytest.approx(LI_CAP.section_area_per_chord2)


@numba.njit(cache=True)
def _plain_bisection_curvatures(chord_um, area_um2, out):
    """The chord's curvature by the plain 42 halvings of (0, pi), every midpoint's area evaluated (the rule
    kmc.physics.capillarity._chord_curvatures must reproduce bit for bit)."""
    for i in range(chord_um.size):
        area = area_um2[i]
        if area == 0:
            out[i] = 0.0
            continue
        c = max(chord_um[i], 1e-300)
        target = abs(area) / c ** 2
        lo, hi = 0.0, math.pi
        for _ in range(42):
            mid = 0.5 * (lo + hi)
            if capillarity._segment_area_per_chord2(max(mid, 1e-12)) < target:
                lo = mid
            else:
                hi = mid
        kappa = 2 * math.sin(0.5 * (lo + hi)) / c
        out[i] = kappa if area > 0 else -kappa


def test_the_chords_bisection_looked_up_and_decided_by_its_root_is_the_bisection_bit_for_bit():
    """The chord's bisection reads its first levels off one tree of midpoints and decides the rest by which side
    of Newton's root each midpoint lies, evaluating only those within the rounding's reach
    (kmc.physics.capillarity._chord_curvatures).  Every curvature is the plain 42 halvings' bit for bit: on chords
    and areas over 25 decades, both signs, zero, inf and nan; on angles near pi (Newton's slow end), about
    0.05 rad (where the roots' decisions start) and below; and on areas exactly at the tree's midpoints and at
    the last levels' midpoints (a comparison that is a tie)."""
    rng = np.random.default_rng(3)
    n = 60000
    chord = np.exp(rng.uniform(-4.0, 5.0, n))
    per_chord2 = [np.exp(rng.uniform(-25.0, 10.0, n)),
                  capillarity.segment_area_per_chord2(np.pi - np.exp(rng.uniform(-25.0, -1.0, n))),
                  capillarity.segment_area_per_chord2(rng.uniform(0.0, 0.1, n)),
                  capillarity._tree()[1][rng.integers(1, 2 ** capillarity._TREE_LEVELS, n)],
                  capillarity.segment_area_per_chord2(rng.integers(1, 2 ** 40, n) * (math.pi / 2 ** 40))]
    for ratio in per_chord2:
        area = np.sign(rng.uniform(-1.0, 1.0, n)) * ratio * chord ** 2
        area[5::97], area[7::89], area[11::83] = 0.0, np.inf, np.nan
        fast = capillarity.chord_curvature_per_um(chord, area)
        plain = np.empty(n)
        _plain_bisection_curvatures(chord, area, plain)
        assert np.array_equal(fast.view(np.int64), plain.view(np.int64))
        assert np.isfinite(fast[np.isfinite(area)]).all() and (fast[area == 0] == 0).all()


def test_the_faces_pores_have_the_stereology_of_a_pressed_powder():
    """40 lines of 200 um at 0.01 um through the face of a compact of 1 um particles, 17 % porous: the
    open share is the porosity and the pores' mean width and depth 2 d / (3 ln 1/phi) = 0.376 um,
    at phi lambda_1 = 0.45 per um.  Tolerances from the statistics: ~90 pores per line, 3600 in
    all, exponential widths (relative spread 1): the mean to 1/sqrt(3600) = 1.7 %, the count to
    1.7 %, the open share (its spread between lines, 0.019 on 200 um (200 lines measured), is that of
    the particles' own 1 um correlations) to 0.3 % of 17 %, 1.8 % relative; four of those, plus the cells'
    own sampling (a pore narrower than a cell can fall between two centres: the mean width +12 %
    and the count -13 % at 0.1 um cells, ~1 % at 0.01 um)."""
    phi, d, cell = 0.17, 1.0, 0.01
    rng = np.random.default_rng(54)
    open_share, widths, depths, count = [], [], [], 0
    for _ in range(40):
        depth = pores.face_pore_depth_um(20000, cell, phi, d, rng)
        o = depth > 0
        open_share.append(o.mean())
        s, w = runs(o)
        widths += list(w * cell)
        depths += list(depth[o])
        count += s.size
    mean_width = pores.mean_pore_width_um(phi, d)
    assert mean_width == pytest.approx(2 * d / (3 * math.log(1 / phi)))
    assert np.mean(open_share) == pytest.approx(phi, rel=0.075)
    assert np.mean(widths) == pytest.approx(mean_width, rel=0.08)
    assert count / (40 * 200.0) == pytest.approx(pores.pores_per_um(phi, d), rel=0.08)
    # depth below an open point: exponential of the same mean (the linear contact distribution)
    assert np.mean(depths) == pytest.approx(mean_width, rel=0.07)
    assert pores.face_pore_depth_um(100, cell, 0.0, d, rng).max() == 0.0


def _void(cells, width, height, start=20):
    gap = np.zeros(cells)
    gap[start:start + width] = height
    return gap


def test_a_tall_void_grows_wider_and_a_flat_one_deeper():
    """Capture arriving evenly over a void's projection, one step: a void 1 um wide and 5 um tall takes
    it all on its walls (they are within a wall's height of every point of it), which move out; one
    5 um wide and 0.1 um tall takes nine tenths on its roof (all but its end cells), which deepens,
    and what lands on its thin edges (it is wider than the cap of its area) is held back by surface
    diffusion's pull (B / e^3) and raises them.  Area is kept either way; grown for long, the flat one's walls rise and it widens too,
    keeping an aspect near a cap's (height / width 0.3-0.6 after 2e4 s)."""
    h, n, B, dt, rate = 0.25, 160, 3e-4, 50.0, 1e-3
    for width, height in ((4, 5.0), (20, 0.1)):
        gap = _void(n, width, height)
        rim = np.zeros(n)
        out = walls.grow(gap, np.zeros(n), rim, gap > 0, np.where(gap > 0, rate, 0.0), np.zeros(n), dt, h, B, LI_CAP)
        landed = width * h * rate * dt
        roof = (out[gap > 0][1:-1] - gap[gap > 0][1:-1]).sum() * h
        moved = rim.sum() * height * h
        assert (out - gap).sum() * h + moved == pytest.approx(landed, rel=1e-12)
        if height > 1:                         # narrower than its cap: surface diffusion does not hold it back
            assert roof == 0.0 and moved == pytest.approx(landed, rel=1e-12)
        else:
            assert roof == pytest.approx(landed * (width - 2) / width, rel=1e-12) and moved == 0.0
    out, rim = _void(n, 20, 0.1), np.zeros(n)
    for _ in range(400):
        out = walls.grow(out, np.zeros(n), rim, out > 0, np.where(out > 0, rate, 0.0), np.zeros(n), dt, h, B, LI_CAP)
    w = runs(out > 0)[1].max() * h
    assert 0.3 < out.max() / w < 0.6


def test_surface_diffusion_rewets_a_sliver_but_not_a_pore():
    """A sliver 2 um wide and 2 nm thin on a dense face re-wets within a second (its edges move at
    B / e^3), keeping its area as a sub-grid void; a pore 0.5 um wide spanned by a flat roof stays
    open (its rims pin the contact line); a cap keeps its area while it relaxes."""
    h, n = 0.25, 80
    B = 3e-4                                              # um^4/s: D_s at 0.2 eV (params/li_li2s.toml)
    sliver = _void(n, 8, 0.002)
    shrunk = walls.relax(sliver, np.zeros(n), np.zeros(n), 1.0, h, LI_CAP, B)
    assert not (sliver > 0).any()
    assert len(shrunk) == 1 and shrunk[0][1] == pytest.approx(8 * h * 0.002 * h)
    pore = np.zeros(n)
    pore[30:32] = 0.4
    gap = pore.copy()
    assert walls.relax(gap, pore, np.zeros(n), 100.0, h, LI_CAP, B) == []
    np.testing.assert_array_equal(gap > 0, pore > 0)
    cap = _void(n, 12, 0.5)
    area = cap.sum()
    walls.relax(cap, np.zeros(n), np.zeros(n), 10.0, h, LI_CAP, B)
    assert cap.sum() == pytest.approx(area, rel=1e-9)


def test_a_retracting_contact_line_keeps_its_progress_across_steps():
    """The old rule's defect: a flat void wider than its cap whose end cells take t_c = h e^3 / B to re-wet
    (the next, with the gathered rim twice as high, 8 t_c) re-wets one cell a side in 1.5 t_c, in one
    step or in 6 or 60 steps with ``rewet`` carried (the line's part of its next cell too); without it
    (the old rule) the small steps moved no line.  The area's cuts along either axis do the same."""
    from kmc.resolved.area_walls import relax_tunnels
    h, n, B, e = 0.25, 80, 3e-4, 0.05
    t_c = h * e ** 3 / B

    def relaxed(steps, keep, line=None):
        gap = _void(n, 40, e) if line is None else line
        rewet = (np.zeros(n) if line is None else np.zeros((2, *gap.shape))) if keep else None
        for _ in range(steps):
            if line is None:
                walls.relax(gap, np.zeros(n), np.zeros(n), 1.5 * t_c / steps, h, LI_CAP, B, rewet=rewet)
            else:
                relax_tunnels(gap, np.zeros(gap.shape), np.zeros(gap.shape), 1.5 * t_c / steps, h, LI_CAP, B, rewet)
            if keep:
                rewet[..., gap == 0] = 0.0
        return gap, rewet

    one, kept = relaxed(1, True)
    assert (one > 0).sum() == 38 and kept.sum() == pytest.approx(2 * 0.5 / 8)
    for steps in (6, 60):
        many, carried = relaxed(steps, True)
        np.testing.assert_array_equal(many > 0, one > 0)
        np.testing.assert_allclose(carried, kept, atol=1e-6)
        assert (relaxed(steps, False)[0] > 0).sum() == 40
    for axis in (0, 1):
        band = np.tile(_void(n, 40, e), (6, 1))
        band = band if axis == 0 else band.T.copy()
        area, _ = relaxed(6, True, band)
        np.testing.assert_array_equal((area > 0).sum(axis=1 - axis), 38)


@pytest.fixture(scope="module")
def pressing():
    from kmc.launch import cell_inputs_of
    from kmc.resolved.section import SectionModel
    return lambda sets=(): SectionModel(cell_inputs_of(load_config(LI, list(sets)), width_um=40.0))


def test_the_press_fills_the_wider_pores_and_leaves_the_narrow_ones_the_onset_holds(pressing):
    """The shipped face (17 % open pores of ~0.4 um, the 0.1 um envelope) pressed at 50 MPa for 30 s in Li's
    flow law (kmc.physics.flow): the envelope closes, the pores wide enough for dislocation flow to start
    under the islands' pressure fill and the narrower ones stay open (contact ~0.9, Singh et al.'s 0.86 at
    20 MPa and 0.91 at 120 MPa); with the pillar law on every pore (flow.interface_features =
    'free_standing', the model of before the flow law) every pore stays open; with dislocation sources at every
    size (no onset) or the bulk law, every pore fills; with no pores and the bulk law the press is the one of
    before the pellet's face (closed in a microsecond)."""
    from kmc.resolved.assembly import press
    law = pressing()
    done = press(law, law.inp.assembly, np.random.default_rng([1, 1]))
    assert 0.1 < done.open_face < 0.3 and 0.85 < done.contact_after < 0.97
    pore = done.pore_um > 0
    still = (done.gap_um > 0) & pore
    assert 0.2 < still.sum() / pore.sum() < 0.9
    # how much of a pore stays open goes with its width: the narrowest (one cell) stay open, the wider fill
    # from the middle, where the metal enters first
    starts, widths = runs(pore)
    share = np.array([still[(s0 + np.arange(w)) % pore.size].mean() for s0, w in zip(starts, widths)])
    assert (widths == 1).any() and (widths > 1).any()
    assert share[widths == 1].mean() > 0.9 and share[widths > 1].mean() < 0.6
    pillars = pressing([FREE_STANDING_ISLANDS])
    kept = press(pillars, pillars.inp.assembly, np.random.default_rng([1, 1]))
    np.testing.assert_array_equal(kept.pore_um, done.pore_um)     # the same face
    assert ((kept.gap_um > 0) & pore).sum() >= 0.9 * pore.sum()
    for sets in (["flow.onset_hardness_MPa=0"], BULK_LAW):
        bulk = pressing(sets)
        filled = press(bulk, bulk.inp.assembly, np.random.default_rng([1, 1]))
        assert filled.contact_after == 1.0 and filled.closed_at_s < 0.1
    dense = pressing([*BULK_LAW, DENSE_FACE])
    old = press(dense, dense.inp.assembly, np.random.default_rng([1, 1]))
    assert old.open_face == 0.0 and old.contact_after == 1.0 and old.closed_at_s < 1e-5


@pytest.mark.slow
def test_the_press_is_converged_in_its_one_numerical_limit():
    """The press runs from event to event (a cell closing); between two asks of the operator no wall
    changes by more than WALL_AREA_STEP allows (kmc.resolved.assembly.wall_interval_s: of its area, or of its
    traction against P / n and of a cell at its contact lines).  On the shipped 160 um section, 0.25 against 0.1 moves
    the contact it leaves on two faces by < 0.01 (measured 0.003; the press of before, stepped,
    moved it by up to 0.15).  Slow tier: ~60 s.  (A 40 um section, whose 0.1 um envelope is four
    times steeper, keeps more of it open and is not converged to better than ~0.1: its contact line
    motion by surface diffusion, split from the events, decides which islands meet first.)"""
    from kmc.resolved import assembly
    from kmc.launch import cell_inputs_of
    from kmc.resolved.section import SectionModel
    model = SectionModel(cell_inputs_of(load_config(LI)))
    found = []
    for step in (0.25, 0.1):
        old, assembly.WALL_AREA_STEP = assembly.WALL_AREA_STEP, step
        try:
            found.append([assembly.press(model, model.inp.assembly, np.random.default_rng([s, 1])).contact_after
                          for s in (1, 2)])
        finally:
            assembly.WALL_AREA_STEP = old
    assert np.abs(np.subtract(*found)).max() < 0.01


def test_kmc_meso_runs_at_zero_stack_pressure(tmp_path):
    """`kmc meso ... --set conditions.stack_pressure_MPa=0` runs (once a ValueError traceback
    from the mechanics): the plunger follows the contact's recession, capillarity alone pulls on the
    voids, and the file holds the run; the line about the press names the pellet's open pores."""
    from click.testing import CliRunner

    from kmc.cli.meso import meso as meso_command
    out = tmp_path / "p0.h5"
    done = CliRunner().invoke(meso_command, [LI, "--set", "conditions.stack_pressure_MPa=0", "--set", "meso.width_um=20",
                                             "--set", "meso.stop_stripped_mAh_cm2=0.02", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert "17 % open pores (1 um particles)" in done.output and out.exists()
