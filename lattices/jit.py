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
"""
from __future__ import annotations

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


def compiled(inline: bool = False, cache: bool = True):
    """The decorator of a kernel: cached, without numba's reference counting (kernels allocate
    nothing and only touch arrays their caller owns for the whole call), numpy's error model
    (a division by zero gives inf, as the rate code expects, without a check per division).

    ``inline``: LLVM inlines the kernel into every kernel that calls it (its ``alwaysinline``
    attribute, numba's ``forceinline``), for helpers whose call costs more than their work.
    ``cache``: keep the machine code in numba's cache (off only for kernels made on the fly)."""
    options = {"nopython": True, "boundscheck": None, "_nrt": False, "error_model": "numpy",
               "forceinline": inline}

    def decorate(func):
        dispatcher = PlainArgumentDispatcher(py_func=func, locals={}, targetoptions=dict(options))
        if cache:
            dispatcher.enable_caching()
        return dispatcher
    return decorate
