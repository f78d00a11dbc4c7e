"""The site word: the engine's per-site state, one 32-bit word per site, and its accessors.

Bits 4*c..4*c+3 count the first neighbours holding species c (vacancy, host, solute; at most 8
each), bits 12-13 hold the site's own species and, on a vacancy site, bits 14-31 the index of the
vacancy (into the vacancy list and the rate rows).  The words are the only copy of the occupancy
(``occupancy_from_words``), and an event finds a vacancy's index in the word it has just read for
the species, where a separate per-site array would cost another cache line.  Runs with room for
more than 2^18 vacancies keep the indices in ``site_vac`` (int32 per site) instead; below that it
is empty.
"""
from __future__ import annotations

import numpy as np

from kmc.jit import kernel

COUNT_BITS = 4
SPECIES_SHIFT = 12
SPECIES_MASK = 3
INDEX_SHIFT = 14
MAX_WORD_INDEX = 1 << 18   # vacancy capacity up to which indices live in the words
LOW_FIELDS = 0x3FFF        # counts and species


@kernel
def species_at(site_word, s):
    return np.int64((site_word[np.uint64(s)] >> SPECIES_SHIFT) & SPECIES_MASK)


@kernel
def neighbour_count(site_word, s, sp):
    """Number of first neighbours of s holding species sp."""
    return np.int64((site_word[np.uint64(s)] >> (COUNT_BITS * sp)) & 15)


@kernel
def vacancy_index(site_word, site_vac, s):
    """Index of the vacancy at site s (s must hold a vacancy)."""
    if site_vac.shape[0] == 0:
        return np.int64(site_word[np.uint64(s)] >> INDEX_SHIFT)
    return np.int64(site_vac[np.uint64(s)])


@kernel
def set_vacancy_index(site_word, site_vac, s, k):
    """Record vacancy k at site s (k = -1: s holds no vacancy any more)."""
    if site_vac.shape[0] == 0:
        low = site_word[np.uint64(s)] & LOW_FIELDS
        site_word[np.uint64(s)] = low | (np.uint32(k) << INDEX_SHIFT) if k >= 0 else low
    else:
        site_vac[np.uint64(s)] = k


@kernel
def set_own_species(s, new, site_word):
    """Write species new into s's word; return what each neighbour's word must add so that its
    counts follow (moving a unit between two 4-bit fields: the old species' count is at least 1,
    so the add never borrows or carries across them)."""
    old = species_at(site_word, s)
    word = site_word[np.uint64(s)]
    site_word[np.uint64(s)] = (word & ~np.uint32(SPECIES_MASK << SPECIES_SHIFT)) | (new << SPECIES_SHIFT)
    return np.uint32((1 << (COUNT_BITS * new)) - (1 << (COUNT_BITS * old)))


@kernel
def _read_species(site_word, out):
    for s in range(site_word.shape[0]):
        out[s] = (site_word[s] >> SPECIES_SHIFT) & SPECIES_MASK


def occupancy_from_words(site_word: np.ndarray) -> np.ndarray:
    """Species code per site (int8, kmc.species) from the site words (a compiled loop: numpy
    would make a 4-byte-per-site temporary on the way, at every frame)."""
    out = np.empty(site_word.shape[0], np.int8)
    _read_species(site_word, out)
    return out


def neighbour_counts_from_words(site_word: np.ndarray, species: int) -> np.ndarray:
    """Per site, its first neighbours holding ``species`` (uint8), from the site words."""
    return ((site_word >> np.uint32(COUNT_BITS * species)) & np.uint32(15)).astype(np.uint8)
