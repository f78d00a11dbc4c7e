"""The contract between ``kmc meso``'s front ends and every interface model at the cell's scale (the disc
model, kmc.disc; the resolved section, kmc.resolved): each model's loop reports every accepted step to
an ``Observer`` (``StepReport``) and every sample (``on_sample``), stops at the stop reasons an observer
asks for, and returns a ``CellResult``.

What `kmc meso` hangs on any model's steps: Ctrl-C (SignalStop), a runaway stop (RunawayStop at
RunawayBounds), a progress bar (Progress); several at once (Chain)."""
from __future__ import annotations

import signal
import threading
from dataclasses import dataclass

from kmc.observers import ChargeBar, progress_wanted


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
    observers of this module hang here: Ctrl-C, runaway, progress)."""

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
class CellResult:
    series: dict            # name -> np.ndarray over samples (OBSERVABLES)
    stop_reason: str        # "stripped", "contact_lost", or what an observer asked
    steps: int
    wall_time_s: float
    time_s: float           # cell time stripped (s)
    final: object           # the interface model's state at the end


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
    """kmc meso's observer of the one progress display (kmc.observers.ChargeBar): stripped charge
    against the stop, steps/s, contact and voids after every step."""

    def __init__(self, stop_charge_mAh_cm2: float):
        self.display = ChargeBar(stop_charge_mAh_cm2)

    def on_step(self, report: StepReport) -> bool | str:
        voids = f", {report.void_count} voids" if report.void_count is not None else ""
        self.display.show(report.charge_mAh_cm2, f"{self.display.per_second(report.steps):.0f} steps/s",
                          report.contact, voids)
        return False

    def close(self):
        self.display.close()


def progress_bar(progress: bool | None, stop_charge_mAh_cm2: float) -> Progress | None:
    """A Progress if asked for (None: only when stderr is a terminal), else None."""
    return Progress(stop_charge_mAh_cm2) if progress_wanted(progress) else None
