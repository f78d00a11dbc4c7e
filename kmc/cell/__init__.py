"""What every interface model at the cell's scale (``kmc meso``) shares, owned by none of them: the disc
model (kmc.disc) and the gap model in its two geometries, the section and the area (kmc.resolved), import
this wing and never each other; kmc.launch holds the registry of models by name and picks the one
meso.interface names.

* ``model``: the contract (``CellModel``: what a model offers and how it refuses what it cannot do,
  ``ContactLost``, ``Unconverged``, ``RunawayBounds``);
* ``loop``: the one loop (``run``) for every model, its reports (``StepReport``, ``CellResult``) and the
  observers ``kmc meso`` hangs on it (Ctrl-C, runaway, progress);
* ``inputs``: ``CellInputs``, one frozen record of numbers from the settings and the interface's
  energetics (an input, kmc.energetics), which a model's own numbers extend, and the rules evaluated on
  it (critical nucleus, Mullins' coefficient, I(S));
* ``output``: the run file's glue (writer, parameters, samples and frames as they are taken).
"""
