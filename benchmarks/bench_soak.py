"""Soak test: 10^6 random vectors per design through cocotb + Verilator, with random backpressure.

Three models -- the bundled digits model, the trained 4,000-gate digits model
and a random layered net this project never tuned on -- each optimised as the
CLI does, at ``--pipeline-every`` 1, 2 and 3. Every design runs

* ``stream_random``: all vectors, the HDL harness drops ``i__valid`` and
  ``o__ready`` at random (30 % of clocks each) -- random bubbles and
  backpressure at full simulation speed;
* ``stream``: all vectors, one per clock, which also checks that every result
  appears exactly ``latency`` cycles after its input;
* ``backpressure``: ``--percycle`` vectors driven by cocotb from Python every
  clock, with ``o__ready`` low on 40 % of clocks.

Every output (class and all counts) is compared with the golden model.

    python benchmarks/bench_soak.py [--vectors 1000000] [--k 1 2 3] [--percycle 20000]

Prints one JSON line per design and exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lgnhw.formats import load_model
from lgnhw.passes import optimize
from lgnhw.randnet import random_layered
from lgnhw.verify import build

ROOT = Path(__file__).resolve().parent.parent
MODES = ("stream_random", "stream", "backpressure")


def models() -> list[tuple[str, object]]:
    return [
        ("bundled digits", load_model(ROOT / "lgnhw" / "data" / "digits.lgn")),
        ("digits4k (trained)", load_model(ROOT / "benchmarks" / "models" / "digits4k.lgn")),
        ("random_layered 200-5x800-10 seed 11", random_layered(200, [800] * 5, 10, seed=11)),
    ]


def soak(label: str, net, k: int, vectors: int, percycle: int, seed: int) -> dict:
    bits = np.random.default_rng(seed).integers(0, 2, (vectors, net.num_inputs), dtype=np.uint8)
    with tempfile.TemporaryDirectory(prefix="lgnhw-soak-") as tmp:
        t0 = time.perf_counter()
        sim = build(net, pipeline_every=k, work_dir=tmp, optimize=True)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = sim.run(bits, modes=MODES, seed=seed, percycle_vectors=percycle)
        run_s = time.perf_counter() - t0
    per_mode = {name: {"vectors": m["vectors"], "mismatches": m["mismatches"] + m["extra_outputs"],
                       "vectors_per_s": round(m["vectors_per_second"])}
                for name, m in res["modes"].items()}
    return {"model": label, "gates": net.num_gates, "pipeline_every": k,
            "latency_cycles": res["declared_latency"], "latency_ok": res["latency_ok"],
            "mismatches": res["mismatches"], "modes": per_mode,
            "build_s": round(build_s, 1), "run_s": round(run_s, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=1_000_000)
    ap.add_argument("--percycle", type=int, default=20_000,
                    help="vectors for the cocotb per-clock backpressure mode")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    bad = 0
    for label, net in models():
        net, _ = optimize(net)
        for k in args.k:
            row = soak(label, net, k, args.vectors, args.percycle, args.seed)
            print(json.dumps(row), flush=True)
            bad += row["mismatches"] + (0 if row["latency_ok"] else 1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
