"""Emit benchmark: direct Verilog writer (and Amaranth for a small size) on random layered netlists.

Target: write a 1M-gate netlist in <= 10 s (direct writer, pipeline_every=1) on
the 2-core machine. Usage:

    python benchmarks/bench_emit.py [--sizes 100000 1000000] [--k 1 2] [--amaranth 2000] [--dag]

Prints one JSON line per (backend, size, K): seconds for planning and writing,
file size, latency and register bits.
"""

import argparse
import json
import os
import tempfile
import time

from lgnhw.emit import emit
from lgnhw.gateware.plan import Plan
from lgnhw.randnet import random_dag, random_layered
from lgnhw.verilog import register_bits, write_verilog


def run_direct(gates: int, k: int, layers: int = 8, inputs: int = 1568, classes: int = 10,
               dag: bool = False) -> dict:
    if dag:  # skip connections: gates read any of the 20k signals below them
        net = random_dag(inputs, gates, 10_000, classes, seed=1, window=20_000)
    else:
        net = random_layered(inputs, [gates // layers] * layers, classes, seed=1)
    t0 = time.perf_counter()
    plan = Plan.build(net, k)
    plan_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "core.v")
        t0 = time.perf_counter()
        write_verilog(plan, path)
        write_s = time.perf_counter() - t0
        size = os.path.getsize(path)
    return {"backend": "verilog", "netlist": "dag" if dag else "layered", "gates": net.num_gates,
            "depth": net.depth, "pipeline_every": k,
            "plan_s": round(plan_s, 3), "write_s": round(write_s, 3),
            "total_s": round(plan_s + write_s, 3), "mbytes": round(size / 1e6, 1),
            "latency_cycles": plan.latency, "register_bits": register_bits(plan),
            "gates_per_s": round(net.num_gates / (plan_s + write_s))}


def run_amaranth(gates: int, k: int, layers: int = 4, inputs: int = 64, classes: int = 10) -> dict:
    net = random_layered(inputs, [gates // layers] * layers, classes, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        stats = emit(net, os.path.join(tmp, "core.v"), backend="amaranth", pipeline_every=k)
    return {"backend": "amaranth", "gates": net.num_gates, "pipeline_every": k,
            "total_s": stats["seconds"], "latency_cycles": stats["latency_cycles"],
            "ms_per_gate": round(1000 * stats["seconds"] / net.num_gates, 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--k", type=int, nargs="+", default=[1])
    ap.add_argument("--amaranth", type=int, default=2000, help="gates for the Amaranth run (0: skip)")
    ap.add_argument("--dag", action="store_true", help="also a random DAG with skip connections")
    args = ap.parse_args()
    for size in args.sizes:
        for k in args.k:
            print(json.dumps(run_direct(size, k)), flush=True)
            if args.dag:
                print(json.dumps(run_direct(size, k, dag=True)), flush=True)
    if args.amaranth:
        print(json.dumps(run_amaranth(args.amaranth, args.k[0])), flush=True)


if __name__ == "__main__":
    main()
