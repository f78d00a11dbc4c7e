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
- ``meso_cache_folder`` (session, automatic): the caches of `kmc meso` (energetics, pressed faces).

Helper modules (import them: ``from regimes import NO_FORMATION_ENTROPY``):
- ``regimes``: every regime a test runs in, named once with its reason (``NO_FORMATION_ENTROPY``, the
  S_f = 0 override; ``BULK_LAW``, ``DENSE_FACE``, ``OLD_FACE``; ``PERFECT_INTERFACE``) and where each
  mechanism family is tested in the shipped regime (SHIPPED_REGIME_TESTS); tests/test_regimes.py fails
  on a test file that writes one of their settings itself.
- ``pausing``: stop a ``kmc`` process at a chosen point of its run (tests/pause_hook).
- ``PARAMS``, ``ROOT`` below: the params/ folder and the checkout.

The order the files go to the workers (``pytest_collection_modifyitems`` below, with
``--no-loadscope-reorder`` in addopts): on a fresh clone numba's cache is empty, and a worker that
reaches the engine while another compiles it compiles it too (~75 s of CPU for each kind of box; the
fast tier runs the second-moment form only, tests/test_engine.py's ``slow_bond``, and its pore's
compilation only, ``one_event_loop_compilation`` below).  So one worker
starts with ``ENGINE_FIRST`` (it compiles the engine) while the others run the files that start no kMC run (``starts_the_engine``, read off each file's source: it names
none of the engine's entry points, runs no ``kmc`` command that starts one and imports no module that
measures with the kMC), the cell-scale ones first (``cell_scale``: they compile the disc's and the gap
model's kernels, once too); by the time they are done the engine is in the cache.  The other files
follow; within each group those with more tests first (xdist's own order).  A file the reading takes
for an engine file when it only names an entry point (a refused command, a stub) just runs later.
"""
import ast
from pathlib import Path

import pytest

from regimes import NO_FORMATION_ENTROPY

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ROOT / "params"

ENGINE_FIRST = ("test_engine.py",)
# What starts a kMC run and so compiles the engine: its entry points (the run state, the one way to open a
# run, the package's run, a sweep's run), the modules that measure with the kMC, the ``kmc`` commands that run
# it (as a CliRunner's or a process's first or second argument, or in a command line), the benchmark scripts
# (loaded from their folder)
ENGINE_NAMES = frozenset({"Simulation", "open_run", "run_sweep", "compile_engine"})
ENGINE_MODULES = ("kmc.interface_rates", "kmc.acceleration", "kmc.benchmark", "kmc.checkpoint")
ENGINE_COMMANDS = frozenset({"run", "sweep", "benchmark", "rates", "analyze"})
CELL_SCALE_MODULES = ("kmc.cell", "kmc.disc", "kmc.resolved", "kmc.mechanics", "kmc.energetics")
CELL_SCALE_NAMES = frozenset({"run_cell_to_file", "cell_inputs_of", "cell_model_of"})


def _imported(tree) -> set[str]:
    """Every module ``tree`` imports, and each name it imports from one as module.name."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def starts_the_engine(source: str) -> bool:
    """Whether a test file's source may start a kMC run (module docstring)."""
    tree = ast.parse(source)
    if any(m.startswith(ENGINE_MODULES) or m in ("kmc.run", "kmc.launch.run") or m.startswith("benchmarks")
           or m.rpartition(".")[2] in ENGINE_NAMES for m in _imported(tree)):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in ENGINE_NAMES:
            return True
        if isinstance(node, ast.Attribute) and (node.attr in ENGINE_NAMES or (
                node.attr == "run" and isinstance(node.value, ast.Name) and node.value.id == "kmc")):
            return True
        if isinstance(node, (ast.List, ast.Tuple)) and any(       # [command, ...] or [kmc, command, ...]
                isinstance(e, ast.Constant) and e.value in ENGINE_COMMANDS for e in node.elts[:2]):
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                any(f"kmc {command} " in node.value for command in ENGINE_COMMANDS)
                or node.value == "benchmarks" or node.value.startswith("benchmarks/")):   # a benchmark script
            return True
    return False


def cell_scale(source: str) -> bool:
    """Whether a test file runs the cell-scale models (imports their packages or kmc.launch's cell entries)."""
    return any(m.startswith(CELL_SCALE_MODULES) or m.rpartition(".")[2] in CELL_SCALE_NAMES
               for m in _imported(ast.parse(source)))


def file_order(files: dict[str, list], sources: dict[str, str]) -> list[str]:
    """The files (name -> their tests) in the order they go to the workers (module docstring)."""
    def group(name):
        if name in ENGINE_FIRST:
            return 0
        if starts_the_engine(sources[name]):
            return 3
        return 1 if cell_scale(sources[name]) else 2
    return sorted(files, key=lambda name: (group(name), -len(files[name]), name))


@pytest.hookimpl(trylast=True)      # after -m has deselected the other tier
def pytest_collection_modifyitems(config, items):
    """Each file's tests stay together and in their order; the files in ``file_order``."""
    files: dict[str, list] = {}
    sources = {}
    for item in items:
        files.setdefault(item.path.name, []).append(item)
        sources.setdefault(item.path.name, item.path.read_text())
    items[:] = [item for name in file_order(files, sources) for item in files[name]]
    config.stash[FAST_TIER_ONLY] = not any(item.get_closest_marker("slow") for item in items)


# The perfect interface (tests/regimes.py's PERFECT_INTERFACE, and the measurements of kmc.interface_rates
# at it) is a compilation of the event loop of its own (kmc.simulation.kernel_geometry: numba drops the
# pore's checks; ~70 s of CPU cold), the pore's another.  The same run bit for bit comes from the pore's
# compilation with every L1 site closed (an l1_open of zeros, as a bulk box has), so a session of fast
# tests only (the README's `pytest`, or a file of them) builds its boxes without a pore that way and
# compiles the second-moment loop once; the perfect interface's own compilation runs in the slow tier
# (tests/test_pore.py::test_the_perfect_interfaces_own_compilation_runs_as_the_pores, bit for bit, and
# every slow test with a box without a pore).  A `kmc` process a fast test starts compiles it the shipped
# way: those run in-process.
FAST_TIER_ONLY = pytest.StashKey[bool]()


@pytest.fixture(scope="session", autouse=True)
def one_event_loop_compilation(request):
    """In a session of fast tests only, the second-moment form's boxes without an open L1 site get the
    pore's compilation of the event loop (comment above)."""
    import kmc.simulation
    if not request.config.stash.get(FAST_TIER_ONLY, False):
        yield
        return
    shipped = kmc.simulation.kernel_geometry

    def with_the_pores_compilation(lattice, l1_open, model):
        return lattice.geometry(l1_open) if model.has_embedding else shipped(lattice, l1_open, model)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kmc.simulation, "kernel_geometry", with_the_pores_compilation)
        yield


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
    """What `kmc meso` caches (the interface energetics, kmc.energetics.cache_folder; the pressed faces,
    kmc.cell.kept_starts) goes to one folder of the session, shared by the processes the tests start, never the
    user's ~/.cache (a test that counts presses gives itself an empty one)."""
    import os
    folder = tmp_path_factory.mktemp("kmc-cache")
    previous = os.environ.get("KMC_CACHE_DIR")
    os.environ["KMC_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("KMC_CACHE_DIR", None)
    else:
        os.environ["KMC_CACHE_DIR"] = previous
