"""The disc model's run loop: strip to meso.stop_stripped_mAh_cm2 (or until the contact falls to
meso.stop_contact_fraction), sampling every meso.output_every_mAh_cm2; a plain loop over accepted
steps of the disc voids (kmc.disc.voids.DiscVoids), each reported to an observer (kmc.cell.loop).

A step tries twice the last one (at most meso.max_step_mAh_cm2, the next sample's charge and the
model's own limit, nucleation's) and the model takes the longest step up to it that meets its
tolerances; the loop keeps the clock (charge, time, steps)."""
from __future__ import annotations

import math
import time

import numpy as np

from kmc import units
from kmc.cell.inputs import CellInputError, CellInputs, cell_inputs
from kmc.cell.loop import CellResult, Observer, RunawayBounds, StepReport, stop_reason_of
from kmc.config import Settings
from kmc.disc.sections import OBSERVABLES
from kmc.disc.voids import DiscVoids, Tolerances


def run(inp: CellInputs, tol: Tolerances = Tolerances(), observer: Observer = Observer()) -> CellResult:
    """The run of ``inp`` with the disc-void model at ``tol`` (module docstring)."""
    if inp.current_mA_cm2 <= 0:
        raise CellInputError("conditions.current_density_mA_cm2 = 0: nothing is stripped; allowed: > 0")
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
        asked = stop_reason_of(observer.on_step(StepReport(steps, charge, time_s, dt, now.contact,
                                                           inp.stop_stripped_mAh_cm2, int(st.r.size))))
        if asked is not None:
            now = model.fields(st)
            stop_reason = asked
            break
    if samples[-1]["stripped_charge"] != charge:
        take_sample()
    series = {name: np.array([s[name] for s in samples], dtype=np.float64) for name in OBSERVABLES}
    return CellResult(series, stop_reason, steps, time.perf_counter() - start, time_s, st)


# Keys the resolved interface reads and the disc model has no place for (its voids are discs in a
# square, with no islands whose strength could vary and no electrolyte field): the disc model
# refuses them away from their defaults rather than ignore them.  The assembly's keys are not
# among them: the disc model starts in full contact, which is what the shipped press leaves
# (docs/mechanics.md section 5a).
RESOLVED_ONLY_KEYS = ("ligament_strength_MPa", "ligament_reference_width_um", "ligament_strength_exponent",
                      "ligament_strain_rate_per_s", "electrolyte_constriction")


def run_settings(settings: Settings, tol: Tolerances = Tolerances(), observer: Observer = Observer()) -> CellResult:
    """``run`` of a parameter set's inputs (cell_inputs) with the disc model; CellInputError for a
    key only the resolved interface reads (RESOLVED_ONLY_KEYS) set away from its default."""
    from kmc.schema import SCHEMA
    for key in RESOLVED_ONLY_KEYS:
        value, default = getattr(settings.meso, key), SCHEMA["meso"][key].default
        if value != default:
            raise CellInputError(f"meso.{key} = {value!r} is read only by the resolved interface; allowed: "
                                 f"meso.interface = 'resolved', or meso.{key} = {default!r} with the disc model")
    return run(cell_inputs(settings), tol, observer)


def runaway_bounds(inp: CellInputs, tol: Tolerances = Tolerances()) -> RunawayBounds:
    """The disc-void model's bounds.  Voids: no more than the squares of the smallest counted width
    (meso.min_void_width_um; the smallest void's footprint, 2 x tol.smallest_void_um, if 0) that
    tile the interface: beyond that the voids are finer than anything the sections count, and every
    step costs in proportion to them.  Steps: the loop's steps if the contact crossed its whole range
    (1 / tol.contact cut steps) in every interval of meso.max_step_mAh_cm2 and every sample cut one
    more: a run taking more is grinding below the tolerances it was given, not resolving them."""
    cell_um = inp.min_void_width_um if inp.min_void_width_um > 0 else 2 * tol.smallest_void_um
    max_voids = int(inp.area_um2 / cell_um ** 2)
    intervals = math.ceil(inp.stop_stripped_mAh_cm2 / inp.max_step_mAh_cm2)
    samples = math.ceil(inp.stop_stripped_mAh_cm2 / inp.output_every_mAh_cm2) + 1
    cuts = math.ceil(1 / tol.contact)
    max_steps = (intervals + samples) * cuts
    return RunawayBounds(
        max_voids, max_steps,
        f"the {max_voids:,} squares {cell_um:g} um wide (meso.min_void_width_um) that tile the "
        f"{inp.width_um:g} um interface: voids finer than the sections count",
        f"{cuts} steps (the contact crossing its range in steps of the tolerance {tol.contact:g}) in each of "
        f"the run's {intervals + samples:,} intervals of meso.max_step_mAh_cm2 and samples")
