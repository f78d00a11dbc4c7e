"""The deep box's speed-up of a lone vacancy's hops (kmc.model.deep_box)."""
from __future__ import annotations

import numpy as np

from kmc.jit import kernel_inlined
from kmc.rate_rules.hops import EXIT_SLOT
from kmc.sites import COUNT_BITS
from kmc.species import HOST, SOLUTE
from lattices.neighbours import neighbour_layer

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
    """deep_row for a vacancy of the engine's interior fast path (kmc.engine.refresh.layer_kinds: every
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
