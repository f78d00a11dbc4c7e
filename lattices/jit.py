"""How the project's kernels are compiled (numba), in one place: the neighbour lookup here and the
engine's kernels (``kmc.jit`` builds its decorators from ``compiled``).

One compiled version per kernel and argument kinds.  numba's own dispatcher compiles a kernel
called from another once per distinct argument type, and it types a constant argument (a slot
number, a species code, an L1 list's index) as its literal value and a site index read from an
int32 array as int32: ``neighbour`` was compiled nine times per run, one per constant slot, and
some sixty of the 160 compiles of a cold start were such copies.  ``PlainArgumentDispatcher``
types a kernel-to-kernel call with literal values dropped and signed integers widened to int64,
so each kernel is compiled once per energy form.  The caller still sees the constant: where the
callee is inlined, LLVM folds it as before.

No Python wrapper where Python does not call.  numba compiles, with every kernel, a wrapper that
unboxes its Python arguments (for a kernel taking namedtuples of arrays, more code than the
kernel itself) and a C-function wrapper, and LLVM optimises both again in the module of every
kernel that calls it: three tenths of a cold start.  Kernels that other kernels call are
compiled without them (``Kernel``); the few that Python calls get the Python wrapper, and nothing
gets the C-function one (it serves first-class function values, which no kernel uses).
"""
from __future__ import annotations

import types as types_module

from numba.core import types
from numba.core.registry import CPUDispatcher


def _plain(arg_type):
    """The argument type a kernel is compiled for: no literal value, signed integers as int64."""
    arg_type = types.unliteral(arg_type)
    if isinstance(arg_type, types.Integer) and arg_type.signed and arg_type.bitwidth < 64:
        return types.int64
    return arg_type


class PlainArgumentDispatcher(CPUDispatcher):
    """numba's CPU dispatcher, typing calls from other kernels with ``_plain`` argument types."""

    def get_call_template(self, args, kws):
        return super().get_call_template(tuple(_plain(a) for a in args),
                                         {k: _plain(v) for k, v in kws.items()})


class Kernel(PlainArgumentDispatcher):
    """A kernel as Python sees it (compiled with numba's Python wrapper), with its twin
    ``callee``, compiled without it, that other kernels call: a kernel names another through a
    module global, which numba types by the object's ``_numba_type_``.  A kernel called both
    from Python and from kernels is compiled once for each.  The callee's function is named
    ``<qualname>.callee``, so numba's cache keeps the two apart (the cache key holds neither
    option: a wrapper-less version loaded for a Python call would crash it)."""

    def __init__(self, py_func, callee, **kwargs):
        super().__init__(py_func=py_func, **kwargs)
        self.callee = callee

    @property
    def _numba_type_(self):
        return self.callee._numba_type_


def _callee_function(func):
    """func as a new function object named ``<qualname>.callee`` (numba's cache files are named
    after the qualified name)."""
    twin = types_module.FunctionType(func.__code__, func.__globals__, func.__name__,
                                     func.__defaults__, func.__closure__)
    twin.__qualname__ = func.__qualname__ + ".callee"
    twin.__doc__ = func.__doc__
    return twin


def compiled(inline: bool = False, cache: bool = True):
    """The decorator of a kernel: cached, without numba's reference counting (kernels allocate
    nothing and only touch arrays their caller owns for the whole call), numpy's error model
    (a division by zero gives inf, as the rate code expects, without a check per division), and
    without numba's C-function wrapper (first-class function values, which no kernel uses).

    ``inline``: LLVM inlines the kernel into every kernel that calls it (its ``alwaysinline``
    attribute, numba's ``forceinline``), for helpers whose call costs more than their work.
    ``cache``: keep the machine code in numba's cache (off only for kernels made on the fly)."""
    options = {"nopython": True, "boundscheck": None, "_nrt": False, "error_model": "numpy",
               "forceinline": inline, "no_cfunc_wrapper": True}

    def decorate(func):
        callee = PlainArgumentDispatcher(py_func=_callee_function(func), locals={},
                                         targetoptions={**options, "no_cpython_wrapper": True})
        kernel = Kernel(py_func=func, callee=callee, locals={}, targetoptions=dict(options))
        if cache:
            callee.enable_caching()
            kernel.enable_caching()
        return kernel
    return decorate
