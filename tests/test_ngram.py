"""The n-gram bag encoder as a user meets it: a study of n-gram models on token ids and on raw strings builds,
trains (and learns), records its bag in architecture.json and its health, checkpoints every epoch, resumes a trial
killed mid-way with the same losses, and exports to every format with the predictions of the model it exports."""
import json, math

import numpy as np
import pytest

from hpo_kit.config import StudyConfig
from hpo_kit.data import from_arrays
from hpo_kit.store.files import read_rows
from hpo_kit.study import resume_config, run_study
from hpo_kit.training.architecture import read_architecture
from hpo_kit.training.export import export_model
from hpo_kit.views.network import architecture_3d
from hpo_kit.training.ngram import ngram_bins
from hpo_kit.training.own_model import load_saved

EPOCHS = 3


def texts(n: int, seed: int) -> tuple:
    "Twelve-word texts of 200 filler words; three of 20 cue words per class give the class away."
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.integers(3, 200, (n, 12))
    for pos in (2, 6, 10):
        x[:, pos] = np.where(y == 1, rng.integers(200, 220, n), rng.integers(220, 240, n))
    return x.astype(np.int32), y


def task(kind: str):
    (xtr, ytr), (xte, yte) = texts(600, 0), texts(200, 1)
    if kind == "strings":
        xtr, xte = ([" ".join(f"w{t}" for t in row) for row in x] for x in (xtr, xte))
    return from_arrays(xtr, ytr, xte, yte, name=f"cues-{kind}", seed=0)


def config(tmp_path, study, trials=1, **space):
    return StudyConfig(trials=trials, max_epochs=EPOCHS, patience=EPOCHS, pruner="none", seed=0, space={"encoder": "ngram", "batch_size": 16, **space},
                       output=str(tmp_path), study=study)


@pytest.mark.parametrize("kind", ["ids", "strings"])
def test_ngram_study_trains_records_and_exports(tmp_path, kind):
    data = task(kind)
    res = run_study(config(tmp_path, kind, trials=2), data=data)
    assert res.summary["trials"] == {"COMPLETE": 2}
    assert res.summary["best_params"]["encoder"] == "ngram" and "embedding_dim" not in res.summary["best_params"]
    assert res.summary["test_accuracy"] > 0.8  # the cue words are all it needs (chance: 0.5)
    folder = res.root / "trials" / "0"
    assert [int(r["epoch"]) for r in read_rows(folder / "history.csv")] == list(range(1, EPOCHS + 1))
    layers = {l["name"]: l for l in json.loads((folder / "architecture.json").read_text())["layers"]}
    assert layers["ngram_bag"]["type"] == "NGramBag" and layers["ngram_bag"]["setters"] == {"encoder": "ngram"}
    assert layers["ngram_bag"]["shape"][-1] == data.vocab_size + ngram_bins(data.vocab_size)
    health = [json.loads(l) for l in (folder / "health.jsonl").read_text().splitlines()]
    assert "output" in health[-1]["grad_rms"]  # the layer after the bag is measured like any other
    fig = architecture_3d(read_architecture(folder), overlay="gradient_rms")
    hovers = [h for t in fig.data for h in (getattr(t, "hovertext", None) or ())]
    assert any(h.startswith("<b>ngram_bag</b> (NGramBag + Dropout)") and "encoder=ngram" in h for h in hovers), hovers  # the bag's block
    layers_fig = architecture_3d(read_architecture(folder), overlay="gradient_rms", grouped=False)
    hovers = [h for t in layers_fig.data for h in (getattr(t, "hovertext", None) or ())]
    assert any(h.startswith("<b>ngram_bag</b> (NGramBag)") and "encoder=ngram" in h for h in hovers), hovers  # and the bag alone
    final = load_saved(res.root / "final_model.keras")
    expected = final.predict(data.x_test, verbose=0)
    for fmt in ("keras", "savedmodel", "tflite"):
        out = export_model(res.root, fmt)
        assert json.loads((out / "metadata.json").read_text())["format"] == fmt
    import tensorflow as tf
    lite = tf.lite.Interpreter(model_path=str(res.root / "exports" / "tflite" / "model.tflite"))
    lite.resize_tensor_input(0, list(data.x_test[:8].shape))
    lite.allocate_tensors()
    lite.set_tensor(lite.get_input_details()[0]["index"], data.x_test[:8].astype(np.int32))
    lite.invoke()
    np.testing.assert_allclose(lite.get_tensor(lite.get_output_details()[0]["index"]), expected[:8], atol=1e-5)


@pytest.mark.parametrize("kind", ["ids", "strings"])
def test_ngram_trial_killed_mid_way_resumes_with_the_same_losses(tmp_path, kind):
    data = task(kind)
    exact = dict(dropout=0.0)  # dropout's random state is not checkpointed: without it, a resumed trial repeats the same steps
    whole = read_rows(run_study(config(tmp_path, "whole", **exact), data=data).root / "trials" / "0" / "history.csv")

    def stop_after_first_checkpoint(e):
        if e["event"] == "checkpoint_saved" and e["epoch"] == 1: raise KeyboardInterrupt
    cut = run_study(config(tmp_path, "cut", **exact), on_event=stop_after_first_checkpoint, data=data)
    assert cut.interrupted
    resumed = run_study(resume_config(cut.root), data=data)
    rows = read_rows(resumed.root / "trials" / "1" / "history.csv")  # the retry of trial 0, carrying its first epoch
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    for r, w in zip(rows, whole):
        assert math.isclose(float(r["loss"]), float(w["loss"]), rel_tol=1e-4), (r["epoch"], r["loss"], w["loss"])
