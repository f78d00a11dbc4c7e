"""Li's strength at the sizes and rates the interface asks for (issue 54; docs/mechanics.md section 9,
"What decides it").  The pressure answer turns on how strong micrometre Li is where voids and islands
creep; this prints, from the shipped parameter set's own numbers, what each measured law says there:

    python benchmarks/small_scale_strength.py [--params params/li_li2s.toml]

* the rate a feature of width w must creep at to keep pace with stripping, v / w (v the stripped
  metal's recession at full contact, kmc.cell.inputs: i Omega / e);
* at that rate: the [creep] law's bulk flow stress; Xu et al.'s pillar strength at w ([meso]
  ligament keys, measured at ligament_strain_rate_per_s), carried to v / w with the law's exponent
  (the shipped mechanics' f(w), kmc.mechanics.law.LigamentStrength);
* the diffusional (Nabarro-Herring) path with the model's own vacancy transport D_v c_eq, for a
  feature of size w whose vacancy sinks and sources lie within w (a free surface, or a contact that
  absorbs vacancies): eps = A D_v c_eq Omega sigma / (kT w^2), A from 14 (the textbook rectangular
  grain) to 42 (Frost & Ashby's Deformation-Mechanism Maps, 1982); with the model's premise instead
  (the contact absorbs no vacancy: stripping supersaturates it, sinks at electrode.sink_distance_um)
  the stress enters the vacancy field the cell model solves as Omega p / kT against S - 1;
* the check of that diffusional law against the one small-scale rate measurement found: Herbert et
  al., J. Mater. Res. 33, 1347 (2018), mean pressure 23 MPa at 0.195 /s and 175 MPa at 1.364 /s at
  40 nm indentation depth in Li films at 31 C, predicted as 3 sigma at the indent's size taken from
  its depth h to its contact diameter 5.6 h (a Berkovich tip's projected area 24.5 h^2).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kmc.config import load_config  # noqa: E402
from kmc.cell.inputs import cell_inputs  # noqa: E402
from kmc.physics.creep import NortonLaw  # noqa: E402
from kmc.physics.strength import SizeStrength  # noqa: E402

NH_GEOMETRY_FACTORS = (14.0, 42.0)     # textbook rectangular grain; Frost & Ashby (1982)
HERBERT_DEPTH_um = 0.040
HERBERT_POINTS = ((0.195, 23.0), (1.364, 175.0))     # (indentation strain rate 1/s, mean pressure MPa)
HERBERT_T_K = 304.0
BERKOVICH_DIAMETER_OVER_DEPTH = 2.0 * math.sqrt(24.5 / math.pi)   # 5.58
WIDTHS_um = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
EV_J = 1.602176634e-19


def stress_coefficient_per_MPa(atomic_volume_A3: float, kT_eV: float) -> float:
    """Omega sigma / kT per MPa of sigma."""
    return atomic_volume_A3 * 1e-30 * 1e6 / (kT_eV * EV_J)


def diffusional_stress_MPa(rate_per_s, size_um, transport_um2_s, omega_per_MPa, factor):
    """sigma of eps = A D_v c_eq Omega sigma / (kT d^2) at this rate (the Nabarro-Herring form)."""
    return rate_per_s * size_um ** 2 / (factor * transport_um2_s * omega_per_MPa)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default=str(ROOT / "params" / "li_li2s.toml"))
    args = parser.parse_args(argv)
    settings = load_config(args.params)
    cell = cell_inputs(settings)
    m = settings.meso
    law = NortonLaw.of(settings.creep).at(cell.temperature_K)
    size = SizeStrength(m.ligament_reference_width_um, m.ligament_strength_temperature_K, m.ligament_strength_MPa,
                        m.ligament_strength_exponent, m.ligament_strength_hot_K, m.ligament_strength_hot_MPa,
                        m.ligament_strength_hot_exponent)
    transport = cell.vacancy_diffusivity_um2_s * cell.vacancy_equilibrium_fraction     # D_v c_eq, um^2/s
    omega = stress_coefficient_per_MPa(cell.atomic_volume_A3, cell.kT_eV)
    v = cell.strip_velocity_um_s
    n = law.stress_exponent
    lo, hi = NH_GEOMETRY_FACTORS
    print(f"# {Path(args.params).name} at {cell.temperature_K:g} K, {cell.current_mA_cm2:g} mA/cm2: v = {v:.3g} um/s, "
          f"D_v c_eq = {transport:.3g} um^2/s ({transport * 1e-8:.3g} cm^2/s), Omega/kT = {omega:.3g} per MPa, "
          f"sinks at {cell.sink_distance_um:g} um")
    print("\n## Herbert et al. 2018 (40 nm, 31 C) against the diffusional law with the model's D_v c_eq")
    # the same set at the films' temperature (the model's own D_v and c_eq there)
    hot = cell_inputs(load_config(args.params, [f"conditions.temperature_K={HERBERT_T_K}"]))
    transport_h = hot.vacancy_diffusivity_um2_s * hot.vacancy_equilibrium_fraction
    omega_h = stress_coefficient_per_MPa(hot.atomic_volume_A3, hot.kT_eV)
    print("| rate (1/s) | measured mean pressure (MPa) | predicted 3 sigma, size h ... 5.6 h, A 42 ... 14 (MPa) |")
    print("|---|---|---|")
    for rate, measured in HERBERT_POINTS:
        low = 3 * diffusional_stress_MPa(rate, HERBERT_DEPTH_um, transport_h, omega_h, hi)
        high = 3 * diffusional_stress_MPa(rate, HERBERT_DEPTH_um * BERKOVICH_DIAMETER_OVER_DEPTH, transport_h,
                                          omega_h, lo)
        print(f"| {rate:g} | {measured:g} | {low:.2g} ... {high:.3g} |")
    (r1, p1), (r2, p2) = HERBERT_POINTS
    print(f"measured rate sensitivity d ln p / d ln rate = {math.log(p2 / p1) / math.log(r2 / r1):.2f} "
          f"(diffusional flow: 1; the bulk law: 1/n = {1 / n:.2f})")
    print("\n## What each law says at the rate that keeps pace with stripping, v / w (MPa of uniaxial stress)")
    print("| w (um) | v / w (1/s) | bulk law | Xu's pillars (f(w) x bulk) | diffusional, sinks within w (A 42 ... 14) |")
    print("|---|---|---|---|---|")
    ref_rate = m.ligament_strain_rate_per_s
    for w in WIDTHS_um:
        rate = v / w
        bulk = law.effective_stress_MPa(rate)
        pillar = float(size.strength_MPa(w, cell.temperature_K)) * (rate / ref_rate) ** (1 / n)
        nh_hi = diffusional_stress_MPa(rate, w, transport, omega, lo)
        nh_lo = diffusional_stress_MPa(rate, w, transport, omega, hi)
        print(f"| {w:g} | {rate:.2g} | {bulk:.2f} | {max(pillar, bulk):.0f} | {nh_lo:.2g} ... {nh_hi:.2g} |")
    print("\n## With the contact absorbing no vacancy (the model's premise): the stress in the vacancy field")
    for p in (0.2, 1.0, 7.0, 50.0):
        print(f"p = {p:g} MPa: Omega p / kT = {omega * p:.2g}, against S - 1 = 0.27 beside the pores "
              f"(docs/mechanics.md section 9) and {cell.strip_velocity_um_s * cell.sink_distance_um / transport:.3g} "
              "on a dense face")
    press_rate = 1.0 / m.assembly_time_s
    print(f"\n## The press ({m.assembly_pressure_MPa:g} MPa for {m.assembly_time_s:g} s: a pore filled at ~1 / t = "
          f"{press_rate:.2g} /s)")
    for w in WIDTHS_um[:4]:
        pillar = float(size.strength_MPa(w, cell.temperature_K)) * (press_rate / ref_rate) ** (1 / n)
        nh = diffusional_stress_MPa(press_rate, w, transport, omega, lo), diffusional_stress_MPa(
            press_rate, w, transport, omega, hi)
        print(f"w = {w:g} um: Xu's pillars {pillar:.0f} MPa; diffusional with sinks within w {nh[1]:.2g} ... {nh[0]:.2g} MPa")
    return 0


if __name__ == "__main__":
    sys.exit(main())
