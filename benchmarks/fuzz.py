"""Long mutation-fuzzing runs of every model loader (the CI test runs a few hundred).

    python benchmarks/fuzz.py [MUTANTS] [--seed S] [--formats pt,lgn,...] [--jobs N] [--keep DIR] [--json]

MUTANTS per format (default 10000). The seeds, the mutator and the crash
definition are those of ``tests/test_fuzz.py``: a crash is any exception
other than an LgnhwError out of ``load_model`` (or ``net.depth``), a warning,
a mutant over 20 s, or a memory blow-up (each format runs in child processes
under a 3 GB RLIMIT_AS; a watchdog kills a child that stops making progress).
Crashing mutants are kept in ``--keep`` (default: a temporary folder, printed).
Prints one Markdown table row per format; exit status 1 if anything crashed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import test_fuzz  # noqa: E402  (the seeds, mutator and isolated runner)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mutants", nargs="?", type=int, default=10_000, help="mutants per format (default 10000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--formats", default=",".join(test_fuzz.FORMATS),
                   help=f"comma-separated subset of {','.join(test_fuzz.FORMATS)}")
    p.add_argument("--jobs", type=int, default=2, help="formats fuzzed at once (one child process each)")
    p.add_argument("--keep", metavar="DIR", help="folder for crashing mutants and the event logs")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f]
    unknown = sorted(set(formats) - set(test_fuzz.FORMATS))
    if unknown:
        p.error(f"unknown formats {unknown}")
    keep = args.keep or os.path.join(ROOT, "out", f"fuzz-{int(time.time())}")

    def run(fmt):
        folder = os.path.join(keep, fmt)
        os.makedirs(folder, exist_ok=True)
        return test_fuzz.run_isolated(fmt, args.mutants, seed=args.seed, out_dir=folder)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        runs = list(pool.map(run, formats))
    total = time.perf_counter() - t0
    crashed = sum(len(r["crashes"]) for r in runs)
    if args.json:
        print(json.dumps({"mutants_per_format": args.mutants, "seed": args.seed, "seconds": round(total, 1),
                          "jobs": args.jobs, "runs": runs}, sort_keys=True))
        return 1 if crashed else 0
    print(f"mutants per format: {args.mutants}, seed {args.seed}, {args.jobs} formats at a time, "
          f"{total:.0f} s in all\n")
    print("| format | mutants | loaded | refused (one-line error) | crashes | time | slowest mutant | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        refused = r["mutants"] - r["loaded"] - len(r["crashes"])
        print(f"| {r['format']} | {r['mutants']:,} | {r['loaded']:,} | {refused:,} | {len(r['crashes'])} | "
              f"{r['seconds']:.0f} s | {r['slowest_s'] * 1000:.0f} ms | {r['peak_rss_mb']:.0f} MB |")
    for r in runs:
        for index, what in r["crashes"][:10]:
            print(f"crash: {r['format']} mutant {index}: {what}  (kept in {r['out_dir']})")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
