"""The pipeline schedule shared by both hardware backends.

Both the Amaranth gateware (:mod:`lgnhw.gateware`) and the direct Verilog
writer (:mod:`lgnhw.verilog`) render the *same* :class:`Plan`, so their ports,
latency and register placement are identical by construction.

Stages and ranks
----------------
The core is a sequence of *stages* ``0, 1, 2, ...``; a register rank
separates stage ``s`` from stage ``s + 1``. A value *made* in stage ``s``
and *read* in stage ``t >= s`` goes through ``t - s`` delay registers, one
chain per value with a tap at every stage it is read in (constants are never
registered). The result is read in stage ``latency``: every output is a
register, and ``latency`` is the number of ranks an input crosses.

``pipeline_every = K = 0``: no registers at all; everything is in stage 0 and
the core is combinational (latency 0). The tree *shapes* are the same as for
``K = 1``.

Gate network (``K`` applies here, in LUT levels)
-------------------------------------------------
Ranks are placed by *LUT level*, not by gate level: every gate gets the
level it has in a depth-optimal mapping into ``lut_size``-input LUTs
(:func:`~lgnhw.gateware.lutdepth.lut_levels`, default 4: iCE40, ECP5,
Gowin), levels ``1..D`` (``D`` = the deepest; constants and inputs are
level 0). A rank sits after every level ``l`` with ``(l + phase) % K == 0``,
``phase = (-D) % K``: counted back from the last level, so level ``D`` is
always followed by a rank and the first stage takes the ``D % K`` left-over
levels. A gate of level ``l`` is made in stage ``(l - 1 + phase) // K``.
With ``K = 1`` the logic between two ranks is one LUT: whatever a stage
passes on (a register, a popcount bit) depends on at most ``lut_size``
values of earlier stages, so synthesis maps it to one LUT; with ``K`` it is
at most ``K`` LUT levels. Gates inside a LUT's cone need no register of
their own.

Popcount (a register after every adder level; every two levels for K >= 2)
----------------------------------------------------------------------------
Each class's score is a compressor tree built *as soon as possible*: an
output bit joins its class's tree in the first stage it is available -- as
a register one stage after its gate (inputs: in stage 0), or, for a gate
whose operands are registers or inputs (a 2-input cone of its own stage),
already in its own stage, *fused* with the first adder (a 2-input gate plus a half
adder is one LUT4 per sum bit). So early outputs are summed while the gate
network is still working instead of being delayed to its end. In every
stage (see :func:`adder_tree`):

1. multi-bit partial sums are added pairwise (largest with next largest),
   each adder absorbing one 1-bit register as carry-in (``a + b + c`` is one
   carry chain on iCE40); a lone partial sum is added to a 1-bit register;
2. a fused gate output is summed with two registered bits (a full adder:
   one LUT4 per sum bit, the gate's own LUT is saved), or with one;
   fused outputs left over become registers for the next stage (pairing
   two of them in a half adder costs two LUTs and removes no wire);
3. registered bits are summed in threes (full adders), two left over in a
   half adder, except as many as the next stage needs as carry-ins: one for
   every pair of its partial sums, the sums these full adders make counted
   (:func:`_cin_reserve`).

Cost model behind the rule (iCE40 logic cells, LUT4 + carry + FF each): an
``n + n (+ 1)``-bit adder costs ``n + 1`` cells and removes ``n`` (``n - 1``
without carry-in) wires, a full adder 2 cells for 1 wire, a delay register
1 cell; so adders with a carry-in and few waiting values are cheapest.

Everything else waits for the next stage. For ``K = 1`` every adder is a
register (one LUT level, or one carry chain, per stage). For ``K >= 2`` the
rule runs on two *sub-stages* per stage (bits arrive in the first): adders of
the second sub-stage read those of the first combinationally, so a stage is
at most two short adders (widths <= 7 bits for 100-bit classes), about the
depth of the ``K`` gate levels, and only the second level is registered. Constant-1 outputs and the bias
are one constant leaf, added when it evens out the partial sums (a constant
is never registered). All class scores are read in stage ``S`` = the last
stage any tree finishes (:attr:`Plan.head_start`).

Argmax (two stages per compare level, whatever ``K``)
-----------------------------------------------------
Leaves are the scores (``count_width`` bits, class index constant). Each
compare level pairs neighbours ``(left, right)`` (left: lower class
indices) and takes two stages: *compare* (``take = right > left``: one
carry chain, registered) and *select* (``max``/``index`` = 3-input muxes,
registered); equal counts keep the left, lower index. The scores themselves
ride along in one delay chain to the output (the payload's ``counts``) and
the compare and select stages of the first level tap that chain. (The
Amaranth backend keeps a long, wide chain's tail in a block-RAM circular
buffer with the same cycle behaviour, see :mod:`lgnhw.gateware.argmax`; the
Verilog writer emits flip-flops.)

Latency
-------
``latency = S + 2 * ceil(log2 C)`` for ``K >= 1`` (0 for ``K = 0``), where
``S`` (the popcount end) comes from the schedule; :func:`latency` computes it
and both backends use it (``core.latency``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from itertools import islice
from operator import add as add_int

import numpy as np

from ..errors import LgnhwError
from ..netlist import FIRST_INPUT, Netlist
from .lutdepth import DEFAULT_LUT_SIZE, lut_levels

__all__ = [
    "Plan", "AdderTree", "CompareTree", "GateSchedule",
    "check_pipeline_every", "latency", "adder_tree", "compare_tree",
    "level_stage", "num_ranks", "count_width", "class_width", "class_leaves", "unread_signals",
]


def check_pipeline_every(value) -> int:
    """Validate the ``pipeline_every`` setting; return it as an int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise LgnhwError(f"pipeline_every must be a non-negative integer, not {value!r}")
    return int(value)


def num_ranks(levels: int, k: int, phase: int) -> int:
    """Register ranks after levels ``1..levels`` (``(l + phase) % k == 0``)."""
    return 0 if k == 0 else (levels + phase) // k


def level_stage(levels, k: int, phase: int):
    """Stage (number of ranks before it) in which a value of each level is made."""
    lv = np.asarray(levels, dtype=np.int64)
    if k == 0:
        return np.zeros(lv.shape, dtype=np.int64)
    return np.maximum(0, (lv - 1 + phase) // k)


def lut_depth(net: Netlist, lut_size: int = DEFAULT_LUT_SIZE) -> int:
    """``D``: the deepest LUT level of the gate network (0 without gates)."""
    return int(lut_levels(net, lut_size).max(initial=0))


def signal_stages(net: Netlist, k: int, phase: int, lut_size: int = DEFAULT_LUT_SIZE) -> np.ndarray:
    """Stage in which each signal is made: gates by their LUT level (see the module
    docstring), constants and inputs 0."""
    lv = np.zeros(net.num_signals, dtype=np.int64)
    lv[net.first_gate:] = lut_levels(net, lut_size)
    stage = level_stage(lv, k, phase)
    stage[:net.first_gate] = 0
    return stage


def count_width(net: Netlist) -> int:
    """NW: bits per class count (contract: group_size + max(bias))."""
    return max(1, int(net.group_size + int(net.bias.max(initial=0))).bit_length())


def class_width(num_classes: int) -> int:
    """CW: bits of the class index."""
    return max(1, (int(num_classes) - 1).bit_length())


def class_leaves(net: Netlist) -> tuple[list[np.ndarray], np.ndarray]:
    """Per class: positions (into ``net.outputs``) of non-constant output bits,
    and the constant part of the score (bias + constant-1 outputs)."""
    gs = net.group_size
    outs = net.outputs.reshape(net.num_classes, gs)
    ones = (outs == 1).sum(axis=1).astype(np.int64)
    const = net.bias.astype(np.int64) + ones
    pos = np.arange(net.num_outputs, dtype=np.int64).reshape(net.num_classes, gs)
    leaves = [pos[c][outs[c] >= FIRST_INPUT] for c in range(net.num_classes)]
    return leaves, const


def _tree_depth(n: int) -> int:
    return 0 if n <= 1 else int(n - 1).bit_length()


@dataclass(frozen=True, eq=False)
class AdderTree:
    """A popcount tree over ``num_bits`` one-bit leaves plus a constant.

    Node ids: ``0..num_bits-1`` are the bits, then the constant leaf (if
    ``constant``), then the adders in creation order (operands first). An
    adder ``n`` is ``a[n] + b[n] (+ c[n] if c[n] >= 0)``; ``c`` is always a
    one-bit node. Per node: ``stage`` (adders: the stage it is made in;
    bits: the stage it is read in), ``read`` (the stage its parent reads it
    in; the root is read in ``end``) and ``maxval`` (its largest value).
    An adder needs ``read - stage`` delay registers; the constant none.
    """
    num_bits: int
    constant: int
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    stage: np.ndarray
    read: np.ndarray
    maxval: np.ndarray
    root: int               # node id of the sum, -1 if there are no leaves (sum 0)
    end: int                # stage the sum is read in

    @property
    def num_nodes(self) -> int:
        return int(self.a.shape[0])

    @property
    def const_node(self) -> int:
        """Node id of the constant leaf, -1 if none."""
        return self.num_bits if self.constant else -1

    @property
    def adders(self) -> np.ndarray:
        return np.flatnonzero(self.a >= 0)

    def width(self, node: int) -> int:
        return max(1, int(self.maxval[node]).bit_length())

    def widths(self) -> np.ndarray:
        # frexp's exponent is the bit length (exact: sums stay far below 2**53)
        return np.maximum(1, np.frexp(self.maxval.astype(np.float64))[1]).astype(np.int64)

    def delays(self) -> np.ndarray:
        """Delay registers of each adder's value (0 for bits and the constant)."""
        d = self.read - self.stage
        d[: self.num_bits + (1 if self.constant else 0)] = 0
        return d

    def with_end(self, end: int) -> "AdderTree":
        """The same tree with its sum read in stage ``end`` (>= its own end)."""
        end = int(end)
        if end < self.end:
            raise LgnhwError(f"adder tree ends in stage {self.end}, cannot be read in stage {end}")
        read, stage = self.read.copy(), self.stage.copy()
        if self.root >= 0:
            read[self.root] = end
            if self.root < self.num_bits:
                stage[self.root] = end
        return replace(self, read=read, stage=stage, end=end)

    def flat(self) -> "AdderTree":
        """The same tree without registers (every stage 0), for ``pipeline_every = 0``."""
        z = np.zeros_like(self.stage)
        return replace(self, stage=z, read=z.copy(), end=0)


def adder_tree(num_bits: int, constant: int = 0, *, ready_at=None, fuse_at=None,
               reserve_cin: bool = True, levels_per_stage: int = 1) -> AdderTree:
    """As-soon-as-possible compressor tree over ``num_bits`` bits and a constant.

    ``ready_at[i]``: first stage bit ``i`` is a register (default 0: all
    bits are inputs of stage 0); ``fuse_at[i]``: the stage in which bit
    ``i`` can be summed combinationally (a gate whose operands are
    registers), ``-1`` if never (default). See the module docstring for the
    per-stage pairing rule. ``reserve_cin``: keep as many one-bit registers
    as the next stage has adders without a carry-in.
    ``levels_per_stage`` (``L``): adder levels between two register ranks;
    the pairing rule runs on *sub-stages* (``L`` per stage, bits arrive at
    the first sub-stage of their stage) and an adder of a later sub-stage
    reads the earlier sub-stages of its own stage combinationally.
    """
    n, constant = int(num_bits), int(constant)
    per = int(levels_per_stage)
    if per < 1:
        raise LgnhwError(f"levels_per_stage must be a positive integer, not {levels_per_stage!r}")
    ready = np.zeros(n, dtype=np.int64) if ready_at is None else np.asarray(ready_at, dtype=np.int64)
    fuse = np.full(n, -1, dtype=np.int64) if fuse_at is None else np.asarray(fuse_at, dtype=np.int64)
    arrive = np.where(fuse >= 0, fuse, ready) * per
    fuse = np.where(fuse >= 0, fuse * per, -1)
    # bits by arrival sub-stage (in bit order): (fused ones, registered ones)
    order = np.argsort(arrive, kind="stable")
    times, starts = np.unique(arrive[order], return_index=True)
    fusing = fuse[order] >= 0
    arrivals: dict = {}
    next_ones: dict = {}   # stage -> bits arriving there as registers
    for at, lo, hi in zip(times.tolist(), starts.tolist(), [*starts[1:].tolist(), n]):
        bits, f = order[lo:hi], fusing[lo:hi]
        arrivals[at] = (bits[f].tolist(), bits[~f].tolist())
        next_ones[at] = hi - lo - int(f.sum())
    times = times.tolist()
    a = [-1] * n
    b = [-1] * n
    c = [-1] * n
    stage = [0] * n        # adders: the sub-stage they sum in (bits: set after the loop)
    mv = [1] * n
    const_id = -1
    if constant:
        const_id = n
        a.append(-1), b.append(-1), c.append(-1), stage.append(0), mv.append(constant)

    def add(x, y, z, t):
        a.append(x), b.append(y), c.append(z), stage.append(t)
        mv.append(mv[x] + mv[y] + (mv[z] if z >= 0 else 0))
        return len(a) - 1

    def add_many(xs, ys, zs, t):
        """``add`` for each ``(xs[i], ys[i], zs[i])`` (``zs`` may be shorter:
        no carry-in for the rest); returns the new nodes' ids."""
        lo, m, k = len(a), len(xs), len(zs)
        a.extend(xs), b.extend(ys), c.extend(zs), c.extend([-1] * (m - k)), stage.extend([t] * m)
        val = mv.__getitem__
        sums = list(map(add_int, map(val, xs), map(val, ys)))
        sums[:k] = map(add_int, sums[:k], map(val, zs))
        mv.extend(sums)
        return range(lo, lo + m)

    def take(q: deque, k: int) -> list:
        """The first ``k`` items of ``q`` (fewer if it is shorter), removed from it."""
        out = list(islice(q, k))
        rest = list(islice(q, len(out), None))
        q.clear()
        q.extend(rest)
        return out

    multi: list = []       # registered partial sums (and the constant once it joins)
    ones: deque = deque()  # one-bit registers, oldest first
    pos, t = 0, (times[0] if n else 0)   # pos: next arrival time not yet taken
    const_pending = bool(constant)
    while True:
        fused: deque = deque()
        if pos < len(times) and times[pos] == t:
            fused.extend(arrivals[t][0])
            ones.extend(arrivals[t][1])
            pos += 1
        more = pos < len(times)
        total = len(multi) + len(ones) + len(fused)
        if not more and total <= 1 and not (const_pending and total == 1):
            break
        if total == 0:
            t = times[pos]
            continue
        made = []
        if const_pending and (ones or fused):  # constant + one bit: no carry chain at all
            made.append(add(const_id, ones.popleft() if ones else fused.popleft(), -1, t))
            const_pending = False
        multi.sort()                                     # order (-mv, id): by id, then
        multi.sort(key=mv.__getitem__, reverse=True)    # stably by falling value
        if const_pending and len(multi) % 2 == 1:
            multi.append(const_id)
            const_pending = False
        pairs = len(multi) // 2
        made.extend(add_many(multi[0:2 * pairs:2], multi[1:2 * pairs:2], take(ones, pairs), t))
        keep = [multi[-1]] if len(multi) % 2 else []
        if keep and ones:
            y = ones.popleft()
            made.append(add(keep.pop(), y, ones.popleft() if ones else -1, t))
        fa = min(len(fused), len(ones) // 2)            # gate + full adder: one LUT4 per sum bit
        if fa:
            yz = take(ones, 2 * fa)
            made.extend(add_many(take(fused, fa), yz[0::2], yz[1::2], t))
        if len(fused) == 1 and ones:
            made.append(add(fused.popleft(), ones.popleft(), -1, t))
        # keep enough bits to be the carry-ins of the next stage's adders, the
        # ones of the full adders the other bits are about to make included
        reserve = _cin_reserve(len(ones), len(made) + len(keep),
                               next_ones.get(t + 1, 0) + len(fused)) if reserve_cin else 0
        spare = deque(take(ones, reserve))
        xyz = take(ones, len(ones) // 3 * 3)
        made.extend(add_many(xyz[0::3], xyz[1::3], xyz[2::3], t))
        if len(ones) == 2:
            x = ones.popleft()
            made.append(add(x, ones.popleft(), -1, t))
        spare.extend(ones)
        ones = spare
        ones.extend(fused)  # a fused bit left over is a register in the next stage
        multi = keep + made
        t += 1
    rest = multi + list(ones) + list(fused)
    if rest:
        root = rest[0]
    else:
        root = const_id
    if root < 0:
        end = 0
    elif root == const_id:
        end = 0
    elif root >= n:
        end = stage[root] // per + 1
    else:
        end = int(ready[root])
    arr = lambda v: np.array(v, dtype=np.int64)  # noqa: E731
    a, b, c, stage = arr(a), arr(b), arr(c), arr(stage)
    # every node is an operand of at most one adder: it is read in that adder's
    # sub-stage, and a bit (a leaf) sits in the stage it is read in
    read = np.zeros_like(stage)
    adders = np.flatnonzero(a >= 0)
    for side in (a[adders], b[adders], c[adders]):
        used = side >= 0
        read[side[used]] = stage[adders[used]]
    stage[:n] = read[:n]
    tree = AdderTree(n, constant, a, b, c, stage // per, read // per, arr(mv), root, 0)
    return tree.with_end(end)


def _cin_reserve(ones: int, sums: int, arriving: int) -> int:
    """One-bit registers to keep back as the next stage's carry-ins.

    ``sums`` partial sums are ready for the next stage, every three of the
    ``ones`` not kept make one more (a full adder; two left over make a half
    adder, one left over waits too), and ``arriving`` bits join the next
    stage anyway. Kept: the count with the fewest adders short of a
    carry-in, half adders and bits kept beyond need (each costs about a
    cell), the smallest count on ties."""
    def cost(keep):
        fa, left = divmod(ones - keep, 3)
        waiting = keep + (left == 1) + arriving
        need = (sums + fa + (left == 2)) // 2
        return abs(need - waiting) + (left == 2), keep
    return min(range(ones + 1), key=cost)


@dataclass(frozen=True, eq=False)
class CompareTree:
    """An argmax tree over ``num_classes`` scores, with its two-stage schedule.

    Node ids ``0..C-1`` are the scores (their index a constant), then the
    compare nodes; ``left`` always covers lower class indices than
    ``right``. Stages are relative to the scores (stage 0): node ``n`` of
    level ``j`` compares in ``take_stage[n] = 2j - 2`` and selects in
    ``stage[n] = 2j - 1`` (its max/index are made there; scores: 0);
    ``last[n]`` is the last stage its max/index are read in (scores and the
    root: ``end``). All zero when not pipelined.

    Node ``n`` covers the classes ``lo[n]..hi[n]``; of its index only the low
    ``index_bits[n]`` bits (the bit length of ``lo ^ hi``) can vary, the rest
    is the constant ``lo >> index_bits`` and is never registered.
    """
    num_classes: int
    level: np.ndarray
    left: np.ndarray
    right: np.ndarray
    root: int
    take_stage: np.ndarray
    stage: np.ndarray
    last: np.ndarray
    end: int
    lo: np.ndarray
    hi: np.ndarray

    @property
    def levels(self) -> int:
        return _tree_depth(self.num_classes)

    @property
    def count_last(self) -> np.ndarray:
        """Per node: the last stage its max *count* is read in. As ``last``, except
        that only the root's index leaves the tree: the root's count is never
        read, and its children's counts only by its compare (``take_stage``)."""
        out = self.last.copy()
        r = self.root
        if r >= self.num_classes:
            out[r] = self.stage[r]
            for child in (self.left[r], self.right[r]):
                if child >= self.num_classes:
                    out[child] = self.take_stage[r]
        return out

    @property
    def index_bits(self) -> np.ndarray:
        """Per node: how many low bits of its class index vary (0 for the scores)."""
        x = (self.lo ^ self.hi).astype(np.float64)
        return np.where(x > 0, np.frexp(x)[1], 0).astype(np.int64)


def compare_tree(num_classes: int, pipelined: bool = True) -> CompareTree:
    """Pairwise compare tree (an odd item is carried up unchanged)."""
    nc = int(num_classes)
    level, left, right = [0] * nc, [-1] * nc, [-1] * nc
    lo, hi = list(range(nc)), list(range(nc))
    frontier = list(range(nc))
    lv = 0
    while len(frontier) > 1:
        lv += 1
        nxt = []
        for i in range(0, len(frontier) - 1, 2):
            level.append(lv), left.append(frontier[i]), right.append(frontier[i + 1])
            lo.append(lo[frontier[i]]), hi.append(hi[frontier[i + 1]])
            nxt.append(len(level) - 1)
        if len(frontier) % 2:
            nxt.append(frontier[-1])
        frontier = nxt
    root = frontier[0] if frontier else -1
    level = np.array(level, dtype=np.int64)
    left, right = np.array(left, dtype=np.int64), np.array(right, dtype=np.int64)
    depth = lv
    k = 1 if pipelined else 0
    take = np.where(level > 0, 2 * level - 2, 0) * k
    stage = np.where(level > 0, 2 * level - 1, 0) * k
    end = 2 * depth * k
    last = stage.copy()
    nodes = np.flatnonzero(left >= 0)
    for side in (left, right):
        np.maximum.at(last, side[nodes], stage[nodes])
    last[:nc] = end
    if root >= 0:
        last[root] = end
    return CompareTree(nc, level, left, right, int(root), take, stage, last, end,
                       np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64))


def unread_signals(net: Netlist, taps=None) -> np.ndarray:
    """Inputs and gates (signal ids, ascending) that no gate reads and no tap
    shows (``taps``: signal ids, default ``net.outputs``). An operand its op
    ignores is not read. The direct writer ANDs them into a wire named
    ``_unused_ok`` (Verilator's idiom: ``-Wall`` spares names containing
    ``unused``); the Amaranth network does so with its unread inputs (yosys
    drops the gates nothing reads, the inputs are ports)."""
    read = np.zeros(net.num_signals, dtype=bool)
    reads_a, reads_b = net.operands_read
    read[net.a[reads_a]] = True
    read[net.b[reads_b]] = True
    read[net.outputs if taps is None else np.asarray(taps, dtype=np.int64)] = True
    return np.flatnonzero(~read[FIRST_INPUT:]) + FIRST_INPUT


@dataclass(frozen=True, eq=False)
class GateSchedule:
    """Stages of the gate network's signals.

    ``stage[s]``: stage in which signal ``s`` is made (0 for constants and
    inputs); ``last[s]``: the last stage reading it (``>= stage``); signal
    ``s`` needs ``last[s] - stage[s]`` delay registers (none for constants).
    ``out_stage``: the end of the gate network (``ceil(D / K)``), where the
    stand-alone :class:`~lgnhw.gateware.GateNetwork` presents its outputs.
    """
    net: Netlist
    pipeline_every: int
    phase: int
    stage: np.ndarray
    last: np.ndarray
    out_stage: int

    @property
    def latency(self) -> int:
        return self.out_stage

    @property
    def delays(self) -> np.ndarray:
        return self.last - self.stage

    @classmethod
    def build(cls, net: Netlist, pipeline_every: int = 1, phase: int | None = None,
              reads=None, lut_size: int = DEFAULT_LUT_SIZE) -> "GateSchedule":
        """``reads``: ``(signals, stages)`` read outside the gate network
        (default: every output at ``out_stage``). Ranks are placed by the
        gates' LUT levels for ``lut_size``-input LUTs (:func:`lut_levels`)."""
        k = check_pipeline_every(pipeline_every)
        depth = lut_depth(net, lut_size)
        phase = ((-depth) % k if k else 0) if phase is None else int(phase)
        stage = signal_stages(net, k, phase, lut_size)
        last = stage.copy()
        gate_stage = stage[net.first_gate:]
        for operand, used in zip((net.a, net.b), net.operands_read):
            np.maximum.at(last, operand[used], gate_stage[used])     # ignored operands: not delayed
        out_stage = num_ranks(depth, k, phase)
        if reads is None:
            last[net.outputs] = np.maximum(last[net.outputs], out_stage)
        else:
            sigs, at = (np.asarray(x, dtype=np.int64) for x in reads)
            if np.any(at < stage[sigs]):
                raise LgnhwError("a gate network signal is read before the stage it is made in")
            np.maximum.at(last, sigs, at)
        last[:FIRST_INPUT] = 0
        stage.setflags(write=False)
        last.setflags(write=False)
        return cls(net, k, phase, stage, last, out_stage)


@dataclass(frozen=True, eq=False)
class Plan:
    """Everything both backends need to render a pipelined core."""
    net: Netlist
    pipeline_every: int
    phase: int              # rank phase (-D) % K
    depth: int              # D: LUT levels of the gate network (:func:`lut_levels`)
    lut_size: int           # inputs per LUT the levels are counted for
    count_width: int        # NW
    class_width: int        # CW
    gates: GateSchedule
    leaves: list            # per class: positions into net.outputs of the tree's bits
    constants: np.ndarray   # per class: constant part of the score
    trees: list             # per class: AdderTree (global stages; bit stage = its read stage)
    head_start: int         # S: stage in which the scores enter the argmax
    argmax: CompareTree     # stages relative to head_start

    @property
    def compare_levels(self) -> int:
        return self.argmax.levels

    @property
    def latency(self) -> int:
        return self.head_start + self.argmax.end

    @property
    def num_inputs(self) -> int:
        return self.net.num_inputs

    @property
    def num_classes(self) -> int:
        return self.net.num_classes

    @property
    def payload_width(self) -> int:
        return self.class_width + self.num_classes * self.count_width

    def leaf_signals(self, c: int) -> np.ndarray:
        """Netlist signals of class ``c``'s tree bits (in node order)."""
        return self.net.outputs[self.leaves[c]].astype(np.int64)

    def fused_leaves(self, c: int) -> np.ndarray:
        """Per tree bit of class ``c``: a gate read in the stage it is made in (fused
        with its first adder, see ``fuse_at`` of :func:`adder_tree`); its operands
        are registers (or inputs and constants) of that stage."""
        sigs = self.leaf_signals(c)
        at = self.trees[c].stage[:sigs.size]
        return (sigs >= self.net.first_gate) & (at == self.gates.stage[sigs])

    @classmethod
    def build(cls, net: Netlist, pipeline_every: int = 1, lut_size: int = DEFAULT_LUT_SIZE) -> "Plan":
        k = check_pipeline_every(pipeline_every)
        if net.num_inputs < 1:
            raise LgnhwError("the netlist has no inputs; a hardware core needs at least one input bit")
        leaves, const = class_leaves(net)
        d = lut_depth(net, lut_size)
        kk = max(k, 1)  # K = 0 uses the K = 1 tree shapes, then drops every register
        phase = (-d) % kk
        gstage = signal_stages(net, kk, phase, lut_size)
        is_gate = np.arange(net.num_signals) >= net.first_gate
        ready = np.where(is_gate, gstage + 1, 0)
        fuse = np.where(is_gate & _operands_registered(net, gstage), gstage, -1)
        trees = []
        for bits, cst in zip(leaves, const.tolist()):
            sigs = net.outputs[bits].astype(np.int64)
            trees.append(adder_tree(bits.size, cst, ready_at=ready[sigs], fuse_at=fuse[sigs],
                                    levels_per_stage=2 if k >= 2 else 1))
        start = max((t.end for t in trees), default=0)
        trees = [t.with_end(start) for t in trees]
        if k == 0:
            trees, start = [t.flat() for t in trees], 0
        sigs = [net.outputs[b].astype(np.int64) for b in leaves]
        at = [t.stage[:t.num_bits] for t in trees]
        reads = (np.concatenate(sigs + [np.zeros(0, np.int64)]), np.concatenate(at + [np.zeros(0, np.int64)]))
        gates = GateSchedule.build(net, k, phase if k else 0, reads=reads, lut_size=lut_size)
        return cls(net, k, phase if k else 0, d, lut_size, count_width(net), class_width(net.num_classes),
                   gates, leaves, const, trees, start, compare_tree(net.num_classes, k > 0))


def _operands_registered(net: Netlist, stage: np.ndarray) -> np.ndarray:
    """Per signal: a gate whose every operand it reads is an input, a constant or
    a register (made in an earlier stage) -- a 2-input cone of its own stage that
    a popcount adder can absorb (see ``fuse_at`` of :func:`adder_tree`)."""
    out = np.zeros(net.num_signals, dtype=bool)
    g = net.first_gate + np.arange(net.num_gates)
    ok = np.ones(net.num_gates, dtype=bool)
    for operand, used in zip((net.a, net.b), net.operands_read):
        x = operand.astype(np.int64)
        ok &= ~used | (x < net.first_gate) | (stage[x] < stage[g])
    out[g] = ok
    return out


def latency(net: Netlist, pipeline_every: int = 1) -> int:
    """Cycles from an input transfer to its result on the output stream (see the module docstring)."""
    return Plan.build(net, pipeline_every).latency
