"""Harmonic lattice dynamics in plain numpy: force constants from displaced-atom forces (with the
point symmetry of a defect), normal-mode frequencies, vibrational free energies, the harmonic
formation entropy of a defect and Vineyard's attempt frequency.  No potential here:
kmc.atomistic.vacancy_thermo feeds it forces from CHGNet, the tests from analytic spring models.

Units: force constants eV/A^2, masses amu, frequencies nu = omega / 2 pi in THz (an imaginary
mode is returned as a negative number), prefactors in Hz, entropies in k_B, energies in eV.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

EV_J = 1.602176634e-19
AMU_KG = 1.66053906660e-27
HBAR_EV_S = 6.582119569e-16
KB_EV_K = 8.617333262e-5
# omega (rad/s) = sqrt(lambda) * OMEGA_UNIT for an eigenvalue lambda of the mass-weighted force
# constants in eV / (A^2 amu); nu = omega / 2 pi.
OMEGA_UNIT_RAD_S = math.sqrt(EV_J / (1e-20 * AMU_KG))
THZ_PER_SQRT_EIG = OMEGA_UNIT_RAD_S / (2 * math.pi) / 1e12
N_TRANSLATIONS = 3   # a periodic cell's three uniform translations are zero modes


# ----------------------------------------------------------------------------- symmetry
def cubic_rotations() -> np.ndarray:
    """The 48 signed permutation matrices: the point group O_h of a cubic lattice."""
    ops = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            m = np.zeros((3, 3))
            for row, (col, sign) in enumerate(zip(perm, signs)):
                m[row, col] = sign
            ops.append(m)
    return np.array(ops)


def _image_distances(a: np.ndarray, b: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Minimum-image distances between every point of a and every point of b (orthorhombic or
    general cell; the nearest image found through the fractional rounding)."""
    inv = np.linalg.inv(cell)
    d = (a[:, None, :] - b[None, :, :]) @ inv
    d -= np.round(d)
    return np.linalg.norm(d @ cell, axis=-1)


def point_symmetry(positions: np.ndarray, cell: np.ndarray, center, symbols=None, tol_A: float = 1e-3):
    """The cubic point operations about ``center`` that map the (periodic) structure onto itself:
    a list of (R, perm) with atom i sent to atom perm[i] (R (x_i - c) + c = x_perm[i] modulo the
    cell, within tol_A).  The identity is always first."""
    positions = np.asarray(positions, float)
    center = np.asarray(center, float)
    symbols = np.asarray(symbols if symbols is not None else ["X"] * len(positions))
    ops = []
    for rot in cubic_rotations():
        image = (positions - center) @ rot.T + center
        dist = _image_distances(image, positions, cell)
        perm = np.argmin(dist, axis=1)
        if dist[np.arange(len(perm)), perm].max() > tol_A:
            continue
        if len(set(perm.tolist())) != len(perm) or np.any(symbols[perm] != symbols):
            continue
        ops.append((rot, perm))
    ops.sort(key=lambda op: not np.allclose(op[0], np.eye(3)))
    return ops


def orbit_representatives(n_atoms: int, ops, movable=None) -> list:
    """One atom per orbit of the operations (the atoms whose displacements must be computed);
    movable: a boolean mask of the atoms whose force constants are wanted (default all)."""
    movable = np.ones(n_atoms, bool) if movable is None else np.asarray(movable, bool)
    seen = np.zeros(n_atoms, bool)
    reps = []
    for i in range(n_atoms):
        if seen[i] or not movable[i]:
            continue
        reps.append(i)
        for _, perm in ops:
            seen[perm[i]] = True
    return reps


def raw_force_constants(columns: dict, n_atoms: int, ops) -> np.ndarray:
    """The (3N, 3N) force constants filled from the columns of the representative atoms, neither
    symmetrised nor corrected: columns[j] is the (N, 3, 3) block Phi[i, :, j, :] = -dF_i/du_j
    (eV/A^2) of a displaced atom j, and an operation (R, perm) gives
    Phi[perm i, perm j] = R Phi[i, j] R^T, which fills the columns of every atom in j's orbit."""
    phi = np.full((n_atoms, 3, n_atoms, 3), np.nan)
    for j, block in columns.items():
        for rot, perm in ops:
            phi[perm, :, perm[j], :] = _rotated(rot, np.asarray(block, float))
    missing = np.isnan(phi).any(axis=(0, 1, 3))
    if missing.any():
        raise ValueError(f"no displaced atom covers atoms {np.flatnonzero(missing)[:5].tolist()}: "
                         "the operations do not map a representative onto them")
    return phi.reshape(3 * n_atoms, 3 * n_atoms)


def force_constants_from_columns(columns: dict, n_atoms: int, ops) -> np.ndarray:
    """raw_force_constants symmetrised (Phi = Phi^T) with the translational sum rule
    sum_j Phi[i, j] = 0 imposed on the diagonal blocks (``sum_rule_residual`` of the raw matrix
    measures the noise of the finite differences that this removes)."""
    matrix = raw_force_constants(columns, n_atoms, ops)
    return impose_sum_rule(0.5 * (matrix + matrix.T))


def _rotated(rot, block):
    """R block_n R^T for each atom n of a (N, 3, 3) column."""
    return np.einsum("ab,nbc,dc->nad", rot, block, rot)


def impose_sum_rule(matrix: np.ndarray) -> np.ndarray:
    """The force constants with each diagonal 3x3 block reset so that every atom's row sums to
    zero (a uniform translation costs nothing), symmetrically."""
    n = matrix.shape[0] // 3
    phi = matrix.reshape(n, 3, n, 3).copy()
    for i in range(n):
        phi[i, :, i, :] -= phi[i].sum(axis=1)
        phi[i, :, i, :] = 0.5 * (phi[i, :, i, :] + phi[i, :, i, :].T)
    return phi.reshape(3 * n, 3 * n)


def sum_rule_residual(matrix: np.ndarray) -> float:
    """Largest |sum_j Phi[i, j]| entry (eV/A^2): zero for exact force constants."""
    n = matrix.shape[0] // 3
    return float(np.abs(matrix.reshape(n, 3, n, 3).sum(axis=2)).max())


def column_from_forces(forces_plus: np.ndarray, forces_minus: np.ndarray, step_A: float) -> np.ndarray:
    """One 3x3-per-atom column of the force constants from the forces (N, 3, 3: [atom, force
    component, displaced direction]) after displacing an atom by +step and -step along x, y, z:
    Phi[i, a, j, b] = -(F_ia(+u_jb) - F_ia(-u_jb)) / (2 step)  (central difference, error O(step^2))."""
    return -(np.asarray(forces_plus) - np.asarray(forces_minus)) / (2.0 * step_A)


def translation_column_force_constants(column0: np.ndarray, positions: np.ndarray, cell: np.ndarray,
                                       tol_A: float = 1e-3) -> np.ndarray:
    """Force constants of a perfect monatomic crystal (every atom equivalent by a translation)
    from the column of atom 0: Phi[i, j] = Phi[0, k] with x_k - x_0 = x_j - x_i (modulo the cell)."""
    positions = np.asarray(positions, float)
    n = len(positions)
    phi = np.empty((n, 3, n, 3))
    for i in range(n):
        shifted = positions - positions[i] + positions[0]
        dist = _image_distances(shifted, positions, cell)
        k = np.argmin(dist, axis=1)
        if dist[np.arange(n), k].max() > tol_A:
            raise ValueError("the structure is not a perfect monatomic lattice (a translation does not map it)")
        phi[i, :, :, :] = column0[k].transpose(1, 0, 2)
    matrix = phi.reshape(3 * n, 3 * n)
    return impose_sum_rule(0.5 * (matrix + matrix.T))


# ----------------------------------------------------------------------------- modes
def frequencies_THz(force_constants: np.ndarray, masses_amu) -> np.ndarray:
    """Normal-mode frequencies nu (THz), ascending; an imaginary mode (negative curvature) is
    returned as -|nu|."""
    m = np.repeat(np.asarray(masses_amu, float), 3)
    dyn = force_constants / np.sqrt(np.outer(m, m))
    eig = np.linalg.eigvalsh(0.5 * (dyn + dyn.T))
    return np.sign(eig) * np.sqrt(np.abs(eig)) * THZ_PER_SQRT_EIG


def split_modes(nu_THz: np.ndarray, n_zero: int = N_TRANSLATIONS, n_imaginary: int = 0):
    """(real modes, zero modes, imaginary modes): the n_zero modes of smallest |nu| are the
    translations; exactly n_imaginary of the rest must be imaginary, or ValueError (the state is
    not the minimum / first-order saddle it is taken for)."""
    nu = np.asarray(nu_THz, float)
    order = np.argsort(np.abs(nu))
    zero, rest = nu[order[:n_zero]], nu[order[n_zero:]]
    imaginary = np.sort(rest[rest < 0])
    real = np.sort(rest[rest > 0])
    if len(imaginary) != n_imaginary:
        raise ValueError(f"{len(imaginary)} imaginary modes ({np.round(imaginary, 3).tolist()} THz) where "
                         f"{n_imaginary} belong; the translations are {np.round(zero, 4).tolist()} THz")
    return real, zero, imaginary


def vineyard_prefactor_Hz(nu_min_THz, nu_saddle_THz, n_zero: int = N_TRANSLATIONS) -> float:
    """Vineyard's harmonic transition-state attempt frequency (Hz),
        nu* = prod_{i=1}^{3N-3} nu_i(minimum) / prod_{i=1}^{3N-4} nu_i(saddle, real modes),
    the translations left out of both and the saddle's one imaginary mode out of its product
    (the rate of the hop is nu* exp(-(E_saddle - E_min)/kT)).  Products taken as sums of logs."""
    real_min, _, _ = split_modes(nu_min_THz, n_zero, 0)
    real_sad, _, _ = split_modes(nu_saddle_THz, n_zero, 1)
    if len(real_min) != len(real_sad) + 1:
        raise ValueError(f"{len(real_min)} modes at the minimum and {len(real_sad)} at the saddle: the two "
                         "states must hold the same atoms")
    return float(np.exp(np.log(real_min).sum() - np.log(real_sad).sum()) * 1e12)


def mode_free_energy_eV(nu_THz, temperature_K: float, classical: bool = False) -> np.ndarray:
    """Harmonic free energy of each mode (eV): kT ln(2 sinh(h nu / 2kT)) (quantum) or kT ln(h nu / kT)."""
    hw = 2 * math.pi * HBAR_EV_S * np.asarray(nu_THz, float) * 1e12
    kT = KB_EV_K * temperature_K
    if classical:
        return kT * np.log(hw / kT)
    x = hw / (2 * kT)
    return kT * (x + np.log1p(-np.exp(-2 * x)))


def mode_entropy_kB(nu_THz, temperature_K: float, classical: bool = False) -> np.ndarray:
    """Harmonic entropy of each mode (k_B): 1 - ln(h nu/kT) classically, else the Bose form."""
    hw = 2 * math.pi * HBAR_EV_S * np.asarray(nu_THz, float) * 1e12
    x = hw / (KB_EV_K * temperature_K)
    if classical:
        return 1.0 - np.log(x)
    # x e^-x / (1 - e^-x) rather than x / (e^x - 1): no overflow at low T
    return x * np.exp(-x) / -np.expm1(-x) - np.log1p(-np.exp(-x))


def formation_entropy_kB(nu_defect_THz, nu_perfect_THz, temperature_K: float | None = None,
                         n_zero: int = N_TRANSLATIONS) -> float:
    """Harmonic formation entropy (k_B) of a vacancy: the entropy of the cell with the vacancy
    minus that of the same number of atoms of perfect crystal.  Each real mode of the defect cell
    is set against the perfect crystal's mean per mode (the translations of both left out), so
        S_f = sum_d s(nu_d) - M_d <s(nu_p)>_p,   M_d = 3(N-1) - 3 real modes of the defect cell;
    classically (temperature_K None) s = 1 - ln(h nu/kT) and S_f = -sum_d ln nu_d + M_d <ln nu_p>,
    independent of T.  The mode count M_d differs from (N-1)/N of the perfect cell's 3N - 3 by 3/N:
    setting modes against the mean per mode removes that term, which vanishes as the cell grows."""
    real_d, _, _ = split_modes(nu_defect_THz, n_zero, 0)
    real_p, _, _ = split_modes(nu_perfect_THz, n_zero, 0)
    if temperature_K is None:
        return float(-np.log(real_d).sum() + len(real_d) * np.log(real_p).mean())
    return float(mode_entropy_kB(real_d, temperature_K).sum()
                 - len(real_d) * mode_entropy_kB(real_p, temperature_K).mean())


def formation_free_energy_eV(nu_defect_THz, nu_perfect_THz, temperature_K: float,
                             n_zero: int = N_TRANSLATIONS) -> float:
    """The vibrational part of the vacancy formation free energy (eV) at temperature_K, quantum
    harmonic, with the mode bookkeeping of formation_entropy_kB."""
    real_d, _, _ = split_modes(nu_defect_THz, n_zero, 0)
    real_p, _, _ = split_modes(nu_perfect_THz, n_zero, 0)
    return float(mode_free_energy_eV(real_d, temperature_K).sum()
                 - len(real_d) * mode_free_energy_eV(real_p, temperature_K).mean())


def quantum_prefactor_Hz(nu_min_THz, nu_saddle_THz, temperature_K: float, n_zero: int = N_TRANSLATIONS) -> float:
    """The harmonic TST prefactor with quantised real modes (no tunnelling through the barrier):
    (kT/h) Z_saddle / Z_min = (kT/h) exp(-(F_saddle - F_min)/kT) over the real modes; tends to
    vineyard_prefactor_Hz as T grows (the ratio measures the quantum correction at T)."""
    real_min, _, _ = split_modes(nu_min_THz, n_zero, 0)
    real_sad, _, _ = split_modes(nu_saddle_THz, n_zero, 1)
    kT = KB_EV_K * temperature_K
    df = mode_free_energy_eV(real_sad, temperature_K).sum() - mode_free_energy_eV(real_min, temperature_K).sum()
    return float(kT / (2 * math.pi * HBAR_EV_S) * math.exp(-df / kT))


def site_directions(j: int, ops, tol: float = 1e-8) -> list:
    """The fewest Cartesian displacement directions of atom j whose images under j's site group
    (the operations that keep j in place) span all three: e.g. one for a site on a 3-fold axis
    through [111], three for a site with no symmetry.  Each direction costs two force evaluations."""
    site = [rot for rot, perm in ops if perm[j] == j]
    chosen, span = [], np.zeros((0, 3))
    for d in np.eye(3):
        images = np.array([rot @ d for rot in site])
        trial = np.vstack([span, images])
        if np.linalg.matrix_rank(trial, tol) > np.linalg.matrix_rank(span, tol) if len(span) else True:
            chosen.append(d)
            span = trial
        if np.linalg.matrix_rank(span, tol) == 3:
            break
    return chosen


def column_from_directions(responses: dict, j: int, ops) -> np.ndarray:
    """Phi[:, :, j, :] (N, 3, 3) from the force-constant responses to displacing atom j along a few
    directions: responses[tuple(d)] = Phi[:, :, j, :] @ d (N, 3).  An operation (R, perm) of j's
    site group turns the response to d into the response to R d (row perm[i] = R row i); the three
    columns are the least-squares solution over all images."""
    dirs, rhs = [], []
    for d, resp in responses.items():
        d = np.asarray(d, float)
        resp = np.asarray(resp, float)
        for rot, perm in ops:
            if perm[j] != j:
                continue
            image = np.empty_like(resp)
            image[perm] = resp @ rot.T
            dirs.append(rot @ d)
            rhs.append(image)
    A = np.array(dirs)                                   # (m, 3)
    B = np.stack(rhs, axis=0)                            # (m, N, 3)
    if np.linalg.matrix_rank(A) < 3:
        raise ValueError(f"the displacements of atom {j} and their images do not span three directions")
    sol, *_ = np.linalg.lstsq(A, B.reshape(len(A), -1), rcond=None)   # (3, N*3): row b = Phi[:, :, j, b]
    return sol.reshape(3, -1, 3).transpose(1, 2, 0)
