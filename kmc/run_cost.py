"""What a kMC run will cost, estimated before it starts (``advice``: kmc.launch warns with the rest of a
run's warnings when it is large or its temperature makes it dear), and its pace while it runs
(kmc.observers.PaceWatch warns when what is left is large).

Before the start, two numbers that do not depend on how the run will unfold:
- for a box with the pellet's pore, the events of its edge as the shipped default run measures them
  (EDGE_EVENTS_PER_L1_SITE_MONOLAYER), scaled by the box's L1 sites and the monolayers to strip;
- the hops of the box's equilibrium vacancies over the run's kMC time.  In equilibrium with the
  sinks (S = 1; stripping only raises S) the box holds exp(-E_f/kT) vacancies per site (its own c_eq:
  its configuration energy has no formation entropy, its hops carry it, kmc.model.
  box_vacancy_equilibrium_fraction), each hopping at its rate.  The contact layer's vacancies are the
  cheap ones (seed 004: 0.28 eV against 0.50 eV in the bulk): an L1 vacancy goes to L2 at
  nu' exp(-(E_kra + dE/2)/kT) over its 4 bonds (dE the L1 -> L2 row) and comes back, two events; a
  bulk vacancy hops at nu' exp(-E_kra/kT) over its 8.  nu' = the box's hop prefactor; the kMC time is
  the stop charge over the current, divided by the acceleration (or run.stop_time_s).  This is what
  a hot box costs (8x8x6 cells at 400 K: 1.9e6 estimated, 2.9e6 measured);
- the run file (kmc.runfile.estimated_output_bytes) and the set-up of the lattice.
While the run goes, its pace so far (progress toward its stop per wall second) gives the time left at
that pace: a floor, since a run at a pore's edge slows down as vacancies gather.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from kmc import units
from kmc.observers import LARGE_RUN_S, duration_text
from kmc.schema import SITES_PER_CELL
from kmc.validation import Advice

# The engine's events per wall second on a slab at the shipped conditions, per energy form: the default
# runs print theirs (`kmc run params/li_li2s.toml`: 0.21-0.23 M events/s on a quiet machine, README);
# the bond form is about five times faster (docs/performance.md).
EVENTS_PER_S = {"second_moment": 2.0e5, "bond": 1.0e6}


# A box with the pellet's pore (kmc.pore): at 298 K its cost is the pore's edge, whose mouth's surface
# flickers (docs/pore_edge.md section 3) and whose events per stripped atom rise as its void grows.  The
# shipped default run measures it: `kmc run params/li_li2s.toml`, 14,420,953 events over 400 L1 sites and
# 0.1125 monolayers (docs/readme_outputs.json; tests/test_run_cost.py holds this to the record), i.e.
# 3.2e5 events per L1 site and stripped monolayer.  Scaled by L1 sites and monolayers: 40 x 40 cells
# measured 5.0e7 for 3.6e7 scaled (4x the area; 2026-11-27); the edge of an 8 x 8-cell box, one column
# wide, costs ~100x less than scaled.
EDGE_EVENTS_PER_L1_SITE_MONOLAYER = 14_420_953 / (400 * 0.1125)
# The same with the fast-event scaling (run.fast_event_scaling, docs/physics.md section 12): the shipped default
# run with it, EDGE_SCALED_EVENTS events over 400 L1 sites and EDGE_SCALED_MONOLAYERS (2026-11-27).
EDGE_SCALED_EVENTS, EDGE_SCALED_MONOLAYERS = 23_068_602, 2.0
EDGE_SCALED_EVENTS_PER_L1_SITE_MONOLAYER = EDGE_SCALED_EVENTS / (400 * EDGE_SCALED_MONOLAYERS)
# Setting up a box (lattice, energy model, the acceleration check, the file's static arrays): 3.2 and
# 3.3 us per site for 3.2e6 and 7.2e6 sites (kmc.launch.open_run of params/li_li2s.toml with lattice.cells
# [200,200,40] and [300,300,40], at load 8 on 2 cores, 2026-11-27).
SETUP_S_PER_SITE = 3.3e-6
# What counts as a large run, warned before it starts: more than LARGE_RUN_S (kmc.observers), or a file
# this big.
LARGE_FILE_BYTES = 1e9
# A run this many times dearer than at the sources' 298 K because of its temperature is told so.
HOT_RUN_FACTOR = 3.0


@dataclass(frozen=True)
class RunCost:
    events: float        # the pore's edge as on the shipped box, and the box's equilibrium vacancies' hops
    wall_s: float        # those events at the engine's rate (EVENTS_PER_S)
    thermal_events: float  # of them, the box's equilibrium vacancies' hops (what the temperature moves)
    setup_s: float       # building the box and its file (SETUP_S_PER_SITE)
    file_bytes: float    # kmc.runfile.estimated_output_bytes
    sites: int

    @property
    def large(self) -> bool:
        return self.wall_s + self.setup_s > LARGE_RUN_S or self.file_bytes > LARGE_FILE_BYTES

    def describe(self) -> str:
        return (f"{self.sites:.3g} sites, about {duration_text(self.setup_s)} to set up, a file of up to "
                f"{self.file_bytes / 1e9:.2g} GB, and ~{self.events:.2g} events (~{duration_text(self.wall_s)}; "
                "an order of magnitude: the pore's edge as on the shipped box, per L1 site and monolayer, and the "
                "box's equilibrium vacancies)")




def _target(settings, name: str):
    for row in settings.fit_targets:
        if row.name == name:
            return float(row.value)
    return None


def kmc_time_s(settings) -> float | None:
    """The run's kMC time to its first time or charge stop (None: no such stop)."""
    run, cond = settings.run, settings.conditions
    times = []
    if run.stop_time_s:
        times.append(run.stop_time_s)
    if run.stop_stripped_mAh_cm2 and cond.current_density_mA_cm2 > 0:
        times.append(units.physical_time_s(run.stop_stripped_mAh_cm2, cond.current_density_mA_cm2)
                     / run.acceleration)
    return min(times) if times else None


def estimate(settings) -> RunCost | None:
    """The numbers of the module docstring for a kMC slab run of ``settings`` (cheap: no lattice is
    built); None for a bulk box (no interface, no stripping)."""
    from kmc.model import box_hop_prefactor_Hz, box_vacancy_equilibrium_fraction
    from kmc.pore import box_pore_shape
    from kmc.runfile import estimated_output_bytes
    lattice, run = settings.lattice, settings.run
    rate = EVENTS_PER_S.get(settings.energy.form, EVENTS_PER_S["second_moment"])
    if lattice.geometry != "slab":
        return None
    nx, ny, nz = lattice.cells
    per_cell = SITES_PER_CELL[lattice.orientation]
    sites = per_cell * nx * ny * nz
    l1 = sites // (2 * nz)                  # sites per layer: two layers per cell
    a = lattice.lattice_constant_A
    area_per_l1_A2 = a * a if lattice.orientation == "001" else a * a / math.sqrt(2)
    file_bytes = estimated_output_bytes(settings, sites, units.charge_per_atom_mAh_cm2(l1 * area_per_l1_A2))
    if box_pore_shape(settings) != "none":  # the pore's mouth is no contact layer: its sites are no L1 vacancy's
        l1 = round(l1 * settings.electrolyte.relative_density)
    t = kmc_time_s(settings)
    if t is None:                            # ended by events (or the wall clock) alone: they are its cost
        events = float(run.max_events or 0)
        return RunCost(events, events / rate, 0.0, sites * SETUP_S_PER_SITE, file_bytes, sites)
    kT = units.kT_eV(settings.conditions.temperature_K)
    nu = box_hop_prefactor_Hz(settings)
    kra = settings.kinetics.kra_host_eV
    e_l1 = _target(settings, "vacancy_formation_L1")       # None: the bulk's (the box's c_eq's own energy)
    up = _target(settings, "L1_vacancy_to_L2") or 0.0
    per_s = (l1 * box_vacancy_equilibrium_fraction(settings, kT, e_l1) * 2 * 4 * nu
             * math.exp(-(kra + max(up, 0.0) / 2) / kT)
             + (sites - l1) * box_vacancy_equilibrium_fraction(settings, kT) * 8 * nu * math.exp(-kra / kT))
    thermal = events = per_s * t
    if box_pore_shape(settings) != "none" and run.stop_stripped_mAh_cm2:
        l1_all = sites // (2 * nz)
        monolayers = run.stop_stripped_mAh_cm2 / units.charge_per_atom_mAh_cm2(l1_all * area_per_l1_A2) / l1_all
        events += (EDGE_SCALED_EVENTS_PER_L1_SITE_MONOLAYER if run.fast_event_scaling
                   else EDGE_EVENTS_PER_L1_SITE_MONOLAYER) * l1_all * monolayers
    if run.max_events:
        events = min(events, float(run.max_events))
    return RunCost(events, events / rate, thermal, sites * SETUP_S_PER_SITE, file_bytes, sites)


def with_cost(settings, advice: list[Advice]) -> list[Advice]:
    """A kMC run's warnings (``advice``: kmc.validation's and the acceleration's) with its estimated cost:
    a temperature warning says what the temperature does to the run's cost (the box's equilibrium vacancies
    go as exp(-E_f/kT): said when HOT_RUN_FACTOR times those at 298 K), and a large run gets its own (its
    box, set-up, file and events)."""
    cost = estimate(settings)
    if cost is None:
        return list(advice)
    T = settings.conditions.temperature_K
    room = estimate(settings.replaced(conditions={"temperature_K": 298.0}))
    hot = None
    if T > 298.0 and cost.thermal_events > HOT_RUN_FACTOR * room.thermal_events:
        hot = (f"at {T:g} K the box's equilibrium vacancies alone make ~{cost.thermal_events:.2g} events "
               f"(~{duration_text(cost.thermal_events / (cost.events / cost.wall_s))}), "
               f"{cost.thermal_events / room.thermal_events:.2g}x those at 298 K, of this run's estimated "
               f"~{cost.events:.2g} (kmc.run_cost)")
    out = []
    for item in advice:
        if hot and item.setting == "conditions.temperature_K":
            item, hot = Advice(item.setting, f"{item.problem}; {hot}", item.remedy), None
        out.append(item)
    if hot:
        out.append(Advice("conditions.temperature_K", hot, "conditions.temperature_K = 298 costs that much less"))
    if cost.large:
        nx, ny, nz = settings.lattice.cells
        out.append(Advice("lattice.cells",
                          f"a large run: lattice.cells = [{nx}, {ny}, {nz}] at {T:g} K is {cost.describe()}",
                          "a smaller box (lattice.cells) or charge (run.stop_stripped_mAh_cm2) would cost less; "
                          "run.stop_wall_s ends it in time with a complete file, and Ctrl-C stops it resumably"))
    return out
