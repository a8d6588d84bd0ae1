"""Your own model, end to end: a residual CNN (KerasTuner's hp.Int/Float/Boolean) and a GRU text model (Optuna's
define-by-run) from an importable module, each run with `hpo-kit run model=...` for 6 trials with median pruning,
killed with SIGKILL mid-trial, resumed from its last epoch, then reported, exported and bundled. Then every way a model
function or an own-model `space` can be wrong, each rejected or recorded with a message naming the problem."""
import contextlib, io, json, math, os, signal, subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

import own_models
from hpo_kit.config import ConfigError, StudyConfig
from hpo_kit.config.choices import HEALTH_METRICS
from hpo_kit.store.files import read_rows
from hpo_kit.study import resume_study, run_study
from killing import assert_epochs_kept, counted, durable_epochs, epochs_written, trials, wait_for

TESTS = Path(__file__).parent
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))


def text_npz(path: Path) -> Path:
    "Token-id sequences whose class is whether most of their tokens are small ids: a task a GRU learns in a few epochs."
    rng = np.random.default_rng(0)
    def part(n):
        y = rng.integers(0, 2, n)
        lo, hi = rng.integers(2, 30, (n, 16)), rng.integers(30, 60, (n, 16))
        x = np.where(rng.random((n, 16)) < np.where(y == 1, 0.8, 0.2)[:, None], lo, hi)
        return x.astype(np.int32), y
    (xtr, ytr), (xte, yte) = part(600), part(150)
    np.savez(path, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    return path


def hpo(*args, timeout=600):
    return subprocess.run(["hpo-kit", *args], capture_output=True, text=True, timeout=timeout, env=ENV)


@pytest.mark.parametrize("fn", ["residual_cnn", "gru_text"])
def test_own_model_study_survives_a_kill_and_ships(tmp_path, fn):
    dataset = "digits" if fn == "residual_cnn" else str(text_npz(tmp_path / "texts.npz"))
    root = tmp_path / f"{'digits' if fn == 'residual_cnn' else 'texts'}-{fn}-simple"
    args = ["run", f"model=own_models:{fn}", f"dataset={dataset}", "trials=6", "max_epochs=4", "pruner=median", "seed=0",
            f"output={tmp_path}", "--quiet"]
    proc = subprocess.Popen(["hpo-kit", *args], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert wait_for(proc, lambda: epochs_written(root) >= 6), proc.stderr.read()  # the second trial or later is training
    proc.send_signal(signal.SIGKILL); proc.wait()
    recorded = durable_epochs(root)
    assert any(t.state.name == "RUNNING" for t in trials(root)), "the kill landed inside a trial"

    r = hpo("resume", str(root), "--quiet")
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(counted(root)) >= 6 and any(t.user_attrs.get("retry_of") is not None for t in trials(root))
    assert_epochs_kept(root, recorded)  # resumed from the last epoch, nothing trained twice
    config = yaml.safe_load((root / "config.yaml").read_text())
    assert config["model"] == f"own_models:{fn}" and len(config["model_hash"]) == 12
    summary = json.loads((root / "summary.json").read_text())
    own_params = {"width", "blocks", "dropout"} if fn == "residual_cnn" else {"embedding", "units", "bidirectional"}
    assert own_params <= set(summary["best_params"]) and {"learning_rate", "batch_size"} <= set(summary["best_params"])
    assert summary["test_accuracy"] > (0.5 if fn == "residual_cnn" else 0.6), summary["test_accuracy"]  # far above chance (0.1, 0.5)
    rows = read_rows(root / "trials.csv")
    best = next(r for r in rows if r["number"] == str(summary["best_trial"]))
    final = own_models.keras.saving.load_model(root / "final_model.keras", compile=False)
    trainable = sum(int(np.prod(v.shape)) for v in final.trainable_weights)
    assert summary["final"]["kind"] == "refit" and trainable == int(best["params_count"])  # the refit rebuilt the same architecture
    record = json.loads((root / "trials" / best["number"] / "health.jsonl").read_text().splitlines()[-1])
    recurrent = "bi_gru" if summary["best_params"].get("bidirectional") else "gru"
    units, weighted = ({"stem", "block0_a", "block0_out"}, {"stem", "block0_a", "block0_b", "output"}) if fn == "residual_cnn" else \
                      ({recurrent}, {recurrent, "output"})
    assert units <= set(record["dead"]) and weighted <= set(record["grad_rms"]), record  # the probe read the own layers
    scores = [float(best[f"health_{m}"]) for m in HEALTH_METRICS]
    assert all(math.isfinite(v) for v in scores) and math.isclose(float(best["health_overall"]), sum(scores) / 6, abs_tol=1e-9)

    for command in (["report", str(root)], ["export", str(root)], ["bundle", str(root)]):
        r = hpo(*command)
        assert r.returncode == 0 and "Traceback" not in r.stderr, (command, r.stderr[-2000:])
    assert ("block0_add" if fn == "residual_cnn" else "embedding") in (root / "report.html").read_text()  # its architecture, read back


def cli(*args):
    from hpo_kit.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err): rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


MISUSES = [  # (options, words): rejected before any training, exit status 2
    (["model=own_models:residual_cnn", "space={filters: 32}"], "filters is part of hpo-kit's own models"),
    (["model=own_models:residual_cnn", "space={dropout: 0.2, conv_blocks: 2}"], "dropout, conv_blocks are part of hpo-kit's own models"),
    (["model=own_models:residual_cnn", "space={learning_rate: [1, 0]}"], "learning_rate=[1, 0]"),
    (["model=own_models:residual_cnn", "space={batch_size: huge}"], "batch_size='huge'"),
    (["model=residual cnn"], "must name a function as 'package.module:function'"),
    (["model=no_such_module_zz:f"], "cannot import 'no_such_module_zz'"),
    (["model=own_models:nope"], "'own_models' has no 'nope'"),
    (["model=own_models:not_a_function"], "model_fn=42 is not a function"),
    (["model=__main__:my_model"], "defined in a notebook or script"),
    (["model=own_models:returns_none", "max_epochs=1"], "3 trials in a row: own_models:returns_none returned NoneType, not a Keras model"),
    (["model=own_models:wrong_size", "max_epochs=1"], "outputs shape (11,) per example, but the data has 10 classes"),
    (["model=own_models:huge", "max_params=100000", "max_epochs=1"],
     "10 sampled architectures in a row exceeded max_params=100,000: raise max_params, or narrow the ranges your model function samples"),
    (["model=own_models:residual_cnn", "space={learning_rate: 0.01, dropout: 0.1}"], "dropout is part of hpo-kit's own models"),
]


@pytest.mark.parametrize("options,words", MISUSES, ids=[m[1][:40] for m in MISUSES])
def test_misused_model_is_refused(tmp_path, options, words):
    rc, _, err = cli("run", *options, f"output={tmp_path}", "--quiet")
    assert (rc, words in err, "Traceback" in err) == (2, True, False), err
    assert not list(tmp_path.glob("*/trials/*/model.keras")), "nothing was trained"


def tiny(hp, data):
    inp = own_models.keras.Input(data.input_shape)
    x = own_models.L.Dense(hp.Int("units", 8, 16), activation="relu")(own_models.L.Flatten()(inp))
    return own_models.keras.Model(inp, own_models.L.Dense(data.num_classes, activation="softmax")(x))


@pytest.mark.parametrize("fn,words", [(42, "is not a function"), (lambda hp, data: None, "is a lambda"),
                                      (lambda: None, "is a lambda"), (own_models.keras.Model, "is not a function")])
def test_model_fn_that_is_no_model_function(tmp_path, fn, words):
    with pytest.raises(ConfigError, match=words): run_study(StudyConfig(trials=1, max_epochs=1, output=str(tmp_path)), model_fn=fn)
    assert not any(tmp_path.iterdir())


def test_one_argument_and_two_functions(tmp_path):
    def one(hp): pass
    with pytest.raises(ConfigError, match="must take two arguments"): run_study(StudyConfig(output=str(tmp_path)), model_fn=one)
    with pytest.raises(ConfigError, match="name two functions"):
        run_study(StudyConfig(output=str(tmp_path), model="own_models:gru_text"), model_fn=tiny)


def test_failing_model_fn_fails_its_trial_not_the_study(tmp_path):
    rc, out, err = cli("run", "model=own_models:raises_sometimes", "trials=6", "max_epochs=1", "seed=1", f"output={tmp_path}", "--quiet")
    assert rc == 0, err
    rows = read_rows(tmp_path / "digits-raises_sometimes-simple" / "trials.csv")
    failed = [r for r in rows if r["state"] == "FAIL"]
    assert failed and all(r["reason"] == "ValueError: this branch of the user's function is broken" for r in failed)
    assert any(r["state"] == "COMPLETE" for r in rows)


def test_compiled_model_keeps_its_optimizer(tmp_path):
    "A compiled model keeps its optimizer; of the recipe only the batch size is sampled and recorded after the first trial."
    res = run_study(StudyConfig(trials=3, max_epochs=2, refit=False, output=str(tmp_path), model="own_models:compiled_mlp"))
    model = own_models.keras.saving.load_model(res.root / "best_model.keras")
    assert type(model.optimizer).__name__ == "SGD" and res.test_accuracy > 0.8
    for t in trials(res.root):
        assert set(t.user_attrs["params"]) == {"batch_size", "units"}, t.user_attrs["params"]
        if t.number > 0: assert set(t.params) <= {"batch_size", "units"}, t.params  # nothing sampled that does nothing


def test_unmeasurable_objective_fails_its_trial_and_the_study_ends(tmp_path):
    "A health objective that cannot be measured on the model (no activations to read) is a failed trial with that reason."
    res = run_study(StudyConfig(trials=2, max_epochs=1, mode="health", objective="neuron_utilization", refit=False,
                                output=str(tmp_path), model="own_models:linear"))
    reasons = [t.user_attrs.get("reason") for t in trials(res.root)]
    assert reasons and all(r == "neuron_utilization could not be measured on this model (NaN)" for r in reasons), reasons
    assert len(counted(res.root)) >= 2  # they count: the study ended instead of retrying them forever


def test_oversized_own_models_are_skipped_among_others(tmp_path):
    res = run_study(StudyConfig(trials=4, max_epochs=1, refit=False, max_params=100_000, output=str(tmp_path), seed=3,
                                model="own_models:big_sometimes"))
    rows = read_rows(res.root / "trials.csv")
    skipped = [r for r in rows if r["reason"].startswith("skipped")]
    assert skipped and all("exceed max_params=100,000; never trained" in r["reason"] for r in skipped)
    assert sum(r["state"] == "COMPLETE" for r in rows) >= 4  # skips do not count toward the trials


def test_a_changed_function_is_another_study(tmp_path):
    "The same function name with other source: refused with the hash difference; the notebook's own function resumes."
    cfg = StudyConfig(trials=1, max_epochs=1, refit=False, output=str(tmp_path))
    res = run_study(cfg, model_fn=tiny)
    def changed(hp, data): return tiny(hp, data)  # another source, given the same name
    changed.__name__ = changed.__qualname__ = tiny.__qualname__
    with pytest.raises(ConfigError, match=r"model_hash: '\w+' -> '\w+'"): run_study(cfg, model_fn=changed)
    rc, _, err = cli("resume", str(res.root), "trials=2", "--quiet")  # the command line imports it by its recorded path
    assert rc == 0, err
    res3 = resume_study(res.root, model_fn=tiny, trials=3)  # or the function itself is passed again, as in a notebook
    assert len(read_rows(res3.root / "trials.csv")) == 3
