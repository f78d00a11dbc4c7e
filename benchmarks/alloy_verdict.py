"""The alloy's answer (docs/alloy.md section 9): Li-Mg against Li on `kmc
meso`'s gap model, the section (its fast limit) and the area (the model of record), started, as every shipped
`kmc meso` run is, from the interface as it is made (the pellet's measured face pressed at 50 MPa), with the
Mg along the interface on, from 0.2 to 50 MPa, with the inputs that decide the rows at the ends of their
errors, and the Mg enrichment at 0.05 and 0.5 mA/cm^2.

    python benchmarks/alloy_verdict.py --list                       # the cases, what each changes
    python benchmarks/alloy_verdict.py --cases "Li,Li-Mg" --json runs.jsonl
    python benchmarks/alloy_verdict.py --table runs.jsonl           # the tables of docs/alloy.md
    python benchmarks/alloy_verdict.py --figure runs.jsonl docs/alloy.png --cases "Li,Li-Mg,Li-Mg 50 MPa"

Each run is the shipped one (stop at 4 mAh/cm^2 or at meso.stop_contact_fraction) with the case's --set
keys ("@..." keys change an input the parameter file has no key for: the seed's own DFT D_Mg or wetting
angle, the contact sink without the alloy's collecting-length ratio).  Each row: contact and overpotential
at 0 (what the press left), 0.25, 1, 3 and 4 mAh/cm^2, where the
contact first falls below 0.1 (the verdict's failure, docs/mechanics.md section 9), voids per 100 um and
their median width early (0, 0.05, 0.125 mAh/cm^2: Li's contact is gone by 0.22), splits, collapses and
coalescences counted by the section, where the largest width and height drop between samples, the Mg
just below the contact at the end (mean and largest) and the charge at which it first passes bcc Li-Mg's
limit under a contact cell, CPU.  The guessed-pore start of before (0.5-2 um uniform pores, 0.5 um deep)
is gone: the face's own inputs (density, particle size, its draw) are the bands now.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from kmc.mechanisms import BULK_LAW_OVERRIDES  # noqa: E402

# the DFT D_Mg (2.06e-13 cm^2/s, seed Supp. Table 1, no formation entropy) against the model's 7.0e-12 at c_eq
# (docs/rates.md): the factor by which the solute's D is uncertain, applied downward (a slower D gathers more)
D_MG_DFT_OVER_MODEL = 2.06e-13 / 7.0e-12
PRESSURES_MPa = (0.2, 1.0, 1.5, 7.0, 20.0, 50.0)      # seed 004 Fig. 3m (Li-Mg, 0.2-50 MPa)
FAILED_CONTACT = 0.1          # the verdict's failure (docs/mechanics.md section 9: the seed's ~90 % loss)
# bcc Li-Mg holds up to ~70 at.% Mg (Aspinall et al. 2024, Fig. 1's phase diagram); the composition table's top
BCC_LIMIT = 0.7
EARLY_mAh_cm2 = (0.0, 0.05, 0.125)   # the voids "immediately after stripping begins" (Li's contact is gone by 0.22)
MARKS_mAh_cm2 = (0.0, 0.25, 1.0, 3.0, 4.0)
# the seed's own DFT angle for Li-Mg/Li2S (docs/physics.md section 2), against the model's 58.4 deg at its L1
SEED_ALLOY_ANGLE_deg = 87.1
# the area of record, 160 x 20 um at 0.25 um: the one on which the contact sink was calibrated (docs/mechanics.md 10.4)
AREA = ["meso.interface='area'", "meso.depth_um=20.0"]

# The inputs at the ends of their errors (the sources are params/*.toml's comments beside each key), each
# alone, for both chemistries at 0.2 MPa: name: (--set overrides, the source of the range)
FACE_BANDS = {
    "kappa 0.038": (["electrode.contact_sink_rate_m_s=0.038"],
                    "the contact's sink at its band's low end (Li's calibration at contact 0.15 near 1 mAh/cm^2, "
                    "params/li_li2s.toml); the alloy's is this times its sink ratio"),
    "kappa 0.107": (["electrode.contact_sink_rate_m_s=0.107"], "the band's high end (contact 0.05)"),
    "density 0.92": (["electrolyte.relative_density=0.92"],
                     "Singh et al. 2022's large-grained pellet (92 %), the band's dense end"),
    "particles 0.5 um": (["electrolyte.particle_diameter_um=0.5"],
                         "Singh et al. 2022's small grains (< 500 nm); the shipped 1 um is seed 004's d50 bound"),
    "face seed 2": (["run.seed=2"], "another draw of the face (and of nucleation)"),
    "face seed 3": (["run.seed=3"], "another draw of the face (and of nucleation)"),
    "D_s 1.4e-3": (["meso.surface_diffusivity_cm2_s=1.4e-3"], "the kMC's own 0.055 eV hop, a terrace-like upper bound"),
    "D_s 4.3e-11": (["meso.surface_diffusivity_cm2_s=4.3e-11"],
                    "the 0.5 eV step barriers of Li(111) and (211) (Zhou et al. 2025): shapes frozen"),
    "size effect off": (list(BULK_LAW_OVERRIDES),
                        "bulk creep at every size and a contact that absorbs no vacancy"),
    "no edge rows": (["pore_edge.supersaturation=[]"],
                     "the kMC's [pore_edge] rows not read: no rim's pin (docs/pore_edge.md section 8)"),
}
# The alloy's own inputs (docs/alloy.md section 2): Li-Mg only, at 0.2 MPa and at the top pressure
SOLUTE_BANDS = {
    "no solute field": (["meso.solute_field='off'"], "the model before the solute field"),
    "Labusch bound": (["meso.solute_strengthening='labusch_bound'"],
                      "creep slowed by (x/x_s)^(2n/3) over enriched metal: no Li-Mg creep law retrievable"),
    "D_Mg DFT": (["@solute_diffusivity"],
                 f"D_Mg x {D_MG_DFT_OVER_MODEL:.3f} (the seed's DFT value, no formation entropy)"),
    "i0 x 0.1": (["conditions.exchange_current_mA_cm2=0.1"],
                 "exchange current a decade lower (its shipped 1 mA/cm^2 is an order of magnitude)"),
    "seed angle": (["@seed_angle"], f"the seed's DFT Young angle {SEED_ALLOY_ANGLE_deg:g} deg in place of the model's "
                                    "58.4 (the wetting that draws the alloy into its pores, docs/alloy.md section 5)"),
    "Li's contact sink": (["@no_sink_ratio"], "the contact's sink Li's, not scaled by the alloy's collecting length "
                                              "(docs/alloy.md section 6)"),
}

# name: (parameter set, --set overrides, what the case changes)
CASES = {
    "Li": ("li_li2s", [], "the shipped run, 0.2 MPa"),
    "Li-Mg": ("limg_li2s", [], "the shipped run, 0.2 MPa, solute field on"),
    **{f"Li-Mg {p:g} MPa": ("limg_li2s", [f"conditions.stack_pressure_MPa={p!r}"], "seed 004 Fig. 3m")
       for p in PRESSURES_MPa if p != 0.2},
    "Li 50 MPa": ("li_li2s", ["conditions.stack_pressure_MPa=50.0"], "Li beside Li-Mg at the top pressure"),
    **{f"{chem} {band}": (params, sets, what) for band, (sets, what) in FACE_BANDS.items()
       for chem, params in (("Li", "li_li2s"), ("Li-Mg", "limg_li2s"))},
    **{f"Li-Mg {band}": ("limg_li2s", sets, what) for band, (sets, what) in SOLUTE_BANDS.items()},
    **{f"Li-Mg 50 MPa {band}": ("limg_li2s", ["conditions.stack_pressure_MPa=50.0", *sets], what)
       for band, (sets, what) in {**FACE_BANDS, **SOLUTE_BANDS}.items()
       if band in ("no solute field", "Labusch bound") or band in FACE_BANDS},
    # the area, the model of record (docs/area.md): Li and Li-Mg at 0.2 MPa, Li-Mg to 50 MPa
    "Li area": ("li_li2s", AREA, "the area, 0.2 MPa"),
    "Li-Mg area": ("limg_li2s", AREA, "the area, 0.2 MPa, Mg field on"),
    **{f"Li-Mg area {p:g} MPa": ("limg_li2s", [*AREA, f"conditions.stack_pressure_MPa={p!r}"], "seed 004 Fig. 3m")
       for p in PRESSURES_MPa if p != 0.2},
    # the Mg enrichment (seed 004 Fig. 3: die cells at 1 MPa stripped 4 mAh/cm^2 at 0.05 and 0.5 mA/cm^2)
    **{f"Li-Mg 1 MPa {i:g} mA/cm2": ("limg_li2s", ["conditions.stack_pressure_MPa=1.0",
                                                    f"conditions.current_density_mA_cm2={i!r}"], "seed 004 Fig. 3")
       for i in (0.05, 0.5)},
}


from kmc.cell.loop import Observer  # noqa: E402  (after the path is set)


def drops(series: np.ndarray, tolerance: float) -> list[int]:
    """Sample indices where the series falls by more than ``tolerance`` from the sample before."""
    d = np.diff(series)
    return [int(i) + 1 for i in np.flatnonzero(d < -tolerance)]


class Progress(Observer):
    """Says on stderr when a run passes each 0.5 mAh/cm^2, and notes the first sample at which the Mg just
    below a contact cell passes BCC_LIMIT."""

    def __init__(self, name: str, model):
        self.name, self.next, self.t0 = name, 0.5, time.process_time()
        self.model, self.state = model, None
        self.beyond_bcc_at = None

    def on_sample(self, time_s, sample):
        st = self.state
        if st is not None and self.model.solute is not None and st.solute is not None and self.beyond_bcc_at is None:
            xs = self.model.solute.subsurface_fraction(st.solute)
            if (xs[st.gap_um == 0] > BCC_LIMIT).any():
                self.beyond_bcc_at = sample["stripped_charge"]
        if sample["stripped_charge"] >= self.next - 1e-9:
            print(f"  {self.name}: {sample['stripped_charge']:.2f} mAh/cm2, contact {sample['contact_fraction']:.3f}, "
                  f"{time.process_time() - self.t0:.0f} s CPU", file=sys.stderr, flush=True)
            self.next += 0.5

    def on_step(self, report):
        return False


def _model(name: str, extra: list[str] = ()):
    """The case's model (kmc.launch's for meso.interface) on its inputs, the "@" keys applied to the inputs
    (``extra``: more --set keys)."""
    from kmc.config import load_config
    from kmc.launch import cell_inputs_of, cell_model
    from kmc.physics.nucleation import VoidCap
    chem, sets, _ = CASES[name]
    settings = load_config(ROOT / "params" / f"{chem}.toml", [s for s in sets if not s.startswith("@")] + list(extra))
    inp = cell_inputs_of(settings)
    if "@solute_diffusivity" in sets:
        inp = replace(inp, solute_diffusivity_per_vacancy_um2_s=inp.solute_diffusivity_per_vacancy_um2_s
                      * D_MG_DFT_OVER_MODEL)
    if "@seed_angle" in sets:      # the angle and the composition table's angles moved alike
        shift = SEED_ALLOY_ANGLE_deg - inp.wetting_angle_deg
        table = tuple((r[0], r[1], r[2] + shift, *r[3:]) for r in inp.composition_table)
        inp = replace(inp, shape=VoidCap.of_wetting_angle(SEED_ALLOY_ANGLE_deg), composition_table=table)
    if "@no_sink_ratio" in sets:
        from kmc.model import contact_sink_rate_um_s
        kappa_li = settings.electrode.contact_sink_rate_m_s * 1e6
        if not hasattr(inp, "contact_sink_rate_um_s"):
            raise SystemExit("@no_sink_ratio needs the gap model's contact sink (inputs.contact_sink_rate_um_s)")
        assert math.isclose(inp.contact_sink_rate_um_s, contact_sink_rate_um_s(settings), rel_tol=1e-12)
        inp = replace(inp, contact_sink_rate_um_s=kappa_li, contact_sink_rows=())
    return cell_model(settings.meso.interface)(inp), inp


def run_case(name: str, stop_charge_mAh_cm2: float | None = None) -> dict:
    from kmc.cell.loop import run
    chem, sets, _ = CASES[name]
    t0 = time.process_time()
    extra = [] if stop_charge_mAh_cm2 is None else [f"meso.stop_stripped_mAh_cm2={stop_charge_mAh_cm2!r}"]
    model, inp = _model(name, extra)
    progress = Progress(name, model)
    made = model.initial_state

    def initial_state(*args, **kwargs):          # the run's state, once the press has made it, for Progress
        progress.state = made(*args, **kwargs)
        return progress.state
    model.initial_state = initial_state
    result = run(model, progress)
    return _row(name, chem, sets, inp, model, progress, result, time.process_time() - t0)


def _row(name, chem, sets, inp, model, progress, result, cpu_s) -> dict:
    s = {k: np.asarray(v, dtype=float) for k, v in result.series.items()}
    q = s["stripped_charge"]

    def at(charge, key):
        i = int(np.argmin(np.abs(q - charge)))
        return float(s[key][i]) if abs(q[i] - charge) < 0.0125 else math.nan
    row = dict(case=name, chem=chem, sets=sets, stop=result.stop_reason, steps=result.steps,
               cpu_s=cpu_s, end_charge=float(q[-1]))
    for c in MARKS_mAh_cm2:
        row[f"contact@{c:g}"] = at(c, "contact_fraction")
        row[f"eta@{c:g}"] = at(c, "overpotential")
    for c in EARLY_mAh_cm2:
        row[f"voids_per_100um@{c:g}"] = 100 * at(c, "section_voids_per_um")
        row[f"width_median@{c:g}"] = at(c, "void_width_median")
    failed = np.flatnonzero(s["contact_fraction"] < FAILED_CONTACT)
    row["fails_at"] = float(q[failed[0]]) if failed.size else None
    row["eta_max"] = float(np.nanmax(s["overpotential"]))
    row["voids_per_100um_max"] = float(100 * np.nanmax(s["section_voids_per_um"]))
    for k in ("splits", "collapses", "coalescences", "nucleated"):
        row[k] = float(s[k][-1])
    w, h = np.nan_to_num(s["void_width_max"]), np.nan_to_num(s["void_height_max"])
    row["largest_width_max"], row["largest_height_max"] = float(w.max()), float(h.max())
    row["width_drops_at"] = [round(float(q[i]), 3) for i in drops(w, 1.5 * inp.cell_um)]
    row["height_drops_at"] = [round(float(q[i]), 3) for i in drops(h, 0.05)]
    keep = ("stripped_charge", "contact_fraction", "overpotential", "section_voids_per_um", "void_width_median",
            "void_width_max", "void_height_max", "subsurface_solute_fraction", "subsurface_solute_fraction_max",
            "interface_solute_fraction", "supersaturation", "captured_fraction", "contact_sink_fraction")
    row["series"] = {k: s[k].tolist() for k in keep if k in s}
    if "subsurface_solute_fraction" in s:
        for c in MARKS_mAh_cm2:
            row[f"x_s@{c:g}"] = at(c, "subsurface_solute_fraction")
            row[f"theta@{c:g}"] = at(c, "interface_solute_fraction")
    row["interface"] = getattr(model, "name", "section")
    final = result.final
    if model.solute is not None and final.solute is not None:
        xs = model.solute.subsurface_fraction(final.solute)
        row["x_s_mean"], row["x_s_max"] = float(xs.mean()), float(xs.max())
        row["beyond_bcc_at"] = progress.beyond_bcc_at
    return row


# seed 004's alloy findings (docs/physics.md sections 1 and 10) and the criterion each verdict row applies to
# the runs (reproduced / partial / contradicted); the mechanism that decides each is docs/alloy.md section 9's
FIRST_FRAME_mAh_cm2 = 0.125          # the seed's first SEM frame: 15 min at 0.5 mA/cm^2


WIDTH_DROP_um, HEIGHT_DROP_um = 0.375, 0.05    # a drop: 1.5 cells of the section's 0.25 um, 50 nm of height


def frame_drops(row: dict, key: str, tolerance: float) -> tuple[list[float], list[float]]:
    """The charges of the seed's frames (every FIRST_FRAME_mAh_cm2: the seed's SEM frames are 15 min apart) at
    which the run's series ``key`` falls by more than ``tolerance`` from the frame before (the run's sample
    nearest each frame; nan, no void, is 0), and those before the run's contact first falls below
    FAILED_CONTACT.  At the seed's frames, not the run's own samples (every 0.025 mAh/cm^2), so that the
    counts compare with the seed's."""
    s = row["series"]
    q = np.asarray(s["stripped_charge"], dtype=float)
    v = np.nan_to_num(np.asarray(s[key], dtype=float))
    frames = np.arange(0.0, q[-1] + 1e-9, FIRST_FRAME_mAh_cm2)
    at = [int(np.argmin(np.abs(q - f))) for f in frames]
    every = [round(float(f), 3) for k, f in enumerate(frames) if k and v[at[k]] < v[at[k - 1]] - tolerance]
    fails = row.get("fails_at")
    return every, [c for c in every if fails is None or c < fails - 1e-6]


def verdict(rows: list[dict], chem_li: str = "Li", chem_limg: str = "Li-Mg", pressures=PRESSURES_MPa) -> str:
    """One row per seed finding about the alloy, from the runs named ``chem_li`` and ``chem_limg`` (and
    ``chem_limg + " <p> MPa"``, ``"Li-Mg 1 MPa <i> mA/cm2"``): what the model gives and the criterion's
    verdict.  Criteria: early voids reproduced where Li-Mg counts at most a third of Li's at the first frame
    and within 2x of the seed's 2-3 per 100 um, partial where fewer than Li's, else contradicted; splits and
    collapses reproduced where the largest width (height) drops at least twice at the seed's frames (frame_drops)
    at 0.2 MPa while the contact holds above 0.1, partial where it drops at all; holding reproduced where the contact stays above
    0.1 to 3 mAh/cm^2 at every pressure, partial at some; the enrichment reproduced where x_s at 4 mAh/cm^2 (or
    the largest charge both runs reach) is within 1.5x between the currents and bcc (below 0.7 under every contact
    cell at every sample to there), partial where it is bcc."""
    by = {r["case"]: r for r in rows}
    li, mg = by.get(chem_li), by.get(chem_limg)
    out = ["| seed 004 (Li–Mg, 0.2 MPa unless said) | the model | verdict |", "|---|---|---|"]
    if li and mg:
        q = f"{FIRST_FRAME_mAh_cm2:g}"
        n_li, n_mg = li[f"voids_per_100um@{q}"], mg[f"voids_per_100um@{q}"]
        w_li, w_mg = li[f"width_median@{q}"], mg[f"width_median@{q}"]
        ok = n_mg <= n_li / 3 and 1.0 <= n_mg <= 6.0
        out.append(f"| fewer, larger voids at the first frame: 2–3 per 100 µm, 3.8 ± 1.0 µm (Li 16–18, 2.2 ± 1.3) | "
                   f"Li–Mg {_f(n_mg, '.0f')} per 100 µm, median {_f(w_mg)} µm; Li {_f(n_li, '.0f')}, {_f(w_li)} µm | "
                   f"{'reproduced' if ok else 'partial' if n_mg < n_li else 'contradicted'} |")
        for key, what, seed, tol in (("void_width_max", "split (largest width drops)", "0.625, 1, 2.375", WIDTH_DROP_um),
                                     ("void_height_max", "collapse (largest height drops)", "0.5, 1, 2.625",
                                      HEIGHT_DROP_um)):
            every, held = frame_drops(mg, key, tol)
            out.append(f"| voids grow to ~20 µm (largest {_f(mg['largest_width_max'], '.1f')} µm here), then {what} at "
                       f"{seed} mAh/cm² | at the seed's frames: drops at {_list(every)}; {len(held)} while the contact "
                       f"holds above 0.1 | {'reproduced' if len(held) >= 2 else 'partial' if every else 'contradicted'} |")
        out.append(f"| Li–Mg holds where Li fails (Li ~90 % loss near 1 mAh/cm², one gap by 1.25) | contact < 0.1 at "
                   f"{_f(mg['fails_at'], '.3g')} (Li {_f(li['fails_at'], '.3g')}); contact at 1 / 3 mAh/cm² "
                   f"{_f(mg['contact@1'])} / {_f(mg['contact@3'])} (Li {_f(li['contact@1'])} / {_f(li['contact@3'])}) | "
                   + ("reproduced" if mg["fails_at"] is None and li["fails_at"] is not None else
                      "partial" if (mg["fails_at"] or 99) > (li["fails_at"] or 99) else "contradicted") + " |")
    held = [(p, by.get(f"{chem_limg} {p:g} MPa" if p != 0.2 else chem_limg)) for p in pressures]
    held = [(p, r) for p, r in held if r is not None]
    if len(held) > 1:                   # a verdict on pressure needs more than one
        good = [p for p, r in held if r["fails_at"] is None or r["fails_at"] > 3.0]
        text = "; ".join(f"{p:g} MPa: {_f(r['contact@3'])}, η {_f(r['eta@3'], '.0f')} mV" for p, r in held)
        out.append(f"| contact and voltage hold from 0.2 to 50 MPa (no overpotential rise within 3 mAh/cm²) | contact, η at "
                   f"3 mAh/cm²: {text} | {'reproduced' if len(good) == len(held) else 'partial' if good else 'contradicted'} |")
    lo, hi = by.get("Li-Mg 1 MPa 0.05 mA/cm2"), by.get("Li-Mg 1 MPa 0.5 mA/cm2")
    if lo and hi:
        # at 4 mAh/cm^2, or at the largest charge both runs reach (a run ends where its contact is lost)
        q = min(4.0, lo["end_charge"], hi["end_charge"])
        a, b = (_series_at(r, "subsurface_solute_fraction", q) for r in (lo, hi))
        ta, tb = (_series_at(r, "interface_solute_fraction", q) for r in (lo, hi))
        # the largest under any contact cell at any sample up to there: beyond bcc Li-Mg's limit the metal there
        # would be two-phase (hcp Mg), which does not go back into solution when the Mg later spreads
        top = np.nanmax([_series_max_to(r, "subsurface_solute_fraction_max", q) for r in (lo, hi)] + [-1.0])
        ok = not (math.isnan(a) or math.isnan(b))
        bcc = ok and max(a, b, top) < BCC_LIMIT
        same = bcc and max(a, b) / min(a, b) <= 1.5
        out.append(f"| slight Mg enrichment, about equal at 0.05 and 0.5 mA/cm² (1 MPa, 4 mAh/cm²), no HCP Mg | at "
                   f"{q:.3g} mAh/cm²{'' if q > 4.0 - 1e-6 else ' (both runs reach no further)'}: x_s {_f(a, '.3f')} and "
                   f"{_f(b, '.3f')} (largest under a contact cell by then {_f(top if top >= 0 else math.nan, '.2f')}); "
                   f"L1 {_f(ta, '.3f')} and {_f(tb, '.3f')} | "
                   f"{'reproduced' if same else 'partial' if bcc else 'contradicted'} |")
    return "\n".join(out)


def _series_at(row, key, charge):
    """The row's stored series ``key`` at the sample nearest ``charge`` (nan without it)."""
    series = row.get("series", {})
    if key not in series:
        return math.nan
    q = np.asarray(series["stripped_charge"], dtype=float)
    return float(np.asarray(series[key], dtype=float)[int(np.argmin(np.abs(q - charge)))])


def _series_max_to(row, key, charge):
    """The largest of the row's stored series ``key`` over its samples up to ``charge`` (nan without it)."""
    series = row.get("series", {})
    if key not in series:
        return math.nan
    q = np.asarray(series["stripped_charge"], dtype=float)
    values = np.asarray(series[key], dtype=float)[q <= charge + 1e-9]
    return float(np.nanmax(values)) if values.size and not np.isnan(values).all() else math.nan


def _f(x, fmt=".2f"):
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def _list(xs, n=6):
    return (", ".join(map(str, xs[:n])) or "none") + (f" … ({len(xs)})" if len(xs) > n else "")


def table(rows: list[dict]) -> str:
    out = ["| case | contact at 0 / 0.25 / 1 / 3 / 4 mAh/cm² | contact < 0.1 at | η at 0.25 / 1 / 3 / 4, highest (mV) | "
           "voids / 100 µm at 0 / 0.05 / 0.125 | median width at 0 / 0.05 / 0.125 (µm) | "
           "splits / collapses / coalescences | largest width, height (µm) | largest width drops at (mAh/cm²) | "
           "largest height drops at | Mg below the contact at the end: mean, largest; > 0.7 at | stop, CPU |",
           "|" + "---|" * 12]
    for r in rows:
        contact = " / ".join(_f(r[f"contact@{c:g}"]) for c in MARKS_mAh_cm2)
        eta = " / ".join(_f(r[f"eta@{c:g}"], ".0f") for c in MARKS_mAh_cm2[1:])
        voids = " / ".join(_f(r[f"voids_per_100um@{c:g}"], ".0f") for c in EARLY_mAh_cm2)
        widths = " / ".join(_f(r[f"width_median@{c:g}"]) for c in EARLY_mAh_cm2)
        mg = (f"{_f(r.get('x_s_mean'), '.3f')}, {_f(r.get('x_s_max'), '.3f')}; {_f(r.get('beyond_bcc_at'), '.3g')}"
              if "x_s_mean" in r else "–")
        out.append(
            f"| {r['case']} | {contact} | {_f(r['fails_at'], '.3g')} | {eta}, {_f(r['eta_max'], '.0f')} | {voids} | "
            f"{widths} | {r['splits']:g} / {r['collapses']:g} / {r['coalescences']:g} | "
            f"{_f(r['largest_width_max'], '.1f')}, {_f(r['largest_height_max'], '.2f')} | "
            f"{_list(r['width_drops_at'])} | {_list(r['height_drops_at'])} | {mg} | "
            f"{r['stop']} at {r['end_charge']:.3g}, {r['cpu_s']:.0f} s |")
    return "\n".join(out)


# seed 004's alloy numbers drawn on the figure (docs/physics.md section 10): early voids per 100 um and widths
# (Li-Mg, Li), and the charges at which Li-Mg's largest width and height drop
SEED_EARLY = {"Li-Mg": ((2, 3), (2.8, 4.8)), "Li": ((16, 18), (0.9, 3.5))}
SEED_DROPS = {"void_width_max": (0.625, 1.0, 2.375), "void_height_max": (0.5, 1.0, 2.625)}


def figure(rows: list[dict], path: str) -> None:
    """Contact, overpotential, voids per 100 um, median, largest width and largest height against charge
    (linear to 1 mAh/cm^2, then log), with seed 004's alloy numbers."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5), sharex=True)
    panels = (("contact_fraction", "contact fraction", 1, False), ("overpotential", "overpotential (mV)", 1, True),
              ("section_voids_per_um", "voids per 100 µm of section", 100, False),
              ("void_width_median", "median void width (µm)", 1, False),
              ("void_width_max", "largest void width (µm)", 1, False),
              ("void_height_max", "largest void height (µm)", 1, False))
    for ax, (key, label, scale, log) in zip(axes.ravel(), panels):
        for r in rows:
            ax.plot(r["series"]["stripped_charge"], scale * np.asarray(r["series"][key], dtype=float),
                    label=r["case"], drawstyle="steps-post", lw=1.2, ls="--" if "no solute" in r["case"] else "-")
        for q in SEED_DROPS.get(key, ()):
            ax.axvline(q, color="k", ls=":", lw=0.8)
        ax.set_ylabel(label)
        ax.set_xscale("symlog", linthresh=1.0, linscale=3.0)
        ax.set_xticks([0, 0.25, 0.5, 1, 2, 4], ["0", "0.25", "0.5", "1", "2", "4"])
        if log:
            ax.set_yscale("log")
    spans = []
    for chem, color in (("Li-Mg", "0.6"), ("Li", "0.85")):
        counts, widths = SEED_EARLY[chem]
        spans.append(axes[0, 2].axhspan(*counts, xmax=0.1, color=color, label=f"seed {chem}, early"))
        axes[1, 0].axhspan(*widths, xmax=0.1, color=color)
    axes[0, 2].legend(handles=spans, fontsize=7, loc="upper right")
    for ax in axes[1]:
        ax.set_xlabel("stripped charge (mAh/cm², linear to 1, then log)")
    axes[0, 0].legend(fontsize=8)
    axes[1, 1].set_title("dotted: the seed's Li–Mg drops", fontsize=8)
    fig.suptitle("kmc meso's resolved section from the pellet's measured face, 0.5 mA/cm², 0.2 MPa unless said "
                 "(benchmarks/alloy_verdict.py)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


SETS = {"Li": "li_li2s", "Li-Mg": "limg_li2s"}


def starts_table() -> str:
    """What each metal's own side offers a void to start from (kmc.physics.foil_face; docs/alloy.md section 5):
    per shipped set, the foil's roughness the press leaves, its film, its inclusions and grain boundaries per
    100 um of section, and how it meets the pellet's pores (its capillary entry pressure at the face's mean pore
    width, the Young angle of its equilibrium L1), with its flow law for an embedded feature at the press's
    rate (a strain of order 1 in meso.assembly_time_s)."""
    from kmc.energetics import interface_energetics
    from kmc.config import load_config
    from kmc.model import flow_law
    from kmc.physics import foil_face, pores
    lines = ["| metal | foil | start | per 100 um | what it is | outlasts the press |", "|---|---|---|---|---|---|"]
    for chem, name in SETS.items():
        st = load_config(ROOT / "params" / f"{name}.toml")
        law, rate = flow_law(st), 1.0 / st.meso.assembly_time_s
        en = interface_energetics(st)
        width = pores.mean_pore_width_um(pores.porosity(st.electrolyte.relative_density), st.electrolyte.particle_diameter_um)
        rows = foil_face.starts_per_100um(foil_face.FoilFace.of(st.foil),
                                          st.meso.assembly_pressure_MPa, lambda w: law.flow_stress_MPa(rate, w), 0.25,
                                          en.surface_energy_J_m2, en.wetting_angle_deg, width,
                                          st.conditions.stack_pressure_MPa)
        for r in rows:
            n = "-" if r["per_100um"] is None else f"{r['per_100um']:.3g}"
            lines.append(f"| {chem} | {st.foil.preparation} | {r['start']} | {n} | {r['note']} | "
                         f"{'yes' if r['survives'] else 'no'} |")
    return "\n".join(lines)


def strength_table() -> str:
    """Li-Mg's strength against Li's (kmc.physics.flow with the [flow] solute rows; docs/alloy.md section 7): the
    model's D*_Li and D_Mg at c_eq, the climb factor per Mg fraction, and the flow stress of an embedded feature
    at stripping's rates (v / w at 0.5 mA/cm^2) for both sets."""
    from kmc.config import load_config
    from kmc.model import cell_transport, flow_law
    from kmc.physics import alloy, vacancy
    st = load_config(ROOT / "params" / "limg_li2s.toml")
    cell = cell_transport(st)
    d_host = vacancy.tracer_diffusivity(cell.vacancy_diffusivity_um2_s, cell.vacancy_equilibrium_fraction)
    d_mg = cell.solute_diffusivity_um2_s(1.0)
    out = [f"D*_Li = {d_host / 1e8:.3g} cm^2/s, D_Mg = {d_mg / 1e8:.3g} cm^2/s at c_eq (ratio {d_mg / d_host:.3f})",
           "| x (Mg) | climb factor eps_alloy / eps_Li | in [flow] |", "|---|---|---|"]
    for x, f in zip(st.flow.solute_rate_fractions, st.flow.solute_rate_factors):
        out.append(f"| {x:g} | {alloy.climb_rate_factor(x, d_host, d_mg):.3f} | {f:g} |")
    v = cell.recession_velocity_um_s
    out += ["", f"flow stress (MPa) of an embedded feature keeping pace with stripping (rate v / w, v = {v * 1e3:.3g} nm/s):",
            "| w (um) | Li | Li-Mg (x = 0.03) | Li-Mg (x = 0.09) |", "|---|---|---|---|"]
    li, limg = flow_law(load_config(ROOT / "params" / "li_li2s.toml")), flow_law(st)
    for w in (0.25, 1.0, 5.0, 20.0):
        out.append(f"| {w:g} | {li.flow_stress_MPa(v / w, w):.3g} | {limg.flow_stress_MPa(v / w, w):.3g} | "
                   f"{limg.flow_stress_MPa(v / w, w, solute_fraction=0.09):.3g} |")
    return "\n".join(out)


ENRICHMENT_CURRENTS_mA_cm2 = (0.05, 0.5)    # seed 004 Fig. 3: Li-Mg stripped 4 mAh/cm^2 at each, EDS after


def enrichment_table(charge_mAh_cm2: float = 4.0) -> str:
    """The Mg enrichment's dependence on the current in the model's own terms (docs/alloy.md section 8): at
    0.05 and 0.5 mA/cm^2, the contact's S (the supersaturation at which the contact's own sink and the sinks 100
    um away carry the current: kmc.physics.vacancy.supersaturation_with_contact_sink, the set's kappa), D_Mg at
    S c_eq (vacancy-enhanced), the recession v, the profile's depth D / v, the quasi-steady subsurface x_s after
    ``charge_mAh_cm2`` in full contact (kmc.physics.solute.subsurface_fraction) and L1's share in segregation
    equilibrium with it (the composition table): the diffusive part and the chemical part of the enrichment."""
    from kmc.config import load_config
    from kmc.energetics import interface_energetics
    from kmc.model import cell_transport, contact_sink_rate_um_s
    from kmc.physics import solute, vacancy
    out = ["| current (mA/cm²) | S at the contact (κ, µm/s) | D_Mg at S c_eq (cm²/s) | v (nm/s) | depth D/v (µm) | "
           f"x_s after {charge_mAh_cm2:g} mAh/cm² | L1's Mg |", "|---|---|---|---|---|---|---|"]
    base = load_config(ROOT / "params" / "limg_li2s.toml")
    table = np.array(interface_energetics(base).composition_table, float)
    for i in ENRICHMENT_CURRENTS_mA_cm2:
        st = load_config(ROOT / "params" / "limg_li2s.toml", [f"conditions.current_density_mA_cm2={i!r}"])
        c = cell_transport(st)
        v, kappa = c.recession_velocity_um_s, contact_sink_rate_um_s(st)
        S = vacancy.supersaturation_with_contact_sink(v, c.sink_distance_um, c.vacancy_diffusivity_um2_s,
                                                      c.vacancy_equilibrium_fraction, kappa, c.sink_supersaturation)
        D = c.solute_diffusivity_um2_s(S)
        h = charge_mAh_cm2 * v * 3600.0 / i                  # the Li stripped: v per (mA/cm^2 h)
        xs = solute.subsurface_fraction(st.composition.solute_fraction, h, v, D)
        theta = float(np.interp(xs, table[:, 0], table[:, 1]))
        out.append(f"| {i:g} | {S:.3g} ({kappa:.3g}) | {D / 1e8:.3g} | {v * 1e3:.3g} | {D / v:.3g} | {xs:.4f} | {theta:.3f} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="", help="comma-separated case names (--list)")
    ap.add_argument("--json", help="append each run's row to this JSON-lines file")
    ap.add_argument("--table", help="print the table of the rows in this JSON-lines file (in --cases' order if given)")
    ap.add_argument("--stop-charge", type=float, help="end each run at this charge (mAh/cm^2; meso.stop_stripped_mAh_cm2) "
                                                      "where the shipped 4 is not affordable (the area)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--verdict", help="the verdict rows of the runs in this JSON-lines file (section: 'Li', 'Li-Mg'; "
                                      "area: --area)")
    ap.add_argument("--area", action="store_true", help="with --verdict: the area's runs ('Li area', 'Li-Mg area ...')")
    ap.add_argument("--figure", nargs=2, metavar=("RUNS_JSONL", "PNG"), help="draw the rows named by --cases")
    ap.add_argument("--starts", action="store_true", help="the metal's own starts per 100 um (docs/alloy.md section 5)")
    ap.add_argument("--strength", action="store_true", help="Li-Mg's flow law against Li's (docs/alloy.md section 7)")
    ap.add_argument("--enrichment", action="store_true",
                    help="the Mg enrichment at 0.05 and 0.5 mA/cm^2 in the model's terms (docs/alloy.md section 8)")
    a = ap.parse_args(argv)
    if a.verdict:
        rows = [json.loads(line) for line in Path(a.verdict).read_text().splitlines() if line.strip()]
        print(verdict(rows, "Li area", "Li-Mg area") if a.area else verdict(rows))
        return 0
    if a.starts or a.strength or a.enrichment:
        print("\n\n".join(t() for t, on in ((starts_table, a.starts), (strength_table, a.strength),
                                              (enrichment_table, a.enrichment)) if on))
        return 0
    wanted = [c.strip() for c in a.cases.split(",") if c.strip()]
    if a.list:
        for name, (chem, sets, what) in CASES.items():
            print(f"{name:32s} {chem:10s} {' '.join(sets) or '-':58s} {what}")
        return 0
    if a.figure or a.table:
        rows = [json.loads(line) for line in Path(a.figure[0] if a.figure else a.table).read_text().splitlines()
                if line.strip()]
        rows = [r for name in wanted for r in rows if r["case"] == name] if wanted else rows
        if a.figure:
            figure(rows, a.figure[1])
        else:
            print(table(rows))
        return 0
    unknown = [c for c in wanted if c not in CASES]
    if unknown or not wanted:
        print(f"error: cases {unknown or '(none)'}; allowed: {', '.join(CASES)}", file=sys.stderr)
        return 2
    for name in wanted:
        row = run_case(name, a.stop_charge)
        print(table([row]).splitlines()[-1], flush=True)
        if a.json:
            with open(a.json, "a") as fh:
                fh.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
