"""The interface before stripping (docs/mechanics.md section 5a): what the seed's
assembly (the foil pressed onto the electrolyte's face at 50 MPa for 30 s) leaves, for the seed's
polished face and for the rougher faces of unpolished pellets, with bulk creep and with the size
effect of Li ligaments (a sensitivity), over several random faces.

    python benchmarks/meso_assembly.py --table                  # the press table (~5 min on one core)
    python benchmarks/meso_assembly.py --table --strip          # + Li stripped at 0.2 MPa from each
                                                                #   face the press leaves open (~10 min)
    python benchmarks/meso_assembly.py --views 20,40,80,160,320,640 --seeds 1 2 3 --table   # the shipped
                                  # porous face's contact after the press against the view (~1.5 min)
    python benchmarks/meso_assembly.py --views 20x5,40x10 --seeds 1 2 3 --table   # on areas (~30 s; 80x20:
                                  # ~40 s per face and seed, 160x40: 2.5-4.5 min)

Each row: the face (RMS over the 160 um section, Hurst exponent of the parameter file), the law,
and over the faces' seeds: contact before and after the press (mean, smallest), when the last gap
closed (the latest; "open" if one stays open), the largest gap left, wall time.  With --strip,
each face the press leaves open is stripped on (Li, 0.2 MPa, 0.5 mA/cm^2, the shipped set) and
its contact and overpotential at 1 and 4 mAh/cm^2 are printed.

--views: the shipped face (the pellet's pores under the envelope) pressed on sections (L) and areas
(W x D um), contact after the press per seed for: the shipped face (the envelope's RMS over the view);
no envelope (pores only); the envelope with the RMS a view of that length has if the shipped RMS is
the one over 160 um, RMS (L / 160 um)^H (at 160 um the shipped face); the envelope alone (no pores).
--set KEY=VALUE applies to every face (e.g. flow.onset_hardness_MPa=0: dislocation sources at every size).  docs/area.md section 1.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from kmc.mechanisms import BULK_LAW_OVERRIDES, PILLAR_OVERRIDES  # noqa: E402

# (label, RMS over the section in um); sources in params/li_li2s.toml's [meso] and docs/physics.md section 7
FACES = (("seed 004: pellet pressed on a plunger of RMS < 0.1 um (the bound)", 0.1),
         ("unpolished Li6PS5Cl pellet, small grains, R_q 1.1 um (Singh et al. 2022)", 1.1),
         ("unpolished Li6PS5Cl pellet, large grains, R_q 6.5 um (Singh et al. 2022)", 6.5))
# the law: bulk creep ([creep]), or the micropillars' size effect on every island (docs/mechanics.md §5b's mechanics:
# flow.interface_features = 'free_standing', Xu et al., PNAS 114, 57 (2017), 105 MPa at 1.4 um).
# These faces are the roughness envelope alone (electrolyte.relative_density = 1, no pores: the
# envelope's own study); the pellet's pores are docs/mechanics.md section 5b's.
DENSE = ["electrolyte.relative_density=1"]
LAWS = (("bulk creep", [*BULK_LAW_OVERRIDES, *DENSE]), ("size effect, 105 MPa at 1.4 um", [*PILLAR_OVERRIDES, *DENSE]))
SEEDS = (1, 2, 3, 4, 5)
MARKS_mAh_cm2 = (1.0, 4.0)


def _settings(rms_um: float, law_sets: list[str], seed: int):
    from kmc.config import load_config
    return load_config(ROOT / "params" / "li_li2s.toml",
                       [f"meso.electrolyte_roughness_rms_um={rms_um}", f"run.seed={seed}", *law_sets])


def press_rows(faces=FACES, laws=LAWS, seeds=SEEDS) -> list[dict]:
    from kmc.resolved.assembly import press
    from kmc.launch import cell_inputs_of
    from kmc.resolved.assembly import ASSEMBLY_STREAM
    from kmc.resolved.section import SectionModel
    rows = []
    for face, rms in faces:
        for law, sets in laws:
            model = None
            per_seed = []
            start = time.perf_counter()
            for seed in seeds:
                inp = cell_inputs_of(_settings(rms, sets, seed), width_um=160.0, cell_um=0.25)
                model = SectionModel(inp, mechanics=model.mechanics if model is not None else None)
                per_seed.append(press(model, inp.assembly, np.random.default_rng([seed, ASSEMBLY_STREAM])))
            after = np.array([r.contact_after for r in per_seed])
            closed = [r.closed_at_s for r in per_seed]
            rows.append(dict(face=face, rms_um=rms, hurst=inp.assembly.hurst_exponent, law=law, seeds=list(seeds),
                             contact_before=float(np.mean([r.contact_before for r in per_seed])),
                             contact_after_mean=float(after.mean()), contact_after_min=float(after.min()),
                             closed_by_s=None if None in closed else float(max(closed)),
                             largest_gap_left_um=float(max(r.gap_um.max() for r in per_seed)),
                             steps=[r.steps for r in per_seed], wall_time_s=time.perf_counter() - start,
                             load=os.getloadavg()[0]))
            print(f"  {face}, {law}: contact {after.mean():.3f} after the press", file=sys.stderr, flush=True)
    return rows


def strip_rows(rows: list[dict]) -> list[dict]:
    """Li at the shipped 0.2 MPa, 0.5 mA/cm^2 stripped from every face (seed) the press left open."""
    from kmc.cell.loop import run
    from kmc.launch import cell_inputs_of
    from kmc.resolved.section import SectionModel
    out = []
    for row in rows:
        if row["closed_by_s"] is not None:
            continue
        law_sets = dict(LAWS)[row["law"]]
        for seed in row["seeds"]:
            inp = cell_inputs_of(_settings(row["rms_um"], law_sets, seed), width_um=160.0, cell_um=0.25,
                                  output_every_mAh_cm2=0.05)
            start = time.perf_counter()
            result = run(SectionModel(inp))
            s = result.series
            q = s["stripped_charge"]
            marks = {f"at_{m:g}": dict(contact=float(np.interp(m, q, s["contact_fraction"])),
                                       overpotential_mV=float(np.interp(m, q, s["overpotential"])))
                     for m in MARKS_mAh_cm2 if q[-1] >= m - 1e-9}
            out.append(dict(face=row["face"], rms_um=row["rms_um"], law=row["law"], seed=seed, contact_start=float(s["contact_fraction"][0]),
                            stop_reason=result.stop_reason, stripped_mAh_cm2=float(q[-1]),
                            voids_per_100um_end=100 * float(s["section_voids_per_um"][-1]), **marks,
                            wall_time_s=time.perf_counter() - start))
            print(f"  stripped {row['face']}, {row['law']}, seed {seed}", file=sys.stderr, flush=True)
    return out


def view_rows(views: list[str], seeds, sets: list[str]) -> list[dict]:
    """Contact after the press on each view ('L': a section L um long, 'WxD': an area) and face (--views)."""
    from kmc.config import load_config
    from kmc.launch import cell_model_of
    from kmc.resolved.assembly import ASSEMBLY_STREAM, press
    meso = load_config(ROOT / "params" / "li_li2s.toml", sets).meso
    rows = []
    for view in views:
        width, depth = (float(v) for v in (view.lower().split("x") if "x" in view.lower() else (view, 0)))
        rms_L = meso.electrolyte_roughness_rms_um * (width / 160.0) ** meso.electrolyte_roughness_hurst
        faces = [("shipped", []), ("no envelope", ["meso.electrolyte_roughness_rms_um=0"]),
                 ("no pores", ["electrolyte.relative_density=1"])]
        if not math.isclose(rms_L, meso.electrolyte_roughness_rms_um):      # at 160 um: the shipped face
            faces.insert(2, (f"envelope, RMS(L) = {rms_L:.3g} um", [f"meso.electrolyte_roughness_rms_um={rms_L!r}"]))
        for face, face_sets in faces:
            after, open_pores, start = [], [], time.process_time()
            for seed in seeds:
                settings = load_config(ROOT / "params" / "li_li2s.toml", [
                    f"meso.interface={'area' if depth else 'section'}", f"meso.width_um={width}",
                    f"meso.depth_um={depth}", f"run.seed={seed}", *sets, *face_sets])
                model = cell_model_of(settings)
                # the model's start: its face and press from their own stream of the seed
                r = press(model, model.inp.assembly, np.random.default_rng([seed, ASSEMBLY_STREAM]))
                after.append(r.contact_after)
                open_pores.append(r.open_face)
            rows.append(dict(view=view, face=face, seeds=list(seeds), contact_after=after, pore_share=open_pores,
                             cpu_s=time.process_time() - start))
            print(f"  {view}, {face}: contact {', '.join(f'{c:.3f}' for c in after)} after the press", file=sys.stderr,
                  flush=True)
    return rows


def view_table(rows: list[dict]) -> str:
    lines = ["| view (um) | face | contact after the press, per seed | 1 - open pore share | CPU |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['view']} | {r['face']} | {', '.join(f'{c:.3f}' for c in r['contact_after'])} | "
                     f"{', '.join(f'{1 - p:.3f}' for p in r['pore_share'])} | {r['cpu_s']:.0f} s |")
    return "\n".join(lines)


def press_table(rows: list[dict]) -> str:
    lines = ["| face (RMS over 160 um, H) | law | contact before -> after the press (mean; smallest) | "
             "last gap closed by | largest gap left | wall |", "|---|---|---|---|---|---|"]
    for r in rows:
        closed = f"{r['closed_by_s']:.2g} s" if r["closed_by_s"] is not None else "open at 30 s"
        lines.append(f"| {r['face']} ({r['rms_um']:g} um, {r['hurst']:g}) | {r['law']} | {r['contact_before']:.4f} -> "
                     f"{r['contact_after_mean']:.3f}; {r['contact_after_min']:.3f} | {closed} | "
                     f"{r['largest_gap_left_um']:.3g} um | {r['wall_time_s']:.0f} s |")
    return "\n".join(lines)


def strip_table(rows: list[dict]) -> str:
    lines = ["| face, law, face's seed | contact at start | contact / eta at 1 mAh/cm2 | at 4 mAh/cm2 | "
             "voids per 100 um at the end | wall |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = []
        for m in MARKS_mAh_cm2:
            v = r.get(f"at_{m:g}")
            cells.append(f"{v['contact']:.3f} / {v['overpotential_mV']:.1f} mV" if v else f"stopped ({r['stop_reason']})")
        lines.append(f"| RMS {r['rms_um']:g} um, {r['law']}, {r['seed']} | {r['contact_start']:.3f} | "
                     f"{cells[0]} | {cells[1]} | {r['voids_per_100um_end']:.1f} | {r['wall_time_s']:.0f} s |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", action="store_true", help="markdown tables, not JSON")
    parser.add_argument("--strip", action="store_true", help="strip Li from every face the press leaves open")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), help="the faces' seeds (run.seed)")
    parser.add_argument("--faces", type=int, nargs="+", default=list(range(len(FACES))),
                        help="which FACES (0: the seed's bound, 1: 1.1 um, 2: 6.5 um)")
    parser.add_argument("--views", default=None,
                        help="comma-separated views: L (a section, um) or WxD (an area, um), e.g. 20,160,20x5")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="section.key=value (--views)")
    args = parser.parse_args(argv)
    if args.views:
        rows = view_rows(args.views.split(","), tuple(args.seeds), args.sets)
        print(view_table(rows) if args.table else json.dumps(rows, indent=1, default=float))
        return
    rows = press_rows([FACES[k] for k in args.faces], LAWS, tuple(args.seeds))
    out = dict(press=rows)
    if args.strip:
        out["strip"] = strip_rows(rows)
    if args.table:
        print(press_table(rows))
        if args.strip:
            print()
            print(strip_table(out["strip"]))
        return
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
