"""Li's strength at the sizes and rates the interface asks for, from the one flow law (kmc.physics.flow,
docs/mechanics.md section 10).  Prints, from a parameter set's own numbers:

    python benchmarks/small_scale_strength.py [--params params/li_li2s.toml] [--set KEY=VALUE ...]

* the check of the law against Herbert et al., J. Mater. Res. 33, 1347 and 1361 (2018): mean pressure
  23 MPa at 0.195 /s and 175 MPa at 1.364 /s at 40 nm in Li films at 31 C (the film holds no
  dislocation there: their onset, H h^1.17 = 1.545 N/m^0.83, is above both, so diffusion to the indent's
  free surface flows), predicted as 3 sigma at the indent's size from its depth h to its contact diameter
  5.6 h (a Berkovich tip's projected area 24.5 h^2) and Nabarro-Herring's factor 13.3-42;
* the order-of-magnitude check on the strain-gradient length l* (kmc.physics.flow.strain_gradient_length_from_hardness);
* at the rate a feature of width w must flow at to keep pace with stripping, v / w: the stress of an embedded
  feature at the contact (the law, the contact's sink), of the bulk law, with sinks as good as a free
  surface, and of a free-standing pillar (Xu et al. 2017: the shipped law before the flow law), and the
  mechanism (the table `kmc params mechanisms` prints);
* the press (meso.assembly_pressure_MPa for meso.assembly_time_s): the stress that fills a pore of width w
  within the press's time, for the same four.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kmc.config import load_config  # noqa: E402
from kmc.mechanisms import MechanismMap  # noqa: E402
from kmc.model import flow_law  # noqa: E402
from kmc.physics.flow import (CONSTRAINT_FACTOR, EMBEDDED, FREE_STANDING, FROST_ASHBY_GEOMETRY_FACTOR,  # noqa: E402
                              HERRING_GEOMETRY_FACTOR, MECHANISMS, strain_gradient_length_from_hardness)

HERBERT_DEPTH_um = 0.040
HERBERT_POINTS = ((0.195, 23.0), (1.364, 175.0))     # (indentation strain rate 1/s, mean pressure MPa)
HERBERT_T_K = 304.0
BERKOVICH_DIAMETER_OVER_DEPTH = 2.0 * math.sqrt(24.5 / math.pi)   # 5.58
BERKOVICH_RADIUS_OVER_DEPTH = BERKOVICH_DIAMETER_OVER_DEPTH / 2
PRESS_WIDTHS_um = (0.1, 0.25, 0.5, 1.0, 2.0)


def herbert(params: str, overrides: list[str]) -> None:
    hot = flow_law(load_config(params, [*overrides, f"conditions.temperature_K={HERBERT_T_K}"]))
    print(f"## Herbert et al. 2018 (40 nm, {HERBERT_T_K:g} K) against the law (free-surface sinks)")
    print("| rate (1/s) | measured mean pressure (MPa) | diffusional 3 sigma, size h ... 5.6 h, A 42 ... 13.3 (MPa) "
          "| the law at size h (MPa) | dislocation onset at h (MPa) |")
    print("|---|---|---|---|---|")
    for rate, measured in HERBERT_POINTS:
        band = [CONSTRAINT_FACTOR * rate / hot.with_(geometry_factor=a).diffusional_rate_per_s(
            1.0, HERBERT_DEPTH_um * s, math.inf) for a in (FROST_ASHBY_GEOMETRY_FACTOR, HERRING_GEOMETRY_FACTOR)
            for s in (1.0, BERKOVICH_DIAMETER_OVER_DEPTH)]
        law = CONSTRAINT_FACTOR * hot.flow_stress_MPa(rate, HERBERT_DEPTH_um, math.inf, EMBEDDED)
        onset = CONSTRAINT_FACTOR * hot.flow_stress_MPa(rate, HERBERT_DEPTH_um, 0.0, EMBEDDED)
        print(f"| {rate:g} | {measured:g} | {min(band):.2g} ... {max(band):.3g} | {law:.3g} | {onset:.3g} |")
    (r1, p1), (r2, p2) = HERBERT_POINTS
    s1, s2 = (hot.flow_stress_MPa(r, HERBERT_DEPTH_um, math.inf, EMBEDDED) for r in (r1, r2))
    print(f"rate sensitivity d ln p / d ln rate: measured {math.log(p2 / p1) / math.log(r2 / r1):.2f}, the law "
          f"{math.log(s2 / s1) / math.log(r2 / r1):.2f} (the bulk law's 1/n = {1 / hot.creep.stress_exponent:.2f})")
    bulk = hot.creep.effective_stress_MPa(r1)
    print(f"\nl* read off the {p1:g} MPa at {r1:g} /s as a strain-gradient hardness 3 sigma_bulk sqrt(1 + l*/d): "
          f"{strain_gradient_length_from_hardness(p1, bulk, HERBERT_DEPTH_um):.2g} um (d = h), "
          f"{strain_gradient_length_from_hardness(p1, bulk, HERBERT_DEPTH_um * BERKOVICH_RADIUS_OVER_DEPTH):.2g} um "
          f"(d = the contact radius), "
          f"{strain_gradient_length_from_hardness(p1, bulk * 30 ** (1 / hot.creep.stress_exponent), HERBERT_DEPTH_um):.2g}"
          " um (d = h, the bulk law 30x slower)")


def keep_pace(mmap: MechanismMap) -> None:
    head = mmap.header()
    print(f"\n## The stress that keeps pace with stripping ({head['current_mA_cm2']:g} mA/cm2, v = "
          f"{head['recession_velocity_um_s']:.3g} um/s, {head['temperature_K']:g} K; contact sink "
          f"{head['contact_sink_rate_m_s']:.3g} m/s, l* = {head['strain_gradient_length_um']:g} um), MPa")
    print("| w (um) | v / w (1/s) | embedded at the contact (the law) | mechanism | bulk law | strain gradient alone "
          "| free-surface sinks | free-standing pillar |")
    print("|---|---|---|---|---|---|---|---|")
    for r in mmap.rows():
        print(f"| {r['size_um']:g} | {r['strain_rate_per_s']:.2g} | {r['flow_stress_MPa']:.3g} | {r['mechanism']} | "
              f"{r['bulk_law_MPa']:.3g} | {r['sources_everywhere_MPa']:.3g} | {r['free_surface_sinks_MPa']:.3g} | "
              f"{r['free_standing_pillar_MPa']:.3g} |")


def press(mmap: MechanismMap, settings) -> None:
    m = settings.meso
    rate = 1.0 / m.assembly_time_s
    law, kappa = mmap.law, mmap.contact_sink_rate_um_s
    print(f"\n## The press ({m.assembly_pressure_MPa:g} MPa for {m.assembly_time_s:g} s: a pore of width w filled at "
          f"~1 / t = {rate:.2g} /s): the stress needed, MPa")
    print("| w (um) | embedded at the contact (the law) | mechanism | free-standing pillar |")
    print("|---|---|---|---|")
    for w in PRESS_WIDTHS_um:
        s = law.flow_stress_MPa(rate, w, kappa, EMBEDDED)
        print(f"| {w:g} | {s:.3g} | {MECHANISMS[int(law.dominant(s, w, kappa, EMBEDDED))]} | "
              f"{law.flow_stress_MPa(rate, w, 0.0, FREE_STANDING):.3g} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default=str(ROOT / "params" / "li_li2s.toml"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    args = parser.parse_args(argv)
    settings = load_config(args.params, args.overrides)
    herbert(args.params, args.overrides)
    mmap = MechanismMap.of(settings)
    keep_pace(mmap)
    if hasattr(settings, "meso"):
        press(mmap, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
