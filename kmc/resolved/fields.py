"""The quasi-static fields of the resolved interface, each a slab's Dirichlet-to-Neumann operator on
the periodic line of interface cells (the section), or on the periodic plane of them (the area,
kmc.resolved.area: the same operators of |k| = (kx^2 + kz^2)^(1/2)), applied by FFT.

* Vacancies in the metal: D grad^2 c = 0 in 0 < y < L (L = electrode.sink_distance_um, the sinks
  hold S_sink c_eq at y = L; diffusion over L takes L^2 / D_v ~ 0.07 s against hours of
  stripping, so the field is quasi-static).  The flux into the metal at y = 0 is
  D K (c - S_sink c_eq), K with eigenvalues k coth(kL) (k != 0) and 1/L (k = 0).  On contact
  cells the flux is what stripping injects (minus what sub-grid nuclei take); on void cells the
  wall holds c_eq (the void captures what arrives).
* Potential in the electrolyte (a pellet of thickness L_e with the counter electrode beyond it):
  phi = rho R i, R with eigenvalues tanh(k L_e) / k (k != 0); the uniform part (rho L_e i, the
  same at any contact) is left out.  Current flows only through contact cells, with
  Butler-Volmer kinetics at the local overpotential E - phi: current focusing and the
  electrolyte's constriction (Holm's spreading resistance, in its 2-D form) together.  Without
  the constriction (meso.electrolyte_constriction = "off", a sensitivity) the electrolyte is an
  equipotential: the current is uniform over the contact and eta is the Butler-Volmer term alone.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc import units
from kmc.physics import electrochemistry
from kmc.physics.electrochemistry import butler_volmer_scale_V, galvanostatic_potential_V, overpotential_mV


class PeriodicOperator:
    """A real symmetric translation-invariant operator on the periodic line of cells, or on the
    periodic plane of them (an area's (depth, width) array), applied by FFT (O(N log N): the time
    loop calls it thousands of times; a dense N x N solve of 640 cells costs 30-170 ms on the
    shared machine, the FFT tens of microseconds)."""

    def __init__(self, eigenvalues: np.ndarray):
        self.eigenvalues = np.asarray(eigenvalues, float)      # np.fft.rfftfreq order (last axis)
        # the pseudo-inverse's eigenvalues (0 where the operator's are), once: the field solves'
        # preconditioner applies them tens of times a step
        with np.errstate(divide="ignore"):
            self._inverse_eigenvalues = np.where(self.eigenvalues != 0, 1.0 / self.eigenvalues, 0.0)

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        return self._apply(v, self.eigenvalues)

    @staticmethod
    def _apply(v: np.ndarray, eigenvalues: np.ndarray) -> np.ndarray:
        if v.ndim == 1:
            return np.fft.irfft(np.fft.rfft(v) * eigenvalues, n=v.size)
        return np.fft.irfft2(np.fft.rfft2(v) * eigenvalues, s=v.shape)

    def inverse(self, v: np.ndarray) -> np.ndarray:
        return self._apply(v, self._inverse_eigenvalues)

    def dense(self, n: int) -> np.ndarray:
        return np.stack([self @ e for e in np.eye(n)], axis=1)


def wavenumbers(cells, cell_um: float) -> np.ndarray:
    """|k| (1/um) of every Fourier mode: of a line of ``cells`` cells, or of a plane of
    ``cells = (rows, columns)`` cells (rows along the depth, columns along the width; rfft2's order)."""
    if np.ndim(cells) == 0:
        return 2 * math.pi * np.fft.rfftfreq(cells, d=cell_um)
    rows, columns = cells
    kz = 2 * math.pi * np.fft.fftfreq(rows, d=cell_um)
    kx = 2 * math.pi * np.fft.rfftfreq(columns, d=cell_um)
    return np.hypot(kz[:, None], kx[None, :])


def slab_flux_operator(cells, cell_um: float, depth_um: float) -> PeriodicOperator:
    """K: flux into a slab of this depth (per unit D) from the interface values of a field held
    at 0 at the far side: k coth(k depth), 1/depth at k = 0 (``cells``: as ``wavenumbers``)."""
    k = wavenumbers(cells, cell_um)
    with np.errstate(divide="ignore", invalid="ignore"):
        eig = np.where(k > 0, k / np.tanh(k * depth_um), 1.0 / depth_um)
    return PeriodicOperator(eig)


def slab_potential_operator(cells, cell_um: float, depth_um: float) -> PeriodicOperator:
    """R: interface potential per unit resistivity from the current density into a slab whose
    far side is an equipotential: tanh(k depth) / k, the k = 0 part left out (``cells``: as
    ``wavenumbers``)."""
    k = wavenumbers(cells, cell_um)
    with np.errstate(divide="ignore", invalid="ignore"):
        eig = np.where(k > 0, np.tanh(k * depth_um) / k, 0.0)
    return PeriodicOperator(eig)


@dataclass
class VacancyField:
    concentration: np.ndarray        # site fraction at every interface cell (c_eq on void cells)
    capture_um_s: np.ndarray         # volume per area per second flowing into each void cell (0 on contact)
    to_sinks_um_s: float             # mean volume flux per area through the slab to the sinks


def vacancy_field(K: PeriodicOperator, diffusivity_um2_s: float, c_eq: float, sink_supersaturation: float,
                  open_cells: np.ndarray, injected_um_s: np.ndarray, subgrid_conductance_per_um: np.ndarray,
                  depth_um: float, guess: np.ndarray | None = None, tolerance: float = 1e-11) -> VacancyField:
    """The mixed problem of the module docstring.  ``injected_um_s``: vacancy volume flux stripping
    puts into the metal at each contact cell; ``subgrid_conductance_per_um``: sub-grid nuclei in a
    contact cell take g (c - c_eq) D of volume per area per second (a Robin condition).

    Unknown: u = c - c_eq on the contact cells (0 on void cells); (K_CC + g) u = j/D - K_C (c_eq -
    S_sink c_eq) 1, solved by conjugate gradients with the FFT-applied K and, as preconditioner,
    K^-1 restricted to the contact (exact with no voids; a few tens of iterations with many)."""
    n = open_cells.size
    contact = ~open_cells
    shift = c_eq - sink_supersaturation * c_eq            # c_eq relative to the sinks' value
    u = np.zeros(open_cells.shape)
    if contact.any():
        g = subgrid_conductance_per_um[contact]
        rhs_full = np.zeros(open_cells.shape)
        rhs_full[contact] = injected_um_s[contact] / diffusivity_um2_s
        rhs = rhs_full[contact] - (K @ np.full(open_cells.shape, shift))[contact]
        work = np.zeros(open_cells.shape)

        def A(x):
            work[:] = 0.0
            work[contact] = x
            return (K @ work)[contact] + g * x

        def M(r):
            work[:] = 0.0
            work[contact] = r
            return K.inverse(work)[contact]

        x = np.zeros(contact.sum()) if guess is None else (guess[contact] - c_eq)
        r = rhs - A(x)
        z = M(r)
        p = z.copy()
        rz = r @ z
        norm0 = np.linalg.norm(rhs) or 1.0
        for _ in range(4 * n):
            if np.linalg.norm(r) <= tolerance * norm0:
                break
            Ap = A(p)
            alpha = rz / (p @ Ap)
            x += alpha * p
            r -= alpha * Ap
            z = M(r)
            rz_new = r @ z
            p = z + (rz_new / rz) * p
            rz = rz_new
        u[contact] = x
    c = u + c_eq
    flux_up = diffusivity_um2_s * (K @ (u + shift))
    capture = np.where(open_cells, -flux_up, 0.0)
    return VacancyField(c, capture, float(diffusivity_um2_s * ((u + shift).mean()) / depth_um))


@dataclass
class CurrentField:
    current_mA_cm2: np.ndarray       # local current density (0 on void cells)
    overpotential_mV: float          # electrode potential against the electrolyte far away (kinetics + constriction)
    kinetic_mV: float                # the Butler-Volmer part at the mean contact current (no constriction)


def butler_volmer_current(R: PeriodicOperator, resistivity_ohm_um: float, exchange_mA_cm2: float,
                          temperature_K: float, mean_current_mA_cm2: float, open_cells: np.ndarray,
                          iterations: int = 200, constriction: bool = True) -> CurrentField:
    """Galvanostatic current over the contact cells: i(x) = 2 i0 sinh(F (E - phi(x)) / (2RT)),
    phi = rho R i, the contact carrying the section's current; E and i by a damped fixed point on
    phi with E from Newton at each pass (the Wagner number R_ct / (rho l) is ~80 at 10 um, so phi
    is a small correction except under sparse islands).  ``constriction=False``: phi = 0 (the
    electrolyte an equipotential), so i is the contact's mean and E the Butler-Volmer term."""
    n = open_cells.size
    contact = ~open_cells
    thermal_V = butler_volmer_scale_V(temperature_K)
    i = np.zeros(open_cells.shape)
    if mean_current_mA_cm2 == 0:
        return CurrentField(i, 0.0, 0.0)
    if not contact.any():
        return CurrentField(i, math.inf, math.inf)
    total = mean_current_mA_cm2 * n
    mean_contact = total / contact.sum()
    i[contact] = mean_contact
    # the Butler-Volmer term at the contact's mean current (kmc.physics.electrochemistry), in V
    kinetic_mV = float(overpotential_mV(mean_current_mA_cm2, contact.mean(), exchange_mA_cm2, temperature_K))
    if not constriction:
        return CurrentField(i, kinetic_mV, kinetic_mV)
    kinetic = kinetic_mV / units.MV_PER_V
    # mA/cm^2 -> A/um^2; rho in ohm um and lengths in um give volts
    phi_per_current = resistivity_ohm_um * units.A_PER_MA / units.UM2_PER_CM2
    phi = np.zeros(open_cells.shape)
    E = kinetic
    for it in range(iterations):
        phi_target = phi_per_current * (R @ i)
        phi = phi_target if it == 0 else 0.5 * (phi + phi_target)
        pc = phi[contact]
        E = galvanostatic_potential_V(pc, exchange_mA_cm2, thermal_V, total, E)
        i_new = np.zeros(open_cells.shape)
        i_new[contact] = electrochemistry.butler_volmer_current(E - pc, exchange_mA_cm2, thermal_V)
        change = np.abs(i_new - i).max()
        i = i_new
        if change <= 1e-10 * mean_contact:
            break
    return CurrentField(i, units.MV_PER_V * E, kinetic_mV)
