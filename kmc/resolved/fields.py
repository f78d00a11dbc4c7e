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
import scipy.fft
from numba import njit

from kmc import units
from kmc.jit import line_or_plane
from kmc.physics.electrochemistry import butler_volmer_scale_V, galvanostatic_currents, overpotential_mV


class FieldNotConverged(ArithmeticError):
    """A field's iterative solve used up its iterations short of its tolerance: what it solved, how far it got and
    what it needed.  Never returned as an answer: the shipped runs need a few of the iterations allowed
    (VACANCY_ITERATIONS' comment), so running out means a state the solvers were not built for."""


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
        self._shifted = None               # (shift, eigenvalues of (operator + shift)^-1) last asked for

    def __matmul__(self, v: np.ndarray) -> np.ndarray:
        return self._apply(v, self.eigenvalues)

    @staticmethod
    def _apply(v: np.ndarray, eigenvalues: np.ndarray) -> np.ndarray:
        if v.ndim == 1:
            return np.fft.irfft(np.fft.rfft(v) * eigenvalues, n=v.size)
        # rfft2's transforms one axis at a time, in place where they can be (scipy.fft): a quarter less
        # CPU than numpy.fft's rfft2/irfft2 on 160 x 640 cells and 640 x 2560, the same to rounding
        spectrum = scipy.fft.fft(scipy.fft.rfft(v, axis=1), axis=0, overwrite_x=True)
        spectrum *= eigenvalues
        return scipy.fft.irfft(scipy.fft.ifft(spectrum, axis=0, overwrite_x=True), n=v.shape[1], axis=1,
                               overwrite_x=True)

    def inverse(self, v: np.ndarray) -> np.ndarray:
        return self._apply(v, self._inverse_eigenvalues)

    def shifted_inverse(self, v: np.ndarray, shift: float) -> np.ndarray:
        """(operator + shift)^-1 v (shift >= 0; 0 where the operator's eigenvalue and the shift are)."""
        if shift == 0:
            return self.inverse(v)
        if self._shifted is None or self._shifted[0] != shift:
            total = self.eigenvalues + shift
            with np.errstate(divide="ignore"):
                self._shifted = (shift, np.where(total != 0, 1.0 / total, 0.0))
        return self._apply(v, self._shifted[1])

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


# The vacancy solve stops once its residual is below this share of its right-hand side's norm.  The error it leaves,
# against solves to 1e-15: on Li's pressed 160 x 40 um face over its first 40 steps (the hardest solves) <= 5e-6 of
# the largest c - c_eq and <= 1e-6 of the largest void's capture; on Li-Mg's section from 2 to 2.6 mAh/cm^2, cell by
# cell and void by void against their own, <= 2.7e-6 and <= 1.7e-6.  What reads the field resolves far less: the
# nucleation table reproduces I(S) to 1e-3 and rises at most 22 decades a decade of S (both metals' measured rows),
# so I moves by <= 1e-4; a step moves a gap by up to a quarter of itself.  (1e-11 until 2026-11-28: twice the
# iterations early in a run; the runs' answers against it, over 9-60 faces: docs/area.md section 6.)
VACANCY_TOLERANCE = 1e-6
# The most iterations of the vacancy solve before FieldNotConverged: the shipped runs need at most 16 (Li and Li-Mg
# at their defaults, Li on 40 x 10 um at 0.2 MPa and on 160 x 40 um at 1.5 MPa, to 4 mAh/cm^2; the nuclei's own
# solves from 0, at most 6; the current's fixed point, at most 4 of its 200 passes), so 1000 is ~60x that; a solve
# that fails says so in seconds on 1e5 cells, where the cap of before (4 N iterations, four times the N exact
# arithmetic needs) took ~20 min.
VACANCY_ITERATIONS = 1000


@dataclass
class VacancyField:
    concentration: np.ndarray        # site fraction at every interface cell (c_eq on void cells)
    capture_um_s: np.ndarray         # volume per area per second flowing into each void cell (0 on contact)
    to_sinks_um_s: float             # mean volume flux per area through the slab to the sinks


def vacancy_field(K: PeriodicOperator, diffusivity_um2_s: float, c_eq: float, sink_supersaturation: float,
                  open_cells: np.ndarray, injected_um_s: np.ndarray, subgrid_conductance_per_um: np.ndarray,
                  depth_um: float, guess: np.ndarray | None = None,
                  tolerance: float = VACANCY_TOLERANCE, iterations: int = VACANCY_ITERATIONS) -> VacancyField:
    """The mixed problem of the module docstring.  ``injected_um_s``: vacancy volume flux stripping
    puts into the metal at each contact cell; ``subgrid_conductance_per_um``: sub-grid nuclei in a
    contact cell take g (c - c_eq) D of volume per area per second (a Robin condition).

    Unknown: u = c - c_eq on the contact cells (0 on void cells); (K_CC + g) u = j/D - K_C (c_eq -
    S_sink c_eq) 1, solved by conjugate gradients with the FFT-applied K and, as preconditioner,
    (K + g + a)^-1 restricted to the contact, at the contact's mean g and the voids' absorption a (exact
    with no voids and a uniform g, as the contact's own vacancy sink is), from ``guess`` (the last step's
    concentration), until the residual is ``tolerance`` of the right-hand side's norm (VACANCY_TOLERANCE: 6-8
    iterations a step on average in the default runs, at most 16 on the pressed 160 x 40 um face), in at most
    ``iterations`` (VACANCY_ITERATIONS; FieldNotConverged past them).  K u on every cell is carried along the
    iterations (the void cells' capture is read from it: one application of K fewer)."""
    open_cells = np.ascontiguousarray(open_cells, dtype=np.bool_)
    contact = ~open_cells
    shift = c_eq - sink_supersaturation * c_eq            # c_eq relative to the sinks' value
    # K applied to the uniform shift: its k = 0 eigenvalue, 1 / depth
    k_shift = shift / depth_um
    u = np.zeros(open_cells.shape)
    Ku = np.zeros(open_cells.shape)                       # K u on every cell, kept along the iterations
    if contact.any():
        # the iterates live on every cell, 0 on the void cells (a product by the contact's mask where the
        # restriction to the contact was a gather and a scatter)
        on, g, rhs = np.empty(open_cells.shape), np.empty(open_cells.shape), np.empty(open_cells.shape)
        _contact_terms(contact, np.ascontiguousarray(subgrid_conductance_per_um, dtype=float),
                       np.ascontiguousarray(injected_um_s, dtype=float), diffusivity_um2_s, k_shift, on, g, rhs)
        if guess is not None:
            _masked_difference(on, np.ascontiguousarray(guess, dtype=float), c_eq, u)
            Ku = K @ u
        # the preconditioner: (K + g + a)^-1 restricted to the contact, g at its mean over the contact (the
        # contact's own sink is a uniform g; exact with no voids and a uniform g) and a the voids' absorption
        # as a uniform sink (what the guess's void cells capture per unit of its contact's mean u + shift):
        # many small voids damp the long waves that K^-1 alone amplifies (the pressed 160 x 40 um face, 18 %
        # open in its pores: 87 applications of K or K^-1 to 1e-11 without a, ~45 with it)
        absorption = 0.0
        if guess is not None and open_cells.any():
            held = float(np.sum(u[contact] + shift))
            if held > 0:
                absorption = max(0.0, -float(np.sum((Ku + k_shift)[open_cells])) / held)
        preconditioner_shift = float(g[contact].mean()) + absorption

        def M(r):
            return on * K.shifted_inverse(r, preconditioner_shift)

        r = np.empty(open_cells.shape)
        _residual(rhs, on, Ku, g, u, r)
        norm0 = np.linalg.norm(rhs) or 1.0
        if np.linalg.norm(r) > tolerance * norm0:
            z = M(r)
            p = z.copy()
            rz = np.vdot(r, z)
            Ap = np.empty(open_cells.shape)
            for _ in range(iterations):
                Kp = K @ p
                _masked_product(on, Kp, g, p, Ap)
                alpha = rz / np.vdot(p, Ap)
                _cg_update(alpha, p, Kp, Ap, u, Ku, r)
                if np.linalg.norm(r) <= tolerance * norm0:
                    break          # converged: the next direction is not needed
                z = M(r)
                rz_new = np.vdot(r, z)
                _cg_direction(z, rz_new / rz, p)
                rz = rz_new
            else:
                raise FieldNotConverged(
                    f"the vacancy field's conjugate gradients (kmc.resolved.fields.vacancy_field) left a residual of "
                    f"{np.linalg.norm(r) / norm0:.3g} of the right-hand side after {iterations} iterations on "
                    f"{int(contact.sum())} contact cells; it needs {tolerance:g}")
    c, capture = np.empty(open_cells.shape), np.empty(open_cells.shape)
    _concentration_and_capture(u, c_eq, Ku, k_shift, diffusivity_um2_s, open_cells, c, capture)
    return VacancyField(c, capture, float(diffusivity_um2_s * ((u + shift).mean()) / depth_um))


# The vacancy solve's elementwise passes (vacancy_field: its set-up, the conjugate gradients' iterations and its
# read-out), each fused into one compiled loop: the same products and sums as numpy's, in the same order (no fused
# multiply-add: numba's default), so the same bits, without numpy's temporaries (a third of the solve's time besides
# the FFTs on 160 x 640 cells).
@njit(line_or_plane("void(b1[], f8[], f8[], f8, f8, f8[], f8[], f8[])"), cache=True)
def _contact_terms(contact, subgrid, injected, diffusivity, k_shift, on, g, rhs):
    """on = contact as 1.0 / 0.0, g = where(contact, subgrid, 0), rhs = on * (injected / diffusivity - k_shift)."""
    c, sg, inj, o, gg, b = contact.ravel(), subgrid.ravel(), injected.ravel(), on.ravel(), g.ravel(), rhs.ravel()
    for i in range(o.size):
        o[i] = 1.0 if c[i] else 0.0
        gg[i] = sg[i] if c[i] else 0.0
        b[i] = o[i] * (inj[i] / diffusivity - k_shift)


@njit(line_or_plane("void(f8[], f8[], f8, f8[])"), cache=True)
def _masked_difference(on, guess, c_eq, out):
    """out = on * (guess - c_eq)."""
    o, gs, a = on.ravel(), guess.ravel(), out.ravel()
    for i in range(a.size):
        a[i] = o[i] * (gs[i] - c_eq)


@njit(line_or_plane("void(f8[], f8[], f8[], f8[], f8[], f8[])"), cache=True)
def _residual(rhs, on, Ku, g, u, out):
    """out = rhs - (on * Ku + g * u)."""
    b, o, k, gg, uu, a = rhs.ravel(), on.ravel(), Ku.ravel(), g.ravel(), u.ravel(), out.ravel()
    for i in range(a.size):
        a[i] = b[i] - (o[i] * k[i] + gg[i] * uu[i])


@njit(line_or_plane("void(f8[], f8, f8[], f8, f8, b1[], f8[], f8[])"), cache=True)
def _concentration_and_capture(u, c_eq, Ku, k_shift, diffusivity, open_cells, c, capture):
    """c = u + c_eq; capture = where(open_cells, -(diffusivity * (Ku + k_shift)), 0)."""
    uu, k, o, cc, cap = u.ravel(), Ku.ravel(), open_cells.ravel(), c.ravel(), capture.ravel()
    for i in range(uu.size):
        cc[i] = uu[i] + c_eq
        cap[i] = -(diffusivity * (k[i] + k_shift)) if o[i] else 0.0


@njit(line_or_plane("void(f8[], f8[], f8[], f8[], f8[])"), cache=True)
def _masked_product(on, Kp, g, p, out):
    """out = on * Kp + g * p."""
    o, k, gg, pp, a = on.ravel(), Kp.ravel(), g.ravel(), p.ravel(), out.ravel()
    for i in range(a.size):
        a[i] = o[i] * k[i] + gg[i] * pp[i]


@njit(line_or_plane("void(f8, f8[], f8[], f8[], f8[], f8[], f8[])"), cache=True)
def _cg_update(alpha, p, Kp, Ap, u, Ku, r):
    """u += alpha p, Ku += alpha Kp, r -= alpha Ap."""
    pp, k, a, uu, ku, rr = p.ravel(), Kp.ravel(), Ap.ravel(), u.ravel(), Ku.ravel(), r.ravel()
    for i in range(uu.size):
        uu[i] += alpha * pp[i]
        ku[i] += alpha * k[i]
        rr[i] -= alpha * a[i]


@njit(line_or_plane("void(f8[], f8, f8[])"), cache=True)
def _cg_direction(z, beta, p):
    """p = z + beta p."""
    zz, pp = z.ravel(), p.ravel()
    for i in range(pp.size):
        pp[i] = zz[i] + beta * pp[i]


@dataclass
class CurrentField:
    current_mA_cm2: np.ndarray       # local current density (0 on void cells)
    overpotential_mV: float          # electrode potential against the electrolyte far away (kinetics + constriction)
    kinetic_mV: float                # the Butler-Volmer part at the mean contact current (no constriction)
    potential_V: np.ndarray | None = None   # the electrolyte's potential rho R i at every cell (the next solve's start)


# The current's fixed point stops once no contact cell's current changes by more than this share of the
# contact's mean current from one pass to the next.  Anderson's passes converge faster than linearly, so the last
# change overstates the error: against passes to 1e-13, <= 5e-9 of the largest current and 2e-9 mV of eta over the
# pressed 160 x 40 um face's first 40 steps, where the stripping resolves a quarter of a gap a step and eta is read
# to 0.1 mV.  (1e-10 until 2026-11-28: a pass or two more a step.)
CURRENT_TOLERANCE = 1e-6
# Anderson mixing of the current's fixed point: the passes it remembers
ANDERSON_DEPTH = 5


def constricted_current(R: PeriodicOperator, phi_per_current: float, open_cells: np.ndarray, mean_contact: float,
                        kinetics, guess: np.ndarray | None = None, iterations: int = 200):
    """The galvanostatic current over the contact cells with the electrolyte's constriction: the fixed point
    phi = rho R i(phi) on the contact cells, ``kinetics(phi on the contact)`` -> (E in V, i per contact
    cell) the contact's law at the electrode potential that carries the total current.  Each pass applies
    R once; the passes are mixed by Anderson's method (the last ANDERSON_DEPTH of them) and restarted at
    half a step where a pass moves phi more than the one before (the map contracts as 1 / the Wagner
    number R_ct / (rho l), ~80 at 10 um, except under sparse islands, where plain passes must be damped).
    It starts from ``guess`` (a previous solve's potential on every cell: the last step's) or from the
    contact's mean current ``mean_contact``, and stops when no cell's current changes by
    CURRENT_TOLERANCE of the mean (FieldNotConverged if ``iterations`` passes do not get there).  Returns (E, i on
    every cell, phi on every cell)."""
    # the contact cells by their flat indices (in the mask's order): a gather and a scatter each pass, where a
    # boolean mask over every cell was one
    contact = np.flatnonzero(~open_cells)
    i = np.zeros(open_cells.shape)
    flat_i = i.reshape(-1)
    if guess is not None and np.shape(guess) == open_cells.shape:
        x = np.asarray(guess, float).reshape(-1)[contact]
    else:
        flat_i[contact] = mean_contact
        x = (phi_per_current * (R @ i)).reshape(-1)[contact]
    E, ic = kinetics(x)
    phi = np.zeros(open_cells.shape)
    xs, fs = [], []                       # Anderson's history: the passes' phi and residuals
    last_norm = change = math.inf
    for _ in range(iterations):
        flat_i[contact] = ic
        phi = phi_per_current * (R @ i)
        f = phi.reshape(-1)[contact] - x   # the pass's residual
        norm = float(np.linalg.norm(f))
        if norm > last_norm:               # a pass that diverges: forget the history, half a step
            xs, fs = [], []
            x_next = x + 0.5 * f
        else:
            xs.append(x)
            fs.append(f)
            del xs[:-ANDERSON_DEPTH - 1], fs[:-ANDERSON_DEPTH - 1]
            x_next = x + f
            if len(fs) > 1:
                dF = np.stack([b - a for a, b in zip(fs, fs[1:])], axis=1)
                dX = np.stack([b - a for a, b in zip(xs, xs[1:])], axis=1)
                gamma = np.linalg.lstsq(dF, f, rcond=None)[0]
                x_next = x_next - (dX + dF) @ gamma
        last_norm = norm
        x = x_next
        E, ic_new = kinetics(x)
        change = float(np.abs(ic_new - ic).max())
        ic = ic_new
        if change <= CURRENT_TOLERANCE * mean_contact:
            break
    else:
        raise FieldNotConverged(
            f"the current's fixed point (kmc.resolved.fields.constricted_current) still moved a contact cell's current "
            f"by {change / mean_contact:.3g} of the mean after {iterations} passes on {contact.size} contact cells; it "
            f"needs {CURRENT_TOLERANCE:g}")
    flat_i[contact] = ic
    phi.reshape(-1)[contact] = x            # the field everywhere (a cell that closes next starts from it)
    return E, i, phi


def butler_volmer_current(R: PeriodicOperator, resistivity_ohm_um: float, exchange_mA_cm2: float,
                          temperature_K: float, mean_current_mA_cm2: float, open_cells: np.ndarray,
                          iterations: int = 200, constriction: bool = True,
                          guess: np.ndarray | None = None) -> CurrentField:
    """Galvanostatic current over the contact cells: i(x) = 2 i0 sinh(F (E - phi(x)) / (2RT)),
    phi = rho R i, the contact carrying the section's current: ``constricted_current`` with E and i in
    closed form (kmc.physics.electrochemistry.galvanostatic_currents), from ``guess`` (a previous solve's
    ``potential_V``).
    ``constriction=False``: phi = 0 (the electrolyte an equipotential), so i is the contact's mean and E
    the Butler-Volmer term."""
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
    # mA/cm^2 -> A/um^2; rho in ohm um and lengths in um give volts
    phi_per_current = resistivity_ohm_um * units.A_PER_MA / units.UM2_PER_CM2
    E, i, phi = constricted_current(R, phi_per_current, open_cells, mean_contact,
                                    lambda p: galvanostatic_currents(p, exchange_mA_cm2, thermal_V, total),
                                    guess, iterations)
    return CurrentField(i, units.MV_PER_V * E, kinetic_mV, phi)
