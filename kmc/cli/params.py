"""``kmc params``: the shipped parameter sets and their fit to the DFT numbers."""
from __future__ import annotations

import json
from pathlib import Path

import click

from kmc.config import ConfigError, load_config
from kmc.errors import OneLineErrorGroup, fail

PARAMS_DIR = Path(__file__).resolve().parent.parent.parent / "params"


def resolve_params(name: str) -> Path:
    """A parameter file from a path, or a name in ./params or the project's params/ folder."""
    for cand in (Path(name), Path("params") / f"{name}.toml", PARAMS_DIR / f"{name}.toml", PARAMS_DIR / name):
        if cand.is_file():
            return cand
    given = Path(name)
    if given.exists() or given.suffix or len(given.parts) > 1:
        return given  # meant as a path: load_config says what is wrong with it (a folder, missing, ...)
    known = sorted(p.stem for p in PARAMS_DIR.glob("*.toml"))
    raise ConfigError(f"no parameter set {name!r}; allowed: a TOML path or one of {', '.join(known)}")



@click.group(cls=OneLineErrorGroup)
def params():
    """Inspect parameter sets."""


@params.command("list")
def params_list():
    """List the parameter sets shipped in params/."""
    for p in sorted(PARAMS_DIR.glob("*.toml")):
        s = load_config(p)
        click.echo(f"{p.stem:16s} {s.model.description}")


@params.command("show")
@click.argument("name")
@click.option("--fit", is_flag=True, help="Compare the model with the DFT rows it covers.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def params_show(name, fit, as_json):
    """Show a parameter set, or (--fit) its agreement with the DFT numbers."""
    from kmc.fit import TOLERANCE, derived_quantities, fit_rows
    try:
        settings = load_config(resolve_params(name))
    except ConfigError as exc:
        fail(str(exc))
    if not fit:
        if as_json:
            click.echo(json.dumps(settings.to_dict(), indent=2))
        else:
            click.echo(settings.to_toml())
        return
    rows = fit_rows(settings)
    if as_json:
        click.echo(json.dumps([{k: r[k] for k in ("name", "target", "model", "residual", "unit")} for r in rows],
                              indent=2))
        return
    click.echo(f"{'row (every model value from total energies of lattice configurations)':74s} "
               f"{'target':>8s} {'model':>9s} {'resid':>8s} unit")
    for r in rows:
        flag = "" if abs(r["residual"]) <= TOLERANCE[r["unit"]] else "  > tolerance"
        click.echo(f"{r['name']:74s} {r['target']:8.4g} {r['model']:9.4f} {r['residual']:+8.4f} "
                   f"{r['unit']:6s} ({r['note']}){flag}")
    click.echo("\nnot fitted (predictions)")
    for d in derived_quantities(settings):
        click.echo(f"{d['name']:74s} {d['target']:8.4g} {d['model']:9.4f} {'':8s} {d['unit']:6s} ({d['note']})")
