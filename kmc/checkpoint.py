"""Checkpoints: the complete run state beside the output file, so a killed run can be resumed.

A checkpoint is ``<output>.h5.checkpoint`` (an uncompressed ``.npz``).  It holds every mutable
array of the simulation (site words, vacancy index order, L1 list orders, rates, RNG state,
clock, counts, layer integrals, tracers; the sum tree and the site -> vacancy index are rebuilt
from these), the output schedules' positions, the number of frames and samples the output file
held at that moment, and the resolved configuration.  It is
written to a temporary name, flushed to disk and renamed, so a kill at any moment leaves either
the previous checkpoint or the new one, never a torn one.

Resuming rebuilds the simulation from the stored configuration, restores the arrays, cuts the
output file back to the frames and samples it held at the checkpoint (a kill may have landed
after later frames were written) and carries on: the finished file is bit-identical to that of
an uninterrupted run, because the engine's state and RNG are restored exactly and chunk
boundaries do not change a trajectory.
"""
from __future__ import annotations

import os
import time
import tomllib
import zipfile
from pathlib import Path

import numpy as np

from kmc import __version__
from kmc.config import ConfigError, settings_from_dict

FORMAT = 3   # 2: 32-bit site words replace occupancy + site state; 3: host/solute names (l1_host), [species] in the config
SUFFIX = ".checkpoint"


def checkpoint_path(output_path) -> Path:
    return Path(str(output_path) + SUFFIX)


def run_paths(given) -> tuple[Path, Path, Path]:
    """(final, partial, checkpoint) paths of a run, from either its final or its ``.partial`` name."""
    given = Path(given)
    final = Path(str(given)[: -len(".partial")]) if given.name.endswith(".partial") else given
    return final, Path(str(final) + ".partial"), checkpoint_path(final)


class Checkpointer:
    """Saves the run state after every frame and at least every ``every_wall_s`` of wall time."""

    def __init__(self, output_path, every_wall_s: float):
        self.path = checkpoint_path(output_path)
        self.every_wall_s = every_wall_s
        self._last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.every_wall_s

    def save(self, sim, writer) -> None:
        arrays = sim.get_state()
        arrays["meta_format"] = np.array(FORMAT)
        arrays["meta_code_version"] = np.array(__version__)
        arrays["meta_config_toml"] = np.array(sim.settings.to_toml())
        arrays["meta_n_frames"] = np.array(writer.n_frames if writer is not None else 0)
        arrays["meta_n_samples"] = np.array(writer.n_samples if writer is not None else 0)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self._last = time.monotonic()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def load_checkpoint(path):
    """(settings, state arrays, n_frames, n_samples) from a checkpoint file.

    Raises ValueError with a one-line reason if the file is missing, torn or foreign.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no checkpoint {path}; allowed: a run that was interrupted or killed after "
                         "writing its first frame (checkpoints are written with every frame)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"checkpoint {path} is unreadable ({exc}); allowed: a checkpoint written "
                         "by kmc run") from None
    if int(data.get("meta_format", -1)) != FORMAT:
        raise ValueError(f"checkpoint {path} has format {data.get('meta_format')}, this code reads format "
                         f"{FORMAT}; allowed: resume with the kmc version that wrote it")
    try:
        settings = settings_from_dict(tomllib.loads(str(data["meta_config_toml"])))
    except (ConfigError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"checkpoint {path} holds a configuration this code rejects: {exc}") from None
    n_frames, n_samples = int(data.pop("meta_n_frames")), int(data.pop("meta_n_samples"))
    state = {k: v for k, v in data.items() if not k.startswith("meta_")}
    return settings, state, n_frames, n_samples


def resume_run(given_path):
    """(simulation, writer, checkpointer, final path) to continue an interrupted or killed run.

    ``given_path`` is the run's final name or its ``.partial`` name.  Raises ValueError or OSError
    with a one-line reason when there is nothing to resume.
    """
    from kmc.runfile import KmcWriter
    from kmc.simulation import Simulation

    final, partial, ckpt = run_paths(given_path)
    if not partial.exists():
        if final.exists():
            raise ValueError(f"{final} is a finished run; allowed: the file of an interrupted or killed "
                             "run (X.h5 whose X.h5.partial and X.h5.checkpoint exist)")
        raise ValueError(f"no interrupted run at {final} (neither it nor {partial.name} exists); allowed: "
                         "the output path of an interrupted or killed kmc run")
    settings, state, n_frames, n_samples = load_checkpoint(ckpt)
    sim = Simulation(settings)
    sim.set_state(state)
    writer = KmcWriter.reopen(final, n_frames, n_samples)
    if writer.config_toml() != settings.to_toml():
        writer.close()
        raise ValueError(f"{ckpt.name} belongs to another run than {partial.name} (their configurations "
                         "differ); allowed: the checkpoint written by the same run")
    return sim, writer, Checkpointer(final, settings.output.checkpoint_every_wall_s), final
