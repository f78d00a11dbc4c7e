"""The layer table of ARCHITECTURE.md, enforced on the code.

The table is read from ARCHITECTURE.md itself, so changing the layering means changing the
document.  Every module of kmc/ and lattices/ must appear in it, and may import only modules of
its own layer or of the layers above it: at the top of the file and inside functions alike (a
lazy import is a dependency all the same).  The one exception is a constant of the package root
``kmc/__init__.py`` (``__version__``): the root imports nothing at its top, so reading it runs no
other module (checked here).
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kmc", "lattices")
SECTION = "## Layers, and who may import whom"


def layer_table(text: str, reserved: bool = False) -> dict[str, tuple[int, str]]:
    """{module path (kmc/model.py, or a folder ending in /): (layer index, layer name)} from the
    first markdown table under the layers heading; ``reserved``: only the rows whose description
    starts "(reserved", a layer another branch is building (its folder may not exist yet)."""
    section = text[text.index(SECTION):]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    header, rule, *body = rows
    assert header[:2] == ["layer", "modules"] and set(rule[0]) <= set("-:"), header
    table = {}
    for index, (name, modules, *rest) in enumerate(body):
        if reserved and not (rest and rest[0].startswith("(reserved")):
            continue
        paths = re.findall(r"`([^`]+)`", modules)
        assert paths, f"layer {name!r} names no module"
        for path in paths:
            assert path not in table, f"{path} is in two layers"
            table[path] = (index, name)
    return table


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """{dotted name: file} of every module of the packages."""
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def layer_of(path: Path, table) -> tuple[int, str] | None:
    rel = path.relative_to(ROOT).as_posix()
    if rel in table:
        return table[rel]
    folders = [f for f in table if f.endswith("/") and rel.startswith(f)]
    return table[max(folders, key=len)] if folders else None


def root_constants() -> set[str]:
    """Names the package root kmc/__init__.py assigns at its top (``__version__``)."""
    tree = ast.parse((ROOT / "kmc/__init__.py").read_text())
    return {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
            if isinstance(t, ast.Name)}


def imports(source: str, module: str, is_package: bool, known: dict) -> list[tuple[str, int]]:
    """(imported module of the packages, line) for every import in ``source``, wherever it is;
    ``from P import N`` is module P.N if that is a module, else P (a name defined in P)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names = []
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    names.append(f"{base}.{alias.name}")
                elif not (base == "kmc" and alias.name in root_constants()):
                    names.append(base)
        else:
            continue
        for name in names:
            while name and name not in known:       # `import kmc.cli.run` names the module kmc.cli.run
                name = name.rpartition(".")[0]
            if name and name.split(".")[0] in PACKAGES:
                found.append((name, node.lineno))
    return found


def breaches(table, known: dict) -> list[str]:
    out = []
    for name, path in known.items():
        own = layer_of(path, table)
        for target, line in imports(path.read_text(), name, path.name == "__init__.py", known):
            theirs = layer_of(known[target], table)
            if own and theirs and theirs[0] > own[0]:
                out.append(f"{path.relative_to(ROOT)}:{line} ({own[1]}) imports {target} ({theirs[1]}, a lower layer)")
    return out


@pytest.fixture(scope="module")
def table():
    return layer_table((ROOT / "ARCHITECTURE.md").read_text())


def test_every_module_is_in_the_layer_table_and_every_row_exists(table):
    known = modules()
    missing = [str(p.relative_to(ROOT)) for p in known.values() if layer_of(p, table) is None]
    assert not missing, f"add these to the layer table of ARCHITECTURE.md: {missing}"
    reserved = layer_table((ROOT / "ARCHITECTURE.md").read_text(), reserved=True)
    stale = [entry for entry in table if not (ROOT / entry).exists() and entry not in reserved]
    assert not stale, f"the layer table names modules that do not exist: {stale}"


def test_each_module_imports_only_its_own_or_higher_layers(table):
    found = breaches(table, modules())
    assert not found, "\n".join(found)


def test_no_import_circle():
    """No two modules import each other, directly or round a longer loop (imports inside
    functions included)."""
    known = modules()
    graph = {name: {t for t, _ in imports(p.read_text(), name, p.name == "__init__.py", known) if t != name}
             for name, p in known.items()}
    state, circles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                circles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not circles, circles


def unit_of(module: str) -> str:
    """The package a module belongs to for the package-level check: its folder under kmc/ (kmc.disc,
    kmc.runfile, ...), lattices, or the module itself for a top-level file of kmc/ (kmc.model)."""
    parts = module.split(".")
    if parts[0] != "kmc":
        return parts[0]
    return ".".join(parts[:2])


def package_circles(graph: dict[str, set[str]]) -> list[str]:
    """Loops between packages: the module graph's edges collapsed onto ``unit_of`` (a module-level
    check cannot see one package importing a second that imports the first back from another file)."""
    units: dict[str, set[str]] = {}
    for name, targets in graph.items():
        units.setdefault(unit_of(name), set()).update(unit_of(t) for t in targets)
    for unit, targets in units.items():
        targets.discard(unit)
    state, circles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(units.get(node, ())):
            if state.get(nxt) == "open":
                circles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for unit in sorted(units):
        if unit not in state:
            visit(unit, [unit])
    return circles


def module_graph(known: dict, extra: dict | None = None) -> dict[str, set[str]]:
    """{module: the package modules it imports}; ``extra``: {module: source appended to its own}."""
    extra = extra or {}
    return {name: {t for t, _ in imports(p.read_text() + extra.get(name, ""), name, p.name == "__init__.py", known)
                   if t != name} for name, p in known.items()}


def test_no_circle_between_packages():
    """No package imports another that imports it back, through any of their modules (the cell-scale
    wing's models import kmc.cell and never each other)."""
    circles = package_circles(module_graph(modules()))
    assert not circles, circles


def test_the_package_check_sees_the_old_loop_of_the_cell_scale_models():
    """The loop a module-level check missed: the disc model's package dispatching to the gap
    model, which imports the disc model's rules back; each is a plain import of one module (no
    module-level circle), and the package check reports it."""
    known = modules()
    lazy = "\n\ndef _dispatch():\n    from kmc.resolved.section import SectionModel\n"
    back = "\n\nfrom kmc.disc.kinetics import CAPTURE_PER_RADIUS\n"
    graph = module_graph(known, {"kmc.disc.voids": lazy, "kmc.resolved.gap": back})
    assert any("kmc.disc" in c and "kmc.resolved" in c for c in package_circles(graph))
    assert not package_circles(module_graph(known, {"kmc.disc.voids": lazy}))


def test_the_check_sees_a_lazy_downward_import_and_a_missing_module(table, tmp_path):
    """The checks can fail: the import that made the analysis <-> io circle, inside a function,
    is a breach; a module outside the table is reported."""
    known = modules()
    io_source = (ROOT / "kmc/runfile/readers.py").read_text() + "\n\ndef _late():\n    from kmc.analysis import load_analysis\n"
    found = [t for t, _ in imports(io_source, "kmc.runfile.readers", False, known)]
    assert "kmc.analysis" in found
    assert layer_of(known["kmc.analysis"], table)[0] > layer_of(known["kmc.runfile.readers"], table)[0]
    assert imports("from kmc import __version__, engine\n", "kmc.runfile.readers", False, known) == [("kmc.engine", 1)]
    assert imports("from . import rate_rules\nfrom .sites import COUNT_BITS\n", "kmc.engine", False, known) == \
        [("kmc.rate_rules", 1), ("kmc.sites", 2)]
    assert layer_of(ROOT / "kmc/new_thing.py", table) is None
    assert layer_of(ROOT / "kmc/cli/run.py", table)[1] == "command line"


def test_the_package_root_imports_nothing_at_its_top():
    """What makes reading kmc.__version__ from any layer safe."""
    tree = ast.parse((ROOT / "kmc/__init__.py").read_text())
    assert not [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert "__version__" in root_constants()


# The gap model's two geometries (kmc/resolved): each a module of its own (and the area's helpers), over the
# modules both share, which know neither
SECTION_MODULES = {"kmc.resolved.section"}
AREA_MODULES = {"kmc.resolved.area", "kmc.resolved.area_walls", "kmc.resolved.area_shapes"}


def geometry_crossings(graph: dict[str, set[str]]) -> list[str]:
    """Imports from the section's modules to the area's or back, and from a shared module of kmc/resolved
    to either geometry's."""
    geometries = SECTION_MODULES | AREA_MODULES
    out = []
    for module, targets in graph.items():
        if not module.startswith("kmc.resolved"):
            continue
        for target in sorted(targets):
            if (module in SECTION_MODULES and target in AREA_MODULES) or (
                    module in AREA_MODULES and target in SECTION_MODULES) or (
                    module not in geometries and target in geometries):
                out.append(f"{module} imports {target}")
    return out


def test_the_section_and_the_area_never_import_each_other():
    """No import between the section's modules and the area's, and none from what both share (the gap
    model's step, the press, the fields, the walls' line rules) to either: the choice of geometry is made
    by name (kmc.launch), and each geometry overrides only its hooks (docs/meso.md).  The check sees the
    imports of before (kmc/resolved/area.py importing the section's step)."""
    known = modules()
    assert set(known) >= SECTION_MODULES | AREA_MODULES
    assert not geometry_crossings(module_graph(known))
    before = module_graph(known, {"kmc.resolved.area": "\n\nfrom kmc.resolved.section import SectionModel\n",
                                  "kmc.resolved.assembly": "\n\nfrom kmc.resolved.area_walls import area_walls_of\n"})
    assert geometry_crossings(before) == ["kmc.resolved.area imports kmc.resolved.section",
                                          "kmc.resolved.assembly imports kmc.resolved.area_walls"]
