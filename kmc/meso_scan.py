"""Scans of `kmc meso`: many runs of the cell's interface, without files, here or on Dask (a pressure x current
grid; `kmc critical-current`'s bisections).  Each run is a pure function of its settings, so the numbers do not
depend on where it ran; the runs of one seed share its pressed face, kept in the process and on disk
(kmc.cell.kept_starts: the press reads the face, the assembly and the metal, not the stripping's current, test
pressure or stop)."""
from __future__ import annotations

import numpy as np

from kmc import validation
from kmc.cell import kept_starts


def meso_point(settings) -> dict:
    """One `kmc meso` run of ``settings`` in this process, without a file (a scan's point; module-level
    so that it pickles by reference to a worker): its samples (``series``, the model's observables over
    the samples), ``stop_reason``, ``steps`` and, for the stop "unconverged", the solver's message
    (``unconverged``).  The inputs' range is checked first (kmc.validation.check), as `kmc meso` checks it."""
    from kmc.cell.loop import run as run_cell
    from kmc.launch import cell_model_of
    validation.check(settings, "meso")          # InputRangeError before any work; its warnings are the caller's
    model = cell_model_of(settings)
    key, _ = kept_starts.start_from_kept(model)      # a scan's runs of one seed press once (kmc.cell.kept_starts)
    result = run_cell(model)
    kept_starts.keep_start(model, key)
    return {"series": {k: np.asarray(v) for k, v in result.series.items()}, "stop_reason": result.stop_reason,
            "steps": int(result.steps), "unconverged": result.unconverged}


def meso_scan(settings_list, workers: int | None = None, scheduler: str | None = None, label: str = "meso scan",
              progress: bool | None = None) -> list[dict]:
    """``meso_point`` of every Settings of ``settings_list``, in its order, wherever the runs go: here one
    after another (``workers`` None, no ``scheduler``), on a local Dask cluster of ``workers``
    single-threaded processes, or on the running Dask scheduler at ``scheduler`` (kmc.sweep_pool.connect),
    through the pool code `kmc sweep` and `kmc rates` use (kmc.interface_rates.pieces.Runner).  A run is a
    pure function of its settings (its seed is run.seed), so the numbers do not depend on where it ran."""
    from kmc.interface_rates.pieces import Runner
    with Runner(workers, scheduler, progress=progress) as runner:
        return runner.map(meso_point, [(s,) for s in settings_list], label)
