"""The pore edge's records against the numerics they are measured with (docs/pore_edge.md section 6): the
edge box's width, the escape layer, the supersaturation.

    python benchmarks/pore_edge.py [--params li_li2s limg_li2s] [--S 9.52 100] [--cells 24,12,6 48,12,6]
                                   [--escape-layer 4 6] [--trials 40] [--out runs/out/pore_edge.json]

Prints one row per (set, S, box, escape layer): the capture probabilities at 1, 4 and 10 sites from the
rim (binomial se), the capture length fitted to them, the wall's capture and the rim gap's refill, and
writes the rows as JSON.  Each row is kmc.interface_rates.edge's trials, as ``kmc rates`` runs them (its
--edge-trials), with the box and escape layer set here.
"""
import argparse
import json
import time
from pathlib import Path

from kmc.config import load_config
from kmc.interface_rates import edge
from kmc.model import cell_supersaturation
from kmc.physics.pore_edge import fit_capture_length

ROOT = Path(__file__).resolve().parent.parent


def row(params: str, S: float | None, cells: tuple, escape_layer: int, trials: int) -> dict:
    settings = load_config(ROOT / "params" / f"{params}.toml")
    S = cell_supersaturation(settings) if S is None else S
    edge.EDGE_CELLS, edge.ESCAPE_LAYER = cells, escape_layer
    wall = time.time()
    contact = [edge.fates(settings, S, "contact", d, trials=trials) for d in edge.CAPTURE_DISTANCES]
    ell, ell_se = fit_capture_length(edge.CAPTURE_DISTANCES, [f.captured for f in contact], [f.trials for f in contact],
                                     edge.contact_columns(settings))
    w = edge.fates(settings, S, "wall", trials=trials)
    gap = edge.fates(settings, S, "gap", trials=max(trials // 2, 1))
    a_nm = settings.lattice.lattice_constant_A / 10
    return {"params": params, "S": S, "cells": list(cells), "escape_layer": escape_layer, "trials": trials,
            "capture": {d: [f.captured, f.trials, f.probability, f.standard_error]
                        for d, f in zip(edge.CAPTURE_DISTANCES, contact)},
            "capture_length_nm": [ell * a_nm, ell_se * a_nm], "wall": [w.captured, w.trials, w.probability],
            "refill": [gap.captured, gap.trials, gap.probability, gap.mean_time_s, gap.time_se_s],
            "wall_s": round(time.time() - wall, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", nargs="+", default=["li_li2s", "limg_li2s"])
    ap.add_argument("--S", nargs="+", type=float, default=[None])
    ap.add_argument("--cells", nargs="+", default=[",".join(map(str, edge.EDGE_CELLS))])
    ap.add_argument("--escape-layer", nargs="+", type=int, default=[edge.ESCAPE_LAYER])
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    rows = []
    print("| set | S | box | escape | P(1) | P(4) | P(10) | capture length (nm) | wall | refill | refill time (s) | wall (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for params in args.params:
        for S in args.S:
            for cells in args.cells:
                for esc in args.escape_layer:
                    r = row(params, S, tuple(int(c) for c in cells.split(",")), esc, args.trials)
                    rows.append(r)
                    p = r["capture"]
                    ps = " | ".join(f"{p[d][2]:.2f} ± {p[d][3]:.2f}" for d in edge.CAPTURE_DISTANCES)
                    print(f"| {params} | {r['S']:.3g} | {'x'.join(map(str, r['cells']))} | L{esc + 1} | {ps} | "
                          f"{r['capture_length_nm'][0]:.2f} ± {r['capture_length_nm'][1]:.2f} | "
                          f"{r['wall'][0]}/{r['wall'][1]} | {r['refill'][0]}/{r['refill'][1]} | "
                          f"{r['refill'][3]:.2g} ± {r['refill'][4]:.1g} | {r['wall_s']} |", flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows, indent=1))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
