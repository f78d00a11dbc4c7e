"""`kmc run` exit codes that are not about bad input: a run that stops because nothing is left to
strip writes its complete file, then exits 3 with one message that says so."""
import subprocess
import sys
from pathlib import Path

import h5py

from kmc.cli.run import EXIT_NOTHING_TO_STRIP
from kmc.config import SCHEMA

EXIT_INTERRUPTED = 130

SOLUTE_FRACTION = ("composition.solute_fraction" if "solute_fraction" in SCHEMA["composition"]
                   else "composition.mg_fraction")   # the key's name before species became data


def test_nothing_left_to_strip_writes_the_file_then_exits_3(tmp_path):
    # a two-layer box at the highest solute fraction, no creep: the contact layer runs out of Li
    kmc = Path(sys.executable).parent / "kmc"
    out = tmp_path / "empty.h5"
    proc = subprocess.run([str(kmc) if kmc.exists() else "kmc", "run", "limg_li2s", "-o", str(out),
                           "--set", "lattice.cells=[4,4,2]", "--set", f"{SOLUTE_FRACTION}=0.7",
                           "--set", "conditions.stack_pressure_MPa=0", "--set", "run.stop_stripped_mAh_cm2=1",
                           "--set", "run.max_events=2000000"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    # one error line (the acceleration check's warning may precede it: Li-Mg at the shipped A)
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(errors) == 1 and errors[0].startswith("error: "), proc.stderr
    assert "no Li atom is left in the contact layer to strip" in proc.stderr and str(out) in proc.stderr
    assert f"wrote {out}" in proc.stdout
    with h5py.File(out, "r") as f:          # the file is complete and says why the run stopped
        assert f["run"].attrs["stop_reason"] in ("no_strippable_li", "no_strippable_host")
        assert f["particles/metal/species/value"].shape[0] >= 2
    assert not Path(str(out) + ".partial").exists() and not Path(str(out) + ".checkpoint").exists()


def test_help_lists_the_exit_codes():
    from click.testing import CliRunner

    from kmc.cli import main
    text = CliRunner().invoke(main, ["run", "--help"]).output
    codes = text[text.index("Exit codes:"):].splitlines()[1:]
    assert [line.split()[0] for line in codes if line.strip() and line.startswith("  ") and line.split()[0].isdigit()] \
        == ["0", "2", "3", str(EXIT_INTERRUPTED)]
    assert str(EXIT_NOTHING_TO_STRIP) == "3"
