"""The critical stripping current, and the steady contact against stack pressure.

Critical current.  For each chemistry (params li_li2s, limg_li2s) and stack pressure, the current
density i_c below which electrical contact stays >= 0.9 over a stated charge, found by bisection
in log(current) between stated bounds (default 0.01-10 mA/cm2, until i_fail / i_pass <= 1.5),
one bisection per seed (default seeds 1, 2, 3).  The result is a bracket [i_pass, i_fail]:
i_pass the highest current tried that held contact, i_fail the lowest that lost it.

The criterion ("held contact" at current i), one run per current:
  - the run strips --monolayers (001) monolayers of L1 sites (default 3) at current i;
  - it fails as soon as the metal-occupied fraction of L1 drops below 0.9 (run.stop_contact_fraction
    = 0.9: the engine checks it after every event, and the run stops there, so failures are cheap);
    electrical contact (the contact_fraction observable) can never exceed the occupied fraction,
    so such a stop is always a loss of electrical contact below 0.9 too;
  - it fails if it stops with no_strippable_host (no L1 Li joined to the electrode);
  - otherwise it holds contact if the minimum of the electrical contact_fraction over every series
    sample of the run (every SAMPLE_ML = 0.05 monolayer, from 0 on) is >= 0.9.
  The first half monolayer is not excluded: every run starts from a full L1 (contact 1.0), so there
  is no start-up transient to skip, and a cycler sees every dip (the current focuses at once).
  Samples are every 0.05 ML (7 strips on a 12 x 12 interface), so a dip shorter than that between
  two samples of the electrical fraction can be missed; a dip of the occupied fraction cannot.

Bisection.  Contact is assumed to fall as the current rises (a stripped atom's vacancy has less
time to leave or be refilled by creep).  The bracket starts as [LO, HI] without running either end;
each step runs the geometric midpoint and keeps the half that still brackets the change, until
HI/LO <= RATIO.  Then an end that was never run is run: if LO fails too the result is "i_c < LO",
if HI holds too "i_c > HI".  With one seed per point a single noisy run can misplace the bracket:
the bracket is the change seen for that seed, not a confidence interval.

Numerics (choices, not physics): a 12 x 12 x 12-cell box (4.2 x 4.2 nm interface, 24 layers) and
acceleration 1e6 (the shipped value).  Lower current means more hops per stripped atom (the strip
rate falls, the hop rate does not), so the interface is kept small.  The box width matters: the
creep closure rate of a void grows with its width (kappa eps_dot w), and the box caps w.

Steady contact (--steady): 0.5 mA/cm2, the same box, --steady-monolayers (default 8), mean of the
electrical contact_fraction over the samples in the second half of the charge (up to the stop if
the run lost contact first), and over 2-monolayer windows to show whether it is steady; seeds 1, 2.

    python benchmarks/validation/critical_current.py                  # table + docs/critical_current.png
    python benchmarks/validation/critical_current.py --steady         # steady contact table
    python benchmarks/validation/critical_current.py --chemistries Li --pressures 0.2,5 --seeds 1 \
        --figure '' --acceleration 1e5      # a numerics check (also --cells 12,12,24, --cells 20,20,12);
                                            # the main figure draws the checks whose results exist

The search is adaptive (each current depends on the previous verdict), so it is a script rather
than a `kmc sweep` grid spec; the steady-contact runs are a plain grid but share the run files
and the reading code here.

Run files go to runs/out/critical_current/ (one per chemistry, pressure, current, seed; a file that
is already there is read, not rerun), the results to runs/out/critical_current/*.json.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

CHEMISTRIES = {"Li": "li_li2s", "Li-Mg": "limg_li2s"}
PRESSURES_MPa = (0.2, 0.5, 1.0, 2.0, 5.0)
THRESHOLD = 0.9
MONOLAYER_mAh_cm2 = 3.61e-5       # one (001) monolayer of L1 sites (docs/physics.md section 3)
SAMPLE_ML = 0.05                  # series sampling, in monolayers


# ----------------------------------------------------------------------------- bisection
@dataclass
class Bracket:
    """Result of a log bisection.  status: "bracketed" (i_pass < i_c <= i_fail), "below" (even lo
    fails: i_c < lo, i_pass None), "above" (even hi holds: i_c > hi, i_fail None)."""
    status: str
    i_pass: float | None
    i_fail: float | None
    trials: list = field(default_factory=list)   # (current, held) in the order run

    @property
    def estimate(self) -> float | None:
        """Geometric midpoint of a closed bracket (None for an open one)."""
        if self.i_pass is None or self.i_fail is None:
            return None
        return math.sqrt(self.i_pass * self.i_fail)


def bisect_log(holds, lo: float, hi: float, ratio: float = 2.0) -> Bracket:
    """Find the current at which ``holds(current) -> bool`` changes from True (low current) to
    False (high current), by bisection in log current between lo and hi until hi/lo <= ratio.

    The ends are not run unless the bracket ends on them (then one run says whether the change
    lies outside [lo, hi]).  ``holds`` is called once per distinct current."""
    if not (0 < lo < hi) or ratio <= 1:
        raise ValueError("need 0 < lo < hi and ratio > 1")
    trials = []
    seen = {}

    def test(i):
        if i not in seen:
            seen[i] = bool(holds(i))
            trials.append((i, seen[i]))
        return seen[i]

    a, b = lo, hi
    while b / a > ratio * (1 + 1e-12):
        mid = math.sqrt(a * b)
        if test(mid):
            a = mid
        else:
            b = mid
    if a == lo and not test(lo):
        return Bracket("below", None, lo, trials)
    if b == hi and test(hi):
        return Bracket("above", hi, None, trials)
    return Bracket("bracketed", a, b, trials)


# ----------------------------------------------------------------------------- one run
@dataclass
class Trial:
    chemistry: str
    pressure_MPa: float
    current_mA_cm2: float
    seed: int
    monolayers: float
    stop_reason: str
    stripped_monolayers: float
    min_contact: float          # electrical, over all samples
    final_contact: float
    mean_contact_second_half: float
    held: bool
    events: int
    wall_s: float
    path: str


def judge(stop_reason: str, min_contact: float, threshold: float = THRESHOLD) -> bool:
    """Did a run hold contact?  It must have reached its charge (a stop on contact or on
    no_strippable_host is a failure) and its electrical contact never dropped below threshold."""
    return stop_reason in ("stripped_monolayers", "stripped_charge") and min_contact >= threshold


def read_trial(path: Path, chemistry, pressure, current, seed, monolayers, threshold=THRESHOLD) -> Trial:
    import h5py
    with h5py.File(path, "r") as f:
        c = np.asarray(f["observables/contact_fraction/value"][()], float)
        ml = np.asarray(f["observables/stripped_monolayers/value"][()], float)
        run = f["run"].attrs
        reason = run["stop_reason"]
        reason = reason.decode() if isinstance(reason, bytes) else str(reason)
        events, wall = int(run["events"]), float(run["wall_time_s"])
    half = ml >= 0.5 * ml[-1]
    return Trial(chemistry, pressure, current, seed, monolayers, reason, float(ml[-1]), float(c.min()),
                 float(c[-1]), float(c[half].mean()), judge(reason, float(c.min()), threshold),
                 events, wall, str(path))


def run_point(chemistry: str, pressure: float, current: float, seed: int, monolayers: float,
              cells, accel: float, folder: Path, stop_on_contact: bool = True) -> Trial:
    """One run (or its existing file): strip ``monolayers`` at ``current``; see the module doc."""
    from kmc.config import load_config
    from kmc.runfile import KmcWriter
    from kmc.simulation import Simulation

    params = CHEMISTRIES[chemistry]
    tag = "c" if stop_on_contact else "s"
    name = (f"{params}_P{pressure:g}_i{current:.6g}_ml{monolayers:g}_{cells[0]}x{cells[1]}x{cells[2]}"
            f"_A{accel:.0e}_s{seed}_{tag}.h5")
    path = folder / name
    if not path.exists():
        over = [f"lattice.cells=[{cells[0]},{cells[1]},{cells[2]}]", f"run.acceleration={accel}",
                f"run.seed={seed}", f"conditions.stack_pressure_MPa={pressure}",
                f"conditions.current_density_mA_cm2={current}",
                "run.stop_stripped_mAh_cm2=0", f"run.stop_stripped_monolayers={monolayers}",
                f"run.stop_contact_fraction={THRESHOLD if stop_on_contact else 0}",
                f"output.series_every_mAh_cm2={SAMPLE_ML * MONOLAYER_mAh_cm2}",
                f"output.frame_every_mAh_cm2={MONOLAYER_mAh_cm2}",
                # the perfect interface's critical current: every L1 site contact at the start (with the
                # shipped sets' pore, kmc.pore, the contact starts at the box's dense share, below 0.9)
                "electrolyte.box_pore='none'"]
        sim = Simulation(load_config(ROOT / "params" / f"{params}.toml", over))
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.h5")
        if tmp.exists():
            tmp.unlink()
        sim.run(KmcWriter(tmp, sim), progress=False)
        tmp.rename(path)
    return read_trial(path, chemistry, pressure, current, seed, monolayers)


# ----------------------------------------------------------------------------- studies
def critical_currents(a) -> list[dict]:
    out = []
    for chem, p, seed in ((c, p, s) for c in a.chemistries for p in a.pressures for s in a.seeds):
            trials = []

            def holds(i, chem=chem, p=p, seed=seed):
                t = run_point(chem, p, i, seed, a.monolayers, a.cells, a.acceleration, a.folder)
                trials.append(t)
                print(f"  {chem:5s} P={p:g} MPa i={i:.4g} mA/cm2: {'holds' if t.held else 'fails'} "
                      f"(min contact {t.min_contact:.3f}, {t.stop_reason} at {t.stripped_monolayers:.2f} ML, "
                      f"{t.events} events, {t.wall_s:.1f} s)", flush=True)
                return t.held

            br = bisect_log(holds, a.lo, a.hi, a.ratio)
            row = {"chemistry": chem, "pressure_MPa": p, "seed": seed, "status": br.status, "i_pass": br.i_pass,
                   "i_fail": br.i_fail, "estimate": br.estimate, "runs": len(trials),
                   "wall_s": sum(t.wall_s for t in trials), "trials": [asdict(t) for t in trials]}
            out.append(row)
            print(f"{chem} {p:g} MPa seed {seed}: {_bracket_text(row)}  ({row['runs']} runs, {row['wall_s']:.0f} s)", flush=True)
    return out


def _bracket_text(row) -> str:
    if row["status"] == "below":
        return f"i_c < {row['i_fail']:.3g}"
    if row["status"] == "above":
        return f"i_c > {row['i_pass']:.3g}"
    return f"{row['i_pass']:.3g} < i_c <= {row['i_fail']:.3g}"


WINDOWS_ML = (0, 2, 4, 6, 8)


def window_means(path, edges=WINDOWS_ML) -> list:
    """Mean electrical contact over the samples in each charge window [edges[k], edges[k+1]) ML
    (None where the run had stopped)."""
    import h5py
    with h5py.File(path, "r") as f:
        c = np.asarray(f["observables/contact_fraction/value"][()], float)
        ml = np.asarray(f["observables/stripped_monolayers/value"][()], float)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (ml >= lo) & (ml < hi) if hi < edges[-1] else (ml >= lo) & (ml <= hi)
        out.append(float(c[sel].mean()) if sel.any() and ml[-1] >= hi - 1e-6 else None)
    return out


def steady_contact(a) -> list[dict]:
    rows = []
    for chem in a.chemistries:
        for p in a.pressures:
            ts = [run_point(chem, p, a.current, s, a.steady_monolayers, a.cells, a.acceleration, a.folder,
                            stop_on_contact=False) for s in a.seeds]
            row = {"chemistry": chem, "pressure_MPa": p,
                   "mean_contact": [t.mean_contact_second_half for t in ts],
                   "windows_ML": WINDOWS_ML, "window_contact": [window_means(t.path, WINDOWS_ML) for t in ts],
                   "stop": [t.stop_reason for t in ts], "monolayers": [t.stripped_monolayers for t in ts],
                   "wall_s": sum(t.wall_s for t in ts)}
            rows.append(row)
            print(f"{chem} {p:g} MPa: contact (2nd half) {', '.join(f'{c:.3f}' for c in row['mean_contact'])}; "
                  f"stop {', '.join(f'{s} at {m:.2f} ML' for s, m in zip(row['stop'], row['monolayers']))}; "
                  f"{row['wall_s']:.0f} s", flush=True)
    return rows


def creep_critical_current(pressure_MPa, void_sites, contact=THRESHOLD, cells=12, a_A=3.51, kappa=0.3183):
    """Mean-field current (mA/cm2) at which creep alone refills L1 as fast as stripping empties
    it at the given contact: (1 - c) kappa eps_dot(P / c) w / d = 7.69 ML/s per mA/cm2 x i, with
    w = 2 sqrt(N a^2 / pi) for voids of N sites and Li creep eps_dot = 7.7e-3 (sigma/MPa)^6.6 s^-1
    at 298 K (params/li_li2s.toml [creep]).  The acceleration multiplies both sides and cancels."""
    eps = 7.7e-3 * (np.asarray(pressure_MPa, float) / contact) ** 6.6
    w_over_d = 2 * math.sqrt(void_sites / math.pi) * a_A / (a_A / 2)
    return (1 - contact) * kappa * w_over_d * eps / 7.69


def combine_seeds(rows) -> list[dict]:
    """One row per chemistry and pressure: the bracket that holds every seed's bracket (lowest
    i_pass, highest i_fail) and the geometric mean of the seeds' midpoints; open if any seed's is."""
    out = []
    for key in dict.fromkeys((r["chemistry"], r["pressure_MPa"]) for r in rows):
        sel = [r for r in rows if (r["chemistry"], r["pressure_MPa"]) == key]
        row = {"chemistry": key[0], "pressure_MPa": key[1], "seeds": [r.get("seed") for r in sel],
               "runs": sum(r["runs"] for r in sel), "wall_s": sum(r["wall_s"] for r in sel)}
        if all(r["status"] == "bracketed" for r in sel):
            row.update(status="bracketed", i_pass=min(r["i_pass"] for r in sel), i_fail=max(r["i_fail"] for r in sel),
                       estimate=float(np.exp(np.mean([np.log(r["estimate"]) for r in sel]))))
        elif any(r["status"] == "below" for r in sel):
            row.update(status="below", i_pass=None, i_fail=max(r["i_fail"] for r in sel if r["status"] == "below"),
                       estimate=None)
        else:
            row.update(status="above", i_pass=min(r["i_pass"] for r in sel if r["status"] == "above"), i_fail=None,
                       estimate=None)
        out.append(row)
    return out


def figure(rows, path: Path, lo: float, hi: float, extra: dict | None = None):
    """The critical current against pressure; ``extra``: label -> rows of a numerics check
    (drawn as open grey markers, seeds combined)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401
    fig, ax = plt.subplots(figsize=(5.2, 4.0))
    for k, (chem, colour, marker) in enumerate((("Li", "tab:blue", "o"), ("Li-Mg", "tab:orange", "s"))):
        sel = [r for r in rows if r["chemistry"] == chem]
        if not sel:
            continue
        shift = 1.0 + 0.04 * (k - 0.5)      # side by side where both chemistries share a pressure
        for r in combine_seeds(sel):
            x = r["pressure_MPa"] * shift
            if r["status"] == "bracketed":
                y = r["estimate"]
                ax.errorbar([x], [y], yerr=[[y - r["i_pass"]], [r["i_fail"] - y]], fmt=marker, color=colour,
                            capsize=3)
            elif r["status"] == "below":
                ax.plot([x], [r["i_fail"]], "v", color=colour, mfc="none")
            else:
                ax.plot([x], [r["i_pass"]], "^", color=colour, mfc="none")
        ax.plot([], [], marker, color=colour, label=chem.replace("Li-Mg", "Li$_{0.97}$Mg$_{0.03}$"))
    for (label, extra_rows), marker in zip((extra or {}).items(), "Dphv"):
        for r in combine_seeds(extra_rows):
            if r["status"] != "bracketed":
                continue
            y = r["estimate"]
            colour = {"Li": "tab:blue", "Li-Mg": "tab:orange"}.get(r["chemistry"], "0.45")
            ax.errorbar([r["pressure_MPa"] * 1.08], [y], yerr=[[y - r["i_pass"]], [r["i_fail"] - y]], fmt=marker,
                        color=colour, mfc="none", capsize=2, ms=5, alpha=0.8)
        ax.plot([], [], marker, color="0.45", mfc="none", label=label)
    pp = np.geomspace(min(r["pressure_MPa"] for r in rows) * 0.9, max(r["pressure_MPa"] for r in rows) * 1.1, 100)
    for n_sites, ls, text in ((1, "--", "creep alone, single-site voids"),
                              ((1 - THRESHOLD) * 144, ":", "creep alone, one void (12$\\times$12 box)")):
        ax.plot(pp, creep_critical_current(pp, n_sites), ls, color="0.35", lw=1, label=text)
    ax.axhline(0.5, color="tab:red", ls="-", lw=0.6, alpha=0.6)
    ax.text(0.21, 0.56, "seed 004: 0.5 mA/cm$^2$", fontsize=7, color="tab:red")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(lo / 3, hi * 3)
    ax.set_xticks(sorted({r["pressure_MPa"] for r in rows}))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("stack pressure (MPa)")
    ax.set_ylabel("critical stripping current (mA/cm$^2$)")
    ax.set_title("contact $\\geq$ 0.9 over 3 ML (12$\\times$12$\\times$12 cells, A = 1e6, seeds 1-3)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    if any(r["status"] != "bracketed" for r in rows):
        ax.text(0.99, 0.01, "open triangles: outside the searched range", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=7, color="0.4")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steady", action="store_true", help="steady contact against pressure at --current")
    ap.add_argument("--chemistries", default="Li,Li-Mg")
    ap.add_argument("--pressures", default=",".join(f"{p:g}" for p in PRESSURES_MPa))
    ap.add_argument("--lo", type=float, default=0.01, help="lower bound, mA/cm2")
    ap.add_argument("--hi", type=float, default=10.0, help="upper bound, mA/cm2")
    ap.add_argument("--ratio", type=float, default=1.5, help="stop when i_fail / i_pass <= this")
    ap.add_argument("--monolayers", type=float, default=3.0, help="charge over which contact must hold")
    ap.add_argument("--cells", default="12,12,12")
    ap.add_argument("--acceleration", type=float, default=1e6)
    ap.add_argument("--seeds", default=None, help="seeds (default: 1,2,3; --steady: 1,2)")
    ap.add_argument("--current", type=float, default=0.5, help="--steady: mA/cm2")
    ap.add_argument("--steady-monolayers", type=float, default=8.0)
    ap.add_argument("--folder", default=str(ROOT / "runs" / "out" / "critical_current"))
    ap.add_argument("--figure", default=str(ROOT / "docs" / "critical_current.png"), help="'' for none")
    a = ap.parse_args(argv)
    a.chemistries = [c.strip() for c in a.chemistries.split(",")]
    a.pressures = [float(p) for p in a.pressures.split(",")]
    a.cells = [int(c) for c in a.cells.split(",")]
    a.seeds = [int(s) for s in (a.seeds or ("1,2" if a.steady else "1,2,3")).split(",")]
    tag = f"{a.cells[0]}x{a.cells[1]}x{a.cells[2]}_A{a.acceleration:.0e}"
    a.folder = Path(a.folder)
    t0 = time.perf_counter()
    if a.steady:
        rows = steady_contact(a)
        (a.folder / f"steady_contact_{tag}.json").write_text(json.dumps(rows, indent=1))
        head = " | ".join(f"{lo}-{hi} ML" for lo, hi in zip(WINDOWS_ML[:-1], WINDOWS_ML[1:]))
        print(f"| chemistry | P (MPa) | mean contact, 2nd half (seeds {', '.join(map(str, a.seeds))}) | {head} | stop | wall |")
        print("|---|---|---|" + "---|" * (len(WINDOWS_ML) - 1) + "---|---|")
        for r in rows:
            win = " | ".join(" / ".join("—" if w[k] is None else f"{w[k]:.2f}" for w in r["window_contact"])
                             for k in range(len(WINDOWS_ML) - 1))
            print(f"| {r['chemistry']} | {r['pressure_MPa']:g} | {', '.join(f'{c:.3f}' for c in r['mean_contact'])} | {win} | "
                  f"{', '.join(f'{s} at {m:.1f} ML' for s, m in zip(r['stop'], r['monolayers']))} | {r['wall_s']:.0f} s |")
    else:
        rows = critical_currents(a)
        (a.folder / f"critical_current_{tag}.json").write_text(json.dumps(rows, indent=1))
        if a.figure:
            # the numerics checks (docs/validation.md), drawn if their results are there
            extra = {}
            for label, name in (("A = 1e5 (seed 1)", "critical_current_12x12x12_A1e+05.json"),
                                ("Li, 12x12x24 cells (seed 1)", "critical_current_12x12x24_A1e+06.json"),
                                ("Li, 20x20x12 cells (seed 1)", "critical_current_20x20x12_A1e+06.json")):
                if (a.folder / name).exists() and tag != name[len("critical_current_"):-len(".json")]:
                    extra[label] = json.loads((a.folder / name).read_text())
            figure(rows, Path(a.figure), a.lo, a.hi, extra)
        print("| chemistry | P (MPa) | seed | i_c (mA/cm²) | holds at | fails at | runs | wall |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['chemistry']} | {r['pressure_MPa']:g} | {r['seed']} | {_bracket_text(r)} | "
                  f"{'—' if r['i_pass'] is None else format(r['i_pass'], '.3g')} | "
                  f"{'—' if r['i_fail'] is None else format(r['i_fail'], '.3g')} | {r['runs']} | {r['wall_s']:.0f} s |")
        print("\nall seeds together (lowest i_pass, highest i_fail; estimate: geometric mean of midpoints):")
        for r in combine_seeds(rows):
            est = "" if r["estimate"] is None else f", estimate {r['estimate']:.3g}"
            print(f"| {r['chemistry']} | {r['pressure_MPa']:g} | {_bracket_text(r)}{est} | {r['runs']} runs | {r['wall_s']:.0f} s |")
    print(f"total wall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
