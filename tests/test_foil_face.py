"""The metal's side (docs/alloy.md §5): its face as made and how it meets the pellet's face (kmc.physics.foil_face,
docs/alloy.md section 5)."""
import math

import numpy as np
import pytest

from conftest import PARAMS
from kmc.config import load_config
from kmc.model import flow_law
from kmc.physics import foil_face as ff


def test_a_wetting_metal_is_drawn_into_a_pore_and_a_non_wetting_one_held_at_its_rim():
    li = ff.pore_entry_pressure_MPa(0.38, 0.416, 93.6)
    limg = ff.pore_entry_pressure_MPa(0.38, 0.458, 58.4)
    assert li == pytest.approx(2 * 0.416 * math.cos(math.radians(93.6)) / 0.38) and li < 0
    assert limg == pytest.approx(1.26, abs=0.01)                      # six times the operando cell's 0.2 MPa
    assert ff.pore_entry_pressure_MPa(0.38, 0.458, 58.4, "cylinder") == pytest.approx(2 * limg)
    assert ff.pore_entry_pressure_MPa(1.0, 0.4, 90.0) == pytest.approx(0.0, abs=1e-15)
    assert np.allclose(ff.pore_entry_pressure_MPa(np.array([0.5, 1.0]), 0.4, 60.0), [0.8, 0.4])
    # Gibbs at a square rim: held where theta + 90 >= 180
    assert ff.held_at_rim(93.6) and not ff.held_at_rim(58.4) and not ff.held_at_rim(87.1)
    with pytest.raises(ValueError, match="slot, cylinder"):
        ff.pore_entry_pressure_MPa(1.0, 0.4, 60.0, "sphere")


def test_the_press_flattens_every_feature_above_the_width_where_three_times_the_flow_stress_is_the_pressure():
    # a strain-gradient law sigma0 sqrt(1 + l / w): 3 sigma0 sqrt(1 + l / w) = P at w = l / ((P / 3 sigma0)^2 - 1)
    sigma0, ell, P = 1.2, 1.0, 50.0
    w = ff.smallest_flattened_width_um(P, lambda w: sigma0 * math.sqrt(1 + ell / w))
    assert w == pytest.approx(ell / ((P / (3 * sigma0)) ** 2 - 1), rel=1e-5)
    assert ff.smallest_flattened_width_um(P, lambda w: 100.0) == math.inf         # stronger than the press everywhere
    assert ff.smallest_flattened_width_um(P, lambda w: 1.0) == 1e-3                # softer everywhere


def test_what_a_press_leaves_of_a_self_affine_profile():
    # H = 1/2: the variance between wavelengths s and w is linear in the wavelength
    assert ff.residual_rms_um(2.0, 0.5, 100.0, 0.0, 25.0) == pytest.approx(2.0 * math.sqrt(0.25))
    assert ff.residual_rms_um(2.0, 0.85, 100.0, 0.01, 100.0) == pytest.approx(2.0)
    assert ff.residual_rms_um(2.0, 0.85, 100.0, 0.01, 0.001) == 0.0
    # the seed's 100 +- 10 um disc inside a 160 um section: (160 / 12700)^0.85 of 10 / sqrt(3) um
    assert ff.residual_rms_um(10 / math.sqrt(3), 0.85, 12700.0, 0.0, 160.0) == pytest.approx(0.140, abs=0.002)


def test_grain_boundaries_and_inclusions_a_section_meets():
    assert ff.grain_boundary_traces_per_100um(100.0) == 1.0
    assert ff.inclusion_traces_per_100um(1350.0, 10.0) == pytest.approx(100 * 1350e-9 * math.pi / 4 * 100)


def test_the_shipped_foils_offer_no_start_of_their_own():
    """On either shipped foil, with the set's flow law for an embedded feature at the press's rate (a strain
    of order 1 in its 30 s), the 50 MPa press flattens every feature of the face wider than ~0.3 um (below it the
    onset of dislocation flow in a source-free volume holds), leaving < 0.01 um of its RMS; inclusions and grain
    boundaries give at most ~1 per 100 um, and the film is a tenth of a cell; what differs is how each metal meets
    the pores."""
    rows = {}
    for name, theta, gamma in (("li_li2s", 93.6, 0.416), ("limg_li2s", 58.4, 0.458)):
        st = load_config(PARAMS / f"{name}.toml")
        face = ff.FoilFace.of(st.foil)
        law = flow_law(st)
        rate = 1.0 / st.meso.assembly_time_s
        w_min = ff.smallest_flattened_width_um(st.meso.assembly_pressure_MPa, lambda w: law.flow_stress_MPa(rate, w))
        assert w_min < 0.5 and ff.FoilFace.of(st.foil).rms_within_um(160.0, w_min) < 0.01
        rows[name] = {r["start"]: r for r in ff.starts_per_100um(
            face, st.meso.assembly_pressure_MPa, lambda w: law.flow_stress_MPa(rate, w), 0.25, gamma, theta, 0.38, 0.2)}
        assert not rows[name]["foil roughness"]["survives"] and not rows[name]["native film"]["survives"]
        assert rows[name]["grain boundaries"]["per_100um"] == 1.0
        assert rows[name]["inclusions"]["per_100um"] < 0.02
    assert "held at the rim" in rows["li_li2s"]["the pellet's pores"]["note"]
    assert "drawn down the pore's wall" in rows["limg_li2s"]["the pellet's pores"]["note"]


def test_the_alloys_creep_rows_are_the_models_climb_through_its_own_diffusivities():
    """params/limg_li2s.toml's [flow] solute rate rows are kmc.physics.alloy.climb_rate_factor with the
    model's own D*_Li and D_Mg at c_eq (kmc.model.cell_transport) to the three digits written: a change of
    the hops or the formation entropy that moves them fails here."""
    from kmc.model import cell_transport
    from kmc.physics import alloy, vacancy
    st = load_config(PARAMS / "limg_li2s.toml")
    cell = cell_transport(st)
    d_host = vacancy.tracer_diffusivity(cell.vacancy_diffusivity_um2_s, cell.vacancy_equilibrium_fraction)
    expect = alloy.climb_rate_factor(np.array(st.flow.solute_rate_fractions), d_host, cell.solute_diffusivity_um2_s(1.0))
    assert np.allclose(st.flow.solute_rate_factors, expect, atol=6e-4)
    assert st.flow.solute_rate_factors[0] == 1.0
    # the alloy creeps slower than Li at the same stress, and the flow law takes it
    law = flow_law(st)
    assert law.flow_stress_MPa(1e-3, 1.0) > law.flow_stress_MPa(1e-3, 1.0, solute_fraction=0.0)


def test_a_wetting_metal_is_drawn_into_the_holes_it_spans_and_a_non_wetting_one_is_not():
    """kmc.resolved.walls.entry_traction_MPa: the holes of the face a metal spans get the capillary entry pressure
    of their width for the alloy's 58.4 deg (closing, > 0), and keep their walls' traction for Li's 93.6 deg (the
    array itself: Li's runs are unchanged bit for bit); the section's walls take it on the shipped Li-Mg press."""
    from kmc.resolved.walls import entry_traction_MPa
    traction = np.array([0.0, -0.3, -0.3, 0.0, 0.2])
    held = np.array([False, True, True, False, False])
    width = np.array([0.0, 0.5, 0.5, 0.0, 1.0])
    assert entry_traction_MPa(traction, held, width, 0.416, 93.6) is traction
    out = entry_traction_MPa(traction, held, width, 0.458, 58.4)
    assert out[1] == out[2] == pytest.approx(2 * 0.458 * math.cos(math.radians(58.4)) / 0.5)
    assert out[4] == 0.2 and out[0] == 0.0
    assert entry_traction_MPa(traction, held, width, 0.458, 58.4, "cylinder")[1] == pytest.approx(2 * out[1])
