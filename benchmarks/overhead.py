"""Share of a study's wall time spent outside training, and RSS growth per trial, measured in one run.

    python benchmarks/overhead.py [trials] [max_epochs]      (default: 30 trials of up to 8 epochs on digits)

8 epochs per trial is the benchmark's first default (until 2026-12-02 it ran 12 trials x 8 epochs); 30 trials is issue
12's memory window. Fewer epochs per trial weigh each trial's fixed costs more (`overhead.py 30 4`).

Goal (issue 12, "outside model.fit"): at most 10% of the search's wall time outside the fit calls (building and
compiling each model, the final health, saving the model, results and the journal; the fit call holds the epochs with
their per-epoch health probes and checkpoints, as `model.fit` holds its callbacks), and RSS growth of at most 5 MiB per
trial over 30 trials. Also printed: the stricter share outside the training and validation steps alone (what
`fit_seconds` counts: it adds the health probes and checkpoints to the overhead), and the share of the first epochs'
tracing, which both shares count as training (each trial's first epoch minus the median of its later ones). Shares
are of run_study (the search; refit is off, since the final model's training is not overhead); the slope of resident
memory over trials is least squares.
"""
import time
T_PROCESS = time.perf_counter()
import sys, tempfile
from pathlib import Path

import numpy as np
import optuna

import hpo_kit.training.train
from hpo_kit.config import StudyConfig
from hpo_kit.store.files import read_rows
from hpo_kit.study import run_study

FIT_CALLS = []

def _timed(fit):
    "`fit` that adds the wall time of each call to FIT_CALLS (the benchmark's only instrument)."
    def timed(*args, **kw):
        t = time.perf_counter()
        try: return fit(*args, **kw)
        finally: FIT_CALLS.append(time.perf_counter() - t)
    return timed


def _first_epoch_extra(history:Path)->float:
    "How much longer a trial's first epoch took than the median of its later ones: mostly tracing the steps."
    secs = [float(r["seconds"]) for r in read_rows(history)]
    return max(0.0, secs[0] - float(np.median(secs[1:]))) if len(secs) > 1 else 0.0


def main(trials=30, max_epochs=8):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    t_import = time.perf_counter()
    from hpo_kit.backend import import_keras
    import_keras()  # timed apart: a fixed cost of every process, whatever the study's size
    t_import = time.perf_counter() - t_import
    hpo_kit.training.train.fit = _timed(hpo_kit.training.train.fit)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        res = run_study(StudyConfig(trials=trials, max_epochs=max_epochs, pruner="none", refit=False, output=out, seed=0))
        t_study = time.perf_counter() - t0
        rows = read_rows(Path(res.root) / "trials.csv")
        tracing = sum(_first_epoch_extra(p) for p in (Path(res.root) / "trials").glob("*/history.csv"))
    t_total = time.perf_counter() - T_PROCESS
    steps, in_fit = sum(float(r["fit_seconds"] or 0) for r in rows), sum(FIT_CALLS)
    rss = np.array([float(r["rss_mb"]) for r in rows if r["rss_mb"]])
    slope = np.polyfit(np.arange(len(rss)), rss, 1)[0] if len(rss) > 1 else float("nan")
    print(f"trials {len(rows)} x up to {max_epochs} epochs on digits; epochs trained {res.summary['epochs_trained']}")
    print(f"wall: process {t_total:.1f} s (TensorFlow import {t_import:.1f} s), run_study {t_study:.1f} s, "
          f"in fit calls {in_fit:.1f} s, in training and validation steps {steps:.1f} s")
    print(f"share outside the fit calls: {1 - in_fit / t_study:.1%} of run_study, {1 - in_fit / t_total:.1%} of the process (goal <= 10%)")
    print(f"share outside the steps (adds per-epoch health probes and checkpoints): {1 - steps / t_study:.1%} of run_study")
    print(f"tracing in the first epochs (counted as training by both shares): {tracing / t_study:.1%} of run_study")
    print(f"overhead per trial: {(t_study - in_fit) / len(rows) * 1000:.0f} ms outside fit, {(in_fit - steps) / len(rows) * 1000:.0f} ms in fit "
          f"outside the steps; an epoch's steps take {steps / max(res.summary['epochs_trained'], 1) * 1000:.0f} ms")
    print(f"RSS: {rss[0]:.0f} MiB after trial 0, {rss[-1]:.0f} MiB after trial {len(rss) - 1}; growth {slope:.1f} MiB per trial (goal <= 5)")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
