"""/analysis of a kMC run file (what ``kmc analyze`` writes; its columns and definitions are
kmc.analysis's): tables of 1-D columns, a solute profile and the attributes that say how they were
computed."""
from __future__ import annotations

import h5py
import numpy as np

from kmc.runfile.layout import RunFileError, hdf5_reason, open_hdf5

STRING_BLOCK_ROWS = 1 << 16
TABLES = ("frames", "voids", "events")


def _write_columns(group, columns: dict, docs: dict):
    """One 1-D dataset per column.  Event kinds are variable-length UTF-8 strings; the id and size
    lists (digits and commas) are fixed-length UTF-8, which gzip shrinks far below the ~40 bytes
    per row that variable-length strings take.  Long columns are gzip-compressed."""
    for name, (unit, description) in docs.items():
        values = columns[name]
        compress = {"compression": "gzip", "compression_opts": 1} if values.size > 4096 else {}
        if values.dtype == object and name == "kind":
            ds = group.create_dataset(name, data=values, dtype=h5py.string_dtype("utf-8"))
        elif values.dtype == object:
            width = max(1, max(map(len, values), default=0))
            ds = group.create_dataset(name, shape=values.shape, dtype=h5py.string_dtype("utf-8", width), **compress)
            for first in range(0, values.size, STRING_BLOCK_ROWS):   # bounded memory for long tables
                block = values[first:first + STRING_BLOCK_ROWS]
                ds[first:first + block.size] = block.astype(ds.dtype)
        else:
            ds = group.create_dataset(name, data=values, shuffle=bool(compress), **compress)
        ds.attrs["unit"] = unit
        ds.attrs["description"] = description


def write_analysis_group(path, attributes: dict, tables: dict, docs: dict, solute_profile: np.ndarray,
                         profile_description: str, cannot_write: type[Exception] = RunFileError):
    """(Re)write ``/analysis`` of ``path``: ``tables`` {frames, voids, events: {column: values}} with
    ``docs`` {table: {column: (unit, description)}}, the (frame, layer) solute profile and
    ``attributes``.  The old group is deleted first, so that HDF5 can reuse its space; a write that
    fails leaves no ``/analysis`` group rather than a partial one.  ``cannot_write``: the error
    raised when the file cannot be opened for writing."""
    try:
        f = h5py.File(path, "r+")
    except OSError as exc:
        raise cannot_write(f"cannot write into {path} ({hdf5_reason(exc)}); allowed: a writable run file, "
                           "not open in another program") from None
    with f:
        if "analysis" in f:
            del f["analysis"]
        g = f.create_group("analysis", track_order=True)
        try:
            g.attrs.update(attributes)
            for name in TABLES:
                _write_columns(g.create_group(name, track_order=True), tables[name], docs[name])
            profile = g.create_dataset("solute_profile", data=solute_profile)
            profile.attrs["unit"] = "1"
            profile.attrs["dims"] = np.array([b"frame", b"layer"])
            profile.attrs["description"] = profile_description
        except BaseException:
            del f["analysis"]
            raise


def read_analysis_group(path) -> dict | None:
    """{"attrs", "frames", "voids", "events" (each {column: values}, strings as str), "solute_profile"}
    of ``path``'s /analysis; None if the file has none."""
    with open_hdf5(path) as f:
        if "analysis" not in f:
            return None
        g = f["analysis"]
        out = {"attrs": {k: (v.item() if hasattr(v, "item") else v) for k, v in g.attrs.items()}}
        for name in TABLES:
            out[name] = {k: (ds.asstr()[()] if h5py.check_string_dtype(ds.dtype) else ds[()]) for k, ds in g[name].items()}
        out["solute_profile"] = g["solute_profile"][()]
    return out
