"""kmc meso reads the pore edge's records (docs/pore_edge.md section 8): the rules of
kmc.physics.pore_edge the section takes from them, the rim's pin in kmc.resolved.walls.grow, the checks
at run start and what the run file records."""
import math

import h5py
import numpy as np
import pytest

from kmc.config import load_config
from kmc.physics.nucleation import VoidCap
from kmc.physics.pore_edge import (WALL_TRIAL_LOSS_LAYERS, absorbing_wall_capture, rim_capture_share,
                                   rim_retreat_share, wall_extrapolation_layers)
from kmc.resolved import walls
from kmc.launch import cell_inputs_of
from kmc.resolved.edge_records import pore_edge_advice, pore_edge_record
from kmc.resolved.section import SectionModel

from conftest import PARAMS

LI = PARAMS / "li_li2s.toml"
LI_CAP = VoidCap(math.radians(86.4))
NO_ROWS = ["pore_edge.supersaturation=[]"]
# a short section: 40 um to 0.15 mAh/cm^2 at the shipped inputs (the pores' voids take capture from the start)
SHORT = ["meso.width_um=40", "meso.stop_stripped_mAh_cm2=0.15", "meso.output_every_mAh_cm2=0.05"]


def test_the_rims_refill_decides_whether_capture_moves_a_contact_line_off_it():
    """The gambler's ruin of the gap's walk: a rim that refills at least half the time holds its line
    (share 0), one that never refills lets all go (1), p = 1/4 lets 1 - 1/3 go."""
    assert rim_retreat_share(1.0) == 0.0 and rim_retreat_share(0.5) == 0.0
    assert rim_retreat_share(0.0) == 1.0
    assert rim_retreat_share(0.25) == pytest.approx(2 / 3, rel=1e-12)
    shares = rim_retreat_share(np.linspace(0.0, 0.5, 11))
    assert np.all(np.diff(shares) < 0)


def test_the_walls_capture_gives_its_extrapolation_length_and_the_capture_length_a_cells_share():
    """The wall trial's absorbing floor (2/3) is a perfect sink (lambda = 0); more is a sink above the
    floor, less an attachment barrier; a capture length far below the cell takes ell / h of it."""
    from kmc.interface_rates.edge import ESCAPE_LAYER
    assert ESCAPE_LAYER == 1 + WALL_TRIAL_LOSS_LAYERS          # the receded floor in L2 (index 1), the loss at L5
    assert absorbing_wall_capture() == pytest.approx(2 / 3)
    assert wall_extrapolation_layers(2 / 3) == pytest.approx(0.0, abs=1e-12)
    assert wall_extrapolation_layers(1.0) == pytest.approx(-1.0)
    assert wall_extrapolation_layers(0.5) == pytest.approx(1.0)
    assert wall_extrapolation_layers(0.0) == math.inf
    assert rim_capture_share(4.3, 250.0) == pytest.approx(4.3 / 250.0, rel=1e-12)
    assert rim_capture_share(1e6, 250.0) == pytest.approx(1.0, rel=1e-3)


def _pore_void(n=80, start=30, width=4, depth=0.4, receded=0.05):
    """A pore of the face ``width`` cells wide whose metal has receded ``receded`` um beneath its mouth."""
    pore = np.zeros(n)
    pore[start:start + width] = depth
    return pore + np.where(pore > 0, receded, 0.0), pore


def test_a_contact_line_at_a_pores_rim_holds_when_the_rim_refills():
    """Capture onto a pore's void whose metal has receded: without the records the contact line runs off
    the rim (the next contact cells empty); with a rim that refills (share 0) it holds and the pore's metal
    takes it all, area kept; with a share of 1 the step is the one without the pin, bit for bit; a void on
    the dense face (no rim) does not feel the pin.  (No surface diffusion here: its pull on a thin edge
    holds a line back by itself, kmc.resolved.walls.)"""
    h, B, dt, rate = 0.25, 0.0, 20.0, 1e-3
    gap, pore = _pore_void()
    n = gap.size

    def grow(gap, pore, retreat):
        rim = np.zeros(n)
        out = walls.grow(gap, pore, rim, gap > 0, np.where(gap > 0, rate, 0.0), np.zeros(n), dt, h, B, LI_CAP,
                         None, retreat)
        return out, rim
    free, free_rim = grow(gap, pore, None)
    assert (free > 0).sum() > (gap > 0).sum() or free_rim.sum() > 0        # the line left the rim
    pinned, pinned_rim = grow(gap, pore, np.zeros(n))
    np.testing.assert_array_equal(pinned > 0, gap > 0)
    assert pinned_rim.sum() == 0.0
    assert (pinned - gap).sum() * h == pytest.approx((gap > 0).sum() * h * rate * dt, rel=1e-12)
    let_go, let_go_rim = grow(gap, pore, np.ones(n))
    np.testing.assert_array_equal(let_go, free)
    np.testing.assert_array_equal(let_go_rim, free_rim)
    dense = np.zeros(n)
    void = np.where(pore > 0, 0.05, 0.0)
    np.testing.assert_array_equal(grow(void, dense, np.zeros(n))[0], grow(void, dense, None)[0])


def test_the_section_reads_the_records_and_a_rim_that_never_refills_is_the_section_without_them():
    """The shipped rows reach the section's inputs in its own clock; the run with them differs from the
    run without (the pores' rims hold); a refill probability of 0 in the rows gives the run without rows
    bit for bit (the pin is the only rate they change)."""
    from kmc.cell.loop import run
    shipped = cell_inputs_of(load_config(LI, SHORT))
    assert shipped.pore_edge is not None and shipped.pore_edge.at("capture_length_nm", 9.519)[0] == pytest.approx(4.286)
    bare = cell_inputs_of(load_config(LI, SHORT + NO_ROWS))
    assert bare.pore_edge is None
    never = cell_inputs_of(load_config(LI, SHORT + ["pore_edge.rim_refill_probability=[0, 0]"]))
    gaps = {name: run(SectionModel(inp)).final.gap_um for name, inp in (("shipped", shipped), ("bare", bare), ("never", never))}
    np.testing.assert_array_equal(gaps["never"], gaps["bare"])
    assert not np.array_equal(gaps["shipped"], gaps["bare"])


@pytest.mark.parametrize("record, value, setting", [
    ("capture_length_nm", 300.0, "pore_edge.capture_length_nm"),
    ("wall_capture_probability", 1e-3, "pore_edge.wall_capture_probability"),
    ("rim_refill_time_s", 1e-3, "conditions.current_density_mA_cm2"),
])
def test_a_record_that_breaks_the_sections_assumption_is_warned_about(record, value, setting):
    """The shipped rows pass every check; a record moved out of what the section assumes (a capture
    length beyond the 250 nm cell, a wall that holds vacancies back over more than a cell, a refill
    slower than the shortest step) gives one warning naming the setting that would satisfy it."""
    a = load_config(LI).lattice.lattice_constant_A
    assert pore_edge_advice(cell_inputs_of(load_config(LI)), a) == []
    moved = cell_inputs_of(load_config(LI, [f"pore_edge.{record}=[{value}, {value}]"]))
    advice = pore_edge_advice(moved, a)
    assert [x.setting for x in advice] == [setting]
    assert record in advice[0].line()


def test_the_run_file_records_the_records_the_section_used(tmp_path, capsys):
    """/parameters/derived holds each record's rows with their errors, what the section took from them and
    how it used each; a run without rows records none; a record out of range is warned on stderr."""
    from kmc.launch import run_cell_to_file as run_to_file
    path = tmp_path / "li.h5"
    run_to_file(load_config(LI, SHORT + ["meso.stop_stripped_mAh_cm2=0.01", "pore_edge.capture_length_nm=[300, 300]"]),
                path)
    assert "pore_edge.capture_length_nm = 300" in capsys.readouterr().err
    with h5py.File(path) as f:
        derived = dict(f["parameters/derived"].attrs)
    assert derived["pore_edge_capture_length_nm"].tolist() == [300.0, 300.0]
    assert derived["pore_edge_rim_refill_probability_error"].tolist() == [0.05556, 0.05882]
    assert derived["pore_edge_rim_retreat_share"].tolist() == [0.0, 0.0]
    assert "rim_refill_probability" in str(derived["pore_edge_use"])
    expected = pore_edge_record(cell_inputs_of(load_config(LI)))
    assert set(expected) <= set(derived)
    bare = tmp_path / "bare.h5"
    run_to_file(load_config(LI, SHORT + ["meso.stop_stripped_mAh_cm2=0.01"] + NO_ROWS), bare)
    with h5py.File(bare) as f:
        assert not any(k.startswith("pore_edge") for k in f["parameters/derived"].attrs)
