"""Export frames of a run for OVITO and LAMMPS: ``kmc export FILE --format xyz|lammps -o OUT``.

By default only the minority that carries the physics is written (vacancies and Mg); a 7 nm box
holds ~1e4 Li atoms that would hide them.  ``--all-sites`` writes every site.  Coordinates are the
file's site positions in angstrom, so z is the depth below the electrolyte (increasing downwards).

Frame selection (``resolve_frames``) and reading (``read_frames``) are shared with ``kmc plot``;
run files are checked by ``kmc.io.check_run_file`` like every other reader.
"""
from __future__ import annotations

from dataclasses import dataclass

import click
import h5py
import numpy as np

from kmc.species import HOST as LI, SOLUTE as MG, VACANCY
from kmc.errors import OneLineErrorCommand, fail
from kmc.io import (OutputPathError, RunFileError, check_output_file, check_run_file, open_run_file,
                    replace_when_done)

SPECIES_NAMES = {VACANCY: "Va", LI: "Li", MG: "Mg"}  # "Va": vacancy, not an element symbol in OVITO
LAMMPS_TYPES = {LI: 1, MG: 2, VACANCY: 3}
LAMMPS_MASSES = {LI: 6.94, MG: 24.305, VACANCY: 1.0}  # g/mol; a vacancy has none, LAMMPS needs > 0
EXPORT_FORMATS = ("xyz", "lammps")


def resolve_frames(requested, n_frames: int, path) -> list[int]:
    """Frame numbers (negative counts from the end, as in Python) -> indices, checked against the file."""
    out = []
    for frame in requested:
        if not -n_frames <= frame < n_frames:
            raise RunFileError(f"frame {frame} is out of range for {path}, which holds {n_frames} frames; "
                               f"allowed: {-n_frames}..{n_frames - 1}")
        out.append(frame % n_frames)
    return out


def frame_charge(f: h5py.File) -> tuple[np.ndarray, np.ndarray]:
    """Stripped charge (mAh/cm^2) and monolayers at each frame, from the observables at the frame steps."""
    frame_steps = f["particles/metal/species/step"][()]
    sample_steps = f["observables/stripped_charge/step"][()]
    charge = f["observables/stripped_charge/value"][()]
    monolayers = f["observables/stripped_monolayers/value"][()]
    return np.interp(frame_steps, sample_steps, charge), np.interp(frame_steps, sample_steps, monolayers)


@dataclass(frozen=True)
class Frame:
    """One stored configuration with what a viewer needs to place and label it."""

    index: int
    step: int
    time_s: float
    stripped_charge_mAh_cm2: float
    stripped_monolayers: float
    species: np.ndarray       # (n_sites,) int8: 0 vacancy, 1 Li, 2 Mg
    positions_A: np.ndarray   # (n_sites, 3); z = depth below the electrolyte
    box_A: np.ndarray         # (3,) edge lengths; x, y periodic
    sites_per_layer: int      # sites are stored layer by layer, L1 (touching the electrolyte) first


def read_frames(path, indices) -> list[Frame]:
    """The frames at ``indices`` (already resolved) of a checked run file."""
    with open_run_file(path) as f:
        metal = f["particles/metal"]
        positions, box = metal["position"][()], metal["box/edges"][()]
        steps, times = metal["species/step"][()], metal["species/time"][()]
        charge, monolayers = frame_charge(f)
        sites_per_layer = int(metal.attrs["sites_per_layer"])
        return [Frame(i, int(steps[i]), float(times[i]), float(charge[i]), float(monolayers[i]),
                      metal["species/value"][i], positions, box, sites_per_layer) for i in indices]


def selected_sites(species: np.ndarray, all_sites: bool) -> np.ndarray:
    """Indices of the sites to write: every site, or only vacancies and Mg."""
    return np.arange(species.size) if all_sites else np.flatnonzero(species != LI)


def write_xyz(frames: list[Frame], out, all_sites: bool = False):
    """Extended XYZ (one block per frame) with Lattice, pbc and per-frame charge and time."""
    with open(out, "w") as fh:
        for fr in frames:
            sites = selected_sites(fr.species, all_sites)
            lx, ly, lz = fr.box_A
            fh.write(f"{sites.size}\n")
            fh.write(f'Lattice="{lx:.6f} 0 0 0 {ly:.6f} 0 0 0 {lz:.6f}" Properties=species:S:1:pos:R:3 '
                     f'pbc="T T F" frame={fr.index} step={fr.step} Time={fr.time_s:.9g} '
                     f"stripped_charge_mAh_cm2={fr.stripped_charge_mAh_cm2:.9g} "
                     f"stripped_monolayers={fr.stripped_monolayers:.9g}\n")
            for s in sites:
                x, y, z = fr.positions_A[s]
                fh.write(f"{SPECIES_NAMES[int(fr.species[s])]} {x:.6f} {y:.6f} {z:.6f}\n")


def write_lammps(frame: Frame, out, all_sites: bool = False):
    """LAMMPS data file, atom style atomic; atom id = site index + 1 so ids follow sites across frames."""
    sites = selected_sites(frame.species, all_sites)
    types = {code: LAMMPS_TYPES[code] for code in SPECIES_NAMES}
    with open(out, "w") as fh:
        fh.write(f"kmc-vacancy frame {frame.index} (step {frame.step}, stripped "
                 f"{frame.stripped_charge_mAh_cm2:.6g} mAh/cm^2); types 1 Li, 2 Mg, 3 vacancy; "
                 f"z = depth below the electrolyte (A)\n\n")
        fh.write(f"{sites.size} atoms\n{len(LAMMPS_TYPES)} atom types\n\n")
        for lo_hi, edge in zip(("xlo xhi", "ylo yhi", "zlo zhi"), frame.box_A):
            fh.write(f"0.0 {edge:.6f} {lo_hi}\n")
        fh.write("\nMasses\n\n")
        for code, t in sorted(types.items(), key=lambda kv: kv[1]):
            fh.write(f"{t} {LAMMPS_MASSES[code]} # {SPECIES_NAMES[code]}\n")
        fh.write("\nAtoms # atomic\n\n")
        for s in sites:
            x, y, z = frame.positions_A[s]
            fh.write(f"{s + 1} {types[int(frame.species[s])]} {x:.6f} {y:.6f} {z:.6f}\n")


@click.command(cls=OneLineErrorCommand)
@click.argument("file")
@click.option("--format", "fmt", default=None, metavar="xyz|lammps",
              help="extended XYZ (OVITO, ASE) or a LAMMPS data file (atom style atomic).")
@click.option("--frame", type=int, default=-1, show_default=True,
              help="Frame to write; negative counts from the end.")
@click.option("--all-frames", is_flag=True, help="Write every frame as one trajectory (xyz only).")
@click.option("--all-sites", is_flag=True, help="Write Li too (default: only vacancies and Mg).")
@click.option("-o", "--output", default=None, help="Output file.")
def export(file, fmt, frame, all_frames, all_sites, output):
    """Write vacancies and Mg (or every site) of a run file for OVITO or LAMMPS."""
    if fmt not in EXPORT_FORMATS:
        given = "no --format given" if fmt is None else f"unknown format {fmt!r}"
        fail(f"{given}; allowed: --format {' or '.join(EXPORT_FORMATS)}")
    if all_frames and fmt != "xyz":
        fail("--all-frames writes a trajectory, which only the xyz format holds; allowed: --format xyz")
    try:
        output = check_output_file(output, "frame.xyz", inputs=[file])
        path = check_run_file(file)
        with open_run_file(path) as f:
            n_frames = f["particles/metal/species/value"].shape[0]
        indices = range(n_frames) if all_frames else resolve_frames([frame], n_frames, path)
        frames = read_frames(path, indices)
    except (RunFileError, OutputPathError) as exc:
        fail(str(exc))
    with replace_when_done(output) as tmp:
        if fmt == "xyz":
            write_xyz(frames, tmp, all_sites)
        else:
            write_lammps(frames[0], tmp, all_sites)
    click.echo(f"wrote {output}")
