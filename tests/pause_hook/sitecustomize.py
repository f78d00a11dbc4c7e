"""Lets a test stop a kmc process at a point of its run instead of racing it with a delay.

Python imports this module at start-up when its folder is on PYTHONPATH; it does something only
when KMC_TEST_PAUSE is set as well (tests/pausing.py sets both, for the processes a test starts,
and a sweep's spawned workers inherit them):

    KMC_TEST_PAUSE = "<folder>;<n_0>,<n_1>,..."

Every run in such a process that writes a file (Simulation.run with a writer: `kmc run`, `kmc run
--resume`, a sweep worker's run; not a sweep's file-less warm-up run, nor chunks stepped outside a
run) takes the next free number i in <folder> (the file run-<i>, created exclusively, so
runs that start one after another, in any processes, take 0, 1, 2, ...).  Run i stops itself
(SIGSTOP) before its chunk n_i, after writing its pid into <folder>/paused-<i>; n_i = 0 is before
the first chunk, when the run's .partial file and first checkpoint have been written; "-" (or no
entry) lets run i go on.  A stopped process keeps signals sent to it pending until SIGCONT, so a
test can signal it at that point and then let it continue.

A `kmc meso` run (any interface model: the hook sits on the Ctrl-C observer every one of them
gets, kmc.cell.loop.SignalStop) takes a number the same way and stops itself after its step n_i,
before its observers hear that step; n_i counts steps from 1.
"""
import os

_PLAN = os.environ.get("KMC_TEST_PAUSE")

if _PLAN:
    import signal
    import traceback

    _FOLDER, _, _stops = _PLAN.partition(";")
    try:
        # The driver's chunk loop (Simulation.run) calls Simulation.step once per chunk.
        from kmc.cell.loop import SignalStop
        from kmc.simulation import Simulation
    except Exception:
        # tests/pausing.py reads this and fails at once, instead of waiting for a stop that never comes
        with open(os.path.join(_FOLDER, "hook-error"), "w") as fh:
            fh.write(traceback.format_exc())
        raise
    _STOPS = [None if s.strip() in ("", "-") else int(s) for s in _stops.split(",")]
    _step = Simulation.step
    _run = Simulation.run

    def _take_number() -> int:
        i = 0
        while True:
            try:
                fd = os.open(os.path.join(_FOLDER, f"run-{i}"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                i += 1
                continue
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            return i

    def _pause(number: int) -> None:
        path = os.path.join(_FOLDER, f"paused-{number}")
        with open(path + ".tmp", "w") as fh:
            fh.write(str(os.getpid()))
        os.replace(path + ".tmp", path)    # whole, or not there: the test reads it when it appears
        os.kill(os.getpid(), signal.SIGSTOP)

    def _counted_run(self, writer=None, *args, **kwargs):
        if writer is None:
            return _run(self, writer, *args, **kwargs)
        self.__dict__["_test_pause"] = None      # a run with a file: its first chunk takes a number
        try:
            return _run(self, writer, *args, **kwargs)
        finally:
            del self.__dict__["_test_pause"]

    def _pausing_step(self, *args, **kwargs):
        if "_test_pause" not in self.__dict__:
            return _step(self, *args, **kwargs)
        counter = self.__dict__["_test_pause"]
        if counter is None:
            counter = self.__dict__["_test_pause"] = [_take_number(), 0]
        number, done = counter
        if number < len(_STOPS) and _STOPS[number] == done:
            _pause(number)
        counter[1] += 1
        return _step(self, *args, **kwargs)

    _meso_on_step = SignalStop.on_step

    def _pausing_meso_step(self, report):
        if "_test_pause" not in self.__dict__:
            self.__dict__["_test_pause"] = _take_number()
        number = self.__dict__["_test_pause"]
        if number < len(_STOPS) and _STOPS[number] == report.steps:
            _pause(number)
        return _meso_on_step(self, report)

    Simulation.step = _pausing_step
    Simulation.run = _counted_run
    SignalStop.on_step = _pausing_meso_step
