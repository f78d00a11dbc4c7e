"""``RunFile``: a read-only view of an open run file for the readers that draw, export, analyse and
tabulate (kmc.plot, kmc.export, kmc.analysis, kmc.sweep): named accessors instead of HDF5 paths,
so that only this package knows the layout."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from kmc.runfile.layout import KIND_MESO, dataset_in, file_kind, open_hdf5, stored_name
from kmc.runfile.readers import _text, read_series


class RunFile:
    """An open run file of either kind (``open_run_file``); every method reads from it now."""

    def __init__(self, f, path):
        self._f = f
        self.path = path

    # -- what the file is
    @property
    def kind(self) -> str:
        """'kmc' or 'meso' (kmc.runfile.KIND_*)."""
        return file_kind(self._f)

    @property
    def is_meso(self) -> bool:
        return self.kind == KIND_MESO

    def parameters(self) -> dict:
        """/parameters' attributes as stored (species_from_attributes reads them)."""
        return dict(self._f["parameters"].attrs)

    def config_toml(self) -> str:
        """The configuration the run was made with (parse with tomllib, or kmc.config.settings_from_dict)."""
        return _text(self._f["parameters/config_toml"][()])

    def model_attributes(self) -> dict:
        """/parameters/model's attributes (kMC: the rates and tables the engine used)."""
        return dict(self._f["parameters/model"].attrs)

    def run_attributes(self) -> dict | None:
        """/run's attributes, None while the run has not ended."""
        return {k: _text(v) for k, v in self._f["run"].attrs.items()} if "run" in self._f else None

    # -- the lattice and its frames (kMC)
    def lattice_attributes(self) -> dict:
        """sites_per_layer, n_layers, layer_spacing_A, lattice_constant_A, orientation."""
        return {k: _text(v) for k, v in self._f["particles/metal"].attrs.items()}

    def box_boundary(self) -> list[str]:
        return [_text(b) for b in self._f["particles/metal/box"].attrs["boundary"]]

    def box_edges_A(self) -> np.ndarray:
        return self._f["particles/metal/box/edges"][()]

    def positions_A(self) -> np.ndarray:
        return self._f["particles/metal/position"][()]

    def neighbors(self) -> np.ndarray:
        return self._f["particles/metal/neighbors"][()]

    def layers(self) -> np.ndarray:
        return self._f["particles/metal/layer"][()]

    @property
    def n_frames(self) -> int:
        return self._f["particles/metal/species/value"].shape[0]

    def frame_steps(self) -> np.ndarray:
        return self._f["particles/metal/species/step"][()]

    def frame_times_s(self) -> np.ndarray:
        return self._f["particles/metal/species/time"][()]

    def frame_species(self, index: int) -> np.ndarray:
        """The int8 site codes of one frame (kmc.species)."""
        return self._f["particles/metal/species/value"][index]

    # -- the observables (both kinds)
    def observable_names(self, scalar_only: bool = False) -> list[str]:
        held = self._f["observables"]
        return [name for name in held if not scalar_only or held[f"{name}/value"].ndim == 1]

    def has_observable(self, name: str) -> bool:
        return dataset_in(self._f, f"observables/{name}/value") is not None

    def series(self, name: str) -> np.ndarray:
        """The samples of one observable (under either of its names across the host/solute renaming)."""
        return dataset_in(self._f, f"observables/{name}/value")[()]

    def unit(self, name: str) -> str:
        return _text(dataset_in(self._f, f"observables/{name}/value").attrs.get("unit", ""))

    def sample_steps(self, name: str = "stripped_charge") -> np.ndarray:
        return dataset_in(self._f, f"observables/{name}/step")[()]

    def all_series(self) -> tuple[dict, dict]:
        """({name: values}, {name: unit}) of every observable."""
        return read_series(self._f)

    # -- the resolved interface's gap sections (meso)
    def gap_sections(self) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(stripped charges in mAh/cm^2, gap (charge, cell) in um, cell width in um) of a resolved
        kmc meso run, each charge once (a file whose end was stored twice holds it twice); the gap is
        (charge, depth, width) for an area (meso.depth_um > 0); None without /sections (a disc run,
        or one that has not stored a section yet)."""
        if "sections" not in self._f:
            return None
        charges, first = np.unique(self._f["sections/stripped_charge"][()], return_index=True)
        return charges, self._f["sections/gap"][()][first], float(self._f["sections"].attrs["cell_um"])

    def section_field(self, name: str) -> tuple[np.ndarray, np.ndarray, str] | None:
        """A further field stored beside the gap sections (e.g. "subsurface_solute_fraction", the Mg just below
        each cell of an alloy run): (stripped charges, the field per charge, its unit), one per distinct charge
        as gap_sections; None where the file holds none."""
        if "sections" not in self._f or name not in self._f["sections"]:
            return None
        charges, first = np.unique(self._f["sections/stripped_charge"][()], return_index=True)
        d = self._f["sections"][name]
        return charges, d[()][first], str(d.attrs.get("unit", ""))

    def start_record(self) -> dict | None:
        """The start a kmc meso run kept (/press: the pressed face, MesoWriter.write_start_record) as
        {"key": digest, name: array}, for a CellModel's ``start_from_record``; None where the file keeps none (no
        press, the disc model, or a file written before runs kept it)."""
        if "press" not in self._f:
            return None
        g = self._f["press"]
        return {"key": _text(g.attrs["key"]), **{name: g[name][()] for name in g}}

    # -- what kmc analyze wrote (kMC)

    def analysis_attributes(self) -> dict | None:
        """/analysis's attributes, None if the file has not been analysed."""
        return dict(self._f["analysis"].attrs) if "analysis" in self._f else None

    def analysis_column(self, table: str, column: str) -> np.ndarray | None:
        """One column of an /analysis table (frames, voids, events), None if it is not there."""
        found = self._f.get(f"analysis/{table}/{column}")
        return None if found is None else found[()]

    def stored_observable_name(self, name: str) -> str:
        return stored_name(self._f["observables"], name)


@contextmanager
def open_run_file(path):
    """Open a run file (or a running one's ``.partial``) for reading as a ``RunFile``; an HDF5 failure
    inside the block becomes a RunFileError naming the file."""
    with open_hdf5(path) as f:
        yield RunFile(f, path)


def is_complete(path) -> bool:
    """The file exists, opens and holds /run with a stop reason of a run that was not interrupted."""
    try:
        with open_hdf5(path) as f:
            return "run" in f and _text(f["run"].attrs.get("stop_reason", "interrupted")) != "interrupted"
    except (ValueError, KeyError):
        return False
