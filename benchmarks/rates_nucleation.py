"""I(S) for Li and Li-Mg at 298 K (docs/rates.md, docs/rates_nucleation.png): forward-flux
sampling where nuclei are rare, brute-force first passage where they are not, and a 95 % upper
bound where a stage of FFS sees no success.  Writes runs/out/rates_nucleation.json.

    nice python benchmarks/rates_nucleation.py [--params li_li2s limg_li2s] [--S 30 100 ...]
                                               [--l1 equilibrium|random] [--flux-events N]

--l1: what L1 holds at the start (kmc.interface_rates.steady.L1_STARTS): by default, for a file with a
solute, its segregation equilibrium with the bulk ("equilibrium", the physical state); "random" is
the random alloy (L1 at the bulk's x), as the earlier Li-Mg rows.  Without a solute the two are the
same start.  Rows are kept per (params, S, l1).

    nice python benchmarks/rates_nucleation.py --params limg_li2s --l1-check [--S 134] [--flux-events N]

checks instead that the start is steady in the box: L1's solute fraction over the FFS's flux-run
length (20,000 warm-up + --flux-events events) from both starts, 8 replicas (docs/rates.md, section 3).
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from kmc.config import load_config, resolve_params
from kmc.interface_rates import cnt, ffs, steady
from kmc.interface_rates.report import LADDER, NUCLEATION_CELLS
BRUTE_FORCE_FROM_S = 2000     # above this the box nucleates within ~1e6 events: brute force is cheaper


def one(name, S, trials, flux_events, cells=NUCLEATION_CELLS, l1=None, ladder=LADDER):
    s = load_config(resolve_params(name), [f"lattice.cells={list(cells)}"])
    l1 = steady.l1_start(s, l1)
    nuc = cnt.critical_nucleus(s, S)
    t = time.time()
    row = {"params": name, "S": S, "l1": l1, "cells": list(cells), "ladder": list(ladder),
           "cnt_critical_vacancies": nuc.vacancies, "cnt_barrier_eV": nuc.barrier_eV}
    if S >= BRUTE_FORCE_FROM_S:
        b = ffs.brute_force(s, S, ladder[-1], ladder[-1], range(1, 9), warmup_events=2000, l1=l1)
        row.update(method="brute force", rate=b.rate_per_um2_s, error=b.rate_se_per_um2_s, events=b.events)
    else:
        r = ffs.forward_flux(s, S, ladder, seeds=range(1, 5), flux_events=flux_events, trials=trials,
                             min_hits=30, max_trials=1500, l1=l1)
        row.update(method="FFS", rate=r.rate_per_um2_s, error=r.rate_se_per_um2_s, events=r.events,
                   probabilities=[float(p) for p in r.probabilities], trials=r.trials,
                   flux_per_s=r.flux.flux_per_s, flux_se_per_s=r.flux.flux_se_per_s,
                   flux_crossings=r.flux.crossings, flux_time_s=r.flux.time_in_A_s, flux_events=flux_events,
                   note=r.note)
        if r.upper_bound_per_um2_s is not None:
            row["upper_bound"] = r.upper_bound_per_um2_s
    row["wall_s"] = round(time.time() - t, 1)
    return row


def l1_check(name, S, flux_events, cells=NUCLEATION_CELLS, seeds=range(1, 9)) -> list[dict]:
    """L1's solute fraction from each start over the flux run's length (steady.l1_solute_trace)."""
    from kmc.fit import l1_equilibrium
    s = load_config(resolve_params(name), [f"lattice.cells={list(cells)}"])
    eq = l1_equilibrium(s, cells=(cells[0], cells[1], 6))
    out = []
    for l1 in steady.L1_STARTS:
        t = time.time()
        tr = steady.l1_solute_trace(s, S, seeds, 20_000 + flux_events, 5000, l1=l1)
        n = len(tr.start)
        sem = lambda v: float(v.std(ddof=1) / math.sqrt(n))    # noqa: E731
        out.append({"params": name, "S": S, "l1": l1, "replicas": n, "events_per_replica": 20_000 + flux_events,
                    "chain_fraction": eq.fraction, "chain_sem": eq.fraction_sem,
                    "start_mean": float(tr.start.mean()), "start_se": sem(tr.start),
                    "time_average_mean": float(tr.mean.mean()), "time_average_se": sem(tr.mean),
                    "end_mean": float(tr.end.mean()), "end_se": sem(tr.end),
                    "drift_end_minus_start": float((tr.end - tr.start).mean()), "drift_se": sem(tr.end - tr.start),
                    "kmc_time_s": float(tr.time_s.mean()), "wall_s": round(time.time() - t, 1)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--params", nargs="+", default=["li_li2s", "limg_li2s"])
    ap.add_argument("--S", nargs="+", type=float, default=[10, 30, 100, 134, 300, 600, 1000, 2000, 4000, 10000])
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--flux-events", type=int, default=50_000)
    ap.add_argument("--l1", choices=steady.L1_STARTS, default=None,
                    help="L1 at the start (default: equilibrium for a file with a solute; the same start without)")
    ap.add_argument("--ladder", nargs="+", type=int, default=list(LADDER),
                    help="FFS interfaces lambda_0 ... lambda_B (default kmc.interface_rates.report.LADDER)")
    ap.add_argument("--l1-check", action="store_true", help="check the starts' L1 solute fraction instead")
    ap.add_argument("--out", default="runs/out/rates_nucleation.json")
    a = ap.parse_args()
    if a.l1_check:
        for name in a.params:
            for S in a.S:
                for row in l1_check(name, S, a.flux_events):
                    print(json.dumps(row), flush=True)
        return
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(out.read_text()) if out.exists() else []
    for name in a.params:
        for S in a.S:
            row = one(name, S, a.trials, a.flux_events, l1=a.l1, ladder=tuple(a.ladder))
            # rows written before the L1 start was an option are the random alloy's
            rows = [r for r in rows if not (r["params"] == name and r["S"] == S and r.get("l1", "random") == row["l1"])]
            rows.append(row)
            out.write_text(json.dumps(rows, indent=1))
            print(json.dumps({k: v for k, v in row.items() if k not in ("probabilities", "trials")}), flush=True)


if __name__ == "__main__":
    main()
