"""tests/regimes.py's list of the tests that run each mechanism family in the shipped regime names
tests that exist, and covers every family issue 56 named."""
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
