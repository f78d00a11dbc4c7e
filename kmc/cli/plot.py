"""``kmc plot``: figures from run files (the figures are drawn by kmc.plot)."""
from __future__ import annotations

from pathlib import Path

import click
from matplotlib.backends.backend_agg import FigureCanvasAgg

from kmc import plot as figures
from kmc.physics.electrochemistry import DEFAULT_EXCHANGE_CURRENT_mA_cm2
from kmc.errors import OneLineErrorCommand, fail
from kmc.runfile import OutputPathError, RunFileError, check_output_file, replace_when_done

KINDS = ("cross-section", "plan", "contact", "voids", "solute-profile", "compare")
RENAMED_KINDS = {"mg-profile": "solute-profile"}
# Options that mean something for each kind; anything else given is an error, not silently ignored.
KIND_OPTIONS = {"cross-section": {"frames", "panels", "y_nm"}, "plan": {"frames", "panels"},
                "contact": {"exchange_current_mA_cm2"}, "voids": set(), "solute-profile": {"frames"},
                "compare": {"quantity"}}
OPTION_FLAGS = {"frames": "--frames", "panels": "--panels", "y_nm": "--y",
                "exchange_current_mA_cm2": "--exchange-current", "quantity": "--quantity"}


def _parse_frames(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        fail(f"--frames {text!r} is not a list of frame numbers; allowed: comma-separated integers, e.g. 0,3,-1")


@click.command(cls=OneLineErrorCommand)
@click.argument("files", nargs=-1)
@click.option("--kind", default=None, metavar="|".join(KINDS), help="Which figure.")
@click.option("-o", "--output", default=None, help="Image file (.png; .pdf and .svg work too).")
@click.option("--frames", default=None, metavar="I,J,...",
              help="cross-section, plan, solute-profile: frames to show (negative counts from the end).")
@click.option("--panels", type=int, default=None, help="cross-section, plan: N frames evenly spaced over the run.")
@click.option("--y", "y_nm", type=float, default=None, help="cross-section: section plane y in nm (default mid-box).")
@click.option("--exchange-current", "exchange_current_mA_cm2", type=float, default=None,
              help="contact: exchange current density i0 in mA/cm² for the overpotential "
                   "(default: the file's analysis, else the run's conditions.exchange_current_mA_cm2, "
                   f"else {DEFAULT_EXCHANGE_CURRENT_mA_cm2:g}).")
@click.option("--quantity", default=None, help="compare: observable to plot (default contact_fraction).")
@click.option("--dpi", type=click.IntRange(min=20, max=1200), default=150, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing image file.")
def plot(files, kind, output, frames, panels, y_nm, exchange_current_mA_cm2, quantity, dpi, overwrite):
    """Figures from run files: cross-section, plan (the contact layer seen from the electrolyte),
    contact, voids, solute-profile, or compare (several files)."""
    if kind in RENAMED_KINDS:
        fail(f"--kind {kind} is now --kind {RENAMED_KINDS[kind]}; allowed: --kind {', '.join(KINDS)}")
    if kind not in KINDS:
        given = "no --kind given" if kind is None else f"unknown kind {kind!r}"
        fail(f"{given}; allowed: --kind {', '.join(KINDS)}")
    given_options = {name for name, value in (("frames", frames), ("panels", panels), ("y_nm", y_nm),
                                              ("exchange_current_mA_cm2", exchange_current_mA_cm2),
                                              ("quantity", quantity)) if value is not None}
    for name in sorted(given_options - KIND_OPTIONS[kind]):
        usable = [k for k, opts in KIND_OPTIONS.items() if name in opts]
        fail(f"{OPTION_FLAGS[name]} does not apply to --kind {kind}; allowed: with --kind {', '.join(usable)}")
    if not files:
        fail("no run file given; allowed: one .h5 file written by kmc run (several for --kind compare)")
    if len(files) > 1 and kind != "compare":
        fail(f"{len(files)} files given for --kind {kind}; allowed: one file (several only for --kind compare)")
    try:
        check_output_file(output, "figure.png", inputs=files, overwrite=overwrite)
    except OutputPathError as exc:
        fail(str(exc))
    suffix = Path(output).suffix.lstrip(".").lower()
    if suffix not in FigureCanvasAgg.get_supported_filetypes():
        fail(f"cannot write a {suffix or 'suffix-less'} image ({output}); allowed: "
             f"{', '.join(sorted(FigureCanvasAgg.get_supported_filetypes()))}")
    frame_list = None if frames is None else _parse_frames(frames)
    try:
        if kind == "cross-section":
            fig = figures.cross_section(files[0], frame_list, panels, y_nm)
        elif kind == "plan":
            fig = figures.plan_view(files[0], frame_list, panels)
        elif kind == "contact":
            fig = figures.contact_loss(files[0], exchange_current_mA_cm2)
        elif kind == "voids":
            fig = figures.void_statistics(files[0])
        elif kind == "solute-profile":
            fig = figures.solute_profile(files[0], frame_list)
        else:
            fig = figures.compare_runs(files, quantity or "contact_fraction")
    except RunFileError as exc:
        fail(str(exc))
    with replace_when_done(output) as tmp:
        fig.savefig(tmp, dpi=dpi, format=suffix)
    click.echo(f"wrote {output}")
