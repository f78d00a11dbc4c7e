"""Where the independent pieces of a rate measurement run (FFS flux replicas and trial batches,
waiting-time runs, the points of an I(S) scan): in this process, or on Dask through the pool code
``kmc sweep`` uses (kmc.sweep_pool: ``connect`` to the cluster at ``scheduler``, ``dask_outcomes``).
``workers`` N starts a local Dask cluster of N single-threaded processes for the whole measurement:
FFS goes stage by stage, each stage a few short batches, so its workers must outlive a batch (the
sweep's local pool spawns its processes per list of runs, ~4 s each on this machine, which a stage
would pay again and again).

A piece is a module-level function and its arguments; it carries every seed it needs (each piece is
seeded from the run's seeds and its own index, never from the order in which pieces finish), and
its result is put back at its index, so a run on any number of workers gives the serial numbers bit
for bit (tests/test_rates_method.py).
"""
from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    index: int
    function: object           # module-level, so that it pickles by reference
    args: tuple


@dataclass(frozen=True)
class _PortableSettings:
    """A kmc.config.Settings as plain data (Settings itself does not pickle), rebuilt on the worker."""
    data: dict
    source: str
    fit_targets: tuple

    def settings(self):
        from kmc.config import Settings
        return Settings(self.data, self.source, self.fit_targets)


def _portable(arg):
    from kmc.config import Settings
    return _PortableSettings(arg.to_dict(), arg.source, arg.fit_targets) if isinstance(arg, Settings) else arg


def _restored(arg):
    return arg.settings() if isinstance(arg, _PortableSettings) else arg


def execute_piece(piece: Piece, folder: str) -> dict:
    """A worker's side (the ``execute`` of kmc.sweep_pool; ``folder`` unused): the piece's result or
    its error, as an outcome record."""
    wall = time.perf_counter()
    try:
        value = piece.function(*(_restored(a) for a in piece.args))
    except Exception as exc:
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                "wall_time_s": time.perf_counter() - wall}
    return {"status": "done", "value": value, "wall_time_s": time.perf_counter() - wall}


class PieceError(RuntimeError):
    """A piece failed on a worker (its message carries the worker's error)."""


class Runner:
    """Runs lists of pieces and returns their results in order.  ``workers`` None and no
    ``scheduler``: here, one after another.  ``progress``: a line on stderr that counts the pieces
    done (by default only when stderr is a terminal)."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, progress: bool | None = None):
        if workers is not None and scheduler is not None:
            raise ValueError("workers and scheduler both given; allowed: one of them (--workers N for local "
                             "processes, --scheduler ADDRESS for a Dask cluster)")
        if workers is not None and workers < 1:
            raise ValueError(f"workers = {workers}; allowed: an integer >= 1")
        self.workers = workers
        self.client = None
        if scheduler is not None:
            from kmc.sweep_pool import connect
            self.client = connect(scheduler)      # kmc.sweep_pool.PoolError (a ValueError) if it cannot
        elif workers is not None:
            self.client = local_client(workers)
        self.progress = sys.stderr.isatty() if progress is None else progress

    @property
    def where(self) -> str:
        if self.workers:
            return f"{self.workers} local workers"
        return "Dask cluster" if self.client is not None else "serial"

    @property
    def slots(self) -> int:
        """How many pieces run at once (1 here)."""
        if self.client is None:
            return 1
        return self.workers or max(1, sum(self.client.nthreads().values()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.client is not None:
            cluster = getattr(self.client, "_kmc_cluster", None)
            self.client.close()
            if cluster is not None:
                cluster.close()
            self.client = None

    def map(self, function, arg_tuples, label: str) -> list:
        """[function(*args) for args in arg_tuples], wherever the pieces run."""
        pieces = [Piece(k, function, tuple(_portable(a) for a in args)) for k, args in enumerate(arg_tuples)]
        results = [None] * len(pieces)
        for n, (piece, outcome) in enumerate(self._outcomes(pieces), 1):
            if outcome["status"] != "done":
                self._line(None)
                raise PieceError(f"{label}, piece {piece.index}: {outcome.get('error', outcome['status'])}")
            results[piece.index] = outcome["value"]
            self._line(f"{label}: {n}/{len(pieces)} pieces done ({self.where})")
        self._line(None)
        return results

    def _outcomes(self, pieces):
        if self.client is not None:
            from kmc.sweep_pool import dask_outcomes
            yield from dask_outcomes(pieces, "", self.client, execute_piece)
        else:
            for piece in pieces:      # here: an error propagates with its own traceback
                yield piece, {"status": "done", "value": piece.function(*(_restored(a) for a in piece.args))}

    def _line(self, text):
        if not self.progress:
            return
        sys.stderr.write(f"\r{text}\033[K" if text else "\r\033[K")
        sys.stderr.flush()


def local_client(workers: int):
    """A Dask client of a local cluster of ``workers`` single-threaded worker processes (closed with
    the client: Runner.close)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(f"--workers {workers} needs dask.distributed, which is not installed; allowed: "
                         "pip install -e '.[dask]', or no --workers (serial)") from None
    import logging
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    client._kmc_cluster = cluster        # closed with the client
    return client


SERIAL = Runner(progress=False)
