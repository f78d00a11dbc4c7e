"""The critical stripping current of a parameter set against stack pressure and temperature (issue 65;
``kmc critical-current``): for each (pressure, temperature), the lowest current density at which a run
of `kmc meso`'s interface model fails, bisected in log current.

A run fails when its contact falls below FAILED_CONTACT (0.1: seed 004's ~90 % loss, at which the
overpotential shoots up) before it has stripped the charge asked for; the run stops there, so a failing
run costs only its way to the failure.  The current enters the model's own rules (the stripping rate,
S, Butler-Volmer, the rate features must keep pace at), nothing else.  Each (pressure, temperature) is one
independent search (``CriticalSearch``), run in a worker process of kmc.sweep_pool (locally, or on a Dask
cluster) and recorded as JSON in the output folder, so an interrupted scan resumes where it stopped.
The answer of a search is its bracket, (holds at, fails at]: the critical current lies in it, and the
bisection's factor is its band."""
from __future__ import annotations

import json
import math
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

FAILED_CONTACT = 0.1
BRACKET_mA_cm2 = (0.05, 20.0)
FACTOR = 1.25
STOP_mAh_cm2 = 4.0


def stop_at_failure():
    """An observer of a cell-scale run that stops it after the first sample with contact < FAILED_CONTACT
    (stop reason "failed")."""
    from kmc.cell.loop import Observer

    class StopAtFailure(Observer):
        failed = False

        def on_sample(self, time_s, sample):
            self.failed = self.failed or sample["contact_fraction"] < FAILED_CONTACT

        def on_step(self, report):
            return "failed" if self.failed else False

    return StopAtFailure()


def log_bisect(fails, low: float, high: float, factor: float) -> dict:
    """The threshold of a predicate that is False below it and True from it on, in [low, high], to
    high/low <= factor, bisecting at the geometric mean.  ``fails(x)`` returns (bool, anything); each
    call is kept in ``evaluations`` as (x, bool, anything).  Result: ``status`` "bracketed" (threshold
    in (below, at_or_above]), "fails at low" (<= low) or "holds at high" (> high)."""
    if not (0 < low < high) or factor <= 1:
        raise ValueError(f"log_bisect: need 0 < low < high and factor > 1, got low {low}, high {high}, factor {factor}")
    evaluations = []

    def ask(x):
        failed, info = fails(x)
        evaluations.append((x, bool(failed), info))
        return bool(failed)

    if not ask(high):
        return dict(status="holds at high", below=high, at_or_above=None, evaluations=evaluations)
    if ask(low):
        return dict(status="fails at low", below=None, at_or_above=low, evaluations=evaluations)
    lo, hi = low, high
    while hi / lo > factor:
        mid = math.sqrt(lo * hi)
        if ask(mid):
            hi = mid
        else:
            lo = mid
    return dict(status="bracketed", below=lo, at_or_above=hi, evaluations=evaluations)


@dataclass(frozen=True)
class CriticalSearch:
    """One independent search: a parameter file with its overrides, at one pressure and temperature."""
    params: str
    overrides: tuple
    pressure_MPa: float
    temperature_K: float
    bracket_mA_cm2: tuple = BRACKET_mA_cm2
    factor: float = FACTOR
    stop_mAh_cm2: float = STOP_mAh_cm2
    name: str = field(default="", compare=False)

    def __post_init__(self):
        if not self.name:
            object.__setattr__(self, "name", f"P{self.pressure_MPa:g}_T{self.temperature_K:g}")

    def settings(self, current_mA_cm2: float):
        from kmc.config import load_config
        return load_config(self.params, [*self.overrides, f"conditions.stack_pressure_MPa={self.pressure_MPa!r}",
                                         f"conditions.temperature_K={self.temperature_K!r}",
                                         f"conditions.current_density_mA_cm2={current_mA_cm2!r}",
                                         f"meso.stop_stripped_mAh_cm2={self.stop_mAh_cm2!r}"])


def probe(search: CriticalSearch, current_mA_cm2: float) -> dict:
    """One run of the search's model at this current, stopped at its failure: what decides it."""
    from kmc.cell.loop import run
    from kmc.launch import cell_model_of
    model = cell_model_of(search.settings(current_mA_cm2))
    cpu = time.process_time()
    out = run(model, stop_at_failure())
    s = out.series
    q, contact = s["stripped_charge"], s["contact_fraction"]
    failed_at = q[contact < FAILED_CONTACT]
    failed = out.stop_reason in ("failed", "contact_lost")
    eta = np.asarray(s["overpotential"], float)
    finite = eta[np.isfinite(eta)]
    return dict(current_mA_cm2=current_mA_cm2, failed=failed,
                failure_mAh_cm2=float(failed_at[0]) if failed_at.size else (float(q[-1]) if failed else None),
                reached_mAh_cm2=float(q[-1]) if q.size else 0.0, lowest_contact=float(contact.min()),
                highest_overpotential_mV=float(finite.max()) if finite.size else math.nan,
                supersaturation_start=float(s["supersaturation"][0]), steps=out.steps,
                cpu_time_s=time.process_time() - cpu)


def search(task: CriticalSearch) -> dict:
    """The bisection of one (pressure, temperature): its bracket and every probe."""
    found = log_bisect(lambda i: (lambda r: (r["failed"], r))(probe(task, i)), *task.bracket_mA_cm2, task.factor)
    return dict(search=asdict(task), status=found["status"], holds_at_mA_cm2=found["below"],
                fails_at_mA_cm2=found["at_or_above"], probes=[r for _, _, r in found["evaluations"]])


def record_path(folder, task: CriticalSearch) -> Path:
    return Path(folder) / f"{task.name}.json"


def execute(task: CriticalSearch, folder: str) -> dict:
    """A worker's job (kmc.sweep_pool): the search, written to its record; an outcome record back."""
    start = time.perf_counter()
    try:
        result = search(task)
    except Exception as exc:
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                "wall_time_s": time.perf_counter() - start}
    path = record_path(folder, task)
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(result, indent=1, default=float))
    tmp.replace(path)
    return {"status": "done", "wall_time_s": time.perf_counter() - start}


def done_record(folder, task: CriticalSearch) -> dict | None:
    """The record of a search already made with the same inputs (None: none, or other inputs)."""
    path = record_path(folder, task)
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    return record if record["search"] == json.loads(json.dumps(asdict(task), default=float)) else None


def scan(tasks: list[CriticalSearch], folder, workers: int = 1, scheduler: str | None = None, on_result=None) -> list:
    """Every search, those without a record run on ``workers`` local processes (or the Dask cluster at
    ``scheduler``); ``on_result(task, record or outcome)`` as each finishes.  Returns the records in the
    tasks' order (None where a search failed)."""
    from kmc.sweep_pool import StopSignals, connect, dask_outcomes, local_outcomes
    Path(folder).mkdir(parents=True, exist_ok=True)
    todo = [t for t in tasks if done_record(folder, t) is None]
    if todo:
        with StopSignals() as stop:
            if scheduler is not None:
                outcomes = dask_outcomes(todo, str(folder), connect(scheduler), execute)
            else:
                outcomes = local_outcomes(todo, str(folder), min(workers, len(todo)), stop, execute,
                                          lambda task: "pending")
            for task, outcome in outcomes:
                if on_result is not None:
                    on_result(task, done_record(folder, task) or outcome)
            if stop.received is not None:
                raise KeyboardInterrupt
    return [done_record(folder, t) for t in tasks]
