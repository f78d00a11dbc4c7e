"""What every test file may use (add a shared fixture here, with a line below).

Tiers (pyproject.toml's [tool.pytest.ini_options]):
- ``pytest``: the fast tier, the README's test command (under 5 min on a quiet 2-core machine): every
  feature at least once.  A test costs seconds; a long check goes to the slow tier.
- ``pytest -m slow``: the slow tier, long physics checks and validations (``@pytest.mark.slow``,
  with its cost and where the fast tier keeps the feature beside it); `.ci/run` runs both tiers,
  ``pytest -m ""`` runs both at once.  ``-m 'not slow'`` is in addopts, so ``pytest -n 0
  tests/test_x.py -k name`` skips a slow test unless ``-m slow`` (or ``-m ""``) is given too.

Fixtures:
- ``li_params``, ``limg_params``: the shipped parameter files' paths (params/).
- ``vacancy_regime``: the overrides of each vacancy regime of tests/regimes.py, ``[]`` for the
  shipped sets (ids ``shipped``) and ``[NO_FORMATION_ENTROPY]`` (``S_f=0``): a test that takes it
  runs in both.
- ``meso_cache_folder`` (session, automatic): the interface energetics cache of `kmc meso`.

Helper modules (import them: ``from regimes import NO_FORMATION_ENTROPY``):
- ``regimes``: ``NO_FORMATION_ENTROPY``, the S_f = 0 override, with the reason the mechanism tests
  use it and where each mechanism family is tested in the shipped regime (SHIPPED_REGIME_TESTS).
- ``pausing``: stop a ``kmc`` process at a chosen point of its run (tests/pause_hook).
- ``PARAMS``, ``ROOT`` below: the params/ folder and the checkout.

The order the files go to the workers (``pytest_collection_modifyitems`` below, with
``--no-loadscope-reorder`` in addopts): on a fresh clone numba's cache is empty, and a worker that
reaches the engine while another compiles it compiles it too (~40 s of CPU for each energy form).
So one worker starts with ``ENGINE_FIRST`` (it compiles both energy forms of the engine) while the
others run ``WITHOUT_THE_ENGINE``, files that start no kMC run in their process or in a ``kmc`` they
start (their own kernels, the cell-scale models', are compiled once too); by the time they are done
the engine is in the cache.  The other files follow, those with more tests first (xdist's own order).
"""
from pathlib import Path

import pytest

from regimes import NO_FORMATION_ENTROPY

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ROOT / "params"

ENGINE_FIRST = ("test_engine.py",)
# in the order they run; the cell-scale files first (they compile the disc's and the section's kernels)
WITHOUT_THE_ENGINE = (
    "test_meso.py", "test_area.py", "test_meso_cli.py", "test_fit.py", "test_mechanics.py", "test_atomistic.py",
    "test_physical_kinetics_eq_l1.py", "test_layers.py", "test_alloy.py", "test_pore_edge_cell.py",
    "test_resolved.py", "test_assembly.py", "test_pellet.py", "test_meso_reference.py", "test_meso_sensitivity.py",
    "test_meso_mechanics_scan.py", "test_physics.py", "test_flow.py", "test_lattice.py", "test_regimes.py", "test_seed004.py",
    "test_studies.py", "test_examples.py", "test_jit.py", "test_kinetics_enrichment.py", "test_write_meso.py",
    "test_foil_face.py", "test_area_solute.py")


@pytest.hookimpl(trylast=True)      # after -m has deselected the other tier
def pytest_collection_modifyitems(config, items):
    """Each file's tests stay together and in their order; the files in the order above."""
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.path.name, []).append(item)
    first = ENGINE_FIRST + WITHOUT_THE_ENGINE
    rank = {name: i for i, name in enumerate(first)}
    order = sorted(files, key=lambda name: (rank.get(name, len(first)), -len(files[name])))
    items[:] = [item for name in order for item in files[name]]


@pytest.fixture
def li_params():
    return PARAMS / "li_li2s.toml"


@pytest.fixture
def limg_params():
    return PARAMS / "limg_li2s.toml"


@pytest.fixture(params=[[], [NO_FORMATION_ENTROPY]], ids=["shipped", "S_f=0"])
def vacancy_regime(request) -> list[str]:
    """The overrides of each vacancy regime (tests/regimes.py): the shipped sets as they are, and
    S_f = 0."""
    return list(request.param)


@pytest.fixture(scope="session", autouse=True)
def meso_cache_folder(tmp_path_factory):
    """The interface energetics `kmc meso` caches (kmc.energetics.cache_folder) go to one folder
    of the session, shared by the processes the tests start, never the user's ~/.cache."""
    import os
    folder = tmp_path_factory.mktemp("kmc-cache")
    previous = os.environ.get("KMC_CACHE_DIR")
    os.environ["KMC_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("KMC_CACHE_DIR", None)
    else:
        os.environ["KMC_CACHE_DIR"] = previous
