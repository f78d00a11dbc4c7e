"""Parameter sets ship inside the package: names work from any folder, after an editable install
(this venv) and after a normal wheel install into a fresh environment."""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import h5py
import pytest

from kmc.cli.params import shipped_params

ROOT = Path(__file__).resolve().parent.parent
QUICK = ["--set", "lattice.cells=[8,8,6]", "--set", "run.stop_stripped_mAh_cm2=2e-5"]


def kmc_in(python: Path) -> str:
    script = python.parent / "kmc"
    return str(script) if script.exists() else "kmc"


def test_every_toml_in_params_is_shipped_and_found_by_importlib_resources():
    shipped = shipped_params()
    assert sorted(shipped) == sorted(p.stem for p in (ROOT / "params").glob("*.toml"))
    for name, path in shipped.items():
        assert path.read_text() == (ROOT / "params" / f"{name}.toml").read_text()


def test_names_list_and_export_work_outside_the_checkout(tmp_path):
    """The editable install of this venv, from a folder with no params/ in it."""
    kmc = kmc_in(Path(sys.executable))
    # a wide terminal, so that each set is one line whatever width the test runner's terminal has
    listed = subprocess.run([kmc, "params", "list"], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "250"})
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == sorted(shipped_params())
    exported = subprocess.run([kmc, "params", "export", "limg_li2s", "-o", "mine.toml"], cwd=tmp_path,
                              capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "mine.toml").read_text()
    assert text.startswith("# Exported from the kmc parameter set 'limg_li2s'")
    assert text.endswith((ROOT / "params" / "limg_li2s.toml").read_text())   # verbatim, comments and all
    again = subprocess.run([kmc, "params", "export", "li_li2s", "-o", "mine.toml"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert again.returncode == 2 and again.stderr.count("\n") == 1
    assert "mine.toml exists; allowed: a new file name" in again.stderr
    assert (tmp_path / "mine.toml").read_text() == text          # nothing overwritten
    unknown = subprocess.run([kmc, "params", "export", "li_zn", "-o", "zn.toml"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert unknown.returncode == 2 and f"one of {', '.join(sorted(shipped_params()))}" in unknown.stderr
    assert not (tmp_path / "zn.toml").exists()
    shown = subprocess.run([kmc, "params", "show", "params/li_li2s.toml"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert shown.returncode == 0 and "[lattice]" in shown.stdout


def test_the_base_install_brings_what_the_readmes_notebook_lines_use():
    """`pip install -e .` (no extra) must bring xarray and pandas: kmc.load returns an
    xarray.Dataset, kmc.analysis and kmc.load_analysis pandas DataFrames (the README's lines)."""
    from importlib.metadata import requires
    base = {r.split(";")[0].split(">")[0].split("=")[0].split("[")[0].strip().lower()
            for r in requires("kmc-vacancy") if "extra ==" not in r}
    assert {"xarray", "pandas"} <= base


@pytest.mark.slow
def test_a_wheel_in_a_fresh_environment_runs_the_readme_commands_by_name(tmp_path):
    """Build the wheel, install it (no editable link to the checkout) into a fresh venv whose only
    other packages are this venv's dependencies, then run by name from an empty folder."""
    src = tmp_path / "src"    # a copy: building in the checkout would leave build/ behind
    src.mkdir()
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, src / part)
    for folder in ("kmc", "params", "lattices"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    # with this environment's setuptools (the dev extra's): no build environment is fetched, so the
    # suite needs no network
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(src)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    wheel = next(wheels.glob("kmc_vacancy-*.whl"))
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # this venv's dependencies, as a plain path entry: its .pth files (the editable link) are not run
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                                "-q", str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    # without NUMBA_CACHE_DIR the JIT cache goes beside the installed modules, where it is read below
    env_vars = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "NUMBA_CACHE_DIR")}
    where = subprocess.run([str(python), "-c", "import kmc, kmc.params; print(kmc.__file__, kmc.params.__file__)"],
                           cwd=work, capture_output=True, text=True, env=env_vars)
    assert str(site) in where.stdout and str(ROOT) not in where.stdout, where.stdout + where.stderr
    kmc = str(env / "bin" / "kmc")
    for argv in (["run", "params/li_li2s.toml", *QUICK],          # the README's command, from elsewhere
                 ["run", "limg_li2s", *QUICK, "-o", "limg.h5"]):
        proc = subprocess.run([kmc, *argv], cwd=work, capture_output=True, text=True, env=env_vars, timeout=600)
        assert proc.returncode == 0, proc.stderr
    with h5py.File(work / "runs" / "out" / "li_li2s_s1.h5", "r") as f:
        assert f["run"].attrs["stop_reason"] == "stripped_charge"
    with h5py.File(work / "limg.h5", "r") as f:
        assert str(f["parameters"].attrs["source"]).startswith(str(site))
    listed = subprocess.run([kmc, "params", "list"], cwd=work, capture_output=True, text=True, env=env_vars)
    assert listed.returncode == 0 and "limg_li2s" in listed.stdout
    # Both runs are of the shipped second-moment form, compiled cold into this env: a run compiles
    # only its own energy form (kmc.engine.loop.form_markers), so the JIT cache holds the embedding's
    # refresh and none of the bond form's (_refresh_around is called from bond code only).
    # (a kernel called from kernels is cached as "<name>.callee", lattices.jit.Kernel)
    cached = {p.name.split("-")[0].removesuffix(".callee")
              for p in (site / "kmc" / "engine" / "__pycache__").glob("*.nbi")}
    assert "refresh._refresh_around_embedding" in cached and "loop.run_chunk" in cached, sorted(cached)
    assert "refresh._refresh_around" not in cached, sorted(cached)
