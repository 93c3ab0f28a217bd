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

__all__ = ["Activity", "Simulator", "simulate", "expected_payload", "pick_lanes"]


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


class Simulator:
    """Clock-by-clock simulation of a mapped netlist, ``lanes`` independent copies side by
    side: :meth:`settle` drives the inputs and evaluates the logic, :meth:`clock` is a
    rising clock edge. ``vals[net]`` holds every net's value per lane."""

    def __init__(self, m: Mapped, lib: Library, batches, lanes: int = 1):
        self.m = m
        self.models = models = {t: _Model(lib, t) for t in sorted(set(m.cell_type))}
        self.vals = np.zeros((m.num_nets, lanes), dtype=bool)
        self.vals[1] = True
        # flip-flops by type: (type, pins -> nets, state per flip-flop and lane)
        self.ffs = []
        for t in sorted(models):
            if models[t].ff is None:
                continue
            cells = [i for i, ct in enumerate(m.cell_type) if ct == t]
            self.ffs.append((t, _gather(m, cells), np.zeros((len(cells), lanes), dtype=bool)))
        # logic by level and type, with the nets of each pin gathered once
        self.steps = []
        for batch in batches:
            by: dict = {}
            for i in batch:
                by.setdefault(m.cell_type[i], []).append(i)
            for t in sorted(by):
                pins = _gather(m, by[t])
                outs = dict(models[t].outputs)
                self.steps.append(({p: v for p, v in pins.items() if p not in outs},
                                   [(pins[o], f) for o, f in models[t].outputs if o in pins]))

    @property
    def num_ffs(self) -> int:
        return sum(state.shape[0] for _, _, state in self.ffs)

    def settle(self, drive: dict) -> None:
        """Flip-flop outputs from their state, inputs from ``drive`` (port -> (bits, lanes)
        or a scalar), then the logic, level by level."""
        vals = self.vals
        for t, pins, state in self.ffs:
            for o, f in self.models[t].outputs:
                if o in pins:
                    vals[pins[o]] = f({self.models[t].ff[0]: state})
        for port, value in drive.items():
            vals[np.array(self.m.inputs[port], dtype=np.int64)] = value
        for ins, outs in self.steps:
            env = {p: vals[v] for p, v in ins.items()}
            for nets, f in outs:
                vals[nets] = f(env)

    def port(self, name: str) -> np.ndarray:
        """An output (or input) port's bits, (width, lanes)."""
        nets = self.m.outputs.get(name, self.m.inputs.get(name))
        return self.vals[np.array(nets, dtype=np.int64)]

    def clock(self) -> None:
        """A rising edge: every flip-flop takes its next state."""
        vals = self.vals
        for t, pins, state in self.ffs:
            st, nxt, clear, preset, clk = self.models[t].ff
            env = {p: vals[v] for p, v in pins.items()}
            env[st] = state
            new = nxt(env)
            if clear is not None:
                new &= ~clear(env)
            if preset is not None:
                new |= preset(env)
            state[:] = new


def _gather(m: Mapped, cells) -> dict:
    return {p: np.array([m.pins[i][p] for i in cells], dtype=np.int64) for p in m.pins[cells[0]]}


def simulate(m: Mapped, lib: Library, net: Netlist, bits: np.ndarray, batches, *, latency: int,
             class_width: int, count_width: int, lanes: int | None = None, progress=None) -> Activity:
    """Simulate ``bits`` (N, inputs) through the mapped core (see the module docstring)."""
    n = bits.shape[0]
    lanes = pick_lanes(n) if lanes is None else lanes
    per = n // lanes
    if per * lanes != n:
        raise ToolError(f"{n} vectors do not split into {lanes} equal streams")
    expect = expected_payload(net, bits, class_width, count_width)
    sim = Simulator(m, lib, batches, lanes)
    fixed = {p: v for p, v in (("i__valid", True), ("rst", False)) if p in m.inputs}
    start = np.arange(lanes) * per
    toggles = np.zeros(m.num_nets, dtype=np.int64)
    prev = None
    checked = 0
    total = latency + per + 1
    for cyc in range(total):
        sim.settle({**fixed, "i__payload": bits[start + cyc % per].T.astype(bool)})
        # outputs of this clock: the result of the vector fed `latency` clocks ago
        valid = sim.port("o__valid")[0] if "o__valid" in m.outputs else np.ones(lanes, dtype=bool)
        if cyc < latency:
            if valid.any():
                raise ToolError(f"the mapped core's o__valid rose after {cyc} clocks, "
                                f"expected {latency}")
        elif cyc < latency + per:
            if not valid.all():
                raise ToolError(f"the mapped core's o__valid is low {latency} clocks after the "
                                f"first vector (clock {cyc})")
            idx = start + (cyc - latency) % per
            got = sim.port("o__payload").T
            bad = np.flatnonzero((got != expect[idx]).any(axis=1))
            if bad.size:
                j = int(idx[bad[0]])
                raise ToolError(f"the mapped netlist differs from the golden model on vector {j}: "
                                f"output word {_word(got[bad[0]])}, expected {_word(expect[j])}")
            checked += lanes
        if prev is not None:
            toggles += (sim.vals != prev).sum(axis=1)
        if cyc >= latency:
            prev = sim.vals.copy()
        sim.clock()
        if progress is not None and cyc % 256 == 255:
            progress(f"switching activity: clock {cyc + 1:,} of {total:,}")
    toggles[:2] = 0
    toggles[m.inputs.get("clk", [])] = 0
    window = lanes * per
    return Activity(window, toggles, toggles / window, sim.num_ffs, checked)


def _word(bits: np.ndarray) -> str:
    return "0x" + format(int("".join("1" if b else "0" for b in bits[::-1].tolist()) or "0", 2), "x")
