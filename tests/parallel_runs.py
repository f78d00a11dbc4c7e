"""Independent runs of one test in processes of their own: pytest runs tests one after another,
so on a 2-core machine the second core idles through a test's long statistical runs unless the
test hands it some.  Each job is a module-level function and its arguments (the spawned processes
import its module: they get this process's sys.path); the results come back pickled, in order.
Every run is the one the test made before, seed for seed: only where it runs changes."""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def run_in_processes(jobs):
    """[fn(*args) for fn, args in jobs], each call in a fresh process ("spawn": nothing of this
    process's state, threads or JIT is shared but the numba cache on disk)."""
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(fn, *args) for fn, args in jobs]
        return [f.result() for f in futures]
