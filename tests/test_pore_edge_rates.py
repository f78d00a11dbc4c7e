"""The pore edge's records (kmc.interface_rates.edge, kmc.physics.pore_edge; docs/pore_edge.md): the
fates measured at the shipped sets' own supersaturation, the capture profile and its fit, and the
[pore_edge] rows written and read back."""
import math

import numpy as np
import pytest

from kmc.config import ConfigError, load_config
from kmc.interface_rates import edge
from kmc.model import cell_supersaturation
from kmc.paramfile import write_pore_edge_row
from kmc.physics.pore_edge import RECORDS, capture_profile, fit_capture_length, read_records

from conftest import PARAMS


def test_the_pores_wall_and_rim_are_perfect_sinks_at_the_cells_S():
    """At the shipped set's S (9.5, the cell's), a vacancy one layer below the pore's receded surface goes
    into the pore more often than it would reach a perfectly absorbing plane there on an unbiased walk
    (gambler's ruin between the floor one layer up and the escape layer two down: 2/3): the hop into the
    surface is downhill.  One at the rim's contact site goes into the pore's metal.  Tolerances from the
    statistics, 20 trials each (fixed seeds): the wall's fraction exceeds 2/3 by 2 binomial se; the rim's
    is at least 18 of 20 (were P <= 0.75, 18 of 20 has probability < 0.1).  Fails without the pore (no
    void to join) or with the electrolyte's terms kept at the mouth (its vacancy would cost 0.28 eV, not
    -0.07)."""
    s = load_config(PARAMS / "li_li2s.toml")
    S = cell_supersaturation(s)
    assert S == pytest.approx(9.52, abs=0.01)
    wall = edge.fates(s, S, "wall", 1, trials=20)
    assert wall.undecided == 0 and wall.probability - 2 / 3 > 2 * wall.standard_error, wall
    rim = edge.fates(s, S, "contact", 1, trials=20)
    assert rim.undecided == 0 and rim.captured >= 18, rim


@pytest.mark.slow
def test_mg_shortens_the_contacts_capture_towards_the_rim():
    """Seed 004's 'Mg repels vacancies', measured at the edge at each set's own S (slow, ~1 min): a vacancy
    four sites from the rim reaches the pore through the contact layers less often in Li-Mg (its L1 in
    segregation equilibrium, 0.59 Mg per site) than in Li.  40 trials each; the difference exceeds 3
    combined binomial standard errors."""
    out = {}
    for name in ("li_li2s", "limg_li2s"):
        s = load_config(PARAMS / f"{name}.toml")
        out[name] = edge.fates(s, cell_supersaturation(s), "contact", 4, trials=40)
    li, limg = out["li_li2s"], out["limg_li2s"]
    se = math.hypot(li.standard_error, limg.standard_error)
    assert li.probability - limg.probability > 3 * se, (li, limg)


def test_the_capture_profile_is_one_at_both_rims_and_falls_between():
    d = np.arange(0, 22)
    p = capture_profile(d, 3.0, 20)
    assert p[0] == pytest.approx(1) and p[-1] == pytest.approx(1)
    assert p[:11].tolist() == sorted(p[:11].tolist(), reverse=True) and p[10] < 0.1
    assert capture_profile([5], 1e6, 20)[0] == pytest.approx(1, abs=1e-6)   # no loss: every vacancy arrives


def test_the_capture_length_fit_recovers_the_length_it_was_drawn_with():
    """Binomial draws from the profile with ell = 4 sites (2000 trials per distance) give back 4 within
    3 of the fit's standard errors; all captured is no loss seen (an infinite length)."""
    gen = np.random.default_rng(7)
    d = np.array([1, 4, 10])
    n = np.full(3, 2000)
    k = gen.binomial(n, capture_profile(d, 4.0, 20))
    ell, se = fit_capture_length(d, k, n, 20)
    assert abs(ell - 4.0) < 3 * se and se < 0.5
    assert fit_capture_length(d, n, n, 20) == (math.inf, math.inf)


def test_edge_rows_are_written_and_read_back(tmp_path):
    path = tmp_path / "li.toml"
    text = (PARAMS / "li_li2s.toml").read_text()
    path.write_text(text[:text.index("[pore_edge]")] if "[pore_edge]" in text else text)   # the table is made
    values = {name: 0.5 + i for i, name in enumerate(RECORDS)}
    errors = {name: 0.1 for name in RECORDS}
    assert write_pore_edge_row(path, 9.5, values, errors, 1.56e14, "a test") == [9.5]
    write_pore_edge_row(path, 100.0, {**values, "capture_length_nm": 2.5}, errors, 1.56e14, "a second S")
    table = load_config(path).pore_edge
    records = read_records(table)
    assert records.supersaturation.tolist() == [9.5, 100.0]
    assert records.at("capture_length_nm", 9.5) == (pytest.approx(values["capture_length_nm"]), pytest.approx(0.1))
    mid = records.at("capture_length_nm", math.sqrt(9.5 * 100.0))[0]
    assert mid == pytest.approx((values["capture_length_nm"] + 2.5) / 2)
    t, _ = records.at("rim_refill_time_s", 9.5, hop_prefactor_Hz=1.56e13)    # a box hopping 10x slower
    assert t == pytest.approx(10 * values["rim_refill_time_s"])
    with pytest.raises(ConfigError, match="one clock"):
        write_pore_edge_row(path, 20.0, values, errors, 1e13, "another clock")
    with pytest.raises(ValueError, match="one row per supersaturation"):
        read_records({"supersaturation": [9.5, 10.0], "hop_prefactor_Hz": 1.0,
                      **{k: [1.0] for name in RECORDS for k in (name, name + "_error")}})
