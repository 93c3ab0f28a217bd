"""The 16 two-input gate ops, in difflogic's numbering (frozen).

The op id *is* the truth table::

    out(A, B) = (op >> (3 - (2*A + B))) & 1

so bit 3 of the id is ``out(0,0)``, bit 2 ``out(0,1)``, bit 1 ``out(1,0)`` and
bit 0 ``out(1,1)``. All algebra below is bit arithmetic on the id and works
elementwise on numpy arrays of ids as well as on plain ints.
"""

from __future__ import annotations

__all__ = [
    "NAMES", "NUM_OPS", "ZERO", "AND", "A", "B", "XOR", "OR", "NOT_B", "NOT_A", "ONE",
    "name", "evaluate", "truth_table", "swap_inputs", "negate_a", "negate_b",
    "negate_output", "fix_a", "fix_b", "same_inputs", "depends_on_a", "depends_on_b",
]

NUM_OPS = 16

#: Short names, index = op id. Used in reports, ``inspect`` and Verilog comments.
NAMES = (
    "zero", "and", "a_and_not_b", "a", "not_a_and_b", "b", "xor", "or",
    "nor", "xnor", "not_b", "a_or_not_b", "not_a", "not_a_or_b", "nand", "one",
)

ZERO, AND, A, B, XOR, OR, NOT_B, NOT_A, ONE = 0, 1, 3, 5, 6, 7, 10, 12, 15

# Bit positions of each input combination inside the op id.
_B00, _B01, _B10, _B11 = 3, 2, 1, 0


def name(op: int) -> str:
    return NAMES[int(op)]


def _bit(op, pos):
    return (op >> pos) & 1


def evaluate(op, a, b):
    """Evaluate ``op`` on input values (ints or integer arrays of 0/1)."""
    return (op >> (3 - (2 * a + b))) & 1


def truth_table(op: int) -> tuple[int, int, int, int]:
    """``(out(0,0), out(0,1), out(1,0), out(1,1))``."""
    return tuple(int(evaluate(op, a, b)) for a in (0, 1) for b in (0, 1))


def _compose(t00, t01, t10, t11):
    return (t00 << _B00) | (t01 << _B01) | (t10 << _B10) | (t11 << _B11)


def swap_inputs(op):
    """Op computing ``op(B, A)``."""
    return _compose(_bit(op, _B00), _bit(op, _B10), _bit(op, _B01), _bit(op, _B11))


def negate_a(op):
    """Op computing ``op(not A, B)``."""
    return _compose(_bit(op, _B10), _bit(op, _B11), _bit(op, _B00), _bit(op, _B01))


def negate_b(op):
    """Op computing ``op(A, not B)``."""
    return _compose(_bit(op, _B01), _bit(op, _B00), _bit(op, _B11), _bit(op, _B10))


def negate_output(op):
    """Op computing ``not op(A, B)``."""
    return 15 - op


def fix_a(op, value):
    """Op computing ``op(value, B)`` (a function of B only)."""
    v = value & 1
    lo = _bit(op, _B00) ^ ((_bit(op, _B00) ^ _bit(op, _B10)) & v)
    hi = _bit(op, _B01) ^ ((_bit(op, _B01) ^ _bit(op, _B11)) & v)
    return _compose(lo, hi, lo, hi)


def fix_b(op, value):
    """Op computing ``op(A, value)`` (a function of A only)."""
    return swap_inputs(fix_a(swap_inputs(op), value))


def same_inputs(op):
    """Op computing ``op(A, A)`` (a function of A only)."""
    lo, hi = _bit(op, _B00), _bit(op, _B11)
    return _compose(lo, lo, hi, hi)


def depends_on_a(op):
    return (_bit(op, _B00) != _bit(op, _B10)) | (_bit(op, _B01) != _bit(op, _B11))


def depends_on_b(op):
    return (_bit(op, _B00) != _bit(op, _B01)) | (_bit(op, _B10) != _bit(op, _B11))
