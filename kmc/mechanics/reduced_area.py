"""The reduced operator on an area (docs/area.md): the foil's instantaneous creep for any contact map
of the interface as a 2-D area, from the finite-element tables of periodic arrays
(kmc.mechanics.table: the section's plane-strain period and the two axisymmetric cells, a cap's
footprint in contact and an island of contact in a void).

The section's operator (kmc.mechanics.reduced) cuts the line into one cell per void and moves every
cell with one rigid plunger.  On an area:

* **features and the matrix.**  If some region of contact wraps around the area (contact connects
  across it, the voids are holes in it), the features are the voids and the contact is the matrix;
  otherwise (the contact is islands in one void) the features are the islands of contact and the
  void is the matrix.  Every matrix cell goes to its nearest feature (kmc.mechanics.regions), so each
  feature has a tributary of area A_T around its own area A_f: the area's Wigner-Seitz cells.
  The void fraction of a cell is A_f / A_T for a void, 1 - A_f / A_T for an island;
* **the cell's law.**  A compact feature is the axisymmetric cell of the same area (radius
  b = (A_T / pi)^(1/2), period lambda = 2 b); a tunnel (a feature that wraps around one axis of
  the area) is the section's plane-strain period of width lambda = A_T / L (L the period it runs
  along).  A feature in between (length l and width w from its second moments, l = (12 I_1)^(1/2))
  takes chi = w / l of the first and 1 - chi of the second, as a velocity: the plunger moves over
  cell j at |V| = eps(P_j) Gamma_j, Gamma_j = chi G_cell lambda_cell + (1 - chi) G_sec lambda_sec
  (docs/area.md states what this blend leaves unchecked);
* **one rigid plunger**: every cell moves at the same V, so cell j carries
  P_j = sigma0 (|V| / (eps0 Gamma_j))^(1/n), and sum_j P_j A_T,j = P A, V in closed form (the
  section's, with areas for widths);
* **profiles**: each void cell closes at its cell's closing profile, each contact cell carries its
  cell's pressure profile, read at the cell's place between the middle and the edge
  (kmc.mechanics.regions' two distances): the section's cuts exactly on a map uniform along the depth.

What the pellet's face (docs/mechanics.md §5b) adds on the section (kmc.mechanics.reduced), on the area:

* **Li's flow law** (``strength``, kmc.mechanics.law.FeatureStrength): at the smaller of each cell's two
  widths, as the section's min(a_i, w_i) (a cap's diameter 2a and the contact 2 (b - a) to its neighbours;
  a tunnel's A_f and A_T - A_f over its length; an island's own width and the void's between islands);
* **capillarity**: each feature's cell carries the wall traction s_j of its voids (the mean over the
  open cells of its tributary of the per-cell traction, kmc.resolved.area_walls: a cap's 2 gamma / R,
  a tunnel's cuts' gamma / R), shifted as the section shifts it: the cell's drive is D_j = P_j + s_j,
  its contact carries D_j - s_j, and the force balance sum_j D_j A_T,j = P A + sum_j s_j A_T,j;
* **holes of the face the metal spans** (``held_cells``: the section's spanned voids, open pores
  under a flat or pressed-in roof): they take no part in the plunger's descent (their cells count as
  contact in the partition, so their island carries the load across them), and the metal enters
  each as a period of its own array (its cell among all voids) under the contact pressure around it
  plus its wall's traction, with Li's strength at the hole's width (``_close_held``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from kmc.mechanics.law import FeatureStrength
from kmc.mechanics.reduced import NoContactError, ReducedFoil
from kmc.mechanics.table import load_table
from kmc.physics.creep import NortonLaw
from kmc.mechanics.regions import Regions, Tributaries, label_regions, tributaries

VOIDS, ISLANDS = "voids", "islands"


@dataclass
class AreaPartition:
    """The map's cells (module docstring) and each feature's geometry, in um."""
    mode: str                      # VOIDS or ISLANDS: which phase the features are
    regions: Regions               # the features' regions
    trib: Tributaries
    feature_area_um2: np.ndarray   # (features,)
    cell_area_um2: np.ndarray      # (features,) A_T
    length_um: np.ndarray          # (features,) l: the period for a tunnel
    chi: np.ndarray                # (features,) 1: the axisymmetric cell, 0: the section's period
    profile_at: np.ndarray         # (depth, width) 0 at the middle (ridge or tributary boundary), toward 1 at the edge
    traction_MPa: np.ndarray | None = None   # (features,) s_j: the wall traction its cell carries (None: none)
    trial_weights: tuple | None = None       # (foil, thickness, weights): AreaFoil.plunger_speed's of this map

    def features(self, index: np.ndarray) -> "AreaPartition":
        """The geometry of the features ``index`` alone (their cells' areas, lengths and chi; not their
        regions or profiles): what a feature's own law reads (AreaFoil._weights)."""
        return AreaPartition(self.mode, None, None, self.feature_area_um2[index], self.cell_area_um2[index],
                             self.length_um[index], self.chi[index], None)


@dataclass
class AreaResponse:
    closing_velocity_um_s: np.ndarray     # (depth, width), > 0 toward the electrolyte (0 on contact)
    contact_pressure_MPa: np.ndarray      # (depth, width), 0 on open cells
    plunger_velocity_um_s: float          # < 0: toward the electrolyte
    cell_pressure_MPa: np.ndarray         # P_j of each feature's cell
    partition: AreaPartition | None
    held: np.ndarray | None = None        # (depth, width): in a hole of the face the metal spans (its closing its own)


class AreaFoil:
    """The reduced operator for one creep law, friction and area of ``shape`` = (depth, width) cells."""

    def __init__(self, law: NortonLaw, shape: tuple[int, int], cell_um: float, friction: str = "stuck",
                 strength: FeatureStrength | None = None):
        self.law = law
        self.shape = tuple(int(c) for c in shape)
        self.cell_um = float(cell_um)
        self.strength = strength
        n = law.stress_exponent
        # the tables' interpolation is the section operator's (ReducedFoil), one per cell
        self.section = ReducedFoil(law, self.shape[1], cell_um, friction)
        self.cells = {VOIDS: ReducedFoil(law, 1, cell_um, friction, table=load_table(n, friction, "cap")),
                      ISLANDS: ReducedFoil(law, 1, cell_um, friction, table=load_table(n, friction, "island"))}

    @property
    def area_um2(self) -> float:
        return self.shape[0] * self.shape[1] * self.cell_um ** 2

    # ------------------------------------------------------------------ the cells
    def partition(self, open_cells: np.ndarray) -> AreaPartition | None:
        """The features, their tributaries and shapes; None for full contact."""
        open_cells = np.asarray(open_cells, bool)
        if not open_cells.any():
            return None
        if open_cells.all():
            raise NoContactError("every interface cell is open: no contact carries the plunger")
        # the voids are the features where the contact wraps around the torus, as it does through a row or a column
        # all in contact: then the contact's own labelling (~3 ms on 102,400 cells) is not needed (2,077 of the 2,130
        # partitions of the 160 x 40 um face 1's press, 4 of its first 400 steps)
        if not open_cells.any(axis=0).all() or not open_cells.any(axis=1).all():
            mode = VOIDS
        else:
            contact = label_regions(~open_cells)
            mode = VOIDS if contact.wraps.any() else ISLANDS
        feature = open_cells if mode == VOIDS else ~open_cells
        regions = label_regions(feature) if mode == VOIDS else contact
        trib = tributaries(feature, regions)
        h, (nz, nx) = self.cell_um, self.shape
        length, chi = self._shapes(regions, feature, (nz * h, nx * h))
        # 0 at the middle (a feature's ridge, a tributary's boundary), toward 1 at the edge between the
        # phases: a void cell's place in its closing profile, 1 minus a contact cell's in its pressure
        # profile, in either mode; a cell the middle's search did not reach (an island enclosed by
        # one void) sits at its middle
        reached = trib.middle >= 0
        profile_at = np.where(reached, np.maximum(trib.middle, 0.0) / (trib.edge + np.maximum(trib.middle, 0.0)), 0.0)
        return AreaPartition(mode, regions, trib, trib.feature_area * h * h, trib.area * h * h, length, chi,
                             profile_at)

    def shapes(self, regions: Regions, feature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each region of ``feature`` (its label_regions): its length (um) and chi (module docstring)."""
        h, (nz, nx) = self.cell_um, self.shape
        return self._shapes(regions, feature, (nz * h, nx * h))

    def _shapes(self, regions: Regions, feature: np.ndarray, periods_um) -> tuple[np.ndarray, np.ndarray]:
        """Each feature's length (um) and chi (module docstring): a tunnel's period and 0; otherwise
        from the second moments of its cells' unwrapped positions (each cell a square: + 1/12).  Kept
        with ``regions`` (the regions of ``feature``): the walls and the mechanics ask for the same."""
        key = ("shapes", self.cell_um, self.shape, tuple(periods_um))
        if key not in regions.memo:
            regions.memo[key] = self._measure_shapes(regions, feature, periods_um)
        return regions.memo[key]

    def _measure_shapes(self, regions: Regions, feature: np.ndarray, periods_um) -> tuple[np.ndarray, np.ndarray]:
        h = self.cell_um
        n = regions.count
        sums = np.zeros((6, n))
        _cell_moments(np.ascontiguousarray(feature, dtype=np.bool_), regions.labels, regions.image, sums)
        count, sz, sx, szz, sxx, szx = sums
        mz, mx = sz / count, sx / count
        vzz = szz / count - mz * mz + 1 / 12
        vxx = sxx / count - mx * mx + 1 / 12
        vzx = szx / count - mz * mx
        mean, diff = 0.5 * (vzz + vxx), np.sqrt(0.25 * (vzz - vxx) ** 2 + vzx ** 2)
        major, minor = mean + diff, np.maximum(mean - diff, 1 / 12)
        length = np.sqrt(12 * major) * h
        chi = np.sqrt(minor / major)
        for axis in range(2):
            along = regions.wraps[:, axis]
            length = np.where(along, periods_um[axis], length)
            chi = np.where(along, 0.0, chi)
        return length, chi

    def _velocity_scales(self, part: AreaPartition, feature_area_um2: np.ndarray, thickness_um: float):
        """Per feature: the void fraction s, (lambda, table) of its two cells and Gamma (um: |V| per
        unit strain rate of its drive)."""
        A_T = part.cell_area_um2
        s = feature_area_um2 / A_T if part.mode == VOIDS else 1.0 - feature_area_um2 / A_T
        s = np.clip(s, 1e-12, 1 - 1e-12)
        lam_cell = 2.0 * np.sqrt(A_T / math.pi)
        lam_sec = A_T / part.length_um
        cell, sec = self.cells[part.mode], self.section
        G_cell = np.exp(cell._log_quantity(cell._logG, s, lam_cell / thickness_um))
        G_sec = np.exp(sec._log_quantity(sec._logG, s, lam_sec / thickness_um))
        scale = part.chi * G_cell * lam_cell + (1 - part.chi) * G_sec * lam_sec
        return s, lam_cell, lam_sec, scale

    def strength_factor(self, part: AreaPartition, feature_area_um2: np.ndarray):
        """Each cell's f_j of the feature strength (None without one): the seam where the flow law's factor
        (kmc.mechanics.law.FeatureStrength, as the section reads it) is read at the smaller of each cell's
        two widths, its features' and the other phase's between them (the section's min(a_i, w_i),
        kmc.mechanics.reduced): a compact feature's diameter 2a and the 2 (b - a) to its neighbours, a
        tunnel's A_f and A_T - A_f over its length, blended by chi."""
        if self.strength is None:
            return None
        A_T, A_f, chi = part.cell_area_um2, feature_area_um2, part.chi
        a, b = np.sqrt(A_f / math.pi), np.sqrt(A_T / math.pi)
        compact = np.minimum(2 * a, 2 * (b - a))
        tunnel = np.minimum(A_f, A_T - A_f) / part.length_um
        return self.strength.stress_factor(self.law, chi * compact + (1 - chi) * tunnel)

    def _weights(self, part: AreaPartition, feature_area_um2: np.ndarray, thickness_um: float):
        """Per feature: what _velocity_scales gives, its cell's weight A_T,j Gamma_j^(-1/n) f_j in the plunger's
        closed form (_speed), and f_j (None without a feature strength); each feature's from its own geometry
        alone (a trial recomputes only the features it changes: plunger_speed)."""
        n = self.law.stress_exponent
        scales = self._velocity_scales(part, feature_area_um2, thickness_um)
        weights = part.cell_area_um2 * scales[3] ** (-1.0 / n)
        factor = self.strength_factor(part, feature_area_um2)
        if factor is not None:
            weights = weights * factor
        return scales, weights, factor

    def _speed(self, part: AreaPartition, weights: np.ndarray, pressure_MPa: float, alive=None) -> float:
        """|V| (um/s) from the cells' weights (the section's closed form, kmc.mechanics.reduced:
        sum_j D_j A_T,j = P A + sum_j s_j A_T,j); ``alive``: the features a trial leaves open (the closed
        voids' load goes to the others).  No load (zero stack pressure and no closing traction): the
        plunger rests, V = 0."""
        cells, traction = part.cell_area_um2, part.traction_MPa
        load = pressure_MPa * self.area_um2
        if alive is not None:
            weights, cells = weights[alive], cells[alive]
            traction = None if traction is None else traction[alive]
            if weights.size == 0:
                return 0.0
            load = pressure_MPa * cells.sum()
        if traction is not None:
            load += float(np.sum(traction * cells))
        return self.law.strain_rate_per_s(load / weights.sum()) if load > 0 else 0.0

    def _plunger(self, part: AreaPartition, pressure_MPa: float, thickness_um: float):
        """On the partition's own map: |V| (um/s), each cell's creep drive D_j / f_j (the law's inverse at
        the rate that moves it at V), what _velocity_scales gives, and f_j."""
        scales, weights, factor = self._weights(part, part.feature_area_um2, thickness_um)
        V = self._speed(part, weights, pressure_MPa)
        drive = self.law.effective_stresses_MPa(V / scales[3])
        return V, drive, scales, factor

    def plunger_speed(self, part: AreaPartition | None, closed_per_feature: np.ndarray | None, pressure_MPa: float,
                      thickness_um: float) -> float:
        """|V| (um/s) with ``closed_per_feature`` more cells closed in each feature's cell (the implicit
        plunger's trials, on the partition of the step's map: a void loses them, an island gains them).
        The weights of the step's map are kept on the partition (per foil and thickness), and a trial
        recomputes those of the features it closes cells in: a step's ~15 trials on 10^3 features cost
        as much as its response did, where each recomputed every feature (the same numbers, bit for bit)."""
        if part is None:
            return 0.0
        kept = part.trial_weights
        if kept is None or kept[0] is not self or kept[1] != thickness_um:
            kept = part.trial_weights = (self, thickness_um, self._weights(part, part.feature_area_um2,
                                                                           thickness_um)[1])
        cells = np.zeros(part.regions.count) if closed_per_feature is None else closed_per_feature
        area = part.feature_area_um2 + (-1 if part.mode == VOIDS else 1) * cells * self.cell_um ** 2
        alive = area > 0 if part.mode == VOIDS else None
        if alive is not None and not alive.any():
            return 0.0
        weights = kept[2]
        changed = np.flatnonzero(cells)
        if changed.size:
            weights = weights.copy()
            trial_area = np.where(area > 0, area, part.feature_area_um2)[changed]
            weights[changed] = self._weights(part.features(changed), trial_area, thickness_um)[1]
        return float(self._speed(part, weights, pressure_MPa, alive))

    # ------------------------------------------------------------------ the response
    def respond(self, open_cells: np.ndarray, pressure_MPa: float, thickness_um: float, wall_traction_MPa=None,
                held_cells=None) -> AreaResponse:
        """Closing velocity and contact pressure of every cell of the area (module docstring);
        ``wall_traction_MPa``: per cell, the Laplace traction of its void's wall (None: none);
        ``held_cells``: per cell, in a hole of the face the metal spans (None: none)."""
        open_cells = np.asarray(open_cells, bool)
        if open_cells.shape != self.shape:
            raise ValueError(f"open_cells has shape {open_cells.shape}; allowed: {self.shape}")
        if not pressure_MPa >= 0 or not thickness_um > 0:
            raise ValueError(f"pressure {pressure_MPa!r} MPa, thickness {thickness_um!r} um: must be >= 0 and > 0")
        held = np.zeros(self.shape, bool) if held_cells is None else np.asarray(held_cells, bool) & open_cells
        active = open_cells & ~held
        closing = np.zeros(self.shape)
        pressure = np.zeros(self.shape)
        if not active.any():
            if open_cells.all():
                raise NoContactError("every interface cell is open: no contact carries the plunger")
            # full contact, or only holes the metal spans: nothing descends, the contact carries P A
            pressure[~open_cells] = pressure_MPa * open_cells.size / (~open_cells).sum()
            if held.any():
                self._close_held(closing, pressure, open_cells, held, thickness_um, wall_traction_MPa)
            return AreaResponse(closing, pressure, 0.0, np.zeros(0), None, held)
        part = self.partition(active)
        if wall_traction_MPa is not None:
            # each feature's traction: the mean over the open cells of its tributary (a void's own cells)
            owned = active & (part.trib.owner >= 0)
            owner = part.trib.owner[owned]
            count = np.bincount(owner, minlength=part.regions.count)
            part.traction_MPa = (np.bincount(owner, np.asarray(wall_traction_MPa, float)[owned], part.regions.count)
                                 / np.maximum(count, 1))
        V, drive_P, (s, lam_cell, lam_sec, scale), factor = self._plunger(part, pressure_MPa, thickness_um)
        cell_P = drive_P if factor is None else drive_P * factor
        if part.traction_MPa is not None:
            cell_P = cell_P - part.traction_MPa            # the contact carries D_j - s_j
        rate = self.law.strain_rates_per_s(drive_P)
        # per feature: the closing profile's scale and shape, the pressure profile's mean and shape
        # (velocities from both cells, blended as Gamma is)
        H = thickness_um
        cell, sec = self.cells[part.mode], self.section
        profiles = []
        for foil, lam in ((cell, lam_cell), (sec, lam_sec)):
            i, j, u, v = located = foil._locate(s, lam / H)
            peak = np.exp(foil._log_quantity(foil._close_peak, s, lam / H, located)) * lam
            profiles.append((peak, foil._blend(foil._close_shape, i, j, u, v),
                             foil._blend(foil._press_shape, i, j, u, v)))
        A_T, A_f = part.cell_area_um2, part.feature_area_um2
        contact_area = A_T - A_f if part.mode == VOIDS else A_f
        mean_contact = cell_P * A_T / np.maximum(contact_area, 1e-300)
        trib = part.trib
        n_features = part.regions.count
        # the profiles read on cells by their two distances; a compact feature's (chi > 0) are then
        # scaled to what its cell moves and carries, the void's closing to |V| A_T (incompressible: the
        # plunger descends over the whole cell as the void's volume closes) and the contact's pressure
        # to P_j A_T (the load): on a square grid the distances of a disc misplace cells between its middle
        # and its edge (by ~20 % in the mean closing of a 17-cell disc), where along a tunnel they are exact
        closing_sum, pressure_sum = np.zeros(n_features), np.zeros(n_features)
        owner, second, on = trib.owner.ravel(), trib.second.ravel(), active.ravel()
        parts = np.empty((owner.size, 2))
        _cell_profile_parts(owner, second, part.profile_at.ravel(), on, rate, part.chi, profiles[0][0], profiles[1][0],
                            profiles[0][1], profiles[1][1], profiles[0][2], profiles[1][2], mean_contact,
                            self.section.table.profile_points, parts)
        _scaled_profiles(owner, second, on, parts, np.ones(n_features), np.ones(n_features), closing.ravel(),
                         pressure.ravel(), closing_sum, pressure_sum)
        if part.chi.any():
            h2 = self.cell_um ** 2
            with np.errstate(divide="ignore", invalid="ignore"):
                close_factor = np.where(closing_sum > 0, float(V) * A_T / (closing_sum * h2), 1.0)
                press_factor = np.where(pressure_sum > 0, cell_P * A_T / (pressure_sum * h2), 1.0)
            closing[:] = 0.0
            pressure[:] = 0.0
            _scaled_profiles(owner, second, on, parts, 1 + part.chi * (close_factor - 1),
                             1 + part.chi * (press_factor - 1), closing.ravel(), pressure.ravel(), closing_sum,
                             pressure_sum)
        if held.any():
            self._close_held(closing, pressure, open_cells, held, thickness_um, wall_traction_MPa)
        pressure[open_cells] = 0.0
        return AreaResponse(closing, pressure, -float(V), cell_P, part, held)

    def _close_held(self, closing, pressure, open_cells, held, thickness_um: float, wall_traction_MPa) -> None:
        """The holes the metal spans (the section's ``ReducedFoil._close_held`` on the area): each is a
        feature among all voids (its tributary its cell), under the load p + s (p the mean contact
        pressure over its cells, s its wall's traction), extruded at Li's strength at its width (a
        cap's diameter, a tunnel's A_f over its length, blended by chi as the ligaments are); it closes
        at its cell's closing profile scaled by eps((p + s) / f) (no part in the plunger's descent)."""
        regions = label_regions(open_cells)
        trib = tributaries(open_cells, regions, matrix_middle=False)     # read on the held cells and areas only
        h, (nz, nx) = self.cell_um, self.shape
        length, chi = self._shapes(regions, open_cells, (nz * h, nx * h))
        A_f, A_T = trib.feature_area * h * h, trib.area * h * h
        lab = regions.labels[held]
        cells = np.bincount(lab, minlength=regions.count)
        is_held = cells > 0
        load = np.bincount(lab, pressure[held], regions.count) / np.maximum(cells, 1)
        if wall_traction_MPa is not None:
            load = load + np.bincount(lab, np.asarray(wall_traction_MPa, float)[held], regions.count) / np.maximum(cells, 1)
        width = chi * 2 * np.sqrt(A_f / math.pi) + (1 - chi) * A_f / length
        f = (np.ones(regions.count) if self.strength is None
             else self.strength.stress_factor(self.law, width))
        stress = load / f
        rate = np.where(is_held & (stress > 0), self.law.strain_rates_per_s(stress), 0.0)
        if not rate.any():
            return
        s = np.clip(A_f / A_T, 1e-12, 1 - 1e-12)
        lam_cell, lam_sec = 2.0 * np.sqrt(A_T / math.pi), A_T / length
        profiles = []
        for foil, lam in ((self.cells[VOIDS], lam_cell), (self.section, lam_sec)):
            i, j, u, v = located = foil._locate(s, lam / thickness_um)
            peak = np.exp(foil._log_quantity(foil._close_peak, s, lam / thickness_um, located)) * lam
            profiles.append((peak, foil._blend(foil._close_shape, i, j, u, v),
                             foil._blend(foil._press_shape, i, j, u, v)))
        reached = trib.middle >= 0
        at = np.where(reached, np.maximum(trib.middle, 0.0) / (trib.edge + np.maximum(trib.middle, 0.0)), 0.0)
        own = np.zeros(self.shape)
        ones = np.ones(regions.count)
        owner, second, on = trib.owner.ravel(), trib.second.ravel(), held.ravel()
        parts = np.empty((owner.size, 2))
        _cell_profile_parts(owner, second, at.ravel(), on, rate, chi, profiles[0][0], profiles[1][0], profiles[0][1],
                            profiles[1][1], profiles[0][2], profiles[1][2], np.zeros(regions.count),
                            self.section.table.profile_points, parts, False)
        _scaled_profiles(owner, second, on, parts, ones, ones, own.ravel(), np.zeros(nz * nx), np.zeros(regions.count),
                         np.zeros(regions.count), False)
        closing[held] = own[held]



@njit(cache=True)
def _cell_moments(feature, labels, image, sums):
    """Per region of ``feature``: its cells' count and the sums of their unwrapped positions z, x (cells, each
    cell at its periodic ``image``) and of z z, x x, z x, into ``sums`` (6, regions), added cell by cell in
    row-major order (the order of numpy's bincount over np.nonzero's cells, so the same sums bit for bit)."""
    nz, nx = feature.shape
    for i in range(nz):
        for j in range(nx):
            if not feature[i, j]:
                continue
            k = labels[i, j]
            z = i + image[i, j, 0] * nz
            x = j + image[i, j, 1] * nx
            sums[0, k] += 1.0
            sums[1, k] += float(z)
            sums[2, k] += float(x)
            sums[3, k] += float(z * z)
            sums[4, k] += float(x * x)
            sums[5, k] += float(z * x)


@njit(cache=True)
def _locate_point(points, x):
    """Where x falls among the rising ``points``: (k, t) with x = (1 - t) points[k] + t points[k + 1];
    k = -1 below the first point, k = last at or past the last (clamped to the ends)."""
    if x <= points[0]:
        return -1, 0.0
    last = points.size - 1
    if x >= points[last]:
        return last, 0.0
    # the first k with points[k + 1] >= x, as the count of the inner points below x (the points rise): no
    # branch to mispredict where a walk from the first point took ~8 (this search was half of
    # _cell_profile_parts' time on the 160 x 40 um area's ~1e5 cells)
    k = 0
    for j in range(1, last):
        k += points[j] < x
    return k, (x - points[k]) / (points[k + 1] - points[k])


@njit(cache=True, inline="always")
def _interp_at(values, k, t):
    """values (sampled at the points) linearly at _locate_point's (k, t): one search serves every profile
    read at the same x."""
    if k < 0:
        return values[0]
    if k == values.size - 1:
        return values[k]
    return (1.0 - t) * values[k] + t * values[k + 1]


@njit(cache=True)
def _cell_profile_parts(owner, second, at, open_cells, rate, chi, peak_cell, peak_sec, close_cell, close_sec,
                        press_cell, press_sec, mean_contact, points, parts, contact_pressures=True):
    """Every cell's closing velocity (a void cell: its feature's closing profile at ``at``) or contact
    pressure (a contact cell: the pressure profile at 1 - at), each profile the blend chi (axisymmetric
    cell) + (1 - chi) (section) of the feature's two, before the features' factors (_scaled_profiles): into
    ``parts`` (cells, 2), a cell's share from its feature and, for a split cell, half from each of its two
    (parts[c, 1] unset for an unsplit cell).  ``contact_pressures`` False: the void cells' closing only (the
    contact cells are skipped: a caller that reads only the closing, as the held holes' do)."""
    for c in range(owner.size):
        f = owner[c]
        if f < 0:
            continue
        if not (contact_pressures or open_cells[c]):
            continue
        g = second[c]
        weight = 0.5 if g >= 0 else 1.0
        # a void cell reads its closing profile at ``at``, a contact cell its pressure profile at 1 - at
        j, t = _locate_point(points, at[c] if open_cells[c] else 1.0 - at[c])
        for pass_ in range(2):
            k = f if pass_ == 0 else g
            if k < 0:
                break
            if open_cells[c]:
                parts[c, pass_] = weight * rate[k] * (chi[k] * peak_cell[k] * _interp_at(close_cell[k], j, t)
                                                      + (1.0 - chi[k]) * peak_sec[k] * _interp_at(close_sec[k], j, t))
            else:
                parts[c, pass_] = weight * mean_contact[k] * (chi[k] * _interp_at(press_cell[k], j, t)
                                                              + (1.0 - chi[k]) * _interp_at(press_sec[k], j, t))


@njit(cache=True)
def _scaled_profiles(owner, second, open_cells, parts, close_factor, press_factor, closing, pressure, closing_sum,
                     pressure_sum, contact_pressures=True):
    """_cell_profile_parts' ``parts`` times each feature's factor, added into ``closing`` (void cells) and
    ``pressure`` (contact cells); ``closing_sum``, ``pressure_sum``: each feature's totals over its cells (in
    cells), refilled.  The parts are read once and scaled as often as the factors change (a compact feature's
    are known only from the first totals: AreaFoil.respond)."""
    closing_sum[:] = 0.0
    pressure_sum[:] = 0.0
    for c in range(owner.size):
        f = owner[c]
        if f < 0:
            continue
        if not (contact_pressures or open_cells[c]):
            continue
        g = second[c]
        for pass_ in range(2):
            k = f if pass_ == 0 else g
            if k < 0:
                break
            if open_cells[c]:
                closing[c] += close_factor[k] * parts[c, pass_]
                closing_sum[k] += close_factor[k] * parts[c, pass_]
            else:
                pressure[c] += press_factor[k] * parts[c, pass_]
                pressure_sum[k] += press_factor[k] * parts[c, pass_]
