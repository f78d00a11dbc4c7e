"""Simulation driver: state + event loop in chunks + scheduled observers (frames, time series).

Python runs only between chunks: schedules, progress bar, writers.  A run is a pure function of
(settings, seed): chunk boundaries do not change results, because all engine state, including the
RNG, lives in arrays that persist between chunks.
"""
from __future__ import annotations

import math
import signal
import threading
import time as _time
from dataclasses import dataclass

import numpy as np

from kmc import electrode, observables, sites, units
from kmc.engine import events, fast, loop, refresh
from kmc.engine import state as state_groups
from kmc.engine.contact import connected_l1_metal
from kmc.engine.selection import rebuild_tree
from kmc.rate_rules import N_SLOTS
from kmc.physics.electrochemistry import overpotential_mV
from kmc.jit import cache_bytes
from kmc.observers import (COMPILE_CLOCK, CheckpointSaver, ChunkPacer, FrameWriter, PaceWatch, SeriesWriter, Tick,
                           Trigger, print_compile_notice, progress_bar, progress_wanted)
from kmc.config import Settings, load_config
from kmc.model import build_energy_model, build_event_rates, build_lattice
from kmc.pore import box_pore
from kmc.seeding import choose_tracers, initial_occupancy, rng_state, rng_state_from_seed
from kmc.species import HOST, SOLUTE, VACANCY, species_of
from lattices.neighbours import Geometry

INT64_MAX = np.iinfo(np.int64).max


@dataclass
class RunResult:
    stop_reason: str
    events: int              # since the start of the run (a resumed run counts its earlier part)
    kmc_time_s: float
    wall_time_s: float       # of this call's events (compile_time_s apart)
    observables: dict
    events_this_run: int     # events done by this call
    path: str | None = None
    compile_time_s: float = 0.0   # numba compiling the engine for this run (0: loaded from its cache)
    fast_events: dict | None = None   # what the fast-event scaling did (Simulation.fast_event_record)

    @property
    def events_per_s(self) -> float:
        return self.events_this_run / self.wall_time_s if self.wall_time_s > 0 else math.nan


def kernel_geometry(lattice, l1_open: np.ndarray | None, model) -> Geometry:
    """The lattice's Geometry for the kernels; ``l1_open`` (bool per L1 site) None: no pore.  Then the kernels
    are compiled without the pore's checks (a compile-time choice: lattices.neighbours.at_pore_mouth), as
    before the pore; a second-moment bulk box keeps the array of zeros (its bulk rules do not reach the
    checks), so it shares the pore's compilation (and the fast tier's boxes: tests/conftest.py)."""
    geometry = lattice.geometry(l1_open)
    if l1_open is None and (model.has_interface or not model.has_embedding):
        geometry = geometry._replace(l1_open=None)
    return geometry


class Simulation:
    """One kMC run: ``Simulation(settings).run(writer)``; ``Simulation.from_file(path, ["run.seed=2"])``."""

    # Every mutable array of a run, by the names of the kernels' groups (kmc.engine.state), which are also
    # Simulation's attributes: a checkpoint holds them all, and restoring them (plus the scalars in
    # get_state) continues the trajectory bit for bit.  The groups' members are listed by
    # kmc.engine.state; the driver adds the rate memo (RateModel.memo_key, memo_val), the fast-event scaling's
    # factors, counts and window (RateModel.fast_scale, fast_counts; kmc.engine.fast), the electrode's
    # arrays and the tracers' starting sites and species.  tests/test_resume.py fails if a
    # mutable array is missed.
    DRIVER_ARRAYS = ("memo_key", "memo_val", "fast_scale", "fast_counts", "fast_window", "fast_windows", "electrode_drive",
                     "electrode_flux", "electrode_sites", "electrode_solute",
                     "electrode_tally", "tracer_initial_site", "tracer_species")
    STATE_ARRAYS = tuple(name for group in state_groups.KERNEL_GROUPS for name in group._fields
                         if name not in state_groups.SCRATCH_MEMBERS + state_groups.DERIVED_MEMBERS) + DRIVER_ARRAYS
    # Names earlier versions wrote to checkpoints, read as today's (same contents).
    RENAMED_ARRAYS = {"_rate_cache_key": "memo_key", "_rate_cache_val": "memo_val"}
    # State arrays whose length changes during a run (capacity, or the electrode's cells).
    VARIABLE_ARRAYS = ("vacancy_site", "vacancy_rates", "stamp", "electrode_sites", "electrode_solute")
    # Mutable arrays rebuilt from the others on restore instead of saved: the rate sum tree, whose
    # leaves are the rate rows summed in order (rebuild_tree), so it comes back bit for bit,
    # and, in runs with room for more than sites.MAX_WORD_INDEX vacancies, each site's vacancy
    # index, which vacancy_site inverts.
    DERIVED_ARRAYS = state_groups.DERIVED_MEMBERS
    # Scratch that holds nothing between events: the refresh's work queue (State.work), whose
    # count (row 0) is back to zero after every event (its other rows are left over); the marks
    # and queues of the contact searches, cleared before each search returns; and the
    # macroscopic classes' rates (Drive.class_per_s), recomputed by every kernel call.
    SCRATCH_ARRAYS = state_groups.SCRATCH_MEMBERS

    def __init__(self, settings: Settings, occupancy: np.ndarray | None = None):
        """``occupancy`` (int8 per site: kmc.species codes 0 vacancy, 1 host, 2 solute) starts the
        run from a given configuration instead of the config's random alloy."""
        compiled_before = COMPILE_CLOCK.seconds
        self.settings = settings
        self.lattice = build_lattice(settings)
        # the pellet's pore at the box (kmc.pore; None: the perfect interface): its L1 sites have no
        # electrolyte above them, in the energy (the model) and in the contact (the geometry)
        self.pore = box_pore(settings, self.lattice)
        l1_open = None if self.pore is None else self.pore.l1_open
        self.model = build_energy_model(settings, self.lattice, l1_open)
        self.rates = build_event_rates(settings, self.lattice, self.model)
        self.charge_per_atom_mAh_cm2 = units.charge_per_atom_mAh_cm2(self.lattice.interface_area_A2)
        lat = self.lattice
        if occupancy is None:
            occupancy = initial_occupancy(settings, lat.n_sites)
        else:
            occupancy = np.asarray(occupancy)
            if occupancy.shape != (lat.n_sites,) or not np.isin(occupancy, (VACANCY, HOST, SOLUTE)).all():
                raise ValueError(f"occupancy must be {lat.n_sites} values of {species_of(settings).legend()} "
                                 f"for this box; got shape {occupancy.shape}")
            occupancy = occupancy.astype(np.int8, copy=True)
        spl = lat.sites_per_layer
        # Per site: a 32-bit word with its species, its first neighbours of each species and, on
        # a vacancy site, the vacancy's index (see kmc.sites): the state a checkpoint keeps of
        # the sites (the occupancy is read off it).  With room for more vacancies than a word's
        # index field holds, the indices live in site_vacancy (int32 per site, rebuilt from
        # vacancy_site); otherwise that array is empty.
        self.site_word = np.zeros(lat.n_sites, np.uint32)
        self.site_vacancy = np.zeros(0, np.int32)
        self.l1_host = np.zeros(spl, np.int32)
        self.l1_host_pos = np.zeros(spl, np.int32)
        self.l1_vac = np.zeros(spl, np.int32)
        self.l1_vac_pos = np.zeros(spl, np.int32)
        # Scratch of the engine's two searches (Contact): the contact search logs at most K sites
        # (K = n_sites up to 2**18: 2 MB at most).
        k_search = min(lat.n_sites, 1 << 18)
        self.l1_mark, self.l1_queue = np.zeros(spl, np.uint8), np.zeros(spl, np.int32)
        self.site_mark, self.search = np.zeros(lat.n_sites // 64 + 1, np.uint64), np.zeros(2 * k_search, np.int32)
        # The strip class's weights (Contact.strip_*; kmc.engine.events): a tree over the L1 sites, rebuilt
        # from the configuration on restore and brought up to date after every chunk, and the
        # scratch of its lazy updates.
        n_watch = min(state_groups.STRIP_REACH_LAYERS * spl, lat.n_sites)
        self.strip_tree = np.zeros(2 * (1 << max(0, int(spl - 1).bit_length())), np.float64)
        self.strip_changed, self.strip_changed_mark = np.zeros(n_watch, np.int32), np.zeros(n_watch, np.uint8)
        self.strip_l1_stamp, self.strip_counters = np.zeros(spl, np.int64), np.zeros(2, np.int64)
        self.work = np.zeros((state_groups.WORK_CAPACITY + 1, state_groups.WORK_COLUMNS), np.int64)
        self.class_per_s = np.zeros(len(events.EVENT_TABLE), np.float64)
        # The event loop (loop.run_chunk_with(table) compiles it for another table of event
        # classes; counts and class_per_s then need room for its classes).
        self.run_chunk = loop.run_chunk
        self.ints = np.zeros(state_groups.N_INTS, np.int64)
        self.counts = np.zeros(len(state_groups.EVENT_CLASSES), np.int64)
        self.clock = np.zeros(1, np.float64)
        vacancy_layers = np.flatnonzero(occupancy == VACANCY) // lat.sites_per_layer
        self.layer_vacancies = np.bincount(vacancy_layers, minlength=lat.n_layers).astype(np.int64)
        self.layer_vacancy_time = np.zeros(lat.n_layers, np.float64)   # integral of count dt, s
        self.layer_last_time = np.zeros(lat.n_layers, np.float64)
        self.rng = rng_state_from_seed(settings.run.seed)
        self.events = 0
        # Tracers: tracer_site[t] is where tagged atom t is now (-1 once it left the box);
        # tracer_jumps[t, d] counts its jumps along neighbour slot d, so its displacement is
        # tracer_jumps @ neighbor_vectors_A, exact and free of periodic-image bookkeeping.
        self.tracer_site = choose_tracers(settings, occupancy)
        self.tracer_initial_site = self.tracer_site.copy()
        self.tracer_species = occupancy[self.tracer_site].copy()
        self.tracer_jumps = np.zeros((self.tracer_site.size, 8), np.int64)
        self.tracer_of_site = np.zeros(lat.n_sites if self.tracer_site.size else 0, np.int32)
        if self.tracer_site.size:
            self.tracer_of_site[:] = -1
            self.tracer_of_site[self.tracer_site] = np.arange(self.tracer_site.size, dtype=np.int32)
        self._geometry = kernel_geometry(lat, l1_open, self.model)
        # (bond, embedding) for the kernels: the energy form as a compile-time constant
        self._form_markers = loop.form_markers(self.model.has_embedding)
        self._layer_kinds = refresh.layer_kinds(
            self.model.bulk_layers(lat.n_layers),
            refresh.EMBEDDING_REACH_STEPS if self.model.has_embedding else refresh.EVENT_REACH_STEPS, lat.periodic_z)
        # The rate kernels' inputs; the memo of exp(-Ea/kT) in it is mutable state (a checkpoint
        # keeps it: its key -1 is the bit pattern of no float Ea can take, a NaN).
        rate_model = self.model.rate_model(lat.n_layers, self.rates.exit_per_bottom_vacancy_per_s,
                                           self._layer_kinds, self.rates.deep_first_layer,
                                           self.rates.deep_hop_factor,
                                           # read only by the deep box; building it walks every layer
                                           lat.neighbours_per_layer() if self.rates.deep_hop_factor != 1.0 else None,
                                           solute_present=bool(settings.composition.solute_fraction > 0
                                                               or (occupancy == SOLUTE).any()))
        rate_model = fast.start(self, rate_model)   # fast reversible events (kmc.engine.fast): types, factors, window
        self.memo_key, self.memo_val = rate_model.memo_key, rate_model.memo_val
        # Speed only (loop.run_chunk's prefetch_sites): where the words do not fit in the
        # second-level cache (or its size is unknown), each event asks for the next one's.  Beyond
        # it their reads wait on the shared cache or memory; within it the hints cost time
        # (docs/performance.md, eighth round).
        self._prefetch_sites = self.site_word.nbytes > cache_bytes(2)
        self._rate_model = rate_model
        # The electrode below the box (kmc.electrode): a solute continuum coupled to the bottom
        # layer, in a slab with an open bottom.  Its arrays are state (checkpointed).
        self.electrode = electrode.Electrode(
            self.rates, lat, settings.composition.solute_fraction,
            active=self.model.has_interface and settings.boundary.bottom != "closed")
        self.electrode_sites, self.electrode_solute = self.electrode.initial_cells()
        self.electrode_drive = self.electrode.initial_drive(0.0)
        self.electrode_flux = np.zeros(2, np.int64)
        self.electrode_tally = np.zeros(3, np.int64)
        if self.electrode.active:
            self._electrode_step()
        # The sum tree is sized to the vacancy count (it doubles when a vacancy is added to a
        # full one): every level it has beyond that costs each rate update a step.
        n_vac = int(np.count_nonzero(occupancy == VACANCY))
        self._allocate(n_vac + 1, occupancy)
        self.schedules = None   # (frames, series) output schedules, made by the first run()
        self._tracer_summary = (-1, {})
        self._stop_signal = None
        # numba's compile seconds for this run (its first of an energy form only), here and in compile_engine
        self.compile_time_s = COMPILE_CLOCK.seconds - compiled_before

    # -- checkpoint state ----------------------------------------------------------------------
    def get_state(self) -> dict:
        """Copies of every mutable array and scalar of the run (see STATE_ARRAYS)."""
        state = {name: getattr(self, name).copy() for name in self.STATE_ARRAYS}
        state["events"] = np.array(self.events, np.int64)
        state["capacity"] = np.array(self.capacity, np.int64)
        if self.schedules is not None:
            state["schedules"] = np.stack([trigger.positions() for trigger in self.schedules])
        return state

    def set_state(self, state: dict):
        """Restore a state from get_state (of a simulation with the same settings)."""
        state = {self.RENAMED_ARRAYS.get(name, name): value for name, value in state.items()}
        missing = [k for k in (*self.STATE_ARRAYS, "events", "capacity") if k not in state]
        if missing:
            raise ValueError(f"checkpoint lacks {', '.join(missing)}; allowed: a checkpoint of this code version")
        self.capacity = int(state["capacity"])
        for name in self.STATE_ARRAYS:
            old, new = getattr(self, name), state[name]
            capacity_sized = name in self.VARIABLE_ARRAYS
            if new.dtype != old.dtype or (not capacity_sized and new.shape != old.shape):
                raise ValueError(f"checkpoint array {name} is {new.dtype}{new.shape}, the run needs "
                                 f"{old.dtype}{old.shape}; allowed: a checkpoint of this run")
            setattr(self, name, np.array(new, copy=True))
        self._rebuild_tree()
        self._place_vacancy_indices()
        self._strip_weights(reset=True)
        self.events = int(state["events"])
        self._tracer_summary = (-1, {})
        if "schedules" in state:
            self.schedules = self._make_schedules()
            for trigger, positions in zip(self.schedules, state["schedules"]):
                trigger.restore(positions)

    @classmethod
    def from_file(cls, path, overrides=None) -> "Simulation":
        return cls(load_config(path, overrides))

    # -- engine plumbing ---------------------------------------------------------------------
    def _group(self, group):
        """A kernel group (kmc.engine.state) of the arrays of the same names."""
        return group(*(getattr(self, name) for name in group._fields))

    def _kernel_state(self):
        """The arrays the kernels work on, in their groups (rebuilt on every call: growth and
        restore replace arrays)."""
        rate_model = self._rate_model._replace(memo_key=self.memo_key, memo_val=self.memo_val,
                                               fast_scale=self.fast_scale, fast_counts=self.fast_counts)
        return rate_model, self._group(state_groups.State), self._group(state_groups.Contact)

    def _allocate(self, capacity: int, occupancy: np.ndarray | None = None):
        """Room for ``capacity`` vacancies (rounded up to a power of two).

        The first call builds all engine state from ``occupancy``.  Later calls grow the arrays by
        copying, keeping vacancy indices and list orders, so a run that grows mid-way follows the
        same trajectory as one that started large: the sum over the first leaves of a bigger
        power-of-two tree is formed by the same pairwise additions, plus exact zeros.
        """
        cap = 1 << max(6, int(capacity - 1).bit_length())
        n = int(self.ints[state_groups.I_NVAC])
        growing = hasattr(self, "capacity")
        if growing:
            if cap < n:
                raise ValueError(f"capacity {cap} is below the {n} vacancies present")
            old_site, old_rates, old_stamp = self.vacancy_site, self.vacancy_rates, self.stamp
        self.capacity = cap
        self.vacancy_site = np.zeros(cap, np.int32)
        self.vacancy_rates = np.zeros((cap, N_SLOTS), np.float64)
        self.stamp = np.zeros(cap, np.int64)
        if growing:
            self.vacancy_site[:n] = old_site[:n]
            self.vacancy_rates[:n] = old_rates[:n]
            self.stamp[:n] = old_stamp[:n]
            self._place_vacancy_indices()
        else:
            if cap > sites.MAX_WORD_INDEX:
                self.site_vacancy = np.zeros(self.lattice.n_sites, np.int32)
            self.tree = np.zeros(2 * cap, np.float64)
            rate_model, state, contact = self._kernel_state()
            loop.init_state(occupancy, self._geometry, rate_model, state, contact, self.model.has_interface,
                            *self._form_markers)
            self._strip_weights(reset=True)
        self._rebuild_tree()

    def _strip_weights(self, reset=False):
        """Bring the strip weights (energy-weighted stripping) up to date with the changes listed
        since the last strip, or build them from the configuration (``reset``)."""
        a = self.rates.strip_activation_per_eV
        if a != 0.0 and (reset or self.strip_counters[state_groups.STRIP_N_CHANGED] > 0):
            rate_model, _, contact = self._kernel_state()
            update = events.reset_strip_weights if reset else events.refresh_strip_weights
            update(self._geometry, rate_model, self.site_word, contact, a, *self._form_markers)

    def _rebuild_tree(self):
        """The sum tree over the vacancies' rate rows, sized to the capacity."""
        self.tree = np.zeros(2 * self.capacity, np.float64)
        rebuild_tree(self.vacancy_rates, int(self.ints[state_groups.I_NVAC]), self.tree)

    def _place_vacancy_indices(self):
        """Past sites.MAX_WORD_INDEX vacancies of capacity the indices move from the site words
        to site_vacancy (kept in step by the engine from then on)."""
        if self.capacity <= sites.MAX_WORD_INDEX:
            self.site_vacancy = np.zeros(0, np.int32)
            return
        n = int(self.ints[state_groups.I_NVAC])
        self.site_vacancy = np.full(self.lattice.n_sites, -1, np.int32)
        self.site_vacancy[self.vacancy_site[:n]] = np.arange(n, dtype=np.int32)

    def _electrode_step(self):
        """Advance the electrode's continuum to now (kmc.electrode.Electrode.step): at the kMC
        times it sets itself, whatever the chunking, so trajectories stay a function of the seed."""
        spl = self.lattice.sites_per_layer
        c_b = float(self.time_averaged_layer_vacancies()[-1]) / spl
        self.electrode_sites, self.electrode_solute = self.electrode.step(
            self.electrode_sites, self.electrode_solute, self.electrode_drive, self.electrode_flux,
            self.electrode_tally, self.time_s, c_b)

    def _chunk_arguments(self, max_events: int, t_stop: float, strip_stop: int, contact_stop: int) -> tuple:
        """run_chunk's arguments now, with these limits (the electrode's next step time among them)."""
        r = self.rates
        rate_model, state, contact = self._kernel_state()
        tally, tracers = self._group(state_groups.Tally), self._group(state_groups.Tracers)
        t_next = float(self.electrode_drive[electrode.NEXT_T]) if self.electrode.active else math.inf
        limits = state_groups.Limits(int(max_events), float(min(t_stop, t_next)), int(strip_stop), int(contact_stop))
        # the rates by their names in kmc.model.EventRates, the arrays by their attributes'
        drive = state_groups.Drive(**{name: getattr(r if hasattr(r, name) else self, name)
                                      for name in state_groups.Drive._fields if name != "has_interface"},
                                   has_interface=self.model.has_interface)
        return (self._geometry, rate_model, state, contact, tally, tracers, drive, limits, self._prefetch_sites,
                *self._form_markers)

    def compile_engine(self) -> None:
        """The machine code of the event loop and of what runs between its chunks (strip weights, a
        sample's observables) for this run, before any clock of the run starts: from numba's cache, or
        compiled now (its wall seconds added to ``compile_time_s``).  Runs no event, changes no state."""
        before = COMPILE_CLOCK.seconds
        kernels = [(self.run_chunk, self._chunk_arguments(0, math.inf, INT64_MAX, -1))]
        a = self.rates.strip_activation_per_eV
        if a != 0.0:     # run after every chunk (_strip_weights)
            rate_model, _, contact = self._kernel_state()
            kernels.append((events.refresh_strip_weights,
                            (self._geometry, rate_model, self.site_word, contact, a, *self._form_markers)))
        for kernel, arguments in kernels:
            signature = tuple(kernel.typeof_pyval(x) for x in arguments)
            if signature not in kernel.overloads:
                kernel.compile(signature)
        self.observables()     # what a sample and a frame read (their kernels), read only
        self.compile_time_s += COMPILE_CLOCK.seconds - before

    def step(self, max_events: int, t_stop=math.inf, strip_stop=INT64_MAX, contact_stop=-1) -> str:
        """Run up to ``max_events`` events (fewer if a limit is met); return the stop reason."""
        active = self.electrode.active
        while True:
            t_next = float(self.electrode_drive[electrode.NEXT_T]) if active else math.inf
            # a chunk ends where the fast-event window does (kmc.engine.fast)
            left = fast.events_left(self) if self.fast_scaling is not None else max_events
            window_cut, chunk = left < max_events, min(left, max_events)
            code, done = self.run_chunk(*self._chunk_arguments(chunk, t_stop, strip_stop, contact_stop))
            self.events += done
            max_events -= done
            if self.fast_scaling is not None and fast.events_left(self) == 0 and fast.close_window(self):
                loop.refresh_all_rates(self._geometry, *self._kernel_state()[:2], *self._form_markers)
            self._strip_weights()   # the tree is derived state: up to date between calls
            if active and self.time_s >= t_next:
                self._electrode_step()
            if code == state_groups.ST_CAPACITY:
                self._allocate(2 * self.capacity)
                continue
            if code == state_groups.ST_TIME and self.time_s < t_stop:
                continue   # the electrode's step time, not the caller's limit
            if code == state_groups.ST_EVENTS and window_cut:
                continue   # the fast-event window's end, not the caller's limit
            return state_groups.STOP_REASONS[code]

    def solute_inventory(self) -> tuple[int, float]:
        """(solute atoms in the box, solute atoms in the electrode's continuum): their sum is
        conserved (to rounding)."""
        return int(np.count_nonzero(self.occupancy == SOLUTE)), float(self.electrode_solute.sum())

    # -- observables ------------------------------------------------------------------------
    @property
    def occupancy(self) -> np.ndarray:
        """Species per site now (int8: 0 vacancy, 1 Li, 2 Mg); a new array on every call."""
        return sites.occupancy_from_words(self.site_word)

    @property
    def time_s(self) -> float:
        return float(self.clock[0])

    def time_averaged_layer_vacancies(self) -> np.ndarray:
        """Mean number of vacancies in each layer over the kMC time run so far."""
        t = self.time_s
        if t <= 0:
            return self.layer_vacancies.astype(float)
        integral = self.layer_vacancy_time + self.layer_vacancies * (t - self.layer_last_time)
        return integral / t

    def connected_l1_metal(self) -> tuple[int, int]:
        """(host, solute) atoms in L1 that metal joins to the electrode
        (kmc.engine.contact.metal_connected): the electrical contact."""
        if not self.model.has_interface:
            return 0, 0
        host, solute = connected_l1_metal(self._geometry, self.site_word, self.layer_vacancies,
                                          self.site_mark, self.search)
        return int(host), int(solute)

    @property
    def stripped_atoms(self) -> int:
        return int(self.ints[state_groups.I_NSTRIP])

    def tracer_displacements_A(self) -> np.ndarray:
        """(n_tracers, 3) displacement of every tracer since the start, angstrom (lattice jumps
        only; creep relocations are not displacements)."""
        return self.tracer_jumps @ self.lattice.neighbor_vectors_A

    def tracer_summary(self) -> dict:
        """Mean squared displacement (A^2) and mean jump count of the tracers still in the box,
        per species; NaN for a species with no tracer left.  Computed once per event count (the
        four tracer observables read it)."""
        if self._tracer_summary[0] == self.events:
            return self._tracer_summary[1]
        present = self.tracer_site >= 0
        r2 = (self.tracer_displacements_A() ** 2).sum(axis=1)
        jumps = self.tracer_jump_counts()
        out = {}
        for name, code in (("host", HOST), ("solute", SOLUTE)):
            sel = present & (self.tracer_species == code)
            n = int(sel.sum())
            out[f"tracer_msd_{name}"] = float(r2[sel].mean()) if n else math.nan
            out[f"tracer_jumps_{name}"] = float(jumps[sel].mean()) if n else math.nan
        self._tracer_summary = (self.events, out)
        return out

    def observables(self) -> dict:
        """Every observable the run records, now (kmc.observables: names and units as written to HDF5)."""
        return observables.values(self)

    # -- the run's state by name: what callers read (the engine's arrays stay behind these) ----
    @property
    def vacancy_count(self) -> int:
        return int(self.ints[state_groups.I_NVAC])

    def vacancy_sites(self) -> np.ndarray:
        """The site of every vacancy now (int32, a copy, in the engine's list order)."""
        return self.vacancy_site[:self.vacancy_count].copy()

    def l1_metal_atoms(self) -> tuple[int, int]:
        """(host, solute) atoms in L1 under the electrolyte now (not at a pore's mouth: kmc.pore), joined to
        the electrode or not (connected_l1_metal: joined)."""
        return int(self.ints[state_groups.I_NL1_HOST]), int(self.ints[state_groups.I_NL1_SOLUTE])

    @property
    def l1_vacancy_count(self) -> int:
        """Vacant L1 sites under the electrolyte (not at a pore's mouth)."""
        return int(self.ints[state_groups.I_NL1_VAC])

    def event_counts(self) -> dict[str, int]:
        """Events of each class so far, by the names of kmc.engine.state.EVENT_CLASSES, in its order."""
        return dict(zip(state_groups.EVENT_CLASSES, map(int, self.counts)))

    def neighbour_counts(self, species: int) -> np.ndarray:
        """Per site, its first neighbours holding ``species`` (a kmc.species code) now (uint8)."""
        return sites.neighbour_counts_from_words(self.site_word, species)

    @property
    def tracer_count(self) -> int:
        """Atoms tagged as tracers (tracers.count; 0: no tracking)."""
        return int(self.tracer_site.size)

    def tracer_sites(self) -> np.ndarray:
        """Where each tracer is now (int32 site, -1 once it left the box; a copy)."""
        return self.tracer_site.copy()

    def tracer_jump_counts(self) -> np.ndarray:
        """Jumps each tracer has made so far (int64, one per tracer)."""
        return self.tracer_jumps.sum(axis=1)

    def reseed(self, *entropy: int):
        """Go on from the state now with a fresh engine random stream, from
        np.random.SeedSequence(entropy) (forward-flux sampling fires its trials so)."""
        self.rng[:] = rng_state(np.random.SeedSequence([int(e) for e in entropy]))

    def with_occupancy(self, occupancy: np.ndarray) -> "Simulation":
        """This run carried on from another configuration (a Monte Carlo move between kMC
        segments): a Simulation of the same settings built from ``occupancy``, with this one's
        random stream, clock, event counts, stripped atoms and layer-vacancy time integrals.  The
        integrals hold only if each layer keeps its vacancies; an electrode's continuum or a
        tracer's identity would not survive the move, so the box must be closed and untracked."""
        if self.electrode.active or self.tracer_count:
            raise ValueError("with_occupancy: allowed only without an active electrode and without tracers")
        new = Simulation(self.settings, occupancy=occupancy)
        if not np.array_equal(new.layer_vacancies, self.layer_vacancies):
            raise ValueError(f"with_occupancy: vacancies per layer {new.layer_vacancies.tolist()}; allowed: "
                             f"this run's, {self.layer_vacancies.tolist()} (its time integrals are theirs)")
        for name in ("rng", "clock", "counts", "layer_vacancy_time", "layer_last_time"):
            getattr(new, name)[:] = getattr(self, name)
        new.ints[state_groups.I_NSTRIP] = self.stripped_atoms
        new.events = self.events
        return new

    # -- full run ---------------------------------------------------------------------------
    def write_frame(self, writer):
        """Write the current occupancy (and tracer displacements) as a frame."""
        tracers = (self.tracer_displacements_A(), self.tracer_site) if self.tracer_site.size else None
        writer.write_frame(self.events, self.time_s, self.occupancy, tracers)

    def _atoms(self, mAh_cm2: float) -> float:
        """Stripped host atoms that make ``mAh_cm2`` of charge (0 stays 0: "off")."""
        return mAh_cm2 / self.charge_per_atom_mAh_cm2 if mAh_cm2 > 0 else 0.0

    def _make_schedules(self):
        out = self.settings.output
        atoms = self._atoms
        return (Trigger(out.frame_every_events, out.frame_every_s, atoms(out.frame_every_mAh_cm2)),
                Trigger(out.series_every_events, out.series_every_s, atoms(out.series_every_mAh_cm2)))

    def stop_conditions(self) -> "StopConditions":
        """The configured stops in the engine's terms (events, s, stripped atoms, L1 metal atoms)."""
        run = self.settings.run
        spl = self.lattice.sites_per_layer
        by_charge = math.ceil(self._atoms(run.stop_stripped_mAh_cm2) - 1e-9) if run.stop_stripped_mAh_cm2 else INT64_MAX
        by_monolayers = math.ceil(run.stop_stripped_monolayers * spl - 1e-9) if run.stop_stripped_monolayers else INT64_MAX
        by_contact = int(math.floor(run.stop_contact_fraction * spl)) if run.stop_contact_fraction else -1
        by_overpotential = -1
        if run.stop_overpotential_mV and self.model.has_interface:
            # eta falls as contact rises: the cut-off is reached at the most L1 metal atoms whose
            # overpotential (the observable's own formula) is at or above it
            cond = self.settings.conditions
            eta = overpotential_mV(cond.current_density_mA_cm2, np.arange(spl + 1) / spl,
                                   cond.exchange_current_mA_cm2, cond.temperature_K)
            reached = np.flatnonzero(eta >= run.stop_overpotential_mV)
            by_overpotential = int(reached[-1]) if reached.size else -1
        return StopConditions(events=run.max_events or INT64_MAX, time_s=run.stop_time_s or math.inf,
                              strip_by_charge=by_charge, strip_by_monolayers=by_monolayers,
                              contact_by_fraction=by_contact, contact_by_overpotential=by_overpotential,
                              wall_s=run.stop_wall_s or math.inf)

    def request_stop(self, signum=None, frame=None):
        """Ask a running ``run()`` to stop cleanly after the current chunk (the SIGINT/SIGTERM handler)."""
        self._stop_signal = signum if signum is not None else signal.SIGINT

    def run(self, writer=None, progress: bool | None = None, checkpointer=None, watch_pace: bool = False) -> RunResult:
        """Run to the configured stop condition, feeding ``writer`` on the output schedules.

        Ctrl-C (SIGINT) or SIGTERM stops after the current chunk with stop reason "interrupted":
        the state is saved to ``checkpointer`` (if given) and the writer keeps its ``.partial``
        file for ``kmc run --resume``.  A simulation restored from a checkpoint continues where
        it stopped; the output schedules carry on from their saved positions.  ``watch_pace``: warn once
        when the time left at the run's pace is large (kmc.observers.PaceWatch; kmc run's).
        """
        with COMPILE_CLOCK.watch(print_compile_notice if progress_wanted(progress) else None):
            self.compile_engine()   # before any clock starts (kmc.launch.open_run has done it already)
        compiled_before = COMPILE_CLOCK.seconds     # what compiles from here on is counted apart too
        fresh = self.schedules is None
        if fresh:
            self.schedules = self._make_schedules()
        frames, series = self.schedules
        stop = self.stop_conditions()
        pacer = ChunkPacer(self.settings.run.chunk_events)   # chunks of ~1 s: Ctrl-C within seconds (kmc.observers)
        observers = [FrameWriter(writer, frames), SeriesWriter(writer, series)]
        if checkpointer is not None:
            observers.append(CheckpointSaver(checkpointer, writer))
        bar = None
        # The stop handlers go in before the observers start, which write the first frame and
        # checkpoint: a Ctrl-C that lands once those files exist stops the run cleanly (one
        # that landed in between escaped as a KeyboardInterrupt, "Aborted!" and exit code 1).
        self._stop_signal = None
        handlers = _install_stop_handlers(self.request_stop)
        wall0, compiled_at_wall0 = _time.perf_counter(), COMPILE_CLOCK.seconds
        events_at_start = self.events
        reason = "events"
        try:
            if writer is not None and fresh:
                for observer in observers:
                    observer.start(self)
            # the bar (its rate and remaining time) and the events' clock start here, with the run
            bar = progress_bar(progress, stop.strip_atoms if stop.strip_atoms < INT64_MAX else None,
                               self.charge_per_atom_mAh_cm2, stop.events if stop.events_alone() else None)
            if bar is not None:
                observers.append(bar)
            if watch_pace:
                observers.append(PaceWatch(self, stop))
            wall0 = _time.perf_counter()
            compiled_at_wall0 = COMPILE_CLOCK.seconds
            while True:
                next_events = min(frames.events.next_at, series.events.next_at, stop.events)
                chunk = int(min(pacer.size, next_events - self.events))
                t_stop = min(frames.seconds.next_at, series.seconds.next_at, stop.time_s)
                strip_stop = min(math.ceil(frames.atoms.next_at - 1e-9) if frames.atoms.next_at < math.inf else INT64_MAX,
                                 math.ceil(series.atoms.next_at - 1e-9) if series.atoms.next_at < math.inf else INT64_MAX,
                                 stop.strip_atoms)
                chunk_start, events_before = _time.perf_counter(), self.events
                reason = self.step(chunk, t_stop, strip_stop, stop.contact_atoms)
                pacer.record(self.events - events_before, _time.perf_counter() - chunk_start)
                tick = Tick(self.events, self.time_s, self.stripped_atoms, finished=False,
                            interrupted=self._stop_signal is not None)
                ending = stop.reason(tick, reason, _time.perf_counter() - wall0)
                tick.finished = ending is not None
                for observer in observers:
                    observer.on_tick(self, tick)
                if tick.interrupted and not tick.finished:
                    reason = "interrupted"
                    break
                if tick.finished:
                    reason = ending
                    break
        except KeyboardInterrupt:
            # Raised outside a stop handler (e.g. a run not in the main thread): the state may be
            # mid-update, so no checkpoint is taken; the last one stays valid.
            reason = "interrupted"
        finally:
            _restore_handlers(handlers)
            if bar is not None:
                bar.close()
        # a kernel met first inside the loop (numba compiles it there on a cold cache) is compile time too
        wall = _time.perf_counter() - wall0 - (COMPILE_CLOCK.seconds - compiled_at_wall0)
        self.compile_time_s += COMPILE_CLOCK.seconds - compiled_before
        result = RunResult(stop_reason=reason, events=self.events, kmc_time_s=self.time_s,
                           wall_time_s=wall, observables=self.observables(),
                           events_this_run=self.events - events_at_start, compile_time_s=self.compile_time_s,
                           fast_events=fast.record(self))
        if writer is not None:
            if reason == "interrupted":
                writer.suspend()   # stays X.h5.partial: incomplete, resumable
            else:
                writer.finish(result)
        if checkpointer is not None and reason != "interrupted":
            checkpointer.remove()
        return result


@dataclass(frozen=True)
class StopConditions:
    """A run's stop conditions in the engine's terms (INT64_MAX / inf / -1: not set)."""
    events: int
    time_s: float
    strip_by_charge: int
    strip_by_monolayers: int
    contact_by_fraction: int        # stop when L1 metal atoms <= this
    contact_by_overpotential: int
    wall_s: float

    @property
    def strip_atoms(self) -> int:
        return min(self.strip_by_charge, self.strip_by_monolayers)

    @property
    def contact_atoms(self) -> int:
        return max(self.contact_by_fraction, self.contact_by_overpotential)

    def events_alone(self) -> bool:
        """Only a number of events ends the run (and the wall clock): what paces it is then known ahead."""
        return (self.events < INT64_MAX and self.time_s == math.inf and self.strip_atoms == INT64_MAX
                and self.contact_atoms < 0)

    def reason(self, tick: Tick, engine_reason: str, wall_s: float) -> str | None:
        """Why the run ends after this tick (its stop reason), or None if it goes on."""
        if tick.events >= self.events:
            return "max_events"
        if tick.time_s >= self.time_s:
            return "stop_time"
        if tick.stripped_atoms >= self.strip_by_charge:
            return "stripped_charge"
        if tick.stripped_atoms >= self.strip_by_monolayers:
            return "stripped_monolayers"
        if engine_reason == "contact":
            # both thresholds are L1 atom counts; the overpotential one names the cut-off
            return "overpotential" if self.contact_by_overpotential >= self.contact_by_fraction else "contact"
        if engine_reason in ("no_events", "no_strippable_host"):
            return engine_reason
        if wall_s >= self.wall_s:
            return "wall_time"
        return None


def _install_stop_handlers(handler):
    """Route SIGINT and SIGTERM to ``handler`` while a run is going (main thread only: Python
    delivers signals there).  Returns the previous handlers for _restore_handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, handler)
    return previous


def _restore_handlers(previous):
    for sig, handler in previous.items():
        signal.signal(sig, handler)
