"""``kmc info``: a summary of a run file."""
from __future__ import annotations

import click

from kmc.errors import OneLineErrorCommand, fail


@click.command(cls=OneLineErrorCommand)
@click.argument("file", type=click.Path())
def info(file):
    """Summarise a run file."""
    from kmc import io
    try:
        click.echo(io.info(file))
    except io.RunFileError as exc:
        fail(str(exc))
