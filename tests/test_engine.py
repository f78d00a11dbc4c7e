"""Engine correctness: rates against the reference energy, conservation per event class,
chunk independence, and detailed balance in a closed box."""
import math

import numpy as np
import pytest

from kmc import rate_rules, sites
from kmc.engine import events, loop, refresh, selection, state
from kmc.engine.selection import next_uniform
from kmc.sites import species_at
from kmc.engine.updates import set_species
from lattices.jit import compiled
from lattices.neighbours import frame
from kmc.config import load_config
from kmc.species import HOST, SOLUTE, VACANCY
from kmc.seeding import rng_state_from_seed
from kmc.simulation import Simulation
from lattices import neighbours

from conftest import PARAMS
from regimes import NO_FORMATION_ENTROPY, PERFECT_INTERFACE


def deep_factor(sim, occ, nbr, v, j):
    """The deep box's factor of the hop j -> v (kmc.model.deep_box), from the occupancy: both ends
    in the deep layers and no vacancy next to either end but the hopping one."""
    deep = sim.rates.deep_first_layer
    spl = sim.lattice.sites_per_layer
    if v // spl < deep or j // spl < deep:
        return 1.0
    others = [n for end in (v, j) for n in nbr[end] if n >= 0 and n not in (v, j)]
    return 1.0 if any(occ[n] == VACANCY for n in others) else sim.rates.deep_hop_factor


def reference_rates(sim):
    """Every vacancy's 9 slot rates from total-energy differences (no engine code involved), the
    deep box's factor included."""
    lat, model = sim.lattice, sim.model
    occ = sim.occupancy.copy()
    nbr = lat.neighbors
    e0 = model.total_energy(occ, lat)
    out = {}
    for k in range(int(sim.ints[state.I_NVAC])):
        v = int(sim.vacancy_site[k])
        row = np.zeros(rate_rules.N_SLOTS)
        for d in range(8):
            j = int(nbr[v, d])
            if j < 0 or occ[j] == VACANCY:
                continue
            x = occ[j]
            occ[v], occ[j] = x, VACANCY
            dE = model.total_energy(occ, lat) - e0
            occ[v], occ[j] = VACANCY, x
            near = any(occ[n] == SOLUTE for end, other in ((v, j), (j, v)) for n in nbr[end] if n >= 0 and n != other)
            row[d] = model.hop_rate(dE, rate_rules.kra_eV(x, near, model.kra_eV)) * deep_factor(sim, occ, nbr, v, j)
        if v // lat.sites_per_layer == lat.n_layers - 1:
            row[rate_rules.EXIT_SLOT] = sim.rates.exit_per_bottom_vacancy_per_s
        out[k] = row
    return out


def assert_site_state_matches(sim):
    """Each site word's neighbour counts equal counts taken from the occupancy with the lattice's
    neighbour table, and the vacancy index stored for each vacancy's site (in its word, or in
    site_vacancy for big runs) inverts the vacancy list."""
    occ = sim.occupancy
    nbr = sim.lattice.neighbors
    words = sim.site_word.astype(np.int64)
    for species in (VACANCY, HOST, SOLUTE):
        expected = ((occ[nbr] == species) & (nbr >= 0)).sum(axis=1)
        np.testing.assert_array_equal((words >> (sites.COUNT_BITS * species)) & 15, expected,
                                      err_msg=f"neighbour counts of species {species}")
    n = int(sim.ints[state.I_NVAC])
    vacant = sim.vacancy_site[:n]
    assert np.array_equal(np.flatnonzero(occ == VACANCY), np.sort(vacant))
    stored = sim.site_vacancy[vacant] if sim.site_vacancy.size else words[vacant] >> sites.INDEX_SHIFT
    np.testing.assert_array_equal(stored, np.arange(n), err_msg="vacancy index of each vacancy's site")


def assert_rates_match(sim):
    assert_site_state_matches(sim)
    ref = reference_rates(sim)
    for k, row in ref.items():
        np.testing.assert_allclose(sim.vacancy_rates[k], row, rtol=1e-9, atol=0,
                                   err_msg=f"vacancy {k} at site {sim.vacancy_site[k]}")
        in_order = 0.0   # the engine sums a row slot by slot
        for r in sim.vacancy_rates[k]:
            in_order += r
        assert sim.tree[sim.capacity + k] == in_order
    n = len(ref)
    assert sim.tree[1] == pytest.approx(sum(r.sum() for r in ref.values()), rel=1e-9)
    assert not sim.tree[sim.capacity + n: 2 * sim.capacity].any()


CASES = {
    "limg_slab_001": ["lattice.cells=[3,3,4]", "composition.solute_fraction=0.2",
                      "composition.vacancy_fraction=0.15", "conditions.stack_pressure_MPa=20",
                      "run.acceleration=1e9"],
    "limg_slab_110": ["lattice.cells=[3,3,3]", "lattice.orientation='110'", "composition.solute_fraction=0.2",
                      "composition.vacancy_fraction=0.15", "conditions.stack_pressure_MPa=20",
                      "run.acceleration=1e9"],
    "limg_bulk": ["lattice.cells=[4,4,4]", "lattice.geometry='bulk'", "composition.solute_fraction=0.1",
                  "composition.vacancy_fraction=0.05", "run.max_events=1"],
    # boxes big enough for the interior fast path (refresh._refresh_interior) to run
    "limg_bulk_interior": ["lattice.cells=[9,7,8]", "lattice.geometry='bulk'", "composition.solute_fraction=0.1",
                           "composition.vacancy_fraction=0.04", "run.max_events=1"],
    "limg_slab_interior": ["lattice.cells=[7,7,8]", "composition.solute_fraction=0.1",
                           "composition.vacancy_fraction=0.05", "conditions.stack_pressure_MPa=20",
                           "run.acceleration=1e9"],
    # lone vacancies below the interface region: the deep box's factor (kmc.model.deep_box, ~280)
    "limg_slab_deep_box": ["lattice.cells=[4,4,6]", "composition.solute_fraction=0.1",
                           "composition.vacancy_fraction=0.02", "conditions.stack_pressure_MPa=20",
                           "run.acceleration=1e7"],
    "limg_deep_slab_reservoir": ["lattice.cells=[3,3,5]", "composition.solute_fraction=0.15",
                                 "composition.vacancy_fraction=0.1", "boundary.bottom='reservoir'",
                                 "boundary.supersaturation=1e6"],
}
# Per energy form, the parameter file and overrides that switch on every term (a third
# layer-vacancy term for the bond form; the embedding's three layer classes are in any slab).
FORMS = {"second_moment": ("limg_li2s.toml", []),
         "bond": ("limg_li2s_bond.toml", ["energy.layer_vacancy_eV=[0.0,-0.07,0.02]"])}


# The bond form's event loop is a compilation of its own (~50 s of CPU cold, docs/performance.md's
# "fast tier's cost"), so its runs are in the slow tier; the fast tier runs every path of the loop in the
# second-moment form and keeps the bond form's rate rules without the loop (tests/test_fit.py,
# tests/test_interface_terms.py's energies).
def slow_bond(forms):
    """pytest parameters of the energy forms ``forms``, the bond form's marked slow."""
    return [pytest.param(form, marks=pytest.mark.slow) if form == "bond" else form for form in forms]


def form_config(form, overrides):
    name, extra = FORMS[form]
    return load_config(PARAMS / name, overrides + extra)


@pytest.mark.parametrize("form", slow_bond(sorted(FORMS)))
@pytest.mark.parametrize("case", sorted(CASES))
def test_rates_equal_reference_before_and_after_events(case, form):
    """The engine's incremental rates equal rates from total-energy differences, at start and
    after thousands of hops, strips, exits, entries and creep refills (so the local refresh
    misses nothing), for both energy forms."""
    sim = Simulation(form_config(form, CASES[case]))
    assert sim.model.has_embedding == (form == "second_moment")
    assert_rates_match(sim)
    for _ in range(4):
        sim.step(1500)
        if sim.stripped_atoms and sim.observables()["contact_fraction"] < 0.3:
            break
        assert_rates_match(sim)
    assert_rates_match(sim)


@pytest.mark.parametrize("case", ["limg_slab_001", "limg_slab_deep_box"])
@pytest.mark.parametrize("form", slow_bond(sorted(FORMS)))
def test_rates_equal_reference_after_every_event_at_the_interface(form, case):
    """Checked after every single event of a small Li-Mg slab (the test above checks every 1500
    events, by which time most stale rates have been overwritten by later refreshes): a change
    at an L1 site alters the vacancy-pair term of hops into or out of its L1 second neighbours,
    which the refresh must redo even where they lie outside the two-step shell; with the
    embedding term, a change alters the hops of every vacancy within two steps and of every
    atom two steps away (three steps of reach).  The deep-box case has lone vacancies below the
    interface region, whose factor depends on the vacancy counts around both ends of a hop."""
    sim = Simulation(form_config(form, CASES[case]))
    if case == "limg_slab_deep_box":
        assert sim.rates.deep_hop_factor > 100
    for _ in range(400):
        sim.step(1)
        assert_rates_match(sim)


def _counts(sim):
    occ = sim.occupancy
    return (int((occ == VACANCY).sum()), int((occ == HOST).sum()), int((occ == SOLUTE).sum()))


@pytest.mark.parametrize("bottom", ["sink", "reservoir", "closed"])
def test_conservation_per_event_class(limg_params, bottom):
    """Each event changes atom and vacancy numbers exactly as its class says."""
    sim = Simulation(load_config(limg_params, [
        "lattice.cells=[4,4,3]", "composition.solute_fraction=0.1", "composition.vacancy_fraction=0.05",
        f"boundary.bottom='{bottom}'", "boundary.supersaturation=1e3", "conditions.stack_pressure_MPa=5",
        "run.acceleration=1e9", "conditions.temperature_K=400",
        # the farthest sinks, so that at A = 1e9 (k = A D_v/(d L)) a bottom vacancy does not always
        # leave before it hops, and creep does not fill the 16-site L1 with Mg within 3000 events
        "electrode.thickness_um=1e4", "electrode.sink_distance_um=1e4",
        # the box's hops at nu (tests/regimes.py): with the shipped exp(2.75) on every hop the
        # reservoir case's 3000 events happen to hold no solute hop, which this test must see
        NO_FORMATION_ENTROPY]))
    seen = np.zeros(len(state.EVENT_CLASSES), bool)
    n_sites = sim.lattice.n_sites
    for _ in range(3000):
        before = _counts(sim)
        c0 = sim.counts.copy()
        reason = sim.step(1)
        if reason not in ("events",):
            break
        fired = np.flatnonzero(sim.counts - c0)
        assert len(fired) == 1
        cls = state.EVENT_CLASSES[fired[0]]
        seen[fired[0]] = True
        v0, li0, mg0 = before
        v1, li1, mg1 = _counts(sim)
        assert v1 + li1 + mg1 == n_sites
        if cls in ("hop_host", "hop_solute", "creep_refill", "null"):
            assert (v1, li1, mg1) == (v0, li0, mg0)
        elif cls == "strip":
            assert (v1, li1, mg1) == (v0 + 1, li0 - 1, mg0)       # only Li is stripped
        elif cls == "exit_bulk":
            assert v1 == v0 - 1 and li1 + mg1 == li0 + mg0 + 1
        elif cls == "enter_bulk":
            assert v1 == v0 + 1 and li1 + mg1 == li0 + mg0 - 1
        elif cls == "exchange_bulk":   # a bottom Li and Mg of the electrode below trade places
            assert v1 == v0 and abs(mg1 - mg0) == 1 and li1 + mg1 == li0 + mg0
        assert v1 == int(sim.ints[state.I_NVAC])
        assert np.array_equal(np.bincount(sim.lattice.layer[sim.occupancy == VACANCY], minlength=sim.lattice.n_layers),
                              sim.layer_vacancies)
    expected = {"hop_host", "hop_solute", "strip", "creep_refill"}
    expected |= {"exit_bulk"} if bottom != "closed" else set()
    expected |= {"enter_bulk"} if bottom == "reservoir" else set()
    assert expected <= {c for c, s in zip(state.EVENT_CLASSES, seen) if s}
    if bottom == "closed":
        assert sim.counts[events.EV_EXIT] == sim.counts[events.EV_ENTER] == 0


@pytest.mark.slow   # ~6 s of CPU; the fast tier keeps a run cut at chunk ends and resumed (tests/test_resume.py) and the work queue's early runs
def test_chunking_does_not_change_results(limg_params):
    over = ["lattice.cells=[4,4,3]", "composition.solute_fraction=0.1", "run.acceleration=1e8"]
    a = Simulation(load_config(limg_params, over))
    b = Simulation(load_config(limg_params, over))
    a.step(20000)
    for _ in range(40):
        b.step(500)
    assert np.array_equal(a.occupancy, b.occupancy)
    assert a.time_s == b.time_s and np.array_equal(a.counts, b.counts)


def test_capacity_growth_is_transparent(li_params):
    """Growing the vacancy arrays mid-run gives the same trajectory as a large start."""
    over = ["lattice.cells=[12,12,3]", "run.acceleration=1e9"]
    a = Simulation(load_config(li_params, over))
    b = Simulation(load_config(li_params, over))
    a._allocate(64)
    b._allocate(8192)
    a.step(30000)
    b.step(30000)
    assert a.capacity > 64 and int(a.ints[state.I_NVAC]) > 64
    assert np.array_equal(a.occupancy, b.occupancy) and a.time_s == b.time_s


def test_vacancy_indices_in_words_or_per_site_array_give_the_same_run(li_params, monkeypatch):
    """Vacancy indices live in the site words up to sites.MAX_WORD_INDEX of capacity and in a
    per-site array beyond; a run that moves them to the array when its capacity grows past the
    limit (lowered here to 64) follows the same trajectory as one that keeps them in the words."""
    over = ["lattice.cells=[12,12,3]", "run.acceleration=1e9"]
    a = Simulation(load_config(li_params, over))
    a.step(30000)
    monkeypatch.setattr(sites, "MAX_WORD_INDEX", 64)
    b = Simulation(load_config(li_params, over))
    assert b.capacity <= 64 and b.site_vacancy.size == 0
    b.step(30000)
    assert b.capacity > 64 and b.site_vacancy.size == b.lattice.n_sites
    assert a.site_vacancy.size == 0
    assert np.array_equal(a.occupancy, b.occupancy) and a.time_s == b.time_s
    assert_site_state_matches(a)
    assert_site_state_matches(b)
    c = Simulation(load_config(li_params, over))   # restored from b's checkpoint state
    c.set_state(b.get_state())
    np.testing.assert_array_equal(c.site_vacancy, b.site_vacancy)
    b.step(5000)
    c.step(5000)
    assert np.array_equal(b.occupancy, c.occupancy) and b.time_s == c.time_s


def _reference_find(leaves, u):
    """The leaf a walk down the sum tree should reach: the first nonzero leaf whose running sum
    passes u (the last nonzero one if rounding leaves u at or above the total)."""
    running, last = 0.0, None
    for k, rate in enumerate(leaves):
        if rate > 0.0:
            last = k
            running += rate
            if u < running:
                return k
    return last


def test_tree_find_reaches_the_leaf_holding_u_and_never_an_empty_one():
    """The descent compares without branches and redoes a walk that rounding sent into an empty
    subtree; here against a linear scan, on trees with many empty leaves, for u across the whole
    total and at its top end (where rounding matters)."""
    rng = np.random.default_rng(5)
    hand = np.zeros(8)
    selection.rebuild_tree(np.array([[0.1] + [0.0] * 8, [0.2] + [0.0] * 8]), 2, hand)
    k, _ = selection.tree_find(hand, 4, hand[2])   # u equal to the left subtree's sum, right one empty
    assert k == 1
    for trial in range(200):
        cap = 1 << int(rng.integers(1, 8))
        n = int(rng.integers(1, cap + 1))
        rows = np.zeros((n, rate_rules.N_SLOTS))
        rows[:, 0] = rng.exponential(size=n) * (rng.random(n) < 0.5)
        rows[int(rng.integers(n)), 0] = 1.0
        tree = np.zeros(2 * cap)
        selection.rebuild_tree(rows, n, tree)
        for u in [*rng.random(20) * tree[1], np.nextafter(tree[1], 0.0), tree[1]]:
            k, rest = selection.tree_find(tree, cap, u)
            assert tree[cap + k] > 0.0
            if u < tree[1] * (1 - 1e-12):
                assert k == _reference_find(rows[:, 0], u)
                assert 0.0 <= rest < tree[cap + k] * (1 + 1e-12)
                assert selection.leaf_guess(tree, cap, u) == k   # the walk run_chunk prefetches for


def test_peek_uniforms_names_the_event_draws_of_the_next_two_hops():
    """run_chunk asks for the lines of the events the RNG will pick next.  A hop draws its event
    and then its waiting time, so the next two hops' event draws are the first and the third
    from now; peeking leaves the stream where it was."""
    start = rng_state_from_seed(1)
    stream = start.copy()
    first, third = selection.peek_uniforms(stream)
    np.testing.assert_array_equal(stream, start)
    draws = [selection.next_uniform(stream) for _ in range(3)]
    assert (first, third) == (draws[0], draws[2])
    assert len(set(draws)) == 3


@pytest.mark.parametrize("geometry", ["bulk", "slab"])
def test_prefetching_the_next_event_does_not_change_the_run(geometry):
    """Simulation turns run_chunk's prefetch_sites on where the words outgrow the second-level
    cache; here both ways on one box.  The hints read nothing, so the run is the
    same bit for bit, and the neighbourhood's clipping keeps every hint inside the arrays at
    the box's first and last layers (a slab's top is layer 0: its events hit the clip)."""
    over = [f"lattice.geometry='{geometry}'", "lattice.cells=[12,12,14]", "composition.vacancy_fraction=0.03",
            "run.acceleration=1e9", "run.max_events=1"]
    runs = []
    for on in (True, False):
        sim = Simulation(load_config(PARAMS / "limg_li2s.toml", over))
        sim._prefetch_sites = on
        sim.step(30000)
        runs.append(sim)
    on, off = runs
    assert on.time_s == off.time_s and np.array_equal(on.counts, off.counts)
    np.testing.assert_array_equal(on.site_word, off.site_word)
    np.testing.assert_array_equal(on.tree, off.tree)
    if geometry == "slab":   # events that are not hops among them (exits, exchanges: no next leaf yet)
        assert on.counts[events.EV_EXIT] > 0 and on.counts[events.EV_EXCHANGE] > 0


@pytest.fixture
def limg_bond_params():
    """The bond form (embedding zero): the only one whose bulk rates are a count-table lookup and
    that takes the interior fast path."""
    return PARAMS / "limg_li2s_bond.toml"


def test_second_moment_bulk_layers_are_those_whose_hops_reach_only_bulk_class_sites(limg_params):
    """With the embedding term a hop reads the coordinations of both ends' neighbours, two layers
    either side: a layer follows the bulk rule (kmc.rate_rules.bulk_embedding_hop_rate) only if all
    of those are bulk class and free of site terms, i.e. from L4 (layer 3) down to the fourth
    layer from the bottom; the interior fast path needs EMBEDDING_REACH_STEPS such layers either side."""
    sim = Simulation(load_config(limg_params, ["lattice.cells=[10,10,10]", "run.max_events=1"]))
    assert sim.model.has_embedding
    n = sim.lattice.n_layers
    expected = np.zeros(n, np.uint8)
    expected[3:n - 3] = 1
    np.testing.assert_array_equal(sim.model.bulk_layers(n), expected)
    interior = np.flatnonzero(sim._layer_kinds == rate_rules.LAYER_TABLE_INTERIOR)
    assert list(interior) == list(range(3 + refresh.EMBEDDING_REACH_STEPS, n - 3 - refresh.EMBEDDING_REACH_STEPS))


@pytest.mark.slow   # the bond form's loop (slow_bond above)
def test_bulk_table_lookup_gives_the_model_rate_for_every_neighbour_count(limg_bond_params):
    """The engine reads a bulk hop's rate at an index built from the two sites' words with no
    branch (a vacant neighbour lands in a block of zeros).  For every count pair a lattice can
    produce, the rate must be the model's table entry: x's own bond taken out of v's counts, and
    the Mg-nearby KRA when an Mg other than x is next to v or any Mg is next to j."""
    sim = Simulation(load_config(limg_bond_params, ["lattice.geometry=bulk", "lattice.cells=[4,4,4]",
                                               "run.max_events=1"]))
    model_table = sim.model.bulk_rate_table()
    lookup = rate_rules.bulk_rate_lookup(model_table)
    words = np.zeros(2, np.uint32)

    def word(species, li, mg, vac):
        return (species << sites.SPECIES_SHIFT) | (vac << (sites.COUNT_BITS * VACANCY)) | (
            li << (sites.COUNT_BITS * HOST)) | (mg << (sites.COUNT_BITS * SOLUTE))

    checked = 0
    for x in (VACANCY, HOST, SOLUTE):
        for li_v in range(9):
            for mg_v in range(9 - li_v):
                if (x == HOST and li_v == 0) or (x == SOLUTE and mg_v == 0):
                    continue   # j holds x and is next to v
                for li_j in range(8):
                    for mg_j in range(8 - li_j):   # j's eighth neighbour is the vacancy at v
                        words[0] = word(VACANCY, li_v, mg_v, 8 - li_v - mg_v)
                        words[1] = word(x, li_j, mg_j, 8 - li_j - mg_j)
                        rate = rate_rules.bulk_rate(rate_rules.bulk_key(0, words), 1, words, lookup)
                        if x == VACANCY:
                            assert rate == 0.0
                            continue
                        li_others, mg_others = li_v - (x == HOST), mg_v - (x == SOLUTE)
                        near = 1 if (mg_others > 0 or mg_j > 0) else 0
                        assert rate == model_table[x - 1, li_others - li_j + 8, mg_others - mg_j + 8, near]
                        checked += 1
    assert checked > 2000   # (2592 pairs of Li or Mg hops)


def _interior_sites(sim, margin):
    """Sites from which a hop takes the engine's interior fast path."""
    lat = sim.lattice
    nx, ny = lat.cells[0], lat.cells[1]
    kinds = sim._layer_kinds
    out = []
    for s in range(lat.n_sites):
        f = neighbours.frame(s, False, nx, ny, lat.sites_per_layer, lat.n_layers, lat.periodic_z)
        if refresh.event_is_interior(f, nx, ny, kinds, margin):
            out.append(s)
    return out


# per energy form: parameter file, the steps of an event's reach, the margin run_chunk passes
FAST_PATHS = {"bond": ("limg_li2s_bond.toml", refresh.EVENT_REACH_STEPS, 2),
              "second_moment": ("limg_li2s.toml", refresh.EMBEDDING_REACH_STEPS, 3)}


@pytest.mark.parametrize("form", slow_bond(FAST_PATHS))
@pytest.mark.parametrize("geometry", ["bulk", "slab"])
def test_interior_offsets_name_the_same_neighbours_as_the_table(form, geometry):
    """Wherever a hop takes the interior fast path, every site within reach - 1 steps of the
    vacancy (those whose neighbours the fast path names) has its neighbours at the fixed offsets,
    and every layer the event can reach follows the bulk rule.  A non-square box catches x/y
    mix-ups.  With the embedding, Geometry.hop_reach lists each site within two steps of either
    end of each hop exactly once, the ends and their neighbours first, and for each site further
    out the mask of those it neighbours."""
    file, reach, margin = FAST_PATHS[form]
    sim = Simulation(load_config(PARAMS / file, ["lattice.cells=[13,11,12]", f"lattice.geometry='{geometry}'",
                                                 "run.max_events=1"]))
    lat = sim.lattice
    nbr, spl, nx = lat.neighbors, lat.sites_per_layer, lat.cells[0]
    hop_reach = lat.geometry().hop_reach
    sites = _interior_sites(sim, margin)
    assert len(sites) > 0.05 * lat.n_sites if geometry == "bulk" else len(sites) > 0
    offsets = [[neighbours.interior_offset(odd, d, nx, spl) for d in range(8)] for odd in (0, 1)]
    for s in sites:
        layer = s // spl
        assert all(sim._layer_kinds[layer - reach:layer + reach + 1] != 0)
        shells = [{s}]
        for _ in range(reach - 1):
            shells.append({int(n) for p in shells[-1] for n in nbr[p]} | shells[-1])
        for p in shells[-1]:
            expected = [p + offset for offset in offsets[(p // spl) & 1]]
            assert list(nbr[p]) == expected, (s, p)
        if form == "second_moment":
            for d in range(8):
                j = int(nbr[s, d])
                near = {s, j} | set(nbr[s].tolist()) | set(nbr[j].tolist())
                far = {int(n) for p in near for n in nbr[p]} - near
                listed = hop_reach[(s // spl) & 1, d]
                assert sorted(s + listed[:, 0]) == sorted(near | far)
                near_rows = [s + off for off in listed[:neighbours.HOP_REACH_NEAR, 0]]
                assert set(near_rows) == near
                for off, parity, is_far, mask in listed:
                    assert parity == ((s + off) // spl) & 1 and bool(is_far) == ((s + off) in far)
                    if is_far:
                        beside = set(nbr[s + off].tolist())
                        assert mask == sum(1 << i for i, q in enumerate(near_rows) if q in beside)


@pytest.mark.parametrize("geometry", ["bulk", "slab"])
def test_seam_steps_and_reach_paths_name_the_same_sites_as_the_table(geometry):
    """The seam path's neighbours (lattices.neighbours.seam_step: the offset of the site's seam
    class) are the table's at every site of a box periodic in x and y (and in z for the bulk box;
    a slab's missing neighbours are not asked for), and for a hop from every site the paths of
    Geometry.seam name, row by row, the sites Geometry.hop_reach lists: the near rows (v, j and
    their neighbours), then each far row a neighbour of the near rows its mask names.  A
    non-square box catches x/y mix-ups."""
    sim = Simulation(load_config(PARAMS / "limg_li2s.toml", ["lattice.cells=[13,11,12]",
                                                             f"lattice.geometry='{geometry}'", "run.max_events=1"]))
    lat = sim.lattice
    nbr, spl = lat.neighbors, lat.sites_per_layer
    g = lat.geometry()
    seam, hop_reach = g.seam, g.hop_reach
    s = np.arange(lat.n_sites)
    odd = (s // spl) & 1
    by_class = s[:, None] + seam.offset[seam.site_class, odd]
    exists = nbr >= 0
    np.testing.assert_array_equal(by_class[exists], nbr[exists])
    assert (seam.site_class != 0).sum() > 0.1 * lat.n_sites
    # every site of a bulk-rule layer (the seam path's; the test also covers the interior ones):
    # rows by the paths, in numpy (the compiled seam_reach_site follows the same paths; the runs
    # of the next test compare what it gives with the general path)
    v = s[sim._layer_kinds[s // spl] >= rate_rules.LAYER_TABLE_INTERIOR]
    assert v.size > 0.3 * lat.n_sites

    def step(site, parity, slot):
        return site + seam.offset[seam.site_class[site], parity, slot]

    for o in (0, 1):
        vo = v[odd[v] == o]
        for d in range(8):
            j = nbr[vo, d]
            rows = []
            for base, a, b in seam.reach_path[o, d]:
                site, parity = (vo, o) if base == 0 else (j, 1 - o)
                for slot in (a, b):
                    if slot >= 0:
                        site, parity = step(site, parity, slot), 1 - parity
                rows.append(site)
            rows = np.array(rows).T                  # (sites, HOP_REACH_SITES)
            near_n = neighbours.HOP_REACH_NEAR
            np.testing.assert_array_equal((rows // spl) & 1, np.broadcast_to(hop_reach[o, d, :, 1], rows.shape))
            # the near rows are v, j and their neighbours (18 entries naming 16 sites)
            expected = np.array([np.unique(e) for e in np.concatenate([vo[:, None], j[:, None], nbr[vo], nbr[j]],
                                                                      axis=1)])
            np.testing.assert_array_equal(np.sort(rows[:, :near_n], axis=1), expected)
            # all rows distinct, and each far row next to exactly the near rows its mask names: with
            # 54 sites within two steps of v or j, the far rows are the rest of them
            ordered = np.sort(rows, axis=1)
            assert (np.diff(ordered, axis=1) != 0).all()
            for i in range(near_n, neighbours.HOP_REACH_SITES):
                beside = (nbr[rows[:, i]][:, :, None] == rows[:, None, :near_n]).any(axis=1)   # (sites, near)
                mask = (beside * (1 << np.arange(near_n))).sum(axis=1)
                np.testing.assert_array_equal(mask, hop_reach[o, d, i, 3])


# geometry and cells: the narrow bulk box is the smallest whose edges take the seam path
# (lattices.neighbours.SEAM_MIN_CELLS across, 2 * EMBEDDING_REACH_STEPS + 2 layers deep), where
# periodic images come closest to an event's reach; and one cell narrower, where the embedding's
# reach rows are empty but event_is_interior accepts some sites (the interior path read past
# the empty Geometry.hop_reach there and crashed the run)
FAST_PATH_BOXES = {"bulk": ("bulk", [12, 12, 14]), "slab": ("slab", [12, 12, 14]), "narrow bulk": ("bulk", [7, 7, 6]),
                   "6-cell bulk": ("bulk", [6, 6, 6])}


@pytest.mark.parametrize("form", slow_bond(FAST_PATHS))
@pytest.mark.parametrize("box", FAST_PATH_BOXES)
def test_interior_fast_path_gives_the_same_run_as_the_general_path(form, monkeypatch, box):
    """With the fast path switched off (no layer marked interior), and with no layer following the
    bulk rule either (every rate from the general local energy difference), a run follows the
    same trajectory, bit for bit, and ends with the same rates and sum tree.  For the
    second-moment form this holds because its energies lie on kmc.model's energy grid, where
    the order of a sum does not change its bits.  With the embedding, so does a run in which
    every event of the interior layers takes the seam path (those layers marked SEAM, which
    event_is_interior does not accept), and the bulk box marks its layers at the z wrap SEAM."""
    file, reach, _ = FAST_PATHS[form]
    geometry, cells = FAST_PATH_BOXES[box]
    over = [f"lattice.cells={cells}", f"lattice.geometry='{geometry}'", "composition.solute_fraction=0.1",
            "composition.vacancy_fraction=0.03", "run.acceleration=1e9", "run.max_events=1"]
    fast = Simulation(load_config(PARAMS / file, over))
    assert (fast._layer_kinds == rate_rules.LAYER_TABLE_INTERIOR).any()
    seam_layers = np.flatnonzero(fast._layer_kinds == rate_rules.LAYER_TABLE_SEAM)
    n = fast.lattice.n_layers
    assert list(seam_layers) == (list(range(reach)) + list(range(n - reach, n)) if geometry == "bulk" else [])
    real_layer_kinds = refresh.layer_kinds
    others = []
    if form == "second_moment":
        def all_seam(table_layers, reach=0, wrap_z=False):
            kinds = real_layer_kinds(table_layers, reach, wrap_z)
            kinds[kinds == rate_rules.LAYER_TABLE_INTERIOR] = rate_rules.LAYER_TABLE_SEAM
            return kinds
        monkeypatch.setattr(refresh, "layer_kinds", all_seam)
        seam = Simulation(load_config(PARAMS / file, over))
        np.testing.assert_array_equal(seam._layer_kinds == rate_rules.LAYER_TABLE_SEAM,
                                      fast._layer_kinds >= rate_rules.LAYER_TABLE_INTERIOR)
        others.append(seam)
    monkeypatch.setattr(refresh, "layer_kinds",
                        lambda table_layers, reach=0, wrap_z=False: (np.asarray(table_layers) != 0).astype(np.uint8))
    no_interior = Simulation(load_config(PARAMS / file, over))
    assert not (no_interior._layer_kinds >= rate_rules.LAYER_TABLE_INTERIOR).any()
    others.append(no_interior)
    if form == "second_moment":
        monkeypatch.setattr(refresh, "layer_kinds",
                            lambda table_layers, reach=0, wrap_z=False: np.zeros(len(table_layers), np.uint8))
        general = Simulation(load_config(PARAMS / file, over))
        assert (general._layer_kinds == rate_rules.LAYER_INTERFACE).all()
        others.append(general)
    fast.step(40000)
    for other in others:
        other.step(40000)
        assert fast.time_s == other.time_s and np.array_equal(fast.counts, other.counts)
        np.testing.assert_array_equal(fast.site_word, other.site_word)
        np.testing.assert_array_equal(fast.vacancy_rates, other.vacancy_rates)
        np.testing.assert_array_equal(fast.tree, other.tree)
    assert_rates_match(fast)


@pytest.mark.parametrize("form", slow_bond(FAST_PATHS))
def test_a_full_work_queue_runs_early_without_changing_the_run(form, monkeypatch):
    """The refresh queues the rows and slots that need the general rate code and runs them at
    the end of the event, or at once when the queue is full (refresh._queue_work).  With room for
    two entries the queue runs several times within most events at the interface; the run must
    still be the default queue's, bit for bit, and its rates those of the total energy."""
    file, _, _ = FAST_PATHS[form]
    over = ["lattice.cells=[8,8,6]", "composition.solute_fraction=0.1", "run.acceleration=1e9",
            "boundary.bottom=closed"]
    runs = [Simulation(load_config(PARAMS / file, over))]
    monkeypatch.setattr(state, "WORK_CAPACITY", 2)
    runs.append(Simulation(load_config(PARAMS / file, over)))
    assert runs[1].work.shape[0] == 3 and runs[0].work.shape[0] > 3
    for sim in runs:
        sim.step(20000)
    assert runs[0].time_s == runs[1].time_s and np.array_equal(runs[0].counts, runs[1].counts)
    assert runs[0].counts[events.EV_STRIP] > 0
    np.testing.assert_array_equal(runs[0].site_word, runs[1].site_word)
    np.testing.assert_array_equal(runs[0].vacancy_rates, runs[1].vacancy_rates)
    np.testing.assert_array_equal(runs[0].tree, runs[1].tree)
    assert_rates_match(runs[1])


FLATTENED = {  # energies flattened so that a vacancy visits every layer at 400 K
    "bond": ("li_li2s_bond.toml", ["energy.adhesion_host_eV=0.40", "energy.layer_vacancy_eV=[0.0,-0.05]"]),
    "second_moment": ("li_li2s.toml", ["energy.electrolyte_repulsion_host_eV=0.22",
                                       "energy.electrolyte_coordination_host=5.0", PERFECT_INTERFACE]),
}
# (the layer weights count every site of a layer alike: the perfect interface, no pore's mouth in L1)


@pytest.mark.slow
@pytest.mark.parametrize("form", sorted(FLATTENED))
def test_detailed_balance_single_vacancy_layer_occupancy(form):
    """Closed box, one vacancy, no stripping or creep: the time-averaged layer occupancy of the
    vacancy matches the Boltzmann weights of the model's energies.

    The reference weights come from the model's total energy (not from engine code).  The
    tolerance is statistical: the run is cut into 20 blocks, and each layer's mean occupancy
    must agree with its weight within 4 standard errors of the block means (plus 0.002 for
    the residual correlation between blocks).  The energies are flattened (FLATTENED, 400 K) so
    every layer is visited often enough to be tested.
    """
    name, flat = FLATTENED[form]
    settings = load_config(PARAMS / name, [
        "lattice.cells=[3,3,5]", "composition.vacancy_fraction=0.0112", "boundary.bottom='closed'",
        "conditions.current_density_mA_cm2=0", "conditions.stack_pressure_MPa=0",
        "conditions.temperature_K=400", "run.stop_stripped_mAh_cm2=0", "run.max_events=1"] + flat)
    sim = Simulation(settings)
    lat, model = sim.lattice, sim.model
    assert int((sim.occupancy == VACANCY).sum()) == 1
    spl = lat.sites_per_layer
    energies = []
    for layer in range(lat.n_layers):
        occ = np.full(lat.n_sites, HOST, np.int8)
        occ[layer * spl] = VACANCY
        energies.append(model.total_energy(occ, lat))
    energies = np.array(energies)
    w = spl * np.exp(-(energies - energies.min()) / model.kT_eV)
    expected = w / w.sum()

    def integral():
        t = sim.time_s
        return sim.layer_vacancy_time + sim.layer_vacancies * (t - sim.layer_last_time), t

    blocks = []
    sim.step(20000)  # equilibrate
    i0, t0 = integral()
    for _ in range(20):
        sim.step(100_000)
        i1, t1 = integral()
        blocks.append((i1 - i0) / (t1 - t0))
        i0, t0 = i1, t1
    blocks = np.array(blocks)
    mean = blocks.mean(0)
    sem = blocks.std(0, ddof=1) / math.sqrt(len(blocks))
    for layer in range(lat.n_layers):
        print(f"layer {layer}: model {expected[layer]:.4f}  kMC {mean[layer]:.4f} +- {sem[layer]:.4f}")
    assert np.all(np.abs(mean - expected) <= 4 * sem + 0.002)
    assert expected.min() > 0.01  # the test really samples every layer


def test_time_averaged_layer_vacancies_conserve_the_count(li_params):
    """In a closed box without stripping the vacancy number is fixed, so the time-averaged
    per-layer counts sum to it exactly, and L1 (the cheapest layer) holds the most."""
    sim = Simulation(load_config(li_params, [
        "lattice.cells=[4,4,3]", "composition.vacancy_fraction=0.03", "boundary.bottom='closed'",
        "conditions.current_density_mA_cm2=0", "run.stop_stripped_mAh_cm2=0", "run.max_events=1"]))
    n = int((sim.occupancy == VACANCY).sum())
    sim.step(50000)
    profile = sim.time_averaged_layer_vacancies()
    assert profile.sum() == pytest.approx(n, rel=1e-9)
    assert profile.argmax() == 0


# A throw-away event class, written as ARCHITECTURE.md's checklist says a new class is: its rule
# (here: a host atom anywhere turns into a solute atom, at a tenth of the hop rate the box starts
# with), its rate and apply kernels in kmc.engine.events' layout, and one registration (an entry added
# to events.EVENT_TABLE, a count slot after EVENT_CLASSES).  No engine code changes.
EV_TRANSMUTE = len(events.EVENT_CLASSES)
_throwaway = compiled(inline=True, cache=False)


@_throwaway
def _transmute_rate(g, st, drive):
    return 0.1 * st.tree[1]


@_throwaway
def _apply_transmute(g, m, st, contact, tally, tracers, drive, bond, embedding):
    n_sites = st.site_word.shape[0]
    s = int(next_uniform(tally.rng) * n_sites)
    f0 = frame(s, g.table, g.nx, g.ny, g.sites_per_layer, g.n_layers, g.wrap_z)
    if species_at(st.site_word, s) != HOST:
        return events.GO_ON, events.EV_NULL, 0, f0, f0, False
    set_species(f0, SOLUTE, g.neighbours, g.nx, g.sites_per_layer, st.site_word)
    return events.GO_ON, EV_TRANSMUTE, 1, f0, f0, False


@pytest.mark.slow   # compiles run_chunk for the new table without the cache (~40 s; one form: the
def test_a_new_event_class_needs_a_rule_a_registration_and_no_engine_change():   # code is the same)
    sim = Simulation(form_config("bond", CASES["limg_bulk"]))
    sim.run_chunk = loop.run_chunk_with(events.EVENT_TABLE + ((_transmute_rate, _apply_transmute, events.note_nothing),))
    sim.counts = np.zeros(len(events.EVENT_CLASSES) + 1, np.int64)
    sim.class_per_s = np.zeros(len(events.EVENT_TABLE) + 1)
    solute0 = int(np.count_nonzero(sim.occupancy == SOLUTE))
    for _ in range(10):
        assert sim.step(300) == "events"
        assert_rates_match(sim)   # the engine refreshed what the new class changed
    assert sim.counts[EV_TRANSMUTE] > 0 and sim.counts[events.EV_HOP_HOST] > 0
    assert sim.counts.sum() == sim.events == 3000
    # hops conserve species; only the new class turns hosts into solute atoms
    assert np.count_nonzero(sim.occupancy == SOLUTE) == solute0 + sim.counts[EV_TRANSMUTE]
