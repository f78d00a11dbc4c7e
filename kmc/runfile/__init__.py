"""The run file: the one place that knows the HDF5 layout of what kmc writes, and the only module
of the package that imports h5py.  Writers and readers of both kinds of file:

* a kMC run (``kmc run``, ``kmc sweep``): ``KmcWriter`` writes it through ``X.h5.partial``,
  renamed when the run ends; ``load``, ``info`` and ``RunFile`` read it finished, while it is
  written (the ``.partial``, locked by its writer) and cut off (an unlocked ``.partial``);
* a meso run (``kmc meso``): ``MesoWriter`` writes it the same way, sample by sample, and the same
  readers read it.

Layout (H5MD conventions where they fit; units are attributes named ``unit``):
  /h5md                       version, author, creator (H5MD 1.1 metadata), both kinds
  /particles/metal/box        kMC: H5MD box group: dimension, boundary, edges (A)
  /particles/metal/position   kMC: (n_sites, 3) fixed site positions, A; z = depth below the electrolyte
  /particles/metal/species    kMC: step, time (s), value (n_frames, n_sites) int8: 0 vacancy, 1 host,
                              2 solute (attribute legend names the run's elements, e.g. 1 Li, 2 Mg)
  /particles/metal/neighbors  kMC: (n_sites, 8) int32 first neighbours (-1: none)
  /particles/metal/layer      kMC: (n_sites,) int32, 0 = L1 (touches the electrolyte)
  /particles/tracers/         kMC runs with tracers only: species (n,), initial_site (n,), and per
                              frame step, time, displacement (n_frames, n, 3) A, site (-1: left)
  /observables/<name>         step, time (s), value, one sample per tick (both kinds: the sample
                              index is the step of a meso file); a file written before an observable
                              (or event class) was added lacks it: readers report it absent
  /parameters                 config_toml, the resolved keys that apply to the kind as attributes,
                              code_version, seed, source, kind ('kmc' or 'meso'); kMC: the model
                              tables the engine used (/parameters/model); meso: what the energy model
                              gives the voids (/parameters/derived)
  /run                        once the run has ended: stop_reason, wall_time_s, note; kMC: events,
                              kmc_time_s, events_per_s, compile_time_s, resumed, count_<class>,
                              acceleration_check_*;
                              meso: steps, physical_time_s
  /voids                      meso: the voids at the end (x, y, base_radius, height in um)
  /press                      meso runs that pressed their face: gap_um and pore_depth_um per cell when the
                              press ended, key (the digest of what the press read): `kmc meso --press-from`
  /analysis                   kMC, written by kmc analyze: per-frame, per-void and per-event tables
"""
from kmc.runfile.analysis_group import read_analysis_group, write_analysis_group
from kmc.runfile.layout import (CORE_OBSERVABLES, KIND_KMC, KIND_MESO, PARTIAL_SUFFIX, RUN_FILE_RENAMED, RunFileError,
                                check_run_file, file_kind_of, file_of_run, hdf5_reason, run_status)
from kmc.runfile.outputs import (OutputPathError, check_output_file, check_output_folder, check_output_location,
                                 default_output_path, estimated_output_bytes, replace_when_done)
from kmc.runfile.readers import info, load
from kmc.runfile.view import RunFile, is_complete, open_run_file
from kmc.runfile.writers import KmcWriter, MesoWriter

__all__ = ["CORE_OBSERVABLES", "KIND_KMC", "KIND_MESO", "PARTIAL_SUFFIX", "RUN_FILE_RENAMED", "KmcWriter", "MesoWriter",
           "OutputPathError", "RunFile", "RunFileError", "check_output_file", "check_output_folder",
           "check_output_location", "check_run_file", "default_output_path", "estimated_output_bytes", "file_kind_of",
           "file_of_run", "hdf5_reason", "info", "is_complete", "load", "open_run_file", "read_analysis_group",
           "replace_when_done", "run_status", "write_analysis_group"]
