"""Where a sweep's runs run: a local pool of spawned worker processes (one run at a time each, a
dead worker reported and replaced, stop signals forwarded so that running runs end resumable) or a
Dask cluster.  Each run is ``execute(run, folder)`` (kmc.sweep.execute_run) and comes back as an
outcome record."""
from __future__ import annotations

import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from dataclasses import dataclass


class PoolError(ValueError):
    """A cluster that cannot be used; the message says what is wrong and what is allowed."""


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _outcome(future) -> dict:
    try:
        return future.result()
    except Exception as exc:       # the worker process died (BrokenProcessPool, KilledWorker, ...)
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": "", "wall_time_s": math.nan}


STOP_GRACE_S = 60.0   # after a stop signal, how long workers get to end their runs (after the current
                      # chunk, checkpoint written) before they are killed; a killed run resumes anyway


class StopSignals:
    """Records SIGINT / SIGTERM instead of dying on them, while a local pool runs (main thread only).

    The pool then forwards SIGTERM to its workers, which end their runs as interrupted (checkpoint
    and ``.partial`` kept), waits for them, and returns; the caller exits with ``128 + signal``.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.received = None
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._record)
        return self

    def _record(self, signum, frame):
        if self.received is None:
            self.received = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _worker_main(folder: str, conn, execute):
    """A worker process: runs sent through ``conn`` one after another, each executed by
    ``execute(run, folder)`` and its outcome sent back; None (or the pool's end of the pipe closing)
    ends it.

    SIGINT is ignored until a simulation installs its own handler: the pool forwards a stop as
    SIGTERM, and a terminal's Ctrl-C must not raise KeyboardInterrupt while the worker starts.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            run = conn.recv()
        except EOFError:
            return
        if run is None:
            return
        conn.send(execute(run, folder))


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    run: object = None   # the run it is doing (a kmc.sweep.PlannedRun)


def _death_record(exitcode: int) -> dict:
    """The outcome of a worker that exited without reporting (killed, out of memory, crashed)."""
    if exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
        if exitcode == -signal.SIGKILL:
            how += " (out of memory, or killed from outside)"
    else:
        how = f"exited with code {exitcode} without reporting"
    return {"status": "failed", "error": f"WorkerDied: the worker process {how}; the run is redone (from its "
            "last checkpoint) on the next invocation", "traceback": "", "wall_time_s": math.nan}


def local_outcomes(todo, folder: str, workers: int, stop: StopSignals, execute, state_of):
    """(run, outcome) as runs finish on at most ``workers`` spawned worker processes (fresh
    interpreters, as on a cluster: they load the engine from numba's cache and inherit no state of
    this process), each doing one run at a time.

    A worker that dies is reported as failed for the run it was doing, without touching the others,
    and replaced.  When ``stop`` records a signal, no further run starts, the workers get SIGTERM
    (busy ones end their runs as interrupted, resumable; idle ones end), and after ``STOP_GRACE_S``
    any still alive are killed; nothing of the pool, nor the multiprocessing resource tracker,
    outlives this generator.  ``state_of(run)``: the state ('done', 'pending', ...) of a run whose
    worker ended it as interrupted.
    """
    context = multiprocessing.get_context("spawn")
    waiting = list(todo)
    pool: dict[int, _Worker] = {}   # process sentinel -> worker
    forwarded_at = None

    def give_work(worker):
        worker.run = waiting.pop(0) if waiting and stop.received is None and worker.process.is_alive() else None
        try:
            worker.conn.send(worker.run)   # None: nothing more, the worker ends
        except OSError:                    # it died meanwhile (its sentinel tells): the run waits
            if worker.run is not None:
                waiting.insert(0, worker.run)
            worker.run = None

    try:
        while pool or (waiting and stop.received is None):
            while waiting and stop.received is None and len(pool) < workers:
                conn, child_conn = context.Pipe()
                proc = context.Process(target=_worker_main, args=(folder, child_conn, execute), daemon=True,
                                       name="kmc-sweep-worker")
                proc.start()
                child_conn.close()
                worker = _Worker(proc, conn)
                pool[proc.sentinel] = worker
                give_work(worker)
            if stop.received is not None and forwarded_at is None:
                forwarded_at = time.monotonic()
                for worker in pool.values():
                    _signal_process(worker.process, signal.SIGTERM)
            if forwarded_at is not None and time.monotonic() - forwarded_at > STOP_GRACE_S:
                for worker in pool.values():
                    _signal_process(worker.process, signal.SIGKILL)
            ready = multiprocessing.connection.wait([w.conn for w in pool.values()] + list(pool), timeout=0.5)
            for key, worker in list(pool.items()):
                if worker.conn in ready and worker.run is not None:
                    try:
                        outcome = worker.conn.recv()
                    except (EOFError, OSError):
                        outcome = None   # it died before sending: its sentinel tells
                    if outcome is not None:
                        run = worker.run
                        give_work(worker)
                        yield run, outcome
                if key in ready:
                    worker.process.join()
                    del pool[key]
                    run, outcome = worker.run, None
                    if run is not None and worker.conn.poll():   # sent just before exiting
                        try:
                            outcome = worker.conn.recv()
                        except (EOFError, OSError):
                            pass
                    worker.conn.close()
                    if run is None:
                        continue
                    if outcome is None:
                        outcome = (_death_record(worker.process.exitcode) if stop.received is None else
                                   {"status": state_of(run), "stop_reason": "interrupted",
                                    "wall_time_s": math.nan})
                    yield run, outcome
    finally:
        for worker in pool.values():   # only if the consumer stopped early
            _signal_process(worker.process, signal.SIGKILL)
            worker.process.join()
            worker.conn.close()
        _stop_resource_tracker()


def _signal_process(proc, signum):
    try:
        os.kill(proc.pid, signum)
    except ProcessLookupError:
        pass


def _stop_resource_tracker():
    """End multiprocessing's resource tracker process once no worker is left.  It would end by itself
    when every holder of its pipe has exited; stopping it here means a sweep that returns leaves no
    process behind even if this interpreter lives on (a notebook, a test)."""
    from multiprocessing import resource_tracker
    stop_tracker = getattr(resource_tracker._resource_tracker, "_stop", None)   # CPython >= 3.8
    if stop_tracker is not None:
        stop_tracker()


def dask_outcomes(todo, folder: str, client, execute):
    """(run, outcome) as runs finish on a Dask distributed cluster."""
    from dask.distributed import as_completed
    futures = {client.submit(execute, run, folder, pure=False): run for run in todo}
    try:
        for future in as_completed(list(futures)):
            yield futures[future], _outcome(future)
    finally:
        client.cancel(list(futures))


def connect(scheduler: str):
    try:
        from dask.distributed import Client
    except ImportError:
        raise PoolError(f"--scheduler {scheduler} needs dask.distributed, which is not installed; allowed: "
                         "pip install -e '.[dask]', or no --scheduler (local processes)") from None
    try:
        return Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise PoolError(f"cannot connect to the Dask scheduler {scheduler!r} ({exc}); allowed: the address "
                         "of a running scheduler, e.g. tcp://127.0.0.1:8786") from None
