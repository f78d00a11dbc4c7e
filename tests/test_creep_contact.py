"""Creep closure per interface void and electrical contact (docs/validation.md).

Creep: a site of an interface void of N L1 sites is refilled at kappa eps_dot(P / c) w / d, w =
2 sqrt(N a^2 / pi) its equivalent diameter, d the layer spacing, c the metal-occupied fraction of
L1 (kmc.model.creep_closure_per_void_site_per_s; docs/validation.md).  The tests switch hops off
(a vanishing attempt frequency) so that refills are the only events, and measure the waiting time
to the first refill of a prepared void many times over (the state is restored, the random stream
runs on).

Tolerances: a first-refill time is exponential with mean 1/R, so the mean of M of them has
relative standard deviation 1/sqrt(M); the tests allow 4 of those (a false failure about once
in 16 000 runs).  Which of two voids is refilled first is a Bernoulli draw with p = R_B / (R_A +
R_B): its frequency over M draws has standard deviation sqrt(p (1 - p) / M), again 4 allowed.
"""
import math

import numpy as np
import pytest

from kmc.engine import events
from kmc.engine.contact import interface_void_size, metal_connected
from kmc.config import ConfigError, load_config
from kmc.simulation import Simulation
from kmc.species import HOST, SOLUTE, VACANCY

from conftest import PARAMS
from regimes import PERFECT_INTERFACE

NX = 16                     # L1 is NX x NX sites ([001]: sites a apart)
A_LATTICE = 3.51            # params/li_li2s.toml
KAPPA = 0.3183              # ... creep.closure_coefficient (1/pi to 4 digits)
ACCEL = 1e6


def _settings(pressure_MPa, extra=()):
    """The perfect interface (no pore: every L1 site under the electrolyte, the contact the law is of)."""
    return load_config(PARAMS / "li_li2s.toml", [
        f"lattice.cells=[{NX},{NX},3]", "kinetics.attempt_frequency_Hz=1e-30", "boundary.bottom=closed",
        "conditions.current_density_mA_cm2=0", f"conditions.stack_pressure_MPa={pressure_MPa}",
        f"run.acceleration={ACCEL}", "run.stop_stripped_mAh_cm2=0", "run.max_events=1000000000",
        "creep.closure_coefficient=0.3183", PERFECT_INTERFACE, *extra])


def _with_voids(settings, squares):
    """All host, with square interface voids (x0, y0, side) in L1 (periodic)."""
    sim = Simulation(settings)
    occ = np.full(sim.lattice.n_sites, HOST, np.int8)
    for x0, y0, side in squares:
        for y in range(y0, y0 + side):
            for x in range(x0, x0 + side):
                occ[(y % NX) * NX + x % NX] = VACANCY
    return Simulation(settings, occupancy=occ)


def _rule_per_site(pressure_MPa, void_sites, l1_vacancies):
    """The rule written out: kappa eps_dot(P / c) w / d per site, eps_dot of seed 003's Norton law
    as in params/li_li2s.toml at its reference temperature (298 K, no Arrhenius factor)."""
    c = 1 - l1_vacancies / NX**2
    eps_dot = 7.7e-3 * (pressure_MPa / c) ** 6.6
    w = 2 * A_LATTICE * math.sqrt(void_sites / math.pi)
    return ACCEL * KAPPA * eps_dot * w / (A_LATTICE / 2)


def _first_refills(sim, samples):
    """(waiting time, refilled L1 site) of the first creep refill, ``samples`` times from the
    same state; null events (thinning rejections) are part of the wait."""
    start = sim.get_state()
    out = []
    for _ in range(samples):
        rng = sim.rng.copy()
        sim.set_state(start)
        sim.rng[:] = rng
        l1 = sim.occupancy[:NX * NX].copy()
        while sim.counts[events.EV_CREEP] == 0:
            sim.step(1)
        filled = np.flatnonzero((sim.occupancy[:NX * NX] != VACANCY) & (l1 == VACANCY))
        assert filled.size == 1
        out.append((sim.time_s, int(filled[0])))
    return out


@pytest.mark.parametrize("side, pressure", [(2, 2.0), (6, 2.0), (4, 2.0), (4, 3.0)])
def test_single_void_closes_at_the_rule_rate(side, pressure):
    """Closure rate against width (N = 4, 16, 36 at 2 MPa) and pressure (N = 16 at 2 and 3 MPa):
    the old rule (every void site at eps_dot, whatever the void) would give rates in the ratio
    1 : 4 : 9 at equal contact; this one 1 : 8 : 27 (N^1.5), and (3/2)^6.6 = 14.5 for pressure."""
    samples = 1500
    n = side * side
    sim = _with_voids(_settings(pressure), [(3, 3, side)])
    times = np.array([t for t, _ in _first_refills(sim, samples)])
    expected = n * _rule_per_site(pressure, n, n)
    assert sim.rates.creep_per_void_site_full_contact_per_s * math.sqrt(n) * (1 - n / NX**2) ** -6.6 == \
        pytest.approx(_rule_per_site(pressure, n, n), rel=1e-9)
    assert times.mean() * expected == pytest.approx(1.0, abs=4 / math.sqrt(samples))


def test_larger_void_closes_first_and_thinning_is_exact():
    """Two voids, 9 and 16 sites: which one creep refills first goes as N^1.5 (p = 64 / 91 = 0.70;
    the old rule's N would give 0.64), and the waiting time counts the thinning's null events:
    its mean is 1 / (R_9 + R_16)."""
    samples = 3000
    sim = _with_voids(_settings(2.0), [(1, 1, 3), (8, 8, 4)])
    firsts = _first_refills(sim, samples)
    big = {y * NX + x for y in range(8, 12) for x in range(8, 12)}
    frac_big = np.mean([s in big for _, s in firsts])
    p = 16**1.5 / (16**1.5 + 9**1.5)
    assert frac_big == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / samples))
    rate = 9 * _rule_per_site(2.0, 9, 25) + 16 * _rule_per_site(2.0, 16, 25)
    mean = np.mean([t for t, _ in firsts])
    assert mean * rate == pytest.approx(1.0, abs=4 / math.sqrt(samples))
    assert sim.counts[events.EV_NULL] > 0          # some draws were rejected


def test_interface_void_size_joins_l1_sites_in_plane():
    sim = _with_voids(_settings(2.0), [(1, 1, 3), (8, 8, 4), (15, 15, 2)])   # the last wraps round x and y
    rm, state, contact = sim._kernel_state()
    size = lambda s: interface_void_size(s, sim._geometry, sim.site_word, contact.l1_mark, contact.l1_queue)
    assert size(1 * NX + 1) == 9 and size(11 * NX + 11) == 16 and size(0) == 4 and size(15 * NX + 15) == 4
    assert not contact.l1_mark.any()


# ----------------------------------------------------------------------------- electrical contact
def _contact_box(pressure=0.0):
    """L1 all vacant but four atoms: A isolated (its four L2 neighbours vacant), B on bulk metal,
    C joined through one L2 atom, D on an L2 atom cut off below (a two-atom island)."""
    settings = load_config(PARAMS / "li_li2s.toml", [
        "lattice.cells=[8,8,4]", "kinetics.attempt_frequency_Hz=1e-30", "boundary.bottom=closed",
        f"conditions.stack_pressure_MPa={pressure}", "run.acceleration=1e6", "run.stop_stripped_mAh_cm2=0",
        "run.max_events=1000", PERFECT_INTERFACE])
    sim = Simulation(settings)
    lat = sim.lattice
    nbr = lat.neighbors
    spl = lat.sites_per_layer
    occ = np.full(lat.n_sites, HOST, np.int8)
    occ[:spl] = VACANCY
    a, b, c, d = 0 * 8 + 1, 0 * 8 + 5, 5 * 8 + 1, 5 * 8 + 5
    occ[[a, b, c, d]] = HOST
    down = lambda s: [int(n) for n in nbr[s, 4:] if n >= 0]
    occ[down(a)] = VACANCY
    occ[down(c)[1:]] = VACANCY                      # C keeps one L2 atom, which sits on bulk metal
    e = down(d)[0]
    occ[down(d)[1:]] = VACANCY
    occ[down(e)] = VACANCY                          # D's one L2 atom has no metal below it
    for n in nbr[e]:                                # nor beside it in L1 / L2 other than D
        if n >= 0 and n != d and n // spl == 0:
            occ[n] = VACANCY
    assert all(occ[n] == VACANCY for n in nbr[e] if n >= 0 and n != d)
    return Simulation(settings, occupancy=occ), (a, b, c, d)


def test_only_atoms_joined_by_metal_are_contact():
    sim, (a, b, c, d) = _contact_box()
    rm, state, contact = sim._kernel_state()
    joined = {s: metal_connected(s, sim._geometry, sim.site_word, sim.layer_vacancies,
                                        contact.site_mark, contact.search) for s in (a, b, c, d)}
    assert joined == {a: False, b: True, c: True, d: False}
    assert not contact.site_mark.any()             # the search leaves no marks
    obs = sim.observables()
    spl = sim.lattice.sites_per_layer
    assert obs["contact_fraction"] == 2 / spl and obs["interface_vacancy_count"] == spl - 4
    from kmc.analysis.voids import _connected_l1_metal   # the analysis finds the same from the bottom up
    lat = sim.lattice
    assert _connected_l1_metal(sim.occupancy, lat.neighbors, lat.layer, lat.n_layers) == 2


def test_isolated_atoms_are_never_stripped():
    """Stripping takes only B and C (the current is shared between them); then no host atom
    carries current and the run stops, A and D still in place."""
    sim, (a, b, c, d) = _contact_box()
    reason = sim.step(1000)
    occ = sim.occupancy
    assert reason == "no_strippable_host"
    assert sim.stripped_atoms == 2 and occ[b] == VACANCY and occ[c] == VACANCY
    assert occ[a] == HOST and occ[d] == HOST
    assert sim.observables()["contact_fraction"] == 0


def test_contact_search_overflow_falls_back_exactly():
    """A search that marks more sites than its log holds finishes by sweeps, with the same answer."""
    sim, (a, b, c, d) = _contact_box()
    rm, state, contact = sim._kernel_state()
    tiny = np.zeros(2, np.int32)                  # a log of one site
    for s, want in ((a, False), (b, True), (c, True), (d, False)):
        assert metal_connected(s, sim._geometry, sim.site_word, sim.layer_vacancies,
                                      contact.site_mark, tiny) == want
        assert not contact.site_mark.any()


# ----------------------------------------------------------------------------- configuration
def test_refill_length_is_refused_with_what_replaced_it(tmp_path):
    old = (PARAMS / "li_li2s.toml").read_text().replace("closure_coefficient = 0.3183",
                                                       "refill_length_nm = 0.1755")
    path = tmp_path / "old.toml"
    path.write_text(old)
    with pytest.raises(ConfigError, match=r"creep.refill_length_nm: removed.*closure_coefficient"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"--set .*creep.refill_length_nm: removed"):
        load_config(PARAMS / "li_li2s.toml", ["creep.refill_length_nm=0.2"])


@pytest.mark.parametrize("value", [0, -0.3, 11, "1/pi", True])
def test_bad_closure_coefficient_is_refused(value):
    text = f"creep.closure_coefficient={value}"
    with pytest.raises(ConfigError, match="creep.closure_coefficient"):
        load_config(PARAMS / "li_li2s.toml", [text])


def test_closure_coefficient_is_required(tmp_path):
    path = tmp_path / "none.toml"
    path.write_text((PARAMS / "li_li2s.toml").read_text().replace("closure_coefficient = 0.3183", ""))
    with pytest.raises(ConfigError, match="missing required key creep.closure_coefficient"):
        load_config(path)
