"""The writers of both kinds of run file (the layout: kmc.runfile).  Each writes ``X.h5.partial``,
holding HDF5's lock on it while it writes (readers see "in progress"), flushes after every frame
and sample (a killed run leaves a file that opens, with everything so far) and renames it to
``X.h5`` when the run ends."""
from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from kmc import __version__, observables
from kmc.engine import state
from kmc.runfile.layout import KIND_KMC, KIND_MESO
from kmc.species import species_of


def _attr_value(v):
    if isinstance(v, list):
        return np.array(v)
    return v


def _write_h5md(f):
    h5md = f.create_group("h5md")
    h5md.attrs["version"] = np.array([1, 1])
    h5md.create_group("author").attrs["name"] = "kmc-vacancy user"
    creator = h5md.create_group("creator")
    creator.attrs["name"] = "kmc-vacancy"
    creator.attrs["version"] = __version__


def _write_parameters(f, config_toml: str, parameters: dict, seed: int, source: str, kind: str):
    """/parameters: the configuration as TOML and each key that applies to the kind as an attribute."""
    par = f.create_group("parameters")
    par.create_dataset("config_toml", data=config_toml)
    for key, value in parameters.items():
        par.attrs[key] = _attr_value(value)
    par.attrs.update({"code_version": __version__, "seed": seed, "source": source, "kind": kind})
    return par


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


class KmcWriter:
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
        self.run_attributes = {}
        try:
            self._write_static(sim)
        except BaseException:
            self.abort()
            raise

    @classmethod
    def reopen(cls, path, n_frames: int, n_samples: int) -> "KmcWriter":
        """Continue the ``.partial`` file of an interrupted run, cut back to its first ``n_frames``
        frames and ``n_samples`` observable samples (what it held at the checkpoint)."""
        self = cls.__new__(cls)
        self.path = Path(path)
        self.tmp_path = Path(str(self.path) + ".partial")
        if self.tmp_path.is_file() and not h5py.is_hdf5(self.tmp_path):
            raise OSError(f"{self.tmp_path} is not an HDF5 file; allowed: the .partial file of an interrupted kmc run")
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
        self.run_attributes = {}
        self.f.flush()
        return self

    # -- static content ------------------------------------------------------------------------
    def _write_static(self, sim):
        f = self.f
        s = sim.settings
        lat = sim.lattice
        _write_h5md(f)

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

        par = _write_parameters(f, s.to_toml(), s.flat(), s.run.seed, s.source, KIND_KMC)
        model = par.create_group("model")
        m, r = sim.model, sim.rates
        for name, data, unit in [("pair_eV", m.pair_eV, "eV"), ("site_eV", m.site_eV, "eV"),
                                 ("l1_pair_eV", m.l1_pair_eV, "eV"), ("kra_eV", m.kra_eV, "eV")]:
            model.create_dataset(name, data=data).attrs["unit"] = unit
        model.attrs["l1_vacancy_pair_eV"] = m.l1_vacancy_pair_eV
        model.attrs["kT_eV"] = m.kT_eV
        model.attrs["attempt_frequency_Hz"] = m.attempt_frequency_Hz
        model.attrs["hop_prefactor_Hz"] = m.hop_prefactor_Hz
        for k, val in vars(r).items():
            model.attrs[k] = val
        model.attrs["charge_per_atom_mAh_cm2"] = sim.charge_per_atom_mAh_cm2
        model.attrs["acceleration"] = s.run.acceleration
        model.attrs["note"] = ("strip_total_per_s and creep rates include the acceleration factor; "
                               "physical_time = stripped charge / current is the cell time")

        recorded = observables.active(sim)
        self._obs_units = {o.name: o.unit for o in recorded}
        self._tracers = sim.tracer_count > 0
        if self._tracers:
            tr = f.create_group("particles/tracers")
            tr.create_dataset("species", data=sim.tracer_species).attrs["legend"] = species.legend()
            tr.create_dataset("initial_site", data=sim.tracer_initial_site)
            n_tr = sim.tracer_count
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
        run.attrs["compile_time_s"] = result.compile_time_s
        run.attrs["note"] = ("wall_time_s (the events' wall time of the last call), events_per_s and compile_time_s "
                             "(numba compiling the engine before the first event: the first run of an energy form "
                             "only, else 0) depend on the machine; everything else is reproducible")
        counts = result.observables["event_counts"]
        for name, c in zip(state.EVENT_CLASSES, counts):
            run.attrs[f"count_{name}"] = int(c)
        for key, value in (result.fast_events or {}).items():   # run.fast_event_scaling's record
            run.attrs[f"fast_event_{key}"] = value
        for key, value in self.run_attributes.items():
            run.attrs[key] = value
        self.close()
        os.replace(self.tmp_path, self.path)

    def config_toml(self) -> str:
        """The configuration the file was written with (/parameters/config_toml)."""
        stored = self.f["parameters/config_toml"][()]
        return stored.decode() if isinstance(stored, bytes) else str(stored)

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


class MesoWriter:
    """Writes one `kmc meso` run to ``path`` through ``path + '.partial'``, sample by sample, in the
    kMC file's conventions: the H5MD header, /parameters (``parameters``: the resolved keys that
    apply to the meso model; ``derived``: what the energy model gives the voids, as attributes of
    /parameters/derived), /observables/<name>/{step, time, value} (step: the sample's index; the
    clocks shared as hard links), /run and the final /voids when it ends."""

    def __init__(self, path, config_toml: str, parameters: dict, seed: int, source: str, series: dict,
                 derived: dict):
        self.path = Path(path)
        self.tmp_path = Path(str(self.path) + ".partial")
        _refuse_if_in_use(self.tmp_path)
        self.tmp_path.unlink(missing_ok=True)
        self.f = h5py.File(self.tmp_path, "w-", track_order=True)
        self.n_samples = 0
        try:
            _write_h5md(self.f)
            par = _write_parameters(self.f, config_toml, parameters, seed, source, KIND_MESO)
            par.create_group("derived").attrs.update(derived)
            obs = self.f.create_group("observables")
            first = None
            for name, (unit, description) in series.items():
                g = obs.create_group(name)
                if first is None:
                    g.create_dataset("step", shape=(0,), maxshape=(None,), dtype=np.int64, chunks=(1024,))
                    g.create_dataset("time", shape=(0,), maxshape=(None,), dtype=np.float64,
                                     chunks=(1024,)).attrs["unit"] = "s"
                    first = g
                else:
                    g["step"] = first["step"]
                    g["time"] = first["time"]
                val = g.create_dataset("value", shape=(0,), maxshape=(None,), dtype=np.float64, chunks=(1024,))
                val.attrs["unit"] = unit
                val.attrs["description"] = description
            self._first = first
            self._names = tuple(series)
            self.f.flush()
        except BaseException:
            self.abort()
            raise

    def write_sample(self, time_s: float, values: dict):
        """One sample of every observable (``values``: name -> number)."""
        n = self.n_samples + 1
        for name in ("step", "time"):
            self._first[name].resize((n,))
        self._first["step"][n - 1] = n - 1
        self._first["time"][n - 1] = time_s
        obs = self.f["observables"]
        for name in self._names:
            val = obs[name]["value"]
            val.resize((n,))
            val[n - 1] = values[name]
        self.n_samples = n
        self.f.flush()

    def write_gap_section(self, stripped_charge_mAh_cm2: float, gap_um, cell_um: float):
        """The gap field of a resolved run at one charge: /sections/gap (charge, cell) in um for a
        section, (charge, depth, width) for an area (the interface's both lateral axes),
        /sections/stripped_charge, cell_um as an attribute."""
        gap = np.asarray(gap_um, dtype=np.float64)
        if "sections" not in self.f:
            g = self.f.create_group("sections")
            g.attrs["cell_um"] = cell_um
            g.create_dataset("gap", shape=(0,) + gap.shape, maxshape=(None,) + gap.shape, dtype=np.float64,
                             chunks=(1,) + gap.shape, compression="gzip" if gap.ndim > 1 else None
                             ).attrs["unit"] = "um"
            g.create_dataset("stripped_charge", shape=(0,), maxshape=(None,), dtype=np.float64).attrs["unit"] = \
                "mAh/cm^2"
        g = self.f["sections"]
        k = g["stripped_charge"].shape[0]
        g["gap"].resize((k + 1,) + gap.shape)
        g["gap"][k] = gap
        g["stripped_charge"].resize((k + 1,))
        g["stripped_charge"][k] = stripped_charge_mAh_cm2
        self.f.flush()

    def write_section_field(self, name: str, field, unit: str):
        """A further field of a resolved run beside the gap just written (write_gap_section), at the same
        charge: /sections/<name> (charge, cells...) in ``unit`` (e.g. the Mg below each cell of an alloy)."""
        data = np.asarray(field, dtype=np.float64)
        g = self.f["sections"]
        k = g["stripped_charge"].shape[0]
        if name not in g:
            g.create_dataset(name, shape=(0,) + data.shape, maxshape=(None,) + data.shape, dtype=np.float64,
                             chunks=(1,) + data.shape, compression="gzip" if data.ndim > 1 else None
                             ).attrs["unit"] = unit
        d = g[name]
        d.resize((k,) + data.shape)
        d[k - 1] = data
        self.f.flush()

    def write_start_record(self, record: dict):
        """What the run's start keeps for a later run of the same start (a CellModel's ``start_record``: the
        gap model's pressed face): /press, its ``key`` (the digest of what the press read) as an attribute and
        each array as a dataset in um."""
        g = self.f.create_group("press")
        g.attrs["key"] = record["key"]
        for name, data in record.items():
            if name != "key":
                data = np.asarray(data, dtype=np.float64)
                g.create_dataset(name, data=data, compression="gzip" if data.ndim > 1 else None).attrs["unit"] = "um"
        self.f.flush()

    def finish(self, stop_reason: str, steps: int, wall_time_s: float, physical_time_s: float, voids: dict,
               void_shape: str, unconverged: str = ""):
        """/run and /voids (``voids``: x, y, base_radius, height in um), then the rename; ``unconverged``: the
        solver's message of the stop "unconverged" (/run's attribute of that name)."""
        voids_group = self.f.create_group("voids")
        for name, data in voids.items():
            voids_group.create_dataset(name, data=data).attrs["unit"] = "um"
        voids_group.attrs["shape"] = void_shape
        self.f.create_group("run").attrs.update({
            "stop_reason": stop_reason, "steps": steps, "wall_time_s": wall_time_s,
            "physical_time_s": physical_time_s,
            "note": "wall_time_s depends on the machine; everything else is reproducible"})
        if unconverged:
            self.f["run"].attrs["unconverged"] = unconverged
        self.close()
        os.replace(self.tmp_path, self.path)

    def close(self):
        if self.f.id.valid:
            self.f.close()

    def abort(self):
        """Drop the partial file."""
        self.close()
        self.tmp_path.unlink(missing_ok=True)
