"""storage=drive on a temporary folder standing in for Colab's Drive mount: the mirror never asks for a symlink or hard link
(the mount has neither), and a study resumed onto an empty local disk from the mirrored copy alone."""
import os, shutil, signal, subprocess, time

from hpo_kit.config import StudyConfig
from hpo_kit.store.files import read_rows
from hpo_kit.study import run_study


def files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_mirror_never_needs_a_symlink_or_hard_link(tmp_path, monkeypatch):
    """Drive's FUSE mount has neither symlinks nor hard links (Optuna's default journal lock needs symlinks). Every attempt
    is recorded and refused, so a fallback that swallowed the refusal would still fail this test."""
    attempts = []
    def refuse(*a, **k):
        attempts.append(a); raise OSError(1, "Operation not permitted (like Drive's FUSE mount)")
    monkeypatch.setattr(os, "symlink", refuse); monkeypatch.setattr(os, "link", refuse)
    monkeypatch.setenv("HPO_KIT_DRIVE_ROOT", str(tmp_path / "drive"))
    res = run_study(StudyConfig(trials=2, max_epochs=2, storage="drive", output=str(tmp_path / "local")))
    local, mirror = res.root, tmp_path / "drive" / "digits-simple"
    assert files(mirror) == {k: v for k, v in files(local).items() if not k.endswith(".lock")}
    assert {"journal.log", "trials.csv", "summary.json", "best_model.keras", "config.yaml"} <= set(files(mirror))
    assert not list(mirror.rglob("*.mirror-tmp")) and not list(mirror.rglob("backup"))
    assert attempts == [], attempts


def test_resume_onto_an_empty_disk_from_the_mirror(tmp_path):
    env = dict(os.environ, HPO_KIT_DRIVE_ROOT=str(tmp_path / "drive"))
    local = tmp_path / "local"
    args = ["hpo-kit", "run", "trials=3", "max_epochs=5", "pruner=none", "storage=drive", f"output={local}", "--quiet"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    mirror = tmp_path / "drive" / "digits-simple"
    t = time.monotonic()
    while not (list(mirror.glob("trials/1/backup/latest-2.npz"))  # trial 1's second epoch reached Drive, checkpoint and history
               and len(read_rows(mirror / "trials" / "1" / "history.csv")) >= 2):
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.monotonic() - t < 240
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL); proc.wait()
    mirrored_history = read_rows(mirror / "trials" / "1" / "history.csv")
    shutil.rmtree(local)  # the Colab runtime is gone, and its disk with it

    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = read_rows(local / "digits-simple" / "trials.csv")
    assert [(x["number"], x["state"], x["retry_of"]) for x in rows][:2] == [("0", "COMPLETE", ""), ("1", "FAIL", "")]
    retry = next(x for x in rows if x["retry_of"] == "1")
    hist = read_rows(local / "digits-simple" / "trials" / retry["number"] / "history.csv")
    assert len(hist) == 5 and [h["finished_at"] for h in hist[:2]] == [h["finished_at"] for h in mirrored_history[:2]]  # carried, not retrained
    assert [int(h["epoch"]) for h in hist] == list(range(1, len(hist) + 1))
    assert sum(x["state"] == "COMPLETE" for x in rows) == 3
    assert files(mirror)["summary.json"] == (local / "digits-simple" / "summary.json").read_bytes()
