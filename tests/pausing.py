"""The test's side of tests/pause_hook: start kmc processes that stop themselves at a chosen chunk
of a run, wait until they have, and signal them there.  Every wait ends on something the processes
do (a file they write, their state in /proc), never after a delay, so a loaded machine only makes
the tests slower; HANG_GUARD_S only turns a process that never gets there into a failure instead of
a hung suite."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

HOOK = Path(__file__).resolve().with_name("pause_hook")
HANG_GUARD_S = 900.0
POLL_S = 0.01


def pause_env(folder: Path, stops: str, base: dict | None = None) -> dict:
    """The environment for processes whose runs stop at ``stops`` (``"0"``: the first run, before
    its first chunk; ``"-,0"``: the second run; ``"3,7"``: the first before its fourth chunk and the
    second before its eighth; see tests/pause_hook/sitecustomize.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join([str(HOOK)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["KMC_TEST_PAUSE"] = f"{folder};{stops}"
    return env


def process_state(pid: int) -> str | None:
    """The state letter of a process (R, S, T stopped, Z zombie, ...), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def _wait(condition, proc, what: str, folder: Path | None = None):
    """Poll until ``condition()`` holds; fail if ``proc`` (the process tree's root) ends first, or
    the hook could not install itself in a process (``folder``/hook-error)."""
    start = time.monotonic()
    while not condition():
        if folder is not None and (folder / "hook-error").exists():
            raise AssertionError("tests/pause_hook could not patch the run:\n" + (folder / "hook-error").read_text())
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended (exit code {proc.returncode}) before {what}")
        if time.monotonic() - start > HANG_GUARD_S:
            raise AssertionError(f"nothing happened for {HANG_GUARD_S:g} s while waiting for {what}")
        time.sleep(POLL_S)


def wait_paused(folder: Path, number: int, proc=None) -> int:
    """The pid of run ``number``'s process once it has stopped itself."""
    path = folder / f"paused-{number}"
    _wait(lambda: path.exists() and process_state(int(path.read_text())) == "T", proc,
          f"run {number} stopped itself", folder)
    return int(path.read_text())


def _pending(pid: int) -> int:
    mask = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")):
            mask |= int(line.split()[1], 16)
    return mask


def wait_pending(pid: int, signum: int, proc=None):
    """Until ``signum`` is pending in the (stopped) process ``pid``: sent, not yet handled."""
    _wait(lambda: _pending(pid) & (1 << (signum - 1)), proc, f"{signal.Signals(signum).name} reached {pid}")


def resume(pid: int):
    os.kill(pid, signal.SIGCONT)
