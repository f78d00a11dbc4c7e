"""benchmarks/meso_mechanics.py's scans: the bisection in current finds a known
threshold, and every variation of the bands changes the input it names, by the error it states,
and nothing else (docs/mechanics.md section 9)."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from kmc.config import load_config
from kmc.model import creep_strain_rate_per_s, vacancy_equilibrium_fraction
from kmc.units import K_B_eV_per_K

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("meso_mechanics", ROOT / "benchmarks" / "meso_mechanics.py")
mm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mm)


@pytest.mark.parametrize("threshold", [0.1 * 1.0001, 0.37, 3.7, 19.9])
def test_log_bisection_brackets_a_known_threshold(threshold):
    asked = []

    def fails(x):
        asked.append(x)
        return x >= threshold, None

    found = mm.log_bisect(fails, 0.1, 20.0, 1.25)
    assert found["status"] == "bracketed"
    assert found["below"] < threshold <= found["at_or_above"]
    assert found["at_or_above"] / found["below"] <= 1.25
    # the two ends, then halving ln(200) until it is below ln(1.25): 5 halvings
    assert len(asked) == 2 + math.ceil(math.log2(math.log(200.0) / math.log(1.25))) == 7
    assert [x for x, _, _ in found["evaluations"]] == asked


def test_log_bisection_outside_the_bracket():
    assert mm.log_bisect(lambda x: (False, None), 0.1, 20.0, 1.25)["status"] == "holds at high"
    low = mm.log_bisect(lambda x: (True, None), 0.1, 20.0, 1.25)
    assert low["status"] == "fails at low" and low["at_or_above"] == 0.1 and len(low["evaluations"]) == 2
    with pytest.raises(ValueError, match="0 < low < high"):
        mm.log_bisect(lambda x: (True, None), 20.0, 0.1, 1.25)


def _changed(base, varied) -> set:
    a, b = base.flat(), varied.flat()
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


@pytest.mark.parametrize("formation_entropy_kB", [None, 0.0])
def test_band_variations_change_what_they_name(formation_entropy_kB):
    chem = mm.CHEMISTRIES["Li"]
    base_sets = mm.entropy_sets(formation_entropy_kB)
    base = load_config(ROOT / "params" / f"{chem}.toml", base_sets)
    kT = K_B_eV_per_K * base.conditions.temperature_K
    variations = mm.band_variations(chem, formation_entropy_kB)
    names = [v[0] for v in variations]
    # every input of the brief, low and high; S_f only where it is not set to 0
    kinds = ("E_f", "S_f", "creep rate", "creep n", "I(S)") if formation_entropy_kB is None else \
        ("E_f", "creep rate", "creep n", "I(S)")
    pellet = [v[0] for v in mm.PELLET_VARIATIONS]          # the pellet's face's inputs, at the ends their sources give
    named = pellet + [v[0] for v in mm.FLOW_VARIATIONS] + [v[0] for v in mm.kappa_variations(base)]  # the flow law's
    assert sorted(next(k for k in kinds if n.startswith(k + " ")) for n in names if n not in named) == sorted(2 * kinds)
    assert [n for n in names if n in named] == named
    n_fit, n_se, pivot = mm.creep_exponent_fit()
    for name, sets, source in variations:
        assert source
        varied = load_config(ROOT / "params" / f"{chem}.toml", base_sets + sets)
        changed = _changed(base, varied)
        if name.startswith("E_f"):
            e = float(name.split()[1])
            assert changed == {"boundary.vacancy_formation_eV"} and e in mm.FORMATION_ENERGY_RANGE_eV
            assert vacancy_equilibrium_fraction(varied, kT) / vacancy_equilibrium_fraction(base, kT) == \
                pytest.approx(math.exp(-(e - base.boundary.vacancy_formation_eV) / kT), rel=1e-12)
        elif name.startswith("S_f"):
            assert changed == {"boundary.vacancy_formation_entropy_kB"}
            # the measured D*(298 K) of the data sets lie 0.8-1.0 of the model's: S_f within 0.3 of the shipped
            assert abs(varied.boundary.vacancy_formation_entropy_kB - 2.75) < 0.3
        elif name.startswith("creep rate"):
            assert changed == {"creep.reference_strain_rate_per_s"}
            ratio = creep_strain_rate_per_s(varied, 0.4) / creep_strain_rate_per_s(base, 0.4)
            lo, hi = mm.creep_point_scatter(creep_strain_rate_per_s(base, 1.0), base.creep.stress_exponent)
            assert ratio == pytest.approx(lo if ratio < 1 else hi, rel=1e-12)
            # the measured points lie within the band of the law, on its edges
            assert all(lo * 0.999 <= e / creep_strain_rate_per_s(base, s) <= hi * 1.001 for s, e in mm.CREEP_POINTS)
        elif name.startswith("creep n"):
            assert changed <= {"creep.stress_exponent", "creep.reference_stress_MPa", "creep.reference_strain_rate_per_s"}
            assert abs(varied.creep.stress_exponent - base.creep.stress_exponent) == pytest.approx(n_se, rel=1e-12)
            # the law pivots about the points' stress: the same rate there, another slope
            assert creep_strain_rate_per_s(varied, pivot) == pytest.approx(creep_strain_rate_per_s(base, pivot), rel=1e-9)
            slope = math.log(creep_strain_rate_per_s(varied, 2 * pivot) / creep_strain_rate_per_s(varied, pivot), 2)
            assert slope == pytest.approx(varied.creep.stress_exponent, rel=1e-9)
        elif name in named:
            sets_of = dict((v[0], v[1]) for v in (*mm.PELLET_VARIATIONS, *mm.FLOW_VARIATIONS, *mm.kappa_variations(base)))
            expected = {entry.split("=")[0] for entry in sets_of[name]}
            assert changed == expected or (name == "bulk law, no sink" and base.electrode.contact_sink_rate_m_s == 0
                                           and changed == expected - {"electrode.contact_sink_rate_m_s"})
        else:
            assert changed == {"meso.nucleation_rate_per_um2_s"}
            for s, i0, i1 in zip(base.meso.nucleation_rate_S, base.meso.nucleation_rate_per_um2_s,
                                 varied.meso.nucleation_rate_per_um2_s):
                se = mm.LI_NUCLEATION_SE[int(s)]
                factor = 1 + (se if se < 1 else se / i0)
                assert i1 / i0 == pytest.approx(factor if name.endswith("high") else 1 / factor, rel=1e-5)
    assert n_se > 0 and 0.2 < pivot < 0.6 and abs(n_fit - base.creep.stress_exponent) < 2 * n_se


def test_nucleation_errors_must_belong_to_the_rows():
    settings = load_config(ROOT / "params" / "li_li2s.toml")
    with pytest.raises(ValueError, match="standard errors given at"):
        mm.nucleation_rows_at_one_error(settings, {100: 1.0}, 1)
