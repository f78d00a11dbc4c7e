"""Energy model and rate rules: turns settings + lattice into the tables the engine uses.

Configuration energy (site codes of kmc.species: 0 vacancy, 1 host, 2 solute):

    E = sum_{1st-neighbour pairs} pair_eV[c][A][B] + sum_sites site_eV[layer][A]
        + sum_{metal sites i} embed_eV[A_i][class(layer_i)][n_i]
        + interface_vacancy_pair_eV * (number of vacancy-vacancy pairs at distance a within L1)

n_i is the number of metal first neighbours of i inside the box (whatever their species); the
class is 0 in the bulk, 1 in L1, 2 in the bottom layer.  Two forms fill these tables
(energy.form, docs/energy_model.md):

* "second_moment" (Finnis-Sinclair): pair_eV = V[A][B] > 0 (repulsive) between metals;
  embed_eV[A][c][n] = -eps_A sqrt(n + extra_c), where extra is the electrolyte's coordination
  c_S(A) in L1 and the metal continuation below the box (``missing_below`` neighbours) in the
  bottom layer; site_eV[L1][A] = R_S(A), the electrolyte contact repulsion.  The continuation is
  a frozen mean-field layer of bulk composition: its pairs with the box and its embedding,
  linearised about full coordination, are a site term of the bottom layer, so an isolated
  vacancy there costs exactly what it costs in the bulk.
* "bond": embed_eV = 0 and the rest as below (the special case F = 0, kept with its fast paths).

* pair_eV[0] (bulk bonds): -phi(A,B) between metals, 0 for anything with a vacancy.
* pair_eV[1] (bonds touching L1): the same metal bonds, plus the interface solute-vacancy repulsion.
* site_eV[layer][vacancy] = per-layer vacancy energy delta(l) relative to bulk;
  site_eV[L1][metal] = -adhesion(metal) (contact with the electrolyte);
  site_eV[bottom][metal] = bonds to the bulk continuation below the box (mean-field composition).

Hops: rate = nu exp(-Ea/kT) with the barrier and KRA rules of kmc.rates (the one copy of each),
so k_fwd/k_bwd = exp(-dE/kT) exactly.  ``total_energy`` is the reference that the engine's local
energy differences (kmc.rates.hop_energy_change_eV) must reproduce.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc import units
from kmc.config import Settings
from kmc.rates import CLASS_BOTTOM, CLASS_BULK, CLASS_L1, N_CLASSES, RATE_CACHE_SIZE, RateModel, barrier_eV, bulk_rate_lookup, kra_eV
from kmc.species import HOST, SOLUTE, VACANCY
from lattices import Lattice, build_bcc


@dataclass(frozen=True)
class EnergyModel:
    pair_eV: np.ndarray          # (2, 3, 3) bond energies: [bulk, touching L1][A][B]
    site_eV: np.ndarray          # (n_layers, 3) per-site energies by layer and species
    l1_vacancy_pair_eV: float    # vacancy-vacancy pair at distance a within L1
    kra_eV: np.ndarray           # (3,) [host, host with a solute next to either end, solute]
    embed_eV: np.ndarray         # (3, N_CLASSES, 9) embedding [species][layer class][metal neighbours]
    layer_class: np.ndarray      # (n_layers,) uint8 CLASS_* of each layer
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
        if self.has_embedding:
            n_metal = ((occ[np.where(nbr >= 0, nbr, 0)] != VACANCY) & (nbr >= 0)).sum(axis=1)
            e += self.embed_eV[occ, self.layer_class[layer], n_metal].sum()
        if self.has_interface and self.l1_vacancy_pair_eV != 0.0:
            l1 = np.arange(lattice.sites_per_layer)
            q = lattice.l1_second_neighbors
            for c in range(q.shape[1]):
                ok = (q[:, c] > l1)
                e += self.l1_vacancy_pair_eV * np.count_nonzero((occ[l1[ok]] == VACANCY) & (occ[q[ok, c]] == VACANCY))
        return float(e)

    @property
    def has_embedding(self) -> bool:
        return bool(self.embed_eV.any())

    def hop_rate(self, dE_eV: float, kra: float) -> float:
        """nu exp(-Ea/kT) with Ea from kmc.rates.barrier_eV: k(dE)/k(-dE) = exp(-dE/kT) exactly.

        Evaluated as exp(-Ea / kT); the engine's interface rates use exp(-Ea * (1/kT)), which can
        differ in the last bit (tests compare the two with rtol 1e-9)."""
        return self.attempt_frequency_Hz * math.exp(-barrier_eV(dE_eV, kra) / self.kT_eV)

    def bulk_layers(self, n_layers: int) -> np.ndarray:
        """uint8 per layer: 1 where a vacancy's hops may use ``bulk_rate_table``.

        True when no hop from that layer can touch an interface bond (an L1 site among the
        neighbours of either end, i.e. within two layers) or a site term (at either end).
        """
        ok = np.ones(n_layers, np.uint8)
        if self.has_embedding:
            # a hop's energy depends on its neighbours' coordinations, not on its own counts alone
            return np.zeros(n_layers, np.uint8)
        if not self.has_interface:
            return ok
        site_free = ~self.site_eV.any(axis=1)
        for layer in range(n_layers):
            ends = range(max(layer - 1, 0), min(layer + 2, n_layers))
            ok[layer] = layer - 2 >= 1 and layer + 1 < n_layers and all(site_free[e] for e in ends)
        return ok

    def bulk_rate_table(self) -> np.ndarray:
        """Hop rates in the bulk, indexed [species-1, dHost+8, dSolute+8, solute nearby].

        Away from the interface a hop's energy change depends only on the hopping species and on
        how many host and solute neighbours it has after the hop minus before (in -8..8), since
        bulk bonds with a vacancy cost nothing; the KRA depends on the species and on whether a
        solute is next to either end.  The engine looks rates up here instead of calling exp.
        Bond form only: with an embedding the energy also depends on the neighbours'
        coordinations, and ``bulk_layers`` lets no layer use the table.
        """
        assert not self.pair_eV[0, VACANCY].any(), "bulk bonds with a vacancy must be zero for the table"
        table = np.zeros((2, 17, 17, 2))
        for x in (HOST, SOLUTE):
            for d_host in range(-8, 9):
                for d_solute in range(-8, 9):
                    dE = self.pair_eV[0, x, HOST] * d_host + self.pair_eV[0, x, SOLUTE] * d_solute
                    for near in (0, 1):
                        table[x - 1, d_host + 8, d_solute + 8, near] = self.hop_rate(dE, kra_eV(x, near, self.kra_eV))
        return table

    def rate_model(self, n_layers: int, exit_per_s: float, layer_kind: np.ndarray) -> RateModel:
        """What the compiled rate kernels read (kmc.rates.RateModel), with a fresh exp memo;
        ``layer_kind`` from kmc.engine.layer_kinds(self.bulk_layers(n_layers))."""
        return RateModel(self.pair_eV, self.site_eV, float(self.l1_vacancy_pair_eV), self.kra_eV,
                         float(self.attempt_frequency_Hz), 1.0 / self.kT_eV, float(exit_per_s),
                         bulk_rate_lookup(self.bulk_rate_table()), layer_kind,
                         np.full(RATE_CACHE_SIZE, -1, np.int64), np.zeros(RATE_CACHE_SIZE, np.float64),
                         self.embed_eV, self.layer_class.astype(np.uint8), self.has_embedding)


def build_lattice(settings: Settings) -> Lattice:
    lat = settings.lattice
    return build_bcc(lat.cells, lat.orientation, lat.lattice_constant_A,
                     periodic_z=(lat.geometry == "bulk"))


def build_energy_model(settings: Settings, lattice: Lattice) -> EnergyModel:
    en = settings.energy
    kin = settings.kinetics
    has_interface = settings.lattice.geometry == "slab"
    n_layers = lattice.n_layers
    site = np.zeros((n_layers, 3))
    embed = np.zeros((3, N_CLASSES, 9))
    layer_class = np.full(n_layers, CLASS_BULK, np.uint8)
    x_sol = settings.composition.solute_fraction
    below = lattice.missing_below if has_interface else 0
    if en.form == "second_moment":
        v = np.zeros((3, 3))
        v[HOST, HOST] = en.host_host_pair_eV
        v[HOST, SOLUTE] = v[SOLUTE, HOST] = en.host_solute_pair_eV
        v[SOLUTE, SOLUTE] = en.solute_solute_pair_eV
        pair = np.stack([v, v.copy()])
        eps = {HOST: en.host_embedding_eV, SOLUTE: en.solute_embedding_eV}
        c_s = {HOST: en.electrolyte_coordination_host, SOLUTE: en.electrolyte_coordination_solute}
        n = np.arange(9.0)
        for sp in (HOST, SOLUTE):
            embed[sp, CLASS_BULK] = -eps[sp] * np.sqrt(n)
        if has_interface:
            layer_class[0], layer_class[-1] = CLASS_L1, CLASS_BOTTOM
            eps_ghost = (1 - x_sol) * eps[HOST] + x_sol * eps[SOLUTE]
            ghost_per_box_neighbour = -eps_ghost * (math.sqrt(8.0) - math.sqrt(7.0))
            for sp in (HOST, SOLUTE):
                embed[sp, CLASS_L1] = -eps[sp] * np.sqrt(n + c_s[sp])
                embed[sp, CLASS_BOTTOM] = -eps[sp] * np.sqrt(n + below)
                site[0, sp] = en.electrolyte_repulsion_host_eV if sp == HOST else en.electrolyte_repulsion_solute_eV
                v_ghost = (1 - x_sol) * v[sp, HOST] + x_sol * v[sp, SOLUTE]
                site[-1, sp] += below * (v_ghost + ghost_per_box_neighbour)
    else:
        phi = np.zeros((3, 3))
        phi[HOST, HOST] = en.host_host_bond_eV
        phi[HOST, SOLUTE] = phi[SOLUTE, HOST] = en.host_solute_bond_eV
        phi[SOLUTE, SOLUTE] = en.solute_solute_bond_eV
        pair = np.stack([-phi, -phi])
        if has_interface:
            for layer, delta in enumerate(en.layer_vacancy_eV):
                site[layer, VACANCY] = delta
            site[0, HOST] -= en.adhesion_host_eV
            site[0, SOLUTE] -= en.adhesion_solute_eV
            # Bonds from the bottom layer to the (unsimulated) bulk below, at the bulk composition.
            for sp in (HOST, SOLUTE):
                site[-1, sp] += below * ((1 - x_sol) * pair[0, sp, HOST] + x_sol * pair[0, sp, SOLUTE])
    if has_interface:
        pair[1, SOLUTE, VACANCY] = pair[1, VACANCY, SOLUTE] = en.interface_solute_vacancy_eV
    return EnergyModel(
        pair_eV=pair, site_eV=site,
        l1_vacancy_pair_eV=float(en.interface_vacancy_pair_eV) if has_interface else 0.0,
        kra_eV=np.array([kin.kra_host_eV, kin.kra_host_near_solute_eV, kin.kra_solute_eV]),
        embed_eV=embed, layer_class=layer_class,
        attempt_frequency_Hz=float(kin.attempt_frequency_Hz),
        kT_eV=units.kT_eV(settings.conditions.temperature_K),
        has_interface=has_interface)


@dataclass(frozen=True)
class EventRates:
    """Rates of the non-hop event classes (already multiplied by run.acceleration where it applies)."""
    strip_total_per_s: float          # galvanostatic: shared among the Li atoms still in contact
    creep_per_void_site_full_contact_per_s: float  # refill rate of a one-site interface void at contact 1
    creep_stress_exponent: float      # per site of an N-site void: the above x sqrt(N) x contact**-n
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


def creep_closure_per_void_site_per_s(settings: Settings, lattice: Lattice, stress_MPa: float,
                                      void_sites: int = 1) -> float:
    """Refill rate (1/s, no acceleration) of each site of an interface void of ``void_sites`` L1
    sites under the local stress ``stress_MPa`` (docs/validation.md, "Creep closure per void").

    A flat void between the metal and the rigid electrolyte, its footprint a disc of the void's
    area A = N a_s (a_s the area of an L1 site) and diameter w = 2 sqrt(A / pi), closes as its
    roof sinks at the mean velocity v = kappa eps_dot(sigma) w (power-law creep has no length of
    its own; kappa = creep.closure_coefficient).  The void loses v A / Omega sites per second
    (Omega = a_s d the atomic volume, d the layer spacing), so each of its N sites is refilled
    at kappa eps_dot w / d."""
    site_area_A2 = lattice.interface_area_A2 / lattice.sites_per_layer
    width_A = 2.0 * math.sqrt(void_sites * site_area_A2 / math.pi)
    return (settings.creep.closure_coefficient * creep_strain_rate_per_s(settings, stress_MPa)
            * width_A / lattice.layer_spacing_A)


def build_event_rates(settings: Settings, lattice: Lattice, model: EnergyModel) -> EventRates:
    accel = settings.run.acceleration
    cond = settings.conditions
    bnd = settings.boundary
    slab = settings.lattice.geometry == "slab"
    strip = accel * units.strip_rate_per_s(cond.current_density_mA_cm2, lattice.interface_area_A2) if slab else 0.0
    creep = accel * creep_closure_per_void_site_per_s(settings, lattice, cond.stack_pressure_MPa) if slab else 0.0
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
