"""CPU time of the interface as an area (kmc.resolved.area, docs/area.md section 6) to 4 mAh/cm^2, and how it
grows with the area.

    python benchmarks/area_speed.py                        # 160 x 40 um at 0.25 um, Li, the shipped inputs
    python benchmarks/area_speed.py --scaling              # 40 x 10, 160 x 40, 640 x 160 um, and the growth law
    python benchmarks/area_speed.py --scaling --max-asks 40 --max-steps 20   # the costs of an ask and of a
                                                           # step at every size (minutes, not hours, at 640 x 160)
    python benchmarks/area_speed.py --set conditions.stack_pressure_MPa=1.5   # Li at 1.5 MPa
    python benchmarks/area_speed.py --params limg_li2s     # Li-Mg (its Mg field along the interface on)
    python benchmarks/area_speed.py --charge 1 --sizes 80x20

Each run is `kmc meso params/NAME.toml --set meso.interface=area --set meso.depth_um=D --set
meso.width_um=W` (NAME: --params, li_li2s by default; the press before stripping included) in this process;
the time is the process's CPU time (one core: BLAS is held to one thread here, as a multi-threaded BLAS on a
shared machine spins on cores the run does not use). Printed per size: cells; the press's asks of its
operator ("wall": those a wall's limit ended, not a cell closing: they grow with the voids, so with the area),
its CPU seconds and milliseconds per ask; the stripping's steps, CPU seconds and milliseconds per
step (and microseconds per step and cell); the whole run's CPU; the end's charge, contact and voids. With
more than one size, the growth law of each cost with the area A between consecutive sizes and over all of
them: the exponent p of cost ~ A^p (a log-log slope). ``--max-asks`` / ``--max-steps`` stop the press / the
stripping after that many (the costs per ask and per step, not a run's; the end's numbers are then not the
run's).
"""
from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse            # noqa: E402  (after the thread limits, which must precede numpy)
import math                # noqa: E402
import time                # noqa: E402
from pathlib import Path   # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"40x10": (40.0, 10.0), "160x40": (160.0, 40.0), "640x160": (640.0, 160.0)}


class _Enough(Exception):
    """The press asked as often as --max-asks allows."""


def run_area(width_um: float, depth_um: float, charge: float, overrides: list[str], max_asks: int | None = None,
             max_steps: int | None = None, params: str = "li_li2s") -> dict:
    from kmc.config import load_config
    from kmc.launch import cell_inputs_of
    import numpy as np
    from kmc.cell.loop import Observer, run
    from kmc.resolved import assembly
    from kmc.resolved.area import AreaModel
    settings = load_config(ROOT / "params" / f"{params}.toml",
                           ["meso.interface=area", f"meso.width_um={width_um}", f"meso.depth_um={depth_um}",
                            f"meso.stop_stripped_mAh_cm2={charge}", *overrides])
    inp = cell_inputs_of(settings)
    model = AreaModel(inp)
    start = time.process_time()
    state, asks, wall_asks = None, 0, 0
    if inp.assembly is not None:
        # the press before stripping, as the model's start makes it (its own stream of the seed), timed apart
        rng = np.random.default_rng([inp.seed, assembly.ASSEMBLY_STREAM])
        if max_asks is not None:
            # the press itself, stopped after max_asks asks of its operator (each counted, the interval a wall's
            # limit ended too); then the stripping from the gap of the last ask
            operator, last = model.press_operator, {"asks": 0, "wall": 0}

            def counting_operator(assembly_, pores, rim_fill):
                ask, relax_step = operator(assembly_, pores, rim_fill)
                last["pores"] = pores

                def counted(g):
                    if last["asks"] == max_asks:
                        raise _Enough
                    last["asks"], last["gap"] = last["asks"] + 1, g
                    rate, wall_step = ask(g)

                    def counted_step(r, dt):
                        cut = wall_step(r, dt)
                        last["wall"] += cut < dt
                        return cut
                    return rate, counted_step
                return counted, relax_step
            model.press_operator = counting_operator
        try:
            pressed = assembly.press(model, inp.assembly, rng)
            state = model.initial_state(pressed.gap_um, pressed.pore_um)
            asks, wall_asks = pressed.steps, pressed.wall_asks
        except _Enough:
            state = model.initial_state(last["gap"], last["pores"])
            asks, wall_asks = last["asks"], last["wall"]
    pressed_at = time.process_time()

    class Enough(Observer):
        def on_step(self, report):
            return "max_steps" if max_steps is not None and report.steps >= max_steps else False
    result = run(model, Enough(), state=state)
    cpu = time.process_time() - start
    press_cpu = pressed_at - start
    strip = cpu - press_cpu
    s = result.series
    return dict(size=f"{width_um:g} x {depth_um:g} um", cells=model.cells, steps=result.steps, cpu_s=cpu,
                press_s=press_cpu, asks=asks, wall_asks=wall_asks, strip_s=strip,
                ms_per_ask=1e3 * press_cpu / max(asks, 1),
                ms_per_step=1e3 * strip / max(result.steps, 1),
                us_per_step_cell=1e6 * strip / max(result.steps, 1) / model.cells,
                charge=s["stripped_charge"][-1], contact=s["contact_fraction"][-1], voids=s["void_count"][-1],
                stop=result.stop_reason)


def growth_exponents(rows: list[dict],
                     keys=("asks", "wall_asks", "press_s", "ms_per_ask", "steps", "ms_per_step",
                           "cpu_s")) -> list[str]:
    """The log-log slope of each cost against the cells, between consecutive rows and over all of them."""
    lines = []
    pairs = list(zip(rows, rows[1:])) + ([(rows[0], rows[-1])] if len(rows) > 2 else [])
    for a, b in pairs:
        ratio = math.log(b["cells"] / a["cells"])
        slopes = []
        for k in keys:
            if a[k] > 0 and b[k] > 0:
                slopes.append(f"{k} ~ A^{math.log(b[k] / a[k]) / ratio:.2f}")
            else:
                slopes.append(f"{k}: -")
        lines.append(f"  {a['size']} -> {b['size']}: " + ", ".join(slopes))
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scaling", action="store_true", help="40 x 10, 160 x 40 and 640 x 160 um")
    ap.add_argument("--sizes", default=None, help="comma-separated WxD in um (e.g. 80x20,160x40)")
    ap.add_argument("--charge", type=float, default=4.0, help="mAh/cm^2 to strip (default 4)")
    ap.add_argument("--max-asks", type=int, default=None, help="stop the press after this many asks")
    ap.add_argument("--max-steps", type=int, default=None, help="stop the stripping after this many steps")
    ap.add_argument("--set", dest="overrides", action="append", default=[], help="section.key=value")
    ap.add_argument("--params", default="li_li2s", help="a shipped parameter set of params/ (default li_li2s)")
    args = ap.parse_args(argv)
    shipped = sorted(p.stem for p in (ROOT / "params").glob("*.toml"))
    if args.params not in shipped:
        ap.error(f"--params {args.params!r}: no such set in params/; allowed: {', '.join(shipped)}")
    if args.sizes:
        sizes = [tuple(float(v) for v in s.lower().split("x")) for s in args.sizes.split(",")]
    else:
        sizes = list(SIZES.values()) if args.scaling else [SIZES["160x40"]]
    run_area(10.0, 2.5, 0.01, args.overrides, params=args.params)   # compile the kernels and load the tables first
    print(f"{args.params}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores shared; CPU time below)")
    print(f"{'area':>16} {'cells':>8} {'asks':>6} {'wall':>6} {'press s':>8} {'ms/ask':>7} {'steps':>6} "
          f"{'strip s':>8} {'ms/step':>8} {'us/step/cell':>12} {'CPU s':>8} {'mAh/cm2':>8} {'contact':>8} "
          f"{'voids':>6}  stop",
          flush=True)
    rows = []
    for width, depth in sizes:
        r = run_area(width, depth, args.charge, args.overrides, args.max_asks, args.max_steps, args.params)
        rows.append(r)
        print(f"{r['size']:>16} {r['cells']:>8} {r['asks']:>6} {r['wall_asks']:>6} {r['press_s']:>8.1f} "
              f"{r['ms_per_ask']:>7.1f} {r['steps']:>6} {r['strip_s']:>8.1f} {r['ms_per_step']:>8.1f} "
              f"{r['us_per_step_cell']:>12.2f} {r['cpu_s']:>8.1f} {r['charge']:>8.3g} {r['contact']:>8.3f} "
              f"{r['voids']:>6.0f}  {r['stop']}",
              flush=True)
    if len(rows) > 1:
        print("growth with the area A (cells):")
        print("\n".join(growth_exponents(rows)))
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
