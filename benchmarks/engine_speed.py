"""Engine benchmarks: prints a table, the ratio to benchmarks/baseline.json, and JSON.

    python benchmarks/engine_speed.py            # quick set: bulk 1e4 and 5e5 sites (median of 3
                                                 # runs each), start times
    python benchmarks/engine_speed.py --full     # adds bulk 4e6 and 3e7, slab with stripping,
                                                 # memory per site (with and without an output
                                                 # file), frame write time, the warm start of
                                                 # kmc analyze and kmc plot on the default run,
                                                 # and the time to strip one monolayer from a
                                                 # 100 x 100 x 12-cell Li-Mg slab
    python benchmarks/engine_speed.py --full --save-baseline   # store the result as the baseline
Results are also written to benchmarks/results/engine_speed.json.
"""
import json
import platform
import sys
from pathlib import Path

from kmc import benchmark as bm

full = "--full" in sys.argv
rows = []


def record(r):
    print(bm.format_row(r), flush=True)
    rows.append(r)


sizes = bm.quick_set() + ([4_000_000, 30_000_000] if full else [])
for n in sizes:
    # The machine's L3 cache is shared, so a single figure can be 5-20 % off; boxes up to 4e6
    # sites are measured three times and the run with the median rate is reported.
    record(bm.median_bulk_benchmark(n, bm.default_events(n), repeats=3 if n <= 4_000_000 else 1))
record(bm.start_times())
if full:
    record(bm.slab_benchmark())
    record(bm.memory_per_site())
    record(bm.memory_per_site(with_output=True))
    record(bm.frame_write_time())
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        run_file = Path(tmp) / "li.h5"
        subprocess.run([str(Path(sys.executable).parent / "kmc"), "run", str(bm.PARAMS.parent / "li_li2s.toml"),
                        "-o", str(run_file)], capture_output=True, check=True)
        record(bm.analysis_start_times(run_file))
    record(bm.time_to_answer())

print("\n".join(bm.compare_with_baseline(rows)))
doc = {"machine": platform.processor() or platform.machine(), "python": platform.python_version(), "results": rows}
out = Path(__file__).parent / "results" / "engine_speed.json"
out.parent.mkdir(exist_ok=True)
out.write_text(json.dumps(doc, indent=2))
if "--save-baseline" in sys.argv:
    bm.BASELINE.write_text(json.dumps(doc, indent=2))
print(json.dumps(doc, indent=2))
