"""The pore's edge in a configuration (docs/pore_edge.md): what the vacancies did at a pore of
the electrolyte's face (kmc.pore).

A vacancy cluster (first neighbours, and contact-layer sites a apart: kmc.analysis's void rule) that
reaches an open L1 site (no electrolyte above it) is the pore's void: the metal the pore has lost.
Its open L1 sites are the pore's mouth emptied, its sites below the mouth the pore grown into the
metal, and its L1 sites under the electrolyte the gap by which the contact line has retreated from
the rim.  Everything else vacant is elsewhere: single vacancies and voids of the contact away from
the pore.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.analysis.run_pore import run_pore  # noqa: F401  (read here by kmc.plot_edge and the analysis)
from kmc.analysis.voids import _label_clusters
from kmc.species import SOLUTE, VACANCY, species_of


def in_plane_table(lattice) -> np.ndarray:
    """(n_sites, k) int32: each L1 site's L1 neighbours a apart (-1 elsewhere), the in-plane half of
    the void rule ([001]: the contact layer has no first-neighbour bond in-plane)."""
    table = np.full((lattice.n_sites, lattice.l1_second_neighbors.shape[1]), -1, np.int32)
    table[:lattice.sites_per_layer] = lattice.l1_second_neighbors
    return table


@dataclass(frozen=True)
class EdgeState:
    """The pore's edge in one configuration (site counts)."""
    open_sites: int            # L1 sites at the pore's mouth
    contact_sites: int         # L1 sites under the electrolyte
    contact_metal: int         # metal atoms on them (contact, connected or not)
    pore_vacancies: int        # vacancies in the pore's void
    mouth_vacancies: int       # of those, open L1 sites
    rim_gap_sites: int         # of those, L1 sites under the electrolyte: the contact line's retreat
    other_vacancies: int       # vacancies not in the pore's void
    rim_solute_fraction: float        # solute per metal atom on the rim's contact sites (nan: none)
    contact_solute_fraction: float    # solute per metal atom on the contact sites away from the rim

    @property
    def recession_layers(self) -> float:
        """The pore's void below its mouth's layer, in layers of the mouth's area: how far the pore
        has grown into the metal (the mouth's own layer counted as one once it is empty)."""
        return (self.pore_vacancies - self.rim_gap_sites) / self.open_sites

    def retreat_A(self, lattice, rim_length_A: float) -> float:
        """The contact line's mean retreat from the rim: the gap's area over the rim's length."""
        site_area_A2 = lattice.interface_area_A2 / lattice.sites_per_layer
        return self.rim_gap_sites * site_area_A2 / rim_length_A


def edge_state(occupancy: np.ndarray, lattice, pore) -> EdgeState:
    """The EdgeState of ``occupancy`` (species per site) at ``pore`` (kmc.pore.BoxPore)."""
    occ = np.ascontiguousarray(occupancy, np.int8)
    spl = lattice.sites_per_layer
    label, _, _ = _label_clusters(occ, np.ascontiguousarray(lattice.neighbors, np.int32), in_plane_table(lattice))
    l1_open = pore.l1_open
    pore_labels = np.unique(label[:spl][l1_open & (label[:spl] >= 0)])
    in_pore_void = np.isin(label, pore_labels) & (label >= 0)
    contact = ~l1_open
    l1 = occ[:spl]
    rim = np.zeros(spl, bool)
    rim[pore.rim_sites] = True

    def solute_share(sites):
        metal = sites & (l1 != VACANCY)
        return float((l1[metal] == SOLUTE).mean()) if metal.any() else float("nan")

    n_vacant = int(np.count_nonzero(occ == VACANCY))
    pore_vacancies = int(np.count_nonzero(in_pore_void))
    return EdgeState(
        open_sites=int(l1_open.sum()), contact_sites=int(contact.sum()),
        contact_metal=int(np.count_nonzero(contact & (l1 != VACANCY))),
        pore_vacancies=pore_vacancies, mouth_vacancies=int(np.count_nonzero(in_pore_void[:spl] & l1_open)),
        rim_gap_sites=int(np.count_nonzero(in_pore_void[:spl] & contact)),
        other_vacancies=n_vacant - pore_vacancies,
        rim_solute_fraction=solute_share(rim), contact_solute_fraction=solute_share(contact & ~rim))


def summary(sim) -> str:
    """One line: the pore's edge at the start and what the stripped vacancies did to it (a run's
    Simulation with a pore, kmc.pore)."""
    pore, lattice = sim.pore, sim.lattice
    now = edge_state(sim.occupancy, lattice, pore)
    retreat_nm = now.retreat_A(lattice, pore.rim_length_A) / 10
    counts = sim.event_counts()
    from_sinks = counts["enter_bulk"] - counts["exit_bulk"]
    text = (f"pore edge: {pore.describe()}; contact {now.contact_sites / lattice.sites_per_layer:.3f} at the start; "
            f"the pore's void holds {now.pore_vacancies} vacancies ({sim.stripped_atoms} stripped, {from_sinks:+d} from "
            f"the sinks below, {now.other_vacancies} elsewhere): its metal receded {now.recession_layers:.2f} layers, "
            f"its contact line {retreat_nm:.3f} nm ({now.rim_gap_sites} contact sites)")
    if sim.settings.composition.solute_fraction > 0:
        text += (f"; {species_of(sim.settings).solute} per metal atom on the rim's contact sites "
                 f"{now.rim_solute_fraction:.3f}, on the contact away from it {now.contact_solute_fraction:.3f}")
    return text
