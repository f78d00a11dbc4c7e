"""A kMC run's cost, estimated before it starts (kmc.run_cost): anchored on the shipped default run's
recorded events, scaled by the box, and warned by kmc.validation when large."""
import json
import re
from pathlib import Path

import pytest

from kmc.config import load_config
from kmc.run_cost import EDGE_EVENTS_PER_L1_SITE_MONOLAYER, EDGE_SCALED_EVENTS_PER_L1_SITE_MONOLAYER, estimate
from kmc.launch import run_advice

ROOT = Path(__file__).resolve().parent.parent
LI = ROOT / "params" / "li_li2s.toml"
# The measurements below are of the exact kMC to the charge the shipped sets stopped at before the fast-event
# scaling (4e-6 mAh/cm2, 0.11 monolayer).
EXACT = ["run.fast_event_scaling=false", "run.stop_stripped_mAh_cm2=4e-6"]


def test_the_edges_cost_is_the_default_runs_as_recorded():
    """The anchor is the README's default run as docs/make_readme.py last recorded it: when the engine
    or the physics changes what that run costs by more than 2x, this fails until the anchor follows.  The
    record says whether the run scaled fast events (run.fast_event_scaling), and so which anchor it checks."""
    record = json.loads((ROOT / "docs" / "readme_outputs.json").read_text())
    text = record["outputs"]["kmc run params/li_li2s.toml"]["text"]
    events = int(re.search(r"^  (\d+) events", text, re.M).group(1))
    monolayers = float(re.search(r"\(([\d.]+) monolayers\)", text).group(1))
    charge = float(re.search(r"stripped ([\d.e+-]+) mAh/cm2", text).group(1))
    l1 = int(re.search(r"of (\d+) L1 sites open", text).group(1))
    recorded = events / (l1 * monolayers)
    scaled = "fast reversible events scaled" in text
    anchor = EDGE_SCALED_EVENTS_PER_L1_SITE_MONOLAYER if scaled else EDGE_EVENTS_PER_L1_SITE_MONOLAYER
    assert 0.5 < anchor / recorded < 2.0, (anchor, recorded)
    as_recorded = [f"run.fast_event_scaling={str(scaled).lower()}", f"run.stop_stripped_mAh_cm2={charge}"]
    assert estimate(load_config(LI, as_recorded)).events == pytest.approx(events, rel=0.5)


def test_the_estimate_scales_with_the_box_and_the_temperature():
    base = estimate(load_config(LI, EXACT))
    wide = estimate(load_config(LI, EXACT + ["lattice.cells=[40,40,12]"]))
    assert wide.events == pytest.approx(4 * base.events, rel=0.1) and wide.sites == 4 * base.sites
    hot = estimate(load_config(LI, EXACT + ["lattice.cells=[8,8,6]", "conditions.temperature_K=400"]))
    cold = estimate(load_config(LI, EXACT + ["lattice.cells=[8,8,6]"]))
    # 8 x 8 x 6 cells at 400 K measured 2.9e6 events to 4e-6 mAh/cm2 (the equilibrium vacancies' hops)
    assert hot.events - cold.events == pytest.approx(1.8e6, rel=0.3)
    assert estimate(load_config(LI, ["lattice.geometry='bulk'", "run.max_events=10"])) is None


def test_a_large_run_is_warned_before_it_starts_with_its_estimate():
    """`kmc run params/li_li2s.toml --set lattice.cells=[400,400,100]`: one warning naming the box, its
    set-up, file and events; the default run none."""
    advice = run_advice(load_config(LI, EXACT + ["lattice.cells=[400,400,100]"]))
    assert [a.setting for a in advice] == ["lattice.cells"]
    line = advice[0].line()
    assert "lattice.cells = [400, 400, 100]" in line and "3.2e+07 sites" in line and "GB" in line
    assert re.search(r"~5\.8e\+09 events \(~8(\.\d)? h", line), line
    assert run_advice(load_config(LI)) == []


def test_a_hot_run_says_what_its_temperature_costs_in_its_one_temperature_warning():
    """400 K on a small box: the one temperature warning also gives the events the box's equilibrium
    vacancies make there against 298 K (8 x 8 x 6 cells measured 2.9e6 events at 400 K, 1.6e4 at 298 K)."""
    advice = run_advice(load_config(LI, EXACT + ["lattice.cells=[8,8,6]", "conditions.temperature_K=400"]))
    assert [a.setting for a in advice] == ["conditions.temperature_K"]
    found = re.search(r"alone make ~([\d.e+]+) events \(~[\d.]+ s\), (\d+)x those at 298 K", advice[0].problem)
    assert found, advice[0].problem
    assert 1e6 < float(found.group(1)) < 3e6 and int(found.group(2)) > 30


def test_a_large_run_says_so_before_its_box_is_built(monkeypatch, tmp_path):
    """kmc run of [400,400,100]: the warning comes before the minutes of building 3.2e7 sites (here the
    build is cut short at once: the warning is already out)."""
    from click.testing import CliRunner

    from kmc.cli import main
    from kmc.simulation import Simulation

    class Built(Exception):
        pass

    def build(*args, **kwargs):
        raise Built
    monkeypatch.setattr(Simulation, "__init__", build)
    result = CliRunner().invoke(main, ["run", str(LI), "-o", str(tmp_path / "big.h5"),
                                       "--set", "lattice.cells=[400,400,100]"])
    assert isinstance(result.exception, Built)
    assert result.stderr.startswith("warning: a large run: lattice.cells = [400, 400, 100]"), result.stderr
