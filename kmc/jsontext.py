"""JSON as every command prints it: strict JSON (RFC 8259), which has no NaN or Infinity.  A number
that does not exist (a statistic of nothing, an observable a bulk box has no interface for) is null;
numpy scalars and arrays are plain numbers and lists."""
from __future__ import annotations

import json
import math

import numpy as np


def plain(value):
    """``value`` with numpy scalars and arrays as Python numbers and lists, and non-finite floats as
    None, through dicts, lists and tuples."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value, **options) -> str:
    """json.dumps of plain(value), refusing anything strict JSON cannot hold (allow_nan=False)."""
    return json.dumps(plain(value), allow_nan=False, **options)
