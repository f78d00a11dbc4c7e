"""The physical range of every input, checked in one place for every command: ``kmc run``,
``kmc sweep`` (each run before any starts), ``kmc meso``, ``kmc rates`` and the Python entry points
(kmc.run, kmc.launch.open_run, the meso run function) call ``check(settings, command)``.

kmc.config checks each key against its schema (a type and a range of its own); here the inputs are
checked against the physics the model is built on and against what the command at hand does with
them.  ``check`` refuses an input outside its physical range with one ``InputRangeError`` naming the
input, what is wrong and what is allowed (one message per input, the same from every command, or
worded for the command where what to do differs), and returns the ``Advice`` (warnings) for inputs
the model takes but its sources did not measure.  ``warn`` is the one printer of a warning: one
line on stderr, naming the setting that would satisfy it and what that costs.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from kmc.config import ConfigError, Settings
from kmc.schema import SITES_PER_CELL

# What a run of a parameter set is for: the kMC (kmc run, kmc sweep, kmc.run), the interface at the
# cell's scale (kmc meso, a meso sweep) or the rates at physical kinetics (kmc rates).
COMMANDS = ("run", "meso", "rates")

# Temperatures.  The model's numbers were measured at room temperature: seed 004's operando SEM, Li
# creep of Masias et al. 2019 at ~26 C (299 K, creep.reference_temperature_K 298 K); 293 K (20 C) is
# the low end of a laboratory's room temperature.  Away from it every rate is an Arrhenius
# extrapolation (creep Q, E_f, the hop barriers).
SOURCES_TEMPERATURE_RANGE_K = (293.0, 299.0)
# Below its martensitic start Li is no longer bcc (close-packed 9R and fcc form on cooling;
# M_s = 70 - 75 K at zero pressure, as quoted by Nat. Commun. 6, 8030 (2015)): the model's lattice
# does not exist there.
LI_MARTENSITE_START_K = 75.0
# A temperature below this was probably meant in Celsius (no laboratory cell runs below -173 C).
CELSIUS_HINT_BELOW_K = 100.0
# Stack pressure and current.  Seed 004 stripped at 0.2, 1, 1.5, 7 and 50 MPa (its Fig. 3; the foil
# pressed at 50 MPa first) and at 0.05 and 0.5 mA/cm^2 (its operando runs and Mg enrichment), and cycled
# full cells at 2 mA/cm^2; Li's flow law (kmc.physics.flow) was measured in creep below ~0.8 MPa
# (Masias et al. 2019) and in compression at higher rates above it (LePage et al. 2019), extrapolated
# beyond (docs/physics.md sections 1, 4b, 7 and 11).  0 MPa is no range: it switches creep off.
SOURCES_PRESSURE_RANGE_MPa = (0.2, 50.0)
SOURCES_CURRENT_RANGE_mA_cm2 = (0.05, 2.0)
# Peak memory of a kMC run per lattice site while its lattice is built and written to its file
# (neighbour table, positions, layers): the peak resident size of `kmc run` over that of a tiny box,
# 54 and 58 bytes per site at 3.2e6 and 7.2e6 sites (lattice.cells [200,200,40] and [300,300,40],
# run.max_events=1000, /usr/bin/time -f %M; 2026-11-27); rounded up.
RUN_PEAK_BYTES_PER_SITE = 60.0
# The run.* limits of a kMC run that stripping reaches, and those that come without it.
STRIPPING_STOPS = ("stop_stripped_mAh_cm2", "stop_stripped_monolayers", "stop_overpotential_mV")
OTHER_STOPS = ("stop_time_s", "max_events", "stop_wall_s", "stop_contact_fraction")


class InputRangeError(ConfigError):
    """An input outside its physical range, or one the command at hand cannot run; the message names
    the input, what is wrong and what is allowed."""


@dataclass(frozen=True)
class Advice:
    """A warning: an input the model takes that lies outside what its sources cover (``problem``),
    the setting that would satisfy it (``setting``) and what that costs (``remedy``)."""
    setting: str
    problem: str
    remedy: str

    def line(self) -> str:
        """The warning as one line (without the 'warning: ' of the printer)."""
        return " ".join(f"{self.problem}; {self.remedy}".split())


def warn(advice: Advice, count: str = "", stream=None) -> None:
    """Print one warning as one line on stderr (``stream``): 'warning: <problem>; <remedy>', with
    ``count`` (e.g. 'in 4 of 8 runs') after it.  The one printer of every command's warnings."""
    stream = sys.stderr if stream is None else stream
    stream.write(f"warning: {advice.line()}{f' ({count})' if count else ''}\n")
    stream.flush()


def check(settings: Settings, command: str) -> list[Advice]:
    """Refuse (InputRangeError) an input of ``settings`` outside its physical range or one that
    ``command`` (a key of COMMANDS) cannot run; return the warnings for inputs outside what the
    model's sources measured.  Cheap (no model is built): every entry point calls it before any work."""
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}; allowed: {', '.join(COMMANDS)}")
    advice = _temperature(settings)
    _current(settings, command)
    advice += _measured_range(settings)
    if command == "run":
        _kmc_stops(settings)
        _memory(settings)
    return advice


def _temperature(settings: Settings) -> list[Advice]:
    """Refuse a temperature where the host is not the model's bcc crystal; warn outside the sources'
    room temperature."""
    T = settings.conditions.temperature_K
    celsius = f"{T:g} C would be {T + 273.15:g} K" if T < CELSIUS_HINT_BELOW_K else None
    low, high = SOURCES_TEMPERATURE_RANGE_K
    if settings.species.host == "Li" and T < LI_MARTENSITE_START_K:
        raise InputRangeError(
            f"conditions.temperature_K = {T:g}: below Li's martensitic start (~{LI_MARTENSITE_START_K:g} K) Li is "
            f"not bcc, the model's crystal; allowed: a temperature in kelvin from {LI_MARTENSITE_START_K:g} K "
            f"up (the sources measured at room temperature, {low:g} - {high:g} K)" + (f"; {celsius}" if celsius else ""))
    if low <= T <= high:
        return []
    return [Advice("conditions.temperature_K",
                   f"conditions.temperature_K = {T:g} lies outside the temperatures the model's sources measured "
                   f"(room temperature, {low:g} - {high:g} K: seed 004's SEM, Li creep at ~26 C): creep, the "
                   "vacancies' equilibrium and hop rates are Arrhenius extrapolations from there, no measurement "
                   "checks them" + (f" ({celsius}?)" if celsius else ""),
                   f"conditions.temperature_K within {low:g} - {high:g} K would satisfy it, at the cost of "
                   "answering for room temperature instead (no cost in run time)")]


def _current(settings: Settings, command: str) -> None:
    """Zero current: what each command does without stripping, and what to do instead."""
    if settings.conditions.current_density_mA_cm2 > 0:
        return
    if command == "meso":
        raise InputRangeError(
            "conditions.current_density_mA_cm2 = 0: kmc meso strips the interface until "
            "meso.stop_stripped_mAh_cm2 (or until the contact falls to meso.stop_contact_fraction), and "
            "without a current neither comes: the run would never end; allowed: a current > 0 mA/cm^2 "
            "(seed 004: 0.5); the interface at rest is kmc run's (with run.stop_time_s) or kmc rates'")
    # kmc run: the stop conditions that need no stripping (below); kmc rates: the interface at rest
    # (S = 1, no stripping flux to carry), a state its rates are measured in as well


def _measured_range(settings: Settings) -> list[Advice]:
    """Warn for a stack pressure or a current outside what seed 004 measured (0 MPa, creep off, is no
    pressure to measure)."""
    cond = settings.conditions
    i, (i_low, i_high) = cond.current_density_mA_cm2, SOURCES_CURRENT_RANGE_mA_cm2
    rows = [("conditions.stack_pressure_MPa", cond.stack_pressure_MPa, SOURCES_PRESSURE_RANGE_MPa, "MPa", " (or 0: no creep)",
             "pressure", "seed 004's stripping; Li's flow law itself measured in creep below ~0.8 MPa and in "
             "compression above it at higher rates, extrapolated beyond", " (no cost in run time)"),
            ("conditions.current_density_mA_cm2", i, SOURCES_CURRENT_RANGE_mA_cm2, "mA/cm^2", "",
             "current", "seed 004's stripping and cycling",
             " (a kMC run then strips more slowly relative to its hops: more events per stripped charge)"
             if i < i_low else
             " (a kMC run then strips faster relative to its hops: fewer events)" if i > i_high else "")]
    advice = []
    for key, value, (low, high), unit, also_allowed, noun, measured_by, cost in rows:
        if value > 0 and not low <= value <= high:
            advice.append(Advice(
                key,
                f"{key} = {value:g} lies outside the {noun}s the model's sources measured "
                f"({low:g} - {high:g} {unit}: {measured_by}): no measurement checks the answer there",
                f"{key} within {low:g} - {high:g} {unit}{also_allowed} would satisfy it, at the cost of answering for another "
                f"{noun}{cost}"))
    return advice


def available_memory_bytes() -> float:
    """Memory a new process can use now: MemAvailable of /proc/meminfo, else the physical memory (inf if
    neither can be read)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def _memory(settings: Settings) -> None:
    """Refuse a box whose arrays do not fit in this machine's memory (before any is allocated)."""
    lattice = settings.lattice
    nx, ny, nz = lattice.cells
    sites = SITES_PER_CELL[lattice.orientation] * nx * ny * nz
    needed, available = sites * RUN_PEAK_BYTES_PER_SITE, available_memory_bytes()
    if needed <= available:
        return
    fits = int(available / RUN_PEAK_BYTES_PER_SITE)
    raise InputRangeError(
        f"lattice.cells = [{nx}, {ny}, {nz}]: {sites:.3g} sites need about {needed / 1e9:.3g} GB of memory for the "
        f"run's arrays (~{RUN_PEAK_BYTES_PER_SITE:g} bytes per site), and this machine has {available / 1e9:.3g} GB "
        f"available; allowed: a box of at most ~{fits:.2g} sites (the shipped [20, 20, 12] has 9,600)")




def _kmc_stops(settings: Settings) -> None:
    """A kMC run needs a stop it can reach."""
    run = settings.run
    if not any(run[k] for k in STRIPPING_STOPS + OTHER_STOPS):
        raise InputRangeError("run: no stop condition set; allowed: set at least one of "
                              + ", ".join(f"run.{k}" for k in STRIPPING_STOPS + OTHER_STOPS))
    if any(run[k] for k in ("stop_time_s", "max_events", "stop_wall_s")):
        return
    if settings.lattice.geometry == "bulk":
        why = "lattice.geometry = 'bulk': a periodic box has no interface and strips nothing"
        instead = "a slab (lattice.geometry = 'slab')"
    elif settings.conditions.current_density_mA_cm2 == 0:
        why = "conditions.current_density_mA_cm2 = 0: nothing is stripped"
        instead = "a current > 0 mA/cm^2"
    else:
        return
    reached = [f"run.{k}" for k in STRIPPING_STOPS if run[k]]
    if not reached:
        return
    raise InputRangeError(f"{why}, so {' and '.join(reached)} can never be reached; allowed: {instead}, or a "
                          "stop that comes without stripping: run.max_events, run.stop_time_s or run.stop_wall_s")
