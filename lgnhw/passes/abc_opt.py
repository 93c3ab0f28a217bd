"""Optional ABC round trip through yosys (not part of the default pipeline).

The netlist is written as BLIF, yosys maps it with ABC to two-input gates
(``abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT``, or ``abc -lut 2``; the
``-strong`` modes run ABC's strongest area scripts instead of yosys' default
one, see :data:`STRONG_SCRIPT`), and the result is read back, run through
:func:`lgnhw.passes.optimize` and kept only if it has fewer gates *and*
:func:`lgnhw.equiv.equivalent` proves it computes the same class scores
(method ``"sat"`` or ``"exhaustive"``; a simulation-only verdict is not
enough). Otherwise the input netlist is returned unchanged.

Run it with ``lgnhw optimize --abc`` or :func:`abc_optimize`.
"""

from __future__ import annotations

import os
import tempfile
import time

from .. import tools
from ..errors import LgnhwError
from ..netlist import Netlist

__all__ = ["abc_optimize", "ABC_COMMANDS", "STRONG_SCRIPT"]

_GATES = "abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT"
#: ABC's ``resyn2`` written out (it is an alias of ABC's ``abc.rc``, which
#: yosys' ABC does not load).
_RESYN2 = "balance; rewrite; refactor; balance; rewrite; rewrite -z; balance; refactor -z; rewrite -z; balance"
#: Three rounds of ``dc2; resyn2; dch -f``, each mapped for area and (mfs2)
#: resubstituted with don't-cares; ``{map}`` is the mapping command.
STRONG_SCRIPT = "; ".join([f"strash; dc2; {_RESYN2}; dch -f; {{map}}; mfs2"] * 3)

#: ``mode`` -> (the yosys ABC command, the ABC script it runs or None for yosys' default).
ABC_COMMANDS = {
    "gates": (_GATES, None),
    "lut2": ("abc -lut 2", None),
    "gates-strong": (_GATES, STRONG_SCRIPT.format(map="map -a")),
    "lut2-strong": ("abc -lut 2", STRONG_SCRIPT.format(map="if -K 2 -a")),
}


def abc_optimize(net: Netlist, *, mode: str = "gates", timeout: float = 600.0,
                 equiv_timeout: float = 120.0) -> tuple[Netlist, dict]:
    """ABC-optimise ``net``; returns ``(netlist, stats)``.

    stats: ``{"mode", "gates_before", "gates_abc", "gates_after", "kept",
    "reason", "equivalence", "seconds"}``; ``kept`` says whether the ABC result
    replaced the input.
    """
    from ..equiv import equivalent
    from ..formats.blif import read_blif, write_blif
    from .pipeline import optimize

    if mode not in ABC_COMMANDS:
        raise LgnhwError(f"unknown ABC mode {mode!r} (choose from {', '.join(ABC_COMMANDS)})")
    net.check()
    t0 = time.perf_counter()
    stats = {"mode": mode, "gates_before": net.num_gates, "gates_abc": None,
             "gates_after": net.num_gates, "kept": False, "reason": "", "equivalence": None}
    command, script = ABC_COMMANDS[mode]
    with tempfile.TemporaryDirectory(prefix="lgnhw-abc-") as tmp:
        write_blif(net, os.path.join(tmp, "in.blif"))
        if script is not None:
            # a file in yosys' own folder: YoWASP's yosys sees no absolute host paths
            with open(os.path.join(tmp, "script.abc"), "w") as f:
                f.write(script + "\n")
            command += " -script script.abc"
        tools.run_yosys(f"read_blif in.blif; techmap; opt -fast; {command}; opt_clean; "
                        "write_blif out.blif", tmp, "yosys ABC run", timeout)
        back = read_blif(os.path.join(tmp, "out.blif"), num_classes=net.num_classes, optimize=False)
    # The BLIF comment with bias/tau/encoding does not survive yosys: restore it.
    back = back.replace(bias=net.bias, tau=net.tau, thresholds=net.thresholds, meta=net.meta)
    back, _ = optimize(back)
    stats["gates_abc"] = back.num_gates
    if back.num_gates >= net.num_gates:
        stats["reason"] = f"ABC result has {back.num_gates} gates, not fewer than {net.num_gates}"
    else:
        verdict = equivalent(net, back, timeout=equiv_timeout)
        stats["equivalence"] = {k: verdict[k] for k in ("equivalent", "method", "proven", "seconds")}
        if verdict["equivalent"] and verdict["proven"]:
            stats.update(kept=True, gates_after=back.num_gates, reason="fewer gates, proven equivalent")
        elif not verdict["equivalent"]:
            stats["reason"] = "ABC result is NOT equivalent (tool bug?); kept the input"
        else:
            stats["reason"] = f"equivalence not proven ({verdict.get('note', '')}); kept the input"
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    return (back if stats["kept"] else net), stats
