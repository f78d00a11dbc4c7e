"""The pellet's pore of a run file (kmc.pore): which L1 sites of its box have no electrolyte above them,
from the configuration the file records.  Read by the void analysis (the pore's mouth apart from the
voids) and by the figures; imports nothing of kmc.analysis."""
from __future__ import annotations

import tomllib


def run_pore(run):
    """(kmc.pore.BoxPore, its Lattice) of an open kMC run file (kmc.runfile.RunFile), or (None, None)
    without a pore (also for files written before the pore, whose configuration has no [electrolyte]
    table)."""
    from kmc.config import settings_from_dict
    from kmc.model import build_lattice
    from kmc.pore import box_pore
    settings = settings_from_dict(tomllib.loads(run.config_toml()))
    lattice = build_lattice(settings)
    pore = box_pore(settings, lattice)
    return (pore, lattice) if pore is not None else (None, None)
