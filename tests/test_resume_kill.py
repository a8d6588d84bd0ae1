"""A real `hpo-kit run` killed with SIGKILL at six different moments, resumed each time with `hpo-kit resume`.

Checks: trials finished before a kill never change; an interrupted trial's retry continues from the last
checkpointed epoch (those epochs are carried over, not trained again) and its history holds each epoch once;
the study ends with the requested number of finished trials."""
import os, signal, subprocess, time
from pathlib import Path

import optuna

from hpo_kit.checkpoint import latest_checkpoint
from hpo_kit.storage import journal_storage, read_rows

TRIALS, EPOCHS = 5, 5


def launch(args):
    return subprocess.Popen(["hpo-kit", *args, "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_until(proc, cond, timeout=180):
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        if proc.poll() is not None: return False
        if cond(): return True
        time.sleep(0.02)
    raise TimeoutError("the kill moment never came")


def histories(root):
    return {int(p.parent.name): len(read_rows(p)) for p in root.glob("trials/*/history.csv")}


def finished(root):
    "Trials that ended for good (not interrupted), by number: state, values, params."
    s = optuna.load_study(study_name=root.name, storage=journal_storage(root))
    return {t.number: (t.state.name, t.values, t.params) for t in s.trials
            if t.state.name in ("COMPLETE", "PRUNED") or (t.state.name == "FAIL" and t.user_attrs.get("reason") != "interrupted")}


def running_checkpoints(root):
    s = optuna.load_study(study_name=root.name, storage=journal_storage(root))
    return {t.number: latest_checkpoint(root / "trials" / str(t.number))[0] for t in s.trials if t.state.name == "RUNNING"}


def moments(root):
    "Conditions that pick when to kill: at start-up, mid-epoch, right after an epoch, between trials, during a retry."
    def after(seconds):
        start = []
        def cond():
            if not start: start.append(time.monotonic())
            return time.monotonic() - start[0] >= seconds
        return cond
    def epoch_grew(extra_sleep=0.0):
        before = {}
        def cond():
            now = sum(histories(root).values())
            before.setdefault("n", now)
            if now > before["n"]:
                time.sleep(extra_sleep); return True
            return False
        return cond
    def trial_finished():
        before = {}
        def cond():
            n = len(read_rows(root / "trials.csv"))
            before.setdefault("n", n)
            return n > before["n"]
        return cond
    return [("during start-up", after(1.5)), ("mid-epoch", epoch_grew(0.25)), ("right after an epoch", epoch_grew()),
            ("between trials", trial_finished()), ("mid-epoch of a retry", epoch_grew(0.15)), ("right after a retry's epoch", epoch_grew())]


def test_sigkill_at_many_moments_then_resume(tmp_path):
    root = tmp_path / "digits-simple"
    args = ["run", f"trials={TRIALS}", f"max_epochs={EPOCHS}", "pruner=none", "seed=0", f"output={tmp_path}"]
    kept, checkpoint_at_kill, kills = {}, {}, []
    for name, cond in moments(root):
        proc = launch(args if not root.joinpath("config.yaml").exists() else ["resume", str(root)])
        if not wait_until(proc, cond):
            break  # the study finished before this moment came
        proc.send_signal(signal.SIGKILL); proc.wait()
        kills.append(name)
        if (root / "journal.log").exists():
            kept.update(finished(root))
            checkpoint_at_kill.update(running_checkpoints(root))
    assert len(kills) >= 5, kills

    final = subprocess.run(["hpo-kit", "resume", str(root), "--quiet"], capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-3000:]

    after = finished(root)
    for n, before in kept.items():
        assert after[n] == before, f"trial {n} changed after a kill"
    assert len(after) == TRIALS  # interrupted trials do not count; the budget is met

    rows = {int(r["number"]): r for r in read_rows(root / "trials.csv")}
    retries = {n: int(r["retry_of"]) for n, r in rows.items() if r["retry_of"]}
    assert retries, "some kill landed inside a trial"
    for n, orig in retries.items():
        hist = read_rows(root / "trials" / str(n) / "history.csv")
        epochs = [int(h["epoch"]) for h in hist]
        assert epochs == list(range(1, len(epochs) + 1)), (n, epochs)  # each epoch once, in order
        k = checkpoint_at_kill.get(orig, 0)
        carried = read_rows(root / "trials" / str(orig) / "history.csv")[:k]
        assert [h["finished_at"] for h in hist[:k]] == [h["finished_at"] for h in carried], (n, orig, k)  # not trained again
        if len(hist) > k: assert float(hist[k]["finished_at"]) > max([float(h["finished_at"]) for h in carried] or [0])
    assert not list(root.glob("trials/*/backup")), "finished studies keep no checkpoints"
    print("kills:", kills, "retries:", retries, "checkpoint epochs at the kills:", checkpoint_at_kill)
