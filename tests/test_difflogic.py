"""difflogic loader: torch.save checkpoints (zip, legacy, GPU-tagged) -> Netlist, safely."""

import _compat_pickle
import io
import os
import pickle
import pickletools
import subprocess
import sys
import textwrap
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import difflogic_fixtures as fx  # noqa: E402
from lgnhw import FormatError, ops  # noqa: E402
from lgnhw.formats import load_model  # noqa: E402
from lgnhw.formats.difflogic import from_module, read_checkpoint, read_wiring, write_wiring  # noqa: E402
from lgnhw.golden import predict  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def fake_difflogic(monkeypatch):
    for name, mod in fx.fake_difflogic_modules().items():
        monkeypatch.setitem(sys.modules, name, mod)


def assert_same_netlist(x, y):
    assert (x.num_inputs, x.num_classes, x.tau, x.meta) == (y.num_inputs, y.num_classes, y.tau, y.meta)
    for name in ("op", "a", "b", "outputs", "bias"):
        np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)
    assert x.thresholds is None and y.thresholds is None


def _main_pickle_ops(raw, legacy):
    f = io.BytesIO(raw)
    if legacy:                          # skip magic number, protocol version, sys info
        for _ in range(3):
            for _ in pickletools.genops(f):
                pass
    return list(pickletools.genops(f))


def global_names(raw, legacy=False):
    """Globals the (main) pickle names, read with pickletools (no execution)."""
    names, strings = [], []
    for op, arg, _ in _main_pickle_ops(raw, legacy):
        if op.name == "GLOBAL":
            module, name = arg.split(" ")
            if (module, name) in _compat_pickle.NAME_MAPPING:      # protocol 2 uses Python 2 names
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            names.append(f"{_compat_pickle.IMPORT_MAPPING.get(module, module)}.{name}")
        elif op.name == "STACK_GLOBAL":
            names.append(".".join(strings[-2:]))
        elif isinstance(arg, str):
            strings.append(arg)
    return names


def main_pickle_strings(raw, legacy=False):
    return {arg for _, arg, _ in _main_pickle_ops(raw, legacy) if isinstance(arg, str)}


def data_pkl(path):
    with zipfile.ZipFile(path) as zf:
        return zf.read(next(n for n in zf.namelist() if n.endswith("data.pkl")))


# -- op numbering ------------------------------------------------------------------


def test_difflogic_bin_op_numbering_equals_lgnhw_ops():
    for i in range(16):
        for a in (0.0, 1.0):
            for b in (0.0, 1.0):
                got = fx.bin_op(torch.tensor(a), torch.tensor(b), i)
                assert float(got) == ops.evaluate(i, int(a), int(b)), (i, a, b)


# -- live models and checkpoints ----------------------------------------------------

FORMATS = [pytest.param(dict(legacy=False), id="zip"), pytest.param(dict(legacy=True), id="legacy")]


def test_from_module_matches_difflogic_forward():
    model = fx.make_model()
    net = from_module(model)
    assert net.num_inputs == 24 and net.num_gates == 48 + 40 + 30
    assert net.num_classes == 10 and net.tau == 3.0 and net.meta == {"source": "difflogic"}
    assert set(np.unique(net.op[:16])) == set(range(16))       # every op exercised
    x, bits = fx.random_inputs(model, 500)
    counts, pred = predict(net, bits)
    ref_counts, ref_pred = fx.reference_forward(model, x)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(pred, ref_pred)


def test_argmax_ties_pick_first_op():
    net = from_module(fx.make_model())
    assert net.op[16] == 0 and net.op[19] == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_checkpoint_equals_live_model_and_forward(tmp_path, fmt):
    model = fx.make_model(seed=3)
    path = fx.save(model, tmp_path / "model.pt", **fmt)
    net = read_checkpoint(path)
    assert_same_netlist(net, from_module(model))
    assert_same_netlist(load_model(path), net)
    x, bits = fx.random_inputs(model, 400, seed=7)
    counts, pred = predict(net, bits)
    ref_counts, ref_pred = fx.reference_forward(model, x)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(pred, ref_pred)


@pytest.mark.parametrize("fmt", FORMATS)
def test_gpu_checkpoint_loads_like_cpu(tmp_path, fmt):
    model = fx.make_model(seed=5, implementation="cuda")
    layer = model[1]
    model[2].device = torch.device("cuda", 0)          # a torch.device object, as some users pass
    assert layer.implementation == "cuda" and layer.given_x_indices_of_y.numel() == 2 * layer.out_dim
    cpu = fx.save(model, tmp_path / "cpu.pt", **fmt)
    gpu = fx.save(model, tmp_path / "gpu.pt", cuda=True, **fmt)
    if fmt["legacy"]:
        assert "cuda:0" in main_pickle_strings(gpu.read_bytes(), legacy=True)
        assert "cpu" not in main_pickle_strings(gpu.read_bytes(), legacy=True)
    else:
        assert "cuda:0" in main_pickle_strings(data_pkl(gpu)) and "cpu" not in main_pickle_strings(data_pkl(gpu))
    # The emulated file is a genuine checkpoint: torch itself loads it onto the CPU.
    again = torch.load(gpu, map_location="cpu", weights_only=False)
    assert torch.equal(again[1].weights, layer.weights)
    assert_same_netlist(read_checkpoint(gpu), read_checkpoint(cpu))
    assert_same_netlist(read_checkpoint(gpu), from_module(model))


def test_non_contiguous_and_bfloat16_weights(tmp_path):
    model = fx.make_model(seed=11, ties=False)
    with torch.no_grad():
        w = model[2].weights
        model[2].weights = torch.nn.Parameter(w.detach().t().contiguous().t())   # stride (1, out)
        assert model[2].weights.stride() == (1, w.shape[0])
        model[3].weights = torch.nn.Parameter(model[3].weights.detach().to(torch.bfloat16))
    path = fx.save(model, tmp_path / "m.pt")
    net = read_checkpoint(path)
    assert_same_netlist(net, from_module(model))
    x, bits = fx.random_inputs(model, 200)
    np.testing.assert_array_equal(predict(net, bits)[0], fx.reference_forward(model, x)[0])


def test_pickle_protocol_4_and_nested_sequential(tmp_path):
    model = fx.make_model(seed=6)
    nested = torch.nn.Sequential(model[0], torch.nn.Sequential(model[1], model[2]), model[3], model[4])
    path = tmp_path / "p4.pt"
    torch.save(nested, path, pickle_protocol=4)
    assert "STACK_GLOBAL" in {op.name for op, _, _ in _main_pickle_ops(data_pkl(path), False)}
    assert_same_netlist(read_checkpoint(path), from_module(model))


def test_self_containing_sequential_is_refused():
    from lgnhw.formats.torch_pickle import MODULE_CLASSES
    seq = MODULE_CLASSES[0]()
    seq.__setstate__({"_modules": {"0": seq}})
    with pytest.raises(FormatError, match="nested deeper than"):
        from_module(seq)


def test_nested_checkpoint_dict_with_model(tmp_path):
    model = fx.make_model(seed=2)
    path = fx.save({"model": model, "epoch": 3}, tmp_path / "ckpt.pt")
    assert_same_netlist(read_checkpoint(path), from_module(model))


def test_loads_without_torch_or_difflogic(tmp_path):
    model = fx.make_model(seed=4)
    paths = [fx.save(model, tmp_path / "z.pt"), fx.save(model, tmp_path / "l.pt", legacy=True),
             fx.save(model, tmp_path / "g.pt", cuda=True)]
    expected = from_module(model)
    script = textwrap.dedent("""
        import sys
        sys.modules["torch"] = None
        sys.modules["difflogic"] = None
        from lgnhw.formats import load_model
        for p in sys.argv[1:]:
            net = load_model(p)
            print(net.num_inputs, net.num_classes, net.tau, net.op.tobytes().hex(),
                  net.a.tobytes().hex(), net.b.tobytes().hex())
        try:
            import torch
        except ImportError:
            print("torch blocked")
        assert not any(m == "torch" or m.startswith("torch.") for m in sys.modules if sys.modules[m])
    """)
    env = dict(os.environ, PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, "-c", script, *map(str, paths)], capture_output=True,
                         text=True, env=env, cwd=tmp_path, check=True).stdout.splitlines()
    want = (f"{expected.num_inputs} {expected.num_classes} {expected.tau} {expected.op.tobytes().hex()} "
            f"{expected.a.tobytes().hex()} {expected.b.tobytes().hex()}")
    assert out == [want, want, want, "torch blocked"]


# -- state_dict and wiring files ------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_state_dict_without_wiring_explains(tmp_path, fmt):
    model = fx.make_model()
    path = fx.save(model.state_dict(), tmp_path / "sd.pt", **fmt)
    with pytest.raises(FormatError) as err:
        read_checkpoint(path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and "\n" not in msg
    assert "state_dict" in msg and "indices" in msg and "torch.save(model)" in msg and "--wiring" in msg


@pytest.mark.parametrize("fmt", FORMATS)
def test_state_dict_plus_wiring(tmp_path, fmt):
    model = fx.make_model(seed=9)
    sd = fx.save(model.state_dict(), tmp_path / "sd.pt", **fmt)
    wiring = tmp_path / "wiring.npz"
    write_wiring(model, wiring)
    net = load_model(sd, wiring=wiring)
    assert_same_netlist(net, from_module(model))
    x, bits = fx.random_inputs(model, 300)
    np.testing.assert_array_equal(predict(net, bits)[1], fx.reference_forward(model, x)[1])


def test_wiring_file_contents_and_determinism(tmp_path):
    model = fx.make_model(seed=9)
    write_wiring(model, tmp_path / "w1.npz")
    write_wiring(model, tmp_path / "w2.npz")
    assert (tmp_path / "w1.npz").read_bytes() == (tmp_path / "w2.npz").read_bytes()
    with np.load(tmp_path / "w1.npz", allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(["a_0", "b_0", "a_1", "b_1", "a_2", "b_2",
                                            "num_classes", "tau", "num_inputs"])
        np.testing.assert_array_equal(npz["a_1"], model[2].indices[0].numpy())
        np.testing.assert_array_equal(npz["b_2"], model[3].indices[1].numpy())
        assert int(npz["num_classes"]) == 10 and float(npz["tau"]) == 3.0 and int(npz["num_inputs"]) == 24
    w = read_wiring(tmp_path / "w1.npz")
    assert len(w["indices"]) == 3 and w["num_classes"] == 10


def test_minimal_wiring_file_infers_inputs_and_tau(tmp_path):
    model = fx.make_model(seed=9)
    sd = fx.save(model.state_dict(), tmp_path / "sd.pt")
    arrays = {f"{c}_{i}": model[i + 1].indices[j].numpy() for i in range(3) for j, c in enumerate("ab")}
    np.savez(tmp_path / "w.npz", num_classes=np.int64(10), **arrays)
    net = read_checkpoint(sd, wiring=tmp_path / "w.npz")
    want = from_module(model)
    assert net.tau == 1.0 and net.num_inputs == int(max(arrays["a_0"].max(), arrays["b_0"].max())) + 1
    np.testing.assert_array_equal(net.op, want.op)
    np.testing.assert_array_equal(net.a, want.a - want.num_inputs + net.num_inputs)


def test_full_model_with_wiring_must_match(tmp_path):
    model = fx.make_model(seed=1)
    path = fx.save(model, tmp_path / "m.pt")
    write_wiring(model, tmp_path / "good.npz")
    assert_same_netlist(read_checkpoint(path, wiring=tmp_path / "good.npz"), from_module(model))
    write_wiring(fx.make_model(seed=2), tmp_path / "other.npz")
    with pytest.raises(FormatError, match="other.npz: does not match the wiring"):
        read_checkpoint(path, wiring=tmp_path / "other.npz")


@pytest.mark.parametrize("wiring_arrays, problem", [
    (dict(a_0=np.zeros(4, np.int64)), "num_classes"),
    (dict(num_classes=np.int64(2)), "no layers"),
    (dict(num_classes=np.int64(2), a_0=np.zeros(4, np.int64)), "only one of a_0 and b_0"),
    (dict(num_classes=np.int64(2), a_0=np.zeros(4), b_0=np.zeros(4), x=np.zeros(1)), "unexpected array 'x'"),
])
def test_bad_wiring_files(tmp_path, wiring_arrays, problem):
    np.savez(tmp_path / "w.npz", **wiring_arrays)
    with pytest.raises(FormatError, match=problem) as err:
        read_wiring(tmp_path / "w.npz")
    assert str(err.value).startswith(str(tmp_path / "w.npz"))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(FormatError, match="junk.npz: not a wiring file"):
        read_wiring(tmp_path / "junk.npz")


def test_state_dict_layer_count_mismatch(tmp_path):
    model = fx.make_model(seed=9)
    sd = fx.save(model.state_dict(), tmp_path / "sd.pt")
    write_wiring(fx.make_model(widths=(48, 40)), tmp_path / "w.npz")
    with pytest.raises(FormatError, match="3 LogicLayers but the wiring file"):
        read_checkpoint(sd, wiring=tmp_path / "w.npz")


# -- hostile pickles ------------------------------------------------------------------


class _Payload:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _hostile_payloads(marker):
    return {
        "os.system": _Payload(os.system, f"touch {marker}"),
        "builtins.exec": _Payload(exec, f"open({str(marker)!r}, 'w').write('pwned')"),
        "subprocess.call": _Payload(subprocess.call, ["touch", str(marker)]),
        "builtins.eval": _Payload(eval, f"open({str(marker)!r}, 'w')"),
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("which", ["os.system", "builtins.exec", "subprocess.call", "builtins.eval"])
def test_hostile_pickle_refused_and_not_executed(tmp_path, legacy, which):
    marker = tmp_path / "pwned"
    model = fx.make_model()
    model[1].connections = _hostile_payloads(marker)[which]     # hidden inside a real model
    path = fx.save(model, tmp_path / "evil.pt", legacy=legacy)
    raw = path.read_bytes() if legacy else data_pkl(path)
    expected_global = {"os.system": f"{os.system.__module__}.system"}.get(which, which)
    assert expected_global in global_names(raw, legacy)      # the payload really is in the file
    with pytest.raises(FormatError) as err:
        read_checkpoint(path)
    assert str(err.value) == f"{path}: refusing to load: pickle references forbidden global '{expected_global}'"
    with pytest.raises(FormatError):
        load_model(path)
    assert not marker.exists()
    # Control: an unrestricted loader really runs the payload (so the test above means something).
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_hostile_raw_pickle_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(_Payload(os.system, f"touch {marker}"), protocol=2))
    with pytest.raises(FormatError, match="forbidden global"):
        read_checkpoint(path)
    assert not marker.exists()


def test_unsupported_layer_refused(tmp_path):
    model = torch.nn.Sequential(*fx.make_model()[:-1], torch.nn.ReLU(), fx.GroupSum(10))
    path = fx.save(model, tmp_path / "relu.pt")
    with pytest.raises(FormatError, match="forbidden global 'torch.nn.modules.activation.ReLU'"):
        read_checkpoint(path)
    with pytest.raises(FormatError, match="layer '4' \\(ReLU\\) is not supported"):
        from_module(model)


# -- malformed checkpoints -------------------------------------------------------------


def _mutate(model, what):
    layers = list(model)
    l1, l2 = layers[1], layers[2]
    if what == "weights_shape":
        l1.weights = torch.nn.Parameter(torch.randn(l1.out_dim, 15))
    elif what == "weights_3d":
        l1.weights = torch.nn.Parameter(torch.randn(l1.out_dim, 16, 1))
    elif what == "indices_length":
        l2.indices = (l2.indices[0][:-1], l2.indices[1][:-1])
    elif what == "indices_not_pair":
        l2.indices = l2.indices[0]
    elif what == "indices_float":
        l2.indices = (l2.indices[0].float(), l2.indices[1])
    elif what == "in_dim":
        l2.in_dim = l2.in_dim - 1
    elif what == "out_dim":
        l2.out_dim = l2.out_dim + 1
    elif what == "index_range":
        l2.indices[1][3] = l2.in_dim
    elif what == "index_negative":
        l2.indices[0][0] = -1
    elif what in ("nan", "inf"):
        with torch.no_grad():
            l2.weights[2, 5] = float(what)
    elif what == "k_not_dividing":
        layers[-1] = fx.GroupSum(7)
    elif what == "k_zero":
        layers[-1] = fx.GroupSum(0)
    elif what == "tau":
        layers[-1] = fx.GroupSum(10, tau=0.0)
    elif what == "no_groupsum":
        layers = layers[:-1]
    elif what == "after_groupsum":
        layers.append(fx.LogicLayer(30, 30))
    elif what == "empty":
        layers = [layers[0], layers[-1]]
    elif what == "empty_sequential":
        layers = []
    return torch.nn.Sequential(*layers)


MALFORMED = {
    "weights_shape": "weights have shape (48, 15), expected [out_dim, 16]",
    "weights_3d": "weights have shape (48, 16, 1)",
    "indices_length": "has 40 gates but indices of lengths 39 and 39",
    "indices_not_pair": "indices must be a pair",
    "indices_float": "indices[0] has dtype float32, expected integers",
    "in_dim": "has in_dim 47 but the previous layer has 48 outputs",
    "out_dim": "has out_dim 41 but 40 gates",
    "index_range": "indices[1][3] is 48, out of range 0..47",
    "index_negative": "indices[0][0] is -1, out of range 0..47",
    "nan": "weights contain NaN or infinite values",
    "inf": "weights contain NaN or infinite values",
    "k_not_dividing": "30 outputs of the last LogicLayer cannot be split into 7 equal class groups",
    "k_zero": "has k 0",
    "tau": "has tau 0.0",
    "no_groupsum": "no GroupSum layer",
    "after_groupsum": "follows the GroupSum",
    "empty": "holds no LogicLayer",
    "empty_sequential": "holds no LogicLayer",
}


@pytest.mark.parametrize("what", sorted(MALFORMED))
def test_malformed_model_named_error(tmp_path, what):
    model = _mutate(fx.make_model(), what)
    for legacy in (False, True):
        path = fx.save(model, tmp_path / f"{what}-{legacy}.pt", legacy=legacy)
        with pytest.raises(FormatError) as err:
            read_checkpoint(path)
        msg = str(err.value)
        assert msg.startswith(f"{path}: ") and "\n" not in msg
        assert MALFORMED[what] in msg
    with pytest.raises(FormatError) as err:          # the live model gives the same diagnosis
        from_module(model)
    assert MALFORMED[what] in str(err.value)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_truncated_files(tmp_path, legacy):
    path = fx.save(fx.make_model(), tmp_path / "full.pt", legacy=legacy)
    raw = path.read_bytes()
    cuts = sorted({1, 2, 10, 100, len(raw) // 3, len(raw) // 2, len(raw) - 200, len(raw) - 9, len(raw) - 1})
    for cut in cuts:
        cut_path = tmp_path / f"cut{cut}.pt"
        cut_path.write_bytes(raw[:cut])
        with pytest.raises(FormatError) as err:
            read_checkpoint(cut_path)
        assert str(err.value).startswith(f"{cut_path}: ") and "\n" not in str(err.value), cut
        with pytest.raises(FormatError):
            load_model(cut_path)


def test_short_storage_in_zip(tmp_path):
    path = fx.save(fx.make_model(), tmp_path / "m.pt")
    bad = tmp_path / "short.pt"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/data/0"):
                data = data[:-4]
            dst.writestr(info.filename, data)
    with pytest.raises(FormatError, match="storage '0' holds .* bytes, expected"):
        read_checkpoint(bad)


class _BadView:
    """Pickles as a tensor view that reaches past the end of its storage."""

    def __init__(self, storage, size, stride):
        self.storage, self.size, self.stride = storage, size, stride

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (self.storage, 0, self.size, self.stride, False, OrderedDict())


@pytest.mark.parametrize("size, stride", [((1000,), (1,)), ((48,), (9,)), ((10**9,), (0,))])
def test_out_of_bounds_tensor_view(tmp_path, size, stride):
    model = fx.make_model()
    storage = torch.zeros(48, dtype=torch.int64).untyped_storage()     # 384 bytes
    model[1].indices = (_BadView(storage, size, stride), model[1].indices[1])
    path = fx.save(model, tmp_path / "view.pt")
    with pytest.raises(FormatError, match="reaches outside its storage"):
        read_checkpoint(path)


def test_not_a_model(tmp_path):
    path = fx.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(FormatError, match="holds a list, not a difflogic model"):
        read_checkpoint(path)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        read_checkpoint(empty)
