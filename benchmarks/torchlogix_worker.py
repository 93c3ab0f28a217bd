"""torchlogix side of benchmarks/bench_torchlogix.py (runs under Python >= 3.12 with torchlogix).

Not part of lgnhw and never imported by it: torchlogix is only a benchmark
peer. The driver (``bench_torchlogix.py``) calls this script in a separate
interpreter, one process per step, so each peak-RSS figure is that step's own.

Two commands, each printing one JSON line on stdout:

``train``   build a dense torchlogix model (``LogicDense`` layers + ``GroupSum``)
            and train it with torchlogix's relaxed (soft) forward on bit vectors
            from an ``.npz`` (``x_train``/``y_train``/``x_test``/``y_test``, bits
            already encoded); save the ``state_dict``.

``compile`` build the same model (random weights from ``--seed``, or a saved
            ``state_dict``), then time torchlogix's own compile flow:
            ``Circuit.from_model`` (make_fx trace + export), ``simplify()`` and
            ``get_verilog_code()``; peak RSS is read right after these. Untimed:
            the raw circuit JSON (``raw.json``, written before ``simplify``), the
            simplified JSON, the Verilog (``torchlogix.v``) and the model's own
            outputs (export mode, i.e. the discrete network) on ``--vectors``
            (``torchlogix_outputs.npy``, shape (N, classes)).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


from procstat import peak_rss_mb, rss_mb  # noqa: E402  (benchmarks/ is on sys.path: run as a script)


T0 = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torchlogix import Circuit  # noqa: E402
from torchlogix.layers import GroupSum, LogicDense  # noqa: E402
IMPORT_S = time.perf_counter() - T0
IMPORT_RSS = rss_mb()


def build_model(inputs: int, layers: list[int], classes: int, tau: float, init: str,
                seed: int) -> torch.nn.Sequential:
    """Dense LGN: LogicDense(inputs, l0), LogicDense(l0, l1), ..., GroupSum(classes, tau)."""
    torch.manual_seed(seed)
    kw = {"parametrization_kwargs": {"weight_init": init}}
    mods, width = [], inputs
    for n in layers:
        mods.append(LogicDense(width, n, **kw))
        width = n
    mods.append(GroupSum(classes, tau=tau))
    return torch.nn.Sequential(*mods)


def cmd_train(a) -> dict:
    data = np.load(a.data)
    xtr = torch.tensor(data["x_train"], dtype=torch.float32)
    ytr = torch.tensor(data["y_train"], dtype=torch.long)
    xte = torch.tensor(data["x_test"], dtype=torch.float32)
    yte = torch.tensor(data["y_test"], dtype=torch.long)
    model = build_model(xtr.shape[1], a.layers, a.classes, a.tau, a.init, a.seed)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    gen = torch.Generator().manual_seed(a.seed)
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        model.train()
        for idx in torch.randperm(len(xtr), generator=gen).split(a.batch):
            loss = torch.nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    train_s = time.perf_counter() - t0
    model.eval()                                   # discrete gates (argmax LUT per neuron)
    with torch.no_grad():
        acc = float((model(xte).argmax(1) == yte).float().mean())
    torch.save(model.state_dict(), a.out)
    return {"step": "torchlogix_train", "epochs": a.epochs, "train_s": round(train_s, 2),
            "test_accuracy": round(acc, 4), "state": a.out}


def cmd_compile(a) -> dict:
    os.makedirs(a.out, exist_ok=True)
    model = build_model(a.inputs, a.layers, a.classes, a.tau, a.init, a.seed)
    if a.state:
        model.load_state_dict(torch.load(a.state, weights_only=True))
    model.eval()
    build_rss = rss_mb()

    t0 = time.perf_counter()
    circuit = Circuit.from_model(model, [a.inputs])     # make_fx trace + export
    trace_s = time.perf_counter() - t0
    raw_gates = len(circuit.gates)

    t0 = time.perf_counter()
    circuit.write_json(os.path.join(a.out, "raw.json"))  # untimed: the shared starting point
    write_raw_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    circuit.simplify()
    simplify_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    verilog = circuit.get_verilog_code()
    verilog_s = time.perf_counter() - t0
    peak = peak_rss_mb()

    with open(os.path.join(a.out, "torchlogix.v"), "w") as f:
        f.write(verilog)
    circuit.write_json(os.path.join(a.out, "simplified.json"))
    sum_inputs = sum(len(s.input_ids) for s in circuit.sum_nodes)
    out = {"step": "torchlogix_compile", "inputs": a.inputs, "layers": a.layers,
           "neurons": int(sum(a.layers)), "raw_gates": raw_gates,
           "simplified_gates": len(circuit.gates), "simplified_sum_inputs": sum_inputs,
           "import_s": round(IMPORT_S, 2), "trace_s": round(trace_s, 3),
           "simplify_s": round(simplify_s, 3), "verilog_s": round(verilog_s, 3),
           "compile_s": round(trace_s + simplify_s + verilog_s, 3),
           "write_raw_json_s": round(write_raw_s, 3), "verilog_mbytes": round(len(verilog) / 1e6, 2),
           "rss_after_import_mb": round(IMPORT_RSS, 1), "rss_model_built_mb": round(build_rss, 1),
           "peak_rss_mb": round(peak, 1)}
    if a.vectors:
        bits = torch.tensor(np.load(a.vectors), dtype=torch.bool)
        with torch.no_grad():                          # the model is in export mode: discrete gates
            scores = torch.cat([model(chunk) for chunk in bits.split(256)])
        np.save(os.path.join(a.out, "torchlogix_outputs.npy"), scores.double().numpy())
        out["vectors"] = int(bits.shape[0])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("train", "compile"):
        p = sub.add_parser(name)
        p.add_argument("--layers", type=int, nargs="+", required=True)
        p.add_argument("--classes", type=int, default=10)
        p.add_argument("--tau", type=float, default=10.0)
        p.add_argument("--init", choices=("residual", "random"), default="residual")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--out", required=True)
    t = sub.choices["train"]
    t.add_argument("--data", required=True)
    t.add_argument("--epochs", type=int, default=100)
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--lr", type=float, default=0.05)
    c = sub.choices["compile"]
    c.add_argument("--inputs", type=int, required=True)
    c.add_argument("--state", help="state_dict saved by `train`")
    c.add_argument("--vectors", help=".npy (N, inputs) bits: save the model's outputs on them")
    a = ap.parse_args()
    if os.environ.get("BENCH_THREADS"):                # default: torch's own thread count
        torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
    res = cmd_train(a) if a.cmd == "train" else cmd_compile(a)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    sys.exit(main())
