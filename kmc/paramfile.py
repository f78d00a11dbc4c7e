"""Writing into a parameter file in place: the measured I(S) rows of its [meso] table, which
``kmc rates --write-meso FILE`` fills so that nobody copies them by hand.  Everything else of the
file (its comments, the other keys) stays as it is, byte for byte; the rows are rewritten on their
own lines, each row written here with a comment line of where it came from."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

from kmc.config import ConfigError, load_config

S_KEY, RATE_KEY = "nucleation_rate_S", "nucleation_rate_per_um2_s"
# the comment line kmc rates writes above the rows, one per row it wrote: "<MARK> S = <S>: ..."
MARK = "# kmc rates --write-meso:"


def _table_span(lines: list[str], table: str) -> tuple[int, int]:
    """First and one-past-last line of ``[table]`` (to the next table header)."""
    start = next((i for i, line in enumerate(lines) if line.strip() == f"[{table}]"), None)
    if start is None:
        raise ConfigError(f"no [{table}] table; allowed: a parameter file with one, e.g. params/li_li2s.toml")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")
                and not lines[i].lstrip().startswith("[[")), len(lines))
    return start, end


def _key_lines(lines: list[str], start: int, end: int, key: str) -> tuple[int, int] | None:
    """Lines [i, j) that hold ``key = [...]`` inside the span (an array may run over several lines)."""
    for i in range(start, end):
        if lines[i].split("=", 1)[0].strip() == key:
            depth, j = 0, i
            while j < end:
                depth += lines[j].split("#", 1)[0].count("[") - lines[j].split("#", 1)[0].count("]")
                j += 1
                if depth <= 0:
                    return i, j
    return None


def _number(x: float) -> str:
    return f"{x:.3g}" if x != int(x) or abs(x) >= 1e6 else f"{int(x)}"


def write_meso_nucleation_row(path, supersaturation: float, rate_per_um2_s: float, provenance: str) -> list:
    """Put the row (S, I) into the [meso] rows of the parameter file ``path`` (replacing a row at the
    same S, keeping the rows sorted in S) with ``provenance`` on a comment line above them; the
    file must load as before with the new rows (else nothing is written).  Returns the rows."""
    path = Path(path)
    text = path.read_text()
    meso = tomllib.loads(text).get("meso")
    if meso is None:
        raise ConfigError(f"{path} has no [meso] table; allowed: a parameter file with one (kmc meso reads its "
                          "nucleation rows there), e.g. params/limg_li2s.toml")
    rows = dict(zip(map(float, meso.get(S_KEY, [])), map(float, meso.get(RATE_KEY, []))))
    rows[float(supersaturation)] = float(rate_per_um2_s)
    ordered = sorted(rows.items())
    lines = text.split("\n")
    start, end = _table_span(lines, "meso")
    found = [span for span in (_key_lines(lines, start, end, k) for k in (S_KEY, RATE_KEY)) if span]
    notes = [line for line in lines[start:end] if line.startswith(MARK)
             and not line.startswith(f"{MARK} S = {_number(supersaturation)}:")]
    new = notes + [f"{MARK} S = {_number(supersaturation)}: {provenance}",
                   f"{S_KEY} = [{', '.join(_number(s) for s, _ in ordered)}]",
                   f"{RATE_KEY} = [{', '.join(f'{i:.3g}' for _, i in ordered)}]"]
    at = min(i for i, _ in found) if found else end
    drop = {k for i, j in found for k in range(i, j)} | {k for k in range(start, end) if lines[k].startswith(MARK)}
    out = [line for k, line in enumerate(lines[:at]) if k not in drop] + new + \
        [line for k, line in enumerate(lines[at:], at) if k not in drop]
    _replace_if_valid(path, "\n".join(out))
    return ordered


# The pore's edge (kmc.physics.pore_edge): ``kmc rates --write-edge FILE`` puts its records' row at S into
# FILE's [pore_edge] table (made at the end of the file if it has none), with a comment line each.
EDGE_TABLE = "pore_edge"
EDGE_MARK = "# kmc rates --write-edge:"
# Where stripped vacancies go at the contact (kmc.physics.contact_vacancy): ``kmc rates --write-contact FILE``
# puts its rows, one per subsurface solute fraction, into FILE's [contact_vacancy] table the same way.
CONTACT_TABLE = "contact_vacancy"
CONTACT_MARK = "# kmc rates --write-contact:"


def write_pore_edge_row(path, supersaturation: float, values: dict, errors: dict, hop_prefactor_Hz: float,
                        provenance: str) -> list:
    """Put the row at S (``values`` and ``errors`` by record name, kmc.physics.pore_edge.RECORDS) into the
    [pore_edge] table of the parameter file ``path``, replacing a row at the same S and keeping the rows
    sorted in S, with ``provenance`` on a comment line; the rows' clock (hop_prefactor_Hz) must be the
    table's if it has rows already.  The file must load as before with the new rows (else nothing is
    written).  Returns the supersaturations of the rows."""
    from kmc.physics.pore_edge import RECORDS
    return _write_record_row(path, EDGE_TABLE, EDGE_MARK, "supersaturation", supersaturation, RECORDS, values, errors,
                             {"hop_prefactor_Hz": (hop_prefactor_Hz, "clock")}, provenance,
                             ["# What `kmc rates` measured at the pore's edge (kmc.physics.pore_edge names each record, "
                              "its unit and",
                              "# clock; docs/pore_edge.md).  Written by `kmc rates PARAMS --write-edge FILE`; one row "
                              "per S."], "S")


def write_contact_vacancy_row(path, subsurface_fraction: float, values: dict, errors: dict, supersaturation: float,
                              hop_prefactor_Hz: float, provenance: str) -> list:
    """Put the row at a subsurface solute fraction (``values`` and ``errors`` by record name,
    kmc.physics.contact_vacancy.RECORDS) into the [contact_vacancy] table of ``path``, as
    write_pore_edge_row does its rows; the table's S and clock must be this row's if it has rows already.
    Returns the subsurface fractions of the rows."""
    from kmc.physics.contact_vacancy import AXIS, RECORDS
    return _write_record_row(path, CONTACT_TABLE, CONTACT_MARK, AXIS, subsurface_fraction, RECORDS, values, errors,
                             {"supersaturation": (supersaturation, "supersaturation"),
                              "hop_prefactor_Hz": (hop_prefactor_Hz, "clock")}, provenance,
                             ["# Where stripped vacancies go at the contact, per composition of the metal below it",
                              "# (kmc.physics.contact_vacancy names each record, its unit and clock; docs/alloy.md "
                              "section 6).",
                              "# Written by `kmc rates PARAMS --contact-trials N --write-contact FILE`; one row per "
                              "subsurface solute fraction."], "x")


def _write_record_row(path, table_name: str, mark: str, axis: str, axis_value: float, records, values: dict,
                      errors: dict, scalars: dict, provenance: str, header: list, label: str) -> list:
    """One row of a table of measured records (one list per record and its ``_error`` twin, over the rows'
    ``axis``) into ``path``: replaces a row at the same axis value, keeps the rows sorted, puts
    ``provenance`` on a ``mark`` comment line ("<mark> <label> = <value>: ..."); every one of ``scalars`` (key:
    (value, what it is): the rows' common conditions, e.g. their clock) must equal the table's if it has rows.  The file must
    load as before with the new rows (else nothing is written).  Returns the axis values of the rows."""
    path = Path(path)
    text = path.read_text()
    table = tomllib.loads(text).get(table_name) or {}
    old = [float(s) for s in table.get(axis, [])]
    for key, (value, what) in scalars.items():
        if old and abs(float(table[key]) / value - 1) > 1e-9:
            raise ConfigError(f"{path} [{table_name}] holds rows at {key} = {table[key]:g}, this row was measured at "
                              f"{value:g}; allowed: rows of one {what} (delete the old rows, or measure with the set "
                              "they came from)")
    rows = {s: {k: float(table[k][i]) for k in table if k not in (axis, *scalars)} for i, s in enumerate(old)}
    rows[float(axis_value)] = {**{k: float(v) for k, v in values.items()},
                               **{k + "_error": float(v) for k, v in errors.items()}}
    ordered = sorted(rows)
    keys = [k for name in records for k in (name, name + "_error")]
    lines = text.rstrip("\n").split("\n")
    try:
        start, end = _table_span(lines, table_name)
    except ConfigError:
        lines += ["", f"[{table_name}]", *header]
        start, end = _table_span(lines, table_name)
    notes = [line for line in lines[start:end] if line.startswith(mark)
             and not line.startswith(f"{mark} {label} = {_number(axis_value)}:")]
    kept = [line for line in lines[start + 1:end] if not line.startswith(mark)
            and line.split("=", 1)[0].strip() not in (*keys, axis, *scalars)]
    new = [f"[{table_name}]", *[line for line in kept if line.startswith("#")], *notes,
           f"{mark} {label} = {_number(axis_value)}: {provenance}",
           f"{axis} = [{', '.join(f'{s:.4g}' for s in ordered)}]",
           *[f"{key} = {value!r}" for key, (value, _) in scalars.items()],
           *[f"{k} = [{', '.join(f'{rows[s][k]:.4g}' for s in ordered)}]" for k in keys]]
    out = lines[:start] + new + lines[end:]
    _replace_if_valid(path, "\n".join(out) + "\n")
    return ordered


def _replace_if_valid(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` only if the schema accepts it (written beside it, checked, renamed
    over it): a refused row leaves the file as it was."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    try:
        load_config(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
