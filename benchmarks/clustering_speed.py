"""Events/s against vacancy clustering on the bulk benchmark box.

    python benchmarks/clustering_speed.py                  # 5e5 sites, 8 windows of 2e5 events
    python benchmarks/clustering_speed.py --sites 4e6 --window 1e6 --windows 6

At 298 K the 1 % vacancies of the bulk box are far above their equilibrium concentration and
condense into voids within a few hundred hops each.  An event recomputes in full the rates of every
vacancy next to the two sites it changes, so its cost follows the number of vacancy neighbours a
vacancy has: 0.08 when they are placed at random, 3-4 once they sit in voids.  This prints the
rate of each window with that number before and after it, as a table and as JSON.
"""
import argparse
import json
import time

from kmc import benchmark as bm
from kmc.simulation import Simulation

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--sites", type=float, default=5e5)
parser.add_argument("--window", type=float, default=2e5, help="events per window")
parser.add_argument("--windows", type=int, default=8)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()

window = int(args.window)
settings = bm.bulk_box_settings(int(args.sites), args.seed)
bm._warm_jit()
sim = Simulation(settings)
rows = []
for _ in range(args.windows):
    before = bm.vacancy_neighbours_per_vacancy(sim)
    t0 = time.perf_counter()
    sim.step(window)
    wall = time.perf_counter() - t0
    row = {"events_done": sim.events, "vacancy_neighbours_before": before,
           "vacancy_neighbours_after": bm.vacancy_neighbours_per_vacancy(sim), "events_per_s": window / wall}
    rows.append(row)
    print(f"events {row['events_done']:>10d}   vacancy neighbours per vacancy {before:4.2f} -> "
          f"{row['vacancy_neighbours_after']:4.2f}   {row['events_per_s'] / 1e6:5.2f} M events/s", flush=True)
print(json.dumps({"sites": sim.lattice.n_sites, "vacancies": sim.vacancy_count, "window_events": window,
                  "windows": rows}, indent=2))
