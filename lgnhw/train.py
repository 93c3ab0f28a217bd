"""A small difflogic-compatible trainer for logic gate networks (``lgnhw train``).

The model is Petersen et al.'s differentiable logic gate network, as in
difflogic's ``LogicLayer``/``GroupSum`` with ``connections='random'``:

* inputs are thermometer-encoded: input bit ``f*T + t`` is
  ``x[f] > thresholds[f, t]``, with ``T`` thresholds spread evenly between the
  training minimum and maximum of feature ``f`` (stored in the exported model,
  so :func:`lgnhw.golden.encode_inputs` reproduces the encoding);
* every layer has fixed random wiring: neuron ``i`` reads outputs ``a[i]`` and
  ``b[i]`` of the previous layer (difflogic's 'random' scheme: a shuffled,
  near-balanced use of every input);
* every neuron holds 16 logits, one per op (difflogic numbering = lgnhw.ops);
  training uses the softmax mixture of the ops' probabilistic relaxations
  (difflogic ``bin_op_s``), evaluation and export the argmax op;
* the head is GroupSum(k classes, tau); the loss is cross-entropy on the
  group sums divided by tau; the optimiser is Adam.

The relaxation of op ``i`` with truth table ``(t00, t01, t10, t11)`` is the
multilinear extension ``t00(1-a)(1-b) + t01(1-a)b + t10 a(1-b) + t11 ab``,
which equals difflogic's ``bin_op(a, b, i)`` for all 16 ops; the mixture is
computed as ``c0 + c1 a + c2 b + c3 ab`` with ``(c0..c3) = softmax(w) @ M`` (one
small matmul instead of 16 passes). For 0/1 inputs and one-hot weights it is
exact, so the torch eval model and the exported netlist agree bit for bit;
:func:`train` checks that on the test split before returning.

PyTorch is imported only inside the training functions, so ``import lgnhw``
works without the optional ``train`` extra.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from .datasets import Dataset, load_dataset
from .errors import LgnhwError
from .formats import write_lgn
from .golden import encode_inputs, predict
from .netlist import Netlist
from .ops import truth_table

__all__ = ["TrainConfig", "TrainResult", "train", "train_to_file", "thermometer_thresholds",
           "random_wiring", "require_torch", "INSTALL_HINT"]

INSTALL_HINT = "lgnhw train needs PyTorch (the 'train' extra): pip install 'lgnhw[train]'"


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; the defaults produce the bundled ``lgnhw/data/digits.lgn``."""
    layers: tuple[int, ...] = (500, 500, 500, 500)
    thermometer: int = 2
    tau: float = 3.0
    epochs: int = 200
    seed: int = 0
    lr: float = 0.01
    batch_size: int = 128
    #: torch CPU threads during training; a fixed count keeps results reproducible.
    threads: int = 1

    def check(self, num_classes: int) -> "TrainConfig":
        layers = tuple(int(n) for n in self.layers)
        if not layers or min(layers) < 1:
            raise LgnhwError(f"--layers must be one or more positive widths, got {list(self.layers)}")
        if layers[-1] % num_classes:
            raise LgnhwError(f"--layers: the last layer width {layers[-1]} must be divisible by "
                             f"the {num_classes} classes")
        if self.thermometer < 1:
            raise LgnhwError(f"--thermometer is {self.thermometer}, must be >= 1")
        if not (np.isfinite(self.tau) and self.tau > 0):
            raise LgnhwError(f"--tau is {self.tau}, must be a finite positive number")
        if self.epochs < 1:
            raise LgnhwError(f"--epochs is {self.epochs}, must be >= 1")
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise LgnhwError(f"--lr is {self.lr}, must be a finite positive number")
        if self.batch_size < 1:
            raise LgnhwError(f"--batch-size is {self.batch_size}, must be >= 1")
        if self.threads < 1:
            raise LgnhwError(f"--threads is {self.threads}, must be >= 1")
        return TrainConfig(**{**asdict(self), "layers": layers})


@dataclass(frozen=True)
class TrainResult:
    netlist: Netlist
    train_accuracy: float
    test_accuracy: float
    seconds: float
    #: eval-mode (argmax gates) torch predictions on the test split
    test_predictions: np.ndarray


def require_torch():
    """Import and return torch, or raise a one-line LgnhwError telling how to install it."""
    try:
        import torch
    except ImportError:
        raise LgnhwError(INSTALL_HINT) from None
    return torch


def thermometer_thresholds(x_train: np.ndarray, t: int) -> np.ndarray:
    """(F, t) float64: t thresholds per feature, evenly inside its training range."""
    lo = x_train.min(axis=0)
    hi = x_train.max(axis=0)
    steps = np.arange(1, t + 1, dtype=np.float64) / (t + 1)
    return lo[:, None] + (hi - lo)[:, None] * steps[None, :]


def random_wiring(rng: np.random.Generator, in_dim: int, out_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """difflogic's 'random' connections: (a, b) int64 (out_dim,) indices into the previous layer.

    ``2*out_dim`` slots are filled with the inputs in turn (every input used
    about equally, each at least once when ``2*out_dim >= in_dim``), then the
    slots and the input identities are shuffled.
    """
    slots = rng.permutation(2 * out_dim) % in_dim
    c = rng.permutation(in_dim)[slots].reshape(2, out_dim)
    return c[0].astype(np.int64), c[1].astype(np.int64)


def _relaxation_matrix() -> np.ndarray:
    """(16, 4): op i's relaxation is ``M[i] @ (1, a, b, ab)``."""
    m = np.zeros((16, 4))
    for i in range(16):
        t00, t01, t10, t11 = truth_table(i)
        m[i] = (t00, t10 - t00, t01 - t00, t00 - t01 - t10 + t11)
    return m


def _progress(total: int, enabled: bool | None):
    from tqdm import tqdm
    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, desc="train", unit="epoch", disable=not enabled, leave=False)


def _build_model(torch, in_dim: int, layers, num_classes: int, tau: float, seed: int):
    """The relaxed network as a torch Module (weights and wiring from ``seed``)."""
    nn = torch.nn
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    matrix = torch.tensor(_relaxation_matrix(), dtype=torch.float32)

    class LogicNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.ParameterList()
            self.wiring = []
            prev = in_dim
            for width in layers:
                self.weights.append(nn.Parameter(torch.randn(width, 16, generator=gen)))
                a, b = random_wiring(rng, prev, width)
                self.wiring.append((torch.from_numpy(a), torch.from_numpy(b)))
                prev = width

        def gate_probs(self, w):
            if self.training:
                return torch.softmax(w, dim=-1)
            return nn.functional.one_hot(w.argmax(-1), 16).to(w.dtype)

        def forward(self, x):
            for w, (ia, ib) in zip(self.weights, self.wiring):
                c = self.gate_probs(w) @ matrix            # (width, 4)
                a, b = x[:, ia], x[:, ib]
                x = c[:, 0] + c[:, 1] * a + c[:, 2] * b + c[:, 3] * (a * b)
            return x.reshape(x.shape[0], num_classes, -1).sum(-1)   # group sums (not / tau)

        def ops(self):
            return [w.detach().argmax(-1).numpy().astype(np.uint8) for w in self.weights]

    return LogicNet()


def _eval_predictions(torch, model, bits: np.ndarray, chunk: int = 4096) -> np.ndarray:
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, bits.shape[0], chunk):
            xb = torch.from_numpy(bits[start:start + chunk].astype(np.float32))
            out.append(model(xb).argmax(-1).numpy())
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, np.int64)


def train(data: Dataset, config: TrainConfig = TrainConfig(), progress: bool | None = None) -> TrainResult:
    """Train on ``data`` and return the exported, verified netlist and accuracies.

    ``progress``: show a tqdm bar (``None``: only when stderr is a terminal).
    """
    torch = require_torch()
    config = config.check(data.num_classes)
    if data.y_train.max() >= data.num_classes or data.y_test.max() >= data.num_classes:
        raise LgnhwError(f"data set {data.name}: labels exceed its {data.num_classes} classes")
    t0 = time.perf_counter()
    thresholds = thermometer_thresholds(data.x_train, config.thermometer)
    in_dim = thresholds.size

    def encode(x):
        return (x[:, :, None] > thresholds[None]).reshape(x.shape[0], in_dim).astype(np.uint8)

    bits_train, bits_test = encode(data.x_train), encode(data.x_test)
    old_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        model = _build_model(torch, in_dim, config.layers, data.num_classes, config.tau, config.seed)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)
        xt = torch.from_numpy(bits_train.astype(np.float32))
        yt = torch.from_numpy(data.y_train)
        order_rng = np.random.default_rng(config.seed + 1)
        n = xt.shape[0]
        with _progress(config.epochs, progress) as bar:
            for _ in range(config.epochs):
                model.train()
                total = 0.0
                perm = torch.from_numpy(order_rng.permutation(n))
                for start in range(0, n, config.batch_size):
                    idx = perm[start:start + config.batch_size]
                    loss = torch.nn.functional.cross_entropy(model(xt[idx]) / config.tau, yt[idx])
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += loss.item() * idx.shape[0]
                bar.set_postfix(loss=f"{total / n:.4f}")
                bar.update(1)
        pred_train = _eval_predictions(torch, model, bits_train)
        pred_test = _eval_predictions(torch, model, bits_test)
        ops = model.ops()
        wiring = [(a.numpy(), b.numpy()) for a, b in model.wiring]
    finally:
        torch.set_num_threads(old_threads)
    train_acc = float(np.mean(pred_train == data.y_train))
    test_acc = float(np.mean(pred_test == data.y_test))
    meta = {
        "source": "lgnhw-train", "dataset": data.name, "seed": config.seed,
        "layers": " ".join(map(str, config.layers)), "thermometer": config.thermometer,
        "epochs": config.epochs, "lr": repr(config.lr), "batch_size": config.batch_size,
        "train_accuracy": repr(train_acc), "test_accuracy": repr(test_acc),
        "test_samples": data.y_test.shape[0],
    }
    net = Netlist.from_layers(in_dim, [(op, a, b) for op, (a, b) in zip(ops, wiring)],
                              data.num_classes, tau=config.tau, thresholds=thresholds, meta=meta)
    # The exported netlist must compute exactly what the torch eval model computes.
    _, golden = predict(net, encode_inputs(net, data.x_test))
    if not np.array_equal(golden, pred_test):
        bad = int(np.flatnonzero(golden != pred_test)[0])
        raise LgnhwError(f"internal error: exported netlist disagrees with the trained model "
                         f"on test sample {bad}")
    return TrainResult(net, train_acc, test_acc, time.perf_counter() - t0, pred_test)


def train_to_file(dataset: str, output, config: TrainConfig = TrainConfig(),
                  progress: bool | None = None) -> dict:
    """Load ``dataset`` ("digits" or an .npz path), train, write ``output`` (.lgn); return a summary."""
    require_torch()  # fail before loading any data
    data = load_dataset(dataset, seed=config.seed)
    result = train(data, config, progress=progress)
    write_lgn(result.netlist, output)
    return {
        "dataset": data.name,
        "gates": result.netlist.num_gates,
        "inputs": result.netlist.num_inputs,
        "classes": result.netlist.num_classes,
        "layers": list(config.layers),
        "thermometer": config.thermometer,
        "tau": config.tau,
        "epochs": config.epochs,
        "seed": config.seed,
        "lr": config.lr,
        "train_accuracy": result.train_accuracy,
        "test_accuracy": result.test_accuracy,
        "seconds": round(result.seconds, 3),
        "output": os.fspath(output),
    }
