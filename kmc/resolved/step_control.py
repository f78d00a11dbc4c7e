"""The gap model's step control (docs/mechanics.md section 6): how long a step may be (``step_limits_s``: an
open cell's gap, a fast sub-grid nucleus covering its cell (kmc.resolved.nuclei), nucleation's burst, the
floors) and how far the rigid plunger lowers the metal in a step, implicitly (``implicit_descent_um``), for the
section and the area alike."""
from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from kmc import units
from kmc.jit import line_or_plane, numpy_maximum

# Numerics of the step (docs/mechanics.md section 6): the expected new nuclei per cell per step
# where nucleation is fastest, and the shortest step nucleation may ask for, as a fraction of the
# largest (14 us at 0.5 mA/cm^2).  Li at 0.2 MPa, S = 134, 160 um at 0.25 um, seed 1: 210 nuclei in
# the first burst at 0.3 per cell with the 1e-3 floor (the count was the step's, not I(S)'s), 18 at
# 0.03, 5 at 0.003 and at 0.0003 (floors 1e-6, 1e-7): converged at 0.003.  Once nuclei are there a
# step may add NUCLEI_GAIN_PER_STEP of their number: Li at 1 MPa and 20 mA/cm^2 (S = 342, shipped
# inputs) gives the same run at 0.1 and 0.03 (2189 steps, 2117 nuclei, contact 0.263).
NUCLEI_PER_CELL_PER_STEP = 0.003
NUCLEI_GAIN_PER_STEP = 0.1
NUCLEATION_FLOOR_FRACTION = 1e-6
# An open cell's gap changes by at most GAP_CHANGE_FRACTION of itself + GAP_CHANGE_UM per step
# (docs/mechanics.md section 6).
GAP_CHANGE_FRACTION = 0.25
GAP_CHANGE_UM = 0.01


def allowed_gap_change_um(gap_um: np.ndarray) -> np.ndarray:
    """How far a step may move an open cell's gap (um): a quarter of it + 10 nm."""
    return GAP_CHANGE_FRACTION * gap_um + GAP_CHANGE_UM


def largest_step_s(inp) -> float:
    """The longest step (s) of the gap model's inputs ``inp`` (kmc.resolved.gap.GapInputs): meso.max_step_mAh_cm2 of
    charge at the run's current (60 s without one)."""
    return inp.max_step_mAh_cm2 * units.S_PER_H / inp.current_mA_cm2 if inp.current_mA_cm2 > 0 else 60.0


def shortest_step_s(inp) -> float:
    """The shortest step physics may ask of the gap model (step_limit_s: nucleation's floor), the finest
    time it resolves."""
    return NUCLEATION_FLOOR_FRACTION * largest_step_s(inp)


def step_limits_s(inp, gap: np.ndarray, net, moving, nuclei: np.ndarray, nuclei_limit_s,
                  now: dict) -> tuple[float, dict]:
    """The step of the gap model (s) and each limit's value: ``net`` the open cells' explicit gap change
    (capture into the interior, less the roof's closing relative to the plunger; None without open
    cells), ``moving`` the open cells where it is nonzero; ``nuclei`` the sub-grid nuclei per cell and
    ``nuclei_limit_s(dt)`` their bound on a step of dt (kmc.resolved.nuclei.cover_time_s: a fast nucleus covering
    its cell; inf: none); ``now`` the step's rates."""
    limits = {}
    largest = largest_step_s(inp)
    dt = largest
    if moving is not None and moving.any():
        # an open cell's gap changes by at most a quarter (+ 10 nm) per step (the plunger's own
        # descent is implicit)
        limits["gap"] = float(np.min(allowed_gap_change_um(gap[moving]) / np.abs(net[moving])))
        dt = min(dt, limits["gap"])
    # the nuclei that would outgrow their bound in dt are integrated on their own (kmc.resolved.nuclei); the step
    # ends when one of them covers its cell
    bound = nuclei_limit_s(dt)
    if bound < dt:
        limits["nuclei"] = bound
        dt = bound
    # a floor (1e-3 of the largest step, 14 ms at 0.5 mA/cm^2) against a cell whose gap is about to
    # vanish under a fast roof; the plunger is implicit and each rim moves at most one cell per step,
    # which is what keeps the near-punch regime stable
    dt = max(dt, 1e-3 * largest)
    # nucleation: so that the nuclei a step makes feel the field they lower (S falls from 134 to ~2
    # once they grow), a step adds at most NUCLEI_PER_CELL_PER_STEP new nuclei per cell where
    # nucleation is fastest, or, once nuclei are there, NUCLEI_GAIN_PER_STEP of their number over the
    # interface (a population that collapses as fast as it forms, at 7 MPa, then takes steps of its
    # own size); the floor above does not override it (it guards a closing roof, not a burst), only
    # NUCLEATION_FLOOR_FRACTION of the largest step does
    peak = float(now["nucleation"].max()) if now["nucleation"].size else 0.0
    if peak > 0:
        limits["nucleation"] = max(NUCLEI_PER_CELL_PER_STEP / peak,
                                   NUCLEI_GAIN_PER_STEP * float(nuclei.sum()) / float(now["nucleation"].sum()))
        dt = min(dt, max(limits["nucleation"], NUCLEATION_FLOOR_FRACTION * largest))
    return dt, limits


class ShallowestFirst:
    """The open cells' gaps in rising order (ties by cell index: a stable sort), sorted only as far as
    implicit_descent_um asks: the SHALLOWEST (256) shallowest cells at first (a partition, O(N)), and each time a
    trial reaches past those, GROWTH (4) times as many, or at least as many as the trial asks (all of them once
    that is most).  A step closes a few cells, so a full sort of ~10^5 open gaps (5 ms on 160 x 640 cells, 6 % of a
    step late in an area's run) is rarely needed, and a step that closes a few hundred (a third of the late steps
    of 160 x 40 um at 1.5 MPa reach past the first 256) sorts a thousand; the order is the full sort's, so the
    trials and the descent are those of sorting everything, bit for bit."""
    SHALLOWEST = 256
    GROWTH = 4

    def __init__(self, gap: np.ndarray, cells: np.ndarray):
        self._all, self._levels_all = cells, gap[cells]     # the open cells' indices into the gaps (flat), their gaps
        self.size = cells.size
        self._sort(self.SHALLOWEST)

    def _sort(self, wanted: int) -> None:
        """The ``wanted`` shallowest in order (and those tied with the last of them), or all the open cells."""
        cells, levels = self._all, self._levels_all
        if cells.size > wanted:
            # every cell no deeper than the wanted-th shallowest gap (ties included), in index order: the full
            # stable sort's first cells exactly
            cut = np.partition(levels, wanted - 1)[wanted - 1]
            kept = levels <= cut
            cells, levels = cells[kept], levels[kept]
        order = np.argsort(levels, kind="stable")
        self.levels, self.cells = levels[order], cells[order]

    def _reach(self, k: int) -> None:
        if k >= self.levels.size and self.levels.size < self.size:
            self._sort(max(self.GROWTH * self.levels.size, k + 1))

    def __getitem__(self, k: int) -> float:
        self._reach(k if k >= 0 else self.size + k)
        return self.levels[k]

    def shallowest(self, k: int) -> np.ndarray:
        """The k shallowest open cells' indices."""
        self._reach(k - 1)
        return self.cells[:k]


def implicit_descent_um(levels: np.ndarray, dt: float, speed) -> float:
    """How far the plunger lowers the metal in dt, implicitly: delta = dt |V(map after lowering by
    delta)|, where lowering closes the open cells shallower than delta (``levels``: their gaps, rising; an
    array or a ShallowestFirst) and ``speed(k)`` is |V| with the k shallowest closed.  k is the smallest
    with dt V_k < levels[k] (the next cell to close stays open; V_k falls and levels rise with k):
    bracketed from below by doubling, then bisected, each k asked once.  A step closes few cells (0-6 of
    ~540 open in the shipped Li-Mg section at 50 MPa), so that takes ~2 log2 k calls of ``speed`` where
    bisecting all the open cells took log2 N (~10)."""
    speed = functools.lru_cache(maxsize=None)(speed)
    n_open = levels.size
    v0 = speed(0)
    if dt * v0 < levels[0]:
        return dt * v0
    lo, hi = 0, 1
    while hi < n_open and not dt * speed(hi) < levels[hi]:
        lo, hi = hi, 2 * hi
    hi = min(hi, n_open)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if dt * speed(mid) < levels[mid]:
            hi = mid
        else:
            lo = mid
    k = hi
    return max(levels[k - 1], dt * speed(k)) if k < n_open else levels[-1]


# The step's cell rules around the plunger's implicit descent (kmc.resolved.gap.GapModel.step), each one compiled
# pass over the cells of a line or an area (kmc.jit.line_or_plane: C-contiguous, as the step's arrays are): the same
# comparisons and arithmetic as the numpy expressions they replaced, numpy's maximum included (kmc.jit.numpy_maximum:
# NaN and ties as it takes them), so the same bits.


@njit(line_or_plane("void(f8[], f8[], f8[], b1[], f8[], f8[], b1[])"), cache=True)
def stop_at_face_and_room(new_gap, face_reach, pore, held, closing, room, over_pore):
    """In place, before the descent: a roof closing (``closing`` > 0) where the face is in reach (``face_reach``
    finite: GapModel.face_reach_um) stops at the face (``new_gap`` at least the pore's depth); then per cell how far
    the plunger may lower it (``room``: to the face over a pore, ``over_pore``; to contact elsewhere; 0 where the
    metal spans the hole, ``held``)."""
    ng, fr, p, hd, cl, rm, op = (new_gap.ravel(), face_reach.ravel(), pore.ravel(), held.ravel(), closing.ravel(),
                                 room.ravel(), over_pore.ravel())
    for i in range(ng.size):
        if math.isfinite(fr[i]) and cl[i] > 0:
            ng[i] = numpy_maximum(ng[i], p[i])
        lowered = not hd[i]
        op[i] = lowered and p[i] > 0 and ng[i] >= p[i]
        if not lowered:
            rm[i] = 0.0
        elif op[i]:
            rm[i] = ng[i] - p[i]
        else:
            rm[i] = numpy_maximum(ng[i], 0.0)


@njit(line_or_plane("void(f8[], f8[], b1[], b1[], f8)"), cache=True)
def lower_by(new_gap, pore, held, over_pore, descent_um):
    """In place: the plunger's descent over every cell it lowers (not ``held``), no lower than the face over a pore
    (``over_pore``), then no gap below 0 and none below 1e-7 um (closed)."""
    ng, p, hd, op = new_gap.ravel(), pore.ravel(), held.ravel(), over_pore.ravel()
    for i in range(ng.size):
        if not hd[i]:
            ng[i] -= descent_um
        if op[i]:
            ng[i] = numpy_maximum(ng[i], p[i])
        ng[i] = numpy_maximum(ng[i], 0.0)
        if ng[i] < 1e-7:
            ng[i] = 0.0


def clear_by_gap(gap_um: np.ndarray, rim_fill: np.ndarray, rewet: np.ndarray, close_below_um: float | None = None,
                 nuclei=None):
    """In place, what a step or a press's relaxation leaves behind: gaps below ``close_below_um`` closed (none if
    None), the rim's fill cleared over open cells, and the sub-grid nuclei there (``nuclei``: their counts and
    radii per cell, None: none), the retracting contact lines' progress (``rewet``: the cells' own array, or one
    per cut axis before them) cleared over closed cells.  One compiled pass where a boolean mask over every cell
    was for each (~1 ms of each of the 160 x 40 um press's 2,131 asks)."""
    flat = rewet.view()
    flat.shape = (-1, gap_um.size)          # a view (this raises rather than copy, so no write is lost)
    count, radius = (np.empty((0,) * gap_um.ndim),) * 2 if nuclei is None else nuclei
    _clear_by_gap(gap_um, rim_fill, flat, count, radius, -math.inf if close_below_um is None else float(close_below_um))


@njit(["void(f8[::1], f8[::1], f8[:, ::1], f8[::1], f8[::1], f8)",
       "void(f8[:, ::1], f8[:, ::1], f8[:, ::1], f8[:, ::1], f8[:, ::1], f8)"], cache=True)
def _clear_by_gap(gap, rim_fill, rewet, count, radius, floor):
    g, rf, nn, r = gap.ravel(), rim_fill.ravel(), count.ravel(), radius.ravel()
    for i in range(g.size):
        if g[i] < floor:
            g[i] = 0.0
        if g[i] > 0:
            rf[i] = 0.0
            if nn.size:
                nn[i] = 0.0
                r[i] = 0.0
        elif g[i] == 0:
            for k in range(rewet.shape[0]):
                rewet[k, i] = 0.0

