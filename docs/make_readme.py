"""Make the printed outputs, the quoted numbers and the figures of the README and of the docs pages that
quote commands (PAGES), by running the commands on the shipped defaults; and check that they still hold.

    python docs/make_readme.py           # every command below (about 15 min of CPU), then rewrites
                                         # the pages' generated parts, docs/cross_section.png,
                                         # docs/contact.png, docs/contact_loss.png and
                                         # docs/readme_outputs.json
    python docs/make_readme.py --reuse   # keep the outputs of the last invocation's commands (in
                                         # runs/out/readme/) and only redo the rest: for a change
                                         # of the pages' wording or of the figures' code
    python docs/make_readme.py --check   # change nothing: say which generated part no longer holds, and
                                         # what no longer holds of docs/physics.md (physics_page_problems)
                                         # (about 1 min: the cheap commands run again); --check --full
                                         # runs every command again

The generated parts sit between `<!-- make_readme:NAME -->` and `<!-- /make_readme -->` (invisible on
the rendered page) in any page of PAGES; text outside them is never touched.  A part is a console
block (BLOCKS: commands and what they print) or a quote (QUOTES: a number in a sentence, read off the
outputs of the commands it names, which the sentence shows).  The commands run in runs/out/readme/
(git-ignored), a folder holding a copy of params/, so that they print exactly what they print from
the repository's root.

docs/readme_outputs.json records what the outputs were made from, which is what --check and
tests/test_readme_outputs.py check without re-running the minutes-long default runs:
- `parts`: the text of every generated part (the pages must still hold exactly this);
- `outputs`: what each command printed (wall clock masked), from which the parts are made again;
- `inputs`: a hash of the shipped parameter sets as resolved (comments aside) and of the kMC's
  trajectory fingerprints (benchmarks/trajectory_hashes.json, re-saved whenever the physics changes);
- `figures`: the content hash of each figure written into docs/;
- `probes`: cheap stand-ins made here with the same code: the two default runs on an 8x8x6-cell
  box to 4e-6 mAh/cm2 (0.11 monolayer, as the default run) (their console output, wall-clock figures masked) and the README figures
  drawn from them (a fingerprint of each figure's texts and data); the test runs them again and
  compares.
The wall times and CPU times quoted are measured here; `made` says when, at which commit and at which
load average.  --check runs the cheap commands again (CHEAP) and calls a quoted time stale when the
command's CPU time now differs from the quoted one by more than TIME_FACTOR, and a printout stale when a word or
an integer of it differs or a decimal number moves by more than the solvers' tolerance (printed_alike).
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
                "to 4 mAh/cm² or lost contact ({cpu})", show=None),
        Command("kmc meso params/limg_li2s.toml -o runs/out/meso_limg.h5", "Li0.97Mg0.03 under the same conditions "
                "({cpu})", show=None),
        Command("kmc meso li_li2s -o runs/out/meso_li_1.5MPa.h5 --set conditions.stack_pressure_MPa=1.5", show=None),
    ],
}
# Inline parts: a number in a sentence, from the measurements (see `inline_parts`).
INLINE = ("run-time", "compile-time", "analyze-compile-time", "machine")
# The pages that hold generated parts: the README, and the docs pages that quote the commands' outputs
# or times.
PAGES = ("README.md", "docs/meso.md", "docs/vacancy_thermodynamics.md")
# Commands whose outputs only quotes read (the README's blocks do not show them).
MESO_SF0 = "kmc meso li_li2s -o runs/out/meso_li_sf0.h5 --set boundary.vacancy_formation_entropy_kB=0"
INFO_LI = "kmc info runs/out/li_li2s_s1.h5"
INFO_LIMG = "kmc info runs/out/limg_li2s_s1.h5"
MESO_LI, MESO_LIMG, MESO_LI_15 = (c.line for c in BLOCKS["meso"])
# The verdict's other commands: the seed's untested conditions (rate, heat) and the early void counts.
MESO_LI_SLOW = "kmc meso li_li2s -o runs/out/meso_li_0.05mA.h5 --set conditions.current_density_mA_cm2=0.05"
MESO_LI_HOT = "kmc meso li_li2s -o runs/out/meso_li_333K.h5 --set conditions.temperature_K=333"
VOIDS_LI = "kmc analyze runs/out/meso_li.h5 --json"
VOIDS_LIMG = "kmc analyze runs/out/meso_limg.h5 --json"
# the other verdict runs' series (contact and overpotential at every sample)
SERIES_LI_15, SERIES_LI_SLOW, SERIES_LI_HOT = (f"kmc analyze runs/out/meso_li_{tag}.h5 --json"
                                               for tag in ("1.5MPa", "0.05mA", "333K"))
# Commands --check runs again (seconds each); the rest (the default kMC runs and what reads their
# files, the S_f = 0 meso run) stand on the inputs' hashes and the probes, or on --check --full.
CHEAP = (MESO_LI, MESO_LIMG, MESO_LI_15, MESO_LI_SLOW, MESO_LI_HOT, VOIDS_LI, VOIDS_LIMG, SERIES_LI_15,
         SERIES_LI_SLOW, SERIES_LI_HOT, BLOCKS["rates"][0].line)
# A quoted time is stale when the command's CPU time now differs from it by more than this factor: a
# loaded machine moves CPU times by tens of per cent (the README's own runs: 84 s at load 1.3 and 2),
# a change of the code that the time should follow moves them by more.
TIME_FACTOR = 2.5
# A printed decimal number (DECIMAL) is the record's when it is within kmc.resolved.fields.VACANCY_TOLERANCE of it,
# relatively (printed_alike): another machine's rounding (its CPU's vector paths) moves what the solvers return
# within their tolerances, the vacancy solve's (its residual against its right-hand side) the loosest.  On a 2.1 GHz
# Xeon (2026-11-29) the default runs' `kmc analyze --json` moved by <= 4.4e-11 of a value (supersaturation,
# overpotential); their contact fractions, counts and every other printed word stayed exact.
DECIMAL = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")
# The probes (see the module docstring): the default runs on a small box, and the README figures of them.
# (frames every 1e-6 mAh/cm^2: the shipped sets' spacing suits their 2 monolayers, the probe strips 4e-6)
PROBE_SETS = ["--set", "lattice.cells=[8,8,6]", "--set", "run.stop_stripped_mAh_cm2=4e-6",
              "--set", "output.frame_every_mAh_cm2=1e-6", "--set", "output.series_every_mAh_cm2=1e-7"]
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


# ------------------------------------------------------------------------------- quotes
def output_of(done: dict, line: str) -> str:
    """What a command printed (stderr, then stdout, as the pages show it)."""
    return done[line]["stderr"] + done[line]["stdout"]


def info_final(text: str, name: str) -> str:
    """The final value of an observable as `kmc info` prints it."""
    found = re.search(rf"^  final {re.escape(name)}\s+(\S+)", text, re.M)
    assert found, f"no final {name} in kmc info's output"
    return found.group(1)


def info_event_counts(text: str) -> dict[str, int]:
    found = re.search(r"^event counts\s+(.*)$", text, re.M)
    assert found, "no event counts in kmc info's output"
    return {name: int(count) for name, count in (item.rsplit(" ", 1) for item in found.group(1).split(", "))}


def info_acceleration(text: str) -> dict[str, str]:
    """The acceleration check `kmc info` prints from the run's /run (its acceleration line)."""
    found = re.search(r"^acceleration\s+(\S+): S = (\S+) at the interface against (\S+) at A = 1; S within 10 % "
                      r"for A <= ([^;\s]+)(?:; the solute's enrichment within 10 % for A <= (\S+))?", text, re.M)
    assert found, "no acceleration check in kmc info's output"
    return dict(zip(("A", "S", "S1", "range", "solute_range"), found.groups()))


def kmc_run_events(text: str) -> int:
    return int(re.search(r"^  (\d+) events", text, re.M).group(1))


def meso_end(text: str) -> dict[str, str]:
    """Where a `kmc meso` run ended, from its console output."""
    head = re.search(r"^  (\S+) mAh/cm2 of a (\S+) um (\w+) in .*stop: (\S+)$", text, re.M)
    tail = re.search(r"^  contact fraction (\S+), overpotential (\S+) mV, (\d+) voids", text, re.M)
    assert head and tail, "not the console output of kmc meso"
    return dict(zip(("charge", "width", "shape", "stop", "contact", "overpotential", "voids"),
                    head.groups() + tail.groups()))


def _exponent(x: float, digits: int = 2) -> str:
    """A number as the docs write it: 2.2e-8, 1e4, 2.12e4 (without 'e+0'); 0.25 as it is."""
    text = f"{x:.{digits}g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


@dataclass(frozen=True)
class Quote:
    """A number in a sentence of a page: read off the outputs of ``commands`` (which make_readme runs
    and which the page shows), by ``render`` ({command: its run} -> the part's text)."""
    page: str
    commands: tuple
    render: object


def _quote_meso_sf0(done) -> str:
    end = meso_end(output_of(done, MESO_SF0))
    return (f"at S_f = 0 Li at 0.2 MPa ends at {end['charge']} mAh/cm² with {end['contact']} of its contact and "
            f"{end['voids']} voids in the section (`{MESO_SF0}`, {about(done[MESO_SF0]['cpu_s'])} of CPU)")


def _quote_acceleration_ranges(done) -> str:
    li, limg = info_acceleration(output_of(done, INFO_LI)), info_acceleration(output_of(done, INFO_LIMG))
    return (f"{li['S1']} at A = 1 (the cell's S: the box's hops carry the formation entropy its c_eq leaves out) "
            f"and {li['S']} at the shipped A = {_exponent(float(li['A']), 3)} (`{INFO_LI}` prints the check every "
            f"run records in its file). And every rare event (a void nucleus) gets 1/A of the cell's time per "
            f"stripped monolayer. The shipped A keeps Li's interface within 10 % of the cell's "
            f"(A ≤ {_exponent(float(li['range']), 3)}); Li–Mg's Mg enrichment depth shrinks by A too "
            + (f"(within 10 % only for A ≲ {_exponent(float(limg['solute_range']), 3)}), so its default run warns"
               if float(limg['solute_range']) < float(limg['A']) else
               f"(within 10 % for A ≲ {_exponent(float(limg['solute_range']), 3)} over the default run's charge: the "
               f"enrichment grows with the charge stripped, and a run to 2e-4 mAh/cm² would warn)")
            + f" (`{INFO_LIMG}`)")


def _quote_meso_times(done) -> str:
    li, sf0 = meso_end(output_of(done, MESO_LI)), meso_end(output_of(done, MESO_SF0))
    return (f"Li at 0.2 MPa takes {about(done[MESO_LI]['cpu_s'])} of CPU to its end at {li['charge']} mAh/cm² "
            f"(`{MESO_LI}`) and {about(done[MESO_SF0]['cpu_s'])} at S_f = 0, where voids also nucleate "
            f"(to {sf0['charge']} mAh/cm², `{MESO_SF0}`)")


def _quote_meso_readme_commands(done) -> str:
    ends = [meso_end(output_of(done, line)) for line in (MESO_LI, MESO_LIMG, MESO_LI_15)]
    said = "; ".join(f"{who}: contact {e['contact']}, {e['voids']} voids at {e['charge']} mAh/cm²" for who, e in
                     zip(("Li at 0.2 MPa", "Li–Mg", "Li at 1.5 MPa"), ends))
    return (f"the three `kmc meso` lines run as written on their defaults, write the kMC's observables until "
            f"4 mAh/cm² or lost contact and print what the README shows ({said})")


def _default_run_row(done, run_line: str, info_line: str, label: str) -> str:
    info = output_of(done, info_line)
    counts = info_event_counts(info)
    return (f"| {label} | {kmc_run_events(output_of(done, run_line)) / 1e6:.2f}e6 | {counts['enter_bulk']} | "
            f"{counts['exit_bulk']} | {float(info_final(info, 'contact_fraction')):.4g} | "
            f"{info_final(info, 'interface_vacancy_count')} | "
            f"{_exponent(float(info_final(info, 'bottom_vacancy_fraction')))} | "
            f"{float(info_final(info, 'overpotential')):.4g} mV |")


# docs/vacancy_thermodynamics.md's table of the default runs: the rows of today's code from the
# README's runs, the rows of earlier versions as they were measured then
DEFAULT_RUNS_HEAD = ("| run | events | entries from the sinks | exits to the sinks | final contact | final interface "
                     "vacancies | bottom layer vacancy fraction (final) | overpotential |\n"
                     "|---|---|---|---|---|---|---|---|")
EARLIER_LI = ("| Li, reservoir first | 46.9e6 | 402 | 2615 | 0.995 | 2 | 3.4e-7 | 12.77 mV |\n"
              "| Li, S_f = 0 | 42.3e6 | 28 | 2241 | 0.995 | 2 | 2.9e-7 | 12.77 mV |")
EARLIER_LIMG = ("| Li–Mg, reservoir first | 43.6e6 | 407 | 2619 | 0.9925 | 3 | 3.6e-7 | 12.80 mV |\n"
                "| Li–Mg, S_f = 0 | 37.1e6 | 28 | 2240 | 0.9925 | 3 | 2.9e-7 | 12.80 mV |")


def _quote_default_runs(done) -> str:
    return "\n".join(["", "", DEFAULT_RUNS_HEAD,     # blank lines around the table: its markers stand apart
                      _default_run_row(done, RUN_LI.line, INFO_LI, "Li, hops at nu exp(S_f) (now)"), EARLIER_LI,
                      _default_run_row(done, RUN_LIMG.line, INFO_LIMG, "Li–Mg, hops at nu exp(S_f) (now)"),
                      EARLIER_LIMG, "", ""])


# ------------------------------------------------------------------------------- the verdict
# Seed 004's findings the cell-scale model answers (docs/physics.md section 1), as numbers: Li's overpotential
# shoots up near 1 mAh/cm^2 at ~90 % contact loss (0.2 MPa); from 1.5 MPa Li is flat to 4 mAh/cm^2; Li-Mg is
# stable to 3-3.5 mAh/cm^2 at 0.2 MPa; as stripping starts Li shows 16-18 voids per 100 um of section, Li-Mg 2-3.
SEED_LI_LOSS_mAh_cm2 = 1.0
SEED_HELD_mAh_cm2 = {"Li at 1.5 MPa": 4.0, "Li-Mg": 3.0}
# "~90 % of the contact lost", the seed's words for Li's failure, as a contact fraction: a run has lost its
# contact at the first sample at or below it (a run need not stop there: it may hold a few per cent to the end)
LOST_CONTACT = 0.1
SEED_EARLY_VOIDS_PER_100um = {"Li": (16, 18), "Li-Mg": (2, 3)}
# A model's number agrees with the seed's when within this factor of it (of the nearer end of its band):
# the seed gives one cell per condition and no error on the charges, and the model's inputs move its
# answers by about this much (docs/mechanics.md section 9's bands).  Stated in the verdict.
AGREE_FACTOR = 2.0


def _within(value: float, low: float, high: float | None = None) -> bool:
    high = low if high is None else high
    return low / AGREE_FACTOR <= value <= high * AGREE_FACTOR


def _samples(text: str) -> list[dict]:
    """A meso run's samples (stripped charge, contact, overpotential, voids, ...), from `kmc analyze FILE --json`."""
    import json as json_module
    return json_module.loads(text[text.index("["):])


def _early_voids(text: str) -> tuple[float, float]:
    """(stripped charge, voids per 100 um of section) at a meso run's first sample after the start."""
    row = next(r for r in _samples(text) if r["stripped_charge"] > 0)
    return row["stripped_charge"], 100 * row["section_voids_per_um"]


@dataclass(frozen=True)
class Course:
    """What a verdict reads of a meso run's samples: where its contact is first lost (None: never), its
    lowest contact and highest overpotential, and how far it ran."""
    lost_at: float | None
    lowest: float
    highest_mV: float
    end: float

    @classmethod
    def of(cls, text: str) -> "Course":
        rows = _samples(text)
        lost = [r["stripped_charge"] for r in rows if r["contact_fraction"] <= LOST_CONTACT]
        return cls(lost[0] if lost else None, min(r["contact_fraction"] for r in rows),
                   max(r["overpotential"] for r in rows), rows[-1]["stripped_charge"])

    def said(self) -> str:
        head = (f"falls to ≤ {LOST_CONTACT:g} at {self.lost_at:.3g} mAh/cm²" if self.lost_at is not None else
                f"keeps > {LOST_CONTACT:g} to {self.end:.3g} mAh/cm²")
        return f"{head} (lowest {self.lowest:.3g}, overpotential up to {self.highest_mV:.0f} mV)"


def _verdict_line(held: bool, text: str) -> str:
    return f"- **{'reproduced' if held else 'not reproduced'}**: {text}"


def _quote_verdict(done) -> str:
    li, li15, limg = (Course.of(output_of(done, line)) for line in (VOIDS_LI, SERIES_LI_15, VOIDS_LIMG))
    slow, hot = Course.of(output_of(done, SERIES_LI_SLOW)), Course.of(output_of(done, SERIES_LI_HOT))
    (c_li, v_li), (c_limg, v_limg) = _early_voids(output_of(done, VOIDS_LI)), _early_voids(output_of(done, VOIDS_LIMG))
    li_fails = li.lost_at is not None
    lines = [
        _verdict_line(li_fails and _within(li.lost_at, SEED_LI_LOSS_mAh_cm2),
                      f"Li at 0.2 MPa loses its contact (seed: ~90 % lost near {SEED_LI_LOSS_mAh_cm2:g} mAh/cm²); the "
                      f"model's {li.said()} (`{MESO_LI}`; the contact's sink rate is calibrated on this observation, "
                      "docs/mechanics.md §10.4)"),
        _verdict_line(li_fails and li15.lost_at is None,
                      f"stack pressure saves Li (seed: flat to 4 mAh/cm² from 1.5 MPa up); at 1.5 MPa the model's Li "
                      f"{li15.said()} (`{MESO_LI_15}`; its samples: `{SERIES_LI_15}`)"),
        _verdict_line(li_fails and (limg.lost_at is None or limg.lost_at >= SEED_HELD_mAh_cm2["Li-Mg"]),
                      f"Li–Mg holds where Li fails (seed: stable to 3–3.5 mAh/cm² at 0.2 MPa); the model's Li–Mg "
                      f"{limg.said()} (`{MESO_LIMG}`)"),
        _verdict_line(_within(v_li, *SEED_EARLY_VOIDS_PER_100um["Li"]),
                      f"Li's voids as stripping starts (seed: 16–18 per 100 µm of section); the model's: {v_li:.3g} at "
                      f"{c_li:g} mAh/cm² (`{VOIDS_LI}`)"),
        _verdict_line(_within(v_limg, *SEED_EARLY_VOIDS_PER_100um["Li-Mg"]),
                      f"the alloy's fewer voids as stripping starts (seed: 2–3 per 100 µm, against Li's 16–18); the "
                      f"model's Li–Mg: {v_limg:.3g} at {c_limg:g} mAh/cm²" + (", as many as Li's" if v_limg == v_li else "")
                      + f" (`{VOIDS_LIMG}`)"),
    ]
    untested = (f"- not tested by the seed: Li at 0.05 mA/cm² {slow.said()} (`{MESO_LI_SLOW}`, `{SERIES_LI_SLOW}`), at 333 K "
                f"{hot.said()} (`{MESO_LI_HOT}`, `{SERIES_LI_HOT}`); the critical current against pressure and temperature: `kmc critical-current` "
                "(docs/mechanics.md §10.5–10.6)")
    return ("\n**What the model reproduces of seed 004, and what it does not** (`kmc meso`: a 160 µm section at the "
            f"seed's 0.2 MPa and 0.5 mA/cm² unless stated; agreement: within a factor {AGREE_FACTOR:g} of the seed's "
            f"number; contact lost: at or below {LOST_CONTACT:g}, the seed's ~90 % loss):\n" + "\n".join(lines) + "\n"
            + untested + "\n\nWhy, with bands from the inputs' errors: "
            "docs/mechanics.md §10 (Li's one flow law, the contact as a vacancy sink with its one calibrated rate, the "
            "press, the critical current against pressure: `kmc critical-current`) and docs/alloy.md (Li–Mg); "
            "the physics and its sources: [docs/physics.md](docs/physics.md).\n")


def _quote_meso_assembled(done) -> str:
    found = re.search(r"^  assembled (.*): contact (\S+) when stripping starts$", output_of(done, MESO_LI), re.M)
    assert found, "no assembly line in kmc meso's output"
    return (f"leaves contact {found.group(2)} when stripping starts: the pellet's open pores stay open "
            f"(`{MESO_LI}`)")


def _quote_kmc_box(done) -> str:
    info = output_of(done, INFO_LI)
    cells = [int(x) for x in re.search(r"cells \[(\d+), (\d+), (\d+)\]", info).groups()]
    from kmc.config import load_config
    a_nm = load_config(ROOT / "params" / "li_li2s.toml").lattice.lattice_constant_A / 10
    return (f"The kMC box is {cells[0] * a_nm:.1f} nm wide (`lattice.cells` {cells}) and its default run reaches "
            f"{float(info_final(info, 'physical_time')):.2g} s of cell time (`{INFO_LI}`)")


QUOTES = {
    "verdict": Quote("README.md", (MESO_LI, MESO_LI_15, MESO_LIMG, MESO_LI_SLOW, MESO_LI_HOT, VOIDS_LI, VOIDS_LIMG,
                                   SERIES_LI_15, SERIES_LI_SLOW, SERIES_LI_HOT),
                     _quote_verdict),
    "meso-assembled": Quote("docs/meso.md", (MESO_LI,), _quote_meso_assembled),
    "meso-kmc-box": Quote("docs/meso.md", (INFO_LI,), _quote_kmc_box),
    "acceleration-ranges": Quote("README.md", (INFO_LI, INFO_LIMG), _quote_acceleration_ranges),
    "meso-sf0": Quote("README.md", (MESO_SF0,), _quote_meso_sf0),
    "meso-times": Quote("docs/meso.md", (MESO_LI, MESO_SF0), _quote_meso_times),
    "meso-readme-commands": Quote("docs/meso.md", (MESO_LI, MESO_LIMG, MESO_LI_15), _quote_meso_readme_commands),
    "default-runs": Quote("docs/vacancy_thermodynamics.md", (RUN_LI.line, RUN_LIMG.line, INFO_LI, INFO_LIMG),
                          _quote_default_runs),
}


def all_commands() -> list[str]:
    """Every command the pages show or quote, in the order they run (a quote's after the blocks whose
    files it reads), once each."""
    lines = [c.line for commands in BLOCKS.values() for c in commands]
    lines += [line for quote in QUOTES.values() for line in quote.commands]
    return list(dict.fromkeys(lines))


# What a first run prints while numba compiles (a cold cache): never part of a page or of a comparison.
COMPILE_LINES = re.compile(r"^(compiling the engine for this energy form .*|  compiling the (engine|model's kernels) "
                           r"took .*)\n?", re.M)


def mask_wall_clock(text: str) -> str:
    text = COMPILE_LINES.sub("", text)
    for pattern, replacement in WALL_CLOCK:
        text = pattern.sub(replacement, text)
    return text


def printed_alike(now: str, was: str) -> bool:
    """``now`` prints what ``was`` did: the same words and integers, each decimal number within the solvers'
    tolerance of the recorded one (DECIMAL's comment)."""
    from kmc.resolved.fields import VACANCY_TOLERANCE
    if DECIMAL.split(now) != DECIMAL.split(was):
        return False
    pairs = ((float(a), float(b)) for a, b in zip(DECIMAL.findall(now), DECIMAL.findall(was)))
    return all(abs(a - b) <= VACANCY_TOLERANCE * max(abs(a), abs(b)) for a, b in pairs)


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


def page_parts() -> dict[str, tuple[str, str]]:
    """{part name: (page, text)} of every generated part of every page of PAGES."""
    found = {}
    for page in PAGES:
        for name, text in readme_parts((ROOT / page).read_text()).items():
            assert name not in found, f"part {name!r} is in {found[name][0]} and {page}"
            found[name] = (page, text)
    return found


def part_names() -> set[str]:
    return set(BLOCKS) | set(INLINE) | set(QUOTES)


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
    """Every command the pages show or quote (all_commands), in order, once each."""
    log_path = folder / "commands.json"
    done = json.loads(log_path.read_text()) if reuse and log_path.exists() else {}
    for line in all_commands():
        if line in done:
            continue
        log(f"$ {line}")
        done[line] = run_command(line, folder)
        log(f"  {done[line]['wall_s']:.1f} s wall, {done[line]['cpu_s']:.1f} s CPU")
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
            output = COMPILE_LINES.sub("", done[c.line]["stderr"] + done[c.line]["stdout"]).splitlines()
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


def write_pages(parts: dict[str, str]) -> None:
    """Each page of PAGES with its generated parts replaced by ``parts``."""
    for page in PAGES:
        path = ROOT / page
        path.write_text(MARKER.sub(lambda m: f"<!-- make_readme:{m.group(1)} -->{parts[m.group(1)]}<!-- /make_readme -->",
                                   path.read_text()))


def recorded_runs(record: dict) -> dict[str, dict]:
    """The recorded outputs as run_command's records (wall clock masked), for the quotes."""
    return {line: {"stdout": out["text"], "stderr": "", "cpu_s": out["cpu_s"]}
            for line, out in record.get("outputs", {}).items()}


def check(full: bool = False, log=print) -> list[str]:
    """What no longer holds of the pages' generated parts (nothing is written): a page's part that is
    not what the script made; a quote the recorded outputs no longer give; inputs or figures changed
    since; a command (CHEAP, or every one with ``full``) that now prints something else, or whose CPU
    time is more than TIME_FACTOR from the one recorded (and quoted); the probes."""
    record = json.loads(RECORD.read_text())
    problems = physics_page_problems()
    found = page_parts()
    for name in sorted(part_names() - set(found)):
        problems.append(f"part {name!r}: the script makes it, no page of {', '.join(PAGES)} holds its markers")
    for name, (page, text) in sorted(found.items()):
        if name not in part_names():
            problems.append(f"{page}: part {name!r} is not one the script makes")
        elif text != record["parts"].get(name):
            problems.append(f"{page}: part {name!r} is not what the script made (edited by hand, or made before)")
    runs = recorded_runs(record)
    for name, quote in QUOTES.items():
        try:
            again = quote.render(runs)
        except (KeyError, AssertionError, AttributeError) as exc:
            again = f"(cannot be made from the recorded outputs: {exc!r})"
        if again != record["parts"].get(name):
            problems.append(f"{quote.page}: quote {name!r} does not follow from the recorded outputs of "
                            f"{', '.join(quote.commands)}")
    if input_hashes() != record["inputs"]:
        problems.append("the shipped parameter sets or the kMC's trajectory fingerprints changed since the outputs "
                        "were made")
    if {figure: sha256(ROOT / figure) for figure in FIGURES} != record["figures"]:
        problems.append(f"a figure of {', '.join(FIGURES)} is not the one the script drew")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare_folder(folder, keep=False)
        for line in (all_commands() if full else CHEAP):
            log(f"$ {line}")
            problems += _rerun_problems(line, folder, record)
        for name, line in PROBES.items():
            log(f"$ {line}")
            try:
                printed = probe_output(line, folder)
            except SystemExit as exc:
                printed = str(exc)
            if printed != record["probes"][name]:
                problems.append(f"the probe `{line}` now prints\n{printed}")
        if draw_probe_figures(folder) != record["probe_figures"]:
            problems.append("the probes' figures are not what they were")
    return problems


# ------------------------------------------------------------------------------- the physics page
PHYSICS = ROOT / "docs" / "physics.md"
# What a clone cannot follow: the folder the project was developed beside, its notes, internal issue numbers.
_NOTES = "sha" + "red"     # spelled apart: this file names no such folder itself (tests/test_readme.py)
UNFOLLOWABLE = re.compile(rf"\.\./{_NOTES}|/work/{_NOTES}|PHYSICS\.md|DESIGN\.md|(?i:\bissues? #?\d+)")
SLOT = re.compile(r"<!-- physics-slot: ([\w-]+) -->(.*?)<!-- /physics-slot: \1 -->", re.S)
PLACEHOLDER = "is being written"
CITATION = re.compile(r"docs/physics\.md (?:§|sections? )(\d+b?)(?:(?:,| and) (\d+b?))?")


def physics_page_problems(placeholders: bool = True) -> list[str]:
    """What no longer holds of docs/physics.md: a reference a clone cannot follow; a section that a
    shipped file cites (`docs/physics.md §N`, `docs/physics.md section N`) and the page does not hold; a
    section without a source (a year in parentheses, a doi, an arXiv number, seed 004 or a project page);
    and, with ``placeholders``, a slot left for a change that is still its placeholder."""
    text = PHYSICS.read_text()
    problems = [f"docs/physics.md: {m.group(0)!r} (line {text.count(chr(10), 0, m.start()) + 1}) is a reference "
                "a clone cannot follow" for m in UNFOLLOWABLE.finditer(text)]
    sections = dict(re.findall(r"^## (\d+b?)\. (.*)$", text, re.M))
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    for name in listed:
        try:
            cited = (ROOT / name).read_text()
        except (UnicodeDecodeError, OSError):
            continue
        for m in CITATION.finditer(cited):
            for number in filter(None, m.groups()):
                if number not in sections:
                    problems.append(f"{name} cites docs/physics.md section {number}, which the page does not hold")
    bodies = re.split(r"^## ", text, flags=re.M)
    for body in bodies:
        head = re.match(r"(\d+b?)\. ", body)
        if head and not re.search(r"\(\d{4}\)|\b(19|20)\d\d\b|doi|arXiv|seed 00\d|docs/\w+\.md", body):
            problems.append(f"docs/physics.md section {head.group(1)} names no source")
    if placeholders:
        problems += [f"docs/physics.md: the {name} part (<!-- physics-slot: {name} -->) still holds its placeholder"
                     for name, body in SLOT.findall(text) if PLACEHOLDER in body]
    return problems


def _rerun_problems(line: str, folder: Path, record: dict) -> list[str]:
    """A command run again against what the record says it printed and took (its quoted CPU time)."""
    was = record.get("outputs", {}).get(line)
    try:
        result = run_command(line, folder)
    except SystemExit as exc:
        return [f"`{line}` fails now: {exc}"]
    if was is None:
        return [f"`{line}`: no recorded output (the record was made before the script ran it)"]
    problems = []
    printed = mask_wall_clock(result["stderr"] + result["stdout"])
    if not printed_alike(printed, was["text"]):
        problems.append(f"`{line}` now prints\n{printed}\ninstead of\n{was['text']}")
    ratio = result["cpu_s"] / max(was["cpu_s"], 0.1)
    if not 1 / TIME_FACTOR <= ratio <= TIME_FACTOR:
        problems.append(f"`{line}` took {result['cpu_s']:.1f} s of CPU, the record (and the pages' quoted time) "
                        f"{was['cpu_s']:.1f} s: more than {TIME_FACTOR}x apart")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true",
                        help="keep the outputs of the last invocation's commands (runs/out/readme/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing: say which generated part of the pages no longer holds (exit 1 if any)")
    parser.add_argument("--full", action="store_true", help="with --check: run every command again, not only CHEAP")
    args = parser.parse_args(argv)
    if args.full and not args.check:
        parser.error("--full goes with --check")
    found = page_parts()
    if set(found) != part_names():
        raise SystemExit(f"the pages' make_readme markers are {sorted(found)}; the script makes {sorted(part_names())}")
    if args.check:
        problems = check(args.full)
        for problem in problems:
            print(f"stale: {problem}")
        print(f"{len(found)} generated parts of {', '.join(PAGES)} and docs/physics.md: "
              + (f"{len(problems)} problems; run python docs/make_readme.py and commit what it changes"
                 if problems else "all hold"))
        raise SystemExit(1 if problems else 0)
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
    parts.update({name: quote.render(done) for name, quote in QUOTES.items()})
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
        "outputs": {line: {"text": mask_wall_clock(r["stderr"] + r["stdout"]), "cpu_s": r["cpu_s"]}
                    for line, r in done.items()},
        "inputs": input_hashes(),
        "figures": {figure: sha256(ROOT / figure) for figure in FIGURES},
        "probes": probes,
        "probe_figures": draw_probe_figures(probe_folder),
    }
    write_pages(parts)
    RECORD.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {', '.join(PAGES)} ({len(parts)} parts), {', '.join(FIGURES)} and {RECORD.relative_to(ROOT)} "
          f"({parts['machine']})")


if __name__ == "__main__":
    main()
