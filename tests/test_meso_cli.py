"""`kmc meso` behaves as `kmc run` does: Ctrl-C exits 130 with a complete file
marked interrupted (or, on a second signal, nothing), a bad output path or a temperature where the
model's crystal does not exist is refused before any work, the interface's energetics are cached
per parameter set, a runaway stops with its reason, and the progress bar shows on request.

The signal tests stop the process at a chosen step with tests/pause_hook (no delays): the signal
waits pending in the stopped process and is handled when it continues, at that step."""
from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys

import h5py
import pytest
from click.testing import CliRunner

from kmc.cli.meso import EXIT_RUNAWAY, EXIT_UNCONVERGED, meso as meso_command
from kmc.config import load_config
from kmc import energetics as interface
from kmc.disk_cache import CACHE_ENV
from kmc.validation import LI_MARTENSITE_START_K, check
from kmc.cell.loop import RunawayStop, StepReport
from kmc.cell.model import RunawayBounds
from kmc.disc.voids import DiscVoids
from kmc.launch import run_cell_to_file as run_to_file
from pausing import pause_env, resume, wait_paused, wait_pending
from regimes import NO_CONTACT_SINK, NO_FORMATION_ENTROPY

EXIT_INTERRUPTED = 130
# A short run of the default (resolved) interface: a sample every 5e-5 mAh/cm2 makes it >= 40 steps, ~1 s
SHORT = ["--set", "meso.stop_stripped_mAh_cm2=0.002", "--set", "meso.output_every_mAh_cm2=0.00005"]
PAUSE_STEP = 20


def _kmc_meso(argv, env):
    return subprocess.Popen([sys.executable, "-m", "kmc.cli", "meso", *argv], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _signalled(tmp_path, li_params, signals):
    """`kmc meso` stopped at step PAUSE_STEP, sent ``signals`` there, let go: (exit code, stdout,
    stderr, output path)."""
    out = tmp_path / "meso.h5"
    pauses = tmp_path / "pauses"
    proc = _kmc_meso([str(li_params), "-o", str(out), *SHORT], pause_env(pauses, str(PAUSE_STEP)))
    pid = wait_paused(pauses, 0, proc)
    for signum in signals:
        proc.send_signal(signum)
        wait_pending(pid, signum, proc)
    resume(pid)
    stdout, stderr = proc.communicate(timeout=600)
    return proc.returncode, stdout, stderr, out


def test_ctrl_c_keeps_a_complete_file_marked_interrupted(tmp_path, li_params):
    code, stdout, stderr, out = _signalled(tmp_path, li_params, [signal.SIGINT])
    assert code == EXIT_INTERRUPTED, stdout + stderr
    assert "Traceback" not in stderr and "SystemError" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted at ") and str(out) in stderr
    assert not (tmp_path / "meso.h5.partial").exists()
    with h5py.File(out, "r") as f:        # complete: /run and /voids written, the last sample at the stop
        assert f["run"].attrs["stop_reason"] == "interrupted"
        assert f["run"].attrs["steps"] == PAUSE_STEP
        q = f["observables/stripped_charge/value"][()]
        assert 0 < q[-1] < 0.002 and "voids" in f


@pytest.mark.slow   # ~8 s of CPU (a kmc meso process); the fast tier keeps the first signal's path (test_ctrl_c_keeps_a_complete_file_marked_interrupted)
def test_a_second_signal_leaves_nothing(tmp_path, li_params):
    # SIGINT and SIGTERM both pending: the first asks for a stop, the second insists
    code, stdout, stderr, out = _signalled(tmp_path, li_params, [signal.SIGINT, signal.SIGTERM])
    assert code == EXIT_INTERRUPTED, stdout + stderr
    assert "Traceback" not in stderr and "nothing written" in stderr
    assert not out.exists() and not (tmp_path / "meso.h5.partial").exists()


@pytest.fixture
def no_work(monkeypatch):
    """Fails the test if the command starts computing the run's inputs (the one way a model gets them,
    kmc.launch.cell_inputs_of)."""
    import kmc.launch

    def refuse(settings, *args, **numerics):
        raise AssertionError("the run's inputs were computed before the refusal")
    monkeypatch.setattr(kmc.launch, "cell_inputs_of", refuse)


def _refused(argv):
    done = CliRunner().invoke(meso_command, argv)
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.output
    return lines[0]


def test_a_bad_output_path_is_refused_before_any_work(tmp_path, no_work):
    (tmp_path / "old.h5").write_text("an earlier run")
    (tmp_path / "a_file").write_text("")
    assert "exists" in _refused(["limg_li2s", "-o", str(tmp_path / "old.h5")])
    assert (tmp_path / "old.h5").read_text() == "an earlier run"
    assert "is a directory" in _refused(["limg_li2s", "-o", str(tmp_path)])
    assert "cannot be created" in _refused(["limg_li2s", "-o", str(tmp_path / "a_file" / "run.h5")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "old.h5"]


def test_a_temperature_in_celsius_is_refused_with_the_reason(tmp_path, no_work):
    message = _refused(["li_li2s", "-o", str(tmp_path / "cold.h5"), "--set", "conditions.temperature_K=25"])
    assert "not bcc" in message and "25 C would be 298.15 K" in message
    assert not (tmp_path / "cold.h5").exists()


def test_temperatures_away_from_the_sources_are_warned_about(li_params):
    assert check(load_config(li_params, []), "meso") == []       # the shipped 298 K
    warned = check(load_config(li_params, ["conditions.temperature_K=273"]), "meso")
    assert len(warned) == 1 and "Arrhenius extrapolations" in warned[0].line()
    assert check(load_config(li_params, [f"conditions.temperature_K={LI_MARTENSITE_START_K}"]), "meso")


# Inputs that decide the energetics (kmc.energetics.cache_key), each changed once
CHANGES = ("conditions.temperature_K=300", "composition.solute_fraction=0.05", "energy.host_host_pair_eV=0.137",
           "lattice.lattice_constant_A=3.5")


def test_the_interface_energetics_are_cached_per_parameter_set(tmp_path, monkeypatch, limg_params):
    """A second process (the in-process cache cleared) reads the file the first wrote; a changed
    temperature, energy parameter or solute fraction misses it.  The computation is replaced by a
    cheap stand-in that counts its calls (what is cached is tested, not the Monte Carlo)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(interface, "_CACHE", {})
    computed = []

    def stand_in(settings):
        computed.append(settings)
        T = settings.conditions.temperature_K
        return interface.InterfaceEnergetics(T / 10, 0.4, 0.7, 0.59, ((0.03, 0.593), (1.0, 1.0)))
    monkeypatch.setattr(interface, "_compute", stand_in)
    base = load_config(limg_params, [])
    first = interface.interface_energetics(base)
    assert len(computed) == 1 and len(list(interface.cache_folder().glob("*.json"))) == 1
    interface._CACHE.clear()                         # a new process
    assert interface.interface_energetics(base) == first and len(computed) == 1
    # what does not decide it shares the entry: the pressure
    interface._CACHE.clear()
    interface.interface_energetics(base.with_overrides(["conditions.stack_pressure_MPa=1.5"]))
    assert len(computed) == 1
    for n, change in enumerate(CHANGES, start=2):
        interface._CACHE.clear()
        interface.interface_energetics(base.with_overrides([change]))
        assert len(computed) == n, change           # a miss
        assert len(list(interface.cache_folder().glob("*.json"))) == n


def test_a_runaway_stops_with_its_reason(tmp_path, li_params):
    """At 273 K with the 0 K vacancy inputs (no formation entropy: S ~ 1e3 there) the disc model's Li
    nucleates ~1e5 voids in its first 1e-9 mAh/cm2 (the model extrapolates beyond its sources): on a 40 um square the 6,400 squares of 0.5 um are passed
    within a few steps.  (The resolved interface's voids are runs of open cells on its section, at
    most half its cells: their count cannot run away, its steps can.)"""
    out = tmp_path / "cold.h5"
    done = CliRunner().invoke(meso_command, ["li_li2s", "-o", str(out), "--set", "conditions.temperature_K=273",
                                             "--set", "meso.width_um=40", "--interface", "disc",
                                             "--set", NO_FORMATION_ENTROPY, "--set", NO_CONTACT_SINK])
    assert done.exit_code == EXIT_RUNAWAY, done.output
    assert "warning: " in done.output and "error: runaway: " in done.output and "6,400 squares" in done.output
    with h5py.File(out, "r") as f:
        assert f["run"].attrs["stop_reason"] == "runaway_voids"
        assert f["observables/void_count/value"][-1] > 6400


def test_the_step_bound_stops_a_run_and_keeps_its_file(tmp_path, li_params):
    settings = load_config(li_params, ["meso.stop_stripped_mAh_cm2=0.002", "meso.output_every_mAh_cm2=0.00005"])
    guard = RunawayStop(RunawayBounds(max_voids=10 ** 9, max_steps=5, voids_why="", steps_why="five steps"))
    result = run_to_file(settings, tmp_path / "steps.h5", observer=guard)
    assert result.stop_reason == "runaway_steps" and result.steps == 6 and "five steps" in guard.message
    with h5py.File(tmp_path / "steps.h5", "r") as f:
        assert f["run"].attrs["stop_reason"] == "runaway_steps"


def _failing_at(monkeypatch, solve: str, call: int, scribble=None) -> list:
    """The gap model's ``solve`` (kmc.resolved.gap's vacancy_field or fast_nuclei) falling short at its ``call``-th
    call (FieldNotConverged; ``scribble(args)`` first: a step that changed its state before), itself otherwise;
    returns the list its calls are counted in."""
    from kmc.resolved import gap
    from kmc.resolved.fields import FieldNotConverged
    real, calls = getattr(gap, solve), []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            if scribble is not None:
                scribble(args)
            raise FieldNotConverged("the solve under test left a residual of 0.5 after 7 iterations")
        return real(*args, **kwargs)
    monkeypatch.setattr(gap, solve, failing)
    return calls


def _ends_at_its_last_sample(path) -> None:
    """The file's /run (time, the solver's message) is its last sample's, its stop unconverged."""
    with h5py.File(path, "r") as f:
        assert f["run"].attrs["stop_reason"] == "unconverged"
        assert f["run"].attrs["unconverged"] == "the solve under test left a residual of 0.5 after 7 iterations"
        assert f["run"].attrs["physical_time_s"] == f["observables/physical_time/value"][-1]
        charge = f["observables/stripped_charge/value"][:]
    assert 0 < charge[-1] < 0.002 and charge.size > 1


@pytest.mark.parametrize("solve", ["vacancy_field", "fast_nuclei"])
def test_an_unconverged_solve_stops_the_run_and_keeps_its_file(tmp_path, li_params, monkeypatch, solve):
    """A solve that falls short of its tolerance at the 30th call (the step's vacancy field in the model's rates,
    or the nuclei's own solves inside a step) ends the run at its last sample: exit 4, one error line with the
    solver's message, and the file complete up to that sample, stop_reason unconverged."""
    calls = _failing_at(monkeypatch, solve, 30)
    out = tmp_path / "unconverged.h5"
    done = CliRunner().invoke(meso_command, ["li_li2s", "-o", str(out), *SHORT])
    assert done.exit_code == EXIT_UNCONVERGED, done.output
    assert "error: the solve under test left a residual of 0.5 after 7 iterations; " in done.output
    assert "stop_reason unconverged" in done.output and len(calls) == 30
    _ends_at_its_last_sample(out)


def test_an_unconverged_step_ends_at_the_last_sample_without_a_signal_handler(tmp_path, li_params, monkeypatch):
    """Outside `kmc meso` (a sweep's or a scan's run: no SignalStop), a step cut short by a solve (the nuclei's, at
    the 30th call: inside the 15th step, after its growth; the step's sub-grid nuclei changed in place before it,
    as a step may change its state) still ends the run at its last sample's state: the state a run stopped at
    that sample's charge ends with, bit for bit, not the half-taken step's."""
    def scribble(args):                        # fast_nuclei(inp, cap, K, nuclei, ...): the state's nuclei
        args[3][...] += 1.0
    _failing_at(monkeypatch, "fast_nuclei", 30, scribble)
    settings = load_config(li_params, SHORT[1::2])
    result = run_to_file(settings, tmp_path / "library.h5")
    assert result.stop_reason == "unconverged" and result.steps == 14
    _ends_at_its_last_sample(tmp_path / "library.h5")
    there = settings.replaced(meso={"stop_stripped_mAh_cm2": float(result.series["stripped_charge"][-1])})
    reference = run_to_file(there, tmp_path / "there.h5")
    assert reference.stop_reason == "stripped" and reference.steps == 14
    for name in ("gap_um", "nuclei", "nucleus_radius_um", "rim_fill"):
        assert (getattr(result.final, name) == getattr(reference.final, name)).all(), name


def test_the_bounds_come_from_the_box(li_params):
    from kmc.launch import cell_inputs_of
    inp = cell_inputs_of(load_config(li_params, []), "disc")
    bounds = DiscVoids(inp).runaway_bounds()
    assert bounds.max_voids == int((inp.width_um / inp.min_void_width_um) ** 2)
    wider = DiscVoids(dataclasses.replace(inp, width_um=2 * inp.width_um)).runaway_bounds()
    assert wider.max_voids == 4 * bounds.max_voids and wider.max_steps == bounds.max_steps
    # the shipped Li run takes 4,270 steps; the bound is (2000 + 161) x 334
    assert bounds.max_steps == (2000 + 161) * 334
    report = StepReport(10, 0.1, 1.0, 0.1, 0.9, 4.0, bounds.max_voids + 1)
    assert RunawayStop(bounds).on_step(report) == "runaway_voids"
    assert RunawayStop(bounds).on_step(dataclasses.replace(report, void_count=None)) is False


@pytest.mark.slow   # ~9 s of CPU (two kmc meso runs); the bar is cosmetic, the fast tier keeps the quiet default everywhere else
def test_progress_shows_on_request_only(tmp_path):
    # ten samples, not SHORT's 40 (those are for the pause at step 20): the bar shows from the first
    argv = ["li_li2s", "-o", str(tmp_path / "a.h5"), "--set", "meso.stop_stripped_mAh_cm2=0.0005",
            "--set", "meso.output_every_mAh_cm2=0.00005"]
    quiet = CliRunner().invoke(meso_command, argv)
    assert quiet.exit_code == 0 and "mAh/cm2 [" not in quiet.output     # not a terminal: no bar
    shown = CliRunner().invoke(meso_command, [*argv, "-o", str(tmp_path / "b.h5"), "--progress"])
    # the bar itself (its steps/s postfix shows at tqdm's refresh interval: a fast run may end first)
    assert shown.exit_code == 0 and "mAh/cm2 [" in shown.output, shown.output


def test_the_room_check_counts_an_areas_frames_and_its_press(tmp_path, li_params):
    """kmc meso's free-space bound holds the frames and the kept press (CellModel.frame_cells): on a 640 x 160 um
    area the raw gap fields of its nine frames alone are 8 B x 1.6e6 cells x 9 (~0.12 GB), and it asks for at least
    that; a small area's real file (frames, /press) is within its bound."""
    from kmc.cli.meso import _estimated_file_bytes
    big = load_config(li_params, ["meso.interface=area", "meso.width_um=640", "meso.depth_um=160"])
    assert _estimated_file_bytes(big) >= 8 * 2560 * 640 * 9
    sets = ["meso.interface=area", "meso.width_um=20", "meso.depth_um=5", "meso.stop_stripped_mAh_cm2=0.3"]
    out = tmp_path / "small.h5"
    done = CliRunner().invoke(meso_command, [str(li_params), "-o", str(out), *[a for s in sets for a in ("--set", s)]])
    assert done.exit_code == 0, done.output
    with h5py.File(out) as f:
        assert f["sections/gap"].shape[0] >= 3 and "press" in f
    assert out.stat().st_size <= _estimated_file_bytes(load_config(li_params, sets))
