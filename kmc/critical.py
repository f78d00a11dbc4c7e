"""The critical stripping current of a parameter set against stack pressure and temperature (docs/mechanics.md §10.5;
``kmc critical-current``): for each (pressure, temperature), the lowest current density at which a run
of `kmc meso`'s interface model fails, bisected in log current.

A run fails when its contact falls to FAILED_CONTACT (0.1: seed 004's ~90 % loss, at which the
overpotential shoots up) before it has stripped the charge asked for; the run stops there
(meso.stop_contact_fraction), so a failing run costs only its way to the failure.  The current enters
the model's own rules (the stripping rate, S, Butler-Volmer, the rate features must keep pace at),
nothing else.  Each (pressure, temperature) is one independent bisection (``Bisection``); the scan asks
every unfinished bisection's next current at once, one round after another, through kmc.meso_scan.meso_scan
(here, on local worker processes or on a Dask scheduler; a run is a pure function of its settings, so the
answer does not depend on where it ran).  Each search's probes are recorded as JSON in the output folder
after every round, so an interrupted scan resumes where it stopped.  The answer of a search is its bracket,
(holds at, fails at]: the critical current lies in it, and the bisection's factor is its band."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

FAILED_CONTACT = 0.1
BRACKET_mA_cm2 = (0.05, 20.0)
FACTOR = 1.25
STOP_mAh_cm2 = 4.0


def stop_at_failure():
    """An observer of a cell-scale run that stops it after the first sample with contact < FAILED_CONTACT
    (stop reason "failed"): for runs made in this process (benchmarks/meso_mechanics.py); a scan's runs stop
    by meso.stop_contact_fraction instead (CriticalSearch.settings)."""
    from kmc.cell.loop import Observer

    class StopAtFailure(Observer):
        failed = False

        def on_sample(self, time_s, sample):
            self.failed = self.failed or sample["contact_fraction"] < FAILED_CONTACT

        def on_step(self, report):
            return "failed" if self.failed else False

    return StopAtFailure()


class Bisection:
    """The threshold of a predicate that is False below it and True from it on, in [low, high], to
    high/low <= factor, bisecting at the geometric mean; asked one value at a time (``next``, ``tell``) so
    that many run side by side.  The high end is asked first (a search that holds there is done), then the
    low end, then midpoints.  ``status``: None while running, then "bracketed" (threshold in (below,
    at_or_above]), "fails at low" (<= low) or "holds at high" (> high)."""

    def __init__(self, low: float, high: float, factor: float):
        if not (0 < low < high) or factor <= 1:
            raise ValueError(f"Bisection: need 0 < low < high and factor > 1, got low {low}, high {high}, "
                             f"factor {factor}")
        self.low, self.high, self.factor = low, high, factor
        self.asked: list[tuple[float, bool]] = []
        self.below = self.at_or_above = None
        self.status = None

    def next(self) -> float | None:
        """The value to ask next (None: done)."""
        if self.status is not None:
            return None
        if not self.asked:
            return self.high
        if self.below is None:
            return self.low
        return math.sqrt(self.below * self.at_or_above)

    def tell(self, value: float, failed: bool):
        """The answer at ``value`` (which must be ``next()``)."""
        if value != self.next():
            raise ValueError(f"Bisection: told {value}, asked {self.next()}")
        self.asked.append((value, bool(failed)))
        if len(self.asked) == 1:
            if not failed:
                self.status, self.below = "holds at high", value
            else:
                self.at_or_above = value
            return
        if len(self.asked) == 2:
            if failed:
                self.status, self.at_or_above = "fails at low", value
                return
            self.below = value
        elif failed:
            self.at_or_above = value
        else:
            self.below = value
        if self.at_or_above / self.below <= self.factor:
            self.status = "bracketed"


def log_bisect(fails, low: float, high: float, factor: float) -> dict:
    """``Bisection`` with one predicate asked in turn: ``fails(x)`` returns (bool, anything), each call kept in
    ``evaluations`` as (x, bool, anything)."""
    b = Bisection(low, high, factor)
    evaluations = []
    while (x := b.next()) is not None:
        failed, info = fails(x)
        evaluations.append((x, bool(failed), info))
        b.tell(x, failed)
    return dict(status=b.status, below=b.below, at_or_above=b.at_or_above, evaluations=evaluations)


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
        """The run at this current: the user's file and --set texts, then the search's own values."""
        from kmc.config import load_config
        return load_config(self.params, list(self.overrides)).replaced(
            conditions={"stack_pressure_MPa": self.pressure_MPa, "temperature_K": self.temperature_K,
                        "current_density_mA_cm2": current_mA_cm2},
            meso={"stop_stripped_mAh_cm2": self.stop_mAh_cm2, "stop_contact_fraction": FAILED_CONTACT})

    def bisection(self) -> Bisection:
        return Bisection(*self.bracket_mA_cm2, self.factor)


def probe_summary(point: dict, current_mA_cm2: float) -> dict:
    """What decides one run (a kmc.meso_scan.meso_point) at this current: failed (its contact fell to
    FAILED_CONTACT before the stop charge), where, and how it went.  A run that stopped short of both (a solve
    unconverged) neither holds nor fails: ValueError (``scan`` records the round's other runs, then stops)."""
    if point["stop_reason"] not in ("stripped", "contact_lost"):
        raise ValueError(f"the run at {current_mA_cm2:g} mA/cm2 stopped {point['stop_reason']} "
                         f"({point.get('unconverged') or 'no message'}): it neither holds nor fails, so the search "
                         "cannot go on")
    s = point["series"]
    q, contact = np.asarray(s["stripped_charge"], float), np.asarray(s["contact_fraction"], float)
    failed = point["stop_reason"] == "contact_lost"
    eta = np.asarray(s["overpotential"], float)
    finite = eta[np.isfinite(eta)]
    return dict(current_mA_cm2=current_mA_cm2, failed=failed,
                failure_mAh_cm2=float(q[-1]) if failed else None,
                reached_mAh_cm2=float(q[-1]) if q.size else 0.0,
                lowest_contact=float(contact.min()) if contact.size else math.nan,
                highest_overpotential_mV=float(finite.max()) if finite.size else math.nan,
                supersaturation_start=float(s["supersaturation"][0]) if len(s["supersaturation"]) else math.nan,
                steps=int(point["steps"]))


def record_path(folder, task: CriticalSearch) -> Path:
    return Path(folder) / f"{task.name}.json"


def _inputs(task: CriticalSearch) -> dict:
    return json.loads(json.dumps(asdict(task), default=float))


def read_probes(folder, task: CriticalSearch) -> list[dict]:
    """The probes already recorded for a search with the same inputs ([]: none, or other inputs)."""
    path = record_path(folder, task)
    if not path.exists():
        return []
    record = json.loads(path.read_text())
    return record["probes"] if record.get("search") == _inputs(task) else []


def record(task: CriticalSearch, bisection: Bisection, probes: list[dict]) -> dict:
    return dict(search=_inputs(task), status=bisection.status or "running", holds_at_mA_cm2=bisection.below,
                fails_at_mA_cm2=bisection.at_or_above, probes=probes)


def _write(folder, task, rec):
    path = record_path(folder, task)
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(rec, indent=1, default=float))
    tmp.replace(path)


def scan(tasks: list[CriticalSearch], folder, workers: int | None = None, scheduler: str | None = None,
         on_result=None) -> list[dict]:
    """Every search, in rounds: each unfinished search's next current, all run at once by kmc.meso_scan.meso_scan
    (here with ``workers`` None, on ``workers`` local processes, or on the Dask scheduler at ``scheduler``);
    each search's record written after every round (resumed from it: the bisection replays its recorded
    probes); ``on_result(task, record)`` as each search finishes.  Returns the records in the tasks' order;
    ValueError after a round in which a run neither held nor failed (probe_summary), its other runs recorded."""
    from kmc.meso_scan import meso_scan
    Path(folder).mkdir(parents=True, exist_ok=True)
    states = []
    for task in tasks:
        b, probes = task.bisection(), []
        for p in read_probes(folder, task):
            if b.next() != p["current_mA_cm2"]:
                break
            b.tell(p["current_mA_cm2"], p["failed"])
            probes.append(p)
        states.append((task, b, probes))
        if b.status is not None and on_result is not None:
            on_result(task, record(task, b, probes))
    while True:
        asks = [(task, b, probes, b.next()) for task, b, probes in states if b.status is None]
        if not asks:
            break
        points = meso_scan([task.settings(current) for task, _, _, current in asks], workers, scheduler,
                           label="critical current")
        undecided = []                 # runs that neither held nor failed: the round's others are recorded first
        for (task, b, probes, current), point in zip(asks, points):
            try:
                summary = probe_summary(point, current)
            except ValueError as exc:
                undecided.append(f"{task.name}: {exc}")
                continue
            probes.append(summary)
            b.tell(current, summary["failed"])
            _write(folder, task, record(task, b, probes))
            if b.status is not None and on_result is not None:
                on_result(task, record(task, b, probes))
        if undecided:
            raise ValueError("; ".join(undecided))
    return [record(task, b, probes) for task, b, probes in states]
