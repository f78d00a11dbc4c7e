"""tests/regimes.py's list of the tests that run each mechanism family in the shipped regime names
tests that exist, and covers every family of FAMILIES."""
import ast
from pathlib import Path

from regimes import SHIPPED_REGIME_TESTS

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = {"nucleation", "capture and emission", "creep refill", "stripping focus", "solute enrichment",
            "exchange with the electrode", "meso voids"}


def test_every_mechanism_family_names_tests_in_the_shipped_regime_that_exist():
    assert set(SHIPPED_REGIME_TESTS) == FAMILIES
    for family, ids in SHIPPED_REGIME_TESTS.items():
        assert ids, family
        for test_id in ids:
            path, name = test_id.split("::")
            name, _, case = name.partition("[")
            functions = {node.name: node for node in ast.walk(ast.parse((ROOT / path).read_text()))
                         if isinstance(node, ast.FunctionDef)}
            assert name in functions, f"{family}: {test_id} is gone"
            if case:      # the shipped case of a test run in both regimes
                assert case == "shipped]", test_id
                assert "vacancy_regime" in [a.arg for a in functions[name].args.args], test_id


def _setting(text: str):
    """(key, value) of a "section.key=value" override in any spelling of its value (quotes, spaces, 1 or
    1.0), None for any other string."""
    import re
    import tomllib
    match = re.fullmatch(r"\s*([a-z_]+\.[A-Za-z_0-9]+)\s*=\s*(.+?)\s*", text)
    if not match:
        return None
    try:
        value = tomllib.loads(f"v = {match.group(2)}")["v"]
    except tomllib.TOMLDecodeError:
        return None
    if isinstance(value, (list, dict)):
        return None
    return match.group(1), float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def inline_regimes(source: str) -> list[tuple[int, str]]:
    """(line, regime name) of every string in ``source`` that sets one of tests/regimes.py's REGIMES itself."""
    from regimes import REGIMES
    wanted = {_setting(text): name for name, text in REGIMES.items()}
    assert None not in wanted, "a regime that is not a section.key=value setting"
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            setting = _setting(node.value)
            if setting in wanted:
                found.append((node.lineno, node.col_offset, wanted[setting]))
    return [(line, name) for line, _, name in sorted(found)]


def test_no_test_writes_a_regime_inline():
    """A regime is named once (tests/regimes.py) and every test takes it from there: a test that writes
    one of its settings itself (e.g. "electrolyte.box_pore='none'") fails here, naming the constant."""
    written = [f"{path.relative_to(ROOT)}:{line} writes {name} inline; allowed: from regimes import {name}"
               for path in sorted((ROOT / "tests").rglob("*.py")) if path.name != "regimes.py"
               for line, name in inline_regimes(path.read_text())]
    assert not written, "\n".join(written)


def test_the_inline_check_sees_every_spelling():
    source = ('a = ["electrolyte.box_pore=\'none\'", "electrolyte.relative_density = 1.0"]\n'
              'b = "boundary.vacancy_formation_entropy_kB=0.0"\nc = "electrolyte.relative_density=0.83"\n')
    assert [name for _, name in inline_regimes(source)] == ["PERFECT_INTERFACE", "DENSE_FACE", "NO_FORMATION_ENTROPY"]
