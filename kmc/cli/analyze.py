"""``kmc analyze``: the click command (the work is done in kmc.analysis)."""
from kmc.analysis import analyze  # noqa: F401
