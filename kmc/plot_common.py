"""Pieces every figure of kmc.plot and kmc.plot_meso shares: colours, the figure on its own canvas,
the title and conditions lines, number formats and the choice of stored frames or sections."""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kmc.export import resolve_frames
from kmc.runfile import RunFileError

ELECTROLYTE_COLOR = "#7fb38d"
OVERPOTENTIAL_COLOR = "#8e44ad"
RUN_COLORS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")
CHARGE_LABEL = "stripped charge (mAh/cm²)"
PANEL_WIDTH_IN = 3.4


def _new_figure(width_in: float, height_in: float) -> Figure:
    """A figure on its own Agg canvas (no display, no pyplot state)."""
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _sci_text(value: float, mantissa_format: str = ".1f") -> str:
    """Mathtext like 1.2×10⁻⁴ for labels and titles."""
    if value == 0:
        return "0"
    exponent = int(np.floor(np.log10(abs(value))))
    return rf"${value / 10 ** exponent:{mantissa_format}}\times10^{{{exponent}}}$"


def _charge_text(charge_mAh_cm2: float) -> str:
    return f"{_sci_text(charge_mAh_cm2)} mAh/cm²"


def _title(par: dict) -> str:
    return par["model.description"] or par["model.name"]


def _conditions_text(par: dict) -> str:
    text = (f"{par['conditions.current_density_mA_cm2']:g} mA/cm², {par['conditions.stack_pressure_MPa']:g} MPa, "
            f"{par['conditions.temperature_K']:g} K")
    if par.get("kind") == "meso":    # a meso run has no acceleration (the cell-scale models run at the cell's rates)
        return text
    return text + f", acceleration {_sci_text(par['run.acceleration'], 'g')}"


def say_nothing_to_show(ax, text: str) -> None:
    """Say in the middle of an axes that it has nothing to show (an empty panel says why)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize="small", color="0.3",
            bbox=dict(facecolor="white", edgecolor="0.7", pad=3))


def overpotential_top_mV(eta_mV) -> float:
    """The top of an overpotential axis that puts the curve's highest point at two thirds of its height:
    a constant overpotential (full contact) then draws as a line inside the frame, apart from a contact
    curve at 1 along the frame's top edge."""
    finite = np.asarray(eta_mV, dtype=float)
    finite = finite[np.isfinite(finite)]
    return 1.5 * float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def _chosen_indices(n_frames: int, frames, panels, default, path, items: str = "frames") -> list[int]:
    """Indices of ``n_frames`` stored items (a kMC run's frames, a meso run's gap sections: ``items``
    names them in a refusal) from explicit numbers, or ``panels`` evenly spaced over them, or the
    default."""
    if frames is not None and panels is not None:
        raise RunFileError("--frames and --panels both given; allowed: one of them")
    if panels is not None:
        if not 1 <= panels <= n_frames:
            raise RunFileError(f"--panels {panels} for {path}, which holds {n_frames} {items}; allowed: 1..{n_frames}")
        return list(np.unique(np.round(np.linspace(0, n_frames - 1, panels)).astype(int)))
    for frame in frames or ():
        if not -n_frames <= frame < n_frames:
            raise RunFileError(f"--frames {frame} is out of range for {path}, which holds {n_frames} {items}; "
                               f"allowed: {-n_frames}..{n_frames - 1}")
    chosen = resolve_frames(default if frames is None else frames, n_frames, path)
    return list(dict.fromkeys(chosen))


COMPARE_DASHES = ("-", (0, (5, 3)), (0, (1, 2)), "-.")
COMPARE_WIDTHS = (3.2, 1.8, 1.4, 1.2)
# The smallest span of a comparison's value axis, relative to the largest |value|: a change smaller than
# this (one site of a kMC box's contact layer is 1/400 of it) is drawn as the small change it is.
MIN_RELATIVE_SPAN = 0.05
FRACTIONS = ("contact_fraction",)    # observables in [0, 1]: drawn on the whole of it


def unmagnified_limits(values, quantity: str) -> tuple[float, float]:
    """The value axis of a comparison: [0, 1] for a fraction (FRACTIONS); otherwise the data's range,
    widened about its middle to at least MIN_RELATIVE_SPAN of the largest |value|."""
    if quantity in FRACTIONS:
        return 0.0, 1.02
    finite = np.asarray(values, float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    span = max(high - low, MIN_RELATIVE_SPAN * max(abs(low), abs(high)), 1e-300)
    middle, pad = (low + high) / 2, 0.55 * span
    return middle - pad, middle + pad
