"""``lgnhw asic``: the core in standard cells, with area, timing and energy per inference.

Steps, each writing into the output folder:

1. ``core.v``: the core from the direct Verilog writer (the always-ready
   variant, see :func:`run`), no board shell;
2. yosys (``asic.ys``, log ``asic.rpt``): ``synth -flatten``, ``dfflibmap``,
   ``abc -liberty`` -> ``<top>_gates.v`` (gate-level Verilog), ``mapped.json``;
3. static timing (:mod:`.sta`), switching activity and the check against the
   golden model (:mod:`.activity`), energy (:mod:`.energy`);
4. ``report.json``: the report (no run times, so equal inputs give equal bytes).
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

import numpy as np

from ..build.run import run_step
from ..fileio import atomic_open
from ..gateware.plan import Plan
from ..netlist import Netlist
from ..tools import find
from ..verilog import write_verilog
from . import activity, energy, sta, synth
from .liberty import Library, load_library, read_text

__all__ = ["run", "prove", "DEFAULT_LIBRARY", "default_library_text", "read_library"]

#: The bundled library subset (package data, gzip-compressed).
DEFAULT_LIBRARY = "sky130_fd_sc_hd__tt_025C_1v80.subset.lib.gz"
TOP = "lgn_core"


def default_library_text() -> str:
    """The bundled SKY130 subset as Liberty text."""
    import gzip
    return gzip.decompress(resources.files(__package__).joinpath(DEFAULT_LIBRARY).read_bytes()).decode()


def read_library(path=None) -> Library:
    """The library at ``path`` (Liberty, plain or gzip), or the bundled SKY130 subset."""
    if path is None:
        return load_library(f"(bundled) {DEFAULT_LIBRARY}", default_library_text())
    lib = load_library(path, read_text(path))
    synth.check_library(lib)
    return lib


def run(net: Netlist, out_dir, *, bits: np.ndarray, liberty=None, pipeline_every: int = 1,
        clock_mhz: float | None = None, activity_source: str = "random", lanes: int | None = None,
        progress=None) -> dict:
    """Synthesise ``net``'s core to standard cells and report area, timing and energy.

    ``liberty``: a :class:`Library`, a Liberty file, or None for the bundled
    SKY130 subset. ``bits`` (N, inputs) 0/1 are the activity vectors (``activity_source``
    says where they came from). ``clock_mhz``: the clock the power figures
    are for (default: the maximum clock). Returns the report (also written to
    ``report.json``) plus ``seconds`` per step (not in the file).
    """
    say = progress or (lambda msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    seconds = {}
    lib = liberty if isinstance(liberty, Library) else read_library(liberty)
    liberty = None if lib.path.startswith("(bundled)") else lib.path
    yosys = find("yosys")
    # yosys gets a plain copy in the build folder: this yosys has no zlib, and YoWASP's
    # yosys sees only the folder it runs in
    lib_file = "cells.lib"
    with atomic_open(out / lib_file, "w") as f:
        f.write(lib.text)
    plan = Plan.build(net, pipeline_every)
    say(f"writing the core ({net.num_gates:,} gates, K = {pipeline_every})")
    write_verilog(plan, out / "core.v", name=TOP, always_ready=True)
    gates_v = f"{TOP}_gates.v"
    script = synth.yosys_script("core.v", TOP, lib_file, gates_v, "mapped.json", "stat.json")
    with atomic_open(out / "asic.ys", "w") as f:
        f.write(script)
    seconds["prepare"] = time.perf_counter() - t0
    say("synthesis to standard cells (yosys dfflibmap + abc -liberty)")
    seconds["synthesis"] = run_step("synthesis (yosys)", [yosys, "-q", "-l", "asic.rpt", "asic.ys"],
                                    out, out / "yosys.log", out / "asic.rpt", progress=progress)
    t1 = time.perf_counter()
    mapped = synth.read_mapped(out / "mapped.json", TOP, lib)
    order, is_ff = sta.levelise(mapped, lib)
    batches = sta.levels(mapped, order, lib)
    parts = synth.cell_parts(mapped, lib)
    say(f"static timing ({mapped.num_cells:,} cells)")
    timing = sta.analyse(mapped, lib, batches)
    seconds["timing"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    say(f"switching activity ({bits.shape[0]:,} vectors, checked against the golden model)")
    act = activity.simulate(mapped, lib, net, bits, batches, latency=plan.latency,
                            class_width=plan.class_width, count_width=plan.count_width,
                            lanes=lanes, progress=progress)
    seconds["activity"] = time.perf_counter() - t2
    fmax = timing.fmax_mhz
    clock = fmax if clock_mhz is None else float(clock_mhz)
    en = energy.energy(mapped, lib, timing, act.rate, parts, clock)
    area_by_part: dict = {}
    cells_by_part: dict = {}
    for t, p in zip(mapped.cell_type, parts):
        area_by_part[p] = area_by_part.get(p, 0.0) + lib.cell(t).area
        cells_by_part[p] = cells_by_part.get(p, 0) + 1
    counts = mapped.counts()
    area = float(sum(lib.cell(t).area * n for t, n in counts.items()))
    report = {
        "library": {**lib.summary(), "file": str(liberty) if liberty else f"lgnhw/asic/{DEFAULT_LIBRARY}"},
        "top": TOP,
        "gates": net.num_gates,
        "pipeline_every": plan.pipeline_every,
        "latency_cycles": plan.latency,
        "cells": mapped.num_cells,
        "cells_by_type": counts,
        "flip_flops": int(is_ff.sum()),
        "area_um2": round(area, 3),
        "area_by_part_um2": {p: round(area_by_part[p], 3) for p in synth.PARTS if p in area_by_part},
        "cells_by_part": {p: cells_by_part[p] for p in synth.PARTS if p in cells_by_part},
        "registers_by_part": synth.register_parts(mapped, lib),
        "logic_levels": len(batches),
        "critical_path_ns": round(timing.period_ns, 4),
        "fmax_mhz": round(fmax, 2),
        "critical_path": {"endpoint": timing.endpoint, "cells": len(timing.path),
                          "parts": [p for i, p in enumerate(x["part"] for x in timing.path)
                                    if i == 0 or p != timing.path[i - 1]["part"]],
                          "path": timing.path},
        "timing_model": ("NLDM cell delays and transitions at the driven pins' capacitance; no wires, "
                         f"ideal clock ({sta.CLOCK_SLEW_NS} ns transition), inputs at the clock edge "
                         f"({sta.INPUT_SLEW_NS} ns); fmax is an upper bound"),
        "energy_model": ("per clock (one inference): 1/2 C V^2 per net toggle (C: the input pins "
                         "driven, no wires), internal_power per pin toggle at the driving net's "
                         "transition and the load from the timing pass (rise/fall and related pins "
                         "averaged), every flip-flop's clock pin every clock, leakage x period; "
                         "no glitches, no clock tree"),
        "leakage_uw": round(en["leakage_nw"] * 1e-3, 4),
        "clock_mhz": round(clock, 2),
        "meets_timing": bool(clock <= fmax * (1 + 1e-9)),
        "activity_vectors": act.vectors,
        "activity_source": activity_source,
        "golden_checked": act.checked,
        "energy_pj_per_inference": round(en["total_pj"], 4),
        "energy_pj": {k: round(en[k], 4) for k in ("switching_pj", "internal_pj", "clock_pj",
                                                    "leakage_pj", "dynamic_pj")},
        "energy_by_part_pj": {k: round(v, 4) for k, v in en["by_part_pj"].items()},
        "power_mw_at_clock": round(en["power_mw"], 4),
        "inferences_per_s": round(clock * 1e6, 1),
        "inferences_per_s_per_mw": round(clock * 1e6 / en["power_mw"], 1) if en["power_mw"] > 0 else None,
        "mean_toggle_rate": round(float(act.rate[2:].mean()) if act.rate.size > 2 else 0.0, 4),
        "outputs": {"netlist": gates_v, "verilog_core": "core.v", "yosys_log": "asic.rpt",
                    "report": "report.json"},
    }
    with atomic_open(out / "report.json", "w") as f:
        f.write(json.dumps(report, indent=1, sort_keys=True) + "\n")
    seconds["total"] = time.perf_counter() - t0
    return {**report, "seconds": {k: round(v, 2) for k, v in seconds.items()}, "output_dir": str(out)}



def prove(out_dir, latency: int, progress=None) -> float:
    """Prove the gate-level netlist of a :func:`run` in ``out_dir`` equal to its core with
    yosys (SAT, ``latency + 2`` clocks; small designs: the SAT problem grows with the core).
    A difference is a :class:`~lgnhw.errors.ToolError`; returns the seconds it took."""
    out = Path(out_dir)
    with atomic_open(out / "equiv.ys", "w") as f:
        f.write(synth.equivalence_script("core.v", TOP, "cells.lib", f"{TOP}_gates.v", latency + 2))
    return run_step("equivalence (yosys sat)", [find("yosys"), "-q", "-l", "equiv.rpt", "equiv.ys"],
                    out, out / "equiv.log", out / "equiv.rpt", progress=progress)
