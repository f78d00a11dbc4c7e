"""Seed 004's Fig. 1 and Fig. 3l/m as predictions of the meso model (docs/meso.md):
``python studies/meso_report/report.py [--figure docs/meso.png] [--parts curves,pressure,...]``
(about an hour on a quiet 2-core machine).

Runs the disc model (kmc.disc) in-process (each run takes about a second): the two chemistries at the seed's
conditions with bands from the calibrated inputs varied within their errors (one at a time; the
band is the envelope), a stack-pressure scan, the critical current against pressure, the
pre-existing-defect sweep, the numerics checks and what the seed's Li failure would ask of creep.
Prints every table and writes a JSON of the numbers and the figure.  Its data are files beside it:
seed 004's observations (seed004.toml) and the inputs' variations within their errors
(variations.toml).
"""
from __future__ import annotations

import argparse
import json
import math
import time
import tomllib
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from kmc.cell.loop import CellResult
from kmc.cell.loop import run as run_cell
from kmc.config import load_config, resolve_params
from kmc.disc.voids import DiscVoids, Tolerances
from kmc.launch import cell_inputs_of
from kmc.physics.nucleation import VoidCap

HERE = Path(__file__).resolve().parent
PARAMS = {"Li": "li_li2s", "Li-Mg": "limg_li2s"}


@dataclass(frozen=True)
class Variation:
    """One input moved within its stated error: --set overrides, the measured I(S) rows scaled,
    replaced by other measured rows or changed at some S ((S, I) pairs), or (``chems``) only for
    the chemistries it concerns."""
    overrides: tuple = ()
    nucleation_scale: float = 1.0
    nucleation_rows: tuple = ()
    nucleation_row_changes: tuple = ()     # (S, I): the file's row at that S takes this rate
    wetting_angle_deg: float | None = None
    chems: tuple = ("Li", "Li-Mg")
    # also in the pressure scan's and the critical current's bands (False: the Fig. 1 bands at 0.2 MPa
    # only, see E_f)
    in_pressure_scan: bool = True
    # False for an input that moves only the overpotential (i0): the critical current, read off the
    # contact, does not depend on it
    moves_contact: bool = True




def load_variations(path: Path = HERE / "variations.toml") -> dict:
    """{label: Variation} from the study's data file (its comments give each one's source)."""
    out = {}
    for label, t in tomllib.loads(path.read_text()).items():
        out[label] = Variation(overrides=tuple(t.get("set", ())), nucleation_scale=t.get("nucleation_scale", 1.0),
                               nucleation_rows=tuple(map(tuple, t.get("nucleation_rows", ()))),
                               nucleation_row_changes=tuple(map(tuple, t.get("nucleation_row_changes", ()))),
                               wetting_angle_deg=t.get("wetting_angle_deg"),
                               chems=tuple(t.get("chemistries", ("Li", "Li-Mg"))),
                               in_pressure_scan=t.get("in_pressure_scan", True),
                               moves_contact=t.get("moves_contact", True))
    return out


# Calibrated inputs within their stated errors (params/*.toml and docs/meso.md give each source)
VARIATIONS = load_variations()
# seed 004's observations (docs/physics.md section 1)
SEED = tomllib.loads((HERE / "seed004.toml").read_text())
NUCLEATION_SCALES = (0.2, 1.0, 5.0)
PRESSURES_MPa = (0.2, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
CRITICAL_PRESSURES_MPa = (0.2, 1.0, 2.0, 5.0)
# seed 004's failure: overpotential shoots up when contact loss reaches ~90 % (docs/physics.md section 1);
# 0.9 is the kMC's criterion (docs/validation.md, "Critical stripping current")
FAILED_CONTACTS = (0.1, 0.9)
GRID = np.linspace(0, 4, 161)   # mAh/cm^2, for bands


def run_point(chem: str, overrides, variation: Variation = Variation(),
              tol: Tolerances = Tolerances()) -> CellResult:
    """One run of the parameter file with ``overrides`` and a variation of its inputs."""
    inp = cell_inputs_of(load_config(resolve_params(PARAMS[chem]), [*overrides, *variation.overrides]), "disc")
    note = ""
    if variation.nucleation_rows:
        inp = replace(inp, measured_nucleation=tuple(variation.nucleation_rows))
        note += " [other I(S) rows]"
    if variation.nucleation_row_changes:
        changes = dict(variation.nucleation_row_changes)
        missing = set(changes) - {s for s, _ in inp.measured_nucleation}
        if missing:
            raise ValueError(f"no measured I(S) row at S = {sorted(missing)} to change")
        inp = replace(inp, measured_nucleation=tuple((s, changes.get(s, i)) for s, i in inp.measured_nucleation))
        note += f" [I(S) rows changed at S = {sorted(changes)}]"
    if variation.nucleation_scale != 1.0:
        inp = replace(inp, measured_nucleation=tuple((s, variation.nucleation_scale * i)
                                                     for s, i in inp.measured_nucleation))
        note += f" [I(S) x {variation.nucleation_scale:g}]"
    if variation.wetting_angle_deg is not None:
        inp = replace(inp, shape=VoidCap.of_wetting_angle(variation.wetting_angle_deg))
        note += f" [angle {variation.wetting_angle_deg:g} deg]"
    res = run_cell(DiscVoids(inp, tol))
    print(f"    run {chem} {' '.join([*overrides, *variation.overrides])}{note}: {res.wall_time_s:.1f} s, "
          f"{res.steps} steps, {res.stop_reason}", flush=True)
    return res


def variations(chem: str) -> dict:
    return {label: v for label, v in VARIATIONS.items() if chem in v.chems}


def on_grid(res: CellResult, name: str) -> np.ndarray:
    """A series on GRID; after a run that lost its contact, contact 0 and overpotential inf."""
    q, v = res.series["stripped_charge"], res.series[name]
    out = np.interp(GRID, q, v)
    if res.stop_reason == "contact_lost":
        out[GRID > q[-1]] = {"contact_fraction": 0.0, "overpotential": np.inf}.get(name, np.nan)
    return out


CURVES = ("contact_fraction", "overpotential", "section_voids_per_um", "void_width_median", "void_width_max",
          "void_height_median", "subsurface_solute_fraction", "interface_solute_fraction", "supersaturation")


# seed 004 reads splitting and collapse off the largest void of its section, frame by frame (seed004.toml
# [frames]).  A drop here: the section's largest width (height) at one such frame is at most 1 - MAX_DROP
# of the frame before.
SEED_FRAME_mAh_cm2 = SEED["frames"]["every_mAh_cm2"]
MAX_DROP = 0.25


def largest_void_drops(res: CellResult, start_mAh_cm2: float = 0.25) -> dict:
    """Frames (every SEED_FRAME_mAh_cm2 from ``start``) at which the section's widest (tallest) void
    is MAX_DROP or more below the frame before, and for each whether a void at least
    min_void_width_um wide closed in between (a collapse; the model has no splitting)."""
    s = res.series
    q = s["stripped_charge"]
    frames = np.arange(start_mAh_cm2, q[-1] + 1e-9, SEED_FRAME_mAh_cm2)
    at = [int(np.argmin(np.abs(q - f))) for f in frames]
    out = {}
    for name in ("void_width_max", "void_height_max"):
        v = s[name]
        out[name] = [{"charge": float(q[b]), "from": float(v[a]), "to": float(v[b]),
                      "collapse": bool(s["collapsed"][b] > s["collapsed"][a])}
                     for a, b in zip(at, at[1:]) if v[b] <= (1 - MAX_DROP) * v[a]]
    return out


# Independent replicas of the base run (run.seed 1..32): the stochastic spread (nucleation places and
# times) that the inputs' bands are to be read against; the sd of a mean over them is sd / sqrt(32).
# Li-Mg needs them: ~1.7 nuclei per 160 um square per run, so one run is one draw of a rare event.
REPLICA_SEEDS = tuple(range(1, 33))


def charge_curves(chem: str) -> dict:
    """Base run and the envelope of the variations, each curve on GRID; the mean and sd of every
    curve over REPLICA_SEEDS; the base run's drops of its largest void."""
    base = run_point(chem, [])
    out = {"wall_s": base.wall_time_s, "steps": base.steps, "drops": largest_void_drops(base),
           "base": {n: on_grid(base, n).tolist() for n in CURVES}, "low": {}, "high": {}, "at_4": {},
           "replica_mean": {}, "replica_sd": {}}
    replicas = [base, *(run_point(chem, [f"run.seed={s}"]) for s in REPLICA_SEEDS[1:])]
    for n in CURVES:
        stack = np.array([on_grid(r, n) for r in replicas])
        with warnings.catch_warnings():    # a grid point where no replica has a void stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            out["replica_mean"][n] = np.nanmean(stack, axis=0).tolist()
            out["replica_sd"][n] = np.nanstd(stack, axis=0, ddof=1).tolist()
    runs = {label: run_point(chem, [], v) for label, v in variations(chem).items()}
    for n in CURVES:
        stack = np.array([on_grid(r, n) for r in [base, *runs.values()]])
        with warnings.catch_warnings():    # a grid point where no run has a void (widths NaN) stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            out["low"][n] = np.nanmin(stack, axis=0).tolist()
            out["high"][n] = np.nanmax(stack, axis=0).tolist()
    for label, r in {"base": base, **runs}.items():
        out["at_4"][label] = {"contact": float(r.series["contact_fraction"][-1]),
                              "plateau_contact": plateau_contact(r),
                              "overpotential_mV": float(r.series["overpotential"][-1]),
                              "stop": r.stop_reason}
    out["replica_plateau_contact"] = [plateau_contact(r) for r in replicas]
    return out


# The plateau: from 0.25 mAh/cm^2 (the seed's "grow and coalesce already by 0.25") to the end.  Its mean
# contact is what an input moves; a single sample moves with every merge or collapse of a wide void
# (Li at 0.2 MPa: sd 0.011 at 4 mAh/cm^2 over REPLICA_SEEDS, against 0.001 for the plateau mean).
PLATEAU_FROM_mAh_cm2 = 0.25


def plateau_contact(r: CellResult) -> float:
    """Mean sampled contact from PLATEAU_FROM_mAh_cm2 on (samples are evenly spaced in charge); 0
    for a run that lost its contact."""
    if r.stop_reason == "contact_lost":
        return 0.0
    q = r.series["stripped_charge"]
    return float(r.series["contact_fraction"][q >= PLATEAU_FROM_mAh_cm2].mean())


def _pressure_row(p: float, r: CellResult) -> dict:
    s = r.series
    return {"P": p, "contact_min": float(s["contact_fraction"].min()), "contact_plateau": plateau_contact(r),
            "contact_end": float(s["contact_fraction"][-1]),
            "eta_end_mV": float(s["overpotential"][-1]), "eta_max_mV": float(s["overpotential"].max()),
            "voids_per_100um_end": 100 * float(s["section_voids_per_um"][-1]), "stop": r.stop_reason,
            "wall_s": r.wall_time_s, "steps": r.steps}


PRESSURE_BANDED = ("contact_min", "contact_plateau", "contact_end", "eta_end_mV", "eta_max_mV", "voids_per_100um_end")


def pressure_scan(chem: str) -> list[dict]:
    """Each pressure: the base run, and the envelope (low_*, high_*) of the base and every
    variation of VARIATIONS in the scan (the charge curves' bands without E_f)."""
    rows = []
    for p in PRESSURES_MPa:
        at = [f"conditions.stack_pressure_MPa={p}"]
        row = _pressure_row(p, run_point(chem, at))
        varied = [_pressure_row(p, run_point(chem, at, v)) for v in variations(chem).values() if v.in_pressure_scan]
        for k in PRESSURE_BANDED:
            values = [row[k]] + [v[k] for v in varied]
            row[f"low_{k}"], row[f"high_{k}"] = min(values), max(values)
        rows.append(row)
    return rows


def fails(chem: str, current: float, pressure: float, contact: float, variation: Variation = Variation()) -> bool:
    r = run_point(chem, [f"conditions.current_density_mA_cm2={current}", f"conditions.stack_pressure_MPa={pressure}",
                         f"meso.stop_contact_fraction={contact}"], variation)
    return r.stop_reason == "contact_lost"


# The search stops at 5 mA/cm^2, ten times the seed's current: the interface's S rises with the
# current (S - 1 ~ i without voids) and the measured I(S) with it, so a run follows ever more nuclei.
CRITICAL_MAX_mA_cm2 = 5.0


def critical_current(chem: str, pressure: float, contact: float, variation: Variation = Variation(), lo=0.01,
                     hi=CRITICAL_MAX_mA_cm2, ratio=1.6) -> tuple[float, float]:
    """Bisection in log current for the contact falling to ``contact`` within 4 mAh/cm^2:
    (holds, fails); (hi, inf) if it holds at hi, (0, lo) if it fails at lo."""
    if not fails(chem, hi, pressure, contact, variation):
        return hi, math.inf
    if fails(chem, lo, pressure, contact, variation):
        return 0.0, lo
    while hi / lo > ratio:
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if fails(chem, mid, pressure, contact, variation) else (mid, hi)
    return lo, hi


# The contact level whose critical current gets bands (each variation's own bisection): 0.9, the one
# that moves with pressure; on 0.1 the base run's search suffices (no input fails there, docs/meso.md).
CRITICAL_BANDED = 0.9


def critical_rows(chem: str) -> list[dict]:
    """Per pressure, the base critical current on each FAILED_CONTACTS level, and on CRITICAL_BANDED
    its band: the lowest 'holds' and highest 'fails' over the base and every variation that moves
    the contact (one bisection each)."""
    rows = []
    for p in CRITICAL_PRESSURES_MPa:
        row = {"P": p, **{f"{k}_{c}": v for c in FAILED_CONTACTS
                          for k, v in zip(("holds", "fails"), critical_current(chem, p, c))}}
        ends = [(row[f"holds_{CRITICAL_BANDED}"], row[f"fails_{CRITICAL_BANDED}"])]
        for label, v in variations(chem).items():
            if v.in_pressure_scan and v.moves_contact:
                ends.append(critical_current(chem, p, CRITICAL_BANDED, v))
                row[f"{label}_{CRITICAL_BANDED}"] = list(ends[-1])
        row[f"low_holds_{CRITICAL_BANDED}"] = min(e[0] for e in ends)
        row[f"high_fails_{CRITICAL_BANDED}"] = max(e[1] for e in ends)
        rows.append(row)
    return rows


def measured_nucleation(chem: str) -> list[dict]:
    """The measured I(S) x 1/5, 1, 5 (its stated error) across pressure: contact, overpotential,
    voids and nuclei at 4 mAh/cm^2, voids per 100 um and widths at 0.05 mAh/cm^2."""
    rows = []
    for p in (0.2, 1.0, 2.0, 5.0):
        for scale in NUCLEATION_SCALES:
            r = run_point(chem, [f"conditions.stack_pressure_MPa={p}"], Variation(nucleation_scale=scale))
            s = r.series
            row = _pressure_row(p, r)
            row.update({"I_scale": scale, "nucleated": int(s["nucleated"][-1]), "S_end": float(s["supersaturation"][-1]),
                        "voids_per_100um_0.05": 100 * float(np.interp(0.05, s["stripped_charge"], s["section_voids_per_um"])),
                        "width_median_0.05": float(np.interp(0.05, s["stripped_charge"], s["void_width_median"]))})
            rows.append(row)
    return rows


def defect_sweep(chem: str) -> list[dict]:
    """What a population of pre-existing void seeds (no source gives one; none is shipped) would
    add to the measured nucleation, at 0.2 MPa to 1 mAh/cm^2."""
    rows = []
    for n, r0 in ((0.0, 0.2), (0.003, 0.2), (0.03, 0.05), (0.03, 0.2), (0.3, 0.2)):
        res = run_point(chem, [f"meso.defect_density_per_um2={n}", f"meso.defect_radius_um={r0}",
                               "meso.stop_stripped_mAh_cm2=1.0"])
        s, q = res.series, res.series["stripped_charge"]
        rows.append({"density": n, "radius": r0, **{
            f"{name}_{at}": float(np.interp(at, q, s[key])) * scale
            for at in (0.05, 0.25) for name, key, scale in (("voids_per_100um", "section_voids_per_um", 100),
                                                            ("width_median", "void_width_median", 1),
                                                            ("contact", "contact_fraction", 1))},
            "contact_1": float(s["contact_fraction"][-1]), "nucleated": int(s["nucleated"][-1])})
    return rows


# Seeds each numerics case is run with: a case is compared by its mean over them (one run of Li-Mg is
# one draw of ~1.7 nuclei, and any change of the step sequence redraws it).
NUMERICS_SEEDS = tuple(range(1, 9))


def numerics(chem: str) -> list[dict]:
    """Each numerical choice varied (step, tolerances, square width, section lines, smallest void):
    means over NUMERICS_SEEDS, and the plateau contact's standard error."""
    rows = []
    shipped = Tolerances()
    quarter = replace(shipped, void=shipped.void / 4, contact=shipped.contact / 4, radius_sum=shipped.radius_sum / 4)
    for label, ov, tol in (("shipped", [], shipped),
                           ("step 5e-4 mAh/cm2", ["meso.max_step_mAh_cm2=5e-4"], shipped),
                           ("tolerances / 4", [], quarter),
                           ("width 320 um", ["meso.width_um=320"], shipped),
                           ("64 section lines", ["meso.section_lines=64"], shipped),
                           ("smallest void 0.5 nm", [], replace(shipped, smallest_void_um=shipped.smallest_void_um / 2)),
                           ("smallest void 2 nm", [], replace(shipped, smallest_void_um=2 * shipped.smallest_void_um))):
        per = []
        for seed in NUMERICS_SEEDS:
            r = run_point(chem, [*ov, f"run.seed={seed}"], tol=tol)
            s, q = r.series, r.series["stripped_charge"]
            per.append({"voids_per_100um_0.05": 100 * float(np.interp(0.05, q, s["section_voids_per_um"])),
                        "width_median_0.05": float(np.interp(0.05, q, s["void_width_median"])),
                        "contact_0.25": float(np.interp(0.25, q, s["contact_fraction"])),
                        "plateau_contact_mean": plateau_contact(r),
                        "nucleated": float(s["nucleated"][-1]), "wall_s": r.wall_time_s})
        with warnings.catch_warnings():    # widths of seeds without a void are NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            row = {"case": label, **{k: float(np.nanmean([p[k] for p in per])) for k in per[0]}}
        pc = [p["plateau_contact_mean"] for p in per]
        row["plateau_contact_se"] = float(np.std(pc, ddof=1) / math.sqrt(len(pc)))
        rows.append(row)
    return rows


def creep_needed(chem: str = "Li") -> list[dict]:
    """What the seed's Li failure asks of creep: the creep law scaled down by f, contact at 1 and
    4 mAh/cm^2 at 0.2 and 1.5 MPa (a diagnostic of the disagreement, not a calibration)."""
    rows = []
    for f in (1, 1e-2, 1e-4, 1e-6):
        rate = 7.7e-3 * f
        row = {"factor": f}
        for p in (0.2, 1.5):
            r = run_point(chem, [f"creep.reference_strain_rate_per_s={rate}", f"conditions.stack_pressure_MPa={p}"])
            s, q = r.series, r.series["stripped_charge"]
            row[f"contact_1_{p}"] = float(np.interp(1.0, q, s["contact_fraction"])) if q[-1] >= 1 else 0.0
            row[f"end_{p}"] = float(s["contact_fraction"][-1]) if r.stop_reason == "stripped" else 0.0
        rows.append(row)
    return rows


COLOURS = {"Li": "tab:purple", "Li-Mg": "tab:orange"}


def critical_panel(ax, data: dict) -> None:
    """The critical current against pressure: the base search's bracket on each level (line at its
    geometric middle) and, on CRITICAL_BANDED, the envelope over the inputs' variations (shaded);
    'holds at the top' is drawn at twice the search's top."""
    top = 2 * CRITICAL_MAX_mA_cm2
    for chem, rows in data.get("critical", {}).items():
        p = [r["P"] for r in rows]
        for c, style in zip(FAILED_CONTACTS, ("o-", "s--")):
            lo = np.maximum([r[f"holds_{c}"] for r in rows], 1e-2)
            hi = np.minimum([r[f"fails_{c}"] for r in rows], top)
            ax.plot(p, np.sqrt(lo * hi), style, color=COLOURS[chem], mfc="white", label=f"{chem}: contact stays > {c}")
            if f"low_holds_{c}" in rows[0]:
                ax.fill_between(p, np.maximum([r[f"low_holds_{c}"] for r in rows], 1e-2),
                                np.minimum([r[f"high_fails_{c}"] for r in rows], top), color=COLOURS[chem], alpha=0.2)
    ax.axhline(0.5, color="k", ls=":", lw=0.8)
    ax.set_yscale("log")


def figure(data: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(2, 3, figsize=(14, 8.5))
    panels = (("contact_fraction", "contact fraction", 1), ("overpotential", "overpotential (mV)", 1),
              ("section_voids_per_um", "voids per 100 um of section", 100), ("void_width_median", "void width (um)", 1))
    for chem, d in data["charge"].items():
        c = COLOURS[chem]
        n_seeds = len(d.get("replica_plateau_contact", ()))
        for a, (name, label, scale) in zip(ax.flat, panels):
            # the line: the mean over the replicas (one Li-Mg run is one draw of ~1.7 nuclei); one run thin
            mean = np.array(d["replica_mean"][name], float) * scale if n_seeds else None
            base = np.array(d["base"][name], float) * scale
            if mean is not None:
                a.plot(GRID, mean, color=c, label=f"{chem} (model, mean of {n_seeds} seeds)")
                a.plot(GRID, base, color=c, lw=0.6, alpha=0.7, label=f"{chem} (one run)")
            else:
                a.plot(GRID, base, color=c, label=f"{chem} (model)")
            a.fill_between(GRID, np.array(d["low"][name], float) * scale,
                           np.minimum(np.array(d["high"][name], float) * scale, 1e4), color=c, alpha=0.2)
            a.set_xlabel("stripped charge (mAh/cm²)")
            a.set_ylabel(label)
        seen = SEED[chem]
        ax[0, 2].errorbar([0.1], [np.mean(seen["voids_per_100um"])], yerr=[[np.ptp(seen["voids_per_100um"]) / 2]],
                          fmt="s", color=c, mfc="white", label=f"{chem} seed 004")
        ax[1, 0].errorbar([0.1], [seen["void_width_um"][0]], yerr=[seen["void_width_um"][1]], fmt="s", color=c,
                          mfc="white", label=f"{chem} seed 004")
        ax[1, 0].plot(GRID, d["base"]["void_width_max"], color=c, ls=":", label=f"{chem} max (model)")
    ax[0, 0].axvline(SEED["Li"]["fail_charge_mAh_cm2"], color=COLOURS["Li"], ls="--", lw=0.8)
    ax[0, 0].text(1.05, 0.9, "Li: seed's overpotential rise\n(~90 % contact loss)", fontsize=7)
    ax[0, 1].set_yscale("log")
    ax[1, 0].set_yscale("log")
    for chem, rows in data.get("pressure", {}).items():
        p = [r["P"] for r in rows]
        ax[1, 1].plot(p, [r["contact_min"] for r in rows], "o-", color=COLOURS[chem], label=f"{chem} min contact")
        ax[1, 1].plot(p, [r["contact_plateau"] for r in rows], "s--", color=COLOURS[chem], mfc="white",
                      label=f"{chem} plateau contact (0.25-4 mAh/cm²)")
    ax[1, 1].set_xscale("log")
    ax[1, 1].set_xlabel("stack pressure (MPa)")
    ax[1, 1].set_ylabel("contact fraction (0.5 mA/cm², to 4 mAh/cm²)")
    ax[1, 1].axvline(SEED["Li"]["flat_from_MPa"], color=COLOURS["Li"], ls="--", lw=0.8)
    ax[1, 1].text(1.6, 0.5, "seed: Li flat\nfrom 1.5 MPa", fontsize=7)
    critical_panel(ax[1, 2], data)
    from matplotlib.ticker import NullFormatter
    for a in (ax[1, 1], ax[1, 2]):
        a.set_xscale("log")
        a.set_xticks([0.2, 0.5, 1, 2, 5], labels=["0.2", "0.5", "1", "2", "5"])
        a.xaxis.set_minor_formatter(NullFormatter())
    ax[1, 2].set_xlabel("stack pressure (MPa)")
    ax[1, 2].set_ylabel(f"critical current (mA/cm²) to 4 mAh/cm² (top: > {CRITICAL_MAX_mA_cm2:g})")
    for a in ax.flat:
        a.legend(fontsize=7)
    fig.suptitle("kmc meso: seed 004 Fig. 1 and 3l/m as predictions (0.2 MPa, 0.5 mA/cm²; bands: inputs within errors)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def pressure_figure(data: dict, path: str) -> None:
    """Seed 004's Fig. 3l/m as predictions: contact and overpotential at 4 mAh/cm^2 against stack
    pressure with the bands of the inputs' errors, and the critical current against pressure."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(14, 4.3))
    for chem, rows in data.get("pressure", {}).items():
        c = COLOURS[chem]
        p = np.array([r["P"] for r in rows])
        for a, key, style, label in ((ax[0], "contact_min", "o-", "lowest contact"),
                                     (ax[0], "contact_plateau", "s--", "plateau contact (0.25-4 mAh/cm²)"),
                                     (ax[1], "eta_max_mV", "o-", "highest overpotential")):
            a.plot(p, [r[key] for r in rows], style, color=c, mfc="white", label=f"{chem}, {label}")
            if f"low_{key}" in rows[0]:
                a.fill_between(p, [r[f"low_{key}"] for r in rows], [r[f"high_{key}"] for r in rows], color=c, alpha=0.15)
    ax[0].set_ylabel("contact fraction (0.5 mA/cm², to 4 mAh/cm²)")
    ax[1].set_ylabel("overpotential (mV), band includes i₀ 0.3–32 mA/cm²")
    ax[1].set_yscale("log")
    critical_panel(ax[2], data)
    ax[2].set_ylabel(f"critical current (mA/cm²), to 4 mAh/cm² (searched to {CRITICAL_MAX_mA_cm2:g})")
    from matplotlib.ticker import NullFormatter
    for a in ax:
        a.set_xscale("log")
        a.set_xticks([0.2, 0.5, 1, 2, 5], labels=["0.2", "0.5", "1", "2", "5"])
        a.xaxis.set_minor_formatter(NullFormatter())
        a.set_xlabel("stack pressure (MPa)")
        a.axvline(SEED["Li"]["flat_from_MPa"], color=COLOURS["Li"], ls=":", lw=0.8)
        a.legend(fontsize=7)
    ax[0].text(1.6, 0.5, "seed: Li flat\nfrom 1.5 MPa", fontsize=7)
    fig.suptitle("kmc meso: contact, overpotential and critical current against stack pressure "
                 "(bands: inputs within their errors)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _print_table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in r.values()) + " |")


PARTS = ("curves", "pressure", "critical", "nucleation", "defects", "numerics", "creep")


def run_part(part: str, data: dict, chems=tuple(PARAMS)) -> None:
    """One part of the report, its tables printed and its numbers put into data."""
    t = time.perf_counter()
    if part == "curves":
        for chem in chems:
            d = data.setdefault("charge", {})[chem] = charge_curves(chem)
            print(f"{chem}: one run to 4 mAh/cm^2 of a 160 um square: {d['wall_s']:.2f} s ({d['steps']} steps)")
            for q in (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0):
                i = int(np.argmin(np.abs(GRID - q)))
                print(f"  {q:4} mAh/cm2: " + ", ".join(
                    f"{n} {d['base'][n][i]:.3g} [{d['low'][n][i]:.3g}, {d['high'][n][i]:.3g}] "
                    f"(seeds {d['replica_mean'][n][i]:.3g} sd {d['replica_sd'][n][i]:.2g})" for n in CURVES))
            for label, r in d["at_4"].items():
                print(f"  {label}: contact {r['contact']:.3f} at 4 mAh/cm2, plateau mean {r['plateau_contact']:.3f}, "
                      f"eta {r['overpotential_mV']:.1f} mV, {r['stop']}")
            pc = np.array(d["replica_plateau_contact"])
            print(f"  plateau contact over {pc.size} seeds: {pc.mean():.4f} sd {pc.std(ddof=1):.4f}")
            for name, drops in d["drops"].items():
                print(f"  {name} drops by >= {MAX_DROP:.0%} per {SEED_FRAME_mAh_cm2:g} mAh/cm2 after 0.25: " + (", ".join(
                    f"{x['charge']:.3g} ({x['from']:.3g} -> {x['to']:.3g} um{', collapse' if x['collapse'] else ''})"
                    for x in drops) or "none"))
    elif part == "pressure":
        for chem in chems:
            data.setdefault("pressure", {})[chem] = pressure_scan(chem)
            _print_table(f"{chem}: stack pressure scan (0.5 mA/cm2, to 4 mAh/cm2)", data["pressure"][chem])
    elif part == "critical":
        for chem in chems:
            data.setdefault("critical", {})[chem] = critical_rows(chem)
            _print_table(f"{chem}: critical current (mA/cm2): contact stays above 0.1 / 0.9 to 4 mAh/cm2 "
                         f"(searched 0.01 - {CRITICAL_MAX_mA_cm2:g}; band on {CRITICAL_BANDED})",
                         [{k: v for k, v in r.items() if not isinstance(v, list)} for r in data["critical"][chem]])
    elif part == "nucleation":
        for chem in chems:
            data.setdefault("nucleation", {})[chem] = measured_nucleation(chem)
            _print_table(f"{chem}: the kMC's measured I(S) x 1/5, 1, 5 across pressure",
                         data["nucleation"][chem])
    elif part == "defects":
        data.setdefault("defects", {}).update({chem: defect_sweep(chem) for chem in chems})
        for chem, rows in data["defects"].items():
            _print_table(f"{chem}: pre-existing defects added (density per um2, radius um)", rows)
    elif part == "numerics":
        data.setdefault("numerics", {}).update({chem: numerics(chem) for chem in chems})
        for c, rows in data["numerics"].items():
            _print_table(f"{c}: numerics", rows)
    elif part == "creep":
        data["creep"] = creep_needed()
        _print_table("Li: creep law scaled by f (diagnostic of the seed's failure)", data["creep"])
    data.setdefault("walls", {})[part] = time.perf_counter() - t
    print(f"wall time of {part}: {data['walls'][part]:.1f} s", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--figure", default="docs/meso.png")
    ap.add_argument("--pressure-figure", default="docs/meso_pressure.png")
    ap.add_argument("--json", default="runs/out/meso_report.json", help="numbers (parts already there are kept)")
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)}")
    ap.add_argument("--chems", default=",".join(PARAMS), help=f"comma list of {', '.join(PARAMS)} (others kept "
                    "from the JSON)")
    args = ap.parse_args(argv)
    chems = [c for c in args.chems.split(",") if c]
    unknown = [c for c in chems if c not in PARAMS]
    if unknown:
        raise SystemExit(f"unknown chemistry {unknown[0]!r}; allowed: {', '.join(PARAMS)}")
    out = Path(args.json)
    data = json.loads(out.read_text()) if out.exists() else {}
    run_point("Li", ["meso.stop_stripped_mAh_cm2=0.01"])     # compile once, outside the timings
    for part in filter(None, args.parts.split(",")):
        if part not in PARTS:
            raise SystemExit(f"unknown part {part!r}; allowed: {', '.join(PARTS)}")
        run_part(part, data, chems)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, default=lambda x: None if x != x else x))
    if "charge" in data:
        figure(data, args.figure)
    if "pressure" in data:
        pressure_figure(data, args.pressure_figure)


if __name__ == "__main__":
    main()
