"""The results a later process may read back instead of computing them again (the interface energetics of a
parameter set, kmc.energetics; a face's press, kmc.cell.kept_starts): where they are kept, what a result's key
must hold so that no result other code computed is read back, and how a result is written whole or not at all.

    $KMC_CACHE_DIR, else $XDG_CACHE_HOME/kmc-vacancy, else ~/.cache/kmc-vacancy

Deleting the folder costs the next runs the time only."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

CACHE_ENV = "KMC_CACHE_DIR"
# The packages whose numbers a kept result carries (a newer numpy may round a press differently)
_NUMERIC_PACKAGES = ("numpy", "scipy", "numba")


def cache_root() -> Path:
    """$KMC_CACHE_DIR, else $XDG_CACHE_HOME/kmc-vacancy, else ~/.cache/kmc-vacancy (each result kind in its own
    folder below it)."""
    base = os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kmc-vacancy"
    return Path(base)


@lru_cache(maxsize=None)
def code_digest() -> str:
    """A hash of the packages kmc and lattices (every file: the sources and the data they read, such as the
    mechanics' finite-element tables) and of the numeric packages' versions: a result that other code computed
    is never read back.  Once per process (the sources do not change under a running process)."""
    h = hashlib.sha256()
    for package in ("kmc", "lattices"):
        root = Path(find_spec(package).origin).resolve().parent
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".nbi", ".nbc", ".pyc"):
                h.update(f"{package}/{path.relative_to(root)}".encode())
                h.update(path.read_bytes())
    for name in _NUMERIC_PACKAGES:
        try:
            h.update(f"{name}=={version(name)}".encode())
        except PackageNotFoundError:
            h.update(f"{name} absent".encode())
    return h.hexdigest()


def write_whole(path: Path, write) -> bool:
    """``write(file)`` into ``path`` whole or not at all (a temporary file renamed over it); an unwritable
    folder only costs the next run the time (False)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
        return True
    except OSError:
        return False
    finally:                                 # nothing half-written is left, whatever stopped the write
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
