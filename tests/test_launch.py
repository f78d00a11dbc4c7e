"""One way to start a run: kmc run, a kmc sweep point and kmc.run all go through
kmc.launch.open_run, which checks what run.acceleration distorts and records it in the file's /run;
the schema has no default acceleration (a parameter file states it).  Its warning is one line on
stderr naming the acceleration that would be within range and its cost, never a Python warning."""
import h5py
import pytest

import kmc
from kmc.config import ConfigError, load_config, resolve_params
from kmc.launch import acceleration_check, open_run
from regimes import PERFECT_INTERFACE_RUN

SMALL = ["lattice.cells=[6,6,4]", "run.stop_stripped_monolayers=0.05"]


def _record(path) -> dict:
    with h5py.File(path, "r") as f:
        return {k: v for k, v in f["run"].attrs.items() if k.startswith("acceleration_check_")}


def test_a_sweep_point_beyond_the_converged_acceleration_records_the_check(tmp_path):
    """A kmc sweep point at A = 1e6 (beyond Li's ~1.9e4) runs through the same entry as kmc run:
    its file holds the check, not converged, with S(A) several times the cell's; a point at 1e3
    holds it converged."""
    from kmc.sweep import execute_run, expand_sweep
    spec = tmp_path / "accel.toml"
    spec.write_text(f'[sweep]\nroot_seed = 5\n[base]\nparams = "{resolve_params("li_li2s")}"\n'
                    '[grid]\nrun.acceleration = [1e3, 1e6]\n')
    plan = expand_sweep(spec, SMALL, tmp_path / "out")
    (tmp_path / "out").mkdir()
    outcomes = {run.varied["run.acceleration"]: execute_run(run, str(tmp_path / "out")) for run in plan.runs}
    assert all(o["status"] == "done" for o in outcomes.values()), outcomes
    by_a = {run.varied["run.acceleration"]: _record(tmp_path / "out" / f"{run.name}.h5") for run in plan.runs}
    assert not by_a[1e6]["acceleration_check_converged"] and by_a[1e3]["acceleration_check_converged"]
    far = by_a[1e6]
    assert far["acceleration_check_supersaturation"] > 5 * far["acceleration_check_supersaturation_at_A1"]
    assert far["acceleration_check_converged_up_to"] == by_a[1e3]["acceleration_check_converged_up_to"]


def test_kmc_run_from_python_warns_in_one_line_and_records(tmp_path, capsys, recwarn):
    """kmc.run: the Python entry point makes the same check and prints it as kmc run does: one
    'warning:' line on stderr naming the acceleration within range (the check's own range, rounded
    down) and the cost, ~A / A' the events; no Python warning."""
    out = tmp_path / "far.h5"
    result = kmc.run("li_li2s", out, [*SMALL, "run.acceleration=1e6"])
    assert result.stop_reason != "interrupted"
    record = _record(out)
    assert not record["acceleration_check_converged"]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: run.acceleration = 1e+06 lies beyond"), lines
    within = float(lines[0].split("run.acceleration = ")[2].split(" would be within it")[0])
    assert 0.9 * record["acceleration_check_converged_up_to"] <= within <= record["acceleration_check_converged_up_to"]
    assert f"up to {1e6 / within:.2g}x the events" in lines[0]
    assert not [w for w in recwarn if "acceleration" in str(w.message)]


def test_the_acceleration_warning_names_the_tighter_limit_of_a_solute_set():
    """Li-Mg at the shipped A = 1e4 over the perfect interface's 5.5 monolayers (regimes.PERFECT_INTERFACE_RUN):
    the enrichment's range (~1e3) is the tighter one, so the warning names it, not the supersaturation's
    (~2e4).  The shipped default run strips 2e-4 / 4e-6 = 50x less, and the enrichment A h / delta builds
    with the charge h, so its range is 50x wider (~5e4): the supersaturation's is then the tighter, A = 1e4
    lies within both, and the default run has no warning."""
    settings = load_config(resolve_params("limg_li2s"), PERFECT_INTERFACE_RUN)
    record, advice = acceleration_check(settings)
    enrichment = record["acceleration_check_converged_up_to_solute_enrichment"]
    assert enrichment < record["acceleration_check_converged_up_to"]
    within = float(advice.remedy.split("run.acceleration = ")[1].split(" would be within it")[0])
    assert advice.setting == "run.acceleration" and 0.9 * enrichment <= within <= enrichment, advice.remedy

    shipped = load_config(resolve_params("limg_li2s"))
    record_shipped, advice_shipped = acceleration_check(shipped)
    charges = settings.run.stop_stripped_mAh_cm2 / shipped.run.stop_stripped_mAh_cm2
    assert record_shipped["acceleration_check_converged_up_to_solute_enrichment"] == pytest.approx(enrichment * charges,
                                                                                                  rel=1e-9)
    assert record_shipped["acceleration_check_converged_up_to"] == record["acceleration_check_converged_up_to"]
    assert advice_shipped is None and shipped.run.acceleration < record_shipped["acceleration_check_converged_up_to"]
    assert acceleration_check(load_config(resolve_params("li_li2s")))[1] is None      # Li's 1e4 is within range


def test_open_run_refuses_out_of_range_inputs_before_writing(tmp_path):
    settings = load_config(resolve_params("li_li2s"), ["conditions.temperature_K=25"])
    with pytest.raises(ValueError, match="not bcc"):
        open_run(tmp_path / "cold.h5", "fresh", settings)
    assert not list(tmp_path.iterdir())


def test_a_parameter_file_states_its_acceleration(tmp_path):
    """No schema default: a file without run.acceleration is refused, naming the key and the range."""
    text = resolve_params("li_li2s").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("acceleration")]
    bare = tmp_path / "bare.toml"
    bare.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=r"missing required key run\.acceleration.*converged"):
        load_config(bare)
