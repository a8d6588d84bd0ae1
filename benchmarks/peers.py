"""The peers of `vs_peers.py`: KerasTuner (RandomSearch, BayesianOptimization, Hyperband) and plain Optuna (TPE with
median pruning), each searching the space a competent user of that tool writes for a small CNN or a text classifier:

- images: 1-3 blocks of conv (16/32/64 filters, doubling) + batch norm + ReLU + max-pool, flatten or global average
  pooling, a dense layer of 32-512 units, dropout 0-0.5, Adam with learning rate 1e-4..1e-2 (log);
- text: an embedding of 32-128 dimensions, an LSTM of 32-128 units (optionally bidirectional), dropout 0-0.5,
  Adam with learning rate 1e-4..1e-2 (log).

Every peer trains on the same arrays (hpo-kit's stratified split), with batch size 32 (Keras's default), reports
validation accuracy each epoch, and scores its best model once on the test split.
"""
import time
import numpy as np


class _HP:
    "Optuna's trial behind KerasTuner's `hp` calls, so both tools search exactly the same space."
    def __init__(self, trial): self.t = trial
    def Int(self, name, lo, hi, sampling=None): return self.t.suggest_int(name, lo, hi, log=sampling == "log")
    def Float(self, name, lo, hi, sampling=None): return self.t.suggest_float(name, lo, hi, log=sampling == "log")
    def Choice(self, name, values): return self.t.suggest_categorical(name, list(values))
    def Boolean(self, name): return self.t.suggest_categorical(name, [True, False])


def build(hp, data):
    "The peer model for `data`, its hyperparameters asked through a KerasTuner-style `hp`."
    import keras
    L = keras.layers
    image = data.modality == "image"
    inp = keras.Input(data.input_shape, dtype="float32" if image else "int32")
    if image:
        x, filters = inp, hp.Choice("filters", [16, 32, 64])
        side = min(data.input_shape[:2])
        for i in range(hp.Int("conv_blocks", 1, 3 if side >= 8 else 2)):
            x = L.Conv2D(filters * 2 ** i, 3, padding="same")(x)
            x = L.Activation("relu")(L.BatchNormalization()(x))
            x = L.MaxPooling2D()(x)
        x = L.Flatten()(x) if hp.Choice("head", ["flatten", "global_avg"]) == "flatten" else L.GlobalAveragePooling2D()(x)
        x = L.Dense(hp.Int("units", 32, 512, sampling="log"), activation="relu")(x)
    else:
        x = L.Embedding(data.vocab_size, hp.Int("embedding_dim", 32, 128, sampling="log"), mask_zero=True)(inp)
        lstm = L.LSTM(hp.Int("lstm_units", 32, 128, sampling="log"))
        x = L.Bidirectional(lstm)(x) if hp.Boolean("bidirectional") else lstm(x)
    x = L.Dropout(hp.Float("dropout", 0.0, 0.5))(x)
    model = keras.Model(inp, L.Dense(data.num_classes, activation="softmax")(x))
    model.compile(keras.optimizers.Adam(hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _test_accuracy(model, data):
    return float(np.mean(model.predict(data.x_test, batch_size=256, verbose=0).argmax(1) == data.y_test))


def keras_tuner(kind, data, trials, max_epochs, seed, folder):
    "Run KerasTuner `kind` ('random', 'bayesian' or 'hyperband'); return (test accuracy, epochs trained)."
    import keras, keras_tuner as kt
    epochs = [0]
    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None): epochs[0] += 1
    common = dict(objective="val_accuracy", seed=seed, directory=folder, project_name=kind, overwrite=True)
    hypermodel = lambda hp: build(hp, data)
    if kind == "random": tuner = kt.RandomSearch(hypermodel, max_trials=trials, **common)
    elif kind == "bayesian": tuner = kt.BayesianOptimization(hypermodel, max_trials=trials, **common)
    else:  # factor 3, max_epochs 8: one iteration trains 49 epochs; two come nearest 12 x 8 = 96
        its = max(1, round(trials * max_epochs / hyperband_epochs(max_epochs)))
        tuner = kt.Hyperband(hypermodel, max_epochs=max_epochs, factor=3, hyperband_iterations=its, **common)
    keras.utils.set_random_seed(seed)
    tuner.search(data.x_train, data.y_train, epochs=max_epochs, batch_size=32, validation_data=(data.x_val, data.y_val),
                 callbacks=[Count()], verbose=0)
    return _test_accuracy(tuner.get_best_models(1)[0], data), epochs[0]


def hyperband_epochs(max_epochs, factor=3):
    "Epochs one KerasTuner Hyperband iteration trains (its bracket sizes, trials continued from their checkpoints)."
    import math
    n_brackets, e = 0, max_epochs
    while e >= 1: e, n_brackets = e / factor, n_brackets + 1
    end = math.ceil(1 + math.log(max_epochs, factor))
    total = 0
    for b in range(n_brackets):
        done = 0
        for r in range(b + 1):
            size = math.ceil(end / (b + 1) * factor ** (b - r))
            ep = math.ceil(max_epochs / factor ** (b - r))
            total += size * (ep - done); done = ep
    return total


def optuna_tpe(data, trials, max_epochs, seed, folder):
    "Plain Optuna: TPE, median pruning after each epoch, the best epoch's model kept; return (test accuracy, epochs trained)."
    import os, keras, optuna
    epochs, best, path = [0], dict(acc=-1.0), os.path.join(folder, "optuna-best.keras")
    def objective(trial):
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed + trial.number)
        model = build(_HP(trial), data)
        top = 0.0
        for e in range(max_epochs):
            h = model.fit(data.x_train, data.y_train, batch_size=32, epochs=1, validation_data=(data.x_val, data.y_val), verbose=0)
            epochs[0] += 1
            acc = h.history["val_accuracy"][-1]; top = max(top, acc)
            if acc > best["acc"]: best["acc"] = acc; model.save(path)
            trial.report(acc, e)
            if trial.should_prune(): raise optuna.TrialPruned()
        return top
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.MedianPruner())
    study.optimize(objective, n_trials=trials)
    return _test_accuracy(keras.saving.load_model(path), data), epochs[0]


def timed(fn, *a, **k):
    "`(seconds, fn(*a, **k))`."
    t = time.perf_counter(); out = fn(*a, **k)
    return time.perf_counter() - t, out
