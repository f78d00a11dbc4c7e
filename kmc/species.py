"""Species as data: the one place for site codes, symbols and colours.

A site holds a vacancy, the host metal (the strippable one, Li) or the solute (the alloying
element, Mg in seed 004; Ag or Zn from a user's own DFT).  The engine and the model only know the
codes below; which elements they stand for is named in the parameter file's ``[species]`` table
(``host = "Li"``, ``solute = "Mg"``) and travels with every run file as the attributes
``species.host`` and ``species.solute`` of ``/parameters``.
"""
from __future__ import annotations

from dataclasses import dataclass

VACANCY, HOST, SOLUTE = 0, 1, 2
CODES = (VACANCY, HOST, SOLUTE)
ROLES = {VACANCY: "vacancy", HOST: "host", SOLUTE: "solute"}
VACANCY_SYMBOL = "Va"          # not an element symbol, so OVITO and ASE keep it apart

# One colour per role, used in every figure (the electrolyte's is in kmc.plot).
COLOURS = {VACANCY: "#23203f", HOST: "#bcc7d3", SOLUTE: "#e0622a"}

# What a file that predates [species] held: seed 004's Li and Mg.
DEFAULT_HOST, DEFAULT_SOLUTE = "Li", "Mg"


@dataclass(frozen=True)
class Species:
    """The element symbols of one run: ``Species("Li", "Mg")``."""
    host: str = DEFAULT_HOST
    solute: str = DEFAULT_SOLUTE

    @property
    def symbols(self) -> tuple[str, str, str]:
        """Symbol per site code: (vacancy, host, solute)."""
        return (VACANCY_SYMBOL, self.host, self.solute)

    def symbol(self, code: int) -> str:
        return self.symbols[code]

    def label(self, code: int) -> str:
        """Name for legends: 'vacancy' or the element symbol."""
        return "vacancy" if code == VACANCY else self.symbols[code]

    def legend(self) -> str:
        """The code legend written next to every species array, e.g. '0 vacancy, 1 Li, 2 Mg'."""
        return ", ".join(f"{code} {self.label(code)}" for code in CODES)

    def code_of(self, name: str) -> int:
        """Site code of a symbol or role name ('Li', 'host', 'Mg', 'solute', 'vacancy'); KeyError if none."""
        for code in CODES:
            if name in (self.symbols[code], ROLES[code]) or (code == VACANCY and name == "vacancy"):
                return code
        raise KeyError(name)


def species_of(settings) -> Species:
    """The Species of a validated configuration (kmc.config.Settings)."""
    return Species(settings.species.host, settings.species.solute)


def species_from_attributes(attrs) -> Species:
    """The Species recorded in a run file's ``/parameters`` attributes (Li/Mg for files written
    before species were data)."""
    def text(key, default):
        value = attrs.get(key, default)
        return value.decode() if isinstance(value, bytes) else str(value)
    return Species(text("species.host", DEFAULT_HOST), text("species.solute", DEFAULT_SOLUTE))
