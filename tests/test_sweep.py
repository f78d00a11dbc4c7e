"""Sweeps: expansion and stable seeds, local pool and Dask runs, resume after SIGKILL and Ctrl-C,
failures, --status, --collect, and bad specs."""
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kmc.config import dumps_toml
from kmc.cli.sweep import sweep
from kmc.sweep import expand_sweep, load_sweep
from pausing import pause_env, resume, wait_paused, wait_pending

# each run ~7 strips and 8 frames: a Li-Mg run ~0.4 s of CPU (1.6 s at 3e-5, its electrode's steps)
TINY = ["lattice.cells=[4,4,3]", "run.acceleration=1e8", "run.stop_stripped_mAh_cm2=1.5e-5"]
MACHINE_DEPENDENT_ATTRS = {"wall_time_s", "events_per_s"}

SPEC = """
[sweep]
root_seed = 11
replicas = 2

[base]
params = "params/li_li2s.toml"

[grid]
params = ["params/li_li2s.toml", "params/limg_li2s.toml"]
conditions.stack_pressure_MPa = [0.2, 5]
"""


def write_spec(folder: Path, text: str, name: str = "demo") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def invoke(*args):
    """The sweep command in this process (its pool workers are separate processes)."""
    return CliRunner().invoke(sweep, [str(a) for a in args], catch_exceptions=False)


def tiny_args(spec, out):
    return [spec, "--out", out] + [a for item in TINY for a in ("--set", item)]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def h5_contents(path: Path) -> dict:
    """Every dataset and attribute of a file, except /run's machine-dependent figures."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for key, value in obj.attrs.items():
                if not (name == "run" and key in MACHINE_DEPENDENT_ATTRS):
                    out[f"{name}@{key}"] = value
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
        visit("/", f)
    return out


def assert_same_contents(a: Path, b: Path):
    ca, cb = h5_contents(a), h5_contents(b)
    assert ca.keys() == cb.keys()
    for key in ca:
        assert np.array_equal(np.asarray(ca[key]), np.asarray(cb[key])), key


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    """The 8-run SPEC (2 chemistries x 2 pressures x 2 replicas) run on a local pool of 2."""
    folder = tmp_path_factory.mktemp("local")
    spec = write_spec(folder, SPEC)
    out = folder / "out"
    result = invoke(*tiny_args(spec, out), "--workers", "2")
    assert result.exit_code == 0, result.output
    return spec, out


# ------------------------------------------------------------------------------- expansion
def test_grid_zip_and_replicas_expand_to_the_product(tmp_path):
    spec = write_spec(tmp_path, """
[sweep]
root_seed = 3
replicas = 2
[base]
params = "params/li_li2s.toml"
[base.set]
run.stop_stripped_mAh_cm2 = 1e-4
[grid]
conditions.stack_pressure_MPa = [0.2, 1, 5]
params = ["params/li_li2s.toml", "params/limg_li2s.toml"]
[zip]
conditions.temperature_K = [298, 333]
conditions.current_density_mA_cm2 = [0.5, 0.05]
""")
    plan = expand_sweep(spec)
    assert len(plan.runs) == 3 * 2 * 2 * 2
    points = {(r.varied["conditions.stack_pressure_MPa"], r.varied["params"],
               r.varied["conditions.temperature_K"], r.varied["conditions.current_density_mA_cm2"], r.replica)
              for r in plan.runs}
    assert points == {(p, c, t, i, k) for p in (0.2, 1.0, 5.0)
                      for c in ("params/li_li2s.toml", "params/limg_li2s.toml")
                      for t, i in ((298.0, 0.5), (333.0, 0.05)) for k in (0, 1)}
    for r in plan.runs:   # varied values, [base.set] and the chosen params file all reach the config
        cfg = r.config
        assert cfg["conditions"]["stack_pressure_MPa"] == r.varied["conditions.stack_pressure_MPa"]
        assert cfg["conditions"]["temperature_K"] == r.varied["conditions.temperature_K"]
        assert cfg["run"]["stop_stripped_mAh_cm2"] == 1e-4
        assert cfg["composition"]["solute_fraction"] == (0.03 if "limg" in r.varied["params"] else 0.0)
        assert cfg["run"]["seed"] == r.seed
    assert len({r.seed for r in plan.runs}) == len(plan.runs)
    assert len({r.name for r in plan.runs}) == len(plan.runs)
    assert plan.output_dir == tmp_path / "out" / "demo"


@pytest.mark.parametrize("spec", sorted((Path(__file__).resolve().parent.parent / "runs").glob("*.toml")),
                         ids=lambda p: p.name)
def test_every_shipped_spec_expands_into_valid_runs(spec, tmp_path):
    """A shipped spec with a misspelt key or a value the config refuses would fail only when a user
    starts it, possibly hours into a cluster job; expanding it validates every run's config."""
    plan = expand_sweep(spec, (), tmp_path / "out")
    assert plan.runs and len({r.seed for r in plan.runs}) == len(plan.runs)


def test_seeds_and_names_are_stable_when_values_or_replicas_are_added(tmp_path):
    small = expand_sweep(write_spec(tmp_path / "a", SPEC))
    bigger_text = SPEC.replace("replicas = 2", "replicas = 3").replace("[0.2, 5]", "[0.2, 1.5, 5]")
    big = expand_sweep(write_spec(tmp_path / "b", bigger_text))
    assert len(small.runs) == 8 and len(big.runs) == 18
    big_by_name = {r.name: r for r in big.runs}
    for run in small.runs:
        assert run.name in big_by_name
        assert big_by_name[run.name].seed == run.seed
        assert big_by_name[run.name].config == run.config
    # the seed follows the documented rule (runs/README.md), and the root seed and --set change it
    run = small.runs[1]
    without_seed = {sec: {k: v for k, v in values.items() if (sec, k) != ("run", "seed")}
                    for sec, values in run.config.items()}
    config_key = int.from_bytes(hashlib.sha256(dumps_toml(without_seed).encode()).digest()[:16], "big")
    rule = np.random.SeedSequence(11, spawn_key=(config_key, run.replica)).generate_state(1, np.uint64)[0] >> 1
    assert run.seed == int(rule) and run.replica == 0
    assert run.name == "demo_" + hashlib.sha256(dumps_toml(run.config).encode()).hexdigest()[:12]
    other_root = expand_sweep(write_spec(tmp_path / "c", SPEC.replace("root_seed = 11", "root_seed = 12")))
    assert not {r.seed for r in other_root.runs} & {r.seed for r in small.runs}
    overridden = expand_sweep(tmp_path / "a" / "demo.toml", TINY)
    assert not {r.name for r in overridden.runs} & {r.name for r in small.runs}
    assert not {r.seed for r in overridden.runs} & {r.seed for r in small.runs}
    assert overridden.runs[0].config["lattice"]["cells"] == [4, 4, 3]


# ------------------------------------------------------------------------------- running
def test_local_pool_completes_every_run_and_a_rerun_skips_them(local_sweep):
    spec, out = local_sweep
    plan = expand_sweep(spec, TINY, out)
    files = sorted(out.glob("*.h5"))
    assert sorted(f.name for f in files) == sorted(f"{r.name}.h5" for r in plan.runs)
    assert not list(out.glob("*.partial")) and not list(out.glob("*.error.json"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert {name: e["status"] for name, e in manifest["runs"].items()} == {r.name: "done" for r in plan.runs}
    for r in plan.runs:
        assert manifest["runs"][r.name]["seed"] == r.seed
        with h5py.File(out / f"{r.name}.h5", "r") as f:
            assert f["run"].attrs["stop_reason"] == "stripped_charge"
            assert f["parameters"].attrs["seed"] == r.seed
    before = {f.name: (f.stat().st_mtime_ns, file_digest(f)) for f in files}
    again = invoke(*tiny_args(spec, out), "--workers", "2")
    assert again.exit_code == 0
    assert "8 already done, 0 to run" in again.stdout
    assert {f.name: (f.stat().st_mtime_ns, file_digest(f)) for f in sorted(out.glob("*.h5"))} == before
    status = invoke(*tiny_args(spec, out), "--status")
    assert "8 done, 0 failed, 0 pending" in status.stdout


@pytest.mark.slow   # ~15 s (a LocalCluster's start); the fast tier keeps the local pool's runs and reruns
def test_dask_cluster_gives_the_same_files_as_the_local_pool(local_sweep, tmp_path):
    from dask.distributed import LocalCluster
    spec, local_out = local_sweep
    dask_out = tmp_path / "dask"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = invoke(*tiny_args(spec, dask_out), "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    local_files = sorted(p.name for p in local_out.glob("*.h5"))
    assert sorted(p.name for p in dask_out.glob("*.h5")) == local_files and len(local_files) == 8
    for name in local_files:
        assert_same_contents(local_out / name, dask_out / name)


def start_sweep_process(args, cwd, pauses: Path, stops: str):
    """The sweep command in its own process group (so the test can signal it and its workers),
    its runs stopping where ``stops`` says (tests/pause_hook: the workers inherit the setting)."""
    return subprocess.Popen([sys.executable, "-c", "from kmc.cli.sweep import sweep; sweep()", *map(str, args)],
                            cwd=cwd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=pause_env(pauses, stops))


@pytest.mark.slow   # ~8 s (a SIGKILLed pool's restart); the fast tier keeps a Ctrl-C'd sweep's resume
def test_sigkilled_sweep_resumes_without_redoing_finished_runs(tmp_path):
    """The sweep and its worker SIGKILLed (a node going down) with one run finished and the
    second just started (its worker stopped at that run's first chunk)."""
    spec = write_spec(tmp_path, SPEC.replace("replicas = 2", "replicas = 1"))   # 4 runs
    out = tmp_path / "out"
    args = tiny_args(spec, out) + ["--workers", "1"]
    pauses = tmp_path / "pauses"
    proc = start_sweep_process(args, tmp_path, pauses, "-,0")
    try:
        wait_paused(pauses, 1, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    finished = {p: (p.stat().st_mtime_ns, file_digest(p)) for p in out.glob("*.h5")}
    assert len(finished) == 1 and len(list(out.glob("*.partial"))) == 1
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "1 already done, 3 to run (1 continue from checkpoints)" in result.stdout
    files = list(out.glob("*.h5"))
    assert len(files) == 4 and not list(out.glob("*.partial"))
    for path in files:
        with h5py.File(path, "r") as f:
            assert f["run"].attrs["stop_reason"] == "stripped_charge"
    assert {p: (p.stat().st_mtime_ns, file_digest(p)) for p in finished} == finished


# eight runs interrupted and rerun, ~16 s of CPU (Ctrl-C:
# test_a_run_stopped_by_ctrl_c_counts_as_pending_and_is_redone)
@pytest.mark.slow
def test_ctrl_c_leaves_only_complete_files_under_final_names(tmp_path):
    """Ctrl-C in a terminal (SIGINT to the sweep and its workers) while both workers are in their
    first runs: nothing under a final name, and the re-run finishes all eight."""
    spec = write_spec(tmp_path, SPEC)
    out = tmp_path / "out"
    args = tiny_args(spec, out) + ["--workers", "2"]
    pauses = tmp_path / "pauses"
    proc = start_sweep_process(args, tmp_path, pauses, "0,0")
    try:
        workers = [wait_paused(pauses, i, proc) for i in (0, 1)]
        os.killpg(proc.pid, signal.SIGINT)    # what Ctrl-C in a terminal sends to the sweep and its workers
        for pid in workers:
            wait_pending(pid, signal.SIGINT, proc)
            resume(pid)
        _, stderr = proc.communicate()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "re-run the same command to resume" in stderr
    assert not list(out.glob("*.h5"))         # runs cut short are not left under their final names
    assert len(list(out.glob("*.partial"))) == 2
    result = invoke(*args)
    assert result.exit_code == 0 and "0 already done" in result.stdout
    assert len(list(out.glob("*.h5"))) == 8 and not list(out.glob("*.partial"))


def test_a_run_stopped_by_ctrl_c_counts_as_pending_and_is_redone(local_sweep, tmp_path):
    spec, local_out = local_sweep
    out = tmp_path / "out"
    shutil.copytree(local_out, out)
    victim = sorted(out.glob("*.h5"))[0]
    reference = h5_contents(victim)
    with h5py.File(victim, "a") as f:        # what Simulation.run leaves after KeyboardInterrupt
        f["run"].attrs["stop_reason"] = "interrupted"
    assert "7 done, 0 failed, 1 pending" in invoke(*tiny_args(spec, out), "--status").stdout
    result = invoke(*tiny_args(spec, out), "--workers", "1")
    assert result.exit_code == 0 and "7 already done, 1 to run" in result.stdout
    redone = h5_contents(victim)
    assert redone.keys() == reference.keys()
    assert all(np.array_equal(np.asarray(redone[k]), np.asarray(reference[k])) for k in reference)


@pytest.mark.slow   # ~6 s (two pool workers' start); the fast tier keeps the local pool's runs and reruns
def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path):
    spec = write_spec(tmp_path, TWO_RUNS)      # on two workers: one run fails, the other completes
    out = tmp_path / "out"
    plan = expand_sweep(spec, TINY, out)
    blocked = plan.runs[1].name
    (out / f"{blocked}.h5").mkdir(parents=True)      # its output name is taken by a folder
    result = invoke(*tiny_args(spec, out), "--workers", "2")
    assert result.exit_code == 1
    record = json.loads((out / f"{blocked}.error.json").read_text())
    assert record["run"] == blocked and "Error" in record["error"] and record["traceback"]
    manifest = json.loads((out / "manifest.json").read_text())["runs"]
    assert manifest[blocked]["status"] == "failed" and manifest[blocked]["error"] == record["error"]
    others = [r.name for r in plan.runs if r.name != blocked]
    assert all(manifest[name]["status"] == "done" and (out / f"{name}.h5").is_file() for name in others)
    # refused before any work (kmc run's refusal, through checkpoint.open_run), naming the folder;
    # the others leave nothing behind.  A run that fails mid-way keeps its checkpoint:
    # test_a_killed_worker_is_reported_and_its_run_resumed_next_time
    assert f"output {out / blocked}.h5 is a directory" in record["error"]
    assert not list(out.glob("*.partial")) and not list(out.glob("*.checkpoint"))
    status = invoke(*tiny_args(spec, out), "--status")
    assert "1 done, 1 failed, 0 pending" in status.stdout
    assert f"failed {blocked}" in status.stdout and record["error"] in status.stdout
    (out / f"{blocked}.h5").rmdir()                  # fixed: the next invocation retries it
    retry = invoke(*tiny_args(spec, out))
    assert retry.exit_code == 0 and "1 already done, 1 to run ->" in retry.stdout
    assert not list(out.glob("*.partial")) and not list(out.glob("*.checkpoint"))
    assert not (out / f"{blocked}.error.json").exists()
    assert json.loads((out / "manifest.json").read_text())["runs"][blocked]["status"] == "done"


# ------------------------------------------------------------------------------- collecting
def test_collect_gives_one_row_per_run_with_varied_parameters_and_metrics(local_sweep, tmp_path):
    spec, out = local_sweep
    plan = expand_sweep(spec, TINY, out)
    result = invoke(*tiny_args(spec, out), "--collect")
    assert result.exit_code == 0
    table = pd.read_csv(io.StringIO(result.stdout))
    assert len(table) == 8
    assert {"params", "conditions.stack_pressure_MPa", "replica", "contact_fraction_final",
            "stripped_charge_final_mAh_cm2", "vacancy_count_final", "interface_solute_fraction_final",
            "events", "events_per_s", "stop_reason", "seed", "file"} <= set(table.columns)
    marks = [c for c in table.columns if c.startswith("contact_fraction_at_")]
    assert len(marks) == 3 and "interface_void_count_final" not in table.columns
    by_file = table.set_index("file")
    for r in plan.runs:
        row = by_file.loc[f"{r.name}.h5"]
        assert row["params"] == r.varied["params"] and row["seed"] == r.seed
        with h5py.File(out / f"{r.name}.h5", "r") as f:
            contact = f["observables/contact_fraction/value"][()]
            charge = f["observables/stripped_charge/value"][()]
            assert row["contact_fraction_final"] == contact[-1]
            assert row["stripped_charge_final_mAh_cm2"] == charge[-1] >= 1.5e-5
            assert row["vacancy_count_final"] == f["observables/vacancy_count/value"][-1]
            assert row["events"] == f["run"].attrs["events"]
            mark = plan.charge_marks_mAh_cm2[1]
            assert row[f"contact_fraction_at_{mark:g}_mAh_cm2"] == pytest.approx(np.interp(mark, charge, contact))
    as_json = json.loads(invoke(*tiny_args(spec, out), "--collect", "--json").stdout)
    assert len(as_json) == 8 and {rec["file"] for rec in as_json} == set(table["file"])

    # an /analysis group (kmc analyze) adds the final void count and width
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    analysed = copy / f"{plan.runs[0].name}.h5"
    with h5py.File(analysed, "a") as f:
        f["analysis/frames/interface_void_count"] = np.array([0, 2, 3])
        f["analysis/frames/max_void_width_nm"] = np.array([np.nan, 0.7, 1.4])
    df = load_sweep(copy).set_index("file")
    assert df.loc[analysed.name, "interface_void_count_final"] == 3
    assert df.loc[analysed.name, "max_void_width_final_nm"] == 1.4
    assert df["interface_void_count_final"].isna().sum() == 7


# ------------------------------------------------------------------------------- bad input
BASE = '[sweep]\nroot_seed = 1\n[base]\nparams = "params/li_li2s.toml"\n'


@pytest.mark.parametrize("text, extra, named", [
    (BASE + "[grid]\nconditions.stack_pressur = [1, 2]\n", [], "conditions.stack_pressur"),
    (BASE + "[grid]\nphysics.pressure = [1, 2]\n", [], "[physics]"),
    (BASE + "[sweep2]\nx = 1\n", [], "[sweep2]"),
    (BASE.replace("root_seed = 1", "root_seed = 1\nreplica = 2"), [], "sweep.replica"),
    (BASE + "[zip]\nconditions.temperature_K = [298, 333]\nconditions.stack_pressure_MPa = [1]\n", [],
     "conditions.stack_pressure_MPa: 1"),
    (BASE + "[grid]\nconditions.stack_pressure_MPa = [0.2, -1]\n", [], "conditions.stack_pressure_MPa"),
    (BASE + "[grid]\nrun.seed = [1, 2]\n", [], "run.seed"),
    (BASE.replace("li_li2s", "no_such_params"), [], "no_such_params"),
    (BASE.replace("root_seed = 1", ""), [], "sweep.root_seed"),
    (BASE + "[grid]\nconditions.stack_pressure_MPa = [1]\n", ["--set", "conditions.stack_pressure_MPa=2"],
     "conditions.stack_pressure_MPa"),
    (BASE, ["--set", "lattice.cells=[1,1,1]"], "lattice.cells"),
])
def test_bad_spec_exits_2_naming_the_key_before_writing(tmp_path, text, extra, named):
    spec = write_spec(tmp_path, text)
    result = invoke(spec, "--out", tmp_path / "out", *extra)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0]
    assert "allowed" in lines[0] and not (tmp_path / "out").exists()


def test_missing_spec_file_exits_2(tmp_path):
    result = invoke(tmp_path / "nope.toml")
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and "nope.toml" in result.stderr


# ------------------------------------------------------------------------------- stopping cleanly
# Two runs (Li and Li-Mg at 0.2 and 5 MPa: the SPEC's pressures, one replica, one chemistry).
TWO_RUNS = SPEC.replace("replicas = 2", "replicas = 1").replace(
    'params = ["params/li_li2s.toml", "params/limg_li2s.toml"]\n', "")


def processes() -> list[tuple[int, int, int, str]]:
    """(pid, parent pid, session id, command line) of every process (from /proc: no psutil)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:       # ended while we looked
            continue
        fields = stat[stat.rindex(")") + 2:].split()   # state ppid pgrp session ...
        found.append((int(entry.name), int(fields[1]), int(fields[3]), cmdline.strip()))
    return found


def processes_in_session(sid: int) -> list[tuple[int, str]]:
    return [(pid, cmd) for pid, _, session, cmd in processes() if session == sid]


def children_of(pid: int) -> list[tuple[int, str]]:
    return [(p, cmd) for p, parent, _, cmd in processes() if parent == pid]


# SIGINT goes the way SIGTERM goes, ~12-14 s of CPU each: both in the slow tier (the fast tier keeps a sweep
# killed and resumed, test_sigkilled_sweep_resumes_without_redoing_finished_runs, and a run stopped by Ctrl-C
# counted as pending, test_a_run_stopped_by_ctrl_c_counts_as_pending_and_is_redone)
@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_sweep_alone_stops_every_worker_and_the_rest_resumes(tmp_path, signum):
    """What a batch scheduler (SIGTERM) or `kill -INT` sends to the sweep's process only, while
    both workers are in their runs (stopped at the first chunk until the sweep has forwarded the
    stop): the sweep stops its workers and the resource tracker, and nothing of it outlives it."""
    spec = write_spec(tmp_path, TWO_RUNS)
    out = tmp_path / "out"
    args = tiny_args(spec, out) + ["--workers", "2"]
    pauses = tmp_path / "pauses"
    proc = start_sweep_process(args, tmp_path, pauses, "0,0")
    try:
        workers = [wait_paused(pauses, i, proc) for i in (0, 1)]
        assert sorted(workers) == sorted(pid for pid, cmd in children_of(proc.pid) if "spawn_main" in cmd)
        assert any("resource_tracker" in cmd for _, cmd in processes_in_session(proc.pid))
        os.kill(proc.pid, signum)
        for pid in workers:
            wait_pending(pid, signal.SIGTERM, proc)   # the sweep forwards the stop as SIGTERM
            resume(pid)
        _, stderr = proc.communicate()
        # the sweep waits for its workers and the tracker: they are gone when it has exited
        assert processes_in_session(proc.pid) == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + signum, stderr
    assert f"stopped by {signal.Signals(signum).name}" in stderr and "re-run the same command" in stderr
    cut_short = list(out.glob("*.partial"))
    assert len(cut_short) == 2
    for partial in cut_short:                           # every unfinished run is resumable
        assert Path(str(partial)[: -len(".partial")] + ".checkpoint").is_file()
    assert not list(out.glob("*.error.json")) and not list(out.glob("*.h5"))
    # in this process, as from a notebook: it must leave nothing running (one worker does: the pool's
    # stop and the tracker's are the same for any number of workers)
    result = invoke(*tiny_args(spec, out), "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "(2 continue from checkpoints)" in result.stdout
    from multiprocessing import resource_tracker
    assert resource_tracker._resource_tracker._pid is None      # stopped, not left for exit
    assert not [cmd for _, cmd in children_of(os.getpid()) if "spawn_main" in cmd or "resource_tracker" in cmd]
    files = list(out.glob("*.h5"))
    assert len(files) == 2 and not list(out.glob("*.partial")) and not list(out.glob("*.checkpoint"))
    for path in files:
        with h5py.File(path, "r") as f:
            assert f["run"].attrs["stop_reason"] == "stripped_charge" and f["run"].attrs["resumed"]


# ~10 s of CPU (a killed sweep resumed: test_sigkilled_sweep_resumes_without_redoing_finished_runs)
@pytest.mark.slow
def test_a_killed_worker_is_reported_and_its_run_resumed_next_time(tmp_path):
    """A worker killed from outside (SIGKILL, as the out-of-memory killer does) in its run (stopped
    at the run's first chunk) is reported by name and cause; the other run carries on; the next
    invocation continues its run from its checkpoint."""
    spec = write_spec(tmp_path, TWO_RUNS)
    out = tmp_path / "out"
    args = tiny_args(spec, out) + ["--workers", "1"]
    pauses = tmp_path / "pauses"
    proc = start_sweep_process(args, tmp_path, pauses, "0")
    try:
        worker = wait_paused(pauses, 0, proc)
        assert [pid for pid, cmd in children_of(proc.pid) if "spawn_main" in cmd] == [worker]
        victim = next(out.glob("*.checkpoint")).name[: -len(".h5.checkpoint")]
        os.kill(worker, signal.SIGKILL)
        stdout, stderr = proc.communicate()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1, stderr
    assert f"failed  {victim}" in stdout and "killed by SIGKILL (out of memory" in stdout
    record = json.loads((out / f"{victim}.error.json").read_text())
    assert record["error"].startswith("WorkerDied:")
    assert [p.name for p in out.glob("*.partial")] == [f"{victim}.h5.partial"]
    assert "1 done, 1 failed, 0 pending" in stdout
    retry = invoke(*args)
    assert retry.exit_code == 0, retry.output
    assert "1 already done, 1 to run (1 continue from checkpoints)" in retry.stdout
    with h5py.File(out / f"{victim}.h5", "r") as f:
        assert f["run"].attrs["stop_reason"] == "stripped_charge" and f["run"].attrs["resumed"]
    assert not (out / f"{victim}.error.json").exists()
