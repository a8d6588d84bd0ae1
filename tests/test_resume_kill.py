"""A real `hpo-kit run` killed with SIGKILL at 20 random moments, resumed with `hpo-kit resume` after each.

Each moment is random: some time after the launch (start-up included), or a random delay after the process's next
finished epoch, so kills land at start-up, mid-epoch, between an epoch's history row and its checkpoint, between trials
and inside retries. After each kill the test reads back from the disk what it interrupted (the trials left running, their
epochs and checkpoints) and records every epoch that was durable (checkpointed, or of a finished trial). Checks: at least one
retry resumed from a checkpoint at epoch >= 1; each durable epoch appears exactly once afterwards, unchanged (never trained
again), in the trial that finally holds it; finished trials never change; the study ends with the requested trials and no
checkpoints left."""
import random, signal, subprocess, time

from hpo_kit.training.checkpoint import latest_checkpoint
from hpo_kit.store.files import read_rows
from killing import assert_epochs_kept, counted, durable_epochs, epochs_written, last_retry, launch, trials, wait_for

TRIALS, EPOCHS, KILLS = 8, 5, 20


def test_sigkill_at_random_moments_then_resume(tmp_path):
    rng, root = random.Random(3), tmp_path / "digits-simple"
    args = ["run", f"trials={TRIALS}", f"max_epochs={EPOCHS}", "pruner=none", "refit=false", "seed=0", f"output={tmp_path}"]
    recorded, finished, kills = {}, {}, []
    while len(kills) < KILLS:
        proc = launch(args if not (root / "config.yaml").exists() else ["resume", str(root)])
        if rng.random() < 0.25:
            delay, t0 = rng.uniform(0.5, 7.0), time.monotonic()
            alive = wait_for(proc, lambda: time.monotonic() - t0 >= delay)
            where = f"{delay:.1f} s after the launch"
        else:
            n = epochs_written(root)
            alive = wait_for(proc, lambda: epochs_written(root) > n)
            pause = rng.uniform(0.0, 0.5); time.sleep(pause)
            where = f"{pause:.2f} s after an epoch"
        if not alive or proc.poll() is not None: break  # the study finished before this moment came
        proc.send_signal(signal.SIGKILL); proc.wait()
        kills.append(f"{where}: {killed_in(root)}")  # what the kill interrupted, as the disk shows it
        if (root / "journal.log").exists():
            recorded.update(durable_epochs(root))
            finished.update({t.number: (t.state.name, t.values) for t in counted(root)})
    assert len(kills) >= KILLS, f"the study ended after {len(kills)} kills: make it longer"

    final = subprocess.run(["hpo-kit", "resume", str(root), "--quiet"], capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr[-3000:]
    after = {t.number: (t.state.name, t.values) for t in counted(root)}
    assert all(after[n] == v for n, v in finished.items()), "a finished trial changed after a kill"
    assert len(after) >= TRIALS  # interrupted trials do not count; the budget is met
    assert_epochs_kept(root, recorded)
    retries = [t.number for t in trials(root) if t.user_attrs.get("retry_of") is not None]
    final_holder = last_retry(root)
    resumed = [n for n, epochs in recorded.items() if epochs and final_holder[n] != n]
    assert resumed, f"no retry resumed from a checkpoint at epoch >= 1; kills: {kills}"  # otherwise 'carried' checked nothing
    assert sum(int(r["epochs"] or 0) for r in read_rows(root / "trials.csv") if r["state"] != "FAIL") <= TRIALS * EPOCHS
    assert not list(root.glob("trials/*/backup")), "finished studies keep no checkpoints"
    print("kills:", kills, "retries:", retries, "resumed from a checkpoint:", resumed)


def killed_in(root) -> str:
    "The trials a kill left running, with the epochs each had in history.csv and in its last checkpoint."
    if not (root / "journal.log").exists(): return "before the study was created"
    running = [t.number for t in trials(root) if t.state.name == "RUNNING"]
    if not running: return "between trials"
    return ", ".join(f"trial {n} with {len(read_rows(root / 'trials' / str(n) / 'history.csv'))} epochs written, "
                     f"checkpoint at {latest_checkpoint(root / 'trials' / str(n))[0]}" for n in running)
