"""The build driver: netlist -> fit check -> board shell + core -> family flow -> report.

:func:`build_board` runs every family the same way:

1. optimise the netlist once (:func:`lgnhw.passes.optimize`);
2. check the fit from the pipeline plan (:mod:`lgnhw.fit`) before any
   elaboration, refusing in seconds a design that cannot fit and naming the
   boards that can;
3. wrap the core in the board shell (:mod:`lgnhw.boards.shell`) and let the
   amaranth-boards platform write the build files (its own build plan);
4. run the family's flow (:mod:`lgnhw.build.ice40`, ``ecp5``, ``gowin``:
   yosys, nextpnr, packer; ``vendor``: a Vivado/Quartus project plus a yosys
   estimate), one log per step, progress while a step runs;
5. read one report schema for every family (``estimate: true`` where no
   place and route ran) with the per-part breakdown.

The clock constraint is raised to the timing target (``target_mhz``, default
the board's) so nextpnr optimises for it; the board itself still runs at its
oscillator. nextpnr gets a fixed ``--seed`` (same inputs, same bitstream) and
``--timing-allow-fail`` (a missed target is reported, not an error).

:func:`estimate` is the synthesis-only path for a device without a board
(``lgnhw report --device``): the bare core through the family's yosys
synthesis, plus generic LUT6 counts for comparison with published figures.

Every failure raises an :class:`LgnhwError` with a one-line summary; a failed
place and route says whether it was a fit or a tool failure and names the log.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .. import fit, tools
from .. import report as rp
from ..devices import Device, device as lookup_device
from ..errors import BuildError, LgnhwError, ToolError
from ..fileio import atomic_open
from ..netlist import Netlist
from .ecp5 import ECP5
from .flow import BREAKDOWN, Flow, hierarchy_script
from .gowin import Gowin
from .ice40 import ICE40
from .model import self_test_set
from .run import run_step
from .vendor import Intel, Xilinx

__all__ = ["FLOWS", "build_board", "estimate", "report_table", "ceiling_fields"]

#: family -> its flow
FLOWS: dict[str, Flow] = {"ice40": ICE40(), "ecp5": ECP5(), "gowin": Gowin(), "xilinx": Xilinx(),
                          "intel": Intel()}

_DEFAULT_SEED = 1
_STALE = ("top.bin", "top.bit", "top.fs", "top.asc", "top.config", "top.json", "top.syn.json",
          "top.pnr.json", "top.report.json", "top.stat.json", "top.hier.json", "report.json")


def _prepare(net: Netlist, out_dir, optimize: bool, say):
    """Create the output folder and optimise the netlist: ``(out, net, gates_before)``."""
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise LgnhwError(f"{out}: output folder exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise LgnhwError(f"{out}: cannot create the output folder ({err.strerror or err})") from None
    net.check()
    gates_before = net.num_gates
    if optimize:
        say("optimising the netlist")
        from ..passes import optimize as run_passes
        net, _ = run_passes(net)
    return out, net, gates_before


def ceiling_fields(device: str, fmax_mhz: dict) -> dict:
    """The report's fabric-ceiling keys for ``device`` and the design's ``fmax_mhz``
    (``{clock: MHz}``): ``fabric_ceiling_mhz`` (the measured one-LUT4 pipeline,
    :data:`lgnhw.devices.CEILINGS`), ``adder6_ceiling_mhz``, ``ceiling_ratio`` (the
    slowest clock's Fmax over the one-LUT ceiling) and ``fabric_ceiling`` (how it was
    measured); ``None`` where the device has no ceiling or the design no Fmax."""
    c = lookup_device(device).ceiling
    slowest = min(fmax_mhz.values()) if fmax_mhz else None
    return {"fabric_ceiling_mhz": c and c.lut4_mhz, "adder6_ceiling_mhz": c and c.adder6_mhz,
            "ceiling_ratio": round(slowest / c.lut4_mhz, 3) if c and slowest else None,
            "fabric_ceiling": c and c.summary()}


def _write_report(out: Path, result: dict) -> dict:
    """Add the fabric-ceiling keys (:func:`ceiling_fields`) and write ``OUT/report.json``."""
    result.update(ceiling_fields(result["device"], result["fmax_mhz"]))
    with atomic_open(out / "report.json", "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    return result


def _utilisation(res: dict, dev: Device) -> tuple[int | None, int | None, float | None]:
    """``(logic cells used, available, utilisation)``: iCE40 logic cells (LUT + FF each),
    elsewhere the tighter of LUTs and FFs."""
    if dev.logic_cells:
        used = max(res["luts"], res["ffs"])
        return used, dev.logic_cells, round(used / dev.logic_cells, 4)
    if dev.luts is None:
        return None, None, None
    shares = [res["luts"] / dev.luts, res["ffs"] / dev.ffs]
    if dev.brams:
        shares.append(res["brams"] / dev.brams)
    return res["luts"], dev.luts, round(max(shares), 4)


def _fit_failure(b, flow: Flow, tool_log: Path, res: dict) -> BuildError | None:
    """A BuildError when a failed place and route ran out of room, else None (a tool failure)."""
    text = tool_log.read_text(errors="replace") if tool_log.exists() else ""
    util = rp.nextpnr_log_utilisation(text)
    for bel in (flow.logic_bel, flow.ff_bel):
        if not bel or bel not in util:
            continue
        used, avail = util[bel]
        crowded = "Unable to find legal placement" in text and used >= 0.9 * avail
        if avail and (used > avail or crowded):
            what = f"{bel} {used} of {avail}" + (" (placement failed)" if used <= avail else "")
            return BuildError(f"fit failure: the design does not fit the {b.title}: {what}; "
                              f"{fit.suggestion(b, res)} (log: {tool_log})")
    return None


def build_board(net: Netlist, board: str, *, out_dir, pipeline_every: int | None = None,
                self_test: bool = False, toolchain: str = "yowasp", seed: int = _DEFAULT_SEED,
                target_mhz: float | None = None, baud: int = 115200, optimize: bool = True,
                bitstream: bool = True, model_label: str = "", progress=None,
                core=None, files=None, check_fit: bool = True, place: bool = True) -> dict:
    """Build ``net`` for ``board``; returns the report dict (also written to ``OUT/report.json``).

    ``pipeline_every`` ``None``: the board's default. ``bitstream=False``
    stops after place and route, ``place=False`` after synthesis (the report
    is then a synthesis estimate). ``check_fit``: refuse before elaboration
    when the plan's resource prediction exceeds the device. ``core``:
    ``callable(net) -> component`` replacing :class:`LgnCore` in the shell
    (same always-ready stream ports, a ``latency`` attribute), with extra
    source ``files`` (``{name: text}``) for it, e.g. a Verilog baseline.
    """
    from ..boards import catalog
    from ..gateware.plan import Plan, check_pipeline_every
    say = progress or (lambda msg: None)
    b = catalog.board(board)
    dev = b.dev
    flow = FLOWS[dev.family]
    pipeline_every = check_pipeline_every(b.pipeline_every if pipeline_every is None else pipeline_every)
    found = tools.find_all(flow.tools(bitstream), toolchain)
    target = float(target_mhz if target_mhz is not None else b.target_mhz)
    if not target > 0:
        raise LgnhwError(f"timing target must be positive, not {target_mhz!r} MHz")
    t_start = time.perf_counter()
    out, net, gates_before = _prepare(net, out_dir, optimize, say)
    st = self_test_set(net) if self_test else None

    say("fit check")
    plan = Plan.build(net, pipeline_every, dev.lut_inputs)
    n_test = 0 if st is None else len(st[0])
    if check_fit and core is None:
        predicted = fit.check_board(plan, b, self_test_vectors=n_test)
    else:
        predicted = fit.predict(plan, dev, self_test_vectors=n_test)

    say("elaborating the board shell and core (Amaranth)")
    from ..boards.shell import BoardTop
    top = BoardTop(net, clock_hz=b.clock_hz, baud=baud, pipeline_every=pipeline_every, self_test=st,
                   core=None if core is None else core(net), ram_delay=dev.ram_delay,
                   lut_size=dev.lut_inputs)
    plat = b.platform()
    for fname, text in (files or {}).items():
        plat.add_file(fname, text)
    build_plan = plat.build(top, name="top", do_build=False, **flow.build_options(seed=seed, target=target))
    for stale in _STALE:
        (out / stale).unlink(missing_ok=True)
    build_plan.extract(str(out))
    flow.set_clock_target(out, target)
    commands = rp.load_json(out / "build_top.json")["commands"]
    if flow.vendor:
        with atomic_open(out / "estimate.ys", "w") as f:
            f.write(flow.estimate_script(dev.synth_family))
        flow.write_extra(out)
    main_script = (out / ("estimate.ys" if flow.vendor else "top.ys")).read_text()
    with atomic_open(out / "top.hier.ys", "w") as f:
        f.write(hierarchy_script(main_script, flow.hierarchy_synth(dev), flow.top))

    timings = {}
    breakdown_error = None
    added: dict = {}

    def measured() -> dict:
        res = flow.resources(rp.stat_cells(out / "top.stat.json"))
        return {key: n + added.get(key, 0) for key, n in res.items()}

    for step in flow.steps(commands, bitstream):
        tool_log = out / step.tool_log if step.tool_log else None
        if step.tool == flow.pnr and not place:
            break
        if step.tool == flow.pnr:
            fit.require_measured_fit(measured(), b, out / "top.rpt")
        say(step.name)
        try:
            seconds = run_step(step.name, [found[step.tool], *step.args], out,
                               out / f"{step.tool}.log", tool_log, progress)
            key = "breakdown" if step is BREAKDOWN else step.tool
            timings[key] = round(seconds, 2)
            if step.tool == "yosys" and step is not BREAKDOWN:
                added = flow.after_synthesis(out)
        except ToolError as err:
            if step is BREAKDOWN:        # informational only: the build goes on without it
                breakdown_error = str(err)
                continue
            if step.tool == flow.pnr:
                fail = _fit_failure(b, flow, tool_log, measured())
                if fail is not None:
                    raise fail from None
                raise ToolError(f"tool failure: {err}") from None
            raise

    res = measured()
    used, avail, util = _utilisation(res, dev)
    fmax, crit, pnr_util = {}, None, {}
    placed = place and not flow.vendor
    if placed:
        pnr = rp.parse_nextpnr_report(out / "top.report.json")
        fmax, crit, pnr_util = pnr["fmax_mhz"], pnr["critical_path"], pnr["utilization"]
        if flow.logic_bel in pnr_util:
            used, avail = pnr_util[flow.logic_bel]
            shares = [u / a for bel, (u, a) in pnr_util.items() if a and bel in (flow.logic_bel, flow.ff_bel)]
            util = round(max(shares), 4) if shares else None
    slowest = min(fmax.values()) if fmax else None
    result = {
        "board": b.name,
        "device": dev.name,
        "family": dev.family,
        "package": b.package,
        "model": model_label,
        **res,
        "logic_cells": used,
        "logic_cells_available": avail,
        "utilization": util,
        "fmax_mhz": fmax,
        "target_mhz": target,
        "timing_met": bool(slowest is not None and slowest >= target),
        "latency_cycles": int(top.latency),
        "throughput_per_s": int(round(slowest * 1e6)) if slowest else None,
        "gates_before": int(gates_before),
        "gates_after": int(net.num_gates),
        "pipeline_every": pipeline_every,
        "self_test": bool(self_test),
        "fits": bool(util is None or util <= 1.0),
        "estimate": not placed,
        "predicted": predicted,
        "bitstream": str(out / flow.bitstream_file) if bitstream and placed else None,
        "breakdown": {} if breakdown_error else rp.breakdown(out / "top.hier.json", flow.resources),
        "breakdown_error": breakdown_error,
        "critical_path": crit,
        "toolchain": toolchain,
        "seed": int(seed),
        "tool_seconds": timings,
        "build_seconds": round(time.perf_counter() - t_start, 1),
        "out_dir": str(out),
        "logs": ({"yosys": str(out / "estimate.rpt")} if flow.vendor else
                 {"yosys": str(out / "top.rpt"), **({"nextpnr": str(out / "top.tim")} if placed else {})}),
    }
    if flow.vendor:
        result["project"] = {"tool": flow.tool_name, "command": flow.project_command(out),
                             "files": sorted(p.name for p in out.iterdir()
                                             if p.name.startswith("top.") or p.name.startswith("build_top"))}
    return _write_report(out, result)


# -- synthesis-only estimates ------------------------------------------------------------

def estimate(net: Netlist, device: str, *, out_dir, pipeline_every: int = 2,
             toolchain: str = "yowasp", optimize: bool = True, model_label: str = "",
             progress=None) -> dict:
    """Synthesis-only resource estimate of the bare core for ``device`` (no place and route).

    The core goes through the device family's yosys synthesis
    (``synth_ice40``, ``synth_ecp5``, ``synth_gowin``, ``synth_xilinx``; Intel
    and ``lut6``: generic ``synth -lut 6``), with hierarchy kept for the
    per-part breakdown, and also through generic ``synth -lut 6``
    (``lut6_luts``/``lut6_ffs``) for comparison with published LUT counts.
    """
    from amaranth.back import rtlil
    from ..gateware import LgnCore
    from ..gateware.plan import check_pipeline_every
    say = progress or (lambda msg: None)
    dev = lookup_device(device)
    pipeline_every = check_pipeline_every(pipeline_every)
    yosys = tools.find("yosys", toolchain)
    t_start = time.perf_counter()
    out, net, gates_before = _prepare(net, out_dir, optimize, say)
    say("elaborating the core (Amaranth)")
    core = LgnCore(net, pipeline_every=pipeline_every, ram_delay=dev.ram_delay, lut_size=dev.lut_inputs)
    predicted = fit.predict(core.plan, dev, shell=False)
    with atomic_open(out / "core.il", "w") as f:
        f.write(rtlil.convert(core, name="core"))
    flow = FLOWS.get(dev.family, FLOWS["intel"])     # "generic" lut6: Intel's generic synthesis
    if flow.vendor:
        synth = flow.estimate_synth(dev.synth_family)
        flat = f"{synth} -flatten -top core"
    else:
        flat = flow.flat_synth("core")
    scripts = {"core": flat, "core.hier": flow.hierarchy_synth(dev).format(top="core")}
    if flat != "synth -lut 6 -flatten -top core":
        scripts["core.lut6"] = "synth -flatten -lut 6 -top core"
    # one yosys process per synthesis (two ABC9 runs in one process trip an assertion)
    for stem, synth_cmd in scripts.items():
        with atomic_open(out / f"{stem}.ys", "w") as f:
            f.write(f"read_rtlil core.il\nhierarchy -top core\n{synth_cmd}\n"
                    f"tee -q -o {stem}.json stat -json\n")
    breakdown_error = None
    for stem in scripts:
        say(f"synthesis (yosys {stem}.ys)")
        try:
            run_step(f"synthesis (yosys {stem}.ys)", [yosys, "-q", "-l", f"{stem}.rpt", f"{stem}.ys"], out,
                     out / f"{stem}.log", out / f"{stem}.rpt", progress)
        except ToolError as err:
            if stem != "core.hier":
                raise
            breakdown_error = str(err)   # the per-part breakdown is informational only

    resources = flow.resources
    res = resources(rp.stat_cells(out / "core.json"))
    lut6_file = out / ("core.lut6.json" if "core.lut6" in scripts else "core.json")
    lut6 = FLOWS["intel"].resources(rp.stat_cells(lut6_file))
    used, avail, util = _utilisation(res, dev)
    result = {
        "board": None, "device": dev.name, "family": dev.family, "model": model_label,
        **res,
        "logic_cells": used, "logic_cells_available": avail, "utilization": util,
        "fits": None if util is None else bool(util <= 1.0),
        "lut6_luts": lut6["luts"], "lut6_ffs": lut6["ffs"],
        "fmax_mhz": {}, "latency_cycles": int(core.latency), "throughput_per_s": None,
        "gates_before": int(gates_before), "gates_after": int(net.num_gates),
        "pipeline_every": pipeline_every, "bitstream": None,
        "estimate": True, "synthesis_only": True, "predicted": predicted,
        "breakdown": {} if breakdown_error else rp.breakdown(out / "core.hier.json", resources),
        "breakdown_error": breakdown_error,
        "toolchain": toolchain, "build_seconds": round(time.perf_counter() - t_start, 1),
        "out_dir": str(out), "logs": {stem: str(out / f"{stem}.rpt") for stem in scripts},
    }
    return _write_report(out, result)


def _ceiling_row(rep: dict) -> str:
    ceiling = rep.get("fabric_ceiling_mhz")
    if not ceiling:
        return "none measured (no open place and route for this family)"
    text = f"{ceiling:.1f} MHz one LUT4 per stage"
    if rep.get("adder6_ceiling_mhz"):
        text += f", {rep['adder6_ceiling_mhz']:.1f} MHz 6-bit adder"
    ratio = rep.get("ceiling_ratio")
    return text + (f"; this design: {ratio:.2f} of it" if ratio is not None else "; no Fmax (no place and route)")


def report_table(rep: dict) -> list[tuple[str, object]]:
    """Human-readable rows of a build or estimate report."""
    rows = [("board", rep.get("board") or "-"), ("device", f"{rep['device']} ({rep.get('family', '')})")]
    if rep.get("model"):
        rows.append(("model", rep["model"]))
    est = " (yosys estimate, no place and route)" if rep.get("estimate") else ""
    rows += [("gates", f"{rep['gates_before']} -> {rep['gates_after']} after optimisation"),
             ("luts", f"{rep['luts']}{est}"), ("ffs", rep["ffs"]), ("carries", rep["carries"]),
             ("brams", rep["brams"])]
    if rep.get("ios"):
        rows.append(("ios", rep["ios"]))
    if rep.get("utilization") is not None:
        rows.append(("utilization", f"{rep['utilization']:.1%} ({rep['logic_cells']} of "
                                    f"{rep['logic_cells_available']} logic cells / LUTs used)"))
    if "lut6_luts" in rep:
        rows.append(("lut6 (generic)", f"{rep['lut6_luts']} LUT6, {rep['lut6_ffs']} FFs"))
    for clk, f in (rep.get("fmax_mhz") or {}).items():
        tgt = rep.get("target_mhz")
        verdict = "" if tgt is None else (" (meets " if f >= tgt else " (misses ") + f"{tgt:g} MHz target)"
        rows.append((f"fmax {clk}", f"{f:.1f} MHz{verdict}"))
    rows.append(("fabric ceiling", _ceiling_row(rep)))
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
    if rep.get("project"):
        rows.append(("project", f"{rep['project']['tool']} project; run it with: {rep['project']['command']}"))
    if rep.get("build_seconds") is not None:
        rows.append(("build time", f"{rep['build_seconds']:.0f} s"))
    rows.append(("out_dir", rep["out_dir"]))
    return rows
