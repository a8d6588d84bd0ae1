"""A model that arrives compiled trains with Keras's own `model.fit`: its loss (a focal loss), its metrics (top-3 accuracy)
and its own `train_step` (a subclass adding a penalty it logs) are what train it, and what hpo-kit records. Each is checked
against `model.fit` run here by hand on the same weights and the same batches (each epoch's order drawn from (seed, epoch),
as the pipeline documents it); then a study interrupted after its first checkpointed epoch and resumed continues with the
losses an uninterrupted study reaches."""
import math

import keras
import numpy as np
import optuna
import pytest

import own_models
from hpo_kit.config import StudyConfig
from hpo_kit.data import load_dataset
from hpo_kit.store.files import read_rows
from hpo_kit.study import resume_study, run_study
from hpo_kit.training.own_model import HyperParameters

EPOCHS, FNS = 3, ["focal_cnn", "top3_cnn", "penalized_cnn"]


def config(tmp_path, study):
    return StudyConfig(trials=1, max_epochs=EPOCHS, pruner="none", refit=False, seed=0, patience=EPOCHS, output=str(tmp_path), study=study)


def by_hand(fn: str, params: dict, data, epochs: int) -> tuple:
    "The same model trained with `model.fit` here: seed 0 (the study's seed + trial 0), each epoch's rows in the order of (seed, epoch)."
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = getattr(own_models, fn)(HyperParameters(optuna.trial.FixedTrial(params)), data)
    y = keras.utils.to_categorical(data.y_train, data.num_classes) if fn == "focal_cnn" else data.y_train
    logs = []
    for e in range(epochs):
        order = np.random.default_rng((0, e)).permutation(len(data.y_train))
        h = model.fit(data.x_train[order], y[order], batch_size=params["batch_size"], epochs=e + 1, initial_epoch=e, shuffle=False, verbose=0)
        logs.append({k: v[-1] for k, v in h.history.items()})
    return logs, model


@pytest.mark.parametrize("fn", FNS)
def test_compiled_model_trains_with_its_own_loss_metrics_and_step(tmp_path, fn):
    data = load_dataset("digits", seed=0)
    res = run_study(config(tmp_path, fn), model_fn=getattr(own_models, fn))
    rows = read_rows(res.root / "trials" / "0" / "history.csv")
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    expected, model = by_hand(fn, res.summary["best_params"], data, EPOCHS)
    names = {"focal_cnn": ["loss", "accuracy"], "top3_cnn": ["loss", "accuracy", "top3"], "penalized_cnn": ["loss", "penalty"]}[fn]
    for row, logs in zip(rows, expected):
        for k in names:
            assert math.isclose(float(row[k]), float(logs[k]), rel_tol=1e-4, abs_tol=1e-6), (k, row[k], logs[k])
    if fn == "penalized_cnn":  # no compiled metric gives accuracy: hpo-kit measures it on the validation split
        assert all(float(r["loss"]) > float(r["penalty"]) > 0 for r in rows)
        val = np.mean(model.predict(data.x_val, verbose=0).argmax(1) == data.y_val)
        assert math.isclose(float(rows[-1]["val_accuracy"]), val, abs_tol=1e-6), (rows[-1]["val_accuracy"], val)
    assert res.summary["trials"] == {"COMPLETE": 1}


@pytest.mark.parametrize("fn", FNS)
def test_compiled_model_resumes_with_the_same_losses(tmp_path, fn):
    whole = run_study(config(tmp_path, f"{fn}-whole"), model_fn=getattr(own_models, fn))
    uninterrupted = read_rows(whole.root / "trials" / "0" / "history.csv")

    def stop_after_first_checkpoint(e):
        if e["event"] == "checkpoint_saved" and e["epoch"] == 1: raise KeyboardInterrupt
    cut = run_study(config(tmp_path, f"{fn}-cut"), on_event=stop_after_first_checkpoint, model_fn=getattr(own_models, fn))
    assert cut.interrupted
    resumed = resume_study(cut.root, model_fn=getattr(own_models, fn))
    rows = read_rows(resumed.root / "trials" / "1" / "history.csv")  # the retry of trial 0
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    for r, u in zip(rows, uninterrupted):
        assert math.isclose(float(r["loss"]), float(u["loss"]), rel_tol=1e-4), (r["epoch"], r["loss"], u["loss"])
