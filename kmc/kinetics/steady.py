"""The steady interface at physical kinetics.

During galvanostatic stripping the interface sits at a vacancy supersaturation S = c_v / c_eq set
by the flux that must leave it: the stripped sites become vacancies at J = i / (e a_s) per area
(a_s the area of an L1 site), and quasi-static diffusion to sinks at L carries them away,
J = D_v c_eq (S - 1) / (Omega L), so

    S = 1 + J Omega L / (D_v c_eq)        (PHYSICS.md section 4b; ~100-130 for the seed's cell).

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
from kmc.model import build_energy_model, build_lattice, vacancy_diffusivity_A2_s
from kmc.species import HOST, VACANCY

# The shortest sink distance the schema allows (electrode.sink_distance_um >= 1e-4 um = 1 A): the
# reservoir then sits right below the bottom layer.
RESERVOIR_DISTANCE_UM = 1e-4


def cell_supersaturation(settings: Settings) -> float:
    """S = 1 + J Omega L / (D_v c_eq): the interface supersaturation that carries the stripping flux
    of conditions.current_density_mA_cm2 to the sinks at electrode.sink_distance_um (the model's
    D_v = Gamma a^2 and c_eq = exp(-boundary.vacancy_formation_eV / kT))."""
    lat = build_lattice(settings)
    model = build_energy_model(settings, lat)
    kT = model.kT_eV
    c_eq = math.exp(-settings.boundary.vacancy_formation_eV / kT)
    # stripped atoms per A^2 per s; Omega = site area x layer spacing (A^3 per site)
    site_area_A2 = lat.interface_area_A2 / lat.sites_per_layer
    flux_per_A2_s = units.strip_rate_per_s(settings.conditions.current_density_mA_cm2, lat.interface_area_A2) \
        / lat.interface_area_A2
    omega_A3 = site_area_A2 * lat.layer_spacing_A
    sink_A = settings.electrode.sink_distance_um * 1e4
    return 1.0 + flux_per_A2_s * omega_A3 * sink_A / (vacancy_diffusivity_A2_s(model, lat) * c_eq)


def steady_settings(settings: Settings, supersaturation: float, extra: list[str] | None = None) -> Settings:
    """The parameter set as a steady interface at ``supersaturation`` (see the module docstring):
    acceleration 1, no stripping (its vacancy source is the reservoir at S c_eq right below the box),
    no deep-box speed-up (no acceleration to compensate), a [001] slab with an interface."""
    if not (supersaturation >= 1.0 and math.isfinite(supersaturation)):
        raise ValueError(f"supersaturation = {supersaturation!r}; allowed: a finite number >= 1")
    if settings.lattice.geometry != "slab":
        raise ValueError(f"lattice.geometry = {settings.lattice.geometry!r}; allowed: 'slab' (an interface)")
    return settings.with_overrides([
        "run.acceleration=1", "conditions.current_density_mA_cm2=0", "boundary.bottom=reservoir",
        f"boundary.supersaturation={supersaturation!r}", f"electrode.sink_distance_um={RESERVOIR_DISTANCE_UM!r}",
        "run.deep_box_share=0", "run.stop_stripped_mAh_cm2=0", "run.stop_stripped_monolayers=0",
        "run.stop_contact_fraction=0", "run.max_events=1000000", "composition.vacancy_fraction=0",
        *(extra or [])])


def layer_formation_energies_eV(settings: Settings, n_layers: int = 4) -> np.ndarray:
    """Formation energy of one isolated vacancy in layers L1..L<n_layers> of a pure-host slab, the
    atom moved to the bulk (the model's total energy, as kmc.fit's rows)."""
    from kmc.fit import Configurations
    cfg = Configurations(settings.with_overrides(["composition.solute_fraction=0.0"]))
    e0 = cfg.energy({})
    mu = cfg.mu()
    return np.array([cfg.energy({cfg.layer(L)[0]: VACANCY}) - e0 + mu for L in range(n_layers)])


def equilibrium_layer_fractions(settings: Settings, supersaturation: float, n_layers: int = 4) -> np.ndarray:
    """Isolated-vacancy fraction of each layer in equilibrium with a vacancy chemical potential
    kT ln S above the bulk's: c_L = S exp(-E_f,L / kT) (dilute; pure host)."""
    kT = units.kT_eV(settings.conditions.temperature_K)
    return supersaturation * np.exp(-layer_formation_energies_eV(settings, n_layers) / kT)


def seeded_occupancy(settings: Settings, supersaturation: float, seed: int) -> np.ndarray:
    """A start near the steady state: the random alloy of the parameter set with L1 vacancies at
    the isolated-vacancy fraction S exp(-E_f,L1/kT) (capped at 1/2), so that warm-up is short."""
    from kmc.simulation import initial_occupancy
    lat = build_lattice(settings)
    occ = initial_occupancy(settings, lat.n_sites)
    c1 = min(0.5, float(equilibrium_layer_fractions(settings, supersaturation, 1)[0]))
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 40])))
    l1 = np.arange(lat.sites_per_layer)
    hosts = l1[occ[l1] == HOST]
    occ[hosts[gen.random(hosts.size) < c1]] = VACANCY
    return occ


@dataclass
class LayerPopulation:
    fraction: np.ndarray       # time-averaged vacancy fraction per layer (mean over replicas)
    standard_error: np.ndarray  # standard error over the replicas
    time_s: float              # kMC time averaged per replica (after warm-up)
    events: int                # events run in all


def layer_population(settings: Settings, supersaturation: float, seeds, warmup_events: int,
                     events: int) -> LayerPopulation:
    """Time-averaged vacancy fraction of every layer of the steady interface, one independent
    replica per seed (the replicas' spread gives the standard error)."""
    from kmc.simulation import Simulation
    st = steady_settings(settings, supersaturation)
    per = []
    t = 0.0
    n = 0
    for seed in seeds:
        s = st.with_overrides([f"run.seed={int(seed)}"])
        sim = Simulation(s, seeded_occupancy(s, supersaturation, int(seed)))
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
