"""``kmc params``: the shipped parameter sets and their fit to the DFT numbers."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import click

from kmc.config import ConfigError, load_config, resolve_params, shipped_params
from kmc import jsontext
from kmc.errors import OneLineErrorGroup, fail

# The tables fill the terminal's width (shutil.get_terminal_size: $COLUMNS, else the terminal, else
# DEFAULT_COLUMNS when the output is not a terminal), never less than MIN_COLUMNS.
DEFAULT_COLUMNS = 100
MIN_COLUMNS = 60
NAME_COLUMN = 16                       # kmc params list: the set's name
MIN_LABEL_COLUMN = 20                  # kmc params show --fit: the row's label
FIT_NUMBERS = " {:8.4g} {:9.4f} {:+8.4f} {:6s}"
OVER_TOLERANCE = "  > tolerance"
LABEL_CONTINUATION = "  "
SOURCE_INDENT = "    "


@click.group(cls=OneLineErrorGroup)
def params():
    """Inspect parameter sets."""


def _terminal_columns() -> int:
    """Columns the tables fill: the terminal's (or $COLUMNS), at least MIN_COLUMNS."""
    return max(MIN_COLUMNS, shutil.get_terminal_size((DEFAULT_COLUMNS, 24)).columns)


def _wrapped(text: str, width: int, indent: str = "", more: str | None = None) -> list[str]:
    """``text`` in lines of at most ``width``, the first indented by ``indent``, the others by ``more``."""
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent if more is None else more,
                         break_on_hyphens=False) or [""]


@params.command("list")
def params_list():
    """List the parameter sets shipped with the package (usable by name anywhere)."""
    width = _terminal_columns()
    for name, path in shipped_params().items():
        s = load_config(path)
        first, *rest = _wrapped(s.model.description, width - NAME_COLUMN - 1)
        click.echo(f"{name:{NAME_COLUMN}s} {first}")
        for line in rest:
            click.echo(" " * (NAME_COLUMN + 1) + line)


@params.command("export")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="The new parameter file (refused if it exists).")
def params_export(name, output):
    """Copy a parameter set, comments and all, to FILE: the starting point for a new chemistry."""
    from kmc.runfile import OutputPathError, check_output_file, replace_when_done
    try:
        source = resolve_params(name)
        load_config(source)   # only a valid set is worth starting from
    except ConfigError as exc:
        fail(str(exc))
    try:
        path = check_output_file(output, "my_chemistry.toml")
    except OutputPathError as exc:
        fail(str(exc))
    if path.exists():
        fail(f"output {path} exists; allowed: a new file name (-o), nothing is overwritten")
    text = source.read_text()
    header = (f"# Exported from the kmc parameter set {source.stem!r} by `kmc params export`.\n"
              "# Edit the species, energies and kinetics for your chemistry, and the [fit] targets to\n"
              "# your chemistry's own numbers with their sources; check the fit with\n"
              f"# `kmc params show {path} --fit` and run it with `kmc run {path}`.\n")
    with replace_when_done(path) as tmp:
        tmp.write_text(header + text)
    click.echo(f"wrote {path} (from {source.stem})")


@params.command("show")
@click.argument("name")
@click.option("--fit", is_flag=True, help="Compare the model with the [fit] targets of the file (its values alone "
                                          "if it has none).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def params_show(name, fit, as_json):
    """Show a parameter set, or (--fit) the model beside the numbers its file lists."""
    from kmc.config import fit_targets_toml
    from kmc.fit import fit_rows
    try:
        settings = load_config(resolve_params(name))
        rows = fit_rows(settings) if fit else None
    except ConfigError as exc:
        fail(str(exc))
    if not fit:
        if as_json:
            click.echo(jsontext.dumps({**settings.to_dict(), "fit": {"targets": [vars(t) for t in settings.fit_targets]}},
                                  indent=2))
        else:
            click.echo(settings.to_toml() + fit_targets_toml(settings.fit_targets))
        return
    if as_json:
        click.echo(jsontext.dumps(rows, indent=2))
    else:
        _echo_fit_table(rows)


def _echo_fit_table(rows):
    """Fitted targets, then checks (shown, not fitted); without targets, the model's values.

    One row per target: its label (wrapped) beside target, model, residual and unit, then its name
    and source, indented, on lines of their own; everything within the terminal's width."""
    from kmc.fit import TOLERANCE, within_tolerance
    width = _terminal_columns()
    head = "(every model value from total energies of lattice configurations)"
    label_width = max(MIN_LABEL_COLUMN, width - len(FIT_NUMBERS.format(0.0, 0.0, 0.0, "J/m^2")) - len(OVER_TOLERANCE))

    def row(label, numbers):
        first, *rest = _wrapped(label, label_width, more=LABEL_CONTINUATION)
        click.echo(f"{first:{label_width}s}{numbers}")
        for line in rest:
            click.echo(line)

    def source(r):
        for line in _wrapped(f"[{r['name']}] {r['source']}" if r.get("source") else f"[{r['name']}]", width,
                             SOURCE_INDENT):
            click.echo(line)

    if all(r["kind"] == "model" for r in rows):
        for line in _wrapped("no [fit] targets in this file: the model's values alone " + head, width):
            click.echo(line)
        for r in rows:
            row(r["label"], f" {r['model']:9.4f} {r['unit']}")
            source(r)
        return
    for kind, title in (("target", "fitted targets " + head), ("check", "checks: shown, not fitted")):
        chosen = [r for r in rows if r["kind"] == kind]
        if not chosen:
            continue
        for line in _wrapped(title, width):
            click.echo(line)
        click.echo(f"{'':{label_width}s} {'target':>8s} {'model':>9s} {'resid':>8s} unit")
        for r in chosen:
            flag = OVER_TOLERANCE if kind == "target" and not within_tolerance(r) else ""
            row(r["label"], FIT_NUMBERS.format(r["target"], r["model"], r["residual"], r["unit"]).rstrip() + flag)
            source(r)
        click.echo("")
    fitted = [r for r in rows if r["kind"] == "target"]
    met = sum(within_tolerance(r) for r in fitted)
    for line in _wrapped(f"{met} of {len(fitted)} fitted targets within tolerance "
                         f"({', '.join(f'{v:g} {u}' for u, v in TOLERANCE.items())})", width):
        click.echo(line)


@params.command("mechanisms")
@click.argument("name")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE",
              help="Override a value (repeatable), e.g. --set conditions.temperature_K=333 or "
                   "--set electrode.contact_sink_rate_m_s=1.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Also draw the map to this image file (.png; .pdf and .svg work too).")
@click.option("--dpi", type=click.IntRange(min=20, max=1200), default=150, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing image file.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def params_mechanisms(name, overrides, output, dpi, overwrite, as_json):
    """Li's deformation-mechanism map of a parameter set (kmc.physics.flow, docs/mechanics.md section 10):
    for each feature size, the rate that keeps pace with stripping at the set's current, the flow stress
    of an embedded feature at the contact there and the mechanism that carries it, beside the bulk law, the
    strain gradient alone (sources at every size), sinks as good as a free surface and a free-standing
    pillar; with -o, the map."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from kmc.mechanisms import MechanismMap
    from kmc.runfile import OutputPathError, check_output_file, replace_when_done
    try:
        settings = load_config(resolve_params(name), list(overrides))
        mmap = MechanismMap.of(settings)
    except ConfigError as exc:
        fail(str(exc))
    if output is not None:
        try:
            check_output_file(output, "mechanisms.png", overwrite=overwrite)
        except OutputPathError as exc:
            fail(str(exc))
        suffix = Path(output).suffix.lstrip(".").lower()
        if suffix not in FigureCanvasAgg.get_supported_filetypes():
            fail(f"cannot write a {suffix or 'suffix-less'} image ({output}); allowed: "
                 f"{', '.join(sorted(FigureCanvasAgg.get_supported_filetypes()))}")
    rows, head = mmap.rows(), mmap.header()
    if as_json:
        click.echo(jsontext.dumps({"law": head, "rows": rows}, indent=2))
    else:
        _echo_mechanisms(head, rows)
    if output is not None:
        from kmc.plot_flow import mechanism_map
        with replace_when_done(Path(output)) as tmp:
            mechanism_map(mmap).savefig(tmp, dpi=dpi, format=suffix)
        click.echo(f"wrote {output}")


def _echo_mechanisms(head: dict, rows: list[dict]) -> None:
    """The map's table: one line per size, the law's inputs above it."""
    sink = (f"contact sink {head['contact_sink_rate_m_s']:.3g} m/s (reaction-controlled below "
            f"{head['interface_reaction_below_um']:.3g} um)" if head["contact_sink_rate_m_s"] > 0
            else "no contact sink (electrode.contact_sink_rate_m_s = 0)")
    click.echo(f"{head['parameter_set']} at {head['temperature_K']:g} K, {head['current_mA_cm2']:g} mA/cm2: metal recedes "
               f"at {head['recession_velocity_um_s']:.3g} um/s; l* = {head['strain_gradient_length_um']:g} um; "
               f"D_v c_eq = {head['vacancy_transport_cm2_s']:.3g} cm2/s; {sink}")
    click.echo("stress (MPa) at which a feature of size d keeps pace with stripping (flows at v/d):")
    click.echo(f"{'d (um)':>8s} {'v/d (1/s)':>10s} {'embedded':>9s} {'mechanism':<32s} {'bulk law':>9s} "
               f"{'gradient':>9s} {'free-surf':>9s} {'pillar':>8s}")
    for r in rows:
        click.echo(f"{r['size_um']:8.3g} {r['strain_rate_per_s']:10.3g} {r['flow_stress_MPa']:9.3g} "
                   f"{r['mechanism']:<32s} {r['bulk_law_MPa']:9.3g} {r['sources_everywhere_MPa']:9.3g} "
                   f"{r['free_surface_sinks_MPa']:9.3g} "
                   f"{r['free_standing_pillar_MPa']:8.3g}")
