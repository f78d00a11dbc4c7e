"""The electrode's mechanics (issue 47; docs/mechanics.md): every exact check at converged meshes,
the reduced operator against the full finite-element solve, and the resolved interface's speed.

    python benchmarks/meso_mechanics.py --json          # the checks (~10 min on one core)
    python benchmarks/meso_mechanics.py --speed         # 4 mAh/cm^2 of a 160 um section at 0.25 um
    python benchmarks/meso_mechanics.py --convergence   # the mesh tables of docs/mechanics.md
    python benchmarks/meso_mechanics.py --preliminary   # PRELIMINARY: a first look at seed 004's answer

Each row: computed, exact (or the full solve), relative error, wall time.  Wall times are taken
on a shared machine: the load average is printed with them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kmc.mechanics import checks  # noqa: E402
from kmc.mechanics.law import NortonLaw  # noqa: E402
from kmc.mechanics.norton import AXISYMMETRIC, PLANE_STRAIN  # noqa: E402

LI_CREEP = NortonLaw(7.7e-3, 1.0, 6.6)


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def exact_rows() -> list[dict]:
    rows = []
    for geometry, n in ((AXISYMMETRIC, 1.0), (AXISYMMETRIC, 6.6), (PLANE_STRAIN, 1.0), (PLANE_STRAIN, 6.6)):
        r = checks.cavity_closure(geometry, n, outer_over_inner=10.0, radial_cells=32, angular_cells=32)
        name = "spherical cavity V'/V" if geometry == AXISYMMETRIC else "cylindrical hole A'/A"
        rows.append(dict(check=f"{name}, n = {n:g}, b/a = 10 (thick-shell exact)", **r))
    from kmc.mechanics.foil import FoilSection, FoilSolver
    start = time.perf_counter()
    solver = FoilSolver(FoilSection(40.0, 20.0, 0.5))
    res = solver.solve(np.zeros(solver.section.cells, bool), LI_CREEP, 0.2)
    rows.append(dict(check="uniform foil: plunger velocity / (eps(P) H) (exact 0)",
                     computed=res.plunger_velocity_um_s / (LI_CREEP.strain_rate_per_s(0.2) * 20.0), exact=0.0,
                     relative_error=float(np.abs(res.contact_pressure_MPa / 0.2 - 1).max()),
                     wall_time_s=time.perf_counter() - start, note="relative_error: contact pressure against P"))
    for n in (6.6, 20.0, 40.0):
        r = checks.punch_constraint_factor(n, finest=0.025)
        rows.append(dict(check=f"flat punch constraint factor, n = {n:g} (Prandtl (2+pi)/sqrt3 as n -> inf)", **r))
    return rows


def operator_rows(width=80.0, thickness=50.0, cell=0.5) -> list[dict]:
    rows = []
    for name, r in checks.operator_against_fe(width, thickness, cell, LI_CREEP, pressure=1.0).items():
        rows.append(dict(check=f"reduced operator vs FE: {name} ({width:g} x {thickness:g} um, {cell:g} um cells)",
                         computed=r["plunger_reduced"], exact=r["plunger_fe"], relative_error=r["plunger_error"],
                         void_errors=r["void_errors"], island_errors=r["island_errors"],
                         wall_time_s=r["fe_wall_time_s"], reduced_wall_time_s=r["reduced_wall_time_s"], dofs=int(r["dofs"])))
    return rows


def convergence_rows() -> list[dict]:
    rows = []
    for geometry in (AXISYMMETRIC, PLANE_STRAIN):
        for cells in ((8, 4), (12, 8), (16, 16), (32, 32)):
            r = checks.cavity_closure(geometry, 6.6, radial_cells=cells[0], angular_cells=cells[1])
            rows.append(dict(check=f"{geometry} cavity n = 6.6, mesh {cells[0]}x{cells[1]}", **r))
    for n in (20.0, 40.0):
        for h in (0.1, 0.05, 0.025):
            r = checks.punch_constraint_factor(n, finest=h)
            rows.append(dict(check=f"punch n = {n:g}, corner mesh {h:g} a", **r))
    from kmc.mechanics.cell import solve_cell
    for res in (8, 12, 16, 24):
        start = time.perf_counter()
        c = solve_cell(0.1, 1.0, 6.6, resolution=res)
        rows.append(dict(check=f"cell s = 0.1, lambda/H = 1, resolution {res}", computed=c.mean_closing_velocity,
                         exact=float("nan"), relative_error=float("nan"), wall_time_s=time.perf_counter() - start))
    return rows


def speed() -> dict:
    from kmc.config import load_config
    from kmc.resolved.interface import ResolvedInterface, resolved_inputs
    settings = load_config(ROOT / "params" / "li_li2s.toml")
    inp = resolved_inputs(settings, width_um=160.0, cell_um=0.25)
    model = ResolvedInterface(inp)
    before = load()
    start = time.perf_counter()
    out = model.run()
    wall = time.perf_counter() - start
    s = out["series"]
    return dict(case="Li, 0.2 MPa, 0.5 mA/cm2, 160 um at 0.25 um, to 4 mAh/cm2", wall_time_s=wall,
                steps=out["steps"], stop_reason=out["stop_reason"],
                stripped_mAh_cm2=float(s["stripped_charge"][-1]), final_contact=float(s["contact_fraction"][-1]),
                load_before=before, load_after=load())


# PRELIMINARY (issue 47 item 8): the resolved interface before it is wired into kmc meso, before the
# vacancy-thermodynamics issue changes D_v c_eq; nothing here is tuned to the seed.
PRELIMINARY_CASES = (
    ("Li 0.2 MPa", "li_li2s", dict(pressure_MPa=0.2), {}),
    ("Li 1 MPa", "li_li2s", dict(pressure_MPa=1.0), {}),
    ("Li 1.5 MPa", "li_li2s", dict(pressure_MPa=1.5), {}),
    ("Li 7 MPa", "li_li2s", dict(pressure_MPa=7.0), {}),
    ("Li 0.2 MPa, sinks' share at the sinks", "li_li2s", dict(pressure_MPa=0.2), dict(sink_contraction="sinks")),
    ("Li 0.2 MPa, frictionless contact", "li_li2s", dict(pressure_MPa=0.2), dict(friction="frictionless")),
    ("Li-Mg 0.2 MPa", "limg_li2s", dict(pressure_MPa=0.2), {}),
)
PRELIMINARY_MARKS = (0.05, 0.25, 0.5, 1.0, 2.0, 4.0)


def preliminary() -> list[dict]:
    from kmc.config import load_config
    from kmc.resolved.interface import ResolvedInterface, resolved_inputs
    rows = []
    for name, chem, overrides, options in PRELIMINARY_CASES:
        settings = load_config(ROOT / "params" / f"{chem}.toml")
        inp = resolved_inputs(settings, width_um=160.0, cell_um=0.25, output_every_mAh_cm2=0.05,
                              stop_contact_fraction=0.0, **options, **overrides)
        start = time.perf_counter()
        out = ResolvedInterface(inp).run()
        s = out["series"]
        q = s["stripped_charge"]
        at = {}
        for mark in PRELIMINARY_MARKS:
            k = int(np.argmin(np.abs(q - mark)))
            if abs(q[k] - mark) < 1e-6:
                at[f"{mark:g}"] = {key: float(s[key][k]) for key in (
                    "contact_fraction", "overpotential", "section_voids_per_100um", "void_width_median",
                    "void_width_max", "void_height_median", "supersaturation_mean", "plunger_velocity_um_s",
                    "splits", "coalescences", "collapses", "nucleated")}
        late = q >= 0.25
        rows.append(dict(case=name, at=at, stop_reason=out["stop_reason"], steps=out["steps"],
                         wall_time_s=time.perf_counter() - start,
                         contact_from_0p25=[float(s["contact_fraction"][late].min()), float(s["contact_fraction"][late].mean()),
                                            float(s["contact_fraction"][late].max())] if late.any() else None,
                         overpotential_max=float(np.nanmax(s["overpotential"][np.isfinite(s["overpotential"])])),
                         load=load()))
        print(f"{name}: {out['stop_reason']} after {out['steps']} steps, {rows[-1]['wall_time_s']:.0f} s", file=sys.stderr,
              flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="the exact checks and the operator against FE, as JSON")
    parser.add_argument("--speed", action="store_true", help="the resolved interface's 4 mAh/cm2 run")
    parser.add_argument("--convergence", action="store_true", help="mesh convergence of the checks")
    parser.add_argument("--preliminary", action="store_true", help="PRELIMINARY first look at seed 004's answer")
    args = parser.parse_args(argv)
    out = {"load": load()}
    if args.json:
        out["exact"] = exact_rows()
        out["operator"] = operator_rows()
    if args.convergence:
        out["convergence"] = convergence_rows()
    if args.speed:
        out["speed"] = speed()
    if args.preliminary:
        out["preliminary"] = preliminary()
    if not (args.json or args.speed or args.convergence or args.preliminary):
        parser.error("choose --json, --speed, --convergence or --preliminary")
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
