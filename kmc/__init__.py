"""Kinetic Monte Carlo of vacancies, voids and stripping at Li / solid-electrolyte interfaces."""
__version__ = "0.1.0"
