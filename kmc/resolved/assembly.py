"""The interface before stripping (docs/mechanics.md sections
5a and 5b): the gap the seed's assembly leaves between the foil and the electrolyte's face.

Seed 004 presses its Li6PS5Cl pellet at 375 MPa against a Ti plunger polished to RMS < 0.1 um, so the
envelope of the pellet's particle tops replicates the plunger's; the rolled Li foil is then pressed
onto it at 50 MPa for 30 s and held at the test pressure.  Here:

* the electrolyte's face is that envelope, a self-affine surface with the seed's RMS bound over the
  view and the Hurst exponent of polished engineering surfaces, less the open pores between the
  particles: the pellet's relative density and particle size through the stereology of a pressed
  powder (kmc.physics.face, kmc.physics.pores; the [electrolyte] keys give the sources).  The envelope's long cut-off is the
  section (all of the measured RMS is put inside the view, an upper bound), its short one the
  lateral resolution (with H = 0.85 the wavelengths below 0.25 um carry < 1 % of the RMS);
* the metal starts flat, touching the face's highest point: the gap is max(f) - f(x) (the rough
  rigid face and the flat creeping metal in the gap picture of kmc.resolved, for slopes << 1);
* the press is the gap model's mechanics (the geometry's reduced operator, with Li's size-dependent
  strength and the walls' capillarity) at the assembly pressure for the assembly time, with no current.
  Its rates depend only on which cells are open and on each void's wall area, so it is integrated
  event by event: every open cell's gap falls linearly at its closing velocity until the first
  cell closes (or a wall has changed as far as wall_interval_s allows), and the operator is asked again.
  The loop is one for both geometries; each gives its face, its operator (its walls: a section's
  voids and an area's tunnels' cuts by their areas, an area's compact void by its volume) and how
  many of its open cells may close between asks (the section: one; an area: a share, since event
  by event 10^5 cells would take 10^4-10^5 asks: kmc.resolved.area.AREA_CLOSING_SHARE).
  The foil then carries the test pressure.

The Li foil's own roughness has no source and is left out (a soft foil pressed at ~65x its flow
stress takes the hard face's shape, so only what the press cannot close matters).  The hold at the
test pressure before stripping has no stated duration and is taken as none (a hold only closes)."""
from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, replace

import numpy as np

from kmc.cell.inputs import CellInputError
from kmc.physics.pores import porosity
from kmc.resolved.walls import SMALLEST_WALL_um

# The press's one numerical limit (its events, cells closing, are exact; wall_interval_s): between two asks of
# the operator no wall's area changes by more than this share of itself (+ 0.01 um x its chord), unless its
# traction changes by less than this share of P / n and its contact lines move by less than this share of a
# cell.  Checked in docs/mechanics.md section 5a and docs/area.md section 6 against 0.05.
WALL_AREA_STEP = 0.25
# The limit's form, in press_key: a face pressed under the area's share alone (before 2026-11-28) has another digest,
# so `kmc meso --press-from` refuses it and kmc.cell.kept_starts does not give it to this press
WALL_LIMIT_FORM = "area, or traction and contact lines (wall_interval_s)"
# The face's random stream: default_rng([seed, ASSEMBLY_STREAM]), apart from the run's own (its nucleation)
ASSEMBLY_STREAM = 1
# The inputs the press does not read: the stripping's current (and the strip velocity it sets), the test pressure
# the foil carries only after the press, and when the run stops and samples.  Runs that differ only in these
# start from the same pressed face (press_key; tests/test_press_keep.py perturbs each and checks the press's bits).
STRIPPING_ONLY = ("current_mA_cm2", "strip_velocity_um_s", "pressure_MPa", "stop_stripped_mAh_cm2",
                  "stop_contact_fraction", "output_every_mAh_cm2", "max_step_mAh_cm2")


def wall_interval_s(area, floor_um2, change, traction_MPa, surface_time_s, pressure_MPa: float,
                    stress_exponent: float):
    """Per wall, the longest time to the next ask of the press's operator (the press's one numerical limit), at the
    rate ``change`` at which its area changes (a cut across a void: its area in um^2 and um^2/s; a compact void:
    its volume in um^3 and um^3/s): while its area changes by at most WALL_AREA_STEP of itself plus ``floor_um2``
    (0.01 um x its chord, or its footprint); or longer, as long as its Laplace traction s (``traction_MPa``)
    changes by at most WALL_AREA_STEP x max(|s|, P / n) and the interval is at most WALL_AREA_STEP of
    ``surface_time_s``, the time surface diffusion takes to move the wall by a cell (a cut's contact line:
    edge_crossing_time_s; a compact void's footprint: Mullins' time a^4 / B).

    Why: between two asks the operator's rates are held, and what changes them without a cell closing is each
    wall's traction, which follows its area (s ~ A for a shallow wall).  The traction matters against the stress
    that closes the void, the contact's, at least P (the press's pressure), and a closing rate ~ stress^n moves by
    n ds / stress <= n ds / P: so a change of s by WALL_AREA_STEP x P / n (7.6 MPa for 50 MPa and Li's n = 6.6)
    moves no rate by more than WALL_AREA_STEP, and a wall whose traction is far below that may change its area by
    more than a quarter.  The walls' surface diffusion runs split from the closing, once per interval
    (relax_step), and where the metal at a void's edge is thin it draws the contact line in fast (B / e^3): the
    interval stays short against that, as the area's share alone kept it (on a steep face the narrow pores'
    contact lines decide which islands meet first: docs/area.md section 6).  Checked against the share 0.05 on
    nine faces each of 40 x 10 um and 80 x 20 um and of the 160 um section at 0.2 and 1.5 MPa and at 333 K
    (docs/area.md section 6); the 160 x 40 um press asks ~4.8x less often."""
    area, floor_um2, change = np.abs(np.asarray(area, float)), np.asarray(floor_um2, float), np.asarray(change, float)
    by_area = WALL_AREA_STEP * (area + floor_um2) / change
    looser = np.maximum(1.0, (pressure_MPa / stress_exponent) / np.maximum(np.abs(traction_MPa), 1e-300))
    by_traction = WALL_AREA_STEP * (looser * area + floor_um2) / change
    return np.maximum(by_area, np.minimum(by_traction, WALL_AREA_STEP * np.asarray(surface_time_s, float)))


def edge_crossing_time_s(edge_um, cell_um: float, mullins_um4_s: float):
    """The time surface diffusion takes to move a void's contact line by a cell where the metal at its edge is
    ``edge_um`` high: cell / (B / e^3) (kmc.physics.surface.edge_speed_um_s, e at least SMALLEST_WALL_um as
    kmc.resolved.walls moves it); inf without surface diffusion."""
    edge = np.maximum(np.asarray(edge_um, float), SMALLEST_WALL_um)
    if mullins_um4_s <= 0:
        return np.full(edge.shape, np.inf)
    return cell_um * edge ** 3 / mullins_um4_s


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
    wall_asks: int = 0                    # of ``steps``, those a wall's limit ended (_press_events)


def _press_events(gap: np.ndarray, time_s: float, ask, relax_step, closing_share: float = 0.0):
    """The press's event loop, the section's and the area's (module docstring): ``ask(gap)`` gives every
    cell's closing velocity (>= 0, 0 on contact) and ``wall_step(rate, dt)``, dt cut so that no wall's
    area changes by more than WALL_AREA_STEP of itself; every open gap falls linearly at its velocity
    until the next event, a cell closing (the first; with ``closing_share`` > 0 the one closing after
    that share of the open cells), and ``relax_step(gap, dt)`` (surface diffusion for that time, in
    place; it zeroes gaps below 1e-12 um) returns the voids it dropped below a cell.  Returns (gap,
    time, asks, dropped, wall_asks): wall_asks, the asks whose interval a wall's limit ended (not a cell
    closing nor the press's end; each void closes over several such, so they grow with the voids, as the area)."""
    t, steps, dropped, wall_asks = 0.0, 0, 0, 0
    while t < time_s * (1 - 1e-12) and (gap > 0).any():
        rate, wall_step = ask(gap)
        steps += 1
        moving = rate > 0
        dt = time_s - t
        if moving.any():
            to_close = gap[moving] / rate[moving]
            k = max(1, int(closing_share * to_close.size))
            dt = min(dt, float(np.min(to_close) if k == 1 else np.partition(to_close, k - 1)[k - 1]))
        event_dt, dt = dt, wall_step(rate, dt)
        wall_asks += dt < event_dt
        closes = moving & (gap <= rate * dt * (1 + 1e-12))
        gap = np.where(closes, 0.0, np.maximum(gap - rate * dt, 0.0))
        dropped += relax_step(gap, dt)
        t += dt
    return gap, t, steps, dropped, wall_asks


def press(model, assembly: Assembly, rng: np.random.Generator, profile_um: np.ndarray | None = None,
          pore_um: np.ndarray | None = None, closing_share: float | None = None) -> AssemblyResult:
    """The assembly on ``model``'s interface (a kmc.resolved.gap.GapModel of either geometry: its cells, its
    mechanics, its surface energy and the foil's thickness): its face (model.face, from ``rng``; or
    ``profile_um`` and ``pore_um``, a face given), the gap it leaves under a flat foil, and the press at
    ``assembly.pressure_MPa`` for ``assembly.time_s`` with no current on the geometry's operator
    (model.press_operator), integrated event by event (module docstring) with ``closing_share`` of its open
    cells closing per ask (None: the geometry's, model.press_closing_share; 0: one)."""
    if profile_um is None:
        face, pores = model.face(assembly, rng)
    else:
        face = np.asarray(profile_um, float)
        pores = np.zeros(face.shape) if pore_um is None else np.asarray(pore_um, float)
    share = model.press_closing_share if closing_share is None else closing_share
    gap = face.max() - face
    gap[gap < 1e-12] = 0.0
    contact_before = float((gap == 0).mean())
    ask, relax_step = model.press_operator(assembly, pores, np.zeros(gap.shape))
    gap, t, steps, dropped, wall_asks = _press_events(gap, assembly.time_s, ask, relax_step, share)
    closed = not (gap > 0).any()
    return AssemblyResult(face, gap, steps, contact_before, float((gap == 0).mean()), t if closed else None,
                          float((pores > 0).mean()), pores, dropped, wall_asks)


def press_key(model) -> str | None:
    """A digest of everything the press of ``model.start()`` depends on: the geometry, its inputs less
    STRIPPING_ONLY (the face's seed, the assembly, the metal) and the press's numerics (WALL_AREA_STEP, the
    closing share); equal digests, the same pressed face bit for bit.  None where the press is not the
    model's own (a mechanics given to the model) or there is none (no assembly)."""
    inp = model.inp
    if inp.assembly is None or not model.own_mechanics:
        return None
    unread = replace(inp, **{name: 0.0 for name in STRIPPING_ONLY})
    return hashlib.sha256(pickle.dumps((type(model).__qualname__, unread, WALL_AREA_STEP, WALL_LIMIT_FORM,
                                        model.press_closing_share))).hexdigest()


class PressedFace:
    """A gap model's start from its press (kmc.resolved.gap.GapModel's, of either geometry): the face pressed once
    and kept, and, for the run's file, kept there and given back to a later run of the same press (the
    CellModel contract's start_record and start_from_record; `kmc meso --press-from`)."""
    _pressed: tuple | None = None         # (gap, open pore depth) when the press ended: pressed, or given

    def pressed_face(self) -> tuple[np.ndarray, np.ndarray]:
        """(gap, open pore depth) per cell (um) when the assembly's press ends (the model's start; the assembly
        given): pressed once from the face's own stream of the seed and kept (a state copies them), or the face
        an earlier run kept (``start_from_record``)."""
        if self._pressed is None:
            pressed = press(self, self.inp.assembly, np.random.default_rng([self.inp.seed, ASSEMBLY_STREAM]))
            self._pressed = (pressed.gap_um, pressed.pore_um)
        return self._pressed

    def start_key(self) -> str | None:
        """press_key: the digest of everything the press reads (None: no press of its own)."""
        return press_key(self)

    def start_record(self) -> dict | None:
        """What the run's file keeps of the press (/press): the face it left, each cell's gap and open pore
        depth, and its press_key; None before a press, or where the press is not reproducible from the inputs
        (no assembly, or a mechanics given to the model)."""
        key = press_key(self)
        if key is None or self._pressed is None:
            return None
        return {"key": key, "gap_um": self._pressed[0], "pore_depth_um": self._pressed[1]}

    def start_from_record(self, record: dict, source: str) -> None:
        """Start from the press an earlier run kept (``start_record``'s, read from ``source``): the same face bit
        for bit as pressing again, since equal digests mean the press read the same inputs (press_key);
        CellInputError where they differ or this run has no press of its own."""
        key = press_key(self)
        if key is None:
            raise CellInputError(f"{source}: this run has no press of its own to start from a kept one (no "
                                 "assembly: meso.assembly_pressure_MPa = 0 or a flat dense face); allowed: "
                                 "--press-from with a run that presses its face")
        if record.get("key") != key:
            raise CellInputError(
                f"{source}: its pressed face was pressed from other inputs than this run's press reads (the face's "
                "seed run.seed, the geometry meso.interface / width_um / depth_um, the assembly meso.assembly_* and "
                "the electrolyte's face, the metal, its flow and the temperature, or this code's press); allowed: "
                "the file of a kmc meso run that differs from this one only in the current, the stack pressure, the "
                "stop or the samples (kmc.resolved.assembly.STRIPPING_ONLY)")
        self._pressed = tuple(np.asarray(record[name], float) for name in ("gap_um", "pore_depth_um"))
