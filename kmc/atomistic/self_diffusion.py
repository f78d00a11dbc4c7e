"""Tracer self-diffusion of Li by the monovacancy mechanism, from the model's inputs, beside the
measured data (docs/vacancy_thermodynamics.md).  Plain numbers only (no potential, no ase): the inputs come from the
parameter sets, from kmc/atomistic/vacancy_thermo.toml (CHGNet phonons) and from
docs/data/measured_diffusion.toml (measurements, each with its method and source).

    D*(T) = f a^2 Gamma c_v,   Gamma = nu* exp(-E_m / kT),   c_v = exp(S_f / k) exp(-E_f / kT)

BCC, 8 first neighbours at a sqrt(3)/2: D_v = (1/6) 8 Gamma (3 a^2 / 4) = Gamma a^2 (kmc.model's
vacancy_diffusivity_A2_s) and D* = f D_v c_v.  f is the tracer correlation factor the kMC
measures for one vacancy in pure Li (docs/validation.md: 0.7267 +- 0.0028; the BCC value 0.7272).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

KB_EV_K = 8.617333262e-5
LI_MELTING_K = 453.65            # CRC Handbook
CORRELATION_FACTOR = 0.7267      # kMC, pure Li, one vacancy (docs/validation.md; tests/test_diffusion.py)
CORRELATION_FACTOR_SE = 0.0028
LATTICE_CONSTANT_A = 3.51        # the parameter sets' BCC Li at room temperature (docs/physics.md section 3)
A2_TO_CM2 = 1e-16
ROOT = Path(__file__).resolve().parents[2]
MEASURED = ROOT / "docs" / "data" / "measured_diffusion.toml"
SUMMARY = Path(__file__).with_name("vacancy_thermo.toml")


@dataclass(frozen=True)
class VacancyInputs:
    """What the tracer diffusivity of the host needs: one named set of inputs."""
    name: str
    formation_eV: float
    migration_eV: float
    attempt_frequency_Hz: float
    formation_entropy_kB: float = 0.0
    lattice_constant_A: float = LATTICE_CONSTANT_A
    correlation_factor: float = CORRELATION_FACTOR

    def vacancy_fraction(self, temperature_K):
        """c_eq = exp(S_f/k) exp(-E_f/kT) (site fraction)."""
        kT = KB_EV_K * np.asarray(temperature_K, float)
        return np.exp(self.formation_entropy_kB) * np.exp(-self.formation_eV / kT)

    def vacancy_diffusivity_cm2_s(self, temperature_K):
        """D_v = nu* exp(-E_m/kT) a^2 (cm^2/s)."""
        kT = KB_EV_K * np.asarray(temperature_K, float)
        return self.attempt_frequency_Hz * np.exp(-self.migration_eV / kT) * self.lattice_constant_A ** 2 * A2_TO_CM2

    def tracer_diffusivity_cm2_s(self, temperature_K):
        """D* = f D_v c_eq (cm^2/s)."""
        return (self.correlation_factor * self.vacancy_diffusivity_cm2_s(temperature_K)
                * self.vacancy_fraction(temperature_K))


@dataclass(frozen=True)
class Measurement:
    """One measured Arrhenius law D = D0 exp(-Q/kT) over its temperature range."""
    key: str
    species: str
    host: str
    method: str
    D0_cm2_s: float
    Q_eV: float
    T_min_K: float
    T_max_K: float
    source: str
    checked: str

    def diffusivity_cm2_s(self, temperature_K):
        return self.D0_cm2_s * np.exp(-self.Q_eV / (KB_EV_K * np.asarray(temperature_K, float)))


def load_measured(path: Path = MEASURED) -> list:
    """The measured Arrhenius laws of docs/data/measured_diffusion.toml (entries with numbers)."""
    data = tomllib.loads(Path(path).read_text())
    out = []
    for key, entry in data.get("arrhenius", {}).items():
        out.append(Measurement(key=key, species=entry["species"], host=entry["host"], method=entry["method"],
                               D0_cm2_s=float(entry["D0_cm2_s"]), Q_eV=float(entry["Q_eV"]),
                               T_min_K=float(entry["T_min_K"]), T_max_K=float(entry["T_max_K"]),
                               source=entry["source"], checked=entry["checked"]))
    return out


def apparent_activation_eV(temperatures_K, diffusivities) -> float:
    """-d ln D / d(1/kT), least squares over the given points."""
    x = 1.0 / (KB_EV_K * np.asarray(temperatures_K, float))
    slope = np.polyfit(x, np.log(np.asarray(diffusivities, float)), 1)[0]
    return float(-slope)


def summary(path: Path = SUMMARY) -> dict:
    """kmc/atomistic/vacancy_thermo.toml: the converged CHGNet numbers (written by
    `python -m kmc.atomistic.vacancy_thermo --toml`)."""
    return tomllib.loads(Path(path).read_text())


def input_sets(values: dict | None = None, cells=("n3", "n4")) -> list:
    """(i) the parameter sets without S_f; (ii) the computed S_f (constant pressure) and Vineyard nu* with
    the DFT (seed 004) energies; (iii) everything from CHGNet -- (ii) and (iii) for each cell of
    ``cells`` (the [cells.nN] tables of vacancy_thermo.toml, read from the file if None), since
    the CHGNet numbers do not converge with the cell (docs/vacancy_thermodynamics.md)."""
    values = values or summary()
    out = [VacancyInputs("(i) phase 1: DFT E_f, E_m; nu 1e13 Hz, no S_f", 0.50, 0.055, 1e13)]
    for cell in cells:
        v = values["cells"][cell]
        sites = 2 * int(cell[1:]) ** 3
        out.append(VacancyInputs(f"(ii) DFT E_f, E_m; CHGNet S_f, nu* ({sites} sites)", 0.50, 0.055,
                                 v["nu_host_THz"] * 1e12, v["S_f_constant_pressure_kB"]))
        out.append(VacancyInputs(f"(iii) all CHGNet ({sites} sites)", v["E_f_eV"], v["E_m_host_eV"],
                                 v["nu_host_THz"] * 1e12, v["S_f_constant_pressure_kB"]))
    return out


def measured_anchor(measurement: Measurement, attempt_frequency_Hz: float = 1e13,
                    formation_eV: float = 0.50, migration_eV: float = 0.055) -> VacancyInputs:
    """The DFT energies with the measured D0 as the stated prefactor: nu exp(S_f/k) = D0 / (f a^2),
    split as nu (kept) and S_f = ln(D0 / (f a^2 nu)) (an effective entropy that also carries the
    migration entropy); D* then differs from the measured law only by exp((Q - E_f - E_m)/kT)."""
    s_f = math.log(measurement.D0_cm2_s / (CORRELATION_FACTOR * attempt_frequency_Hz
                                           * LATTICE_CONSTANT_A ** 2 * A2_TO_CM2))
    return VacancyInputs(f"(iv) DFT E_f, E_m; nu 1e13 Hz; S_f from measured D0 ({measurement.key})",
                         formation_eV, migration_eV, attempt_frequency_Hz, s_f)


def supersaturation(today_S: float, today: VacancyInputs, other: VacancyInputs, temperature_K: float) -> float:
    """S = 1 + J Omega L / (D_v c_eq) for another set of inputs, from today's S (the flux, Omega and
    L are the same): S - 1 scales as 1 / (D_v c_eq)."""
    ratio = ((today.vacancy_diffusivity_cm2_s(temperature_K) * today.vacancy_fraction(temperature_K))
             / (other.vacancy_diffusivity_cm2_s(temperature_K) * other.vacancy_fraction(temperature_K)))
    return float(1.0 + (today_S - 1.0) * ratio)


def arrhenius_prefactor_cm2_s(inputs: VacancyInputs) -> float:
    """D0 of the model's D* (its Arrhenius form is exact: Q = E_f + E_m)."""
    return float(inputs.correlation_factor * inputs.attempt_frequency_Hz * inputs.lattice_constant_A ** 2
                 * A2_TO_CM2 * math.exp(inputs.formation_entropy_kB))
