"""``kmc meso``: the interface at the cell's scale (kmc.meso), one HDF5 file per run."""
from __future__ import annotations

from pathlib import Path

import click

from kmc.config import REQUIRED, SCHEMA, ConfigError, load_config, resolve_params
from kmc.errors import OneLineErrorCommand, fail


def _defaults_text() -> str:
    """The [meso] numerics' defaults and the conditions' (from the schema: what a parameter file
    that leaves them out gets), for --help."""
    def listed(section):
        return ", ".join(f"{section}.{name} = {key.default:g}" for name, key in SCHEMA[section].items()
                         if key.default is not REQUIRED and isinstance(key.default, (int, float)))
    return ("\b\nDefaults where the parameter file gives none (change any with --set):\n  "
            + listed("meso").replace(", ", ",\n  ") + ",\n  " + listed("conditions").replace(", ", ",\n  ")
            + "\nThe physics keys of [meso] have no default: the shipped parameter\nsets give each, with its source.")


@click.command(cls=OneLineErrorCommand, epilog=_defaults_text())
@click.argument("config")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override a config value (repeatable), e.g. --set conditions.stack_pressure_MPa=1.5.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Output HDF5 file (refused if it exists, unless --overwrite).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--interface", type=click.Choice(["resolved", "disc"]), default=None,
              help="The interface model (sets meso.interface; default: resolved). resolved: the gap as a "
                   "field over a section meso.width_um long at 0.25 um, closed by the foil's creep "
                   "mechanics under one rigid plunger (voids grow, coalesce, split and collapse by "
                   "themselves; ~2 min for 4 mAh/cm2). disc: cap-shaped voids on a periodic square "
                   "closed by a formula, a fast limit (seconds) that the mechanics finds 1e3-1e4 "
                   "times too fast at closing voids (docs/mechanics.md).")
def meso(config, overrides, output, overwrite, interface):
    """Strip the interface at the cell's real rates: stripping focused on the contact,
    quasi-static vacancy transport to the sinks and the voids, creep closure, coalescence,
    nucleation at the kMC's I(S); writes contact_fraction, overpotential, stripped_charge (mAh/cm2)
    and the void statistics of SEM-like sections as observables (docs/meso.md)."""
    from kmc import meso as model
    if interface is not None:
        overrides = (*overrides, f"meso.interface={interface}")
    try:
        settings = load_config(resolve_params(config), list(overrides))
        inputs = model.meso_inputs(settings)
    except (ConfigError, model.MesoInputError) as exc:
        fail(str(exc))
    path = Path(output)
    if path.exists() and not overwrite:
        fail(f"{path} exists; allowed: another -o path, or --overwrite to replace it")
    if not path.parent.is_dir():
        fail(f"folder {path.parent} does not exist; allowed: an output path in an existing folder")
    try:
        result = model.run_to_file(settings, path)
    except model.MesoInputError as exc:
        fail(str(exc))
    s = result.series
    click.echo(f"wrote {path}")
    shape = "section" if settings.meso.interface == "resolved" else "square"
    click.echo(f"  {s['stripped_charge'][-1]:.3g} mAh/cm2 of a {inputs.width_um:g} um {shape} in "
               f"{result.wall_time_s:.2f} s ({result.steps} steps), stop: {result.stop_reason}")
    click.echo(f"  contact fraction {s['contact_fraction'][-1]:.3f}, overpotential {s['overpotential'][-1]:.1f} mV, "
               f"{int(s['void_count'][-1])} voids, {100 * s['section_voids_per_um'][-1]:.1f} per 100 um of section")
