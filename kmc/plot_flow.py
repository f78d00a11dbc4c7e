"""The deformation-mechanism map of a parameter set's metal (kmc.mechanisms; ``kmc params mechanisms``):
flow stress against feature size, the dominant mechanism of an embedded feature at the contact shaded,
contours of its strain rate, and the stress at which each size keeps pace with stripping."""
from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from kmc.mechanisms import MechanismMap
from kmc.physics.flow import EMBEDDED, FREE_STANDING, MECHANISMS
from kmc.plot_common import _new_figure, _sci_text

MECHANISM_COLORS = ("#cfe2f3", "#9fc5e8", "#b4a7d6", "#f9cb9c", "#f6b26b")
SIZE_RANGE_um = (0.02, 200.0)
STRESS_RANGE_MPa = (0.01, 1000.0)
GRID_POINTS = 241


def mechanism_map(mmap: MechanismMap):
    """The map as a Figure (its own canvas; the caller saves it)."""
    law, kappa, v = mmap.law, mmap.contact_sink_rate_um_s, mmap.recession_velocity_um_s
    sizes = np.logspace(*np.log10(SIZE_RANGE_um), GRID_POINTS)
    stresses = np.logspace(*np.log10(STRESS_RANGE_MPa), GRID_POINTS)
    log_rate, dominant = mmap.field(sizes, stresses)
    fig = _new_figure(8.6, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    ax.pcolormesh(sizes, stresses, dominant, cmap=ListedColormap(MECHANISM_COLORS), vmin=-0.5, vmax=4.5,
                  shading="nearest", rasterized=True)
    levels = np.arange(-10, 5)
    lines = ax.contour(sizes, stresses, log_rate, levels=levels, colors="0.45", linewidths=0.5, linestyles="solid")
    ax.clabel(lines, fmt=lambda x: f"$10^{{{int(x)}}}$/s", fontsize=6, inline_spacing=2)
    keep = v / sizes
    curves = (
        (law.flow_stress_MPa(keep, sizes, kappa, EMBEDDED), dict(color="k", lw=2.0),
         "embedded, sinks: the contact (the law)"),
        (law.with_(strain_gradient_length_um=0.0, onset=None).flow_stress_MPa(keep, sizes, 0.0, EMBEDDED),
         dict(color="k", lw=1.0, ls="-."), "bulk law, no size effect"),
        (law.with_(onset=None).flow_stress_MPa(keep, sizes, kappa, EMBEDDED), dict(color="#674ea7", lw=1.0, ls="--"),
         "strain gradient alone (sources at every size)"),
        (law.flow_stress_MPa(keep, sizes, np.inf, EMBEDDED), dict(color="#b45f06", lw=1.2, ls=":"),
         "sinks as good as a free surface"),
        (law.flow_stress_MPa(keep, sizes, 0.0, FREE_STANDING), dict(color="#cc0000", lw=1.2, ls="--"),
         "free-standing pillar (Xu 2017)"),
    )
    for stress, style, _ in curves:
        ax.plot(sizes, stress, **style)
    ax.axhline(law.yield_stress_MPa, color="0.3", lw=0.6, ls=(0, (4, 3)))
    ax.set(xscale="log", yscale="log", xlim=SIZE_RANGE_um, ylim=STRESS_RANGE_MPa, xlabel="feature size d (µm)",
           ylabel="uniaxial (von Mises) stress (MPa)")
    head = mmap.header()
    ax.set_title(f"{head['parameter_set']}: Li's flow at {head['temperature_K']:g} K; lines: the stress that keeps "
                 f"pace with {head['current_mA_cm2']:g} mA/cm² (v/d)", fontsize="small")
    legend = [Patch(color=c, label=m) for c, m in zip(MECHANISM_COLORS, MECHANISMS)]
    legend += [Line2D([], [], **style, label=label) for _, style, label in curves]
    legend.append(Line2D([], [], color="0.3", lw=0.6, ls=(0, (4, 3)), label="yield (bulk)"))
    ax.legend(handles=legend, fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.9)
    kappa_text = "no contact sink" if kappa <= 0 else f"contact sink κ = {head['contact_sink_rate_m_s']:.3g} m/s"
    ax.text(1.01, 0.0, f"shaded: an embedded feature\nat the contact\n{kappa_text}\n"
                       f"l* = {head['strain_gradient_length_um']:g} µm\nD_v c_eq = "
                       f"{_sci_text(head['vacancy_transport_cm2_s'], '.2g')} cm²/s",
            transform=ax.transAxes, fontsize=7, va="bottom", ha="left")
    return fig
