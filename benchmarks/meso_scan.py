"""A pressure x current scan of `kmc meso` here and on a local Dask cluster (kmc.meso_scan.meso_scan):
the wall time of each, and whether every run's numbers are the same bit for bit.

    python benchmarks/meso_scan.py                                  # 3 pressures x 2 currents, kmc meso's default
    python benchmarks/meso_scan.py --workers 2 --pressures 0.2,1.5,7 --currents 0.5,2 --charge 0.5 \
        --set meso.width_um=40
    python benchmarks/meso_scan.py --set meso.interface=area --set meso.depth_um=10 --set meso.width_um=40
    python benchmarks/meso_scan.py --scheduler tcp://127.0.0.1:8786   # an existing scheduler instead
    python benchmarks/meso_scan.py --presses --charge 0.25 --set meso.interface=area --set meso.depth_um=10 \
        --set meso.width_um=40                                    # kept presses against one press per run

Wall times (the scan's point is the wall clock): the serial scan in this process, then the same list on
``--workers`` single-threaded worker processes of a LocalCluster (its start included) or on the
scheduler given.  The load average is printed: on a shared machine the walls are the machine's too.
``--presses``: instead, the serial scan twice in this process, with its pressed faces kept (kmc.cell.kept_starts:
one press per seed) and with one press per run (nothing kept), their CPU times and whether the numbers are
the same bit for bit.  Each scan starts with no face kept: its own empty $KMC_CACHE_DIR (the energetics' folder
copied in), which the Dask workers inherit, so no scan takes a face an earlier one pressed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def scan_settings(pressures, currents, charge, overrides, params="li_li2s"):
    from kmc.config import load_config
    return [load_config(ROOT / "params" / f"{params}.toml",
                        [f"conditions.stack_pressure_MPa={p}", f"conditions.current_density_mA_cm2={i}",
                         f"meso.stop_stripped_mAh_cm2={charge}", *overrides])
            for p in pressures for i in currents]


def same_numbers(a: list[dict], b: list[dict]) -> bool:
    return all(x["stop_reason"] == y["stop_reason"] and x["steps"] == y["steps"]
               and x["series"].keys() == y["series"].keys()
               and all(np.array_equal(x["series"][k], y["series"][k], equal_nan=True) for k in x["series"])
               for x, y in zip(a, b)) and len(a) == len(b)


@contextmanager
def nothing_kept(name: str):
    """No face kept in this process, and an empty cache folder of its own (the energetics' copied in) for the
    processes started inside (kmc.cell.kept_starts, kmc.disk_cache)."""
    from kmc.cell import kept_starts
    from kmc.disk_cache import CACHE_ENV, cache_root
    before = os.environ.get(CACHE_ENV)
    folder = Path(tempfile.mkdtemp(prefix=f"kmc-{name}-"))
    if (cache_root() / "interface").is_dir():
        shutil.copytree(cache_root() / "interface", folder / "interface")
    os.environ[CACHE_ENV] = str(folder)
    kept_starts._in_process.clear()
    try:
        yield
    finally:
        kept_starts._in_process.clear()
        shutil.rmtree(folder, ignore_errors=True)
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before


def compare_presses(scans, settings) -> None:
    """The serial scan (``scans``: kmc.meso_scan) with its presses kept and with one press per run: CPU (s) and
    the numbers."""
    from kmc.cell import kept_starts
    with nothing_kept("kept"):
        t = time.process_time()
        kept = scans.meso_scan(settings)
        kept_cpu = time.process_time() - t
    own = kept_starts.start_from_kept
    with nothing_kept("each"):
        kept_starts.start_from_kept = lambda model: (None, None)     # nothing looked up, nothing kept
        try:
            t = time.process_time()
            each = scans.meso_scan(settings)
            each_cpu = time.process_time() - t
        finally:
            kept_starts.start_from_kept = own
    seeds = len({s.run.seed for s in settings})
    print(f"{len(settings)} runs, {seeds} seed(s); load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"presses kept ({seeds} press(es)): {kept_cpu:.1f} s CPU;  one press per run ({len(settings)}): "
          f"{each_cpu:.1f} s CPU (x{each_cpu / kept_cpu:.2f})")
    print(f"every run's samples, stop and steps the same bit for bit: {same_numbers(kept, each)}")


def main(argv=None):
    from kmc import meso_scan as scans
    meso_scan = scans.meso_scan
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pressures", default="0.2,1.5,7", help="MPa, comma-separated")
    ap.add_argument("--currents", default="0.5,2", help="mA/cm^2, comma-separated")
    ap.add_argument("--charge", type=float, default=1.0, help="mAh/cm^2 each run strips (default 1)")
    ap.add_argument("--params", default="li_li2s", help="parameter file in params/ (default li_li2s)")
    ap.add_argument("--workers", type=int, default=2, help="local Dask worker processes (default 2)")
    ap.add_argument("--scheduler", default=None, help="an existing Dask scheduler's address instead")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="section.key=value")
    ap.add_argument("--presses", action="store_true", help="serial only: kept presses against one press per run")
    args = ap.parse_args(argv)
    pressures = [float(x) for x in args.pressures.split(",")]
    currents = [float(x) for x in args.currents.split(",")]
    settings = scan_settings(pressures, currents, args.charge, args.overrides, args.params)
    with nothing_kept("warm"):
        meso_scan(settings[:1])                  # the energetics cached and the kernels compiled, once (no face kept)
    if args.presses:
        compare_presses(scans, settings)
        return
    print(f"{len(settings)} runs ({len(pressures)} pressures x {len(currents)} currents, {args.charge:g} mAh/cm2 "
          f"each); load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with nothing_kept("serial"):
        t = time.perf_counter()
        serial = meso_scan(settings)
        serial_wall = time.perf_counter() - t
    with nothing_kept("dask"):                   # the workers start inside: they inherit the empty folder
        t = time.perf_counter()
        if args.scheduler:                       # (an existing scheduler's workers keep their own)
            distributed = meso_scan(settings, scheduler=args.scheduler)
            where = f"the scheduler at {args.scheduler}"
        else:
            distributed = meso_scan(settings, workers=args.workers)
            where = f"a LocalCluster of {args.workers} workers (its start included)"
        dask_wall = time.perf_counter() - t
    print(f"serial: {serial_wall:.1f} s wall;  on {where}: {dask_wall:.1f} s wall "
          f"(x{serial_wall / dask_wall:.2f})")
    print(f"every run's samples, stop and steps the same bit for bit: {same_numbers(serial, distributed)}")
    print(f"{'MPa':>6} {'mA/cm2':>7} {'steps':>6} {'stop':>13} {'contact':>8} {'eta mV':>8}")
    for s, r in zip(settings, serial):
        print(f"{s.conditions.stack_pressure_MPa:>6g} {s.conditions.current_density_mA_cm2:>7g} {r['steps']:>6} "
              f"{r['stop_reason']:>13} {r['series']['contact_fraction'][-1]:>8.3f} "
              f"{r['series']['overpotential'][-1]:>8.1f}")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
