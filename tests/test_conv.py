"""ConvLGNBuilder: unrolled netlists against a per-position Python reference."""

import json

import numpy as np
import pytest

from lgnhw import LgnhwError, load_model
from lgnhw.conv import ConvLGNBuilder
from lgnhw.golden import predict
from lgnhw.passes import optimize

from torchlogix_fixtures import Emitter, coords_to_leaves, random_conv_params, simplify


def gate(op, a, b):
    """difflogic: the op id is the truth table, bit 3 = out(0,0) ... bit 0 = out(1,1)."""
    return (int(op) >> (3 - (2 * a + b))) & 1


def reference(stages, input_shape, row, num_classes, bias=0):
    """Straightforward per-position, per-gate evaluation of one sample."""
    img = np.asarray(row).reshape(input_shape).tolist()
    for st in stages:
        kind = st[0]
        if kind == "conv":
            _, ops, ch, dy, dx, (kh, kw), (sh, sw), (ph, pw) = st
            c, h, w = len(img), len(img[0]), len(img[0][0])
            oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
            out = [[[0] * ow for _ in range(oh)] for _ in range(ch.shape[0])]
            for k in range(ch.shape[0]):
                for y in range(oh):
                    for x in range(ow):
                        vals = []
                        for i in range(ch.shape[1]):
                            yy, xx = y * sh + dy[k, i] - ph, x * sw + dx[k, i] - pw
                            inside = 0 <= yy < h and 0 <= xx < w
                            vals.append(img[ch[k, i]][yy][xx] if inside else 0)
                        for lvl in ops:
                            vals = [gate(lvl[k, j], vals[2 * j], vals[2 * j + 1])
                                    for j in range(len(vals) // 2)]
                        out[k][y][x] = vals[0]
            img = out
        elif kind == "pool":
            _, k, s, p = st
            c, h, w = len(img), len(img[0]), len(img[0][0])
            oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            img = [[[max([img[ci][y * s + i - p][x * s + j - p]
                          for i in range(k) for j in range(k)
                          if 0 <= y * s + i - p < h and 0 <= x * s + j - p < w] + [0])
                     for x in range(ow)] for y in range(oh)] for ci in range(c)]
        elif kind == "flatten":
            img = np.asarray(img).reshape(-1).tolist()
        elif kind == "dense":
            _, op, a, b = st
            img = [gate(op[j], img[a[j]], img[b[j]]) for j in range(len(op))]
    return np.asarray(img).reshape(num_classes, -1).sum(axis=1) + bias


def random_model(seed):
    """A random small conv LGN: (stages for the reference, built netlist)."""
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 3)), int(rng.integers(3, 7)), int(rng.integers(3, 7)))
    b = ConvLGNBuilder(shape)
    stages = []
    for _ in range(int(rng.integers(1, 3))):
        c, h, w = b.shape
        kh, kw = int(rng.integers(1, min(h, 3) + 1)), int(rng.integers(1, min(w, 3) + 1))
        sh, sw = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        ph, pw = int(rng.integers(0, 2)), int(rng.integers(0, 2))
        k, d = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        ops = [rng.integers(0, 16, (k, 2 ** (d - 1 - l))) for l in range(d)]
        ch, dy, dx = (rng.integers(0, c, (k, 2 ** d)), rng.integers(0, kh, (k, 2 ** d)),
                      rng.integers(0, kw, (k, 2 ** d)))
        b.conv(ops, ch, dy, dx, kernel_size=(kh, kw), stride=(sh, sw), padding=(ph, pw))
        stages.append(("conv", ops, ch, dy, dx, (kh, kw), (sh, sw), (ph, pw)))
        _, h, w = b.shape
        if min(h, w) >= 2 and rng.random() < 0.7:
            pk = int(rng.integers(2, min(h, w, 3) + 1))
            ps, pp = int(rng.integers(1, pk + 1)), int(rng.integers(0, 2))
            b.or_pool(pk, ps, pp)
            stages.append(("pool", pk, ps, pp))
    b.flatten()
    stages.append(("flatten",))
    classes = int(rng.integers(1, 4))
    width = classes * int(rng.integers(2, 6))
    op, a, bb = rng.integers(0, 16, width), rng.integers(0, b.shape[0], width), rng.integers(0, b.shape[0], width)
    b.dense(op, a, bb)
    stages.append(("dense", op, a, bb))
    bias = rng.integers(0, 3, classes)
    return shape, stages, b.build(classes, tau=2.0, bias=bias), classes, bias


def samples(n_inputs, rng, n=120):
    if n_inputs <= 11:
        return ((np.arange(2 ** n_inputs)[:, None] >> np.arange(n_inputs)) & 1).astype(np.uint8)
    return rng.integers(0, 2, (n, n_inputs)).astype(np.uint8)


@pytest.mark.parametrize("seed", range(12))
def test_built_netlist_matches_per_position_reference(seed):
    shape, stages, net, classes, bias = random_model(seed)
    bits = samples(net.num_inputs, np.random.default_rng(seed))
    if bits.shape[0] > 400:
        bits = bits[np.random.default_rng(seed).choice(bits.shape[0], 400, replace=False)]
    counts, _ = predict(net, bits)
    expected = np.array([reference(stages, shape, row, classes, bias) for row in bits])
    assert np.array_equal(counts, expected)


def test_exhaustive_small_image():
    rng = np.random.default_rng(42)
    ops = [rng.integers(0, 16, (2, 2)), rng.integers(0, 16, (2, 1))]
    ch, dy, dx = np.zeros((2, 4), int), rng.integers(0, 2, (2, 4)), rng.integers(0, 2, (2, 4))
    b = ConvLGNBuilder((1, 3, 3)).conv(ops, ch, dy, dx, kernel_size=2, padding=1).or_pool(2)
    b.flatten()
    op, a, bb = rng.integers(0, 16, 6), rng.integers(0, b.shape[0], 6), rng.integers(0, b.shape[0], 6)
    net = b.dense(op, a, bb).build(2)
    stages = [("conv", ops, ch, dy, dx, (2, 2), (1, 1), (1, 1)), ("pool", 2, 2, 0), ("flatten",),
              ("dense", op, a, bb)]
    bits = samples(9, rng)
    assert bits.shape == (512, 9)
    counts, _ = predict(net, bits)
    assert np.array_equal(counts, [reference(stages, (1, 3, 3), r, 2) for r in bits])


@pytest.mark.parametrize("seed", [0, 3, 5])
def test_passes_preserve_built_conv_netlists(seed):
    shape, stages, net, classes, bias = random_model(seed)
    bits = np.random.default_rng(1).integers(0, 2, (500, net.num_inputs)).astype(np.uint8)
    opt, report = optimize(net, check=True)
    assert opt.num_gates <= net.num_gates
    assert np.array_equal(predict(opt, bits)[0], predict(net, bits)[0])


def test_shapes_and_gate_counts():
    rng = np.random.default_rng(0)
    k, d = 5, 3
    ops = [rng.integers(0, 16, (k, 2 ** (d - 1 - l))) for l in range(d)]
    leaves = [rng.integers(0, n, (k, 8)) for n in (3, 3, 2)]
    b = ConvLGNBuilder((3, 11, 9)).conv(ops, *leaves, kernel_size=(3, 2), stride=2, padding=1)
    assert b.shape == (5, 6, 5)                       # (11+2-3)//2+1, (9+2-2)//2+1
    assert b.num_gates == k * (2 ** d - 1) * 6 * 5
    before = b.num_gates
    b.or_pool(3, stride=2, padding=1)                 # 3x3 windows: 8 ORs each
    assert b.shape == (5, 3, 3) and b.num_gates - before == 5 * 3 * 3 * 8
    net = b.flatten().build(5)
    assert net.num_outputs == 45 and net.group_size == 9
    assert net.meta["input_shape"] == "3x11x9"
    again = ConvLGNBuilder((3, 11, 9)).conv(ops, *leaves, kernel_size=(3, 2), stride=2, padding=1) \
        .or_pool(3, stride=2, padding=1).flatten().build(5)
    for name in ("op", "a", "b", "outputs"):
        assert np.array_equal(getattr(net, name), getattr(again, name))


@pytest.mark.parametrize("simplified", [False, True], ids=["raw", "simplified"])
def test_agrees_with_the_torchlogix_circuit_of_the_same_model(tmp_path, simplified):
    """The same parameters as a torchlogix model (exported JSON) and via the builder."""
    rng = np.random.default_rng(11)
    em = Emitter([2, 6, 6])
    b = ConvLGNBuilder((2, 6, 6))
    x = em.inputs()
    coords, tree = random_conv_params(rng, 2, 3, 2, 3)
    x = em.conv(x, coords, tree, rfs=3, stride=1, padding=1)
    b.conv(*coords_to_leaves(coords, tree), kernel_size=3, stride=1, padding=1)
    x = em.or_pool(x, 2, 2, 0)
    b.or_pool(2, 2, 0)
    coords, tree = random_conv_params(rng, 3, 4, 3, 2)
    x = em.conv(x, coords, tree, rfs=2, stride=1, padding=0)
    b.conv(*coords_to_leaves(coords, tree), kernel_size=2)
    x = em.or_pool(x, 2, 2, 1)
    b.or_pool(2, 2, 1)
    x = x.reshape(-1)
    b.flatten()
    conn, luts = rng.integers(0, x.size, (2, 24)), rng.integers(0, 16, 24)
    x = em.dense(x, conn, luts)
    b.dense(luts, conn[0], conn[1])
    em.group_sum(x, 4, tau=5.0)
    d = em.to_dict()
    if simplified:
        d = simplify(d)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(d))
    loaded = load_model(path)
    built = b.build(4, tau=5.0)
    bits = np.random.default_rng(2).integers(0, 2, (2000, 72)).astype(np.uint8)
    got, want = predict(built, bits)[0], predict(loaded, bits)[0]
    assert np.array_equal(got, want)
    assert len(np.unique(got[:, 0])) > 1            # a model that actually varies


def test_leaf_order_pairs_consecutive_leaves():
    # One kernel, depth 1: out = AND(leaf 0, leaf 1) with leaf 0 = (0, 0), leaf 1 = (0, 1).
    net = ConvLGNBuilder((1, 1, 2)).conv([[[2]]], [[0, 0]], [[0, 0]], [[0, 1]],
                                          kernel_size=(1, 2)).flatten().build(1)
    bits = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.uint8)
    assert predict(net, bits)[0][:, 0].tolist() == [0, 0, 1, 0]     # op 2: A and not B


def conv_args(k=2, d=2, c=1, kh=2, kw=2):
    return ([np.zeros((k, 2 ** (d - 1 - l)), int) for l in range(d)],
            np.zeros((k, 2 ** d), int) + (c - 1), np.zeros((k, 2 ** d), int) + kh - 1,
            np.zeros((k, 2 ** d), int) + kw - 1)


@pytest.mark.parametrize("make, message", [
    (lambda: ConvLGNBuilder((1, 4)), "input_shape must be"),
    (lambda: ConvLGNBuilder((1, 4, 4)).conv(*conv_args(kh=3), kernel_size=2), "leaf_dy values must lie in 0..1"),
    (lambda: ConvLGNBuilder((1, 4, 4)).conv(*conv_args(c=2), kernel_size=2), "leaf_channel values"),
    (lambda: ConvLGNBuilder((1, 4, 4)).conv(conv_args()[0][:1], *conv_args()[1:], kernel_size=2),
     r"expected \(K, 2\) for a depth-1 tree"),
    (lambda: ConvLGNBuilder((1, 4, 4)).conv(*conv_args(), kernel_size=5), "window 5 does not fit"),
    (lambda: ConvLGNBuilder((1, 4, 4)).conv(*conv_args(), kernel_size=2, stride=0), "must be >= 1"),
    (lambda: ConvLGNBuilder((1, 4, 4)).dense([1], [0], [0]), "call flatten"),
    (lambda: ConvLGNBuilder((1, 4, 4)).flatten().or_pool(2), "already flattened"),
    (lambda: ConvLGNBuilder((1, 4, 4)).flatten().dense([1], [0], [16]), "a indexes|b indexes"),
    (lambda: ConvLGNBuilder((1, 4, 4)).flatten().dense([16], [0], [1]), "op ids outside 0..15"),
    (lambda: ConvLGNBuilder((1, 4, 4)).flatten().build(3), "cannot be split into 3"),
])
def test_builder_errors_are_clear(make, message):
    with pytest.raises(LgnhwError, match=message):
        make()
