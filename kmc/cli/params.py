"""``kmc params``: the shipped parameter sets and their fit to the DFT numbers."""
from __future__ import annotations

import json
from pathlib import Path

import click

from kmc.config import ConfigError, load_config, resolve_params, shipped_params
from kmc.errors import OneLineErrorGroup, fail


@click.group(cls=OneLineErrorGroup)
def params():
    """Inspect parameter sets."""


@params.command("list")
def params_list():
    """List the parameter sets shipped with the package (usable by name anywhere)."""
    for name, path in shipped_params().items():
        s = load_config(path)
        click.echo(f"{name:16s} {s.model.description}")


@params.command("export")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="The new parameter file (refused if it exists).")
def params_export(name, output):
    """Copy a parameter set, comments and all, to FILE: the starting point for a new chemistry."""
    from kmc.io import OutputPathError, check_output_file, replace_when_done
    try:
        source = resolve_params(name)
        load_config(source)   # only a valid set is worth starting from
    except ConfigError as exc:
        fail(str(exc))
    try:
        path = check_output_file(output, "my_chemistry.toml")
    except OutputPathError as exc:
        fail(str(exc))
    if path.exists():
        fail(f"output {path} exists; allowed: a new file name (-o), nothing is overwritten")
    text = source.read_text()
    header = (f"# Exported from the kmc parameter set {source.stem!r} by `kmc params export`.\n"
              "# Edit the species, energies and kinetics for your chemistry; check the fit with\n"
              f"# `kmc params show {path} --fit` and run it with `kmc run {path}`.\n")
    with replace_when_done(path) as tmp:
        tmp.write_text(header + text)
    click.echo(f"wrote {path} (from {source.stem})")


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
