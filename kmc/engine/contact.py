"""The interface contact: the L1 lists of host atoms and vacancies (for uniform picks), whether
metal joins an L1 atom to the electrode (metal_connected: the galvanostatic current's path), and
the size of an interface void (creep's thinning).  Engine bookkeeping and searches, no rates.
"""
from __future__ import annotations

import numpy as np

from kmc.engine.state import I_NL1_HOST, I_NL1_SOLUTE, I_NL1_VAC
from kmc.jit import kernel
from kmc.sites import species_at
from kmc.species import HOST, VACANCY
from lattices.neighbours import at_pore_mouth, frame, neighbour


# ----------------------------------------------------------------------------- bookkeeping
@kernel
def set_add(lst, pos, ints, slot, s):
    n = ints[slot]
    lst[n] = s
    pos[s] = n
    ints[slot] = n + 1


@kernel
def set_remove(lst, pos, ints, slot, s):
    i = pos[s]
    last = ints[slot] - 1
    moved = lst[last]
    lst[i] = moved
    pos[moved] = i
    pos[s] = -1
    ints[slot] = last


@kernel
def l1_change(s, old, new, contact, ints):
    """Keep the L1 contact lists and counts in step with a species change at L1 site s."""
    if old == HOST:
        set_remove(contact.l1_host, contact.l1_host_pos, ints, I_NL1_HOST, s)
    elif old == VACANCY:
        set_remove(contact.l1_vac, contact.l1_vac_pos, ints, I_NL1_VAC, s)
    else:
        ints[I_NL1_SOLUTE] -= 1
    if new == HOST:
        set_add(contact.l1_host, contact.l1_host_pos, ints, I_NL1_HOST, s)
    elif new == VACANCY:
        set_add(contact.l1_vac, contact.l1_vac_pos, ints, I_NL1_VAC, s)
    else:
        ints[I_NL1_SOLUTE] += 1


# ----------------------------------------------------------------------------- contact and voids
@kernel
def _deepest_vacancy_layer(layer_vacancies):
    """The deepest layer holding a vacancy (-1: none).  Every layer below it is all metal."""
    d = layer_vacancies.shape[0] - 1
    while d >= 0 and layer_vacancies[d] == 0:
        d -= 1
    return d


@kernel
def _mark(site_mark, s):
    site_mark[s >> 6] |= np.uint64(1) << np.uint64(s & 63)


@kernel
def _marked(site_mark, s):
    return (site_mark[s >> 6] >> np.uint64(s & 63)) & np.uint64(1) != 0


@kernel
def metal_connected(s, g, site_word, layer_vacancies, site_mark, search):
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
    deepest = _deepest_vacancy_layer(layer_vacancies)
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
def connected_l1_metal(g, site_word, layer_vacancies, site_mark, search):
    """(host, solute) atoms in L1 under the electrolyte (not at a pore's mouth) that metal joins to
    the electrode (metal_connected)."""
    spl = g.sites_per_layer
    host = 0
    solute = 0
    for s in range(spl):
        x = species_at(site_word, s)
        if x != VACANCY and not at_pore_mouth(s, g.l1_open) and metal_connected(s, g, site_word, layer_vacancies, site_mark,
                                                                  search):
            if x == HOST:
                host += 1
            else:
                solute += 1
    return host, solute


@kernel
def void_fill(s, need, g, site_word, l1_mark, l1_queue):
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
    return void_fill(s, g.sites_per_layer + 1, g, site_word, l1_mark, l1_queue)
