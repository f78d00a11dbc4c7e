"""How the engine's kernels are compiled (numba): the decorators of lattices.jit, where the rules
are written once for the neighbour lookup and the engine.

Kernels are compiled without numba's reference counting: they allocate nothing and only touch
arrays their caller owns for the whole call.  With it, every array handed to a helper cost an
atomic incref/decref pair per call, a quarter of the event loop's time.  The few helpers called
once per event, and the interface hop rate with what it calls (once per rate slot), are inlined
into their callers by LLVM (``kernel_inlined``): a call with a dozen array arguments costs more
than the work inside.  Each kernel is compiled once per energy form, whatever constants its
callers pass, and with numba's Python wrapper only if Python calls it (lattices.jit).

Parameters go in as arguments, grouped in namedtuples (numba passes them at no cost), never as
module globals: numba freezes globals into the cached machine code.
"""
from lattices.jit import compiled

kernel = compiled(inline=False)
kernel_inlined = compiled(inline=True)
