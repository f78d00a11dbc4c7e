"""Hops in bulk-class layers: the bond form's rate table, laid out for the engine, and the
second-moment form's rates from counts and neighbour sums read off the site words."""
from __future__ import annotations

import numpy as np

from kmc.jit import kernel, kernel_inlined
from kmc.rate_rules.hops import CLASS_BULK, EXIT_SLOT, arrhenius_memo, barrier_eV, energy_row, kra_eV
from kmc.rate_rules.deep import deep_hop_factor_at, deep_hop_factor_interior, deep_row, deep_row_interior
from kmc.sites import COUNT_BITS, SPECIES_MASK, SPECIES_SHIFT, neighbour_count
from kmc.species import HOST, SOLUTE, VACANCY
from lattices.neighbours import (neighbour, neighbour_frame, neighbour_layer, neighbour_sites, seam_neighbour_sites,
                                 seam_step)

# ----------------------------------------------------------------------------- bulk table
# The engine's copy of EnergyModel.bulk_rate_table(), laid out so that a hop's index is the
# vacancy's key plus fields read straight off the word of the site the atom comes from:
#   BULK_STRIDE_X * x + BULK_STRIDE_HOST * (host_v - host_j + 8) + BULK_STRIDE_SOLUTE * sol_v + sol_j
# for atom x at j hopping into the vacancy at v, with v's counts as stored (x included).  The
# block x = VACANCY is all zeros, so a vacant neighbour reads rate 0 and the rate loop has no
# branch on the species (one that mispredicted about every other slot: 18 -> 11 mispredictions
# per event), and x's own bond and the solute-nearby KRA are folded into the entries.  The strides
# are powers of two so that the index is shifts and adds (192 KB, most of it zeros never read).
BULK_STRIDE_SOLUTE = 16
BULK_STRIDE_HOST = 16 * BULK_STRIDE_SOLUTE
BULK_STRIDE_X = 32 * BULK_STRIDE_HOST


def bulk_rate_lookup(table: np.ndarray) -> np.ndarray:
    """The engine's flat bulk table (see above) from EnergyModel.bulk_rate_table(), which is
    indexed [x-1, dHost+8, dSolute+8, solute nearby] with x's own bond to v taken out of v's counts."""
    out = np.zeros((3, 32, 16, 16))
    for x in (HOST, SOLUTE):
        for host_diff in range(-8, 9):        # host_v - host_j, host_v counting x if x is host
            for sol_v in range(9):            # counting x if x is the solute
                for sol_j in range(9):
                    d_host = host_diff - (x == HOST)
                    sol_others = sol_v - (x == SOLUTE)  # solute next to v other than x
                    if sol_others < 0 or d_host < -8:
                        continue              # counts that leave no room for x next to v
                    near = 1 if (sol_others > 0 or sol_j > 0) else 0
                    out[x, host_diff + 8, sol_v, sol_j] = table[x - 1, d_host + 8, sol_others - sol_j + 8, near]
    return out.reshape(-1)


@kernel
def bulk_key(v, site_word):
    """The vacancy's part of a bulk table index (see BULK_STRIDE_X)."""
    return (BULK_STRIDE_HOST * (neighbour_count(site_word, v, HOST) + 8)
            + BULK_STRIDE_SOLUTE * neighbour_count(site_word, v, SOLUTE))


@kernel
def bulk_rate(v_key, j, site_word, bulk_rates):
    """Table rate of the hop from j into the bulk vacancy with key v_key (0 if j is vacant)."""
    w = site_word[np.uint64(j)]
    x = np.int64((w >> SPECIES_SHIFT) & SPECIES_MASK)
    i = (v_key + BULK_STRIDE_X * x - BULK_STRIDE_HOST * np.int64((w >> (COUNT_BITS * HOST)) & 15)
         + np.int64((w >> (COUNT_BITS * SOLUTE)) & 15))
    return bulk_rates[np.uint64(i)]


@kernel_inlined
def _bulk_row(v, nv, site_word, m, rates, k_row, edges):
    """The 8 table rates of the vacancy at v into rates[k_row] (neighbours nv; ``edges``: a
    constant, some may be -1, no neighbour) and a zero exit slot; returns their sum."""
    total = 0.0
    v_key = bulk_key(v, site_word)
    for d in range(8):
        j = nv[d]
        r = 0.0
        if not edges or j >= 0:
            r = bulk_rate(v_key, j, site_word, m.bulk_rates)
        rates[k_row, d] = r
        total += r
    rates[k_row, EXIT_SLOT] = 0.0
    return total


@kernel_inlined
def bulk_vacancy_rates(fv, site_word, nbr, nx, spl, m, rates, k_row):
    """All 8 hop rates of a vacancy (frame fv) deep in the bulk (table lookups only); returns
    their sum.  Inlined: as a call from the engine's refresh it cost a bulk event 2 % more
    instructions (callgrind)."""
    nv = neighbour_sites(fv, nbr, nx, spl)
    total = _bulk_row(fv[0], nv, site_word, m, rates, k_row, True)
    if m.deep_hop_factor != 1.0:
        total = deep_row(fv, nv, site_word, nbr, spl, m, rates, k_row, total)
    return total


@kernel_inlined
def bulk_vacancy_rates_interior(v, odd, site_word, nx, spl, m, rates, k_row, deep):
    """bulk_vacancy_rates for a vacancy at v on a layer of parity odd, away from the box edges
    (neighbours by fixed offsets: the engine's interior path); ``deep``: the deep box is on (a
    constant where the interior refresh is inlined)."""
    nv = seam_neighbour_sites(v, odd, nx, spl, None)
    total = _bulk_row(v, nv, site_word, m, rates, k_row, False)
    if deep:
        total = deep_row_interior(v, nv, site_word, m, rates, k_row, total)
    return total


@kernel_inlined
def bulk_hop_rate_into_interior(mv, n, site_word, m, deep):
    """The one table rate of the hop from the atom at n into its neighbour vacancy mv, both on the
    interior path (``deep`` as in bulk_vacancy_rates_interior)."""
    r = bulk_rate(bulk_key(mv, site_word), n, site_word, m.bulk_rates)
    if deep:
        r *= deep_hop_factor_interior(mv, n, site_word, m)
    return r


@kernel_inlined
def bulk_hop_rate_into(fn, mv, lm, site_word, m):
    """The table rate of the hop from the atom at the site with frame fn into its neighbour vacancy
    mv on a bulk-table layer lm (bond_hop_rate_into's bulk case)."""
    r = bulk_rate(bulk_key(mv, site_word), fn[0], site_word, m.bulk_rates)
    if m.deep_hop_factor != 1.0:
        r *= deep_hop_factor_at(mv, lm, fn[0], fn[1], site_word, m)
    return r


# ----------------------------------------------------------------------------- bulk, with an embedding
# In bulk-class layers (EnergyModel.bulk_layers) the embedding form's hop energy needs, besides the
# two ends' words, only two sums: over the vacancy's neighbours of what each gains from one more
# metal neighbour, and over the atom's neighbours of what each loses.  The gains are read per
# neighbour from a 1024-entry table indexed by the word's bits 4-13 (host count, solute count,
# species), and the vacancy's sum serves all 8 of its hops; the losses likewise, summed where a
# rate reads them (bulk_loss_sum_eV).  The energies are on the model's energy grid
# (kmc.model.ENERGY_GRID_eV), so the result equals hop_energy_change_eV's bit for bit.
EMBED_WORD_SHIFT = COUNT_BITS * HOST
EMBED_WORD_MASK = 0x3FF


# Rows of RateModel.bulk_by_word; the vacancy's side of a hop of x is row BY_WORD_VACANCY_SIDE + x
# (3 for the host, 4 for the solute).
BY_WORD_GAIN, BY_WORD_LOSS, BY_WORD_ATOM_SIDE, BY_WORD_VACANCY_SIDE = 0, 1, 2, 2
BY_WORD_ROWS = BY_WORD_VACANCY_SIDE + SOLUTE + 1


def bulk_by_word(pair_eV: np.ndarray, embed_eV: np.ndarray) -> np.ndarray:
    """RateModel.bulk_by_word, for the bulk class of embed_eV and the bulk bonds of pair_eV:

    - gain, loss: F(n+1) - F(n) and F(n-1) - F(n) of a metal site with n metal neighbours (0 where
      n + 1 > 8 or n - 1 < 0, which a site next to a vacancy, or to an atom, never has);
    - a bulk hop of x from j into v (bulk_embedding_hop_rate) changes the energy by the vacancy's
      side at v's word (x's pairs with v's other metal neighbours and x's embedding there, n_v - 1
      neighbours: v's counts include x) plus the atom's side at j's word (minus x's pairs and
      embedding at j, minus the gain v's neighbour sum counts for j itself) plus v's gain sum and
      j's loss sum.

    On the energy grid every entry is exact, so these sums have the bits of the term-by-term sum.
    Five tables in one array: the same code with two more arrays in RateModel ran a bulk event
    of kmc benchmark's box 20-30 % slower (perf samples, benchmarks/profile_kernels.py, all in
    loop.run_chunk), most likely because numba hands every array of a group, as seven values,
    to each call that takes the group, so that more of them stay live across the event loop.
    """
    out = np.zeros((BY_WORD_ROWS, EMBED_WORD_MASK + 1))
    for x in (HOST, SOLUTE):
        f = embed_eV[x, CLASS_BULK]
        own_host, own_solute = int(x == HOST), int(x == SOLUTE)
        for n_host in range(9):
            for n_sol in range(9 - n_host):
                n = n_host + n_sol
                fields = (n_host << (COUNT_BITS * HOST)) | (n_sol << (COUNT_BITS * SOLUTE))
                i = ((x << SPECIES_SHIFT) | fields) >> EMBED_WORD_SHIFT
                out[BY_WORD_GAIN, i] = f[n + 1] - f[n] if n < 8 else 0.0
                out[BY_WORD_LOSS, i] = f[n - 1] - f[n] if n > 0 else 0.0
                out[BY_WORD_ATOM_SIDE, i] = (-(pair_eV[0, x, HOST] * n_host + pair_eV[0, x, SOLUTE] * n_sol)
                                             - out[BY_WORD_GAIN, i] - f[n])
                if n_host >= own_host and n_sol >= own_solute:
                    out[BY_WORD_VACANCY_SIDE + x, ((VACANCY << SPECIES_SHIFT) | fields) >> EMBED_WORD_SHIFT] = (
                        pair_eV[0, x, HOST] * (n_host - own_host) + pair_eV[0, x, SOLUTE] * (n_sol - own_solute)
                        + f[n - 1])
    return out


@kernel_inlined
def word_index(w):
    """A word's counts and species as an index of the *_by_word tables (EMBED_WORD_*)."""
    return np.uint64((w >> EMBED_WORD_SHIFT) & EMBED_WORD_MASK)


@kernel_inlined
def embed_loss_eV(site_word, s, layer, m):
    """Embedding energy change of the site s (of energy row ``layer``: its layer, n_layers at a pore's
    mouth) when one of its metal neighbours
    leaves: F(n-1) - F(n) of its species and layer class; 0 on a vacancy (or with no metal
    neighbour, which a site next to an atom never has).  loss_sum_eV sums it.  In a
    bulk-class layer this is the word's entry of RateModel.bulk_by_word (the same numbers, one
    load instead of two from embed_eV)."""
    w = site_word[np.uint64(s)]
    c = m.layer_class[layer]
    if c == CLASS_BULK:
        return m.bulk_by_word[BY_WORD_LOSS, word_index(w)]
    sp = np.int64((w >> SPECIES_SHIFT) & SPECIES_MASK)
    k = np.int64(((w >> (COUNT_BITS * HOST)) & 15) + ((w >> (COUNT_BITS * SOLUTE)) & 15))
    if sp == VACANCY or k == 0:
        return 0.0
    return m.embed_eV[sp, c, k - 1] - m.embed_eV[sp, c, k]


@kernel_inlined
def loss_sum_eV(f, site_word, g, m):
    """What the neighbours of the site with frame f lose in embedding when an atom leaves it:
    embed_loss_eV summed over them.  Summed from their words where a rate reads it, not stored per
    site and kept in step: a stored sum changes at every site two steps from a changed one, and
    in a box larger than the caches those updates and the 8 bytes per site cost more than the
    sums (docs/performance.md, ninth round).  On the energy grid the order of the terms does not
    change the bits."""
    nbr, nx, spl = g.neighbours, g.nx, g.sites_per_layer
    loss = 0.0
    for e in range(8):
        n = neighbour(f, e, nbr, nx, spl)
        if n >= 0:
            loss += embed_loss_eV(site_word, n, energy_row(n, neighbour_layer(f, e, n, nbr, spl), g), m)
    return loss


@kernel_inlined
def bulk_loss_sum_eV(s, odd, site_word, nx, spl, seam, by_word):
    """loss_sum_eV for a [001] site s on a layer of parity odd whose neighbours are in bulk-class
    layers, by lattices.neighbours.seam_step (``seam`` as there)."""
    loss = 0.0
    for e in range(8):
        loss += embed_change(site_word, seam_step(s, odd, e, nx, spl, seam), by_word, BY_WORD_LOSS)
    return loss


@kernel_inlined
def embed_change(site_word, s, by_word, row):
    """by_word[row] at site s's word (RateModel.bulk_by_word, row BY_WORD_GAIN or BY_WORD_LOSS)."""
    return by_word[row, word_index(site_word[np.uint64(s)])]


@kernel_inlined
def _bulk_hop_rate(x, vacancy_side_eV, solute_near_v, w_j, loss_j, m):
    """Rate of atom x (word w_j, loss sum loss_j) hopping into a bulk vacancy whose side of the
    energy change (RateModel.bulk_by_word, plus its gain sum) is vacancy_side_eV; solute_near_v:
    a solute other than x neighbours the vacancy."""
    dE = vacancy_side_eV + m.bulk_by_word[BY_WORD_ATOM_SIDE, word_index(w_j)] + loss_j
    near_solute = solute_near_v or ((w_j >> (COUNT_BITS * SOLUTE)) & 15) != 0
    ea = barrier_eV(dE, kra_eV(x, near_solute, m.kra_eV))
    return arrhenius_memo(ea, m.nu_Hz, m.inv_kT, m.memo_key, m.memo_val)


@kernel_inlined
def _vacancy_side(x, w_v, gain_v, m):
    """For a hop of x into the bulk vacancy with word w_v and gain sum gain_v: the vacancy's side
    of the energy change (RateModel.bulk_by_word plus the sum), and whether a solute other than x
    neighbours the vacancy (v's counts include x)."""
    own_solute = 1 if x == SOLUTE else 0
    return (m.bulk_by_word[BY_WORD_VACANCY_SIDE + x, word_index(w_v)] + gain_v,
            ((w_v >> (COUNT_BITS * SOLUTE)) & 15) > own_solute)


@kernel_inlined
def bulk_embedding_hop_rate(x, w_v, w_j, gain_v, loss_j, m):
    """Rate of atom x (word w_j) hopping into the vacancy with word w_v, both in bulk-class layers;
    gain_v: embed_gain summed over v's 8 neighbours (j included), loss_j: embed_loss summed over
    j's 8 neighbours (v, vacant, adds 0).  The terms of hop_energy_change_eV, from counts: x's
    pairs with v's other metal neighbours minus those with j's, v's other neighbours' gains, j's
    neighbours' losses, and x's own embedding at v (n_v - 1) minus at j (n_j); all but the two
    sums are read from the words (RateModel.bulk_by_word)."""
    side, solute_near_v = _vacancy_side(x, w_v, gain_v, m)
    return _bulk_hop_rate(x, side, solute_near_v, w_j, loss_j, m)


@kernel_inlined
def embed_gain_sum(site_word, sites, m):
    """Sum of embed_gain over the 8 sites (a vacancy's neighbours)."""
    gain = 0.0
    for d in range(8):
        gain += embed_change(site_word, sites[d], m.bulk_by_word, BY_WORD_GAIN)
    return gain


@kernel_inlined
def _bulk_embedding_row(v, nv, site_word, m, rates, k_row, fv, g, odd, nx, spl, seam):
    """The 8 hop rates (and the zero exit) of the vacancy at v, bulk class, neighbours nv: the
    vacancy's side of the energy change is formed once per hopping species for all 8 hops.  The
    atom's loss sum: with ``g`` (Geometry) by frames from v's frame fv (loss_sum_eV); with ``g``
    None, every layer within two steps of v is bulk class, by seam_step (bulk_loss_sum_eV; odd,
    nx, spl, seam as there)."""
    gain_v = embed_gain_sum(site_word, nv, m)
    w_v = site_word[np.uint64(v)]
    side_host, solute_near_host = _vacancy_side(HOST, w_v, gain_v, m)
    side_solute, solute_near_solute = _vacancy_side(SOLUTE, w_v, gain_v, m)
    total = 0.0
    for d in range(8):
        j = nv[d]
        w_j = site_word[np.uint64(j)]
        x = np.int64((w_j >> SPECIES_SHIFT) & SPECIES_MASK)
        r = 0.0
        if x != VACANCY:
            solute = x == SOLUTE
            if g is None:
                loss_j = bulk_loss_sum_eV(j, 1 - odd, site_word, nx, spl, seam, m.bulk_by_word)
            else:
                loss_j = loss_sum_eV(neighbour_frame(fv, d, j, g.table, g.nx, g.ny, g.sites_per_layer, g.n_layers,
                                                     g.wrap_z), site_word, g, m)
            r = _bulk_hop_rate(x, side_solute if solute else side_host,
                               solute_near_solute if solute else solute_near_host, w_j, loss_j, m)
        rates[k_row, d] = r
        total += r
    rates[k_row, EXIT_SLOT] = 0.0
    return total


@kernel_inlined
def bulk_embedding_vacancy_rates(fv, site_word, g, m, rates, k_row):
    """vacancy_rates for a vacancy (frame fv) in a bulk-class layer, with an embedding."""
    nv = neighbour_sites(fv, g.neighbours, g.nx, g.sites_per_layer)
    total = _bulk_embedding_row(fv[0], nv, site_word, m, rates, k_row, fv, g, 0, 0, 0, None)
    if m.deep_hop_factor != 1.0:
        total = deep_row(fv, nv, site_word, g.neighbours, g.sites_per_layer, m, rates, k_row, total)
    return total


@kernel_inlined
def bulk_embedding_vacancy_rates_interior(v, odd, site_word, nx, spl, m, rates, k_row, seam):
    """bulk_embedding_vacancy_rates for a [001] vacancy at v on a layer of parity odd, every layer
    within two steps of the bulk rule, neighbours by lattices.neighbours.seam_step (``seam`` None:
    none of them wraps, fixed offsets)."""
    nv = seam_neighbour_sites(v, odd, nx, spl, seam)
    total = _bulk_embedding_row(v, nv, site_word, m, rates, k_row, None, None, odd, nx, spl, seam)
    if m.deep_hop_factor != 1.0:
        total = deep_row_interior(v, nv, site_word, m, rates, k_row, total)
    return total


@kernel_inlined
def bulk_embedding_rate_into_interior(n, odd_n, b, site_word, nx, spl, m, seam):
    """Rate of the atom at n ([001], layer parity odd_n, bulk rule within three steps) hopping into
    the vacancy that is its neighbour in slot b (``seam`` as in
    bulk_embedding_vacancy_rates_interior)."""
    u = seam_step(n, odd_n, b, nx, spl, seam)
    gain_u = embed_gain_sum(site_word, seam_neighbour_sites(u, 1 - odd_n, nx, spl, seam), m)
    w_n = site_word[np.uint64(n)]
    return (bulk_embedding_hop_rate(np.int64((w_n >> SPECIES_SHIFT) & SPECIES_MASK), site_word[np.uint64(u)], w_n,
                                    gain_u, bulk_loss_sum_eV(n, odd_n, site_word, nx, spl, seam, m.bulk_by_word), m)
            * deep_hop_factor_interior(u, n, site_word, m))
