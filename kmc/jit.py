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
import warnings
from pathlib import Path

from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.core.errors import NumbaExperimentalFeatureWarning
from numba.extending import intrinsic

from lattices.jit import compiled

# The engine's table of event classes (kmc.engine.events.EVENT_TABLE) is a tuple of kernels, which numba
# types as its dispatchers (direct calls, inlined) but warns about as if they were function values.
warnings.filterwarnings("ignore", message="First-class function type feature is experimental",
                        category=NumbaExperimentalFeatureWarning)

kernel = compiled(inline=False)
kernel_inlined = compiled(inline=True)


@intrinsic
def prefetch(typingctx, array, index):
    """A hint to the CPU to bring the cache line of array[index] (1-d) into every cache level
    (LLVM's llvm.prefetch: read, high locality).  Nothing waits for it and nothing is read, so an
    address that misses every cache costs an instruction, not a stall; it must lie in the array."""
    sig = types.void(array, index)

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        ary = context.make_array(array_type)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, array_type, ary, [args[1]], wraparound=False)
        byte_ptr, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        hint = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32]),
                                              "llvm.prefetch.p0")
        builder.call(hint, [builder.bitcast(ptr, byte_ptr), ir.Constant(i32, 0), ir.Constant(i32, 3),
                            ir.Constant(i32, 1)])
        return context.get_dummy_value()
    return sig, codegen


def cache_bytes(level: int, cpu: Path = Path("/sys/devices/system/cpu/cpu0/cache")) -> int:
    """Size in bytes of the CPU's data (or unified) cache of this level, from Linux's sysfs; 0
    where it cannot be read (another OS, a container that hides it)."""
    try:
        for index in cpu.glob("index*"):
            if int((index / "level").read_text()) == level and (index / "type").read_text().strip() != "Instruction":
                text = (index / "size").read_text().strip()
                return int(text.rstrip("KMG")) * {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    except (OSError, ValueError):
        pass
    return 0


def line_or_plane(signature: str) -> list[str]:
    """numba signatures of a kernel over a line's cells or an area's (kmc.resolved: the section and the area), its
    arrays C-contiguous, so that ravel is a view a kernel may write through and any other layout is refused rather
    than silently copied: ``signature`` with each array written as "f8[]" or "b1[]"."""
    return [signature.replace("[]", dims) for dims in ("[::1]", "[:, ::1]")]


@njit(cache=True, inline="always")
def numpy_maximum(a, b):
    """np.maximum's rule on two floats in a kernel: NaN if either is, else the larger, the first on a tie (-0.0
    against 0.0 included), so a kernel that replaces a numpy expression gives its bits."""
    return a if (a >= b or a != a) else b
