"""The interface before stripping (issue 47 item 5, issue 54 items 1-2; docs/mechanics.md section
5a): the gap the seed's assembly leaves between the foil and the electrolyte's face.

Seed 004 presses its Li6PS5Cl pellet at 375 MPa against a Ti plunger polished to RMS < 0.1 um, so the
envelope of the pellet's particle tops replicates the plunger's; the rolled Li foil is then pressed
onto it at 50 MPa for 30 s and held at the test pressure.  Here:

* the electrolyte's face is that envelope, a self-affine profile (a line through an isotropic
  surface: 1-D power spectrum C(q) ~ q^-(1 + 2H)) with the seed's RMS bound over the section and the
  Hurst exponent of polished engineering surfaces, less the open pores between the particles: the
  pellet's relative density and particle size through the stereology of a pressed powder
  (kmc.physics.pores; the [electrolyte] keys give the sources).  The envelope's long cut-off is the
  section (all of the measured RMS is put inside the view, an upper bound), its short one the
  lateral resolution (with H = 0.85 the wavelengths below 0.25 um carry < 1 % of the RMS);
* the metal starts flat, touching the face's highest point: the gap is max(f) - f(x) (the rough
  rigid face and the flat creeping metal in the gap picture of kmc.resolved, for slopes << 1);
* the press is kmc.resolved's mechanics (the reduced operator, with Li's size-dependent strength
  and the walls' capillarity) at the assembly pressure for the assembly time, with no current.
  Its rates depend only on which cells are open and on each void's wall area, so it is integrated
  event by event: every open cell's gap falls linearly at its closing velocity until the first
  cell closes (or a wall's area has changed by WALL_AREA_STEP), and the operator is asked again.
  The foil then carries the test pressure.

The Li foil's own roughness has no source and is left out (a soft foil pressed at ~65x its flow
stress takes the hard face's shape, so only what the press cannot close matters).  The hold at the
test pressure before stripping has no stated duration and is taken as none (a hold only closes)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from kmc import units
from kmc.physics.pores import face_pore_depth_um, porosity
from kmc.physics.nucleation import VoidCap
from kmc.resolved.walls import relax, spanned_cells, wall_traction_MPa, walls_of

# The press's one numerical limit (its events, cells closing, are exact): between two asks of the
# operator no void's wall area changes by more than this share of itself (+ 0.01 um x its chord),
# since the walls' capillarity follows it.  Checked in docs/mechanics.md section 5a (0.25, 0.1, 0.05).
WALL_AREA_STEP = 0.25
# An area's press (kmc.resolved.area, on its porous face) is stepped by the area's own step control: its
# steps are this fraction of the time loop's gap limit (a share of a gap + 10 nm per step), since
# islands widen and weaken as they spread, which the explicit step lags.  Li at 50 MPa for 30 s on the
# shipped porous face with the size effect, contact after the press at 0.25, 0.125, 0.0625: 0.349,
# 0.247, 0.246 on 20 x 5 um; 0.390, 0.353, 0.323 on 10 x 2.5 um (with bulk creep 0.98-0.99 at all three).
PRESS_STEP_FRACTION = 0.125


@dataclass(frozen=True)
class Assembly:
    """What the press is given: pressure (MPa), time (s), the face's roughness envelope, and the
    pellet's open pores (relative density 1: none)."""
    pressure_MPa: float
    time_s: float
    roughness_rms_um: float
    hurst_exponent: float
    relative_density: float = 1.0
    particle_diameter_um: float = 1.0

    def describe(self) -> str:
        """'at 50 MPa for 30 s onto a face of RMS 0.1 um with 17 % open pores (1 um particles)'."""
        pores = (f" with {100 * porosity(self.relative_density):.0f} % open pores ({self.particle_diameter_um:g} um "
                 "particles)" if self.relative_density < 1 else "")
        return (f"at {self.pressure_MPa:g} MPa for {self.time_s:g} s onto a face of RMS {self.roughness_rms_um:g} um"
                + pores)


def assembly_of(meso, electrolyte=None) -> Assembly | None:
    """The press a [meso] table (and an [electrolyte] table, None: a dense face) asks for (the keys'
    sources: params/*.toml); None for no press (meso.assembly_pressure_MPa = 0, or a flat envelope
    with no pores): the run starts in full contact."""
    density = 1.0 if electrolyte is None else electrolyte.relative_density
    diameter = 1.0 if electrolyte is None else electrolyte.particle_diameter_um
    if not (meso.assembly_pressure_MPa > 0 and (meso.electrolyte_roughness_rms_um > 0 or density < 1)):
        return None
    return Assembly(meso.assembly_pressure_MPa, meso.assembly_time_s, meso.electrolyte_roughness_rms_um,
                    meso.electrolyte_roughness_hurst, density, diameter)


@dataclass
class AssemblyResult:
    profile_um: np.ndarray                # the electrolyte face's height per cell (envelope mean 0, less the pores)
    gap_um: np.ndarray                    # the gap when the press ends
    steps: int                            # asks of the operator
    contact_before: float                 # share of cells touching before the press
    contact_after: float
    closed_at_s: float | None             # when the last gap closed (None: open when the press ends)
    open_face: float                      # share of the face's cells in an open pore
    pore_um: np.ndarray = None            # the open pore's depth per cell (0: dense face there)
    subgrid_voids: int = 0                # voids the press's surface diffusion shrank below a cell (dropped)


def self_affine_profile_um(cells: int, cell_um: float, rms_um: float, hurst: float,
                           rng: np.random.Generator) -> np.ndarray:
    """A periodic line of ``cells`` heights (um, mean 0, RMS ``rms_um``) through an isotropic
    self-affine surface of Hurst exponent ``hurst``: Fourier filtering with 1-D power spectrum
    C(q) ~ q^-(1 + 2H) from q = 2 pi / (cells cell_um) to the Nyquist wavevector, random phases."""
    if cells < 4:
        raise ValueError(f"cells = {cells}; allowed: >= 4")
    k = np.arange(1, cells // 2 + 1)
    q = 2 * math.pi * k / (cells * cell_um)
    amplitude = q ** (-(1 + 2 * hurst) / 2)
    spectrum = np.zeros(cells // 2 + 1, complex)
    spectrum[1:] = amplitude * (rng.standard_normal(k.size) + 1j * rng.standard_normal(k.size))
    if cells % 2 == 0:
        spectrum[-1] = spectrum[-1].real                # the Nyquist term of a real line
    h = np.fft.irfft(spectrum, n=cells)
    h -= h.mean()
    return h * (rms_um / math.sqrt(np.mean(h * h)))


def _press_by_steps(model, assembly: Assembly, profile: np.ndarray, pore: np.ndarray) -> AssemblyResult:
    """The press of an area (kmc.resolved.area) on the face ``profile`` with open pores of depth
    ``pore``: the gap it leaves under a flat foil, pressed at ``assembly.pressure_MPa`` for
    ``assembly.time_s`` with no current, stepped by the model's own step control (PRESS_STEP_FRACTION
    of its limits)."""
    inp = model.inp
    gap = profile.max() - profile
    gap[gap < 1e-12] = 0.0
    pressing = type(model)(replace(inp, current_mA_cm2=0.0, strip_velocity_um_s=0.0,
                                   pressure_MPa=assembly.pressure_MPa, measured_nucleation=()),
                           mechanics=model.mechanics)
    st = pressing.initial_state(gap, pore)
    contact_before = float((st.gap_um == 0).mean())
    steps = 0
    while st.time_s < assembly.time_s * (1 - 1e-12) and (st.gap_um > 0).any():
        now = pressing.rates(st)                         # the highest point touches: never NoContactError
        # the time loop's limits without its floor (kept there against a roof about to close
        # under stripping): a foil pressed onto one asperity at 50 MPa spreads in nanoseconds
        largest = pressing.step_limit_s(st, now)
        dt = min([largest, assembly.time_s - st.time_s, PRESS_STEP_FRACTION * min(pressing.last_limits.values(),
                                                                                   default=largest)])
        pressing.step(st, now, dt)
        steps += 1
    closed = not (st.gap_um > 0).any()
    return AssemblyResult(profile, st.gap_um, steps, contact_before, float((st.gap_um == 0).mean()),
                          st.time_s if closed else None, float((pore > 0).mean()), pore)


def electrolyte_face_um(cells: int, cell_um: float, assembly: Assembly,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(the face's height, the open pore's depth) per cell: the face is the roughness envelope (drawn
    first, so a dense face is the one of before the pores, draw for draw) less the pores' depth."""
    envelope = (self_affine_profile_um(cells, cell_um, assembly.roughness_rms_um, assembly.hurst_exponent, rng)
                if assembly.roughness_rms_um > 0 else np.zeros(cells))
    phi = porosity(assembly.relative_density)
    depth = (face_pore_depth_um(cells, cell_um, phi, assembly.particle_diameter_um, rng) if phi > 0
             else np.zeros(cells))
    return envelope - depth, depth


def press(model, assembly: Assembly, rng: np.random.Generator, profile_um: np.ndarray | None = None,
          pore_um: np.ndarray | None = None) -> AssemblyResult:
    """The assembly on ``model``'s section (a kmc.resolved.ResolvedInterface: its cells, its
    mechanics, its surface energy and the foil's thickness): the face, the gap it leaves under a flat
    foil, and the press at ``assembly.pressure_MPa`` for ``assembly.time_s`` with no current,
    integrated event by event (module docstring).  ``profile_um``, ``pore_um``: a face other than the
    section's and its open pores (an area's, kmc.resolved.area.area_face_um), pressed by
    ``_press_by_steps``."""
    if profile_um is not None:
        return _press_by_steps(model, assembly, profile_um,
                               np.zeros(np.shape(profile_um)) if pore_um is None else pore_um)
    inp = model.inp
    n, h = inp.cells, inp.cell_um
    face, pores = electrolyte_face_um(n, h, assembly, rng)
    gap = face.max() - face
    gap[gap < 1e-12] = 0.0
    contact_before = float((gap == 0).mean())
    gamma_J_m2 = inp.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2
    cap = VoidCap(inp.void_angle_rad)
    t, steps, dropped = 0.0, 0, 0
    rim_fill = np.zeros(n)
    while t < assembly.time_s * (1 - 1e-12) and (gap > 0).any():
        walls = walls_of(gap, pores, h)
        traction = wall_traction_MPa(walls, n, h, gamma_J_m2)
        # the face's highest point touches, so some contact always carries the plunger
        mech = model.mechanics.respond(gap > 0, assembly.pressure_MPa, inp.thickness_um, traction,
                                       spanned_cells(walls, pores))
        rate = np.where(gap > 0, np.maximum(mech.closing_velocity_um_s, 0.0), 0.0)
        steps += 1
        moving = rate > 0
        dt = assembly.time_s - t
        if moving.any():
            dt = min(dt, float(np.min(gap[moving] / rate[moving])))
        for k in range(walls.starts.size):               # the walls' capillarity follows their area
            change = float(rate[walls.cells(k, n)].sum()) * h
            if change > 0:
                dt = min(dt, WALL_AREA_STEP * (abs(walls.area_um2[k]) + 0.01 * walls.widths[k] * h) / change)
        closes = moving & (gap <= rate * dt * (1 + 1e-12))
        gap = np.where(closes, 0.0, np.maximum(gap - rate * dt, 0.0))
        dropped += len(relax(gap, pores, rim_fill, dt, h, cap, inp.mullins_um4_s))
        gap[gap < 1e-12] = 0.0
        rim_fill[gap > 0] = 0.0
        t += dt
    closed = not (gap > 0).any()
    return AssemblyResult(face, gap, steps, contact_before, float((gap == 0).mean()), t if closed else None,
                          float((pores > 0).mean()), pores, dropped)
