"""The epoch budget, the final model (refit and ensemble) and the test-split policy, on real small studies."""
import math

import numpy as np
import optuna

from hpo_kit.config import StudyConfig
from hpo_kit.data import load_dataset
from hpo_kit.training.models import count_params
from hpo_kit.backend import import_keras
from hpo_kit.store.files import read_rows
from hpo_kit.study import run_study

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _rows(res):
    return read_rows(res.root / "trials.csv")


def test_the_budget_is_spent_and_never_exceeded(tmp_path):
    # patience 1 stops trials early; the epochs they save go to more trials, up to trials x max_epochs and no further.
    # Batch 16: 72 steps an epoch, so early stopping may act from the third epoch of five (MIN_STEPS, 200 steps)
    cfg = StudyConfig(trials=4, max_epochs=5, patience=1, pruner="none", output=str(tmp_path), refit=False, space={"batch_size": 16})
    res = run_study(cfg)
    rows = _rows(res)
    used = sum(int(r["epochs"]) for r in rows)
    assert res.summary["epochs_trained"] == used <= 20 == res.summary["epoch_budget"]
    assert len(rows) >= 4
    assert any(r["reason"].startswith("early stopped") for r in rows)
    assert 20 - used < 5  # the epochs early stopping saved went to more trials, until less than one trial's epochs were left


def test_architectures_over_max_params_are_skipped_not_counted(tmp_path):
    data = load_dataset("digits")
    # with filters 16..64 and dense units 32..512, only the smallest architectures fit in 40,000 parameters
    cfg = StudyConfig(trials=3, max_epochs=2, max_params=40_000, output=str(tmp_path), refit=False, pruner="none",
                      space={"conv_blocks": 1, "pooling": "flatten", "dense_units": [32, 512, "log"]})
    res = run_study(cfg, data=data)
    rows = _rows(res)
    skipped = [r for r in rows if r["state"] == "SKIPPED"]
    trained = [r for r in rows if r["state"] != "SKIPPED"]
    assert skipped, "the space was chosen so that some samples exceed the budget"
    assert len(trained) >= 3 and sum(r["state"] == "COMPLETE" for r in trained) >= 3
    for r in skipped:
        assert int(r["params_count"]) > 40_000 and r["reason"].startswith("skipped") and r["epochs"] == ""
        assert not (res.root / "trials" / r["number"] / "history.csv").exists()  # never built, never trained
    for r in trained: assert int(r["params_count"]) <= 40_000
    assert res.summary["trials"]["SKIPPED"] == len(skipped)


def test_refit_trains_on_train_and_validation_for_the_best_epoch(tmp_path):
    data = load_dataset("digits")
    res = run_study(StudyConfig(trials=2, max_epochs=4, output=str(tmp_path)), data=data)
    final, best = res.summary["final"], res.summary["best_trial"]
    history = read_rows(res.root / "trials" / str(best) / "history.csv")
    accs = [float(r["val_accuracy"]) for r in history]
    assert final["kind"] == "refit" and final["best_trial"] == best
    assert final["epochs"] == int(np.argmax(accs)) + 1  # the epoch its weights were restored to
    refit_rows = read_rows(res.root / "final" / "history.csv")
    assert len(refit_rows) == final["epochs"] and "val_accuracy" not in refit_rows[0]  # no validation data is held out
    # every step of every refit epoch saw training + validation examples: the optimizer's step count says how many batches
    model = import_keras().saving.load_model(res.root / "final_model.keras")
    batch = res.summary["best_params"]["batch_size"]
    assert int(model.optimizer.iterations) == final["epochs"] * math.ceil((len(data.y_train) + len(data.y_val)) / batch)
    assert res.test_accuracy == final["final_test"]["test_accuracy"] > 0.8
    assert np.array(final["final_test"]["confusion"]).sum() == data.n_test


def test_ensemble_averages_the_best_trials(tmp_path):
    data = load_dataset("digits")
    res = run_study(StudyConfig(trials=3, max_epochs=2, pruner="none", ensemble=3, refit=False, output=str(tmp_path)), data=data)
    final = res.summary["final"]
    done = [int(r["number"]) for r in _rows(res) if r["state"] == "COMPLETE"]
    assert final["kind"] == "ensemble" and len(final["members"]) == min(3, len(done)) and final["members"][0] == res.summary["best_trial"]
    keras = import_keras()
    model = keras.saving.load_model(res.root / "final_model.keras", compile=False)
    members = [l for l in model.layers if l.name.startswith("member_")]
    assert len(members) == len(final["members"])
    x = data.x_val[:32]
    own = [keras.saving.load_model(res.root / "trials" / str(n) / "model.keras", compile=False).predict(x, verbose=0) for n in final["members"]]
    np.testing.assert_allclose(model.predict(x, verbose=0), np.mean(own, axis=0), atol=1e-5)


def test_the_search_never_reads_the_test_split(tmp_path):
    data = load_dataset("digits")
    reads = []
    def watch(e):
        if e["event"] in ("trial_finished", "final_started"): reads.append(data.test_reads)
    start = data.test_reads
    res = run_study(StudyConfig(trials=3, max_epochs=2, output=str(tmp_path)), on_event=watch, data=data)
    assert reads and all(r == start for r in reads)  # not one read during the search, nor before the final model
    assert data.test_reads - start == 2  # the best trial's model once, the refitted final model once
    again = run_study(StudyConfig(trials=3, max_epochs=2, output=str(tmp_path)), data=data)  # nothing to do: nothing read
    assert data.test_reads - start == 2 and again.test_accuracy == res.test_accuracy
    run_study(StudyConfig(trials=3, max_epochs=2, output=str(tmp_path), study="own", refit=False), data=data)
    assert data.test_reads - start == 3  # without refit the final model is the best trial's own: one read


MOMENTS = [("study_started", None), ("checkpoint_saved", 1), ("trial_finished", None), ("final_started", None), ("refit_epoch", 1)]


def test_an_interrupted_study_never_reads_the_test_split(tmp_path):
    "Interrupted before, during and after its trials, and during its final model's refit: no interruption reads the test split."
    data, fired = load_dataset("digits"), []
    start, cfg = data.test_reads, StudyConfig(trials=2, max_epochs=2, pruner="none", output=str(tmp_path))
    for kind, at in MOMENTS:
        def stop(e, kind=kind, at=at):
            if e["event"] == kind and at in (None, e.get("epoch", e.get("trial"))):
                fired.append(kind)
                raise KeyboardInterrupt
        try: res = run_study(cfg, on_event=stop, data=data)
        except KeyboardInterrupt: res = None  # before its trials started: the interrupt reaches the caller
        assert res is None or res.interrupted, kind
        assert data.test_reads == start, (kind, data.test_reads - start)
    assert fired == [k for k, _ in MOMENTS]  # every moment came, in this order
    done = run_study(cfg, data=data)
    assert not done.interrupted and done.summary["final"]["kind"] == "refit"
    assert data.test_reads - start == 2  # then once for the best trial's model, once for the final model


def test_count_params_matches_keras_for_the_default_spaces():
    from hpo_kit.training.models import build_model
    from hpo_kit.search.space import suggest_params
    data = load_dataset("digits")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=5))
    for _ in range(10):
        p = suggest_params(study.ask(), data, StudyConfig())
        assert count_params(p, data) == sum(int(np.prod(w.shape)) for w in build_model(p, data).trainable_weights)
