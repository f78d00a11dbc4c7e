"""The reduced operator: the foil's instantaneous creep for any contact map in microseconds,
from the finite-element table of periodic arrays (``kmc.mechanics.table``).

Given the interface cells that are open (a gap under them) over a periodic section, the stack
pressure P and the foil's thickness H, it answers what ``kmc.mechanics.foil.FoilSolver`` answers
(how fast each point of the metal surface closes, what pressure the contact carries, how fast
the plunger moves), by a model that is exact for a periodic array and whose error on other maps
is measured against the full solve (tests/test_mechanics.py, docs/mechanics.md):

* the section is cut into one *cell* per void, from the middle of the island of contact on its
  left to the middle of the island on its right: width lambda_i = a_left/2 + w_i + a_right/2,
  void fraction s_i = w_i / lambda_i;
* each cell behaves as one period of the periodic array (s_i, lambda_i / H), whose plunger
  velocity under a pressure P_i is V = G(s_i, lambda_i / H) eps(P_i) lambda_i (the table);
* the plunger is one rigid body: every cell moves at the same V, so cell i carries
  P_i = sigma0 (|V| / (eps0 |G_i| lambda_i))^(1/n), and the cells carry the load together,
  sum_i P_i lambda_i = P W, which gives V in closed form (power-law homogeneity);
* the void's closing velocity and the islands' pressure take the periodic array's profiles at
  (s_i, lambda_i / H), scaled by eps(P_i) lambda_i and P_i.

So the load goes where the mechanics sends it (a narrow island indents at its own constraint,
~3 sigma(V/a); a sparse void closes as the far field allows), and the plunger, not a stress
P / contact per square, couples the whole width.

With a ``FeatureStrength`` (kmc.mechanics.law: Li's flow law of kmc.physics.flow, its size effect and
its diffusional flow to the contact's sink, as a factor on the reference stress; on by default),
cell i is a period of a metal whose reference stress is f_i sigma0, f_i = f(min(a_i, w_i)) at the
smaller of its mean ligament width a_i = lambda_i - w_i (the islands either side, which carry it and
indent as punches) and its void's width w_i: the metal's flow is confined to the period's smallest
length, whose strain gradient sets the strength (a narrow void in wide islands closes by flow within
~w_i of it, as the held holes below at their width and the sub-grid nuclei at their diameter do, so a
void of a cell closes at the strength of the nucleus it drops to and reopens from).  Then
V = G eps(D_i / f_i) lambda_i for the cell's drive D_i, so the closed form weighs each cell by f_i and
its profiles scale with eps(D_i / f_i).

Holes of the electrolyte's face (its open pores) that the metal still spans flat are not voids of
the metal: the foil rests on the perforated contact around them, so they take no part in the
plunger's descent (their cells count as their island's, which carries the load across them); the
metal enters one only by extrusion into it under its island's pressure, with Li's flow law at the
hole's own width (a pore's mouth is where the metal is as small as the pore): each closes as a
period of its own array under that pressure (``_close_held``).

Capillarity (kmc.physics.capillarity): a void whose wall pulls on the metal with the Laplace
traction s_i (> 0 closing) is, after adding the uniform pressure s_i to the whole cell (which an
incompressible solid does not feel), a traction-free void under the plunger load P_i + s_i: so the
cell's drive is D_i = P_i + s_i, the islands carry D_i - s_i, and the load balance
sum_i P_i lambda_i = P W becomes sum_i D_i lambda_i = P W + sum_i s_i lambda_i.  Exact for one
periodic cell with a uniform traction on its wall; at zero stack pressure capillarity alone moves
the metal.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from kmc.mechanics.law import FeatureStrength
from kmc.physics.creep import NortonLaw
from kmc.mechanics.table import CellTable, load_table


class NoContactError(ValueError):
    """Every interface cell is open: nothing carries the plunger."""


@dataclass
class ReducedResponse:
    closing_velocity_um_s: np.ndarray     # per interface cell, > 0 toward the electrolyte (0 on contact)
    contact_pressure_MPa: np.ndarray      # per interface cell (0 on open cells)
    plunger_velocity_um_s: float          # < 0: toward the electrolyte
    cell_pressure_MPa: np.ndarray         # P_i of each void's cell
    void_starts: np.ndarray               # first open cell of each void (its cells run start, start + 1, ... mod N)
    void_widths: np.ndarray               # in cells
    held: np.ndarray = None               # per cell: in a void held as a hole of an island (no part in the
                                          # plunger's descent; its closing is its own, not relative to V)


def roll_line(a: np.ndarray, shift: int) -> np.ndarray:
    """np.roll(a, shift) of a 1-D array (element i goes to i + shift, periodic), as one concatenate: the
    same values without np.roll's general-axis wrapper, which the time loop paid ~10^5 times a run."""
    k = -shift % a.size if a.size else 0
    return np.concatenate((a[k:], a[:k]))


def runs(open_cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of every run of open cells on the periodic line, in order of start (a run
    through the end continues at cell 0 and starts where it begins)."""
    o = np.asarray(open_cells, bool)
    n = o.size
    if o.all():
        return np.array([0]), np.array([n])
    if not o.any():
        return np.zeros(0, int), np.zeros(0, int)
    shift = int(np.flatnonzero(~o)[0])           # start scanning at a closed cell
    r = roll_line(o, -shift)
    d = np.diff(np.concatenate([[0], r.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return (starts + shift) % n, ends - starts


def run_sums(values: np.ndarray, starts: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """The sum of ``values`` over each run (start, width) of the periodic line (``runs``' order), at once."""
    n = values.size
    if starts.size == 0:
        return np.zeros(0)
    shift = int(starts[0])                    # runs do not overlap: from the first start on, each is contiguous
    rolled = roll_line(np.asarray(values, float), -shift)
    offsets = (starts - shift) % n
    cum = np.concatenate([[0.0], np.cumsum(rolled)])
    return cum[offsets + widths] - cum[offsets]


class ReducedFoil:
    """The reduced operator for one creep law, friction and section (widths in interface cells)."""

    def __init__(self, law: NortonLaw, cells: int, cell_um: float, friction: str = "stuck",
                 table: CellTable | None = None, strength: FeatureStrength | None = None):
        self.law = law
        self.strength = strength
        self.cells = int(cells)
        self.cell_um = float(cell_um)
        self.table = table if table is not None else load_table(law.stress_exponent, friction)
        if not math.isclose(self.table.exponent, law.stress_exponent, rel_tol=0.0, abs_tol=1e-9):
            raise ValueError(f"cell table for n = {self.table.exponent:g}, law has n = {law.stress_exponent:g}")
        t = self.table
        self._x = _logit(t.void_fractions)
        self._y = np.log(t.period_over_thickness)
        self._logG = np.log(np.abs(t.plunger_velocity))
        self._close_peak = np.log(np.maximum(t.closing_profile.max(axis=2), 1e-300))
        self._close_shape = t.closing_profile / np.exp(self._close_peak)[..., None]
        mean_p = 1.0 / (1.0 - t.void_fractions)                       # island mean pressure / P
        self._press_shape = t.pressure_profile / mean_p[:, None, None]

    # ------------------------------------------------------------ table interpolation
    def _locate(self, s: np.ndarray, lam_h: np.ndarray):
        """Bilinear weights in (logit s, log lambda/H), clamped to the table."""
        x = _clamp(_logit(s), self._x[0], self._x[-1])
        y = _clamp(np.log(lam_h), self._y[0], self._y[-1])
        i = _clamp(np.searchsorted(self._x, x) - 1, 0, self._x.size - 2)
        j = _clamp(np.searchsorted(self._y, y) - 1, 0, self._y.size - 2)
        u = (x - self._x[i]) / (self._x[i + 1] - self._x[i])
        v = (y - self._y[j]) / (self._y[j + 1] - self._y[j])
        return i, j, u, v

    @staticmethod
    def _blend(a, i, j, u, v):
        """The table ``a`` (a value, or a profile, per entry) bilinearly at _locate's (i, j, u, v), per point
        (compiled: the area's operator reads ~14 tables an ask of its press, each at every feature)."""
        i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
        u, v = np.asarray(u, float), np.asarray(v, float)
        table = a if a.ndim == 3 else a[..., None]
        out = np.empty((i.size, table.shape[2]))
        _blend_bilinear(table, i.ravel(), j.ravel(), u.ravel(), v.ravel(), out)
        return out.reshape(i.shape + a.shape[2:])

    def _log_quantity(self, table: np.ndarray, s: np.ndarray, lam_h: np.ndarray, located=None) -> np.ndarray:
        """A tabulated log-quantity at (s, lambda/H): bilinear inside the table; outside, the
        power law of the two end entries continued, in s below the smallest void fraction (an
        isolated void), in 1 - s above the largest (an isolated island: a punch, for which
        G -> (1 - s)^(1 - n) / C^n), in lambda/H above the largest period; below the smallest
        period the value is held (there the foil's thickness no longer matters).  ``located``:
        _locate(s, lam_h), where the caller has it."""
        i, j, u, v = self._locate(s, lam_h) if located is None else located
        out = self._blend(table, i, j, u, v)
        fr = self.table.void_fractions

        def column_slope(rows, coord):      # d(table)/d(coord) between two rows, at this lambda/H
            a, b = rows
            col = (1 - v) * (table[b, j] - table[a, j]) + v * (table[b, j + 1] - table[a, j + 1])
            return col / (coord[1] - coord[0])

        lo = s < fr[0]
        if lo.any():
            k = column_slope((0, 1), (math.log(fr[0]), math.log(fr[1])))
            out = np.where(lo, out + k * (np.log(s) - math.log(fr[0])), out)
        hi = s > fr[-1]
        if hi.any():
            k = column_slope((-2, -1), (math.log1p(-fr[-2]), math.log1p(-fr[-1])))
            out = np.where(hi, out + k * (np.log1p(-s) - math.log1p(-fr[-1])), out)
        y = np.log(lam_h)
        wide = y > self._y[-1]
        if wide.any():
            row = (1 - u) * (table[i, -1] - table[i, -2]) + u * (table[i + 1, -1] - table[i + 1, -2])
            out = np.where(wide, out + row / (self._y[-1] - self._y[-2]) * (y - self._y[-1]), out)
        return out

    # ------------------------------------------------------------ the operator
    def _geometry(self, starts, widths, thickness_um: float):
        """Cells of these voids (starts and widths in cells, in order around the section): each from
        the middle of the island before it to the middle of the island after it, the islands being
        everything between consecutive voids of the set (voids held, below, lie in them).  Returns
        (ends, islands after, islands before (cells), w, lambda (um), s, lambda / H)."""
        n_cells, h = self.cells, self.cell_um
        ends = starts + widths
        if starts.size == 1:
            islands = np.array([n_cells - widths[0]])
        else:
            islands = (roll_line(starts, -1) - ends) % n_cells
        island_before = roll_line(islands, 1)
        w = widths * h
        lam = w + 0.5 * (island_before + islands) * h
        return ends, islands, island_before, w, lam, w / lam, lam / thickness_um

    def strength_factor(self, lam, w):
        """Each cell's f_i at the smaller of its ligaments' width a_i = lambda_i - w_i and its void's w_i
        (module docstring), or None without a feature strength (the bulk law everywhere)."""
        if self.strength is None:
            return None
        return self.strength.stress_factor(self.law, np.minimum(lam - w, w))

    def _speed(self, load, weights_sum):
        """|V| of the closed form: eps0 (load / (sigma0 sum weights))^n, 0 without a load."""
        return self.law.strain_rate_per_s(load / weights_sum) if load > 0 else 0.0

    def _accommodating(self, spanned, n_voids: int) -> np.ndarray:
        """Which voids take the plunger's descent: all but the holes of the electrolyte's face that the
        metal still spans (``spanned``, per void): filling one of those is extrusion into it under
        the contact's pressure, not the foil's descent, so it is held as a hole of its island
        (``_close_held``)."""
        return np.ones(n_voids, bool) if spanned is None else ~spanned

    def _plunger(self, lam, s, lam_h, pressure_MPa: float, factor=None, traction=None, speed_only: bool = False):
        """|V| (um/s), each cell's G and the stress that drives its creep, D_i / f_i (the rigid
        plunger's closed form); ``factor``: each cell's strength factor f_i (None: the bulk law
        everywhere, f_i = 1); ``traction``: each cell's wall traction s_i (None: none).  No load
        (zero stack pressure and no closing traction): the plunger rests, V = 0.  ``speed_only``:
        the drives are left out (None), as the implicit plunger step asks for |V| alone."""
        law = self.law
        n = law.stress_exponent
        G = np.exp(self._log_quantity(self._logG, s, lam_h))
        weights = lam * (G * lam) ** (-1.0 / n)
        if factor is not None:
            weights = weights * factor
        load = pressure_MPa * self.cells * self.cell_um
        if traction is not None:
            load += float(np.sum(traction * lam))
        V = self._speed(load, weights.sum())
        if V == 0.0:
            return 0.0, G, np.zeros(lam.size)
        if speed_only:
            return V, G, None
        # each cell's creep drive: the stress whose rate moves it at V (the law's inverse)
        drive = law.effective_stresses_MPa(V / (G * lam))
        return V, G, drive

    def _tractions(self, wall_traction_MPa, starts, widths):
        """Each void's wall traction: the mean of the per-cell array over its cells (None: none)."""
        if wall_traction_MPa is None:
            return None
        return run_sums(np.asarray(wall_traction_MPa, float), starts, widths) / widths

    def _voids(self, open_cells, thickness_um: float):
        starts, widths = runs(open_cells)
        if starts.size and widths.sum() == self.cells:
            raise NoContactError("every interface cell is open: no contact carries the plunger")
        return starts, widths

    def _spanned(self, spanned_cells, starts, widths):
        """Per void: are all its cells spanned (None: no void is)."""
        if spanned_cells is None:
            return None
        return run_sums(np.asarray(spanned_cells, float), starts, widths) == widths

    def plunger_speed(self, open_cells, pressure_MPa: float, thickness_um: float, wall_traction_MPa=None,
                      spanned_cells=None) -> float:
        """|V| (um/s) alone: what the time loop's implicit plunger step asks for many times."""
        starts, widths = self._voids(np.asarray(open_cells, bool), thickness_um)
        if starts.size == 0:
            return 0.0
        traction = self._tractions(wall_traction_MPa, starts, widths)
        active = self._accommodating(self._spanned(spanned_cells, starts, widths), starts.size)
        if not active.any():
            return 0.0
        _, _, _, w, lam, s, lam_h = self._geometry(starts[active], widths[active], thickness_um)
        return float(self._plunger(lam, s, lam_h, pressure_MPa, self.strength_factor(lam, w),
                                   None if traction is None else traction[active], speed_only=True)[0])

    def respond(self, open_cells, pressure_MPa: float, thickness_um: float, wall_traction_MPa=None,
                spanned_cells=None) -> ReducedResponse:
        """Closing velocity and contact pressure of every interface cell (see the module docstring);
        ``wall_traction_MPa``: per cell, the Laplace traction of the wall of the void it is in (the
        mean over a void's cells is the void's; kmc.physics.capillarity), None for none;
        ``spanned_cells``: per cell, in a hole of the electrolyte's face the metal spans flat (held:
        ``_accommodating``), None for none."""
        open_cells = np.asarray(open_cells, bool)
        if open_cells.shape != (self.cells,):
            raise ValueError(f"open_cells has shape {open_cells.shape}; allowed: ({self.cells},)")
        if not pressure_MPa >= 0 or not thickness_um > 0:
            raise ValueError(f"pressure {pressure_MPa!r} MPa, thickness {thickness_um!r} um; allowed: pressure >= 0, "
                             "thickness > 0")
        n_cells = self.cells
        closing = np.zeros(n_cells)
        pressure = np.zeros(n_cells)
        starts, widths = self._voids(open_cells, thickness_um)
        held_cells = np.zeros(n_cells, bool)
        if starts.size == 0:
            pressure[:] = pressure_MPa
            return ReducedResponse(closing, pressure, 0.0, np.zeros(0), starts, widths, held_cells)
        traction = self._tractions(wall_traction_MPa, starts, widths)
        active = self._accommodating(self._spanned(spanned_cells, starts, widths), starts.size)
        if not active.any():                              # only holes under the metal: nothing descends
            pressure[:] = pressure_MPa * n_cells / max(n_cells - int(open_cells.sum()), 1)   # the islands carry P W
            self._close_held(closing, pressure, starts, widths, np.arange(starts.size), thickness_um, traction)
            held_cells[open_cells] = True
            pressure[open_cells] = 0.0
            return ReducedResponse(closing, pressure, 0.0, np.zeros(0), starts[:0], widths[:0], held_cells)
        a_starts, a_widths = starts[active], widths[active]
        geo = self._geometry(a_starts, a_widths, thickness_um)
        ends, islands, island_before, w, lam, s, lam_h = geo
        factor = self.strength_factor(lam, w)
        a_trac = None if traction is None else traction[active]
        V, G, drive_P = self._plunger(lam, s, lam_h, pressure_MPa, factor, a_trac)
        # what each cell's islands carry: its creep's drive, times f_i in a strengthened metal, less the
        # uniform pressure its wall's traction was shifted by (module docstring)
        cell_P = drive_P if factor is None else drive_P * factor
        if a_trac is not None:
            cell_P = cell_P - a_trac
        self._fill(closing, pressure, a_starts, a_widths, geo, drive_P, cell_P)
        held = np.flatnonzero(~active)
        if held.size:
            self._close_held(closing, pressure, starts, widths, held, thickness_um, traction)
            for m in held:
                held_cells[(starts[m] + np.arange(widths[m])) % n_cells] = True
        pressure[open_cells] = 0.0
        return ReducedResponse(closing, pressure, -float(V), cell_P, a_starts, a_widths, held_cells)

    def _fill(self, closing, pressure, starts, widths, geo, drive_P, cell_P):
        """Each cell's closing profile (scaled by eps(D_i / f_i) lambda_i) on its void and its islands'
        pressure profile (mean D_i - s_i over lambda_i / a_i) on its half-islands (every void at once)."""
        n_cells = self.cells
        ends, islands, island_before, w, lam, s, lam_h = geo
        i, j, u, v = located = self._locate(s, lam_h)
        peak = np.exp(self._log_quantity(self._close_peak, s, lam_h, located))
        shape = self._blend(self._close_shape, i, j, u, v)
        pshape = self._blend(self._press_shape, i, j, u, v)
        pts = self.table.profile_points
        rate = self.law.strain_rates_per_s(drive_P)
        # the voids' cells: xi = |x - middle| / half-width, the profile read off at it
        k, offs = cells_of(widths)
        xi = np.abs(offs + 0.5 - 0.5 * widths[k]) / (0.5 * widths[k])
        closing[(starts[k] + offs) % n_cells] = (rate * lam * peak)[k] * _interp_rows(xi, pts, shape, k)
        # the half-islands on either side carry this cell's share: mean P_i lam_i / a over the island,
        # a middle cell split between the two cells that share it
        mean_island = cell_P * lam / (lam - w)
        for first, a_cells, step in ((starts - 1, island_before, -1), (ends, islands, 1)):
            half = a_cells / 2.0
            k, offs = cells_of(np.ceil(half).astype(int))
            eta = np.minimum((offs + 0.5) / half[k], 1.0)
            weight = np.where(offs + 1 <= half[k], 1.0, half[k] - offs)
            np.add.at(pressure, (first[k] + step * offs) % n_cells,
                      weight * mean_island[k] * _interp_rows(eta, pts, pshape, k))

    def _close_held(self, closing, pressure, starts, widths, held, thickness_um: float, traction):
        """A held void is a hole in an island that carries the local contact pressure p (the mean over
        its cells of the islands' profile around it): the metal enters it as a period of its own
        array (the hole between half its neighbouring islands, with all voids) under the load p + s,
        extruded into the hole's width (its strength factor f(w): a pore's mouth is where the metal
        is as small as the pore), with no part in the plunger's descent."""
        _, _, _, w, lam, s, lam_h = self._geometry(starts, widths, thickness_um)
        w, lam, s, lam_h = w[held], lam[held], s[held], lam_h[held]
        factor = None if self.strength is None else self.strength.stress_factor(self.law, w)
        law = self.law
        i, j, u, v = located = self._locate(s, lam_h)
        peak = np.exp(self._log_quantity(self._close_peak, s, lam_h, located))
        shape = self._blend(self._close_shape, i, j, u, v)
        pts = self.table.profile_points
        for k, m in enumerate(held):
            cells_k = (starts[m] + np.arange(widths[m])) % self.cells
            load = float(pressure[cells_k].mean()) + (0.0 if traction is None else traction[m])
            if not load > 0:
                continue
            f = 1.0 if factor is None else factor[k]
            rate = law.strain_rate_per_s(load / f)
            xi = np.abs((np.arange(widths[m]) + 0.5) - 0.5 * widths[m]) / (0.5 * widths[m])
            closing[cells_k] = rate * lam[k] * peak[k] * np.interp(xi, pts, shape[k])


def cells_of(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(which run, offset within it) of every cell of runs of these lengths, in order."""
    counts = np.asarray(counts, int)
    k = np.repeat(np.arange(counts.size), counts)
    return k, np.arange(k.size) - np.repeat(np.cumsum(counts) - counts, counts)


def _interp_rows(x: np.ndarray, pts: np.ndarray, rows: np.ndarray, which: np.ndarray) -> np.ndarray:
    """np.interp(x[m], pts, rows[which[m]]) for every m at once (pts rising; held beyond its ends)."""
    x = _clamp(x, pts[0], pts[-1])
    idx = _clamp(np.searchsorted(pts, x) - 1, 0, pts.size - 2)
    t = (x - pts[idx]) / (pts[idx + 1] - pts[idx])
    return rows[which, idx] * (1 - t) + rows[which, idx + 1] * t


@njit(cache=True)
def _blend_bilinear(table, i, j, u, v, out):
    """out[m] = (1 - u)(1 - v) table[i, j] + u (1 - v) table[i + 1, j] + (1 - u) v table[i, j + 1] + u v
    table[i + 1, j + 1] at each point m (``table`` (rows, columns, values)), the products and sums in numpy's
    order (so the numbers of numpy's broadcast form, bit for bit)."""
    for m in range(i.size):
        a, b, uu, vv = i[m], j[m], u[m], v[m]
        w00, w10, w01, w11 = (1 - uu) * (1 - vv), uu * (1 - vv), (1 - uu) * vv, uu * vv
        for k in range(table.shape[2]):
            out[m, k] = (w00 * table[a, b, k] + w10 * table[a + 1, b, k]
                         + w01 * table[a, b + 1, k] + w11 * table[a + 1, b + 1, k])


def _clamp(a, low, high):
    """np.clip(a, low, high)'s values (low <= high) as two ufuncs, without np.clip's wrapper: the table
    lookups run ~10^5 times a run."""
    return np.minimum(np.maximum(a, low), high)


def _logit(s):
    s = np.asarray(s, float)
    return np.log(s) - np.log1p(-s)
