"""Worker processes share one study through a real PostgreSQL server started from Debian's packages: one is killed
mid-trial and another recovers its trial; workers that open a new study at the same moment queue its first trials once."""
import glob, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time, warnings
from pathlib import Path

import numpy as np
import optuna
import pytest

from hpo_kit.config import ConfigError, StudyConfig
from hpo_kit.store.journal import optuna_storage

TRIALS = 6


def _as_postgres(cmd):
    "PostgreSQL refuses to run as root: drop to the postgres user when we are root."
    return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def postgres():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    assert bins, "PostgreSQL server is not installed (apt-get install postgresql; .ci/run does)"
    pg = Path(bins[-1])
    base = Path(tempfile.mkdtemp(prefix="hpo-kit-pg-"))  # directly in /tmp: pytest's own temp root is closed to other users
    data, sock = base / "data", base / "sock"
    for d in (data, sock):
        d.mkdir()
        if os.geteuid() == 0: shutil.chown(d, "postgres"); shutil.chown(base, "postgres")
    subprocess.run(_as_postgres([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]), check=True, capture_output=True)
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    subprocess.run(_as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "log"),
                                 "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1", "start"]), check=True, capture_output=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE hpo"], check=True, capture_output=True)
    yield f"postgresql://postgres@127.0.0.1:{port}/hpo"
    subprocess.run(_as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def test_two_workers_share_a_study_and_recover_a_dead_workers_trial(postgres, tmp_path):
    env = dict(os.environ, HPO_KIT_HEARTBEAT="2")
    a = subprocess.Popen(["hpo-kit", "run", f"storage={postgres}", "study=shared", f"trials={TRIALS}", "max_epochs=4", "pruner=none",
                          f"output={tmp_path / 'a'}", "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    storage = optuna_storage(StudyConfig(storage=postgres), ".")
    t = time.monotonic()
    while "shared" not in optuna.get_all_study_names(storage):
        assert a.poll() is None and time.monotonic() - t < 120; time.sleep(0.2)
    b = subprocess.Popen(["hpo-kit", "worker", f"storage={postgres}", "study=shared", f"output={tmp_path / 'b'}", "--quiet"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not [p for p in (tmp_path / "b").glob("shared/trials/*/history.csv") if p.read_text().count("\n") >= 2]:
        assert b.poll() is None, b.stderr.read()[-2000:]
        assert time.monotonic() - t < 240; time.sleep(0.05)
    b.send_signal(signal.SIGKILL); b.wait()  # worker B dies mid-trial
    killed = {int(p.parent.name) for p in (tmp_path / "b").glob("shared/trials/*/history.csv")} - \
             {int(p.parent.name) for p in (tmp_path / "b").glob("shared/trials/*/model.keras")}
    out, err = a.communicate(timeout=600)
    assert a.returncode == 0, err[-3000:]

    trials = optuna.load_study(study_name="shared", storage=storage).trials
    dead = [t for t in trials if t.number in killed]
    assert len(dead) == 1 and dead[0].state.name == "FAIL" and "reason" not in dead[0].user_attrs  # failed by the heartbeat check
    retry = [t for t in trials if t.user_attrs.get("retry_of") == dead[0].number]
    assert len(retry) == 1 and retry[0].state.name == "COMPLETE" and retry[0].params == dead[0].params
    assert sum(t.state.name == "COMPLETE" for t in trials) == TRIALS  # pruner=none: exactly the budget, no overrun
    # each worker's own record: the trials whose epochs it trained, read from its own folder
    trained = {w: {int(p.parent.name) for p in (tmp_path / w).glob("shared/trials/*/history.csv")} for w in "ab"}
    assert trained["a"] and trained["b"] and not trained["a"] & trained["b"], trained  # both worked, never on the same trial
    ran = {t.number for t in trials if t.state.name != "WAITING" and not str(t.user_attrs.get("reason", "")).startswith("skipped")}
    assert trained["a"] | trained["b"] == ran, (trained, ran)  # every trial that ran was trained by one of them
    assert "Study folder:" in out


def test_a_worker_joins_with_the_stored_configuration(postgres, tmp_path):
    from hpo_kit.study import worker_config
    cfg = worker_config(postgres, "shared", output=str(tmp_path))
    assert (cfg.trials, cfg.max_epochs, cfg.pruner, cfg.output) == (TRIALS, 4, "none", str(tmp_path))
    with pytest.raises(ConfigError, match="no study named 'nope'"): worker_config(postgres, "nope")


_OPEN = """
import sys, time
from hpo_kit.config import StudyConfig
from hpo_kit.data import load_dataset
from hpo_kit.study.open import open_study
url, out, at = sys.argv[1], sys.argv[2], float(sys.argv[3])
data, cfg = load_dataset("digits"), StudyConfig(storage=url, study="race", trials=8, max_epochs=1, output=out)
print(at - time.time())  # > 0: it was ready before the moment
time.sleep(max(0.0, at - time.time()))  # every worker opens the new study at the same moment
study = open_study(cfg, data=data)
print(study.sampler._random_sampler._rng.rng.randint(1 << 30))  # its sampler's first random draw
"""


def test_workers_that_open_a_new_study_at_once_queue_its_first_trials_once(postgres, tmp_path):
    from hpo_kit.data import load_dataset
    from hpo_kit.search.space import baselines
    port = postgres.rsplit(":", 1)[1].split("/")[0]
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-c", "CREATE DATABASE race"], check=True, capture_output=True)
    postgres = postgres.rsplit("/", 1)[0] + "/race"  # a new database: the workers also race to create Optuna's tables
    at = time.time() + 15  # after each worker's imports and data
    workers = [subprocess.Popen([sys.executable, "-c", _OPEN, postgres, str(tmp_path / w), str(at)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for w in "abc"]
    try:
        outs = [w.communicate(timeout=120) for w in workers]
    finally:
        for w in workers: w.kill()
    assert all(w.returncode == 0 for w in workers), [err[-2000:] for _, err in outs]
    ready, draws = zip(*(out.split() for out, _ in outs))
    assert min(map(float, ready)) > 0, f"a worker was not ready at the moment they all open the study: raise the delay ({ready})"
    storage = optuna_storage(StudyConfig(storage=postgres), ".")
    queued = [t.system_attrs["fixed_params"] for t in optuna.load_study(study_name="race", storage=storage).trials]
    cfg = StudyConfig(trials=8, max_epochs=1)
    assert queued == baselines(load_dataset("digits"), cfg), queued  # queued once, by the worker that created the study
    assert len(set(draws)) == 3, draws  # and no two workers draw the same random trials


def _open_created(postgres, name, out):
    "Open the study `name` that another worker has just created, and the baselines of the digits."
    from hpo_kit.data import load_dataset
    from hpo_kit.search.space import baselines
    from hpo_kit.study.open import open_study
    cfg, data = StudyConfig(storage=postgres, study=name, trials=8, max_epochs=1, output=str(out)), load_dataset("digits")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing a user cannot act on reaches a notebook (Optuna's ExperimentalWarning did)
        return open_study(cfg, data=data), baselines(data, cfg)


def test_a_worker_that_finds_the_new_study_empty_leaves_its_first_trials_to_its_creator(postgres, tmp_path):
    storage = optuna_storage(StudyConfig(storage=postgres), ".")
    creator = optuna.create_study(study_name="empty", storage=storage, direction="maximize")  # it queues them a moment later
    threading.Timer(1.0, creator.enqueue_trial, [{"learning_rate": 0.01}]).start()
    study, _ = _open_created(postgres, "empty", tmp_path)
    assert [t.system_attrs["fixed_params"] for t in study.trials] == [{"learning_rate": 0.01}]  # the creator's, and nothing more
    assert study.sampler._random_sampler._rng.rng.randint(1 << 30) != np.random.RandomState(0).randint(1 << 30)  # not the creator's draws


def test_a_worker_queues_the_first_trials_that_a_dead_creator_never_queued(postgres, tmp_path):
    storage = optuna_storage(StudyConfig(storage=postgres), ".")
    optuna.create_study(study_name="orphan", storage=storage, direction="maximize")  # its creator died right after this
    study, first = _open_created(postgres, "orphan", tmp_path)
    assert [t.system_attrs["fixed_params"] for t in study.trials] == first


def test_a_password_never_appears_in_errors():
    with pytest.raises(ConfigError) as e:
        optuna_storage(StudyConfig(storage="postgresql://hpo:hunter2@127.0.0.1:9/hpo"), ".")
    assert "hunter2" not in str(e.value) and "hpo:***@127.0.0.1" in str(e.value)
