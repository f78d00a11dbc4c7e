"""One vocabulary for what a run records, at every scale: the observables that the kMC box, the disc
model, the resolved section (and any later model of the interface) all record, each declared once here
with its unit and meaning; each model adds its own entries and says how it measures a shared one.

A model's registry is ``registry(...)``: shared names (a string) and the model's own ``Quantity``s, in
the order the file stores them; the run-file writers take it (name -> (unit, description)) and the
readers read units and descriptions back from the file.  Descriptions may name ``{host}`` and
``{solute}``; the kMC writer fills in the run's element symbols.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

PERCENTILES = ("min", "q1", "median", "q3", "max")


@dataclass(frozen=True)
class Quantity:
    """A recorded quantity: its name in the file, its unit (``"1"``: a number or a fraction) and what it
    means."""
    name: str
    unit: str
    doc: str

    def measured_as(self, how: str) -> "Quantity":
        """The same quantity with how one model measures it appended to its meaning."""
        return replace(self, doc=f"{self.doc}; {how}")


SHARED = {q.name: q for q in (
    Quantity("stripped_charge", "mAh/cm^2", "charge stripped per interface area"),
    Quantity("physical_time", "s", "cell time the stripped charge takes at the set current (charge / current)"),
    Quantity("contact_fraction", "1", "share of the interface where the metal touches the electrolyte and carries "
                                      "current"),
    Quantity("overpotential", "mV", "overpotential of the set current on the contact that is left"),
    Quantity("interface_solute_fraction", "1", "{solute} fraction of the contact layer L1"),
    Quantity("supersaturation", "1", "interface vacancy fraction / c_eq"),
    Quantity("captured_fraction", "1", "share of the stripped vacancies that the voids capture (the rest reach "
                                       "the sinks)"),
    Quantity("void_count", "1", "interface voids"),
    Quantity("void_volume_per_area", "um", "void volume / interface area"),
    Quantity("section_voids_per_um", "1/um", "voids per um of an SEM-like section, counting those at least "
                                             "meso.min_void_width_um wide"),
    *(Quantity(f"void_{q}_{s}", "um", f"{s} of the counted voids' {q}s on the sections")
      for q in ("width", "height") for s in PERCENTILES),
    Quantity("nucleated", "1", "voids nucleated so far"),
    Quantity("coalescences", "1", "voids merged so far"),
)}


def shared(name: str, how: str | None = None) -> Quantity:
    """The shared entry ``name`` (KeyError for a name the vocabulary does not hold), with how a model
    measures it appended if given."""
    q = SHARED[name]
    return q.measured_as(how) if how else q


def registry(*entries: str | Quantity) -> dict[str, tuple[str, str]]:
    """{name: (unit, description)} in the order given, for a run file's writer: a string is a shared
    entry, a Quantity a model's own (or a shared one with its measurement, ``shared(name, how)``).  A
    model's own entry may not take a shared name with another unit or no shared meaning."""
    out = {}
    for entry in entries:
        q = SHARED[entry] if isinstance(entry, str) else entry
        if q.name in SHARED and (q.unit != SHARED[q.name].unit or not q.doc.startswith(SHARED[q.name].doc)):
            raise ValueError(f"{q.name} is a shared quantity ({SHARED[q.name].unit}): declare it with "
                             f"kmc.vocabulary.shared({q.name!r}, how)")
        if q.name in out:
            raise ValueError(f"{q.name} is declared twice")
        out[q.name] = (q.unit, q.doc)
    return out
