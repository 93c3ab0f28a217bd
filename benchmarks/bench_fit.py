"""Accuracy of the fit check: predicted LUTs/FFs/carries/BRAMs against yosys synthesis.

    python benchmarks/bench_fit.py                       # default models x boards x K
    python benchmarks/bench_fit.py --boards ulx3s --k 2  # a subset
    python benchmarks/bench_fit.py --rescore OLD.jsonl   # new predictions, same synthesis results

For every (model, board, K): :func:`lgnhw.fit.predict` from the plan (no
elaboration), then the board build up to synthesis (``place=False``: yosys
only, no place and route), and one JSON line with both and the relative
error per resource. The summary line gives the spread per family. Models:
the bundled digits model, digits4k, and lgnhw.randnet networks of other
widths, depths and seeds (none of them was used to choose the factors in
``lgnhw/fit.py``'s CALIBRATION except where the README says so).
"""

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lgnhw import fit  # noqa: E402
from lgnhw.boards import catalog  # noqa: E402
from lgnhw.build import build_board  # noqa: E402
from lgnhw.formats import read_lgn  # noqa: E402
from lgnhw.gateware.plan import Plan  # noqa: E402
from lgnhw.passes import optimize  # noqa: E402
from lgnhw.randnet import random_layered  # noqa: E402

MODELS = {
    "digits": lambda: read_lgn(os.path.join(ROOT, "lgnhw", "data", "digits.lgn")),
    "digits4k": lambda: read_lgn(os.path.join(ROOT, "benchmarks", "models", "digits4k.lgn")),
    "rand_3x2000_s7": lambda: random_layered(128, [2000] * 3, 10, seed=7),
    "rand_6x1500_s3": lambda: random_layered(256, [1500] * 6, 10, seed=3),
    "rand_4x3000_s5_dense": lambda: random_layered(200, [3000] * 4, 10, seed=5,
                                                   ops=[1, 2, 4, 6, 7, 8, 9, 11, 13, 14]),
}
BOARDS = ("hx8k", "ulx3s", "tang_primer_20k", "arty_a7_100", "de10_nano")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--boards", nargs="+", default=list(BOARDS))
    ap.add_argument("--k", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "bench_fit"))
    ap.add_argument("--rescore", metavar="JSONL",
                    help="re-predict the points of an earlier run's output (synthesis is not rerun: "
                         "its counts do not depend on the predictor)")
    args = ap.parse_args(argv)
    errors = {}
    if args.rescore:
        with open(args.rescore) as f:
            old = [json.loads(line) for line in f if '"synthesised"' in line]
        nets = {}
        for r in old:
            if r["model"] not in nets:
                nets[r["model"]] = optimize(MODELS[r["model"]]())[0]
            pred = fit.predict(Plan.build(nets[r["model"]], r["k"]), catalog.board(r["board"]).dev)
            _point(r["model"], r["board"], r["k"], nets[r["model"]], pred, r["synthesised"],
                   r.get("parts_synthesised"), errors, 0.0)
        _summary(errors)
        return 0
    for mname in args.models:
        net, _ = optimize(MODELS[mname]())
        for bname in args.boards:
            b = catalog.board(bname)
            for k in args.k:
                t0 = time.perf_counter()
                pred = fit.predict(Plan.build(net, k), b.dev)
                t_pred = time.perf_counter() - t0
                rep = build_board(net, bname, out_dir=os.path.join(args.out, f"{mname}-{bname}-k{k}"),
                                  pipeline_every=k, optimize=False, check_fit=False, place=False)
                _point(mname, bname, k, net, pred, rep, rep["breakdown"], errors, t_pred)
    _summary(errors)
    return 0


def _point(mname, bname, k, net, pred, synth, parts, errors, t_pred) -> None:
    family = catalog.board(bname).family
    keys = ("luts", "ffs", "carries", "brams")
    err = {r: round((pred[r] - synth[r]) / synth[r], 4) if synth[r] else None for r in keys}
    for r, e in err.items():
        if e is not None:
            errors.setdefault((family, r), []).append(e)
    print(json.dumps({"model": mname, "board": bname, "family": family, "k": k,
                      "gates": net.num_gates, "predict_seconds": round(t_pred, 3),
                      "predicted": {r: pred[r] for r in keys}, "synthesised": {r: synth[r] for r in keys},
                      "error": err, "parts_predicted": pred["parts"], "parts_synthesised": parts}),
          flush=True)


def _summary(errors) -> None:
    summary = {f"{fam}/{r}": {"min": min(v), "max": max(v), "n": len(v)} for (fam, r), v in sorted(errors.items())}
    print(json.dumps({"summary": summary}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
