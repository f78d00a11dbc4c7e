"""The engine's compile-side helpers (kmc.jit): the prefetch hint and the cache sizes that decide
where run_chunk uses it."""
import numpy as np
from numba import njit

from kmc.jit import cache_bytes, prefetch


def test_the_prefetch_hint_reaches_the_machine_code():
    """A hint LLVM dropped (a wrong intrinsic name, say) would leave every run unchanged and only
    slower: the instruction itself is looked for."""
    @njit
    def hint(array, i):
        prefetch(array, i)

    hint(np.zeros(16), 3)
    asm = hint.inspect_asm(hint.signatures[0]).lower()
    assert "prefetch" in asm or "prfm" in asm   # x86, arm64


def test_cache_bytes_reads_the_data_cache_of_a_level_from_sysfs(tmp_path):
    for name, level, kind, size in [("index0", 1, "Data", "48K"), ("index1", 1, "Instruction", "32K"),
                                    ("index2", 2, "Unified", "2048K"), ("index3", 3, "Unified", "96M")]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "level").write_text(f"{level}\n")
        (tmp_path / name / "type").write_text(f"{kind}\n")
        (tmp_path / name / "size").write_text(f"{size}\n")
    assert cache_bytes(1, tmp_path) == 48 << 10
    assert cache_bytes(2, tmp_path) == 2 << 20
    assert cache_bytes(3, tmp_path) == 96 << 20
    assert cache_bytes(4, tmp_path) == 0
    assert cache_bytes(2, tmp_path / "missing") == 0
    (tmp_path / "index2" / "size").write_text("unknown\n")
    assert cache_bytes(2, tmp_path) == 0
