"""A vacancy's hop: the barrier and KRA rules (written once: the model's tables, the engine and the
tests' oracle call them), what the rate kernels read (``RateModel``) and the memo of exp(-Ea/kT)."""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from kmc.jit import kernel, kernel_inlined
from kmc.species import SOLUTE
from lattices.neighbours import at_pore_mouth

N_SLOTS = 9      # 8 first-neighbour hops and the exit into the bulk below the box
EXIT_SLOT = 8

# Per layer, whether a vacancy's hops read the bulk table (no interface bond or site term can
# touch them) or need the local energy difference; the engine adds two kinds of table layers
# deep enough for its fast paths: every layer within reach is a table layer without (INTERIOR)
# or only across (SEAM) the z wrap of a periodic box (kmc.engine.refresh.layer_kinds).
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
#                  site_eV and layer_class have one row more than the box has layers: row n_layers is
#                  an L1 site's at a pore's mouth (no electrolyte above: no site term, the bulk class;
#                  energy_row picks a site's row)
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
#   fast_layers, fast_scale, fast_counts  fast reversible events (kmc.rate_rules.fast, kmc.engine.fast): hops
#                  with both ends in layers < fast_layers (0: off) run at fast_scale[type] (<= 1) of their
#                  rate; the engine counts their executions per type and direction in fast_counts
#                  (int64 (N_FAST_TYPES, 2); mutable, travels in checkpoints, as fast_scale)
RateModel = namedtuple("RateModel", ["pair_eV", "site_eV", "l1_pair_eV", "l1_shells", "kra_eV", "nu_Hz",
                                     "inv_kT", "exit_per_s", "bulk_rates", "layer_kind", "memo_key", "memo_val",
                                     "embed_eV", "layer_class",
                                     "bulk_by_word",
                                     "deep_first_layer", "deep_hop_factor", "layer_neighbours",
                                     "fast_layers", "fast_scale", "fast_counts"])


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


@kernel_inlined
def energy_row(s, layer, g):
    """The row of the per-layer energy tables (RateModel.site_eV, layer_class) that site s in
    ``layer`` reads: its layer, except an L1 site at a pore's mouth (Geometry.l1_open), which reads
    the row n_layers: no electrolyte above it, so no site term, the bulk class of the embedding and
    bulk bonds (bond_class); its metal is a free surface of the model's own fitted energy
    (kmc.pore, docs/pore_edge.md)."""
    if layer == 0 and at_pore_mouth(s, g.l1_open):
        return g.n_layers
    return layer


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
