"""The gap model on a section (docs/mechanics.md section 5): a periodic line of
``meso.width_um / cell_um`` cells through the interface, in plane strain, so that voids are runs of
open cells.  What the section's geometry gives the gap model (kmc.resolved.gap):

* labelling: runs of open cells (kmc.mechanics.reduced.runs);
* walls (kmc.resolved.walls): each run's wall over the envelope, its Laplace traction gamma / R (the
  circular arc of its chord and area; over an alloy each wall's surface energy at the mean composition
  below it) and the holes of the face the metal spans; capture moves a run's contact lines (what lands
  near a wall) and deepens its roof; surface diffusion relaxes it toward the Young angle's segment (at
  each void's local angle over an alloy), pinned at a pore's rim, a run narrower than a cell dropped
  into a sub-grid nucleus;
* the plunger's descent: the section's reduced operator (kmc.mechanics.reduced.ReducedFoil), bisected on
  how many of the shallowest open cells close;
* the face: a line through the pellet's face (kmc.physics.face.line_face_um), pressed event by event,
  one closing cell per ask (kmc.resolved.assembly);
* the sections SEM sees: the section itself; nucleation into a strip one cell deep (the section stands
  for a strip of the interface as wide as its resolution).

It carries the solute along the interface (kmc.resolved.solute, meso.solute_field).
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from kmc import units
from kmc.mechanics.reduced import NoContactError, ReducedFoil, cells_of, run_sums, runs
from kmc.physics.face import line_face_um
from kmc.physics.nucleation import VoidCap
from kmc.resolved.assembly import Assembly, edge_crossing_time_s, wall_interval_s
from kmc.resolved.gap import GapModel, GapState, observables
from kmc.resolved.step_control import clear_by_gap, implicit_descent_um
from kmc.resolved.walls import (entry_traction_MPa, grow, relax, run_widths_um, spanned_cells, wall_traction_MPa,
                                walls_of)


class SectionModel(GapModel):
    """The gap model on a section (module docstring)."""
    name = "section"
    void_shape = "section"
    solute_field = True
    observables = observables({
        "contact_fraction": "the section's cells where the metal touches the electrolyte",
        "void_count": "runs of open cells in the section, any width",
        "void_volume_per_area": "the void area of the section / its length",
        "section_voids_per_um": "runs of open cells of the section",
    })

    def __init__(self, inp, mechanics: ReducedFoil | None = None):
        self.shape = inp.cells
        self.rewet_shape = (inp.cells,)
        super().__init__(inp, mechanics)

    @classmethod
    def inputs(cls, settings, energetics, **numerics):
        """The gap model's inputs on a section; meso.depth_um (the area's) refused."""
        if settings.meso.depth_um > 0:
            from kmc.cell.inputs import CellInputError
            raise CellInputError(f"meso.depth_um = {settings.meso.depth_um:g} is the area's depth; allowed: "
                                 "meso.interface = 'area' (docs/area.md), or meso.depth_um = 0 with the section")
        return super().inputs(settings, energetics, **numerics)

    def reduced_operator(self, strength) -> ReducedFoil:
        inp = self.inp
        return ReducedFoil(inp.law, inp.cells, inp.cell_um, inp.friction, strength=strength)

    def describe(self) -> str:
        return f"{self.inp.width_um:g} um section"

    # ------------------------------------------------------------------ the face and the press
    def face(self, assembly: Assembly, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        inp = self.inp
        return line_face_um(inp.cells, inp.cell_um, assembly.roughness_rms_um, assembly.hurst_exponent,
                            assembly.relative_density, assembly.particle_diameter_um, rng)

    def press_operator(self, assembly: Assembly, pores: np.ndarray, rim_fill: np.ndarray):
        """(ask, relax_step) of the press's event loop on the section (kmc.resolved.walls,
        kmc.mechanics.reduced)."""
        inp = self.inp
        rewet = np.zeros(rim_fill.shape)          # the retracting contact lines' progress, step to step
        n, h = inp.cells, inp.cell_um
        gamma_J_m2 = inp.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2
        cap = VoidCap(inp.void_angle_rad)

        def ask(gap):
            walls = walls_of(gap, pores, h)
            held = spanned_cells(walls, pores)
            laplace = wall_traction_MPa(walls, n, h, gamma_J_m2)
            traction = entry_traction_MPa(laplace, held, run_widths_um(walls, n, h), gamma_J_m2, inp.wetting_angle_deg)
            # the face's highest point touches, so some contact always carries the plunger
            mech = self.press_mechanics.respond(gap > 0, assembly.pressure_MPa, inp.thickness_um, traction, held)

            def wall_step(rate, dt):
                for k in range(walls.starts.size):               # each wall: kmc.resolved.assembly.wall_interval_s
                    change = float(rate[walls.cells(k, n)].sum()) * h
                    if change > 0:
                        first, last = walls.starts[k] % n, (walls.starts[k] + walls.widths[k] - 1) % n
                        edge = min(gap[first] - pores[first], gap[last] - pores[last])    # its contact lines
                        dt = min(dt, float(wall_interval_s(walls.area_um2[k], 0.01 * walls.widths[k] * h, change,
                                                           laplace[first], edge_crossing_time_s(edge, h,
                                                                                                inp.mullins_um4_s),
                                                           assembly.pressure_MPa, inp.law.stress_exponent)))
                return dt
            return np.where(gap > 0, np.maximum(mech.closing_velocity_um_s, 0.0), 0.0), wall_step

        def relax_step(gap, dt):
            dropped = len(relax(gap, pores, rim_fill, dt, h, cap, inp.mullins_um4_s, rewet=rewet))
            clear_by_gap(gap, rim_fill, rewet, close_below_um=1e-12)
            return dropped
        return ask, relax_step

    # ------------------------------------------------------------------ the step's geometry
    def walls(self, st: GapState, alloy=None) -> tuple[np.ndarray, np.ndarray, None]:
        """Per cell, the Laplace traction of its void's wall, and whether its void is a hole of the face the
        metal spans (kmc.resolved.walls); over an alloy (kmc.resolved.solute's factors), each wall's surface
        energy at the mean composition below it."""
        inp = self.inp
        n, h = inp.cells, inp.cell_um
        walls = walls_of(st.gap_um, st.pore_um, h)
        gamma = inp.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2
        if alloy is not None and walls.starts.size:
            gamma = run_sums(alloy.surface_energy_J_m2, walls.starts, walls.widths) / walls.widths
        held = spanned_cells(walls, st.pore_um)
        traction = wall_traction_MPa(walls, n, h, gamma)
        if held.any():               # a wetting metal is drawn into the holes it spans (kmc.resolved.walls)
            per_cell = gamma
            if np.ndim(gamma):
                per_cell = np.zeros(n)
                for k in range(walls.starts.size):
                    per_cell[walls.cells(k, n)] = gamma[k]
            traction = entry_traction_MPa(traction, held, run_widths_um(walls, n, h), per_cell, inp.wetting_angle_deg)
        return traction, held, None

    def _local(self, now: dict):
        """Over an alloy, each void's (cap, Mullins' B) at the composition below it (None: the inputs')."""
        alloy = now.get("solute")
        return None if alloy is None else (lambda cells: self._local_cap(alloy, cells))

    def grow(self, st: GapState, now: dict, closing: np.ndarray, dt: float) -> np.ndarray:
        """Capture: what lands near a wall moves its contact line, the rest deepens the roof
        (kmc.resolved.walls.grow; over an alloy each void's cap and B at the composition below it)."""
        inp = self.inp
        return grow(st.gap_um, st.pore_um, st.rim_fill, now["open"], now["vacancies"].capture_um_s, closing, dt,
                    inp.cell_um, inp.mullins_um4_s, self._cap, self._local(now), self.rim_retreat(now))

    def relax(self, st: GapState, new_gap: np.ndarray, now: dict, dt: float) -> list:
        """Every void's wall toward the cap of its area at the Young angle (kmc.resolved.walls.relax)."""
        inp = self.inp
        return relax(new_gap, st.pore_um, st.rim_fill, dt, inp.cell_um, self._cap, inp.mullins_um4_s,
                     self._local(now), st.rewet)

    def plunger_descent(self, gap: np.ndarray, now: dict, dt: float, thickness_um: float) -> float:
        """delta = dt |V(map(delta))|, the map being the cells still open after every gap is lowered by
        delta.  |V| falls as the contact grows (as contact^-n near a punch), so an explicit step
        overshoots: narrow islands push the metal down fast, gaps close, and the next step's V is orders
        of magnitude smaller.  V is constant between consecutive gap values, so the fixed point is found
        by bisection on how many of the shallowest open cells close (implicit_descent_um)."""
        inp = self.inp
        open_now = gap > 0
        if not open_now.any():
            return 0.0
        order = np.argsort(gap[open_now])
        levels = gap[open_now][order]
        idx = np.flatnonzero(open_now)[order]
        traction, spanned = now["traction"], now["spanned"]

        def speed(k):                      # |V| with the k shallowest open cells closed
            m = open_now.copy()
            m[idx[:k]] = False
            try:
                return self.mechanics.plunger_speed(m, inp.pressure_MPa, thickness_um, traction, spanned)
            except NoContactError:
                return math.inf
        return implicit_descent_um(levels, dt, speed)

    def _local_cap(self, alloy, cells: np.ndarray) -> tuple[VoidCap, float]:
        """(the void's cap, Mullins' B) of a void over ``cells`` at the mean composition below it: its
        Young angle, and B in proportion to its wall's surface energy (kmc.resolved.solute)."""
        # the means as np.add.reduce / size, np.mean's own arithmetic without its wrapper (called per void
        # and step, ~10^5 times a run)
        angle = alloy.wetting_angle_deg[cells]
        energy = alloy.surface_energy_J_m2[cells]
        cap = VoidCap.of_wetting_angle(float(np.add.reduce(angle) / angle.size))
        gamma_ratio = float(np.add.reduce(energy) / energy.size) / self.inp.composition_table[0][3]
        return cap, self.inp.mullins_um4_s * gamma_ratio

    def count_events(self, st: GapState, now: dict, after: np.ndarray) -> None:
        """Splits, coalescences and collapses of counted voids (runs at least min_void_width_um wide, as the
        seed counts them) from the overlap of runs before and after a step: a counted void overlapping two
        counted voids after the step split; two counted voids overlapping one coalesced; a counted void
        overlapping nothing collapsed."""
        before = now["open"]
        min_cells = max(1, int(math.ceil(self.inp.min_void_width_um / self.inp.cell_um - 1e-9)))
        lab_b = _labels(before, min_cells)
        lab_a = _labels(after, min_cells)
        both = (lab_b >= 0) & (lab_a >= 0)
        pairs = set(zip(lab_b[both].tolist(), lab_a[both].tolist()))
        per_old = Counter(p[0] for p in pairs)
        per_new = Counter(p[1] for p in pairs)
        st.counts["splits"] += sum(1 for v in per_old.values() if v > 1)
        st.counts["coalescences"] += sum(1 for v in per_new.values() if v > 1)
        gone = set(lab_b[lab_b >= 0].tolist()) - set(lab_b[before & after].tolist())
        st.counts["collapses"] += len(gone)

    def interior(self, open_cells: np.ndarray) -> np.ndarray:
        """The open cells but each run's two end cells."""
        starts, widths = runs(open_cells)
        ends = np.concatenate([starts, (starts + widths - 1) % self.inp.cells])
        interior = open_cells.copy()
        interior[ends] = False
        return interior

    # ------------------------------------------------------------------ observables
    def voids(self, st: GapState) -> dict:
        """The section's voids (runs of open cells) for the file's /voids: centre x, y = 0, base radius
        (half the width) and height (the largest gap), um."""
        v = self.runs_of(st.gap_um)
        return dict(x=v["x"], y=np.zeros(v["x"].size), base_radius=v["width"] / 2, height=v["height"])

    def runs_of(self, gap_um: np.ndarray) -> dict:
        """The section's voids (runs of open cells): centre, width, height (the largest gap), um."""
        h, n = self.inp.cell_um, self.inp.cells
        starts, widths = runs(gap_um > 0)
        heights = np.array([gap_um[(s0 + np.arange(w)) % n].max() for s0, w in zip(starts, widths)])
        centre = ((starts + 0.5 * widths) * h) % self.inp.width_um
        return dict(x=centre.astype(float), width=(widths * h).astype(float), height=heights.astype(float))

    def cut_voids(self, gap_um: np.ndarray) -> tuple[dict, int]:
        """The section is its own SEM section."""
        return self.runs_of(gap_um), 1

    def void_measures(self, st: GapState, now: dict) -> dict:
        inp = self.inp
        return dict(void_count=float(runs(st.gap_um > 0)[0].size),
                    void_volume_per_area=float(st.gap_um.sum() * inp.cell_um / inp.width_um))


def _labels(open_cells: np.ndarray, min_cells: int = 1) -> np.ndarray:
    """Run label of every cell of a run at least ``min_cells`` long (periodic), -1 elsewhere."""
    lab = np.full(open_cells.size, -1)
    starts, widths = runs(open_cells)
    kept = np.flatnonzero(widths >= min_cells)
    which, offsets = cells_of(widths[kept])
    lab[(starts[kept][which] + offsets) % open_cells.size] = kept[which]
    return lab
