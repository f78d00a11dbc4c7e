"""The metal's side of the interface as it is made, and how it meets the pellet's face (docs/alloy.md
section 5): which of the foil's own features can start a void when stripping begins, per
metal, from measured numbers and the press's physics.  Plain numbers; units um, nm, MPa, J/m^2, deg.

Seed 004 (Methods) rolls its Li foil by hand with a stainless-steel rod to 5.3 mg/cm^2, buys its
Li0.97Mg0.03 as a 100 +- 10 um foil, cuts both to discs of the same thickness (100 +- 10 um, grains ~100 um,
Supplementary Fig. 19) and presses each onto the counter side of the same kind of pellet at 50 MPa for
30 s.  The preparations differ in the foil's surface; the press, the grains and the pellet are the same.
What each candidate start is at the cell's scale:

* **The foil's roughness.**  A soft metal pressed against a hard face touches where its flow stress at
  the feature's size, times the indentation constraint (~3: a contact patch on a plastic or creeping
  solid carries at most ~3 sigma_0, Roy, Fleck & Deshpande, Extreme Mech. Lett. 46, 101307 (2021);
  docs/physics.md §7), is below the pressure: every feature wider than ``smallest_flattened_width_um``
  is pressed flat whatever its height (its valleys close by the plateaus spreading: real contact P / H >=
  1).  Of a self-affine profile (Hurst exponent H, the part of the spectrum between its long and short
  wavelengths) only the share of the variance below that width is left (``residual_rms_um``): with
  H = 0.85 and a foil's long wavelength of its thickness, (w / L)^H of the RMS.  So the foil's own
  roughness leaves nothing a cell resolves whatever its RMS, for either metal, unless the metal is far
  stronger at the feature's size than the press.
* **Native films.**  Li's surface carries a few tens of nm of oxide and carbonate even after cleaning and
  polishing in a glovebox (Seo, Meyer, Shrestha, Wang, Xiao & Cheng, arXiv:2209.10138 (2022): XPS and
  ellipsometry); a film a tenth of a cell thick is not a void, and the press breaks and disperses it.
* **Inclusions** (C, O, N particles): 1350 per mm^3 in rolled Li by synchrotron tomography (ACS Energy
  Lett. 7, 1120 (2022), "Comparing the Purity of Rolled versus Evaporated Lithium Metal Films"); a section
  line in the interface meets n_V (pi/4) d^2 of them per um (``inclusion_traces_per_100um``).
* **Grain boundaries** meeting the face: a section crosses 1 / (mean intercept) of them per um
  (``grain_boundary_traces_per_100um``): ~1 per 100 um at the seed's ~100 um grains, both metals.
* **The pellet's pores, met by each metal.**  Where the metal faces an open pore of the pellet its surface
  meets the pore's wall at its Young angle theta: a wetting metal (theta < 90 deg) is drawn into the pore
  by the capillary pressure 2 gamma cos(theta) / w of a slot of width w (4 gamma cos(theta) / d of a
  cylinder; ``pore_entry_pressure_MPa``), a non-wetting one is held at the rim (Gibbs' edge condition:
  the line stays at a 90 deg edge while the metal's surface lies within theta .. theta + 90 deg of the
  face, ``held_at_rim``).  With the model's own angles (kmc.energetics: Li 93.6 deg, Li0.97Mg0.03
  58.4 deg at its equilibrium L1; the seed's DFT for the alloy 87.1 deg) the alloy is drawn into a
  0.38 um pore by ~1.3 MPa, six times the operando cell's 0.2 MPa, where Li is held at the rim.

``starts_per_100um`` puts these side by side for one metal.  What the pores then do is the cell model's
(kmc.resolved: the press and the stripping on the pellet's measured face)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc.physics.flow import CONSTRAINT_FACTOR

PORE_SHAPES = ("slot", "cylinder")


def pore_entry_pressure_MPa(width_um, surface_energy_J_m2, young_angle_deg, shape: str = "slot"):
    """The capillary pressure drawing a metal of surface energy gamma and Young angle theta into a pore of
    width w (> 0: sucked in, theta < 90 deg; < 0: pushed out, the pressure the metal needs to enter):
    2 gamma cos(theta) / w for a slot (a section's pore), 4 gamma cos(theta) / d for a cylinder (J/m^2 per
    um is MPa).  Arrays allowed."""
    if shape not in PORE_SHAPES:
        raise ValueError(f"shape = {shape!r}; allowed: {', '.join(PORE_SHAPES)}")
    k = 2.0 if shape == "slot" else 4.0
    w = np.asarray(width_um, float)
    out = k * np.asarray(surface_energy_J_m2, float) * np.cos(np.radians(young_angle_deg)) / np.maximum(w, 1e-300)
    return float(out) if out.ndim == 0 else out


def held_at_rim(young_angle_deg, edge_angle_deg: float = 90.0):
    """Whether a metal lying flat over a pore's mouth is held at the rim (Gibbs' condition at an edge of
    solid angle 180 - edge_angle: the line stays while the metal's surface makes an angle with the face
    within [theta, theta + edge_angle]; flat, it makes 180 deg): theta + edge_angle >= 180 deg.  A wetting
    metal (theta < 90 deg at a square rim) is not held: it goes down the pore's wall."""
    return np.asarray(young_angle_deg, float) + edge_angle_deg >= 180.0


def smallest_flattened_width_um(pressure_MPa: float, flow_stress_MPa, lo_um: float = 1e-3, hi_um: float = 1e4,
                                constraint: float = CONSTRAINT_FACTOR) -> float:
    """The width above which the press flattens the foil's features: constraint x sigma(w) = P (a contact
    patch carries at most ~3 sigma: kmc.physics.flow.CONSTRAINT_FACTOR), with ``flow_stress_MPa(w)`` the
    metal's flow stress at that size (a callable, falling with w: kmc.physics.flow.FlowLaw.flow_stress_MPa
    at the press's rate for an embedded feature).  ``lo_um`` where the press flattens everything above lo; inf where
    it flattens nothing below hi.  Bisection in log w to 1e-6."""
    def excess(w):
        return constraint * float(flow_stress_MPa(w)) - pressure_MPa
    if excess(hi_um) > 0:
        return math.inf
    if excess(lo_um) <= 0:
        return lo_um
    a, b = math.log(lo_um), math.log(hi_um)
    while b - a > 1e-6:
        m = 0.5 * (a + b)
        a, b = (m, b) if excess(math.exp(m)) > 0 else (a, m)
    return math.exp(b)


def residual_rms_um(rms_um: float, hurst: float, long_wavelength_um: float, short_wavelength_um: float,
                    flattened_above_um: float) -> float:
    """The RMS left of a self-affine profile (1-D spectrum C(q) ~ q^-(1 + 2H) between 2 pi / long and
    2 pi / short) once every wavelength above ``flattened_above_um`` is pressed flat: the share of the
    variance below it, [w^2H - s^2H] / [L^2H - s^2H], under the square root."""
    w = min(max(flattened_above_um, short_wavelength_um), long_wavelength_um)
    two_h = 2.0 * hurst
    share = (w ** two_h - short_wavelength_um ** two_h) / (long_wavelength_um ** two_h - short_wavelength_um ** two_h)
    return rms_um * math.sqrt(max(share, 0.0))


def grain_boundary_traces_per_100um(grain_size_um: float) -> float:
    """Grain boundaries a section line in the face crosses per 100 um: 100 / the mean linear intercept
    (the grain size as the seed measures it, Supplementary Fig. 19)."""
    return 100.0 / grain_size_um


def inclusion_traces_per_100um(inclusions_per_mm3: float, diameter_um: float) -> float:
    """Inclusions of diameter d at n_V per mm^3 that a section line lying in the face meets per 100 um:
    those within d/2 of the face cut it (n_A = n_V d), in discs a line crosses over a mean chord of
    (pi/4) d: n_L = n_V (pi / 4) d^2."""
    n_v_um3 = inclusions_per_mm3 * 1e-9
    return 100.0 * n_v_um3 * (math.pi / 4.0) * diameter_um ** 2


@dataclass(frozen=True)
class FoilFace:
    """One metal's face as made (the [foil] keys; params/*.toml give each source)."""
    preparation: str
    thickness_tolerance_um: float
    disc_diameter_um: float
    roughness_hurst: float
    grain_size_um: float
    native_film_nm: float
    inclusions_per_mm3: float
    inclusion_diameter_um: float

    @classmethod
    def of(cls, foil_section) -> "FoilFace":
        f = foil_section
        return cls(f.preparation, f.thickness_tolerance_um, f.disc_diameter_um, f.roughness_hurst, f.grain_size_um,
                   f.native_film_nm, f.inclusions_per_mm3, f.inclusion_diameter_um)

    @property
    def waviness_rms_um(self) -> float:
        """The face's RMS over the disc from its thickness tolerance (+- t read as uniform: t / sqrt(3)), an
        upper bound (the tolerance may be disc to disc)."""
        return self.thickness_tolerance_um / math.sqrt(3.0)

    def rms_within_um(self, length_um: float, flattened_above_um: float = math.inf) -> float:
        """The face's RMS over wavelengths below ``length_um`` (a section's), and below the press's
        ``flattened_above_um`` (residual_rms_um of the disc's self-affine spectrum)."""
        return residual_rms_um(self.waviness_rms_um, self.roughness_hurst, self.disc_diameter_um, 0.0,
                               min(length_um, flattened_above_um))


def starts_per_100um(face: FoilFace, press_MPa: float, flow_stress_MPa, cell_um: float, surface_energy_J_m2: float,
                     young_angle_deg: float, pore_width_um: float, test_pressure_MPa: float,
                     section_um: float = 160.0) -> list[dict]:
    """What the metal's side offers a void to start from, per 100 um of section, one row per candidate
    (module docstring): its number per 100 um (or its size against the cell), and whether it outlasts the
    press.  ``flow_stress_MPa(w)``: the metal's flow stress at size w at the press's rate; ``pore_width_um``:
    the pellet's mean pore width (kmc.physics.pores)."""
    w_min = smallest_flattened_width_um(press_MPa, flow_stress_MPa)
    left = face.rms_within_um(section_um, w_min)
    entry = pore_entry_pressure_MPa(pore_width_um, surface_energy_J_m2, young_angle_deg)
    return [
        dict(start="foil roughness", per_100um=None,
             note=f"RMS {face.rms_within_um(section_um):.2g} um within {section_um:g} um as made (+- "
                  f"{face.thickness_tolerance_um:g} um over a {face.disc_diameter_um / 1e3:g} mm disc, H = "
                  f"{face.roughness_hurst:g}); every feature wider than {w_min:.2g} um pressed flat at {press_MPa:g} MPa: "
                  f"{left:.2g} um left",
             survives=left > cell_um),
        dict(start="native film", per_100um=None,
             note=f"{face.native_film_nm:g} nm thick, {face.native_film_nm / 1e3 / cell_um:.2g} of a {cell_um:g} um cell",
             survives=face.native_film_nm / 1e3 >= cell_um),
        dict(start="inclusions", per_100um=inclusion_traces_per_100um(face.inclusions_per_mm3, face.inclusion_diameter_um),
             note=f"{face.inclusions_per_mm3:g} per mm^3 of {face.inclusion_diameter_um:g} um", survives=True),
        dict(start="grain boundaries", per_100um=grain_boundary_traces_per_100um(face.grain_size_um),
             note=f"~{face.grain_size_um:g} um grains", survives=True),
        dict(start="the pellet's pores", per_100um=None,
             note=f"capillary entry {entry:+.3g} MPa into a {pore_width_um:.2g} um slot (theta = {young_angle_deg:.1f} deg) "
                  f"against {test_pressure_MPa:g} MPa of stack; "
                  + ("held at the rim" if held_at_rim(young_angle_deg) else "drawn down the pore's wall"),
             survives=True),
    ]
