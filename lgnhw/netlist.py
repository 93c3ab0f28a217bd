"""The netlist IR: a logic gate network as a handful of numpy arrays.

Signal index space::

    0, 1                     the constants 0 and 1
    2 .. 2+I-1               the I primary inputs (encoded input bits)
    2+I .. 2+I+G-1           the G gates, in topological order

Gate ``g`` (signal ``2+I+g``) computes ``op[g]`` (difflogic numbering, see
:mod:`lgnhw.ops`) of signals ``a[g]`` and ``b[g]``, both lower than its own
index. ``outputs`` lists the output signals; they form ``num_classes``
contiguous equal groups (difflogic GroupSum order) and class ``c``'s score is
the number of ones in its group plus ``bias[c]``.

A Netlist is immutable: its arrays are read-only and every pass returns a new
one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .errors import NetlistError

__all__ = ["Netlist", "CONST0", "CONST1", "FIRST_INPUT"]

CONST0, CONST1, FIRST_INPUT = 0, 1, 2


def _readonly(arr, dtype):
    src = np.asarray(arr)
    if np.issubdtype(dtype, np.integer) and src.size:
        if src.dtype.kind not in "iub":
            raise TypeError(f"expected integers, got {src.dtype}")
        info = np.iinfo(dtype)
        if src.min() < info.min or src.max() > info.max:
            raise ValueError(f"values outside {np.dtype(dtype).name} range")
    arr = np.array(src, dtype=dtype, copy=True)
    arr.setflags(write=False)
    return arr


def first_unordered(idx: np.ndarray, first: int, block: int = 1 << 16) -> int:
    """Index of the first gate ``i`` whose input ``idx[i]`` is negative or
    not below its own signal ``first + i``; -1 if there is none. Works
    block by block, so no array of all signal numbers is made."""
    step = np.arange(block, dtype=np.int64)
    for start in range(0, idx.shape[0], block):
        part = idx[start:start + block]
        own = step[:part.shape[0]] + (first + start)
        bad = np.flatnonzero((part < 0) | (part >= own))
        if bad.size:
            return start + int(bad[0])
    return -1


def level_order(levels: np.ndarray) -> np.ndarray:
    """Indices that sort ``levels`` stably (equal levels keep their order)."""
    if np.all(levels[1:] >= levels[:-1]):          # already listed level by level
        return np.arange(levels.size)
    # a stable sort of 16-bit keys is a radix sort in numpy: linear time
    return np.argsort(levels.astype(np.uint16) if levels.max() < 1 << 16 else levels, kind="stable")


@dataclass(frozen=True, eq=False)
class Netlist:
    num_inputs: int
    op: np.ndarray
    a: np.ndarray
    b: np.ndarray
    outputs: np.ndarray
    num_classes: int
    bias: np.ndarray | None = None
    tau: float = 1.0
    #: Thermometer input encoding, float64 (features, thresholds_per_feature):
    #: input bit ``f*T + t`` is ``x[f] > thresholds[f, t]``. ``None``: the
    #: inputs are raw bits.
    thresholds: np.ndarray | None = None
    #: Free-form string metadata (``source``, ``name``, ...).
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)
        try:
            put("num_inputs", int(self.num_inputs))
            put("num_classes", int(self.num_classes))
            put("tau", float(self.tau))
            put("op", _readonly(self.op, np.uint8))
            put("a", _readonly(self.a, np.int32))
            put("b", _readonly(self.b, np.int32))
            put("outputs", _readonly(self.outputs, np.int32))
            bias = np.zeros(max(self.num_classes, 0), dtype=np.int64) if self.bias is None else self.bias
            put("bias", _readonly(bias, np.int64))
            if self.thresholds is not None:
                put("thresholds", _readonly(self.thresholds, np.float64))
            put("meta", {str(k): str(v) for k, v in dict(self.meta).items()})
        except (TypeError, ValueError, OverflowError) as err:
            raise NetlistError(f"netlist field has the wrong type: {err}") from None

    # -- sizes ---------------------------------------------------------------

    @property
    def num_gates(self) -> int:
        return int(self.op.shape[0])

    @property
    def first_gate(self) -> int:
        """Signal index of gate 0."""
        return FIRST_INPUT + self.num_inputs

    @property
    def num_signals(self) -> int:
        return self.first_gate + self.num_gates

    @property
    def num_outputs(self) -> int:
        return int(self.outputs.shape[0])

    @property
    def group_size(self) -> int:
        return self.num_outputs // self.num_classes

    def replace(self, **changes) -> "Netlist":
        return dataclasses.replace(self, **changes)

    # -- validation ----------------------------------------------------------

    def check(self) -> "Netlist":
        """Validate every invariant; raise :class:`NetlistError` naming the first violation.

        A netlist is immutable, so a passed check is remembered: checking it
        again costs nothing (until depths are recorded with ``_seed_levels``)."""
        if self.__dict__.get("_checked"):
            return self
        if self.num_inputs < 0:
            raise NetlistError(f"num_inputs is {self.num_inputs}, must be >= 0")
        if self.num_classes < 1:
            raise NetlistError(f"num_classes is {self.num_classes}, must be >= 1")
        for name in ("op", "a", "b", "outputs", "bias"):
            if getattr(self, name).ndim != 1:
                raise NetlistError(f"{name} must be 1-D, has shape {getattr(self, name).shape}")
        g = self.num_gates
        if self.a.shape[0] != g or self.b.shape[0] != g:
            raise NetlistError(
                f"op, a and b must have equal lengths, have {g}, {self.a.shape[0]}, {self.b.shape[0]}")
        bad = np.flatnonzero(self.op > 15)
        if bad.size:
            raise NetlistError(f"gate {bad[0]} has op {self.op[bad[0]]}, must be 0..15")
        for name in ("a", "b"):
            idx = getattr(self, name)
            gate = first_unordered(idx, self.first_gate)
            if gate >= 0:
                src = int(idx[gate])
                why = ("out of range" if src < 0 or src >= self.num_signals
                       else "not earlier in topological order (cycle or misordered gates)")
                raise NetlistError(f"gate {gate} (signal {self.first_gate + gate}) input {name} "
                                   f"reads signal {src}, which is {why}")
        n = self.num_outputs
        if n == 0:
            raise NetlistError("the netlist has no outputs")
        if n % self.num_classes:
            raise NetlistError(
                f"{n} outputs cannot be split into {self.num_classes} equal class groups")
        bad = np.flatnonzero((self.outputs < 0) | (self.outputs >= self.num_signals))
        if bad.size:
            raise NetlistError(
                f"output {bad[0]} reads signal {self.outputs[bad[0]]}, out of range 0..{self.num_signals - 1}")
        if self.bias.shape != (self.num_classes,):
            raise NetlistError(f"bias has shape {self.bias.shape}, expected ({self.num_classes},)")
        if not (np.isfinite(self.tau) and self.tau > 0):
            raise NetlistError(f"tau is {self.tau}, must be a finite positive number")
        if self.thresholds is not None:
            t = self.thresholds
            if t.ndim != 2 or t.size != self.num_inputs:
                raise NetlistError(
                    f"thresholds have shape {t.shape}, need (features, T) with features*T == {self.num_inputs} inputs")
            if not np.all(np.isfinite(t)):
                raise NetlistError("thresholds contain NaN or infinite values")
        seeded = self.__dict__.get("levels")
        if seeded is not None:
            del self.__dict__["levels"]
            if not np.array_equal(seeded, self.levels):
                raise NetlistError("recorded gate levels differ from the netlist's structure")
        self.__dict__["_checked"] = True
        return self

    # -- structure -----------------------------------------------------------

    @cached_property
    def levels(self) -> np.ndarray:
        """Logic depth of every gate, int32 (G,): 1 + max depth of its inputs.

        Constants and inputs are depth 0. Computed block-wise with vectorised
        Jacobi sweeps (a layered network converges in one or two sweeps per
        block); a block that is a long chain falls back to a scalar loop.
        """
        lv = np.zeros(self.num_signals, dtype=np.int32)
        a = self.a.astype(np.int64)
        b = self.b.astype(np.int64)
        first, g = self.first_gate, self.num_gates
        block = 1 << 16
        for start in range(0, g, block):
            stop = min(start + block, g)
            sa, sb = a[start:stop], b[start:stop]
            dst = lv[first + start:first + stop]
            for _ in range(8):
                new = np.maximum(lv[sa], lv[sb]) + 1
                if np.array_equal(new, dst):
                    break
                dst[:] = new
            else:
                la, lb, lvl = sa.tolist(), sb.tolist(), lv.tolist()
                for i in range(stop - start):
                    lvl[first + start + i] = max(lvl[la[i]], lvl[lb[i]]) + 1
                lv[:] = lvl
        out = lv[first:]
        out.setflags(write=False)
        return out

    @property
    def depth(self) -> int:
        return int(self.levels.max()) if self.num_gates else 0

    @cached_property
    def level_groups(self) -> list[np.ndarray]:
        """Gate indices grouped by level: ``level_groups[d-1]`` holds the gates of depth d."""
        lv, depth = self.levels, self.depth
        if np.all(lv[1:] >= lv[:-1]):          # listed level by level (every pass's output)
            bounds = np.searchsorted(lv, np.arange(depth + 1, dtype=lv.dtype), side="right").tolist()
            return [np.arange(bounds[d - 1], bounds[d]) for d in range(1, depth + 1)]
        order = level_order(lv)
        bounds = np.cumsum(np.bincount(lv, minlength=depth + 1)).tolist()
        return [order[bounds[d - 1]:bounds[d]] for d in range(1, depth + 1)]

    @cached_property
    def operands_read(self) -> tuple[np.ndarray, np.ndarray]:
        """Per gate: whether its op reads operand ``a`` and operand ``b``, two read-only
        bool arrays (G,). An operand the op ignores (``A``, ``NOT B``, the constants)
        is no wire of the circuit: nothing schedules, delays or maps it."""
        from .ops import depends_on_a, depends_on_b
        op = self.op.astype(np.int64)
        out = depends_on_a(op).astype(bool), depends_on_b(op).astype(bool)
        for mask in out:
            mask.setflags(write=False)
        return out

    def _seed_levels(self, levels) -> "Netlist":
        """Record gate depths a pass already knows (see :mod:`lgnhw.passes.rewrite`),
        sparing their recomputation; returns ``self``. ``check()`` verifies them."""
        lv = np.array(levels, dtype=np.int32)
        lv.setflags(write=False)
        self.__dict__["levels"] = lv
        self.__dict__.pop("_checked", None)      # the recorded depths are not checked yet
        return self

    def op_counts(self) -> dict[str, int]:
        from .ops import NAMES
        counts = np.bincount(self.op, minlength=16)
        return {NAMES[i]: int(counts[i]) for i in range(16) if counts[i]}

    # -- constructors ----------------------------------------------------------

    @classmethod
    def from_layers(cls, num_inputs: int, layers, num_classes: int, **kwargs) -> "Netlist":
        """Build from dense layers, as difflogic stores them.

        ``layers`` is a sequence of ``(op, a, b)`` arrays per layer, where
        ``a``/``b`` index the previous layer's outputs (the inputs for layer 0).
        The outputs are the last layer's gates, in order.
        """
        ops, aa, bb = [], [], []
        prev_base, prev_width = FIRST_INPUT, num_inputs
        base = FIRST_INPUT + num_inputs
        for i, (op, a, b) in enumerate(layers):
            op, a, b = (np.asarray(x).reshape(-1) for x in (op, a, b))
            if not (op.shape == a.shape == b.shape):
                raise NetlistError(f"layer {i}: op, a and b have different lengths")
            for name, idx in (("a", a), ("b", b)):
                if idx.size and (idx.min() < 0 or idx.max() >= prev_width):
                    raise NetlistError(
                        f"layer {i}: input {name} index out of range 0..{prev_width - 1}")
            ops.append(op)
            aa.append(a.astype(np.int64) + prev_base)
            bb.append(b.astype(np.int64) + prev_base)
            prev_base, prev_width = base, op.size
            base += op.size
        if not layers:
            raise NetlistError("a layered model needs at least one layer")
        outputs = np.arange(prev_base, prev_base + prev_width)
        return cls(num_inputs=num_inputs, op=np.concatenate(ops), a=np.concatenate(aa),
                   b=np.concatenate(bb), outputs=outputs, num_classes=num_classes,
                   **kwargs).check()
