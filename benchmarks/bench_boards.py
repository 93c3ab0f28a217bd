"""Board builds side by side: LUTs, FFs, Fmax, utilisation of lgnhw cores vs a naive baseline.

    python benchmarks/bench_boards.py                 # all designs below (~15-20 min, 1 core each)
    python benchmarks/bench_boards.py --only digits4k-hx8k-k2 baseline-hx8k
    python benchmarks/bench_boards.py --check-baseline  # also simulate the baseline vs golden

Designs (timing targets from the project brief):

* the bundled digits model on the iCEBreaker (iCE40UP5K): target >= 60 MHz;
* the ~4,000-gate digits model ``benchmarks/models/digits4k.lgn`` (or, if it is
  missing, ``random_layered(128, [1000]*4, 10)``) on the iCE40-HX8K: target
  >= 150 MHz in < 4,500 logic cells, at several ``--pipeline-every`` settings;
* the naive baseline: the same *unoptimised* netlist written as one register
  per layer, a behavioural popcount (a for-loop sum) and a behavioural argmax
  compare loop, registered once at the output -- what one writes by hand
  first. Its Verilog generator is :func:`naive_verilog` below. It is placed in
  the same board shell, so the figures differ only by the core.

Every build runs the full yosys + nextpnr flow (YoWASP, seed 1; ``--seeds``
for more placements) through
:func:`lgnhw.build.build_board`; results go to ``out/bench_boards/<design>/``
and a summary table to stdout (``--json`` for one JSON object).

Measured figures are in the README ("Board builds"), with the history of
how the core and shell got there.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lgnhw.build import build_board, load_model_or_default  # noqa: E402
from lgnhw.errors import LgnhwError  # noqa: E402
from lgnhw.formats import load_model  # noqa: E402
from lgnhw.netlist import FIRST_INPUT, Netlist  # noqa: E402


# -- the naive baseline --------------------------------------------------------------------

_OP_EXPR = ["1'b0", "{a} & {b}", "{a} & ~{b}", "{a}", "~{a} & {b}", "{b}", "{a} ^ {b}", "{a} | {b}",
            "~({a} | {b})", "~({a} ^ {b})", "~{b}", "{a} | ~{b}", "~{a}", "~{a} | {b}",
            "~({a} & {b})", "1'b1"]


def naive_verilog(net: Netlist, name: str = "naive_core") -> tuple[str, int]:
    """Verilog of a hand-written-style core for a strictly layered netlist, and its latency.

    One register per layer (``L1 .. LD``), then in one combinational stage a
    behavioural popcount per class (for-loop sum + bias) and a behavioural
    argmax (compare loop, ties to the lowest class), registered at the output.
    Ports follow HW_CONTRACT (always-ready variant): ``clk, rst, i__payload,
    i__valid, o__payload, o__valid``. Latency = depth + 1.
    """
    lv = np.asarray(net.levels)
    depth = net.depth
    sig_level = np.concatenate([np.zeros(net.first_gate, dtype=np.int64), lv])
    # position of each gate inside its layer register
    pos = np.zeros(net.num_signals, dtype=np.int64)
    widths = []
    for d, group in enumerate(net.level_groups, start=1):
        pos[net.first_gate + group] = np.arange(group.size)
        widths.append(int(group.size))
    for name_, src in (("a", net.a), ("b", net.b)):
        src_lv = sig_level[src]
        ok = (src < FIRST_INPUT) | (src_lv == lv - 1)
        if not ok.all():
            raise LgnhwError(f"naive baseline needs a strictly layered netlist; gate {np.flatnonzero(~ok)[0]} "
                             f"input {name_} skips layers")
    if np.any(sig_level[net.outputs] != depth) and np.any(net.outputs >= FIRST_INPUT):
        raise LgnhwError("naive baseline needs every output in the last layer")

    def ref(s: int) -> str:
        if s < FIRST_INPUT:
            return f"1'b{s}"
        if s < net.first_gate:
            return f"i__payload[{s - FIRST_INPUT}]"
        return f"L{sig_level[s]}[{pos[s]}]"

    c, gs = net.num_classes, net.group_size
    cw = max(1, (c - 1).bit_length())
    nw = max(1, int(gs + int(net.bias.max(initial=0))).bit_length())
    width = cw + c * nw
    lines = ["// naive baseline core (benchmarks/bench_boards.py): one register per layer,",
             f"// behavioural popcount + argmax. {net.num_gates} gates, {depth} layers.",
             f"module {name} (input wire clk, input wire rst,",
             f"    input wire [{net.num_inputs - 1}:0] i__payload, input wire i__valid,",
             f"    output reg [{width - 1}:0] o__payload, output wire o__valid);"]
    for d, w in enumerate(widths, start=1):
        lines.append(f"    reg [{w - 1}:0] L{d};")
    lines.append("    always @(posedge clk) begin")
    ops, aa, bb = net.op.tolist(), net.a.tolist(), net.b.tolist()
    for d, group in enumerate(net.level_groups, start=1):
        for g in group.tolist():
            expr = _OP_EXPR[ops[g]].format(a=ref(aa[g]), b=ref(bb[g]))
            lines.append(f"        L{d}[{pos[net.first_gate + g]}] <= {expr};")
    lines.append("    end")
    outs = ", ".join(ref(int(s)) for s in net.outputs[::-1])
    lines += [f"    wire [{net.num_outputs - 1}:0] outs = {{{outs}}};",
              f"    reg [{nw - 1}:0] cnt [0:{c - 1}];",
              f"    reg [{cw - 1}:0] best;",
              "    integer k, j;",
              "    always @* begin",
              f"        for (k = 0; k < {c}; k = k + 1) begin",
              "            cnt[k] = 0;",
              f"            for (j = 0; j < {gs}; j = j + 1)",
              f"                cnt[k] = cnt[k] + outs[k * {gs} + j];",
              "        end"]
    for k, bias in enumerate(net.bias.tolist()):
        if bias:
            lines.append(f"        cnt[{k}] = cnt[{k}] + {nw}'d{bias};")
    lines += ["        best = 0;",
              f"        for (k = 1; k < {c}; k = k + 1)",
              "            if (cnt[k] > cnt[best]) best = k;",
              "    end",
              "    always @(posedge clk)",
              "        o__payload <= {" + ", ".join(f"cnt[{k}]" for k in reversed(range(c))) + ", best};",
              f"    reg [{depth}:0] v;",
              "    always @(posedge clk)",
              f"        if (rst) v <= 0; else v <= {{v[{depth - 1}:0], i__valid}};" if depth else
              "        if (rst) v <= 0; else v <= i__valid;",
              f"    assign o__valid = v[{depth}];",
              "endmodule", ""]
    return "\n".join(lines), depth + 1


def naive_core_factory(net: Netlist, name: str = "naive_core"):
    """An Amaranth stand-in for LgnCore that instantiates the naive Verilog module."""
    from amaranth.hdl import ClockSignal, Instance, Module, ResetSignal, unsigned
    from amaranth.lib import data, stream, wiring
    from amaranth.lib.wiring import In, Out

    _, latency = naive_verilog(net, name)
    c = net.num_classes
    cw = max(1, (c - 1).bit_length())
    nw = max(1, int(net.group_size + int(net.bias.max(initial=0))).bit_length())
    layout = data.StructLayout({"cls": unsigned(cw), "counts": data.ArrayLayout(unsigned(nw), c)})

    class NaiveCore(wiring.Component):
        def __init__(self):
            self.latency = latency
            super().__init__({"i": In(stream.Signature(unsigned(net.num_inputs), always_ready=True)),
                              "o": Out(stream.Signature(layout, always_ready=True))})

        def elaborate(self, platform):
            m = Module()
            m.submodules.naive = Instance(name, i_clk=ClockSignal(), i_rst=ResetSignal(),
                                          i_i__payload=self.i.payload, i_i__valid=self.i.valid,
                                          o_o__payload=self.o.payload.as_value(), o_o__valid=self.o.valid)
            return m

    return NaiveCore()


def check_baseline(net: Netlist, n: int = 2000) -> dict:
    """Simulate the naive Verilog against the golden model (Verilator, lgnhw.verify)."""
    import tempfile
    from lgnhw.verify import build as sim_build
    text, latency = naive_verilog(net)
    folder = Path(tempfile.mkdtemp(prefix="lgnhw-naive-"))
    src = folder / "naive_core.v"
    src.write_text(text)
    bits = np.random.default_rng(0).integers(0, 2, (n, net.num_inputs)).astype(np.uint8)
    sim = sim_build(net, sources=[src], latency=latency, name="naive_core", always_ready=True,
                    work_dir=folder)
    res = sim.run(bits, modes=("stream",))
    return {"vectors": res["vectors"], "mismatches": res["mismatches"], "latency_ok": res["latency_ok"]}


# -- designs -----------------------------------------------------------------------------

def _digits4k():
    path = ROOT / "benchmarks" / "models" / "digits4k.lgn"
    if path.exists():
        return load_model(path), str(path.relative_to(ROOT))
    from lgnhw.randnet import random_layered
    return random_layered(128, [1000] * 4, 10), "random_layered(128, [1000]*4, 10)"


def _digits48k():
    path = ROOT / "benchmarks" / "models" / "digits48k.lgn"
    return load_model(path), str(path.relative_to(ROOT))


def designs():
    """name -> (loader, board, pipeline_every, target MHz, cell budget, baseline?)"""
    bundled = lambda: load_model_or_default(None)  # noqa: E731
    return {
        "digits-ice40-k1": (bundled, "ice40", 1, 60.0, None, False),
        "digits-ice40-k2": (bundled, "ice40", 2, 60.0, None, False),
        "digits4k-hx8k-k1": (_digits4k, "hx8k", 1, 150.0, 4500, False),
        "digits4k-hx8k-k2": (_digits4k, "hx8k", 2, 150.0, 4500, False),
        "digits4k-hx8k-k3": (_digits4k, "hx8k", 3, 150.0, 4500, False),
        "baseline-hx8k": (_digits4k, "hx8k", 1, 150.0, 4500, True),
        "digits4k-ulx3s-k2": (_digits4k, "ulx3s", 2, 150.0, None, False),
        "digits4k-tang_primer_20k-k2": (_digits4k, "tang_primer_20k", 2, 100.0, None, False),
        "digits48k-ulx3s-k2": (_digits48k, "ulx3s", 2, 150.0, None, False),
    }


#: Run only when named with --only: routing did not converge here within 25 minutes (README).
SLOW = {"digits48k-ulx3s-k2"}


def run(name: str, spec, out_root: Path, seed: int = 1) -> dict:
    loader, board, k, target, budget, baseline = spec
    net, label = loader()
    extra = {}
    if baseline:
        text, _ = naive_verilog(net)
        extra = dict(core=naive_core_factory, files={"naive_core.v": text}, optimize=False)
    t0 = time.perf_counter()
    try:
        rep = build_board(net, board, out_dir=out_root / (name if seed == 1 else f"{name}-seed{seed}"),
                          pipeline_every=k, target_mhz=target, seed=seed, model_label=label,
                          bitstream=False, **extra)
    except LgnhwError as err:
        return {"design": name, "board": board, "model": label, "pipeline_every": k,
                "error": str(err), "seconds": round(time.perf_counter() - t0, 1)}
    fmax = min(rep["fmax_mhz"].values())
    cp = rep["critical_path"] or {}
    return {"design": name, "board": board, "model": label, "seed": seed,
            "pipeline_every": None if baseline else k,
            "core": "naive baseline" if baseline else "lgnhw",
            "gates": rep["gates_after"], "luts": rep["luts"], "ffs": rep["ffs"], "carries": rep["carries"],
            "logic_cells": rep["logic_cells"], "utilization": rep["utilization"],
            "fmax_mhz": fmax, "target_mhz": target, "meets_fmax": fmax >= target,
            "within_budget": None if budget is None else rep["logic_cells"] < budget,
            "latency_cycles": rep["latency_cycles"], "breakdown": rep["breakdown"],
            "critical_path": cp, "seconds": round(time.perf_counter() - t0, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", metavar="DESIGN", choices=list(designs()))
    ap.add_argument("--out", default=str(ROOT / "out" / "bench_boards"))
    ap.add_argument("--check-baseline", action="store_true",
                    help="simulate the naive baseline against the golden model first")
    ap.add_argument("--seeds", nargs="+", type=int, default=[1], metavar="SEED",
                    help="nextpnr placement seeds to build each design with (default: 1)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    out_root = Path(args.out)
    results = []
    if args.check_baseline:
        net, _ = _digits4k()
        results.append({"design": "baseline-check", **check_baseline(net)})
        print(json.dumps(results[-1]), file=sys.stderr)
    for name, spec in designs().items():
        if (args.only and name not in args.only) or (not args.only and name in SLOW):
            continue
        for seed in args.seeds:
            res = run(name, spec, out_root, seed)
            results.append(res)
            print(json.dumps({k: v for k, v in res.items() if k != "breakdown"}), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps({"results": results}, sort_keys=True))
        return 0
    print(f"{'design':<18} {'seed':>4} {'core':<15} {'K':>2} {'gates':>6} {'LUTs':>6} {'FFs':>6} {'LCs':>6} "
          f"{'util':>6} {'Fmax MHz':>9} {'target':>7} {'lat':>4}  critical path")
    for r in results:
        if "error" in r:
            print(f"{r['design']:<18} error: {r['error']}")
            continue
        if "luts" not in r:
            continue
        cp = r["critical_path"]
        where = (f"{cp.get('delay_ns', 0):.2f} ns, {cp.get('logic_levels', 0)} LUT levels, "
                 f"{' -> '.join(cp.get('parts', []))}") if cp else "-"
        print(f"{r['design']:<18} {r['seed']:>4} {r['core']:<15} {r['pipeline_every'] or '-':>2} {r['gates']:>6} "
              f"{r['luts']:>6} {r['ffs']:>6} {r['logic_cells']:>6} {r['utilization']:>6.1%} "
              f"{r['fmax_mhz']:>9.1f} {r['target_mhz']:>7.0f} {r['latency_cycles']:>4}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
