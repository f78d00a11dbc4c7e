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


def sample_text(value: float) -> str:
    """An observable as a sample holds it, to 6 significant figures (a kMC contact of 339 of 400 L1
    sites is 0.8475, not 0.848): the bar shows the numbers the file and `kmc info` give."""
    return f"{value:.6g}"


# The bar redraws at most this often (tqdm's own minimum interval), and at every tick after it: a value
# that changed in a tick without much progress (a late kMC chunk strips little) is never left stale.
BAR_REDRAW_S = 0.5
# A bar's time left is shown once this much of the run has been timed (and a percent of it done).
LEFT_AFTER_S = 2.0


class ChargeBar:
    """The one progress display of every run: stripped charge against the stop (mAh/cm^2) on stderr
    (tqdm), with the run's own rate (events/s for the kMC, steps/s at the cell's scale), the contact and
    what else the run says.  Made once the engine is compiled, so its rate and remaining time count the
    run's work only.

    The remaining time is shown only where what paces the run is what the bar counts (``paced``): a kMC
    run to a number of events, counted in events.  A run to a stripped charge is paced by its events
    (or steps), whose number per stripped charge is not known ahead (a kMC run's rises a hundredfold as
    vacancies gather at the pore's edge): its remaining time cannot be known, and none is shown."""

    def __init__(self, stop_charge_mAh_cm2: float | None, total_events: int | None = None):
        from tqdm import tqdm
        self.by_events = total_events is not None
        if self.by_events:   # the time left is the bar's own (_left), from the events' mean rate so far
            bar_format = "{l_bar}{bar}| {n:.3g}/{total:.3g} events [{elapsed}{postfix}]"
            total = total_events
        else:
            bar_format = ("{l_bar}{bar}| {n:.3g}/{total:.3g} mAh/cm2 [{elapsed}, time left unknown{postfix}]"
                          if stop_charge_mAh_cm2 else "{n:.3g} mAh/cm2 [{elapsed}{postfix}]")
            total = stop_charge_mAh_cm2
        self.bar = tqdm(total=total, dynamic_ncols=True, leave=False, file=sys.stderr, bar_format=bar_format,
                        mininterval=BAR_REDRAW_S, miniters=0)
        self.wall0 = _time.perf_counter()
        self._drawn = 0.0

    def per_second(self, count: float) -> float:
        """``count`` per wall second since the bar was made."""
        return count / max(_time.perf_counter() - self.wall0, 1e-9)

    def show(self, charge_mAh_cm2: float, rate: str, contact: float, extra: str = "", events: int | None = None) -> None:
        done = events if self.by_events else charge_mAh_cm2
        self.bar.n = done
        text = f"{rate}, contact {sample_text(contact)}{extra}"
        if self.by_events:
            text = f"<{self._left(done)}, {charge_mAh_cm2:.3g} mAh/cm2, " + text
        self.bar.set_postfix_str(text, refresh=False)
        now = _time.perf_counter()
        if now - self._drawn >= BAR_REDRAW_S:
            self.bar.refresh()
            self._drawn = now

    def _left(self, done: float) -> str:
        """The time left at the mean rate so far ("?" until LEFT_AFTER_S and a percent of the total: an
        early tick of a few events says nothing of the rate)."""
        elapsed = _time.perf_counter() - self.wall0
        total = self.bar.total
        if elapsed < LEFT_AFTER_S or not done or done < 0.01 * total:
            return "?"
        return self.bar.format_interval((total - done) * elapsed / done)

    def note(self, text: str) -> None:
        """A line above the bar (a long step saying it is long)."""
        self.bar.write(text, file=sys.stderr)

    def close(self):
        self.bar.close()


class ProgressBar:
    """kmc run's observer of the ChargeBar: events/s, stripped charge and contact after every chunk, the
    contact as the samples hold it (sample_text)."""

    def __init__(self, total_atoms, charge_per_atom_mAh_cm2: float, total_events: int | None = None):
        self.q = charge_per_atom_mAh_cm2
        self.display = ChargeBar(total_atoms * charge_per_atom_mAh_cm2 if total_atoms else None, total_events)

    def start(self, sim):
        pass

    def on_tick(self, sim, tick: Tick):
        self.display.show(tick.stripped_atoms * self.q, f"{self.display.per_second(tick.events) / 1e6:.2f} M ev/s",
                          sim.observables()['contact_fraction'], events=tick.events)

    def close(self):
        self.display.close()


def progress_bar(progress: bool | None, total_atoms, charge_per_atom_mAh_cm2: float, total_events: int | None = None):
    """A ProgressBar if asked for (None: only when stderr is a terminal), else None.  ``total_events``:
    the run's event count when events alone end it (its remaining time is then known), else None."""
    return ProgressBar(total_atoms, charge_per_atom_mAh_cm2, total_events) if progress_wanted(progress) else None


# A kMC chunk runs in compiled code, which no signal interrupts: Ctrl-C and SIGTERM take effect when it
# returns.  Chunks are therefore sized from the run's measured event rate to last about this long (and
# never longer than run.chunk_events): a run on a big box or at a high temperature, whose events are
# slower or whose stops are far apart, still stops within a few seconds.  Trajectories do not depend on
# the chunking (tests/test_engine.py), so the sizes may follow the wall clock.
CHUNK_WALL_S = 1.0
FIRST_CHUNK_EVENTS = 10_000
CHUNK_GROWTH = 4.0           # at most this factor from one chunk to the next (the rate settles in a few)


class ChunkPacer:
    """Chunk sizes for Simulation.run: FIRST_CHUNK_EVENTS first, then the events the last chunk's rate
    does in CHUNK_WALL_S (within CHUNK_GROWTH of the last size, at least 1000), never above ``most``."""

    def __init__(self, most: int, target_s: float = CHUNK_WALL_S):
        self.most, self.target_s = int(most), float(target_s)
        self.size = min(self.most, FIRST_CHUNK_EVENTS)

    def record(self, events: int, wall_s: float) -> None:
        """A chunk of ``events`` took ``wall_s``: set the next size (a chunk cut short by a schedule, too
        short to time, leaves it)."""
        if events < 1000 or wall_s < 0.01:
            return
        wanted = min(events / wall_s * self.target_s, CHUNK_GROWTH * self.size)
        self.size = int(min(self.most, max(1000, wanted)))


# What counts as a large run, warned before it starts (kmc.run_cost) and while it goes (PaceWatch).
LARGE_RUN_S = 600.0


def duration_text(seconds: float) -> str:
    """A duration in the unit that reads best: 40 s, 12 min, 3.5 h, 2.1 days."""
    if seconds < 90:
        return f"{seconds:.2g} s"
    if seconds < 5400:
        return f"{seconds / 60:.2g} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.2g} h"
    return f"{seconds / 86400:.2g} days"


# A run's pace: after this much wall time, the time left at its pace so far (progress toward its nearest
# stop per wall second) is known well enough to warn about; warned once, when above LARGE_RUN_S.  A floor: a run at a pore's edge slows down as vacancies gather there.
PACE_WATCH_AFTER_S = 20.0


class PaceWatch:
    """kmc run's observer of its own pace: one warning (kmc.validation.warn) when, PACE_WATCH_AFTER_S into
    the run, the time left at the pace so far is large (LARGE_RUN_S)."""

    def __init__(self, sim, stop, warn=None):
        from kmc.validation import warn as default_warn
        self.stop = stop               # the run's StopConditions
        self.warn = default_warn if warn is None else warn
        self.wall0 = _time.perf_counter()
        self.start_tick = Tick(sim.events, sim.time_s, sim.stripped_atoms, False, False)
        self.done = False

    def start(self, sim):
        pass

    def progress(self, tick: Tick) -> float:
        """The share of the way to the nearest stop covered since the watch started (0..1)."""
        first = self.start_tick
        shares = []
        if self.stop.events < 2**62:
            shares.append((tick.events - first.events) / max(self.stop.events - first.events, 1))
        if self.stop.strip_atoms < 2**62:
            shares.append((tick.stripped_atoms - first.stripped_atoms) / max(self.stop.strip_atoms - first.stripped_atoms, 1))
        if math.isfinite(self.stop.time_s):
            shares.append((tick.time_s - first.time_s) / max(self.stop.time_s - first.time_s, 1e-300))
        return min(max(shares, default=0.0), 1.0)

    def on_tick(self, sim, tick: Tick):
        if self.done or tick.finished:
            return
        wall = _time.perf_counter() - self.wall0
        if wall < PACE_WATCH_AFTER_S:
            return
        self.done = True
        from kmc.validation import Advice
        share = self.progress(tick)
        left = math.inf if share <= 0 else wall * (1 - share) / share
        if left <= LARGE_RUN_S:
            return
        at = "no progress toward its stop yet" if share <= 0 else f"{100 * share:.2g} % of the way"
        self.warn(Advice("run.stop_wall_s",
                         f"this run is slow: {at} in {duration_text(wall)}, so at its pace so far it needs "
                         + ("longer than can be said" if share <= 0 else f"~{duration_text(left)} more") +
                         " (a floor: a run at a pore's edge slows down as vacancies gather)",
                         "run.stop_wall_s ends a run in time with a complete file, Ctrl-C stops it resumably "
                         "(kmc run --resume), and a smaller box or charge costs less"))
