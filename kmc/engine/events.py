"""The event classes: what each one does to the state once picked, and the total rate of each
macroscopic class, read off the state for the rule in kmc.rate_rules.  kmc.engine's run_chunk picks,
calls the class's kernel here, and refreshes the rates the change touched; it knows no class.

A vacancy's own events (a hop from one of its 8 neighbours, its exit through the box bottom) are
slots of its rate row in the sum tree (kmc.rate_rules writes the rows).  The macroscopic classes have
one total rate each and are registered in ``EVENT_TABLE``: a pair of kernels per class,

    rate(g, st, drive) -> total rate (1/s)
    apply(g, m, st, contact, tally, tracers, drive, bond, embedding) -> outcome
    note(f0, f1, n_changed, g, contact, drive): told of every event's changed sites (frames f0,
        f1), for a class whose choice among sites reads the configuration (the strip weights);
        note_nothing for the others

an ``outcome`` being (stop, count, n_changed, f0, f1, l1_changed): a stop code (kmc.engine.state.ST_*,
-1 to go on; a class that cannot take place refuses the event, which run_chunk undoes), the slot of
Tally.counts the event counts in (EV_NULL: nothing changed), how many sites changed (0, 1 or 2)
and their frames (what the refresh starts from), and whether the L1 counts changed (the class
rates read them: run_chunk recomputes them).  The kernels are inlined into run_chunk; the table's
order is the order in which the classes share the draw (it decides the trajectory).  A new class
is a rule in kmc.rate_rules, a rate and an apply kernel here (and note_nothing), its entry in EVENT_TABLE and its name at
the end of kmc.engine.state.EVENT_CLASSES (ARCHITECTURE.md's checklist; tests/test_engine.py adds one).
"""
from __future__ import annotations

from kmc.engine.contact import l1_change, metal_connected, void_fill
from kmc.engine.selection import next_uniform, tree_find, tree_set
from kmc.engine.state import (ATOMS_IN, EV_CREEP, EV_ENTER, EV_EXCHANGE, EV_EXIT, EV_HOP_HOST,  # noqa: F401
                              EV_HOP_SOLUTE, EV_NULL, EV_STRIP, EVENT_CLASSES, EXCHANGE_PER_SITE, I_NL1_HOST,
                              I_NL1_SOLUTE, I_NL1_VAC, I_NSTRIP, SOLUTE_IN, ST_NO_HOST, STRIP_N_CHANGED, STRIP_PASS,
                              STRIP_REACH_LAYERS, X_TOP)
from kmc.engine.updates import (PATH_GENERAL, add_vacancy, remove_vacancy, set_species, swap_vacancy, tracer_lost,
                                tracer_move, vacancy_layer_move)
from kmc.jit import kernel, kernel_inlined
from kmc.rate_rules import (creep_bound_per_s, creep_void_sites_needed, exchange_new_species, exchange_total_per_s,
                            exit_replacement_species, host_strip_weight)
from kmc.sites import species_at
from kmc.species import HOST, SOLUTE, VACANCY
from lattices.neighbours import F_ABOVE, F_BELOW, F_LAYER, F_SITE, frame, in_contact, neighbour, neighbour_frame

GO_ON = -1   # an outcome's stop code when the event took place


# ----------------------------------------------------------------------------- a vacancy's events
@kernel_inlined
def apply_hop(f0, d, path, g, st, contact, tally, tracers, has_interface):
    """The atom in slot d of the vacancy with frame f0 hops into it, by the event's path (PATH_*;
    on the fast paths only the frame's site and layer are built); returns (count slot, the atom's
    new site's frame, whether the L1 counts changed)."""
    nx, spl = g.nx, g.sites_per_layer
    v = f0[F_SITE]
    j = neighbour(f0, d, g.neighbours, nx, spl)
    if path != PATH_GENERAL:
        f1 = (j, f0[F_ABOVE] if d < 4 else f0[F_BELOW], 0, 0, 0, 0, 0, 0)
    else:
        f1 = neighbour_frame(f0, d, j, g.table, nx, g.ny, spl, g.n_layers, g.wrap_z)
    x = swap_vacancy(f0, f1, path, g, st, tally.clock[0], tally)
    if tracers.tracer_of_site.shape[0] > 0:   # the atom jumped from j to v, along the reverse of slot d
        tracer_move(j, v, g.opposite[d], tracers)
    l1_changed = False
    if has_interface:   # the contact lists hold the L1 sites under the electrolyte (not a pore's mouth)
        if in_contact(v, spl, g.l1_open):
            l1_change(v, VACANCY, x, contact, st.ints)
            l1_changed = True
        if in_contact(j, spl, g.l1_open):
            l1_change(j, x, VACANCY, contact, st.ints)
            l1_changed = True
    return EV_HOP_SOLUTE if x == SOLUTE else EV_HOP_HOST, f1, l1_changed


@kernel_inlined
def apply_exit(f0, g, st, tally, drive):
    """The vacancy with frame f0 leaves towards the sinks; an atom from the electrode's top cell
    takes its place (kmc.rate_rules.exit_replacement_species; kmc.electrode books it there)."""
    new = exit_replacement_species(next_uniform(tally.rng), drive.electrode_drive[X_TOP])
    drive.electrode_flux[ATOMS_IN] += 1
    if new == SOLUTE:
        drive.electrode_flux[SOLUTE_IN] += 1
    remove_vacancy(f0[F_SITE], st)
    vacancy_layer_move(f0[F_LAYER], -1, tally.clock[0], tally)
    set_species(f0, new, g.neighbours, g.nx, g.sites_per_layer, st.site_word)
    return EV_EXIT


# ----------------------------------------------------------------------------- strip
@kernel_inlined
def strip_rate(g, st, drive):
    """Galvanostatic: the current fixes the total (kmc.model.build_event_rates)."""
    return drive.strip_total_per_s


@kernel
def _draw_connected_host(g, site_word, layer_vacancies, contact, ints, rng):
    """An L1 host atom drawn uniformly among those joined to the electrode (metal_connected), or
    -1 if there is none: the current is shared among the atoms it can reach.  Drawing from all
    L1 host atoms and redrawing until one is joined gives that distribution; after 64 misses the
    joined atoms are counted and one of them is drawn directly (the same distribution, and an
    answer when none is joined)."""
    n_host = ints[I_NL1_HOST]
    for _ in range(64):
        s = contact.l1_host[int(next_uniform(rng) * n_host)]
        if metal_connected(s, g, site_word, layer_vacancies, contact.site_mark, contact.search):
            return s
    n_joined = 0
    for i in range(n_host):
        if metal_connected(contact.l1_host[i], g, site_word, layer_vacancies, contact.site_mark, contact.search):
            n_joined += 1
    if n_joined == 0:
        return -1
    pick = int(next_uniform(rng) * n_joined)
    for i in range(n_host):
        s = contact.l1_host[i]
        if metal_connected(s, g, site_word, layer_vacancies, contact.site_mark, contact.search):
            if pick == 0:
                return s
            pick -= 1
    return -1


# Energy-weighted stripping (docs/validation.md): a joined host atom's share of the current is its
# kmc.rate_rules.strip_site_weight over the joined atoms' sum.  The weights sit in Contact.strip_tree,
# a function of the configuration kept up to date lazily: note_strip lists every changed site of
# the top STRIP_REACH_LAYERS layers, and the next strip first gives every L1 site within two
# first-neighbour steps of a listed site its weight anew (refresh_strip_weights; removal energies
# read no further).  So when the update runs does not change the weights the draw sees.
@kernel_inlined
def note_strip(f0, f1, n_changed, g, contact, drive):
    """List the sites an event changed, for the strip weights' next update."""
    if drive.strip_activation_per_eV != 0.0 and n_changed > 0:
        _strip_site_changed(f0[F_SITE], g.sites_per_layer, contact)
        if n_changed == 2:
            _strip_site_changed(f1[F_SITE], g.sites_per_layer, contact)


@kernel_inlined
def note_nothing(f0, f1, n_changed, g, contact, drive):
    """A class whose choice of sites does not read the configuration needs no notes."""
    return


@kernel_inlined
def _strip_site_changed(s, spl, contact):
    if s < STRIP_REACH_LAYERS * spl and contact.strip_changed_mark[s] == 0:
        contact.strip_changed_mark[s] = 1
        contact.strip_changed[contact.strip_counters[STRIP_N_CHANGED]] = s
        contact.strip_counters[STRIP_N_CHANGED] += 1


@kernel
def _strip_visit(s, stamp, g, m, site_word, contact, activation_per_eV, bond, embedding):
    """Give L1 site s its strip weight (kmc.rate_rules.host_strip_weight) once per update (by stamp)."""
    if contact.strip_l1_stamp[s] == stamp:
        return
    contact.strip_l1_stamp[s] = stamp
    f = frame(s, g.table, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z)
    w = 0.0
    if embedding is not None:
        w = host_strip_weight(f, site_word, g, m, True, activation_per_eV)
    if bond is not None:
        w = host_strip_weight(f, site_word, g, m, False, activation_per_eV)
    tree = contact.strip_tree
    cap = tree.shape[0] >> 1
    if w != tree[cap + s]:
        tree_set(tree, cap, s, w)


@kernel
def refresh_strip_weights(g, m, site_word, contact, activation_per_eV, bond, embedding):
    """Bring Contact.strip_tree up to date with the listed changes and empty the list."""
    nbr, nx, ny, spl = g.neighbours, g.nx, g.ny, g.sites_per_layer
    counters = contact.strip_counters
    counters[STRIP_PASS] += 1
    stamp = counters[STRIP_PASS]
    for i in range(counters[STRIP_N_CHANGED]):
        c = contact.strip_changed[i]
        contact.strip_changed_mark[c] = 0
        if c < spl:
            _strip_visit(c, stamp, g, m, site_word, contact, activation_per_eV, bond, embedding)
        fc = frame(c, g.table, nx, ny, spl, g.n_layers, g.wrap_z)
        for e in range(8):
            n = neighbour(fc, e, nbr, nx, spl)
            if n < 0:
                continue
            if n < spl:
                _strip_visit(n, stamp, g, m, site_word, contact, activation_per_eV, bond, embedding)
            fn = neighbour_frame(fc, e, n, g.table, nx, ny, spl, g.n_layers, g.wrap_z)
            for e2 in range(8):
                n2 = neighbour(fn, e2, nbr, nx, spl)
                if 0 <= n2 < spl:
                    _strip_visit(n2, stamp, g, m, site_word, contact, activation_per_eV, bond, embedding)
    counters[STRIP_N_CHANGED] = 0


@kernel
def reset_strip_weights(g, m, site_word, contact, activation_per_eV, bond, embedding):
    """Build Contact.strip_tree from the configuration alone (a new run, a restored one)."""
    contact.strip_tree[:] = 0.0
    contact.strip_changed_mark[:] = 0
    contact.strip_l1_stamp[:] = 0
    contact.strip_counters[:] = 0
    for s in range(g.sites_per_layer):
        _strip_site_changed(s, g.sites_per_layer, contact)
    refresh_strip_weights(g, m, site_word, contact, activation_per_eV, bond, embedding)


@kernel
def draw_weighted_connected_host(g, site_word, layer_vacancies, contact, ints, rng):
    """An L1 host atom joined to the electrode, drawn with probability proportional to its strip
    weight among the joined ones, or -1 if none is joined: draws from the whole tree are redrawn
    until one is joined; after 64 misses the joined atoms' weights are summed and one is drawn
    directly (the same distribution, and an answer when none is joined)."""
    tree = contact.strip_tree
    cap = tree.shape[0] >> 1
    if tree[1] > 0.0:
        for _ in range(64):
            s, _u = tree_find(tree, cap, next_uniform(rng) * tree[1])
            if metal_connected(s, g, site_word, layer_vacancies, contact.site_mark, contact.search):
                return s
    n_host = ints[I_NL1_HOST]
    joined = 0.0
    for i in range(n_host):
        s = contact.l1_host[i]
        if metal_connected(s, g, site_word, layer_vacancies, contact.site_mark, contact.search):
            joined += tree[cap + s]
    if joined <= 0.0:
        return -1
    u = next_uniform(rng) * joined
    last = -1
    for i in range(n_host):
        s = contact.l1_host[i]
        if metal_connected(s, g, site_word, layer_vacancies, contact.site_mark, contact.search):
            last = s
            if u < tree[cap + s]:
                return s
            u -= tree[cap + s]
    return last   # u past the last weight by rounding


@kernel_inlined
def apply_strip(g, m, st, contact, tally, tracers, drive, bond, embedding):
    """A host atom joined to the electrode leaves L1 (oxidised and carried off through the
    electrolyte): a vacancy in its place.  Which one: by the strip weights (energy-weighted
    stripping), or uniformly with strip_activation_per_eV = 0.  With none joined the cell cannot
    pass the current: the event is refused (ST_NO_HOST)."""
    a = drive.strip_activation_per_eV
    if a != 0.0:
        if contact.strip_counters[STRIP_N_CHANGED] > 0:
            refresh_strip_weights(g, m, st.site_word, contact, a, bond, embedding)
        s = draw_weighted_connected_host(g, st.site_word, tally.layer_vacancies, contact, st.ints, tally.rng)
    else:
        s = _draw_connected_host(g, st.site_word, tally.layer_vacancies, contact, st.ints, tally.rng)
    f0 = frame(max(s, 0), g.table, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z)
    if s < 0:
        return ST_NO_HOST, EV_NULL, 0, f0, f0, False
    if tracers.tracer_of_site.shape[0] > 0:
        tracer_lost(s, tracers)
    set_species(f0, VACANCY, g.neighbours, g.nx, g.sites_per_layer, st.site_word)
    l1_change(s, HOST, VACANCY, contact, st.ints)
    add_vacancy(s, st)
    vacancy_layer_move(-1, 0, tally.clock[0], tally)
    st.ints[I_NSTRIP] += 1
    return GO_ON, EV_STRIP, 1, f0, f0, True


# ----------------------------------------------------------------------------- creep refill
@kernel_inlined
def creep_rate(g, st, drive):
    """The thinning bound of creep (kmc.rate_rules.creep_bound_per_s) at the present L1 counts."""
    ints = st.ints
    return creep_bound_per_s(drive.creep_per_void_site_full_contact_per_s, drive.creep_stress_exponent,
                             ints[I_NL1_HOST] + ints[I_NL1_SOLUTE], g.sites_per_layer, ints[I_NL1_VAC])


@kernel_inlined
def apply_creep(g, m, st, contact, tally, tracers, drive, bond, embedding):
    """Creep carries metal up into a site of an interface void and the vacancy down to the bottom
    layer (the far bulk).  An L1 vacancy is drawn uniformly and accepted by the thinning rule
    (kmc.rate_rules.creep_void_sites_needed: the flood fill stops as soon as it has counted enough
    sites); a bottom site is drawn at random until it holds metal.  A rejection is a null event:
    the state stays, the clock has advanced."""
    ints, site_word, rng = st.ints, st.site_word, tally.rng
    spl = g.sites_per_layer
    n_l1 = ints[I_NL1_VAC]
    s = contact.l1_vac[int(next_uniform(rng) * n_l1)]
    need = creep_void_sites_needed(next_uniform(rng), n_l1)
    accept = need <= 1 or void_fill(s, need, g, site_word, contact.l1_mark, contact.l1_queue) >= need
    b = -1
    if accept:
        bottom0 = (g.n_layers - 1) * spl
        for _ in range(64):
            t = bottom0 + int(next_uniform(rng) * spl)
            if species_at(site_word, t) != VACANCY:
                b = t
                break
    f0 = frame(s, g.table, g.nx, g.ny, spl, g.n_layers, g.wrap_z)
    if b < 0:
        return GO_ON, EV_NULL, 0, f0, f0, False
    f1 = frame(b, g.table, g.nx, g.ny, spl, g.n_layers, g.wrap_z)
    x = swap_vacancy(f0, f1, PATH_GENERAL, g, st, tally.clock[0], tally)
    if tracers.tracer_of_site.shape[0] > 0:
        tracer_move(b, s, -1, tracers)
    l1_change(s, VACANCY, x, contact, ints)
    return GO_ON, EV_CREEP, 2, f0, f1, True


# ----------------------------------------------------------------------------- entry from the bulk
@kernel_inlined
def enter_rate(g, st, drive):
    """The reservoir's entry rate over the bottom layer (kmc.model.build_event_rates)."""
    return drive.create_total_per_s


@kernel_inlined
def apply_enter(g, m, st, contact, tally, tracers, drive, bond, embedding):
    """A vacancy enters a random bottom site from the sinks (null if already vacant); the atom
    there goes into the electrode's top cell."""
    spl, n_layers = g.sites_per_layer, g.n_layers
    b = (n_layers - 1) * spl + int(next_uniform(tally.rng) * spl)
    f0 = frame(b, g.table, g.nx, g.ny, spl, n_layers, g.wrap_z)
    x = species_at(st.site_word, b)
    if x == VACANCY:
        return GO_ON, EV_NULL, 0, f0, f0, False
    drive.electrode_flux[ATOMS_IN] -= 1
    if x == SOLUTE:
        drive.electrode_flux[SOLUTE_IN] -= 1
    if tracers.tracer_of_site.shape[0] > 0:
        tracer_lost(b, tracers)
    set_species(f0, VACANCY, g.neighbours, g.nx, spl, st.site_word)
    add_vacancy(b, st)
    vacancy_layer_move(-1, n_layers - 1, tally.clock[0], tally)
    return GO_ON, EV_ENTER, 1, f0, f0, False


# ----------------------------------------------------------------------------- solute exchange
@kernel_inlined
def exchange_rate(g, st, drive):
    """Solute exchange with the electrode's top cell (kmc.rate_rules.exchange_total_per_s)."""
    return exchange_total_per_s(drive.electrode_drive[EXCHANGE_PER_SITE], g.sites_per_layer)


@kernel_inlined
def apply_exchange(g, m, st, contact, tally, tracers, drive, bond, embedding):
    """A random bottom site trades its species with the electrode's top cell by
    kmc.rate_rules.exchange_new_species (the rest of each draw is a null event)."""
    spl, n_layers = g.sites_per_layer, g.n_layers
    b = (n_layers - 1) * spl + int(next_uniform(tally.rng) * spl)
    f0 = frame(b, g.table, g.nx, g.ny, spl, n_layers, g.wrap_z)
    x = species_at(st.site_word, b)
    new = exchange_new_species(x, next_uniform(tally.rng), drive.electrode_drive[X_TOP])
    if new == x:
        return GO_ON, EV_NULL, 0, f0, f0, False
    drive.electrode_flux[SOLUTE_IN] += 1 if new == SOLUTE else -1
    if tracers.tracer_of_site.shape[0] > 0:
        tracer_lost(b, tracers)
    set_species(f0, new, g.neighbours, g.nx, spl, st.site_word)
    return GO_ON, EV_EXCHANGE, 1, f0, f0, False


# ----------------------------------------------------------------------------- the registry
# The macroscopic classes, in the order in which they follow the hops in the draw.
EVENT_TABLE = ((strip_rate, apply_strip, note_strip), (creep_rate, apply_creep, note_nothing),
               (enter_rate, apply_enter, note_nothing), (exchange_rate, apply_exchange, note_nothing))
