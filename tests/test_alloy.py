"""The solute along the interface (docs/alloy.md section 1): kmc.physics.alloy's rules and kmc.resolved.solute's
field, on their own and in the resolved section (docs/alloy.md)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kmc.config import load_config
from kmc.physics import alloy, solute
from kmc.physics.electrochemistry import butler_volmer_current, butler_volmer_scale_V
from kmc.resolved.solute import SoluteField, solute_current
from regimes import BULK_LAW

# A composition table of kmc.energetics' form (x_sub, theta, angle, gamma, W_ad): the shipped Li-Mg
# set's rows (rounded), so the tests need no Metropolis chains
TABLE = ((0.03, 0.593, 58.4, 0.458, 0.698), (0.06, 0.616, 58.3, 0.460, 0.702), (0.12, 0.641, 58.1, 0.462, 0.706),
         (0.24, 0.667, 57.7, 0.464, 0.712), (0.7, 0.722, 57.7, 0.467, 0.717))


def test_the_activity_form_is_the_symmetric_law_where_nothing_changed():
    s = butler_volmer_scale_V(298.0)
    eta = np.linspace(-0.05, 0.05, 11)
    np.testing.assert_allclose(alloy.activity_current(eta, 1.0, s, 1.0, 1.0), butler_volmer_current(eta, 1.0, s),
                               rtol=1e-12, atol=1e-15)
    # a solute-rich contact (b, r < 1) needs a higher potential for the same current, and at i = 0 it sits
    # at the Nernst shift -(kT/e) ln r = -(s/2) ln r
    phi = np.zeros(4)
    b, r = np.full(4, 0.8), np.full(4, 0.9)
    E = alloy.galvanostatic_activity_potential_V(phi, 1.0, s, b, r, 2.0, 0.0)
    assert alloy.activity_current(E - phi, 1.0, s, b, r).sum() == pytest.approx(2.0, rel=1e-10)
    E_li = alloy.galvanostatic_activity_potential_V(phi, 1.0, s, np.ones(4), np.ones(4), 2.0, 0.0)
    assert E > E_li
    E0 = alloy.galvanostatic_activity_potential_V(phi, 1.0, s, b, r, 0.0, 0.0)
    assert E0 == pytest.approx(-0.5 * s * np.log(0.9), rel=1e-9)


def test_the_electrode_potential_short_of_its_step_is_refused_not_returned(monkeypatch):
    """Newton for E, given too few passes to walk from a start 1 V off (at most 2 s = ~0.05 V a pass), raises
    with where it stood; given its default passes, the same call returns the E that carries the current.  In the
    resolved current the refusal is the current's FieldNotConverged (what the gap model turns into Unconverged)."""
    from kmc.resolved.fields import FieldNotConverged
    s = butler_volmer_scale_V(298.0)
    phi, b, r = np.zeros(4), np.full(4, 0.8), np.full(4, 0.9)
    with pytest.raises(alloy.PotentialNotConverged, match="after 3 passes"):
        alloy.galvanostatic_activity_potential_V(phi, 1.0, s, b, r, 2.0, 1.0, iterations=3)
    E = alloy.galvanostatic_activity_potential_V(phi, 1.0, s, b, r, 2.0, 1.0)
    assert alloy.activity_current(E - phi, 1.0, s, b, r).sum() == pytest.approx(2.0, rel=1e-10)
    from kmc.resolved.solute import SoluteFactors
    open_cells, R, rho = _islands()
    n = open_cells.size
    f = SoluteFactors(*(np.ones(n),) * 7)
    newton = alloy.galvanostatic_activity_potential_V
    monkeypatch.setattr(alloy, "galvanostatic_activity_potential_V", lambda *a: newton(*a, iterations=1))
    with pytest.raises(FieldNotConverged, match=r"solute_current\): the electrode potential's Newton"):
        solute_current(R, rho, 1.0, 298.0, 0.5, open_cells, f)


def test_the_current_leaves_a_contact_that_gathered_solute():
    """Equipotential electrolyte: the cell with fewer L1 Li sites and a lower Li activity carries less,
    the section still carries its current."""
    from kmc.resolved.solute import SoluteFactors
    n = 8
    b, r = np.ones(n), np.ones(n)
    b[3], r[3] = 0.7, 0.9
    f = SoluteFactors(*(np.ones(n),) * 2, b, r, *(np.ones(n),) * 3)
    cur = solute_current(None, 1.0, 1.0, 298.0, 0.5, np.zeros(n, bool), f, constriction=False)
    assert cur.current_mA_cm2.mean() == pytest.approx(0.5, rel=1e-10)
    assert cur.current_mA_cm2[3] < 0.9 * cur.current_mA_cm2[0]
    plain = solute_current(None, 1.0, 1.0, 298.0, 0.5, np.zeros(n, bool),
                           SoluteFactors(*(np.ones(n),) * 7), constriction=False)
    assert cur.overpotential_mV > plain.overpotential_mV


def test_a_contact_with_no_li_left_ends_the_run_instead_of_reporting_a_potential():
    """x_s = 1 under every contact cell (r = 0: the clip of kmc.physics.alloy.excess_to_subsurface) carries
    no current at any potential: the galvanostatic potential is infinite and the section's current raises
    the run's no-contact stop (before: Newton's 60 bounded passes returned ~12 V, a number of nothing)."""
    from kmc.mechanics.reduced import NoContactError
    from kmc.resolved.solute import SoluteFactors
    n = 8
    b, r = np.full(n, 0.68), np.zeros(n)
    assert alloy.galvanostatic_activity_potential_V(np.zeros(n), 1.0, 0.05, b, r, 4.0, 0.02) == float("inf")
    f = SoluteFactors(*(np.ones(n),) * 2, b, r, *(np.ones(n),) * 3)
    with pytest.raises(NoContactError):
        solute_current(None, 1.0, 1.0, 298.0, 0.5, np.zeros(n, bool), f, constriction=False)
    r[5] = 1e-6                    # one cell with Li left takes the whole current, at a finite potential
    cur = solute_current(None, 1.0, 1.0, 298.0, 0.5, np.zeros(n, bool), f, constriction=False)
    assert np.isfinite(cur.overpotential_mV)
    assert cur.current_mA_cm2[5] == pytest.approx(0.5 * n, rel=1e-6)


def _islands(n=160, cell_um=0.25):
    """A section's open cells: voids of 2-12 um between islands of 1-6 um, the potential operator of a 500 um
    pellet under a 40 um section, and rho in ohm um: 350x the shipped Li2S's 2.9e6, so that the constriction
    moves the current by tens of percent and eta by mV (at the shipped rho the map is nearly the identity)."""
    from kmc.resolved.fields import slab_potential_operator
    rng = np.random.default_rng(4)
    open_cells = np.zeros(n, bool)
    x = 0
    while x < n:
        x += int(rng.integers(4, 24))                            # an island
        w = int(rng.integers(8, 48))
        open_cells[x:x + w] = True
        x += w
    return open_cells, slab_potential_operator(n, cell_um, 500.0), 1e9


def test_the_constricted_alloy_current_is_the_plain_one_where_nothing_gathered():
    """b = r = 1 on every cell: the alloy's kinetics are Butler-Volmer's, so its current with the electrolyte's
    constriction is kmc.resolved.fields' (the same fixed point, another closed form of the kinetics), to its
    tolerance; the contact carries the section's current."""
    from kmc.resolved.fields import CURRENT_TOLERANCE, butler_volmer_current as section_current
    from kmc.resolved.solute import SoluteFactors
    open_cells, R, rho = _islands()
    n = open_cells.size
    plain = section_current(R, rho, 1.0, 298.0, 0.5, open_cells)
    cur = solute_current(R, rho, 1.0, 298.0, 0.5, open_cells, SoluteFactors(*(np.ones(n),) * 7))
    i_max = plain.current_mA_cm2.max()
    assert plain.overpotential_mV > plain.kinetic_mV + 1.0       # the islands constrict: eta above the kinetic part
    assert np.abs(cur.current_mA_cm2 - plain.current_mA_cm2).max() < 100 * CURRENT_TOLERANCE * i_max
    assert cur.overpotential_mV == pytest.approx(plain.overpotential_mV, abs=1e-3)
    assert cur.current_mA_cm2.mean() == pytest.approx(0.5, rel=1e-9)
    assert (cur.current_mA_cm2[open_cells] == 0).all()


def test_the_alloy_current_starts_from_the_last_potential_and_lands_where_a_cold_start_does(monkeypatch):
    """The fixed point from a previous solve's potential (the time loop's warm start) gives the cold start's
    current to the tolerance, on a contact with Mg gathered unevenly (b, r from 0.6 to 1)."""
    from kmc.resolved.fields import CURRENT_TOLERANCE
    from kmc.resolved.solute import SoluteFactors
    from kmc.physics import alloy as alloy_rules
    open_cells, R, rho = _islands()
    n = open_cells.size
    rng = np.random.default_rng(5)
    b, r = rng.uniform(0.6, 1.0, n), rng.uniform(0.6, 1.0, n)
    f = SoluteFactors(*(np.ones(n),) * 2, b, r, *(np.ones(n),) * 3)
    passes = []
    newton = alloy_rules.galvanostatic_activity_potential_V

    def counted(*args, **kwargs):
        passes[-1] += 1
        return newton(*args, **kwargs)
    monkeypatch.setattr(alloy_rules, "galvanostatic_activity_potential_V", counted)
    passes.append(0)
    cold = solute_current(R, rho, 1.0, 298.0, 0.5, open_cells, f)
    passes.append(0)
    warm = solute_current(R, rho, 1.0, 298.0, 0.5, open_cells, f, guess=cold.potential_V)
    i_max = cold.current_mA_cm2.max()
    assert np.abs(warm.current_mA_cm2 - cold.current_mA_cm2).max() < 100 * CURRENT_TOLERANCE * i_max
    assert warm.overpotential_mV == pytest.approx(cold.overpotential_mV, abs=1e-3)
    assert passes[1] < passes[0]                                  # the warm start takes fewer passes
    # the enriched cells carry less: the current follows b r
    contact = ~open_cells
    assert np.corrcoef(cold.current_mA_cm2[contact], (b * r)[contact])[0, 1] > 0.5


def _field(strengthening="none", cell_um=0.25):
    # D_Mg / c_v and c_eq of the shipped Li-Mg set's order (docs/rates.md: D_Mg 6.7e-11 cm^2/s at S = 9.5 c_eq)
    return SoluteField(0.03, 1.2e4, 5.46e-8, TABLE, cell_um, 6.6, strengthening)


def test_uniform_stripping_builds_the_quasi_steady_enrichment():
    """Every cell stripped alike: no lateral flux, and the subsurface fraction follows kmc.physics.solute's
    x (1 + h v / D) once the profile is at its steady depth D / v (the kMC's enrichment check, docs/rates.md)."""
    f = _field()
    n, v, S = 16, 6.75e-4, 9.5
    D = float(f.diffusivity_um2_s(S))
    st = f.initial_state(n, S, v)
    assert st.depth_um[0] == pytest.approx(D / v)
    dt, steps = 14.0, 1000
    for _ in range(steps):
        st = f.step(st, np.full(n, v), np.full(n, S), dt)
    h = v * dt * steps
    xs = f.subsurface_fraction(st)
    assert np.ptp(xs) < 1e-12
    assert xs[0] == pytest.approx(solute.subsurface_fraction(0.03, h, v, D), rel=1e-3)
    assert st.excess_um.sum() == pytest.approx(0.03 * h * n, rel=1e-12)


def test_solute_spreads_sideways_into_cells_that_stop_stripping_and_is_conserved():
    f = _field()
    n, v, S = 64, 6.75e-4, 9.5
    st = f.initial_state(n, S, v)
    strip = np.where(np.arange(n) < n // 2, 2 * v, 0.0)          # half the section under a void
    dt, steps = 14.0, 500
    for _ in range(steps):
        st = f.step(st, strip, np.where(strip > 0, S, 1.0), dt)
    assert st.excess_um.sum() == pytest.approx(0.03 * strip.sum() * dt * steps, rel=1e-12)
    xs = f.subsurface_fraction(st)
    under_void = xs[n // 2:]
    assert under_void[0] > under_void[n // 4] > 0.03              # fed from the edge, falling away from it
    assert xs[: n // 2].min() > under_void.max()


def test_the_factors_follow_the_composition_table_and_the_strength_bound():
    f = _field()
    st = f.initial_state(4, 9.5, 6.75e-4)
    st.excess_um[:] = np.array([0.0, 0.03, 0.09, 0.21]) * st.depth_um           # x_s = 0.03, 0.06, 0.12, 0.24
    k = f.factors(st)
    np.testing.assert_allclose(k.subsurface_fraction, [0.03, 0.06, 0.12, 0.24])
    np.testing.assert_allclose(k.l1_fraction, [0.593, 0.616, 0.641, 0.667])
    np.testing.assert_allclose(k.site_factor, (1 - k.l1_fraction) / (1 - 0.593))
    np.testing.assert_allclose(k.activity_ratio, (1 - k.subsurface_fraction) / 0.97)
    np.testing.assert_allclose(k.wetting_angle_deg, [58.4, 58.3, 58.1, 57.7])
    assert np.all(k.creep_factor == 1.0)
    bound = _field("labusch_bound").factors(st).creep_factor
    np.testing.assert_allclose(bound, (0.03 / k.subsurface_fraction) ** (2 * 6.6 / 3))
    with pytest.raises(ValueError, match="allowed"):
        _field("hall_petch")


@pytest.fixture(scope="module")
def alloy_section():
    """The Li section's inputs with a solute of Li-Mg's numbers and the table above (no chains), Li's
    size effect and the contact's sink off (regimes.BULK_LAW; with the size effect on, the placed void
    then takes all but 1 um of the 20 um section within the 1.2 h, and no island is left to gather Mg unevenly)."""
    from kmc.launch import cell_inputs_of
    inp = cell_inputs_of(load_config("params/li_li2s.toml", BULK_LAW), width_um=20.0)
    return inp, replace(inp, solute_fraction=0.03, solute_diffusivity_per_vacancy_um2_s=1.2e4, solute_field="on",
                        composition_table=TABLE)


def test_the_section_moves_current_off_the_enriched_contact_beside_a_void(alloy_section):
    """Li's inputs (S = 9.5) with a placed 5 um void, 1.2 h of stripping: the void grows, the island
    between its rims strips and gathers Mg; the current with the Mg is compared with the plain
    Butler-Volmer current on the same gap."""
    from kmc.resolved.fields import butler_volmer_current as section_current
    from kmc.resolved.section import SectionModel
    li, limg = alloy_section
    assert SectionModel(li).solute is None                    # no solute: the model without the solute field
    model = SectionModel(limg)
    gap = np.zeros(limg.cells)
    gap[30:50] = 0.5                                               # a 5 um void
    st = model.initial_state(gap)
    for _ in range(300):
        now = model.rates(st)
        model.step(st, now, 14.0)
    now = model.rates(st)
    contact = ~now["open"]
    xs = now["solute"].subsurface_fraction
    plain = section_current(model.R, limg.resistivity_ohm_um, limg.exchange_current_mA_cm2, limg.temperature_K,
                            limg.current_mA_cm2, now["open"])
    ratio = now["current"].current_mA_cm2[contact] / plain.current_mA_cm2[contact]
    assert now["current"].current_mA_cm2.mean() == pytest.approx(limg.current_mA_cm2, rel=1e-8)
    # the island left between the void's rims gathered Mg unevenly (the metal over the void, which
    # strips nothing, draws it sideways: the rims hold less than the island's middle) ...
    assert xs[contact].max() > xs[contact].min() + 1e-3
    # ... and the current follows b r: it leaves the most enriched contact for the least
    assert np.corrcoef(ratio, xs[contact])[0, 1] < -0.95
    assert ratio[np.argmax(xs[contact])] < 1 < ratio[np.argmin(xs[contact])]


def test_a_contact_with_no_li_left_strips_nothing_and_the_rest_carries_the_current():
    """x_s = 1 (r = 0): no anodic current at any potential, no NaN; the other cells carry the total."""
    s = butler_volmer_scale_V(298.0)
    assert alloy.activity_current(5.0, 1.0, s, 1.0, 0.0) == pytest.approx(-np.exp(-5.0 / s), abs=1e-300)
    b, r = np.ones(4), np.array([0.0, 1.0, 1.0, 1.0])
    E = alloy.galvanostatic_activity_potential_V(np.zeros(4), 1.0, s, b, r, 3.0, 0.0)
    i = alloy.activity_current(np.full(4, E), 1.0, s, b, r)
    assert np.isfinite(i).all() and i.sum() == pytest.approx(3.0, rel=1e-10)
    assert i[0] < 0 < i[1]
