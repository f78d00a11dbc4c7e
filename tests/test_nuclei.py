"""The gap model's sub-grid nuclei integrated on their own (kmc.resolved.nuclei): a fast nucleus's growth over a
long step is the growth that steps re-solving the whole vacancy field would give, and the step ends only when a
nucleus covers its cell."""
import math
from pathlib import Path

import numpy as np
import pytest

from kmc.config import load_config
from kmc.launch import cell_inputs_of
from kmc.resolved import nuclei, step_control
from kmc.resolved.fields import vacancy_field
from kmc.resolved.section import SectionModel

LI = Path(__file__).resolve().parent.parent / "params" / "li_li2s.toml"
NUCLEUS_CELL = 40


@pytest.fixture(scope="module")
def section():
    """Li at 1.5 MPa on a 16 um section (64 cells) in full contact but for one void of four cells."""
    inp = cell_inputs_of(load_config(LI, ["meso.width_um=16", "meso.assembly_pressure_MPa=0",
                                          "conditions.stack_pressure_MPa=1.5"]))
    model = SectionModel(inp)
    gap = np.zeros(model.shape)
    gap[10:14] = 0.3
    return model, gap


def _state(model, gap, radius_um):
    st = model.initial_state(gap)
    st.nuclei[NUCLEUS_CELL] = 1
    st.nucleus_radius_um[NUCLEUS_CELL] = radius_um
    return st


def test_a_fast_nucleus_grows_as_steps_re_solving_the_field_would_grow_it(section):
    """One nucleus, r = 0.05 um, over eight times the time its radius takes to grow by a fifth.  The reference is
    the scheme before 2026-11-29: steps each bounded by the same growth, each re-solving the vacancy field with the
    nucleus's conductance at its new radius (to 1e-12).  Integrated on its own, at the self-response G_ii of one
    solve, the nucleus ends within 1e-6 of the reference's radius: the field is linear in the cell's conductance
    and Sherman-Morrison's formula exact for it, so what is left is G_ii's solve (to SELF_RESPONSE_TOLERANCE, 1e-3
    of its source, which leaves G_ii within ~2e-6 of itself: u moves by less than that share, r by less still).
    Held at the step's field instead (G_ii = 0), it outgrows the reference by 7 % (its cell's fraction falls by a
    quarter as r grows 1.9x)."""
    model, gap = section
    inp, cap, h = model.inp, model._cap, model.inp.cell_um
    st = _state(model, gap, 0.05)
    now = model.rates(st)
    open_cells = now["open"]
    g_rest = now["_conductance_per_um"].copy()
    g_rest[NUCLEUS_CELL] -= 2 * math.pi * 0.05 / h ** 2          # the contact's own sink alone there
    ceq, D = inp.vacancy_equilibrium_fraction, inp.vacancy_diffusivity_um2_s

    def excess(radius_um):
        g = g_rest.copy()
        g[NUCLEUS_CELL] += 2 * math.pi * radius_um / h ** 2
        field = vacancy_field(model.K, D, ceq, inp.sink_supersaturation, open_cells, now["injected"], g,
                              inp.sink_distance_um, tolerance=1e-12)
        return float(field.concentration[NUCLEUS_CELL] - ceq)

    u0 = excess(0.05)
    assert u0 > 0
    T = 8 * float(nuclei.radius_growth_time_s(inp, cap, 0.05, u0))
    r, t = 0.05, 0.0
    while t < T * (1 - 1e-12):
        u = excess(r)
        step = min(T - t, float(nuclei.radius_growth_time_s(inp, cap, r, u)))
        r = nuclei.grow_nucleus(inp, cap, model.strength, 1, r, u, 0.0, 0.0, step, h)[0]
        t += step
    G = nuclei.self_response_um(inp, model.K, open_cells, now["_conductance_per_um"], NUCLEUS_CELL)[0]
    own = nuclei.grow_nucleus(inp, cap, model.strength, 1, 0.05, u0, G, 0.0, T, h)[0]
    held = nuclei.grow_nucleus(inp, cap, model.strength, 1, 0.05, u0, 0.0, 0.0, T, h)[0]
    assert r > 1.5 * 0.05                                 # it grew: the comparison means something
    assert abs(own - r) <= 1e-6 * r
    assert held > 1.03 * r


def test_the_step_ends_when_a_fast_nucleus_covers_its_cell_and_not_before(section):
    """A fast nucleus far from covering its cell does not cut the step (the largest step is taken, the nucleus
    grown over it as kmc.resolved.nuclei.grow_nucleus grows it); one about to cover it ends the step then, and the
    cell opens with the nuclei's volume."""
    model, gap = section
    inp, h = model.inp, model.inp.cell_um
    largest = step_control.largest_step_s(inp)
    st = _state(model, gap, 0.05)
    now = model.rates(st)
    u0 = now["vacancies"].concentration[NUCLEUS_CELL] - inp.vacancy_equilibrium_fraction
    assert nuclei.radius_growth_time_s(inp, model._cap, 0.05, u0) < largest / 4     # fast: the old bound cut 4x
    dt = model.step_limit_s(st, now)
    assert dt == largest and "nuclei" not in model.last_limits
    G = nuclei.self_response_um(inp, model.K, now["open"], now["_conductance_per_um"], NUCLEUS_CELL)[0]
    expected = nuclei.grow_nucleus(inp, model._cap, model.strength, 1, 0.05, u0, G,
                                   now["mechanics"].contact_pressure_MPa[NUCLEUS_CELL], dt, h)[0]
    model.step(st, now, dt)
    assert st.nucleus_radius_um[NUCLEUS_CELL] == expected and st.gap_um[NUCLEUS_CELL] == 0
    assert 0.05 < expected < h / math.sqrt(math.pi)                                   # grew, not yet covering

    st = _state(model, gap, 0.13)
    now = model.rates(st)
    dt = model.step_limit_s(st, now)
    assert dt < largest and model.last_limits["nuclei"] == dt
    model.step(st, now, dt)
    assert st.nuclei[NUCLEUS_CELL] == 0 and st.gap_um[NUCLEUS_CELL] > 0
    # their volume, spread over the cell: at least the covering cap's
    assert st.gap_um[NUCLEUS_CELL] >= model._cap.volume_per_radius3 * (h / math.sqrt(math.pi)) ** 3 / h ** 2


def test_past_the_solved_fast_nuclei_the_next_fastest_bounds_the_step(section):
    """A burst of fast nuclei: the FAST_NUCLEI_SOLVED fastest are integrated on their own, and the step is bounded by
    the growth time of the next fastest (the bound every nucleus set before), so no nucleus outgrows the bound
    unsolved."""
    model, gap = section
    inp = model.inp
    st = model.initial_state(gap)
    cells = np.arange(20, 20 + 2 * (nuclei.FAST_NUCLEI_SOLVED + 3), 2)
    st.nuclei[cells] = 1
    st.nucleus_radius_um[cells] = np.linspace(0.04, 0.06, cells.size)
    now = model.rates(st)
    excess = now["vacancies"].concentration[cells] - inp.vacancy_equilibrium_fraction
    times = np.sort(nuclei.radius_growth_time_s(inp, model._cap, st.nucleus_radius_um[cells], excess))
    assert times[-1] < step_control.largest_step_s(inp)                 # every one of them fast
    dt = model.step_limit_s(st, now)
    assert dt == times[nuclei.FAST_NUCLEI_SOLVED] and model.last_limits["nuclei"] == dt
    fast = model.fast_nuclei(st, now, dt)
    assert fast.cells.size == nuclei.FAST_NUCLEI_SOLVED
