"""kmc.physics, the one home of the rules every scale shares: each formula against what it stands for."""
import math

import numpy as np
import pytest

from kmc.physics import creep, electrochemistry, nucleation, solute, vacancy


@pytest.mark.parametrize("alpha_deg", [20.0, 60.0, 86.4, 90.0, 121.6, 150.0])
def test_volmer_factor_is_the_caps_share_of_its_sphere(alpha_deg):
    """f(alpha) = (2 + cos)(1 - cos)^2 / 4 is the volume of the cap that meets the plane at alpha
    (through the cap) over the volume of its sphere: from the cap's closed form V / r^3 and from the
    sphere's part above the plane summed in rings (200000 midpoints: the square-root edges make the
    sum's error ~1e-7 relative); the cap's top over its footprint is height_at."""
    cap = nucleation.VoidCap(math.radians(alpha_deg))
    r = 1.0
    R = r / math.sin(cap.angle_rad)
    sphere = 4 * math.pi / 3 * R ** 3
    assert cap.volume_per_radius3 * r ** 3 / sphere == pytest.approx(cap.volmer_factor, rel=1e-12)
    d = (np.arange(200000) + 0.5) / 200000 * R
    centre = -R * math.cos(cap.angle_rad)            # above the plane for alpha > 90 deg (an overhang)
    top, bottom = centre + np.sqrt(R ** 2 - d ** 2), centre - np.sqrt(R ** 2 - d ** 2)
    thickness = np.maximum(top, 0.0) - np.maximum(bottom, 0.0)
    volume = float(np.sum(2 * math.pi * d * thickness) * R / 200000)
    assert volume / sphere == pytest.approx(cap.volmer_factor, rel=1e-5)
    inside = d < r
    np.testing.assert_allclose(cap.height_at(r, d[inside]), top[inside], rtol=1e-12, atol=1e-12)
    assert cap.height_at(r, 0.0) == pytest.approx(cap.height_per_radius * r, rel=1e-12)


def test_the_void_angle_is_180_minus_the_metals_wetting_angle():
    """One convention: a metal that wets the electrolyte (Li-Mg 58.4 deg) makes tall voids (alpha
    121.6 deg) of a higher barrier than a lithiophobic one (Li 93.6 deg, alpha 86.4 deg); at 90 deg
    both are the hemisphere (f = 1/2), at full wetting the void is the whole sphere (f = 1)."""
    li, limg = nucleation.VoidCap.of_wetting_angle(93.6), nucleation.VoidCap.of_wetting_angle(58.4)
    assert math.degrees(li.angle_rad) == pytest.approx(86.4)
    assert nucleation.VoidCap.of_wetting_angle(90.0).volmer_factor == pytest.approx(0.5)
    assert nucleation.VoidCap.of_wetting_angle(0.0).volmer_factor == pytest.approx(1.0)
    assert li.volmer_factor == pytest.approx(0.453, abs=1e-3) and limg.volmer_factor == pytest.approx(0.857, abs=1e-3)
    gamma, omega, kT = 0.416 / 16.02176634, 21.62, 0.025680
    assert nucleation.barrier_eV(gamma, omega, kT, 134, limg) > nucleation.barrier_eV(gamma, omega, kT, 134, li)


def test_critical_nucleus_is_the_maximum_of_the_caps_free_energy():
    """dG(R) = -(kT ln S) V(R) / Omega + gamma (cap's surface terms) has its maximum at R* with the
    value dG*: for a cap, V = f (4 pi / 3) R^3 and the surface work 4 pi R^2 gamma f (Young's law),
    so both carry f; checked by scanning R."""
    cap = nucleation.VoidCap(math.radians(120.0))
    gamma, omega, kT, S = 0.026, 21.6, 0.0257, 134.0
    radii = np.linspace(0.1, 50.0, 200001)
    dG = -kT * math.log(S) * cap.volmer_factor * 4 * math.pi / 3 * radii ** 3 / omega \
        + 4 * math.pi * radii ** 2 * gamma * cap.volmer_factor
    top = int(np.argmax(dG))
    assert radii[top] == pytest.approx(nucleation.critical_radius_A(gamma, omega, kT, S), rel=1e-3)
    assert dG[top] == pytest.approx(nucleation.barrier_eV(gamma, omega, kT, S, cap), rel=1e-6)
    n_star = cap.volmer_factor * 4 * math.pi / 3 * radii[top] ** 3 / omega
    assert n_star == pytest.approx(nucleation.critical_vacancies(gamma, omega, kT, S, cap), rel=3e-3)
    assert nucleation.classical_rate(1e10, gamma, omega, kT, 1.0, cap) == 0.0


def test_norton_law_and_its_focusing_on_the_contact_agree():
    """The engine's creep rule scales the rate at full contact by f^-n, kmc meso evaluates the law at
    P / f: the same number for the Norton law (to rounding), at any temperature."""
    law = creep.NortonLaw(7.7e-3, 1.0, 6.56, 37.0, 298.0)
    for f in (1.0, 0.8, 0.31, 0.02):
        for T in (298.0, 333.0):
            focused = law.strain_rate_per_s(creep.contact_stress_MPa(0.2, f), T)
            assert focused == pytest.approx(law.strain_rate_per_s(0.2, T) * creep.focusing_factor(f, 6.56),
                                            rel=1e-12)
    assert law.strain_rate_per_s(1.0, 298.0) == 7.7e-3
    assert law.strain_rate_per_s(0.0, 298.0) == 0.0
    assert creep.contact_stress_MPa(0.2, 0.0) == math.inf
    # the isothermal view the mechanics solves with is the same law at T, with its inverse
    warm = law.at(333.0)
    assert warm.strain_rate_per_s(0.2) == pytest.approx(law.strain_rate_per_s(0.2, 333.0), rel=1e-12)
    assert warm.strain_rate_per_s(0.2) > 4 * law.strain_rate_per_s(0.2, 298.0)      # exp(Q/R (1/298 - 1/333)) = 4.8
    assert warm.effective_stress_MPa(warm.strain_rate_per_s(0.37)) == pytest.approx(0.37, rel=1e-12)
    assert law.at(298.0).strain_rate_per_s(0.2) == law.strain_rate_per_s(0.2, 298.0)


def test_norton_law_on_arrays_is_the_scalar_law_bit_for_bit():
    """The reduced operators take the law and its inverse on arrays (compiled): every number the scalar
    forms give on numpy's floats, bit for bit, the ends included (0 and below, inf, nan, a zero reference
    rate)."""
    rng = np.random.default_rng(7)
    values = np.concatenate([np.exp(rng.uniform(-30.0, 12.0, 5000)), [0.0, -1.0, np.inf, np.nan, 1e-320, 1e308]])
    with np.errstate(all="ignore"):
        warm = creep.NortonLaw(7.7e-3, 1.0, 6.56, 37.0, 298.0).at(333.0)
        for law in (warm, creep.NortonLaw(0.0, 0.8, 5.0, 0.0, 298.0)):
            for scalar, on_array in ((law.strain_rate_per_s, law.strain_rates_per_s),
                                     (law.effective_stress_MPa, law.effective_stresses_MPa)):
                expected = np.array([scalar(v) for v in values])
                assert np.array_equal(on_array(values).view(np.int64), expected.view(np.int64))
            assert law.strain_rates_per_s(values.reshape(2, -1)).shape == (2, values.size // 2)


def test_supersaturation_balance_and_its_inverse():
    """S = 1 + J Omega L / (D c_eq) (docs/physics.md §4b: ~130 for 0.5 mA/cm2, 100 um, D_v 1.6e-3 cm^2/s,
    c_eq 3.5e-9); the sink distance for S gives back L; the interface balance without voids, with
    sinks at c_eq, is S c_eq; a formation entropy of ln 2 doubles c_eq."""
    v = electrochemistry.recession_velocity_um_s(0.5, vacancy.atomic_volume_bcc(3.51))
    c_eq = vacancy.equilibrium_fraction(0.50, 8.617333262e-5 * 298.0)
    D = 1.6e-3 * 1e8
    S = vacancy.supersaturation(v, 100.0, D, c_eq)
    assert 100 < S < 160
    assert vacancy.sink_distance_for(S, v, D, c_eq) == pytest.approx(100.0, rel=1e-12)
    area = 1e4
    assert vacancy.interface_fraction(v, area, D, c_eq, area / 100.0, 1.0, 0.0) == pytest.approx(S * c_eq, rel=1e-12)
    assert vacancy.equilibrium_fraction(0.50, 0.0257, math.log(2.0)) == pytest.approx(2 * math.exp(-0.50 / 0.0257))
    assert vacancy.equilibrium_fraction(0.50, 0.0257) == math.exp(-0.50 / 0.0257)      # bit for bit at S_f = 0
    np.testing.assert_array_equal(vacancy.equilibrium_fraction(np.array([0.28, 0.5]), 0.0257),
                                  np.exp(-np.array([0.28, 0.5]) / 0.0257))


def test_stripping_recedes_4_86_um_per_mAh_cm2():
    """docs/physics.md section 3: 1 mAh/cm^2 strips 4.86 um of Li (a = 3.51 A)."""
    v = electrochemistry.recession_velocity_um_s(1.0, vacancy.atomic_volume_bcc(3.51))
    assert v * 3600.0 == pytest.approx(4.86, abs=0.01)


def test_enrichment_depth_written_forward_is_the_profiles():
    """delta = D / v is the depth the subsurface fraction's rise x h / delta implies."""
    D, v, x, h = 3e-3, 1.3e-3, 0.03, 2.0
    delta = solute.enrichment_depth(D, v)
    assert solute.subsurface_fraction(x, h, v, D) - x == pytest.approx(x * h / delta, rel=1e-12)
    assert solute.subsurface_fraction(x, 1e9, v, D) == 1.0
    assert solute.interface_fraction(((0.03, 0.59), (0.06, 0.7), (1.0, 1.0)), 0.045) == pytest.approx(0.645)
