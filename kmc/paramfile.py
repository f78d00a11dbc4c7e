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
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(out))
    try:
        load_config(tmp)            # refused by the schema: the file stays as it was
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return ordered
