"""Runs keep their pressed face (kmc.cell.kept_starts, kmc.resolved.assembly.press_key): the press reads none of the
stripping's inputs, so runs that differ only in them start from the same face, and a scan that presses once per
seed, a `kmc meso` that finds the face an earlier run kept on disk, or one given an earlier run's file
(--press-from) gives the numbers of runs that each pressed their own, bit for bit."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from kmc import meso_scan as scans
from kmc.cell import kept_starts
from kmc.disk_cache import CACHE_ENV
from kmc.cell.loop import run
from kmc.config import load_config
from kmc.launch import cell_inputs_of, cell_model_of
from kmc.resolved.area import AreaModel
from kmc.resolved import assembly
from kmc.resolved.assembly import STRIPPING_ONLY, press_key
from kmc.resolved.section import SectionModel

LI = Path(__file__).resolve().parent.parent / "params" / "li_li2s.toml"
SMALL = ["meso.interface=area", "meso.width_um=10", "meso.depth_um=2.5"]
# kmc meso's arguments for a short run of SMALL, and another current and stack pressure (the press reads neither)
SMALL_ARGV = [a for item in [*SMALL, "meso.stop_stripped_mAh_cm2=0.01", "meso.output_every_mAh_cm2=0.005"]
              for a in ("--set", item)]
OTHER_ARGV = ["--set", "conditions.current_density_mA_cm2=2", "--set", "conditions.stack_pressure_MPa=5"]


def _count_presses(monkeypatch) -> list:
    """The seeds of the presses from here on (kmc.resolved.assembly.press, counted, then run)."""
    presses = []
    own = assembly.press

    def counted(model, *args, **kwargs):
        presses.append(model.inp.seed)
        return own(model, *args, **kwargs)
    monkeypatch.setattr(assembly, "press", counted)
    return presses


@pytest.mark.slow   # a press per input and geometry (~40 s with the kernels' first compile)
@pytest.mark.parametrize("geometry", [SectionModel, AreaModel])
def test_the_press_reads_none_of_the_stripping_only_inputs(geometry):
    inp = cell_inputs_of(load_config(LI, SMALL))
    base = geometry(inp)
    gap, pore = base.pressed_face()
    assert (gap > 0).any() and (gap == 0).any()        # a press that left voids and made contact
    for name in STRIPPING_ONLY:
        other = geometry(dataclasses.replace(inp, **{name: 1.7 * getattr(inp, name) + 0.1}))
        assert press_key(other) == press_key(base), name
        gap2, pore2 = other.pressed_face()
        np.testing.assert_array_equal(gap2, gap, err_msg=name)
        np.testing.assert_array_equal(pore2, pore, err_msg=name)
    # an input the press reads moves the key and the face (the check above can fail)
    for change in ({"seed": inp.seed + 1}, {"temperature_K": inp.temperature_K + 40}):
        other = geometry(dataclasses.replace(inp, **change))
        assert press_key(other) != press_key(base), change
    assert not np.array_equal(geometry(dataclasses.replace(inp, seed=inp.seed + 1)).pressed_face()[0], gap)
    # a mechanics given to the model is not the press's own: nothing is kept
    assert press_key(geometry(inp, mechanics=base.mechanics)) is None


@pytest.mark.slow   # six short area runs
def test_a_scan_presses_once_per_seed_and_gives_each_runs_own_numbers(monkeypatch, tmp_path):
    settings = [load_config(LI, [*SMALL, f"conditions.stack_pressure_MPa={p}", f"conditions.current_density_mA_cm2={i}",
                                 f"run.seed={seed}", "meso.stop_stripped_mAh_cm2=0.01",
                                 "meso.output_every_mAh_cm2=0.005"])
                for p, i, seed in ((0.2, 0.5, 1), (5.0, 2.0, 1), (0.2, 0.5, 2))]
    alone = [run(cell_model_of(s)) for s in settings]          # each its own press (the loop's start)
    presses = _count_presses(monkeypatch)
    monkeypatch.setattr(kept_starts, "_in_process", {})
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))   # none kept on disk yet
    scanned = scans.meso_scan(settings)
    assert presses == [1, 2]                                   # seed 1's second run took the kept face
    for a, b in zip(alone, scanned):
        assert a.stop_reason == b["stop_reason"] and a.steps == b["steps"]
        for name, values in a.series.items():
            np.testing.assert_array_equal(np.asarray(values), b["series"][name], err_msg=name)
    # the points differ (the kept face is not the whole run): the overpotential grows with the current
    assert scanned[1]["series"]["overpotential"][-1] > scanned[0]["series"]["overpotential"][-1]


def _meso(argv):
    from click.testing import CliRunner
    from kmc.cli.meso import meso
    return CliRunner().invoke(meso, [str(LI), *argv])


def _series(path):
    import h5py
    with h5py.File(path) as f:
        return {name: f["observables"][name]["value"][()] for name in f["observables"]}


def test_a_run_starts_from_the_pressed_face_an_earlier_run_kept(tmp_path, monkeypatch):
    """`kmc meso --press-from`: a run file keeps its pressed face (/press) and a run of the same press (another
    current and stack pressure) starts from it without pressing, with the numbers of a run that pressed its own;
    a run whose press reads other inputs, or a file that keeps no face, is refused in one line, nothing written."""
    import h5py
    small, other = SMALL_ARGV, OTHER_ARGV
    first, pressed, kept = tmp_path / "first.h5", tmp_path / "pressed.h5", tmp_path / "kept.h5"
    monkeypatch.setattr(kept_starts, "_in_process", {})
    for path, argv in ((first, small), (pressed, [*small, *other])):      # each presses its own face
        monkeypatch.setenv(CACHE_ENV, str(tmp_path / f"cache_{path.stem}"))
        kept_starts._in_process.clear()
        assert _meso(["-o", str(path), *argv]).exit_code == 0
    with h5py.File(first) as f:
        face = f["press/gap_um"][()]
        assert f["press"].attrs["key"] and (face > 0).any() and (face == 0).any()
        np.testing.assert_array_equal(face, f["sections/gap"][0])          # the face the stripping started from

    def no_press(*args, **kwargs):
        raise AssertionError("pressed again")
    monkeypatch.setattr(assembly, "press", no_press)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache_empty"))         # the face from the file, not the cache
    kept_starts._in_process.clear()
    done = _meso(["-o", str(kept), *small, *other, "--press-from", str(first)])
    assert done.exit_code == 0, done.output
    assert "the pressed face kept in" in done.output
    ours, theirs = _series(kept), _series(pressed)
    assert ours.keys() == theirs.keys()
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)
    assert not np.array_equal(ours["overpotential"], _series(first)["overpotential"])   # another run, the same face
    with h5py.File(kept) as f:                                             # kept again, for the next run
        np.testing.assert_array_equal(f["press/gap_um"][()], face)

    refused = [(["--set", "run.seed=2"], first, "pressed from other inputs"),
               (["--set", "conditions.temperature_K=294"], first, "pressed from other inputs")]
    bare = tmp_path / "bare.h5"                                            # a meso file without /press
    with h5py.File(first) as src, h5py.File(bare, "w") as dst:
        for name in src:
            if name != "press":
                src.copy(name, dst)
    refused.append(([], bare, "keeps no pressed face"))
    refused.append(([], tmp_path / "absent.h5", "does not exist"))
    for extra, source, said in refused:
        out = tmp_path / "refused.h5"
        done = _meso(["-o", str(out), *small, *extra, "--press-from", str(source)])
        lines = done.output.strip().splitlines()
        assert done.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and said in lines[0], \
            done.output
        assert not out.exists() and not out.with_name(out.name + ".partial").exists()


def test_a_run_finds_the_face_an_earlier_run_pressed_on_disk(tmp_path, monkeypatch):
    """`kmc meso` keeps its pressed face in $KMC_CACHE_DIR/press and a later run of the same face (another process:
    nothing kept in memory; another current and stack pressure) starts from it without pressing, with the numbers
    of a run that pressed its own, bit for bit; another seed presses; a kept file that is cut short, or kept by
    other code (kmc.disk_cache.code_digest), is pressed again and replaced; at most ON_DISK faces are kept."""
    small, other = SMALL_ARGV, OTHER_ARGV
    monkeypatch.setattr(kept_starts, "_in_process", {})
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "alone"))
    assert _meso(["-o", str(tmp_path / "alone.h5"), *small, *other]).exit_code == 0     # pressed its own
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    presses = _count_presses(monkeypatch)

    def meso(name, *argv):                 # a new process: nothing kept in memory
        kept_starts._in_process.clear()
        done = _meso(["-o", str(tmp_path / name), *small, *argv])
        assert done.exit_code == 0, done.output
        return done.output
    meso("first.h5")
    faces = list(kept_starts.folder().glob("*.npz"))
    assert presses == [1] and len(faces) == 1
    said = meso("later.h5", *other)
    assert presses == [1] and "kept in" not in said      # the same face bit for bit: a cache says nothing
    ours, theirs = _series(tmp_path / "later.h5"), _series(tmp_path / "alone.h5")
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)
    meso("seed2.h5", "--set", "run.seed=2")
    assert presses == [1, 2] and len(list(kept_starts.folder().glob("*.npz"))) == 2
    faces[0].write_bytes(faces[0].read_bytes()[:500])                 # cut short: pressed again, kept whole
    meso("again.h5")
    assert presses == [1, 2, 1]
    meso("again2.h5")
    assert presses == [1, 2, 1]
    monkeypatch.setattr(kept_starts, "code_digest", lambda: "other code")
    meso("other_code.h5")
    assert presses == [1, 2, 1, 1]
    monkeypatch.setattr(kept_starts, "ON_DISK", 2)                     # the least recently used go first
    meso("seed3.h5", "--set", "run.seed=3")
    assert presses == [1, 2, 1, 1, 3] and len(list(kept_starts.folder().glob("*.npz"))) == 2
