"""The schema of a parameter file: every key's type, range, unit and (where it is not physics)
default, the keys of each energy form, a [fit] row's keys, and the names that changed.  kmc.config
validates against it."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

REQUIRED = object()  # marks keys that a parameter file must provide


@dataclass(frozen=True)
class Key:
    kind: type | tuple            # python type(s) accepted (int is accepted where float is)
    default: Any
    check: Callable[[Any], bool] | None = None
    allowed: str = ""             # human description of the allowed values


def _pos(x):
    return x > 0


def _nonneg(x):
    return x >= 0


def _frac(x):
    return 0 <= x < 1


def _cells(v):
    return isinstance(v, list) and len(v) == 3 and all(isinstance(c, int) and not isinstance(c, bool)
                                                         and c >= 2 for c in v)


# Integers are stored as int64 (engine counters, HDF5 attributes).
INT64_RANGE = (-2**63, 2**63)
# Sites per orthogonal cell of each orientation, and the largest box: the neighbour table holds
# int32 site indices.
SITES_PER_CELL = {"001": 2, "110": 4}
MAX_SITES = 2**31 - 1
# An element symbol: one capital letter and at most one small one ("Va" is taken by the vacancy).
ELEMENT_SYMBOL = re.compile(r"(?!Va$)[A-Z][a-z]?")
# model.name becomes part of the default output file name (runs/out/<name>_s<seed>.h5)
MODEL_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _finite_numbers(v):
    """Every item a finite float or a 64-bit integer (not a boolean)."""
    return all(isinstance(x, float) and math.isfinite(x)
               or isinstance(x, int) and not isinstance(x, bool) and INT64_RANGE[0] <= x < INT64_RANGE[1]
               for x in v)


F = (int, float)
ENERGY_FORMS = ("bond", "second_moment")
# The energy keys each form requires; those of the other form must be absent or zero and are
# stored as zero (every stored value is a number or list, so settings round-trip through TOML).
FORM_KEYS = {
    "bond": ("host_host_bond_eV", "host_solute_bond_eV", "solute_solute_bond_eV", "adhesion_host_eV",
             "adhesion_solute_eV", "layer_vacancy_eV"),
    "second_moment": ("host_host_pair_eV", "host_solute_pair_eV", "solute_solute_pair_eV", "host_embedding_eV",
                      "solute_embedding_eV", "electrolyte_coordination_host", "electrolyte_coordination_solute",
                      "electrolyte_repulsion_host_eV", "electrolyte_repulsion_solute_eV"),
}
SCHEMA: dict[str, dict[str, Key]] = {
    "model": {
        "name": Key(str, "unnamed", MODEL_NAME.fullmatch,   # short name of the chemistry; used for output names
                    "letters, digits, '_', '.' and '-' (a file name part), not starting with '.' or '-'"),
        "description": Key(str, ""),
    },
    "lattice": {
        "orientation": Key(str, "001", lambda v: v in ("001", "110"), "'001' or '110'"),
        "cells": Key(list, [24, 24, 12], _cells, "three integers >= 2 (nx, ny, nz orthogonal cells)"),
        "lattice_constant_A": Key(F, REQUIRED, _pos, "> 0"),
        "geometry": Key(str, "slab", lambda v: v in ("slab", "bulk"),
                        "'slab' (electrolyte on top) or 'bulk' (periodic in z, no interface)"),
    },
    "species": {
        # The element symbols behind the host and solute codes (kmc.species): outputs, figures
        # and exports use them.  A file without [species] is seed 004's Li and Mg.
        "host": Key(str, "Li", lambda v: ELEMENT_SYMBOL.fullmatch(v) is not None,
                    "an element symbol such as 'Li' (the strippable metal)"),
        "solute": Key(str, "Mg", lambda v: ELEMENT_SYMBOL.fullmatch(v) is not None,
                      "an element symbol such as 'Mg', 'Ag' or 'Zn' (the alloying element)"),
    },
    "composition": {
        "solute_fraction": Key(F, 0.0, lambda x: 0 <= x <= 0.7,
                               "0 <= x <= 0.7 (a BCC solid solution; Li-Mg is one up to ~0.7)"),
        "vacancy_fraction": Key(F, 0.0, lambda x: 0 <= x <= 0.5, "0 <= x <= 0.5"),
    },
    "energy": {
        # Which configuration energy (docs/energy_model.md): "bond" = first-neighbour bonds with
        # per-layer site terms (the *_bond_eV, adhesion_* and layer_vacancy_eV keys);
        # "second_moment" = repulsive pairs + a square-root (Finnis-Sinclair) embedding of the
        # metal coordination, the electrolyte adding to an L1 atom's coordination (the *_pair_eV,
        # *_embedding_eV, electrolyte_* keys).  The keys of the other form must be absent or zero.
        "form": Key(str, "bond", lambda v: v in ENERGY_FORMS, "'bond' or 'second_moment'"),
        "host_host_bond_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "host_solute_bond_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "solute_solute_bond_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "adhesion_host_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "adhesion_solute_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "layer_vacancy_eV": Key(list, REQUIRED, _finite_numbers,
                                "a list of finite numbers (vacancy energy of L1, L2, ... relative to bulk)"),
        "host_host_pair_eV": Key(F, REQUIRED, _nonneg, ">= 0 (the form needs repulsive pairs)"),
        "host_solute_pair_eV": Key(F, REQUIRED, _nonneg, ">= 0 (the form needs repulsive pairs)"),
        "solute_solute_pair_eV": Key(F, REQUIRED, _nonneg, ">= 0 (the form needs repulsive pairs)"),
        "host_embedding_eV": Key(F, REQUIRED, _pos, "> 0 eV"),
        "solute_embedding_eV": Key(F, REQUIRED, _pos, "> 0 eV"),
        "electrolyte_coordination_host": Key(F, REQUIRED, _nonneg, ">= 0 (metal neighbours' worth)"),
        "electrolyte_coordination_solute": Key(F, REQUIRED, _nonneg, ">= 0 (metal neighbours' worth)"),
        "electrolyte_repulsion_host_eV": Key(F, REQUIRED, _nonneg, ">= 0 eV"),
        "electrolyte_repulsion_solute_eV": Key(F, REQUIRED, _nonneg, ">= 0 eV"),
        "interface_solute_vacancy_eV": Key(F, 0.0, None, "a number"),
        "interface_vacancy_pair_eV": Key(F, 0.0, None, "a number"),
        # Pair of L1 solutes a apart (in-plane second neighbours, the same shell as the vacancy
        # pair): the L1 solute-solute interaction (kmc.model, docs/energy_model.md).
        "interface_solute_pair_eV": Key(F, 0.0, None, "a number"),
        # ... and a sqrt2 apart (in-plane third neighbours)
        "interface_solute_pair_sqrt2_eV": Key(F, 0.0, None, "a number"),
    },
    "kinetics": {
        "attempt_frequency_Hz": Key(F, REQUIRED, _pos, "> 0"),
        "kra_host_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "kra_host_near_solute_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        "kra_solute_eV": Key(F, REQUIRED, _nonneg, ">= 0"),
        # Energy-weighted stripping (kmc.rate_rules.strip_site_weight): a joined L1 host atom's share of
        # the current goes as exp(-alpha dE_removal/kT).  0.5 is the symmetric Butler-Volmer
        # value; seed 004 gives no site-resolved one.  0: every joined L1 host atom equally.
        "strip_transfer_coefficient": Key(F, 0.5, lambda x: 0 <= x <= 1, "0 <= alpha <= 1 (0: uniform)"),
    },
    "conditions": {
        "temperature_K": Key(F, 298.0, lambda x: 0 < x < 454, "0 < T < 454 K (below Li melting)"),
        "current_density_mA_cm2": Key(F, 0.5, _nonneg, ">= 0 (0 means no stripping)"),
        "stack_pressure_MPa": Key(F, 0.2, _nonneg, ">= 0 (0 means no creep)"),
        # Butler-Volmer exchange current density of the contact, for the overpotential observable
        # and run.stop_overpotential_mV.  Seed 004 gives no value; 1 mA/cm2 is an order of
        # magnitude (i0 = RT / (F R_ct), R_ct the interface's charge-transfer resistance in
        # ohm cm2: 1 mA/cm2 is R_ct = 26 ohm cm2 at 298 K).  It scales eta, not the trajectory.
        "exchange_current_mA_cm2": Key(F, 1.0, _pos, "> 0 mA/cm^2"),
        # The solid electrolyte between the contact and the counter electrode (seed 004 Methods,
        # docs/physics.md section 7: a Li6PS5Cl pellet 500 um thick, 3.5 +- 0.1 mS/cm at room
        # temperature).  Read only by kmc meso's resolved interface: the current's constriction into
        # the contact (kmc.resolved.fields.butler_volmer_current).
        "electrolyte_conductivity_mS_cm": Key(F, 3.5, _pos, "> 0 mS/cm"),
        "electrolyte_thickness_um": Key(F, 500.0, lambda x: 1 <= x <= 1e5, "1 <= thickness <= 100000 um"),
    },
    "boundary": {
        "bottom": Key(str, "sink", lambda v: v in ("sink", "reservoir", "closed"),
                      "'sink', 'reservoir' or 'closed'"),
        "vacancy_formation_eV": Key(F, REQUIRED, _pos, "> 0"),
        # S_f of c_eq = exp(S_f/k) exp(-E_f/kT) (kmc.physics.vacancy.equilibrium_fraction), in k_B.
        # Physics, so no default: every c_eq of a run (the sinks, the cell's supersaturation, kmc meso,
        # kmc rates) follows from it (docs/vacancy_thermodynamics.md section 7).  Measured formation
        # entropies of metal vacancies lie between ~0.5 and ~5 k_B; 10 bounds them with room.
        "vacancy_formation_entropy_kB": Key(F, REQUIRED, lambda x: math.isfinite(x) and 0 <= x <= 10,
                                            "a number of k_B, 0 <= S_f <= 10 (0: the 0 K formation energy alone)"),
        "supersaturation": Key(F, 1.0, _nonneg, ">= 0"),
    },
    # The electrode beyond the box (kmc.electrode; docs/validation.md "The electrode around the
    # box"): vacancy sinks at a physical distance and a 1-D continuum of solute below the box.
    "electrode": {
        # seed 004 Methods: the Li and Li-Mg foils are 100 +- 10 um thick.  Below the box lies
        # this much metal minus the box's own depth (the solute continuum's extent).
        "thickness_um": Key(F, 100.0, lambda x: 0.01 <= x <= 1e4,
                            "0.01 <= thickness_um <= 10000 um (a foil; deeper than the box)"),
        # Distance from the bottom of the box to the vacancy sinks.  seed 004 Supp. Fig. 19: grains
        # ~100 um across, so grain boundaries lie ~100 um apart, and the far side (the current
        # collector) is the thickness away: both put the sinks ~100 um away (within a factor 2).
        "sink_distance_um": Key(F, 100.0, lambda x: 1e-4 <= x <= 1e4,
                                "1e-4 <= sink_distance_um <= 10000 um, and at most electrode.thickness_um"),
        # The contact as a vacancy sink (kmc.physics.vacancy.contact_annihilation_velocity): the
        # metal | electrolyte contact annihilates vacancies at kappa c_eq (S - 1) / Omega per area (climb of
        # the interface's misfit dislocations and ledges), kappa this rate constant (m/s; a perfect sink
        # is ~D_v / a, ~400 m/s for Li at 298 K).  0: the contact absorbs no vacancy (the model before
        # the sink; docs/mechanics.md §10.2).  params/*.toml say where the shipped value comes from.
        "contact_sink_rate_m_s": Key(F, 0.0, lambda x: 0 <= x <= 1e4, "0 <= kappa <= 10000 m/s (0: no sink)"),
    },
    "creep": {
        "reference_strain_rate_per_s": Key(F, REQUIRED, _nonneg, ">= 0"),
        "reference_stress_MPa": Key(F, REQUIRED, _pos, "> 0"),
        "stress_exponent": Key(F, REQUIRED, _pos, "> 0"),
        "activation_energy_kJ_mol": Key(F, REQUIRED, _nonneg, ">= 0"),
        "reference_temperature_K": Key(F, REQUIRED, _pos, "> 0"),
        # Closure velocity of an interface void of width w: v = kappa eps_dot(P / contact) w
        # (dimensionless kappa; params/*.toml give its derivation, docs/validation.md).
        "closure_coefficient": Key(F, REQUIRED, lambda x: 0 < x <= 10,
                                   "0 < kappa <= 10 (dimensionless, of order 1: 1/pi for a flat circular void)"),
    },
    "run": {
        # Stripping, creep, escape to the sinks and exchange with the electrode run this much faster
        # than in the cell, the hops at their own rates (kmc.model.build_event_rates).  Numerics that
        # decide results, so every parameter file states it: docs/rates.md section 5 finds a run's
        # answers those of the cell for A <~ 2e4 on the shipped sets (kmc.acceleration checks it
        # for every run and records it in the run file).
        "acceleration": Key(F, REQUIRED, lambda x: x >= 1,
                            ">= 1 (numerics: within the converged range, A <~ 2e4 for the shipped sets, docs/rates.md)"),
        "seed": Key(int, 1, lambda x: 0 <= x < 2**63, "an integer 0 <= seed < 2**63"),
        "stop_stripped_mAh_cm2": Key(F, 3e-4, _nonneg, ">= 0 (0: no charge limit)"),
        "stop_time_s": Key(F, 0.0, _nonneg, ">= 0 kMC seconds (0: no time limit)"),
        "max_events": Key(int, 0, _nonneg, ">= 0 (0: no event limit)"),
        # compared with the metal on the L1 sites under the electrolyte over all L1 sites (a pore's mouth
        # never counts), which the engine keeps per event; the electrical contact_fraction is at most that
        "stop_contact_fraction": Key(F, 0.0, lambda x: 0 <= x <= 1, "0 <= x <= 1 (0: never stop on contact)"),
        # A cycler's cut-off: stop when the overpotential observable reaches this value.
        "stop_overpotential_mV": Key(F, 0.0, _nonneg, ">= 0 mV (0: no cut-off)"),
        "stop_stripped_monolayers": Key(F, 0.0, _nonneg, ">= 0 monolayers of L1 sites (0: no limit)"),
        # Wall-clock limit of one `kmc run` call (a batch job's time slot): the run ends cleanly,
        # stop reason "wall_time", and its file is complete; where it ends depends on the machine.
        "stop_wall_s": Key(F, 0.0, _nonneg, ">= 0 wall-clock seconds (0: no limit)"),
        "chunk_events": Key(int, 200_000, lambda x: x >= 1, ">= 1"),
        # The deep box (kmc.model.deep_box): the share of the path to the vacancy sinks that the
        # box's layers below the interface region take (a lone vacancy's hops there are sped up to
        # match, and the bottom boundary takes the rest).  Numerics: the escape path is the
        # cell's whatever the value; 0 turns the deep box off (the box's own hops unaccelerated).
        "deep_box_share": Key(F, 0.5, lambda x: 0 <= x < 1, "0 <= deep_box_share < 1 (0: off)"),
        # Fast reversible events (kmc.engine.fast; docs/physics.md section 12): hop types near the interface
        # whose forward and reverse executions balance run both ways at a common fraction of their rates
        # (Dybeck, Plaisance & Neurock 2017), detailed balance kept.  Numerics (its bias measured against
        # the exact kMC: docs/pore_edge.md); false runs every hop at its own rate.
        "fast_event_scaling": Key(bool, False, None, "true or false"),
    },
    "output": {
        "path": Key(str, "", None, "a file path ('' = runs/out/<model>_s<seed>.h5)"),
        "frame_every_mAh_cm2": Key(F, 3e-5, _nonneg, ">= 0 (0: off)"),
        "frame_every_events": Key(int, 0, _nonneg, ">= 0 (0: off)"),
        "frame_every_s": Key(F, 0.0, _nonneg, ">= 0 (0: off)"),
        "series_every_mAh_cm2": Key(F, 3e-6, _nonneg, ">= 0 (0: off)"),
        "series_every_events": Key(int, 0, _nonneg, ">= 0 (0: off)"),
        "series_every_s": Key(F, 0.0, _nonneg, ">= 0 (0: off)"),
        # checkpoints go with every frame, and at least this often (wall clock) in between
        "checkpoint_every_wall_s": Key(F, 600.0, _pos, "> 0 wall-clock seconds"),
    },
    "tracers": {
        # Tagged atoms whose lattice jumps are followed, for tracer diffusion (MSD) observables.
        "count": Key(int, 0, lambda x: 0 <= x <= 10_000_000, "0 <= count <= 1e7 (0: off)"),
        # 'host' / 'solute' or the [species] symbols (checked against them in _cross_checks)
        "species": Key(str, "all", lambda v: v in ("all", "host", "solute") or ELEMENT_SYMBOL.fullmatch(v) is not None,
                       "'all', 'host', 'solute' or one of the [species] symbols"),
    },
    # Li's flow at every size, rate and temperature (kmc.physics.flow): the [creep] law (dislocation
    # creep, with its plastic branch above yield) raised for a feature's size, diffusional flow bounded by
    # the sinks the feature has, and the solid solution's strengthening.  params/*.toml give each number's
    # source and band; `kmc params mechanisms PARAMS` draws the deformation-mechanism map.
    "flow": {
        # Li's yield stress (Masias et al. 2019: 0.73-0.81 MPa): the [creep] law's flow stress at the test
        # rate, where its plastic branch begins (the same law: Li does not strain-harden)
        "yield_stress_MPa": Key(F, REQUIRED, _pos, "> 0 MPa"),
        # l*: an embedded feature of size d flows at sqrt(1 + l*/d) times the bulk law's stress (Nix & Gao)
        "strain_gradient_length_um": Key(F, REQUIRED, lambda x: 0 <= x <= 1e3, "0 <= l* <= 1000 um (0: no size effect)"),
        # A of Nabarro-Herring's eps = A D_v c_eq Omega sigma / (kT d^2) (Herring 13.3 ... Frost & Ashby 42)
        "diffusion_geometry_factor": Key(F, REQUIRED, lambda x: 0 < x <= 1e3, "0 < A <= 1000"),
        # Herbert et al. 2018 (J. Mater. Res. 33, 1361): the hardness at which dislocation flow starts in attached
        # Li smaller than its dislocation spacing, H = onset_hardness_MPa (d / 1 um)^-onset_exponent, measured at
        # onset_strain_rate_per_s; an embedded feature takes the larger of it and the strain gradient
        "onset_hardness_MPa": Key(F, REQUIRED, _nonneg, ">= 0 MPa at d = 1 um (0: dislocation sources at every size)"),
        "onset_exponent": Key(F, REQUIRED, lambda x: 0 < x <= 3, "0 < exponent <= 3"),
        "onset_strain_rate_per_s": Key(F, REQUIRED, _pos, "> 0 per s"),
        # The solid solution's flow stress over the host's, 1 + k x^(2/3) at solute fraction x (Labusch 1970);
        # k from the alloy's measured flow stress (0: the host's law at every composition)
        "solute_flow_stress_coefficient": Key(F, 0.0, lambda x: 0 <= x <= 1e3, "0 <= k <= 1000 (0: none)"),
        # The solute's change of the dislocation branch's rate at a given stress, eps_alloy(x) / eps_host, as
        # rows (solute_rate_fractions rising, solute_rate_factors > 0), log-linear between them; none: 1
        "solute_rate_fractions": Key(list, [], lambda v: _finite_numbers(v) and all(0 <= x < 1 for x in v)
                                     and all(b > a for a, b in zip(v, v[1:])), "a list of fractions 0 <= x < 1, rising"),
        "solute_rate_factors": Key(list, [], lambda v: _finite_numbers(v) and all(x > 0 for x in v),
                                   "a list of factors > 0, one per solute_rate_fractions entry"),
        # Free-standing single crystals (kmc.physics.strength.SizeStrength): Xu, Ahmad, Aryanfar, Viswanathan &
        # Greer, PNAS 114, 57 (2017), Li micropillars ~1-9.5 um compressed at a nominal 1e-3 /s:
        # sigma_y(d, T) = sigma_ref(T) (d / pillar_reference_size_um)^-m(T), 105 MPa at 1.4 um and m = 0.68 at room
        # temperature, ~35 MPa and m = 1.00 at 90 C, ln sigma_ref and m linear between them
        "pillar_strength_MPa": Key(F, REQUIRED, _pos, "> 0 MPa"),
        "pillar_strength_temperature_K": Key(F, REQUIRED, _pos, "> 0 K"),
        "pillar_reference_size_um": Key(F, REQUIRED, _pos, "> 0 um"),
        "pillar_strength_exponent": Key(F, REQUIRED, lambda x: 0 < x <= 2, "0 < exponent <= 2"),
        "pillar_hot_strength_MPa": Key(F, REQUIRED, _pos, "> 0 MPa"),
        "pillar_hot_K": Key(F, REQUIRED, _pos, "> 0 K, above flow.pillar_strength_temperature_K"),
        "pillar_hot_exponent": Key(F, REQUIRED, lambda x: 0 < x <= 2, "0 < exponent <= 2"),
        "pillar_strain_rate_per_s": Key(F, REQUIRED, _pos, "> 0 per s"),
        # Which of the law's kinds the gap model's features are (voids' roofs, islands, metal pressed into pores):
        # "embedded" in the foil (the strain gradient or the onset of dislocation flow), or "free_standing"
        # (the pillar law: kmc meso's mechanics before the flow law, a sensitivity)
        "interface_features": Key(str, "embedded", lambda v: v in ("embedded", "free_standing"),
                                  "'embedded' or 'free_standing'"),
    },
    # The solid electrolyte's face (docs/physics.md section 9): a cold-pressed pellet whose open pores cut the
    # interface in an area fraction 1 - relative_density (stereology).  The kMC box holds one pore's
    # edge (kmc.pore, docs/pore_edge.md); kmc meso's resolved interface presses the foil onto the same
    # face (kmc.physics.pores, docs/mechanics.md section 5b).  params/*.toml give each number's source.
    "electrolyte": {
        # the pellet's density over its crystal's: the pores' volume fraction is 1 - it, and so the open
        # share of its face (kmc.physics.pores, kmc.pore)
        "relative_density": Key(F, REQUIRED, lambda x: 0.5 <= x <= 1,
                                "0.5 <= relative density <= 1 (1: a fully dense pellet, no pore)"),
        # the diameter of the pressed particles, which sets the pores' size and spacing at the cell's
        # scale (kmc.physics.pores; read by kmc meso's resolved interface)
        "particle_diameter_um": Key(F, REQUIRED, lambda x: 1e-3 <= x <= 100, "1e-3 <= diameter <= 100 um"),
        # what the kMC box holds of the face: an open stripe across it (a um pore's straight rim), a
        # square pit (a rim with corners), or "none": every L1 site under the electrolyte (the perfect
        # interface of the box before its pore)
        "box_pore": Key(str, "stripe", lambda v: v in ("stripe", "pit", "none"),
                        "'stripe', 'pit' or 'none' (the perfect interface)"),
    },
    # What the kMC measured at a pore's edge (`kmc rates --write-edge` writes the rows; kmc.physics.pore_edge
    # names each record, its unit and clock, and reads them for both scales; docs/pore_edge.md).  One row per
    # supersaturation measured; each record has its one-standard-error twin (<name>_error).
    "pore_edge": {
        "supersaturation": Key(list, [], lambda v: _finite_numbers(v) and all(x >= 1 for x in v)
                               and all(b > a for a, b in zip(v, v[1:])), "a list of supersaturations >= 1, rising"),
        **{name: Key(list, [], lambda v: _finite_numbers(v) and all(x >= 0 for x in v), "a list of numbers >= 0")
           for record in ("wall_capture_probability", "rim_capture_probability", "capture_length_nm",
                          "rim_refill_probability", "rim_refill_time_s") for name in (record, record + "_error")},
        # the prefactor of the box's hops the rows were measured with: the clock of rim_refill_time_s
        "hop_prefactor_Hz": Key(F, REQUIRED, lambda x: 0 < x <= 1e20, "0 < prefactor <= 1e20 Hz"),
    },
    # The metal foil's face as made (kmc.physics.foil_face, docs/alloy.md section 5): what the metal's own side
    # offers a void to start from; params/*.toml give each number's source.  Read by the foil-face table of
    # benchmarks/alloy_verdict.py --starts and by kmc meso's press (the foil's long-wavelength waviness).
    "foil": {
        "preparation": Key(str, REQUIRED, bool, "how the foil was made (text, e.g. 'rolled by hand with a steel rod')"),
        # the foil discs' thickness tolerance and diameter: the waviness of the face at long wavelengths
        "thickness_tolerance_um": Key(F, REQUIRED, lambda x: 0 <= x <= 1e3, "0 <= tolerance <= 1000 um"),
        "disc_diameter_um": Key(F, REQUIRED, lambda x: 1 <= x <= 1e6, "1 <= diameter <= 1e6 um"),
        "roughness_hurst": Key(F, REQUIRED, lambda x: 0 < x < 1, "0 < Hurst exponent < 1"),
        "grain_size_um": Key(F, REQUIRED, lambda x: 1e-3 <= x <= 1e4, "1e-3 <= grain size <= 1e4 um"),
        "native_film_nm": Key(F, REQUIRED, lambda x: 0 <= x <= 1e4, "0 <= thickness <= 1e4 nm"),
        "inclusions_per_mm3": Key(F, REQUIRED, lambda x: 0 <= x <= 1e9, "0 <= density <= 1e9 per mm^3"),
        "inclusion_diameter_um": Key(F, REQUIRED, lambda x: 0 <= x <= 1e3, "0 <= diameter <= 1000 um"),
    },
    # Where the vacancies stripping makes at the contact go (`kmc rates --write-contact` writes the rows;
    # kmc.physics.contact_vacancy names each record, its unit and clock, and reads them; docs/alloy.md section 6).
    # One row per composition of the metal just below the contact; each record has its one-standard-error twin.
    "contact_vacancy": {
        "subsurface_solute_fraction": Key(list, [], lambda v: _finite_numbers(v) and all(0 <= x <= 1 for x in v)
                                          and all(b > a for a, b in zip(v, v[1:])),
                                          "a list of solute fractions in [0, 1], rising"),
        **{name: Key(list, [], lambda v: _finite_numbers(v) and all(x >= 0 for x in v), "a list of numbers >= 0")
           for record in ("collection_length_nm", "escape_time_s", "l1_solute_fraction")
           for name in (record, record + "_error")},
        # the supersaturation the rows were measured at, and the prefactor of the box's hops (escape_time_s's clock)
        "supersaturation": Key(F, REQUIRED, lambda x: 1 <= x <= 1e6, "1 <= S <= 1e6"),
        "hop_prefactor_Hz": Key(F, REQUIRED, lambda x: 0 < x <= 1e20, "0 < prefactor <= 1e20 Hz"),
    },
    # The interface at the cell's scale, read only by `kmc meso` (kmc.cell, docs/meso.md); the
    # rest of its inputs are the sections above.  Physics keys are required once [meso] is there
    # (params/*.toml give each one's source and error); the numerics have defaults.
    "meso": {
        # which model of the interface kmc meso runs (docs/meso.md; kmc.launch.CELL_MODELS): the gap model,
        # the gap as a field on the electrode's creep mechanics (kmc.resolved, docs/mechanics.md), over a
        # "section" (a line of cells) or an "area" (a plane of cells, meso.depth_um deep: docs/area.md), or
        # "disc", cap-shaped voids on a periodic square with a closure formula (kmc.disc.voids).  A file
        # written when the gap model had the one name "resolved" is read as "section", or as "area" with
        # meso.depth_um > 0; a depth given with no model named is the area (kmc.config)
        "interface": Key(str, "section", lambda v: v in ("section", "area", "disc"), "'section', 'area' or 'disc'"),
        # side of the periodic square of interface (um), or the resolved section's length; seed 004
        # images 160 um of section
        "width_um": Key(F, 160.0, lambda x: 10 <= x <= 1e4, "10 <= width_um <= 10000 um"),
        # the area's depth across the section (um; meso.interface = "area", kmc.resolved.area, docs/area.md),
        # periodic like the width; 0 for the section (the area's fast limit, the same physics on a line of
        # cells) and the disc model
        "depth_um": Key(F, 0.0, lambda x: x == 0 or 1 <= x <= 1e4, "0 (the section) or 1 <= depth_um <= 10000 um"),
        # pre-existing void seeds at the interface (pores, pits): density and base radius
        "defect_density_per_um2": Key(F, REQUIRED, lambda x: 0 <= x <= 10, "0 <= density <= 10 per um^2"),
        "defect_radius_um": Key(F, REQUIRED, lambda x: 1e-3 <= x <= 10, "1e-3 <= radius <= 10 um"),
        # I(S) = prefactor exp(-dG*(S)/kT), classical heterogeneous nucleation of an interface void
        "nucleation_prefactor_per_um2_s": Key(F, REQUIRED, lambda x: 0 <= x <= 1e25,
                                              "0 <= prefactor <= 1e25 per um^2 per s (0: no nucleation)"),
        # I(S) measured by the kMC (`kmc rates`, docs/rates.md): rows (S, I) that replace the
        # classical I(S) above when given; log-log interpolation between rows (kmc.physics.nucleation.measured_rate)
        "nucleation_rate_S": Key(list, [], lambda v: _finite_numbers(v) and all(x > 1 for x in v)
                                 and all(b > a for a, b in zip(v, v[1:])),
                                 "a list of supersaturations > 1, rising"),
        "nucleation_rate_per_um2_s": Key(list, [], lambda v: _finite_numbers(v) and all(0 < x <= 1e25 for x in v),
                                         "a list of rates 0 < I <= 1e25 per um^2 per s"),
        # the prefactor of the box's hops (kmc.model.box_hop_prefactor_Hz) with which those rows were
        # measured: kmc meso scales them to the set's own (kmc.physics.nucleation.rate_at_hop_prefactor)
        "nucleation_rate_hop_prefactor_Hz": Key(F, REQUIRED, lambda x: 0 < x <= 1e20, "0 < prefactor <= 1e20 Hz"),
        # how a void takes what it captures: "cap" keeps the equilibrium cap (surface diffusion
        # infinitely fast), "kinetic" grows at its rim and relaxes toward the cap at the Mullins
        # rate of surface_diffusivity_cm2_s; docs/meso.md
        "void_shape": Key(str, REQUIRED, lambda v: v in ("cap", "kinetic"), "'cap' or 'kinetic'"),
        # surface self-diffusivity on the void's walls: relaxes a kinetic void toward the cap
        "surface_diffusivity_cm2_s": Key(F, REQUIRED, lambda x: 0 <= x <= 1, "0 <= D_s <= 1 cm^2/s (0: none)"),
        # The assembly before stripping (kmc.resolved.assembly, docs/mechanics.md section 5a): the foil
        # pressed onto the electrolyte's face at assembly_pressure_MPa for assembly_time_s, the face a
        # self-affine line of this RMS over the section and Hurst exponent (the envelope of the pellet's
        # particle tops) less the open pores of [electrolyte]; read by the resolved interface only (the
        # disc model starts in full contact).  assembly_pressure_MPa = 0, or an RMS of 0 with
        # electrolyte.relative_density = 1 (no pores): no press, the run starts in full contact.
        "assembly_pressure_MPa": Key(F, REQUIRED, lambda x: 0 <= x <= 1000, "0 <= pressure <= 1000 MPa (0: no press)"),
        "assembly_time_s": Key(F, REQUIRED, lambda x: 0 <= x <= 1e6, "0 <= time <= 1e6 s"),
        "electrolyte_roughness_rms_um": Key(F, REQUIRED, lambda x: 0 <= x <= 10, "0 <= RMS <= 10 um (0: a flat face)"),
        "electrolyte_roughness_hurst": Key(F, REQUIRED, lambda x: 0 < x < 1, "0 < Hurst exponent < 1"),
        # numerics and counting
        "min_void_width_um": Key(F, 0.5, lambda x: 0 <= x <= 100, "0 <= width <= 100 um (smallest chord counted)"),
        "section_lines": Key(int, 16, lambda x: 1 <= x <= 1000, "1 <= lines <= 1000"),
        "max_step_mAh_cm2": Key(F, 2e-3, lambda x: 0 < x <= 0.1, "0 < step <= 0.1 mAh/cm^2"),
        "output_every_mAh_cm2": Key(F, 0.025, lambda x: 0 < x <= 10, "0 < interval <= 10 mAh/cm^2"),
        "stop_stripped_mAh_cm2": Key(F, 4.0, lambda x: 0 < x <= 100, "0 < charge <= 100 mAh/cm^2"),
        "stop_contact_fraction": Key(F, 0.01, lambda x: 0 <= x < 1, "0 <= contact < 1"),
        # The resolved interface's physics with a switch (docs/mechanics_sensitivity.md).
        # The electrolyte's constriction in the overpotential and the current's focusing on the
        # contact (kmc.resolved.fields.butler_volmer_current; rho = 1/electrolyte_conductivity_mS_cm):
        # "off" makes the electrolyte an equipotential (uniform current over the contact, eta the
        # Butler-Volmer term alone), to show how much of eta is Holm's spreading resistance.
        "electrolyte_constriction": Key(str, "on", lambda v: v in ("on", "off"),
                                        "'on' (the electrolyte's resistance) or 'off' (an equipotential)"),
        # The solute along the interface (kmc.resolved.solute, docs/alloy.md §1): for a set with
        # a solute, "on" follows the solute stripping leaves behind each cell (Mg is never stripped), spread
        # by the model's own D_Mg at the local supersaturation, and lets it act on the local exchange current
        # and Li activity (kmc.physics.alloy: Bazant 2013's Butler-Volmer with the L1 lattice gas of
        # kmc.fit) and on each void's Young angle and surface energy (kmc.energetics' composition
        # table); "off" is the model before the solute field.  No effect without a solute.
        "solute_field": Key(str, "on", lambda v: v in ("on", "off"), "'on' or 'off'"),
        # Solid-solution strengthening of creep at the local composition: no Li-Mg creep law was retrievable
        # (Aspinall et al., Nat. Commun. 15, 4511 (2024) measure creep resistance against Mg content by
        # nanoindentation; its numbers were not found here), so "none" (the [creep] law at every
        # composition) is the default and "labusch_bound" the bound: all of the alloy's flow stress taken as
        # solid-solution strengthening, ~ x^(2/3) (Labusch 1970), so creep at x_s is slower by (x/x_s)^(2n/3).
        "solute_strengthening": Key(str, "none", lambda v: v in ("none", "labusch_bound"),
                                    "'none' or 'labusch_bound'"),
    },
}
# Sections a parameter file may leave out as a whole; once given, their required keys are required.
OPTIONAL_SECTIONS = ("meso", "electrolyte", "pore_edge", "flow", "contact_vacancy", "foil")


# [fit] of a parameter file: the numbers `kmc params show FILE --fit` compares the model with
# (kmc.fit), one row per quantity, each with its source.  Not run configuration: no run reads
# them, so they stay out of Settings.to_dict(), run files, checkpoints and sweep identities
# (editing a source note must not rename, reseed or block the resume of a run).
FIT_KINDS = ("target", "check")
FIT_ROW_KEYS: dict[str, Key] = {
    "name": Key(str, REQUIRED, bool, "a quantity that kmc.fit computes (an unknown one is refused with the list)"),
    "value": Key(F, REQUIRED, None, "a finite number"),
    "unit": Key(str, REQUIRED, bool, "the quantity's unit ('eV', 'J/m^2' or 'deg')"),
    "source": Key(str, REQUIRED, bool, "where the number comes from (paper, table, derivation)"),
    # "check": shown beside the model's value but not fitted: a number built from other rows (seed
    # 004's D_Mg is computed from E_f = 0.50 and the 0.102 eV hop) or a prediction of the model
    "kind": Key(str, "target", lambda v: v in FIT_KINDS,
                "'target' (the parameters are fitted to it) or 'check' (shown, not fitted)"),
}


# Keys of parameter files written before species were data, which named Li and Mg in the keys.
# They keep working: each is read as its host/solute key, with [species] Li and Mg.
LEGACY_KEYS = {
    "composition.mg_fraction": "composition.solute_fraction",
    "energy.li_li_bond_eV": "energy.host_host_bond_eV",
    "energy.li_mg_bond_eV": "energy.host_solute_bond_eV",
    "energy.mg_mg_bond_eV": "energy.solute_solute_bond_eV",
    "energy.adhesion_li_eV": "energy.adhesion_host_eV",
    "energy.adhesion_mg_eV": "energy.adhesion_solute_eV",
    "energy.interface_mg_vacancy_eV": "energy.interface_solute_vacancy_eV",
    "kinetics.kra_li_eV": "kinetics.kra_host_eV",
    "kinetics.kra_li_near_mg_eV": "kinetics.kra_host_near_solute_eV",
    "kinetics.kra_mg_eV": "kinetics.kra_solute_eV",
}


# Keys that were removed because their physics changed: a file or --set that still names one is
# refused with what replaced it (a translation would silently change the model).
# meso.ligament_* (Xu's pillar law on every island and pore, docs/mechanics.md §5b) moved to [flow] (§10): Li's strength
# at the interface's scale is the flow law's (kmc.physics.flow); the pillar law is flow.pillar_*, for free-standing Li
LIGAMENT_KEYS_MOVED = {
    "ligament_strength_MPa": "pillar_strength_MPa", "ligament_strength_temperature_K": "pillar_strength_temperature_K",
    "ligament_reference_width_um": "pillar_reference_size_um", "ligament_strength_exponent": "pillar_strength_exponent",
    "ligament_strength_hot_MPa": "pillar_hot_strength_MPa", "ligament_strength_hot_K": "pillar_hot_K",
    "ligament_strength_hot_exponent": "pillar_hot_exponent", "ligament_strain_rate_per_s": "pillar_strain_rate_per_s"}
REMOVED_KEYS = {
    **{f"meso.{old}": (
        f"removed because Li's strength at the interface's scale is now the flow law of [flow] (kmc.physics.flow, "
        f"docs/mechanics.md section 10); Xu's pillar law is flow.{new}, used for free-standing features; allowed: "
        f"flow.{new}, and flow.interface_features = 'free_standing' for the islands and pores of before (meso."
        f"ligament_strength_MPa = 0, bulk creep: flow.strain_gradient_length_um = 0 and flow.onset_hardness_MPa = 0)")
       for old, new in LIGAMENT_KEYS_MOVED.items()},
    "meso.wetting_angle_deg": (
        "removed: the meso voids' wetting angle now comes from the energy model, W_ad and gamma of the [energy] "
        "form at the interface's equilibrium L1 composition (kmc.energetics.interface_energetics: Li 93.6 deg, "
        "Li0.97Mg0.03 58.4 deg), as the kMC's own voids do; allowed: delete meso.wetting_angle_deg"),
    "creep.refill_length_nm": (
        "removed: creep no longer refills every interface void site at eps_dot x refill_length / layer "
        "whatever the void's size; each interface void now closes at the velocity kappa eps_dot(P / contact) w "
        "set by its own width w, with no length to choose; allowed: delete refill_length_nm and set "
        "creep.closure_coefficient (kappa, dimensionless; 0.3183 = 1/pi, the shipped value, derived for a flat "
        "circular void in params/li_li2s.toml)"),
}
