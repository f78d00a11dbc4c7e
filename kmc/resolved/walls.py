"""The metal's wall over each void of a line of cells (docs/mechanics.md §5b): where it is, how much it bulges,
what its capillarity pulls with, how captured volume moves it, and how surface diffusion reshapes
it: the gap model's rules on a line, which the section takes for its voids (kmc.resolved.section) and the
area for every cut across its tunnels (kmc.resolved.area_walls), in the press and in the step alike.

The electrolyte's face is the envelope of its particle tops (smooth: nm over um) less its open
pores, of depth p(x) (kmc.physics.face); the gap g(x) lies between the face and the metal, so
the metal stands e = g - p above the envelope.  A void is a run of open cells.  Over a pore spanned
by a flat metal roof e = 0; over a void of the metal (a roof that has receded into the metal) e > 0;
where the metal has been pressed into a pore e < 0.  Its wall's area over the envelope is
A = sum e h (h the cell's width), its chord the void's width.

* Capillarity: the wall is taken as the circular arc of its chord and area, whose Laplace traction
  gamma kappa acts on the void (kmc.physics.capillarity; kmc.mechanics.reduced carries it).
* Capture: the vacancies a void captures arrive over its projection on the interface (the slab's
  field, kmc.resolved.fields); what arrives within a wall's height of a contact line lands on that
  wall and moves the contact line out (emptying the next contact cell at the wall's height: the
  metal keeps its height there), the rest lands on the roof and deepens it.  A tall void therefore
  grows wider, not taller (its walls take the flux that arrives near them), and a flat one mostly
  deeper, as a flat absorber takes most of its flux on its face.
* Surface diffusion (Mullins; kmc.physics.surface): every void's wall relaxes toward the cap of its
  area that meets the envelope at the Young angle (kmc.physics.capillarity.equilibrium_chord_um),
  the profile and the width of a void narrower than its cap in Mullins' time (w/2)^4 / B; an edge
  thinner than the cap's (height e) draws its contact line in at B / e^3 (a nm sliver re-wets at
  once, a um-tall wall in hours), which also holds back what capture would push out.  A contact line does not cross a
  pore's rim for a non-wetting metal (Li, theta > 90 deg: Gibbs' pinning at the edge); a
  void whose cap is narrower than a cell becomes a sub-grid nucleus of its volume.
* A wetting metal in a pore (theta < 90 deg, the alloy's 58.4 at its equilibrium L1; docs/alloy.md §5): a metal that
  spans or has been pressed into a pore of the face is not held at its rim (kmc.physics.foil_face.held_at_rim) but
  drawn down its walls, its surface in the pore the meniscus that meets them at theta: the hole's traction is the
  capillary entry pressure 2 gamma cos(theta) / w of a slot of its width (``entry_traction_MPa``), closing it, in
  place of the arc that pushes a non-wetting metal back.
* The rim's pin (the kMC's [pore_edge] records; docs/pore_edge.md section 8): capture does not
  move a contact line off a pore's rim over a void wider than its cap (the kMC's receded mouth): there a
  gap under the electrolyte refills into the pore's metal (the kMC's rim_refill_probability), so what
  lands on such a wall raises the void's metal over its width (toward the cap of its area, where the
  pin lifts), but for kmc.physics.pore_edge.rim_retreat_share of it.  A void narrower than its cap is pushed out by its
  Young angle, which the records do not measure: capture moves its lines as before."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from kmc.mechanics.reduced import run_sums
from kmc.physics.capillarity import chord_curvature_per_um, laplace_traction_MPa
from kmc.physics.foil_face import held_at_rim, pore_entry_pressure_MPa
from kmc.physics.nucleation import VoidCap

# A wall lower than this (um) is not a wall: what lands near it deepens its end cell.  An edge this
# low re-wets in B / (1e-4 um)^3 ~ 3e8 um/s at the shipped D_s: it is a numerical guard only.
SMALLEST_WALL_um = 1e-4


@dataclass
class Walls:
    starts: np.ndarray            # first cell of each void (its cells run start, start + 1, ... mod N)
    widths: np.ndarray            # in cells
    area_um2: np.ndarray          # A: the wall's signed area over the envelope

    def cells(self, k: int, n: int) -> np.ndarray:
        return (self.starts[k] + np.arange(self.widths[k])) % n


def walls_of(gap_um: np.ndarray, pore_um: np.ndarray, cell_um: float) -> Walls:
    """Every void's cells and wall area (module docstring): ``line_walls`` on the section's one line."""
    _, starts, widths, area = line_walls(np.atleast_2d(gap_um), np.atleast_2d(pore_um), cell_um)
    return Walls(starts, widths, area)


def line_walls(gap_um: np.ndarray, pore_um: np.ndarray, cell_um: float):
    """The voids' walls of every periodic line of a (lines, cells) gap field at once (an area's cuts,
    or the section's one line): (line, start, width in cells, wall area um^2 over the envelope) of
    each run of open cells, line by line, each line's runs in the order of
    kmc.mechanics.reduced.runs (from its first contact cell on) and summed as its run_sums (so one
    line gives the section's numbers bit for bit)."""
    gap = np.ascontiguousarray(gap_um, dtype=float)
    lines, starts, widths = line_runs(gap > 0)
    area = line_run_sums(np.ascontiguousarray(gap - np.asarray(pore_um, float)), lines, starts, widths) * cell_um
    return lines, starts, widths, area


@njit(cache=True)
def line_runs(open_cells):
    """(line, start, width) of every run of open cells on each periodic line of a (lines, cells) mask,
    lines in order, each line's runs as kmc.mechanics.reduced.runs gives them (a line all open: one
    run from cell 0; a run through the end continues at cell 0 and comes last)."""
    m, n = open_cells.shape
    cap = m * (n // 2 + 1)
    out_line = np.empty(cap, np.int64)
    out_start = np.empty(cap, np.int64)
    out_width = np.empty(cap, np.int64)
    k = 0
    for r in range(m):
        shift = -1
        for j in range(n):
            if not open_cells[r, j]:
                shift = j
                break
        if shift < 0:                                  # all open: one run from cell 0
            out_line[k], out_start[k], out_width[k] = r, 0, n
            k += 1
            continue
        # the line read from its first contact cell on, the index wrapped by hand (a modulo per cell was
        # most of this kernel's time on the area's cuts)
        i = 0
        c = shift
        while i < n:
            if open_cells[r, c]:
                first = i
                start = c
                while i < n and open_cells[r, c]:
                    i += 1
                    c += 1
                    if c == n:
                        c = 0
                out_line[k], out_start[k], out_width[k] = r, start, i - first
                k += 1
            else:
                i += 1
                c += 1
                if c == n:
                    c = 0
    return out_line[:k], out_start[:k], out_width[:k]


@njit(cache=True)
def line_run_sums(values, lines, starts, widths):
    """The sum of ``values`` (lines, cells) over each run of ``line_runs``, summed as
    kmc.mechanics.reduced.run_sums sums one line (a running sum from the line's first run's start,
    differenced), so a line's sums are its run_sums bit for bit."""
    n = values.shape[1]
    out = np.zeros(starts.size)
    cum = np.zeros(n + 1)
    k = 0
    while k < starts.size:
        r, shift = lines[k], starts[k]
        c = shift % n
        for i in range(n):
            cum[i + 1] = cum[i] + values[r, c]
            c += 1
            if c == n:
                c = 0
        while k < starts.size and lines[k] == r:
            off = (starts[k] - shift) % n
            out[k] = cum[off + widths[k]] - cum[off]
            k += 1
    return out


def wall_traction_MPa(walls: Walls, n: int, cell_um: float, surface_energy_J_m2) -> np.ndarray:
    """Per cell, the Laplace traction of the wall of the void it lies in (0 on contact cells): gamma
    over the radius of the circular arc of the void's chord and wall area.  ``surface_energy_J_m2``:
    one gamma, or one per void (an alloy's, at the composition below it)."""
    out = np.zeros(n)
    if walls.starts.size:
        kappa = chord_curvature_per_um(walls.widths * cell_um, walls.area_um2)
        traction = laplace_traction_MPa(surface_energy_J_m2, kappa)
        cells = (np.repeat(walls.starts, walls.widths) + np.arange(walls.widths.sum())
                 - np.repeat(np.cumsum(walls.widths) - walls.widths, walls.widths)) % n
        out[cells] = np.repeat(traction, walls.widths)
    return out


def entry_traction_MPa(traction: np.ndarray, held: np.ndarray, hole_width_um: np.ndarray, surface_energy_J_m2,
                       young_angle_deg: float, shape: str = "slot") -> np.ndarray:
    """Per cell the walls' traction with the holes a wetting metal spans (``held``: a hole of the face under a
    flat or pressed-in metal) drawing the metal in at the capillary entry pressure of their width
    (kmc.physics.foil_face.pore_entry_pressure_MPa; ``hole_width_um`` per cell, the hole's); unchanged for a metal
    the rim holds (theta >= 90 deg): a new array, or ``traction`` itself where nothing changes."""
    if held_at_rim(young_angle_deg) or not held.any():
        return traction
    out = traction.copy()
    gamma = np.broadcast_to(np.asarray(surface_energy_J_m2, float), traction.shape)
    out[held] = pore_entry_pressure_MPa(hole_width_um[held], gamma[held], young_angle_deg, shape)
    return out


def run_widths_um(walls: Walls, n: int, cell_um: float) -> np.ndarray:
    """Per cell the width (um) of the void it lies in (0 on contact cells)."""
    out = np.zeros(n)
    for k in range(walls.starts.size):
        out[walls.cells(k, n)] = walls.widths[k] * cell_um
    return out


def spanned_cells(walls: Walls, pore_um: np.ndarray) -> np.ndarray:
    """Per cell, in a void that is only a hole of the face under a flat (or pressed-in) metal roof:
    wall area <= 0 over a pore (kmc.mechanics.reduced holds such voids as holes of the islands)."""
    n = pore_um.size
    out = np.zeros(n, bool)
    holes = (walls.area_um2 <= 0) & (run_sums(pore_um > 0, walls.starts, walls.widths) > 0)
    for k in np.flatnonzero(holes):
        out[walls.cells(k, n)] = True
    return out


def grow(gap: np.ndarray, pore: np.ndarray, rim_fill: np.ndarray, open_cells: np.ndarray, capture_um_s: np.ndarray,
         closing_um_s: np.ndarray, dt: float, cell_um: float, mullins_um4_s: float, cap: VoidCap,
         local=None, rim_retreat: np.ndarray | None = None) -> np.ndarray:
    """The gaps after dt of capture and of the roof's closing (both held over the step): the new gap
    field (module docstring: what lands near a wall moves it, at most one cell per step, the rest
    deepens the roof).  A wall of height e advances by what lands on it over e; on a void wider than
    the cap of its area (its edges thinner than the Young angle's), less what surface diffusion draws
    the edge back in the same time (B / e^3); what cannot move it raises it.  (On a void narrower
    than its cap the pull is outward: ``relax`` widens it.)  ``rim_fill``: the part of each contact
    cell a neighbouring wall has emptied (0..1), updated in place.  ``local``: a function of a void's
    cells giving its (VoidCap, Mullins' B) where they vary along the interface (an alloy's composition,
    kmc.resolved.solute); None: ``cap`` and ``mullins_um4_s`` everywhere.  ``rim_retreat``: per contact
    cell, the share of what lands on a wall whose contact line sits at a pore's rim next to it, over a
    void wider than its cap (thin edges: the geometry of the kMC's receded mouth), that moves the line
    off the rim (kmc.physics.pore_edge.rim_retreat_share of the kMC's refill at the rim); the rest raises
    the void's metal over its whole width.  None: no pin
    (the section without [pore_edge] rows)."""
    new_gap = np.array(gap, dtype=float)
    grow_lines(new_gap.copy()[None, :], pore[None, :], rim_fill[None, :], np.asarray(open_cells, bool)[None, :],
               capture_um_s[None, :], closing_um_s[None, :], new_gap[None, :], dt, cell_um, mullins_um4_s, cap,
               None if local is None else (lambda _, cells: local(cells)),
               None if rim_retreat is None else rim_retreat[None, :])
    return new_gap


def grow_lines(gap, pore, rim_fill, open_cells, capture_um_s, closing_um_s, new_gap, dt: float, cell_um: float,
               mullins_um4_s: float, cap: VoidCap, local=None, rim_retreat=None) -> None:
    """``grow`` on every periodic line of (lines, cells) fields at once (an area's cuts across its
    tunnels, or the section), into ``new_gap`` (a copy of ``gap`` on entry); ``rim_fill`` in place;
    the voids are each line's runs of ``open_cells``, in ``line_runs``' order.  ``local``: a function
    of a run's (line, cells) giving its (VoidCap, B)."""
    lines, starts, widths = line_runs(np.ascontiguousarray(open_cells))
    if starts.size == 0:
        return
    k_sec = np.full(starts.size, cap.section_area_per_chord2)
    B = np.full(starts.size, float(mullins_um4_s))
    if local is not None:
        n = gap.shape[1]
        for q in range(starts.size):
            run_cap, B[q] = local(lines[q], (starts[q] + np.arange(widths[q])) % n)
            k_sec[q] = run_cap.section_area_per_chord2
    pinned = rim_retreat is not None
    _grow_runs(gap, pore, rim_fill, open_cells, capture_um_s, closing_um_s, new_gap, lines, starts, widths,
               float(dt), float(cell_um), k_sec, B, rim_retreat if pinned else np.zeros((1, 1)), pinned,
               SMALLEST_WALL_um)


def relax(gap: np.ndarray, pore: np.ndarray, rim_fill: np.ndarray, dt: float, cell_um: float, cap: VoidCap,
          mullins_um4_s: float, local=None, rewet: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Surface diffusion over dt, in place on ``gap`` (module docstring): a void wider than its cap
    draws its contact lines in, one narrower than its cap pushes them out at its walls' edge speed
    (emptying the next contact cells through ``rim_fill``, as capture does), and its wall relaxes
    toward the cap over its width in Mullins' time.  Returns the voids too narrow for a cell, as
    (cell, volume um^3 in the section's strip of one cell's depth), for the caller's sub-grid nuclei;
    their cells are closed.  ``local``: as ``grow``'s.  ``rewet``: per cell, the part (0..1) of an
    open end cell a retracting contact line has already passed over, carried from step to step and
    updated in place (None: none kept, every line starts its cell afresh each call).  ``relax_lines``
    on the section's one line."""
    shrunk = relax_lines(gap[None, :], pore[None, :], rim_fill[None, :], dt, cell_um, cap, mullins_um4_s,
                         None if local is None else (lambda _, cells: local(cells)),
                         None if rewet is None else rewet[None, :])
    return [(cell, volume) for (_, cell), volume in shrunk]


def relax_lines(gap: np.ndarray, pore: np.ndarray, rim_fill: np.ndarray, dt: float, cell_um: float, cap: VoidCap,
                mullins_um4_s: float, local=None, rewet: np.ndarray | None = None) -> list[tuple[tuple[int, int], float]]:
    """``relax`` on every periodic line of a (lines, cells) gap field at once (an area's cuts across its
    tunnels, or the section), in place on ``gap``, ``rim_fill`` and ``rewet`` (arrays or views of
    them); the voids are each line's runs of open cells, taken in ``line_runs``' order.  ``local``: a
    function of a run's (line, cells) giving its (VoidCap, B).  Returns the voids dropped below a
    cell as ((line, cell), volume um^3)."""
    if mullins_um4_s <= 0:
        return []
    lines, starts, widths = line_runs(gap > 0)
    if starts.size == 0:
        return []
    caps = [cap] * starts.size
    B = np.full(starts.size, float(mullins_um4_s))
    if local is not None:
        n = gap.shape[1]
        for q in range(starts.size):
            caps[q], B[q] = local(lines[q], (starts[q] + np.arange(widths[q])) % n)
    if local is None:       # one cap for every run: its row once
        shape = np.tile([*_sin_cos(cap), cap.section_area_per_chord2, cap.volume_per_radius3], (starts.size, 1))
    else:
        shape = np.array([[*_sin_cos(c), c.section_area_per_chord2, c.volume_per_radius3] for c in caps])
    dropped = np.zeros((starts.size, 3))
    if rewet is None:
        rewet = np.zeros(gap.shape)
    count = _relax_runs(gap, np.ascontiguousarray(pore, dtype=float), rim_fill, rewet, lines, starts, widths, float(dt),
                        float(cell_um), shape, B, dropped, _SQUARE, SMALLEST_WALL_um)
    return [((int(r), int(c)), float(v)) for r, c, v in dropped[:count]]


def cap_profile(width_cells: int, area_um2: float, cell_um: float, angle_rad: float) -> np.ndarray:
    """The equilibrium 2-D void of this area over ``width_cells`` cells: a circular segment meeting
    the electrolyte at the void angle, scaled to the area (a cap of another width at the same
    area is not asked for: the rim rules set the width)."""
    return _cap_profile(width_cells, area_um2, cell_um, *_sin_cos(VoidCap(angle_rad)), _SQUARE)


def _sin_cos(cap: VoidCap) -> tuple[float, float]:
    """The sine and cosine of the cap's angle as kmc.physics.nucleation.VoidCap's own geometry gives them
    (bit for bit what its height_at uses), for the compiled cap profile: the footprint of a sphere of
    radius 1 (R sin a), and minus the height of that sphere's cap at distance 1 from its axis
    (sqrt(1 - 1) - cos a)."""
    sin_a = cap.base_radius(1.0)
    return sin_a, -float(cap.height_at(sin_a, 1.0))


# ---------------------------------------------------------------- compiled kernels of relax (one rule,
# the section's line and an area's lines): floating-point operations in the order of the numpy
# expressions they replaced, sums as numpy's pairwise sum, so the section's bits are kept.  A square
# is libm's pow(x, 2.0), as Python's float ** 2 computes it: the exponent is passed in (_SQUARE), as
# LLVM folds a constant one into x * x, which differs in the last bit in ~1 case in 1000.
_SQUARE = np.array([2.0])


@njit(cache=True)
def _pairwise_block(a, lo, n):
    """numpy's pairwise sum of a[lo:lo + n] for n <= 128 (its unrolled block)."""
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[lo + i]
        return res
    # the eight accumulators as scalars (an array of eight was an allocation per call, and the walls' kernels
    # sum every run's cells a few times a step)
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        k = lo + i
        r0 += a[k]
        r1 += a[k + 1]
        r2 += a[k + 2]
        r3 += a[k + 3]
        r4 += a[k + 4]
        r5 += a[k + 5]
        r6 += a[k + 6]
        r7 += a[k + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True)
def _pairwise_sum(a, lo, n):
    """numpy's pairwise sum of a[lo:lo + n] (np.sum's order, bit for bit): blocks of <= 128, above
    that the two halves (the first a multiple of 8) summed apart, walked with a stack (no recursion)."""
    if n <= 128:                                     # one block: no stack (most runs are a few cells wide)
        return _pairwise_block(a, lo, n)
    los, ns, stage, left = np.empty(64, np.int64), np.empty(64, np.int64), np.zeros(64, np.int64), np.empty(64)
    top = 0
    los[0], ns[0], stage[0] = lo, n, 0
    while True:
        m = ns[top]
        if m > 128:                                  # descend into the first half
            half = m // 2 - (m // 2) % 8
            stage[top] = 1
            top += 1
            los[top], ns[top], stage[top] = los[top - 1], half, 0
            continue
        v = _pairwise_block(a, los[top], m)
        top -= 1
        while top >= 0 and stage[top] == 2:          # a second half done: add it to its first
            v = left[top] + v
            top -= 1
        if top < 0:
            return v
        left[top] = v                                # a first half done: the second half next
        stage[top] = 2
        half = ns[top] // 2 - (ns[top] // 2) % 8
        top += 1
        los[top], ns[top], stage[top] = los[top - 1] + half, ns[top - 1] - half, 0


@njit(cache=True)
def _reshaping_time_s(size_um, mullins_um4_s):
    """kmc.physics.surface.reshaping_time_s (Mullins' r^4 / B), compiled."""
    if mullins_um4_s <= 0:
        return np.inf
    return size_um ** 4.0 / mullins_um4_s


@njit(cache=True)
def _edge_speed_um_s(height_um, mullins_um4_s):
    """kmc.physics.surface.edge_speed_um_s (B / h^3), compiled."""
    return mullins_um4_s / max(height_um, 1e-12) ** 3.0


@njit(cache=True)
def _cap_profile(width_cells, area_um2, cell_um, sin_a, cos_a, square):
    """cap_profile: the cap's cut through its axis (kmc.physics.nucleation.VoidCap.height_at) over
    the void's cells, scaled to its area."""
    y = np.empty(width_cells)
    _cap_profile_into(y, width_cells, area_um2, cell_um, sin_a, cos_a, square)
    return y


@njit(cache=True)
def _cap_profile_into(y, width_cells, area_um2, cell_um, sin_a, cos_a, square):
    """_cap_profile into y[:width_cells] (the relaxation's kernel reuses one array for every run)."""
    w = width_cells * cell_um
    r_sphere = (w / 2) / sin_a
    for i in range(width_cells):
        d = (i + 0.5) * cell_um - w / 2
        y[i] = max(np.sqrt(r_sphere ** square[0] - d * d) - r_sphere * cos_a, 0.0)
    total = _pairwise_sum(y, 0, width_cells) * cell_um
    if total > 0:
        scale = area_um2 / total
        for i in range(width_cells):
            y[i] = y[i] * scale
    else:
        for i in range(width_cells):
            y[i] = area_um2 / w


@njit(cache=True)
def _retract(e, lo, size, side, time_s, keep_from, keep_to, cell_um, mullins_um4_s, wet, smallest_wall_um):
    """Move one contact line of the void whose metal heights are e[lo:lo + size] inward for ``time_s``
    at its edge's speed B / e_end^3, one cell at a time: a cell it passes re-wets and its height joins
    the next (the rim a retracting edge gathers, which slows it: Wong et al. 2000's t^(2/5)).  It stops
    at the cells [keep_from, keep_to) of the void (a pore's rim, or the cap's width).  ``wet`` (2,)
    carries the part of the end cell already passed over to the next step.  Returns (lo, size)."""
    idx = 0 if side < 0 else 1
    while size > 1:
        i = 0 if side < 0 else size - 1
        if keep_from <= i < keep_to:
            break
        speed = _edge_speed_um_s(max(e[lo + i], smallest_wall_um), mullins_um4_s)
        need = (1.0 - wet[idx]) * cell_um / speed
        if need > time_s:
            wet[idx] += time_s * speed / cell_um
            return lo, size
        time_s -= need
        wet[idx] = 0.0
        j = i + 1 if side < 0 else i - 1
        e[lo + j] += max(e[lo + i], 0.0)
        size -= 1
        if side < 0:
            lo += 1
            keep_from, keep_to = keep_from - 1, keep_to - 1
    return lo, size


@njit(cache=True)
def _widest(widths):
    """The widest run's width (1 with no run)."""
    widest = 1
    for w in widths:
        widest = max(widest, w)
    return widest


@njit(cache=True, inline="always")
def _run_cells_of(start, width, n, cells):
    """The run's cells along its periodic line of n into cells[:width]: (start + i) % n, wrapped by hand."""
    c = start % n
    for i in range(width):
        cells[i] = c
        c += 1
        if c == n:
            c = 0


@njit(cache=True)
def _relax_runs(gap, pore, rim_fill, rewet, lines, starts, widths, dt, h, shape, mullins, dropped, square,
                smallest_wall_um):
    """relax_lines' rule on each run (line, start, width), in order; ``shape`` per run: sin and cos of
    its cap's angle, its section's area per chord^2 and its volume per base radius^3; ``mullins``: B
    per run; ``square``: _SQUARE; ``smallest_wall_um``: SMALLEST_WALL_um.  ``rewet``: per cell, the
    part of an open end cell a retracting contact line has passed over: read at the run's two end
    cells, cleared over the run, and written back on the end cells its lines have not yet crossed
    (none for a void narrower than its cap).  Writes the dropped voids' (line, cell, volume) into
    ``dropped``; returns how many."""
    n = gap.shape[1]
    count = 0
    # every run's working arrays, allocated once for the widest (an allocation per run and array, with the
    # sums' own, was half the kernel's time on the 160 x 40 um area's ~4,500 runs a step)
    widest = _widest(widths)
    cells = np.empty(widest, np.int64)
    e = np.empty(widest + 2)                                   # room for a cell gained on each side
    target = np.empty(widest + 2)
    wet = np.empty(2)                                          # the progress a run's two lines carry in
    for q in range(starts.size):
        r, w, B = lines[q], widths[q], mullins[q]
        _run_cells_of(starts[q], w, n, cells)
        wet[0], wet[1] = rewet[r, cells[0]], rewet[r, cells[w - 1]]
        for i in range(w):
            rewet[r, cells[i]] = 0.0
        lo, hi = w, 0                                          # the cells a contact line may not pass:
        for i in range(w):                                     # the pores (their rims pin it) and, with
            e[i + 1] = gap[r, cells[i]] - pore[r, cells[i]]    # metal area, the cap's own width about the
            if pore[r, cells[i]] > 0:                          # void's middle
                if lo == w:
                    lo = i
                hi = i + 1
        area = _pairwise_sum(e, 1, w) * h
        cap_cells = int(np.rint(np.sqrt(max(area, 0.0) / shape[q, 2]) / h))
        if cap_cells == 0 and area > 0:
            base_um = (area * h / shape[q, 3]) ** (1 / 3)
            if not math.pi * base_um ** square[0] < h ** square[0]:        # a cap of this volume would cover its cell
                cap_cells = 1
        if cap_cells > 0:
            mid = 0.5 * w
            lo, hi = min(lo, int(np.rint(mid - 0.5 * cap_cells))), max(hi, int(np.rint(mid + 0.5 * cap_cells)))
        if hi <= lo:                                           # no metal left over a pore-free void
            for i in range(w):
                gap[r, cells[i]] = 0.0
            if area > 0:
                dropped[count, 0], dropped[count, 1], dropped[count, 2] = r, cells[np.argmax(e[1:w + 1])], area * h
                count += 1
            continue
        left, right = 0, 0
        first, size = 1, w
        if cap_cells > w and area > 0:
            # narrower than its cap: its contact lines go out at the pace of Mullins' relaxation of
            # the whole, each emptying its next contact cell through rim_fill, not past another void
            whole = (cap_cells - w) * h * (1 - math.exp(-dt / _reshaping_time_s(0.5 * (w * h), B)))
            for side in (-1, 1):
                k = (cells[0] - 1) % n if side < 0 else (cells[w - 1] + 1) % n
                if gap[r, k] > 0:
                    continue
                rim_fill[r, k] += 0.5 * whole / h
                if rim_fill[r, k] >= 1.0:
                    rim_fill[r, k] = 0.0
                    if side < 0:
                        left = 1
                    else:
                        right = 1
            e[0], e[w + 1] = 0.0, 0.0
            first, size = 1 - left, w + left + right
        else:
            # wider than its cap: surface diffusion draws its contact lines in (to a pore's rim or the cap)
            first, size = _retract(e, 1, w, -1, dt, lo, hi, h, B, wet, smallest_wall_um)
            gone = first - 1                                   # cells re-wetted on the left
            first, size = _retract(e, first, size, 1, dt, lo - gone, hi - gone, h, B, wet, smallest_wall_um)
            # what each line has passed of the cell it is in, kept for the next step (one cell left:
            # the larger; its lines cannot move until it widens)
            c_left, c_right = (cells[0] + first - 1) % n, (cells[0] + first + size - 2) % n
            rewet[r, c_left] = wet[0]
            rewet[r, c_right] = max(wet[1], wet[0]) if c_right == c_left else wet[1]
        for i in range(w):
            gap[r, cells[i]] = 0.0
        # the profile relaxes toward the cap of its area over its width in Mullins' time (over a pore
        # with no metal area: toward the flat roof)
        f = math.exp(-dt / _reshaping_time_s(0.5 * size * h, B))
        if area > 0:
            _cap_profile_into(target, size, area, h, shape[q, 0], shape[q, 1], square)
        else:
            target[:size] = 0.0
        c = (cells[0] + first - 1) % n                         # the kept cells, from the first one on
        for i in range(size):
            gap[r, c] = pore[r, c] + target[i] + (e[first + i] - target[i]) * f
            c += 1
            if c == n:
                c = 0
    return count


@njit(cache=True)
def _grow_runs(gap, pore, rim_fill, open_cells, capture, closing, new_gap, lines, starts, widths, dt, h, k_sec,
               mullins, retreat, pinned, smallest_wall_um):
    """grow_lines' rule on each run (line, start, width), in order (grow's docstring and comments);
    ``k_sec`` per run: its cap's section area per chord^2; ``mullins``: B per run; ``retreat``: the
    rim's retreat share per cell where ``pinned``; ``smallest_wall_um``: SMALLEST_WALL_um."""
    n = gap.shape[1]
    # every run's working arrays, allocated once for the widest (as _relax_runs)
    widest = _widest(widths)
    cells = np.empty(widest, np.int64)
    g = np.empty(widest)
    e = np.empty(widest)
    metal = np.empty(widest)
    left = np.empty(widest, np.bool_)
    right = np.empty(widest, np.bool_)
    landed = np.empty(widest)
    for q in range(starts.size):
        r, w, B = lines[q], widths[q], mullins[q]
        _run_cells_of(starts[q], w, n, cells)
        for i in range(w):
            c = cells[i]
            g[i] = gap[r, c] - closing[r, c] * dt
            metal[i] = g[i] - pore[r, c]
            e[i] = max(metal[i], 0.0)
        # a wall is as tall as its end cell, or the void's mean height where its end cell is lower (a
        # flat void's edge is a wall as tall as the void; a shallow end cell that creep is closing does
        # not make the contact line run away)
        mean = _pairwise_sum(e, 0, w) / w
        wall_left = max(e[0], mean, smallest_wall_um)
        wall_right = max(e[w - 1], mean, smallest_wall_um)
        thin = w * h >= np.sqrt(max(_pairwise_sum(metal, 0, w) * h, 0.0) / k_sec[q])
        for i in range(w):
            x = (i + 0.5) * h                           # the cell's distance from the left line
            left[i] = (x <= max(wall_left, 0.5 * h)) and (x <= 0.5 * w * h)
            right[i] = ((w * h - x) <= max(wall_right, 0.5 * h)) and not left[i]
        left[0] = True                                  # each wall takes at least its end cell
        right[w - 1] = right[w - 1] or w > 1
        for i in range(w):
            if not (left[i] or right[i]):
                g[i] += capture[r, cells[i]] * dt
            new_gap[r, cells[i]] = g[i]
        for side in (-1, 1):
            m = 0
            for i in range(w):
                if (left[i] if side < 0 else right[i]):
                    landed[m] = capture[r, cells[i]]
                    m += 1
            area = _pairwise_sum(landed, 0, m) * h * dt
            height = wall_left if side < 0 else wall_right
            end_cell = cells[0] if side < 0 else cells[w - 1]
            if area <= 0:
                continue
            if height <= smallest_wall_um:                  # no wall: it lands on the end cell's roof
                new_gap[r, end_cell] += area / h
                continue
            k = (end_cell + side) % n
            if pinned and thin and pore[r, end_cell] > 0 and pore[r, k] <= 0:
                # the contact line sits at a pore's rim over a void wider than its cap (the kMC's receded
                # mouth; a narrower void's Young angle pushes its line out, which the records do not
                # measure): what the rim's refill gives back stays in the void, raising its metal over its
                # whole width toward the cap of its area (once taller than that cap the void is no longer
                # thin and the pin lifts); only the rest can move the line.  Put on the wall's own cells
                # it dug shafts: a deeper wall caught more, up to 891 um in a 98 um foil
                # (benchmarks/alloy_verdict.py, case 'Li-Mg face seed 2')
                raised = area * (1.0 - retreat[r, k]) / (w * h)
                for i in range(w):
                    new_gap[r, cells[i]] += raised
                area *= retreat[r, k]
                if area <= 0:
                    continue
            held_back = _edge_speed_um_s(height, B) * dt * height if B > 0 and thin else 0.0
            if area <= held_back:                           # the edge's own pull keeps it: the wall rises
                new_gap[r, end_cell] += area / h
                continue
            new_gap[r, end_cell] += held_back / h
            cells_worth = (area - held_back) / (height * h)
            if cells_worth > 1.0:
                # a contact line moves at most one cell per step; the rest of what landed on the wall
                # raises it (a thin void crushed by the plunger would otherwise run out across the
                # contact within a step: the one process faster than the step)
                new_gap[r, end_cell] += (cells_worth - 1.0) * height
                cells_worth = 1.0
            if new_gap[r, k] > 0 or open_cells[r, k]:       # met another void: the wall rises
                new_gap[r, end_cell] += cells_worth * height
                continue
            need = 1.0 - rim_fill[r, k]
            if cells_worth >= need:
                new_gap[r, k] = height + pore[r, k]         # emptied at the wall's height
                rim_fill[r, k] = 0.0
                new_gap[r, end_cell] += (cells_worth - need) * height
            else:
                rim_fill[r, k] += cells_worth
