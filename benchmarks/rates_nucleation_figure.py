"""docs/rates_nucleation.png and the markdown table of docs/rates.md from
runs/out/rates_nucleation.json (benchmarks/rates_nucleation.py)."""
from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from kmc.config import load_config, resolve_params  # noqa: E402
from kmc.kinetics.steady import cell_supersaturation  # noqa: E402

LABEL = {"li_li2s": "Li / Li2S", "limg_li2s": "Li-Mg (3 % Mg, random) / Li2S"}


def main(path="runs/out/rates_nucleation.json", out="docs/rates_nucleation.png"):
    rows = json.load(open(path))
    S_cell = cell_supersaturation(load_config(resolve_params("li_li2s")))
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for k, (name, colour) in enumerate((("li_li2s", "C0"), ("limg_li2s", "C3"))):
        rs = sorted((r for r in rows if r["params"] == name), key=lambda r: r["S"])
        pts = [r for r in rs if r["rate"] > 0]
        shift = 1.0 + 0.03 * k
        ax.errorbar([r["S"] * shift for r in pts], [r["rate"] for r in pts],
                    yerr=[[min(r["error"], 0.9 * r["rate"]) for r in pts], [r["error"] for r in pts]],
                    fmt="o-", color=colour, label=LABEL[name], capsize=3)
        ub = [r for r in rs if r["rate"] == 0 and r.get("upper_bound")]
        if ub:
            ax.plot([r["S"] * shift for r in ub], [r["upper_bound"] for r in ub], "v", color=colour, ms=9,
                    label=f"{LABEL[name]}: 95 % upper bound")
    ax.axvline(S_cell, color="k", ls="--", lw=1, label=f"the seed's cell: S = {S_cell:.0f} (0.5 mA/cm², sinks 100 µm)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("interface vacancy supersaturation S = c_v / c_eq")
    ax.set_ylabel("nucleation rate I (per µm² per s)")
    ax.set_title("Interface void nucleation at physical kinetics, 298 K", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print("| chemistry | S | method | I (1/(µm² s)) | se | P per stage | CNT n*, ΔG* (eV) | wall (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["params"], r["S"])):
        rate = f"{r['rate']:.3g}" if r["rate"] > 0 else f"< {r['upper_bound']:.2g}" if r.get("upper_bound") else "0"
        probs = " ".join(f"{p:.2g}" for p in r.get("probabilities", [])) or "—"
        print(f"| {r['params']} | {r['S']:g} | {r['method']} | {rate} | {r['error']:.2g} | {probs} | "
              f"{r['cnt_critical_vacancies']:.0f}, {r['cnt_barrier_eV']:.2f} | {r['wall_s']:.0f} |")



def nuclei_row(path="runs/out/rates_nucleation.json"):
    """Expected nuclei in each chemistry's default run against A (docs/rates.md section 5)."""
    from kmc.kinetics import acceleration as ac
    rows = json.load(open(path))
    for name in ("li_li2s", "limg_li2s"):
        s = load_config(resolve_params(name))
        rate = ac.interpolated_rate(rows, name)
        cells = [f"{ac.expected_nuclei(s, rate, A):.2g}" for A in (1, 1e3, 1e4, 2e4, 1e5, 1e6)]
        print(name, "| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:])
    nuclei_row(*sys.argv[1:2])
