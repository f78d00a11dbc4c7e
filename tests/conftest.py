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
