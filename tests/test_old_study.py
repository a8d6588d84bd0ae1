"""A study folder written by an earlier release (0.0.1, before the package was regrouped into subpackages) still
resumes, reports and exports. The fixture `tests/data/release-0.0.1` was made by `hpo-kit run dataset=digits trials=3
max_epochs=3 seed=0 pruner=none space='{filters: 16, dense_units: 32, conv_blocks: 1}' study=release-0.0.1` at commit
4c2c552, killed with SIGKILL once trial 2 had checkpointed its first epoch: two complete trials and one left RUNNING."""
import csv, json, shutil, subprocess
from pathlib import Path

FIXTURE = Path(__file__).parent / "data" / "release-0.0.1"


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f: return list(csv.DictReader(f))


def hpo_kit(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["hpo-kit", *args], capture_output=True, text=True, timeout=600)


def test_release_001_folder_resumes_reports_and_exports(tmp_path):
    root = tmp_path / FIXTURE.name
    shutil.copytree(FIXTURE, root)
    before = {r["number"]: r for r in rows(root / "trials.csv")}
    epoch1 = rows(root / "trials" / "2" / "history.csv")[0]
    assert [before[n]["state"] for n in ("0", "1")] == ["COMPLETE", "COMPLETE"] and "2" not in before  # as the fixture was left

    run = hpo_kit("resume", str(root), "--quiet")
    assert run.returncode == 0, run.stderr[-3000:]
    after = {r["number"]: r for r in rows(root / "trials.csv")}
    for n in ("0", "1"):  # finished trials are kept as they were
        assert (after[n]["state"], after[n]["value"]) == (before[n]["state"], before[n]["value"])
    assert after["2"]["state"] == "FAIL" and after["2"]["reason"] == "interrupted"
    assert after["3"]["retry_of"] == "2" and after["3"]["state"] == "COMPLETE"
    resumed = rows(root / "trials" / "3" / "history.csv")
    assert [int(r["epoch"]) for r in resumed] == [1, 2, 3]
    assert resumed[0]["finished_at"] == epoch1["finished_at"]  # epoch 1 came from the old checkpoint, not trained again
    summary = json.loads((root / "summary.json").read_text())
    assert summary["final"]["kind"] == "refit" and 0.0 < summary["test_accuracy"] <= 1.0
    assert (root / "final_model.keras").exists() and not list(root.glob("trials/*/backup"))

    report = hpo_kit("report", str(root))
    assert report.returncode == 0, report.stderr[-3000:]
    page = (root / "report.html").read_text()
    assert "hpo-kit report: release-0.0.1" in page and "trial 3" in page.lower()
    export = hpo_kit("export", str(root), "--format", "keras")
    assert export.returncode == 0 and (root / "exports" / "keras" / "model.keras").exists(), export.stderr[-2000:]
