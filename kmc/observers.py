"""Operations attached to a run on schedules: the frame and series writers, the checkpointer and
the progress bar, and the clock of numba's compiles (``COMPILE_CLOCK``: the notice of a first run, and
the compile time a run records apart).  ``Simulation.run`` is a plain loop: run a chunk of events up to the next moment
an observer or a stop condition is due, then hand every observer the ``Tick``.

A ``Trigger`` fires when any of its schedules comes due: every N events, every S kMC seconds, or
every Q stripped atoms (the charge schedules of the config, converted).  Its position is part of
a checkpoint, so a resumed run writes its frames and samples at the same steps.
"""
from __future__ import annotations

import math
import sys
import time as _time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from numba.core import event as numba_event


@dataclass
class Every:
    """A schedule in one unit: fires each time ``value`` passes the next multiple of ``interval``."""
    interval: float
    next_at: float = field(init=False)

    def __post_init__(self):
        self.next_at = self.interval if self.interval > 0 else math.inf

    def due(self, value: float) -> bool:
        return value >= self.next_at

    def restore(self, next_at: float):
        self.next_at = next_at

    def advance(self, value: float):
        while self.next_at <= value:
            self.next_at += self.interval


class Trigger:
    """Fires when any of its schedules (events, kMC seconds, stripped atoms) comes due."""

    def __init__(self, events: int, seconds: float, strip_atoms: float):
        self.events = Every(events)
        self.seconds = Every(seconds)
        self.atoms = Every(strip_atoms)

    def due(self, tick: "Tick") -> bool:
        return self.events.due(tick.events) or self.seconds.due(tick.time_s) or self.atoms.due(tick.stripped_atoms)

    def advance(self, tick: "Tick"):
        self.events.advance(tick.events)
        self.seconds.advance(tick.time_s)
        self.atoms.advance(tick.stripped_atoms)

    def positions(self) -> np.ndarray:
        return np.array([self.events.next_at, self.seconds.next_at, self.atoms.next_at])

    def restore(self, positions):
        for schedule, next_at in zip((self.events, self.seconds, self.atoms), positions):
            schedule.restore(float(next_at))


@dataclass
class Tick:
    """Where a run stands after a chunk, as the observers see it (in this order)."""
    events: int
    time_s: float
    stripped_atoms: int
    finished: bool           # a stop condition is met: this is the run's last tick
    interrupted: bool        # Ctrl-C or SIGTERM arrived during the chunk
    frame_due: bool = False  # set by the frame writer: a frame belongs to this tick


class FrameWriter:
    """A frame (occupancy, tracers) on its trigger and at the end of the run."""

    def __init__(self, writer, trigger: Trigger):
        self.writer, self.trigger = writer, trigger

    def start(self, sim):
        sim.write_frame(self.writer)

    def on_tick(self, sim, tick: Tick):
        tick.frame_due = self.trigger.due(tick) or tick.finished
        if self.writer is not None and tick.frame_due:
            sim.write_frame(self.writer)
        self.trigger.advance(tick)


class SeriesWriter:
    """A sample of every observable on its trigger and with every frame."""

    def __init__(self, writer, trigger: Trigger):
        self.writer, self.trigger = writer, trigger

    def start(self, sim):
        self.writer.write_series(sim.events, sim.time_s, sim.observables())

    def on_tick(self, sim, tick: Tick):
        if self.writer is not None and (tick.frame_due or self.trigger.due(tick)):
            self.writer.write_series(tick.events, tick.time_s, sim.observables())
        self.trigger.advance(tick)


class CheckpointSaver:
    """The whole run state with every frame, when interrupted, and at least every
    ``output.checkpoint_every_wall_s`` between frames; never at the end (the file is then
    complete and the checkpoint is removed)."""

    def __init__(self, checkpointer, writer):
        self.checkpointer, self.writer = checkpointer, writer

    def start(self, sim):
        self.checkpointer.save(sim, self.writer)

    def on_tick(self, sim, tick: Tick):
        if not tick.finished and (tick.frame_due or tick.interrupted or self.checkpointer.due()):
            self.checkpointer.save(sim, self.writer)


class CompileClock(numba_event.Listener):
    """The wall seconds numba has spent compiling in this process (``seconds``), and the notice of a
    compile.  numba reports each compile it makes as a "numba:compile" event and a load from its
    cache as none, so a run whose engine is in the cache counts 0 s and hears nothing: only the first
    run of an energy form compiles (about a minute; ARCHITECTURE.md, numba conventions)."""

    def __init__(self):
        self.seconds = 0.0
        self._depth = 0
        self._started = 0.0
        self._notice = None

    def on_start(self, event):
        if self._depth == 0:
            self._started = _time.perf_counter()
            notice, self._notice = self._notice, None     # once per watch: the first compile says so
            if notice is not None:
                notice()
        self._depth += 1

    def on_end(self, event):
        self._depth -= 1
        if self._depth == 0:
            self.seconds += _time.perf_counter() - self._started

    @contextmanager
    def watch(self, notice=None):
        """Inside the block, ``notice()`` is called once when numba starts compiling (never if
        everything comes from its cache)."""
        previous, self._notice = self._notice, notice
        try:
            yield self
        finally:
            self._notice = previous


COMPILE_CLOCK = CompileClock()
numba_event.register("numba:compile", COMPILE_CLOCK)

COMPILE_NOTICE = ("compiling the engine for this energy form (numba, the first run only: about a minute; "
                  "later runs load it from numba's cache)...")


def print_compile_notice(stream=None) -> None:
    """The one-line notice a progress display gives while the engine compiles (COMPILE_CLOCK.watch)."""
    stream = sys.stderr if stream is None else stream
    stream.write(COMPILE_NOTICE + "\n")
    stream.flush()


def progress_wanted(progress: bool | None) -> bool:
    """Whether a progress display (bar, compile notice) is shown: as asked, else (None) when stderr is
    a terminal."""
    return sys.stderr.isatty() if progress is None else bool(progress)


class ChargeBar:
    """The one progress display of every run: stripped charge against the stop (mAh/cm^2) on stderr
    (tqdm), with the run's own rate (events/s for the kMC, steps/s at the cell's scale), the contact and
    what else the run says.  Made once the engine is compiled, so its rate and remaining time count the
    run's work only."""

    def __init__(self, stop_charge_mAh_cm2: float | None):
        from tqdm import tqdm
        self.bar = tqdm(total=stop_charge_mAh_cm2, unit=" mAh/cm2", dynamic_ncols=True, leave=False, file=sys.stderr,
                        bar_format=("{l_bar}{bar}| {n:.3g}/{total:g} mAh/cm2 [{elapsed}<{remaining}{postfix}]"
                                    if stop_charge_mAh_cm2 else None))
        self.wall0 = _time.perf_counter()

    def per_second(self, count: float) -> float:
        """``count`` per wall second since the bar was made."""
        return count / max(_time.perf_counter() - self.wall0, 1e-9)

    def show(self, charge_mAh_cm2: float, rate: str, contact: float, extra: str = "") -> None:
        self.bar.update(charge_mAh_cm2 - self.bar.n)
        self.bar.set_postfix_str(f"{rate}, contact {contact:.3f}{extra}", refresh=False)

    def close(self):
        self.bar.close()


class ProgressBar:
    """kmc run's observer of the ChargeBar: events/s, stripped charge and contact after every chunk."""

    def __init__(self, total_atoms, charge_per_atom_mAh_cm2: float):
        self.q = charge_per_atom_mAh_cm2
        self.display = ChargeBar(total_atoms * charge_per_atom_mAh_cm2 if total_atoms else None)

    def start(self, sim):
        pass

    def on_tick(self, sim, tick: Tick):
        self.display.show(tick.stripped_atoms * self.q, f"{self.display.per_second(tick.events) / 1e6:.2f} M ev/s",
                          sim.observables()['contact_fraction'])

    def close(self):
        self.display.close()


def progress_bar(progress: bool | None, total_atoms, charge_per_atom_mAh_cm2: float):
    """A ProgressBar if asked for (None: only when stderr is a terminal), else None."""
    return ProgressBar(total_atoms, charge_per_atom_mAh_cm2) if progress_wanted(progress) else None
