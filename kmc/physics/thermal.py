"""Equilibrium statistics the models sample with: the Boltzmann factor and the exchange chemical
potential of an ideal solution."""
from __future__ import annotations

import math

import numpy as np


def boltzmann_factor(energy_eV, kT_eV: float):
    """exp(-E / kT) (a number or an array): a Metropolis acceptance at E = max(dE, 0)."""
    return np.exp(-energy_eV / kT_eV)


def ideal_exchange_potential_eV(solute_fraction: float, kT_eV: float) -> float:
    """kT ln(x / (1 - x)): the free energy of taking a solute out of an ideal solution of solute
    fraction x and putting a host atom back (a semi-grand-canonical exchange's chemical potential)."""
    return kT_eV * math.log(solute_fraction / (1 - solute_fraction))
