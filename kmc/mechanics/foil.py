"""The foil section: the full finite-element creep problem the reduced operator is checked against.

Geometry (plane strain, lengths in um): the metal fills 0 <= x <= width, 0 <= y <= thickness,
periodic in x.  Below it (y = 0) the electrolyte, rigid and flat; above it (y = thickness) the
current collector, a rigid plunger the stack pressure P pushes down with P x width per unit depth.

Boundary conditions:
* plunger: the metal is stuck to it (u_x = 0, the foil is pressed on); u_y = V, one unknown for
  the whole width, set by the load;
* voids (interface cells the caller marks open, where the gap is > 0): traction-free;
* contact (every other interface node): unilateral, u_y >= 0 with a compressive normal traction,
  found by an active set (a node whose reaction pulls the metal down is released; a released node
  that would move into the electrolyte is put back), and tangentially either ``stuck``
  (u_x = 0) or ``frictionless`` (no shear traction); docs/mechanics.md says why stuck is the shipped
  choice and what the other one changes.
* The gap's own height does not enter: a void is a traction-free stretch of the flat interface
  (its roof moves with the metal).  That is exact for voids much wider than tall and the usual
  small-slope reading of a wider one; docs/mechanics.md, "What is missing".

Units: the solve is in units of the load: stresses over P, velocities over eps(P) x 1 um, where
eps(P) = law.strain_rate_per_s(P).  A power-law solid under tractions scaled by lambda moves
lambda^n faster with the same contact, so one solve serves every load; the physical numbers come
back from ``FoilResponse``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from kmc.physics.creep import NortonLaw
from kmc.mechanics.meshes import foil_mesh
from kmc.mechanics.norton import CONTACT_ROUNDS, PLANE_STRAIN, Constraints, NortonSolver, NortonSolveError

FRICTIONS = ("stuck", "frictionless")


@dataclass(frozen=True)
class FoilSection:
    """A periodic section of the foil and its mesh's resolution."""
    width_um: float
    thickness_um: float
    interface_cell_um: float
    friction: str = "stuck"
    rows_per_level: int = 3
    largest_cell_um: float | None = None

    def __post_init__(self):
        if self.friction not in FRICTIONS:
            raise ValueError(f"friction {self.friction!r}; allowed: {', '.join(FRICTIONS)}")

    @property
    def cells(self) -> int:
        return int(round(self.width_um / self.interface_cell_um))

    @property
    def cell_centres_um(self) -> np.ndarray:
        return (np.arange(self.cells) + 0.5) * self.interface_cell_um


@dataclass
class FoilResponse:
    """What the foil does at one instant, per interface cell (physical units)."""
    closing_velocity_um_s: np.ndarray     # -u_y at the cell's middle: > 0 where the metal moves toward the electrolyte
    lateral_velocity_um_s: np.ndarray     # u_x at the cell's middle
    contact_pressure_MPa: np.ndarray      # normal traction the electrolyte carries (0 on open cells)
    in_contact: np.ndarray                # cells whose middle node is held by the electrolyte after the active set
    plunger_velocity_um_s: float          # u_y of the plunger (< 0: moving toward the electrolyte)
    newton_iterations: int
    active_set_rounds: int
    wall_time_s: float
    dofs: int
    state: np.ndarray = field(repr=False, default=None)   # the dimensionless solution (a guess for the next solve)


class FoilSolver:
    """Assembles the section once; ``solve`` takes a contact map and a load."""

    def __init__(self, section: FoilSection):
        self.section = section
        mesh = foil_mesh(section.width_um, section.thickness_um, section.interface_cell_um,
                         section.rows_per_level, section.largest_cell_um)
        self.mesh = mesh
        self.solver = NortonSolver(mesh, PLANE_STRAIN)
        ub, pb = self.solver.ub, self.solver.pb
        nu = self.solver.nu
        W, H, h = section.width_um, section.thickness_um, section.interface_cell_um
        tol = 1e-9 * max(W, H)

        bottom = ub.get_dofs(lambda x: np.abs(x[1]) < tol)
        self.bottom_x_dofs = bottom.all("u^1")
        self.bottom_y_dofs = bottom.all("u^2")
        xb = ub.doflocs[0, self.bottom_y_dofs]
        order = np.argsort(xb)
        self.bottom_x_dofs, self.bottom_y_dofs, xb = self.bottom_x_dofs[order], self.bottom_y_dofs[order], xb[order]
        self.bottom_positions = xb
        # P2 nodes along the interface sit every h/2: vertices at cell edges, midpoints at centres
        k = np.rint(xb / (h / 2)).astype(int)
        self._is_mid = k % 2 == 1
        self._cell_of_mid = (k - 1) // 2
        self._mid_index = np.flatnonzero(self._is_mid)          # one per cell, in cell order
        self._edge_cells = np.stack([(k // 2 - 1) % section.cells, (k // 2) % section.cells], axis=1)

        top = ub.get_dofs(lambda x: np.abs(x[1] - H) < tol)
        self.top_x_dofs, self.top_y_dofs = top.all("u^1"), top.all("u^2")

        # periodic ties, velocity and pressure: x = W follows x = 0 at the same height
        self._ties = []
        for basis, names, offset in ((ub, ("u^1", "u^2"), 0), (pb, (None,), nu)):
            left = basis.get_dofs(lambda x: np.abs(x[0]) < tol)
            right = basis.get_dofs(lambda x: np.abs(x[0] - W) < tol)
            for name in names:
                ld = left.all(name) if name else left.all()
                rd = right.all(name) if name else right.all()
                ly, ry = basis.doflocs[1, ld], basis.doflocs[1, rd]
                li, ri = np.argsort(ly), np.argsort(ry)
                if not np.allclose(ly[li], ry[ri], atol=tol):
                    raise RuntimeError("foil mesh: left and right edges do not match for periodicity")
                self._ties.append((rd[ri] + offset, ld[li] + offset))

    @property
    def dofs(self) -> int:
        return self.solver.nu + self.solver.np_

    def _constraints(self, held_nodes: np.ndarray) -> tuple[Constraints, int]:
        s = self.solver
        c = Constraints(s.nu + s.np_)
        c.fix(self.top_x_dofs)
        plunger = c.group(self.top_y_dofs)
        c.fix(self.bottom_y_dofs[held_nodes])
        if self.section.friction == "stuck":
            c.fix(self.bottom_x_dofs[held_nodes])
        for followers, leaders in self._ties:
            c.tie(followers, leaders)
        return c, plunger

    def node_contact_candidates(self, open_cells: np.ndarray) -> np.ndarray:
        """Interface nodes that touch the electrolyte: a cell's middle node if the cell is closed,
        an edge node if either neighbouring cell is closed (a void is exactly its open cells)."""
        open_cells = np.asarray(open_cells, bool)
        if open_cells.shape != (self.section.cells,):
            raise ValueError(f"open_cells has shape {open_cells.shape}; allowed: ({self.section.cells},), "
                             "one flag per interface cell")
        held = np.empty(self.bottom_positions.size, bool)
        held[self._is_mid] = ~open_cells[self._cell_of_mid[self._is_mid]]
        edge = ~self._is_mid
        held[edge] = ~(open_cells[self._edge_cells[edge, 0]] & open_cells[self._edge_cells[edge, 1]])
        return held

    def solve(self, open_cells, law: NortonLaw, pressure_MPa: float, guess: np.ndarray | None = None,
              relative_regularization: float = 1e-6) -> FoilResponse:
        """The instantaneous creep of the foil with the interface cells ``open_cells`` (bool per
        cell) off the electrolyte, under the stack pressure (see the module docstring)."""
        if not pressure_MPa > 0:
            raise ValueError(f"pressure_MPa = {pressure_MPa!r}: must be > 0")
        start = time.perf_counter()
        s = self.solver
        candidates = self.node_contact_candidates(open_cells)
        held = candidates.copy()
        width = self.section.width_um
        iterations = 0
        x = guess
        for rounds in range(1, CONTACT_ROUNDS + 1):
            c, plunger = self._constraints(held)
            force = np.zeros(s.nu)
            force[plunger] = -1.0 * width              # P x width, in units of P
            sol = s.solve(law.stress_exponent, c, force, guess=x, relative_regularization=relative_regularization)
            iterations += sol.iterations
            x = np.concatenate([sol.velocity, sol.pressure])
            reaction_y = sol.reaction[self.bottom_y_dofs]
            uy = sol.velocity[self.bottom_y_dofs]
            scale = width / self.bottom_positions.size
            tensile = held & (reaction_y < -1e-9 * scale)
            penetrating = candidates & ~held & (uy < 0)
            if not tensile.any() and not penetrating.any():
                break
            held = (held & ~tensile) | penetrating
        else:
            raise NortonSolveError(f"the foil's contact still changed after {CONTACT_ROUNDS} rounds: "
                                   f"{int(tensile.sum())} nodes tensile, {int(penetrating.sum())} penetrating")
        rate = law.strain_rate_per_s(pressure_MPa)                 # velocity unit: eps(P) x 1 um
        h = self.section.interface_cell_um
        force_cells = np.zeros(self.section.cells)
        mids = self._is_mid
        np.add.at(force_cells, self._cell_of_mid[mids], reaction_y[mids])
        for side in (0, 1):
            np.add.at(force_cells, self._edge_cells[~mids, side], 0.5 * reaction_y[~mids])
        mid_nodes = self._mid_index
        return FoilResponse(
            closing_velocity_um_s=-uy[mid_nodes] * rate,
            lateral_velocity_um_s=sol.velocity[self.bottom_x_dofs][mid_nodes] * rate,
            contact_pressure_MPa=force_cells / h * pressure_MPa,
            in_contact=held[mid_nodes],
            plunger_velocity_um_s=float(sol.velocity[plunger]) * rate,
            newton_iterations=iterations, active_set_rounds=rounds,
            wall_time_s=time.perf_counter() - start, dofs=self.dofs, state=x)
