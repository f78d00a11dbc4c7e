"""Vacancies at finite temperature (docs/vacancy_thermodynamics.md): the computed numbers, the model's Li tracer
self-diffusivity D*(T) for each set of inputs (the parameter sets' own first) beside the measured
data, the ratios, the cell's supersaturation each set gives, and the cell's S and the model's Mg
diffusivity at 25 and 60 C against the seed's DFT D_Mg.  Prints tables (markdown) and writes docs/self_diffusion.png.

    python benchmarks/vacancy_thermo.py [--no-figure]

Reads kmc/atomistic/vacancy_thermo.toml (CHGNet phonons; `python -m kmc.atomistic.vacancy_thermo
--toml` writes it from the cache), kmc/atomistic/vacancy_thermo_gpaw.json (the DFT check, if
present) and docs/data/measured_diffusion.toml.  Needs no potential: seconds.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kmc.atomistic import self_diffusion as sd  # noqa: E402

TEMPERATURES_K = np.linspace(250.0, 450.0, 41)
REPORT_K = (298.0, 333.0)


PARAMS = ("li_li2s", "limg_li2s")
CELL_TEMPERATURES_K = (298.15, 333.15)      # 25 and 60 C (seed 004's two temperatures)
DFT_D_MG_CM2_S = (2.06e-13, 2.42e-12)       # seed 004 Supp. Table 1 (DFT-computed), docs/physics.md section 2


def shipped() -> tuple:
    """(the vacancy inputs of params/li_li2s.toml, its cell S from kmc.model.cell_supersaturation):
    the reference every other set's S is rescaled from (sd.supersaturation)."""
    from kmc.config import load_config, resolve_params
    from kmc.model import cell_supersaturation
    settings = load_config(resolve_params("li_li2s"))
    bnd, kin = settings.boundary, settings.kinetics
    inputs = sd.VacancyInputs(f"(p) the parameter sets: DFT E_f, E_m; nu {kin.attempt_frequency_Hz:.3g} Hz; "
                              f"S_f = {bnd.vacancy_formation_entropy_kB} (stated, from the measured D0)",
                              bnd.vacancy_formation_eV, kin.kra_host_eV, kin.attempt_frequency_Hz,
                              bnd.vacancy_formation_entropy_kB, settings.lattice.lattice_constant_A)
    return inputs, cell_supersaturation(settings)


def cell_table() -> str:
    """The cell's S (kmc.model.cell_supersaturation: conditions.current_density_mA_cm2 to sinks at
    electrode.sink_distance_um) of each second-moment set at 25 and 60 C, with the shipped S_f and
    with S_f = 0 (phase 1), and the model's solute diffusivity at the equilibrium vacancy fraction
    (S = 1; CellTransport.solute_diffusivity_um2_s, correlation factor 1) beside the seed's DFT D_Mg."""
    from kmc.config import load_config, resolve_params
    from kmc.model import cell_transport
    lines = ["| set | T (K) | S_f (k_B) | c_eq | cell S | D_Mg at c_eq (cm2/s) | seed 004 DFT D_Mg | model/DFT |",
             "|---|---|---|---|---|---|---|---|"]
    for name in PARAMS:
        for T, dft in zip(CELL_TEMPERATURES_K, DFT_D_MG_CM2_S):
            for s_f in (None, 0.0):
                over = [f"conditions.temperature_K={T}"] + ([] if s_f is None else [f"boundary.vacancy_formation_entropy_kB={s_f}"])
                settings = load_config(resolve_params(name), over)
                cell = cell_transport(settings)
                d_mg = cell.solute_diffusivity_um2_s(1.0) * 1e-8 if cell.solute_fraction > 0 else None
                mg = f"{d_mg:.3g} | {dft:.3g} | {d_mg / dft:.3g}" if d_mg else "- | - | -"
                lines.append(f"| {name} | {T:.2f} | {settings.boundary.vacancy_formation_entropy_kB:g} | "
                             f"{cell.vacancy_equilibrium_fraction:.3g} | {cell.supersaturation:.4g} | {mg} |")
    return "\n".join(lines)


def computed_table(values) -> str:
    conv, err, cell = values["converged"], values["convergence_error"], values["converged_from_cell"]
    rows = [("E_f_eV", "vacancy formation energy (eV)", 0.50),
            ("E_m_host_eV", "host hop barrier (eV)", 0.055),
            ("S_f_classical_kB", "formation entropy, constant volume (k_B)", None),
            ("S_f_constant_pressure_kB", "formation entropy, constant pressure (k_B)", None),
            ("formation_volume_atomic_volumes", "formation volume (atomic volumes)", None),
            ("nu_host_THz", "Vineyard nu*, host hop (THz)", None),
            ("saddle_host_imaginary_THz", "host saddle's unstable mode (THz, imaginary)", None),
            ("nu_host_quantum_298K_THz", "host nu*, quantum harmonic at 298 K (THz)", None),
            ("E_m_mg_eV", "Mg hop barrier (eV)", 0.102),
            ("nu_mg_THz", "Vineyard nu*, Mg hop (THz)", None),
            ("E_m_near_mg_forward_eV", "host hop next to Mg, vacancy 1st -> 2nd shell of the Mg (eV)", 0.061),
            ("E_m_near_mg_backward_eV", "the same hop backward (eV)", 0.061),
            ("nu_near_mg_forward_THz", "Vineyard nu*, that hop forward (THz)", None),
            ("nu_near_mg_backward_THz", "Vineyard nu*, backward (THz)", None),
            ("mg_v1_minus_v2_eV", "Mg-vacancy 1st minus 2nd neighbour energy (eV)", "+0.03 (1st vs 3rd shell)")]
    lines = ["| quantity | CHGNet | change from the next smaller cell | cell (sites) | seed 004 DFT |",
             "|---|---|---|---|---|"]
    for key, label, seed in rows:
        if key not in conv:
            continue
        e = f"{err[key]:.3g}" if key in err else "(one cell)"
        seed_s = "" if seed is None else f"{seed}"
        lines.append(f"| {label} | {conv[key]:.4g} | {e} | {2 * int(cell[key]) ** 3} | {seed_s} |")
    return "\n".join(lines)


def per_cell_table(values) -> str:
    keys = ["E_f_eV", "E_m_host_eV", "S_f_classical_kB", "S_f_constant_pressure_kB", "V_times_dP_eV",
            "nu_host_THz", "saddle_host_imaginary_THz", "E_m_mg_eV", "nu_mg_THz"]
    cells = values["cells"]
    order = sorted(cells, key=lambda n: int(n[1:]))
    lines = ["| sites | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for n in order:
        c = cells[n]
        lines.append(f"| {2 * int(n[1:]) ** 3} | " + " | ".join(f"{c[k]:.4g}" if k in c else "" for k in keys) + " |")
    return "\n".join(lines)


def diffusion_table(sets, measured, today_S) -> str:
    lin = [m for m in measured if m.species == "Li" and m.host == "Li"]
    ref = lin[0]
    lines = ["| inputs | E_f + E_m (eV) | S_f (k_B) | nu* (Hz) | D0 (cm2/s) | D* 298 K (cm2/s) | D* 333 K | "
             f"ratio to {ref.key} at 298 K | at 333 K | Q_app 250-450 K (eV) | cell S (0.5 mA/cm2, 100 um) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    today = sets[0]   # the parameter sets' own inputs, whose S is today_S
    for s in sets:
        d = [float(s.tracer_diffusivity_cm2_s(T)) for T in REPORT_K]
        r = [d[i] / float(ref.diffusivity_cm2_s(T)) for i, T in enumerate(REPORT_K)]
        q = sd.apparent_activation_eV(TEMPERATURES_K, s.tracer_diffusivity_cm2_s(TEMPERATURES_K))
        S = sd.supersaturation(today_S, today, s, 298.0)
        lines.append(f"| {s.name} | {s.formation_eV + s.migration_eV:.3f} | {s.formation_entropy_kB:.2f} | "
                     f"{s.attempt_frequency_Hz:.3g} | {sd.arrhenius_prefactor_cm2_s(s):.3g} | {d[0]:.3g} | {d[1]:.3g} | "
                     f"{r[0]:.3g} | {r[1]:.3g} | {q:.3f} | {S:.3g} |")
    for m in lin:
        d = [float(m.diffusivity_cm2_s(T)) for T in REPORT_K]
        lines.append(f"| measured: {m.key} ({m.method.split(':')[0]}) | {m.Q_eV:.3f} | | | {m.D0_cm2_s:.3g} | "
                     f"{d[0]:.3g} | {d[1]:.3g} | 1 | 1 | {m.Q_eV:.3f} | "
                     f"{sd.supersaturation(today_S, today, measured_as_inputs(m), 298.0):.3g} |")
    return "\n".join(lines)


def measured_as_inputs(m) -> sd.VacancyInputs:
    """The measured D* read as a vacancy transport, D_v c_eq = D*/f (for the cell's S only)."""
    return sd.VacancyInputs(f"measured {m.key}", m.Q_eV, 0.0,
                            m.D0_cm2_s / (sd.CORRELATION_FACTOR * sd.LATTICE_CONSTANT_A ** 2 * sd.A2_TO_CM2))


DFT_CACHE = ROOT / "kmc" / "atomistic" / "vacancy_thermo_gpaw.json"


def dft_summary() -> dict:
    """The DFT check's stored summaries (benchmarks/vacancy_thermo_dft.py), {} if none."""
    if not DFT_CACHE.exists():
        return {}
    data = json.loads(DFT_CACHE.read_text())
    return {k.split("|", 1)[1]: v for k, v in data.items() if k.startswith("summary|")}


def dft_cells(summaries) -> dict:
    """{sites: summary} of the DFT check's perfect+vacancy cells (16 sites: key without n=)."""
    cells = {}
    for key, value in summaries.items():
        if key.split("|")[0] == "perfect+vacancy":
            repeat = int(key.split("|n=")[1]) if "|n=" in key else 2
            cells[2 * repeat ** 3] = value
    return dict(sorted(cells.items()))


def dft_inputs(summaries) -> list:
    """(v): the DFT energies with PBE's own constant-pressure S_f of each cell and nu = 1e13 Hz;
    (vi): the same with PBE's Vineyard nu* of the host hop (16 sites, the only cell whose saddle
    phonons were affordable) in place of 1e13 Hz, for the largest cell's S_f."""
    cells = dft_cells(summaries)
    out = [sd.VacancyInputs(f"(v) DFT E_f, E_m; PBE S_f ({n} sites), nu 1e13 Hz", 0.50, 0.055, 1e13,
                            s["S_f_constant_pressure_kB"]) for n, s in cells.items()]
    saddle = summaries.get("perfect+vacancy+saddle_host")
    if cells and saddle:
        n = max(cells)
        out.append(sd.VacancyInputs(f"(vi) DFT E_f, E_m; PBE S_f ({n} sites), PBE nu* (16 sites)", 0.50, 0.055,
                                    saddle["nu_host_THz"] * 1e12, cells[n]["S_f_constant_pressure_kB"]))
    return out


def dft_check(summaries) -> str:
    if not summaries:
        return "(no DFT check cached)"
    return "DFT check (PYTHONPATH=. /usr/bin/python3 benchmarks/vacancy_thermo_dft.py):\n" + json.dumps(summaries, indent=1)


def figure(sets, measured, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 5.9))
    x = 1000.0 / TEMPERATURES_K
    styles = {"(p)": ("-", "tab:cyan"), "(i)": ("-", "k"), "(ii)": ("--", "tab:green"), "(iii)": (":", "tab:purple"), "(iv)": ("-.", "tab:blue"),
              "(v)": ((0, (5, 1, 1, 1)), "tab:orange"), "(vi)": ((0, (1, 1)), "tab:brown")}
    for s in sets:
        style, colour = styles[s.name.split()[0]]
        big = "128" in s.name
        ax.semilogy(x, s.tracer_diffusivity_cm2_s(TEMPERATURES_K), linestyle=style, color=colour, lw=1.0 if big else 1.6,
                    alpha=0.5 if big else 1.0, label=f"model {s.name}")
    for m in measured:
        if m.species != "Li":
            continue
        T = np.linspace(m.T_min_K, m.T_max_K, 30)
        ax.semilogy(1000.0 / T, m.diffusivity_cm2_s(T), color="tab:red", lw=3, alpha=0.6,
                    label=f"measured: {m.source.split(':')[0]} ({m.method.split(':')[0]})")
    data = __import__("tomllib").loads(sd.MEASURED.read_text())
    for key, p in data.get("point", {}).items():
        ax.semilogy([1000.0 / p["T_K"]], [p["D_cm2_s"]], "o", color="tab:red", label=f"quoted at RT ({key})")
    for T in REPORT_K:
        ax.axvline(1000.0 / T, color="0.8", lw=0.8, zorder=0)
    ax.axvline(1000.0 / sd.LI_MELTING_K, color="tab:blue", lw=0.8, ls=":")
    ax.text(1000.0 / sd.LI_MELTING_K + 0.02, 2e-13, "Li melts", color="tab:blue", fontsize=8, rotation=90)
    ax.set_xlabel("1000 / T (1/K)")
    ax.set_ylabel("Li tracer self-diffusivity D* (cm$^2$/s)")
    ax.set_title("Li self-diffusion: model inputs against measurement", fontsize=10)
    ax.set_ylim(1e-14, 1.0)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False)
    secondary = ax.secondary_xaxis("top", functions=(lambda v: 1000.0 / np.maximum(v, 1e-9),
                                                      lambda t: 1000.0 / np.maximum(t, 1e-9)))
    secondary.set_xlabel("T (K)")
    fig.subplots_adjust(left=0.13, right=0.97, top=0.89, bottom=0.31)
    fig.savefig(path, dpi=130)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-figure", action="store_true")
    args = parser.parse_args(argv)
    values = sd.summary()
    measured = sd.load_measured()
    summaries = dft_summary()
    reference, today_S = shipped()
    sets = [reference] + sd.input_sets(values) + dft_inputs(summaries) + [sd.measured_anchor(measured[0])]
    print("## CHGNet numbers (converged = largest cell)\n")
    print(computed_table(values), "\n")
    print("## Per cell\n")
    print(per_cell_table(values), "\n")
    print(f"## Li tracer D* (f = {sd.CORRELATION_FACTOR}, a = {sd.LATTICE_CONSTANT_A} A); the parameter sets' cell S = {today_S:.4g}\n")
    print(diffusion_table(sets, measured, today_S), "\n")
    print("## The cell at 25 and 60 C (0.5 mA/cm2, sinks at 100 um), and the solute\n")
    print(cell_table(), "\n")
    print(dft_check(summaries))
    if not args.no_figure:
        out = ROOT / "docs" / "self_diffusion.png"
        figure(sets, measured, out)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
