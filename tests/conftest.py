from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ROOT / "params"


@pytest.fixture
def li_params():
    return PARAMS / "li_li2s.toml"


@pytest.fixture
def limg_params():
    return PARAMS / "limg_li2s.toml"


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
