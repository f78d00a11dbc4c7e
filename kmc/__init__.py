"""Kinetic Monte Carlo of vacancies, voids and stripping at Li / solid-electrolyte interfaces."""
__version__ = "0.1.0"


def run(config, output=None, overrides=(), policy="fresh", progress=False):
    """One kMC run from a parameter file into an HDF5 file, with the acceleration check every run
    makes (kmc.launch.run): ``kmc.run("li_li2s", "runs/out/li.h5", ["run.seed=3"])``."""
    from kmc.launch import run as _run
    return _run(config, output, overrides, policy, progress)


def load(path, as_xarray=None):
    """Load a run file for analysis (xarray.Dataset if xarray is installed, else a dict), with
    what ``kmc analyze`` wrote into it (kmc.analysis.load)."""
    from kmc.analysis import load as _load
    return _load(path, as_xarray)


def load_analysis(path):
    """The void analysis of a run file (written by ``kmc analyze``): per-frame, per-void and
    per-event tables as pandas DataFrames, and the solute profile (frame x layer)."""
    from kmc.analysis import load_analysis as _load_analysis
    return _load_analysis(path)
