"""Crash-safety stress: SIGKILL `kmc run` at random moments while it writes frames often, and
check every time that the left-over X.h5.partial opens and its last frame reads back.

A small slab writes a frame every 3000 events (several per second), so a good share of the kills
land while HDF5 is writing.  Prints one line per kill and a JSON summary.

    python benchmarks/kill_stress.py --kills 40
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py

ROOT = Path(__file__).resolve().parent.parent


def kill_once(out: Path, delay_s: float) -> dict:
    checkpoint = Path(str(out) + ".checkpoint")
    cmd = [sys.executable, "-m", "kmc.cli", "run", str(ROOT / "params" / "li_li2s.toml"), "-o", str(out),
           "--no-progress", "--set", "lattice.cells=[30,30,10]", "--set", "run.stop_stripped_mAh_cm2=1e-4",
           "--set", "output.frame_every_events=3000", "--set", "output.frame_every_mAh_cm2=0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    while not checkpoint.exists() and proc.poll() is None:   # wait until the run is writing
        time.sleep(0.01)
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = Path(str(out) + ".partial")
    try:
        with h5py.File(partial, "r") as f:
            frames = f["particles/metal/species/value"]
            n = frames.shape[0]
            frames[n - 1]
        result = {"readable": True, "frames": n}
    except Exception as exc:   # any failure to read is what this script looks for
        result = {"readable": False, "error": str(exc)[:200]}
    for p in (partial, checkpoint, out):
        p.unlink(missing_ok=True)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.kills):
            r = kill_once(Path(tmp) / f"k{i}.h5", rng.random() * 2.0)
            results.append(r)
            print(f"kill {i:3d}: " + (f"readable, {r['frames']} frames" if r["readable"] else f"BROKEN: {r['error']}"),
                  flush=True)
    summary = {"kills": len(results), "readable": sum(r["readable"] for r in results),
               "frames": [r.get("frames") for r in results]}
    print(json.dumps(summary))
    return 0 if summary["readable"] == summary["kills"] else 1


if __name__ == "__main__":
    sys.exit(main())
