"""The event loop: picks and applies events and keeps the rate catalogue up to date.  It knows no
physics: rates come from kmc.rates, neighbours from lattices.neighbours.

Events are keyed on defects: every vacancy owns 9 rate slots (8 first-neighbour hops and one exit
into the bulk below the box) whose sum is a leaf of a binary sum tree; stripping picks a host atom
uniformly from the L1 host atoms that metal joins to the electrode (galvanostatic: fixed total
rate), creep refills a site of an interface void with metal from the bottom layer at a rate that
grows with the void's size, the reservoir injects vacancies at the bottom.  After every event
only the rates the event can have changed are recomputed (``_refresh_around``; the reach is in
ARCHITECTURE.md).

All state lives in numpy arrays, grouped in namedtuples for the kernels (``State``, ``Contact``,
``Tally``, ``Tracers``; the static ``lattices.neighbours.Geometry`` and ``kmc.rates.RateModel``;
the macroscopic ``Drive`` and the ``Limits`` of one call), so that a chunk can stop and resume
anywhere with identical results: the RNG (xoshiro256**) state is one of those arrays.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from kmc.jit import kernel, kernel_inlined, prefetch
from kmc.rates import (EXIT_SLOT, LAYER_INTERFACE, LAYER_TABLE_INTERIOR, LAYER_TABLE_SEAM, N_SLOTS,
                       bulk_embedding_rate_into_interior, bulk_embedding_vacancy_rates_interior, bulk_key, bulk_rate,
                       bulk_vacancy_rates, bond_hop_rate_into, bond_vacancy_rates, deep_hop_factor_at,
                       deep_hop_factor_interior, deep_row_interior,
                       embedding_hop_rate_into, embedding_vacancy_rates, interface_hop_rate)
from kmc.sites import (COUNT_BITS, SPECIES_SHIFT, neighbour_count, set_own_species, set_vacancy_index, species_at,
                       vacancy_index)
from kmc.species import HOST, SOLUTE, VACANCY
from lattices.neighbours import (HOP_REACH_NEAR, HOP_REACH_SITES, frame, interior_offset, neighbour, neighbour_frame,
                                 neighbour_layer, neighbour_sites, seam_neighbour_sites, seam_reach_site, seam_step)

# Event classes, counted in Tally.counts.
EVENT_CLASSES = ("hop_host", "hop_solute", "strip", "exit_bulk", "enter_bulk", "creep_refill", "null",
                 "exchange_bulk")
EV_HOP_HOST, EV_HOP_SOLUTE, EV_STRIP, EV_EXIT, EV_ENTER, EV_CREEP, EV_NULL, EV_EXCHANGE = range(8)

# Why a chunk returned.
STOP_REASONS = ("events", "time", "charge", "contact", "no_events", "capacity", "no_strippable_host")
ST_EVENTS, ST_TIME, ST_CHARGE, ST_CONTACT, ST_NO_EVENTS, ST_CAPACITY, ST_NO_HOST = range(7)

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
State = namedtuple("State", ["site_word", "site_vac", "vac_site", "vac_rates", "tree", "stamp", "ints", "work"])
Contact = namedtuple("Contact", ["l1_host", "l1_host_pos", "l1_vac", "l1_vac_pos", "l1_mark", "l1_queue",
                                 "site_mark", "search"])
Tally = namedtuple("Tally", ["counts", "clock", "rng", "layer_vac", "layer_vac_time", "layer_last_t"])
Tracers = namedtuple("Tracers", ["of_site", "site", "jumps"])
# The macroscopic event rates (1/s, acceleration included; kmc.model.EventRates) and the coupling
# to the electrode below the box (kmc.electrode): ``electrode`` is its float64 drive array
# (slot 0: the top continuum cell's solute fraction, which an exiting vacancy's replacement is
# drawn from; slot 1: the solute exchange rate per bottom site), ``electrode_flux`` the int64
# counts of atoms and solute atoms the box took from the top cell (negative: gave it), which
# the driver books on the continuum between calls.
# Creep: a site of an interface void of N L1 sites is refilled at
# creep_per_void_site_full_contact_per_s * sqrt(N) * contact**-creep_stress_exponent (closure
# velocity kappa eps_dot w, w the void's equivalent diameter, which grows as sqrt(N);
# kmc.model.build_event_rates).
Drive = namedtuple("Drive", ["strip_per_s", "creep_per_void_site_full_contact_per_s", "creep_stress_exponent",
                             "enter_per_s", "electrode", "electrode_flux", "has_interface"])
# Limits of one run_chunk call: events, kMC time (s), total stripped atoms, contact (stop when
# L1 metal atoms <= this; -1 disables).
Limits = namedtuple("Limits", ["max_events", "t_stop", "strip_stop", "contact_stop"])


# ----------------------------------------------------------------------------- random numbers
@kernel
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@kernel_inlined
def _xoshiro_uniform(s1):
    """The double in [0, 1) of a xoshiro256** state whose second word is s1 (the output is a
    function of that word alone)."""
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    return np.float64(result >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel_inlined
def _xoshiro_advance(s0, s1, s2, s3):
    """The xoshiro256** state after (s0, s1, s2, s3)."""
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return s0, s1, s2, s3


@kernel
def next_uniform(s):
    """xoshiro256** step; returns a double in [0, 1)."""
    result = _xoshiro_uniform(s[1])
    s[0], s[1], s[2], s[3] = _xoshiro_advance(s[0], s[1], s[2], s[3])
    return result


@kernel_inlined
def peek_uniforms(s):
    """The doubles the first and the third next_uniform(s) call from now will return (a hop draws
    two, its event and its waiting time: these are the event draws of the next two hops); s is
    left as it is."""
    s0, s1, s2, s3 = _xoshiro_advance(s[0], s[1], s[2], s[3])
    s0, s1, s2, s3 = _xoshiro_advance(s0, s1, s2, s3)
    return _xoshiro_uniform(s[1]), _xoshiro_uniform(s1)


# ----------------------------------------------------------------------------- sum tree
@kernel
def _tree_set(tree, cap, k, value):
    """Set leaf k and every sum above it.  The new sum climbs in a register: each parent is the
    child just computed plus its sibling from memory (exactly tree[2i] + tree[2i+1], as IEEE
    addition commutes), so no level waits for the store of the level below."""
    i = cap + k
    tree[i] = value
    while i > 1:
        value += tree[i ^ 1]
        i >>= 1
        tree[i] = value


@kernel_inlined
def _tree_descend(tree, i, stop, u):
    """From node i down to the first node at or past ``stop`` (a level's first index), the child
    holding u at each level; returns that node and u's offset into it.  Each level is one load,
    one comparison and a subtraction of left or +0.0, both written so that the compiler keeps
    them free of branches (a branch here mispredicts half the time)."""
    while i < stop:
        left = tree[np.uint64(2 * i)]
        i = 2 * i + (1 if u >= left else 0)
        u -= 0.0 if u < left else left   # a second comparison: sharing one brings the branch back
    return i, u


# ----------------------------------------------------------------------------- the next event, early
# Once a box's site arrays outgrow the second-level cache, an event's reads wait on the shared cache
# or main memory, and most of them wait on an earlier one: the tree walk is a chain of dependent
# loads (each node names the next), and the vacancy's rate row, its site and the words around it
# wait for the leaf.  But the RNG already holds the next events' draws
# (peek_uniforms), and the tree before this event's refresh mostly names the leaf the tree after
# it will (a refresh changes the sums of a few leaves), so run_chunk asks for the next events'
# lines while this event runs: the lines of the walk of the next event (or, with prefetch_sites,
# of the one after: _prefetch_tree_path), and with prefetch_sites the next event's leaf (walked on
# the spot, its lines asked for one event earlier), rate row, site and neighbourhood.  These are
# hints: nothing waits for them or reads them, so a wrong guess costs a few instructions, and the
# trajectory is the same bit for bit.
# The levels below a node whose lines one hint each asks for: the five lowest of the walk (1 + 1 +
# 1 + 2 + 4 lines of 8 nodes); above them the tree (2^14 nodes for 2^19 leaves) stays cached.
SUBTREE_PREFETCH_LEVELS = 5
# Rows around a vacancy whose words the next event will read: three layers up and down, a row
# either way, which hold the sites within two steps of it and of the neighbour it swaps with,
# whichever that is (the near rows of its refresh).  On the 3e7-site box (docs/performance.md,
# ninth round) two layers ran 5-10 % slower, four no faster, and two rows either way 4 % slower
# (while loss sums were stored, two layers and one row had been best).
NEIGHBOURHOOD_LAYERS, NEIGHBOURHOOD_ROWS = 3, 1


@kernel_inlined
def _prefetch_tree_path(tree, cap, u):
    """The walk of _tree_find for u down to SUBTREE_PREFETCH_LEVELS above the leaves (where the
    tree stays cached), then a hint for every line of the subtree below: its lines arrive while
    the walk is not yet waiting for them."""
    i, u = _tree_descend(tree, 1, cap >> SUBTREE_PREFETCH_LEVELS, u)
    _prefetch_subtree(tree, i)


@kernel_inlined
def _prefetch_subtree(tree, i):
    """A hint for every line of the SUBTREE_PREFETCH_LEVELS levels below node i."""
    for level in range(1, SUBTREE_PREFETCH_LEVELS + 1):
        for node in range(i << level, (i + 1) << level, 8):
            prefetch(tree, node)


@kernel_inlined
def _leaf_guess(tree, cap, u):
    """The leaf _tree_find(tree, cap, u) names, without its rounding check (a guess to prefetch
    for; an empty leaf is a harmless guess)."""
    return _tree_descend(tree, 1, cap, u)[0] - cap


@kernel_inlined
def _prefetch_neighbourhood(site_word, v, nx, spl):
    """Hints for the lines of words around site v (NEIGHBOURHOOD_LAYERS, _ROWS), clipped to the
    array (a hint past an array's end is not allowed)."""
    last = site_word.shape[0] - 1
    first = v - NEIGHBOURHOOD_LAYERS * spl - NEIGHBOURHOOD_ROWS * nx
    step = spl - (2 * NEIGHBOURHOOD_ROWS + 1) * nx
    clip = first < 0 or v + NEIGHBOURHOOD_LAYERS * spl + NEIGHBOURHOOD_ROWS * nx > last
    s = first
    for _ in range(2 * NEIGHBOURHOOD_LAYERS + 1):
        for _ in range(2 * NEIGHBOURHOOD_ROWS + 1):
            r = min(max(s, 0), last) if clip else s
            prefetch(site_word, r)
            s += nx
        s += step


@kernel
def _tree_find(tree, cap, u):
    """Leaf holding u in [0, tree[1]) and u's offset into it (_tree_descend).

    Rounding can let u reach a zero-rate subtree (u >= left with right == 0): the walk then ends
    on an empty leaf and is redone keeping left wherever the right sibling is empty, which on
    every other walk would have made the same choices."""
    u0 = u
    i, u = _tree_descend(tree, 1, cap >> SUBTREE_PREFETCH_LEVELS, u)
    _prefetch_subtree(tree, i)   # where _prefetch_tree_path's guess was wrong, the lines below come at once
    i, u = _tree_descend(tree, i, cap, u)
    if tree[np.uint64(i)] > 0.0:
        return i - cap, u
    i = 1
    u = u0
    while i < cap:
        left = tree[2 * i]
        if u < left or tree[2 * i + 1] <= 0.0:
            i = 2 * i
        else:
            u -= left
            i = 2 * i + 1
    return i - cap, u


@kernel
def rebuild_tree(vac_rates, n_vac, tree):
    """Fill the tree (2 * cap entries) from the rate rows of vacancies 0..n_vac-1: each leaf the
    row summed slot by slot in order, as the engine sums it, zeros beyond, then every node the
    sum of its two children: the tree the engine would hold, bit for bit."""
    cap = tree.shape[0] // 2
    tree[:] = 0.0
    for k in range(n_vac):
        total = 0.0
        for d in range(N_SLOTS):
            total += vac_rates[k, d]
        tree[cap + k] = total
    for i in range(cap - 1, 0, -1):
        tree[i] = tree[2 * i] + tree[2 * i + 1]


@kernel
def _set_leaf(tree, cap, k, total):
    if total != tree[cap + k]:  # e.g. a void's inner vacancy stays at 0: nothing to propagate
        _tree_set(tree, cap, k, total)


@kernel_inlined
def _set_slot(vac_rates, tree, cap, k, d, r):
    """Set slot d of vacancy k to rate r, and its leaf to the row's sum if that changed it."""
    if r != vac_rates[k, d]:
        vac_rates[k, d] = r
        total = 0.0
        for e in range(N_SLOTS):
            total += vac_rates[k, e]
        _tree_set(tree, cap, k, total)


# ----------------------------------------------------------------------------- the fast path
# Away from the box edges a [001] neighbour is the site index plus a fixed offset
# (lattices.neighbours.interior_offset).  A hop whose whole reach lies clear of the edges and in
# table-rate layers is applied by _set_species_interior and _refresh_interior, which name
# neighbours by these offsets instead of building frames with wrap checks (a sixth of the cycles
# of a clustered 5e5-site event).  With an embedding, a hop whose reach is in table-rate layers
# but crosses an edge runs the same code with the offsets of each site's seam class
# (lattices.neighbours.seam_step; PATH_SEAM below).  The reach, in first-neighbour steps from the
# vacancy that hops: the atom it swaps with (1), the vacancies next to either end (2), and the
# sites whose counts their rates read (3).
EVENT_REACH_STEPS = 3
# With an embedding term a rate also reads the neighbours of both ends, and a change reaches the
# neighbours' coordinations: the refresh reaches vacancies 3 steps out whose rates read sites 2
# steps further (ARCHITECTURE.md).
EMBEDDING_REACH_STEPS = 5


def layer_kinds(table_layers: np.ndarray, reach_steps: int = EVENT_REACH_STEPS, wrap_z: bool = False) -> np.ndarray:
    """uint8 per layer for RateModel.layer_kind: LAYER_TABLE where a vacancy's rates follow the
    bulk rule (``table_layers`` nonzero; the table, or the bulk embedding formula),
    LAYER_TABLE_INTERIOR where, moreover, every layer within ``reach_steps`` does too (no
    wrap-around counted), LAYER_TABLE_SEAM where that holds only across the wrap of a box
    periodic in z (``wrap_z``) deep enough that the reach does not meet itself, else
    LAYER_INTERFACE."""
    kinds = (np.asarray(table_layers) != 0).astype(np.uint8)
    n = kinds.size
    table = kinds.copy()
    for layer in range(reach_steps, n - reach_steps):
        if table[layer - reach_steps:layer + reach_steps + 1].all():
            kinds[layer] = LAYER_TABLE_INTERIOR
    if wrap_z and n > 2 * reach_steps + 1:
        for layer in list(range(reach_steps)) + list(range(n - reach_steps, n)):
            if table[np.arange(layer - reach_steps, layer + reach_steps + 1) % n].all():
                kinds[layer] = LAYER_TABLE_SEAM
    return kinds


# An event's path (run_chunk, _swap_vacancy): the general code, with frames; the interior path,
# with fixed offsets (event_is_interior); or, with an embedding, the seam path: the interior
# path's code, whose neighbours follow from each site's seam class (lattices.neighbours.seam_step),
# for hops whose reach is in bulk-rule layers but crosses a box edge (a periodic wrap in x or y, or
# in z in a box periodic in z).
PATH_GENERAL, PATH_INTERIOR, PATH_SEAM = 0, 1, 2


@kernel
def event_is_interior(f, nx, ny, layer_kind, margin):
    """True when an event at the vacancy with frame f ([001]) reaches no box edge and only
    bulk-rule layers.  ``margin`` = (k + 1) // 2 for a reach of k steps, k odd (2 for
    EVENT_REACH_STEPS, 3 for EMBEDDING_REACH_STEPS): from an even layer k steps move x and y by
    between -(k // 2) = -(margin - 1) and (k + 1) // 2 = margin, from an odd layer by between
    -margin and margin - 1, so the bounds on the site's own x and y depend on its layer's parity."""
    odd = f[1] & 1
    ix = f[6] + odd   # x0 = ix - odd unless it wrapped, which the test below rejects
    iy = f[4] + odd
    low = margin - 1 + odd
    return (layer_kind[f[1]] == LAYER_TABLE_INTERIOR and low <= ix <= nx - 1 - margin + odd
            and low <= iy <= ny - 1 - margin + odd)


@kernel_inlined
def _bulk_vacancy_rates_interior(v, odd, site_word, nx, spl, m, rates, k_row, deep):
    """kmc.rates.bulk_vacancy_rates for a vacancy at v on a layer of parity odd, away from the box
    edges (neighbours by fixed offsets); ``deep``: the deep box is on (a constant where
    _refresh_interior is inlined, see run_chunk)."""
    total = 0.0
    v_key = bulk_key(v, site_word)
    for d in range(8):
        r = bulk_rate(v_key, v + interior_offset(odd, d, nx, spl), site_word, m.bulk_rates)
        rates[k_row, d] = r
        total += r
    rates[k_row, EXIT_SLOT] = 0.0
    if deep:
        total = deep_row_interior(v, seam_neighbour_sites(v, odd, nx, spl, None), site_word, m, rates, k_row, total)
    return total


# ----------------------------------------------------------------------------- the energy form
# The energy form is a compile-time constant of the kernels.  Those that reach code of one form
# only take two markers, ``bond`` and ``embedding``, exactly one of them None (form_markers).
# numba removes a branch on ``marker is not None`` before typing and inlining when that marker
# is None, so a run types, inlines and compiles its own form's code and never the other's (a
# cold compile of both forms at once took twice as long).  Each form's code therefore stands
# under its own ``if <marker> is not None:``, never in the else of the other's.
def form_markers(has_embedding: bool) -> tuple:
    """(bond, embedding) for run_chunk and init_state."""
    return (None, True) if has_embedding else (True, None)


# ----------------------------------------------------------------------------- site updates
@kernel
def _set_species(f, new, nbr, nx, spl, site_word):
    """The species change at the site with frame f, and its neighbours' counts of each species
    (kmc.sites): all either energy form keeps per site (the embedding's loss sums are summed where
    read: kmc.rates.loss_sum_eV).  A call with six arguments: given the groups instead, numba
    passes every array in them (about 150 values a call)."""
    delta = set_own_species(f[0], new, site_word)
    for e in range(8):
        n = neighbour(f, e, nbr, nx, spl)
        if n >= 0:
            site_word[np.uint64(n)] += delta


@kernel_inlined
def _set_species_interior(s, odd, new, site_word, nx, spl, seam):
    """_set_species for a [001] site on a layer of parity odd, neighbours by seam_step (``seam``
    None: fixed offsets, the interior path)."""
    delta = set_own_species(s, new, site_word)
    for e in range(8):
        site_word[np.uint64(seam_step(s, odd, e, nx, spl, seam))] += delta


# ----------------------------------------------------------------------------- bookkeeping
@kernel
def _set_add(lst, pos, ints, slot, s):
    n = ints[slot]
    lst[n] = s
    pos[s] = n
    ints[slot] = n + 1


@kernel
def _set_remove(lst, pos, ints, slot, s):
    i = pos[s]
    last = ints[slot] - 1
    moved = lst[last]
    lst[i] = moved
    pos[moved] = i
    pos[s] = -1
    ints[slot] = last


@kernel
def _l1_change(s, old, new, contact, ints):
    """Keep the L1 contact lists and counts in step with a species change at L1 site s."""
    if old == HOST:
        _set_remove(contact.l1_host, contact.l1_host_pos, ints, I_NL1_HOST, s)
    elif old == VACANCY:
        _set_remove(contact.l1_vac, contact.l1_vac_pos, ints, I_NL1_VAC, s)
    else:
        ints[I_NL1_SOLUTE] -= 1
    if new == HOST:
        _set_add(contact.l1_host, contact.l1_host_pos, ints, I_NL1_HOST, s)
    elif new == VACANCY:
        _set_add(contact.l1_vac, contact.l1_vac_pos, ints, I_NL1_VAC, s)
    else:
        ints[I_NL1_SOLUTE] += 1


# ----------------------------------------------------------------------------- contact and voids
@kernel
def _deepest_vacancy_layer(layer_vac):
    """The deepest layer holding a vacancy (-1: none).  Every layer below it is all metal."""
    d = layer_vac.shape[0] - 1
    while d >= 0 and layer_vac[d] == 0:
        d -= 1
    return d


@kernel
def _mark(site_mark, s):
    site_mark[s >> 6] |= np.uint64(1) << np.uint64(s & 63)


@kernel
def _marked(site_mark, s):
    return (site_mark[s >> 6] >> np.uint64(s & 63)) & np.uint64(1) != 0


@kernel
def metal_connected(s, g, site_word, layer_vac, site_mark, search):
    """True when a path of first-neighbour metal sites joins the metal site s to the electrode:
    to a metal site in the bottom layer (bonded to the bulk below) or in any layer at or below
    the deepest layer that holds a vacancy (every layer below that is all metal, so the site's
    downward neighbours lead straight to the bottom).

    Depth-first search that tries the downward neighbours first (the higher slots, in both
    orientations), so in metal that reaches the bottom it walks about one site per layer.  Marks
    are bits of site_mark; every site marked is logged and its bit cleared before returning.
    ``search`` holds a stack and a log of K = search.shape[0] // 2 sites each; a search that
    marks more than K sites (a metal region of more than K sites cut off from the electrode, or
    a very winding path) finishes with sweeps over the whole box, exact but slow."""
    nbr, nx, ny, spl, n_layers, wrap_z = g.neighbours, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    deepest = _deepest_vacancy_layer(layer_vac)
    if s // spl >= deepest:
        return True
    k_max = search.shape[0] >> 1
    n_stack = 0
    n_log = 0
    _mark(site_mark, s)
    search[0] = s
    search[k_max] = s
    n_stack = 1
    n_log = 1
    found = False
    overflow = False
    while n_stack > 0 and not found and not overflow:
        n_stack -= 1
        t = search[n_stack]
        f = frame(t, g.table, nx, ny, spl, n_layers, wrap_z)
        for d in range(8):   # pushed upward first, so the downward ones are popped first
            n = neighbour(f, d, nbr, nx, spl)
            if n < 0 or species_at(site_word, n) == VACANCY or _marked(site_mark, n):
                continue
            if n // spl >= deepest:
                found = True
                break
            if n_log == k_max:
                overflow = True
                break
            _mark(site_mark, n)
            search[n_stack] = n
            n_stack += 1
            search[k_max + n_log] = n
            n_log += 1
    if overflow:
        found = _sweep_connected(g, site_word, deepest, site_mark)
        site_mark[:] = 0
        return found
    for i in range(n_log):
        t = search[k_max + i]
        site_mark[t >> 6] = np.uint64(0)
    return found


@kernel
def _sweep_connected(g, site_word, deepest, site_mark):
    """metal_connected's fallback: grow the marked set (joined to the start through metal) by
    sweeps over every site, alternating direction, until a marked site reaches the electrode
    (True) or a sweep adds nothing (False)."""
    nbr, nx, ny, spl, n_layers, wrap_z = g.neighbours, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    n_sites = spl * n_layers
    changed = True
    sweep = 0
    while changed:
        changed = False
        for i in range(n_sites):
            t = i if sweep % 2 == 0 else n_sites - 1 - i
            if _marked(site_mark, t) or species_at(site_word, t) == VACANCY:
                continue
            f = frame(t, g.table, nx, ny, spl, n_layers, wrap_z)
            for d in range(8):
                n = neighbour(f, d, nbr, nx, spl)
                if n >= 0 and _marked(site_mark, n):
                    if t // spl >= deepest:
                        return True
                    _mark(site_mark, t)
                    changed = True
                    break
        sweep += 1
    return False


@kernel
def connected_l1_metal(g, site_word, layer_vac, site_mark, search):
    """(host, solute) atoms in L1 that metal joins to the electrode (metal_connected)."""
    spl = g.sites_per_layer
    host = 0
    solute = 0
    for s in range(spl):
        x = species_at(site_word, s)
        if x != VACANCY and metal_connected(s, g, site_word, layer_vac, site_mark, search):
            if x == HOST:
                host += 1
            else:
                solute += 1
    return host, solute


@kernel
def _void_fill(s, need, g, site_word, l1_mark, l1_queue):
    """Sites counted in the interface void of the L1 vacancy s, stopping at ``need``.  An
    interface void is a connected set of vacant L1 sites, joined in-plane (kmc.analysis's
    VOID_DEFINITION restricted to L1: the L1 second neighbours a apart, and first neighbours that
    lie in L1, which only the [110] orientation has).  Breadth-first flood fill; its marks are
    cleared before it returns."""
    nbr, spl, l1nb2 = g.neighbours, g.sites_per_layer, g.l1_second
    n2 = l1nb2.shape[1]
    n_all = n2 + (8 if nbr.shape[0] != 0 else 0)
    l1_mark[s] = 1
    l1_queue[0] = s
    head = 0
    tail = 1
    while head < tail and tail < need:
        t = l1_queue[head]
        head += 1
        for a in range(n_all):
            q = l1nb2[t, a] if a < n2 else nbr[t, a - n2]
            if q < 0 or q >= spl or l1_mark[q] != 0 or species_at(site_word, q) != VACANCY:
                continue
            l1_mark[q] = 1
            l1_queue[tail] = q
            tail += 1
            if tail >= need:
                break
    for i in range(tail):
        l1_mark[l1_queue[i]] = 0
    return tail


@kernel
def interface_void_size(s, g, site_word, l1_mark, l1_queue):
    """L1 sites of the interface void that holds the L1 vacancy s."""
    return _void_fill(s, g.sites_per_layer + 1, g, site_word, l1_mark, l1_queue)


@kernel_inlined
def _vacancy_layer_move(from_layer, to_layer, t, tally):
    """Move one vacancy between layers (-1 = outside the box), integrating count x time per layer."""
    if from_layer == to_layer:
        return
    layer_vac, layer_vac_time, layer_last_t = tally.layer_vac, tally.layer_vac_time, tally.layer_last_t
    if from_layer >= 0:
        layer_vac_time[from_layer] += layer_vac[from_layer] * (t - layer_last_t[from_layer])
        layer_last_t[from_layer] = t
        layer_vac[from_layer] -= 1
    if to_layer >= 0:
        layer_vac_time[to_layer] += layer_vac[to_layer] * (t - layer_last_t[to_layer])
        layer_last_t[to_layer] = t
        layer_vac[to_layer] += 1


@kernel
def _add_vacancy(s, st):
    ints = st.ints
    k = ints[I_NVAC]
    st.vac_site[k] = s
    set_vacancy_index(st.site_word, st.site_vac, s, k)
    st.stamp[k] = 0  # not refreshed yet in any event
    ints[I_NVAC] = k + 1


@kernel
def _remove_vacancy(s, st):
    site_word, site_vac, vac_site, vac_rates, tree, stamp, ints, work = st
    cap = tree.shape[0] >> 1
    k = vacancy_index(site_word, site_vac, s)
    last = ints[I_NVAC] - 1
    if k != last:
        t = vac_site[last]
        vac_site[k] = t
        set_vacancy_index(site_word, site_vac, t, k)
        for d in range(N_SLOTS):
            vac_rates[k, d] = vac_rates[last, d]
        stamp[k] = stamp[last]
        _tree_set(tree, cap, k, tree[cap + last])
    _tree_set(tree, cap, last, 0.0)
    set_vacancy_index(site_word, site_vac, s, -1)
    ints[I_NVAC] = last


@kernel_inlined
def _swap_vacancy(f_src, f_dst, path, g, st, t, tally):
    """The vacancy at src and the atom at dst (frames f_src, f_dst) trade places (a hop, or
    creep's long-range move), by the event's path (PATH_*): species, neighbour counts, vacancy
    index and layer integrals follow.  Returns the atom's species; the caller updates the L1
    lists, which only L1 sites need."""
    site_word, site_vac = st.site_word, st.site_vac
    nx, spl = g.nx, g.sites_per_layer
    src, dst = f_src[0], f_dst[0]
    x = species_at(site_word, dst)
    k = vacancy_index(site_word, site_vac, src)
    if path == PATH_INTERIOR:
        _set_species_interior(src, f_src[1] & 1, x, site_word, nx, spl, None)
        _set_species_interior(dst, f_dst[1] & 1, VACANCY, site_word, nx, spl, None)
    elif path == PATH_SEAM:
        _set_species_interior(src, f_src[1] & 1, x, site_word, nx, spl, g.seam)
        _set_species_interior(dst, f_dst[1] & 1, VACANCY, site_word, nx, spl, g.seam)
    else:
        _set_species(f_src, x, g.neighbours, nx, spl, site_word)
        _set_species(f_dst, VACANCY, g.neighbours, nx, spl, site_word)
    st.vac_site[k] = dst
    set_vacancy_index(site_word, site_vac, dst, k)
    set_vacancy_index(site_word, site_vac, src, -1)
    _vacancy_layer_move(f_src[1], f_dst[1], t, tally)
    return x


@kernel
def _tracer_move(src, dst, slot, tracers):
    """The atom at src moved to dst; if it is a tracer, follow it and count the jump in ``slot``
    (slot < 0: a non-local move such as creep, which relocates it without a lattice jump)."""
    t = tracers.of_site[src]
    if t >= 0:
        tracers.of_site[src] = -1
        tracers.of_site[dst] = t
        tracers.site[t] = dst
        if slot >= 0:
            tracers.jumps[t, slot] += 1


@kernel
def _tracer_lost(s, tracers):
    """The atom at s left the box (stripped, or replaced by a vacancy entering from the bulk)."""
    t = tracers.of_site[s]
    if t >= 0:
        tracers.of_site[s] = -1
        tracers.site[t] = -1


# ----------------------------------------------------------------------------- refreshing rates
@kernel_inlined
def _refresh_interior(v, j, odd_v, g, st, m, deep):
    """_refresh_around for a hop from j into the vacancy at v (now at j) whose whole reach is
    interior (see event_is_interior): the same rates, recomputed in the same way, with
    neighbours named by offsets.  ``deep`` (m.deep_hop_factor != 1) is passed as a constant: the
    deep box's tests in every row cost a bulk event 2 % where the box is off."""
    site_word, site_vac, vac_site, vac_rates, tree, stamp, ints, work = st
    nx, spl, opposite = g.nx, g.sites_per_layer, g.opposite
    cap = tree.shape[0] >> 1
    ints[I_STAMP] += 1
    tag = ints[I_STAMP]
    for c in range(2):
        s = v if c == 0 else j
        odd = odd_v if c == 0 else 1 - odd_v
        unseen = neighbour_count(site_word, s, VACANCY)
        for a in range(-1, 8):
            if a >= 0 and unseen == 0:
                break
            n = s if a < 0 else s + interior_offset(odd, a, nx, spl)
            if species_at(site_word, n) == VACANCY:
                if a >= 0:
                    unseen -= 1
                k = vacancy_index(site_word, site_vac, n)
                if stamp[k] != tag:
                    stamp[k] = tag
                    tot = _bulk_vacancy_rates_interior(n, odd if a < 0 else 1 - odd, site_word, nx, spl,
                                                       m, vac_rates, k, deep)
                    _set_leaf(tree, cap, k, tot)
    for c in range(2):
        s = v if c == 0 else j
        odd = odd_v if c == 0 else 1 - odd_v
        other = j if c == 0 else v
        s_vacant = c   # after the hop v holds the atom, j the vacancy
        for a in range(8):
            n = s + interior_offset(odd, a, nx, spl)
            if n == other:
                continue
            x = species_at(site_word, n)
            if x == VACANCY:
                continue
            unseen = neighbour_count(site_word, n, VACANCY) - s_vacant
            if unseen <= 0:
                continue
            for b in range(8):
                if unseen == 0:
                    break
                mv = n + interior_offset(1 - odd, b, nx, spl)
                if mv == s or species_at(site_word, mv) != VACANCY:
                    continue
                unseen -= 1
                k = vacancy_index(site_word, site_vac, mv)
                if stamp[k] == tag:
                    continue
                r = bulk_rate(bulk_key(mv, site_word), n, site_word, m.bulk_rates)
                if deep:
                    r *= deep_hop_factor_interior(mv, n, site_word, m)
                _set_slot(vac_rates, tree, cap, k, opposite[b], r)


@kernel_inlined
def _reach_site(v, j, odd_v, reach, paths, i, nx, spl, seam):
    """The site of row i of Geometry.hop_reach (``reach``) for a hop into v from j: v plus the row's
    offset, or with ``seam`` (Geometry.seam) by the row's path (``paths``: the rows of
    Seam.reach_path for the hop, taken once per event; indexed per row instead, the seam path
    ran 2 M more instructions in 2e4 events of the 1e5-site bulk box), which wraps."""
    if seam is None:
        return v + reach[i, 0]
    return seam_reach_site(v, j, odd_v, paths[i], nx, spl, seam)


@kernel_inlined
def _refresh_interior_embedding(v, odd_v, d, g, m, st, seam):
    """_refresh_around_embedding for a hop from slot d into the vacancy at v (now at j) whose whole
    reach is in bulk-rule layers (EMBEDDING_REACH_STEPS), over Geometry.hop_reach, which names
    each site within two steps of v or j once: the vacancies among the near sites, and those next
    to a near site whose embedding terms changed (v, j and the near metal sites), in full; then
    each far atom next to such a site (its loss sum changed) has its hops into vacancies not
    refreshed yet redone.  Neighbours by seam_step: ``seam`` None where the reach is clear of the
    box edges (event_is_interior), Geometry.seam where it crosses one (_refresh_seam_embedding)."""
    site_word, site_vac, vac_site, vac_rates, tree, stamp, ints, work = st
    nx, spl, opposite = g.nx, g.sites_per_layer, g.opposite
    reach = g.hop_reach[odd_v, d]
    paths = g.seam.reach_path[odd_v, d]
    cap = tree.shape[0] >> 1
    ints[I_STAMP] += 1
    tag = ints[I_STAMP]
    j = seam_step(v, odd_v, d, nx, spl, seam)
    changed = 0   # bit i: near row i's embedding terms changed
    for i in range(HOP_REACH_NEAR):
        s = _reach_site(v, j, odd_v, reach, paths, i, nx, spl, seam)
        if species_at(site_word, s) == VACANCY:
            k = vacancy_index(site_word, site_vac, s)
            stamp[k] = tag
            _set_leaf(tree, cap, k, bulk_embedding_vacancy_rates_interior(s, reach[i, 1], site_word, nx, spl, m,
                                                                        vac_rates, k, seam))
            if s != j:
                continue
        changed |= 1 << i
    for i in range(HOP_REACH_NEAR):
        if not (changed >> i) & 1:
            continue
        s = _reach_site(v, j, odd_v, reach, paths, i, nx, spl, seam)
        unseen = neighbour_count(site_word, s, VACANCY)
        for b in range(8):
            if unseen == 0:
                break
            u = seam_step(s, reach[i, 1], b, nx, spl, seam)
            if species_at(site_word, u) != VACANCY:
                continue
            unseen -= 1
            k = vacancy_index(site_word, site_vac, u)
            if stamp[k] != tag:
                stamp[k] = tag
                _set_leaf(tree, cap, k, bulk_embedding_vacancy_rates_interior(u, 1 - reach[i, 1], site_word, nx, spl,
                                                                            m, vac_rates, k, seam))
    for i in range(HOP_REACH_NEAR, HOP_REACH_SITES):
        if reach[i, 3] & changed == 0:
            continue
        s = _reach_site(v, j, odd_v, reach, paths, i, nx, spl, seam)
        unseen = neighbour_count(site_word, s, VACANCY)
        if unseen == 0 or species_at(site_word, s) == VACANCY:
            continue
        odd = reach[i, 1]
        for b in range(8):
            if unseen == 0:
                break
            u = seam_step(s, odd, b, nx, spl, seam)
            if species_at(site_word, u) != VACANCY:
                continue
            unseen -= 1
            k = vacancy_index(site_word, site_vac, u)
            if stamp[k] != tag:
                _set_slot(vac_rates, tree, cap, k, opposite[b],
                          bulk_embedding_rate_into_interior(s, odd, b, site_word, nx, spl, m, seam))


@kernel
def _refresh_seam_embedding(v, odd_v, d, g, m, st):
    """_refresh_interior_embedding for a hop whose reach crosses a box edge (the seam path).  A call,
    not inlined: a second inlined copy in run_chunk would cost its compilation more than the call
    costs the event."""
    _refresh_interior_embedding(v, odd_v, d, g, m, st, g.seam)


# ----------------------------------------------------------------------------- the work queue
# The refreshes decide which rates an event changed; the rows and slots that need the general
# rate code (kmc.rates.bond_vacancy_rates, bond_hop_rate_into and their embedding versions) are
# queued in State.work and computed by one call at the end of the event (_run_work), in which
# that code is inlined once.  Called per
# vacancy instead, it was passed every array of Geometry and RateModel as arguments (numba
# flattens them: about 150 values a call), which cost the bond-form slab 17 % of its time.
# Row 0 of State.work holds the number of entries; entry i (rows 1..) is a site's frame
# (columns 0-7), a vacancy index k (8) and a slot b (9): b = -1 recomputes every slot of the
# vacancy k, whose frame it is; b >= 0 redoes the one slot of vacancy k that the atom with that
# frame fills from its neighbour slot b.  Entries run in the order queued, and a refresh queues
# a slot only for a vacancy it has not queued in full, so every rate and tree node ends with the
# bits the updates done on the spot gave (a node is the sum of its children whatever the order
# in which leaves change).  A full queue runs at once.
WORK_CAPACITY = 256


@kernel_inlined
def _queue_work(f, k, b, g, m, st, bond, embedding):
    """Queue entry (frame f, vacancy k, slot b) (see above)."""
    work = st.work
    n = work[0, 0] + 1
    for i in range(8):
        work[n, i] = f[i]
    work[n, 8] = k
    work[n, 9] = b
    work[0, 0] = n
    if n == work.shape[0] - 1:
        _run_work(g, m, st, bond, embedding)


@kernel
def _run_work(g, m, st, bond, embedding):
    """Compute the queued rows and slots in order and empty the queue."""
    site_word, vac_site, vac_rates, tree, work = st.site_word, st.vac_site, st.vac_rates, st.tree, st.work
    cap = tree.shape[0] >> 1
    for i in range(1, work[0, 0] + 1):
        f = (work[i, 0], work[i, 1], work[i, 2], work[i, 3], work[i, 4], work[i, 5], work[i, 6], work[i, 7])
        k = work[i, 8]
        b = work[i, 9]
        if b < 0:
            total = 0.0
            if bond is not None:
                total = bond_vacancy_rates(f, site_word, g, m, vac_rates, k)
            if embedding is not None:
                total = embedding_vacancy_rates(f, site_word, g, m, vac_rates, k)
            _set_leaf(tree, cap, k, total)
        else:
            x = species_at(site_word, f[0])
            r = 0.0
            if bond is not None:
                r = bond_hop_rate_into(f, b, vac_site[k], x, site_word, g, m)
            if embedding is not None:
                r = embedding_hop_rate_into(f, b, vac_site[k], x, site_word, g, m)
            _set_slot(vac_rates, tree, cap, k, g.opposite[b], r)
    work[0, 0] = 0


@kernel_inlined
def _refresh_hops_out_of(fa, g, m, st, tag, bond, embedding):
    """For every vacancy next to the atom at the site with frame fa that this event has not
    refreshed in full, queue the one slot of its hop from fa."""
    site_word, site_vac, stamp = st.site_word, st.site_vac, st.stamp
    nbr, nx, spl = g.neighbours, g.nx, g.sites_per_layer
    unseen = neighbour_count(site_word, fa[0], VACANCY)
    for b in range(8):
        if unseen == 0:
            break
        mv = neighbour(fa, b, nbr, nx, spl)
        if mv < 0 or species_at(site_word, mv) != VACANCY:
            continue
        unseen -= 1
        k = vacancy_index(site_word, site_vac, mv)
        if stamp[k] != tag:
            _queue_work(fa, k, b, g, m, st, bond, embedding)


@kernel_inlined
def _refresh_l1_pair_neighbours(s, g, m, st, tag, bond, embedding):
    """The vacancy-pair term of a hop counts the vacant L1 second neighbours of its two ends, so a
    change at L1 site s alters, for each L1 second neighbour q of s, the hops into q (q vacant:
    all its slots) or the hops out of q (q an atom: one slot of each vacancy next to it)."""
    site_word = st.site_word
    nx, ny, spl, n_layers, wrap_z = g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    for a in range(g.l1_second.shape[1]):
        q = g.l1_second[s, a]
        if q < 0:
            continue
        fq = frame(q, g.table, nx, ny, spl, n_layers, wrap_z)
        if species_at(site_word, q) == VACANCY:
            _refresh_vacancy(fq, g, m, st, tag, bond, embedding)
            continue
        _refresh_hops_out_of(fq, g, m, st, tag, bond, embedding)


@kernel_inlined
def _refresh_around(f0, f1, n_sites_changed, g, m, st, bond, embedding):
    """Recompute the rates an occupancy change at the sites with frames f0 (and f1 if
    n_sites_changed == 2) can have altered, and nothing else.

    A vacancy on or next to a changed site s gets all its slots recomputed (its own bond sums
    changed).  A vacancy mv two steps away, through an atom n, only has its hop towards n changed
    (s is a neighbour of n): just that slot is recomputed.  BCC's neighbour graph is bipartite,
    so the two groups never overlap.  Interface vacancy-pair terms reach L1 second neighbours:
    a vacancy there is recomputed in full, an atom there has its hops into its vacancies redone.
    """
    site_word, site_vac, vac_site, vac_rates, tree, stamp, ints, work = st
    nbr, nx, ny, spl, n_layers, wrap_z = g.neighbours, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    opposite = g.opposite
    layer_kind, bulk_rates = m.layer_kind, m.bulk_rates
    cap = tree.shape[0] >> 1
    ints[I_STAMP] += 1
    tag = ints[I_STAMP]
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[0]
        unseen = neighbour_count(site_word, s, VACANCY)  # vacancies next to s not reached yet
        for a in range(-1, 8):
            if a >= 0 and unseen == 0:
                break
            n = s if a < 0 else neighbour(fs, a, nbr, nx, spl)
            if n >= 0 and species_at(site_word, n) == VACANCY:
                if a >= 0:
                    unseen -= 1
                k = vacancy_index(site_word, site_vac, n)
                if stamp[k] != tag:
                    stamp[k] = tag
                    fn = fs if a < 0 else neighbour_frame(fs, a, n, g.table, nx, ny, spl, n_layers, wrap_z)
                    if layer_kind[fn[1]] != LAYER_INTERFACE:
                        # the table on the spot: it is short, and inlined
                        _set_leaf(tree, cap, k, bulk_vacancy_rates(fn, site_word, nbr, nx, spl, m, vac_rates, k))
                    else:
                        _queue_work(fn, k, -1, g, m, st, bond, embedding)
        if m.l1_pair_eV != 0.0 and s < spl:
            _refresh_l1_pair_neighbours(s, g, m, st, tag, bond, embedding)
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[0]
        s_vacant = 1 if species_at(site_word, s) == VACANCY else 0
        other = f1[0] if c == 0 else f0[0]  # the other changed site (or s itself)
        for a in range(8):
            n = neighbour(fs, a, nbr, nx, spl)
            if n < 0 or n == other:
                continue  # the vacancies around the other changed site are all refreshed
            x = species_at(site_word, n)
            if x == VACANCY:
                continue  # a hop into n's place needs an atom at n: those slots stay 0
            unseen = neighbour_count(site_word, n, VACANCY) - s_vacant  # vacancies two steps from s through n
            if unseen <= 0:
                continue
            fn = neighbour_frame(fs, a, n, g.table, nx, ny, spl, n_layers, wrap_z)
            for b in range(8):
                if unseen == 0:
                    break
                mv = neighbour(fn, b, nbr, nx, spl)
                if mv < 0 or mv == s or species_at(site_word, mv) != VACANCY:
                    continue
                unseen -= 1
                k = vacancy_index(site_word, site_vac, mv)
                if stamp[k] == tag:
                    continue
                d = opposite[b]
                # kmc.rates.hop_rate_into, written out: as a call here it costs the general path
                # 7-10 %, inlined the slab 6 % and 2 s of compilation
                lm = neighbour_layer(fn, b, mv, nbr, spl)
                if layer_kind[lm] != LAYER_INTERFACE:
                    r = bulk_rate(bulk_key(mv, site_word), n, site_word, bulk_rates)
                else:
                    fm = neighbour_frame(fn, b, mv, g.table, nx, ny, spl, n_layers, wrap_z)
                    r = interface_hop_rate(fm, neighbour_sites(fm, nbr, nx, spl), fn, x, site_word, g, m, False)
                if m.deep_hop_factor != 1.0:
                    r *= deep_hop_factor_at(mv, lm, n, fn[1], site_word, m)
                _set_slot(vac_rates, tree, cap, k, d, r)
    if st.work[0, 0] > 0:
        _run_work(g, m, st, bond, embedding)


@kernel_inlined
def _refresh_vacancy(fu, g, m, st, tag, bond, embedding):
    """Queue every slot of the vacancy with frame fu unless this event already did."""
    k = vacancy_index(st.site_word, st.site_vac, fu[0])
    if st.stamp[k] != tag:
        st.stamp[k] = tag
        _queue_work(fu, k, -1, g, m, st, bond, embedding)


@kernel_inlined
def _bit_count8(x):
    """Number of set bits of an 8-bit mask."""
    x = x - ((x >> 1) & 0x55)
    x = (x & 0x33) + ((x >> 2) & 0x33)
    return (x + (x >> 4)) & 0x0F


@kernel
def _refresh_around_embedding(f0, f1, n_sites_changed, g, m, st, bond, embedding):
    """_refresh_around for an energy with an embedding term (EnergyModel.has_embedding), whose reach
    is one shell wider: a hop's rate reads the words of its two ends and of their neighbours,
    and a species change at s rewrites the words of s and of its neighbours.  So

    1. every vacancy on or next to a changed site s gets all its slots recomputed (its counts
       changed), and so does every vacancy next to a metal neighbour of s (that neighbour's
       embedding gain changed);
    2. every atom k next to a metal neighbour of s (k's loss sum changed) has its hop into each
       vacancy next to it redone (the vacancies one or three steps from s; those at one step
       were done in 1);
    3. the interface vacancy-pair term reaches L1 second neighbours, as in _refresh_around.
    A vacant neighbour of s keeps its embedding terms (zero), so nothing beyond it changes on its
    account; atoms one step from s have vacancies at zero or two steps only, all done in 1.
    """
    site_word, site_vac, vac_site, vac_rates, tree, stamp, ints, work = st
    nbr, nx, ny, spl, n_layers, wrap_z = g.neighbours, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    ints[I_STAMP] += 1
    tag = ints[I_STAMP]
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[0]
        s_vacant = 1 if species_at(site_word, s) == VACANCY else 0
        if s_vacant:
            _refresh_vacancy(fs, g, m, st, tag, bond, embedding)
        for a in range(8):
            n = neighbour(fs, a, nbr, nx, spl)
            if n < 0:
                continue
            if species_at(site_word, n) == VACANCY:
                # its word changed; its embedding terms (0) did not, so its neighbours' rates
                # did not change on its account
                if stamp[vacancy_index(site_word, site_vac, n)] != tag:
                    _refresh_vacancy(neighbour_frame(fs, a, n, g.table, nx, ny, spl, n_layers, wrap_z), g, m, st,
                                     tag, bond, embedding)
                continue
            unseen = neighbour_count(site_word, n, VACANCY)
            if unseen == s_vacant:
                continue   # no vacancy next to n but s (done above)
            fn = neighbour_frame(fs, a, n, g.table, nx, ny, spl, n_layers, wrap_z)
            for b in range(8):
                if unseen == 0:
                    break
                u = neighbour(fn, b, nbr, nx, spl)
                if u < 0 or species_at(site_word, u) != VACANCY:
                    continue
                unseen -= 1
                if stamp[vacancy_index(site_word, site_vac, u)] != tag:
                    _refresh_vacancy(neighbour_frame(fn, b, u, g.table, nx, ny, spl, n_layers, wrap_z), g, m, st,
                                     tag, bond, embedding)
        if m.l1_pair_eV != 0.0 and s < spl:
            _refresh_l1_pair_neighbours(s, g, m, st, tag, bond, embedding)
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[0]
        ns = neighbour_sites(fs, nbr, nx, spl)
        metal = 0    # bit a: s's neighbour in slot a holds an atom
        vacant = 0   # bit a: it is a vacancy (refreshed in full above)
        for a in range(8):
            if ns[a] >= 0:
                if species_at(site_word, ns[a]) != VACANCY:
                    metal |= 1 << a
                else:
                    vacant |= 1 << a
        for a in range(8):
            n = ns[a]
            if not (metal >> a) & 1:
                continue   # a vacancy's embedding terms are 0 before and after: no loss sum changed
            fn = neighbour_frame(fs, a, n, g.table, nx, ny, spl, n_layers, wrap_z)
            for b in range(8):
                k_site = neighbour(fn, b, nbr, nx, spl)
                if k_site < 0 or k_site == s:
                    continue
                if species_at(site_word, k_site) == VACANCY:
                    continue
                unseen = neighbour_count(site_word, k_site, VACANCY)
                if unseen == 0:
                    continue
                # k is two steps from s through up to four of s's neighbours: handle it from the
                # first of its metal ones only (the others would redo the same slots, which
                # changes no bit but costs the time)
                via = g.second_via[a, b]
                if via & metal & ((1 << a) - 1):
                    continue
                if unseen == _bit_count8(via & vacant):
                    continue   # its vacancies all neighbour s: done in full above
                fk = neighbour_frame(fn, b, k_site, g.table, nx, ny, spl, n_layers, wrap_z)
                _refresh_hops_out_of(fk, g, m, st, tag, bond, embedding)
    if st.work[0, 0] > 0:
        _run_work(g, m, st, bond, embedding)


# ----------------------------------------------------------------------------- entry points
@kernel
def init_state(occ, g, m, st, contact, has_interface, bond, embedding):
    """Build the site words, the vacancy list, the L1 contact lists and all rates from an
    occupancy array (through the work queue, which also sets the tree's leaves: the whole tree is
    then built by rebuild_tree)."""
    site_word, site_vac, vac_site, vac_rates, tree, stamp, ints, work = st
    nbr, nx, ny, spl, n_layers, wrap_z = g.neighbours, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    site_vac[:] = -1
    for s in range(occ.shape[0]):
        site_word[s] = np.uint32(occ[s]) << SPECIES_SHIFT
    for s in range(occ.shape[0]):
        f = frame(s, g.table, nx, ny, spl, n_layers, wrap_z)
        one = np.uint32(1 << (COUNT_BITS * occ[s]))
        for e in range(8):
            n = neighbour(f, e, nbr, nx, spl)
            if n >= 0:
                site_word[n] += one
    ints[:] = 0
    contact.l1_host_pos[:] = -1
    contact.l1_vac_pos[:] = -1
    for s in range(occ.shape[0]):
        if occ[s] == VACANCY:
            _add_vacancy(s, st)
    if has_interface:
        for s in range(spl):
            if occ[s] == HOST:
                _set_add(contact.l1_host, contact.l1_host_pos, ints, I_NL1_HOST, s)
            elif occ[s] == VACANCY:
                _set_add(contact.l1_vac, contact.l1_vac_pos, ints, I_NL1_VAC, s)
            else:
                ints[I_NL1_SOLUTE] += 1
    for k in range(ints[I_NVAC]):
        _queue_work(frame(vac_site[k], g.table, nx, ny, spl, n_layers, wrap_z), k, -1, g, m, st, bond, embedding)
    _run_work(g, m, st, bond, embedding)


@kernel
def _draw_connected_host(g, site_word, layer_vac, contact, ints, rng):
    """An L1 host atom drawn uniformly among those joined to the electrode (metal_connected), or
    -1 if there is none.  Drawing from all L1 host atoms and redrawing until one is joined gives
    that distribution; after 64 misses the joined atoms are counted and one of them is drawn
    directly (the same distribution, and an answer when none is joined)."""
    n_host = ints[I_NL1_HOST]
    for _ in range(64):
        s = contact.l1_host[int(next_uniform(rng) * n_host)]
        if metal_connected(s, g, site_word, layer_vac, contact.site_mark, contact.search):
            return s
    n_joined = 0
    for i in range(n_host):
        if metal_connected(contact.l1_host[i], g, site_word, layer_vac, contact.site_mark, contact.search):
            n_joined += 1
    if n_joined == 0:
        return -1
    pick = int(next_uniform(rng) * n_joined)
    for i in range(n_host):
        s = contact.l1_host[i]
        if metal_connected(s, g, site_word, layer_vac, contact.site_mark, contact.search):
            if pick == 0:
                return s
            pick -= 1
    return -1


@kernel
def run_chunk(g, m, st, contact, tally, tracers, drive, limits, prefetch_sites, bond, embedding):
    """Run events until a limit is reached; returns (stop code, events done).

    ``prefetch_sites``: the box's site arrays exceed the second-level cache, so each event also asks
    for the next event's vacancy and neighbourhood early (see _prefetch_tree_path); speed only.

    tally.clock[0] is kMC time in s; tally.layer_vac counts vacancies per layer and
    tally.layer_vac_time integrates that count over kMC time (up to layer_last_t), for
    time-averaged depth profiles.  Tracers (tagged atoms, for diffusion) are followed when
    tracers.of_site is not empty.
    """
    site_word, site_vac, vac_site, vac_rates, tree, stamp, ints, work = st
    nbr, nx, ny, spl, n_layers, wrap_z = g.neighbours, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    opposite = g.opposite
    counts, clock, rng = tally.counts, tally.clock, tally.rng
    strip_rate, creep_k_full, creep_n, enter_rate, electrode, electrode_flux, has_interface = drive
    x_top = electrode[0]                     # kmc.electrode.X_TOP
    exchange_rate = electrode[1] * spl       # kmc.electrode.EXCHANGE_PER_SITE, over the bottom layer
    max_events, t_stop, strip_stop, contact_stop = limits
    cap = tree.shape[0] >> 1
    tracking = tracers.of_site.shape[0] > 0
    table = g.table   # else [001]: neighbours by index arithmetic
    interior_margin = 2   # event_is_interior's margin for the reach
    if embedding is not None:
        interior_margin = 3
    seam_on = embedding is not None and g.seam.site_class.shape[0] > 0   # the seam path (no classes: none)
    # the interior path; with the embedding it walks Geometry.hop_reach, empty in boxes narrower
    # than SEAM_MIN_CELLS (a 6-cell box has sites event_is_interior accepts: they take the general path)
    interior_on = embedding is None or g.hop_reach.shape[2] > 0
    bottom0 = (n_layers - 1) * spl
    done = 0
    creep_rate = -1.0  # cached total creep rate; -1 = recompute (it changes only with L1 counts)
    while True:
        if done >= max_events:
            return ST_EVENTS, done
        if clock[0] >= t_stop:
            return ST_TIME, done
        if ints[I_NSTRIP] >= strip_stop:
            return ST_CHARGE, done
        n_contact = ints[I_NL1_HOST] + ints[I_NL1_SOLUTE]
        if n_contact <= contact_stop:
            return ST_CONTACT, done
        if ints[I_NVAC] >= cap:
            return ST_CAPACITY, done
        if strip_rate > 0.0 and ints[I_NL1_HOST] == 0:
            return ST_NO_HOST, done
        if creep_rate < 0.0:
            # The bound of thinning: every L1 vacancy at the rate of a site of the largest void
            # there can be (all L1 vacancies in one void); see the creep branch.
            creep_rate = 0.0
            if creep_k_full > 0.0 and ints[I_NL1_VAC] > 0:
                cf = max(n_contact, 1) / spl
                creep_rate = creep_k_full * cf ** (-creep_n) * ints[I_NL1_VAC] * np.sqrt(ints[I_NL1_VAC])
        r_hop = tree[1]
        total = r_hop + strip_rate + creep_rate + enter_rate + exchange_rate
        if total <= 0.0:
            return ST_NO_EVENTS, done
        u = next_uniform(rng) * total
        dt = -np.log(1.0 - next_uniform(rng)) / total
        clock[0] += dt
        done += 1
        n_changed = 0
        path = PATH_GENERAL
        k_next = -1
        if u < r_hop:
            k, u = _tree_find(tree, cap, u)
            # the next two events' lines, while this one runs (see _prefetch_tree_path)
            u_walk, u_after = peek_uniforms(rng)
            if prefetch_sites:
                if u_walk * total < r_hop:
                    k_next = _leaf_guess(tree, cap, u_walk * total)
                    prefetch(vac_site, k_next)
                    prefetch(vac_rates[k_next], 0)
                    prefetch(vac_rates[k_next], N_SLOTS - 1)
                u_walk = u_after
            if u_walk * total < r_hop:
                _prefetch_tree_path(tree, cap, u_walk * total)
            d = 0
            while d < N_SLOTS - 1 and (u >= vac_rates[k, d] or vac_rates[k, d] <= 0.0):
                u -= vac_rates[k, d]
                d += 1
            v = vac_site[k]
            f0 = frame(v, g.table, nx, ny, spl, n_layers, wrap_z)
            f1 = f0
            n_changed = 1
            if d == EXIT_SLOT:
                # The vacancy leaves towards the sinks; an atom from the electrode's top cell
                # takes its place (kmc.electrode books it there).
                new = SOLUTE if next_uniform(rng) < x_top else HOST
                electrode_flux[0] += 1
                if new == SOLUTE:
                    electrode_flux[1] += 1
                _remove_vacancy(v, st)
                _vacancy_layer_move(f0[1], -1, clock[0], tally)
                _set_species(f0, new, nbr, nx, spl, site_word)
                counts[EV_EXIT] += 1
            else:
                if not table:
                    if interior_on and event_is_interior(f0, nx, ny, m.layer_kind, interior_margin):
                        path = PATH_INTERIOR
                    elif seam_on and m.layer_kind[f0[1]] >= LAYER_TABLE_INTERIOR:
                        path = PATH_SEAM
                j = neighbour(f0, d, nbr, nx, spl)
                if path != PATH_GENERAL:   # only j's site and layer are used
                    f1 = (j, f0[2] if d < 4 else f0[3], 0, 0, 0, 0, 0, 0)
                else:
                    f1 = neighbour_frame(f0, d, j, g.table, nx, ny, spl, n_layers, wrap_z)
                x = _swap_vacancy(f0, f1, path, g, st, clock[0], tally)
                if tracking:  # the atom jumped from j to v, along the reverse of slot d
                    _tracer_move(j, v, opposite[d], tracers)
                if has_interface:
                    if v < spl:
                        _l1_change(v, VACANCY, x, contact, ints)
                        creep_rate = -1.0
                    if j < spl:
                        _l1_change(j, x, VACANCY, contact, ints)
                        creep_rate = -1.0
                counts[EV_HOP_SOLUTE if x == SOLUTE else EV_HOP_HOST] += 1
                n_changed = 2
        elif u < r_hop + strip_rate:
            # Galvanostatic: the current is shared among the L1 host atoms that metal joins to
            # the electrode; a draw that is not joined is redrawn (the total rate is fixed).
            s = _draw_connected_host(g, site_word, tally.layer_vac, contact, ints, rng)
            if s < 0:   # no host atom carries current: the cell cannot pass it; undo the draw
                clock[0] -= dt
                return ST_NO_HOST, done - 1
            if tracking:
                _tracer_lost(s, tracers)
            f0 = frame(s, g.table, nx, ny, spl, n_layers, wrap_z)
            f1 = f0
            _set_species(f0, VACANCY, nbr, nx, spl, site_word)
            _l1_change(s, HOST, VACANCY, contact, ints)
            _add_vacancy(s, st)
            _vacancy_layer_move(-1, 0, clock[0], tally)
            ints[I_NSTRIP] += 1
            counts[EV_STRIP] += 1
            creep_rate = -1.0
            n_changed = 1
        elif u < r_hop + strip_rate + creep_rate:
            # Creep carries metal up into an interface void site and the vacancy down to the
            # bottom layer (the far bulk); a bottom site is drawn at random until it holds metal.
            # Thinning: a site of a void of N L1 sites closes at k sqrt(N) (k = creep_k_full
            # cf**-n); the bound above gives every L1 vacancy k sqrt(n_l1) (N <= n_l1), so an
            # L1 vacancy drawn uniformly is accepted with probability sqrt(N / n_l1), i.e. when
            # N > u'^2 n_l1, which the flood fill checks as soon as it has counted that many
            # sites.  A rejection is a null event: the state stays, the clock has advanced.
            n_l1 = ints[I_NL1_VAC]
            s = contact.l1_vac[int(next_uniform(rng) * n_l1)]
            u2 = next_uniform(rng)
            need = int(u2 * u2 * n_l1) + 1
            accept = need <= 1 or _void_fill(s, need, g, site_word, contact.l1_mark, contact.l1_queue) >= need
            b = -1
            if accept:
                for _ in range(64):
                    t = bottom0 + int(next_uniform(rng) * spl)
                    if species_at(site_word, t) != VACANCY:
                        b = t
                        break
            f0 = frame(s, g.table, nx, ny, spl, n_layers, wrap_z)
            f1 = f0
            if b < 0:
                counts[EV_NULL] += 1
            else:
                f1 = frame(b, g.table, nx, ny, spl, n_layers, wrap_z)
                x = _swap_vacancy(f0, f1, PATH_GENERAL, g, st, clock[0], tally)
                if tracking:
                    _tracer_move(b, s, -1, tracers)
                _l1_change(s, VACANCY, x, contact, ints)
                counts[EV_CREEP] += 1
                creep_rate = -1.0
                n_changed = 2
        elif u < r_hop + strip_rate + creep_rate + enter_rate:
            # Reservoir: a vacancy enters a random bottom site from the sinks (null if already
            # vacant); the atom there goes into the electrode's top cell.
            b = bottom0 + int(next_uniform(rng) * spl)
            f0 = frame(b, g.table, nx, ny, spl, n_layers, wrap_z)
            f1 = f0
            x = species_at(site_word, b)
            if x == VACANCY:
                counts[EV_NULL] += 1
            else:
                electrode_flux[0] -= 1
                if x == SOLUTE:
                    electrode_flux[1] -= 1
                if tracking:
                    _tracer_lost(b, tracers)
                _set_species(f0, VACANCY, nbr, nx, spl, site_word)
                _add_vacancy(b, st)
                _vacancy_layer_move(-1, n_layers - 1, clock[0], tally)
                counts[EV_ENTER] += 1
                n_changed = 1
        else:
            # Solute exchange with the electrode's top cell: a bottom solute leaves for a host at
            # rate exchange (1 - x_top), a bottom host for a solute at exchange x_top (one rate
            # over all bottom sites; the rest of each draw is a null event).
            b = bottom0 + int(next_uniform(rng) * spl)
            f0 = frame(b, g.table, nx, ny, spl, n_layers, wrap_z)
            f1 = f0
            x = species_at(site_word, b)
            w = next_uniform(rng)
            new = x
            if x == HOST and w < x_top:
                new = SOLUTE
                electrode_flux[1] += 1
            elif x == SOLUTE and w < 1.0 - x_top:
                new = HOST
                electrode_flux[1] -= 1
            if new == x:
                counts[EV_NULL] += 1
            else:
                if tracking:
                    _tracer_lost(b, tracers)
                _set_species(f0, new, nbr, nx, spl, site_word)
                counts[EV_EXCHANGE] += 1
                n_changed = 1
        if k_next >= 0:   # its site has had the swap's time to arrive; its neighbourhood has the refresh's
            _prefetch_neighbourhood(site_word, vac_site[k_next], nx, spl)
        if path == PATH_INTERIOR:
            if embedding is not None:
                _refresh_interior_embedding(v, f0[1] & 1, d, g, m, st, None)
            if bond is not None:
                if m.deep_hop_factor == 1.0:
                    _refresh_interior(v, j, f0[1] & 1, g, st, m, False)
                else:
                    _refresh_interior(v, j, f0[1] & 1, g, st, m, True)
        elif path == PATH_SEAM:
            if embedding is not None:
                _refresh_seam_embedding(v, f0[1] & 1, d, g, m, st)
        elif n_changed:
            if embedding is not None:
                _refresh_around_embedding(f0, f1, n_changed, g, m, st, bond, embedding)
            if bond is not None:
                _refresh_around(f0, f1, n_changed, g, m, st, bond, embedding)
