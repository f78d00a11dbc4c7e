"""L1 Mg fraction, box Mg and Mg passed into the electrode against stripped charge, for Li
and Li-Mg (kmc/electrode.py couples the box to a solute continuum below it).

    # the runs (one at a time; wall times in docs/validation.md)
    kmc run params/limg_li2s.toml -o runs/h18/limg_02.h5 --set run.stop_stripped_monolayers=50 \
        --set run.stop_stripped_mAh_cm2=0 --set run.stop_wall_s=900
    kmc run params/li_li2s.toml -o runs/h18/li_02.h5 --set run.stop_stripped_monolayers=10 \
        --set run.stop_stripped_mAh_cm2=0 --set run.stop_wall_s=600
    kmc run params/limg_li2s.toml -o runs/h18/limg_5.h5 --set run.stop_stripped_monolayers=50 \
        --set run.stop_stripped_mAh_cm2=0 --set conditions.stack_pressure_MPa=5 --set run.stop_wall_s=900
    # the figure and a table
    python benchmarks/validation/electrode_mg.py runs/h18/li_02.h5 runs/h18/limg_02.h5 runs/h18/limg_5.h5 \
        --figure docs/electrode_mg.png
"""
import argparse
from pathlib import Path

import h5py
import numpy as np

NAMES = ("stripped_monolayers", "contact_fraction", "interface_solute_fraction", "box_solute_fraction",
         "solute_to_electrode", "bottom_vacancy_fraction", "solute_diffusivity")


def series(path):
    with h5py.File(path, "r") as f:
        out = {n: f["observables"][n]["value"][()] for n in NAMES}
        p = f["parameters"].attrs
        label = (f"{p['model.name']}, {p['conditions.stack_pressure_MPa']:g} MPa, "
                 f"stop: {f['run'].attrs.get('stop_reason', '?')}")
    return out, label


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--figure", default="")
    a = ap.parse_args()
    runs = [series(p) for p in a.files]
    for (s, label), path in zip(runs, a.files):
        print(f"{path}: {label}")
        print("  ML     contact  L1 Mg   box Mg   Mg->electrode(ML)  c_v(bottom)  D_Mg(bottom, cm2/s)")
        ml = s["stripped_monolayers"]
        for target in (0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50):
            if target > ml[-1] + 1e-9:
                break
            i = int(np.searchsorted(ml, target - 1e-9))
            i = min(i, ml.size - 1)
            print(f"  {ml[i]:5.2f}  {s['contact_fraction'][i]:.3f}   {s['interface_solute_fraction'][i]:.3f}   "
                  f"{s['box_solute_fraction'][i]:.4f}   {s['solute_to_electrode'][i]:8.4f}          "
                  f"{s['bottom_vacancy_fraction'][i]:.2e}     {s['solute_diffusivity'][i]:.2e}")
        print(f"  end {ml[-1]:.2f} ML: contact {s['contact_fraction'][-1]:.3f}, L1 Mg {s['interface_solute_fraction'][-1]:.3f}")
    if a.figure:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
        for s, label in runs:
            ml = s["stripped_monolayers"]
            l1 = np.nan_to_num(s["interface_solute_fraction"], nan=0.0)
            ax[0].plot(ml, l1, label=label)
            ax[1].plot(ml, s["contact_fraction"], label=label)
            ax[2].plot(ml, s["box_solute_fraction"], label=label)
        ml = np.linspace(0, max(s["stripped_monolayers"][-1] for s, _ in runs), 50)
        ax[0].plot(ml, np.minimum(0.03 + ml * 0.03 / 0.97, 1), "k--", lw=0.8,
                   label="all Mg of the stripped Li0.97Mg0.03 kept in a full L1")
        ax[0].set_ylabel("Mg / metal atoms in L1")
        ax[1].set_ylabel("contact fraction")
        ax[2].set_ylabel("Mg / metal atoms in the box")
        for x in ax:
            x.set_xlabel("stripped monolayers")
        ax[0].legend(fontsize=7)
        fig.tight_layout()
        Path(a.figure).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(a.figure, dpi=120)
        print("wrote", a.figure)


if __name__ == "__main__":
    main()
