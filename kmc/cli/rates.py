"""``kmc rates``: the interface rates at physical kinetics (kmc.interface_rates; docs/rates.md)."""
from __future__ import annotations


import click

from kmc import jsontext
from kmc.errors import OneLineErrorCommand, fail


@click.command(cls=OneLineErrorCommand)
@click.argument("params")
@click.option("--supersaturation", type=float, default=None, metavar="S",
              help="Interface vacancy supersaturation c_v/c_eq (default: the cell's, from the current, "
                   "the sink distance and D_v).")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE", help="Override a parameter.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/rates.md gives its keys).")
@click.option("--no-nucleation", is_flag=True,
              help="Skip the forward-flux nucleation rate, the defects' growth probabilities and the pore edge's "
                   "trials (the costly part).")
@click.option("--trials", type=click.IntRange(10, 100_000), default=60, show_default=True,
              help="FFS trials per interface.")
@click.option("--defect-trials", type=click.IntRange(0, 100_000), default=40, show_default=True,
              help="Independent runs per pre-existing defect for its growth probability (0: skip).")
@click.option("--edge-trials", type=click.IntRange(0, 100_000), default=40, show_default=True,
              help="Independent trials per fate at the pore's edge (docs/pore_edge.md; a set with an [electrolyte] "
                   "table; 0: skip).")
@click.option("--write-edge", "write_edge", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Put the pore edge's records at S into the [pore_edge] rows of the parameter file FILE (made if "
                   "absent), where the cell-scale model reads them (kmc.physics.pore_edge).")
@click.option("--contact-trials", type=click.IntRange(0, 100_000), default=0, show_default=True,
              help="Stripped vacancies followed through the contact layers per composition below the contact, at "
                   "acceleration 1 (docs/alloy.md section 6: where they go; 0: skip).")
@click.option("--contact-solute", "contact_solute", default=None, metavar="X1,X2,...",
              help="The solute fractions of the metal below the contact those walks are measured at (default: 0, and "
                   "for an alloy its x, 3x and 8x: the contact as made and as stripping enriches it).")
@click.option("--write-contact", "write_contact", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Put those records into the [contact_vacancy] rows of the parameter file FILE (made if absent), "
                   "where the cell-scale model reads them (kmc.physics.contact_vacancy).")
@click.option("--l1", type=click.Choice(["equilibrium", "random"]), default=None,
              help="What L1 holds at the start of the measured L1 population and the nucleation rate: its "
                   "segregation equilibrium with the bulk (the default for a set with a solute: the physical "
                   "state) or the random alloy.  The same start without a solute.")
@click.option("--write-meso", "write_meso", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Put the measured nucleation rate, the row (S, I), into the [meso] nucleation rows of the "
                   "parameter file FILE (e.g. the PARAMS file itself), where kmc meso reads them.")
@click.option("--method", type=click.Choice(["auto", "ffs", "waiting"]), default="auto", show_default=True,
              help="The nucleation rate's method: chosen from the state (docs/rates.md section 3), or forced: "
                   "forward-flux sampling, or direct waiting times (a 95 % bound where none nucleates).")
@click.option("--waiting-events", type=click.IntRange(min=1000), default=400_000, show_default=True,
              help="Events per direct waiting-time run (4 runs).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Run the nucleation rate's and the defects' independent pieces (flux runs, FFS trial batches, "
                   "waiting-time runs, defect runs) on a local Dask cluster of N processes; the numbers are the "
                   "serial ones.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run those pieces on an existing Dask distributed cluster, e.g. tcp://host:8786.")
def rates(params, supersaturation, overrides, as_json, no_nucleation, trials, defect_trials, edge_trials, write_edge,
          contact_trials, contact_solute, write_contact, l1, write_meso, method, waiting_events, workers, scheduler):
    """Nucleation, escape and population rates of the interface at physical kinetics (acceleration 1),
    each with its error and method; the host's self-diffusivity and the solute's diffusivity."""
    from kmc.config import ConfigError, load_config, resolve_params
    from kmc.interface_rates import report
    from kmc.interface_rates.pieces import PieceError, Runner
    if workers is not None and scheduler is not None:
        fail(f"--workers {workers} and --scheduler {scheduler} both given; allowed: one of them")
    if no_nucleation and (workers is not None or scheduler is not None):
        fail("--workers / --scheduler run the nucleation rate's and the defects' pieces, which --no-nucleation "
             "skips; allowed: one of them")
    if supersaturation is not None and not supersaturation >= 1:
        fail(f"--supersaturation {supersaturation:g}; allowed: a number >= 1")
    if write_meso is not None and no_nucleation:
        fail("--write-meso writes the measured nucleation rate, which --no-nucleation skips; allowed: one of them")
    if write_edge is not None and (no_nucleation or edge_trials == 0):
        fail("--write-edge writes the pore edge's trials, which --no-nucleation and --edge-trials 0 skip; allowed: "
             "--write-edge without them")
    if write_contact is not None and contact_trials < 2:
        fail(f"--write-contact with --contact-trials {contact_trials}; allowed: --contact-trials 2 or more (each record "
             "carries the walks' standard error)")
    contact_fractions = None
    if contact_solute is not None:
        try:
            contact_fractions = sorted({float(x) for x in contact_solute.split(",") if x.strip()})
        except ValueError:
            fail(f"--contact-solute {contact_solute!r}; allowed: comma-separated solute fractions, e.g. 0,0.03,0.09")
        if not contact_fractions or not all(0 <= x <= 0.7 for x in contact_fractions):
            fail(f"--contact-solute {contact_solute!r}; allowed: fractions in [0, 0.7] (bcc Li-Mg)")
    if write_meso is not None:
        try:
            load_config(write_meso).meso
        except (ConfigError, AttributeError) as exc:
            fail(f"--write-meso {write_meso}: {exc if isinstance(exc, ConfigError) else 'no [meso] table'}; "
                 "allowed: a parameter file with a [meso] table, e.g. params/limg_li2s.toml")
    from kmc import validation
    try:
        settings = load_config(resolve_params(params), list(overrides))
        advice = validation.check(settings, "rates")
    except (ConfigError, FileNotFoundError) as exc:
        fail(str(exc))
    if settings.lattice.geometry != "slab":
        fail(f"lattice.geometry = {settings.lattice.geometry!r}; allowed: 'slab' (an interface)")
    for item in advice:
        validation.warn(item)
    runner = None
    try:
        if not no_nucleation:    # serial without --workers / --scheduler; a progress line on a terminal either way
            runner = Runner(workers, scheduler)       # kmc.sweep_pool.PoolError is a ValueError
        result = report.interface_rates(settings, supersaturation, nucleation=not no_nucleation, trials=trials,
                                        defect_trials=defect_trials, l1=l1, runner=runner, method=method,
                                        waiting_events=waiting_events, edge_trials=edge_trials,
                                        contact_trials=contact_trials, contact_fractions=contact_fractions)
    except (ValueError, PieceError) as exc:   # e.g. the equilibrium L1 start on a lattice its chain does not take
        fail(str(exc))
    finally:
        if runner is not None:
            runner.close()
    click.echo(jsontext.dumps(result, indent=1) if as_json else report.format_table(result))
    if write_meso is not None:
        _write_meso(write_meso, result, params)
    if write_edge is not None:
        _write_edge(write_edge, result, params)
    if write_contact is not None:
        _write_contact(write_contact, result, params)


def _write_meso(path, result: dict, params: str):
    """The measured I(S) row into the [meso] rows of ``path`` (kmc.paramfile)."""
    from kmc.config import load_config
    from kmc.interface_rates.report import NUCLEATION_CELLS
    from kmc.paramfile import write_meso_nucleation_row
    from kmc.physics.nucleation import rate_at_hop_prefactor
    row = next(r for r in result["rates"] if r["name"] == "nucleation_rate")
    if not row["value"] > 0:
        fail(f"no nucleation measured at S = {result['supersaturation']:g} ({row['note']}); {path} is unchanged; "
             "allowed: a larger --supersaturation, or more --trials")
    # the file's rows are in the clock of its meso.nucleation_rate_hop_prefactor_Hz
    file_Hz = load_config(path).meso.nucleation_rate_hop_prefactor_Hz
    rate = rate_at_hop_prefactor(row["value"], result["box_hop_prefactor_Hz"], file_Hz)
    how = (f"I = {row['value']:.3g} +- {row['error']:.2g} per um^2 per s at the box's hops "
           f"{result['box_hop_prefactor_Hz']:.4g} Hz (written as {rate:.3g} at the file's {file_Hz:.4g} Hz), "
           f"{row['method_used']} of {params} "
           f"({'x'.join(map(str, NUCLEATION_CELLS))} cells, L1 start {result['l1_start']}, {row['events']} events)")
    rows = write_meso_nucleation_row(path, result["supersaturation"], rate, how)
    click.echo(f"wrote the row S = {result['supersaturation']:g} into {path} [meso] ({len(rows)} rows)", err=True)


def _write_edge(path, result: dict, params: str):
    """The pore edge's records at S into the [pore_edge] rows of ``path`` (kmc.paramfile)."""
    import math
    from kmc.config import ConfigError
    from kmc.paramfile import write_pore_edge_row
    from kmc.physics.pore_edge import RECORDS
    by_name = {r["name"]: r for r in result["rates"]}
    missing = [name for name in RECORDS if name not in by_name]
    if missing:
        fail(f"no pore-edge records measured ({', '.join(missing)} missing: the set has no [electrolyte] table); "
             f"{path} is unchanged; allowed: a parameter set with a pore")
    bad = [name for name in RECORDS if not math.isfinite(by_name[name]["value"])]
    if bad:
        fail(f"{', '.join(bad)} not finite at S = {result['supersaturation']:g} (no loss, or no refill, seen); {path} is "
             "unchanged; allowed: more --edge-trials")
    how = (f"{params}, {by_name['wall_capture_probability']['trials']} trials per fate, L1 start "
           f"{result['l1_start']}, box hops at {result['box_hop_prefactor_Hz']:.4g} Hz")
    try:
        rows = write_pore_edge_row(path, result["supersaturation"], {n: by_name[n]["value"] for n in RECORDS},
                                   {n: by_name[n]["error"] for n in RECORDS}, result["box_hop_prefactor_Hz"], how)
    except ConfigError as exc:
        fail(str(exc))
    click.echo(f"wrote the row S = {result['supersaturation']:g} into {path} [pore_edge] ({len(rows)} rows)", err=True)


def _write_contact(path, result: dict, params: str):
    """Where stripped vacancies go at the contact, one row per subsurface composition, into the
    [contact_vacancy] rows of ``path`` (kmc.paramfile)."""
    from kmc.config import ConfigError
    from kmc.paramfile import write_contact_vacancy_row
    from kmc.physics.contact_vacancy import RECORDS
    rows: dict[float, dict] = {}
    for r in result["rates"]:
        name = r["name"].removeprefix("contact_")
        if r["name"].startswith("contact_") and name in RECORDS:
            rows.setdefault(r["subsurface_solute_fraction"], {})[name] = r
    rows = {x: recs for x, recs in rows.items() if len(recs) == len(RECORDS)}
    if not rows:
        fail(f"no contact records measured; {path} is unchanged; allowed: --contact-trials 2 or more")
    for x, recs in sorted(rows.items()):
        how = (f"{params}, {recs['collection_length_nm']['trials']} walks "
               f"({recs['collection_length_nm']['undecided']} undecided), box hops at "
               f"{result['box_hop_prefactor_Hz']:.4g} Hz")
        try:
            done = write_contact_vacancy_row(path, x, {n: recs[n]["value"] for n in RECORDS},
                                             {n: recs[n]["error"] for n in RECORDS}, result["supersaturation"],
                                             result["box_hop_prefactor_Hz"], how)
        except ConfigError as exc:
            fail(str(exc))
    click.echo(f"wrote {len(rows)} rows into {path} [contact_vacancy] ({len(done)} rows)", err=True)
