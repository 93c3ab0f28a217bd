"""Test helpers for the difflogic loader: stand-in difflogic classes and a reference forward.

The real difflogic package is not a dependency, so this module defines
``LogicLayer`` and ``GroupSum`` as ``torch.nn.Module`` subclasses with
difflogic's attribute names (``weights``, ``indices``, ``in_dim``, ``out_dim``,
``device``, ``grad_factor``, ``implementation``, ``connections``,
``num_neurons``, ``num_weights``, ``given_x_indices_of_y_start``,
``given_x_indices_of_y``; ``k``, ``tau``, ``device``) and with
``__module__ == "difflogic.difflogic"``. :func:`fake_difflogic_modules` gives
the ``sys.modules`` entries under which ``torch.save`` pickles them, so the
checkpoints name exactly the globals a real difflogic checkpoint names.

The forward pass follows difflogic's python implementation in eval mode: each
gate applies the real-valued ``bin_op`` of its one-hot ``weights.argmax()``;
GroupSum sums contiguous groups and divides by tau.

GPU checkpoints without a GPU: :func:`pretend_cuda_storages` registers a
torch serialization location tagger (``torch.serialization.register_package``,
the public hook torch uses for device tags) with top priority that tags every
storage ``cuda:0``. ``torch.save`` then writes ``cuda:0`` where a GPU model's
storages carry it, in both the zip and the legacy format, with no bytes
patched by hand; ``torch.load(..., map_location="cpu")`` still reads such
files. The tagger is removed from torch's (private) registry on exit.
"""

from __future__ import annotations

import contextlib
import types
import warnings

import numpy as np
import torch

MODULE = "difflogic.difflogic"


def bin_op(a, b, i):
    """difflogic's real-valued gate ``i`` on inputs in [0, 1] (functional.bin_op's table)."""
    ab = a * b
    table = {
        0: lambda: torch.zeros_like(a), 1: lambda: ab, 2: lambda: a - ab, 3: lambda: a,
        4: lambda: b - ab, 5: lambda: b, 6: lambda: a + b - 2 * ab, 7: lambda: a + b - ab,
        8: lambda: 1 - (a + b - ab), 9: lambda: 1 - (a + b - 2 * ab), 10: lambda: 1 - b,
        11: lambda: 1 - b + ab, 12: lambda: 1 - a, 13: lambda: 1 - a + ab, 14: lambda: 1 - ab,
        15: lambda: torch.ones_like(a),
    }
    return table[i]()


def bin_op_s(a, b, weights):
    """Sum of all 16 gates weighted by ``weights[..., i]`` (one-hot in eval mode)."""
    out = torch.zeros_like(a)
    for i in range(16):
        out = out + weights[..., i] * bin_op(a, b, i)
    return out


class LogicLayer(torch.nn.Module):
    """Stand-in for difflogic.difflogic.LogicLayer (same attributes, python forward)."""

    def __init__(self, in_dim, out_dim, device="cpu", grad_factor=1.0, implementation="python",
                 connections="random", generator=None):
        super().__init__()
        self.weights = torch.nn.Parameter(torch.randn(out_dim, 16, generator=generator))
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.device = device
        self.grad_factor = grad_factor
        self.implementation = implementation
        self.connections = connections
        # difflogic's 'random' connections: one permuted tensor reshaped to (2, out_dim);
        # a and b are views into a shared storage (b at a non-zero storage offset).
        c = torch.randperm(2 * out_dim, generator=generator) % in_dim
        c = torch.randperm(in_dim, generator=generator)[c].reshape(2, out_dim).to(torch.int64)
        self.indices = c[0], c[1]
        if implementation == "cuda":
            # The CUDA implementation's extra backward tensors (same construction as difflogic).
            users = [[] for _ in range(in_dim)]
            for y in range(out_dim):
                users[int(c[0, y])].append(y)
                users[int(c[1, y])].append(y)
            self.given_x_indices_of_y_start = torch.tensor(
                np.cumsum([0] + [len(u) for u in users]), dtype=torch.int64)
            self.given_x_indices_of_y = torch.tensor(
                [y for u in users for y in u], dtype=torch.int64)
        self.num_neurons = out_dim
        self.num_weights = out_dim

    def forward(self, x):
        a, b = x[..., self.indices[0]], x[..., self.indices[1]]
        if self.training:
            w = torch.nn.functional.softmax(self.weights, dim=-1)
        else:
            w = torch.nn.functional.one_hot(self.weights.argmax(-1), 16).to(torch.float32)
        return bin_op_s(a, b, w)


class GroupSum(torch.nn.Module):
    """Stand-in for difflogic.difflogic.GroupSum."""

    def __init__(self, k, tau=1.0, device="cpu"):
        super().__init__()
        self.k = k
        self.tau = tau
        self.device = device

    def forward(self, x):
        return x.reshape(*x.shape[:-1], self.k, x.shape[-1] // self.k).sum(-1) / self.tau


for _cls in (LogicLayer, GroupSum):
    _cls.__module__ = MODULE


def fake_difflogic_modules() -> dict:
    """``sys.modules`` entries making ``difflogic.difflogic.{LogicLayer,GroupSum}`` importable."""
    inner = types.ModuleType(MODULE)
    inner.LogicLayer, inner.GroupSum = LogicLayer, GroupSum
    outer = types.ModuleType("difflogic")
    outer.difflogic = inner
    outer.LogicLayer, outer.GroupSum = LogicLayer, GroupSum
    return {"difflogic": outer, MODULE: inner}


def make_model(in_shape=(2, 12), widths=(48, 40, 30), k=10, tau=3.0, seed=0, implementation="python",
               flatten=True, all_ops=True, ties=True):
    """A difflogic-style model in eval mode.

    ``all_ops`` forces gates 0..15 of every layer to ops 0..15; ``ties`` makes
    a few weight rows tie (argmax must pick the first maximum).
    """
    gen = torch.Generator().manual_seed(seed)
    in_dim = int(np.prod(in_shape))
    device = "cuda" if implementation == "cuda" else "cpu"
    layers = [torch.nn.Flatten()] if flatten else []
    prev = in_dim
    for w in widths:
        layer = LogicLayer(prev, w, device=device, implementation=implementation, generator=gen)
        with torch.no_grad():
            if all_ops:
                for op in range(min(16, w)):
                    layer.weights[op, op] = 10.0
            if ties and w > 20:
                layer.weights[16:19] = 0.0                  # all 16 tie -> op 0
                layer.weights[19, :] = -1.0
                layer.weights[19, [5, 9, 12]] = 2.0         # tie between 5, 9, 12 -> op 5
        layers.append(layer)
        prev = w
    layers.append(GroupSum(k, tau, device=device))
    return torch.nn.Sequential(*layers).eval()


def random_inputs(model, n, seed=1, in_shape=(2, 12)):
    """(torch float inputs shaped for the model, flat uint8 bits for lgnhw)."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(n, int(np.prod(in_shape))), dtype=np.uint8)
    return torch.from_numpy(bits.astype(np.float32)).reshape(n, *in_shape), bits


@torch.no_grad()
def reference_forward(model, x):
    """difflogic eval-mode forward: ``(counts (N, k) int64 before /tau, pred (N,) int64)``.

    ``pred`` is the argmax of the model's own output (GroupSum divides by tau),
    ties to the lowest class as torch.argmax does.
    """
    h = x
    for layer in model[:-1]:
        h = layer(h)
    group = model[-1]
    sums = h.reshape(h.shape[0], group.k, -1).sum(-1)
    counts = sums.round().to(torch.int64)
    if not torch.equal(counts.to(sums.dtype), sums):
        raise AssertionError("group sums of a 0/1 eval forward must be integers")
    pred = model(x).argmax(-1)
    return counts.numpy(), pred.numpy()


@contextlib.contextmanager
def pretend_cuda_storages(location="cuda:0"):
    """Inside the block, ``torch.save`` tags every storage with ``location`` (see module doc)."""
    def tagger(storage):
        return location

    def deserializer(storage, loc):
        return None

    torch.serialization.register_package(-1000, tagger, deserializer)
    try:
        yield
    finally:
        registry = torch.serialization._package_registry
        registry[:] = [entry for entry in registry if entry[1] is not tagger]


def save(obj, path, legacy=False, cuda=False):
    """``torch.save`` in the zip (default) or legacy format, optionally GPU-tagged."""
    ctx = pretend_cuda_storages() if cuda else contextlib.nullcontext()
    with ctx, warnings.catch_warnings():
        # The legacy format stores module source code; ours lives in no importable file.
        warnings.filterwarnings("ignore", "Couldn't retrieve source code")
        torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path
