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
  An area (kmc.resolved.area) is pressed by the same loop on its own operator (its walls: a
  tunnel's cuts by their areas, a compact void by its volume), asked again once AREA_CLOSING_SHARE
  of its open cells have closed (event by event, 10^5 cells would take 10^4-10^5 asks).
  The foil then carries the test pressure.

The Li foil's own roughness has no source and is left out (a soft foil pressed at ~65x its flow
stress takes the hard face's shape, so only what the press cannot close matters).  The hold at the
test pressure before stripping has no stated duration and is taken as none (a hold only closes)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc import units
from kmc.physics.pores import face_pore_depth_um, porosity
from kmc.physics.nucleation import VoidCap
from kmc.resolved.area_shapes import relax_shapes
from kmc.resolved.area_walls import area_walls_of, relax_tunnels, wall_change_limit_s
from kmc.resolved.walls import relax, spanned_cells, wall_traction_MPa, walls_of

# The press's one numerical limit (its events, cells closing, are exact): between two asks of the
# operator no void's wall area changes by more than this share of itself (+ 0.01 um x its chord),
# since the walls' capillarity follows it.  Checked in docs/mechanics.md section 5a (0.25, 0.1, 0.05).
WALL_AREA_STEP = 0.25
# An area's press asks its operator again once this share of its open cells has closed (the section's
# events ask after each cell: on 10^5 cells 10^4-10^5 asks).  Li at 50 MPa for 30 s on the shipped porous
# face with the size effect, contact after the press event by event and at shares 0.005, 0.01, 0.02:
# 0.317 and 0.318, 0.324, 0.266 on 20 x 5 um; 0.434 and 0.371, 0.435, 0.429 on 40 x 10 um; 0.8233,
# 0.8237, 0.8236 on 160 x 40 um (docs/area.md section 1: which island gives way first decides the rest,
# so any step moves a small area's contact by a few hundredths; a large one averages over islands).
AREA_CLOSING_SHARE = 0.01


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


def _press_events(gap: np.ndarray, time_s: float, ask, relax_step, closing_share: float = 0.0):
    """The press's event loop, the section's and the area's (module docstring): ``ask(gap)`` gives every
    cell's closing velocity (>= 0, 0 on contact) and ``wall_step(rate, dt)``, dt cut so that no wall's
    area changes by more than WALL_AREA_STEP of itself; every open gap falls linearly at its velocity
    until the next event, a cell closing (the first; with ``closing_share`` > 0 the one closing after
    that share of the open cells), and ``relax_step(gap, dt)`` (surface diffusion for that time, in
    place; it zeroes gaps below 1e-12 um) returns the voids it dropped below a cell.  Returns (gap,
    time, asks, dropped)."""
    t, steps, dropped = 0.0, 0, 0
    while t < time_s * (1 - 1e-12) and (gap > 0).any():
        rate, wall_step = ask(gap)
        steps += 1
        moving = rate > 0
        dt = time_s - t
        if moving.any():
            to_close = gap[moving] / rate[moving]
            k = max(1, int(closing_share * to_close.size))
            dt = min(dt, float(np.min(to_close) if k == 1 else np.partition(to_close, k - 1)[k - 1]))
        dt = wall_step(rate, dt)
        closes = moving & (gap <= rate * dt * (1 + 1e-12))
        gap = np.where(closes, 0.0, np.maximum(gap - rate * dt, 0.0))
        dropped += relax_step(gap, dt)
        t += dt
    return gap, t, steps, dropped


def _section_operator(model, assembly: Assembly, pores: np.ndarray, rim_fill: np.ndarray):
    """(ask, relax_step) of ``_press_events`` on the section (kmc.resolved.walls, kmc.mechanics.reduced)."""
    inp = model.inp
    rewet = np.zeros(rim_fill.shape)          # the retracting contact lines' progress, step to step
    n, h = inp.cells, inp.cell_um
    gamma_J_m2 = inp.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2
    cap = VoidCap(inp.void_angle_rad)

    def ask(gap):
        walls = walls_of(gap, pores, h)
        traction = wall_traction_MPa(walls, n, h, gamma_J_m2)
        # the face's highest point touches, so some contact always carries the plunger
        mech = model.mechanics.respond(gap > 0, assembly.pressure_MPa, inp.thickness_um, traction,
                                       spanned_cells(walls, pores))

        def wall_step(rate, dt):
            for k in range(walls.starts.size):               # the walls' capillarity follows their area
                change = float(rate[walls.cells(k, n)].sum()) * h
                if change > 0:
                    dt = min(dt, WALL_AREA_STEP * (abs(walls.area_um2[k]) + 0.01 * walls.widths[k] * h) / change)
            return dt
        return np.where(gap > 0, np.maximum(mech.closing_velocity_um_s, 0.0), 0.0), wall_step

    def relax_step(gap, dt):
        dropped = len(relax(gap, pores, rim_fill, dt, h, cap, inp.mullins_um4_s, rewet=rewet))
        gap[gap < 1e-12] = 0.0
        rim_fill[gap > 0] = 0.0
        rewet[gap == 0] = 0.0
        return dropped
    return ask, relax_step


def _area_operator(model, assembly: Assembly, pores: np.ndarray, rim_fill: np.ndarray):
    """(ask, relax_step) of ``_press_events`` on an area (kmc.resolved.area: its walls, its mechanics,
    surface diffusion on its tunnels' cuts and its compact voids)."""
    inp = model.inp
    rewet = np.zeros((2, *rim_fill.shape))    # the retracting contact lines' progress per cut axis
    h = inp.cell_um
    gamma_J_m2 = inp.surface_energy_eV_A2 * units.J_PER_M2_PER_EV_PER_A2
    cap = VoidCap(inp.void_angle_rad)

    def ask(gap):
        walls = area_walls_of(gap, pores, h, gamma_J_m2, model.mechanics.shapes)
        mech = model.mechanics.respond(gap > 0, assembly.pressure_MPa, inp.thickness_um, walls.traction_MPa,
                                       walls.held)
        return (np.where(gap > 0, np.maximum(mech.closing_velocity_um_s, 0.0), 0.0),
                lambda rate, dt: min(dt, wall_change_limit_s(walls, gap, pores, rate, h, WALL_AREA_STEP)))

    def relax_step(gap, dt):
        dropped = len(relax_tunnels(gap, pores, rim_fill, dt, h, cap, inp.mullins_um4_s, rewet))
        if inp.mullins_um4_s > 0:
            relax_shapes(gap, pores, dt, h, cap, inp.mullins_um4_s)
        gap[gap < 1e-12] = 0.0
        rim_fill[gap > 0] = 0.0
        rewet[:, gap == 0] = 0.0
        return dropped
    return ask, relax_step


def press(model, assembly: Assembly, rng: np.random.Generator, profile_um: np.ndarray | None = None,
          pore_um: np.ndarray | None = None, closing_share: float = AREA_CLOSING_SHARE) -> AssemblyResult:
    """The assembly on ``model``'s interface (a kmc.resolved.ResolvedInterface, or with ``profile_um`` a
    kmc.resolved.area.AreaInterface: its cells, its mechanics, its surface energy and the foil's
    thickness): the face, the gap it leaves under a flat foil, and the press at
    ``assembly.pressure_MPa`` for ``assembly.time_s`` with no current, integrated event by event
    (module docstring).  ``profile_um``, ``pore_um``: an area's face and its open pores
    (kmc.resolved.area.area_face_um), pressed with ``closing_share`` of its open cells closing per ask
    (0: one, the section's events)."""
    if profile_um is None:
        face, pores = electrolyte_face_um(model.inp.cells, model.inp.cell_um, assembly, rng)
        operator, closing_share = _section_operator, 0.0
    else:
        face = np.asarray(profile_um, float)
        pores = np.zeros(face.shape) if pore_um is None else np.asarray(pore_um, float)
        operator = _area_operator
    gap = face.max() - face
    gap[gap < 1e-12] = 0.0
    contact_before = float((gap == 0).mean())
    ask, relax_step = operator(model, assembly, pores, np.zeros(gap.shape))
    gap, t, steps, dropped = _press_events(gap, assembly.time_s, ask, relax_step, closing_share)
    closed = not (gap > 0).any()
    return AssemblyResult(face, gap, steps, contact_before, float((gap == 0).mean()), t if closed else None,
                          float((pores > 0).mean()), pores, dropped)
