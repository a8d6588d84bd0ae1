"""Share of a study's wall time spent outside training epochs, and RSS growth per trial, measured in one run.

    python benchmarks/overhead.py [trials] [max_epochs]

Goal: at most 10% of the search's wall time outside the epochs' training and validation (model building,
tracing, health, checkpoints, results), and RSS growth of at most 5 MiB per trial over 30 trials. Prints the
share for the whole process (imports included) and for run_study alone (the search; refit is off, since
the final model's training is not overhead), and the slope of resident memory over trials (least squares).
"""
import time
T_PROCESS = time.perf_counter()
import sys, tempfile
from pathlib import Path

import numpy as np
import optuna

from hpo_kit.config import StudyConfig
from hpo_kit.storage import read_rows
from hpo_kit.study import run_study


def main(trials=30, max_epochs=4):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    t_import = time.perf_counter()
    from hpo_kit.models import import_keras
    import_keras()  # timed apart: a fixed cost of every process, whatever the study's size
    t_import = time.perf_counter() - t_import
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        res = run_study(StudyConfig(trials=trials, max_epochs=max_epochs, pruner="none", refit=False, output=out, seed=0))
        t_study = time.perf_counter() - t0
        rows = read_rows(Path(res.root) / "trials.csv")
    t_total = time.perf_counter() - T_PROCESS
    fit = sum(float(r["fit_seconds"] or 0) for r in rows)
    rss = np.array([float(r["rss_mb"]) for r in rows if r["rss_mb"]])
    slope = np.polyfit(np.arange(len(rss)), rss, 1)[0] if len(rss) > 1 else float("nan")
    print(f"trials {len(rows)} x up to {max_epochs} epochs on digits; epochs trained {res.summary['epochs_trained']}")
    print(f"wall: process {t_total:.1f} s (TensorFlow import {t_import:.1f} s), run_study {t_study:.1f} s, inside epochs {fit:.1f} s")
    print(f"share outside the epochs: {1 - fit / t_study:.1%} of run_study, {1 - fit / t_total:.1%} of the process (goal <= 10%)")
    print(f"RSS: {rss[0]:.0f} MiB after trial 0, {rss[-1]:.0f} MiB after trial {len(rss) - 1}; growth {slope:.1f} MiB per trial")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
