"""The gap model's sub-grid nuclei (docs/mechanics.md section 6): voids smaller than a cell in a contact cell, born at
the kMC's measured I(S) or left where surface diffusion shrank a void below a cell.  Each grows by capture, 2 pi D r
(c - c_eq) (a cap of base radius r), and closes as a cavity in the contact's pressure; a cell whose nuclei cover it
opens with their volume.  The section and the area alike (kmc.resolved.gap).

A nucleus is a strong sink: at r ~ 0.1 um its conductance 2 pi r / h^2 is ~20x the contact's own, so as it grows
its cell's vacancy fraction falls (by about a third while r doubles, Li at 1.5 MPa).  A step that holds the field must
therefore not let a nucleus grow far.  The nuclei whose growth in the step would exceed
NUCLEUS_RADIUS_GROWTH_PER_STEP of their radius ("fast") are integrated on their own, in sub-steps of at most that
growth, each at the vacancy fraction its own growth leaves in its cell,

    u(r) = u0 / (1 + G_ii (g(r) - g0)),

with u = c - c_eq, g the cell's conductance and G_ii = [(K_CC + g)^-1]_ii the field's self-response there (one
solve of the vacancy field with a unit source in the cell).  That is Sherman and Morrison's formula for a change of
one diagonal entry: exact for the field with the rest of the interface held, as the step holds it.  The step ends
when a fast nucleus covers its cell (an event: the cell opens then, as it did at the end of the nucleus's last
step); the rest of the step is not cut by the nuclei.  Before (until 2026-11-29), the fastest nucleus bounded the
whole interface's step, and one nucleus at a time set 1,297 of the 3,094 steps of Li on 160 x 40 um at 1.5 MPa to
4 mAh/cm^2, each about a fifth of the largest step (docs/area.md section 6).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc.cell.inputs import critical_radius_um
from kmc.mechanics.exact import sphere_shell_volume_rate
from kmc.mechanics.law import FeatureStrength
from kmc.physics import vacancy
from kmc.physics.nucleation import VoidCap
from kmc.resolved.fields import vacancy_field

# A nucleus's radius grows by at most NUCLEUS_RADIUS_GROWTH_PER_STEP of itself by capture in one step of its
# integration, at the vacancy fraction its cell has at the step's start (docs/mechanics.md section 6): the global
# step until 2026-11-29, each fast nucleus's own sub-step since.  Li on 40 x 10 um at 1.5 MPa, nine faces (run.seed
# 1-9) at 0.2 and at 0.035 (the bound before): contact at 0.25 / 0.5 / 1 mAh/cm^2 differs by +0.002 / +0.005 / +0.002
# on average, each within 1.3 standard errors of the pairs (0.008 / 0.004 / 0.001) and below the faces' spread
# (0.028 / 0.007 / 0.004), in 25 % fewer steps; no trend from 0.01 to 0.2 at 7 MPa.
NUCLEUS_RADIUS_GROWTH_PER_STEP = 0.2
# The self-response's solve stops once its residual is below this share of its source (kmc.resolved.fields.
# vacancy_field's tolerance).  G_ii is read at one cell, and an error e in it moves the cell's u by less than e of
# itself (u0 / (1 + G dg), G dg ~ 0.5): on the pressed 160 x 40 um face at 1.5 MPa from 1.5 mAh/cm^2 (24 solves
# over 150 steps), G_ii is within 2.5e-6 of the solve to VACANCY_TOLERANCE (1e-6), as the field's own solve leaves
# c, in 8 FFT applications from nothing and 5 from the last field, against 18 and 9.
SELF_RESPONSE_TOLERANCE = 1e-3
# The fast nuclei a step integrates on their own, at most: each costs a solve of the vacancy field (its self-response,
# G_ii); past this many (a burst of nucleation, whose own limit then binds), the fastest of the rest bounds the step as
# every nucleus did before.  A cost, not an answer: the rest keep their growth within the same bound.
FAST_NUCLEI_SOLVED = 16


def poisson_where_positive(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    """Poisson counts of these means, drawn only where a mean is positive (nuclei are born on the contact cells
    alone, ~10 % of an area late in a run): numpy's Poisson draws nothing at a mean of 0, so the counts and the
    stream left behind are those of one draw over every cell (tests/test_resolved.py checks both)."""
    births = np.zeros(expected.shape, np.int64)
    some = expected > 0
    if some.any():
        births[some] = rng.poisson(expected[some])
    return births


def radius_growth_time_s(inp, cap: VoidCap, radius_um, excess_fraction):
    """The time (s) capture takes to grow a nucleus's radius by NUCLEUS_RADIUS_GROWTH_PER_STEP of itself at the
    vacancy fraction c_eq + ``excess_fraction`` held (capture 2 pi D r u into k_V r^3: d ln r / dt = 2 pi D u /
    (3 k_V r^2)); inf where it does not grow."""
    growth = (vacancy.CAP_CAPTURE_PER_RADIUS * inp.vacancy_diffusivity_um2_s * np.asarray(excess_fraction, float)
              / np.maximum(np.asarray(radius_um, float) ** 2, 1e-12))        # = 3 k_V d ln r / dt
    with np.errstate(divide="ignore"):
        return np.where(growth > 0, 3 * cap.volume_per_radius3 * NUCLEUS_RADIUS_GROWTH_PER_STEP
                        / np.where(growth > 0, growth, 1.0), np.inf)


def _grown_radius_um(inp, cap: VoidCap, radius_um, concentration, pressure_MPa, strength: FeatureStrength | None,
                     dt: float):
    """Nuclei of these radii (arrays) after dt of the explicit update, the one rule of a step and of a fast
    nucleus's sub-step: capture 2 pi D r (c - c_eq) dt at the start's radius and vacancy fraction, then closing as a
    cavity in the contact's pressure (the exact sphere rate, docs/physics.md section 7; Li's flow law at the
    nucleus's diameter, None: the bulk law)."""
    law, kv = inp.law, cap.volume_per_radius3
    gained = vacancy.cap_capture_rate(inp.vacancy_diffusivity_um2_s, radius_um, concentration,
                                      inp.vacancy_equilibrium_fraction) * dt
    p = np.maximum(pressure_MPa, 0.0)
    if strength is not None:       # a cavity of diameter 2r in a metal f(2r) times stronger: the load / f
        p = p / strength.stress_factor(law, 2 * radius_um)
    shrink = -sphere_shell_volume_rate(p, 1.0, math.inf, law.stress_exponent, law.reference_stress_MPa,
                                       law.reference_strain_rate_per_s)
    return (np.maximum(kv * radius_um ** 3 + gained, 0.0) * np.exp(-shrink * dt) / kv) ** (1 / 3)


@dataclass
class FastNuclei:
    """The nuclei a step of ``dt_s`` integrates on their own (module docstring), by their cells (flat indices)."""
    dt_s: float
    cells: np.ndarray                   # flat indices of the cells
    self_response_um: np.ndarray        # G_ii there (um: u per unit source of u's equation, (K + g) in 1/um)
    bound_s: float = math.inf           # the growth time of the fastest nucleus past FAST_NUCLEI_SOLVED (inf: none)


def fast_nuclei(inp, cap: VoidCap, K, nuclei: np.ndarray, radius_um: np.ndarray, now: dict, dt: float,
                warm: dict) -> FastNuclei:
    """The nuclei whose radius would grow by more than NUCLEUS_RADIUS_GROWTH_PER_STEP in ``dt`` at the held field,
    the FAST_NUCLEI_SOLVED fastest of them with the field's self-response in their cells (solved once per cell
    and state: kept in ``now``; each solve starts from the cell's last response field, kept in ``warm``, the
    caller's from step to step: a nucleus stays fast over several steps, and from the last field a solve takes
    ~1/3 of the iterations of one from nothing)."""
    open_cells = now["open"]
    has = np.flatnonzero(((nuclei > 0) & ~open_cells).reshape(-1))
    if has.size == 0:
        return FastNuclei(dt, has, np.zeros(0))
    excess = now["vacancies"].concentration.reshape(-1)[has] - inp.vacancy_equilibrium_fraction
    times = radius_growth_time_s(inp, cap, radius_um.reshape(-1)[has], excess)
    fast = times < dt
    cells, times = has[fast], times[fast]
    bound = math.inf
    if cells.size > FAST_NUCLEI_SOLVED:
        order = np.argsort(times, kind="stable")
        bound = float(times[order[FAST_NUCLEI_SOLVED]])
        cells = np.sort(cells[order[:FAST_NUCLEI_SOLVED]])
    kept = now.setdefault("_self_response_um", {})
    for cell in cells:
        if cell not in kept:
            kept[cell], warm[cell] = self_response_um(inp, K, open_cells, now["_conductance_per_um"], int(cell),
                                                      warm.get(cell))
    for cell in [c for c in warm if nuclei.reshape(-1)[c] == 0]:
        del warm[cell]                  # its nuclei gone or its cell opened
    return FastNuclei(dt, cells, np.array([kept[c] for c in cells]), bound)


def self_response_um(inp, K, open_cells: np.ndarray, conductance_per_um: np.ndarray, cell: int,
                     guess: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """G_ii: the vacancy field's u at contact cell ``cell`` (flat index) per unit source there, (K_CC + g)^-1 at
    (i, i), with the step's conductances g (the contact's sink and the nuclei's): one solve of the field
    (kmc.resolved.fields.vacancy_field with c_eq 0 and a source D at the cell, to SELF_RESPONSE_TOLERANCE), from
    ``guess`` (None: from 0).
    Returns (G_ii, the response on every cell)."""
    source = np.zeros(open_cells.shape)
    source.reshape(-1)[cell] = inp.vacancy_diffusivity_um2_s
    field = vacancy_field(K, inp.vacancy_diffusivity_um2_s, 0.0, 1.0, open_cells, source, conductance_per_um,
                          inp.sink_distance_um, guess=guess, tolerance=SELF_RESPONSE_TOLERANCE)
    return float(field.concentration.reshape(-1)[cell]), field.concentration


def grow_nucleus(inp, cap: VoidCap, strength, count: int, radius_um: float, excess_fraction: float,
                 self_response_um: float, pressure_MPa: float, dt: float, cell_um: float,
                 stop_at_cover: bool = False) -> tuple[float, float]:
    """One cell's ``count`` nuclei of ``radius_um`` over ``dt`` (module docstring): sub-steps of at most
    NUCLEUS_RADIUS_GROWTH_PER_STEP of radius growth, each the step's explicit update (capture at the sub-step's start,
    then the cavity's closing) at the vacancy excess their growth leaves in the cell (``excess_fraction`` and
    ``self_response_um`` at the step's start).  Returns (radius, time): the time when they cover the cell if
    ``stop_at_cover`` and they do within dt (there they stop), else dt."""
    r0, r, t = radius_um, radius_um, 0.0
    per_radius = vacancy.CAP_CAPTURE_PER_RADIUS * count / (cell_um * cell_um)     # the cell's g per um of radius
    while t < dt * (1 - 1e-12):
        u = excess_fraction / (1.0 + self_response_um * per_radius * (r - r0))
        step = min(dt - t, float(radius_growth_time_s(inp, cap, r, u)))
        r = float(_grown_radius_um(inp, cap, np.array([r]), np.array([u + inp.vacancy_equilibrium_fraction]),
                                   np.array([pressure_MPa]), strength, step)[0])
        t += step
        if r < 1e-3 or (stop_at_cover and count * math.pi * r * r >= cell_um * cell_um):
            return r, t
    return r, dt


def cover_time_s(inp, cap: VoidCap, strength, fast: FastNuclei, nuclei, radius_um, now: dict) -> float:
    """The step's bound from the nuclei: the first time a fast nucleus covers its cell within ``fast.dt_s`` (an
    event), or the growth time of the fastest past FAST_NUCLEI_SOLVED; inf if neither comes first."""
    bound = fast.bound_s
    c = now["vacancies"].concentration.reshape(-1)
    p = now["mechanics"].contact_pressure_MPa.reshape(-1)
    for cell, G in zip(fast.cells, fast.self_response_um):
        n = int(nuclei.reshape(-1)[cell])
        r, t = grow_nucleus(inp, cap, strength, n, float(radius_um.reshape(-1)[cell]),
                            float(c[cell] - inp.vacancy_equilibrium_fraction), float(G), float(p[cell]),
                            min(fast.dt_s, bound), inp.cell_um, stop_at_cover=True)
        if n * math.pi * r * r >= inp.cell_um ** 2:
            bound = min(bound, t)
    return bound


def step_subgrid_nuclei(inp, cap: VoidCap, nn: np.ndarray, r: np.ndarray, open_cells: np.ndarray,
                        new_gap: np.ndarray, now: dict, births: np.ndarray, dt: float, shrunk=(),
                        strength: FeatureStrength | None = None, fast: FastNuclei | None = None) -> tuple[int, int]:
    """The sub-grid nuclei of contact cells over dt, in place on ``nn`` (nuclei per cell), ``r`` (their
    radius, um) and ``new_gap`` (the section's cells or the area's, any shape): grow by capture, close as
    a cavity in the contact's hydrostatic pressure (the exact sphere rate, docs/physics.md section 7), take
    the voids surface diffusion shrank below a cell (``shrunk``: (cell index, volume um^3)), gain the
    step's ``births`` (drawn by the caller at I(S) dt); a cell whose nuclei cover it opens, their volume
    its gap; ``strength``: Li's flow law at the nucleus's diameter (None: the bulk law); ``fast``: the nuclei
    integrated on their own over dt (fast_nuclei; None: none).  Returns (nuclei born, cells opened)."""
    h, kv = inp.cell_um, cap.volume_per_radius3
    c = now["vacancies"].concentration
    has = (nn > 0) & ~open_cells
    if has.any():
        fast_cells = np.zeros(0, np.int64) if fast is None else fast.cells
        start = r.reshape(-1)[fast_cells]          # the fast nuclei's radii at the step's start
        r[has] = _grown_radius_um(inp, cap, r[has], c[has], now["mechanics"].contact_pressure_MPa[has], strength, dt)
        flat_r, p = r.reshape(-1), now["mechanics"].contact_pressure_MPa.reshape(-1)
        for cell, r0, G in zip(fast_cells, start, () if fast is None else fast.self_response_um):
            flat_r[cell] = grow_nucleus(inp, cap, strength, int(nn.reshape(-1)[cell]), float(r0),
                                        float(c.reshape(-1)[cell] - inp.vacancy_equilibrium_fraction), float(G),
                                        float(p[cell]), dt, h)[0]
        gone = r < 1e-3
        nn[gone] = 0
        r[gone] = 0.0
    for cell, volume in shrunk:
        total = nn[cell] * kv * r[cell] ** 3 + volume
        nn[cell] += 1
        r[cell] = (total / (nn[cell] * kv)) ** (1 / 3)
    nucleated = 0
    born = (births > 0) & ~open_cells
    if born.any():
        # a new nucleus: twice the critical radius at the cell's S, at least 2 nm (the disc model's rule)
        S = np.maximum(now["supersaturation"][born], 1.0 + 1e-9)
        r_new = np.maximum(2 * np.array([critical_radius_um(inp, x) for x in S]), 2e-3)
        total = nn[born] * r[born] ** 3 + births[born] * r_new ** 3
        nn[born] += births[born]
        r[born] = (total / nn[born]) ** (1 / 3)
        nucleated = int(births[born].sum())
    # a cell whose nuclei cover it opens, their volume its gap
    full = (~open_cells) & (nn * math.pi * r ** 2 >= h * h) & (new_gap == 0)
    if full.any():
        new_gap[full] = nn[full] * kv * r[full] ** 3 / (h * h)
        nn[full] = 0
        r[full] = 0.0
    return nucleated, int(full.sum())
