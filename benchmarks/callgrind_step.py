"""Instructions per event of the event loop alone, for A/B comparisons on a shared machine
(instruction counts do not depend on what else the machine is doing).

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=cg.out \
        python benchmarks/callgrind_step.py params/limg_li2s.toml slab 20000
    # instructions per event = "Collected" / 20000

Builds the box (``bulk``: 1e5-site periodic bulk, 1 % vacancies; ``slab``: 24x24x12 cells with
stripping at the file's conditions), runs 1e5 events uninstrumented, then switches callgrind on
for the given number of events.  Run it once without valgrind first so the JIT cache is warm.
``bulk-c``: the same bulk box and first 1e5 events, then the given number of events in the C
reference loop (benchmarks/c_reference.py) from a copy of the engine's state: the events the
engine's ``bulk`` run counts.
"""
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

from kmc.config import load_config
from kmc.simulation import Simulation

params, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind in ("bulk", "bulk-c"):
    c = round((100000 / 2) ** (1 / 3))
    sim = Simulation(load_config(params, ["lattice.geometry=bulk", f"lattice.cells=[{c},{c},{c}]",
                                          "composition.vacancy_fraction=0.01", "run.max_events=1"]))
else:
    sim = Simulation(load_config(params, ["lattice.cells=[24,24,12]", "run.acceleration=1e6"]))
sim.step(100_000)
if kind == "bulk-c":
    spec = importlib.util.spec_from_file_location("c_reference", Path(__file__).with_name("c_reference.py"))
    cref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cref)
    dll, c = cref.build_library(), cref.CState(sim)
subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True)
time.sleep(0.5)
if kind == "bulk-c":
    c.run(dll, n)
else:
    sim.step(n)
subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True)
if kind == "bulk-c":
    print("events", n, "checksum", int(c.state["word"].sum()), "time_s", float(c.state["clock"][0]))
else:
    print("events", sim.events, "checksum", int(sim.site_word.sum()), "time_s", sim.time_s)
