"""Observables of a kMC run, each declared once: name, unit, description and how it is computed.

The simulation samples them (``values``), the HDF5 writer takes names, units and descriptions from
here, and readers (``kmc.load``, ``kmc info``) the units.  A new observable is one entry in
``OBSERVABLES``; one that every scale records takes its name, unit and meaning from kmc.vocabulary
(``_shared``) and says how the box measures it.  Descriptions may name ``{host}`` and ``{solute}``:
the run's element symbols are filled in when a file is written.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from kmc import electrode, units
from kmc.species import HOST, SOLUTE
from kmc.engine.state import EVENT_CLASSES
from kmc.physics.electrochemistry import overpotential_mV
from kmc.vocabulary import shared


@dataclass(frozen=True)
class Observable:
    name: str
    unit: str
    doc: str
    compute: Callable[[Any], Any]          # Simulation -> value
    integer: bool = False                  # stored as int64 (else float64)
    columns: tuple[str, ...] = ()          # a vector observable's column names (event_counts)
    tracers: bool = False                  # only in runs with tracers

    def describe(self, species) -> str:
        return self.doc.format(host=species.host, solute=species.solute)


def _shared(name: str, how: str, compute: Callable[[Any], Any], **options) -> Observable:
    """An observable of the shared vocabulary (kmc.vocabulary), measured in the box as ``how`` says."""
    q = shared(name, how)
    return Observable(q.name, q.unit, q.doc, compute, **options)


def contact_fraction(sim) -> float:
    """Electrical contact: L1 metal atoms that a first-neighbour metal path joins to the electrode."""
    if not sim.model.has_interface:
        return math.nan
    host, solute = sim.connected_l1_metal()
    return (host + solute) / sim.lattice.sites_per_layer


def stripped_charge(sim) -> float:
    return sim.stripped_atoms * sim.charge_per_atom_mAh_cm2


def _interface_solute_fraction(sim) -> float:
    if not sim.model.has_interface:
        return math.nan
    host, solute = sim.l1_metal_atoms()
    return solute / (host + solute) if host + solute else math.nan


def overpotential(sim) -> float:
    """Butler-Volmer overpotential (mV) of the set current focused into the remaining contact."""
    cond = sim.settings.conditions
    return float(overpotential_mV(cond.current_density_mA_cm2, contact_fraction(sim),
                                  cond.exchange_current_mA_cm2, cond.temperature_K))


def _box_solute_fraction(sim) -> float:
    occ = sim.occupancy
    metal = np.count_nonzero(occ == HOST) + np.count_nonzero(occ == SOLUTE)
    return float(np.count_nonzero(occ == SOLUTE) / metal) if metal else math.nan


def _electrode(slot, scale=1.0):
    """A slot of the electrode's drive array, or NaN where there is no electrode coupling."""
    return lambda sim: float(sim.electrode_drive[slot]) * scale if sim.electrode.active else math.nan


def _solute_to_electrode(sim) -> float:
    if not sim.electrode.active:
        return math.nan
    taken = int(sim.electrode_tally[electrode.SOLUTE_IN_TOTAL]) + int(sim.electrode_flux[electrode.SOLUTE_IN])
    return -taken / sim.lattice.sites_per_layer


def _tracer(name):
    return lambda sim: sim.tracer_summary()[name]


OBSERVABLES = (
    _shared("contact_fraction", "L1 sites under the electrolyte whose metal a path of first-neighbour metal "
            "sites joins to the electrode (electrical contact) / all L1 sites, a pore's mouth included (kmc.pore: "
            "never contact, so a box with a pore starts at 1 - its share; docs/physics.md section 5)",
            contact_fraction),
    _shared("stripped_charge", "the stripped {host} atoms' charge", stripped_charge),
    Observable("stripped_monolayers", "monolayer", "stripped {host} atoms / L1 sites",
               lambda sim: sim.stripped_atoms / sim.lattice.sites_per_layer),
    _shared("physical_time", "at conditions.current_density_mA_cm2 (the box's own clock is accelerated)",
            lambda sim: units.physical_time_s(stripped_charge(sim), sim.settings.conditions.current_density_mA_cm2)),
    Observable("vacancy_count", "1", "vacancies in the box", lambda sim: sim.vacancy_count,
               integer=True),
    Observable("interface_vacancy_count", "1", "vacant L1 sites under the electrolyte (a pore's mouth not "
               "counted: its sites are never contact, see contact_fraction)",
               lambda sim: sim.l1_vacancy_count if sim.model.has_interface else 0, integer=True),
    _shared("interface_solute_fraction", "{solute} atoms / metal atoms in L1", _interface_solute_fraction),
    _shared("overpotential", "Butler-Volmer, eta = (2RT/F) asinh(i / (2 i0 f)) of the set current i focused into "
            "the contact fraction f (i0 = conditions.exchange_current_mA_cm2; inf at f = 0; kinetic term only)",
            overpotential),
    Observable("box_solute_fraction", "1", "{solute} atoms / metal atoms in the whole box", _box_solute_fraction),
    Observable("solute_to_electrode", "monolayer",
               "net {solute} atoms passed from the box into the electrode below (kmc.electrode) / L1 sites",
               _solute_to_electrode),
    Observable("electrode_top_solute_fraction", "1",
               "{solute} fraction of the electrode's continuum cell just below the box", _electrode(electrode.X_TOP)),
    Observable("bottom_vacancy_fraction", "1",
               "time-averaged vacancy fraction of the box's bottom layer (floored at the sinks' c_eq), "
               "which sets the {solute} diffusivity below the box", _electrode(electrode.C_BOTTOM)),
    Observable("solute_diffusivity", "cm^2/s",
               "the model's {solute} diffusivity at the bottom of the box, c_v exp(-E_b/kT) Gamma_s a^2 "
               "at bottom_vacancy_fraction (cell time)", _electrode(electrode.D_BOTTOM, units.CM2_PER_A2)),
    Observable("event_counts", "1", "cumulative events per class: " + ", ".join(EVENT_CLASSES),
               lambda sim: np.array(list(sim.event_counts().values()), np.int64), integer=True,
               columns=EVENT_CLASSES),
    Observable("tracer_msd_host", "angstrom^2",
               "mean squared displacement of the {host} tracers still in the box (lattice jumps)",
               _tracer("tracer_msd_host"), tracers=True),
    Observable("tracer_msd_solute", "angstrom^2",
               "mean squared displacement of the {solute} tracers still in the box (lattice jumps)",
               _tracer("tracer_msd_solute"), tracers=True),
    Observable("tracer_jumps_host", "1", "mean number of jumps per {host} tracer still in the box",
               _tracer("tracer_jumps_host"), tracers=True),
    Observable("tracer_jumps_solute", "1", "mean number of jumps per {solute} tracer still in the box",
               _tracer("tracer_jumps_solute"), tracers=True),
)
BY_NAME = {o.name: o for o in OBSERVABLES}
ALWAYS_RECORDED = tuple(o.name for o in OBSERVABLES if not o.tracers)   # in every run file
UNITS = {o.name: o.unit for o in OBSERVABLES}


def active(sim) -> tuple[Observable, ...]:
    """The observables a run records (tracer ones only with tracers)."""
    with_tracers = sim.tracer_count > 0
    return tuple(o for o in OBSERVABLES if with_tracers or not o.tracers)


def values(sim) -> dict:
    """{name: value} of every observable the run records, now."""
    return {o.name: o.compute(sim) for o in active(sim)}


def sample_dtype(observable: Observable):
    return np.int64 if observable.integer else np.float64
