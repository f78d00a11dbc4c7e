"""Is seed 004's early void count a property of the model, or of the box and the acceleration?

    kmc sweep runs/seed004.toml --workers 2                              # the reference
    kmc sweep runs/seed004_wide.toml --workers 2                         # 16x the area
    kmc sweep runs/seed004.toml --workers 2 --out runs/out/seed004_a1e5 \\
        --set run.acceleration=1e5 --set run.stop_stripped_monolayers=1.5 \\
        --set output.frame_every_mAh_cm2=1.805e-5                        # A 10x smaller
    python benchmarks/validation/seed004_numerics.py [--ref-out D] [--wide-out D] [--a1e5-out D]

For each chemistry and stack pressure: interface voids per um^2 at the frame nearest 1 monolayer
(the count behind seed004.py's "more voids right after stripping starts"), mean +- standard
error over samples of the reference's area.  A run of the reference spec is one sample; a wider
box is cut into tiles of the reference's size (a void counts in the tile that holds its
centroid), each tile one sample.  Tiles of one box are taken as independent: voids near 1 ML
are ~3 nm wide against 35 nm tiles, so few cross a tile edge (the script prints how many).
Each variant is compared with the reference by Welch's t-test at 95 % (two-sided), the rule of seed004.py; "same" means no significant
difference at that level, not a proof of equality.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, mean_sem  # noqa: E402
from seed004 import EARLY_MONOLAYERS, MIN_VOID_NM, analysed_tables, early_frame, finished_runs, welch_bar  # noqa: E402

from kmc.sweep import expand_sweep  # noqa: E402


def tile_densities(x_A, y_A, width_nm, lx_A: float, ly_A: float, tiles_per_edge: int) -> tuple[list[float], int]:
    """Voids per um^2 in each of tiles_per_edge^2 tiles of an lx_A x ly_A box (periodic), a void
    counted in the tile that holds its centroid (x_A, y_A); also how many voids cross a tile edge
    (centroid within half the void's width of one)."""
    x_A, y_A = np.asarray(x_A, float) % lx_A, np.asarray(y_A, float) % ly_A
    tx, ty = lx_A / tiles_per_edge, ly_A / tiles_per_edge
    ix = np.minimum(x_A // tx, tiles_per_edge - 1).astype(int)
    iy = np.minimum(y_A // ty, tiles_per_edge - 1).astype(int)
    counts = np.bincount(iy * tiles_per_edge + ix, minlength=tiles_per_edge ** 2)
    tile_um2 = tx * ty * 1e-8
    if tiles_per_edge == 1:
        return (counts / tile_um2).tolist(), 0
    half_width_A = 5.0 * np.asarray(width_nm, float)
    dx = np.minimum(x_A % tx, tx - x_A % tx)
    dy = np.minimum(y_A % ty, ty - y_A % ty)
    return (counts / tile_um2).tolist(), int(np.sum((dx < half_width_A) | (dy < half_width_A)))


def early_tile_densities(path, tiles_per_edge: int) -> tuple[list[float], int, int]:
    """tile_densities of a run's interface voids at the frame nearest 1 ML, and their number."""
    tables = analysed_tables(path, MIN_VOID_NM)
    frames, voids = tables["frames"], tables["voids"]
    early = early_frame(frames)
    with h5py.File(path, "r") as f:
        lx_A, ly_A = (float(e) for e in f["particles/metal/box/edges"][:2])
    at = voids[(voids["frame"] == early) & (voids["interface"] == 1)]
    density, near_edge = tile_densities(at["centroid_x_A"].to_numpy(), at["centroid_y_A"].to_numpy(),
                                        at["width_nm"].to_numpy(), lx_A, ly_A, tiles_per_edge)
    return density, len(at), near_edge


def samples(spec, out_dir, overrides=(), reference_cells=None) -> dict:
    """{(chemistry, pressure): {"density": [per-sample voids per um^2], "runs", "voids", "edge"}}."""
    groups: dict = {}
    for key, run, path in finished_runs(spec, overrides, out_dir):
        cells = run.config["lattice"]["cells"]
        tiles = 1 if reference_cells is None else cells[0] // reference_cells[0]
        density, n_voids, near_edge = early_tile_densities(path, tiles)
        g = groups.setdefault(key, {"density": [], "runs": 0, "voids": 0, "edge": 0})
        g["density"] += density
        g["runs"] += 1
        g["voids"] += n_voids
        g["edge"] += near_edge
    return groups


def compare(ref: list[float], other: list[float]) -> str:
    (a, sa), (b, sb) = mean_sem(ref), mean_sem(other)
    se = math.hypot(sa, sb)
    if not se > 0:
        return "no error bar"
    dof, bar = welch_bar(sa, len(ref), sb, len(other))
    t = (b - a) / se
    return f"{t:+.1f} se, bar {bar:.2g} ({dof:.1f} dof): " + ("differs" if abs(t) > bar else "same")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref-out", default=None, help="output folder of runs/seed004.toml")
    ap.add_argument("--wide-out", default=None, help="output folder of runs/seed004_wide.toml")
    ap.add_argument("--a1e5-out", default=None, help="output folder of the A = 1e5 sweep (see above)")
    args = ap.parse_args(argv)
    ref_spec = ROOT / "runs" / "seed004.toml"
    reference = samples(ref_spec, args.ref_out)
    ref_cells = expand_sweep(ref_spec, (), args.ref_out).runs[0].config["lattice"]["cells"]
    variants = [("400x400 cells, A = 1e6", samples(ROOT / "runs" / "seed004_wide.toml", args.wide_out,
                                                   reference_cells=ref_cells)),
                ("100x100 cells, A = 1e5", samples(ref_spec, args.a1e5_out or ROOT / "runs" / "out" / "seed004_a1e5",
                                                   ("run.acceleration=1e5", "run.stop_stripped_monolayers=1.5",
                                                    "output.frame_every_mAh_cm2=1.805e-5")))]
    print(f"interface voids per um^2 near {EARLY_MONOLAYERS:g} ML, mean +- se over samples of 100x100 cells")
    for key in sorted(reference):
        r = reference[key]
        m, s = mean_sem(r["density"])
        print(f"{key[0]:10s} {key[1]:4g} MPa  100x100 cells, A = 1e6: {m:7.0f} +- {s:5.0f} "
              f"({r['runs']} runs, {r['voids']} voids)")
        for label, groups in variants:
            g = groups.get(key)
            if not g:
                print(f"{'':20s} {label}: no finished runs")
                continue
            m, s = mean_sem(g["density"])
            print(f"{'':20s} {label}: {m:7.0f} +- {s:5.0f} ({g['runs']} runs, {len(g['density'])} samples, "
                  f"{g['voids']} voids, {g['edge']} across a tile edge); {compare(r['density'], g['density'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
