"""kmc.atomistic (docs/interface_energies.md): the structures, the pipeline with the real potential on a tiny cell,
the stored rows against the stored energies, and the layer staying optional.

Everything but the first test skips when the `atomistic` extra (ase; torch + chgnet for the
pipeline) is not installed."""
import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HAS_ASE = importlib.util.find_spec("ase") is not None
HAS_POTENTIAL = HAS_ASE and importlib.util.find_spec("chgnet") is not None and importlib.util.find_spec("torch") is not None
needs_ase = pytest.mark.skipif(not HAS_ASE, reason="the atomistic extra (ase) is not installed")
needs_potential = pytest.mark.skipif(not HAS_POTENTIAL, reason="the atomistic extra (torch, chgnet) is not installed")
OPTIONAL = ("kmc.atomistic", "ase", "torch", "chgnet")


def test_the_rest_of_kmc_never_imports_the_atomistic_layer():
    """kmc runs without ase/torch: no module outside kmc/atomistic imports it or them."""
    offenders = []
    for path in (ROOT / "kmc").rglob("*.py"):
        if "atomistic" in path.relative_to(ROOT / "kmc").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            names += [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) and node.module else []
            if isinstance(node, ast.ImportFrom) and node.level and any(a.name == "atomistic" for a in node.names):
                names.append("kmc.atomistic")
            offenders += [(path.name, n) for n in names if any(n == o or n.startswith(o + ".") for o in OPTIONAL)]
    assert not offenders


@needs_ase
def test_interface_is_stoichiometric_commensurate_and_named_by_site():
    from kmc.atomistic import structures as st
    for termination in ("Li", "S"):
        electrolyte = st.interface(5.61, termination=termination, with_metal=False).atoms
        symbols = electrolyte.get_chemical_symbols()
        assert symbols.count("Li") == 2 * symbols.count("S") == 72
    full = st.interface(5.61)
    metal = [s for s in full.sites if s[0] == "L"]
    assert len(metal) == 5 * 25 and len(set(full.sites)) == len(full.sites)
    # 5 Li spacings span 3 Li2S cells: the metal layer repeats exactly with the cell
    assert full.atoms.cell[0, 0] == pytest.approx(3 * 5.61)
    # an L2 site's first neighbours in L1 sit a*sqrt(3)/2 away
    a_li = 3 * 5.61 / 5
    assert st.metal_site_distance(full, ("L", 1, 2, 2), ("L", 2, 2, 2)) == pytest.approx(a_li * 3 ** 0.5 / 2)
    changed = full.configure({("L", 1, 2, 2): "X", ("L", 2, 0, 0): "Mg"})
    assert len(changed) == len(full.atoms) - 1 and changed.get_chemical_symbols().count("Mg") == 1
    with pytest.raises(ValueError, match="allowed: Mg, Li, X"):
        full.configure({("L", 1, 0, 0): "Al"})
    with pytest.raises(ValueError, match="not in the structure"):
        full.configure({("L", 9, 0, 0): "X"})


@needs_ase
def test_spread_sites_keeps_mg_apart():
    from kmc.atomistic import structures as st
    six = st.spread_sites(5, 6)
    assert len(set(six)) == 6
    # no two of six Mg on a 5x5 layer are in-plane first neighbours (squared spacing 1, in a^2)
    def d2(p, q):
        return sum(min(abs(p[k] - q[k]), 5 - abs(p[k] - q[k])) ** 2 for k in (2, 3))
    assert min(d2(p, q) for p in six for q in six if p != q) >= 2
    assert len(set(st.spread_sites(5, 25))) == 25


@needs_potential
def test_pipeline_relaxes_a_tiny_vacancy_with_the_real_potential(tmp_path, monkeypatch):
    """16-atom BCC Li with one vacancy through structure -> relaxed energy -> row, real CHGNet.
    The formation energy must be positive and of the scale DFT gives (0.50 eV, seed 004; CHGNet
    softens it to ~0.3): 0.1-0.8 eV fails for a wrong mu_Li, a missing relaxation or a broken model."""
    from kmc.atomistic import pipeline, structures as st
    cache = pipeline.EnergyCache(tmp_path / "e.json")
    structure = st.bulk_li(3.41, 2)
    pure = pipeline.relaxed_energy(cache, "tiny:pure", lambda: structure.configure({}), log=lambda m: None)
    vacancy = pipeline.relaxed_energy(cache, "tiny:vac", lambda: structure.configure({("B", 0, 0, 0, 0): "X"}),
                                      log=lambda m: None)
    formation = vacancy + pure / 16 - pure
    assert 0.1 < formation < 0.8
    # the cache answers without relaxing again, and survives a reload
    monkeypatch.setattr(pipeline, "relax", lambda *a, **k: pytest.fail("relaxed a cached structure"))
    again = pipeline.EnergyCache(tmp_path / "e.json")
    assert pipeline.relaxed_energy(again, "tiny:vac", lambda: None) == vacancy


@needs_ase
def test_rows_toml_holds_every_row_as_the_stored_energies_give_it():
    """rows.toml is written from the cached relaxed energies; recomputing each row from the cache
    (no potential needed) must give the stored value, so neither can drift from the other."""
    import tomllib
    from kmc.atomistic import pipeline
    from kmc.atomistic.rows import ROWS, Lab
    stored = tomllib.loads((ROOT / "kmc" / "atomistic" / "rows.toml").read_text())["rows"]
    lab = Lab(log=lambda m: None)
    checked = 0
    for row in ROWS:
        if row.name not in stored:
            continue
        entry = stored[row.name]
        assert {"value", "uncertainty", "unit", "method", "command", "structure"} <= set(entry)
        assert entry["value"] == pytest.approx(row.compute(lab), abs=1e-3)
        checked += 1
    assert checked >= 10
