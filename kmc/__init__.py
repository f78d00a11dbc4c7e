"""Kinetic Monte Carlo of vacancies, voids and stripping at Li / solid-electrolyte interfaces."""
__version__ = "0.1.0"


def load(path, as_xarray=None):
    """Load a run file for analysis (xarray.Dataset if xarray is installed, else a dict)."""
    from kmc.io import load as _load
    return _load(path, as_xarray)
