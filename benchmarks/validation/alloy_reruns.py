"""The Li-Mg runs again, on the model that took the computed rows (q only between an
L1 vacancy and an Mg, L1 Mg-Mg pairs at a and a sqrt2; docs/energy_model.md section 7), at the
shipped acceleration A = 1e4 (docs/rates.md section 5's converged value).

    python benchmarks/validation/alloy_reruns.py run NAME [--dir D] [--wall S]   # one run (prints its command)
    python benchmarks/validation/alloy_reruns.py table [--dir D]                 # the run table from D
    python benchmarks/validation/alloy_reruns.py wetting [--seeds 1-3]           # Li vs Li-Mg void shape

``run`` starts ``nice kmc run`` for one of RUNS (stop at 200 monolayers, at contact 0.05, or after
--wall seconds, default 2700) writing D/NAME.h5 (D = /tmp/alloy_reruns); ``table`` reads every
D/NAME.h5 (or the .partial of a run still going) and prints, per run, the stripped monolayers, the
contact fraction, the L1 Mg fraction (interface_solute_fraction) and the box Mg fraction at
monolayer marks, the stop reason and the wall time.  ``wetting`` runs
benchmarks/validation/wetting.py's protocol (closed slab, 450 K, 192-site void, L1 Mg equilibrated
by Metropolis swaps) for Li/Li2S, the lattice's 90-deg reference and Li-Mg at the model's own
equilibrium L1 Mg fraction (kmc.fit.l1_equilibrium at bulk x = 0.03, 298 K).
"""
from __future__ import annotations

import math
import shlex
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT  # noqa: E402

from kmc.runfile import open_run_file  # noqa: E402

DIR = Path("/tmp/alloy_reruns")
STOPS = ["run.stop_stripped_mAh_cm2=0", "run.stop_stripped_monolayers=200", "run.stop_contact_fraction=0.05"]
RUNS = {
    "limg_0p2MPa": ("limg_li2s.toml", ["conditions.stack_pressure_MPa=0.2"]),
    "limg_5MPa": ("limg_li2s.toml", ["conditions.stack_pressure_MPa=5"]),
    "li_100x100": ("li_li2s.toml", ["conditions.stack_pressure_MPa=0.2", "lattice.cells=[100,100,12]"]),
    "limg_100x100": ("limg_li2s.toml", ["conditions.stack_pressure_MPa=0.2", "lattice.cells=[100,100,12]"]),
}
MARKS_ML = (1, 5, 10, 25, 50, 100, 150, 200)


def command(name: str, directory: Path = DIR, wall_s: float = 2700) -> list[str]:
    params, extra = RUNS[name]
    args = ["nice", "-n", "10", "kmc", "run", str(ROOT / "params" / params)]
    for s in [*STOPS, f"run.stop_wall_s={wall_s:g}", *extra]:
        args += ["--set", s]
    return args + ["-o", str(directory / f"{name}.h5"), "--overwrite", "--no-progress"]


def run(name: str, directory: Path = DIR, wall_s: float = 2700):
    directory.mkdir(parents=True, exist_ok=True)
    args = command(name, directory, wall_s)
    print(shlex.join(args), flush=True)
    subprocess.run(args, check=True)


OBSERVED = ("contact_fraction", "interface_solute_fraction", "box_solute_fraction")
LAYERS_SHOWN = 6


def _layer_solute(path: Path) -> list[float]:
    """Solute fraction of the metal in each of the first LAYERS_SHOWN layers and in the rest of the
    box, at the last frame: where the Mg the stripped Li left went."""
    from kmc.species import SOLUTE, VACANCY
    with open_run_file(path) as f:
        spl = int(f.lattice_attributes()["sites_per_layer"])
        occ = f.frame_species(f.n_frames - 1)
    layers = [occ[k * spl:(k + 1) * spl] for k in range(LAYERS_SHOWN)] + [occ[LAYERS_SHOWN * spl:]]
    return [float(np.count_nonzero(x == SOLUTE) / max(np.count_nonzero(x != VACANCY), 1)) for x in layers]


def _summary(path: Path) -> dict:
    """The run's observables at the monolayer marks and at its last sample, its stop reason and
    wall time (the observables only: the frames are not needed)."""
    with open_run_file(path) as f:
        series = {k: f.series(k) for k in ("stripped_monolayers", *OBSERVED)}
        attrs = f.run_attributes() or {}
        config = tomllib.loads(f.config_toml())
    n = min(v.shape[0] for v in series.values())
    ml = series["stripped_monolayers"][:n]
    marks = {}
    for mark in MARKS_ML:
        i = int(np.searchsorted(ml, mark))
        if i < n:
            marks[mark] = tuple(float(series[k][i]) for k in OBSERVED)
    return {"ml": float(ml[-1]) if n else 0.0, "marks": marks, "layers": _layer_solute(path),
            "last": tuple(float(series[k][n - 1]) for k in OBSERVED) if n else (math.nan,) * 3,
            "stop": str(attrs.get("stop_reason", "running")), "wall_s": float(attrs.get("wall_time_s", math.nan)),
            "events": int(attrs.get("events", 0)), "wall_limit_s": float(config["run"]["stop_wall_s"])}


def table(directory: Path = DIR):
    print(f"{'run':14s} {'ML':>6s} {'stop':>16s} {'wall s':>7s}  at ML: contact / L1 Mg / box Mg")
    for name in RUNS:
        path = directory / f"{name}.h5"
        if not path.exists():
            path = directory / f"{name}.h5.partial"
            if not path.exists():
                continue
        s = _summary(path)
        marks = "  ".join(f"{m}: {c:.3f}/{l1:.3f}/{b:.4f}" for m, (c, l1, b) in s["marks"].items())
        c, l1, b = s["last"]
        print(f"{name:14s} {s['ml']:6.1f} {s['stop']:>16s} {s['wall_s']:7.0f}  {marks}  last: {c:.3f}/{l1:.3f}/{b:.4f}")
        print(f"{'':14s} Mg per metal site at the last frame, L1..L{LAYERS_SHOWN} and below: "
              + " ".join(f"{x:.3f}" for x in s["layers"]))
        print(f"{'':14s} command: {shlex.join(command(name, directory, s['wall_limit_s']))}")


def wetting(seeds=(1, 2, 3)):
    import wetting as w

    from kmc.config import load_config
    from kmc.fit import l1_equilibrium
    eq = l1_equilibrium(load_config(ROOT / "params" / "limg_li2s.toml"))
    x = round(eq.fraction, 2)
    key = f"Li-Mg/Li2S, L1 Mg {x:.2f} (equilibrium)"
    w.CASES[key] = w.Case(key, "limg_li2s.toml", l1_mg_coverage=x, swaps=True)
    print(f"model's equilibrium L1 Mg fraction (bulk 0.03, 298 K): {eq.fraction:.3f} +- {eq.fraction_sem:.3f}")
    t0 = time.perf_counter()
    w.main(only=("Li/Li2S", "Li, psi for 90 deg", key), seeds=seeds)
    print(f"[{time.perf_counter() - t0:.0f} s wall]")


if __name__ == "__main__":
    args = sys.argv[1:]
    directory = Path(args[args.index("--dir") + 1]) if "--dir" in args else DIR
    if args[:1] == ["run"]:
        run(args[1], directory, float(args[args.index("--wall") + 1]) if "--wall" in args else 2700)
    elif args[:1] == ["table"]:
        table(directory)
    elif args[:1] == ["wetting"]:
        first, _, last = (args[args.index("--seeds") + 1] if "--seeds" in args else "1-3").partition("-")
        wetting(tuple(range(int(first), int(last or first) + 1)))
    else:
        sys.exit(__doc__)
