"""Export frames of a run for OVITO and LAMMPS (``kmc export FILE --format xyz|lammps -o OUT``,
kmc.cli.export).

By default only the minority that carries the physics is written (vacancies and the solute); a
7 nm box holds ~1e4 host atoms that would hide them.  ``all_sites`` writes every site.  Atoms are
named by the run file's own symbols (``/parameters`` species.host / species.solute), vacancies
"Va".  Coordinates are the file's site positions in angstrom, so z is the depth below the
electrolyte (increasing downwards).

Frame selection (``resolve_frames``) and reading (``read_frames``) are shared with ``kmc plot``;
run files are checked by ``kmc.runfile.check_run_file`` like every other reader.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.runfile import RunFileError, open_run_file
from kmc.species import HOST, SOLUTE, VACANCY, Species, species_from_attributes

LAMMPS_TYPES = {HOST: 1, SOLUTE: 2, VACANCY: 3}
# Standard atomic weights (g/mol, IUPAC) of the hosts and solutes a user is likely to name; LAMMPS
# needs a mass > 0 per type, so a vacancy and an element not listed get 1.0 (a kMC frame has no dynamics).
ATOMIC_MASSES = {"Li": 6.94, "Na": 22.990, "K": 39.098, "Mg": 24.305, "Ca": 40.078, "Zn": 65.38,
                 "Ag": 107.87, "Al": 26.982, "In": 114.82, "Sn": 118.71, "Au": 196.97, "Cu": 63.546,
                 "Si": 28.085, "Bi": 208.98}
PLACEHOLDER_MASS = 1.0
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


def frame_charge(f) -> tuple[np.ndarray, np.ndarray]:
    """Stripped charge (mAh/cm^2) and monolayers at each frame of an open run file
    (kmc.runfile.RunFile), from the observables at the frame steps."""
    frame_steps = f.frame_steps()
    sample_steps = f.sample_steps("stripped_charge")
    charge, monolayers = f.series("stripped_charge"), f.series("stripped_monolayers")
    n = min(sample_steps.size, charge.size, monolayers.size)   # a file being written: what all hold
    return (np.interp(frame_steps, sample_steps[:n], charge[:n]),
            np.interp(frame_steps, sample_steps[:n], monolayers[:n]))


@dataclass(frozen=True)
class Frame:
    """One stored configuration with what a viewer needs to place and label it."""

    index: int
    step: int
    time_s: float
    stripped_charge_mAh_cm2: float
    stripped_monolayers: float
    species: np.ndarray       # (n_sites,) int8 site codes (kmc.species): 0 vacancy, 1 host, 2 solute
    positions_A: np.ndarray   # (n_sites, 3); z = depth below the electrolyte
    box_A: np.ndarray         # (3,) edge lengths; x, y periodic
    sites_per_layer: int      # sites are stored layer by layer, L1 (touching the electrolyte) first
    symbols: Species = Species()  # the run's element symbols


def read_frames(path, indices) -> list[Frame]:
    """The frames at ``indices`` (already resolved) of a checked run file."""
    with open_run_file(path) as f:
        positions, box = f.positions_A(), f.box_edges_A()
        steps, times = f.frame_steps(), f.frame_times_s()
        charge, monolayers = frame_charge(f)
        sites_per_layer = int(f.lattice_attributes()["sites_per_layer"])
        symbols = species_from_attributes(f.parameters())
        return [Frame(i, int(steps[i]), float(times[i]), float(charge[i]), float(monolayers[i]),
                      f.frame_species(i), positions, box, sites_per_layer, symbols) for i in indices]


def selected_sites(species: np.ndarray, all_sites: bool) -> np.ndarray:
    """Indices of the sites to write: every site, or only vacancies and the solute."""
    return np.arange(species.size) if all_sites else np.flatnonzero(species != HOST)


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
            names = fr.symbols.symbols
            for s in sites:
                x, y, z = fr.positions_A[s]
                fh.write(f"{names[int(fr.species[s])]} {x:.6f} {y:.6f} {z:.6f}\n")


def write_lammps(frame: Frame, out, all_sites: bool = False):
    """LAMMPS data file, atom style atomic; atom id = site index + 1 so ids follow sites across frames."""
    sites = selected_sites(frame.species, all_sites)
    types = LAMMPS_TYPES
    names = frame.symbols.symbols
    type_legend = ", ".join(f"{t} {frame.symbols.label(code)}" for code, t in sorted(types.items(), key=lambda kv: kv[1]))
    with open(out, "w") as fh:
        fh.write(f"kmc-vacancy frame {frame.index} (step {frame.step}, stripped "
                 f"{frame.stripped_charge_mAh_cm2:.6g} mAh/cm^2); types {type_legend}; "
                 f"z = depth below the electrolyte (A)\n\n")
        fh.write(f"{sites.size} atoms\n{len(LAMMPS_TYPES)} atom types\n\n")
        for lo_hi, edge in zip(("xlo xhi", "ylo yhi", "zlo zhi"), frame.box_A):
            fh.write(f"0.0 {edge:.6f} {lo_hi}\n")
        fh.write("\nMasses\n\n")
        for code, t in sorted(types.items(), key=lambda kv: kv[1]):
            mass = PLACEHOLDER_MASS if code == VACANCY else ATOMIC_MASSES.get(names[code], PLACEHOLDER_MASS)
            fh.write(f"{t} {mass} # {names[code]}\n")
        fh.write("\nAtoms # atomic\n\n")
        for s in sites:
            x, y, z = frame.positions_A[s]
            fh.write(f"{s + 1} {types[int(frame.species[s])]} {x:.6f} {y:.6f} {z:.6f}\n")
