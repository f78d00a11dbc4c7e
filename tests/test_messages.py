"""Messages that hold: each message a newcomer's trial found wrong, corrected, with a test
each; the first run's compile notice and clock; warnings in one line, once per sweep; figures with
nothing to show say so."""
from __future__ import annotations

import json
import math

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from kmc.cli import main
from kmc.config import load_config, resolve_params
from regimes import PERFECT_INTERFACE_RUN

# a kmc meso run of seconds: the disc model to 0.01 mAh/cm2
DISC = ["meso.interface=disc", "meso.stop_stripped_mAh_cm2=0.01"]
TINY_RUN = ["lattice.cells=[4,4,3]", "run.max_events=2000"]


def sets(items):
    return [arg for item in items for arg in ("--set", item)]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error(result) -> str:
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def meso_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("messages") / "meso.h5"
    result = invoke("meso", "li_li2s", "-o", out, *sets(DISC))
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def kmc_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("messages") / "run.h5"
    result = invoke("run", "li_li2s", "-o", out, *sets(TINY_RUN))
    assert result.exit_code == 0, result.stderr
    return out


# ------------------------------------------------------------------------------- kmc run --resume
def test_resume_says_what_the_file_is_when_it_is_no_run_to_resume(tmp_path, meso_file, kmc_file):
    notes = tmp_path / "notes.h5"
    notes.write_text("my notes\n")
    said = one_error(invoke("run", "--resume", notes))
    assert "is not an HDF5 file" in said and "finished" not in said
    assert "kmc meso file" in one_error(invoke("run", "--resume", meso_file))
    assert "is a finished run" in one_error(invoke("run", "--resume", kmc_file))
    assert notes.read_text() == "my notes\n"


# ------------------------------------------------------------------------------- meso files and kmc plot
def test_a_meso_file_is_named_for_what_it_holds_by_every_plot_kind(tmp_path, meso_file):
    """The solute profile reads a kMC run's frames or a gap-model run's Mg field: a disc meso file has neither,
    and the refusal names both; a disc run holds no gap sections for the sections' plots either, and says so."""
    said = one_error(invoke("plot", meso_file, "--kind", "solute-profile", "-o", tmp_path / "p.png"))
    assert "kmc meso file" in said and "no lattice frames" in said and "no Mg field" in said
    assert "kmc run file" in said and "meso.interface = 'section' or 'area'" in said
    for kind in ("cross-section", "plan"):
        said = one_error(invoke("plot", meso_file, "--kind", kind, "-o", tmp_path / "s.png"))
        assert "no gap sections" in said and "meso.interface = 'section'" in said
    assert not list(tmp_path.iterdir())


def test_frames_out_of_range_of_a_resolved_file_count_its_gap_sections(tmp_path, meso_file):
    """A resolved file's stored sections are what --frames picks: the refusal counts them as sections
    (it said '8 frames' of a file the plan refusal said has none)."""
    resolved = tmp_path / "resolved.h5"
    with h5py.File(meso_file, "r") as src, h5py.File(resolved, "w") as dst:
        for name in src:
            src.copy(name, dst)
        dst["parameters"].attrs["meso.interface"] = "resolved"
        g = dst.create_group("sections")
        g.attrs["cell_um"] = 0.25
        g["gap"] = np.zeros((3, 640))
        g["stripped_charge"] = np.array([0.0, 0.005, 0.01])
    said = one_error(invoke("plot", resolved, "--kind", "cross-section", "--frames", "20", "-o", tmp_path / "s.png"))
    assert "holds 3 gap sections" in said and "3 frames" not in said


def test_the_meso_contact_figure_names_the_model_s_shape_and_says_when_no_void_shows(meso_file, tmp_path):
    from kmc.plot import contact_loss
    fig = contact_loss(meso_file)
    assert "µm square" in fig._suptitle.get_text()            # the disc model's periodic square
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("no void" in t for t in texts), texts
    # the overpotential (constant at full contact) sits inside the frame, below the contact at its top
    eta_axis = next(ax for ax in fig.axes if "overpotential" in ax.get_ylabel())
    eta = eta_axis.lines[0].get_ydata()
    assert np.ptp(eta) == 0 and eta.max() <= eta_axis.get_ylim()[1] / 1.4
    resolved = tmp_path / "resolved.h5"
    with h5py.File(meso_file, "r") as src, h5py.File(resolved, "w") as dst:
        for name in src:
            src.copy(name, dst)
        dst["parameters"].attrs["meso.interface"] = "resolved"         # a file of before "section" and "area"
    assert "µm section" in contact_loss(resolved)._suptitle.get_text()


def test_plot_refuses_an_existing_image_without_overwrite(tmp_path, kmc_file):
    image = tmp_path / "contact.png"
    image.write_bytes(b"an earlier figure")
    said = one_error(invoke("plot", kmc_file, "--kind", "contact", "-o", image))
    assert "exists" in said and "--overwrite" in said
    assert image.read_bytes() == b"an earlier figure"
    result = invoke("plot", kmc_file, "--kind", "contact", "-o", image, "--overwrite")
    assert result.exit_code == 0 and image.read_bytes()[:4] == b"\x89PNG"


def test_an_interrupted_meso_file_says_so_when_loaded(tmp_path):
    """A kmc meso run stopped by Ctrl-C is written whole under its final name, stop_reason
    interrupted: kmc.load and kmc info call it interrupted (load said 'complete')."""
    from kmc.cell.loop import Observer
    from kmc.launch import run_cell_to_file
    from kmc.runfile import info, load

    class StopAtFive(Observer):
        def on_step(self, report):
            return report.steps >= 5      # True: "interrupted", as the Ctrl-C observer answers

    out = tmp_path / "cut.h5"
    settings = load_config(resolve_params("li_li2s"), DISC)
    assert run_cell_to_file(settings, out, observer=StopAtFive(), warn=None).stop_reason == "interrupted"
    assert load(out, as_xarray=False)["attrs"]["run_status"] == "interrupted"
    shown = info(out)
    assert "run interrupted: stopped by Ctrl-C or SIGTERM" in shown
    assert "nan" not in shown and "final void_width_max             none (no void at the end)" in shown


# ------------------------------------------------------------------------------- sweep status and collect
def _finished(path, stop="stripped_charge"):
    with h5py.File(path, "w") as f:
        f.create_group("run").attrs["stop_reason"] = stop


def test_sweep_status_finds_the_runs_from_the_manifest_without_their_set(tmp_path):
    """A folder whose runs were made with --set: --status without it reads them from the manifest (it
    read '0 done, 8 pending') and says the spec as given plans other runs."""
    from kmc.sweep import expand_sweep
    spec = tmp_path / "spec.toml"
    spec.write_text(f'[sweep]\nroot_seed = 1\n[base]\nparams = "{resolve_params("li_li2s")}"\n'
                    "[grid]\nconditions.stack_pressure_MPa = [0.2, 1.0, 2.0, 5.0]\n")
    out = tmp_path / "out"
    out.mkdir()
    made_with = ["lattice.cells=[8,8,6]"]
    plan = expand_sweep(spec, made_with, out)
    runs = {}
    for k, run in enumerate(plan.runs):
        _finished(out / f"{run.name}.h5", "interrupted" if k == 3 else "stripped_charge")
        runs[run.name] = {"file": f"{run.name}.h5", "varied": run.varied, "replica": 0, "seed": run.seed,
                          "overrides": made_with, "status": "done", "error": None}
    (out / "manifest.json").write_text(json.dumps({"runs": runs, "charge_marks_mAh_cm2": []}))
    status = invoke("sweep", spec, "--out", out, "--status")
    assert status.exit_code == 0, status.stderr
    first, second = status.stdout.splitlines()
    assert first.endswith("4 runs in " + str(out) + ": 3 done, 0 failed, 1 pending")
    assert "its runs were made with --set lattice.cells=[8,8,6]" in second
    with_set = invoke("sweep", spec, "--out", out, "--status", *sets(made_with))
    assert with_set.stdout.strip().endswith("3 done, 0 failed, 1 pending")


# ------------------------------------------------------------------------------- the first run
def test_the_compile_clock_counts_compiles_only_and_tells_the_first_once():
    """numba's compile events: a fresh function compiles (notice once, seconds counted), a compiled
    one runs without either."""
    import numba
    from kmc.observers import COMPILE_CLOCK

    @numba.njit(cache=False)
    def twice(x):
        return 2 * x

    heard = []
    before = COMPILE_CLOCK.seconds
    with COMPILE_CLOCK.watch(lambda: heard.append("compiling")):
        assert twice(3) == 6
        assert twice(4.5) == 9.0          # a second compile in the same watch: no second notice
    assert heard == ["compiling"] and COMPILE_CLOCK.seconds > before
    before = COMPILE_CLOCK.seconds
    with COMPILE_CLOCK.watch(lambda: heard.append("again")):
        assert twice(5) == 10
    assert heard == ["compiling"] and COMPILE_CLOCK.seconds == before


def test_a_run_records_its_compile_apart_and_says_so_only_if_it_compiled(tmp_path):
    """open_run compiles the engine before the run's clocks: /run compile_time_s is what numba spent
    compiling (0 when the engine came from its cache, as here after the module's first run), the
    notice came iff it compiled, and kmc info shows it."""
    from kmc.launch import open_run
    from kmc.runfile import info
    heard = []
    settings = load_config(resolve_params("li_li2s"), TINY_RUN)
    sim, writer, checkpointer = open_run(tmp_path / "r.h5", "fresh", settings, warn=None,
                                         notice=lambda: heard.append(1))
    result = sim.run(writer, progress=False, checkpointer=checkpointer)
    with h5py.File(tmp_path / "r.h5", "r") as f:
        recorded = f["run"].attrs["compile_time_s"]
        assert f["run"].attrs["events_per_s"] == pytest.approx(result.events / f["run"].attrs["wall_time_s"])
    assert recorded == result.compile_time_s >= 0
    assert bool(heard) == (recorded > 0)
    assert ("compiling the engine" in info(tmp_path / "r.h5")) == (recorded > 0)


# ------------------------------------------------------------------------------- warnings
def test_a_sweep_prints_each_warning_once_and_its_workers_none(tmp_path, monkeypatch, capfd):
    """Two Li-Mg runs beyond the converged acceleration (the perfect interface's 5.5 monolayers at A = 1e4:
    regimes.PERFECT_INTERFACE_RUN) and at 350 K: each warning printed once, in one line, by the sweep (not
    per worker, not as a Python warning); a worker's run prints nothing."""
    import kmc.sweep as sweeping
    monkeypatch.setattr(sweeping, "_run_todo", lambda *args: None)      # the pool is not what is tested
    spec = tmp_path / "spec.toml"
    spec.write_text(f'[sweep]\nroot_seed = 1\n[base]\nparams = "{resolve_params("limg_li2s")}"\n'
                    "[grid]\nconditions.exchange_current_mA_cm2 = [1.0, 2.0]\n")
    result = invoke("sweep", spec, "--out", tmp_path / "out", "--set", "conditions.temperature_K=350",
                    *sets(PERFECT_INTERFACE_RUN))
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(lines) == 2 and len(result.stderr.splitlines()) == 2, result.stderr
    assert lines[0].startswith("warning: conditions.temperature_K = 350") and "would satisfy it" in lines[0]
    assert lines[1].startswith("warning: run.acceleration = 10000") and "would be within it" in lines[1]
    # a run that would warn (beyond the converged acceleration) if its worker printed
    plan = sweeping.expand_sweep(spec, ["lattice.cells=[4,4,3]", "run.max_events=2000", *PERFECT_INTERFACE_RUN],
                                 tmp_path / "w")
    from kmc.config import Settings
    from kmc.launch import run_advice
    assert [a.setting for a in run_advice(Settings(plan.runs[0].config, plan.runs[0].source))] == ["run.acceleration"]
    (tmp_path / "w").mkdir()
    capfd.readouterr()
    assert sweeping.execute_run(plan.runs[0], str(tmp_path / "w"))["status"] == "done"
    assert capfd.readouterr().err == ""


def test_warnings_are_one_line_naming_the_setting_and_its_cost():
    from kmc.launch import run_advice
    # Li-Mg over the perfect interface's 5.5 monolayers: beyond its converged acceleration
    settings = load_config(resolve_params("limg_li2s"), ["conditions.temperature_K=330", *PERFECT_INTERFACE_RUN])
    advice = run_advice(settings)
    assert [a.setting for a in advice] == ["conditions.temperature_K", "run.acceleration"]
    for item in advice:
        assert "\n" not in item.line() and item.setting in item.remedy
    assert math.isclose(float(advice[1].remedy.split("at up to ")[1].split("x")[0]),
                        1e4 / float(advice[1].remedy.split("= ")[1].split(" ")[0]), rel_tol=0.05)


def _on_a_terminal(argv, env, cwd) -> list[tuple[float, str]]:
    """Run ``argv`` on a pseudo-terminal (its stderr a tty, as a user's); every screen update (split at
    carriage returns and newlines) with the wall seconds since the start at which it arrived."""
    import fcntl
    import os
    import pty
    import struct
    import termios
    import time
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:                       # the child: the command, with the pty as its terminal
        os.chdir(cwd)
        os.execve(argv[0], argv, env)
    # a terminal 160 columns wide (a new pty has 0 x 0, where tqdm draws nothing)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    updates, pending = [], ""
    while True:
        try:
            chunk = os.read(fd, 4096).decode(errors="replace")
        except OSError:                # the child closed the terminal: it has ended
            break
        if not chunk:
            break
        pending += chunk
        *done, pending = pending.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        now = time.perf_counter() - start
        updates += [(now, line) for line in done if line.strip()]
    os.waitpid(pid, 0)
    os.close(fd)
    return updates + ([(time.perf_counter() - start, pending)] if pending.strip() else [])


def _seconds(text: str) -> float:
    parts = [int(p) for p in text.split(":")]
    return sum(p * 60 ** k for k, p in enumerate(reversed(parts)))


@pytest.mark.slow
def test_a_first_run_on_a_terminal_says_it_compiles_and_then_gives_a_sane_eta(tmp_path):
    """slow: a cold compile of the engine, ~1-2 min of CPU.  With numba's cache empty (NUMBA_CACHE_DIR
    pointed at an empty folder), `kmc run` on a terminal prints the compile notice at once, the bar
    appears only when the engine is compiled, and shows no remaining time: the run ends at a stripped
    charge, and the events each stripped atom costs are not known ahead (they rise a hundredfold as
    vacancies gather at the pore's edge; a bar that extrapolated the charge said 00:00 at 49 % with 77 s
    to go).  A run ended by its events alone then shows the remaining time of its events: each within
    4x the time the run then took, plus 10 s of a loaded machine's noise.  The run's /run holds the
    compile apart, and its events/s counts events only."""
    import os
    import re
    import sys
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), COLUMNS="160", LINES="40")
    out = tmp_path / "first.h5"
    argv = [sys.executable, "-m", "kmc.cli", "run", "li_li2s", "--set", "lattice.cells=[8,8,6]",
            "--set", "run.stop_stripped_mAh_cm2=4e-5", "-o", str(out)]
    updates = _on_a_terminal(argv, env, tmp_path)
    text = "\n".join(line for _, line in updates)
    from kmc.observers import COMPILE_NOTICE
    notice = [t for t, line in updates if COMPILE_NOTICE in line]
    bars = [(t, line) for t, line in updates if "mAh/cm2 [" in line]      # kmc.observers.ChargeBar
    assert len(notice) == 1 and bars, text
    with h5py.File(out, "r") as f:
        run = dict(f["run"].attrs)
    assert run["compile_time_s"] > 5, run                          # it did compile: the cache was cold
    assert notice[0] < bars[0][0] - 0.5 * run["compile_time_s"], (notice, bars[0])   # told before the wait
    assert not any(re.search(r"<(\d+(?::\d+)+)", line) for _, line in bars), text
    assert all("time left unknown" in line for _, line in bars), text
    assert run["events_per_s"] == pytest.approx(run["events"] / run["wall_time_s"])
    assert f"compiling the engine took {run['compile_time_s']:.1f} s" in text
    # to a number of events (the engine now in the cache): the time left is that of the events
    argv = [sys.executable, "-m", "kmc.cli", "run", "li_li2s", "--set", "lattice.cells=[8,8,6]",
            "--set", "run.stop_stripped_mAh_cm2=0", "--set", "run.max_events=3000000", "-o", str(tmp_path / "ev.h5")]
    updates = _on_a_terminal(argv, env, tmp_path)
    text = "\n".join(line for _, line in updates)
    end = updates[-1][0]
    shown = [(t, _seconds(m.group(1))) for t, line in updates if " events [" in line
             and (m := re.search(r"<(\d+(?::\d+)+)", line))]
    assert shown, text
    for t, remaining in shown:
        assert remaining <= 4 * (end - t) + 10, (remaining, end - t, text)


def test_kmc_run_tells_a_compile_off_a_terminal_too(tmp_path, monkeypatch):
    """The first run's minute of compiling is never silent: kmc run hands open_run the notice printer
    whether stderr is a terminal or not (here it is not: CliRunner's), and the notice is one line on
    stderr."""
    import kmc.launch
    from kmc.observers import COMPILE_NOTICE, print_compile_notice
    given = []
    real = kmc.launch.open_run

    def spy(*args, **kwargs):
        given.append(kwargs.get("notice"))
        return real(*args, **kwargs)
    monkeypatch.setattr(kmc.launch, "open_run", spy)
    result = invoke("run", "li_li2s", "-o", tmp_path / "n.h5", *sets(TINY_RUN))
    assert result.exit_code == 0, result.stderr
    assert given == [print_compile_notice]
    import io
    stream = io.StringIO()
    print_compile_notice(stream)
    assert stream.getvalue() == COMPILE_NOTICE + "\n"


class _Stop:
    """StopConditions' fields the observers read."""
    def __init__(self, events=2**63 - 1, strip_atoms=2**63 - 1, time_s=math.inf):
        self.events, self.strip_atoms, self.time_s = events, strip_atoms, time_s


class _Sim:
    def __init__(self, contact=0.8475):
        self.events, self.time_s, self.stripped_atoms, self.contact = 0, 0.0, 0, contact

    def observables(self):
        return {"contact_fraction": self.contact}


def test_the_bar_shows_the_samples_numbers_and_a_remaining_time_only_where_events_pace_the_run(capsys):
    """The bar's contact is the sample's (339 of 400 sites: 0.8475, not 0.848), redrawn at every tick
    (a late chunk that strips little never leaves a stale value); a run to a charge shows no time left,
    a run to a number of events the time left of its events."""
    from kmc.observers import ProgressBar, Tick
    bar = ProgressBar(400, 1e-8)
    bar.display.bar.disable = False
    bar.on_tick(_Sim(), Tick(1000, 1e-7, 100, False, False))
    text = str(bar.display.bar)
    assert "contact 0.8475" in text and "time left unknown" in text and "<" not in text.split("mAh/cm2")[-1]
    bar.close()
    bar = ProgressBar(None, 1e-8, total_events=10_000)
    bar.on_tick(_Sim(0.85), Tick(5000, 1e-7, 100, False, False))
    text = str(bar.display.bar)
    assert "events [" in text and "<" in text and "contact 0.85" in text
    bar.close()


def test_chunks_follow_the_event_rate_to_last_about_a_second():
    from kmc.observers import CHUNK_GROWTH, CHUNK_WALL_S, FIRST_CHUNK_EVENTS, ChunkPacer
    pacer = ChunkPacer(10**9)
    assert pacer.size == FIRST_CHUNK_EVENTS
    pacer.record(FIRST_CHUNK_EVENTS, 0.01 * CHUNK_WALL_S)          # fast: grows, at most CHUNK_GROWTH at a time
    assert pacer.size == CHUNK_GROWTH * FIRST_CHUNK_EVENTS
    for _ in range(10):
        pacer.record(pacer.size, pacer.size / 2e5)                   # 0.2 M events/s
    assert pacer.size == pytest.approx(2e5 * CHUNK_WALL_S, rel=1e-6)
    pacer.record(pacer.size, 30.0)                                   # a slow stretch: shrinks at once
    assert pacer.size == pytest.approx(2e5 * CHUNK_WALL_S / 30, rel=1e-3)
    pacer.record(50, 1e-4)                                           # a chunk cut short by a sample: kept
    assert pacer.size == pytest.approx(2e5 * CHUNK_WALL_S / 30, rel=1e-3)
    assert ChunkPacer(777).size == 777                               # never above run.chunk_events


def test_a_slow_run_warns_once_with_the_time_left_at_its_pace(monkeypatch):
    import kmc.observers as obs
    from kmc.observers import PACE_WATCH_AFTER_S, PaceWatch, Tick
    clock = [100.0]
    monkeypatch.setattr(obs._time, "perf_counter", lambda: clock[0])
    heard = []
    watch = PaceWatch(_Sim(), _Stop(strip_atoms=1000), warn=heard.append)
    clock[0] += PACE_WATCH_AFTER_S / 2
    watch.on_tick(None, Tick(10, 0, 1, False, False))
    assert heard == []                                               # too early to say
    clock[0] += PACE_WATCH_AFTER_S
    watch.on_tick(None, Tick(20, 0, 10, False, False))               # 1 % in 30 s: ~50 min to go
    watch.on_tick(None, Tick(30, 0, 11, False, False))
    assert len(heard) == 1 and heard[0].setting == "run.stop_wall_s"
    assert "1 % of the way in 30 s" in heard[0].problem and "~50 min more" in heard[0].problem
    quick = PaceWatch(_Sim(), _Stop(events=1000), warn=heard.append)   # half way in 30 s: no warning
    clock[0] += 30
    quick.on_tick(None, Tick(500, 0, 0, False, False))
    assert len(heard) == 1
