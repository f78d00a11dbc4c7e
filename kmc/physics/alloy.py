"""What a solute that stripping leaves behind does at the contact (docs/alloy.md; docs/physics.md
sections 4b and 10): the metal's Li activity and exchange current where the solute gathers, the
solute's own profile below a receding contact, and the bound solid-solution strengthening puts on
creep.  Plain numbers (floats or arrays) in the caller's consistent units.

Butler-Volmer with the reactant's activity (Bazant, Acc. Chem. Res. 46, 1144 (2013), eqs. for the
generalised Butler-Volmer law, i0 = k0 a_O^(1 - alpha) a_R^alpha / gamma_TS; the same as the
current-overpotential equation with surface concentrations, Bard & Faulkner, Electrochemical Methods,
2nd ed. (2001), section 3.4): the reduced species R is Li in the metal, O is Li+ in the electrolyte
(its activity fixed).  With alpha = 1/2, eta measured against the electrode as made (the bulk's
composition, where the exchange current is conditions.exchange_current_mA_cm2) and the transition
state occupying one first-layer (L1) site that must hold Li (gamma_TS ~ 1 / (1 - theta), Bazant's
lattice-gas excluded site):

    i = i0 b [r exp(eta / s) - exp(-eta / s)],  s = 2RT/F,
    r = a_Li / a_Li(as made)                    (the Nernst shift: -(kT/e) ln r)
    b = (1 - theta) / (1 - theta(as made))      (the L1 sites that still hold Li)

which is 2 i0 sinh(eta / s) where nothing changed (r = b = 1).  The metal's bulk is an ideal solution in
the energy model (kmc.fit.l1_equilibrium: a host-solute exchange costs the same anywhere in it), and L1
is in segregation equilibrium with the metal below it, so Li's activity is 1 - x_s of that subsurface
and theta is L1's solute fraction in equilibrium with x_s (kmc.fit's L1 lattice gas, tabulated by
kmc.energetics.composition_table).
"""
from __future__ import annotations

import math

import numpy as np

# the Labusch exponent of solid-solution strengthening, delta sigma ~ x^(2/3) (Labusch, Phys. Status
# Solidi 41, 659 (1970)): the steepest of the classical concentration laws (Fleischer's x^(1/2) is less
# steep above the reference x), so it bounds how fast strength rises with a local enrichment
LABUSCH_EXPONENT = 2.0 / 3.0


def li_activity_ratio(subsurface_fraction, bulk_fraction: float):
    """r = (1 - x_s) / (1 - x): Li's activity in an ideal solution of solute fraction x_s against the
    metal as made (x)."""
    return (1.0 - np.asarray(subsurface_fraction, float)) / (1.0 - bulk_fraction)


def l1_site_factor(l1_fraction, l1_fraction_as_made: float):
    """b = (1 - theta) / (1 - theta_0): the L1 sites that hold Li, against the contact as made (a solute
    site of L1 releases no Li: Mg is never stripped)."""
    return (1.0 - np.asarray(l1_fraction, float)) / (1.0 - l1_fraction_as_made)


# |eta| / s beyond which exp overflows a double; a potential that far out means no cell can strip (r = 0 on
# every contact cell: a contact of pure solute)
_EXP_LIMIT = 700.0


def log_activity_ratio(activity_ratio):
    """ln r (-inf where r = 0: no Li left), once per solve (the Newton passes reuse it)."""
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(activity_ratio, float))


def _branches(overpotential_V, scale_V: float, log_activity):
    """(r e^(eta/s), e^(-eta/s)), the first as exp(eta/s + ln r) so that r = 0 (no Li left) strips nothing
    at any eta (``log_activity``: ln r, log_activity_ratio)."""
    u = np.asarray(overpotential_V, float) / scale_V
    u = np.minimum(np.maximum(u, -_EXP_LIMIT), _EXP_LIMIT)        # np.clip's values, without its wrapper
    return np.exp(u + log_activity), np.exp(-u)


def activity_current(overpotential_V, exchange_current, scale_V: float, site_factor, activity_ratio,
                     log_activity=None):
    """i = i0 b [r exp(eta / s) - exp(-eta / s)] (in i0's unit; module docstring).  ``log_activity``: ln r
    if the caller holds it (a fixed point that asks at the same r many times), else taken from r."""
    up, down = _branches(overpotential_V, scale_V, log_activity_ratio(activity_ratio) if log_activity is None
                         else log_activity)
    return exchange_current * site_factor * (up - down)


class PotentialNotConverged(ArithmeticError):
    """galvanostatic_activity_potential_V's Newton used up its passes short of its 1e-13 V step (its message says
    where it stood): never returned as an answer."""


def galvanostatic_activity_potential_V(local_potential_V, exchange_current: float, scale_V: float, site_factor,
                                       activity_ratio, total_current: float, start_V: float,
                                       iterations: int = 60) -> float:
    """The electrode potential E (V) at which contact points at electrolyte potentials phi (arrays,
    with their b and r) carry ``total_current`` together under activity_current: Newton from
    ``start_V`` until a step is below 1e-13 V (the sum rises monotonically with E), PotentialNotConverged if
    ``iterations`` passes do not get there.  No cell with Li (r = 0 on every one: a contact of pure solute) carries
    no current at any E: math.inf."""
    if not (np.asarray(activity_ratio, float) > 0).any() and total_current > 0:
        return math.inf
    E = start_V
    log_activity = log_activity_ratio(activity_ratio)
    weight = exchange_current * site_factor
    for _ in range(iterations):
        up, down = _branches(E - local_potential_V, scale_V, log_activity)
        f = (weight * (up - down)).sum() - total_current
        df = (weight * (up + down)).sum() / scale_V
        # Newton, at most 2 s per pass (the sum is convex in E above its root, so a step from below can
        # overshoot by far where one cell's r is tiny; a bounded step only takes more passes)
        step = max(-2 * scale_V, min(2 * scale_V, f / df))
        E -= step
        if abs(step) < 1e-13:
            return E
    raise PotentialNotConverged(
        f"the electrode potential's Newton (kmc.physics.alloy.galvanostatic_activity_potential_V) still stepped "
        f"{abs(step):.3g} V after {iterations} passes at E = {E:.6g} V on {np.size(local_potential_V)} contact "
        f"cells; it needs a step below 1e-13 V")


def profile_depth_rate(depth, diffusivity, recession_velocity):
    """d delta / dt = D / delta - v: the depth of an exponential solute profile below a surface
    receding at v (the integral method on the diffusion equation; steady at delta = D / v,
    kmc.physics.solute.enrichment_depth, and spreading as sqrt(2 D t) where nothing recedes)."""
    return diffusivity / depth - recession_velocity


def excess_to_subsurface(excess, depth, bulk_fraction: float):
    """x_s = x + M / delta: the solute fraction just below the surface of an exponential excess
    profile holding M (solute fraction x length) over the depth delta, at most 1."""
    return np.minimum(bulk_fraction + excess / depth, 1.0)      # floats or arrays (and compiled: kmc.resolved.solute)


def solid_solution_creep_factor(subsurface_fraction, bulk_fraction: float, stress_exponent: float):
    """The creep rate at the local composition over the bulk alloy's, if all of the alloy's flow stress
    were solid-solution strengthening (sigma_0 ~ x^(2/3), LABUSCH_EXPONENT): (x / x_s)^(2n/3), the
    bound on how much a local enrichment can slow creep at a given stress (Norton: eps ~ (sigma /
    sigma_0)^n)."""
    ratio = bulk_fraction / np.maximum(np.asarray(subsurface_fraction, float), 1e-12)
    return ratio ** (LABUSCH_EXPONENT * stress_exponent)


def lateral_stable_step(cell: float, diffusivity_max: float, dimensions: int = 1) -> float:
    """The explicit step of lateral diffusion on cells of this size: h^2 / (2.5 d D) on a grid of d
    dimensions (below the stability limit h^2 / (2 d D) of the (2d + 1)-point Laplacian)."""
    return cell * cell / (2.5 * dimensions * max(diffusivity_max, 1e-300)) if diffusivity_max > 0 else math.inf


def climb_rate_factor(solute_fraction, host_diffusivity: float, solute_diffusivity: float):
    """eps_alloy / eps_host of climb-controlled power-law creep at the same stress (Sherby & Burke, Prog.
    Mater. Sci. 13, 323 (1968): eps ~ D at a given sigma / G): the binary's effective diffusivity
    D_h D_s / ((1 - x) D_s + x D_h) over the host's (Herring, J. Appl. Phys. 21, 437 (1950): the slower species
    limits climb), with both D's at the composition's vacancy fraction (the model's dilute forms: the flow
    law's solute_rate_rows, kmc.physics.flow)."""
    x = np.asarray(solute_fraction, float)
    out = solute_diffusivity / ((1.0 - x) * solute_diffusivity + x * host_diffusivity)
    return float(out) if out.ndim == 0 else out
