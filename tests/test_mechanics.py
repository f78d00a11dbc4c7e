"""The electrode's creep mechanics (kmc.mechanics) against exact answers, and the reduced operator
against the full finite-element solve (docs/mechanics.md, "Checks").

Meshes are small so the file stays cheap; each tolerance is the measured discretisation error of
that mesh with a margin (docs/mechanics.md gives the convergence tables), far below what a wrong
flow rule, hoop term or load would give (factors of order one at n = 6.6).
"""
import math

import numpy as np
import pytest

from kmc.mechanics import exact
from kmc.mechanics.checks import cavity_closure, punch_constraint_factor
from kmc.mechanics.foil import FoilSection, FoilSolver
from kmc.physics.creep import NortonLaw
from kmc.mechanics.norton import AXISYMMETRIC, PLANE_STRAIN

LI_CREEP = NortonLaw(7.7e-3, 1.0, 6.6, 37.0, 298.0)     # params/li_li2s.toml [creep] at its reference temperature


@pytest.mark.parametrize("geometry, exponent", [(AXISYMMETRIC, 1.0), (AXISYMMETRIC, 6.6), (PLANE_STRAIN, 6.6)])
def test_cavity_under_remote_pressure_closes_at_the_exact_rate(geometry, exponent):
    """A spherical cavity (axisymmetric) or cylindrical hole (plane strain) of radius 1 in a shell
    of outer radius 10 under an external pressure: V'/V (A'/A) against the exact thick-shell rate.
    On the 12 x 8 quadratic mesh the error is 1.6e-4 (sphere, n = 1), 5.4e-4 (sphere, n = 6.6),
    1.1e-4 (hole, n = 6.6), falling ~5x per halving of the mesh (docs/mechanics.md); 2e-3 is the
    tolerance.  (The n = 6.6 sphere closes 1500x slower than the n = 1 one at the same pressure:
    the deviatoric stress, not the pressure, drives a power-law solid.)"""
    r = cavity_closure(geometry, exponent, outer_over_inner=10.0, radial_cells=12, angular_cells=8)
    assert r["computed"] < 0
    assert abs(r["relative_error"]) < 2e-3, r
    if geometry == AXISYMMETRIC:
        # the infinite body (docs/physics.md section 7): (3/2) eps0 (3p / (2 n sigma0))^n; the shell of
        # b/a = 10 is faster by (1 - (a/b)^(3/n))^-n
        infinite = -1.5 * (3 / (2 * exponent)) ** exponent
        shell = (1 - 0.1 ** (3 / exponent)) ** -exponent
        assert r["exact"] == pytest.approx(infinite * shell, rel=1e-12)


def test_a_uniform_foil_under_pressure_does_not_creep():
    """No void: the periodic foil between the plunger and the electrolyte is in hydrostatic
    compression (sigma_xx = sigma_zz = sigma_yy = -P, an incompressible solid that cannot spread
    sideways), so nothing moves, whatever the exponent, and the contact carries exactly P."""
    solver = FoilSolver(FoilSection(8.0, 4.0, 0.5))
    r = solver.solve(np.zeros(solver.section.cells, bool), LI_CREEP, 0.2)
    scale = LI_CREEP.strain_rate_per_s(0.2) * 4.0
    assert abs(r.plunger_velocity_um_s) < 1e-12 * scale
    assert np.abs(r.closing_velocity_um_s).max() < 1e-12 * scale
    assert r.contact_pressure_MPa == pytest.approx(np.full(solver.section.cells, 0.2), rel=1e-9)


def test_flat_punch_constraint_factor_tends_to_prandtl():
    """A flat rigid punch (plane strain, frictionless) pushed at V into a power-law solid carries
    a mean pressure C sigma0 (V/(a eps0))^(1/n); as n -> infinity C -> Prandtl's (2 + pi)/sqrt(3)
    = 2.968 (a rigid-perfectly-plastic von Mises solid; Hill 1950).  At n = 40 on a mesh of
    0.1 a at the corner C = 2.998: the mesh adds +0.040 (+1.3 %: 2.998, 2.978, 2.968 at 0.1,
    0.05, 0.025 a) and the rate sensitivity left at n = 40 takes about -0.036 (C(20) - C(40) at
    converged meshes), so the tolerance is 3 %.  A Tresca instead of a von Mises flow rule would be
    15 % off, a missing sqrt(3) 73 %."""
    r = punch_constraint_factor(40.0, finest=0.1)
    assert r["exact"] == pytest.approx(2.968, abs=1e-3)
    assert abs(r["relative_error"]) < 0.03, r


@pytest.fixture(scope="module")
def small_foil():
    return {f: FoilSolver(FoilSection(8.0, 4.0, 0.5, friction=f)) for f in ("stuck", "frictionless")}


def test_friction_conditions_hold_and_decide_only_a_factor(small_foil):
    """Stuck contact: the metal does not slide on the electrolyte (u_x = 0 at every held node);
    frictionless: it slides (u_x != 0 beside the void) and the electrolyte carries no shear.  A
    2 um void in the 8 um periodic section closes 1.5-3x faster without friction (the contact no
    longer holds the metal beside it back), not by orders of magnitude."""
    open_cells = np.abs(small_foil["stuck"].section.cell_centres_um - 4.0) < 1.0
    out = {}
    for friction, solver in small_foil.items():
        r = solver.solve(open_cells, LI_CREEP, 0.5)
        out[friction] = r
        held = solver.node_contact_candidates(open_cells)
        ux = r.state[solver.bottom_x_dofs] if r.state is not None else None
        if friction == "stuck":
            assert np.abs(ux[held]).max() == 0.0
        else:
            assert np.abs(ux[held]).max() > 1e-3 * np.abs(r.state[solver.bottom_y_dofs]).max()
    ratio = out["frictionless"].closing_velocity_um_s[open_cells].mean() / out["stuck"].closing_velocity_um_s[open_cells].mean()
    assert 1.5 < ratio < 3.0, ratio


def test_a_contact_that_does_not_settle_is_refused_not_returned(small_foil, monkeypatch):
    """The contacts' active sets raise NortonSolveError when they still change after their rounds.  The cell's
    island (its annulus of void lifts the held nodes past the island's edge: 2 rounds) given 1; the foil given a
    solve whose every held node pulls and every free one penetrates, so its contact flips each round for ever."""
    from types import SimpleNamespace
    from kmc.mechanics import cell
    from kmc.mechanics.norton import CONTACT_ROUNDS, NortonSolveError
    monkeypatch.setattr(cell, "CONTACT_ROUNDS", 1)
    with pytest.raises(NortonSolveError, match="island cell's contact .* still changed after 1 rounds"):
        cell.solve_cell(0.5, 1.0, 1.0, "stuck", geometry="island", resolution=6)
    solver = small_foil["stuck"]
    fe = solver.solver

    def flipping(*args, **kwargs):
        return SimpleNamespace(velocity=-np.ones(fe.nu), pressure=np.zeros(fe.np_), reaction=-np.ones(fe.nu),
                               iterations=0)
    monkeypatch.setattr(fe, "solve", flipping)
    open_cells = np.abs(solver.section.cell_centres_um - 4.0) < 1.0
    with pytest.raises(NortonSolveError, match=f"foil's contact still changed after {CONTACT_ROUNDS} rounds"):
        solver.solve(open_cells, LI_CREEP, 0.5)


@pytest.mark.slow   # a numerics check: three FE cell solves, ~7 s of CPU
def test_regularisation_does_not_decide_the_closure():
    """The viscosity is regularised where the strain rate vanishes (delta = 1e-6 of the mean rate);
    the closure of a void at s = 0.1 moves by < 1e-4 when delta changes 100x either way."""
    from kmc.mechanics.cell import solve_cell
    base = solve_cell(0.1, 1.0, 6.6, resolution=8).mean_closing_velocity
    for rel in (1e-4, 1e-8):
        other = solve_cell(0.1, 1.0, 6.6, resolution=8, relative_regularization=rel).mean_closing_velocity
        assert other == pytest.approx(base, rel=1e-4)


def test_the_table_is_what_the_cell_solver_gives():
    """The shipped table (kmc/mechanics/data) is the cell solver's output for its own entries: one
    entry recomputed (s = 0.5, lambda/H = 1) agrees to 1e-6."""
    from kmc.mechanics.cell import solve_cell
    from kmc.mechanics.table import load_table
    table = load_table(6.6, "stuck")
    i = list(table.void_fractions).index(0.5)
    j = list(table.period_over_thickness).index(1.0)
    meta = table.meta
    r = solve_cell(0.5, 1.0, 6.6, "stuck", resolution=meta["resolution"], growth=meta["growth"])
    assert r.plunger_velocity == pytest.approx(table.plunger_velocity[i, j], rel=1e-6)
    assert r.closing_profile == pytest.approx(table.closing_profile[i, j], rel=1e-6, abs=1e-12)


@pytest.mark.slow   # a validation of the reduced operator against full FE solves, ~8 s of CPU
def test_reduced_operator_agrees_with_the_full_solve():
    """The reduced operator against the finite-element foil on the same 20 x 10 um section (0.5 um
    cells) and four contact maps: one void, two unequal voids, a gap wider than the foil is thick,
    sparse contact (two islands, 22 % contact).  Measured: plunger velocity within 16 %, each void's
    mean closing velocity within 40 %, each island's mean pressure within 8 %; of that, the full
    solve's own discretisation at 4 cells per feature is 10-35 % (the same maps at 0.25 um cells,
    docs/mechanics.md).  Tolerances: 50 % on rates, 12 % on pressures (at n = 6.6 a 50 % rate is
    a 6 % stress).  A reduced operator with P / contact per void, or without the plunger, is off
    by orders of magnitude on these maps."""
    from kmc.mechanics import checks
    out = checks.operator_against_fe(20.0, 10.0, 0.5, LI_CREEP, pressure=1.0,
                                     maps=checks.operator_maps(20.0, small=True))
    assert set(out) == {"one void", "two voids", "wide gap", "sparse contact"}
    for name, r in out.items():
        assert abs(r["plunger_error"]) < 0.5, (name, r["plunger_error"])
        assert max(abs(e) for e in r["void_errors"]) < 0.5, (name, r["void_errors"])
        assert max(abs(e) for e in r["island_errors"]) < 0.12, (name, r["island_errors"])
    # the load goes where the mechanics sends it: a narrow island carries ~3 sigma(V/a), far above
    # P / contact's 4.4 P, and the plunger moves 1e5 times faster than with one void
    sparse, one = out["sparse contact"], out["one void"]
    assert sparse["plunger_fe"] / one["plunger_fe"] > 1e4


def _map(cells, open_ranges):
    m = np.zeros(cells, bool)
    for a, b in open_ranges:
        m[a:b] = True
    return m


def test_a_walls_traction_is_the_stack_pressure_it_adds_and_capillarity_alone_moves_the_metal():
    """One void in the section (its cell is the period): a Laplace traction s on its wall is a load
    P + s on a traction-free void (adding the uniform pressure s, which the incompressible metal
    does not feel), so the plunger and the roof move as under P + s, and the islands carry P.  At zero
    stack pressure the plunger rests (kmc meso accepts conditions.stack_pressure_MPa = 0) unless a
    wall pulls: then capillarity alone closes the void."""
    from kmc.mechanics.reduced import ReducedFoil
    foil = ReducedFoil(LI_CREEP, 80, 0.25)
    voids = _map(80, [(30, 46)])
    s = np.where(voids, 0.3, 0.0)
    pulled = foil.respond(voids, 0.2, 100.0, wall_traction_MPa=s)
    heavier = foil.respond(voids, 0.5, 100.0)
    assert pulled.plunger_velocity_um_s == pytest.approx(heavier.plunger_velocity_um_s, rel=1e-12)
    np.testing.assert_allclose(pulled.closing_velocity_um_s, heavier.closing_velocity_um_s, rtol=1e-12)
    assert (pulled.contact_pressure_MPa[~voids] * 0.25).sum() == pytest.approx(0.2 * 80 * 0.25, rel=0.02)
    rest = foil.respond(voids, 0.0, 100.0)
    assert rest.plunger_velocity_um_s == 0.0 and not rest.closing_velocity_um_s.any()
    alone = foil.respond(voids, 0.0, 100.0, wall_traction_MPa=s)
    assert alone.plunger_velocity_um_s == pytest.approx(foil.respond(voids, 0.3, 100.0).plunger_velocity_um_s, rel=1e-12)
    with pytest.raises(ValueError, match="allowed: pressure >= 0"):
        foil.respond(voids, -1.0, 100.0)


def test_a_pore_the_metal_spans_is_a_hole_of_its_island_filled_at_its_own_strength():
    """A wide void and two 0.5 um pores of the face under a flat roof (spanned): the foil descends as
    if the pores were contact (the same plunger speed as the map without them) and each pore closes
    on its own under its island's pressure, with Li's flow law at its width (kmc.mechanics.law.FeatureStrength:
    f(0.5 um) = 6.7, the onset of dislocation flow there: f^-6.6 ~ 4e-6 of bulk's closing), and not at all
    without a stack pressure."""
    from kmc.config import load_config
    from kmc.mechanics.law import FeatureStrength
    from kmc.mechanics.reduced import ReducedFoil
    from kmc.model import flow_law
    strength = FeatureStrength(flow_law(load_config("params/li_li2s.toml")), 0.0, 6.75e-4)
    wide, pores = _map(160, [(10, 70)]), _map(160, [(100, 102), (130, 132)])
    for law in (None, strength):
        foil = ReducedFoil(LI_CREEP, 160, 0.25, strength=law)
        both = foil.respond(wide | pores, 1.0, 100.0, spanned_cells=pores)
        alone = foil.respond(wide, 1.0, 100.0)
        assert both.plunger_velocity_um_s == pytest.approx(alone.plunger_velocity_um_s, rel=1e-12)
        assert both.held[pores].all() and not both.held[wide].any()
        assert (both.closing_velocity_um_s[pores] > 0).all()
        if law is None:
            bulk = both.closing_velocity_um_s[pores].max()
        else:
            f = float(strength.stress_factor(LI_CREEP, 0.5))
            assert 3 < f < 20
            assert both.closing_velocity_um_s[pores].max() == pytest.approx(bulk * f ** -6.6, rel=1e-9)
    resting = ReducedFoil(LI_CREEP, 160, 0.25).respond(pores, 0.0, 100.0, spanned_cells=pores)
    assert resting.plunger_velocity_um_s == 0.0 and not resting.closing_velocity_um_s.any()


def test_the_tables_bilinear_blend_is_numpy_s_broadcast_form_bit_for_bit():
    """The reduced operators read their tables bilinearly at every feature (kmc.mechanics.reduced.ReducedFoil._blend,
    compiled): each value and each profile point is numpy's broadcast form of the same products and sums, bit for
    bit, for a table of values and one of profiles, and for one point given as scalars."""
    from kmc.mechanics.reduced import ReducedFoil
    rng = np.random.default_rng(4)
    profiles = rng.normal(size=(9, 7, 17))
    i, j = rng.integers(0, 8, 500), rng.integers(0, 6, 500)
    u, v = rng.random(500), rng.random(500)
    for a in (profiles, profiles[..., 3].copy()):
        uu, vv = (u, v) if a.ndim == 2 else (u[:, None], v[:, None])
        expected = ((1 - uu) * (1 - vv) * a[i, j] + uu * (1 - vv) * a[i + 1, j]
                    + (1 - uu) * vv * a[i, j + 1] + uu * vv * a[i + 1, j + 1])
        got = ReducedFoil._blend(a, i, j, u, v)
        assert got.shape == expected.shape and np.array_equal(got.view(np.int64), expected.view(np.int64))
        one = ReducedFoil._blend(a, i[7], j[7], u[7], v[7])
        assert one.shape == a.shape[2:] and np.array_equal(one, expected[7])
