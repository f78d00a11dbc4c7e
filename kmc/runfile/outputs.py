"""Where run files and figures go: checks that refuse an output path before any work, and writes
that leave nothing half-written."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


class OutputPathError(OSError):
    """An output path that cannot be written; the message names it and says what is allowed."""


def estimated_output_bytes(settings, n_sites: int, charge_per_atom_mAh_cm2: float) -> int:
    """Upper bound on a run file's size: static arrays plus uncompressed int8 frames.

    Frames and observable samples are counted from the charge or event schedule when a matching
    stop is set; with neither, two of each (first and last) are assumed.
    """
    run, out = settings.run, settings.output
    frames = 2
    if out.frame_every_mAh_cm2 and run.stop_stripped_mAh_cm2:
        frames += int(run.stop_stripped_mAh_cm2 / out.frame_every_mAh_cm2)
    if out.frame_every_events and run.max_events:
        frames += run.max_events // out.frame_every_events
    samples = 2 + (int(run.stop_stripped_mAh_cm2 / out.series_every_mAh_cm2)
                   if out.series_every_mAh_cm2 and run.stop_stripped_mAh_cm2 else 0)
    static = n_sites * (3 * 8 + 8 * 4 + 4)   # positions, neighbours, layer
    overhead = 2_000_000                      # HDF5 metadata and preallocated observable chunks
    return overhead + static + frames * n_sites + 200 * samples


def _nearest_existing(folder: Path) -> Path:
    """``folder`` if it exists, else the ancestor from which creating it would start."""
    folder = Path(os.path.abspath(folder))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_output_folder(wanted: Path, allowed: str) -> Path:
    """Raise OutputPathError unless ``wanted`` (a folder) exists or can be created, and files can be
    written in it; return the existing folder checked.  Creates nothing that stays."""
    existing = _nearest_existing(wanted)
    if not existing.is_dir():
        raise OutputPathError(f"output folder {wanted} cannot be created: {existing} is a file; allowed: {allowed}")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".kmc-write-test-"):
            pass
    except OSError as exc:
        raise OutputPathError(f"output folder {wanted} is not writable ({exc.strerror}); allowed: {allowed}") from None
    return existing


def check_output_location(path: Path, needed_bytes: int) -> None:
    """Raise OutputPathError (an OSError) with a one-line reason if ``path``'s folder cannot take
    the run's file.  A missing folder is only checked to be creatable: the writer creates it."""
    folder = Path(path).parent
    existing = check_output_folder(folder, "a writable folder (-o or output.path)")
    free = shutil.disk_usage(existing).free
    if free < needed_bytes:
        raise OutputPathError(f"output folder {folder} has {free / 1e6:.0f} MB free but the run may write up to "
                              f"{needed_bytes / 1e6:.0f} MB; allowed: a folder with more room (-o), or fewer "
                              "frames (output.frame_every_*) or a smaller box")


def check_output_file(output, example: str, inputs=(), overwrite: bool = True) -> Path:
    """``output`` (-o of plot and export) as a Path, or OutputPathError: it must be given, name a
    file (not a folder, not one of the ``inputs``, not an existing file unless ``overwrite``) in an
    existing, writable folder."""
    if output is None:
        raise OutputPathError(f"no output file given; allowed: -o OUT (e.g. -o {example})")
    path = Path(output)
    allowed = f"a file path in an existing folder you can write to (e.g. -o {example})"
    if path.is_dir():
        raise OutputPathError(f"output {output} is a directory; allowed: {allowed}")
    if not path.parent.is_dir():
        raise OutputPathError(f"cannot write {output}: folder {path.parent} does not exist; allowed: {allowed}")
    if any(path.exists() and Path(i).exists() and path.samefile(i) for i in inputs):
        raise OutputPathError(f"output {output} is an input file and would be overwritten; allowed: {allowed}")
    if path.exists() and not overwrite:
        raise OutputPathError(f"output {output} exists; allowed: a new path (-o), or --overwrite to replace it")
    check_output_folder(path.parent, allowed)
    return path


@contextmanager
def replace_when_done(path):
    """Yield a temporary name beside ``path`` to write to; it becomes ``path`` only when the block
    succeeds, so a failed or interrupted write leaves no half-written output (nor clobbers an old one)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def default_output_path(settings) -> Path:
    return Path("runs/out") / f"{settings.model.name}_s{settings.run.seed}.h5"
