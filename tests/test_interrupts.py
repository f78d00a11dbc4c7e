"""Ctrl-C takes effect within seconds at any point of a command: a kMC run inside a chunk of compiled
events (which no signal interrupts: chunks are sized to last about a second, kmc.observers.ChunkPacer),
and `kmc meso` inside its press (the area's took 200 s of CPU before its first step; a 10 mm section's
press is as long), which kmc.cell.loop.SignalStop.interruptible cuts short.  Each test sends SIGINT at a
point the process reaches by itself (a file it writes, a line it prints), never after a delay, and
measures the time from the signal to the exit (printed; pytest -s shows it)."""
from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from pausing import HANG_GUARD_S, POLL_S

EXIT_INTERRUPTED = 130
# "Within a few seconds": a chunk of ~1 s, the checkpoint and the exit, on a loaded 2-core machine.
FEW_SECONDS = 15.0


def _wait_for(path, proc):
    start = time.monotonic()
    while not path.exists():
        assert proc.poll() is None, f"the process ended (exit {proc.returncode}) before writing {path}"
        assert time.monotonic() - start < HANG_GUARD_S, f"no {path} after {HANG_GUARD_S:g} s"
        time.sleep(POLL_S)


def _interrupt(proc) -> tuple[int, float, str]:
    """SIGINT to ``proc``: (exit code, seconds from the signal to the exit, stderr)."""
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=10 * FEW_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"still running {10 * FEW_SECONDS:g} s after SIGINT")
    return proc.returncode, time.monotonic() - sent, stderr


def test_ctrl_c_inside_a_long_kmc_chunk(li_params, tmp_path):
    """run.chunk_events = 1e9 (hours of events in one compiled call if chunks were that long) on a run
    to 1 mAh/cm2: SIGINT once the run has started (its first checkpoint is written) ends it with exit
    130 within a few seconds, resumable."""
    out = tmp_path / "long.h5"
    proc = subprocess.Popen([sys.executable, "-m", "kmc.cli", "run", str(li_params), "-o", str(out), "--no-progress",
                             "--set", "lattice.cells=[8,8,6]", "--set", "run.chunk_events=1000000000",
                             "--set", "run.stop_stripped_mAh_cm2=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(tmp_path / "long.h5.checkpoint", proc)
    code, seconds, stderr = _interrupt(proc)
    print(f"kMC chunk: exit {code} {seconds:.2f} s after SIGINT")
    assert code == EXIT_INTERRUPTED and "kmc run --resume" in stderr, stderr
    assert seconds < FEW_SECONDS


def _meso_until(argv, said: str, tmp_path):
    """`kmc meso ARGV` until it prints a stderr line holding ``said``: (process, stderr lines so far)."""
    proc = subprocess.Popen([sys.executable, "-m", "kmc.cli", "meso", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    lines = queue.Queue()
    proc.reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True)
    proc.reader.start()
    heard, start = [], time.monotonic()
    try:
        while not any(said in line for line in heard):
            try:
                heard.append(lines.get(timeout=POLL_S * 100))
            except queue.Empty:
                assert proc.poll() is None, f"kmc meso ended (exit {proc.returncode}) before saying {said!r}: {heard}"
                assert time.monotonic() - start < HANG_GUARD_S, f"kmc meso did not say {said!r} in {HANG_GUARD_S:g} s"
    except BaseException:
        proc.kill()           # a test that gives up leaves no run behind (a press would go on for minutes)
        proc.wait()
        raise
    return proc, lines, heard


def _meso_interrupted(proc, lines) -> tuple[int, float, str]:
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10 * FEW_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"kmc meso still running {10 * FEW_SECONDS:g} s after SIGINT")
    seconds = time.monotonic() - sent
    proc.reader.join(timeout=FEW_SECONDS)     # the pipe closed with the process: its last lines are in
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    return proc.returncode, seconds, "".join(rest)


@pytest.mark.slow   # the press runs 20 s before it says it is long, then SIGINT; twice (~1.5 min of CPU)
@pytest.mark.parametrize("case, sets", [
    ("the area's press", ["meso.interface=area", "meso.depth_um=40"]),
    ("a 10 mm section's press", ["meso.width_um=10000"]),
])
def test_ctrl_c_inside_a_long_press(case, sets, li_params, tmp_path):
    """The press before stripping (an event loop of thousands of asks: the area's, a 10 mm section's)
    says after LONG_WORK_S that it is long; SIGINT then ends `kmc meso` with exit 130 within a few seconds,
    nothing written (no sample was taken yet)."""
    out = tmp_path / "meso.h5"
    argv = [str(li_params), "-o", str(out)] + [x for s in sets for x in ("--set", s)]
    proc, lines, heard = _meso_until(argv, "setting the interface up (the face and the press;", tmp_path)
    code, seconds, stderr = _meso_interrupted(proc, lines)
    print(f"{case}: exit {code} {seconds:.2f} s after SIGINT")
    assert code == EXIT_INTERRUPTED and "nothing written" in stderr, (heard, stderr)
    assert seconds < FEW_SECONDS
    assert not out.exists() and not (tmp_path / "meso.h5.partial").exists()


def test_ctrl_c_ends_every_command_with_one_line_and_exit_130(monkeypatch, tmp_path):
    """A command without a stop of its own (here kmc analyze, cut inside its work) ends on Ctrl-C with one
    line and exit 130, not click's "Aborted!" and 1."""
    from click.testing import CliRunner

    import kmc.cli.analyze
    from kmc.cli import main

    def cut(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(kmc.cli.analyze, "check_run_file", cut)
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "x.h5")])
    assert result.exit_code == EXIT_INTERRUPTED, result.output
    assert result.stderr.strip() == "interrupted: kmc analyze stopped (Ctrl-C)"


def test_long_work_is_said_once_from_one_thread(capsys):
    """kmc.cell.loop.said_if_long: a piece of work longer than its time says so once on stderr, a quicker one says
    nothing, a nested piece is said and then its outer one, each piece after a said one is watched, a thread's
    pieces are its own, and the pieces share one watching thread (the time loop opens one a step: a thread each,
    as threading.Timer started them, cost ~0.3 ms of CPU a step in a run)."""
    from kmc.cell.loop import said_if_long
    with said_if_long("warm", 5.0):
        pass
    before = threading.active_count()
    for i in range(2000):
        with said_if_long(f"step {i}", 5.0):
            pass
    assert threading.active_count() == before
    with said_if_long("outer", 0.8):           # each said with >= 0.4 s to spare
        with said_if_long("inner", 0.2):
            time.sleep(0.6)
        with said_if_long("quick", 0.2):
            pass
        time.sleep(0.6)
    time.sleep(0.5)
    for name in ("next", "and next"):          # a said piece's successor is watched in its turn
        with said_if_long(name, 0.2):
            time.sleep(0.6)
    worker = threading.Thread(target=lambda: _long_piece(said_if_long, "in a thread", 0.4))
    with said_if_long("beside it", 0.2):       # a piece of another thread is its own
        worker.start()
        time.sleep(0.8)
    worker.join()
    said = [line.split(" is taking long")[0] for line in capsys.readouterr().err.splitlines()]
    assert said == [f"kmc meso: {name}" for name in ("inner", "outer", "next", "and next", "beside it", "in a thread")]


def _long_piece(said_if_long, name, after_s):
    with said_if_long(name, after_s):
        time.sleep(after_s + 0.5)
