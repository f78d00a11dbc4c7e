"""Vacancy thermodynamics and transport of a BCC metal (docs/physics.md sections 4b and 8).

Units: energies in eV, lengths in whatever unit the caller passes consistently (A in the kMC,
um at the cell's scale), fractions per lattice site."""
from __future__ import annotations

import math

import numpy as np


def equilibrium_fraction(formation_energy_eV, kT_eV: float, formation_entropy_kB: float = 0.0):
    """c_eq = exp(S_f / k_B) exp(-E_f / kT): vacancies per site in equilibrium (an array of E_f gives
    an array).  S_f in units of k_B (0: the 0 K formation energy alone; the parameter sets give it
    as boundary.vacancy_formation_entropy_kB, which kmc.model.vacancy_equilibrium_fraction reads;
    docs/physics.md section 8)."""
    if np.ndim(formation_energy_eV):
        return np.exp(formation_entropy_kB - np.asarray(formation_energy_eV) / kT_eV)
    return math.exp(formation_entropy_kB - formation_energy_eV / kT_eV)


def atomic_volume_bcc(lattice_constant: float) -> float:
    """Omega = a^3 / 2: BCC holds two sites per cubic cell."""
    return lattice_constant ** 3 / 2


def site_area_001(lattice_constant: float) -> float:
    """a^2: the interface area per site of a BCC (001) layer (1/a^2 sites per area, docs/physics.md section 3)."""
    return lattice_constant ** 2


def hop_rate_per_s(attempt_frequency_Hz: float, barrier_eV: float, kT_eV: float) -> float:
    """Gamma = nu exp(-E_a / kT), one hop of an atom into a given neighbouring vacancy."""
    return attempt_frequency_Hz * math.exp(-barrier_eV / kT_eV)


def box_hop_prefactor_Hz(attempt_frequency_Hz: float, formation_entropy_kB: float) -> float:
    """nu exp(S_f / k_B): the prefactor of every hop of the kMC box, which carries the vacancy's
    formation entropy on its hops instead of on its equilibrium fraction (docs/physics.md section 8,
    docs/vacancy_thermodynamics.md section 8).

    The box's configuration energy has no vibrational entropy, so its own equilibrium fraction is
    exp(-E_f/kT) and a void in it is in equilibrium with that.  What the measured tracer D* fixes
    is the product D_v c_eq = a^2 nu exp(S_f/k) exp(-(E_f + E_m)/kT) (the split of the effective
    entropy between formation and migration is not measured).  Putting the factor exp(S_f/k) on
    the hops gives the box that product, hence the cell's S = 1 + J Omega L / (D_v c_eq), the
    measured vacancy flux and attachment rate D_v c_v of a void, and every equilibrium of the box
    unchanged (a common factor on all hops is a change of clock).  Put on the box's c_eq instead,
    each vacancy of a void would carry S_f too (the lattice gas knows no difference): a void of n
    vacancies would gain n S_f k T of free energy that a void, being empty, does not have."""
    return attempt_frequency_Hz * math.exp(formation_entropy_kB)


def vacancy_diffusivity(hop_rate: float, lattice_constant: float) -> float:
    """D_v = Gamma a^2 of an uncorrelated vacancy walk on BCC: 8 first neighbours at a sqrt(3)/2,
    D = (1/6) z Gamma lambda^2 = Gamma a^2 (length^2 per time in the units of a and Gamma)."""
    return hop_rate * lattice_constant ** 2


# The tracer correlation factor of the host by one vacancy on BCC, as the kMC measures it in pure Li
# (docs/validation.md: 0.7267 +- 0.0028; the BCC value 0.7272).
TRACER_CORRELATION_FACTOR_BCC = 0.7267


def tracer_diffusivity(vacancy_diffusivity_: float, vacancy_fraction: float,
                       correlation_factor: float = TRACER_CORRELATION_FACTOR_BCC) -> float:
    """D* = f D_v c_v: the host's tracer self-diffusivity by the monovacancy mechanism (units of D_v)."""
    return correlation_factor * vacancy_diffusivity_ * vacancy_fraction


def supersaturation(source_velocity: float, sink_distance: float, diffusivity: float, c_eq: float) -> float:
    """S = c_v / c_eq = 1 + J Omega L / (D_v c_eq): the interface vacancy fraction that carries a
    vacancy source J Omega (``source_velocity``: volume per area per time, e.g. the stripped
    metal's recession) by quasi-static diffusion to sinks at distance L that hold c_eq."""
    return 1.0 + source_velocity * sink_distance / (diffusivity * c_eq)


def sink_distance_for(supersaturation_: float, source_velocity: float, diffusivity: float, c_eq: float) -> float:
    """The inverse of ``supersaturation``: the sink distance L at which the source J Omega holds
    the interface at S, L = (S - 1) D_v c_eq / (J Omega)."""
    return (supersaturation_ - 1.0) * diffusivity * c_eq / source_velocity


def interface_fraction(source_velocity: float, area: float, diffusivity: float, c_eq: float,
                       sink_conductance: float, sink_supersaturation: float, void_conductance: float) -> float:
    """Quasi-static vacancy fraction c of an interface of ``area`` that receives J Omega per area
    and loses vacancies to the sinks (conductance G_s = area / L, holding S_sink c_eq) and to voids
    (conductance G_v, their surfaces holding c_eq): J Omega area / D = G_s (c - S_sink c_eq) +
    G_v (c - c_eq).  With G_v = 0 and S_sink = 1 it is ``supersaturation`` times c_eq."""
    return ((source_velocity * area / diffusivity + c_eq * (sink_supersaturation * sink_conductance + void_conductance))
            / (sink_conductance + void_conductance))


def exit_rate_per_s(diffusivity: float, layer_spacing: float, sink_distance: float, acceleration: float = 1.0) -> float:
    """Rate at which one vacancy of the bottom layer leaves for sinks at L below it: the linear
    quasi-static profile carries J = D_v (c_b - c_inf) / (Omega L), i.e. D_v / (d L) per bottom
    vacancy (d the layer spacing; the hop out of the layer, z Gamma = D_v / d^2, times the
    gambler's-ruin probability d / L of reaching the sinks first: the same number, exact for
    L >= d), times the acceleration that every macroscopic flux carries (kmc.model)."""
    return acceleration * diffusivity / (layer_spacing * sink_distance)


# Capture conductance per unit base radius of a void on the reflecting electrolyte plane (times
# D (c - c_eq), the void's volume intake per unit time; quasi-static diffusion, the void's wall at
# c_eq): a hemispherical cap 2 pi (half of a sphere's 4 pi r), a thin disc 4 (half of Weber's disc, 8 r).
CAP_CAPTURE_PER_RADIUS = 2 * math.pi
DISC_CAPTURE_PER_RADIUS = 4.0


def cap_capture_rate(diffusivity: float, base_radius, vacancy_fraction, c_eq: float):
    """2 pi D r (c - c_eq): the volume per unit time a cap of base radius r takes from vacancies at
    fraction c around it (in D's units times r's)."""
    return CAP_CAPTURE_PER_RADIUS * diffusivity * base_radius * (vacancy_fraction - c_eq)


# --------------------------------------------------- the contact as a vacancy sink (docs/mechanics.md §10.2)
# The metal | electrolyte contact annihilates vacancies where the interface can absorb lattice sites: by
# climb of its misfit dislocations and by its ledges (docs/physics.md §11).  With a rate constant kappa
# (length per time) the annihilation flux is kappa c_eq (S - 1) / Omega per area, so the contact recedes
# (the metal above follows) at kappa c_eq (S - 1): a perfect sink has kappa ~ D_v / a, no sink kappa = 0.


def contact_annihilation_velocity(sink_rate: float, c_eq: float, supersaturation_):
    """kappa c_eq (S - 1): the volume per area per time a contact of rate constant kappa annihilates at a
    local supersaturation S (a number or an array; in kappa's units), 0 at S = 1 and negative below (the
    contact emits vacancies into undersaturated metal)."""
    return sink_rate * c_eq * (np.asarray(supersaturation_, float) - 1.0)


def supersaturation_with_contact_sink(source_velocity: float, sink_distance: float, diffusivity: float, c_eq: float,
                                      contact_sink_rate: float, sink_supersaturation: float = 1.0) -> float:
    """The uniform S of a contact that receives J Omega per area (``source_velocity``) and loses it to
    annihilation at the contact itself (kappa c_eq (S - 1)) and by quasi-static diffusion to sinks at L
    holding S_sink c_eq (D_v c_eq (S - S_sink) / L): J Omega = kappa c_eq (S - 1) + D_v c_eq (S - S_sink) / L.
    kappa = 0 and S_sink = 1 give ``supersaturation``."""
    drain = contact_sink_rate * c_eq + diffusivity * c_eq / sink_distance
    return (source_velocity + contact_sink_rate * c_eq + diffusivity * c_eq * sink_supersaturation / sink_distance) / drain


def perfect_sink_rate(diffusivity: float, lattice_constant: float) -> float:
    """D_v / a: the rate constant of a sink that takes every vacancy reaching the layer next to it (the
    upper end of any interface's kappa)."""
    return diffusivity / lattice_constant


def sink_efficiency(sink_rate: float, diffusivity: float, lattice_constant: float) -> float:
    """kappa / (D_v / a): how efficient a sink of rate constant kappa is against a perfect one."""
    return sink_rate / perfect_sink_rate(diffusivity, lattice_constant)


def climb_sink_rate(diffusivity: float, line_spacing: float, core_radius: float) -> float:
    """kappa of an interface whose vacancy sinks are parallel dislocation lines (or ledges) ``line_spacing``
    apart in it, each climbing freely (jogs everywhere): a line sink on the reflecting plane of a
    half-space takes pi D_v (c - c_eq) per length over the logarithm of the spacing to its core, so
    kappa = pi D_v / (l ln(l / r_c)) (to a factor of order one; sparse jogs make it smaller).  l in the
    units of D_v's length; the contact's physical bracket (docs/mechanics.md section 10)."""
    return math.pi * diffusivity / (line_spacing * math.log(line_spacing / core_radius))


def contact_capture_length(diffusivity: float, sink_rate: float) -> float:
    """D_v / kappa: the distance over which a void's wall (a perfect sink) competes with a contact of
    rate constant kappa for the vacancies stripping makes (inf without a contact sink)."""
    return diffusivity / sink_rate if sink_rate > 0 else math.inf
