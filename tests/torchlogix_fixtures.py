"""torchlogix-style circuit JSON for tests, and an independent reference evaluator.

torchlogix needs Python >= 3.12, so the tests cannot run it. Instead
:class:`Emitter` builds ``Circuit.to_dict()`` data the way
``torchlogix/circuit.py`` ``Circuit.from_fx_graph`` does when it traces a
model in export mode:

* each layer applies its LUT ids with ``apply_luts_export_mode``
  (``torchlogix/functional.py``): for lut id 0..15 in turn, the positions
  holding that id are computed with native bool ops (``_map``), one gate per
  element per op, e.g. id 2 ``a & ~b`` -> NOT(b) gates, then AND gates; ids 3
  and 5 create no gate (the wire id passes through); 0 / 15 create constants;
* ``F.pad`` creates one CONST_FALSE gate per padded cell;
* ``OrPooling2d`` ORs the window cells in a chain ``((x0|x1)|x2)|x3``;
* ``LogicConv2d`` gathers leaves with ``(h, w, c)`` coordinates
  ``coords[pair, kernel, s]`` per window position, then reduces the tree;
* ``GroupSum`` becomes one sum node per class, ``beta`` / ``tau`` from the
  scalar add / div after the sum.

:func:`simplify` reimplements ``Circuit.simplify()``'s passes (constant
folding, constants into ``beta``, wire bypass, NOT fusion into
AND_NOT/OR_NOT/NAND/NOR/XNOR, structural dedup, dead-gate removal).

:func:`reference_eval` evaluates circuit JSON data per gate with dicts, from
the semantics of ``Circuit.__call__`` / ``_eval_gate_op``; it shares no code
with lgnhw.
"""

from __future__ import annotations

import json

import numpy as np

# torchlogix _eval_gate_op, written out per name: f(a, b) on Python bools.
GATE_FUNCS = {
    "CONST_FALSE": lambda a, b: False,
    "CONST_TRUE": lambda a, b: True,
    "WIRE": lambda a, b: a,
    "NOT": lambda a, b: not a,
    "NOT_A": lambda a, b: not a,
    "NOT_B": lambda a, b: not b,
    "AND": lambda a, b: a and b,
    "OR": lambda a, b: a or b,
    "XOR": lambda a, b: a != b,
    "NAND": lambda a, b: not (a and b),
    "NOR": lambda a, b: not (a or b),
    "XNOR": lambda a, b: a == b,
    "AND_NOT_B": lambda a, b: a and not b,
    "AND_NOT_A": lambda a, b: (not a) and b,
    "OR_NOT_B": lambda a, b: a or not b,
    "OR_NOT_A": lambda a, b: (not a) or b,
}
SINGLE_INPUT = {"WIRE", "NOT", "NOT_A"}          # read in0 only (NOT_B reads in1 only)

# apply_luts_export_mode's _map: lut id -> native-op program on (a, b).
# Each step: (result name, op, operand names); "a", "b" are the inputs.
LUT_PROGRAMS = {
    0: [("r", "CONST_FALSE", ())],
    1: [("r", "AND", ("a", "b"))],
    2: [("nb", "NOT", ("b",)), ("r", "AND", ("a", "nb"))],
    3: [("r", "ALIAS", ("a",))],
    4: [("na", "NOT", ("a",)), ("r", "AND", ("b", "na"))],
    5: [("r", "ALIAS", ("b",))],
    6: [("r", "XOR", ("a", "b"))],
    7: [("r", "OR", ("a", "b"))],
    8: [("t", "OR", ("a", "b")), ("r", "NOT", ("t",))],
    9: [("t", "XOR", ("a", "b")), ("r", "NOT", ("t",))],
    10: [("r", "NOT", ("b",))],
    11: [("na", "NOT", ("a",)), ("t", "AND", ("b", "na")), ("r", "NOT", ("t",))],
    12: [("r", "NOT", ("a",))],
    13: [("nb", "NOT", ("b",)), ("t", "AND", ("a", "nb")), ("r", "NOT", ("t",))],
    14: [("t", "AND", ("a", "b")), ("r", "NOT", ("t",))],
    15: [("r", "CONST_TRUE", ())],
}


class Emitter:
    """Builds torchlogix Circuit data; wires are numpy arrays of ids."""

    def __init__(self, input_shape):
        self.input_shape = list(input_shape)
        self.n_inputs = int(np.prod(input_shape))
        self.next_id = self.n_inputs
        self.gates: list[dict] = []
        self.sum_nodes: list[dict] = []
        self.outputs: list[int] = []

    def inputs(self):
        return np.arange(self.n_inputs).reshape(self.input_shape)

    def gate(self, op, in0=None, in1=None, shape=None):
        """One gate per element (C order); returns the new ids. Unused slots hold -1."""
        if shape is None:
            shape = np.shape(in0 if in0 is not None else in1)
        a = np.full(shape, -1) if in0 is None else np.asarray(in0)
        b = np.full(shape, -1) if in1 is None else np.asarray(in1)
        ids = np.arange(self.next_id, self.next_id + a.size).reshape(shape)
        for gid, x, y in zip(ids.ravel().tolist(), a.ravel().tolist(), b.ravel().tolist()):
            self.gates.append({"gate_id": gid, "op": op, "in0": x, "in1": y, "node_idx": -1})
        self.next_id += a.size
        return ids

    def apply_luts(self, a, b, lut_ids):
        lut_ids = np.broadcast_to(lut_ids, a.shape)
        result = np.full(a.shape, -1)
        for lut in range(16):
            mask = lut_ids == lut
            env = {"a": a[mask], "b": b[mask]}
            for name, op, args in LUT_PROGRAMS[lut]:
                if op == "ALIAS":
                    env[name] = env[args[0]]
                elif not args:                                    # zeros_like / ones_like
                    env[name] = self.gate(op, shape=env["a"].shape)
                else:
                    env[name] = self.gate(op, *(env[x] for x in args))
            result[mask] = env["r"]
        return result

    def pad(self, x, p):
        """F.pad on spatial dims of (C, H, W): new CONST_FALSE gate per padded cell."""
        if p == 0:
            return x
        padded = np.pad(x, ((0, 0), (p, p), (p, p)), constant_values=-1)
        holes = padded < 0
        padded[holes] = self.gate("CONST_FALSE", shape=(int(holes.sum()),))
        return padded

    def conv(self, x, coords, tree_luts, rfs, stride=1, padding=0):
        """LogicConv2d export: coords (2, K, S, 3) as (h, w, c); tree_luts[l] (n_l, K)."""
        x = self.pad(x, padding)
        _, hp, wp = x.shape
        sy = np.arange(0, hp - rfs + 1, stride)
        sx = np.arange(0, wp - rfs + 1, stride)
        oy, ox = [g.ravel() for g in np.meshgrid(sy, sx, indexing="ij")]   # P positions
        h, w, c = coords[..., 0], coords[..., 1], coords[..., 2]          # (2, K, S)
        leaves = x[c[:, :, None, :], h[:, :, None, :] + oy[None, None, :, None],
                   w[:, :, None, :] + ox[None, None, :, None]]            # (2, K, P, S)
        y = self.apply_luts(leaves[0], leaves[1], tree_luts[0].T[:, None, :])
        for lvl in range(1, len(tree_luts)):
            base = np.arange(y.shape[-1]).reshape(-1, 2).T                  # (2, n/2)
            g = y[..., base]                                               # (K, P, 2, n/2)
            y = self.apply_luts(g[..., 0, :], g[..., 1, :], tree_luts[lvl].T[:, None, :])
        return y.reshape(y.shape[0], sy.size, sx.size)

    def or_pool(self, x, k=2, stride=2, padding=0):
        x = self.pad(x, padding)
        _, hp, wp = x.shape
        oh, ow = (hp - k) // stride + 1, (wp - k) // stride + 1
        wy = (np.arange(oh) * stride)[:, None] + np.arange(k)
        wx = (np.arange(ow) * stride)[:, None] + np.arange(k)
        win = x[:, wy[:, None, :, None], wx[None, :, None, :]].reshape(x.shape[0], oh, ow, k * k)
        r = win[..., 0]
        for i in range(1, k * k):
            r = self.gate("OR", r, win[..., i])
        return r

    def dense(self, x, conn, luts):
        """LogicDense export: conn (2, out) indices into x, luts (out,)."""
        return self.apply_luts(x[conn[0]], x[conn[1]], luts)

    def group_sum(self, x, k, tau=1.0, beta=0.0):
        for row in x.reshape(k, -1):
            node = {"node_id": self.next_id, "input_ids": row.tolist(), "tau": 1.0, "beta": 0.0}
            if beta != 0.0:
                node["beta"] += float(beta)
            if tau != 1.0:
                node["tau"] *= float(tau)
            self.sum_nodes.append(node)
            self.outputs.append(self.next_id)
            self.next_id += 1

    def to_dict(self, bit_outputs=None):
        outputs = self.outputs if bit_outputs is None else [int(v) for v in np.ravel(bit_outputs)]
        d = {"n_inputs": self.n_inputs, "input_shape": self.input_shape, "outputs": outputs,
             "output_shape": [len(outputs)], "gates": self.gates}
        if self.sum_nodes:
            d["sum_nodes"] = self.sum_nodes
        return d


# -- Circuit.simplify() ------------------------------------------------------------

def _reads(g):
    if g["op"] in ("CONST_FALSE", "CONST_TRUE"):
        return ()
    if g["op"] in SINGLE_INPUT:
        return (g["in0"],)
    if g["op"] == "NOT_B":
        return (g["in1"],)
    return (g["in0"], g["in1"])


def _fold(g, const):
    """Constant folding of one gate, as torchlogix's _simplify_gate."""
    op, x, y = g["op"], g["in0"], g["in1"]
    if op in ("CONST_FALSE", "CONST_TRUE"):
        return dict(g, in0=-1, in1=-1), op == "CONST_TRUE"
    f = GATE_FUNCS[op]
    ca, cb = const.get(x), const.get(y)
    if op in SINGLE_INPUT or op == "NOT_B":
        v = ca if op != "NOT_B" else cb
        if v is None:
            return g, None
        r = f(v, v)
        return dict(g, op="CONST_TRUE" if r else "CONST_FALSE", in0=-1, in1=-1), r
    if ca is None and cb is None:
        return g, None
    if ca is not None and cb is not None:
        r = f(ca, cb)
        return dict(g, op="CONST_TRUE" if r else "CONST_FALSE", in0=-1, in1=-1), r
    if ca is not None:
        t = (f(ca, False), f(ca, True)); free = y
    else:
        t = (f(False, cb), f(True, cb)); free = x
    if t[0] == t[1]:
        return dict(g, op="CONST_TRUE" if t[0] else "CONST_FALSE", in0=-1, in1=-1), t[0]
    return dict(g, op="WIRE" if t == (False, True) else "NOT", in0=free, in1=-1), None


def simplify(d):
    """Circuit.simplify() on a to_dict() copy; returns the new dict."""
    d = {**d, "gates": [dict(g) for g in d["gates"]],
         "sum_nodes": [dict(s, input_ids=list(s["input_ids"])) for s in d.get("sum_nodes", [])],
         "outputs": list(d["outputs"])}
    sum_ids = {s["node_id"] for s in d["sum_nodes"]}
    for _ in range(100):
        before = (len(d["gates"]), sum(len(s["input_ids"]) for s in d["sum_nodes"]))
        # constant_fold_gates
        const, new = {}, []
        for g in d["gates"]:
            g, v = _fold(g, const)
            if v is not None:
                const[g["gate_id"]] = v
            new.append(g)
        d["gates"] = new
        by_id = {g["gate_id"]: g for g in d["gates"]}
        # constant_fold_sum_reductions
        for s in d["sum_nodes"]:
            live = []
            for i in s["input_ids"]:
                g = by_id.get(i)
                if g is not None and g["op"] == "CONST_TRUE":
                    s["beta"] += 1.0
                elif not (g is not None and g["op"] == "CONST_FALSE"):
                    live.append(i)
            s["input_ids"] = live
        # bypass_wires: WIRE(x) -> x, NOT(NOT(x)) -> x
        alias = {}
        for g in d["gates"]:
            if g["op"] == "WIRE" and g["in0"] >= 0:
                alias[g["gate_id"]] = g["in0"]
            elif g["op"] == "NOT" and g["in0"] >= 0:
                src = by_id.get(g["in0"])
                if src is not None and src["op"] == "NOT":
                    alias[g["gate_id"]] = src["in0"]

        def res(i, table):
            while i in table and table[i] != i:
                i = table[i]
            return i
        _rewrite(d, lambda i: res(i, alias), sum_ids)
        d["gates"] = [g for g in d["gates"] if g["gate_id"] not in alias]
        # fuse_not_inputs
        by_id = {g["gate_id"]: g for g in d["gates"]}
        uses = {}
        for o in d["outputs"]:
            if o not in sum_ids:
                uses[o] = uses.get(o, 0) + 1
        for s in d["sum_nodes"]:
            for i in s["input_ids"]:
                uses[i] = uses.get(i, 0) + 1
        for g in d["gates"]:
            for i in (g["in0"], g["in1"]):
                if i >= 0:
                    uses[i] = uses.get(i, 0) + 1
        for g in d["gates"]:
            if g["op"] in ("AND", "OR"):
                s0, s1 = by_id.get(g["in0"]), by_id.get(g["in1"])
                if s1 is not None and s1["op"] == "NOT" and uses.get(g["in1"]) == 1:
                    g["op"] = "AND_NOT_B" if g["op"] == "AND" else "OR_NOT_B"
                    g["in1"] = s1["in0"]
                    s1["op"] = "WIRE"
                elif s0 is not None and s0["op"] == "NOT" and uses.get(g["in0"]) == 1:
                    g["op"] = "AND_NOT_A" if g["op"] == "AND" else "OR_NOT_A"
                    g["in0"] = s0["in0"]
                    s0["op"] = "WIRE"
            elif g["op"] == "NOT" and g["in0"] >= 0 and uses.get(g["gate_id"], 0) >= 1:
                src = by_id.get(g["in0"])
                fused = {"AND": "NAND", "OR": "NOR", "XOR": "XNOR"}
                if src is not None and uses.get(g["in0"]) == 1 and src["op"] in fused:
                    g["op"], g["in0"], g["in1"] = fused[src["op"]], src["in0"], src["in1"]
                    src["op"] = "WIRE"
        # dedup (commutative ops canonicalised)
        comm = {"AND", "OR", "XOR", "NAND", "NOR", "XNOR"}
        canon, repl = {}, {}
        for g in d["gates"]:
            x, y = g["in0"], g["in1"]
            if g["op"] in comm and x > y:
                x, y = y, x
            key = (g["op"], x, y)
            if key in canon:
                repl[g["gate_id"]] = canon[key]
            else:
                canon[key] = g["gate_id"]
        _rewrite(d, lambda i: res(i, repl), sum_ids)
        for g in d["gates"]:
            if g["op"] in comm and g["in0"] > g["in1"]:
                g["in0"], g["in1"] = g["in1"], g["in0"]
        d["gates"] = [g for g in d["gates"] if g["gate_id"] not in repl]
        # eliminate_dead_gates
        by_id = {g["gate_id"]: g for g in d["gates"]}
        sums = {s["node_id"]: s for s in d["sum_nodes"]}
        todo = []
        for o in d["outputs"]:
            todo.extend(sums[o]["input_ids"] if o in sums else [o])
        seen = set()
        while todo:
            i = todo.pop()
            if i in seen or i < d["n_inputs"]:
                continue
            seen.add(i)
            g = by_id.get(i)
            if g is not None:
                todo.extend(x for x in (g["in0"], g["in1"]) if x >= 0)
        d["gates"] = [g for g in d["gates"] if g["gate_id"] in seen]
        after = (len(d["gates"]), sum(len(s["input_ids"]) for s in d["sum_nodes"]))
        if after == before:
            break
    if not d["sum_nodes"]:
        del d["sum_nodes"]
    return d


def _rewrite(d, res, sum_ids):
    for g in d["gates"]:
        if g["in0"] >= 0:
            g["in0"] = res(g["in0"])
        if g["in1"] >= 0:
            g["in1"] = res(g["in1"])
    d["outputs"] = [res(o) for o in d["outputs"]]
    for s in d["sum_nodes"]:
        s["input_ids"] = [res(i) for i in s["input_ids"]]


# -- reference evaluator ----------------------------------------------------------

def reference_eval(d, bits):
    """Per-sample, per-gate evaluation of circuit data ``d`` on (N, n_inputs) bits.

    Returns ``(pre_tau, scores)``: for circuits with sum nodes, ``pre_tau`` is
    ``popcount + beta`` per output (the value before the division by tau)
    and ``scores`` torchlogix's ``(popcount + beta) / tau``; for bit outputs
    both are the output bits. Gates may be listed in any order (values are
    resolved on demand); an input slot of -1 reads 0.
    """
    gates = {g["gate_id"]: g for g in d["gates"]}
    sums = {s["node_id"]: s for s in d.get("sum_nodes", [])}
    n_in = d["n_inputs"]
    pre, scores = [], []
    for row in np.asarray(bits):
        vals = {i: bool(row[i]) for i in range(n_in)}
        vals[-1] = False

        def value(i):
            stack = [i]
            while stack:
                top = stack[-1]
                if top in vals:
                    stack.pop()
                    continue
                g = gates[top]
                missing = [x for x in _reads(g) if x not in vals]
                if missing:
                    stack.extend(missing)
                    continue
                reads = _reads(g)
                a = vals[g["in0"]] if g["in0"] in reads else False
                b = vals[g["in1"]] if g["in1"] in reads else False
                vals[top] = GATE_FUNCS[g["op"]](a, b)
                stack.pop()
            return vals[i]

        p, s = [], []
        for o in d["outputs"]:
            if o in sums:
                sr = sums[o]
                total = sum(int(value(i)) for i in sr["input_ids"]) + sr.get("beta", 0.0)
                p.append(total)
                s.append(total / sr.get("tau", 1.0))
            else:
                p.append(int(value(o)))
                s.append(int(value(o)))
        pre.append(p)
        scores.append(s)
    return np.array(pre), np.array(scores, dtype=np.float64)


# -- random "trained" models ---------------------------------------------------------

def random_conv_params(rng, channels, kernels, depth, rfs):
    """torchlogix LogicConv2d parameters: coords (2, K, S, 3) (h, w, c), tree_luts[l] (n_l, K)."""
    s = 2 ** (depth - 1)
    coords = np.stack([rng.integers(0, rfs, (2, kernels, s)), rng.integers(0, rfs, (2, kernels, s)),
                       rng.integers(0, channels, (2, kernels, s))], axis=-1)
    tree = [rng.integers(0, 16, (2 ** (depth - 1 - l), kernels)) for l in range(depth)]
    return coords, tree


def coords_to_leaves(coords, tree):
    """torchlogix conv parameters -> ConvLGNBuilder.conv arguments."""
    k, s = coords.shape[1], coords.shape[2]
    leaves = coords.transpose(1, 2, 0, 3).reshape(k, 2 * s, 3)     # leaf 2s+i = coords[i, k, s]
    ops = [lvl.T for lvl in tree]
    return ops, leaves[..., 2], leaves[..., 0], leaves[..., 1]


# -- circuits written by torchlogix itself ---------------------------------------------
# Generated with torchlogix 0.2.2 (torch.manual_seed(5), parameters ~ N(0, 3), eval mode,
# Circuit.from_model(...) then .simplify()), outputs from torchlogix's own Circuit.__call__:
#   dense: LogicDense(8, 24), LogicDense(24, 12), GroupSum(3, tau=2.0, beta=1.0); all 256
#          inputs, row i holds bit j = (i >> j) & 1.
#   conv:  LogicConv2d(in_dim=4, channels=1, num_kernels=2, tree_depth=2,
#          receptive_field_size=2, padding=1), OrPooling2d(2, 2, 0), Flatten,
#          LogicDense(8, 12), GroupSum(2, tau=3.0); 48 random inputs.
REAL_TORCHLOGIX = json.loads(
    "{\"dense\":{\"circuit\":{\"n_inputs\":8,\"input_shape\":[8],\"outputs\":[56,57,58],\"output_shape\":[3],\"gat"
    "es\":[{\"gate_id\":14,\"op\":\"AND_NOT_B\",\"in0\":2,\"in1\":1,\"node_idx\":-1},{\"gate_id\":15,\"op\":\"AND_NOT_B"
    "\",\"in0\":5,\"in1\":0,\"node_idx\":-1},{\"gate_id\":20,\"op\":\"XOR\",\"in0\":5,\"in1\":7,\"node_idx\":-1},{\"gate_"
    "id\":21,\"op\":\"OR\",\"in0\":3,\"in1\":5,\"node_idx\":-1},{\"gate_id\":25,\"op\":\"XNOR\",\"in0\":6,\"in1\":7,\"node_"
    "idx\":-1},{\"gate_id\":32,\"op\":\"AND_NOT_B\",\"in0\":4,\"in1\":4,\"node_idx\":-1},{\"gate_id\":33,\"op\":\"AND_N"
    "OT_B\",\"in0\":3,\"in1\":6,\"node_idx\":-1},{\"gate_id\":34,\"op\":\"NOT\",\"in0\":32,\"in1\":-1,\"node_idx\":-1},{"
    "\"gate_id\":41,\"op\":\"OR_NOT_B\",\"in0\":21,\"in1\":33,\"node_idx\":-1},{\"gate_id\":44,\"op\":\"NOR\",\"in0\":14,"
    "\"in1\":15,\"node_idx\":-1},{\"gate_id\":45,\"op\":\"NOR\",\"in0\":1,\"in1\":3,\"node_idx\":-1},{\"gate_id\":47,\"o"
    "p\":\"XNOR\",\"in0\":6,\"in1\":6,\"node_idx\":-1},{\"gate_id\":48,\"op\":\"NOR\",\"in0\":4,\"in1\":5,\"node_idx\":-1}"
    ",{\"gate_id\":52,\"op\":\"NAND\",\"in0\":0,\"in1\":48,\"node_idx\":-1}],\"sum_nodes\":[{\"node_id\":56,\"input_id"
    "s\":[3,44,47],\"tau\":2.0,\"beta\":1.0},{\"node_id\":57,\"input_ids\":[52,34,25,5],\"tau\":2.0,\"beta\":1.0},"
    "{\"node_id\":58,\"input_ids\":[20,45,41],\"tau\":2.0,\"beta\":2.0}]},\"outputs\":[[1.5,2.0,2.0],[1.5,1.5,2"
    ".0],[1.5,2.0,1.5],[1.5,1.5,1.5],[1.0,2.0,2.0],[1.0,1.5,2.0],[1.5,2.0,1.5],[1.5,1.5,1.5],[2.0,2.0"
    ",1.5],[2.0,1.5,1.5],[2.0,2.0,1.5],[2.0,1.5,1.5],[1.5,2.0,1.5],[1.5,1.5,1.5],[2.0,2.0,1.5],[2.0,1"
    ".5,1.5],[1.5,2.0,2.0],[1.5,2.0,2.0],[1.5,2.0,1.5],[1.5,2.0,1.5],[1.0,2.0,2.0],[1.0,2.0,2.0],[1.5"
    ",2.0,1.5],[1.5,2.0,1.5],[2.0,2.0,1.5],[2.0,2.0,1.5],[2.0,2.0,1.5],[2.0,2.0,1.5],[1.5,2.0,1.5],[1"
    ".5,2.0,1.5],[2.0,2.0,1.5],[2.0,2.0,1.5],[1.0,2.5,2.5],[1.5,2.5,2.5],[1.0,2.5,2.0],[1.5,2.5,2.0],"
    "[1.0,2.5,2.5],[1.0,2.5,2.5],[1.0,2.5,2.0],[1.5,2.5,2.0],[1.5,2.5,2.0],[2.0,2.5,2.0],[1.5,2.5,2.0"
    "],[2.0,2.5,2.0],[1.5,2.5,2.0],[1.5,2.5,2.0],[1.5,2.5,2.0],[2.0,2.5,2.0],[1.0,2.5,2.5],[1.5,2.5,2"
    ".5],[1.0,2.5,2.0],[1.5,2.5,2.0],[1.0,2.5,2.5],[1.0,2.5,2.5],[1.0,2.5,2.0],[1.5,2.5,2.0],[1.5,2.5"
    ",2.0],[2.0,2.5,2.0],[1.5,2.5,2.0],[2.0,2.5,2.0],[1.5,2.5,2.0],[1.5,2.5,2.0],[1.5,2.5,2.0],[2.0,2"
    ".5,2.0],[1.5,1.5,2.0],[1.5,1.0,2.0],[1.5,1.5,1.5],[1.5,1.0,1.5],[1.0,1.5,2.0],[1.0,1.0,2.0],[1.5"
    ",1.5,1.5],[1.5,1.0,1.5],[2.0,1.5,1.5],[2.0,1.0,1.5],[2.0,1.5,1.5],[2.0,1.0,1.5],[1.5,1.5,1.5],[1"
    ".5,1.0,1.5],[2.0,1.5,1.5],[2.0,1.0,1.5],[1.5,1.5,2.0],[1.5,1.5,2.0],[1.5,1.5,1.5],[1.5,1.5,1.5],"
    "[1.0,1.5,2.0],[1.0,1.5,2.0],[1.5,1.5,1.5],[1.5,1.5,1.5],[2.0,1.5,1.5],[2.0,1.5,1.5],[2.0,1.5,1.5"
    "],[2.0,1.5,1.5],[1.5,1.5,1.5],[1.5,1.5,1.5],[2.0,1.5,1.5],[2.0,1.5,1.5],[1.0,2.0,2.5],[1.5,2.0,2"
    ".5],[1.0,2.0,2.0],[1.5,2.0,2.0],[1.0,2.0,2.5],[1.0,2.0,2.5],[1.0,2.0,2.0],[1.5,2.0,2.0],[1.5,2.0"
    ",2.0],[2.0,2.0,2.0],[1.5,2.0,2.0],[2.0,2.0,2.0],[1.5,2.0,2.0],[1.5,2.0,2.0],[1.5,2.0,2.0],[2.0,2"
    ".0,2.0],[1.0,2.0,2.5],[1.5,2.0,2.5],[1.0,2.0,2.0],[1.5,2.0,2.0],[1.0,2.0,2.5],[1.0,2.0,2.5],[1.0"
    ",2.0,2.0],[1.5,2.0,2.0],[1.5,2.0,2.0],[2.0,2.0,2.0],[1.5,2.0,2.0],[2.0,2.0,2.0],[1.5,2.0,2.0],[1"
    ".5,2.0,2.0],[1.5,2.0,2.0],[2.0,2.0,2.0],[1.5,1.5,2.5],[1.5,1.0,2.5],[1.5,1.5,2.0],[1.5,1.0,2.0],"
    "[1.0,1.5,2.5],[1.0,1.0,2.5],[1.5,1.5,2.0],[1.5,1.0,2.0],[2.0,1.5,2.0],[2.0,1.0,2.0],[2.0,1.5,2.0"
    "],[2.0,1.0,2.0],[1.5,1.5,2.0],[1.5,1.0,2.0],[2.0,1.5,2.0],[2.0,1.0,2.0],[1.5,1.5,2.5],[1.5,1.5,2"
    ".5],[1.5,1.5,2.0],[1.5,1.5,2.0],[1.0,1.5,2.5],[1.0,1.5,2.5],[1.5,1.5,2.0],[1.5,1.5,2.0],[2.0,1.5"
    ",2.0],[2.0,1.5,2.0],[2.0,1.5,2.0],[2.0,1.5,2.0],[1.5,1.5,2.0],[1.5,1.5,2.0],[2.0,1.5,2.0],[2.0,1"
    ".5,2.0],[1.0,2.0,2.0],[1.5,2.0,2.0],[1.0,2.0,1.5],[1.5,2.0,1.5],[1.0,2.0,2.0],[1.0,2.0,2.0],[1.0"
    ",2.0,1.5],[1.5,2.0,1.5],[1.5,2.0,1.5],[2.0,2.0,1.5],[1.5,2.0,1.5],[2.0,2.0,1.5],[1.5,2.0,1.5],[1"
    ".5,2.0,1.5],[1.5,2.0,1.5],[2.0,2.0,1.5],[1.0,2.0,2.0],[1.5,2.0,2.0],[1.0,2.0,1.5],[1.5,2.0,1.5],"
    "[1.0,2.0,2.0],[1.0,2.0,2.0],[1.0,2.0,1.5],[1.5,2.0,1.5],[1.5,2.0,1.5],[2.0,2.0,1.5],[1.5,2.0,1.5"
    "],[2.0,2.0,1.5],[1.5,2.0,1.5],[1.5,2.0,1.5],[1.5,2.0,1.5],[2.0,2.0,1.5],[1.5,2.0,2.5],[1.5,1.5,2"
    ".5],[1.5,2.0,2.0],[1.5,1.5,2.0],[1.0,2.0,2.5],[1.0,1.5,2.5],[1.5,2.0,2.0],[1.5,1.5,2.0],[2.0,2.0"
    ",2.0],[2.0,1.5,2.0],[2.0,2.0,2.0],[2.0,1.5,2.0],[1.5,2.0,2.0],[1.5,1.5,2.0],[2.0,2.0,2.0],[2.0,1"
    ".5,2.0],[1.5,2.0,2.5],[1.5,2.0,2.5],[1.5,2.0,2.0],[1.5,2.0,2.0],[1.0,2.0,2.5],[1.0,2.0,2.5],[1.5"
    ",2.0,2.0],[1.5,2.0,2.0],[2.0,2.0,2.0],[2.0,2.0,2.0],[2.0,2.0,2.0],[2.0,2.0,2.0],[1.5,2.0,2.0],[1"
    ".5,2.0,2.0],[2.0,2.0,2.0],[2.0,2.0,2.0],[1.0,2.5,2.0],[1.5,2.5,2.0],[1.0,2.5,1.5],[1.5,2.5,1.5],"
    "[1.0,2.5,2.0],[1.0,2.5,2.0],[1.0,2.5,1.5],[1.5,2.5,1.5],[1.5,2.5,1.5],[2.0,2.5,1.5],[1.5,2.5,1.5"
    "],[2.0,2.5,1.5],[1.5,2.5,1.5],[1.5,2.5,1.5],[1.5,2.5,1.5],[2.0,2.5,1.5],[1.0,2.5,2.0],[1.5,2.5,2"
    ".0],[1.0,2.5,1.5],[1.5,2.5,1.5],[1.0,2.5,2.0],[1.0,2.5,2.0],[1.0,2.5,1.5],[1.5,2.5,1.5],[1.5,2.5"
    ",1.5],[2.0,2.5,1.5],[1.5,2.5,1.5],[2.0,2.5,1.5],[1.5,2.5,1.5],[1.5,2.5,1.5],[1.5,2.5,1.5],[2.0,2"
    ".5,1.5]]},\"conv\":{\"circuit\":{\"n_inputs\":16,\"input_shape\":[1,4,4],\"outputs\":[327,328],\"output_sha"
    "pe\":[2],\"gates\":[{\"gate_id\":66,\"op\":\"NOT\",\"in0\":4,\"in1\":-1,\"node_idx\":-1},{\"gate_id\":97,\"op\":\"AN"
    "D_NOT_B\",\"in0\":4,\"in1\":9,\"node_idx\":-1},{\"gate_id\":98,\"op\":\"AND_NOT_B\",\"in0\":5,\"in1\":10,\"node_id"
    "x\":-1},{\"gate_id\":99,\"op\":\"AND_NOT_B\",\"in0\":6,\"in1\":11,\"node_idx\":-1},{\"gate_id\":102,\"op\":\"AND_N"
    "OT_B\",\"in0\":8,\"in1\":13,\"node_idx\":-1},{\"gate_id\":103,\"op\":\"AND_NOT_B\",\"in0\":9,\"in1\":14,\"node_idx"
    "\":-1},{\"gate_id\":104,\"op\":\"AND_NOT_B\",\"in0\":10,\"in1\":15,\"node_idx\":-1},{\"gate_id\":188,\"op\":\"NAND"
    "\",\"in0\":1,\"in1\":1,\"node_idx\":-1},{\"gate_id\":189,\"op\":\"NAND\",\"in0\":2,\"in1\":2,\"node_idx\":-1},{\"gat"
    "e_id\":193,\"op\":\"NAND\",\"in0\":5,\"in1\":5,\"node_idx\":-1},{\"gate_id\":194,\"op\":\"NAND\",\"in0\":6,\"in1\":6,"
    "\"node_idx\":-1},{\"gate_id\":198,\"op\":\"NAND\",\"in0\":9,\"in1\":9,\"node_idx\":-1},{\"gate_id\":199,\"op\":\"NA"
    "ND\",\"in0\":10,\"in1\":10,\"node_idx\":-1},{\"gate_id\":203,\"op\":\"NAND\",\"in0\":13,\"in1\":13,\"node_idx\":-1}"
    ",{\"gate_id\":204,\"op\":\"NAND\",\"in0\":14,\"in1\":14,\"node_idx\":-1},{\"gate_id\":247,\"op\":\"AND_NOT_A\",\"in"
    "0\":97,\"in1\":5,\"node_idx\":-1},{\"gate_id\":248,\"op\":\"AND_NOT_A\",\"in0\":98,\"in1\":6,\"node_idx\":-1},{\"g"
    "ate_id\":249,\"op\":\"AND_NOT_A\",\"in0\":99,\"in1\":7,\"node_idx\":-1},{\"gate_id\":252,\"op\":\"AND_NOT_A\",\"in"
    "0\":102,\"in1\":9,\"node_idx\":-1},{\"gate_id\":253,\"op\":\"AND_NOT_A\",\"in0\":103,\"in1\":10,\"node_idx\":-1},"
    "{\"gate_id\":254,\"op\":\"AND_NOT_A\",\"in0\":104,\"in1\":11,\"node_idx\":-1},{\"gate_id\":273,\"op\":\"NOT\",\"in0"
    "\":248,\"in1\":-1,\"node_idx\":-1},{\"gate_id\":287,\"op\":\"OR\",\"in0\":188,\"in1\":189,\"node_idx\":-1},{\"gate"
    "_id\":289,\"op\":\"OR\",\"in0\":198,\"in1\":199,\"node_idx\":-1},{\"gate_id\":292,\"op\":\"OR_NOT_B\",\"in0\":66,\"i"
    "n1\":247,\"node_idx\":-1},{\"gate_id\":293,\"op\":\"OR_NOT_B\",\"in0\":273,\"in1\":249,\"node_idx\":-1},{\"gate_"
    "id\":295,\"op\":\"OR\",\"in0\":193,\"in1\":287,\"node_idx\":-1},{\"gate_id\":297,\"op\":\"OR\",\"in0\":203,\"in1\":28"
    "9,\"node_idx\":-1},{\"gate_id\":300,\"op\":\"OR_NOT_B\",\"in0\":292,\"in1\":8,\"node_idx\":-1},{\"gate_id\":301,"
    "\"op\":\"OR_NOT_B\",\"in0\":293,\"in1\":253,\"node_idx\":-1},{\"gate_id\":303,\"op\":\"OR\",\"in0\":194,\"in1\":295,"
    "\"node_idx\":-1},{\"gate_id\":308,\"op\":\"OR_NOT_B\",\"in0\":300,\"in1\":252,\"node_idx\":-1},{\"gate_id\":309,"
    "\"op\":\"OR_NOT_B\",\"in0\":301,\"in1\":254,\"node_idx\":-1},{\"gate_id\":311,\"op\":\"NOR\",\"in0\":204,\"in1\":297"
    ",\"node_idx\":-1},{\"gate_id\":317,\"op\":\"AND_NOT_B\",\"in0\":303,\"in1\":308,\"node_idx\":-1},{\"gate_id\":31"
    "8,\"op\":\"NOT\",\"in0\":317,\"in1\":-1,\"node_idx\":-1},{\"gate_id\":322,\"op\":\"AND_NOT_B\",\"in0\":303,\"in1\":3"
    "09,\"node_idx\":-1},{\"gate_id\":324,\"op\":\"NOT\",\"in0\":322,\"in1\":-1,\"node_idx\":-1}],\"sum_nodes\":[{\"no"
    "de_id\":327,\"input_ids\":[324,311],\"tau\":3.0,\"beta\":3.0},{\"node_id\":328,\"input_ids\":[309,318,308],"
    "\"tau\":3.0,\"beta\":1.0}]},\"inputs\":[[0,0,0,0,0,1,0,1,0,1,1,0,0,1,1,0],[1,1,1,0,1,0,0,1,1,0,0,1,0,0"
    ",0,1],[1,0,1,0,0,1,0,1,0,1,0,0,0,1,1,1],[0,0,0,1,1,0,1,1,0,0,0,0,1,0,0,0],[0,0,1,1,1,0,1,1,0,0,1"
    ",1,0,0,0,0],[1,1,1,1,1,0,0,1,1,1,0,0,0,1,0,1],[0,1,1,0,1,0,0,1,0,0,1,1,1,1,1,1],[0,1,0,0,1,0,1,0"
    ",0,1,1,0,1,0,0,1],[0,1,1,0,0,0,1,0,1,1,1,1,0,1,1,1],[1,0,1,0,1,1,1,0,1,0,0,0,0,1,0,1],[1,1,1,1,0"
    ",1,1,0,1,1,0,1,1,1,0,0],[0,0,0,1,1,1,1,1,1,1,1,0,0,1,0,0],[0,1,0,0,0,1,0,1,0,1,0,0,0,0,1,0],[1,0"
    ",1,0,0,0,1,1,1,0,0,0,0,1,0,0],[1,1,1,1,1,0,1,0,0,0,0,0,1,0,0,1],[0,1,0,0,1,0,0,0,0,1,0,0,0,0,1,0"
    "],[1,1,1,1,1,0,1,1,0,0,1,0,1,1,0,1],[0,0,1,1,1,1,1,0,1,0,1,1,0,1,1,1],[1,1,0,1,0,1,0,1,0,0,1,1,0"
    ",1,0,1],[0,1,1,0,0,1,0,0,0,1,1,0,0,1,0,0],[0,1,1,0,1,1,0,1,0,0,1,0,0,0,1,1],[0,0,0,1,0,0,0,1,1,1"
    ",0,1,1,0,0,0],[1,0,0,0,0,1,1,1,0,0,0,1,0,1,0,1],[1,0,0,0,0,0,1,1,1,0,1,0,1,1,0,0],[1,0,0,0,0,1,1"
    ",0,1,0,0,0,1,0,0,0],[1,0,0,0,0,0,0,1,1,0,0,0,1,1,0,1],[1,1,0,0,0,0,1,1,1,0,0,0,1,1,1,0],[1,0,0,0"
    ",1,1,1,0,0,1,0,1,0,0,0,1],[0,0,1,0,1,1,1,0,0,1,1,0,0,1,1,0],[0,1,1,0,0,0,1,0,1,0,0,0,1,0,0,1],[0"
    ",1,1,1,0,0,1,0,1,0,0,1,1,1,1,1],[1,1,0,0,0,1,0,0,1,0,0,1,0,0,1,1],[0,0,1,0,0,0,0,1,1,1,1,0,1,1,1"
    ",1],[1,0,0,1,0,1,1,1,0,0,0,1,1,0,0,1],[1,0,0,1,1,0,0,0,1,1,1,1,0,0,0,1],[0,1,1,1,0,1,0,0,1,1,1,1"
    ",1,0,0,1],[1,1,0,0,0,1,0,1,0,0,1,0,0,0,0,1],[1,0,0,1,1,1,1,0,1,0,1,1,1,0,1,0],[1,0,1,1,1,0,0,1,1"
    ",1,0,1,0,1,1,1],[1,1,1,1,1,1,0,0,1,0,0,1,0,0,0,1],[1,1,1,0,0,1,0,1,1,0,0,0,1,0,0,1],[0,1,1,1,1,0"
    ",1,1,0,1,0,1,1,1,1,1],[1,0,1,1,0,1,1,1,1,0,1,1,1,1,0,0],[0,0,0,1,1,1,0,0,1,0,1,0,1,1,0,0],[0,0,1"
    ",1,1,1,1,0,0,0,0,0,1,1,1,1],[0,1,0,0,1,1,1,1,0,1,1,1,1,0,0,0],[1,0,1,0,0,1,0,1,1,0,0,0,0,1,0,1],"
    "[1,0,0,1,1,1,0,0,0,1,1,1,0,0,0,0]],\"outputs\":[[1.6666666269302368,1.3333333730697632],[1.3333333"
    "730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333"
    "333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1"
    ".3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.666666626930236"
    "8,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.333333373069"
    "7632],[1.3333333730697632,0.6666666865348816],[1.3333333730697632,1.3333333730697632],[1.3333333"
    "730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333"
    "333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1"
    ".3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.333333373069763"
    "2,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.333333373069"
    "7632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333"
    "730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333"
    "333730697632],[1.6666666269302368,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1"
    ".3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.666666626930236"
    "8,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.333333373069"
    "7632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333"
    "730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333"
    "333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1"
    ".3333333730697632,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.333333373069763"
    "2,1.3333333730697632],[1.3333333730697632,1.3333333730697632],[1.3333333730697632,1.333333373069"
    "7632],[1.3333333730697632,1.3333333730697632]]}}"
)
