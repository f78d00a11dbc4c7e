"""The creep solver against exact answers (docs/mechanics.md, "Checks"): each function sets up one
problem, solves it with ``NortonSolver`` and returns what was computed beside the exact value.

Units are the law's own (sigma0 = eps0 = 1): every check is scale-free in the stress and rate.
"""
from __future__ import annotations

import math
import time

import numpy as np
from skfem import ElementTriP2, ElementVector, FacetBasis, LinearForm, asm
from skfem.helpers import dot

from kmc.mechanics import exact
from kmc.mechanics.meshes import annulus_mesh, graded_line, tensor_mesh
from kmc.mechanics.norton import AXISYMMETRIC, PLANE_STRAIN, Constraints, NortonSolver

_TOL = 1e-9


def _result(computed: float, exact_value: float, start: float, **extra) -> dict:
    return dict(computed=float(computed), exact=float(exact_value),
                relative_error=float(computed / exact_value - 1.0), wall_time_s=time.perf_counter() - start, **extra)


def cavity_closure(geometry: str, exponent: float, outer_over_inner: float = 10.0, radial_cells: int = 12,
                   angular_cells: int = 8, pressure: float = 1.0, relative_regularization: float = 1e-6) -> dict:
    """A cavity of radius 1 in a shell of outer radius b loaded by an external pressure: a sphere
    (``axisymmetric``, V'/V; the quarter annulus in (r, z) is half the sphere, z >= 0) or a
    cylinder (``plane_strain``, A'/A; the quarter annulus is a quarter of the tube).  Symmetry
    planes are frictionless (normal velocity 0); the cavity is traction-free."""
    start = time.perf_counter()
    b = float(outer_over_inner)
    mesh = annulus_mesh(1.0, b, radial_cells, angular_cells)
    solver = NortonSolver(mesh, geometry)
    axi = geometry == AXISYMMETRIC
    facets = mesh.boundary_facets()
    mid_radius = np.hypot(*mesh.p[:, mesh.facets[:, facets]].mean(axis=1))
    # the curved boundaries (the symmetry lines' facets have mid-radii in between)
    outer, inner = facets[mid_radius > 0.9 * b], facets[mid_radius < 1.1]

    def weight(w):
        return w.x[0] if axi else 1.0

    @LinearForm
    def outer_pressure(v, w):
        return -pressure * dot(w.n, v) * weight(w)

    @LinearForm
    def outflow(v, w):
        return dot(w.n, v) * weight(w)

    element = ElementVector(ElementTriP2())
    force = asm(outer_pressure, FacetBasis(mesh, element, facets=outer, intorder=6))
    constraints = Constraints(solver.nu + solver.np_)
    constraints.fix(solver.ub.get_dofs(lambda x: np.abs(x[0]) < _TOL).all("u^1"))
    constraints.fix(solver.ub.get_dofs(lambda x: np.abs(x[1]) < _TOL).all("u^2"))
    sol = solver.solve(exponent, constraints, force, relative_regularization=relative_regularization)
    # the body's outward normal on the cavity points into the cavity: u.n > 0 shrinks it
    shrink = float(asm(outflow, FacetBasis(mesh, element, facets=inner, intorder=6)) @ sol.velocity)
    if axi:
        rate = -shrink * 2 * math.pi * 2 / (4 / 3 * math.pi)         # V'/V of the whole sphere
        exact_rate = exact.sphere_shell_volume_rate(pressure, 1.0, b, exponent)
    else:
        rate = -shrink * 4 / math.pi                                  # A'/A of the whole hole
        exact_rate = exact.cylinder_shell_area_rate(pressure, 1.0, b, exponent)
    return _result(rate, exact_rate, start, dofs=solver.nu + solver.np_, newton_iterations=sol.iterations)


def punch_constraint_factor(exponent: float, finest: float = 0.05, friction: str = "frictionless",
                            domain: float = 6.0, growth: float = 1.25) -> dict:
    """Mean pressure under a flat rigid punch of half-width a = 1 pushed at V = 1 into a power-law
    solid (plane strain), over sigma0 (V / (a eps0))^(1/n): the constraint factor, which tends
    to Prandtl's (2 + pi) / sqrt(3) = 2.968 as n -> infinity.  The solid is a domain x domain
    block (half of it by symmetry), held at its far sides; the mesh is graded toward the punch's
    corner, ``finest`` there."""
    start = time.perf_counter()
    a, L, D = 1.0, float(domain), float(domain)
    x = graded_line(L, finest, growth, focus=a)
    y = np.sort(D - graded_line(D, finest, growth, focus=0.0))
    solver = NortonSolver(tensor_mesh(x, y), PLANE_STRAIN)
    ub = solver.ub
    constraints = Constraints(solver.nu + solver.np_)
    constraints.fix(ub.get_dofs(lambda p: np.abs(p[0]) < _TOL).all("u^1"))
    constraints.fix(ub.get_dofs(lambda p: (np.abs(p[0] - L) < _TOL) | (np.abs(p[1]) < _TOL)).all())
    punch = ub.get_dofs(lambda p: (np.abs(p[1] - D) < _TOL) & (p[0] <= a + _TOL))
    constraints.fix(punch.all("u^2"), -1.0)
    if friction == "stuck":
        constraints.fix(punch.all("u^1"), 0.0)
    sol = solver.solve(exponent, constraints, np.zeros(solver.nu))
    force = -float(sol.reaction[punch.all("u^2")].sum())
    return _result(force / a, exact.PRANDTL_PUNCH_PRESSURE_PER_YIELD, start, dofs=solver.nu + solver.np_,
                   newton_iterations=sol.iterations)


# Contact maps the reduced operator is checked on (positions and widths in um on a section of
# width W and thickness H; a map is the list of open stretches (start, width)).
def operator_maps(width: float, small: bool = False) -> dict:
    """The four maps of the reduced operator's check; ``small``: a 20 um section's version with
    every void and island at least 2 um wide (4 cells of 0.5 um), for the test."""
    W = float(width)
    if small:
        return {
            "one void": [(9.0, 2.0)],
            "two voids": [(3.0, 2.0), (10.0, 4.0)],
            "wide gap": [(3.0, 14.0)],
            "sparse contact": [(2.0, 9.0), (13.0, 6.5)],
        }
    return {
        "one void": [(0.45 * W, 0.1 * W)],
        "two voids": [(0.2 * W, 0.075 * W), (0.6 * W, 0.15 * W)],
        "wide gap": [(0.1 * W, 0.75 * W)],
        "sparse contact": [(0.05 * W, 0.3 * W), (0.4 * W, 0.325 * W), (0.75 * W, 0.225 * W)],
    }


def open_cells_of(stretches, width: float, cell: float) -> np.ndarray:
    x = (np.arange(int(round(width / cell))) + 0.5) * cell
    out = np.zeros(x.size, bool)
    for start, w in stretches:
        out |= (x > start) & (x < start + w)
    return out


def operator_against_fe(width: float, thickness: float, cell: float, law, pressure: float = 1.0,
                        friction: str = "stuck", maps: dict | None = None, fe_solver=None) -> dict:
    """The reduced operator (kmc.mechanics.reduced) against the full solve (kmc.mechanics.foil) on
    the same section and contact maps: the plunger velocity, each void's mean closing velocity
    and each island's mean pressure, with their relative errors."""
    from kmc.mechanics.foil import FoilSection, FoilSolver
    from kmc.mechanics.reduced import ReducedFoil, runs
    fe = fe_solver or FoilSolver(FoilSection(width, thickness, cell, friction=friction))
    red = ReducedFoil(law, fe.section.cells, cell, friction)
    out = {}
    for name, stretches in (maps or operator_maps(width)).items():
        open_cells = open_cells_of(stretches, width, cell)
        start = time.perf_counter()
        full = fe.solve(open_cells, law, pressure)
        fe_time = time.perf_counter() - start
        start = time.perf_counter()
        approx = red.respond(open_cells, pressure, thickness)
        red_time = time.perf_counter() - start
        starts, widths = runs(open_cells)
        n = open_cells.size
        voids, islands = [], []
        for s0, w in zip(starts, widths):
            cells = (s0 + np.arange(w)) % n
            voids.append((float(full.closing_velocity_um_s[cells].mean()), float(approx.closing_velocity_um_s[cells].mean())))
        c_starts, c_widths = runs(~open_cells)
        for s0, w in zip(c_starts, c_widths):
            cells = (s0 + np.arange(w)) % n
            islands.append((float(full.contact_pressure_MPa[cells].mean()), float(approx.contact_pressure_MPa[cells].mean())))
        rel = lambda a, b: b / a - 1.0
        out[name] = dict(
            plunger_fe=full.plunger_velocity_um_s, plunger_reduced=approx.plunger_velocity_um_s,
            plunger_error=rel(full.plunger_velocity_um_s, approx.plunger_velocity_um_s),
            void_closing=voids, void_errors=[rel(a, b) for a, b in voids],
            island_pressure=islands, island_errors=[rel(a, b) for a, b in islands],
            fe_wall_time_s=fe_time, reduced_wall_time_s=red_time, dofs=fe.dofs)
    return out
