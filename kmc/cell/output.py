"""A cell-scale run's file (kmc.runfile.MesoWriter: the kMC file's conventions), whatever the interface
model: the header and parameters, what the energy model gives the voids, each sample and frame written as
it is taken, so a reader sees a run in progress and a cut-off run keeps its samples, and the end
(``run_to_file``: the one loop into the file)."""
from __future__ import annotations

from pathlib import Path

from kmc.cell.loop import CellResult, Observer, StepReport, run
from kmc.cell.model import CellModel
from kmc.config import Settings

# The settings a meso run reads (its /parameters attributes): the physics sections, the lattice
# constant (Omega, D_v) and the seed; not the kMC box, schedules, stops or output.
APPLICABLE_SECTIONS = ("model", "species", "composition", "energy", "kinetics", "conditions", "boundary", "electrode",
                       "creep", "meso")
APPLICABLE_KEYS = ("lattice.lattice_constant_A", "run.seed")


def applicable_parameters(settings: Settings) -> dict:
    """The resolved keys that act on a meso run."""
    return {k: v for k, v in settings.flat().items() if k.split(".")[0] in APPLICABLE_SECTIONS or k in APPLICABLE_KEYS}


def file_writer(path, settings: Settings, model: CellModel, energetics):
    """A kmc.runfile.MesoWriter for a run of ``model`` (with ``settings``, the interface's ``energetics``)
    at ``path``, the header, parameters and what the energy model gives the voids written; the model's
    observables (kmc.vocabulary.registry: name -> (unit, description), the run's element symbols filled in
    here), and what else it read and how (model.used(): e.g. the [pore_edge] records the gap model used)
    beside them in /parameters/derived."""
    from kmc.runfile import MesoWriter
    derived = {"wetting_angle_deg": energetics.wetting_angle_deg, "surface_energy_J_m2": energetics.surface_energy_J_m2,
               "work_of_adhesion_J_m2": energetics.work_of_adhesion_J_m2,
               "interface_solute_equilibrium": energetics.interface_solute_equilibrium, **model.used()}
    species = settings.species
    described = {name: (unit, doc.format(host=species.host, solute=species.solute))
                 for name, (unit, doc) in model.observables.items()}
    return MesoWriter(path, settings.to_toml(), applicable_parameters(settings), settings.run.seed, settings.source,
                      described, derived)


class SampleWriter(Observer):
    """Writes each sample and frame into the run's file as it is taken (a frame: the gap field at the cell
    width ``cell_um``), and passes all on to ``then``."""

    def __init__(self, writer, then: Observer = Observer(), cell_um: float | None = None):
        self.writer = writer
        self.then = then
        self.cell_um = cell_um

    def on_sample(self, time_s: float, sample: dict) -> None:
        self.writer.write_sample(time_s, sample)
        self.then.on_sample(time_s, sample)

    def on_frame(self, charge_mAh_cm2: float, frame) -> None:
        self.writer.write_gap_section(charge_mAh_cm2, frame, self.cell_um)
        self.then.on_frame(charge_mAh_cm2, frame)

    def on_frame_fields(self, charge_mAh_cm2: float, fields: dict) -> None:
        for name, (unit, field) in fields.items():
            self.writer.write_section_field(name, field, unit)
        self.then.on_frame_fields(charge_mAh_cm2, fields)

    def on_step(self, report: StepReport) -> bool:
        return self.then.on_step(report)


def run_to_file(model: CellModel, settings: Settings, energetics, path, observer: Observer = Observer()) -> CellResult:
    """Run ``model`` (kmc.cell.loop.run) into the file ``path`` (through path.partial, renamed when the run
    ends; an error leaves no file): every sample and frame as it is taken, then the start the model keeps for a
    later run (its pressed face: ``start_record``) and the final voids."""
    writer = file_writer(Path(path), settings, model, energetics)
    try:
        result = run(model, SampleWriter(writer, observer, model.frame_cell_um))
        record = model.start_record()
        if record is not None:
            writer.write_start_record(record)
        writer.finish(result.stop_reason, result.steps, result.wall_time_s, result.time_s, model.voids(result.final),
                      model.void_shape, result.unconverged)
    except BaseException:
        writer.abort()
        raise
    return result
