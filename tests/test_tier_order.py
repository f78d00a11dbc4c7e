"""The fast tier's file order (tests/conftest.py) is read off the test files themselves: a file that may
start a kMC run goes after the engine's own tests and after the files that cannot, so that on a fresh
clone one worker compiles the engine while the others run files that never need it."""
from pathlib import Path

from conftest import ENGINE_FIRST, cell_scale, file_order, starts_the_engine

TESTS = Path(__file__).resolve().parent


def test_the_reading_sees_each_way_a_file_starts_the_engine():
    assert not starts_the_engine("from kmc.config import load_config\nload_config('x')\n")
    for source in ("from kmc.simulation import Simulation\n",
                   "import kmc\nkmc.run('li_li2s')\n",
                   "from kmc.launch import open_run\n",
                   "from kmc.interface_rates import steady\n",
                   "CliRunner().invoke(main, ['run', 'li_li2s'])\n",
                   "subprocess.run([KMC, 'rates', 'li_li2s'])\n",
                   "text = 'kmc sweep runs/spec.toml -o out'\n",
                   "path = ROOT / 'benchmarks' / 'long_run.py'\n"):
        assert starts_the_engine(source), source


def test_the_engine_first_then_the_cell_scale_files_without_it_then_the_rest():
    sources = {p.name: p.read_text() for p in TESTS.glob("test_*.py")}
    assert starts_the_engine(sources["test_engine.py"]) and starts_the_engine(sources["test_resume.py"])
    assert not starts_the_engine(sources["test_meso.py"]) and cell_scale(sources["test_meso.py"])
    assert not starts_the_engine(sources["test_lattice.py"]) and not cell_scale(sources["test_lattice.py"])
    order = file_order({name: [None] for name in sources}, sources)
    assert order[:len(ENGINE_FIRST)] == list(ENGINE_FIRST)
    rank = {name: i for i, name in enumerate(order)}
    assert rank["test_meso.py"] < rank["test_lattice.py"] < rank["test_resume.py"]
