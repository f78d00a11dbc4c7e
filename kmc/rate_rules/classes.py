"""The macroscopic event classes' rules (kmc.engine.events applies them): creep's law and its thinning, the
species an exiting vacancy leaves behind, the solute exchange with the electrode, and energy-weighted
stripping."""
from __future__ import annotations

import numpy as np

from kmc.jit import kernel_inlined
from kmc.physics.creep import focusing_factor
from kmc.rate_rules.deep import metal_neighbours
from kmc.rate_rules.interface import bond_class, energy_row, l1_pair_change_eV
from kmc.sites import species_at
from kmc.species import HOST, SOLUTE, VACANCY
from lattices.neighbours import in_contact, neighbour, neighbour_layer

# ----------------------------------------------------------------------------- the macroscopic classes
# The rules of the event classes that are not a vacancy's hop (kmc.engine.events applies them).  Their
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
    s = f[0]
    es = energy_row(s, f[1], g)
    dE = m.site_eV[es, VACANCY] - m.site_eV[es, x]
    for e in range(8):
        n = neighbour(f, e, nbr, nx, spl)
        if n >= 0:
            sp = species_at(site_word, n)
            c = bond_class(es, in_contact(n, spl, g.l1_open))
            dE += pair[c, VACANCY, sp] - pair[c, x, sp]
            if with_embedding and sp != VACANCY:
                k = metal_neighbours(site_word, n)
                cn = layer_class[energy_row(n, neighbour_layer(f, e, n, nbr, spl), g)]
                dE += embed[sp, cn, k - 1] - embed[sp, cn, k]
    if with_embedding:
        dE -= embed[x, layer_class[es], metal_neighbours(site_word, s)]
    if m.l1_shells > 0 and es == 0:
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
    host atom sits there under the electrolyte, 0 on a vacancy, a solute atom (never stripped) or at
    a pore's mouth (no electrolyte to take the ion: lattices.neighbours.in_contact).
    ``with_embedding`` is a constant of each caller, as in hop_energy_change_eV."""
    if species_at(site_word, f[0]) != HOST or not in_contact(f[0], g.sites_per_layer, g.l1_open):
        return 0.0
    return strip_site_weight(removal_energy_eV(f, HOST, site_word, g, m, with_embedding), activation_per_eV)
