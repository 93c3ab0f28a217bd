"""The fabric's Fmax ceiling per device: register -> one LUT4 -> register, placed and routed.

    python benchmarks/bench_ceiling.py                          # the boards' devices (~25 min)
    python benchmarks/bench_ceiling.py --devices all            # every stored device (~35 min)
    python benchmarks/bench_ceiling.py --devices iCE40HX8K --designs lut4
    python benchmarks/bench_ceiling.py --stages 20 --width 8    # a quick, smaller run

Without ``--stages``, each device gets the stages its stored ceiling was measured with
(300, fewer where 300 do not fit or place: :data:`lgnhw.devices.CEILINGS`), so a
default run reproduces the stored figures.

Two reference designs, both ``--stages`` pipeline stages deep with a register
rank between stages (and one on the inputs):

* ``lut4``: ``--width`` registers per rank; each register of stage k+1 is one
  random 4-input function (depending on all four inputs, so exactly one LUT4)
  of 4 distinct random registers of stage k. The first input of register j is
  register ``perm[j]``, so every register is read and none is swept away.
* ``adder6``: ``--words`` 6-bit words per rank; each word of stage k+1 is the
  sum (mod 64: a 6-bit ripple-carry adder) of two different words of stage k,
  each rotated by a random amount (so no two adders of a stage are the same).

The Verilog comes from a seeded numpy RNG (same arguments, same bytes). Each
design goes through the family's yosys synthesis (the project's own
``flat_synth``: ``synth_ice40``, ``synth_ecp5``/``synth_gowin`` with classic
ABC) and nextpnr with the project's options at a target no device reaches
(``--freq``, ``--timing-allow-fail``), seed 1; Fmax is read from nextpnr's
report by :func:`lgnhw.report.parse_nextpnr_report`. One JSON line per
(device, design). The measured figures are stored in :data:`lgnhw.devices.CEILINGS`
and reported by ``lgnhw build``/``lgnhw report`` as ``fabric_ceiling_mhz``.

Xilinx and Intel devices have no open place and route here, so they have no
ceiling (``None``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from lgnhw import report as rp  # noqa: E402
from lgnhw import tools  # noqa: E402
from lgnhw.build.driver import FLOWS  # noqa: E402
from lgnhw.build.run import run_step  # noqa: E402
from lgnhw.devices import device as lookup_device  # noqa: E402
from lgnhw.errors import LgnhwError  # noqa: E402

#: device -> nextpnr's device/package/speed arguments: the part of the board lgnhw builds for
#: (boards.toml: hx8k, ice40, icestick, ulx3s*, tang_nano_9k, tang_primer_20k; the ECP5s at
#: the ULX3S's speed grade 6); the LP parts and the GW5AST have no board here
PNR_PART = {
    "iCE40HX8K": ("--hx8k", "--package", "ct256", "--pcf-allow-unconstrained"),
    "iCE40UP5K": ("--up5k", "--package", "sg48", "--pcf-allow-unconstrained"),
    "iCE40HX1K": ("--hx1k", "--package", "tq144", "--pcf-allow-unconstrained"),
    "iCE40LP1K": ("--lp1k", "--package", "cm81", "--pcf-allow-unconstrained"),
    "iCE40LP8K": ("--lp8k", "--package", "cm81", "--pcf-allow-unconstrained"),
    "LFE5U-85F": ("--85k", "--package", "CABGA381", "--speed", "6"),
    "LFE5U-25F": ("--25k", "--package", "CABGA381", "--speed", "6"),
    "LFE5U-45F": ("--45k", "--package", "CABGA381", "--speed", "6"),
    "GW1NR-9": ("--device", "GW1NR-LV9QN88PC6/I5", "--vopt", "family=GW1N-9C"),
    "GW2A-18": ("--device", "GW2A-LV18PG256C8/I7", "--vopt", "family=GW2A-18C"),
    "GW5AST-138": ("--device", "GW5AST-LV138FPG676AC1/I0", "--vopt", "family=GW5AST-138C"),
}
#: nextpnr-himbaechel refuses unconstrained I/O: the Gowin runs take pins from a board's platform,
#: or (no board) from Apicula's chip database: (chip, package)
PIN_BOARD = {"GW1NR-9": "tang_nano_9k", "GW2A-18": "tang_primer_20k", "GW5AST-138": ("GW5AST-138C", "FCPBGA676A")}
#: the devices measured by default (the boards' devices at the default size)
MAIN = ("iCE40HX8K", "iCE40UP5K", "LFE5U-85F", "LFE5U-25F", "GW1NR-9", "GW2A-18")
DESIGNS = ("lut4", "adder6")
TARGET_MHZ = 1000.0
ADDER_BITS = 6


def _lut_table(rng) -> int:
    """A random 16-bit truth table that depends on all 4 of its inputs."""
    idx = np.arange(16)
    while True:
        t = int(rng.integers(1, 0xFFFF))
        bits = (t >> idx) & 1
        if all((bits != bits[idx ^ (1 << i)]).any() for i in range(4)):
            return t


def sum_of_products(table: int, ins: list[str]) -> str:
    """Verilog for truth table ``table`` of ``ins`` as a sum of minterms: bit ``m`` of the table
    is the output for ``ins[0] = m >> 3 & 1, ..., ins[3] = m & 1`` (the order of
    ``table >> {ins[0], ..., ins[3]}``). Plain gates keep yosys fast; ABC maps them to a LUT4."""
    terms = []
    for m in range(16):
        if table >> m & 1:
            terms.append("(" + " & ".join(("" if m >> (3 - i) & 1 else "~") + x for i, x in enumerate(ins)) + ")")
    return " | ".join(terms)


def lut4_verilog(stages: int, width: int, seed: int = 1) -> str:
    """``stages`` ranks of ``width`` registers, each the one-LUT4 function of 4 random registers
    of the rank before; inputs ``din`` are registered first, the last rank drives ``dout``."""
    if width < 4:
        raise ValueError("width must be at least 4 (four distinct LUT inputs)")
    rng = np.random.default_rng(seed)
    lines = [f"module top(input clk, input [{width - 1}:0] din, output [{width - 1}:0] dout);",
             *(f"  reg [{width - 1}:0] s{k};" for k in range(stages + 1)),
             "  always @(posedge clk) begin", "    s0 <= din;"]
    for k in range(1, stages + 1):
        perm = rng.permutation(width)
        for j in range(width):
            others = rng.permutation(np.delete(np.arange(width), perm[j]))[:3]
            ins = [f"s{k - 1}[{i}]" for i in (perm[j], *others)]
            lines.append(f"    s{k}[{j}] <= {sum_of_products(_lut_table(rng), ins)};")
    lines += ["  end", f"  assign dout = s{stages};", "endmodule", ""]
    return "\n".join(lines)


def adder6_verilog(stages: int, words: int, seed: int = 1) -> str:
    """``stages`` ranks of ``words`` 6-bit words; each word is the 6-bit sum of two different
    words of the rank before, each rotated by a random amount."""
    if words < 2:
        raise ValueError("words must be at least 2 (two different addends)")
    n = ADDER_BITS
    rng = np.random.default_rng(seed)

    def rot(k, w, r):
        word = f"s{k}[{(w + 1) * n - 1}:{w * n}]"
        return word if r == 0 else f"{{s{k}[{w * n + n - 1 - r}:{w * n}], s{k}[{(w + 1) * n - 1}:{(w + 1) * n - r}]}}"

    lines = [f"module top(input clk, input [{words * n - 1}:0] din, output [{words * n - 1}:0] dout);",
             *(f"  reg [{words * n - 1}:0] s{k};" for k in range(stages + 1)),
             "  always @(posedge clk) begin", "    s0 <= din;"]
    for k in range(1, stages + 1):
        while True:
            p = rng.permutation(words)
            q = (p + 1 + rng.integers(0, words - 1, size=words)) % words
            r = rng.integers(0, n, size=(words, 2))
            pairs = {frozenset({(int(p[j]), int(r[j, 0])), (int(q[j]), int(r[j, 1]))}) for j in range(words)}
            if len(pairs) == words:
                break
        for j in range(words):
            lines.append(f"    s{k}[{(j + 1) * n - 1}:{j * n}] <= {rot(k - 1, p[j], r[j, 0])} + "
                         f"{rot(k - 1, q[j], r[j, 1])};")
    lines += ["  end", f"  assign dout = s{stages};", "endmodule", ""]
    return "\n".join(lines)


def design_verilog(design: str, stages: int, width: int, words: int, seed: int) -> str:
    if design == "lut4":
        return lut4_verilog(stages, width, seed)
    if design == "adder6":
        return adder6_verilog(stages, words, seed)
    raise ValueError(f"unknown design {design!r}; choose one of: {', '.join(DESIGNS)}")


def synth_script(family: str) -> str:
    """The yosys script: the family's own flattening synthesis, cell counts, the netlist."""
    return (f"read_verilog top.v\n{FLOWS[family].flat_synth('top')}\n"
            "tee -q -o top.stat.json stat -json\nwrite_json top.json\n")


def synthesise(out: Path, family: str, verilog: str, yosys: str) -> dict:
    """Run the synthesis of ``verilog`` in ``out``; the family's resource counts."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "top.v").write_text(verilog)
    (out / "top.ys").write_text(synth_script(family))
    run_step("synthesis (yosys)", [yosys, "-q", "-l", "top.rpt", "top.ys"], out, out / "yosys.log",
             out / "top.rpt")
    return FLOWS[family].resources(rp.stat_cells(out / "top.stat.json"))


def board_pins(board: str) -> list[str]:
    """The board's pin names, the default clock's first: those of its platform's resources
    (single-ended ones), then those of its connectors."""
    from amaranth.build import Pins, Subsignal
    from lgnhw.boards import catalog
    plat = catalog.board(board).platform_class()

    def walk(node):
        for io in getattr(node, "ios", ()):
            if isinstance(io, Pins):
                yield from io.names
            elif isinstance(io, Subsignal):
                yield from walk(io)

    clock = [r for r in plat.resources if r.name == plat.default_clk]
    names = [n for r in clock + list(plat.resources) for n in walk(r)]
    names += [n for c in plat.connectors for n in c.mapping.values()]
    return [n for n in dict.fromkeys(names) if n != "-"]


def chip_pins(chip: str, package: str) -> list[str]:
    """Pins of a package in Apicula's chip database: a global clock input first, then the
    plain I/O pins (no configuration, clock or PLL function)."""
    from importlib.resources import files
    from apycula import chipdb
    pinout = chipdb.load_chipdb(str(files("apycula") / f"{chip}.msgpack.xz")).pinout[chip][package]
    clock = [p for p, (_, fns) in pinout.items() if any(f.startswith("MGCLKT") for f in fns)][:1]
    return clock + [p for p, (_, fns) in pinout.items() if not fns]


def write_cst(out: Path, source, width: int) -> None:
    """``top.cst``: ``clk`` on a clock pin, ``din``/``dout`` on the next free pins of ``source``
    (a board, or a (chip, package) of Apicula's database)."""
    pins = chip_pins(*source) if isinstance(source, tuple) else board_pins(source)
    board = source
    ports = ["clk", *(f"{p}[{i}]" for p in ("din", "dout") for i in range(width))]
    if len(pins) < len(ports):
        raise LgnhwError(f"{board}: {len(pins)} pins for {len(ports)} ports")
    (out / "top.cst").write_text("".join(f'IO_LOC "{p}" {n};\n' for p, n in zip(ports, pins)))


def measure(dev_name: str, design: str, *, stages: int, width: int, words: int, seed: int,
            pnr_seed: int, out_root: Path, toolchain: str = "yowasp") -> dict:
    dev = lookup_device(dev_name)
    flow = FLOWS[dev.family]
    yosys, pnr = tools.find("yosys", toolchain), tools.find(flow.pnr, toolchain)
    out = out_root / f"{dev.name}-{design}"
    t0 = time.perf_counter()
    res = synthesise(out, dev.family, design_verilog(design, stages, width, words, seed), yosys)
    t_synth = time.perf_counter() - t0
    opts = flow.nextpnr_options(seed=pnr_seed, target=TARGET_MHZ).split()
    part = PNR_PART[dev.name]
    if dev.name in PIN_BOARD:
        write_cst(out, PIN_BOARD[dev.name], width if design == "lut4" else words * ADDER_BITS)
        part += ("--vopt", "cst=top.cst")
    argv = [pnr, *opts, *part, "--json", "top.json", "--log", "top.tim"]
    t_pnr = run_step(f"place and route ({flow.pnr})", argv, out, out / "nextpnr.log", out / "top.tim")
    rep = rp.parse_nextpnr_report(out / "top.report.json")
    fmax = min(rep["fmax_mhz"].values()) if rep["fmax_mhz"] else None
    cp = rep["critical_path"] or {}
    return {"device": dev.name, "family": dev.family, "design": design, "stages": stages,
            "width": width if design == "lut4" else words * ADDER_BITS, "seed": seed, "pnr_seed": pnr_seed,
            "fmax_mhz": fmax, **res, "logic_levels": cp.get("logic_levels"),
            "delay_ns": cp.get("delay_ns"), "routing_ns": cp.get("routing_ns"),
            "nextpnr_args": " ".join([flow.pnr, *opts, *part]),
            "synth_seconds": round(t_synth, 1), "pnr_seconds": round(t_pnr, 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", nargs="+", default=list(MAIN), choices=[*PNR_PART, "all"])
    ap.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=DESIGNS)
    ap.add_argument("--stages", type=int, help="pipeline stages (default: as stored, else 300)")
    ap.add_argument("--width", type=int, default=8, help="registers per rank of the lut4 design")
    ap.add_argument("--words", type=int, default=2, help="6-bit words per rank of the adder6 design")
    ap.add_argument("--seed", type=int, default=1, help="RNG seed of the wiring and LUT functions")
    ap.add_argument("--pnr-seed", type=int, default=1, help="nextpnr --seed")
    ap.add_argument("--toolchain", default="yowasp", choices=tools.TOOLCHAINS)
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "bench_ceiling"))
    a = ap.parse_args(argv)
    status = 0
    for dev_name in (list(PNR_PART) if "all" in a.devices else a.devices):
        stored = lookup_device(dev_name).ceiling
        for design in a.designs:
            stages = a.stages or (300 if stored is None else
                                  stored.stages if design == "lut4" else stored.adder6_stages)
            try:
                row = measure(dev_name, design, stages=stages, width=a.width, words=a.words,
                              seed=a.seed, pnr_seed=a.pnr_seed, out_root=Path(a.out), toolchain=a.toolchain)
            except LgnhwError as err:
                status = 1
                row = {"device": dev_name, "design": design, "error": str(err)}
            print(json.dumps(row), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
