"""The electrode around the box (docs/physics.md §4b): vacancy sinks at a physical distance and
the solute continuum below the box (kmc.electrode, kmc.model.build_event_rates).

Statistical tolerances: exits are a counting process whose intensity is k N_b(t) (N_b the bottom
layer's vacancies), so exits - k * integral(N_b dt) has mean 0 and variance E[exits]; the tests
allow 4.5 standard deviations (a false failure once in ~150,000 runs; the seeds are fixed anyway).
Time averages are compared with batch means (10 consecutive batches; their standard error
includes the correlation within a batch), also at 4.5 standard errors.
"""
import math

import numpy as np
import pytest
from click.testing import CliRunner

from kmc import electrode, units
from kmc.engine import events
from kmc.cli import main
from kmc.config import ConfigError, load_config
from kmc.model import box_vacancy_equilibrium_fraction, cell_transport, solute_vacancy_binding_eV
from kmc.simulation import Simulation
from regimes import NO_FORMATION_ENTROPY

# A small Li slab with no stripping and no creep: only hops, exits and entries change it.
QUIET = ["lattice.cells=[6,6,3]", "conditions.current_density_mA_cm2=0", "conditions.stack_pressure_MPa=0",
         "run.acceleration=1", "run.stop_stripped_mAh_cm2=0", "run.max_events=1", "electrode.thickness_um=1",
         "boundary.bottom='reservoir'"]


def reservoir_sim(li_params, sink_um, c_target=0.02, seed=1):
    """Sinks at sink_um below the box holding c_eq * S = c_target (S from the model's c_eq)."""
    s = c_target / box_vacancy_equilibrium_fraction(load_config(li_params), units.kT_eV(298.0))
    return Simulation(load_config(li_params, QUIET + [f"electrode.sink_distance_um={sink_um}",
                                                      f"boundary.supersaturation={s}", f"run.seed={seed}"]))


def bottom_integral(sim):
    """Integral of the bottom layer's vacancy count over kMC time so far (count x s)."""
    return float(sim.layer_vacancy_time[-1] + sim.layer_vacancies[-1] * (sim.time_s - sim.layer_last_time[-1]))


def test_deep_box_only_where_there_are_sinks(li_params):
    """A closed bottom or a periodic bulk box has no path to sinks: hops keep their physical rates.
    (With sinks the deep box speeds hops up where A d N exceeds its share of L: at A = 1e6; at the
    shipped 1e4 the box's deep layers are already short of their share, and the factor is 1.)"""
    assert Simulation(load_config(li_params, ["boundary.bottom='reservoir'",
                                              "run.acceleration=1e6"])).rates.deep_hop_factor > 1
    for over in (["boundary.bottom='closed'"], ["lattice.geometry='bulk'", "lattice.cells=[4,4,4]", "run.max_events=1"]):
        rates = Simulation(load_config(li_params, over)).rates
        assert rates.deep_hop_factor == 1.0


@pytest.mark.parametrize("share", [0.0, 0.5, 0.1])
def test_exit_rate_is_the_quasi_static_escape_to_the_sinks(li_params, share):
    """k = A D_v / (d L') with D_v = nu exp(-E_kra/kT) a^2, and entries k c_eq S per bottom site,
    computed here from the parameter file alone.  L' is what the deep box leaves to the boundary:
    its N - 1 hops (N layers from the first bulk layer, L4, down) weigh A (N - 1) d / B in cell
    terms, and with them L' must make the cell's path L + (N - 1) d, for every box depth."""
    for accel, sink_um, depth in ((1e6, 100.0, 12), (1e6, 100.0, 24), (3e4, 7.0, 12), (1e3, 100.0, 12)):
        cfg = load_config(li_params, [f"run.acceleration={accel}", f"electrode.sink_distance_um={sink_um}",
                                      "boundary.supersaturation=10", f"run.deep_box_share={share}",
                                      f"lattice.cells=[6,6,{depth}]"])
        sim = Simulation(cfg)
        kin = cfg.kinetics
        a = cfg.lattice.lattice_constant_A
        d = a / 2
        kT = units.kT_eV(cfg.conditions.temperature_K)
        d_v = kin.attempt_frequency_Hz * math.exp(-kin.kra_host_eV / kT) * a * a      # A^2/s
        assert d_v * 1e-16 == pytest.approx(1.45e-3, rel=0.01)   # docs/physics.md §4b: ~1.5-1.8e-3 cm^2/s
        # the box's hops carry the formation entropy (kmc.model.box_hop_prefactor_Hz), its D_v with them
        d_v *= math.exp(cfg.boundary.vacancy_formation_entropy_kB)
        sink_A = sink_um * 1e4
        deep_A = (2 * depth - 3 - 1) * d      # layers L4 .. L(2 depth): 2 depth - 3 of them
        b = sim.rates.deep_hop_factor
        assert sim.rates.deep_first_layer == 3
        if share == 0:
            assert b == 1.0 and sim.rates.boundary_sink_distance_A == sink_A
        else:
            assert accel * deep_A / b == pytest.approx(min(share * (sink_A + deep_A), accel * deep_A), rel=1e-12)
            assert accel * deep_A / b + sim.rates.boundary_sink_distance_A == pytest.approx(sink_A + deep_A, rel=1e-12)
        k = accel * d_v / (d * sim.rates.boundary_sink_distance_A)
        assert sim.rates.exit_per_bottom_vacancy_per_s == pytest.approx(k, rel=1e-12)
        c_eq = math.exp(-cfg.boundary.vacancy_formation_eV / kT)      # the box's own equilibrium: no S_f
        assert sim.rates.create_total_per_s == pytest.approx(k * 10 * c_eq * sim.lattice.sites_per_layer, rel=1e-12)


@pytest.mark.parametrize("sink_um", [0.001, 0.004])
def test_exits_and_entries_follow_their_rates_and_flux_scales_as_one_over_L(li_params, sink_um):
    """Counted exits equal k times the time integral of the bottom layer's vacancies, and entries
    k c_eq S times that of its atoms, each within 4.5 sqrt(count); k falls as 1/L."""
    sim = reservoir_sim(li_params, sink_um)
    sim.step(150_000)
    exits, entries = int(sim.counts[events.EV_EXIT]), int(sim.counts[events.EV_ENTER])
    k = sim.rates.exit_per_bottom_vacancy_per_s
    assert k == pytest.approx(sim.rates.vacancy_diffusivity_A2_s / (sim.lattice.layer_spacing_A * sink_um * 1e4))
    occupied = sim.lattice.sites_per_layer * sim.time_s - bottom_integral(sim)
    assert exits > 200 and entries > 200
    assert abs(exits - k * bottom_integral(sim)) < 4.5 * math.sqrt(exits)
    enter_per_site = sim.rates.create_total_per_s / sim.lattice.sites_per_layer
    assert abs(entries - enter_per_site * occupied) < 4.5 * math.sqrt(entries)


@pytest.mark.slow
def test_bottom_layer_relaxes_to_the_sinks_concentration(li_params):
    """With no stripping, the bottom layer's vacancy fraction settles at c/(1 + c), c = c_eq S (the
    stationary balance of exits from vacancies and entries into atoms, whatever the box does
    above it; here the lithiophobic L1 fills with vacancies first, hence the burn-in)."""
    c = 0.02
    sim = reservoir_sim(li_params, 0.001, c_target=c, seed=3)
    sim.step(100_000)
    spl = sim.lattice.sites_per_layer
    means = []
    for _ in range(10):
        i0, t0 = bottom_integral(sim), sim.time_s
        sim.step(60_000)
        means.append((bottom_integral(sim) - i0) / (sim.time_s - t0) / spl)
    means = np.array(means)
    se = means.std(ddof=1) / math.sqrt(means.size)
    assert abs(means.mean() - c / (1 + c)) < 4.5 * se, (means.mean(), c / (1 + c), se)


# Li-Mg slab with every boundary event busy: sinks 275 um below the box holding 3e3 c_eq (so that
# at A = 1e7 entries and exits are about as frequent as strips and the bottom's vacancy fraction
# makes the solute exchange happen), fast stripping and creep.  L1 fills with Mg after ~700
# strips (the model's 0.51 eV segregation to L1), which ends the run: enough for every event.
LIMG_BUSY = ["lattice.cells=[6,6,4]", "composition.solute_fraction=0.05", "composition.vacancy_fraction=0.02",
             "run.acceleration=1e7", "conditions.current_density_mA_cm2=5", "conditions.stack_pressure_MPa=10",
             "electrode.thickness_um=1000", "electrode.sink_distance_um=275", "boundary.supersaturation=3e3",
             "run.stop_stripped_mAh_cm2=0", "run.max_events=1",
             # the box's hops at nu (tests/regimes.py): with exp(2.75) on them, 90k events strip too
             # little to use up the electrode's top cell, which the conservation test must see
             NO_FORMATION_ENTROPY]


def test_solute_is_conserved_between_box_and_electrode(limg_params):
    """Box + continuum solute stays the initial total (to rounding) through exits, entries,
    exchanges, stripping, creep, continuum steps and re-gridding of its top cell."""
    sim = Simulation(load_config(limg_params, LIMG_BUSY))
    total0 = sum(sim.solute_inventory())
    sites0 = int(sim.electrode_sites.sum())
    assert total0 == pytest.approx(0.05 * (sim.electrode_sites.sum() + sim.lattice.n_sites * 0.98), rel=1e-3)
    cells0 = sim.electrode_sites.size
    for _ in range(30):
        reason = sim.step(3000)
        box, continuum = sim.solute_inventory()
        # the kernel's transfers since the last step are not booked on the continuum yet
        pending = int(sim.electrode_flux[electrode.SOLUTE_IN])
        assert box + continuum - pending == pytest.approx(total0, rel=1e-12, abs=1e-6)
        if reason != "events":   # the small L1 ends up all Mg (no_strippable_host)
            break
    for cls in ("exit_bulk", "enter_bulk", "exchange_bulk", "strip"):
        assert sim.event_counts()[cls] > 0, cls
    assert sim.electrode_tally[electrode.STEPS] > 30
    assert sim.electrode_sites.size < cells0          # the top cell was used up and merged
    # sites too: the continuum lost exactly the atoms the box took (booked ones)
    assert int(sim.electrode_sites.sum()) == sites0 - int(sim.electrode_tally[electrode.ATOMS_IN_TOTAL])
    assert np.all(sim.electrode_solute >= -1e-9)


# the coupled run twice, ~7 s of CPU (chunking: tests/test_engine.py::test_chunking_does_not_change_results)
@pytest.mark.slow
def test_chunking_does_not_change_the_coupled_trajectory(limg_params):
    """The continuum steps at kMC times it sets itself, so chunk sizes leave the run unchanged."""
    a = Simulation(load_config(limg_params, LIMG_BUSY))
    b = Simulation(load_config(limg_params, LIMG_BUSY))
    a.step(40_000)
    for _ in range(40):
        b.step(1000)
    assert np.array_equal(a.site_word, b.site_word) and a.time_s == b.time_s
    for name in ("electrode_sites", "electrode_solute", "electrode_drive", "electrode_tally"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_solute_diffusivity_is_the_models_own(limg_params):
    """D_Mg = c_v exp(-E_b/kT) Gamma_Mg a^2: E_b from the model's total energies is the fitted
    0.5153 - 0.50 eV (params/limg_li2s.toml).  Without the formation entropy (the box's
    equilibrium c_v = exp(-E_f/kT), hops at nu) the value is within a factor 3 of seed 004's DFT
    D_Mg, 2.06e-13 cm^2/s at 25 C, itself computed from the 0 K formation energy (the correlation
    factor and the prefactor are not fitted).  With it the box keeps that c_v and its hops carry
    exp(S_f) (kmc.model.box_hop_prefactor_Hz), so D_Mg is the cell's at c_eq, exp(S_f) higher."""
    cfg = load_config(limg_params)
    assert solute_vacancy_binding_eV(cfg) == pytest.approx(0.0153, abs=0.002)
    sim = Simulation(cfg)
    d_eq = sim.rates.solute_diffusivity_per_vacancy_A2_s * sim.rates.bulk_vacancy_concentration * 1e-16
    plain = Simulation(load_config(limg_params, [NO_FORMATION_ENTROPY]))
    d_eq_0 = plain.rates.solute_diffusivity_per_vacancy_A2_s * plain.rates.bulk_vacancy_concentration * 1e-16
    assert 2.06e-13 / 3 < d_eq_0 < 2.06e-13 * 3
    assert d_eq == pytest.approx(d_eq_0 * math.exp(cfg.boundary.vacancy_formation_entropy_kB), rel=1e-12)
    assert d_eq == pytest.approx(cell_transport(cfg).solute_diffusivity_um2_s(1.0) * 1e-8, rel=1e-12)
    obs = sim.observables()
    assert obs["solute_diffusivity"] == pytest.approx(d_eq, rel=1e-9)   # no vacancy at the bottom yet: c_eq
    assert obs["electrode_top_solute_fraction"] == pytest.approx(0.03)


@pytest.mark.parametrize("override, culprit", [
    ("electrode.thickness_um=0", "electrode.thickness_um"),
    ("electrode.thickness_um=-5", "electrode.thickness_um"),
    ("electrode.thickness_um=1e5", "electrode.thickness_um"),
    ("electrode.sink_distance_um=0", "electrode.sink_distance_um"),
    ("electrode.sink_distance_um='far'", "electrode.sink_distance_um"),
    ("electrode.sink_distance_um=200", "electrode.sink_distance_um"),    # beyond the 100 um thickness
    ("electrode.thickness_um=0.002", "electrode.thickness_um"),         # shallower than the 4.2 nm box
    ("electrode.depth_um=3", "electrode.depth_um"),
    ("run.deep_box_share=1", "run.deep_box_share"),
    ("run.deep_box_share=-0.5", "run.deep_box_share"),
])
def test_bad_electrode_keys_are_refused(li_params, override, culprit, tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(li_params, [override])
    assert culprit in str(err.value) and "allowed" in str(err.value)
    out = tmp_path / "x.h5"
    result = CliRunner().invoke(main, ["run", str(li_params), "-o", str(out), "--no-progress", "--set", override])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and culprit in lines[0]
    assert not list(tmp_path.iterdir())


def test_continuum_spreads_solute_as_diffusion_does(limg_params):
    """The continuum alone: excess solute put into the top cell spreads as from a point source at a
    reflecting wall, <z^2> = 2 D t, with D uniform (bottom vacancy fraction = the sinks'); the grid
    (first cell 4.2 nm, ratio 1.1) and 200 backward-Euler steps resolve sqrt(2 D t) = 0.5 um to a
    few per cent, and the solute total stays exact to rounding."""
    sim = Simulation(load_config(limg_params))
    el = sim.electrode
    sites, solute = sim.electrode_sites.copy(), sim.electrode_solute.copy()
    excess = 1e5
    solute[0] += excess
    total = solute.sum()
    c_inf = el.c_inf
    d = el.d_per_cv * c_inf                                    # A^2/s, cell time
    t_cell = (0.5e4) ** 2 / (2 * d)
    drive = sim.electrode_drive.copy()
    drive[electrode.LAST_T] = 0.0
    flux, tally = np.zeros(2, np.int64), np.zeros(3, np.int64)
    for i in range(1, 201):
        sites, solute = el.step(sites, solute, drive, flux, tally, i * t_cell / 200 / el.accel, c_inf)
    assert solute.sum() == pytest.approx(total, rel=1e-13)
    h = sites / el.spl * el.d
    z = np.cumsum(h) - 0.5 * h
    extra = solute - sites * el.x0
    msd = float((extra * z * z).sum() / extra.sum())
    assert msd == pytest.approx(2 * d * t_cell, rel=0.02)   # measured: +0.26 % (the grid), any step count
