"""Hops near the interface: the local form of the configuration energy difference of a hop
(``hop_energy_change_eV``; kmc.model.EnergyModel.total_energy is the reference it must equal) and a
vacancy's rate row and slots from it."""
from __future__ import annotations

import numpy as np

from kmc.jit import kernel_inlined
from kmc.rate_rules.hops import EXIT_SLOT, LAYER_INTERFACE, arrhenius_memo, barrier_eV, energy_row, kra_eV
from kmc.rate_rules.deep import deep_hop_factor_at, deep_row, metal_neighbours
from kmc.rate_rules.fast import fast_scaled
from kmc.rate_rules.bulk import (bulk_embedding_hop_rate, bulk_embedding_vacancy_rates, bulk_hop_rate_into,
                                 bulk_vacancy_rates, embed_gain_sum, loss_sum_eV)
from kmc.sites import neighbour_count, species_at
from kmc.species import HOST, SOLUTE, VACANCY
from lattices.neighbours import at_pore_mouth, in_contact, neighbour, neighbour_frame, neighbour_layer, neighbour_sites

# ----------------------------------------------------------------------------- near the interface
# Bond classes of pair_eV, indexed with the site whose sum is being formed (the hopping atom's end,
# the removed atom's site) first.  In BCC [001] every first-neighbour bond joins adjacent layers, so a
# bond touching L1 joins L1 and L2: pair_eV[BOND_L1_L2][A][B] is A in L1 and B in L2, pair_eV[BOND_L2_L1]
# its transpose; on [110] L1 also bonds within L1 (BOND_L1_L1, symmetric).  Metal pairs are the same
# in all three; the interface solute-vacancy term q acts between an L1 vacancy and a solute first
# neighbour (in L2, or in L1 on [110]), not between an L1 solute and an L2 vacancy (docs/energy_model.md).
# "L1" here is the contact: an L1 site at a pore's mouth (no electrolyte above, Geometry.l1_open) is
# a free surface of the metal, and its bonds are bulk bonds (energy_row, lattices.neighbours.in_contact).
BOND_BULK, BOND_L1_L2, BOND_L2_L1, BOND_L1_L1 = 0, 1, 2, 3


@kernel_inlined
def bond_class(first_row, other_in_contact):
    """Class of the bond between a site of energy row ``first_row`` (energy_row: 0 for a contact
    site) and a first neighbour of it, which is a contact site (in L1 under the electrolyte:
    lattices.neighbours.in_contact) if ``other_in_contact``."""
    if first_row == 0:
        return BOND_L1_L1 if other_in_contact else BOND_L1_L2
    return BOND_L2_L1 if other_in_contact else BOND_BULK


@kernel_inlined
def hop_bond_change_eV(ev, j_in_contact, x, pair):
    """Change of the bond between the two ends of a hop of x from j into the vacancy at v (energy
    row ev): it holds (vacancy, x) before and (x, vacancy) after, the same pair in the bulk but not
    across L1-L2, where the solute-vacancy term has an orientation (bond_class)."""
    c = bond_class(ev, j_in_contact)
    return pair[c, x, VACANCY] - pair[c, VACANCY, x]


@kernel_inlined
def _l1_shell_change_eV(s, new, old, site_word, table, w, l1_open):
    """One shell of l1_pair_change_eV: the contact neighbours of s in ``table`` (L1 neighbours not
    at a pore's mouth), energies w[A][B]."""
    n_vac = 0
    n_host = 0
    n_sol = 0
    for c in range(table.shape[1]):
        q = table[s, c]
        if q >= 0 and not at_pore_mouth(q, l1_open):
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
    """Change of the L1 in-plane pair term when the contact site s turns from species ``old`` to
    ``new``: over its contact neighbours q at a (g.l1_second) and, if m.l1_shells == 2, at a sqrt2
    (g.l1_third), the sum of l1_pair_eV[shell][new][q] - l1_pair_eV[shell][old][q], formed as a
    count per species times the difference (with only the vacancy pair at a nonzero this is -p *
    (vacant neighbours), the bits of the term before species pairs).  The pairs are terms of the
    contact: a site at a pore's mouth has none (g.l1_open)."""
    dE = _l1_shell_change_eV(s, new, old, site_word, g.l1_second, m.l1_pair_eV[0], g.l1_open)
    if m.l1_shells == 2:
        dE += _l1_shell_change_eV(s, new, old, site_word, g.l1_third, m.l1_pair_eV[1], g.l1_open)
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
    nbr, nx, spl, l1_open = g.neighbours, g.nx, g.sites_per_layer, g.l1_open
    pair, site = m.pair_eV, m.site_eV
    embed, layer_class = m.embed_eV, m.layer_class
    v, lv = fv[0], fv[1]
    j, lj = fj[0], fj[1]
    ev, ej = energy_row(v, lv, g), energy_row(j, lj, g)
    dE = site[ev, x] + site[ej, VACANCY] - site[ev, VACANCY] - site[ej, x]
    if ev == 0 or ej == 0:
        dE += hop_bond_change_eV(ev, in_contact(j, spl, l1_open), x, pair)
    near_solute = False
    for e in range(8):
        n = nv[e]
        if n >= 0 and n != j:
            sp = species_at(site_word, n)
            c = bond_class(ev, in_contact(n, spl, l1_open))
            dE += pair[c, x, sp] - pair[c, VACANCY, sp]
            if sp == SOLUTE:
                near_solute = True
            if with_embedding and sp != VACANCY:
                cn = layer_class[energy_row(n, neighbour_layer(fv, e, n, nbr, spl), g)]
                k = metal_neighbours(site_word, n)
                dE += embed[sp, cn, k + 1] - embed[sp, cn, k]
        n = neighbour(fj, e, nbr, nx, spl)
        if n >= 0 and n != v:
            sp = species_at(site_word, n)
            c = bond_class(ej, in_contact(n, spl, l1_open))
            dE += pair[c, VACANCY, sp] - pair[c, x, sp]
            if sp == SOLUTE:
                near_solute = True
            if with_embedding and sp != VACANCY:
                cn = layer_class[energy_row(n, neighbour_layer(fj, e, n, nbr, spl), g)]
                k = metal_neighbours(site_word, n)
                dE += embed[sp, cn, k - 1] - embed[sp, cn, k]
    if with_embedding:
        dE += (embed[x, layer_class[ev], metal_neighbours(site_word, v) - 1]
               - embed[x, layer_class[ej], metal_neighbours(site_word, j)])
    if m.l1_shells > 0:
        if ev == 0:
            dE += l1_pair_change_eV(v, x, VACANCY, site_word, g, m)
        if ej == 0:
            dE += l1_pair_change_eV(j, VACANCY, x, site_word, g, m)
    return dE, near_solute


@kernel_inlined
def interface_hop_rate(fv, nv, fj, x, site_word, g, m, with_embedding):
    """Rate of atom x at j hopping into the vacancy at v where a bond or site term is not bulk
    (``with_embedding``: a constant, see hop_energy_change_eV)."""
    dE, near_solute = hop_energy_change_eV(fv, nv, fj, x, site_word, g, m, with_embedding)
    ea = barrier_eV(dE, kra_eV(x, near_solute, m.kra_eV))
    r = arrhenius_memo(ea, m.nu_Hz, m.inv_kT, m.memo_key, m.memo_val)
    return fast_scaled(r, fv[0], fv[1], fj[0], fj[1], x, site_word, g, m)


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
    nbr, nx, spl, l1_open = g.neighbours, g.nx, g.sites_per_layer, g.l1_open
    pair, site, embed, layer_class = m.pair_eV, m.site_eV, m.embed_eV, m.layer_class
    v, lv = fv[0], fv[1]
    ev = energy_row(v, lv, g)
    nv = neighbour_sites(fv, nbr, nx, spl)
    pair_host = 0.0
    pair_solute = 0.0
    gain = 0.0
    n_solute = 0
    for e in range(8):
        n = nv[e]
        if n >= 0:
            sp = species_at(site_word, n)
            c = bond_class(ev, in_contact(n, spl, l1_open))
            pair_host += pair[c, HOST, sp] - pair[c, VACANCY, sp]
            pair_solute += pair[c, SOLUTE, sp] - pair[c, VACANCY, sp]
            if sp != VACANCY:
                n_solute += 1 if sp == SOLUTE else 0
                cn = layer_class[energy_row(n, neighbour_layer(fv, e, n, nbr, spl), g)]
                k = metal_neighbours(site_word, n)
                gain += embed[sp, cn, k + 1] - embed[sp, cn, k]
    n_v = metal_neighbours(site_word, v)
    cv = layer_class[ev]
    # the in-plane pair term at v, per hopping species (0 unless v is a contact site)
    l1_v_host = 0.0
    l1_v_solute = 0.0
    if m.l1_shells > 0 and ev == 0:
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
                ej = energy_row(j, lj, g)
                j_contact = in_contact(j, spl, l1_open)
                c = bond_class(ev, j_contact)
                cj = layer_class[ej]
                n_j = metal_neighbours(site_word, j)
                dE = (site[ev, x] + site[ej, VACANCY] - site[ev, VACANCY] - site[ej, x]
                      + ((pair_host if x == HOST else pair_solute) - (pair[c, x, x] - pair[c, VACANCY, x]))
                      + (gain - (embed[x, cj, n_j + 1] - embed[x, cj, n_j]))
                      + (embed[x, cv, n_v - 1] - embed[x, cj, n_j])
                      + (l1_v_host if x == HOST else l1_v_solute))
                if ev == 0 or ej == 0:
                    dE += hop_bond_change_eV(ev, j_contact, x, pair)
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
                            cb = bond_class(ej, in_contact(n, spl, l1_open))
                            dE += pair[cb, VACANCY, sp] - pair[cb, x, sp]
                if m.l1_shells > 0 and ej == 0:
                    dE += l1_pair_change_eV(j, VACANCY, x, site_word, g, m)
                ea = barrier_eV(dE, kra_eV(x, near_solute, m.kra_eV))
                r = fast_scaled(arrhenius_memo(ea, m.nu_Hz, m.inv_kT, m.memo_key, m.memo_val), v, lv, j, lj, x,
                                site_word, g, m)
        rates[k_row, d] = r
        total += r
    r = m.exit_per_s if lv == g.n_layers - 1 else 0.0
    rates[k_row, EXIT_SLOT] = r
    total += r
    if m.deep_hop_factor != 1.0:
        total = deep_row(fv, nv, site_word, nbr, spl, m, rates, k_row, total)
    return total


# One per energy form: the engine calls the running form's (kmc.engine.loop.form_markers), so that a run
# inlines and compiles only its own form's rate code.
@kernel_inlined
def bond_vacancy_rates(fv, site_word, g, m, rates, k_row):
    """Fill rates[k_row, 0:9] with the rates of the vacancy with frame fv; return their sum.
    The bond form: in the bulk (no interface bond, no site term at either end) a hop's rate
    depends only on the moving species and on its neighbour-count differences, and is read from
    the model's table.

    Inlined into the one loop that uses it (kmc.engine.refresh._run_work), so that the groups it reads
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
