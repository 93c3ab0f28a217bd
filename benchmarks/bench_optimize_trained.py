"""Gates kept by the optimiser on trained models, per pass.

Usage: python benchmarks/bench_optimize_trained.py [MODEL ...]
(default: the bundled digits model and benchmarks/models/digits4k.lgn).
Prints one JSON line per model.
"""

import json
import sys
import time
from pathlib import Path

from lgnhw import load_model, optimize

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "lgnhw" / "data" / "digits.lgn", ROOT / "benchmarks" / "models" / "digits4k.lgn"]

for path in sys.argv[1:] or DEFAULT:
    net = load_model(path)
    t0 = time.perf_counter()
    opt, report = optimize(net)
    print(json.dumps({
        "model": Path(path).name, "gates": net.num_gates, "gates_after": opt.num_gates,
        "kept": round(opt.num_gates / net.num_gates, 4), "depth_after": opt.depth,
        "seconds": round(time.perf_counter() - t0, 3),
        "removed_by": {p["name"]: p["gates_removed"] for p in report},
    }))
