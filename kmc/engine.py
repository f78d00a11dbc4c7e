"""The event loop: numba kernels on flat arrays; knows nothing about physics beyond the tables.

Events are keyed on defects: every vacancy owns 9 rate slots (8 first-neighbour hops and one exit
into the bulk below the box) whose sum is a leaf of a binary sum tree; stripping picks a Li atom
uniformly from the L1 contact list (galvanostatic: fixed total rate), creep refills an L1 vacancy
with metal from the bottom layer, the reservoir injects vacancies at the bottom.  After every event
only vacancies within two neighbour shells of a changed site get their rates recomputed.

All state lives in numpy arrays (see ``EngineState``) so that a chunk can stop and resume anywhere
with identical results: the RNG (xoshiro256**) state is one of those arrays.
"""
from __future__ import annotations

import numpy as np
from numba import njit

# Kernels are compiled without numba's reference counting: they allocate nothing and only touch
# arrays their caller owns for the whole call.  With it, every array handed to a helper cost an
# atomic incref/decref pair per call, a quarter of the event loop's time.  The few helpers that
# run_chunk calls once per event are inlined into it (numba IR inlining costs compile time), and
# so is the interface hop rate with what it calls: vacancy_rates calls it once per slot, and the
# call itself (16 arguments, 6 of them arrays) cost a quarter of a slab run's time.
kernel = njit(cache=True, _nrt=False, error_model="numpy")
kernel_inlined = njit(cache=True, _nrt=False, error_model="numpy", inline="always")

VAC, LI, MG = 0, 1, 2
N_SLOTS = 9
EXIT_SLOT = 8

# Event classes, counted in EngineState.counts.
EVENT_CLASSES = ("hop_li", "hop_mg", "strip", "exit_bulk", "enter_bulk", "creep_refill", "null")
EV_HOP_LI, EV_HOP_MG, EV_STRIP, EV_EXIT, EV_ENTER, EV_CREEP, EV_NULL = range(7)

# Why a chunk returned.
STOP_REASONS = ("events", "time", "charge", "contact", "no_events", "capacity", "no_strippable_li")
ST_EVENTS, ST_TIME, ST_CHARGE, ST_CONTACT, ST_NO_EVENTS, ST_CAPACITY, ST_NO_LI = range(7)

# Slots of the integer bookkeeping array EngineState.ints.
I_NVAC, I_NL1_LI, I_NL1_VAC, I_NL1_MG, I_NSTRIP, I_STAMP = range(6)
N_INTS = 6


# ----------------------------------------------------------------------------- random numbers
@kernel
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@kernel
def next_uniform(s):
    """xoshiro256** step; returns a double in [0, 1)."""
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    s[0], s[1], s[2], s[3] = s0, s1, s2, s3
    return np.float64(result >> np.uint64(11)) * (1.0 / 9007199254740992.0)


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


@kernel
def _tree_find(tree, cap, u):
    """Leaf holding u in [0, tree[1]) and u's offset into it.

    Each level is one load, one comparison and a subtraction of left or +0.0, both written so
    that the compiler keeps them free of branches (a branch here mispredicts half the time).
    Rounding can let u reach a zero-rate subtree (u >= left with right == 0): the walk then ends
    on an empty leaf and is redone keeping left wherever the right sibling is empty, which on
    every other walk would have made the same choices."""
    i = 1
    u0 = u
    while i < cap:
        left = tree[np.uint64(2 * i)]
        i = 2 * i + (1 if u >= left else 0)
        u -= 0.0 if u < left else left   # a second comparison: sharing one brings the branch back
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


# ----------------------------------------------------------------------------- sites
# Per-site state is one 32-bit word per site (``site_word``): bits 4*c..4*c+3 count the first
# neighbours holding species c (vacancy, Li, Mg; at most 8 each), bits 12-13 hold the site's own
# species and, on a vacancy site, bits 14-31 the index of the vacancy (into vac_site and the rate
# rows).  The words are the only copy of the occupancy (Simulation.occupancy reads it off them),
# and an event finds a vacancy's index in the word it has just read for the species, where a
# separate per-site array would cost another cache line (16 MB of them at 4e6 sites).  Runs with
# room for more than 2^18 vacancies keep the indices in ``site_vac`` (int32 per site) instead;
# below that it is empty.
COUNT_BITS = 4
SPECIES_SHIFT = 12
SPECIES_MASK = 3
INDEX_SHIFT = 14
MAX_WORD_INDEX = 1 << 18   # vacancy capacity up to which indices live in the words
LOW_FIELDS = 0x3FFF    # counts and species


@kernel
def _species(site_word, s):
    return np.int64((site_word[np.uint64(s)] >> SPECIES_SHIFT) & SPECIES_MASK)


@kernel
def _vacancy_index(site_word, site_vac, s):
    """Index of the vacancy at site s (s must hold a vacancy)."""
    if site_vac.shape[0] == 0:
        return np.int64(site_word[np.uint64(s)] >> INDEX_SHIFT)
    return np.int64(site_vac[np.uint64(s)])


@kernel
def _set_vacancy_index(site_word, site_vac, s, k):
    """Record vacancy k at site s (k = -1: s holds no vacancy any more)."""
    if site_vac.shape[0] == 0:
        low = site_word[np.uint64(s)] & LOW_FIELDS
        site_word[np.uint64(s)] = low | (np.uint32(k) << INDEX_SHIFT) if k >= 0 else low
    else:
        site_vac[np.uint64(s)] = k


@kernel
def _count(site_word, s, sp):
    """Number of first neighbours of s holding species sp."""
    return np.int64((site_word[np.uint64(s)] >> (COUNT_BITS * sp)) & 15)


@kernel
def _read_species(site_word, out):
    for s in range(site_word.shape[0]):
        out[s] = (site_word[s] >> SPECIES_SHIFT) & SPECIES_MASK


def occupancy_from_words(site_word: np.ndarray) -> np.ndarray:
    """Species per site (int8: 0 vacancy, 1 Li, 2 Mg) from the engine's site words (a compiled
    loop: numpy would make a 4-byte-per-site temporary on the way, at every frame)."""
    out = np.empty(site_word.shape[0], np.int8)
    _read_species(site_word, out)
    return out


# Neighbours.  A [001] box needs no neighbour table (32 bytes per site): site
# s = layer*spl + iy*nx + ix, and the neighbour in slot d = 4*down + 2*sx + sy lies in layer
# layer -+ 1 at x = ix + sx - (layer odd), y = iy + sy - (layer odd), wrapped (see lattices.bcc).
# Other orientations pass their table ``nbr``; an empty table means [001] arithmetic.
# A site's "frame" (s, layer, layer above, layer below, y0, y1, x0, x1) holds what naming its
# neighbours needs (-1: no layer there); a neighbour's frame follows from it without a division.

@kernel
def _frame_at(layer, iy, ix, nx, ny, spl, n_layers, wrap_z):
    odd = layer & 1
    x0 = ix - odd
    if x0 < 0:
        x0 = nx - 1
    x1 = ix + 1 - odd
    if x1 == nx:
        x1 = 0
    y0 = iy - odd
    if y0 < 0:
        y0 = ny - 1
    y1 = iy + 1 - odd
    if y1 == ny:
        y1 = 0
    up = layer - 1
    if up < 0:
        up = n_layers - 1 if wrap_z else -1
    down = layer + 1
    if down == n_layers:
        down = 0 if wrap_z else -1
    return (layer * spl + iy * nx + ix, layer, up, down, y0, y1, x0, x1)


@kernel
def _frame(s, table, nx, ny, spl, n_layers, wrap_z):
    """Frame of site s (see above); with a neighbour table (table True) only s and its layer
    are used."""
    s = np.int64(s)
    layer = s // spl
    if table:
        return (s, layer, 0, 0, 0, 0, 0, 0)
    r = s - layer * spl
    iy = r // nx
    return _frame_at(layer, iy, r - iy * nx, nx, ny, spl, n_layers, wrap_z)


@kernel
def _nb(f, d, nx, spl):
    """[001]: first neighbour in slot d of the site with frame f, or -1 where the slab ends
    (with a neighbour table, callers read nbr[s, d] instead)."""
    layer = f[2] if d < 4 else f[3]
    if layer < 0:
        return -1
    return layer * spl + (f[5] if d & 1 else f[4]) * nx + (f[7] if d & 2 else f[6])


@kernel
def _nb_layer(f, d, n, table, spl):
    """Layer of n, the (existing) neighbour in slot d of the site with frame f."""
    if table:
        return n // spl
    return f[2] if d < 4 else f[3]


@kernel
def _nb_frame(f, d, n, table, nx, ny, spl, n_layers, wrap_z):
    """Frame of n, the (existing) neighbour in slot d of the site with frame f."""
    if table:
        return (n, n // spl, 0, 0, 0, 0, 0, 0)
    return _frame_at(f[2] if d < 4 else f[3], f[5] if d & 1 else f[4], f[7] if d & 2 else f[6],
                     nx, ny, spl, n_layers, wrap_z)


# The interior fast path.  Away from the box edges a [001] neighbour is the site index plus an
# offset that depends only on the slot and the layer's parity.  A hop whose whole reach lies clear
# of the edges and in table-rate layers is applied by _set_species_interior and _refresh_interior,
# which name neighbours by these offsets instead of building frames with wrap checks (a sixth of
# the cycles of a clustered 5e5-site event).  The reach, in first-neighbour steps from the
# vacancy that hops: the atom it swaps with (1), the vacancies next to either end (2), and the
# sites whose counts their rates read (3).
EVENT_REACH_STEPS = 3
LAYER_INTERFACE, LAYER_TABLE, LAYER_TABLE_INTERIOR = 0, 1, 2


def layer_kinds(table_layers: np.ndarray) -> np.ndarray:
    """uint8 per layer for the engine's ``layer_kind``: LAYER_TABLE where a vacancy's rates come
    from the bulk table (``table_layers`` nonzero), LAYER_TABLE_INTERIOR where, moreover, every
    layer within EVENT_REACH_STEPS does too (no wrap-around counted), else LAYER_INTERFACE."""
    kinds = (np.asarray(table_layers) != 0).astype(np.uint8)
    n = kinds.size
    for layer in range(EVENT_REACH_STEPS, n - EVENT_REACH_STEPS):
        if kinds[layer - EVENT_REACH_STEPS:layer + EVENT_REACH_STEPS + 1].all():
            kinds[layer] = LAYER_TABLE_INTERIOR
    return kinds


@kernel
def _interior_offset(odd, d, nx, spl):
    """Neighbour in slot d minus the site index, for a [001] site on a layer of parity odd whose
    neighbours do not wrap (see _nb)."""
    return (spl if d >= 4 else -spl) + ((d & 1) - odd) * nx + (((d >> 1) & 1) - odd)


@kernel
def _event_is_interior(f, nx, ny, layer_kind):
    """True when an event at the vacancy with frame f ([001]) reaches no box edge and only
    table-rate layers (EVENT_REACH_STEPS steps move x and y by at most 2 either way)."""
    odd = f[1] & 1
    ix = f[6] + odd   # x0 = ix - odd unless it wrapped, which the test below rejects
    iy = f[4] + odd
    return (layer_kind[f[1]] == LAYER_TABLE_INTERIOR and 2 <= ix <= nx - 3 and 2 <= iy <= ny - 3)


# ----------------------------------------------------------------------------- rates
@kernel_inlined
def _l1_vacant_pairs(s, site_word, l1nb2):
    n = 0
    for c in range(l1nb2.shape[1]):
        q = l1nb2[s, c]
        if q >= 0 and _species(site_word, q) == VAC:
            n += 1
    return n


RATE_CACHE_SIZE = 4096  # direct-mapped memo of exp(-Ea/kT): a run sees only a few hundred Ea values


@kernel_inlined
def _boltzmann(ea, nu, inv_kT, cache_key, cache_val):
    """nu*exp(-ea*inv_kT), memoised on the exact bits of ea (so results equal the direct call)."""
    bits = np.int64(np.float64(ea).view(np.int64))
    h = (bits ^ (bits >> 29) ^ (bits >> 41)) & (RATE_CACHE_SIZE - 1)
    if cache_key[h] == bits:
        return cache_val[h]
    r = nu * np.exp(-ea * inv_kT)
    cache_key[h] = bits
    cache_val[h] = r
    return r


# The engine's copy of model.bulk_rate_table(), laid out so that a hop's index is the vacancy's
# key plus fields read straight off the word of the site the atom comes from:
#   BULK_STRIDE_X * x + BULK_STRIDE_LI * (li_v - li_j + 8) + BULK_STRIDE_MG * mg_v + mg_j
# for atom x at j hopping into the vacancy at v, with v's counts as stored (x included).  The
# block x = VAC is all zeros, so a vacant neighbour reads rate 0 and the rate loop has no branch
# on the species (one that mispredicted about every other slot: 18 -> 11 mispredictions per
# event), and x's own bond and the Mg-nearby KRA are folded into the entries.  The strides are
# powers of two so that the index is shifts and adds (192 KB, most of it zeros never read).
BULK_STRIDE_MG = 16
BULK_STRIDE_LI = 16 * BULK_STRIDE_MG
BULK_STRIDE_X = 32 * BULK_STRIDE_LI


def bulk_rate_lookup(table: np.ndarray) -> np.ndarray:
    """The engine's flat bulk table (see above) from model.bulk_rate_table(), which is indexed
    [x-1, dLi+8, dMg+8, Mg nearby] with x's own bond to v taken out of v's counts."""
    out = np.zeros((3, 32, 16, 16))
    for x in (LI, MG):
        for li_diff in range(-8, 9):          # li_v - li_j, li_v counting x if x is Li
            for mg_v in range(9):             # counting x if x is Mg
                for mg_j in range(9):
                    d_li = li_diff - (x == LI)
                    mg_others = mg_v - (x == MG)  # Mg next to v other than x
                    if mg_others < 0 or d_li < -8:
                        continue              # counts that leave no room for x next to v
                    near = 1 if (mg_others > 0 or mg_j > 0) else 0
                    out[x, li_diff + 8, mg_v, mg_j] = table[x - 1, d_li + 8, mg_others - mg_j + 8, near]
    return out.reshape(-1)


@kernel
def _bulk_key(v, site_word):
    """The vacancy's part of a bulk table index (see BULK_STRIDE_X)."""
    return BULK_STRIDE_LI * (_count(site_word, v, LI) + 8) + BULK_STRIDE_MG * _count(site_word, v, MG)


@kernel
def _bulk_rate(v_key, j, site_word, bulk_rates):
    """Table rate of the hop from j into the bulk vacancy with key v_key (0 if j is vacant)."""
    w = site_word[np.uint64(j)]
    x = np.int64((w >> SPECIES_SHIFT) & SPECIES_MASK)
    i = (v_key + BULK_STRIDE_X * x - BULK_STRIDE_LI * np.int64((w >> (COUNT_BITS * LI)) & 15)
         + np.int64((w >> (COUNT_BITS * MG)) & 15))
    return bulk_rates[np.uint64(i)]


@kernel
def _bulk_vacancy_rates(fv, site_word, nbr, nx, spl, bulk_rates, rates, k_row):
    """All 8 hop rates of a vacancy (frame fv) deep in the bulk (table lookups only); returns
    their sum."""
    table = nbr.shape[0] != 0
    total = 0.0
    v = fv[0]
    v_key = _bulk_key(v, site_word)
    for d in range(8):
        j = np.int64(nbr[fv[0], d]) if table else _nb(fv, d, nx, spl)
        r = _bulk_rate(v_key, j, site_word, bulk_rates) if j >= 0 else 0.0
        rates[k_row, d] = r
        total += r
    rates[k_row, EXIT_SLOT] = 0.0
    return total


@kernel_inlined
def _bulk_vacancy_rates_interior(v, odd, site_word, nx, spl, bulk_rates, rates, k_row):
    """_bulk_vacancy_rates for a vacancy at v on a layer of parity odd, away from the box edges
    (neighbours by fixed offsets, see _interior_offset)."""
    total = 0.0
    v_key = _bulk_key(v, site_word)
    for d in range(8):
        r = _bulk_rate(v_key, v + _interior_offset(odd, d, nx, spl), site_word, bulk_rates)
        rates[k_row, d] = r
        total += r
    rates[k_row, EXIT_SLOT] = 0.0
    return total


@kernel
def _neighbour_sites(f, nbr, nx, spl):
    """The 8 first neighbours of the site with frame f (-1 where the slab ends)."""
    if nbr.shape[0] != 0:
        s = f[0]
        return (np.int64(nbr[s, 0]), np.int64(nbr[s, 1]), np.int64(nbr[s, 2]), np.int64(nbr[s, 3]),
                np.int64(nbr[s, 4]), np.int64(nbr[s, 5]), np.int64(nbr[s, 6]), np.int64(nbr[s, 7]))
    return (_nb(f, 0, nx, spl), _nb(f, 1, nx, spl), _nb(f, 2, nx, spl), _nb(f, 3, nx, spl),
            _nb(f, 4, nx, spl), _nb(f, 5, nx, spl), _nb(f, 6, nx, spl), _nb(f, 7, nx, spl))


@kernel_inlined
def _hop_rate_interface(fv, nv, fj, x, site_word, nbr, nx, spl, l1nb2, pair, site, l1_pair, kra, nu,
                        inv_kT, cache_key, cache_val):
    """Rate of atom x at j hopping into the vacancy at v (frames fv, fj) where a bond or site
    term is not bulk; nv holds v's neighbours (_neighbour_sites), which vacancy_rates names once
    for all 8 slots instead of once per slot.

    dE sums, bond by bond with its class, what x gains around v (except the j-v bond, which stays
    an x-vacancy pair) and loses around j, plus the site terms and the L1 vacancy-pair term.
    """
    table = nbr.shape[0] != 0
    v, lv = fv[0], fv[1]
    j, lj = fj[0], fj[1]
    dE = site[lv, x] + site[lj, VAC] - site[lv, VAC] - site[lj, x]
    near_mg = False
    for e in range(8):
        n = nv[e]
        if n >= 0 and n != j:
            sp = _species(site_word, n)
            c = 1 if (lv == 0 or n < spl) else 0
            dE += pair[c, x, sp] - pair[c, VAC, sp]
            if sp == MG:
                near_mg = True
        n = np.int64(nbr[fj[0], e]) if table else _nb(fj, e, nx, spl)
        if n >= 0 and n != v:
            sp = _species(site_word, n)
            c = 1 if (lj == 0 or n < spl) else 0
            dE += pair[c, VAC, sp] - pair[c, x, sp]
            if sp == MG:
                near_mg = True
    if l1_pair != 0.0:
        if lv == 0:
            dE -= l1_pair * _l1_vacant_pairs(v, site_word, l1nb2)
        if lj == 0:
            dE += l1_pair * _l1_vacant_pairs(j, site_word, l1nb2)
    if x == MG:
        k = kra[2]
    elif near_mg:
        k = kra[1]
    else:
        k = kra[0]
    ea = k + 0.5 * dE
    if ea < dE:
        ea = dE
    if ea < 0.0:
        ea = 0.0
    return _boltzmann(ea, nu, inv_kT, cache_key, cache_val)


@kernel
def vacancy_rates(fv, site_word, nbr, nx, ny, spl, n_layers, wrap_z, l1nb2, pair, site, l1_pair, kra, nu,
                  inv_kT, exit_rate, bulk_rates, layer_kind, cache_key, cache_val, rates, k_row):
    """Fill rates[k_row, 0:9] with the rates of the vacancy with frame fv; return their sum.

    In the bulk (no interface bond, no site term at either end) a hop's rate depends only on the
    moving species and on its neighbour-count differences, and is read from the model's table.
    """
    table = nbr.shape[0] != 0
    lv = fv[1]
    if layer_kind[lv] != LAYER_INTERFACE:
        return _bulk_vacancy_rates(fv, site_word, nbr, nx, spl, bulk_rates, rates, k_row)
    total = 0.0
    nv = _neighbour_sites(fv, nbr, nx, spl)
    for d in range(8):
        j = nv[d]
        r = 0.0
        if j >= 0:
            x = _species(site_word, j)
            if x != VAC:
                fj = _nb_frame(fv, d, j, table, nx, ny, spl, n_layers, wrap_z)
                r = _hop_rate_interface(fv, nv, fj, x, site_word, nbr, nx, spl, l1nb2, pair, site, l1_pair,
                                        kra, nu, inv_kT, cache_key, cache_val)
        rates[k_row, d] = r
        total += r
    r = exit_rate if lv == n_layers - 1 else 0.0
    rates[k_row, EXIT_SLOT] = r
    return total + r


@kernel
def _set_own_species(s, new, site_word):
    """Write species new into s's word; return what each neighbour's word must add so that its
    counts follow (moving a unit between two 4-bit fields: the old species' count is at least 1,
    so the add never borrows or carries across them)."""
    old = _species(site_word, s)
    word = site_word[np.uint64(s)]
    site_word[np.uint64(s)] = (word & ~np.uint32(SPECIES_MASK << SPECIES_SHIFT)) | (new << SPECIES_SHIFT)
    return np.uint32((1 << (COUNT_BITS * new)) - (1 << (COUNT_BITS * old)))


@kernel
def _set_species(f, new, site_word, nbr, nx, spl):
    """Change the species at the site with frame f, keeping its neighbours' counts of each
    species in step."""
    table = nbr.shape[0] != 0
    delta = _set_own_species(f[0], new, site_word)
    for e in range(8):
        n = np.int64(nbr[f[0], e]) if table else _nb(f, e, nx, spl)
        if n >= 0:
            site_word[np.uint64(n)] += delta


@kernel_inlined
def _set_species_interior(s, odd, new, site_word, nx, spl):
    """_set_species for an interior site (see _interior_offset) on a layer of parity odd."""
    delta = _set_own_species(s, new, site_word)
    for e in range(8):
        site_word[np.uint64(s + _interior_offset(odd, e, nx, spl))] += delta


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
def _l1_change(s, old, new, l1_li, l1_li_pos, l1_vac, l1_vac_pos, ints):
    """Keep the L1 contact lists and counts in step with a species change at L1 site s."""
    if old == LI:
        _set_remove(l1_li, l1_li_pos, ints, I_NL1_LI, s)
    elif old == VAC:
        _set_remove(l1_vac, l1_vac_pos, ints, I_NL1_VAC, s)
    else:
        ints[I_NL1_MG] -= 1
    if new == LI:
        _set_add(l1_li, l1_li_pos, ints, I_NL1_LI, s)
    elif new == VAC:
        _set_add(l1_vac, l1_vac_pos, ints, I_NL1_VAC, s)
    else:
        ints[I_NL1_MG] += 1


@kernel_inlined
def _vacancy_layer_move(from_layer, to_layer, t, layer_vac, layer_vac_time, layer_last_t):
    """Move one vacancy between layers (-1 = outside the box), integrating count x time per layer."""
    if from_layer == to_layer:
        return
    if from_layer >= 0:
        layer_vac_time[from_layer] += layer_vac[from_layer] * (t - layer_last_t[from_layer])
        layer_last_t[from_layer] = t
        layer_vac[from_layer] -= 1
    if to_layer >= 0:
        layer_vac_time[to_layer] += layer_vac[to_layer] * (t - layer_last_t[to_layer])
        layer_last_t[to_layer] = t
        layer_vac[to_layer] += 1


@kernel
def _add_vacancy(s, site_word, site_vac, vac_site, stamp, ints):
    k = ints[I_NVAC]
    vac_site[k] = s
    _set_vacancy_index(site_word, site_vac, s, k)
    stamp[k] = 0  # not refreshed yet in any event
    ints[I_NVAC] = k + 1


@kernel_inlined
def _swap_vacancy(f_src, f_dst, interior, site_word, nbr, nx, spl, site_vac, vac_site, t,
                  layer_vac, layer_vac_time, layer_last_t):
    """The vacancy at src and the atom at dst (frames f_src, f_dst) trade places (a hop, or
    creep's long-range move): species, neighbour counts, vacancy index and layer integrals
    follow.  Returns the atom's species; the caller updates the L1 lists, which only L1 sites
    need."""
    src, dst = f_src[0], f_dst[0]
    x = _species(site_word, dst)
    k = _vacancy_index(site_word, site_vac, src)
    if interior:
        _set_species_interior(src, f_src[1] & 1, x, site_word, nx, spl)
        _set_species_interior(dst, f_dst[1] & 1, VAC, site_word, nx, spl)
    else:
        _set_species(f_src, x, site_word, nbr, nx, spl)
        _set_species(f_dst, VAC, site_word, nbr, nx, spl)
    vac_site[k] = dst
    _set_vacancy_index(site_word, site_vac, dst, k)
    _set_vacancy_index(site_word, site_vac, src, -1)
    _vacancy_layer_move(f_src[1], f_dst[1], t, layer_vac, layer_vac_time, layer_last_t)
    return x


@kernel
def _tracer_move(src, dst, slot, tracer_of_site, tracer_site, tracer_jumps):
    """The atom at src moved to dst; if it is a tracer, follow it and count the jump in ``slot``
    (slot < 0: a non-local move such as creep, which relocates it without a lattice jump)."""
    t = tracer_of_site[src]
    if t >= 0:
        tracer_of_site[src] = -1
        tracer_of_site[dst] = t
        tracer_site[t] = dst
        if slot >= 0:
            tracer_jumps[t, slot] += 1


@kernel
def _tracer_lost(s, tracer_of_site, tracer_site):
    """The atom at s left the box (stripped, or replaced by a vacancy entering from the bulk)."""
    t = tracer_of_site[s]
    if t >= 0:
        tracer_of_site[s] = -1
        tracer_site[t] = -1


@kernel
def _remove_vacancy(s, site_word, site_vac, vac_site, vac_rates, tree, cap, stamp, ints):
    k = _vacancy_index(site_word, site_vac, s)
    last = ints[I_NVAC] - 1
    if k != last:
        t = vac_site[last]
        vac_site[k] = t
        _set_vacancy_index(site_word, site_vac, t, k)
        for d in range(N_SLOTS):
            vac_rates[k, d] = vac_rates[last, d]
        stamp[k] = stamp[last]
        _tree_set(tree, cap, k, tree[cap + last])
    _tree_set(tree, cap, last, 0.0)
    _set_vacancy_index(site_word, site_vac, s, -1)
    ints[I_NVAC] = last


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


@kernel_inlined
def _refresh_interior(v, j, odd_v, site_word, nx, spl, opposite, site_vac, vac_rates, tree, cap,
                      stamp, ints, bulk_rates):
    """_refresh_around for a hop from j into the vacancy at v (now at j) whose whole reach is
    interior (see _event_is_interior): the same rates, recomputed in the same way, with
    neighbours named by offsets."""
    ints[I_STAMP] += 1
    tag = ints[I_STAMP]
    for c in range(2):
        s = v if c == 0 else j
        odd = odd_v if c == 0 else 1 - odd_v
        unseen = _count(site_word, s, VAC)
        for a in range(-1, 8):
            if a >= 0 and unseen == 0:
                break
            n = s if a < 0 else s + _interior_offset(odd, a, nx, spl)
            if _species(site_word, n) == VAC:
                if a >= 0:
                    unseen -= 1
                k = _vacancy_index(site_word, site_vac, n)
                if stamp[k] != tag:
                    stamp[k] = tag
                    tot = _bulk_vacancy_rates_interior(n, odd if a < 0 else 1 - odd, site_word, nx, spl,
                                                       bulk_rates, vac_rates, k)
                    _set_leaf(tree, cap, k, tot)
    for c in range(2):
        s = v if c == 0 else j
        odd = odd_v if c == 0 else 1 - odd_v
        other = j if c == 0 else v
        s_vacant = c   # after the hop v holds the atom, j the vacancy
        for a in range(8):
            n = s + _interior_offset(odd, a, nx, spl)
            if n == other:
                continue
            x = _species(site_word, n)
            if x == VAC:
                continue
            unseen = _count(site_word, n, VAC) - s_vacant
            if unseen <= 0:
                continue
            for b in range(8):
                if unseen == 0:
                    break
                m = n + _interior_offset(1 - odd, b, nx, spl)
                if m == s or _species(site_word, m) != VAC:
                    continue
                unseen -= 1
                k = _vacancy_index(site_word, site_vac, m)
                if stamp[k] == tag:
                    continue
                r = _bulk_rate(_bulk_key(m, site_word), n, site_word, bulk_rates)
                _set_slot(vac_rates, tree, cap, k, opposite[b], r)


@kernel
def _hop_rate_into(fn, b, m, x, site_word, nbr, nx, ny, spl, n_layers, wrap_z, l1nb2, pair, site, l1_pair,
                   kra, nu, inv_kT, bulk_rates, layer_kind, cache_key, cache_val):
    """Rate of atom x at the site with frame fn hopping into the vacancy m, its neighbour in slot b
    (the slot of m's row that points back at it is opposite[b])."""
    table = nbr.shape[0] != 0
    if layer_kind[_nb_layer(fn, b, m, table, spl)] != LAYER_INTERFACE:
        return _bulk_rate(_bulk_key(m, site_word), fn[0], site_word, bulk_rates)
    fm = _nb_frame(fn, b, m, table, nx, ny, spl, n_layers, wrap_z)
    return _hop_rate_interface(fm, _neighbour_sites(fm, nbr, nx, spl), fn, x, site_word, nbr, nx, spl,
                               l1nb2, pair, site, l1_pair, kra, nu, inv_kT, cache_key, cache_val)


@kernel_inlined
def _refresh_around(f0, f1, n_sites_changed, site_word, nbr, nx, ny, spl, n_layers, wrap_z, opposite,
                    l1nb2, site_vac, vac_rates, tree, cap, stamp, ints, pair, site, l1_pair, kra, nu,
                    inv_kT, exit_rate, bulk_rates, layer_kind, cache_key, cache_val):
    """Recompute the rates an occupancy change at the sites with frames f0 (and f1 if
    n_sites_changed == 2) can have altered, and nothing else.

    A vacancy on or next to a changed site s gets all its slots recomputed (its own bond sums
    changed).  A vacancy m two steps away, through an atom n, only has its hop towards n changed
    (s is a neighbour of n): just that slot is recomputed.  BCC's neighbour graph is bipartite,
    so the two groups never overlap.  Interface vacancy-pair terms reach L1 second neighbours:
    a vacancy there is recomputed in full, an atom there has its hops into its vacancies redone.
    """
    table = nbr.shape[0] != 0
    ints[I_STAMP] += 1
    tag = ints[I_STAMP]
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[0]
        unseen = _count(site_word, s, VAC)  # vacancies next to s not reached yet
        for a in range(-1, 8):
            if a >= 0 and unseen == 0:
                break
            n = s if a < 0 else (np.int64(nbr[fs[0], a]) if table else _nb(fs, a, nx, spl))
            if n >= 0 and _species(site_word, n) == VAC:
                if a >= 0:
                    unseen -= 1
                k = _vacancy_index(site_word, site_vac, n)
                if stamp[k] != tag:
                    stamp[k] = tag
                    fn = fs if a < 0 else _nb_frame(fs, a, n, table, nx, ny, spl, n_layers, wrap_z)
                    if layer_kind[fn[1]] != LAYER_INTERFACE:
                        tot = _bulk_vacancy_rates(fn, site_word, nbr, nx, spl, bulk_rates, vac_rates, k)
                    else:
                        tot = vacancy_rates(fn, site_word, nbr, nx, ny, spl, n_layers, wrap_z, l1nb2,
                                            pair, site, l1_pair, kra, nu, inv_kT, exit_rate, bulk_rates,
                                            layer_kind, cache_key, cache_val, vac_rates, k)
                    _set_leaf(tree, cap, k, tot)
        if l1_pair != 0.0 and s < spl:
            # The vacancy-pair term of a hop counts the vacant L1 second neighbours of its two
            # ends, so a change at s alters, for each L1 second neighbour q of s, the hops into q
            # (q vacant: all its slots) or the hops out of q (q an atom: one slot of each vacancy
            # next to it).
            for a in range(l1nb2.shape[1]):
                q = l1nb2[s, a]
                if q < 0:
                    continue
                fq = _frame(q, table, nx, ny, spl, n_layers, wrap_z)
                x = _species(site_word, q)
                if x == VAC:
                    k = _vacancy_index(site_word, site_vac, q)
                    if stamp[k] != tag:
                        stamp[k] = tag
                        tot = vacancy_rates(fq, site_word, nbr, nx, ny, spl, n_layers, wrap_z, l1nb2, pair,
                                            site, l1_pair, kra, nu, inv_kT, exit_rate, bulk_rates,
                                            layer_kind, cache_key, cache_val, vac_rates, k)
                        _set_leaf(tree, cap, k, tot)
                    continue
                unseen = _count(site_word, q, VAC)
                for b in range(8):
                    if unseen == 0:
                        break
                    m = np.int64(nbr[fq[0], b]) if table else _nb(fq, b, nx, spl)
                    if m < 0 or _species(site_word, m) != VAC:
                        continue
                    unseen -= 1
                    k = _vacancy_index(site_word, site_vac, m)
                    if stamp[k] != tag:
                        _set_slot(vac_rates, tree, cap, k, opposite[b],
                                  _hop_rate_into(fq, b, m, x, site_word, nbr, nx, ny, spl, n_layers, wrap_z,
                                                 l1nb2, pair, site, l1_pair, kra, nu, inv_kT, bulk_rates,
                                                 layer_kind, cache_key, cache_val))
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[0]
        s_vacant = 1 if _species(site_word, s) == VAC else 0
        other = f1[0] if c == 0 else f0[0]  # the other changed site (or s itself)
        for a in range(8):
            n = np.int64(nbr[fs[0], a]) if table else _nb(fs, a, nx, spl)
            if n < 0 or n == other:
                continue  # the vacancies around the other changed site are all refreshed
            x = _species(site_word, n)
            if x == VAC:
                continue  # a hop into n's place needs an atom at n: those slots stay 0
            unseen = _count(site_word, n, VAC) - s_vacant  # vacancies two steps from s through n
            if unseen <= 0:
                continue
            fn = _nb_frame(fs, a, n, table, nx, ny, spl, n_layers, wrap_z)
            for b in range(8):
                if unseen == 0:
                    break
                m = np.int64(nbr[fn[0], b]) if table else _nb(fn, b, nx, spl)
                if m < 0 or m == s or _species(site_word, m) != VAC:
                    continue
                unseen -= 1
                k = _vacancy_index(site_word, site_vac, m)
                if stamp[k] == tag:
                    continue
                d = opposite[b]
                # _hop_rate_into, written out: as a call here it costs the general path 7-10 %,
                # inlined the slab 6 % and 2 s of compilation
                if layer_kind[_nb_layer(fn, b, m, table, spl)] != LAYER_INTERFACE:
                    r = _bulk_rate(_bulk_key(m, site_word), n, site_word, bulk_rates)
                else:
                    fm = _nb_frame(fn, b, m, table, nx, ny, spl, n_layers, wrap_z)
                    r = _hop_rate_interface(fm, _neighbour_sites(fm, nbr, nx, spl), fn, x, site_word, nbr,
                                            nx, spl, l1nb2, pair, site, l1_pair, kra, nu, inv_kT, cache_key,
                                            cache_val)
                _set_slot(vac_rates, tree, cap, k, d, r)


@kernel
def init_state(occ, nbr, nx, ny, spl, n_layers, wrap_z, site_word, opposite, l1nb2, site_vac, vac_site,
               vac_rates, stamp, l1_li, l1_li_pos, l1_vac, l1_vac_pos, ints, pair, site,
               l1_pair, kra, nu, inv_kT, has_interface, exit_rate, bulk_rates, layer_kind, cache_key,
               cache_val):
    """Build per-site state, vacancy list, L1 contact lists and all rates from an occupancy array
    (the sum tree over the rates is then built by rebuild_tree)."""
    table = nbr.shape[0] != 0
    site_vac[:] = -1
    for s in range(occ.shape[0]):
        site_word[s] = np.uint32(occ[s]) << SPECIES_SHIFT
    for s in range(occ.shape[0]):
        f = _frame(s, table, nx, ny, spl, n_layers, wrap_z)
        one = np.uint32(1 << (COUNT_BITS * occ[s]))
        for e in range(8):
            n = np.int64(nbr[f[0], e]) if table else _nb(f, e, nx, spl)
            if n >= 0:
                site_word[n] += one
    ints[:] = 0
    l1_li_pos[:] = -1
    l1_vac_pos[:] = -1
    for s in range(occ.shape[0]):
        if occ[s] == VAC:
            _add_vacancy(s, site_word, site_vac, vac_site, stamp, ints)
    if has_interface:
        for s in range(spl):
            if occ[s] == LI:
                _set_add(l1_li, l1_li_pos, ints, I_NL1_LI, s)
            elif occ[s] == VAC:
                _set_add(l1_vac, l1_vac_pos, ints, I_NL1_VAC, s)
            else:
                ints[I_NL1_MG] += 1
    for k in range(ints[I_NVAC]):
        fv = _frame(vac_site[k], table, nx, ny, spl, n_layers, wrap_z)
        vacancy_rates(fv, site_word, nbr, nx, ny, spl, n_layers, wrap_z, l1nb2, pair, site, l1_pair,
                      kra, nu, inv_kT, exit_rate, bulk_rates, layer_kind, cache_key, cache_val,
                      vac_rates, k)


@kernel
def run_chunk(nbr, nx, ny, spl, n_layers, wrap_z, site_word, opposite, l1nb2, site_vac, vac_site,
              vac_rates, tree, cap, stamp, l1_li, l1_li_pos, l1_vac, l1_vac_pos, ints, counts, clock,
              rng, layer_vac, layer_vac_time, layer_last_t, tracer_of_site, tracer_site, tracer_jumps,
              pair, site, l1_pair, kra, nu, inv_kT, has_interface, exit_rate,
              bulk_rates, layer_kind, cache_key, cache_val, strip_rate, creep_k_full, creep_n,
              enter_rate, mg_fraction, max_events, t_stop, strip_stop, contact_stop):
    """Run events until a limit is reached; returns (stop code, events done).

    clock[0] is kMC time in s.  layer_vac counts vacancies per layer; layer_vac_time integrates
    that count over kMC time (up to layer_last_t), for time-averaged depth profiles.
    Limits: max_events for this call, t_stop (s), strip_stop (total stripped atoms),
    contact_stop (stop when L1 metal atoms <= this; -1 disables).
    Tracers (tagged atoms, for diffusion): tracer_of_site maps a site to its tracer index or -1
    (an empty array switches tracking off), tracer_site is each tracer's site (-1 once it left
    the box), tracer_jumps[t, d] counts its jumps along neighbour slot d.
    """
    tracking = tracer_of_site.shape[0] > 0
    table = nbr.shape[0] != 0   # else [001]: neighbours by index arithmetic
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
        contact = ints[I_NL1_LI] + ints[I_NL1_MG]
        if contact <= contact_stop:
            return ST_CONTACT, done
        if ints[I_NVAC] >= cap:
            return ST_CAPACITY, done
        if strip_rate > 0.0 and ints[I_NL1_LI] == 0:
            return ST_NO_LI, done
        if creep_rate < 0.0:
            creep_rate = 0.0
            if creep_k_full > 0.0 and ints[I_NL1_VAC] > 0:
                cf = max(contact, 1) / spl
                creep_rate = creep_k_full * cf ** (-creep_n) * ints[I_NL1_VAC]
        r_hop = tree[1]
        total = r_hop + strip_rate + creep_rate + enter_rate
        if total <= 0.0:
            return ST_NO_EVENTS, done
        u = next_uniform(rng) * total
        clock[0] += -np.log(1.0 - next_uniform(rng)) / total
        done += 1
        n_changed = 0
        interior = False
        if u < r_hop:
            k, u = _tree_find(tree, cap, u)
            d = 0
            while d < N_SLOTS - 1 and (u >= vac_rates[k, d] or vac_rates[k, d] <= 0.0):
                u -= vac_rates[k, d]
                d += 1
            v = vac_site[k]
            f0 = _frame(v, table, nx, ny, spl, n_layers, wrap_z)
            f1 = f0
            n_changed = 1
            if d == EXIT_SLOT:
                # The vacancy leaves into the bulk; an atom of bulk composition takes its place.
                new = MG if next_uniform(rng) < mg_fraction else LI
                _remove_vacancy(v, site_word, site_vac, vac_site, vac_rates, tree, cap, stamp, ints)
                _vacancy_layer_move(f0[1], -1, clock[0], layer_vac, layer_vac_time, layer_last_t)
                _set_species(f0, new, site_word, nbr, nx, spl)
                counts[EV_EXIT] += 1
            else:
                interior = not table and _event_is_interior(f0, nx, ny, layer_kind)
                j = np.int64(nbr[f0[0], d]) if table else _nb(f0, d, nx, spl)
                if interior:   # only j's site and layer are used
                    f1 = (j, f0[2] if d < 4 else f0[3], 0, 0, 0, 0, 0, 0)
                else:
                    f1 = _nb_frame(f0, d, j, table, nx, ny, spl, n_layers, wrap_z)
                x = _swap_vacancy(f0, f1, interior, site_word, nbr, nx, spl, site_vac, vac_site,
                                  clock[0], layer_vac, layer_vac_time, layer_last_t)
                if tracking:  # the atom jumped from j to v, along the reverse of slot d
                    _tracer_move(j, v, opposite[d], tracer_of_site, tracer_site, tracer_jumps)
                if has_interface:
                    if v < spl:
                        _l1_change(v, VAC, x, l1_li, l1_li_pos, l1_vac, l1_vac_pos, ints)
                        creep_rate = -1.0
                    if j < spl:
                        _l1_change(j, x, VAC, l1_li, l1_li_pos, l1_vac, l1_vac_pos, ints)
                        creep_rate = -1.0
                counts[EV_HOP_MG if x == MG else EV_HOP_LI] += 1
                n_changed = 2
        elif u < r_hop + strip_rate:
            s = l1_li[int(next_uniform(rng) * ints[I_NL1_LI])]
            if tracking:
                _tracer_lost(s, tracer_of_site, tracer_site)
            f0 = _frame(s, table, nx, ny, spl, n_layers, wrap_z)
            f1 = f0
            _set_species(f0, VAC, site_word, nbr, nx, spl)
            _l1_change(s, LI, VAC, l1_li, l1_li_pos, l1_vac, l1_vac_pos, ints)
            _add_vacancy(s, site_word, site_vac, vac_site, stamp, ints)
            _vacancy_layer_move(-1, 0, clock[0], layer_vac, layer_vac_time, layer_last_t)
            ints[I_NSTRIP] += 1
            counts[EV_STRIP] += 1
            creep_rate = -1.0
            n_changed = 1
        elif u < r_hop + strip_rate + creep_rate:
            # Creep carries metal up into an interface void site and the vacancy down to the
            # bottom layer (the far bulk); a bottom site is drawn at random until it holds metal.
            s = l1_vac[int(next_uniform(rng) * ints[I_NL1_VAC])]
            b = -1
            for _ in range(64):
                t = bottom0 + int(next_uniform(rng) * spl)
                if _species(site_word, t) != VAC:
                    b = t
                    break
            f0 = _frame(s, table, nx, ny, spl, n_layers, wrap_z)
            f1 = f0
            if b < 0:
                counts[EV_NULL] += 1
            else:
                f1 = _frame(b, table, nx, ny, spl, n_layers, wrap_z)
                x = _swap_vacancy(f0, f1, False, site_word, nbr, nx, spl, site_vac, vac_site,
                                  clock[0], layer_vac, layer_vac_time, layer_last_t)
                if tracking:
                    _tracer_move(b, s, -1, tracer_of_site, tracer_site, tracer_jumps)
                _l1_change(s, VAC, x, l1_li, l1_li_pos, l1_vac, l1_vac_pos, ints)
                counts[EV_CREEP] += 1
                creep_rate = -1.0
                n_changed = 2
        else:
            # Reservoir: a vacancy enters a random bottom site from the bulk (null if already vacant).
            b = bottom0 + int(next_uniform(rng) * spl)
            f0 = _frame(b, table, nx, ny, spl, n_layers, wrap_z)
            f1 = f0
            if _species(site_word, b) == VAC:
                counts[EV_NULL] += 1
            else:
                if tracking:
                    _tracer_lost(b, tracer_of_site, tracer_site)
                _set_species(f0, VAC, site_word, nbr, nx, spl)
                _add_vacancy(b, site_word, site_vac, vac_site, stamp, ints)
                _vacancy_layer_move(-1, n_layers - 1, clock[0], layer_vac, layer_vac_time, layer_last_t)
                counts[EV_ENTER] += 1
                n_changed = 1
        if interior:
            _refresh_interior(v, j, f0[1] & 1, site_word, nx, spl, opposite, site_vac, vac_rates, tree,
                              cap, stamp, ints, bulk_rates)
        elif n_changed:
            _refresh_around(f0, f1, n_changed, site_word, nbr, nx, ny, spl, n_layers, wrap_z, opposite,
                            l1nb2, site_vac, vac_rates, tree, cap, stamp, ints, pair, site, l1_pair,
                            kra, nu, inv_kT, exit_rate, bulk_rates, layer_kind, cache_key, cache_val)
