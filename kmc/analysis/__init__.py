"""Void analysis of a run file: voids per frame, their events between frames, contact loss and
an overpotential estimate, written back into the file under ``/analysis``.

Everything is computed from the file alone (frames, neighbour table, positions, layers, box,
parameters, observables).  What a void is and how it is measured: ``VOID_DEFINITION``; the pore's
mouth, whose vacancies are no void: ``PORE_RULE``; what a section counts: ``SECTION_RULE``; how voids are followed between frames: ``TRACKING_RULE``; the
overpotential: ``OVERPOTENTIAL_MODEL``.  All are stored as attributes of ``/analysis`` with
``format_version`` (``FORMAT_VERSION``) and the minimum void size used.

``analyze_file(path)`` (and ``kmc analyze FILE``, kmc.cli.analyze) write ``/analysis``;
``load_analysis(path)`` reads it back for a notebook.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from kmc import __version__, units
from kmc.analysis.definitions import (DEFAULT_MIN_VOID_nm, EVENT_COLUMNS, EVENT_KINDS, FORMAT_VERSION,  # noqa: F401
                                      FRAME_COLUMNS, PORE_RULE, SECTION_RULE, TRACKING_RULE, VOID_COLUMNS,
                                      VOID_DEFINITION, AnalysisInputError)
from kmc.analysis.voids import (SHAPE_STATISTICS, _connected_l1_metal, _layer_species_counts, _observable_at,
                                _quartiles, _Tracker, frame_voids, read_geometry, section_void_count)
from kmc.physics.electrochemistry import DEFAULT_EXCHANGE_CURRENT_mA_cm2, OVERPOTENTIAL_MODEL, overpotential_mV
from kmc.runfile import check_run_file, file_of_run, open_run_file, read_analysis_group, write_analysis_group
from kmc.runfile import load as load_run
from kmc.species import HOST, SOLUTE, VACANCY


def _as_table(columns: dict):
    try:
        import pandas as pd
    except ImportError:
        return columns
    return pd.DataFrame(columns)


def _check_number(name, value, allowed, ok):
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and ok(value)):
        raise AnalysisInputError(f"{name} {value!r} is not usable; allowed: {allowed}")


def exchange_current_of(parameter_attrs, override: float | None = None) -> tuple[float, str]:
    """The exchange current density (mA/cm^2) for the overpotential and where it came from: the
    override, else the run's ``conditions.exchange_current_mA_cm2``, else the package default."""
    if override is not None:
        return float(override), "given"
    if "conditions.exchange_current_mA_cm2" in parameter_attrs:
        return float(parameter_attrs["conditions.exchange_current_mA_cm2"]), "run file"
    return DEFAULT_EXCHANGE_CURRENT_mA_cm2, "default"


def compute_analysis(path, exchange_current_mA_cm2: float | None = None,
                     min_void_nm: float = DEFAULT_MIN_VOID_nm) -> dict:
    """Everything ``/analysis`` holds, as numpy arrays: {"frames", "voids", "events",
    "solute_profile"}, plus the "exchange_current_mA_cm2" used (None: the file's value, else the
    default) and its "exchange_current_source", and "min_void_nm"."""
    path = Path(path)
    if exchange_current_mA_cm2 is not None:
        _check_number("exchange current density", exchange_current_mA_cm2, "a finite number > 0 mA/cm2",
                      lambda x: x > 0)
    _check_number("minimum void width", min_void_nm, f"a finite number >= 0 nm (default {DEFAULT_MIN_VOID_nm:g})",
                  lambda x: x >= 0)
    path = check_run_file(path, running=True)     # a run still being written or cut off: its .partial
    with open_run_file(path) as run:
        geo = read_geometry(run)
        l1_open = geo.l1_open
        frame_step = run.frame_steps().astype(np.int64)
        frame_time = run.frame_times_s().astype(np.float64)
        sample_step = run.sample_steps("stripped_charge")
        charge = _observable_at(frame_step, sample_step, run.series("stripped_charge"))
        monolayers = _observable_at(frame_step, sample_step, run.series("stripped_monolayers"))
        parameters = run.parameters()
        current = float(parameters["conditions.current_density_mA_cm2"])
        temperature = float(parameters["conditions.temperature_K"])
        i0, i0_source = exchange_current_of(parameters, exchange_current_mA_cm2)
        n_frames = frame_step.size
        tracker = _Tracker(geo.neighbors)
        solute_profile = np.full((n_frames, geo.n_layers), np.nan)
        contact = np.full(n_frames, np.nan)
        section_runs = np.zeros(n_frames, np.int64)
        stats = {name: np.full(n_frames, np.nan) for name in SHAPE_STATISTICS}
        counts = {name: np.zeros(n_frames, np.int64) for name in
                  ("interface_void_count", "buried_void_count", "isolated_vacancy_count", "isolated_l1_vacancy_count",
                   "pore_mouth_sites", "pore_void_vacancies", "pore_rim_gap_sites")}
        pore_depth = np.full(n_frames, np.nan)
        void_parts = {name: [] for name in VOID_COLUMNS}
        for t in range(n_frames):
            occupancy = run.frame_species(t)
            voids = frame_voids(occupancy, geo, min_void_nm)
            ids = tracker.add(t, voids)
            for name, values in voids.columns.items():
                void_parts[name].append(values)
            void_parts["frame"].append(np.full(ids.size, t, np.int64))
            void_parts["track_id"].append(ids)
            layer_counts = _layer_species_counts(occupancy, geo.layer, geo.n_layers)
            metal = layer_counts[:, HOST] + layer_counts[:, SOLUTE]
            with np.errstate(invalid="ignore"):
                solute_profile[t] = layer_counts[:, SOLUTE] / metal
            if l1_open is not None:   # L1's solute over the contact's metal only (the pore's mouth is no contact)
                under = occupancy[:geo.l1_sites][~l1_open]
                solute_profile[t, 0] = np.count_nonzero(under == SOLUTE) / max(np.count_nonzero(under != VACANCY), 1)
            if geo.has_interface:
                contact[t] = _connected_l1_metal(occupancy, geo.neighbors, geo.layer, geo.n_layers, l1_open) / geo.l1_sites
                section_runs[t] = section_void_count(occupancy, voids, geo)
            counts["interface_void_count"][t] = np.count_nonzero(voids.interface)
            counts["buried_void_count"][t] = voids.interface.size - counts["interface_void_count"][t]
            counts["isolated_vacancy_count"][t] = voids.isolated_vacancies
            counts["isolated_l1_vacancy_count"][t] = voids.isolated_l1_vacancies
            counts["pore_mouth_sites"][t] = 0 if l1_open is None else np.count_nonzero(l1_open)
            counts["pore_void_vacancies"][t] = voids.pore.vacancies
            counts["pore_rim_gap_sites"][t] = voids.pore.rim_gap_sites
            pore_depth[t] = voids.pore.depth_nm
            widths = _quartiles(voids.columns["width_nm"][voids.interface])
            heights = _quartiles(voids.columns["height_nm"][voids.interface])
            for name, value in zip(SHAPE_STATISTICS, widths + heights):
                stats[name][t] = value

    events = tracker.events()
    area_um2 = geo.interface_area_A2 * units.UM2_PER_A2
    interface_solute = solute_profile[:, 0] if geo.has_interface else np.full(n_frames, np.nan)
    frames = {
        "frame": np.arange(n_frames, dtype=np.int64),
        "step": frame_step,
        "time_s": frame_time,
        "stripped_charge_mAh_cm2": charge,
        "stripped_monolayers": monolayers,
        "contact_fraction": contact,
        **counts,
        "interface_voids_per_um2": counts["interface_void_count"] / area_um2 if geo.has_interface
        else np.full(n_frames, np.nan),
        "interface_voids_per_um_section": section_runs / geo.section_length_um if geo.has_interface
        else np.full(n_frames, np.nan),
        "pore_void_depth_nm": pore_depth,
        **stats,
        "interface_solute_fraction": interface_solute,
        "overpotential_mV": overpotential_mV(current, contact, i0, temperature),
    }
    for kind in EVENT_KINDS:
        per_frame = np.bincount(events["frame"][events["kind"] == kind], minlength=n_frames)
        frames[f"n_{kind}"] = np.cumsum(per_frame).astype(np.int64)
    frames = {name: frames[name] for name in FRAME_COLUMNS}
    voids = {name: np.concatenate(parts) for name, parts in void_parts.items()}
    return {"frames": frames, "voids": voids, "events": events, "solute_profile": solute_profile,
            "exchange_current_mA_cm2": i0, "exchange_current_source": i0_source, "min_void_nm": float(min_void_nm),
            "l1_sites": geo.l1_sites}


def write_analysis(path, result: dict):
    """(Re)write ``/analysis`` of ``path`` from ``compute_analysis``'s result, with the definitions
    and the format version (kmc.runfile.write_analysis_group: a failed write leaves no group)."""
    attributes = {"format_version": FORMAT_VERSION, "exchange_current_mA_cm2": float(result["exchange_current_mA_cm2"]),
                  "exchange_current_source": result["exchange_current_source"],
                  "min_void_nm": float(result["min_void_nm"]), "code_version": __version__,
                  "overpotential_model": OVERPOTENTIAL_MODEL, "tracking_rule": TRACKING_RULE,
                  "void_definition": VOID_DEFINITION, "section_rule": SECTION_RULE, "pore_rule": PORE_RULE}
    write_analysis_group(path, attributes, result, {"frames": FRAME_COLUMNS, "voids": VOID_COLUMNS,
                                                    "events": EVENT_COLUMNS}, result["solute_profile"],
                         "solute / metal atoms in each layer (layer 0 = L1); NaN where a layer holds no metal",
                         cannot_write=AnalysisInputError)


def analyze_file(path, exchange_current_mA_cm2: float | None = None, min_void_nm: float = DEFAULT_MIN_VOID_nm):
    """Analyse a run file and (re)write its ``/analysis`` group; return the per-frame summary.

    The summary is a pandas DataFrame (a dict of numpy arrays without pandas).  Raises
    RunFileError, before touching the file, for a missing, foreign, damaged or frameless file.
    """
    result = compute_analysis(path, exchange_current_mA_cm2, min_void_nm)
    write_analysis(path, result)
    return _as_table(result["frames"])


def check_analysis_version(attributes: dict | None, path) -> dict:
    """The attributes of a file's ``/analysis`` (None: it has none), if written in this
    ``FORMAT_VERSION``; otherwise an AnalysisInputError (a KeyError-free message that says to
    re-run kmc analyze)."""
    if attributes is None:
        raise AnalysisInputError(f"{path} has no /analysis group; allowed: a file analysed with `kmc analyze {path}`")
    version = attributes.get("format_version", 1)
    if version != FORMAT_VERSION:
        raise AnalysisInputError(f"{path} holds an /analysis of format {version} (an older void definition); "
                                 f"allowed: format {FORMAT_VERSION}: re-run `kmc analyze {path}`")
    return attributes


def load_analysis(path) -> dict:
    """``/analysis`` of a file: {"frames", "voids", "events"} as DataFrames (dicts of arrays
    without pandas), "solute_profile" as an (n_frames, n_layers) array and "attrs" (the
    definitions, min_void_nm, exchange current).  AnalysisInputError for a file without
    ``/analysis`` or with one of another format (re-run kmc analyze)."""
    group = read_analysis_group(path)
    check_analysis_version(None if group is None else group["attrs"], path)
    return {**{name: _as_table(group[name]) for name in ("frames", "voids", "events")},
            "solute_profile": group["solute_profile"], "attrs": group["attrs"]}


def load(path, as_xarray: bool | None = None):
    """``kmc.load``: the run (``kmc.runfile.load``, whose docstring says what it holds) and, if ``kmc
    analyze`` has been run on it, its per-frame void statistics as variables ``analysis_<column>``
    on ``frame`` and the solute profile as ``analysis_solute_profile`` (frame, layer_index); in the
    dict (``as_xarray=False``) the whole ``load_analysis`` result is under "analysis".  The
    per-void and per-event tables are pandas DataFrames from ``kmc.load_analysis(path)``."""
    run = load_run(path, as_xarray)
    source = file_of_run(path)     # X.h5, or the .partial of a run being written (never analysed)
    with open_run_file(source) as f:
        analysed = f.analysis_attributes() is not None
    if not analysed:
        return run
    analysis = load_analysis(source)
    if isinstance(run, dict):
        run["analysis"] = analysis
        return run
    n_frames = run.sizes["frame"]
    frames = analysis["frames"]
    for column in frames:
        if column != "frame":
            run[f"analysis_{column}"] = (("frame",), np.asarray(frames[column])[:n_frames])
    run["analysis_solute_profile"] = (("frame", "layer_index"), analysis["solute_profile"][:n_frames])
    return run
