"""Wall-clock speed of one trajectory, for A/B comparisons of two code versions on the same run.

    PYTHONPATH=/path/to/checkout python benchmarks/ab_speed.py slab PARAMS [--events N]
    PYTHONPATH=/path/to/checkout python benchmarks/ab_speed.py bulk PARAMS [--events N]

Runs in the checkout PYTHONPATH names (a ``git worktree`` of the other commit), so the same
script times both versions.  ``slab``: 24x24x12 cells at A = 1e6 with stripping, a closed bottom
and no creep (the settings every version since f9b3c4d runs identically, so bond-form runs of old
and new code are the same trajectory); 1e5 untimed events, then ``--events`` timed.  ``bulk``:
kmc.benchmark's 5e5-site periodic box (1 % vacancies, seed 1), ``--events`` timed after a warm-up
on a tiny box.  Prints events/s and the run's clock and an occupancy checksum: equal clocks and
checksums show that the two versions ran the same trajectory.  Run the versions alternately in
fresh processes, a few rounds (a process's code layout moves rates by a few per cent).  Written
against the API both versions share (Simulation(load_config(...)), step, occupancy, time_s).
"""
import argparse
import time

import numpy as np

from kmc.config import load_config
from kmc.simulation import Simulation

SLAB = ["lattice.cells=[24,24,12]", "run.acceleration=1e6", "boundary.bottom=closed",
        "conditions.stack_pressure_MPa=0"]
BULK = ["lattice.geometry=bulk", "lattice.cells=[63,63,63]", "composition.vacancy_fraction=0.01",
        "run.seed=1", "run.max_events=1"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=("slab", "bulk"))
    ap.add_argument("params")
    ap.add_argument("--events", type=int, default=1_000_000)
    args = ap.parse_args()
    if args.kind == "slab":
        sim = Simulation(load_config(args.params, SLAB))
        sim.step(100_000)
    else:
        warm = Simulation(load_config(args.params, ["lattice.geometry=bulk", "lattice.cells=[3,3,3]",
                                                    "composition.vacancy_fraction=0.05", "run.max_events=1"]))
        warm.step(100)
        sim = Simulation(load_config(args.params, BULK))
    t0 = time.perf_counter()
    sim.step(args.events)
    wall = time.perf_counter() - t0
    occ = sim.occupancy.astype(np.int64)
    checksum = int((occ * np.arange(occ.size)).sum())
    print(f"{args.kind}: {args.events / wall / 1e6:.3f} M events/s  (clock {sim.time_s!r} s, "
          f"occupancy checksum {checksum})")


if __name__ == "__main__":
    main()
