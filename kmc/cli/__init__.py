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
            "rates": "kmc.cli.rates", "meso": "kmc.cli.meso", "critical-current": "kmc.cli.critical"}


# The exit code of a command stopped by Ctrl-C (128 + SIGINT), as `kmc run`, `kmc meso` and `kmc sweep` give
# after their own clean stops.
EXIT_INTERRUPTED = 130


class KmcGroup(OneLineErrorGroup):
    def invoke(self, ctx):
        """Every command ends on Ctrl-C with one line and exit 130 (click's own answer is "Aborted!" and 1):
        a command without a stop of its own (analyze, plot, rates, export, ...) is cut where it stands,
        leaving what it had finished (kmc analyze writes /analysis whole or not at all)."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            name = " ".join(filter(None, ("kmc", ctx.invoked_subcommand)))
            click.echo(f"interrupted: {name} stopped (Ctrl-C)", err=True)
            raise SystemExit(EXIT_INTERRUPTED) from None

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name in COMMANDS:
            return getattr(importlib.import_module(COMMANDS[name]), name.replace("-", "_"))
        return None


@click.group(cls=KmcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kmc-vacancy")
def main():
    """Kinetic Monte Carlo of vacancies and voids at Li / solid-electrolyte interfaces."""
