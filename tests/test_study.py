"""run_study through the Python API: events, failures that do not stop the study, NaN, interrupts, recovery."""
import dataclasses

import numpy as np
import optuna

from hpo_kit.config import StudyConfig
from hpo_kit.data import load_dataset
from hpo_kit.store.files import read_rows
from hpo_kit.study.open import open_study
from hpo_kit.study import run_study

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_events_in_order(tmp_path):
    events = []
    res = run_study(StudyConfig(trials=2, max_epochs=2, output=str(tmp_path)), on_event=events.append)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "study_started" and kinds[-1] == "study_finished"
    assert events[0]["remaining"] == 2 and events[-1]["interrupted"] is False
    for n in (0, 1):
        mine = [e["event"] for e in events if e.get("trial") == n]
        assert mine[0] == "trial_started" and mine[-1] == "trial_finished" and "epoch_end" in mine
    finished = [e for e in events if e["event"] == "trial_finished"]
    assert all(e["state"] == "COMPLETE" and e["epochs"] >= 1 for e in finished)
    assert finished[-1]["best_value"] == max(e["value"] for e in finished) == res.best_value


def test_a_failing_trial_is_recorded_and_the_study_goes_on(tmp_path):
    def on_event(e):
        if e["event"] == "epoch_end" and e["trial"] == 1 and e["epoch"] == 2:
            raise RuntimeError("disk full while logging")
    res = run_study(StudyConfig(trials=3, max_epochs=3, pruner="none", output=str(tmp_path)), on_event=on_event)
    table = read_rows(res.root / "trials.csv")
    assert [r["state"] for r in table] == ["COMPLETE", "FAIL", "COMPLETE"]
    assert table[1]["reason"] == "RuntimeError: disk full while logging"
    assert "disk full" in (res.root / "trials" / "1" / "error.txt").read_text()
    assert res.summary["trials"] == {"COMPLETE": 2, "FAIL": 1}


def test_nan_data_prunes_every_trial_with_a_reason(tmp_path):
    ds = load_dataset("digits")
    x = ds.x_train.copy(); x[::50] = np.nan
    bad = dataclasses.replace(ds, x_train=x, name="corrupt")
    res = run_study(StudyConfig(trials=2, max_epochs=4, output=str(tmp_path), study="corrupt"), data=bad)
    table = read_rows(res.root / "trials.csv")
    assert len(table) >= 2 and all(r["state"] == "PRUNED" for r in table)  # the epochs each one saved bought more trials
    assert all("non-finite" in r["reason"] and r["epochs"] == "1" for r in table)
    assert res.summary["epochs_trained"] == len(table) <= 2 * 4
    assert res.best_value is None and res.test_accuracy is None
    assert not (res.root / "best_model.keras").exists()


def test_interrupt_leaves_a_resumable_study(tmp_path):
    cfg = StudyConfig(trials=3, max_epochs=3, pruner="none", output=str(tmp_path))
    def stop(e):
        if e["event"] == "epoch_end" and e["trial"] == 1 and e["epoch"] == 2: raise KeyboardInterrupt
    res = run_study(cfg, on_event=stop)
    assert res.interrupted
    table = read_rows(res.root / "trials.csv")
    assert [(r["state"], r["reason"]) for r in table] == [("COMPLETE", ""), ("FAIL", "interrupted")]
    assert res.summary["best_trial"] == 0 and (res.root / "best_model.keras").exists()  # nothing finished is lost
    assert res.test_accuracy is None  # the test split is for the final model, built once the search has finished
    res2 = run_study(cfg)  # the interrupted trial is retried from its checkpoint and does not count toward the 3
    assert not res2.interrupted and res2.summary["trials"] == {"COMPLETE": 3, "FAIL": 1} and res2.test_accuracy > 0.9
    table = read_rows(res.root / "trials.csv")
    assert table[2]["retry_of"] == "1" and table[2]["state"] == "COMPLETE"
    history = read_rows(res.root / "trials" / "2" / "history.csv")
    assert [int(r["epoch"]) for r in history] == [1, 2, 3]  # epoch 1 was checkpointed before the interrupt; 2 and 3 ran in the retry
    epoch_seconds = sum(float(r["seconds"]) for r in history)  # whichever process ran each epoch
    assert abs(float(table[2]["fit_seconds"]) - epoch_seconds) <= 0.1 * epoch_seconds, (table[2]["fit_seconds"], epoch_seconds)
    assert not list(res.root.glob("trials/*/backup"))  # finished trials keep no checkpoints


def test_a_trial_left_running_by_a_dead_process_is_retried(tmp_path):
    cfg = StudyConfig(trials=2, max_epochs=2, output=str(tmp_path))
    study = open_study(cfg)
    study.enqueue_trial(dict(conv_blocks=1, filters=16, kernel_size=3, batch_norm=False, pooling="max", augment=0.0,
                             activation="elu", dense_layers=0, dropout=0.1, optimizer="adam", learning_rate=3e-3,
                             batch_size=32, schedule="constant", label_smoothing=0.0, clipnorm=2.0))
    zombie = study.ask()  # as if a process had started it, sampled its parameters and died
    from hpo_kit.search.space import suggest_params
    suggest_params(zombie, load_dataset("digits"), cfg)
    res = run_study(cfg)
    table = read_rows(res.root / "trials.csv")
    assert table[0]["state"] == "FAIL" and table[0]["reason"] == "interrupted"
    assert table[1]["retry_of"] == "0" and table[1]["state"] == "COMPLETE"
    assert res.summary["trials"] == {"FAIL": 1, "COMPLETE": 2}  # the interrupted trial does not count toward the 2
    assert table[1]["activation"] == "elu" and table[1]["filters"] == "16"  # same parameters
    assert zombie.number == 0


def test_trials_and_the_refit_leave_no_traced_graphs_behind(tmp_path):
    "TensorFlow's gradient registry would keep every trial's training graph (about 6 MiB each on digits); a study frees them."
    import gc
    from hpo_kit.training.loop import _gradient_registry
    custom = lambda: sum(k.startswith("CustomGradient-") for k in _gradient_registry())
    def graphs(): gc.collect(); return sum(type(o).__name__ == "FuncGraph" for o in gc.get_objects())
    run_study(StudyConfig(trials=1, max_epochs=1, output=str(tmp_path / "warm"), seed=0))  # what a process builds once
    n, g = custom(), graphs()
    run_study(StudyConfig(trials=3, max_epochs=2, output=str(tmp_path / "study"), seed=0))  # three trials and the refit
    assert custom() == n and graphs() <= g
