"""The pellet's pore at the kMC box: which sites of the contact layer L1 lie under a pore of the
electrolyte's face instead of under the electrolyte (docs/pore_edge.md).

The solid electrolyte is a cold-pressed pellet, ``electrolyte.relative_density`` dense; its pores are
open at the face, and for isotropic pores the area fraction a plane section cuts through them equals
their volume fraction (stereology, Delesse's principle): the face is open over 1 - relative_density of
its area.  The pores are micrometres wide and the box nanometres, so the box sees one edge of one pore:
``electrolyte.box_pore`` "stripe" is a straight open band across the box (a um pore's rim is straight
on the nm scale; two rims in the periodic box), "pit" a square pit (a rim with corners), "none" the
perfect interface (every L1 site under the electrolyte: the box before its pore).  Either way the
box's open share is the face's, to the nearest whole column of sites, so that the current the box
strips per area of its contact is the cell's mean one, i / relative_density.

An open L1 site has no electrolyte above it: no electrolyte coordination or contact repulsion, no
interface pair terms, its bonds bulk bonds (its metal a free surface of the model's own fitted
energy, kmc.rate_rules.energy_row), no stripping (no electrolyte to take the ion), and it is not
contact (the L1 lists, the contact fraction and creep's contact stress count the sites under the
electrolyte only).  Nothing lies above L1 in the box, so metal may fill an open L1 site but never
rises into the pore beyond the electrolyte's face.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.config import ConfigError, Settings
from kmc.physics.pores import porosity
from lattices import Lattice

BOX_PORE_SHAPES = ("stripe", "pit", "none")


@dataclass(frozen=True)
class BoxPore:
    """The pore's mouth in the box's contact layer."""
    shape: str                       # electrolyte.box_pore
    face_open_fraction: float        # 1 - electrolyte.relative_density: the face's
    l1_open: np.ndarray              # bool per L1 site: no electrolyte above it
    rim_sites: np.ndarray            # L1 sites under the electrolyte next to an open one (in-plane nearest, _in_plane)
    rim_length_A: float              # the rim's length in the box (both rims of a stripe, a pit's perimeter)

    @property
    def open_fraction(self) -> float:
        """The box's open share of L1 (the face's to the nearest whole column of sites)."""
        return float(self.l1_open.mean())

    def describe(self) -> str:
        """One line: the pore's shape, its width and the box's open share against the face's."""
        n_open = int(self.l1_open.sum())
        return (f"{self.shape} pore: {n_open} of {self.l1_open.size} L1 sites open ({100 * self.open_fraction:.1f} %; "
                f"the face's {100 * self.face_open_fraction:.1f} %), rim {self.rim_length_A / 10:.2f} nm")


def box_pore_shape(settings: Settings) -> str:
    """electrolyte.box_pore, "none" for a set without an [electrolyte] table (a file written before
    the box had a pore: the perfect interface it ran with) or a bulk box."""
    try:
        table = settings.electrolyte
    except AttributeError:
        return "none"
    if settings.lattice.geometry != "slab" or porosity(table.relative_density) <= 0:
        return "none"
    return table.box_pore


def _centred_run(values: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask over ``values`` (coordinates of sites on a periodic axis): the round(share x
    columns) consecutive columns (distinct coordinates) nearest the middle, at least one."""
    columns = np.unique(np.round(values, 6))
    n = max(1, int(round(share * columns.size)))
    first = (columns.size - n) // 2
    chosen = columns[first:first + n]
    return np.isin(np.round(values, 6), chosen)


def _in_plane(lattice: Lattice) -> np.ndarray:
    """Each L1 site's nearest L1 neighbours (-1 padded): its first neighbours within L1 where it has any
    ([110]: a sqrt3 / 2 apart), else those a apart ([001], whose first neighbours are all in L2)."""
    spl = lattice.sites_per_layer
    first = lattice.neighbors[:spl]
    within = np.where((first >= 0) & (first < spl), first, -1)
    return within if (within >= 0).any() else lattice.l1_second_neighbors


def _rim_length_A(xy: np.ndarray, l1_open: np.ndarray, box_A: np.ndarray, shape: str) -> float:
    """The boundary of the open columns in the plane: a band across the box has two rims as long as
    the box along them, a pit the perimeter of its open columns (each axis's width: the open columns
    times the box's length over its columns)."""
    if shape == "stripe":
        return 2.0 * float(box_A[1])
    widths = [np.unique(np.round(xy[l1_open, axis], 6)).size * float(box_A[axis])
              / np.unique(np.round(xy[:, axis], 6)).size for axis in (0, 1)]
    return 2.0 * (widths[0] + widths[1])


def perfect_interface(settings: Settings) -> dict:
    """The sections to replace (Settings.replaced) for a parameter set's perfect interface
    (electrolyte.box_pore = 'none'), for a measurement of the contact away from pores; none for a set
    without an [electrolyte] table."""
    return {"electrolyte": {"box_pore": "none"}} if "electrolyte" in settings.to_dict() else {}


def box_pore(settings: Settings, lattice: Lattice) -> BoxPore | None:
    """The pore's mouth of the parameter set in ``lattice``'s L1, or None (the perfect interface)."""
    shape = box_pore_shape(settings)
    if shape == "none":
        return None
    if settings.energy.form != "second_moment":
        raise ConfigError(f"electrolyte.box_pore = {shape!r} with energy.form = {settings.energy.form!r}: the bond "
                          "form's per-layer vacancy terms stand for the electrolyte above every L1 site; allowed: "
                          "electrolyte.box_pore = 'none' with that form, or energy.form = 'second_moment'")
    open_share = porosity(settings.electrolyte.relative_density)
    xy = lattice.positions_of_layers(0, 1)[:, :2]
    if shape == "stripe":
        l1_open = _centred_run(xy[:, 0], open_share)
    else:   # a square pit of the same open share
        side = float(np.sqrt(open_share))
        l1_open = _centred_run(xy[:, 0], side) & _centred_run(xy[:, 1], side)
    if l1_open.all():
        raise ConfigError(f"electrolyte.relative_density = {settings.electrolyte.relative_density:g} leaves no L1 site of "
                          f"this {lattice.cells[0]} x {lattice.cells[1]}-cell box under the electrolyte; allowed: a "
                          "wider box or a denser pellet")
    neighbours = _in_plane(lattice)
    near_open = ((neighbours >= 0) & l1_open[np.maximum(neighbours, 0)]).any(axis=1)
    rim = np.flatnonzero(near_open & ~l1_open)
    return BoxPore(shape, open_share, l1_open, rim, _rim_length_A(xy, l1_open, lattice.box_A, shape))


def open_l1_sites(settings: Settings, lattice: Lattice) -> np.ndarray | None:
    """BoxPore.l1_open of the parameter set, or None for the perfect interface."""
    pore = box_pore(settings, lattice)
    return None if pore is None else pore.l1_open
