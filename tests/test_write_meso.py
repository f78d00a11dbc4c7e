"""kmc rates --write-meso: the measured I(S) row goes into the [meso] rows of a parameter file, where
kmc meso reads it (nobody copies rows by hand); the rest of the file stays byte for byte."""
import shutil

import pytest
from click.testing import CliRunner

from kmc.cli import main
from kmc.config import load_config, resolve_params
from kmc.paramfile import MARK, write_meso_nucleation_row


@pytest.fixture
def li_copy(tmp_path):
    path = tmp_path / "li.toml"
    shutil.copy(resolve_params("li_li2s"), path)
    return path


def _untouched(before: str, after: str) -> list[str]:
    """The lines of ``after`` that are not rows or marks (everything else must be as before)."""
    keep = [line for line in after.splitlines() if not line.startswith(("nucleation_rate_", MARK))]
    assert keep == [line for line in before.splitlines() if not line.startswith(("nucleation_rate_", MARK))]
    return keep


def test_a_new_row_is_put_in_order_and_the_file_keeps_everything_else(li_copy):
    before = li_copy.read_text()
    old = load_config(li_copy).meso
    rows = write_meso_nucleation_row(li_copy, 200.0, 3.5e7, "I = 3.5e7 +- 1e7 per um^2 per s, a test")
    _untouched(before, li_copy.read_text())
    meso = load_config(li_copy).meso
    assert list(meso.nucleation_rate_S) == sorted([*old.nucleation_rate_S, 200])
    assert dict(zip(meso.nucleation_rate_S, meso.nucleation_rate_per_um2_s))[200] == 3.5e7
    assert [s for s, _ in rows] == list(meso.nucleation_rate_S)
    assert f"{MARK} S = 200: I = 3.5e7" in li_copy.read_text()


def test_a_row_at_the_same_supersaturation_is_replaced_with_its_note(li_copy):
    write_meso_nucleation_row(li_copy, 134.0, 1.0, "the first note")
    write_meso_nucleation_row(li_copy, 134.0, 2.0, "the second note")
    text = li_copy.read_text()
    assert text.count(f"{MARK} S = 134:") == 1 and "the second note" in text and "the first note" not in text
    meso = load_config(li_copy).meso
    assert dict(zip(meso.nucleation_rate_S, meso.nucleation_rate_per_um2_s))[134] == 2.0


def test_kmc_rates_writes_its_row_and_refuses_a_bound(li_copy, monkeypatch):
    """The command writes the measured rate of its run; a stage without success (a bound, rate 0)
    writes nothing and says so; --write-meso with --no-nucleation is refused before any work."""
    from kmc.interface_rates import report

    def fake(settings, supersaturation, nucleation, trials, defect_trials, l1, **how):
        row = {"name": "nucleation_rate", "value": rate, "unit": "1/(um^2 s)", "error": 0.5 * rate,
               "method": "forward-flux sampling", "method_used": "FFS", "events": 1000,
               "note": "" if rate else "0 of 60 trials reached lambda = 8"}
        return {"json_version": report.JSON_VERSION, "params": "li", "temperature_K": 298.0, "solute_fraction": 0.0,
                "supersaturation": supersaturation, "cell_supersaturation": 134.0, "l1_start": "random",
                "box_hop_prefactor_Hz": 1e13, "rates": [row], "wall_s": 0.0}   # the file's rows' clock

    monkeypatch.setattr(report, "interface_rates", fake)
    rate = 4.2e5
    done = CliRunner().invoke(main, ["rates", str(li_copy), "--supersaturation", "250", "--write-meso", str(li_copy)])
    assert done.exit_code == 0, done.output
    meso = load_config(li_copy).meso
    assert dict(zip(meso.nucleation_rate_S, meso.nucleation_rate_per_um2_s))[250] == 4.2e5
    before = li_copy.read_text()
    rate = 0.0
    bound = CliRunner().invoke(main, ["rates", str(li_copy), "--supersaturation", "260", "--write-meso", str(li_copy)])
    assert bound.exit_code == 2 and "unchanged" in bound.stderr and li_copy.read_text() == before
    skipped = CliRunner().invoke(main, ["rates", "li_li2s", "--no-nucleation", "--write-meso", str(li_copy)])
    assert skipped.exit_code == 2 and "--no-nucleation" in skipped.stderr
