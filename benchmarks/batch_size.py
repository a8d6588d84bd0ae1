"""Which batch size the automatic rule should pick: the baseline model of each task, at several training-set sizes,
trained for a fixed epoch budget at each batch size, measured in one run on this machine.

    python benchmarks/batch_size.py [epochs] [seeds]

For each task and size prints, per batch size, the best validation accuracy (mean over the seeds), the wall seconds
and the gradient steps per epoch, then the batch size `auto` picks. The rule in `search.space.auto_batch_size` was
chosen from this table: see the README's "Batch size" section.
"""
import os, statistics, sys, tempfile, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))
from pathlib import Path

import optuna

import tasks
from hpo_kit.backend import import_keras_quietly
from hpo_kit.config import StudyConfig
from hpo_kit.data import from_arrays
from hpo_kit.store.files import read_rows
from hpo_kit.search.space import auto_batch_size, baseline_params
from hpo_kit.training.train import train_trial

BATCHES = (16, 32, 64, 128, 256)
SIZES = [("distorted_digits", dict(n_train=500)), ("distorted_digits", dict(n_train=1000)),
         ("distorted_digits", dict(n_train=1000, copies=4)), ("noisy_text", dict(n_train=1000)),
         ("noisy_text", dict(n_train=3000)), ("noisy_text", dict(n_train=10000)), ("order_text", dict(n_train=1000)),
         ("order_text", dict(n_train=3000)), ("order_text", dict(n_train=10000))]


def best_val(data, batch, epochs, seed):
    "(best validation accuracy, wall seconds) of the baseline at `batch` over `epochs` epochs, as a trial trains it."
    config = StudyConfig(max_epochs=epochs, patience=epochs, pruner="none", seed=seed, health_every=0)
    params = baseline_params(data, config) | dict(batch_size=batch)
    trial = optuna.create_study(direction="maximize").ask()
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        try:
            train_trial(trial, params, data, config, Path(d))
        except optuna.TrialPruned:
            pass  # stopped at chance: its best epoch still counts
        rows = read_rows(Path(d) / "history.csv")
    return max(float(r["val_accuracy"]) for r in rows), time.perf_counter() - t


def main(epochs=8, seeds=1):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import_keras_quietly()
    print(f"baseline model, {epochs} epochs, mean of {seeds} seed(s); per batch size: best validation accuracy / wall s / steps per epoch")
    for name, kw in SIZES:
        xtr, ytr, xte, yte = tasks.TASKS[name](0, **kw)
        data = from_arrays(xtr, ytr, xte, yte, name=name, seed=0)
        n = len(data.y_train)
        cells = []
        for b in BATCHES:
            runs = [best_val(data, b, epochs, s) for s in range(seeds)]
            cells.append(f"{statistics.mean(r[0] for r in runs):.3f}/{statistics.mean(r[1] for r in runs):5.1f}s/{-(-n // b):4d}")
        print(f"{name:<17} n={n:<6} " + "  ".join(f"b{b}: {c}" for b, c in zip(BATCHES, cells)) + f"  auto: {auto_batch_size(n)}", flush=True)


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
