"""Lattice geometry for the kMC engine: BCC slabs and periodic boxes (pure numpy)."""
from lattices.bcc import Lattice, build_bcc, ORIENTATIONS

__all__ = ["Lattice", "build_bcc", "ORIENTATIONS"]
