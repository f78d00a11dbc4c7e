"""Energy model and rate rules: turns settings + lattice into the tables the engine uses.

Configuration energy (species 0 vacancy, 1 Li, 2 Mg):

    E = sum_{1st-neighbour pairs} pair_eV[c][A][B] + sum_sites site_eV[layer][A]
        + interface_vacancy_pair_eV * (number of vacancy-vacancy pairs at distance a within L1)

* pair_eV[0] (bulk bonds): -phi(A,B) between metals, 0 for anything with a vacancy.
* pair_eV[1] (bonds touching L1): the same metal bonds, plus the interface Mg-vacancy repulsion.
* site_eV[layer][vacancy] = per-layer vacancy energy delta(l) relative to bulk;
  site_eV[L1][metal] = -adhesion(metal) (contact with the electrolyte);
  site_eV[bottom][metal] = bonds to the bulk continuation below the box (mean-field composition).

Hops: rate = nu exp(-Ea/kT) with Ea = max(E_kra + dE/2, dE, 0), so k_fwd/k_bwd = exp(-dE/kT)
exactly (E_kra is symmetric in the two end points).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc import units
from kmc.config import Settings
from kmc.engine import LI, MG, VAC
from lattices import Lattice, build_bcc



@dataclass(frozen=True)
class EnergyModel:
    pair_eV: np.ndarray          # (2, 3, 3) bond energies: [bulk, touching L1][A][B]
    site_eV: np.ndarray          # (n_layers, 3) per-site energies by layer and species
    l1_vacancy_pair_eV: float    # vacancy-vacancy pair at distance a within L1
    kra_eV: np.ndarray           # (3,) [Li, Li with a Mg neighbour at either end, Mg]
    attempt_frequency_Hz: float
    kT_eV: float
    has_interface: bool

    def total_energy(self, occupancy: np.ndarray, lattice: Lattice) -> float:
        """Configuration energy in eV (reference implementation, used by tests and the fit)."""
        occ = occupancy.astype(np.intp)
        nbr = lattice.neighbors
        layer = lattice.layer
        i = np.repeat(np.arange(lattice.n_sites), nbr.shape[1])
        j = nbr.ravel()
        keep = (j > i)
        i, j = i[keep], j[keep]
        cls = ((layer[i] == 0) | (layer[j] == 0)).astype(np.intp) if self.has_interface else np.zeros_like(i)
        e = self.pair_eV[cls, occ[i], occ[j]].sum()
        e += self.site_eV[layer, occ].sum()
        if self.has_interface and self.l1_vacancy_pair_eV != 0.0:
            l1 = np.arange(lattice.sites_per_layer)
            q = lattice.l1_second_neighbors
            for c in range(q.shape[1]):
                ok = (q[:, c] > l1)
                e += self.l1_vacancy_pair_eV * np.count_nonzero((occ[l1[ok]] == VAC) & (occ[q[ok, c]] == VAC))
        return float(e)

    def hop_rate(self, dE_eV: float, kra_eV: float) -> float:
        """nu exp(-Ea/kT), Ea = max(E_kra + dE/2, dE, 0): k(dE)/k(-dE) = exp(-dE/kT) exactly."""
        return self.attempt_frequency_Hz * math.exp(-self.barrier_eV(dE_eV, kra_eV) / self.kT_eV)

    @staticmethod
    def barrier_eV(dE_eV: float, kra_eV: float) -> float:
        return max(kra_eV + 0.5 * dE_eV, dE_eV, 0.0)

    def bulk_layers(self, n_layers: int) -> np.ndarray:
        """uint8 per layer: 1 where a vacancy's hops may use ``bulk_rate_table``.

        True when no hop from that layer can touch an interface bond (an L1 site among the
        neighbours of either end, i.e. within two layers) or a site term (at either end).
        """
        ok = np.ones(n_layers, np.uint8)
        if not self.has_interface:
            return ok
        site_free = ~self.site_eV.any(axis=1)
        for layer in range(n_layers):
            ends = range(max(layer - 1, 0), min(layer + 2, n_layers))
            ok[layer] = layer - 2 >= 1 and layer + 1 < n_layers and all(site_free[e] for e in ends)
        return ok

    def bulk_rate_table(self) -> np.ndarray:
        """Hop rates in the bulk, indexed [species-1, dLi+8, dMg+8, Mg nearby].

        Away from the interface a hop's energy change depends only on the hopping species and on
        how many Li and Mg neighbours it has after the hop minus before (dLi, dMg in -8..8), since
        bulk bonds with a vacancy cost nothing; the KRA depends on the species and on whether an
        Mg is next to either end.  The engine looks rates up here instead of calling exp.
        """
        assert not self.pair_eV[0, VAC].any(), "bulk bonds with a vacancy must be zero for the table"
        table = np.zeros((2, 17, 17, 2))
        for x in (LI, MG):
            for d_li in range(-8, 9):
                for d_mg in range(-8, 9):
                    dE = self.pair_eV[0, x, LI] * d_li + self.pair_eV[0, x, MG] * d_mg
                    for near in (0, 1):
                        kra = self.kra_eV[2] if x == MG else self.kra_eV[1 if near else 0]
                        table[x - 1, d_li + 8, d_mg + 8, near] = self.hop_rate(dE, kra)
        return table


def build_lattice(settings: Settings) -> Lattice:
    lat = settings.lattice
    return build_bcc(lat.cells, lat.orientation, lat.lattice_constant_A,
                     periodic_z=(lat.geometry == "bulk"))


def build_energy_model(settings: Settings, lattice: Lattice) -> EnergyModel:
    en = settings.energy
    kin = settings.kinetics
    has_interface = settings.lattice.geometry == "slab"
    phi = np.zeros((3, 3))
    phi[LI, LI] = en.li_li_bond_eV
    phi[LI, MG] = phi[MG, LI] = en.li_mg_bond_eV
    phi[MG, MG] = en.mg_mg_bond_eV
    pair = np.stack([-phi, -phi])
    site = np.zeros((lattice.n_layers, 3))
    if has_interface:
        pair[1, MG, VAC] = pair[1, VAC, MG] = en.interface_mg_vacancy_eV
        for layer, delta in enumerate(en.layer_vacancy_eV):
            site[layer, VAC] = delta
        site[0, LI] -= en.adhesion_li_eV
        site[0, MG] -= en.adhesion_mg_eV
        # Bonds from the bottom layer to the (unsimulated) bulk below, at the bulk composition.
        x_mg = settings.composition.mg_fraction
        below = lattice.missing_below
        for sp in (LI, MG):
            site[-1, sp] += below * ((1 - x_mg) * pair[0, sp, LI] + x_mg * pair[0, sp, MG])
    return EnergyModel(
        pair_eV=pair, site_eV=site,
        l1_vacancy_pair_eV=float(en.interface_vacancy_pair_eV) if has_interface else 0.0,
        kra_eV=np.array([kin.kra_li_eV, kin.kra_li_near_mg_eV, kin.kra_mg_eV]),
        attempt_frequency_Hz=float(kin.attempt_frequency_Hz),
        kT_eV=units.kT_eV(settings.conditions.temperature_K),
        has_interface=has_interface)


@dataclass(frozen=True)
class EventRates:
    """Rates of the non-hop event classes (already multiplied by run.acceleration where it applies)."""
    strip_total_per_s: float          # galvanostatic: shared among the Li atoms still in contact
    creep_per_void_site_full_contact_per_s: float  # refill rate of one L1 vacancy at contact 1
    creep_stress_exponent: float      # the per-site rate scales as contact_fraction**-n
    exit_per_bottom_vacancy_per_s: float   # vacancy leaves the box into the bulk below
    create_total_per_s: float         # reservoir: vacancies entering from the bulk below
    bulk_vacancy_concentration: float


def creep_strain_rate_per_s(settings: Settings, stress_MPa: float) -> float:
    """Power-law creep of Li (PHYSICS.md section 4, seed 003's Norton form)."""
    c = settings.creep
    if stress_MPa <= 0:
        return 0.0
    arrhenius = math.exp(-c.activation_energy_kJ_mol * 1e3 / units.GAS_CONSTANT_J_per_mol_K
                         * (1 / settings.conditions.temperature_K - 1 / c.reference_temperature_K))
    return c.reference_strain_rate_per_s * (stress_MPa / c.reference_stress_MPa) ** c.stress_exponent * arrhenius


def build_event_rates(settings: Settings, lattice: Lattice, model: EnergyModel) -> EventRates:
    accel = settings.run.acceleration
    cond = settings.conditions
    bnd = settings.boundary
    slab = settings.lattice.geometry == "slab"
    strip = accel * units.strip_rate_per_s(cond.current_density_mA_cm2, lattice.interface_area_A2) if slab else 0.0
    # Creep: a unit of creep strain refills refill_length_nm of void height, i.e. this many layers.
    layers_per_strain = settings.creep.refill_length_nm * 10.0 / lattice.layer_spacing_A
    creep = accel * creep_strain_rate_per_s(settings, cond.stack_pressure_MPa) * layers_per_strain if slab else 0.0
    # Exchange with the bulk below: a bottom vacancy hops out through each missing neighbour at the
    # bare Li barrier; the reservoir sends vacancies in so the bottom layer holds c_bulk.
    gamma_out = model.attempt_frequency_Hz * math.exp(-model.kra_eV[0] / model.kT_eV) * lattice.missing_below
    c_bulk = bnd.supersaturation * math.exp(-bnd.vacancy_formation_eV / model.kT_eV)
    exit_rate = gamma_out if (slab and bnd.bottom in ("sink", "reservoir")) else 0.0
    create = gamma_out * c_bulk * lattice.sites_per_layer if (slab and bnd.bottom == "reservoir") else 0.0
    return EventRates(strip_total_per_s=strip, creep_per_void_site_full_contact_per_s=creep,
                      creep_stress_exponent=settings.creep.stress_exponent,
                      exit_per_bottom_vacancy_per_s=exit_rate, create_total_per_s=create,
                      bulk_vacancy_concentration=c_bulk)
