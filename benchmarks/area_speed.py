"""CPU time of the interface as an area (kmc.resolved.area, docs/area.md) to 4 mAh/cm^2, and how it grows
with the area (issue 54 item 6).

    python benchmarks/area_speed.py                        # 160 x 40 um at 0.25 um, Li, the shipped inputs
    python benchmarks/area_speed.py --scaling              # 40 x 10, 80 x 20, 160 x 40 um
    python benchmarks/area_speed.py --set boundary.vacancy_formation_entropy_kB=0   # S_f = 0: voids nucleate,
                                                                                     # grow, split, collapse
    python benchmarks/area_speed.py --charge 1 --sizes 80x20

Each run is `kmc meso params/li_li2s.toml --set meso.depth_um=D --set meso.width_um=W` (the press before
stripping included) in this process; the time is the process's CPU time (one core: BLAS is held to one
thread here, as a multi-threaded BLAS on a shared machine spins on cores the run does not use).  Printed
per size: cells, steps, CPU seconds (all, and the press's alone), the press's asks of its operator, the
stripping's milliseconds per step and microseconds per step and cell, and the end's contact and voids.
"""
from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse            # noqa: E402  (after the thread limits, which must precede numpy)
import time                # noqa: E402
from pathlib import Path   # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"40x10": (40.0, 10.0), "80x20": (80.0, 20.0), "160x40": (160.0, 40.0)}


def run_area(width_um: float, depth_um: float, charge: float, overrides: list[str]) -> dict:
    from kmc.config import load_config
    from kmc.launch import cell_inputs_of
    import numpy as np
    from kmc.cell.loop import run
    from kmc.resolved.area import AreaModel
    from kmc.resolved.assembly import ASSEMBLY_STREAM, press
    settings = load_config(ROOT / "params" / "li_li2s.toml",
                           ["meso.interface=area", f"meso.width_um={width_um}", f"meso.depth_um={depth_um}",
                            f"meso.stop_stripped_mAh_cm2={charge}", *overrides])
    inp = cell_inputs_of(settings)
    model = AreaModel(inp)
    start = time.process_time()
    state, asks = None, 0
    if inp.assembly is not None:
        # the press before stripping, as the model's start makes it (its own stream of the seed), timed apart
        pressed_face = press(model, inp.assembly, np.random.default_rng([inp.seed, ASSEMBLY_STREAM]))
        state = model.initial_state(pressed_face.gap_um, pressed_face.pore_um)
        asks = pressed_face.steps
    pressed = time.process_time()
    result = run(model, state=state)
    cpu = time.process_time() - start
    press_cpu = pressed - start
    cells = model.cells
    s = result.series
    strip = cpu - press_cpu
    return dict(size=f"{width_um:g} x {depth_um:g} um", cells=cells, steps=result.steps, cpu_s=cpu, press_s=press_cpu,
                asks=asks,
                ms_per_step=1e3 * strip / max(result.steps, 1),
                us_per_step_cell=1e6 * strip / max(result.steps, 1) / cells,
                charge=s["stripped_charge"][-1], contact=s["contact_fraction"][-1], voids=s["void_count"][-1],
                stop=result.stop_reason)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scaling", action="store_true", help="40 x 10, 80 x 20 and 160 x 40 um")
    ap.add_argument("--sizes", default=None, help="comma-separated WxD in um (e.g. 80x20,160x40)")
    ap.add_argument("--charge", type=float, default=4.0, help="mAh/cm^2 to strip (default 4)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="section.key=value")
    args = ap.parse_args(argv)
    if args.sizes:
        sizes = [tuple(float(v) for v in s.lower().split("x")) for s in args.sizes.split(",")]
    else:
        sizes = list(SIZES.values()) if args.scaling else [SIZES["160x40"]]
    run_area(10.0, 2.5, 0.01, args.overrides)          # compile the kernels and load the tables first
    print(f"{'area':>16} {'cells':>8} {'steps':>7} {'CPU s':>8} {'press s':>8} {'asks':>6} {'ms/step':>8} "
          f"{'us/step/cell':>12} "
          f"{'mAh/cm2':>8} {'contact':>8} {'voids':>6}  stop", flush=True)
    for width, depth in sizes:
        r = run_area(width, depth, args.charge, args.overrides)
        print(f"{r['size']:>16} {r['cells']:>8} {r['steps']:>7} {r['cpu_s']:>8.1f} {r['press_s']:>8.1f} "
              f"{r['asks']:>6} {r['ms_per_step']:>8.1f} "
              f"{r['us_per_step_cell']:>12.2f} {r['charge']:>8.3g} {r['contact']:>8.3f} {r['voids']:>6.0f}  "
              f"{r['stop']}",
              flush=True)


if __name__ == "__main__":
    main()
