"""AIGER write/read: function and class structure survive our round trip and yosys."""

import itertools
import subprocess

import numpy as np
import pytest

from lgnhw import FormatError, load_model
from lgnhw.formats import detect_format
from lgnhw.formats.aiger import netlist_to_aig, read_aiger, write_aiger
from lgnhw import tools
from lgnhw.golden import class_counts
from lgnhw.randnet import random_dag, random_layered


def all_inputs(n):
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8)


def sample(seed=0):
    net = random_dag(6, 60, 12, 3, seed=seed, const_prob=0.1, bias_max=3)
    return net.replace(tau=2.5, thresholds=np.linspace(-1, 1, 6).reshape(3, 2), meta={"name": "s"})


def eval_aig(ands, out_lits, bits):
    """Independent AIG evaluator (scalar, per literal) for checking the decomposition."""
    val = {0: 0}
    for i, b in enumerate(bits):
        val[i + 1] = int(b)
    for lhs, r0, r1 in ands.tolist():
        val[lhs >> 1] = (val[r0 >> 1] ^ (r0 & 1)) & (val[r1 >> 1] ^ (r1 & 1))
    return [val[l >> 1] ^ (l & 1) for l in out_lits.tolist()]


@pytest.mark.parametrize("op", range(16))
def test_each_op_decomposes_into_the_right_ands(op):
    from lgnhw import Netlist
    net = Netlist(2, [op], [2], [3], [4], 1)
    ands, outs = netlist_to_aig(net)
    assert len(ands) == [0, 1, 1, 0, 1, 0, 3, 1, 1, 3, 0, 1, 0, 1, 1, 0][op]
    for a, b in itertools.product((0, 1), repeat=2):
        assert eval_aig(ands, outs, [a, b]) == [(op >> (3 - (2 * a + b))) & 1]
    assert (ands[:, 0] > ands[:, 1]).all() and (ands[:, 1] >= ands[:, 2]).all()


@pytest.mark.parametrize("suffix", ["aag", "aig"])
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("optimize", [False, True])
def test_roundtrip_preserves_function_and_head(tmp_path, suffix, seed, optimize):
    net = sample(seed)
    path = tmp_path / f"m.{suffix}"
    write_aiger(net, path)
    assert detect_format(path) == "aiger"
    back = read_aiger(path, optimize=optimize)
    x = all_inputs(6)
    assert np.array_equal(class_counts(back, x), class_counts(net, x))
    assert back.num_classes == 3 and np.array_equal(back.bias, net.bias) if not optimize else True
    assert (back.num_classes, back.tau, back.meta) == (3, 2.5, {"name": "s"})
    assert np.array_equal(back.thresholds, net.thresholds)
    # load_model dispatches by content.
    assert np.array_equal(class_counts(load_model(path), x), class_counts(net, x))


def test_output_is_deterministic_and_binary_matches_ascii(tmp_path):
    net = random_layered(20, [64, 64, 30], 3, seed=4)
    write_aiger(net, tmp_path / "a.aig")
    write_aiger(net, tmp_path / "b.aig")
    assert (tmp_path / "a.aig").read_bytes() == (tmp_path / "b.aig").read_bytes()
    write_aiger(net, tmp_path / "a.aag")
    x = np.random.default_rng(0).integers(0, 2, (300, 20), dtype=np.uint8)
    ca = class_counts(read_aiger(tmp_path / "a.aig", optimize=False), x)
    cb = class_counts(read_aiger(tmp_path / "a.aag", optimize=False), x)
    assert np.array_equal(ca, cb) and np.array_equal(ca, class_counts(net, x))


def test_foreign_file_without_metadata(tmp_path):
    # Unordered ASCII AIGER: AND 8 uses AND 6 defined after it; output 9 is inverted.
    path = tmp_path / "f.aag"
    path.write_text("aag 4 2 0 2 2\n2\n4\n9\n1\n8 6 2\n6 3 5\n")
    net = read_aiger(path, optimize=False)
    assert (net.num_inputs, net.num_classes, net.num_outputs) == (2, 1, 2)
    x = all_inputs(2)
    a, b = x[:, 0].astype(int), x[:, 1].astype(int)
    expected = 1 - ((1 - a) & b & a) + 1          # ~(~a & b & a) plus constant-1 output
    assert np.array_equal(class_counts(net, x)[:, 0], expected)
    two = read_aiger(path, num_classes=2)
    assert two.num_classes == 2


@pytest.mark.parametrize("text, message", [
    (b"aag 1 1 0 1\n", "need M I L O A"),
    (b"aag 3 1 1 1 0\n2\n4 2\n4\n", "latches"),
    (b"aag 2 1 0 1 1\n2\n4\n4 2 9\n", r"exceeds 2\*M\+1"),
    (b"aag 2 1 0 1 1\n2\n4\n4 2\n", "wrong number of literals"),
    (b"aag 3 1 0 1 1\n2\n6\n4 2 2\n", "literal 6 is used but never defined"),
    (b"aag 3 1 0 1 2\n2\n4\n4 6 2\n6 4 2\n", "combinational cycle"),
    (b"aag 2 1 0 1 1\n2\n4\n4 x 2\n", "unsigned integers"),
    (b"aig 2 1 0 1 1\n4\n\x81", "truncated"),
    (b"aag 1 1 0 1 1\n2\n4\n4 2 2\n", "header says M=1"),
    (b"aag 1 1 0 1 0 1\n2\n2\n2\n", "bad-state"),
])
def test_malformed_files_name_the_file(tmp_path, text, message):
    path = tmp_path / "bad.aag"
    path.write_bytes(text)
    with pytest.raises(FormatError, match=message) as err:
        read_aiger(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


needs_yosys = pytest.mark.skipif(not tools.available("yosys"), reason="yosys not installed")


@needs_yosys
@pytest.mark.parametrize("seed", [1, 2])
def test_yosys_reads_and_rewrites_our_aiger(tmp_path, seed):
    net = random_dag(8, 120, 16, 4, seed=seed, const_prob=0.05)
    write_aiger(net, tmp_path / "in.aig")
    cmd = [tools.find("yosys"), "-q", "-p", "read_aiger in.aig; opt; write_aiger -symbols out.aig; "
                          "write_aiger -ascii -symbols out.aag"]
    subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True)
    x = all_inputs(8)
    for name in ("out.aig", "out.aag"):
        back = read_aiger(tmp_path / name)
        # yosys keeps the symbols (class split) but not our comment (bias).
        assert back.num_classes == 4
        assert np.array_equal(class_counts(back, x), class_counts(net, x) - net.bias)


def test_ascii_ands_in_any_order_are_sorted(tmp_path):
    # ASCII AIGER does not require definition before use: shuffle the AND lines.
    net = sample(3)
    write_aiger(net, tmp_path / "m.aag")
    lines = (tmp_path / "m.aag").read_text().splitlines(keepends=True)
    m, i, l, o, a = map(int, lines[0].split()[1:6])
    body = 1 + i + l + o
    ands = lines[body:body + a]
    np.random.default_rng(0).shuffle(ands)
    assert ands != lines[body:body + a]
    (tmp_path / "s.aag").write_text("".join(lines[:body] + ands + lines[body + a:]))
    back = read_aiger(tmp_path / "s.aag", optimize=False)
    x = all_inputs(net.num_inputs)
    assert np.array_equal(class_counts(back, x), class_counts(net, x))
