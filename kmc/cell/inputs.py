"""The inputs of a run at the cell's scale (``kmc meso``, whatever the interface model): every number in
um, s, mA/cm^2, MPa, from the same settings as a kMC run (its [meso] table, the cell's transport of
kmc.model.CellTransport, the creep law) and the interface's energetics (an input: kmc.energetics computes
them from the energy model, the launch layer passes them in), and the rules every cell-scale model
evaluates on them (the critical nucleus, Mullins' coefficient, I(S))."""
from __future__ import annotations

from dataclasses import dataclass

from kmc import units
from kmc.config import Settings
from kmc.model import contact_sink_rate_um_s, contact_sink_rows, box_hop_prefactor_Hz, cell_transport
from kmc.physics import creep, nucleation, surface
from kmc.physics.nucleation import VoidCap


class CellInputError(ValueError):
    """Settings that `kmc meso` cannot use; the message says what is wrong and what is allowed."""


@dataclass(frozen=True)
class CellInputs:
    """Every number of a cell-scale run, in um, s, mA/cm^2, MPa (``cell_inputs`` says where each comes
    from): numbers only, so ``dataclasses.replace`` never leaves a stale copy behind; an interface
    model's own numerics extend it (kmc.resolved.gap.GapInputs)."""
    width_um: float
    current_mA_cm2: float
    pressure_MPa: float
    temperature_K: float
    exchange_current_mA_cm2: float
    strip_velocity_um_s: float            # v0 = i Omega / e at full contact
    vacancy_diffusivity_um2_s: float      # D_v of the kMC model (kmc.model.vacancy_diffusivity_A2_s)
    vacancy_equilibrium_fraction: float   # c_eq = exp(S_f/k) exp(-E_f / kT) (kmc.model.vacancy_equilibrium_fraction)
    sink_supersaturation: float           # the sinks hold this x c_eq (boundary.supersaturation)
    sink_distance_um: float
    contact_sink_rate_um_s: float         # kappa: the contact annihilates kappa (c - c_eq) (kmc.model.contact_sink_rate_um_s)
    closure_coefficient: float            # kappa: a void's creep closure velocity kappa eps_dot w
    shape: VoidCap
    void_shape: str                       # "cap" (surface diffusion infinitely fast) or "kinetic"
    surface_diffusivity_um2_s: float      # D_s, which relaxes a kinetic void toward the cap (Mullins)
    surface_energy_eV_A2: float           # gamma of the void walls (InterfaceEnergetics)
    atomic_volume_A3: float
    kT_eV: float
    defect_density_per_um2: float
    defect_radius_um: float
    nucleation_prefactor_per_um2_s: float
    solute_fraction: float
    solute_diffusivity_per_vacancy_um2_s: float
    # (subsurface x, L1 solute fraction) rows: L1 in segregation equilibrium with the metal below it
    # (kmc.energetics), x rising; () without a solute
    interface_solute_curve: tuple
    min_void_width_um: float
    section_lines: int
    max_step_mAh_cm2: float
    output_every_mAh_cm2: float
    stop_stripped_mAh_cm2: float
    stop_contact_fraction: float
    seed: int
    creep_law: creep.NortonLaw            # the metal's Norton law ([creep])
    # I(S) measured by the kMC ((S, I per um^2 per s) rows, S rising: meso.nucleation_rate_S and
    # meso.nucleation_rate_per_um2_s, which ``kmc rates --write-meso`` fills), at this set's box
    # hops (measured_nucleation_rows), used instead of the classical rate when given
    # (nucleation_rate_per_um2_s)
    measured_nucleation: tuple = ()
    # (subsurface solute fraction, kappa) rows (kmc.model.contact_sink_rows): a model carrying each contact
    # cell's Mg takes its kappa there (linear between rows, the nearest row outside); () keeps
    # contact_sink_rate_um_s on every cell
    contact_sink_rows: tuple = ()

    @property
    def area_um2(self) -> float:
        return self.width_um ** 2


def cell_inputs(settings: Settings, energetics) -> CellInputs:
    """The inputs of a cell-scale run from the same settings as a kMC run: its [meso] table plus the
    kMC's own rules for what they share (vacancy diffusivity, creep law, closure), and the energy model's
    interface, ``energetics`` (a kmc.energetics.InterfaceEnergetics: the wetting angle, surface energy and
    L1 solute)."""
    meso = meso_table(settings)
    cell = cell_transport(settings)
    cond = settings.conditions
    iface = energetics
    return CellInputs(
        width_um=meso.width_um, current_mA_cm2=cond.current_density_mA_cm2, pressure_MPa=cond.stack_pressure_MPa,
        temperature_K=cond.temperature_K, exchange_current_mA_cm2=cond.exchange_current_mA_cm2,
        strip_velocity_um_s=cell.recession_velocity_um_s,
        vacancy_diffusivity_um2_s=cell.vacancy_diffusivity_um2_s,
        vacancy_equilibrium_fraction=cell.vacancy_equilibrium_fraction,
        sink_supersaturation=cell.sink_supersaturation, sink_distance_um=cell.sink_distance_um,
        contact_sink_rate_um_s=contact_sink_rate_um_s(settings), contact_sink_rows=contact_sink_rows(settings),
        closure_coefficient=settings.creep.closure_coefficient, creep_law=creep.NortonLaw.of(settings.creep),
        shape=VoidCap.of_wetting_angle(iface.wetting_angle_deg), void_shape=meso.void_shape,
        surface_diffusivity_um2_s=meso.surface_diffusivity_cm2_s * units.UM2_PER_CM2,
        surface_energy_eV_A2=iface.surface_energy_J_m2 / units.J_PER_M2_PER_EV_PER_A2,
        atomic_volume_A3=cell.atomic_volume_A3, kT_eV=cell.kT_eV,
        defect_density_per_um2=meso.defect_density_per_um2, defect_radius_um=meso.defect_radius_um,
        nucleation_prefactor_per_um2_s=meso.nucleation_prefactor_per_um2_s,
        measured_nucleation=measured_nucleation_rows(settings),
        solute_fraction=cell.solute_fraction,
        solute_diffusivity_per_vacancy_um2_s=cell.solute_diffusivity_per_vacancy_um2_s,
        interface_solute_curve=iface.solute_curve,
        min_void_width_um=meso.min_void_width_um, section_lines=meso.section_lines,
        max_step_mAh_cm2=meso.max_step_mAh_cm2, output_every_mAh_cm2=meso.output_every_mAh_cm2,
        stop_stripped_mAh_cm2=meso.stop_stripped_mAh_cm2, stop_contact_fraction=meso.stop_contact_fraction,
        seed=settings.run.seed)


def meso_table(settings: Settings):
    """The settings' [meso] table, once they are known to suit a cell-scale run (CellInputError: no [meso]
    table, or an energy form without the void's surface energy); checked before the energetics are
    computed."""
    try:
        meso = settings.meso
    except AttributeError:
        raise CellInputError(f"{settings.source}: no [meso] table; allowed: a parameter file with one, "
                             "e.g. params/li_li2s.toml") from None
    if settings.energy.form != "second_moment":
        raise CellInputError(f"energy.form = {settings.energy.form!r}: the meso model takes the void surface "
                             "energy from the second-moment form; allowed: a second_moment parameter set "
                             "(params/li_li2s.toml, params/limg_li2s.toml)")
    return meso


def measured_nucleation_rows(settings: Settings) -> tuple:
    """The [meso] I(S) rows at the set's own box hops: measured at meso.nucleation_rate_hop_prefactor_Hz,
    scaled to kmc.model.box_hop_prefactor_Hz (the shipped rows were measured at nu = 1e13 Hz, before the
    box's hops carried the formation entropy: x exp(2.75) = 15.6 for the shipped sets)."""
    meso = settings.meso
    here_Hz = box_hop_prefactor_Hz(settings)
    return tuple((float(S), nucleation.rate_at_hop_prefactor(float(rate), meso.nucleation_rate_hop_prefactor_Hz, here_Hz))
                 for S, rate in zip(meso.nucleation_rate_S, meso.nucleation_rate_per_um2_s))


def nucleation_rate_per_um2_s(inp: CellInputs, supersaturation: float) -> float:
    """The kMC's measured I(S) if the inputs carry it (kmc.physics.nucleation.measured_rate), else
    classical nucleation of an interface void at the void's cap (kmc.physics.nucleation.classical_rate)."""
    if inp.measured_nucleation:
        return nucleation.measured_rate(inp.measured_nucleation, supersaturation)
    return nucleation.classical_rate(inp.nucleation_prefactor_per_um2_s, inp.surface_energy_eV_A2,
                                     inp.atomic_volume_A3, inp.kT_eV, supersaturation, inp.shape)


def critical_radius_um(inp: CellInputs, supersaturation: float) -> float:
    """Base radius of the critical cap (kmc.physics.nucleation.critical_radius_A, on the void's cap)."""
    return inp.shape.base_radius(nucleation.critical_radius_A(inp.surface_energy_eV_A2, inp.atomic_volume_A3,
                                                              inp.kT_eV, supersaturation) * units.UM_PER_A)


def mullins_coefficient_um4_s(inp: CellInputs) -> float:
    """B of Mullins' time tau = r^4 / B for surface diffusion to reshape a void of base radius r
    (kmc.physics.surface.mullins_coefficient, in um^4/s); 0 if D_s = 0."""
    return surface.mullins_coefficient(inp.surface_diffusivity_um2_s, inp.surface_energy_eV_A2,
                                       inp.atomic_volume_A3, inp.kT_eV) * units.UM2_PER_A2
