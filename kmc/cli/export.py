"""``kmc export``: the click command (the work is done in kmc.export)."""
from kmc.export import export  # noqa: F401
