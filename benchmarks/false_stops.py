"""How often the chance-level stop would end a trial that would have finished well, measured in one run on this machine.

    python benchmarks/false_stops.py [--tasks noisy_text,noisy_text_small,order_text_small,distorted_digits]
                                     [--seeds 0,1] [--trials 16] [--max-epochs 8]

Runs each task's study with random sampling, no pruner, no early stopping and the chance-level stop switched off,
so every trial trains its whole budget. Then it replays each trial's history through the stop rule
(`training.callbacks.stuck_at_chance`) at several settings of its two thresholds (gradient steps before judging;
the loss fall that counts as learning), and through the rule of earlier releases (at chance after the first epoch).
For each it prints the trials stopped, the false stops (stopped trials whose final value beat their study's median;
goal: at most 5% of the trials stopped) and the epochs the stops save.
"""
import argparse, math, os, statistics, sys, tempfile, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))

import optuna

import tasks
from hpo_kit.backend import import_keras_quietly
from hpo_kit.config import StudyConfig
from hpo_kit.data import from_arrays
from hpo_kit.health.metrics import chance_level
from hpo_kit.store.files import read_rows
from hpo_kit.store.journal import journal_storage
from hpo_kit.study import run_study
from hpo_kit.training import callbacks
from hpo_kit.training.callbacks import LOSS_FALLING, MIN_STEPS, chance_band, stuck_at_chance

RULES = {f"{s} steps, loss falls < {f:.1%}": dict(min_steps=s, falling=f) for s in (100, MIN_STEPS, 400) for f in (0.01, 0.003, 0.001)}


def _floats(row):
    return {k: float(v) for k, v in row.items() if k in ("loss", "accuracy", "val_accuracy")}


def trial_runs(task, seed, trials, max_epochs):
    "For each trial of one study trained to the end: (its history rows, steps per epoch, its value); and the data's sizes."
    data = from_arrays(*tasks.TASKS[task](seed), name=task, seed=seed)
    with tempfile.TemporaryDirectory() as d:
        res = run_study(StudyConfig(trials=trials, max_epochs=max_epochs, patience=max_epochs, pruner="none", sampler="random", seed=seed,
                                    refit=False, health_every=0, output=d, study=task), data=data)
        runs = []
        for t in optuna.load_study(study_name=task, storage=journal_storage(res.root)).trials:
            rows = [_floats(r) for r in read_rows(res.root / "trials" / str(t.number) / "history.csv")]
            if t.state.name == "COMPLETE" and rows:
                runs.append((rows, math.ceil(len(data.y_train) / t.user_attrs["params"]["batch_size"]), t.value))
    return runs, chance_level(data.y_train, data.num_classes), len(data.y_train), len(data.y_val)


def first_epoch_rule(rows, chance, n_train, n_val, steps):
    "The rule of earlier releases: at chance after the first epoch."
    r = rows[0]
    return 1 if r["val_accuracy"] <= chance_band(chance, n_val) and r["accuracy"] <= chance_band(chance, n_train) else None


def stop_epoch(rows, chance, n_train, n_val, steps, **rule):
    "The epoch the rule would stop the trial of `rows` at (never its last: the `Guard` does not stop a trial there), or None."
    return next((e for e in range(1, len(rows)) if stuck_at_chance(rows[:e], chance, n_train, n_val, steps, **rule)), None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="noisy_text,noisy_text_small,order_text_small,distorted_digits")
    ap.add_argument("--seeds", default="0,1"); ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--max-epochs", type=int, default=8)
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import_keras_quietly()
    callbacks.stuck_at_chance = lambda *args, **kw: None  # every trial trains its whole budget; the rule is replayed below
    studies = [trial_runs(t, int(s), a.trials, a.max_epochs) for t in a.tasks.split(",") for s in a.seeds.split(",")]
    rules = {"at chance after epoch 1 (earlier releases)": first_epoch_rule} | {n: (lambda *x, r=r: stop_epoch(*x, **r)) for n, r in RULES.items()}
    total = sum(len(runs) for runs, *_ in studies)
    print(f"{total} trials in {len(studies)} studies ({a.tasks}; seeds {a.seeds}; {a.trials} trials x {a.max_epochs} epochs, random sampling)")
    for name, rule in rules.items():
        stopped = false = saved = 0
        for runs, chance, n_train, n_val in studies:
            median = statistics.median(v for *_, v in runs)
            for rows, steps, value in runs:
                e = rule(rows, chance, n_train, n_val, steps)
                if e is None: continue
                stopped, false, saved = stopped + 1, false + (value > median), saved + len(rows) - e
        share = false / stopped if stopped else 0.0
        mark = " <- in force" if name == f"{MIN_STEPS} steps, loss falls < {LOSS_FALLING:.1%}" else ""
        print(f"{name:<44} stops {stopped:3d}, false stops {false:3d} ({share:5.1%}, goal <= 5%), epochs saved {saved:4d}{mark}")


if __name__ == "__main__":
    main()
