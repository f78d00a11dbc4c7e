"""``kmc sweep``: the click command (the work is done in kmc.sweep)."""
from kmc.sweep import sweep  # noqa: F401
