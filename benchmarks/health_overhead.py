"""Cost of measuring health: model.fit with and without the health callback, same model and data, one run.

    python benchmarks/health_overhead.py [epochs] [repeats]

Each repeat trains the baseline CNN on digits from the same initial weights three ways (no health, health every
epoch, health every 2 epochs), in rotating order so drift in machine speed hits all equally. Prints median fit
times and their ratios (goal: health every epoch <= 1.05 x no health), and the share of fit time spent inside the
health callback's own hooks (probe tracing included).
"""
import math, statistics, sys, time
import numpy as np

from hpo_kit.config import StudyConfig
from hpo_kit.data import load_dataset
from hpo_kit.models import build_model, compile_model, import_keras
from hpo_kit.probe import health_monitor
from hpo_kit.space import baseline_params


class Timed:
    "Wraps a callback's hooks to sum the wall time spent inside them."
    def __init__(self, cb):
        self.cb, self.seconds = cb, 0.0
        for hook in ("on_train_begin", "on_epoch_end"):
            setattr(cb, hook, self._timed(getattr(cb, hook)))
    def _timed(self, fn):
        def run(*a, **k):
            t = time.perf_counter(); fn(*a, **k); self.seconds += time.perf_counter() - t
        return run


def fit_seconds(data, params, init, epochs, every, inside=None):
    keras = import_keras()
    keras.backend.clear_session()
    model = build_model(params, data); model.set_weights(init)
    compile_model(model, params, math.ceil(len(data.x_train) / params["batch_size"]), epochs)
    cbs = [health_monitor(data, StudyConfig(health_every=every), model.count_params())] if every else []
    timer = Timed(cbs[0]) if cbs else None
    oh = lambda y: keras.utils.to_categorical(y, data.num_classes)
    t = time.perf_counter()
    model.fit(data.x_train, oh(data.y_train), batch_size=params["batch_size"], epochs=epochs, verbose=0,
              validation_data=(data.x_val, oh(data.y_val)), callbacks=cbs)
    total = time.perf_counter() - t
    if inside is not None and timer: inside.append(timer.seconds / total)
    return total


def main(epochs=10, repeats=5):
    keras = import_keras()
    data = load_dataset("digits")
    params = baseline_params(data, StudyConfig())
    keras.utils.set_random_seed(0)
    init = build_model(params, data).get_weights()
    fit_seconds(data, params, init, 1, 0)  # warm-up: first-use costs of the process
    modes = [0, 1, 2]
    times, inside = {m: [] for m in modes}, []
    for r in range(repeats):
        for m in modes[r % 3:] + modes[:r % 3]:
            times[m].append(fit_seconds(data, params, init, epochs, m, inside if m == 1 else None))
    med = {m: statistics.median(v) for m, v in times.items()}
    print(f"digits, baseline CNN ({len(data.x_train)} training images), {epochs} epochs, median of {repeats}")
    print(f"fit without health:         {med[0]:.3f} s")
    print(f"fit, health every epoch:    {med[1]:.3f} s   ratio {med[1] / med[0]:.3f} (goal <= 1.05)")
    print(f"fit, health every 2 epochs: {med[2]:.3f} s   ratio {med[2] / med[0]:.3f}")
    print(f"time inside the health callback (every epoch): {statistics.median(inside):.1%} of fit "
          f"(a direct measure, steadier than the ratio of two noisy fit times)")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
