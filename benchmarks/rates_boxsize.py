"""Box-size check of the rates at physical kinetics (docs/rates.md, "Box size"): the nucleation rate
per um^2 (FFS below S = 2000, brute force at and above, as benchmarks/rates_nucleation.py) and a
placed 12-vacancy void's capture and emission at the cell's S (8 replicas x 1e5 events), on boxes
of several lateral sizes.
A rate per area that is a property of the interface is the same on every box within its errors.
One process, in turn.

    nice python benchmarks/rates_boxsize.py [--params li_li2s] [--sizes 8 12 16] [--S 600 1000 2000]
    python benchmarks/rates_boxsize.py --table [runs/out/rates_boxsize.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rates_nucleation import one  # noqa: E402  (the same FFS / brute-force recipe as the I(S) table)


def main():
    from kmc.config import load_config, resolve_params
    from kmc.interface_rates import voids
    from kmc.model import build_lattice, cell_supersaturation
    ap = argparse.ArgumentParser()
    ap.add_argument("--params", nargs="+", default=["li_li2s"])
    ap.add_argument("--sizes", nargs="+", type=int, default=[8, 12, 16])
    ap.add_argument("--S", nargs="+", type=float, default=[600, 1000, 2000])
    ap.add_argument("--void", type=int, default=12)
    ap.add_argument("--no-nucleation", action="store_true", help="capture and emission only")
    ap.add_argument("--out", default="runs/out/rates_boxsize.json")
    a = ap.parse_args()
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(out.read_text()) if out.exists() else []
    for name in a.params:
        for n in a.sizes:
            cells = (n, n, 4)
            s = load_config(resolve_params(name), [f"lattice.cells={list(cells)}"])
            area_um2 = build_lattice(s).interface_area_A2 * 1e-8
            for S in ([] if a.no_nucleation else a.S):
                row = {"what": "nucleation", "area_um2": area_um2, **one(name, S, 60, 50_000, cells)}
                rows.append(row)
                out.write_text(json.dumps(rows, indent=1))
                print(json.dumps({k: v for k, v in row.items() if k not in ("probabilities", "trials")}), flush=True)
            S = cell_supersaturation(s)
            t = time.time()
            ce = voids.capture_emission(s, S, a.void, seeds=range(1, 9), events=100_000)
            row = {"what": "void", "params": name, "cells": list(cells), "S": S, "size": a.void,
                   "capture": ce.capture_per_s, "capture_se": ce.capture_se_per_s, "emission": ce.emission_per_s,
                   "emission_se": ce.emission_se_per_s, "wall_s": round(time.time() - t, 1)}
            rows.append(row)
            out.write_text(json.dumps(rows, indent=1))
            print(json.dumps(row), flush=True)


def table(path="runs/out/rates_boxsize.json"):
    rows = json.loads(Path(path).read_text())
    print("| chemistry | S | box (cells) | area (um^2) | method | I (1/(um^2 s)) | se | wall (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in sorted((r for r in rows if r["what"] == "nucleation"), key=lambda r: (r["params"], r["S"], r["cells"])):
        print(f"| {r['params']} | {r['S']:g} | {r['cells'][0]}x{r['cells'][1]}x{r['cells'][2]} | {r['area_um2']:.2e} | "
              f"{r['method']} | {r['rate']:.3g} | {r['error']:.2g} | {r['wall_s']:.0f} |")
    print()
    print("| chemistry | S | box (cells) | void | capture (1/s) | emission (1/s) | wall (s) |")
    print("|---|---|---|---|---|---|---|")
    for r in (r for r in rows if r["what"] == "void"):
        print(f"| {r['params']} | {r['S']:.0f} | {r['cells'][0]}x{r['cells'][1]}x{r['cells'][2]} | {r['size']} | "
              f"{r['capture']:.3g} ± {r['capture_se']:.2g} | {r['emission']:.3g} ± {r['emission_se']:.2g} | "
              f"{r['wall_s']:.0f} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--table"]:
        table(*sys.argv[2:])
    else:
        main()
