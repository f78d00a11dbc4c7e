"""The starts runs keep for later runs of the same start (the CellModel contract's ``start_key``,
``start_record`` and ``start_from_record``: a gap model's pressed face, ~45 % of a 160 x 40 um area's run,
docs/area.md section 6).  A start is kept in two places: the last IN_PROCESS in this process (a scan's runs of one
seed) and the last ON_DISK in the press/ folder of kmc.disk_cache.cache_root() (a user's next `kmc meso` of the
same face, another process of a scan, a Dask worker on the same file system).  Each is kept under its model's
start_key, the digest of everything its press reads (kmc.resolved.assembly.press_key), and on disk with this
code's digest too (kmc.disk_cache.code_digest): a run given a kept start is the run that pressed its own, bit for
bit (tests/test_press_keep.py)."""
from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np

from kmc.disk_cache import cache_root, code_digest, write_whole

IN_PROCESS = 4
# The faces kept on disk, the least recently used dropped beyond it (a 160 x 40 um face is ~0.2 MB compressed,
# a 640 x 160 um one a few MB)
ON_DISK = 32
_in_process: dict = {}                  # start_key -> the model's start_record, the least recently used first


def folder() -> Path:
    """Where the starts are kept on disk: the press/ folder of kmc.disk_cache.cache_root()."""
    return cache_root() / "press"


def _path(key: str) -> Path:
    return folder() / f"{hashlib.sha256((key + code_digest()).encode()).hexdigest()}.npz"


def start_from_kept(model) -> tuple[str | None, str | None]:
    """Give ``model`` the start kept for its start_key, if any (in this process, else on disk): (its key, None
    where the model keeps no start; where the start came from, None where none was kept)."""
    key = model.start_key()
    if key is None:
        return None, None
    if key in _in_process:
        record = _in_process.pop(key)
        model.start_from_record(record, "a start kept in this process")
        _in_process[key] = record                  # now the most recently used
        return key, "this process"
    path = _path(key)
    record = _read(path, key)
    if record is None:
        return key, None
    model.start_from_record(record, str(path))
    return key, str(path)


def keep_start(model, key: str | None) -> None:
    """Keep ``model``'s start (its start_record, once it has made it) under ``key``: in this process as the most
    recently used, and on disk if it is not there yet."""
    record = model.start_record() if key is not None else None
    if record is None:
        return
    _in_process.pop(key, None)
    _in_process[key] = record
    while len(_in_process) > IN_PROCESS:
        del _in_process[next(iter(_in_process))]
    path = _path(key)
    if not path.exists() and write_whole(path, lambda f: np.savez_compressed(f, **record)):
        _drop_least_recent()


def _read(path: Path, key: str) -> dict | None:
    """The record kept at ``path`` if it is whole and kept for ``key``, marked as used now; None otherwise (absent;
    unreadable or another's: deleted, so that this run's start is kept there instead)."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            record = {name: data[name] for name in data.files}
        os.utime(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        record = None
    if record is None or "key" not in record or str(record["key"]) != key:
        try:
            path.unlink()
        except OSError:
            pass
        return None
    record["key"] = key
    return record


def _drop_least_recent() -> None:
    """Delete the kept starts beyond ON_DISK, the least recently used first (another process may be doing
    the same: a file already gone is left so)."""
    try:
        kept = sorted(folder().glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for path in kept[ON_DISK:]:
        try:
            path.unlink()
        except OSError:
            pass
