"""The engine against a reference event loop in C, on the same machine, the same box and the same
events (the engine's bulk speed target is stated against "a careful C loop").

    python benchmarks/c_reference.py [--sites 500000] [--events N] [--rounds 3] [--json]

``benchmarks/c_reference/bulk_loop.c`` runs the kMC of kmc.engine on kmc.benchmark's periodic
bulk box (second-moment form, Li0.97Mg0.03, 1 % vacancies): the same algorithm (vacancy-keyed
rows, a sum tree, refresh of what a hop changed) from a full neighbour table, with the rates read
off the model's own tables.  It is compiled here with gcc -O3 -march=native.  Each round builds
the box afresh and runs ``--events`` hops in C from a copy of its state and the same hops in the
engine, alternating in windows of 2e5 hops so that the machine's changing speed falls on both
alike, and checks that the two end bit for bit alike (site words, rate rows, tree, clock, RNG):
so both timed the same work.  Prints each round's events/s and the engine/C ratio.
The JIT is warmed on a tiny box first, so the figures are the event loop alone.
"""
from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kmc.benchmark import _warm_jit, bulk_box_settings, default_events
from kmc.rate_rules import CLASS_BULK
from kmc.simulation import Simulation

SOURCE = Path(__file__).resolve().parent / "c_reference" / "bulk_loop.c"
CFLAGS = ["-O3", "-march=native", "-ffp-contract=off", "-fPIC", "-shared"]
MEMO_SIZE = 4096     # bulk_loop.c's exp memo


class Box(ctypes.Structure):
    """bulk_loop.c's Box, field for field."""
    _fields_ = [("spl", ctypes.c_int64), ("nbr", ctypes.c_void_p), ("opposite", ctypes.c_void_p),
                ("second_via", ctypes.c_void_p), ("by_word", ctypes.c_void_p), ("kra_eV", ctypes.c_void_p),
                ("nu_Hz", ctypes.c_double), ("inv_kT", ctypes.c_double), ("cap", ctypes.c_int64),
                ("word", ctypes.c_void_p), ("site_vac", ctypes.c_void_p),
                ("vac_site", ctypes.c_void_p), ("rates", ctypes.c_void_p), ("tree", ctypes.c_void_p),
                ("stamp", ctypes.c_void_p),
                ("ints", ctypes.c_void_p), ("counts", ctypes.c_void_p), ("clock", ctypes.c_void_p),
                ("rng", ctypes.c_void_p), ("layer_vac", ctypes.c_void_p), ("layer_vac_time", ctypes.c_void_p),
                ("layer_last_t", ctypes.c_void_p), ("memo_key", ctypes.c_void_p), ("memo_val", ctypes.c_void_p)]


def build_library(cache_dir: Path | None = None) -> ctypes.CDLL:
    """Compile bulk_loop.c (once per source, flags and compiler: the library is cached by their
    hash) and load it."""
    cc = shutil.which(os.environ.get("CC", "gcc"))
    if cc is None:
        raise RuntimeError("the C reference needs a C compiler: gcc was not found (set CC to another)")
    version = subprocess.run([cc, "--version"], capture_output=True, text=True, check=True).stdout
    key = hashlib.sha256(SOURCE.read_bytes() + " ".join(CFLAGS).encode() + version.encode()).hexdigest()[:16]
    cache_dir = Path(cache_dir or Path(tempfile.gettempdir()) / "kmc-c-reference")
    cache_dir.mkdir(parents=True, exist_ok=True)
    lib = cache_dir / f"bulk_loop-{key}.so"
    if not lib.exists():
        tmp = lib.with_suffix(f".{os.getpid()}.tmp")
        subprocess.run([cc, *CFLAGS, "-o", str(tmp), str(SOURCE), "-lm"], check=True)
        os.replace(tmp, lib)
    dll = ctypes.CDLL(str(lib))
    dll.run_events.argtypes = [ctypes.POINTER(Box), ctypes.c_int64]
    dll.run_events.restype = ctypes.c_int64
    return dll


def check_supported(sim: Simulation):
    """The C loop runs hops in a periodic bulk box of the second-moment form and nothing else."""
    m = sim._rate_model
    problems = []
    if not sim.model.has_embedding:
        problems.append("the energy form is not the second-moment form")
    if sim.model.has_interface or not sim.lattice.periodic_z:
        problems.append("the box is not a periodic bulk box")
    if sim.lattice.orientation != "001":
        problems.append(f"the orientation is {sim.lattice.orientation}, not 001")
    if m.deep_hop_factor != 1.0:
        problems.append("the deep box is on")
    if np.any(np.asarray(m.layer_class) != CLASS_BULK):
        problems.append("a layer is not of the bulk class")
    r = sim.rates
    if r.strip_total_per_s or r.create_total_per_s or r.creep_per_void_site_full_contact_per_s:
        problems.append("a macroscopic event (stripping, creep, reservoir) is on")
    if sim.electrode_drive[1] != 0.0:
        problems.append("solute exchange with the electrode is on")
    if problems:
        raise ValueError("the C reference cannot run this box: " + "; ".join(problems))


class CState:
    """A copy of a simulation's mutable engine state, laid out for bulk_loop.c, with its Box."""

    def __init__(self, sim: Simulation):
        check_supported(sim)
        m = sim._rate_model
        g = sim._geometry
        lat = sim.lattice
        self.fixed = {
            "nbr": np.array(lat.neighbors, np.int32),
            "opposite": np.array(g.opposite, np.int32),
            "second_via": np.array(g.second_via, np.int64),
            "by_word": np.array(m.bulk_by_word, np.float64),
            "kra_eV": np.array(m.kra_eV, np.float64),
        }
        self.state = {
            "word": sim.site_word.copy(), "site_vac": sim.site_vacancy.copy(), "vac_site": sim.vacancy_site.copy(),
            "rates": sim.vacancy_rates.copy(), "tree": sim.tree.copy(),
            "stamp": sim.stamp.copy(), "ints": sim.ints.copy(), "counts": sim.counts.copy(),
            "clock": sim.clock.copy(), "rng": sim.rng.copy(), "layer_vac": sim.layer_vacancies.copy(),
            "layer_vac_time": sim.layer_vacancy_time.copy(), "layer_last_t": sim.layer_last_time.copy(),
            "memo_key": np.full(MEMO_SIZE, -1, np.int64), "memo_val": np.zeros(MEMO_SIZE),
        }
        expected = {"word": np.uint32, "site_vac": np.int32, "vac_site": np.int32,
                    "rates": np.float64, "tree": np.float64, "stamp": np.int64, "ints": np.int64, "counts": np.int64,
                    "clock": np.float64, "rng": np.uint64, "layer_vac": np.int64, "layer_vac_time": np.float64,
                    "layer_last_t": np.float64}
        for name, dtype in expected.items():
            a = self.state[name]
            if a.dtype != dtype or not a.flags.c_contiguous:
                raise TypeError(f"engine array {name} is {a.dtype} (contiguous: {a.flags.c_contiguous}); "
                                f"bulk_loop.c reads contiguous {np.dtype(dtype)}")
        # an empty site_vac (the indices live in the words) goes over as NULL
        ptr = {name: (a.ctypes.data if a.size else None) for name, a in {**self.fixed, **self.state}.items()}
        self.box = Box(spl=lat.sites_per_layer, nu_Hz=float(m.nu_Hz), inv_kT=float(m.inv_kT), cap=sim.capacity,
                       **ptr)

    def run(self, dll: ctypes.CDLL, events: int) -> int:
        done = dll.run_events(ctypes.byref(self.box), events)
        if done < 0:
            raise RuntimeError("a draw named the exit slot, which a bulk box does not have")
        return done


# What must end equal in the C copy and the engine (the engine's names).
COMPARED = {"word": "site_word", "site_vac": "site_vacancy", "vac_site": "vacancy_site", "rates": "vacancy_rates",
            "tree": "tree", "counts": "counts", "clock": "clock", "rng": "rng",
            "layer_vac": "layer_vacancies", "layer_vac_time": "layer_vacancy_time"}


def differences(c: CState, sim: Simulation) -> list[str]:
    """Names of the arrays in which the C copy and the engine differ, bit for bit."""
    return [name for name, attr in COMPARED.items()
            if not np.array_equal(c.state[name].view(np.uint8), getattr(sim, attr).view(np.uint8))]


def compare_round(dll, sites_: int, events: int, seed: int = 1, window: int = 200_000,
                  vacancy_fraction: float = 0.01) -> dict:
    """One round: a fresh box and a copy of its state, run ``events`` hops in C and in the engine,
    alternating every ``window`` hops (both follow the same trajectory, so each window is the same
    work for both, and a change in the machine's speed during the round falls on both alike)."""
    sim = Simulation(bulk_box_settings(sites_, seed, vacancy_fraction))
    c = CState(sim)
    c_wall = engine_wall = 0.0
    done = 0
    while done < events:
        n = min(window, events - done)
        t0 = time.perf_counter()
        c.run(dll, n)
        c_wall += time.perf_counter() - t0
        t0 = time.perf_counter()
        sim.step(n)
        engine_wall += time.perf_counter() - t0
        done += n
    differing = differences(c, sim)
    return {"sites": sim.lattice.n_sites, "vacancies": sim.vacancy_count, "events": events,
            "c_events_per_s": events / c_wall, "engine_events_per_s": events / engine_wall,
            "engine_over_c": c_wall / engine_wall, "identical": not differing, "differing": differing}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=500_000)
    ap.add_argument("--events", type=int, default=None, help="per round (default: kmc benchmark's)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    events = args.events or default_events(args.sites)
    dll = build_library()
    _warm_jit()
    rounds = []
    for _ in range(args.rounds):
        r = compare_round(dll, args.sites, events, args.seed)
        rounds.append(r)
        if not args.json:
            print(f"{r['sites']} sites, {r['vacancies']} vacancies, {events} events: C {r['c_events_per_s'] / 1e6:.3f} "
                  f"M/s, engine {r['engine_events_per_s'] / 1e6:.3f} M/s, engine/C {r['engine_over_c']:.2f}, "
                  f"end states {'identical' if r['identical'] else 'DIFFER in ' + ', '.join(r['differing'])}")
    ratio = sorted(r["engine_over_c"] for r in rounds)[len(rounds) // 2]
    if args.json:
        print(json.dumps({"rounds": rounds, "median_engine_over_c": ratio}))
    else:
        print(f"median engine/C: {ratio:.2f}")
    return 0 if all(r["identical"] for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
