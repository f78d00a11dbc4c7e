"""Box-depth independence of final contact and interface void count, with the sinks at a
physical distance (kmc/electrode.py) and the deep box (kmc.model.deep_box).  Pure Li, default
conditions (0.2 MPa, 0.5 mA/cm2), a 12 x 12 cell interface, 12 vs 24 cells deep, seeds 1-4, at
acceleration 1e6 and 1e5, each stripped to the same charge, for each run.deep_box_share given
(0: the deep box off).  Prints mean +- standard error over the replicas and writes a JSON file.

Contact at a given charge is decided by whether an interface void has nucleated, a rare event, so
each depth is also summarised by the number of runs in which contact fell below
NUCLEATED_CONTACT (a void of at least a tenth of the interface; runs without one stay above 0.98)
and the charge at which it first did, and the two depths are compared by Fisher's exact test on
those counts (two-sided p; "the same" means p > 0.05 with the stated number of replicas).

    python benchmarks/validation/electrode_box_depth.py [--monolayers 3] [--shares 0.5,0.1,0]
        [--jobs 2] [--seeds 1-4] [--out runs/h18/box_depth.json]

Runs already recorded in the --out file (same width, depth, charge, acceleration, share and seed)
are kept and not run again, so an interrupted study resumes, and a finished one grows by widening
--seeds; a file holding runs of another width or charge is refused (give another --out).
"""
import argparse
import concurrent.futures
import json
import math
import time
from pathlib import Path

import h5py
import numpy as np

from kmc.analysis import compute_analysis
from kmc.config import load_config
from kmc.runfile import KmcWriter
from kmc.simulation import Simulation

ROOT = Path(__file__).resolve().parents[2]
NUCLEATED_CONTACT = 0.9


def fisher_exact_p(a: int, n: int, b: int, m: int) -> float:
    """Two-sided Fisher exact p for a of n against b of m (sum of the hypergeometric
    probabilities no larger than the observed table's)."""
    k = a + b

    def prob(x):
        return math.comb(n, x) * math.comb(m, k - x) / math.comb(n + m, k)
    observed = prob(a)
    return min(1.0, sum(prob(x) for x in range(max(0, k - m), min(k, n) + 1) if prob(x) <= observed * (1 + 1e-9)))


def one(params, depth, accel, seed, monolayers, folder, width, share):
    path = folder / f"w{width}_d{depth}_A{accel:.0e}_share{share:g}_s{seed}.h5"
    over = [f"lattice.cells=[{width},{width},{depth}]", f"run.acceleration={accel}", f"run.seed={seed}",
            "run.stop_stripped_mAh_cm2=0", f"run.stop_stripped_monolayers={monolayers}",
            "output.series_every_mAh_cm2=3e-6", f"run.deep_box_share={share}"]
    sim = Simulation(load_config(params, over))
    t0 = time.perf_counter()
    if path.exists():
        path.unlink()
    res = sim.run(KmcWriter(path, sim), progress=False)
    wall = time.perf_counter() - t0
    an = compute_analysis(path)
    fr = an["frames"]
    with h5py.File(path, "r") as f:
        contact = f["observables/contact_fraction/value"][()]
        ml = f["observables/stripped_monolayers/value"][()]
    below = np.flatnonzero(contact < NUCLEATED_CONTACT)
    return {"width": width, "monolayers": monolayers, "depth": depth, "accel": accel, "share": share,
            "deep_hop_factor": sim.rates.deep_hop_factor, "seed": seed, "stop": res.stop_reason, "events": res.events,
            "wall_s": wall, "contact": float(res.observables["contact_fraction"]),
            "interface_voids": int(fr["interface_void_count"][-1]), "buried_voids": int(fr["buried_void_count"][-1]),
            "vacancies": int(res.observables["vacancy_count"]), "exits": sim.event_counts()["exit_bulk"],
            "bottom_c_v": float(res.observables["bottom_vacancy_fraction"]),
            "stripped_vacancies": sim.event_counts()["strip"],
            "nucleated_at_ml": float(ml[below[0]]) if below.size else None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--params", default=str(ROOT / "params" / "li_li2s.toml"))
    ap.add_argument("--monolayers", type=float, default=3.0)
    ap.add_argument("--width", type=int, default=12)
    ap.add_argument("--accels", default="1e6,1e5")
    ap.add_argument("--shares", default="0.5", help="run.deep_box_share values, comma-separated (0: off)")
    ap.add_argument("--jobs", type=int, default=1, help="runs in parallel (processes)")
    ap.add_argument("--seeds", default="1-4", help="first-last seed (replicas)")
    ap.add_argument("--out", default=str(ROOT / "runs" / "h18" / "box_depth.json"))
    a = ap.parse_args()
    folder = Path(a.out).parent
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(a.params, depth, float(accel), seed, a.monolayers, folder, a.width, float(share))
            for share in a.shares.split(",") for accel in a.accels.split(",") for depth in (12, 24)
            for seed in range(int(a.seeds.split("-")[0]), int(a.seeds.split("-")[-1]) + 1)]
    rows = json.loads(Path(a.out).read_text()) if Path(a.out).exists() else []
    other = [r for r in rows if (r.get("width"), r.get("monolayers")) != (a.width, a.monolayers)]
    if other:
        raise SystemExit(f"error: {a.out} holds runs of another width or charge than --width {a.width} "
                         f"--monolayers {a.monolayers:g}; allowed: the same study's file, or another --out")
    done = {(r["depth"], r["accel"], r["share"], r["seed"]) for r in rows}
    jobs = [j for j in jobs if (j[1], j[2], j[7], j[3]) not in done]
    print(f"{len(done)} runs kept from {a.out}, {len(jobs)} to run", flush=True)
    with concurrent.futures.ProcessPoolExecutor(a.jobs) as pool:
        for r in pool.map(one, *zip(*jobs)):
            rows.append(r)
            print(json.dumps(r), flush=True)
            Path(a.out).write_text(json.dumps(rows, indent=1))
    print("share  accel depth  B  contact(mean+-se)  interface voids  vacancies  exits/stripped  wall s (all runs)  "
          f"runs below contact {NUCLEATED_CONTACT} (ML at first)")
    for share in sorted({r["share"] for r in rows}, reverse=True):
        for accel in sorted({r["accel"] for r in rows}, reverse=True):
            for depth in (12, 24):
                sel = [r for r in rows if r["accel"] == accel and r["depth"] == depth and r["share"] == share]

                def ms(key):
                    v = np.array([r[key] for r in sel], float)
                    return f"{v.mean():.4g} +- {v.std(ddof=1) / math.sqrt(v.size):.2g}"
                for r in sel:
                    r["escaped"] = r["exits"] / max(r["stripped_vacancies"], 1)
                first = sorted(r["nucleated_at_ml"] for r in sel if r["nucleated_at_ml"] is not None)
                print(f"{share:g}  {accel:.0e} {depth:3d}  {sel[0]['deep_hop_factor']:.3g}  {ms('contact')}  "
                      f"{ms('interface_voids')}  {ms('vacancies')}  {ms('escaped')}  {sum(r['wall_s'] for r in sel):.0f}  "
                      f"{len(first)} of {len(sel)} ({', '.join(f'{x:.1f}' for x in first)})")
            by_depth = [[r for r in rows if r["accel"] == accel and r["depth"] == depth and r["share"] == share]
                        for depth in (12, 24)]
            counts = [(sum(r["nucleated_at_ml"] is not None for r in sel), len(sel)) for sel in by_depth]
            if all(n for _, n in counts):
                print(f"   12 vs 24 cells deep: {counts[0][0]}/{counts[0][1]} vs {counts[1][0]}/{counts[1][1]} runs "
                      f"nucleated, Fisher exact p = {fisher_exact_p(*counts[0], *counts[1]):.3f}")


if __name__ == "__main__":
    main()
