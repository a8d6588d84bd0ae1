"""Two worker processes share one study through a real PostgreSQL server started from Debian's packages;
one is killed mid-trial and the other recovers its trial."""
import glob, os, shutil, signal, socket, subprocess, tempfile, time
from pathlib import Path

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


def test_a_password_never_appears_in_errors():
    with pytest.raises(ConfigError) as e:
        optuna_storage(StudyConfig(storage="postgresql://hpo:hunter2@127.0.0.1:9/hpo"), ".")
    assert "hunter2" not in str(e.value) and "hpo:***@127.0.0.1" in str(e.value)
