"""The command line: the ``kmc`` group.  Each command lives in its own module of this package and
is imported only when named, so ``kmc info`` does not pay for matplotlib or the JIT engine.

Bad input ends with one line on stderr naming what is wrong and what is allowed, exit code 2,
and no output file (``kmc.errors``).
"""
from __future__ import annotations

import importlib

import click

from kmc.errors import OneLineErrorGroup

# command name -> module of this package that defines it (a click command of the same name)
COMMANDS = {"run": "kmc.cli.run", "params": "kmc.cli.params", "info": "kmc.cli.info",
            "benchmark": "kmc.cli.benchmark", "analyze": "kmc.cli.analyze", "plot": "kmc.cli.plot",
            "export": "kmc.cli.export", "sweep": "kmc.cli.sweep",
            "rates": "kmc.cli.rates", "meso": "kmc.cli.meso"}


class KmcGroup(OneLineErrorGroup):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name in COMMANDS:
            return getattr(importlib.import_module(COMMANDS[name]), name)
        return None


@click.group(cls=KmcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kmc-vacancy")
def main():
    """Kinetic Monte Carlo of vacancies and voids at Li / solid-electrolyte interfaces."""
