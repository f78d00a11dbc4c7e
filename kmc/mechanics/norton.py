"""Finite-element creep of an incompressible Norton solid (scikit-fem, Taylor-Hood P2/P1).

The solver works in the law's own units: stresses in units of sigma0, strain rates in units of
eps0, so that the law reads eps_e = sigma_e^n (``kmc.mechanics.law`` says how a caller scales a
physical problem onto it; a power-law solid under tractions scaled by lambda moves lambda^n
faster, so one solve serves every load).  Unknowns: the velocity u (P2) and the pressure p (P1,
the mean compressive stress), constrained by ``Constraints`` (fixed values, periodic ties, rigid
groups that move as one unknown).

Weak form (plane strain, or axisymmetric (r, z) with the hoop rate u_r / r and weight r):
    int 2 mu(e) D(u):D(v) - p div v = external work,   int q div u = 0,
    mu(e) = (1/3) e^(1/n - 1),  e^2 = (2/3) D:D + delta^2,
the secant viscosity of the Norton law (s = 2 mu D gives sigma_e = e^(1/n) where delta = 0).
delta regularises mu where the strain rate vanishes (a hydrostatically loaded foil is rigid away
from its voids, where the exact law has infinite viscosity): delta = ``relative_regularization``
(1e-6) times the volume-averaged equivalent strain rate of the solution, so it is a fixed
fraction of the solution's own rate scale whatever the load or geometry (a void's closure moves
by < 1e-4 when it changes 100x either way: tests/test_mechanics.py, docs/mechanics.md).

Nonlinearity: Newton on the exact tangent of the regularised law (the Hessian of a convex
dissipation potential, symmetric and positive on divergence-free fields), backtracking on a
residual scaled block by block, from the linear solution through the exponents 2, 4, n, each
stage restarted at the velocity scale that balances the load (a punch-like field's velocity moves
by decades between exponents), each saddle solve scaled and refined (``_solve_saddle``).
Converged: the force residual below 1e-9 of the load (or stuck at round-off below 1e-4).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from skfem import Basis, BilinearForm, ElementTriP1, ElementTriP2, ElementVector, LinearForm, asm
from skfem.helpers import ddot, sym_grad

PLANE_STRAIN = "plane_strain"
AXISYMMETRIC = "axisymmetric"
GEOMETRIES = (PLANE_STRAIN, AXISYMMETRIC)


class NortonSolveError(RuntimeError):
    """Newton did not converge, or the contact's active set did not settle; the message says where it stalled."""


# The rounds of a contact's active set (the held nodes: tensile ones released, penetrating ones held, each round a
# Newton solve) before NortonSolveError: an active set still changing after them is not a solution, and returning
# its last round would put an unsettled contact into a table.  Tried: the section's and the cap's cells settle in 1
# round, the island's in 2 (void fractions 0.05, 0.5, 0.95, stuck and frictionless), the foil in 1 (tests' maps).
CONTACT_ROUNDS = 12


def _solve_saddle(J, rhs: np.ndarray, pressure_row: np.ndarray) -> np.ndarray:
    """J dy = rhs for the Newton system, symmetrically scaled and refined.

    The viscosity spans 1e5-1e8 (a rigid far field against a flowing void edge) on a mesh graded
    over 1e3-1e4 in size, so the saddle matrix is ill-conditioned enough that an unscaled LU
    solve moved by 100 % under one step of refinement.  Scaling the velocity rows by
    diag(K)^(-1/2) and the pressure rows by the diagonal of B diag(K)^(-1) B^T to the -1/2,
    then refining twice with the same factors, gives solves that refinement no longer moves."""
    J = J.tocsr()
    diag = np.abs(J.diagonal())
    scale = np.ones(J.shape[0])
    velocity = ~pressure_row
    scale[velocity] = 1.0 / np.sqrt(np.where(diag[velocity] > 0, diag[velocity], 1.0))
    if pressure_row.any():
        B = J[pressure_row][:, velocity]
        schur = np.asarray(abs(B).power(2) @ (scale[velocity] ** 2)).ravel()
        scale[pressure_row] = 1.0 / np.sqrt(np.where(schur > 0, schur, 1.0))
    D = sp.diags(scale)
    A = (D @ J @ D).tocsc()
    lu = splu(A)
    b = scale * rhs
    z = lu.solve(b)
    for _ in range(2):
        z = z + lu.solve(b - A @ z)
    return scale * z


class Constraints:
    """Which unknowns are fixed (and at what value), tied to another (periodicity), or grouped
    into one rigid unknown (a plunger's velocity); ``build`` gives x = T y + x0."""

    def __init__(self, n_dofs: int):
        self.n = n_dofs
        self._parent = np.arange(n_dofs)
        self._fixed = np.zeros(n_dofs, bool)
        self._value = np.zeros(n_dofs)

    def _root(self, i: int) -> int:
        while self._parent[i] != i:
            self._parent[i] = self._parent[self._parent[i]]
            i = self._parent[i]
        return i

    def fix(self, dofs, values=0.0):
        dofs = np.atleast_1d(np.asarray(dofs, np.int64))
        self._fixed[dofs] = True
        self._value[dofs] = np.broadcast_to(np.asarray(values, float), dofs.shape)

    def tie(self, followers, leaders):
        """Each follower dof equals its leader dof."""
        for f, l in zip(np.atleast_1d(followers), np.atleast_1d(leaders)):
            rf, rl = self._root(int(f)), self._root(int(l))
            if rf != rl:
                self._parent[rf] = rl

    def group(self, dofs) -> int:
        """All these dofs move as one unknown; returns the dof that carries it."""
        dofs = np.atleast_1d(np.asarray(dofs, np.int64))
        self.tie(dofs[1:], np.full(dofs.size - 1, dofs[0]))
        return int(dofs[0])

    def build(self):
        roots = np.array([self._root(i) for i in range(self.n)])
        fixed_root = np.zeros(self.n, bool)
        value_root = np.zeros(self.n)
        fixed_root[roots[self._fixed]] = True
        value_root[roots[self._fixed]] = self._value[self._fixed]
        free_roots = np.unique(roots[~fixed_root[roots]])
        column = np.full(self.n, -1)
        column[free_roots] = np.arange(free_roots.size)
        cols = column[roots]
        rows = np.flatnonzero(cols >= 0)
        T = sp.csr_matrix((np.ones(rows.size), (rows, cols[rows])), shape=(self.n, free_roots.size))
        x0 = np.where(fixed_root[roots], value_root[roots], 0.0)
        return T, x0


# ---- the weak forms (module level, scikit-fem's habit; ``w.axi``: the axisymmetric terms on) ----

def _weight(w):
    return w.x[0] if w.axi else 1.0


def _divergence(u, w):
    d = u.grad[0][0] + u.grad[1][1]
    return d + u[0] / w.x[0] if w.axi else d


def _contract(a, b, ar, br, w):
    """D(a):D(b), with the hoop term in the axisymmetric geometry."""
    out = ddot(a, b)
    return out + ar * br / w.x[0] ** 2 if w.axi else out


def secant_viscosity(equivalent_rate_sq, m):
    """mu = (1/3) e^(m - 1) of the regularised Norton law (e^2 = (2/3) D:D + delta^2, m = 1/n): s = 2 mu D
    gives the equivalent stress e^m in eps0 / sigma0 units."""
    return (1.0 / 3.0) * equivalent_rate_sq ** ((m - 1.0) / 2.0)


def _equivalent_rate_sq(D0, r0, w):
    return np.maximum((2.0 / 3.0) * _contract(D0, D0, r0, r0, w) + w.delta2, 1e-300)


@BilinearForm
def pressure_coupling(u, q, w):
    return -_divergence(u, w) * q * _weight(w)


@BilinearForm
def tangent(u, v, w):
    """The Newton tangent of the internal force (the secant term and its rank-one correction)."""
    D0, Du, Dv = sym_grad(w.prev), sym_grad(u), sym_grad(v)
    r0, ru, rv = w.prev[0], u[0], v[0]
    e2 = _equivalent_rate_sq(D0, r0, w)
    mu = secant_viscosity(e2, w.m)
    rank1 = (w.m - 1.0) * (2.0 / 3.0) * _contract(D0, Du, r0, ru, w) * _contract(D0, Dv, r0, rv, w) / e2
    return 2.0 * mu * (_contract(Du, Dv, ru, rv, w) + rank1) * _weight(w)


@LinearForm
def internal(v, w):
    """The internal force of the creeping body at the velocity ``w.prev``."""
    D0, Dv = sym_grad(w.prev), sym_grad(v)
    r0, rv = w.prev[0], v[0]
    mu = secant_viscosity(_equivalent_rate_sq(D0, r0, w), w.m)
    return 2.0 * mu * _contract(D0, Dv, r0, rv, w) * _weight(w)



@dataclass
class NortonSolution:
    velocity: np.ndarray          # P2 nodal velocities (full vector of the velocity basis)
    pressure: np.ndarray          # P1 nodal pressure (mean compressive stress)
    reaction: np.ndarray          # force the constraints exert on the body, per velocity dof
    iterations: int
    regularization: float         # delta used (absolute, in eps0 units)
    max_strain_rate: float


class NortonSolver:
    """Assembles and solves the creep problem on one mesh (see the module docstring)."""

    def __init__(self, mesh, geometry: str = PLANE_STRAIN, intorder: int = 4):
        if geometry not in GEOMETRIES:
            raise ValueError(f"geometry {geometry!r}; allowed: {', '.join(GEOMETRIES)}")
        self.mesh = mesh
        self.geometry = geometry
        self.ub = Basis(mesh, ElementVector(ElementTriP2()), intorder=intorder)
        self.pb = Basis(mesh, ElementTriP1(), quadrature=self.ub.quadrature)
        self.nu, self.np_ = self.ub.N, self.pb.N
        self._axi = geometry == AXISYMMETRIC
        self.B = asm(pressure_coupling, self.ub, self.pb, axi=self._axi).tocsr()     # (np, nu)

    # ---------------------------------------------------------------- helpers
    def equivalent_strain_rate(self, velocity: np.ndarray) -> np.ndarray:
        """e = sqrt(2/3 D:D) at the quadrature points (elements x points)."""
        f = self.ub.interpolate(velocity)
        D = sym_grad(f)
        r = f[0]
        x = self.ub.global_coordinates()
        out = ddot(D, D)
        if self.geometry == AXISYMMETRIC:
            out = out + r ** 2 / x[0] ** 2
        return np.sqrt((2.0 / 3.0) * np.asarray(out))

    @property
    def _dx(self):
        dx = self.ub.dx
        return dx * self.ub.global_coordinates()[0] if self.geometry == AXISYMMETRIC else dx

    def dissipation_density(self, velocity: np.ndarray, m: float, delta2: float) -> np.ndarray:
        """W = (e^2 + delta^2)^((1 + m)/2) / (1 + m) at the quadrature points: the dissipation
        potential whose derivative is the regularised Norton stress."""
        e = self.equivalent_strain_rate(velocity)
        return (e ** 2 + delta2) ** ((1 + m) / 2) / (1 + m)

    def mean_strain_rate(self, velocity: np.ndarray) -> float:
        """Volume average of the equivalent strain rate: the rate scale delta is measured
        against (the largest rate sits at a singular corner and moves with the mesh; near a
        narrow void it is 1e4 times the rates of the far field that closes the void)."""
        e = self.equivalent_strain_rate(velocity)
        dx = self.ub.dx
        if self.geometry == AXISYMMETRIC:
            dx = dx * self.ub.global_coordinates()[0]
        return float((e * dx).sum() / dx.sum())

    def _residual(self, x, f_ext, m, delta2):
        u, p = x[:self.nu], x[self.nu:]
        prev = self.ub.interpolate(u)
        fu = asm(internal, self.ub, prev=prev, m=m, delta2=delta2, axi=self._axi) + self.B.T @ p - f_ext
        return np.concatenate([fu, self.B @ u])

    def _jacobian(self, x, m, delta2):
        prev = self.ub.interpolate(x[:self.nu])
        K = asm(tangent, self.ub, prev=prev, m=m, delta2=delta2, axi=self._axi)
        return sp.bmat([[K, self.B.T], [self.B, None]], format="csr")

    # ---------------------------------------------------------------- solve
    def solve(self, exponent: float, constraints: Constraints, external_force: np.ndarray,
              guess: np.ndarray | None = None, relative_regularization: float = 1e-6,
              tolerance: float = 1e-9, max_iterations: int = 60) -> NortonSolution:
        """Velocity and pressure under the external forces (velocity dofs, length nu) and the
        constraints (over velocity then pressure dofs, length nu + np)."""
        if constraints.n != self.nu + self.np_:
            raise ValueError(f"constraints cover {constraints.n} dofs, the problem has {self.nu + self.np_}")
        T, x0 = constraints.build()
        Tt = T.T.tocsr()
        f_ext = np.asarray(external_force, float)
        pressure_row = (Tt @ np.concatenate([np.zeros(self.nu), np.ones(self.np_)])) > 0
        abs_B = abs(self.B)
        # force rows are measured against the load: the out-of-balance force with the free
        # unknowns at zero (external forces, and what prescribed velocities ask of a linear solid)
        force_scale = float(np.linalg.norm(Tt @ self._residual(x0, f_ext, 1.0, 0.0))) or 1.0
        iterations = 0

        def scaled_norm(r, x):
            """Force rows over the load, incompressibility rows over the size of the velocity
            gradients they sum (|B| |u|): the blocks carry different units, and the velocity
            scale of a power-law solid is not known before the solve (a narrow island indents
            1e10 times faster than a void closes)."""
            flow = float(np.linalg.norm(Tt[pressure_row] @ np.concatenate([np.zeros(self.nu), abs_B @ np.abs(x[:self.nu])]))) \
                if pressure_row.any() else 0.0
            out = (np.linalg.norm(r[~pressure_row]) / force_scale) ** 2
            if flow > 0:
                out += (np.linalg.norm(r[pressure_row]) / flow) ** 2
            return math.sqrt(out)

        load_controlled = not np.any(x0)

        def rescaled(x, m, delta2):
            """A load-controlled problem's velocities times the factor that minimises
            Pi(alpha u) = alpha^(1+m) A - alpha F (exact for delta -> 0): between exponents the
            velocity scale of a punch-like field moves by decades, which Newton steps on a power
            law cross only at a rate 1 - m per step."""
            u = x[:self.nu]
            work = float(f_ext @ u)
            dissipation = float((self.dissipation_density(u, m, 0.0) * self._dx).sum())
            if not load_controlled or work <= 0 or dissipation <= 0:
                return x
            alpha = (work / ((1 + m) * dissipation)) ** (1 / m)
            return np.concatenate([alpha * u, x[self.nu:]])

        def regularization(x):
            return relative_regularization * self.mean_strain_rate(x[:self.nu])

        def newton(x, m, delta, tol):
            """Newton at exponent 1/m, backtracking on the scaled residual.  delta follows the iterate's mean strain rate when that drifts by more than 10x (at
            most 3 times): the rate scale moves by decades between exponents, and a stale delta
            makes the viscosity contrast, and the linear systems, needlessly stiff."""
            nonlocal iterations
            x = rescaled(x, m, delta ** 2)
            r = Tt @ self._residual(x, f_ext, m, delta ** 2)
            history = []
            updates = 0
            for _ in range(max_iterations):
                if m < 1.0 and updates < 3:
                    wanted = regularization(x)
                    if wanted > 0 and abs(math.log(wanted / delta)) > math.log(10.0):
                        delta = wanted
                        updates += 1
                        history = []
                        r = Tt @ self._residual(x, f_ext, m, delta ** 2)
                norm = scaled_norm(r, x)
                history.append(norm)
                # converged; or stuck at round-off (velocities spanning 1e10 or more: a tiny island
                # indenting under 500 P) below a 1e-4 force residual: the load balanced to 1e-4,
                # so rates to n x 1e-4
                if norm <= tol or (norm <= max(tol, 1e-4) and len(history) > 5 and norm > 0.9 * history[-6]):
                    return x, delta
                J = Tt @ self._jacobian(x, m, delta ** 2) @ T
                dy = _solve_saddle(J, -r, pressure_row)
                if m == 1.0:                          # linear: one exact step
                    x = x + T @ dy
                    r = Tt @ self._residual(x, f_ext, m, delta ** 2)
                    iterations += 1
                    continue
                step = 1.0
                for _ in range(40):
                    xt = x + T @ (step * dy)
                    rt = Tt @ self._residual(xt, f_ext, m, delta ** 2)
                    if scaled_norm(rt, x) < (1 - 1e-4 * step) * norm:
                        break
                    step *= 0.5
                x, r = xt, rt
                iterations += 1
            raise NortonSolveError(f"Newton stalled at scaled residual {norm:.2e} after {max_iterations} "
                                   f"iterations, exponent 1/m = {1 / m:.3g}")

        x = np.asarray(guess, float).copy() if guess is not None else x0.copy()
        x = T @ (Tt @ x) + x0                 # onto the constraints
        if guess is None:
            x, _ = newton(x, 1.0, 0.0, tolerance)          # the linear solution
        e_max = float(self.equivalent_strain_rate(x[:self.nu]).max())
        e_mean = self.mean_strain_rate(x[:self.nu])
        if e_max <= 1e-12:
            # nothing moves: the stress is whatever balances the loads with the metal at rest,
            # the same for every exponent (a hydrostatic foil with no void)
            return NortonSolution(x[:self.nu], x[self.nu:], self._residual(x, f_ext, 1.0, 0.0)[:self.nu],
                                  iterations, 0.0, e_max)
        n = float(exponent)
        # continuation in the exponent from the linear solution (or straight to n from a guess)
        ladder = [e for e in (2.0, 4.0) if e < n] + [n] if guess is None else [n]
        delta = relative_regularization * e_mean
        for e in ladder:
            x, delta = newton(x, 1.0 / e, delta, tolerance if e == n else 1e-4)
        e_max = float(self.equivalent_strain_rate(x[:self.nu]).max())
        reaction = self._residual(x, f_ext, 1.0 / n, delta ** 2)[:self.nu]
        return NortonSolution(x[:self.nu], x[self.nu:], reaction, iterations, delta, e_max)
