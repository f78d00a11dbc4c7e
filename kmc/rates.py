"""Rate rules, compiled: the physics the engine evaluates, each rule written once.

* ``barrier_eV``: Ea = max(E_kra + dE/2, dE, 0), so k(dE)/k(-dE) = exp(-dE/kT) exactly (E_kra is
  symmetric in the two end points).  Used by the model's tables, the engine and the tests' oracle.
* ``kra_eV``: the kinetically resolved activation barrier of a hop: the solute's own when the
  solute hops, the host's "near solute" value when a solute neighbours either end, else the host's.
* ``hop_energy_change_eV``: the local form of the configuration energy difference of a hop (the
  model's ``EnergyModel.total_energy`` is the reference it must equal; tests check it after every
  event).  A new energy term is added here and there, and nowhere else; if it reaches further
  than the two neighbour shells of a hop's ends, the engine's refresh reach must follow
  (ARCHITECTURE.md).
* ``bond_vacancy_rates`` / ``embedding_vacancy_rates``: the 9 slot rates of one vacancy: 8 hops
  (in the bulk a table lookup for the bond form, ``bulk_embedding_hop_rate`` from counts and
  neighbour sums for the second-moment form; near the interface the local energy difference)
  and the exit into the bulk below; ``bond_hop_rate_into`` / ``embedding_hop_rate_into``: one slot.

* The macroscopic event classes (kmc.events applies them): creep's law and its thinning
  (``creep_bound_per_s``, ``creep_void_sites_needed``), the species an exiting vacancy leaves
  behind (``exit_replacement_species``), the solute exchange with the electrode
  (``exchange_total_per_s``, ``exchange_new_species``).

The engine (kmc.engine, kmc.events) decides which rates to recompute after an event and picks
events; it calls whole rules of this module (rows, slots, class totals, drawn species) and
nothing else of the physics (tests/test_architecture.py checks it).  ``RateModel`` groups what
these kernels read.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from kmc.jit import kernel, kernel_inlined
from kmc.physics.creep import focusing_factor
from kmc.sites import COUNT_BITS, SPECIES_MASK, SPECIES_SHIFT, neighbour_count, species_at
from kmc.species import HOST, SOLUTE, VACANCY
from lattices.neighbours import (neighbour, neighbour_frame, neighbour_layer, neighbour_sites, seam_neighbour_sites,
                                 seam_step)

N_SLOTS = 9      # 8 first-neighbour hops and the exit into the bulk below the box
EXIT_SLOT = 8

# Per layer, whether a vacancy's hops read the bulk table (no interface bond or site term can
# touch them) or need the local energy difference; the engine adds two kinds of table layers
# deep enough for its fast paths: every layer within reach is a table layer without (INTERIOR)
# or only across (SEAM) the z wrap of a periodic box (kmc.engine.layer_kinds).
LAYER_INTERFACE, LAYER_TABLE, LAYER_TABLE_INTERIOR, LAYER_TABLE_SEAM = 0, 1, 2, 3

# Layer classes of the embedding term (EnergyModel.embed_eV): the bulk, L1 (the electrolyte adds
# to the coordination) and the bottom layer (the metal continuation below adds to it).
CLASS_BULK, CLASS_L1, CLASS_BOTTOM = 0, 1, 2
N_CLASSES = 3

# What the rate kernels read (kmc.model.EnergyModel.rate_model builds it):
#   pair_eV        (4, 3, 3) bond energies [class][A][B] (bond_class: bulk, A in L1 and B in L2,
#                  A in L2 and B in L1, both in L1)
#   site_eV        (n_layers, 3) per-site energies by layer and species
#   l1_pair_eV     (2, 3, 3) in-plane pair energies [shell][A][B] of two L1 sites a (shell 0) and
#                  a sqrt2 (shell 1) apart (symmetric in A, B)
#   l1_shells      how many shells the terms reach (0: none, 1: a, 2: a sqrt2 too); the engine's
#                  refresh reaches the L1 neighbours of those shells
#   kra_eV         (3,) [host, host with a solute next to either end, solute]
#   nu_Hz, inv_kT  attempt frequency and 1/kT (1/eV)
#   exit_per_s     rate of a bottom-layer vacancy leaving into the bulk below
#   bulk_rates     the bulk table in the engine's layout (bulk_rate_lookup)
#   layer_kind     uint8 per layer (LAYER_*)
#   memo_key, memo_val  direct-mapped memo of nu exp(-Ea/kT) (mutable, travels in checkpoints)
#   embed_eV       (3, N_CLASSES, 9) embedding energy [species][layer class][metal neighbours in the box]
#   layer_class    uint8 per layer (CLASS_*)
#   bulk_by_word   (BY_WORD_ROWS, 1024) bulk-class energies (eV) read off a site's word (EMBED_WORD_*):
#                  the embedding change of a site when it gains / loses a metal neighbour (rows
#                  BY_WORD_GAIN, BY_WORD_LOSS; 0 on a vacancy), and a bulk hop's energy change less
#                  its two neighbour sums, split into the atom's side (BY_WORD_ATOM_SIDE) and the
#                  vacancy's side for each hopping species x (row BY_WORD_VACANCY_SIDE + x)
#                  (bulk_by_word).  One array, not five: every array in the groups costs the
#                  event loop (see bulk_by_word)
#   deep_first_layer, deep_hop_factor, layer_neighbours  the deep box (kmc.model.deep_box): a lone
#                  vacancy's hops between layers >= deep_first_layer run deep_hop_factor times
#                  faster (1.0: off); layer_neighbours (uint8 per layer) is how many first
#                  neighbours a site of the layer has inside the box
RateModel = namedtuple("RateModel", ["pair_eV", "site_eV", "l1_pair_eV", "l1_shells", "kra_eV", "nu_Hz",
                                     "inv_kT", "exit_per_s", "bulk_rates", "layer_kind", "memo_key", "memo_val",
                                     "embed_eV", "layer_class",
                                     "bulk_by_word",
                                     "deep_first_layer", "deep_hop_factor", "layer_neighbours"])


# ----------------------------------------------------------------------------- the rules
@kernel
def barrier_eV(dE_eV, kra):
    """Ea = max(E_kra + dE/2, dE, 0): forward and backward rates obey detailed balance exactly."""
    ea = kra + 0.5 * dE_eV
    if ea < dE_eV:
        ea = dE_eV
    if ea < 0.0:
        ea = 0.0
    return ea


@kernel
def kra_eV(x, near_solute, kra):
    """KRA barrier of a hop of species x; near_solute: a solute other than the hopping atom is a
    first neighbour of either end."""
    if x == SOLUTE:
        return kra[2]
    if near_solute:
        return kra[1]
    return kra[0]


@kernel
def fill_barriers_eV(species, near_solute, dE_eV, kra, out):
    """out[i] = barrier_eV(dE_eV[i], kra_eV(species[i], near_solute[i], kra)) over flat arrays,
    for numpy code that needs the rules on many hops at once (validation scripts)."""
    for i in range(out.shape[0]):
        out[i] = barrier_eV(dE_eV[i], kra_eV(species[i], near_solute[i], kra))


# ----------------------------------------------------------------------------- the deep box
# Below the interface region (layers >= RateModel.deep_first_layer, where the energy is the
# bulk's) the box stands for the electrode between the interface and the vacancy sinks, whose
# vacancy transport is one of the macroscopic fluxes that run.acceleration speeds up.  A hop of a
# lone vacancy there (no vacant first neighbour before or after the hop) runs deep_hop_factor
# times faster (kmc.model.deep_box derives the factor and the matching sink distance).  The
# factor is the same for a hop and its reverse (the vacancy is alone at both ends in either
# direction: at v all in-box neighbours are metal, at j all but v), so detailed balance and the
# equilibrium are untouched; clusters (voids) keep their physical hop rates.  Both conditions
# read only the two ends' words, which the refresh reach already covers.
@kernel_inlined
def metal_neighbours(site_word, s):
    """Number of first neighbours of s holding metal (host or solute), as stored in s's word."""
    w = site_word[np.uint64(s)]
    return np.int64(((w >> (COUNT_BITS * HOST)) & 15) + ((w >> (COUNT_BITS * SOLUTE)) & 15))


@kernel_inlined
def deep_hop_factor(lv, metal_v, lj, metal_j, m):
    """Rate factor of the hop of the atom at j (layer lj, metal_j metal neighbours) into the
    vacancy at v (layer lv, metal_v metal neighbours, the atom included)."""
    if (lv >= m.deep_first_layer and lj >= m.deep_first_layer and metal_v == m.layer_neighbours[lv]
            and metal_j == m.layer_neighbours[lj] - 1):
        return m.deep_hop_factor
    return 1.0


@kernel_inlined
def deep_hop_factor_at(v, lv, j, lj, site_word, m):
    """deep_hop_factor for the hop of the atom at site j (layer lj) into the vacancy at v (lv)."""
    if m.deep_hop_factor == 1.0:
        return 1.0
    return deep_hop_factor(lv, metal_neighbours(site_word, v), lj, metal_neighbours(site_word, j), m)


@kernel_inlined
def _row_total(rates, k_row):
    """A rate row's sum in slot order (the rate kernels' order, so an unchanged row keeps its bits)."""
    total = 0.0
    for d in range(8):
        total += rates[k_row, d]
    return total + rates[k_row, EXIT_SLOT]


@kernel_inlined
def deep_row(fv, nv, site_word, nbr, spl, m, rates, k_row, total):
    """Apply deep_hop_factor to the hop slots of the vacancy with frame fv (neighbours nv) just
    written to rates[k_row] (callers test m.deep_hop_factor != 1.0 first); returns the row's sum,
    added up again if a slot changed."""
    lv = fv[1]
    if lv < m.deep_first_layer or metal_neighbours(site_word, fv[0]) != m.layer_neighbours[lv]:
        return total
    scaled = False
    for d in range(8):
        j = nv[d]
        if j >= 0 and rates[k_row, d] != 0.0:
            lj = neighbour_layer(fv, d, j, nbr, spl)
            if lj >= m.deep_first_layer and metal_neighbours(site_word, j) == m.layer_neighbours[lj] - 1:
                rates[k_row, d] *= m.deep_hop_factor
                scaled = True
    return _row_total(rates, k_row) if scaled else total


@kernel_inlined
def deep_row_interior(v, nv, site_word, m, rates, k_row, total):
    """deep_row for a vacancy of the engine's interior fast path (kmc.engine.layer_kinds: every
    layer within its reach follows the bulk rule, so both ends of each hop are deep and have 8
    neighbours in the box)."""
    if metal_neighbours(site_word, v) != 8:
        return total
    scaled = False
    for d in range(8):
        if rates[k_row, d] != 0.0 and metal_neighbours(site_word, nv[d]) == 7:
            rates[k_row, d] *= m.deep_hop_factor
            scaled = True
    return _row_total(rates, k_row) if scaled else total


@kernel_inlined
def deep_hop_factor_interior(v, j, site_word, m):
    """deep_hop_factor for a hop of the interior fast path (see deep_row_interior)."""
    if m.deep_hop_factor == 1.0:
        return 1.0
    if metal_neighbours(site_word, v) == 8 and metal_neighbours(site_word, j) == 7:
        return m.deep_hop_factor
    return 1.0


RATE_CACHE_SIZE = 4096  # direct-mapped memo of exp(-Ea/kT): a run sees only a few hundred Ea values


@kernel_inlined
def arrhenius_memo(ea, nu, inv_kT, memo_key, memo_val):
    """nu*exp(-ea*inv_kT), memoised on the exact bits of ea (so results equal the direct call)."""
    bits = np.int64(np.float64(ea).view(np.int64))
    h = (bits ^ (bits >> 29) ^ (bits >> 41)) & (RATE_CACHE_SIZE - 1)
    if memo_key[h] == bits:
        return memo_val[h]
    r = nu * np.exp(-ea * inv_kT)
    memo_key[h] = bits
    memo_val[h] = r
    return r


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
    engine.run_chunk), most likely because numba hands every array of a group, as seven values,
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
    """Embedding energy change of the site s (in ``layer``) when one of its metal neighbours
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
            loss += embed_loss_eV(site_word, n, neighbour_layer(f, e, n, nbr, spl), m)
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


# ----------------------------------------------------------------------------- near the interface
# Bond classes of pair_eV, indexed with the site whose sum is being formed (the hopping atom's end,
# the removed atom's site) first.  In BCC [001] every first-neighbour bond joins adjacent layers, so a
# bond touching L1 joins L1 and L2: pair_eV[BOND_L1_L2][A][B] is A in L1 and B in L2, pair_eV[BOND_L2_L1]
# its transpose; on [110] L1 also bonds within L1 (BOND_L1_L1, symmetric).  Metal pairs are the same
# in all three; the interface solute-vacancy term q acts between an L1 vacancy and a solute first
# neighbour (in L2, or in L1 on [110]), not between an L1 solute and an L2 vacancy (docs/energy_model.md).
BOND_BULK, BOND_L1_L2, BOND_L2_L1, BOND_L1_L1 = 0, 1, 2, 3


@kernel_inlined
def bond_class(first_layer, other_in_l1):
    """Class of the bond between a site in ``first_layer`` and a first neighbour of it, which is in
    L1 if ``other_in_l1`` (L1 holds the first sites_per_layer sites: ``other < spl``)."""
    if first_layer == 0:
        return BOND_L1_L1 if other_in_l1 else BOND_L1_L2
    return BOND_L2_L1 if other_in_l1 else BOND_BULK


@kernel_inlined
def hop_bond_change_eV(lv, j, x, spl, pair):
    """Change of the bond between the two ends of a hop of x from j into the vacancy at v (layer lv):
    it holds (vacancy, x) before and (x, vacancy) after, the same pair in the bulk but not across
    L1-L2, where the solute-vacancy term has an orientation (bond_class)."""
    c = bond_class(lv, j < spl)
    return pair[c, x, VACANCY] - pair[c, VACANCY, x]


@kernel_inlined
def _l1_shell_change_eV(s, new, old, site_word, table, w):
    """One shell of l1_pair_change_eV: the L1 neighbours of s in ``table``, energies w[A][B]."""
    n_vac = 0
    n_host = 0
    n_sol = 0
    for c in range(table.shape[1]):
        q = table[s, c]
        if q >= 0:
            sp = species_at(site_word, q)
            if sp == VACANCY:
                n_vac += 1
            elif sp == HOST:
                n_host += 1
            else:
                n_sol += 1
    return ((w[new, VACANCY] - w[old, VACANCY]) * n_vac
            + (w[new, HOST] - w[old, HOST]) * n_host
            + (w[new, SOLUTE] - w[old, SOLUTE]) * n_sol)


@kernel_inlined
def l1_pair_change_eV(s, new, old, site_word, g, m):
    """Change of the L1 in-plane pair term when the L1 site s turns from species ``old`` to ``new``:
    over its L1 neighbours q at a (g.l1_second) and, if m.l1_shells == 2, at a sqrt2 (g.l1_third),
    the sum of l1_pair_eV[shell][new][q] - l1_pair_eV[shell][old][q], formed as a count per species
    times the difference (with only the vacancy pair at a nonzero this is -p * (vacant
    neighbours), the bits of the term before species pairs)."""
    dE = _l1_shell_change_eV(s, new, old, site_word, g.l1_second, m.l1_pair_eV[0])
    if m.l1_shells == 2:
        dE += _l1_shell_change_eV(s, new, old, site_word, g.l1_third, m.l1_pair_eV[1])
    return dE


@kernel_inlined
def hop_energy_change_eV(fv, nv, fj, x, site_word, g, m, with_embedding):
    """Energy change (eV) when atom x at j hops into the vacancy at v (frames fv, fj), and whether
    a solute other than x neighbours either end; nv holds v's neighbours (neighbour_sites), named
    once for all 8 slots of v.

    Sums, bond by bond with its class, what x gains around v (except the j-v bond, which stays an
    x-vacancy pair: it changes only in its orientation across L1-L2, hop_bond_change_eV) and loses
    around j, plus the site terms and the L1 in-plane pair term.  With an
    embedding term, every metal neighbour k of v other than j gains a metal neighbour and every
    metal neighbour of j other than v loses one (v and j share no neighbour: BCC's neighbour graph
    is bipartite), and x trades its embedding at j (n_j neighbours) for that at v (n_v - 1: v's
    stored count includes x at j); the counts are those stored in the words before the hop.
    ``with_embedding`` (the energy form) is passed as a constant by every caller, so that the
    compiled bond-form path carries none of the embedding's tests (7 % of a slab event).
    """
    nbr, nx, spl = g.neighbours, g.nx, g.sites_per_layer
    pair, site = m.pair_eV, m.site_eV
    embed, layer_class = m.embed_eV, m.layer_class
    v, lv = fv[0], fv[1]
    j, lj = fj[0], fj[1]
    dE = site[lv, x] + site[lj, VACANCY] - site[lv, VACANCY] - site[lj, x]
    if lv == 0 or lj == 0:
        dE += hop_bond_change_eV(lv, j, x, spl, pair)
    near_solute = False
    for e in range(8):
        n = nv[e]
        if n >= 0 and n != j:
            sp = species_at(site_word, n)
            c = bond_class(lv, n < spl)
            dE += pair[c, x, sp] - pair[c, VACANCY, sp]
            if sp == SOLUTE:
                near_solute = True
            if with_embedding and sp != VACANCY:
                cn = layer_class[neighbour_layer(fv, e, n, nbr, spl)]
                k = metal_neighbours(site_word, n)
                dE += embed[sp, cn, k + 1] - embed[sp, cn, k]
        n = neighbour(fj, e, nbr, nx, spl)
        if n >= 0 and n != v:
            sp = species_at(site_word, n)
            c = bond_class(lj, n < spl)
            dE += pair[c, VACANCY, sp] - pair[c, x, sp]
            if sp == SOLUTE:
                near_solute = True
            if with_embedding and sp != VACANCY:
                cn = layer_class[neighbour_layer(fj, e, n, nbr, spl)]
                k = metal_neighbours(site_word, n)
                dE += embed[sp, cn, k - 1] - embed[sp, cn, k]
    if with_embedding:
        dE += (embed[x, layer_class[lv], metal_neighbours(site_word, v) - 1]
               - embed[x, layer_class[lj], metal_neighbours(site_word, j)])
    if m.l1_shells > 0:
        if lv == 0:
            dE += l1_pair_change_eV(v, x, VACANCY, site_word, g, m)
        if lj == 0:
            dE += l1_pair_change_eV(j, VACANCY, x, site_word, g, m)
    return dE, near_solute


@kernel_inlined
def interface_hop_rate(fv, nv, fj, x, site_word, g, m, with_embedding):
    """Rate of atom x at j hopping into the vacancy at v where a bond or site term is not bulk
    (``with_embedding``: a constant, see hop_energy_change_eV)."""
    dE, near_solute = hop_energy_change_eV(fv, nv, fj, x, site_word, g, m, with_embedding)
    ea = barrier_eV(dE, kra_eV(x, near_solute, m.kra_eV))
    return arrhenius_memo(ea, m.nu_Hz, m.inv_kT, m.memo_key, m.memo_val)


@kernel_inlined
def _bond_interface_vacancy_rates(fv, site_word, g, m, rates, k_row):
    """vacancy_rates near the interface for the bond form (with an embedding:
    _embedding_interface_vacancy_rates)."""
    nbr, nx, spl = g.neighbours, g.nx, g.sites_per_layer
    lv = fv[1]
    total = 0.0
    nv = neighbour_sites(fv, nbr, nx, spl)
    for d in range(8):
        j = nv[d]
        r = 0.0
        if j >= 0:
            x = species_at(site_word, j)
            if x != VACANCY:
                fj = neighbour_frame(fv, d, j, g.table, nx, g.ny, spl, g.n_layers, g.wrap_z)
                r = interface_hop_rate(fv, nv, fj, x, site_word, g, m, False)
        rates[k_row, d] = r
        total += r
    r = m.exit_per_s if lv == g.n_layers - 1 else 0.0
    rates[k_row, EXIT_SLOT] = r
    total += r
    if m.deep_hop_factor != 1.0:
        total = deep_row(fv, nv, site_word, nbr, spl, m, rates, k_row, total)
    return total


@kernel_inlined
def _embedding_interface_vacancy_rates(fv, site_word, g, m, rates, k_row):
    """vacancy_rates near the interface with an embedding: hop_energy_change_eV's terms, with the
    sums over v's neighbours (what x gains there: pairs for either species, the neighbours' added
    coordination, the solutes nearby) taken once over all 8 and j's own term taken out per hop.
    On the model's energy grid the regrouping leaves every dE's bits unchanged."""
    nbr, nx, spl = g.neighbours, g.nx, g.sites_per_layer
    pair, site, embed, layer_class = m.pair_eV, m.site_eV, m.embed_eV, m.layer_class
    v, lv = fv[0], fv[1]
    nv = neighbour_sites(fv, nbr, nx, spl)
    pair_host = 0.0
    pair_solute = 0.0
    gain = 0.0
    n_solute = 0
    for e in range(8):
        n = nv[e]
        if n >= 0:
            sp = species_at(site_word, n)
            c = bond_class(lv, n < spl)
            pair_host += pair[c, HOST, sp] - pair[c, VACANCY, sp]
            pair_solute += pair[c, SOLUTE, sp] - pair[c, VACANCY, sp]
            if sp != VACANCY:
                n_solute += 1 if sp == SOLUTE else 0
                cn = layer_class[neighbour_layer(fv, e, n, nbr, spl)]
                k = metal_neighbours(site_word, n)
                gain += embed[sp, cn, k + 1] - embed[sp, cn, k]
    n_v = metal_neighbours(site_word, v)
    cv = layer_class[lv]
    # the in-plane pair term at v, per hopping species (0 unless v is in L1)
    l1_v_host = 0.0
    l1_v_solute = 0.0
    if m.l1_shells > 0 and lv == 0:
        l1_v_host = l1_pair_change_eV(v, HOST, VACANCY, site_word, g, m)
        l1_v_solute = l1_pair_change_eV(v, SOLUTE, VACANCY, site_word, g, m)
    total = 0.0
    for d in range(8):
        j = nv[d]
        r = 0.0
        if j >= 0:
            x = species_at(site_word, j)
            if x != VACANCY:
                lj = neighbour_layer(fv, d, j, nbr, spl)
                c = bond_class(lv, j < spl)
                cj = layer_class[lj]
                n_j = metal_neighbours(site_word, j)
                dE = (site[lv, x] + site[lj, VACANCY] - site[lv, VACANCY] - site[lj, x]
                      + ((pair_host if x == HOST else pair_solute) - (pair[c, x, x] - pair[c, VACANCY, x]))
                      + (gain - (embed[x, cj, n_j + 1] - embed[x, cj, n_j]))
                      + (embed[x, cv, n_v - 1] - embed[x, cj, n_j])
                      + (l1_v_host if x == HOST else l1_v_solute))
                if lv == 0 or lj == 0:
                    dE += hop_bond_change_eV(lv, j, x, spl, pair)
                near_solute = n_solute - (1 if x == SOLUTE else 0) > 0 or neighbour_count(site_word, j, SOLUTE) > 0
                # what j's neighbours lose: their embedding, and x's pairs with them, from j's
                # counts where no bond of j's touches L1 (bulk pairs with a vacancy are zero)
                fj = neighbour_frame(fv, d, j, g.table, nx, g.ny, spl, g.n_layers, g.wrap_z)
                dE += loss_sum_eV(fj, site_word, g, m)
                if lj >= 2:
                    dE -= (pair[0, x, HOST] * neighbour_count(site_word, j, HOST)
                           + pair[0, x, SOLUTE] * neighbour_count(site_word, j, SOLUTE))
                else:
                    for e in range(8):
                        n = neighbour(fj, e, nbr, nx, spl)
                        if n >= 0 and n != v:
                            sp = species_at(site_word, n)
                            cb = bond_class(lj, n < spl)
                            dE += pair[cb, VACANCY, sp] - pair[cb, x, sp]
                if m.l1_shells > 0 and lj == 0:
                    dE += l1_pair_change_eV(j, VACANCY, x, site_word, g, m)
                ea = barrier_eV(dE, kra_eV(x, near_solute, m.kra_eV))
                r = arrhenius_memo(ea, m.nu_Hz, m.inv_kT, m.memo_key, m.memo_val)
        rates[k_row, d] = r
        total += r
    r = m.exit_per_s if lv == g.n_layers - 1 else 0.0
    rates[k_row, EXIT_SLOT] = r
    total += r
    if m.deep_hop_factor != 1.0:
        total = deep_row(fv, nv, site_word, nbr, spl, m, rates, k_row, total)
    return total


# One per energy form: the engine calls the running form's (kmc.engine.form_markers), so that a run
# inlines and compiles only its own form's rate code.
@kernel_inlined
def bond_vacancy_rates(fv, site_word, g, m, rates, k_row):
    """Fill rates[k_row, 0:9] with the rates of the vacancy with frame fv; return their sum.
    The bond form: in the bulk (no interface bond, no site term at either end) a hop's rate
    depends only on the moving species and on its neighbour-count differences, and is read from
    the model's table.

    Inlined into the one loop that uses it (kmc.engine._run_work), so that the groups it reads
    are not passed at every vacancy: a call flattens every array of Geometry and RateModel into
    its arguments (about 150 values), which cost the bond-form slab 17 % of its time.
    """
    if m.layer_kind[fv[1]] != LAYER_INTERFACE:
        return bulk_vacancy_rates(fv, site_word, g.neighbours, g.nx, g.sites_per_layer, m, rates, k_row)
    return _bond_interface_vacancy_rates(fv, site_word, g, m, rates, k_row)


@kernel_inlined
def embedding_vacancy_rates(fv, site_word, g, m, rates, k_row):
    """bond_vacancy_rates with an embedding term: in the bulk from counts and neighbour sums."""
    if m.layer_kind[fv[1]] != LAYER_INTERFACE:
        return bulk_embedding_vacancy_rates(fv, site_word, g, m, rates, k_row)
    return _embedding_interface_vacancy_rates(fv, site_word, g, m, rates, k_row)


@kernel_inlined
def bond_hop_rate_into(fn, b, mv, x, site_word, g, m):
    """Rate of atom x at the site with frame fn hopping into the vacancy mv, its neighbour in slot b
    (the bond form)."""
    nbr, nx, spl = g.neighbours, g.nx, g.sites_per_layer
    lm = neighbour_layer(fn, b, mv, nbr, spl)
    if m.layer_kind[lm] != LAYER_INTERFACE:
        return bulk_hop_rate_into(fn, mv, lm, site_word, m)
    fm = neighbour_frame(fn, b, mv, g.table, nx, g.ny, spl, g.n_layers, g.wrap_z)
    r = interface_hop_rate(fm, neighbour_sites(fm, nbr, nx, spl), fn, x, site_word, g, m, False)
    return r * deep_hop_factor_at(mv, lm, fn[0], fn[1], site_word, m)


@kernel_inlined
def embedding_hop_rate_into(fn, b, mv, x, site_word, g, m):
    """bond_hop_rate_into with an embedding term."""
    nbr, nx, spl = g.neighbours, g.nx, g.sites_per_layer
    lm = neighbour_layer(fn, b, mv, nbr, spl)
    fm = neighbour_frame(fn, b, mv, g.table, nx, g.ny, spl, g.n_layers, g.wrap_z)
    if m.layer_kind[lm] != LAYER_INTERFACE:
        r = bulk_embedding_hop_rate(x, site_word[np.uint64(mv)], site_word[np.uint64(fn[0])],
                                    embed_gain_sum(site_word, neighbour_sites(fm, nbr, nx, spl), m),
                                    loss_sum_eV(fn, site_word, g, m), m)
    else:
        r = interface_hop_rate(fm, neighbour_sites(fm, nbr, nx, spl), fn, x, site_word, g, m, True)
    return r * deep_hop_factor_at(mv, lm, fn[0], fn[1], site_word, m)


# ----------------------------------------------------------------------------- the macroscopic classes
# The rules of the event classes that are not a vacancy's hop (kmc.events applies them).  Their
# totals come from kmc.model.build_event_rates (1/s, acceleration included), which these
# complete with what depends on the box's state.
@kernel_inlined
def creep_bound_per_s(k_full_per_s, stress_exponent, n_contact, spl, n_l1_vac):
    """Creep's thinning bound (1/s): a site of an interface void of N L1 sites is refilled at
    k sqrt(N), k = k_full_per_s cf**-n (kmc.model.creep_closure_per_void_site_per_s at full
    contact; the local stress grows as the contact fraction cf = metal L1 atoms / L1 sites falls,
    so power-law creep with exponent n speeds up as cf**-n: kmc.physics.creep.focusing_factor; the
    closure velocity grows with the void's width, as sqrt(N)).  N <= n_l1 (every L1 vacancy in one
    void), so n_l1 k sqrt(n_l1) bounds the total, and creep_refill_accepted thins it to the law."""
    if k_full_per_s > 0.0 and n_l1_vac > 0:
        cf = max(n_contact, 1) / spl
        return k_full_per_s * focusing_factor(cf, stress_exponent) * n_l1_vac * np.sqrt(n_l1_vac)
    return 0.0


@kernel_inlined
def creep_void_sites_needed(u, n_l1_vac):
    """Thinning of creep_bound_per_s: an L1 vacancy drawn uniformly, in a void of N sites, is
    refilled with probability sqrt(N / n_l1), i.e. when N >= this number of sites (u uniform in
    [0, 1)); 1 accepts whatever the void."""
    return int(u * u * n_l1_vac) + 1


@kernel_inlined
def exit_replacement_species(u, x_top):
    """The atom that takes the place of a vacancy leaving through the box bottom: drawn from the
    electrode's top continuum cell, solute with its solute fraction x_top (u uniform in [0, 1))."""
    return SOLUTE if u < x_top else HOST


@kernel_inlined
def exchange_total_per_s(exchange_per_site_per_s, spl):
    """Total rate of the solute exchange between the bottom layer and the electrode's top cell:
    kmc.electrode's rate per bottom site over the spl bottom sites."""
    return exchange_per_site_per_s * spl


@kernel_inlined
def exchange_new_species(x, u, x_top):
    """The species a bottom site of species x holds after an exchange draw u (uniform in [0, 1)):
    a host becomes a solute with probability x_top, a solute a host with 1 - x_top (so the bottom
    layer relaxes to the top cell's fraction); otherwise, and on a vacancy, x stays (a null event)."""
    if x == HOST and u < x_top:
        return SOLUTE
    if x == SOLUTE and u < 1.0 - x_top:
        return HOST
    return x


# ----------------------------------------------------------------------------- stripping
@kernel_inlined
def removal_energy_eV(f, x, site_word, g, m, with_embedding):
    """Energy change (eV) of the metal when the atom x at the L1 site with frame f leaves it
    (stripping): the configuration energy with the site vacant minus with x there, in the local
    form of EnergyModel.total_energy (tests check the two against each other).  The stripped
    ion's energy in the electrolyte is the same for every site and cancels in the galvanostatic
    normalisation (strip_site_weight).

    The terms of hop_energy_change_eV's atom side: x's bonds with its neighbours become vacancy
    bonds, its site term becomes the vacancy's, each metal neighbour loses one metal neighbour
    of embedding and x's own embedding goes; the L1 vacancy-pair term gains one pair per vacant
    L1 second neighbour.  It reads the words of the site and of its first neighbours and the L1
    second neighbours: every site within two first-neighbour steps (kmc.engine marks the L1
    sites that far from a changed site for a new weight)."""
    nbr, nx, spl = g.neighbours, g.nx, g.sites_per_layer
    pair, embed, layer_class = m.pair_eV, m.embed_eV, m.layer_class
    s, ls = f[0], f[1]
    dE = m.site_eV[ls, VACANCY] - m.site_eV[ls, x]
    for e in range(8):
        n = neighbour(f, e, nbr, nx, spl)
        if n >= 0:
            sp = species_at(site_word, n)
            c = bond_class(ls, n < spl)
            dE += pair[c, VACANCY, sp] - pair[c, x, sp]
            if with_embedding and sp != VACANCY:
                k = metal_neighbours(site_word, n)
                cn = layer_class[neighbour_layer(f, e, n, nbr, spl)]
                dE += embed[sp, cn, k - 1] - embed[sp, cn, k]
    if with_embedding:
        dE -= embed[x, layer_class[ls], metal_neighbours(site_word, s)]
    if m.l1_shells > 0 and ls == 0:
        dE += l1_pair_change_eV(s, VACANCY, x, site_word, g, m)
    return dE


@kernel_inlined
def strip_site_weight(removal_eV, activation_per_eV):
    """Relative stripping rate of a joined L1 host atom whose removal costs removal_eV.

    Butler-Volmer with a site activation: the anodic rate of a site is k0 exp(-alpha dG/kT)
    exp(alpha F eta/RT), and galvanostatic control sets eta so that the sites' rates add up to
    the current; so a site's share is its exp(-alpha dG/kT) over the sum (kmc.engine keeps the
    sum), activation_per_eV = alpha/kT.  dG differs from removal_eV by the ion's energy in the
    electrolyte, the same at every site, which cancels in the shares.  With the plating rate's
    exp(+(1 - alpha) dG/kT), forward over reverse is exp(-dG/kT) for any alpha: detailed balance
    between stripping and plating at one site.  Removal energies of a few eV give weights far
    inside float64's range (exp(-80) at 4 eV and alpha/kT = 20/eV)."""
    return np.exp(-activation_per_eV * removal_eV)


@kernel_inlined
def host_strip_weight(f, site_word, g, m, with_embedding, activation_per_eV):
    """The strip weight of the L1 site with frame f: strip_site_weight of its removal energy if a
    host atom sits there, 0 on a vacancy or a solute atom (never stripped).  ``with_embedding``
    is a constant of each caller, as in hop_energy_change_eV."""
    if species_at(site_word, f[0]) != HOST:
        return 0.0
    return strip_site_weight(removal_energy_eV(f, HOST, site_word, g, m, with_embedding), activation_per_eV)
