"""The resolved interface (kmc.resolved): its fields against exact limits, its bookkeeping, and a
dumbbell-shaped void that pinches in two exactly when the mechanics says it should."""
import math
from dataclasses import replace

import numpy as np
import pytest

from kmc.config import load_config
from kmc.mechanics.reduced import runs
from kmc.resolved.fields import (FieldNotConverged, butler_volmer_current, slab_flux_operator,
                                 slab_potential_operator, vacancy_field)
from kmc.launch import cell_inputs_of
from kmc.resolved.section import SectionModel
from regimes import NO_FORMATION_ENTROPY, OLD_FACE

LI = "params/li_li2s.toml"


@pytest.fixture(scope="module")
def li_inputs():
    return cell_inputs_of(load_config(LI, [NO_FORMATION_ENTROPY]), width_um=40.0, cell_um=0.5)


def test_vacancy_field_without_voids_is_the_slab_balance(li_inputs):
    """No void: the stripped volume v0 leaves through the slab to the sinks at L, so
    S = S_sink + v0 L / (D c_eq) exactly (kmc meso's balance: 134 at 0.5 mA/cm^2, 100 um)."""
    inp = li_inputs
    K = slab_flux_operator(inp.cells, inp.cell_um, inp.sink_distance_um)
    n = inp.cells
    f = vacancy_field(K, inp.vacancy_diffusivity_um2_s, inp.vacancy_equilibrium_fraction, 1.0, np.zeros(n, bool),
                      np.full(n, inp.strip_velocity_um_s), np.zeros(n), inp.sink_distance_um)
    S = f.concentration / inp.vacancy_equilibrium_fraction
    expected = 1 + inp.strip_velocity_um_s * inp.sink_distance_um / (inp.vacancy_diffusivity_um2_s * inp.vacancy_equilibrium_fraction)
    assert S == pytest.approx(np.full(n, expected), rel=1e-9)
    assert 90 < expected < 160
    assert f.to_sinks_um_s == pytest.approx(inp.strip_velocity_um_s, rel=1e-9)


def test_voids_and_sinks_take_what_stripping_injects(vacancy_regime):
    """With voids and sub-grid nuclei, every injected vacancy ends in a void, a nucleus or the sinks
    (to 1e-9), the void cells hold c_eq, and the supersaturation dips toward each void (it is local,
    not one number for the width); in both regimes (tests/regimes.py)."""
    inp = cell_inputs_of(load_config(LI, vacancy_regime), width_um=40.0, cell_um=0.5)
    n = inp.cells
    K = slab_flux_operator(n, inp.cell_um, inp.sink_distance_um)
    open_cells = np.zeros(n, bool)
    open_cells[10:16] = True
    open_cells[50:52] = True
    g_sub = np.zeros(n)
    g_sub[30] = 2 * math.pi * 3 * 0.01 / inp.cell_um ** 2
    injected = np.where(open_cells, 0.0, inp.strip_velocity_um_s / (~open_cells).mean())
    f = vacancy_field(K, inp.vacancy_diffusivity_um2_s, inp.vacancy_equilibrium_fraction, 1.0, open_cells, injected,
                      g_sub, inp.sink_distance_um)
    ceq = inp.vacancy_equilibrium_fraction
    nuclei = inp.vacancy_diffusivity_um2_s * g_sub * (f.concentration - ceq)
    total = (f.capture_um_s.sum() + nuclei.sum()) * inp.cell_um + f.to_sinks_um_s * inp.width_um
    assert total == pytest.approx(injected.sum() * inp.cell_um, rel=1e-9)
    assert f.concentration[open_cells] == pytest.approx(np.full(open_cells.sum(), ceq))
    assert (f.capture_um_s[open_cells] > 0).all()
    S = f.concentration / ceq
    assert S[9] < S[30 - 5] and S[16] < S[35]


def test_current_focuses_on_the_contact_and_islands_add_constriction(li_inputs):
    """Full contact: uniform current, eta = (2RT/F) asinh(i/(2 i0)) (kmc.electrochemistry's rule).
    A contact of three narrow islands carries the same total, more at each island's edges, and
    the electrolyte's spreading resistance raises eta above the kinetic focusing term."""
    from kmc.physics.electrochemistry import overpotential_mV
    inp = li_inputs
    n = inp.cells
    R = slab_potential_operator(n, inp.cell_um, 500.0)
    full = butler_volmer_current(R, inp.resistivity_ohm_um, 1.0, 298.0, 0.5, np.zeros(n, bool))
    assert full.current_mA_cm2 == pytest.approx(np.full(n, 0.5))
    assert full.overpotential_mV == pytest.approx(overpotential_mV(0.5, 1.0, 1.0, 298.0), rel=1e-9)
    open_cells = np.ones(n, bool)
    for start in (5, 35, 60):
        open_cells[start:start + 4] = False
    sparse = butler_volmer_current(R, inp.resistivity_ohm_um, 1.0, 298.0, 0.5, open_cells)
    assert sparse.current_mA_cm2.sum() == pytest.approx(0.5 * n, rel=1e-9)
    island = sparse.current_mA_cm2[5:9]
    assert island[0] > island[1] and island[3] > island[2]
    assert sparse.overpotential_mV > sparse.kinetic_mV == pytest.approx(
        overpotential_mV(0.5, (~open_cells).mean(), 1.0, 298.0), rel=1e-9)


def test_a_solve_short_of_its_tolerance_is_refused_not_returned(li_inputs):
    """The vacancy field's conjugate gradients and the current's fixed point, each given fewer iterations than the
    problem needs (voids and a sub-grid nucleus; three narrow islands), raise FieldNotConverged naming the solve,
    how far it got and its tolerance; with enough (the shipped cap; the passes it needs) they return."""
    inp = li_inputs
    n = inp.cells
    K = slab_flux_operator(n, inp.cell_um, inp.sink_distance_um)
    open_cells = np.zeros(n, bool)
    open_cells[10:16] = open_cells[50:52] = True
    g_sub = np.zeros(n)
    g_sub[30] = 2 * math.pi * 3 * 0.01 / inp.cell_um ** 2
    injected = np.where(open_cells, 0.0, inp.strip_velocity_um_s / (~open_cells).mean())
    args = (K, inp.vacancy_diffusivity_um2_s, inp.vacancy_equilibrium_fraction, 1.0, open_cells, injected, g_sub,
            inp.sink_distance_um)
    with pytest.raises(FieldNotConverged, match=r"conjugate gradients .* after 1 iterations on 72 contact cells; "
                                                r"it needs 1e-06"):
        vacancy_field(*args, iterations=1)
    vacancy_field(*args)
    R = slab_potential_operator(n, inp.cell_um, 500.0)
    islands = np.ones(n, bool)
    for start in (5, 35, 60):
        islands[start:start + 4] = False
    # ten times the electrolyte's resistivity: the islands' currents focus enough to need three passes
    with pytest.raises(FieldNotConverged, match=r"current's fixed point .* after 2 passes on 12 contact cells"):
        butler_volmer_current(R, 10 * inp.resistivity_ohm_um, 1.0, 298.0, 0.5, islands, iterations=2)
    butler_volmer_current(R, 10 * inp.resistivity_ohm_um, 1.0, 298.0, 0.5, islands, iterations=3)


def test_the_electrolyte_comes_from_the_parameter_file(li_inputs):
    """rho = 1 / conditions.electrolyte_conductivity_mS_cm (3.5 mS/cm: 286 ohm cm = 2.86e6 ohm um)
    and the pellet's thickness conditions.electrolyte_thickness_um (500 um), both from the TOML."""
    assert li_inputs.resistivity_ohm_um == pytest.approx(1e4 / 3.5e-3)
    assert li_inputs.electrolyte_thickness_um == 500.0
    other = cell_inputs_of(load_config(LI, ["conditions.electrolyte_conductivity_mS_cm=7.0",
                                             "conditions.electrolyte_thickness_um=250"]), width_um=40.0, cell_um=0.5)
    assert other.resistivity_ohm_um == pytest.approx(li_inputs.resistivity_ohm_um / 2)
    assert other.electrolyte_thickness_um == 250.0


@pytest.mark.parametrize("angle_deg", [60.0, 86.4, 90.0])
def test_a_void_in_the_section_is_the_cut_of_the_cap(angle_deg):
    """The 2-D equilibrium void (cap_profile) is the arc of kmc.physics' cap cut through its axis:
    its area per chord^2 (VoidCap.section_area_per_chord2) is the integral of the cap's height over
    the chord (pi / 8 at 90 deg, a half disc), and the profile holds the area it is given."""
    from kmc.physics.nucleation import VoidCap
    from kmc.resolved.walls import cap_profile
    cap = VoidCap(math.radians(angle_deg))
    d = np.linspace(-0.5, 0.5, 200001)
    assert cap.section_area_per_chord2 == pytest.approx(np.trapezoid(cap.height_at(0.5, d), d), rel=1e-7)
    if angle_deg == 90.0:
        assert cap.section_area_per_chord2 == pytest.approx(math.pi / 8, rel=1e-12)
    profile = cap_profile(40, 3.0, 0.25, cap.angle_rad)
    assert profile.sum() * 0.25 == pytest.approx(3.0) and profile[20] > profile[5] > profile[0] > 0


def _creep_only(inp, pressure):
    """No current (no stripping, capture or nucleation), no surface diffusion: creep alone (in bulk
    Li: the size effect would leave the 1 um lobes open for hours)."""
    return replace(inp, current_mA_cm2=0.0, strip_velocity_um_s=0.0, surface_diffusivity_um2_s=0.0, pressure_MPa=pressure,
                   flow=None)


def _evolve_until_gone(model, gap, max_steps=4000):
    st = model.initial_state(gap)
    history = []                                        # (voids, splits so far) at each state
    for _ in range(max_steps):
        now = model.rates(st)
        history.append((runs(st.gap_um > 0)[0].size, st.counts["splits"]))
        if not (st.gap_um > 0).any():
            break
        model.step(st, now, model.step_limit_s(st, now))
    return st, history


@pytest.mark.parametrize("shape, should_split", [("dumbbell", True), ("lens", False)])
def test_dumbbell_pinches_in_two_when_the_mechanics_says(li_inputs, shape, should_split):
    """A 12 um void under creep alone (2 MPa, no current, no surface diffusion): a dumbbell (two
    lens-shaped lobes 1 um deep joined by a neck 0.05 um deep) or a lens (gap 1.5 (1 - xi^2),
    thinning toward its ends faster than the roof's closing velocity, which goes as the crack
    opening sqrt(1 - xi^2)).  (A flat-bottomed lobe would itself split later: its middle closes
    first, by the same rule.)  The mechanics (the reduced operator at t = 0) closes each cell in g / v; the
    void should split if the first cell to close is inside it, not at its ends.  Run, the dumbbell
    becomes two voids (splits > 0), the lens shrinks from its ends as one void and never splits."""
    inp = _creep_only(li_inputs, 2.0)
    model = SectionModel(inp)
    n, h = inp.cells, inp.cell_um
    x = (np.arange(n) + 0.5) * h
    gap = np.zeros(n)
    void = np.abs(x - 20.0) < 6.0
    if shape == "dumbbell":
        for centre in (16.25, 23.75):                     # two lens-shaped lobes 4.5 um wide, 1 um deep
            xi = (x - centre) / 2.25
            gap = np.maximum(gap, np.where(np.abs(xi) < 1, 1.0 - xi ** 2, 0.0))
        gap[void] = np.maximum(gap[void], 0.05)           # joined by a neck 3 um long, 0.05 um deep
    else:
        gap[void] = 1.5 * (1 - ((x[void] - 20.0) / 6.0) ** 2)
    st = model.initial_state(gap)
    v = model.rates(st)["mechanics"].closing_velocity_um_s
    t_close = gap[void] / v[void]
    first = int(np.argmin(t_close))
    predicted = 0 < first < void.sum() - 1
    assert predicted == should_split
    st, history = _evolve_until_gone(model, gap)
    assert not (st.gap_um > 0).any()                    # creep closed it all
    assert history[0] == (1, 0)
    assert (st.counts["splits"] > 0) == should_split
    assert (max(v for v, _ in history) >= 2) == should_split
    if should_split:
        # the neck closes first: the split count goes 0 -> 1 in one step and leaves the two lobes,
        # which then close one by one (no further split)
        first = next(k for k, (_, splits) in enumerate(history) if splits > 0)
        assert history[first] == (2, 1) and history[first - 1] == (1, 0)
        assert st.counts["splits"] == 1


def test_the_resolved_run_hears_the_meso_observer_and_writes_its_sections(tmp_path):
    """The one loop (kmc.cell.loop.run) reports every step of the section to its Observer (on_step returning True stops it
    with stop reason "interrupted"), samples every meso.output_every_mAh_cm2, and kmc meso writes
    its file with the section's gap field at the seed's charges."""
    import h5py
    from click.testing import CliRunner

    from kmc.cell.loop import Observer
    from kmc.cli.meso import meso as meso_command
    from kmc.cell.loop import run
    from kmc.resolved.gap import FRAME_CHARGES_mAh_cm2

    class StopAtFive(Observer):
        def __init__(self):
            self.reports, self.samples = [], 0

        def on_sample(self, time_s, sample):
            self.samples += 1

        def on_step(self, report):
            self.reports.append(report)
            return report.steps == 5

    settings = load_config(LI, [*OLD_FACE, "meso.width_um=40.0", "meso.stop_stripped_mAh_cm2=0.06", "meso.output_every_mAh_cm2=0.02",
                                NO_FORMATION_ENTROPY])
    inp = cell_inputs_of(settings, cell_um=0.5)
    heard = StopAtFive()
    stopped = run(SectionModel(inp), heard)
    assert stopped.stop_reason == "interrupted" and stopped.steps == 5 == len(heard.reports)
    assert [r.steps for r in heard.reports] == [1, 2, 3, 4, 5]
    assert heard.reports[-1].charge_mAh_cm2 == pytest.approx(stopped.final.stripped_mAh_cm2)
    out = tmp_path / "li.h5"                 # resolved is kmc meso's default (the sweep test of
    done = CliRunner().invoke(meso_command, [LI, "--set", "meso.width_um=40.0", "--set",   # test_meso runs disc)
                                             "meso.stop_stripped_mAh_cm2=0.05", "--set", NO_FORMATION_ENTROPY,
                                             *[a for s in OLD_FACE for a in ("--set", s)], "-o", str(out)])
    assert done.exit_code == 0, done.output
    with h5py.File(out) as f:
        assert f["parameters"].attrs["meso.interface"] == "section"
        assert set(f["observables"]) == set(SectionModel.observables)
        assert f["run"].attrs["stop_reason"] == "stripped"
        assert f["observables/stripped_charge/value"][()] == pytest.approx([0.0, 0.025, 0.05])
        assert FRAME_CHARGES_mAh_cm2[0] == 0.05                    # the end is a mark: stored once
        # before stripping (what the assembly left: full contact, kmc.resolved.assembly) and at the mark
        assert f["sections/stripped_charge"][()] == pytest.approx([0.0, 0.05])
        assert f["sections/gap"].shape == (2, 160)                   # 40 um at 0.25 um
        assert not (f["sections/gap"][0] > 0).any()
        assert (f["sections/gap"][1] > 0).any()                      # voids by 0.05 mAh/cm2 (Li, S = 134)
        gap = f["sections/gap"][1]
    # kmc plot --kind cross-section draws the section: one row per stored charge, the metal's lower
    # edge the gap field
    from kmc import plot as figures
    from kmc.cli.plot import plot as plot_command
    fig = figures.cross_section(out)
    assert len(fig.axes) == 2
    metal = fig.axes[1].collections[1].get_paths()[0].vertices[:, 1]
    assert np.isin(np.round(gap, 9), np.round(metal, 9)).all() and metal.max() > gap.max()
    drawn = CliRunner().invoke(plot_command, [str(out), "--kind", "cross-section", "-o", str(tmp_path / "s.png")])
    assert drawn.exit_code == 0 and (tmp_path / "s.png").stat().st_size > 0


def test_the_disc_model_is_the_resolved_one_where_no_void_forms():
    """Where the disc model's assumptions hold exactly (no void: Li with nucleation switched off, and
    no press: the disc model has no pellet face, so the section starts in full contact too),
    the two interfaces agree: full contact, the same
    supersaturation (the slab's balance S = 1 + J Omega L / (D c_eq), kmc.physics.vacancy) and the
    same overpotential (Butler-Volmer at the mean current: a uniform contact has no constriction)."""
    from kmc.cell.loop import run
    from kmc.launch import cell_model_of
    settings = load_config(LI, ["meso.assembly_pressure_MPa=0", "meso.width_um=40.0", "meso.stop_stripped_mAh_cm2=0.1",
                                "meso.nucleation_rate_S=[]",
                                "meso.nucleation_rate_per_um2_s=[]", "meso.nucleation_prefactor_per_um2_s=0"])
    disc = run(cell_model_of(settings, "disc")).series
    resolved = run(cell_model_of(settings, cell_um=0.5)).series
    assert disc["void_count"][-1] == 0 == resolved["void_count"][-1] == resolved["subgrid_nuclei"][-1]
    for name in ("stripped_charge", "contact_fraction", "supersaturation", "overpotential"):
        np.testing.assert_allclose(resolved[name], disc[name], rtol=1e-6, err_msg=name)


def test_a_nucleation_burst_is_resolved_below_the_step_floor(li_inputs):
    """Before any void, the first step makes at most NUCLEI_PER_CELL_PER_STEP nuclei per cell where
    nucleation is fastest, even where that asks for a step below the 1e-3 floor that guards a closing
    roof: at S = 134 (S_f = 0) the floor, 14 ms at 0.5 mA/cm^2, held 0.3 nuclei per cell and made the
    burst's count the step's (210 nuclei in 160 um whatever I(S); docs/mechanics.md section 9)."""
    from kmc import units
    from kmc.resolved.step_control import NUCLEATION_FLOOR_FRACTION, NUCLEI_PER_CELL_PER_STEP
    model = SectionModel(replace(li_inputs, contact_sink_rate_um_s=0.0))      # S = 134: no contact sink
    st = model.initial_state()
    now = model.rates(st)
    dt = model.step_limit_s(st, now)
    largest = li_inputs.max_step_mAh_cm2 * units.S_PER_H / li_inputs.current_mA_cm2
    peak = float(now["nucleation"].max())
    assert dt < 1e-3 * largest                                   # below the roof's floor
    assert dt * peak == pytest.approx(NUCLEI_PER_CELL_PER_STEP, rel=1e-9)
    assert dt >= NUCLEATION_FLOOR_FRACTION * largest


def test_the_vacancy_solve_s_compiled_passes_are_numpy_s_bit_for_bit():
    """The conjugate gradients' elementwise passes (kmc.resolved.fields: _masked_product, _cg_update, _cg_direction)
    give numpy's expressions bit for bit on a line and on a plane of cells, and refuse an array that is not
    C-contiguous (their ravel would be a copy, the update lost)."""
    from kmc.resolved.fields import _cg_direction, _cg_update, _masked_product
    rng = np.random.default_rng(3)
    for shape in ((640,), (16, 64)):
        on = (rng.random(shape) < 0.4).astype(float)
        Kp, g, p, u, Ku, r, z = (rng.standard_normal(shape) for _ in range(7))
        alpha, beta = rng.standard_normal(2)
        out = np.empty(shape)
        _masked_product(on, Kp, g, p, out)
        assert np.array_equal(out, on * Kp + g * p)
        want = (u + alpha * p, Ku + alpha * Kp, r - alpha * out)
        _cg_update(alpha, p, Kp, out, u, Ku, r)
        assert all(np.array_equal(a, b) for a, b in zip((u, Ku, r), want))
        want = z + beta * p
        _cg_direction(z, beta, p)
        assert np.array_equal(p, want)
    with pytest.raises(TypeError):
        _cg_direction(z, 0.5, np.zeros((64, 16)).T)


def test_the_vacancy_solve_s_setup_and_readout_are_numpy_s_bit_for_bit():
    """The solve's passes before and after its iterations (kmc.resolved.fields: _contact_terms, _masked_difference,
    _residual, _concentration_and_capture) give the numpy expressions they replaced bit for bit, signed zeros
    included (a void cell's 0 times a negative value), on a line and on a plane of cells."""
    from kmc.resolved.fields import _concentration_and_capture, _contact_terms, _masked_difference, _residual
    rng = np.random.default_rng(8)
    for shape in ((640,), (16, 64)):
        contact = rng.random(shape) < 0.4
        subgrid, injected, guess, Ku, u = (rng.standard_normal(shape) for _ in range(5))
        D, k_shift, c_eq = 3.7, 0.21, 1e-3
        on, g, rhs, got_u, r, c, capture = (np.empty(shape) for _ in range(7))
        _contact_terms(contact, subgrid, injected, D, k_shift, on, g, rhs)
        want_on = contact.astype(float)
        want = (want_on, np.where(contact, subgrid, 0.0), want_on * (injected / D - k_shift))
        assert all(np.array_equal(a.view(np.int64), b.view(np.int64)) for a, b in zip((on, g, rhs), want))
        assert np.signbit(rhs[~contact]).any()
        _masked_difference(on, guess, c_eq, got_u)
        assert np.array_equal(got_u.view(np.int64), (want_on * (guess - c_eq)).view(np.int64))
        _residual(rhs, on, Ku, g, u, r)
        assert np.array_equal(r.view(np.int64), (rhs - (on * Ku + g * u)).view(np.int64))
        _concentration_and_capture(u, c_eq, Ku, k_shift, D, ~contact, c, capture)
        assert np.array_equal(c, u + c_eq)
        assert np.array_equal(capture.view(np.int64), np.where(~contact, -(D * (Ku + k_shift)), 0.0).view(np.int64))


def test_the_steps_descent_passes_are_numpy_s_bit_for_bit():
    """The step's passes around the plunger's descent (kmc.resolved.step_control.stop_at_face_and_room and lower_by)
    give the numpy expressions they replaced bit for bit, on a line and a plane of cells with pores, held holes,
    closing and opening roofs, gaps tied with the face and gaps below 1e-7 um."""
    from kmc.resolved.step_control import lower_by, stop_at_face_and_room
    rng = np.random.default_rng(9)
    for shape in ((400,), (20, 30)):
        pore = np.where(rng.random(shape) < 0.4, rng.choice([0.05, 0.1], shape), 0.0)
        gap = np.where(rng.random(shape) < 0.6, pore + rng.choice([0.0, 0.02, 0.3], shape), 0.0)
        new_gap = gap + rng.choice([-0.2, -1e-8, 0.0, 0.01], shape)
        open_cells, held = gap > 0, (gap > 0) & (rng.random(shape) < 0.2)
        closing = rng.choice([-1.0, 0.0, 2.0], shape)
        descent = 0.03
        # the numpy form
        expected = new_gap.copy()
        above = open_cells & ~held & (pore > 0) & (gap >= pore)
        stops = above & (closing > 0)
        expected[stops] = np.maximum(expected[stops], pore[stops])
        lowered = ~held
        over = lowered & (pore > 0) & (expected >= pore)
        room = np.where(lowered, np.where(over, expected - pore, np.maximum(expected, 0.0)), 0.0)
        lowered_gap = expected.copy()
        lowered_gap[lowered] -= descent
        lowered_gap[over] = np.maximum(lowered_gap[over], pore[over])
        lowered_gap = np.maximum(lowered_gap, 0.0)
        lowered_gap[lowered_gap < 1e-7] = 0.0
        # the compiled passes
        got_room, got_over = np.empty(shape), np.empty(shape, bool)
        reach = np.where(above, gap - pore, np.inf)                # GapModel.face_reach_um
        stop_at_face_and_room(new_gap, reach, pore, held, closing, got_room, got_over)
        assert np.array_equal(new_gap.view(np.int64), expected.view(np.int64)) and stops.any()
        assert np.array_equal(got_room.view(np.int64), room.view(np.int64)) and np.array_equal(got_over, over)
        lower_by(new_gap, pore, held, got_over, descent)
        assert np.array_equal(new_gap.view(np.int64), lowered_gap.view(np.int64)) and over.any()


def test_births_drawn_where_positive_are_one_draw_over_every_cell():
    """kmc.resolved.nuclei.poisson_where_positive draws the sub-grid nuclei's births only where their mean is positive:
    the counts, and the random stream after them, are those of numpy's one draw over every cell (its Poisson draws
    nothing at a mean of 0), so the runs are the same bit for bit; this fails if a numpy release changes that."""
    from kmc.resolved.nuclei import poisson_where_positive
    rng = np.random.default_rng(4)
    scale = np.array([1e-3, 0.5, 20.0])[rng.integers(0, 3, (40, 60))]     # the multiplication and the PTRS branches
    expected = np.where(rng.random((40, 60)) < 0.1, rng.random((40, 60)) * scale, 0.0)
    one, gathered = np.random.default_rng(17), np.random.default_rng(17)
    assert np.array_equal(one.poisson(expected), poisson_where_positive(gathered, expected))
    assert one.random() == gathered.random()
    assert not poisson_where_positive(gathered, np.zeros(5)).any()


def test_the_walls_pairwise_sum_is_numpy_s_bit_for_bit():
    """kmc.resolved.walls._pairwise_sum (the walls' kernels' sums over a run's cells) is np.sum's pairwise sum bit
    for bit: one block up to 128 values (its eight accumulators as scalars), the halves walked with a stack above,
    from any offset; and the cap's profile written into a kept array is the one returned fresh."""
    from kmc.resolved.walls import _SQUARE, _cap_profile, _cap_profile_into, _pairwise_sum
    rng = np.random.default_rng(5)
    a = rng.standard_normal(1200) * np.exp(rng.uniform(-20, 20, 1200))
    for n in list(range(1, 140)) + [255, 256, 257, 700, 1000]:
        for lo in (0, 3, 17):
            assert _pairwise_sum(a, lo, n) == np.sum(a[lo:lo + n]), (lo, n)
    kept = np.full(40, np.nan)
    for width, area in ((1, 0.02), (7, 0.3), (33, 5.0)):
        _cap_profile_into(kept, width, area, 0.25, 0.8, 0.6, _SQUARE)
        assert np.array_equal(kept[:width], _cap_profile(width, area, 0.25, 0.8, 0.6, _SQUARE))


def test_clearing_by_gap_is_the_three_masks_it_replaced():
    """kmc.resolved.step_control.clear_by_gap: gaps below the floor closed, the rim's fill and the sub-grid nuclei
    cleared over open cells and the contact lines' progress over closed ones, as the boolean masks it replaced, on
    the section's line (its own rewet array) and on the area (one per cut axis), without a floor (the step, with
    nuclei) and with one (the press); a rewet array that cannot be viewed cell by cell is refused rather than
    copied (its clearing would be lost)."""
    from kmc.resolved.step_control import clear_by_gap
    rng = np.random.default_rng(12)
    for shape, rewet_shape in (((200,), (200,)), ((12, 30), (2, 12, 30))):
        for floor in (None, 1e-12):
            gap = rng.choice([0.0, -1e-3, 5e-13, 0.2, np.nan], shape)
            rim_fill, rewet = rng.random(shape), rng.random(rewet_shape)
            nuclei = (rng.integers(0, 3, shape).astype(float), rng.random(shape)) if floor is None else None
            want_gap, want_fill, want_rewet = gap.copy(), rim_fill.copy(), rewet.copy()
            if floor is not None:
                want_gap[want_gap < floor] = 0.0
            want_fill[want_gap > 0] = 0.0
            want_rewet[..., want_gap == 0] = 0.0
            want_nuclei = None if nuclei is None else [a.copy() for a in nuclei]
            for a in want_nuclei or ():
                a[want_gap > 0] = 0.0
            clear_by_gap(gap, rim_fill, rewet, floor, nuclei)
            assert np.array_equal(gap, want_gap, equal_nan=True)
            assert np.array_equal(rim_fill, want_fill) and np.array_equal(rewet, want_rewet)
            assert (want_fill == 0).any() and (want_rewet == 0).any()
            if nuclei is not None:
                assert all(np.array_equal(a, b) for a, b in zip(nuclei, want_nuclei)) and (nuclei[1] == 0).any()
    for strided in (np.zeros((2, 12, 60))[:, :, ::2], np.zeros((12, 30, 2)).transpose(2, 0, 1)):
        with pytest.raises((AttributeError, TypeError)):
            clear_by_gap(np.zeros((12, 30)), np.zeros((12, 30)), strided)
