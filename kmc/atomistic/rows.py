"""The rows: seed 004's own (to measure the method against) and the new ones, each a named
combination of relaxed total energies.

Sign conventions: a vacancy formation energy is E(with vacancy) + mu_Li - E(without); a move or
fill row is E(final) - E(initial); a binding energy is positive when the pair is bound; an
interaction is E(pair at d) - E(pair far apart), negative = attraction.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import pipeline, structures as st

EV_PER_A2_TO_J_PER_M2 = 16.0217663  # 1 eV/A^2 = 16.02 J/m^2
N_LI = 5          # 5x5 Li(001) on 3x3 Li2S(001)
LI_LAYERS = 5
BULK_REPEAT = 4   # 128-atom BCC Li


def key_of(config: dict) -> str:
    return ",".join(f"{'.'.join(map(str, s))}={v}" for s, v in sorted(config.items(), key=str)) or "pure"


def L(layer, i, j):
    return ("L", layer, i % N_LI, j % N_LI)


class Lab:
    """Lattice constants, chemical potential and relaxed energies, all through one cache."""

    def __init__(self, cache: pipeline.EnergyCache | None = None, log=print, li_layers=LI_LAYERS,
                 termination="Li", cache_only=False):
        self.cache = cache or pipeline.EnergyCache()
        self.cache_only = cache_only
        self.log = log
        self.li_layers = li_layers
        self.termination = termination

    def _energy(self, key, build, cell=False):
        """Relaxed energy by key; cache_only labs never relax (NotComputed instead)."""
        return pipeline.relaxed_energy(self.cache, key, None if self.cache_only else build, cell=cell,
                                       log=self.log)

    def _cell_relaxed(self, key, build):
        self._energy(key, build, cell=True)
        return self.cache.get(pipeline.cache_key(key, pipeline.FMAX_EV_PER_ANGSTROM, cell=True))

    @property
    def a_li(self):
        from ase.build import bulk
        return self._cell_relaxed("bulkLi-cell", lambda: bulk("Li", "bcc", a=3.44, cubic=True))["cell"][0][0]

    @property
    def mu_li(self):
        from ase.build import bulk
        hit = self._cell_relaxed("bulkLi-cell", lambda: bulk("Li", "bcc", a=3.44, cubic=True))
        return hit["energy_eV"] / hit["natoms"]

    @property
    def a_li2s(self):
        from ase.build import bulk
        return self._cell_relaxed("bulkLi2S-cell",
                                  lambda: bulk("Li2S", "fluorite", a=5.70, cubic=True))["cell"][0][0]

    # --- bulk Li -------------------------------------------------------------------------------
    def bulk_structure(self):
        return st.bulk_li(self.a_li, BULK_REPEAT)

    def bulk(self, config: dict):
        structure = self.bulk_structure()
        return self._energy(f"bulk{BULK_REPEAT}:{key_of(config)}", lambda: structure.configure(config))

    def bulk_site(self, offset):
        return st.bulk_site_at(self.bulk_structure(), offset)

    # --- the interface -------------------------------------------------------------------------
    def interface_structure(self, **parts):
        return st.interface(self.a_li2s, n_li=N_LI, li_layers=self.li_layers, termination=self.termination,
                            **parts)

    def _prefix(self):
        return f"int{N_LI}x{N_LI}L{self.li_layers}S2{self.termination}term"

    def interface(self, config: dict):
        """Relaxed energy of the interface with config applied, relaxed from the relaxed pure
        interface's positions (so that every defect starts from the same relaxed host)."""
        structure = self.interface_structure()
        pure_key = f"{self._prefix()}:pure"
        if config:
            self.interface({})
            start = pipeline.cached_positions(self.cache, pure_key)
        else:
            start = None
        return self._energy(f"{self._prefix()}:{key_of(config)}", lambda: structure.configure(config, start))

    def half(self, which):
        parts = {"metal": dict(with_electrolyte=False), "electrolyte": dict(with_metal=False)}[which]
        structure = self.interface_structure(**parts)
        return self._energy(f"{self._prefix()}:{which}-only", lambda: structure.configure({}))

    def area_A2(self):
        return (3 * self.a_li2s) ** 2

    def li_slab(self, miller, layers=12):
        structure = st.li_slab(self.a_li, 1, layers, miller)
        energy = self._energy(f"slab{miller}x{layers}", lambda: structure.configure({}))
        cell = structure.atoms.cell
        return energy, len(structure.atoms), float(np.linalg.norm(np.cross(cell[0], cell[1])))


# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    name: str
    group: str            # "seed" (reproduces a seed 004 row) or "new"
    unit: str
    description: str
    structure: str
    compute: Callable
    seed_value: float | None = None


def _ef_bulk(lab):
    return lab.bulk({("B", 0, 0, 0, 0): "X"}) + lab.mu_li - lab.bulk({})


def _ef_interface(lab, config_with_vacancy, config_without):
    return lab.interface(config_with_vacancy) + lab.mu_li - lab.interface(config_without)


def _delta(lab, final, initial):
    return lab.interface(final) - lab.interface(initial)


def _bulk_sub(lab):
    """E(Li127Mg) - E(Li128): the bulk reference of a Li -> Mg substitution."""
    return lab.bulk({("B", 0, 0, 0, 0): "Mg"}) - lab.bulk({})


def _segregation(lab, count):
    """Average segregation energy per Mg of `count` Mg in L1 (spread evenly) against the same Mg
    dissolved in bulk Li: [E(L1 with count Mg) - E(pure) - count*(E(Li127Mg) - E(Li128))]/count."""
    config = {s: "Mg" for s in st.spread_sites(N_LI, count)}
    return (lab.interface(config) - lab.interface({}) - count * _bulk_sub(lab)) / count


def _mg_rich_l1(lab):
    return {L(1, i, j): "Mg" for i, j in itertools.product(range(N_LI), repeat=2) if (i, j) != (2, 2)}


def _bulk_divacancy(lab, offset):
    a = lab.a_li
    v1, v2 = ("B", 0, 0, 0, 0), lab.bulk_site(np.asarray(offset) * a)
    return 2 * lab.bulk({v1: "X"}) - lab.bulk({v1: "X", v2: "X"}) - lab.bulk({})


def _interface_divacancy(lab, s1, s2):
    return (lab.interface({s1: "X"}) + lab.interface({s2: "X"}) - lab.interface({s1: "X", s2: "X"})
            - lab.interface({}))


def _gamma(lab, miller):
    energy, natoms, area = lab.li_slab(miller)
    return (energy - natoms * lab.mu_li) / (2 * area) * EV_PER_A2_TO_J_PER_M2


def _w_ad(lab):
    return ((lab.half("metal") + lab.half("electrolyte") - lab.interface({})) / lab.area_A2()
            * EV_PER_A2_TO_J_PER_M2)


INTERFACE = ("Li(001) 5x5, 5 layers (L1..L5, L5 free) on Li2S(001) 3x3 conventional, 2 S planes, a full "
             "Li plane facing the metal, bottom S+Li planes fixed; 233 atoms; kmc.atomistic.structures.interface")
BULK = "BCC Li 4x4x4 conventional (128 sites), CHGNet lattice constant, positions relaxed"

MG_L2 = {L(2, 2, 2): "Mg"}
MG_L1 = {L(1, 2, 2): "Mg"}

ROWS = [
    # ---- seed 004's own rows -----------------------------------------------------------------
    Row("ef_bulk", "seed", "eV", "Li vacancy formation energy, bulk Li", BULK, _ef_bulk, 0.50),
    Row("ef_L1", "seed", "eV", "Li vacancy formation energy in L1, Li/Li2S", INTERFACE,
        lambda lab: _ef_interface(lab, {L(1, 2, 2): "X"}, {}), 0.28),
    Row("L1_to_L2", "seed", "eV", "L1 vacancy filled by an L2 Li (vacancy moves L1 -> L2), pure Li",
        INTERFACE, lambda lab: _delta(lab, {L(2, 2, 2): "X"}, {L(1, 2, 2): "X"}), 0.15),
    Row("mg_li_fill", "seed", "eV",
        "L1 vacancy next to an L2 Mg (1st neighbour) filled by another L2 Li; final Mg-vacancy in-plane a",
        INTERFACE, lambda lab: _delta(lab, {**MG_L2, L(2, 1, 2): "X"}, {**MG_L2, L(1, 2, 2): "X"}), -0.16),
    Row("mg_fill_direct", "seed", "eV",
        "same L1 vacancy filled by the L2 Mg itself (direct hop; vacancy left at the Mg's old L2 site)",
        INTERFACE, lambda lab: _delta(lab, {**MG_L1, L(2, 2, 2): "X"}, {**MG_L2, L(1, 2, 2): "X"}), -0.67),
    Row("mg_fill_vac_L1_2a", "seed", "eV",
        "as mg_fill_direct, final vacancy read in L1 at 2a from the Mg (one reading of the 7.2 A)",
        INTERFACE, lambda lab: _delta(lab, {**MG_L1, L(1, 0, 2): "X"}, {**MG_L2, L(1, 2, 2): "X"}), -0.67),
    Row("mg_fill_vac_L3", "seed", "eV",
        "as mg_fill_direct, final vacancy read in L3 far from the Mg (the 'L3 or bulk' reading)",
        INTERFACE, lambda lab: _delta(lab, {**MG_L1, L(3, 0, 0): "X"}, {**MG_L2, L(1, 2, 2): "X"}), -0.67),
    Row("mg_far_li_fill", "seed", "eV",
        "L1 vacancy at a*sqrt2 (4.8 A) from an L1 Mg, filled by an adjacent L2 Li (away from the Mg)",
        INTERFACE, lambda lab: _delta(lab, {**MG_L1, L(2, 3, 3): "X"}, {**MG_L1, L(1, 3, 3): "X"}), 0.13),
    Row("ef_bulk_mg_1nn", "seed", "eV", "bulk vacancy formation with an Mg first neighbour", BULK,
        lambda lab: (lab.bulk({("B", 0, 0, 0, 0): "Mg", ("B", 0, 0, 0, 1): "X"}) + lab.mu_li
                     - lab.bulk({("B", 0, 0, 0, 0): "Mg"})), 0.53),
    Row("ef_bulk_mg_3nn", "seed", "eV", "bulk vacancy formation with an Mg third neighbour (a*sqrt2)", BULK,
        lambda lab: (lab.bulk({("B", 0, 0, 0, 0): "Mg", lab.bulk_site((lab.a_li, lab.a_li, 0)): "X"})
                     + lab.mu_li - lab.bulk({("B", 0, 0, 0, 0): "Mg"})), 0.50),
    Row("w_ad", "seed", "J/m2", "work of adhesion Li/Li2S: (E_metal + E_Li2S - E_interface)/A", INTERFACE,
        _w_ad, 0.39),
    Row("gamma_001", "seed", "J/m2", "Li(001) surface energy (seed: 0.416 from W_ad and 93.6 deg, Young-Dupre)",
        "BCC Li (001) 1x1, 12 layers, both faces free", lambda lab: _gamma(lab, "001"), 0.416),
    # ---- new rows, most decisive first ---------------------------------------------------------
    Row("q_L2vac_under_L1Mg", "new", "eV",
        "L2 vacancy first-neighbouring an L1 Mg, minus the same vacancy far (2.5a) from it "
        "(symmetric q predicts ~+0.30; an L1-vacancy/L2-Mg-only term predicts ~0)", INTERFACE,
        lambda lab: _delta(lab, {**MG_L1, L(2, 2, 2): "X"}, {**MG_L1, L(2, 4, 4): "X"})),
    Row("q_L1vac_over_L2Mg", "new", "eV",
        "L1 vacancy first-neighbouring an L2 Mg, minus the same vacancy far (2.5a) from it", INTERFACE,
        lambda lab: _delta(lab, {**MG_L2, L(1, 2, 2): "X"}, {**MG_L2, L(1, 0, 0): "X"})),
    Row("L1_to_L2_mg_rich", "new", "eV",
        "L1 24/25 Mg: its one L1 vacancy filled by the L2 Li below (bringing L2 Li up to the electrolyte)",
        INTERFACE, lambda lab: _delta(lab, {**_mg_rich_l1(lab), L(2, 2, 2): "X"},
                                      {**_mg_rich_l1(lab), L(1, 2, 2): "X"})),
    Row("ef_L1_last_li_mg_rich", "new", "eV",
        "vacancy formation at the last L1 Li of a 24/25 Mg L1 (stripping it), cf. ef_L1", INTERFACE,
        lambda lab: _ef_interface(lab, {**_mg_rich_l1(lab), L(1, 2, 2): "X"}, _mg_rich_l1(lab))),
    Row("seg_L1_single", "new", "eV", "one Mg in L1 (1/25) against Mg dissolved in bulk Li (Li127Mg)",
        INTERFACE, lambda lab: _segregation(lab, 1)),
    Row("seg_L3_single", "new", "eV", "one Mg in L3 against bulk (checks the slab's bulk-likeness)",
        INTERFACE, lambda lab: lab.interface({L(3, 2, 2): "Mg"}) - lab.interface({}) - _bulk_sub(lab)),
    Row("seg_L1_6of25", "new", "eV", "average segregation energy per Mg, 6/25 of L1 Mg", INTERFACE,
        lambda lab: _segregation(lab, 6)),
    Row("seg_L1_12of25", "new", "eV", "average segregation energy per Mg, 12/25 of L1 Mg", INTERFACE,
        lambda lab: _segregation(lab, 12)),
    Row("seg_L1_19of25", "new", "eV", "average segregation energy per Mg, 19/25 of L1 Mg", INTERFACE,
        lambda lab: _segregation(lab, 19)),
    Row("seg_L1_full", "new", "eV", "average segregation energy per Mg, full Mg L1 (25/25)", INTERFACE,
        lambda lab: _segregation(lab, 25)),
    Row("mgmg_L1_a", "new", "eV", "two L1 Mg at in-plane a (1st in-plane neighbours) vs at 2a*sqrt2",
        INTERFACE, lambda lab: _delta(lab, {L(1, 2, 2): "Mg", L(1, 3, 2): "Mg"},
                                      {L(1, 2, 2): "Mg", L(1, 0, 0): "Mg"})),
    Row("mgmg_L1_a_sqrt2", "new", "eV", "two L1 Mg at in-plane a*sqrt2 (2nd in-plane neighbours) vs at 2a*sqrt2",
        INTERFACE, lambda lab: _delta(lab, {L(1, 2, 2): "Mg", L(1, 3, 3): "Mg"},
                                      {L(1, 2, 2): "Mg", L(1, 0, 0): "Mg"})),
    Row("divac_bulk_1nn", "new", "eV", "bulk divacancy binding, first neighbours (positive = bound)", BULK,
        lambda lab: _bulk_divacancy(lab, (0.5, 0.5, 0.5))),
    Row("divac_bulk_2nn", "new", "eV", "bulk divacancy binding, second neighbours (a)", BULK,
        lambda lab: _bulk_divacancy(lab, (1.0, 0, 0))),
    Row("divac_L1_a", "new", "eV", "L1 vacancy pair binding, in-plane a (positive = bound)", INTERFACE,
        lambda lab: _interface_divacancy(lab, L(1, 2, 2), L(1, 3, 2))),
    Row("divac_L1_L2_1nn", "new", "eV", "L1-L2 first-neighbour vacancy pair binding", INTERFACE,
        lambda lab: _interface_divacancy(lab, L(1, 2, 2), L(2, 2, 2))),
    Row("gamma_110", "new", "J/m2", "Li(110) surface energy", "BCC Li (110) 1x1, 12 layers, both faces free",
        lambda lab: _gamma(lab, "110")),
]
BY_NAME = {row.name: row for row in ROWS}


# ------------------------------------------------------------------------------------------------
# Uncertainties.  The method's error on a kind of row is measured on the seed rows of that kind
# (the residual table), and carried to the new rows of the same kind:
#   configuration differences at the interface (vacancy or Mg moved between sites of one cell):
#     RMS residual of the seed's unambiguous difference rows, DIFFERENCE_CHECKS;
#   bulk binding energies: the relative residual of the bulk vacancy formation energy times |value|;
#   surface energies: the relative residual of gamma(001) times the value.
# Readings of the -0.67 row are not in DIFFERENCE_CHECKS: which final state it means is itself
# in question (docs/interface_energies.md).
DIFFERENCE_CHECKS = ("L1_to_L2", "mg_li_fill", "mg_far_li_fill")
UNCERTAINTY_KIND = {
    "q_L2vac_under_L1Mg": "difference", "q_L1vac_over_L2Mg": "difference", "L1_to_L2_mg_rich": "difference",
    "ef_L1_last_li_mg_rich": "difference", "seg_L1_single": "difference", "seg_L3_single": "difference",
    "seg_L1_6of25": "difference", "seg_L1_12of25": "difference", "seg_L1_19of25": "difference",
    "seg_L1_full": "difference", "mgmg_L1_a": "difference", "mgmg_L1_a_sqrt2": "difference",
    "divac_L1_a": "difference", "divac_L1_L2_1nn": "difference",
    "divac_bulk_1nn": "bulk", "divac_bulk_2nn": "bulk", "gamma_110": "surface",
}


# Relaxation tolerance (fmax 0.03 eV/A): the 128-atom bulk cell relaxed from the ideal and from a
# displaced start ends 0.014 eV apart; 0.02 eV is added in quadrature to every eV row.
NUMERICAL_EV = 0.02


def uncertainty(name: str, values: dict, other_termination: dict | None = None) -> tuple:
    """(uncertainty, how) for a row; see the comment above DIFFERENCE_CHECKS."""
    error, how = _uncertainty(name, values, other_termination)
    if BY_NAME[name].unit == "eV" and UNCERTAINTY_KIND.get(name):
        return float(np.hypot(error, NUMERICAL_EV)), how + " (+) 0.02 eV relaxation tolerance"
    return error, how


def _uncertainty(name: str, values: dict, other_termination: dict | None = None) -> tuple:
    """(uncertainty, how it was obtained) for a row, from the seed rows' residuals in values; for
    interface rows also computed on the other termination, their difference added in quadrature
    (the seed does not say which face of Li2S it used)."""
    kind = UNCERTAINTY_KIND.get(name)
    row = BY_NAME[name]
    if kind is None:
        return abs(values[name] - row.seed_value), "seed row: the residual itself"
    if kind == "difference":
        residuals = [values[n] - BY_NAME[n].seed_value for n in DIFFERENCE_CHECKS if n in values]
        method = float(np.sqrt(np.mean(np.square(residuals))))
        how = f"RMS residual of the seed's interface difference rows {', '.join(DIFFERENCE_CHECKS)}"
        if other_termination and name in other_termination:
            spread = abs(values[name] - other_termination[name])
            return float(np.hypot(method, spread)), how + " (+) |Li- minus S-terminated value|"
        return method, how
    if kind == "bulk":
        relative = abs(values["ef_bulk"] - BY_NAME["ef_bulk"].seed_value) / BY_NAME["ef_bulk"].seed_value
        return abs(values[name]) * relative, "|value| x relative residual of ef_bulk"
    relative = abs(values["gamma_001"] - BY_NAME["gamma_001"].seed_value) / BY_NAME["gamma_001"].seed_value
    return abs(values[name]) * relative, "value x relative residual of gamma_001"
