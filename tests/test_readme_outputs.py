"""The README's printed outputs and figures are what its commands give.

docs/make_readme.py runs the README's commands on the shipped defaults and writes their outputs
into README.md and docs/, and what they were made from into docs/readme_outputs.json.  The two
default runs take minutes, so they are not re-run here.  Their outputs stand as long as
- what they were made from stands: the shipped parameter sets and the kMC's trajectory
  fingerprints (benchmarks/trajectory_hashes.json, re-saved whenever the physics changes), and
- the script's cheap stand-ins still give what they gave when it ran: the same two commands on an
  8x8x6-cell box to 4e-6 mAh/cm2 (their whole console output but the wall-clock figures, warning
  included), `kmc analyze` of one, and the README figures' kinds drawn from them (a fingerprint of
  each figure's texts and data).  These catch what the fingerprints do not: the observables, the
  stop rules, the printing, the plotting.
`kmc meso` and `kmc rates --no-nucleation` are cheap: they run here as the README writes them and
must print what it shows.  When a test here fails, run `python docs/make_readme.py` and commit what
it changes (README.md, docs/*.png, docs/readme_outputs.json).
"""
import importlib.util
import json
import math
import re
import sys
from pathlib import Path

import h5py
import pytest

ROOT = Path(__file__).resolve().parent.parent
RERUN = "stale README outputs: run `python docs/make_readme.py` and commit what it changes"


def _script():
    spec = importlib.util.spec_from_file_location("make_readme", ROOT / "docs" / "make_readme.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


mr = _script()
RECORD = json.loads(mr.RECORD.read_text())
PAGE_PARTS = mr.page_parts()                  # {name: (page, text)} of README.md and the docs pages
PARTS = {name: text for name, (_, text) in PAGE_PARTS.items()}


def commands_of(part: str) -> list[str]:
    """The command lines of a console part, without the prompt and the comment."""
    return [line[2:].split("#")[0].strip() for line in part.splitlines() if line.startswith("$ ")]


def outputs_of(part: str) -> dict[str, list[str]]:
    """The output lines the part shows under each command."""
    shown, current = {}, None
    for line in part.splitlines():
        if line.startswith("$ "):
            current = line[2:].split("#")[0].strip()
            shown[current] = []
        elif current is not None and not line.startswith("```"):
            shown[current].append(line)
    return shown


def test_the_pages_hold_the_parts_the_script_made():
    """README.md and every docs page that quotes the commands (docs/meso.md, ...): each generated part is
    the script's, and the quotes follow from the recorded outputs of the commands they name."""
    assert set(PARTS) == mr.part_names()
    for name, (page, text) in PAGE_PARTS.items():
        assert text == RECORD["parts"][name], f"{page} part {name!r} differs from the script's record; {RERUN}"
    for name, commands in mr.BLOCKS.items():     # and the script still lists what the README shows
        assert commands_of(PARTS[name]) == [c.line for c in commands], f"part {name!r}: {RERUN}"
    runs = mr.recorded_runs(RECORD)
    for name, quote in mr.QUOTES.items():
        assert quote.render(runs) == RECORD["parts"][name], f"{quote.page}: quote {name!r}; {RERUN}"


def test_each_quoted_result_shows_the_command_behind_it():
    """A sentence that quotes a result names the command that gives it: each command a quote reads is
    shown on the pages (in backticks, or in a console block), and the script ran it."""
    ran = set(RECORD["outputs"])
    for name, quote in mr.QUOTES.items():
        assert PAGE_PARTS[name][0] == quote.page
        for line in quote.commands:
            assert line in ran, f"{line!r} was not run by the script; {RERUN}"
            shown = any(f"`{line}`" in text or line in commands_of(text) for text in PARTS.values())
            assert shown, f"quote {name!r} reads `{line}`, which no page shows"


def test_the_physics_page_holds_what_the_repository_cites_and_nothing_a_clone_cannot_follow():
    """docs/physics.md (what `python docs/make_readme.py --check` checks of it, but the placeholders left
    for changes under way): every section a shipped file cites is there, each names a source, and the
    page sends no reader outside the repository nor to an internal issue."""
    assert mr.physics_page_problems(placeholders=False) == []
    cited = mr.CITATION.findall("docs/physics.md §4b and docs/physics.md sections 7 and 9")
    assert cited == [("4b", ""), ("7", "9")]
    assert mr.UNFOLLOWABLE.search("as issue 55 found") and not mr.UNFOLLOWABLE.search("docs/physics.md §9")


def test_the_outputs_were_made_from_the_shipped_inputs_and_the_current_physics():
    assert mr.input_hashes() == RECORD["inputs"], RERUN


def test_the_figures_are_those_the_script_drew():
    assert {figure: mr.sha256(ROOT / figure) for figure in mr.FIGURES} == RECORD["figures"], RERUN


@pytest.fixture(scope="module")
def probes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme_probes")
    mr.prepare_folder(folder, keep=False)
    return folder, {name: mr.probe_output(line, folder) for name, line in mr.PROBES.items()}


def test_the_stand_ins_print_what_they_printed_when_the_outputs_were_made(probes):
    folder, printed = probes
    for name, text in printed.items():
        assert text == RECORD["probes"][name], f"`{mr.PROBES[name]}` now prints\n{text}\n{RERUN}"
    # what the README's default runs stand for: both reach their stop charge, the alloy's L1 takes Mg
    for name in ("li", "limg"):
        with h5py.File(folder / "runs" / "out" / f"probe_{name}.h5", "r") as f:
            assert f["run"].attrs["stop_reason"] == "stripped_charge"
            assert (f["observables/interface_solute_fraction/value"][-1] > 0) == (name == "limg")


def test_the_stand_ins_figures_are_what_they_were(probes):
    folder, _ = probes
    assert mr.draw_probe_figures(folder) == RECORD["probe_figures"], RERUN


def run_part(name: str, tmp_path) -> dict[str, str]:
    """Each command of a README part, run as written in a folder like the repository's root; its
    output (stderr, then stdout), wall clock masked."""
    mr.prepare_folder(tmp_path, keep=False)
    return {line: mr.probe_output(line, tmp_path) for line in commands_of(PARTS[name])}


@pytest.mark.slow   # ~5 s of CPU (kmc rates: tests/test_physical_kinetics.py::test_kmc_rates_json_keys)
def test_the_readmes_rates_command_prints_what_it_shows(tmp_path):
    """`kmc rates li_li2s --no-nucleation`: the README shows the first lines of its output."""
    command = mr.BLOCKS["rates"][0]
    shown = outputs_of(PARTS["rates"])[command.line]
    assert shown[-1] == "  …" and len(shown) == command.show + 1
    printed = mr.probe_output(command.line, tmp_path).splitlines()
    assert mr.mask_wall_clock("\n".join(shown[:-1])).splitlines() == printed[:command.show]


# three kmc meso runs to 4 mAh/cm^2, ~75 s of CPU (kmc meso's resolved runs: tests/test_resolved.py)
@pytest.mark.slow
def test_the_readmes_meso_commands_print_what_it_shows(tmp_path):
    """The README's `kmc meso` lines, as written, in a fresh folder, print what it shows, and write
    the kMC's observable names with the resolved interface.  And the headline behind them
    (docs/mechanics.md section 10): the foil pressed onto the pellet's face keeps some open pores (contact
    below 1 when stripping starts); the contact is a vacancy sink that takes a share of the stripped
    vacancies from the start, so the supersaturation stays near 1 (far below what a dense face would give:
    kmc.model.cell_supersaturation) and nothing nucleates; at 0.2 MPa the voids grown from the pores take
    ~90 % of the contact (seed 004's failure, on which the sink's rate is calibrated), yet the runs strip
    the whole 4 mAh/cm^2 holding a few per cent; and stack pressure delays the loss (Li at 1.5 MPa loses
    it later than at 0.2 MPa).  This fails if the face lost its pores, if the contact stopped absorbing
    vacancies, if a nucleus were needed, or if pressure stopped mattering."""
    from kmc.config import load_config, resolve_params
    from kmc.model import cell_supersaturation
    lost = 0.1     # the seed's ~90 % of the contact lost
    printed = run_part("meso", tmp_path)
    shown = outputs_of(PARTS["meso"])
    assert len(printed) == 3
    first_loss = {}
    for line, text in printed.items():
        assert text.splitlines() == mr.mask_wall_clock("\n".join(shown[line])).splitlines(), RERUN
        argv = line.split()
        sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
        settings = load_config(resolve_params(Path(argv[2]).stem), sets)
        with h5py.File(tmp_path / argv[argv.index("-o") + 1], "r") as f:
            assert f["parameters"].attrs["meso.interface"] == "section"
            obs = f["observables"]
            for name in ("contact_fraction", "overpotential", "stripped_charge", "section_voids_per_um", "splits"):
                assert obs[name]["value"].shape[0] >= 5
            contact = obs["contact_fraction/value"][()]
            charge = obs["stripped_charge/value"][()]
            assert 0.5 < contact[0] < 1.0                    # the press leaves some of the face's open pores
            if settings.composition.solute_fraction == 0:      # Li strips the whole charge holding a few per cent
                assert charge[-1] == pytest.approx(settings.meso.stop_stripped_mAh_cm2)
                assert contact[-1] > settings.meso.stop_contact_fraction
            else:   # the alloy holds a few per cent past 3 mAh/cm^2; its Mg-enriched last islands are weaker sinks
                # (docs/alloy.md sections 6 and 9), so it may lose the last of them before the end
                assert charge[-1] == pytest.approx(settings.meso.stop_stripped_mAh_cm2) or (
                    contact[-1] <= settings.meso.stop_contact_fraction and charge[-1] > 3.0)
                assert contact[charge <= 3.0][-1] > settings.meso.stop_contact_fraction
            assert obs["contact_sink_fraction/value"][1] > 0.2     # the contact absorbs from the start
            assert 1.0 < obs["supersaturation/value"][0] < 2.0 < cell_supersaturation(settings)
            assert obs["nucleated/value"][-1] == 0
            below = charge[contact <= lost]
            key = (settings.composition.solute_fraction, settings.conditions.stack_pressure_MPa)
            first_loss[key] = below[0] if len(below) else math.inf
    li_low, li_high, limg_low = (first_loss[key] for key in sorted(first_loss, key=lambda k: (k[0], k[1])))
    assert li_low < math.inf and limg_low < math.inf       # 0.2 MPa: ~90 % of the contact lost
    # what the README's verdict says of them: 1.5 MPa loses it too (with a void's own width in Li's strength the
    # section answers 0.2 and 1.5 MPa alike, docs/mechanics.md 10.6), and the alloy loses it first
    assert li_high < math.inf and limg_low < min(li_low, li_high)


def test_a_wall_clock_figure_is_all_that_is_masked():
    text = ("  42318237 events in 148.2 s (0.29 M events/s), stop: stripped_charge\n"
            "  4 mAh/cm2 of a 160 um square in 3.88 s (4270 steps), stop: stripped\n  wall time 10.2 s\n"
            "  4 mAh/cm2 of a 160 um section in 4.81 s (2080 steps), stop: stripped")
    assert mr.mask_wall_clock(text) == (
        "  42318237 events in <wall> s (<rate> M events/s), stop: stripped_charge\n"
        "  4 mAh/cm2 of a 160 um square in <wall> s (4270 steps), stop: stripped\n  wall time <wall> s\n"
        "  4 mAh/cm2 of a 160 um section in <wall> s (2080 steps), stop: stripped")
    assert re.search(r"\d", mr.mask_wall_clock("contact fraction 0.995, 2 vacancies"))


def test_another_machines_rounding_is_not_a_stale_output():
    """--check compares a command's printout with the record word for word and integer for integer, and each
    decimal number within the vacancy solve's tolerance: another CPU moved the default runs' supersaturation in
    its last digits (1.1309086256063396 against ...394), not their contact or counts."""
    from kmc.resolved.fields import VACANCY_TOLERANCE
    was = '{"contact_fraction": 0.9203125, "void_count": 25.0, "supersaturation": 1.1309086256063394}'
    assert mr.printed_alike(was.replace("063394", "063396"), was)
    moved = f"{1.1309086256063394 * (1 + 3 * VACANCY_TOLERANCE):.16g}"
    assert not mr.printed_alike(was.replace("1.1309086256063394", moved), was)
    assert not mr.printed_alike(was.replace("25.0", "26.0"), was)
    assert not mr.printed_alike(was.replace('"void_count": 25.0', '"void_count": 25'), was)
    assert not mr.printed_alike(was.replace("contact_fraction", "contact"), was)
    assert not mr.printed_alike("stripped 3 layers", "stripped 4 layers")


def test_check_calls_an_output_or_a_quoted_time_stale(tmp_path):
    """`python docs/make_readme.py --check` runs the cheap commands again: a command that prints
    something else than the record, or whose CPU time is more than TIME_FACTOR from the recorded (and
    quoted) one, is a problem (docs/meso.md quoted ~100-190 s for a run of 6 s)."""
    mr.prepare_folder(tmp_path, keep=False)
    line = "kmc params show li_li2s"
    first = mr.run_command(line, tmp_path)
    printed = mr.mask_wall_clock(first["stderr"] + first["stdout"])
    slow = {"outputs": {line: {"text": printed, "cpu_s": 100 * max(first["cpu_s"], 0.1)}}}
    problems = mr._rerun_problems(line, tmp_path, slow)
    assert len(problems) == 1 and f"more than {mr.TIME_FACTOR}x apart" in problems[0], problems
    edited = {"outputs": {line: {"text": printed.replace("li_li2s", "li_li2s (edited)"), "cpu_s": first["cpu_s"]}}}
    assert any(p.startswith(f"`{line}` now prints") for p in mr._rerun_problems(line, tmp_path, edited))
