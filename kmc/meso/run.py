"""The run loop of kmc meso: strip to meso.stop_stripped_mAh_cm2 (or until the contact falls to
meso.stop_contact_fraction), sampling every meso.output_every_mAh_cm2; a plain loop over accepted
steps of the interface model (kmc.meso.voids.DiscVoids), each reported to an observer.

A step tries twice the last one (at most meso.max_step_mAh_cm2, the next sample's charge and the
model's own limit, nucleation's) and the model takes the longest step up to it that meets its
tolerances; the loop keeps the clock (charge, time, steps)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from kmc import units
from kmc.config import Settings
from kmc.meso.inputs import MesoInputError, MesoInputs, meso_inputs
from kmc.meso.sections import OBSERVABLES
from kmc.meso.voids import DiscVoids, Tolerances, VoidState


@dataclass(frozen=True)
class StepReport:
    """What an observer hears after each accepted step."""
    steps: int
    charge_mAh_cm2: float
    time_s: float
    dt_s: float
    contact: float
    stop_charge_mAh_cm2: float


class Observer:
    """Hears a run's samples and steps (the defaults do nothing).  ``on_step`` returning True stops
    the run after that step, with stop reason "interrupted" (a Ctrl-C check hangs here)."""

    def on_sample(self, time_s: float, sample: dict) -> None:
        pass

    def on_step(self, report: StepReport) -> bool:
        return False


@dataclass
class MesoResult:
    series: dict            # name -> np.ndarray over samples (OBSERVABLES)
    stop_reason: str        # "stripped", "contact_lost" or "interrupted"
    steps: int
    wall_time_s: float
    time_s: float           # cell time stripped (s)
    final: VoidState


def run(inp: MesoInputs, tol: Tolerances = Tolerances(), observer: Observer = Observer()) -> MesoResult:
    """The run of ``inp`` with the disc-void model at ``tol`` (module docstring)."""
    if inp.current_mA_cm2 <= 0:
        raise MesoInputError("conditions.current_density_mA_cm2 = 0: nothing is stripped; allowed: > 0")
    start = time.perf_counter()
    model = DiscVoids(inp, tol)
    rng = np.random.default_rng(inp.seed)
    st = model.start(rng)
    charge, time_s, steps = 0.0, 0.0, 0
    s_per_mAh = units.S_PER_H / inp.current_mA_cm2
    samples = []
    next_sample = 0.0
    stop_reason = "stripped"
    last_dt = math.inf

    def take_sample():
        out = {"stripped_charge": charge, "physical_time": time_s, **model.sample(st, now, time_s)}
        samples.append(out)
        observer.on_sample(time_s, out)

    while True:
        now = model.fields(st)
        if charge >= next_sample - 1e-12 * inp.stop_stripped_mAh_cm2:
            take_sample()
            next_sample += inp.output_every_mAh_cm2
        if now.contact <= inp.stop_contact_fraction:
            stop_reason = "contact_lost"
            break
        if charge >= inp.stop_stripped_mAh_cm2 * (1 - 1e-12):
            break
        target = min(next_sample, inp.stop_stripped_mAh_cm2)
        dt_max = min(inp.max_step_mAh_cm2, target - charge) * s_per_mAh
        dt_try = min(dt_max, 2 * last_dt, model.step_limit_s(st, now))
        dt = model.step(st, now, dt_try, rng)
        time_s += dt
        charge += inp.current_mA_cm2 * dt / units.S_PER_H
        steps += 1
        if dt < dt_try or dt_try == 2 * last_dt:   # cut by the tolerance, or grown: the next try is 2 dt
            last_dt = dt                            # (a step cut short by a sample time says nothing)
        if observer.on_step(StepReport(steps, charge, time_s, dt, now.contact, inp.stop_stripped_mAh_cm2)):
            now = model.fields(st)
            stop_reason = "interrupted"
            break
    if samples[-1]["stripped_charge"] != charge:
        take_sample()
    series = {name: np.array([s[name] for s in samples], dtype=np.float64) for name in OBSERVABLES}
    return MesoResult(series, stop_reason, steps, time.perf_counter() - start, time_s, st)


def run_settings(settings: Settings, tol: Tolerances = Tolerances(), observer: Observer = Observer()) -> MesoResult:
    """``run`` of a parameter set's inputs (meso_inputs)."""
    return run(meso_inputs(settings), tol, observer)
