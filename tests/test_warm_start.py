"""Warm starts on real studies: the best configurations of a finished study are trained first in a new one, each
saying where it came from, in trials.csv and the report, and the study's sampler takes its best quarter as its good
trials, also when continued; a warm_start that cannot be used stops the study, from the command line, with one
message and before anything is trained."""
import csv, subprocess
from pathlib import Path

from hpo_kit.config import StudyConfig
from hpo_kit.search.results import trial_records
from hpo_kit.study import run_study
import hpo_kit.study.open as open_module
from hpo_kit.study.open import open_study
from hpo_kit.study.resume import resume_config
from hpo_kit.views.report import build_report


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f: return list(csv.DictReader(f))


def test_a_new_study_trains_the_best_configurations_of_an_earlier_one_first(tmp_path, monkeypatch):
    first = run_study(StudyConfig(trials=4, max_epochs=2, output=str(tmp_path), study="first", seed=1))
    done = [r for r in trial_records(first.root) if r["state"] == "COMPLETE" and r["number"] != 0]  # 0: the baseline, run anyway
    best = max(done, key=lambda r: r["value"])
    made, make = [], open_module.make_sampler  # the real one, watched: the sampler the run gave the study with its carried trials
    monkeypatch.setattr(open_module, "make_sampler", lambda *a, **k: made.append(make(*a, **k)) or made[-1])
    second = run_study(StudyConfig(trials=8, max_epochs=2, output=str(tmp_path), study="second", seed=2, warm_start=str(first.root)))
    assert len(made) == 1 and made[0]._gamma(8) == 2  # TPE's good set: the best quarter (search/samplers)
    got = rows(second.root / "trials.csv")
    assert got[0]["warm_start"] == f"{first.root} trial {best['number']} (val_accuracy {best['value']:.4f})"
    assert got[1]["warm_start"] and not any(r["warm_start"] for r in got[2:])  # a quarter of 8 trials: two
    assert not any(" trial 0 (" in r["warm_start"] for r in got)  # the baseline, which runs right after them anyway
    for k in ("conv_blocks", "filters", "dense_units", "activation"):  # the searched parameters it was given, trained here
        assert str(got[0][k]) == str(best["params"][k]), k
    assert got[0]["state"] == "COMPLETE" and float(got[0]["seconds"]) > 0 and (second.root / "trials" / "0" / "history.csv").exists()
    page = build_report(second.root).read_text()
    assert "<th>tried first from</th>" in page and f"{first.root} trial {best['number']}" in page
    assert open_study(resume_config(second.root)).sampler._gamma(8) == 2  # continued, still the best quarter
    assert open_study(resume_config(first.root)).sampler._gamma is None  # nothing carried: Optuna's own


def test_a_warm_start_that_cannot_be_used_stops_before_training(tmp_path):
    text = tmp_path / "text.npz"
    import numpy as np
    rng = np.random.default_rng(0)
    np.savez(text, x_train=rng.integers(1, 50, (120, 10)), y_train=np.arange(120) % 2, x_test=rng.integers(1, 50, (20, 10)),
             y_test=np.arange(20) % 2)
    images = run_study(StudyConfig(trials=1, max_epochs=1, output=str(tmp_path), study="images")).root
    for warm, says in ((tmp_path / "missing", f"warm_start: no study with results at {tmp_path / 'missing'}"),
                       (images, f"warm_start: {images} is a study of image data and this study's data are text")):
        r = subprocess.run(["hpo-kit", "run", f"dataset={text}", f"warm_start={warm}", f"output={tmp_path}", "study=t"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert not (tmp_path / "t" / "trials").exists()  # nothing trained
