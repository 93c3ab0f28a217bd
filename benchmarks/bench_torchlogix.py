"""lgnhw vs torchlogix on the same circuits: compile time, memory, gates, LUTs/Fmax, correctness.

    python benchmarks/bench_torchlogix.py                      # everything (~15 min on 2 cores)
    python benchmarks/bench_torchlogix.py --only small --no-pnr
    python benchmarks/bench_torchlogix.py --tl-python /path/to/py312/bin/python

torchlogix (PyPI ``torchlogix``, needs Python >= 3.12) is only a benchmark
peer: it runs in its own interpreter (``--tl-python``, default
``/work/venv312/bin/python``) through ``benchmarks/torchlogix_worker.py``;
lgnhw never imports it. Every figure comes from a fresh process per step, so
each peak RSS (``VmHWM``) belongs to that step alone.

Circuits (dense LGNs, ``LogicDense`` layers + ``GroupSum(10, tau)``):

* ``small``: 192 input bits (sklearn digits, 3-level thermometer per pixel),
  4 x 1,000 neurons, trained with torchlogix (``--epochs`` of its relaxed soft
  forward, Adam) unless ``--no-train`` (then residual-initialised weights);
* ``large``: 192 input bits, 5 x 200,000 neurons, random weights
  (``weight_init="random"``: a random gate per neuron; torchlogix's default
  residual init would make almost every neuron a wire).

Per circuit:

1. torchlogix compiles its model: ``Circuit.from_model`` (make_fx trace and
   export), ``simplify()``, ``get_verilog_code()``; the raw circuit JSON is
   written (untimed) before ``simplify``.
2. lgnhw compiles that raw JSON: ``read_torchlogix`` + ``passes.optimize`` +
   ``emit(..., backend="verilog", pipeline_every=1)`` (``lgnhw emit``'s
   default: pipelined core with popcount + argmax head).
3. gates after optimisation: torchlogix ``simplify()`` vs lgnhw ``optimize``,
   both from the same raw circuit (and lgnhw on torchlogix's simplified JSON).
4. correctness: lgnhw's golden model on the raw JSON, on its optimised netlist
   and on torchlogix's simplified JSON vs the torchlogix model's own outputs
   (export mode) on the digits test vectors: scores ``counts / tau`` and argmax.
5. (small only, unless ``--no-pnr``) both Verilog designs through yosys
   ``synth_ice40`` + nextpnr-ice40 ``--hx8k --package ct256 --seed 1`` inside
   the same registered test harness (:func:`harness_verilog`): torchlogix's
   combinational ``circuit`` module (gates + one behavioural popcount per
   class; no beta, no tau, no argmax) against lgnhw's always-ready core
   (gates + popcount tree + bias + argmax) at each ``--k`` (0 = combinational,
   else pipelined every K gate levels).

Compile steps run ``--repeat`` times (default 3), the two tools taking turns
so that both see the same machine conditions; the fastest run and the median
are reported. The small model's training is reused from
``small/train.json`` when layers, tau, seed and epochs are unchanged.

Output: one JSON line per step, then a markdown table. Files go to ``--out``
(default ``out/bench_torchlogix``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

THRESHOLDS = (3, 7, 11)          # digits pixels 0..16 -> 3 thermometer bits each (192 bits)
CIRCUITS = {
    "small": {"layers": [1000] * 4, "init": "residual", "train": True, "repeat": 3},
    "large": {"layers": [200_000] * 5, "init": "random", "train": False, "repeat": 3},
}
DEFAULT_TL_PYTHON = "/work/venv312/bin/python"
COMPILE_K = 1                    # pipeline_every of the timed compile: `lgnhw emit`'s default


from procstat import peak_rss_mb, rss_mb  # noqa: E402  (benchmarks/ is on sys.path: run as a script)


def emit_line(obj: dict) -> dict:
    print(json.dumps(obj), flush=True)
    return obj


# -- data ---------------------------------------------------------------------------------

def prepare_data(out: Path) -> tuple[Path, Path]:
    """digits split (lgnhw.datasets) thermometer-encoded: data.npz for training, test bits .npy."""
    from lgnhw.datasets import load_digits_split
    d = load_digits_split()
    th = np.array(THRESHOLDS)

    def enc(x):
        return (x[:, :, None] > th).reshape(len(x), -1).astype(np.uint8)

    data, vec = out / "digits_bits.npz", out / "test_bits.npy"
    np.savez(data, x_train=enc(d.x_train), y_train=d.y_train, x_test=enc(d.x_test), y_test=d.y_test)
    np.save(vec, enc(d.x_test))
    return data, vec


# -- the two compilers, each in a fresh process ----------------------------------------------

def run_json(argv: list[str], log: Path) -> dict:
    """Run a step, keep its stderr in ``log``, return the JSON object of its last stdout line."""
    with open(log, "w") as err:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=err, text=True)
    if proc.returncode:
        sys.exit(f"step failed (exit {proc.returncode}): {' '.join(argv)}; see {log}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def lgnhw_compile(raw_json: str, out_v: str, k: int, always_ready: bool) -> dict:
    """lgnhw's compile flow on a torchlogix JSON, timed in this (fresh) process."""
    t0 = time.perf_counter()
    from lgnhw.emit import emit
    from lgnhw.formats.torchlogix import read_torchlogix
    from lgnhw.passes import optimize
    import_s, import_rss = time.perf_counter() - t0, rss_mb()
    t0 = time.perf_counter()
    net = read_torchlogix(raw_json)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    opt, _ = optimize(net)
    optimize_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    st = emit(opt, out_v, backend="verilog", pipeline_every=k, always_ready=always_ready)
    emit_s = time.perf_counter() - t0
    peak = peak_rss_mb()
    return {"step": "lgnhw_compile", "json": raw_json, "loaded_gates": net.num_gates,
            "optimized_gates": opt.num_gates, "depth": opt.depth, "pipeline_every": k,
            "always_ready": always_ready, "latency_cycles": st["latency_cycles"],
            "import_s": round(import_s, 2), "load_s": round(load_s, 3),
            "optimize_s": round(optimize_s, 3), "emit_s": round(emit_s, 3),
            "compile_s": round(load_s + optimize_s + emit_s, 3),
            "verilog_mbytes": round(os.path.getsize(out_v) / 1e6, 2),
            "rss_after_import_mb": round(import_rss, 1), "peak_rss_mb": round(peak, 1)}


def lgnhw_step(raw_json: Path, out_v: Path, k: int, always_ready: bool, log: Path) -> dict:
    argv = [sys.executable, __file__, "lgnhw-compile", str(raw_json), str(out_v), "--k", str(k)]
    return run_json(argv + (["--always-ready"] if always_ready else []), log)


# -- correctness and gate counts (untimed) ---------------------------------------------------

def check_and_count(d: Path, vec: Path) -> dict:
    """lgnhw golden vs torchlogix model outputs; gates of each optimisation."""
    from lgnhw.formats.torchlogix import read_torchlogix
    from lgnhw.golden import predict
    from lgnhw.passes import optimize
    ref = np.load(d / "torchlogix_outputs.npy")               # (N, C) (popcount + beta) / tau
    bits = np.load(vec)[:ref.shape[0]]
    ref_pred = ref.argmax(1)                                   # torch.argmax: first maximum
    raw = read_torchlogix(d / "raw.json")
    opt, _ = optimize(raw)
    simp = read_torchlogix(d / "simplified.json")
    simp_opt, _ = optimize(simp)
    res = {"step": "check", "circuit": d.name, "vectors": int(bits.shape[0]),
           "raw_gates": raw.num_gates, "torchlogix_simplified_gates": simp.num_gates,
           "lgnhw_optimized_gates": opt.num_gates,
           "lgnhw_on_torchlogix_simplified_gates": simp_opt.num_gates}
    for name, net in (("raw", raw), ("lgnhw_optimized", opt), ("torchlogix_simplified", simp),
                      ("torchlogix_simplified_then_lgnhw", simp_opt)):
        counts, pred = predict(net, bits)
        scores_ok = bool(np.allclose(counts / net.tau, ref, rtol=1e-6, atol=1e-5))
        res[f"{name}_scores_match"] = scores_ok
        res[f"{name}_pred_match"] = bool(np.array_equal(pred, ref_pred))
    res["all_match"] = all(v for k, v in res.items() if k.endswith("_match"))
    return res


# -- place and route in a shared registered harness ------------------------------------------

def harness_verilog(kind: str, n_in: int, out_bits: list[str], core_inst: str) -> str:
    """``bench_top``: the same registered test harness around either core.

    Pins: ``clk``, ``sin``, ``load``, ``rst_in``, ``valid_in``, ``sout``. The core
    inputs come from an ``n_in``-bit shift register fed from ``sin`` (the input
    register); the chosen core output bits go to an output register, then to a
    parallel-load shift register read out on ``sout``, so every bit stays
    observable with 4 pins and every harness path is one LUT deep. For the
    combinational torchlogix module the timed path is thus input register ->
    gates + popcount -> output register.
    """
    w = len(out_bits)
    return f"""// {kind} core in the bench_torchlogix harness (generated)
module bench_top (input wire clk, input wire sin, input wire load, input wire rst_in,
                  input wire valid_in, output wire sout);
    reg [{n_in - 1}:0] in_sr;
    reg load_r, rst_r, valid_r;
    always @(posedge clk) begin
        in_sr <= {{in_sr[{n_in - 2}:0], sin}};
        load_r <= load; rst_r <= rst_in; valid_r <= valid_in;
    end
{core_inst}
    wire [{w - 1}:0] core_out = {{{", ".join(reversed(out_bits))}}};
    reg [{w - 1}:0] out_r, out_sr;
    always @(posedge clk) begin
        out_r <= core_out;
        out_sr <= load_r ? out_r : {{1'b0, out_sr[{w - 1}:1]}};
    end
    assign sout = out_sr[0];
endmodule
"""


def torchlogix_harness(d: Path) -> tuple[str, int]:
    """Harness around torchlogix's ``circuit`` module: the low NW bits of each class score."""
    simp = json.loads((d / "simplified.json").read_text())
    classes = len(simp["outputs"])
    text = (d / "torchlogix.v").read_text()
    m = re.search(r"output\s+reg\s+\[(\d+):0\]\s+scores_flat", text)
    slot = (int(m.group(1)) + 1) // classes
    nw = max(len(s["input_ids"]) for s in simp["sum_nodes"]).bit_length()
    bits = [f"scores[{c * slot + j}]" for c in range(classes) for j in range(nw)]
    inst = (f"    wire [{classes * slot - 1}:0] scores;\n"
            f"    circuit core (.inp(in_sr), .scores_flat(scores));")
    return harness_verilog("torchlogix", simp["n_inputs"], bits, inst), len(bits)


def lgnhw_harness(core_v: Path, n_in: int) -> tuple[str, int]:
    text = core_v.read_text()
    m = re.search(r"output\s+wire\s+\[(\d+):0\]\s+o__payload", text)
    w = int(m.group(1)) + 1
    bits = [f"pay[{j}]" for j in range(w)] + ["ovalid"]
    inst = (f"    wire [{w - 1}:0] pay;\n    wire ovalid;\n"
            f"    lgn_core core (.clk(clk), .rst(rst_r), .i__payload(in_sr), .i__valid(valid_r),\n"
            f"                   .o__payload(pay), .o__valid(ovalid));")
    return harness_verilog("lgnhw", n_in, bits, inst), len(bits)


def pnr(label: str, sources: list[Path], harness: str, out: Path, freq: float) -> dict:
    """yosys synth_ice40 + nextpnr-ice40 (HX8K ct256, seed 1) of ``bench_top``."""
    from lgnhw import report as rp
    from lgnhw import tools as lgnhw_tools
    tools = lgnhw_tools.find_all(("yosys", "nextpnr-ice40"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_top.v").write_text(harness)
    reads = " ".join(str(s) for s in sources + [out / "bench_top.v"])
    script = (f"read_verilog {reads}\nsynth_ice40 -top bench_top -json top.json\n"
              f"tee -q -o stat.json stat -json\n")
    (out / "synth.ys").write_text(script)
    t0 = time.perf_counter()
    with open(out / "yosys.log", "w") as log:
        rc = subprocess.run([tools["yosys"], "-q", "synth.ys"], cwd=out, stdout=log, stderr=log).returncode
    synth_s = time.perf_counter() - t0
    if rc:
        return {"step": "pnr", "design": label, "error": f"yosys failed, see {out / 'yosys.log'}"}
    res = rp.ice40_resources(rp.stat_cells(out / "stat.json"))
    t0 = time.perf_counter()
    with open(out / "nextpnr.log", "w") as log:
        rc = subprocess.run([tools["nextpnr-ice40"], "--hx8k", "--package", "ct256", "--seed", "1",
                             "--json", "top.json", "--freq", str(freq), "--timing-allow-fail",
                             "--report", "report.json"], cwd=out, stdout=log, stderr=log).returncode
    pnr_s = time.perf_counter() - t0
    row = {"step": "pnr", "design": label, "luts": res["luts"], "ffs": res["ffs"],
           "carries": res["carries"], "synth_s": round(synth_s, 1), "pnr_s": round(pnr_s, 1)}
    if rc:
        row["error"] = f"nextpnr failed, see {out / 'nextpnr.log'}"
        return row
    rep = rp.parse_nextpnr_report(out / "report.json")
    row["logic_cells"] = rep["utilization"].get("ICESTORM_LC", (None, None))[0]
    row["fmax_mhz"] = min(rep["fmax_mhz"].values()) if rep["fmax_mhz"] else None
    cp = rep["critical_path"] or {}
    row["critical_path"] = {k: cp.get(k) for k in ("delay_ns", "logic_levels", "logic_ns", "routing_ns")}
    return row


# -- table ----------------------------------------------------------------------------------

def _ratio(a, b, invert=False):
    if not a or not b:
        return ""
    r = (b / a) if invert else (a / b)
    return f"{r:.1f}x"


def table(results: dict) -> str:
    rows = ["| circuit | metric | torchlogix | lgnhw | lgnhw advantage |", "|---|---|---|---|---|"]
    for name, r in results.items():
        tl, lg, ck = r.get("tl"), r.get("lg"), r.get("check")
        label = f"{name} ({r['neurons']:,} neurons, {tl['raw_gates']:,} raw gates, {r['weights']})"
        rows.append(f"| {label} | compile s, fastest of {lg['runs']} (tl: trace+simplify+verilog; "
                    f"lgnhw: load+optimize+emit) | {tl['compile_s']:.2f} | {lg['compile_s']:.2f} "
                    f"| {_ratio(tl['compile_s'], lg['compile_s'])} |")
        if "compile_s_median" in tl and "compile_s_median" in lg:
            rows.append(f"| | compile s, median of {lg['runs']} | {tl['compile_s_median']:.2f} "
                        f"| {lg['compile_s_median']:.2f} "
                        f"| {_ratio(tl['compile_s_median'], lg['compile_s_median'])} |")
        rows.append(f"| | peak RSS MB (after import) | {tl['peak_rss_mb']:.0f} ({tl['rss_after_import_mb']:.0f}) "
                    f"| {lg['peak_rss_mb']:.0f} ({lg['rss_after_import_mb']:.0f}) "
                    f"| {_ratio(tl['peak_rss_mb'], lg['peak_rss_mb'])} |")
        if ck:
            rows.append(f"| | gates after optimisation | {ck['torchlogix_simplified_gates']:,} "
                        f"| {ck['lgnhw_optimized_gates']:,} "
                        f"| {1 - ck['lgnhw_optimized_gates'] / ck['torchlogix_simplified_gates']:.1%} fewer |")
            rows.append(f"| | golden == torchlogix model on {ck['vectors']} vectors | | "
                        f"{'yes' if ck['all_match'] else 'NO'} | |")
        for p in r.get("pnr", []):
            if "error" in p:
                rows.append(f"| | {p['design']} | {p['error']} | | |")
        tlp = next((p for p in r.get("pnr", []) if p["design"] == "torchlogix" and "error" not in p), None)
        for p in r.get("pnr", []):
            if p["design"] == "torchlogix" or "error" in p or not tlp:
                continue
            k = int(p["design"].rsplit("_k", 1)[1])
            tag = f"lgnhw K={k}" + (", combinational" if k == 0 else ", pipelined")
            rows.append(f"| | HX8K LUTs / FFs / LCs ({tag}) | {tlp['luts']} / {tlp['ffs']} / "
                        f"{tlp['logic_cells']} | {p['luts']} / {p['ffs']} / {p['logic_cells']} | |")
            rows.append(f"| | HX8K Fmax MHz ({tag}) | {tlp['fmax_mhz']:.1f} | {p['fmax_mhz']:.1f} "
                        f"| {_ratio(tlp['fmax_mhz'], p['fmax_mhz'], invert=True)} |")
    return "\n".join(rows)


# -- main -------------------------------------------------------------------------------------

def _summary(runs: list) -> dict:
    """The fastest run, with every run's time and their median."""
    best = min(runs, key=lambda r: r["compile_s"])
    times = [r["compile_s"] for r in runs]
    return dict(best, runs=len(runs), compile_s_all=times, compile_s_median=float(np.median(times)))


def alternate(repeat: int, steps: dict, **tags) -> dict:
    """Run each compile step ``repeat`` times (fresh processes), taking turns
    (a, b, a, b, ...) so that both tools see the same machine conditions;
    summarise each step's runs (:func:`_summary`)."""
    runs = {name: [] for name in steps}
    for i in range(repeat):
        for name, step in steps.items():
            runs[name].append(emit_line(dict(step(), run=i, **tags)))
    return {name: _summary(r) for name, r in runs.items()}


def run_circuit(name: str, spec: dict, a, out: Path, data: Path, vec: Path) -> dict:
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    worker = [a.tl_python, str(HERE / "torchlogix_worker.py")]
    common = ["--layers", *map(str, spec["layers"]), "--classes", "10", "--tau", str(a.tau),
              "--init", spec["init"], "--seed", str(a.seed)]
    res = {"neurons": sum(spec["layers"])}
    state = []
    if spec["train"] and a.epochs > 0:
        key = {"layers": spec["layers"], "tau": a.tau, "seed": a.seed, "epochs": a.epochs}
        cache = d / "train.json"                        # reuse a model trained with the same settings
        if (d / "model.pt").exists() and cache.exists() and json.loads(cache.read_text())["key"] == key:
            tr = emit_line(dict(json.loads(cache.read_text())["result"], reused=True))
        else:
            tr = emit_line(dict(run_json(worker + ["train", *common, "--data", str(data), "--epochs",
                                                   str(a.epochs), "--out", str(d / "model.pt")],
                                         d / "train.log"), circuit=name))
            cache.write_text(json.dumps({"key": key, "result": tr}))
        state = ["--state", str(d / "model.pt")]
        res["weights"] = f"trained {a.epochs} epochs, {tr['test_accuracy']:.1%} test"
        res["train"] = tr
    else:
        res["weights"] = f"{spec['init']}-initialised"
    tl_argv = worker + ["compile", *common, "--inputs", str(3 * 64), *state, "--vectors", str(vec),
                        "--out", str(d)]
    repeat = a.repeat if a.repeat else spec["repeat"]
    # torchlogix goes first in every turn: lgnhw compiles the raw circuit it writes
    res.update(alternate(repeat, {
        "tl": lambda: run_json(tl_argv, d / "torchlogix.log"),
        "lg": lambda: lgnhw_step(d / "raw.json", d / "lgnhw.v", COMPILE_K, False, d / "lgnhw.log"),
    }, circuit=name))
    res["check"] = emit_line(check_and_count(d, vec))
    if name == "small" and not a.no_pnr:
        res["pnr"] = []
        text, nbits = torchlogix_harness(d)
        res["pnr"].append(emit_line(dict(pnr("torchlogix", [d / "torchlogix.v"], text, d / "pnr_torchlogix",
                                             a.freq), circuit=name, out_bits=nbits)))
        for k in a.k:
            core = d / f"lgnhw_k{k}_ar.v"
            emit_line(dict(lgnhw_step(d / "raw.json", core, k, True, d / f"lgnhw_k{k}.log"), circuit=name))
            text, nbits = lgnhw_harness(core, 3 * 64)
            res["pnr"].append(emit_line(dict(pnr(f"lgnhw_k{k}", [core], text, d / f"pnr_lgnhw_k{k}", a.freq),
                                             circuit=name, out_bits=nbits)))
    return res


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "lgnhw-compile":
        ap = argparse.ArgumentParser(prog="bench_torchlogix.py lgnhw-compile")
        ap.add_argument("json")
        ap.add_argument("out_v")
        ap.add_argument("--k", type=int, default=1)
        ap.add_argument("--always-ready", action="store_true")
        a = ap.parse_args(sys.argv[2:])
        print(json.dumps(lgnhw_compile(a.json, a.out_v, a.k, a.always_ready)), flush=True)
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=sorted(CIRCUITS), default=["small", "large"])
    ap.add_argument("--out", default=str(ROOT / "out" / "bench_torchlogix"))
    ap.add_argument("--tl-python", default=os.environ.get("TORCHLOGIX_PYTHON", DEFAULT_TL_PYTHON))
    ap.add_argument("--epochs", type=int, default=100, help="torchlogix training epochs (small); 0: untrained")
    ap.add_argument("--tau", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k", type=int, nargs="+", default=[0, 1, 2],
                    help="lgnhw pipeline_every for the PnR runs (0: combinational, like torchlogix)")
    ap.add_argument("--freq", type=float, default=250.0, help="nextpnr clock target (MHz)")
    ap.add_argument("--no-pnr", action="store_true")
    ap.add_argument("--repeat", type=int, default=0,
                    help="compile runs per tool, taking turns (default: 3)")
    ap.add_argument("--table", action="store_true", help="only print the table of the last results.json")
    a = ap.parse_args()
    out = Path(a.out).resolve()
    if a.table:
        print(table(json.loads((out / "results.json").read_text())))
        return
    if not Path(a.tl_python).exists():
        sys.exit(f"no torchlogix interpreter at {a.tl_python} (--tl-python or TORCHLOGIX_PYTHON)")
    out.mkdir(parents=True, exist_ok=True)
    data, vec = prepare_data(out)
    results = {name: run_circuit(name, CIRCUITS[name], a, out, data, vec) for name in a.only}
    md = table(results)
    (out / "results.md").write_text(md + "\n")
    with open(out / "results.json", "w") as f:
        json.dump(results, f, indent=1)
    print()
    print(md)


if __name__ == "__main__":
    main()
