"""What every family flow shares: its steps, its tools, its cell counts.

A :class:`Flow` describes one FPGA family's open toolchain run (iCE40, ECP5,
Gowin) or vendor project (Xilinx, Intel) in a few attributes and small
methods; :mod:`lgnhw.build.driver` runs every flow the same way: Amaranth's
build plan writes the files, the flow adjusts the constraints and names the
steps, the driver runs them with logs and progress and reads the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..fileio import atomic_open

__all__ = ["Flow", "Step", "BREAKDOWN", "GATES_MODULE", "TIMING_WEIGHT", "count", "hierarchy_script"]

#: nextpnr ``--placer-heap-timingweight`` (its default: 10). Every path of a
#: pipelined core is short and about equally critical; on the HX8K core of
#: benchmarks/bench_boards.py seeds 1-5 gave 144.7-157.5 MHz, four of them
#: >= 150, instead of 144.6-158.4 MHz, three.
TIMING_WEIGHT = 30


#: The core's gate network (the module ``gates`` of :class:`~lgnhw.gateware.LgnCore`,
#: whose every output is a register) is mapped to LUTs as a module of its own, then
#: flattened into the design. Mapped with the rest, ABC's area recovery works to the
#: deepest path of the whole design (a popcount carry chain), not to the one LUT
#: level a rank of the gate network holds: on the bundled model at K=1 it put 127 of
#: 831 gate registers behind two or three LUTs, sharing a LUT another register
#: needed anyway, and the UP5K build's critical path was such a cone.
GATES_MODULE = "*core.gates"
_KEEP_GATES = f"setattr -mod -set keep_hierarchy 1 {GATES_MODULE}"
_FLATTEN_GATES = f"setattr -mod -unset keep_hierarchy {GATES_MODULE}; flatten"


@dataclass(frozen=True)
class Step:
    """One tool run: ``name`` for messages, ``tool`` (a key of :data:`lgnhw.tools.TOOLS`),
    its arguments, and the tool's own log file (relative to the build folder)."""
    name: str
    tool: str
    args: tuple
    tool_log: str = ""


#: The breakdown synthesis step (hierarchy kept), after the main synthesis.
BREAKDOWN = Step("breakdown synthesis (yosys)", "yosys", ("-q", "-l", "top.hier.rpt", "top.hier.ys"),
                 "top.hier.rpt")


def count(cells: dict, *patterns: str) -> int:
    """Sum of the cell counts whose type fully matches one of the regular expressions."""
    rx = re.compile("|".join(f"(?:{p})" for p in patterns))
    return int(sum(n for t, n in cells.items() if rx.fullmatch(t)))


def hierarchy_script(main_script: str, synth_hier: str, top: str = "top") -> str:
    """A yosys script that reads the same sources as ``main_script`` (the build plan's
    ``top.ys``) and synthesises them with hierarchy kept, for the per-part breakdown
    (``top.hier.json``). It runs as a process of its own: a second ABC9 synthesis in
    the same yosys process trips an assertion (ECP5, this yosys)."""
    reads = [ln.strip() for ln in main_script.splitlines() if ln.strip().startswith("read_")]
    return "\n".join([*reads, f"hierarchy -top {top}", synth_hier.format(top=top),
                      "tee -q -o top.hier.json stat -json"]) + "\n"


class Flow:
    """Base of the family flows; subclasses set the attributes and override what differs."""
    family = ""
    synth = ""              # yosys synthesis command
    synth_hier = ""         # the same with hierarchy kept, for the breakdown ({top}: the top module)
    synth_opts = ""         # options of every synthesis run of the family
    pnr = ""                # place and route tool ("" for vendor projects)
    plan_pnr = ""           # the build plan's name for it, when Amaranth calls another tool
    packer = ""             # bitstream packer
    bitstream_file = ""     # name of the bitstream in the build folder
    logic_bel = ""          # nextpnr utilisation entry of the LUTs
    ff_bel = ""             # ... of the flip-flops ("" when LUT and FF share one cell)
    vendor = False          # a project for vendor tools (no place and route here)
    top = "top"             # module the synthesis reports are about

    def tools(self, bitstream: bool) -> tuple:
        return ("yosys", self.pnr) + ((self.packer,) if bitstream else ())

    def nextpnr_options(self, *, seed: int, target: float) -> str:
        return (f"--seed {int(seed)} --freq {target:g} --placer-heap-timingweight {TIMING_WEIGHT} "
                "--report top.report.json --timing-allow-fail")

    #: map LUTs with classic ABC (``abc -lut 4``) instead of the family script's ABC9:
    #: this yosys's ABC9 trips assertions in ABC_OPS_REINTEGRATE on some cores (ECP5 and
    #: Gowin), and on a 4,000-gate core classic ABC gave 13 % fewer LUTs.
    classic_abc = False

    def build_options(self, *, seed: int, target: float) -> dict:
        """Overrides for ``platform.build(...)``: the breakdown synthesis and nextpnr's options."""
        stat = "tee -q -o top.stat.json stat -json"
        opts = {"script_after_read": _KEEP_GATES,
                "nextpnr_opts": self.nextpnr_options(seed=seed, target=target)}
        if self.classic_abc:
            # the template runs `<synth> <synth_opts> -top top [-json ...]`: stop before the LUT
            # mapping, then map and finish as in classic_synth
            opts["synth_opts"] = f"{self.synth_opts} -run :map_luts".strip()
            rest = self.classic_synth("top", tail=self.synth_tail, flatten=True).split("; ", 1)[1]
            opts["script_after_synth"] = rest.replace("; ", "\n") + "\n" + stat
        else:
            if self.synth_opts:
                opts["synth_opts"] = self.synth_opts.strip()
            opts["script_after_synth"] = _FLATTEN_GATES.replace("; ", "\n") + "\n" + stat
        return opts

    synth_tail = ""         # arguments the template gives the synthesis command after -top

    def classic_synth(self, top: str, opts: str = "", tail: str = "", flatten: bool = False) -> str:
        """The family script with classic ABC mapping the LUTs (see :attr:`classic_abc`);
        ``flatten``: the gate network is mapped on its own (see :data:`GATES_MODULE`)."""
        run = f"{self.synth}{self.synth_opts}{opts} -top {top}"
        gates = f"{_FLATTEN_GATES}; " if flatten else ""
        return f"{run} -run :map_luts; abc -lut 4; clean; {gates}{run} -run map_cells:{tail}"

    def flat_synth(self, top: str) -> str:
        """The (flattening) synthesis command(s) of a stand-alone script for module ``top``,
        the gate network mapped on its own (see :data:`GATES_MODULE`)."""
        if self.classic_abc:
            return f"{_KEEP_GATES}; {self.classic_synth(top, flatten=True)}"
        return f"{_KEEP_GATES}; {self.synth}{self.synth_opts} -top {top}; {_FLATTEN_GATES}"

    def set_clock_target(self, out: Path, target: float) -> None:
        """Raise the clock constraint in the constraint file to ``target`` MHz."""

    def after_synthesis(self, out: Path) -> dict:
        """Adjust the synthesised netlist for place and route; returns the cells it added
        (``{"luts": n}``), which the report counts with yosys's own."""
        return {}

    def hierarchy_synth(self, dev) -> str:
        """The breakdown synthesis command (hierarchy kept) for device ``dev``."""
        if self.classic_abc:
            return self.classic_synth("{top}", " -noflatten")
        return self.synth_hier or f"{self.synth}{self.synth_opts} -noflatten -top {{top}}"

    def pnr_args(self, args) -> tuple:
        """The place and route arguments, from the build plan's command for it."""
        return tuple(args)

    def steps(self, commands: list, bitstream: bool) -> list[Step]:
        """The steps to run, from the build plan's commands (``build_top.json``), with the
        breakdown synthesis (``top.hier.ys``, see :func:`hierarchy_script`) after synthesis."""
        names = {"yosys": ("yosys", "synthesis (yosys)", "top.rpt"),
                 self.plan_pnr or self.pnr: (self.pnr, f"place and route ({self.pnr})", "top.tim"),
                 self.packer: (self.packer, f"bitstream ({self.packer})", "")}
        steps = []
        for argv in commands:
            if argv[0] not in names or (argv[0] == self.packer and not bitstream):
                continue
            tool, name, log = names[argv[0]]
            args = self.pnr_args(argv[1:]) if tool == self.pnr else tuple(argv[1:])
            steps.append(Step(name, tool, args, log))
            if tool == "yosys":
                steps.append(BREAKDOWN)
        return steps

    def resources(self, cells: dict) -> dict:
        """``{"luts", "ffs", "carries", "brams", "ios"}`` from synthesised cell counts."""
        raise NotImplementedError


def rewrite(path: Path, pattern: str, repl) -> None:
    """Apply a regular-expression substitution to a constraint file (atomically)."""
    text = path.read_text()
    with atomic_open(path, "w") as f:
        f.write(re.sub(pattern, repl, text, flags=re.M))
