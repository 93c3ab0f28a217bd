"""`lgnhw sweep` on a LocalCluster: speed-up from 1 to 2 workers, and build time vs Dask overhead.

    python benchmarks/bench_sweep.py                      # bundled digits model, UP5K, K 1 2 x seeds 1 2
    python benchmarks/bench_sweep.py --small              # a 160-gate random model (~25 s a build)
    python benchmarks/bench_sweep.py --workers 1 2 --json

For each worker count the same sweep runs from an empty folder
(:func:`lgnhw.sweep.run_sweep`, the library call behind ``lgnhw sweep``):

* ``wall``: the whole sweep, cluster start and plots included;
* ``build``: the mean of the reports' ``build_seconds`` (inside
  :func:`lgnhw.build.build_board` on the worker);
* ``overhead per task``: ``wall * workers / points - build``, what a point
  costs beyond its build (Dask scheduling, shipping the .lgn bytes and the
  bitstream, the worker's temporary folder, storing the point, and the
  cluster start and plots spread over the points);
* the Dask floor: the round trip of a no-op task on the same cluster, and the
  time to start the cluster.

The ratio build / overhead says how far the sweep scales: with ``W``
workers on ``W`` free cores and at least ``W`` points per worker, the
speed-up is about ``W * build / (build + overhead)``. The machine's load
average is printed before and after (the development machine's 2 cores are
shared, so the 1 -> 2 worker speed-up there is a lower bound).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lgnhw.build import load_model_or_default  # noqa: E402
from lgnhw.sweep import grid, run_sweep  # noqa: E402


def _noop(x):
    return x


def dask_floor(workers: int, n: int = 200) -> dict:
    """Cluster start time and the mean round trip of a no-op task (one at a time)."""
    import logging
    from distributed import Client, LocalCluster
    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster, set_as_default=False) as client:
        start = time.perf_counter() - t0
        client.submit(_noop, 0, pure=False).result()
        t1 = time.perf_counter()
        for i in range(n):
            client.submit(_noop, i, pure=False).result()
        trip = (time.perf_counter() - t1) / n
    return {"cluster_start_s": round(start, 2), "noop_round_trip_ms": round(trip * 1000, 2)}


def one_sweep(net, label, points, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        t0 = time.perf_counter()
        s = run_sweep(net, points, Path(tmp) / "sweep", workers=workers, model_label=label)
        wall = time.perf_counter() - t0
    ok = [r for r in s["points"] if r["status"] == "ok"]
    build = statistics.mean(r["build_seconds"] for r in ok)
    task = statistics.mean(r["task_seconds"] for r in ok)
    per_task = wall * workers / len(points)
    return {"workers": workers, "points": len(points), "built": len(ok), "wall_s": round(wall, 1),
            "build_s": round(build, 1), "task_s": round(task, 1),
            "overhead_per_task_s": round(per_task - build, 2),
            "build_to_overhead": round(build / max(per_task - build, 1e-9), 1),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="a 160-gate random model instead of the bundled one")
    ap.add_argument("--board", default="ice40")
    ap.add_argument("--pipeline-every", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.small:
        from lgnhw.randnet import random_layered
        net, label = random_layered(16, [60, 60, 40], 4, seed=3), "random_layered(16, [60, 60, 40], 4, seed=3)"
    else:
        net, label = load_model_or_default(None)
    points = grid([args.board], args.pipeline_every, args.seeds)
    result = {"model": label, "board": args.board, "points": len(points), "cores": os.cpu_count(),
              "loadavg_before": [round(x, 2) for x in os.getloadavg()], "runs": [], "dask": {}}
    for w in args.workers:
        result["dask"][str(w)] = dask_floor(w)
        result["runs"].append(one_sweep(net, label, points, w))
        if not args.json:
            print(json.dumps(result["runs"][-1]), flush=True)
    base = result["runs"][0]
    for r in result["runs"]:
        r["speedup"] = round(base["wall_s"] / r["wall_s"], 2)
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return 0
    print(f"model {label}, {len(points)} points on {args.board}, {os.cpu_count()} cores; "
          f"load average before {result['loadavg_before']}, after {result['loadavg_after']}")
    print(f"{'workers':>7} {'wall s':>8} {'speed-up':>8} {'build s':>8} {'overhead/task s':>15} "
          f"{'build/overhead':>14} {'cluster start s':>15} {'no-op task ms':>13}")
    for r in result["runs"]:
        d = result["dask"][str(r["workers"])]
        print(f"{r['workers']:>7} {r['wall_s']:>8.1f} {r['speedup']:>8.2f} {r['build_s']:>8.1f} "
              f"{r['overhead_per_task_s']:>15.2f} {r['build_to_overhead']:>14.1f} {d['cluster_start_s']:>15.2f} "
              f"{d['noop_round_trip_ms']:>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
