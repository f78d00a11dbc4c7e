"""The solute along the interface (docs/alloy.md §1): the solute that stripping leaves behind, per cell
of the interface, and what it does there.  Arrays in, arrays out, so the section's step
(kmc.resolved.gap) calls it on the section.

Per cell, the metal below the contact holds an excess profile of solute, exponential in depth: its
inventory M (solute fraction x um) and its depth delta (um), so the fraction just below the surface is
x_s = x + M / delta (kmc.physics.alloy.excess_to_subsurface).  Each step:

* stripping at the cell's local rate v (the volume of Li the cell's current removes, um/s) leaves the
  stripped metal's solute behind: M += x v dt (the solute is never stripped; kmc.physics.solute's
  x(1 + h/delta) is the same balance in its quasi-steady limit);
* the profile's depth follows d delta / dt = D / delta - v (kmc.physics.alloy.profile_depth_rate):
  D / v under a stripping contact (docs/rates.md's enrichment depth, 8.9 um at S = 134), spreading as
  sqrt(2 D t) under a void, where nothing strips;
* the excess spreads along the interface within its layer: dM/dt = div (D delta grad x_s) along the line
  (a section) or over the plane (an area, both lateral axes), explicit on the cells with sub-steps below the
  stability limit of the grid's dimension;
* D is the model's own vacancy-mechanism D_Mg at each cell's vacancy fraction S c_eq
  (kmc.physics.solute.diffusivity: vacancy-enhanced at the local supersaturation, c_eq at a void's wall).

What it does (``factors``): L1's solute fraction theta in segregation equilibrium with x_s, and the
wetting angle, surface energy and work of adhesion there (kmc.energetics' composition table,
linear between rows); the exchange current's L1 site factor b and Li's activity ratio r
(kmc.physics.alloy, its docstring gives the Butler-Volmer form); and, with the strengthening bound on,
the creep rate's factor at x_s (kmc.physics.alloy.solid_solution_creep_factor; 1 without it).

Left out (docs/alloy.md): the solute carried by the metal that creep moves into a closing void, and
the vertical structure beyond one exponential per cell.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from kmc import units
from kmc.physics import alloy, solute
from kmc.mechanics.reduced import NoContactError
from kmc.physics.electrochemistry import butler_volmer_scale_V, overpotential_mV
from kmc.resolved.fields import CurrentField, FieldNotConverged, constricted_current

STRENGTHENING = ("none", "labusch_bound")


class NoLithiumAtContactError(NoContactError):
    """Every contact cell has pure solute just below it (x_s = 1, Li's activity 0): no contact can strip,
    no potential carries the current (the cell is at its cut-off), and the run ends as with no contact."""


@dataclass
class SoluteState:
    excess_um: np.ndarray          # M per cell: the excess solute below it, solute fraction x um
    depth_um: np.ndarray           # delta per cell: the excess profile's depth (um)


@dataclass(frozen=True)
class SoluteFactors:
    subsurface_fraction: np.ndarray    # x_s per cell
    l1_fraction: np.ndarray            # theta per cell (L1 solute per site in equilibrium with x_s)
    site_factor: np.ndarray            # b: the exchange current's L1 sites holding Li, against the as-made contact
    activity_ratio: np.ndarray         # r: Li's activity against the as-made metal
    wetting_angle_deg: np.ndarray      # the metal's Young angle at x_s
    surface_energy_J_m2: np.ndarray    # the void wall's gamma at x_s
    creep_factor: np.ndarray           # creep rate at x_s over the bulk alloy's (1 without the bound)


class SoluteField:
    """The step and the factors for one set of inputs (module docstring).  ``table``: kmc.energetics'
    composition_table rows (x_sub, theta, angle deg, gamma J/m^2, W_ad J/m^2), x rising from the bulk's."""

    def __init__(self, bulk_fraction: float, diffusivity_per_vacancy_um2_s: float, vacancy_equilibrium_fraction: float,
                 table: tuple, cell_um: float, stress_exponent: float, strengthening: str = "none"):
        if strengthening not in STRENGTHENING:
            raise ValueError(f"strengthening {strengthening!r}; allowed: {', '.join(STRENGTHENING)}")
        if bulk_fraction <= 0 or not table:
            raise ValueError("a solute field needs a solute: bulk_fraction > 0 and a composition table")
        self.x = bulk_fraction
        self.per_vacancy = diffusivity_per_vacancy_um2_s
        self.c_eq = vacancy_equilibrium_fraction
        self.table = np.array(table, float)
        self.cell_um = cell_um
        self.stress_exponent = stress_exponent
        self.strengthening = strengthening
        self.l1_as_made = float(self.table[0, 1])

    def diffusivity_um2_s(self, supersaturation) -> np.ndarray:
        return solute.diffusivity(self.per_vacancy, np.maximum(np.asarray(supersaturation, float), 1.0), self.c_eq)

    def initial_state(self, shape, supersaturation: float, recession_um_s: float) -> SoluteState:
        """No excess; the profile's depth at its steady value D(S) / v of the contact as it starts (it
        holds nothing until stripping starts, so the start's depth only sets where it begins to relax).
        ``shape``: the cells' (a line's number of cells, or an area's (depth, width))."""
        depth = float(self.diffusivity_um2_s(supersaturation)) / max(recession_um_s, 1e-300)
        return SoluteState(np.zeros(shape), np.full(shape, depth))

    def subsurface_fraction(self, st: SoluteState) -> np.ndarray:
        return alloy.excess_to_subsurface(st.excess_um, st.depth_um, self.x)

    def factors(self, st: SoluteState) -> SoluteFactors:
        xs = self.subsurface_fraction(st)
        t = self.table
        theta = np.interp(xs, t[:, 0], t[:, 1])
        creep = (alloy.solid_solution_creep_factor(xs, self.x, self.stress_exponent)
                 if self.strengthening == "labusch_bound" else np.ones(xs.shape))
        return SoluteFactors(xs, theta, alloy.l1_site_factor(theta, self.l1_as_made), alloy.li_activity_ratio(xs, self.x),
                             np.interp(xs, t[:, 0], t[:, 2]), np.interp(xs, t[:, 0], t[:, 3]), creep)

    def step(self, st: SoluteState, recession_um_s: np.ndarray, supersaturation: np.ndarray, dt: float) -> SoluteState:
        """The state after dt (module docstring); ``recession_um_s``: each cell's stripped Li volume per
        area per second (0 under a void), ``supersaturation``: each cell's vacancy fraction / c_eq."""
        v = np.asarray(recession_um_s, float)
        D = self.diffusivity_um2_s(supersaturation)
        excess = st.excess_um + self.x * v * dt
        depth = st.depth_um.copy()
        # sub-steps: the depth's relaxation (time constant delta / v, or delta^2 / D) and the lateral
        # spreading (h^2 / 2D) each kept explicit and stable
        stripping = v > 0
        depth_time = float(np.min(depth[stripping] / v[stripping])) if stripping.any() else math.inf
        depth_time = min(depth_time, float(np.min(depth * depth / D)))
        sub = min(alloy.lateral_stable_step(self.cell_um, float(D.max()), excess.ndim), 0.2 * depth_time)
        n = max(1, int(math.ceil(dt / sub)))
        if excess.ndim == 1:
            _substeps(excess, depth, D, v, self.x, self.cell_um, dt / n, n)
        else:
            _substeps_plane(excess, depth, D, v, self.x, self.cell_um, dt / n, n)
        return SoluteState(np.maximum(excess, 0.0), depth)


# kmc.physics.alloy's rules compiled for the sub-step loop (the same Python functions: one rule)
_profile_depth_rate = njit(alloy.profile_depth_rate)
_excess_to_subsurface = njit(alloy.excess_to_subsurface)


@njit(cache=True)
def _substeps(excess, depth, D, v, x, cell_um, h, n):
    """``n`` explicit sub-steps of ``h`` (SoluteField.step), in place on ``excess`` and ``depth``: the depth
    relaxes (at least 1e-6 um), and the excess spreads between neighbours through the layer's conductance,
    the mean of the two cells' D delta, periodic.  Compiled (~30 sub-steps a step over a section: the
    numpy loop cost a tenth of a Li-Mg run); each operation is the numpy expression's, in its order, so
    the run's bits are the same."""
    m = excess.size
    xs = np.empty(m)
    conductance = np.empty(m)
    flux = np.empty(m)
    for _ in range(n):
        for i in range(m):
            depth[i] = np.maximum(depth[i] + _profile_depth_rate(depth[i], D[i], v[i]) * h, 1e-6)
            xs[i] = _excess_to_subsurface(excess[i], depth[i], x) - x
            conductance[i] = D[i] * depth[i]
        for i in range(m):
            j = i + 1 if i + 1 < m else 0
            g = 0.5 * (conductance[i] + conductance[j])
            flux[i] = -g * (xs[j] - xs[i]) / cell_um                  # from cell i to i + 1
        for i in range(m):
            excess[i] = excess[i] - (flux[i] - flux[i - 1]) / cell_um * h


@njit(cache=True)
def _substeps_plane(excess, depth, D, v, x, cell_um, h, n):
    """_substeps on a periodic plane of cells (nz, nx): the same depth relaxation per cell, and the excess
    spreading through each face's conductance (the mean of the two cells' D delta) along both axes, in place."""
    nz, nx = excess.shape
    xs = np.empty((nz, nx))
    conductance = np.empty((nz, nx))
    flux_x = np.empty((nz, nx))
    flux_z = np.empty((nz, nx))
    for _ in range(n):
        for k in range(nz):
            for i in range(nx):
                depth[k, i] = np.maximum(depth[k, i] + _profile_depth_rate(depth[k, i], D[k, i], v[k, i]) * h, 1e-6)
                xs[k, i] = _excess_to_subsurface(excess[k, i], depth[k, i], x) - x
                conductance[k, i] = D[k, i] * depth[k, i]
        for k in range(nz):
            kk = k + 1 if k + 1 < nz else 0
            for i in range(nx):
                ii = i + 1 if i + 1 < nx else 0
                flux_x[k, i] = -0.5 * (conductance[k, i] + conductance[k, ii]) * (xs[k, ii] - xs[k, i]) / cell_um
                flux_z[k, i] = -0.5 * (conductance[k, i] + conductance[kk, i]) * (xs[kk, i] - xs[k, i]) / cell_um
        for k in range(nz):
            for i in range(nx):
                excess[k, i] = excess[k, i] - (flux_x[k, i] - flux_x[k, i - 1] + flux_z[k, i] - flux_z[k - 1, i]) \
                    / cell_um * h


def solute_current(R, resistivity_ohm_um: float, exchange_mA_cm2: float, temperature_K: float,
                   mean_current_mA_cm2: float, open_cells: np.ndarray, factors: SoluteFactors, iterations: int = 200,
                   constriction: bool = True, guess: np.ndarray | None = None) -> CurrentField:
    """kmc.resolved.fields.butler_volmer_current with kmc.physics.alloy's kinetics on each contact cell,
    i = i0 b [r e^(eta/s) - e^(-eta/s)] (b, r: ``factors``' site factor and activity ratio per cell): the
    same fixed point on phi (kmc.resolved.fields.constricted_current: Anderson's passes from ``guess``, a
    previous solve's ``potential_V``, to CURRENT_TOLERANCE), E at each pass by Newton from the pass before.
    Without the constriction phi = 0 and the current still follows b and r; the kinetic term is E at
    phi = 0 (the contact's own kinetics, no electrolyte)."""
    n = open_cells.size
    contact = ~open_cells
    thermal_V = butler_volmer_scale_V(temperature_K)
    i = np.zeros(open_cells.shape)
    if mean_current_mA_cm2 == 0:
        return CurrentField(i, 0.0, 0.0)
    if not contact.any():
        return CurrentField(i, math.inf, math.inf)
    b, r = factors.site_factor[contact], factors.activity_ratio[contact]
    if not (r > 0).any():
        raise NoLithiumAtContactError(f"every one of the {int(contact.sum())} contact cells has pure solute below it")
    total = mean_current_mA_cm2 * n
    start = float(overpotential_mV(mean_current_mA_cm2, contact.mean(), exchange_mA_cm2, temperature_K)) / units.MV_PER_V
    pc = np.zeros(contact.sum())
    E0 = _electrode_potential_V(pc, exchange_mA_cm2, thermal_V, b, r, total, start)
    kinetic_mV = units.MV_PER_V * E0
    if not constriction:
        # the contact's own kinetics at phi = 0 (with the constriction, constricted_current makes its own currents)
        i[contact] = alloy.activity_current(E0 - pc, exchange_mA_cm2, thermal_V, b, r)
        return CurrentField(i, kinetic_mV, kinetic_mV)
    phi_per_current = resistivity_ohm_um * units.A_PER_MA / units.UM2_PER_CM2
    log_r = alloy.log_activity_ratio(r)          # ln r once for the fixed point's passes
    last_E = [E0]                                # Newton's start: the last pass's E

    def kinetics(phi_contact):
        last_E[0] = _electrode_potential_V(phi_contact, exchange_mA_cm2, thermal_V, b, r, total, last_E[0])
        return last_E[0], alloy.activity_current(last_E[0] - phi_contact, exchange_mA_cm2, thermal_V, b, r, log_r)
    E, i, phi = constricted_current(R, phi_per_current, open_cells, total / contact.sum(), kinetics, guess, iterations)
    return CurrentField(i, units.MV_PER_V * E, kinetic_mV, phi)


def _electrode_potential_V(phi_contact, exchange_mA_cm2, thermal_V, site_factor, activity_ratio, total, start_V):
    """kmc.physics.alloy's Newton for E; its running out of passes is the current's solve falling short, so it is
    raised as the current's FieldNotConverged (what the gap model turns into the contract's Unconverged)."""
    try:
        return alloy.galvanostatic_activity_potential_V(phi_contact, exchange_mA_cm2, thermal_V, site_factor,
                                                        activity_ratio, total, start_V)
    except alloy.PotentialNotConverged as exc:
        raise FieldNotConverged(f"the alloy's current (kmc.resolved.solute.solute_current): {exc}") from exc
