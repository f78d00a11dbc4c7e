"""The bias of the fast-event scaling (run.fast_event_scaling; kmc.engine.fast, docs/physics.md section 12,
docs/pore_edge.md): the same small box at a pore's edge stripped to the same charge with the scaling off (every hop at
its own rate: the exact kMC) and on, over several seeds, and what the stripped vacancies did in each.

    python benchmarks/fast_event_bias.py [--params li_li2s] [--cells 10,10,8] [--monolayers 1]
        [--seeds 1-8] [--jobs 2] [--set SECTION.KEY=VALUE ...] [--json FILE]

For each seed, both runs start from the same configuration and random stream (the seed); the scaling
changes the trajectory, so the comparison is of distributions: each observable's mean over the seeds
with its standard error (the seeds' spread / sqrt(n)), off and on, their difference and the difference
over its combined standard error (z).  The observables, at the stop charge (kmc.analysis.edge):

- the pore's void: vacancies in the cluster that reaches the pore's mouth;
- the metal's recession: that void below the mouth's layer, in layers of the mouth's area;
- the contact line's motion: the rim's gap (the void's L1 sites under the electrolyte), as the mean
  retreat from the rim in nm;
- vacancies gone to the sinks below (exits through the box bottom less entries);
- what the stripped vacancies do on their way, averaged over the run's kMC time: the pore's void, the
  rim's gap, the vacancies outside the void (in transit: their number is their flux times their time in
  transit), the contact's vacancies, and the vacancies below the top three layers (on their way to the
  sinks);
- the contact fraction;
- and what the scaling is for: events per stripped atom, the kMC time and the wall time.

The table is the measurement: a difference within ~2 combined standard errors is no bias the seeds can
resolve; its tolerance is the seeds' own spread, not a number chosen here.  The runs use the parameter
file's physics at the box given (the stripe of the shipped sets at relative density 0.83) and its
acceleration.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

OBSERVABLES = (
    ("pore_vacancies", "the pore's void at the end (vacancies)"),
    ("recession_layers", "its metal's recession (layers)"),
    ("retreat_nm", "the contact line's retreat (nm)"),
    ("to_sinks", "gone to the sinks below (vacancies)"),
    ("void_mean", "the pore's void, time-averaged"),
    ("rim_gap_mean", "the rim's gap (sites), time-averaged"),
    ("transit_mean", "vacancies outside it, time-averaged"),
    ("contact_vacancies_mean", "contact's vacancies, time-averaged"),
    ("below_mean", "vacancies below L3, time-averaged"),
    ("contact_fraction", "contact fraction at the end"),
    ("events_per_strip", "events per stripped atom"),
    ("kmc_time_s", "kMC time (s)"),
    ("wall_s", "wall time (s)"),
)
# Layers from the top that hold the pore's void and the contact (kmc's interface region on [001]): the
# vacancies below them are on their way to the sinks.
TOP_LAYERS = 3


def one_run(params: str, overrides: list[str], seed: int, scaling: str, scheme: dict | None = None) -> dict:
    """One run to the stop charge; its observables (OBSERVABLES' keys).  The time averages are over samples
    at equal steps of kMC time, one per mean interval between strips (so both runs are sampled alike
    whatever their events), or, for the layers below, the exact time integral."""
    from kmc.analysis.edge import edge_state
    from kmc.engine import fast
    from kmc.config import load_config
    from kmc.simulation import Simulation
    settings = load_config(ROOT / "params" / f"{params}.toml",
                           overrides + [f"run.seed={seed}", f"run.fast_event_scaling={scaling == 'on'}".lower()])
    sim = Simulation(settings)
    if scheme and sim.fast_scaling is not None:   # the scheme's numerics (kmc.engine.fast.FastEventScaling)
        sim.fast_scaling = dataclasses.replace(sim.fast_scaling, **scheme)
    sim.compile_engine()
    stop = sim.stop_conditions()
    dt = 1.0 / sim.rates.strip_total_per_s
    samples = []
    t0 = time.perf_counter()
    while sim.stripped_atoms < stop.strip_atoms:
        reason = sim.step(10 ** 12, t_stop=sim.time_s + dt, strip_stop=stop.strip_atoms)
        edge = edge_state(sim.occupancy, sim.lattice, sim.pore)
        samples.append((edge.pore_vacancies, edge.other_vacancies, sim.l1_vacancy_count, edge.rim_gap_sites))
        if reason not in ("time", "charge"):
            break
    wall = time.perf_counter() - t0
    edge = edge_state(sim.occupancy, sim.lattice, sim.pore)
    counts = sim.event_counts()
    mean = np.mean(samples, axis=0)
    return {"seed": seed, "scaling": scaling, "events": sim.events, "stripped": sim.stripped_atoms,
            "pore_vacancies": edge.pore_vacancies, "recession_layers": edge.recession_layers,
            "retreat_nm": edge.retreat_A(sim.lattice, sim.pore.rim_length_A) / 10, "rim_gap_sites": edge.rim_gap_sites,
            "other_vacancies": edge.other_vacancies, "to_sinks": counts["exit_bulk"] - counts["enter_bulk"],
            "void_mean": float(mean[0]), "transit_mean": float(mean[1]), "contact_vacancies_mean": float(mean[2]),
            "rim_gap_mean": float(mean[3]),
            "below_mean": float(sim.time_averaged_layer_vacancies()[TOP_LAYERS:].sum()),
            "contact_fraction": sim.observables()["contact_fraction"],
            "events_per_strip": sim.events / max(sim.stripped_atoms, 1), "kmc_time_s": sim.time_s, "wall_s": wall,
            "fast": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in fast.record(sim).items()}}


def box_overrides(cells: str, monolayers: float) -> list[str]:
    """The overrides of the box and its stop: ``cells`` as "x,y,z", the stop charge in monolayers of L1."""
    return [f"lattice.cells=[{cells}]", "run.stop_stripped_mAh_cm2=0", f"run.stop_stripped_monolayers={monolayers}"]


def _stats(values: list[float]) -> tuple[float, float]:
    """(mean, standard error of the mean) over the seeds."""
    x = np.asarray(values, float)
    return float(x.mean()), (float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan)


def table(runs: list[dict]) -> str:
    """The comparison table of off against on."""
    lines = [f"{'observable':36s} {'off (exact)':>20s} {'on (scaled)':>20s} {'on - off':>12s} {'z':>6s}"]
    for key, name in OBSERVABLES:
        off = _stats([r[key] for r in runs if r["scaling"] == "off"])
        on = _stats([r[key] for r in runs if r["scaling"] == "on"])
        diff = on[0] - off[0]
        se = math.hypot(off[1], on[1])
        z = diff / se if se > 0 else math.nan
        fmt = ".4g"
        lines.append(f"{name:36s} {off[0]:>11{fmt}} ± {off[1]:<6.2g} {on[0]:>11{fmt}} ± {on[1]:<6.2g} "
                     f"{diff:>12{fmt}} {z:>6.2f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default="li_li2s", help="a parameter set of params/ (default li_li2s)")
    ap.add_argument("--cells", default="10,10,8", help="the box in cells, x,y,z (default 10,10,8)")
    ap.add_argument("--monolayers", type=float, default=1.0, help="the stop charge in monolayers of L1 (default 1)")
    ap.add_argument("--seeds", default="1-8", help="seeds, a range a-b or a comma list (default 1-8)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--set", dest="extra", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="an override of every run (repeatable)")
    ap.add_argument("--scheme", action="append", default=[], metavar="NAME=VALUE",
                    help="a parameter of the scaling's scheme (kmc.engine.fast.FastEventScaling: window_events, "
                         "min_executions, tolerance, separation, max_step) for the runs with it on (repeatable)")
    ap.add_argument("--off-from", default="", metavar="FILE",
                    help="take the exact runs (off) from an earlier --json of the same box, charge and seeds")
    ap.add_argument("--json", default="", help="also write every run's numbers to this file")
    args = ap.parse_args(argv)
    seeds = (list(range(int(args.seeds.split("-")[0]), int(args.seeds.split("-")[1]) + 1)) if "-" in args.seeds
             else [int(s) for s in args.seeds.split(",")])
    overrides = box_overrides(args.cells, args.monolayers) + args.extra
    scheme = {k: float(v) if k in ("tolerance", "separation", "max_step") else int(v)
              for k, v in (item.split("=", 1) for item in args.scheme)}
    earlier = []
    if args.off_from:
        stored = json.loads(Path(args.off_from).read_text())
        if (stored["params"], stored["cells"], stored["monolayers"], stored["overrides"]) != (
                args.params, args.cells, args.monolayers, args.extra):
            ap.error(f"{args.off_from} is of another box, charge or overrides")
        earlier = [r for r in stored["runs"] if r["scaling"] == "off" and r["seed"] in seeds]
    reused = {r["seed"] for r in earlier}
    jobs = [(args.params, overrides, seed, scaling, scheme) for seed in seeds for scaling in ("off", "on")
            if not (scaling == "off" and seed in reused)]
    print(f"{args.params} at {args.cells} cells to {args.monolayers:g} monolayers, seeds {seeds}, "
          f"{len(jobs)} runs on {args.jobs} workers", flush=True)
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = list(earlier)
        for r in pool.map(one_run, *zip(*jobs)):
            runs.append(r)
            print(f"  seed {r['seed']} {r['scaling']:3s}: {r['events']} events, {r['wall_s']:.0f} s, void "
                  f"{r['pore_vacancies']}, rim gap {r['rim_gap_sites']}, to the sinks {r['to_sinks']}", flush=True)
    print(table(runs))
    if args.json:
        Path(args.json).write_text(json.dumps({"params": args.params, "cells": args.cells, "monolayers": args.monolayers, "scheme": scheme,
                                               "overrides": args.extra, "runs": runs}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
