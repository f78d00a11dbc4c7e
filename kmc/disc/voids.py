"""The disc-void model of the interface (docs/meso.md): interface voids as objects on the flat
electrolyte (centre x, y, base radius r and height h in um), equilibrium caps (kmc.physics.nucleation.
VoidCap: h and volume from the wetting angle) or kinetic voids (half-spheroids growing at the rim and
relaxing toward the cap by surface diffusion).  The contact is what no void covers (coalescence keeps
footprints apart).

``DiscVoids`` is the model under kmc.cell.model's contract (meso.interface = "disc"): the one loop
(kmc.cell.loop.run) asks it for its state's fields, a step and a sample; the gap model (kmc.resolved) is
another model under the same loop and file.

A step tries twice the last one (at most meso.max_step_mAh_cm2, the charge to the next sample or the stop,
and nucleation's limit) and takes the longest step up to it that meets the tolerances (``Tolerances``,
checked after the step)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from kmc import units
from kmc.cell.inputs import CellInputError, CellInputs, cell_inputs, critical_radius_um, nucleation_rate_per_um2_s
from kmc.cell.model import CellModel, RunawayBounds, runaway_bounds
from kmc.disc.coalescence import coalesce_state
from kmc.disc.kinetics import (VANISHED_RADIUS_um, VOID_TOLERANCE, Fields, balance_radius_um, contact_fraction,
                               evolve_voids, fields, void_volume_um3)
from kmc.disc.nucleation import defect_sites, nucleation_step_limit_s, reseed
from kmc.disc.sections import OBSERVABLES, interface_solute_fraction, section_statistics, subsurface_solute_fraction
from kmc.physics.electrochemistry import overpotential_mV


@dataclass(frozen=True)
class Tolerances:
    """Numerics of a run (docs/meso.md, "Numerics", shows the results converged in them).  ``void``: the
    per-void accuracy of evolve_kinetic_voids.  A global step holds the fields every void sees (the
    stress P / contact and the vacancy fraction, set by sum r) and is accepted only if, after it,
    the contact has moved by at most ``contact`` and sum r by at most ``radius_sum`` of itself;
    ``smallest_void_um``: the smallest void the model follows."""
    void: float = VOID_TOLERANCE
    contact: float = 0.003
    radius_sum: float = 0.02
    # the continuum's resolution: a void whose base radius or height falls below it is gone, and
    # nuclei and defect seeds start at twice it at least (docs/meso.md, numerics: results do not
    # depend on it within 0.5 - 2 nm)
    smallest_void_um: float = VANISHED_RADIUS_um


@dataclass
class VoidState:
    """The voids (um) and the defect sites, and what happened to voids so far."""
    x: np.ndarray
    y: np.ndarray
    r: np.ndarray           # base radius (um)
    h: np.ndarray           # height (um): r tan(alpha/2) for caps, its own for kinetic voids
    defect_x: np.ndarray = field(default_factory=lambda: np.empty(0))   # the defect sites (um)
    defect_y: np.ndarray = field(default_factory=lambda: np.empty(0))
    coalescences: int = 0
    nucleated: int = 0
    collapsed: int = 0
    time_s: float = 0.0     # the clock: cell time stripped (s) and charge (mAh/cm^2)
    stripped_mAh_cm2: float = 0.0


# Keys the gap model reads and the disc model has no place for (its voids are discs in a square, with no
# islands whose strength could vary and no electrolyte field): the disc model refuses them away from their
# defaults rather than ignore them.  The assembly's keys are not among them: the disc model starts in full
# contact, which is what the shipped press leaves (docs/mechanics.md section 5a).
GAP_ONLY_KEYS = ("electrolyte_constriction", "depth_um")


class DiscVoids(CellModel):
    """The disc-void model of ``inp`` at the numerics ``tol`` (kmc.cell.model's contract)."""
    name = "disc"
    observables = OBSERVABLES

    def __init__(self, inp: CellInputs, tol: Tolerances = Tolerances()):
        super().__init__(inp)
        self.tol = tol
        self.void_shape = inp.void_shape
        self.rng = np.random.default_rng(inp.seed)
        self.last_dt = math.inf               # the last step the tolerances cut or let grow

    @classmethod
    def inputs(cls, settings, energetics, **numerics) -> CellInputs:
        """kmc.cell.inputs.cell_inputs; CellInputError for a key only the gap model reads (GAP_ONLY_KEYS)
        set away from its default."""
        from kmc.schema import SCHEMA
        for key in GAP_ONLY_KEYS:
            value, default = getattr(settings.meso, key), SCHEMA["meso"][key].default
            if value != default:
                raise CellInputError(f"meso.{key} = {value!r} is read only by the gap model (the section and the "
                                     f"area); allowed: meso.interface = 'section' or 'area', or meso.{key} = "
                                     f"{default!r} with the disc model")
        return replace(cell_inputs(settings, energetics), **numerics)

    def describe(self) -> str:
        return f"{self.inp.width_um:g} um square"

    def start(self) -> VoidState:
        """The pre-existing defect sites (nucleation.defect_sites), each holding a void seed (a cap
        of the defect radius); seeds that overlap merge at once (not counted as coalescences)."""
        inp = self.inp
        if inp.current_mA_cm2 <= 0:
            raise CellInputError("conditions.current_density_mA_cm2 = 0: nothing is stripped; allowed: > 0")
        self.last_dt = math.inf
        dx, dy = defect_sites(inp, self.rng)
        r = np.full(dx.size, inp.defect_radius_um)
        x, y, r, h, _ = coalesce_state(inp, dx, dy, r, r * inp.shape.height_per_radius)
        return VoidState(x, y, r, h, dx, dy)

    def rates(self, st: VoidState) -> Fields:
        return fields(self.inp, st.r)

    def contact(self, now: Fields) -> float:
        return now.contact

    def step_limit_s(self, st: VoidState, now: Fields) -> float:
        """The longest step nucleation allows (nucleation_step_limit_s)."""
        return nucleation_step_limit_s(self.inp, now.supersaturation, st.r.size)

    def step_try_s(self, st: VoidState, now: Fields, charge_left_mAh_cm2: float) -> float:
        """Twice the last step, at most meso.max_step_mAh_cm2 and the charge left, and nucleation's limit."""
        inp = self.inp
        s_per_mAh = units.S_PER_H / inp.current_mA_cm2
        dt_max = min(inp.max_step_mAh_cm2, charge_left_mAh_cm2) * s_per_mAh
        return min(dt_max, 2 * self.last_dt, self.step_limit_s(st, now))

    def step(self, st: VoidState, now: Fields, dt_try_s: float) -> float:
        """Evolve the voids over the longest step up to dt_try that meets the tolerances (_evolve),
        then finish it (_finish); returns the step taken (s)."""
        dt, r, h = self._evolve(st, now, dt_try_s)
        self._finish(st, now, dt, r, h, self.rng)
        self.advance_clock(st, dt)
        if dt < dt_try_s or dt_try_s == 2 * self.last_dt:   # cut by the tolerance, or grown: the next try is 2 dt
            self.last_dt = dt                                # (a step cut short by a sample time says nothing)
        return dt

    def void_count(self, st: VoidState) -> int:
        return int(st.r.size)

    def runaway_bounds(self) -> RunawayBounds:
        """kmc.cell.model.runaway_bounds at the tolerances: the smallest void followed, the contact's step."""
        return runaway_bounds(self.inp, self.tol.contact, self.tol.smallest_void_um)

    def _evolve(self, st: VoidState, now: Fields, dt_try_s: float):
        """The longest step up to dt_try whose outcome moves the fields within the tolerances (checked
        after the step, from what the voids actually did, not from their rates: a void at its balance
        of capture and creep costs nothing).  Returns dt, r, h."""
        inp, tol = self.inp, self.tol
        r_sum = float(st.r.sum())
        floor = 1e-9 * dt_try_s
        dt = dt_try_s
        while True:
            r, h = evolve_voids(inp, st.r, st.h, now, dt, tol.void, tol.smallest_void_um)
            d_contact = abs(contact_fraction(inp, r) - now.contact)
            d_rsum = abs(float(r.sum()) - r_sum)
            scale = 1.0
            if d_contact > tol.contact:
                scale = tol.contact / d_contact
            if d_rsum > tol.radius_sum * r_sum:
                scale = min(scale, tol.radius_sum * r_sum / d_rsum)
            if scale == 1.0 or dt <= floor:
                return dt, r, h
            dt = max(floor, dt * max(0.1, 0.8 * scale))

    def _finish(self, st: VoidState, now: Fields, dt_s: float, r, h, rng: np.random.Generator) -> None:
        """Finish a step whose voids have become r, h: drop the vanished (below the smallest void
        followed), reseed, nucleate, coalesce."""
        inp, smallest = self.inp, self.tol.smallest_void_um
        alive = (r >= smallest) & (h >= smallest)
        # a closed void counts as collapsed if a section could have seen it (at least min width)
        st.collapsed += int(np.count_nonzero(~alive & (2 * st.r >= inp.min_void_width_um)))
        # a fresh seed starts at the defect's size, or at the balance radius if creep holds it smaller:
        # it would shrink there within 3 k_V / (4 pi closure) anyway, and a seed put in larger than
        # its balance only to shrink off its site would be put in again every step (a cycle whose
        # duty, and so whose capture, would depend on the step length)
        seed_r = min(inp.defect_radius_um, balance_radius_um(inp, now))
        x, y, r, h = reseed(inp, st.x[alive], st.y[alive], r[alive], h[alive], st.defect_x, st.defect_y, seed_r,
                            smallest)
        born = rng.poisson(nucleation_rate_per_um2_s(inp, now.supersaturation) * inp.area_um2 * dt_s)
        if born:
            r0 = max(2 * critical_radius_um(inp, now.supersaturation), 2 * smallest)
            x = np.concatenate((x, rng.uniform(0, inp.width_um, born)))
            y = np.concatenate((y, rng.uniform(0, inp.width_um, born)))
            r = np.concatenate((r, np.full(born, r0)))
            h = np.concatenate((h, np.full(born, r0 * inp.shape.height_per_radius)))
            st.nucleated += born
        st.x, st.y, st.r, st.h, merged = coalesce_state(inp, x, y, r, h)
        st.coalescences += merged

    def sample(self, st: VoidState, now: Fields) -> dict:
        """The observables (kmc.disc.sections.OBSERVABLES) of the state, but the clock's (stripped_charge,
        physical_time)."""
        inp = self.inp
        contact = now.contact
        stripped_um = inp.strip_velocity_um_s * st.time_s
        local_um_s = inp.strip_velocity_um_s / contact if contact > 0 else math.inf
        x_sub = subsurface_solute_fraction(inp, stripped_um, local_um_s, now.supersaturation)
        return {"contact_fraction": contact,
                "overpotential": float(overpotential_mV(inp.current_mA_cm2, contact, inp.exchange_current_mA_cm2,
                                                        inp.temperature_K)),
                "supersaturation": now.supersaturation, "captured_fraction": now.captured_fraction,
                "void_count": st.r.size,
                "void_volume_per_area": float(np.sum(void_volume_um3(inp, st.r, st.h))) / inp.area_um2,
                **section_statistics(inp, st.x, st.y, st.r, st.h),
                "subsurface_solute_fraction": x_sub,
                "interface_solute_fraction": interface_solute_fraction(inp, x_sub),
                "coalescences": st.coalescences, "nucleated": st.nucleated, "collapsed": st.collapsed}

    def voids(self, st: VoidState) -> dict:
        """The voids as the run file's /voids holds them (um)."""
        return {"x": st.x, "y": st.y, "base_radius": st.r, "height": st.h}
