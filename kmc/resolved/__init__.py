"""The resolved interface (issue 47; docs/mechanics.md section 5), what ``kmc meso`` runs by
default (meso.interface = "resolved"): the gap between metal and electrolyte as a field over a
2-D section, on the mechanics of kmc.mechanics.

* ``fields``: the quasi-static vacancy field of the slab and the electrolyte's potential, each a
  Dirichlet-to-Neumann operator applied by FFT, and the Butler-Volmer current over the contact;
* ``interface``: the inputs, the state, one step, the step control and the observables;
* ``run``: the loop (kmc.cell.loop's contract: Observer, StepReport, stop reasons) and the run file
  (kmc.cell.output's writer), for the section and the area;
* the interface as an area (meso.depth_um > 0; docs/area.md): ``area`` (the gap over a periodic
  plane, the section's step on it), ``area_foil`` (the reduced operator on an area), ``area_shapes``
  (surface diffusion on its voids), ``regions`` (connected regions on the torus, their tributaries).

Imports kmc.cell and kmc.mechanics, never the disc model (kmc.disc).
"""
