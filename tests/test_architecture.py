"""The layering the architecture promises (ARCHITECTURE.md), checked on the code itself."""
import ast
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

from kmc import rate_rules, sites
from kmc.config import load_config
from kmc.engine import contact, events, loop, refresh, selection, updates
from kmc.simulation import Simulation
from lattices import neighbours

ROOT = Path(__file__).resolve().parent.parent
KERNEL_MODULES = (loop, refresh, events, selection, contact, updates, rate_rules, sites, neighbours)
MAX_KERNEL_PARAMETERS = 16


def test_no_kernel_takes_more_than_16_parameters():
    """State travels in named groups (namedtuples), so that two swapped floats cannot compile."""
    kernels = [(m.__name__, name, obj) for m in KERNEL_MODULES for name, obj in vars(m).items()
               if isinstance(obj, CPUDispatcher)]
    assert len(kernels) > 30
    wide = {f"{m}.{name}": len(inspect.signature(k.py_func).parameters) for m, name, k in kernels
            if len(inspect.signature(k.py_func).parameters) > MAX_KERNEL_PARAMETERS}
    assert not wide


def test_each_kernel_compiles_once_per_kind_of_arguments():
    """A kernel called with a constant (a slot, a species code) or with an int32 site index is not
    compiled again for it (lattices.jit): numba's own dispatcher compiled neighbour() nine times
    in a cold start, once per constant slot.  Checked on two fresh kernels (the project's are
    cached, and a cached caller never asks for its callees), against numba's dispatcher as the
    control; and every kernel of the engine uses the project's dispatcher."""
    from numba import njit

    from lattices.jit import PlainArgumentDispatcher, compiled

    counts = {}
    for name, decorate in (("project", compiled(cache=False)), ("numba", njit)):
        inner = decorate(_offset)
        outer = decorate(_with_global(_sum_of_offsets, "_offset", inner))
        assert outer(np.int64(2)) == 19 + 21 + 18
        called = inner.callee if name == "project" else inner   # what a kernel calls (lattices.jit.Kernel)
        counts[name] = len(called.signatures)
    assert counts == {"project": 1, "numba": 3}
    kernels = [f"{m.__name__}.{name}" for m in KERNEL_MODULES for name, obj in vars(m).items()
               if isinstance(obj, CPUDispatcher) and not isinstance(obj, PlainArgumentDispatcher)]
    assert not kernels


_TWO_KERNELS = """
from lattices.jit import compiled

kernel = compiled()


@kernel
def inner(s):
    return s * 8 + 3


@kernel
def outer(s):
    return inner(s) + 1
"""

_WRAPPERS = """
import two_kernels as k
assert k.outer(2) == 20
called = next(iter(k.inner.callee.overloads.values()))
assert called.fndesc.llvm_cpython_wrapper_name not in called.library.get_llvm_str()
assert not k.inner.signatures            # Python has not called inner: no version with a wrapper
assert k.inner(2) == 19
own = next(iter(k.inner.overloads.values()))
assert own.fndesc.llvm_cpython_wrapper_name in own.library.get_llvm_str()
print("ok")
"""


def test_a_kernel_called_only_from_kernels_has_no_python_wrapper(tmp_path):
    """numba compiles for each kernel a wrapper that unboxes Python arguments (for a kernel taking
    namedtuples of arrays, more code than the kernel) and emits it again in each caller's module.
    lattices.jit.Kernel compiles what kernels call without it, and a kernel Python calls with it.
    The two versions are cached apart: a later process that calls inner from Python, with the
    first process's cache, must not run the cached callee (no wrapper: that would crash)."""
    (tmp_path / "two_kernels.py").write_text(_TWO_KERNELS)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    first = subprocess.run([sys.executable, "-c", "import two_kernels as k; print(k.outer(2))"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert first.returncode == 0 and first.stdout.strip() == "20", first.stderr
    assert list((tmp_path / "cache").rglob("two_kernels.inner.callee-*.nbi"))
    second = subprocess.run([sys.executable, "-c", _WRAPPERS], cwd=tmp_path,
                            env={**env, "NUMBA_CACHE_DIR": str(tmp_path / "fresh")},
                            capture_output=True, text=True)
    assert second.returncode == 0 and second.stdout.strip() == "ok", second.stderr
    third = subprocess.run([sys.executable, "-c", "import two_kernels as k; print(k.inner(2))"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert third.returncode == 0 and third.stdout.strip() == "19", third.stderr


def _offset(s, slot):
    return s * 8 + slot


def _sum_of_offsets(s):
    return _offset(s, 3) + _offset(np.int32(s), 5) + _offset(s, s)


def _with_global(func, name, value):
    """func with one global name bound to value (a fresh function object)."""
    import types
    return types.FunctionType(func.__code__, {**func.__globals__, name: value}, func.__name__)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports (a folder: every module under it)."""
    if path.is_dir():
        return set().union(*(_imports(p) for p in path.rglob("*.py")))
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


@pytest.mark.parametrize("module, forbidden", [
    ("kmc/model.py", {"kmc.engine", "kmc.simulation", "kmc.runfile"}),     # the model does not know the engine
    ("kmc/rate_rules/", {"kmc.engine", "kmc.simulation", "kmc.model"}),
    ("kmc/engine/", {"kmc.model", "kmc.simulation", "kmc.runfile", "kmc.config"}),
    # the loop is the top of the engine: no other engine module calls it
    *((f"kmc/engine/{m}.py", {"kmc.engine.loop"}) for m in ("events", "selection", "contact", "updates", "refresh")),
    # the run state's names are read by the run file's layout, which loads no kernel
    ("kmc/engine/state.py", {"kmc.engine.loop", "numba", "kmc.jit", "lattices.jit"}),
    ("kmc/engine/__init__.py", {"kmc", "numba", "lattices"}),
    ("kmc/species.py", {"kmc.engine", "kmc.model", "kmc.config"}),
    ("lattices/bcc.py", {"kmc", "kmc.engine", "kmc.model"}),
    ("lattices/neighbours.py", {"kmc", "kmc.engine", "kmc.model"}),
    ("lattices/jit.py", {"kmc", "kmc.engine", "kmc.model"}),
])
def test_layers_import_only_downwards(module, forbidden):
    imported = _imports(ROOT / module)
    assert not {m for m in imported if m in forbidden or any(m.startswith(f + ".") for f in forbidden)}


def test_barrier_and_kra_rules_are_written_once():
    """The barrier rule (max(E_kra + dE/2, dE, 0)) and the near-solute KRA choice live in
    kmc/rate_rules/ only: no other module compares a barrier with dE or picks kra[1]/kra[2] itself."""
    offenders = []
    for path in list((ROOT / "kmc").rglob("*.py")) + list((ROOT / "benchmarks").rglob("*.py")):
        if path.parent.name == "rate_rules":
            continue
        text = path.read_text()
        if "0.5 * dE" in text or "kra_eV[1" in text or "kra_eV[2" in text or "kra[1 if" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


# The files that may read boundary.vacancy_formation_eV / _entropy_kB, and why.
C_EQ_READERS = {
    "kmc/model.py": "vacancy_equilibrium_fraction, the one c_eq",
    "kmc/schema.py": "the keys' definitions",
    # sets the entropy key for its verdict cases and prints the value it ran with (its c_eq is the
    # model's, through kmc.resolved's inputs)
    "benchmarks/meso_mechanics.py": "reports the key it ran with",
    # puts the parameter sets' inputs beside the measured self-diffusion; its D* is checked against
    # the model's own c_eq by tests/test_vacancy_thermo.py
    "benchmarks/vacancy_thermo.py": "the comparison's row (p)",
}


# code reading a key (settings.boundary.vacancy_formation_eV, bnd.vacancy_formation_entropy_kB), not
# prose naming it (" boundary.vacancy_formation_eV" in a docstring)
C_EQ_READ = re.compile(r"[\w)\]]\.boundary\.vacancy_formation_|\b(?!boundary\b)\w+\.vacancy_formation_(eV|entropy_kB)\b")


def test_the_vacancy_equilibrium_fraction_is_written_once():
    """c_eq = exp(S_f/k) exp(-E_f/kT) has one home, kmc.model.vacancy_equilibrium_fraction (on
    kmc.physics.vacancy's formula): no other module or benchmark reads the formation energy or
    entropy keys, so no c_eq can leave the formation entropy out."""
    offenders = []
    for path in list((ROOT / "kmc").rglob("*.py")) + list((ROOT / "benchmarks").rglob("*.py")):
        if path.relative_to(ROOT).as_posix() in C_EQ_READERS:
            continue
        text = path.read_text()
        if C_EQ_READ.search(text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


def test_barrier_rule_obeys_detailed_balance():
    for dE in np.linspace(-0.6, 0.6, 25):
        for kra in (0.0, 0.055, 0.102):
            forward, backward = rate_rules.barrier_eV(dE, kra), rate_rules.barrier_eV(-dE, kra)
            assert forward - backward == pytest.approx(dE, abs=1e-15)
            assert forward >= max(dE, 0.0)
    assert rate_rules.kra_eV(2, False, np.array([1.0, 2.0, 3.0])) == 3.0
    assert rate_rules.kra_eV(1, True, np.array([1.0, 2.0, 3.0])) == 2.0
    assert rate_rules.kra_eV(1, False, np.array([1.0, 2.0, 3.0])) == 1.0


def test_lattice_table_comes_from_the_engine_arithmetic():
    """lattices.bcc's [001] neighbour table is built by the kernels the engine uses, so the two
    cannot disagree; checked against positions (every neighbour a sqrt(3)/2 away)."""
    from lattices import build_bcc
    lat = build_bcc((4, 3, 3), "001", 3.51)
    pos, nbr = lat.positions_A, lat.neighbors
    for s in range(lat.n_sites):
        for d in range(8):
            n = nbr[s, d]
            if n < 0:
                continue
            delta = pos[n] - pos[s]
            delta[:2] -= np.round(delta[:2] / lat.box_A[:2]) * lat.box_A[:2]
            np.testing.assert_allclose(delta, lat.neighbor_vectors_A[d], atol=1e-9)


def test_solute_under_another_symbol_gives_the_same_run(limg_params, tmp_path):
    """Species are data: Mg's numbers under the symbol 'Zn' give the Mg run bit for bit, and the
    outputs name Zn."""
    text = limg_params.read_text().replace('solute = "Mg"', 'solute = "Zn"')
    renamed = tmp_path / "li_zn.toml"
    renamed.write_text(text)
    over = ["lattice.cells=[6,6,4]", "tracers.count=5", "tracers.species=solute"]
    runs = [Simulation(load_config(p, over)) for p in (limg_params, renamed)]
    for sim in runs:
        sim.step(20000)
    np.testing.assert_array_equal(runs[0].site_word, runs[1].site_word)
    np.testing.assert_array_equal(runs[0].vacancy_rates, runs[1].vacancy_rates)
    assert runs[0].time_s == runs[1].time_s
    assert runs[0].observables()["interface_solute_fraction"] == runs[1].observables()["interface_solute_fraction"]
    assert runs[1].settings.species.solute == "Zn"
    from kmc.observables import BY_NAME
    from kmc.species import species_of
    assert "Zn atoms" in BY_NAME["interface_solute_fraction"].describe(species_of(runs[1].settings))


def test_legacy_parameter_file_keeps_working(limg_params, tmp_path):
    """A parameter file written before species were data (li_/mg_ keys) gives the same settings;
    mixing a legacy key with its new name, or legacy keys with other symbols, is refused."""
    from kmc.config import LEGACY_KEYS, ConfigError
    text = limg_params.read_text().replace('[species]\nhost = "Li"', '[species_]\nhost = "Li"')
    for old, new in LEGACY_KEYS.items():
        text = text.replace(f"\n{new.split('.')[1]} =", f"\n{old.split('.')[1]} =")
    text = "\n".join(line for line in text.splitlines() if not line.startswith(("[species_]", "host =", "solute =")))
    legacy = tmp_path / "legacy.toml"
    legacy.write_text(text)
    assert "\nmg_fraction =" in text and "\nsolute_fraction =" not in text
    old, new = load_config(legacy), load_config(limg_params)
    assert old.to_dict() == new.to_dict()
    assert load_config(legacy, ["composition.mg_fraction=0.1"]).composition.solute_fraction == 0.1
    assert load_config(legacy, ["composition.solute_fraction=0.1"]).composition.solute_fraction == 0.1
    both = _write(tmp_path / "both.toml", text.replace("[composition]", "[composition]\nsolute_fraction = 0.1"))
    with pytest.raises(ConfigError, match="both given"):
        load_config(both)
    with pytest.raises(ConfigError, match="names Li and Mg"):
        load_config(_write(tmp_path / "zn.toml", text + '\n[species]\nsolute = "Zn"\n'))


def _write(path, text):
    path.write_text(text)
    return path


# The engine's modules: they pick, apply and refresh events, and know no physics (kmc.rate_rules and
# kmc.model hold every rule; ARCHITECTURE.md, "Layers").
ENGINE_MODULES = tuple(p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "kmc/engine").glob("*.py")))
# What the engine may take from kmc.rate_rules: constants, and whole rules, which by the rule module's
# naming end in one of these (a row of rates, one slot's rate, a class's total, a drawn species,
# the thinning's acceptance, a site's strip weight, a hop's fast-event type); the building blocks of a rule (bulk_rate, barrier_eV,
# interface_hop_rate, deep_hop_factor, ...) are not.
WHOLE_RULE_SUFFIXES = ("_rates", "_rates_interior", "_rate_into", "_rate_into_interior", "_per_s", "_species",
                       "_needed", "_strip_weight", "_type")


def test_the_engine_writes_no_rate_rule():
    """Fails if a rate rule is written in an engine module: no power, square root or exponential
    (the only logarithm is the kMC clock's waiting time, -log(1 - u) / total), and nothing of
    kmc.rate_rules but constants and whole rules.  The creep law (contact**-n, sqrt(N)) or a written-
    out copy of a hop rate (bulk_rate(bulk_key(...))), both once in the engine, fail it."""
    assert "kmc/engine/loop.py" in ENGINE_MODULES and len(ENGINE_MODULES) == 9   # the package and its 8 modules
    offenders = []
    for module in ENGINE_MODULES:
        tree = ast.parse((ROOT / module).read_text())
        logs = 0
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                offenders.append(f"{module}:{node.lineno}: a power")
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in ("sqrt", "exp", "pow", "expm1", "cbrt", "power"):
                    offenders.append(f"{module}:{node.lineno}: {name}")
                logs += name in ("log", "log1p")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kmc.rate_rules"):
                for alias in node.names:
                    if not (alias.name.isupper() or alias.name.endswith(WHOLE_RULE_SUFFIXES)):
                        offenders.append(f"{module}:{node.lineno}: imports kmc.rate_rules.{alias.name}")
        if logs > (module == "kmc/engine/loop.py"):
            offenders.append(f"{module}: {logs} logarithms")
    assert not offenders, offenders


def test_the_engine_names_each_event_class_once():
    """Every macroscopic class in kmc.engine.events.EVENT_TABLE is a (rate, apply, note) triple of
    kernels, its rate and apply kernels used once (note_nothing serves every class that needs no
    notes); each count slot is named in EVENT_CLASSES."""
    kernels = [k for entry in events.EVENT_TABLE for k in entry[:2]]
    assert all(len(entry) == 3 for entry in events.EVENT_TABLE)
    assert len(set(map(id, kernels))) == len(kernels)
    assert len(set(events.EVENT_CLASSES)) == len(events.EVENT_CLASSES) == events.EV_EXCHANGE + 1


def test_kmc_modules_and_functions_stay_short():
    """No module of kmc/ over 700 lines and no function over 120 (the developers' guide): a module
    or function past them is a sign that two jobs share it."""
    long_modules, long_functions = [], []
    for path in (ROOT / "kmc").rglob("*.py"):
        if len(path.read_text().splitlines()) > 700:
            long_modules.append(str(path.relative_to(ROOT)))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                if node.end_lineno - first + 1 > 120:
                    long_functions.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert not long_modules, long_modules
    assert not long_functions, long_functions


# The physics every scale shares has one home, kmc/physics/ (ARCHITECTURE.md): these modules call it
# and write none of its formulas themselves (every module outside kmc/physics that evaluates a rule:
# the model, the configuration's closed forms, the fit, the electrode, the observables, the analysis,
# the mechanics, the acceleration check, the cell-scale models, the rate measurements and the CLI).
PHYSICS_CALLERS = ("kmc/model.py", "kmc/config.py", "kmc/fit.py", "kmc/electrode.py", "kmc/observables.py",
                   "kmc/analysis", "kmc/mechanics", "kmc/acceleration.py", "kmc/cell", "kmc/disc",
                   "kmc/interface_rates", "kmc/cli", "kmc/resolved")
# settings keys that are inputs of a physics rule: arithmetic on one of them is the rule written again
RULE_INPUT_KEYS = {"vacancy_formation_eV", "reference_strain_rate_per_s", "reference_stress_MPa", "stress_exponent",
                   "activation_energy_kJ_mol", "reference_temperature_K", "attempt_frequency_Hz",
                   "exchange_current_mA_cm2"}
# identifiers that give a formula away: a Boltzmann or Arrhenius factor, a power of the lattice
# constant, the atomic volume, a surface energy or a stress, the supersaturation balance's D_v c_eq
BOLTZMANN = ("kt", "formation", "activation", "barrier")
POWERED = ("lattice_constant", "atomic_volume", "omega", "gamma", "surface_energy", "stress")
DIFFUSIVITY, EQUILIBRIUM = ("diffusivity", "d_v"), ("c_eq", "ceq", "equilibrium_fraction")
# Butler-Volmer's hyperbolic functions and a conversion to or from degrees are a rule wherever they stand;
# a circular function is one when its argument is an angle of the interface (a wetting or cap angle;
# a phase on a periodic box or a polar mesh coordinate is geometry, not physics)
HYPERBOLIC = {"sinh", "cosh", "asinh", "arcsinh", "acosh", "arccosh", "radians", "degrees"}
CIRCULAR = {"sin", "cos", "tan", "arcsin", "arccos", "arctan", "asin", "acos", "atan"}
ANGLE = ("theta", "angle", "wetting", "deg")


def _identifiers(node) -> set[str]:
    return {(n.id if isinstance(n, ast.Name) else n.attr).lower() for n in ast.walk(node)
            if isinstance(n, (ast.Name, ast.Attribute))}


def _called(node) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def physics_written_in(source: str) -> list[tuple[int, str]]:
    """(line, what) for every formula of kmc/physics that ``source`` writes itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _called(node)
            inside = set().union(*(_identifiers(a) for a in node.args)) if node.args else set()
            if name in ("exp", "expm1") and any(k in i for i in inside for k in BOLTZMANN):
                found.append((node.lineno, "a Boltzmann or Arrhenius factor"))
            if name in HYPERBOLIC or (name in CIRCULAR and any(k in i for i in inside for k in ANGLE)):
                found.append((node.lineno, f"{name}: cap geometry, Young-Dupre or Butler-Volmer"))
            if name == "interp" and any(isinstance(a, ast.Call) and _called(a) == "log" for a in node.args):
                found.append((node.lineno, "a log-log interpolation of I(S)"))
        if isinstance(node, ast.BinOp):
            sides = (_identifiers(node.left), _identifiers(node.right))
            if isinstance(node.op, ast.Pow) and any(k in i for i in sides[0] | sides[1] for k in POWERED):
                found.append((node.lineno, "a power of a lattice constant, volume, surface energy or stress"))
            if (isinstance(node.op, ast.Div) and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Pow)
                    and getattr(node.left.right, "value", None) == 3 and getattr(node.right, "value", None) == 2):
                found.append((node.lineno, "a^3 / 2, the atomic volume of BCC"))
            if isinstance(node.op, ast.Div) and any(k in i for i in sides[1] for k in DIFFUSIVITY) \
                    and any(k in i for i in sides[1] for k in EQUILIBRIUM):
                found.append((node.lineno, "J Omega L / (D_v c_eq), the supersaturation balance"))
            if isinstance(node.op, ast.Mult) and "pi" in sides[0] | sides[1] \
                    and any(k in i for i in sides[0] | sides[1] for k in DIFFUSIVITY):
                found.append((node.lineno, "2 pi D r (c - c_eq), a cap's capture"))
            if isinstance(node.op, ast.Sub) and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Div) \
                    and getattr(node.right, "value", None) == 1 \
                    and any(k in i for i in _identifiers(node.left) for k in ("w", "w_ad", "adhesion")):
                found.append((node.lineno, "W / gamma - 1, Young-Dupre"))
            if isinstance(node.op, ast.Mult) and any(isinstance(s, ast.Call) and _called(s) == "log"
                                                     for s in (node.left, node.right)) \
                    and any("kt" in i for i in sides[0] | sides[1]):
                found.append((node.lineno, "kT ln S, the chemical potential of nucleation"))
            for side in (node.left, node.right):
                if isinstance(side, ast.Attribute) and side.attr in RULE_INPUT_KEYS:
                    found.append((node.lineno, f"arithmetic on {side.attr}, an input of a physics rule"))
    return found


def test_no_scale_writes_a_rule_of_the_physics_home():
    """The model, the acceleration check, kmc meso, the rate measurements and the command line call
    kmc.physics for c_eq, Omega, D_v, the supersaturation balance, creep, nucleation and the cap,
    the solute's transport and Butler-Volmer; none writes one of them again."""
    offenders = []
    for entry in PHYSICS_CALLERS:
        paths = sorted((ROOT / entry).rglob("*.py")) if (ROOT / entry).is_dir() else [ROOT / entry]
        for path in paths:
            offenders += [f"{path.relative_to(ROOT)}:{line}: {what}" for line, what in physics_written_in(path.read_text())]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("copy", [
    "c_eq = math.exp(-settings.boundary.vacancy_formation_eV / model.kT_eV)",
    "omega_A3 = a ** 3 / 2",
    "c = math.cos(math.radians(theta))\nf = (2 + c) * (1 - c) ** 2 / 4",
    "S = 1.0 + flux * omega * sink_A / (vacancy_diffusivity_A2_s(model, lat) * c_eq)",
    "rate = ref * (stress / c.reference_stress_MPa) ** c.stress_exponent",
    "i = np.exp(np.interp(math.log(S), np.log(s), np.log(rows)))",
    "eta = 2 * rt_f * np.arcsinh(i / (2 * i0 * f))",
    "dmu = kT * math.log(supersaturation)",
    "gamma_s = nu * math.exp(-kra / model.kT_eV)",
    "barrier = 16 * math.pi / 3 * inp.surface_energy_eV_A2 ** 3 * inp.atomic_volume_A3 ** 2",
    # the copies found and moved into kmc/physics (each the old spelling)
    "f = (2 * exchange_mA_cm2 * np.sinh(arg)).sum() - total",
    "df = (2 * exchange_mA_cm2 * np.cosh(arg)).sum() / thermal_V",
    "return math.degrees(math.acos(max(-1.0, min(1.0, w / gamma - 1))))",
    "cos_theta = w / gamma - 1 if gamma > 0 else math.nan",
    "grow = 2 * math.pi * inp.vacancy_diffusivity_um2_s * r[has] * (c[has] - inp.vacancy_equilibrium_fraction) * dt",
    "flip = rng.random(dE.shape) < np.exp(-np.maximum(dE, 0.0) / kT)",
    "field = g.segregation_eV - kT * math.log(x / (1 - x))",
    "to_J_m2 = 16.02176634 / lattice_constant_A**2",
])
def test_the_physics_check_sees_each_old_copy(copy):
    """Each formula the scales wrote before the physics had one home (kmc/physics) fails the check."""
    assert physics_written_in(copy)
