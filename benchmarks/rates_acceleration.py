"""The defaults' convergence in run.acceleration (docs/rates.md, "The defaults"): the default run
of each chemistry (params as shipped, seeds given) at each A, and what it reports at its stop:
contact fraction, interface voids >= 1 nm, isolated L1 vacancies (vacant L1 sites in no void), with
the replicas' mean and se; wall time and events per run.  One process, in turn.

    nice python benchmarks/rates_acceleration.py --accels 1e5 1e4 --seeds 1 2 [--params li_li2s limg_li2s]
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def measure(path):
    from kmc.analysis import frame_voids, read_geometry
    from kmc.runfile import open_run_file
    with open_run_file(path) as f:
        geo = read_geometry(f)
        v = frame_voids(f.frame_species(-1), geo)
        contact = float(f.series("contact_fraction")[-1])
        l1 = f.series("interface_vacancy_count")
    n_if = int(np.count_nonzero(v.interface))
    # the snapshot count at the stop is Poisson-noisy (~3 vacancies); the mean over the run's second
    # half of series samples is the steadier measure of the interface population
    return {"contact_fraction": contact, "interface_voids": n_if,
            "isolated_l1_vacancies": int(v.isolated_l1_vacancies),
            "l1_vacancies_second_half_mean": float(np.mean(l1[len(l1) // 2:]))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--params", nargs="+", default=["li_li2s", "limg_li2s"])
    ap.add_argument("--accels", nargs="+", type=float, default=[1e5, 1e4])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--out", default="runs/out/rates_acceleration.json")
    ap.add_argument("--set", dest="extra", action="append", default=[])
    a = ap.parse_args()
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(out.read_text()) if out.exists() else []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.params:
            for A in a.accels:
                for seed in a.seeds:
                    h5 = Path(tmp) / f"{name}_{A:g}_{seed}.h5"
                    t = time.time()
                    cmd = [sys.executable, "-m", "kmc.cli", "run", name, "--set", f"run.acceleration={A:g}", "--set",
                           f"run.seed={seed}", "-o", str(h5), "--no-progress"]
                    for x in a.extra:
                        cmd += ["--set", x]
                    res = subprocess.run(cmd, capture_output=True, text=True)
                    if res.returncode not in (0, 3):
                        raise SystemExit(res.stderr)
                    row = {"params": name, "acceleration": A, "seed": seed, "wall_s": round(time.time() - t, 1),
                           "run": res.stdout.strip().splitlines()[-2:], **measure(h5)}
                    rows.append(row)
                    out.write_text(json.dumps(rows, indent=1))
                    print(json.dumps(row), flush=True)




def table(path="runs/out/rates_acceleration.json"):
    """Markdown: mean +- se over replicas per (chemistry, A), and each A against A/10 in se."""
    rows = json.loads(Path(path).read_text())
    keys = ("contact_fraction", "interface_voids", "l1_vacancies_second_half_mean", "isolated_l1_vacancies")
    stats = {}
    for r in rows:
        stats.setdefault((r["params"], r["acceleration"]), []).append(r)
    print("| chemistry | A | runs | contact | interface voids >= 1 nm | L1 vacancies (mean, 2nd half) | "
          "isolated L1 vacancies at stop | wall per run (s) |")
    print("|---|---|---|---|---|---|---|---|")
    summary = {}
    for (name, A), rs in sorted(stats.items(), key=lambda x: (x[0][0], -x[0][1])):
        cells = []
        for k in keys:
            v = np.array([r[k] for r in rs], float)
            m, se = v.mean(), (v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else math.nan)
            summary[(name, A, k)] = (m, se)
            cells.append(f"{m:.4g} ± {se:.2g}")
        wall = np.mean([r["wall_s"] for r in rs])
        print(f"| {name} | {A:g} | {len(rs)} | " + " | ".join(cells) + f" | {wall:.0f} |")
    print()
    print("| chemistry | A against A/10 | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    needs = []
    for (name, A, k0) in sorted(summary):
        if k0 != keys[0] or (name, A / 10, k0) not in summary:
            continue
        diffs, need = [], []
        for k in keys:
            (m1, s1), (m2, s2) = summary[(name, A, k)], summary[(name, A / 10, k)]
            # a single run has no spread of its own: take one run's sd from the other side (se x sqrt 2)
            n1, n2 = len(stats[(name, A)]), len(stats[(name, A / 10)])
            s1 = s1 if n1 > 1 else s2 * math.sqrt(n2)
            s2 = s2 if n2 > 1 else s1 * math.sqrt(n1)
            se = math.hypot(s1, s2)
            diffs.append(f"{m1 - m2:+.3g} ({abs(m1 - m2) / se:.1f} se)" if se > 0 else f"{m1 - m2:+.3g}")
            # replicas per arm for 2 combined se to resolve 10 % of the mean, from the runs' own spread
            sd2 = (s1 ** 2 * n1 + s2 ** 2 * n2) / 2
            scale = 0.1 * abs(m1 + m2) / 2
            need.append(f"{math.ceil(4 * 2 * sd2 / scale ** 2)}" if scale > 0 else "-")
        print(f"| {name} | {A:g} vs {A / 10:g} | " + " | ".join(diffs) + " |")
        needs.append(f"| {name} | {A:g} vs {A / 10:g} | " + " | ".join(need) + " |")
    print()
    print("Replicas per A for 2 combined se = 10 % of the mean (from the observed spread):")
    print()
    print("| chemistry | A against A/10 | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    print("\n".join(needs))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--table"]:
        table(*sys.argv[2:])
    else:
        main()
