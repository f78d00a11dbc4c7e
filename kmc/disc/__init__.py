"""The disc model of the interface at the cell's scale (``kmc meso --interface disc``;
docs/meso.md): cap-shaped voids over a periodic square of interface tens to hundreds of micrometres wide, stripped to mAh/cm^2, fed by the kMC's
rules and numbers.  Per step:

* stripping: the galvanostatic current, focused on the contact (kmc.physics.electrochemistry),
  strips v0 = i Omega / e of metal per unit of interface area and leaves that volume as vacancies;
* quasi-static vacancy transport (diffusion over L = 100 um takes L^2/D_v ~ 0.07 s, stripping
  hours): the interface's vacancy fraction settles where the vacancies made are carried off, to the
  sinks at electrode.sink_distance_um and into the voids (kmc.disc.kinetics);
* creep closure: each void loses kappa eps_dot(P / contact) w * footprint of volume per second
  (w = 2 r; kmc.physics.creep and creep.closure_coefficient, the kMC's rule);
* nucleation at the kMC's measured I(S) per um^2 per s (classical, heterogeneous at the void's cap
  angle, for a file without measured rows), plus pre-existing void seeds if a density is given
  (none shipped: no source); coalescence when footprints touch (volume conserved);
* the interface's energetics from the energy model (kmc.energetics): L1's equilibrium solute,
  the void's wetting angle and surface energy at that L1.

Each void evolves at the fields held over a global step with its own sub-steps, and a step is
accepted only if what the voids did moved the fields within ``Tolerances`` (checked after the step).

Modules, one job each: ``kinetics`` (the fields and how voids grow and close), ``coalescence``,
``nucleation`` (how fast nucleation lets a step go, defect seeds), ``sections`` (what SEM sees; the
observables), ``voids`` (the disc-void model, ``DiscVoids``, under kmc.cell.model's contract).  What every
cell-scale model shares (the contract, the one loop, the inputs, the file glue) is kmc.cell's; the gap
model (kmc.resolved: the section, the default, and the area) is the other model, and kmc.launch picks the
one meso.interface names.  Imports kmc.cell, never kmc.resolved.
"""
