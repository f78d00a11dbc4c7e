"""How the project compiles its kernels (numba), in one place.

Kernels are compiled without numba's reference counting: they allocate nothing and only touch
arrays their caller owns for the whole call.  With it, every array handed to a helper cost an
atomic incref/decref pair per call, a quarter of the event loop's time.  The few helpers called
once per event, and the interface hop rate with what it calls (once per rate slot), are inlined
into their callers in numba's IR (``kernel_inlined``): a call with a dozen array arguments costs
more than the work inside.  Inlining costs compile time, so it is kept to those.

Parameters go in as arguments, grouped in namedtuples (numba passes them at no cost), never as
module globals: numba freezes globals into the cached machine code.
"""
from numba import njit

kernel = njit(cache=True, _nrt=False, error_model="numpy")
kernel_inlined = njit(cache=True, _nrt=False, error_model="numpy", inline="always")
