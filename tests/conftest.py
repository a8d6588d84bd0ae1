"""Shared set-up: an isolated KERAS_HOME (read by keras at import time) and fixture writers."""
import os, tempfile
from pathlib import Path

# Keras reads KERAS_HOME when it is first imported, so it is set before any test imports it.
KERAS_HOME = Path(tempfile.mkdtemp(prefix="hpo-kit-keras-home-"))
os.environ["KERAS_HOME"] = str(KERAS_HOME)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest


@pytest.fixture
def keras_home():
    "The test session's KERAS_HOME, with its datasets/ folder created."
    (KERAS_HOME / "datasets").mkdir(parents=True, exist_ok=True)
    return KERAS_HOME


@pytest.fixture
def no_hash_check(monkeypatch):
    """Accept fixture files in place of the real downloads: only keras's hash comparison is bypassed;
    the real loaders, paths, archive extraction and parsing all run."""
    import keras.src.utils.file_utils as fu
    monkeypatch.setattr(fu, "validate_file", lambda *a, **k: True)
