"""Li's flow at every size, rate and temperature: one law (docs/physics.md §7, §9, §11; docs/mechanics.md §10).

A feature of size d (um: a void's width, an island's, a pore's mouth, a pillar's diameter, an indent's
depth) under a uniaxial (von Mises) stress sigma flows by two mechanisms in parallel, either of which
accommodates the strain, so the faster decides:

    eps(sigma) = eps_disl(sigma / (g f_x)) + eps_diff(sigma)

* **Dislocation flow**: the bulk power law (kmc.physics.creep.NortonLaw, the [creep] keys: Masias et al.,
  J. Mater. Sci. 54, 2585 (2019) below yield; LePage et al., J. Electrochem. Soc. 166, A89 (2019), whose
  flow stresses at higher rates follow the same n and Q).  Li at room temperature is at 0.66 of its
  melting point: its "yield" (0.73-0.81 MPa, Masias) is the law's flow stress at the test rate, and
  Li does not strain-harden (Darnbrough & Armstrong, Batteries 10, 20 (2024): no stress rise in
  compression below 6.4e-5 /s; above it the rise is the contact area's), so the plastic branch above
  yield is the same law, continued (``FlowLaw.yield_stress_MPa`` marks where it starts).  Its stress is
  raised by the size factor g of the feature's kind (``EMBEDDED``, ``FREE_STANDING``):

  - embedded in metal (a void's roof, an island of contact, metal pressed into a pore, in a foil of ~100 um
    grains; an indent): the larger of two measured size effects, g = max(sqrt(1 + l*/d), H_on(d) / (3
    sigma_bulk(rate_onset))).  Where the feature holds dislocations, the strain gradient (Nix & Gao, J.
    Mech. Phys. Solids 46, 411 (1998)), l* from the nanoindentation depth dependence; where it is smaller
    than the metal's dislocation spacing, dislocation flow must first start, at the onset hardness
    H_on(d) = C d^-m that Herbert et al., J. Mater. Res. 33, 1361 (2018) measured on attached Li films (H
    h^1.17 = 1.545 N/m^0.83, the mean pressure ~3 sigma), which falls to the bulk's at d ~ 2-3 um, the
    dislocation spacing of their films.  Without the onset (``onset = None``) the metal has sources at
    every size (the band's soft end);
  - free-standing single crystals whose surfaces let dislocations escape (micropillars, whiskers, plated
    filaments): dislocation starvation, g = max(the embedded g, sigma_pillar(d, T) / sigma_bulk(rate_pillar))
    with Xu et al.'s pillar law (kmc.physics.strength.SizeStrength, PNAS 114, 57 (2017));

  and by the solid solution's factor f_x = 1 + k x^(2/3) at the local solute fraction x (Labusch, Phys.
  Status Solidi 41, 659 (1970); k from the alloy's measured flow stress, 0 for pure Li).  The strength
  factors scale the law's reference stress, so each keeps the law's exponent n at every rate.  A solute
  may also change the branch's rate at a given stress (``solute_rate_rows``: e.g. climb through the
  alloy's effective diffusivity), a factor on eps_disl.

* **Diffusional flow** (Nabarro-Herring): vacancies made at the feature's free surfaces (perfect
  sources) travel a distance ~d to its sinks and annihilate there,

      eps_diff = (Omega sigma / kT) c_eq / (d^2 / (A D_v) + d / kappa),

  bulk diffusion (A D_v c_eq / d^2, A between Herring's 13.3 and Frost & Ashby's 42) in series with the
  sink's interface reaction (kappa c_eq / d, kappa the sink's rate constant: the annihilation flux is
  kappa c_eq (S - 1) / Omega, kmc.physics.vacancy.contact_annihilation_velocity): the
  interface-reaction-controlled diffusional creep of Arzt, Ashby & Verrall, Acta Metall. 31, 1977
  (1983) (without their threshold, which needs pinned boundary dislocations no source gives here).
  kappa = inf: sinks as good as a free surface (an indent's, a pillar's: Nabarro-Herring itself);
  kappa = the contact's rate constant for every feature at the metal | electrolyte contact, whose
  compressed face is the contact; kappa = 0: no sink within the feature, no diffusional flow.  D_v
  and c_eq are the model's own cell transport (kmc.model.cell_transport) at the temperature, linear in
  Omega sigma / kT (0.26 at 50 MPa).

So the contact's one rate constant decides both how much of the stripped volume the voids take and how
readily small features flow by diffusion.  Units: um, s, MPa, K; rate constants in um/s.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from kmc import units
from kmc.physics.creep import NortonLaw
from kmc.physics.strength import SizeStrength

EMBEDDED, FREE_STANDING = "embedded", "free_standing"
FEATURE_KINDS = (EMBEDDED, FREE_STANDING)
# The mean pressure under an indenter or a contact patch over the flow stress of a creeping or plastic
# solid (indentation constraint; Roy, Fleck & Deshpande, Extreme Mech. Lett. 46, 101307 (2021): "T_n
# cannot exceed approximately 3 sigma_0"; Tabor's hardness ~ 3 Y)
CONSTRAINT_FACTOR = 3.0
# Herring (J. Appl. Phys. 21, 437 (1950)): 40/3 for a spherical grain; Frost & Ashby, Deformation-Mechanism
# Maps (1982): 42: the band of Nabarro-Herring's geometric factor A
HERRING_GEOMETRY_FACTOR = 40.0 / 3.0
FROST_ASHBY_GEOMETRY_FACTOR = 42.0
# The mechanisms a map shades (``FlowLaw.dominant``), in this order
MECHANISMS = ("dislocation creep", "plasticity above yield", "source-limited dislocation flow",
              "diffusional (lattice diffusion)", "diffusional (interface reaction)")


def stress_coefficient_per_MPa(atomic_volume_A3: float, kT_eV: float) -> float:
    """Omega / kT per MPa: the chemical potential a stress of 1 MPa puts on an atom, in units of kT."""
    return atomic_volume_A3 * 1e-30 * 1e6 / (kT_eV * units.ELEMENTARY_CHARGE_C)


def strain_gradient_factor(size_um, length_um: float):
    """g = sqrt(1 + l*/d): the flow-stress factor of a feature of size d with the intrinsic length l*
    (Nix & Gao 1998); 1 at l* = 0 or d = inf."""
    return np.sqrt(1.0 + length_um / np.asarray(size_um, float))


def strain_gradient_length_from_hardness(mean_pressure_MPa: float, bulk_flow_stress_MPa: float, size_um: float) -> float:
    """The l* that reads a measured indentation mean pressure H at an indent of size d as the strain-gradient
    hardness 3 sigma_bulk sqrt(1 + l*/d), sigma_bulk the bulk law's flow stress at the indentation's rate:
    l* = d ((H / 3 sigma_bulk)^2 - 1) (an order-of-magnitude check on l*, [flow]'s comment)."""
    return size_um * ((mean_pressure_MPa / (CONSTRAINT_FACTOR * bulk_flow_stress_MPa)) ** 2 - 1.0)


def solid_solution_factor(solute_fraction, coefficient: float):
    """f_x = 1 + k x^(2/3): the flow stress of a solid solution of solute fraction x over the host's
    (Labusch 1970's concentration dependence; k from the alloy's measured flow stress at its x)."""
    return 1.0 + coefficient * np.asarray(solute_fraction, float) ** (2.0 / 3.0)


def diffusional_strain_rate_per_s(stress_MPa, size_um, vacancy_diffusivity_um2_s: float, equilibrium_fraction: float,
                                  omega_per_MPa: float, geometry_factor: float, sink_rate_um_s: float):
    """eps_diff = (Omega sigma / kT) c_eq / (d^2 / (A D_v) + d / kappa) (the module docstring): 0 at
    kappa = 0 or sigma <= 0, Nabarro-Herring at kappa = inf.  Arrays broadcast."""
    stress = np.maximum(np.asarray(stress_MPa, float), 0.0)
    d = np.asarray(size_um, float)
    if sink_rate_um_s <= 0:
        return np.zeros(np.broadcast(stress, d).shape)
    resistance = d * d / (geometry_factor * vacancy_diffusivity_um2_s)
    if math.isfinite(sink_rate_um_s):
        resistance = resistance + d / sink_rate_um_s
    return omega_per_MPa * stress * equilibrium_fraction / resistance


def interface_reaction_controls(size_um, vacancy_diffusivity_um2_s: float, geometry_factor: float,
                                sink_rate_um_s: float):
    """True where the sink's reaction, not lattice diffusion, limits diffusional flow: d / kappa >
    d^2 / (A D_v), i.e. d < A D_v / kappa."""
    d = np.asarray(size_um, float)
    if sink_rate_um_s <= 0:
        return np.ones(d.shape, bool)
    return d < geometry_factor * vacancy_diffusivity_um2_s / sink_rate_um_s


@dataclass(frozen=True)
class SourceLimitedOnset:
    """The hardness at which dislocation flow starts in attached Li with no dislocation in the stressed
    volume, H_on(d) = hardness_MPa (d / 1 um)^-exponent, measured at ``strain_rate_per_s`` (Herbert et al.,
    J. Mater. Res. 33, 1361 (2018): H h^1.17 = 1.545 N/m^0.83 over their rates 0.195-1.364 /s)."""
    hardness_MPa: float
    exponent: float
    strain_rate_per_s: float

    def hardness(self, size_um):
        return self.hardness_MPa * np.asarray(size_um, float) ** -self.exponent


@dataclass(frozen=True)
class FlowLaw:
    """Li's flow at one temperature (the module docstring): the bulk law referred to that temperature
    (``creep``, NortonLaw.at(T)), the strain-gradient length, the diffusional branch's transport (D_v,
    c_eq and Omega / kT there) and geometric factor, the dislocation onset and the pillars' strength, the
    solid-solution coefficient and the solute fraction the law is evaluated at unless told otherwise."""
    creep: NortonLaw
    temperature_K: float
    yield_stress_MPa: float
    strain_gradient_length_um: float
    vacancy_diffusivity_um2_s: float
    equilibrium_fraction: float
    omega_per_MPa: float
    geometry_factor: float
    pillars: SizeStrength | None = None
    pillar_strain_rate_per_s: float = 1e-3
    onset: SourceLimitedOnset | None = None
    solute_coefficient: float = 0.0
    solute_fraction: float = 0.0
    # (x, eps_alloy(x) / eps_host) rows at the same stress, x rising: the solute's own change of the
    # dislocation branch's rate (e.g. climb through the alloy's effective diffusivity); () for none
    solute_rate_rows: tuple = ()

    def __post_init__(self):
        for name in ("temperature_K", "yield_stress_MPa", "vacancy_diffusivity_um2_s", "equilibrium_fraction",
                     "omega_per_MPa", "geometry_factor", "pillar_strain_rate_per_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FlowLaw.{name} = {getattr(self, name)!r}: must be > 0")
        for name in ("strain_gradient_length_um", "solute_coefficient", "solute_fraction"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"FlowLaw.{name} = {getattr(self, name)!r}: must be >= 0")

    # ---------------------------------------------------------------- the branches
    def _source_limited_factor(self, size_um):
        """H_on(d) / (3 sigma_bulk(rate_onset)): the onset's strength over the bulk law's (0 without one)."""
        if self.onset is None:
            return np.zeros(np.shape(size_um))
        bulk = self.creep.effective_stress_MPa(self.onset.strain_rate_per_s)
        return self.onset.hardness(size_um) / (CONSTRAINT_FACTOR * bulk)

    def size_factor(self, size_um, kind: str = EMBEDDED):
        """g of a feature of this kind and size (the module docstring), >= 1."""
        if kind not in FEATURE_KINDS:
            raise ValueError(f"feature kind {kind!r}; allowed: {', '.join(FEATURE_KINDS)}")
        g = np.maximum(strain_gradient_factor(size_um, self.strain_gradient_length_um),
                       self._source_limited_factor(size_um))
        if kind == FREE_STANDING and self.pillars is not None:
            bulk = self.creep.effective_stress_MPa(self.pillar_strain_rate_per_s)
            g = np.maximum(g, self.pillars.strength_MPa(size_um, self.temperature_K) / bulk)
        return g

    def stress_factor(self, size_um, kind: str = EMBEDDED, solute_fraction=None):
        """g f_x: what the bulk law's reference stress is raised by for this feature."""
        x = self.solute_fraction if solute_fraction is None else solute_fraction
        return self.size_factor(size_um, kind) * solid_solution_factor(x, self.solute_coefficient)

    def solute_rate_factor(self, solute_fraction=None):
        """eps_alloy(x) / eps_host of the dislocation branch at the same stress: the solute_rate_rows
        interpolated log-linearly in x (held beyond their ends), 1 without rows."""
        x = self.solute_fraction if solute_fraction is None else solute_fraction
        if not self.solute_rate_rows:
            return np.ones(np.shape(x)) if np.ndim(x) else 1.0
        xs, factors = np.array(self.solute_rate_rows, float).T
        return np.exp(np.interp(x, xs, np.log(factors)))

    def dislocation_rate_per_s(self, stress_MPa, size_um, kind: str = EMBEDDED, solute_fraction=None):
        """eps_disl(sigma / (g f_x)) of the bulk law, times the solute's rate factor (arrays broadcast)."""
        s = np.asarray(stress_MPa, float) / self.stress_factor(size_um, kind, solute_fraction)
        c = self.creep
        return np.where(s > 0, c.reference_strain_rate_per_s * (np.maximum(s, 0.0) / c.reference_stress_MPa)
                        ** c.stress_exponent, 0.0) * self.solute_rate_factor(solute_fraction)

    def diffusional_rate_per_s(self, stress_MPa, size_um, sink_rate_um_s: float):
        """eps_diff with vacancy sinks of rate constant kappa (um/s) at the feature (inf: free surfaces)."""
        return diffusional_strain_rate_per_s(stress_MPa, size_um, self.vacancy_diffusivity_um2_s,
                                             self.equilibrium_fraction, self.omega_per_MPa, self.geometry_factor,
                                             sink_rate_um_s)

    # ---------------------------------------------------------------- the law
    def strain_rate_per_s(self, stress_MPa, size_um, sink_rate_um_s: float = 0.0, kind: str = EMBEDDED,
                          solute_fraction=None):
        """eps(sigma) of a feature of size d: the two mechanisms in parallel."""
        return (self.dislocation_rate_per_s(stress_MPa, size_um, kind, solute_fraction)
                + self.diffusional_rate_per_s(stress_MPa, size_um, sink_rate_um_s))

    def flow_stress_MPa(self, strain_rate_per_s, size_um, sink_rate_um_s: float = 0.0, kind: str = EMBEDDED,
                        solute_fraction=None):
        """The stress at which the feature flows at this rate (the law's inverse; eps rises monotonically in
        sigma): bisection in ln sigma to 1e-10 of itself.  Arrays broadcast."""
        rate = np.asarray(strain_rate_per_s, float)
        d = np.asarray(size_um, float)
        shape = np.broadcast(rate, d).shape
        rate, d = np.broadcast_to(rate, shape), np.broadcast_to(d, shape)
        # bracket: the dislocation branch alone flows at this rate at an upper bound of the stress
        c = self.creep
        upper = (c.reference_stress_MPa * (np.maximum(rate, 1e-300) / (c.reference_strain_rate_per_s
                 * self.solute_rate_factor(solute_fraction))) ** (1 / c.stress_exponent)
                 * self.stress_factor(d, kind, solute_fraction))
        lo, hi = np.log(upper) - 30.0, np.log(upper)
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            fast = self.strain_rate_per_s(np.exp(mid), d, sink_rate_um_s, kind, solute_fraction) >= rate
            hi, lo = np.where(fast, mid, hi), np.where(fast, lo, mid)
        out = np.where(rate > 0, np.exp(hi), 0.0)
        return out if shape else float(out)

    def strength_over_bulk(self, strain_rate_per_s, size_um, sink_rate_um_s: float = 0.0, kind: str = EMBEDDED):
        """sigma_law / sigma_bulk: the law's flow stress of a feature of this size and kind (with its sinks) over
        the bulk [creep] law's, both at this rate (> 1: the feature flows harder than bulk Li, < 1: diffusion
        softens it).  Arrays broadcast."""
        rate = np.asarray(strain_rate_per_s, float)
        c = self.creep
        bulk = c.reference_stress_MPa * (rate / c.reference_strain_rate_per_s) ** (1.0 / c.stress_exponent)
        return self.flow_stress_MPa(rate, size_um, sink_rate_um_s, kind) / bulk

    def size_table(self, sizes_um: np.ndarray, values: np.ndarray):
        """A positive function of feature size tabulated at log-spaced ``sizes_um``, read back by log-log
        interpolation (the end values beyond them): f(d) for arrays of sizes."""
        log_d, log_v = np.log(np.asarray(sizes_um, float)), np.log(np.asarray(values, float))
        return lambda d: np.exp(np.interp(np.log(np.maximum(np.asarray(d, float), sizes_um[0])), log_d, log_v))

    def dominant(self, stress_MPa, size_um, sink_rate_um_s: float = 0.0, kind: str = EMBEDDED, solute_fraction=None):
        """Index into MECHANISMS of the faster mechanism at each (sigma, d): dislocation flow, source-limited
        where the onset sets g, else creep below yield (sigma / (g f_x) < yield) or plasticity above it; or
        diffusional flow, limited by lattice diffusion or by the sink's reaction."""
        stress = np.asarray(stress_MPa, float)
        d = np.asarray(size_um, float)
        disl = self.dislocation_rate_per_s(stress, d, kind, solute_fraction)
        diff = self.diffusional_rate_per_s(stress, d, sink_rate_um_s)
        plastic = stress / self.stress_factor(d, kind, solute_fraction) > self.yield_stress_MPa
        limited = self._source_limited_factor(d) > strain_gradient_factor(d, self.strain_gradient_length_um)
        if kind == FREE_STANDING:
            limited = limited | (self.size_factor(d, kind) > self.size_factor(d, EMBEDDED))
        reaction = interface_reaction_controls(d, self.vacancy_diffusivity_um2_s, self.geometry_factor, sink_rate_um_s)
        return np.where(diff > disl, np.where(reaction, 4, 3), np.where(limited, 2, np.where(plastic, 1, 0)))

    def with_(self, **changes) -> "FlowLaw":
        """The same law with some inputs changed (an input's band)."""
        return replace(self, **changes)

    def keep_pace_stress_MPa(self, recession_velocity_um_s: float, size_um, sink_rate_um_s: float = 0.0,
                             kind: str = EMBEDDED):
        """The stress at which a feature of width w keeps pace with a metal receding at v: it must flow at
        v / w (docs/physics.md §11)."""
        d = np.asarray(size_um, float)
        return self.flow_stress_MPa(recession_velocity_um_s / d, d, sink_rate_um_s, kind)
