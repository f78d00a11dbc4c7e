"""A cell-scale run's file (kmc.runfile.MesoWriter: the kMC file's conventions), whatever the interface
model: the header and parameters, what the energy model gives the voids, and each sample written as it
is taken, so a reader sees a run in progress and a cut-off run keeps its samples."""
from __future__ import annotations

from kmc.cell.energetics import interface_energetics
from kmc.cell.loop import Observer, StepReport
from kmc.config import Settings

# The settings a meso run reads (its /parameters attributes): the physics sections, the lattice
# constant (Omega, D_v) and the seed; not the kMC box, schedules, stops or output.
APPLICABLE_SECTIONS = ("model", "species", "composition", "energy", "kinetics", "conditions", "boundary", "electrode",
                       "creep", "meso")
APPLICABLE_KEYS = ("lattice.lattice_constant_A", "run.seed")


def applicable_parameters(settings: Settings) -> dict:
    """The resolved keys that act on a meso run."""
    return {k: v for k, v in settings.flat().items() if k.split(".")[0] in APPLICABLE_SECTIONS or k in APPLICABLE_KEYS}


def file_writer(path, settings: Settings, observables: dict, used: dict | None = None):
    """A kmc.runfile.MesoWriter for a run of ``settings`` at ``path``, the header, parameters and
    what the energy model gives the voids written; ``observables``: the interface model's registry
    (kmc.vocabulary.registry: name -> (unit, description), the run's element symbols filled in here);
    ``used``: what else the interface model read and how (e.g. the [pore_edge] records the resolved
    section used, kmc.resolved.interface.pore_edge_record), beside them in /parameters/derived."""
    from kmc.runfile import MesoWriter
    iface = interface_energetics(settings)
    derived = {"wetting_angle_deg": iface.wetting_angle_deg, "surface_energy_J_m2": iface.surface_energy_J_m2,
               "work_of_adhesion_J_m2": iface.work_of_adhesion_J_m2,
               "interface_solute_equilibrium": iface.interface_solute_equilibrium, **(used or {})}
    species = settings.species
    described = {name: (unit, doc.format(host=species.host, solute=species.solute))
                 for name, (unit, doc) in observables.items()}
    return MesoWriter(path, settings.to_toml(), applicable_parameters(settings), settings.run.seed, settings.source,
                      described, derived)


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
