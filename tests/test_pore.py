"""The pellet's pore at the kMC box (kmc.pore, docs/pore_edge.md): where it lies, what its mouth is in the
configuration energy, that nothing strips or counts as contact there, and the perfect interface a key
away."""
import math

import numpy as np
import pytest

from kmc.analysis.edge import edge_state
from kmc.config import ConfigError, load_config
from kmc.model import build_energy_model, build_lattice
from kmc.pore import box_pore
from kmc.simulation import Simulation
from kmc.species import HOST, VACANCY

from conftest import PARAMS
from test_engine import assert_rates_match
from regimes import DENSE_FACE, PERFECT_INTERFACE


def _settings(name="li_li2s", extra=()):
    return load_config(PARAMS / f"{name}.toml", list(extra))


def test_the_shipped_stripe_is_the_faces_open_share_wide_and_centred():
    """A 20-cell box: round(0.17 x 20) = 3 of its 20 columns open, in the middle, across all of y;
    the rim is the two columns beside them (2 x 20 sites, 2 x 7.02 nm long)."""
    s = _settings()
    lat = build_lattice(s)
    pore = box_pore(s, lat)
    nx, ny = s.lattice.cells[:2]
    open_grid = pore.l1_open.reshape(ny, nx)           # [001] L1: site iy * nx + ix
    assert (open_grid == open_grid[0]).all()           # a stripe across y
    assert np.flatnonzero(open_grid[0]).tolist() == [8, 9, 10]
    assert pore.open_fraction == pytest.approx(0.15) and pore.face_open_fraction == pytest.approx(0.17)
    rim_columns = np.unique(pore.rim_sites % nx)
    assert rim_columns.tolist() == [7, 11] and pore.rim_sites.size == 2 * ny
    assert pore.rim_length_A == pytest.approx(2 * ny * s.lattice.lattice_constant_A)


def test_a_110_box_has_its_rim_and_its_runs_summary():
    """On [110] L1's nearest in-plane neighbours are its first neighbours (a sqrt3 / 2 apart, in the next
    columns), none a apart across a column: the rim is the contact columns beside the open ones, two
    rims as long as the box along y, and the run's edge summary divides the rim's gap by that length."""
    from kmc.analysis.edge import summary
    from kmc.simulation import Simulation
    s = _settings(extra=["lattice.orientation='110'", "lattice.cells=[6,6,4]", "run.max_events=2000"])
    lat = build_lattice(s)
    pore = box_pore(s, lat)
    x = np.round(lat.positions_of_layers(0, 1)[:, 0], 6)
    columns = np.unique(x)
    open_columns = np.flatnonzero(np.isin(columns, x[pore.l1_open]))
    assert open_columns.size == round(0.17 * columns.size) and pore.l1_open.any() and not pore.l1_open.all()
    beside = columns[[open_columns[0] - 1, open_columns[-1] + 1]]
    assert np.array_equal(np.sort(pore.rim_sites), np.flatnonzero(np.isin(x, beside)))
    assert pore.rim_length_A == pytest.approx(2 * lat.box_A[1])
    sim = Simulation(s)
    sim.step(2000)
    assert "its contact line" in summary(sim)


@pytest.mark.parametrize("key", [PERFECT_INTERFACE, DENSE_FACE])
def test_the_perfect_interface_is_a_key_away(key):
    s = _settings(extra=[key])
    assert box_pore(s, build_lattice(s)) is None
    assert Simulation(s).model.l1_open is None


@pytest.mark.slow   # compiles the event loop for the perfect interface (~70 s of CPU cold: tests/conftest.py)
def test_the_perfect_interfaces_own_compilation_runs_as_the_pores(monkeypatch):
    """The perfect interface's event loop without the pore's checks (kmc.simulation.kernel_geometry) and
    the pore's loop with every L1 site closed (what the fast tier runs it with, tests/conftest.py) give
    the same run bit for bit: a Li-Mg slab stripped and crept for 20,000 events."""
    import kmc.simulation
    s = _settings("limg_li2s", ["lattice.cells=[6,6,5]", "run.acceleration=1e8", "conditions.stack_pressure_MPa=5",
                                PERFECT_INTERFACE])
    own = Simulation(s)
    assert own._geometry.l1_open is None
    monkeypatch.setattr(kmc.simulation, "kernel_geometry", lambda lattice, l1_open, model: lattice.geometry(l1_open))
    closed = Simulation(s)
    assert closed._geometry.l1_open is not None and not closed._geometry.l1_open.any()
    for sim in (own, closed):
        sim.step(20000)
    assert own.stripped_atoms > 0 and own.events == closed.events == 20000
    own_state, closed_state = own.get_state(), closed.get_state()
    assert own_state.keys() == closed_state.keys()
    for name, value in own_state.items():
        np.testing.assert_array_equal(value, closed_state[name], err_msg=name)


def test_a_file_without_an_electrolyte_table_runs_the_perfect_interface(tmp_path):
    text = (PARAMS / "li_li2s.toml").read_text()
    start = text.index("[electrolyte]")
    end = text.index("[run]")
    path = tmp_path / "old.toml"
    path.write_text(text[:start] + text[end:])
    s = load_config(path)
    assert box_pore(s, build_lattice(s)) is None


def test_a_pit_is_square_and_the_bond_form_refuses_a_pore():
    s = _settings(extra=["electrolyte.box_pore='pit'"])
    pore = box_pore(s, build_lattice(s))
    grid = pore.l1_open.reshape(20, 20)
    rows, cols = np.flatnonzero(grid.any(axis=1)), np.flatnonzero(grid.any(axis=0))
    assert rows.size == cols.size == 8 and grid.sum() == 64      # round(sqrt(0.17) x 20) = 8
    with pytest.raises(ConfigError, match="bond form"):
        bond = load_config(PARAMS / "li_li2s_bond.toml", ["electrolyte.relative_density=0.83", "electrolyte.particle_diameter_um=1.0"])
        box_pore(bond, build_lattice(bond))


def test_the_mouth_is_the_models_free_001_surface():
    """An isolated vacancy at the pore's mouth costs what a (001) surface atom of the bulk terms costs,
    eps (2 + 3 sqrt8 - 4 sqrt7) (its 4 bonds, its embedding, its 4 neighbours' embedding, the atom to
    the bulk; no electrolyte term): -0.070 eV for Li.  A contact site keeps the DFT's 0.28 eV.  Fails if
    the mouth keeps the electrolyte's coordination, repulsion or pair terms."""
    s = _settings(extra=["lattice.cells=[12,12,8]"])
    lat = build_lattice(s)
    pore = box_pore(s, lat)
    model = build_energy_model(s, lat, pore.l1_open)
    bulk = load_config(PARAMS / "li_li2s.toml", ["lattice.geometry='bulk'", "lattice.cells=[4,4,4]",
                                                 "run.max_events=1"])
    blat = build_lattice(bulk)
    mu = build_energy_model(bulk, blat).total_energy(np.full(blat.n_sites, HOST, np.int8), blat) / blat.n_sites
    occ = np.full(lat.n_sites, HOST, np.int8)
    e0 = model.total_energy(occ, lat)

    def formation(site):
        o = occ.copy()
        o[site] = VACANCY
        return model.total_energy(o, lat) - e0 + mu

    eps = s.energy.host_embedding_eV
    mouth = int(np.flatnonzero(pore.l1_open)[0])
    contact = int(np.flatnonzero(~pore.l1_open)[0])
    assert formation(mouth) == pytest.approx(eps * (2 + 3 * math.sqrt(8) - 4 * math.sqrt(7)), abs=1e-9)
    assert formation(mouth) == pytest.approx(-0.0700, abs=5e-4)
    assert formation(contact) == pytest.approx(0.28, abs=1e-3)


@pytest.mark.parametrize("shape", ["stripe", "pit"])
def test_rates_equal_total_energy_differences_with_a_pore(shape):
    """The engine's rates with a pore (the mouth's sites as free surface, bonds to them bulk bonds,
    no L1 pair terms across the rim) equal rates from the total energy, at the start and after
    vacancies have reached the mouth and the rim, in Li-Mg."""
    s = _settings("limg_li2s", ["lattice.cells=[6,6,4]", f"electrolyte.box_pore='{shape}'",
                                "electrolyte.relative_density=0.7", "composition.solute_fraction=0.2",
                                "composition.vacancy_fraction=0.08", "run.acceleration=1e9"])
    sim = Simulation(s)
    assert sim.pore is not None and sim.model.l1_open.any()
    assert_rates_match(sim)
    for _ in range(3):
        sim.step(1500)
        assert_rates_match(sim)
    assert np.count_nonzero(sim.occupancy[:sim.lattice.sites_per_layer][sim.pore.l1_open] == VACANCY) > 0


def test_nothing_strips_under_the_pore_and_its_mouth_is_no_contact():
    """Hops frozen (a 3 eV hop barrier) and stripping run 1e9 times faster: every vacancy is where
    stripping made it.  All are contact sites, none at the pore's mouth; the contact counts and the
    contact fraction count the sites under the electrolyte only.  Fails if the pore is not there."""
    s = _settings(extra=["lattice.cells=[10,10,4]", "kinetics.kra_host_eV=3.0", "kinetics.kra_host_near_solute_eV=3.0",
                         "run.acceleration=1e9", "conditions.stack_pressure_MPa=0", "boundary.bottom='closed'"])
    sim = Simulation(s)
    spl = sim.lattice.sites_per_layer
    l1_open = sim.pore.l1_open
    n_contact = int((~l1_open).sum())
    assert sim.observables()["contact_fraction"] == pytest.approx(n_contact / spl)
    sim.step(40)
    occ = sim.occupancy
    assert sim.stripped_atoms == 40 == np.count_nonzero(occ == VACANCY)
    vacant = np.flatnonzero(occ == VACANCY)
    assert (vacant < spl).all() and not l1_open[vacant].any()
    assert sim.l1_vacancy_count == 40                     # the contact's vacancies
    assert sim.observables()["contact_fraction"] == pytest.approx((n_contact - 40) / spl)


def test_edge_state_reads_the_pores_void_the_rim_gap_and_the_rest():
    s = _settings(extra=["lattice.cells=[10,10,4]"])
    lat = build_lattice(s)
    pore = box_pore(s, lat)
    spl = lat.sites_per_layer
    occ = np.full(lat.n_sites, HOST, np.int8)
    mouth = np.flatnonzero(pore.l1_open)
    occ[mouth] = VACANCY                                   # the mouth emptied
    occ[spl + mouth[:3]] = VACANCY                         # three L2 sites below it (each under the mouth)
    rim = pore.rim_sites[:2]
    occ[rim] = VACANCY                                     # two contact sites at the rim, joined in-plane
    far = next(c for c in np.flatnonzero(~pore.l1_open) if c not in pore.rim_sites
               and not np.isin(lat.l1_second_neighbors[c], pore.rim_sites).any())
    occ[far] = VACANCY
    e = edge_state(occ, lat, pore)
    assert e.mouth_vacancies == mouth.size and e.rim_gap_sites == 2 and e.other_vacancies == 1
    assert e.pore_vacancies == mouth.size + 3 + 2
    assert e.recession_layers == pytest.approx((mouth.size + 3) / mouth.size)


def test_the_figures_show_the_pore_and_count_only_the_contact(tmp_path):
    """The cross-section's electrolyte band has a gap over the pore's mouth (electrolyte colour beside
    it, none above it) and the legend names the pore; the plan view's contact counts the sites under the
    electrolyte (the mouth's metal is no contact) and hatches the mouth."""
    from kmc import plot as kplot
    from kmc.runfile import KmcWriter
    from test_plot import pixel_at, rgba255
    s = _settings(extra=["lattice.cells=[10,10,4]", "run.acceleration=1e8", "run.stop_stripped_mAh_cm2=2e-5",
                         "output.frame_every_mAh_cm2=1e-5"])
    sim = Simulation(s)
    path = tmp_path / "pore.h5"
    sim.run(KmcWriter(path, sim), progress=False)
    a_nm = s.lattice.lattice_constant_A / 10
    mouth_x_nm = (np.flatnonzero(sim.pore.l1_open[:10]) + 0.0) * a_nm      # L1 row 0's open columns (site centres)
    fig = kplot.cross_section(path, frames=[0])
    ax = fig.axes[0]
    electrolyte = rgba255(kplot.ELECTROLYTE_COLOR)
    above = -0.25                                                          # nm, inside the band
    assert np.abs(pixel_at(fig, ax, 0.5 * a_nm, above) - electrolyte).max() <= 2
    assert np.abs(pixel_at(fig, ax, mouth_x_nm.mean(), above) - electrolyte).max() > 20
    assert "pore (no electrolyte)" in [t.get_text() for t in fig.legends[0].get_texts()]
    plan = kplot.plan_view(path, frames=[0])
    n_contact = int((~sim.pore.l1_open).sum())
    assert f"contact {100 * n_contact / 100:.1f} %" in plan.axes[0].get_title()
