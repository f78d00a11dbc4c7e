"""One period of a periodic array of voids under the plunger: the finite-element problem the
reduced operator's table is made of (``kmc.mechanics.reduced``).

A foil of thickness H on the electrolyte, voids of width w every lambda (void fraction
s = w / lambda), islands of contact of width a = lambda - w between them, plane strain.  By
symmetry, half a period: 0 <= x <= lambda / 2 with no normal velocity at x = 0 (the void's middle)
and x = lambda / 2 (the island's middle); the void is traction-free on 0 <= x < w / 2, the island
holds the metal on w / 2 <= x <= lambda / 2 (``stuck`` or ``frictionless``, unilateral as in
``kmc.mechanics.foil``), the plunger at y = H is stuck and moves down as one body under the load
P lambda / 2.  The mesh is a tensor grid graded toward the void's edge (x = w / 2, y = 0), so
that s from 1e-3 to 0.999 costs the same.

Units are the law's own with the load as the stress unit (sigma0 = P = eps0 = 1) and lambda = 1:
a result scales to a physical cell by velocity x eps(P) lambda, pressure x P.

The same problem in axisymmetry (``geometry = "cap"`` or ``"island"``; the interface as an area,
kmc.mechanics.reduced_area) is the Wigner-Seitz cell of a periodic array on the plane: a cylinder of
radius b = lambda / 2 (lambda its diameter), 0 <= r <= b, no radial velocity on the axis and at
r = b, void fraction s the area fraction.  ``"cap"``: a circular void (a cap's footprint) of
radius sqrt(s) b in the middle, contact around it; ``"island"``: a circular island of contact of
radius sqrt(1 - s) b in the middle, the void an annulus around it (a punch).  The profiles keep the
section's convention: the void's from its middle (the axis for a cap, r = b for an island's
annulus) to its edge, the island's from the edge to its middle.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from kmc.mechanics.foil import FRICTIONS
from kmc.mechanics.meshes import graded_line, tensor_mesh
from kmc.mechanics.norton import AXISYMMETRIC, CONTACT_ROUNDS, PLANE_STRAIN, Constraints, NortonSolver, NortonSolveError

_TOL = 1e-12
# Sample points of the profiles the table keeps: the void's closing velocity at x = xi w / 2 and the
# island's pressure at x = w / 2 + eta a / 2 (both from the edge's singular side, clustered there).
PROFILE_POINTS = 0.5 * (1 - np.cos(np.linspace(0.0, math.pi, 17)))
# The cells: the section's plane-strain period, the area's axisymmetric cells (module docstring)
CELL_GEOMETRIES = ("section", "cap", "island")


@dataclass
class CellResponse:
    void_fraction: float
    period_over_thickness: float
    plunger_velocity: float          # V / (eps(P) lambda), < 0: toward the electrolyte
    mean_closing_velocity: float     # mean of -u_y over the void, / (eps(P) lambda)
    closing_profile: np.ndarray      # -u_y at x = PROFILE_POINTS * w/2, / (eps(P) lambda)
    pressure_profile: np.ndarray     # contact pressure at x = w/2 + PROFILE_POINTS * a/2, / P
    newton_iterations: int
    wall_time_s: float
    dofs: int


def solve_cell(void_fraction: float, period_over_thickness: float, exponent: float, friction: str = "stuck",
               resolution: int = 12, growth: float = 1.35, relative_regularization: float = 1e-6,
               geometry: str = "section") -> CellResponse:
    """The half-period problem of the module docstring (``geometry``: one of CELL_GEOMETRIES);
    ``resolution`` cells across the smaller of the half-void and the half-island at the edge (the
    mesh grows by ``growth`` away from it)."""
    if not 0 < void_fraction < 1:
        raise ValueError(f"void_fraction {void_fraction!r}: must be in (0, 1)")
    if friction not in FRICTIONS:
        raise ValueError(f"friction {friction!r}; allowed: {', '.join(FRICTIONS)}")
    if geometry not in CELL_GEOMETRIES:
        raise ValueError(f"geometry {geometry!r}; allowed: {', '.join(CELL_GEOMETRIES)}")
    start = time.perf_counter()
    lam = 1.0
    H = lam / period_over_thickness
    half = lam / 2
    axi = geometry != "section"
    # where the void meets the contact: a section's half-void, a cap's radius, an island's radius
    edge = {"section": void_fraction * half, "cap": math.sqrt(void_fraction) * half,
            "island": math.sqrt(1.0 - void_fraction) * half}[geometry]
    finest = min(edge, half - edge) / resolution
    x = graded_line(half, finest, growth, focus=edge)
    y = graded_line(H, finest, growth, focus=0.0)
    mesh = tensor_mesh(x, y)
    solver = NortonSolver(mesh, AXISYMMETRIC if axi else PLANE_STRAIN)
    ub = solver.ub
    bottom = ub.get_dofs(lambda p: np.abs(p[1]) < _TOL)
    bx, by = bottom.all("u^1"), bottom.all("u^2")
    xb = ub.doflocs[0, by]
    order = np.argsort(xb)
    bx, by, xb = bx[order], by[order], xb[order]
    island = xb <= edge + _TOL * lam if geometry == "island" else xb >= edge - _TOL * lam
    top = ub.get_dofs(lambda p: np.abs(p[1] - H) < _TOL * max(1.0, H))
    held = island.copy()
    guess = None
    iterations = 0
    for _ in range(CONTACT_ROUNDS):
        c = Constraints(solver.nu + solver.np_)
        c.fix(ub.get_dofs(lambda p: (np.abs(p[0]) < _TOL) | (np.abs(p[0] - half) < _TOL)).all("u^1"))
        c.fix(top.all("u^1"))
        plunger = c.group(top.all("u^2"))
        c.fix(by[held])
        if friction == "stuck":
            c.fix(bx[held])
        force = np.zeros(solver.nu)
        # P lambda / 2 with P = 1; in axisymmetry (weight r) P b^2 / 2
        force[plunger] = -half * half / 2 if axi else -half
        sol = solver.solve(exponent, c, force, guess=guess, relative_regularization=relative_regularization)
        iterations += sol.iterations
        guess = np.concatenate([sol.velocity, sol.pressure])
        ry, uy = sol.reaction[by], sol.velocity[by]
        tensile = held & (ry < -1e-9 * half / xb.size)
        penetrating = island & ~held & (uy < 0)
        if not tensile.any() and not penetrating.any():
            break
        held = (held & ~tensile) | penetrating
    else:
        raise NortonSolveError(f"the {geometry} cell's contact (s {void_fraction:g}, lambda/H "
                               f"{period_over_thickness:g}) still changed after {CONTACT_ROUNDS} rounds: "
                               f"{int(tensile.sum())} nodes tensile, {int(penetrating.sum())} penetrating")
    closing = -uy
    # the void's nodes, the edge node included (where its closing velocity ends)
    in_void = xb >= edge - _TOL * lam if geometry == "island" else xb <= edge + _TOL
    void_x = xb[in_void]
    weight = void_x if axi else np.ones(void_x.size)          # the area element: r dr in axisymmetry
    mean_closing = float(np.trapezoid(closing[in_void] * weight, void_x) / np.trapezoid(weight, void_x))
    # contact pressure: P2 consistent nodal forces weigh vertices 1/6 and midpoints 2/3 of an
    # element edge, so a smooth traction is each node's force over its share of the edge length
    # (times the node's r in axisymmetry: the quadratic shape functions' r-weighted integrals are
    # exactly the unweighted shares times the node's own r; the axis node, r = 0, is left out)
    isl_x = xb[island]
    share = _p2_shares(isl_x) * (isl_x if axi else 1.0)
    keep = share > 0
    isl_x, pressure = isl_x[keep], ry[island][keep] / share[keep]
    if geometry == "island":            # the void from its middle (r = b) in, the island from its edge (r = a) in
        void_at, island_at = half - PROFILE_POINTS * (half - edge), edge * (1 - PROFILE_POINTS)
    else:
        void_at, island_at = PROFILE_POINTS * edge, edge + PROFILE_POINTS * (half - edge)
    return CellResponse(
        void_fraction=void_fraction, period_over_thickness=period_over_thickness,
        plunger_velocity=float(sol.velocity[plunger]), mean_closing_velocity=mean_closing,
        closing_profile=np.interp(void_at, void_x, closing[in_void]),
        pressure_profile=np.interp(island_at, isl_x, pressure),
        newton_iterations=iterations, wall_time_s=time.perf_counter() - start,
        dofs=solver.nu + solver.np_)


def _p2_shares(x: np.ndarray) -> np.ndarray:
    """Length each P2 node of a sorted line of nodes (vertex, midpoint, vertex, ...) stands for in
    its consistent load: 1/6 of each adjacent element edge for a vertex, 2/3 for a midpoint."""
    share = np.zeros(x.size)
    for k in range(0, x.size - 2, 2):
        L = x[k + 2] - x[k]
        share[k] += L / 6
        share[k + 1] += 2 * L / 3
        share[k + 2] += L / 6
    return share
