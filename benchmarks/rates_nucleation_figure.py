"""docs/rates_nucleation.png and the markdown table of docs/rates.md from
runs/out/rates_nucleation.json (benchmarks/rates_nucleation.py)."""
from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from kmc.config import load_config, resolve_params  # noqa: E402
from kmc.model import cell_supersaturation  # noqa: E402

LABEL = {("li_li2s", "random"): "Li / Li2S", ("limg_li2s", "random"): "Li-Mg / Li2S, random-alloy L1 (3 % Mg)",
         ("limg_li2s", "equilibrium"): "Li-Mg / Li2S, equilibrium L1 (0.593 Mg)"}
SERIES = ((("li_li2s", "random"), "C0"), (("limg_li2s", "random"), "C3"), (("limg_li2s", "equilibrium"), "C2"))


def start(row) -> str:
    """The L1 a row was measured from (rows written before the l1 key: the random alloy)."""
    return row.get("l1", "random")


def main(path="runs/out/rates_nucleation.json", out="docs/rates_nucleation.png"):
    rows = json.load(open(path))
    S_cell = cell_supersaturation(load_config(resolve_params("li_li2s")))
    fig, ax = plt.subplots(figsize=(7.0, 5.6))
    for k, (key, colour) in enumerate(SERIES):
        rs = sorted((r for r in rows if (r["params"], start(r)) == key), key=lambda r: r["S"])
        # one row per S on the line (the first given); further estimates at the same S as open markers
        pts, extra = [], []
        for r in (r for r in rs if r["rate"] > 0):
            (extra if pts and pts[-1]["S"] == r["S"] else pts).append(r)
        shift = 1.0 + 0.03 * k
        ax.errorbar([r["S"] * shift for r in pts], [r["rate"] for r in pts],
                    yerr=[[min(r["error"], 0.9 * r["rate"]) for r in pts], [r["error"] for r in pts]],
                    fmt="o-", color=colour, label=LABEL[key], capsize=3)
        if extra:
            ax.plot([r["S"] * shift for r in extra], [r["rate"] for r in extra], "o", color=colour, mfc="white",
                    label=f"{LABEL[key]}: other estimates")
        ub = [r for r in rs if r["rate"] == 0 and r.get("upper_bound")]
        if ub:
            ax.plot([r["S"] * shift for r in ub], [r["upper_bound"] for r in ub], "v", color=colour, ms=9,
                    label=f"{LABEL[key]}: 95 % upper bound")
    ax.axvline(S_cell, color="k", ls="--", lw=1, label=f"the seed's cell: S = {S_cell:.0f} (0.5 mA/cm², sinks 100 µm)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("interface vacancy supersaturation S = c_v / c_eq")
    ax.set_ylabel("nucleation rate I (per µm² per s)")
    ax.set_title("Interface void nucleation at physical kinetics, 298 K", fontsize=10)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print("| chemistry | S | method | I (1/(µm² s)) | se | P per stage | CNT n*, ΔG* (eV) | wall (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["params"], start(r), r["S"])):
        rate = f"{r['rate']:.3g}" if r["rate"] > 0 else f"< {r['upper_bound']:.2g}" if r.get("upper_bound") else "0"
        probs = " ".join(f"{p:.2g}" for p in r.get("probabilities", [])) or "—"
        print(f"| {r['params']} ({start(r)} L1) | {r['S']:g} | {r['method']} | {rate} | {r['error']:.2g} | {probs} | "
              f"{r['cnt_critical_vacancies']:.0f}, {r['cnt_barrier_eV']:.2f} | {r['wall_s']:.0f} |")



def nuclei_row(path="runs/out/rates_nucleation.json"):
    """Expected nuclei in each chemistry's default run against A (docs/rates.md section 5)."""
    from kmc import acceleration as ac
    rows = [r for r in json.load(open(path)) if start(r) == "random"]    # kmc run's box starts random
    for name in ("li_li2s", "limg_li2s"):
        s = load_config(resolve_params(name))
        rate = ac.interpolated_rate(rows, name)
        cells = [f"{ac.expected_nuclei(s, rate, A):.2g}" for A in (1, 1e3, 1e4, 2e4, 1e5, 1e6)]
        print(name, "| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:])
    nuclei_row(*sys.argv[1:2])
