"""``kmc info``: a summary of a run file."""
from __future__ import annotations

import click

from kmc.errors import OneLineErrorCommand, fail


@click.command(cls=OneLineErrorCommand)
@click.argument("file", type=click.Path())
def info(file):
    """Summarise a run file of kmc run or kmc meso, or a run still being written (X.h5 while only
    X.h5.partial exists, or the .partial itself): its status line says whether it is in progress or
    was interrupted."""
    from kmc import runfile
    try:
        click.echo(runfile.info(file))
    except runfile.RunFileError as exc:
        fail(str(exc))
