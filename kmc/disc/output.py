"""The disc model's run into its file (kmc.cell.output's writer)."""
from __future__ import annotations

from pathlib import Path

from kmc.cell.loop import CellResult, Observer
from kmc.cell.output import SampleWriter, file_writer
from kmc.config import Settings
from kmc.disc.run import run_settings
from kmc.disc.sections import OBSERVABLES
from kmc.disc.voids import DiscVoids, Tolerances


def run_to_file(settings: Settings, path, tol: Tolerances = Tolerances(), observer: Observer = Observer()) -> CellResult:
    """Run ``settings`` into the file ``path`` (through path.partial, renamed when the run ends; an
    error leaves no file)."""
    writer = file_writer(Path(path), settings, OBSERVABLES)
    try:
        result = run_settings(settings, tol, SampleWriter(writer, observer))
        writer.finish(result.stop_reason, result.steps, result.wall_time_s, result.time_s,
                      DiscVoids.void_arrays(result.final), settings.meso.void_shape)
    except BaseException:
        writer.abort()
        raise
    return result
