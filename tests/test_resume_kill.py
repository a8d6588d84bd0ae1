"""A real `hpo-kit run` killed with SIGKILL at 20 random moments, resumed with `hpo-kit resume` after each.

Each moment is random: some time after the launch (start-up included), or a random delay after the process's next
finished epoch, so kills land at start-up, mid-epoch, between an epoch's history row and its checkpoint, between trials
and inside retries. Before each kill is confirmed, the test records every epoch that was durable (checkpointed, or of a
finished trial). Checks: each such epoch appears exactly once afterwards, unchanged (never trained again), in the trial that
finally holds it; finished trials never change; the study ends with the requested trials and no checkpoints left."""
import random, signal, subprocess, time

from hpo_kit.storage import read_rows
from killing import assert_epochs_kept, counted, durable_epochs, epochs_written, launch, trials, wait_for

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
        kills.append(where)
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
    assert retries, "some kill landed inside a trial"
    assert sum(int(r["epochs"] or 0) for r in read_rows(root / "trials.csv") if r["state"] != "FAIL") <= TRIALS * EPOCHS
    assert not list(root.glob("trials/*/backup")), "finished studies keep no checkpoints"
    print("kills:", kills, "retries:", retries)
