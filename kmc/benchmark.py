"""Engine speed measurements (printed, never asserted in tests)."""
from __future__ import annotations

import time
from pathlib import Path

from kmc.config import load_config
from kmc.simulation import Simulation

PARAMS = Path(__file__).resolve().parent.parent / "params" / "limg_li2s.toml"


def bulk_box_cells(sites: int) -> int:
    """Cubic [001] cells n with 2 n^3 closest to ``sites``."""
    return max(2, round((sites / 2) ** (1 / 3)))


def bulk_benchmark(sites: int, events: int, seed: int = 1, vacancy_fraction: float = 0.01) -> dict:
    """events/s on a periodic bulk Li0.97Mg0.03 box with 1 % vacancies, from a random start.

    The JIT is warmed on a tiny box first, so the figure is the event loop alone.  At 298 K the
    vacancies are far above their equilibrium concentration and cluster into voids, which makes
    later events dearer (more vacancies nearby to refresh): ``events_per_s_late`` measures a
    second window of the same length right after the first.
    """
    warm = Simulation(load_config(PARAMS, ["lattice.geometry=bulk", "lattice.cells=[3,3,3]",
                                           "composition.vacancy_fraction=0.05", "run.max_events=1"]))
    warm.step(100)
    n = bulk_box_cells(sites)
    t0 = time.perf_counter()
    sim = Simulation(load_config(PARAMS, ["lattice.geometry=bulk", f"lattice.cells=[{n},{n},{n}]",
                                          f"composition.vacancy_fraction={vacancy_fraction}",
                                          f"run.seed={seed}", "run.max_events=1"]))
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.step(events)
    wall = time.perf_counter() - t0
    t1 = time.perf_counter()
    sim.step(events)
    wall_late = time.perf_counter() - t1
    return {
        "sites": sim.lattice.n_sites,
        "cells": n,
        "vacancies": int(sim.ints[0]),
        "events": events,
        "events_per_s": events / wall,
        "events_per_s_late": events / wall_late,
        "kmc_time_s": sim.time_s,
        "wall_s": wall,
        "setup_s": setup,
    }


def format_row(r: dict) -> str:
    return (f"{r['sites']:>10d} sites {r['vacancies']:>8d} vac  {r['events']:>10d} events  "
            f"{r['events_per_s'] / 1e6:6.2f} M/s (then {r['events_per_s_late'] / 1e6:.2f} M/s)  "
            f"setup {r['setup_s']:.1f} s")


def default_events(sites: int) -> int:
    return int(min(4_000_000, max(500_000, 4 * sites)))


def quick_set() -> list[int]:
    return [10_000, 500_000]
