"""The alloy's answer (issue 55 item 4; docs/alloy.md): Li-Mg against Li on `kmc meso`'s resolved section,
with the solute along the interface (kmc.resolved.solute) on and off, with and without the solid-solution
bound on creep, from 0.2 to 50 MPa, and with the inputs that decide the solute's rows at their errors.

    python benchmarks/alloy_verdict.py --list                       # the cases, what each changes
    python benchmarks/alloy_verdict.py --cases "Li pores,Li-Mg pores" --json runs.jsonl
    python benchmarks/alloy_verdict.py --table runs.jsonl           # the table of docs/alloy.md
    python benchmarks/alloy_verdict.py --figure runs.jsonl docs/alloy.png --cases "Li pores,Li-Mg pores"

Two starts.  "default": the shipped inputs as `kmc meso` runs them (the assembly's press closes the
electrolyte's polished face, nothing nucleates at S = 9.5).  "pores": the same section started from
an unpressed gap of open pores, the same for both chemistries, as issue 54's check did until the
pellet's measured face lands: 17 % of the section open (Singh et al. 2022: cold-pressed Li6PS5Cl is
~83 % dense; open area fraction = porosity for isotropic pores), pores 0.5-2 um wide (uniform), 0.5 um
deep, placed at random (stream [seed, 2]); guessed sizes, not the seed's, and never varied toward it.
Each row: contact and overpotential at 1 and 4 mAh/cm^2, voids per 100 um and median width early
(0.05 and 0.25 mAh/cm^2), splits and collapses counted by the section, how often the largest width and
height drop between samples, the Mg just below the contact at the end (mean and largest), CPU.
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

PORE_FRACTION = 0.17            # open area fraction of the pellet's face (83 % dense; PHYSICS.md section 9)
PORE_WIDTHS_UM = (0.5, 2.0)     # issue 54's guessed range
PORE_DEPTH_UM = 0.5
PORE_STREAM = 2
# the DFT D_Mg (2.06e-13 cm^2/s, seed Supp. Table 1, no formation entropy) against the model's 7.0e-12 at c_eq
# (docs/rates.md): the factor by which the solute's D is uncertain, applied downward (a slower D gathers more)
D_MG_DFT_OVER_MODEL = 2.06e-13 / 7.0e-12
PRESSURES_MPa = (0.2, 1.0, 7.0, 20.0, 50.0)
FAILED_CONTACT = 0.1
# bcc Li-Mg holds up to ~70 at.% Mg (Aspinall et al. 2024, Fig. 1's phase diagram); the composition table's top
BCC_LIMIT = 0.7

# name: (chemistry, start, --set overrides, what the case changes)
CASES = {
    "Li default": ("li_li2s", "default", [], "the shipped run"),
    "Li-Mg default": ("limg_li2s", "default", [], "the shipped run, solute field on"),
    "Li-Mg default no solute field": ("limg_li2s", "default", ["meso.solute_field='off'"], "the model before issue 55"),
    "Li pores": ("li_li2s", "pores", [], "the pore start"),
    "Li-Mg pores": ("limg_li2s", "pores", [], "the pore start, solute field on"),
    "Li-Mg pores no solute field": ("limg_li2s", "pores", ["meso.solute_field='off'"], "the model before issue 55"),
    "Li-Mg pores Labusch bound": ("limg_li2s", "pores", ["meso.solute_strengthening='labusch_bound'"],
                                   "creep slowed by (x/x_s)^(2n/3) over enriched metal"),
    "Li-Mg pores D_Mg DFT": ("limg_li2s", "pores", ["@solute_diffusivity"],
                              f"D_Mg x {D_MG_DFT_OVER_MODEL:.3f} (the seed's DFT value, no formation entropy)"),
    "Li-Mg pores i0 x 0.1": ("limg_li2s", "pores", ["conditions.exchange_current_mA_cm2=0.1"],
                              "exchange current a decade lower (its shipped 1 mA/cm^2 is an order of magnitude)"),
    **{f"{chem} pores seed {k}": (params, "pores", [f"run.seed={k}"], "another draw of the pores (and of nucleation)")
       for chem, params in (("Li", "li_li2s"), ("Li-Mg", "limg_li2s")) for k in (2, 3)},
    "Li-Mg pores 1.5 MPa": ("limg_li2s", "pores", ["conditions.stack_pressure_MPa=1.5"], "pressure scan"),
    "Li pores 1.5 MPa": ("li_li2s", "pores", ["conditions.stack_pressure_MPa=1.5"], "Li at the seed's holding pressure"),
    "Li pores 1 MPa": ("li_li2s", "pores", ["conditions.stack_pressure_MPa=1.0"], "Li beside Li-Mg's 1 MPa"),
    "Li-Mg pores 1 MPa no solute field": ("limg_li2s", "pores", ["conditions.stack_pressure_MPa=1.0",
                                                                 "meso.solute_field='off'"], "the 1 MPa splits without the Mg field"),
    **{f"Li-Mg pores {p:g} MPa": ("limg_li2s", "pores", [f"conditions.stack_pressure_MPa={p!r}"], "pressure scan")
       for p in PRESSURES_MPa if p != 0.2},
    **{f"Li-Mg default {p:g} MPa": ("limg_li2s", "default", [f"conditions.stack_pressure_MPa={p!r}"], "pressure scan")
       for p in PRESSURES_MPa if p != 0.2},
}


def pore_gap(cells: int, cell_um: float, seed: int) -> np.ndarray:
    """The pore start (module docstring): pores placed left to right at random gaps until the open share
    reaches PORE_FRACTION, then the whole pattern shifted by a random offset (periodic)."""
    rng = np.random.default_rng([seed, PORE_STREAM])
    gap = np.zeros(cells)
    width_cells = [int(round(rng.uniform(*PORE_WIDTHS_UM) / cell_um))]
    while sum(width_cells) < PORE_FRACTION * cells:
        width_cells.append(int(round(rng.uniform(*PORE_WIDTHS_UM) / cell_um)))
    free = cells - sum(width_cells)
    cuts = np.sort(rng.choice(free, len(width_cells), replace=False))       # contact cells before each pore
    spacing = np.diff(np.concatenate([[0], cuts]))
    at = 0
    for w, s in zip(width_cells, np.maximum(spacing, 1)):
        at += int(s)
        gap[(at + np.arange(w)) % cells] = PORE_DEPTH_UM
        at += w
    return np.roll(gap, int(rng.integers(cells)))


def drops(series: np.ndarray, tolerance: float) -> list[int]:
    """Sample indices where the series falls by more than ``tolerance`` from the sample before."""
    d = np.diff(series)
    return [int(i) + 1 for i in np.flatnonzero(d < -tolerance)]


class Progress:
    """Says on stderr when a run passes each 0.5 mAh/cm^2 (the pore runs take CPU-minutes)."""

    def __init__(self, name: str, model=None, state=None):
        self.name, self.next, self.t0 = name, 0.5, time.process_time()
        self.model, self.state = model, state
        self.beyond_bcc_at = None          # the first sample with Mg below a contact cell above the table's top

    def on_sample(self, time_s, sample):
        if self.state is not None and self.model.solute is not None and self.beyond_bcc_at is None:
            xs = self.model.solute.subsurface_fraction(self.state.solute)
            if (xs[self.state.gap_um == 0] > BCC_LIMIT).any():
                self.beyond_bcc_at = sample["stripped_charge"]
        if sample["stripped_charge"] >= self.next - 1e-9:
            print(f"  {self.name}: {sample['stripped_charge']:.2f} mAh/cm2, contact {sample['contact_fraction']:.3f}, "
                  f"{time.process_time() - self.t0:.0f} s CPU", file=sys.stderr, flush=True)
            self.next += 0.5

    def on_step(self, report):
        return False


def run_case(name: str) -> dict:
    from kmc.config import load_config
    from kmc.resolved.interface import ResolvedInterface, resolved_inputs
    from kmc.resolved.run import run
    chem, start, sets, _ = CASES[name]
    # a pore run stops where the verdict calls it failed (docs/mechanics.md section 9: contact < 0.1, the
    # seed's ~90 % loss): below that the section's last islands take CPU-minutes and the seed's regime is over
    stop = [f"meso.stop_contact_fraction={FAILED_CONTACT!r}"] if start == "pores" else []
    settings = load_config(ROOT / "params" / f"{chem}.toml", stop + [s for s in sets if not s.startswith("@")])
    inp = resolved_inputs(settings)
    if "@solute_diffusivity" in sets:
        inp = replace(inp, solute_diffusivity_per_vacancy_um2_s=inp.solute_diffusivity_per_vacancy_um2_s
                      * D_MG_DFT_OVER_MODEL)
    t0 = time.process_time()
    model = ResolvedInterface(inp)
    state = model.initial_state(pore_gap(inp.cells, inp.cell_um, inp.seed)) if start == "pores" else None
    progress = Progress(name, model, state)
    result = run(inp, progress, model=model, state=state)
    s = {k: np.asarray(v) for k, v in result.series.items()}
    q = s["stripped_charge"]

    def at(charge, key):
        i = int(np.argmin(np.abs(q - charge)))
        return float(s[key][i]) if abs(q[i] - charge) < 0.02 else math.nan
    row = dict(case=name, chem=chem, start=start, sets=sets, stop=result.stop_reason, steps=result.steps,
               cpu_s=time.process_time() - t0, end_charge=float(q[-1]))
    for c in (0.05, 0.25, 1.0, 4.0):
        row[f"contact@{c:g}"] = at(c, "contact_fraction")
        row[f"eta@{c:g}"] = at(c, "overpotential")
        row[f"voids_per_100um@{c:g}"] = 100 * at(c, "section_voids_per_um")
        row[f"width_median@{c:g}"] = at(c, "void_width_median")
    row["eta_max"] = float(np.nanmax(s["overpotential"]))
    for k in ("splits", "collapses", "coalescences", "nucleated"):
        row[k] = float(s[k][-1])
    cell = inp.cell_um
    w, h = np.nan_to_num(s["void_width_max"]), np.nan_to_num(s["void_height_max"])
    row["largest_width_max"], row["largest_height_max"] = float(w.max()), float(h.max())
    row["width_drops_at"] = [round(float(q[i]), 3) for i in drops(w, 1.5 * cell)]
    row["height_drops_at"] = [round(float(q[i]), 3) for i in drops(h, 0.05)]
    row["series"] = {k: s[k].tolist() for k in ("stripped_charge", "contact_fraction", "overpotential",
                                                "section_voids_per_um", "void_width_max", "void_height_max")}
    if model.solute is not None:
        xs = model.solute.subsurface_fraction(result.final.solute)
        contact = result.final.gap_um == 0
        row["x_s_mean"], row["x_s_max"] = float(xs.mean()), float(xs.max())
        row["x_s_contact_range"] = [float(xs[contact].min()), float(xs[contact].max())] if contact.any() else None
        row["beyond_bcc_at"] = progress.beyond_bcc_at
    return row


def table(rows: list[dict]) -> str:
    def f(x, fmt=".2f"):
        return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)
    out = ["| case | contact at 1 / 4 mAh/cm² | η at 1 / 4, highest (mV) | voids / 100 µm at 0.05 / 0.25 | "
           "median width at 0.05 / 0.25 (µm) | splits / collapses / coalescences | largest width, height (µm) | "
           "largest width drops at (mAh/cm²) | largest height drops at | Mg below the contact at the end: mean, largest | "
           "stop, CPU |", "|" + "---|" * 11]
    for r in rows:
        out.append(
            f"| {r['case']} | {f(r['contact@1'])} / {f(r['contact@4'])} | {f(r['eta@1'], '.1f')} / {f(r['eta@4'], '.1f')}, "
            f"{f(r['eta_max'], '.1f')} | {f(r['voids_per_100um@0.05'], '.1f')} / {f(r['voids_per_100um@0.25'], '.1f')} | "
            f"{f(r['width_median@0.05'])} / {f(r['width_median@0.25'])} | {r['splits']:g} / {r['collapses']:g} / "
            f"{r['coalescences']:g} | {f(r['largest_width_max'], '.1f')}, {f(r['largest_height_max'], '.2f')} | "
            f"{', '.join(map(str, r['width_drops_at'][:6])) or 'none'}{' …' if len(r['width_drops_at']) > 6 else ''} | "
            f"{', '.join(map(str, r['height_drops_at'][:6])) or 'none'}{' …' if len(r['height_drops_at']) > 6 else ''} | "
            f"{f(r.get('x_s_mean'), '.3f')}, {f(r.get('x_s_max'), '.3f')} | {r['stop']} at {r['end_charge']:.2f}, "
            f"{r['cpu_s']:.0f} s |")
    return "\n".join(out)


def figure(rows: list[dict], path: str) -> None:
    """Contact, overpotential, largest width and largest height against charge, one line per row."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    panels = (("contact_fraction", "contact fraction", False), ("overpotential", "overpotential (mV)", True),
              ("void_width_max", "largest void width (µm)", False), ("void_height_max", "largest void height (µm)", False))
    for ax, (key, label, log) in zip(axes.ravel(), panels):
        for r in rows:
            ax.plot(r["series"]["stripped_charge"], r["series"][key], label=r["case"])
        ax.set_ylabel(label)
        if log:
            ax.set_yscale("log")
    for ax in axes[1]:
        ax.set_xlabel("stripped charge (mAh/cm²)")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("resolved section, 0.5 mA/cm², from the same pores (benchmarks/alloy_verdict.py)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="", help="comma-separated case names (--list)")
    ap.add_argument("--json", help="append each run's row to this JSON-lines file")
    ap.add_argument("--table", help="print the table of the rows in this JSON-lines file")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--figure", nargs=2, metavar=("RUNS_JSONL", "PNG"), help="draw the rows named by --cases")
    a = ap.parse_args(argv)
    if a.list:
        for name, (chem, start, sets, what) in CASES.items():
            print(f"{name:34s} {chem:10s} {start:8s} {' '.join(sets) or '-':45s} {what}")
        return 0
    if a.figure:
        rows = [json.loads(line) for line in Path(a.figure[0]).read_text().splitlines() if line.strip()]
        wanted = [c.strip() for c in a.cases.split(",") if c.strip()]
        figure([r for name in wanted for r in rows if r["case"] == name] if wanted else rows, a.figure[1])
        return 0
    if a.table:
        rows = [json.loads(line) for line in Path(a.table).read_text().splitlines() if line.strip()]
        print(table(rows))
        return 0
    names = [c.strip() for c in a.cases.split(",") if c.strip()]
    unknown = [c for c in names if c not in CASES]
    if unknown or not names:
        print(f"error: cases {unknown or '(none)'}; allowed: {', '.join(CASES)}", file=sys.stderr)
        return 2
    for name in names:
        row = run_case(name)
        print(table([row]).splitlines()[-1], flush=True)
        if a.json:
            with open(a.json, "a") as fh:
                fh.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
