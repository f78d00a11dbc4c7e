"""The interface as an area (issue 54 item 4; docs/area.md): the gap between metal and electrolyte as a
field over a periodic 2-D area of interface cells (``meso.depth_um`` deep, ``meso.width_um`` wide), so
that voids are connected regions of open cells that grow, coalesce, split and collapse as 3-D caps.
``meso.depth_um = 0`` runs the section instead (kmc.resolved.interface), its fast limit: on a map
uniform along the depth the two agree (tests/test_area.py).

The face is the section's on the plane (``area_face_um``: the envelope of the particle tops less the
pellet's open pores, kmc.physics.pores), pressed before stripping by the area's own step
(kmc.resolved.assembly).  The step is the section's, on the area:

* current and vacancies (kmc.resolved.fields): the same slab operators with |k| = (kx^2 + kz^2)^(1/2):
  a void captures from the 3-D field around its footprint (a cap's capture, not a tunnel's);
* the walls (kmc.resolved.area_walls): each void's Laplace traction (a cap's 2 gamma / R, a tunnel's
  cuts' gamma / R) and the holes of the face the metal spans;
* mechanics (kmc.resolved.area_foil): the area's reduced operator with Li's size-dependent strength
  and the walls' tractions, one rigid plunger over the area, the plunger's descent implicit as in
  the section and not over the holes the metal spans (they close by extrusion, their own rate);
* growth of compact voids: a void cell away from the contact deepens by what it captures; a cell at
  the void's edge moves the contact line out (what reaches a flat void lands at its rim): its capture
  empties the contact cells next to it at the void's mean metal height and opens them when full (one
  cell per step); a tunnel's cuts grow by the section's rule (kmc.resolved.walls.grow);
* shapes: surface diffusion relaxes each compact void toward its equilibrium cap in Mullins' time, a
  void over a pore pinned at its rim (kmc.resolved.area_shapes); a tunnel's cuts by the section's rule
  (kmc.resolved.walls.relax: the Young angle's segment, pinning at a pore's rim, the sub-grid drop);
* sub-grid nuclei, nucleation at the kMC's I(S), a cell whose nuclei cover it opening: the section's
  rules per cell (kmc.physics).

Per cell, for the solute laterally resolved along the interface (issue 55 item 3): the state holds
``solute_fraction`` (the bulk's until that lands) and the current, the rim rules and the nucleation
are evaluated cell by cell, so a local composition can act on each.

Counting as the seed does, on sections: ``section_lines`` rows across the depth, runs of open cells
at least ``min_void_width_um`` wide on each, one statistic over all of them; events (splits,
coalescences, collapses) of the area's regions by their overlap from step to step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from kmc import units
from kmc.mechanics.reduced import NoContactError, runs
from kmc.physics import nucleation, vacancy
from kmc.physics.pore_edge import rim_retreat_share
from kmc.physics.pores import face_pore_depth_map_um, porosity
from kmc.physics.nucleation import VoidCap
from kmc.resolved.area_foil import AreaFoil
from kmc.resolved.area_shapes import relax_shapes
from kmc.resolved.area_walls import area_walls_of, grow_tunnels, relax_tunnels
from kmc.resolved.fields import butler_volmer_current, slab_flux_operator, slab_potential_operator, vacancy_field
from kmc.resolved.interface import implicit_descent_um, step_limits_s, step_subgrid_nuclei
from kmc.resolved.regions import label_regions

_NEIGHBOURS = ((1, 0), (-1, 0), (1, 1), (-1, 1))       # (shift, axis) of the four neighbours of a cell


def area_shape(inp) -> tuple[int, int]:
    """(depth, width) in cells of an area run's inputs (kmc.resolved.interface.ResolvedInputs)."""
    return int(round(inp.depth_um / inp.cell_um)), inp.cells


@dataclass
class AreaState:
    gap_um: np.ndarray                    # (depth, width) per cell
    nuclei: np.ndarray                    # sub-grid nuclei per contact cell
    nucleus_radius_um: np.ndarray         # their (common) base radius per cell
    thickness_um: float
    rim_fill: np.ndarray                  # part of a contact cell a neighbouring rim has emptied (0..1)
    solute_fraction: np.ndarray           # per cell (the bulk's: the seam of issue 55 item 3)
    pore_um: np.ndarray = None            # depth of the electrolyte's open pore under each cell (0: dense face)
    time_s: float = 0.0
    stripped_mAh_cm2: float = 0.0
    counts: dict = field(default_factory=lambda: dict(splits=0, coalescences=0, collapses=0, nucleated=0,
                                                      opened_by_nuclei=0))
    rewet: np.ndarray = None              # (2, depth, width): part of an open end cell of a cut along axis 0 / 1
                                          # its retracting contact line has re-wetted (0..1)


def _neighbour(a: np.ndarray, shift: int, axis: int) -> np.ndarray:
    """Each cell's neighbour value on the torus (shift +1: the next cell along ``axis``)."""
    return np.roll(a, -shift, axis=axis)


class AreaInterface:
    """The time loop's operators for one set of inputs on an area (built once: the slab operators, the
    mechanics' tables); the section's interface (kmc.resolved.interface.ResolvedInterface) on a plane."""

    def __init__(self, inp, mechanics: AreaFoil | None = None):
        self.inp = inp
        self.shape = area_shape(inp)
        if min(self.shape) < 1:
            raise ValueError(f"an area of {inp.depth_um:g} x {inp.width_um:g} um at {inp.cell_um:g} um cells "
                             "has no cells")
        self.K = slab_flux_operator(self.shape, inp.cell_um, inp.sink_distance_um)
        self.R = slab_potential_operator(self.shape, inp.cell_um, inp.electrolyte_thickness_um)
        self.mechanics = mechanics or AreaFoil(inp.law, self.shape, inp.cell_um, inp.friction,
                                               ligament_strength=inp.ligament_strength)
        self.rng = np.random.default_rng(inp.seed)
        self._last_concentration = None       # the vacancy solve's warm start
        self._cap = VoidCap(inp.void_angle_rad)
        self._nucleation = nucleation.MeasuredRateTable(inp.measured_nucleation)
        self.last_limits = {}

    @property
    def cells(self) -> int:
        return self.shape[0] * self.shape[1]

    def initial_state(self, gap_um: np.ndarray | None = None, pore_um: np.ndarray | None = None) -> AreaState:
        """A state of these gaps over a face with these open pores (None: none; a row is broadcast
        along the depth)."""
        shape = self.shape
        gap = np.zeros(shape) if gap_um is None else np.broadcast_to(np.asarray(gap_um, float), shape).copy()
        pore = np.zeros(shape) if pore_um is None else np.broadcast_to(np.asarray(pore_um, float), shape).copy()
        return AreaState(gap, np.zeros(shape), np.zeros(shape), self.inp.thickness_um, np.zeros(shape),
                         np.full(shape, self.inp.solute_fraction), pore, rewet=np.zeros((2, *shape)))

    # ------------------------------------------------------------------ rates at one instant
    def nucleation_rate_per_um2_s(self, supersaturation: np.ndarray) -> np.ndarray:
        """The cell's I(S): the kMC's measured rows (kmc.physics.nucleation.MeasuredRateTable), 0 at S <= 1."""
        return self._nucleation.rate_per_um2_s(supersaturation)

    def rates(self, st: AreaState) -> dict:
        inp = self.inp
        h = inp.cell_um
        open_cells = st.gap_um > 0
        if open_cells.all():
            raise NoContactError("every interface cell is open: no contact carries the plunger")
        # per cell: the exchange current is the bulk's (a local solute would act here)
        cur = butler_volmer_current(self.R, inp.resistivity_ohm_um, inp.exchange_current_mA_cm2, inp.temperature_K,
                                    inp.current_mA_cm2, open_cells, constriction=inp.electrolyte_constriction)
        injected = inp.strip_velocity_um_s * cur.current_mA_cm2 / max(inp.current_mA_cm2, 1e-300)
        g_sub = np.where(open_cells, 0.0, vacancy.CAP_CAPTURE_PER_RADIUS * st.nuclei * st.nucleus_radius_um / (h * h))
        vac = vacancy_field(self.K, inp.vacancy_diffusivity_um2_s, inp.vacancy_equilibrium_fraction,
                            inp.sink_supersaturation, open_cells, injected, g_sub, inp.sink_distance_um,
                            guess=self._last_concentration)
        self._last_concentration = vac.concentration
        # the voids' walls: their capillarity, and the holes of the face the metal spans (kmc.resolved.area_walls)
        walls = area_walls_of(st.gap_um, st.pore_um, h, inp.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2,
                              self.mechanics.shapes)
        mech = self.mechanics.respond(open_cells, inp.pressure_MPa, st.thickness_um, walls.traction_MPa, walls.held)
        contact = float((~open_cells).mean())
        recession = vac.to_sinks_um_s / contact if inp.sink_contraction == "interface" else 0.0
        S = vac.concentration / inp.vacancy_equilibrium_fraction
        return dict(open=open_cells, current=cur, injected=injected, vacancies=vac, mechanics=mech, walls=walls,
                    traction=walls.traction_MPa, spanned=walls.held, recession_um_s=recession, supersaturation=S,
                    contact=contact,
                    nucleation=np.where(open_cells, 0.0, self.nucleation_rate_per_um2_s(S)) * h * h)

    # ------------------------------------------------------------------ one step
    @staticmethod
    def _at_edge(open_cells: np.ndarray) -> np.ndarray:
        """Per cell, whether it lies at a void's edge (an open cell with a contact neighbour)."""
        contact = ~open_cells
        return open_cells & (_neighbour(contact, 1, 0) | _neighbour(contact, -1, 0)
                             | _neighbour(contact, 1, 1) | _neighbour(contact, -1, 1))

    def _rim_shares(self, capture: np.ndarray, open_cells: np.ndarray, regions, at_edge: np.ndarray) -> list:
        """What each edge cell sends toward each contact neighbour (um/s of depth over one cell, per
        direction of _NEIGHBOURS): its own capture split among its contact neighbours; a void with no
        cell away from its edge (one or two cells across) pools what it captures over all its
        (edge cell, contact neighbour) pairs, as the section splits a short void's capture between its rims."""
        contact = ~open_cells
        faces = [open_cells & _neighbour(contact, s, a) for s, a in _NEIGHBOURS]
        n_faces = sum(f.astype(float) for f in faces)
        labels = regions.labels
        n = max(regions.count, 1)
        interior = open_cells & ~at_edge
        has_interior = np.bincount(labels[interior], minlength=n) > 0
        thin_cell = open_cells & ~has_interior[np.maximum(labels, 0)]
        pooled = np.bincount(labels[open_cells], weights=capture[open_cells], minlength=n)
        pairs = np.bincount(labels[open_cells], weights=n_faces[open_cells], minlength=n)
        per_pair = np.where(pairs > 0, pooled / np.maximum(pairs, 1), 0.0)
        own = np.where(n_faces > 0, capture / np.maximum(n_faces, 1), 0.0)
        share = np.where(thin_cell, per_pair[np.maximum(labels, 0)], own)
        return [np.where(f, share, 0.0) for f in faces]

    def step(self, st: AreaState, now: dict, dt: float) -> None:
        inp = self.inp
        h = inp.cell_um
        open_cells = now["open"]
        gap, pore = st.gap_um, st.pore_um
        walls = now["walls"]
        mech = now["mechanics"]
        closing = self.closing_relative_um_s(now)
        # compact voids (module docstring): interior cells deepen, edge cells move the contact line
        compact = open_cells & ~(walls.tunnel_cells(0) | walls.tunnel_cells(1))
        capture = np.where(compact, now["vacancies"].capture_um_s, 0.0)
        regions, at_edge = walls.regions, self._at_edge(open_cells)
        g = np.where(compact, gap - closing * dt, 0.0)
        g = np.where(compact & ~at_edge, g + capture * dt, g)
        labels = regions.labels
        voids = max(regions.count, 1)
        cells_per_void = np.bincount(labels[compact], minlength=voids)
        height = np.bincount(labels[compact], weights=np.maximum(g - pore, 0.0)[compact], minlength=voids)
        height = np.maximum(height / np.maximum(cells_per_void, 1), 1e-6)
        cell_height = np.where(compact, height[np.maximum(labels, 0)], 0.0)
        new_gap = np.where(compact, g, gap)
        shares = self._rim_shares(capture, open_cells, regions, at_edge)
        # the rim's pin ([pore_edge] rows, the section's rule): a contact line at a pore's rim retreats by
        # the share the kMC's rim lets it, at each cell's own S
        retreat = (None if inp.pore_edge is None else
                   rim_retreat_share(inp.pore_edge.at("rim_refill_probability", now["supersaturation"])[0]))
        if retreat is not None:
            self._pin_at_rims(new_gap, shares, retreat, compact, walls, pore, cells_per_void, dt)
        _advance_rims(st.rim_fill, new_gap, open_cells, cell_height, pore, np.stack(shares), dt)
        # tunnels: the section's rule on every cut across them (kmc.resolved.walls.grow)
        grow_tunnels(walls, gap, new_gap, pore, st.rim_fill, now["vacancies"].capture_um_s, closing, dt, h,
                     inp.mullins_um4_s, self._cap, retreat)
        # the plunger lowers the metal over every void that takes its descent (not over the holes the
        # metal spans, held in their islands)
        lowered = ~mech.held
        new_gap[lowered] -= self._plunger_descent(np.where(lowered, np.maximum(new_gap, 0.0), 0.0), mech.partition,
                                                  dt, st.thickness_um)
        new_gap = np.maximum(new_gap, 0.0)
        new_gap[new_gap < 1e-7] = 0.0
        # surface diffusion toward the Young angle's caps (tunnels: the section's rule on every cut)
        if st.rewet is None:
            st.rewet = np.zeros((2, *new_gap.shape))
        shrunk = relax_tunnels(new_gap, pore, st.rim_fill, dt, h, self._cap, inp.mullins_um4_s, st.rewet)
        if inp.mullins_um4_s > 0:
            relax_shapes(new_gap, pore, dt, h, self._cap, inp.mullins_um4_s)
        within_the_foil(new_gap, pore, st.thickness_um - inp.strip_velocity_um_s * dt)
        self._subgrid_nuclei(st, now, new_gap, dt, shrunk)
        st.rim_fill[new_gap > 0] = 0.0
        st.rewet[:, new_gap == 0] = 0.0
        self._count_events(st, regions, new_gap > 0)
        st.gap_um = new_gap
        st.time_s += dt
        st.stripped_mAh_cm2 += inp.current_mA_cm2 * dt / units.S_PER_H
        st.thickness_um -= inp.strip_velocity_um_s * dt

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
        for d, (shift, axis) in enumerate(_NEIGHBOURS):
            pinned = thin & (_neighbour(pore, shift, axis) <= 0) & (shares[d] > 0)
            if not pinned.any():
                continue
            kept = np.where(pinned, shares[d] * (1.0 - _neighbour(retreat, shift, axis)), 0.0)
            shares[d] = shares[d] - kept
            raised += np.bincount(labels[pinned], kept[pinned], raised.size)
        if raised.any():
            new_gap[compact] += (raised * dt / np.maximum(cells_per_void[:n], 1))[labels[compact]]

    @staticmethod
    def closing_relative_um_s(now: dict) -> np.ndarray:
        """Per open cell, how fast its gap closes apart from the plunger's implicit descent (the
        section's rule, kmc.resolved.interface.ResolvedInterface.closing_relative_um_s): the roof
        relative to the plunger, a held hole's own closing, plus the contact's recession."""
        mech = now["mechanics"]
        plunger = abs(mech.plunger_velocity_um_s)
        own = np.where(mech.held, mech.closing_velocity_um_s, mech.closing_velocity_um_s - plunger)
        return np.where(now["open"], own, 0.0) + now["recession_um_s"]

    def _plunger_descent(self, gap: np.ndarray, partition, dt: float, thickness_um: float) -> float:
        """How far the plunger lowers the metal in dt, implicitly (the section's rule,
        kmc.resolved.interface): delta = dt |V(map after lowering by delta)|, bisected on how many of
        the shallowest open cells close; V of a trial map on the partition of the step's map (its
        cells lose or gain the closed cells: kmc.resolved.area_foil.AreaFoil.plunger_speed)."""
        inp = self.inp
        open_now = gap > 0
        if not open_now.any() or partition is None:
            return 0.0
        flat = gap.ravel()
        idx = np.flatnonzero(open_now.ravel())
        order = np.argsort(flat[idx], kind="stable")
        levels, idx = flat[idx][order], idx[order]
        owner = partition.trib.owner.ravel()
        n_features = partition.regions.count

        def speed(k):                      # |V| with the k shallowest open cells closed
            closed = np.bincount(owner[idx[:k]], minlength=n_features) if k else None
            return self.mechanics.plunger_speed(partition, closed, inp.pressure_MPa, thickness_um)
        return implicit_descent_um(levels, dt, speed)

    def _subgrid_nuclei(self, st: AreaState, now: dict, new_gap: np.ndarray, dt: float, shrunk=()) -> None:
        """Sub-grid nuclei in contact cells (the section's rules, per cell): grow by capture, close as a
        cavity in the contact's pressure (the exact sphere rate), take the voids surface diffusion
        shrank below a cell (``shrunk``: ((row, column), volume um^3)), are born at I(S); a cell whose
        nuclei cover it opens with their volume."""
        open_cells = now["open"]
        expected = now["nucleation"] * dt
        births = self.rng.poisson(expected) if expected.any() else np.zeros(expected.shape, np.int64)
        nucleated, opened = step_subgrid_nuclei(self.inp, self._cap, st.nuclei, st.nucleus_radius_um, open_cells,
                                                new_gap, now, births, dt, shrunk)
        st.counts["nucleated"] += nucleated
        st.counts["opened_by_nuclei"] += opened
        nn, r = st.nuclei, st.nucleus_radius_um
        nn[new_gap > 0] = 0
        r[new_gap > 0] = 0.0

    def _counted(self, regions) -> np.ndarray:
        """Which regions are counted voids: at least min_void_width_um across the width (the section's
        run length, for a region that any row of cells crosses that far)."""
        min_cells = max(1, int(math.ceil(self.inp.min_void_width_um / self.inp.cell_um - 1e-9)))
        if regions.count == 0:
            return np.zeros(0, bool)
        lab = regions.labels
        on = lab >= 0
        x = np.nonzero(on)[1] + regions.image[..., 1][on] * self.shape[1]
        labels = lab[on]
        order = np.lexsort((x, labels))                  # by region, then x: each region's first and last x
        first = np.searchsorted(labels[order], np.arange(regions.count))
        last = np.searchsorted(labels[order], np.arange(regions.count), side="right") - 1
        xs = x[order]
        return (xs[last] - xs[first] + 1 >= min_cells) | regions.wraps[:, 1]

    def _count_events(self, st: AreaState, before, after: np.ndarray) -> None:
        """Splits, coalescences and collapses of counted voids from the overlap of the regions before
        (``before``: label_regions of the step's map) and after a step (the section's rule on regions)."""
        reg_a = label_regions(after)

        def counted_labels(reg):
            if reg.count == 0:
                return reg.labels
            counted = self._counted(reg)
            return np.where((reg.labels >= 0) & counted[np.maximum(reg.labels, 0)], reg.labels, -1)
        lab_b, lab_a = counted_labels(before), counted_labels(reg_a)
        both = (lab_b >= 0) & (lab_a >= 0)
        n_after = max(reg_a.count, 1)
        pairs = np.unique(lab_b[both] * n_after + lab_a[both])       # (before, after) overlaps, once each
        per_old = np.bincount(pairs // n_after, minlength=max(before.count, 1))
        per_new = np.bincount(pairs % n_after, minlength=n_after)
        st.counts["splits"] += int((per_old > 1).sum())
        st.counts["coalescences"] += int((per_new > 1).sum())
        counted_before = np.bincount(lab_b[lab_b >= 0], minlength=max(before.count, 1)) > 0
        survived = np.bincount(lab_b[(lab_b >= 0) & after], minlength=max(before.count, 1)) > 0
        st.counts["collapses"] += int(counted_before.sum() - survived.sum())

    # ------------------------------------------------------------------ step size
    def step_limit_s(self, st: AreaState, now: dict) -> float:
        """The section's step limits (kmc.resolved.interface.step_limits_s) on every cell of the area;
        ``last_limits`` records each."""
        o = now["open"]
        net = moving = None
        if o.any():
            interior = o & ~self._at_edge(o)
            net = np.where(interior, now["vacancies"].capture_um_s, 0.0) - self.closing_relative_um_s(now)
            moving = o & (net != 0)
        dt, self.last_limits = step_limits_s(self.inp, st.gap_um, net, moving, st.nuclei, st.nucleus_radius_um, now)
        return dt

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

    def voids(self, st: AreaState) -> dict:
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

    def sample(self, st: AreaState, now: dict) -> dict:
        """One sample of kmc.resolved.run.AREA_OBSERVABLES."""
        inp = self.inp
        v = self.section_voids(st.gap_um)
        counted = v["width"] >= inp.min_void_width_um
        w_um, h_um = v["width"][counted], v["height"][counted]

        def q(a):
            return np.percentile(a, [0, 25, 50, 75, 100]) if a.size else np.full(5, np.nan)
        S = now["supersaturation"][~now["open"]]
        vac = now["vacancies"]
        made = float(now["injected"].mean())
        regions = label_regions(now["open"])
        lines = self.section_rows().size
        out = dict(stripped_charge=st.stripped_mAh_cm2, physical_time=st.time_s, contact_fraction=now["contact"],
                   overpotential=now["current"].overpotential_mV, kinetic_overpotential=now["current"].kinetic_mV,
                   supersaturation=float(S.mean()) if S.size else math.nan,
                   supersaturation_max=float(S.max()) if S.size else math.nan,
                   captured_fraction=float(vac.capture_um_s.mean()) / made if made > 0 else math.nan,
                   void_count=float(regions.count),
                   counted_void_count=float(self._counted(regions).sum()),
                   void_volume_per_area=float(st.gap_um.mean()),
                   section_voids_per_um=float(counted.sum() / (lines * inp.width_um)),
                   plunger_velocity_um_s=now["mechanics"].plunger_velocity_um_s,
                   recession_um_s=now["recession_um_s"], thickness_um=st.thickness_um,
                   subgrid_nuclei=float(st.nuclei.sum()), **{k: float(c) for k, c in st.counts.items()})
        for name, arr in (("width", w_um), ("height", h_um)):
            for label, value in zip(("min", "q1", "median", "q3", "max"), q(arr)):
                out[f"void_{name}_{label}"] = float(value)
        return out


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
    arrived = np.zeros((4, nz, nx))
    fill_in = np.zeros((nz, nx))
    opened_height = np.zeros((nz, nx))
    for d in range(4):
        dz, dx = steps[d]
        for z in range(nz):
            for x in range(nx):
                share = shares[d, z, x]
                if share <= 0:
                    continue
                w = share * dt / max(cell_height[z, x], 1e-12)
                if w > 1.0:                                   # beyond one cell: the edge cell deepens
                    new_gap[z, x] += (w - 1.0) * cell_height[z, x]
                    w = 1.0
                zz, xx = (z + dz) % nz, (x + dx) % nx
                arrived[d, zz, xx] = w
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
                if arrived[d, z, x] <= 0:
                    continue
                part = left * arrived[d, z, x] / fill_in[z, x]
                dz, dx = steps[d]
                zz, xx = (z + dz) % nz, (x + dx) % nx
                if open_cells[zz, xx] or opened[zz, xx]:      # met a void: deepens the opened cell
                    new_gap[z, x] += part * opened_height[z, x]
                    continue
                rim_fill[zz, xx] += part
                if rim_fill[zz, xx] >= 1.0:
                    opened[zz, xx] = True
                    new_gap[zz, xx] = opened_height[z, x] + pore[zz, xx]
                    rim_fill[zz, xx] = 0.0


def area_face_um(model: AreaInterface, assembly, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(the electrolyte face's height, the open pore's depth) per cell of the area: the section's face
    (kmc.resolved.assembly.electrolyte_face_um) on the plane.  The envelope of the particle tops is an
    isotropic self-affine surface with the section's keys (its RMS and Hurst exponent H),
    Fourier-filtered with the 2-D power spectrum C(q) ~ q^-2(1 + H) from the area's longest wavelength
    to the Nyquist wavevector, random phases from ``rng``, mean 0 (drawn first, so a dense face is the
    one of before the pores, draw for draw); the pores are the pellet's Boolean model over the area
    (kmc.physics.pores.face_pore_depth_map_um: every row has the section's stereology)."""
    nz, nx = model.shape
    h = model.inp.cell_um
    surface = np.zeros((nz, nx))
    if assembly.roughness_rms_um > 0:
        kz = 2 * math.pi * np.fft.fftfreq(nz, d=h)
        kx = 2 * math.pi * np.fft.rfftfreq(nx, d=h)
        q = np.hypot(kz[:, None], kx[None, :])
        amplitude = np.zeros(q.shape)
        amplitude[q > 0] = q[q > 0] ** (-(1 + assembly.hurst_exponent))
        spectrum = amplitude * (rng.standard_normal(q.shape) + 1j * rng.standard_normal(q.shape))
        surface = np.fft.irfft2(spectrum, s=(nz, nx))
        surface -= surface.mean()
        rms = math.sqrt(float(np.mean(surface * surface)))
        surface = surface * (assembly.roughness_rms_um / rms) if rms > 0 else surface
    phi = porosity(assembly.relative_density)
    pore = (face_pore_depth_map_um((nz, nx), h, phi, assembly.particle_diameter_um, rng) if phi > 0
            else np.zeros((nz, nx)))
    return surface - pore, pore
