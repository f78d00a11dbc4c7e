"""The table of periodic-array responses the reduced operator interpolates (``kmc.mechanics.reduced``).

Each entry is ``kmc.mechanics.cell.solve_cell`` at a void fraction s and a period over foil
thickness lambda / H, for one creep exponent and one friction.  The shipped tables live in
kmc/mechanics/data/ and are made by

    python -m kmc.mechanics.table --exponent 6.6 --friction stuck

(~20 min on one core); a law with another exponent needs its own table.  The interface as an area
(kmc.mechanics.reduced_area) reads two more, of the axisymmetric cells (kmc.mechanics.cell: a cap's
footprint in the middle, or an island of contact):

    python -m kmc.mechanics.table --exponent 6.6 --friction stuck --geometry cap
    python -m kmc.mechanics.table --exponent 6.6 --friction stuck --geometry island
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kmc.mechanics.cell import CELL_GEOMETRIES, PROFILE_POINTS, solve_cell

DATA = Path(__file__).resolve().parent / "data"
# Void fractions: log-spaced toward both ends, where the response varies fastest (an isolated void,
# an isolated island).  Beyond them the reduced operator continues the end entries' power laws:
# above 0.9 an island is a punch whose constraint factor p / (sigma0 (V / (a eps0))^(1/n)) is
# 2.996, 2.996, 2.995 at s = 0.95, 0.99, 0.998 (docs/mechanics.md), so the continuation is exact
# to 0.1 %.
VOID_FRACTIONS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
# Period over thickness: at lambda / H <= 0.25 the foil's thickness no longer matters (the periodic
# field decays within ~lambda of the interface; docs/mechanics.md); above 4 a period is a wide gap.
PERIOD_OVER_THICKNESS = (0.25, 0.5, 1.0, 2.0, 4.0)
TABLE_VERSION = 1


@dataclass(frozen=True)
class CellTable:
    """The entries at (void fraction, lambda / H): lambda the section's period, or an axisymmetric
    cell's diameter (``meta["geometry"]``: kmc.mechanics.cell.CELL_GEOMETRIES; absent: the section)."""
    exponent: float
    friction: str
    void_fractions: np.ndarray            # (S,)
    period_over_thickness: np.ndarray     # (L,)
    plunger_velocity: np.ndarray          # (S, L): V / (eps(P) lambda), < 0
    closing_profile: np.ndarray           # (S, L, K): -u_y over the void / (eps(P) lambda)
    pressure_profile: np.ndarray          # (S, L, K): contact pressure over the island / P
    profile_points: np.ndarray            # (K,) positions from the void's middle to its edge / from the edge to the island's middle
    meta: dict

    def to_json(self) -> dict:
        return dict(version=TABLE_VERSION, exponent=self.exponent, friction=self.friction,
                    void_fractions=self.void_fractions.tolist(),
                    period_over_thickness=self.period_over_thickness.tolist(),
                    plunger_velocity=self.plunger_velocity.tolist(),
                    closing_profile=self.closing_profile.tolist(), pressure_profile=self.pressure_profile.tolist(),
                    profile_points=self.profile_points.tolist(), meta=self.meta)

    @classmethod
    def from_json(cls, d: dict) -> "CellTable":
        if d.get("version") != TABLE_VERSION:
            raise ValueError(f"cell table version {d.get('version')!r}; this code reads version {TABLE_VERSION}: "
                             "rebuild it with python -m kmc.mechanics.table")
        return cls(float(d["exponent"]), d["friction"], np.array(d["void_fractions"]),
                   np.array(d["period_over_thickness"]), np.array(d["plunger_velocity"]),
                   np.array(d["closing_profile"]), np.array(d["pressure_profile"]), np.array(d["profile_points"]),
                   d.get("meta", {}))


def table_path(exponent: float, friction: str, geometry: str = "section") -> Path:
    suffix = "" if geometry == "section" else f"_{geometry}"
    return DATA / f"cell_table_n{exponent:g}_{friction}{suffix}.json"


def build_table(exponent: float, friction: str, void_fractions=VOID_FRACTIONS,
                period_over_thickness=PERIOD_OVER_THICKNESS, resolution: int = 12, growth: float = 1.35,
                progress=None, cache: Path | None = None, geometry: str = "section") -> CellTable:
    """Every entry; ``cache`` (a JSON-lines file) keeps finished entries so an interrupted build
    resumes.  An entry whose Newton stalls is retried on a finer mesh (resolution + 4, growth
    1.25), the error raised if that stalls too."""
    from kmc.mechanics.norton import NortonSolveError
    S, L, K = len(void_fractions), len(period_over_thickness), PROFILE_POINTS.size
    V = np.zeros((S, L))
    close = np.zeros((S, L, K))
    press = np.zeros((S, L, K))
    start = time.perf_counter()
    done = {}
    if cache is not None and cache.exists():
        for line in cache.read_text().splitlines():
            rec = json.loads(line)
            done[(rec["s"], rec["lh"])] = rec
    for i, s in enumerate(void_fractions):
        for j, lh in enumerate(period_over_thickness):
            rec = done.get((s, lh))
            if rec is None:
                try:
                    r = solve_cell(s, lh, exponent, friction, resolution=resolution, growth=growth, geometry=geometry)
                except NortonSolveError:
                    r = solve_cell(s, lh, exponent, friction, resolution=resolution + 4, growth=1.25, geometry=geometry)
                rec = dict(s=s, lh=lh, V=r.plunger_velocity, close=r.closing_profile.tolist(),
                           press=r.pressure_profile.tolist())
                if cache is not None:
                    with cache.open("a") as fh:
                        fh.write(json.dumps(rec) + "\n")
                if progress:
                    progress(f"s {s:g} lambda/H {lh:g}: V {r.plunger_velocity:.4e} ({r.wall_time_s:.1f} s, "
                             f"{r.newton_iterations} Newton steps)")
            V[i, j], close[i, j], press[i, j] = rec["V"], rec["close"], rec["press"]
    meta = dict(resolution=resolution, growth=growth, wall_time_s=time.perf_counter() - start,
                command=f"python -m kmc.mechanics.table --exponent {exponent:g} --friction {friction}"
                        + ("" if geometry == "section" else f" --geometry {geometry}"))
    if geometry != "section":
        meta["geometry"] = geometry
    # entries are solved in the order given (a build cut short keeps what it was asked for first) and
    # stored with the void fractions rising, as the reduced operator reads them
    order = np.argsort(void_fractions)
    return CellTable(float(exponent), friction, np.array(void_fractions, float)[order],
                     np.array(period_over_thickness, float), V[order], close[order], press[order],
                     PROFILE_POINTS.copy(), meta)


_LOADED: dict = {}


def load_table(exponent: float, friction: str, geometry: str = "section") -> CellTable:
    """The shipped table for this exponent, friction and cell (one clear error if there is none)."""
    key = (round(float(exponent), 6), friction, geometry)
    if key not in _LOADED:
        path = table_path(exponent, friction, geometry)
        if not path.exists():
            shipped = sorted(p.name for p in DATA.glob("cell_table_*.json"))
            raise FileNotFoundError(
                f"no cell table for creep exponent {exponent:g} with {friction} contact ({path.name}); shipped: "
                f"{', '.join(shipped) or 'none'}; make it with: python -m kmc.mechanics.table --exponent {exponent:g} "
                f"--friction {friction}" + ("" if geometry == "section" else f" --geometry {geometry}"))
        _LOADED[key] = CellTable.from_json(json.loads(path.read_text()))
    return _LOADED[key]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the reduced operator's table of periodic-array responses.")
    parser.add_argument("--exponent", type=float, required=True, help="creep stress exponent n ([creep] stress_exponent)")
    parser.add_argument("--friction", choices=("stuck", "frictionless"), default="stuck")
    parser.add_argument("--resolution", type=int, default=12)
    parser.add_argument("--growth", type=float, default=1.35)
    parser.add_argument("--geometry", choices=CELL_GEOMETRIES, default="section",
                        help="the section's plane-strain period, or an area's axisymmetric cell (a cap, an island)")
    parser.add_argument("--void-fractions", default=None,
                        help="comma-separated void fractions (default: the section's grid, VOID_FRACTIONS)")
    parser.add_argument("--periods", default=None,
                        help="comma-separated periods over thickness (default: PERIOD_OVER_THICKNESS)")
    args = parser.parse_args(argv)
    grid = {}
    if args.void_fractions:
        grid["void_fractions"] = tuple(float(v) for v in args.void_fractions.split(","))
    if args.periods:
        grid["period_over_thickness"] = tuple(float(v) for v in args.periods.split(","))
    DATA.mkdir(exist_ok=True)
    path = table_path(args.exponent, args.friction, args.geometry)
    cache = path.with_suffix(".partial.jsonl")
    table = build_table(args.exponent, args.friction, resolution=args.resolution, growth=args.growth,
                        progress=lambda m: print(m, flush=True), cache=cache, geometry=args.geometry, **grid)
    table.meta["command"] = "python -m kmc.mechanics.table " + " ".join(argv if argv is not None else sys.argv[1:])
    path.write_text(json.dumps(table.to_json()))
    cache.unlink()
    print(f"wrote {path} ({table.meta['wall_time_s']:.0f} s)")


if __name__ == "__main__":
    main()
