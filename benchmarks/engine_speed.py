"""Engine speed on periodic bulk Li0.97Mg0.03 boxes with 1 % vacancies; prints a table and JSON.

    python benchmarks/engine_speed.py            # 1e4 and 5e5 sites
    python benchmarks/engine_speed.py --full     # adds 4e6 sites
Results go to benchmarks/results/engine_speed.json as well.
"""
import json
import sys
from pathlib import Path

from kmc import benchmark as bm

sizes = bm.quick_set() + ([4_000_000] if "--full" in sys.argv else [])
rows = []
for n in sizes:
    r = bm.bulk_benchmark(n, bm.default_events(n))
    print(bm.format_row(r), flush=True)
    rows.append(r)
out = Path(__file__).parent / "results" / "engine_speed.json"
out.parent.mkdir(exist_ok=True)
out.write_text(json.dumps(rows, indent=2))
print(json.dumps(rows, indent=2))
