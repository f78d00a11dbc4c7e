"""Memory stays flat over a run with many frames and checkpoints (speed drift is measured by
benchmarks/long_run.py, not asserted: timings are not tests)."""
import importlib.util
import tracemalloc
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _long_run_module():
    spec = importlib.util.spec_from_file_location("long_run", ROOT / "benchmarks" / "long_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow   # a leak check over a long run (1e5 sites, 3.2e5 events, 16 frames), ~8 s of CPU
def test_memory_flat_over_frames_and_checkpoints(tmp_path):
    # 1e5 sites: each frame is 100 kB and each checkpoint copies ~1 MB of state, so keeping any
    # of them alive per frame would grow the traced heap by >= 1.4 MB over the 14 frames after
    # warm-up; without a leak it grew by 0.2-0.3 MB over 28 (measured).  RSS is checked too, loosely:
    # the allocator reuses freed pages, so RSS only catches gross growth.  (The run's time goes into
    # writing its 10 samples per frame, so 16 frames rather than 30 halve it.)
    tracemalloc.start()
    try:
        res = _long_run_module().long_run(sites=1e5, events=3.2e5, frames=16, out=tmp_path / "long.h5")
    finally:
        tracemalloc.stop()
    assert res["events"] == 320_000 and res["frames"] == 17
    assert res["traced_growth_MB"] < 0.5, res
    assert res["rss_growth_MB"] < 10, res
    assert not (tmp_path / "long.h5.checkpoint").exists()   # removed when the run finished
