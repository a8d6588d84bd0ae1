"""Does a study end within its time budget, does `hpo-kit plan` forecast what runs, and is the study's ETA right?
Measured in one run on this machine.

    python benchmarks/time_budget.py [--tasks digits,order_text,own_cnn] [--budgets 1m,3m,10m] [--max-epochs 8]

For each task and budget: the plan's forecast (`study.plan`, measured first, not counted in the study's time), then
the study with `time_budget` and a trials budget too large to matter. Prints the study's wall time against its
budget (goal: at most 1.05), the trials the plan forecast against those that ran (goal: within 30%), and the error
of the ETA each finished trial announced (`trial_finished`'s `eta`) from the third trial on, as a share of the
study's real duration (goal: at most 15%). `own_cnn` is a user's own model function (a small CNN whose width and
depth are searched) on the digits.
"""
import argparse, os, sys, tempfile, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))
import optuna

import tasks
from hpo_kit.backend import import_keras_quietly
from hpo_kit.config import StudyConfig
from hpo_kit.config.study_config import parse_duration
from hpo_kit.data import from_arrays
from hpo_kit.study import run_study
from hpo_kit.study.plan import plan


def own_cnn(hp, data):
    "A user's own CNN: `blocks` convolutions of `width` filters, global pooling, softmax."
    import keras
    inp = keras.Input(data.input_shape)
    x = inp
    for i in range(hp.Int("blocks", 1, 3)):
        x = keras.layers.Conv2D(hp.Int("width", 8, 64, sampling="log"), 3, padding="same", activation="relu", name=f"conv{i}")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, keras.layers.Dense(data.num_classes, activation="softmax", name="output")(x))


def task(name):
    "(dataset options, data, model function) of a task."
    if name == "own_cnn": return dict(dataset="digits"), None, own_cnn
    return {}, from_arrays(*tasks.TASKS[name](0), name=name, seed=0), None


def one(name, budget, max_epochs):
    "(budget s, wall s, trials forecast, trials run, worst ETA error as a share of the duration) of one study."
    options, data, fn = task(name)
    with tempfile.TemporaryDirectory() as d:
        cfg = StudyConfig(trials=100_000, max_epochs=max_epochs, time_budget=budget, output=d, study="bench", seed=0, **options)
        forecast = plan(cfg, data=data, model_fn=fn).trials
        etas = []
        def listen(e):
            if e["event"] == "trial_finished" and e.get("eta") is not None: etas.append((time.perf_counter(), e["eta"]))
        t0 = time.perf_counter()
        res = run_study(cfg, on_event=listen, data=data, model_fn=fn)
        end = time.perf_counter()
    ran = sum(n for s, n in res.summary["trials"].items() if s in ("COMPLETE", "PRUNED", "FAIL"))
    errors = [abs(t + eta - end) / (end - t0) for t, eta in etas[2:]]
    return parse_duration(budget), end - t0, forecast, ran, max(errors, default=float("nan"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="digits,order_text,own_cnn"); ap.add_argument("--budgets", default="1m,3m,10m")
    ap.add_argument("--max-epochs", type=int, default=8)
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import_keras_quietly()
    print(f"{'task':<12} {'budget':>7} {'wall s':>8} {'wall/budget':>11} {'forecast':>8} {'ran':>5} {'ran/forecast':>12} {'worst ETA error':>16}", flush=True)
    for name in a.tasks.split(","):
        for budget in a.budgets.split(","):
            b, wall, forecast, ran, err = one(name, budget, a.max_epochs)
            print(f"{name:<12} {budget:>7} {wall:>8.1f} {wall / b:>11.3f} {forecast:>8} {ran:>5} {ran / max(forecast, 1):>12.2f} {err:>15.1%}", flush=True)


if __name__ == "__main__":
    main()
