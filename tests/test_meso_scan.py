"""A pressure x current scan of `kmc meso` (kmc.meso_scan.meso_scan) gives the same numbers, bit for bit, run
here one after another and on a local Dask cluster of two worker processes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kmc.config import load_config
from kmc.meso_scan import meso_scan

LI = Path(__file__).resolve().parent.parent / "params" / "li_li2s.toml"


def _scan_settings():
    """2 pressures x 2 currents of a 20 um section to 0.01 mAh/cm2 (a second or two each)."""
    return [load_config(LI, [f"conditions.stack_pressure_MPa={p}", f"conditions.current_density_mA_cm2={i}",
                             "meso.width_um=20", "meso.stop_stripped_mAh_cm2=0.01", "meso.output_every_mAh_cm2=0.005"])
            for p in (0.2, 5.0) for i in (0.5, 2.0)]


@pytest.mark.slow   # a LocalCluster's start (~15 s on the shared machine) and four short runs twice
def test_a_meso_scan_on_two_dask_workers_gives_the_serial_numbers():
    pytest.importorskip("dask.distributed")
    settings = _scan_settings()
    serial = meso_scan(settings)
    on_dask = meso_scan(settings, workers=2)
    assert len(serial) == len(on_dask) == 4
    for a, b in zip(serial, on_dask):
        assert a["stop_reason"] == b["stop_reason"] and a["steps"] == b["steps"]
        assert a["series"].keys() == b["series"].keys()
        for name in a["series"]:
            np.testing.assert_array_equal(a["series"][name], b["series"][name], err_msg=name)
    # the points differ (the scan is not one run four times): the overpotential grows with the current
    assert serial[1]["series"]["overpotential"][-1] > serial[0]["series"]["overpotential"][-1]
