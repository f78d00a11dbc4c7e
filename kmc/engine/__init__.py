"""The kMC engine: picks events, applies them and refreshes the rates they can have changed, on
flat arrays in numba kernels.  It knows no physics (every rate rule is in kmc.rate_rules or
kmc.model) and is driven by kmc.simulation.Simulation, which owns its arrays.

One job per module (ARCHITECTURE.md, "Layers"):
  state      the run state's groups of arrays and the named slots of arrays holding several
             quantities (the event classes' names among them); no numba, so the run file's
             layout reads the names without loading the kernels
  selection  the RNG, the sum tree and the prefetch hints: how an event is picked
  updates    a species change: site words, vacancy list, layer integrals, tracers
  contact    the L1 lists, the metal path to the electrode, the size of an interface void
  events     what each event class does, and the table of macroscopic classes
  refresh    refreshing the rates an event can change: the fast paths, the work queue
  loop       the event loop, run_chunk: pick -> apply -> refresh

This file imports nothing, so ``from kmc.engine import state`` compiles and loads no kernel.
"""
