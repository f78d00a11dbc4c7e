"""The contract of an interface model at the cell's scale (``kmc meso``): what every model offers the one
loop (kmc.cell.loop.run), the run file (kmc.cell.output) and the front ends, and how it refuses what it
cannot do.

The loop owns the run (its clock's schedule, samples, frames, observers and stops); a model implements
``step`` and what the loop asks around it (ASE's Dynamics owns ``irun()`` and each dynamics writes
``step()``).  A model declares:

* ``name``: its name in the registry (``meso.interface``; kmc.launch holds the registry, and nothing
  below the launch layer knows which models exist);
* ``inputs(settings, energetics, **numerics)``: its frozen record of numbers, read once from the settings
  (the one place a model reads them) and the interface's energetics (an input: kmc.energetics computes
  them, the launch layer passes them in); what the model cannot do it refuses there in one line
  (``CellInputError``: what is wrong and what is allowed), never silently;
* ``start()``: the interface before stripping (its face and the press, where the model has them); the
  state carries the clock (``time_s``, ``stripped_mAh_cm2``, advanced by ``advance_clock``);
* ``rates(state)``: the fields at one instant (``ContactLost`` when no contact is left; ``Unconverged``, there or
  in a step, when a solve falls short of its tolerance), ``contact(now)``;
* ``step_try_s(state, now, charge_left)``, the step it asks for, and ``step(state, now, dt)``, the step it
  takes (at most dt);
* ``sample(state, now)``: one sample of its ``observables`` (kmc.vocabulary.registry; the loop adds the
  clock's two), ``void_count(state)`` after a step (None: counted at samples only), ``frame(state)`` at
  ``frame_charges`` (None: no frames), ``voids(state)`` and ``void_shape`` for the file's /voids;
* ``runaway_bounds()``, ``describe()`` (its shape in a line), ``assembly()`` (how it was made before
  stripping, None: full contact), ``advice()`` (warnings its inputs give) and ``used()`` (what else it
  read, for the file's /parameters/derived);
* ``start_key()``, ``start_record()`` and ``start_from_record(record, source)``: the digest of what the start
  depends on, the start the file keeps (the pressed face) and a later run of the same start beginning from it
  (`kmc meso --press-from`; kmc.cell.kept_starts), where the model has one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from kmc import units
from kmc.cell.inputs import CellInputError


class ContactLost(Exception):
    """No contact is left to carry the current or the load: the run's stop "contact_lost"."""


class Unconverged(Exception):
    """A field the model solves used up its iterations short of its tolerance (the message says which, how far it
    got and what it needs): the run's stop "unconverged", its file complete up to its last sample."""


@dataclass(frozen=True)
class RunawayBounds:
    """The most voids and steps a run of the model can sensibly take, and why (each from the run's
    box, not tuned)."""
    max_voids: int
    max_steps: int
    voids_why: str
    steps_why: str


def runaway_bounds(inp, contact_step: float, smallest_void_um: float) -> RunawayBounds:
    """A model's bounds from its inputs.  Voids: no more than the squares of the smallest counted width
    (meso.min_void_width_um; twice ``smallest_void_um`` if 0) that tile the interface: beyond that the
    voids are finer than anything the sections count, and every step costs in proportion to them.  Steps:
    the loop's steps if the contact crossed its whole range (1 / ``contact_step`` steps) in every interval
    of meso.max_step_mAh_cm2 and every sample cut one more: a run taking more is grinding, not resolving."""
    cell_um = inp.min_void_width_um if inp.min_void_width_um > 0 else 2 * smallest_void_um
    max_voids = int(inp.area_um2 / cell_um ** 2)
    intervals = math.ceil(inp.stop_stripped_mAh_cm2 / inp.max_step_mAh_cm2)
    samples = math.ceil(inp.stop_stripped_mAh_cm2 / inp.output_every_mAh_cm2) + 1
    cuts = math.ceil(1 / contact_step)
    max_steps = (intervals + samples) * cuts
    return RunawayBounds(
        max_voids, max_steps,
        f"the {max_voids:,} squares {cell_um:g} um wide (meso.min_void_width_um) that tile the "
        f"{inp.width_um:g} um interface: voids finer than the sections count",
        f"{cuts} steps (the contact crossing its range in steps of the tolerance {contact_step:g}) in each of "
        f"the run's {intervals + samples:,} intervals of meso.max_step_mAh_cm2 and samples")


class CellModel:
    """An interface model at the cell's scale (module docstring): the methods below that raise are what a
    model must write; the others have the defaults most models want."""
    name: str = ""                    # its name in the registry (meso.interface)
    observables: dict = {}            # name -> (unit, description), the file's order (kmc.vocabulary.registry)
    frame_charges: tuple = ()         # stripped charges (mAh/cm^2) at which the file keeps frame(state)
    frame_cell_um: float | None = None  # a frame's cell width (um)
    void_shape: str = ""              # what the file's /voids describe (its "shape" attribute)

    def __init__(self, inp):
        self.inp = inp

    @classmethod
    def inputs(cls, settings, energetics, **numerics):
        """The model's record of numbers from ``settings`` and the interface's ``energetics``
        (kmc.energetics.InterfaceEnergetics); CellInputError for what it cannot do."""
        raise NotImplementedError(f"{cls.__name__} declares no inputs")

    def start(self):
        raise NotImplementedError(f"{type(self).__name__} has no start")

    def rates(self, st):
        raise NotImplementedError(f"{type(self).__name__} has no rates")

    def contact(self, now) -> float:
        raise NotImplementedError(f"{type(self).__name__} does not say its contact")

    def step_try_s(self, st, now, charge_left_mAh_cm2: float) -> float:
        raise NotImplementedError(f"{type(self).__name__} has no step control")

    def step(self, st, now, dt_s: float) -> float:
        raise NotImplementedError(f"{type(self).__name__} has no step")

    def sample(self, st, now) -> dict:
        raise NotImplementedError(f"{type(self).__name__} takes no sample")

    def voids(self, st) -> dict:
        raise NotImplementedError(f"{type(self).__name__} records no voids")

    def runaway_bounds(self) -> RunawayBounds:
        raise NotImplementedError(f"{type(self).__name__} declares no runaway bounds")

    def describe(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} does not describe itself")

    def void_count(self, st) -> int | None:
        """The voids after a step, for the runaway stop (None: the model counts them at samples only)."""
        return None

    def frame(self, st):
        """The field the file keeps at ``frame_charges`` (None: none)."""
        return None

    @classmethod
    def frame_cells(cls, meso) -> int:
        """How many cells a frame (and the start the file keeps) holds for a run of this [meso] table, known
        before the model is built (kmc meso's free-space check); 0: no frames."""
        return 0


    def frame_fields(self, st) -> dict:
        """Further fields the file keeps beside ``frame`` at the same charges, {name: (unit, array of the
        frame's shape)} ({}: none; e.g. the gap model's Mg below each cell)."""
        return {}
    def assembly(self) -> str | None:
        """How the interface was made before stripping, in words (None: it starts in full contact)."""
        return None

    def start_key(self) -> str | None:
        """The digest of everything the model's start depends on (None: the model makes no start a later run
        can be given: no press, or none its inputs decide); runs with equal keys make the same start, bit for
        bit (kmc.cell.kept_starts keeps starts under it)."""
        return None

    def start_record(self) -> dict | None:
        """What the file keeps of the start this run made, so that a later run of the same start can begin
        from it (None: nothing; the gap model: its pressed face and the digest of what its press read):
        {"key": the digest, name: array, ...}."""
        return None

    def start_from_record(self, record: dict, source: str) -> None:
        """Begin the run from a start an earlier run kept (``start_record``'s, read from ``source``) instead of
        making it again; CellInputError where this model's start is not the record's."""
        raise CellInputError(f"{source}: the {self.name} model makes no start a file can keep (it has no press); "
                             "allowed: --press-from with a section or area run (meso.interface) that presses its face")

    def advice(self) -> list:
        """The warnings (kmc.validation.Advice) the model's inputs give, before the run."""
        return []

    def used(self) -> dict:
        """What else the model read and how, for the file's /parameters/derived."""
        return {}

    def advance_clock(self, st, dt_s: float) -> None:
        """The state's clock after a step of dt at the run's current."""
        st.time_s += dt_s
        st.stripped_mAh_cm2 += self.inp.current_mA_cm2 * dt_s / units.S_PER_H
