"""What a test tier costs, in CPU time, which a shared machine does not distort as it does wall time.

    python benchmarks/tier_cost.py                 # the fast tier (the README's `pytest`)
    python benchmarks/tier_cost.py -m slow         # the slow tier
    python benchmarks/tier_cost.py --cold          # after deleting the numba cache (a fresh clone)
    python benchmarks/tier_cost.py --by-file 30    # and the 30 costliest test files, with their worker
    python benchmarks/tier_cost.py --order         # and each worker's files in the order it ran them (the
                                                   # worker's tests' CPU done at each file's end): is the
                                                   # end of the tier balanced, or does one worker finish alone?
    python benchmarks/tier_cost.py -- -n 0 tests/test_meso.py   # any pytest arguments after --

Runs pytest as the README does (every core, a worker per core) with this file as a plugin, which
records each test's CPU time (its process's and its finished subprocesses') and each worker's total
(collection, compilation and tests).  Prints the tier's CPU, each worker's, and the wall time a quiet
machine would take: the busiest worker's CPU (each worker is busy all along, on its own core), plus
the costliest tests.  The README's test times come from here.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_ENV = "KMC_TIER_COST_DIR"
_ROWS: list[dict] = []


def _cpu_s(who) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# ---- the plugin half: active only in a pytest process that loads this module with -p tier_cost ----

def pytest_runtest_protocol(item, nextitem):
    """Around each test's setup, call and teardown (a hook wrapper: pytest runs the test inside)."""
    start, start_children = time.process_time(), _cpu_s(resource.RUSAGE_CHILDREN)
    yield
    _ROWS.append({"nodeid": item.nodeid, "cpu_s": time.process_time() - start
                  + _cpu_s(resource.RUSAGE_CHILDREN) - start_children})


pytest_runtest_protocol.hookwrapper = True


def pytest_sessionfinish(session, exitstatus):
    folder = os.environ.get(OUT_ENV)
    if folder:
        record = {"worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), "tests": _ROWS,
                  "cpu_s": _cpu_s(resource.RUSAGE_SELF) + _cpu_s(resource.RUSAGE_CHILDREN)}
        (Path(folder) / f"{os.getpid()}.json").write_text(json.dumps(record))


# ---- the command half ----

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-m", dest="marks", default=None, help="the tier's marker expression (default: pytest's, the fast tier)")
    ap.add_argument("--cold", action="store_true", help="delete the numba cache first (kmc/, lattices/)")
    ap.add_argument("--top", type=int, default=15, help="costliest tests to list")
    ap.add_argument("--by-file", type=int, default=0, metavar="N",
                    help="also list the N costliest test files (their tests' CPU summed, with the worker that ran them)")
    ap.add_argument("--order", action="store_true",
                    help="also list each worker's files in the order it ran them, with its tests' CPU done by each file's end")
    ap.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = ap.parse_args(argv)
    if args.cold:
        for folder in ("kmc", "lattices"):
            for path in (ROOT / folder).rglob("*.nb[ic]"):
                path.unlink()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, **{OUT_ENV: folder})
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "benchmarks"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        command = [sys.executable, "-m", "pytest", "-p", "tier_cost", "-q", "-p", "no:cacheprovider"]
        command += (["-m", args.marks] if args.marks is not None else []) + args.pytest_args
        start, load = time.perf_counter(), os.getloadavg()[0]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        records = [json.loads(p.read_text()) for p in Path(folder).glob("*.json")]
    status = done.returncode
    print("\n".join(done.stdout.strip().splitlines()[-1:]), done.stderr.strip(), sep="\n" if done.stderr.strip() else "")
    # with xdist the main process only hears the workers' tests (and its CPU holds theirs)
    workers = [r for r in records if r["tests"] and r["worker"] != "main"] or [r for r in records if r["tests"]]
    tests = [t for r in workers for t in r["tests"]]
    total = sum(r["cpu_s"] for r in workers)
    print(f"pytest exit {status}; {len(tests)} tests; wall {wall:.0f} s at load average {load:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"CPU: {total:.0f} s in {len(workers)} worker(s): "
          + ", ".join(f"{r['worker']} {r['cpu_s']:.0f} s" for r in sorted(workers, key=lambda r: r["worker"])))
    print(f"a quiet machine's wall time: ~{max((r['cpu_s'] for r in workers), default=0) / 60:.1f} min "
          "(the busiest worker's CPU)")
    for t in sorted(tests, key=lambda t: -t["cpu_s"])[:args.top]:
        print(f"{t['cpu_s']:7.1f} s  {t['nodeid']}")
    if args.by_file:
        files: dict[tuple, float] = {}
        for r in workers:
            for t in r["tests"]:
                key = (t["nodeid"].split("::")[0], r["worker"])
                files[key] = files.get(key, 0.0) + t["cpu_s"]
        print(f"costliest test files (tests' CPU; the rest of a worker's is collection and imports):")
        for (name, worker), cpu in sorted(files.items(), key=lambda kv: -kv[1])[:args.by_file]:
            print(f"{cpu:7.1f} s  {name}  ({worker})")
    if args.order:
        for r in sorted(workers, key=lambda r: r["worker"]):
            print(f"{r['worker']}'s files in order (s of its tests' CPU done at the file's end, the file's own):")
            done, runs = 0.0, []
            for t in r["tests"]:
                name = t["nodeid"].split("::")[0]
                if not runs or runs[-1][0] != name:
                    runs.append([name, 0.0])
                runs[-1][1] += t["cpu_s"]
            for name, cpu in runs:
                done += cpu
                print(f"{done:7.0f} s  {cpu:6.1f} s  {name}")
    return status


if __name__ == "__main__":
    sys.exit(main())
