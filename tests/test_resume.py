"""Checkpoints and resuming: an interrupted or killed run, resumed, ends bit-identical to an
uninterrupted one; Ctrl-C stops cleanly; bad resume requests are refused with one line."""
import os
import signal
import subprocess
import sys

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from kmc.checkpoint import Checkpointer, load_checkpoint, resume_run
from kmc.cli import main
from kmc.config import load_config
from kmc.observers import FIRST_CHUNK_EVENTS
from kmc.runfile import KmcWriter
from kmc.simulation import Simulation
from conftest import PARAMS
from pausing import pause_env, resume, wait_paused

# Small Li-Mg slab with tracers, frames every 6000 events and samples every 1500: a few seconds.
SMALL = ["lattice.cells=[8,8,6]", "composition.vacancy_fraction=0.01", "run.acceleration=3e6",
         "run.stop_stripped_mAh_cm2=0", "run.max_events=60000", "run.chunk_events=2500",
         "output.frame_every_mAh_cm2=0", "output.series_every_mAh_cm2=0",
         "output.frame_every_events=6000", "output.series_every_events=1500", "tracers.count=40"]


def datasets(path):
    """Every dataset of a run file, by name."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
        run = dict(f["run"].attrs)
    return out, run


def assert_same_run(a, b):
    da, ra = datasets(a)
    db, rb = datasets(b)
    assert set(da) == set(db)
    for name in da:
        np.testing.assert_array_equal(da[name], db[name], err_msg=name)
    machine_dependent = {"wall_time_s", "events_per_s", "resumed"}
    assert {k: v for k, v in ra.items() if k not in machine_dependent} == \
           {k: v for k, v in rb.items() if k not in machine_dependent}


def full_run(params, tmp_path, overrides=()):
    path = tmp_path / "full.h5"
    sim = Simulation(load_config(params, SMALL + list(overrides)))
    sim.run(KmcWriter(path, sim), progress=False)
    return path


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The small Li-Mg run from start to end, once for the module: what every interrupted and resumed
    run must end as (read only)."""
    return full_run(PARAMS / "limg_li2s.toml", tmp_path_factory.mktemp("uninterrupted"))


def interrupt_after(sim, chunks, grow=False):
    """Make ``sim.run`` see a stop request (as from SIGINT) after ``chunks`` chunks; optionally
    grow the vacancy arrays first, so the checkpoint holds a capacity the fresh run lacks."""
    real_step = sim.step
    calls = {"n": 0}

    def step(*a, **k):
        calls["n"] += 1
        out = real_step(*a, **k)
        if calls["n"] == chunks:
            if grow:
                sim._allocate(2 * sim.capacity)
            sim.request_stop()
        return out
    sim.step = step


# a third chunking, ~3 s of CPU: in the slow tier
@pytest.mark.parametrize("chunks, grow", [(1, False), (7, True), pytest.param(13, False, marks=pytest.mark.slow)])
def test_interrupted_then_resumed_equals_uninterrupted(limg_params, tmp_path, chunks, grow, uninterrupted):
    reference = uninterrupted
    path = tmp_path / "cut.h5"
    sim = Simulation(load_config(limg_params, SMALL))
    interrupt_after(sim, chunks, grow)
    result = sim.run(KmcWriter(path, sim), progress=False, checkpointer=Checkpointer(path, 1e9))
    assert result.stop_reason == "interrupted"
    assert not path.exists() and (tmp_path / "cut.h5.partial").exists()
    with h5py.File(tmp_path / "cut.h5.partial", "r") as f:    # closed cleanly: opens
        assert f["particles/metal/species/value"].shape[0] >= 1
    _, state, _, _ = load_checkpoint(tmp_path / "cut.h5.checkpoint")
    assert int(state["events"]) == result.events > 0
    sim2, writer, checkpointer, final = resume_run(path)
    assert sim2.events == result.events
    result2 = sim2.run(writer, progress=False, checkpointer=checkpointer)
    assert result2.stop_reason == "max_events" and result2.events == 60000
    assert final == path and path.exists()
    assert not (tmp_path / "cut.h5.partial").exists() and not (tmp_path / "cut.h5.checkpoint").exists()
    assert_same_run(reference, path)


def test_state_arrays_cover_every_mutable_array(limg_params):
    """A checkpoint must hold every array the engine mutates: any ndarray attribute that changes
    during a run and is neither listed in STATE_ARRAYS nor rebuilt on restore (DERIVED_ARRAYS)
    would break bit-identical resuming.  The derived ones must come back exactly as they were, and
    the scratch (the refresh's work queue) must be empty."""
    sim = Simulation(load_config(limg_params, SMALL))
    before = {k: v.copy() for k, v in vars(sim).items() if isinstance(v, np.ndarray)}
    sim.step(20000)
    changed = {k for k, v in before.items() if not np.array_equal(v, getattr(sim, k))}
    assert changed, "nothing changed: the test would be vacuous"
    covered = set(Simulation.STATE_ARRAYS) | set(Simulation.DERIVED_ARRAYS) | set(Simulation.SCRATCH_ARRAYS)
    assert changed <= covered, changed - covered
    assert sim.work[0, 0] == 0, "the refresh's work queue must be empty between events"
    restored = Simulation(load_config(limg_params, SMALL))
    restored.set_state(sim.get_state())
    for name in Simulation.DERIVED_ARRAYS:
        np.testing.assert_array_equal(getattr(restored, name), getattr(sim, name), err_msg=name)


def _run_cmd(params, out, max_events):
    """``kmc run`` on the small slab, frames every 100,000 events, samples every 25,000, chunks of
    at most 20,000 (so the chunk loop stops at 20k, 25k, 45k, 50k, ...: 8 chunks per frame)."""
    return ["run", str(params), "-o", str(out), "--no-progress",
            *[x for o in SMALL + [f"run.max_events={max_events}", "conditions.current_density_mA_cm2=0",
                                  "boundary.bottom=closed", "output.frame_every_events=100000",
                                  "output.series_every_events=25000", "run.chunk_events=20000"]
              for x in ("--set", o)]]


def _kmc(argv, env):
    return subprocess.Popen([sys.executable, "-m", "kmc.cli", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)


@pytest.mark.slow
def test_sigkill_at_chosen_moments_then_resume_is_bit_identical(limg_params, tmp_path):
    """SIGKILL three times, the run and then each resumption, each stopped first at a chosen chunk
    (tests/pause_hook): after 8 chunks (100,000 events: just after the first frame and its
    checkpoint), after 3 (145,000: samples written since the checkpoint at 100,000, which resuming
    must drop) and after 11 (the checkpoint at 200,000 and samples since).  Each time the .partial
    file opens with frames identical to the uninterrupted run's, and the fourth process ends with
    the uninterrupted run's file."""
    reference = tmp_path / "ref.h5"
    made = CliRunner().invoke(main, _run_cmd(limg_params, reference, 600_000))
    assert made.exit_code == 0, made.output
    ref_data, _ = datasets(reference)
    pauses = tmp_path / "pauses"
    env = pause_env(pauses, "8,3,11")
    out = tmp_path / "killed.h5"
    partial = tmp_path / "killed.h5.partial"
    proc = _kmc(_run_cmd(limg_params, out, 600_000), env)
    for attempt in range(3):
        os.kill(wait_paused(pauses, attempt, proc), signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
        with h5py.File(partial, "r") as f:
            steps = f["particles/metal/species/step"][()]
            frames = f["particles/metal/species/value"][()]
        n = len(steps)
        assert n >= 1
        np.testing.assert_array_equal(steps, ref_data["particles/metal/species/step"][:n])
        np.testing.assert_array_equal(frames, ref_data["particles/metal/species/value"][:n])
        # the checkpoint of this attempt stays until the resumed run replaces it
        proc = _kmc(["run", "--resume", str(out), "--no-progress"], env)
    assert proc.wait() == 0, proc.stderr.read().decode()
    assert sorted(p.name for p in pauses.glob("paused-*")) == ["paused-0", "paused-1", "paused-2"]
    assert_same_run(reference, out)


def test_ctrl_c_stops_cleanly_and_resume_finishes(limg_params, tmp_path):
    """A real SIGINT, received once the run has written its .partial file and first checkpoint
    (tests/pause_hook stops it there, before its first chunk): exit code 130, the .partial file
    opens, and --resume completes the run."""
    out = tmp_path / "int.h5"
    pauses = tmp_path / "pauses"
    proc = _kmc(_run_cmd(limg_params, out, 200_000), pause_env(pauses, "0"))
    pid = wait_paused(pauses, 0, proc)
    os.kill(pid, signal.SIGINT)           # pending while the process is stopped
    resume(pid)
    assert proc.wait() == 130
    message = proc.stderr.read().decode()
    assert "kmc run --resume" in message and "Traceback" not in message
    with h5py.File(tmp_path / "int.h5.partial", "r") as f:
        assert f["particles/metal/species/value"].shape[0] >= 1
    _, state, _, _ = load_checkpoint(tmp_path / "int.h5.checkpoint")
    # after the chunk it was in, as the README says: the first, of at most FIRST_CHUNK_EVENTS (kmc.observers)
    assert int(state["events"]) == min(20_000, FIRST_CHUNK_EVENTS)
    result = CliRunner().invoke(main, ["run", "--resume", str(tmp_path / "int.h5.partial"), "--no-progress"])
    assert result.exit_code == 0, result.output
    with h5py.File(out, "r") as f:
        assert f["run"].attrs["events"] == 200_000
        assert f["run"].attrs["resumed"]


@pytest.mark.slow   # ~5 s of CPU; the fast tier keeps a Ctrl-C's clean stop and the resume (test_ctrl_c_stops_cleanly_and_resume_finishes)
def test_ctrl_c_while_the_run_writes_its_first_checkpoint_stops_it_cleanly(limg_params, tmp_path, uninterrupted):
    """A SIGINT that lands while the run starts its files (here: in the first checkpoint's save,
    the moment the CLI test above waits for) stops the run after its first chunk, not with a
    KeyboardInterrupt: the run ends "interrupted", its .partial file and checkpoint resume it, and
    the resumed run ends as an uninterrupted one."""
    reference = uninterrupted

    class SigintOnFirstSave(Checkpointer):
        sent = False

        def save(self, sim, writer):
            if not self.sent:
                self.sent = True
                os.kill(os.getpid(), signal.SIGINT)
            super().save(sim, writer)

    out = tmp_path / "start.h5"
    sim = Simulation(load_config(limg_params, SMALL))
    handler = signal.getsignal(signal.SIGINT)
    try:
        result = sim.run(KmcWriter(out, sim), progress=False, checkpointer=SigintOnFirstSave(out, 1e9))
    except KeyboardInterrupt:
        pytest.fail("the SIGINT escaped the run as a KeyboardInterrupt")
    assert result.stop_reason == "interrupted" and 0 < result.events < 60_000
    assert signal.getsignal(signal.SIGINT) is handler
    sim2, writer, checkpointer, final = resume_run(out.with_name(out.name + ".partial"))
    assert sim2.events == result.events
    sim2.run(writer, progress=False, checkpointer=checkpointer)
    assert final == out
    assert_same_run(reference, out)


@pytest.fixture
def interrupted(limg_params, tmp_path):
    path = tmp_path / "cut.h5"
    sim = Simulation(load_config(limg_params, SMALL))
    interrupt_after(sim, 3)
    sim.run(KmcWriter(path, sim), progress=False, checkpointer=Checkpointer(path, 1e9))
    return path


def _refused(args, *needles):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_resume_refusals(interrupted, limg_params, tmp_path, uninterrupted):
    _refused(["run", "--resume", str(uninterrupted)], "finished run")
    _refused(["run", "--resume", str(tmp_path / "nothing.h5")], "no interrupted run")
    _refused(["run", "--resume", str(interrupted), str(limg_params)], "--resume takes only")
    # a fresh run onto the interrupted run's path must not destroy it
    _refused(["run", str(limg_params), "-o", str(interrupted)], "--resume")
    assert (tmp_path / "cut.h5.partial").exists() and (tmp_path / "cut.h5.checkpoint").exists()


def test_torn_or_foreign_checkpoint_is_refused(interrupted, limg_params, tmp_path):
    ckpt = tmp_path / "cut.h5.checkpoint"
    good = ckpt.read_bytes()
    ckpt.write_bytes(good[: len(good) // 2])
    _refused(["run", "--resume", str(interrupted)], "unreadable")
    # a checkpoint from a run with another configuration
    other = tmp_path / "other.h5"
    sim = Simulation(load_config(limg_params, SMALL + ["run.seed=9"]))
    interrupt_after(sim, 2)
    sim.run(KmcWriter(other, sim), progress=False, checkpointer=Checkpointer(other, 1e9))
    ckpt.write_bytes((tmp_path / "other.h5.checkpoint").read_bytes())
    _refused(["run", "--resume", str(interrupted)], "another run")
    ckpt.unlink()
    _refused(["run", "--resume", str(interrupted)], "no checkpoint")
    assert (tmp_path / "cut.h5.partial").exists()


def test_a_checkpoint_with_the_array_names_of_earlier_versions_resumes(limg_params):
    """Checkpoints written before the run state had one set of names (the exp memo was
    _rate_cache_key / _rate_cache_val) restore through Simulation.RENAMED_ARRAYS and continue the
    same trajectory."""
    over = ["lattice.cells=[4,4,3]", "composition.solute_fraction=0.1", "run.acceleration=1e8"]
    a = Simulation(load_config(limg_params, over))
    a.step(2000)
    old_names = {new: old for old, new in Simulation.RENAMED_ARRAYS.items()}
    state = {old_names.get(name, name): value for name, value in a.get_state().items()}
    assert set(Simulation.RENAMED_ARRAYS) <= set(state)
    b = Simulation(load_config(limg_params, over))
    b.set_state(state)
    a.step(2000)
    b.step(2000)
    assert np.array_equal(a.site_word, b.site_word) and a.clock[0] == b.clock[0]
    assert np.array_equal(a.memo_key, b.memo_key) and np.array_equal(a.rng, b.rng)
