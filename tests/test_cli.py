"""The hpo-kit command as a user runs it: a real subprocess, real training on the bundled digits."""
import csv, json, subprocess

import keras
import numpy as np
import pytest
import yaml

HPO = ["hpo-kit"]


def hpo(*args, cwd=None):
    return subprocess.run([*HPO, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def rows(path):
    with open(path, newline="") as f: return list(csv.DictReader(f))


@pytest.mark.parametrize("args,message", [
    (["trails=5"], "Did you mean 'trials'"),
    (["dataset=minst"], "Did you mean 'mnist'? Valid choices: digits, mnist"),
    (["trials=0"], "trials=0 is out of range: it must be at least 1"),
    (["health_weight=1.5"], "health_weight=1.5 is out of range: it must be between 0 and 1"),
    (["objective=overall_health"], "needs mode=health. In mode=simple choose one of: val_accuracy"),
    (["activation_override=relux"], "Did you mean 'relu'"),
    (["max_epochs=ten"], "max_epochs='ten' is not a whole number"),
    (["preset=fast"], "preset='fast' is not valid. Valid choices: quick, balanced, thorough"),
])
def test_bad_options_fail_before_any_work(tmp_path, args, message):
    r = hpo("run", *args, f"output={tmp_path}")
    assert r.returncode == 2, r.stderr
    assert message in r.stderr, r.stderr
    assert not any(tmp_path.iterdir()), "nothing may be written for an invalid configuration"


def test_datasets_lists_modality_and_shape():
    r = hpo("datasets")
    assert r.returncode == 0
    lines = {l.split()[0]: l for l in r.stdout.splitlines()}
    assert set(lines) == {"digits", "mnist", "fashion_mnist", "cifar10", "cifar100", "gtsrb", "imdb", "reuters"}
    assert "image" in lines["cifar10"] and "32x32x3" in lines["cifar10"] and "text" in lines["imdb"]


# Batch 16 on digits: 72 steps an epoch, so the pruner may judge a trial from its third epoch (MIN_STEPS, 200 steps) of six,
# as when this acceptance run was written; the automatic batch size on digits is now 32 (36 steps: the sixth epoch).
BATCH_16 = "space={batch_size: 16}"


def test_acceptance_run_then_continue(tmp_path):
    """The issue's acceptance run: 10 trials of 6 epochs on digits with the median pruner, then 2 more."""
    r = hpo("run", "dataset=digits", "trials=10", "max_epochs=6", "seed=0", "pruner=median", BATCH_16, f"output={tmp_path}")
    assert r.returncode == 0, r.stderr[-2000:]
    root = tmp_path / "digits-simple"
    assert f"Study folder: {root}" in r.stdout and "Best trial" in r.stdout
    assert "10/10" in r.stderr  # the progress bar counted every trial
    for f in ("config.yaml", "journal.log", "trials.csv", "best_hyperparameters.yaml", "best_model.keras", "summary.json"):
        assert (root / f).exists(), f

    summary = json.loads((root / "summary.json").read_text())
    assert {"best_value", "best_params", "test_accuracy", "wall_seconds", "epochs_trained", "trials", "versions"} <= set(summary)
    assert summary["test_accuracy"] >= 0.95
    assert sum(summary["trials"].values()) >= 10 and summary["trials"].get("PRUNED", 0) >= 1
    assert summary["epoch_budget"] == 60 and summary["epochs_trained"] <= 60  # pruned epochs bought extra trials, within the budget
    assert {"tensorflow", "keras", "optuna", "hpo_kit"} <= set(summary["versions"])

    table = rows(root / "trials.csv")
    assert [int(r["number"]) for r in table] == list(range(len(table)))
    assert {"number", "state", "value", "epochs", "seconds", "params_count", "reason"} <= set(table[0])
    assert summary["epochs_trained"] == sum(int(r["epochs"]) for r in table)
    for r in table:
        if r["state"] == "PRUNED":
            assert r["reason"], r  # pruned by the pruner, or rejected over budget, always with a reason
            assert int(r["epochs"]) < 6  # never at the last epoch, when pruning saves nothing
        history = root / "trials" / r["number"] / "history.csv"
        if int(r["epochs"] or 0):
            assert len(rows(history)) == int(r["epochs"])  # one history row per epoch trained

    best = yaml.safe_load((root / "best_hyperparameters.yaml").read_text())
    assert best["trial"] == summary["best_trial"] and best["params"] == summary["best_params"]
    assert best["fixed"] == dict(dataset="digits", mode="simple", objective="val_accuracy", activation_override=None, max_epochs=6, seed=0)

    # best_model.keras is the best trial's own model: its validation accuracy is the recorded best value.
    from hpo_kit.data import load_dataset
    ds = load_dataset("digits", seed=0)
    model = keras.saving.load_model(root / "best_model.keras", compile=False)
    val_acc = float(np.mean(model.predict(ds.x_val, verbose=0).argmax(1) == ds.y_val))
    assert abs(val_acc - summary["best_value"]) < 1e-4

    r2 = hpo("run", "dataset=digits", "trials=12", "max_epochs=6", "seed=0", "pruner=median", BATCH_16, f"output={tmp_path}")
    assert r2.returncode == 0, r2.stderr[-2000:]
    table2 = rows(root / "trials.csv")
    keep = ("number", "state", "value", "epochs", "params_count")
    assert [{k: r[k] for k in keep} for r in table2[:len(table)]] == [{k: r[k] for k in keep} for r in table]
    summary2 = json.loads((root / "summary.json").read_text())
    assert sum(summary2["trials"].values()) >= 12 and summary["epochs_trained"] < summary2["epochs_trained"] <= 72


def test_changed_config_is_refused_with_a_diff(tmp_path):
    assert hpo("run", "trials=1", "max_epochs=1", f"output={tmp_path}", "--quiet").returncode == 0
    r = hpo("run", "trials=2", "max_epochs=3", f"output={tmp_path}")
    assert r.returncode == 2 and "max_epochs: 1 -> 3" in r.stderr
    r = hpo("resume", str(tmp_path / "digits-simple"), "trials=2", "--quiet")
    assert r.returncode == 0 and "Trials: 2 complete" in r.stdout


def test_a_preset_fills_the_budget_and_explicit_options_win(tmp_path):
    r = hpo("run", "preset=quick", "trials=2", f"output={tmp_path}", "--quiet")
    assert r.returncode == 0, r.stderr[-2000:]
    saved = yaml.safe_load((tmp_path / "digits-simple" / "config.yaml").read_text())
    assert (saved["trials"], saved["max_epochs"], saved["pruner"], saved["mode"]) == (2, 4, "none", "simple")  # resolved, trials given
    assert "preset" not in saved
    r = hpo("datasets", "digits", "--out", str(tmp_path))  # and the preview of the data it ran on
    assert r.returncode == 0 and "training examples per class" in r.stdout and (tmp_path / "digits-samples.png").exists()
    rng = np.random.default_rng(0)  # an .npz of one's own, with one class five times the other
    y = np.r_[np.zeros(100), np.ones(20)].astype(int)
    np.savez(tmp_path / "mine.npz", x_train=rng.integers(0, 255, (120, 6, 6)), y_train=y, x_test=rng.integers(0, 255, (20, 6, 6)), y_test=y[::6])
    r = hpo("datasets", str(tmp_path / "mine.npz"), "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("mine: image, input 6x6x1, 2 classes") and "imbalanced: class 0 has 5.0x" in r.stdout
    assert (tmp_path / "mine-samples.png").read_bytes().startswith(b"\x89PNG")
