"""Every reader opens every kind of file the project writes: ``kmc info``, ``kmc.load``,
``kmc plot`` (--kind contact, the figure both kinds have) and ``kmc analyze`` on kMC and meso runs
that are finished, still being written (X.h5.partial, its writer alive and holding the file) and
cut off (a .partial nobody writes).  Deterministic: the live files are held open by a child
process that wrote a few frames or samples and then waits on its stdin (no polling, no sleeps);
a read that catches a writer's flush halfway is made on purpose (the first HDF5 open fails)."""
import inspect
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import kmc
from kmc import runfile
from kmc.cli import main

ROOT = Path(__file__).resolve().parent.parent
KMC_RUN = ["lattice.cells=[6,6,4]", "run.acceleration=1e6", "run.stop_stripped_monolayers=0.3",
           "output.frame_every_mAh_cm2=0", "output.frame_every_events=2000", "output.series_every_mAh_cm2=0",
           "output.series_every_events=1000"]
MESO_RUN = ["meso.stop_stripped_mAh_cm2=0.1", "meso.output_every_mAh_cm2=0.025", "meso.width_um=40.0",
            "meso.interface=disc"]



def write_meso_samples(path, overrides, samples=None):
    """A meso run's file with its first ``samples`` samples written (all: None), its writer open."""
    from kmc.cell.loop import run
    from kmc.cell.output import file_writer
    from kmc.config import load_config, resolve_params
    from kmc.energetics import interface_energetics
    from kmc.launch import cell_model_of
    settings = load_config(resolve_params("li_li2s"), overrides)
    model = cell_model_of(settings)
    result = run(model)
    writer = file_writer(path, settings, model, interface_energetics(settings))
    n = result.series["stripped_charge"].size if samples is None else samples
    for i in range(n):
        writer.write_sample(float(result.series["physical_time"][i]), {k: float(v[i]) for k, v in result.series.items()})
    return writer, result


# Writes a kMC run and a meso run into the .partial files given, a few frames / samples each, and
# keeps both open (as a writer does between flushes) until a line arrives on stdin; then leaves them
# cut off.
WRITER = inspect.getsource(write_meso_samples) + """
import sys
from kmc.config import load_config, resolve_params
from kmc.simulation import Simulation
from kmc.runfile import KmcWriter
kmc_path, meso_path = sys.argv[1], sys.argv[2]
sim = Simulation(load_config(resolve_params("li_li2s"), sys.argv[3].split(";")))
writer = KmcWriter(kmc_path, sim)
for _ in range(3):
    sim.step(2000)
    sim.write_frame(writer)
    writer.write_series(sim.events, sim.time_s, sim.observables())
meso, _ = write_meso_samples(meso_path, sys.argv[4].split(";"), samples=3)
print("ready", flush=True)
sys.stdin.readline()
writer.close()
meso.close()
"""


KINDS = ("kmc complete", "kmc in progress", "kmc cut off", "meso complete", "meso in progress", "meso cut off",
         "meso resolved complete")
READERS = ("info", "load", "plot", "analyze")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """{kind: path to give the reader} (X.h5 for the partial kinds: readers find X.h5.partial)."""
    from kmc.config import load_config, resolve_params
    from kmc.simulation import Simulation
    folder = tmp_path_factory.mktemp("readers")
    out = {}
    # finished and cut-off kMC runs, in this process
    sim = Simulation(load_config(resolve_params("li_li2s"), KMC_RUN))
    out["kmc complete"] = folder / "kmc_complete.h5"
    assert sim.run(runfile.KmcWriter(out["kmc complete"], sim), progress=False).stop_reason != "interrupted"
    cut = Simulation(load_config(resolve_params("li_li2s"), KMC_RUN))
    writer = runfile.KmcWriter(folder / "kmc_cut.h5", cut)
    for _ in range(3):
        cut.step(2000)
        cut.write_frame(writer)
        writer.write_series(cut.events, cut.time_s, cut.observables())
    writer.close()                                # killed: the .partial stays, unlocked
    out["kmc cut off"] = folder / "kmc_cut.h5"
    # finished and cut-off meso runs
    meso_writer, result = write_meso_samples(folder / "meso_complete.h5", MESO_RUN)
    meso_writer.finish(result.stop_reason, result.steps, result.wall_time_s, result.time_s,
                       {"x": result.final.x, "y": result.final.y, "base_radius": result.final.r,
                        "height": result.final.h}, "kinetic")
    out["meso complete"] = folder / "meso_complete.h5"
    meso_writer, _ = write_meso_samples(folder / "meso_cut.h5", MESO_RUN, samples=3)
    meso_writer.close()
    out["meso cut off"] = folder / "meso_cut.h5"
    # a finished run of the resolved interface (kmc meso's default), written as kmc meso writes it
    from kmc.launch import run_cell_to_file
    out["meso resolved complete"] = folder / "meso_resolved.h5"
    run_cell_to_file(load_config(resolve_params("li_li2s"), [*MESO_RUN, "meso.interface=section"]),
                     out["meso resolved complete"])
    # the live ones, held by another process
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(folder / "kmc_live.h5"),
                              str(folder / "meso_live.h5"), ";".join(KMC_RUN), ";".join(MESO_RUN)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=folder, env=env)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        out["kmc in progress"] = folder / "kmc_live.h5"
        out["meso in progress"] = folder / "meso_live.h5"
        yield out
    finally:
        child.communicate("done\n", timeout=60)


STATUS = {"complete": "complete", "in progress": "in progress", "cut off": "interrupted"}


# Every reader on every kind: 28 cases, ~11 s of CPU; the fast tier runs half of them, each kind with two
# readers in turn (so each reader opens a kMC and a meso file of 3-4 kinds), the slow tier the other half.
def _half(kind, reader):
    i = KINDS.index(kind)
    return READERS.index(reader) in (i % len(READERS), (i + 2) % len(READERS))


@pytest.mark.parametrize("kind, reader", [(kind, reader) if _half(kind, reader)
                                          else pytest.param(kind, reader, marks=pytest.mark.slow)
                                          for reader in READERS for kind in KINDS])
def test_every_reader_opens_every_kind_of_file(files, kind, reader, tmp_path):
    path = files[kind]
    state = kind.split(" ", 1)[1].replace("resolved ", "")
    meso = kind.startswith("meso")
    if reader == "info":
        r = CliRunner().invoke(main, ["info", str(path)])
        assert r.exit_code == 0, r.output
        assert ("kmc meso" in r.output) == meso
        assert ("interface       section" in r.output) == ("resolved" in kind)
        if state != "complete":
            assert f"status          run {STATUS[state]}" in r.output
    elif reader == "load":
        ds = kmc.load(path)
        assert ds.attrs["run_status"] == STATUS[state]
        assert ds.sizes["sample"] >= 3 and np.isfinite(ds.contact_fraction.values).all()
        assert ("frame" in ds.sizes) != meso
        assert ("splits" in ds) == ("resolved" in kind)
        d = kmc.load(path, as_xarray=False)
        np.testing.assert_array_equal(d["contact_fraction"], ds.contact_fraction.values)
    elif reader == "plot":
        image = tmp_path / "contact.png"
        r = CliRunner().invoke(main, ["plot", str(path), "--kind", "contact", "-o", str(image)])
        assert r.exit_code == 0, r.output
        assert image.stat().st_size > 1000
    else:
        r = CliRunner().invoke(main, ["analyze", str(path)])
        assert r.exit_code == 0, r.output
        if meso:
            assert "a kmc meso run" in r.output and "nothing written" in r.output
        elif state == "complete":
            assert r.output.startswith("wrote ")
        else:
            assert "nothing written" in r.output


def test_a_read_that_catches_a_flush_halfway_is_read_again(files, monkeypatch):
    """The first HDF5 open of a live run's file fails as a flush caught halfway does ("bad object
    header version number", a RuntimeError of h5py): load and info read again and succeed; on a
    file nobody writes, the same failure is one RunFileError at once (load once crashed
    with the RuntimeError, from a check made before its retry)."""
    import h5py
    from kmc.runfile import layout
    real, opened = h5py.File, []

    def torn(path, *args, **kwargs):
        opened.append(path)
        if len(opened) == 1:
            raise RuntimeError("Unable to synchronously open object (bad object header version number)")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(layout.h5py, "File", torn)
    for kind in ("kmc in progress", "meso in progress"):
        for read in (kmc.load, runfile.info):
            opened.clear()
            assert read(files[kind]) is not None and len(opened) > 1
    for kind in ("kmc cut off", "meso cut off"):
        opened.clear()
        with pytest.raises(runfile.RunFileError, match="bad object header"):
            kmc.load(files[kind])
