"""The gap model's sensitivities (docs/mechanics_sensitivity.md): Li's strength at the islands'
size as the reduced operator takes it (kmc.mechanics.law.FeatureStrength of the flow law, kmc.physics.flow;
the pillar law of before the flow law as its free-standing reading) and the electrolyte's constriction in the
overpotential (meso.electrolyte_constriction), each off/on against what it must change and leave alone."""
import math

import numpy as np
import pytest

from kmc.config import ConfigError, load_config
from kmc.mechanics.law import FeatureStrength
from kmc.model import flow_law
from kmc.physics.creep import NortonLaw
from kmc.physics.flow import FREE_STANDING
from kmc.mechanics.reduced import ReducedFoil
from kmc.resolved.fields import butler_volmer_current, slab_potential_operator
from kmc.launch import cell_inputs_of
from kmc.resolved.section import SectionModel
from regimes import BULK_LAW, FREE_STANDING_ISLANDS, NO_FORMATION_ENTROPY

LI = "params/li_li2s.toml"
LAW = NortonLaw(7.7e-3, 1.0, 6.6, 37.0, 298.0)                  # [creep] of params/li_li2s.toml
V_um_s = 6.75e-4                                                # the metal's recession at 0.5 mA/cm^2
FLOW = flow_law(load_config(LI))                                # Li's flow law of params/li_li2s.toml at 298 K
XU = FeatureStrength(FLOW, 0.0, V_um_s, kind=FREE_STANDING)      # the pillar law on every island (before the flow law)
CELL_um = 0.25
CELLS = 80                                          # a 20 um section


def _islands(widths_cells, void_cells):
    """A contact map: islands of these widths (cells), each followed by a void of void_cells (one
    number for all, or one per island)."""
    voids = np.broadcast_to(void_cells, len(widths_cells))
    pattern = np.concatenate([np.r_[np.zeros(a, bool), np.ones(v, bool)] for a, v in zip(widths_cells, voids)])
    assert pattern.size == CELLS
    return pattern


def test_the_strength_factor_is_the_flow_laws_stress_over_the_bulk_laws():
    """f(w) = sigma_flow(v/w, w) / sigma_Norton(v/w): without a sink the law's size factor g (the pillars' 105
    MPa at 1.4 um over bulk at their rate for a free-standing feature, carried with n), 1 for a feature of
    mm; with the contact's sink diffusional flow lowers it below g where it is fast (small features)."""
    bulk = LAW.effective_stress_MPa(1e-3)
    assert XU.stress_factor(LAW, 1.4) == pytest.approx(105.0 / bulk, rel=1e-6)
    assert XU.stress_factor(LAW, 2.8) == pytest.approx(105.0 * 2 ** -0.68 / bulk, rel=1e-6)
    embedded = FeatureStrength(FLOW, 0.0, V_um_s)
    assert np.allclose(embedded.stress_factor(LAW, [0.25, 1.0, 5.0]), FLOW.size_factor([0.25, 1.0, 5.0]), rtol=1e-4)
    assert embedded.stress_factor(LAW, 1e4) == pytest.approx(1.0, abs=1e-3)
    sink = FeatureStrength(FLOW, 1e6, V_um_s)           # kappa = 1 m/s
    assert sink.stress_factor(LAW, 0.1) < 0.8 * embedded.stress_factor(LAW, 0.1)
    assert sink.stress_factor(LAW, 50.0) == pytest.approx(embedded.stress_factor(LAW, 50.0), rel=0.02)
    with pytest.raises(ValueError, match="not the flow law's"):
        embedded.stress_factor(NortonLaw(1e-3, 1.0, 6.6, 37.0, 298.0), 1.0)
    with pytest.raises(ValueError, match="allowed: kappa >= 0"):
        FeatureStrength(FLOW, -1.0, V_um_s)


def test_the_size_effect_slows_equal_islands_by_its_factor_to_the_power_n():
    """Equal islands of 1 um (4 voids of 4 um over 20 um: the punch regime): with every cell's
    reference stress raised by f(1 um), the plunger descends f^-n as fast (~1e-16) and each island
    carries the same pressure (the load is still P W, shared alike)."""
    open_cells = _islands([4, 4, 4, 4], 16)
    bulk = ReducedFoil(LAW, CELLS, CELL_um)
    strong = ReducedFoil(LAW, CELLS, CELL_um, strength=XU)
    a, b = bulk.respond(open_cells, 0.2, 100.0), strong.respond(open_cells, 0.2, 100.0)
    f = float(XU.stress_factor(LAW, 1.0))
    assert b.plunger_velocity_um_s / a.plunger_velocity_um_s == pytest.approx(f ** -6.6, rel=1e-9)
    assert b.plunger_velocity_um_s / a.plunger_velocity_um_s < 1e-12
    assert b.contact_pressure_MPa == pytest.approx(a.contact_pressure_MPa, rel=1e-9)
    assert strong.plunger_speed(open_cells, 0.2, 100.0) == pytest.approx(-b.plunger_velocity_um_s, rel=1e-12)
    # the voids' roofs close relative to the plunger as slowly
    voids = open_cells
    assert b.closing_velocity_um_s[voids] == pytest.approx(a.closing_velocity_um_s[voids] * f ** -6.6, rel=1e-9)


def test_a_narrow_void_in_wide_islands_closes_at_the_strength_of_its_own_width():
    """One void of 0.5 um in a 19.5 um island: the metal flows into it within ~its width, so its cell takes
    Li's strength at the void's width, the smaller of its two lengths (as a held hole at its width and a
    sub-grid nucleus at its diameter do), not at the island's: the plunger and the roof f(0.5)^-n as fast."""
    open_cells = _islands([78], 2)
    bulk = ReducedFoil(LAW, CELLS, CELL_um).respond(open_cells, 1.0, 100.0)
    strong = ReducedFoil(LAW, CELLS, CELL_um, strength=XU).respond(open_cells, 1.0, 100.0)
    f_void, f_island = XU.stress_factor(LAW, [0.5, 19.5])
    assert f_void > 10 * f_island
    assert strong.plunger_velocity_um_s / bulk.plunger_velocity_um_s == pytest.approx(f_void ** -6.6, rel=1e-9)
    assert strong.closing_velocity_um_s[open_cells] == pytest.approx(
        bulk.closing_velocity_um_s[open_cells] * f_void ** -6.6, rel=1e-9)


def test_the_area_reads_the_strength_at_the_smaller_of_a_features_two_widths():
    """The area's seam (kmc.mechanics.reduced_area.AreaFoil.strength_factor) takes the section's rule: a small
    cap (2 cells across) in a 12 um square takes Li's strength at its own diameter, a wide one (34 cells) at
    the contact ring between it and its neighbours, each form blended by chi as before."""
    from kmc.mechanics.reduced_area import AreaFoil
    foil = AreaFoil(LAW, (48, 48), CELL_um, strength=XU)
    z, x = np.mgrid[0:48, 0:48]
    for radius_cells in (1.2, 17.0):
        part = foil.partition(np.hypot(z - 23.5, x - 23.5) < radius_cells)
        A_f, A_T, chi, length = part.feature_area_um2, part.cell_area_um2, part.chi, part.length_um
        a, b = np.sqrt(A_f / math.pi), np.sqrt(A_T / math.pi)
        void = chi * 2 * a + (1 - chi) * A_f / length
        ring = chi * 2 * (b - a) + (1 - chi) * (A_T - A_f) / length
        assert (void < ring).all() if radius_cells < 2 else (ring < void).all()
        assert foil.strength_factor(part, A_f) == pytest.approx(XU.stress_factor(LAW, np.minimum(void, ring)),
                                                                 rel=1e-12)


def test_the_size_effect_moves_the_load_onto_the_narrow_ligaments():
    """Islands of 0.5, 0.5 and 3 um: the void between the two narrow islands has the narrowest
    ligaments (0.5 um, f = 288) and its cell the strongest metal, so with the size effect it carries
    f_A / f_B more pressure relative to a cell with a 0.5 and a 3 um island (1.75 um, f = 120) than
    in bulk creep (one plunger: P_i = f_i P (V / (eps G_i lambda_i))^(1/n)); the load stays P W."""
    open_cells = _islands([2, 2, 12], [21, 21, 22])
    bulk = ReducedFoil(LAW, CELLS, CELL_um).respond(open_cells, 1.0, 100.0)
    strong = ReducedFoil(LAW, CELLS, CELL_um, strength=XU).respond(open_cells, 1.0, 100.0)
    # voids in order of start: A after the first 0.5 um island (both sides narrow), B, C
    assert list(bulk.void_starts) == [2, 25, 58]
    f_A, f_B = XU.stress_factor(LAW, [0.5, 1.75])
    ratio = lambda r: r.cell_pressure_MPa[0] / r.cell_pressure_MPa[1]  # noqa: E731
    assert ratio(strong) == pytest.approx(ratio(bulk) * f_A / f_B, rel=1e-9)
    assert ratio(strong) > 2 * ratio(bulk)
    for r in (bulk, strong):
        lam = np.array([2 / 2 + 21 + 2 / 2, 2 / 2 + 21 + 12 / 2, 12 / 2 + 22 + 2 / 2]) * CELL_um
        assert (r.cell_pressure_MPa * lam).sum() == pytest.approx(1.0 * CELLS * CELL_um, rel=1e-9)


def test_islands_of_a_law_without_size_effect_are_bulk():
    """A flow law with no size effect and no sink changes nothing (f = 1 at every width)."""
    plain = FeatureStrength(FLOW.with_(strain_gradient_length_um=0.0, onset=None), 0.0, V_um_s)
    open_cells = _islands([8, 8], 32)
    a = ReducedFoil(LAW, CELLS, CELL_um).respond(open_cells, 0.2, 100.0)
    b = ReducedFoil(LAW, CELLS, CELL_um, strength=plain).respond(open_cells, 0.2, 100.0)
    assert b.plunger_velocity_um_s == pytest.approx(a.plunger_velocity_um_s, rel=1e-8)


@pytest.fixture(scope="module")
def li_settings():
    return lambda sets=(): load_config(LI, [NO_FORMATION_ENTROPY, *sets])


def test_the_keys_reach_the_resolved_interface_and_the_size_effect_is_on(li_settings):
    """The default: Li's flow law (the [flow] keys at the cell's temperature) on the islands, the
    constriction on; regimes.BULK_LAW is bulk creep (no operator strength at all), whose mechanics lowers the
    metal over a sparse contact far faster; meso.electrolyte_constriction = 'off' reaches the current."""
    base = cell_inputs_of(li_settings(BULK_LAW), width_um=20.0, cell_um=CELL_um)
    assert base.feature_strength() is None and base.electrolyte_constriction is True
    on = cell_inputs_of(li_settings(["meso.electrolyte_constriction='off'", "electrode.contact_sink_rate_m_s=0",
                                     FREE_STANDING_ISLANDS]), width_um=20.0, cell_um=CELL_um)
    strength = on.feature_strength()
    assert strength.kind == FREE_STANDING and strength.flow == on.flow
    assert on.electrolyte_constriction is False
    gap = np.where(_islands([4, 4, 4, 4], 16), 0.5, 0.0)
    rates = []
    for inp in (base, on):
        model = SectionModel(inp)
        now = model.rates(model.initial_state(gap))
        rates.append(now["mechanics"].plunger_velocity_um_s)
        if inp is on:
            assert now["current"].overpotential_mV == now["current"].kinetic_mV
        else:
            assert now["current"].overpotential_mV > now["current"].kinetic_mV
    assert rates[1] / rates[0] == pytest.approx(float(strength.stress_factor(base.law, 1.0)) ** -6.6, rel=1e-6)
    with pytest.raises(ConfigError, match="meso.electrolyte_constriction.*'on'.*'off'"):
        li_settings(["meso.electrolyte_constriction='none'"])


def test_without_constriction_eta_is_the_kinetic_part_and_the_current_uniform():
    """Three 1 um islands over 40 um: with the electrolyte's resistance the current crowds to the
    islands' edges and eta exceeds the Butler-Volmer term at the contact's mean current; without it
    the current is that mean on every contact cell and eta is exactly the Butler-Volmer term,
    (2RT/F) asinh(i/(2 i0 c)) (kmc.physics.electrochemistry)."""
    from kmc.physics.electrochemistry import overpotential_mV
    n = 160
    R = slab_potential_operator(n, CELL_um, 500.0)
    rho_ohm_um = 1e4 / 3.5e-3
    open_cells = np.ones(n, bool)
    for start in (10, 70, 120):
        open_cells[start:start + 4] = False
    contact = (~open_cells).mean()
    on = butler_volmer_current(R, rho_ohm_um, 1.0, 298.0, 0.5, open_cells)
    off = butler_volmer_current(R, rho_ohm_um, 1.0, 298.0, 0.5, open_cells, constriction=False)
    kinetic = overpotential_mV(0.5, contact, 1.0, 298.0)
    assert off.overpotential_mV == off.kinetic_mV == pytest.approx(kinetic, rel=1e-12)
    assert off.current_mA_cm2[~open_cells] == pytest.approx(np.full((~open_cells).sum(), 0.5 / contact), rel=1e-12)
    assert on.kinetic_mV == off.kinetic_mV
    assert on.overpotential_mV > kinetic + 0.05
    assert on.current_mA_cm2[10] > on.current_mA_cm2[11] and on.current_mA_cm2[13] > on.current_mA_cm2[12]
    assert math.isclose(on.current_mA_cm2.sum(), off.current_mA_cm2.sum(), rel_tol=1e-9)


@pytest.mark.parametrize("key, value", [("electrolyte_constriction", "'off'")])
def test_the_disc_model_refuses_a_sensitivity_it_cannot_hold(key, value):
    """The disc model has no islands and no electrolyte field: a resolved-only key away from its
    default is one clear error naming the key and what is allowed, not a run that ignores it."""
    from kmc.cell.inputs import CellInputError
    from kmc.launch import cell_model_of
    settings = load_config(LI, [f"meso.{key}={value}", "meso.interface='disc'"])
    with pytest.raises(CellInputError, match=rf"meso\.{key} = .* read only by the gap model .*; allowed: "):
        cell_model_of(settings)


def test_the_pillar_keys_of_before_name_where_they_went():
    """meso.ligament_* (docs/mechanics.md §5b) moved to [flow] (§10): each is one error naming its new key."""
    with pytest.raises(ConfigError, match=r"meso\.ligament_strength_MPa: removed because.*flow\.pillar_strength_MPa"):
        load_config(LI, ["meso.ligament_strength_MPa=0"])
