"""``kmc export``: frames of a run for OVITO or LAMMPS (the files are written by kmc.export)."""
from __future__ import annotations

import click

from kmc import export as exporting
from kmc.errors import OneLineErrorCommand, fail
from kmc.runfile import OutputPathError, RunFileError, check_output_file, check_run_file, open_run_file, replace_when_done


@click.command(cls=OneLineErrorCommand)
@click.argument("file")
@click.option("--format", "fmt", default=None, metavar="xyz|lammps",
              help="extended XYZ (OVITO, ASE) or a LAMMPS data file (atom style atomic).")
@click.option("--frame", type=int, default=-1, show_default=True,
              help="Frame to write; negative counts from the end.")
@click.option("--all-frames", is_flag=True, help="Write every frame as one trajectory (xyz only).")
@click.option("--all-sites", is_flag=True, help="Write the host atoms too (default: only vacancies and the solute).")
@click.option("-o", "--output", default=None, help="Output file (refused if it exists, unless --overwrite).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def export(file, fmt, frame, all_frames, all_sites, output, overwrite):
    """Write vacancies and the solute (or every site) of a run file for OVITO or LAMMPS, named by
    the run's element symbols (vacancies "Va")."""
    if fmt not in exporting.EXPORT_FORMATS:
        given = "no --format given" if fmt is None else f"unknown format {fmt!r}"
        fail(f"{given}; allowed: --format {' or '.join(exporting.EXPORT_FORMATS)}")
    if all_frames and fmt != "xyz":
        fail("--all-frames writes a trajectory, which only the xyz format holds; allowed: --format xyz")
    try:
        output = check_output_file(output, "frame.xyz", inputs=[file], overwrite=overwrite)
        path = check_run_file(file, running=True)
        with open_run_file(path) as f:
            n_frames = f.n_frames
        indices = range(n_frames) if all_frames else exporting.resolve_frames([frame], n_frames, path)
        frames = exporting.read_frames(path, indices)
    except (RunFileError, OutputPathError) as exc:
        fail(str(exc))
    with replace_when_done(output) as tmp:
        if fmt == "xyz":
            exporting.write_xyz(frames, tmp, all_sites)
        else:
            exporting.write_lammps(frames[0], tmp, all_sites)
    click.echo(f"wrote {output}")
