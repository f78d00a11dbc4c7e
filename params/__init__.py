"""The shipped parameter sets.  This folder is installed as the package ``kmc.params`` (see
pyproject.toml), so ``kmc run li_li2s`` finds them after any install, from any folder; read them
with ``kmc.cli.params.shipped_params()`` (importlib.resources), not through this file's path."""
