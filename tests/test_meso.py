"""The disc model at the cell's scale (kmc.disc, on kmc.cell) against exact limits: one void closing under creep, the steady
vacancy flux to the sinks, current focusing around one void; and its bookkeeping."""
import math
from pathlib import Path

import numpy as np
import pytest

from kmc import units
from kmc.energetics import interface_energetics
from kmc.config import ConfigError, load_config
from kmc.disc import coalescence, kinetics, sections, voids
from kmc.disc import nucleation as mnuc
from kmc.cell.inputs import CellInputError, mullins_coefficient_um4_s, nucleation_rate_per_um2_s
from kmc.cell.loop import run
from kmc.launch import cell_inputs_of, cell_model_of, run_cell_to_file
from kmc.model import build_lattice, creep_closure_per_void_site_per_s, creep_strain_rate_per_s
from kmc.physics.nucleation import VoidCap, measured_rate
from regimes import NO_CONTACT_SINK, NO_FORMATION_ENTROPY

LI = "params/li_li2s.toml"


@pytest.fixture(scope="module")
def li_settings():
    return load_config(LI, [NO_FORMATION_ENTROPY, NO_CONTACT_SINK])


@pytest.fixture(scope="module")
def li(li_settings):
    return disc_inputs(li_settings)


def disc_inputs(settings):
    """The disc model's inputs of ``settings``."""
    return cell_inputs_of(settings, "disc")


def run_disc(settings):
    """The disc model's run of ``settings`` (kmc.cell.loop.run)."""
    return run(cell_model_of(settings, "disc"))


def with_(inp, **changes):
    from dataclasses import replace
    return replace(inp, **changes)


# The disc model's void-shape tests run at Li's D_s of before the pellet's face, 1.4e-3 cm^2/s (the kMC's own
# 0.055 eV hop; now the upper end of the shipped 5.1e-6 cm^2/s's band, params/li_li2s.toml): their
# fields (capture, closure) were chosen where surface diffusion competes with capture on these voids'
# scale, which at the shipped D_s holds only for voids 4x smaller (B ~ D_s, the time r^4 / B).
FAST_SURFACE = ["meso.surface_diffusivity_cm2_s=1.4e-3"]


@pytest.fixture(scope="module")
def li_fast_surface():
    return disc_inputs(load_config(LI, [NO_FORMATION_ENTROPY, NO_CONTACT_SINK, *FAST_SURFACE]))


def test_one_void_closes_under_creep_as_the_kmc_rule(li, li_settings):
    """No capture: dV/dt = -kappa eps_dot w (pi r^2), w = 2r, V = k_V r^3, so r(t) = r0 exp(-2 pi
    kappa eps_dot t / (3 k_V)); one long step and 1000 short ones both give it, and the volume
    lost per footprint site is the kMC's per-site refill rate kappa eps_dot w / d."""
    stress = 2.0
    closure = li.closure_coefficient * creep_strain_rate_per_s(li_settings, stress)
    r0, t = np.array([3.0]), 2.0
    kv = li.shape.volume_per_radius3
    exact = 3.0 * math.exp(-2 * math.pi * closure * t / (3 * kv))
    assert 0.05 < exact / 3.0 < 0.95          # the test spans a real closure
    one = kinetics.grow_and_close(r0, t, 0.0, closure, kv)
    many = r0
    for _ in range(1000):
        many = kinetics.grow_and_close(many, t / 1000, 0.0, closure, kv)
    assert one[0] == pytest.approx(exact, rel=1e-12)
    assert many[0] == pytest.approx(exact, rel=1e-9)
    # the same rule as the kMC: volume rate / (atomic volume x footprint sites) = kappa eps_dot w / d
    lattice = build_lattice(li_settings)
    site_area_um2 = lattice.interface_area_A2 / lattice.sites_per_layer * 1e-8
    r = 0.01                                  # a void of ~2500 L1 sites
    sites = round(math.pi * r ** 2 / site_area_um2)
    r = math.sqrt(sites * site_area_um2 / math.pi)
    volume_rate_um3 = closure * 2 * r * math.pi * r ** 2
    per_site = volume_rate_um3 / (li.atomic_volume_A3 * 1e-12) / sites
    # the kMC's per-site rate: the one-site k times sqrt(N) (kmc.rate_rules.creep_bound_per_s's size law)
    assert per_site == pytest.approx(creep_closure_per_void_site_per_s(li_settings, lattice, stress) * math.sqrt(sites),
                                     rel=1e-3)


def test_void_radius_relaxes_to_the_capture_closure_balance(li):
    """With capture and closure, u = r^2 relaxes exactly to capture / closure: both a larger and
    a smaller void end there, and a step of any length stays on the exact curve."""
    kv = li.shape.volume_per_radius3
    cap, clo = 2.0, 0.5
    r = kinetics.grow_and_close(np.array([0.1, 5.0]), 1e3, cap, clo, kv)
    assert r == pytest.approx(np.full(2, 2.0), rel=1e-9)
    half = kinetics.grow_and_close(kinetics.grow_and_close(np.array([5.0]), 0.3, cap, clo, kv), 0.3, cap, clo, kv)
    assert half[0] == pytest.approx(kinetics.grow_and_close(np.array([5.0]), 0.6, cap, clo, kv)[0], rel=1e-12)
    # without creep the capture alone: r^2 grows by 4 pi cap t / (3 k_V)
    grown = kinetics.grow_and_close(np.array([1.0]), 3.0, cap, 0.0, kv)
    assert grown[0] ** 2 == pytest.approx(1 + 4 * math.pi * cap * 3.0 / (3 * kv), rel=1e-12)


def test_steady_vacancy_flux_to_the_sinks(li):
    """No voids: every stripped vacancy diffuses to the sinks, J = D_v c_eq (S - 1) / (Omega L),
    so S = 1 + i Omega L / (e D_v c_eq); docs/physics.md §4b's estimate at 0.5 mA/cm^2 and 100 um is
    S ~ 100-130."""
    s = kinetics.interface_vacancy_fraction(li, 0.0) / li.vacancy_equilibrium_fraction
    flux_cm2_s = li.current_mA_cm2 * 1e-3 / units.ELEMENTARY_CHARGE_C
    expected = 1 + (flux_cm2_s * li.atomic_volume_A3 * 1e-24 * li.sink_distance_um * 1e-4
                    / (li.vacancy_diffusivity_um2_s * 1e-8 * li.vacancy_equilibrium_fraction))
    assert s == pytest.approx(expected, rel=1e-12)
    assert 90 < s < 160
    # doubling the sink distance doubles S - 1
    s2 = kinetics.interface_vacancy_fraction(with_(li, sink_distance_um=200.0), 0.0) / li.vacancy_equilibrium_fraction
    assert s2 - 1 == pytest.approx(2 * (s - 1), rel=1e-12)


def test_one_void_takes_its_share_of_the_vacancies(vacancy_regime):
    """One hemispherical sink of radius r beside the slab: the void takes 2 pi r / (A/L + 2 pi r)
    of the stripped volume, and the rest reaches the sinks (conservation); in both regimes
    (tests/regimes.py), c - c_eq being the same vacancy excess at S = 9.52 and 134."""
    li = with_(disc_inputs(load_config(LI, [*vacancy_regime, NO_CONTACT_SINK])), void_shape="cap")
    r = 5.0
    c = kinetics.interface_vacancy_fraction(li, r)
    d, ceq = li.vacancy_diffusivity_um2_s, li.vacancy_equilibrium_fraction
    to_void = d * (c - ceq) * 2 * math.pi * r
    to_sinks = d * (c - ceq) * li.area_um2 / li.sink_distance_um
    total = li.strip_velocity_um_s * li.area_um2
    assert to_void + to_sinks == pytest.approx(total, rel=1e-12)
    assert to_void / total == pytest.approx(2 * math.pi * r / (li.area_um2 / li.sink_distance_um + 2 * math.pi * r))


def test_current_focusing_around_one_void(vacancy_regime):
    """One void of base radius r in the square: contact 1 - pi r^2 / A, local current i / c, and the
    overpotential (2RT/F) asinh(i / (2 i0 c)); a section line through its centre sees one chord 2r,
    one at distance d a chord 2 sqrt(r^2 - d^2); in both regimes (tests/regimes.py)."""
    r = 20.0
    li = with_(disc_inputs(load_config(LI, [*vacancy_regime, NO_CONTACT_SINK])), void_shape="cap")
    st = voids.VoidState(np.array([37.0]), np.array([li.width_um / 32]), np.array([r]), np.array([r * li.shape.height_per_radius]))
    now = kinetics.fields(li, st.r)
    contact = 1 - math.pi * r ** 2 / li.area_um2
    assert now.contact == pytest.approx(contact, rel=1e-12)
    out = voids.DiscVoids(li).sample(st, now)
    eta = 2 * units.GAS_CONSTANT_J_per_mol_K * li.temperature_K / units.FARADAY_C_per_mol * 1e3 * math.asinh(
        li.current_mA_cm2 / (2 * li.exchange_current_mA_cm2 * contact))
    assert out["overpotential"] == pytest.approx(eta, rel=1e-12)
    stats = sections.section_statistics(with_(li, section_lines=16), st.x, st.y, st.r)
    line_gap = li.width_um / 16
    chords = [2 * math.sqrt(r ** 2 - (k * line_gap) ** 2) for k in range(-3, 4) if abs(k * line_gap) < r]
    assert stats["void_width_max"] == pytest.approx(2 * r, rel=1e-12)
    assert stats["void_width_min"] == pytest.approx(min(chords), rel=1e-12)
    assert stats["section_voids_per_um"] == pytest.approx(len(chords) / (16 * li.width_um))
    assert stats["void_height_max"] == pytest.approx(r * li.shape.height_per_radius, rel=1e-12)


def test_nothing_nucleates_at_the_shipped_S_and_voids_burst_out_at_S_f_0():
    """The shipped regime (tests/regimes.py): Li's cell sits at S = 9.52 with no void, where the
    [meso] I(S) rows, continued below their first row and read at the set's own hops (x exp(2.75)),
    give 7e-12 nuclei per um^2 per s: over a 4 mAh/cm^2 run (8 h) the 160 um square expects 0.005
    voids, so a Poisson draw gives none with probability 0.995 (the test allows up to 0.01 expected).
    A run of the disc model (kmc.cell.loop.run) to 0.5 mAh/cm^2 nucleates none and keeps S
    and the contact; at S_f = 0 (S = 134, I = 32 per um^2 per s) the same run nucleates voids
    within 0.01 mAh/cm^2 (so the count can fail)."""
    shipped = load_config(LI, [NO_CONTACT_SINK])      # the sinks 100 um away alone set S
    inp = disc_inputs(shipped)
    S = kinetics.fields(inp, np.empty(0)).supersaturation
    assert S == pytest.approx(9.52, abs=0.01)
    expected = nucleation_rate_per_um2_s(inp, S) * inp.area_um2 * units.S_PER_H * 4.0 / inp.current_mA_cm2
    assert 0 < expected < 0.01
    run = run_disc(shipped.with_overrides(["meso.stop_stripped_mAh_cm2=0.5"]))
    assert run.series["nucleated"][-1] == 0 and run.series["contact_fraction"][-1] == 1.0
    assert run.series["supersaturation"] == pytest.approx(np.full(run.series["supersaturation"].size, S), rel=1e-12)
    burst = run_disc(shipped.with_overrides(["meso.stop_stripped_mAh_cm2=0.01", NO_FORMATION_ENTROPY]))
    assert burst.series["nucleated"][-1] > 0


def test_touching_voids_coalesce_across_the_periodic_edge(li):
    """Two voids overlapping across x = 0 merge into one of the summed volume at the volume-weighted
    centre; a third, apart, stays."""
    w = li.width_um
    x, y, r = np.array([1.0, w - 2.0, 80.0]), np.array([50.0, 50.0, 80.0]), np.array([2.0, 1.5, 1.0])
    nx, ny, nr, _, merges = coalescence.coalesce(x, y, r, r ** 3, w)
    assert merges == 1 and nx.size == 2
    big = np.argmax(nr)
    assert nr[big] ** 3 == pytest.approx(2.0 ** 3 + 1.5 ** 3, rel=1e-12)
    centre = (8 * 1.0 + 1.5 ** 3 * (-2.0)) / (8 + 1.5 ** 3)
    assert nx[big] == pytest.approx(centre % w, rel=1e-12)
    assert nr[1 - big] == 1.0


def test_coalescence_leaves_no_overlap_among_many(li):
    rng = np.random.default_rng(3)
    n = 3000
    x, y, r = rng.uniform(0, 160, n), rng.uniform(0, 160, n), rng.uniform(0.5, 2.0, n)
    volume = np.sum(r ** 3)
    nx, ny, nr, _, merges = coalescence.coalesce(x, y, r, r ** 3, 160.0)
    assert merges == n - nx.size > 0
    assert np.sum(nr ** 3) == pytest.approx(volume, rel=1e-10)
    dx = np.abs(nx[:, None] - nx[None, :])
    dx = np.minimum(dx, 160 - dx)
    dy = np.abs(ny[:, None] - ny[None, :])
    dy = np.minimum(dy, 160 - dy)
    gap = np.sqrt(dx ** 2 + dy ** 2) - (nr[:, None] + nr[None, :])
    np.fill_diagonal(gap, 1.0)
    assert gap.min() >= 0


def test_nucleation_barrier_is_the_classical_one(li):
    """At a 90 degree cap (f = 1/2) dG* = (8 pi / 3) gamma^3 Omega^2 / (kT ln S)^2; the rate rises
    with S and is nothing at S <= 1."""
    inp = with_(li, shape=VoidCap(math.pi / 2), measured_nucleation=())
    s = 100.0
    barrier = 8 * math.pi / 3 * inp.surface_energy_eV_A2 ** 3 * inp.atomic_volume_A3 ** 2 / (inp.kT_eV * math.log(s)) ** 2
    rate = nucleation_rate_per_um2_s(inp, s)
    assert rate == pytest.approx(inp.nucleation_prefactor_per_um2_s * math.exp(-barrier / inp.kT_eV), rel=1e-9)
    assert nucleation_rate_per_um2_s(inp, 1e4) > rate
    assert nucleation_rate_per_um2_s(inp, 1.0) == 0.0


def test_run_records_every_observable_and_conserves_nothing_it_should_not(li):
    """A short run: samples at the set interval, charge = current x time, counts that add up."""
    inp = with_(li, stop_stripped_mAh_cm2=0.2, output_every_mAh_cm2=0.05, width_um=60.0)
    res = run(voids.DiscVoids(inp))
    q = res.series["stripped_charge"]
    assert q == pytest.approx([0, 0.05, 0.1, 0.15, 0.2], abs=1e-9)
    assert res.series["physical_time"] == pytest.approx(q / inp.current_mA_cm2 * 3600)
    assert set(res.series) == set(sections.OBSERVABLES)
    assert res.series["contact_fraction"][-1] < res.series["contact_fraction"][0]   # voids grow at 0.2 MPa
    assert res.stop_reason == "stripped"


def test_missing_meso_table_and_bad_keys_are_refused(tmp_path):
    text = open("params/li_li2s_bond.toml").read()
    p = tmp_path / "x.toml"
    p.write_text(text)
    with pytest.raises(CellInputError, match=r"no \[meso\] table"):
        disc_inputs(load_config(p))
    with pytest.raises(ConfigError, match="meso.defect_density_per_um2"):
        load_config(LI, ["meso.defect_density_per_um2=-1"])
    p.write_text(open(LI).read().replace("defect_radius_um = 0.2", ""))
    with pytest.raises(ConfigError, match="missing required key meso.defect_radius_um"):
        load_config(p)
    # the angle is the energy model's now: a file that still sets it is told so, not silently overridden
    p.write_text(open(LI).read().replace("[meso]\n", "[meso]\nwetting_angle_deg = 93.6\n"))
    with pytest.raises(ConfigError, match="meso.wetting_angle_deg: removed.*energy model"):
        load_config(p)


@pytest.mark.slow   # ~9 s (kmc.fit.l1_equilibrium's chain, twice); the fast tier keeps the shipped sets' runs
def test_the_interface_energetics_come_from_the_energy_model(li):
    """Li: the void angle and surface energy are the DFT rows the energy is fitted to (93.6 deg,
    W_ad 0.39 J/m^2).  Li-Mg: L1 holds kmc.fit.l1_equilibrium's solute fraction (the same chain), the
    angle is the fit's at that L1 and lithiophilic against Li's, and the L1 table against the
    subsurface starts at the bulk's x with that fraction (its own shorter chain: within 5 of its
    ~1e-3 standard errors), rises with x, and ends at (1, 1); the L1 observable interpolates it."""
    from kmc import fit
    assert 180 - math.degrees(li.shape.angle_rad) == pytest.approx(93.6, abs=1e-3)
    assert li.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2 == pytest.approx(0.416, abs=1e-3)
    assert li.interface_solute_curve == () and sections.interface_solute_fraction(li, 0.0) == 0.0
    s = load_config("params/limg_li2s.toml")
    mg = disc_inputs(s)
    eq = fit.l1_equilibrium(s)
    iface = interface_energetics(s)
    assert iface.interface_solute_equilibrium == eq.fraction and 0.5 < eq.fraction < 0.7
    assert 180 - math.degrees(mg.shape.angle_rad) == pytest.approx(fit.equilibrium_alloy_interface(s)["theta_deg"])
    assert 180 - math.degrees(mg.shape.angle_rad) < 90 < 180 - math.degrees(li.shape.angle_rad)
    xs, l1 = map(np.array, zip(*mg.interface_solute_curve))
    assert xs[0] == s.composition.solute_fraction and (xs[-1], l1[-1]) == (1.0, 1.0)
    assert l1[0] == pytest.approx(eq.fraction, abs=5e-3)
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(l1) > 0)
    assert sections.interface_solute_fraction(mg, xs[0]) == pytest.approx(l1[0])
    mid = 0.5 * (xs[1] + xs[2])
    assert sections.interface_solute_fraction(mg, mid) == pytest.approx(0.5 * (l1[1] + l1[2]))


def test_flat_void_grows_at_its_rim_and_collapses_under_creep(li):
    """Flat limit (no surface diffusion): at fixed height the rim advances at 3 capture / (pi h)
    (the captured 4 r capture of volume spread over the rim), exactly linear however the
    integrator sub-steps; creep alone shrinks the void self-similarly, r and h both as
    exp(-closure (r/h) t), exactly."""
    a = li.shape.height_per_radius
    cap, clo = 0.02, 1e-4
    r, h = kinetics.evolve_kinetic_voids(np.array([4.0]), np.array([1.0]), 7.0, cap, 0.0, a, 0.0, 0.01)
    assert r[0] - 4.0 == pytest.approx(3 * cap * 7.0 / math.pi, rel=1e-12) and h[0] == 1.0
    r, h = kinetics.evolve_kinetic_voids(np.array([4.0]), np.array([1.0]), 50.0, 0.0, clo, a, 0.0, 0.01)
    assert r[0] == pytest.approx(4.0 * math.exp(-clo * 4.0 * 50.0), rel=1e-12) and h[0] / r[0] == pytest.approx(0.25)
    # flat voids that touch keep their footprints (area adds) and volume
    flat = with_(li, void_shape="kinetic")
    x, y = np.array([10.0, 14.0]), np.array([10.0, 10.0])
    nx, ny, nr, nh, merges = coalescence.coalesce_state(flat, x, y, np.array([3.0, 2.0]), np.array([1.0, 0.5]))
    assert merges == 1 and nr[0] ** 2 == pytest.approx(13.0)
    assert kinetics.FLAT_VOLUME * nr[0] ** 2 * nh[0] == pytest.approx(kinetics.FLAT_VOLUME * (9 * 1.0 + 4 * 0.5))


def test_a_small_void_is_its_cap_and_follows_the_exact_law(li_fast_surface):
    """Below the cap bound surface diffusion keeps a void its equilibrium cap (h = aspect r): its
    volume (2/3) pi aspect r^3 takes 4 capture r - 2 pi closure r^3 per second, so r^2 relaxes
    exponentially to 2 capture / (pi closure) at the rate 4 pi closure / (3 k_V): one call over a
    long step is that exact solution (1e-12), whatever the step."""
    li = li_fast_surface
    a, mullins = li.shape.height_per_radius, mullins_coefficient_um4_s(li)
    cap, clo = 0.019, 0.24                       # the fields of 2 MPa: seeds at their balance
    u_star, rate = 2 * cap / (math.pi * clo), 4 * math.pi * clo / (3 * kinetics.FLAT_VOLUME * a)
    assert kinetics._cap_radius_bound_sq(cap, a, mullins, 0.01) > u_star     # both ends below the bound
    r0 = np.array([0.2, 0.25])
    r, h = kinetics.evolve_kinetic_voids(r0, r0 * a, 14.4, cap, clo, a, mullins, 0.01)
    exact = np.sqrt(u_star + (r0 ** 2 - u_star) * math.exp(-rate * 14.4))
    np.testing.assert_allclose(r, exact, rtol=1e-12)
    np.testing.assert_allclose(h / r, a, rtol=1e-12)


def _reference_void(r, h, t_end, cap, clo, a, mullins):
    """RK4 of the kinetic void's ODE, dr/dt = 3 cap/(pi h) - clo r^2/h + (r_eq - r)/tau,
    dh/dt = -clo r - 2 (h/r)(r_eq - r)/tau, tau = r^4/B, at steps of 2 % of its fastest time."""
    def f(r, h):
        relax = ((r * r * h / a) ** (1 / 3) - r) * mullins / r ** 4
        return 3 * cap / (math.pi * h) - clo * r * r / h + relax, -clo * r - 2 * (h / r) * relax
    t = 0.0
    while t < t_end:
        dt = min(t_end - t, 0.02 * min(r ** 4 / mullins, math.pi * h * r / (3 * cap), h / (clo * r)))
        k1 = f(r, h)
        k2 = f(r + dt / 2 * k1[0], h + dt / 2 * k1[1])
        k3 = f(r + dt / 2 * k2[0], h + dt / 2 * k2[1])
        k4 = f(r + dt * k3[0], h + dt * k3[1])
        r += dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        h += dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        t += dt
    return r, h


@pytest.mark.parametrize("r0, h0", [(0.1, 0.094), (1.5, 0.4), (0.8, 0.2)])
@pytest.mark.parametrize("t_end", [1.0, 20.0])
def test_kinetic_voids_match_a_fine_integration_of_their_ode(li_fast_surface, r0, h0, t_end):
    """The per-void integrator against RK4 of the same ODE at 2 % of the fastest time: a seed
    that grows out of the cap regime, flat voids that relax and shrink to the balance, in the
    transient (1 s) and at the balance (20 s).  The error is first order in the tolerance: within
    1.5 tol at tol = 0.01, and at least halved at tol / 4."""
    li = li_fast_surface
    a, mullins = li.shape.height_per_radius, mullins_coefficient_um4_s(li)
    cap, clo = 0.1, 0.5                          # balance r = 0.36 um, cap bound r_b = 0.16 um at tol 0.01
    ref_r, ref_h = _reference_void(r0, h0, t_end, cap, clo, a, mullins)
    errors = []
    for tol in (0.01, 0.0025):
        r, h = kinetics.evolve_kinetic_voids(np.array([r0]), np.array([h0]), t_end, cap, clo, a, mullins, tol)
        errors.append(max(abs(r[0] / ref_r - 1), abs(h[0] / ref_h - 1)))
    assert errors[0] < 0.015 and errors[1] < errors[0] / 2


def test_voids_at_their_balance_do_not_shorten_the_step(li_settings):
    """At 2 MPa the defect seeds sit where capture balances creep, and at 5 MPa creep holds them
    at a balance radius of ~20 nm, below the defect size (reseeded there, not at 0.2 um to shrink
    off their sites each step): the step stays at meso.max_step_mAh_cm2 (2e-3), so 0.2 mAh/cm^2
    takes 100 steps plus the first shrinking of the 0.2 um seeds to their balance (a few at
    2 MPa, ~150 at 5 MPa, where the seeds shrink from 0.2 um to 19 nm at most 2 % of sum r
    per step).  The former rate-based limiter took 11296 steps at 2 MPa.  Classical I(S), whose
    nucleation is nil here, so that the seeds alone set the step (the measured rows nucleate
    ~1e4 nanometre voids at 5 MPa, each a new void to follow)."""
    for pressure, most in ((2.0, 130), (5.0, 300)):
        inp = with_(disc_inputs(load_config(LI, [f"conditions.stack_pressure_MPa={pressure}",
                                                      "meso.stop_stripped_mAh_cm2=0.2",
                                                      "meso.defect_density_per_um2=0.03", NO_CONTACT_SINK, *FAST_SURFACE])),
                    measured_nucleation=())
        res = run(voids.DiscVoids(inp))
        assert res.steps < most, (pressure, res.steps)
        assert res.series["contact_fraction"][-1] > 0.99


# a kmc meso process of the shipped run (~6 s of CPU warm, 19 cold): in the slow tier; the fast tier's kmc.load
# of meso files is tests/test_readers.py's (a complete and a cut-off one, with and without xarray)
@pytest.mark.slow
def test_kmc_load_reads_a_meso_file(tmp_path):
    """kmc.load gives a meso run the kMC's observable names on ``sample``, with stripped_charge as
    the coordinate, and its parameters and /run as attributes (as a dict without xarray too)."""
    import subprocess
    import sys

    import kmc
    out = tmp_path / "li.h5"
    made = subprocess.run([sys.executable, "-m", "kmc.cli", "meso", "li_li2s", "-o", str(out),
                           "--set", "meso.stop_stripped_mAh_cm2=0.05"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    ds = kmc.load(out)
    assert ds.attrs["kind"] == "meso" and ds.attrs["run_status"] == "complete"
    assert float(ds.stripped_charge[-1]) == pytest.approx(0.05)
    assert 0 < float(ds.contact_fraction[-1]) <= 1 and "overpotential" in ds
    d = kmc.load(out, as_xarray=False)
    np.testing.assert_array_equal(d["contact_fraction"], ds.contact_fraction.values)


def test_kmc_plot_draws_a_meso_file(tmp_path, li_settings):
    """`kmc plot --kind contact` of a meso file draws its contact fraction and overpotential against
    stripped charge (the file's own series; the overpotential recomputed with --exchange-current),
    and `--kind compare` puts two meso files on one axes, labelled by what differs."""
    from click.testing import CliRunner

    from kmc import plot as figures
    from kmc.cli.plot import plot
    paths = []
    for pressure in (0.2, 1.0):
        settings = load_config(LI, [f"conditions.stack_pressure_MPa={pressure}", "meso.stop_stripped_mAh_cm2=0.1",
                                    "meso.interface=disc"])      # the fast model: the plot is tested here
        paths.append(tmp_path / f"p{pressure}.h5")
        run_cell_to_file(settings, paths[-1])
    for args, name in (([str(paths[0]), "--kind", "contact"], "contact.png"),
                       ([*map(str, paths), "--kind", "compare"], "compare.png")):
        done = CliRunner().invoke(plot, [*args, "-o", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
        assert (tmp_path / name).stat().st_size > 0
    # a disc run stores no gap sections: --kind cross-section says so (the resolved one: test_resolved)
    disc_section = CliRunner().invoke(plot, [str(paths[0]), "--kind", "cross-section", "-o", str(tmp_path / "s.png")])
    assert disc_section.exit_code == 2 and "no gap sections" in disc_section.output
    fig = figures.contact_loss(paths[0])
    contact_line = fig.axes[0].get_lines()[0]
    np.testing.assert_array_equal(contact_line.get_xdata(), res_series(paths[0], "stripped_charge"))
    np.testing.assert_array_equal(contact_line.get_ydata(), res_series(paths[0], "contact_fraction"))

    def overpotential_of(fig):
        return [ax for ax in fig.axes if ax.get_ylabel() == "overpotential (mV)"][0].get_lines()[0].get_ydata()
    eta = overpotential_of(fig)
    np.testing.assert_array_equal(eta, res_series(paths[0], "overpotential"))
    assert np.all(overpotential_of(figures.contact_loss(paths[0], 3.0)) < eta)   # larger i0, same contact
    compared = figures.compare_runs(paths)
    lines = compared.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["Li, 0.2 MPa", "Li, 1 MPa"]
    compared.canvas.draw()      # the legend stays on the figure
    assert compared.bbox.contains(*compared.axes[0].get_legend().get_window_extent().p0)
    assert compared.bbox.contains(*compared.axes[0].get_legend().get_window_extent().p1)
    np.testing.assert_array_equal(lines[1].get_ydata(), res_series(paths[1], "contact_fraction"))


def res_series(path, name):
    import h5py
    with h5py.File(path) as f:
        return f[f"observables/{name}/value"][()]


def test_measured_nucleation_rate_interpolates_the_kmc_rows(li):
    """The kMC's I(S) rows: exact at a row, log-log between rows (the geometric mean halfway in
    ln S), the first two rows' power law below, the last row's rate above, none at S <= 1; and
    a run's inputs use them in place of the classical rate."""
    rows = ((100, 1.0), (200, 1e4), (400, 1e6))
    assert measured_rate(rows, 200) == pytest.approx(1e4)
    assert measured_rate(rows, 200 * math.sqrt(2)) == pytest.approx(1e5)
    assert measured_rate(rows, 50) == pytest.approx(1e-4)      # exponent ln(1e4)/ln 2
    assert measured_rate(rows, 1e4) == 1e6
    assert measured_rate(rows, 1.0) == 0.0
    measured = with_(li, measured_nucleation=rows)
    assert nucleation_rate_per_um2_s(measured, 200) == pytest.approx(1e4)
    classical = with_(li, measured_nucleation=())
    assert nucleation_rate_per_um2_s(classical, 200) < 1e-20        # classical, for contrast


def test_the_parameter_file_carries_the_measured_rows(li_settings, li):
    """params/li_li2s.toml's [meso] rows reach the run's inputs in order, so the shipped run uses the
    kMC's I(S) (at the cell's S = 134 the row itself); rows of unequal length, a single row, or a
    falling S are refused with the rule."""
    rows = tuple(zip(li_settings.meso.nucleation_rate_S, li_settings.meso.nucleation_rate_per_um2_s))
    assert len(rows) >= 2 and li.measured_nucleation == tuple((float(s), float(i)) for s, i in rows)
    s134 = dict(li.measured_nucleation)[134.0]
    assert nucleation_rate_per_um2_s(li, 134.0) == pytest.approx(s134)
    with pytest.raises(ConfigError, match="the same number of rows"):
        load_config(LI, ["meso.nucleation_rate_S=[100, 134]"])
    with pytest.raises(ConfigError, match="at least 2 rows"):
        load_config(LI, ["meso.nucleation_rate_S=[100]", "meso.nucleation_rate_per_um2_s=[1.0]"])
    with pytest.raises(ConfigError, match="rising"):
        load_config(LI, ["meso.nucleation_rate_S=[134, 100]", "meso.nucleation_rate_per_um2_s=[1.0, 2.0]"])


def test_kmc_sweep_runs_meso_points(tmp_path):
    """A sweep spec with sweep.command = "meso" runs `kmc meso` at each point: the files are meso
    files equal (every observable) to a direct run of the same settings, --collect's table has
    their contact and overpotential; an unknown command and a file without [meso] are refused."""
    from click.testing import CliRunner

    from kmc.cli.sweep import sweep
    from kmc.runfile import KIND_MESO, file_kind_of
    from kmc.sweep import SweepError, expand_sweep, load_sweep
    spec = tmp_path / "mesodemo.toml"
    spec.write_text('[sweep]\nroot_seed = 3\ncommand = "meso"\n[base]\nparams = "%s"\n'
                    '[grid]\nconditions.stack_pressure_MPa = [0.2, 1.0]\n' % Path(LI).resolve())
    out = tmp_path / "out"
    done = CliRunner().invoke(sweep, [str(spec), "--out", str(out), "--workers", "1",
                                      "--set", "meso.stop_stripped_mAh_cm2=0.1", "--set", "meso.interface=disc"],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    table = load_sweep(out).sort_values("conditions.stack_pressure_MPa")
    assert len(table) == 2 and all(file_kind_of(out / name) == KIND_MESO for name in table.file)
    for _, row in table.iterrows():
        settings = load_config(LI, [f"conditions.stack_pressure_MPa={row['conditions.stack_pressure_MPa']}",
                                    "meso.stop_stripped_mAh_cm2=0.1", f"run.seed={row.seed}", "meso.interface=disc"])
        direct = run(voids.DiscVoids(disc_inputs(settings))).series
        for name in ("contact_fraction", "overpotential", "section_voids_per_um"):
            np.testing.assert_array_equal(res_series(out / row.file, name), direct[name])
        assert row.contact_fraction_final == direct["contact_fraction"][-1]
        assert row.overpotential_final_mV == direct["overpotential"][-1]
    spec.write_text(spec.read_text().replace('"meso"', '"mesoscale"'))
    with pytest.raises(SweepError, match="sweep.command = 'mesoscale'; allowed: 'run' .*'meso'"):
        expand_sweep(spec)
    bond = str(Path("params/li_li2s_bond.toml").resolve())             # a parameter set without [meso]
    spec.write_text(spec.read_text().replace('"mesoscale"', '"meso"').replace(str(Path(LI).resolve()), bond))
    with pytest.raises(SweepError, match=r"needs a \[meso\] table"):
        expand_sweep(spec)


def test_a_seed_goes_only_where_it_fits_beside_the_voids(li):
    """A defect site within a seed radius of a void's rim is that void's edge and gets no seed
    (a seed there would merge at once, adding its footprint to the void every step: growth set by
    the step count); a site farther out does, and a covered one does not."""
    x, y, r = np.array([50.0]), np.array([50.0]), np.array([10.0])
    sites_x, sites_y = np.array([50.0, 60.5, 62.5]), np.array([55.0, 50.0, 50.0])   # inside, at the rim, free
    nx, ny, nr, nh = mnuc.reseed(li, x, y, r, r * 0.5, sites_x, sites_y, 1.0)
    assert nr.size == 2 and nx[1] == 62.5 and nr[1] == 1.0
    assert nh[1] == pytest.approx(li.shape.height_per_radius)
    assert mnuc.reseed(li, x, y, r, r * 0.5, sites_x, sites_y, 1e-3)[2].size == 1    # below 2 nm: no seed


def test_the_smallest_void_is_the_runs_resolution(li):
    """Tolerances.smallest_void_um is numerics (docs/meso.md varies it 0.5 - 2 nm): a void below it
    is dropped, the integrator stops a void at it, and nuclei start at twice it at least."""
    flat = with_(li, void_shape="kinetic")
    st = voids.VoidState(np.array([10.0, 50.0]), np.array([10.0, 50.0]), np.array([4e-3, 1.0]), np.array([4e-3, 0.5]))
    now = kinetics.fields(flat, st.r)
    births = nucleation_rate_per_um2_s(flat, now.supersaturation) * flat.area_um2 * 1e-3
    assert births > 50                       # the step below nucleates
    voids.DiscVoids(flat, voids.Tolerances(smallest_void_um=5e-3))._finish(st, now, 1e-3, st.r.copy(), st.h.copy(),
                                                                          np.random.default_rng(1))
    assert st.nucleated > 0 and st.r.size > 1
    assert 1.0 in st.r                       # the 1 um void stays; the 4 nm one (below 5 nm) is gone
    assert st.r.min() >= 2 * 5e-3 * (1 - 1e-12)
    # a void shrinking under creep alone (self-similarly, sub-steps of 1 % of its creep time) stops
    # within a sub-step of the given resolution, and goes on below it at the default one
    r, h = kinetics.evolve_kinetic_voids(np.array([0.1]), np.array([0.05]), 1e6, 0.0, 1e-3, 0.5, 0.0, 0.01, 0.02)
    assert 0.02 * 0.98 < h[0] < 0.02 and r[0] / h[0] == pytest.approx(2.0)
    assert kinetics.evolve_kinetic_voids(np.array([0.1]), np.array([0.05]), 1e6, 0.0, 1e-3, 0.5, 0.0, 0.01)[1][0] < 1e-3


def test_kmc_meso_help_gives_the_defaults():
    """`kmc meso --help` lists the defaults a parameter file without them gets (from the schema)."""
    from click.testing import CliRunner

    from kmc.cli.meso import meso as meso_command
    from kmc.config import SCHEMA
    text = CliRunner().invoke(meso_command, ["--help"]).output
    for section, name in (("meso", "width_um"), ("meso", "stop_stripped_mAh_cm2"), ("conditions", "stack_pressure_MPa")):
        assert f"{section}.{name} = {SCHEMA[section][name].default:g}" in text
    assert "meso.void_shape" not in text          # a physics key: no default
