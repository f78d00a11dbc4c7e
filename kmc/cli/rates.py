"""``kmc rates``: the interface rates at physical kinetics (kmc.kinetics; docs/rates.md)."""
from __future__ import annotations

import json

import click

from kmc.errors import OneLineErrorCommand, fail


@click.command(cls=OneLineErrorCommand)
@click.argument("params")
@click.option("--supersaturation", type=float, default=None, metavar="S",
              help="Interface vacancy supersaturation c_v/c_eq (default: the cell's, from the current, "
                   "the sink distance and D_v).")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE", help="Override a parameter.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/rates.md gives its keys).")
@click.option("--no-nucleation", is_flag=True,
              help="Skip the forward-flux nucleation rate and the defects' growth probabilities (the costly part).")
@click.option("--trials", type=click.IntRange(10, 100_000), default=60, show_default=True,
              help="FFS trials per interface.")
@click.option("--defect-trials", type=click.IntRange(0, 100_000), default=40, show_default=True,
              help="Independent runs per pre-existing defect for its growth probability (0: skip).")
@click.option("--l1", type=click.Choice(["equilibrium", "random"]), default=None,
              help="What L1 holds at the start of the measured L1 population and the nucleation rate: its "
                   "segregation equilibrium with the bulk (the default for a set with a solute: the physical "
                   "state) or the random alloy.  The same start without a solute.")
def rates(params, supersaturation, overrides, as_json, no_nucleation, trials, defect_trials, l1):
    """Nucleation, escape and population rates of the interface at physical kinetics (acceleration 1),
    each with its error and method."""
    from kmc.config import ConfigError, load_config, resolve_params
    from kmc.kinetics import report
    if supersaturation is not None and not supersaturation >= 1:
        fail(f"--supersaturation {supersaturation:g}; allowed: a number >= 1")
    try:
        settings = load_config(resolve_params(params), list(overrides))
    except (ConfigError, FileNotFoundError) as exc:
        fail(str(exc))
    if settings.lattice.geometry != "slab":
        fail(f"lattice.geometry = {settings.lattice.geometry!r}; allowed: 'slab' (an interface)")
    try:
        result = report.interface_rates(settings, supersaturation, nucleation=not no_nucleation, trials=trials,
                                        defect_trials=defect_trials, l1=l1)
    except ValueError as exc:      # e.g. the equilibrium L1 start on a lattice its chain does not take
        fail(str(exc))
    click.echo(json.dumps(result, indent=1) if as_json else report.format_table(result))
