"""``kmc benchmark``: engine speed on a periodic bulk box, or (--slab) on a slab with the interface."""
from __future__ import annotations

import click

from kmc.config import MAX_SITES, ConfigError
from kmc import jsontext
from kmc.errors import OneLineErrorCommand, fail


@click.command(cls=OneLineErrorCommand)
@click.option("--sites", type=click.IntRange(min=16, max=MAX_SITES), default=None,
              help="One measurement on a box of about this many sites (default: the quick set; "
                   "with --slab, 73,728 sites).")
@click.option("--slab", is_flag=True,
              help="A Li0.97Mg0.03 | Li2S slab with the interface and stripping at default conditions "
                   "(16 cells deep, square interface) instead of a periodic bulk box.")
@click.option("--events", type=click.IntRange(min=1, max=2**63 - 1), default=None, help="Events to time.")
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def benchmark(sites, slab, events, seed, as_json):
    """Events/s of the engine on periodic bulk Li0.97Mg0.03 boxes with 1 % vacancies, or (--slab)
    on a slab with the interface and stripping; the JSON keys are the same."""
    from kmc import benchmark as bm
    sizes = [sites] if sites else ([73_728] if slab else bm.quick_set())
    try:
        if slab:
            results = [bm.slab_benchmark(n, events or 2_000_000, seed) for n in sizes]
        else:
            results = [bm.bulk_benchmark(n, events or bm.default_events(n), seed) for n in sizes]
    except ConfigError as exc:  # e.g. --sites rounds to a cubic box just over the site limit
        fail(f"--sites {sites}: {exc}")
    if as_json:
        click.echo(jsontext.dumps(results[0] if (sites or slab) else results, indent=2))
    else:
        for r in results:
            click.echo(bm.format_row(r))
