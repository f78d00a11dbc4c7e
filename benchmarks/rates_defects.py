"""Pre-existing interface defects at the cell's supersaturation (docs/rates.md, "Nucleation at a
pre-existing defect"): the probability that a placed cap void of n vacancies, or a flat pit of
width w (w^2 L1 + (w - 1)^2 L2 missing atoms), grows to a committed nucleus (lambda_B = 28) rather
than dissolving below lambda_0 = 3, with its binomial error (kmc.interface_rates.defects).  One process.

    nice python benchmarks/rates_defects.py [--params li_li2s] [--trials 100] [--cells 12 12 4]
    python benchmarks/rates_defects.py --table [runs/out/rates_defects.json]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

CAP_SIZES = (4, 6, 8, 10, 12, 14, 16, 20, 24)
PIT_WIDTHS = (2, 3, 4)


def main():
    from kmc.config import load_config, resolve_params
    from kmc.interface_rates import defects
    from kmc.model import cell_supersaturation
    ap = argparse.ArgumentParser()
    ap.add_argument("--params", nargs="+", default=["li_li2s"])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--cells", nargs=3, type=int, default=[12, 12, 4])
    ap.add_argument("--supersaturation", type=float, default=None, help="default: the cell's")
    ap.add_argument("--caps", nargs="*", type=int, default=list(CAP_SIZES))
    ap.add_argument("--pits", nargs="*", type=int, default=list(PIT_WIDTHS))
    ap.add_argument("--out", default="runs/out/rates_defects.json")
    a = ap.parse_args()
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(out.read_text()) if out.exists() else []
    for name in a.params:
        s = load_config(resolve_params(name), [f"lattice.cells={a.cells}"])
        S = cell_supersaturation(s) if a.supersaturation is None else a.supersaturation
        for kind, sizes in (("cap", a.caps), ("pit", a.pits)):
            for size in sizes:
                g = defects.growth_probability(s, S, kind, size, trials=a.trials)
                row = {"params": name, "cells": a.cells, **dataclasses.asdict(g)}
                rows.append(row)
                out.write_text(json.dumps(rows, indent=1))
                print(json.dumps(row), flush=True)


def table(path="runs/out/rates_defects.json"):
    rows = json.loads(Path(path).read_text())
    print("| chemistry | box (cells) | S | defect | missing atoms | P(grow) | se (binomial) | grown / trials | "
          "mean time to decide (s) | wall (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        what = f"cap n = {r['size']}" if r["kind"] == "cap" else f"pit w = {r['size']}"
        print(f"| {r['params']} | {'x'.join(map(str, r['cells']))} | {r['supersaturation']:.0f} | {what} | "
              f"{r['vacancies']} | {r['probability']:.2f} | {r['standard_error']:.2f} | {r['grown']} / {r['trials']}"
              f"{' (' + str(r['undecided']) + ' undecided)' if r['undecided'] else ''} | "
              f"{r['mean_decision_time_s']:.2g} | {r['wall_s']:.0f} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--table"]:
        table(*sys.argv[2:])
    else:
        main()
