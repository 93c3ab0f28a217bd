import itertools

import numpy as np

from lgnhw import Netlist, ops
from lgnhw.golden import argmax_lowest, encode_inputs, pack_bits, predict, unpack_bits
from lgnhw.randnet import random_dag


def scalar_counts(net, bits):
    """Obviously correct, one sample and one gate at a time."""
    out = []
    for row in bits:
        v = [0, 1] + [int(x) for x in row]
        for g in range(net.num_gates):
            v.append(ops.evaluate(int(net.op[g]), v[net.a[g]], v[net.b[g]]))
        o = np.array([v[s] for s in net.outputs]).reshape(net.num_classes, -1)
        out.append(o.sum(axis=1) + net.bias)
    return np.array(out)


def test_pack_roundtrip_odd_sizes():
    rng = np.random.default_rng(0)
    for n in (1, 63, 64, 65, 200):
        bits = rng.integers(0, 2, (n, 7), dtype=np.uint8)
        assert np.array_equal(unpack_bits(pack_bits(bits), n), bits)


def test_all_ops_exhaustive():
    net = Netlist(2, np.arange(16), np.full(16, 2), np.full(16, 3), np.arange(4, 20), 16)
    x = np.array(list(itertools.product((0, 1), repeat=2)))
    counts, _ = predict(net, x)
    for op in range(16):
        assert tuple(counts[:, op]) == ops.truth_table(op)


def test_matches_scalar_reference_on_random_dags():
    rng = np.random.default_rng(1)
    for seed in range(20):
        net = random_dag(9, 150, 30, 3, seed=seed, const_prob=0.05, bias_max=3)
        x = rng.integers(0, 2, (130, 9))
        counts, pred = predict(net, x)
        assert np.array_equal(counts, scalar_counts(net, x))
        assert np.array_equal(pred, np.argmax(counts, axis=1))


def test_argmax_ties_go_to_lowest_class():
    counts = np.array([[3, 5, 5], [7, 7, 7], [0, 1, 0]])
    assert list(argmax_lowest(counts)) == [1, 0, 1]


def test_thermometer_encoding():
    net = Netlist(4, [1], [2], [3], [4], 1, thresholds=[[0.2, 0.6], [1.0, 2.0]])
    bits = encode_inputs(net, np.array([[0.5, 3.0], [0.1, 1.0]]))
    assert bits.tolist() == [[1, 0, 1, 1], [0, 0, 0, 0]]
