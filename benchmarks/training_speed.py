"""Per-epoch training speed of an hpo-kit trial, measured in one run on whatever device is present.

    python benchmarks/training_speed.py [dataset] [epochs] [repeats]

Prints, for the baseline CNN of `dataset` (default digits) at batch 128:
1. an hpo-kit trial (its own training step, checkpoint and history every epoch, no health) against plain
   `model.fit` of the same model on the same tf.data pipeline: goal <= 1.10x;
2. the health probe's share of a trial's epoch (health every epoch against none);
3. mixed precision and XLA against float32 (goal on a GPU: >= 1.5x; on a CPU they are slower, which is why
   `precision=auto` and `jit_compile=auto` leave them off there).
An epoch's time is the wall time between consecutive epoch ends (everything done per epoch counts), the median
of the epochs after the first (which also traces the graph); the ways are run in rotating order, so drift in
the machine's speed hits all alike.
"""
import statistics, sys, tempfile, time
from pathlib import Path

import optuna

from hpo_kit.config import StudyConfig
from hpo_kit.data import load_dataset
from hpo_kit.training.devices import setup_devices
from hpo_kit.training.models import build_model, compile_model
from hpo_kit.backend import import_keras
from hpo_kit.training.pipeline import eval_dataset, train_dataset
from hpo_kit.search.space import baseline_params
from hpo_kit.training.train import train_trial


def _median_epoch(ends:list)->float:
    return statistics.median(b - a for a, b in zip(ends[1:], ends[2:])) if len(ends) > 2 else float("nan")


def plain_fit(data, params, epochs)->float:
    "Median epoch of `model.fit` on hpo-kit's tf.data pipeline."
    keras = import_keras()
    keras.backend.clear_session(); keras.utils.set_random_seed(0)
    ends = [time.perf_counter()]
    stamp = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: ends.append(time.perf_counter()))
    m = build_model(params, data); compile_model(m, params, -(-len(data.y_train) // params["batch_size"]), epochs)
    m.fit(train_dataset(data, params["batch_size"], 0).dataset(), validation_data=eval_dataset(data).dataset(), epochs=epochs, verbose=0, callbacks=[stamp], shuffle=False)
    return _median_epoch(ends)


def trial_epoch(data, params, epochs, **options)->float:
    "Median epoch of an hpo-kit trial under `options` (health_every, precision, jit_compile)."
    config = StudyConfig(max_epochs=epochs, patience=epochs, pruner="none", seed=0, **({"health_every": 0} | options))
    ends = [time.perf_counter()]
    emit = lambda e: ends.append(time.perf_counter()) if e["event"] == "epoch_end" else None
    trial = optuna.create_study(direction="maximize").ask()
    with tempfile.TemporaryDirectory() as d:
        train_trial(trial, params, data, config, Path(d), emit, setup_devices(config))
    return _median_epoch(ends)


def main(dataset="digits", epochs=8, repeats=3):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    data = load_dataset(dataset)
    params = baseline_params(data, StudyConfig()) | dict(batch_size=128)
    ways = {"plain model.fit": lambda: plain_fit(data, params, epochs),
            "hpo-kit trial, no health": lambda: trial_epoch(data, params, epochs),
            "hpo-kit trial, health every epoch": lambda: trial_epoch(data, params, epochs, health_every=1),
            "hpo-kit trial, mixed_float16": lambda: trial_epoch(data, params, epochs, precision="mixed_float16"),
            "hpo-kit trial, mixed_bfloat16": lambda: trial_epoch(data, params, epochs, precision="mixed_bfloat16"),
            "hpo-kit trial, XLA": lambda: trial_epoch(data, params, epochs, jit_compile="true")}
    names = list(ways)
    ways[names[1]]()  # warm-up: first-use costs of the process
    times = {n: [] for n in names}
    for r in range(repeats):
        for n in names[r % len(names):] + names[:r % len(names)]: times[n].append(ways[n]())
    med = {n: statistics.median(v) for n, v in times.items()}
    devices = setup_devices(StudyConfig()).summary()
    print(f"{dataset}, baseline CNN at batch 128 ({len(data.y_train)} training examples), {epochs} epochs, median of {repeats} runs, device {devices}")
    for n in names: print(f"{n:<36} {med[n] * 1000:8.1f} ms per epoch")
    base, plain = med[names[1]], med[names[0]]
    print(f"hpo-kit trial / plain model.fit: {base / plain:.3f}x (goal <= 1.10)")
    print(f"health probe's share of an epoch (health every epoch): {1 - base / med[names[2]]:.1%}")
    for n in names[3:]: print(f"{n.split(', ')[1]} speed-up over float32: {base / med[n]:.2f}x (goal on a GPU >= 1.5)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "digits", *map(int, sys.argv[2:4]))
