"""The event loop: picks events, has their class apply them, and refreshes the rates they can have
changed.  It knows no physics: rates come from kmc.rate_rules, what an event does from kmc.engine.events,
neighbours from lattices.neighbours.

Events are keyed on defects: every vacancy owns 9 rate slots (8 first-neighbour hops and one exit
into the bulk below the box) whose sum is a leaf of a binary sum tree (kmc.engine.selection); the
macroscopic classes (stripping, creep refill, entry from the bulk, solute exchange) each have one
total rate (kmc.engine.events.EVENT_TABLE).  run_chunk draws among the tree's total and the classes'
rates, applies the event, and recomputes only the rates the event can have changed
(``_refresh_around``; the reach is in ARCHITECTURE.md).

All state lives in numpy arrays, grouped in namedtuples for the kernels (kmc.engine.state: ``State``,
``Contact``, ``Tally``, ``Tracers``, the macroscopic ``Drive`` and the ``Limits`` of one call; the
static ``lattices.neighbours.Geometry`` and ``kmc.rate_rules.RateModel``), so that a chunk can stop and
resume anywhere with identical results: the RNG (xoshiro256**) state is one of those arrays.
"""
from __future__ import annotations

import types

import numpy as np
from numba import literal_unroll

from kmc.engine.contact import set_add
from kmc.engine.events import EV_NULL, EVENT_TABLE, GO_ON, apply_exit, apply_hop
from kmc.engine.refresh import (_queue_work, _refresh_around, _refresh_around_embedding, _refresh_interior,
                                _refresh_interior_embedding, _refresh_seam_embedding, _run_work, event_is_interior)
from kmc.engine.selection import (leaf_guess, next_uniform, peek_uniforms, prefetch_neighbourhood, prefetch_tree_path,
                                  tree_find)
from kmc.engine.state import (I_NL1_HOST, I_NL1_SOLUTE, I_NL1_VAC, I_NSTRIP, I_NVAC, ST_CAPACITY, ST_CHARGE, ST_CONTACT,
                              ST_EVENTS, ST_NO_EVENTS, ST_NO_HOST, ST_TIME)
from kmc.engine.updates import PATH_GENERAL, PATH_INTERIOR, PATH_SEAM, add_vacancy
from kmc.jit import kernel, kernel_inlined, prefetch
from kmc.rate_rules import EXIT_SLOT, LAYER_TABLE_INTERIOR, N_SLOTS, fast_type
from kmc.sites import COUNT_BITS, SPECIES_SHIFT, species_at
from kmc.species import HOST, VACANCY
from lattices.neighbours import F_LAYER, F_SITE, at_pore_mouth, frame, neighbour, neighbour_layer


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


# ----------------------------------------------------------------------------- entry points
@kernel
def init_state(occ, g, m, st, contact, has_interface, bond, embedding):
    """Build the site words, the vacancy list, the L1 contact lists and all rates from an
    occupancy array (through the work queue, which also sets the tree's leaves: the whole tree is
    then built by rebuild_tree)."""
    site_word, site_vacancy, vacancy_site, vacancy_rates, tree, stamp, ints, work = st
    nbr, nx, ny, spl, n_layers, wrap_z = g.neighbours, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    site_vacancy[:] = -1
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
            add_vacancy(s, st)
    if has_interface:
        for s in range(spl):
            if at_pore_mouth(s, g.l1_open):   # no contact (lattices.neighbours.in_contact)
                continue
            if occ[s] == HOST:
                set_add(contact.l1_host, contact.l1_host_pos, ints, I_NL1_HOST, s)
            elif occ[s] == VACANCY:
                set_add(contact.l1_vac, contact.l1_vac_pos, ints, I_NL1_VAC, s)
            else:
                ints[I_NL1_SOLUTE] += 1
    for k in range(ints[I_NVAC]):
        _queue_work(frame(vacancy_site[k], g.table, nx, ny, spl, n_layers, wrap_z), k, -1, g, m, st, bond, embedding)
    _run_work(g, m, st, bond, embedding)


@kernel_inlined
def _refresh(path, d, f0, f1, n_changed, g, m, st, bond, embedding):
    """Recompute the rates an event that changed n_changed sites (frames f0, f1) can have altered,
    by the event's path (a hop on a fast path: from slot d into the vacancy at f0)."""
    if path == PATH_INTERIOR:
        if embedding is not None:
            _refresh_interior_embedding(f0[F_SITE], f0[F_LAYER] & 1, d, g, m, st, None)
        if bond is not None:
            if m.deep_hop_factor == 1.0:
                _refresh_interior(f0[F_SITE], f1[F_SITE], f0[F_LAYER] & 1, g, st, m, False)
            else:
                _refresh_interior(f0[F_SITE], f1[F_SITE], f0[F_LAYER] & 1, g, st, m, True)
    elif path == PATH_SEAM:
        if embedding is not None:
            _refresh_seam_embedding(f0[F_SITE], f0[F_LAYER] & 1, d, g, m, st)
    elif n_changed:
        if embedding is not None:
            _refresh_around_embedding(f0, f1, n_changed, g, m, st, bond, embedding)
        if bond is not None:
            _refresh_around(f0, f1, n_changed, g, m, st, bond, embedding)


@kernel_inlined
def _hop_path(f0, g, m, interior_margin, bond, embedding):
    """The path (PATH_*) of a hop into the vacancy with frame f0: the interior path where its whole
    reach is clear of the box edges and in bulk-rule layers (with the embedding it walks
    Geometry.hop_reach, empty in boxes narrower than SEAM_MIN_CELLS: there such sites take the
    general path), the seam path where the reach is in such layers but crosses an edge (embedding
    only; no seam classes: none)."""
    if g.table:
        return PATH_GENERAL
    if (embedding is None or g.hop_reach.shape[2] > 0) and event_is_interior(f0, g.nx, g.ny, m.layer_kind,
                                                                           interior_margin):
        return PATH_INTERIOR
    if embedding is not None and g.seam.site_class.shape[0] > 0 and m.layer_kind[f0[F_LAYER]] >= LAYER_TABLE_INTERIOR:
        return PATH_SEAM
    return PATH_GENERAL


@kernel_inlined
def _stop_code(done, st, clock, drive, limits):
    """Why the chunk stops before its next event (a ST_* code), or -1 to go on."""
    ints = st.ints
    if done >= limits.max_events:
        return ST_EVENTS
    if clock[0] >= limits.t_stop:
        return ST_TIME
    if ints[I_NSTRIP] >= limits.strip_stop:
        return ST_CHARGE
    if ints[I_NL1_HOST] + ints[I_NL1_SOLUTE] <= limits.contact_stop:
        return ST_CONTACT
    if ints[I_NVAC] >= st.tree.shape[0] >> 1:
        return ST_CAPACITY
    if drive.strip_total_per_s > 0.0 and ints[I_NL1_HOST] == 0:   # the current needs an L1 host atom
        return ST_NO_HOST
    return -1


@kernel_inlined
def _count_fast_hop(f0, d, g, m, site_word):
    """Count the hop from slot d into the vacancy with frame f0 in its type's direction (kmc.rate_rules.fast;
    RateModel.fast_counts), before it is applied."""
    j = neighbour(f0, d, g.neighbours, g.nx, g.sites_per_layer)
    lj = neighbour_layer(f0, d, j, g.neighbours, g.sites_per_layer)
    t, direction = fast_type(f0[F_SITE], f0[F_LAYER], j, lj, species_at(site_word, j), site_word, g, m)
    if t >= 0:
        m.fast_counts[t, direction] += 1


@kernel
def refresh_all_rates(g, m, st, bond, embedding):
    """Recompute every vacancy's rate row and the tree's leaves (after RateModel.fast_scale changed)."""
    nx, ny, spl, n_layers, wrap_z = g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z
    for k in range(st.ints[I_NVAC]):
        _queue_work(frame(st.vacancy_site[k], g.table, nx, ny, spl, n_layers, wrap_z), k, -1, g, m, st, bond, embedding)
    _run_work(g, m, st, bond, embedding)


@kernel_inlined
def _pick_slot(vacancy_rates, k, u):
    """The slot of vacancy k's row that u (an offset into the row's sum) falls in; rounding can
    leave u past the last nonzero slot, which then takes it."""
    d = 0
    while d < N_SLOTS - 1 and (u >= vacancy_rates[k, d] or vacancy_rates[k, d] <= 0.0):
        u -= vacancy_rates[k, d]
        d += 1
    return d


@kernel
def run_chunk(g, m, st, contact, tally, tracers, drive, limits, prefetch_sites, bond, embedding):
    """Run events until a limit is reached; returns (stop code, events done).  Each event: pick
    (a vacancy's slot from the sum tree, or a macroscopic class by its rate), apply (kmc.engine.events),
    refresh (_refresh).

    ``prefetch_sites``: the box's site arrays exceed the second-level cache, so each event also asks
    for the next event's vacancy and neighbourhood early (see kmc.engine.selection); speed only.

    tally.clock[0] is kMC time in s; tally.layer_vacancies counts vacancies per layer and
    tally.layer_vacancy_time integrates that count over kMC time (up to layer_last_time), for
    time-averaged depth profiles.  Tracers (tagged atoms, for diffusion) are followed when
    tracers.tracer_of_site is not empty.
    """
    vacancy_site, vacancy_rates, tree = st.vacancy_site, st.vacancy_rates, st.tree
    counts, clock, rng = tally.counts, tally.clock, tally.rng
    class_per_s = drive.class_per_s
    n_classes = len(EVENT_TABLE)
    cap = tree.shape[0] >> 1
    interior_margin = 2   # event_is_interior's margin for the reach
    if embedding is not None:
        interior_margin = 3
    done = 0
    stale = True   # the class rates read the L1 counts: recomputed after an event that changed them
    while True:
        stop = _stop_code(done, st, clock, drive, limits)
        if stop >= 0:
            return stop, done
        if stale:
            i = 0
            for event_class in literal_unroll(EVENT_TABLE):
                class_per_s[i] = event_class[0](g, st, drive)
                i += 1
            stale = False
        r_hop = tree[1]
        total = r_hop
        for i in range(n_classes):
            total += class_per_s[i]
        if total <= 0.0:
            return ST_NO_EVENTS, done
        u = next_uniform(rng) * total
        dt = -np.log(1.0 - next_uniform(rng)) / total
        clock[0] += dt
        done += 1
        path = PATH_GENERAL
        d = 0
        k_next = -1
        if u < r_hop:
            k, u = tree_find(tree, cap, u)
            # the next two events' lines, while this one runs (see kmc.engine.selection)
            u_walk, u_after = peek_uniforms(rng)
            if prefetch_sites:
                if u_walk * total < r_hop:
                    k_next = leaf_guess(tree, cap, u_walk * total)
                    prefetch(vacancy_site, k_next)
                    prefetch(vacancy_rates[k_next], 0)
                    prefetch(vacancy_rates[k_next], N_SLOTS - 1)
                u_walk = u_after
            if u_walk * total < r_hop:
                prefetch_tree_path(tree, cap, u_walk * total)
            d = _pick_slot(vacancy_rates, k, u)
            f0 = frame(vacancy_site[k], g.table, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z)
            f1 = f0
            n_changed = 1
            if d == EXIT_SLOT:
                count = apply_exit(f0, g, st, tally, drive)
            else:
                if m.fast_layers > 0:
                    _count_fast_hop(f0, d, g, m, st.site_word)
                path = _hop_path(f0, g, m, interior_margin, bond, embedding)
                count, f1, l1_changed = apply_hop(f0, d, path, g, st, contact, tally, tracers, drive.has_interface)
                stale |= l1_changed
                n_changed = 2
        else:
            # the class u falls in (the last one takes what rounding leaves past the sum)
            c = r_hop
            pick = n_classes - 1
            for i in range(n_classes - 1):
                c += class_per_s[i]
                if u < c:
                    pick = i
                    break
            outcome = (GO_ON, EV_NULL, 0, (0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0), False)
            i = 0
            for event_class in literal_unroll(EVENT_TABLE):
                if i == pick:
                    outcome = event_class[1](g, m, st, contact, tally, tracers, drive, bond, embedding)
                i += 1
            stop, count, n_changed, f0, f1, l1_changed = outcome
            if stop >= 0:   # the class cannot take place (e.g. no host atom carries current): undo the draw
                clock[0] -= dt
                return stop, done - 1
            stale |= l1_changed
        counts[count] += 1
        for event_class in literal_unroll(EVENT_TABLE):
            event_class[2](f0, f1, n_changed, g, contact, drive)
        if k_next >= 0:   # its site has had the swap's time to arrive; its neighbourhood has the refresh's
            prefetch_neighbourhood(st.site_word, vacancy_site[k_next], g.nx, g.sites_per_layer)
        _refresh(path, d, f0, f1, n_changed, g, m, st, bond, embedding)


def run_chunk_with(event_table: tuple):
    """run_chunk compiled for another table of macroscopic event classes (kmc.engine.events.EVENT_TABLE's
    layout; uncached), e.g. a test's throw-away class.  Its Drive.class_per_s and Tally.counts
    must have room for the table's classes."""
    source = run_chunk.py_func
    names = dict(source.__globals__, EVENT_TABLE=event_table)
    from lattices.jit import compiled
    return compiled(cache=False)(types.FunctionType(source.__code__, names, source.__name__))
