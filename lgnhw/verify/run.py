"""Simulate an emitted core against the golden model with cocotb.

    >>> result = simulate(net, bits)                       # Verilator, K=1, direct Verilog
    >>> result["mismatches"], result["latency_cycles"], result["vectors_per_second"]

:func:`build` compiles one design (emitted core + the :mod:`~lgnhw.verify.harness`)
once; :meth:`SimBuild.run` simulates any number of vector sets on it.
:func:`simulate` does both. Vectors and golden results reach the cocotb
testbench (:mod:`lgnhw.verify.testbench`) as ``.npy`` files named in a JSON
config whose path is in the ``LGN_TB_CONFIG`` environment variable.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import LgnhwError, ToolError
from ..fileio import atomic_open
from ..golden import predict
from ..netlist import Netlist
from . import harness, simulators

__all__ = ["MODES", "SimBuild", "build", "simulate", "declared_latency"]

#: Named test modes: driver, probability of a bubble on i__valid per clock,
#: probability of o__ready low per clock.
MODES = {
    "stream": {"driver": "stream", "bubble": 0.0, "stall": 0.0},
    "stream_random": {"driver": "stream", "bubble": 0.3, "stall": 0.3},
    "cocotb": {"driver": "cocotb", "bubble": 0.0, "stall": 0.0},
    "backpressure": {"driver": "cocotb", "bubble": 0.0, "stall": 0.4},
    "bubbles": {"driver": "cocotb", "bubble": 0.4, "stall": 0.0},
}

BACKENDS = ("verilog", "amaranth")
#: :func:`simulate` compiles the simulation optimised from this many vectors on.
OPTIMIZE_FROM_VECTORS = 300_000
TESTBENCH_MODULE = "lgnhw.verify.testbench"


def declared_latency(net: Netlist, pipeline_every: int) -> int:
    """The contract's latency for ``net`` at ``pipeline_every`` (``lgnhw.gateware.plan.latency``)."""
    try:
        from ..gateware.plan import latency
    except ImportError as err:
        raise LgnhwError(f"lgnhw.gateware.plan.latency is not available: {err}") from None
    return int(latency(net, pipeline_every))


def _emit(net, path: Path, backend: str, pipeline_every: int, name: str, always_ready: bool):
    from ..emit import emit
    info = emit(net, path, backend=backend, pipeline_every=pipeline_every, name=name,
                always_ready=always_ready)
    return info if isinstance(info, dict) else {}


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


@dataclass
class SimBuild:
    """One compiled simulation (core + harness) in ``directory``."""

    net: Netlist
    simulator: str
    pipeline_every: int
    backend: str
    latency: int
    directory: Path
    name: str = "lgn_core"
    always_ready: bool = False
    axis: bool = False
    depth: int = 0
    layout: dict = field(default_factory=dict)
    _runs: int = 0

    def run(self, bits, modes=("stream",), seed: int = 0, reference: Netlist | None = None,
            percycle_vectors: int | None = 2000, max_report: int = 10,
            fail_on_mismatch: bool = False) -> dict:
        """Simulate ``bits`` (N, I) in each of ``modes`` (names from :data:`MODES`).

        Expected results come from the golden model of ``reference`` (default:
        the netlist this design was emitted from). ``cocotb``-driven modes use
        at most ``percycle_vectors`` vectors (``None``: all).
        """
        bits = np.ascontiguousarray(np.asarray(bits), dtype=np.uint8)
        net = self.net if reference is None else reference
        if bits.ndim != 2 or bits.shape[1] != self.net.num_inputs or bits.shape[0] == 0:
            raise LgnhwError(
                f"input vectors have shape {bits.shape}, expected (N>0, {self.net.num_inputs})")
        if np.any(bits > 1):
            raise LgnhwError("input vectors must hold only 0/1 bits")
        mode_list = []
        for m in modes:
            if m not in MODES:
                raise LgnhwError(f"unknown simulation mode {m!r}; choose from {', '.join(MODES)}")
            spec = dict(MODES[m], name=m)
            if self.always_ready and spec["stall"]:
                raise LgnhwError(f"mode {m!r} applies backpressure, but the core is always-ready")
            if spec["driver"] == "cocotb" and percycle_vectors:
                spec["vectors"] = int(percycle_vectors)
            mode_list.append(spec)
        counts, cls = predict(net, bits)
        self._runs += 1
        rundir = self.directory / f"run{self._runs}"
        if rundir.exists():
            shutil.rmtree(rundir)
        rundir.mkdir(parents=True)
        files = {k: str(rundir / f"{k}.npy") for k in ("inputs", "expected_counts", "expected_cls")}
        np.save(files["inputs"], bits)
        np.save(files["expected_counts"], counts.astype(np.int64))
        np.save(files["expected_cls"], cls.astype(np.int64))
        cfg = dict(files, layout=self.layout, depth=self.depth, latency=self.latency,
                   always_ready=self.always_ready, modes=mode_list, seed=int(seed),
                   max_report=int(max_report), fail_on_mismatch=bool(fail_on_mismatch),
                   vin_file=str(rundir / "lgn_vin.hex"), vout_file=str(rundir / "lgn_vout.hex"),
                   result=str(rundir / "result.json"))
        cfg_path = rundir / "config.json"
        with atomic_open(cfg_path, "w") as f:
            json.dump(cfg, f, indent=1)
        runner = simulators.get_runner(self.simulator)
        log = rundir / "sim.log"
        try:
            runner.test(test_module=TESTBENCH_MODULE, hdl_toplevel=harness.TOP, hdl_toplevel_lang="verilog",
                        build_dir=self.directory / "build", test_dir=rundir,
                        results_xml=str(rundir / "results.xml"),
                        extra_env={"LGN_TB_CONFIG": str(cfg_path)},
                        plusargs=[f"+LGN_VIN={cfg['vin_file']}", f"+LGN_VOUT={cfg['vout_file']}"],
                        log_file=log, timescale=("1ns", "1ps"))
        except (SystemExit, RuntimeError, OSError) as err:
            if not Path(cfg["result"]).exists():
                raise ToolError(f"{self.simulator} simulation failed ({err}); log {log}:\n"
                                f"{_tail(log)}") from None
        try:
            with open(cfg["result"]) as f:
                raw = json.load(f)
        except (OSError, ValueError):
            raise ToolError(f"simulation wrote no result; log {log}:\n{_tail(log)}") from None
        if raw.get("error"):
            raise ToolError(f"testbench error: {raw['error']} (log {log})")
        return self._summarise(raw["modes"])

    def _summarise(self, modes: dict) -> dict:
        mism = sum(m["mismatches"] + m["extra_outputs"] for m in modes.values())
        first = [r for m in modes.values() for r in m["first_mismatches"]]
        lat_ok, measured = True, set()
        for m in modes.values():
            if m["stall"] == 0:  # every result must appear exactly `latency` cycles after its input
                measured.update({m["latency_min"], m["latency_max"]})
                lat_ok &= m["latency_min"] == m["latency_max"] == self.latency
            else:  # backpressure can only add cycles
                lat_ok &= m["latency_min"] >= self.latency
        main = next(iter(modes.values()))
        fast = [m for m in modes.values() if m["driver"] == "stream"]
        vps = (fast or [main])[0]["vectors_per_second"]
        return {
            "vectors": main["vectors"],
            "mismatches": int(mism),
            "first_mismatches": first,
            "latency_cycles": measured.pop() if len(measured) == 1 else None,
            "declared_latency": self.latency,
            "latency_ok": bool(lat_ok),
            "ok": bool(lat_ok and mism == 0),
            "simulator": self.simulator,
            "backend": self.backend,
            "pipeline_every": self.pipeline_every,
            "vectors_per_second": vps,
            "modes": modes,
        }


def build(net: Netlist, simulator: str = "verilator", pipeline_every: int = 1,
          backend: str = "verilog", work_dir=None, name: str = "lgn_core",
          always_ready: bool = False, axis: bool = False, sources=None,
          latency: int | None = None, optimize: bool = False,
          depth: int | None = None) -> SimBuild:
    """Emit ``net`` and compile it with the harness for ``simulator``.

    ``work_dir``: folder for the emitted design, build and runs (default: a new
    temporary folder, left for inspection). ``axis``: test the ``<name>_axis``
    AXI-Stream wrapper instead of the core. ``sources``/``latency``: simulate
    already-written Verilog (module ``name``) with the given declared latency
    instead of emitting. ``optimize``: compile the simulation with ``-Os``
    (slow to build, fast to run; worth it from a few hundred thousand vectors).
    ``depth``: vectors per harness memory load (a power of two; default
    :func:`~lgnhw.verify.harness.memory_depth`); longer runs go in chunks.
    """
    if backend not in BACKENDS:
        raise LgnhwError(f"unknown backend {backend!r}; choose verilog or amaranth")
    if isinstance(pipeline_every, bool) or not isinstance(pipeline_every, int) or pipeline_every < 0:
        raise LgnhwError(f"pipeline_every is {pipeline_every!r}, must be an integer >= 0")
    runner_name = simulators.prepare(simulator)
    net.check()
    directory = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="lgnhw-sim-"))
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    emitted_latency = None
    if sources is None:
        core_path = directory / f"{name}.v"
        info = _emit(net, core_path, backend, pipeline_every, name, always_ready)
        sources = [core_path]
        emitted_latency = info.get("latency_cycles")
    if latency is None:
        latency = declared_latency(net, pipeline_every)
    if emitted_latency is not None and int(emitted_latency) != int(latency):
        raise LgnhwError(f"the {backend} emitter reports latency {emitted_latency}, "
                         f"plan.latency says {latency}")
    layout = harness.payload_layout(net)
    if depth is None:
        depth = harness.memory_depth(net.num_inputs, layout["width"])
    top_path = directory / "lgn_tb_top.v"
    with atomic_open(top_path, "w") as f:
        axis_layout = None
        if axis:
            from ..axistream import AxisLayout
            axis_layout = AxisLayout.of(net.num_inputs, layout["classes"], layout["cw"], layout["nw"])
        f.write(harness.harness_verilog(name, max(1, net.num_inputs), layout["width"], depth,
                                        always_ready=always_ready, axis=axis_layout))
    runner = simulators.get_runner(runner_name, optimize=optimize)
    log = directory / "build.log"
    build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style"] if runner_name == "verilator" else []
    try:
        runner.build(sources=[str(p) for p in sources] + [str(top_path)], hdl_toplevel=harness.TOP,
                     build_dir=directory / "build", build_args=build_args,
                     timescale=("1ns", "1ps"), log_file=log)
    except (SystemExit, RuntimeError, OSError) as err:
        raise ToolError(f"{simulator} could not build the design ({err}); log {log}:\n"
                        f"{_tail(log)}") from None
    return SimBuild(net=net, simulator=simulator, pipeline_every=pipeline_every, backend=backend,
                    latency=int(latency), directory=directory, name=name,
                    always_ready=always_ready, axis=axis, depth=depth, layout=layout)


def simulate(net: Netlist, bits, simulator: str = "verilator", pipeline_every: int = 1,
             backend: str = "verilog", modes=("stream",), seed: int = 0, work_dir=None,
             reference: Netlist | None = None, percycle_vectors: int | None = 2000,
             max_report: int = 10, keep: bool | None = None, progress=None, **build_kwargs) -> dict:
    """Emit, build and simulate ``net`` on ``bits``; compare with the golden model.

    Returns a dict with ``vectors``, ``mismatches`` (count over all modes,
    including unexpected extra outputs), ``first_mismatches`` (index, input
    bits with input 0 first, expected and got ``{cls, counts}``),
    ``latency_cycles`` (measured), ``declared_latency``, ``latency_ok``, ``ok``,
    ``simulator``, ``vectors_per_second`` (fast-path simulation speed) and
    per-mode details under ``modes``. A temporary ``work_dir`` is deleted
    afterwards unless ``keep``. ``optimize`` (see :func:`build`) defaults to
    on from :data:`OPTIMIZE_FROM_VECTORS` vectors. ``progress(message)``, if
    given, is called when the build and the simulation start.
    """
    say = progress or (lambda message: None)
    if build_kwargs.get("optimize") is None:
        # -Os adds ~30 s of C++ compile for a 4,000-gate core and runs it
        # 2-6x faster: worth it only for long runs (see benchmarks/bench_sim.py).
        build_kwargs["optimize"] = len(bits) >= OPTIMIZE_FROM_VECTORS
    temp = work_dir is None
    directory = Path(tempfile.mkdtemp(prefix="lgnhw-sim-")) if temp else Path(work_dir)
    try:
        say(f"emitting and compiling the simulation ({simulator}, {backend} backend)")
        sim = build(net, simulator=simulator, pipeline_every=pipeline_every, backend=backend,
                    work_dir=directory, **build_kwargs)
        say(f"simulating {len(bits):,} vectors in {len(modes)} mode(s)")
        return sim.run(bits, modes=modes, seed=seed, reference=reference,
                       percycle_vectors=percycle_vectors, max_report=max_report)
    finally:
        if temp and not keep:
            shutil.rmtree(directory, ignore_errors=True)
