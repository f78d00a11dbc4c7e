"""The resolved interface's run (``kmc meso`` with meso.interface = "resolved"): the loop of
kmc.cell.loop's contract (sample every meso.output_every_mAh_cm2, stop at meso.stop_stripped_mAh_cm2
or when the contact falls to meso.stop_contact_fraction, every accepted step reported to the same
``kmc.cell.loop.Observer``), and its file through kmc.runfile's meso writer, with the gap field of the
section at a few charges (``SECTION_CHARGES_mAh_cm2``: the seed's frames).  The same loop and file run
the interface as an area (meso.depth_um > 0: kmc.resolved.area), whose stored gap fields have both
lateral axes."""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from kmc import units
from kmc.cell.loop import CellResult, Observer, StepReport, stop_reason_of
from kmc.cell.output import SampleWriter, file_writer
from kmc.mechanics.reduced import NoContactError
from kmc.resolved.area import AreaInterface, area_face_um
from kmc.resolved.assembly import press
from kmc.resolved.interface import (ResolvedInputs, ResolvedInterface, pore_edge_advice, pore_edge_record,
                                   resolved_inputs)
from kmc.validation import warn
from kmc.vocabulary import PERCENTILES, Quantity, registry, shared

ASSEMBLY_STREAM = 1                        # the electrolyte face's random stream: default_rng([seed, 1])

# What a resolved run records per sample (kmc.vocabulary: the shared entries, and what only a resolved
# interface has: splits, the plunger, the foil)
OBSERVABLES = registry(
    "stripped_charge", "physical_time",
    shared("contact_fraction", "the section's cells where the metal touches the electrolyte"),
    shared("overpotential", "the electrode's potential against the electrolyte far away: Butler-Volmer on each "
                            "contact cell plus the electrolyte's constriction (kmc.resolved.fields; none with "
                            "meso.electrolyte_constriction = 'off')"),
    Quantity("kinetic_overpotential", "mV", "the Butler-Volmer part alone at the contact's mean current"),
    shared("supersaturation", "mean over the contact cells"),
    Quantity("supersaturation_max", "1", "vacancy fraction / c_eq, largest over the contact cells"),
    "captured_fraction",
    shared("void_count", "runs of open cells in the section, any width"),
    shared("void_volume_per_area", "the void area of the section / its length"),
    shared("section_voids_per_um", "runs of open cells of the section"),
    *(shared(f"void_{q}_{s}", "height: the largest gap of the run") if q == "height" else f"void_{q}_{s}"
      for q in ("width", "height") for s in PERCENTILES),
    Quantity("plunger_velocity_um_s", "um/s", "the rigid plunger's velocity (< 0: toward the electrolyte)"),
    Quantity("recession_um_s", "um/s", "the contact's recession by the sinks' share of the stripped volume"),
    Quantity("thickness_um", "um", "the foil's thickness left"),
    Quantity("subgrid_nuclei", "1", "nuclei smaller than a cell, held in contact cells"),
    Quantity("splits", "1", "counted voids that split in two or more so far"),
    shared("coalescences", "counted voids"),
    Quantity("collapses", "1", "counted voids closed so far"),
    shared("nucleated", "nuclei born at the kMC's I(S)"),
    Quantity("opened_by_nuclei", "1", "cells opened by the nuclei in them so far"),
)

# What an area run records: the section's quantities, its voids counted as regions of the area and its
# statistics on meso.section_lines sections across the depth (kmc.resolved.area)
_AREA_MEASURES = {
    "contact_fraction": shared("contact_fraction", "the area's cells where the metal touches the electrolyte"),
    "void_count": shared("void_count", "regions of open cells of the area (4-connected, periodic), any size"),
    "void_volume_per_area": shared("void_volume_per_area", "the gap's volume over the area / its area"),
    "section_voids_per_um": shared("section_voids_per_um", "runs of open cells on meso.section_lines rows across "
                                                           "the depth, all rows' runs over their total length"),
}
AREA_OBSERVABLES = {
    **{name: (_AREA_MEASURES[name].unit, _AREA_MEASURES[name].doc) if name in _AREA_MEASURES else entry
       for name, entry in OBSERVABLES.items()},
    **registry(Quantity("counted_void_count", "1", "regions of the area at least meso.min_void_width_um across "
                                                   "the width (the voids a section could count)")),
}

# the gap field of the section is stored before stripping (charge 0, what the assembly left), at
# these charges (seed 004 Fig. 1's frames) and at the end
SECTION_CHARGES_mAh_cm2 = (0.05, 0.25, 0.5, 1.0, 1.25, 2.0, 4.0)


def run(inp: ResolvedInputs, observer: Observer = Observer(), on_section=None,
        model: ResolvedInterface | None = None, state=None) -> CellResult:
    """The run of ``inp`` (module docstring).  ``on_section(charge_mAh_cm2, gap_um)`` hears the
    section's gap field before stripping, at SECTION_CHARGES_mAh_cm2 and at the end; ``state``: a
    start other than the assembly's (inp.assembly; flat contact without one), e.g. a test's void."""
    start = time.perf_counter()
    model = model or model_of(inp)
    if state is None and inp.assembly is not None:
        # the interface the assembly leaves (kmc.resolved.assembly): the face's profile from its own
        # stream of the run's seed, so the run's nucleation draws are those of a flat start
        rng = np.random.default_rng([inp.seed, ASSEMBLY_STREAM])
        if isinstance(model, AreaInterface):             # an area's face (kmc.resolved.area.area_face_um)
            face, pores = area_face_um(model, inp.assembly, rng)
            pressed = press(model, inp.assembly, rng, profile_um=face, pore_um=pores)
        else:
            pressed = press(model, inp.assembly, rng)
        state = model.initial_state(pressed.gap_um, pressed.pore_um)
    st = state or model.initial_state()
    if on_section is not None:
        on_section(0.0, st.gap_um.copy())                # the interface before stripping
    marks = [q for q in SECTION_CHARGES_mAh_cm2 if q <= inp.stop_stripped_mAh_cm2]
    samples, steps, next_sample = [], 0, 0.0
    sections = []                          # the charges whose section was handed to on_section
    stop_reason = "stripped"
    s_per_mAh = units.S_PER_H / inp.current_mA_cm2 if inp.current_mA_cm2 > 0 else math.inf

    def take_sample(now):
        out = model.sample(st, now)
        samples.append(out)
        observer.on_sample(st.time_s, out)
        if on_section is not None and marks and st.stripped_mAh_cm2 >= marks[0] - 1e-9:
            while marks and st.stripped_mAh_cm2 >= marks[0] - 1e-9:
                marks.pop(0)
            sections.append(st.stripped_mAh_cm2)
            on_section(st.stripped_mAh_cm2, st.gap_um.copy())

    now = None
    while True:
        try:
            now = model.rates(st)
        except NoContactError:
            stop_reason = "contact_lost"
            break
        if st.stripped_mAh_cm2 >= next_sample - 1e-12 * inp.stop_stripped_mAh_cm2:
            take_sample(now)
            next_sample += inp.output_every_mAh_cm2
        if now["contact"] <= inp.stop_contact_fraction:
            stop_reason = "contact_lost"
            break
        if st.stripped_mAh_cm2 >= inp.stop_stripped_mAh_cm2 * (1 - 1e-12):
            break
        target = min(next_sample, inp.stop_stripped_mAh_cm2)
        dt = min(model.step_limit_s(st, now), max((target - st.stripped_mAh_cm2) * s_per_mAh, 1e-9))
        model.step(st, now, dt)
        steps += 1
        # no void count per step (the section's voids are counted at samples): runaway stops on steps
        asked = stop_reason_of(observer.on_step(StepReport(steps, st.stripped_mAh_cm2, st.time_s, dt,
                                                           now["contact"], inp.stop_stripped_mAh_cm2)))
        if asked:
            stop_reason = asked
            break
    if now is not None and (not samples or samples[-1]["stripped_charge"] != st.stripped_mAh_cm2):
        try:
            take_sample(model.rates(st))
        except NoContactError:
            pass
    if on_section is not None and (not sections or sections[-1] != st.stripped_mAh_cm2):
        on_section(st.stripped_mAh_cm2, st.gap_um.copy())         # the end, if no mark was
    names = AREA_OBSERVABLES if isinstance(model, AreaInterface) else OBSERVABLES
    series = {name: np.array([s[name] for s in samples], dtype=np.float64) for name in names}
    return CellResult(series, stop_reason, steps, time.perf_counter() - start, st.time_s, st)


def model_of(inp: ResolvedInputs):
    """The interface model of ``inp``: the section (meso.depth_um = 0) or the area."""
    return AreaInterface(inp) if inp.depth_um > 0 else ResolvedInterface(inp)


def run_to_file(settings, path, observer: Observer = Observer(), **options) -> CellResult:
    """Run ``settings`` with the resolved interface (the section, or the area for meso.depth_um > 0)
    into the file ``path`` (kmc.runfile.MesoWriter, through path.partial, renamed when the run ends;
    an error leaves no file).  ``options``: resolved_inputs' (cell_um, friction, sink_contraction)."""
    inp = resolved_inputs(settings, **options)
    model = model_of(inp)
    area = isinstance(model, AreaInterface)
    if not area:                      # the section's walls read the [pore_edge] records (the area's do not)
        for advice in pore_edge_advice(inp, settings.lattice.lattice_constant_A):
            warn(advice)
    writer = file_writer(Path(path), settings, AREA_OBSERVABLES if area else OBSERVABLES,
                         None if area else pore_edge_record(inp))
    try:
        result = run(inp, SampleWriter(writer, observer),
                     lambda charge, gap: writer.write_gap_section(charge, gap, inp.cell_um), model)
        v = model.voids(result.final)
        if area:
            voids = v
        else:
            voids = dict(x=v["x"], y=np.zeros(v["x"].size), base_radius=v["width"] / 2, height=v["height"])
        writer.finish(result.stop_reason, result.steps, result.wall_time_s, result.time_s, voids,
                      "area" if area else "section")
    except BaseException:
        writer.abort()
        raise
    return result
