"""Issue 18: box-depth independence of final contact and interface void count, with the sinks at a
physical distance (kmc/electrode.py).  Pure Li, default conditions (0.2 MPa, 0.5 mA/cm2), a
12 x 12 cell interface, 12 vs 24 cells deep, seeds 1-4, at acceleration 1e6 and 1e5, each stripped
to the same charge.  Prints mean +- standard error of the 4 replicas and writes a JSON file.

    python benchmarks/validation/electrode_box_depth.py [--monolayers 3] [--out runs/h18/box_depth.json]
"""
import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from kmc.analysis import compute_analysis
from kmc.config import load_config
from kmc.io import H5Writer
from kmc.simulation import Simulation

ROOT = Path(__file__).resolve().parents[2]


def one(params, depth, accel, seed, monolayers, folder, width):
    path = folder / f"d{depth}_A{accel:.0e}_s{seed}.h5"
    over = [f"lattice.cells=[{width},{width},{depth}]", f"run.acceleration={accel}", f"run.seed={seed}",
            "run.stop_stripped_mAh_cm2=0", f"run.stop_stripped_monolayers={monolayers}",
            "output.series_every_mAh_cm2=3e-5"]
    sim = Simulation(load_config(params, over))
    t0 = time.perf_counter()
    if path.exists():
        path.unlink()
    res = sim.run(H5Writer(path, sim), progress=False)
    wall = time.perf_counter() - t0
    an = compute_analysis(path)
    fr = an["frames"]
    return {"depth": depth, "accel": accel, "seed": seed, "stop": res.stop_reason, "events": res.events,
            "wall_s": wall, "contact": float(res.observables["contact_fraction"]),
            "interface_voids": int(fr["interface_void_count"][-1]), "buried_voids": int(fr["buried_void_count"][-1]),
            "vacancies": int(res.observables["vacancy_count"]), "exits": int(sim.counts[3]),
            "bottom_c_v": float(res.observables["bottom_vacancy_fraction"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--params", default=str(ROOT / "params" / "li_li2s.toml"))
    ap.add_argument("--monolayers", type=float, default=3.0)
    ap.add_argument("--width", type=int, default=12)
    ap.add_argument("--accels", default="1e6,1e5")
    ap.add_argument("--out", default=str(ROOT / "runs" / "h18" / "box_depth.json"))
    a = ap.parse_args()
    folder = Path(a.out).parent
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for accel in [float(x) for x in a.accels.split(",")]:
        for depth in (12, 24):
            for seed in (1, 2, 3, 4):
                r = one(a.params, depth, accel, seed, a.monolayers, folder, a.width)
                rows.append(r)
                print(json.dumps(r), flush=True)
                Path(a.out).write_text(json.dumps(rows, indent=1))
    print("accel depth  contact(mean+-se)  interface voids  vacancies  exits  wall s")
    for accel in sorted({r["accel"] for r in rows}, reverse=True):
        for depth in (12, 24):
            sel = [r for r in rows if r["accel"] == accel and r["depth"] == depth]
            def ms(key):
                v = np.array([r[key] for r in sel], float)
                return f"{v.mean():.4g} +- {v.std(ddof=1) / math.sqrt(v.size):.2g}"
            print(f"{accel:.0e} {depth:3d}  {ms('contact')}  {ms('interface_voids')}  {ms('vacancies')}  "
                  f"{ms('exits')}  {sum(r['wall_s'] for r in sel):.0f}")


if __name__ == "__main__":
    main()
