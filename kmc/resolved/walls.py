"""The metal's wall over each void of the section (issue 54 item 3): where it is, how much it bulges,
what its capillarity pulls with, how captured volume moves it, and how surface diffusion reshapes
it; shared by the press (kmc.resolved.assembly) and the time loop (kmc.resolved.interface).

The electrolyte's face is the envelope of its particle tops (smooth: nm over um) less its open
pores, of depth p(x) (kmc.resolved.assembly); the gap g(x) lies between the face and the metal, so
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
  pore's rim (Li is non-wetting on Li6PS5Cl's walls, theta > 90 deg: Gibbs' pinning at the edge); a
  void whose cap is narrower than a cell becomes a sub-grid nucleus of its volume.
* The rim's pin (issue 55, the kMC's [pore_edge] records; docs/pore_edge.md section 8): capture does not
  move a contact line off a pore's rim over a void wider than its cap (the kMC's receded mouth): there a
  gap under the electrolyte refills into the pore's metal (the kMC's rim_refill_probability), so what
  lands on such a wall raises the void's metal over its width (toward the cap of its area, where the
  pin lifts), but for kmc.physics.pore_edge.rim_retreat_share of it.  A void narrower than its cap is pushed out by its
  Young angle, which the records do not measure: capture moves its lines as before."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc.mechanics.reduced import run_sums, runs
from kmc.physics.capillarity import chord_curvature_per_um, equilibrium_chord_um, laplace_traction_MPa
from kmc.physics.nucleation import VoidCap
from kmc.physics.surface import edge_speed_um_s, reshaping_time_s

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
    """Every void's cells and wall area (module docstring)."""
    starts, widths = runs(gap_um > 0)
    return Walls(starts, widths, run_sums(gap_um - pore_um, starts, widths) * cell_um)


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


def spanned_cells(walls: Walls, pore_um: np.ndarray) -> np.ndarray:
    """Per cell, in a void that is only a hole of the face under a flat (or pressed-in) metal roof:
    wall area <= 0 over a pore (kmc.mechanics.reduced holds such voids as holes of the islands)."""
    n = pore_um.size
    out = np.zeros(n, bool)
    holes = (walls.area_um2 <= 0) & (run_sums(pore_um > 0, walls.starts, walls.widths) > 0)
    for k in np.flatnonzero(holes):
        out[walls.cells(k, n)] = True
    return out


def cap_profile(width_cells: int, area_um2: float, cell_um: float, angle_rad: float) -> np.ndarray:
    """The equilibrium 2-D void of this area over ``width_cells`` cells: a circular segment meeting
    the electrolyte at the void angle, scaled to the area (a cap of another width at the same
    area is not asked for: the rim rules set the width)."""
    x = (np.arange(width_cells) + 0.5) * cell_um
    w = width_cells * cell_um
    # the cap's cut through its axis (kmc.physics.nucleation.VoidCap): the same arc
    y = np.maximum(VoidCap(angle_rad).height_at(w / 2, x - w / 2), 0.0)
    total = y.sum() * cell_um
    return y * (area_um2 / total) if total > 0 else np.full(width_cells, area_um2 / w)


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
    n, h = gap.size, cell_um
    B = mullins_um4_s
    new_gap = gap.copy()
    starts, widths = runs(open_cells)
    for s0, w in zip(starts, widths):
        cells = (s0 + np.arange(w)) % n
        if local is not None:
            cap, B = local(cells)
        g = gap[cells] - closing_um_s[cells] * dt
        e = np.maximum(g - pore[cells], 0.0)
        x = (np.arange(w) + 0.5) * h                              # each cell's distance from the left line
        # a wall is as tall as its end cell, or the void's mean height where its end cell is lower (a
        # flat void's edge is a wall as tall as the void; a shallow end cell that creep is closing does
        # not make the contact line run away)
        mean = float(e.mean())
        walls = (max(e[0], mean, SMALLEST_WALL_um), max(e[-1], mean, SMALLEST_WALL_um))
        thin = w * h >= float(equilibrium_chord_um(float((g - pore[cells]).sum()) * h, cap))
        left = (x <= max(walls[0], 0.5 * h)) & (x <= 0.5 * w * h)
        right = ((w * h - x) <= max(walls[1], 0.5 * h)) & ~left
        left[0], right[-1] = True, right[-1] or w > 1           # each wall takes at least its end cell
        roof = ~(left | right)
        g[roof] += capture_um_s[cells[roof]] * dt
        new_gap[cells] = g
        for side, mask, height, end in ((-1, left, walls[0], 0), (1, right, walls[1], w - 1)):
            area = float(capture_um_s[cells[mask]].sum()) * h * dt
            end_cell = cells[end]
            if area <= 0:
                continue
            if height <= SMALLEST_WALL_um:                         # no wall: it lands on the end cell's roof
                new_gap[end_cell] += area / h
                continue
            k = (end_cell + side) % n
            if rim_retreat is not None and thin and pore[end_cell] > 0 and pore[k] <= 0:
                # the contact line sits at a pore's rim over a void wider than its cap (the kMC's receded
                # mouth; a narrower void's Young angle pushes its line out, which the records do not
                # measure): what the rim's refill gives back stays in the void, raising its metal over its
                # whole width toward the cap of its area (once taller than that cap the void is no longer
                # thin and the pin lifts); only the rest can move the line.  Put on the wall's own cells
                # it dug shafts: a deeper wall caught more, up to 891 um in a 98 um foil (issue 55's
                # alloy verdict, Li-Mg's face seed 2)
                new_gap[cells] += area * (1.0 - rim_retreat[k]) / (w * h)
                area *= rim_retreat[k]
                if area <= 0:
                    continue
            held_back = edge_speed_um_s(height, B) * dt * height if B > 0 and thin else 0.0
            if area <= held_back:                                  # the edge's own pull keeps it: the wall rises
                new_gap[end_cell] += area / h
                continue
            new_gap[end_cell] += held_back / h
            cells_worth = (area - held_back) / (height * h)
            if cells_worth > 1.0:
                # a contact line moves at most one cell per step; the rest of what landed on the wall
                # raises it (a thin void crushed by the plunger would otherwise run out across the
                # contact within a step: the one process faster than the step)
                new_gap[end_cell] += (cells_worth - 1.0) * height
                cells_worth = 1.0
            if new_gap[k] > 0 or open_cells[k]:                    # met another void: the wall rises
                new_gap[end_cell] += cells_worth * height
                continue
            need = 1.0 - rim_fill[k]
            if cells_worth >= need:
                new_gap[k] = height + pore[k]                      # emptied at the wall's height
                rim_fill[k] = 0.0
                new_gap[end_cell] += (cells_worth - need) * height
            else:
                rim_fill[k] += cells_worth
    return new_gap


def _subgrid(volume_um3: float, cap: VoidCap, cell_um: float) -> bool:
    """A void of this volume (in the section's strip of one cell's depth) as a 3-D cap covers less
    than its cell: the same line the time loop's sub-grid nuclei cross when they open a cell (their
    caps cover it), so a void and a nucleus do not pass a cell back and forth."""
    base_um = (volume_um3 / cap.volume_per_radius3) ** (1 / 3)
    return math.pi * base_um ** 2 < cell_um ** 2


def _retract(e: np.ndarray, end: int, side: int, time_s: float, keep_from: int, keep_to: int,
             cell_um: float, mullins_um4_s: float, wet: np.ndarray) -> tuple[np.ndarray, float]:
    """Move one contact line of a void whose metal heights are ``e`` inward for ``time_s`` at its
    edge's speed B / e_end^3, one cell at a time: a cell it passes re-wets and its area joins the
    next (the rim a retracting edge gathers, which slows it: Wong et al. 2000's t^(2/5)).  It stops
    at the cells [keep_from, keep_to) (a pore's rim, or the cap's width).  ``wet`` (2,) carries the
    part of the end cell already passed over to the next step.  Returns (e, time left)."""
    idx = 0 if side < 0 else 1
    while e.size > 1 and (0 if side < 0 else e.size - 1) not in range(keep_from, keep_to):
        i = 0 if side < 0 else e.size - 1
        speed = edge_speed_um_s(max(e[i], SMALLEST_WALL_um), mullins_um4_s)
        need = (1.0 - wet[idx]) * cell_um / speed
        if need > time_s:
            wet[idx] += time_s * speed / cell_um
            return e, 0.0
        time_s -= need
        wet[idx] = 0.0
        j = i + 1 if side < 0 else i - 1
        e = e.copy()
        e[j] += max(e[i], 0.0)
        e = e[1:] if side < 0 else e[:-1]
        if side < 0:
            keep_from, keep_to = keep_from - 1, keep_to - 1
    return e, time_s


def _spread(gap: np.ndarray, cells: np.ndarray, cap_cells: int, rim_fill: np.ndarray, dt: float,
            cell_um: float, mullins_um4_s: float) -> np.ndarray:
    """Push the contact lines of a void narrower than its cap out for dt at the pace of Mullins'
    relaxation of the whole (its walls are steeper than the Young angle, so no edge of it is thin):
    each empties its next contact cell through ``rim_fill`` and takes it when it is empty, not past
    another void.  Returns the void's cells and the cells it took on (left, right)."""
    n, h = gap.size, cell_um
    w_um = cells.size * h
    whole = (cap_cells - cells.size) * h * (1 - math.exp(-dt / reshaping_time_s(0.5 * w_um, mullins_um4_s)))
    out, added = cells, [0, 0]
    for side in (-1, 1):
        k = (out[0] - 1) % n if side < 0 else (out[-1] + 1) % n
        if gap[k] > 0:                                         # another void there: they have met
            continue
        rim_fill[k] += 0.5 * whole / h
        if rim_fill[k] >= 1.0:
            rim_fill[k] = 0.0
            out = np.concatenate([[k], out]) if side < 0 else np.concatenate([out, [k]])
            added[0 if side < 0 else 1] = 1
    return out, added


def relax(gap: np.ndarray, pore: np.ndarray, rim_fill: np.ndarray, dt: float, cell_um: float, cap: VoidCap,
          mullins_um4_s: float, local=None) -> list[tuple[int, float]]:
    """Surface diffusion over dt, in place on ``gap`` (module docstring): a void wider than its cap
    draws its contact lines in (``_retract``), one narrower than its cap pushes them out at its
    walls' edge speed (emptying the next contact cells through ``rim_fill``, as capture does), and
    its wall relaxes toward the cap over its width in Mullins' time.  Returns the voids too narrow
    for a cell, as (cell, volume um^3 in the section's strip of one cell's depth), for the caller's
    sub-grid nuclei; their cells are closed.  ``local``: as ``grow``'s."""
    n, h = gap.size, cell_um
    shrunk = []
    if mullins_um4_s <= 0:
        return shrunk
    starts, widths = runs(gap > 0)
    for s0, w in zip(starts, widths):
        cells = (s0 + np.arange(w)) % n
        B = mullins_um4_s
        if local is not None:
            cap, B = local(cells)
        e = gap[cells] - pore[cells]
        area = float(e.sum()) * h
        pinned = np.flatnonzero(pore[cells] > 0)
        # the cells a contact line may not pass: the pores (their rims pin it) and, with metal area,
        # the cap's own width about the void's middle
        lo, hi = (int(pinned[0]), int(pinned[-1]) + 1) if pinned.size else (w, 0)
        cap_cells = int(round(float(equilibrium_chord_um(max(area, 0.0), cap)) / h))
        if cap_cells == 0 and area > 0 and not _subgrid(area * h, cap, h):
            cap_cells = 1                  # a cap of this volume would cover its cell: it stays one
        if cap_cells > 0:
            mid = 0.5 * w
            lo, hi = min(lo, int(round(mid - 0.5 * cap_cells))), max(hi, int(round(mid + 0.5 * cap_cells)))
        if hi <= lo:                                           # no metal left over a pore-free void
            gap[cells] = 0.0
            if area > 0:
                shrunk.append((int(cells[int(np.argmax(e))]), area * h))
            continue
        if cap_cells > w and area > 0:
            kept, added = _spread(gap, cells, cap_cells, rim_fill, dt, h, B)
            e = np.concatenate([np.zeros(added[0]), e, np.zeros(added[1])])
        else:
            wet = np.zeros(2)
            e, _ = _retract(e, 0, -1, dt, lo, hi, h, B, wet)
            first = w - e.size                                 # cells re-wetted on the left
            e, _ = _retract(e, e.size - 1, 1, dt, lo - first, hi - first, h, B, wet)
            kept = cells[first:first + e.size]
        gap[cells] = 0.0
        # the profile relaxes toward the cap of its area over its width in Mullins' time (over a pore
        # with no metal area: toward the flat roof)
        f = math.exp(-dt / reshaping_time_s(0.5 * e.size * h, B))
        target = cap_profile(e.size, area, h, cap.angle_rad) if area > 0 else np.zeros(e.size)
        gap[kept] = pore[kept] + target + (e - target) * f
    return shrunk
