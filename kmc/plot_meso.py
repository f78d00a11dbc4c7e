"""The figures of a `kmc meso` run (docs/meso.md, docs/mechanics.md, docs/area.md): its contact and
overpotential against stripped charge, a resolved run's gap sections, and an area run's plan view of the
contact beside its sections, an alloy run's Mg field.  kmc.plot dispatches here for a meso file (``--kind contact``,
``--kind cross-section``, ``--kind plan``, ``--kind solute-profile``)."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from kmc.physics.electrochemistry import overpotential_mV
from kmc.plot_common import (CHARGE_LABEL, ELECTROLYTE_COLOR, OVERPOTENTIAL_COLOR, PANEL_WIDTH_IN, RUN_COLORS,
                             _chosen_indices, _conditions_text, _new_figure, _title, overpotential_top_mV,
                             say_nothing_to_show)
from kmc.runfile import RunFileError, open_run_file
from kmc.runfile.readers import meso_interface
from kmc.species import COLOURS, HOST, SOLUTE, VACANCY


def meso_contact(path, exchange_current_mA_cm2: float | None = None) -> Figure:
    """A `kmc meso` run (docs/meso.md): contact fraction and overpotential against stripped charge,
    and the voids per 100 um of section.  The overpotential is the run's own observable, or from
    its contact with the given exchange current (the same rule, kmc.physics.electrochemistry)."""
    with open_run_file(path) as f:
        par = f.parameters()
        obs = {name: f.series(name) for name in
               ("stripped_charge", "contact_fraction", "overpotential", "section_voids_per_um")}
    n = min(v.size for v in obs.values())          # a file being written: what all hold
    obs = {name: v[:n] for name, v in obs.items()}
    i0 = par["conditions.exchange_current_mA_cm2"]
    eta = obs["overpotential"]
    if exchange_current_mA_cm2 is not None:
        i0 = exchange_current_mA_cm2
        eta = overpotential_mV(par["conditions.current_density_mA_cm2"], obs["contact_fraction"], i0,
                               par["conditions.temperature_K"])
    fig = _new_figure(2 * PANEL_WIDTH_IN, 3.6)
    left, right = fig.subplots(1, 2)
    charge = obs["stripped_charge"]
    contact_line, = left.plot(charge, obs["contact_fraction"], color=COLOURS[VACANCY], lw=2, label="contact fraction")
    left.set_ylabel("contact fraction")
    left.set_ylim(0, 1.05)
    eta_axis = left.twinx()
    eta_line, = eta_axis.plot(charge, eta, color=OVERPOTENTIAL_COLOR, lw=1.5, ls="--",
                              label=f"overpotential, i₀ = {i0:g} mA/cm²")
    eta_axis.set_ylabel("overpotential (mV)", color=OVERPOTENTIAL_COLOR)
    eta_axis.tick_params(axis="y", colors=OVERPOTENTIAL_COLOR)
    eta_axis.set_ylim(0, overpotential_top_mV(eta))
    left.legend(handles=[contact_line, eta_line], loc="lower left", fontsize="small")
    if n and obs["contact_fraction"][0] < 1:   # the press leaves the face's open pores: contact below 1 at 0 charge
        left.annotate(f"as pressed: {obs['contact_fraction'][0]:.3g}\n(the face's open pores)",
                      (0, obs["contact_fraction"][0]), xytext=(6, 4), textcoords="offset points", fontsize="x-small",
                      color="0.3")
    right.plot(charge, 100 * obs["section_voids_per_um"], color=RUN_COLORS[0], lw=1.5)
    right.set_ylabel("voids per 100 µm of section")
    if not np.any(obs["section_voids_per_um"] > 0):
        say_nothing_to_show(right, "no void met the sections\nat any stored charge")
    for ax in (left, right):
        ax.set_xlabel(CHARGE_LABEL)
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
    fig.suptitle(f"kmc meso, {_title(par)}: {par['meso.width_um']:g} µm {_shape(par)}\n{_conditions_text(par)}",
                 fontsize="medium")
    return fig


def _shape(par: dict) -> str:
    """What a meso run's width measures: the gap model's section or area, the disc model's square
    (kmc.runfile.readers.meso_interface)."""
    interface = meso_interface(par)
    return "square" if interface == "disc" else interface


GAP_AXIS_LABEL = "height above the electrolyte (µm)"


def _height_tick_um(top_um: float) -> float:
    """The largest 1, 2 or 5 x 10^k at or below 0.8 of ``top_um``: the height axis's one tick above 0."""
    target = 0.8 * top_um
    base = 10 ** math.floor(math.log10(target))
    return max(m * base for m in (1, 2, 5) if m * base <= target)


def draw_gap_section(ax, x_um, gap_um, top_um: float, charge_mAh_cm2: float) -> None:
    """One stored section on ``ax``: the electrolyte below 0, the metal above the gap, the voids
    white between them, labelled with its charge; its height axis in µm (0 at the electrolyte, one tick
    above; the figure labels it GAP_AXIS_LABEL), to ``top_um``."""
    ax.set_ylim(-0.4 * top_um, top_um)
    ax.set_yticks([0, _height_tick_um(top_um)])
    ax.tick_params(axis="y", labelsize="x-small", length=2, pad=1)
    ax.fill_between(x_um, -0.4 * top_um, 0, color=ELECTROLYTE_COLOR, step="mid", lw=0)
    ax.fill_between(x_um, gap_um, top_um, color=COLOURS[HOST], step="mid", lw=0)
    label = f"{charge_mAh_cm2:.3g} mAh/cm²" if charge_mAh_cm2 > 0 else "assembled, before stripping"
    if not np.any(np.asarray(gap_um) > 0):
        label += ": no void, full contact"     # an all-metal row says so rather than look like a missing one
    ax.text(0.995, 0.8, label, transform=ax.transAxes, fontsize="small", ha="right",
            bbox=dict(facecolor="white", edgecolor="none", pad=1))


# the rows of an area's gap field drawn as its SEM-like sections (--kind cross-section): this many,
# evenly across the depth (the run's own statistics use meso.section_lines of them)
AREA_SECTION_ROWS = 3


def _stored_gaps(path):
    """(parameters, charges, gap fields, cell_um) of a resolved run, or a clear error for a file
    without them."""
    with open_run_file(path) as f:
        par = f.parameters()
        stored = f.gap_sections()
    if stored is None:
        raise RunFileError(f"{path} holds no gap sections (a disc-model meso run, meso.interface = 'disc', or one "
                           "that has not stored one yet); allowed: a run of the gap model (meso.interface = 'section' or 'area')")
    return (par, *stored)


def area_section_rows(depth_cells: int, lines: int = AREA_SECTION_ROWS) -> np.ndarray:
    """The rows (cells across the depth) an area's drawn sections cut: ``lines`` evenly spaced."""
    lines = min(lines, depth_cells)
    return np.unique(((np.arange(lines) + 0.5) * depth_cells / lines).astype(int))


def meso_area_section(path, frames=None, panels: int | None = None) -> Figure:
    """An area run's sections (docs/area.md): at each chosen stored charge (default all), the gap along
    AREA_SECTION_ROWS rows across the depth, one row of panels per charge, as seed 004's SEM
    cross-sections are cut through the interface."""
    par, charges, gaps, cell_um = _stored_gaps(path)
    rows = _chosen_indices(len(charges), frames, panels, list(range(len(charges))), path,
                           items="gap sections (kmc meso: one per stored charge, no lattice frames)")
    lines = area_section_rows(gaps.shape[1])
    top_um = max(float(gaps.max()), 0.5) * 1.3
    x_um = (np.arange(gaps.shape[2]) + 0.5) * cell_um
    fig = _new_figure(2 * PANEL_WIDTH_IN, 0.7 * len(rows) * len(lines) + 1.4)
    axes = fig.subplots(len(rows) * len(lines), 1, sharex=True, squeeze=False)[:, 0]
    for k, row in enumerate(rows):
        for j, line in enumerate(lines):
            ax = axes[k * len(lines) + j]
            draw_gap_section(ax, x_um, gaps[row, line], top_um, charges[row])
            ax.text(0.005, 0.8, f"z = {(line + 0.5) * cell_um:.3g} µm", transform=ax.transAxes, fontsize="small",
                    bbox=dict(facecolor="white", edgecolor="none", pad=1))
    axes[-1].set_xlabel("position along the section (µm)")
    axes[-1].set_xlim(0, gaps.shape[2] * cell_um)
    fig.supylabel(GAP_AXIS_LABEL, fontsize="small")
    area = f"{par['meso.width_um']:g} x {par['meso.depth_um']:g} µm"
    fig.suptitle(f"kmc meso, {_title(par)}: sections of a {area} area\n"
                 f"{_conditions_text(par)}\nmetal, voids (white) and electrolyte at {len(lines)} depths z; height to "
                 f"{top_um:.2g} µm (exaggerated)", fontsize="medium")
    return fig


def meso_plan(path, frames=None, panels: int | None = None) -> Figure:
    """An area run's plan view (docs/area.md): the contact seen from the electrolyte at each chosen stored
    charge (default the last), voids shaded by their gap, the rows --kind cross-section draws marked,
    and beside each plan the section through its middle row."""
    par, charges, gaps, cell_um = _stored_gaps(path)
    if gaps.ndim != 3:
        raise RunFileError(f"{path} is a section (meso.interface = 'section'): a line has no plan view; allowed: "
                           "--kind cross-section, or an area run (kmc meso ... --set meso.interface=area --set meso.depth_um=40)")
    rows = _chosen_indices(len(charges), frames, panels, [-1], path,
                           items="gap sections (kmc meso: one per stored charge, no lattice frames)")
    depth, width = gaps.shape[1] * cell_um, gaps.shape[2] * cell_um
    lines = area_section_rows(gaps.shape[1])
    top_um = max(float(gaps.max()), 0.5)
    plan_h = max(2 * PANEL_WIDTH_IN * depth / width, 0.8)
    fig = _new_figure(2 * PANEL_WIDTH_IN, (plan_h + 1.2) * len(rows) + 1.0)
    axes = fig.subplots(2 * len(rows), 1, squeeze=False, height_ratios=[plan_h, 0.9] * len(rows))[:, 0]
    for k, row in enumerate(rows):
        plan, section = axes[2 * k], axes[2 * k + 1]
        gap = gaps[row]
        shade = np.ma.masked_where(gap <= 0, gap)
        plan.imshow(np.zeros(gap.shape), extent=(0, width, 0, depth), origin="lower", cmap="gray", vmin=-1, vmax=1,
                    interpolation="nearest")
        image = plan.imshow(shade, extent=(0, width, 0, depth), origin="lower", cmap="Blues", vmin=0, vmax=top_um,
                            interpolation="nearest")
        for line in lines:
            plan.axhline((line + 0.5) * cell_um, color=OVERPOTENTIAL_COLOR, lw=0.6, ls=":")
        plan.set_aspect("equal")
        plan.set_ylabel("z (µm)")
        plan.set_title(f"{charges[row]:.3g} mAh/cm²: contact {100 * float((gap <= 0).mean()):.1f} % of the area",
                       fontsize="medium")
        middle = lines[len(lines) // 2]
        draw_gap_section(section, (np.arange(gap.shape[1]) + 0.5) * cell_um, gap[middle], 1.3 * top_um, charges[row])
        section.set_xlim(0, width)
        section.set_xlabel(f"x (µm); the section at z = {(middle + 0.5) * cell_um:.3g} µm")
        section.set_ylabel("µm", fontsize="x-small")
    fig.colorbar(image, ax=list(axes[::2]), label="gap (µm)", shrink=0.8)
    fig.suptitle(f"kmc meso, {_title(par)}\n{width:g} x {depth:g} µm area seen from the electrolyte\n(contact grey, "
                 f"voids blue), {_conditions_text(par)}", fontsize="medium")
    return fig


def meso_section(path, frames=None, panels: int | None = None) -> Figure:
    """A resolved `kmc meso` run's section (docs/mechanics.md): metal, voids and electrolyte along
    the section at the charges the file stored (/sections; ``frames`` index them, ``panels`` picks
    that many evenly, default all), one row per charge, height exaggerated: what seed 004's SEM
    cross-sections show.  An area run (meso.depth_um > 0): its sections at several depths
    (meso_area_section)."""
    par, charges, gaps, cell_um = _stored_gaps(path)
    if gaps.ndim == 3:
        return meso_area_section(path, frames, panels)
    rows = _chosen_indices(len(charges), frames, panels, list(range(len(charges))), path,
                           items="gap sections (kmc meso: one per stored charge, no lattice frames)")
    top_um = max(float(gaps.max()), 0.5) * 1.3
    x_um = (np.arange(gaps.shape[1]) + 0.5) * cell_um
    fig = _new_figure(2 * PANEL_WIDTH_IN, 0.9 * len(rows) + 1.2)
    axes = fig.subplots(len(rows), 1, sharex=True, squeeze=False)[:, 0]
    for ax, row in zip(axes, rows):
        draw_gap_section(ax, x_um, gaps[row], top_um, charges[row])
    axes[-1].set_xlabel("position along the section (µm)")
    axes[-1].set_xlim(0, gaps.shape[1] * cell_um)
    fig.supylabel(GAP_AXIS_LABEL, fontsize="small")
    fig.suptitle(f"kmc meso, {_title(par)}: {par['meso.width_um']:g} µm section\n{_conditions_text(par)}\n"
                 f"metal, voids (white) and electrolyte; height to {top_um:.2g} µm (exaggerated)", fontsize="medium")
    return fig


def meso_solute(path, frames=None) -> Figure:
    """An alloy run's Mg field (docs/alloy.md section 8): the solute fraction just below the contact, x_s, stored
    beside the gap at each stored charge (/sections/subsurface_solute_fraction).  A section: x_s along it at the
    chosen charges (default all; later ones darker), the cells under a void at that charge marked, the bulk's x
    dashed.  An area: a map of x_s at each chosen charge (default the last), voids hatched."""
    with open_run_file(path) as f:
        if f.gap_sections() is None:
            # a disc-model meso file: no lattice frames (the kMC's profile) and no Mg field (the gap model's)
            raise RunFileError(f"{path} is a kmc meso file of the disc model (meso.interface = 'disc'): it holds no "
                               "lattice frames and no Mg field; allowed for --kind solute-profile: a kmc run file, or "
                               "an alloy run of the gap model (meso.interface = 'section' or 'area')")
    par, charges, gaps, cell_um = _stored_gaps(path)
    with open_run_file(path) as f:
        stored = f.section_field("subsurface_solute_fraction")
        solute = f.parameters().get("species.solute", "solute")
    if stored is None:
        raise RunFileError(f"{path} holds no Mg field (no solute, or meso.solute_field = 'off'); allowed: an alloy run "
                           "of the gap model, e.g. kmc meso params/limg_li2s.toml")
    _, xs, _ = stored
    bulk = float(par.get("composition.solute_fraction", np.nan))
    if gaps.ndim == 3:
        rows = _chosen_indices(len(charges), frames, None, [-1], path, items="Mg fields (one per stored charge)")
        depth, width = gaps.shape[1] * cell_um, gaps.shape[2] * cell_um
        top = max(float(xs[rows].max()), bulk * 1.01)
        fig = _new_figure(2 * PANEL_WIDTH_IN, max(2 * PANEL_WIDTH_IN * depth / width, 0.8) * len(rows) + 1.4)
        axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
        for ax, row in zip(axes, rows):
            image = ax.imshow(xs[row], extent=(0, width, 0, depth), origin="lower", cmap="Oranges", vmin=bulk, vmax=top,
                              interpolation="nearest")
            ax.contourf((np.arange(gaps.shape[2]) + 0.5) * cell_um, (np.arange(gaps.shape[1]) + 0.5) * cell_um,
                        (gaps[row] > 0).astype(float), levels=[0.5, 1.5], colors="none", hatches=["////"])
            ax.set_aspect("equal")
            ax.set_ylabel("z (µm)")
            ax.set_title(f"{charges[row]:.3g} mAh/cm²: {solute} {xs[row][gaps[row] <= 0].mean():.3f} (mean below the "
                         f"contact), {xs[row].max():.3f} (max); voids hatched", fontsize="small")
        axes[-1].set_xlabel("x (µm)")
        fig.colorbar(image, ax=list(axes), label=f"{solute} fraction just below the contact", shrink=0.8)
    else:
        rows = _chosen_indices(len(charges), frames, None, list(range(len(charges))), path,
                               items="Mg fields (one per stored charge)")
        fig = _new_figure(2 * PANEL_WIDTH_IN, 4.2)
        ax = fig.subplots()
        x_um = (np.arange(gaps.shape[1]) + 0.5) * cell_um
        lightness = np.linspace(0.6, 0.0, len(rows)) if len(rows) > 1 else [0.0]
        rgb = np.array(to_rgba(COLOURS[SOLUTE])[:3])
        for row, light in zip(rows, lightness):
            colour = rgb + (1 - rgb) * light
            ax.plot(x_um, xs[row], color=colour, lw=1.2, label=f"{charges[row]:.3g} mAh/cm²")
            under = np.ma.masked_where(gaps[row] <= 0, xs[row])
            ax.plot(x_um, under, color=colour, lw=3, alpha=0.5)
        ax.axhline(bulk, color="0.3", ls="--", lw=1, label=f"bulk ({bulk:g})")
        ax.set_xlim(0, gaps.shape[1] * cell_um)
        ax.set_xlabel("position along the section (µm)")
        ax.set_ylabel(f"{solute} fraction just below the contact")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", ncol=2, title="stored charge (thick: under a void)")
    fig.suptitle(f"kmc meso, {_title(par)}: {solute} just below the contact\n{_conditions_text(par)}", fontsize="medium")
    return fig
