"""Simulation benchmark: cocotb + Verilator vectors/s on a ~4,000-gate core.

Target: >= 20,000 vectors/s for a ~4,000-gate model with Verilator (the
``stream`` fast path: the HDL harness feeds one vector per clock from memory,
cocotb only orchestrates, loads vectors and checks results). For comparison
it also times the cocotb per-clock driver (``cocotb`` mode) and both C++
optimisation settings of the build (``-O0``: quick build; ``-Os``: quick run).

    python benchmarks/bench_sim.py [--vectors 200000] [--k 1] [--model FILE.lgn]

Prints one JSON line per (model, K, optimize): build seconds, vectors/s of
each mode (simulation + vector file I/O + checking, excluding the build and
the simulator's start-up), and the end-to-end wall time of the run.
"""

import argparse
import json
import tempfile
import time

import numpy as np

from lgnhw.randnet import random_layered
from lgnhw.verify import build


def bench(net, label: str, vectors: int, k: int, optimize: bool, percycle: int) -> dict:
    bits = np.random.default_rng(0).integers(0, 2, (vectors, net.num_inputs), dtype=np.uint8)
    with tempfile.TemporaryDirectory(prefix="lgnhw-bench-sim-") as tmp:
        t0 = time.perf_counter()
        sim = build(net, pipeline_every=k, work_dir=tmp, optimize=optimize)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = sim.run(bits, modes=("stream", "cocotb"), percycle_vectors=percycle)
        run_s = time.perf_counter() - t0
    if not res["ok"]:
        raise SystemExit(f"simulation mismatch: {res['first_mismatches'][:1]}")
    m = res["modes"]
    return {"model": label, "gates": net.num_gates, "pipeline_every": k,
            "latency_cycles": res["latency_cycles"], "optimize": optimize,
            "build_s": round(build_s, 1), "vectors": vectors,
            "stream_vectors_per_s": round(m["stream"]["vectors_per_second"]),
            "cocotb_per_clock_vectors_per_s": round(m["cocotb"]["vectors_per_second"]),
            "run_wall_s": round(run_s, 1), "mismatches": res["mismatches"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=200_000)
    ap.add_argument("--percycle", type=int, default=5_000, help="vectors for the cocotb per-clock mode")
    ap.add_argument("--k", type=int, nargs="+", default=[1])
    ap.add_argument("--model", help=".lgn model (default: random layered 256 -> 4 x 1000 gates, 10 classes)")
    ap.add_argument("--optimize", choices=["both", "on", "off"], default="both")
    args = ap.parse_args()
    if args.model:
        from lgnhw.formats import load_model
        net, label = load_model(args.model), args.model
    else:
        net, label = random_layered(256, [1000] * 4, 10, seed=1), "random_layered 256-4x1000-10"
    opts = {"both": [False, True], "on": [True], "off": [False]}[args.optimize]
    for k in args.k:
        for opt in opts:
            print(json.dumps(bench(net, label, args.vectors, k, opt, args.percycle)), flush=True)


if __name__ == "__main__":
    main()
