"""Capillarity of a void's metal wall, seen in a section (the void a tunnel along the section's
normal, as the resolved interface's mechanics takes it), and the Young angle at its contact line.

* A wall of curvature kappa pulls on the metal with the Laplace traction gamma kappa (one
  curvature: a tunnel; a cap's two would double it): 0.42 MPa at R = 1 um for Li's gamma =
  0.42 J/m^2, as large as the stack pressure (docs/physics.md section 9).  Positive where the wall bulges
  into the metal (a void's roof: the traction closes it), negative where the metal bulges into the
  void (metal pushed into a pore: the traction pushes it back).
* A void's wall in the section is taken as the circular arc through its two contact points that
  holds its area (``chord_curvature_per_um``): the shape surface diffusion relaxes it to, and the
  one number of curvature the reduced mechanics can carry per void.
* At the contact line the wall meets the electrolyte at the void angle alpha = 180 deg - theta
  (Young; kmc.physics.nucleation.VoidCap): a void of section area A is in equilibrium at the chord
  sqrt(A / k(alpha)), k the cap's section area per chord^2 (``equilibrium_chord_um``); a wider void
  draws its contact line in, a narrower one pushes it out.

Units: um, MPa, J/m^2."""
from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit

from kmc.physics.nucleation import VoidCap


@njit(cache=True, inline="always")
def _segment_area_per_chord2(a: float) -> float:
    """(2 a - sin 2a) / (8 sin^2 a): a circular segment's A / c^2 at the half angle ``a`` (rad)."""
    return (2 * a - math.sin(2 * a)) / (8 * math.sin(a) ** 2)


@njit(cache=True)
def _segment_areas_per_chord2(a: np.ndarray, out: np.ndarray) -> None:
    """_segment_area_per_chord2 of every angle of the flat ``a``, into ``out``."""
    for i in range(a.size):
        out[i] = _segment_area_per_chord2(a[i])


def segment_area_per_chord2(half_angle_rad):
    """A / c^2 of a circular segment whose arc meets its chord at ``half_angle_rad`` (half the arc's
    central angle): (2 a - sin 2a) / (8 sin^2 a); VoidCap.section_area_per_chord2 at a = alpha."""
    a = np.ascontiguousarray(half_angle_rad, float)
    out = np.empty(a.shape)
    _segment_areas_per_chord2(a.ravel(), out.ravel())
    return out


# How many of the bisection's first halvings are looked up: every chord halves the same interval the same way, so
# the midpoints of the first levels are one binary tree, the same for all, and A / c^2 at each is computed once
# (_bisection_tree) where each chord computed it at every level.  16 levels: a table of 2^16 midpoints (1 MB), 16
# of the 42 evaluations of the segment's area a chord saved.
_TREE_LEVELS = 16


@njit(cache=True)
def _bisection_tree(levels):
    """(midpoint, A / c^2 there) of every node of the bisection's first ``levels`` levels, in heap order (node 1
    the first midpoint; node k's children 2k, below it, and 2k + 1, above it): each midpoint computed as the
    bisection computes it, 0.5 (lo + hi), from the same ends, so the same number bit for bit."""
    n = 2 ** levels
    mid, area, lo, hi = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    lo[1], hi[1] = 0.0, math.pi
    for node in range(1, n):
        mid[node] = 0.5 * (lo[node] + hi[node])
        area[node] = _segment_area_per_chord2(max(mid[node], 1e-12))
        if 2 * node < n:
            lo[2 * node], hi[2 * node] = lo[node], mid[node]
            lo[2 * node + 1], hi[2 * node + 1] = mid[node], hi[node]
    return mid, area


@functools.cache
def _tree() -> tuple[np.ndarray, np.ndarray]:
    """_bisection_tree of _TREE_LEVELS, built once a process (a few ms)."""
    return _bisection_tree(_TREE_LEVELS)


# The rounding of a double (half its ulp at 1)
_HALF_ULP = 2.0 ** -53


@njit(cache=True)
def _chord_curvatures(chord_um: np.ndarray, area_um2: np.ndarray, out: np.ndarray, tree_mid: np.ndarray,
                      tree_area: np.ndarray, levels: int) -> None:
    """chord_curvature_per_um on flat arrays, cell by cell (compiled: the press asks for every tunnel's cuts
    thousands of times, the stripping every step).  The angle is the bisection's: 42 halvings of (0, pi), each
    keeping the half where _segment_area_per_chord2(mid) < target decides.  The first ``levels`` are read off the
    tree (_bisection_tree: the same comparisons of the same numbers).  For the rest, Newton's method finds the
    root, and every midpoint farther from it than the comparison's rounding could reach is decided by which side
    of the root it lies on, without evaluating the area (a few evaluations where it took 26, the same halvings bit
    for bit; tests/test_pellet.py against the plain bisection)."""
    for i in range(chord_um.size):
        area = area_um2[i]
        if area == 0:
            out[i] = 0.0
            continue
        c = max(chord_um[i], 1e-300)
        target = abs(area) / c ** 2
        lo, hi = 0.0, math.pi
        f_lo, f_hi = 0.0, math.inf
        node = 1
        for _ in range(levels):
            if tree_area[node] < target:
                lo, f_lo = tree_mid[node], tree_area[node]
                node = 2 * node + 1
            else:
                hi, f_hi = tree_mid[node], tree_area[node]
                node = 2 * node
        root, margin = _root_margin(lo, hi, f_lo, f_hi, target)
        for _ in range(42 - levels):                        # (0, pi) halved 42 times in all: 7e-13 rad
            mid = 0.5 * (lo + hi)
            if margin > 0 and abs(mid - root) > margin:
                below = mid < root
            else:
                below = _segment_area_per_chord2(max(mid, 1e-12)) < target
            if below:
                lo = mid
            else:
                hi = mid
        kappa = 2 * math.sin(0.5 * (lo + hi)) / c
        out[i] = kappa if area > 0 else -kappa


@njit(cache=True, inline="always")
def _root_margin(lo, hi, f_lo, f_hi, target):
    """(a, m): the root a of _segment_area_per_chord2(a) = target in [lo, hi] (the areas f_lo, f_hi at its ends)
    by Newton's method from the chord between the ends, and the distance m from it beyond which the comparison
    of a midpoint's rounded area with the target cannot fall on the other side (64 times the rounding's reach);
    m = -1 where that is not known: below 0.05 rad (2a - sin 2a loses its digits), where Newton's steps have not
    shrunk below m / 64 in 8 iterations, or where the areas at a - m and a + m do not straddle the target (near
    pi, where the area runs to infinity)."""
    root = 0.5 * (lo + hi)
    if lo > 0 and f_hi < math.inf and f_hi > f_lo:
        root = lo + (hi - lo) * (target - f_lo) / (f_hi - f_lo)
    if root <= 0.05:
        return root, -1.0
    for _ in range(8):
        s, co, s2 = math.sin(root), math.cos(root), math.sin(2 * root)
        num = 2 * root - s2
        f = num / (8 * s * s)
        slope = 0.5 - num * co / (4 * s * s * s)            # d/da of (2a - sin 2a) / (8 sin^2 a)
        step = (f - target) / slope
        root = min(max(root - step, lo), hi)
        # the area's relative rounding: the cancellation in 2a - sin 2a (sin 2a's rounding over the difference),
        # the sines', the products' and the quotient's; as a distance in a through the slope
        reach = (_HALF_ULP * (abs(s2) / num + 1.0) + 5 * _HALF_ULP) * f / slope + 1e-15
        if abs(step) <= reach:
            # the crossing checked to lie within the margin (a step can be small far from the root: at the
            # interval's end near pi, where the area is huge and steep)
            margin = 64.0 * reach
            if (_segment_area_per_chord2(max(root - margin, 1e-12)) < target
                    and not _segment_area_per_chord2(max(root + margin, 1e-12)) < target):
                return root, margin
            return root, -1.0
    return root, -1.0


def chord_curvature_per_um(chord_um, area_um2):
    """Signed curvature (1/um) of the circular arc of this chord that bounds, with the chord, this
    signed area (> 0: bulging into the metal).  0 at zero area (a flat wall); arrays allowed.  The
    arc's half angle solves segment_area_per_chord2(a) = |A| / c^2 (rising from 0 to infinity on
    (0, pi)), by bisection to 1e-12 rad; kappa = 2 sin(a) / c."""
    c, area = np.broadcast_arrays(np.asarray(chord_um, float), np.asarray(area_um2, float))
    out = np.empty(c.shape)
    _chord_curvatures(np.ascontiguousarray(c).ravel(), np.ascontiguousarray(area).ravel(), out.ravel(), *_tree(),
                      _TREE_LEVELS)
    return out


def laplace_traction_MPa(surface_energy_J_m2: float, curvature_per_um):
    """gamma kappa (MPa; J/m^2 per um is MPa): the wall's pull on the metal, closing where > 0."""
    return surface_energy_J_m2 * np.asarray(curvature_per_um, float)


def equilibrium_chord_um(area_um2, cap: VoidCap):
    """The chord at which a void of this section area meets the electrolyte at its Young angle."""
    return np.sqrt(np.maximum(np.asarray(area_um2, float), 0.0) / cap.section_area_per_chord2)


# The spherical cap's V / a^3 against its angle alpha (kmc.physics.nucleation.VoidCap), rising from 0
# to infinity on (0, pi): cap_curvature_per_um inverts it by interpolation in log(V / a^3) on angles
# 2e-4 rad apart (the curvature to < 1e-6 relative; to 1e-4 for flat caps and near pi), and below the
# table's first angle by the flat cap's V / a^3 = (pi / 4) alpha (where 2 - 3 cos + cos^3 loses its digits).
_CAP_ANGLES = np.unique(np.concatenate([np.geomspace(0.02, 0.05, 100), np.linspace(0.05, math.pi - 0.05, 16000),
                                        math.pi - np.geomspace(0.05, 1e-3, 400)]))
_CAP_LOG_K = np.log([VoidCap(a).volume_per_radius3 for a in _CAP_ANGLES])


def cap_curvature_per_um(base_radius_um, volume_um3):
    """Signed total curvature 2 / R (1/um) of the spherical cap on a circle of this base radius that
    holds this signed volume (> 0: bulging into the metal): a cap's wall pulls with gamma 2 / R (two
    curvatures), where a tunnel's cut pulls with gamma / R (``chord_curvature_per_um``).  Its angle
    solves VoidCap(alpha).volume_per_radius3 = |V| / a^3; 2 / R = 2 sin(alpha) / a; 0 at zero volume;
    arrays allowed."""
    a = np.asarray(base_radius_um, float)
    volume = np.asarray(volume_um3, float)
    ratio = np.abs(volume) / np.maximum(a, 1e-300) ** 3
    log_ratio = np.log(np.maximum(ratio, 1e-300))
    alpha = np.where(log_ratio < _CAP_LOG_K[0], ratio * (_CAP_ANGLES[0] / math.exp(_CAP_LOG_K[0])),
                     np.interp(log_ratio, _CAP_LOG_K, _CAP_ANGLES))
    kappa = 2 * np.sin(alpha) / np.maximum(a, 1e-300)
    return np.where(volume == 0, 0.0, np.sign(volume) * kappa)
