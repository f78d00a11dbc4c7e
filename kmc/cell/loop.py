"""The one loop of every interface model at the cell's scale (``run``: kmc.cell.model's contract), and what
``kmc meso`` hangs on it: the loop strips to meso.stop_stripped_mAh_cm2 (or until the contact falls to
meso.stop_contact_fraction), samples every meso.output_every_mAh_cm2 and keeps the model's frames at its
``frame_charges``, reports each accepted step to an ``Observer`` (``StepReport``), every sample
(``on_sample``) and frame (``on_frame``), stops at the reasons an observer asks for, and returns a
``CellResult``.

The observers: Ctrl-C (SignalStop), a runaway stop (RunawayStop at the model's RunawayBounds), a progress
bar (Progress); several at once (Chain)."""
from __future__ import annotations

import copy
import math
import signal
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from kmc.cell.model import CellModel, ContactLost, RunawayBounds, Unconverged
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
    """Hears a run's samples, frames and steps (the defaults do nothing).  ``on_step`` returning a true
    value stops the run after that step: a string is the stop reason, True means "interrupted" (the
    observers of this module hang here: Ctrl-C, runaway, progress)."""

    def on_sample(self, time_s: float, sample: dict) -> None:
        pass

    def on_frame(self, charge_mAh_cm2: float, frame) -> None:
        pass

    def on_frame_fields(self, charge_mAh_cm2: float, fields: dict) -> None:
        """The model's further fields at the frame just heard (CellModel.frame_fields: {name: (unit, array)})."""
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
    series: dict            # name -> np.ndarray over samples (the model's observables)
    stop_reason: str        # "stripped", "contact_lost", "unconverged", or what an observer asked
    steps: int
    wall_time_s: float
    time_s: float           # cell time stripped (s)
    final: object           # the interface model's state at the end
    unconverged: str = ""   # stop "unconverged": the solver's message (which solve, how far it got, what it needs)


class Chain(Observer):
    """Several observers in turn; each hears every sample and step, the first that asks to stop
    gives the stop reason."""

    def __init__(self, *observers: Observer):
        self.observers = [o for o in observers if o is not None]

    def on_sample(self, time_s: float, sample: dict) -> None:
        for o in self.observers:
            o.on_sample(time_s, sample)

    def on_frame(self, charge_mAh_cm2: float, frame) -> None:
        for o in self.observers:
            o.on_frame(charge_mAh_cm2, frame)

    def on_frame_fields(self, charge_mAh_cm2: float, fields: dict) -> None:
        for o in self.observers:
            o.on_frame_fields(charge_mAh_cm2, fields)

    def on_step(self, report: StepReport) -> bool | str:
        asked = [stop_reason_of(o.on_step(report)) for o in self.observers]
        return next((a for a in asked if a is not None), False)


class WorkInterrupted(Exception):
    """Ctrl-C or SIGTERM arrived inside work that SignalStop.interruptible marks (a model's start, with
    its press; a step; the set-up of a model): the work is dropped where it stood."""


class SignalStop(Observer):
    """Inside ``with SignalStop() as stop:`` (main thread), Ctrl-C (SIGINT) or SIGTERM ends the run with
    stop reason "interrupted": between steps, after the step; inside work marked ``interruptible`` (a
    step, the press, a model's set-up, which can each take minutes), at once, by raising WorkInterrupted
    there (its state is dropped: the run ends at its last sample, or, before its first, writes nothing).
    The handler raises nowhere else: an exception raised while a compiled (numba) function runs surfaces
    as a SystemError with the run's state half-updated, which is what `kmc meso` printed before (read as
    WorkInterrupted inside marked work).  A second signal raises KeyboardInterrupt (the user insists; the
    caller drops the file)."""

    active = None                  # the SignalStop whose handlers are installed, for the loop's marked work

    def __init__(self):
        self.signals = 0
        self._previous = {}
        self._busy = 0

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handle)
            SignalStop.active = self
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
        if SignalStop.active is self:
            SignalStop.active = None
        return False

    def _handle(self, signum, frame):
        self.signals += 1
        if self.signals > 1:
            raise KeyboardInterrupt
        if self._busy:
            raise WorkInterrupted

    @contextmanager
    def interruptible(self):
        """Work inside may be cut short by a signal (WorkInterrupted, at once); a signal that came before
        it starts cuts it short before it starts."""
        if self.arrived:
            raise WorkInterrupted
        self._busy += 1
        try:
            yield
        except SystemError:
            if self.arrived:
                raise WorkInterrupted from None
            raise
        finally:
            self._busy -= 1

    @property
    def arrived(self) -> bool:
        return self.signals > 0

    def on_step(self, report: StepReport) -> bool | str:
        return "interrupted" if self.arrived else False


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


def interruptible():
    """The active SignalStop's interruptible() (nothing outside `with SignalStop()`)."""
    stop = SignalStop.active
    return stop.interruptible() if stop is not None else nullcontext()


# A piece of work this long says so on stderr (once), whether a terminal shows a bar or not: a user
# never waits minutes in silence.
LONG_WORK_S = 20.0


class _LongWorkWatch:
    """One daemon thread that says, for every ``said_if_long`` piece of work, when it has taken too long: each piece
    only sets what it is and its deadline (a threading.Timer a piece started and stopped a thread each time, ~0.3 ms
    of CPU a step of the cell-scale loop, its most frequent piece).  Pieces are kept per thread (runs in threads of
    one process each have their own); the thread sleeps to the earliest deadline it last read and is woken only
    for an earlier one (pieces of one length, as the time loop's, never wake it)."""

    def __init__(self):
        # per thread, (deadline on time.monotonic, what, after_s, the piece it is inside or None) of its work in hand
        self.pending = {}
        self.said = []                      # the pieces in hand already said (once each; by identity)
        self.sleeping_to = math.inf         # the deadline the thread waits for (inf: none, or about to read one)
        self.wake = threading.Event()
        self.thread = None

    def start(self, what: str, after_s: float):
        me = threading.get_ident()
        piece = (time.monotonic() + after_s, what, after_s, self.pending.get(me))
        self._watch_for(me, piece)
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._watch, name="kmc-long-work", daemon=True)
            self.thread.start()
        return piece

    def stop(self, piece) -> None:
        me = threading.get_ident()
        if self.pending.get(me) is piece:
            self._watch_for(me, piece[3])   # the piece it was inside, watched again

    def _watch_for(self, me: int, piece) -> None:
        if piece is None:
            self.pending.pop(me, None)
            return
        self.pending[me] = piece
        if piece[0] < self.sleeping_to:
            self.wake.set()

    def _watch(self) -> None:
        while True:
            # cleared and marked before reading: a piece set after the read sees the mark and wakes the wait
            self.wake.clear()
            self.sleeping_to = math.inf
            in_hand = list(self.pending.values())
            self.said = [p for p in self.said if any(p is q for q in in_hand)]
            waiting = [p for p in in_hand if not any(p is q for q in self.said)]
            if not waiting:
                self.wake.wait()
                continue
            piece = min(waiting, key=lambda p: p[0])
            self.sleeping_to = piece[0]
            left = piece[0] - time.monotonic()
            if left > 0:
                self.wake.wait(left)
                continue
            if any(p is piece for p in list(self.pending.values())):
                self.said.append(piece)
                _say_long(piece[1], piece[2])


def _say_long(what: str, after_s: float) -> None:
    sys.stderr.write(f"kmc meso: {what} is taking long (over {after_s:g} s); Ctrl-C stops the run at once "
                     "(a run keeps what it stripped up to its last sample)\n")
    sys.stderr.flush()


_WATCH = _LongWorkWatch()


@contextmanager
def said_if_long(what: str, after_s: float = LONG_WORK_S):
    """Inside: if the work takes longer than ``after_s``, one line on stderr says what is taking long
    and how to stop it (from the one watching thread, _LongWorkWatch: it is heard while Python runs between
    compiled calls); nested, the inner piece is watched, then the outer again."""
    piece = _WATCH.start(what, after_s)
    try:
        yield
    finally:
        _WATCH.stop(piece)


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


# a sample is due when the charge is within this share of the stop charge below its time; a mark for a
# frame when within this charge (mAh/cm^2)
_SAMPLE_SLACK = 1e-12
_FRAME_SLACK_mAh_cm2 = 1e-9


# BLAS held to one thread for the whole run, its start (the press) included.  The models' BLAS calls are dot
# products and norms of one value per interface cell (the field solves, ~1e5 cells on the 160 x 40 um area).
# Above 10,000 elements OpenBLAS splits them over every core, gains no wall time and spins the other cores; and
# each thread's partial sum made a run's last bits hang on the core count (measured: docs/performance.md, "Cost of
# the other commands").  threadpoolctl sets the limit at run time: an environment variable acts only before
# numpy's first import, which a notebook has already done.
@threadpool_limits.wrap(limits=1, user_api="blas")
def run(model: CellModel, observer: Observer = Observer(), state=None) -> CellResult:
    """Run ``model`` (kmc.cell.model's contract) from ``state`` (None: its start, model.start()) to its
    inputs' stop (module docstring), BLAS on one thread (the comment above).  Each step tries what the model
    asks for (``step_try_s``, given the charge left to the next sample or the stop) and the model takes the
    longest it can up to it.  A frame (model.frame) goes to the observer before stripping, at the first sample
    at or past each of the model's frame_charges and at the end."""
    start = time.perf_counter()
    inp = model.inp
    try:
        with interruptible(), said_if_long("setting the interface up (the face and the press; the later runs of "
                                           "this face start from it, kept in $KMC_CACHE_DIR/press, or from this "
                                           "run's file: kmc meso --press-from)"):
            st = model.start() if state is None else state
    except WorkInterrupted:
        raise KeyboardInterrupt from None  # before the first sample: nothing to keep (the caller drops the file)
    stop_charge = inp.stop_stripped_mAh_cm2
    marks = [q for q in model.frame_charges if q <= stop_charge]
    framed = []                            # the charges whose frame a mark asked for
    samples, steps, next_sample = [], 0, 0.0
    stop_reason = "stripped"

    def take_frame(charge):
        frame = model.frame(st)
        if frame is not None:
            observer.on_frame(charge, frame)
            more = model.frame_fields(st)
            if more:
                observer.on_frame_fields(charge, more)

    def take_sample(now):
        out = {"stripped_charge": st.stripped_mAh_cm2, "physical_time": st.time_s, **model.sample(st, now)}
        samples.append(out)
        observer.on_sample(st.time_s, out)
        if marks and st.stripped_mAh_cm2 >= marks[0] - _FRAME_SLACK_mAh_cm2:
            while marks and st.stripped_mAh_cm2 >= marks[0] - _FRAME_SLACK_mAh_cm2:
                marks.pop(0)
            framed.append(st.stripped_mAh_cm2)
            take_frame(st.stripped_mAh_cm2)

    take_frame(0.0)                        # the interface before stripping
    now = None
    cut_short = False                      # a signal or a solve dropped a step where it stood
    kept = None                            # the state at the last sample, for a run cut short after it
    unconverged = ""                       # a solve's message (Unconverged from model.rates or a step)
    while True:
        try:
            with interruptible():
                now = model.rates(st)
        except ContactLost:
            stop_reason = "contact_lost"
            break
        except Unconverged as exc:         # the run ends at its last sample, as if cut short there
            stop_reason, cut_short, unconverged = "unconverged", True, str(exc)
            break
        except WorkInterrupted:
            stop_reason, cut_short = "interrupted", True
            break
        if st.stripped_mAh_cm2 >= next_sample - _SAMPLE_SLACK * stop_charge:
            take_sample(now)
            next_sample += inp.output_every_mAh_cm2
            kept = copy.deepcopy(st)       # what the file ends with if a step is cut short (a signal, a solve)
        contact = model.contact(now)
        if contact <= inp.stop_contact_fraction:
            stop_reason = "contact_lost"
            break
        if st.stripped_mAh_cm2 >= stop_charge * (1 - _SAMPLE_SLACK):
            break
        try:
            with interruptible(), said_if_long(f"the step at {st.stripped_mAh_cm2:.3g} mAh/cm2"):
                dt = model.step(st, now, model.step_try_s(st, now, min(next_sample, stop_charge) - st.stripped_mAh_cm2))
        except WorkInterrupted:
            stop_reason, cut_short = "interrupted", True
            break
        except Unconverged as exc:         # the step stood half-taken: the run ends at its last sample
            stop_reason, cut_short, unconverged = "unconverged", True, str(exc)
            break
        steps += 1
        asked = stop_reason_of(observer.on_step(StepReport(steps, st.stripped_mAh_cm2, st.time_s, dt, contact,
                                                           stop_charge, model.void_count(st))))
        if asked is not None:
            stop_reason = asked
            break
    if cut_short:                          # the state stood mid-step (or its fields unsolved): the last sample's
        st = kept if kept is not None else st
    elif now is not None and (not samples or samples[-1]["stripped_charge"] != st.stripped_mAh_cm2):
        try:
            take_sample(model.rates(st))
        except ContactLost:
            pass
        except Unconverged as exc:         # the run's own stop, not an observer's, becomes this one
            if stop_reason in ("stripped", "contact_lost"):
                stop_reason, unconverged = "unconverged", str(exc)
    if not cut_short and (not framed or framed[-1] != st.stripped_mAh_cm2):
        take_frame(st.stripped_mAh_cm2)    # the end, if no mark was
    series = {name: np.array([s[name] for s in samples], dtype=np.float64) for name in model.observables}
    return CellResult(series, stop_reason, steps, time.perf_counter() - start, st.time_s, st, unconverged)
