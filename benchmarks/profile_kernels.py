"""Where an event's time goes, per compiled kernel: perf samples of the event loop, named through
a symbol map of numba's machine code (perf shows JIT code as bare addresses otherwise).

    python benchmarks/profile_kernels.py PARAMS [--events N] [--set key=value ...]
    # e.g. the bond-form slab of benchmarks/ab_interleaved.py (its SLAB):
    python benchmarks/profile_kernels.py params/limg_li2s_bond.toml --set "lattice.cells=[24,24,12]" \
        --set boundary.bottom=closed --set conditions.stack_pressure_MPa=0

Needs `perf` (Debian's linux-perf; software clock sampling, so it works where hardware counters
do not).  The kernels are compiled afresh into a temporary cache (numba keeps a kernel's object
code only when it compiles it, and the map is made from that code), then 1e5 untimed events run,
then perf samples ``--events`` events.  Prints each kernel's share of the samples and its time
per event.  Inlined helpers are part of their caller: a kernel that shows up is a real call.
"""
import argparse
import gc
import os
import signal
import subprocess
import sys
import tempfile
import time


def symbol_map(path):
    """Write a perf map (start size name) of every kernel compiled in this process."""
    from numba.core.registry import CPUDispatcher
    lines = set()
    for obj in gc.get_objects():
        if not isinstance(obj, CPUDispatcher):
            continue
        for cres in obj.overloads.values():
            lib = cres.library
            if lib._compiled_object is None:
                continue
            with tempfile.NamedTemporaryFile(suffix=".o", delete=False) as fh:
                fh.write(bytes(lib._compiled_object))
            out = subprocess.run(["nm", "-S", "--defined-only", fh.name], capture_output=True, text=True).stdout
            os.unlink(fh.name)
            syms = {p[3]: (int(p[0], 16), int(p[1], 16)) for p in (ln.split() for ln in out.splitlines())
                    if len(p) == 4 and p[2] in "tT"}
            anchor = cres.fndesc.llvm_func_name
            if anchor not in syms:
                continue
            base = lib.get_pointer_to_function(anchor) - syms[anchor][0]
            for name, (off, size) in syms.items():
                # mangled names read like _ZN3kmc6engine9run_chunkB...: keep module.function
                short = name
                for module in ("engine", "rates", "neighbours", "sites"):
                    i = name.find(module)
                    if i >= 0:
                        rest = name[i + len(module):]
                        digits = len(rest) - len(rest.lstrip("0123456789"))
                        n = int(rest[:digits]) if digits else 0
                        short = f"{module}.{rest[digits:digits + n]}" if n else name
                        break
                lines.add(f"{base + off:x} {size:x} {short}\n")
    with open(path, "w") as fh:
        fh.writelines(sorted(lines))
    return len(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params")
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--set", action="append", default=[], dest="overrides")
    args = ap.parse_args()
    if not os.environ.get("_PROFILE_KERNELS_CHILD"):
        with tempfile.TemporaryDirectory() as cache:   # a fresh cache: every kernel compiled here
            env = dict(os.environ, NUMBA_CACHE_DIR=cache, _PROFILE_KERNELS_CHILD="1")
            sys.exit(subprocess.run([sys.executable, *sys.argv], env=env).returncode)
    from kmc.config import load_config
    from kmc.simulation import Simulation
    sim = Simulation(load_config(args.params, ["run.acceleration=1e6", *args.overrides]))
    sim.step(100_000)
    symbol_map(f"/tmp/perf-{os.getpid()}.map")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        rec = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "4000", "-o", data, "-p", str(os.getpid())],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        t0 = time.perf_counter()
        sim.step(args.events)
        wall = time.perf_counter() - t0
        rec.send_signal(signal.SIGINT)
        rec.wait()
        report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "sym", "--stdio"],
                                capture_output=True, text=True).stdout
    us_per_event = wall / args.events * 1e6
    print(f"{args.events / wall / 1e6:.3f} M events/s, {us_per_event:.3f} us per event")
    print(f"{'share':>7} {'us/event':>9}  kernel")
    for line in report.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].endswith("%") and float(parts[0][:-1]) >= 0.3:
            share = float(parts[0][:-1])
            print(f"{share:6.1f}% {share / 100 * us_per_event:9.3f}  {parts[-1]}")


if __name__ == "__main__":
    main()
