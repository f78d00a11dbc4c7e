"""Fast reversible events: the process type of a hop, whose rate constants the engine may scale
(run.fast_event_scaling; the policy is kmc.engine.fast, after Dybeck, Plaisance & Neurock, J. Chem.
Theory Comput. 13, 1525 (2017); docs/physics.md section 12).

A type is a reaction channel, not a bond: every hop of the same species between the same two layers
whose atom has the same metal coordination at its upper and at its lower end (and, for a hop out of
or into L1, the same kind of L1 site: under the electrolyte or at a pore's mouth).  A hop and its
reverse have the same type (the atom's coordination at the end it leaves is, after the hop, its
coordination at the end it returns to), and run in its two directions: down (into the layer further
from the electrolyte) and up.  Scaling a type's rates by one factor therefore divides a hop's rate
and its reverse's alike, which keeps exp(-dE/kT) between them: detailed balance and the equilibrium
distribution are kept exactly, whatever the factors.

A lone vacancy's hop (no other vacancy next to either end: the atom fully coordinated in the box at both
ends, RateModel.layer_neighbours) is never typed: it is how the stripped vacancies cross
the contact to the pore's void, the slow process itself.  On [001] every hop changes layer, so a vacancy
crossing L1 and L2 sideways alternates down and up hops: its type would pass the balance test while it
carries the whole flux, and scaling it slowed the crossing (3x more vacancies in transit on 8 x 8 x 6 cells
at 1 monolayer; docs/pore_edge.md section 3).

Only hops with both ends in the leading interface layers are typed (RateModel.fast_layers: the
layers whose rates the general rule computes; the bulk table's are never scaled).  fast_layers 0
(the key off) compiles nothing in: no multiplication, the rates' bits of before.
"""
from __future__ import annotations

import numpy as np

from kmc.jit import kernel_inlined
from kmc.rate_rules.deep import metal_neighbours
from kmc.species import SOLUTE
from lattices.neighbours import in_contact

# The deepest layer a typed hop may reach (the typed layers are min(this, the leading interface layers)).
FAST_MAX_LAYERS = 8
# Coordinations 0..7 at each end (the other end is the vacancy), 2 species, 2 kinds of upper site.
N_COORD = 8
N_FAST_TYPES = 2 * (FAST_MAX_LAYERS - 1) * 2 * N_COORD * N_COORD
FAST_DOWN, FAST_UP = 0, 1


@kernel_inlined
def fast_type(v, lv, j, lj, x, site_word, g, m):
    """(type, direction) of the hop of atom x at site j (layer lj) into the vacancy at v (layer lv),
    or (-1, 0) for a hop that is not typed (an end below RateModel.fast_layers, or both ends in one
    layer).  The configuration is the one before the hop."""
    d_layers = m.fast_layers
    if lv >= d_layers or lj >= d_layers or lv == lj:
        return -1, FAST_DOWN
    c_j = metal_neighbours(site_word, j)           # the atom's coordination where it is
    c_v = metal_neighbours(site_word, v) - 1       # and where it goes (its own site then vacant)
    if c_j == m.layer_neighbours[lj] - 1 and c_v == m.layer_neighbours[lv] - 1:
        return -1, FAST_DOWN                       # a lone vacancy's hop: the slow transport (module docstring)
    if lj < lv:
        upper, c_up, c_low, direction = j, c_j, c_v, FAST_DOWN
    else:
        upper, c_up, c_low, direction = v, c_v, c_j, FAST_UP
    top = min(lv, lj)
    contact = 1 if top == 0 and in_contact(upper, g.sites_per_layer, g.l1_open) else 0
    species = 1 if x == SOLUTE else 0
    t = (((species * (FAST_MAX_LAYERS - 1) + top) * 2 + contact) * N_COORD + c_up) * N_COORD + c_low
    return np.int64(t), direction


@kernel_inlined
def fast_scaled(r, v, lv, j, lj, x, site_word, g, m):
    """The rate r of a hop (fast_type's arguments) times its type's factor (RateModel.fast_scale)."""
    if m.fast_layers > 0:
        t, _ = fast_type(v, lv, j, lj, x, site_word, g, m)
        if t >= 0:
            return r * m.fast_scale[t]
    return r
