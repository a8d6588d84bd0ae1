"""Helpers of the kill and interrupt tests: launch `hpo-kit`, wait for a moment, and read what a study folder holds."""
import subprocess, time
from pathlib import Path

import optuna

from hpo_kit.training.checkpoint import latest_checkpoint
from hpo_kit.store.journal import journal_storage
from hpo_kit.store.files import read_rows


def launch(args):
    return subprocess.Popen(["hpo-kit", *args, "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def epochs_written(root: Path) -> int:
    return sum(len(read_rows(p)) for p in root.glob("trials/*/history.csv"))


def wait_for(proc, cond, timeout=240) -> bool:
    "Wait until `cond()`; False if the process ended first."
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        if proc.poll() is not None: return False
        if cond(): return True
        time.sleep(0.02)
    raise TimeoutError("the moment never came")


def trials(root: Path) -> list:
    "The study's trials; none while the run has created its journal but not yet the study (it queues its first trials first)."
    storage = journal_storage(root)
    if root.name not in optuna.get_all_study_names(storage): return []
    return optuna.load_study(study_name=root.name, storage=storage).trials


def durable_epochs(root: Path) -> dict:
    """Epochs that are finished for good, by trial number: each row's `finished_at`. A running trial's are those up to its
    last checkpoint (a row written after it is trained again on resume); a finished trial's are all its rows."""
    out = {}
    for t in trials(root):
        rows = read_rows(root / "trials" / str(t.number) / "history.csv")
        if t.state.name == "RUNNING": rows = rows[:latest_checkpoint(root / "trials" / str(t.number))[0]]
        elif t.state.name == "FAIL" and t.user_attrs.get("reason", "interrupted") == "interrupted": continue  # its retry holds them
        if rows: out[t.number] = [r["finished_at"] for r in rows]
    return out


def last_retry(root: Path) -> dict:
    "For each trial number, the trial that finally holds its epochs (itself, or the last retry in its chain)."
    retry = {int(t.user_attrs["retry_of"]): t.number for t in trials(root) if t.user_attrs.get("retry_of") is not None}
    def follow(n):
        while n in retry: n = retry[n]
        return n
    return {t.number: follow(t.number) for t in trials(root)}


def assert_epochs_kept(root: Path, recorded: dict):
    "Every epoch recorded as durable before a kill appears exactly once, unchanged, in the trial that finally holds it."
    final = last_retry(root)
    for n, finished_at in recorded.items():
        rows = read_rows(root / "trials" / str(final[n]) / "history.csv")
        epochs = [int(r["epoch"]) for r in rows]
        assert epochs == list(range(1, len(epochs) + 1)), (n, final[n], epochs)  # each epoch once, in order
        assert [r["finished_at"] for r in rows[:len(finished_at)]] == finished_at, (n, final[n])  # not trained again


def counted(root: Path) -> list:
    "Trials that count toward the budget (finished, not interrupted)."
    return [t for t in trials(root) if t.state.is_finished()
            and not (t.state.name == "FAIL" and t.user_attrs.get("reason", "interrupted") == "interrupted")]
