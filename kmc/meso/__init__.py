"""The interface at the cell's scale (``kmc meso``, issue 41; docs/meso.md): voids over a periodic
square of interface tens to hundreds of micrometres wide, stripped to mAh/cm^2, fed by the kMC's
rules and numbers.  Per step:

* stripping: the galvanostatic current, focused on the contact (kmc.physics.electrochemistry),
  strips v0 = i Omega / e of metal per unit of interface area and leaves that volume as vacancies;
* quasi-static vacancy transport (diffusion over L = 100 um takes L^2/D_v ~ 0.07 s, stripping
  hours): the interface's vacancy fraction settles where the vacancies made are carried off, to the
  sinks at electrode.sink_distance_um and into the voids (kmc.meso.kinetics);
* creep closure: each void loses kappa eps_dot(P / contact) w * footprint of volume per second
  (w = 2 r; kmc.physics.creep and creep.closure_coefficient, the kMC's rule);
* nucleation at the kMC's measured I(S) per um^2 per s (classical, heterogeneous at the void's cap
  angle, for a file without measured rows), plus pre-existing void seeds if a density is given
  (none shipped: no source); coalescence when footprints touch (volume conserved);
* the interface's energetics from the energy model (kmc.meso.interface): L1's equilibrium solute,
  the void's wetting angle and surface energy at that L1.

Each void evolves at the fields held over a global step with its own sub-steps, and a step is
accepted only if what the voids did moved the fields within ``Tolerances`` (checked after the step).

Modules, one job each: ``inputs`` (MesoInputs from the settings), ``interface`` (the interface's
energetics), ``kinetics`` (the fields and how voids grow and close), ``coalescence``, ``nucleation``
(nucleation and defect seeds), ``sections`` (what SEM sees; the observables), ``voids`` (the
disc-void model: the seam a resolved interface replaces), ``run`` (the loop, its observer),
``output`` (the run file).  ``run_to_file`` runs the model meso.interface names: the resolved
interface of kmc.resolved (a gap field over a section on the electrode's creep mechanics, the
default) or the disc model here, kept as the fast limit (docs/meso.md).
"""
from kmc.meso.inputs import MesoInputError, MesoInputs, meso_inputs
from kmc.meso.interface import InterfaceEnergetics, interface_energetics
from kmc.meso.output import applicable_parameters, file_writer
from kmc.meso.output import run_to_file as disc_run_to_file
from kmc.meso.run import MesoResult, Observer, StepReport, run, run_settings
from kmc.meso.sections import OBSERVABLES
from kmc.meso.voids import DiscVoids, Tolerances, VoidState

__all__ = ["OBSERVABLES", "DiscVoids", "InterfaceEnergetics", "MesoInputError", "MesoInputs", "MesoResult", "Observer",
           "StepReport", "Tolerances", "VoidState", "applicable_parameters", "file_writer", "interface_energetics",
           "disc_run_to_file", "meso_inputs", "run", "run_settings", "run_to_file"]


def run_to_file(settings, path, observer: Observer = Observer()) -> MesoResult:
    """Run ``settings`` into the file ``path`` with the interface model meso.interface names: the
    resolved interface (kmc.resolved.run.run_to_file, the default) or the disc model
    (disc_run_to_file); the same Observer, the same file layout (kmc.runfile.MesoWriter)."""
    if settings.meso.interface == "resolved":
        from kmc.resolved.run import run_to_file as resolved_run_to_file
        return resolved_run_to_file(settings, path, observer)
    return disc_run_to_file(settings, path, observer=observer)
