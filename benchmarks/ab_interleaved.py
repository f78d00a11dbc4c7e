"""A/B wall-clock speed of two code versions on one trajectory, interleaved window by window, for
hosts whose speed drifts by tens of per cent from one run to the next (where running the versions
one after the other measures the host more than the code).

    python benchmarks/ab_interleaved.py bulk|slab PARAMS --a /path/to/checkout_a --b /path/to/checkout_b
        [--events N] [--window W] [--cells N | --cells NA,NB] [--set S.K=V] [--set-a S.K=V] [--set-b S.K=V]

Starts one worker process per checkout (run in it, with it first on sys.path: ``python -c`` puts
the working directory ahead of PYTHONPATH, so a worker started elsewhere would import the kmc found
there; each worker reports which kmc it imported, and a worker whose kmc is not its checkout's
is refused), each building the box SLAB or BULK below
(the same settings, so both run the same trajectory), then asks them in turn to run ``--window``
events until each has run ``--events``: A's and B's windows alternate within a second or so of
each other, so a change in the host's speed falls on both.  ``--cells N`` (bulk only) times a
periodic box of N x N x N cells instead of BULK's 63 (e.g. 247: the 3e7-site box of
``kmc benchmark --sites 30000000``, where an event waits on main memory).  ``--cells NA,NB``
gives A and B boxes of different sizes: with one checkout as both, B/A is the cost growth from
one box to the other (``--cells 17,247``: 1e4 to 3e7 sites) measured under the same host drift;
the two runs then differ, and only their rates are printed.  ``--set`` adds an override to both
boxes, ``--set-a`` / ``--set-b`` to one side's only (repeatable): e.g. the perfect interface of a
checkout whose parameter files hold the pore's edge (``--set-b electrolyte.box_pore=none`` against a
checkout from before the pore), or a key one side does not know (``--set-b run.fast_event_scaling=off``);
the same trajectory then needs both sides' settings to describe the same box.  Prints each version's events/s over
its windows, B/A, the spread of the per-window ratios, and both runs' clocks and occupancy
checksums (equal: the same trajectory).
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

# The boxes: the second-moment or bond slab at the file's conditions, closed below and without
# creep (hops and stripping only), and a 5e5-site periodic bulk box with 1 % vacancies.
SLAB = ["lattice.cells=[24,24,12]", "run.acceleration=1e6", "boundary.bottom=closed",
        "conditions.stack_pressure_MPa=0"]
BULK = ["lattice.geometry=bulk", "lattice.cells=[63,63,63]", "composition.vacancy_fraction=0.01",
        "run.seed=1", "run.max_events=1"]

WORKER = r"""
import sys, time
import numpy as np
sys.path[:0] = [{checkout!r}]
import kmc
from kmc.config import load_config
from kmc.simulation import Simulation
SLAB, BULK = {slab!r}, {bulk!r}
kind, params, cells = sys.argv[1], sys.argv[2], int(sys.argv[3])
EXTRA = sys.argv[4:]
if kind == "slab":
    sim = Simulation(load_config(params, SLAB + EXTRA))
    sim.step(100_000)
else:
    warm = Simulation(load_config(params, ["lattice.geometry=bulk", "lattice.cells=[3,3,3]",
                                           "composition.vacancy_fraction=0.05", "run.max_events=1"]))
    warm.step(100)
    sim = Simulation(load_config(params, BULK + ([f"lattice.cells=[{{cells}},{{cells}},{{cells}}]"] if cells else [])
                                 + EXTRA))
print("ready", kmc.__file__, flush=True)
for line in sys.stdin:
    n = int(line)
    if n == 0:
        break
    t0 = time.perf_counter()
    sim.step(n)
    print(time.perf_counter() - t0, flush=True)
occ = sim.occupancy.astype(np.int64)
print(repr(sim.time_s), int((occ * np.arange(occ.size)).sum()), flush=True)
"""


def start(checkout: str, kind: str, params: str, cells: int, extra: list[str]) -> subprocess.Popen:
    root = Path(checkout).resolve()
    env = dict(os.environ, PYTHONPATH=str(root))
    code = WORKER.format(checkout=str(root), slab=SLAB, bulk=BULK)
    proc = subprocess.Popen([sys.executable, "-c", code, kind, str(Path(params).resolve()), str(cells), *extra],
                            stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env, cwd=root)
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "ready":
        proc.kill()
        raise SystemExit(f"the worker for {checkout} did not start")
    if not Path(line[1]).resolve().is_relative_to(root):
        proc.kill()
        raise SystemExit(f"the worker for {checkout} imported kmc from {line[1]}, not from that checkout "
                         "(is it a checkout of this repository?)")
    print(f"{checkout}: kmc from {line[1]}" + (f", with {' '.join(extra)}" if extra else ""))
    return proc


def window(proc: subprocess.Popen, n: int) -> float:
    proc.stdin.write(f"{n}\n")
    proc.stdin.flush()
    return float(proc.stdout.readline())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=("slab", "bulk"))
    ap.add_argument("params")
    ap.add_argument("--a", required=True, help="checkout of version A")
    ap.add_argument("--b", required=True, help="checkout of version B")
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--window", type=int, default=100_000)
    ap.add_argument("--cells", default="",
                    help="bulk only: a periodic box of this many cells a side (default: BULK's 63); "
                         "NA,NB: A's and B's")
    for side in ("", "-a", "-b"):
        ap.add_argument(f"--set{side}", dest=f"set{side.replace('-', '_')}", action="append", default=[],
                        metavar="SECTION.KEY=VALUE",
                        help="an override of " + {"": "both boxes", "-a": "A's box", "-b": "B's box"}[side] + " (repeatable)")
    args = ap.parse_args()
    try:
        cells = [int(c) for c in args.cells.split(",")] if args.cells else [0]
    except ValueError:
        cells = []
    if args.cells and (args.kind != "bulk" or len(cells) not in (1, 2) or min(cells) < 3):
        ap.error(f"--cells {args.cells}: allowed only with bulk, one whole number of cells >= 3 or two joined by a comma")
    cells_a, cells_b = cells[0], cells[-1]
    a = start(args.a, args.kind, args.params, cells_a, args.set + args.set_a)
    b = start(args.b, args.kind, args.params, cells_b, args.set + args.set_b)
    walls_a, walls_b = [], []
    done = 0
    while done < args.events:
        n = min(args.window, args.events - done)
        walls_a.append(window(a, n))
        walls_b.append(window(b, n))
        done += n
    ends = []
    for proc in (a, b):
        proc.stdin.write("0\n")
        proc.stdin.flush()
        ends.append(proc.stdout.readline().split())
        proc.wait()
    ratios = sorted(wa / wb for wa, wb in zip(walls_a, walls_b))
    rate_a, rate_b = args.events / sum(walls_a), args.events / sum(walls_b)
    print(f"{args.kind}: A {rate_a / 1e6:.3f} M events/s, B {rate_b / 1e6:.3f} M events/s, B/A {rate_b / rate_a:.3f} "
          f"(per-window B/A: median {ratios[len(ratios) // 2]:.3f}, quartiles {ratios[len(ratios) // 4]:.3f}-"
          f"{ratios[3 * len(ratios) // 4]:.3f}, {len(ratios)} windows)")
    if cells_a != cells_b:
        print(f"boxes of {cells_a} and {cells_b} cells a side: A/B {rate_a / rate_b:.3f} is the cost growth from A's to B's")
        return 0
    same = "the same run" if ends[0] == ends[1] else "DIFFERENT RUNS"
    print(f"clocks and checksums: A {ends[0]}, B {ends[1]}: {same}")
    return 0 if ends[0] == ends[1] else 1


if __name__ == "__main__":
    sys.exit(main())
