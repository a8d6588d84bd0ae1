"""Health through whole studies: health mode from the CLI, user weights honoured, health-aware pruning, diagnoses."""
import json, math, subprocess

import optuna

from hpo_kit.config.choices import HEALTH_METRICS
from hpo_kit.config import StudyConfig
from hpo_kit.store.files import read_rows
from hpo_kit.study.open import open_study
from hpo_kit.study import run_study

optuna.logging.set_verbosity(optuna.logging.WARNING)
HEALTH_COLS = [f"health_{m}" for m in HEALTH_METRICS] + ["health_overall"]


def test_health_mode_run_writes_health_and_a_diagnosis_for_every_trial(tmp_path):
    r = subprocess.run(["hpo-kit", "run", "dataset=digits", "mode=health", "health_weight=0.3", "trials=8", f"output={tmp_path}"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    root = tmp_path / "digits-health"
    rows = read_rows(root / "trials.csv")
    summary = json.loads((root / "summary.json").read_text())
    assert len(rows) >= 8 and summary["epochs_trained"] <= 8 * 10  # at least the trials asked for, within their epoch budget
    assert set(HEALTH_COLS) <= set(rows[0]) and "diagnosis" in rows[0]
    for row in rows:
        assert row["diagnosis"], row  # every trial, pruned or rejected ones included
        assert (root / "trials" / row["number"] / "diagnosis.md").exists()
        if int(row["epochs"] or 0):
            six = [float(row[f"health_{m}"]) for m in HEALTH_METRICS]  # hpo-kit's CNN: every metric can be measured
            assert all(math.isfinite(v) for v in six), row
            assert math.isclose(float(row["health_overall"]), sum(six) / 6, abs_tol=1e-9), row  # equal weights: their plain mean
            history = read_rows(root / "trials" / row["number"] / "history.csv")
            assert all(math.isfinite(float(h["health_overall"])) for h in history)  # measured every epoch
    best_number = str(summary["best_trial"])
    best = next(r for r in rows if r["number"] == best_number)
    # the health-mode score is the blend of validation accuracy and overall health
    hist = read_rows(root / "trials" / best["number"] / "history.csv")
    val = max(float(h["val_accuracy"]) for h in hist)
    assert abs(float(best["value"]) - (0.7 * val + 0.3 * float(best["health_overall"]))) < 1e-6
    assert "Diagnosis of the best trial" in r.stdout and "overall health" in r.stdout


def test_user_health_weights_are_honoured(tmp_path):
    cfg = StudyConfig(trials=2, max_epochs=2, mode="health", output=str(tmp_path),
                      health_weights=dict(gradient_health=0.5, neuron_utilization=0.5))
    res = run_study(cfg)
    for row in read_rows(res.root / "trials.csv"):
        expect = 0.5 * float(row["health_gradient_health"]) + 0.5 * float(row["health_neuron_utilization"])
        assert abs(float(row["health_overall"]) - expect) < 1e-9


def test_learning_rate_10_is_pruned_as_exploding(tmp_path):
    cfg = StudyConfig(trials=1, max_epochs=5, output=str(tmp_path))
    study = open_study(cfg)
    study.enqueue_trial(dict(conv_blocks=2, filters=32, kernel_size=3, batch_norm=True, pooling="max", augment=0.0,
                             activation="relu", dense_layers=1, dense_units=128, dropout=0.2, optimizer="adam",
                             learning_rate=10.0, batch_size=64, schedule="constant", label_smoothing=0.0, clipnorm=10.0))
    res = run_study(cfg)
    row = read_rows(res.root / "trials.csv")[0]
    assert row["state"] == "PRUNED" and row["reason"].startswith("exploding gradients at epoch 1"), row
    assert float(row["health_gradient_health"]) < 0.3 and float(row["health_training_stability"]) < 0.3
    assert "Exploding gradients" in row["diagnosis"]


def test_health_can_be_switched_off_in_simple_mode(tmp_path):
    res = run_study(StudyConfig(trials=1, max_epochs=2, health_every=0, output=str(tmp_path)))
    row = read_rows(res.root / "trials.csv")[0]
    assert row["state"] == "COMPLETE" and "health_overall" not in row and not row["diagnosis"]
    assert not (res.root / "trials" / "0" / "health.jsonl").exists()
