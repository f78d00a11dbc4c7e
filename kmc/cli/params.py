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
    from kmc.runfile import OutputPathError, check_output_file, replace_when_done
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
              "# Edit the species, energies and kinetics for your chemistry, and the [fit] targets to\n"
              "# your chemistry's own numbers with their sources; check the fit with\n"
              f"# `kmc params show {path} --fit` and run it with `kmc run {path}`.\n")
    with replace_when_done(path) as tmp:
        tmp.write_text(header + text)
    click.echo(f"wrote {path} (from {source.stem})")


@params.command("show")
@click.argument("name")
@click.option("--fit", is_flag=True, help="Compare the model with the [fit] targets of the file (its values alone "
                                          "if it has none).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def params_show(name, fit, as_json):
    """Show a parameter set, or (--fit) the model beside the numbers its file lists."""
    from kmc.config import fit_targets_toml
    from kmc.fit import fit_rows
    try:
        settings = load_config(resolve_params(name))
        rows = fit_rows(settings) if fit else None
    except ConfigError as exc:
        fail(str(exc))
    if not fit:
        if as_json:
            click.echo(json.dumps({**settings.to_dict(), "fit": {"targets": [vars(t) for t in settings.fit_targets]}},
                                  indent=2))
        else:
            click.echo(settings.to_toml() + fit_targets_toml(settings.fit_targets))
        return
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        _echo_fit_table(rows)


def _echo_fit_table(rows):
    """Fitted targets, then checks (shown, not fitted); without targets, the model's values."""
    from kmc.fit import TOLERANCE, within_tolerance
    width = max([len(r["label"]) for r in rows] + [40])
    head = "(every model value from total energies of lattice configurations)"
    if all(r["kind"] == "model" for r in rows):
        click.echo("no [fit] targets in this file: the model's values alone " + head)
        for r in rows:
            click.echo(f"{r['label']:{width}s} {r['model']:9.4f} {r['unit']:6s} [{r['name']}]")
        return
    for kind, title in (("target", "fitted targets " + head), ("check", "checks: shown, not fitted")):
        chosen = [r for r in rows if r["kind"] == kind]
        if not chosen:
            continue
        click.echo(f"{title:{width}s} {'target':>8s} {'model':>9s} {'resid':>8s} unit")
        for r in chosen:
            flag = "  > tolerance" if kind == "target" and not within_tolerance(r) else ""
            click.echo(f"{r['label']:{width}s} {r['target']:8.4g} {r['model']:9.4f} {r['residual']:+8.4f} "
                       f"{r['unit']:6s} [{r['name']}] ({r['source']}){flag}")
        click.echo("")
    fitted = [r for r in rows if r["kind"] == "target"]
    met = sum(within_tolerance(r) for r in fitted)
    click.echo(f"{met} of {len(fitted)} fitted targets within tolerance "
               f"({', '.join(f'{v:g} {u}' for u, v in TOLERANCE.items())})")
