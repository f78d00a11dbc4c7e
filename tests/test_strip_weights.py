"""Energy-weighted stripping (docs/validation.md): a joined L1 host atom's share of the galvanostatic current
goes as exp(-alpha dE_removal / kT), dE_removal from the model's own configuration energy.

The oracle is EnergyModel.total_energy: every weight the engine holds is checked against the
energy difference of removing that atom, after runs of every event class.  The draws are checked
against the weights with fixed seeds and tolerances from the binomial / chi-square statistics."""
import math

import numpy as np
import pytest

from kmc.engine import events
from kmc.config import load_config
from kmc.seeding import rng_state_from_seed
from kmc.simulation import Simulation
from kmc.species import HOST, SOLUTE, VACANCY

from conftest import PARAMS
from regimes import PERFECT_INTERFACE

SMALL = ["lattice.cells=[6,6,5]", "run.acceleration=3e6"]


def removal_energies(sim):
    """dE of taking each L1 host atom under the electrolyte out of the metal, from total energies (no
    engine code); one at a pore's mouth has no weight (nothing strips there: kmc.pore)."""
    lat, model = sim.lattice, sim.model
    occ = sim.occupancy.copy()
    e0 = model.total_energy(occ, lat)
    out = {}
    for s in range(lat.sites_per_layer):
        if occ[s] == HOST and (sim.pore is None or not sim.pore.l1_open[s]):
            occ[s] = VACANCY
            out[s] = model.total_energy(occ, lat) - e0
            occ[s] = HOST
    return out


def assert_weights_match_total_energies(sim):
    """Every leaf of the strip tree is exp(-alpha/kT dE) of its atom's removal energy (0 on a
    vacancy or a solute), and every node the sum of its children."""
    a = sim.rates.strip_activation_per_eV
    tree = sim.strip_tree
    cap = tree.shape[0] // 2
    spl = sim.lattice.sites_per_layer
    expected = removal_energies(sim)
    assert expected, "no L1 host atom: the check would be vacuous"
    for s in range(spl):
        w = tree[cap + s]
        if s in expected:
            # compare energies: the totals (~1e3 eV) carry ~1e-10 eV of rounding
            assert -math.log(w) / a == pytest.approx(expected[s], abs=1e-8), s
        else:
            assert w == 0.0, s
    assert not tree[cap + spl:].any()
    np.testing.assert_array_equal(tree[1:cap], tree[2:2 * cap:2] + tree[3:2 * cap:2])


@pytest.mark.parametrize("params", ["limg_li2s.toml", pytest.param("limg_li2s_bond.toml", marks=pytest.mark.slow),
                                    "li_li2s.toml"])   # the bond form's loop is slow tier (tests/test_engine.py)
def test_strip_weights_follow_the_total_energy_after_every_event_class(params):
    """Hops, strips, creep refills, exits, entries and solute exchanges all change removal energies;
    after thousands of them the tree the engine kept holds the weights of the configuration."""
    sim = Simulation(load_config(PARAMS / params, SMALL + ["composition.vacancy_fraction=0.02",
                                                           "conditions.stack_pressure_MPa=5"]))
    assert sim.rates.strip_activation_per_eV == pytest.approx(0.5 / sim.model.kT_eV)
    assert_weights_match_total_energies(sim)
    for _ in range(3):
        sim.step(20_000)
        assert_weights_match_total_energies(sim)
    for name in ("hop_host", "strip", "creep_refill"):
        assert sim.counts[events.EVENT_CLASSES.index(name)] > 0, name


def _draws(sim, n_draws, seed):
    """n_draws strip picks from the current configuration (nothing applied), as apply_strip draws."""
    rate_model, state, contact = sim._kernel_state()
    rng = rng_state_from_seed(seed)
    out = np.zeros(n_draws, np.int64)
    for i in range(n_draws):
        out[i] = events.draw_weighted_connected_host(sim._geometry, sim.site_word, sim.layer_vacancies, contact,
                                                     sim.ints, rng)
    return out


def test_equal_removal_energies_strip_uniformly():
    """A flat pure-host interface: every L1 atom has the same removal energy, so the weighted rule
    is the uniform one.  Chi-square of 36 sites over 36,000 draws (fixed seed): 35 degrees of
    freedom, mean 35, sd sqrt(70) = 8.4; the bound 35 + 5 sd fails a uniform draw with
    probability ~1e-5.  The perfect interface: a pore's rim would give its neighbours other energies."""
    sim = Simulation(load_config(PARAMS / "li_li2s.toml", SMALL + [PERFECT_INTERFACE]))
    spl = sim.lattice.sites_per_layer
    assert sim.vacancy_count == 0
    leaves = sim.strip_tree[sim.strip_tree.shape[0] // 2:][:spl]
    assert np.all(leaves == leaves[0]) and leaves[0] > 0
    n = 1000 * spl
    counts = np.bincount(_draws(sim, n, 7), minlength=spl)
    chi2 = float(((counts - n / spl) ** 2 / (n / spl)).sum())
    assert chi2 < (spl - 1) + 5 * math.sqrt(2 * (spl - 1)), chi2


def test_weakly_bound_atoms_strip_first_in_the_ratio_of_their_weights():
    """Next to an L1 vacancy an atom's removal costs less, so it takes a larger share: each share
    equals its weight over the sum.  Sites are grouped by removal energy and each group's count
    is checked against N p within 5 binomial sd (fixed seed)."""
    sim = Simulation(load_config(PARAMS / "li_li2s.toml", SMALL))
    occ = sim.occupancy.copy()
    occ[0] = VACANCY                       # one L1 vacancy
    sim = Simulation(sim.settings, occupancy=occ)
    energies = removal_energies(sim)
    a = sim.rates.strip_activation_per_eV
    groups = {}
    for s, dE in energies.items():
        groups.setdefault(round(dE, 9), []).append(s)
    assert len(groups) >= 2, "the vacancy must split the removal energies"
    weight = {s: math.exp(-a * dE) for s, dE in energies.items()}
    total = sum(weight.values())
    n = 40_000
    picks = _draws(sim, n, 11)
    assert set(picks) <= set(energies)
    for dE, members in groups.items():
        p = sum(weight[s] for s in members) / total
        got = np.isin(picks, members).sum()
        assert abs(got - n * p) < 5 * math.sqrt(n * p * (1 - p)) + 1, (dE, got, n * p)
    # the physics: the cheapest removal is the most likely per atom
    cheapest = min(groups)
    assert weight[groups[cheapest][0]] > weight[groups[max(groups)][0]]


def test_unjoined_atoms_are_never_drawn():
    """An L1 atom with no metal path to the electrode carries no current, whatever its weight
    (the weakest bound atoms are often such islands)."""
    sim = Simulation(load_config(PARAMS / "li_li2s.toml", SMALL))
    lat = sim.lattice
    occ = sim.occupancy.copy()
    island = 0
    for n in lat.neighbors[island]:        # cut the island's L2 neighbours
        if n >= 0:
            occ[n] = VACANCY
    sim = Simulation(sim.settings, occupancy=occ)
    picks = _draws(sim, 5000, 3)
    assert island not in set(picks)
    assert len(set(picks)) > lat.sites_per_layer // 2


def test_alpha_zero_is_the_uniform_rule():
    """strip_transfer_coefficient = 0 turns the weights off: the engine draws from the L1 host list
    (no tree is built), the rule of earlier versions."""
    sim = Simulation(load_config(PARAMS / "limg_li2s.toml",
                                 SMALL + ["kinetics.strip_transfer_coefficient=0"]))
    assert sim.rates.strip_activation_per_eV == 0.0
    sim.step(5000)
    assert not sim.strip_tree.any()
