"""The interface before stripping (kmc.resolved.assembly, docs/mechanics.md §5a): the electrolyte face's
self-affine profile, the press that closes it, and a run that starts from what the press leaves."""
import math
from dataclasses import replace

import numpy as np
import pytest

from kmc.config import load_config
from kmc.physics.face import self_affine_profile_um
from kmc.physics.flow import FREE_STANDING
from kmc.resolved.assembly import press
from kmc.launch import cell_inputs_of
from kmc.resolved.section import SectionModel
from regimes import NO_FORMATION_ENTROPY, OLD_FACE

LI = "params/li_li2s.toml"


def test_the_face_has_the_rms_and_the_spectrum_of_its_hurst_exponent():
    """Every line has the asked RMS and mean 0; the mean periodogram of 32 lines of 4096 cells falls as
    q^-(1 + 2H).  Tolerance from the statistics: each averaged ordinate has a relative error
    1/sqrt(32) = 0.18, and a least-squares slope over 2048 ordinates in ln q (spread ~1 per ordinate)
    has a standard error ~0.18 / sqrt(2048) = 0.004; 0.02 is five of them.  Fixed seed."""
    rng = np.random.default_rng(2026)
    cells, cell_um, rms, hurst = 4096, 0.25, 0.1, 0.85
    power = np.zeros(cells // 2)
    for _ in range(32):
        h = self_affine_profile_um(cells, cell_um, rms, hurst, rng)
        assert math.sqrt(np.mean(h * h)) == pytest.approx(rms, rel=1e-12) and abs(h.mean()) < 1e-15
        power += np.abs(np.fft.rfft(h)[1:cells // 2 + 1]) ** 2 / 32
    q = np.arange(1, cells // 2)                       # the Nyquist ordinate (real, half the power) left out
    slope = np.polyfit(np.log(q), np.log(power[:-1]), 1)[0]
    assert slope == pytest.approx(-(1 + 2 * hurst), abs=0.02)
    with pytest.raises(ValueError, match="cells = 2"):
        self_affine_profile_um(2, cell_um, rms, hurst, rng)


@pytest.fixture(scope="module")
def li_model():
    # the face of before the pellet's: no pores (a dense pellet), bulk creep (no size effect)
    return SectionModel(cell_inputs_of(load_config(LI, OLD_FACE), cell_um=0.25))


def test_the_seeds_press_closes_its_polished_face_and_the_press_is_what_closes_it(li_model):
    """The shipped assembly (50 MPa for 30 s) onto the envelope alone (RMS 0.1 um over the 160 um
    section, H 0.85; electrolyte.relative_density = 1, no pores): the foil touches one point before it
    and the whole section after, within microseconds in bulk creep (Li creeps at ~1e9 /s at 50 MPa)
    while with Xu's pillar strength on every feature (the free-standing limit of Li's flow law, read at each
    gap's smaller width since the void's own width counts, kmc.mechanics.reduced) the narrow gaps between
    the asperities stay open (measured: contact 0.19 after the 30 s); pressed for 1 ns instead a fifth of it
    is still open, so the closing is the press's."""
    inp = li_model.inp
    assert inp.assembly is not None and inp.assembly.pressure_MPa == 50.0 and inp.assembly.time_s == 30.0
    done = press(li_model, inp.assembly, np.random.default_rng([1, 1]))
    assert done.contact_before == pytest.approx(1 / inp.cells)
    assert done.contact_after == 1.0 and not (done.gap_um > 0).any()
    assert 0 < done.closed_at_s < 1e-3
    strong = SectionModel(replace(inp, flow=cell_inputs_of(load_config(LI)).flow, interface_features=FREE_STANDING))
    pillars = press(strong, inp.assembly, np.random.default_rng([1, 1]))
    assert pillars.closed_at_s is None and pillars.contact_after < 0.5
    short = press(li_model, replace(inp.assembly, time_s=1e-9), np.random.default_rng([1, 1]))
    assert short.closed_at_s is None and short.contact_after < 0.9
    np.testing.assert_array_equal(short.profile_um, done.profile_um)


def test_a_run_starts_from_what_the_press_leaves():
    """kmc meso's section run begins where the assembly ends: where the press closes the face the run
    is the one from full contact, draw for draw (the face has its own random stream); where it
    cannot (1 ns of press), the run starts with those gaps, and the file stores them as its
    section before stripping (charge 0)."""
    from kmc.cell.loop import Observer, run
    # S_f = 0 (S = 134): nuclei are drawn from the first step, so a face drawn from the run's own
    # stream would change them
    sets = ["meso.width_um=40.0", "meso.stop_stripped_mAh_cm2=0.01", "meso.output_every_mAh_cm2=0.005",
            *OLD_FACE, NO_FORMATION_ENTROPY]
    pressed = cell_inputs_of(load_config(LI, sets), cell_um=0.5)
    flat = cell_inputs_of(load_config(LI, sets + ["meso.assembly_pressure_MPa=0"]), cell_um=0.5)
    assert flat.assembly is None
    a, b = run(SectionModel(pressed)).series, run(SectionModel(flat)).series
    assert a["nucleated"][-1] > 0
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    sections = []

    class Frames(Observer):
        def on_frame(self, charge, gap):
            sections.append((charge, gap))
    brief = replace(pressed, assembly=replace(pressed.assembly, time_s=1e-9))
    started = run(SectionModel(brief), Frames()).series
    assert started["contact_fraction"][0] < 0.9
    assert sections[0][0] == 0.0 and (sections[0][1] > 0).mean() == pytest.approx(1 - started["contact_fraction"][0])


def test_the_press_asks_again_as_a_wall_s_traction_or_its_contact_lines_would_move_too_far():
    """kmc.resolved.assembly.wall_interval_s, the press's one numerical limit, per wall: a wall whose traction s is
    at least P / n keeps the area's share (WALL_AREA_STEP of its area plus the floor, at its rate of change); one
    whose traction is below it may change its area by (P / n) / |s| times as much, as long as surface diffusion
    moves it by at most WALL_AREA_STEP of a cell; never less than the area's share.  A contact line where the metal
    is e high crosses a cell in cell / (B / e^3)."""
    from kmc.resolved.assembly import WALL_AREA_STEP, edge_crossing_time_s, wall_interval_s
    P, n = 50.0, 6.6                                       # the press's pressure and Li's exponent: P / n = 7.6 MPa
    area, floor, change = np.array([2.0, 2.0, 2.0, 2.0]), np.full(4, 0.01), np.full(4, 4.0)
    traction = np.array([20.0, -0.76, 0.76, 0.76])          # MPa: above P / n; ten times below it, either sign
    slow = np.array([np.inf, np.inf, np.inf, 2.0])          # s: the last wall's surface moves it a cell in 2 s
    got = wall_interval_s(area, floor, change, traction, slow, P, n)
    by_area = WALL_AREA_STEP * (2.0 + 0.01) / 4.0
    assert got[0] == pytest.approx(by_area, rel=1e-12)
    loosened = WALL_AREA_STEP * (P / n / 0.76 * 2.0 + 0.01) / 4.0
    assert got[1] == pytest.approx(loosened, rel=1e-12) and got[2] == pytest.approx(loosened, rel=1e-12)
    assert got[3] == pytest.approx(WALL_AREA_STEP * 2.0, rel=1e-12) and by_area < got[3] < got[2]
    fast = wall_interval_s(area, floor, change, traction, np.full(4, 1e-9), P, n)
    assert fast == pytest.approx(np.full(4, by_area), rel=1e-12)          # the share is the least it allows
    # a contact line: cell / (B / e^3), e floored where kmc.resolved.walls stops calling it a wall; none without B
    assert edge_crossing_time_s(np.array([0.1]), 0.25, 3.1e-4)[0] == pytest.approx(0.25 * 1e-3 / 3.1e-4)
    assert edge_crossing_time_s(np.array([-1.0]), 0.25, 3.1e-4)[0] == pytest.approx(0.25 * 1e-12 / 3.1e-4)
    assert np.isinf(edge_crossing_time_s(np.array([0.1]), 0.25, 0.0)).all()


def test_the_press_counts_the_asks_a_wall_s_limit_ended_apart_from_those_a_closing_cell_ended():
    """kmc.resolved.assembly._press_events on a made-up operator: three gaps of 1, 2 and 3 um closing at 1 um/s,
    one by one.  Unlimited, each closing ends an interval (3 asks, none a wall's); with every interval held to 0.4 s
    (a wall's limit), each second takes 0.4 + 0.4 + 0.2 s: 9 asks, 6 of them the wall's, and the gaps close as
    before (the count is what tells the asks that grow with the voids from those the closing cells need)."""
    from kmc.resolved.assembly import _press_events

    def operator(limit_s):
        return lambda gap: (np.where(gap > 0, 1.0, 0.0), lambda rate, dt: min(dt, limit_s))
    for limit_s, asks, wall_asks in ((math.inf, 3, 0), (0.4, 9, 6)):
        gap, t, steps, dropped, walls = _press_events(np.array([1.0, 2.0, 3.0]), 10.0, operator(limit_s),
                                                      lambda gap, dt: 0)
        assert (steps, walls, dropped) == (asks, wall_asks, 0)
        assert not (gap > 0).any() and t == pytest.approx(3.0, rel=1e-12)
