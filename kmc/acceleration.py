"""What run.acceleration A does to the interface, against the cell at physical kinetics, and the
range of A over which a run's answers stay those of A = 1 (docs/rates.md, "The defaults").  Every
run checks it when it starts (kmc.launch: a warning beyond the range, and the numbers in the run
file's /run as acceleration_check_*).

With the deep box, the box's only unaccelerated stretch of the path to the sinks is its interface
region (L1..Lk, k = the first bulk-class layer: 3 on [001]), whose hops keep their physical rates
while stripping runs A times faster: in cell terms it weighs A k d instead of k d.  Quasi-static
escape then holds the interface at (kmc.physics.vacancy.supersaturation)

    S(A) = 1 + J Omega (L + (A - 1) k d) / (D_v,box c_eq,box),

against the box's own equilibrium c_eq,box = exp(-E_f/kT) (kmc.model.box_vacancy_equilibrium_fraction:
the box's energetics carry no formation entropy) with the box's hops, which carry it instead
(kmc.model.box_hop_prefactor_Hz): D_v,box c_eq,box is the cell's D_v c_eq, so S(1) is the cell's S
(9.5 for the seed's cell with the shipped formation entropy, 134 without it).
Two distortions follow from A (docs/rates.md §5):
- populations: the interface's isolated vacancies scale as S (kmc.interface_rates.steady), so they
  are within ``tolerance`` of the cell's for (A - 1) k d <= tolerance S(1) L / (S(1) - 1), A <~ 2e4;
- rare events: nuclei per stripped charge scale as I(S(A)) area (charge / current) / A;
and for a set with a solute, the box's enrichment depth is the cell's delta / A
(kmc.physics.solute), so its solute next to the contact builds A times too fast.
"""
from __future__ import annotations

import numpy as np

from kmc import units
from kmc.model import (box_vacancy_diffusivity_A2_s, box_vacancy_equilibrium_fraction, build_energy_model, build_lattice,
                       cell_transport)
from kmc.physics import nucleation, vacancy

DEFAULT_TOLERANCE = 0.10


def _interface_path_um(settings) -> float:
    lat = build_lattice(settings)
    model = build_energy_model(settings, lat)
    table = np.flatnonzero(model.bulk_layers(lat.n_layers))
    # with the deep box off, every layer of the box is unaccelerated path
    k = lat.n_layers if (table.size == 0 or settings.run.deep_box_share == 0) else int(table[0])
    return k * lat.layer_spacing_A * units.UM_PER_A


def _box_transport(settings) -> tuple[float, float]:
    """(D_v of the box's hops in um^2/s, the box's c_eq)."""
    lat = build_lattice(settings)
    model = build_energy_model(settings, lat)
    return (box_vacancy_diffusivity_A2_s(model, lat) * units.UM2_PER_A2,
            box_vacancy_equilibrium_fraction(settings, model.kT_eV))


def supersaturation_at(settings, acceleration: float | None = None) -> float:
    """S(A) of the module docstring (A = run.acceleration unless given)."""
    A = settings.run.acceleration if acceleration is None else acceleration
    cell = cell_transport(settings)
    return vacancy.supersaturation(cell.recession_velocity_um_s,
                                   cell.sink_distance_um + (A - 1.0) * _interface_path_um(settings),
                                   *_box_transport(settings))


def converged_acceleration(settings, tolerance: float = DEFAULT_TOLERANCE) -> float:
    """The largest A whose interface supersaturation is within ``tolerance`` of the box's at A = 1: the sink
    distance at which the source holds (1 + tolerance) S(1) (kmc.physics.vacancy.sink_distance_for),
    less the cell's, over the interface region's path."""
    cell = cell_transport(settings)
    longest_um = vacancy.sink_distance_for((1.0 + tolerance) * supersaturation_at(settings, 1.0),
                                           cell.recession_velocity_um_s, *_box_transport(settings))
    return 1.0 + (longest_um - cell.sink_distance_um) / _interface_path_um(settings)


def expected_nuclei(settings, rate_of_S, acceleration: float | None = None) -> float:
    """Nuclei the box expects over its run (stop charge / current in cell time, / A in box time),
    given I(S) per um^2 per s as ``rate_of_S`` (e.g. ``interpolated_rate`` of docs/rates.md's table)."""
    A = settings.run.acceleration if acceleration is None else acceleration
    area_um2 = build_lattice(settings).interface_area_A2 * units.UM2_PER_A2
    t_cell = units.physical_time_s(settings.run.stop_stripped_mAh_cm2, settings.conditions.current_density_mA_cm2)
    return rate_of_S(supersaturation_at(settings, A)) * area_um2 * t_cell / A


def solute_enrichment_excess(settings, acceleration: float | None = None) -> float | None:
    """A h / delta: the near-contact solute's excess over the bulk fraction that the box's stop charge
    h (run.stop_stripped_mAh_cm2) builds at acceleration A, where the cell builds h / delta
    (kmc.model.CellTransport.enrichment_depth_um: the box's enrichment depth is delta / A).  None
    without a solute, a current or a charge stop.  Within ``tolerance`` for A <= tolerance delta / h."""
    A = settings.run.acceleration if acceleration is None else acceleration
    cell = cell_transport(settings)
    delta_um = cell.enrichment_depth_um(cell.supersaturation)
    charge = settings.run.stop_stripped_mAh_cm2
    if delta_um is None or charge <= 0:
        return None
    h_um = cell.recession_velocity_um_s * units.physical_time_s(charge, cell.current_mA_cm2)
    return A * h_um / delta_um


CHECK_KEYS = ("supersaturation", "supersaturation_at_A1", "converged_up_to", "converged",
              "solute_enrichment_excess", "converged_up_to_solute_enrichment")


def check(settings, tolerance: float = DEFAULT_TOLERANCE) -> dict:
    """{'acceleration', CHECK_KEYS..., 'message'}: what a run at these settings distorts (message ''
    when within range; the solute's keys None without a solute)."""
    A = settings.run.acceleration
    out = {"acceleration": A, "supersaturation": supersaturation_at(settings),
           # the box's S at A = 1 (the cell's: module docstring)
           "supersaturation_at_A1": supersaturation_at(settings, 1.0),
           "converged_up_to": converged_acceleration(settings, tolerance)}
    # the box compresses the solute's enrichment depth delta by A (docs/rates.md section 5: the Li-Mg
    # sweep's L1 vacancies follow it, 1e4 against 1e3 at 3.9 se), so a solute set's range ends where
    # A h / delta exceeds the tolerance as well
    excess = solute_enrichment_excess(settings)
    out["solute_enrichment_excess"] = excess
    out["converged_up_to_solute_enrichment"] = None if not excess else tolerance * A / excess
    beyond_s = A > out["converged_up_to"]
    beyond_x = excess is not None and excess > tolerance
    out["converged"] = not (beyond_s or beyond_x)
    why = []
    if beyond_s:
        why.append(f"the interface sits at S = {out['supersaturation']:.3g} instead of the "
                   f"{out['supersaturation_at_A1']:.3g} of A = 1 (S within {tolerance:.0%} for A <= {out['converged_up_to']:.3g})")
    if beyond_x:
        why.append(f"by the stop charge the solute next to the contact is (1 + {excess:.3g}) times the bulk "
                   f"fraction, the cell's (1 + {excess / A:.2g}): the box's enrichment depth is the cell's / A "
                   f"(within {tolerance:.0%} for A <= {out['converged_up_to_solute_enrichment']:.3g})")
    out["message"] = "" if out["converged"] else (
        f"run.acceleration = {A:g} lies beyond the converged range: " + "; ".join(why)
        + "; and rare events (nucleation) get 1/A of the cell's time per stripped charge (docs/rates.md)")
    return out


def applies(settings) -> bool:
    """Whether a run of these settings has an acceleration to check: a slab that is stripped."""
    return settings.lattice.geometry == "slab" and settings.conditions.current_density_mA_cm2 > 0


def interpolated_rate(rows, params: str):
    """I(S) from the nucleation scan's rows (benchmarks/rates_nucleation.py JSON) of one parameter
    set, as kmc.physics.nucleation.measured_rate interpolates measured rows."""
    pts = sorted((r["S"], r["rate"]) for r in rows if r["params"] == params and r["rate"] > 0)
    return lambda S: nucleation.measured_rate(pts, S)
