"""What a run draws from its seed before the first event: the box's occupancy, the tracers and the
engine's RNG state, each from a stream of the seed's own (numpy's SeedSequence [seed, k]), so that
none of them changes another."""
from __future__ import annotations

import numpy as np

from kmc.config import ConfigError, Settings
from kmc.species import HOST, SOLUTE, VACANCY, species_of


def rng_state(seeds: np.random.SeedSequence) -> np.ndarray:
    """Engine RNG state (xoshiro256**: four uint64, never all zero) drawn from ``seeds``."""
    state = seeds.generate_state(4, np.uint64)
    if not state.any():
        state[0] = 1
    return state


def rng_state_from_seed(seed: int) -> np.ndarray:
    """Engine RNG state derived from the run seed (its stream 1 of NumPy's SeedSequence)."""
    return rng_state(np.random.SeedSequence([seed, 1]))


def initial_occupancy(settings: Settings, n_sites: int) -> np.ndarray:
    """Random alloy with exact species counts, from the run seed (a stream separate from the engine's)."""
    comp = settings.composition
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([settings.run.seed, 0])))
    n_vac = int(round(comp.vacancy_fraction * n_sites))
    n_solute = int(round(comp.solute_fraction * (n_sites - n_vac)))
    occ = np.full(n_sites, HOST, dtype=np.int8)
    pick = np.arange(n_sites, dtype=np.int32)   # = gen.permutation(n_sites), at half the memory
    gen.shuffle(pick)
    occ[pick[:n_vac]] = VACANCY
    occ[pick[n_vac:n_vac + n_solute]] = SOLUTE
    return occ


def choose_tracers(settings: Settings, occupancy: np.ndarray) -> np.ndarray:
    """Sites of the atoms to tag as tracers, drawn from the run seed (a stream of its own, so
    tracking never changes the trajectory)."""
    tr = settings.tracers
    if tr.count == 0:
        return np.zeros(0, np.int32)
    wanted = (HOST, SOLUTE) if tr.species == "all" else (species_of(settings).code_of(tr.species),)
    candidates = np.flatnonzero(np.isin(occupancy, wanted)).astype(np.int32)
    if tr.count > candidates.size:
        raise ConfigError(f"tracers.count = {tr.count} but the box holds only {candidates.size} "
                          f"atoms of species {tr.species!r}; allowed: 0 <= count <= {candidates.size}")
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([settings.run.seed, 2])))
    return np.sort(gen.choice(candidates, size=tr.count, replace=False)).astype(np.int32)
