"""The contract of the cell-scale interface models (kmc.cell.model; ARCHITECTURE.md, the cell scale): every
model the registry names (kmc.launch.CELL_MODELS) runs through the one loop (kmc.cell.loop.run) into its
file and reads back as it ran; each declares the whole contract and refuses what it cannot do in one line;
and the gap model's contract: its geometries agree where they describe the same interface, a map uniform
along the area's depth being the section on every row (the current, the fields, the mechanics, a whole run,
the press)."""
import ast
import inspect
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kmc.cell.inputs import CellInputError
from kmc.cell.loop import run
from kmc.cell.model import CellModel
from kmc.config import load_config
from kmc.launch import CELL_MODELS, cell_inputs_of, cell_model, cell_model_of, run_cell_to_file
from kmc.resolved.area import AreaModel
from kmc.resolved.section import SectionModel
from regimes import FREE_STANDING_ISLANDS

ROOT = Path(__file__).resolve().parent.parent
LI = "params/li_li2s.toml"
# a small run of each model: 20 um (20 x 5 um for the area) to 0.02 mAh/cm^2, sampled three times
SMALL = {"section": [], "area": ["meso.depth_um=5"], "disc": []}
SMALL_RUN = ["meso.width_um=20", "meso.stop_stripped_mAh_cm2=0.02", "meso.output_every_mAh_cm2=0.01"]


def test_every_registered_model_declares_the_whole_contract():
    """Each name of the registry stands for a model of that name that writes every method the contract
    leaves to it (kmc.cell.model.CellModel's raising ones) and declares what it records, the clock first."""
    required = [name for name, member in vars(CellModel).items()
                if callable(getattr(member, "__func__", member)) and "raise NotImplementedError" in
                inspect.getsource(getattr(member, "__func__", member))]
    assert {"inputs", "start", "rates", "step", "sample", "voids", "runaway_bounds", "describe"} <= set(required)
    for name in CELL_MODELS:
        model = cell_model(name)
        assert issubclass(model, CellModel) and model.name == name
        missing = [m for m in required if all(m not in vars(k) for k in model.__mro__[:model.__mro__.index(CellModel)])]
        assert not missing, (name, missing)
        assert list(model.observables)[:2] == ["stripped_charge", "physical_time"], name
    with pytest.raises(ValueError, match="meso.interface = 'resolved'; allowed: 'section', 'area', 'disc'"):
        cell_model("resolved")


@pytest.mark.parametrize("name", list(CELL_MODELS))
def test_every_registered_model_runs_through_the_one_loop_into_its_file(name, tmp_path):
    """The same loop and file for every model: the file holds the run's samples as it took them, its stop,
    steps and final voids as the model gives them, its frames (the gap model's fields before stripping
    and at the end) and the model's name as meso.interface."""
    from kmc.runfile import open_run_file
    settings = load_config(LI, [f"meso.interface={name}", *SMALL[name], *SMALL_RUN])
    model = cell_model_of(settings)
    result = run_cell_to_file(settings, tmp_path / "run.h5", model=model)
    assert result.stop_reason == "stripped" and result.steps > 0
    assert result.series["stripped_charge"] == pytest.approx([0.0, 0.01, 0.02])
    with open_run_file(tmp_path / "run.h5") as f:
        assert f.parameters()["meso.interface"] == name
        for quantity in model.observables:
            assert np.array_equal(f.series(quantity), result.series[quantity], equal_nan=True), quantity
        frames = f.gap_sections()
    import h5py
    with h5py.File(tmp_path / "run.h5") as f:
        assert f["run"].attrs["stop_reason"] == "stripped" and f["run"].attrs["steps"] == result.steps
        assert f["voids"].attrs["shape"] == model.void_shape
        for key, value in model.voids(result.final).items():
            assert np.array_equal(f["voids"][key][()], value), key
    if model.frame(result.final) is None:
        assert frames is None
    else:
        charges, gaps, cell_um = frames
        assert charges[0] == 0.0 and charges[-1] == pytest.approx(0.02) and cell_um == model.frame_cell_um
        assert np.array_equal(gaps[-1], model.frame(result.final))


def test_the_loop_holds_blas_to_one_thread_while_it_runs_and_gives_the_caller_its_own():
    """kmc.cell.loop.run holds BLAS to one thread over the whole run, its start included (the fields' dot products
    gain nothing from threads, and each thread's partial sum makes the bits hang on the core count), and the
    caller's setting is back when it returns: a caller at 2 threads sees 1 at every step and 2 again after."""
    from threadpoolctl import threadpool_info, threadpool_limits
    from kmc.cell.loop import Observer

    def blas_threads():
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    seen = []

    class Watch(Observer):
        def on_step(self, report):
            seen.append(blas_threads())
            return False

    class WatchedStart(SectionModel):
        def start(self):
            seen.append(blas_threads())
            return super().start()

    settings = load_config(LI, [*SMALL["section"], *SMALL_RUN])
    with threadpool_limits(limits=2, user_api="blas"):
        if blas_threads() != {2}:
            pytest.skip(f"no BLAS that threadpoolctl can set to 2 threads here: {blas_threads()}")
        run(WatchedStart(cell_inputs_of(settings)), Watch())
        after = blas_threads()
    assert len(seen) > 1 and all(threads == {1} for threads in seen), seen
    assert after == {2}


def test_what_a_model_cannot_do_it_refuses_in_one_line():
    """The disc refuses a key only the gap model reads (the electrolyte's constriction, the area's depth), the section an
    area's depth, the area a missing depth (one line each, what is wrong and what is allowed)."""
    cases = [("disc", LI, ["meso.electrolyte_constriction='off'"], "read only by the gap model"),
             ("section", LI, ["meso.depth_um=5"], "is the area's depth; allowed: meso.interface = 'area'"),
             ("area", LI, [], "the area needs a depth; allowed: meso.depth_um >= 1 um"),
             ("disc", LI, ["meso.depth_um=5"], "read only by the gap model")]
    for name, params, sets, said in cases:
        with pytest.raises(CellInputError) as refused:
            cell_model_of(load_config(params, sets), name)
        assert said in str(refused.value) and "allowed: " in str(refused.value) and "\n" not in str(refused.value)


def test_a_depth_with_no_model_named_asks_for_the_area_and_a_named_model_keeps_its_name():
    """``--set meso.depth_um=40`` alone is the area (the one model with a depth); a model named beside it is
    kept, and the section then refuses the depth in one line rather than run something else."""
    assert load_config(LI, ["meso.depth_um=5"]).meso.interface == "area"
    assert load_config(LI, []).meso.interface == "section"
    named = load_config(LI, ["meso.interface=section", "meso.depth_um=5"])
    assert named.meso.interface == "section"
    with pytest.raises(CellInputError, match="is the area's depth"):
        cell_model_of(named)


def class_tests(tree, classes: set[str]) -> list[int]:
    """Lines of ``tree`` that test an object's class against one of ``classes`` (isinstance, issubclass, or a
    comparison of type(...))."""
    def names(nodes):
        return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}

    def is_call(node, *functions):
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions
    return [node.lineno for node in ast.walk(tree)
            if (is_call(node, "isinstance", "issubclass") and names(node.args[1:]) & classes)
            or (isinstance(node, ast.Compare) and any(is_call(side, "type") for side in [node.left, *node.comparators])
                and names([node.left, *node.comparators]) & classes)]


def test_no_module_of_the_cell_scale_dispatches_on_a_models_class():
    """The model is chosen by name (the registry), never by class: no isinstance, issubclass or type test of
    a class of kmc/cell, kmc/resolved, kmc/disc or kmc/launch.py in those modules (the three isinstance
    branches of before the one gap model would fail here)."""
    paths = [*sorted((ROOT / "kmc" / "cell").glob("*.py")), *sorted((ROOT / "kmc" / "resolved").glob("*.py")),
             *sorted((ROOT / "kmc" / "disc").glob("*.py")), ROOT / "kmc" / "launch.py"]
    trees = {path: ast.parse(path.read_text()) for path in paths}
    classes = {node.name for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    assert {"SectionModel", "AreaModel", "DiscVoids", "GapModel"} <= classes
    found = [f"{path.relative_to(ROOT)}:{line}" for path, tree in trees.items() for line in class_tests(tree, classes)]
    assert not found, found
    old = "if isinstance(model, AreaModel):\n    pass\nif type(model) is SectionModel:\n    pass\n"
    assert class_tests(ast.parse(old), classes) == [1, 3]


# ------------------------------------------------------------------------------- the gap model's contract
@pytest.fixture(scope="module")
def section_inputs():
    """Li at 1 MPa on a 40 um section at 0.25 um cells, no press (the starts below are the tests' own), Xu's
    pillars on the islands (regimes.FREE_STANDING_ISLANDS: where the equivalence holds) and the contact's sink."""
    settings = load_config(LI, ["conditions.stack_pressure_MPa=1.0", "meso.output_every_mAh_cm2=0.05",
                                FREE_STANDING_ISLANDS])
    return replace(cell_inputs_of(settings, width_um=40.0), assembly=None)


def _three_voids(cells: int) -> np.ndarray:
    gap = np.zeros(cells)
    gap[20:32] = 0.5
    gap[60:64] = 0.3
    gap[100:130] = 1.0
    return gap


def test_the_areas_fields_and_mechanics_are_the_sections_on_a_depth_uniform_map(section_inputs):
    """Three tunnels along the depth: the current, the vacancy field, the mechanics (closing, contact
    pressure, plunger) of the area equal the section's at every cell (to round-off: FFTs of another
    length and sums in another order)."""
    inp = section_inputs
    sec = SectionModel(inp)
    area = AreaModel(replace(inp, depth_um=2.0))
    gap = _three_voids(inp.cells)
    n1 = sec.rates(sec.initial_state(gap))
    n2 = area.rates(area.initial_state(np.tile(gap, (area.shape[0], 1))))
    for row in (0, area.shape[0] - 1):
        assert n2["current"].current_mA_cm2[row] == pytest.approx(n1["current"].current_mA_cm2, rel=1e-10)
        assert n2["vacancies"].concentration[row] == pytest.approx(n1["vacancies"].concentration, rel=1e-10)
        m1, m2 = n1["mechanics"], n2["mechanics"]
        assert m2.closing_velocity_um_s[row] == pytest.approx(m1.closing_velocity_um_s, rel=1e-10, abs=1e-300)
        assert m2.contact_pressure_MPa[row] == pytest.approx(m1.contact_pressure_MPa, rel=1e-10)
    assert n2["mechanics"].plunger_velocity_um_s == pytest.approx(n1["mechanics"].plunger_velocity_um_s, rel=1e-10)
    assert n2["current"].overpotential_mV == pytest.approx(n1["current"].overpotential_mV, rel=1e-10)


def _section_and_area(inp, gap, pore=None, area_depth_um=1.0):
    """The section and the area (``gap`` and ``pore`` on every row) run from the same start: (section,
    area) results and the area model."""
    sec = SectionModel(inp)
    rs = run(sec, state=sec.initial_state(gap, pore))
    ainp = replace(inp, depth_um=area_depth_um)
    area = AreaModel(ainp)
    ra = run(area, state=area.initial_state(gap, pore))
    return rs, ra, area


def _assert_the_area_is_the_section(rs, ra, area):
    """The area stays uniform along the depth (exactly), takes the section's steps, and its every row is
    the section's to round-off (FFTs of another length, sums in another order: 1e-9 um, 1e-9 mV)."""
    final = ra.final.gap_um
    assert np.array_equal(final, np.tile(final[0], (area.shape[0], 1)))
    assert ra.steps == rs.steps
    assert final[0] == pytest.approx(rs.final.gap_um, abs=1e-9)
    assert np.array_equal(ra.series["stripped_charge"], rs.series["stripped_charge"])
    assert np.array_equal(ra.series["contact_fraction"], rs.series["contact_fraction"])
    for name in ("void_volume_per_area", "overpotential", "supersaturation"):
        assert ra.series[name] == pytest.approx(rs.series[name], abs=1e-9), name


def test_the_areas_run_is_the_sections_on_a_depth_uniform_map(section_inputs):
    """Three tunnels stripped to 0.3 mAh/cm^2 at 1 MPa, every physics of the section on (Xu's pillars on the
    islands, the contact's sink, the walls' capillarity, capture moving the contact lines, Mullins'
    relaxation): the voids widen until the contact is 0.62 (0.06 before the contact was a sink),
    and the area is the section on every row (measured before the sink: the gaps within 5e-12 um after 150 steps; the section against itself at half its largest step differs by 0.025 in
    contact, 0.019 um in void volume per area and 11 mV)."""
    inp = replace(section_inputs, stop_stripped_mAh_cm2=0.3)
    assert inp.feature_strength() is not None and inp.mullins_um4_s > 0
    rs, ra, area = _section_and_area(inp, _three_voids(inp.cells))
    _assert_the_area_is_the_section(rs, ra, area)
    # the walls' physics acts: captured volume moves the contact lines out (measured: 0.71 -> 0.62, the three
    # voids counted as 8 at the end)
    assert rs.series["contact_fraction"][-1] < rs.series["contact_fraction"][0] - 0.05
    assert rs.series["void_count"][-1] >= 3


def test_the_areas_run_is_the_sections_on_the_pellets_pressed_face():
    """The section's own assembly (the pellet's porous face at the shipped density and particle size,
    pressed at 50 MPa with Li's size effect, its walls' capillarity and Mullins' relaxation), laid on
    every row of an area, stripped at the shipped inputs (Li, 0.2 MPa) to 0.1 mAh/cm^2: the open pores
    the press left are holes the metal spans (held in their islands, kmc.resolved.area_walls), the voids
    grow by capture while the contact's sink takes its share and the foil follows the receding contact
    over them (measured: contact 0.36 after the press, 0.53 at 0.1 mAh/cm^2), and the area is the section on every row (measured:
    void volume per area within 8e-15 um, overpotential 1e-14 mV)."""
    from kmc.resolved.assembly import press
    settings = load_config(LI, ["meso.output_every_mAh_cm2=0.025", FREE_STANDING_ISLANDS])
    inp = replace(cell_inputs_of(settings, width_um=40.0), stop_stripped_mAh_cm2=0.1)
    assert inp.assembly is not None and inp.assembly.relative_density < 1
    sec = SectionModel(inp)
    pressed = press(sec, inp.assembly, np.random.default_rng([inp.seed, 1]))
    rs, ra, area = _section_and_area(inp, pressed.gap_um, pressed.pore_um)
    start = area.rates(area.initial_state(pressed.gap_um, pressed.pore_um))
    assert start["spanned"].any() and (start["traction"] != 0).any()
    _assert_the_area_is_the_section(rs, ra, area)
    assert rs.series["nucleated"][-1] == 0 and rs.series["contact_fraction"][-1] > rs.series["contact_fraction"][0]


def test_the_areas_press_is_the_sections_on_a_depth_uniform_face():
    """The press (kmc.resolved.assembly) on an area whose face is the section's pellet face on every row,
    event by event (closing_share = 0): the section's press, ask for ask and gap for gap (1e-12 um), with Xu's
    pillars on the islands (regimes.FREE_STANDING_ISLANDS; face 2: 14 asks, contact 0.23 after it, where face 3
    takes 7 since a void's own width counts in the strength; with the shipped embedded law the area's press takes
    156 asks where the section's takes 247: where islands creep the two operators differ)."""
    from kmc.resolved.assembly import press
    inp = cell_inputs_of(load_config(LI, [FREE_STANDING_ISLANDS]), width_um=40.0)
    section = press(SectionModel(inp), inp.assembly, np.random.default_rng(2))
    assert 0.2 < section.contact_after < 0.9 and section.steps > 10
    model = AreaModel(replace(inp, depth_um=0.5))
    face, pores = np.tile(section.profile_um, (2, 1)), np.tile(section.pore_um, (2, 1))
    area = press(model, inp.assembly, None, profile_um=face, pore_um=pores, closing_share=0.0)
    assert area.steps == section.steps
    assert np.abs(area.gap_um - section.gap_um).max() < 1e-12
