"""The open pores of a cold-pressed electrolyte's face, from its relative density and particle size
(docs/physics.md section 9): stereology of a pressed powder.

The pellet is taken as overlapping spheres of the particles' diameter d placed at random (a Boolean
model, Torquato, Random Heterogeneous Materials (2002), ch. 3 and 5: the standard model of a
compact whose particles have flattened into one another), with the intensity that leaves the
measured porosity phi = 1 - relative density, and its face as a plane through it (pressed flat
against a polished plunger).  Then, exactly:

* the open fraction of the face, and of any line on it, is phi (stereology: area and line
  fractions equal the volume fraction for an isotropic structure);
* a line meets the solid's chords at the rate lambda_1 = (3/2) ln(1/phi) / d per unit length, and
  the open stretches between them (the pores a section sees) have exponentially distributed widths
  of mean 1 / lambda_1 = 2 d / (3 ln(1/phi)): 0.38 d at phi = 0.17; phi lambda_1 pores per unit
  length;
* from an open point of the face, the depth to the first solid straight down is exponential with
  the same mean (the linear contact distribution): pores are as deep as they are wide.

``face_pore_depth_um`` draws the depth of the open pore below every point of a section line from
the model itself (discs: the spheres' cuts by the section's plane), so widths, depths and their
correlation along the line all come from the one structure.  Units: um."""
from __future__ import annotations

import math

import numpy as np


def porosity(relative_density: float) -> float:
    """phi = 1 - relative density (the pores' volume fraction)."""
    return 1.0 - relative_density


def chord_rate_per_um(porosity_: float, particle_diameter_um: float) -> float:
    """lambda_1 = (3/2) ln(1/phi) / d: solid chords a line meets per um (inf at phi = 0)."""
    if porosity_ <= 0:
        return math.inf
    return 1.5 * math.log(1.0 / porosity_) / particle_diameter_um


def mean_pore_width_um(porosity_: float, particle_diameter_um: float) -> float:
    """The mean width of the open stretches of a line, 1 / lambda_1 (also the pores' mean depth)."""
    return 1.0 / chord_rate_per_um(porosity_, particle_diameter_um)


def pores_per_um(porosity_: float, particle_diameter_um: float) -> float:
    """Open stretches per um of line, phi lambda_1 (one per solid chord that starts in the open)."""
    return porosity_ * chord_rate_per_um(porosity_, particle_diameter_um)


def face_pore_depth_um(cells: int, cell_um: float, porosity_: float, particle_diameter_um: float,
                       rng: np.random.Generator, depth_limit_um: float | None = None) -> np.ndarray:
    """Depth (um) of the open pore below the centre of each cell of a periodic section line lying in
    the pellet's face (0 where the face is solid there), drawn from the Boolean model of the module
    docstring: sphere centres at intensity ln(1/phi) / (pi d^3 / 6), those within d/2 of the
    section's plane cut it in discs of radius sqrt(d^2/4 - z^2); the pellet is the discs' union
    below the face (y <= 0); each cell's depth is how far below the face its column first meets a
    disc.  Pores deeper than ``depth_limit_um`` (default 12 mean widths: a share e^-12 of them)
    are cut there, as are pores below the sampled slab."""
    if porosity_ <= 0:
        return np.zeros(cells)
    d = particle_diameter_um
    width_um = cells * cell_um
    limit = _depth_limit_um(porosity_, d, depth_limit_um)
    intensity = math.log(1.0 / porosity_) / (math.pi * d ** 3 / 6)     # sphere centres per um^3
    top, bottom = 0.5 * d, -limit - 0.5 * d                               # centres whose discs can reach y <= 0
    count = rng.poisson(intensity * width_um * d * (top - bottom))
    xc = rng.uniform(0.0, width_um, count)
    yc = rng.uniform(bottom, top, count)
    zc = rng.uniform(-0.5 * d, 0.5 * d, count)
    radius = np.sqrt(0.25 * d * d - zc * zc)
    depth = np.full(cells, limit)
    _cut_columns(depth, np.zeros(count, np.int64), xc, yc, radius, cells, cell_um, d)
    return depth


def face_pore_depth_map_um(shape: tuple[int, int], cell_um: float, porosity_: float, particle_diameter_um: float,
                           rng: np.random.Generator, depth_limit_um: float | None = None) -> np.ndarray:
    """Depth (um) of the open pore below the centre of each cell of a periodic (depth, width) area of
    the pellet's face: the same Boolean model as ``face_pore_depth_um``, its spheres placed over the
    area (centres uniform over the torus, within d/2 + the depth limit below the face).  Each row of
    cells is a section line, cut by the spheres whose centres lie within d/2 of it in discs of radius
    sqrt(d^2/4 - z^2) (z: the centre's distance from the row), and takes its depths by the line's rule
    (``_cut_columns``): every row has the section's stereology exactly (open fraction phi, the chord
    law), and rows closer than d share the spheres that make them correlate."""
    nz, nx = shape
    if porosity_ <= 0:
        return np.zeros((nz, nx))
    d = particle_diameter_um
    limit = _depth_limit_um(porosity_, d, depth_limit_um)
    intensity = math.log(1.0 / porosity_) / (math.pi * d ** 3 / 6)
    top, bottom = 0.5 * d, -limit - 0.5 * d
    depth_um, width_um = nz * cell_um, nx * cell_um
    count = rng.poisson(intensity * width_um * depth_um * (top - bottom))
    xc = rng.uniform(0.0, width_um, count)
    yc = rng.uniform(bottom, top, count)
    zc = rng.uniform(0.0, depth_um, count)
    # every (sphere, row) pair within d/2: the rows a sphere cuts, periodic along the depth
    reach = int(math.ceil(0.5 * d / cell_um)) + 1
    first_row = np.floor(zc / cell_um - 0.5).astype(np.int64) - reach
    rows = first_row[:, None] + np.arange(2 * reach + 2)[None, :]
    dz = (rows + 0.5) * cell_um - zc[:, None]
    cuts = dz * dz < 0.25 * d * d
    sphere, _ = np.nonzero(cuts)
    radius = np.sqrt(0.25 * d * d - dz[cuts] ** 2)
    depth = np.full(nz * nx, limit)
    _cut_columns(depth, rows[cuts] % nz, xc[sphere], yc[sphere], radius, nx, cell_um, d)
    return depth.reshape(nz, nx)


def _depth_limit_um(porosity_: float, particle_diameter_um: float, depth_limit_um: float | None) -> float:
    """The deepest pore drawn: ``depth_limit_um``, by default 12 mean widths (a share e^-12 deeper)."""
    return 12.0 * mean_pore_width_um(porosity_, particle_diameter_um) if depth_limit_um is None else depth_limit_um


def _cut_columns(depth: np.ndarray, row: np.ndarray, xc: np.ndarray, yc: np.ndarray, radius: np.ndarray,
                 cells: int, cell_um: float, d: float) -> None:
    """The line's rule, on rows of ``cells`` cells laid end to end in ``depth`` (changed in place): a
    disc of centre (xc, yc) and radius ``radius`` in the plane of its row ``row`` covers the cell
    centres within its radius (periodic along the row), and is pellet below the face there: each
    covered cell's depth is the smaller of its own and how far below the face (y = 0) the disc
    begins (0 where the disc reaches the face)."""
    first = np.floor((xc - radius) / cell_um - 0.5).astype(np.int64) + 1
    last = np.floor((xc + radius) / cell_um - 0.5).astype(np.int64)
    idx = first[:, None] + np.arange(int(math.ceil(d / cell_um)) + 2)[None, :]
    covered = idx <= last[:, None]
    dx = (idx + 0.5) * cell_um - xc[:, None]                               # unwrapped: periodic by idx % cells
    half = np.sqrt(np.maximum(radius[:, None] ** 2 - dx * dx, 0.0))
    reach = covered & (yc[:, None] - half <= 0.0)                          # the disc is pellet below the face there
    cut = np.where(yc[:, None] + half >= 0.0, 0.0, -(yc[:, None] + half))  # solid at the face, or this far below it
    target = (row[:, None] * cells + idx % cells)[reach]
    np.minimum.at(depth, target, cut[reach])
