"""HDF5 output (H5MD layout where it fits), loading for notebooks, and file summaries.

File layout (units are attributes named ``unit``):
  /h5md                       version, author, creator (H5MD 1.1 metadata)
  /particles/metal/box        H5MD box group: dimension, boundary, edges (A)
  /particles/metal/position   (n_sites, 3) fixed site positions, A; z = depth below the electrolyte
  /particles/metal/species    step, time (s), value (n_frames, n_sites) int8: 0 vacancy, 1 host,
                              2 solute (attribute legend names the run's elements, e.g. 1 Li, 2 Mg)
  /particles/metal/neighbors  (n_sites, 8) int32 first neighbours (-1: none)
  /particles/metal/layer      (n_sites,) int32, 0 = L1 (touches the electrolyte)
  /particles/tracers/         runs with tracers only: species (n,), initial_site (n,), and per
                              frame step, time, displacement (n_frames, n, 3) A, site (-1: left)
  /observables/<name>         step, time (s), value, one sample per series-schedule tick; a file
                              written before an observable (or event class) was added lacks it:
                              readers report it absent (CORE_OBSERVABLES are always there)
  /parameters                 config_toml, every resolved key as an attribute, code_version, seed,
                              and the model tables the engine used
  /run                        stop_reason, events, wall time, events per second, event counts
"""
from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

from kmc import __version__, engine, observables
from kmc.species import species_of

# Units of the observables (kmc.observables declares them, with how each is computed).
OBSERVABLE_UNITS = observables.UNITS


def _attr_value(v):
    if isinstance(v, list):
        return np.array(v)
    return v


def _refuse_if_in_use(path: Path):
    """Raise OSError if another process holds ``path`` open for writing (HDF5 takes an flock on
    the files it writes).  Opening with mode "w" would truncate such a file before noticing."""
    import fcntl
    if not path.exists():
        return
    with open(path, "rb") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OSError(f"unable to lock file {path}: another process has it open for writing") from None
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


STATIC_BLOCK_SITES = 1 << 18   # sites per block when writing the fixed lattice tables


class H5Writer:
    """Writes one run to ``path`` through a temporary ``path + '.partial'`` renamed on finish."""

    def __init__(self, path, sim):
        self.path = Path(path)
        self.tmp_path = Path(str(self.path) + ".partial")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _refuse_if_in_use(self.tmp_path)
        self.tmp_path.unlink(missing_ok=True)
        self.f = h5py.File(self.tmp_path, "w-", track_order=True)
        self.n_frames = 0
        self.n_samples = 0
        self.resumed = False
        try:
            self._write_static(sim)
        except BaseException:
            self.abort()
            raise

    @classmethod
    def reopen(cls, path, n_frames: int, n_samples: int) -> "H5Writer":
        """Continue the ``.partial`` file of an interrupted run, cut back to its first ``n_frames``
        frames and ``n_samples`` observable samples (what it held at the checkpoint)."""
        self = cls.__new__(cls)
        self.path = Path(path)
        self.tmp_path = Path(str(self.path) + ".partial")
        try:
            self.f = h5py.File(self.tmp_path, "r+")
        except OSError as exc:
            raise OSError(f"cannot reopen {self.tmp_path} ({exc}); allowed: the .partial file of an "
                          "interrupted kmc run") from None
        obs = self.f["observables"]
        self._obs_units = {name: obs[name]["value"].attrs.get("unit", "") for name in obs}
        self._tracers = "particles/tracers" in self.f
        self._first_obs = obs[next(iter(obs))]
        have_frames = self.f["particles/metal/species/step"].shape[0]
        have_samples = self._first_obs["step"].shape[0]
        if have_frames < n_frames or have_samples < n_samples:
            self.f.close()
            raise OSError(f"{self.tmp_path} holds {have_frames} frames and {have_samples} samples, fewer "
                          f"than its checkpoint's {n_frames} and {n_samples}; allowed: the run file "
                          "written together with that checkpoint")
        sp = self.f["particles/metal/species"]
        for name in ("step", "time", "value"):
            sp[name].resize(n_frames, axis=0)
        if self._tracers:
            for name in ("step", "time", "displacement", "site"):
                self.f["particles/tracers"][name].resize(n_frames, axis=0)
        self._first_obs["step"].resize((n_samples,))
        self._first_obs["time"].resize((n_samples,))
        for name in self._obs_units:
            obs[name]["value"].resize(n_samples, axis=0)
        self.n_frames, self.n_samples = n_frames, n_samples
        self.resumed = True
        self.f.flush()
        return self

    # -- static content ------------------------------------------------------------------------
    def _write_static(self, sim):
        f = self.f
        s = sim.settings
        lat = sim.lattice
        h5md = f.create_group("h5md")
        h5md.attrs["version"] = np.array([1, 1])
        h5md.create_group("author").attrs["name"] = "kmc-vacancy user"
        creator = h5md.create_group("creator")
        creator.attrs["name"] = "kmc-vacancy"
        creator.attrs["version"] = __version__

        metal = f.create_group("particles/metal")
        box = metal.create_group("box")
        box.attrs["dimension"] = 3
        box.attrs["boundary"] = np.array([b"periodic", b"periodic",
                                          b"periodic" if lat.periodic_z else b"none"])
        edges = box.create_dataset("edges", data=lat.box_A)
        edges.attrs["unit"] = "angstrom"
        n, spl = lat.n_sites, lat.sites_per_layer
        pos = metal.create_dataset("position", shape=(n, 3), dtype=np.float64)
        pos.attrs["unit"] = "angstrom"
        pos.attrs["description"] = "fixed lattice sites; z is depth below the electrolyte contact plane"
        nb = metal.create_dataset("neighbors", shape=(n, 8), dtype=np.int32, compression="gzip", shuffle=True)
        nb.attrs["description"] = "first-neighbour site indices, -1 where the slab ends"
        layer = metal.create_dataset("layer", shape=(n,), dtype=np.int32)
        layer.attrs["description"] = "layer index, 0 = L1 (touches the electrolyte)"
        # Written a block of layers at a time: the whole tables (60 bytes per site) would be the
        # run's largest allocation, several times the engine's own state.
        block = max(1, STATIC_BLOCK_SITES // spl)
        for first in range(0, lat.n_layers, block):
            last = min(first + block, lat.n_layers)
            rows = slice(first * spl, last * spl)
            pos[rows] = lat.positions_of_layers(first, last)
            nb[rows] = lat.neighbors_of_layers(first, last)
            layer[rows] = np.repeat(np.arange(first, last, dtype=np.int32), spl)
        metal.attrs["sites_per_layer"] = lat.sites_per_layer
        metal.attrs["n_layers"] = lat.n_layers
        metal.attrs["layer_spacing_A"] = lat.layer_spacing_A
        metal.attrs["orientation"] = lat.orientation
        metal.attrs["lattice_constant_A"] = lat.lattice_constant_A

        sp = metal.create_group("species")
        sp.create_dataset("step", shape=(0,), maxshape=(None,), dtype=np.int64, chunks=(1024,))
        t = sp.create_dataset("time", shape=(0,), maxshape=(None,), dtype=np.float64, chunks=(1024,))
        t.attrs["unit"] = "s"
        v = sp.create_dataset("value", shape=(0, lat.n_sites), maxshape=(None, lat.n_sites), dtype=np.int8,
                              chunks=(1, lat.n_sites), compression="gzip", compression_opts=4, shuffle=False)
        species = species_of(s)
        v.attrs["legend"] = species.legend()
        v.attrs["symbols"] = np.array([sym.encode() for sym in species.symbols])

        par = f.create_group("parameters")
        par.create_dataset("config_toml", data=s.to_toml())
        for key, value in s.flat().items():
            par.attrs[key] = _attr_value(value)
        par.attrs["code_version"] = __version__
        par.attrs["seed"] = s.run.seed
        par.attrs["source"] = s.source
        model = par.create_group("model")
        m, r = sim.model, sim.rates
        for name, data, unit in [("pair_eV", m.pair_eV, "eV"), ("site_eV", m.site_eV, "eV"),
                                 ("l1_pair_eV", m.l1_pair_eV, "eV"), ("kra_eV", m.kra_eV, "eV")]:
            model.create_dataset(name, data=data).attrs["unit"] = unit
        model.attrs["l1_vacancy_pair_eV"] = m.l1_vacancy_pair_eV
        model.attrs["kT_eV"] = m.kT_eV
        model.attrs["attempt_frequency_Hz"] = m.attempt_frequency_Hz
        for k, val in vars(r).items():
            model.attrs[k] = val
        model.attrs["charge_per_atom_mAh_cm2"] = sim.charge_per_atom_mAh_cm2
        model.attrs["acceleration"] = s.run.acceleration
        model.attrs["note"] = ("strip_total_per_s and creep rates include the acceleration factor; "
                               "physical_time = stripped charge / current is the cell time")

        recorded = observables.active(sim)
        self._obs_units = {o.name: o.unit for o in recorded}
        self._tracers = sim.tracer_site.size > 0
        if self._tracers:
            tr = f.create_group("particles/tracers")
            tr.create_dataset("species", data=sim.tracer_species).attrs["legend"] = species.legend()
            tr.create_dataset("initial_site", data=sim.tracer_initial_site)
            n_tr = sim.tracer_site.size
            for name, shape, dtype in [("step", (), np.int64), ("time", (), np.float64),
                                       ("displacement", (n_tr, 3), np.float64), ("site", (n_tr,), np.int32)]:
                tr.create_dataset(name, shape=(0, *shape), maxshape=(None, *shape), dtype=dtype,
                                      chunks=(1, *shape) if shape else (1024,))
            tr["time"].attrs["unit"] = "s"
            tr["displacement"].attrs["unit"] = "angstrom"
            tr["displacement"].attrs["description"] = "sum of lattice jump vectors since the start"

        obs = f.create_group("observables")
        first = None
        for o in recorded:
            name, unit = o.name, o.unit
            g = obs.create_group(name)
            if first is None:
                g.create_dataset("step", shape=(0,), maxshape=(None,), dtype=np.int64, chunks=(4096,))
                ts = g.create_dataset("time", shape=(0,), maxshape=(None,), dtype=np.float64, chunks=(4096,))
                ts.attrs["unit"] = "s"
                first = g
            else:  # H5MD allows step/time to be hard links shared between observables
                g["step"] = first["step"]
                g["time"] = first["time"]
            dtype = observables.sample_dtype(o)
            if o.columns:
                n = len(o.columns)
                val = g.create_dataset("value", shape=(0, n), maxshape=(None, n), dtype=dtype, chunks=(1024, n))
                val.attrs["classes"] = np.array([c.encode() for c in o.columns])
            else:
                val = g.create_dataset("value", shape=(0,), maxshape=(None,), dtype=dtype, chunks=(4096,))
            val.attrs["unit"] = unit
            val.attrs["description"] = o.describe(species)
        self._first_obs = first

    # -- time-dependent content ------------------------------------------------------------------
    def write_frame(self, step: int, time_s: float, occupancy: np.ndarray, tracers=None):
        """One snapshot; ``tracers`` = (displacement_A, site) for runs with tracers."""
        sp = self.f["particles/metal/species"]
        if self.n_frames and sp["step"][self.n_frames - 1] == step:
            return  # the state at this step is already stored
        n = self.n_frames + 1
        for name in ("step", "time", "value"):
            sp[name].resize(n, axis=0)
        sp["step"][n - 1] = step
        sp["time"][n - 1] = time_s
        sp["value"][n - 1] = occupancy
        if self._tracers:
            tr = self.f["particles/tracers"]
            for name, value in zip(("step", "time", "displacement", "site"), (step, time_s, *tracers)):
                tr[name].resize(n, axis=0)
                tr[name][n - 1] = value
        self.n_frames = n
        self.f.flush()  # a killed run leaves a .partial file that opens, with every frame so far

    def write_series(self, step: int, time_s: float, observables: dict):
        obs = self.f["observables"]
        first = self._first_obs
        if self.n_samples and first["step"][self.n_samples - 1] == step:
            return
        n = self.n_samples + 1
        first["step"].resize((n,))
        first["time"].resize((n,))
        first["step"][n - 1] = step
        first["time"][n - 1] = time_s
        for name in self._obs_units:
            val = obs[name]["value"]
            val.resize(n, axis=0)
            val[n - 1] = observables[name]
        self.n_samples = n
        self.f.flush()

    def finish(self, result):
        run = self.f.require_group("run")
        run.attrs["stop_reason"] = result.stop_reason
        run.attrs["resumed"] = self.resumed  # continued from a checkpoint at least once
        run.attrs["events"] = result.events
        run.attrs["kmc_time_s"] = result.kmc_time_s
        run.attrs["wall_time_s"] = result.wall_time_s
        run.attrs["events_per_s"] = result.events_per_s
        run.attrs["note"] = "wall_time_s and events_per_s depend on the machine; everything else is reproducible"
        counts = result.observables["event_counts"]
        for name, c in zip(engine.EVENT_CLASSES, counts):
            run.attrs[f"count_{name}"] = int(c)
        self.close()
        os.replace(self.tmp_path, self.path)

    def close(self):
        if self.f.id.valid:
            self.f.close()

    def suspend(self):
        """Close an interrupted run's file under its ``.partial`` name, for ``kmc run --resume``."""
        self.close()

    def abort(self):
        """Drop the partial file (used when a run fails before producing anything useful)."""
        self.close()
        self.tmp_path.unlink(missing_ok=True)


# ------------------------------------------------------------------------------- checking run files
RUN_FILE_HINT = "allowed: an .h5 file written by kmc run"


class RunFileError(ValueError):
    """A file given as a run file cannot be used; the message names it, says what is wrong and what is allowed."""


class OutputPathError(OSError):
    """An output path that cannot be written; the message names it and says what is allowed."""


# Everything the readers (info, load, analyze, plot, export) take from a run file.  Shapes use
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
# A file still being written is X.h5.partial (renamed to X.h5 when the run ends).
PARTIAL_SUFFIX = ".partial"


def _stored_name(container, name: str) -> str:
    """``name`` as ``container`` (a group, or a group's attrs) holds it: itself, or its name on the
    other side of the host/solute renaming; ``name`` if neither is there."""
    if name in container:
        return name
    other = _OTHER_NAME.get(name)
    return other if other is not None and other in container else name


def _dataset_in(f, name: str):
    """The dataset at path ``name`` (an observable under either of its names), or None."""
    parts = name.split("/")
    if parts[0] == "observables" and len(parts) == 3 and "observables" in f:
        parts[1] = _stored_name(f["observables"], parts[1])
    found = f.get("/".join(parts))
    return found if isinstance(found, h5py.Dataset) else None
# /run exists only once a run has ended; when it does, info and sweeps read these.  Its event
# counters (count_<class>) may be absent for a class added after the file was written.
RUN_GROUP_ATTRIBUTES = ("stop_reason", "events", "kmc_time_s", "wall_time_s", "events_per_s")


def _observable_datasets(f) -> dict:
    """RUN_FILE_DATASETS with every observable the file holds (their values may have columns)."""
    held = f["observables"] if isinstance(f.get("observables"), h5py.Group) else {}
    return {**RUN_FILE_DATASETS, **{f"observables/{name}/{part}": ("S",) for name in held
                                    for part in ("step", "time", "value")}}


def absent_observables(f) -> list[str]:
    """The observables this code records in every run that the open run file ``f`` lacks
    (written before they were added)."""
    held = f["observables"]
    return [name for name in observables.ALWAYS_RECORDED if _stored_name(held, name) not in held]


def absent_counters(f) -> list[str]:
    """The event classes whose counts the run file ``f`` lacks: in /run (count_<class>) or as a
    column of /observables/event_counts (written before the class was added)."""
    missing = []
    if "run" in f:
        missing = [c for c in engine.EVENT_CLASSES if f"count_{c}" not in f["run"].attrs]
    if "event_counts" in f["observables"]:
        columns = _count_columns(f["observables/event_counts/value"])
        missing += [c for c in engine.EVENT_CLASSES if c not in columns and c not in missing]
    return missing


def _count_columns(values) -> list[str]:
    """The event classes of the columns of an event_counts dataset (its ``classes`` attribute)."""
    stored = values.attrs.get("classes")
    if stored is None:
        return list(engine.EVENT_CLASSES[:values.shape[1] if values.ndim == 2 else 0])
    return [c.decode() if isinstance(c, bytes) else str(c) for c in stored]


def hdf5_reason(exc: OSError) -> str:
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


def _layout_problem(f: h5py.File, require_frames: bool, growing: bool = False) -> str | None:
    """What makes an open HDF5 file unusable as a run file (None if nothing).

    ``growing``: a .partial file another process may be writing.  Read without HDF5's lock, its
    datasets can be seen one sample or frame apart, so the counts are the smallest seen and a
    dataset may be longer (readers keep what all have)."""
    for name in RUN_FILE_DATASETS:
        if _dataset_in(f, name) is None:
            return f"is not a kmc run file (no dataset /{name})"
    datasets = _observable_datasets(f)
    for name in datasets:
        if _dataset_in(f, name) is None:
            return f"is inconsistent: no dataset /{name} (an interrupted or edited file?)"
    for group, keys in {**RUN_FILE_ATTRIBUTES, **({"run": RUN_GROUP_ATTRIBUTES} if "run" in f else {})}.items():
        if not isinstance(f.get(group), h5py.Group):
            return f"is not a kmc run file (no group /{group})"
        missing = [k for k in keys if _stored_name(f[group].attrs, k) not in f[group].attrs]
        if missing:
            return f"is not a kmc run file (no attribute {missing[0]} on /{group})"
    metal = f["particles/metal"]
    try:
        spl, n_layers = int(metal.attrs["sites_per_layer"]), int(metal.attrs["n_layers"])
    except (TypeError, ValueError):
        return "has malformed /particles/metal attributes sites_per_layer, n_layers"
    # the counts come from the data themselves (sites, frames, samples); the rest must match them
    sizes = {d: f[name].shape[0] if f[name].ndim else -1 for d, name in (
        ("n", "particles/metal/position"), ("F", "particles/metal/species/value"),
        ("S", "observables/contact_fraction/value"))}
    if growing:
        for d in ("F", "S"):
            sizes[d] = min(_dataset_in(f, name).shape[0] for name, expected in datasets.items()
                           if expected[:1] == (d,))
    if sizes["n"] != spl * n_layers:
        return (f"is inconsistent: {sizes['n']} sites in /particles/metal/position but "
                f"sites_per_layer x n_layers = {spl * n_layers}")
    for name, expected in datasets.items():
        shape = _dataset_in(f, name).shape
        want = tuple(sizes[d] if isinstance(d, str) else d for d in expected)
        if growing and expected[:1] in (("F",), ("S",)) and shape[:1] > want[:1]:
            shape = want[:1] + shape[1:]          # a write in flight: one dataset ahead of another
        columns = name.startswith("observables/") and name.endswith("/value") and len(shape) == 2
        if shape[:len(want)] != want or (len(shape) != len(want) and not columns):
            return (f"is inconsistent: /{name} has shape {shape}, expected {want} "
                    "(an interrupted or edited file?)")
    if require_frames and sizes["F"] == 0:
        return "has no frames in /particles/metal/species (a run killed before its first frame?)"
    return None


def run_status(path) -> str:
    """'complete' (X.h5, the run ended), 'in progress' (X.h5.partial that a process is writing: it
    holds HDF5's lock on the file) or 'interrupted' (X.h5.partial that nobody writes: resumable with
    kmc run --resume X.h5 while its checkpoint is there)."""
    import fcntl
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


# A run's writer flushes after every frame and sample; a reader that lands inside a flush sees the
# file truncated or one dataset ahead for a moment.  Readers of a run still being written read
# again, this many times, this far apart (a flush of a 1e6-site frame takes milliseconds).
LIVE_READ_TRIES = 20
LIVE_READ_PAUSE_S = 0.1


def is_meso_file(path) -> bool:
    """Whether ``path`` is a finished `kmc meso` file (/parameters kind = 'meso'): the interface at
    the cell's scale, with the kMC's observables on ``sample`` and no lattice or frames."""
    path = Path(path)
    if not (path.is_file() and h5py.is_hdf5(path)):
        return False
    with open_run_file(path) as f:
        return "parameters" in f and f["parameters"].attrs.get("kind") == "meso"


def _load_meso(path, as_xarray):
    """A `kmc meso` file as load returns a run: every observable on ``sample``, with
    ``stripped_charge`` and ``sample_time`` as coordinates, /parameters and /run as attributes."""
    with open_run_file(path) as f:
        series = {name: g["value"][()] for name, g in f["observables"].items()}
        units = {name: _text(g["value"].attrs.get("unit", "")) for name, g in f["observables"].items()}
        time_s = f["observables/stripped_charge/time"][()]
        attrs = {k: _text(v) for k, v in f["parameters"].attrs.items()}
        attrs.update({f"run_{k}": _text(v) for k, v in f["run"].attrs.items()})
    attrs["run_status"] = "complete"
    if not _want_xarray(as_xarray):
        return {**series, "sample_time_s": time_s, "attrs": attrs}
    import xarray as xr
    ds = xr.Dataset({name: ("sample", v, {"unit": units[name]}) for name, v in series.items()
                     if name != "stripped_charge"},
                    coords={"stripped_charge": ("sample", series["stripped_charge"],
                                                {"unit": units["stripped_charge"]}),
                            "sample_time": ("sample", time_s, {"unit": "s"})})
    ds.attrs.update({k: v for k, v in attrs.items() if isinstance(v, (str, int, float, bool))})
    return ds


def _text(v):
    return v.decode() if isinstance(v, bytes) else (v.item() if hasattr(v, "item") and np.ndim(v) == 0 else v)


def _want_xarray(as_xarray: bool | None) -> bool:
    """``as_xarray``, or (None) whether xarray is installed."""
    if as_xarray is not None:
        return as_xarray
    try:
        import xarray  # noqa: F401
        return True
    except ImportError:
        return False


def _read_series(f) -> tuple[dict, dict]:
    """{name: values} and {name: unit} of every observable the file holds; event_counts with one
    column per class of engine.EVENT_CLASSES (NaN for a class added after the file was written)."""
    held = f["observables"]
    series = {name: held[f"{name}/value"][()] for name in held}
    units = {name: held[f"{name}/value"].attrs.get("unit", "") for name in held}
    if "event_counts" in series:
        series["event_counts"] = _counts_by_class(series["event_counts"], _count_columns(held["event_counts/value"]))
    return series, units


def _counts_by_class(values: np.ndarray, columns: list[str]) -> np.ndarray:
    """event_counts with one column per class of engine.EVENT_CLASSES, in its order: a class the
    file's columns lack (added after it was written) is NaN."""
    if columns == list(engine.EVENT_CLASSES):
        return values
    out = np.full((values.shape[0], len(engine.EVENT_CLASSES)), np.nan)
    for i, c in enumerate(engine.EVENT_CLASSES):
        if c in columns:
            out[:, i] = values[:, columns.index(c)]
    return out


def file_of_run(path) -> Path:
    """The file the readers read for path: X.h5, or X.h5.partial while only that exists (the run
    is still being written, or was cut off)."""
    path = Path(path)
    partial = Path(str(path) + PARTIAL_SUFFIX)
    return partial if not path.exists() and partial.is_file() else path


def _being_written(path) -> bool:
    """Whether path names a run a kmc run process is writing now (run_status)."""
    path = file_of_run(path)
    return path.is_file() and run_status(path) == "in progress"


def _read_again_while_written(read):
    """read(path, ...), read again while it fails on a run that is still being written (see
    LIVE_READ_TRIES); any other failure, and the last one, is raised."""
    @functools.wraps(read)
    def reader(path, *args, **kwargs):
        for attempt in range(LIVE_READ_TRIES):
            try:
                return read(path, *args, **kwargs)
            except RunFileError:
                if attempt == LIVE_READ_TRIES - 1 or not _being_written(path):
                    raise
                time.sleep(LIVE_READ_PAUSE_S)
    return reader


def check_run_file(path, require_frames: bool = True, running: bool = False) -> Path:
    """``path`` as a Path if it is a kmc run file every reader can use, else RunFileError.

    Checks what can be checked without reading frames: the file is there, is HDF5, opens (not
    truncated), holds every dataset and attribute the readers use, with consistent shapes, and
    (``require_frames``) at least one frame.  Damaged data inside a dataset only shows when it is
    read: read inside ``open_run_file``.  With ``running`` (the readers that only look: info, load),
    X.h5 names its run while only X.h5.partial exists (still being written, or cut off), and the
    path returned is the ``.partial`` file (``run_status`` tells which).
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
    with open_run_file(path) as f:
        problem = _layout_problem(f, require_frames, growing=running and path.name.endswith(PARTIAL_SUFFIX))
    if problem:
        raise RunFileError(f"{path} {problem}; {RUN_FILE_HINT}")
    return path


@contextmanager
def open_run_file(path):
    """Open a run file (or a running one's ``.partial``) for reading; an HDF5 failure inside the
    block (the file does not open, or its data are damaged) becomes a RunFileError naming the file."""
    try:
        # locking=False: a running kmc run holds HDF5's lock on its .partial file; reading it is
        # safe because the writer flushes after every frame and sample (a read that races a write
        # can fail: load and info read again, _read_again_while_written)
        with h5py.File(path, "r", locking=False) as f:
            yield f
    except OSError as exc:
        raise RunFileError(f"{path} cannot be read ({hdf5_reason(exc)}); "
                           f"{RUN_FILE_HINT}, complete and undamaged") from None


# ------------------------------------------------------------------------------- reading
def _read_parameters(f) -> dict:
    par = f["parameters"]
    out = {}
    for k, v in par.attrs.items():
        out[k] = v.tolist() if isinstance(v, np.ndarray) else (v.item() if hasattr(v, "item") else v)
    out["config_toml"] = par["config_toml"][()].decode() if isinstance(par["config_toml"][()], bytes) \
        else par["config_toml"][()]
    return out


def _frame_samples(frame_step: np.ndarray, sample_step: np.ndarray) -> np.ndarray:
    """Index of the observables sample taken at each frame's step (-1 where there is none: every
    frame has one in files kmc writes, but in a file read while it is written the last frame can
    be ahead of its sample; ``load`` leaves such frames out)."""
    at = np.searchsorted(sample_step, frame_step)
    found = at < sample_step.size
    found[found] = sample_step[at[found]] == frame_step[found]
    return np.where(found, at, -1)


@_read_again_while_written
def load(path, as_xarray: bool | None = None):
    """Load a run for analysis (a finished X.h5, or a run still being written: X.h5.partial).

    Returns an ``xarray.Dataset`` when xarray is installed, else a dict of numpy arrays with the
    same names (``as_xarray=False`` forces the dict).  Dimensions: ``frame`` (snapshots), ``site``,
    ``xyz``, ``sample`` (the observables' time series), ``event_class``.

    Coordinates, so that plots and selections speak the physics:

    - on ``sample``: ``sample_step``, ``sample_time`` (s), and ``stripped_charge`` (mAh/cm2) and
      ``stripped_monolayers``: ``ds.contact_fraction.plot(x="stripped_charge")``;
    - on ``frame``: ``frame_step``, ``frame_time`` (s), ``frame_sample`` (the index of the sample
      taken at the frame's step; a run being written, or cut off, shows only the frames whose
      sample is written) and ``frame_stripped_charge`` /
      ``frame_stripped_monolayers`` (the samples' values at the frames):
      ``ds.contact_fraction.isel(sample=ds.frame_sample)`` is the contact at each frame.

    Every observable is a variable on ``sample`` (``event_counts`` on sample x event_class).  Names
    renamed when the species became data (``RUN_FILE_RENAMED``) appear under the new name, and also
    under the old one when that is what the file holds.  The run alone: ``kmc.load``
    (``kmc.analysis.load``) adds what ``kmc analyze`` wrote.

    The attribute ``run_status`` is 'complete', 'in progress' (being written now: later calls see
    more frames) or 'interrupted' (resumable with ``kmc run --resume``); see ``run_status``.
    """
    if is_meso_file(path):
        return _load_meso(path, as_xarray)
    path = check_run_file(path, require_frames=False, running=True)
    status = run_status(path)
    with open_run_file(path) as f:
        metal = f["particles/metal"]
        data = {
            "species": metal["species/value"][()],
            "species_legend": str(metal["species/value"].attrs.get("legend", "")),
            "frame_step": metal["species/step"][()],
            "frame_time_s": metal["species/time"][()],
            "position_A": metal["position"][()],
            "layer": metal["layer"][()],
            "neighbors": metal["neighbors"][()],
            "box_A": metal["box/edges"][()],
            "sample_step": f["observables/contact_fraction/step"][()],
            "sample_time_s": f["observables/contact_fraction/time"][()],
        }
        series, units = _read_series(f)
        absent = absent_observables(f)
        attrs = {"sites_per_layer": int(metal.attrs["sites_per_layer"]),
                 "n_layers": int(metal.attrs["n_layers"]), "run_status": status,
                 # what this code records but the file (written before it was added) lacks: NaN here
                 "absent_observables": ", ".join(absent), "absent_counters": ", ".join(absent_counters(f))}
        attrs.update({f"run.{k}": (v.item() if hasattr(v, "item") else v) for k, v in f["run"].attrs.items()}
                     if "run" in f else {})
        params = _read_parameters(f)
    # a run being written may have grown a sample between reading step and value: keep what all have
    n_samples = min([data["sample_step"].size, data["sample_time_s"].size] + [v.shape[0] for v in series.values()])
    n_frames = min(data["species"].shape[0], data["frame_step"].size, data["frame_time_s"].size)
    data.update(sample_step=data["sample_step"][:n_samples], sample_time_s=data["sample_time_s"][:n_samples],
                species=data["species"][:n_frames], frame_step=data["frame_step"][:n_frames],
                frame_time_s=data["frame_time_s"][:n_frames])
    series = {name: v[:n_samples] for name, v in series.items()}
    for name in absent:
        columns = observables.BY_NAME[name].columns
        series[name] = np.full((n_samples, len(columns)) if columns else n_samples, np.nan)
        units[name] = observables.UNITS[name]
    for new, old in RUN_FILE_RENAMED.items():   # the new name always; the old one if the file has it
        if old in series and new not in series:
            series[new], units[new] = series[old], units[old]
        if old in params and new not in params:
            params[new] = params[old]
    frame_sample = _frame_samples(data["frame_step"], data["sample_step"])
    if status != "complete":
        # a frame is written and flushed just before its sample, so a file read while it is written
        # (or cut off between the two) can end in frames without their sample: keep those that have one
        n_frames = int(np.flatnonzero(frame_sample >= 0)[-1]) + 1 if (frame_sample >= 0).any() else 0
        frame_sample = frame_sample[:n_frames]
        data.update(species=data["species"][:n_frames], frame_step=data["frame_step"][:n_frames],
                    frame_time_s=data["frame_time_s"][:n_frames])
    at_frames = {}
    for name in ("stripped_charge", "stripped_monolayers"):
        values = series[name]
        at_frames[name] = np.where(frame_sample >= 0, values[np.maximum(frame_sample, 0)] if values.size else np.nan,
                                   np.nan)
    legend = data.pop("species_legend")
    attrs["species_legend"] = legend
    if not _want_xarray(as_xarray):
        data.update(series)
        data["frame_sample"] = frame_sample
        data.update({f"frame_{name}": v for name, v in at_frames.items()})
        data["parameters"] = params
        data["attrs"] = attrs
        return data
    import xarray as xr
    coordinates = ("stripped_charge", "stripped_monolayers")
    ds = xr.Dataset(
        {
            "species": (("frame", "site"), data["species"], {"legend": legend}),
            "position": (("site", "xyz"), data["position_A"], {"unit": "angstrom"}),
            "layer": (("site",), data["layer"]),
        },
        coords={
            "frame_step": ("frame", data["frame_step"]),
            "frame_time": ("frame", data["frame_time_s"], {"unit": "s"}),
            "frame_sample": ("frame", frame_sample, {"description": "index of the sample at the frame's step"}),
            **{f"frame_{name}": ("frame", at_frames[name], {"unit": units[name]}) for name in coordinates},
            "sample_step": ("sample", data["sample_step"]),
            "sample_time": ("sample", data["sample_time_s"], {"unit": "s"}),
            **{name: ("sample", series[name], {"unit": units[name]}) for name in coordinates},
            "xyz": ["x", "y", "z"],
            "event_class": list(engine.EVENT_CLASSES),
        },
    )
    ds["neighbors"] = (("site", "neighbor_slot"), data["neighbors"])
    for name, value in series.items():
        if name not in coordinates:
            dims = ("sample", "event_class") if value.ndim == 2 else ("sample",)
            ds[name] = (dims, value, {"unit": units[name]})
    ds.attrs.update({k: v for k, v in params.items() if isinstance(v, (str, int, float))})
    ds.attrs.update(attrs)
    ds.attrs["box_A"] = data["box_A"]
    return ds


@_read_again_while_written
def info(path) -> str:
    """A short human-readable summary of a run file, or of a run still being written (its
    ``.partial``); RunFileError if it is not a usable one."""
    if is_meso_file(path):
        return _load_meso(path, as_xarray)
    path = check_run_file(path, require_frames=False, running=True)
    status = run_status(path)
    lines = []
    with open_run_file(path) as f:
        par = f["parameters"].attrs
        metal = f["particles/metal"]
        n_sites = metal["position"].shape[0]
        lines.append(f"file            {path}")
        if status != "complete":
            lines.append(f"status          run {status}: "
                         + ("a kmc run is writing this file; what follows is its state so far" if status == "in progress"
                            else "interrupted or killed; continue it with kmc run --resume "
                                 f"{str(path)[:-len(PARTIAL_SUFFIX)]}"))
        lines.append(f"model           {par['model.name']}  (code {par['code_version']}, seed {par['seed']})")
        lines.append(f"lattice         {metal.attrs['orientation']} {par['lattice.geometry']}, cells "
                     f"{[int(c) for c in par['lattice.cells']]}, {n_sites} sites, {metal.attrs['n_layers']} layers")
        lines.append(f"conditions      {par['conditions.temperature_K']} K, "
                     f"{par['conditions.current_density_mA_cm2']} mA/cm2, "
                     f"{par['conditions.stack_pressure_MPa']} MPa, bottom = {par['boundary.bottom']}, "
                     f"acceleration {par['run.acceleration']:g}")
        lines.append(f"frames          {metal['species/value'].shape[0]}")
        obs = f["observables"]
        n = min(obs[name]["value"].shape[0] for name in obs)
        lines.append(f"samples         {n}")
        if n:
            for k in obs:
                if k == "event_counts" or k.startswith("tracer_"):
                    continue
                v = obs[f"{k}/value"]
                unit = v.attrs.get("unit", "")
                unit = unit.decode() if isinstance(unit, bytes) else str(unit)
                lines.append(f"  final {k:26s} {float(v[n - 1]):.6g} {'' if unit == '1' else unit}".rstrip())
        absent = absent_observables(f)
        if absent:
            lines.append(f"absent          {', '.join(absent)} (recorded by this code, not in this file: "
                         "written before they were added)")
        if "run" in f:
            r = f["run"].attrs
            lines.append(f"stop reason     {r['stop_reason']}")
            lines.append(f"events          {int(r['events'])}  ({float(r['events_per_s']) / 1e6:.3g} M/s, "
                         f"{float(r['wall_time_s']):.1f} s wall, {float(r['kmc_time_s']):.4g} s kMC)")
            counts = ", ".join(f"{c} {int(r['count_' + c])}" if f"count_{c}" in r else f"{c} absent"
                               for c in engine.EVENT_CLASSES)
            lines.append(f"event counts    {counts}")
        else:
            lines.append(f"stop reason     (run {status}: not finished)")
    return "\n".join(lines)


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


def check_output_file(output, example: str, inputs=()) -> Path:
    """``output`` (-o of plot and export) as a Path, or OutputPathError: it must be given, name a
    file (not a folder, not one of the ``inputs``) in an existing, writable folder."""
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
