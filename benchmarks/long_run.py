"""Long-run check: memory stays flat and events/s does not drift over a long run with frames.

Runs a periodic bulk Li0.97Mg0.03 box with 1 % vacancies (closed, no stripping) through the normal
driver, with HDF5 frames and checkpoints at a fixed event interval, and records at every frame the
wall time and the process's resident memory.  Prints a table and JSON: events/s of each segment,
the ratio of the last quarter's rate to the first quarter's, and the memory growth after the
first frames.

    python benchmarks/long_run.py                              # 1e8 events, 1 M sites, 50 frames
    python benchmarks/long_run.py --sites 1e4 --events 1e9     # memory over 1e9 events
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kmc.checkpoint import Checkpointer  # noqa: E402
from kmc.config import load_config  # noqa: E402
from kmc.runfile import KmcWriter  # noqa: E402
from kmc.simulation import Simulation  # noqa: E402

PARAMS = ROOT / "params" / "limg_li2s.toml"


def rss_mb() -> float:
    """Resident set size of this process now, MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class TimedWriter(KmcWriter):
    """An KmcWriter that notes events, wall time and memory at every frame."""

    def __init__(self, path, sim):
        super().__init__(path, sim)
        self.samples = []

    def write_frame(self, step, time_s, occupancy, tracers=None):
        super().write_frame(step, time_s, occupancy, tracers)
        traced = tracemalloc.get_traced_memory()[0] / 2**20 if tracemalloc.is_tracing() else float("nan")
        self.samples.append((int(step), time.perf_counter(), rss_mb(), traced))


def long_run(sites: float, events: float, frames: int, out: Path, seed: int = 1) -> dict:
    n = max(2, round((sites / 2) ** (1 / 3)))
    events = int(events)
    settings = load_config(PARAMS, [
        "lattice.geometry=bulk", f"lattice.cells=[{n},{n},{n}]", "composition.vacancy_fraction=0.01",
        "conditions.current_density_mA_cm2=0", "conditions.stack_pressure_MPa=0", "boundary.bottom=closed",
        f"run.seed={seed}", "run.stop_stripped_mAh_cm2=0", f"run.max_events={events}",
        "output.frame_every_mAh_cm2=0", "output.series_every_mAh_cm2=0",
        f"output.frame_every_events={max(1, events // frames)}",
        f"output.series_every_events={max(1, events // (10 * frames))}"])
    sim = Simulation(settings)
    sim.step(1000)          # compile (or load the cached JIT) outside the timed part
    sim = Simulation(settings)
    writer = TimedWriter(out, sim)
    result = sim.run(writer, progress=False, checkpointer=Checkpointer(out, 1e9))
    steps, walls, rss, traced = map(list, zip(*writer.samples))
    segments = [{"events": steps[i], "events_per_s": (steps[i] - steps[i - 1]) / (walls[i] - walls[i - 1]),
                 "rss_MB": rss[i]} for i in range(1, len(steps))]
    quarter = max(1, len(segments) // 4)
    first = (steps[quarter] - steps[0]) / (walls[quarter] - walls[0])
    last = (steps[-1] - steps[-1 - quarter]) / (walls[-1] - walls[-1 - quarter])
    warm = min(2, len(rss) - 1)   # the first frames allocate the HDF5 chunk cache and buffers
    return {
        "sites": sim.lattice.n_sites, "events": result.events, "frames": len(steps),
        "stop_reason": result.stop_reason, "wall_s": result.wall_time_s,
        "events_per_s": result.events / result.wall_time_s,
        "events_per_s_first_quarter": first, "events_per_s_last_quarter": last,
        "late_over_early": last / first,
        "rss_MB_after_warmup": rss[warm], "rss_MB_max": max(rss[warm:]), "rss_MB_end": rss[-1],
        "rss_growth_MB": max(rss[warm:]) - rss[warm],
        # Python/numpy heap (only under tracemalloc): sensitive to small leaks that the
        # allocator's reuse of freed pages hides from the RSS
        "traced_growth_MB": max(traced[warm:]) - traced[warm],
        "segments": segments,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=float, default=1e6)
    ap.add_argument("--events", type=float, default=1e8)
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--output", type=Path, default=None, help="run file (default: a temporary folder)")
    ap.add_argument("--json", action="store_true", help="print only JSON")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.output or Path(tmp) / "long.h5"
        res = long_run(args.sites, args.events, args.frames, out)
    if args.json:
        print(json.dumps(res, indent=1))
        return
    print(f"{'events':>12} {'M events/s':>10} {'RSS MB':>8}")
    for s in res["segments"]:
        print(f"{s['events']:>12} {s['events_per_s'] / 1e6:>10.3f} {s['rss_MB']:>8.1f}")
    summary = {k: v for k, v in res.items() if k != "segments"}
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
