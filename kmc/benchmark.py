"""Engine speed measurements (printed, never asserted in tests).

Each measurement is a plain function returning a dict, so ``kmc benchmark`` and the scripts in
``benchmarks/`` print the same numbers.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kmc import jsontext
from kmc.config import load_config
from kmc.simulation import Simulation

PARAMS = Path(__file__).resolve().parent.parent / "params" / "limg_li2s.toml"
BASELINE = Path(__file__).resolve().parent.parent / "benchmarks" / "baseline.json"


def bulk_box_cells(sites: int) -> int:
    """Cubic [001] cells n with 2 n^3 closest to ``sites``."""
    return max(2, round((sites / 2) ** (1 / 3)))


def _warm_jit():
    warm = Simulation(load_config(PARAMS).replaced(lattice={"geometry": "bulk", "cells": [3, 3, 3]},
                                                   composition={"vacancy_fraction": 0.05}, run={"max_events": 1}))
    warm.step(100)


def bulk_box_settings(sites: int, seed: int = 1, vacancy_fraction: float = 0.01):
    """Settings of the benchmark box: periodic bulk Li0.97Mg0.03 of about ``sites`` sites."""
    n = bulk_box_cells(sites)
    return load_config(PARAMS).replaced(lattice={"geometry": "bulk", "cells": [n, n, n]},
                                        composition={"vacancy_fraction": vacancy_fraction},
                                        run={"seed": seed, "max_events": 1})


def _timed_windows(kind: str, settings, events: int, cells, pre_events: int = 0) -> dict:
    """Build the box (timed as setup), run ``pre_events`` untimed, then two timed windows of
    ``events``; the JIT is warmed on a tiny box first, so the figures are the event loop alone."""
    _warm_jit()
    t0 = time.perf_counter()
    sim = Simulation(settings)
    setup = time.perf_counter() - t0
    if pre_events:
        sim.step(pre_events)
    clustering = [vacancy_neighbours_per_vacancy(sim)]
    walls = []
    for _ in range(2):
        t0 = time.perf_counter()
        sim.step(events)
        walls.append(time.perf_counter() - t0)
        clustering.append(vacancy_neighbours_per_vacancy(sim))
    obs = sim.observables()
    return {
        "kind": kind,
        "sites": sim.lattice.n_sites,
        "cells": cells,
        "vacancies": sim.vacancy_count,
        "events": events,
        "events_per_s": events / walls[0],
        "events_per_s_late": events / walls[1],
        "kmc_time_s": sim.time_s,
        "vacancy_neighbours_start": clustering[0],
        "vacancy_neighbours_after_window": clustering[1],
        "vacancy_neighbours_after_next_window": clustering[2],
        "wall_s": walls[0],
        "setup_s": setup,
        "stripped_monolayers": obs["stripped_monolayers"],
        "contact_fraction": obs["contact_fraction"],
    }


def bulk_benchmark(sites: int, events: int, seed: int = 1, vacancy_fraction: float = 0.01) -> dict:
    """events/s on a periodic bulk Li0.97Mg0.03 box with 1 % vacancies, from a random start.

    At 298 K the vacancies are far above their equilibrium concentration and cluster into voids,
    which makes later events dearer (more vacancies nearby to refresh): ``events_per_s_late``
    measures a second window of the same length right after the first, and
    ``vacancy_neighbours_*`` give the mean number of vacancy first neighbours per vacancy at the
    start and after each window (0.08 for vacancies placed at random; each one is a vacancy
    whose rates an event next to it recomputes in full).
    """
    n = bulk_box_cells(sites)
    settings = bulk_box_settings(sites, seed, vacancy_fraction)   # bad input fails before the warm-up
    return _timed_windows("bulk", settings, events, n)


SLAB_DEPTH_CELLS = 16   # 32 layers: the interface region and a bulk below it


def slab_cells(sites: int) -> int:
    """Square [001] interface of n x n cells with 2 n^2 SLAB_DEPTH_CELLS closest to ``sites``."""
    return max(2, round((sites / (2 * SLAB_DEPTH_CELLS)) ** 0.5))


def slab_benchmark(sites: int = 73_728, events: int = 2_000_000, seed: int = 1,
                   acceleration: float = 1e6) -> dict:
    """events/s of a Li0.97Mg0.03 | Li2S slab with the interface and stripping on (shipped
    parameters, default conditions), SLAB_DEPTH_CELLS deep with a square interface of about
    ``sites`` sites in all.  200,000 untimed events first let the first vacancies reach the
    interface; the JSON keys are those of bulk_benchmark, plus the contact and stripped monolayers."""
    n = slab_cells(sites)
    settings = load_config(PARAMS).replaced(lattice={"cells": [n, n, SLAB_DEPTH_CELLS]},
                                            run={"acceleration": acceleration, "seed": seed})
    return _timed_windows("slab", settings, events, [n, n, SLAB_DEPTH_CELLS], pre_events=200_000)


def median_bulk_benchmark(sites: int, events: int, repeats: int = 3) -> dict:
    """bulk_benchmark ``repeats`` times (same seed, so the same events); the run with the median
    rate, with every run's rate in ``events_per_s_runs``."""
    runs = sorted((bulk_benchmark(sites, events) for _ in range(repeats)), key=lambda r: r["events_per_s"])
    result = dict(runs[len(runs) // 2])
    result["events_per_s_runs"] = [r["events_per_s"] for r in runs]
    return result


def vacancy_neighbours_per_vacancy(sim) -> float:
    """Mean number of vacancy first neighbours of a vacancy."""
    from kmc.species import VACANCY
    counts = sim.neighbour_counts(VACANCY)[sim.occupancy == VACANCY]
    return float(counts.mean()) if counts.size else 0.0


_START_SCRIPT = """
import time; t0 = time.perf_counter()
from kmc.config import load_config
from kmc.simulation import Simulation
sim = Simulation(load_config({params!r}).replaced(lattice={{"cells": [4, 4, 4]}}, run={{"acceleration": 1e8}}))
sim.step(1)
print(time.perf_counter() - t0)
"""


def start_times(params: Path = PARAMS) -> dict:
    """Seconds from interpreter start of kmc code to the first event: with an empty JIT cache
    (cold compile) and then with the cache filled by that first run (warm start).  A run compiles
    only its own energy form's code (kmc.engine.loop.form_markers): time each form's file."""
    script = _START_SCRIPT.format(params=str(params))
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold = float(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                                    text=True, check=True).stdout.split()[-1])
        warm = float(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                                    text=True, check=True).stdout.split()[-1])
    return {"kind": "start", "cold_compile_to_first_event_s": cold, "warm_start_to_first_event_s": warm}


_MEMORY_SCRIPT = """
import resource
from kmc.config import load_config
from kmc.simulation import Simulation
def peak():
    # VmHWM is this process's own high-water mark; ru_maxrss can start at the parent's resident
    # size at fork time on Linux, which hid the whole run when the parent had run a big box.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def bulk(n):
    return load_config({params!r}).replaced(lattice={{"geometry": "bulk", "cells": [n, n, n]}},
                                            composition={{"vacancy_fraction": 0.01}}, run={{"max_events": 1}})
tiny = Simulation(bulk(4))
tiny.step(10000)   # JIT loaded or compiled: its memory is in the baseline
base = peak()
n = {cells}
sim = Simulation(bulk(n))
sim.step(10000)
if {with_output}:
    import tempfile
    from pathlib import Path
    from kmc.runfile import KmcWriter
    with tempfile.TemporaryDirectory() as d:
        writer = KmcWriter(Path(d) / "m.h5", sim)
        writer.write_frame(sim.events, sim.time_s, sim.occupancy)
        writer.close()
print(base, peak(), sim.lattice.n_sites)
"""


def memory_per_site(sites: int = 4_000_000, with_output: bool = False) -> dict:
    """Peak resident memory per site of a bulk run: the rise of the process's peak RSS from a
    warmed-up baseline (interpreter, JIT) to the end of a run of ``sites`` sites; with
    ``with_output`` the run also opens an output file (which writes the lattice tables) and
    writes a frame, as ``kmc run`` does."""
    script = _MEMORY_SCRIPT.format(cells=bulk_box_cells(sites), params=str(PARAMS), with_output=with_output)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    base_kB, peak_kB, n_sites = (int(x) for x in out[-3:])
    return {"kind": "memory_with_output" if with_output else "memory", "sites": n_sites,
            "peak_bytes_per_site": (peak_kB - base_kB) * 1024 / n_sites}


def frame_write_time(sites: int = 500_000, frames: int = 5) -> dict:
    """Seconds to write one species frame (int8 per site, gzip) of a bulk box."""
    from kmc.runfile import KmcWriter
    sim = Simulation(bulk_box_settings(sites))
    with tempfile.TemporaryDirectory() as d:
        w = KmcWriter(Path(d) / "b.h5", sim)
        t0 = time.perf_counter()
        for i in range(frames):
            w.write_frame(i + 1, float(i), sim.occupancy)
        dt = (time.perf_counter() - t0) / frames
        w.close()
    return {"kind": "frame_write", "sites": sim.lattice.n_sites, "seconds_per_frame": dt}


def time_to_answer(cells=(100, 100, 12), monolayers: float = 1.0, seed: int = 1) -> dict:
    """Wall time to strip ``monolayers`` from a Li0.97Mg0.03 | Li2S slab of ``cells`` at default
    conditions (the JIT warmed first): what a user waits for one monolayer of a box where voids
    can be counted."""
    _warm_jit()
    settings = load_config(PARAMS).replaced(lattice={"cells": list(cells)}, run={
        "stop_stripped_mAh_cm2": 0.0, "stop_stripped_monolayers": monolayers, "seed": seed})
    t0 = time.perf_counter()
    sim = Simulation(settings)
    result = sim.run(None, progress=False)
    wall = time.perf_counter() - t0
    return {"kind": "time_to_answer", "sites": sim.lattice.n_sites, "cells": list(cells),
            "monolayers": monolayers, "wall_s": wall, "events": result.events,
            "events_per_s": result.events / wall, "contact_fraction": result.observables["contact_fraction"],
            "stop_reason": result.stop_reason}


def analysis_start_times(run_file) -> dict:
    """Wall seconds of ``kmc analyze FILE`` and ``kmc plot FILE --kind cross-section`` in fresh
    processes once the JIT cache is warm (each is run once before to fill it)."""
    kmc = Path(sys.executable).parent / "kmc"
    out = {"kind": "analysis_start", "file": str(run_file)}
    with tempfile.TemporaryDirectory() as tmp:
        commands = {"analyze_s": [str(kmc), "analyze", str(run_file)],
                    "plot_cross_section_s": [str(kmc), "plot", str(run_file), "--kind", "cross-section",
                                             "-o", str(Path(tmp) / "section.png")]}
        for name, command in commands.items():
            subprocess.run(command, capture_output=True, check=True)   # fills the cache
            t0 = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True)
            out[name] = time.perf_counter() - t0
    return out


def default_events(sites: int) -> int:
    return int(min(4_000_000, max(500_000, 4 * sites)))


def quick_set() -> list[int]:
    return [10_000, 500_000]


def format_row(r: dict) -> str:
    if r["kind"] == "bulk":
        return (f"bulk  {r['sites']:>10d} sites {r['vacancies']:>8d} vac  {r['events']:>9d} events  "
                f"{r['events_per_s'] / 1e6:6.2f} M/s (next window {r['events_per_s_late'] / 1e6:.2f} M/s)  "
                f"vacancy neighbours per vacancy {r['vacancy_neighbours_start']:.2f} -> "
                f"{r['vacancy_neighbours_after_window']:.2f} -> {r['vacancy_neighbours_after_next_window']:.2f}  "
                + (f"runs {'/'.join(f'{x / 1e6:.2f}' for x in r['events_per_s_runs'])} M/s  "
                   if len(r.get("events_per_s_runs", ())) > 1 else "")
                + f"setup {r['setup_s']:.1f} s")
    if r["kind"] == "slab":
        return (f"slab  {r['sites']:>10d} sites {r['vacancies']:>8d} vac  {r['events']:>9d} events  "
                f"{r['events_per_s'] / 1e6:6.2f} M/s (next window {r['events_per_s_late'] / 1e6:.2f} M/s)  "
                f"stripping on: {r['stripped_monolayers']:.2f} monolayers, contact {r['contact_fraction']:.2f}  "
                f"setup {r['setup_s']:.1f} s")
    if r["kind"] == "time_to_answer":
        return (f"answer {r['sites']:>10d} sites, {r['monolayers']:g} monolayer(s) of Li-Mg at default conditions: "
                f"{r['wall_s']:.1f} s wall ({r['events']} events, {r['events_per_s'] / 1e6:.2f} M/s)")
    if r["kind"] == "analysis_start":
        return (f"warm start of kmc analyze {r['analyze_s']:.2f} s, kmc plot --kind cross-section "
                f"{r['plot_cross_section_s']:.2f} s (default run file)")
    if r["kind"] == "start":
        return (f"start cold compile to first event {r['cold_compile_to_first_event_s']:.1f} s, "
                f"warm start {r['warm_start_to_first_event_s']:.2f} s")
    if r["kind"] == "memory":
        return f"memory {r['peak_bytes_per_site']:.1f} bytes/site peak ({r['sites']} sites)"
    if r["kind"] == "memory_with_output":
        return f"memory {r['peak_bytes_per_site']:.1f} bytes/site peak with an output file and a frame ({r['sites']} sites)"
    if r["kind"] == "frame_write":
        return f"frame {r['seconds_per_frame'] * 1e3:.1f} ms per frame written ({r['sites']} sites)"
    return jsontext.dumps(r)


def _key(r: dict) -> str:
    return f"{r['kind']}:{r.get('sites', '')}"


def compare_with_baseline(rows: list[dict], baseline_path: Path = BASELINE) -> list[str]:
    """Ratio of each figure to the stored baseline (a guard against regressions, never a failure)."""
    if not baseline_path.is_file():
        return ["no stored baseline"]
    base = {_key(r): r for r in json.loads(baseline_path.read_text())["results"]}
    lines = []
    for r in rows:
        b = base.get(_key(r))
        if not b:
            continue
        for field in ("events_per_s", "cold_compile_to_first_event_s", "warm_start_to_first_event_s",
                      "peak_bytes_per_site", "seconds_per_frame"):
            if field in r and field in b and b[field]:
                lines.append(f"{_key(r):18s} {field:32s} now/baseline = {r[field] / b[field]:.2f}")
    return lines
