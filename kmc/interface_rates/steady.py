"""The steady interface at physical kinetics.

During galvanostatic stripping the interface sits at a vacancy supersaturation S = c_v / c_eq set
by the flux that must leave it: the stripped sites become vacancies at J = i / (e a_s) per area
(a_s the area of an L1 site), and quasi-static diffusion to sinks at L carries them away,
J = D_v c_eq (S - 1) / (Omega L), so

    S = 1 + J Omega L / (D_v c_eq)        (docs/physics.md section 4b; ~100-130 for the seed's cell).

The box's job at that scale is the interface's response to S, not the macroscopic fluxes.  So the
steady interface is the box with every rate at its cell value (acceleration 1) and the vacancy
source that stripping creates replaced by its equivalent: the bottom boundary a reservoir at
S c_eq right below the box (the shortest sink distance the schema allows, 1 A, so the bottom
exchanges with it faster than anything in the box happens).  Why that is equivalent: at
0.5 mA/cm2 stripping removes 3.85 atoms per L1 site per second, while an L1 vacancy leaves L1 for L2
~1e10 times per second and the box's whole time range is microseconds; the concentration drop
the stripping flux needs across the box's depth h is S h / L (4 nm against 100 um: 4e-5 of S).
So over the box and the times it runs, stripping's only effect is to hold the vacancy chemical
potential at kT ln S, which the reservoir does exactly (detailed balance with it: the interface
layers then hold the grand-canonical populations, e.g. c_L1 = S exp(-E_f,L1 / kT) for isolated
L1 vacancies, which ``tests/test_physical_kinetics.py`` checks).  Stripping's recession of the
interface (3.85 ML/s) is a macroscopic rate for the um model, not part of the box.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc import units
from kmc.config import Settings
from kmc.model import box_vacancy_equilibrium_fraction, build_lattice
from kmc.pore import perfect_interface
from kmc.species import HOST, SOLUTE, VACANCY

# The shortest sink distance the schema allows (electrode.sink_distance_um >= 1e-4 um = 1 A): the
# reservoir then sits right below the bottom layer.
RESERVOIR_DISTANCE_UM = 1e-4


def steady_settings(settings: Settings, supersaturation: float, seed: int | None = None) -> Settings:
    """The parameter set as a steady interface at ``supersaturation`` (see the module docstring):
    acceleration 1, no stripping (its vacancy source is the reservoir at S c_eq right below the box),
    no deep-box speed-up (no acceleration to compensate), a [001] slab with an interface, and the
    perfect interface (electrolyte.box_pore = 'none': the contact away from pores, whose nucleation and
    populations these rates are; kmc.interface_rates.edge measures the pore's edge); with ``seed`` as
    run.seed (None: the set's)."""
    if not (supersaturation >= 1.0 and math.isfinite(supersaturation)):
        raise ValueError(f"supersaturation = {supersaturation!r}; allowed: a finite number >= 1")
    if settings.lattice.geometry != "slab":
        raise ValueError(f"lattice.geometry = {settings.lattice.geometry!r}; allowed: 'slab' (an interface)")
    run = {"acceleration": 1.0, "deep_box_share": 0.0, "stop_stripped_mAh_cm2": 0.0, "stop_stripped_monolayers": 0.0,
           "stop_contact_fraction": 0.0, "max_events": 1_000_000}
    return settings.replaced(run=run if seed is None else dict(run, seed=int(seed)),
                             conditions={"current_density_mA_cm2": 0.0},
                             boundary={"bottom": "reservoir", "supersaturation": supersaturation},
                             electrode={"sink_distance_um": RESERVOIR_DISTANCE_UM},
                             composition={"vacancy_fraction": 0.0}, **perfect_interface(settings))


def layer_formation_energies_eV(settings: Settings, n_layers: int = 4) -> np.ndarray:
    """Formation energy of one isolated vacancy in layers L1..L<n_layers> of a pure-host slab, the
    atom moved to the bulk (the model's total energy, as kmc.fit's rows)."""
    from kmc.fit import Configurations
    cfg = Configurations(settings.replaced(composition={"solute_fraction": 0.0}))
    e0 = cfg.energy({})
    mu = cfg.mu()
    return np.array([cfg.energy({cfg.layer(L)[0]: VACANCY}) - e0 + mu for L in range(n_layers)])


def equilibrium_layer_fractions(settings: Settings, supersaturation: float, n_layers: int = 4) -> np.ndarray:
    """Isolated-vacancy fraction of each layer in equilibrium with a vacancy chemical potential
    kT ln S above the bulk's: c_L = S exp(-E_f,L / kT) (dilute; pure host; the box's own equilibrium,
    kmc.model.box_vacancy_equilibrium_fraction: its energetics carry no formation entropy, so S is
    the driving force kT ln S whatever boundary.vacancy_formation_entropy_kB says)."""
    kT = units.kT_eV(settings.conditions.temperature_K)
    return supersaturation * box_vacancy_equilibrium_fraction(settings, kT, layer_formation_energies_eV(settings, n_layers))


# What L1 holds at the start of the steady interface, for a parameter set with a solute:
# "equilibrium": L1's solute arrangement in segregation equilibrium with the bulk (kmc.fit.l1_equilibrium,
#     the model's own L1 at the bulk's x, e.g. 0.593 Mg per site for params/limg_li2s.toml), the layers
#     below the random alloy: the physical state (L1 reaches it in seconds of cell time, while
#     stripping lasts hours and the box at acceleration 1 runs microseconds, so it cannot reach it
#     itself; docs/rates.md section 3);
# "random": the random alloy everywhere, L1 at the bulk's x (the earlier Li-Mg rows of docs/rates.md).
# Without a solute the two are the same start, bit for bit.
L1_STARTS = ("equilibrium", "random")
# The chain of one start: the fit's equilibration (kmc.fit.EQUILIBRIUM_SWEEPS[0]) from an empty L1,
# then a few sweeps, of which the last arrangement is placed; its own stream per start seed.
L1_START_SAMPLING_SWEEPS = 8
L1_START_STREAM = 41


def l1_start(settings: Settings, l1: str | None = None) -> str:
    """The L1 start to use, resolved once where a measurement starts (kmc rates, the benchmarks) and
    passed down: ``l1`` if given (one of L1_STARTS), else "equilibrium" for a set with a solute and
    "random" without (the same start then)."""
    if l1 is None:
        return "equilibrium" if settings.composition.solute_fraction > 0 else "random"
    if l1 not in L1_STARTS:
        raise ValueError(f"l1 = {l1!r}; allowed: one of {', '.join(map(repr, L1_STARTS))}")
    return l1


def equilibrium_l1_solutes(settings: Settings, seed: int) -> np.ndarray:
    """L1 site indices that hold solute in one arrangement of L1's segregation equilibrium with the
    bulk's x at the run's temperature: the last arrangement of kmc.fit.l1_equilibrium run on this
    box's own L1 (nx x ny; its depth only places the "deep" reference site, which gives the same
    energies on any slab of >= 4 cells) with a stream of its own per ``seed``.  The chain's index
    iy * nx + ix is the [001] slab's L1 site index (lattices.bcc: L1 is sites 0 .. nx ny - 1 in that
    order, its a-neighbours ix +- 1 and iy +- 1, its a sqrt2 neighbours the diagonals, the chain's
    two pair shells; tests/test_physical_kinetics_eq_l1.py checks the energies)."""
    from kmc.fit import EQUILIBRIUM_CELLS, EQUILIBRIUM_SWEEPS, l1_equilibrium
    if settings.lattice.orientation != "001":
        raise ValueError(f"lattice.orientation = {settings.lattice.orientation!r}; allowed: '001' for the "
                         "equilibrium L1 start (the chain's L1 is the [001] square net)")
    nx, ny = settings.lattice.cells[0], settings.lattice.cells[1]
    if nx % 2 or ny % 2:
        raise ValueError(f"lattice.cells = {list(settings.lattice.cells)}; allowed: even nx and ny for the "
                         "equilibrium L1 start (kmc.fit.l1_equilibrium updates four 2 x 2 sublattices)")
    eq = l1_equilibrium(settings, cells=(nx, ny, EQUILIBRIUM_CELLS[2]),
                        sweeps=(EQUILIBRIUM_SWEEPS[0], L1_START_SAMPLING_SWEEPS),
                        seed=np.random.SeedSequence([int(seed), L1_START_STREAM]))
    return np.asarray(eq.snapshots[-1], np.intp)


def seeded_occupancy(settings: Settings, supersaturation: float, seed: int, l1: str) -> np.ndarray:
    """A start near the steady state: the random alloy of the parameter set; with ``l1`` =
    "equilibrium" and a solute, L1's species replaced by an arrangement of its segregation
    equilibrium (equilibrium_l1_solutes; the layers below keep the random alloy); then L1
    vacancies on L1's host sites at the isolated-vacancy fraction equilibrium_layer_fractions (capped at 1/2),
    so that warm-up is short.  Without a solute both starts are this function's old start, bit for
    bit."""
    from kmc.seeding import initial_occupancy
    if l1 not in L1_STARTS:
        raise ValueError(f"l1 = {l1!r}; allowed: one of {', '.join(map(repr, L1_STARTS))} (steady.l1_start)")
    lat = build_lattice(settings)
    occ = initial_occupancy(settings, lat.n_sites)
    l1_sites = np.arange(lat.sites_per_layer)
    if l1 == "equilibrium" and settings.composition.solute_fraction > 0:
        occ[l1_sites] = HOST
        occ[equilibrium_l1_solutes(settings, seed)] = SOLUTE
    c1 = min(0.5, float(equilibrium_layer_fractions(settings, supersaturation, 1)[0]))
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 40])))
    hosts = l1_sites[occ[l1_sites] == HOST]
    occ[hosts[gen.random(hosts.size) < c1]] = VACANCY
    return occ


def l1_solute_fraction(occupancy: np.ndarray, sites_per_layer: int) -> float:
    """Solute atoms per L1 site."""
    return float(np.count_nonzero(occupancy[:sites_per_layer] == SOLUTE)) / sites_per_layer


@dataclass
class LayerPopulation:
    fraction: np.ndarray       # time-averaged vacancy fraction per layer (mean over replicas)
    standard_error: np.ndarray  # standard error over the replicas
    time_s: float              # kMC time averaged per replica (after warm-up)
    events: int                # events run in all


def layer_population(settings: Settings, supersaturation: float, seeds, warmup_events: int,
                     events: int, l1: str) -> LayerPopulation:
    """Time-averaged vacancy fraction of every layer of the steady interface, one independent
    replica per seed (the replicas' spread gives the standard error); ``l1`` the start's L1
    (one of L1_STARTS, resolved by l1_start)."""
    from kmc.simulation import Simulation
    st = steady_settings(settings, supersaturation)
    per = []
    t = 0.0
    n = 0
    for seed in seeds:
        s = st.replaced(run={"seed": int(seed)})
        sim = Simulation(s, seeded_occupancy(s, supersaturation, int(seed), l1))
        sim.step(warmup_events)
        integral0 = sim.time_averaged_layer_vacancies() * sim.time_s
        t0 = sim.time_s
        sim.step(events)
        avg = (sim.time_averaged_layer_vacancies() * sim.time_s - integral0) / (sim.time_s - t0)
        per.append(avg / sim.lattice.sites_per_layer)
        t += sim.time_s - t0
        n += sim.events
    per = np.array(per)
    se = per.std(axis=0, ddof=1) / math.sqrt(len(per)) if len(per) > 1 else np.full(per.shape[1], math.nan)
    return LayerPopulation(per.mean(axis=0), se, t / len(per), n)


@dataclass
class L1SoluteTrace:
    start: np.ndarray          # L1 solute fraction of each replica's start
    mean: np.ndarray           # its time average over the run, per replica
    end: np.ndarray            # at the end of the run, per replica
    time_s: np.ndarray         # kMC time run, per replica
    events: int                # events run in all
    l1: str                    # the start (L1_STARTS)


def l1_solute_trace(settings: Settings, supersaturation: float, seeds, events: int, check_events: int = 1000, *,
                    l1: str) -> L1SoluteTrace:
    """L1's solute fraction at the steady interface, one replica per seed from seeded_occupancy's
    start with ``l1``, over ``events`` events (no warm-up: the start is what is checked): its value
    at the start and the end, and its time average (read every ``check_events`` events, each
    reading held over the next stretch of kMC time)."""
    from kmc.simulation import Simulation
    st = steady_settings(settings, supersaturation)
    start, mean, end, times, n = [], [], [], [], 0
    for seed in seeds:
        s = st.replaced(run={"seed": int(seed)})
        sim = Simulation(s, seeded_occupancy(s, supersaturation, int(seed), l1))
        spl = sim.lattice.sites_per_layer
        x = l1_solute_fraction(sim.occupancy, spl)
        start.append(x)
        integral, done, t_prev = 0.0, 0, sim.time_s
        while done < events:
            sim.step(min(check_events, events - done))
            done += check_events
            integral += x * (sim.time_s - t_prev)
            t_prev = sim.time_s
            x = l1_solute_fraction(sim.occupancy, spl)
        mean.append(integral / sim.time_s if sim.time_s > 0 else x)
        end.append(x)
        times.append(sim.time_s)
        n += sim.events
    return L1SoluteTrace(np.array(start), np.array(mean), np.array(end), np.array(times), n, l1)
