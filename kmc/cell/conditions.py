"""The conditions a cell-scale run refuses or warns about before any work (``check_conditions``)."""
from __future__ import annotations

from kmc.cell.inputs import CellInputError
from kmc.config import Settings


# Temperatures.  The model's numbers were measured at room temperature: seed 004's operando SEM, Li
# creep of Masias et al. 2019 at ~26 C (299 K, creep.reference_temperature_K 298 K); 293 K (20 C) is
# the low end of a laboratory's room temperature.  Away from it every rate is an Arrhenius
# extrapolation (creep Q, E_f, the hop barriers).
SOURCES_TEMPERATURE_RANGE_K = (293.0, 299.0)
# Below its martensitic start Li is no longer bcc (close-packed 9R and fcc form on cooling;
# M_s = 70 - 75 K at zero pressure, as quoted by Nat. Commun. 6, 8030 (2015)): the model's lattice
# does not exist there.
LI_MARTENSITE_START_K = 75.0


def check_conditions(settings: Settings) -> list[str]:
    """Refuse (CellInputError) a temperature where the host is not the model's bcc crystal; return
    the warnings for conditions outside what the model's sources measured.  Cheap: `kmc meso` calls
    it before any work."""
    T = settings.conditions.temperature_K
    celsius = f"{T:g} C would be {T + 273.15:g} K" if T < 100 else None
    if settings.species.host == "Li" and T < LI_MARTENSITE_START_K:
        raise CellInputError(
            f"conditions.temperature_K = {T:g}: below Li's martensitic start (~{LI_MARTENSITE_START_K:g} K) Li is "
            f"not bcc, the model's crystal; allowed: a temperature in kelvin from {LI_MARTENSITE_START_K:g} K "
            f"up (the sources measured at room temperature, {SOURCES_TEMPERATURE_RANGE_K[0]:g} - "
            f"{SOURCES_TEMPERATURE_RANGE_K[1]:g} K)" + (f"; {celsius}" if celsius else ""))
    low, high = SOURCES_TEMPERATURE_RANGE_K
    if low <= T <= high:
        return []
    return [f"conditions.temperature_K = {T:g} lies outside the temperatures the model's sources measured "
            f"(room temperature, {low:g} - {high:g} K: seed 004's SEM, Li creep at ~26 C): creep, the "
            "vacancies' equilibrium and hop rates are Arrhenius extrapolations from there, no measurement "
            "checks them" + (f" ({celsius}?)" if celsius else "")]
