"""The ``lgnhw`` command. Thin: parses arguments, calls the library, prints.

Every command accepts ``--json`` and then prints exactly one JSON object on
stdout; otherwise a human-readable table. Errors from the LgnhwError family
print one line on stderr (``lgnhw: error: <file>: <problem>``) and exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from .errors import FormatError, LgnhwError

__all__ = ["main"]


# -- shared helpers ------------------------------------------------------------

def _load(args):
    from .formats import load_model
    options = {}
    if getattr(args, "wiring", None):
        options["wiring"] = args.wiring
    return load_model(args.model, **options)


def _emit_result(args, result: dict, table: list[tuple[str, object]] | None = None) -> None:
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return
    rows = table if table is not None else list(result.items())
    width = max((len(k) for k, _ in rows), default=0)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def _load_npy(path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise FormatError(path, f"cannot read as a .npy array ({err})") from None


def _model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL",
                   help="model file: .lgn, difflogic torch.save checkpoint, ... (detected by content)")
    p.add_argument("--wiring", metavar="FILE",
                   help="wiring .npz for a difflogic state_dict (state_dict() does not hold LogicLayer.indices)")


# -- commands --------------------------------------------------------------------

def cmd_inspect(args) -> int:
    from .formats import detect_format
    net = _load(args)
    result = {
        "format": detect_format(args.model),
        "inputs": net.num_inputs,
        "gates": net.num_gates,
        "classes": net.num_classes,
        "outputs": net.num_outputs,
        "depth": net.depth,
        "ops": net.op_counts(),
    }
    table = [(k, v) for k, v in result.items() if k != "ops"]
    table += [(f"  {name}", n) for name, n in sorted(result["ops"].items(), key=lambda kv: -kv[1])]
    _emit_result(args, result, table)
    return 0


def cmd_optimize(args) -> int:
    from .formats import write_lgn
    from .passes import optimize
    net = _load(args)
    t0 = time.perf_counter()
    out, report = optimize(net)
    seconds = time.perf_counter() - t0
    write_lgn(out, args.output)
    result = {
        "gates_before": net.num_gates,
        "gates_after": out.num_gates,
        "passes": report,
        "seconds": round(seconds, 4),
        "output": args.output,
    }
    table = [("gates_before", net.num_gates), ("gates_after", out.num_gates),
             ("kept", f"{out.num_gates / max(net.num_gates, 1):.1%}")]
    table += [(f"  {p['name']}", f"-{p['gates_removed']} gates, {p['seconds']:.3f} s") for p in report]
    table += [("seconds", f"{seconds:.3f}"), ("output", args.output)]
    _emit_result(args, result, table)
    return 0


def cmd_predict(args) -> int:
    from .fileio import atomic_open
    from .golden import predict
    net = _load(args)
    x = _load_npy(args.inputs)
    if x.ndim != 2 or x.shape[1] != net.num_inputs:
        raise FormatError(args.inputs, f"has shape {x.shape}, expected (N, {net.num_inputs}) encoded input bits")
    if x.size and not np.isin(x, (0, 1)).all():
        raise FormatError(args.inputs, "holds values other than 0 and 1 (expected encoded input bits)")
    t0 = time.perf_counter()
    counts, pred = predict(net, x.astype(np.uint8))
    seconds = time.perf_counter() - t0
    with atomic_open(args.out, "wb") as f:
        np.savez(f, counts=counts, pred=pred)
    _emit_result(args, {"n": int(x.shape[0]), "seconds": round(seconds, 4), "output": args.out})
    return 0


def cmd_train(args) -> int:
    from .train import TrainConfig, train_to_file
    config = TrainConfig(layers=tuple(args.layers), thermometer=args.thermometer, tau=args.tau,
                         epochs=args.epochs, seed=args.seed, lr=args.lr,
                         batch_size=args.batch_size, threads=args.threads)
    result = train_to_file(args.dataset, args.output, config)
    table = [("dataset", result["dataset"]), ("layers", " ".join(map(str, result["layers"]))),
             ("gates", result["gates"]), ("train_accuracy", f"{result['train_accuracy']:.4f}"),
             ("test_accuracy", f"{result['test_accuracy']:.4f}"), ("seconds", f"{result['seconds']:.1f}"),
             ("output", result["output"])]
    _emit_result(args, result, table)
    return 0


def cmd_emit(args) -> int:
    from .emit import emit
    net = _load(args)
    stats = emit(net, args.output, backend=args.backend, pipeline_every=args.pipeline_every,
                 name=args.name, always_ready=args.always_ready)
    result = {"gates": stats["gates"], "latency_cycles": stats["latency_cycles"],
              "backend": stats["backend"], "seconds": stats["seconds"], "output": args.output}
    _emit_result(args, result)
    return 0


# -- parser ----------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lgnhw", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help):
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        p.set_defaults(func=func)
        return p

    p = command("inspect", cmd_inspect, "show a model's size, depth and gate mix")
    _model_arg(p)

    p = command("optimize", cmd_optimize, "run the optimisation passes and write a .lgn")
    _model_arg(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT.lgn")

    p = command("predict", cmd_predict, "class scores and predictions of the golden model")
    _model_arg(p)
    p.add_argument("--inputs", required=True, metavar="X.npy", help="(N, inputs) array of 0/1 encoded input bits")
    p.add_argument("--out", required=True, metavar="P.npz", help="writes counts (N, classes) and pred (N,)")

    p = command("train", cmd_train, "train a logic gate network (needs the 'train' extra) and write a .lgn")
    p.add_argument("--dataset", default="digits", metavar="digits|FILE.npz",
                   help="'digits' (scikit-learn, fixed split) or an .npz with X, y [, X_test, y_test]")
    p.add_argument("--layers", type=int, nargs="+", default=[500, 500, 500, 500], metavar="N",
                   help="gates per layer; the last width must be divisible by the classes")
    p.add_argument("--thermometer", type=int, default=3, metavar="T", help="thresholds per input feature")
    p.add_argument("--tau", type=float, default=10.0, help="GroupSum temperature")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=0.01, help="Adam learning rate")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (fixed for reproducible results)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.lgn")

    p = command("emit", cmd_emit, "write the pipelined core (and its AXI-Stream wrapper) as Verilog")
    _model_arg(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT.v")
    p.add_argument("--backend", choices=["verilog", "amaranth"], default="verilog",
                   help="direct Verilog writer (fast, any size) or Amaranth (reference, small nets)")
    p.add_argument("--pipeline-every", type=int, default=1, metavar="K",
                   help="a register after every K logic levels (0: combinational)")
    p.add_argument("--name", default="lgn_core", help="top module name")
    p.add_argument("--always-ready", action="store_true", help="no ready ports; the core never stalls")

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LgnhwError as err:
        print(f"lgnhw: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lgnhw: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
