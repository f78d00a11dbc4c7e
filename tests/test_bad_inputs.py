"""Bad input on every input path: config files, --set, the options of every command, run files
given to info / analyze / plot / export, and sweep specs.

Each named case must end with exit code 2 and exactly one 'error: ...' line on stderr (no
traceback) that names the culprit and what is allowed, and must leave its folder as it was: no
new, removed or changed file (outputs, partial outputs and inputs alike).  Each case runs in a
fresh folder that holds its inputs and is the working directory, so default output paths land
there too.  The property-based tests at the end feed the config loader random and mutated TOML.
"""
from __future__ import annotations

import hashlib
import math
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st

from kmc.cli import main
from kmc.config import SCHEMA, ConfigError, Settings, load_config, validate
from kmc.schema import OPTIONAL_SECTIONS
from kmc.simulation import Simulation

ROOT = Path(__file__).resolve().parent.parent
LI_PARAMS = ROOT / "params" / "li_li2s.toml"
# A run of a few thousand events with four frames: enough for every reader, fast to make.
TINY = ["lattice.cells=[4,4,3]", "run.acceleration=1e8", "run.stop_stripped_mAh_cm2=3e-5",
        "output.frame_every_mAh_cm2=1e-5"]
RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def sets(items):
    return [arg for item in items for arg in ("--set", item)]


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    """A real run file written by `kmc run` (the cases copy it; it is never touched itself)."""
    out = tmp_path_factory.mktemp("bad_inputs") / "run.h5"
    result = CliRunner().invoke(main, ["run", str(LI_PARAMS), "-o", str(out), "--no-progress", *sets(TINY)])
    assert result.exit_code == 0, result.output + result.stderr
    with h5py.File(out, "r") as f:
        assert f["particles/metal/species/value"].shape[0] >= 2
    return out


# ------------------------------------------------------------------------------- a case's folder
class Work:
    """The folder of one case: its inputs are made here on demand, outputs are directed here."""

    def __init__(self, folder: Path, run_file: Path):
        self.folder = folder
        self.run_file = run_file
        self.helpers: list[subprocess.Popen] = []

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def text(self, name: str, content: str) -> str:
        (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_text(content)
        return self.path(name)

    def bytes(self, name: str, content: bytes) -> str:
        (self.folder / name).write_bytes(content)
        return self.path(name)

    def dir(self, name: str) -> str:
        (self.folder / name).mkdir(parents=True, exist_ok=True)
        return self.path(name)

    def params(self, edit: Callable[[str], str] = lambda t: t, name: str = "p.toml") -> str:
        """The shipped pure-Li parameter file, edited as text."""
        return self.text(name, edit(LI_PARAMS.read_text()))

    def run(self, name: str = "run.h5", edit: Callable[[h5py.File], None] | None = None) -> str:
        """A copy of the real run file, optionally edited in place with h5py."""
        shutil.copy(self.run_file, self.folder / name)
        if edit is not None:
            with h5py.File(self.folder / name, "r+") as f:
                edit(f)
        return self.path(name)

    def truncated(self, name: str = "truncated.h5") -> str:
        data = self.run_file.read_bytes()
        return self.bytes(name, data[:len(data) // 2])

    def foreign_h5(self, name: str = "foreign.h5") -> str:
        with h5py.File(self.folder / name, "w") as f:
            f["temperature"] = [298.0, 333.0]
        return self.path(name)

    def damaged_last_frame(self, name: str = "run.h5") -> str:
        """A run file whose last frame's compressed chunk is overwritten: it opens, but that frame
        cannot be read."""
        path = self.run(name)
        with h5py.File(path, "r") as f:
            frames = f["particles/metal/species/value"]
            chunk = frames.id.get_chunk_info_by_coord((frames.shape[0] - 1, 0))
        with open(path, "r+b") as fh:
            fh.seek(chunk.byte_offset)
            fh.write(b"\xff" * chunk.size)
        return path

    def frameless_partial(self, name: str = "run.h5.partial") -> str:
        """What a run killed before its first frame leaves: static content, no frames, no /run."""
        def strip(f):
            for part in ("step", "time", "value"):
                f["particles/metal/species"][part].resize(0, axis=0)
            del f["run"]
        return self.run(name, strip)

    def locked(self, name: str) -> str:
        """A copy of the run file held open for writing by another process (as by a running run)."""
        path = self.run(name)
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sys, h5py; f = h5py.File(sys.argv[1], 'r+'); "
             "print('ready', flush=True); sys.stdin.read()", path],      # holds it until close()
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.helpers.append(holder)
        assert holder.stdout.readline().strip() == "ready"
        return path

    def spec(self, text: str, name: str = "spec.toml") -> str:
        return self.text(name, text)

    def close(self):
        for helper in self.helpers:
            helper.stdin.close()
            helper.wait()


class CaseStartedWork(BaseException):
    """Raised when a case reaches a simulation's first chunk: bad input must be refused before
    any work (with NaN energies a run would never reach its stop)."""


def refuse_work(*args, **kwargs):
    raise CaseStartedWork("the command started a simulation")


# Only for a command that hangs outside a simulation (a case takes well under a second): it turns a
# hung case into a failure instead of a hung suite; no passing case comes near it.
HANG_GUARD_S = 600


class CaseHung(BaseException):
    pass


@contextmanager
def hang_guard(seconds: float):
    def overrun(signum, frame):
        raise CaseHung(f"the command ran for more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def snapshot(folder: Path) -> dict:
    """Every file and folder under ``folder``: kind, size, mtime and content digest of files.

    Folder mtimes are left out: a write test may create and delete a temporary file."""
    state = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_dir():
            state[rel] = "dir"
        else:
            st_ = path.stat()
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except PermissionError:   # the unreadable-config case, when not run as root
                digest = None
            state[rel] = (st_.st_size, st_.st_mtime_ns, digest)
    return state


def assert_one_line_error(exit_code: int, stdout: str, stderr: str, names):
    assert "Traceback" not in stderr + stdout, stderr
    assert exit_code == 2, (exit_code, stderr, stdout)
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("error: ") and line[len("error: "):].strip(), line
    assert "allowed" in line, f"the message does not say what is allowed: {line}"
    for name in names:
        assert name in line, f"{name!r} not named in: {line}"
    assert stdout == "", f"nothing but the error is printed: {stdout!r}"


# ------------------------------------------------------------------------------- the cases
@dataclass
class Case:
    id: str
    args: Callable[[Work], list]     # command line after `kmc`, inputs made in the case's folder
    names: tuple[str, ...]           # substrings the error line must hold (the culprit, the problem)
    marks: tuple = ()
    subprocess: bool = False         # run as `python -m kmc.cli` to prove the real exit path


def run_cfg(make, *extra):
    """`kmc run CONFIG -o out.h5 [extra]` with CONFIG made by ``make(work)``."""
    return lambda w: ["run", make(w), "-o", w.path("out.h5"), *extra]


def replace(old, new):
    def edit(text):
        assert old in text, old
        return text.replace(old, new)
    return edit


def run_set(*items):
    return lambda w: ["run", str(LI_PARAMS), "-o", w.path("out.h5"), *sets(items)]


SPEC_HEAD = '[sweep]\nroot_seed = 1\n[base]\nparams = "params/li_li2s.toml"\n'


def sweep(spec_text, *extra, out="out"):
    return lambda w: ["sweep", w.spec(spec_text), "--out", w.path(out), *sets(TINY), *extra]


def corrupt_manifest_with_stale_partial(w):
    """An output folder whose manifest is not JSON, beside a stale partial file of a planned run
    (which a sweep that goes ahead deletes)."""
    from kmc.sweep import expand_sweep
    spec = w.spec(SPEC_HEAD)
    out = w.dir("out")
    w.text("out/manifest.json", "{not json")
    name = expand_sweep(spec, TINY, out).runs[0].name
    w.text(f"out/{name}.h5.partial", "half a run")
    return ["sweep", spec, "--out", out, *sets(TINY)]


unwritable = pytest.mark.skipif(RUNNING_AS_ROOT, reason="root writes into read-only folders")


def read_only_dir(w, name):
    path = w.dir(name)
    os.chmod(path, 0o555)
    return path


CASES = [
    # ---- config files, through `kmc run`
    Case("config-not-toml", run_cfg(lambda w: w.text("p.toml", "this is = = not toml")),
         ("p.toml", "not valid TOML"), subprocess=True),
    Case("config-binary-junk", run_cfg(lambda w: w.bytes("junk.toml", bytes(range(256)) * 4)),
         ("junk.toml", "not UTF-8")),
    Case("config-empty-file", run_cfg(lambda w: w.text("empty.toml", "")),
         ("missing required key lattice.lattice_constant_A",)),
    Case("config-is-a-directory", run_cfg(lambda w: w.dir("cfgdir")), ("cfgdir", "is a directory")),
    Case("config-nonexistent", run_cfg(lambda w: w.path("nope.toml")), ("nope.toml", "does not exist")),
    Case("config-missing-physics-key", run_cfg(lambda w: w.params(replace("kra_solute_eV = 0.102", ""))),
         ("missing required key kinetics.kra_solute_eV",)),
    Case("config-unknown-section", run_cfg(lambda w: w.params(lambda t: t + "\n[physics]\nx = 1\n")),
         ("unknown section [physics]",)),
    Case("config-unknown-key", run_cfg(lambda w: w.params(replace("[run]", "[run]\nspeed = 3"))),
         ("unknown key run.speed",)),
    Case("config-wrong-type", run_cfg(lambda w: w.params(replace("temperature_K = 298.0", 'temperature_K = "warm"'))),
         ("conditions.temperature_K", "expected a number")),
    Case("config-out-of-range", run_cfg(lambda w: w.params(replace("solute_fraction = 0.0", "solute_fraction = 0.8"))),
         ("composition.solute_fraction", "0.7")),
    Case("config-nan", run_cfg(lambda w: w.params(replace("stack_pressure_MPa = 0.2", "stack_pressure_MPa = nan"))),
         ("conditions.stack_pressure_MPa", "finite")),
    Case("config-inf", run_cfg(lambda w: w.params(replace("attempt_frequency_Hz = 1.0e13", "attempt_frequency_Hz = inf"))),
         ("kinetics.attempt_frequency_Hz", "finite")),
    Case("config-negative-temperature",
         run_cfg(lambda w: w.params(replace("temperature_K = 298.0", "temperature_K = -5.0"))),
         ("conditions.temperature_K", "454")),
    Case("config-layer-vacancy-too-long",
         run_cfg(lambda w: w.params(replace('form = "second_moment"', f"form = \"second_moment\"\nlayer_vacancy_eV = {[0.0] * 30}"))),
         ("energy.layer_vacancy_eV", "30 layers")),
    Case("config-composition-sum-over-one",
         run_cfg(lambda w: w.params(replace("solute_fraction = 0.0\nvacancy_fraction = 0.0",
                                            "solute_fraction = 0.6\nvacancy_fraction = 0.45"))),
         ("composition.solute_fraction + composition.vacancy_fraction",)),
    Case("config-nan-in-list",
         run_cfg(lambda w: w.params(replace('form = "second_moment"', "form = \"second_moment\"\nlayer_vacancy_eV = [0.0, nan]"))),
         ("energy.layer_vacancy_eV", "finite")),
    Case("config-bool-in-list",
         run_cfg(lambda w: w.params(replace('form = "second_moment"', "form = \"second_moment\"\nlayer_vacancy_eV = [true, -0.07]"))),
         ("energy.layer_vacancy_eV", "numbers")),
    Case("config-integer-beyond-64-bit",
         run_cfg(lambda w: w.params(replace("chunk_events = 200000", "chunk_events = 200000\nmax_events = " + "9" * 30))),
         ("run.max_events", "64-bit")),
    Case("config-integer-too-big-for-a-float",
         run_cfg(lambda w: w.params(replace("stack_pressure_MPa = 0.2", "stack_pressure_MPa = 1" + "0" * 400))),
         ("conditions.stack_pressure_MPa",)),
    Case("config-bool-for-integer", run_cfg(lambda w: w.params(replace("seed = 1", "seed = true"))),
         ("run.seed", "expected an integer")),
    Case("config-model-name-is-a-path", run_cfg(lambda w: w.params(replace('name = "li_li2s"', 'name = "a/b"'))),
         ("model.name", "file name")),
    Case("config-nul-in-string",
         run_cfg(lambda w: w.params(replace('description = "', 'description = "NUL \\u0000 '))),
         ("model.description", "NUL")),
    Case("config-nested-too-deeply", run_cfg(lambda w: w.text("deep.toml", "x = " + "[" * 3000 + "]" * 3000)),
         ("deep.toml", "nested deeper")),
    Case("config-box-over-int32-sites",
         run_cfg(lambda w: w.params(replace("cells = [20, 20, 12]", "cells = [2000, 2000, 2000]"))),
         ("lattice.cells", "sites")),
    Case("config-section-not-a-table-with-set",
         run_cfg(lambda w: w.params(lambda t: "run = 3\n" + t[:t.index("[run]")] + t[t.index("[output]"):]),
                 "--set", "run.seed=2"),
         ("[run] must be a table",)),
    Case("config-unreadable", run_cfg(lambda w: (w.params(), os.chmod(w.path("p.toml"), 0))[0]),
         ("p.toml", "cannot read"), marks=(unwritable,)),
    # ---- --set
    Case("set-without-equals", run_set("run.seed"), ("run.seed", "section.key=value")),
    Case("set-unknown-key", run_set("run.sed=3"), ("run.sed",)),
    Case("set-unknown-section", run_set("engine.speed=3"), ("[engine]",)),
    Case("set-bad-value", run_set("run.seed=abc"), ("run.seed", "'abc'")),
    Case("set-bad-type-for-list", run_set("lattice.cells=5"), ("lattice.cells", "expected a list")),
    Case("set-three-part-key", run_set("run.seed.x=1"), ("run.seed.x", "section.key")),
    Case("set-second-value-after-newline", run_set("run.seed=1\nrun.max_events=5"), ("run.seed", "one TOML value")),
    Case("set-empty-value", run_set("conditions.temperature_K="), ("conditions.temperature_K",)),
    # ---- kmc run options
    Case("run-unknown-option", lambda w: ["run", str(LI_PARAMS), "--speed", "3"], ("--speed", "--set")),
    Case("run-missing-config", lambda w: ["run"], ("CONFIG",)),
    Case("run-output-is-a-directory", lambda w: ["run", str(LI_PARAMS), "-o", w.dir("outdir"), *sets(TINY)],
         ("--output", "outdir", "directory")),
    Case("run-output-under-a-file",
         lambda w: ["run", str(LI_PARAMS), "-o", w.text("notes.txt", "x") + "/run.h5", *sets(TINY)],
         ("notes.txt", "is a file")),
    Case("run-output-in-read-only-folder",
         lambda w: ["run", str(LI_PARAMS), "-o", read_only_dir(w, "ro") + "/run.h5", *sets(TINY)],
         ("ro", "not writable"), marks=(unwritable,)),
    Case("run-output-exists", lambda w: ["run", str(LI_PARAMS), "-o", w.run("old.h5"), *sets(TINY)],
         ("old.h5", "--overwrite")),
    Case("run-output-partial-locked-by-another-run",
         lambda w: (w.locked("run.h5.partial"), ["run", str(LI_PARAMS), "-o", w.path("run.h5"), *sets(TINY)])[1],
         ("run.h5", "--resume")),
    Case("run-overwrite-partial-locked-by-another-run",
         lambda w: (w.locked("run.h5.partial"),
                    ["run", str(LI_PARAMS), "-o", w.path("run.h5"), "--overwrite", *sets(TINY)])[1],
         ("run.h5.partial", "another process")),
    Case("run-resume-a-finished-run", lambda w: ["run", "--resume", w.run("done.h5")], ("done.h5", "finished")),
    Case("run-resume-with-a-config", lambda w: ["run", "--resume", w.path("x.h5"), str(LI_PARAMS)],
         ("--resume",)),
    Case("run-default-output-from-bad-model-name",   # runs/out/<model.name>_s1.h5 would leave runs/out
         lambda w: ["run", w.params(replace('name = "li_li2s"', 'name = "../escaped"')), *sets(TINY)],
         ("model.name",)),
    # ---- top level, params, benchmark
    Case("unknown-command", lambda w: ["simulate"], ("simulate", "run")),
    Case("params-show-unknown-set", lambda w: ["params", "show", "no_such_set"], ("no_such_set", "li_li2s")),
    Case("params-show-bad-file", lambda w: ["params", "show", w.params(replace("[run]", "[run]\nspeed = 3")), "--fit"],
         ("run.speed",)),
    Case("benchmark-too-few-sites", lambda w: ["benchmark", "--sites", "3"], ("--sites", "16")),
    Case("benchmark-sites-beyond-int32", lambda w: ["benchmark", "--sites", str(10**10)], ("--sites",)),
    Case("benchmark-negative-seed", lambda w: ["benchmark", "--sites", "1000", "--seed", "-1"], ("--seed",)),
    # ---- run files given to info
    Case("info-text-file-named-h5", lambda w: ["info", w.text("notes.h5", "not hdf5")],
         ("notes.h5", "not an HDF5 file"), subprocess=True),
    Case("info-empty-file", lambda w: ["info", w.text("empty.h5", "")], ("empty.h5", "empty")),
    Case("info-truncated-run-file", lambda w: ["info", w.truncated()], ("truncated.h5", "truncated")),
    Case("info-hdf5-without-run-groups", lambda w: ["info", w.foreign_h5()], ("foreign.h5", "not a kmc run file")),
    Case("info-directory", lambda w: ["info", w.dir("somedir")], ("somedir", "directory")),
    Case("info-nonexistent", lambda w: ["info", w.path("missing.h5")], ("missing.h5", "does not exist")),
    # (a .partial still being written is read, not refused: tests/test_load.py)
    Case("info-run-group-without-event-count",
         lambda w: ["info", w.run(edit=lambda f: f["run"].attrs.__delitem__("events"))], ("run.h5", "events", "/run")),
    # ---- run files given to analyze
    Case("analyze-truncated-run-file", lambda w: ["analyze", w.truncated()], ("truncated.h5", "truncated"),
         subprocess=True),
    Case("analyze-without-observables", lambda w: ["analyze", w.run(edit=lambda f: f.__delitem__("observables"))],
         ("run.h5", "observables")),
    Case("analyze-partial-without-frames", lambda w: ["analyze", w.frameless_partial()],
         ("run.h5.partial", "no frames")),
    Case("analyze-damaged-frame-data", lambda w: ["analyze", w.damaged_last_frame()], ("run.h5", "damaged")),
    Case("analyze-frame-steps-shorter-than-frames",
         lambda w: ["analyze", w.run(edit=lambda f: f["particles/metal/species/step"].resize(1, axis=0))],
         ("run.h5", "species/step", "inconsistent")),
    Case("analyze-missing-temperature-attribute",
         lambda w: ["analyze", w.run(edit=lambda f: f["parameters"].attrs.__delitem__("conditions.temperature_K"))],
         ("run.h5", "conditions.temperature_K")),
    Case("analyze-exchange-current-nan", lambda w: ["analyze", w.run(), "--exchange-current", "nan"],
         ("exchange current",)),
    Case("analyze-exchange-current-not-a-number", lambda w: ["analyze", w.run(), "--exchange-current", "fast"],
         ("--exchange-current", "fast")),
    # ---- run files and options of plot
    Case("plot-unknown-kind", lambda w: ["plot", w.run(), "--kind", "sem", "-o", w.path("f.png")], ("sem", "--kind")),
    Case("plot-exchange-current-nan",
         lambda w: ["plot", w.run(), "--kind", "contact", "--exchange-current", "nan", "-o", w.path("f.png")],
         ("--exchange-current",)),
    Case("plot-text-file-named-h5", lambda w: ["plot", w.text("notes.h5", "x"), "--kind", "contact", "-o", w.path("f.png")],
         ("notes.h5", "not an HDF5 file")),
    Case("plot-output-in-missing-folder",
         lambda w: ["plot", w.run(), "--kind", "contact", "-o", w.path("nowhere/f.png")], ("nowhere", "existing folder")),
    Case("plot-output-in-read-only-folder",
         lambda w: ["plot", w.run(), "--kind", "contact", "-o", read_only_dir(w, "ro") + "/f.png"],
         ("ro", "not writable"), marks=(unwritable,)),
    Case("plot-frames-not-numbers", lambda w: ["plot", w.run(), "--kind", "cross-section", "--frames", "last",
                                               "-o", w.path("f.png")], ("--frames", "last")),
    Case("plot-damaged-frame-data",
         lambda w: ["plot", w.damaged_last_frame(), "--kind", "cross-section", "-o", w.path("f.png")],
         ("run.h5", "damaged")),
    Case("plot-voids-of-frameless-partial",
         lambda w: ["plot", w.frameless_partial(), "--kind", "voids", "-o", w.path("f.png")],
         ("run.h5.partial", "no frames")),
    # ---- run files and options of export
    Case("export-unknown-format", lambda w: ["export", w.run(), "--format", "pdb", "-o", w.path("x.pdb")],
         ("'pdb'", "--format")),
    Case("export-frame-out-of-range", lambda w: ["export", w.run(), "--format", "xyz", "--frame", "99",
                                                 "-o", w.path("x.xyz")], ("frame 99", "run.h5")),
    Case("export-frame-not-an-integer", lambda w: ["export", w.run(), "--format", "xyz", "--frame", "last",
                                                   "-o", w.path("x.xyz")], ("--frame", "last")),
    Case("export-output-is-the-input", lambda w: ["export", w.run(), "--format", "xyz", "-o", w.path("run.h5")],
         ("run.h5", "input")),
    Case("export-output-is-a-directory", lambda w: ["export", w.run(), "--format", "xyz", "-o", w.dir("outdir")],
         ("outdir", "directory")),
    Case("export-partial-without-frames",
         lambda w: ["export", w.frameless_partial(), "--format", "xyz", "-o", w.path("x.xyz")],
         ("run.h5.partial", "no frames")),
    Case("export-nonexistent", lambda w: ["export", w.path("missing.h5"), "--format", "xyz", "-o", w.path("x.xyz")],
         ("missing.h5", "does not exist")),
    Case("export-damaged-frame-data",
         lambda w: ["export", w.damaged_last_frame(), "--format", "lammps", "-o", w.path("x.data")],
         ("run.h5", "damaged")),
    # ---- sweep specs and options
    Case("sweep-spec-is-a-directory", lambda w: ["sweep", w.dir("specdir")], ("SPEC", "specdir", "directory"),
         subprocess=True),
    Case("sweep-spec-nonexistent", lambda w: ["sweep", w.path("nope.toml")], ("nope.toml", "does not exist")),
    Case("sweep-spec-binary-junk", lambda w: ["sweep", w.bytes("junk.toml", b"\xff\xfe\x00" * 50)],
         ("junk.toml", "not UTF-8")),
    Case("sweep-spec-nested-too-deeply", lambda w: ["sweep", w.spec("x = " + "[" * 3000 + "]" * 3000)],
         ("spec.toml", "nested deeper")),
    Case("sweep-unknown-section", sweep(SPEC_HEAD + "[sweep2]\nx = 1\n"), ("[sweep2]",)),
    Case("sweep-unknown-key-in-sweep", sweep(SPEC_HEAD.replace("root_seed = 1", "root_seed = 1\nreplica = 2")),
         ("sweep.replica",)),
    Case("sweep-unknown-config-key-in-grid", sweep(SPEC_HEAD + "[grid]\nconditions.stack_pressur = [1, 2]\n"),
         ("conditions.stack_pressur",)),
    Case("sweep-empty-grid-list", sweep(SPEC_HEAD + "[grid]\nconditions.stack_pressure_MPa = []\n"),
         ("conditions.stack_pressure_MPa", "non-empty list")),
    Case("sweep-bad-value-in-grid", sweep(SPEC_HEAD + "[grid]\nconditions.stack_pressure_MPa = [0.2, -1]\n"),
         ("conditions.stack_pressure_MPa", "-1")),
    Case("sweep-wrong-type-in-grid", sweep(SPEC_HEAD + '[grid]\nconditions.temperature_K = [298, "warm"]\n'),
         ("conditions.temperature_K", "warm")),
    Case("sweep-zip-lengths-differ",
         sweep(SPEC_HEAD + "[zip]\nconditions.temperature_K = [298, 333]\nconditions.stack_pressure_MPa = [1]\n"),
         ("different lengths",)),
    Case("sweep-zero-replicas", sweep(SPEC_HEAD.replace("root_seed = 1", "root_seed = 1\nreplicas = 0")),
         ("sweep.replicas",)),
    Case("sweep-missing-root-seed", sweep(SPEC_HEAD.replace("root_seed = 1", "")), ("sweep.root_seed",)),
    Case("sweep-params-file-not-toml",
         lambda w: (w.text("junk.toml", "[[[ nope"),
                    sweep(SPEC_HEAD + '[grid]\nparams = ["junk.toml"]\n')(w))[1],
         ("junk.toml", "not valid TOML")),
    Case("sweep-out-is-a-file", lambda w: ["sweep", w.spec(SPEC_HEAD), "--out", w.text("notes.txt", "x")],
         ("--out", "notes.txt")),
    Case("sweep-out-under-a-file", lambda w: (w.text("notes.txt", "x"), sweep(SPEC_HEAD, out="notes.txt/sub")(w))[1],
         ("notes.txt", "is a file")),
    Case("sweep-corrupt-manifest", corrupt_manifest_with_stale_partial, ("manifest.json",)),
    Case("sweep-zero-workers", sweep(SPEC_HEAD, "--workers", "0"), ("--workers",)),
    Case("sweep-set-unknown-key", sweep(SPEC_HEAD, "--set", "run.sed=3"), ("run.sed",)),
    Case("sweep-status-and-collect", sweep(SPEC_HEAD, "--status", "--collect"), ("--status", "--collect")),
    # ---- kmc critical-current: kmc meso's one check on every search's inputs before any run
    Case("critical-current-below-lis-martensite",
         lambda w: ["critical-current", LI_PARAMS, "--temperatures", "298,40", "--out", w.path("cc")],
         ("conditions.temperature_K = 40", "martensitic")),
    Case("critical-current-negative-pressure", lambda w: ["critical-current", LI_PARAMS, "--pressures", "1,-2"],
         ("--pressures", "> 0")),
    Case("critical-current-workers-and-scheduler",
         lambda w: ["critical-current", LI_PARAMS, "--workers", "2", "--scheduler", "tcp://nowhere:8786"],
         ("--workers", "--scheduler")),
    Case("critical-current-out-is-a-file",
         lambda w: ["critical-current", LI_PARAMS, "--out", w.text("notes.txt", "x")], ("--out", "notes.txt")),
]


def _params():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "case ids are unique"
    return [pytest.param(case, id=case.id, marks=case.marks) for case in CASES]


@pytest.mark.parametrize("case", _params())
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, run_file, tmp_path, monkeypatch):
    work = Work(tmp_path / "work", run_file)
    work.folder.mkdir()
    monkeypatch.chdir(work.folder)
    try:
        args = [str(a) for a in case.args(work)]
        before = snapshot(work.folder)
        if case.subprocess:
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            proc = subprocess.run([sys.executable, "-m", "kmc.cli", *args], capture_output=True, text=True,
                                  env=env, timeout=HANG_GUARD_S)
            assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, case.names)
        else:
            monkeypatch.setattr(Simulation, "step", refuse_work)
            with hang_guard(HANG_GUARD_S):
                result = CliRunner().invoke(main, args)
            assert isinstance(result.exception, SystemExit), repr(result.exception)  # not an uncaught error
            assert_one_line_error(result.exit_code, result.stdout, result.stderr, case.names)
        assert snapshot(work.folder) == before, "the command created, removed or changed files"
    finally:
        work.close()


def test_the_table_covers_every_input_path():
    """At least 30 named cases, spread over config files, --set and every command."""
    assert len(CASES) >= 30
    commands = {case.id.split("-")[0] for case in CASES}
    assert {"config", "set", "run", "params", "benchmark", "info", "analyze", "plot", "export", "sweep"} <= commands
    assert sum(case.subprocess for case in CASES) >= 3


@pytest.mark.parametrize("command", ["export", "plot"])
def test_a_write_that_fails_midway_leaves_the_old_output(command, run_file, tmp_path, monkeypatch):
    """Outputs are written under a temporary name and renamed when complete: a write that dies
    halfway (disk full, Ctrl-C) neither leaves half a file nor clobbers the previous output."""
    import matplotlib.figure
    import kmc.export

    def write_half_then_fail(path):
        Path(path).write_text("half")
        raise OSError(28, "No space left on device")

    if command == "plot":
        monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda fig, path, **kw: write_half_then_fail(path))
        out, args = tmp_path / "f.png", ["plot", str(run_file), "--kind", "contact"]
    else:
        monkeypatch.setattr(kmc.export, "write_xyz", lambda frames, path, *a: write_half_then_fail(path))
        out, args = tmp_path / "f.xyz", ["export", str(run_file), "--format", "xyz"]
    out.write_text("previous output")
    result = CliRunner().invoke(main, [*args, "-o", str(out), "--overwrite"])
    assert isinstance(result.exception, OSError)
    assert out.read_text() == "previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


# ------------------------------------------------------------------------------- property-based
# Deterministic (derandomize) so CI sees the same examples every time; no example database.
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _leaves(value):
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def assert_usable_settings(s: Settings):
    """Accepted settings pass the schema's own checks, and everything the rest of the program
    needs of them holds: finite numbers, 64-bit integers (lists included), strings HDF5 can store,
    a fixed-width type for every HDF5 attribute, a TOML round trip (the resolved config is stored in
    every run file) and a default output file inside runs/out."""
    from kmc.runfile import default_output_path
    for section, keys in SCHEMA.items():
        if section in OPTIONAL_SECTIONS and section not in s.to_dict():
            continue                     # a table the file may leave out as a whole
        for key, spec in keys.items():
            where = (f"{section}.{key}", s[section][key])
            value = s[section][key]
            kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
            assert isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool)), where   # a switch is bool
            assert spec.check is None or spec.check(value), where
            for leaf in _leaves(value):
                assert not isinstance(leaf, float) or math.isfinite(leaf), where
                assert not isinstance(leaf, int) or -2**63 <= leaf < 2**63, where
                if isinstance(leaf, str):
                    assert "\0" not in leaf, where
                    leaf.encode("utf-8")
            assert np.asarray(value).dtype.kind in "biufU", where
    assert validate(tomllib.loads(s.to_toml())) == s.to_dict()
    assert default_output_path(s).parent == Path("runs/out")


def load_or_config_error(path, overrides=None):
    """load_config's only two outcomes: Settings, or ConfigError (anything else fails the test)."""
    try:
        s = load_config(path, overrides)
    except ConfigError as exc:
        assert str(exc).strip()
        if currently_in_test_context():
            event("rejected")   # shown by --hypothesis-show-statistics: how many examples get this far
        return None
    if currently_in_test_context():
        event("accepted")
    assert_usable_settings(s)
    return s


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("hypothesis")


SHIPPED_BYTES = LI_PARAMS.read_bytes()
SHIPPED = tomllib.loads(SHIPPED_BYTES.decode())
SHIPPED_KEYS = [(section, key) for section, keys in SHIPPED.items() for key in keys]


def flip_bytes(flips) -> bytes:
    """The shipped file with some bytes replaced: mostly still TOML, sometimes still valid."""
    data = bytearray(SHIPPED_BYTES)
    for position, byte in flips:
        data[position % len(data)] = byte
    return bytes(data)


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@PROPERTY
@given(content=st.one_of(
    st.text(max_size=400).map(encode),
    st.binary(max_size=400),
    st.text(max_size=80).map(lambda t: SHIPPED_BYTES + encode(t)),
    st.lists(st.tuples(st.integers(0, len(SHIPPED_BYTES) - 1), st.integers(0, 255)), min_size=1, max_size=3)
    .map(flip_bytes),
    st.integers(0, 5000).map(lambda n: encode(f"x = {'[' * n}{']' * n}\n"))))   # nesting depth
def test_random_text_or_bytes_as_config(scratch, content):
    path = scratch / "random.toml"
    path.write_bytes(content)
    load_or_config_error(path)


# TOML values of every type, including the awkward ones: NaN and infinities, integers beyond 64
# bits and beyond a float, NUL and control characters, path separators, empty and nested arrays,
# inline tables.
SCALARS = st.one_of(
    st.booleans(),
    st.integers(), st.integers(min_value=-2**70, max_value=2**70),
    st.sampled_from([0, -1, 2**63 - 1, 2**63, -2**63 - 1, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308]),
    st.text(max_size=12), st.sampled_from(["", "\0", "a\x00b", "../x", "/tmp", "a b", "\udcff", "\x7f", "li\nmg"]),
)
TOML_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3)), max_leaves=8)
# Values of the right type and a plausible size, so that a fair share of mutated files is
# accepted and the checks on accepted settings get exercised too.
PLAUSIBLE = st.one_of(st.floats(min_value=-1.0, max_value=500.0), st.integers(min_value=-2, max_value=300),
                      st.lists(st.one_of(st.floats(min_value=-1.0, max_value=1.0), SCALARS), max_size=3),
                      st.lists(st.integers(min_value=1, max_value=8), min_size=3, max_size=3),
                      st.sampled_from(["001", "110", "slab", "bulk", "sink", "reservoir", "closed", "li_mg-2.x"]),
                      st.text(max_size=8))
VALUES = st.one_of(TOML_VALUES, PLAUSIBLE)


# What toml_value writes for a character TOML cannot hold raw in a basic string: control characters,
# quote, backslash and DEL escaped; a lone surrogate (not encodable) becomes U+FFFD
_TOML_ESCAPES = {**{c: f"\\u{c:04x}" for c in [*range(0x20), ord('"'), ord("\\"), 0x7F]},
                 **{c: "\ufffd" for c in range(0xD800, 0xE000)}}


def toml_value(v) -> str:
    """Any of the values above as TOML text (arrays may mix types since TOML 1.0).  Characters
    TOML cannot hold raw are escaped; a lone surrogate (not encodable) becomes U+FFFD."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return '"' + v.translate(_TOML_ESCAPES) + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{toml_value(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_document(table: dict) -> str:
    lines = []
    for section, values in table.items():
        if not isinstance(values, dict):
            lines.insert(0, f"{toml_value(section)} = {toml_value(values)}")   # top-level keys come first
            continue
        lines.append(f"[{toml_value(section)}]")
        lines += [f"{toml_value(key)} = {toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def load_table(scratch, table: dict):
    path = scratch / "mutated.toml"
    path.write_text(toml_document(table))
    s = load_or_config_error(path)
    if s is not None:   # accepted values are the file's, not repaired ones
        for section, values in table.items():
            if section == "fit":   # the file's targets, kept beside the run's settings
                assert [vars(t) for t in s.fit_targets] == [{"kind": "target", **row} for row in values.get("targets", [])]
                continue
            for key, value in values.items():
                assert s[section][key] == value, (section, key)
    return s


# Always tried on every key, besides the generated values: the inputs that once got through.
AWKWARD = [math.nan, -math.inf, 10**400, 2**63, -2**63 - 1, True, "a\x00b", "\x1f", "../x", {"a": 1},
           [], [0.0, math.nan], [True, 1.0], [2**65], [[1.0]], [4, 4, 2**40]]


def with_examples(values):
    def decorate(test):
        for value in reversed(values):
            test = example(value=value)(test)
        return test
    return decorate


SCHEMA_PAIRS = [(section, key) for section, keys in SCHEMA.items() for key in keys]


def with_key_set(scratch, section, key, value):
    """The shipped parameter file with one key set to ``value``, loaded (load_table's checks)."""
    table = {name: dict(values) for name, values in SHIPPED.items()}
    table.setdefault(section, {})[key] = value
    load_table(scratch, table)


# Every key with every awkward value and 20 random ones: 152 keys x 36 values, ~55 s of CPU, so in the
# slow tier; the fast tier keeps its sample below (every key twice, every awkward value on every 8th key,
# 200 random pairs of a key and a value of any type).
@pytest.mark.slow
@pytest.mark.parametrize("section, key", SCHEMA_PAIRS)
@settings(PROPERTY, max_examples=20)
@given(value=VALUES)
@with_examples(AWKWARD)
def test_every_key_with_random_values(scratch, section, key, value):
    """The shipped parameter file with one key set to a random value of a random type."""
    with_key_set(scratch, section, key, value)


@pytest.mark.parametrize("index", range(len(SCHEMA_PAIRS)), ids=[f"{s}.{k}" for s, k in SCHEMA_PAIRS])
def test_every_key_with_two_awkward_values(scratch, index):
    """Each key with two of the awkward values, taken in turn (so each value meets every 8th key)."""
    section, key = SCHEMA_PAIRS[index]
    for value in (AWKWARD[index % len(AWKWARD)], AWKWARD[(index + len(AWKWARD) // 2) % len(AWKWARD)]):
        with_key_set(scratch, section, key, value)


@PROPERTY
@given(pair=st.sampled_from(SCHEMA_PAIRS), value=VALUES)
def test_any_key_with_a_random_value(scratch, pair, value):
    """A random key set to a random value of a random type (the slow tier tries every key with 20)."""
    with_key_set(scratch, *pair, value)


def scaled(value, factor):
    """A shipped value nudged, keeping its type: the kind of edit a user makes, mostly accepted."""
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(round(value * factor))
    if isinstance(value, float):
        return value * factor
    return [scaled(v, factor) for v in value]


SECTION_NAMES = st.sampled_from(sorted(SCHEMA) + ["physics", "Run", ""])
KEY_NAMES = st.one_of(st.sampled_from(sorted({k for keys in SCHEMA.values() for k in keys})),
                      st.text(min_size=1, max_size=8))
FACTORS = st.floats(min_value=0.5, max_value=1.5)
MUTATIONS = st.lists(st.one_of(
    st.tuples(st.just("scale"), st.sampled_from(SHIPPED_KEYS), FACTORS),
    st.tuples(st.just("replace"), st.sampled_from(SHIPPED_KEYS), VALUES),
    st.tuples(st.just("delete"), st.sampled_from(SHIPPED_KEYS), st.none()),
    st.tuples(st.just("add"), st.tuples(SECTION_NAMES, KEY_NAMES), VALUES),
    st.tuples(st.just("section"), st.tuples(st.sampled_from(sorted(SHIPPED)), st.none()), SCALARS),
), min_size=1, max_size=4)


@PROPERTY
@given(mutations=MUTATIONS)
def test_mutated_shipped_params(scratch, mutations):
    """Several edits at once: values nudged or replaced, keys deleted or added, a section replaced."""
    table = {section: dict(values) for section, values in SHIPPED.items()}
    for op, (section, key), value in mutations:
        if op == "scale" and isinstance(table.get(section), dict) and key in table[section]:
            table[section][key] = scaled(table[section][key], value)
        elif op == "replace" and isinstance(table.get(section), dict):
            table[section][key] = value
        elif op == "delete" and isinstance(table.get(section), dict):
            table[section].pop(key, None)
        elif op == "add":
            if not isinstance(table.get(section), dict):
                table[section] = {}
            table[section][key] = value
        elif op == "section":
            table[section] = value   # a whole section replaced by a plain value
    load_table(scratch, table)


SCHEMA_KEYS = st.sampled_from([f"{section}.{key}" for section, keys in SCHEMA.items() for key in keys])
SET_TEXT = st.one_of(
    st.text(max_size=60),
    st.builds(lambda section, key, value: f"{section}.{key}={value}", SECTION_NAMES, KEY_NAMES,
              st.one_of(TOML_VALUES.map(toml_value), st.text(max_size=20))),
    st.builds(lambda name, value: f"{name}={value}", SCHEMA_KEYS,
              st.one_of(VALUES.map(toml_value), st.text(max_size=20))),
    st.builds(lambda key, factor: f"{key[0]}.{key[1]}={toml_value(scaled(SHIPPED[key[0]][key[1]], factor))}",
              st.sampled_from(SHIPPED_KEYS), FACTORS),   # real keys, nudged values: mostly accepted
)


@PROPERTY
@given(items=st.lists(SET_TEXT, min_size=1, max_size=2))
def test_random_set_overrides(items):
    load_or_config_error(LI_PARAMS, items)


def test_cli_imports_analysis_and_figure_modules_only_when_named():
    """`kmc run` and `kmc info` start without matplotlib; naming a command imports its module."""
    code = ("import sys; from kmc.cli import main; before = 'matplotlib' in sys.modules; "
            "main.get_command(None, 'plot'); print(before, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


# ------------------------------------------------------------------------------- one validation
# Each bad input of the table goes through every entry point (kmc run, kmc meso, kmc rates, kmc sweep
# of kMC and of meso runs, kmc.run); each is refused with one text (kmc.validation, or the schema's
# for a value outside a key's own range) that names the input: the same from every command, or the
# command's own where what to do differs (no current).  None: the command runs these inputs (kmc
# rates measures the interface at rest, kmc meso needs no kMC stop), checked through
# kmc.validation.check, which every entry point calls.
EVERY = ("run", "meso", "rates", "sweep", "sweep-meso", "kmc.run")
CELSIUS = "conditions.temperature_K = 25: below Li's martensitic start (~75 K) Li is not bcc, the model's crystal"
ZERO_CURRENT_KMC = ("conditions.current_density_mA_cm2 = 0: nothing is stripped, so run.stop_stripped_mAh_cm2 can "
                    "never be reached; allowed: a current > 0 mA/cm^2, or a stop that comes without stripping")
ZERO_CURRENT_MESO = ("conditions.current_density_mA_cm2 = 0: kmc meso strips the interface until "
                     "meso.stop_stripped_mAh_cm2")
RANGE_TABLE = {
    "temperature 25 K (meant as 25 C)": (["conditions.temperature_K=25"], dict.fromkeys(EVERY, CELSIUS)),
    "temperature 0 K": (["conditions.temperature_K=0"],
                        dict.fromkeys(EVERY, "conditions.temperature_K: 0 is out of range; allowed: 0 < T < 454 K")),
    "temperature 1000 K": (["conditions.temperature_K=1000"],
                           dict.fromkeys(EVERY, "conditions.temperature_K: 1000 is out of range; allowed: 0 < T")),
    "temperature -5 K": (["conditions.temperature_K=-5"],
                         dict.fromkeys(EVERY, "conditions.temperature_K: -5 is out of range")),
    "current 0": (["conditions.current_density_mA_cm2=0"],
                  {"run": ZERO_CURRENT_KMC, "sweep": ZERO_CURRENT_KMC, "kmc.run": ZERO_CURRENT_KMC,
                   "meso": ZERO_CURRENT_MESO, "sweep-meso": ZERO_CURRENT_MESO, "rates": None}),
    "current -0.5": (["conditions.current_density_mA_cm2=-0.5"],
                     dict.fromkeys(EVERY, "conditions.current_density_mA_cm2: -0.5 is out of range")),
    "pressure -1 MPa": (["conditions.stack_pressure_MPa=-1"],
                        dict.fromkeys(EVERY, "conditions.stack_pressure_MPa: -1 is out of range")),
    "a box of one cell": (["lattice.cells=[1,4,4]"], dict.fromkeys(EVERY, "lattice.cells: [1, 4, 4] is not accepted; allowed: three integers >= 2")),
    "a section 1 um long": (["meso.width_um=1"], dict.fromkeys(EVERY, "meso.width_um: 1 is out of range")),
    "no kMC stop": (["run.stop_stripped_mAh_cm2=0"],
                    {**dict.fromkeys(EVERY, "run: no stop condition set"), "meso": None, "sweep-meso": None,
                     "rates": None}),
}
# the zero pressure is an everyday condition (creep off): no command refuses it
ACCEPTED = {"pressure 0 MPa": ["conditions.stack_pressure_MPa=0"]}


def _through(entry: str, overrides: list, folder: Path) -> tuple[int, str]:
    """(exit code, stderr) of the inputs ``overrides`` through one entry point (kmc.run: 2 and the
    message of the ValueError it raises)."""
    if entry == "kmc.run":
        import kmc
        try:
            kmc.run(str(LI_PARAMS), folder / "out.h5", overrides)
        except ValueError as exc:
            return 2, f"error: {exc}\n"
        return 0, ""
    if entry.startswith("sweep"):
        command = 'command = "meso"\n' if entry == "sweep-meso" else ""
        spec = folder / "spec.toml"
        spec.write_text(f'[sweep]\nroot_seed = 1\n{command}[base]\nparams = "{LI_PARAMS}"\n'
                        "[grid]\nconditions.exchange_current_mA_cm2 = [1.0, 2.0]\n")
        args = ["sweep", str(spec), "--out", str(folder / "out")]
    elif entry == "rates":
        args = ["rates", str(LI_PARAMS), "--no-nucleation"]
    else:
        args = [entry, str(LI_PARAMS), "-o", str(folder / "out.h5")]
    result = CliRunner().invoke(main, [*args, *sets(overrides)])
    assert isinstance(result.exception, (SystemExit, type(None))), repr(result.exception)
    return result.exit_code, result.stderr


@pytest.mark.parametrize("case", sorted(RANGE_TABLE))
def test_each_bad_input_is_refused_by_every_command_with_one_text(case, tmp_path, monkeypatch):
    from kmc.validation import check
    overrides, expected = RANGE_TABLE[case]
    monkeypatch.setattr(Simulation, "step", refuse_work)
    for entry in EVERY:
        folder = tmp_path / entry
        folder.mkdir()
        if expected[entry] is None:          # this command runs these inputs
            command = {"sweep-meso": "meso", "sweep": "run", "kmc.run": "run"}.get(entry, entry)
            check(load_config(LI_PARAMS, overrides), command)
            continue
        before = snapshot(folder)
        code, stderr = _through(entry, overrides, folder)
        assert code == 2, (entry, stderr)
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "allowed" in lines[0], (entry, stderr)
        assert expected[entry] in lines[0], (entry, lines[0])
        after = snapshot(folder)
        after.pop("spec.toml", None)          # the sweep's input, made by _through
        assert after == before, f"{entry} wrote something"
    # one text per input: every command that refuses it says the same, or (no current) its own
    texts = {expected[e] for e in EVERY if expected[e] is not None}
    assert len(texts) <= 2


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_an_everyday_condition_is_refused_by_no_command(case):
    from kmc.validation import check
    settings = load_config(LI_PARAMS, ACCEPTED[case])
    for command in ("run", "meso", "rates"):
        assert check(settings, command) == []


def test_a_box_that_does_not_fit_in_memory_is_refused_in_one_line_with_its_size(tmp_path, monkeypatch):
    """`kmc run ... --set lattice.cells=[2000,2000,200]` (1.6e9 sites, ~96 GB): one error line naming the
    box and its memory, exit 2, nothing written, no array allocated; kmc sweep and kmc.run the same.  The
    machine's memory is set to 8 GB here, so the test means the same on any machine."""
    import kmc.validation
    monkeypatch.setattr(kmc.validation, "available_memory_bytes", lambda: 8e9)
    monkeypatch.setattr(Simulation, "__init__", refuse_work)
    for entry in ("run", "sweep", "kmc.run"):
        folder = tmp_path / entry
        folder.mkdir()
        code, stderr = _through(entry, ["lattice.cells=[2000,2000,200]"], folder)
        lines = stderr.splitlines()
        assert code == 2 and len(lines) == 1, (entry, stderr)
        assert "lattice.cells = [2000, 2000, 200]: 1.6e+09 sites need about 96 GB" in lines[0], lines   # a sweep: its run named first
        assert "8 GB available" in lines[0] and "allowed: a box of at most" in lines[0]
        assert sorted(p.name for p in folder.iterdir()) == (["spec.toml"] if entry == "sweep" else [])


@pytest.mark.parametrize("overrides, setting", [
    (["conditions.stack_pressure_MPa=1000"], "conditions.stack_pressure_MPa = 1000"),
    (["conditions.stack_pressure_MPa=0.05"], "conditions.stack_pressure_MPa = 0.05"),
    (["conditions.current_density_mA_cm2=100"], "conditions.current_density_mA_cm2 = 100"),
    (["conditions.current_density_mA_cm2=0.01"], "conditions.current_density_mA_cm2 = 0.01"),
])
def test_pressure_and_current_beyond_the_sources_are_warned_once_by_every_command(overrides, setting, tmp_path):
    """Like a temperature away from room temperature: a pressure or a current outside what seed 004
    measured gives one warning, from kmc.validation, for every command; the shipped conditions and zero
    pressure (creep off) none."""
    from kmc.validation import check
    settings = load_config(LI_PARAMS, overrides)
    for command in ("run", "meso", "rates"):
        advice = check(settings, command)
        assert [a.problem.split(" lies")[0] for a in advice] == [setting], command
    result = CliRunner().invoke(main, ["run", str(LI_PARAMS), "-o", str(tmp_path / "w.h5"), *sets(overrides),
                                       "--set", "lattice.cells=[4,4,4]", "--set", "run.max_events=10"])
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert result.exit_code == 0 and len(warned) == 1 and setting in warned[0], result.stderr
    for ok in ([], ["conditions.stack_pressure_MPa=0"], ["conditions.stack_pressure_MPa=50"],
               ["conditions.current_density_mA_cm2=2"]):
        assert check(load_config(LI_PARAMS, ok), "run") == []
