"""Does a trial cost the same at trial 500 as at trial 10? Measured in one run on this machine.

    python benchmarks/growth.py [trials] [n_train]      (default: 500 trials of one epoch on 300 training digits)

Runs one study of `trials` one-epoch trials, timing each trial from its `trial_started` event to the next one's (the
last: to the end of the search), and subtracting its fit (`fit_seconds`: the epoch's training and validation, as the
trial records it). Prints the median time outside the fit for trials 10-40 and for the last 30, their ratio (goal:
at most 1.10), the resident memory per trial, then the seconds `hpo-kit report` takes to build the report of the study
(goal: under 10 s) and the seconds to open its journal to resume (goal: under 2 s).
"""
import dataclasses, os, statistics, sys, tempfile, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")
import numpy as np
import optuna

from hpo_kit.backend import import_keras_quietly
from hpo_kit.config import StudyConfig
from hpo_kit.data import from_arrays, load_dataset
from hpo_kit.store.files import read_rows
from hpo_kit.study import run_study
from hpo_kit.study.open import open_study
from hpo_kit.training.train import rss_mb
from hpo_kit.views.report import build_report


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    n_train = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import_keras_quietly()
    d = load_dataset("digits")
    data = from_arrays(d.x_train[:n_train], d.y_train[:n_train], d.x_val[:100], d.y_val[:100], name="digits-small", seed=0)
    starts, rss = {}, []
    def listen(e):
        if e["event"] == "trial_started": starts[e["trial"]] = time.perf_counter()
        if e["event"] == "trial_finished": rss.append(rss_mb())
    with tempfile.TemporaryDirectory() as folder:
        cfg = StudyConfig(trials=trials, max_epochs=1, output=folder, study="growth", refit=False, seed=0)
        res = run_study(cfg, on_event=listen, data=data)
        end = time.perf_counter()
        rows = {int(r["number"]): r for r in read_rows(res.root / "trials.csv")}
        fit = {n: float(r["fit_seconds"] or 0) for n, r in rows.items()}
        inside = {n: float(r["seconds"] or 0) - fit[n] for n, r in rows.items()}  # in train_trial, around the fit
        numbers = sorted(starts)
        outside = [(starts[b] if b is not None else end) - starts[a] - fit.get(a, 0.0)
                   for a, b in zip(numbers, numbers[1:] + [None])]
        early, late = statistics.median(outside[10:41]), statistics.median(outside[-30:])
        print(f"{len(numbers)} trials; time outside the fit per trial (median): trials 10-40 {early * 1000:.0f} ms, "
              f"last 30 {late * 1000:.0f} ms, ratio {late / early:.2f} (goal <= 1.10)")
        part = lambda ns: statistics.median(inside.get(n, 0.0) for n in ns) * 1000
        print(f"  of which in train_trial around the fit (building, health, saving): {part(numbers[10:41]):.0f} ms, then "
              f"{part(numbers[-30:]):.0f} ms; the rest (sampling, the journal, results files, events): "
              f"{early * 1000 - part(numbers[10:41]):.0f} ms, then {late * 1000 - part(numbers[-30:]):.0f} ms")
        size = lambda ns: statistics.median(float(rows[n]["params_count"] or 0) for n in ns if n in rows)
        print(f"  the models sampled (median parameters): {size(numbers[10:41]):,.0f} in trials 10-40, {size(numbers[-30:]):,.0f} in the last 30 "
              "(building, checkpointing and saving grow with them)")
        slope = np.polyfit(np.arange(len(rss)), rss, 1)[0]
        print(f"resident memory: {rss[0]:.0f} MiB after the first trial, {rss[-1]:.0f} MiB after the last ({slope * 1024:.0f} KiB per trial)")
        t = time.perf_counter(); build_report(res.root); print(f"report of {len(numbers)} trials: {time.perf_counter() - t:.2f} s (goal < 10 s)")
        t = time.perf_counter(); open_study(dataclasses.replace(cfg, dataset="arrays"), res.root); print(f"journal opened to resume: {time.perf_counter() - t:.2f} s (goal < 2 s)")


if __name__ == "__main__":
    main()
