"""What every interface model at the cell's scale (``kmc meso``) shares, owned by none of them: the
disc model (kmc.disc) and the resolved section (kmc.resolved) import this wing and never each other;
kmc.launch picks the model meso.interface names.

* ``inputs``: ``CellInputs``, one frozen record of numbers from the settings (an interface model's own
  numerics extend it), and the rules evaluated on it (critical nucleus, Mullins' coefficient, I(S));
* ``energetics``: the interface's energetics from the energy model (wetting angle, surface energy,
  L1's equilibrium solute), computed once per parameter set and cached;
* ``loop``: the loop's contract (``StepReport``, ``Observer``, stop reasons, ``CellResult``) and what
  ``kmc meso`` hangs on any model's steps (Ctrl-C, runaway, progress);
* ``output``: the run file's glue (writer, parameters, samples as they are taken);
* ``conditions``: what a run refuses or warns about before any work.
"""
