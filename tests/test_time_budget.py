"""`time_budget`: the whole study, final model included, ends within its wall time; a trial the budget stops is
out of time (kept, resumable, not a failure); a study stopped and run again spends what is left, not the whole
again, and a run killed with SIGKILL (a Colab disconnect) has its epochs counted as spent, not the time it was gone;
bad budgets are refused before anything is trained. Real studies on the bundled digits."""
import json, signal, subprocess, time

import pytest

from hpo_kit.config import StudyConfig
from hpo_kit.store.files import read_rows
from hpo_kit.study import run_study

from killing import launch, wait_for


def summary(root) -> dict:
    return json.loads((root / "summary.json").read_text())


def test_a_study_ends_within_its_time_budget_with_the_final_model(tmp_path):
    cfg = StudyConfig(trials=200, max_epochs=8, time_budget="40s", output=str(tmp_path), study="tb", pruner="none")
    t = time.perf_counter()
    res = run_study(cfg)
    took = time.perf_counter() - t
    s = res.summary
    assert s["ended_by"] == "time_budget" and s["time_budget"] == 40.0
    assert took <= 40 * 1.05 and s["wall_seconds"] <= 40 * 1.05, (took, s["wall_seconds"])
    assert took >= 40 * 0.6, took  # the budget was used, not given up early
    assert s["final"] is not None and (res.root / "final_model.keras").exists() and 0.5 < s["test_accuracy"] <= 1.0
    assert s["trials"].get("COMPLETE", 0) >= 3 and "FAIL" not in s["trials"]


def test_a_trial_the_budget_stops_is_out_of_time_and_a_larger_budget_continues_it(tmp_path):
    # 50 epochs of the baseline do not fit in 8 s: the first trial stops out of time with its checkpoint kept
    cfg = dict(trials=1, max_epochs=50, pruner="none", patience=50, output=str(tmp_path), study="cut", seed=0)
    res = run_study(StudyConfig(time_budget=8, **cfg))
    rows = read_rows(res.root / "trials.csv")
    assert [r["state"] for r in rows] == ["OUT_OF_TIME"] and rows[0]["reason"].startswith(f"out of time after epoch {rows[0]['epochs']}: ")
    assert "time_budget" in rows[0]["reason"] and not (res.root / "trials" / "0" / "error.txt").exists()
    done = int(rows[0]["epochs"])
    assert 1 <= done < 50 and len(read_rows(res.root / "trials" / "0" / "history.csv")) == done
    assert list((res.root / "trials" / "0" / "backup").glob("latest-*.npz"))  # kept for the run that continues it
    s = summary(res.root)
    assert (s["ended_by"], s["trials"], s["epochs_trained"], s["final"]) == ("time_budget", dict(OUT_OF_TIME=1), 0, None)
    assert s["wall_seconds"] <= 8 * 1.05 + 2, s["wall_seconds"]  # one epoch late at most: no estimate exists before the first

    first = read_rows(res.root / "trials" / "0" / "history.csv")
    res2 = run_study(StudyConfig(time_budget="5m", **cfg))
    rows = read_rows(res2.root / "trials.csv")
    assert [(r["state"], r["retry_of"]) for r in rows] == [("OUT_OF_TIME", ""), ("COMPLETE", "0")]
    history = read_rows(res2.root / "trials" / "1" / "history.csv")
    assert len(history) == 50 and history[:done] == first  # its epochs continued, none trained again
    assert res2.summary["ended_by"] == "trials" and res2.summary["final"]["kind"] == "refit"
    assert not list(res2.root.glob("trials/*/backup"))


def test_a_stopped_study_spends_what_is_left_of_its_budget(tmp_path):
    cfg = StudyConfig(trials=200, max_epochs=4, time_budget="30s", output=str(tmp_path), study="left")

    told = []

    def stop_after_two_trials(e):
        if e["event"] in ("study_started", "trial_finished"): told.append(e["forecast"])
        if e["event"] == "trial_finished" and e["trial"] == 1: raise KeyboardInterrupt

    first = run_study(cfg, on_event=stop_after_two_trials)
    spent = first.summary["wall_seconds"]
    assert first.interrupted and first.summary["ended_by"] == "interrupted" and 0 < spent < 30
    assert told[0] is None and all("time_budget (30.0 s) ends the study." in f for f in told[1:]), told  # nothing timed at the start
    t = time.perf_counter()
    second = run_study(cfg, on_event=lambda e: told.append(e["forecast"]) if e["event"] == "study_started" else None)
    took = time.perf_counter() - t
    assert told[-1].startswith("about ") and told[-1].endswith("time_budget (30.0 s) ends the study."), told  # from the first run's trials
    assert second.summary["ended_by"] == "time_budget"
    assert took <= (30 - spent) * 1.05 + 1, (spent, took)  # what was left, not the whole budget again
    assert second.summary["wall_seconds"] <= 30 * 1.05, second.summary["wall_seconds"]


def epochs_since(root, since: float) -> list[dict]:
    "The epochs (rows of every trial's history, a retry's copies once) that finished after `since`, in order."
    rows = {r["finished_at"]: r for p in root.glob("trials/*/history.csv") for r in read_rows(p) if float(r["finished_at"]) > since}
    return [rows[k] for k in sorted(rows, key=float)]


def span(rows) -> float:
    "Seconds from the first epoch's start to the last's end: time the run surely spent."
    return float(rows[-1]["finished_at"]) - float(rows[0]["finished_at"]) + float(rows[0]["seconds"])


def test_a_killed_run_counts_its_epochs_as_spent_and_not_the_time_it_was_gone(tmp_path):
    args = ["run", "trials=2", "max_epochs=60", "patience=60", "pruner=none", "time_budget=10m", "seed=0", f"output={tmp_path}", "study=kill"]
    root, spent, last, GONE = tmp_path / "kill", [], 0.0, 10
    for _ in range(2):  # killed in its first trial (no summary yet), then again in the trial it continued
        proc = launch(args)
        assert wait_for(proc, lambda: len(epochs_since(root, last)) >= 25), proc.stderr.read()
        proc.send_signal(signal.SIGKILL); proc.wait()
        rows = epochs_since(root, last)
        spent.append(span(rows))
        last = float(rows[-1]["finished_at"])
        time.sleep(GONE)  # the runtime is gone a while (then a new process starts: more time not spent on the study)
    assert not (root / "summary.json").exists() or json.loads((root / "summary.json").read_text())["trials"].get("COMPLETE", 0) == 0
    seen = {}
    def at_start(e):
        if e["event"] == "study_started": seen.update(summary(root))  # written as the run starts, before any training
    res = run_study(StudyConfig(trials=2, max_epochs=60, patience=60, pruner="none", time_budget="10m", seed=0, output=str(tmp_path), study="kill"),
                    on_event=at_start)
    # at least both runs' epochs; beyond them only each run's own start (its model built, data loaded: seconds), never a
    # time it was gone (counted, the first gap alone would add 10 s and the second process's start)
    assert sum(spent) <= seen["wall_seconds"] < sum(spent) + GONE - 2, (spent, seen["wall_seconds"])
    assert res.summary["wall_seconds"] >= seen["wall_seconds"] and res.summary["ended_by"] == "trials"


@pytest.mark.parametrize("bad", ["0", "-5m", "20 minutes", "1e9h"])
def test_bad_budgets_are_refused_before_training(tmp_path, bad):
    r = subprocess.run(["hpo-kit", "run", f"time_budget={bad}", f"output={tmp_path}"], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert f"time_budget={bad!r}" in r.stderr or f"time_budget={bad}" in r.stderr, r.stderr
    assert "Accepted forms: 90s, 20m, 1h30m, 1.5h, or a number of seconds" in r.stderr, r.stderr
    assert not list(tmp_path.iterdir())  # nothing was created, let alone trained
