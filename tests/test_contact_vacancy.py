"""Where a stripped vacancy goes at the contact (docs/alloy.md section 6; kmc.interface_rates.contact,
kmc.physics.contact_vacancy, `kmc rates --write-contact`; docs/alloy.md section 6)."""
import math
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import PARAMS
from kmc.cli import main
from kmc.config import load_config
from kmc.interface_rates import contact
from kmc.interface_rates.interface import first_passage_time_s
from kmc.paramfile import write_contact_vacancy_row
from kmc.physics import contact_vacancy as cv

S_CELL = 9.519


def test_collection_length_is_the_mean_reach_and_its_error():
    rows = np.array([[1.0, 3.0, 2.0, 2.0], [4.0, 4.0, 4.0, 4.0], [0.0, 0.0, 1.0, 3.0]])
    lam, se = cv.collection_length(rows)
    per = rows.mean(axis=1)
    assert lam == pytest.approx(per.mean())
    assert se == pytest.approx(per.std(ddof=1) / math.sqrt(3))
    with pytest.raises(ValueError, match="at least 2"):
        cv.collection_length(rows[:1])


def test_line_sinks_take_what_lies_within_the_length_and_carry_its_ratio():
    # sparse lines: 2 lambda / d; dense lines (d << lambda): everything
    assert cv.line_sink_share(3.0, 3e4) == pytest.approx(2 * 3.0 / 3e4, rel=1e-9)
    assert cv.line_sink_share(3.0, 0.03) == pytest.approx(1.0, rel=1e-3)
    assert cv.sink_ratio(1.0, 3.0) == pytest.approx(1 / 3)
    assert cv.sink_ratio(1.0, 3.0, 1e5) == pytest.approx(1 / 3, rel=1e-6)
    assert cv.sink_ratio(1.0, 3.0, 0.01) == pytest.approx(1.0, rel=1e-3)
    assert 1 / 3 < cv.sink_ratio(1.0, 3.0, 5.0) < 1


def test_encounter_number_by_hand():
    # 0.5 mA/cm^2 is 3.12e18 vacancies per cm^2 per s = 3.12e4 per nm^2 per s... per um^2: 3.12e10
    flux_per_nm2_s = 0.5e-3 / 1.602176634e-19 / 1e14
    assert cv.encounter_number(0.5, 2e-10, 3.0) == pytest.approx(flux_per_nm2_s * math.pi * 9 * 2e-10)


def _rows(tmp_path, name="li_li2s.toml"):
    path = tmp_path / name
    shutil.copy(PARAMS / name, path)
    return path


def test_rows_round_trip_and_are_read_between_and_beyond(tmp_path):
    path = _rows(tmp_path, "limg_li2s.toml")
    text = path.read_text()
    path.write_text(text[:text.index("\n[contact_vacancy]")] + "\n")   # the shipped rows out: the table made anew
    S = S_CELL
    vals = {0.0: (3.0, 1.7e-10, 0.0), 0.03: (1.0, 9e-11, 0.59), 0.09: (0.8, 8e-11, 0.62)}
    for x, (lam, tau, th) in vals.items():
        write_contact_vacancy_row(path, x, {"collection_length_nm": lam, "escape_time_s": tau, "l1_solute_fraction": th},
                                  {"collection_length_nm": 0.1, "escape_time_s": 1e-11, "l1_solute_fraction": 0.01},
                                  S, 1.5e14, f"test x = {x}")
    rec = cv.read_records(load_config(path).contact_vacancy)
    assert rec.subsurface_fraction.tolist() == [0.0, 0.03, 0.09]
    assert rec.at("collection_length_nm", 0.06)[0] == pytest.approx(0.9)
    assert rec.at("collection_length_nm", 0.5)[0] == pytest.approx(0.8)          # the nearest row beyond
    assert rec.at("escape_time_s", 0.0, hop_prefactor_Hz=3e14)[0] == pytest.approx(0.85e-10)
    assert rec.sink_ratio(0.03) == pytest.approx(1 / 3)
    lam, _ = rec.at("collection_length_nm", np.array([0.0, 0.03]))
    assert lam.tolist() == pytest.approx([3.0, 1.0])
    # a row at another S is refused, the file unchanged
    before = path.read_text()
    with pytest.raises(Exception, match="supersaturation"):
        write_contact_vacancy_row(path, 0.2, {"collection_length_nm": 1, "escape_time_s": 1, "l1_solute_fraction": 1},
                                  {"collection_length_nm": 0, "escape_time_s": 0, "l1_solute_fraction": 0},
                                  2 * S, 1.5e14, "other S")
    assert path.read_text() == before


def test_unequal_rows_are_refused():
    table = {"subsurface_solute_fraction": [0.0, 0.03], "supersaturation": 9.5, "hop_prefactor_Hz": 1e14,
             **{k: [1.0, 1.0] for name in cv.RECORDS for k in (name, name + "_error")}}
    assert cv.read_records(table) is not None
    with pytest.raises(ValueError, match="one row per subsurface fraction"):
        cv.read_records(dict(table, escape_time_s=[1.0]))
    with pytest.raises(ValueError, match="rising fractions"):
        cv.read_records(dict(table, subsurface_solute_fraction=[0.03, 0.0]))


@pytest.mark.parametrize("args, message", [
    (["--no-nucleation", "--write-contact", "X.toml"], "--contact-trials 2 or more"),
    (["--no-nucleation", "--contact-trials", "3", "--contact-solute", "0,0.9"], "fractions in [0, 0.7]"),
    (["--no-nucleation", "--contact-trials", "3", "--contact-solute", "a,b"], "comma-separated"),
])
def test_cli_refuses_bad_contact_options(args, message):
    res = CliRunner().invoke(main, ["rates", str(PARAMS / "li_li2s.toml"), *args])
    assert res.exit_code != 0
    assert message in res.output


def test_a_stripped_li_vacancy_leaves_in_the_exact_first_passage_time():
    """Pure host: the walks' mean time to leave L1-L4 is the exact birth-death chain's first passage L1 -> L5
    (kmc.interface_rates.interface), within 4 standard errors of 24 walks; every walk decided; the Li-Mg set's
    x = 0 row is Li's walk for walk (the same host energies)."""
    st = load_config(PARAMS / "li_li2s.toml")
    w = contact.walks(st, S_CELL, trials=24)
    assert w.trials == 24 and w.undecided == 0 and w.l1_solute_fraction == 0.0
    tau, se = cv.mean_with_error(w.time_s)
    assert abs(tau - first_passage_time_s(st, 4)) < 4 * se
    lam, lam_se = cv.collection_length(w.excursion_A)
    assert 0 < lam_se < lam
    limg = contact.walks(load_config(PARAMS / "limg_li2s.toml"), S_CELL, trials=3, subsurface_fraction=0.0)
    assert np.array_equal(limg.excursion_A, w.excursion_A[:3]) and np.array_equal(limg.time_s, w.time_s[:3])


@pytest.mark.slow
def test_mg_at_the_contact_shortens_the_walk():
    """The alloy's contact as made (L1 at its segregation equilibrium, ~0.59 Mg per site) sends a stripped
    vacancy into the bulk over a shorter lateral reach than Li's: the difference exceeds 5 combined standard
    errors of 120 walks each, and its ratio agrees with the pore edge's capture lengths' (1.51 / 4.29) within
    their combined error."""
    li = contact.walks(load_config(PARAMS / "li_li2s.toml"), S_CELL, trials=120)
    limg = contact.walks(load_config(PARAMS / "limg_li2s.toml"), S_CELL, trials=120)
    (a, sa), (b, sb) = cv.collection_length(li.excursion_A), cv.collection_length(limg.excursion_A)
    assert a - b > 5 * math.hypot(sa, sb)
    ratio, ratio_se = b / a, b / a * math.hypot(sa / a, sb / b)
    edge, edge_se = 1.51 / 4.29, 1.51 / 4.29 * math.hypot(0.17 / 1.51, 0.55 / 4.29)
    assert abs(ratio - edge) < 2 * math.hypot(ratio_se, edge_se)
    assert limg.l1_solute_fraction > 0.5
