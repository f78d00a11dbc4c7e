"""The project's answer to bad input on the command line: one line, exit code 2, no traceback.

``fail`` ends a command; ``OneLineErrorCommand`` and ``OneLineErrorGroup`` make click's own usage
errors (unknown option, bad option value, missing argument, unknown command) end the same way
instead of printing click's multi-line usage block.
"""
import sys

import click


def fail(message: str):
    """End a command with one 'error: ...' line on stderr (what is wrong, what is allowed), exit 2.

    Whitespace runs, newlines included, become single spaces: messages quoting a library (HDF5
    errors carry line breaks) still make exactly one line.
    """
    click.echo(f"error: {' '.join(str(message).split())}", err=True)
    sys.exit(2)


def _usage_message(exc: click.UsageError) -> str:
    """Click's usage error as 'what is wrong; allowed: ...'."""
    ctx = exc.ctx
    where = ctx.command_path if ctx is not None else "the command"
    if isinstance(exc, click.NoSuchOption) and ctx is not None:
        options = sorted(opt for param in ctx.command.get_params(ctx) if isinstance(param, click.Option)
                         for opt in param.opts + param.secondary_opts)
        return f"no such option {exc.option_name} for {where}; allowed: {', '.join(options)}"
    if isinstance(exc, click.exceptions.NoSuchCommand) and ctx is not None:
        names = ", ".join(ctx.command.list_commands(ctx))
        return f"{exc.format_message().rstrip('.')} for {where}; allowed: {names}"
    return f"{exc.format_message().rstrip('.')}; allowed: see {where} --help"


class OneLineErrorCommand(click.Command):
    """A click command whose usage errors (bad option value, missing argument) are one 'error:' line."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError:
            raise  # a bare command asks for its help text; that is not an error
        except click.UsageError as exc:
            fail(_usage_message(exc))


class OneLineErrorGroup(click.Group):
    """A click group with one-line usage errors for itself, its commands and its subgroups."""

    command_class = OneLineErrorCommand
    group_class = type   # subgroups made with @group.group() are OneLineErrorGroups too

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            fail(_usage_message(exc))

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            fail(_usage_message(exc))
