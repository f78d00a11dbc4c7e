"""Li's flow law (kmc.physics.flow, docs/mechanics.md §10) held against the measurements it rests on, the contact's
vacancy sink (kmc.physics.vacancy), and the deformation-mechanism map (`kmc params mechanisms`)."""
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from kmc.cli import main
from kmc.config import load_config
from kmc.model import cell_transport, flow_law
from kmc.physics import flow, vacancy
from kmc.physics.flow import EMBEDDED, FREE_STANDING, MECHANISMS

BULK_um = 1e4                     # a feature this large has no size effect left (l*/d = 1e-4)
MASIAS_POINTS = ((0.2, 2.0e-7, 2.0e-7), (0.4, 1.3e-5, 1.7e-5), (0.6, 3.9e-4, 3.9e-4))   # MPa, 1/s range (26 C)
MASIAS_BAND = 1.5                 # the law (n = 6.6 through them) within this factor of each measured rate
HERBERT_T_K = 304.0               # 31 C
HERBERT_DEPTH_um = 0.040
HERBERT_POINTS = ((0.195, 23.0), (1.364, 175.0))   # (indentation strain rate 1/s, mean pressure MPa)
BERKOVICH_DIAMETER_OVER_DEPTH = 2.0 * math.sqrt(24.5 / math.pi)   # the indent's contact diameter, 5.58 h
DARNBROUGH_NO_HARDENING_per_s = 6.4e-5


@pytest.fixture(scope="module")
def li():
    return load_config("params/li_li2s.toml")


@pytest.fixture(scope="module")
def law(li):
    return flow_law(li)


def test_bulk_li_flows_at_masias_rates(law):
    """A large feature with no sink is the bulk power law: Masias et al.'s creep rates at 0.2, 0.4 and
    0.6 MPa within 1.5x, and no diffusional flow without a sink."""
    for stress, low, high in MASIAS_POINTS:
        rate = float(law.strain_rate_per_s(stress, BULK_um, 0.0, EMBEDDED))
        assert low / MASIAS_BAND <= rate <= high * MASIAS_BAND, (stress, rate)
    assert float(law.diffusional_rate_per_s(1.0, 1.0, 0.0)) == 0.0


def test_no_plastic_branch_below_darnbrough_rate(law):
    """Darnbrough & Armstrong 2024: bulk Li does not harden in compression below 6.4e-5 /s: there the law's
    flow stress is below yield and the mechanism is creep; the plastic branch (above Masias's yield)
    begins at a faster rate, and the bulk law has no size effect left."""
    rates = np.array([1e-7, 1e-6, 1e-5, DARNBROUGH_NO_HARDENING_per_s])
    stress = law.flow_stress_MPa(rates, BULK_um)
    assert (stress < law.yield_stress_MPa).all()
    assert (law.dominant(stress, BULK_um) == MECHANISMS.index("dislocation creep")).all()
    fast = law.flow_stress_MPa(1e-2, BULK_um)
    assert fast > law.yield_stress_MPa and law.dominant(fast, BULK_um) == MECHANISMS.index("plasticity above yield")
    assert np.allclose(stress, [law.creep.effective_stress_MPa(r) for r in rates], rtol=1e-3)


def test_herbert_rate_series_at_40_nm(li):
    """Herbert et al. 2018 (Li films at 31 C, 40 nm): 23 MPa at 0.195 /s and 175 MPa at 1.364 /s, rate
    sensitivity ~1.  At 40 nm the law's dislocation branch is the onset (Herbert's own, H h^1.17: the film
    holds no dislocation there) and holds more than either pressure, so diffusion to the free surface
    around the indent is what flows.  Each measurement lies inside the band of the diffusional branch's mean pressure 3 sigma over
    the indent's size (its depth to its contact diameter) and Nabarro-Herring's factor (Herring 13.3 to
    Frost & Ashby 42), and the whole law's rate sensitivity at 40 nm is diffusional flow's."""
    hot = flow_law(load_config("params/li_li2s.toml", [f"conditions.temperature_K={HERBERT_T_K}"]))
    for rate, measured in HERBERT_POINTS:
        band = [flow.CONSTRAINT_FACTOR * rate / hot.with_(geometry_factor=a).diffusional_rate_per_s(
                    1.0, HERBERT_DEPTH_um * s, math.inf)
                for a in (flow.HERRING_GEOMETRY_FACTOR, flow.FROST_ASHBY_GEOMETRY_FACTOR)
                for s in (1.0, BERKOVICH_DIAMETER_OVER_DEPTH)]
        assert min(band) <= measured <= max(band), (rate, measured, band)
        dislocations = flow.CONSTRAINT_FACTOR * hot.flow_stress_MPa(rate, HERBERT_DEPTH_um, 0.0, EMBEDDED)
        assert dislocations > measured
        stress = hot.flow_stress_MPa(rate, HERBERT_DEPTH_um, math.inf, EMBEDDED)
        assert hot.dominant(stress, HERBERT_DEPTH_um, math.inf, EMBEDDED) >= MECHANISMS.index(
            "diffusional (lattice diffusion)")
    (r1, _), (r2, _) = HERBERT_POINTS
    s1, s2 = (hot.flow_stress_MPa(r, HERBERT_DEPTH_um, math.inf, EMBEDDED) for r in (r1, r2))
    sensitivity = math.log(s2 / s1) / math.log(r2 / r1)
    assert 0.9 <= sensitivity <= 1.05          # measured 1.04; the bulk law's 1/n = 0.15


def test_pillars_are_the_free_standing_limit(law):
    """Xu et al. 2017: a free-standing pillar of 1.4 um holds 105 MPa at its test rate, ~d^-0.68; an
    embedded feature of the same size holds the larger of its strain gradient and the onset, 50x less."""
    rate = law.pillar_strain_rate_per_s
    assert law.flow_stress_MPa(rate, 1.4, 0.0, FREE_STANDING) == pytest.approx(105.0, rel=1e-6)
    slope = math.log(law.flow_stress_MPa(rate, 5.6, 0.0, FREE_STANDING) / law.flow_stress_MPa(rate, 1.4, 0.0, FREE_STANDING)) \
        / math.log(4.0)
    assert slope == pytest.approx(-0.68, abs=1e-6)
    embedded = law.flow_stress_MPa(rate, 1.4, 0.0, EMBEDDED)
    assert embedded == pytest.approx(law.creep.effective_stress_MPa(rate) * law.size_factor(1.4), rel=1e-6)
    assert law.flow_stress_MPa(rate, 1.4, 0.0, FREE_STANDING) / embedded > 50
    assert law.dominant(105.0, 1.4, 0.0, FREE_STANDING) == MECHANISMS.index("source-limited dislocation flow")


def test_an_embedded_feature_takes_the_larger_size_effect(law):
    """g = max(sqrt(1 + l*/d), H_on(d) / 3 sigma_bulk): the onset below ~2 um (where Herbert's films hold no
    dislocation), the strain gradient above; without the onset the strain gradient at every size."""
    onset = law.onset.hardness([0.1, 1.0, 10.0]) / (3 * law.creep.effective_stress_MPa(law.onset.strain_rate_per_s))
    gradient = np.sqrt(1 + law.strain_gradient_length_um / np.array([0.1, 1.0, 10.0]))
    assert np.allclose(law.size_factor([0.1, 1.0, 10.0]), np.maximum(onset, gradient))
    assert onset[0] > gradient[0] and onset[1] > gradient[1] and onset[2] < gradient[2]
    everywhere = law.with_(onset=None)
    assert np.allclose(everywhere.size_factor([0.1, 1.0, 10.0]), gradient)
    assert law.dominant(10.0, 0.1) == MECHANISMS.index("source-limited dislocation flow")


def test_strain_gradient_and_solute_raise_the_dislocation_branch(law):
    """g = sqrt(1 + l*/d) and the solid solution's 1 + k x^(2/3) scale the bulk law's stress (no sink)."""
    law = law.with_(onset=None)
    for d in (0.25, 1.0, 4.0):
        ratio = law.flow_stress_MPa(1e-3, d) / law.flow_stress_MPa(1e-3, BULK_um)
        assert ratio == pytest.approx(math.sqrt(1 + law.strain_gradient_length_um / d) / math.sqrt(1 + 1e-4), rel=1e-6)
    alloy = law.with_(solute_coefficient=2.0, solute_fraction=0.03)
    assert alloy.flow_stress_MPa(1e-3, BULK_um) / law.flow_stress_MPa(1e-3, BULK_um) == pytest.approx(
        1 + 2.0 * 0.03 ** (2 / 3), rel=1e-6)
    slower = law.with_(solute_rate_rows=((0.0, 1.0), (0.04, 0.1)), solute_fraction=0.02)
    assert slower.strain_rate_per_s(0.5, BULK_um) / law.strain_rate_per_s(0.5, BULK_um) == pytest.approx(
        math.sqrt(0.1), rel=1e-9)
    assert slower.strain_rate_per_s(slower.flow_stress_MPa(1e-4, BULK_um), BULK_um) == pytest.approx(1e-4, rel=1e-7)


def test_the_solute_slots_are_read_and_checked(tmp_path):
    law = flow_law(load_config("params/limg_li2s.toml", ["flow.solute_rate_fractions=[0.0, 0.05]",
                                                         "flow.solute_rate_factors=[1.0, 0.5]",
                                                         "flow.solute_flow_stress_coefficient=1.5"]))
    assert law.solute_fraction == 0.03 and law.solute_rate_rows == ((0.0, 1.0), (0.05, 0.5))
    assert law.stress_factor(BULK_um) == pytest.approx(math.sqrt(1 + 1e-4) * (1 + 1.5 * 0.03 ** (2 / 3)))
    r = CliRunner().invoke(main, ["params", "mechanisms", "limg_li2s", "--set", "flow.solute_rate_fractions=[0.0]"])
    assert r.exit_code == 2 and "one factor per fraction" in r.output


def test_diffusional_flow_is_bounded_by_its_sinks(law):
    """Without a sink no diffusional flow; with a perfect one Nabarro-Herring; with the contact's kappa the
    interface reaction controls below A D_v / kappa, where eps -> kappa c_eq (Omega sigma / kT) / d."""
    nh = law.diffusional_rate_per_s(1.0, 0.5, math.inf)
    assert nh == pytest.approx(law.geometry_factor * law.vacancy_diffusivity_um2_s * law.equilibrium_fraction
                               * law.omega_per_MPa / 0.25, rel=1e-12)
    kappa = 1e5                       # 0.1 m/s in um/s
    d = 0.01 * law.geometry_factor * law.vacancy_diffusivity_um2_s / kappa
    reaction = kappa * law.equilibrium_fraction * law.omega_per_MPa / d
    assert law.diffusional_rate_per_s(1.0, d, kappa) == pytest.approx(reaction, rel=0.02)
    assert law.diffusional_rate_per_s(1.0, d, kappa) < law.diffusional_rate_per_s(1.0, d, math.inf)
    assert flow.interface_reaction_controls(d, law.vacancy_diffusivity_um2_s, law.geometry_factor, kappa)


def test_the_law_and_its_inverse_agree(law):
    rates = np.logspace(-8, 2, 11)
    sizes = np.logspace(-2, 3, 11)
    for each, kind in ((law, EMBEDDED), (law, FREE_STANDING), (law.with_(onset=None), EMBEDDED)):
        for kappa in (0.0, 1e5, math.inf):
            stress = each.flow_stress_MPa(rates, sizes, kappa, kind)
            assert np.allclose(each.strain_rate_per_s(stress, sizes, kappa, kind), rates, rtol=1e-7)


def test_the_contact_sink_carries_the_stripped_flux():
    """kappa c_eq (S - 1) + D_v c_eq (S - 1) / L = J Omega at the S of supersaturation_with_contact_sink;
    kappa = 0 is the sinks-only balance; climb of lines l apart gives kappa below the perfect D_v / a."""
    v, L, D, c = 6.75e-4, 100.0, 1.447e5, 5.474e-8          # um/s, um, um^2/s
    assert vacancy.supersaturation_with_contact_sink(v, L, D, c, 0.0) == pytest.approx(
        vacancy.supersaturation(v, L, D, c), rel=1e-12)
    kappa = 1e5
    S = vacancy.supersaturation_with_contact_sink(v, L, D, c, kappa)
    assert vacancy.contact_annihilation_velocity(kappa, c, S) + D * c * (S - 1) / L == pytest.approx(v, rel=1e-12)
    assert 1 < S < vacancy.supersaturation(v, L, D, c)
    a = 3.51e-4
    rates = [vacancy.climb_sink_rate(D, spacing, 3.04e-4) for spacing in (2.5e-3, 0.1, 1.0)]
    assert rates[0] > rates[1] > rates[2] and rates[0] < vacancy.perfect_sink_rate(D, a)
    assert vacancy.sink_efficiency(vacancy.perfect_sink_rate(D, a), D, a) == pytest.approx(1.0)
    assert vacancy.contact_capture_length(D, kappa) == pytest.approx(D / kappa) and \
        vacancy.contact_capture_length(D, 0.0) == math.inf


def test_flow_law_takes_the_model_transport(li):
    law = flow_law(li)
    cell = cell_transport(li)
    assert law.vacancy_diffusivity_um2_s == cell.vacancy_diffusivity_um2_s
    assert law.equilibrium_fraction == cell.vacancy_equilibrium_fraction
    warm = flow_law(load_config("params/li_li2s.toml", ["conditions.temperature_K=333"]))
    assert warm.flow_stress_MPa(1e-4, BULK_um) < law.flow_stress_MPa(1e-4, BULK_um)
    assert warm.diffusional_rate_per_s(1.0, 1.0, math.inf) > 5 * law.diffusional_rate_per_s(1.0, 1.0, math.inf)


def test_mechanisms_command_prints_the_map_and_draws_it(tmp_path):
    out = tmp_path / "map.png"
    r = CliRunner().invoke(main, ["params", "mechanisms", "li_li2s", "--set", "electrode.contact_sink_rate_m_s=0.1",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 10_000 and out.read_bytes()[:4] == b"\x89PNG"
    assert "keeps pace" in r.output and "diffusional (interface reaction)" not in r.output.splitlines()[2]
    j = CliRunner().invoke(main, ["params", "mechanisms", "li_li2s", "--json"])
    data = json.loads(j.output)
    assert data["law"]["contact_sink_rate_m_s"] >= 0 and len(data["rows"]) == 10
    rows = {row["size_um"]: row for row in data["rows"]}
    assert rows[1.0]["free_standing_pillar_MPa"] > 30 * rows[1.0]["flow_stress_MPa"] > 30 * rows[1.0]["bulk_law_MPa"]
    bad = CliRunner().invoke(main, ["params", "mechanisms", "li_li2s", "-o", str(tmp_path / "map.xyz")])
    assert bad.exit_code == 2 and "allowed" in bad.output and not (tmp_path / "map.xyz").exists()
    nope = CliRunner().invoke(main, ["params", "mechanisms", "li_li2s_bond"])
    assert nope.exit_code == 2 and "[flow]" in nope.output
