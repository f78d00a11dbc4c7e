"""The interface at the cell's scale (issue 41): voids over a periodic square of interface tens to
hundreds of micrometres wide, stripped to mAh/cm^2, fed by the kMC's rules and numbers.

State: interface voids as objects on the flat electrolyte (centre x, y, base radius r and height h
in um): equilibrium caps (h and volume from the wetting angle, ``CapShape``) or kinetic voids
(half-spheroids growing at the rim and relaxing toward the cap by surface diffusion).  The
contact is what no void covers (coalescence keeps footprints apart).  Per step (docs/meso.md):

* stripping: the galvanostatic current, focused on the contact (kmc.physics.electrochemistry's rule),
  strips v0 = i Omega / e of metal per unit of interface area and leaves that volume as vacancies;
* quasi-static vacancy transport (diffusion over L = 100 um takes L^2/D_v ~ 0.07 s, stripping
  hours): the interface's vacancy fraction c settles where the vacancies made are carried off,
  to the sinks at electrode.sink_distance_um (slab conductance D_v A / L) and into the voids
  (a cap of base radius r on the reflecting electrolyte plane captures 2 pi D_v r (c - c_eq) of
  volume per second, the hemisphere's half of a sphere's 4 pi D r: exact at 90 degrees);
* creep closure: each void loses kappa eps_dot(P / contact) w * footprint of volume per second
  (w = 2 r; kmc.model.creep_strain_rate_per_s and creep.closure_coefficient, the kMC's rule);
* nucleation at the kMC's measured I(S) per um^2 per s (classical, heterogeneous at the void's cap
  angle, for a file without measured rows), plus pre-existing void seeds if a density is given
  (none shipped: no source); coalescence when footprints touch (volume conserved);
* the interface's energetics from the energy model (interface_energetics): L1's equilibrium solute,
  the void's wetting angle and surface energy at that L1.

Each void evolves at the fields (stress, vacancy fraction) held over a global step with its own
sub-steps (``evolve_kinetic_voids``: exact for a void small enough to be its equilibrium cap,
Strang sub-steps of exact parts otherwise), and a step is accepted only if what the voids did
moved the fields within ``Tolerances`` (checked after the step), so voids at their balance of
capture and creep never shorten it.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from kmc import units
from kmc.config import Settings
from kmc.model import cell_transport
from kmc.physics import creep, nucleation, solute, surface, vacancy
from kmc.physics.electrochemistry import overpotential_mV
from kmc.physics.nucleation import VoidCap

# A void whose base radius falls below 1 nm (a few atoms) is gone: it is no longer a void.
VANISHED_RADIUS_um = 1e-3


class MesoInputError(ValueError):
    """Settings that `kmc meso` cannot use; the message says what is wrong and what is allowed."""


@dataclass(frozen=True)
class MesoInputs:
    """Every number of a meso run, in um, s, mA/cm^2, MPa (``meso_inputs`` says where each comes from)."""
    width_um: float
    current_mA_cm2: float
    pressure_MPa: float
    temperature_K: float
    exchange_current_mA_cm2: float
    strip_velocity_um_s: float            # v0 = i Omega / e at full contact
    vacancy_diffusivity_um2_s: float      # D_v of the kMC model (kmc.model.vacancy_diffusivity_A2_s)
    vacancy_equilibrium_fraction: float   # c_eq = exp(-E_f / kT)
    sink_supersaturation: float           # the sinks hold this x c_eq (boundary.supersaturation)
    sink_distance_um: float
    closure_coefficient: float            # kappa: a void's creep closure velocity kappa eps_dot w
    shape: VoidCap
    void_shape: str                       # "cap" (surface diffusion infinitely fast) or "kinetic"
    surface_diffusivity_um2_s: float      # D_s, which relaxes a kinetic void toward the cap (Mullins)
    surface_energy_eV_A2: float           # gamma of the metal (the kMC energy's (001) surface)
    atomic_volume_A3: float
    kT_eV: float
    defect_density_per_um2: float
    defect_radius_um: float
    nucleation_prefactor_per_um2_s: float
    solute_fraction: float
    solute_diffusivity_per_vacancy_um2_s: float
    # (subsurface x, L1 solute fraction) rows: L1 in segregation equilibrium with the metal below it
    # (kmc.fit.l1_equilibrium), x rising; () without a solute
    interface_solute_curve: tuple
    min_void_width_um: float
    section_lines: int
    max_step_mAh_cm2: float
    output_every_mAh_cm2: float
    stop_stripped_mAh_cm2: float
    stop_contact_fraction: float
    seed: int
    creep_law: creep.NortonLaw
    # I(S) measured by the kMC ((S, I per um^2 per s) rows, S rising), used instead of the classical
    # rate when given (nucleation_rate_per_um2_s); no [meso] key carries it yet (docs/meso.md)
    measured_nucleation: tuple = ()

    @property
    def area_um2(self) -> float:
        return self.width_um ** 2


def meso_inputs(settings: Settings) -> MesoInputs:
    """The inputs of a meso run from the same settings as a kMC run: its [meso] table plus the
    kMC's own rules for what they share (vacancy diffusivity, creep law, closure) and the energy
    model's interface (interface_energetics: the wetting angle, surface energy and L1 solute)."""
    try:
        meso = settings.meso
    except AttributeError:
        raise MesoInputError(f"{settings.source}: no [meso] table; allowed: a parameter file with one, "
                             "e.g. params/li_li2s.toml") from None
    if settings.energy.form != "second_moment":
        raise MesoInputError(f"energy.form = {settings.energy.form!r}: the meso model takes the void surface "
                             "energy from the second-moment form; allowed: a second_moment parameter set "
                             "(params/li_li2s.toml, params/limg_li2s.toml)")
    cell = cell_transport(settings)
    cond = settings.conditions
    iface = interface_energetics(settings)
    return MesoInputs(
        width_um=meso.width_um, current_mA_cm2=cond.current_density_mA_cm2, pressure_MPa=cond.stack_pressure_MPa,
        temperature_K=cond.temperature_K, exchange_current_mA_cm2=cond.exchange_current_mA_cm2,
        strip_velocity_um_s=cell.recession_velocity_um_s,
        vacancy_diffusivity_um2_s=cell.vacancy_diffusivity_um2_s,
        vacancy_equilibrium_fraction=cell.vacancy_equilibrium_fraction,
        sink_supersaturation=cell.sink_supersaturation, sink_distance_um=cell.sink_distance_um,
        closure_coefficient=settings.creep.closure_coefficient, creep_law=creep.NortonLaw.of(settings.creep),
        shape=VoidCap.of_wetting_angle(iface["theta_deg"]), void_shape=meso.void_shape,
        surface_diffusivity_um2_s=meso.surface_diffusivity_cm2_s * units.UM2_PER_CM2,
        surface_energy_eV_A2=iface["gamma_J_m2"] / units.J_PER_M2_PER_EV_PER_A2,
        atomic_volume_A3=cell.atomic_volume_A3, kT_eV=cell.kT_eV,
        defect_density_per_um2=meso.defect_density_per_um2, defect_radius_um=meso.defect_radius_um,
        nucleation_prefactor_per_um2_s=meso.nucleation_prefactor_per_um2_s,
        measured_nucleation=tuple(zip(map(float, meso.nucleation_rate_S), map(float, meso.nucleation_rate_per_um2_s))),
        solute_fraction=cell.solute_fraction,
        solute_diffusivity_per_vacancy_um2_s=cell.solute_diffusivity_per_vacancy_um2_s,
        interface_solute_curve=iface["solute_curve"],
        min_void_width_um=meso.min_void_width_um, section_lines=meso.section_lines,
        max_step_mAh_cm2=meso.max_step_mAh_cm2, output_every_mAh_cm2=meso.output_every_mAh_cm2,
        stop_stripped_mAh_cm2=meso.stop_stripped_mAh_cm2, stop_contact_fraction=meso.stop_contact_fraction,
        seed=settings.run.seed)


# The interface's energetics depend on the energy parameters, the lattice, the composition and the
# temperature only; a process computes them once per such set (a Li-Mg set takes ~1.5 s).
_ENERGETICS_CACHE: dict = {}
# Subsurface solute fractions at which the L1 equilibrium is tabulated: the bulk's x doubled up to the
# schema's highest solute fraction (0.7); L1 = 1 at x = 1 (no host left to segregate against)
_CURVE_TOP = 0.7
# Metropolis sweeps per point of that table (equilibration, sampling): the L1 fraction's standard
# error is ~1e-3 (kmc.fit's own 400 + 1600 give 2e-4 at 0.593 in 0.7 s per point)
_CURVE_SWEEPS = (100, 400)


def interface_energetics(settings: Settings) -> dict:
    """What the interface's composition does to the voids, from the energy model: L1 in segregation
    equilibrium with the bulk (kmc.fit.l1_equilibrium, semi-grand-canonical against the bulk's x at
    the run's temperature; Li-Mg: 0.593 Mg per L1 site) and the work of adhesion, surface energy
    and wetting angle averaged over its equilibrium arrangements (kmc.fit.equilibrium_alloy_interface;
    Li: W_ad 0.39 J/m^2, gamma 0.416 J/m^2, 93.6 deg, the DFT rows the model is fitted to; Li-Mg
    at its L1: 0.698, 0.458, 58.4 deg, where seed 004's DFT gives 87.1 deg at a composition it does
    not state).  The void walls are taken to carry the same surface arrangement as L1 (gamma of a
    free surface whose top layer holds it).  ``solute_curve``: (x, L1) rows of the L1 equilibrium
    against a subsurface enriched to x, for the interface_solute_fraction observable."""
    from kmc import fit
    key = tuple((k, repr(v)) for section in (settings.energy, settings.lattice, settings.species)
                for k, v in section.items()) + (settings.composition.solute_fraction, settings.conditions.temperature_K)
    if key not in _ENERGETICS_CACHE:
        out = fit.interface_energetics(settings)
        x = settings.composition.solute_fraction
        curve = ()
        if x > 0:
            xs = [x]
            while 2 * xs[-1] < _CURVE_TOP:
                xs.append(2 * xs[-1])
            xs.append(_CURVE_TOP)
            l1 = [fit.l1_equilibrium(settings.with_overrides([f"composition.solute_fraction={xi!r}"]),
                                     sweeps=_CURVE_SWEEPS).fraction for xi in xs]
            curve = tuple(zip(xs + [1.0], l1 + [1.0]))
        out["solute_curve"] = curve
        _ENERGETICS_CACHE[key] = out
    return _ENERGETICS_CACHE[key]


# ----------------------------------------------------------------------------- physics of one step
# Capture conductance per unit base radius of a void on the reflecting electrolyte plane (times
# D (c - c_eq) gives its volume intake): a hemisphere 2 pi (half of a sphere's 4 pi r), a thin
# disc 4 (half of Weber's disc, 8 r).
CAPTURE_PER_RADIUS = {"cap": 2 * math.pi, "kinetic": 4.0}
# A flat void is a half-spheroid of base radius r and height h: V = (2/3) pi r^2 h.
FLAT_VOLUME = 2 * math.pi / 3


def interface_vacancy_fraction(inp: MesoInputs, radius_sum_um: float) -> float:
    """Quasi-static vacancy fraction c at the interface (kmc.physics.vacancy.interface_fraction): the
    stripped volume v0 A per second leaves through the slab to the sinks (conductance A / L) and
    into the voids (K sum r, K = CAPTURE_PER_RADIUS; each void's surface holds c_eq: the
    Gibbs-Thomson excess 2 gamma Omega / (r kT) = 4.4 nm / r changes the capture D (c - c_eq
    e^(4.4 nm / r)) of a 100 nm void by < 1 % at the runs' S >= 8, of the ~20 nm voids creep holds at
    5 MPa (S ~ 30) by ~1 %, and new voids start above the critical size)."""
    return vacancy.interface_fraction(inp.strip_velocity_um_s, inp.area_um2, inp.vacancy_diffusivity_um2_s,
                                      inp.vacancy_equilibrium_fraction, inp.area_um2 / inp.sink_distance_um,
                                      inp.sink_supersaturation, CAPTURE_PER_RADIUS[inp.void_shape] * radius_sum_um)


def nucleation_rate_per_um2_s(inp: MesoInputs, supersaturation: float) -> float:
    """The kMC's measured I(S) if the inputs carry it (kmc.physics.nucleation.measured_rate), else
    classical nucleation of an interface void at the void's cap (kmc.physics.nucleation.classical_rate)."""
    if inp.measured_nucleation:
        return nucleation.measured_rate(inp.measured_nucleation, supersaturation)
    return nucleation.classical_rate(inp.nucleation_prefactor_per_um2_s, inp.surface_energy_eV_A2,
                                     inp.atomic_volume_A3, inp.kT_eV, supersaturation, inp.shape)


def critical_radius_um(inp: MesoInputs, supersaturation: float) -> float:
    """Base radius of the critical cap (kmc.physics.nucleation.critical_radius_A, on the void's cap)."""
    return inp.shape.base_radius(nucleation.critical_radius_A(inp.surface_energy_eV_A2, inp.atomic_volume_A3,
                                                              inp.kT_eV, supersaturation) * units.UM_PER_A)


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


def mullins_coefficient_um4_s(inp: MesoInputs) -> float:
    """B of Mullins' time tau = r^4 / B for surface diffusion to reshape a void of base radius r
    (kmc.physics.surface.mullins_coefficient, in um^4/s); 0 if D_s = 0."""
    return surface.mullins_coefficient(inp.surface_diffusivity_um2_s, inp.surface_energy_eV_A2,
                                       inp.atomic_volume_A3, inp.kT_eV) * units.UM2_PER_A2


# Per-void accuracy of the kinetic-void integrator (numerics, shown converged in docs/meso.md,
# "Speed"): the relative lag of a void taken as its equilibrium cap, and the fraction of its growth
# or creep time that one resolved sub-step spans.
VOID_TOLERANCE = 0.01


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


def void_volume_um3(inp: MesoInputs, radius_um, height_um):
    if inp.void_shape == "cap":
        return inp.shape.volume_per_radius3 * radius_um ** 3
    return FLAT_VOLUME * radius_um ** 2 * height_um


def contact_fraction(inp: MesoInputs, radius_um: np.ndarray) -> float:
    return max(0.0, 1.0 - float(np.sum(math.pi * radius_um ** 2)) / inp.area_um2)


def subsurface_solute_fraction(inp: MesoInputs, stripped_um: float, local_strip_um_s: float,
                               supersaturation: float) -> float:
    """Solute in the metal just below the contact (kmc.physics.solute.subsurface_fraction): the
    stripped depth h leaves x h of it, spread over delta = D_s / v (v the local recession, D_s the
    kMC's vacancy-mechanism diffusivity at the interface's supersaturation)."""
    if inp.solute_fraction == 0 or local_strip_um_s <= 0:
        return inp.solute_fraction
    d_s = solute.diffusivity(inp.solute_diffusivity_per_vacancy_um2_s, supersaturation, inp.vacancy_equilibrium_fraction)
    return solute.subsurface_fraction(inp.solute_fraction, stripped_um, local_strip_um_s, d_s)


def interface_solute_fraction(inp: MesoInputs, subsurface_fraction: float) -> float:
    """Solute in L1: in segregation equilibrium with the subsurface (interface_solute_curve,
    linear between rows; one L1 layer holds a negligible share of the stripped solute)."""
    if not inp.interface_solute_curve:
        return inp.solute_fraction
    return solute.interface_fraction(inp.interface_solute_curve, subsurface_fraction)


# ----------------------------------------------------------------------------- coalescence
@njit(cache=True)
def _touching_pairs(x, y, r, width):
    """Pairs of voids whose footprints overlap (periodic square).  A cell list of side ~2 mean
    radii, no more cells than voids, counting-sorted so that a column of cells is one run of the
    sorted arrays; each pair is found from its larger void (ties: the lower index), which scans
    the cells within twice its radius, so one wide void costs its own area, not every pair's.
    Pairs come in cell order (_merge_components does not depend on their order)."""
    n = x.size
    out_i = np.empty(0, np.int64)
    if n < 2:
        return out_i, out_i
    rmean = 0.0
    for i in range(n):
        rmean += r[i]
    rmean /= n
    ncell = max(1, min(int(math.sqrt(n)) + 1, int(width / (2 * max(rmean, 1e-9)))))
    side = width / ncell
    cell = np.empty(n, np.int64)
    counts = np.zeros(ncell * ncell + 1, np.int64)
    for i in range(n):
        cx = min(int(x[i] / side), ncell - 1)
        cy = min(int(y[i] / side), ncell - 1)
        cell[i] = cx * ncell + cy
        counts[cell[i] + 1] += 1
    start = np.cumsum(counts)
    fill = start[:-1].copy()
    order = np.empty(n, np.int64)
    for i in range(n):            # counting sort by cell: O(n)
        order[fill[cell[i]]] = i
        fill[cell[i]] += 1
    xs = x[order]
    ys = y[order]
    rs = r[order]
    cap = 64
    pi_ = np.empty(cap, np.int64)
    pj_ = np.empty(cap, np.int64)
    m = 0
    for p in range(n):
        a = order[p]
        ra = rs[p]
        xa = xs[p]
        ya = ys[p]
        ca = cell[a]
        cxa = ca // ncell
        cya = ca - cxa * ncell
        reach = int(2 * ra / side) + 1
        if 2 * reach + 1 >= ncell:
            x0, x1, y0, y1 = 0, ncell - 1, 0, ncell - 1
            wrap = False
        else:
            x0, x1, y0, y1 = cxa - reach, cxa + reach, cya - reach, cya + reach
            wrap = True
        for gx in range(x0, x1 + 1):
            ux = gx
            if wrap:
                if ux < 0:
                    ux += ncell
                elif ux >= ncell:
                    ux -= ncell
            row = ux * ncell
            # the column's cells y0..y1 are contiguous in the sorted order: at most two runs (wrap)
            for run in range(2):
                if run == 0:
                    lo_c, hi_c = max(y0, 0), min(y1, ncell - 1)
                elif y0 < 0:
                    lo_c, hi_c = y0 + ncell, ncell - 1
                elif y1 >= ncell:
                    lo_c, hi_c = 0, y1 - ncell
                else:
                    break
                for q in range(start[row + lo_c], start[row + hi_c + 1]):
                    rb = rs[q]
                    if rb > ra:
                        continue
                    b = order[q]
                    if b == a or (rb == ra and b < a):
                        continue
                    ddx = abs(xa - xs[q])
                    ddx = min(ddx, width - ddx)
                    ddy = abs(ya - ys[q])
                    ddy = min(ddy, width - ddy)
                    if ddx * ddx + ddy * ddy < (ra + rb) ** 2:
                        if m == cap:
                            cap *= 2
                            pi_ = np.concatenate((pi_, np.empty(cap - m, np.int64)))
                            pj_ = np.concatenate((pj_, np.empty(cap - m, np.int64)))
                        pi_[m] = a
                        pj_[m] = b
                        m += 1
    return pi_[:m], pj_[:m]


@njit(cache=True)
def _merge_components(x, y, r, v, pi_, pj_, width, footprint_power):
    """Union the touching voids; each group becomes one void of the summed volume v whose base
    radius adds as r^p (p = 3 for caps, whose shape fixes r by the volume; p = 2 for kinetic voids,
    whose footprints add), at the volume-weighted centre (minimum image about the largest)."""
    n = x.size
    parent = np.arange(n)
    for k in range(pi_.size):
        a, b = pi_[k], pj_[k]
        while parent[a] != a:
            a = parent[a]
        while parent[b] != b:
            b = parent[b]
        if a != b:   # the root is the group's largest void (ties: lowest index), whatever the pair order
            if r[a] > r[b] or (r[a] == r[b] and a < b):
                parent[b] = a
            else:
                parent[a] = b
    root = np.empty(n, np.int64)
    for i in range(n):
        a = i
        while parent[a] != a:
            a = parent[a]
        root[i] = a
    vol = np.zeros(n)
    rp = np.zeros(n)
    sx = np.zeros(n)
    sy = np.zeros(n)
    for i in range(n):
        g = root[i]
        w = v[i]
        rp[g] += r[i] ** footprint_power
        dx = x[i] - x[g]
        dx -= width * np.round(dx / width)
        dy = y[i] - y[g]
        dy -= width * np.round(dy / width)
        vol[g] += w
        sx[g] += w * dx
        sy[g] += w * dy
    keep = np.flatnonzero(root == np.arange(n))
    nx = (x[keep] + sx[keep] / vol[keep]) % width
    ny = (y[keep] + sy[keep] / vol[keep]) % width
    return nx, ny, rp[keep] ** (1.0 / footprint_power), vol[keep]


def coalesce(x, y, r, v, width, footprint_power=3.0):
    """Merge touching voids until no footprints overlap; returns x, y, r, volumes and the merges."""
    merges = 0
    while True:
        pi_, pj_ = _touching_pairs(x, y, r, width)
        if pi_.size == 0:
            return x, y, r, v, merges
        n_before = x.size
        x, y, r, v = _merge_components(x, y, r, v, pi_, pj_, width, footprint_power)
        merges += n_before - x.size


def coalesce_state(inp: MesoInputs, x, y, r, h):
    """coalesce for either void shape; returns x, y, r, h and the merges."""
    flat = inp.void_shape == "kinetic"
    x, y, r, v, merges = coalesce(x, y, r, void_volume_um3(inp, r, h), inp.width_um, 2.0 if flat else 3.0)
    h = v / (FLAT_VOLUME * r ** 2) if flat else r * inp.shape.height_per_radius
    return x, y, r, h, merges


# ----------------------------------------------------------------------------- what SEM sees
def section_statistics(inp: MesoInputs, x, y, r, h=None) -> dict:
    """Voids cut by ``section_lines`` evenly spaced lines y = const (cross-sections like the
    seed's), counting chords at least min_void_width_um wide: voids per um of section, chord
    widths and heights (um) at the chord's middle."""
    lines = (np.arange(inp.section_lines) + 0.5) * inp.width_um / inp.section_lines
    d = np.abs(y[None, :] - lines[:, None])
    d = np.minimum(d, inp.width_um - d)
    cut = d < r[None, :]
    rr = np.broadcast_to(r[None, :], d.shape)[cut]
    dd = d[cut]
    width = 2 * np.sqrt(rr ** 2 - dd ** 2)
    if inp.void_shape == "cap" or h is None:
        height = inp.shape.height_at(rr, dd)
    else:   # half-spheroid profile
        height = np.broadcast_to(h[None, :], d.shape)[cut] * np.sqrt(1 - (dd / rr) ** 2)
    seen = width >= inp.min_void_width_um
    width, height = width[seen], height[seen]
    stats = {"section_voids_per_um": width.size / (inp.section_lines * inp.width_um)}
    for name, values in (("void_width", width), ("void_height", height)):
        if values.size:
            q = np.percentile(values, [0, 25, 50, 75, 100])
        else:
            q = np.full(5, np.nan)
        for label, v in zip(("min", "q1", "median", "q3", "max"), q):
            stats[f"{name}_{label}"] = float(v)
    return stats


# ----------------------------------------------------------------------------- the run
# name -> (unit, description) of what a meso run records, per sample (the kMC's names where they mean the same)
OBSERVABLES = {
    "stripped_charge": ("mAh/cm^2", "charge stripped per interface area"),
    "physical_time": ("s", "cell time of the stripped charge at the set current"),
    "contact_fraction": ("1", "interface area no void covers"),
    "overpotential": ("mV", "Butler-Volmer overpotential of the current focused on the contact "
                            "(kmc.physics.electrochemistry.overpotential_mV)"),
    "supersaturation": ("1", "interface vacancy fraction / c_eq (quasi-static balance)"),
    "captured_fraction": ("1", "share of the stripped vacancies that the voids capture (the rest reach the sinks)"),
    "void_count": ("1", "interface voids in the square"),
    "void_volume_per_area": ("um", "void volume / interface area"),
    "section_voids_per_um": ("1/um", "voids per um of section (chords >= meso.min_void_width_um)"),
    **{f"void_{q}_{s}": ("um", f"{s} of the section's void {q}s") for q in ("width", "height")
       for s in ("min", "q1", "median", "q3", "max")},
    "subsurface_solute_fraction": ("1", "solute fraction of the metal just below the contact (rejected-solute "
                                        "profile)"),
    "interface_solute_fraction": ("1", "solute fraction of L1, in segregation equilibrium with the subsurface "
                                       "(kmc.fit.l1_equilibrium)"),
    "coalescences": ("1", "voids merged away so far (defect seeds a growing void swallows included)"),
    "nucleated": ("1", "voids nucleated so far at I(S)"),
    "collapsed": ("1", "voids at least meso.min_void_width_um wide closed by creep so far"),
}


@dataclass
class MesoState:
    x: np.ndarray
    y: np.ndarray
    r: np.ndarray           # base radius (um)
    h: np.ndarray           # height (um): r tan(alpha/2) for caps, its own for kinetic voids
    defect_x: np.ndarray = field(default_factory=lambda: np.empty(0))   # the defect sites (um)
    defect_y: np.ndarray = field(default_factory=lambda: np.empty(0))
    charge_mAh_cm2: float = 0.0
    time_s: float = 0.0
    steps: int = 0
    coalescences: int = 0
    nucleated: int = 0
    collapsed: int = 0


@dataclass
class MesoResult:
    series: dict            # name -> np.ndarray over samples
    stop_reason: str
    steps: int
    wall_time_s: float
    final: MesoState


def initial_state(inp: MesoInputs, rng: np.random.Generator) -> MesoState:
    """The pre-existing defects: a Poisson number of sites at uniform random places, each holding
    a void seed (a cap of the given radius); seeds that overlap merge at once (not counted as
    coalescences).  The sites persist (pits and pores of the electrolyte's surface stay where
    they are as the metal recedes): a site that no void covers holds a seed again (reseed)."""
    n = rng.poisson(inp.defect_density_per_um2 * inp.area_um2)
    dx, dy = rng.uniform(0, inp.width_um, n), rng.uniform(0, inp.width_um, n)
    r = np.full(n, inp.defect_radius_um)
    x, y, r, h, _ = coalesce_state(inp, dx, dy, r, r * inp.shape.height_per_radius)
    return MesoState(x, y, r, h, dx, dy)


def balance_radius_um(inp: MesoInputs, now: dict) -> float:
    """The base radius at which a small void's capture balances its creep closure, the radius every
    small void tends to at the present fields: capture / closure in r^2 for a cap (grow_and_close),
    2 capture / (pi closure) for a kinetic void below the cap bound (_slaved_cap); inf without creep."""
    if now["closure"] <= 0:
        return math.inf
    per_closure = now["capture"] / now["closure"]
    return math.sqrt(per_closure if inp.void_shape == "cap" else 2 * per_closure / math.pi)


def reseed(inp: MesoInputs, x, y, r, h, defect_x, defect_y, seed_radius_um: float,
           smallest_void_um: float = VANISHED_RADIUS_um):
    """A seed of ``seed_radius_um`` on every defect site where it fits without touching a void
    (found as the touching pairs of the voids and the sites taken as voids of the seed's radius);
    none if the seed radius is below twice ``smallest_void_um`` (creep fills the site faster than
    capture opens it).  A site within a seed radius of a void's rim is that void's edge: seeding
    it would merge at once and add a seed's footprint to the void every step, a growth set by the
    step count and not by any rate."""
    if defect_x.size == 0 or seed_radius_um < 2 * smallest_void_um:
        return x, y, r, h
    n = x.size
    pi_, pj_ = _touching_pairs(np.concatenate((x, defect_x)), np.concatenate((y, defect_y)),
                               np.concatenate((r, np.full(defect_x.size, seed_radius_um))), inp.width_um)
    covered = np.zeros(defect_x.size, bool)
    covered[pj_[(pi_ < n) & (pj_ >= n)] - n] = True
    covered[pi_[(pj_ < n) & (pi_ >= n)] - n] = True
    free = ~covered
    if not free.any():
        return x, y, r, h
    r0 = np.full(int(free.sum()), seed_radius_um)
    return (np.concatenate((x, defect_x[free])), np.concatenate((y, defect_y[free])), np.concatenate((r, r0)),
            np.concatenate((h, r0 * inp.shape.height_per_radius)))


def closure_per_s(inp: MesoInputs, contact: float) -> float:
    """kappa eps_dot(P / contact): the creep closure rate at the stress the contact carries
    (kmc.physics.creep)."""
    return inp.closure_coefficient * creep.strain_rate_per_s(
        inp.creep_law, creep.contact_stress_MPa(inp.pressure_MPa, contact), inp.temperature_K)


def rates_now(inp: MesoInputs, st: MesoState) -> dict:
    """The quasi-static fields of the present voids: contact, vacancy fraction, capture and closure."""
    contact = contact_fraction(inp, st.r)
    c_v = interface_vacancy_fraction(inp, float(st.r.sum()))
    slab = inp.area_um2 / inp.sink_distance_um
    voids = CAPTURE_PER_RADIUS[inp.void_shape] * float(st.r.sum())
    return {"contact": contact, "supersaturation": c_v / inp.vacancy_equilibrium_fraction,
            "capture": inp.vacancy_diffusivity_um2_s * (c_v - inp.vacancy_equilibrium_fraction),
            "closure": closure_per_s(inp, contact),
            "captured_fraction": voids / (slab + voids)}


@dataclass(frozen=True)
class Tolerances:
    """Numerics of a run (docs/meso.md, "Numerics", shows the results converged in them).  ``void``: the
    per-void accuracy of evolve_kinetic_voids.  A global step holds the fields every void sees (the
    stress P / contact and the vacancy fraction, set by sum r) and is accepted only if, after it,
    the contact has moved by at most ``contact`` and sum r by at most ``radius_sum`` of itself;
    ``smallest_void_um``: the smallest void the model follows."""
    void: float = VOID_TOLERANCE
    contact: float = 0.003
    radius_sum: float = 0.02
    # the continuum's resolution: a void whose base radius or height falls below it is gone, and
    # nuclei and defect seeds start at twice it at least (docs/meso.md, numerics: results do not
    # depend on it within 0.5 - 2 nm)
    smallest_void_um: float = VANISHED_RADIUS_um


def evolve_voids(inp: MesoInputs, st: MesoState, now: dict, dt_s: float, tol: Tolerances):
    """Radii and heights of the present voids after dt at the present fields."""
    if inp.void_shape == "cap":
        r = grow_and_close(st.r, dt_s, now["capture"], now["closure"], inp.shape.volume_per_radius3)
        return r, r * inp.shape.height_per_radius
    return evolve_kinetic_voids(st.r, st.h, dt_s, now["capture"], now["closure"], inp.shape.height_per_radius,
                                mullins_coefficient_um4_s(inp), tol.void, tol.smallest_void_um)


def step_voids(inp: MesoInputs, st: MesoState, now: dict, dt_try_s: float, tol: Tolerances):
    """The longest step up to dt_try whose outcome moves the fields within ``tol`` (checked after
    the step, from what the voids actually did, not from their rates: a void at its balance of
    capture and creep costs nothing).  Returns dt, r, h."""
    r_sum = float(st.r.sum())
    floor = 1e-9 * dt_try_s
    dt = dt_try_s
    while True:
        r, h = evolve_voids(inp, st, now, dt, tol)
        d_contact = abs(contact_fraction(inp, r) - now["contact"])
        d_rsum = abs(float(r.sum()) - r_sum)
        scale = 1.0
        if d_contact > tol.contact:
            scale = tol.contact / d_contact
        if d_rsum > tol.radius_sum * r_sum:
            scale = min(scale, tol.radius_sum * r_sum / d_rsum)
        if scale == 1.0 or dt <= floor:
            return dt, r, h
        dt = max(floor, dt * max(0.1, 0.8 * scale))


def advance(inp: MesoInputs, st: MesoState, now: dict, dt_s: float, r, h, rng: np.random.Generator,
            smallest_void_um: float) -> None:
    """Finish a step whose voids have become r, h: drop the vanished (below ``smallest_void_um``),
    reseed, nucleate, coalesce."""
    alive = (r >= smallest_void_um) & (h >= smallest_void_um)
    # a closed void counts as collapsed if a section could have seen it (at least min width)
    st.collapsed += int(np.count_nonzero(~alive & (2 * st.r >= inp.min_void_width_um)))
    # a fresh seed starts at the defect's size, or at the balance radius if creep holds it smaller:
    # it would shrink there within 3 k_V / (4 pi closure) anyway, and a seed put in larger than
    # its balance only to shrink off its site would be put in again every step (a cycle whose
    # duty, and so whose capture, would depend on the step length)
    seed_r = min(inp.defect_radius_um, balance_radius_um(inp, now))
    x, y, r, h = reseed(inp, st.x[alive], st.y[alive], r[alive], h[alive], st.defect_x, st.defect_y, seed_r,
                        smallest_void_um)
    born = rng.poisson(nucleation_rate_per_um2_s(inp, now["supersaturation"]) * inp.area_um2 * dt_s)
    if born:
        r0 = max(2 * critical_radius_um(inp, now["supersaturation"]), 2 * smallest_void_um)
        x = np.concatenate((x, rng.uniform(0, inp.width_um, born)))
        y = np.concatenate((y, rng.uniform(0, inp.width_um, born)))
        r = np.concatenate((r, np.full(born, r0)))
        h = np.concatenate((h, np.full(born, r0 * inp.shape.height_per_radius)))
        st.nucleated += born
    st.x, st.y, st.r, st.h, merged = coalesce_state(inp, x, y, r, h)
    st.coalescences += merged
    st.time_s += dt_s
    st.charge_mAh_cm2 += inp.current_mA_cm2 * dt_s / 3600.0
    st.steps += 1


def nucleation_step_limit_s(inp: MesoInputs, st: MesoState, now: dict) -> float:
    """At most ~10 % new voids (and 100 at least) per step, so that the new sinks lower S before
    the next step (a burst is self-limiting)."""
    births_per_s = nucleation_rate_per_um2_s(inp, now["supersaturation"]) * inp.area_um2
    return (100 + 0.1 * st.r.size) / births_per_s if births_per_s > 0 else math.inf


def sample(inp: MesoInputs, st: MesoState, now: dict) -> dict:
    contact = now["contact"]
    stripped_um = inp.strip_velocity_um_s * st.time_s
    local_um_s = inp.strip_velocity_um_s / contact if contact > 0 else math.inf
    x_sub = subsurface_solute_fraction(inp, stripped_um, local_um_s, now["supersaturation"])
    out = {"stripped_charge": st.charge_mAh_cm2, "physical_time": st.time_s, "contact_fraction": contact,
           "overpotential": float(overpotential_mV(inp.current_mA_cm2, contact, inp.exchange_current_mA_cm2,
                                                   inp.temperature_K)),
           "supersaturation": now["supersaturation"], "captured_fraction": now["captured_fraction"],
           "void_count": st.r.size,
           "void_volume_per_area": float(np.sum(void_volume_um3(inp, st.r, st.h))) / inp.area_um2,
           **section_statistics(inp, st.x, st.y, st.r, st.h),
           "subsurface_solute_fraction": x_sub,
           "interface_solute_fraction": interface_solute_fraction(inp, x_sub),
           "coalescences": st.coalescences, "nucleated": st.nucleated, "collapsed": st.collapsed}
    return out


def run(inp: MesoInputs, tol: Tolerances = Tolerances()) -> MesoResult:
    """Strip to meso.stop_stripped_mAh_cm2 (or until the contact falls to meso.stop_contact_fraction),
    sampling every meso.output_every_mAh_cm2.  A step tries twice the last one (at most
    meso.max_step_mAh_cm2 and the nucleation limit) and is cut until it meets ``tol``."""
    if inp.current_mA_cm2 <= 0:
        raise MesoInputError("conditions.current_density_mA_cm2 = 0: nothing is stripped; allowed: > 0")
    start = time.perf_counter()
    rng = np.random.default_rng(inp.seed)
    st = initial_state(inp, rng)
    s_per_mAh = 3600.0 / inp.current_mA_cm2
    samples = []
    next_sample = 0.0
    stop_reason = "stripped"
    last_dt = math.inf
    while True:
        now = rates_now(inp, st)
        if st.charge_mAh_cm2 >= next_sample - 1e-12 * inp.stop_stripped_mAh_cm2:
            samples.append(sample(inp, st, now))
            next_sample += inp.output_every_mAh_cm2
        if now["contact"] <= inp.stop_contact_fraction:
            stop_reason = "contact_lost"
            break
        if st.charge_mAh_cm2 >= inp.stop_stripped_mAh_cm2 * (1 - 1e-12):
            break
        target = min(next_sample, inp.stop_stripped_mAh_cm2)
        dt_max = min(inp.max_step_mAh_cm2, target - st.charge_mAh_cm2) * s_per_mAh
        dt_try = min(dt_max, 2 * last_dt, nucleation_step_limit_s(inp, st, now))
        dt, r, h = step_voids(inp, st, now, dt_try, tol)
        advance(inp, st, now, dt, r, h, rng, tol.smallest_void_um)
        if dt < dt_try or dt_try == 2 * last_dt:   # cut by the tolerance, or grown: the next try is 2 dt
            last_dt = dt                            # (a step cut short by a sample time says nothing)
    if samples[-1]["stripped_charge"] != st.charge_mAh_cm2:
        samples.append(sample(inp, st, now))
    series = {name: np.array([s[name] for s in samples], dtype=np.float64) for name in OBSERVABLES}
    return MesoResult(series, stop_reason, st.steps, time.perf_counter() - start, st)


# ----------------------------------------------------------------------------- the run file
def write_run_file(path, settings: Settings, result: MesoResult) -> None:
    """An HDF5 file in the kMC's layout where the two share it: /observables/<name>/{step, time,
    value} (step = the sample's step count), /parameters (config_toml and every resolved key as an
    attribute, kind = 'meso'), /run (stop reason, steps, wall time), and /voids (the last state).
    Written to X.partial and renamed when complete, so nothing half-written is left."""
    import os
    from pathlib import Path

    import h5py

    from kmc import __version__
    from kmc.io import _attr_value
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    n = result.series["stripped_charge"].size
    with h5py.File(tmp, "w") as f:
        par = f.create_group("parameters")
        par.create_dataset("config_toml", data=settings.to_toml())
        for key, value in settings.flat().items():
            par.attrs[key] = _attr_value(value)
        par.attrs.update({"code_version": __version__, "seed": settings.run.seed, "source": settings.source,
                          "kind": "meso"})
        obs = f.create_group("observables")
        steps = np.arange(n, dtype=np.int64)
        times = result.series["physical_time"]
        for name, (unit, description) in OBSERVABLES.items():
            g = obs.create_group(name)
            g.create_dataset("step", data=steps)
            g.create_dataset("time", data=times).attrs["unit"] = "s"
            val = g.create_dataset("value", data=result.series[name])
            val.attrs["unit"] = unit
            val.attrs["description"] = description
        # what the energy model gives the voids (interface_energetics; not keys of the file)
        derived = par.create_group("derived")
        iface = interface_energetics(settings)
        derived.attrs.update({"wetting_angle_deg": iface["theta_deg"], "surface_energy_J_m2": iface["gamma_J_m2"],
                              "work_of_adhesion_J_m2": iface["w_ad_J_m2"],
                              "interface_solute_equilibrium": iface["x"]})
        voids = f.create_group("voids")
        for name, data in (("x", result.final.x), ("y", result.final.y), ("base_radius", result.final.r),
                           ("height", result.final.h)):
            voids.create_dataset(name, data=data).attrs["unit"] = "um"
        voids.attrs["shape"] = settings.meso.void_shape
        run_group = f.create_group("run")
        run_group.attrs.update({"stop_reason": result.stop_reason, "steps": result.steps,
                                "wall_time_s": result.wall_time_s,
                                "note": "wall_time_s depends on the machine; everything else is reproducible"})
    os.replace(tmp, path)
