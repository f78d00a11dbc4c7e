"""Rates at physical kinetics (docs/rates.md, kmc/interface_rates): the steady interface, the interface
cluster order parameter, forward-flux sampling against brute force, and ``kmc rates``.

Statistical tests use fixed seeds; each tolerance is a stated multiple of a standard error that
the test estimates from its own independent replicas (so a correct code fails one in ~300 runs
of fresh seeds at 3 se, and the fixed seeds make the outcome reproducible)."""
import math

import numpy as np
import pytest

from kmc.config import load_config, resolve_params
from kmc.interface_rates import steady
from kmc.model import cell_supersaturation
from regimes import NO_FORMATION_ENTROPY


def small_box(name="li_li2s", cells=(6, 6, 4)):
    return load_config(resolve_params(name), [f"lattice.cells={list(cells)}", NO_FORMATION_ENTROPY])


def test_cell_supersaturation_is_physics_md_estimate():
    """docs/physics.md section 4b: S ~ 100-130 at 0.5 mA/cm2 and sinks 100 um away without a formation
    entropy (134.3), 9.52 with the shipped S_f = 2.75 k_B (S - 1 falls by exp(2.75)); S - 1 is
    linear in the current and the sink distance."""
    s = load_config(resolve_params("li_li2s"))
    S = cell_supersaturation(s)
    assert 90 < cell_supersaturation(s.with_overrides([NO_FORMATION_ENTROPY])) < 150
    assert S == pytest.approx(9.52, abs=0.01)
    S2 = cell_supersaturation(s.with_overrides(["conditions.current_density_mA_cm2=1.0",
                                                       "electrode.sink_distance_um=50"]))
    assert S2 - 1 == pytest.approx(S - 1, rel=1e-9)


def test_steady_settings_are_at_cell_rates():
    st = steady.steady_settings(small_box(), 100.0)
    assert st.run.acceleration == 1.0 and st.run.deep_box_share == 0.0
    assert st.conditions.current_density_mA_cm2 == 0.0
    assert st.boundary.bottom == "reservoir" and st.boundary.supersaturation == 100.0
    with pytest.raises(ValueError, match="supersaturation"):
        steady.steady_settings(small_box(), 0.5)


def test_steady_interface_holds_isolated_l1_vacancies_at_equilibrium():
    """The L1 vacancy fraction of the steady interface at S = 100 against S exp(-E_f,L1/kT) for
    isolated L1 vacancies (E_f,L1 = 0.28 eV from the model's total energy).  8 independent
    replicas (seeds 1..8), 1e5 events each after 2e4 of warm-up; tolerance 3 standard errors of
    the replicas' mean.  Clusters add c^2-order corrections (~1e-5 relative at c = 1.8e-3),
    far below the error.  With the bottom reservoir off (or at another S) the fraction moves by
    many se: at S = 10 it is 10 times lower."""
    s = small_box()
    pop = steady.layer_population(s, 100.0, range(1, 9), 20_000, 100_000, steady.l1_start(s))
    expected = steady.equilibrium_layer_fractions(s, 100.0, 1)[0]
    assert abs(pop.fraction[0] - expected) < 3 * pop.standard_error[0], (pop.fraction[0], expected)
    assert pop.standard_error[0] < 0.1 * expected    # the test resolves a 30 % error


# 120 replicas, ~4 s of CPU (the steady interface:
# test_steady_interface_holds_isolated_l1_vacancies_at_equilibrium)
@pytest.mark.slow
def test_exact_layer_walk_equals_engine_brute_force():
    """The exact birth-death first-passage time of an L1 vacancy to L4 (kmc.interface_rates.interface)
    against the engine's own walk, 120 replicas (seeds 1..120), tolerance 3 standard errors of their
    mean.  A wrong rate rule (the KRA alone, no energy differences) moves the exact value 5x."""
    from kmc.interface_rates import interface
    s = small_box(cells=(4, 4, 4))
    exact = interface.first_passage_time_s(s, 3)
    taus = interface.brute_force_first_passage_s(s, 3, range(1, 121))
    se = taus.std(ddof=1) / math.sqrt(taus.size)
    assert abs(taus.mean() - exact) < 3 * se, (taus.mean(), se, exact)
    assert se < 0.15 * exact


def test_escape_lifetime_grows_with_sink_distance():
    """Past the interface's trap the walk is diffusive: the lifetime against escape to sinks at L
    grows as L^2 for L >> the trap's reach (exact sums, no sampling)."""
    from kmc.interface_rates import interface
    s = small_box()
    t100, t200 = interface.escape_lifetime_s(s, 100.0), interface.escape_lifetime_s(s, 200.0)
    assert 3.5 < t200 / t100 < 4.0


def test_order_parameter_is_largest_interface_cluster():
    """Two L1 vacancies a apart are one interface cluster; an L2 vacancy under one of them joins
    it; a buried vacancy (L4) is no part of any interface cluster."""
    from kmc.interface_rates.clusters import ClusterFinder
    from kmc.simulation import Simulation
    from kmc.species import HOST, VACANCY
    s = steady.steady_settings(small_box(), 10.0)
    sim0 = Simulation(s)
    lat = sim0.lattice
    occ = np.full(lat.n_sites, HOST, np.int8)
    a, b = 0, int(lat.l1_second_neighbors[0, 0])
    below = int(lat.neighbors[a, 4])
    deep = 3 * lat.sites_per_layer + 10
    occ[[a, b, below, deep]] = VACANCY
    sim = Simulation(s, occ)
    assert ClusterFinder(s).measure(sim) == (3, 2, 2)
    occ[below] = HOST
    occ[b] = HOST
    assert ClusterFinder(s).measure(Simulation(s, occ)) == (1, 1, 1)


@pytest.mark.slow
def test_forward_flux_equals_waiting_times():
    """FFS's nucleation rate against the direct waiting times kmc rates uses where nucleation is fast
    (16 independent runs from the steady start, seeds 101..116, to lambda_B = 20; I = N / sum(t) /
    area, Poisson error) on a 6x6x4-cell box at S = 1500, where both apply (the interface lives in A)
    and both are affordable.  Tolerance: 3 combined standard errors (FFS: flux replicas and the
    stages' ratio errors over their parent configurations).  The FFS error must be below 60 % so
    that a factor-3 error in the flux, the probabilities or the area fails."""
    from kmc.interface_rates import ffs
    from kmc.interface_rates.report import IN_BASIN_MIN
    s = small_box()
    ladder = (3, 4, 5, 6, 8, 10, 13, 20)
    f = ffs.forward_flux(s, 1500.0, ladder, seeds=range(1, 9), flux_events=100_000, trials=60, min_hits=40,
                         l1="random")
    w = ffs.waiting_times(s, 1500.0, ladder[0], ladder[-1], range(101, 117), max_events=2_000_000, l1="random")
    assert w.fraction_in_A > IN_BASIN_MIN and w.reached >= 12
    tol = 3 * math.hypot(f.rate_se_per_um2_s, w.rate_se_per_um2_s)
    assert abs(f.rate_per_um2_s - w.rate_per_um2_s) < tol, (f.rate_per_um2_s, w.rate_per_um2_s, tol)
    assert f.rate_se_per_um2_s < 0.6 * f.rate_per_um2_s
    assert f.probabilities[-1] == 1.0   # lambda_B is committed: the last stages always succeed


def test_placed_void_is_one_interface_cluster_of_its_size():
    from kmc.interface_rates import voids
    from kmc.interface_rates.clusters import ClusterFinder
    from kmc.simulation import Simulation
    from kmc.species import VACANCY
    s = steady.steady_settings(small_box(cells=(8, 8, 4)), 10.0)
    for n in (1, 5, 13, 30):
        occ = np.full(Simulation(s).lattice.n_sites, 1, np.int8)
        occ[voids.cap_sites(Simulation(s).lattice, n)] = VACANCY
        assert ClusterFinder(s).measure(Simulation(s, occ))[0] == n


def test_capture_grows_with_supersaturation():
    """A placed 12-vacancy void captures vacancies faster at S = 1000 than at S = 100 (the L1 gas
    around it is 10x denser), by more than 3 combined se; 4 replicas each (seeds 1..4).  (Its
    -1 steps grow with S too: vacancies that joined leave again; docs/rates.md.)"""
    from kmc.interface_rates import voids
    s = small_box(cells=(10, 10, 4))
    lo = voids.capture_emission(s, 100.0, 12, events=20_000)
    hi = voids.capture_emission(s, 1000.0, 12, events=20_000)
    assert hi.capture_per_s - lo.capture_per_s > 3 * math.hypot(hi.capture_se_per_s, lo.capture_se_per_s)


def test_at_the_shipped_S_a_void_of_the_critical_size_at_134_loses_more_than_it_captures():
    """The shipped regime (tests/regimes.py: Li with its formation entropy, at the cell's S = 9.52):
    a placed 12-vacancy void, the lattice's critical size at S = 134 (k+ = k- there, docs/rates.md),
    meets an L1 vacancy gas 14x thinner and shrinks: after 20,000 events its largest interface
    cluster is below 12 by more than 3 se of the mean over 16 replicas (seeds 1..16; the se from
    their spread; measured 9.9 +- 0.3, where S = 134 leaves 11.1 +- 0.6, a random walk about the
    critical size).  Fails if the box sat at S exp(S_f) = 149 against its voids, as the formation
    entropy's first version put it."""
    from kmc.interface_rates import voids
    from kmc.interface_rates.clusters import ClusterFinder
    from kmc.simulation import Simulation
    s = load_config(resolve_params("li_li2s"), ["lattice.cells=[10,10,4]"])
    S = cell_supersaturation(s)
    assert S == pytest.approx(9.52, abs=0.01) and s.boundary.vacancy_formation_entropy_kB == 2.75
    st = steady.steady_settings(s, S)
    finder = ClusterFinder(st)
    sizes = []
    for seed in range(1, 17):
        sim = Simulation(st.with_overrides([f"run.seed={seed}"]), voids.void_occupancy(s, S, 12, seed))
        assert finder(sim) == 12
        sim.step(20_000)
        sizes.append(finder(sim))
    sizes = np.array(sizes, float)
    se = sizes.std(ddof=1) / math.sqrt(sizes.size)
    assert 12 - sizes.mean() > 3 * se, (sizes.mean(), se)


def test_kmc_rates_json_keys(tmp_path):
    """`kmc rates ... --json`: every record names its rate or value, unit, error and method (the
    layout docs/rates.md documents and `kmc meso` reads)."""
    import json

    from click.testing import CliRunner

    from kmc.cli import main
    res = CliRunner().invoke(main, ["rates", "li_li2s", "--supersaturation", "200", "--no-nucleation", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["json_version"] == 3 and out["supersaturation"] == 200.0
    names = {r["name"] for r in out["rates"]}
    assert {"l1_vacancy_fraction", "l1_vacancy_fraction_measured", "l1_vacancy_leave_rate",
            "l1_vacancy_escape_lifetime", "void_capture_n12", "void_emission_n12", "cnt_critical_vacancies"} <= names
    for r in out["rates"]:
        assert {"name", "value", "unit", "error", "method"} <= set(r) and "rate" not in r
    bad = CliRunner().invoke(main, ["rates", "li_li2s", "--supersaturation", "0.3"])
    assert bad.exit_code == 2 and "allowed" in bad.output


def test_acceleration_raises_interface_supersaturation():
    """S(A) = 1 + (S(1) - 1)(L + (A - 1) k d)/L with the box's transport (its hops carry the
    formation entropy, so S(1) is the cell's): 9.52 at A = 1 and 54 at 1e6 with the shipped S_f,
    134 and 836 without it; the range within 10 % of S(1) ends near the validation's A ~ 2e4
    (2.1e4 and 1.9e4); the check says so."""
    from kmc import acceleration as ac
    s = load_config(resolve_params("li_li2s"))
    for case, at_1e6 in ((s, (50, 60)), (s.with_overrides([NO_FORMATION_ENTROPY]), (800, 870))):
        s1 = cell_supersaturation(case)
        assert ac.supersaturation_at(case, 1.0) == pytest.approx(s1, rel=1e-12)
        assert at_1e6[0] < ac.supersaturation_at(case, 1e6) < at_1e6[1]
        a_max = ac.converged_acceleration(case)
        assert ac.supersaturation_at(case, a_max) == pytest.approx(1.1 * s1)
        assert 1e4 < a_max < 3e4
    assert cell_supersaturation(s) == pytest.approx(9.52, abs=0.01)
    old_default = s.with_overrides(["run.acceleration=1e6"])
    assert not ac.check(old_default)["converged"] and "beyond the converged range" in ac.check(old_default)["message"]
    assert ac.check(s)["message"] == ""     # the shipped A (docs/rates.md section 5) is within range


@pytest.mark.slow   # ~5 s of CPU (a kmc run process); the fast tier keeps the check's record and warning (tests/test_launch.py)
def test_kmc_run_warns_once_beyond_the_converged_acceleration_and_records_it(tmp_path):
    """A run whose A lies beyond the converged range (kmc.acceleration.check) says so once
    on stderr and records the estimate in its file; a converged A says nothing."""
    import subprocess
    import sys

    import h5py
    # the check reads the settings only: 5000 events suffice (A = 1e3 would need ~1e7 to strip 0.5 monolayer)
    small = ["lattice.cells=[6,6,4]", "run.stop_stripped_monolayers=0.5", "run.max_events=5000"]

    def run(acceleration, name):
        sets = [x for o in small + [f"run.acceleration={acceleration}"] for x in ("--set", o)]
        return subprocess.run([sys.executable, "-m", "kmc.cli", "run", "li_li2s", "-o", str(tmp_path / name),
                               "--no-progress", *sets], capture_output=True, text=True, cwd=tmp_path)

    far = run("1e6", "far.h5")
    assert far.returncode == 0, far.stderr
    assert far.stderr.count("beyond the converged range") == 1
    near = run("1e3", "near.h5")
    assert near.returncode == 0, near.stderr
    assert "converged range" not in near.stderr
    with h5py.File(tmp_path / "far.h5") as f, h5py.File(tmp_path / "near.h5") as g:
        assert not f["run"].attrs["acceleration_check_converged"]
        assert g["run"].attrs["acceleration_check_converged"]
        assert f["run"].attrs["acceleration_check_supersaturation"] > 5 * f["run"].attrs[
            "acceleration_check_supersaturation_at_A1"]
