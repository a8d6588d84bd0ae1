"""Slow starters are judged by evidence: real trials on small, imbalanced data.

A model that predicts the majority class while its loss falls (it is learning the class prior, then the signal)
trains on; a model whose loss is flat at chance is stopped, but only once it has had `MIN_STEPS` gradient steps and
two epochs, with a reason that names the steps and the loss trend."""
import math

import numpy as np
import optuna
import pytest

from hpo_kit.config import StudyConfig
from hpo_kit.data import from_arrays
from hpo_kit.health.metrics import chance_level
from hpo_kit.search.space import baseline_params
from hpo_kit.store.files import read_rows
from hpo_kit.training.callbacks import LOSS_FALLING, MIN_STEPS, chance_band
from hpo_kit.training.train import train_trial


def imbalanced_texts(n: int, seed: int) -> tuple:
    "70/30 texts of 20 words from 400; in 60% of texts three cue words of the class's 30 stand among them."
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    x = rng.integers(2, 400, (n, 20))
    cued = rng.random(n) < 0.6
    for pos in (5, 9, 13):
        x[cued, pos] = np.where(y[cued] == 1, rng.integers(400, 430, cued.sum()), rng.integers(430, 460, cued.sum()))
    return x.astype(np.int32), y


@pytest.fixture(scope="module")
def data():
    (xtr, ytr), (xte, yte) = imbalanced_texts(1500, 0), imbalanced_texts(300, 1)
    return from_arrays(xtr, ytr, xte, yte, name="imbalanced", seed=0)


def train(data, tmp_path, epochs, patience=None, study=None, **params):
    config = StudyConfig(max_epochs=epochs, patience=patience or epochs, pruner="none", seed=0, health_every=0)
    trial = (study or optuna.create_study(direction="maximize")).ask()
    p = baseline_params(data, config, params.pop("encoder")) | dict(batch_size=16) | params
    try:
        train_trial(trial, p, data, config, tmp_path)
        stopped = None
    except optuna.TrialPruned:
        stopped = trial.user_attrs["reason"]
    return read_rows(tmp_path / "history.csv"), stopped


def test_falling_loss_at_the_majority_share_is_not_stopped(data, tmp_path):
    "Mean-pooled embeddings at a learning rate of 1e-3 predict the majority class for three epochs (225 steps) while their loss falls, then learn."
    rows, stopped = train(data, tmp_path, 8, learning_rate=1e-3, encoder="pooled")
    chance, steps = chance_level(data.y_train, data.num_classes), math.ceil(len(data.y_train) / 16)
    at_majority = [r for r in rows if float(r["val_accuracy"]) <= chance_band(chance, len(data.y_val))
                   and float(r["accuracy"]) <= chance_band(chance, len(data.y_train))]
    # the situation the rule is for: at the majority share past MIN_STEPS, with a falling loss
    assert len(at_majority) >= 3 and int(at_majority[-1]["epoch"]) * steps >= MIN_STEPS, rows
    losses = [float(r["loss"]) for r in at_majority]
    assert all(b < a * (1 - LOSS_FALLING) for a, b in zip(losses, losses[1:])), losses
    assert stopped is None and len(rows) == 8
    assert float(rows[-1]["val_accuracy"]) > chance_band(chance, len(data.y_val)), rows[-1]  # it did start to learn


def test_early_stopping_and_the_pruner_wait_for_a_slow_starter(data, tmp_path):
    """With a patience of 2, the same trial's flat majority-share accuracy (epochs 1-3) would end it at epoch 3, and a pruner that
    prunes every value below 0.8 would end it there too; its falling loss keeps it."""
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=0.8))  # prunes anything below 0.8
    rows, stopped = train(data, tmp_path, 8, patience=2, study=study, learning_rate=1e-3, encoder="pooled")
    assert stopped is None and len(rows) == 8, rows
    assert max(float(r["val_accuracy"]) for r in rows) > 0.8


def test_flat_loss_at_chance_is_stopped_after_the_minimum_steps(data, tmp_path):
    rows, stopped = train(data, tmp_path, 8, learning_rate=1e-7, encoder="pooled")
    steps = math.ceil(len(data.y_train) / 16)
    epochs = max(2, math.ceil(MIN_STEPS / steps))
    assert len(rows) == epochs, rows  # not one epoch earlier, not one later
    assert stopped.startswith(f"at chance after {epochs * steps:,} gradient steps ({epochs} epochs, {epochs * len(data.y_train):,} examples seen)")
    assert "the training loss is not falling" in stopped
