"""Numbers computed with a universal interatomic potential (docs/interface_energies.md, docs/vacancy_thermodynamics.md).

An optional layer: it needs the `atomistic` extra (torch, chgnet, ase) and nothing else in kmc
imports it.
- Interface energies: structures (ASE builders) -> pipeline (relaxed energy, cached) ->
  rows (named energy differences) -> `python -m kmc.atomistic ROW|--all`; the numbers live in rows.toml.
- Vacancies at finite temperature: harmonic (force constants, normal modes, formation
  entropy, Vineyard attempt frequency; numpy only) -> vacancy_thermo (BCC Li states and their modes
  with CHGNet, cached; `python -m kmc.atomistic.vacancy_thermo`; summary in vacancy_thermo.toml) ->
  self_diffusion (the tracer D*(T) of a set of inputs beside docs/data/measured_diffusion.toml;
  numpy only).  docs/vacancy_thermodynamics.md reports them.
"""
