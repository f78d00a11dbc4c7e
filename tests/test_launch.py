"""One way to start a run (issue 46): kmc run, a kmc sweep point and kmc.run all go through
kmc.launch.open_run, which checks what run.acceleration distorts and records it in the file's /run;
the schema has no default acceleration (a parameter file states it)."""
import h5py
import pytest

import kmc
from kmc.config import ConfigError, load_config, resolve_params
from kmc.launch import AccelerationWarning

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
    with pytest.warns(AccelerationWarning, match="beyond the converged range"):
        outcomes = {run.varied["run.acceleration"]: execute_run(run, str(tmp_path / "out")) for run in plan.runs}
    assert all(o["status"] == "done" for o in outcomes.values()), outcomes
    by_a = {run.varied["run.acceleration"]: _record(tmp_path / "out" / f"{run.name}.h5") for run in plan.runs}
    assert not by_a[1e6]["acceleration_check_converged"] and by_a[1e3]["acceleration_check_converged"]
    far = by_a[1e6]
    assert far["acceleration_check_supersaturation"] > 5 * far["acceleration_check_supersaturation_at_A1"]
    assert far["acceleration_check_converged_up_to"] == by_a[1e3]["acceleration_check_converged_up_to"]


def test_kmc_run_from_python_warns_and_records(tmp_path):
    """kmc.run: the Python entry point makes the same check, as a warning of its own class."""
    out = tmp_path / "far.h5"
    with pytest.warns(AccelerationWarning):
        result = kmc.run("li_li2s", out, [*SMALL, "run.acceleration=1e6"])
    assert result.stop_reason != "interrupted"
    assert not _record(out)["acceleration_check_converged"]


def test_a_parameter_file_states_its_acceleration(tmp_path):
    """No schema default: a file without run.acceleration is refused, naming the key and the range."""
    text = resolve_params("li_li2s").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("acceleration")]
    bare = tmp_path / "bare.toml"
    bare.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=r"missing required key run\.acceleration.*converged"):
        load_config(bare)
