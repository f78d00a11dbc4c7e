"""Wall time of the rates' pieces on 1 and 2 workers (docs/rates.md, "Pieces on workers"): a small
I(S) scan (each S one piece: kmc.interface_rates.report.nucleation_scan) and one FFS rate (its flux
runs and trial batches as pieces: nucleation_record with a runner), serially and on local Dask
clusters of 1 and 2 processes (kmc.interface_rates.pieces.Runner, what `kmc rates --workers N`
uses).  Checks that every record is the serial one bit for bit (wall time aside).  The machine is
shared: the load average is printed beside each number.

    nice -n 10 python benchmarks/rates_scaling.py [--params li_li2s] [--S 1500 2000 3000 5000]
"""
from __future__ import annotations

import argparse
import json
import os
import time


def _same(a, b) -> bool:
    strip = (lambda recs: json.dumps([{k: v for k, v in r.items() if k != "wall_s"} for r in recs], sort_keys=True))
    return strip(a) == strip(b)


def main():
    from kmc.config import load_config, resolve_params
    from kmc.interface_rates import report, steady
    from kmc.interface_rates.pieces import Runner
    ap = argparse.ArgumentParser()
    ap.add_argument("--params", default="li_li2s")
    ap.add_argument("--S", nargs="+", type=float, default=[1500, 2000, 3000, 5000])
    ap.add_argument("--cells", nargs=3, type=int, default=[6, 6, 4])
    ap.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    args = ap.parse_args()
    settings = load_config(resolve_params(args.params))
    # small on purpose: seconds per S (a short ladder, few trials); the method choice is kmc rates' own
    options = dict(trials=20, flux_events=20_000, seeds=(1, 2, 3, 4), l1=steady.l1_start(settings, None),
                   cells=tuple(args.cells), ladder=(3, 4, 5, 6, 8), min_hits=10, max_trials=400)
    one_S = args.S[0]
    print(f"{args.params}, {'x'.join(map(str, args.cells))} box, scan S = {args.S}; one FFS rate at S = {one_S:g}; "
          f"{os.cpu_count()} CPUs")
    print(f"{'where':>22} {'scan wall (s)':>14} {'one rate wall (s)':>18} {'load avg (1 min)':>17}  identical")
    t = time.perf_counter()
    scan_serial = report.nucleation_scan(settings, args.S, **options)
    scan_wall = time.perf_counter() - t
    t = time.perf_counter()
    one_serial = report.nucleation_record(settings, one_S, **options)
    one_wall = time.perf_counter() - t
    print(f"{'serial (this process)':>22} {scan_wall:14.1f} {one_wall:18.1f} {os.getloadavg()[0]:17.2f}  -", flush=True)
    for n in args.workers:
        t = time.perf_counter()
        with Runner(workers=n, progress=False) as runner:
            start = time.perf_counter() - t
            t = time.perf_counter()
            scan = report.nucleation_scan(settings, args.S, runner=runner, **options)
            scan_wall = time.perf_counter() - t
            t = time.perf_counter()
            one = report.nucleation_record(settings, one_S, runner=runner, **options)
            one_wall = time.perf_counter() - t
        same = _same(scan, scan_serial) and _same([one], [one_serial])
        print(f"{f'{n} worker(s) (+{start:.1f} s start)':>22} {scan_wall:14.1f} {one_wall:18.1f} "
              f"{os.getloadavg()[0]:17.2f}  {same}", flush=True)
    for S, r in zip(args.S, scan_serial):
        print(f"  S = {S:g}: {r['method_used']}, I = {r['value']:.3g} +- {r['error']:.2g} per um^2 per s "
              f"(lambda_B = {r['interfaces'][-1]}; {r['method_reason']})")


if __name__ == "__main__":
    main()
