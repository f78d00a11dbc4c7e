"""python -m kmc.atomistic ROW [ROW ...] | --all [--out FILE.json]

Computes the rows (relaxing what the cache does not hold yet), prints the table and writes JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from pathlib import Path

from . import pipeline
from .rows import BY_NAME, ROWS, Lab, uncertainty

ROWS_TOML = Path(__file__).with_name("rows.toml")

# Most decisive first: the seed rows the others lean on, q's form, the cheap bulk and
# surface rows, the seed's Mg rows, segregation, Mg-Mg, L2 Li under an Mg-rich L1, pairs.
RUN_ORDER = ["ef_bulk", "ef_L1", "L1_to_L2", "q_L2vac_under_L1Mg", "q_L1vac_over_L2Mg",
             "ef_bulk_mg_1nn", "ef_bulk_mg_3nn", "divac_bulk_1nn", "divac_bulk_2nn", "gamma_001", "gamma_110",
             "mg_li_fill", "mg_fill_direct", "mg_fill_vac_L1_2a", "mg_fill_vac_L3", "mg_far_li_fill",
             "seg_L1_single", "seg_L3_single", "w_ad", "seg_L1_full", "seg_L1_12of25", "mgmg_L1_a",
             "mgmg_L1_a_sqrt2", "L1_to_L2_mg_rich", "ef_L1_last_li_mg_rich", "divac_L1_a", "divac_L1_L2_1nn",
             "seg_L1_6of25", "seg_L1_19of25"]
assert sorted(RUN_ORDER) == sorted(BY_NAME)


def compute(names, lab, log=print):
    results = {}
    for name in names:
        row = BY_NAME[name]
        start = time.time()
        value = float(row.compute(lab))
        results[name] = {"value": value, "termination": lab.termination, "li_layers": lab.li_layers,
                         "unit": row.unit, "seed_value": row.seed_value,
                         "residual": None if row.seed_value is None else value - row.seed_value,
                         "group": row.group, "description": row.description, "structure": row.structure,
                         "method": pipeline.METHOD, "fmax_eV_per_A": pipeline.FMAX_EV_PER_ANGSTROM,
                         "command": f"python -m kmc.atomistic {name}", "wall_s": round(time.time() - start, 1)}
        seed = "" if row.seed_value is None else f"  seed {row.seed_value:+.3f}  residual {value - row.seed_value:+.3f}"
        log(f"{name:24s} {value:+.3f} {row.unit}{seed}")
    return results


def _toml_value(value):
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "nan" if value is None else f"{value:.4f}"


def write_toml(lab, path=ROWS_TOML):
    """rows.toml from the cache: every row whose relaxations exist, with its uncertainty."""
    values = _cached_values(lab)
    other = _cached_values(Lab(cache_only=True, termination="S"))
    lines = ["# Interface energies computed by kmc.atomistic; written by `python -m kmc.atomistic --toml`",
             "# from kmc/atomistic/energies_chgnet.json.  Seed rows (group = \"seed\") measure the method;",
             "# new rows carry uncertainties from those residuals (kmc/atomistic/rows.py, uncertainty()).", ""]
    for name, value in values.items():
        row = BY_NAME[name]
        error, how = uncertainty(name, values, other)
        entry = {"group": row.group, "value": value,
                 "value_S_terminated": other.get(name) if row.structure.startswith("Li(001)") else None, "uncertainty": error, "uncertainty_from": how,
                 "unit": row.unit, "seed_value": row.seed_value, "description": row.description,
                 "method": f"{pipeline.METHOD}, fmax {pipeline.FMAX_EV_PER_ANGSTROM} eV/A",
                 "command": f"python -m kmc.atomistic {name}", "structure": row.structure}
        lines.append(f"[rows.{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in entry.items() if v is not None]
        lines.append("")
    path.write_text("\n".join(lines))
    return values


def _cached_values(lab):
    values = {}
    for name in RUN_ORDER:
        try:
            values[name] = float(BY_NAME[name].compute(lab))
        except pipeline.NotComputed:
            pass
    return values


def markdown_table(group=None):
    """Rows from the cache: Li-terminated value +- uncertainty, the S-terminated value, seed, residual."""
    li = _cached_values(Lab(cache_only=True, termination="Li"))
    s_term = _cached_values(Lab(cache_only=True, termination="S"))
    lines = ["| row | CHGNet, Li-terminated | +- | CHGNet, S-terminated | seed 004 | residual (Li-term.) | unit |",
             "|---|---|---|---|---|---|---|"]
    for name in RUN_ORDER:
        if name not in li or (group and BY_NAME[name].group != group):
            continue
        row = BY_NAME[name]
        error, _ = uncertainty(name, li, s_term)
        other = f"{s_term[name]:+.3f}" if name in s_term and row.structure.startswith("Li(001)") else ""
        seed = "" if row.seed_value is None else f"{row.seed_value:+.3f}"
        residual = "" if row.seed_value is None else f"{li[name] - row.seed_value:+.3f}"
        lines.append(f"| {name} | {li[name]:+.3f} | {error:.3f} | {other} | {seed} | {residual} | {row.unit} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m kmc.atomistic", description=__doc__)
    parser.add_argument("rows", nargs="*", help=f"row names: {', '.join(RUN_ORDER)}")
    parser.add_argument("--all", action="store_true", help="every row, most decisive first")
    parser.add_argument("--out", default="atomistic_rows.json", help="JSON file to write")
    parser.add_argument("--termination", default="Li", choices=["Li", "S"],
                        help="what Li2S(001) shows the metal (structures.interface); rows.toml uses Li")
    parser.add_argument("--li-layers", type=int, default=5, help="metal layers of the interface slab")
    parser.add_argument("--markdown", action="store_true",
                        help="print the rows the cache holds, both terminations, as a markdown table")
    parser.add_argument("--toml", action="store_true",
                        help=f"write {ROWS_TOML.name} from the cached energies (no relaxation)")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_table("seed"), markdown_table("new"), sep="\n\n")
        return 0
    if args.toml:
        written = write_toml(Lab(cache_only=True))
        print(f"wrote {len(written)} rows to {ROWS_TOML}")
        return 0
    unknown = [n for n in args.rows if n not in BY_NAME]
    if unknown or not (args.rows or args.all):
        parser.error(f"unknown row(s) {unknown}; give --all or some of: {', '.join(RUN_ORDER)}")
    names = RUN_ORDER if args.all else args.rows
    lab = Lab(log=lambda m: print(m, flush=True), termination=args.termination, li_layers=args.li_layers)
    results = compute(names, lab, log=lambda m: print(m, flush=True))
    with open(args.out, "w") as handle:
        json.dump(results, handle, indent=1)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
