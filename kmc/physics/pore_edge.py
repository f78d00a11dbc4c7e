"""The pore's edge as both scales read it (docs/pore_edge.md): the records the kMC
measures at a pore of the electrolyte's face (``kmc rates``, kmc.interface_rates.edge), their units and
their clock, the reader of a parameter file's ``[pore_edge]`` rows (which ``kmc rates --write-edge``
fills, as ``--write-meso`` fills the I(S) rows), and the one profile the capture length is defined by.

Each record is a row per supersaturation S measured (``supersaturation``), with its one standard error
in the key of the same name + ``_error``:

* ``wall_capture_probability`` (1): a vacancy in the metal just below the pore's receded surface goes
  into the pore's void before it reaches the bulk (ESCAPE: the fifth layer); 1 is a perfect sink, the
  cell's c = c_eq at a pore's wall.
* ``rim_capture_probability`` (1): the same for a vacancy where stripping makes one at the rim (a
  contact site next to the pore's mouth).
* ``capture_length_nm`` (nm): the length along the contact over which the rim takes what stripping
  makes, through the interface layers, before it leaves for the bulk: the ``capture_profile`` fitted
  to the capture probabilities at 1, 4 and 10 sites from the rim.
* ``rim_refill_probability`` (1): a gap one site wide along the rim (the contact line retreated by a
  site) refills, its vacancies going into the pore's metal (the contact line back at the rim:
  re-wetting), rather than widening to two sites.
* ``rim_refill_time_s`` (s): the mean time that takes, in the clock of ``hop_prefactor_Hz``: the box's
  hops at that prefactor (kmc.model.box_hop_prefactor_Hz); a set whose box hops at another prefactor
  divides the time by the ratio (a change of clock, kmc.physics.nucleation.rate_at_hop_prefactor's
  reasoning: every rate here is a hop's).  A lower bound: trials still undecided at the event cap are
  left out (docs/pore_edge.md section 5).

The probabilities carry no clock.  Between rows the records are interpolated linearly in ln S; outside
them the nearest row holds (the records hardly depend on S where one vacancy decides them, docs).

What the cell-scale model takes from each record (docs/pore_edge.md section 8) is written here once, as
functions of plain numbers: the share of what lands on a wall whose contact line sits at a pore's rim
that moves the line off the rim (``rim_retreat_share``, from the refill probability: the one rate the
records change), the wall's extrapolation length as a sink (``wall_extrapolation_layers``) and the share
of a rim cell's stripping the contact layers carry straight into the pore (``rim_capture_share``), which
confirm what the cell model assumes (its walls at c_eq take what its field brings within a cell).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RECORDS = {  # name: (unit, what)
    "wall_capture_probability": ("1", "a vacancy below the pore's receded surface goes into the pore"),
    "rim_capture_probability": ("1", "a vacancy at the rim's contact site goes into the pore"),
    "capture_length_nm": ("nm", "length along the contact over which the rim takes stripped vacancies"),
    "rim_refill_probability": ("1", "a one-site gap along the rim refills rather than widening"),
    "rim_refill_time_s": ("s", "mean time of the refill (a lower bound), in the clock of hop_prefactor_Hz"),
}


@dataclass(frozen=True)
class PoreEdgeRecords:
    """The [pore_edge] rows: ``values[name]`` and ``errors[name]`` per row of ``supersaturation``."""
    supersaturation: np.ndarray
    values: dict
    errors: dict
    hop_prefactor_Hz: float

    def at(self, name: str, supersaturation, hop_prefactor_Hz: float | None = None):
        """(value, error) of record ``name`` at S (linear in ln S between rows, the nearest row
        outside); a time converted to a box hopping at ``hop_prefactor_Hz`` (None: the rows' clock).
        ``supersaturation``: a number (floats back) or an array (a local S per cell: arrays back)."""
        if name not in RECORDS:
            raise KeyError(f"unknown pore-edge record {name!r}; allowed: {', '.join(RECORDS)}")
        x = np.log(self.supersaturation)
        s = np.log(np.maximum(supersaturation, 1.0))
        value, error = (np.interp(s, x, rows) for rows in (self.values[name], self.errors[name]))
        if RECORDS[name][0] == "s" and hop_prefactor_Hz is not None:
            value, error = (v * self.hop_prefactor_Hz / hop_prefactor_Hz for v in (value, error))
        if np.ndim(supersaturation) == 0:
            return float(value), float(error)
        return value, error

    def in_clock(self, hop_prefactor_Hz: float) -> PoreEdgeRecords:
        """The same records with their times in the clock of a box hopping at ``hop_prefactor_Hz`` (a
        cell-scale run's own: kmc.model.box_hop_prefactor_Hz of its settings)."""
        ratio = self.hop_prefactor_Hz / hop_prefactor_Hz

        def scaled(table):
            return {name: (rows * ratio if RECORDS[name][0] == "s" else rows) for name, rows in table.items()}
        return PoreEdgeRecords(self.supersaturation, scaled(self.values), scaled(self.errors), hop_prefactor_Hz)

    def worst(self, name: str, largest: bool) -> tuple[float, float, float]:
        """(value, error, S) of the row with the largest (``largest``) or smallest value of record
        ``name``: what a check at run start reads, since the run's local S lies among or beyond the rows
        and the nearest row holds beyond them."""
        rows = self.values[name]
        k = int(np.argmax(rows) if largest else np.argmin(rows))
        return float(rows[k]), float(self.errors[name][k]), float(self.supersaturation[k])


def read_records(table) -> PoreEdgeRecords | None:
    """The records of a parameter file's [pore_edge] table (a mapping of its keys: settings.pore_edge's
    section or the parsed TOML), None without rows.  Rows of unequal length, or S not rising, are
    refused with what is allowed."""
    if table is None:
        return None
    get = table.get if hasattr(table, "get") else (lambda k, d=None: getattr(table, k, d))
    S = np.asarray(get("supersaturation", []), float)
    if S.size == 0:
        return None
    if np.any(np.diff(S) <= 0) or np.any(S < 1):
        raise ValueError(f"pore_edge.supersaturation = {S.tolist()}; allowed: rising values >= 1")
    values, errors = {}, {}
    for name in RECORDS:
        for key, out in ((name, values), (name + "_error", errors)):
            rows = np.asarray(get(key, []), float)
            if rows.shape != S.shape:
                raise ValueError(f"pore_edge.{key} has {rows.size} rows and pore_edge.supersaturation {S.size}; "
                                 "allowed: one row per supersaturation (kmc rates --write-edge writes them)")
            out[name] = rows
    return PoreEdgeRecords(S, values, errors, float(get("hop_prefactor_Hz")))


def capture_profile(distance_sites, length_sites: float, contact_sites: int):
    """P(d): the share of the vacancies made d sites from the rim (d = 1 at the rim) that reach the
    pore through the interface layers before leaving for the bulk, for lateral diffusion with a
    uniform first-order loss (length ell = sqrt(D / k)) along a contact strip of ``contact_sites``
    columns between two rims (the box's stripe, periodic), both absorbing:
    P(d) = cosh((d - (W + 1) / 2) / ell) / cosh((W + 1) / (2 ell)), W = contact_sites."""
    d = np.asarray(distance_sites, float)
    half = (contact_sites + 1) / 2.0
    return np.cosh((d - half) / length_sites) / np.cosh(half / length_sites)


def fit_capture_length(distance_sites, captured, trials, contact_sites: int) -> tuple[float, float]:
    """(ell, its standard error) in sites: the binomial maximum-likelihood fit of capture_profile to
    ``captured`` of ``trials`` at each distance; the error from the likelihood's curvature in ln ell
    (ell's relative error).  (inf, inf) where every trial was captured (no loss seen), (0, 0) where
    none was."""
    d, k, n = (np.asarray(a, float) for a in (distance_sites, captured, trials))
    if np.all(k == n):
        return math.inf, math.inf
    if np.all(k == 0):
        return 0.0, 0.0

    def nll(log_ell):
        p = np.clip(capture_profile(d, math.exp(log_ell), contact_sites), 1e-12, 1 - 1e-12)
        return -float(np.sum(k * np.log(p) + (n - k) * np.log(1 - p)))

    grid = np.linspace(math.log(0.05), math.log(10 * contact_sites), 400)
    best = grid[int(np.argmin([nll(x) for x in grid]))]
    h = 1e-3
    lo, hi = best - 0.1, best + 0.1
    for _ in range(60):           # golden-section refinement of the grid's minimum
        a, b = lo + 0.382 * (hi - lo), lo + 0.618 * (hi - lo)
        lo, hi = (lo, b) if nll(a) < nll(b) else (a, hi)
    best = 0.5 * (lo + hi)
    curvature = (nll(best + h) - 2 * nll(best) + nll(best - h)) / h ** 2
    ell = math.exp(best)
    return ell, (ell / math.sqrt(curvature) if curvature > 0 else math.inf)


# The wall trial's walk (kmc.interface_rates.edge, fate "wall"): the vacancy starts one layer below the
# pore's receded floor (in L3, the floor in L2) and is lost at the escape layer, three below the floor (L5).
WALL_TRIAL_START_LAYERS = 1
WALL_TRIAL_LOSS_LAYERS = 3


def absorbing_wall_capture() -> float:
    """The wall trial's capture probability for a perfectly absorbing floor on an unbiased walk (the
    gambler's ruin between the floor and the escape layer): 2/3."""
    return (WALL_TRIAL_LOSS_LAYERS - WALL_TRIAL_START_LAYERS) / WALL_TRIAL_LOSS_LAYERS


def wall_extrapolation_layers(wall_capture_probability):
    """lambda (layers): the pore's wall as a sink, c - c_eq = lambda dc/dn there (a Robin wall), from the
    wall trial's capture probability P, inverting the walk's splitting probability
    P = (L - x0) / (L + lambda) (x0 the start's and L the loss's layers below the floor).  0: c = c_eq
    at the floor (a perfect sink); > 0: an attachment barrier, the wall as if lambda layers farther
    away; < 0: the sink reaches above the floor (a rough surface that draws vacancies in)."""
    P = np.asarray(wall_capture_probability, float)
    with np.errstate(divide="ignore"):
        return np.where(P > 0, (WALL_TRIAL_LOSS_LAYERS - WALL_TRIAL_START_LAYERS) / P - WALL_TRIAL_LOSS_LAYERS,
                        np.inf)


def rim_retreat_share(rim_refill_probability):
    """The share of the vacancies landing on a void's wall whose contact line sits at a pore's rim that
    moves the contact line off the rim (the rest goes into the pore's metal beneath its mouth).  The
    gap the line leaves under the electrolyte is a walk in sites: each step it refills (the line one
    site back toward the rim) with the measured probability p, or widens with 1 - p (the one-site odds
    the kMC measured, taken as every site's).  From the rim it leaves for good with the gambler's ruin
    probability of never returning, 1 - p / (1 - p) for p < 1/2, and 0 for p >= 1/2 (a walk biased back
    to the rim returns to it: the line is pinned there)."""
    p = np.clip(np.asarray(rim_refill_probability, float), 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(p < 0.5, 1.0 - p / (1.0 - p), 0.0)
    return float(out) if out.ndim == 0 else out


def rim_capture_share(capture_length_nm, cell_nm: float):
    """The share of what stripping makes over a contact cell next to a pore's rim that the contact
    layers carry straight into the pore: the one-rim capture profile exp(-d / ell) (capture_profile far
    from a second rim) averaged over the cell's width h, (ell / h) (1 - exp(-h / ell))."""
    ell = np.asarray(capture_length_nm, float)
    return np.where(ell > 0, ell / cell_nm * -np.expm1(-cell_nm / np.maximum(ell, 1e-300)), 0.0)
