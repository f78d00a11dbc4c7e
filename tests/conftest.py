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
"""
from pathlib import Path

import pytest

from regimes import NO_FORMATION_ENTROPY

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ROOT / "params"


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
    """The interface energetics `kmc meso` caches (kmc.cell.energetics.cache_folder) go to one folder
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
