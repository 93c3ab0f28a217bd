"""torchlogix circuit JSON loader: op table, dense/conv raw/simplified circuits, errors."""

import json

import numpy as np
import pytest

from lgnhw import FormatError, load_model
from lgnhw.formats import detect_format
from lgnhw.formats.torchlogix import OPS, read_torchlogix
from lgnhw.golden import predict
from lgnhw.ops import evaluate
from lgnhw.passes import optimize

from torchlogix_fixtures import (GATE_FUNCS, REAL_TORCHLOGIX, Emitter, random_conv_params,
                                 reference_eval, simplify)


def write(tmp_path, d, name="circuit.json"):
    path = tmp_path / name
    path.write_text(json.dumps(d))
    return path


def bits_for(n_inputs, rng, n=256):
    if n_inputs <= 10:
        return ((np.arange(2 ** n_inputs)[:, None] >> np.arange(n_inputs)) & 1).astype(np.uint8)
    return rng.integers(0, 2, (n, n_inputs)).astype(np.uint8)


def assert_matches_reference(d, path, **options):
    net = load_model(path, **options)
    bits = bits_for(d["n_inputs"], np.random.default_rng(7))
    pre, scores = reference_eval(d, bits)
    if "sum_nodes" not in d:          # bit outputs: the GroupSum is applied on top
        pre = pre.reshape(len(bits), net.num_classes, -1).sum(axis=2)
        scores = pre / net.tau
    counts, pred = predict(net, bits)
    assert counts.shape == pre.shape
    assert np.array_equal(counts, pre)
    np.testing.assert_allclose(counts / net.tau, scores, rtol=1e-12)
    assert np.array_equal(pred, np.argmax(scores, axis=1))
    return net, bits, counts


# -- the op table -----------------------------------------------------------------

def test_op_table_covers_all_gateop_names_with_their_truth_tables():
    assert set(OPS) == set(GATE_FUNCS)
    for name, (op, uses) in OPS.items():
        f = GATE_FUNCS[name]
        for a in (0, 1):
            for b in (0, 1):
                # Single-input ops read one slot; the loader feeds that slot to both.
                x = {0: 0, 1: a, 2: b, 3: a}[uses]
                y = {0: 0, 1: a, 2: b, 3: b}[uses]
                assert evaluate(op, x, y) == int(f(bool(a), bool(b))), (name, a, b)


@pytest.mark.parametrize("name", sorted(GATE_FUNCS))
def test_each_gate_name_loads_and_evaluates_like_torchlogix(tmp_path, name):
    d = {"n_inputs": 2, "input_shape": [2], "outputs": [2], "output_shape": [1],
         "gates": [{"gate_id": 2, "op": name, "in0": 0, "in1": 1, "node_idx": -1}]}
    assert_matches_reference(d, write(tmp_path, d), num_classes=1)


def test_unread_slots_are_ignored(tmp_path):
    d = {"n_inputs": 2, "outputs": [2, 3, 4], "gates": [
        {"gate_id": 2, "op": "WIRE", "in0": 1, "in1": 999},
        {"gate_id": 3, "op": "NOT_B", "in0": 12345, "in1": 0},
        {"gate_id": 4, "op": "CONST_TRUE", "in0": 77, "in1": -5}]}
    net, bits, counts = assert_matches_reference(d, write(tmp_path, d), num_classes=3)
    assert np.array_equal(counts[:, 0], bits[:, 1])
    assert np.array_equal(counts[:, 1], 1 - bits[:, 0])
    assert np.all(counts[:, 2] == 1)


def test_minus_one_input_reads_constant_zero(tmp_path):
    d = {"n_inputs": 1, "outputs": [1, 2], "gates": [
        {"gate_id": 1, "op": "OR", "in0": 0, "in1": -1},
        {"gate_id": 2, "op": "NAND", "in0": -1, "in1": 0}]}
    net, bits, counts = assert_matches_reference(d, write(tmp_path, d), num_classes=2)
    assert np.array_equal(counts[:, 0], bits[:, 0]) and np.all(counts[:, 1] == 1)


# -- circuits and outputs from torchlogix itself -------------------------------------

@pytest.mark.parametrize("name", sorted(REAL_TORCHLOGIX))
def test_circuits_written_by_torchlogix_give_its_outputs(tmp_path, name):
    real = REAL_TORCHLOGIX[name]
    d = real["circuit"]
    net = load_model(write(tmp_path, d))
    if "inputs" in real:
        bits = np.array(real["inputs"], dtype=np.uint8)
    else:
        bits = bits_for(d["n_inputs"], None)
    expected = np.array(real["outputs"])                 # torchlogix: (popcount + beta) / tau
    counts, pred = predict(net, bits)
    np.testing.assert_allclose(counts / net.tau, expected, rtol=1e-6)
    assert np.array_equal(pred, np.argmax(expected, axis=1))
    assert np.array_equal(counts, reference_eval(d, bits)[0])
    # simplify() left sum nodes of different sizes with constants folded into beta
    assert len({len(s["input_ids"]) for s in d["sum_nodes"]}) > 1
    assert net.bias.tolist() == [int(s["beta"]) for s in d["sum_nodes"]]


# -- realistic circuits ---------------------------------------------------------------

def dense_circuit(seed, n_inputs=9, widths=(24, 20), classes=4, tau=3.0, beta=2.0):
    rng = np.random.default_rng(seed)
    em = Emitter([n_inputs])
    x = em.inputs()
    for w in widths:
        x = em.dense(x, rng.integers(0, x.size, (2, w)), rng.integers(0, 16, w))
    em.group_sum(x, classes, tau=tau, beta=beta)
    return em.to_dict()


def conv_circuit(seed, shape=(2, 6, 6), k=(3, 4), depth=(2, 3), classes=3, tau=2.0, beta=0.0):
    rng = np.random.default_rng(seed)
    em = Emitter(list(shape))
    x = em.inputs()
    coords, tree = random_conv_params(rng, shape[0], k[0], depth[0], 3)
    x = em.conv(x, coords, tree, rfs=3, stride=1, padding=1)          # (k0, 6, 6)
    x = em.or_pool(x, 2, 2, padding=0)                                # (k0, 3, 3)
    coords, tree = random_conv_params(rng, k[0], k[1], depth[1], 2)
    x = em.conv(x, coords, tree, rfs=2, stride=1, padding=0)          # (k1, 2, 2)
    x = em.or_pool(x, 2, 2, padding=1)                                # (k1, 2, 2)
    x = x.reshape(-1)
    x = em.dense(x, rng.integers(0, x.size, (2, 30)), rng.integers(0, 16, 30))
    em.group_sum(x, classes, tau=tau, beta=beta)
    return em.to_dict()


@pytest.mark.parametrize("simplified", [False, True], ids=["raw", "simplified"])
@pytest.mark.parametrize("seed", [0, 1])
def test_dense_circuit_matches_reference(tmp_path, seed, simplified):
    d = dense_circuit(seed)
    if simplified:
        d = simplify(d)
        assert {g["op"] for g in d["gates"]} & {"NAND", "NOR", "XNOR", "AND_NOT_A", "AND_NOT_B",
                                                  "OR_NOT_A", "OR_NOT_B"}
    path = write(tmp_path, d)
    assert detect_format(path) == "torchlogix"
    net, *_ = assert_matches_reference(d, path)
    assert net.tau == 3.0 and net.num_classes == 4


@pytest.mark.parametrize("simplified", [False, True], ids=["raw", "simplified"])
def test_conv_circuit_matches_reference(tmp_path, simplified):
    d = conv_circuit(3)
    if simplified:
        d = simplify(d)
    net, bits, counts = assert_matches_reference(d, write(tmp_path, d))
    assert net.num_inputs == 72 and net.meta["input_shape"] == "2x6x6"
    opt, _ = optimize(net)
    assert np.array_equal(predict(opt, bits)[0], counts)


def test_simplified_circuit_with_constant_folded_sums_is_padded_exactly(tmp_path):
    # Constant LUTs (ids 0 and 15) feeding the GroupSum fold into beta and
    # leave the sum nodes with different numbers of inputs.
    em = Emitter([6])
    x = em.inputs()
    luts = np.array([15, 15, 0, 1, 6, 7, 15, 0, 3, 9, 14, 15])
    x = em.dense(x, np.random.default_rng(5).integers(0, 6, (2, 12)), luts)
    em.group_sum(x, 3, beta=1.0)
    d = simplify(em.to_dict())
    sizes = [len(s["input_ids"]) for s in d["sum_nodes"]]
    assert len(set(sizes)) > 1
    assert [s["beta"] for s in d["sum_nodes"]] == [3.0, 2.0, 2.0]
    net, *_ = assert_matches_reference(d, write(tmp_path, d))
    assert net.bias.tolist() == [3, 2, 2]


def test_fully_constant_sum_node(tmp_path):
    d = {"n_inputs": 1, "outputs": [2, 3], "gates": [{"gate_id": 1, "op": "WIRE", "in0": 0, "in1": -1}],
         "sum_nodes": [{"node_id": 2, "input_ids": [], "tau": 1.0, "beta": 5.0},
                       {"node_id": 3, "input_ids": [1, 1], "tau": 1.0, "beta": 4.0}]}
    net, bits, counts = assert_matches_reference(d, write(tmp_path, d))
    assert counts.tolist() == [[5, 4], [5, 6]]


def test_gates_out_of_order_with_sparse_ids_are_sorted(tmp_path):
    d = conv_circuit(4)
    rng = np.random.default_rng(9)
    old = [g["gate_id"] for g in d["gates"]]
    new = {o: int(v) for o, v in zip(old, rng.choice(10 ** 9, len(old), replace=False) + d["n_inputs"])}
    ren = lambda i: new.get(i, i)
    d["gates"] = [dict(g, gate_id=ren(g["gate_id"]), in0=ren(g["in0"]), in1=ren(g["in1"]))
                  for g in d["gates"]]
    d["gates"] = [d["gates"][i] for i in rng.permutation(len(d["gates"]))]
    for s in d["sum_nodes"]:
        s["input_ids"] = [ren(i) for i in s["input_ids"]]
    net, *_ = assert_matches_reference(d, write(tmp_path, d))
    assert net.check() is net


def test_bit_outputs_need_num_classes(tmp_path):
    em = Emitter([5])
    x = em.dense(em.inputs(), np.random.default_rng(2).integers(0, 5, (2, 8)),
                 np.random.default_rng(3).integers(0, 16, 8))
    d = em.to_dict(bit_outputs=x)
    path = write(tmp_path, d)
    with pytest.raises(FormatError, match="no sum nodes.*pass num_classes"):
        load_model(path)
    net, *_ = assert_matches_reference(d, path, num_classes=2)
    assert net.num_classes == 2 and net.tau == 1.0
    assert read_torchlogix(path, num_classes=4, tau=8.0).tau == 8.0


def test_detection_finds_gates_key_beyond_the_first_block(tmp_path):
    d = {"n_inputs": 3000, "input_shape": [3000], "outputs": list(range(3000)),
         "output_shape": [3000], "gates": []}
    path = write(tmp_path, d)
    assert path.stat().st_size > 8192
    assert detect_format(path) == "torchlogix"
    net = load_model(path, num_classes=3000)
    assert net.num_gates == 0 and net.outputs[5] == 7


def test_other_json_is_refused_by_detection(tmp_path):
    path = write(tmp_path, {"model": "x", "layers": []})
    with pytest.raises(FormatError, match="not a torchlogix circuit"):
        load_model(path)


# -- malformed files ---------------------------------------------------------------------

def small():
    return {"n_inputs": 2, "input_shape": [2], "outputs": [5, 6], "output_shape": [2],
            "gates": [{"gate_id": 2, "op": "AND", "in0": 0, "in1": 1, "node_idx": -1},
                      {"gate_id": 3, "op": "XOR", "in0": 0, "in1": 2, "node_idx": -1},
                      {"gate_id": 4, "op": "OR", "in0": 1, "in1": 3, "node_idx": -1}],
            "sum_nodes": [{"node_id": 5, "input_ids": [2, 3], "tau": 2.0, "beta": 0.0},
                          {"node_id": 6, "input_ids": [4, 0], "tau": 2.0, "beta": 1.0}]}


def mutate(fn):
    d = small()
    fn(d)
    return d


MALFORMED = {
    "no n_inputs": (lambda d: d.pop("n_inputs"), "not a torchlogix circuit .top level: object missing required field `n_inputs`"),
    "no gates": (lambda d: d.pop("gates"), "no 'gates'"),
    "no outputs": (lambda d: d.pop("outputs"), "missing required field `outputs`"),
    "gate without op": (lambda d: d["gates"][1].pop("op"), r"gates\[1\]: object missing required field `op`"),
    "gate not object": (lambda d: d["gates"].__setitem__(0, [1, 2]), r"gates\[0\]: expected `object`, got `array`"),
    "unknown op": (lambda d: d["gates"][2].update(op="MUX"), r"gates\[2\].op: unknown op .MUX. \(known: AND, "),
    "float id": (lambda d: d["gates"][2].update(in0=1.5), r"gates\[2\].in0: expected `int`, got `float`"),
    "dangling gate input": (lambda d: d["gates"][1].update(in1=42),
                            "gate id 3 in1 refers to id 42, which is neither"),
    "dangling sum input": (lambda d: d["sum_nodes"][0]["input_ids"].append(99), "sum node 5 reads id 99"),
    "dangling output": (lambda d: d.update(outputs=[5, 77]), "mix sum nodes"),
    "dangling bit output": (lambda d: (d.pop("sum_nodes"), d.update(outputs=[4, 77])),
                            r"outputs\[1\] is id 77"),
    "cycle": (lambda d: d["gates"][0].update(in1=4), "gates form a cycle"),
    "self loop": (lambda d: d["gates"][0].update(in1=2), r"cycle \(gate id 2 depends on itself\)"),
    "duplicate gate id": (lambda d: d["gates"][2].update(gate_id=3), "gate id 3 is used by more than one gate"),
    "gate id shadows input": (lambda d: d["gates"][0].update(gate_id=1), "gate id 1 is below n_inputs=2"),
    "sum id clashes": (lambda d: d["sum_nodes"][0].update(node_id=4), "sum node id 4 is also a gate id"),
    "fractional beta": (lambda d: d["sum_nodes"][1].update(beta=0.5), "beta 0.5, not an integer"),
    "different tau": (lambda d: d["sum_nodes"][1].update(tau=3.0), "different tau values"),
    "negative tau": (lambda d: [s.update(tau=-1.0) for s in d["sum_nodes"]], "must be positive"),
    "shape mismatch": (lambda d: d.update(input_shape=[3]), "input_shape \\[3\\] holds 3 bits"),
    "empty outputs": (lambda d: d.update(outputs=[]), "outputs: expected `array` of length >= 1"),
    "sum without input_ids": (lambda d: d["sum_nodes"][0].pop("input_ids"), r"sum_nodes\[0\]: object missing required field `input_ids`"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_circuit_is_a_one_line_format_error(tmp_path, case):
    fn, message = MALFORMED[case]
    path = write(tmp_path, mutate(fn))
    with pytest.raises(FormatError, match=message) as info:
        load_model(path)
    text = str(info.value)
    assert text.startswith(str(path) + ": ") and "\n" not in text


def test_the_unmodified_small_circuit_loads(tmp_path):
    d = small()
    net, bits, counts = assert_matches_reference(d, write(tmp_path, d))
    assert net.bias.tolist() == [0, 1] and net.tau == 2.0


@pytest.mark.parametrize("text, message", [
    ('{"n_inputs": 2, "gates": [', "not valid JSON"),
    ('[{"gates": 1, "n_inputs": 2}]', "not a torchlogix circuit .top level: expected `object`, got `array`"),
])
def test_broken_json(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(FormatError, match=message):
        read_torchlogix(path)


def test_wiring_option_is_refused_for_torchlogix(tmp_path):
    path = write(tmp_path, small())
    with pytest.raises(FormatError, match="wiring file only applies"):
        load_model(path, wiring="w.json")
    assert load_model(path, wiring=None).num_classes == 2


# -- decoding the gates in chunks ---------------------------------------------------

def _same_netlist(x, y):
    return all(np.array_equal(getattr(x, f), getattr(y, f)) for f in ("op", "a", "b", "outputs", "bias"))


def _whole_file(path, monkeypatch):
    """The netlist as decoded in one piece (the chunked decoder switched off)."""
    import lgnhw.formats.torchlogix as tl
    with monkeypatch.context() as m:
        m.setattr(tl, "_in_chunks", lambda raw: None)
        return read_torchlogix(path)


@pytest.mark.parametrize("chunk", [1, 300, 1 << 20])
def test_gates_decoded_in_chunks_equal_the_whole_file_decode(tmp_path, monkeypatch, chunk):
    import lgnhw.formats.torchlogix as tl
    path = write(tmp_path, dense_circuit(3, widths=(40, 30, 20)))
    before = path.read_bytes()
    monkeypatch.setattr(tl, "_CHUNK", chunk)
    calls = []
    real = tl._in_chunks
    monkeypatch.setattr(tl, "_in_chunks", lambda raw: calls.append(1) or real(raw))
    net = read_torchlogix(path)
    assert calls and _same_netlist(net, _whole_file(path, monkeypatch))
    assert path.read_bytes() == before              # the brackets went into a private copy


@pytest.mark.parametrize("case", ["indented", "separator in a string", "nested gates key", "compact"])
def test_files_the_chunked_decoder_cannot_cut_still_load(tmp_path, monkeypatch, case):
    import lgnhw.formats.torchlogix as tl
    d = dense_circuit(4)
    if case == "separator in a string":
        d["gates"][3]["note"] = 'a "}, {" and a "}]" inside'
    if case == "nested gates key":
        d = {"meta": {"gates": [{"gate_id": 0}]}, **d}
    text = (json.dumps(d, indent=1) if case == "indented" else
            json.dumps(d, separators=(",", ":")) if case == "compact" else json.dumps(d))
    path = tmp_path / "circuit.json"
    path.write_text(text)
    monkeypatch.setattr(tl, "_CHUNK", 50)
    net = read_torchlogix(path)
    assert _same_netlist(net, _whole_file(path, monkeypatch))
    assert_matches_reference(d, path)


def test_a_bad_gate_in_a_later_chunk_is_reported_at_its_place(tmp_path, monkeypatch):
    import lgnhw.formats.torchlogix as tl
    d = dense_circuit(5)
    d["gates"][30]["op"] = "MUX"
    path = write(tmp_path, d)
    monkeypatch.setattr(tl, "_CHUNK", 100)
    with pytest.raises(FormatError, match=r"gates\[30\]\.op: unknown op 'MUX'"):
        read_torchlogix(path)
