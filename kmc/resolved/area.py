"""The gap model on an area (docs/area.md): a periodic plane of interface cells
(``meso.depth_um`` deep, ``meso.width_um`` wide), so that voids are connected regions of open cells that
grow, coalesce, split and collapse as 3-D caps.  On a map uniform along the depth it is the section
(kmc.resolved.section), its fast limit: the gap model's contract (tests/test_area.py).  What the area's
geometry gives the gap model (kmc.resolved.gap):

* the fields: the same slab operators with |k| = (kx^2 + kz^2)^(1/2): a void captures from the 3-D field
  around its footprint (a cap's capture, not a tunnel's);
* labelling: 4-connected regions on the torus (kmc.mechanics.regions);
* walls (kmc.resolved.area_walls): each void's Laplace traction (a cap's 2 gamma / R, a tunnel's cuts'
  gamma / R) and the holes of the face the metal spans;
* the plunger's descent: the area's reduced operator (kmc.mechanics.reduced_area) with Li's size-dependent
  strength and the walls' tractions, not over the holes the metal spans (they close by extrusion, their
  own rate);
* growth of compact voids: a void cell away from the contact deepens by what it captures; a cell at the
  void's edge moves the contact line out (what reaches a flat void lands at its rim): its capture empties
  the contact cells next to it at the void's mean metal height and opens them when full (one cell per
  step; a void with no wall, as the section's, deepens its edge cell instead), pinned at a pore's rim by the
  kMC's [pore_edge] rim as on the section; a tunnel's cuts grow by
  the section's rule (kmc.resolved.walls.grow_lines);
* shapes: surface diffusion relaxes each compact void toward its equilibrium cap in Mullins' time, a void
  over a pore pinned at its rim (kmc.resolved.area_shapes); a tunnel's cuts by the section's rule
  (kmc.resolved.walls.relax_lines: the Young angle's segment, pinning at a pore's rim, the sub-grid drop);
  no void recedes past the foil (``within_the_foil``);
* the face: the pellet's face on the plane (kmc.physics.face.area_face_um), pressed by the event loop of
  kmc.resolved.assembly asking again once AREA_CLOSING_SHARE of its open cells have closed;
* the sections SEM sees: ``section_lines`` rows across the depth, runs of open cells at least
  ``min_void_width_um`` wide on each, one statistic over all of them; events (splits, coalescences,
  collapses) of the area's regions by their overlap from step to step.

* the solute along the interface (kmc.resolved.solute, meso.solute_field): the Mg stripping leaves behind each
  cell, spread over the plane (both lateral axes), acting on each contact cell's current and on creep as on the
  section; the walls keep the bulk alloy's surface energy and Young angle (over the whole composition table they
  move by < 1 deg and 2 %, docs/alloy.md section 2b: the section's per-void walls are not worth an area's cost).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from kmc import units
from kmc.jit import numpy_maximum
from kmc.mechanics.reduced import runs
from kmc.mechanics.reduced_area import AreaFoil
from kmc.mechanics.regions import label_regions
from kmc.physics.face import area_face_um
from kmc.physics.nucleation import VoidCap
from kmc.resolved.area_shapes import relax_shapes
from kmc.resolved.area_walls import area_walls_of, grow_tunnels, relax_tunnels, wall_change_limit_s
from kmc.resolved.assembly import Assembly
from kmc.resolved.gap import CELL_UM, GapModel, GapState, observables
from kmc.resolved.step_control import ShallowestFirst, clear_by_gap, implicit_descent_um
from kmc.resolved.walls import SMALLEST_WALL_um, entry_traction_MPa
from kmc.vocabulary import Quantity

# The area's press asks its operator again once this share of its open cells has closed (the section's
# events ask after each cell: on 10^5 cells 10^4-10^5 asks).  Li at 50 MPa for 30 s on the shipped porous
# face with the size effect, contact after the press event by event and at shares 0.005, 0.01, 0.02:
# 0.317 and 0.318, 0.324, 0.266 on 20 x 5 um; 0.434 and 0.371, 0.435, 0.429 on 40 x 10 um; 0.8233,
# 0.8237, 0.8236 on 160 x 40 um (docs/area.md section 1: which island gives way first decides the rest,
# so any step moves a small area's contact by a few hundredths; a large one averages over islands).
AREA_CLOSING_SHARE = 0.01

_NEIGHBOURS = ((1, 0), (-1, 0), (1, 1), (-1, 1))       # (shift, axis) of the four neighbours of a cell


def _neighbour(a: np.ndarray, shift: int, axis: int) -> np.ndarray:
    """Each cell's neighbour value on the torus (shift +1: the next cell along ``axis``)."""
    return np.roll(a, -shift, axis=axis)


class AreaModel(GapModel):
    """The gap model on an area (module docstring): the section's step on a plane."""
    name = "area"
    void_shape = "area"
    press_closing_share = AREA_CLOSING_SHARE
    solute_field = True
    observables = observables({
        "contact_fraction": "the area's cells where the metal touches the electrolyte",
        "void_count": "regions of open cells of the area (4-connected, periodic), any size",
        "void_volume_per_area": "the gap's volume over the area / its area",
        "section_voids_per_um": "runs of open cells on meso.section_lines rows across the depth, all rows' runs "
                                "over their total length",
    }, Quantity("counted_void_count", "1", "regions of the area at least meso.min_void_width_um across the width "
                                           "(the voids a section could count)"))

    def __init__(self, inp, mechanics: AreaFoil | None = None):
        self.shape = (int(round(inp.depth_um / inp.cell_um)), inp.cells)
        if min(self.shape) < 1:
            raise ValueError(f"an area of {inp.depth_um:g} x {inp.width_um:g} um at {inp.cell_um:g} um cells "
                             "has no cells")
        self.rewet_shape = (2, *self.shape)
        super().__init__(inp, mechanics)

    @classmethod
    def inputs(cls, settings, energetics, **numerics):
        """The gap model's inputs on an area; meso.depth_um = 0 (no area) refused."""
        if settings.meso.depth_um <= 0:
            from kmc.cell.inputs import CellInputError
            raise CellInputError("meso.interface = 'area' with meso.depth_um = 0: the area needs a depth; allowed: "
                                 "meso.depth_um >= 1 um (e.g. 40: docs/area.md), or meso.interface = 'section'")
        return super().inputs(settings, energetics, **numerics)

    def reduced_operator(self, strength) -> AreaFoil:
        inp = self.inp
        return AreaFoil(inp.law, self.shape, inp.cell_um, inp.friction, strength=strength)

    @property
    def cells(self) -> int:
        return self.shape[0] * self.shape[1]

    @classmethod
    def frame_cells(cls, meso) -> int:
        """The area's cells: the section's along the width times those along meso.depth_um."""
        return super().frame_cells(meso) * int(round(meso.depth_um / CELL_UM))

    def describe(self) -> str:
        return f"{self.inp.width_um:g} um x {self.inp.depth_um:g} um area"

    # ------------------------------------------------------------------ the face and the press
    def face(self, assembly: Assembly, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The section's face on the plane (kmc.physics.face.area_face_um): every line of it, along the
        width or the depth, has the section's stereology."""
        return area_face_um(self.shape, self.inp.cell_um, assembly.roughness_rms_um, assembly.hurst_exponent,
                            assembly.relative_density, assembly.particle_diameter_um, rng)

    def press_operator(self, assembly: Assembly, pores: np.ndarray, rim_fill: np.ndarray):
        """(ask, relax_step) of the press's event loop on the area (its walls, its mechanics, surface
        diffusion on its tunnels' cuts and its compact voids)."""
        inp = self.inp
        rewet = np.zeros((2, *rim_fill.shape))    # the retracting contact lines' progress per cut axis
        h = inp.cell_um
        gamma_J_m2 = inp.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2
        cap = VoidCap(inp.void_angle_rad)

        def ask(gap):
            walls = area_walls_of(gap, pores, h, gamma_J_m2, self.mechanics.shapes)
            mech = self.press_mechanics.respond(gap > 0, assembly.pressure_MPa, inp.thickness_um,
                                                self._entry(walls, gamma_J_m2), walls.held)
            return (np.where(gap > 0, np.maximum(mech.closing_velocity_um_s, 0.0), 0.0),
                    lambda rate, dt: min(dt, wall_change_limit_s(walls, gap, pores, rate, h, assembly.pressure_MPa,
                                                                 inp.law.stress_exponent, inp.mullins_um4_s)))

        def relax_step(gap, dt):
            dropped = len(relax_tunnels(gap, pores, rim_fill, dt, h, cap, inp.mullins_um4_s, rewet))
            if inp.mullins_um4_s > 0:
                relax_shapes(gap, pores, dt, h, cap, inp.mullins_um4_s)
            clear_by_gap(gap, rim_fill, rewet, close_below_um=1e-12)
            return dropped
        return ask, relax_step

    # ------------------------------------------------------------------ the step's geometry
    def walls(self, st: GapState, alloy=None):
        """The voids' walls: their capillarity, and the holes of the face the metal spans
        (kmc.resolved.area_walls; with the bulk's surface energy: ``alloy``'s per-cell values are not used, the
        module docstring says why)."""
        gamma = self.inp.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2
        walls = area_walls_of(st.gap_um, st.pore_um, self.inp.cell_um, gamma, self.mechanics.shapes)
        return self._entry(walls, gamma), walls.held, walls

    def _entry(self, walls, gamma_J_m2: float) -> np.ndarray:
        """The walls' traction with the holes a wetting metal spans drawing it in (kmc.resolved.walls.
        entry_traction_MPa), each hole a cylinder of its footprint's diameter 2 (A / pi)^(1/2)."""
        if not walls.held.any():
            return walls.traction_MPa
        reg, h = walls.regions, self.inp.cell_um
        on = reg.labels >= 0
        diameter = 2 * np.sqrt(np.bincount(reg.labels[on], minlength=reg.count) * h * h / math.pi)
        per_cell = np.where(on, diameter[np.maximum(reg.labels, 0)], 0.0)
        return entry_traction_MPa(walls.traction_MPa, walls.held, per_cell, gamma_J_m2, self.inp.wetting_angle_deg,
                                  "cylinder")

    @staticmethod
    def _at_edge(open_cells: np.ndarray) -> np.ndarray:
        """Per cell, whether it lies at a void's edge (an open cell with a contact neighbour)."""
        contact = ~open_cells
        return open_cells & (_neighbour(contact, 1, 0) | _neighbour(contact, -1, 0)
                             | _neighbour(contact, 1, 1) | _neighbour(contact, -1, 1))

    def grow(self, st: GapState, now: dict, closing: np.ndarray, dt: float) -> np.ndarray:
        """Compact voids (module docstring): interior cells deepen, edge cells move the contact line
        (pinned at a pore's rim by the kMC's rim, the section's rule); tunnels: the section's rule on every
        cut across them (kmc.resolved.walls.grow_lines)."""
        inp = self.inp
        h = inp.cell_um
        open_cells = now["open"]
        gap, pore = st.gap_um, st.pore_um
        walls = now["walls"]
        compact = open_cells & ~(walls.tunnel_cells(0) | walls.tunnel_cells(1))
        regions, at_edge = walls.regions, self._at_edge(open_cells)
        labels = regions.labels
        capture, new_gap, cell_height = np.empty(gap.shape), np.empty(gap.shape), np.empty(gap.shape)
        cells_per_void, height = np.zeros(max(regions.count, 1), np.int64), np.zeros(max(regions.count, 1))
        _compact_growth(compact, at_edge, labels, now["vacancies"].capture_um_s, gap, pore, closing, dt, capture,
                        new_gap, cells_per_void, height)
        height = np.maximum(height / np.maximum(cells_per_void, 1), 1e-6)
        _cells_height(compact, labels, height, cell_height)
        shares = _rim_shares(capture, open_cells, regions.labels, max(regions.count, 1), at_edge)
        # the section's rule (kmc.resolved.walls.grow): a void whose metal stands no higher than
        # SMALLEST_WALL_um over the envelope has no wall, and what reaches its edge lands on its edge cell's
        # roof instead of emptying the contact beside it; a hole the metal spans (its metal at or below the
        # face) is one, whose edge otherwise emptied a whole contact cell on a 1e-6 um height each step
        no_wall = compact & (cell_height <= SMALLEST_WALL_um)
        if no_wall.any():
            for d in range(len(shares)):
                new_gap += np.where(no_wall, shares[d] * dt, 0.0)
                shares[d] = np.where(no_wall, 0.0, shares[d])
        retreat = self.rim_retreat(now)
        if retreat is not None:
            self._pin_at_rims(new_gap, shares, retreat, compact, walls, pore, cells_per_void, dt)
        _advance_rims(st.rim_fill, new_gap, open_cells, cell_height, pore, shares, dt)
        grow_tunnels(walls, gap, new_gap, pore, st.rim_fill, now["vacancies"].capture_um_s, closing, dt, h,
                     inp.mullins_um4_s, self._cap, retreat)
        return new_gap

    def relax(self, st: GapState, new_gap: np.ndarray, now: dict, dt: float) -> list:
        """Tunnels: the section's rule on every cut (kmc.resolved.area_walls.relax_tunnels); compact voids
        toward their caps (kmc.resolved.area_shapes); no void's metal past the foil."""
        inp = self.inp
        h, pore = inp.cell_um, st.pore_um
        shrunk = relax_tunnels(new_gap, pore, st.rim_fill, dt, h, self._cap, inp.mullins_um4_s, st.rewet)
        if inp.mullins_um4_s > 0:
            relax_shapes(new_gap, pore, dt, h, self._cap, inp.mullins_um4_s)
        within_the_foil(new_gap, pore, st.thickness_um - inp.strip_velocity_um_s * dt)
        return shrunk

    def _pin_at_rims(self, new_gap, shares, retreat, compact, walls, pore, cells_per_void, dt) -> None:
        """The section's rim pin (kmc.resolved.walls.grow) at compact voids: what an edge cell over a pore
        sends toward a contact neighbour off the pore, on a void wider than its cap (its footprint's
        radius at least the cap's base radius of its wall's volume), moves the line by the neighbour's
        retreat share; the rest raises the void's metal over its whole footprint (in place on
        ``new_gap`` and ``shares``)."""
        h, n = self.inp.cell_um, walls.regions.count
        if n == 0:
            return
        labels = walls.regions.labels
        base_um = np.sqrt(np.maximum(cells_per_void[:n], 1) * h * h / math.pi)
        cap_um = (np.maximum(walls.volume_um3, 0.0) / self._cap.volume_per_radius3) ** (1 / 3)
        thin = compact & (pore > 0) & (base_um >= cap_um)[np.maximum(labels, 0)]
        raised = np.zeros(n)
        _pinned_shares(thin, pore, np.broadcast_to(retreat, pore.shape), shares, labels, raised)
        if raised.any():
            new_gap[compact] += (raised * dt / np.maximum(cells_per_void[:n], 1))[labels[compact]]

    def plunger_descent(self, gap: np.ndarray, now: dict, dt: float, thickness_um: float) -> float:
        """How far the plunger lowers the metal in dt, implicitly (the section's rule,
        kmc.resolved.gap.implicit_descent_um): delta = dt |V(map after lowering by delta)|, bisected on how many of
        the shallowest open cells close; V of a trial map on the partition of the step's map (its
        cells lose or gain the closed cells: kmc.mechanics.reduced_area.AreaFoil.plunger_speed)."""
        inp = self.inp
        partition = now["mechanics"].partition
        open_now = gap > 0
        if not open_now.any() or partition is None:
            return 0.0
        levels = ShallowestFirst(gap.ravel(), np.flatnonzero(open_now.ravel()))
        owner = partition.trib.owner.ravel()
        n_features = partition.regions.count

        def speed(k):                      # |V| with the k shallowest open cells closed
            closed = np.bincount(owner[levels.shallowest(k)], minlength=n_features) if k else None
            return self.mechanics.plunger_speed(partition, closed, inp.pressure_MPa, thickness_um)
        return implicit_descent_um(levels, dt, speed)

    def _counted(self, regions) -> np.ndarray:
        """Which regions are counted voids: at least min_void_width_um across the width (the section's
        run length, for a region that any row of cells crosses that far)."""
        min_cells = max(1, int(math.ceil(self.inp.min_void_width_um / self.inp.cell_um - 1e-9)))
        if regions.count == 0:
            return np.zeros(0, bool)
        key = ("counted", min_cells, self.shape)            # kept with the regions: a step's map is the next's
        if key not in regions.memo:
            span = _width_spans(regions.labels, regions.image[..., 1], regions.count)
            regions.memo[key] = (span >= min_cells) | regions.wraps[:, 1]
        return regions.memo[key]

    def count_events(self, st: GapState, now: dict, after: np.ndarray) -> None:
        """Splits, coalescences and collapses of counted voids from the overlap of the regions before (the
        step's walls' regions) and after a step (the section's rule on regions)."""
        before = now["walls"].regions
        reg_a = label_regions(after)
        splits, coalescences, collapses = _overlap_events(before.labels, self._counted(before), reg_a.labels,
                                                          self._counted(reg_a), after)
        st.counts["splits"] += splits
        st.counts["coalescences"] += coalescences
        st.counts["collapses"] += collapses

    def interior(self, open_cells: np.ndarray) -> np.ndarray:
        """The open cells away from a void's edge."""
        return open_cells & ~self._at_edge(open_cells)

    # ------------------------------------------------------------------ observables
    def section_rows(self) -> np.ndarray:
        """The rows the SEM-like sections are taken along: section_lines evenly spaced across the depth."""
        lines = min(self.inp.section_lines, self.shape[0])
        return np.unique(((np.arange(lines) + 0.5) * self.shape[0] / lines).astype(int))

    def section_voids(self, gap_um: np.ndarray) -> dict:
        """The voids the sections cut (runs of open cells along each row of section_rows): centre x,
        the row's z, width and height (the largest gap of the run), um."""
        h, n = self.inp.cell_um, self.shape[1]
        xs, zs, ws, hs = [], [], [], []
        for row in self.section_rows():
            line = gap_um[row]
            starts, widths = runs(line > 0)
            for s0, w in zip(starts, widths):
                xs.append(((s0 + 0.5 * w) * h) % self.inp.width_um)
                zs.append((row + 0.5) * h)
                ws.append(w * h)
                hs.append(line[(s0 + np.arange(w)) % n].max())
        return dict(x=np.array(xs, float), z=np.array(zs, float), width=np.array(ws, float), height=np.array(hs, float))

    def voids(self, st: GapState) -> dict:
        """The area's voids (regions of open cells): centroid x and z, footprint radius (of the
        footprint's area) and height (the largest gap), um."""
        h = self.inp.cell_um
        reg = label_regions(st.gap_um > 0)
        if reg.count == 0:
            return dict(x=np.zeros(0), y=np.zeros(0), base_radius=np.zeros(0), height=np.zeros(0))
        on = reg.labels >= 0
        zz, xx = np.nonzero(on)
        lab = reg.labels[on]
        z = zz + reg.image[zz, xx, 0] * self.shape[0]
        x = xx + reg.image[zz, xx, 1] * self.shape[1]
        count = np.bincount(lab, minlength=reg.count).astype(float)
        cx = (np.bincount(lab, x, reg.count) / count + 0.5) * h % self.inp.width_um
        cz = (np.bincount(lab, z, reg.count) / count + 0.5) * h % self.inp.depth_um
        height = np.zeros(reg.count)
        np.maximum.at(height, lab, st.gap_um[on])
        return dict(x=cx, y=cz, base_radius=np.sqrt(count * h * h / math.pi), height=height)

    def cut_voids(self, gap_um: np.ndarray) -> tuple[dict, int]:
        """The runs of open cells on section_rows."""
        return self.section_voids(gap_um), self.section_rows().size

    def void_measures(self, st: GapState, now: dict) -> dict:
        regions = label_regions(now["open"])
        return dict(void_count=float(regions.count), counted_void_count=float(self._counted(regions).sum()),
                    void_volume_per_area=float(st.gap_um.mean()))


def within_the_foil(gap: np.ndarray, pore: np.ndarray, thickness_um: float) -> None:
    """A void's metal recedes at most through the foil: gap - pore <= the foil's thickness in every cell
    (in place).  What capture or the walls' shapes would take past it goes to the same void's cells
    that have room, in proportion to their room (the void's volume kept): a cap taller than the foil
    (the Young cap of a void wider than the foil is) spreads instead.  A void with no room left stops
    at the foil's thickness everywhere (the foil perforated there: the excess is metal it no longer
    has)."""
    ceiling = pore + thickness_um
    over = gap > ceiling
    if not over.any():
        return
    regions = label_regions(gap > 0)
    labels, n = regions.labels, regions.count
    excess = np.bincount(labels[over], (gap - ceiling)[over], n)
    gap[over] = ceiling[over]
    open_cells = gap > 0
    room = np.where(open_cells, ceiling - gap, 0.0)
    room_total = np.bincount(labels[open_cells], room[open_cells], n)
    share = np.where(room_total > 0, np.minimum(excess / np.where(room_total > 0, room_total, 1.0), 1.0), 0.0)
    gap[open_cells] += room[open_cells] * share[labels[open_cells]]


@njit(cache=True)
def _rim_shares(capture, open_cells, labels, count, at_edge):
    """What each edge cell sends toward each contact neighbour (um/s of depth over one cell, per direction of
    _NEIGHBOURS: a (4, depth, width) array): its own ``capture`` split among its contact neighbours; a void (of
    ``labels``' ``count`` regions of the open cells) with no cell away from its edge (``at_edge``: one or two cells
    across) pools what it captures over all its (edge cell, contact neighbour) pairs, as the section splits a short
    void's capture between its rims.  The pooled sums in the cells' order, as numpy's bincount added them."""
    nz, nx = open_cells.shape
    faces = np.zeros((nz, nx), np.int64)          # an open cell's contact neighbours
    pooled = np.zeros(count)
    pairs = np.zeros(count)
    has_interior = np.zeros(count, np.bool_)
    for z in range(nz):
        zm, zp = (z - 1 if z > 0 else nz - 1), (z + 1 if z + 1 < nz else 0)
        for x in range(nx):
            if not open_cells[z, x]:
                continue
            xm, xp = (x - 1 if x > 0 else nx - 1), (x + 1 if x + 1 < nx else 0)
            f = ((not open_cells[zp, x]) + (not open_cells[zm, x]) + (not open_cells[z, xp])
                 + (not open_cells[z, xm]))
            faces[z, x] = f
            lab = labels[z, x]
            pooled[lab] += capture[z, x]
            pairs[lab] += f
            if not at_edge[z, x]:
                has_interior[lab] = True
    shares = np.zeros((4, nz, nx))
    for z in range(nz):
        zm, zp = (z - 1 if z > 0 else nz - 1), (z + 1 if z + 1 < nz else 0)
        for x in range(nx):
            f = faces[z, x]
            if f == 0:
                continue
            lab = labels[z, x]
            if has_interior[lab]:
                share = capture[z, x] / f
            else:
                share = pooled[lab] / pairs[lab]
            xm, xp = (x - 1 if x > 0 else nx - 1), (x + 1 if x + 1 < nx else 0)
            # in _NEIGHBOURS' order: +z, -z, +x, -x
            if not open_cells[zp, x]:
                shares[0, z, x] = share
            if not open_cells[zm, x]:
                shares[1, z, x] = share
            if not open_cells[z, xp]:
                shares[2, z, x] = share
            if not open_cells[z, xm]:
                shares[3, z, x] = share
    return shares


@njit(cache=True)
def _width_spans(labels, image_x, count):
    """Per region, the cells its unwrapped x covers from first to last (x + image_x * width: a region across
    the width's edge is measured whole)."""
    nz, nx = labels.shape
    low = np.full(count, np.iinfo(np.int64).max)
    high = np.full(count, np.iinfo(np.int64).min)
    for z in range(nz):
        for x in range(nx):
            r = labels[z, x]
            if r >= 0:
                ux = x + image_x[z, x] * nx
                low[r] = min(low[r], ux)
                high[r] = max(high[r], ux)
    return high - low + 1


@njit(cache=True)
def _overlap_events(before, counted_before, after_labels, counted_after, after_open):
    """(splits, coalescences, collapses) of the counted regions from ``before``'s labels to ``after_labels``
    (-1 off a region; ``counted_*``: per region, whether it is a counted void) by their overlap: a counted
    region that overlaps two or more counted regions after split, a counted region after that overlaps two or
    more before is a coalescence, a counted region none of whose cells is open after (``after_open``)
    collapsed."""
    nb, na = counted_before.size, counted_after.size
    partner_of_old = np.full(nb, -1)           # the first counted region after seen on an old one's cells
    partner_of_new = np.full(na, -1)
    split = np.zeros(nb, np.bool_)
    merged = np.zeros(na, np.bool_)
    present = np.zeros(nb, np.bool_)
    survived = np.zeros(nb, np.bool_)
    nz, nx = before.shape
    for z in range(nz):
        for x in range(nx):
            b = before[z, x]
            if b < 0 or not counted_before[b]:
                continue
            present[b] = True
            if after_open[z, x]:
                survived[b] = True
            a = after_labels[z, x]
            if a < 0 or not counted_after[a]:
                continue
            if partner_of_old[b] < 0:
                partner_of_old[b] = a
            elif partner_of_old[b] != a:
                split[b] = True
            if partner_of_new[a] < 0:
                partner_of_new[a] = b
            elif partner_of_new[a] != b:
                merged[a] = True
    return int(split.sum()), int(merged.sum()), int(present.sum() - survived.sum())


@njit(cache=True)
def _compact_growth(compact, at_edge, labels, capture_all, gap, pore, closing, dt, capture, new_gap, cells, height):
    """AreaModel.grow's explicit change of the compact voids' cells in one pass (its numpy form, the sums in the
    cells' order as bincount adds them): ``capture`` the compact cells' own, ``new_gap`` their gap less the roof's
    closing plus, away from the edge, what they capture (every other cell's gap as it was), per void its cells and
    its metal's heights over the envelope summed."""
    nz, nx = gap.shape
    for z in range(nz):
        for x in range(nx):
            if not compact[z, x]:
                capture[z, x] = 0.0
                new_gap[z, x] = gap[z, x]
                continue
            c = capture_all[z, x]
            capture[z, x] = c
            g = gap[z, x] - closing[z, x] * dt
            if not at_edge[z, x]:
                g = g + c * dt
            new_gap[z, x] = g
            k = labels[z, x]
            cells[k] += 1
            height[k] += numpy_maximum(g - pore[z, x], 0.0)


@njit(cache=True)
def _cells_height(compact, labels, height, out):
    """Each compact cell's void's mean height (0 elsewhere)."""
    nz, nx = out.shape
    for z in range(nz):
        for x in range(nx):
            out[z, x] = height[max(labels[z, x], 0)] if compact[z, x] else 0.0


@njit(cache=True)
def _pinned_shares(thin, pore, retreat, shares, labels, raised):
    """AreaModel._pin_at_rims' pass over the four directions of _NEIGHBOURS (its numpy form): what each thin edge
    cell over a pore sends toward a neighbour off the pore keeps the neighbour's retreat share, the rest summed per
    void into ``raised`` (each direction's sums in the cells' order, as bincount adds them, then added)."""
    nz, nx = thin.shape
    per_void = np.empty(raised.size)
    for d in range(4):
        shift, axis = _NEIGHBOURS[d]
        dz, dx = (shift, 0) if axis == 0 else (0, shift)
        per_void[:] = 0.0
        pinned = False
        for z in range(nz):
            zz = z + dz
            zz = zz - nz if zz >= nz else (zz + nz if zz < 0 else zz)
            for x in range(nx):
                if not thin[z, x]:
                    continue
                s = shares[d, z, x]
                xx = x + dx
                xx = xx - nx if xx >= nx else (xx + nx if xx < 0 else xx)
                if pore[zz, xx] <= 0 and s > 0:
                    kept = s * (1.0 - retreat[zz, xx])
                    shares[d, z, x] = s - kept
                    per_void[labels[z, x]] += kept
                    pinned = True
        if pinned:
            for k in range(raised.size):
                raised[k] += per_void[k]


@njit(cache=True, inline="always")
def _cells_sent(share, height, dt):
    """How many contact cells an edge cell's share empties in dt at its void's mean height (before the one-cell cap)."""
    return share * dt / max(height, 1e-12)


@njit(cache=True)
def _advance_rims(rim_fill, new_gap, open_cells, cell_height, pore, shares, dt):
    """The contact line's advance at compact voids (module docstring): each (edge cell, contact
    neighbour) pair empties the neighbour by share dt / height of a cell, ``cell_height`` the void's
    mean metal height over the envelope; at most one cell per pair and step (the rest deepens the edge
    cell); a neighbour emptied in full opens at the void's height over the envelope (the pore's depth
    below it added: the metal keeps its height) and what is left over goes on to the next cell in the
    same direction (a void's cell there instead deepens the opened one).  On the torus; ``shares[d]``:
    what each edge cell sends toward its neighbour in direction d of _NEIGHBOURS (+z, -z, +x, -x)."""
    nz, nx = new_gap.shape
    steps = ((1, 0), (-1, 0), (0, 1), (0, -1))
    fill_in = np.zeros((nz, nx))
    opened_height = np.zeros((nz, nx))
    for d in range(4):
        dz, dx = steps[d]
        for z in range(nz):
            for x in range(nx):
                share = shares[d, z, x]
                if share <= 0:
                    continue
                w = _cells_sent(share, cell_height[z, x], dt)
                if w > 1.0:                                   # beyond one cell: the edge cell deepens
                    new_gap[z, x] += (w - 1.0) * cell_height[z, x]
                    w = 1.0
                zz, xx = (z + dz) % nz, (x + dx) % nx
                fill_in[zz, xx] += w
                opened_height[zz, xx] = max(opened_height[zz, xx], cell_height[z, x])
    opened = np.zeros((nz, nx), np.bool_)
    for z in range(nz):
        for x in range(nx):
            if open_cells[z, x]:
                rim_fill[z, x] = 0.0
                continue
            fill = rim_fill[z, x] + fill_in[z, x]
            if fill >= 1.0:
                opened[z, x] = True
                new_gap[z, x] = opened_height[z, x] + pore[z, x]
                rim_fill[z, x] = fill - 1.0              # what is left over, sent on below
            else:
                rim_fill[z, x] = fill
    for z in range(nz):
        for x in range(nx):
            if not opened[z, x] or fill_in[z, x] <= 0:
                continue
            left = rim_fill[z, x]
            rim_fill[z, x] = 0.0
            for d in range(4):
                dz, dx = steps[d]
                # what arrived from direction d: the source's share as the first pass took it (recomputed where a
                # (4, depth, width) array of it was zeroed and kept every call)
                share = shares[d, (z - dz) % nz, (x - dx) % nx]
                if share <= 0:
                    continue
                arrived = _cells_sent(share, cell_height[(z - dz) % nz, (x - dx) % nx], dt)
                arrived = 1.0 if arrived > 1.0 else arrived       # at most one cell, as the first pass took it
                if arrived <= 0:
                    continue
                part = left * arrived / fill_in[z, x]
                zz, xx = (z + dz) % nz, (x + dx) % nx
                if open_cells[zz, xx] or opened[zz, xx]:      # met a void: deepens the opened cell
                    new_gap[z, x] += part * opened_height[z, x]
                    continue
                rim_fill[zz, xx] += part
                if rim_fill[zz, xx] >= 1.0:
                    opened[zz, xx] = True
                    new_gap[zz, xx] = opened_height[z, x] + pore[zz, xx]
                    rim_fill[zz, xx] = 0.0
