"""What run.acceleration A does to the interface, from the rates at physical kinetics, and the
range of A over which a run's answers stay those of A = 1 (docs/rates.md, "The defaults").

With the deep box, the box's only unaccelerated stretch of the path to the sinks is its interface
region (L1..Lk, k = the first bulk-class layer: 3 on [001]), whose hops keep their physical rates
while stripping runs A times faster: in cell terms it weighs A k d instead of k d.  Quasi-static
escape then holds the interface at

    S(A) = 1 + J Omega (L + (A - 1) k d) / (D_v c_eq),        S(1) = steady.cell_supersaturation,

(the issue's "S ~ 800 at A = 1e6").  Two distortions follow (issue 40):
- populations: the interface's isolated vacancies scale as S (kmc.kinetics.steady), so they are
  within ``tolerance`` of the cell's for (A - 1) k d <= tolerance S(1) L / (S(1) - 1), A <~ 2e4;
- rare events: nuclei per stripped charge scale as I(S(A)) area (charge / current) / A.
``check`` gives both for a run's settings; the driver can warn once when A lies beyond the range
and record the estimate in the run file (the hook docs/rates.md describes).
"""
from __future__ import annotations

import math

import numpy as np

from kmc import units
from kmc.kinetics.steady import cell_supersaturation

DEFAULT_TOLERANCE = 0.10


def _interface_path_A(settings) -> float:
    from kmc.model import build_energy_model, build_lattice
    lat = build_lattice(settings)
    model = build_energy_model(settings, lat)
    k = int(np.flatnonzero(model.bulk_layers(lat.n_layers))[0]) if model.bulk_layers(lat.n_layers).any() \
        else lat.n_layers
    # with the deep box off, every layer of the box is unaccelerated path
    if settings.run.deep_box_share == 0:
        k = lat.n_layers
    return k * lat.layer_spacing_A


def supersaturation_at(settings, acceleration: float | None = None) -> float:
    """S(A) of the module docstring (A = run.acceleration unless given)."""
    A = settings.run.acceleration if acceleration is None else acceleration
    s1 = cell_supersaturation(settings)
    sink_A = settings.electrode.sink_distance_um * 1e4
    return 1.0 + (s1 - 1.0) * (sink_A + (A - 1.0) * _interface_path_A(settings)) / sink_A


def converged_acceleration(settings, tolerance: float = DEFAULT_TOLERANCE) -> float:
    """The largest A whose interface supersaturation is within ``tolerance`` of the cell's."""
    s1 = cell_supersaturation(settings)
    sink_A = settings.electrode.sink_distance_um * 1e4
    return 1.0 + tolerance * s1 * sink_A / ((s1 - 1.0) * _interface_path_A(settings))


def expected_nuclei(settings, rate_of_S, acceleration: float | None = None) -> float:
    """Nuclei the box expects over its run (stop charge / current in cell time, / A in box time),
    given I(S) per um^2 per s as ``rate_of_S`` (e.g. interpolated from docs/rates.md's table)."""
    A = settings.run.acceleration if acceleration is None else acceleration
    from kmc.model import build_lattice
    area_um2 = build_lattice(settings).interface_area_A2 * 1e-8
    t_cell = units.physical_time_s(settings.run.stop_stripped_mAh_cm2, settings.conditions.current_density_mA_cm2)
    return rate_of_S(supersaturation_at(settings, A)) * area_um2 * t_cell / A


def solute_enrichment_excess(settings, acceleration: float | None = None) -> float | None:
    """A h / delta: the near-contact solute's excess over the bulk fraction that the box's stop charge
    h (run.stop_stripped_mAh_cm2) builds at acceleration A, where the cell builds h / delta
    (kmc.kinetics.report.enrichment_records: the box's enrichment depth is delta / A).  None without
    a solute, a charge stop or a [meso] table.  Within ``tolerance`` for A <= tolerance delta / h."""
    from kmc.kinetics.report import enrichment_depth_um
    A = settings.run.acceleration if acceleration is None else acceleration
    delta_um = enrichment_depth_um(settings, cell_supersaturation(settings))
    charge = settings.run.stop_stripped_mAh_cm2
    if delta_um is None or charge <= 0:
        return None
    from kmc import meso
    inp = meso.meso_inputs(settings)
    h_um = inp.strip_velocity_um_s * units.physical_time_s(charge, inp.current_mA_cm2)
    return A * h_um / delta_um


def check(settings, tolerance: float = DEFAULT_TOLERANCE) -> dict:
    """{'acceleration', 'supersaturation', 'cell_supersaturation', 'converged_up_to',
    'solute_enrichment_excess', 'converged_up_to_solute_enrichment' (None without a solute),
    'converged', 'message'}: what a run at these settings distorts (message '' when within range)."""
    A = settings.run.acceleration
    out = {"acceleration": A, "supersaturation": supersaturation_at(settings),
           "cell_supersaturation": cell_supersaturation(settings),
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
        why.append(f"the interface sits at S = {out['supersaturation']:.3g} instead of the cell's "
                   f"{out['cell_supersaturation']:.3g} (S within {tolerance:.0%} for A <= {out['converged_up_to']:.3g})")
    if beyond_x:
        why.append(f"by the stop charge the solute next to the contact is (1 + {excess:.3g}) times the bulk "
                   f"fraction, the cell's (1 + {excess / A:.2g}): the box's enrichment depth is the cell's / A "
                   f"(within {tolerance:.0%} for A <= {out['converged_up_to_solute_enrichment']:.3g})")
    out["message"] = "" if out["converged"] else (
        f"run.acceleration = {A:g} lies beyond the converged range: " + "; ".join(why)
        + "; and rare events (nucleation) get 1/A of the cell's time per stripped charge (docs/rates.md)")
    return out


def interpolated_rate(rows, params: str):
    """I(S) from the scan's rows (benchmarks/rates_nucleation.py JSON) as a log-log interpolation;
    below the lowest sampled rate, the rate at the lowest sampled S times (S/S_min)^20 (a steep
    placeholder, stated as such in docs/rates.md: an estimate, not a bound)."""
    pts = sorted((r["S"], r["rate"]) for r in rows if r["params"] == params and r["rate"] > 0)
    xs, ys = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])

    def rate(S):
        x = math.log(S)
        if x < xs[0]:
            return math.exp(ys[0] + 20 * (x - xs[0]))
        return math.exp(float(np.interp(x, xs, ys)))
    return rate
