"""Scans of `kmc meso`: many runs of the cell's interface, without files, here or on Dask (a pressure x current
grid; `kmc critical-current`'s bisections).  Each run is a pure function of its settings, so the numbers do not
depend on where it ran; a process keeps the pressed faces of its last few presses, which the runs of one seed
share (below)."""
from __future__ import annotations

import numpy as np

from kmc import validation


def meso_point(settings) -> dict:
    """One `kmc meso` run of ``settings`` in this process, without a file (a scan's point; module-level
    so that it pickles by reference to a worker): its samples (``series``, the model's observables over
    the samples), ``stop_reason`` and ``steps``.  The inputs' range is checked first
    (kmc.validation.check), as `kmc meso` checks it."""
    from kmc.cell.loop import run as run_cell
    from kmc.launch import cell_model_of
    validation.check(settings, "meso")          # InputRangeError before any work; its warnings are the caller's
    model = cell_model_of(settings)
    key = _start_from_kept(model)
    result = run_cell(model)
    _keep_start(model, key)
    return {"series": {k: np.asarray(v) for k, v in result.series.items()}, "stop_reason": result.stop_reason,
            "steps": int(result.steps)}


# A scan's runs at one seed press the same face: the press reads the face, the assembly and the metal, not the
# stripping's current, test pressure or stop (kmc.resolved.assembly.press_key).  Each process keeps the pressed
# faces of its last PRESSES_KEPT keys (each a model's start_record, given back by start_from_record as `kmc meso
# --press-from` gives a file's), so a pressure x current scan presses once per process and seed where it pressed
# once per run (the press is most of an area's start: docs/area.md section 6).  A run's start is the same bit for
# bit (initial_state copies the kept arrays).
PRESSES_KEPT = 4
_pressed_faces: dict = {}                     # press_key -> the model's start_record, oldest first


def _start_from_kept(model) -> str | None:
    """Give ``model`` the pressed face this process kept for its press_key, if any; the key (None where the
    model has no press of its own)."""
    from kmc.resolved.assembly import press_key
    key = press_key(model) if hasattr(model, "pressed_face") else None
    if key in _pressed_faces:
        model.start_from_record(_pressed_faces.pop(key), "a press kept in this process")
    return key


def _keep_start(model, key: str | None) -> None:
    """Keep ``model``'s pressed face under ``key`` as the newest, the oldest dropped beyond PRESSES_KEPT."""
    record = model.start_record() if key is not None else None
    if record is not None:
        _pressed_faces[key] = record
    while len(_pressed_faces) > PRESSES_KEPT:
        del _pressed_faces[next(iter(_pressed_faces))]


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
