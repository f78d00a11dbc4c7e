"""The interface vacancy clusters: the order parameter of void nucleation.

A cluster is a connected set of vacancies, joined through first neighbours and, within L1, through
the in-plane neighbours a apart (the interface void rule of kmc.analysis and the creep event: on
[001] L1 sites have no first neighbour in L1, and two L1 vacancies a apart bound the same void
floor).  An interface cluster has at least one vacancy in L1.  The search walks the vacancy list
only (vacancies are few), so it costs a few microseconds per call whatever the box size.
"""
from __future__ import annotations

import numba
import numpy as np

from kmc.model import build_lattice


def link_table(lattice) -> np.ndarray:
    """int32 (n_sites, 12): the 8 first neighbours, then (L1 sites only) the 4 in-plane L1
    neighbours a apart; -1 where there is none."""
    links = np.full((lattice.n_sites, 12), -1, np.int32)
    links[:, :8] = lattice.neighbors
    k = lattice.l1_second_neighbors.shape[1]
    links[:lattice.sites_per_layer, 8:8 + k] = lattice.l1_second_neighbors
    return links


@numba.njit(cache=True)
def _largest_interface_cluster(vacancy_site, links, sites_per_layer, mark, queue):
    """(largest interface cluster's size, its L1 vacancies, vacancies in L1 in all) of the
    vacancies at ``vacancy_site``.  ``mark`` is int32 per site, all zero on entry and on return
    (1 on a vacancy not yet reached, 2 once reached); ``queue`` holds len(vacancy_site) entries."""
    best = 0
    best_l1 = 0
    l1_total = 0
    for k in range(vacancy_site.shape[0]):
        mark[vacancy_site[k]] = 1
        if vacancy_site[k] < sites_per_layer:
            l1_total += 1
    for k in range(vacancy_site.shape[0]):
        start = vacancy_site[k]
        if start >= sites_per_layer or mark[start] != 1:
            continue   # every interface cluster is reached from one of its L1 vacancies, once
        mark[start] = 2
        queue[0] = start
        head, tail, n_l1 = 0, 1, 0
        while head < tail:
            s = queue[head]
            head += 1
            if s < sites_per_layer:
                n_l1 += 1
            for d in range(links.shape[1]):
                nb = links[s, d]
                if nb >= 0 and mark[nb] == 1:
                    mark[nb] = 2
                    queue[tail] = nb
                    tail += 1
        if tail > best:
            best, best_l1 = tail, n_l1
    for k in range(vacancy_site.shape[0]):
        mark[vacancy_site[k]] = 0
    return best, best_l1, l1_total


class ClusterFinder:
    """Largest interface vacancy cluster of a ``Simulation`` (``finder(sim)``)."""

    def __init__(self, settings_or_lattice):
        lat = settings_or_lattice if hasattr(settings_or_lattice, "sites_per_layer") \
            else build_lattice(settings_or_lattice)
        self.links = link_table(lat)
        self.sites_per_layer = lat.sites_per_layer
        self.mark = np.zeros(lat.n_sites, np.int32)
        self.queue = np.zeros(64, np.int64)

    def measure(self, sim) -> tuple[int, int, int]:
        """(largest interface cluster size, its L1 vacancies, all L1 vacancies)."""
        vacancies = sim.vacancy_sites()
        if self.queue.shape[0] < vacancies.size:
            self.queue = np.zeros(2 * vacancies.size, np.int64)
        return _largest_interface_cluster(vacancies, self.links, self.sites_per_layer, self.mark, self.queue)

    def __call__(self, sim) -> int:
        return self.measure(sim)[0]
