"""The project's answer to bad input on the command line: one line, exit code 2, no traceback."""
import sys

import click


def fail(message: str):
    """End a command with one 'error: ...' line on stderr (what is wrong, what is allowed), exit 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
