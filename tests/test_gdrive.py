"""storage=gdrive://: a whole study round-trips through the real PyDrive2 client against the loopback Drive v2
emulator in drive_emulator.py, with injected 503 and 429 answers; no duplicate files however often it mirrors;
a resume onto an empty local disk from the Drive copy alone; credentials never land anywhere."""
import json, shutil
from pathlib import Path

import pytest

from drive_emulator import DriveEmulator
from hpo_kit.config import ConfigError, StudyConfig
from hpo_kit.store.gdrive import DriveApiMirror
from hpo_kit.store.files import read_rows
from hpo_kit.study import run_study

SECRETS = ("BEGIN PRIVATE KEY", "key-id-SECRET-123", "at-SECRET-789")


def service_account_key(token_uri):
    "A service-account key file's contents with a fresh RSA key: google-auth signs real JWTs with it."
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return dict(type="service_account", project_id="hpo-kit-test", private_key_id=SECRETS[1], private_key=pem,
                client_email="hpo@hpo-kit-test.iam.gserviceaccount.com", client_id="1", token_uri=token_uri)


@pytest.fixture
def drive(tmp_path, monkeypatch):
    emu = DriveEmulator()
    monkeypatch.setenv("HPO_KIT_DRIVE_API", emu.url)
    monkeypatch.setattr(DriveApiMirror, "retry_base", 0.01)
    creds = tmp_path / "creds" / "service_account.json"
    creds.parent.mkdir()
    creds.write_text(json.dumps(service_account_key(f"{emu.url}/token")))
    yield emu, str(creds)
    emu.close()


def local_files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in Path(root).rglob("*") if p.is_file() and not p.name.endswith(".lock")}


def test_a_study_round_trips_through_the_drive_api(drive, tmp_path):
    emu, creds = drive
    emu.fault_every = {503: 7, 429: 11}
    events = []
    cfg = StudyConfig(trials=2, max_epochs=2, storage="gdrive://root-folder", credentials=creds, output=str(tmp_path / "local"))
    res = run_study(cfg, on_event=events.append)
    (study_folder,) = [f for f in emu.children("root-folder")]
    assert study_folder["title"] == "digits-simple"
    assert emu.tree(study_folder["id"]) == local_files(res.root)  # every file, byte for byte
    assert emu.faults_served >= 5  # 503 and 429 answers were served, and retried
    assert not emu.duplicates()  # updated in place by id, never a second file of the same name
    assert emu.uploads > len(local_files(res.root))  # files were mirrored many times (each epoch), not duplicated

    # the runtime and its disk are gone: a larger budget continues from the Drive copy alone
    shutil.rmtree(tmp_path / "local")
    emu.fault_every = {503: 5}
    res2 = run_study(StudyConfig(**{**cfg.__dict__, "trials": 3}))
    rows = read_rows(res2.root / "trials.csv")
    assert len(rows) == 3 and [r["state"] for r in rows[:2]] == ["COMPLETE", "COMPLETE"]
    assert emu.tree(study_folder["id"]) == local_files(res2.root) and not emu.duplicates()

    # credentials are never written to any file, event or request body of the project
    blobs = [*local_files(res2.root).values(), *emu.tree(study_folder["id"]).values(), json.dumps(events, default=str).encode()]
    for secret in SECRETS:
        assert not any(secret.encode() in b for b in blobs), secret
    assert all(SECRETS[0].encode() not in e["body"] for e in emu.log)  # the key signs, it is never sent
    assert any(e["path"] == "/token" and b"jwt-bearer" in e["body"] for e in emu.log)  # a real signed assertion was exchanged


def test_pull_takes_newer_remote_files_and_keeps_newer_local_ones(drive, tmp_path):
    emu, creds = drive
    root = tmp_path / "study"; root.mkdir()
    (root / "a.txt").write_text("one"); (root / "sub").mkdir(); (root / "sub" / "b.txt").write_text("two")
    m = DriveApiMirror("root-folder", "s", creds)
    m.push(root)
    (root / "sub" / "b.txt").unlink(); m.push(root, ["sub"])
    assert set(emu.tree(emu.children("root-folder")[0]["id"])) == {"a.txt"}
    other = tmp_path / "elsewhere"
    assert DriveApiMirror("root-folder", "s", creds).pull(other) == 1 and (other / "a.txt").read_text() == "one"
    assert DriveApiMirror("root-folder", "s", creds).pull(other) == 0  # nothing newer the second time


def test_a_full_quota_is_reported_once_and_the_study_goes_on(drive, tmp_path, capfd):
    "Drive answers every upload with 403 storageQuotaExceeded: one message, the local study completes; later the copy catches up."
    emu, creds = drive
    emu.quota_full = True
    cfg = StudyConfig(trials=2, max_epochs=2, refit=False, storage="gdrive://root-folder", credentials=creds, output=str(tmp_path / "local"))
    res = run_study(cfg)
    err = capfd.readouterr().err
    assert err.count("cannot write the copy at DriveApiMirror(gdrive://root-folder/digits-simple)") == 1, err
    assert "storageQuotaExceeded" in err and "Traceback" not in err, err
    assert [r["state"] for r in read_rows(res.root / "trials.csv")] == ["COMPLETE", "COMPLETE"]
    emu.quota_full = False  # space freed: the next run brings the copy up to date
    res = run_study(StudyConfig(**{**cfg.__dict__, "trials": 3}))
    (study_folder,) = emu.children("root-folder")
    assert emu.tree(study_folder["id"]) == local_files(res.root)


def test_an_unreadable_copy_stops_before_anything_runs(drive, tmp_path):
    "A copy that cannot be read might be newer than the local folder: the study refuses to start rather than overwrite it."
    emu, creds = drive
    emu.unreadable = True
    cfg = StudyConfig(trials=1, max_epochs=1, storage="gdrive://root-folder", credentials=creds, output=str(tmp_path / "local"))
    with pytest.raises(ConfigError, match=r"cannot read the study's copy at DriveApiMirror\(gdrive://root-folder/digits-simple\)"):
        run_study(cfg)
    assert not (tmp_path / "local").exists()


def test_creates_that_fail_after_they_happened_and_paged_listings(drive, tmp_path):
    """Drive answers every third create or upload with 503 after doing it (how real duplicates happen) and lists two files a
    page: no duplicate, no lost file, also when a resume reads the whole copy back; a file a person trashed is left alone."""
    emu, creds = drive
    emu.fault_after_every, emu.page_size = 3, 2
    cfg = StudyConfig(trials=2, max_epochs=2, refit=False, storage="gdrive://root-folder", credentials=creds, output=str(tmp_path / "local"))
    res = run_study(cfg)
    (study_folder,) = emu.children("root-folder")
    assert emu.faults_served >= 5
    assert not emu.duplicates() and emu.tree(study_folder["id"]) == local_files(res.root)

    trashed = next(f for f in emu.children(study_folder["id"]) if f["title"] == "summary.json")
    emu.trash(trashed["id"])  # a person moved it to Drive's trash
    kept = emu.content[trashed["id"]]
    shutil.rmtree(tmp_path / "local")  # the runtime is gone: the resume reads every page of every folder back
    res2 = run_study(StudyConfig(**{**cfg.__dict__, "trials": 3}))
    rows = read_rows(res2.root / "trials.csv")
    assert [r["state"] for r in rows] == ["COMPLETE"] * 3  # nothing lost: the two trials came back, one more ran
    assert emu.tree(study_folder["id"]) == local_files(res2.root) and not emu.duplicates()
    assert emu.files[trashed["id"]]["trashed"] and emu.content[trashed["id"]] == kept  # a new summary, the trashed one untouched
