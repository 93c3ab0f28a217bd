"""The 16 ops: numbering and algebra, exhaustively."""

import itertools

import numpy as np
import pytest

from lgnhw import ops

# difflogic's table, written out independently of the bit formula.
REFERENCE = {
    0: lambda a, b: 0, 1: lambda a, b: a & b, 2: lambda a, b: a & (1 - b), 3: lambda a, b: a,
    4: lambda a, b: (1 - a) & b, 5: lambda a, b: b, 6: lambda a, b: a ^ b, 7: lambda a, b: a | b,
    8: lambda a, b: 1 - (a | b), 9: lambda a, b: 1 - (a ^ b), 10: lambda a, b: 1 - b,
    11: lambda a, b: a | (1 - b), 12: lambda a, b: 1 - a, 13: lambda a, b: (1 - a) | b,
    14: lambda a, b: 1 - (a & b), 15: lambda a, b: 1,
}
PAIRS = list(itertools.product((0, 1), repeat=2))


@pytest.mark.parametrize("op", range(16))
def test_numbering_matches_difflogic_table(op):
    for a, b in PAIRS:
        assert ops.evaluate(op, a, b) == REFERENCE[op](a, b), (op, a, b)
    assert ops.truth_table(op) == tuple(REFERENCE[op](a, b) for a, b in PAIRS)


@pytest.mark.parametrize("op", range(16))
def test_algebra(op):
    for a, b in PAIRS:
        assert ops.evaluate(ops.swap_inputs(op), a, b) == ops.evaluate(op, b, a)
        assert ops.evaluate(ops.negate_a(op), a, b) == ops.evaluate(op, 1 - a, b)
        assert ops.evaluate(ops.negate_b(op), a, b) == ops.evaluate(op, a, 1 - b)
        assert ops.evaluate(ops.negate_output(op), a, b) == 1 - ops.evaluate(op, a, b)
        assert ops.evaluate(ops.same_inputs(op), a, b) == ops.evaluate(op, a, a)
        for v in (0, 1):
            assert ops.evaluate(ops.fix_a(op, v), a, b) == ops.evaluate(op, v, b)
            assert ops.evaluate(ops.fix_b(op, v), a, b) == ops.evaluate(op, a, v)
    dep_a = any(ops.evaluate(op, 0, b) != ops.evaluate(op, 1, b) for b in (0, 1))
    dep_b = any(ops.evaluate(op, a, 0) != ops.evaluate(op, a, 1) for a in (0, 1))
    assert bool(ops.depends_on_a(op)) == dep_a
    assert bool(ops.depends_on_b(op)) == dep_b


def test_algebra_vectorised_matches_scalar():
    o = np.arange(16)
    v = np.array([0, 1] * 8)
    for fn in (ops.swap_inputs, ops.negate_a, ops.negate_b, ops.negate_output, ops.same_inputs):
        assert list(fn(o)) == [fn(int(x)) for x in o]
    assert list(ops.fix_a(o, v)) == [ops.fix_a(int(x), int(y)) for x, y in zip(o, v)]
    assert list(ops.fix_b(o, v)) == [ops.fix_b(int(x), int(y)) for x, y in zip(o, v)]


def test_names():
    assert len(ops.NAMES) == 16 and len(set(ops.NAMES)) == 16
    assert ops.name(6) == "xor" and ops.name(14) == "nand"
