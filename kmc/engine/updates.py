"""Applying a species change: the site words (kmc.sites), the vacancy list and its indices, the
per-layer vacancy integrals and the tracers.  The event kernels (kmc.engine.events) are written with
these; which rates the change alters is the refresh's business (kmc.engine).
"""
from __future__ import annotations

import numpy as np

from kmc.engine.selection import tree_set
from kmc.engine.state import I_NVAC
from kmc.jit import kernel, kernel_inlined
from kmc.rate_rules import N_SLOTS
from kmc.sites import set_own_species, set_vacancy_index, species_at, vacancy_index
from kmc.species import VACANCY
from lattices.neighbours import F_LAYER, F_SITE, neighbour, seam_step

# An event's path (run_chunk, swap_vacancy): the general code, with frames; the interior path,
# with fixed offsets (kmc.engine.refresh.event_is_interior); or, with an embedding, the seam path: the
# interior path's code, whose neighbours follow from each site's seam class
# (lattices.neighbours.seam_step), for hops whose reach is in bulk-rule layers but crosses a box
# edge (a periodic wrap in x or y, or in z in a box periodic in z).
PATH_GENERAL, PATH_INTERIOR, PATH_SEAM = 0, 1, 2


# ----------------------------------------------------------------------------- site updates
@kernel
def set_species(f, new, nbr, nx, spl, site_word):
    """The species change at the site with frame f, and its neighbours' counts of each species
    (kmc.sites): all either energy form keeps per site (the embedding's loss sums are summed where
    read: kmc.rate_rules.loss_sum_eV).  A call with six arguments: given the groups instead, numba
    passes every array in them (about 150 values a call)."""
    delta = set_own_species(f[F_SITE], new, site_word)
    for e in range(8):
        n = neighbour(f, e, nbr, nx, spl)
        if n >= 0:
            site_word[np.uint64(n)] += delta


@kernel_inlined
def set_species_interior(s, odd, new, site_word, nx, spl, seam):
    """set_species for a [001] site on a layer of parity odd, neighbours by seam_step (``seam``
    None: fixed offsets, the interior path)."""
    delta = set_own_species(s, new, site_word)
    for e in range(8):
        site_word[np.uint64(seam_step(s, odd, e, nx, spl, seam))] += delta


@kernel_inlined
def vacancy_layer_move(from_layer, to_layer, t, tally):
    """Move one vacancy between layers (-1 = outside the box), integrating count x time per layer."""
    if from_layer == to_layer:
        return
    layer_vacancies, layer_vacancy_time, layer_last_time = tally.layer_vacancies, tally.layer_vacancy_time, tally.layer_last_time
    if from_layer >= 0:
        layer_vacancy_time[from_layer] += layer_vacancies[from_layer] * (t - layer_last_time[from_layer])
        layer_last_time[from_layer] = t
        layer_vacancies[from_layer] -= 1
    if to_layer >= 0:
        layer_vacancy_time[to_layer] += layer_vacancies[to_layer] * (t - layer_last_time[to_layer])
        layer_last_time[to_layer] = t
        layer_vacancies[to_layer] += 1


@kernel
def add_vacancy(s, st):
    ints = st.ints
    k = ints[I_NVAC]
    st.vacancy_site[k] = s
    set_vacancy_index(st.site_word, st.site_vacancy, s, k)
    st.stamp[k] = 0  # not refreshed yet in any event
    ints[I_NVAC] = k + 1


@kernel
def remove_vacancy(s, st):
    site_word, site_vacancy, vacancy_site, vacancy_rates, tree, stamp, ints, work = st
    cap = tree.shape[0] >> 1
    k = vacancy_index(site_word, site_vacancy, s)
    last = ints[I_NVAC] - 1
    if k != last:
        t = vacancy_site[last]
        vacancy_site[k] = t
        set_vacancy_index(site_word, site_vacancy, t, k)
        for d in range(N_SLOTS):
            vacancy_rates[k, d] = vacancy_rates[last, d]
        stamp[k] = stamp[last]
        tree_set(tree, cap, k, tree[cap + last])
    tree_set(tree, cap, last, 0.0)
    set_vacancy_index(site_word, site_vacancy, s, -1)
    ints[I_NVAC] = last


@kernel_inlined
def swap_vacancy(f_src, f_dst, path, g, st, t, tally):
    """The vacancy at src and the atom at dst (frames f_src, f_dst) trade places (a hop, or
    creep's long-range move), by the event's path (PATH_*): species, neighbour counts, vacancy
    index and layer integrals follow.  Returns the atom's species; the caller updates the L1
    lists, which only L1 sites need."""
    site_word, site_vacancy = st.site_word, st.site_vacancy
    nx, spl = g.nx, g.sites_per_layer
    src, dst = f_src[F_SITE], f_dst[F_SITE]
    x = species_at(site_word, dst)
    k = vacancy_index(site_word, site_vacancy, src)
    if path == PATH_INTERIOR:
        set_species_interior(src, f_src[F_LAYER] & 1, x, site_word, nx, spl, None)
        set_species_interior(dst, f_dst[F_LAYER] & 1, VACANCY, site_word, nx, spl, None)
    elif path == PATH_SEAM:
        set_species_interior(src, f_src[F_LAYER] & 1, x, site_word, nx, spl, g.seam)
        set_species_interior(dst, f_dst[F_LAYER] & 1, VACANCY, site_word, nx, spl, g.seam)
    else:
        set_species(f_src, x, g.neighbours, nx, spl, site_word)
        set_species(f_dst, VACANCY, g.neighbours, nx, spl, site_word)
    st.vacancy_site[k] = dst
    set_vacancy_index(site_word, site_vacancy, dst, k)
    set_vacancy_index(site_word, site_vacancy, src, -1)
    vacancy_layer_move(f_src[F_LAYER], f_dst[F_LAYER], t, tally)
    return x


@kernel
def tracer_move(src, dst, slot, tracers):
    """The atom at src moved to dst; if it is a tracer, follow it and count the jump in ``slot``
    (slot < 0: a non-local move such as creep, which relocates it without a lattice jump)."""
    t = tracers.tracer_of_site[src]
    if t >= 0:
        tracers.tracer_of_site[src] = -1
        tracers.tracer_of_site[dst] = t
        tracers.tracer_site[t] = dst
        if slot >= 0:
            tracers.tracer_jumps[t, slot] += 1


@kernel
def tracer_lost(s, tracers):
    """The atom at s left the box (stripped, or replaced by a vacancy entering from the bulk)."""
    t = tracers.tracer_of_site[s]
    if t >= 0:
        tracers.tracer_of_site[s] = -1
        tracers.tracer_site[t] = -1
