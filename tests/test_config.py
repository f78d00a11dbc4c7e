"""Config loading and bad input: one clear message naming the key, exit 2, no output file."""
import json

import pytest
from click.testing import CliRunner

from kmc.cli import main
from kmc.config import ConfigError, load_config

BAD_SETS = {
    "unknown key": (["run.sed=3"], "run.sed"),
    "unknown section": (["engine.speed=3"], "engine"),
    "wrong type": (["run.seed=abc"], "run.seed"),
    "float for int": (["lattice.cells=[4,4,4.5]"], "lattice.cells"),
    "negative current": (["conditions.current_density_mA_cm2=-0.5"], "conditions.current_density_mA_cm2"),
    "composition out of range": (["composition.solute_fraction=1.5"], "composition.solute_fraction"),
    "negative vacancy fraction": (["composition.vacancy_fraction=-0.1"], "composition.vacancy_fraction"),
    "box too small": (["lattice.cells=[1,4,4]"], "lattice.cells"),
    "bad boundary": (["boundary.bottom=open"], "boundary.bottom"),
    "bad orientation": (["lattice.orientation='111'"], "lattice.orientation"),
    "temperature above melting": (["conditions.temperature_K=500"], "conditions.temperature_K"),
    "acceleration below one": (["run.acceleration=0.5"], "run.acceleration"),
    "malformed set": (["run.seed"], "run.seed"),
    "no stop condition": (["run.stop_stripped_mAh_cm2=0"], "stop condition"),
}


@pytest.mark.parametrize("case", sorted(BAD_SETS))
def test_bad_override_stops_before_work(case, li_params, tmp_path):
    overrides, key = BAD_SETS[case]
    out = tmp_path / "out.h5"
    args = ["run", str(li_params), "-o", str(out)]
    for o in overrides:
        args += ["--set", o]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert key in lines[0]
    assert "allowed" in lines[0] or "expected" in lines[0]
    assert not list(tmp_path.iterdir())  # nothing written, not even a partial file


def test_bad_file_contents(tmp_path, li_params):
    bad = tmp_path / "bad.toml"
    bad.write_text(li_params.read_text().replace("[run]", "[run]\nspeed = 3"))
    r = CliRunner().invoke(main, ["run", str(bad), "-o", str(tmp_path / "x.h5")])
    assert r.exit_code == 2 and "run.speed" in r.stderr
    bad.write_text("this is = = not toml")
    r = CliRunner().invoke(main, ["run", str(bad), "-o", str(tmp_path / "x.h5")])
    assert r.exit_code == 2 and "not valid TOML" in r.stderr
    r = CliRunner().invoke(main, ["run", str(tmp_path / "missing.toml")])
    assert r.exit_code == 2 and "does not exist" in r.stderr or "no parameter set" in r.stderr
    assert not (tmp_path / "x.h5").exists()


def test_missing_required_physics_key(tmp_path, li_params):
    text = "\n".join(l for l in li_params.read_text().splitlines() if not l.startswith("kra_solute_eV"))
    p = tmp_path / "p.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match="kinetics.kra_solute_eV"):
        load_config(p)


def test_refuses_to_overwrite(tmp_path, li_params):
    out = tmp_path / "exists.h5"
    out.write_bytes(b"keep me")
    r = CliRunner().invoke(main, ["run", str(li_params), "-o", str(out)])
    assert r.exit_code == 2 and "exists" in r.stderr
    assert out.read_bytes() == b"keep me"


def test_overrides_and_immutability(li_params):
    s = load_config(li_params, ["run.seed=7", "lattice.cells=[4,5,6]", "boundary.bottom=closed"])
    assert s.run.seed == 7 and s.lattice.cells == [4, 5, 6] and s.boundary.bottom == "closed"
    assert isinstance(s.conditions.temperature_K, float)
    with pytest.raises(AttributeError):
        s.run.seed = 3
    s2 = s.with_overrides(["run.seed=8"])
    assert s.run.seed == 7 and s2.run.seed == 8
    # the TOML round trip reproduces the settings
    import tomllib
    from kmc.config import settings_from_dict
    assert settings_from_dict(tomllib.loads(s.to_toml())).flat() == s.flat()


def test_replaced_by_value_is_the_text_override_validated_the_same(li_params):
    """Settings.replaced (the package's typed way) gives what the same values as --set text give,
    integers of a number key made floats included; it leaves the original alone, and refuses an
    unknown key or section and a bad value with the --set messages' "allowed"."""
    s = load_config(li_params)
    typed = s.replaced(run={"acceleration": 1, "seed": 5}, lattice={"cells": [4, 5, 6], "orientation": "110"},
                       boundary={"bottom": "closed", "supersaturation": 2.5e3})
    text = s.with_overrides(["run.acceleration=1", "run.seed=5", "lattice.cells=[4,5,6]", "lattice.orientation='110'",
                             "boundary.bottom=closed", "boundary.supersaturation=2.5e3"])
    assert typed.flat() == text.flat() and typed.flat() != s.flat()
    assert isinstance(typed.run.acceleration, float) and typed.source == s.source
    assert s.run.seed != 5 and s.lattice.cells != [4, 5, 6]
    cells = [4, 4, 4]
    mutable = s.replaced(lattice={"cells": cells})
    cells[0] = 9
    assert mutable.lattice.cells == [4, 4, 4]
    for bad, message in ((dict(run={"sed": 3}), "unknown key run.sed; allowed keys in .run.: "),
                         (dict(engine={"speed": 3}), r"unknown section \[engine\]; allowed sections: "),
                         (dict(run={"acceleration": 0.5}), "run.acceleration: .*allowed"),
                         (dict(lattice={"cells": [4, 4, 4.5]}), "lattice.cells")):
        with pytest.raises(ConfigError, match=message):
            s.replaced(**bad)


def test_params_show_json(li_params):
    r = CliRunner().invoke(main, ["params", "show", "li_li2s", "--json"])
    assert r.exit_code == 0
    assert json.loads(r.output)["energy"]["host_host_pair_eV"] == 0.136653
    r = CliRunner().invoke(main, ["params", "show", "no_such_chemistry"])
    assert r.exit_code == 2 and "li_li2s" in r.stderr


def test_refuses_when_output_folder_lacks_room(tmp_path, li_params, monkeypatch):
    import shutil
    from collections import namedtuple
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 1000, 1000))
    out = tmp_path / "sub" / "run.h5"
    r = CliRunner().invoke(main, ["run", str(li_params), "-o", str(out)])
    assert r.exit_code == 2 and "MB free" in r.stderr and "allowed" in r.stderr
    assert not (tmp_path / "sub").exists()  # the check creates nothing, not even the folder


def test_output_size_estimate_bounds_a_real_file(tmp_path, li_params):
    """The room check's estimate is an upper bound of what a run really writes."""
    from kmc.runfile import estimated_output_bytes
    from kmc.simulation import Simulation
    out = tmp_path / "r.h5"
    over = ["--set", "lattice.cells=[6,6,4]", "--set", "run.acceleration=1e8",
            "--set", "run.stop_stripped_mAh_cm2=1e-4"]
    r = CliRunner().invoke(main, ["run", str(li_params), "-o", str(out), *over])
    assert r.exit_code == 0, r.stderr
    sim = Simulation(load_config(li_params, [o for o in over if o != "--set"]))
    assert out.stat().st_size <= estimated_output_bytes(sim.settings, sim.lattice.n_sites,
                                                        sim.charge_per_atom_mAh_cm2)


BAD_FIT_ROWS = {  # a malformed [fit] is refused by every reader, `kmc run` included, naming the row and key
    "value not a number": ('{name = "vacancy_formation_bulk", value = "0.5", unit = "eV", source = "x"}',
                           "fit.targets[0].value"),
    "no source": ('{name = "vacancy_formation_bulk", value = 0.5, unit = "eV"}', "fit.targets[0] has no source"),
    "empty source": ('{name = "vacancy_formation_bulk", value = 0.5, unit = "eV", source = ""}',
                     "fit.targets[0].source"),
    "unknown key": ('{name = "vacancy_formation_bulk", value = 0.5, unit = "eV", source = "x", weight = 2}',
                    "fit.targets[0].weight"),
    "bad kind": ('{name = "vacancy_formation_bulk", value = 0.5, unit = "eV", source = "x", kind = "maybe"}',
                 "fit.targets[0].kind"),
    "twice": ('{name = "vacancy_formation_bulk", value = 0.5, unit = "eV", source = "x"}, '
              '{name = "vacancy_formation_bulk", value = 0.4, unit = "eV", source = "y"}', "listed twice"),
    "not a table": ('0.5', "fit.targets[0]: expected a table"),
}


@pytest.mark.parametrize("case", sorted(BAD_FIT_ROWS))
def test_malformed_fit_targets_are_refused(case, li_params, tmp_path):
    row, key = BAD_FIT_ROWS[case]
    text = li_params.read_text()
    start, end = text.index("[fit]"), text.index("[conditions]")
    bad = tmp_path / "bad.toml"
    bad.write_text(text[:start] + f"[fit]\ntargets = [{row}]\n\n" + text[end:])
    with pytest.raises(ConfigError) as exc:
        load_config(bad)
    assert key in str(exc.value) and "allowed" in str(exc.value)
    out = tmp_path / "out.h5"
    result = CliRunner().invoke(main, ["run", str(bad), "-o", str(out)])
    assert result.exit_code == 2 and key in result.stderr and not out.exists()


def test_params_show_prints_the_fit_targets_back(li_params):
    """`kmc params show` prints a file that loads again with the same settings and targets."""
    import tomllib

    from kmc.config import settings_from_dict
    s = load_config(li_params)
    text = CliRunner().invoke(main, ["params", "show", str(li_params)]).output
    again = settings_from_dict(tomllib.loads(text))
    assert again.fit_targets == s.fit_targets and again.to_dict() == s.to_dict()
    shown = json.loads(CliRunner().invoke(main, ["params", "show", str(li_params), "--json"]).output)
    assert [t["name"] for t in shown["fit"]["targets"]] == [t.name for t in s.fit_targets]


def test_the_package_derives_settings_by_value_not_by_text():
    """Inside kmc/ (but the command line, which passes the user's --set on, and kmc.config, which
    reads it) no with_overrides call and no literal list of "section.key=value" texts for
    load_config or settings_from_dict: the package writes Settings.replaced.  The check sees both
    spellings (the last line)."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent

    def text_overrides(source: str) -> list[int]:
        lines = []
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            given = node.args[1:] + [k.value for k in node.keywords if k.arg == "overrides"]
            if name == "with_overrides" or (name in ("load_config", "settings_from_dict")
                                            and any(isinstance(a, ast.List) and a.elts for a in given)):
                lines.append(node.lineno)
        return lines

    offenders = [f"{path.relative_to(root)}:{line}" for path in sorted((root / "kmc").rglob("*.py"))
                 if path.name != "config.py" and "cli" not in path.relative_to(root).parts
                 for line in text_overrides(path.read_text())]
    assert not offenders, offenders
    assert text_overrides('s.with_overrides(["run.seed=2"])\nload_config(p, ["run.seed=2"])\n') == [1, 2]
