"""Run the benchmarks one after another (``make bench``), each in its own process.

    python benchmarks/run_all.py                    # the self-contained ones (~7 min)
    python benchmarks/run_all.py --boards           # + board builds with YoWASP (~15-20 min)
    python benchmarks/run_all.py --fit              # + fit-check accuracy against synthesis (~30 min)
    python benchmarks/run_all.py --asic             # + standard cells, timing and energy (~5-8 min)
    python benchmarks/run_all.py --soak             # + 10^6 vectors per design through cocotb (~15 min)
    python benchmarks/run_all.py --ceiling          # + the fabric ceilings, every device (~35 min)
    python benchmarks/run_all.py --torchlogix       # + torchlogix side by side (needs a Python 3.12 venv)

Each script prints its own JSON lines; the README's figures come from them.
Stops at the first script that fails and exits with its status.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (script, arguments): the benchmarks that need nothing beyond the project's install.
CORE = (
    ("bench_core.py", []),
    ("bench_optimize_trained.py", ["--reference", "--train", str(HERE.parent / "out" / "bench-models"),
                                   str(HERE.parent / "lgnhw" / "data" / "digits.lgn"),
                                   str(HERE / "models" / "digits4k.lgn"), str(HERE / "models" / "digits48k.lgn")]),
    ("bench_emit.py", []),
    ("bench_scale.py", []),
    ("bench_sim.py", []),
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boards", action="store_true", help="also bench_boards.py (YoWASP builds)")
    ap.add_argument("--fit", action="store_true", help="also bench_fit.py (yosys synthesis per point)")
    ap.add_argument("--asic", action="store_true", help="also bench_asic.py (lgnhw asic, SKY130)")
    ap.add_argument("--soak", action="store_true",
                    help="also bench_soak.py (10^6 vectors x 9 designs through cocotb, ~15 min)")
    ap.add_argument("--ceiling", action="store_true",
                    help="also bench_ceiling.py --devices all (one-LUT pipelines placed per device)")
    ap.add_argument("--torchlogix", action="store_true",
                    help="also bench_torchlogix.py (torchlogix in a Python >= 3.12 interpreter)")
    a = ap.parse_args()
    runs = list(CORE)
    if a.boards:
        runs.append(("bench_boards.py", []))
    if a.fit:
        runs.append(("bench_fit.py", []))
    if a.asic:
        runs.append(("bench_asic.py", []))
    if a.soak:
        runs.append(("bench_soak.py", []))
    if a.ceiling:
        runs.append(("bench_ceiling.py", ["--devices", "all"]))
    if a.torchlogix:
        runs.append(("bench_torchlogix.py", []))
    for script, args in runs:
        print(f"# {script} {' '.join(args)}".rstrip(), flush=True)
        status = subprocess.call([sys.executable, str(HERE / script), *args])
        if status:
            print(f"# {script} failed with exit status {status}", file=sys.stderr)
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
