"""What the gap model takes from the kMC's [pore_edge] records (kmc.physics.pore_edge; docs/pore_edge.md
section 8), for the section and the area alike: the checks at run start of what the model assumes of a
pore's edge (``pore_edge_advice``) and the record of what it used, for the run file (``pore_edge_record``)."""
from __future__ import annotations

from kmc import units
from kmc.physics.pore_edge import rim_capture_share, rim_retreat_share, wall_extrapolation_layers
from kmc.resolved.step_control import shortest_step_s
from kmc.validation import Advice

# What the gap model takes from each [pore_edge] record (docs/pore_edge.md section 8), for the run file
PORE_EDGE_USE = ("rim_refill_probability: the contact line's pin at a pore's rim over a void wider than its cap, "
                 "capture on that wall goes into the pore's metal but for kmc.physics.pore_edge.rim_retreat_share "
                 "(kmc.resolved.walls.grow, at each rim's local S); wall_capture_probability, capture_length_nm, rim_refill_time_s: checked "
                 "at run start (the wall a perfect sink at c_eq, the contact layers' capture within a cell, the "
                 "refill within the shortest step); rim_capture_probability: recorded (the capture profile at "
                 "the rim, which capture_length_nm's fit includes)")


def pore_edge_advice(inp, lattice_constant_A: float) -> list[Advice]:
    """The warnings for [pore_edge] records that break what the gap model assumes of a pore's edge, each
    at its worst row (the run's local S lies among the rows or beyond them, where the nearest holds):
    the pore's wall a perfect sink (c = c_eq: its extrapolation length, at most a lattice constant per
    layer, below a cell), the contact layers' capture toward a rim within the cell next to it, and a gap
    at the rim refilled within the shortest step (the pin instantaneous).  Empty without rows."""
    rec = inp.pore_edge
    if rec is None:
        return []
    out = []
    cell_nm = inp.cell_um * units.NM_PER_UM
    rows = "pore_edge rows, as kmc rates PARAMS --write-edge FILE measures them for this set"
    P, P_err, S = rec.worst("wall_capture_probability", largest=False)
    reach_nm = float(wall_extrapolation_layers(P)) * lattice_constant_A / units.A_PER_NM
    if reach_nm >= cell_nm:
        out.append(Advice("pore_edge.wall_capture_probability",
                          f"pore_edge.wall_capture_probability = {P:g} +- {P_err:g} (S = {S:g}): the pore's wall "
                          f"holds vacancies back over ~{reach_nm:.3g} nm, not below the section's {cell_nm:g} nm "
                          "cell, where kmc meso takes every void's wall as a perfect sink (c = c_eq)",
                          f"{rows} (a wall that draws vacancies in, P >= 2/3) would satisfy it; an attachment "
                          "barrier at the cell's scale is not built"))
    ell, ell_err, S = rec.worst("capture_length_nm", largest=True)
    if ell >= cell_nm:
        out.append(Advice("pore_edge.capture_length_nm",
                          f"pore_edge.capture_length_nm = {ell:g} +- {ell_err:g} (S = {S:g}): the contact layers "
                          f"carry stripped vacancies to a pore's rim from farther than the section's {cell_nm:g} nm "
                          "cell, which kmc meso's field, injecting them into the metal where they are made, does "
                          "not carry",
                          f"{rows} (a length below a cell) would satisfy it; the contact layers' lateral path at "
                          "the cell's scale is not built"))
    t, t_err, S = rec.worst("rim_refill_time_s", largest=True)
    floor = shortest_step_s(inp)
    if t >= floor:
        out.append(Advice("conditions.current_density_mA_cm2",
                          f"pore_edge.rim_refill_time_s = {t:.3g} +- {t_err:.2g} s (S = {S:g}, this set's clock) "
                          f"is not below kmc meso's shortest step ({floor:.3g} s at {inp.current_mA_cm2:g} mA/cm^2): "
                          "a gap at a pore's rim stays open over steps, where the section pins the contact line "
                          "at once",
                          f"conditions.current_density_mA_cm2 <= {inp.current_mA_cm2 * floor / t:.3g} would satisfy "
                          "it, at the cost of answering for that current"))
    return out


def pore_edge_record(inp) -> dict:
    """The [pore_edge] records the gap model used, for the run file's /parameters/derived: the rows (S,
    value, error; times in this set's clock), what the gap model took from each row (the rim's retreat
    share; the wall's extrapolation length in layers; the share of a rim cell's stripping the contact
    layers carry in) and how it used each record.  Empty without rows."""
    rec = inp.pore_edge
    if rec is None:
        return {}
    out = {"pore_edge_supersaturation": rec.supersaturation, "pore_edge_hop_prefactor_Hz": rec.hop_prefactor_Hz,
           "pore_edge_use": PORE_EDGE_USE}
    for name in rec.values:
        out[f"pore_edge_{name}"] = rec.values[name]
        out[f"pore_edge_{name}_error"] = rec.errors[name]
    out["pore_edge_rim_retreat_share"] = rim_retreat_share(rec.values["rim_refill_probability"])
    out["pore_edge_wall_extrapolation_layers"] = wall_extrapolation_layers(rec.values["wall_capture_probability"])
    out["pore_edge_rim_capture_share"] = rim_capture_share(rec.values["capture_length_nm"],
                                                           inp.cell_um * units.NM_PER_UM)
    return out
