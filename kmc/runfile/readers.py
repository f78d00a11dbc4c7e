"""``load`` (kmc.load without the analysis) and ``info`` (kmc info) of either kind of run file:
finished (X.h5), still being written or cut off (X.h5.partial).  A file being written may be caught
one sample or frame apart between its datasets: the readers keep what all of them have."""
from __future__ import annotations

import numpy as np

from kmc import observables
from kmc.engine import state
from kmc.runfile.layout import (KIND_MESO, PARTIAL_SUFFIX, RUN_FILE_RENAMED, absent_counters, absent_observables,
                                check_run_file, count_columns, file_kind, open_hdf5, read_again_while_written,
                                run_status)


def _text(v):
    return v.decode() if isinstance(v, bytes) else (v.item() if hasattr(v, "item") and np.ndim(v) == 0 else v)


def want_xarray(as_xarray: bool | None) -> bool:
    """``as_xarray``, or (None) whether xarray is installed."""
    if as_xarray is not None:
        return as_xarray
    try:
        import xarray  # noqa: F401
        return True
    except ImportError:
        return False


def _counts_by_class(values: np.ndarray, columns: list[str]) -> np.ndarray:
    """event_counts with one column per class of kmc.engine.state.EVENT_CLASSES, in its order: a class the
    file's columns lack (added after it was written) is NaN."""
    if columns == list(state.EVENT_CLASSES):
        return values
    out = np.full((values.shape[0], len(state.EVENT_CLASSES)), np.nan)
    for i, c in enumerate(state.EVENT_CLASSES):
        if c in columns:
            out[:, i] = values[:, columns.index(c)]
    return out


def read_series(f) -> tuple[dict, dict]:
    """{name: values} and {name: unit} of every observable the file holds; event_counts with one
    column per event class (NaN for a class added after the file was written)."""
    held = f["observables"]
    series = {name: held[f"{name}/value"][()] for name in held}
    units = {name: _text(held[f"{name}/value"].attrs.get("unit", "")) for name in held}
    if "event_counts" in series:
        series["event_counts"] = _counts_by_class(series["event_counts"], count_columns(held["event_counts/value"]))
    return series, units


def read_parameters(f) -> dict:
    """/parameters' attributes as Python values, and config_toml."""
    par = f["parameters"]
    out = {}
    for k, v in par.attrs.items():
        out[k] = v.tolist() if isinstance(v, np.ndarray) else _text(v)
    out["config_toml"] = _text(par["config_toml"][()])
    return out


def _frame_samples(frame_step: np.ndarray, sample_step: np.ndarray) -> np.ndarray:
    """Index of the observables sample taken at each frame's step (-1 where there is none: every
    frame has one in files kmc writes, but in a file read while it is written the last frame can
    be ahead of its sample; ``load`` leaves such frames out)."""
    at = np.searchsorted(sample_step, frame_step)
    found = at < sample_step.size
    found[found] = sample_step[at[found]] == frame_step[found]
    return np.where(found, at, -1)


def _run_attributes(f) -> dict:
    return {f"run.{k}": _text(v) for k, v in f["run"].attrs.items()} if "run" in f else {}


@read_again_while_written
def load(path, as_xarray: bool | None = None):
    """Load a run file for analysis (a finished X.h5, or a run still being written: X.h5.partial).

    Returns an ``xarray.Dataset`` when xarray is installed, else a dict of numpy arrays with the
    same names (``as_xarray=False`` forces the dict).

    A kMC run: dimensions ``frame`` (snapshots), ``site``, ``xyz``, ``sample`` (the observables' time
    series), ``event_class``.  Coordinates, so that plots and selections speak the physics:

    - on ``sample``: ``sample_step``, ``sample_time`` (s), and ``stripped_charge`` (mAh/cm2) and
      ``stripped_monolayers``: ``ds.contact_fraction.plot(x="stripped_charge")``;
    - on ``frame``: ``frame_step``, ``frame_time`` (s), ``frame_sample`` (the index of the sample
      taken at the frame's step; a run being written, or cut off, shows only the frames whose
      sample is written) and ``frame_stripped_charge`` /
      ``frame_stripped_monolayers`` (the samples' values at the frames):
      ``ds.contact_fraction.isel(sample=ds.frame_sample)`` is the contact at each frame.

    Every observable is a variable on ``sample`` (``event_counts`` on sample x event_class).  Names
    renamed when the species became data (``RUN_FILE_RENAMED``) appear under the new name, and also
    under the old one when that is what the file holds.

    A meso run (``kmc meso``): every observable on ``sample``, with ``stripped_charge`` and
    ``sample_time`` as coordinates; no frames.

    Attributes: /parameters, /run (as ``run.<name>``) and ``run_status``: 'complete', 'in progress'
    (being written now: later calls see more) or 'interrupted' (cut off: a kMC run resumes with
    ``kmc run --resume``; or, a meso run, ended by Ctrl-C: its file is whole up to there); see
    ``run_status``.  The run with what ``kmc analyze`` wrote: ``kmc.load``.
    """
    path = check_run_file(path, require_frames=False, running=True)
    with open_hdf5(path) as f:
        status = _status(f, path)
        if file_kind(f) == KIND_MESO:
            return _meso_dataset(*_read_meso(f, status), as_xarray)
        read = _read_kmc(f, status)
    return _kmc_dataset(*_trim_kmc(*read, status), as_xarray)


def _read_meso(f, status):
    series, units = read_series(f)
    time_s = f[f"observables/{next(iter(series))}/time"][()]
    n = min([time_s.size] + [v.shape[0] for v in series.values()])
    attrs = {k: v for k, v in read_parameters(f).items()}
    attrs.update({f"derived.{k}": _text(v) for k, v in f["parameters/derived"].attrs.items()}
                 if "parameters/derived" in f else {})
    attrs.update(_run_attributes(f))
    attrs["run_status"] = status
    return {name: v[:n] for name, v in series.items()}, units, time_s[:n], attrs


def _meso_dataset(series, units, time_s, attrs, as_xarray):
    if not want_xarray(as_xarray):
        return {**series, "sample_time_s": time_s, "attrs": attrs}
    import xarray as xr
    ds = xr.Dataset({name: ("sample", v, {"unit": units[name]}) for name, v in series.items()
                     if name != "stripped_charge"},
                    coords={"stripped_charge": ("sample", series["stripped_charge"],
                                                {"unit": units["stripped_charge"]}),
                            "sample_time": ("sample", time_s, {"unit": "s"})})
    ds.attrs.update({k: v for k, v in attrs.items() if isinstance(v, (str, int, float, bool))})
    return ds


def _read_kmc(f, status):
    metal = f["particles/metal"]
    data = {
        "species": metal["species/value"][()],
        "species_legend": _text(metal["species/value"].attrs.get("legend", "")),
        "frame_step": metal["species/step"][()],
        "frame_time_s": metal["species/time"][()],
        "position_A": metal["position"][()],
        "layer": metal["layer"][()],
        "neighbors": metal["neighbors"][()],
        "box_A": metal["box/edges"][()],
        "sample_step": f["observables/contact_fraction/step"][()],
        "sample_time_s": f["observables/contact_fraction/time"][()],
    }
    series, units = read_series(f)
    absent = absent_observables(f)
    attrs = {"sites_per_layer": int(metal.attrs["sites_per_layer"]),
             "n_layers": int(metal.attrs["n_layers"]), "run_status": status,
             # what this code records but the file (written before it was added) lacks: NaN here
             "absent_observables": ", ".join(absent), "absent_counters": ", ".join(absent_counters(f))}
    attrs.update(_run_attributes(f))
    return data, series, units, absent, attrs, read_parameters(f)


def _trim_kmc(data, series, units, absent, attrs, params, status):
    """What all datasets of a file read while it grows hold, the renamed names, the absent
    observables as NaN, and each frame's sample."""
    n_samples = min([data["sample_step"].size, data["sample_time_s"].size] + [v.shape[0] for v in series.values()])
    n_frames = min(data["species"].shape[0], data["frame_step"].size, data["frame_time_s"].size)
    data.update(sample_step=data["sample_step"][:n_samples], sample_time_s=data["sample_time_s"][:n_samples],
                species=data["species"][:n_frames], frame_step=data["frame_step"][:n_frames],
                frame_time_s=data["frame_time_s"][:n_frames])
    series = {name: v[:n_samples] for name, v in series.items()}
    for name in absent:
        columns = observables.BY_NAME[name].columns
        series[name] = np.full((n_samples, len(columns)) if columns else n_samples, np.nan)
        units[name] = observables.UNITS[name]
    for new, old in RUN_FILE_RENAMED.items():   # the new name always; the old one if the file has it
        if old in series and new not in series:
            series[new], units[new] = series[old], units[old]
        if old in params and new not in params:
            params[new] = params[old]
    frame_sample = _frame_samples(data["frame_step"], data["sample_step"])
    if status != "complete":
        # a frame is written and flushed just before its sample, so a file read while it is written
        # (or cut off between the two) can end in frames without their sample: keep those that have one
        n_frames = int(np.flatnonzero(frame_sample >= 0)[-1]) + 1 if (frame_sample >= 0).any() else 0
        frame_sample = frame_sample[:n_frames]
        data.update(species=data["species"][:n_frames], frame_step=data["frame_step"][:n_frames],
                    frame_time_s=data["frame_time_s"][:n_frames])
    at_frames = {}
    for name in ("stripped_charge", "stripped_monolayers"):
        values = series[name]
        at_frames[name] = np.where(frame_sample >= 0, values[np.maximum(frame_sample, 0)] if values.size else np.nan,
                                   np.nan)
    attrs["species_legend"] = data.pop("species_legend")
    return data, series, units, attrs, params, frame_sample, at_frames


def _kmc_dataset(data, series, units, attrs, params, frame_sample, at_frames, as_xarray):
    if not want_xarray(as_xarray):
        data.update(series)
        data["frame_sample"] = frame_sample
        data.update({f"frame_{name}": v for name, v in at_frames.items()})
        data["parameters"] = params
        data["attrs"] = attrs
        return data
    import xarray as xr
    coordinates = ("stripped_charge", "stripped_monolayers")
    ds = xr.Dataset(
        {
            "species": (("frame", "site"), data["species"], {"legend": attrs["species_legend"]}),
            "position": (("site", "xyz"), data["position_A"], {"unit": "angstrom"}),
            "layer": (("site",), data["layer"]),
        },
        coords={
            "frame_step": ("frame", data["frame_step"]),
            "frame_time": ("frame", data["frame_time_s"], {"unit": "s"}),
            "frame_sample": ("frame", frame_sample, {"description": "index of the sample at the frame's step"}),
            **{f"frame_{name}": ("frame", at_frames[name], {"unit": units[name]}) for name in coordinates},
            "sample_step": ("sample", data["sample_step"]),
            "sample_time": ("sample", data["sample_time_s"], {"unit": "s"}),
            **{name: ("sample", series[name], {"unit": units[name]}) for name in coordinates},
            "xyz": ["x", "y", "z"],
            "event_class": list(state.EVENT_CLASSES),
        },
    )
    ds["neighbors"] = (("site", "neighbor_slot"), data["neighbors"])
    for name, value in series.items():
        if name not in coordinates:
            dims = ("sample", "event_class") if value.ndim == 2 else ("sample",)
            ds[name] = (dims, value, {"unit": units[name]})
    ds.attrs.update({k: v for k, v in params.items() if isinstance(v, (str, int, float))})
    ds.attrs.update(attrs)
    ds.attrs["box_A"] = data["box_A"]
    return ds


@read_again_while_written
def info(path) -> str:
    """A short human-readable summary of a run file of either kind, or of a run still being written
    (its ``.partial``); RunFileError if it is not a usable one."""
    path = check_run_file(path, require_frames=False, running=True)
    with open_hdf5(path) as f:
        status = _status(f, path)
        par = f["parameters"].attrs
        lines = [f"file            {path}"]
        if status != "complete":
            lines.append(f"status          run {status}: "
                         + ("a kmc process is writing this file; what follows is its state so far"
                            if status == "in progress" else _cut_off_advice(f, path)))
        if file_kind(f) == KIND_MESO:
            lines += _meso_lines(f, par)
        else:
            lines += _kmc_lines(f, par)
        lines += _final_values(f)
        lines += _run_lines(f, status)
    return "\n".join(lines)


def _status(f, path) -> str:
    """run_status of the open file at ``path``, and 'interrupted' for a finished file whose run says it
    was (a kmc meso run stopped by Ctrl-C is written whole up to there, under its final name)."""
    status = run_status(path)
    if status == "complete" and "run" in f and _text(f["run"].attrs.get("stop_reason", "")) == "interrupted":
        return "interrupted"
    return status


def _cut_off_advice(f, path) -> str:
    if file_kind(f) == KIND_MESO:
        if "run" in f:
            return ("stopped by Ctrl-C or SIGTERM: the file is complete up to where it stopped; run kmc meso again "
                    "for the whole run")
        return "interrupted or killed; run kmc meso again for a complete file"
    return f"interrupted or killed; continue it with kmc run --resume {str(path)[:-len(PARTIAL_SUFFIX)]}"


def _kmc_lines(f, par) -> list[str]:
    metal = f["particles/metal"]
    return [f"model           {_text(par['model.name'])}  (code {_text(par['code_version'])}, seed {par['seed']})",
            f"lattice         {_text(metal.attrs['orientation'])} {_text(par['lattice.geometry'])}, cells "
            f"{[int(c) for c in par['lattice.cells']]}, {metal['position'].shape[0]} sites, "
            f"{metal.attrs['n_layers']} layers",
            f"conditions      {par['conditions.temperature_K']} K, {par['conditions.current_density_mA_cm2']} mA/cm2, "
            f"{par['conditions.stack_pressure_MPa']} MPa, bottom = {_text(par['boundary.bottom'])}, "
            f"acceleration {par['run.acceleration']:g}",
            f"frames          {metal['species/value'].shape[0]}"]


def _meso_lines(f, par) -> list[str]:
    return [f"model           {_text(par['model.name'])}  (kmc meso: the interface at the cell's scale; code "
            f"{_text(par['code_version'])}, seed {par['seed']})",
            _meso_interface_line(f, par),
            f"conditions      {par['conditions.temperature_K']} K, {par['conditions.current_density_mA_cm2']} mA/cm2, "
            f"{par['conditions.stack_pressure_MPa']} MPa"] + (
        ["pressed face    kept (/press): kmc meso --press-from FILE starts a run of the same press from it"]
        if "press" in f else [])


def meso_interface(par: dict) -> str:
    """The interface model a meso run had ("section", "area" or "disc"), from its parameters: a file written
    before meso.interface was a key is a disc run, one written when the gap model had the
    one name "resolved" is a section or an area (its area had meso.depth_um > 0)."""
    interface = _text(par.get("meso.interface", "disc"))
    if interface == "resolved":
        return "area" if par.get("meso.depth_um", 0.0) > 0 else "section"
    return interface


def _meso_interface_line(f, par) -> str:
    """What interface model the run had (meso_interface)."""
    width = par.get('meso.width_um', float('nan'))
    interface = meso_interface(par)
    if interface != "disc":
        sections = f["sections/stripped_charge"].shape[0] if "sections" in f else 0
        cell = f["sections"].attrs["cell_um"] if "sections" in f else float("nan")
        if interface == "area":
            return (f"interface       area: a periodic area {width:g} x {par.get('meso.depth_um', 0.0):g} um at "
                    f"{cell:g} um cells on the foil's creep mechanics, {sections} gap fields stored")
        return (f"interface       section: a periodic section {width:g} um long at {cell:g} um cells on the "
                f"foil's creep mechanics, {sections} gap sections stored")
    return f"interface       disc voids: a periodic square {width:g} um wide, voids {_text(par.get('meso.void_shape', '?'))}"


def _final_values(f) -> list[str]:
    obs = f["observables"]
    n = min(obs[name]["value"].shape[0] for name in obs)
    lines = [f"samples         {n}"]
    if n:
        for k in obs:
            if k == "event_counts" or k.startswith("tracer_"):
                continue
            v = obs[f"{k}/value"]
            unit = _text(v.attrs.get("unit", ""))
            value = float(v[n - 1])
            if not np.isfinite(value):     # a statistic of nothing (the voids' widths with no void): said, not NaN
                lines.append(f"  final {k:26s} none ({'no void at the end' if k.startswith('void_') else 'undefined'})")
                continue
            lines.append(f"  final {k:26s} {value:.6g} {'' if unit == '1' else unit}".rstrip())
    if file_kind(f) != KIND_MESO:
        absent = absent_observables(f)
        if absent:
            lines.append(f"absent          {', '.join(absent)} (recorded by this code, not in this file: "
                         "written before they were added)")
    return lines


def _run_lines(f, status) -> list[str]:
    if "run" not in f:
        return [f"stop reason     (run {status}: not finished)"]
    r = f["run"].attrs
    lines = [f"stop reason     {_text(r['stop_reason'])}"]
    if file_kind(f) == KIND_MESO:
        lines.append(f"steps           {int(r['steps'])}  ({float(r['wall_time_s']):.2f} s wall)")
        return lines
    compiled = float(r.get("compile_time_s", 0.0))   # a file written before it was recorded: none
    compiling = f" after {compiled:.1f} s compiling the engine" if compiled > 0 else ""
    lines.append(f"events          {int(r['events'])}  ({float(r['events_per_s']) / 1e6:.3g} M/s, "
                 f"{float(r['wall_time_s']):.1f} s wall{compiling}, {float(r['kmc_time_s']):.4g} s kMC)")
    counts = ", ".join(f"{c} {int(r['count_' + c])}" if f"count_{c}" in r else f"{c} absent" for c in state.EVENT_CLASSES)
    lines.append(f"event counts    {counts}")
    lines += _acceleration_lines(r, f["parameters"].attrs["run.acceleration"])
    return lines


def _acceleration_lines(r, acceleration) -> list[str]:
    """The acceleration check the run recorded (kmc.launch: /run acceleration_check_*), if it made one
    (a run that strips nothing has none)."""
    if "acceleration_check_supersaturation" not in r:
        return []
    tol = r.get("acceleration_check_tolerance")     # a file written before it was recorded: not said
    within = f"within {100 * float(tol):g} %" if tol is not None else "within the check's tolerance"
    text = (f"acceleration    {float(acceleration):g}: S = {float(r['acceleration_check_supersaturation']):.4g} at "
            f"the interface against {float(r['acceleration_check_supersaturation_at_A1']):.4g} at A = 1; S {within} "
            f"for A <= {float(r['acceleration_check_converged_up_to']):.3g}")
    if "acceleration_check_converged_up_to_solute_enrichment" in r:
        text += (f"; the solute's enrichment {within} for A <= "
                 f"{float(r['acceleration_check_converged_up_to_solute_enrichment']):.3g}")
    return [text + (" (converged)" if bool(r["acceleration_check_converged"]) else " (beyond the converged range)")]
