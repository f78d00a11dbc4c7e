"""The electrode below the box: a 1-D continuum of solute (Mg) under the bottom layer, so that the
solute left behind by stripping can pass into the electrode instead of piling up in the box.

The continuum is the metal between the bottom of the box and the far side of the electrode
(``electrode.thickness_um`` minus the box's depth), as a column of the box's cross-section cut
into cells.  The cells are material (Lagrangian): cell i holds ``sites[i]`` lattice sites (an
integer) and ``solute[i]`` solute atoms (a float), its composition is x_i = solute/sites and its
thickness h_i = sites / sites_per_layer * d.  Nothing is ever created or lost:

* the box's bottom layer trades atoms with the top cell through three kernel events
  (kmc.engine.loop.run_chunk): a vacancy that leaves towards the sinks is replaced by an atom drawn
  from the top cell (solute with probability x_top), a vacancy that enters from the sinks sends
  the bottom atom into the top cell, and a bottom solute and a top-cell host exchange (or the
  reverse) at the rate that the solute's diffusivity across the box / continuum boundary gives;
  the kernel counts the atoms and solute atoms it took (``flux``), and ``step`` books them on the
  top cell, exactly (integers);
* as stripping recedes the electrode, atoms flow up into the box: the top cell shrinks, and when
  it holds less than half a box's worth of sites it merges into the next cell (a merge or a split
  moves whole amounts, so it conserves exactly);
* diffusion between cells is a backward-Euler step written in flux form (each flux is taken from
  one cell and given to the next), so the total changes only by rounding.

Box + continuum solute is therefore the initial total to rounding (tests/test_electrode.py).

The solute diffusivity is the model's own (kmc.model.solute_diffusivity_per_vacancy_A2_s):
D_s = c_v exp(-E_b/kT) Gamma_s a^2, proportional to the local vacancy fraction c_v.  Stripping
raises c_v (seed 004's vacancy-enhanced diffusion): below the box, the quasi-static vacancy
profile between the bottom layer and the sinks is linear, from the bottom layer's fraction c_b to
the sinks' c_inf = c_eq * supersaturation at the sink distance L (c_inf beyond).  c_b is measured
in the run: the bottom layer's time-averaged vacancy fraction since the start
(Simulation.time_averaged_layer_vacancies), never below c_inf.  No number is tuned.

Acceleration: the continuum is part of the electrode whose macroscopic fluxes run A times faster
(kmc.model.build_event_rates), so it evolves A seconds of cell time per kMC second: its
conductances and the exchange rate carry A.

Time stepping.  The continuum is integrated between kernel calls, at kMC times fixed by the state
(``next`` in the drive array, which the kernel treats as a time limit), so chunk boundaries do not
change a trajectory.  Backward Euler is unconditionally stable; its accuracy at the top, where
the gradients are, is set by the step: each step is short enough that the box moves at most
STEP_FRACTION (5 %) of a box's worth of sites through the boundary (stripping, exchange, entries
and exits), i.e. the top cell's composition, which the kernel holds fixed over a step, changes by
at most a few per cent of itself per step, and the step is at most that fraction of the top
cell's diffusion time h^2/(A D) (the explicit-stability scale).
"""
from __future__ import annotations

import math

import numpy as np

from kmc.engine.state import ATOMS_IN, C_BOTTOM, D_BOTTOM, EXCHANGE_PER_SITE, LAST_T, N_DRIVE, NEXT_T, SOLUTE_IN, X_TOP

# Cells grow geometrically from the top (a box-depth cell) to the far side: a grid that resolves
# the steep profile next to the box and spends few cells on the deep electrode (82 cells for
# 4.2 nm to 100 um).  A ratio of 1.1 keeps the non-uniform-grid error of the flux small
# (first order in (r - 1)).
GRID_GROWTH = 1.1
STEP_FRACTION = 0.05
COUPLING_CAP = 10.0

# The slots of the drive and flux arrays are part of the engine's run state (kmc.engine.state).
# Slots of the int64 tally (cumulative): continuum steps, solute atoms and atoms taken into the box.
STEPS, SOLUTE_IN_TOTAL, ATOMS_IN_TOTAL = range(3)


class Electrode:
    """The continuum's constants; its state lives in the Simulation's arrays (checkpointed)."""

    def __init__(self, rates, lattice, solute_fraction: float, active: bool):
        self.active = active
        self.spl = lattice.sites_per_layer
        self.d = lattice.layer_spacing_A
        self.accel = rates.acceleration
        # a deep-box layer's conductance is B D/d^2 (kmc.model.deep_box; B = 1 without it)
        self.deep_hop_factor = rates.deep_hop_factor
        self.depth_A = rates.electrode_depth_A
        self.sink_A = rates.sink_distance_A
        self.c_inf = rates.bulk_vacancy_concentration
        self.d_per_cv = rates.solute_diffusivity_per_vacancy_A2_s
        self.x0 = solute_fraction
        self.nominal_sites = lattice.n_layers * self.spl   # a box-depth cell
        self.strip_per_s = rates.strip_total_per_s
        self.exit_per_vacancy = rates.exit_per_bottom_vacancy_per_s
        self.enter_per_s = rates.create_total_per_s

    # -- initial state --------------------------------------------------------------------
    def initial_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """(sites, solute) per cell, top first: whole layers, geometric thicknesses from a box's
        depth, the last cell ending at the far side; the electrode's composition everywhere."""
        if not self.active:
            return np.zeros(1, np.int64), np.zeros(1, np.float64)
        layers_total = max(int(round(self.depth_A / self.d)), 1)
        first = self.nominal_sites // self.spl
        layers, left, h = [], layers_total, float(first)
        while left > 0:
            n = min(max(int(round(h)), 1), left)
            if left - n < first:   # no sliver at the far side
                n = left
            layers.append(n)
            left -= n
            h *= GRID_GROWTH
        sites = np.array(layers, np.int64) * self.spl
        return sites, sites * self.x0

    def initial_drive(self, c_bottom: float) -> np.ndarray:
        drive = np.zeros(N_DRIVE, np.float64)
        drive[X_TOP] = self.x0
        return drive

    # -- rates ------------------------------------------------------------------------------
    def vacancy_fraction(self, z_A: np.ndarray | float, c_b: float):
        """Quasi-static vacancy fraction at depth z below the box bottom: linear from c_b to c_inf
        at the sinks, c_inf beyond."""
        return c_b + (self.c_inf - c_b) * np.minimum(np.asarray(z_A, float) / self.sink_A, 1.0)

    def exchange_per_site(self, c_b: float, top_sites: int) -> float:
        """Rate (1/s, x A) at which a bottom solute swaps with a top-cell host (times 1 - x_top) and
        a bottom host with a top-cell solute (times x_top): the net solute flux is then
        k spl (x_b - x_top) = J, the flux D (x_b - x_top) / (Omega dz) per column with dz the
        distance (d + h_top)/2 between the bottom layer's and the top cell's centres, so
        k = A D(c_b) / (d dz), but at most COUPLING_CAP B D(c_b)/d^2 (below)."""
        h_top = top_sites / self.spl * self.d
        d_b = self.d_per_cv * c_b
        # Capped at COUPLING_CAP times the conductance of one layer of the box's bottom, B D/d^2
        # (B the deep box's speed-up of a lone vacancy's hops, 1 without it): the box, the boundary
        # and the continuum are resistances in series, and the capped boundary adds at most
        # 1/COUPLING_CAP of a layer to the box's layers (< 0.5 % of the flux for 24 layers), while
        # a faster boundary would only spend events on Li/Mg swaps that change nothing (the cap
        # binds for A > ~10 B h_top/d).
        return min(self.accel * d_b / (self.d * 0.5 * (self.d + h_top)),
                   COUPLING_CAP * self.deep_hop_factor * d_b / (self.d * self.d))

    def step_interval(self, drive: np.ndarray, top_sites: int) -> float:
        """kMC seconds to the next step (see the module's note on time stepping): the rates at
        which sites pass the boundary (stripping, which every exit follows in the long run; the
        solute exchange; entries; exits at the bottom's measured vacancy fraction)."""
        through = (self.strip_per_s + drive[EXCHANGE_PER_SITE] * self.spl + self.enter_per_s
                   + self.exit_per_vacancy * drive[C_BOTTOM] * self.spl)
        dt = STEP_FRACTION * self.nominal_sites / through if through > 0 else math.inf
        d_top = self.accel * drive[D_BOTTOM]
        if d_top > 0:
            h_top = top_sites / self.spl * self.d
            dt = min(dt, STEP_FRACTION * h_top * h_top / d_top)
        return dt

    # -- one step ---------------------------------------------------------------------------
    def step(self, sites: np.ndarray, solute: np.ndarray, drive: np.ndarray, flux: np.ndarray,
             tally: np.ndarray, clock: float, c_b_measured: float):
        """Book the kernel's transfers on the top cell, re-grid the top, diffuse from the last step
        to ``clock`` and set the drive for the next interval.  Returns new (sites, solute)."""
        sites = sites.copy()
        solute = solute.copy()
        sites[0] -= flux[ATOMS_IN]
        solute[0] -= flux[SOLUTE_IN]
        tally[SOLUTE_IN_TOTAL] += flux[SOLUTE_IN]
        tally[ATOMS_IN_TOTAL] += flux[ATOMS_IN]
        flux[:] = 0
        while sites.size > 1 and sites[0] < self.nominal_sites // 2:
            sites[1] += sites[0]
            solute[1] += solute[0]
            sites, solute = sites[1:], solute[1:]
        if sites[0] > 2 * self.nominal_sites:
            rest = sites[0] - self.nominal_sites
            part = solute[0] * (self.nominal_sites / sites[0])
            sites = np.concatenate(([self.nominal_sites, rest], sites[1:])).astype(np.int64)
            solute = np.concatenate(([part, solute[0] - part], solute[1:]))
        c_b = max(c_b_measured, self.c_inf)
        dt = self.accel * (clock - drive[LAST_T])   # cell seconds
        if dt > 0 and sites.size > 1 and self.d_per_cv > 0:
            solute = self._diffuse(sites, solute, c_b, dt)
        tally[STEPS] += 1
        drive[LAST_T] = clock
        drive[C_BOTTOM] = c_b
        drive[D_BOTTOM] = self.d_per_cv * c_b
        drive[X_TOP] = min(max(solute[0] / sites[0], 0.0), 1.0) if sites[0] > 0 else 0.0
        drive[EXCHANGE_PER_SITE] = self.exchange_per_site(c_b, int(sites[0]))
        drive[NEXT_T] = clock + self.step_interval(drive, int(sites[0]))
        return sites, solute

    def _diffuse(self, sites: np.ndarray, solute: np.ndarray, c_b: float, dt: float) -> np.ndarray:
        """Backward Euler over dt cell seconds with zero flux at both ends (the box's exchange is
        booked by the kernel's events; the far side is the current collector), in flux form."""
        n = sites.size
        h = sites / self.spl * self.d
        z_face = np.cumsum(h)[:-1]
        dz = 0.5 * (h[:-1] + h[1:])
        # conductance of each face: flux (atoms/s per column) per unit difference in x
        g = self.d_per_cv * self.vacancy_fraction(z_face, c_b) * self.spl / (self.d * dz) * dt
        n_f = sites.astype(np.float64)
        diag = n_f.copy()
        diag[:-1] += g
        diag[1:] += g
        x = _tridiagonal(-g, diag, -g, solute.copy())
        f = g * (x[:-1] - x[1:])   # atoms moved down through each face
        out = solute.copy()
        out[:-1] -= f
        out[1:] += f
        return out


def _tridiagonal(lower, diag, upper, rhs):
    """Solve the symmetric tridiagonal system (Thomas algorithm; diagonally dominant, so stable)."""
    n = diag.size
    c = np.zeros(n)
    d = np.zeros(n)
    c[0] = upper[0] / diag[0] if n > 1 else 0.0
    d[0] = rhs[0] / diag[0]
    for i in range(1, n):
        m = diag[i] - lower[i - 1] * c[i - 1]
        if i < n - 1:
            c[i] = upper[i] / m
        d[i] = (rhs[i] - lower[i - 1] * d[i - 1]) / m
    x = np.zeros(n)
    x[-1] = d[-1]
    for i in range(n - 2, -1, -1):
        x[i] = d[i] - c[i] * x[i + 1]
    return x
