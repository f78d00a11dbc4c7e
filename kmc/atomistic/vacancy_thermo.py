"""Vacancies in BCC Li at finite temperature with CHGNet (docs/vacancy_thermodynamics.md): relaxed states, harmonic
force constants, the vacancy formation entropy and Vineyard attempt frequencies.

    python -m kmc.atomistic.vacancy_thermo [--repeats 3 4 5] [--cases ...] [--table]

States (BCC Li, cubic n x n x n conventional supercells, CHGNet's own lattice constant, the
atoms' positions relaxed at that fixed cell; "a" below is that lattice constant):
  perfect        2 n^3 Li
  vacancy        one vacancy at the origin
  saddle_host    the host hop's saddle: the sites 0 and (a/2)(1,1,1) both empty, a Li at the
                 midpoint (a/4)(1,1,1), held there while the others relax (the point D3d symmetry
                 makes it a stationary point; the normal modes say whether it is a first-order saddle)
  mg_v1          an Mg at (a/2)(1,1,1), the vacancy at the origin (first neighbours, C3v)
  mg_v2          the Mg at (a/2)(1,1,1), the vacancy at (a/2)(1,1,-1): second neighbours (a apart);
                 mg_v1 -> mg_v2 is the host hop of the Li at (a/2)(1,1,-1) into the vacancy at the
                 origin, a first-neighbour hop with the solute next to one end (kra_host_near_solute)
  saddle_mg      the solute hop's saddle: the Mg at the midpoint (a/4)(1,1,1) (D3d)
  saddle_near_mg the saddle of mg_v1 -> mg_v2 (climbing-image NEB), no symmetry imposed

Force constants: central differences of the forces, each representative atom of the state's
point-symmetry orbits displaced by +-STEP_A along x, y, z (kmc.atomistic.harmonic fills the
rest).  Results (energies, positions, frequencies) are cached by state, cell, lattice constant,
force threshold and step in vacancy_thermo_chgnet.json next to this module; the force columns of
an unfinished state go to a work file (WORK_CACHE) so an interrupted run resumes.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from functools import cached_property
from pathlib import Path

import numpy as np

from . import harmonic, pipeline
from . import structures as st

CACHE = Path(__file__).with_name("vacancy_thermo_chgnet.json")
WORK_CACHE = Path(os.environ.get("KMC_VACANCY_THERMO_WORK",
                                 Path.home() / ".cache" / "kmc-vacancy" / "vacancy_thermo_work.json"))
# Relaxation threshold (eV/A) for states whose normal modes are wanted: the Hessian of a state
# left at 0.03 eV/A (the rows' threshold) carries the residual forces' anharmonic shifts.  CHGNet's
# float32 forces are noisy at ~1e-6 eV/A (perfect BCC, symmetric positions), far below this.
FMAX_EV_PER_A = 1e-3
# Displacement of the finite differences (A): forces change by ~0.01 eV/A per 0.01 A on a Li atom
# (self force constant ~1 eV/A^2), 1e4 times the force noise; the O(step^2) anharmonic error is
# checked by repeating the perfect crystal at 0.02 A (--step).
STEP_A = 0.01
MASS_AMU = {"Li": 6.94, "Mg": 24.305}   # natural abundance (IUPAC standard atomic weights)
STATES = ("perfect", "vacancy", "saddle_host", "mg_v1", "mg_v2", "saddle_mg", "saddle_near_mg")
NEB_IMAGES = 5
# CI-NEB threshold (eV/A): the climbing image's energy, the barrier, is then within ~1 meV; its phonons
# (never run, section 8 of docs/vacancy_thermodynamics.md) would want a tighter one.
NEB_FMAX_EV_PER_A = 0.02
# Point-symmetry tolerance (A) of the relaxed states: the relaxations start symmetric and forces
# keep them so up to the threshold above.
SYMMETRY_TOL_A = 2e-3


def _write_json(path: Path, data: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=0))
    tmp.replace(path)


class Store:
    """A JSON dictionary on disk, rewritten after every new entry; each write merges what is on
    disk first, so two runs filling different entries of one file do not undo each other."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.data = self._read()

    def _read(self):
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, key):
        return self.data.get(key)

    def put(self, key, value):
        self.data = {**self._read(), key: value}
        _write_json(self.path, self.data)

    def drop(self, prefix):
        self.data = {k: v for k, v in self._read().items() if not k.startswith(prefix)}
        _write_json(self.path, self.data)


# ----------------------------------------------------------------------------- the states
def _site_index(structure, position):
    dist = harmonic._image_distances(np.asarray([position], float), structure.atoms.positions,
                                     np.asarray(structure.atoms.cell))[0]
    return int(np.argmin(dist))


def build_state(state: str, a: float, n: int):
    """(atoms, index of the atom held fixed during relaxation or None, symmetry centre) of a state."""
    if state not in STATES:
        raise ValueError(f"state {state!r} not known; allowed: {', '.join(STATES)}")
    structure = st.bulk_li(a, n)
    atoms = structure.atoms.copy()
    origin = np.zeros(3)
    v1 = 0.5 * a * np.ones(3)
    v2 = 0.5 * a * np.array([1.0, 1.0, -1.0])   # first neighbour of the origin, second of v1
    mid = 0.25 * a * np.ones(3)
    i0, i1, i2 = (_site_index(structure, p) for p in (origin, v1, v2))
    symbols = atoms.get_chemical_symbols()
    held, center, remove = None, origin, []
    if state == "vacancy":
        remove = [i0]
    elif state in ("saddle_host", "saddle_mg"):
        atoms.positions[i1] = mid
        if state == "saddle_mg":
            symbols[i1] = "Mg"
        remove, held, center = [i0], i1, mid
    elif state == "mg_v1":
        symbols[i1] = "Mg"
        remove = [i0]
    elif state in ("mg_v2", "saddle_near_mg"):
        symbols[i1] = "Mg"
        remove, center = [i2], v1
    atoms.set_chemical_symbols(symbols)
    keep = [k for k in range(len(atoms)) if k not in remove]
    if held is not None:
        held = keep.index(held)
    return atoms[keep], held, center


def masses(atoms):
    return np.array([MASS_AMU[s] for s in atoms.get_chemical_symbols()])


# ----------------------------------------------------------------------------- the work
class Thermo:
    """CHGNet states and their normal modes, through the two caches."""

    def __init__(self, cache: Path = CACHE, work: Path = WORK_CACHE, fmax=FMAX_EV_PER_A, step=STEP_A,
                 log=print, compute=True):
        self.store = Store(cache)
        self.work = Store(work)
        self.fmax, self.step, self.log, self.compute = fmax, step, log, compute

    @cached_property
    def a(self) -> float:
        """CHGNet's BCC Li lattice constant (A): the cell relaxation kmc.atomistic.rows uses (read
        once: the rows' cache is large)."""
        from .rows import Lab
        return float(Lab(cache_only=not self.compute, log=self.log).a_li)

    def key(self, state, n):
        return f"{state}|n={n}|a={self.a:.4f}|fmax={self.fmax}|step={self.step}"

    def _need(self, what):
        if not self.compute:
            raise pipeline.NotComputed(what)

    # -- relaxed states
    def relaxed(self, state: str, n: int) -> dict:
        """Relaxed state (energy, positions, symbols, cell, stress) from the cache or computed now."""
        key = self.key(state, n) + "|relaxed"
        hit = self.store.get(key)
        if hit is not None:
            return hit
        self._need(key)
        if state == "saddle_near_mg":
            atoms, info = self._neb_saddle(n)
        else:
            atoms, held, _ = build_state(state, self.a, n)
            info = {}
            if state != "perfect":
                info = self._relax(atoms, held)
        atoms.calc = pipeline.calculator()
        entry = {"energy_eV": float(atoms.get_potential_energy()), "natoms": len(atoms),
                 "symbols": atoms.get_chemical_symbols(), "positions": atoms.positions.tolist(),
                 "cell": np.asarray(atoms.cell).tolist(), "stress_eV_A3": atoms.get_stress().tolist(),
                 "max_force_eV_A": float(np.abs(atoms.get_forces()).max()), **info}
        self.store.put(key, entry)
        self.log(f"  relaxed {key}: {entry['energy_eV']:.5f} eV ({info.get('steps', 0)} steps)")
        return entry

    def _relax(self, atoms, held=None):
        from ase.constraints import FixAtoms
        from ase.optimize import BFGS
        if held is not None:
            atoms.set_constraint(FixAtoms(indices=[held]))
        atoms.calc = pipeline.calculator()
        start = time.time()
        opt = BFGS(atoms, logfile=os.environ.get("KMC_ATOMISTIC_OPTIMIZER_LOG"))
        if not opt.run(fmax=self.fmax, steps=500):
            raise RuntimeError(f"relaxation did not reach fmax {self.fmax} eV/A in 500 steps")
        atoms.set_constraint()
        return {"steps": opt.nsteps, "seconds": round(time.time() - start, 1)}

    def _neb_saddle(self, n):
        """Climbing-image NEB between the relaxed mg_v1 and mg_v2 (the same hop, vacancy from the
        Mg's first to its second neighbour shell); the climbing image is the saddle."""
        from ase.mep import NEB
        from ase.optimize import FIRE
        first, last = (self.atoms_of(s, n) for s in ("mg_v1", "mg_v2"))
        # the same atoms in the same order: in mg_v1 the hopping Li sits at v2, in mg_v2 at the origin
        a = self.a
        hop_from = _nearest(first, 0.5 * a * np.array([1.0, 1.0, -1.0]))
        hop_to = _nearest(last, np.zeros(3))
        # mg_v1 lacks the origin, mg_v2 lacks v2: map each atom of mg_v1 to its site in mg_v2
        mapped = [_nearest(last, p) for p in first.positions]
        mapped[hop_from] = hop_to
        if sorted(mapped) != list(range(len(last))):
            raise RuntimeError("could not match the atoms of the two end states")
        last = last[mapped]
        images = [first] + [first.copy() for _ in range(NEB_IMAGES)] + [last]
        neb = NEB(images, climb=True, method="improvedtangent", allow_shared_calculator=True)
        neb.interpolate(method="idpp", mic=True)
        for image in images:
            image.calc = pipeline.calculator()
        start = time.time()
        opt = FIRE(neb, logfile=os.environ.get("KMC_ATOMISTIC_OPTIMIZER_LOG"))
        if not opt.run(fmax=NEB_FMAX_EV_PER_A, steps=1500):
            raise RuntimeError(f"NEB did not reach fmax {NEB_FMAX_EV_PER_A} eV/A in 1500 steps")
        energies = [float(im.get_potential_energy()) for im in images]
        top = int(np.argmax(energies))
        saddle = images[top].copy()
        return saddle, {"steps": opt.nsteps, "seconds": round(time.time() - start, 1),
                        "neb_energies_eV": energies, "neb_fmax_eV_A": NEB_FMAX_EV_PER_A}

    def atoms_of(self, state, n):
        from ase import Atoms
        entry = self.relaxed(state, n)
        return Atoms(entry["symbols"], positions=entry["positions"], cell=entry["cell"], pbc=True)

    # -- normal modes
    def modes(self, state: str, n: int) -> dict:
        """Frequencies (THz) of the relaxed state, with how they were obtained."""
        key = self.key(state, n) + "|modes"
        hit = self.store.get(key)
        if hit is not None:
            return hit
        self._need(key)
        atoms = self.atoms_of(state, n)
        start = time.time()
        center = build_state(state, self.a, n)[2]
        cell = np.asarray(atoms.cell)
        if state == "perfect":
            column = self._column(key, atoms, 0)
            phi = harmonic.translation_column_force_constants(column, atoms.positions, cell)
            n_ops, reps, residual = len(atoms), [0], float(np.abs(column.sum(axis=0)).max())
        else:
            ops = harmonic.point_symmetry(atoms.positions, cell, center, atoms.get_chemical_symbols(),
                                          tol_A=SYMMETRY_TOL_A)
            reps = harmonic.orbit_representatives(len(atoms), ops)
            columns = {j: self._column(key, atoms, j) for j in reps}
            residual = harmonic.sum_rule_residual(harmonic.raw_force_constants(columns, len(atoms), ops))
            phi = harmonic.force_constants_from_columns(columns, len(atoms), ops)
            n_ops = len(ops)
        nu = harmonic.frequencies_THz(phi, masses(atoms))
        entry = {"frequencies_THz": nu.tolist(), "symmetry_ops": n_ops, "displaced_atoms": len(reps),
                 "force_evaluations": 6 * len(reps), "sum_rule_residual_eV_A2": residual,
                 "seconds": round(time.time() - start, 1), "step_A": self.step}
        self.store.put(key, entry)
        self.work.drop(key)
        self.log(f"  modes {key}: {len(reps)} displaced atoms, {n_ops} ops, lowest "
                 f"{np.round(np.sort(nu)[:4], 3).tolist()} THz, {entry['seconds']:.0f} s")
        return entry

    def neighbour_block(self, state: str, n: int) -> dict:
        """The 3x3 self force-constant block (eV/A^2) of the atom at (a/2)(1,1,1), the vacancy's
        first neighbour in "vacancy" (of any site in "perfect"), or of the hopping atom at
        (a/4)(1,1,1) in "saddle_host", as its radial ([111]) and tangential parts: the local
        stiffness the vacancy changes, and the hop's curvature with the other atoms fixed (the DFT
        check's numbers)."""
        key = self.key(state, n) + "|neighbour_block"
        hit = self.store.get(key)
        if hit is not None:
            return hit
        self._need(key)
        atoms = self.atoms_of(state, n)
        j = _nearest(atoms, (0.25 if state == "saddle_host" else 0.5) * self.a * np.ones(3))
        block = self._column(key, atoms, j)[j]
        block = 0.5 * (block + block.T)
        radial = float(np.ones(3) @ block @ np.ones(3) / 3)
        entry = {"radial_eV_A2": radial, "tangential_eV_A2": float((np.trace(block) - radial) / 2),
                 "block_eV_A2": block.tolist()}
        self.store.put(key, entry)
        self.work.drop(key)
        return entry

    def _column(self, key, atoms, j):
        """Phi[:, :, j, :] (N, 3, 3) by central differences (cached in the work file)."""
        wkey = f"{key}|atom={j}"
        hit = self.work.get(wkey)
        if hit is not None:
            return np.array(hit)
        calc = pipeline.calculator()
        forces = {}
        for sign in (1, -1):
            per_dir = []
            for b in range(3):
                moved = atoms.copy()
                moved.positions[j, b] += sign * self.step
                moved.calc = calc
                per_dir.append(moved.get_forces())
            forces[sign] = np.stack(per_dir, axis=2)   # (N, 3 force comps, 3 directions)
        column = harmonic.column_from_forces(forces[1], forces[-1], self.step)
        self.work.put(wkey, column.tolist())
        return column


def _nearest(atoms, position):
    dist = harmonic._image_distances(np.asarray([position], float), atoms.positions, np.asarray(atoms.cell))[0]
    return int(np.argmin(dist))


# ----------------------------------------------------------------------------- the numbers
def results(thermo: Thermo, repeats, temperatures_K=(298.0, 333.0)) -> dict:
    """Every number that the cached states give, per cell size: E_f, E_m, S_f, nu*, ..."""
    out = {"lattice_constant_A": thermo.a, "method": pipeline.METHOD.split(",")[0],
           "fmax_eV_A": thermo.fmax, "step_A": thermo.step, "cells": {}}
    for n in repeats:
        row = {}
        try:
            perf = thermo.relaxed("perfect", n)
            vac = thermo.relaxed("vacancy", n)
        except pipeline.NotComputed:
            continue
        N = perf["natoms"]
        mu = perf["energy_eV"] / N
        row["natoms_perfect"] = N
        row["E_f_eV"] = vac["energy_eV"] + mu - perf["energy_eV"]
        volume = abs(np.linalg.det(np.array(perf["cell"])))
        # pressure (eV/A^3) of the cell with the vacancy minus the perfect one's, at the same cell:
        # -dF_f/dV at fixed T; S_f(constant P) - S_f(constant V) = alpha_V V (P_vac - P_perf)
        row["V_times_dP_eV"] = volume * (-np.mean(vac["stress_eV_A3"][:3]) + np.mean(perf["stress_eV_A3"][:3]))
        for state in ("saddle_host", "mg_v1", "mg_v2", "saddle_mg", "saddle_near_mg"):
            try:
                row[f"E_{state}_eV"] = thermo.relaxed(state, n)["energy_eV"]
            except pipeline.NotComputed:
                pass
        if "E_saddle_host_eV" in row:
            row["E_m_host_eV"] = row["E_saddle_host_eV"] - vac["energy_eV"]
        if "E_saddle_mg_eV" in row and "E_mg_v1_eV" in row:
            row["E_m_mg_eV"] = row["E_saddle_mg_eV"] - row["E_mg_v1_eV"]
        if "E_saddle_near_mg_eV" in row:
            row["E_m_near_mg_forward_eV"] = row["E_saddle_near_mg_eV"] - row["E_mg_v1_eV"]
            row["E_m_near_mg_backward_eV"] = row["E_saddle_near_mg_eV"] - row["E_mg_v2_eV"]
        if "E_mg_v1_eV" in row and "E_mg_v2_eV" in row:
            row["mg_v1_minus_v2_eV"] = row["E_mg_v1_eV"] - row["E_mg_v2_eV"]
        modes = {}
        for state in STATES:
            try:
                modes[state] = np.array(thermo.modes(state, n)["frequencies_THz"])
            except (pipeline.NotComputed, KeyError):
                pass
        row["lowest_modes_THz"] = {s: np.round(np.sort(v)[:5], 4).tolist() for s, v in modes.items()}
        if "perfect" in modes and "vacancy" in modes:
            row["S_f_classical_kB"] = harmonic.formation_entropy_kB(modes["vacancy"], modes["perfect"])
            for T in temperatures_K:
                row[f"S_f_{T:.0f}K_kB"] = harmonic.formation_entropy_kB(modes["vacancy"], modes["perfect"], T)
                row[f"F_f_vib_{T:.0f}K_eV"] = harmonic.formation_free_energy_eV(modes["vacancy"], modes["perfect"], T)
        for name, (lo, hi) in {"host": ("vacancy", "saddle_host"), "mg": ("mg_v1", "saddle_mg"),
                               "near_mg_forward": ("mg_v1", "saddle_near_mg"),
                               "near_mg_backward": ("mg_v2", "saddle_near_mg")}.items():
            if lo in modes and hi in modes:
                try:
                    row[f"nu_{name}_THz"] = harmonic.vineyard_prefactor_Hz(modes[lo], modes[hi]) / 1e12
                    row[f"saddle_{name}_imaginary_THz"] = float(np.sort(modes[hi])[0])
                    for T in temperatures_K:
                        row[f"nu_{name}_quantum_{T:.0f}K_THz"] = harmonic.quantum_prefactor_Hz(
                            modes[lo], modes[hi], T) / 1e12
                except ValueError as err:
                    row[f"nu_{name}_error"] = str(err)
        out["cells"][str(n)] = row
    return out


# Volumetric thermal expansion of Li at 298 K, 3 x 46e-6 /K (linear coefficient 46e-6 /K at 25 C,
# CRC Handbook of Chemistry and Physics, "Thermal expansion of the elements"): converts the
# constant-volume formation entropy to constant pressure, S_P = S_V + alpha_V V (P_vac - P_perf)
# (-dF_f/dV at fixed T is P_vac - P_perf, the pressure the vacancy adds to the cell at fixed volume;
# the lattice expands by alpha_V dT at constant pressure).
ALPHA_V_PER_K = 3 * 46e-6
SUMMARY = Path(__file__).with_name("vacancy_thermo.toml")


def bulk_modulus_eV_A3(thermo: Thermo, strain=0.005) -> float:
    """CHGNet's bulk modulus of BCC Li at its lattice constant: -V dP/dV from the stress of the
    cubic cell strained by +-strain (central difference)."""
    key = f"bulk_modulus|a={thermo.a:.4f}|strain={strain}"
    hit = thermo.store.get(key)
    if hit is not None:
        return hit["K_eV_A3"]
    thermo._need(key)
    atoms, _, _ = build_state("perfect", thermo.a, 1)
    pressures = []
    for sign in (1, -1):
        strained = atoms.copy()
        strained.set_cell(np.asarray(atoms.cell) * (1 + sign * strain), scale_atoms=True)
        strained.calc = pipeline.calculator()
        pressures.append(-float(np.mean(strained.get_stress()[:3])))
    dlnv = 3 * 2 * strain
    K = -(pressures[0] - pressures[1]) / dlnv
    thermo.store.put(key, {"K_eV_A3": K, "K_GPa": K * 160.21766})
    return K


def write_summary(thermo: Thermo, repeats, path=SUMMARY) -> dict:
    """vacancy_thermo.toml: per-cell numbers from the cache and the converged set (the largest
    cell holding each number; its change from the next smaller cell is its convergence error)."""
    res = results(thermo, repeats)
    K = bulk_modulus_eV_A3(thermo)
    cells = {}
    for n, row in res["cells"].items():
        flat = {k: v for k, v in row.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if "S_f_classical_kB" in flat:
            flat["S_f_constant_pressure_kB"] = (flat["S_f_classical_kB"]
                                                + ALPHA_V_PER_K * flat["V_times_dP_eV"] / harmonic.KB_EV_K)
            # relaxation volume from the pressure the vacancy adds at fixed volume: v_rel = V dP / K
            omega = thermo.a ** 3 / 2
            flat["relaxation_volume_atomic_volumes"] = flat["V_times_dP_eV"] / K / omega
            flat["formation_volume_atomic_volumes"] = 1.0 + flat["relaxation_volume_atomic_volumes"]
        cells[n] = flat
    converged, error, from_cell = {}, {}, {}
    order = sorted(cells, key=int)
    for key in sorted({k for c in cells.values() for k in c}):
        have = [n for n in order if key in cells[n]]
        converged[key] = cells[have[-1]][key]
        from_cell[key] = int(have[-1])
        if len(have) > 1:
            error[key] = abs(cells[have[-1]][key] - cells[have[-2]][key])
    for name in ("host", "mg", "near_mg_forward", "near_mg_backward"):
        if f"nu_{name}_THz" in converged:
            converged[f"nu_{name}_Hz"] = converged[f"nu_{name}_THz"] * 1e12
            from_cell[f"nu_{name}_Hz"] = from_cell[f"nu_{name}_THz"]
            if f"nu_{name}_THz" in error:
                error[f"nu_{name}_Hz"] = error[f"nu_{name}_THz"] * 1e12
    lines = ["# Vacancies in BCC Li at finite temperature from CHGNet phonons; written by",
             "# `python -m kmc.atomistic.vacancy_thermo --toml` from kmc/atomistic/vacancy_thermo_chgnet.json.",
             "# Cells n x n x n conventional (2 n^3 sites) at CHGNet's lattice constant; classical harmonic",
             "# entropies (k_B) and Vineyard attempt frequencies; see docs/vacancy_thermodynamics.md.",
             "# [converged]: each number from the largest cell that holds it ([converged_from_cell]); its",
             "# change from the next smaller cell is in [convergence_error].", "",
             "[method]", f'potential = "{res["method"]}"', f"lattice_constant_A = {res['lattice_constant_A']}",
             f"fmax_eV_per_A = {thermo.fmax}", f"finite_difference_step_A = {thermo.step}",
             f"bulk_modulus_GPa = {K * 160.21766:.3f}", f"alpha_V_per_K = {ALPHA_V_PER_K}",
             'alpha_V_source = "3 x 46e-6 /K, CRC Handbook (linear, Li, 25 C)"', ""]

    def table(name, values):
        out = [f"[{name}]"]
        out += [f"{k} = {v:.6g}" for k, v in sorted(values.items())]
        return out + [""]

    lines += table("converged", converged) + table("convergence_error", error) + table("converged_from_cell", from_cell)
    for n in order:
        lines += table(f"cells.n{n}", cells[n])
    Path(path).write_text("\n".join(lines))
    return {"converged": converged, "error": error, "cells": cells}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m kmc.atomistic.vacancy_thermo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, nargs="+", default=[3], help="cells: n x n x n conventional")
    parser.add_argument("--states", nargs="+", default=list(STATES), help=f"states: {', '.join(STATES)}")
    parser.add_argument("--step", type=float, default=STEP_A, help="finite-difference step (A)")
    parser.add_argument("--table", action="store_true", help="print what the cache holds as JSON; compute nothing")
    parser.add_argument("--toml", action="store_true", help=f"write {SUMMARY.name} from the cache (cells of --repeats)")
    args = parser.parse_args(argv)
    bad = [s for s in args.states if s not in STATES]
    if bad:
        parser.error(f"unknown state(s) {bad}; allowed: {', '.join(STATES)}")
    thermo = Thermo(step=args.step, log=lambda m: print(m, flush=True), compute=not args.table)
    if args.toml:
        bulk_modulus_eV_A3(Thermo(step=args.step))        # the one number --toml may compute (seconds)
        write_summary(Thermo(step=args.step, compute=False), args.repeats)
        print(f"wrote {SUMMARY}")
        return 0
    if not args.table:
        for n in args.repeats:
            for state in args.states:
                thermo.modes(state, n)
    print(json.dumps(results(Thermo(step=args.step, compute=False), args.repeats), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
