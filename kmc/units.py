"""Physical constants and unit conversions: the one place they live."""
import math

K_B_eV_per_K = 8.617333262e-5
ELEMENTARY_CHARGE_C = 1.602176634e-19
GAS_CONSTANT_J_per_mol_K = 8.314462618
COULOMB_PER_MAH = 3.6
CM2_PER_A2 = 1e-16
UM_PER_A = 1e-4
A_PER_UM = 1e4
NM_PER_UM = 1e3
A_PER_NM = 10.0
UM2_PER_A2 = 1e-8
UM2_PER_CM2 = 1e8
UM_PER_CM = 1e4
UM_PER_M = 1e6
CM3_PER_A3 = 1e-24
A_PER_MA = 1e-3
S_PER_MS = 1e-3          # siemens per millisiemens (conductivity)
MV_PER_V = 1e3
J_PER_KJ = 1e3
S_PER_H = 3600.0
J_PER_M2_PER_EV_PER_A2 = 16.02176634  # 1 eV/A^2 in J/m^2
AVOGADRO = 6.02214076e23
FARADAY_C_per_mol = ELEMENTARY_CHARGE_C * AVOGADRO


def kT_eV(temperature_K: float) -> float:
    return K_B_eV_per_K * temperature_K


def charge_per_atom_mAh_cm2(interface_area_A2: float) -> float:
    """Areal charge (mAh/cm^2) carried by stripping one Li atom from an interface of this area."""
    return ELEMENTARY_CHARGE_C / COULOMB_PER_MAH / (interface_area_A2 * CM2_PER_A2)


def strip_rate_per_s(current_density_mA_cm2: float, interface_area_A2: float) -> float:
    """Li atoms leaving the interface per second at a given current density (physical, unaccelerated)."""
    return current_density_mA_cm2 * 1e-3 * interface_area_A2 * CM2_PER_A2 / ELEMENTARY_CHARGE_C


def physical_time_s(charge_mAh_cm2: float, current_density_mA_cm2: float) -> float:
    """Experimental time that a stripped charge corresponds to at the given current."""
    if current_density_mA_cm2 <= 0:
        return math.nan
    return charge_mAh_cm2 / current_density_mA_cm2 * 3600.0
