"""The pore's edge at physical kinetics (docs/pore_edge.md section 5): what the cell-scale model
needs from the box about a pore of the electrolyte's face (kmc.pore), per chemistry, with errors.

The box is the steady interface at S (kmc.interface_rates.steady: acceleration 1, the reservoir at
S c_eq right below it) with the pore's stripe, ``EDGE_CELLS`` wide and deep, its mouth emptied: the
pore's metal receded one layer below the electrolyte's face, as a pore that has taken stripped
vacancies is.  One vacancy is placed where the question puts it and the run goes on until its fate
is decided, every trial from its own seeded start and RNG stream, so the fates are binomial:

* ``contact``: a vacancy in the contact layer d sites from the rim (d = 1: at the rim, where stripping
  next to the pore makes one), what stripping leaves.  Captured: the pore's void (the vacancies joined
  to its mouth, kmc.analysis.edge) holds one vacancy more and no gap under the electrolyte (the vacancy
  went into the pore's metal, the contact is whole again); escaped: a vacancy outside the pore's void
  reached ``ESCAPE_LAYER`` (it left the interface region for the bulk, where the cell's diffusion
  field takes it).  P(d) is the contact line's capture of what stripping makes near it; d = 1 with
  a gap that stays is the contact line's retreat.
* ``wall``: a vacancy in the metal one layer below the pore's receded surface (in L3, under the
  mouth's floor): the pore's wall as a sink.  An unbiased walk between a perfectly absorbing floor one
  layer up and the escape layer two down is captured with P = 2/3 (gambler's ruin); more is a wall
  that draws vacancies in (its hop into the surface downhill), a perfect sink, c = c_eq at the wall.
* ``gap``: the contact line retreated by one site along the whole rim (a column of contact sites next
  to the mouth vacant, the gap joined to the pore's void): refilled (the gap's sites metal again, its
  vacancies gone into the pore's metal: re-wetting) against widened (a second column of contact sites
  vacant in the pore's void) within ``max_events``; undecided trials are counted and left out.

The time a decided trial took is kept (the clock is the box's hops, kmc.model.box_hop_prefactor_Hz),
so the gap's refill also gives a re-wetting rate.  A vacancy's fate here involves one vacancy: at the
cell's S (~10) the box holds ~1e-4 vacancies of its own, so S does not enter these numbers until it is
far larger (the rows at two S show it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from kmc.interface_rates import steady
from kmc.species import HOST, VACANCY

# The box (numerics): 24 x 12 cells, 6 deep (12 layers, so that a vacancy the reservoir puts in at the
# bottom seldom climbs to the escape layer); the stripe 4 of its 24 columns (16.7 %, the face's 17 % to
# the nearest column), so the contact between the two rims is 20 columns wide.
EDGE_CELLS = (24, 12, 6)
# Layer (0 = L1) a vacancy outside the pore's void must reach to count as gone into the bulk: below the
# interface layers (an L1 vacancy returns from L2 ~30 times before it passes L3, docs/rates.md section 2).
ESCAPE_LAYER = 4
FATES = ("contact", "wall", "gap")
# Sites from the rim at which a contact vacancy's capture is measured (1: at the rim; 10: mid-contact)
CAPTURE_DISTANCES = (1, 4, 10)


def edge_settings(settings, supersaturation: float):
    """The steady interface at S on the edge box, with the set's pore as a stripe."""
    return steady.steady_settings(settings, supersaturation).replaced(lattice={"cells": list(EDGE_CELLS)},
                                                                      electrolyte={"box_pore": "stripe"})


def contact_columns(settings) -> int:
    """The contact's width between the edge box's two rims, in columns of L1 sites."""
    from kmc.model import build_lattice
    from kmc.pore import box_pore
    st = edge_settings(settings, 1.0)
    lat = build_lattice(st)
    return int((~box_pore(st, lat).l1_open).sum()) // int(EDGE_CELLS[1])


def formation_energies(settings) -> dict:
    """Formation energies (eV) of an isolated vacancy at the pore's mouth ("mouth") and at the rim's
    contact site with the mouth emptied ("rim"), the atom moved to the bulk, from the model's total
    energy on the edge box (pure host)."""
    from kmc.model import build_energy_model, build_lattice
    from kmc.pore import box_pore
    st = edge_settings(settings, 1.0).replaced(composition={"solute_fraction": 0.0})
    lat = build_lattice(st)
    pore = box_pore(st, lat)
    model = build_energy_model(st, lat, pore.l1_open)
    bulk = st.replaced(lattice={"geometry": "bulk", "cells": [4, 4, 4]}, run={"max_events": 1})
    blat = build_lattice(bulk)
    mu = build_energy_model(bulk, blat).total_energy(np.full(blat.n_sites, HOST, np.int8), blat) / blat.n_sites
    full = np.full(lat.n_sites, HOST, np.int8)
    emptied = full.copy()
    emptied[np.flatnonzero(pore.l1_open)] = VACANCY

    def cost(occ, site):
        o = occ.copy()
        o[site] = VACANCY
        return model.total_energy(o, lat) - model.total_energy(occ, lat) + mu
    return {"mouth": cost(full, int(np.flatnonzero(pore.l1_open)[0])), "rim": cost(emptied, int(pore.rim_sites[0]))}


@numba.njit(cache=True)
def _pore_void(vacancy_site, links, l1_open, spl, escape_site, mark, queue):
    """(vacancies in the pore's void, of them on contact sites, vacancies outside it at or below
    ``escape_site``) of the vacancies at ``vacancy_site``: a breadth-first search from the vacant open
    L1 sites through ``links`` (kmc.interface_rates.clusters.link_table).  ``mark`` int32 per site, zero
    on entry and on return (1 on a vacancy not yet reached, 2 once reached); ``queue`` holds
    len(vacancy_site) entries."""
    for k in range(vacancy_site.shape[0]):
        mark[vacancy_site[k]] = 1
    tail = 0
    for k in range(vacancy_site.shape[0]):
        s = vacancy_site[k]
        if s < spl and l1_open[s] != 0:
            mark[s] = 2
            queue[tail] = s
            tail += 1
    head = 0
    contact = 0
    while head < tail:
        s = queue[head]
        head += 1
        if s < spl and l1_open[s] == 0:
            contact += 1
        for d in range(links.shape[1]):
            nb = links[s, d]
            if nb >= 0 and mark[nb] == 1:
                mark[nb] = 2
                queue[tail] = nb
                tail += 1
    deep = 0
    for k in range(vacancy_site.shape[0]):
        s = vacancy_site[k]
        if mark[s] == 1 and s >= escape_site:
            deep += 1
        mark[s] = 0
    return tail, contact, deep


class PoreVoidFinder:
    """_pore_void of a Simulation of the edge box (``finder(sim)``)."""

    def __init__(self, sim):
        from kmc.interface_rates.clusters import link_table
        lat = sim.lattice
        self.links = link_table(lat)
        self.l1_open = sim.pore.l1_open.astype(np.uint8)
        self.spl = lat.sites_per_layer
        self.escape_site = ESCAPE_LAYER * self.spl
        self.mark = np.zeros(lat.n_sites, np.int32)

    def __call__(self, sim):
        vacancies = sim.vacancy_sites()
        return _pore_void(vacancies, self.links, self.l1_open, self.spl, self.escape_site, self.mark,
                          np.zeros(max(vacancies.size, 1), np.int64))


def _columns(lattice, pore):
    """L1 site indices as a grid [iy, ix] and the mouth's and the rim's columns ([001])."""
    nx, ny = int(lattice.cells[0]), int(lattice.cells[1])
    grid = np.arange(lattice.sites_per_layer).reshape(ny, nx)
    mouth = np.flatnonzero(pore.l1_open.reshape(ny, nx)[0])
    return grid, mouth, nx


def pore_sites(lattice, pore, depth: int) -> np.ndarray:
    """The sites of a pore grown ``depth`` layers into the metal with upright walls: its mouth (the
    open L1 sites), then layer by layer the sites under it, in odd layers those all of whose upper
    neighbours are in it and in even ones those with any (a [001] stripe's slot alternates between
    the mouth's width and one column less, its walls vertical on average)."""
    spl = lattice.sites_per_layer
    nbr = lattice.neighbors
    in_pore = np.zeros(lattice.n_sites, bool)
    in_pore[:spl] = pore.l1_open
    for layer in range(1, depth):
        sites = np.arange(layer * spl, (layer + 1) * spl)
        up = in_pore[nbr[sites, :4]]
        in_pore[sites] = up.all(axis=1) if layer % 2 else up.any(axis=1)
    return np.flatnonzero(in_pore)


def placed_occupancy(st, seed: int, fate: str, distance: int = 1, depth: int = 1) -> np.ndarray:
    """The trial's start: the steady start of the edge box (steady.seeded_occupancy, the set's L1
    start) with the pore grown ``depth`` layers into the metal (1: its mouth emptied; pore_sites) and
    the vacancy (or the gap) of ``fate`` placed; contact vacancies of the seeded start are taken out
    (the trial follows one vacancy)."""
    from kmc.model import build_lattice
    from kmc.pore import box_pore
    lat = build_lattice(st)
    pore = box_pore(st, lat)
    occ = steady.seeded_occupancy(st, st.boundary.supersaturation, seed, steady.l1_start(st))
    occ[occ == VACANCY] = HOST
    occ[pore_sites(lat, pore, depth)] = VACANCY
    grid, mouth, nx = _columns(lat, pore)
    row = grid.shape[0] // 2
    spl = lat.sites_per_layer
    if fate == "contact":   # d sites from the rim, on the side of the mouth's last column, mid-box in y
        occ[grid[row, (mouth[-1] + distance) % nx]] = VACANCY
    elif fate == "wall":     # in L3 under the mouth's floor (L2 sites all of whose L1 neighbours are open), mid-box
        nbr = lat.neighbors
        floor = np.zeros(lat.n_sites, bool)
        floor[spl:2 * spl] = pore.l1_open[nbr[spl:2 * spl, :4]].all(axis=1)
        l3 = np.arange(2 * spl, 3 * spl)
        candidates = l3[floor[nbr[l3, :4]].all(axis=1)]
        if candidates.size == 0:
            raise ValueError(f"the pore's mouth on this box is too narrow for a site under its floor; allowed: a "
                             f"stripe of at least 3 columns (here {mouth.size})")
        occ[candidates[np.argmin(np.abs(candidates - (2 * spl + grid[row, mouth[mouth.size // 2]])))]] = VACANCY
    elif fate == "gap":
        occ[grid[:, (mouth[-1] + 1) % nx]] = VACANCY
    else:
        raise ValueError(f"fate = {fate!r}; allowed: one of {', '.join(FATES)}")
    return occ


@dataclass
class Fates:
    fate: str
    distance: int
    supersaturation: float
    captured: int              # contact, wall: into the pore's metal; gap: refilled
    lost: int                  # contact, wall: into the bulk; gap: widened
    undecided: int
    mean_time_s: float         # of the captured (refilled) trials, box clock
    time_se_s: float
    events: int

    @property
    def trials(self) -> int:
        return self.captured + self.lost

    @property
    def probability(self) -> float:
        return self.captured / self.trials if self.trials else math.nan

    @property
    def standard_error(self) -> float:
        """Binomial, floored at 1/trials where P is 0 or 1."""
        n = self.trials
        if not n:
            return math.nan
        p = self.probability
        return max(math.sqrt(p * (1 - p) / n), 1.0 / n)


def _outcome(fate, start, now, ny):
    """'captured', 'lost' or None from the pore's void at the start and now (_pore_void's triples)."""
    total, contact, deep = now
    if fate == "gap":
        if contact == 0:
            return "captured"
        return "lost" if contact >= 2 * ny else None
    if deep > start[2]:
        return "lost"
    if total == start[0] + 1 and contact == 0:
        return "captured"
    return None


def fates(settings, supersaturation: float, fate: str, distance: int = 1, trials: int = 40, depth: int = 1,
          max_events: int = 400_000, check_events: int = 20, first_seed: int = 1) -> Fates:
    """``trials`` independent trials of ``fate`` (module docstring) at S; seeds first_seed, ...;
    each read every ``check_events`` events until decided or ``max_events``."""
    from kmc.simulation import Simulation
    st = edge_settings(settings, supersaturation)
    captured = lost = undecided = events = 0
    times = []
    for k in range(trials):
        seed = first_seed + k
        s = st.replaced(run={"seed": seed})
        sim = Simulation(s, placed_occupancy(s, seed, fate, distance, depth))
        finder = PoreVoidFinder(sim)
        ny = int(s.lattice.cells[1])
        start = finder(sim)
        if fate != "gap":   # the placed vacancy itself is not in the pore's void yet, unless at the rim
            start = (start[0] - (1 if start[1] else 0), 0, start[2])
        result = None
        while result is None and sim.events < max_events:
            sim.step(check_events)
            result = _outcome(fate, start, finder(sim), ny)
        events += sim.events
        if result is None:
            undecided += 1
            continue
        captured += result == "captured"
        lost += result == "lost"
        if result == "captured":
            times.append(sim.time_s)
    t = np.array(times)
    se = float(t.std(ddof=1) / math.sqrt(t.size)) if t.size > 1 else math.nan
    return Fates(fate, distance, supersaturation, captured, lost, undecided,
                 float(t.mean()) if t.size else math.nan, se, events)
