"""difflogic models (github.com/Felix-Petersen/difflogic) -> Netlist.

A difflogic model is a ``torch.nn.Sequential`` of ``LogicLayer`` modules
(optionally preceded by ``torch.nn.Flatten``) ending in ``GroupSum(k, tau)``.
For each ``LogicLayer``:

``weights``  float ``[out_dim, 16]`` parameter; at eval time gate ``i`` is
             ``weights[i].argmax()`` (first maximum on ties), an op id in
             difflogic's numbering, which is :mod:`lgnhw.ops`'s numbering;
``indices``  plain attribute ``(a, b)``, two int64 ``[out_dim]`` tensors
             indexing the previous layer's outputs: the wiring;
``in_dim``, ``out_dim`` and others (``device``, ``implementation``, ...).

``GroupSum`` splits the last layer's outputs into ``k`` contiguous groups
(class ``c`` owns ``[c*n/k, (c+1)*n/k)``) and divides their sums by ``tau``.

``indices`` is not a parameter or buffer, so ``model.state_dict()`` loses the
wiring. Keep models with ``torch.save(model)``; for a bare state_dict, supply
a wiring file (see :func:`write_wiring`):

wiring file (``.npz``, read with ``allow_pickle=False``)
    ``a_0, b_0, a_1, b_1, ...``  int arrays, one pair per LogicLayer in order;
    ``num_classes``              int scalar (GroupSum ``k``);
    ``tau``                      float scalar, optional (default 1.0);
    ``num_inputs``               int scalar, optional (first layer ``in_dim``;
                                 default: largest index of ``a_0``/``b_0`` + 1).

Checkpoints are read by :mod:`.torch_pickle` without torch, without difflogic
and without executing anything from the file.
"""

from __future__ import annotations

import io
import math
import numbers
import os
import types
import zipfile

import numpy as np

from ..errors import FormatError, NetlistError
from ..fileio import atomic_open
from ..netlist import Netlist
from .limits import Archive, check_model_size, clip, describe
from .torch_pickle import LazyTensor, Module, Storage, load_torch_checkpoint, module_type_name

__all__ = ["from_module", "read_checkpoint", "write_wiring", "read_wiring"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


# -- duck-typed model walking --------------------------------------------------------


def _as_array(x, fail=None) -> np.ndarray:
    """numpy array from a numpy array, a LazyTensor or a live torch tensor (no torch import).

    With ``fail`` (a model read from a file) only the first two are accepted:
    converting anything else could walk an unbounded pickled structure."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, LazyTensor):
        return x.numpy()
    if fail is not None:
        fail(f"holds {describe(x)} where a tensor belongs")
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu"):
        x = x.cpu()
    if str(getattr(x, "dtype", "")) == "torch.bfloat16":
        x = x.float()
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


def _short(obj) -> str:
    return module_type_name(obj).rsplit(".", 1)[-1]


def _children(obj):
    """``(name, child)`` pairs of a Sequential-like object (or a list of layers)."""
    mods = obj.__dict__.get("_modules") if hasattr(obj, "__dict__") else None
    if isinstance(mods, dict):
        return [(clip(k, 40) if isinstance(k, str) else describe(k), v)
                for k, v in mods.items() if v is not None]
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj)]
    return None


def _kind(layer) -> str:
    name = _short(layer)
    if name in ("LogicLayer", "GroupSum", "Flatten", "Sequential"):
        return name
    if isinstance(layer, (list, tuple)):
        return "Sequential"
    if hasattr(layer, "weights") and hasattr(layer, "indices"):
        return "LogicLayer"
    if hasattr(layer, "k") and hasattr(layer, "tau"):
        return "GroupSum"
    return "?"


_MAX_NESTING = 64
_MAX_LAYERS = 1 << 16      # layers and containers visited (a pickle may share one many times)


def _flatten(model, fail, prefix="", depth=0, visited=None):
    """Leaf layers of a (nested) Sequential, in order, with their dotted names."""
    visited = [0] if visited is None else visited
    kids = _children(model)
    if kids is None:
        if depth == 0:
            fail(f"the model is a {_short(model)}, expected a torch.nn.Sequential of difflogic "
                 "LogicLayers ending in GroupSum")
        fail(f"layer '{prefix[:-1]}' ({_short(model)}) has no list of sub-modules")
    if depth > _MAX_NESTING:
        fail(f"Sequential containers nested deeper than {_MAX_NESTING} levels (or a cycle)")
    out = []
    for name, child in kids:
        visited[0] += 1
        if visited[0] > _MAX_LAYERS:
            fail(f"the model has more than {_MAX_LAYERS:,} layers and containers (or shares them)")
        full = f"{prefix}{name}"
        if _kind(child) == "Sequential":
            out.extend(_flatten(child, fail, full + ".", depth + 1, visited))
        else:
            out.append((full, child))
    return out


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _int_array(x, what, fail, strict) -> np.ndarray:
    arr = _as_array(x, (lambda problem: fail(f"{what} {problem}")) if strict else None)
    if arr.dtype.kind not in "iu":
        fail(f"{what} has dtype {arr.dtype}, expected integers")
    if arr.ndim != 1:
        fail(f"{what} has shape {arr.shape}, expected 1-D")
    return arr.astype(np.int64, copy=False)


class _Layers:
    """A validated difflogic model: input width, per-layer (weights, a, b), k, tau."""

    def __init__(self, num_inputs, layers, num_classes, tau, names):
        self.num_inputs, self.layers, self.num_classes, self.tau = num_inputs, layers, num_classes, tau
        self.names = names


class _Budget:
    """Tensor elements a checkpoint's layers may use: twice what its storages hold,
    + 1M. Layers that share a storage or a layer many times use more, and are refused."""

    def __init__(self, elements: int):
        self.left = 2 * elements + (1 << 20)

    def take(self, x, label, fail):
        # a view larger than its storage is refused when it is materialised
        n = 0
        if isinstance(x, LazyTensor) and isinstance(x.storage, Storage):
            n = min(x.numel(), x.storage.numel)
        self.left -= n
        if self.left < 0:
            fail(f"{label} uses more tensor data than the file's storages hold (shared or "
                 "overlapping views)")


def _read_layers(model, where, need_weights=True, budget=None) -> _Layers:
    """Walk a model (live, stand-in or plain objects) and validate it; FormatError(where, ...).

    ``budget`` (a :class:`_Budget`, for a model read from a file) bounds the
    tensor data it may use; then only stand-in tensors and numpy arrays are accepted."""

    def fail(problem):
        raise FormatError(where, problem)

    strict = budget is not None
    leaves = _flatten(model, fail)
    total = 0
    layers, names = [], []
    width = None
    num_inputs = None
    group = None
    for name, layer in leaves:
        kind = _kind(layer)
        label = f"layer '{name}' ({_short(layer)})"
        if group is not None:
            fail(f"{label} follows the GroupSum; GroupSum must be the last layer")
        if kind == "Flatten":
            continue
        if kind == "GroupSum":
            group = (name, layer)
            continue
        if kind != "LogicLayer":
            fail(f"{label} is not supported: a difflogic model holds only LogicLayer, "
                 "Flatten and a final GroupSum")
        try:
            weights, indices = layer.weights, layer.indices
        except AttributeError as err:
            fail(f"{label} is missing an attribute ({err})")
        w = None
        if need_weights:
            if strict:
                budget.take(weights, label, fail)
            w = _as_array(weights, (lambda problem: fail(f"{label} weights {problem}")) if strict else None)
            if w.ndim != 2 or w.shape[1] != 16:
                fail(f"{label} weights have shape {tuple(w.shape)}, expected [out_dim, 16]")
            if w.dtype.kind not in "fiu":
                fail(f"{label} weights have dtype {w.dtype}, expected floats")
            if not np.all(np.isfinite(w)):
                fail(f"{label} weights contain NaN or infinite values")
        if not (isinstance(indices, (tuple, list)) and len(indices) == 2):
            fail(f"{label} indices must be a pair (a, b) of index tensors, "
                 f"got {type(indices).__name__}")
        if strict:
            budget.take(indices[0], label, fail)
            budget.take(indices[1], label, fail)
        a = _int_array(indices[0], f"{label} indices[0]", fail, strict)
        b = _int_array(indices[1], f"{label} indices[1]", fail, strict)
        out_dim = getattr(layer, "out_dim", None)
        n = w.shape[0] if w is not None else a.shape[0]
        if out_dim is not None and (not _is_int(out_dim) or out_dim != n):
            fail(f"{label} has out_dim {describe(out_dim)} but {n} gates")
        if a.shape[0] != n or b.shape[0] != n:
            fail(f"{label} has {n} gates but indices of lengths {a.shape[0]} and {b.shape[0]}")
        total += n
        check_model_size(where, "gates", total)
        in_dim = getattr(layer, "in_dim", None)
        if in_dim is not None and (not _is_int(in_dim) or in_dim < 1):
            fail(f"{label} has in_dim {describe(in_dim)}, expected a positive integer")
        if width is None:
            if in_dim is None:
                in_dim = int(max(a.max(initial=-1), b.max(initial=-1))) + 1
            check_model_size(where, "inputs", int(in_dim))
            num_inputs = width = int(in_dim)
        elif in_dim is not None and in_dim != width:
            fail(f"{label} has in_dim {in_dim} but the previous layer has {width} outputs")
        for which, idx in (("indices[0]", a), ("indices[1]", b)):
            if idx.size and (idx.min() < 0 or idx.max() >= width):
                bad = int(np.flatnonzero((idx < 0) | (idx >= width))[0])
                fail(f"{label} {which}[{bad}] is {int(idx[bad])}, out of range 0..{width - 1}")
        layers.append((w, a, b))
        names.append(name)
        width = n
    if not layers:
        fail("the model holds no LogicLayer (empty model)")
    if group is None:
        fail("the model has no GroupSum layer, so its number of classes is unknown")
    gname, gs = group
    k, tau = getattr(gs, "k", None), getattr(gs, "tau", 1.0)
    glabel = f"layer '{gname}' (GroupSum)"
    if not _is_int(k) or k < 1:
        fail(f"{glabel} has k {describe(k)}, expected a positive integer number of classes")
    if width % k or k > width:
        fail(f"{glabel}: {width} outputs of the last LogicLayer cannot be split into "
             f"{describe(k)} equal class groups")
    if not _is_finite_positive(tau):
        fail(f"{glabel} has tau {describe(tau)}, expected a finite positive number")
    return _Layers(num_inputs, layers, int(k), float(tau), names)


def _is_finite_positive(tau) -> bool:
    if not isinstance(tau, numbers.Real) or isinstance(tau, bool):
        return False
    try:
        return math.isfinite(float(tau)) and tau > 0
    except OverflowError:              # an int too large for a float
        return False


def _to_netlist(spec: _Layers, where) -> Netlist:
    ops = [np.argmax(w, axis=1).astype(np.uint8) for w, _, _ in spec.layers]
    try:
        return Netlist.from_layers(
            spec.num_inputs, [(op, a, b) for op, (_, a, b) in zip(ops, spec.layers)],
            spec.num_classes, tau=spec.tau, meta={"source": "difflogic"})
    except NetlistError as err:  # pre-validated above; kept as a safety net
        raise FormatError(where, str(err)) from None


def from_module(model) -> Netlist:
    """Netlist of a live difflogic model (any Sequential-like object with difflogic's attributes).

    Neither torch nor difflogic is imported: layers are recognised by their
    class names and attributes. Gate ``i`` of a layer is ``weights[i].argmax()``.
    """
    return _to_netlist(_read_layers(model, None), None)


# -- wiring files --------------------------------------------------------------------


def write_wiring(model, path) -> None:
    """Write the wiring of a live difflogic model to ``path`` (.npz), atomically and deterministically."""
    spec = _read_layers(model, None, need_weights=False)
    arrays = {"num_inputs": np.int64(spec.num_inputs), "num_classes": np.int64(spec.num_classes),
              "tau": np.float64(spec.tau)}
    for i, (_, a, b) in enumerate(spec.layers):
        arrays[f"a_{i}"] = a.astype(np.int64)
        arrays[f"b_{i}"] = b.astype(np.int64)
    with atomic_open(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(name + ".npy", _EPOCH), buf.getvalue())


def _wiring_array(dtype, shape):
    if dtype.kind not in "fiu" or len(shape) > 1:
        return f"an array of dtype {dtype} and shape {tuple(shape)}, expected numbers (1-D)"
    return None


def read_wiring(path) -> dict:
    """Read a wiring file: ``{"indices": [(a, b), ...], "num_classes", "tau", "num_inputs"}``."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FormatError(path, "wiring file not found")
    try:
        with Archive(path) as zf:
            arrays = {n.removesuffix(".npy"): zf.read_npy(n, _wiring_array) for n in zf.names}
    except FormatError as err:
        raise FormatError(path, "not a wiring file (expected a .npz of a_0, b_0, ..., num_classes): "
                                + err.problem) from None
    if not isinstance(arrays, dict) or "num_classes" not in arrays:
        raise FormatError(path, "wiring file lacks 'num_classes'")

    def scalar(name, kind, default=None):
        if name not in arrays:
            return default
        v = arrays[name]
        if v.shape != () or v.dtype.kind not in kind:
            raise FormatError(path, f"wiring '{name}' must be a scalar, has shape {v.shape} dtype {v.dtype}")
        return v.item()

    indices = []
    while f"a_{len(indices)}" in arrays or f"b_{len(indices)}" in arrays:
        i = len(indices)
        if f"a_{i}" not in arrays or f"b_{i}" not in arrays:
            raise FormatError(path, f"wiring has only one of a_{i} and b_{i}")
        indices.append((arrays[f"a_{i}"], arrays[f"b_{i}"]))
    known = {"num_classes", "tau", "num_inputs"} | {f"{c}_{i}" for c in "ab" for i in range(len(indices))}
    extra = sorted(set(arrays) - known)
    if extra:
        raise FormatError(path, f"unexpected array '{extra[0]}' in the wiring file")
    if not indices:
        raise FormatError(path, "wiring file holds no layers (expected a_0, b_0, ...)")
    wires = {"indices": indices, "num_classes": scalar("num_classes", "iu"),
             "tau": float(scalar("tau", "fiu", 1.0)), "num_inputs": scalar("num_inputs", "iu")}
    for name, what in (("num_classes", "classes"), ("num_inputs", "inputs")):
        if wires[name] is not None:
            check_model_size(path, what, wires[name])
    return wires


# -- checkpoints ---------------------------------------------------------------------

_STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model")
_MODEL_KEYS = ("model", "net", "module")


def _is_tensor(v) -> bool:
    return isinstance(v, (LazyTensor, np.ndarray))


def _payload(obj, path):
    """``("model", module)`` or ``("state_dict", dict)`` from the unpickled top-level object."""
    if isinstance(obj, Module):
        return "model", obj
    if isinstance(obj, dict):
        if obj and all(_is_tensor(v) for v in obj.values()):
            return "state_dict", obj
        for key in _MODEL_KEYS:
            if isinstance(obj.get(key), Module):
                return "model", obj[key]
        for key in _STATE_DICT_KEYS:
            sub = obj.get(key)
            if isinstance(sub, dict) and sub and all(_is_tensor(v) for v in sub.values()):
                return "state_dict", sub
        if not obj:
            raise FormatError(path, "the checkpoint is an empty dict (empty model)")
    raise FormatError(path, f"the checkpoint holds a {type(obj).__name__}, not a difflogic model "
                            "(torch.save(model) of a torch.nn.Sequential) or its state_dict")


def _state_dict_layers(sd, path, wiring):
    """Pseudo-layers combining state_dict weights with a wiring file."""
    wires = read_wiring(wiring)
    names = []
    for key in sd:
        if not isinstance(key, str) or not (key == "weights" or key.endswith(".weights")):
            raise FormatError(path, f"state_dict entry {describe(key)} is not a LogicLayer weight; "
                                    "only LogicLayer/Flatten/GroupSum models are supported")
        names.append(key)
    if len(names) != len(wires["indices"]):
        raise FormatError(path, f"state_dict has {len(names)} LogicLayers but the wiring file "
                                f"{os.fspath(wiring)} describes {len(wires['indices'])}")
    layers = []
    for i, (key, (a, b)) in enumerate(zip(names, wires["indices"])):
        layer = types.SimpleNamespace(weights=sd[key], indices=(a, b))
        if i == 0 and wires["num_inputs"] is not None:
            layer.in_dim = wires["num_inputs"]
        layers.append(layer)
    layers.append(types.SimpleNamespace(k=wires["num_classes"], tau=wires["tau"]))
    return layers


def _check_same_wiring(spec: _Layers, path, wiring):
    wires = read_wiring(wiring)
    ours = [(a, b) for _, a, b in spec.layers]
    same = (len(ours) == len(wires["indices"]) and wires["num_classes"] == spec.num_classes
            and all(np.array_equal(a, wa) and np.array_equal(b, wb)
                    for (a, b), (wa, wb) in zip(ours, wires["indices"])))
    if not same:
        raise FormatError(wiring, f"does not match the wiring stored in the full model {os.fspath(path)}; "
                                  "drop the wiring option for checkpoints made with torch.save(model)")


def read_checkpoint(path, wiring=None) -> Netlist:
    """Netlist of a difflogic ``torch.save`` checkpoint (zip or legacy format).

    Never imports torch or difflogic and never runs code from the file. A
    ``torch.save(model)`` file carries its own wiring; a ``state_dict()``
    needs ``wiring`` (a file made by :func:`write_wiring`).
    """
    path = os.fspath(path)
    obj, elements = load_torch_checkpoint(path)
    kind, payload = _payload(obj, path)
    if kind == "state_dict":
        if wiring is None:
            raise FormatError(path, "this is a state_dict: it holds the LogicLayer weights but not "
                                    "LogicLayer.indices (the wiring), which state_dict() does not save; "
                                    "save the whole model with torch.save(model), or pass a wiring "
                                    "file with --wiring (made by lgnhw.formats.difflogic.write_wiring(model, path))")
        payload = _state_dict_layers(payload, path, wiring)
    spec = _read_layers(payload, path, budget=_Budget(elements))
    if kind == "model" and wiring is not None:
        _check_same_wiring(spec, path, wiring)
    return _to_netlist(spec, path)
