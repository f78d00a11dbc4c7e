"""Refreshing rates after an event: the rates an event can have changed, and nothing else (the reach
is in ARCHITECTURE.md, "Rates and the refresh-reach invariant").  The general path walks frames;
the interior and seam fast paths name neighbours by fixed offsets; the work queue runs the general
rate code, inlined once, for every row and slot a refresh queued.  Like the rest of the engine it
writes no rule: rates come from kmc.rate_rules."""
from __future__ import annotations

import numpy as np

from kmc.engine.selection import set_leaf, set_slot
from kmc.engine.state import I_STAMP, WORK_FRAME, WORK_SLOT, WORK_VACANCY
from kmc.jit import kernel, kernel_inlined
from kmc.rate_rules import (LAYER_INTERFACE, LAYER_TABLE_INTERIOR, LAYER_TABLE_SEAM, bulk_embedding_rate_into_interior,
                            bulk_embedding_vacancy_rates_interior, bulk_hop_rate_into, bulk_hop_rate_into_interior,
                            bulk_vacancy_rates, bulk_vacancy_rates_interior, bond_hop_rate_into, bond_vacancy_rates,
                            embedding_hop_rate_into, embedding_vacancy_rates)
from kmc.sites import neighbour_count, species_at, vacancy_index
from kmc.species import VACANCY
from lattices.neighbours import (F_LAYER, F_SITE, F_X0, F_Y0, HOP_REACH_NEAR, HOP_REACH_SITES, REACH_NEAR_MASK, REACH_ODD,
                                 REACH_OFFSET, frame, interior_offset, neighbour, neighbour_frame, neighbour_layer,
                                 neighbour_sites, seam_reach_site, seam_step)


# ----------------------------------------------------------------------------- the fast path
# Away from the box edges a [001] neighbour is the site index plus a fixed offset
# (lattices.neighbours.interior_offset).  A hop whose whole reach lies clear of the edges and in
# table-rate layers is applied by set_species_interior and _refresh_interior, which name
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


@kernel
def event_is_interior(f, nx, ny, layer_kind, margin):
    """True when an event at the vacancy with frame f ([001]) reaches no box edge and only
    bulk-rule layers.  ``margin`` = (k + 1) // 2 for a reach of k steps, k odd (2 for
    EVENT_REACH_STEPS, 3 for EMBEDDING_REACH_STEPS): from an even layer k steps move x and y by
    between -(k // 2) = -(margin - 1) and (k + 1) // 2 = margin, from an odd layer by between
    -margin and margin - 1, so the bounds on the site's own x and y depend on its layer's parity."""
    odd = f[F_LAYER] & 1
    ix = f[F_X0] + odd   # x0 = ix - odd unless it wrapped, which the test below rejects
    iy = f[F_Y0] + odd
    low = margin - 1 + odd
    return (layer_kind[f[F_LAYER]] == LAYER_TABLE_INTERIOR and low <= ix <= nx - 1 - margin + odd
            and low <= iy <= ny - 1 - margin + odd)


# ----------------------------------------------------------------------------- refreshing rates
@kernel_inlined
def _refresh_interior(v, j, odd_v, g, st, m, deep):
    """_refresh_around for a hop from j into the vacancy at v (now at j) whose whole reach is
    interior (see event_is_interior): the same rates, recomputed in the same way, with
    neighbours named by offsets.  ``deep`` (m.deep_hop_factor != 1) is passed as a constant: the
    deep box's tests in every row cost a bulk event 2 % where the box is off."""
    site_word, site_vacancy, vacancy_site, vacancy_rates, tree, stamp, ints, work = st
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
                k = vacancy_index(site_word, site_vacancy, n)
                if stamp[k] != tag:
                    stamp[k] = tag
                    tot = bulk_vacancy_rates_interior(n, odd if a < 0 else 1 - odd, site_word, nx, spl,
                                                      m, vacancy_rates, k, deep)
                    set_leaf(tree, cap, k, tot)
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
                k = vacancy_index(site_word, site_vacancy, mv)
                if stamp[k] == tag:
                    continue
                set_slot(vacancy_rates, tree, cap, k, opposite[b], bulk_hop_rate_into_interior(mv, n, site_word, m, deep))


@kernel_inlined
def _reach_site(v, j, odd_v, reach, paths, i, nx, spl, seam):
    """The site of row i of Geometry.hop_reach (``reach``) for a hop into v from j: v plus the row's
    offset, or with ``seam`` (Geometry.seam) by the row's path (``paths``: the rows of
    Seam.reach_path for the hop, taken once per event; indexed per row instead, the seam path
    ran 2 M more instructions in 2e4 events of the 1e5-site bulk box), which wraps."""
    if seam is None:
        return v + reach[i, REACH_OFFSET]
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
    site_word, site_vacancy, vacancy_site, vacancy_rates, tree, stamp, ints, work = st
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
            k = vacancy_index(site_word, site_vacancy, s)
            stamp[k] = tag
            set_leaf(tree, cap, k, bulk_embedding_vacancy_rates_interior(s, reach[i, REACH_ODD], site_word, nx, spl, m,
                                                                        vacancy_rates, k, seam))
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
            u = seam_step(s, reach[i, REACH_ODD], b, nx, spl, seam)
            if species_at(site_word, u) != VACANCY:
                continue
            unseen -= 1
            k = vacancy_index(site_word, site_vacancy, u)
            if stamp[k] != tag:
                stamp[k] = tag
                set_leaf(tree, cap, k, bulk_embedding_vacancy_rates_interior(u, 1 - reach[i, REACH_ODD], site_word, nx, spl,
                                                                            m, vacancy_rates, k, seam))
    for i in range(HOP_REACH_NEAR, HOP_REACH_SITES):
        if reach[i, REACH_NEAR_MASK] & changed == 0:
            continue
        s = _reach_site(v, j, odd_v, reach, paths, i, nx, spl, seam)
        unseen = neighbour_count(site_word, s, VACANCY)
        if unseen == 0 or species_at(site_word, s) == VACANCY:
            continue
        odd = reach[i, REACH_ODD]
        for b in range(8):
            if unseen == 0:
                break
            u = seam_step(s, odd, b, nx, spl, seam)
            if species_at(site_word, u) != VACANCY:
                continue
            unseen -= 1
            k = vacancy_index(site_word, site_vacancy, u)
            if stamp[k] != tag:
                set_slot(vacancy_rates, tree, cap, k, opposite[b],
                          bulk_embedding_rate_into_interior(s, odd, b, site_word, nx, spl, m, seam))


@kernel
def _refresh_seam_embedding(v, odd_v, d, g, m, st):
    """_refresh_interior_embedding for a hop whose reach crosses a box edge (the seam path).  A call,
    not inlined: a second inlined copy in run_chunk would cost its compilation more than the call
    costs the event."""
    _refresh_interior_embedding(v, odd_v, d, g, m, st, g.seam)


# ----------------------------------------------------------------------------- the work queue
# The refreshes decide which rates an event changed; the rows and slots that need the general
# rate code (kmc.rate_rules.bond_vacancy_rates, bond_hop_rate_into and their embedding versions) are
# queued in State.work and computed by one call at the end of the event (_run_work), in which
# that code is inlined once.  Called per
# vacancy instead, it was passed every array of Geometry and RateModel as arguments (numba
# flattens them: about 150 values a call), which cost the bond-form slab 17 % of its time.
# Row 0 of State.work holds the number of entries; entry i (rows 1..) is a site's frame
# (columns WORK_FRAME..), a vacancy index k (WORK_VACANCY) and a slot b (WORK_SLOT): b = -1 recomputes every slot of the
# vacancy k, whose frame it is; b >= 0 redoes the one slot of vacancy k that the atom with that
# frame fills from its neighbour slot b.  Entries run in the order queued, and a refresh queues
# a slot only for a vacancy it has not queued in full, so every rate and tree node ends with the
# bits the updates done on the spot gave (a node is the sum of its children whatever the order
# in which leaves change).  A full queue runs at once.


@kernel_inlined
def _queue_work(f, k, b, g, m, st, bond, embedding):
    """Queue entry (frame f, vacancy k, slot b) (see above)."""
    work = st.work
    n = work[0, 0] + 1
    for i in range(8):
        work[n, WORK_FRAME + i] = f[i]
    work[n, WORK_VACANCY] = k
    work[n, WORK_SLOT] = b
    work[0, 0] = n
    if n == work.shape[0] - 1:
        _run_work(g, m, st, bond, embedding)


@kernel
def _run_work(g, m, st, bond, embedding):
    """Compute the queued rows and slots in order and empty the queue."""
    site_word, vacancy_site, vacancy_rates, tree, work = st.site_word, st.vacancy_site, st.vacancy_rates, st.tree, st.work
    cap = tree.shape[0] >> 1
    for i in range(1, work[0, 0] + 1):
        f = (work[i, WORK_FRAME], work[i, WORK_FRAME + 1], work[i, WORK_FRAME + 2], work[i, WORK_FRAME + 3],
             work[i, WORK_FRAME + 4], work[i, WORK_FRAME + 5], work[i, WORK_FRAME + 6], work[i, WORK_FRAME + 7])
        k = work[i, WORK_VACANCY]
        b = work[i, WORK_SLOT]
        if b < 0:
            total = 0.0
            if bond is not None:
                total = bond_vacancy_rates(f, site_word, g, m, vacancy_rates, k)
            if embedding is not None:
                total = embedding_vacancy_rates(f, site_word, g, m, vacancy_rates, k)
            set_leaf(tree, cap, k, total)
        else:
            x = species_at(site_word, f[F_SITE])
            r = 0.0
            if bond is not None:
                r = bond_hop_rate_into(f, b, vacancy_site[k], x, site_word, g, m)
            if embedding is not None:
                r = embedding_hop_rate_into(f, b, vacancy_site[k], x, site_word, g, m)
            set_slot(vacancy_rates, tree, cap, k, g.opposite[b], r)
    work[0, 0] = 0


@kernel_inlined
def _refresh_hops_out_of(fa, g, m, st, tag, bond, embedding):
    """For every vacancy next to the atom at the site with frame fa that this event has not
    refreshed in full, queue the one slot of its hop from fa."""
    site_word, site_vacancy, stamp = st.site_word, st.site_vacancy, st.stamp
    nbr, nx, spl = g.neighbours, g.nx, g.sites_per_layer
    unseen = neighbour_count(site_word, fa[F_SITE], VACANCY)
    for b in range(8):
        if unseen == 0:
            break
        mv = neighbour(fa, b, nbr, nx, spl)
        if mv < 0 or species_at(site_word, mv) != VACANCY:
            continue
        unseen -= 1
        k = vacancy_index(site_word, site_vacancy, mv)
        if stamp[k] != tag:
            _queue_work(fa, k, b, g, m, st, bond, embedding)


@kernel_inlined
def _refresh_l1_pair_neighbours(s, g, m, st, tag, bond, embedding):
    """The L1 in-plane pair term of a hop reads the species of the L1 neighbours of its two ends in
    m.l1_shells shells (a, then a sqrt2), so a change at L1 site s alters, for each such neighbour q
    of s, the hops into q (q vacant: all its slots) or the hops out of q (q an atom: one slot of
    each vacancy next to it)."""
    site_word = st.site_word
    nx, ny, spl, n_layers, wrap_z = g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    for shell in range(m.l1_shells):
        table = g.l1_second if shell == 0 else g.l1_third
        for a in range(table.shape[1]):
            q = table[s, a]
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
    site_word, site_vacancy, vacancy_site, vacancy_rates, tree, stamp, ints, work = st
    nbr, nx, ny, spl, n_layers, wrap_z = g.neighbours, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    opposite = g.opposite
    layer_kind = m.layer_kind
    cap = tree.shape[0] >> 1
    ints[I_STAMP] += 1
    tag = ints[I_STAMP]
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[F_SITE]
        unseen = neighbour_count(site_word, s, VACANCY)  # vacancies next to s not reached yet
        for a in range(-1, 8):
            if a >= 0 and unseen == 0:
                break
            n = s if a < 0 else neighbour(fs, a, nbr, nx, spl)
            if n >= 0 and species_at(site_word, n) == VACANCY:
                if a >= 0:
                    unseen -= 1
                k = vacancy_index(site_word, site_vacancy, n)
                if stamp[k] != tag:
                    stamp[k] = tag
                    fn = fs if a < 0 else neighbour_frame(fs, a, n, g.table, nx, ny, spl, n_layers, wrap_z)
                    if layer_kind[fn[F_LAYER]] != LAYER_INTERFACE:
                        # the table on the spot: it is short, and inlined
                        set_leaf(tree, cap, k, bulk_vacancy_rates(fn, site_word, nbr, nx, spl, m, vacancy_rates, k))
                    else:
                        _queue_work(fn, k, -1, g, m, st, bond, embedding)
        if m.l1_shells > 0 and s < spl:
            _refresh_l1_pair_neighbours(s, g, m, st, tag, bond, embedding)
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[F_SITE]
        s_vacant = 1 if species_at(site_word, s) == VACANCY else 0
        other = f1[F_SITE] if c == 0 else f0[F_SITE]  # the other changed site (or s itself)
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
                k = vacancy_index(site_word, site_vacancy, mv)
                if stamp[k] == tag:
                    continue
                # the table on the spot (kmc.rate_rules.bulk_hop_rate_into), else the general rule
                # through the queue (kmc.rate_rules.bond_hop_rate_into, in _run_work)
                lm = neighbour_layer(fn, b, mv, nbr, spl)
                if layer_kind[lm] != LAYER_INTERFACE:
                    set_slot(vacancy_rates, tree, cap, k, opposite[b], bulk_hop_rate_into(fn, mv, lm, site_word, m))
                else:
                    _queue_work(fn, k, b, g, m, st, bond, embedding)
    if st.work[0, 0] > 0:
        _run_work(g, m, st, bond, embedding)


@kernel_inlined
def _refresh_vacancy(fu, g, m, st, tag, bond, embedding):
    """Queue every slot of the vacancy with frame fu unless this event already did."""
    k = vacancy_index(st.site_word, st.site_vacancy, fu[F_SITE])
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
    site_word, site_vacancy, vacancy_site, vacancy_rates, tree, stamp, ints, work = st
    nbr, nx, ny, spl, n_layers, wrap_z = g.neighbours, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    ints[I_STAMP] += 1
    tag = ints[I_STAMP]
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[F_SITE]
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
                if stamp[vacancy_index(site_word, site_vacancy, n)] != tag:
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
                if stamp[vacancy_index(site_word, site_vacancy, u)] != tag:
                    _refresh_vacancy(neighbour_frame(fn, b, u, g.table, nx, ny, spl, n_layers, wrap_z), g, m, st,
                                     tag, bond, embedding)
        if m.l1_shells > 0 and s < spl:
            _refresh_l1_pair_neighbours(s, g, m, st, tag, bond, embedding)
    for c in range(n_sites_changed):
        fs = f0 if c == 0 else f1
        s = fs[F_SITE]
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
