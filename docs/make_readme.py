"""Make the README's printed outputs and its figures by running its commands on the shipped defaults.

    python docs/make_readme.py           # every command below (about 10 min of CPU), then rewrites
                                         # the README's generated parts, docs/cross_section.png,
                                         # docs/contact.png, docs/contact_loss.png and
                                         # docs/readme_outputs.json
    python docs/make_readme.py --reuse   # keep the outputs of the last invocation's commands (in
                                         # runs/out/readme/) and only redo the rest: for a change
                                         # of the README's wording or of the figures' code

The generated parts of README.md sit between `<!-- make_readme:NAME -->` and `<!-- /make_readme -->`
(invisible on the rendered page); text outside them is never touched.  The commands run in
runs/out/readme/ (git-ignored), a folder holding a copy of params/, so that they print exactly what
they print from the repository's root.

docs/readme_outputs.json records what the outputs were made from, which is what
tests/test_readme_outputs.py checks without re-running the 2-minute default runs:
- `parts`: the text of every generated part (the README must still hold exactly this);
- `inputs`: a hash of the shipped parameter sets as resolved (comments aside) and of the kMC's
  trajectory fingerprints (benchmarks/trajectory_hashes.json, re-saved whenever the physics changes);
- `figures`: the content hash of each figure written into docs/;
- `probes`: cheap stand-ins made here with the same code: the two default runs on an 8x8x6-cell
  box to 4e-5 mAh/cm2 (their console output, wall-clock figures masked) and the README figures
  drawn from them (a fingerprint of each figure's texts and data); the test runs them again and
  compares.
The wall times and CPU times quoted are informative and are not checked; `made` says when, at
which commit and at which load average they were measured.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RECORD = ROOT / "docs" / "readme_outputs.json"
WORK = ROOT / "runs" / "out" / "readme"
INPUTS = ("params/li_li2s.toml", "params/limg_li2s.toml", "benchmarks/trajectory_hashes.json")
# README figure -> the file the README's command writes (under runs/out/, in the working folder)
FIGURES = {"docs/cross_section.png": "runs/out/cross_section.png", "docs/contact.png": "runs/out/contact.png",
           "docs/contact_loss.png": "runs/out/contact_loss.png"}


@dataclass(frozen=True)
class Command:
    line: str            # the command as the README shows it (after "$ ")
    note: str = ""       # the README's comment after it; "{cpu}" becomes the command's measured CPU time
    show: int | None = 0  # how much of its output the README shows: None all, 0 nothing, n the first n lines


RUN_LI = Command("kmc run params/li_li2s.toml", show=None)
RUN_LIMG = Command("kmc run params/limg_li2s.toml", show=None)
# The console blocks, in the order they run (later commands read the files of earlier ones).
BLOCKS: dict[str, list[Command]] = {
    "worked-example": [
        RUN_LI,
        RUN_LIMG,
        Command("kmc info runs/out/li_li2s_s1.h5", "summary of a run file (also of one still running)"),
        Command("kmc analyze runs/out/li_li2s_s1.h5", "voids per frame, written into the file"),
        Command("kmc plot runs/out/li_li2s_s1.h5 --kind cross-section --panels 4 -o runs/out/section.png"),
        Command("kmc params show limg_li2s --fit", "model vs the DFT numbers it was fitted to"),
    ],
    "figures": [
        Command("kmc analyze runs/out/li_li2s_s1.h5", "voids per frame, tracking, void events, solute profiles"),
        Command("kmc analyze runs/out/li_li2s_s1.h5 --json", "the per-frame summary as JSON"),
        Command("kmc plot runs/out/li_li2s_s1.h5 --kind cross-section --panels 4 -o runs/out/cross_section.png"),
        Command("kmc plot runs/out/li_li2s_s1.h5 runs/out/limg_li2s_s1.h5 --kind compare -o runs/out/contact.png",
                "contact fraction of both"),
        Command("kmc plot runs/out/li_li2s_s1.h5 --kind contact -o runs/out/contact_loss.png",
                "contact loss + overpotential"),
        Command("kmc plot runs/out/li_li2s_s1.h5 --kind voids -o runs/out/voids.png", "counts, width/height box plots"),
        Command("kmc plot runs/out/limg_li2s_s1.h5 --kind plan --panels 3 -o runs/out/plan.png",
                "the contact layer from the electrolyte"),
        Command("kmc plot runs/out/limg_li2s_s1.h5 --kind solute-profile -o runs/out/mg.png",
                "solute fraction versus depth"),
        Command("kmc export runs/out/limg_li2s_s1.h5 --format xyz -o runs/out/last.xyz", "vacancies and Mg, for OVITO"),
    ],
    "rates": [
        Command("kmc rates li_li2s --no-nucleation", "steady interface, L1 vacancy lifetime, capture/emission ({cpu})",
                show=5),
        Command("kmc rates limg_li2s --supersaturation 1000 --trials 10 --json", "with a forward-flux nucleation "
                "rate ({cpu})"),
    ],
    "meso": [
        Command("kmc meso params/li_li2s.toml -o runs/out/meso_li.h5", "a 160 µm section at 0.2 MPa, 0.5 mA/cm², "
                "to 4 mAh/cm² ({cpu})", show=None),
        Command("kmc meso params/limg_li2s.toml -o runs/out/meso_limg.h5", "Li0.97Mg0.03 under the same conditions "
                "({cpu})", show=None),
        Command("kmc meso li_li2s -o runs/out/meso_li_1.5MPa.h5 --set conditions.stack_pressure_MPa=1.5", show=None),
    ],
}
# Inline parts: a number in a sentence, from the measurements (see `inline_parts`).
INLINE = ("run-time", "compile-time", "analyze-compile-time", "machine")
# The probes (see the module docstring): the default runs on a small box, and the README figures of them.
PROBE_SETS = ["--set", "lattice.cells=[8,8,6]", "--set", "run.stop_stripped_mAh_cm2=4e-5"]
PROBES = {"run_li": f"kmc run params/li_li2s.toml {' '.join(PROBE_SETS)} -o runs/out/probe_li.h5",
          "run_limg": f"kmc run params/limg_li2s.toml {' '.join(PROBE_SETS)} -o runs/out/probe_limg.h5",
          "analyze_li": "kmc analyze runs/out/probe_li.h5"}
PROBE_FIGURES = {"cross_section": ("cross_section", ["runs/out/probe_li.h5"], {"panels": 3}),
                 "contact": ("compare_runs", ["runs/out/probe_li.h5", "runs/out/probe_limg.h5"], {}),
                 "contact_loss": ("contact_loss", ["runs/out/probe_li.h5"], {})}
# Figures that change from one machine to the next: the wall-clock parts of the commands' output.
WALL_CLOCK = [(re.compile(r"( events(?: \(\d+ since resuming\))? in )[\d.]+ s \([\d.]+ M events/s\)"),
               r"\1<wall> s (<rate> M events/s)"),
              (re.compile(r"( (?:square|section) in )[\d.]+ s( \(\d+ steps\))"), r"\1<wall> s\2"),
              (re.compile(r"wall time [\d.]+ s"), "wall time <wall> s")]
NOTE_COLUMN = 60
MARKER = re.compile(r"<!-- make_readme:([\w-]+) -->(.*?)<!-- /make_readme -->", re.S)


def mask_wall_clock(text: str) -> str:
    for pattern, replacement in WALL_CLOCK:
        text = pattern.sub(replacement, text)
    return text


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_hashes() -> dict[str, str]:
    """What the outputs were made from, by content: the parameter sets as resolved (a comment edit
    changes nothing) and the trajectory fingerprints as data."""
    from kmc.config import load_config
    hashes = {}
    for name in INPUTS:
        if name.endswith(".toml"):
            text = load_config(ROOT / name).to_toml()
        else:
            text = json.dumps(json.loads((ROOT / name).read_text()), sort_keys=True)
        hashes[name] = hashlib.sha256(text.encode()).hexdigest()
    return hashes


def readme_parts(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in MARKER.finditer(text)}


def kmc_argv(line: str) -> list[str]:
    words = line.split()
    assert words[0] == "kmc", line
    return [sys.executable, "-m", "kmc.cli", *words[1:]]


def prepare_folder(folder: Path, keep: bool):
    """A working folder like the repository's root for the commands: params/ and runs/out/."""
    if folder.exists() and not keep:
        shutil.rmtree(folder)
    (folder / "runs" / "out").mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "params", folder / "params", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.py"))


def run_command(line: str, cwd: Path, env: dict | None = None) -> dict:
    """Run one README command; its output, exit code, wall and CPU time."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(kmc_argv(line), cwd=cwd, capture_output=True, text=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"line": line, "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
              "wall_s": time.perf_counter() - start, "load_average_1min": load,
              "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)}
    if proc.returncode != 0:
        raise SystemExit(f"`{line}` failed (exit code {proc.returncode}):\n{proc.stderr}")
    return result


def run_commands(folder: Path, reuse: bool, log=print) -> dict[str, dict]:
    """Every command of BLOCKS, in order, once each (a command listed twice runs once)."""
    log_path = folder / "commands.json"
    done = json.loads(log_path.read_text()) if reuse and log_path.exists() else {}
    for commands in BLOCKS.values():
        for command in commands:
            if command.line in done:
                continue
            log(f"$ {command.line}")
            done[command.line] = run_command(command.line, folder)
            log(f"  {done[command.line]['wall_s']:.1f} s wall, {done[command.line]['cpu_s']:.1f} s CPU")
            log_path.write_text(json.dumps(done, indent=1))
    return done


def compile_times(log=print) -> dict[str, float]:
    """CPU seconds a first run and a first `kmc analyze` spend compiling: each on a tiny box, once
    with an empty JIT cache and once with it filled, the difference."""
    tiny = "kmc run li_li2s --set lattice.cells=[4,4,3] --set run.max_events=1000 -o tiny.h5 --overwrite"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / "cache"))
        cold_run = run_command(tiny, Path(tmp), env)["cpu_s"]
        warm_run = run_command(tiny, Path(tmp), env)["cpu_s"]
        cold_analyze = run_command("kmc analyze tiny.h5", Path(tmp), env)["cpu_s"]
        warm_analyze = run_command("kmc analyze tiny.h5", Path(tmp), env)["cpu_s"]
    times = {"run": cold_run - warm_run, "analyze": cold_analyze - warm_analyze}
    log(f"compiling: a run {times['run']:.0f} s, kmc analyze {times['analyze']:.0f} s of CPU")
    return times


def about(seconds: float) -> str:
    """A duration as the README quotes it: ~20 s, ~2.5 min."""
    if seconds < 90:
        return f"~{max(1, round(seconds, -1 if seconds >= 15 else 0)):.0f} s"
    minutes = seconds / 60
    return f"~{round(minutes * 2) / 2:g} min"


def console_block(commands: list[Command], done: dict[str, dict]) -> str:
    # comments line up after the commands, except after a command longer than NOTE_COLUMN
    width = max([len(c.line) for c in commands if c.note and len(c.line) <= NOTE_COLUMN] + [0]) + 2
    lines = []
    for c in commands:
        note = c.note.replace("{cpu}", about(done[c.line]["cpu_s"]))
        lines.append(f"$ {c.line:{width}s}# {note}" if note and len(c.line) < width else
                     f"$ {c.line}  # {note}" if note else f"$ {c.line}")
        if c.show != 0:
            # stderr first: what these commands print there (a warning) comes before their result
            output = (done[c.line]["stderr"] + done[c.line]["stdout"]).splitlines()
            lines += output if c.show is None or len(output) <= c.show else output[:c.show] + ["  …"]
    return "\n```console\n" + "\n".join(lines) + "\n```\n"


def inline_parts(done: dict[str, dict], compiling: dict[str, float]) -> dict[str, str]:
    loads = [done[c.line].get("load_average_1min", os.getloadavg()[0]) for c in (RUN_LI, RUN_LIMG)]
    return {"run-time": about(done[RUN_LI.line]["cpu_s"]), "compile-time": about(compiling["run"]),
            "analyze-compile-time": about(compiling["analyze"]),
            "machine": f"a {os.cpu_count()}-core machine at load average {sum(loads) / len(loads):.1f}"}


def figure_fingerprint(fig) -> str:
    """A hash of what a matplotlib figure shows, not of its pixels (those change with the fonts and
    the matplotlib version of a machine): its titles, axis labels, texts and legend entries, and the
    data of every plotted line, image and collection (rounded to 6 significant figures); not the
    ticks, grid lines and layout, which follow from those and from matplotlib's own choices."""
    import numpy as np
    digest = hashlib.sha256()

    def text(t):
        if t is not None and t.get_visible() and t.get_text():
            digest.update(b"text:" + t.get_text().encode())

    def numbers(values):
        values = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan).ravel()
        digest.update(" ".join(f"{v:.6g}" for v in values).encode())

    text(getattr(fig, "_suptitle", None))
    for t in fig.texts:
        text(t)
    legends = list(fig.legends)
    for ax in fig.axes:
        for t in (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None),
                  ax.xaxis.label, ax.yaxis.label, *ax.texts):
            text(t)
        for line in ax.lines:
            numbers(line.get_xydata())
        for image in ax.images:
            numbers(image.get_array())
        for collection in ax.collections:
            for path in collection.get_paths():
                numbers(path.vertices)
        legends.append(ax.get_legend())
    for legend in legends:
        if legend is not None:
            for t in legend.get_texts():
                text(t)
    return digest.hexdigest()[:16]


def draw_probe_figures(folder: Path) -> dict[str, str]:
    """The README figures' kinds drawn from the probe runs in ``folder``, as fingerprints."""
    from kmc import plot
    prints = {}
    for name, (function, files, options) in PROBE_FIGURES.items():
        paths = [folder / f for f in files]
        fig = getattr(plot, function)(paths if function == "compare_runs" else paths[0], **options)
        prints[name] = figure_fingerprint(fig)
    return prints


def probe_output(line: str, folder: Path) -> str:
    """A probe command's output (stderr, then stdout), wall clock masked."""
    result = run_command(line, folder)
    return mask_wall_clock(result["stderr"] + result["stdout"])


def git_commit() -> str:
    proc = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true",
                        help="keep the outputs of the last invocation's commands (runs/out/readme/)")
    args = parser.parse_args(argv)
    text = README.read_text()
    found = readme_parts(text)
    wanted = set(BLOCKS) | set(INLINE)
    if set(found) != wanted:
        raise SystemExit(f"README.md's make_readme markers are {sorted(found)}; the script makes {sorted(wanted)}")
    prepare_folder(WORK, args.reuse)
    done = run_commands(WORK, args.reuse)
    compiled = WORK / "compile_times.json"
    if args.reuse and compiled.exists():
        compiling = json.loads(compiled.read_text())
    else:
        compiling = compile_times()
        compiled.write_text(json.dumps(compiling))
    parts = {name: console_block(commands, done) for name, commands in BLOCKS.items()}
    parts.update(inline_parts(done, compiling))
    for figure, made in FIGURES.items():
        shutil.copyfile(WORK / made, ROOT / figure)
    probe_folder = WORK / "probes"
    prepare_folder(probe_folder, keep=False)
    probes = {name: probe_output(line, probe_folder) for name, line in PROBES.items()}
    record = {
        "made": {"by": "python docs/make_readme.py", "commit": git_commit(),
                 "date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpus": os.cpu_count(),
                 "commands": {line: {"cpu_s": round(r["cpu_s"], 1), "wall_s": round(r["wall_s"], 1),
                                     "load_average_1min": r.get("load_average_1min")} for line, r in done.items()},
                 "compile_cpu_s": {k: round(v, 1) for k, v in compiling.items()}},
        "parts": parts,
        "inputs": input_hashes(),
        "figures": {figure: sha256(ROOT / figure) for figure in FIGURES},
        "probes": probes,
        "probe_figures": draw_probe_figures(probe_folder),
    }
    README.write_text(MARKER.sub(lambda m: f"<!-- make_readme:{m.group(1)} -->{parts[m.group(1)]}"
                                           "<!-- /make_readme -->", text))
    RECORD.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote README.md ({len(parts)} parts), {', '.join(FIGURES)} and {RECORD.relative_to(ROOT)} "
          f"({parts['machine']})")


if __name__ == "__main__":
    main()
