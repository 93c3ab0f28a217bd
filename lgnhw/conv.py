"""Build convolutional LGNs (Petersen et al., NeurIPS 2024) as a :class:`Netlist`.

A convolutional logic gate network reads an image of bits ``(C, H, W)`` and
stacks:

* **logic-tree convolutions** -- output channel ``k`` is a binary tree of
  depth ``d`` of two-input gates; its ``2**d`` leaves read fixed
  ``(channel, dy, dx)`` cells of a ``kh x kw`` receptive field. The same tree
  (same ops, same leaves) is applied at every window position (``stride``,
  zero ``padding``), as a convolution kernel is;
* **OR pooling** -- max pooling on bits, i.e. the OR of each window;
* **flatten** then **dense layers** (difflogic style: gate ``j`` computes
  ``op[j]`` of features ``a[j]`` and ``b[j]`` of the previous layer);
* **GroupSum** -- the final features split into ``num_classes`` equal groups.

:class:`ConvLGNBuilder` unrolls all of it with numpy index arithmetic (no
Python loop per gate or per position). Example (MNIST-like)::

    net = (ConvLGNBuilder((1, 28, 28))
           .conv(ops, leaf_channel, leaf_dy, leaf_dx, kernel_size=5)   # 16 kernels, depth 3
           .or_pool(2)
           .flatten()
           .dense(op, a, b)
           .build(num_classes=10, tau=10.0))

Tree layout (the same as torchlogix's ``LogicConv2d``): ``ops`` lists the
tree levels from the leaves to the root, level ``l`` an int array of shape
``(K, 2**(d-1-l))``. Node ``j`` of level 0 combines leaf ``2j`` (input A) and
leaf ``2j+1`` (input B); node ``j`` of level ``l > 0`` combines nodes ``2j``
(A) and ``2j+1`` (B) of level ``l-1``. ``leaf_channel``, ``leaf_dy`` and
``leaf_dx`` have shape ``(K, 2**d)``; ``dy``/``dx`` are offsets inside the
receptive field, counted from its top-left corner in the padded image. A
torchlogix connection tensor ``coords`` of shape ``(2, K, 2**(d-1), 3)``
holding ``(h, w, c)`` gives leaf ``2s + i`` = ``coords[i, k, s]``.

Signals: a stage's gates are numbered level by level, each level in
``(kernel, node, y, x)`` order, so the netlist is topologically ordered by
construction. Padding cells read the constant-0 signal (no gate).
"""

from __future__ import annotations

import numpy as np

from .errors import LgnhwError
from .netlist import CONST0, FIRST_INPUT, Netlist

__all__ = ["ConvLGNBuilder"]


def _pair(value, name):
    if np.ndim(value) == 0:
        value = (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise LgnhwError(f"{name} must be an int or a pair of ints, got {value}")
    return value


def _ints(value, name, shape=None):
    arr = np.asarray(value)
    if arr.dtype.kind not in "iub":
        raise LgnhwError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if shape is not None and arr.shape != shape:
        raise LgnhwError(f"{name} has shape {arr.shape}, expected {shape}")
    return arr


def _ops(value, name, shape):
    arr = _ints(value, name, shape)
    if arr.size and (arr.min() < 0 or arr.max() > 15):
        raise LgnhwError(f"{name} holds op ids outside 0..15")
    return arr


class ConvLGNBuilder:
    """Describe a convolutional LGN stage by stage, then :meth:`build` a Netlist.

    Every stage method returns the builder. :attr:`shape` is the current
    feature shape: ``(C, H, W)`` before :meth:`flatten`, ``(F,)`` after it.
    Mistakes (wrong shapes, leaves outside the receptive field, indices out
    of range) raise :class:`~lgnhw.errors.LgnhwError` naming the stage.
    """

    def __init__(self, input_shape, *, thresholds=None, meta: dict | None = None):
        shape = tuple(int(d) for d in input_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise LgnhwError(f"input_shape must be (channels, height, width) >= 1, got {shape}")
        self.input_shape = shape
        self.num_inputs = int(np.prod(shape))
        self._thresholds = thresholds
        self._meta = dict(meta or {})
        self._cur = FIRST_INPUT + np.arange(self.num_inputs, dtype=np.int64).reshape(shape)
        self._next = FIRST_INPUT + self.num_inputs
        self._op, self._a, self._b = [], [], []
        self._stages: list[str] = []

    # -- state ------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._cur.shape)

    @property
    def num_gates(self) -> int:
        return self._next - FIRST_INPUT - self.num_inputs

    def _emit(self, op, a, b) -> np.ndarray:
        """Append gates (arrays of one shape); return their signals in that shape."""
        op, a, b = np.broadcast_arrays(op, a, b)
        sig = self._next + np.arange(a.size, dtype=np.int64).reshape(a.shape)
        self._op.append(op.reshape(-1).astype(np.uint8))
        self._a.append(a.reshape(-1))
        self._b.append(b.reshape(-1))
        self._next += a.size
        return sig

    def _need_image(self, stage):
        if self._cur.ndim != 3:
            raise LgnhwError(f"{stage}: features are already flattened to {self.shape}; "
                             "convolutions and pooling need a (C, H, W) image")

    @staticmethod
    def _windows(size, kernel, stride, padding, stage):
        span = size + 2 * padding - kernel
        if span < 0:
            raise LgnhwError(f"{stage}: window {kernel} does not fit in size {size} "
                             f"with padding {padding}")
        return span // stride + 1

    # -- stages ------------------------------------------------------------------

    def conv(self, ops, leaf_channel, leaf_dy, leaf_dx, *, kernel_size,
             stride=1, padding=0) -> "ConvLGNBuilder":
        """Logic-tree convolution: ``K`` kernels, each a depth-``d`` gate tree.

        ``ops``: sequence of ``d`` int arrays, leaves to root, level ``l`` of
        shape ``(K, 2**(d-1-l))``. ``leaf_channel``/``leaf_dy``/``leaf_dx``:
        ``(K, 2**d)`` ints. ``kernel_size``, ``stride``, ``padding``: int or
        (h, w) pair. Output shape ``(K, OH, OW)`` with
        ``OH = (H + 2*padding - kh) // stride + 1``.
        """
        stage = f"conv stage {len(self._stages)}"
        self._need_image(stage)
        c_in, h, w = self.shape
        (kh, kw), (sh, sw), (ph, pw) = (_pair(kernel_size, "kernel_size"),
                                        _pair(stride, "stride"), _pair(padding, "padding"))
        if min(kh, kw, sh, sw) < 1 or min(ph, pw) < 0:
            raise LgnhwError(f"{stage}: kernel_size and stride must be >= 1, padding >= 0")
        ops = list(ops) if not isinstance(ops, np.ndarray) else [ops]
        depth = len(ops)
        if depth < 1:
            raise LgnhwError(f"{stage}: ops must list at least one tree level")
        chan = _ints(leaf_channel, f"{stage}: leaf_channel")
        if chan.ndim != 2 or chan.shape[1] != 2 ** depth:
            raise LgnhwError(f"{stage}: leaf_channel has shape {chan.shape}, expected "
                             f"(K, {2 ** depth}) for a depth-{depth} tree")
        k = chan.shape[0]
        dy = _ints(leaf_dy, f"{stage}: leaf_dy", chan.shape)
        dx = _ints(leaf_dx, f"{stage}: leaf_dx", chan.shape)
        for name, arr, hi in (("leaf_channel", chan, c_in), ("leaf_dy", dy, kh), ("leaf_dx", dx, kw)):
            if arr.size and (arr.min() < 0 or arr.max() >= hi):
                raise LgnhwError(f"{stage}: {name} values must lie in 0..{hi - 1}")
        levels = [_ops(o, f"{stage}: ops[{l}]", (k, 2 ** (depth - 1 - l))) for l, o in enumerate(ops)]
        oh = self._windows(h, kh, sh, ph, stage)
        ow = self._windows(w, kw, sw, pw, stage)
        padded = np.pad(self._cur, ((0, 0), (ph, ph), (pw, pw)), constant_values=CONST0)
        ys = (np.arange(oh) * sh)[None, None, :, None] + dy[:, :, None, None]
        xs = (np.arange(ow) * sw)[None, None, None, :] + dx[:, :, None, None]
        x = padded[chan[:, :, None, None], ys, xs]            # (K, 2**d, OH, OW)
        for lvl in levels:
            x = self._emit(lvl[:, :, None, None], x[:, 0::2], x[:, 1::2])
        self._cur = x[:, 0]
        self._stages.append(f"conv{k}x{kh}x{kw}d{depth}s{sh}p{ph}")
        return self

    def or_pool(self, kernel_size=2, stride=None, padding=0) -> "ConvLGNBuilder":
        """OR pooling (max pooling on bits): each output is the OR of its window.

        ``stride`` defaults to ``kernel_size``; padding cells are 0. The OR of
        a window is built as a balanced tree of OR gates (op 7).
        """
        stage = f"or_pool stage {len(self._stages)}"
        self._need_image(stage)
        (kh, kw) = _pair(kernel_size, "kernel_size")
        (sh, sw) = (kh, kw) if stride is None else _pair(stride, "stride")
        (ph, pw) = _pair(padding, "padding")
        if min(kh, kw, sh, sw) < 1 or min(ph, pw) < 0:
            raise LgnhwError(f"{stage}: kernel_size and stride must be >= 1, padding >= 0")
        c, h, w = self.shape
        oh = self._windows(h, kh, sh, ph, stage)
        ow = self._windows(w, kw, sw, pw, stage)
        padded = np.pad(self._cur, ((0, 0), (ph, ph), (pw, pw)), constant_values=CONST0)
        wy = (np.arange(oh) * sh)[:, None] + np.arange(kh)[None, :]     # (OH, kh)
        wx = (np.arange(ow) * sw)[:, None] + np.arange(kw)[None, :]     # (OW, kw)
        win = padded[:, wy[:, None, :, None], wx[None, :, None, :]]      # (C, OH, OW, kh, kw)
        x = win.reshape(c, oh, ow, kh * kw)
        while x.shape[-1] > 1:
            half = x.shape[-1] // 2
            pairs = self._emit(7, x[..., 0:2 * half:2], x[..., 1:2 * half:2])
            x = np.concatenate([pairs, x[..., 2 * half:]], axis=-1)
        self._cur = x[..., 0]
        self._stages.append(f"orpool{kh}x{kw}s{sh}p{ph}")
        return self

    def flatten(self) -> "ConvLGNBuilder":
        """Flatten ``(C, H, W)`` features in C order (as ``torch.nn.Flatten``)."""
        self._cur = self._cur.reshape(-1)
        self._stages.append("flatten")
        return self

    def dense(self, op, a, b) -> "ConvLGNBuilder":
        """Dense logic layer: gate ``j`` = ``op[j]`` of features ``a[j]``, ``b[j]``."""
        stage = f"dense stage {len(self._stages)}"
        if self._cur.ndim != 1:
            raise LgnhwError(f"{stage}: features have shape {self.shape}; call flatten() first")
        op = _ops(op, f"{stage}: op", None)
        if op.ndim != 1:
            raise LgnhwError(f"{stage}: op must be 1-D, has shape {op.shape}")
        a = _ints(a, f"{stage}: a", op.shape)
        b = _ints(b, f"{stage}: b", op.shape)
        width = self._cur.size
        for name, idx in (("a", a), ("b", b)):
            if idx.size and (idx.min() < 0 or idx.max() >= width):
                raise LgnhwError(f"{stage}: {name} indexes features 0..{width - 1}, "
                                 f"holds {idx.min()}..{idx.max()}")
        self._cur = self._emit(op, self._cur[a], self._cur[b])
        self._stages.append(f"dense{op.size}")
        return self

    def build(self, num_classes: int, tau: float = 1.0, bias=None) -> Netlist:
        """The checked Netlist; the current (flat) features are the GroupSum outputs."""
        feats = self._cur.reshape(-1)
        if num_classes < 1 or feats.size % num_classes:
            raise LgnhwError(f"build: {feats.size} output features cannot be split into "
                             f"{num_classes} equal class groups")
        cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt))
        meta = {"source": "lgnhw.conv.ConvLGNBuilder",
                "input_shape": "x".join(map(str, self.input_shape)),
                "stages": " ".join(self._stages)}
        meta.update(self._meta)
        return Netlist(num_inputs=self.num_inputs, op=cat(self._op, np.uint8),
                       a=cat(self._a, np.int64), b=cat(self._b, np.int64), outputs=feats,
                       num_classes=num_classes, bias=bias, tau=tau,
                       thresholds=self._thresholds, meta=meta).check()
