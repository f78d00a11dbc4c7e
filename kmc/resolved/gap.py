"""The gap model (docs/mechanics.md section 5, docs/area.md): the gap between metal and
electrolyte as a field over interface cells, so that voids are connected open cells that grow, coalesce,
split and collapse by themselves.  One model in two geometries, each a subclass that overrides only what
its geometry changes (how voids are labelled, their walls, the plunger's descent, the face and the
press's operator): the section (kmc.resolved.section, a periodic line of cells, plane strain) and the
area (kmc.resolved.area, a periodic plane of cells).  Written once here, for both:

* current (kmc.resolved.fields.butler_volmer_current, or kmc.resolved.solute's over an alloy): Butler-Volmer
  on the contact cells, the electrolyte's constriction included, galvanostatic over the interface;
  stripping removes i Omega / e of metal where the current flows and injects that volume as vacancies;
* vacancies (fields.vacancy_field): the slab's quasi-static field with sinks at the physical distance;
  each void cell captures what arrives (its wall holds c_eq), sub-grid nuclei capture 2 pi D r (c - c_eq)
  each; the supersaturation is local (no single S for the interface);
* the contact as a vacancy sink (docs/mechanics.md §10.2): every contact cell annihilates kappa (c - c_eq) of volume per
  area (electrode.contact_sink_rate_m_s; kmc.physics.vacancy.contact_annihilation_velocity), a Robin
  condition of the vacancy field beside the sub-grid nuclei's;
* mechanics (the geometry's reduced operator, kmc.mechanics): how fast the metal closes over every open
  cell and what the contact carries, one rigid plunger over the interface, with Li's flow law
  (kmc.physics.flow, the [flow] keys; kmc.mechanics.law.FeatureStrength) at each island's and held pore's
  width, its diffusional branch bounded by the contact's sink; sub-grid nuclei close as cavities in the
  same law at their own size;
* what does not go into voids: the contact's annihilation is taken where it happens, at the contact, which
  recedes while the plunger, pushed by the stack pressure, follows it, lowering the metal over every void
  (Agier et al., Acta Mater. 240, 118303 (2022)); the share that reaches the sinks 100 um away is taken
  there too (``sink_contraction = "interface"``) or at the sinks (``"sinks"``: the foil thins there and
  nothing moves at the interface), the other end of what is known (docs/mechanics.md);
* the step: capture moves the voids' walls (the geometry's rule: a void's edge cells move its contact
  line at the rim's height, a contact line at a pore's rim retreats by the share the kMC's [pore_edge]
  rim lets it), the plunger lowers the metal implicitly, surface diffusion relaxes each void toward its
  equilibrium cap in Mullins' time (the geometry's rule), sub-grid nuclei grow, close and are born at
  the kMC's measured I(S) at each contact cell's own S (a cell whose nuclei cover it opens; kmc.resolved.nuclei,
  where a fast nucleus is integrated on its own within the step), and the
  solute along the interface (kmc.resolved.solute; on the section's line and the area's plane) follows the
  stripping;
* the step control (``step_limits_s``) and the sampling: SEM-like sections through the interface, runs of
  open cells at least ``min_void_width_um`` wide, each with a width and a height (the largest gap of the
  run); splits, coalescences, collapses by following voids from step to step.

What a geometry cannot do it refuses when built (``solute_field``: a geometry that does not carry the Mg
field refuses an alloy run with it on).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, fields, replace

import numpy as np

from kmc import units
from kmc.cell.inputs import CellInputError, CellInputs, cell_inputs, mullins_coefficient_um4_s
from kmc.cell.model import CellModel, ContactLost, RunawayBounds, Unconverged, runaway_bounds
from kmc.mechanics.law import FeatureStrength
from kmc.mechanics.reduced import NoContactError
from kmc.physics import nucleation, vacancy
from kmc.physics.creep import NortonLaw
from kmc.physics.flow import EMBEDDED, FlowLaw
from kmc.physics.nucleation import VoidCap
from kmc.physics.pore_edge import PoreEdgeRecords, read_records, rim_retreat_share
from kmc.resolved.assembly import Assembly, PressedFace, assembly_of
from kmc.resolved.fields import (FieldNotConverged, butler_volmer_current, slab_flux_operator, slab_potential_operator,
                                 vacancy_field)
from kmc.resolved.edge_records import pore_edge_advice, pore_edge_record
from kmc.resolved.solute import SoluteField, solute_current
from kmc.resolved.nuclei import (FastNuclei, cover_time_s, fast_nuclei, poisson_where_positive,
                                step_subgrid_nuclei)
from kmc.resolved.step_control import allowed_gap_change_um, clear_by_gap, lower_by, step_limits_s, stop_at_face_and_room
from kmc.vocabulary import PERCENTILES, Quantity, registry, shared

SINK_CONTRACTIONS = ("interface", "sinks")
# The runaway stop's contact step: a run taking more steps than if its contact crossed its whole range in
# steps of 0.3 % in every interval of meso.max_step_mAh_cm2 and every sample is grinding (the bound kmc meso
# has held every model's runs to; kmc.cell.model.runaway_bounds)
RUNAWAY_CONTACT_STEP = 0.003
# the gap field is kept before stripping (charge 0, what the assembly left), at these charges (seed 004
# Fig. 1's frames) and at the end
FRAME_CHARGES_mAh_cm2 = (0.05, 0.25, 0.5, 1.0, 1.25, 2.0, 4.0)
# The gap field's cell (um): the lateral resolution of the face (kmc.resolved.assembly) and of every field
CELL_UM = 0.25


@dataclass(frozen=True, kw_only=True)
class GapInputs(CellInputs):
    """Every number of a gap-model run (um, s, MPa, mA/cm^2): the cell-scale inputs (kmc.cell.CellInputs)
    and the gap model's own; ``gap_inputs`` says where each comes from.  Numbers only: what is derived
    from them (the creep law at the cell's temperature, the void's angle, Mullins' coefficient) is computed
    from this record, so ``dataclasses.replace`` leaves nothing stale."""
    cell_um: float
    thickness_um: float
    friction: str
    sink_contraction: str
    resistivity_ohm_um: float
    electrolyte_thickness_um: float
    lattice_constant_A: float                           # the kMC lattice's (the [pore_edge] records' layers)
    flow: FlowLaw | None = None                         # Li's flow law at the cell's temperature (None: the bulk law)
    interface_features: str = EMBEDDED                  # the law's kind of the islands and pores (flow.interface_features)
    electrolyte_constriction: bool = True               # False: the electrolyte an equipotential (no Holm term)
    assembly: Assembly | None = None                    # the press before stripping (None: start in full contact)
    depth_um: float = 0.0                               # the area's depth (meso.depth_um; 0: a section)
    # the solute along the interface (kmc.resolved.solute; meso.solute_field, meso.solute_strengthening):
    # "on" with a solute, and the composition table it reads (kmc.energetics.composition_table)
    solute_field: str = "off"
    solute_strengthening: str = "none"
    composition_table: tuple = ()
    # what the kMC measured at a pore's edge ([pore_edge] rows, kmc.physics.pore_edge), its times in this
    # set's box clock; None without rows (walls take capture as they did before).  Left out of == (its rows
    # are arrays).
    pore_edge: PoreEdgeRecords | None = field(default=None, compare=False)

    @property
    def cells(self) -> int:
        """Cells along the width."""
        return int(round(self.width_um / self.cell_um))

    @property
    def law(self) -> NortonLaw:
        """The creep law at the cell's temperature (the isothermal view the mechanics solves with)."""
        return self.creep_law.at(self.temperature_K)

    def feature_strength(self, pressing: bool = False) -> FeatureStrength | None:
        """Li's flow law as the mechanics takes it (kmc.mechanics.law.FeatureStrength) at the rate that decides
        a feature: keeping pace with the stripping, or (``pressing``) filling within the press's time; None
        where it is the bulk law itself: no flow law, or no size effect, no solid solution and no sink (so
        such a run is the bulk law's bit for bit)."""
        f = self.flow
        if f is None:
            return None
        plain = (self.interface_features == EMBEDDED and f.strain_gradient_length_um == 0 and f.onset is None
                 and (f.solute_coefficient == 0 or f.solute_fraction == 0) and not f.solute_rate_rows)
        if plain and self.contact_sink_rate_um_s == 0:
            return None
        press_rate = 1.0 / self.assembly.time_s if self.assembly is not None and self.assembly.time_s > 0 else 1.0
        return FeatureStrength(f, self.contact_sink_rate_um_s, 0.0 if pressing else self.strip_velocity_um_s,
                               press_rate, self.interface_features)

    @property
    def void_angle_rad(self) -> float:
        """The void's angle on the electrolyte, 180 deg minus the metal's wetting angle."""
        return self.shape.angle_rad

    @property
    def wetting_angle_deg(self) -> float:
        """The metal's Young angle on the electrolyte (deg; kmc.physics.nucleation.VoidCap's convention)."""
        return self.shape.wetting_angle_deg

    @property
    def mullins_um4_s(self) -> float:
        """B of Mullins' time tau = (w/2)^4 / B (kmc.cell.inputs.mullins_coefficient_um4_s)."""
        return mullins_coefficient_um4_s(self)


def gap_inputs(settings, energetics, width_um: float | None = None, cell_um: float = CELL_UM, friction: str = "stuck",
               sink_contraction: str = "interface", **overrides) -> GapInputs:
    """From the same settings as ``kmc meso`` and the interface's energetics (kmc.energetics): the cell-scale
    inputs (kmc.cell.cell_inputs: D_v, c_eq, the sinks, the I(S) rows, the wetting angle and surface energy,
    the creep law) and the gap model's own numbers."""
    if sink_contraction not in SINK_CONTRACTIONS:
        raise ValueError(f"sink_contraction {sink_contraction!r}; allowed: {', '.join(SINK_CONTRACTIONS)}")
    from kmc.model import flow_law
    cell = cell_inputs(settings, energetics)
    m = settings.meso
    if not hasattr(settings, "flow"):
        raise CellInputError(f"{settings.source}: no [flow] table, which the gap model's mechanics reads (Li's flow "
                             "law, kmc.physics.flow); allowed: a parameter file with one, e.g. params/li_li2s.toml")
    electrolyte = getattr(settings, "electrolyte", None)
    shared_numbers = {f.name: getattr(cell, f.name) for f in fields(CellInputs)}
    if width_um is not None:
        shared_numbers["width_um"] = width_um
    out = GapInputs(
        **shared_numbers, cell_um=cell_um, thickness_um=settings.electrode.thickness_um, friction=friction,
        sink_contraction=sink_contraction,
        resistivity_ohm_um=units.UM_PER_CM / (settings.conditions.electrolyte_conductivity_mS_cm * units.S_PER_MS),
        electrolyte_thickness_um=settings.conditions.electrolyte_thickness_um,
        lattice_constant_A=settings.lattice.lattice_constant_A,
        flow=flow_law(settings), interface_features=settings.flow.interface_features,
        electrolyte_constriction=m.electrolyte_constriction == "on",
        assembly=assembly_of(m, electrolyte), depth_um=m.depth_um, pore_edge=_pore_edge_records(settings),
        **_solute_inputs(settings, energetics))
    return replace(out, **overrides)


def _pore_edge_records(settings) -> PoreEdgeRecords | None:
    """The [pore_edge] rows in the clock of this set's box (None without rows); rows that do not fit
    together refused in one line."""
    from kmc.model import box_hop_prefactor_Hz
    try:
        records = read_records(getattr(settings, "pore_edge", None))
    except ValueError as exc:
        raise CellInputError(str(exc)) from None
    return None if records is None else records.in_clock(box_hop_prefactor_Hz(settings))


def _solute_inputs(settings, energetics) -> dict:
    """The solute field's keys and table (none without a solute: the field is off)."""
    if settings.composition.solute_fraction <= 0:
        return {}
    return dict(solute_field=settings.meso.solute_field, solute_strengthening=settings.meso.solute_strengthening,
                composition_table=energetics.composition_table)


@dataclass
class GapState:
    """The gap model's state, per cell of its geometry (a line's (cells,), an area's (depth, width))."""
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
    # part of an open end cell its retracting contact line has re-wetted (0..1): per cell on a line, per cut
    # axis and cell on an area (2, depth, width)
    rewet: np.ndarray = None


def observables(measured: dict[str, str], *own: Quantity) -> dict:
    """What a gap-model run records per sample (kmc.vocabulary: the shared entries, and what only the gap
    model has: splits, the plunger, the foil), in the file's order: ``measured``, how the geometry measures
    contact_fraction, void_count, void_volume_per_area and section_voids_per_um; ``own``, its own
    quantities after the rest."""
    return registry(
        "stripped_charge", "physical_time",
        shared("contact_fraction", measured["contact_fraction"]),
        shared("overpotential", "the electrode's potential against the electrolyte far away: Butler-Volmer on each "
                                "contact cell plus the electrolyte's constriction (kmc.resolved.fields; none with "
                                "meso.electrolyte_constriction = 'off')"),
        Quantity("kinetic_overpotential", "mV", "the Butler-Volmer part alone at the contact's mean current"),
        shared("supersaturation", "mean over the contact cells"),
        Quantity("supersaturation_max", "1", "vacancy fraction / c_eq, largest over the contact cells"),
        "captured_fraction",
        Quantity("contact_sink_fraction", "1", "share of the stripped vacancies the contact annihilates "
                                               "(electrode.contact_sink_rate_m_s; the rest of what the voids do not "
                                               "capture reaches the sinks)"),
        shared("void_count", measured["void_count"]),
        shared("void_volume_per_area", measured["void_volume_per_area"]),
        shared("section_voids_per_um", measured["section_voids_per_um"]),
        *(shared(f"void_{q}_{s}", "height: the largest gap of the run") if q == "height" else f"void_{q}_{s}"
          for q in ("width", "height") for s in PERCENTILES),
        Quantity("plunger_velocity_um_s", "um/s", "the rigid plunger's velocity (< 0: toward the electrolyte)"),
        Quantity("recession_um_s", "um/s", "the contact's recession by what it annihilates and the sinks' share of "
                                           "the stripped volume"),
        Quantity("thickness_um", "um", "the foil's thickness left"),
        Quantity("subgrid_nuclei", "1", "nuclei smaller than a cell, held in contact cells"),
        Quantity("splits", "1", "counted voids that split in two or more so far"),
        shared("coalescences", "counted voids"),
        Quantity("collapses", "1", "counted voids closed so far"),
        shared("nucleated", "nuclei born at the kMC's I(S)"),
        Quantity("opened_by_nuclei", "1", "cells opened by the nuclei in them so far"),
        *own,
    )


# What a run with the solute field records besides the gap model's observables (kmc.vocabulary): the Mg at
# the contact, so a user sees the alloy's own variable (its field per cell: ``frame_fields``)
SOLUTE_OBSERVABLES = registry(
    shared("interface_solute_fraction", "mean over the contact cells of L1's share in segregation equilibrium with "
                                        "the metal just below each (kmc.energetics' composition table)"),
    Quantity("subsurface_solute_fraction", "1", "{solute} fraction just below the contact, x_s = x + M / delta (the "
                                                "excess stripping left, kmc.resolved.solute), mean over the contact cells"),
    Quantity("subsurface_solute_fraction_max", "1", "the same, largest over the contact cells"),
    Quantity("solute_enrichment_depth_um", "um", "the excess profile's depth delta, mean over the contact cells"),
)


class GapModel(PressedFace, CellModel):
    """The gap model's time loop operators for one set of inputs (built once: the slab operators, the
    geometry's mechanics), the step written once (module docstring).  A geometry sets ``shape`` (the
    cells' array shape) and ``rewet_shape`` and writes the hooks below that raise."""
    frame_charges = FRAME_CHARGES_mAh_cm2
    solute_field = False                  # whether the geometry carries the solute along the interface
    press_closing_share = 0.0             # the press asks again after this share of its open cells closed (0: one)

    def __init__(self, inp: GapInputs, mechanics=None):
        super().__init__(inp)
        self.frame_cell_um = inp.cell_um
        if inp.solute_field == "on" and inp.solute_fraction > 0 and not self.solute_field:
            raise CellInputError(
                f"meso.solute_field = 'on' with a solute (composition.solute_fraction = {inp.solute_fraction:g}): "
                f"the {self.name} does not step the solute along the interface (the section does: docs/alloy.md); "
                "allowed: meso.interface = 'section' (with the Mg field), or meso.solute_field = 'off' (the "
                f"alloy's angle and energies at its mean composition on the {self.name})")
        self.K = slab_flux_operator(self.shape, inp.cell_um, inp.sink_distance_um)
        self.R = slab_potential_operator(self.shape, inp.cell_um, inp.electrolyte_thickness_um)
        self.strength = inp.feature_strength()
        self.own_mechanics = mechanics is None       # built from its inputs, not given to it
        self._press_mechanics = None
        self.mechanics = mechanics or self.reduced_operator(self.strength)
        self.rng = np.random.default_rng(inp.seed)
        self._last_concentration = None       # the vacancy solve's warm start
        self._last_potential = None           # the current's (the electrolyte's potential)
        self._self_responses = {}             # the fast nuclei's self-response solves' warm starts, by cell
        self._cap = VoidCap(inp.void_angle_rad)
        self._nucleation = nucleation.MeasuredRateTable(inp.measured_nucleation)
        self.last_limits = {}
        self.solute = (SoluteField(inp.solute_fraction, inp.solute_diffusivity_per_vacancy_um2_s,
                                   inp.vacancy_equilibrium_fraction, inp.composition_table, inp.cell_um,
                                   inp.law.stress_exponent, inp.solute_strengthening)
                       if inp.solute_field == "on" and inp.solute_fraction > 0 and inp.strip_velocity_um_s > 0
                       else None)          # nothing gathers without a current (the assembly's press)
        if self.solute is not None:        # this run's observables: the geometry's and the Mg at the contact
            self.observables = {**type(self).observables, **SOLUTE_OBSERVABLES}

    @classmethod
    def inputs(cls, settings, energetics, **numerics) -> GapInputs:
        """gap_inputs; ``numerics``: its keywords (width_um, cell_um, friction, sink_contraction)."""
        return gap_inputs(settings, energetics, **numerics)

    # ------------------------------------------------------------------ the geometry's hooks
    shape: tuple | int = ()               # the cells' array shape
    rewet_shape: tuple = ()

    def reduced_operator(self, strength: FeatureStrength | None):
        """The geometry's reduced operator of the foil's creep (kmc.mechanics) with Li's flow law as ``strength``
        (None: the bulk law)."""
        raise NotImplementedError

    def face(self, assembly: Assembly, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(the electrolyte face's height, the open pore's depth) per cell (kmc.physics.face)."""
        raise NotImplementedError

    def press_operator(self, assembly: Assembly, pores: np.ndarray, rim_fill: np.ndarray):
        """(ask, relax_step) of the press's event loop (kmc.resolved.assembly) on this geometry."""
        raise NotImplementedError

    def walls(self, st: GapState, alloy=None) -> tuple[np.ndarray, np.ndarray, object]:
        """(per cell the Laplace traction of its void's wall, per cell whether its void is a hole of the face
        the metal spans, the geometry's record of the walls or None)."""
        raise NotImplementedError

    def grow(self, st: GapState, now: dict, closing: np.ndarray, dt: float) -> np.ndarray:
        """The gap after capture over dt has moved the walls (a new array; the plunger's descent not yet)."""
        raise NotImplementedError

    def plunger_descent(self, gap: np.ndarray, now: dict, dt: float, thickness_um: float) -> float:
        """How far the plunger lowers the metal in dt, implicitly (``implicit_descent_um``)."""
        raise NotImplementedError

    def relax(self, st: GapState, new_gap: np.ndarray, now: dict, dt: float) -> list:
        """Surface diffusion on ``new_gap`` over dt (in place); the voids it shrank below a cell, as (cell,
        volume um^3) for the sub-grid nuclei."""
        raise NotImplementedError

    def count_events(self, st: GapState, now: dict, after: np.ndarray) -> None:
        """Splits, coalescences and collapses of counted voids from the step's map to ``after``."""
        raise NotImplementedError

    def interior(self, open_cells: np.ndarray) -> np.ndarray:
        """The open cells whose capture deepens them (not a void's edge, whose capture moves its wall)."""
        raise NotImplementedError

    def cut_voids(self, gap_um: np.ndarray) -> tuple[dict, int]:
        """The voids SEM-like sections cut (width, height per run of open cells, um) and the sections'
        number."""
        raise NotImplementedError

    def void_measures(self, st: GapState, now: dict) -> dict:
        """void_count, void_volume_per_area and the geometry's own void quantities, for a sample."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the state
    def initial_state(self, gap_um: np.ndarray | None = None, pore_um: np.ndarray | None = None) -> GapState:
        """A state of these gaps over a face with these open pores (None: none; on an area a row is
        broadcast along the depth)."""
        inp = self.inp
        shape = self.shape
        solute_state = None
        if self.solute is not None:
            S = vacancy.supersaturation_with_contact_sink(inp.strip_velocity_um_s, inp.sink_distance_um,
                                                          inp.vacancy_diffusivity_um2_s, inp.vacancy_equilibrium_fraction,
                                                          inp.contact_sink_rate_um_s, inp.sink_supersaturation)
            solute_state = self.solute.initial_state(shape, S, inp.strip_velocity_um_s)
        gap = np.zeros(shape) if gap_um is None else np.broadcast_to(np.asarray(gap_um, float), shape).copy()
        pore = np.zeros(shape) if pore_um is None else np.broadcast_to(np.asarray(pore_um, float), shape).copy()
        return GapState(gap, np.zeros(shape), np.zeros(shape), inp.thickness_um, np.zeros(shape), pore,
                        solute=solute_state, rewet=np.zeros(self.rewet_shape))

    def start(self) -> GapState:
        """The interface the assembly leaves (kmc.resolved.assembly; flat contact without one): the face from
        its own stream of the run's seed, so the run's nucleation draws are those of a flat start."""
        if self.inp.assembly is None:
            return self.initial_state()
        return self.initial_state(*self.pressed_face())

    @property
    def press_mechanics(self):
        """The reduced operator the press asks (the geometries' press_operator): the same law as the stripping's,
        at the rate that fills a pore within the press's time (GapInputs.feature_strength), built once."""
        if self._press_mechanics is None:
            own = self.own_mechanics and self.strength is not None
            self._press_mechanics = (self.reduced_operator(self.inp.feature_strength(pressing=True)) if own
                                     else self.mechanics)
        return self._press_mechanics

    # ------------------------------------------------------------------ rates at one instant
    def nucleation_rate_per_um2_s(self, supersaturation: np.ndarray) -> np.ndarray:
        """The cell's I(S): the kMC's measured rows (kmc.physics.nucleation.MeasuredRateTable), 0 at S <= 1."""
        return self._nucleation.rate_per_um2_s(supersaturation)

    def rates(self, st: GapState) -> dict:
        """The fields at the state (module docstring); ContactLost when no cell touches, Unconverged when a
        field's solve falls short of its tolerance."""
        try:
            return self._rates(st)
        except NoContactError as exc:
            raise ContactLost(str(exc)) from None
        except FieldNotConverged as exc:
            raise Unconverged(str(exc)) from exc

    def _rates(self, st: GapState) -> dict:
        inp = self.inp
        h = inp.cell_um
        open_cells = st.gap_um > 0
        if open_cells.all():
            raise NoContactError("every interface cell is open: no contact carries the plunger")
        alloy = self.solute.factors(st.solute) if self.solute is not None else None
        # the current (over an alloy with its kinetics at each cell's solute), from the last step's potential
        current = butler_volmer_current if alloy is None else functools.partial(solute_current, factors=alloy)
        cur = current(self.R, inp.resistivity_ohm_um, inp.exchange_current_mA_cm2, inp.temperature_K, inp.current_mA_cm2,
                      open_cells, constriction=inp.electrolyte_constriction, guess=self._last_potential)
        self._last_potential = cur.potential_V
        injected = inp.strip_velocity_um_s * cur.current_mA_cm2 / max(inp.current_mA_cm2, 1e-300)
        # sub-grid nuclei: a cap of base radius r on the plane takes 2 pi D r (c - c_eq); per area of
        # the cell (h x h) that is a conductance 2 pi n r / h^2
        g_sub = np.where(open_cells, 0.0,
                         vacancy.CAP_CAPTURE_PER_RADIUS * st.nuclei * st.nucleus_radius_um / (h * h))
        # the contact itself annihilates kappa (c - c_eq): a conductance kappa / D on every contact cell
        kappa = self.contact_sink_rate_um_s(st)
        sinks = inp.contact_sink_rate_um_s > 0
        if sinks:
            g_sub = np.where(open_cells, 0.0, g_sub + kappa / inp.vacancy_diffusivity_um2_s)
        vac = vacancy_field(self.K, inp.vacancy_diffusivity_um2_s, inp.vacancy_equilibrium_fraction,
                            inp.sink_supersaturation, open_cells, injected, g_sub, inp.sink_distance_um,
                            guess=self._last_concentration)
        self._last_concentration = vac.concentration
        traction, spanned, walls = self.walls(st, alloy)
        mech = self.mechanics.respond(open_cells, inp.pressure_MPa, st.thickness_um, traction, spanned)
        contact = float((~open_cells).mean())
        S = vac.concentration / inp.vacancy_equilibrium_fraction
        annihilated = (np.where(open_cells, 0.0, vacancy.contact_annihilation_velocity(
            kappa, inp.vacancy_equilibrium_fraction, S)) if sinks else np.zeros(open_cells.shape))
        # the contact recedes by what it annihilates (and by the sinks' share, "interface"); the foil follows
        recession = float(annihilated.mean()) / contact if sinks else 0.0
        if inp.sink_contraction == "interface":
            recession += vac.to_sinks_um_s / contact
        return dict(open=open_cells, current=cur, injected=injected, vacancies=vac, mechanics=mech, walls=walls,
                    _conductance_per_um=g_sub,
                    annihilated_um_s=annihilated,
                    traction=traction, spanned=spanned, recession_um_s=recession, supersaturation=S, contact=contact,
                    solute=alloy,
                    nucleation=np.where(open_cells, 0.0, self.nucleation_rate_per_um2_s(S)) * h * h)

    def contact_sink_rate_um_s(self, st: GapState):
        """kappa on each cell (um/s): with the Mg field and the set's [contact_vacancy] rows, at each cell's own
        subsurface Mg (kmc.model.contact_sink_rows; docs/alloy.md section 6), else the set's one kappa."""
        inp = self.inp
        if self.solute is None or st.solute is None or not inp.contact_sink_rows or inp.contact_sink_rate_um_s == 0:
            return inp.contact_sink_rate_um_s
        rows = np.asarray(inp.contact_sink_rows, float)
        return np.interp(self.solute.subsurface_fraction(st.solute), rows[:, 0], rows[:, 1])

    def contact(self, now: dict) -> float:
        return now["contact"]

    def rim_retreat(self, now: dict):
        """Per cell, the share of capture at a pore's rim that moves the contact line (the kMC's [pore_edge]
        rim at each cell's own S; None without records: the line moves with all of it)."""
        rec = self.inp.pore_edge
        return None if rec is None else rim_retreat_share(rec.at("rim_refill_probability", now["supersaturation"])[0])

    # ------------------------------------------------------------------ one step
    def step(self, st: GapState, now: dict, dt: float) -> float:
        inp = self.inp
        # the roof's closing relative to the plunger (explicit) plus the contact's recession; the
        # plunger's own descent is applied implicitly after the explicit changes (below)
        closing = self.closing_relative_um_s(now)
        new_gap = self.grow(st, now, closing, dt)
        # a closing roof above an open pore of the electrolyte stops at the face (face_reach_um): where it
        # gets there within the step it stays, its closing taking what capture brings; the plunger lowers the
        # metal over every void that takes its descent (not over the holes the metal spans, held in their
        # islands), over an open pore down to the face, where its void becomes such a hole (face_reach_um: the
        # implicit descent's trials count it as closed once there)
        held = now["mechanics"].held
        room_um, over_pore = np.empty(new_gap.shape), np.empty(new_gap.shape, bool)
        stop_at_face_and_room(new_gap, self.face_reach_um(st, now), st.pore_um, held, closing, room_um, over_pore)
        lower_by(new_gap, st.pore_um, held, over_pore, self.plunger_descent(room_um, now, dt, st.thickness_um))
        # surface diffusion toward the Young angle's caps; a void too small for a cell becomes a nucleus
        st.rewet = np.zeros(self.rewet_shape) if st.rewet is None else st.rewet
        shrunk = self.relax(st, new_gap, now, dt)
        self._subgrid_nuclei(st, now, new_gap, dt, shrunk)
        clear_by_gap(new_gap, st.rim_fill, st.rewet, nuclei=(st.nuclei, st.nucleus_radius_um))
        self.count_events(st, now, new_gap > 0)
        st.gap_um = new_gap
        self.advance_clock(st, dt)
        st.thickness_um -= inp.strip_velocity_um_s * dt
        if self.solute is not None:
            st.solute = self.solute.step(st.solute, now["injected"], now["supersaturation"], dt)
        return dt

    @staticmethod
    def closing_relative_um_s(now: dict) -> np.ndarray:
        """Per open cell, how fast its gap closes apart from the plunger's implicit descent: the roof
        relative to the plunger over a void that takes the descent, its own closing over a hole held in
        an island; plus the contact's recession (the foil follows it over every void).  Kept in ``now`` (the step's
        limit and the step ask at the same fields; read-only)."""
        if "_closing_relative_um_s" not in now:
            mech = now["mechanics"]
            plunger = abs(mech.plunger_velocity_um_s)
            own = np.where(mech.held, mech.closing_velocity_um_s, mech.closing_velocity_um_s - plunger)
            if now.get("solute") is not None:
                own = own * now["solute"].creep_factor      # 1 unless meso.solute_strengthening bounds it
            now["_closing_relative_um_s"] = np.where(now["open"], own, 0.0) + now["recession_um_s"]
        return now["_closing_relative_um_s"]

    @staticmethod
    def face_reach_um(st: GapState, now: dict) -> np.ndarray:
        """Per cell, how far the roof's closing may lower its gap within a step: to the electrolyte's face
        (gap - pore depth) over an open pore, where the roof of a void that takes the plunger's descent is
        at or above the face; inf elsewhere.  At the face the closing switches law: the void becomes a hole
        of the face that the metal spans (kmc.resolved.walls.spanned_cells: its wall's area <= 0), held in
        its island and closed by the hole's own far slower rate (Li at 7 MPa on the section: 4e-4 um/s at
        the face against 0.05-0.7 um/s above it), while capture (4e-3 um/s) raises it again.  An explicit
        step across the switch overshot the face by up to 40 % of the gap, and the gap limit resolved the
        balance at the fast rate's own time (0.05-0.5 s steps; 44,330 steps to 4 mAh/cm2 where 0.2 MPa
        takes 2127).  The switch is located within the step instead (event location): the roof's closing
        and the plunger's descent stop at the face (``step``), where a fast closing takes what capture
        brings (the sliding balance, exact for rates held over the step), and the gap limit does not count
        a closing that ends at the face within its allowed change (step_limit_s).  Over the dense face (no
        pore) a closing roof makes contact, as before: the overshoot closes the cell.  Kept in ``now`` for the
        state's own gap and pore arrays (the step's limit and the step ask before the step replaces the gap)."""
        kept = now.get("_face_reach_um", (None, None, None))
        if kept[0] is not st.gap_um or kept[1] is not st.pore_um:
            above = now["open"] & ~now["mechanics"].held & (st.pore_um > 0) & (st.gap_um >= st.pore_um)
            kept = now["_face_reach_um"] = (st.gap_um, st.pore_um, np.where(above, st.gap_um - st.pore_um, np.inf))
        return kept[2]

    def _subgrid_nuclei(self, st: GapState, now: dict, new_gap: np.ndarray, dt: float, shrunk=()) -> None:
        """Sub-grid nuclei in contact cells (step_subgrid_nuclei, per cell): grow by capture, close as a cavity
        in the contact's hydrostatic pressure (the exact sphere rate, docs/physics.md section 7), take the voids
        surface diffusion shrank below a cell, are born at I(S); a cell whose nuclei cover it opens with
        their volume (the step then clears the open cells' nuclei: clear_by_gap)."""
        births = poisson_where_positive(self.rng, now["nucleation"] * dt)
        nucleated, opened = step_subgrid_nuclei(self.inp, self._cap, st.nuclei, st.nucleus_radius_um, now["open"],
                                                new_gap, now, births, dt, shrunk, self.strength,
                                                self.fast_nuclei(st, now, dt))
        st.counts["nucleated"] += nucleated
        st.counts["opened_by_nuclei"] += opened

    # ------------------------------------------------------------------ step size
    def step_limit_s(self, st: GapState, now: dict) -> float:
        """The next step (s): the largest that keeps every explicit change small (step_limits_s);
        ``last_limits`` records each limit's value (what bound the step)."""
        o = now["open"]
        net = moving = None
        if o.any():
            # edge cells' capture goes to their walls
            capture = np.where(self.interior(o), now["vacancies"].capture_um_s, 0.0)
            closing = self.closing_relative_um_s(now)
            net = capture - closing
            # the rule bounds the gap's change, and a closing gap changes by no more than the way to where
            # the step stops it: contact (0) or, over an open pore, the face (face_reach_um, step); a cell
            # whose way there is within its allowed change does not limit the step (a gap of <= 13 nm
            # closing at 1-30 um/s in a hole the metal is drawn into asked for 10-ms steps)
            reach = np.minimum(self.face_reach_um(st, now), st.gap_um)
            net = np.where((net < 0) & (reach <= allowed_gap_change_um(st.gap_um)), 0.0, net)
            moving = o & (net != 0)
        dt, self.last_limits = step_limits_s(
            self.inp, st.gap_um, net, moving, st.nuclei,
            lambda dt: cover_time_s(self.inp, self._cap, self.strength, self.fast_nuclei(st, now, dt), st.nuclei,
                                    st.nucleus_radius_um, now), now)
        return dt

    def fast_nuclei(self, st: GapState, now: dict, dt: float) -> FastNuclei:
        """The nuclei a step of dt integrates on their own (kmc.resolved.nuclei.fast_nuclei: each one's own solve of
        the vacancy field; Unconverged when one falls short of its tolerance)."""
        try:
            return fast_nuclei(self.inp, self._cap, self.K, st.nuclei, st.nucleus_radius_um, now, dt,
                               self._self_responses)
        except FieldNotConverged as exc:
            raise Unconverged(str(exc)) from exc

    def step_try_s(self, st: GapState, now: dict, charge_left_mAh_cm2: float) -> float:
        """The step limit, or the time to the charge left (at least 1 ns)."""
        inp = self.inp
        s_per_mAh = units.S_PER_H / inp.current_mA_cm2 if inp.current_mA_cm2 > 0 else math.inf
        return min(self.step_limit_s(st, now), max(charge_left_mAh_cm2 * s_per_mAh, 1e-9))

    # ------------------------------------------------------------------ observables
    def sample(self, st: GapState, now: dict) -> dict:
        """One sample of the geometry's ``observables`` but the clock's two."""
        inp = self.inp
        v, lines = self.cut_voids(st.gap_um)
        counted = v["width"] >= inp.min_void_width_um
        w_um, h_um = v["width"][counted], v["height"][counted]

        def q(a):
            return np.percentile(a, [0, 25, 50, 75, 100]) if a.size else np.full(5, np.nan)
        S = now["supersaturation"][~now["open"]]
        vac = now["vacancies"]
        made = float(now["injected"].mean())
        out = dict(contact_fraction=now["contact"],
                   overpotential=now["current"].overpotential_mV, kinetic_overpotential=now["current"].kinetic_mV,
                   supersaturation=float(S.mean()) if S.size else math.nan,
                   supersaturation_max=float(S.max()) if S.size else math.nan,
                   captured_fraction=float(vac.capture_um_s.mean()) / made if made > 0 else math.nan,
                   contact_sink_fraction=float(now["annihilated_um_s"].mean()) / made if made > 0 else math.nan,
                   **self.void_measures(st, now),
                   section_voids_per_um=float(counted.sum() / (lines * inp.width_um)),
                   plunger_velocity_um_s=now["mechanics"].plunger_velocity_um_s,
                   recession_um_s=now["recession_um_s"], thickness_um=st.thickness_um,
                   subgrid_nuclei=float(st.nuclei.sum()), **{k: float(c) for k, c in st.counts.items()})
        for name, arr in (("width", w_um), ("height", h_um)):
            for label, value in zip(PERCENTILES, q(arr)):
                out[f"void_{name}_{label}"] = float(value)
        if self.solute is not None:
            out.update(self._solute_sample(st, now))
        return out

    def _solute_sample(self, st: GapState, now: dict) -> dict:
        """SOLUTE_OBSERVABLES at the state (the factors the step's current used: now["solute"])."""
        f, contact = now["solute"], ~now["open"]
        xs, theta, depth = f.subsurface_fraction[contact], f.l1_fraction[contact], st.solute.depth_um[contact]
        nan = math.nan
        return dict(interface_solute_fraction=float(theta.mean()) if theta.size else nan,
                    subsurface_solute_fraction=float(xs.mean()) if xs.size else nan,
                    subsurface_solute_fraction_max=float(xs.max()) if xs.size else nan,
                    solute_enrichment_depth_um=float(depth.mean()) if depth.size else nan)

    def frame(self, st: GapState) -> np.ndarray:
        """The gap field."""
        return st.gap_um.copy()

    @classmethod
    def frame_cells(cls, meso) -> int:
        """The cells along meso.width_um (the section's; an area's are these times those along its depth)."""
        return int(round(meso.width_um / CELL_UM))

    def frame_fields(self, st: GapState) -> dict:
        """With the solute field, the Mg just below each cell (x_s) beside the gap."""
        if self.solute is None:
            return {}
        return {"subsurface_solute_fraction": ("1", self.solute.subsurface_fraction(st.solute).copy())}

    def runaway_bounds(self) -> RunawayBounds:
        """kmc.cell.model.runaway_bounds at RUNAWAY_CONTACT_STEP, the smallest void half a cell."""
        return runaway_bounds(self.inp, RUNAWAY_CONTACT_STEP, 0.5 * self.inp.cell_um)

    def assembly(self) -> str | None:
        return None if self.inp.assembly is None else f"assembled {self.inp.assembly.describe()}"

    def advice(self) -> list:
        return pore_edge_advice(self.inp, self.inp.lattice_constant_A)

    def used(self) -> dict:
        return pore_edge_record(self.inp)
