"""``kmc plot``: the click command (the work is done in kmc.plot)."""
from kmc.plot import plot  # noqa: F401
