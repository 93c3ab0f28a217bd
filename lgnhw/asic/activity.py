"""Switching activity: a cycle-based simulation of the mapped netlist, checked against
the golden model.

The gate-level core is simulated clock by clock with functional models
built from the library's own ``function`` and ``ff`` attributes (numpy,
one boolean per net and lane). The core runs at full throughput: a new
vector every clock, ``i__valid`` high, reset low. The vectors are split into
``lanes`` equal streams simulated side by side; each stream is fed
cyclically, so after the pipeline has filled (``latency`` clocks) every net,
whatever its stage, sees every consecutive pair of its stream's vectors
exactly once in the next ``M`` clocks (``M`` vectors per stream). Those
clocks are the measurement window: the toggles of every net are counted
there, so ``toggles[net] / (lanes * M)`` is its toggle rate per inference.

Every output word of the window is compared with the golden model
(:func:`lgnhw.golden.predict`): class index and every class score, and
``o__valid`` must rise exactly after ``latency`` clocks. Any difference is a
:class:`~lgnhw.errors.ToolError` naming the first failing vector, so an
energy figure is never computed from a netlist that is not bit-exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ToolError
from ..golden import predict
from ..netlist import Netlist
from .liberty import Function, Library
from .synth import Mapped

__all__ = ["Activity", "simulate", "expected_payload", "pick_lanes"]


@dataclass
class Activity:
    vectors: int           # inferences in the measurement window
    toggles: np.ndarray    # per net: toggles in the window (the clock net: 0)
    rate: np.ndarray       # per net: toggles per inference
    ffs: int               # flip-flops (each clocked once per inference)
    checked: int           # output words compared with the golden model (all equal)


def expected_payload(net: Netlist, bits: np.ndarray, class_width: int, count_width: int) -> np.ndarray:
    """(N, payload bits) bool: ``{counts[C-1], ..., counts[0], cls}``, bit 0 first."""
    counts, pred = predict(net, bits)
    n = bits.shape[0]
    width = class_width + net.num_classes * count_width
    out = np.zeros((n, width), dtype=bool)
    sh = np.arange(class_width)
    out[:, :class_width] = (pred[:, None] >> sh) & 1
    sh = np.arange(count_width)
    for c in range(net.num_classes):
        lo = class_width + c * count_width
        out[:, lo:lo + count_width] = (counts[:, c, None] >> sh) & 1
    return out


def pick_lanes(n: int, most: int = 64, least_per_lane: int = 16) -> int:
    """Streams to split ``n`` vectors into: the most (up to ``most``) that divide ``n``
    evenly with at least ``least_per_lane`` vectors each (1 if none)."""
    for lanes in range(min(most, n // least_per_lane), 1, -1):
        if n % lanes == 0:
            return lanes
    return 1


class _Model:
    """Functional models of one cell type: output functions, flip-flop next state."""

    def __init__(self, lib: Library, name: str):
        cell = lib.cell(name)
        where = f" (cell {name} of {lib.path})"
        self.outputs = []
        try:
            for p in cell.outputs:
                if not p.function:
                    raise ToolError(f"cell {name} output {p.name} has no function in {lib.path}")
                self.outputs.append((p.name, Function(p.function, where)))
            self.ff = None
            if cell.ff is not None:
                ff = cell.ff
                clk = ff["clocked_on"].strip()
                if clk not in cell.pins:
                    raise ToolError(f"flip-flop {name}: clocked_on {clk!r} is not a rising clock pin; "
                                    "only rising-edge flip-flops are simulated")
                self.ff = (ff["state"], Function(ff["next_state"], where),
                           Function(ff["clear"], where) if ff["clear"] else None,
                           Function(ff["preset"], where) if ff["preset"] else None, clk)
        except ValueError as err:
            raise ToolError(str(err)) from None


def simulate(m: Mapped, lib: Library, net: Netlist, bits: np.ndarray, batches, *, latency: int,
             class_width: int, count_width: int, lanes: int | None = None, progress=None) -> Activity:
    """Simulate ``bits`` (N, inputs) through the mapped core (see the module docstring)."""
    n = bits.shape[0]
    lanes = pick_lanes(n) if lanes is None else lanes
    per = n // lanes
    if per * lanes != n:
        raise ToolError(f"{n} vectors do not split into {lanes} equal streams")
    expect = expected_payload(net, bits, class_width, count_width)
    models = {t: _Model(lib, t) for t in sorted(set(m.cell_type))}
    vals = np.zeros((m.num_nets, lanes), dtype=bool)
    vals[1] = True
    ports = m.inputs
    payload_in = np.array(ports["i__payload"], dtype=np.int64)
    out_payload = np.array(m.outputs["o__payload"], dtype=np.int64)
    out_valid = m.outputs.get("o__valid", [0])[0]
    # flip-flops by type: (cell indices, pins -> nets), their state
    ffs = []
    for t in sorted(models):
        if models[t].ff is None:
            continue
        cells = [i for i, ct in enumerate(m.cell_type) if ct == t]
        pins = {p: np.array([m.pins[i][p] for i in cells], dtype=np.int64) for p in m.pins[cells[0]]}
        ffs.append((t, pins, np.zeros((len(cells), lanes), dtype=bool)))
    # logic by level and type, with the nets of each pin gathered once
    steps = []
    for batch in batches:
        by: dict = {}
        for i in batch:
            by.setdefault(m.cell_type[i], []).append(i)
        for t in sorted(by):
            cells = by[t]
            pins = {p: np.array([m.pins[i][p] for i in cells], dtype=np.int64) for p in m.pins[cells[0]]}
            outs = [(pins[o], f) for o, f in models[t].outputs if o in pins]
            ins = {p: v for p, v in pins.items() if p not in dict(models[t].outputs)}
            steps.append((ins, outs))
    start = np.arange(lanes) * per
    toggles = np.zeros(m.num_nets, dtype=np.int64)
    prev = None
    checked = 0
    total = latency + per + 1
    for cyc in range(total):
        for t, pins, state in ffs:
            for o, f in models[t].outputs:
                if o in pins:
                    vals[pins[o]] = f({models[t].ff[0]: state})
        vec = start + cyc % per
        vals[payload_in] = bits[vec].T.astype(bool)
        for name in ("i__valid",):
            if name in ports:
                vals[ports[name][0]] = True
        if "rst" in ports:
            vals[ports["rst"][0]] = False
        for ins, outs in steps:
            env = {p: vals[v] for p, v in ins.items()}
            for nets, f in outs:
                vals[nets] = f(env)
        # outputs of this clock: the result of the vector fed `latency` clocks ago
        valid = vals[out_valid]
        if cyc < latency:
            if latency and valid.any():
                raise ToolError(f"the mapped core's o__valid rose after {cyc} clocks, "
                                f"expected {latency}")
        elif cyc < latency + per:
            if not valid.all():
                raise ToolError(f"the mapped core's o__valid is low {latency} clocks after the "
                                f"first vector (clock {cyc})")
            idx = start + (cyc - latency) % per
            got = vals[out_payload].T
            bad = np.flatnonzero((got != expect[idx]).any(axis=1))
            if bad.size:
                j = int(idx[bad[0]])
                raise ToolError(f"the mapped netlist differs from the golden model on vector {j}: "
                                f"output word {_word(got[bad[0]])}, expected {_word(expect[j])}")
            checked += lanes
        if cyc > latency and prev is not None:
            toggles += (vals != prev).sum(axis=1)
        if cyc >= latency:
            prev = vals.copy()
        # clock edge
        for t, pins, state in ffs:
            st, nxt, clear, preset, clk = models[t].ff
            env = {p: vals[v] for p, v in pins.items()}
            env[st] = state
            new = nxt(env)
            if clear is not None:
                new &= ~clear(env)
            if preset is not None:
                new |= preset(env)
            state[:] = new
        if progress is not None and cyc % 256 == 255:
            progress(f"switching activity: clock {cyc + 1:,} of {total:,}")
    toggles[:2] = 0
    for port in ("clk",):
        if port in ports:
            toggles[ports[port]] = 0
    window = lanes * per
    return Activity(window, toggles, toggles / window, sum(p[2].shape[0] for p in ffs), checked)


def _word(bits: np.ndarray) -> str:
    return "0x" + format(int("".join("1" if b else "0" for b in bits[::-1].tolist()) or "0", 2), "x")
