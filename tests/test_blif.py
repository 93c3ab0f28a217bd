"""BLIF write/read: covers, round trips through our reader and through yosys/ABC."""

import itertools
import subprocess

import numpy as np
import pytest

from lgnhw import FormatError, load_model
from lgnhw import tools
from lgnhw.formats import detect_format
from lgnhw.formats.blif import COVERS, read_blif, write_blif
from lgnhw.golden import class_counts
from lgnhw.randnet import random_dag


def all_inputs(n):
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8)


def cover_value(rows, bits):
    """Independent reading of an on-set cover with don't-cares."""
    if not rows:
        return 0
    for row in rows:
        cube = row.split()[0] if " " in row else ""
        if all(c == "-" or int(c) == v for c, v in zip(cube, bits)):
            return 1
    return 0


@pytest.mark.parametrize("op", range(16))
def test_cover_table_is_the_op(op):
    k, rows = COVERS[op]
    for a, b in itertools.product((0, 1), repeat=2):
        bits = {0: (), 1: (b,) if op in (5, 10) else (a,), 2: (a, b)}[k]
        assert cover_value(rows, bits) == (op >> (3 - (2 * a + b))) & 1


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("optimize", [False, True])
def test_roundtrip_preserves_function_and_head(tmp_path, seed, optimize):
    net = random_dag(6, 60, 12, 3, seed=seed, const_prob=0.1, bias_max=3).replace(tau=4.0)
    path = tmp_path / "m.blif"
    write_blif(net, path)
    assert detect_format(path) == "blif"
    back = read_blif(path, optimize=optimize)
    x = all_inputs(6)
    assert np.array_equal(class_counts(back, x), class_counts(net, x))
    assert (back.num_classes, back.tau) == (3, 4.0)
    assert np.array_equal(class_counts(load_model(path), x), class_counts(net, x))


def test_deterministic(tmp_path):
    net = random_dag(5, 40, 8, 2, seed=3)
    write_blif(net, tmp_path / "a.blif")
    write_blif(net, tmp_path / "b.blif")
    assert (tmp_path / "a.blif").read_text() == (tmp_path / "b.blif").read_text()


FOREIGN = """\
# written by some other tool
.model foreign
.inputs p q \\
 r
.outputs y z w
.names $false
.names p q t1
0- 1
-0 1
.names t1 r y
00 0
.names p q r z
1-1 1
-11 1
11- 1
.names $false w
1 1
.end
"""


def test_foreign_covers_offset_dont_cares_and_wide(tmp_path):
    path = tmp_path / "f.blif"
    path.write_text(FOREIGN)
    net = read_blif(path, optimize=False)
    assert (net.num_inputs, net.num_outputs, net.num_classes) == (3, 3, 1)
    x = all_inputs(3)
    p, q, r = (x[:, i].astype(int) for i in range(3))
    t1 = 1 - (p & q)
    y = t1 | r                       # off-set "00 0"
    z = (p + q + r >= 2).astype(int)  # 3-input majority, decomposed
    assert np.array_equal(class_counts(net, x)[:, 0], y + z)
    assert read_blif(path, num_classes=3).num_classes == 3


@pytest.mark.parametrize("text, message", [
    (".model m\n.inputs a\n.outputs y\n.latch a y 0\n.end\n", "latches"),
    (".model m\n.inputs a\n.outputs y\n.subckt foo A=a Y=y\n.end\n", "subckt"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n2 1\n.end\n", "characters other than"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n11 1\n.end\n", "does not match 1 inputs"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n0 0\n.end\n", "mixes on-set and off-set"),
    (".model m\n.inputs a\n.outputs y\n.names b y\n1 1\n.end\n", "net b is used but never defined"),
    (".model m\n.inputs a\n.outputs y\n.names a y\n1 1\n.names a y\n0 1\n.end\n", "net y is defined more than once"),
    (".model m\n.inputs a\n.outputs y\n.names y t\n1 1\n.names t y\n1 1\n.end\n", "combinational cycle"),
    (".model m\n.inputs a\n.outputs y\n11 1\n.end\n", "outside any .names"),
    (".model m\n.inputs a\n.end\n", "no .outputs"),
    (".model m\n.inputs a\n.outputs y\n.frobnicate\n.end\n", "unsupported directive .frobnicate"),
])
def test_malformed_files_name_the_file(tmp_path, text, message):
    path = tmp_path / "bad.blif"
    path.write_text(text)
    with pytest.raises(FormatError, match=message) as err:
        read_blif(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


needs_yosys = pytest.mark.skipif(not tools.available("yosys"), reason="yosys not installed")


@needs_yosys
@pytest.mark.parametrize("script", [
    "read_blif in.blif; write_blif out.blif",
    "read_blif in.blif; techmap; abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT; opt_clean; write_blif out.blif",
    "read_blif in.blif; techmap; abc -lut 3; opt_clean; write_blif out.blif",
    "read_blif in.blif; techmap; abc -g AND; opt_clean; write_blif -conn out.blif",
    "read_blif in.blif; techmap; opt; aigmap; write_aiger -symbols out.aig",
])
def test_yosys_consumes_our_blif_and_we_read_its_output(tmp_path, script):
    from lgnhw.formats.aiger import read_aiger
    net = random_dag(8, 150, 16, 4, seed=5, const_prob=0.05)
    write_blif(net, tmp_path / "in.blif")
    subprocess.run([tools.find("yosys"), "-q", "-p", script], cwd=tmp_path, check=True, capture_output=True)
    out = script.split()[-1]
    back = (read_aiger if out.endswith(".aig") else read_blif)(tmp_path / out)
    x = all_inputs(8)
    assert back.num_classes == 4  # from the c<class>_<k> output names
    assert np.array_equal(class_counts(back, x), class_counts(net, x) - net.bias)
