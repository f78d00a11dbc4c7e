"""Where a vacancy made by stripping goes at the contact, at physical kinetics (docs/alloy.md
section 6): the walk of one stripped vacancy through the contact layers of the perfect
interface until it leaves them for the bulk, per chemistry and per composition of the metal below the
contact (an Mg-rich contact is the alloy's after stripping: Mg is never stripped).

The box is the steady interface at S (kmc.interface_rates.steady: acceleration 1, the reservoir at S c_eq
right below it, no stripping during a trial), ``CONTACT_CELLS`` wide and deep, its bulk at the solute
fraction asked for and its L1 in segregation equilibrium with it (steady.seeded_occupancy's
"equilibrium" start).  Stripping removes a host atom from L1 (Mg is never stripped), so each trial
empties one host site of L1 drawn uniformly (the current is uniform over a contact: docs/pore_edge.md
section 1) and follows that vacancy, event by event in blocks of ``CHECK_EVENTS``, until it reaches
the escape layer (edge.ESCAPE_LAYER, the fifth: below the interface layers, where the cell's diffusion
field takes it).  Each trial runs from its own seeded start and RNG stream, so the trials are
independent.  Per trial: its lateral displacement, unwrapped over the periodic box (a block's hops move
it < 1/4 of the box), and the time it took, in the box's clock (kmc.model.box_hop_prefactor_Hz).

At A = 1 the vacancies stripping makes meet no other at the contact (kmc.physics.contact_vacancy
.encounter_number: ~1e-9 per vacancy), so one vacancy's walk is the whole story of where they go: into
a pore's metal if a rim lies within its walk, into the bulk otherwise, and into the contact's own sinks
(ledges, misfit dislocations) if one lies within its walk.  The walk's lateral reach is the contact's
collecting length; kmc.physics.contact_vacancy gives it from the displacements and carries it to the
cell.  A vacancy the reservoir puts in meanwhile (~1e-4 per box at S ~ 10) is told apart by proximity:
the followed vacancy is the one nearest its last place.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc.interface_rates import edge, steady
from kmc.species import HOST, VACANCY

# The box (numerics): 12 x 12 cells (4.2 nm: the walk is unwrapped, so its lateral reach is not bounded
# by the box), 6 deep (12 layers, as the edge box: the escape layer L5 well above the reservoir).
CONTACT_CELLS = (12, 12, 6)
# Events between two looks at the walker: at most this many hops of a/2 in x and y, 4 x 1.755 A, well
# below half the box (21 A), so the minimum image of each block's move is the move.
CHECK_EVENTS = 4
# The walker's start stream (the engine's stream is the trial seed's, as in kmc.interface_rates.edge)
START_STREAM = 63


def contact_settings(settings, supersaturation: float, subsurface_fraction: float | None = None, cells=CONTACT_CELLS):
    """The steady interface at S on the contact box (the perfect interface: steady.steady_settings), its
    bulk at ``subsurface_fraction`` of solute (None: the set's composition); ``cells``: the box (numerics)."""
    st = steady.steady_settings(settings, supersaturation).replaced(lattice={"cells": list(cells)})
    if subsurface_fraction is not None:
        st = st.replaced(composition={"solute_fraction": float(subsurface_fraction)})
    return st


def placed_occupancy(st, seed: int) -> tuple[np.ndarray, int]:
    """A trial's start: the steady start (steady.seeded_occupancy with the set's L1 start: in segregation
    equilibrium with the bulk for a set with a solute) with its own vacancies filled, and one L1 host
    site, drawn uniformly from the seed's stream, emptied (an atom stripped).  Returns (occupancy, site)."""
    occ = steady.seeded_occupancy(st, st.boundary.supersaturation, seed, steady.l1_start(st))
    occ[occ == VACANCY] = HOST
    spl = int(st.lattice.cells[0]) * int(st.lattice.cells[1])
    hosts = np.flatnonzero(occ[:spl] == HOST)
    if hosts.size == 0:
        raise ValueError("the contact layer holds no host atom to strip; allowed: a subsurface solute fraction "
                         "whose L1 equilibrium leaves Li in L1")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), START_STREAM])))
    site = int(hosts[rng.integers(hosts.size)])
    occ[site] = VACANCY
    return occ, site


@dataclass
class ContactWalks:
    """The trials of one (set, subsurface composition): per decided trial the lateral displacement
    (A, x and y) and the time to reach the escape layer (s, box clock)."""
    subsurface_fraction: float
    supersaturation: float
    displacement_A: np.ndarray     # (trials, 2): where it left the interface layers, from its start
    excursion_A: np.ndarray        # (trials, 4): its farthest reach along +x, -x, +y, -y before it left
    time_s: np.ndarray             # (trials,)
    undecided: int
    events: int
    l1_solute_fraction: float      # L1's solute per site at the starts (mean over trials)
    l1_solute_fraction_se: float   # its standard error over the trials
    hop_prefactor_Hz: float

    @property
    def trials(self) -> int:
        return int(self.time_s.size)


def walks(settings, supersaturation: float, trials: int = 40, subsurface_fraction: float | None = None,
          max_events: int = 2_000_000, first_seed: int = 1, cells=CONTACT_CELLS,
          escape_layer: int = edge.ESCAPE_LAYER) -> ContactWalks:
    """``trials`` independent walks (module docstring), seeds first_seed, ...; a trial still in the
    interface layers after ``max_events`` is counted undecided and left out.  ``cells``, ``escape_layer``
    (0 = L1): the numerics' checks (benchmarks/contact_vacancy.py)."""
    from kmc.model import box_hop_prefactor_Hz
    from kmc.simulation import Simulation
    st = contact_settings(settings, supersaturation, subsurface_fraction, cells)
    x_sub = float(st.composition.solute_fraction)
    nx, ny = int(st.lattice.cells[0]), int(st.lattice.cells[1])
    spl = nx * ny
    a = float(st.lattice.lattice_constant_A)
    box = np.array([nx * a, ny * a])
    escape_site = escape_layer * spl
    moves, reach, times, l1x = [], [], [], []
    undecided = events = 0
    xy = None
    for k in range(trials):
        seed = first_seed + k
        s = st.replaced(run={"seed": seed})
        occ, site = placed_occupancy(s, seed)
        sim = Simulation(s, occ)
        if xy is None:
            xy = sim.lattice.positions_A[:, :2].copy()
        l1x.append(steady.l1_solute_fraction(occ, spl))
        here, shift = site, np.zeros(2)
        far = np.zeros(4)                      # +x, -x, +y, -y
        decided = False
        while sim.events < max_events:
            sim.step(CHECK_EVENTS)
            vac = sim.vacancy_sites()
            if vac.size == 0:      # the walker left through the bottom (the reservoir took it): escaped
                decided = True
                break
            d = xy[vac] - xy[here]
            d -= box * np.round(d / box)
            j = int(np.argmin((d * d).sum(axis=1)))
            shift += d[j]
            far = np.maximum(far, (shift[0], -shift[0], shift[1], -shift[1]))
            here = int(vac[j])
            if here >= escape_site:
                decided = True
                break
        events += sim.events
        if not decided:
            undecided += 1
            continue
        moves.append(shift.copy())
        reach.append(far)
        times.append(sim.time_s)
    return ContactWalks(x_sub, float(supersaturation), np.array(moves).reshape(-1, 2), np.array(reach).reshape(-1, 4),
                        np.array(times), undecided,
                        events, float(np.mean(l1x)) if l1x else math.nan,
                        float(np.std(l1x, ddof=1) / math.sqrt(len(l1x))) if len(l1x) > 1 else math.nan,
                        box_hop_prefactor_Hz(st))


def default_fractions(bulk_fraction: float) -> tuple[float, ...]:
    """The subsurface compositions measured by default: the pure host (the reference a contact sink
    calibrated on Li is carried from), and for an alloy its bulk x and the Mg-rich contacts stripping
    leaves: 3 x (the quasi-steady subsurface after 4 mAh/cm^2 in full contact, docs/alloy.md section 1)
    and 8 x (under the last islands at 20-50 MPa, docs/alloy.md section 4), each at most 0.7 (bcc Li-Mg's
    limit, Aspinall et al. 2024's phase diagram)."""
    if bulk_fraction <= 0:
        return (0.0,)
    return tuple(sorted({0.0, *(min(round(k * bulk_fraction, 6), 0.7) for k in (1, 3, 8))}))


def records(settings, supersaturation: float, trials: int, fractions=None) -> list[dict]:
    """The [contact_vacancy] records (kmc.physics.contact_vacancy.RECORDS) per subsurface composition, as
    kmc rates' record dicts with the row's ``subsurface_solute_fraction``: walks' lambda and escape time
    with their standard errors, L1's solute per site at the starts (error: se over the trials)."""
    from kmc.physics.contact_vacancy import collection_length, mean_with_error
    out = []
    box = "x".join(map(str, CONTACT_CELLS))
    for x in (default_fractions(settings.composition.solute_fraction) if fractions is None else fractions):
        if x > 0 and not settings.composition.solute_fraction > 0:
            raise ValueError(f"subsurface solute fraction {x:g} for a set without a solute; allowed: 0")
        w = walks(settings, supersaturation, trials, subsurface_fraction=x)
        lam_A, lam_se = collection_length(w.excursion_A)
        t, t_se = mean_with_error(w.time_s)
        where = (f"{w.trials} stripped vacancies (one L1 host site emptied, uniform) followed at acceleration 1 on the "
                 f"steady interface at S on a {box}-cell box with its bulk at {x:g} solute and L1 in segregation "
                 f"equilibrium with it, until each reached layer {edge.ESCAPE_LAYER + 1} ({w.undecided} undecided, "
                 f"{w.events} events; kmc.interface_rates.contact)")
        common = dict(subsurface_solute_fraction=x, trials=w.trials, undecided=w.undecided)
        out += [dict(name="contact_collection_length_nm", value=lam_A / 10, unit="nm", error=lam_se / 10,
                     method=f"mean farthest lateral reach along one direction (+x, -x, +y, -y averaged per walk): "
                            f"{where}; error: se over the walks", **common),
                dict(name="contact_escape_time_s", value=t, unit="s", error=t_se,
                     method=f"mean time to leave the interface layers: {where}; the box's clock (hops at "
                            f"{w.hop_prefactor_Hz:.4g} Hz); error: se over the trials",
                     hop_prefactor_Hz=w.hop_prefactor_Hz, **common),
                dict(name="contact_l1_solute_fraction", value=w.l1_solute_fraction, unit="1",
                     error=w.l1_solute_fraction_se,
                     method=f"L1's solute per site at the starts, mean over the trials: {where}; error: se over "
                            "the trials", **common)]
    return out
