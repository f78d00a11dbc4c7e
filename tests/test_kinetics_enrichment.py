"""The solute enrichment at physical kinetics that `kmc rates` prints (kmc.kinetics.report.enrichment_records):
delta = D_s / v from the model's own vacancy-mechanism solute diffusivity at S c_eq and the
recession at the current, and what a box at acceleration A makes of it."""
import math

import pytest

from kmc import units
from kmc.config import load_config, resolve_params
from kmc.kinetics import report, steady
from kmc.model import build_energy_model, build_lattice, solute_diffusivity_per_vacancy_A2_s


def test_enrichment_depth_is_solute_diffusivity_over_recession_and_shrinks_with_acceleration():
    s = load_config(resolve_params("limg_li2s"))
    S = steady.cell_supersaturation(s)
    lat = build_lattice(s)
    model = build_energy_model(s, lat)
    d_s_A2_s = solute_diffusivity_per_vacancy_A2_s(s, model, lat) * S * math.exp(
        -s.boundary.vacancy_formation_eV / model.kT_eV)
    # recession: one layer (a/2 on [001]) per L1 site stripped
    v_A_s = units.strip_rate_per_s(s.conditions.current_density_mA_cm2, lat.interface_area_A2) \
        / lat.sites_per_layer * lat.layer_spacing_A
    recs = {r["name"]: r for r in report.enrichment_records(s, S)}
    depth = recs["solute_enrichment_depth"]
    assert depth["value"] == pytest.approx(d_s_A2_s / v_A_s * 1e-4, rel=1e-6)
    assert depth["box_depth_at_run_acceleration_A"] == pytest.approx(depth["value"] * 1e4 / s.run.acceleration)
    x = s.composition.solute_fraction
    # x (1 + h / delta), h = 4 mAh/cm^2 of stripped metal
    h_um = v_A_s * 1e-4 * units.physical_time_s(4.0, s.conditions.current_density_mA_cm2)
    assert recs["interface_solute_fraction_4mAh_cm2"]["value"] == pytest.approx(x * (1 + h_um / depth["value"]),
                                                                              rel=1e-6)
    assert report.enrichment_records(load_config(resolve_params("li_li2s")), S) == []
