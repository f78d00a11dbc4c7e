"""Structures of the atomistic rows, built in code with ASE.

Two families:
- bulk BCC Li (cubic supercells) with sites named ("B", i, j, k, basis);
- the Li(001)/Li2S(001) interface slab: Li2S(001) 3x3 conventional cells under a 5x5 Li(001) slab
  (5 Li a_Li = 3 a_Li2S; the Li in-plane lattice is strained to the electrolyte's, 0.9 % with
  CHGNet's lattice constants).  Li2S(001) is two S planes thick; termination says what faces the
  metal: "Li" (default) a full Li plane (S, Li, S, Li from the bottom: metal on a closed cation
  plane), "S" an S plane (Li, S, Li, S: the metal's L1 itself fills the sulphide's cation sites) or
  "Li/2" the half-Li checkerboard on both faces (non-polar; with CHGNet the metal drops into the
  empty half and the slab had not settled after 120 steps, so it is not used).  The bottom two
  planes are fixed.  Metal layers are L1 (touching Li2S) ... Ln (free surface).  Metal sites are named ("L", l, i, j):
  layer l has in-plane positions ((i + s_l/2) a, (j + s_l/2) a) with s_l = (l - 1) mod 2, so the
  L2 sites first-neighbouring L1 site (i, j) are (i-1..i, j-1..j).

A configuration is a mapping {site: "Mg" | "X"} ("X" = vacancy) applied to the pure structure;
positions can be taken from an already relaxed parent so that a defect relaxes from there.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.constraints import FixAtoms

VACANCY = "X"
VACUUM_ANGSTROM = 12.0
# First guesses of the L1 height above the electrolyte's top layer (Li-S in Li2S is 2.44 A, Li-Li
# in the metal 3.0 A, so L1 in the hollows sits ~2 A above either); relaxation sets it.
L1_ABOVE_TOP_ANGSTROM = {"S": 2.3, "Li": 2.0, "Li/2": 2.2}


@dataclass(frozen=True)
class Structure:
    """A pure structure: atoms, one site name per atom, which atoms are fixed."""
    atoms: Atoms
    sites: tuple
    fixed: np.ndarray  # bool per atom

    def configure(self, config: dict, positions: np.ndarray | None = None) -> Atoms:
        """The atoms with config applied ({site: "Mg" | "X"}); positions of the pure (or relaxed
        parent) structure for the atoms that remain."""
        unknown = [s for s in config if s not in self.sites]
        if unknown:
            raise ValueError(f"configuration names sites not in the structure: {unknown[:3]}")
        bad = {v for v in config.values() if v not in ("Mg", "Li", VACANCY)}
        if bad:
            raise ValueError(f"site species {sorted(bad)} not allowed; allowed: Mg, Li, X (vacancy)")
        atoms = self.atoms.copy()
        if positions is not None:
            atoms.positions = positions
        symbols = atoms.get_chemical_symbols()
        keep = []
        for n, site in enumerate(self.sites):
            species = config.get(site)
            if species == VACANCY:
                continue
            if species is not None:
                symbols[n] = species
            keep.append(n)
        atoms.set_chemical_symbols(symbols)
        atoms = atoms[keep]
        atoms.set_constraint(FixAtoms(mask=self.fixed[keep]))
        return atoms


def bulk_li(a_angstrom: float, repeat: int) -> Structure:
    """Cubic BCC Li, repeat^3 conventional cells (2 repeat^3 atoms)."""
    positions, sites = [], []
    for i, j, k in itertools.product(range(repeat), repeat=3):
        for b, shift in enumerate(((0, 0, 0), (0.5, 0.5, 0.5))):
            positions.append((np.array((i, j, k)) + shift) * a_angstrom)
            sites.append(("B", i, j, k, b))
    atoms = Atoms("Li" * len(sites), positions=positions, cell=[repeat * a_angstrom] * 3, pbc=True)
    return Structure(atoms, tuple(sites), np.zeros(len(sites), bool))


def bulk_site_at(structure: Structure, offset_angstrom, origin=("B", 0, 0, 0, 0)) -> tuple:
    """The bulk site nearest origin + offset (minimum image), for naming neighbours by distance."""
    atoms = structure.atoms
    target = atoms.positions[structure.sites.index(origin)] + np.asarray(offset_angstrom, float)
    frac = np.linalg.solve(atoms.cell.T, (atoms.positions - target).T).T
    frac -= np.round(frac)
    distance = np.linalg.norm(frac @ atoms.cell, axis=1)
    return structure.sites[int(np.argmin(distance))]


def li_slab(a_angstrom: float, n_in_plane: int, layers: int, miller: str = "001") -> Structure:
    """A free-standing BCC Li slab (both faces bare) for surface energies: (001) or (110)."""
    from ase.build import bcc100, bcc110
    build = {"001": bcc100, "110": bcc110}[miller]
    # ASE's orthogonal (110) cell holds two atoms per layer in its second direction
    size = (n_in_plane, n_in_plane * (2 if miller == "110" else 1), layers)
    atoms = build("Li", size=size, a=a_angstrom, vacuum=VACUUM_ANGSTROM / 2, orthogonal=True)
    atoms.pbc = True
    sites = tuple(("S", n) for n in range(len(atoms)))
    return Structure(atoms, sites, np.zeros(len(atoms), bool))


def interface(a_li2s_angstrom: float, n_li2s: int = 3, n_li: int = 5, li_layers: int = 5,
              s_layers: int = 2, with_metal: bool = True, with_electrolyte: bool = True,
              termination: str = "Li") -> Structure:
    """The Li(001)/Li2S(001) slab (see the module docstring); either half alone for W_ad."""
    if termination not in L1_ABOVE_TOP_ANGSTROM:
        raise ValueError(f"termination {termination!r} not known; allowed: {sorted(L1_ABOVE_TOP_ANGSTROM)}")
    side = n_li2s * a_li2s_angstrom
    a_li = side / n_li
    quarter = a_li2s_angstrom / 4          # spacing of the Li and S planes along [001]
    symbols, positions, sites, fixed = [], [], [], []
    # Planes from the vacuum side up: ("Li", fraction) with fraction 1 (full) or 0.5 (checkerboard), "S".
    if termination == "Li":
        planes = [("S", 1), ("Li", 1)] * s_layers
    elif termination == "Li/2":
        planes = [("Li", 0.5)] + [("S", 1), ("Li", 1)] * (s_layers - 1) + [("S", 1), ("Li", 0.5)]
    else:
        planes = [("Li", 1), ("S", 1)] * s_layers
    z = 2.0
    for plane, (element, fraction) in enumerate(planes):
        for m, n in itertools.product(range(2 * n_li2s), repeat=2):
            if element == "S":
                if (m + n + plane // 2) % 2:      # fcc S: alternate checkerboards S plane by S plane
                    continue
                xy = (m * a_li2s_angstrom / 2, n * a_li2s_angstrom / 2)
            else:
                if fraction < 1 and (m + n) % 2:
                    continue
                xy = ((m + 0.5) * a_li2s_angstrom / 2, (n + 0.5) * a_li2s_angstrom / 2)
            if with_electrolyte:
                symbols.append(element)
                positions.append((*xy, z))
                sites.append(("E", element, plane, m, n))
                fixed.append(plane < 2)
        top_electrolyte = z
        z += quarter
    if with_metal:
        for layer in range(1, li_layers + 1):
            shift = 0.5 * ((layer - 1) % 2)
            height = top_electrolyte + L1_ABOVE_TOP_ANGSTROM[termination] + (layer - 1) * a_li / 2
            for i, j in itertools.product(range(n_li), repeat=2):
                symbols.append("Li")
                positions.append(((i + shift) * a_li, (j + shift) * a_li, height))
                sites.append(("L", layer, i, j))
                fixed.append(False)
        top = height
    else:
        top = top_electrolyte
    atoms = Atoms(symbols, positions=positions, cell=[side, side, top + VACUUM_ANGSTROM], pbc=True)
    return Structure(atoms, tuple(sites), np.array(fixed, bool))


def metal_site_distance(structure: Structure, site_a: tuple, site_b: tuple) -> float:
    """Minimum-image distance (A) between two sites of the unrelaxed structure."""
    atoms = structure.atoms
    return float(atoms.get_distance(structure.sites.index(site_a), structure.sites.index(site_b), mic=True))


def spread_sites(n_li: int, count: int) -> list:
    """count L1 sites of an n_li x n_li layer chosen by greedy farthest-point sampling from (0, 0)
    (periodic), ties broken by site order: the most even coverage of a given number of Mg."""
    cells = list(itertools.product(range(n_li), repeat=2))

    def dist2(p, q):
        d = [min(abs(p[k] - q[k]), n_li - abs(p[k] - q[k])) for k in (0, 1)]
        return d[0] ** 2 + d[1] ** 2

    chosen = [cells[0]]
    while len(chosen) < count:
        best = max((c for c in cells if c not in chosen), key=lambda c: min(dist2(c, p) for p in chosen))
        chosen.append(best)
    return [("L", 1, i, j) for i, j in chosen]
