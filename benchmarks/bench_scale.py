"""Scale benchmark: load -> optimise -> direct Verilog, one process per size.

Targets (issue 5): 1M gates in <= 10 s total; 61M gates (the largest CIFAR-10
convolutional LGN) within 15 minutes and 20 GB of RAM. The model is a random
difflogic-style layered netlist written as .lgn first (not timed). Prints one
JSON line per size with seconds per step and the peak resident memory.

Usage: python benchmarks/bench_scale.py [--gates 1000000 61000000] [--layers 8] [--k 2]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

WORKER = r"""
import json, resource, sys, time
from lgnhw import load_model
from lgnhw.emit import emit
from lgnhw.passes import optimize
model, out, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = {}
t0 = time.perf_counter(); net = load_model(model); t["load_s"] = time.perf_counter() - t0
t0 = time.perf_counter(); opt, _ = optimize(net); t["optimize_s"] = time.perf_counter() - t0
t0 = time.perf_counter(); info = emit(opt, out, backend="verilog", pipeline_every=k); t["emit_s"] = time.perf_counter() - t0
t = {key: round(v, 2) for key, v in t.items()}
t.update(gates=net.num_gates, gates_after=opt.num_gates, depth=opt.depth,
         latency_cycles=info["latency_cycles"], total_s=round(sum(t.values()), 2),
         peak_rss_gb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2))
print(json.dumps(t))
"""


# Ops that really depend on both inputs: a random netlist of these does not
# collapse to a fraction of itself the way uniformly random ops (a third of
# them constants or wires) do, so the optimiser and writer get real work.
TWO_INPUT_OPS = (1, 2, 4, 6, 7, 8, 9, 11, 13, 14)


def make_model(path: str, gates: int, layers: int, inputs: int) -> None:
    from lgnhw import write_lgn
    from lgnhw.randnet import random_layered
    write_lgn(random_layered(inputs, [gates // layers] * layers, 10, seed=1, ops=TWO_INPUT_OPS), path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gates", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--inputs", type=int, default=3072)
    ap.add_argument("--k", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        for gates in args.gates:
            model = os.path.join(tmp, f"m{gates}.lgn")
            t0 = time.perf_counter()
            make_model(model, gates, args.layers, args.inputs)
            made = time.perf_counter() - t0
            res = subprocess.run([sys.executable, "-c", WORKER, model, os.path.join(tmp, "core.v"), str(args.k)],
                                 capture_output=True, text=True)
            if res.returncode:
                sys.exit(f"{gates} gates: worker failed:\n{res.stderr}")
            row = json.loads(res.stdout)
            row.update(verilog_mb=round(os.path.getsize(os.path.join(tmp, "core.v")) / 2**20, 1),
                       make_model_s=round(made, 1), pipeline_every=args.k)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
