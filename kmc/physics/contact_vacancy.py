"""Where the vacancies that stripping makes at the contact go, as both scales read it (docs/alloy.md
section 6): the records the kMC measures by following one stripped vacancy through the
contact layers at physical kinetics (``kmc rates --write-contact``, kmc.interface_rates.contact), their
units and clock, the reader of a parameter file's ``[contact_vacancy]`` rows, and the rules that carry
them to the cell.

The seed's DFT says Mg at the contact repels vacancies into the bulk (docs/physics.md §2: an L1
vacancy next to Mg is filled by the L2 Mg, -0.67 eV, leaving the vacancy 7.2 A away).  What that does to
a stripped vacancy is measured, per composition of the metal just below the contact (rows of
``subsurface_solute_fraction``: the alloy as made, and enriched as stripping leaves it), as:

* ``collection_length_nm`` (nm): the lateral reach of its walk through the contact layers before it leaves
  them for the bulk (the escape layer, kmc.interface_rates.edge.ESCAPE_LAYER): lambda, the mean of its
  farthest excursion along one direction (``collection_length``).  A straight sink in the contact (a
  pore's rim, a ledge, a misfit dislocation) takes what stripping makes within ~lambda of it.
* ``escape_time_s`` (s): the mean time it spends in the interface layers, in the clock of
  ``hop_prefactor_Hz`` (kmc.model.box_hop_prefactor_Hz; a set whose box hops at another prefactor divides
  it by the ratio, as kmc.physics.pore_edge's times).
* ``l1_solute_fraction`` (1): L1's solute per site at the trials' starts (its segregation equilibrium with
  the row's subsurface composition): what the row's contact is.

What the cell takes from them (functions of plain numbers):

* ``encounter_number``: how many other vacancies stripping makes within lambda of one while it walks
  there (~1e-9 at 0.5 mA/cm^2): none meet, so nothing clusters at the contact at physical kinetics and
  the contact holds none of them; they go to a pore's metal within lambda of a rim or into the bulk.
* ``line_sink_share``: the share of what stripping makes over a contact whose own sinks are lines d apart
  that those sinks take through the contact layers, (2 lambda / d) tanh(d / 2 lambda), and
  ``sink_ratio``: the contact's sink strength at one composition over another's, the ratio of those
  shares (lambda(x) / lambda(0) where the sinks lie far apart against lambda): how a contact sink
  calibrated on the pure host (kmc.physics.vacancy's) is carried to an alloy and to its Mg-rich contact.

Between rows the records are linear in the subsurface fraction; outside them the nearest row holds."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc import units

RECORDS = {  # name: (unit, what)
    "collection_length_nm": ("nm", "mean farthest reach along one direction of a stripped vacancy's walk through "
                                   "the contact layers before it leaves them for the bulk"),
    "escape_time_s": ("s", "mean time a stripped vacancy spends in the interface layers, in the clock of "
                           "hop_prefactor_Hz"),
    "l1_solute_fraction": ("1", "L1's solute per site at the starts (segregation equilibrium with the row)"),
}
AXIS = "subsurface_solute_fraction"


def collection_length(excursions_A) -> tuple[float, float]:
    """(lambda, its standard error) in A: the mean farthest reach of the walks along one direction before
    they left the interface layers, from per-walk rows of reaches along +x, -x, +y, -y (equivalent by
    symmetry: each walk's mean of the four is one sample); error: se over the walks.  A straight sink line
    at distance s from a start takes the walk with the probability P(M > s) that its reach M toward it
    exceeds s, so lambda = E[M] = integral of P(M > s) ds is the length a sparse line sink collects over on
    each side (``line_sink_share``); for lateral diffusion with a first-order loss P(M > s) = exp(-s /
    lambda), kmc.physics.pore_edge.capture_profile's length."""
    e = np.asarray(excursions_A, float)
    e = e.reshape(e.shape[0], -1)
    if e.shape[0] < 2:
        raise ValueError(f"{e.shape[0]} walks; allowed: at least 2 to give a length with an error")
    per_walk = e.mean(axis=1)
    return float(per_walk.mean()), float(per_walk.std(ddof=1) / math.sqrt(per_walk.size))


def mean_with_error(values) -> tuple[float, float]:
    """(mean, its standard error) of independent samples."""
    v = np.asarray(values, float)
    if v.size < 2:
        raise ValueError(f"{v.size} samples; allowed: at least 2 to give a mean with an error")
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))


def encounter_number(current_mA_cm2: float, escape_time_s: float, collection_length_nm: float) -> float:
    """Vacancies stripping makes within lambda of one while it walks the contact layers: the stripping
    flux (i / e per area) times pi lambda^2 times its escape time.  << 1: each walks alone."""
    flux_per_nm2_s = current_mA_cm2 * units.A_PER_MA / units.ELEMENTARY_CHARGE_C / (units.UM2_PER_CM2 * units.NM_PER_UM ** 2)
    return flux_per_nm2_s * math.pi * collection_length_nm ** 2 * escape_time_s


def line_sink_share(collection_length_nm, spacing_nm):
    """The share of the vacancies made uniformly over a contact whose sinks are parallel lines
    ``spacing_nm`` apart that reach a sink through the contact layers: lateral diffusion with a
    first-order loss of length lambda between absorbing lines, averaged over the strip,
    (2 lambda / d) tanh(d / 2 lambda) (1 where the lines are close against lambda)."""
    lam = np.asarray(collection_length_nm, float)
    d = np.asarray(spacing_nm, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(lam > 0, 2 * lam / d * np.tanh(d / np.maximum(2 * lam, 1e-300)), 0.0)
    return float(out) if out.ndim == 0 else out


def sink_ratio(collection_length_nm, reference_length_nm: float, spacing_nm=math.inf):
    """The contact's sink strength where its walks reach ``collection_length_nm`` over the reference's
    (line_sink_share's ratio at the sinks' spacing; lambda / lambda_ref for sinks far apart, the default)."""
    lam = np.asarray(collection_length_nm, float)
    if math.isinf(spacing_nm):
        out = lam / reference_length_nm
    else:
        out = line_sink_share(lam, spacing_nm) / line_sink_share(reference_length_nm, spacing_nm)
    return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class ContactVacancyRecords:
    """The [contact_vacancy] rows: ``values[name]`` and ``errors[name]`` per row of subsurface solute
    fraction, measured at ``supersaturation`` with the box hopping at ``hop_prefactor_Hz``."""
    subsurface_fraction: np.ndarray
    values: dict
    errors: dict
    supersaturation: float
    hop_prefactor_Hz: float

    def at(self, name: str, subsurface_fraction, hop_prefactor_Hz: float | None = None):
        """(value, error) of record ``name`` at the subsurface solute fraction (a number: floats back; an
        array, one per cell: arrays back), linear between rows, the nearest row outside; a time in the
        clock of a box hopping at ``hop_prefactor_Hz`` (None: the rows')."""
        if name not in RECORDS:
            raise KeyError(f"unknown contact-vacancy record {name!r}; allowed: {', '.join(RECORDS)}")
        x = np.asarray(subsurface_fraction, float)
        value, error = (np.interp(x, self.subsurface_fraction, rows) for rows in (self.values[name], self.errors[name]))
        if RECORDS[name][0] == "s" and hop_prefactor_Hz is not None:
            value, error = (v * self.hop_prefactor_Hz / hop_prefactor_Hz for v in (value, error))
        if x.ndim == 0:
            return float(value), float(error)
        return value, error

    def sink_ratio(self, subsurface_fraction, spacing_nm=math.inf):
        """kmc.physics.contact_vacancy.sink_ratio against the rows' first (the least solute: the pure host
        for a row at 0)."""
        lam, _ = self.at("collection_length_nm", subsurface_fraction)
        return sink_ratio(lam, float(self.values["collection_length_nm"][0]), spacing_nm)


def read_records(table) -> ContactVacancyRecords | None:
    """The records of a parameter file's [contact_vacancy] table (settings' section or the parsed TOML),
    None without rows.  Rows of unequal length, or subsurface fractions not rising in [0, 1], are refused
    with what is allowed."""
    if table is None:
        return None
    get = table.get if hasattr(table, "get") else (lambda k, d=None: getattr(table, k, d))
    x = np.asarray(get(AXIS, []), float)
    if x.size == 0:
        return None
    if np.any(np.diff(x) <= 0) or np.any(x < 0) or np.any(x > 1):
        raise ValueError(f"contact_vacancy.{AXIS} = {x.tolist()}; allowed: rising fractions in [0, 1]")
    values, errors = {}, {}
    for name in RECORDS:
        for key, out in ((name, values), (name + "_error", errors)):
            rows = np.asarray(get(key, []), float)
            if rows.shape != x.shape:
                raise ValueError(f"contact_vacancy.{key} has {rows.size} rows and contact_vacancy.{AXIS} {x.size}; "
                                 "allowed: one row per subsurface fraction (kmc rates --write-contact writes them)")
            out[name] = rows
    return ContactVacancyRecords(x, values, errors, float(get("supersaturation")), float(get("hop_prefactor_Hz")))
