"""The interface energy terms that took the computed rows (docs/energy_model.md section 7), against total energies.

* q acts between an L1 vacancy and a solute first neighbour, not between an L1 solute and an L2
  vacancy (kmc.rate_rules.bond_class): checked on EnergyModel.total_energy with q switched on and off.
* The L1 solute pairs a and a sqrt2 apart (energy.interface_solute_pair_eV, *_sqrt2_eV): the energy
  of a pair minus the same two solutes 2a sqrt2 apart is the parameter, on total energies.
* The engine's rates and strip weights on configurations built to hold exactly these motifs (L1
  solutes over L2 vacancies, L1 vacancies over L2 solutes, L1 solute pairs with vacancies next to
  them) equal rates and removal energies from total-energy differences, before and after every
  event (tests/test_engine.py's and tests/test_strip_weights.py's oracles), for both forms.
"""
import numpy as np
import pytest

from kmc.config import load_config
from kmc.model import build_energy_model, build_lattice
from kmc.simulation import Simulation
from kmc.species import HOST, SOLUTE, VACANCY

from conftest import PARAMS
from test_engine import FORMS, assert_rates_match, slow_bond
from test_strip_weights import assert_weights_match_total_energies

CELLS = ["lattice.cells=[5,5,4]", "composition.solute_fraction=0.0", "composition.vacancy_fraction=0.0"]


def _model(name, overrides=()):
    s = load_config(PARAMS / name, CELLS + list(overrides))
    lat = build_lattice(s)
    return s, lat, build_energy_model(s, lat)


def _energy(model, lat, changes):
    occ = np.full(lat.n_sites, HOST, np.int8)
    for site, sp in changes.items():
        occ[site] = sp
    return model.total_energy(occ, lat)


def _far_l2(lat, s):
    """An L2 site not a first neighbour of L1 site s."""
    spl = lat.sites_per_layer
    near = set(int(n) for n in lat.neighbors[s] if n >= 0)
    return next(t for t in range(spl, 2 * spl) if t not in near)


@pytest.mark.parametrize("name", ["limg_li2s.toml", "limg_li2s_bond.toml"])
def test_q_acts_on_an_l1_vacancy_over_an_l2_solute_and_not_on_an_l1_solute_over_an_l2_vacancy(name):
    """The part of each configuration's energy that q carries: q for an L1 vacancy bonded to an L2
    solute, 0 for an L1 solute bonded to an L2 vacancy (the symmetric form gave q to both)."""
    _, lat, with_q = _model(name)
    _, _, no_q = _model(name, ["energy.interface_solute_vacancy_eV=0"])
    q = load_config(PARAMS / name).energy.interface_solute_vacancy_eV
    assert q > 0.2
    l1 = 0
    l2 = int(lat.neighbors[l1][lat.neighbors[l1] >= 0][0])
    vac_over_solute = {l1: VACANCY, l2: SOLUTE}
    solute_over_vac = {l1: SOLUTE, l2: VACANCY}
    for config, expected in ((vac_over_solute, q), (solute_over_vac, 0.0)):
        got = _energy(with_q, lat, config) - _energy(no_q, lat, config)
        assert got == pytest.approx(expected, abs=1e-9), config


@pytest.mark.parametrize("name", ["limg_li2s.toml", "limg_li2s_bond.toml"])
def test_l1_solute_pairs_cost_their_parameters(name):
    """Two L1 solutes a (a sqrt2) apart minus the same two far apart (2a sqrt2 on a 5x5 L1, as
    CHGNet's reference) equals energy.interface_solute_pair_eV (interface_solute_pair_sqrt2_eV)."""
    s, lat, model = _model(name)
    u, u2 = s.energy.interface_solute_pair_eV, s.energy.interface_solute_pair_sqrt2_eV
    assert (u, u2) == (pytest.approx(0.1043), pytest.approx(0.0613))
    a = s.lattice.lattice_constant_A
    pos, box = lat.positions_A, lat.box_A

    def l1_site_at(distance):
        for t in range(1, lat.sites_per_layer):
            d = pos[t] - pos[0]
            d[:2] -= np.round(d[:2] / box[:2]) * box[:2]
            if abs(np.linalg.norm(d) - distance) < 0.05:
                return t
        raise AssertionError(distance)

    far = _energy(model, lat, {0: SOLUTE, l1_site_at(2 * a * np.sqrt(2)): SOLUTE})
    assert _energy(model, lat, {0: SOLUTE, l1_site_at(a): SOLUTE}) - far == pytest.approx(u, abs=1e-9)
    assert _energy(model, lat, {0: SOLUTE, l1_site_at(a * np.sqrt(2)): SOLUTE}) - far == pytest.approx(u2, abs=1e-9)
    _, _, no_u = _model(name, ["energy.interface_solute_pair_eV=0", "energy.interface_solute_pair_sqrt2_eV=0"])
    for d in (a, a * np.sqrt(2)):
        assert _energy(no_u, lat, {0: SOLUTE, l1_site_at(d): SOLUTE}) == pytest.approx(
            _energy(no_u, lat, {0: SOLUTE, l1_site_at(2 * a * np.sqrt(2)): SOLUTE}), abs=1e-9)


def _motif_occupancy(lat):
    """A 5x5 L1 with: solute pairs a apart (a row of solutes) and a sqrt2 apart (a diagonal
    solute), L1 solutes over L2 vacancies, L1 vacancies over L2 solutes, and L1 vacancies next to
    the solute pairs, so that the first events move solutes into, out of and along pairs and
    across the asymmetric q bonds."""
    spl = lat.sites_per_layer
    occ = np.full(lat.n_sites, HOST, np.int8)
    q = lat.l1_second_neighbors
    # a row of three L1 solutes, each a from the next
    occ[0] = SOLUTE
    occ[q[0, 0]] = SOLUTE
    occ[q[q[0, 0], 0]] = SOLUTE
    occ[lat.l1_third_neighbors[0, 0]] = SOLUTE      # a sqrt2 from the first
    # an L1 vacancy a from the row's first solute, on the other side
    occ[q[0, 1]] = VACANCY
    # L2 vacancies under two of the row's solutes
    for s in (0, int(q[0, 0])):
        occ[int(lat.neighbors[s][lat.neighbors[s] >= 0][0])] = VACANCY
    # an L1 vacancy over an L2 solute elsewhere, and a free L2 solute next to an L1 solute pair
    far = next(t for t in range(spl) if occ[t] == HOST and all(occ[n] == HOST for n in lat.neighbors[t] if n >= 0)
               and all(occ[p] == HOST for p in q[t] if p >= 0))
    occ[far] = VACANCY
    occ[int(lat.neighbors[far][lat.neighbors[far] >= 0][1])] = SOLUTE
    assert (occ[:spl] == SOLUTE).sum() == 4 and (occ[spl:2 * spl] == VACANCY).sum() == 2
    return occ


@pytest.mark.parametrize("form", slow_bond(sorted(FORMS)))
def test_rates_and_strip_weights_follow_total_energies_on_the_new_motifs(form):
    """Kernel rates (hop_energy_change_eV, the embedding form's regrouped sums, hops redone by the
    refresh) and strip weights (removal_energy_eV) against total-energy differences, on the motif
    configuration and after each of 300 events; the solute pair and q terms must appear in them
    (the same configuration without them gives other rates)."""
    name, extra = FORMS[form]
    s = load_config(PARAMS / name, CELLS + extra + ["conditions.stack_pressure_MPa=20", "run.acceleration=1e9"])
    lat = build_lattice(s)
    occ = _motif_occupancy(lat)
    sim = Simulation(s, occupancy=occ)
    bare = Simulation(s.with_overrides(["energy.interface_solute_pair_eV=0", "energy.interface_solute_pair_sqrt2_eV=0",
                                        "energy.interface_solute_vacancy_eV=0"]), occupancy=occ)
    assert sim.model.l1_shells == 2
    assert not np.array_equal(sim.vacancy_rates, bare.vacancy_rates), "the motif must exercise the new terms"
    assert_rates_match(sim)
    assert_weights_match_total_energies(sim)
    for _ in range(300):
        sim.step(1)
        assert_rates_match(sim)
    assert_weights_match_total_energies(sim)


def test_a_run_without_solute_skips_the_shell_only_solute_pairs_reach():
    """params/li_li2s.toml lists the Li-Mg model's L1 solute pairs; with no solute in the box or
    the electrode they never form, so the engine visits only the vacancy pair's shell (a); a
    solute in the box (placed by hand here) or in the composition brings the a sqrt2 shell back."""
    from kmc.simulation import Simulation
    small = ["lattice.cells=[6,6,4]"]
    li = Simulation(load_config(PARAMS / "li_li2s.toml", small))
    assert li.settings.energy.interface_solute_pair_sqrt2_eV != 0 and li.model.l1_shells == 2
    assert li._rate_model.l1_shells == 1
    assert Simulation(load_config(PARAMS / "limg_li2s.toml", small))._rate_model.l1_shells == 2
    occ = li.occupancy.copy()
    occ[0] = SOLUTE
    assert Simulation(li.settings, occupancy=occ)._rate_model.l1_shells == 2
