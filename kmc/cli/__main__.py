"""``python -m kmc.cli``: the ``kmc`` command."""
from kmc.cli import main

main()
