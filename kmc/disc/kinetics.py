"""How the voids take vacancies and lose them to creep, at fields held over a step: the quasi-static
fields the present voids make (``Fields``: contact, the interface's vacancy supersaturation, the
capture and creep closure every void sees) and the exact or sub-stepped evolution of each void's
radius and height under them."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from kmc.cell.inputs import CellInputs, mullins_coefficient_um4_s
from kmc.physics import creep, vacancy

# Capture conductance per unit base radius of a void (kmc.physics.vacancy): a cap, or a kinetic void
# taken as a thin disc
CAPTURE_PER_RADIUS = {"cap": vacancy.CAP_CAPTURE_PER_RADIUS, "kinetic": vacancy.DISC_CAPTURE_PER_RADIUS}
# A flat void is a half-spheroid of base radius r and height h: V = (2/3) pi r^2 h.
FLAT_VOLUME = 2 * math.pi / 3
# A void whose base radius falls below 1 nm (a few atoms) is gone: it is no longer a void.
VANISHED_RADIUS_um = 1e-3
# Per-void accuracy of the kinetic-void integrator (numerics, shown converged in docs/meso.md,
# "Speed"): the relative lag of a void taken as its equilibrium cap, and the fraction of its growth
# or creep time that one resolved sub-step spans.
VOID_TOLERANCE = 0.01


@dataclass(frozen=True)
class Fields:
    """The quasi-static fields of the present voids, held over a step."""
    contact: float                  # interface area no void covers
    supersaturation: float          # interface vacancy fraction / c_eq
    capture_um2_s: float            # D_v (c - c_eq): a void's volume intake per unit of its capture length
    closure_per_s: float            # kappa eps_dot(P / contact): creep closure
    captured_fraction: float        # share of the stripped vacancies the voids take (the rest: the sinks)


def contact_fraction(inp: CellInputs, radius_um: np.ndarray) -> float:
    return max(0.0, 1.0 - float(np.sum(math.pi * radius_um ** 2)) / inp.area_um2)


def void_volume_um3(inp: CellInputs, radius_um, height_um):
    if inp.void_shape == "cap":
        return inp.shape.volume_per_radius3 * radius_um ** 3
    return FLAT_VOLUME * radius_um ** 2 * height_um


def contact_conductance_um(inp: CellInputs, contact: float) -> float:
    """The contact as a vacancy sink (kappa (c - c_eq) per area, kmc.physics.vacancy.contact_annihilation_velocity)
    in the units of the slab's and the voids' conductances: kappa A contact / D_v."""
    return inp.contact_sink_rate_um_s * inp.area_um2 * contact / inp.vacancy_diffusivity_um2_s


def interface_vacancy_fraction(inp: CellInputs, radius_sum_um: float, contact: float = 1.0) -> float:
    """Quasi-static vacancy fraction c at the interface (kmc.physics.vacancy.interface_fraction): the
    stripped volume v0 A per second leaves through the slab to the sinks (conductance A / L) and
    into the voids (K sum r, K = CAPTURE_PER_RADIUS; each void's surface holds c_eq: the
    Gibbs-Thomson excess 2 gamma Omega / (r kT) = 4.4 nm / r changes the capture D (c - c_eq
    e^(4.4 nm / r)) of a 100 nm void by < 1 % at the runs' S >= 8, of the ~20 nm voids creep holds at
    5 MPa (S ~ 30) by ~1 %, and new voids start above the critical size); the contact (a fraction
    ``contact`` of the area) annihilates kappa (c - c_eq), a conductance beside the voids' (both hold c_eq)."""
    return vacancy.interface_fraction(inp.strip_velocity_um_s, inp.area_um2, inp.vacancy_diffusivity_um2_s,
                                      inp.vacancy_equilibrium_fraction, inp.area_um2 / inp.sink_distance_um,
                                      inp.sink_supersaturation, CAPTURE_PER_RADIUS[inp.void_shape] * radius_sum_um
                                      + contact_conductance_um(inp, contact))


def closure_per_s(inp: CellInputs, contact: float) -> float:
    """kappa eps_dot(P / contact): the creep closure rate at the stress the contact carries
    (kmc.physics.creep)."""
    return inp.closure_coefficient * inp.creep_law.strain_rate_per_s(
        creep.contact_stress_MPa(inp.pressure_MPa, contact), inp.temperature_K)


def fields(inp: CellInputs, radius_um: np.ndarray) -> Fields:
    """The quasi-static fields of voids of these base radii."""
    contact = contact_fraction(inp, radius_um)
    c_v = interface_vacancy_fraction(inp, float(radius_um.sum()), contact)
    slab = inp.area_um2 / inp.sink_distance_um
    voids = CAPTURE_PER_RADIUS[inp.void_shape] * float(radius_um.sum())
    drains = slab + voids + contact_conductance_um(inp, contact)
    return Fields(contact=contact, supersaturation=c_v / inp.vacancy_equilibrium_fraction,
                  capture_um2_s=inp.vacancy_diffusivity_um2_s * (c_v - inp.vacancy_equilibrium_fraction),
                  closure_per_s=closure_per_s(inp, contact), captured_fraction=voids / drains)


def balance_radius_um(inp: CellInputs, now: Fields) -> float:
    """The base radius at which a small void's capture balances its creep closure, the radius every
    small void tends to at the present fields: capture / closure in r^2 for a cap (grow_and_close),
    2 capture / (pi closure) for a kinetic void below the cap bound (_slaved_cap); inf without creep."""
    if now.closure_per_s <= 0:
        return math.inf
    per_closure = now.capture_um2_s / now.closure_per_s
    return math.sqrt(per_closure if inp.void_shape == "cap" else 2 * per_closure / math.pi)


def grow_and_close(radius_um: np.ndarray, dt_s: float, capture_um2_s: float, closure_per_s: float,
                   volume_per_radius3: float) -> np.ndarray:
    """Radii after dt under dV/dt = 2 pi capture r - 2 pi closure r^3 with V = k_V r^3, capture =
    D (c - c_eq) (um^2/s) and closure = kappa eps_dot (1/s) held for the step.  In u = r^2 the
    equation is linear, du/dt = (4 pi / 3 k_V)(capture - closure u), so the step is exact: u relaxes
    to u* = capture / closure at the rate 4 pi closure / (3 k_V) (grows linearly without creep).
    Every void tends to the one radius sqrt(u*): larger ones shrink, smaller ones grow."""
    u0 = radius_um ** 2
    g = 4 * math.pi / (3 * volume_per_radius3)
    if closure_per_s * dt_s * g < 1e-12:
        u = u0 + g * capture_um2_s * dt_s
    else:
        u_star = capture_um2_s / closure_per_s
        u = u_star + (u0 - u_star) * math.exp(-g * closure_per_s * dt_s)
    return np.sqrt(np.maximum(u, 0.0))


@njit(cache=True)
def _cap_radius_bound_sq(capture, aspect, mullins, tol):
    """u_b = r_b^2 below which a void is its equilibrium cap (h = aspect r) to within tol in r.
    Creep shrinks a half-spheroid self-similarly, so only rim growth pulls a void off the cap: the
    rim runs out at 3 capture / (pi h), the cap's radius at 2 capture / (pi h), and surface
    diffusion takes the excess back in tau = r^4 / B, so r lags the cap by tau capture / (pi h),
    a fraction tau capture / (pi aspect r^2) of r.  That is <= tol for r^2 <= tol pi aspect B / capture."""
    if mullins == 0.0:
        return 0.0
    if capture <= 0.0:
        return np.inf
    return tol * math.pi * aspect * mullins / capture


@njit(cache=True)
def _slaved_cap(u0, rem, capture, closure, aspect, ub):
    """A void that is its equilibrium cap (V = (2/3) pi aspect r^3) taking 4 capture r and losing
    2 pi closure r^3 per second: in u = r^2, du/dt = (4 pi closure / (3 k)) (u* - u), u* = 2 capture /
    (pi closure), k = (2/3) pi aspect, exactly.  Advances for rem or until u reaches ub from below;
    returns (u, time used, whether it stopped at ub).  Written in log1p / expm1: under slow creep
    u* is far above u0 and ub and the relaxation rate is tiny, where log((u* - u0) / (u* - ub))
    rounds to 0 and the void would creep forward by sub-steps (creep law x 1e-4 hung a run)."""
    kv = FLAT_VOLUME * aspect
    if closure > 0.0:
        ustar = 2.0 * capture / (math.pi * closure)
        rate = 4.0 * math.pi * closure / (3.0 * kv)
        if ustar > ub > u0:
            to_bound = math.log1p((ub - u0) / (ustar - ub)) / rate
            if to_bound < rem:
                return ub, to_bound, True
        return u0 + (ustar - u0) * -math.expm1(-rate * rem), rem, False
    slope = 8.0 * capture / (3.0 * kv)
    span = rem if slope * rem <= ub - u0 else (ub - u0) / slope
    return u0 + slope * span, span, span < rem


@njit(cache=True)
def _relax(r, h, span, aspect, mullins):
    """Surface diffusion at fixed volume V = (2/3) pi r^2 h: r relaxes to the cap's
    r_eq = (r^2 h / aspect)^(1/3) as exp(-span / tau(r))."""
    if mullins == 0.0:
        return r, h
    req = (r * r * h / aspect) ** (1.0 / 3.0)
    rn = req + (r - req) * math.exp(-span * mullins / r ** 4)
    return rn, r * r * h / (rn * rn)


@njit(cache=True)
def _rim_growth(r, h, span, capture):
    """Capture landing at the rim of a flat void: dr/dt = 3 capture / (pi h) at fixed h (exact)."""
    return r + 3.0 * capture * span / (math.pi * h), h


@njit(cache=True)
def _creep(r, h, span, closure):
    """Creep shrinks a half-spheroid self-similarly: r, h both decay as exp(-closure (r/h) t), exactly."""
    f = math.exp(-closure * (r / h) * span)
    return r * f, h * f


@njit(cache=True)
def evolve_kinetic_voids(r, h, dt, capture, closure, aspect, mullins, tol, smallest=VANISHED_RADIUS_um):
    """Every kinetic void over dt at fixed capture (um^2/s) and closure (1/s), each with its own
    sub-steps, so a fast void never shortens the global step:

    * dr/dt = 3 capture / (pi h) - closure r^2 / h + (r_eq - r) / tau(r), dV/dt = 4 capture r -
      2 pi closure r^3 (rim growth, self-similar creep, Mullins relaxation at fixed volume);
    * a void small enough for surface diffusion to keep it its equilibrium cap to within tol in r
      (u = r^2 <= ub, _cap_radius_bound_sq) obeys a law linear in u: advanced exactly to the end
      of the step (or to ub);
    * any other void takes Strang sub-steps (relax, grow, creep, grow, relax; each part exact)
      that change r by at most tol of its growth and creep times, so its error per unit time is
      second order in tol.
    Voids below ``smallest`` (um) stop (the caller drops them)."""
    n = r.size
    out_r = r.copy()
    out_h = h.copy()
    ub = _cap_radius_bound_sq(capture, aspect, mullins, tol)
    for i in range(n):
        ri, hi, t = r[i], h[i], 0.0
        resolve_next = False
        while t < dt and ri >= smallest and hi >= smallest:
            rem = dt - t
            req_sq = (ri * ri * hi / aspect) ** (2.0 / 3.0)
            if max(req_sq, ri * ri) <= ub and not resolve_next:
                u, span, at_bound = _slaved_cap(req_sq, rem, capture, closure, aspect, ub)
                ri = math.sqrt(max(u, 0.0))
                hi = aspect * ri
                t += span
                resolve_next = at_bound          # past ub the shape lags: resolve it
                continue
            resolve_next = False
            t_grow = math.pi * hi * ri / (3.0 * capture) if capture > 0.0 else np.inf
            t_creep = hi / (closure * ri) if closure > 0.0 else np.inf
            span = min(rem, tol * min(t_grow, t_creep))
            ri, hi = _relax(ri, hi, 0.5 * span, aspect, mullins)
            ri, hi = _rim_growth(ri, hi, 0.5 * span, capture)
            ri, hi = _creep(ri, hi, span, closure)
            ri, hi = _rim_growth(ri, hi, 0.5 * span, capture)
            ri, hi = _relax(ri, hi, 0.5 * span, aspect, mullins)
            t += span
        out_r[i] = ri
        out_h[i] = hi
    return out_r, out_h


def evolve_voids(inp: CellInputs, r: np.ndarray, h: np.ndarray, now: Fields, dt_s: float, void_tolerance: float,
                 smallest_void_um: float):
    """Radii and heights of voids r, h after dt at the fields ``now``."""
    if inp.void_shape == "cap":
        r = grow_and_close(r, dt_s, now.capture_um2_s, now.closure_per_s, inp.shape.volume_per_radius3)
        return r, r * inp.shape.height_per_radius
    return evolve_kinetic_voids(r, h, dt_s, now.capture_um2_s, now.closure_per_s, inp.shape.height_per_radius,
                                mullins_coefficient_um4_s(inp), void_tolerance, smallest_void_um)
