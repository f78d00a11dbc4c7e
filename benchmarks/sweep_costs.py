"""What a sweep spec costs at its own settings, from a short piece of each of its points.

    python benchmarks/sweep_costs.py runs/pressure.toml                 # each point to 1/10 of its stop
    python benchmarks/sweep_costs.py runs/seed004.toml --fraction 0.01  # big boxes: a smaller piece

Each distinct point of the spec (replica 0; replicas differ only in their seed) runs in this process,
without a file, to ``fraction`` of its stripped-charge (or monolayer) stop; its CPU time and events
are scaled by 1 / fraction.  Events per stripped charge are close to constant over a run (the strip
rate is a fixed share of the total at a given acceleration), so the scaled figure is an estimate of
the whole run's cost, good to a few tens of per cent: a run that loses its contact early
(no_strippable_host) costs less.  Prints one line per point and the spec's total in CPU-minutes
(the wall time on a quiet machine; with W workers on W free cores, about total / W).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kmc.config import Settings
from kmc.simulation import Simulation
from kmc.sweep import expand_sweep


def piece(settings: Settings, fraction: float) -> tuple[Settings, str]:
    """The settings of a run stopped at ``fraction`` of its charge or monolayer stop."""
    run = settings.run
    if run.stop_stripped_mAh_cm2 > 0:
        return settings.with_overrides([f"run.stop_stripped_mAh_cm2={run.stop_stripped_mAh_cm2 * fraction!r}"]), \
            f"{run.stop_stripped_mAh_cm2:g} mAh/cm2"
    if run.stop_stripped_monolayers > 0:
        return settings.with_overrides([f"run.stop_stripped_monolayers={run.stop_stripped_monolayers * fraction!r}"]), \
            f"{run.stop_stripped_monolayers:g} ML"
    raise SystemExit("a point without a stripped-charge or monolayer stop: its cost cannot be scaled")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--fraction", type=float, default=0.1, help="share of each point's stop to run (0.1)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    args = parser.parse_args(argv)
    plan = expand_sweep(args.spec, args.overrides)
    if any(r.command != "run" for r in plan.runs):
        raise SystemExit(f"{args.spec}: a kmc meso sweep; this script measures kMC runs")
    points = [r for r in plan.runs if r.replica == 0]
    per_point = len(plan.runs) // len(points)
    Simulation(Settings(points[0].config, points[0].source).with_overrides(
        ["lattice.cells=[4,4,3]", "run.max_events=1000"])).run(None, progress=False)   # compile outside the timing
    total = 0.0
    print(f"{args.spec}: {len(plan.runs)} runs, {len(points)} points x {per_point} replicas; each point to "
          f"{args.fraction:g} of its stop, scaled")
    for r in points:
        settings, stop = piece(Settings(r.config, r.source), args.fraction)
        cpu0 = time.process_time()
        result = Simulation(settings).run(None, progress=False)
        cpu = (time.process_time() - cpu0) / args.fraction
        total += cpu * per_point
        varied = ", ".join(f"{k}={v}" for k, v in r.varied.items()) or "the base point"
        print(f"  {varied}: {result.events / args.fraction:.3g} events, ~{cpu:.0f} s CPU per run to {stop} "
              f"(acceleration {settings.run.acceleration:g}, {result.stop_reason} in the piece)")
    print(f"total: ~{total / 60:.0f} CPU-min ({len(plan.runs)} runs)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
