"""Two sensitivities of the resolved interface (docs/mechanics_sensitivity.md), each
with and without: the size-dependent strength of Li ligaments and islands (Xu et al. 2017's micropillars on
every island, flow.interface_features = 'free_standing') and the electrolyte's constriction in the overpotential
(meso.electrolyte_constriction).

    python benchmarks/meso_sensitivity.py                       # the with/without tables (markdown)
    python benchmarks/meso_sensitivity.py --json                # the rows as JSON
    python benchmarks/meso_sensitivity.py --formation-entropy-kB 0 --cases "Li 0.2 MPa"
    python benchmarks/meso_sensitivity.py --json > rows.json; python benchmarks/meso_sensitivity.py --from-json rows.json
    python benchmarks/meso_sensitivity.py --formation-entropy-kB 0 --pressures 1.5,7 --variants "ligament size effect" --stop 1

Li on params/li_li2s.toml, 0.5 mA/cm^2, a 160 um section at 0.25 um, seed 1, to 4 mAh/cm^2, at 0.2
and 1 MPa, at boundary.vacancy_formation_entropy_kB = 0 (S = 134: voids nucleate) and at the
shipped value (S = 9.5: none do).  Each run is kmc meso's resolved interface with only the named
key changed.  Wall times are taken on a shared machine: the load average is printed with them.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from kmc.mechanisms import BULK_LAW_OVERRIDES, PILLAR_OVERRIDES  # noqa: E402

from meso_mechanics import at_marks, load  # noqa: E402

PRESSURES_MPa = (0.2, 1.0)
# Xu et al., PNAS 114, 57 (2017): 105 MPa at 1.4 um, shipped with the pellet's face (docs/mechanics.md §5b); this study
# compares it with bulk creep on the dense face of before the pellet's pores (electrolyte.relative_density = 1)
DENSE = "electrolyte.relative_density=1"
BULK = list(BULK_LAW_OVERRIDES)
VARIANTS = {
    "bulk creep, constriction": [*BULK, DENSE],
    "ligament size effect": [*PILLAR_OVERRIDES, DENSE, "electrode.contact_sink_rate_m_s=0"],
    "no constriction": [*BULK, DENSE, "meso.electrolyte_constriction='off'"],
}
MARKS_mAh_cm2 = (0.1, 0.25, 1.0, 4.0)


def islands_um(gap_um: np.ndarray, cell_um: float) -> np.ndarray:
    """Widths of the runs of contact cells (the islands) of a periodic section."""
    from kmc.mechanics.reduced import runs
    closed = gap_um <= 0
    if closed.all():
        return np.array([closed.size * cell_um])
    return runs(closed)[1] * cell_um


def one_run(pressure_MPa: float, overrides: list[str], formation_entropy_kB: float | None, stop_mAh_cm2: float) -> dict:
    from kmc.cell.loop import run
    from kmc.config import load_config
    from kmc.launch import cell_model_of
    sets = [f"conditions.stack_pressure_MPa={pressure_MPa}", *overrides]
    if formation_entropy_kB is not None:
        sets.append(f"boundary.vacancy_formation_entropy_kB={formation_entropy_kB}")
    settings = load_config(ROOT / "params" / "li_li2s.toml", sets)
    model = cell_model_of(settings, width_um=160.0, cell_um=0.25, output_every_mAh_cm2=0.05,
                          stop_stripped_mAh_cm2=stop_mAh_cm2)
    inp = model.inp
    start = time.perf_counter()
    out = run(model)
    s = out.series
    q = s["stripped_charge"]
    # S_f as asked (None: the parameter file's); its c_eq and the contact's S before any void say which
    row = dict(pressure_MPa=pressure_MPa, overrides=overrides, formation_entropy_kB=formation_entropy_kB,
               c_eq=inp.vacancy_equilibrium_fraction, supersaturation_start=float(s["supersaturation"][0]),
               stop_reason=out.stop_reason, steps=out.steps, reached_mAh_cm2=float(q[-1]))
    row.update(at_marks(s, MARKS_mAh_cm2, ("contact_fraction", "overpotential", "kinetic_overpotential",
                                           "section_voids_per_um", "plunger_velocity_um_s")))
    eta = s["overpotential"]
    finite = np.isfinite(eta)
    # the constriction's part of eta: the run's eta less its Butler-Volmer term at the same contact
    part = (eta - s["kinetic_overpotential"])[finite]
    row["constriction_max_mV"] = float(part.max()) if part.size else float("nan")
    row["contact_final"] = float(s["contact_fraction"][-1])
    row["series"] = {key: [float(x) for x in s[key]] for key in ("stripped_charge", "contact_fraction", "overpotential",
                                                                  "kinetic_overpotential")}
    row["nucleated"] = int(s["nucleated"][-1])
    a = islands_um(out.final.gap_um, inp.cell_um)
    row["island_median_um"] = float(np.median(a))
    row["islands"] = int(a.size)
    strength = inp.feature_strength()
    if strength is not None:
        f = strength.stress_factor(inp.law, a)
        row["strength_factor_range"] = [float(f.min()), float(f.max())]
    row["wall_time_s"] = time.perf_counter() - start
    row["load"] = load()
    return row


def rows(formation_entropies, stop_mAh_cm2: float, only: str = "", pressures=PRESSURES_MPa,
         variants=tuple(VARIANTS)) -> list[dict]:
    out = []
    for sf in formation_entropies:
        for pressure in pressures:
            case = f"Li {pressure:g} MPa"
            if only and case not in [c.strip() for c in only.split(",")]:
                continue
            for variant in variants:
                overrides = VARIANTS[variant]
                row = dict(case=case, variant=variant, **one_run(pressure, overrides, sf, stop_mAh_cm2))
                out.append(row)
                print(f"{case}, {variant}, S {row['supersaturation_start']:.3g}: {row['stop_reason']} at "
                      f"{row['reached_mAh_cm2']:.3g} mAh/cm2, {row['steps']} steps, {row['wall_time_s']:.0f} s, "
                      f"{row['load']}", file=sys.stderr, flush=True)
    return out


def table(rows_: list[dict]) -> str:
    def f(x, fmt="{:.2f}"):
        return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else fmt.format(x)
    def sf(x):
        return "shipped" if x is None else f"{x:g}"
    lines = ["| S_f (k_B) | case | variant | contact at 0.1 / 0.25 / 1 / 4 mAh/cm² (end) | fails at | η at 1 / 4 (mV), highest "
             "| η − η_BV at 1 (mV), highest | voids / 100 µm at 1 / 4 | islands at end (median µm) | stop | wall (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows_:
        fails = f(r["failure_mAh_cm2"], "{:g} mAh/cm²") if r["failure_mAh_cm2"] is not None else "no"
        lines.append(
            f"| {sf(r['formation_entropy_kB'])} | {r['case']} | {r['variant']} | {f(r.get('contact_fraction_at_0.1'))} / "
            f"{f(r['contact_fraction_at_0.25'])} / "
            f"{f(r['contact_fraction_at_1'])} / {f(r['contact_fraction_at_4'])} ({f(r['contact_final'])}) | {fails} | "
            f"{f(r['overpotential_at_1'], '{:.1f}')} / {f(r['overpotential_at_4'], '{:.1f}')}, "
            f"{f(r['overpotential_max'], '{:.1f}')} | "
            f"{f(r['overpotential_at_1'] - r['kinetic_overpotential_at_1'], '{:.1f}')}, "
            f"{f(r['constriction_max_mV'], '{:.1f}')} | "
            f"{f(100 * r['section_voids_per_um_at_1'], '{:.0f}')} / {f(100 * r['section_voids_per_um_at_4'], '{:.0f}')} | "
            f"{r['islands']} ({f(r['island_median_um'], '{:.2g}')}) | {r['stop_reason']} at {r['reached_mAh_cm2']:.3g} | "
            f"{r['wall_time_s']:.0f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON, not the markdown table")
    parser.add_argument("--formation-entropy-kB", type=float, action="append", default=None,
                        help="boundary.vacancy_formation_entropy_kB (repeatable; default: 0 and the shipped value)")
    parser.add_argument("--stop", type=float, default=4.0, help="stripped charge (mAh/cm2)")
    parser.add_argument("--cases", default="", help="only these cases, e.g. 'Li 0.2 MPa'")
    parser.add_argument("--pressures", default=",".join(f"{p:g}" for p in PRESSURES_MPa),
                        help="stack pressures (MPa), comma-separated")
    parser.add_argument("--variants", default=";".join(VARIANTS), help=f"separated by ';', of: {'; '.join(VARIANTS)}")
    parser.add_argument("--from-json", type=Path, default=None, help="print the table of rows saved by --json")
    args = parser.parse_args(argv)
    if args.from_json is not None:
        print(table(json.loads(args.from_json.read_text())))
        return
    entropies = args.formation_entropy_kB if args.formation_entropy_kB is not None else [0.0, None]
    variants = [v.strip() for v in args.variants.split(";")]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"--variants: {'; '.join(unknown)} unknown; allowed: {'; '.join(VARIANTS)}")
    out = rows(entropies, args.stop, args.cases, [float(p) for p in args.pressures.split(",")], variants)
    print(json.dumps(out, indent=1) if args.json else table(out))


if __name__ == "__main__":
    main()
