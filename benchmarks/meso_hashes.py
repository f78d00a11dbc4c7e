"""Fingerprints of `kmc meso` runs, to show that a change keeps every meso run bit-identical.

    python benchmarks/meso_hashes.py              # print the fingerprints of the full default runs
    python benchmarks/meso_hashes.py --check      # compare with benchmarks/meso_hashes.json
    python benchmarks/meso_hashes.py --save       # store them (only when physics is meant to change)
    python benchmarks/meso_hashes.py --save-short # store tests/meso_reference.json (the short cases
                                                  # tests/test_meso_reference.py compares value by value,
                                                  # within the tolerance its docstring derives)
    python benchmarks/meso_hashes.py --write main.json   # main's fingerprints on this machine, into a file
    python benchmarks/meso_hashes.py --check-against main.json   # a change's against them (the same machine)
    python benchmarks/meso_hashes.py --old-face --check-against <(git show 5465669:benchmarks/meso_hashes.json)
        # the resolved cases on the face and metal of before the pellet's face (OLD_FACE) against the fingerprints
        # stored before it: the shipped S_f cases (no void ever forms) must be bit-identical

A fingerprint is the SHA-256 of every observable's samples (float64 bits, in the order of the
observable table), the stop reason, the step count and the final voids (x, y, base radius,
height; for the gap model its final gap field).  Every run goes through the one loop (kmc.cell.loop.run)
with the model meso.interface names.  FULL are the shipped parameter files' default runs (4 mAh/cm^2) and
both at 1.5 MPa, where seed 004's Li stops failing, with the disc model (the plain names, ~20 s for Li)
and with the section (``resolved_*``, the gap model's name before its two geometries; kmc meso's default model,
~7 s each), plus Li at S_f = 0 and 0.2 MPa, the section's run in which voids nucleate, grow, split and
collapse (~20 s), and three small cuts of the area (``area_*``, 20 x 5 um to 0.1 mAh/cm^2,
docs/area.md); SHORT are cheap cuts of the disc runs plus the paths the defaults do not
take (the cap-shaped void, pre-existing defect seeds), for the test.

The fingerprints are a machine's: another CPU may round the gap model's arithmetic otherwise in its last bits (numba
compiles for the CPU at hand; on 2026-11-29 a 2.1 GHz Xeon VM gave other fingerprints than
benchmarks/meso_hashes.json for all eight resolved_ and area_ cases, the same for the disc's four, and main's code
there gave the same eight as the change measured). On a machine other than the stored fingerprints', a change is
checked against main's own fingerprints made there (--write, then --check-against); tests/test_meso_reference.py
compares the short cases within tolerances instead.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
STORE = Path(__file__).with_suffix(".json")
SHORT_STORE = ROOT / "tests" / "meso_reference.json"

FULL = {
    "li_li2s": ("li_li2s", []),
    "limg_li2s": ("limg_li2s", []),
    "li_li2s_1.5MPa": ("li_li2s", ["conditions.stack_pressure_MPa=1.5"]),
    "limg_li2s_1.5MPa": ("limg_li2s", ["conditions.stack_pressure_MPa=1.5"]),
    "resolved_li_li2s": ("li_li2s", ["meso.interface='section'"]),
    "resolved_limg_li2s": ("limg_li2s", ["meso.interface='section'"]),
    "resolved_li_li2s_1.5MPa": ("li_li2s", ["meso.interface='section'", "conditions.stack_pressure_MPa=1.5"]),
    "resolved_limg_li2s_1.5MPa": ("limg_li2s", ["meso.interface='section'", "conditions.stack_pressure_MPa=1.5"]),
    "resolved_li_li2s_Sf0": ("li_li2s", ["meso.interface='section'", "boundary.vacancy_formation_entropy_kB=0"]),
    # the area (docs/area.md): small, cheap cuts, 20 x 5 um to 0.1 mAh/cm^2 (~3-6 s each): the shipped
    # porous face; a flat dense face at S_f = 0 and 1 MPa, where voids nucleate and coalesce; Li-Mg at 7 MPa
    # without the Mg field, which the area refuses
    **{f"area_{case}": (params, ["meso.interface='area'", "meso.width_um=20", "meso.depth_um=5",
                                 "meso.stop_stripped_mAh_cm2=0.1", *overrides])
       for case, (params, overrides) in {
           "li_li2s": ("li_li2s", []),
           "li_li2s_Sf0_flat_1MPa": ("li_li2s", ["boundary.vacancy_formation_entropy_kB=0", "electrolyte.relative_density=1",
                                                 "meso.electrolyte_roughness_rms_um=0", "conditions.stack_pressure_MPa=1"]),
           "limg_li2s_7MPa": ("limg_li2s", ["meso.solute_field='off'", "conditions.stack_pressure_MPa=7"]),
       }.items()},
}
SHORT = {
    "li_li2s_0.5": ("li_li2s", ["meso.stop_stripped_mAh_cm2=0.5"]),
    "li_li2s_1.5MPa_0.5": ("li_li2s", ["conditions.stack_pressure_MPa=1.5", "meso.stop_stripped_mAh_cm2=0.5"]),
    "limg_li2s_1": ("limg_li2s", ["meso.stop_stripped_mAh_cm2=1.0"]),
    "li_cap_defects_0.2": ("li_li2s", ["meso.void_shape='cap'", "meso.defect_density_per_um2=0.01",
                                       "meso.stop_stripped_mAh_cm2=0.2", "meso.output_every_mAh_cm2=0.05"]),
}


# The keys that give back the interface of before the pellet's face: a dense pellet's face (no open pores) and
# bulk creep (no size effect).  Where no void forms (the shipped sets' S_f = 2.75 runs) a resolved
# run with them is the run of before bit for bit; where voids form (S_f = 0) the walls' new physics
# (capillarity, capture at the walls, surface diffusion at Li's D_s) changes it, as it must.
from kmc.mechanisms import BULK_LAW_OVERRIDES  # noqa: E402

OLD_FACE = ["electrolyte.relative_density=1", *BULK_LAW_OVERRIDES]


def meso_run(params: str, overrides: list[str]):
    """(observable series {name: array}, stop reason, steps, final voids {x, y, r, h} of the disc model or
    the gap model's final gap {gap}) of one run of the model meso.interface names (the disc model unless an
    override names another), through the one loop (kmc.cell.loop.run)."""
    from kmc.cell.loop import run
    from kmc.config import load_config
    from kmc.launch import cell_model_of
    if not any(o.startswith("meso.interface=") for o in overrides):
        overrides = ["meso.interface='disc'", *overrides]
    settings = load_config(ROOT / "params" / f"{params}.toml", overrides)
    result = run(cell_model_of(settings))
    final = result.final
    if settings.meso.interface == "disc":
        voids = {"x": final.x, "y": final.y, "r": final.r, "h": final.h}
    else:
        voids = {"gap": final.gap_um}
    return result.series, result.stop_reason, result.steps, voids


def _voids_digest(voids: dict) -> str:
    digest = hashlib.sha256()
    for name, value in voids.items():
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(value, np.float64).tobytes())
    return digest.hexdigest()[:16]


def fingerprint(params: str, overrides: list[str]) -> str:
    series, stop, steps, voids = meso_run(params, overrides)
    digest = hashlib.sha256()
    for name in series:
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(series[name], np.float64).tobytes())
    digest.update(f"{stop} {steps} {_voids_digest(voids)}".encode())
    return digest.hexdigest()[:16]


def short_reference() -> dict:
    out = {}
    for case, (params, overrides) in SHORT.items():
        series, stop, steps, voids = meso_run(params, overrides)
        out[case] = {"params": params, "overrides": overrides, "stop_reason": stop, "steps": int(steps),
                     "series": {k: [float(x) for x in v] for k, v in series.items()},
                     "void_count": int(voids["r"].size),
                     "voids": {k: [float(x) for x in v] for k, v in voids.items()}}
    return out


def _one_line_per_series(reference: dict) -> str:
    """The short reference as JSON with each observable's samples (and each of the final voids'
    coordinates) on one line (a readable diff)."""
    cases = []
    for case, c in reference.items():
        def one_per_line(table):
            return "{\n" + ",\n".join(f'   {json.dumps(k)}: {json.dumps(v)}' for k, v in table.items()) + "\n  }"
        fields = [f'  {json.dumps(k)}: ' + (one_per_line(v) if k in ("series", "voids") else json.dumps(v))
                  for k, v in c.items()]
        cases.append(f" {json.dumps(case)}: {{\n" + ",\n".join(fields) + "\n }")
    return "{\n" + ",\n".join(cases) + "\n}\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--save", action="store_true")
    ap.add_argument("--save-short", action="store_true")
    ap.add_argument("--old-face", action="store_true", help="the resolved cases only, with OLD_FACE's keys")
    ap.add_argument("--check-against", metavar="FILE.json", help="compare with these stored fingerprints")
    ap.add_argument("--write", metavar="FILE.json", help="store the fingerprints in this file (not the shipped one)")
    args = ap.parse_args(argv)
    if args.save_short:
        SHORT_STORE.write_text(_one_line_per_series(short_reference()))
        print(f"wrote {SHORT_STORE}")
        return 0
    cases = FULL
    if args.old_face:
        cases = {case: (params, overrides + OLD_FACE) for case, (params, overrides) in FULL.items()
                 if case.startswith("resolved_")}
    found = {case: fingerprint(*spec) for case, spec in cases.items()}
    for case, h in found.items():
        print(f"{case:26s} {h}")
    for path in ([STORE] if args.save else []) + ([Path(args.write)] if args.write else []):
        path.write_text(json.dumps(found, indent=1) + "\n")
        print(f"wrote {path}")
    if args.check or args.check_against:
        stored = json.loads(Path(args.check_against).read_text() if args.check_against else STORE.read_text())
        bad = [c for c in found if stored.get(c) != found[c]]
        print("meso runs bit-identical" if not bad else f"CHANGED: {', '.join(bad)}")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
