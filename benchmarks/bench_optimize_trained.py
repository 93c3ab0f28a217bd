"""Gates kept by the optimiser on trained models, per pass, and against ABC.

Usage::

    python benchmarks/bench_optimize_trained.py [MODEL ...]
    python benchmarks/bench_optimize_trained.py --reference [--train DIR] [MODEL ...]

Default models: the bundled digits model and benchmarks/models/digits4k.lgn.
Prints one JSON line per model.

``--reference`` also compares the result with the polarity-kept references:
ABC round trips of the optimised netlist (:mod:`lgnhw.passes.abc_opt`, the
default and the ``-strong`` scripts, mapped to gates and to 2-input LUTs,
each read back through ``optimize`` so that inverters are absorbed the same
way), and probes what is left for a functional rewrite by random simulation
(4,096 vectors): gates equal or complementary to an earlier signal that a
polarity-keeping rewrite could drop, and gates with a one-gate
resubstitution (two signals of their depth-4 fan-in window, outside their
fanout-free cone, that determine them).

``--train DIR`` first trains the models of :data:`TRAINED` into DIR with
lgnhw's trainer (needs the ``train`` extra; about 90 s in all) and adds them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from lgnhw import load_model, optimize
from lgnhw.golden import evaluate_packed

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "lgnhw" / "data" / "digits.lgn", ROOT / "benchmarks" / "models" / "digits4k.lgn"]
REFERENCE_MODES = ("gates", "lut2", "gates-strong", "lut2-strong")

#: Models this project never tuned on: file name -> trainer settings (different
#: widths, depths, thermometer resolutions, temperatures and seeds).
TRAINED = {
    "t600x4_s1.lgn": dict(dataset="digits", layers=(600,) * 4, thermometer=2, tau=3.0, epochs=150, seed=1),
    "t1000x3_s2.lgn": dict(dataset="digits", layers=(1000,) * 3, thermometer=3, tau=5.0, epochs=150, seed=2),
    "t800x5_s3.lgn": dict(dataset="digits", layers=(800,) * 5, thermometer=2, tau=4.0, epochs=150, seed=3),
    "t2000x4_s4.lgn": dict(dataset="digits", layers=(2000,) * 4, thermometer=4, tau=8.0, epochs=150, seed=4),
    "tmnist4000x3_s5.lgn": dict(dataset="mnist", layers=(4000,) * 3, thermometer=1, tau=10.0, epochs=40,
                                seed=5),
}

_WORDS = 64   # 64-bit words of random input vectors per signal


def train_models(folder: Path) -> list[Path]:
    from lgnhw.train import TrainConfig, train_to_file
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, settings in TRAINED.items():
        settings = dict(settings)
        dataset = settings.pop("dataset")
        path = folder / name
        if not path.exists():
            train_to_file(dataset, path, TrainConfig(**settings), progress=False)
        paths.append(path)
    return paths


def simulate(net, seed: int = 1) -> np.ndarray:
    """Every signal's values on ``64 * _WORDS`` random input vectors, packed (signals x words)."""
    rng = np.random.default_rng(seed)
    inputs = rng.integers(0, 1 << 64, size=(net.num_inputs, _WORDS), dtype=np.uint64, endpoint=False)
    return evaluate_packed(net, inputs)


def functional_redundancy(net) -> dict:
    """Upper bounds (random simulation, nothing proven) on what a functional rewrite could remove."""
    sig = simulate(net)
    f = net.first_gate
    outputs = set(net.outputs.tolist())
    first: dict = {}
    equal = complement = 0
    for s in range(net.num_signals):
        key = sig[s].tobytes()
        if s >= f and key in first:
            equal += 1                      # readers and outputs can read the earlier signal
        elif s >= f and (~sig[s]).tobytes() in first:
            r = first[(~sig[s]).tobytes()]
            # one of the two can go unless both must keep their own polarity at an output
            complement += not (s in outputs and (r in outputs or r < f))
        first.setdefault(key, s)
    return {"equal": equal, "complement": complement, "one_gate_resub": _resub_hits(net, sig)}


def _resub_hits(net, sig: np.ndarray) -> int:
    f = net.first_gate
    a, b = net.a.astype(np.int64), net.b.astype(np.int64)
    refs = np.bincount(np.concatenate([a, b, net.outputs.astype(np.int64)]), minlength=net.num_signals)
    hits = 0
    for g in range(net.num_gates):
        s = f + g
        cone, stack, seen = {s}, [s], {}
        while stack:                                   # the fanout-free cone of s
            x = stack.pop()
            for y in (a[x - f], b[x - f]):
                if y >= f and y not in cone:
                    seen[y] = seen.get(y, 0) + 1
                    if seen[y] == refs[y]:
                        cone.add(y)
                        stack.append(y)
        if len(cone) < 2:
            continue                                   # nothing to gain
        window, frontier = set(), {s}
        for _ in range(4):
            frontier = {y for x in frontier if x >= f for y in (a[x - f], b[x - f])}
            window |= frontier
        divisors = sorted(x for x in window if x not in cone and x > 1)
        if len(divisors) < 2:
            continue
        iu, iv = np.triu_indices(len(divisors), 1)
        u, v, target = sig[divisors][iu], sig[divisors][iv], sig[s]
        ok = np.ones(iu.size, dtype=bool)
        for mu in (u, ~u):
            for mv in (v, ~v):
                part = target & mu & mv                # target constant on each (u, v) minterm
                ok &= np.all(part == 0, axis=1) | np.all(part == (mu & mv), axis=1)
        hits += bool(ok.any())
    return hits


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", type=Path)
    ap.add_argument("--reference", action="store_true", help="compare with ABC and probe for redundancy")
    ap.add_argument("--train", type=Path, metavar="DIR", help="train the TRAINED models into DIR and add them")
    args = ap.parse_args()
    paths = list(args.models) or list(DEFAULT)
    if args.train:
        paths += train_models(args.train)
    for path in paths:
        net = load_model(path)
        t0 = time.perf_counter()
        opt, report = optimize(net)
        row = {
            "model": Path(path).name, "gates": net.num_gates, "gates_after": opt.num_gates,
            "kept": round(opt.num_gates / net.num_gates, 4), "depth_after": opt.depth,
            "seconds": round(time.perf_counter() - t0, 3),
            "removed_by": {p["name"]: p["gates_removed"] for p in report},
        }
        if args.reference:
            from lgnhw.passes.abc_opt import abc_optimize
            abc = {mode: abc_optimize(opt, mode=mode)[1]["gates_abc"] for mode in REFERENCE_MODES}
            best = min(abc.values())
            row.update(abc=abc, best_reference=best, ratio_to_reference=round(opt.num_gates / best, 4),
                       redundancy=functional_redundancy(opt))
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
