"""A fault campaign: malformed options, YAML files, .npz contents, arrays, storage URLs and damaged study folders.

Each case runs the real `hpo-kit` entry point (`cli.main`, in this process so TensorFlow is imported once; a few cases
also run as a real subprocess) and must end before any training with exit status 2, one `hpo-kit: error:` message
that names the bad value, no traceback, and nothing written to or lost from the output folder.
A damaged study folder that can be repaired is repaired, keeping what was cut, and finishes its study."""
import contextlib, io, os, shutil, subprocess, sys
from pathlib import Path

import numpy as np
import pytest

from hpo_kit.cli import main
from hpo_kit.data import DataError, from_arrays
from hpo_kit.store.files import read_rows

RNG = np.random.default_rng(0)
IMG, LAB = RNG.integers(0, 255, (60, 8, 8)).astype(np.uint8), np.arange(60) % 3
TEST_IMG, TEST_LAB = IMG[:12], LAB[:12]


def cli(*args):
    "Run `hpo-kit ARGS` in this process: (exit status, stdout, stderr)."
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err): rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} if folder.exists() else {}


def npz(tmp, **arrays):
    "An .npz dataset: the good arrays, with the given ones replaced."
    good = dict(x_train=IMG, y_train=LAB, x_test=TEST_IMG, y_test=TEST_LAB)
    path = tmp / "data.npz"
    np.savez(path, **{k: v for k, v in {**good, **arrays}.items() if v is not None})
    return path


def ragged():
    a = np.empty(60, dtype=object); a[:] = [[1, 2, 3], [4, 5]] * 30
    return a


OPTION_CASES = [  # key=value options: (options, words the message must contain)
    (["trials=0"], "trials=0 is out of range"), (["trials=-3"], "trials=-3 is out of range"),
    (["trials=abc"], "trials='abc' is not a whole number"), (["max_epochs=0"], "max_epochs=0 is out of range"),
    (["max_epochs=2.5"], "max_epochs='2.5' is not a whole number"), (["health_weight=1.5"], "health_weight=1.5 is out of range"),
    (["health_weight=-0.1"], "health_weight=-0.1 is out of range"), (["mode=fancy"], "mode='fancy' is not valid"),
    (["objective=overall_health"], "needs mode=health"), (["objectives=val_accuracy,bogus"], "'bogus' is not an objective"),
    (["objectives=val_accuracy,val_accuracy"], "two or more different objectives"), (["dataset=nope"], "dataset='nope' is not valid"),
    (["dataset=minst"], "Did you mean 'mnist'"), (["dataset=missing.npz"], "'missing.npz' does not exist"),
    (["pruner=sometimes"], "pruner='sometimes' is not valid"), (["sampler=grid"], "sampler='grid' is not valid"),
    (["activation_override=sigmoidal"], "activation_override='sigmoidal' is not valid"), (["timeout=-5"], "timeout=-5.0 is out of range"),
    (["timeout=soon"], "timeout='soon' is not a number"), (["seed=x"], "seed='x' is not a whole number"),
    (["health_weights=gradient_health:lots"], "'lots' (for gradient_health) is not a number"),
    (["health_weights=bogus:1"], "unknown metric 'bogus'"), (["space={bogus: 1}"], "unknown parameter 'bogus'"),
    (["space={learning_rate: [1, 0]}"], "learning_rate=[1, 0]"), (["space=[1, 2]"], "must be a mapping"),
    (["space={optimizer: [adam, lion]}"], "'lion' is not a valid choice"), (["space={batch_size: big}"], "batch_size='big'"),
    (["space={learning_rate: [1e-4"], "is not a YAML mapping"), (["refit=maybe"], "refit='maybe' is not true or false"),
    (["ensemble=-1"], "ensemble=-1 is out of range"), (["precision=half"], "precision='half' is not valid"),
    (["jit_compile=sometimes"], "jit_compile='sometimes' is not valid"), (["max_params=0"], "max_params=0 is out of range"),
    (["patience=0"], "patience=0 is out of range"), (["plot_mode=x"], "plot_mode='x' is not valid"),
    (["study=../x"], "study='../x' must be a plain name"), (["trails=5"], "Unknown option 'trails'"),
    (["=5"], "'=5' has no option name"), (["trials"], "Expected key=value, got 'trials'"),
    (["trials=3", "trials=4"], "'trials' is given twice"),
    (["storage=ftp://x"], "storage='ftp://x' is not valid"), (["storage=gdrive://"], "needs the id of a Drive folder"),
    (["storage=drive"], "storage=drive needs Google Colab"),
    (["storage=postgresql://nobody@127.0.0.1:9/none"], "cannot open postgresql://nobody@127.0.0.1:9/none"),
]

YAML_CASES = [  # --config files: (file contents, words)
    (b"trials: 3\n\tmax_epochs: 2\n", "not valid YAML at line 2"),
    (b"trials: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
    (b"- trials\n- 3\n", "expected a mapping of options"),
    (b"trails: 3\n", "Unknown option 'trails'"),
    (b"trials: many\n", "trials='many'"),
    (b"\xff\xfe\x00garbage", "cannot be read as text"),
    (b"1: 2\n", "option names must be text, got 1"),
]

NPZ_CASES = [  # dataset=FILE.npz contents: (arrays to replace, words)
    (dict(y_train=np.r_[LAB[:-1], -1]), "y_train[59] = -1 is negative"),
    (dict(y_train=LAB + 0.5), "y_train[0] = 0.5 is not a whole number"),
    (dict(y_test=np.r_[TEST_LAB[:-1], np.nan]), "y_test[11] = nan is not a whole number"),
    (dict(y_train=np.eye(3)[LAB]), "one-hot labels"),
    (dict(x_train=np.where(np.arange(IMG.size).reshape(IMG.shape) == 70, np.nan, IMG)), "x_train[1, 0, 6] is nan"),
    (dict(x_test=np.full(TEST_IMG.shape, np.inf)), "x_test[0, 0, 0] is inf"),
    (dict(x_test=None), "lacks x_test"),
    (dict(x_train=ragged(), x_test=ragged()[:12]), "pad_sequences"),
    (dict(y_test=np.r_[TEST_LAB[:-1], 7]), "y_test[11] is class 7, which y_train never has"),
    (dict(y_train=np.r_[LAB[:-1], 5]), "class 5 has 1 example"),
    (dict(y_train=LAB[:-5]), "x and y lengths differ (train 60 vs 55"),
    (dict(x_test=RNG.integers(0, 255, (12, 9, 9)).astype(np.uint8)), "test images (9, 9)"),
    (dict(x_train=RNG.random((60, 20)).astype(np.float32)), "Cannot tell whether x with shape (60, 20)"),
    (dict(y_train=np.zeros(60, int), y_test=np.zeros(12, int)), "found 1 class"),
    (dict(x_train=np.zeros((0, 8, 8))), "x_train is empty"),
    (dict(x_train=-np.ones((60, 10), int), x_test=np.ones((12, 10), int)), "x_train[0, 0] = -1"),
    (dict(y_test=np.array(["a", "b", "c"] * 4)), "use the same kind of labels"),
]


@pytest.mark.parametrize("options,words", OPTION_CASES, ids=[" ".join(c[0]) for c in OPTION_CASES])
def test_bad_option(tmp_path, options, words):
    out = tmp_path / "out"
    rc, _, err = cli("run", *options, f"output={out}", "--quiet")
    assert (rc, words in err, "Traceback" in err) == (2, True, False), err
    assert err.startswith("hpo-kit: error:"), err
    assert snapshot(out) == {}, "nothing may be written for a refused configuration"


@pytest.mark.parametrize("text,words", YAML_CASES, ids=[c[1] for c in YAML_CASES])
def test_bad_yaml_config(tmp_path, text, words):
    (tmp_path / "opts.yaml").write_bytes(text)
    rc, _, err = cli("run", "--config", str(tmp_path / "opts.yaml"), f"output={tmp_path / 'out'}", "--quiet")
    assert (rc, words in err, "Traceback" in err) == (2, True, False), err
    assert str(tmp_path / "opts.yaml") in err  # the message names the file
    assert snapshot(tmp_path / "out") == {}


@pytest.mark.parametrize("arrays,words", NPZ_CASES, ids=[c[1] for c in NPZ_CASES])
def test_bad_npz(tmp_path, arrays, words):
    path = npz(tmp_path, **arrays)
    rc, _, err = cli("run", f"dataset={path}", f"output={tmp_path / 'out'}", "trials=1", "max_epochs=1", "--quiet")
    assert (rc, words in err, "Traceback" in err) == (2, True, False), err
    assert snapshot(tmp_path / "out") == {}, "a study refused for its data leaves no folder behind"


@pytest.mark.parametrize("args,words", [
    ((IMG, np.array([1, "a"] * 30, dtype=object), TEST_IMG, TEST_LAB), "mixes types"),
    (([np.zeros((8, 8))] * 59 + [np.zeros((8, 9))], LAB, TEST_IMG, TEST_LAB), "images of different shapes"),
    (([[1, 2, 3]] * 59 + [[1, 2.5]], LAB, [[1, 2]] * 12, TEST_LAB), "x_train[59][1] = 2.5"),
    ((IMG, LAB.astype(complex), TEST_IMG, TEST_LAB), "has dtype complex128"),
])
def test_bad_arrays_from_python(args, words):
    with pytest.raises(DataError) as e: from_arrays(*args)
    assert words in str(e.value)


def test_object_array_of_class_ids_is_fine():
    assert from_arrays(IMG, LAB.astype(object), TEST_IMG, TEST_LAB).class_names == ["0", "1", "2"]


@pytest.mark.parametrize("write,words", [(lambda p: p.write_bytes(b"PK\x03\x04 torn"), "is not a readable .npz file"),
                                         (lambda p: np.save(open(p, "wb"), np.zeros(3)), "holds one array (an .npy file)")],
                         ids=["torn zip", "an .npy inside"])
def test_file_that_is_not_an_npz(tmp_path, write, words):
    write(tmp_path / "data.npz")
    rc, _, err = cli("run", f"dataset={tmp_path / 'data.npz'}", f"output={tmp_path / 'out'}", "--quiet")
    assert (rc, words in err, "Traceback" in err) == (2, True, False), err


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    "A finished one-trial study on the digits, copied fresh for each test that damages it."
    out = tmp_path_factory.mktemp("study")
    rc, _, err = cli("run", "trials=1", "max_epochs=1", "refit=false", "seed=0", f"output={out}", "--quiet")
    assert rc == 0, err
    return out / "digits-simple"


@pytest.fixture
def copy(study, tmp_path):
    dst = tmp_path / "digits-simple"
    shutil.copytree(study, dst)
    return dst


FOLDER_CASES = [  # (how the folder is damaged or misused, the command, words)
    ("config.yaml garbage, journal gone", lambda r: ((r / "config.yaml").write_text("trials: [\n"), (r / "journal.log").unlink()),
     lambda r: ["resume", str(r)], "journal holds no copy"),
    ("journal damaged before good entries", lambda r: _damage_journal_middle(r / "journal.log"),
     lambda r: ["resume", str(r)], "damaged at line 2"),
    ("not a study folder", lambda r: None, lambda r: ["resume", str(r / "trials")], "is not a study folder"),
    ("resume changes max_epochs", lambda r: None, lambda r: ["resume", str(r), "max_epochs=9"], "resume can only change"),
    ("run with a changed option", lambda r: None, lambda r: ["run", "trials=1", "max_epochs=3", "seed=0", f"output={r.parent}"],
     "max_epochs: 1 -> 3"),
    ("export to an unknown format", lambda r: None, lambda r: ["export", str(r), "--format", "onnx"], "format='onnx' is not valid"),
    ("report of a folder that is not a study", lambda r: None, lambda r: ["report", str(r.parent / "nope")], "is not a study folder"),
    ("worker without a database", lambda r: None, lambda r: ["worker", "study=x"], "worker needs storage=postgresql://"),
]


def _damage_journal_middle(path: Path):
    lines = path.read_bytes().split(b"\n"); lines[1] = b"\x00\xff garbage"
    path.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize("damage,command,words", [c[1:] for c in FOLDER_CASES], ids=[c[0] for c in FOLDER_CASES])
def test_refused_folder(copy, damage, command, words):
    damage(copy)
    before = snapshot(copy)
    rc, _, err = cli(*command(copy))
    assert (rc, words in err, "Traceback" in err) == (2, True, False), err
    assert snapshot(copy) == before, "a refused command changes nothing in the study folder"


def test_folder_in_use_by_another_process(copy):
    holder = subprocess.Popen([sys.executable, "-c", "from hpo_kit.store.lock import folder_lock; from hpo_kit.config import StudyConfig\n"
                               f"import time\nwith folder_lock({str(copy)!r}, StudyConfig()): print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = snapshot(copy)
        rc, _, err = cli("resume", str(copy), "trials=2", "--quiet")
        assert (rc, f"in use by process {holder.pid}" in err, "Traceback" in err) == (2, True, False), err
        assert snapshot(copy) == before
    finally: holder.kill(); holder.wait()


def test_repairs_keep_what_was_cut_and_the_study_continues(copy):
    "A garbage journal tail and a config.yaml with a tab are repaired, a copy of each kept; the study then grows by a trial."
    journal = copy / "journal.log"
    good = journal.read_bytes()
    journal.write_bytes(good + b"\xfe\xff\x00 not json\n{\"torn\": ")
    (copy / "config.yaml").write_text("trials: 1\n\tmax_epochs: 1\n")
    rc, out, err = cli("resume", str(copy), "trials=2", "--quiet")
    assert rc == 0, err
    assert "Traceback" not in err and "rebuilt it from the journal" in err and "cut them off" in err
    assert [p.read_bytes() for p in copy.glob("journal.log.cut-*")] == [b"\xfe\xff\x00 not json\n{\"torn\": "]
    assert next(copy.glob("config.yaml.damaged-*")).read_text() == "trials: 1\n\tmax_epochs: 1\n"
    assert [r["state"] for r in read_rows(copy / "trials.csv")] == ["COMPLETE", "COMPLETE"]


def test_rerun_of_a_finished_study_says_nothing_to_run(copy):
    before = {k: v for k, v in snapshot(copy).items() if k.startswith("trials/") or k == "trials.csv"}
    rc, out, err = cli("resume", str(copy), "--quiet")
    assert rc == 0, err
    assert out.startswith("Nothing to run: the budget of 1 trials x 1 epochs is spent"), out
    assert {k: v for k, v in snapshot(copy).items() if k.startswith("trials/") or k == "trials.csv"} == before


def test_deleted_trial_folder_and_permissions(copy):
    "A finished trial's folder deleted by hand loses nothing recorded; every file is written with the umask's permissions."
    shutil.rmtree(copy / "trials" / "0")
    rc, _, err = cli("resume", str(copy), "trials=2", "--quiet")
    assert rc == 0, err
    rows = read_rows(copy / "trials.csv")
    assert [r["number"] for r in rows] == ["0", "1"] and rows[0]["state"] == "COMPLETE" and rows[0]["value"]
    rc, out, err = cli("report", str(copy))
    assert rc == 0 and "Traceback" not in err, err
    umask = os.umask(0o022); os.umask(umask)
    modes = {str(p.relative_to(copy)): p.stat().st_mode & 0o777 for p in copy.rglob("*") if p.is_file()}
    assert set(modes.values()) == {0o666 & ~umask}, modes


def run_entry_point(*args, env=None):
    return subprocess.run(["hpo-kit", *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("args,words", [
    (["run", "=5"], "'=5' has no option name"),
    (["run", "trials=0"], "trials=0 is out of range"),
])
def test_entry_point_exit_status_and_one_message(tmp_path, args, words):
    r = run_entry_point(*args, f"output={tmp_path}")
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr  # one line


def test_offline_builtin_dataset(tmp_path):
    "mnist with the network cut (a proxy on a closed port) and an empty Keras cache: one message with the URL, cache path, way out."
    env = dict(os.environ, KERAS_HOME=str(tmp_path / "keras"), https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9",
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="")
    r = run_entry_point("run", "dataset=mnist", f"output={tmp_path / 'out'}", "--quiet", env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    for words in ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
                  str(tmp_path / "keras" / "datasets" / "mnist.npz"), "dataset=path/to/file.npz"):
        assert words in r.stderr, r.stderr
    assert r.stderr.startswith("hpo-kit: error:") and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "out").exists()

