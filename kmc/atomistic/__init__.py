"""Interface energies computed with a universal interatomic potential (issue 39).

An optional layer: it needs the `atomistic` extra (torch, chgnet, ase) and nothing else in kmc
imports it.  structures (ASE builders) -> pipeline (relaxed energy, cached) -> rows (named energy
differences) -> `python -m kmc.atomistic ROW|--all`; the numbers live in rows.toml.
"""
