"""DFT check of the CHGNet vacancy phonons (docs/vacancy_thermodynamics.md section 4): the same harmonic calculation as
kmc.atomistic.vacancy_thermo, with GPAW (PBE), on the smallest cell both can afford.

Run with the system python that Debian's gpaw package installs into (docs/physics.md section 6):

    apt-get install -y gpaw gpaw-data
    OMP_NUM_THREADS=1 PYTHONPATH=. nice -n 10 /usr/bin/python3 benchmarks/vacancy_thermo_dft.py [--states ...]

Cell (default; --repeat, --kpts): BCC Li 2x2x2 conventional (16 sites), PBE, plane waves 300 eV, k 4x4x4 Gamma-centred,
Fermi-Dirac 0.05 eV, the lattice constant of PBE (from E(a) of the 2-atom cell, k 10x10x10).  States as
kmc.atomistic.vacancy_thermo: perfect, vacancy, saddle_host.  Positions relaxed to 0.005 eV/A,
force constants by central differences of +-0.02 A of one atom per symmetry orbit, along the
fewest directions its site symmetry completes (one for a site on a 3-fold axis).
Every SCF result is cached in kmc/atomistic/vacancy_thermo_gpaw.json (keyed by state, lattice
constant and settings), so an interrupted run resumes.  The same cell with CHGNet:
`python -m kmc.atomistic.vacancy_thermo --repeats 2`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from kmc.atomistic import harmonic
from kmc.atomistic.vacancy_thermo import ALPHA_V_PER_K

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "kmc" / "atomistic" / "vacancy_thermo_gpaw.json"
REPEAT = 2
CUTOFF_EV = 300.0
KPTS = (4, 4, 4)
# The lattice constant from the 2-atom cell with 10x10x10 k-points (converged for Li's a to ~0.002 A)
LATTICE_KPTS = (10, 10, 10)
SMEARING_EV = 0.05
FMAX_EV_A = 0.005
STEP_A = 0.02
EV_A3_GPA = 160.21766
MASS_LI = 6.94
SETTINGS = f"PBE|PW{CUTOFF_EV:.0f}|k{KPTS[0]}{KPTS[1]}{KPTS[2]}G|FD{SMEARING_EV}"
REPORT_K = 298.0     # the temperature of the quantum-harmonic prefactor printed beside Vineyard's


def configure(repeat: int, kpts: int) -> None:
    """Select the cell (repeat^3 conventional cells, 2 repeat^3 sites) and its k-mesh (kpts^3):
    every cache key, cell and calculator of this module follows."""
    global REPEAT, KPTS, SETTINGS
    REPEAT, KPTS = repeat, (kpts,) * 3
    SETTINGS = f"PBE|PW{CUTOFF_EV:.0f}|k{kpts}{kpts}{kpts}G|FD{SMEARING_EV}"


def summary_key(states) -> str:
    """The cache key of a summary (the 16-site cell's carry no n= for the earlier rounds' keys)."""
    return f"summary|{'+'.join(states)}" + ("" if REPEAT == 2 else f"|n={REPEAT}")


def calculator(kpts=None):
    """PBE as in the module docstring; kpts None: the module's KPTS at call time (--kpts)."""
    from gpaw import GPAW, PW, FermiDirac
    kpts = KPTS if kpts is None else kpts
    return GPAW(mode=PW(CUTOFF_EV), xc="PBE", kpts={"size": kpts, "gamma": True},
                occupations=FermiDirac(SMEARING_EV), convergence={"forces": 1e-4}, txt=None)


class Store:
    def __init__(self, path=CACHE):
        self.path = Path(path)
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, key):
        # a miss re-reads the file: another run sharing the cache may have computed it since
        if key not in self.data and self.path.exists():
            self.data = {**json.loads(self.path.read_text()), **self.data}
        return self.data.get(key)

    def put(self, key, value):
        # Two runs may share the cache (e.g. two cells, one core each): under an exclusive lock,
        # merge what is on disk (the other run's results) with what this run holds, then replace
        # the file atomically through a temporary file of this process's own.
        import fcntl
        import os
        import tempfile
        # the lock beside the system's temporary files, not in the tree (the cache file itself
        # cannot carry it: it is replaced, a new inode, on every write)
        with open(Path(tempfile.gettempdir()) / f"{self.path.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            disk = json.loads(self.path.read_text()) if self.path.exists() else {}
            self.data = {**self.data, **disk, key: value}
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.data, indent=0))
            tmp.replace(self.path)


def bcc_cell(a, n=None):
    """n x n x n conventional cells of BCC (n None: the module's REPEAT at call time; a default
    argument n=REPEAT would freeze the import-time value and --repeat would build 16 sites)."""
    from ase import Atoms
    n = REPEAT if n is None else n
    basis = np.array([[0, 0, 0], [0.5, 0.5, 0.5]])
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)], float)
    positions = (cells[:, None, :] + basis[None]).reshape(-1, 3) * a
    return Atoms(f"Li{len(positions)}", positions=positions, cell=np.eye(3) * n * a, pbc=True)


LATTICE_KEY = f"lattice|PBE|PW{CUTOFF_EV:.0f}|k555G|FD{SMEARING_EV}|unit-cell k x2"   # = 10x10x10


def bulk_modulus_eV_A3(store) -> float:
    """PBE's bulk modulus (eV/A^3) from the same E(a) points as the lattice constant, by a
    Birch-Murnaghan fit (the parabola in a gives 13.94 GPa against Birch-Murnaghan's 14.00: the
    points span +-1.8 % in a, where the cubic term of E(a) is still visible)."""
    from ase.eos import EquationOfState
    entry = store.get(LATTICE_KEY)
    volumes = np.array(entry["grid_A"]) ** 3 / 2        # per atom: two atoms per conventional cell
    energies = np.array(entry["energies_eV"]) / 2
    return float(EquationOfState(volumes, energies, eos="birchmurnaghan").fit()[2])


def lattice_constant(store, log):
    """PBE lattice constant (A): parabola through E(a) of the 2-atom cell at 5 spacings
    (LATTICE_KPTS)."""
    key = LATTICE_KEY
    hit = store.get(key)
    if hit:
        return hit["a_A"]
    grid = np.linspace(3.38, 3.50, 5)
    energies = []
    for a in grid:
        atoms = bcc_cell(a, 1)
        atoms.calc = calculator(LATTICE_KPTS)
        energies.append(atoms.get_potential_energy())
        log(f"  a = {a:.3f} A: {energies[-1]:.5f} eV")
    c = np.polyfit(grid, energies, 2)
    a0 = float(-c[1] / (2 * c[0]))
    store.put(key, {"a_A": a0, "grid_A": grid.tolist(), "energies_eV": energies})
    return a0


def build(state, a):
    atoms = bcc_cell(a)
    origin, mid = np.zeros(3), 0.25 * a * np.ones(3)
    i0 = int(np.argmin(np.linalg.norm(atoms.positions - origin, axis=1)))
    i1 = int(np.argmin(np.linalg.norm(atoms.positions - 2 * mid, axis=1)))
    held, center = None, origin
    if state == "saddle_host":
        atoms.positions[i1] = mid
        held, center = i1 - (1 if i1 > i0 else 0), mid
    if state != "perfect":
        del atoms[i0]
    return atoms, held, center


def relaxed(store, state, a, log):
    from ase import Atoms
    key = f"{state}|n={REPEAT}|a={a:.4f}|{SETTINGS}|fmax={FMAX_EV_A}|relaxed"
    hit = store.get(key)
    if hit:
        return Atoms(f"Li{hit['natoms']}", positions=hit["positions"], cell=hit["cell"], pbc=True), hit
    atoms, held, _ = build(state, a)
    atoms.calc = calculator()
    start = time.time()
    steps = 0
    if state != "perfect":
        from ase.constraints import FixAtoms
        from ase.optimize import BFGS
        if held is not None:
            atoms.set_constraint(FixAtoms(indices=[held]))
        opt = BFGS(atoms, logfile=None)
        opt.run(fmax=FMAX_EV_A, steps=200)
        steps = opt.nsteps
        atoms.set_constraint()
    entry = {"energy_eV": float(atoms.get_potential_energy()), "natoms": len(atoms),
             "positions": atoms.positions.tolist(), "cell": np.asarray(atoms.cell).tolist(),
             "stress_eV_A3": atoms.get_stress().tolist(), "steps": steps, "seconds": round(time.time() - start, 1)}
    store.put(key, entry)
    log(f"  relaxed {key}: {entry['energy_eV']:.5f} eV, {steps} steps, {entry['seconds']:.0f} s")
    return atoms, entry


def column(store, key, atoms, j, ops, log):
    """Phi[:, :, j, :] by central differences along the few directions that j's site group
    completes (harmonic.site_directions), each displaced SCF cached.  (A calculator reused across
    displacements fails: GPAW keeps the k-point symmetry of the first displaced cell.)"""
    responses = {}
    for d in harmonic.site_directions(j, ops):
        forces = {}
        for sign in (1, -1):
            dkey = f"{key}|atom={j}|dir={tuple(int(x) for x in d)}|sign={sign}"
            hit = store.get(dkey)
            if hit is None:
                moved = atoms.copy()
                moved.positions[j] += sign * STEP_A * d
                moved.calc = calculator()    # a fresh one: each displacement has its own k-point symmetry
                start = time.time()
                hit = moved.get_forces().tolist()
                store.put(dkey, hit)
                log(f"    {dkey}: {time.time() - start:.0f} s")
            forces[sign] = np.array(hit)
        responses[tuple(d)] = -(forces[1] - forces[-1]) / (2 * STEP_A)
    return harmonic.column_from_directions(responses, j, ops)


def modes(store, state, a, log):
    atoms, _ = relaxed(store, state, a, log)
    key = f"{state}|n={REPEAT}|a={a:.4f}|{SETTINGS}|fmax={FMAX_EV_A}|step={STEP_A}"
    center = build(state, a)[2] if state != "perfect" else atoms.positions[0]
    cell = np.asarray(atoms.cell)
    ops = harmonic.point_symmetry(atoms.positions, cell, center, tol_A=5e-3)
    if state == "perfect":
        phi = harmonic.translation_column_force_constants(column(store, key, atoms, 0, ops, log),
                                                          atoms.positions, cell)
    else:
        reps = harmonic.orbit_representatives(len(atoms), ops)
        log(f"  {state}: {len(ops)} operations, {len(reps)} atoms to displace, "
            f"{sum(len(harmonic.site_directions(j, ops)) for j in reps)} directions")
        cols = {j: column(store, key, atoms, j, ops, log) for j in reps}
        phi = harmonic.force_constants_from_columns(cols, len(atoms), ops)
    return harmonic.frequencies_THz(phi, [MASS_LI] * len(atoms))


def neighbour_block(store, state, a, log=print):
    """Radial ([111]) and tangential self force constants (eV/A^2) of the atom at (a/2)(1,1,1):
    the vacancy's first neighbour (state "vacancy"), any atom (state "perfect"), or the hopping
    atom held at the midpoint (a/4)(1,1,1) (state "saddle_host": its radial constant is the
    curvature along the hop with every other atom fixed, negative at a saddle)."""
    atoms, _ = relaxed(store, state, a, log)
    key = f"{state}|n={REPEAT}|a={a:.4f}|{SETTINGS}|fmax={FMAX_EV_A}|step={STEP_A}"
    center = build(state, a)[2] if state != "perfect" else atoms.positions[0]
    ops = harmonic.point_symmetry(atoms.positions, np.asarray(atoms.cell), center, tol_A=5e-3)
    site = (0.25 if state == "saddle_host" else 0.5) * a * np.ones(3)
    j = int(np.argmin(np.linalg.norm(atoms.positions - site, axis=1)))
    if state == "perfect":       # the column of atom 0 by translation: atom 0's own block
        j = 0
    block = column(store, key, atoms, j, ops, log)[j]
    block = 0.5 * (block + block.T)
    radial = float(np.ones(3) @ block @ np.ones(3) / 3)
    return {"radial_eV_A2": radial, "tangential_eV_A2": float((np.trace(block) - radial) / 2)}


def saddle_check(store, a, log=print):
    """E_m of the host hop in the 16-site cell (the hopping atom held at the midpoint, the others
    relaxed) and the hopping atom's own force constants there."""
    # the saddle first: a run of the vacancy's phonons sharing the cache relaxes the vacancy meanwhile
    sad = relaxed(store, "saddle_host", a, log)[1]["energy_eV"]
    vac = relaxed(store, "vacancy", a, log)[1]["energy_eV"]
    return {"settings": SETTINGS, "lattice_constant_A": a, "E_m_host_eV": sad - vac,
            "hopping_atom_block": neighbour_block(store, "saddle_host", a, log)}


def summary(store, a, states, log=print):
    out = {"settings": SETTINGS, "lattice_constant_A": a, "cell": f"{REPEAT}x{REPEAT}x{REPEAT} conventional"}
    nu, energy = {}, {}
    for state in states:
        nu[state] = modes(store, state, a, log)
        energy[state] = relaxed(store, state, a, log)[1]["energy_eV"]
        out[f"lowest_modes_{state}_THz"] = np.round(np.sort(nu[state])[:5], 4).tolist()
    for state in ("perfect", "vacancy"):
        if state in nu:
            out[f"neighbour_block_{state}"] = neighbour_block(store, state, a, log)
    if {"perfect", "vacancy"} <= set(nu):
        n = 2 * REPEAT ** 3
        out["E_f_eV"] = energy["vacancy"] + energy["perfect"] / n - energy["perfect"]
        out["S_f_classical_kB"] = harmonic.formation_entropy_kB(nu["vacancy"], nu["perfect"])
        # constant pressure as kmc.atomistic.vacancy_thermo: S_P = S_V + alpha_V V (P_vac - P_perf)
        entries = {st: relaxed(store, st, a, log)[1] for st in ("perfect", "vacancy")}
        volume = abs(np.linalg.det(np.array(entries["perfect"]["cell"])))
        out["V_times_dP_eV"] = volume * (np.mean(entries["perfect"]["stress_eV_A3"][:3])
                                         - np.mean(entries["vacancy"]["stress_eV_A3"][:3]))
        out["S_f_constant_pressure_kB"] = out["S_f_classical_kB"] + ALPHA_V_PER_K * out["V_times_dP_eV"] / harmonic.KB_EV_K
        # the relaxation volume V (P_vac - P_perf) / K and the formation volume Omega + v_rel, in
        # atomic volumes Omega = a^3/2, as kmc.atomistic.vacancy_thermo does with CHGNet's K
        bulk_modulus = bulk_modulus_eV_A3(store)
        out["bulk_modulus_GPa"] = bulk_modulus * EV_A3_GPA
        out["relaxation_volume_atomic_volumes"] = out["V_times_dP_eV"] / bulk_modulus / (a ** 3 / 2)
        out["formation_volume_atomic_volumes"] = 1.0 + out["relaxation_volume_atomic_volumes"]
    if {"vacancy", "saddle_host"} <= set(nu):
        out["E_m_host_eV"] = energy["saddle_host"] - energy["vacancy"]
        out["saddle_imaginary_THz"] = float(np.sort(nu["saddle_host"])[0])
        out["nu_host_THz"] = harmonic.vineyard_prefactor_Hz(nu["vacancy"], nu["saddle_host"]) / 1e12
        out[f"nu_host_quantum_{REPORT_K:.0f}K_THz"] = harmonic.quantum_prefactor_Hz(
            nu["vacancy"], nu["saddle_host"], REPORT_K) / 1e12
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--states", nargs="+", default=["perfect", "vacancy", "saddle_host"])
    parser.add_argument("--repeat", type=int, default=REPEAT, help="cell: n x n x n conventional (2: 16 sites)")
    parser.add_argument("--kpts", type=int, default=KPTS[0], help="k-points per direction of that cell")
    parser.add_argument("--saddle-check", action="store_true",
                        help="only the host saddle's energy and its hopping atom's force constants (cheap)")
    args = parser.parse_args(argv)
    configure(args.repeat, args.kpts)
    store = Store()
    log = lambda m: print(m, flush=True)  # noqa: E731
    a = lattice_constant(store, log)
    log(f"PBE lattice constant {a:.4f} A")
    if args.saddle_check:
        result = saddle_check(store, a, log)
        store.put(summary_key(["saddle_check"]), result)
        print(json.dumps(result, indent=1))
        return 0
    result = summary(store, a, args.states, log)
    store.put(summary_key(args.states), result)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
