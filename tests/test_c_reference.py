"""The C reference loop (benchmarks/c_reference.py): it is a fair yardstick for the
engine's speed only if it does the engine's work, so it must follow the engine's trajectory bit for
bit from the same state; the comparison must be able to fail; and it refuses boxes it does not
implement.  (Its speed is printed by the script, never asserted.)"""
import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from kmc import sites
from kmc.benchmark import bulk_box_settings, vacancy_neighbours_per_vacancy
from kmc.config import load_config
from kmc.simulation import Simulation

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("c_reference", ROOT / "benchmarks" / "c_reference.py")
cref = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = cref
_spec.loader.exec_module(cref)

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="the C reference needs gcc")


@pytest.fixture(scope="module")
def dll(tmp_path_factory):
    return cref.build_library(tmp_path_factory.mktemp("cref"))


@pytest.mark.parametrize("indices_in", ["words", "site_vacancy"])
def test_the_c_loop_follows_the_engine_bit_for_bit(dll, indices_in, monkeypatch):
    """3 % vacancies in a 4394-site box, 1.2e5 hops in windows of 3e4: the vacancies cluster (each
    ends with more than one vacancy neighbour on average), so the refresh's rows next to other
    vacancies and its single slots are exercised; words, vacancy indices, loss sums, rows, tree,
    clock and RNG end equal.  Also with the vacancy indices in the per-site array that runs of
    more than 2^18 vacancies use (forced here by lowering the limit)."""
    if indices_in == "site_vacancy":
        monkeypatch.setattr(sites, "MAX_WORD_INDEX", 0)
    r = cref.compare_round(dll, 4000, 120_000, seed=3, window=30_000, vacancy_fraction=0.03)
    assert r["identical"], r["differing"]
    sim = Simulation(bulk_box_settings(4000, 3, 0.03))
    assert sim.site_vacancy.size == (sim.lattice.n_sites if indices_in == "site_vacancy" else 0)
    sim.step(120_000)
    counts = sim.event_counts()
    assert counts["hop_host"] + counts["hop_solute"] == 120_000 and counts["hop_solute"] > 0
    assert vacancy_neighbours_per_vacancy(sim) > 1.0


def test_a_c_loop_that_computes_other_rates_is_caught(dll):
    """The comparison can fail: give the C loop a table whose atom's side of every hop energy is
    1e-4 eV higher, and the end states differ."""
    sim = Simulation(bulk_box_settings(2000, 1, 0.03))
    c = cref.CState(sim)
    shifted = c.fixed["by_word"].copy()   # a new array: the Box must point at it (below)
    shifted[2] += 1e-4                    # row BY_WORD_ATOM_SIDE
    c.fixed["by_word"] = shifted
    c.box.by_word = shifted.ctypes.data
    c.run(dll, 20_000)
    sim.step(20_000)
    assert {"word", "rates", "clock"} <= set(cref.differences(c, sim))


@pytest.mark.slow   # builds the bond form's engine state: its own compilation (tests/test_engine.py's slow_bond)
def test_the_bond_form_is_refused():
    bond = Simulation(load_config(ROOT / "params" / "limg_li2s_bond.toml",
                                  ["lattice.geometry=bulk", "lattice.cells=[4,4,4]", "run.max_events=1"]))
    with pytest.raises(ValueError, match="second-moment form"):
        cref.CState(bond)


def test_boxes_it_does_not_implement_are_refused():
    slab = Simulation(load_config(ROOT / "params" / "limg_li2s.toml", ["lattice.cells=[4,4,4]"]))
    words = slab.site_word.copy()
    with pytest.raises(ValueError, match="periodic bulk box"):
        cref.CState(slab)
    assert np.array_equal(slab.site_word, words)   # untouched by the refusal
