"""The run loop of kmc meso: strip to meso.stop_stripped_mAh_cm2 (or until the contact falls to
meso.stop_contact_fraction), sampling every meso.output_every_mAh_cm2; a plain loop over accepted
steps of the interface model (kmc.meso.voids.DiscVoids), each reported to an observer.

A step tries twice the last one (at most meso.max_step_mAh_cm2, the next sample's charge and the
model's own limit, nucleation's) and the model takes the longest step up to it that meets its
tolerances; the loop keeps the clock (charge, time, steps).

What `kmc meso` hangs on any driver's steps (observers, so every interface model gets the same):
Ctrl-C (SignalStop), a runaway stop (RunawayStop at RunawayBounds), a progress bar (Progress);
and the conditions it refuses or warns about before any work (check_conditions)."""
from __future__ import annotations

import math
import signal
import sys
import threading
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
    void_count: int | None = None     # the voids the model holds after the step (None: not told)


class Observer:
    """Hears a run's samples and steps (the defaults do nothing).  ``on_step`` returning a true value
    stops the run after that step: a string is the stop reason, True means "interrupted" (the
    observers of kmc.meso.guards hang here: Ctrl-C, runaway, progress)."""

    def on_sample(self, time_s: float, sample: dict) -> None:
        pass

    def on_step(self, report: StepReport) -> bool | str:
        return False


def stop_reason_of(answer) -> str | None:
    """The stop reason an ``Observer.on_step`` answer asks for (None: go on)."""
    if not answer:
        return None
    return answer if isinstance(answer, str) else "interrupted"


@dataclass
class MesoResult:
    series: dict            # name -> np.ndarray over samples (OBSERVABLES)
    stop_reason: str        # "stripped", "contact_lost", or what an observer asked (kmc.meso.guards)
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
        asked = stop_reason_of(observer.on_step(StepReport(steps, charge, time_s, dt, now.contact,
                                                           inp.stop_stripped_mAh_cm2, int(st.r.size))))
        if asked is not None:
            now = model.fields(st)
            stop_reason = asked
            break
    if samples[-1]["stripped_charge"] != charge:
        take_sample()
    series = {name: np.array([s[name] for s in samples], dtype=np.float64) for name in OBSERVABLES}
    return MesoResult(series, stop_reason, steps, time.perf_counter() - start, time_s, st)


# Keys the resolved interface reads and the disc model has no place for (its voids are discs in a
# square, with no islands whose strength could vary and no electrolyte field): the disc model
# refuses them away from their defaults rather than ignore them.  The assembly's keys are not
# among them: the disc model starts in full contact, which is what the shipped press leaves
# (docs/mechanics.md section 5a).
RESOLVED_ONLY_KEYS = ("ligament_strength_MPa", "ligament_reference_width_um", "ligament_strength_exponent",
                      "ligament_strain_rate_per_s", "electrolyte_constriction")


def run_settings(settings: Settings, tol: Tolerances = Tolerances(), observer: Observer = Observer()) -> MesoResult:
    """``run`` of a parameter set's inputs (meso_inputs) with the disc model; MesoInputError for a
    key only the resolved interface reads (RESOLVED_ONLY_KEYS) set away from its default."""
    from kmc.schema import SCHEMA
    for key in RESOLVED_ONLY_KEYS:
        value, default = getattr(settings.meso, key), SCHEMA["meso"][key].default
        if value != default:
            raise MesoInputError(f"meso.{key} = {value!r} is read only by the resolved interface; allowed: "
                                 f"meso.interface = 'resolved', or meso.{key} = {default!r} with the disc model")
    return run(meso_inputs(settings), tol, observer)


# ---- what `kmc meso` hangs on a run, whatever the interface model ----

class Chain(Observer):
    """Several observers in turn; each hears every sample and step, the first that asks to stop
    gives the stop reason."""

    def __init__(self, *observers: Observer):
        self.observers = [o for o in observers if o is not None]

    def on_sample(self, time_s: float, sample: dict) -> None:
        for o in self.observers:
            o.on_sample(time_s, sample)

    def on_step(self, report: StepReport) -> bool | str:
        asked = [stop_reason_of(o.on_step(report)) for o in self.observers]
        return next((a for a in asked if a is not None), False)


class SignalStop(Observer):
    """Inside ``with SignalStop() as stop:`` (main thread), Ctrl-C (SIGINT) or SIGTERM ends the run
    after the current step with stop reason "interrupted".  The handler only records the signal: an
    exception raised while a compiled (numba) function runs surfaces as a SystemError with the run's
    state half-updated, which is what `kmc meso` printed before.  A second signal raises
    KeyboardInterrupt (the user insists; the caller drops the file)."""

    def __init__(self):
        self.signals = 0
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
        return False

    def _handle(self, signum, frame):
        self.signals += 1
        if self.signals > 1:
            raise KeyboardInterrupt

    @property
    def arrived(self) -> bool:
        return self.signals > 0

    def on_step(self, report: StepReport) -> bool | str:
        return "interrupted" if self.arrived else False


@dataclass(frozen=True)
class RunawayBounds:
    """The most voids and steps a run of the model can sensibly take, and why (each from the run's
    box, not tuned)."""
    max_voids: int
    max_steps: int
    voids_why: str
    steps_why: str


def runaway_bounds(inp: MesoInputs, tol: Tolerances = Tolerances()) -> RunawayBounds:
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


class RunawayStop(Observer):
    """Stops a run whose void count or step count passes its RunawayBounds, with stop reason
    "runaway_voids" or "runaway_steps" and the reason in ``message``."""

    def __init__(self, bounds: RunawayBounds):
        self.bounds = bounds
        self.message = None

    def on_step(self, report: StepReport) -> bool | str:
        b = self.bounds
        at = f"at {report.charge_mAh_cm2:.3g} of {report.stop_charge_mAh_cm2:g} mAh/cm2 (step {report.steps:,})"
        if report.void_count is not None and report.void_count > b.max_voids:
            self.message = (f"runaway: {report.void_count:,} voids {at}, more than {b.voids_why}; the model was "
                            "not built for such a population")
            return "runaway_voids"
        if report.steps > b.max_steps:
            self.message = f"runaway: {report.steps:,} steps {at}, more than {b.steps_why}"
            return "runaway_steps"
        return False


class Progress(Observer):
    """Stripped charge against the stop, steps/s, contact and voids on stderr (tqdm, the style of
    kmc run's bar), after every step."""

    def __init__(self, stop_charge_mAh_cm2: float):
        from tqdm import tqdm
        self.bar = tqdm(total=stop_charge_mAh_cm2, unit=" mAh/cm2", dynamic_ncols=True, leave=False,
                        file=sys.stderr, bar_format="{l_bar}{bar}| {n:.3g}/{total:g} mAh/cm2 [{elapsed}{postfix}]")
        self.wall0 = time.perf_counter()

    def on_step(self, report: StepReport) -> bool | str:
        self.bar.update(report.charge_mAh_cm2 - self.bar.n)
        voids = f", {report.void_count} voids" if report.void_count is not None else ""
        self.bar.set_postfix_str(f"{report.steps / max(time.perf_counter() - self.wall0, 1e-9):.0f} steps/s, "
                                 f"contact {report.contact:.3f}{voids}", refresh=False)
        return False

    def close(self):
        self.bar.close()


def progress_bar(progress: bool | None, stop_charge_mAh_cm2: float) -> Progress | None:
    """A Progress if asked for (None: only when stderr is a terminal), else None."""
    if progress is None:
        progress = sys.stderr.isatty()
    return Progress(stop_charge_mAh_cm2) if progress else None


# Temperatures.  The model's numbers were measured at room temperature: seed 004's operando SEM, Li
# creep of Masias et al. 2019 at ~26 C (299 K, creep.reference_temperature_K 298 K); 293 K (20 C) is
# the low end of a laboratory's room temperature.  Away from it every rate is an Arrhenius
# extrapolation (creep Q, E_f, the hop barriers).
SOURCES_TEMPERATURE_RANGE_K = (293.0, 299.0)
# Below its martensitic start Li is no longer bcc (close-packed 9R and fcc form on cooling;
# M_s = 70 - 75 K at zero pressure, as quoted by Nat. Commun. 6, 8030 (2015)): the model's lattice
# does not exist there.
LI_MARTENSITE_START_K = 75.0


def check_conditions(settings: Settings) -> list[str]:
    """Refuse (MesoInputError) a temperature where the host is not the model's bcc crystal; return
    the warnings for conditions outside what the model's sources measured.  Cheap: `kmc meso` calls
    it before any work."""
    T = settings.conditions.temperature_K
    celsius = f"{T:g} C would be {T + 273.15:g} K" if T < 100 else None
    if settings.species.host == "Li" and T < LI_MARTENSITE_START_K:
        raise MesoInputError(
            f"conditions.temperature_K = {T:g}: below Li's martensitic start (~{LI_MARTENSITE_START_K:g} K) Li is "
            f"not bcc, the model's crystal; allowed: a temperature in kelvin from {LI_MARTENSITE_START_K:g} K "
            f"up (the sources measured at room temperature, {SOURCES_TEMPERATURE_RANGE_K[0]:g} - "
            f"{SOURCES_TEMPERATURE_RANGE_K[1]:g} K)" + (f"; {celsius}" if celsius else ""))
    low, high = SOURCES_TEMPERATURE_RANGE_K
    if low <= T <= high:
        return []
    return [f"conditions.temperature_K = {T:g} lies outside the temperatures the model's sources measured "
            f"(room temperature, {low:g} - {high:g} K: seed 004's SEM, Li creep at ~26 C): creep, the "
            "vacancies' equilibrium and hop rates are Arrhenius extrapolations from there, no measurement "
            "checks them" + (f" ({celsius}?)" if celsius else "")]
