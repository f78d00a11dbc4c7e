"""What SEM sees and what a run records: voids cut by section lines, the solute below and in the
contact, and the observables of a sample."""
from __future__ import annotations

import numpy as np

from kmc.cell.inputs import CellInputs
from kmc.physics import solute
from kmc.vocabulary import PERCENTILES, Quantity, registry, shared


# What a disc-model run records, per sample (kmc.vocabulary: the shared entries, and the disc's own)
OBSERVABLES = registry(
    "stripped_charge", "physical_time",
    shared("contact_fraction", "the interface area no void covers"),
    shared("overpotential", "Butler-Volmer at the current focused on the contact "
                            "(kmc.physics.electrochemistry.overpotential_mV)"),
    shared("supersaturation", "the quasi-static balance over the square"),
    "captured_fraction",
    shared("void_count", "in the square"),
    "void_volume_per_area",
    shared("section_voids_per_um", "chords of the voids cut by meso.section_lines lines"),
    *(f"void_{q}_{s}" for q in ("width", "height") for s in PERCENTILES),
    Quantity("subsurface_solute_fraction", "1", "solute fraction of the metal just below the contact "
                                                "(rejected-solute profile)"),
    shared("interface_solute_fraction", "in segregation equilibrium with the subsurface (kmc.fit.l1_equilibrium)"),
    shared("coalescences", "defect seeds a growing void swallows included"),
    shared("nucleated", "at I(S)"),
    Quantity("collapsed", "1", "voids at least meso.min_void_width_um wide closed by creep so far"),
)


def section_statistics(inp: CellInputs, x, y, r, h=None) -> dict:
    """Voids cut by ``section_lines`` evenly spaced lines y = const (cross-sections like the
    seed's), counting chords at least min_void_width_um wide: voids per um of section, chord
    widths and heights (um) at the chord's middle."""
    lines = (np.arange(inp.section_lines) + 0.5) * inp.width_um / inp.section_lines
    d = np.abs(y[None, :] - lines[:, None])
    d = np.minimum(d, inp.width_um - d)
    cut = d < r[None, :]
    rr = np.broadcast_to(r[None, :], d.shape)[cut]
    dd = d[cut]
    width = 2 * np.sqrt(rr ** 2 - dd ** 2)
    if inp.void_shape == "cap" or h is None:
        height = inp.shape.height_at(rr, dd)
    else:   # half-spheroid profile
        height = np.broadcast_to(h[None, :], d.shape)[cut] * np.sqrt(1 - (dd / rr) ** 2)
    seen = width >= inp.min_void_width_um
    width, height = width[seen], height[seen]
    stats = {"section_voids_per_um": width.size / (inp.section_lines * inp.width_um)}
    for name, values in (("void_width", width), ("void_height", height)):
        if values.size:
            q = np.percentile(values, [0, 25, 50, 75, 100])
        else:
            q = np.full(5, np.nan)
        for label, v in zip(("min", "q1", "median", "q3", "max"), q):
            stats[f"{name}_{label}"] = float(v)
    return stats


def subsurface_solute_fraction(inp: CellInputs, stripped_um: float, local_strip_um_s: float,
                               supersaturation: float) -> float:
    """Solute in the metal just below the contact (kmc.physics.solute.subsurface_fraction): the
    stripped depth h leaves x h of it, spread over delta = D_s / v (v the local recession, D_s the
    kMC's vacancy-mechanism diffusivity at the interface's supersaturation)."""
    if inp.solute_fraction == 0 or local_strip_um_s <= 0:
        return inp.solute_fraction
    d_s = solute.diffusivity(inp.solute_diffusivity_per_vacancy_um2_s, supersaturation, inp.vacancy_equilibrium_fraction)
    return solute.subsurface_fraction(inp.solute_fraction, stripped_um, local_strip_um_s, d_s)


def interface_solute_fraction(inp: CellInputs, subsurface_fraction: float) -> float:
    """Solute in L1: in segregation equilibrium with the subsurface (interface_solute_curve,
    linear between rows; one L1 layer holds a negligible share of the stripped solute)."""
    if not inp.interface_solute_curve:
        return inp.solute_fraction
    return solute.interface_fraction(inp.interface_solute_curve, subsurface_fraction)
