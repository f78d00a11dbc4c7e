"""Fingerprints of short trajectories, to show that a change keeps every run bit-identical.

    python benchmarks/trajectory_hashes.py              # print the fingerprints
    python benchmarks/trajectory_hashes.py --check      # compare with benchmarks/trajectory_hashes.json
    python benchmarks/trajectory_hashes.py --save       # store them (only when physics is meant to change)
    python benchmarks/trajectory_hashes.py --check --set electrolyte.box_pore=none
                                                        # every case with an override added (here: the
                                                        # perfect interface, which must give the
                                                        # fingerprints from before the box's pore)
    python benchmarks/trajectory_hashes.py --bond --check   # the same cases with the bond-form files
                                                           # (params/*_bond.toml); both stores were
                                                           # re-saved when the electrode's boundary, creep
                                                           # and contact physics landed, and
                                                           # once more when the box's hops took
                                                           # the formation entropy

Each case runs a fixed number of events from its seed and hashes the engine state that decides the
trajectory (site words, vacancy order and rate rows, clock, RNG, counts, layer integrals, tracers,
the electrode's arrays), from which every observable follows.  Two arrays are left out: the exp
memo, a direct-mapped cache whose entries depend on the order in which rates are evaluated but
whose values are exact (a hit returns the bits a miss computes), and the refresh stamps, which
only tell one event's refresh which vacancies it has done; so a change that only reorders the
work inside an event keeps its fingerprints (checkpoints still hold both, for bit-identical
resumes).  The cases cover the engine's paths: the bulk table and its interior fast path, the
interface path with stripping and creep, the solute with tracers, a [110] lattice with a stored
neighbour table, and the reservoir boundary.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from kmc.config import load_config
from kmc.simulation import Simulation

ROOT = Path(__file__).resolve().parent.parent
STORE = Path(__file__).with_suffix(".json")
# The bond form's fingerprints: those of f9b3c4d, the code before this restructuring, with the
# shipped files of then (now params/*_bond.toml).
STORE_BOND = Path(__file__).with_name("trajectory_hashes_bond.json")

# The slab cases pin run.acceleration = 1e6 (the shipped value until docs/rates.md §5 lowered it to 1e4): at
# 1e4 their few hundred thousand events would strip almost nothing, and the strip and creep
# paths are what they are there to cover.
CASES = {
    "bulk_limg": ("limg_li2s", ["lattice.geometry=bulk", "lattice.cells=[24,24,24]",
                                "composition.vacancy_fraction=0.01", "run.max_events=300000"], 300_000),
    "slab_li": ("li_li2s", ["lattice.cells=[12,12,8]", "run.acceleration=1e6"], 400_000),
    "slab_limg_tracers": ("limg_li2s", ["lattice.cells=[12,12,8]", "tracers.count=200", "run.acceleration=1e6"],
                          400_000),
    "slab_110": ("limg_li2s", ["lattice.orientation='110'", "lattice.cells=[6,8,4]", "run.acceleration=1e6"], 200_000),
    "slab_reservoir_creep": ("li_li2s", ["lattice.cells=[10,10,6]", "run.acceleration=1e6", "boundary.bottom=reservoir",
                                         "boundary.supersaturation=1e4", "conditions.stack_pressure_MPa=3",
                                         "conditions.temperature_K=400"], 200_000),
}


# Names that changed without their content changing (species as data), so fingerprints taken
# before and after a rename compare.
RENAMED = {"l1_li": "l1_host", "l1_li_pos": "l1_host_pos", "interface_solute_fraction": "interface_solute_fraction",
           "tracer_msd_host": "tracer_msd_host", "tracer_msd_solute": "tracer_msd_solute",
           "tracer_jumps_host": "tracer_jumps_host", "tracer_jumps_solute": "tracer_jumps_solute"}


# Engine arrays that do not decide the trajectory (see the module docstring).
CACHES = ("memo_key", "memo_val", "stamp")


# The fast-event scaling's arrays (run.fast_event_scaling): the fingerprints are of the exact kMC, the key
# off (an override of every case, whatever the parameter file says), where they hold their start values
# and decide nothing.
FAST_EVENT_ARRAYS = ("fast_scale", "fast_counts", "fast_window", "fast_windows")
EXACT = ["run.fast_event_scaling=false"]


def fingerprint(params: str, overrides: list[str], events: int) -> str:
    sim = Simulation(load_config(ROOT / "params" / f"{params}.toml", EXACT + overrides))
    sim.step(events)
    digest = hashlib.sha256()
    state = {RENAMED.get(k, k): v for k, v in sim.get_state().items()}
    n_vac = int(state["ints"][0])
    for name in sorted(state):
        if name in CACHES or (name in FAST_EVENT_ARRAYS and sim.fast_scaling is None):
            continue
        value = np.asarray(state[name])
        if name in ("vacancy_site", "vacancy_rates", "stamp"):
            value = value[:n_vac]
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()[:16]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--save", action="store_true")
    ap.add_argument("--bond", action="store_true", help="use params/*_bond.toml (the first-neighbour bond energy)")
    ap.add_argument("--set", dest="extra", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="an override added to every case (repeatable)")
    args = ap.parse_args(argv)
    store = STORE_BOND if args.bond else STORE
    prints = {}
    for name, (params, overrides, events) in CASES.items():
        prints[name] = fingerprint(params + ("_bond" if args.bond else ""), overrides + args.extra, events)
        print(f"{name:22s} {prints[name]}", flush=True)
    if args.save:
        store.write_text(json.dumps(prints, indent=1) + "\n")
        print(f"saved {store}")
    if args.check:
        stored = json.loads(store.read_text())
        bad = [k for k in stored if stored[k] != prints.get(k)]
        print("bit-identical" if not bad else f"CHANGED: {', '.join(bad)}")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
