"""The README's commands stay true: the main job runs on its defaults and writes its file, every
Python example runs, and every file it links to is there."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

README_MAX_LINES = 350   # a user's guide; history and reports live in docs/

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return [line.strip() for b in blocks for line in b.splitlines() if line.strip()]


def test_readme_states_the_two_commands():
    """The main job and the tests; the slow tier's command beside them, and CI runs both tiers."""
    cmds = readme_commands()
    assert cmds[0] == "pip install -e . && kmc run params/li_li2s.toml"
    assert cmds[1] == 'pip install -e ".[dev]" && pytest'
    assert "`pytest -m slow`" in (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert 'pip install -e ".[dev]" && pytest' in ci and "pytest -m slow" in ci


def readme_python_blocks():
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_the_main_command_and_every_python_example_run(tmp_path, monkeypatch):
    """The README's main command (minus the install, already done) in a fresh folder holding the
    params/ folder, on a small box (the full default run's output is checked by
    tests/test_readme_outputs.py): it writes its file where the README says.  Then the ```python
    blocks, in order and in one namespace, in that folder."""
    import matplotlib
    matplotlib.use("Agg")
    blocks = readme_python_blocks()
    assert len(blocks) >= 3
    shutil.copytree(ROOT / "params", tmp_path / "params")
    kmc = Path(sys.executable).parent / "kmc"
    cmd = readme_commands()[0].split("&&")[1].split()
    made = subprocess.run([str(kmc) if kmc.exists() else "kmc", *cmd[1:], "--set", "lattice.cells=[8,8,6]", "--set",
                           "run.stop_stripped_mAh_cm2=4e-5", "--set", "run.acceleration=1e8"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    out = tmp_path / "runs" / "out" / "li_li2s_s1.h5"
    assert f"wrote {out.relative_to(tmp_path)}" in made.stdout
    with h5py.File(out, "r") as f:
        assert f["run"].attrs["stop_reason"] == "stripped_charge"
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"README python block {number}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"README python block {number} fails: {type(exc).__name__}: {exc}\n{block}") from exc
    assert (tmp_path / "runs" / "out" / "section.png").is_file()     # the last figure example wrote its file


def test_the_readmes_commands_write_under_runs_out():
    """Every file a README command or example writes (-o, a shell redirection, savefig) lands in
    runs/out/ (git-ignored), not in the repository's root."""
    text = (ROOT / "README.md").read_text()
    lines = [line.lstrip("$ ").strip() for block in re.findall(r"```(?:console|bash)\n(.*?)```", text, re.S)
             for line in block.splitlines() if line.lstrip("$ ").startswith("kmc ")]
    lines += re.findall(r"`(kmc [^`]*)`", text)
    outputs = [m for line in lines for m in re.findall(r"(?:-o|--output|>)\s+(\S+)", line.split("#")[0])]
    outputs += re.findall(r"savefig\(\"([^\"]+)\"\)", text)
    assert len(outputs) >= 15
    assert [o for o in outputs if not o.startswith("runs/out/")] == []


def test_readme_is_a_guide_and_its_links_resolve():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= README_MAX_LINES
    links = re.findall(r"\]\(([^)#]+)\)", text)
    local = [link for link in links if "://" not in link]
    assert {"docs/performance.md", "docs/validation.md"} <= set(local)
    for link in local:
        assert (ROOT / link).exists(), link
    for doc in ("docs/performance.md", "docs/validation.md"):   # and the docs' own links
        for link in re.findall(r"\]\(([^)#]+)\)", (ROOT / doc).read_text()):
            if "://" not in link:
                assert (ROOT / "docs" / link).exists(), f"{doc}: {link}"


def _shipped_text_files():
    """The repository's tracked text files (what a clone holds)."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    for name in listed.stdout.splitlines():
        path = ROOT / name
        try:
            yield name, path.read_text()
        except (UnicodeDecodeError, OSError):     # binary (figures) or gone from the work tree
            continue


def test_no_shipped_file_points_outside_the_repository():
    """A clone has no folder of shared notes beside it: the physics the code rests on is docs/physics.md,
    and no shipped file sends a reader to that folder (.ci/ describes the CI machine, which has it)."""
    folder = "sha" + "red"          # spelled apart: this file names no such path itself
    # the folder itself, or its two notes by name (a clone has neither)
    notes = "|".join(name + r"\.md" for name in ("PHY" + "SICS", "DES" + "IGN"))
    outside = re.compile(rf"\.\./{folder}\b|/work/{folder}\b|\b(?:{notes})")
    found = [f"{name}:{text.count(chr(10), 0, m.start()) + 1}" for name, text in _shipped_text_files()
             if not name.startswith(".ci/") for m in outside.finditer(text)]
    assert not found, found
    assert "§11" in (ROOT / "docs" / "physics.md").read_text()


def test_the_sweep_specs_quote_no_default_run_of_before():
    """The sweep specs' headers may not quote the default run's box or charge (they went stale when the
    defaults changed): a header that states a box in nm or a charge in monolayers must state the
    parameter sets' own."""
    from kmc.config import load_config
    default = load_config(ROOT / "params" / "li_li2s.toml")
    a_nm = default.lattice.lattice_constant_A / 10
    nx, ny, nz = default.lattice.cells
    for spec in sorted((ROOT / "runs").glob("*.toml")):
        header = "".join(line for line in spec.read_text().splitlines(keepends=True) if line.startswith("#"))
        if "params defaults" in header or "parameter sets' defaults" in header:
            for box in re.findall(r"(\d+\.\d) x (\d+\.\d) x (\d+\.\d) nm", header):
                assert [float(x) for x in box] == pytest.approx([nx * a_nm, ny * a_nm, nz * a_nm], abs=0.05), spec
            for charge, _ in re.findall(r"(\d[\d.e-]*) mAh/cm2 = (\d[\d.]*) monolayers", header):
                assert float(charge) == default.run.stop_stripped_mAh_cm2, spec.name
