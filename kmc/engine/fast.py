"""Fast reversible events: when a hop type's rate constants are scaled, and by how much (run.fast_event_scaling).

The scheme of Dybeck, Plaisance & Neurock (J. Chem. Theory Comput. 13, 1525 (2017)), per reaction channel:
the channels are the hop types of kmc.rate_rules.fast (a hop and its reverse share one), the engine counts
each type's executions down and up (RateModel.fast_counts), and every ``window_events`` events this module
reads the counts of the window and sets each type's factor (RateModel.fast_scale, <= 1, both directions
alike):

* a type executed at least ``min_executions`` times whose two directions balance within ``tolerance``
  (|down - up| <= tolerance (down + up)) is quasi-equilibrated; its factor is set so that it would have run
  ``separation`` times as often as the slowest channel that is not (the fewest executions of any executed
  type or macroscopic event class that did not pass the test: stripping, the exits and entries at the box's
  bottom, creep, exchange), the change per window bounded by ``max_step`` either way, never above 1;
* a type executed that often that does not balance has fallen out of equilibrium: its factor returns to 1;
* a scaled type executed fewer times cannot be tested: its factor is raised by ``max_step`` (towards 1).

Scaling both directions of a type alike keeps every hop's rate ratio to its reverse (detailed balance, the
equilibrium distribution); what it changes is how often the fast manifold is sampled per slow event, which
Dybeck et al. keep above ``separation``: the parameters are numerics, shown not to matter for the
observables in docs/pore_edge.md (benchmarks/fast_event_bias.py).  No numba: plain numpy, once per window.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.engine.state import EV_CREEP, EV_ENTER, EV_EXCHANGE, EV_EXIT, EV_STRIP, EVENT_CLASSES
from kmc.rate_rules import FAST_MAX_LAYERS, LAYER_INTERFACE

# The macroscopic classes that are channels of their own (never scaled): each counts as a non-equilibrated
# channel when it ran in the window.  The hop classes are the types; the null event is no process.
SLOW_CLASSES = (EV_STRIP, EV_EXIT, EV_ENTER, EV_CREEP, EV_EXCHANGE)


@dataclass(frozen=True)
class FastEventScaling:
    """The scheme's parameters (numerics; defaults those of the shipped runs, docs/pore_edge.md)."""
    window_events: int = 20_000
    min_executions: int = 100      # N_e: fewer executions in a window cannot test a type's balance
    tolerance: float = 0.2         # delta: |down - up| / (down + up) of a quasi-equilibrated type
    separation: float = 200.0      # a scaled type's executions per execution of the slowest other channel
    max_step: float = 10.0         # a factor changes by at most this per window

    def update(self, counts: np.ndarray, class_counts: np.ndarray, scale: np.ndarray) -> bool:
        """Set ``scale`` (in place) from one window's ``counts`` ((types, 2): down, up) and the macroscopic
        classes' executions in it (``class_counts``, by kmc.engine.state's EV_* slots); True if any factor
        changed."""
        down, up = counts[:, 0].astype(np.float64), counts[:, 1].astype(np.float64)
        n = down + up
        tested = n >= self.min_executions
        balanced = tested & (np.abs(down - up) <= self.tolerance * n)
        slow = [n[(n > 0) & ~balanced].min()] if ((n > 0) & ~balanced).any() else []
        slow += [float(class_counts[c]) for c in SLOW_CLASSES if class_counts[c] > 0]
        n_slow = min(slow) if slow else 1.0
        new = scale.copy()
        step = np.clip(self.separation * n_slow / np.maximum(n, 1.0), 1.0 / self.max_step, self.max_step)
        new[balanced] = np.minimum(1.0, scale[balanced] * step[balanced])
        new[tested & ~balanced] = 1.0
        raised = ~tested & (scale < 1.0)
        new[raised] = np.minimum(1.0, scale[raised] * self.max_step)
        changed = bool((new != scale).any())
        scale[:] = new
        return changed


def typed_layers(settings, model, rates, layer_kind: np.ndarray) -> int:
    """The layers whose hops are typed (RateModel.fast_layers): the leading layers of the general rate rule
    (never the bulk table's, nor the deep box's: kmc.model.EventRates), at most FAST_MAX_LAYERS; 0 with
    run.fast_event_scaling off or in a box without a pore's mouth (EnergyModel.l1_open: the flicker the scheme
    is for, and where its bias was measured; the perfect interface runs exact)."""
    if not (settings.run.fast_event_scaling and model.has_interface and model.l1_open is not None
            and model.l1_open.any()):
        return 0
    general = np.asarray(layer_kind) == LAYER_INTERFACE
    n = int(np.argmin(general)) if not general.all() else general.size
    if rates.deep_hop_factor != 1.0:
        n = min(n, int(rates.deep_first_layer))
    return min(n, FAST_MAX_LAYERS)


def start(sim, rate_model):
    """kmc.simulation.Simulation ``sim``'s RateModel with its typed layers (typed_layers, and the layers' neighbour
    counts the types read), after giving ``sim`` the scheme's state: its rule (fast_scaling; None with the key
    off), the types' factors and counts (RateModel.fast_scale, fast_counts), the window's start (fast_window:
    its first event and the macroscopic classes' counts then) and the windows closed and those that changed a
    factor."""
    n = typed_layers(sim.settings, sim.model, sim.rates, rate_model.layer_kind)
    if n > 0:
        rate_model = rate_model._replace(fast_layers=n, layer_neighbours=sim.lattice.neighbours_per_layer())
    sim.fast_scaling = FastEventScaling() if n > 0 else None
    sim.fast_scale, sim.fast_counts = rate_model.fast_scale, rate_model.fast_counts
    sim.fast_window, sim.fast_windows = np.zeros(1 + len(EVENT_CLASSES), np.int64), np.zeros(2, np.int64)
    return rate_model


def events_left(sim) -> int:
    """Events left in the window of kmc.simulation.Simulation ``sim`` (its fast_scaling, fast_window)."""
    return int(sim.fast_window[0]) + sim.fast_scaling.window_events - sim.events


def close_window(sim) -> bool:
    """Close ``sim``'s window: the factors from its counts (FastEventScaling.update; True if one changed, and
    the caller recomputes the rates), the counts cleared and a new window started (its first event, the
    macroscopic classes' counts then)."""
    n_classes = sim.fast_window.size - 1
    changed = sim.fast_scaling.update(sim.fast_counts, sim.counts[:n_classes] - sim.fast_window[1:], sim.fast_scale)
    sim.fast_windows += (1, int(changed))
    sim.fast_counts[:] = 0
    sim.fast_window[0] = sim.events
    sim.fast_window[1:] = sim.counts[:n_classes]
    return changed


def record(sim) -> dict:
    """What the scaling did in kmc.simulation.Simulation ``sim`` (the run file's /run fast_event_*): windows closed
    and those that changed a factor, types scaled now, the smallest factor; {} with the key off."""
    if sim.fast_scaling is None:
        return {}
    return {"windows": int(sim.fast_windows[0]), "windows_changed": int(sim.fast_windows[1]),
            "types_scaled": int((sim.fast_scale < 1.0).sum()), "smallest_factor": float(sim.fast_scale.min())}
