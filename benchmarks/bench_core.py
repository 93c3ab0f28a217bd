"""Core compiler benchmark: load + optimise + predict on random layered netlists.

Target (issue 2): optimise a 1M-gate netlist in <= 5 s on the 2-core machine,
linear in size. Usage: python benchmarks/bench_core.py [--sizes 250000 500000 1000000]
Prints one JSON line per size.
"""

import argparse
import json
import os
import tempfile
import time

import numpy as np

from lgnhw import load_model, write_lgn
from lgnhw.golden import predict
from lgnhw.passes import optimize
from lgnhw.randnet import random_layered


def run(gates: int, layers: int = 8, inputs: int = 1568, samples: int = 10_000) -> dict:
    net = random_layered(inputs, [gates // layers] * layers, 10, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.lgn")
        write_lgn(net, path)
        t0 = time.perf_counter()
        net = load_model(path)
        load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    opt, _ = optimize(net)
    opt_s = time.perf_counter() - t0
    x = np.random.default_rng(0).integers(0, 2, (samples, inputs), dtype=np.uint8)
    t0 = time.perf_counter()
    predict(net, x)
    pred_s = time.perf_counter() - t0
    return {"gates": net.num_gates, "gates_after": opt.num_gates, "load_s": round(load_s, 3),
            "optimize_s": round(opt_s, 3), "predict_s": round(pred_s, 3), "predict_samples": samples,
            "optimize_gates_per_s": round(net.num_gates / opt_s)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    for size in ap.parse_args().sizes:
        print(json.dumps(run(size)), flush=True)
