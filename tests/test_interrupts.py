"""Ctrl-C takes effect within seconds at any point of a command: a kMC run inside a chunk of compiled
events (which no signal interrupts: chunks are sized to last about a second, kmc.observers.ChunkPacer),
... Each test sends SIGINT at a point the process reaches by itself (a file it writes), never after a
delay, and measures the time from the signal to the exit (printed; pytest -s shows it)."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

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
