"""The Mg field on the area and in the file (docs/alloy.md section 8; kmc.resolved.solute on a plane, the gap model's
Mg observables and /sections/subsurface_solute_fraction, kmc plot --kind solute-profile; docs/alloy.md
section 8)."""
from __future__ import annotations

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from conftest import PARAMS
from kmc.cli import main
from kmc.physics import solute
from test_alloy import _field


def _strip(f, st, v, S, dt, steps):
    for _ in range(steps):
        st = f.step(st, v, S, dt)
    return st


def test_uniform_stripping_on_a_plane_builds_the_quasi_steady_enrichment():
    """Every cell of a plane stripped alike: the section's check (tests/test_alloy.py) on (depth, width) arrays."""
    f = _field()
    shape, v, S = (6, 10), 6.75e-4, 9.5
    D = float(f.diffusivity_um2_s(S))
    st = _strip(f, f.initial_state(shape, S, v), np.full(shape, v), np.full(shape, S), 14.0, 1000)
    h = v * 14.0 * 1000
    xs = f.subsurface_fraction(st)
    assert xs.shape == shape and np.ptp(xs) < 1e-12
    assert xs[0, 0] == pytest.approx(solute.subsurface_fraction(0.03, h, v, D), rel=1e-3)
    assert st.excess_um.sum() == pytest.approx(0.03 * h * xs.size, rel=1e-12)


def test_a_plane_uniform_along_its_depth_is_the_section():
    """Half the width under a void, the same along the depth: the plane's field is the line's, to the explicit
    scheme's sub-step difference (the plane's sub-steps are half the line's), and it is the same in every row."""
    f = _field()
    n, v, S = 32, 6.75e-4, 9.5
    strip = np.where(np.arange(n) < n // 2, 2 * v, 0.0)
    line = _strip(f, f.initial_state(n, S, v), strip, np.where(strip > 0, S, 1.0), 14.0, 300)
    plane = _strip(f, f.initial_state((4, n), S, v), np.tile(strip, (4, 1)),
                   np.tile(np.where(strip > 0, S, 1.0), (4, 1)), 14.0, 300)
    xs_line, xs_plane = f.subsurface_fraction(line), f.subsurface_fraction(plane)
    assert np.ptp(xs_plane, axis=0).max() < 1e-14
    np.testing.assert_allclose(xs_plane[0], xs_line, rtol=2e-3)
    assert plane.excess_um.sum() == pytest.approx(4 * line.excess_um.sum(), rel=1e-12)


def test_the_mg_spreads_alike_along_both_axes_of_the_plane_and_is_conserved():
    """A square patch that strips in the middle of a square plane: the Mg it leaves spreads into the cells around
    it the same way along the width and the depth (the field is its own transpose), its inventory is what was
    stripped, and it falls away from the patch."""
    f = _field()
    n, v, S = 16, 6.75e-4, 9.5
    strip = np.zeros((n, n))
    strip[6:10, 6:10] = 4 * v
    st = _strip(f, f.initial_state((n, n), S, v), strip, np.where(strip > 0, S, 1.0), 14.0, 400)
    xs = f.subsurface_fraction(st)
    np.testing.assert_allclose(xs, xs.T, rtol=1e-12)
    assert st.excess_um.sum() == pytest.approx(0.03 * strip.sum() * 14.0 * 400, rel=1e-12)
    assert xs[8, 8] > xs[8, 11] > xs[8, 14] > 0.03


def test_an_alloy_area_runs_with_its_mg_field_in_the_file_and_the_figure(tmp_path):
    """kmc meso on a Li-Mg area (meso.interface = 'area'): the Mg field beside the gap at every stored charge, the
    Mg at the contact among the observables (the bulk's x when stripping starts, rising), and kmc plot draws it.
    A Li run stores no Mg field and draws none (one line)."""
    out = tmp_path / "limg.h5"
    sets = ["meso.interface=area", "meso.depth_um=2.5", "meso.width_um=10", "meso.stop_stripped_mAh_cm2=0.02",
            "meso.output_every_mAh_cm2=0.01"]
    res = CliRunner().invoke(main, ["meso", str(PARAMS / "limg_li2s.toml"), "-o", str(out),
                                    *[a for s in sets for a in ("--set", s)]])
    assert res.exit_code == 0, res.output
    with h5py.File(out) as fh:
        gap, xs = fh["sections/gap"][()], fh["sections/subsurface_solute_fraction"][()]
        assert xs.shape == gap.shape and gap.ndim == 3
        assert xs[0].min() == pytest.approx(0.03) and xs[-1].max() > 0.03
        mean = fh["observables/subsurface_solute_fraction/value"][()]
        theta = fh["observables/interface_solute_fraction/value"][()]
        assert mean[0] == pytest.approx(0.03) and mean[-1] > mean[0]
        assert 0.5 < theta[0] < theta[-1] < 1
    res = CliRunner().invoke(main, ["plot", str(out), "--kind", "solute-profile", "-o", str(tmp_path / "mg.png")])
    assert res.exit_code == 0 and (tmp_path / "mg.png").stat().st_size > 10_000, res.output
    li = tmp_path / "li.h5"
    res = CliRunner().invoke(main, ["meso", str(PARAMS / "li_li2s.toml"), "-o", str(li),
                                    *[a for s in sets for a in ("--set", s)]])
    assert res.exit_code == 0, res.output
    with h5py.File(li) as fh:
        assert "subsurface_solute_fraction" not in fh["sections"] and "subsurface_solute_fraction" not in fh["observables"]
    res = CliRunner().invoke(main, ["plot", str(li), "--kind", "solute-profile", "-o", str(tmp_path / "no.png")])
    assert res.exit_code != 0 and "no Mg field" in res.output
