"""kmc export: xyz and LAMMPS files read back to the frame they came from; bad input fails cleanly."""
import shlex
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from kmc.config import load_config
from kmc.cli.export import export
from kmc.species import HOST as LI
from kmc.species import SOLUTE as MG
from kmc.species import VACANCY
from kmc.runfile import KmcWriter
from kmc.simulation import Simulation

PARAMS = Path(__file__).resolve().parent.parent / "params"
NAMES = {"Va": VACANCY, "Li": LI, "Mg": MG}


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "limg.h5"
    sim = Simulation(load_config(PARAMS / "limg_li2s.toml", [
        "lattice.cells=[8,8,4]", "run.acceleration=1e8", "run.stop_stripped_mAh_cm2=5e-5",
        "output.frame_every_mAh_cm2=1e-5"]))     # six frames, as at 1e-4 every 2e-5 in half the events
    sim.run(KmcWriter(path, sim), progress=False)
    return path


@pytest.fixture(scope="module")
def stored(run_file):
    with h5py.File(run_file, "r") as f:
        return {"species": f["particles/metal/species/value"][()], "step": f["particles/metal/species/step"][()],
                "position": f["particles/metal/position"][()], "box": f["particles/metal/box/edges"][()]}


def invoke(*args):
    return CliRunner().invoke(export, [str(a) for a in args])


def read_xyz(path):
    """Blocks of an extended XYZ file: (info dict, species codes, positions)."""
    lines = Path(path).read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        n = int(lines[i])
        info = dict(token.split("=", 1) for token in shlex.split(lines[i + 1]))
        info["Lattice"] = np.array(info["Lattice"].split(), float).reshape(3, 3)
        rows = [line.split() for line in lines[i + 2:i + 2 + n]]
        species = np.array([NAMES[r[0]] for r in rows], np.int8)
        positions = np.array([[float(v) for v in r[1:]] for r in rows]).reshape(n, 3)
        blocks.append((info, species, positions))
        i += 2 + n
    return blocks


def match_sites(positions, stored_positions):
    """Site index of each written position (exact to the written precision)."""
    d = np.abs(positions[:, None, :] - stored_positions[None, :, :]).max(axis=2)
    assert np.all(d.min(axis=1) < 1e-5)
    return d.argmin(axis=1)


def test_xyz_default_writes_vacancies_and_solute_of_the_last_frame(run_file, stored, tmp_path):
    out = tmp_path / "last.xyz"
    r = invoke(run_file, "--format", "xyz", "-o", out)
    assert r.exit_code == 0, r.output + r.stderr
    [(info, species, positions)] = read_xyz(out)
    last = stored["species"][-1]
    assert info["Properties"] == "species:S:1:pos:R:3" and info["pbc"] == "T T F"
    assert np.allclose(info["Lattice"], np.diag(stored["box"]))
    assert int(info["frame"]) == len(stored["species"]) - 1 and int(info["step"]) == stored["step"][-1]
    assert species.size == np.count_nonzero(last != LI) > 0
    assert np.count_nonzero(species == VACANCY) == np.count_nonzero(last == VACANCY)
    assert np.count_nonzero(species == MG) == np.count_nonzero(last == MG) > 0
    sites = match_sites(positions, stored["position"])
    assert np.array_equal(np.sort(sites), np.flatnonzero(last != LI))
    assert np.array_equal(species, last[sites])


def test_xyz_all_sites_of_a_chosen_frame(run_file, stored, tmp_path):
    out = tmp_path / "all.xyz"
    assert invoke(run_file, "--format", "xyz", "--frame", "1", "--all-sites", "-o", out).exit_code == 0
    [(info, species, positions)] = read_xyz(out)
    assert int(info["frame"]) == 1
    assert species.size == stored["position"].shape[0]
    assert np.allclose(positions, stored["position"], atol=1e-5)
    assert np.array_equal(species, stored["species"][1])


def test_xyz_trajectory_of_all_frames(run_file, stored, tmp_path):
    out = tmp_path / "traj.xyz"
    assert invoke(run_file, "--format", "xyz", "--all-frames", "-o", out).exit_code == 0
    blocks = read_xyz(out)
    assert len(blocks) == len(stored["species"])
    for k, (info, species, positions) in enumerate(blocks):
        assert int(info["frame"]) == k and int(info["step"]) == stored["step"][k]
        assert species.size == np.count_nonzero(stored["species"][k] != LI)
        assert np.array_equal(species, stored["species"][k][match_sites(positions, stored["position"])])
    assert [float(b[0]["stripped_charge_mAh_cm2"]) for b in blocks] == sorted(
        float(b[0]["stripped_charge_mAh_cm2"]) for b in blocks)


def read_lammps(path):
    lines = [line.split("#")[0].strip() for line in Path(path).read_text().splitlines()[1:]]
    lines = [line for line in lines if line]
    n_atoms = int(lines[0].split()[0])
    n_types = int(lines[1].split()[0])
    box = [tuple(map(float, lines[k].split()[:2])) for k in (2, 3, 4)]
    masses_at = lines.index("Masses")
    masses = dict(line.split() for line in lines[masses_at + 1:masses_at + 1 + n_types])
    atoms_at = lines.index("Atoms")
    atoms = np.array([line.split() for line in lines[atoms_at + 1:atoms_at + 1 + n_atoms]], float)
    return n_types, box, masses, atoms.reshape(n_atoms, 5)


def test_lammps_data_file(run_file, stored, tmp_path):
    out = tmp_path / "frame.data"
    assert invoke(run_file, "--format", "lammps", "--frame", "-2", "-o", out).exit_code == 0
    n_types, box, masses, atoms = read_lammps(out)
    frame = stored["species"][-2]
    assert n_types == 3 and set(masses) == {"1", "2", "3"}
    assert np.allclose(box, [(0, edge) for edge in stored["box"]])
    sites = atoms[:, 0].astype(int) - 1
    assert np.array_equal(np.sort(sites), np.flatnonzero(frame != LI))
    type_of = {LI: 1, MG: 2, VACANCY: 3}
    assert np.array_equal(atoms[:, 1].astype(int), [type_of[s] for s in frame[sites]])
    assert np.allclose(atoms[:, 2:], stored["position"][sites], atol=1e-5)
    assert "# Mg" in out.read_text() and "# Va" in out.read_text()

    out_all = tmp_path / "all.data"
    assert invoke(run_file, "--format", "lammps", "--all-sites", "-o", out_all).exit_code == 0
    _, _, _, atoms = read_lammps(out_all)
    assert np.array_equal(atoms[:, 0].astype(int), np.arange(1, frame.size + 1))
    assert np.array_equal(atoms[:, 1].astype(int), [type_of[s] for s in stored["species"][-1]])


def test_bad_input_one_line_exit_2_no_file(run_file, tmp_path):
    out = tmp_path / "out.xyz"
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    cases = {
        "no such file": [tmp_path / "missing.h5", "--format", "xyz", "-o", out],
        "not an HDF5 file": [text, "--format", "xyz", "-o", out],
        "unknown format 'pdb'": [run_file, "--format", "pdb", "-o", out],
        "no --format given": [run_file, "-o", out],
        "frame 99 is out of range": [run_file, "--format", "xyz", "--frame", "99", "-o", out],
        "only the xyz format": [run_file, "--format", "lammps", "--all-frames", "-o", out],
        "no output file": [run_file, "--format", "xyz"],
        "--frame": [run_file, "--format", "xyz", "--frame", "last", "-o", out],
        "existing folder": [run_file, "--format", "xyz", "-o", tmp_path / "nowhere" / "x.xyz"],
    }
    for expected, args in cases.items():
        r = invoke(*args)
        assert r.exit_code == 2 and isinstance(r.exception, SystemExit), (expected, r.output)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], (expected, lines)
        assert not out.exists()


def test_atoms_are_named_by_the_run_files_symbols(run_file, stored, tmp_path):
    """A run whose solute is named Ag (and host Na) exports Ag / Na / Va, with their masses."""
    renamed = tmp_path / "naag.h5"
    renamed.write_bytes(Path(run_file).read_bytes())
    with h5py.File(renamed, "r+") as f:
        f["parameters"].attrs["species.host"] = "Na"
        f["parameters"].attrs["species.solute"] = "Ag"
    out = tmp_path / "all.xyz"
    assert invoke(renamed, "--format", "xyz", "--all-sites", "-o", out).exit_code == 0
    names = [line.split()[0] for line in out.read_text().splitlines()[2:]]
    last = stored["species"][-1]
    assert names == [{VACANCY: "Va", LI: "Na", MG: "Ag"}[int(c)] for c in last]
    out = tmp_path / "frame.data"
    assert invoke(renamed, "--format", "lammps", "-o", out).exit_code == 0
    _, _, masses, _ = read_lammps(out)
    assert masses == {"1": "22.99", "2": "107.87", "3": "1.0"}
    assert "types 1 Na, 2 Ag, 3 vacancy" in out.read_text().splitlines()[0]
