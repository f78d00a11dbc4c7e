"""The engine's run state: the groups of arrays the kernels take (every member a numpy array the
Simulation owns) and the named slots of the arrays that hold several quantities.  The other
modules of kmc.engine read these names and nothing else; kmc.simulation builds the groups from its
arrays, and kmc.electrode fills the drive slots.  No numba here: the run file's layout reads the
event classes' names without loading a kernel.
"""
from __future__ import annotations

from collections import namedtuple

# Why a chunk returned.
STOP_REASONS = ("events", "time", "charge", "contact", "no_events", "capacity", "no_strippable_host")
ST_EVENTS, ST_TIME, ST_CHARGE, ST_CONTACT, ST_NO_EVENTS, ST_CAPACITY, ST_NO_HOST = range(7)

# Slots of Tally.counts: the event classes, each named once (a new class goes at the end, where
# kmc.engine.events.EVENT_TABLE registers its kernels: run files name the counts by these names).
EVENT_CLASSES = ("hop_host", "hop_solute", "strip", "exit_bulk", "enter_bulk", "creep_refill", "null",
                 "exchange_bulk")
EV_HOP_HOST, EV_HOP_SOLUTE, EV_STRIP, EV_EXIT, EV_ENTER, EV_CREEP, EV_NULL, EV_EXCHANGE = range(8)

# Slots of the integer bookkeeping array State.ints.
I_NVAC, I_NL1_HOST, I_NL1_VAC, I_NL1_SOLUTE, I_NSTRIP, I_STAMP = range(6)
N_INTS = 6

# The kernels' state, in groups (every member a numpy array the Simulation owns):
#   State    site words (kmc.sites), per-site vacancy index (empty below sites.MAX_WORD_INDEX
#            vacancies of capacity), vacancy -> site, rate rows, sum tree (2 * capacity),
#            refresh stamps, integer bookkeeping (I_*), and the refresh's work queue (scratch,
#            empty between events; see _queue_work)
#   Contact  L1 host atoms and L1 vacancies as lists with positions (for uniform picks), and the
#            scratch of the two searches (no state between events: every mark is cleared
#            before a search returns): l1_mark (uint8 per L1 site) and l1_queue (int32 per L1
#            site) flood-fill an interface void; site_mark (a bit per site, uint64 words) and
#            search (int32, 2K: a stack and a log of K sites each) look for a metal path from an
#            L1 atom to the electrode (metal_connected)
#   Tally    event counts per class, kMC clock (s), RNG state, vacancies per layer and their
#            time integrals (count x s) up to each layer's last change
#   Tracers  tracer index per site (-1; empty array: no tracking), each tracer's site (-1 once it
#            left), jumps per neighbour slot
State = namedtuple("State", ["site_word", "site_vacancy", "vacancy_site", "vacancy_rates", "tree", "stamp", "ints",
                             "work"])
#            The strip class's weights (kmc.engine.events, energy-weighted stripping): strip_tree, a sum
#            tree over the L1 sites whose leaves are the host atoms' weights (0 elsewhere), a
#            function of the configuration brought up to date when a strip is drawn; the sites
#            of the top STRIP_REACH_LAYERS layers changed since (strip_changed, listed once:
#            strip_changed_mark), the visit stamps of one update (strip_l1_stamp) and
#            strip_counters (STRIP_N_CHANGED, STRIP_PASS)
Contact = namedtuple("Contact", ["l1_host", "l1_host_pos", "l1_vac", "l1_vac_pos", "l1_mark", "l1_queue",
                                 "site_mark", "search", "strip_tree", "strip_changed", "strip_changed_mark",
                                 "strip_l1_stamp", "strip_counters"])
# A host atom's removal energy (kmc.rate_rules.removal_energy_eV) reads sites two first-neighbour steps
# away, so a change below the third layer cannot reach an L1 strip weight.
STRIP_REACH_LAYERS = 3
# Slots of Contact.strip_counters: listed changes, update passes (the visit stamp).
STRIP_N_CHANGED, STRIP_PASS = range(2)
Tally = namedtuple("Tally", ["counts", "clock", "rng", "layer_vacancies", "layer_vacancy_time", "layer_last_time"])
Tracers = namedtuple("Tracers", ["tracer_of_site", "tracer_site", "tracer_jumps"])
# The macroscopic event rates (1/s, acceleration included; kmc.model.EventRates: the creep law is
# kmc.rate_rules.creep_bound_per_s) and the coupling to the electrode below the box (kmc.electrode):
# ``electrode_drive`` is its float64 drive array (slots X_TOP, EXCHANGE_PER_SITE, ... below),
# ``electrode_flux`` the int64 counts of atoms and solute atoms the box took from the top cell
# (negative: gave it, slots ATOMS_IN, SOLUTE_IN), which the driver books on the continuum between
# calls; ``class_per_s`` is scratch: the total rate of each macroscopic event class
# (kmc.engine.events.EVENT_TABLE), recomputed by run_chunk whenever an event changed what they read.
# ``strip_activation_per_eV`` is alpha/kT of energy-weighted stripping (0: the uniform rule).
Drive = namedtuple("Drive", ["strip_total_per_s", "creep_per_void_site_full_contact_per_s", "creep_stress_exponent",
                             "create_total_per_s", "electrode_drive", "electrode_flux", "has_interface", "class_per_s",
                             "strip_activation_per_eV"])
# Limits of one run_chunk call: events, kMC time (s), total stripped atoms, contact (stop when
# L1 metal atoms <= this; -1 disables).
Limits = namedtuple("Limits", ["max_events", "t_stop", "strip_stop", "contact_stop"])


# Slots of the float64 electrode drive array (Drive.electrode, Simulation.electrode_drive; filled
# by kmc.electrode between kernel calls): the top cell's solute fraction (an exiting vacancy's
# replacement and the solute exchange draw from it), the exchange rate per bottom site (1/s, x A),
# the kMC time of the next continuum step, the kMC time of the last one, and the bottom vacancy
# fraction c_b and the solute diffusivity at the box bottom (A^2/s, physical) used by the last step.
X_TOP, EXCHANGE_PER_SITE, NEXT_T, LAST_T, C_BOTTOM, D_BOTTOM = range(6)
N_DRIVE = 6
# Slots of the int64 flux array the kernels add to (Drive.electrode_flux): atoms and solute atoms
# taken into the box from the top cell since the last step (negative: given to it).
ATOMS_IN, SOLUTE_IN = range(2)

# Columns of the refresh's work queue (State.work, int64 (WORK_CAPACITY + 1, WORK_COLUMNS); row 0,
# column 0 holds the number of entries): a site's frame (WORK_FRAME .. WORK_FRAME + 7), a vacancy
# index and a slot (kmc.engine.refresh._queue_work).
WORK_FRAME, WORK_VACANCY, WORK_SLOT, WORK_COLUMNS = 0, 8, 9, 10
WORK_CAPACITY = 256

# The run state a checkpoint holds is every member of these groups but the scratch, which holds
# nothing between events (or, for class_per_s and the strip weights' list of changes, between
# kernel calls), and the arrays rebuilt from the others on restore (the sum tree, from the rate
# rows; the per-site vacancy index, from vacancy_site; the strip tree, from the configuration).  kmc.simulation.Simulation keeps each member as an attribute of the same name.
KERNEL_GROUPS = (State, Contact, Tally, Tracers)
SCRATCH_MEMBERS = ("work", "l1_mark", "l1_queue", "site_mark", "search", "class_per_s", "strip_changed",
                   "strip_changed_mark", "strip_l1_stamp", "strip_counters")
DERIVED_MEMBERS = ("tree", "site_vacancy", "strip_tree")
