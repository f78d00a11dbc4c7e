"""A meso run's file (kmc.runfile.MesoWriter: the kMC file's conventions), written sample by sample
as the run goes, so a reader sees a run in progress and a cut-off run keeps its samples."""
from __future__ import annotations

from pathlib import Path

from kmc.config import Settings
from kmc.meso.interface import interface_energetics
from kmc.meso.run import MesoResult, Observer, StepReport, run_settings
from kmc.meso.sections import OBSERVABLES
from kmc.meso.voids import DiscVoids, Tolerances

# The settings a meso run reads (its /parameters attributes): the physics sections, the lattice
# constant (Omega, D_v) and the seed; not the kMC box, schedules, stops or output.
APPLICABLE_SECTIONS = ("model", "species", "composition", "energy", "kinetics", "conditions", "boundary", "electrode",
                       "creep", "meso")
APPLICABLE_KEYS = ("lattice.lattice_constant_A", "run.seed")


def applicable_parameters(settings: Settings) -> dict:
    """The resolved keys that act on a meso run."""
    return {k: v for k, v in settings.flat().items() if k.split(".")[0] in APPLICABLE_SECTIONS or k in APPLICABLE_KEYS}


def file_writer(path, settings: Settings, observables: dict = OBSERVABLES):
    """A kmc.runfile.MesoWriter for a run of ``settings`` at ``path``, the header, parameters and
    what the energy model gives the voids written; ``observables``: the model's (name -> (unit,
    description)), the disc model's by default."""
    from kmc.runfile import MesoWriter
    iface = interface_energetics(settings)
    derived = {"wetting_angle_deg": iface.wetting_angle_deg, "surface_energy_J_m2": iface.surface_energy_J_m2,
               "work_of_adhesion_J_m2": iface.work_of_adhesion_J_m2,
               "interface_solute_equilibrium": iface.interface_solute_equilibrium}
    return MesoWriter(path, settings.to_toml(), applicable_parameters(settings), settings.run.seed, settings.source,
                      observables, derived)


class SampleWriter(Observer):
    """Writes each sample into the run's file as it is taken, and passes steps on to ``then``."""

    def __init__(self, writer, then: Observer = Observer()):
        self.writer = writer
        self.then = then

    def on_sample(self, time_s: float, sample: dict) -> None:
        self.writer.write_sample(time_s, sample)
        self.then.on_sample(time_s, sample)

    def on_step(self, report: StepReport) -> bool:
        return self.then.on_step(report)


def run_to_file(settings: Settings, path, tol: Tolerances = Tolerances(), observer: Observer = Observer()) -> MesoResult:
    """Run ``settings`` into the file ``path`` (through path.partial, renamed when the run ends; an
    error leaves no file)."""
    writer = file_writer(Path(path), settings)
    try:
        result = run_settings(settings, tol, SampleWriter(writer, observer))
        writer.finish(result.stop_reason, result.steps, result.wall_time_s, result.time_s,
                      DiscVoids.void_arrays(result.final), settings.meso.void_shape)
    except BaseException:
        writer.abort()
        raise
    return result
