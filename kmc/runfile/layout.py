"""What a run file must hold, how to open one for reading, and what state it is in.

A run is written as ``X.h5.partial`` and renamed to ``X.h5`` when it ends, so a reader meets three
states: complete (``X.h5``), in progress (a ``.partial`` whose writer holds HDF5's lock on it) and
cut off (a ``.partial`` nobody writes: an interrupted or killed run).  The readers that only look
(info, load) read all three; a read that lands inside one of a live writer's flushes is read again.
"""
from __future__ import annotations

import fcntl
import functools
import time
from contextlib import contextmanager
from pathlib import Path

import h5py

from kmc import observables
from kmc.engine import state

RUN_FILE_HINT = "allowed: an .h5 file written by kmc run or kmc meso"
MESO_HAS_NO_FRAMES = ("is a kmc meso file (the interface at the cell's scale: no lattice and no lattice frames; "
                      "a resolved run stores gap sections instead)")
FRAMES_HINT = ("allowed: a file written by kmc run (kmc info, kmc.load and kmc plot --kind contact, compare, "
               "cross-section for a resolved run's gap sections and plan for an area run's, read a kmc meso file)")
# A file still being written is X.h5.partial (renamed to X.h5 when the run ends).
PARTIAL_SUFFIX = ".partial"
# /parameters attribute ``kind``: which command wrote the file (a kMC file written before the
# attribute was added has none)
KIND_KMC, KIND_MESO = "kmc", "meso"


class RunFileError(ValueError):
    """A file given as a run file cannot be used; the message names it, says what is wrong and what is allowed."""


# Everything the readers (info, load, analyze, plot, export) take from a kMC run file.  Shapes use
# "n" for the number of sites, "F" for frames and "S" for observable samples.
RUN_FILE_DATASETS = {
    "particles/metal/position": ("n", 3),
    "particles/metal/neighbors": ("n", 8),
    "particles/metal/layer": ("n",),
    "particles/metal/box/edges": (3,),
    "particles/metal/species/step": ("F",),
    "particles/metal/species/time": ("F",),
    "particles/metal/species/value": ("F", "n"),
    "parameters/config_toml": (),
}
# The observables every reader needs: the sample clock and the charge axis.  A file without them is
# not a run file.  Any other observable may be absent: a file written before it was added reads
# with it reported absent (``absent_observables``), and every observable the file holds is checked.
CORE_OBSERVABLES = ("contact_fraction", "stripped_charge", "stripped_monolayers")
RUN_FILE_DATASETS.update({f"observables/{name}/{part}": ("S",) for name in CORE_OBSERVABLES
                          for part in ("step", "time", "value")})
RUN_FILE_ATTRIBUTES = {
    "particles/metal": ("sites_per_layer", "n_layers", "layer_spacing_A", "lattice_constant_A", "orientation"),
    "particles/metal/box": ("boundary",),
    "parameters": ("code_version", "seed", "model.name", "model.description", "lattice.geometry", "lattice.cells",
                   "composition.solute_fraction", "conditions.temperature_K", "conditions.current_density_mA_cm2",
                   "conditions.stack_pressure_MPa", "boundary.bottom", "run.acceleration"),
    "parameters/model": ("charge_per_atom_mAh_cm2",),
}
# A meso file: no lattice and no frames; the same observables' layout and /parameters.
MESO_CORE_OBSERVABLES = ("contact_fraction", "stripped_charge", "physical_time")
MESO_FILE_DATASETS = {"parameters/config_toml": (),
                      **{f"observables/{name}/{part}": ("S",) for name in MESO_CORE_OBSERVABLES
                         for part in ("step", "time", "value")}}
MESO_FILE_ATTRIBUTES = {"parameters": ("code_version", "seed", "kind", "model.name", "conditions.temperature_K",
                                       "conditions.current_density_mA_cm2", "conditions.stack_pressure_MPa")}
# Names that changed when the species became data (new: old).  Readers accept either, so files
# written before and after the change read alike; kmc.load shows the new name (and the old one
# too when that is what the file holds, for code written against it).
RUN_FILE_RENAMED = {
    "composition.solute_fraction": "composition.mg_fraction",
    "interface_solute_fraction": "interface_mg_fraction",
    "tracer_msd_host": "tracer_msd_li", "tracer_msd_solute": "tracer_msd_mg",
    "tracer_jumps_host": "tracer_jumps_li", "tracer_jumps_solute": "tracer_jumps_mg",
}
_OTHER_NAME = {**RUN_FILE_RENAMED, **{old: new for new, old in RUN_FILE_RENAMED.items()}}
# /run exists only once a run has ended; when it does, info and sweeps read these.  Its event
# counters (count_<class>) may be absent for a class added after the file was written.
RUN_GROUP_ATTRIBUTES = {KIND_KMC: ("stop_reason", "events", "kmc_time_s", "wall_time_s", "events_per_s"),
                        KIND_MESO: ("stop_reason", "steps", "wall_time_s")}
# A run's writer flushes after every frame and sample; a reader that lands inside a flush sees the
# file truncated or one dataset ahead for a moment.  Readers of a run still being written read
# again, this many times, this far apart (a flush of a 1e6-site frame takes milliseconds).
LIVE_READ_TRIES = 20
LIVE_READ_PAUSE_S = 0.1


def stored_name(container, name: str) -> str:
    """``name`` as ``container`` (a group, or a group's attrs) holds it: itself, or its name on the
    other side of the host/solute renaming; ``name`` if neither is there."""
    if name in container:
        return name
    other = _OTHER_NAME.get(name)
    return other if other is not None and other in container else name


def dataset_in(f, name: str):
    """The dataset at path ``name`` (an observable under either of its names), or None."""
    parts = name.split("/")
    if parts[0] == "observables" and len(parts) == 3 and "observables" in f:
        parts[1] = stored_name(f["observables"], parts[1])
    found = f.get("/".join(parts))
    return found if isinstance(found, h5py.Dataset) else None


def file_kind(f) -> str:
    """KIND_KMC or KIND_MESO of an open file (/parameters kind; a kMC file may lack the attribute)."""
    par = f.get("parameters")
    kind = par.attrs.get("kind", KIND_KMC) if isinstance(par, h5py.Group) else KIND_KMC
    return kind.decode() if isinstance(kind, bytes) else str(kind)


def file_kind_of(path) -> str:
    """KIND_KMC or KIND_MESO of the run file at ``path`` (RunFileError if it does not open)."""
    with open_hdf5(path) as f:
        return file_kind(f)


def absent_observables(f) -> list[str]:
    """The observables this code records in every kMC run that the open file ``f`` lacks (written
    before they were added)."""
    held = f["observables"]
    return [name for name in observables.ALWAYS_RECORDED if stored_name(held, name) not in held]


def count_columns(values) -> list[str]:
    """The event classes of the columns of an event_counts dataset (its ``classes`` attribute)."""
    stored = values.attrs.get("classes")
    if stored is None:
        return list(state.EVENT_CLASSES[:values.shape[1] if values.ndim == 2 else 0])
    return [c.decode() if isinstance(c, bytes) else str(c) for c in stored]


def absent_counters(f) -> list[str]:
    """The event classes whose counts the run file ``f`` lacks: in /run (count_<class>) or as a
    column of /observables/event_counts (written before the class was added)."""
    missing = []
    if "run" in f:
        missing = [c for c in state.EVENT_CLASSES if f"count_{c}" not in f["run"].attrs]
    if "event_counts" in f["observables"]:
        columns = count_columns(f["observables/event_counts/value"])
        missing += [c for c in state.EVENT_CLASSES if c not in columns and c not in missing]
    return missing


def hdf5_reason(exc: Exception) -> str:
    """The useful part of an HDF5 error, in words for the common cases."""
    text = " ".join(str(exc).split())
    if "truncated file" in text:
        return "the file is truncated, e.g. an incomplete copy"
    if "unable to lock file" in text:
        return "another process has it open for writing, e.g. a run still in progress"
    if "filter returned failure" in text:
        return "its compressed data are damaged"
    if "(" in text and text.endswith(")"):   # "Unable to ... (the library's reason)"
        return text[text.index("(") + 1:-1]
    return text


@contextmanager
def open_hdf5(path):
    """Open a run file (or a running one's ``.partial``) for reading; an HDF5 failure inside the block
    (the file does not open, its data are damaged, or a live writer's flush was caught halfway:
    h5py raises OSError or RuntimeError, e.g. "bad object header version number") becomes a
    RunFileError naming the file."""
    try:
        # locking=False: a running kmc run holds HDF5's lock on its .partial file; reading it is
        # safe because the writer flushes after every frame and sample (a read that races a write
        # can fail: the readers read again, read_again_while_written)
        with h5py.File(path, "r", locking=False) as f:
            yield f
    except (OSError, RuntimeError) as exc:
        raise RunFileError(f"{path} cannot be read ({hdf5_reason(exc)}); "
                           f"{RUN_FILE_HINT}, complete and undamaged") from None


def _observable_datasets(f, base: dict) -> dict:
    """``base`` with every observable the file holds (their values may have columns)."""
    held = f["observables"] if isinstance(f.get("observables"), h5py.Group) else {}
    return {**base, **{f"observables/{name}/{part}": ("S",) for name in held for part in ("step", "time", "value")}}


def _counts(f, datasets: dict, growing: bool) -> dict:
    """{"n", "F", "S"} from the data themselves (a growing file: the smallest count seen)."""
    sizes = {"S": f[_first_sample(datasets)].shape[0]}
    if "particles/metal/position" in datasets:
        sizes["n"] = f["particles/metal/position"].shape[0]
        sizes["F"] = f["particles/metal/species/value"].shape[0]
    if growing:
        for d in ("F", "S"):
            lengths = [dataset_in(f, name).shape[0] for name, expected in datasets.items() if expected[:1] == (d,)]
            if lengths:
                sizes[d] = min(lengths)
    return sizes


def _first_sample(datasets: dict) -> str:
    """The first observable's values: the sample count of a finished file."""
    return next(name for name, expected in datasets.items() if expected == ("S",) and name.endswith("/value"))


def layout_problem(f: h5py.File, require_frames: bool, growing: bool = False) -> str | None:
    """What makes an open HDF5 file unusable as a run file of its kind (None if nothing).

    ``growing``: a .partial file another process may be writing.  Read without HDF5's lock, its
    datasets can be seen one sample or frame apart, so the counts are the smallest seen and a
    dataset may be longer (readers keep what all have)."""
    kind = file_kind(f)
    meso = kind == KIND_MESO
    base, attributes = (MESO_FILE_DATASETS, MESO_FILE_ATTRIBUTES) if meso else (RUN_FILE_DATASETS, RUN_FILE_ATTRIBUTES)
    if kind not in (KIND_KMC, KIND_MESO):
        return f"is of an unknown kind {kind!r} (/parameters kind)"
    for name in base:
        if dataset_in(f, name) is None:
            return f"is not a kmc {'meso ' if meso else ''}run file (no dataset /{name})"
    datasets = _observable_datasets(f, base)
    for name in datasets:
        if dataset_in(f, name) is None:
            return f"is inconsistent: no dataset /{name} (an interrupted or edited file?)"
    run_group = {"run": RUN_GROUP_ATTRIBUTES[kind]} if "run" in f else {}
    for group, keys in {**attributes, **run_group}.items():
        if not isinstance(f.get(group), h5py.Group):
            return f"is not a kmc run file (no group /{group})"
        missing = [k for k in keys if stored_name(f[group].attrs, k) not in f[group].attrs]
        if missing:
            return f"is not a kmc run file (no attribute {missing[0]} on /{group})"
    if not meso:
        metal = f["particles/metal"]
        try:
            spl, n_layers = int(metal.attrs["sites_per_layer"]), int(metal.attrs["n_layers"])
        except (TypeError, ValueError):
            return "has malformed /particles/metal attributes sites_per_layer, n_layers"
    sizes = _counts(f, datasets, growing)
    if not meso and sizes["n"] != spl * n_layers:
        return (f"is inconsistent: {sizes['n']} sites in /particles/metal/position but "
                f"sites_per_layer x n_layers = {spl * n_layers}")
    for name, expected in datasets.items():
        shape = dataset_in(f, name).shape
        want = tuple(sizes[d] if isinstance(d, str) else d for d in expected)
        if growing and expected[:1] in (("F",), ("S",)) and shape[:1] > want[:1]:
            shape = want[:1] + shape[1:]          # a write in flight: one dataset ahead of another
        columns = name.startswith("observables/") and name.endswith("/value") and len(shape) == 2
        if shape[:len(want)] != want or (len(shape) != len(want) and not columns):
            return (f"is inconsistent: /{name} has shape {shape}, expected {want} "
                    "(an interrupted or edited file?)")
    if require_frames and meso:
        return MESO_HAS_NO_FRAMES
    if require_frames and sizes["F"] == 0:
        return "has no frames in /particles/metal/species (a run killed before its first frame?)"
    return None


def run_status(path) -> str:
    """'complete' (X.h5, the run ended), 'in progress' (X.h5.partial that a process is writing: it
    holds HDF5's lock on the file) or 'interrupted' (X.h5.partial that nobody writes: resumable with
    kmc run --resume X.h5 while its checkpoint is there)."""
    path = Path(path)
    if not path.name.endswith(PARTIAL_SUFFIX):
        return "complete"
    with open(path, "rb") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return "in progress"
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return "interrupted"


def file_of_run(path) -> Path:
    """The file the readers read for path: X.h5, or X.h5.partial while only that exists (the run
    is still being written, or was cut off)."""
    path = Path(path)
    partial = Path(str(path) + PARTIAL_SUFFIX)
    return partial if not path.exists() and partial.is_file() else path


def being_written(path) -> bool:
    """Whether path names a run a process is writing now (run_status)."""
    path = file_of_run(path)
    return path.is_file() and run_status(path) == "in progress"


def read_again_while_written(read):
    """read(path, ...), read again while it fails on a run that is still being written (see
    LIVE_READ_TRIES); any other failure, and the last one, is raised."""
    @functools.wraps(read)
    def reader(path, *args, **kwargs):
        for attempt in range(LIVE_READ_TRIES):
            try:
                return read(path, *args, **kwargs)
            except RunFileError:
                if attempt == LIVE_READ_TRIES - 1 or not being_written(path):
                    raise
                time.sleep(LIVE_READ_PAUSE_S)
    return reader


def check_run_file(path, require_frames: bool = True, running: bool = False) -> Path:
    """``path`` as a Path if it is a run file every reader of its kind can use, else RunFileError.

    Checks what can be checked without reading frames: the file is there, is HDF5, opens (not
    truncated), holds every dataset and attribute the readers use, with consistent shapes, and
    (``require_frames``: the readers of lattice frames) is a kMC file with at least one frame.
    Damaged data inside a dataset only shows when it is read: read inside ``open_hdf5``.  With
    ``running`` (the readers that only look: info, load, plot), X.h5 names its run while only
    X.h5.partial exists (still being written, or cut off), and the path returned is the ``.partial``
    file (``run_status`` tells which).
    """
    path = file_of_run(path) if running else Path(path)
    if not path.exists():
        raise RunFileError(f"no such file: {path} does not exist; {RUN_FILE_HINT}")
    if path.is_dir():
        raise RunFileError(f"{path} is a directory; {RUN_FILE_HINT}")
    if not path.is_file():
        raise RunFileError(f"{path} is not a regular file; {RUN_FILE_HINT}")
    if path.stat().st_size == 0:
        raise RunFileError(f"{path} is empty (0 bytes), not an HDF5 file; {RUN_FILE_HINT}")
    if not h5py.is_hdf5(path):
        raise RunFileError(f"{path} is not an HDF5 file; {RUN_FILE_HINT}")
    with open_hdf5(path) as f:
        problem = layout_problem(f, require_frames, growing=running and path.name.endswith(PARTIAL_SUFFIX))
    if problem:
        allowed = FRAMES_HINT if problem == MESO_HAS_NO_FRAMES else RUN_FILE_HINT
        raise RunFileError(f"{path} {problem}; {allowed}")
    return path
