"""Electrochemistry of the contact: the overpotential of current focused into the remaining contact,
and how fast a current strips the metal away.

The overpotential is used live by the simulation (an observable and a cycler-like stop), by the
analysis of frames and by the cell-scale models.
"""
from __future__ import annotations

import math

import numpy as np

from kmc import units

# Typical order of magnitude for Li | Li6PS5Cl; a user parameter (kmc analyze --exchange-current).
DEFAULT_EXCHANGE_CURRENT_mA_cm2 = 1.0

OVERPOTENTIAL_MODEL = (
    "current focusing through the remaining contact with symmetric Butler-Volmer kinetics: "
    "eta = (2RT/F) asinh(i / (2 i0 f)), i = conditions.current_density_mA_cm2, "
    "T = conditions.temperature_K, i0 = exchange_current_mA_cm2, f = contact_fraction; "
    "infinite when f = 0 (NaN if also i = 0); kinetic term only (no ohmic or transport part)")


def butler_volmer_scale_V(temperature_K: float) -> float:
    """2RT/F (V): the symmetric (alpha = 1/2) Butler-Volmer law's voltage scale, i = 2 i0 sinh(eta / (2RT/F))."""
    return 2.0 * units.GAS_CONSTANT_J_per_mol_K * temperature_K / units.FARADAY_C_per_mol


def butler_volmer_current(overpotential_V, exchange_current, scale_V):
    """i = 2 i0 sinh(eta / scale) (in i0's unit): the symmetric Butler-Volmer current at the overpotential
    eta (V), scale = 2RT/F (butler_volmer_scale_V); the inverse of overpotential_mV at full contact."""
    return 2 * exchange_current * np.sinh(overpotential_V / scale_V)


def galvanostatic_currents(potential_V: np.ndarray, exchange_mA_cm2: float, thermal_V: float,
                           total_mA_cm2: float) -> tuple[float, np.ndarray]:
    """(E in V, i per contact cell) for contact cells at electrolyte potentials ``potential_V``: the electrode
    potential at which they carry ``total_mA_cm2`` together, sum 2 i0 sinh((E - phi) / s) = total, in closed
    form (sum sinh(x - y_j) = C sinh(x - x0), C^2 = sum e^y sum e^-y, tanh x0 = sum sinh y / sum cosh y;
    potentials measured from their mean), and each cell's Butler-Volmer current at E, without Newton's iterations,
    for the cell-scale current's fixed point (kmc.resolved.fields)."""
    mean = float(potential_V.mean())
    y = (potential_V - mean) / thermal_V
    up = np.exp(y)
    sum_up, sum_down = float(up.sum()), float((1.0 / up).sum())
    x = (math.atanh((sum_up - sum_down) / (sum_up + sum_down))
         + math.asinh(total_mA_cm2 / (2 * exchange_mA_cm2 * math.sqrt(sum_up * sum_down))))
    return thermal_V * x + mean, 2 * exchange_mA_cm2 * np.sinh(x - y)


def overpotential_mV(current_density_mA_cm2, contact_fraction, exchange_current_mA_cm2, temperature_K):
    """Symmetric Butler-Volmer overpotential (mV) with the current focused on the remaining contact.

    eta = (2RT/F) asinh(i / (2 i0 f)): inf at f = 0 (NaN when also i = 0), NaN for NaN contact.
    """
    f = np.asarray(contact_fraction, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        local_current = current_density_mA_cm2 / f
    return units.MV_PER_V * butler_volmer_scale_V(temperature_K) * np.arcsinh(local_current / (2.0 * exchange_current_mA_cm2))


def recession_velocity_um_s(current_density_mA_cm2: float, atomic_volume_A3: float) -> float:
    """v0 = i Omega / e (um/s): the metal's recession when the current strips it evenly (Faraday,
    one electron per atom of volume Omega)."""
    return (current_density_mA_cm2 * units.A_PER_MA / units.ELEMENTARY_CHARGE_C * atomic_volume_A3 * units.CM3_PER_A3
            * units.UM_PER_CM)
