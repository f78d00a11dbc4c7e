"""The README's commands stay true: the main job runs on its defaults and writes its file, every
Python example runs, and every file it links to is there."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

README_MAX_LINES = 350   # a user's guide (issue 16.7); history and reports live in docs/

ROOT = Path(__file__).resolve().parent.parent


def readme_commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return [line.strip() for b in blocks for line in b.splitlines() if line.strip()]


def test_readme_states_the_two_commands():
    cmds = readme_commands()
    assert cmds[0] == "pip install -e . && kmc run params/li_li2s.toml"
    assert cmds[1] == 'pip install -e ".[dev]" && pytest'
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -e ".[dev]" && pytest' in ci


@pytest.mark.slow
def test_readme_main_job_runs(tmp_path):
    """Runs the README's main command (minus the install, already done) in a fresh folder."""
    cmd = readme_commands()[0].split("&&")[1].strip()
    shutil.copytree(ROOT / "params", tmp_path / "params")
    kmc = Path(sys.executable).parent / "kmc"
    argv = [str(kmc) if kmc.exists() else "kmc", *cmd.split()[1:]]
    proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "runs" / "out" / "li_li2s_s1.h5"
    assert f"wrote {out.relative_to(tmp_path)}" in proc.stdout
    with h5py.File(out, "r") as f:
        assert f["run"].attrs["stop_reason"] == "stripped_charge"
        assert f["particles/metal/species/value"].shape[0] >= 5
        assert f["observables/stripped_charge/value"][-1] >= 2.0e-4


@pytest.mark.slow
def test_limg_default_runs(tmp_path):
    kmc = Path(sys.executable).parent / "kmc"
    proc = subprocess.run([str(kmc) if kmc.exists() else "kmc", "run", str(ROOT / "params" / "limg_li2s.toml"),
                           "-o", str(tmp_path / "limg.h5")], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    with h5py.File(tmp_path / "limg.h5", "r") as f:
        assert f["run"].attrs["stop_reason"] == "stripped_charge"
        assert f["observables/interface_solute_fraction/value"][-1] > 0


def readme_python_blocks():
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_every_python_example_runs(tmp_path, monkeypatch):
    """The ```python blocks, in order and in one namespace, in a folder holding a small run under
    the README's file name (runs/out/li_li2s_s1.h5) and the params/ folder."""
    import matplotlib
    matplotlib.use("Agg")
    blocks = readme_python_blocks()
    assert len(blocks) >= 3
    shutil.copytree(ROOT / "params", tmp_path / "params")
    kmc = Path(sys.executable).parent / "kmc"
    made = subprocess.run([str(kmc) if kmc.exists() else "kmc", "run", "params/li_li2s.toml", "--set",
                           "lattice.cells=[8,8,6]", "--set", "run.stop_stripped_mAh_cm2=4e-5", "--set",
                           "run.acceleration=1e8"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "runs" / "out" / "li_li2s_s1.h5").is_file()
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"README python block {number}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"README python block {number} fails: {type(exc).__name__}: {exc}\n{block}") from exc
    assert (tmp_path / "section.png").is_file()     # the last figure example wrote its file


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
