"""The benchmark's clustering measure and scripts (their timings are printed, never asserted)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from kmc import benchmark as bm
from kmc.config import load_config
from kmc.species import HOST, VACANCY
from kmc.simulation import Simulation

ROOT = bm.PARAMS.parent.parent


def _bulk_with_vacancies(sites):
    settings = load_config(bm.PARAMS, ["lattice.geometry=bulk", "lattice.cells=[4,4,4]",
                                       "composition.solute_fraction=0", "run.max_events=1"])
    probe = Simulation(settings)
    occupancy = np.full(probe.lattice.n_sites, HOST, np.int8)
    occupancy[list(sites)] = VACANCY
    return Simulation(settings, occupancy=occupancy), probe.lattice.neighbors


def test_vacancy_neighbours_per_vacancy_counts_vacancy_pairs():
    """A vacancy pair and a lone vacancy: 2 neighbour relations over 3 vacancies."""
    _, neighbors = _bulk_with_vacancies([])
    a = 0
    b = int(neighbors[a, 0])
    lone = next(s for s in range(neighbors.shape[0])
                if s not in (a, b) and not ({a, b} & set(neighbors[s].tolist()))
                and not ({a, b} & {int(n) for n in neighbors[neighbors[s]].ravel()}))
    sim, _ = _bulk_with_vacancies([a, b, lone])
    assert bm.vacancy_neighbours_per_vacancy(sim) == 2 / 3
    sim, _ = _bulk_with_vacancies([a, lone])
    assert bm.vacancy_neighbours_per_vacancy(sim) == 0.0


def test_clustering_speed_script_prints_windows():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "clustering_speed.py"), "--sites", "2000",
                          "--window", "20000", "--windows", "2"], capture_output=True, text=True, check=True).stdout
    doc = json.loads(out[out.index("{"):])
    assert [w["events_done"] for w in doc["windows"]] == [20000, 40000]
    assert doc["windows"][0]["vacancy_neighbours_before"] < doc["windows"][1]["vacancy_neighbours_after"]
    assert all(w["events_per_s"] > 0 for w in doc["windows"])


def test_slab_benchmark_has_the_bulk_keys_and_strips():
    """`kmc benchmark --slab --json` reports the bulk measurement's keys, on a slab whose
    interface is stripped during the timed windows (timings are printed, never asserted)."""
    from click.testing import CliRunner

    from kmc.cli import main
    bulk = bm.bulk_benchmark(2000, 2000)
    r = CliRunner().invoke(main, ["benchmark", "--slab", "--sites", "4000", "--events", "3000", "--json"])
    assert r.exit_code == 0, r.output
    slab = json.loads(r.output)
    assert slab["kind"] == "slab" and set(bulk) <= set(slab)
    assert abs(slab["sites"] - 4000) < 1000 and slab["cells"][2] == bm.SLAB_DEPTH_CELLS
    assert slab["stripped_monolayers"] > 0 and slab["events"] == 3000


def test_time_to_answer_strips_the_asked_monolayers():
    # 0.1 monolayer: ~600 events (0.5 took 2e6: the pore's mouth flickers, ~7 s of CPU)
    r = bm.time_to_answer(cells=(6, 6, 4), monolayers=0.1)
    assert r["stop_reason"] == "stripped_monolayers" and r["sites"] == 288
    assert r["events"] > 0 and r["wall_s"] > 0 and 0 < r["contact_fraction"] <= 1
    assert "monolayer" in bm.format_row(r)


@pytest.mark.slow   # ~6 s of CPU (two engine versions in turn): a tool's test; the fast tier keeps the benchmark's rows and formats
def test_interleaved_ab_runs_both_versions_on_one_trajectory():
    """benchmarks/ab_interleaved.py with the same checkout as A and B: both workers run the same
    events in alternate windows and end on the same clock and checksum (its rates are printed,
    never asserted)."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "ab_interleaved.py"), "slab",
                          str(ROOT / "params" / "limg_li2s.toml"), "--a", str(ROOT), "--b", str(ROOT),
                          "--events", "30000", "--window", "10000"], capture_output=True, text=True, check=True).stdout
    assert "3 windows" in out and ": the same run" in out
    assert out.count(f"kmc from {ROOT / 'kmc' / '__init__.py'}") == 2


@pytest.mark.slow   # ~4 s of CPU (the A/B script, as test_interleaved_ab_runs_both_versions_on_one_trajectory above)
def test_ab_interleaved_times_two_box_sizes_for_the_cost_growth():
    """--cells NA,NB: A and B run boxes of different sizes (one checkout as both: the growth of
    the cost per event under the same host drift); the runs differ, so only rates are printed."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "ab_interleaved.py"), "bulk",
                          str(ROOT / "params" / "limg_li2s.toml"), "--a", str(ROOT), "--b", str(ROOT),
                          "--cells", "4,6", "--events", "20000", "--window", "10000"],
                         capture_output=True, text=True, check=True).stdout
    assert "2 windows" in out and "boxes of 4 and 6 cells a side" in out and "cost growth" in out
    bad = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "ab_interleaved.py"), "slab",
                          str(ROOT / "params" / "limg_li2s.toml"), "--a", str(ROOT), "--b", str(ROOT), "--cells", "8"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--cells 8: allowed only with bulk" in bad.stderr


@pytest.mark.slow   # ~5 s of CPU (a worker process of the A/B script): a tool's refusal; the fast tier keeps the benchmark's rows
def test_ab_interleaved_refuses_a_checkout_whose_kmc_it_does_not_import(tmp_path):
    """A worker started for a folder without this repository's kmc would import another copy (the
    installed one, or the working directory's): the two windows would time the same code.  The
    script names the module it got and stops."""
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "ab_interleaved.py"), "slab",
                          str(ROOT / "params" / "limg_li2s.toml"), "--a", str(ROOT), "--b", str(tmp_path),
                          "--events", "10000", "--window", "10000"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode != 0
    assert f"the worker for {tmp_path} imported kmc from" in run.stderr


def _strict(text: str):
    """Parse as strict JSON: NaN, Infinity and -Infinity (Python's json extensions) refused."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_outputs_are_strict_json():
    """`kmc benchmark --json` on a bulk box (no interface: its contact fraction does not exist) prints
    null there, not NaN; the one JSON printer turns every non-finite number into null."""
    import math

    import numpy as np
    from click.testing import CliRunner

    from kmc import jsontext
    from kmc.cli import main
    r = CliRunner().invoke(main, ["benchmark", "--sites", "2000", "--events", "2000", "--json"])
    assert r.exit_code == 0, r.output
    doc = _strict(r.output)
    assert doc["kind"] == "bulk" and doc["contact_fraction"] is None
    assert _strict(jsontext.dumps({"a": [math.nan, np.float64(np.inf), np.int64(3)], "b": np.array([1.5, -np.inf])})) \
        == {"a": [None, None, 3], "b": [1.5, None]}
