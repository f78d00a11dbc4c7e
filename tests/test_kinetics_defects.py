"""Pre-existing interface defects (kmc.interface_rates.defects): their placement in the initial state,
and the probability that they grow into a committed nucleus rather than dissolve.

Statistical tests use fixed seeds (growth_probability's root_seed) and binomial tolerances: trials
are independent, so a count of k successes in M trials has the standard error sqrt(P(1 - P)/M),
floored at 1/M where P is 0 or 1 (the rule that growth_probability reports)."""
import math

import numpy as np
import pytest

from kmc.config import load_config, resolve_params
from kmc.interface_rates import defects, steady
from kmc.interface_rates.clusters import ClusterFinder
from kmc.model import build_lattice
from kmc.simulation import Simulation
from kmc.species import HOST, VACANCY
from regimes import NO_FORMATION_ENTROPY


def box(cells=(8, 8, 4), name="li_li2s"):
    return load_config(resolve_params(name), [f"lattice.cells={list(cells)}", NO_FORMATION_ENTROPY])


def test_a_pit_is_a_square_of_l1_and_the_l2_sites_beneath_it():
    """Width w: w^2 L1 sites and (w - 1)^2 L2 sites, each of those under four of the square's L1
    sites; one interface cluster of that size."""
    st = steady.steady_settings(box(), 10.0)
    lat = build_lattice(st)
    spl = lat.sites_per_layer
    for w in (1, 2, 3, 4):
        sites = defects.pit_sites(lat, w)
        l1, l2 = sites[sites < spl], sites[sites >= spl]
        assert l1.size == w * w and l2.size == (w - 1) ** 2
        assert np.all(l2 < 2 * spl)
        for s in l2:
            up = lat.neighbors[s][(lat.neighbors[s] >= 0) & (lat.neighbors[s] < spl)]
            assert np.isin(up, l1).all() and up.size == 4
        occ = np.full(lat.n_sites, HOST, np.int8)
        occ[sites] = VACANCY
        assert ClusterFinder(st).measure(Simulation(st, occ)) == (w * w + (w - 1) ** 2, w * w, w * w)


def test_defect_occupancy_places_the_defect_into_the_steady_start():
    s = box()
    occ = defects.defect_occupancy(s, 134.0, "cap", 10, seed=3)
    st = steady.steady_settings(s, 134.0)
    lat = build_lattice(st)
    assert np.all(occ[defects.defect_sites(lat, "cap", 10)] == VACANCY)
    # the rest of L1 is the steady start's gas (a few per cent vacant at S = 134), not emptied
    l1 = np.arange(lat.sites_per_layer)
    assert np.count_nonzero(occ[l1] == VACANCY) < 10 + 0.1 * lat.sites_per_layer
    assert ClusterFinder(st)(Simulation(st, occ)) >= 10


@pytest.mark.parametrize("kind, size, allowed", [("cap", 0, "1 .. 64"), ("pit", 7, "1 .. 6"),
                                                 ("hole", 3, "cap, pit")])
def test_bad_defects_are_refused_with_what_is_allowed(kind, size, allowed):
    lat = build_lattice(steady.steady_settings(box(), 10.0))
    with pytest.raises(ValueError, match=allowed.replace(".", r"\.")):
        defects.defect_sites(lat, kind, size)


@pytest.fixture(scope="module")
def big_cap_at_the_cells_supersaturation():
    """A 20-vacancy cap at the cell's S = 134 on the 8x8x4 box: 20 independent trials (root seed
    41), committed at lambda_B = 24; the two tests below compare with it."""
    return defects.growth_probability(box(), 134.0, "cap", 20, lambda_B=24, trials=20)


# 40 growth trials, ~13 s of CPU (a cap's growth:
# test_kmc_rates_defect_records_name_value_unit_error_and_method)
@pytest.mark.slow
def test_a_large_void_grows_and_a_small_one_dissolves_at_the_cells_supersaturation(big_cap_at_the_cells_supersaturation):
    """At the cell's S = 134 (8x8x4 box), a 20-vacancy cap lies above the lattice's critical size
    (~12, docs/rates.md) and a 5-vacancy cap below it (committed at lambda_B = 24: FFS's stages reach
    1 by 17-22): 20 independent trials each (root seed 41),
    P(20) - P(5) must exceed 3 combined binomial se.  Fails if the defect is not placed, if the
    reservoir does not feed the interface, or if the committor's bounds are swapped."""
    s = box()
    big = big_cap_at_the_cells_supersaturation
    small = defects.growth_probability(s, 134.0, "cap", 5, lambda_B=24, trials=20)
    assert big.undecided == 0 and small.undecided == 0
    assert big.probability - small.probability > 3 * math.hypot(big.standard_error, small.standard_error)


@pytest.mark.slow
def test_a_void_that_grows_at_the_cells_supersaturation_dissolves_near_equilibrium(big_cap_at_the_cells_supersaturation):
    """The same 20-vacancy cap at S = 2 (vacancies barely above equilibrium): it must dissolve; the
    difference from S = 134 (the 20 trials above) must exceed 3 combined binomial se (12 trials at
    S = 2, root seed 43; slow: dissolving at S = 2 takes ~4 s per trial)."""
    s = box()
    hi = big_cap_at_the_cells_supersaturation
    lo = defects.growth_probability(s, 2.0, "cap", 20, lambda_B=24, trials=12, root_seed=43)
    assert lo.undecided == 0
    assert hi.probability - lo.probability > 3 * math.hypot(hi.standard_error, lo.standard_error)


def test_kmc_rates_defect_records_name_value_unit_error_and_method():
    """`kmc rates` prints each defect's growth probability as a record with value, unit, binomial
    error and method (docs/rates.md's JSON); a cap above the critical size on the rates' box grows."""
    from kmc.interface_rates import report
    s = box()
    recs = report.defect_records(s, 134.0, 4, defects=(("cap", 24), ("pit", 2)))
    assert [r["name"] for r in recs] == ["defect_growth_probability_cap_n24", "defect_growth_probability_pit_w2"]
    for r in recs:
        assert {"name", "value", "unit", "error", "method", "grown", "trials"} <= set(r) and r["unit"] == "1"
        assert r["error"] == pytest.approx(math.sqrt(max(r["value"] * (1 - r["value"]), 1 / 4) / 4))
    assert recs[0]["grown"] == 4 and recs[1]["vacancies"] == 5
