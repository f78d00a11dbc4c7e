"""The simulator's version of seed 004's Fig. 1: Li against Li-Mg, void statistics as an SEM section
counts them, and a verdict on each finding of docs/physics.md section 1.

    kmc sweep runs/seed004.toml --workers 2                 # the runs (hours: see the spec)
    python benchmarks/validation/seed004.py [--figures]     # analyse, compare, print the table

Every run is analysed (``kmc analyze``, voids at least ``--min-void-nm`` wide) if it has not been
already.  Per chemistry and pressure, over replicas (mean +- standard error): interface voids per
um of section, median void width and height, contact fraction, overpotential and L1 solute
fraction at the frame nearest 1 monolayer ("early", the seed's "right after stripping starts")
and at the last frame; coalescence, split and collapse events per um^2 of interface.

Runs that stop early (``no_strippable_host``: nothing left to strip) end at different charges, so
contact and overpotential are compared at the largest charge every compared run reached (the
last frame at or before it), not at each run's own end; each group's stops are printed.

Verdicts: "supported" or "contradicted" when the difference in the direction the seed reports
is significant either way by Welch's t-test at 95 % (two-sided; with two to four replicas per
group that is 2.4-13 standard errors, not 2); "cannot tell" otherwise, or when the comparison needs a
length scale the box cannot hold (the seed's voids are um wide, the box is tens of nm); each
verdict says why.  Sizes in nm are compared with the seed's um only by sign.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, mean_sem, student_t_quantile, welch_dof  # noqa: E402

from kmc.analysis import FORMAT_VERSION as ANALYSIS_FORMAT_VERSION  # noqa: E402
from kmc.analysis import analyze_file, load_analysis  # noqa: E402
from kmc.config import load_config  # noqa: E402
from kmc.sweep import expand_sweep, is_complete, output_path  # noqa: E402

SPEC = ROOT / "runs" / "seed004.toml"
EARLY_MONOLAYERS = 1.0
MIN_VOID_NM = 1.0   # the default smallest void counted (--min-void-nm)
LI, LIMG = "li_li2s", "limg_li2s"
# The alloy's solute fraction (composition.solute_fraction of params/limg_li2s.toml, seed 004's
# Li0.97Mg0.03): L1 above it is enrichment.
BULK_SOLUTE_FRACTION = load_config(ROOT / "params" / f"{LIMG}.toml").composition.solute_fraction
# "Keeps contact": at least this contact fraction at the end of a run (the criterion of the
# stripping comparison below in docs/validation.md).
KEEPS_CONTACT = 0.9


def _chemistry(run) -> str:
    return Path(run.varied["params"]).stem


def analysed_tables(path, min_void_nm: float) -> dict:
    """The run's analysis tables (kmc.analysis.load_analysis), analysing the file first where it
    has no analysis of this format and minimum void size."""
    import h5py
    with h5py.File(path, "r") as f:
        version = f["analysis"].attrs.get("format_version") if "analysis" in f else None
        analysed_at = f["analysis"].attrs.get("min_void_nm") if "analysis" in f else None
    if version != ANALYSIS_FORMAT_VERSION or analysed_at is None or float(analysed_at) != min_void_nm:
        analyze_file(path, min_void_nm=min_void_nm)
    return load_analysis(path)


def early_frame(frames) -> int:
    """The frame nearest EARLY_MONOLAYERS: "right after stripping starts"."""
    return int(np.nanargmin(np.abs(frames["stripped_monolayers"].to_numpy() - EARLY_MONOLAYERS)))


def run_record(path, min_void_nm: float) -> dict:
    """The per-run numbers the comparison uses (analysing the file first if needed)."""
    import h5py
    with h5py.File(path, "r") as f:
        area_um2 = float(f["particles/metal/box/edges"][0] * f["particles/metal/box/edges"][1]) * 1e-8
        run_attrs = dict(f["run"].attrs)
    tables = analysed_tables(path, min_void_nm)
    frames, voids = tables["frames"], tables["voids"]
    ml = frames["stripped_monolayers"].to_numpy()
    marks = {"early": early_frame(frames), "end": len(ml) - 1}
    out = {"area_um2": area_um2, "monolayers_end": float(ml[-1]), "stop_reason": str(run_attrs["stop_reason"]),
           "wall_time_s": float(run_attrs["wall_time_s"]), "events": int(run_attrs["events"])}
    for mark, i in marks.items():
        at = voids[(voids["frame"] == i) & (voids["interface"] == 1)]
        out[f"monolayers_{mark}"] = float(ml[i])
        out[f"voids_per_um_section_{mark}"] = float(frames["interface_voids_per_um_section"].iloc[i])
        out[f"interface_voids_{mark}"] = int(frames["interface_void_count"].iloc[i])
        out[f"width_median_nm_{mark}"] = float(at["width_nm"].median()) if len(at) else math.nan
        out[f"height_median_nm_{mark}"] = float(at["height_nm"].median()) if len(at) else math.nan
        out[f"widths_nm_{mark}"] = at["width_nm"].to_list()
        out[f"heights_nm_{mark}"] = at["height_nm"].to_list()
        for column in ("contact_fraction", "overpotential_mV", "interface_solute_fraction"):
            out[f"{column}_{mark}"] = float(frames[column].iloc[i])
    for kind in ("coalescence", "split", "collapse"):
        out[f"{kind}_per_um2"] = float(frames[f"n_{kind}"].iloc[-1]) / area_um2
    out["curve_monolayers"] = ml.tolist()
    out["curve_contact"] = frames["contact_fraction"].to_list()
    out["curve_overpotential_mV"] = frames["overpotential_mV"].to_list()
    out["curve_voids_per_um_section"] = frames["interface_voids_per_um_section"].to_list()
    return out


def finished_runs(spec, overrides=(), out_dir=None):
    """(chemistry, pressure), the run and its file, for each finished run of the sweep."""
    plan = expand_sweep(spec, overrides, out_dir)
    for run in plan.runs:
        path = output_path(plan.output_dir, run.name)
        if is_complete(path):
            yield (_chemistry(run), float(run.config["conditions"]["stack_pressure_MPa"])), run, path


def collect(spec, overrides=(), out_dir=None, min_void_nm: float = MIN_VOID_NM) -> dict:
    """{(chemistry, pressure): [run records]} of the finished runs of the sweep."""
    groups: dict = {}
    for key, _, path in finished_runs(spec, overrides, out_dir):
        groups.setdefault(key, []).append(run_record(path, min_void_nm))
    return groups


def _mean_sem_n(values) -> tuple[float, float, int]:
    """Mean, standard error and number of the finite values."""
    values = [v for v in values if not math.isnan(v)]
    return (*mean_sem(values), len(values))


def _stat(records, name):
    return _mean_sem_n([r[name] for r in records])


def value_at_charge(record, curve: str, monolayers: float) -> float:
    """A run's curve at its last frame at or before `monolayers` stripped (NaN if none)."""
    ml = np.asarray(record["curve_monolayers"], float)
    before = np.flatnonzero(ml <= monolayers + 1e-9)
    return float(np.asarray(record[curve], float)[before[-1]]) if before.size else math.nan


def common_charge(*groups) -> float:
    """The largest stripped charge (monolayers) every run of the groups reached."""
    return min(r["monolayers_end"] for records in groups for r in records)


def _stat_at(records, curve: str, monolayers: float):
    return _mean_sem_n([value_at_charge(r, curve, monolayers) for r in records])


def _fmt(stat, digits=3):
    m, s = stat[0], stat[1]
    return "n/a" if math.isnan(m) else f"{m:.{digits}g} +- {s:.2g}"


# A difference counts when Welch's t-test puts it outside the central 95 % (two-sided): beyond
# t(0.975, dof) standard errors, with the Welch-Satterthwaite dof.  A few replicas give few
# degrees of freedom, so the bar is 4.3 se for two replicas per group, 2.8 for three and 2.4 for
# four, not 2.
CONFIDENCE = 0.975


def welch_bar(se_a: float, n_a: int, se_b: float, n_b: int) -> tuple[float, float]:
    """Welch-Satterthwaite degrees of freedom of a difference of two means, and the bar in
    standard errors beyond which it counts (two-sided, at CONFIDENCE)."""
    dof = welch_dof(se_a, n_a, se_b, n_b)
    return dof, student_t_quantile(CONFIDENCE, dof)


def _compare(li, limg, seed_says_li_larger: bool):
    """'supported' / 'contradicted' / 'cannot tell' for a seed finding 'Li > Li-Mg' (or '<');
    li and limg are (mean, standard error, replicas)."""
    (a, sa, na), (b, sb, nb) = li, limg
    if math.isnan(a) or math.isnan(b):
        return "cannot tell", "no data for one chemistry"
    diff, se = a - b, math.hypot(sa, sb)
    if math.isnan(se):
        return "cannot tell", "fewer than two replicas: no error bar"
    if se == 0:
        return "cannot tell", "no scatter in either group to test against"
    dof, bar = welch_bar(sa, na, sb, nb)
    if abs(diff) <= bar * se:
        return "cannot tell", f"difference {diff:+.3g} within {bar:.2g} se (Welch t, {dof:.1f} dof)"
    return ("supported" if (diff > 0) == seed_says_li_larger else "contradicted"), \
        f"difference {diff:+.3g}, {abs(diff) / se:.1f} se beyond {bar:.2g} (Welch t, {dof:.1f} dof)"


def _against_value(stat, value: float, seed_says_larger: bool):
    """_compare for one group's mean against a fixed value (Student t, replicas - 1 dof)."""
    m, s, n = stat
    if math.isnan(s) or s == 0:
        return "cannot tell", "fewer than two replicas, or no scatter: no error bar"
    bar = student_t_quantile(CONFIDENCE, n - 1)
    if abs(m - value) <= bar * s:
        return "cannot tell", f"within {bar:.2g} se of {value:g} (t, {n - 1} dof)"
    return ("supported" if (m > value) == seed_says_larger else "contradicted"), \
        f"{abs(m - value) / s:.1f} se from {value:g}, beyond {bar:.2g} (t, {n - 1} dof)"


def _chemistry_rows(li: list, limg: list, pressure_MPa: float) -> list[dict]:
    """Li against Li-Mg at one stack pressure."""
    rows = []

    def row(finding, seed, name, seed_li_larger, why_extra="", at_charge=None):
        if at_charge is None:
            a, b = _stat(li, name), _stat(limg, name)
        else:
            a, b = _stat_at(li, name, at_charge), _stat_at(limg, name, at_charge)
        verdict, why = _compare(a, b, seed_li_larger)
        rows.append({"finding": finding, "seed": seed, "model": f"Li {_fmt(a)} vs Li-Mg {_fmt(b)}",
                     "verdict": verdict, "why": why + why_extra})

    row("more voids in Li than Li-Mg right after stripping starts", "16-18 vs 2-3 per 100 um",
        "voids_per_um_section_early", True, f"; per um of section near {EARLY_MONOLAYERS:g} ML")
    width_li, width_limg = _stat(li, "width_median_nm_early"), _stat(limg, "width_median_nm_early")
    verdict, why = _compare(width_li, width_limg, False)
    rows.append({"finding": "Li-Mg voids wider than Li voids", "seed": "2.2 +- 1.3 vs 3.8 +- 1.0 um",
                 "model": f"median width Li {_fmt(width_li)} vs Li-Mg {_fmt(width_limg)} nm",
                 "verdict": verdict, "why": why + "; nm voids in a tens-of-nm box: the sign only"})
    row("Li voids coalesce more (per area)", "Li coalesces by 0.25 mAh/cm2", "coalescence_per_um2", True)
    for kind in ("split", "collapse"):
        row(f"Li-Mg voids {kind} more (per area)", f"Li-Mg voids {kind} (max width/height drops)",
            f"{kind}_per_um2", False)
    both = common_charge(li, limg)
    row("Li loses more contact", "Li fails near 1 mAh/cm2 (~90 % loss); Li-Mg stable to 3-3.5",
        "curve_contact", False, f"; contact at {both:.1f} ML, the charge every run reached (Li below Li-Mg "
        "supports)", at_charge=both)
    row("Li's overpotential rises more", "overpotential shoots up for Li", "curve_overpotential_mV", True,
        f"; at {both:.1f} ML", at_charge=both)
    sol = _stat(limg, "interface_solute_fraction_end")
    verdict, why = _against_value(sol, BULK_SOLUTE_FRACTION, True)
    rows.append({"finding": "Mg enriched at the interface after stripping", "seed": "Mg enriched (EDS, 4 mAh/cm2)",
                 "model": f"L1 Mg / metal {_fmt(sol)} (bulk {BULK_SOLUTE_FRACTION:g})",
                 "verdict": verdict, "why": "against the bulk fraction: " + why})
    for r in rows:
        r["pressure_MPa"] = pressure_MPa
    return rows


def verdicts(groups: dict) -> list[dict]:
    """One row per finding of docs/physics.md section 1 that the runs can speak to: Li against Li-Mg at
    every stack pressure with finished runs of both (``pressure_MPa``), then what pressure does to
    each chemistry (lowest against highest pressure; ``pressure_MPa`` None)."""
    rows = []
    pressures = sorted({p for _, p in groups})
    p0 = pressures[0]
    compared = [p for p in pressures if groups.get((LI, p)) and groups.get((LIMG, p))]
    if not compared:
        return [{"finding": "Li vs Li-Mg", "verdict": "cannot tell", "model": "", "pressure_MPa": None,
                 "why": "needs finished runs of both chemistries at one stack pressure"}]
    for p in compared:
        rows += _chemistry_rows(groups[(LI, p)], groups[(LIMG, p)], p)
    if len(pressures) > 1:
        p1 = pressures[-1]
        for chem, seed in ((LI, "Li: severe loss at 0.2 and 1 MPa, none at >= 1.5 MPa"),
                           (LIMG, "Li-Mg: no rise at 0.2-50 MPa")):
            lo, hi = groups.get((chem, p0), []), groups.get((chem, p1), [])
            if not lo or not hi:
                continue
            at = common_charge(lo, hi)
            a, b = _stat_at(hi, "curve_contact", at), _stat_at(lo, "curve_contact", at)
            verdict, why = _compare(a, b, True)
            why += f"; contact at {at:.1f} ML, the charge every run reached"
            if chem == LIMG:   # the seed: Li-Mg keeps its contact already at 0.2 MPa, over its whole run
                b = _stat(lo, "contact_fraction_end")
                verdict, why = _against_value(b, KEEPS_CONTACT, True)
                why = f"contact at {p0:g} MPa at the end of each run against {KEEPS_CONTACT:g}: " + why
            rows.append({"finding": f"stack pressure helps {('Li' if chem == LI else 'Li-Mg')}", "seed": seed,
                         "model": f"contact {p0:g} MPa {_fmt(b)} vs {p1:g} MPa {_fmt(a)}",
                         "verdict": verdict, "why": why, "pressure_MPa": None})
    return rows


def figures(groups: dict, out_dir: Path) -> list[Path]:
    """Void widths and heights as box plots against charge, void density, contact and overpotential."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from kmc.plot import RUN_COLORS
    out_dir.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(11, 6.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3).ravel()
    for n, (key, records) in enumerate(sorted(groups.items())):
        color = RUN_COLORS[n % len(RUN_COLORS)]
        label = f"{'Li' if key[0] == LI else 'Li-Mg'} {key[1]:g} MPa ({len(records)})"
        for ax, curve in zip(axes[:3], ("curve_voids_per_um_section", "curve_contact", "curve_overpotential_mV")):
            for i, r in enumerate(records):
                ax.plot(r["curve_monolayers"], r[curve], color=color, lw=1, alpha=0.7, label=label if i == 0 else None)
        for ax, name in zip(axes[3:5], ("widths_nm", "heights_nm")):
            for m, mark in enumerate(("early", "end")):
                values = [v for r in records for v in r[f"{name}_{mark}"]]
                if values:
                    ax.boxplot([values], positions=[2 * m + 0.35 * n], widths=0.3, patch_artist=True,
                               boxprops={"facecolor": color, "alpha": 0.6})
        axes[5].bar(np.arange(3) + 0.2 * n, [np.mean([r[f"{k}_per_um2"] for r in records])
                                             for k in ("coalescence", "split", "collapse")],
                    width=0.2, color=color)
    for ax, title in zip(axes, ("interface voids per um of section", "contact fraction", "overpotential (mV)",
                                "void width (nm): ~1 ML | end", "void height (nm): ~1 ML | end",
                                "events per um^2: coalescence, split, collapse")):
        ax.set_title(title, fontsize="medium")
    for ax in axes[:3]:
        ax.set_xlabel("stripped monolayers")
    axes[0].legend(fontsize="small")
    for ax in axes[3:5]:
        ax.set_xticks([0.3, 2.3], ["~1 ML", "end"])
    axes[5].set_xticks(np.arange(3) + 0.3, ["coalescence", "split", "collapse"])
    path = out_dir / "seed004.png"
    fig.savefig(path, dpi=120)
    return [path]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(SPEC))
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    ap.add_argument("--out", default=None, help="the sweep's output folder (as given to kmc sweep --out)")
    ap.add_argument("--min-void-nm", type=float, default=MIN_VOID_NM)
    ap.add_argument("--figures", action="store_true", help="write docs/seed004.png")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    groups = collect(args.spec, args.overrides, args.out, args.min_void_nm)
    if not groups:
        print("no finished runs; run: kmc sweep " + args.spec)
        return 1
    rows = verdicts(groups)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for key, records in sorted(groups.items()):
            stops = ", ".join(f"{r['stop_reason']} at {r['monolayers_end']:.1f} ML" for r in records)
            print(f"{key[0]:10s} {key[1]:5g} MPa: {len(records)} runs ({stops}), "
                  f"{sum(r['interface_voids_early'] for r in records)} interface voids near {EARLY_MONOLAYERS:g} ML in all, "
                  f"{sum(r['events'] for r in records) / 1e6:.0f} M events, {sum(r['wall_time_s'] for r in records):.0f} s wall")
        for r in rows:
            at = "" if r["pressure_MPa"] is None else f" (at {r['pressure_MPa']:g} MPa)"
            print(f"- {r['finding']}{at}: {r['verdict']}. model {r['model']}; seed {r.get('seed', '')}; {r['why']}")
    if args.figures:
        for path in figures(groups, ROOT / "docs"):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
