"""The pipeline schedule shared by both hardware backends.

Both the Amaranth gateware (:mod:`lgnhw.gateware`) and the direct Verilog
writer (:mod:`lgnhw.verilog`) render the *same* :class:`Plan`, so their ports,
latency and register placement are identical by construction.

Levels
------
The datapath is one chain of logic *levels*:

* gate levels ``1..D`` (``D = net.depth``; constants and inputs are level 0),
* adder levels ``D+1..D+P`` of the per-class popcount trees
  (``P`` = the deepest class tree, see :func:`adder_tree`),
* compare levels ``D+P+1..D+P+A`` of the argmax tree (``A = ceil(log2 C)``).

``T = D + P + A`` levels in all.

Registers (pipeline_every = K)
------------------------------
``K = 0``: no registers at all, the core is combinational (latency 0).

``K >= 1``: a register rank sits after every level ``l`` with
``(l + phase) % K == 0`` where ``phase = (-T) % K``; i.e. ranks are counted
back from the end, so the last level (the argmax result) is always followed
by a rank and the output is registered, while the first stage (next to the
input port) takes the ``T % K`` left-over levels. A value made at level ``l``
is computed in stage ``s(l) = max(0, (l - 1 + phase) // K)``; a consumer in a
later stage reads it through delay registers (one per rank crossed), so every
path has the same latency. Constants are never registered.

The latency, in cycles from an input transfer to its result on ``o``, is the
number of ranks: ``latency = ceil(T / K)`` (0 for ``K = 0``), see
:func:`latency`.

Popcount trees
--------------
Class ``c``'s leaves are its non-constant output bits (in group order);
constant-0 outputs are skipped and constant-1 outputs are folded with
``bias[c]`` into one constant leaf (appended last, only when non-zero).
Each adder level pairs neighbouring items of the level below; an odd item
is carried up unchanged (through delay registers where it crosses a rank).

Argmax tree
-----------
Leaves are the class scores (zero-extended to ``count_width``) with their
class index as a constant. Each compare level pairs neighbours ``(left,
right)`` with left holding the lower class indices; the right item wins only
if its count is strictly greater, so ties go to the lowest class index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import LgnhwError
from ..netlist import FIRST_INPUT, Netlist

__all__ = [
    "Plan", "AdderTree", "CompareTree", "GateSchedule",
    "check_pipeline_every", "latency", "adder_tree", "compare_tree",
    "level_stage", "num_ranks", "tree_schedule", "count_width", "class_width", "class_leaves",
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


def tree_schedule(tree, levels: int, k: int, phase: int, leaves_to_end: bool = False):
    """``(stage, last)`` per node of an adder or compare tree.

    Leaves are the tree's inputs (stage 0); a node is read by its parent,
    the root (and with ``leaves_to_end`` every leaf) at the tree's end,
    ``num_ranks(levels, k, phase)``. Delay registers per node: ``last - stage``.
    """
    stage = level_stage(tree.level, k, phase)
    stage[tree.level == 0] = 0
    last = stage.copy()
    adders = np.flatnonzero(tree.left >= 0)
    np.maximum.at(last, tree.left[adders], stage[adders])
    np.maximum.at(last, tree.right[adders], stage[adders])
    end = num_ranks(levels, k, phase)
    if tree.root >= 0:
        last[tree.root] = end
    if leaves_to_end:
        last[tree.level == 0] = end
    return stage, last


def _tree_depth(n: int) -> int:
    return 0 if n <= 1 else int(n - 1).bit_length()


@dataclass(frozen=True, eq=False)
class AdderTree:
    """A popcount tree over ``num_bits`` bits plus a constant.

    Node ids: ``0..num_bits-1`` are the input bits, then the constant leaf
    (if ``constant``), then the adders. Arrays are indexed by node id.
    ``levels`` is the number of adder levels the tree spans (>= its own
    depth; the root is carried up to the last level).
    """
    num_bits: int
    constant: int
    levels: int
    level: np.ndarray       # int64 (N,) level of each node (leaves 0)
    left: np.ndarray        # int64 (N,) operands of adders, -1 for leaves
    right: np.ndarray
    maxval: np.ndarray      # int64 (N,) largest value of each node
    root: int               # node id of the sum, -1 if there are no leaves (sum 0)

    @property
    def num_nodes(self) -> int:
        return int(self.level.shape[0])

    @property
    def const_node(self) -> int:
        """Node id of the constant leaf, -1 if none."""
        return self.num_bits if self.constant else -1

    def width(self, node: int) -> int:
        return max(1, int(self.maxval[node]).bit_length())


def adder_tree(num_bits: int, constant: int = 0, levels: int | None = None) -> AdderTree:
    """Pairwise adder tree over ``num_bits`` one-bit leaves and one constant leaf."""
    num_bits, constant = int(num_bits), int(constant)
    n_leaves = num_bits + (1 if constant else 0)
    depth = _tree_depth(n_leaves)
    levels = depth if levels is None else int(levels)
    if levels < depth:
        raise LgnhwError(f"adder tree over {n_leaves} leaves needs {depth} levels, not {levels}")
    level = [np.zeros(n_leaves, dtype=np.int64)]
    left = [np.full(n_leaves, -1, dtype=np.int64)]
    right = [np.full(n_leaves, -1, dtype=np.int64)]
    maxval = np.ones(n_leaves, dtype=np.int64)
    if constant:
        maxval[-1] = constant
    maxvals = [maxval]
    frontier = np.arange(n_leaves, dtype=np.int64)
    next_id = n_leaves
    all_max = maxval
    for lv in range(1, depth + 1):
        pairs = frontier[: frontier.size // 2 * 2].reshape(-1, 2)
        ids = np.arange(next_id, next_id + pairs.shape[0], dtype=np.int64)
        next_id += pairs.shape[0]
        level.append(np.full(ids.size, lv, dtype=np.int64))
        left.append(pairs[:, 0])
        right.append(pairs[:, 1])
        mv = all_max[pairs[:, 0]] + all_max[pairs[:, 1]]
        maxvals.append(mv)
        all_max = np.concatenate([all_max, mv])
        frontier = np.concatenate([ids, frontier[pairs.size:]])
    root = int(frontier[0]) if frontier.size else -1
    return AdderTree(num_bits, constant, levels, np.concatenate(level), np.concatenate(left),
                     np.concatenate(right), all_max, root)


@dataclass(frozen=True, eq=False)
class CompareTree:
    """An argmax tree over ``num_classes`` scores.

    Node ids ``0..C-1`` are the scores (their index a constant), then the
    compare nodes; ``left`` always covers lower class indices than ``right``.
    """
    num_classes: int
    level: np.ndarray
    left: np.ndarray
    right: np.ndarray
    root: int

    @property
    def levels(self) -> int:
        return _tree_depth(self.num_classes)


def compare_tree(num_classes: int) -> CompareTree:
    t = adder_tree(num_classes)  # same pairing rule
    return CompareTree(int(num_classes), t.level, t.left, t.right, t.root)


@dataclass(frozen=True, eq=False)
class GateSchedule:
    """Stages of the gate network's signals.

    ``stage[s]``: stage in which signal ``s`` is made (0 for constants and
    inputs); ``last[s]``: the last stage reading it (``>= stage``); signal
    ``s`` needs ``last[s] - stage[s]`` delay registers (none for constants).
    Outputs are read at ``out_stage``, the end of the gate network.
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
    def build(cls, net: Netlist, pipeline_every: int = 1, phase: int | None = None) -> "GateSchedule":
        k = check_pipeline_every(pipeline_every)
        depth = net.depth
        phase = ((-depth) % k if k else 0) if phase is None else int(phase)
        lv = np.zeros(net.num_signals, dtype=np.int64)
        lv[net.first_gate:] = net.levels
        stage = level_stage(lv, k, phase)
        stage[:net.first_gate] = 0
        last = stage.copy()
        gate_stage = stage[net.first_gate:]
        np.maximum.at(last, net.a, gate_stage)
        np.maximum.at(last, net.b, gate_stage)
        out_stage = num_ranks(depth, k, phase)
        last[net.outputs] = out_stage  # an output is made no later than out_stage
        last[:FIRST_INPUT] = 0
        stage.setflags(write=False)
        last.setflags(write=False)
        return cls(net, k, phase, stage, last, out_stage)


def _class_plan(net: Netlist):
    leaves, const = class_leaves(net)
    sizes = [int(b.size) + (1 if c else 0) for b, c in zip(leaves, const)]
    adder_levels = max(_tree_depth(n) for n in sizes)
    return leaves, const, adder_levels


def latency(net: Netlist, pipeline_every: int = 1) -> int:
    """Cycles from an input transfer to its result on the output stream."""
    k = check_pipeline_every(pipeline_every)
    if k == 0:
        return 0
    _, _, p = _class_plan(net)
    total = net.depth + p + _tree_depth(net.num_classes)
    return -(-total // k)


@dataclass(frozen=True, eq=False)
class Plan:
    """Everything both backends need to render a pipelined core."""
    net: Netlist
    pipeline_every: int
    phase: int              # global phase (-T) % K
    depth: int              # D
    adder_levels: int       # P
    compare_levels: int     # A
    count_width: int        # NW
    class_width: int        # CW
    gates: GateSchedule
    leaves: list            # per class: positions into net.outputs of the tree's bits
    constants: np.ndarray   # per class: constant part of the score
    trees: list             # per class: AdderTree
    pop_phase: int
    argmax: CompareTree
    arg_phase: int

    @property
    def total_levels(self) -> int:
        return self.depth + self.adder_levels + self.compare_levels

    @property
    def latency(self) -> int:
        return num_ranks(self.total_levels, self.pipeline_every, self.phase)

    @property
    def num_inputs(self) -> int:
        return self.net.num_inputs

    @property
    def num_classes(self) -> int:
        return self.net.num_classes

    @property
    def payload_width(self) -> int:
        return self.class_width + self.num_classes * self.count_width

    @property
    def pop_latency(self) -> int:
        return num_ranks(self.adder_levels, self.pipeline_every, self.pop_phase)

    @property
    def arg_latency(self) -> int:
        return num_ranks(self.compare_levels, self.pipeline_every, self.arg_phase)

    @classmethod
    def build(cls, net: Netlist, pipeline_every: int = 1) -> "Plan":
        k = check_pipeline_every(pipeline_every)
        if net.num_inputs < 1:
            raise LgnhwError("the netlist has no inputs; a hardware core needs at least one input bit")
        leaves, const, p = _class_plan(net)
        d = net.depth
        a = _tree_depth(net.num_classes)
        phase = (-(d + p + a)) % k if k else 0
        gates = GateSchedule.build(net, k, phase)
        trees = [adder_tree(b.size, c, p) for b, c in zip(leaves, const)]
        pop_phase = (d + phase) % k if k else 0
        arg_phase = (d + p + phase) % k if k else 0
        return cls(net, k, phase, d, p, a, count_width(net), class_width(net.num_classes),
                   gates, leaves, const, trees, pop_phase, compare_tree(net.num_classes), arg_phase)
