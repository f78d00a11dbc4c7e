"""The contact as a vacancy sink in the gap model (docs/mechanics.md §10.2; kmc.physics.vacancy, kmc.resolved.gap)."""
from dataclasses import replace

import numpy as np
import pytest

from kmc.config import load_config
from kmc.launch import cell_inputs_of
from kmc.physics import contact_vacancy, vacancy
from kmc.resolved.section import SectionModel
from regimes import DENSE_FACE, OLD_FACE

LI = "params/li_li2s.toml"
KAPPA_m_s = 0.1


def _model(sets=(), width_um=20.0):
    return SectionModel(cell_inputs_of(load_config(LI, [*OLD_FACE, *sets]), width_um=width_um, cell_um=0.25))


def test_a_flat_contact_annihilates_what_the_balance_says():
    """Full contact, no void: the field's supersaturation is the closed form with the contact's sink
    (kmc.physics.vacancy.supersaturation_with_contact_sink), the contact annihilates kappa c_eq (S - 1), the
    rest reaches the sinks, and the contact recedes by the whole stripped volume (both taken at the contact)."""
    model = _model([f"electrode.contact_sink_rate_m_s={KAPPA_m_s}"])
    inp = model.inp
    now = model.rates(model.initial_state())
    S = vacancy.supersaturation_with_contact_sink(inp.strip_velocity_um_s, inp.sink_distance_um,
                                                  inp.vacancy_diffusivity_um2_s, inp.vacancy_equilibrium_fraction,
                                                  inp.contact_sink_rate_um_s)
    assert now["supersaturation"] == pytest.approx(np.full(inp.cells, S), rel=1e-8)
    sample = model.sample(model.initial_state(), now)
    to_sinks = now["vacancies"].to_sinks_um_s / inp.strip_velocity_um_s
    assert sample["contact_sink_fraction"] + to_sinks == pytest.approx(1.0, rel=1e-8)
    assert sample["contact_sink_fraction"] == pytest.approx(
        vacancy.contact_annihilation_velocity(inp.contact_sink_rate_um_s, inp.vacancy_equilibrium_fraction, S)
        / inp.strip_velocity_um_s, rel=1e-8)
    assert now["recession_um_s"] == pytest.approx(inp.strip_velocity_um_s, rel=1e-8)
    assert sample["captured_fraction"] == 0.0


def test_the_sink_takes_the_voids_share_and_the_shares_add_up():
    """A 2 um void in a 20 um section: the stronger the contact's sink, the less the void captures and the
    lower S beside it; captured + annihilated + to the sinks is the stripped flux; without a sink the
    contact annihilates nothing (the model of before, kappa = 0)."""
    gap = np.zeros(80)
    gap[30:38] = 0.5
    shares = []
    for kappa in (0.0, 0.03, 0.3):
        model = _model([f"electrode.contact_sink_rate_m_s={kappa}"])
        st = model.initial_state(gap)
        now = model.rates(st)
        sample = model.sample(st, now)
        to_sinks = now["vacancies"].to_sinks_um_s / model.inp.strip_velocity_um_s
        assert sample["captured_fraction"] + sample["contact_sink_fraction"] + to_sinks == pytest.approx(1.0, rel=1e-6)
        shares.append((sample["captured_fraction"], sample["contact_sink_fraction"], sample["supersaturation"]))
    (c0, a0, s0), (c1, a1, s1), (c2, a2, s2) = shares
    assert a0 == 0.0 and c0 > c1 > c2 and a2 > a1 > 0 and s0 > s1 > s2 > 1


def test_the_law_reaches_the_gap_models_mechanics():
    """The bulk law with no sink builds no strength (the runs of before bit for bit); the shipped law builds
    Li's flow law at the cell's temperature, for the stripping and, at the press's rate, for the press."""
    plain = _model()
    assert plain.strength is None and plain.press_mechanics is plain.mechanics
    law = SectionModel(cell_inputs_of(load_config(LI, [DENSE_FACE]), width_um=20.0))
    assert law.strength is not None and law.strength.flow == law.inp.flow
    assert law.press_mechanics is not law.mechanics
    assert law.press_mechanics.strength.rate_per_s(1.0) == pytest.approx(1 / 30.0)
    assert law.strength.rate_per_s(1.0) == pytest.approx(law.inp.strip_velocity_um_s)


def test_each_contact_cell_of_the_alloy_sinks_at_its_own_mg():
    """Li-Mg with its Mg field: kappa on each contact cell is the [contact_vacancy] rows' at the cell's own x_s
    (Mg at the contact repels vacancies, docs/alloy.md section 6), so a cell whose Mg is enriched
    to 0.24 annihilates 0.61 / 1.03 of what a cell at the bulk's 0.03 does at the same S; at the bulk's Mg every
    cell keeps the set's one kappa (the as-made alloy's, Li's x 0.34)."""
    settings = load_config("params/limg_li2s.toml", [*OLD_FACE, f"electrode.contact_sink_rate_m_s={KAPPA_m_s}"])
    model = SectionModel(cell_inputs_of(settings, width_um=20.0, cell_um=0.25))
    inp = model.inp
    rows = contact_vacancy.read_records(settings.contact_vacancy)
    kappa_li = KAPPA_m_s * 1e6
    st = model.initial_state()
    assert model.contact_sink_rate_um_s(st) == pytest.approx(np.full(inp.cells, inp.contact_sink_rate_um_s), rel=1e-12)
    assert inp.contact_sink_rate_um_s == pytest.approx(kappa_li * rows.sink_ratio(0.03), rel=1e-12)
    # enrich the left half's subsurface to x_s = 0.24 (x_s = x + M / delta)
    enriched = np.arange(inp.cells) < inp.cells // 2
    excess = np.where(enriched, (0.24 - 0.03) * st.solute.depth_um, 0.0)
    st = replace(st, solute=replace(st.solute, excess_um=excess))
    xs = model.solute.subsurface_fraction(st.solute)
    assert xs[enriched] == pytest.approx(0.24) and xs[~enriched] == pytest.approx(0.03)
    kappa = model.contact_sink_rate_um_s(st)
    assert kappa[enriched] == pytest.approx(kappa_li * 0.6096 / 3.002, rel=1e-9)
    assert kappa[~enriched] == pytest.approx(kappa_li * 1.033 / 3.002, rel=1e-9)
    now = model.rates(st)
    S = now["supersaturation"]
    expected = vacancy.contact_annihilation_velocity(kappa, inp.vacancy_equilibrium_fraction, S)
    assert now["annihilated_um_s"] == pytest.approx(expected, rel=1e-12)
    # per unit of supersaturation the enriched half takes 0.59 of what the bulk half takes
    per_S = now["annihilated_um_s"] / (S - 1)
    assert per_S[enriched].mean() / per_S[~enriched].mean() == pytest.approx(0.6096 / 1.033, rel=1e-9)
