"""The gap model of the interface at the cell's scale (docs/mechanics.md section 5, docs/area.md):
the gap between metal and electrolyte as a field over interface cells, on the mechanics of kmc.mechanics;
one model (``gap``) in two geometries, each overriding only its geometry's hooks:

* ``gap``: the inputs, the state, the step written once (rates with the solute and the [pore_edge]
  records, the step control, the sub-grid nuclei, the sampling, the observables), kmc.cell.model's
  contract;
* ``section`` (meso.interface = "section", the default): a periodic line of cells; ``walls``, the metal's
  wall over each run of open cells (its capillarity, how capture moves it, how surface diffusion reshapes
  it: the line's rules, which the area's tunnels take cut by cut);
* ``area`` (meso.interface = "area"): a periodic plane of cells; ``area_walls`` (its voids' walls),
  ``area_shapes`` (surface diffusion on its compact voids);
* what both geometries share beside the step: ``fields`` (the slab operators, applied by FFT, and the
  Butler-Volmer current), ``solute`` (the solute along the interface), ``assembly`` (the press's event
  loop before stripping, on the geometry's face and operator).

The section's modules and the area's never import each other; the loop is kmc.cell.loop's, the file
kmc.cell.output's.  Imports kmc.cell and kmc.mechanics, never the disc model (kmc.disc).
"""
