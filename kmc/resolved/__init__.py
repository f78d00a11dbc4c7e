"""The resolved interface (issue 47, step 4; docs/mechanics.md section 5): the gap between metal and
electrolyte as a field over a 2-D section, on the mechanics of kmc.mechanics.  A temporary home:
it joins the kmc/meso/ package when the package restructuring (issue 46) lands.

* ``fields``: the quasi-static vacancy field of the slab and the electrolyte's potential, each a
  Dirichlet-to-Neumann operator applied by FFT, and the Butler-Volmer current over the contact;
* ``interface``: the state, one step, the step control, the observables and the run.
"""
