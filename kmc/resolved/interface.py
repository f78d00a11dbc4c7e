"""The resolved interface (issue 47, step 4): the gap between metal and electrolyte as a field over a
periodic 2-D section (plane strain), so that voids are runs of open cells that grow, coalesce,
split and collapse by themselves.

State: the gap g (um) of every interface cell (0: the metal touches the electrolyte), sub-grid
nuclei in contact cells (count and radius per cell), the foil's thickness.  Each step, at the
fields of the step's start:

* current (kmc.resolved.fields.butler_volmer_current): Butler-Volmer on the contact cells, the
  electrolyte's constriction included, galvanostatic over the section; stripping removes
  i Omega / e of metal where the current flows and injects that volume as vacancies;
* vacancies (fields.vacancy_field): the slab's quasi-static field with sinks at the physical
  distance; each void cell captures what arrives (its wall holds c_eq), sub-grid nuclei capture
  2 pi D r (c - c_eq) each; the supersaturation is local (no single S for the width);
* mechanics (kmc.mechanics.reduced.ReducedFoil): how fast the metal closes over every open cell
  and what the contact carries, one rigid plunger over the width (with meso.ligament_strength_MPa
  > 0, a sensitivity, the islands between voids are as strong as micropillars of their width;
  sub-grid nuclei close in the bulk law either way);
* the sink share of the stripped volume (what does not go into voids) is taken from the contact
  it was made at (``sink_contraction = "interface"``): the contact recedes and the plunger, pushed
  by the stack pressure, follows it, lowering the metal over every void (Agier et al., Acta
  Mater. 240, 118303 (2022)); ``"sinks"`` takes it at the sinks instead (the foil thins there and
  nothing moves at the interface), the other end of what is known (docs/mechanics.md);
* void cells deepen by what they capture, except a void's end cells, whose capture moves the
  rim out at the rim's height (the flux to a flat void lands at its edge); surface diffusion
  relaxes each void toward its equilibrium 2-D cap (contact angle from the energy model) in
  Mullins' time;
* nucleation at the kMC's measured I(S) at each contact cell's own S, into a strip one cell
  deep (the section stands for a strip of the interface as wide as its resolution); a cell whose
  nuclei cover it opens.

Counting as the seed does: runs of open cells at least ``min_void_width_um`` wide, each with a
width and a height (the largest gap in the run); splits, coalescences, collapses by following
runs from step to step.
"""
from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field, fields, replace

import numpy as np

from kmc import units
from kmc.cell.inputs import CellInputs, cell_inputs, critical_radius_um, mullins_coefficient_um4_s
from kmc.mechanics.exact import sphere_shell_volume_rate
from kmc.mechanics.law import LigamentStrength
from kmc.mechanics.reduced import NoContactError, ReducedFoil, cells_of, run_sums, runs
from kmc.physics import nucleation, vacancy
from kmc.physics.creep import NortonLaw
from kmc.physics.nucleation import VoidCap
from kmc.physics.pore_edge import (PoreEdgeRecords, read_records, rim_capture_share, rim_retreat_share,
                                   wall_extrapolation_layers)
from kmc.physics.strength import SizeStrength
from kmc.resolved.assembly import Assembly, assembly_of
from kmc.resolved.fields import (butler_volmer_current, slab_flux_operator, slab_potential_operator,
                                 vacancy_field)
from kmc.resolved.solute import SoluteField, solute_current
from kmc.resolved.walls import grow, relax, spanned_cells, wall_traction_MPa, walls_of
from kmc.validation import Advice

SINK_CONTRACTIONS = ("interface", "sinks")
# Numerics of the step (docs/mechanics.md section 6): the expected new nuclei per cell per step
# where nucleation is fastest, and the shortest step nucleation may ask for, as a fraction of the
# largest (14 us at 0.5 mA/cm^2).  Li at 0.2 MPa, S = 134, 160 um at 0.25 um, seed 1: 210 nuclei in
# the first burst at 0.3 per cell with the 1e-3 floor (the count was the step's, not I(S)'s), 18 at
# 0.03, 5 at 0.003 and at 0.0003 (floors 1e-6, 1e-7): converged at 0.003.  Once nuclei are there a
# step may add NUCLEI_GAIN_PER_STEP of their number: Li at 1 MPa and 20 mA/cm^2 (S = 342, shipped
# inputs) gives the same run at 0.1 and 0.03 (2189 steps, 2117 nuclei, contact 0.263).
NUCLEI_PER_CELL_PER_STEP = 0.003
NUCLEI_GAIN_PER_STEP = 0.1
NUCLEATION_FLOOR_FRACTION = 1e-6


@dataclass(frozen=True, kw_only=True)
class ResolvedInputs(CellInputs):
    """Every number of a resolved run (um, s, MPa, mA/cm^2): the cell-scale inputs (kmc.cell.CellInputs)
    and the section's own; ``resolved_inputs`` says where each comes from.  Numbers only: what is
    derived from them (the creep law at the cell's temperature, the void's angle, Mullins' coefficient)
    is computed from this record, so ``dataclasses.replace`` leaves nothing stale."""
    cell_um: float
    thickness_um: float
    friction: str
    sink_contraction: str
    resistivity_ohm_um: float
    electrolyte_thickness_um: float
    size_strength: SizeStrength | None = None           # Li's size-dependent strength (None: bulk creep everywhere)
    ligament_strain_rate_per_s: float = 1e-3            # the rate the strength was measured at
    electrolyte_constriction: bool = True               # False: the electrolyte an equipotential (no Holm term)
    assembly: Assembly | None = None                    # the press before stripping (None: start in full contact)
    depth_um: float = 0.0                               # the area's depth (meso.depth_um; 0: the section)
    # the solute along the interface (kmc.resolved.solute; meso.solute_field, meso.solute_strengthening):
    # "on" with a solute, and the composition table it reads (kmc.cell.energetics.composition_table)
    solute_field: str = "off"
    solute_strengthening: str = "none"
    composition_table: tuple = ()
    # what the kMC measured at a pore's edge ([pore_edge] rows, kmc.physics.pore_edge), its times in this
    # set's box clock; None without rows (the section of before: walls take capture as they did).  Left
    # out of == (its rows are arrays).
    pore_edge: PoreEdgeRecords | None = field(default=None, compare=False)

    @property
    def cells(self) -> int:
        return int(round(self.width_um / self.cell_um))

    @property
    def law(self) -> NortonLaw:
        """The creep law at the cell's temperature (the isothermal view the mechanics solves with)."""
        return self.creep_law.at(self.temperature_K)

    @property
    def ligament_strength(self) -> LigamentStrength | None:
        """The size effect as the mechanics takes it, at the cell's temperature (None: off)."""
        if self.size_strength is None:
            return None
        return LigamentStrength(self.size_strength, self.temperature_K, self.ligament_strain_rate_per_s)

    @property
    def void_angle_rad(self) -> float:
        """The void's angle on the electrolyte, 180 deg minus the metal's wetting angle."""
        return self.shape.angle_rad

    @property
    def mullins_um4_s(self) -> float:
        """B of Mullins' time tau = (w/2)^4 / B (kmc.cell.inputs.mullins_coefficient_um4_s)."""
        return mullins_coefficient_um4_s(self)


def resolved_inputs(settings, width_um: float | None = None, cell_um: float = 0.25, friction: str = "stuck",
                    sink_contraction: str = "interface", **overrides) -> ResolvedInputs:
    """From the same settings as ``kmc meso``: the cell-scale inputs (kmc.cell.cell_inputs: D_v, c_eq,
    the sinks, the I(S) rows, the wetting angle and surface energy of the energy model, the creep law)
    and the section's own numbers."""
    if sink_contraction not in SINK_CONTRACTIONS:
        raise ValueError(f"sink_contraction {sink_contraction!r}; allowed: {', '.join(SINK_CONTRACTIONS)}")
    cell = cell_inputs(settings)
    m = settings.meso
    # Li's size-dependent strength at the cell's temperature (meso.ligament_strength_MPa = 0: off; the
    # schema and params/*.toml give the sources)
    strength = (SizeStrength(m.ligament_reference_width_um, m.ligament_strength_temperature_K, m.ligament_strength_MPa,
                             m.ligament_strength_exponent, m.ligament_strength_hot_K, m.ligament_strength_hot_MPa,
                             m.ligament_strength_hot_exponent) if m.ligament_strength_MPa > 0 else None)
    electrolyte = getattr(settings, "electrolyte", None)
    shared = {f.name: getattr(cell, f.name) for f in fields(CellInputs)}
    if width_um is not None:
        shared["width_um"] = width_um
    out = ResolvedInputs(
        **shared, cell_um=cell_um, thickness_um=settings.electrode.thickness_um, friction=friction,
        sink_contraction=sink_contraction,
        resistivity_ohm_um=units.UM_PER_CM / (settings.conditions.electrolyte_conductivity_mS_cm * units.S_PER_MS),
        electrolyte_thickness_um=settings.conditions.electrolyte_thickness_um,
        size_strength=strength, ligament_strain_rate_per_s=m.ligament_strain_rate_per_s,
        electrolyte_constriction=m.electrolyte_constriction == "on",
        assembly=assembly_of(m, electrolyte), depth_um=m.depth_um, pore_edge=_pore_edge_records(settings),
        **_solute_inputs(settings))
    return replace(out, **overrides)


def _pore_edge_records(settings) -> PoreEdgeRecords | None:
    """The [pore_edge] rows in the clock of this set's box (None without rows); rows that do not fit
    together refused in one line."""
    from kmc.cell.inputs import CellInputError
    from kmc.model import box_hop_prefactor_Hz
    try:
        records = read_records(getattr(settings, "pore_edge", None))
    except ValueError as exc:
        raise CellInputError(str(exc)) from None
    return None if records is None else records.in_clock(box_hop_prefactor_Hz(settings))


def _solute_inputs(settings) -> dict:
    """The solute field's keys and table (none without a solute: the field is off)."""
    if settings.composition.solute_fraction <= 0:
        return {}
    from kmc.cell.energetics import interface_energetics
    return dict(solute_field=settings.meso.solute_field, solute_strengthening=settings.meso.solute_strengthening,
                composition_table=interface_energetics(settings).composition_table)


@dataclass
class InterfaceState:
    gap_um: np.ndarray                    # per cell
    nuclei: np.ndarray                    # sub-grid nuclei per contact cell
    nucleus_radius_um: np.ndarray         # their (common) base radius per cell
    thickness_um: float
    rim_fill: np.ndarray = None           # part of a contact cell a neighbouring rim has emptied (0..1)
    pore_um: np.ndarray = None            # depth of the electrolyte's open pore under each cell (0: dense face)
    time_s: float = 0.0
    stripped_mAh_cm2: float = 0.0
    counts: dict = field(default_factory=lambda: dict(splits=0, coalescences=0, collapses=0, nucleated=0,
                                                      opened_by_nuclei=0))
    solute: object = None                 # kmc.resolved.solute.SoluteState (None without the solute field)
    rewet: np.ndarray = None              # part of an open end cell its retracting contact line has re-wetted (0..1)


class ResolvedInterface:
    """The time loop's operators for one set of inputs (built once: the slab operators, the
    mechanics table)."""

    def __init__(self, inp: ResolvedInputs, mechanics: ReducedFoil | None = None):
        self.inp = inp
        n = inp.cells
        self.K = slab_flux_operator(n, inp.cell_um, inp.sink_distance_um)
        self.R = slab_potential_operator(n, inp.cell_um, inp.electrolyte_thickness_um)
        self.mechanics = mechanics or ReducedFoil(inp.law, n, inp.cell_um, inp.friction,
                                                  ligament_strength=inp.ligament_strength)
        self.rng = np.random.default_rng(inp.seed)
        self._last_concentration = None       # the vacancy solve's warm start
        self._cap = VoidCap(inp.void_angle_rad)
        self._nucleation = nucleation.MeasuredRateTable(inp.measured_nucleation)
        self.solute = (SoluteField(inp.solute_fraction, inp.solute_diffusivity_per_vacancy_um2_s,
                                   inp.vacancy_equilibrium_fraction, inp.composition_table, inp.cell_um,
                                   inp.law.stress_exponent, inp.solute_strengthening)
                       if inp.solute_field == "on" and inp.solute_fraction > 0 and inp.strip_velocity_um_s > 0
                       else None)          # nothing gathers without a current (the assembly's press)

    def initial_state(self, gap_um: np.ndarray | None = None, pore_um: np.ndarray | None = None) -> InterfaceState:
        """A state of these gaps over a face with these open pores (None: none)."""
        inp = self.inp
        n = inp.cells
        solute_state = None
        if self.solute is not None:
            S = vacancy.supersaturation(inp.strip_velocity_um_s, inp.sink_distance_um, inp.vacancy_diffusivity_um2_s,
                                        inp.vacancy_equilibrium_fraction)
            solute_state = self.solute.initial_state(n, S, inp.strip_velocity_um_s)
        return InterfaceState(np.zeros(n) if gap_um is None else np.asarray(gap_um, float).copy(),
                              np.zeros(n), np.zeros(n), inp.thickness_um, np.zeros(n),
                              np.zeros(n) if pore_um is None else np.asarray(pore_um, float).copy(),
                              solute=solute_state, rewet=np.zeros(n))

    def walls(self, st: InterfaceState, alloy=None) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the Laplace traction of its void's wall, and whether its void is a hole of the
        face the metal still spans (kmc.resolved.walls); over an alloy (kmc.resolved.solute's
        factors), each wall's surface energy at the mean composition below it."""
        inp = self.inp
        walls = walls_of(st.gap_um, st.pore_um, inp.cell_um)
        gamma = inp.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2
        if alloy is not None and walls.starts.size:
            gamma = run_sums(alloy.surface_energy_J_m2, walls.starts, walls.widths) / walls.widths
        return (wall_traction_MPa(walls, inp.cells, inp.cell_um, gamma), spanned_cells(walls, st.pore_um))

    # ------------------------------------------------------------------ rates at one instant
    def nucleation_rate_per_um2_s(self, supersaturation: np.ndarray) -> np.ndarray:
        """The cell's I(S): the kMC's measured rows (kmc.physics.nucleation.MeasuredRateTable), 0 at S <= 1."""
        return self._nucleation.rate_per_um2_s(supersaturation)

    def rates(self, st: InterfaceState) -> dict:
        inp = self.inp
        h = inp.cell_um
        open_cells = st.gap_um > 0
        alloy = self.solute.factors(st.solute) if self.solute is not None else None
        if alloy is None:
            cur = butler_volmer_current(self.R, inp.resistivity_ohm_um, inp.exchange_current_mA_cm2, inp.temperature_K,
                                        inp.current_mA_cm2, open_cells, constriction=inp.electrolyte_constriction)
        else:
            cur = solute_current(self.R, inp.resistivity_ohm_um, inp.exchange_current_mA_cm2, inp.temperature_K,
                                 inp.current_mA_cm2, open_cells, alloy, constriction=inp.electrolyte_constriction)
        injected = inp.strip_velocity_um_s * cur.current_mA_cm2 / max(inp.current_mA_cm2, 1e-300)
        # sub-grid nuclei: a cap of base radius r on the plane takes 2 pi D r (c - c_eq); per area of
        # the cell's strip (h x h) that is a conductance 2 pi n r / h^2
        g_sub = np.where(open_cells, 0.0,
                         vacancy.CAP_CAPTURE_PER_RADIUS * st.nuclei * st.nucleus_radius_um / (h * h))
        vac = vacancy_field(self.K, inp.vacancy_diffusivity_um2_s, inp.vacancy_equilibrium_fraction,
                            inp.sink_supersaturation, open_cells, injected, g_sub, inp.sink_distance_um,
                            guess=self._last_concentration)
        self._last_concentration = vac.concentration
        traction, spanned = self.walls(st, alloy)
        mech = self.mechanics.respond(open_cells, inp.pressure_MPa, st.thickness_um, traction, spanned)
        contact = (~open_cells).mean()
        if inp.sink_contraction == "interface":
            recession = vac.to_sinks_um_s / contact           # the contact recedes, the foil follows
        else:
            recession = 0.0
        S = vac.concentration / inp.vacancy_equilibrium_fraction
        return dict(open=open_cells, current=cur, injected=injected, vacancies=vac, mechanics=mech,
                    traction=traction, spanned=spanned, recession_um_s=recession, supersaturation=S, contact=contact,
                    solute=alloy,
                    nucleation=np.where(open_cells, 0.0, self.nucleation_rate_per_um2_s(S)) * h * h)

    # ------------------------------------------------------------------ one step
    def step(self, st: InterfaceState, now: dict, dt: float) -> None:
        inp = self.inp
        h = inp.cell_um
        open_cells = now["open"]
        # the roof's closing relative to the plunger (explicit) plus the contact's recession; the
        # plunger's own descent is applied implicitly after the explicit changes (below)
        mech = now["mechanics"]
        closing = self.closing_relative_um_s(now)
        # capture: what lands near a wall moves its contact line, the rest deepens the roof (kmc.resolved.walls)
        # (over an alloy, each void's cap and B at the composition below it)
        alloy = now.get("solute")
        local = None if alloy is None else (lambda cells: self._local_cap(alloy, cells))
        # a contact line at a pore's rim retreats by the share the kMC's rim lets it, at each cell's own S
        retreat = (None if inp.pore_edge is None else
                   rim_retreat_share(inp.pore_edge.at("rim_refill_probability", now["supersaturation"])[0]))
        new_gap = grow(st.gap_um, st.pore_um, st.rim_fill, open_cells, now["vacancies"].capture_um_s, closing, dt, h,
                       inp.mullins_um4_s, self._cap, local, retreat)
        # the plunger lowers the metal over every void that takes its descent (not over the holes held in
        # its islands, kmc.mechanics.reduced)
        lowered = ~mech.held
        descent = self._plunger_descent(np.where(lowered, np.maximum(new_gap, 0.0), 0.0), dt, st.thickness_um,
                                        now["traction"], now["spanned"])
        new_gap[lowered] -= descent
        new_gap = np.maximum(new_gap, 0.0)
        new_gap[new_gap < 1e-7] = 0.0
        # surface diffusion: every void's wall relaxes toward the cap of its area at the Young angle
        # (kmc.resolved.walls); one too narrow for a cell becomes a sub-grid nucleus of its volume
        if st.rewet is None:
            st.rewet = np.zeros(inp.cells)
        shrunk = relax(new_gap, st.pore_um, st.rim_fill, dt, h, self._cap, inp.mullins_um4_s, local, st.rewet)
        # sub-grid nuclei in contact cells: grow by capture, close as a cavity in the contact's
        # hydrostatic pressure (the exact sphere rate, PHYSICS.md section 7), nucleate
        births = self.rng.poisson(now["nucleation"] * dt)
        nucleated, opened = step_subgrid_nuclei(inp, self._cap, st.nuclei, st.nucleus_radius_um, open_cells,
                                                new_gap, now, births, dt, shrunk)
        st.counts["nucleated"] += nucleated
        st.counts["opened_by_nuclei"] += opened
        nn, r = st.nuclei, st.nucleus_radius_um
        nn[new_gap > 0] = 0
        r[new_gap > 0] = 0.0
        st.rim_fill[new_gap > 0] = 0.0
        st.rewet[new_gap == 0] = 0.0
        self._count_events(st, open_cells, new_gap > 0)
        st.gap_um = new_gap
        st.time_s += dt
        st.stripped_mAh_cm2 += inp.current_mA_cm2 * dt / units.S_PER_H
        st.thickness_um -= inp.strip_velocity_um_s * dt
        if self.solute is not None:
            st.solute = self.solute.step(st.solute, now["injected"], now["supersaturation"], dt)

    @staticmethod
    def closing_relative_um_s(now: dict) -> np.ndarray:
        """Per open cell, how fast its gap closes apart from the plunger's implicit descent: the roof
        relative to the plunger over a void that takes the descent, its own closing over a hole held in
        an island; plus the contact's recession (the foil follows it over every void)."""
        mech = now["mechanics"]
        plunger = abs(mech.plunger_velocity_um_s)
        own = np.where(mech.held, mech.closing_velocity_um_s, mech.closing_velocity_um_s - plunger)
        if now.get("solute") is not None:
            own = own * now["solute"].creep_factor      # 1 unless meso.solute_strengthening bounds it
        return np.where(now["open"], own, 0.0) + now["recession_um_s"]

    def _plunger_descent(self, gap: np.ndarray, dt: float, thickness_um: float, traction=None, spanned=None) -> float:
        """How far the plunger lowers the metal in dt, implicitly: delta = dt |V(map(delta))|, the
        map being the cells still open after every gap is lowered by delta.  |V| falls as the
        contact grows (as contact^-n near a punch), so an explicit step overshoots: narrow islands
        push the metal down fast, gaps close, and the next step's V is orders of magnitude smaller.
        V is constant between consecutive gap values, so the fixed point is found by bisection on
        how many of the shallowest open cells close (~log2 N operator calls)."""
        inp = self.inp
        open_now = gap > 0
        if not open_now.any():
            return 0.0
        order = np.argsort(gap[open_now])
        levels = gap[open_now][order]
        idx = np.flatnonzero(open_now)[order]

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

    def _count_events(self, st: InterfaceState, before: np.ndarray, after: np.ndarray) -> None:
        """Splits, coalescences and collapses of counted voids (runs at least min_void_width_um
        wide, as the seed counts them) from the overlap of runs before and after a step: a
        counted void overlapping two counted voids after the step split; two counted voids
        overlapping one coalesced; a counted void overlapping nothing collapsed."""
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

    # ------------------------------------------------------------------ step size
    def step_limit_s(self, st: InterfaceState, now: dict) -> float:
        """The next step (s): the largest that keeps every explicit change small (step_limits_s);
        ``last_limits`` records each limit's value (what bound the step)."""
        inp = self.inp
        o = now["open"]
        net = moving = None
        if o.any():
            starts, widths = runs(o)
            ends = np.concatenate([starts, (starts + widths - 1) % inp.cells])
            interior = o.copy()
            interior[ends] = False
            # end cells' capture goes to their walls
            net = np.where(interior, now["vacancies"].capture_um_s, 0.0) - self.closing_relative_um_s(now)
            moving = o & (net != 0)
        dt, self.last_limits = step_limits_s(inp, st.gap_um, net, moving, st.nuclei, st.nucleus_radius_um, now)
        return dt

    # ------------------------------------------------------------------ observables
    def voids(self, st: InterfaceState) -> dict:
        """The section's voids (runs of open cells): centre, width, height (the largest gap), um."""
        h, n = self.inp.cell_um, self.inp.cells
        starts, widths = runs(st.gap_um > 0)
        heights = np.array([st.gap_um[(s0 + np.arange(w)) % n].max() for s0, w in zip(starts, widths)])
        centre = ((starts + 0.5 * widths) * h) % self.inp.width_um
        return dict(x=centre.astype(float), width=(widths * h).astype(float), height=heights.astype(float))

    def sample(self, st: InterfaceState, now: dict) -> dict:
        """One sample of kmc.resolved.run.OBSERVABLES."""
        inp = self.inp
        v = self.voids(st)
        counted = v["width"] >= inp.min_void_width_um
        w_um, h_um = v["width"][counted], v["height"][counted]

        def q(a):
            return np.percentile(a, [0, 25, 50, 75, 100]) if a.size else np.full(5, np.nan)
        S = now["supersaturation"][~now["open"]]
        vac = now["vacancies"]
        made = float(now["injected"].mean())
        out = dict(stripped_charge=st.stripped_mAh_cm2, physical_time=st.time_s, contact_fraction=now["contact"],
                   overpotential=now["current"].overpotential_mV, kinetic_overpotential=now["current"].kinetic_mV,
                   supersaturation=float(S.mean()) if S.size else math.nan,
                   supersaturation_max=float(S.max()) if S.size else math.nan,
                   captured_fraction=float(vac.capture_um_s.mean()) / made if made > 0 else math.nan,
                   void_count=float(v["width"].size),
                   void_volume_per_area=float(st.gap_um.sum() * inp.cell_um / inp.width_um),
                   section_voids_per_um=float(counted.sum() / inp.width_um),
                   plunger_velocity_um_s=now["mechanics"].plunger_velocity_um_s,
                   recession_um_s=now["recession_um_s"], thickness_um=st.thickness_um,
                   subgrid_nuclei=float(st.nuclei.sum()), **{k: float(c) for k, c in st.counts.items()})
        for name, arr in (("width", w_um), ("height", h_um)):
            for label, value in zip(("min", "q1", "median", "q3", "max"), q(arr)):
                out[f"void_{name}_{label}"] = float(value)
        return out


def largest_step_s(inp: ResolvedInputs) -> float:
    """The longest step (s): meso.max_step_mAh_cm2 of charge at the run's current (60 s without one)."""
    return inp.max_step_mAh_cm2 * units.S_PER_H / inp.current_mA_cm2 if inp.current_mA_cm2 > 0 else 60.0


def shortest_step_s(inp: ResolvedInputs) -> float:
    """The shortest step physics may ask of the section (step_limit_s: nucleation's floor), the finest
    time it resolves."""
    return NUCLEATION_FLOOR_FRACTION * largest_step_s(inp)


def step_limits_s(inp: ResolvedInputs, gap: np.ndarray, net, moving, nuclei: np.ndarray, radius_um: np.ndarray,
                  now: dict) -> tuple[float, dict]:
    """The step of the section and of the area (s) and each limit's value: ``net`` the open cells'
    explicit gap change (capture into the interior, less the roof's closing relative to the plunger;
    None without open cells), ``moving`` the open cells where it is nonzero; ``nuclei`` and
    ``radius_um`` the sub-grid nuclei; ``now`` the step's rates."""
    limits = {}
    largest = largest_step_s(inp)
    dt = largest
    if moving is not None and moving.any():
        # an open cell's gap changes by at most a quarter (+ 10 nm) per step (the plunger's own
        # descent is implicit)
        limits["gap"] = float(np.min((0.25 * gap[moving] + 0.01) / np.abs(net[moving])))
        dt = min(dt, limits["gap"])
    has = nuclei > 0
    if has.any():
        c = now["vacancies"].concentration[has]
        growth = (vacancy.CAP_CAPTURE_PER_RADIUS * inp.vacancy_diffusivity_um2_s * (c - inp.vacancy_equilibrium_fraction)
                  / np.maximum(radius_um[has] ** 2, 1e-12))       # ~ d ln r / dt x (r^3 / V)
        limits["nuclei"] = float(0.2 / max(growth.max(), 1e-300))
        dt = min(dt, limits["nuclei"])
    # a floor (1e-3 of the largest step, 14 ms at 0.5 mA/cm^2) against a cell whose gap is about to
    # vanish under a fast roof; the plunger is implicit and each rim moves at most one cell per step,
    # which is what keeps the near-punch regime stable
    dt = max(dt, 1e-3 * largest)
    # nucleation: so that the nuclei a step makes feel the field they lower (S falls from 134 to ~2
    # once they grow), a step adds at most NUCLEI_PER_CELL_PER_STEP new nuclei per cell where
    # nucleation is fastest, or, once nuclei are there, NUCLEI_GAIN_PER_STEP of their number over the
    # interface (a population that collapses as fast as it forms, at 7 MPa, then takes steps of its
    # own size); the floor above does not override it (it guards a closing roof, not a burst), only
    # NUCLEATION_FLOOR_FRACTION of the largest step does
    peak = float(now["nucleation"].max()) if now["nucleation"].size else 0.0
    if peak > 0:
        limits["nucleation"] = max(NUCLEI_PER_CELL_PER_STEP / peak,
                                   NUCLEI_GAIN_PER_STEP * float(nuclei.sum()) / float(now["nucleation"].sum()))
        dt = min(dt, max(limits["nucleation"], NUCLEATION_FLOOR_FRACTION * largest))
    return dt, limits


# What the section takes from each [pore_edge] record (docs/pore_edge.md section 8), for the run file
PORE_EDGE_USE = ("rim_refill_probability: the contact line's pin at a pore's rim over a void wider than its cap, "
                 "capture on that wall goes into the pore's metal but for kmc.physics.pore_edge.rim_retreat_share "
                 "(kmc.resolved.walls.grow, at each rim's local S); wall_capture_probability, capture_length_nm, rim_refill_time_s: checked "
                 "at run start (the wall a perfect sink at c_eq, the contact layers' capture within a cell, the "
                 "refill within the shortest step); rim_capture_probability: recorded (the capture profile at "
                 "the rim, which capture_length_nm's fit includes)")


def pore_edge_advice(inp: ResolvedInputs, lattice_constant_A: float) -> list[Advice]:
    """The warnings for [pore_edge] records that break what the section assumes of a pore's edge, each
    at its worst row (the run's local S lies among the rows or beyond them, where the nearest holds):
    the pore's wall a perfect sink (c = c_eq: its extrapolation length, at most a lattice constant per
    layer, below a cell), the contact layers' capture toward a rim within the cell next to it, and a gap
    at the rim refilled within the shortest step (the pin instantaneous).  Empty without rows."""
    rec = inp.pore_edge
    if rec is None:
        return []
    out = []
    cell_nm = inp.cell_um * units.NM_PER_UM
    rows = "pore_edge rows, as kmc rates PARAMS --write-edge FILE measures them for this set"
    P, P_err, S = rec.worst("wall_capture_probability", largest=False)
    reach_nm = float(wall_extrapolation_layers(P)) * lattice_constant_A / units.A_PER_NM
    if reach_nm >= cell_nm:
        out.append(Advice("pore_edge.wall_capture_probability",
                          f"pore_edge.wall_capture_probability = {P:g} +- {P_err:g} (S = {S:g}): the pore's wall "
                          f"holds vacancies back over ~{reach_nm:.3g} nm, not below the section's {cell_nm:g} nm "
                          "cell, where kmc meso takes every void's wall as a perfect sink (c = c_eq)",
                          f"{rows} (a wall that draws vacancies in, P >= 2/3) would satisfy it; an attachment "
                          "barrier at the cell's scale is not built"))
    ell, ell_err, S = rec.worst("capture_length_nm", largest=True)
    if ell >= cell_nm:
        out.append(Advice("pore_edge.capture_length_nm",
                          f"pore_edge.capture_length_nm = {ell:g} +- {ell_err:g} (S = {S:g}): the contact layers "
                          f"carry stripped vacancies to a pore's rim from farther than the section's {cell_nm:g} nm "
                          "cell, which kmc meso's field, injecting them into the metal where they are made, does "
                          "not carry",
                          f"{rows} (a length below a cell) would satisfy it; the contact layers' lateral path at "
                          "the cell's scale is not built"))
    t, t_err, S = rec.worst("rim_refill_time_s", largest=True)
    floor = shortest_step_s(inp)
    if t >= floor:
        out.append(Advice("conditions.current_density_mA_cm2",
                          f"pore_edge.rim_refill_time_s = {t:.3g} +- {t_err:.2g} s (S = {S:g}, this set's clock) "
                          f"is not below kmc meso's shortest step ({floor:.3g} s at {inp.current_mA_cm2:g} mA/cm^2): "
                          "a gap at a pore's rim stays open over steps, where the section pins the contact line "
                          "at once",
                          f"conditions.current_density_mA_cm2 <= {inp.current_mA_cm2 * floor / t:.3g} would satisfy "
                          "it, at the cost of answering for that current"))
    return out


def pore_edge_record(inp: ResolvedInputs) -> dict:
    """The [pore_edge] records the section used, for the run file's /parameters/derived: the rows (S,
    value, error; times in this set's clock), what the section took from each row (the rim's retreat
    share; the wall's extrapolation length in layers; the share of a rim cell's stripping the contact
    layers carry in) and how it used each record.  Empty without rows."""
    rec = inp.pore_edge
    if rec is None:
        return {}
    out = {"pore_edge_supersaturation": rec.supersaturation, "pore_edge_hop_prefactor_Hz": rec.hop_prefactor_Hz,
           "pore_edge_use": PORE_EDGE_USE}
    for name in rec.values:
        out[f"pore_edge_{name}"] = rec.values[name]
        out[f"pore_edge_{name}_error"] = rec.errors[name]
    out["pore_edge_rim_retreat_share"] = rim_retreat_share(rec.values["rim_refill_probability"])
    out["pore_edge_wall_extrapolation_layers"] = wall_extrapolation_layers(rec.values["wall_capture_probability"])
    out["pore_edge_rim_capture_share"] = rim_capture_share(rec.values["capture_length_nm"],
                                                           inp.cell_um * units.NM_PER_UM)
    return out


def _labels(open_cells: np.ndarray, min_cells: int = 1) -> np.ndarray:
    """Run label of every cell of a run at least ``min_cells`` long (periodic), -1 elsewhere."""
    lab = np.full(open_cells.size, -1)
    starts, widths = runs(open_cells)
    kept = np.flatnonzero(widths >= min_cells)
    which, offsets = cells_of(widths[kept])
    lab[(starts[kept][which] + offsets) % open_cells.size] = kept[which]
    return lab


def implicit_descent_um(levels: np.ndarray, dt: float, speed) -> float:
    """How far the plunger lowers the metal in dt, implicitly: delta = dt |V(map after lowering by
    delta)|, where lowering closes the open cells shallower than delta (``levels``: their gaps, rising)
    and ``speed(k)`` is |V| with the k shallowest closed.  k is the smallest with dt V_k < levels[k] (the
    next cell to close stays open; V_k falls and levels rise with k): bracketed from below by doubling,
    then bisected, each k asked once.  A step closes few cells (0-6 of ~540 open in the shipped Li-Mg
    section at 50 MPa), so that takes ~2 log2 k calls of ``speed`` where bisecting all the open cells took
    log2 N (~10)."""
    speed = functools.lru_cache(maxsize=None)(speed)
    n_open = levels.size
    v0 = speed(0)
    if dt * v0 < levels[0]:
        return dt * v0
    lo, hi = 0, 1
    while hi < n_open and not dt * speed(hi) < levels[hi]:
        lo, hi = hi, 2 * hi
    hi = min(hi, n_open)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if dt * speed(mid) < levels[mid]:
            hi = mid
        else:
            lo = mid
    k = hi
    return max(levels[k - 1], dt * speed(k)) if k < n_open else levels[-1]


def step_subgrid_nuclei(inp, cap: VoidCap, nn: np.ndarray, r: np.ndarray, open_cells: np.ndarray,
                        new_gap: np.ndarray, now: dict, births: np.ndarray, dt: float, shrunk=()) -> tuple[int, int]:
    """The sub-grid nuclei of contact cells over dt, in place on ``nn`` (nuclei per cell), ``r`` (their
    radius, um) and ``new_gap`` (the section's cells or the area's, any shape): grow by capture, close as
    a cavity in the contact's hydrostatic pressure (the exact sphere rate, PHYSICS.md section 7), take
    the voids surface diffusion shrank below a cell (``shrunk``: (cell index, volume um^3)), gain the
    step's ``births`` (drawn by the caller at I(S) dt); a cell whose nuclei cover it opens, their volume
    its gap.  Returns (nuclei born, cells opened)."""
    h, law, kv = inp.cell_um, inp.law, cap.volume_per_radius3
    c = now["vacancies"].concentration
    has = (nn > 0) & ~open_cells
    if has.any():
        vol = kv * r[has] ** 3
        gained = vacancy.cap_capture_rate(inp.vacancy_diffusivity_um2_s, r[has], c[has],
                                          inp.vacancy_equilibrium_fraction) * dt
        p = np.maximum(now["mechanics"].contact_pressure_MPa[has], 0.0)
        shrink = -sphere_shell_volume_rate(p, 1.0, math.inf, law.stress_exponent, law.reference_stress_MPa,
                                           law.reference_strain_rate_per_s)
        vol = np.maximum(vol + gained, 0.0) * np.exp(-shrink * dt)
        r[has] = (vol / kv) ** (1 / 3)
        gone = r < 1e-3
        nn[gone] = 0
        r[gone] = 0.0
    for cell, volume in shrunk:
        total = nn[cell] * kv * r[cell] ** 3 + volume
        nn[cell] += 1
        r[cell] = (total / (nn[cell] * kv)) ** (1 / 3)
    nucleated = 0
    born = (births > 0) & ~open_cells
    if born.any():
        # a new nucleus: twice the critical radius at the cell's S, at least 2 nm (the disc model's rule)
        S = np.maximum(now["supersaturation"][born], 1.0 + 1e-9)
        r_new = np.maximum(2 * np.array([critical_radius_um(inp, x) for x in S]), 2e-3)
        total = nn[born] * r[born] ** 3 + births[born] * r_new ** 3
        nn[born] += births[born]
        r[born] = (total / nn[born]) ** (1 / 3)
        nucleated = int(births[born].sum())
    # a cell whose nuclei cover it opens, their volume its gap
    full = (~open_cells) & (nn * math.pi * r ** 2 >= h * h) & (new_gap == 0)
    if full.any():
        new_gap[full] = nn[full] * kv * r[full] ** 3 / (h * h)
        nn[full] = 0
        r[full] = 0.0
    return nucleated, int(full.sum())
