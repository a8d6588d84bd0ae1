"""Every dataset loader, run for real and offline on format-faithful fixtures written by the tests."""
import shutil

import numpy as np
import pytest

from hpo_kit.data import load_dataset, from_arrays, REGISTRY, DataError
from hpo_kit.data.gtsrb import load_gtsrb
import fixtures


def check_image(ds, shape, classes, n_train):
    assert ds.modality == "image" and ds.input_shape == shape and ds.num_classes == classes
    assert len(ds.x_train) + len(ds.x_val) == n_train
    assert ds.x_train.dtype == np.float32 and 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    check_stratified(ds)


def check_stratified(ds):
    "The validation split holds each class's share of the labelled data, to within one example (fixtures are large enough)."
    y = np.concatenate([ds.y_train, ds.y_val])
    classes, counts = np.unique(y, return_counts=True)
    assert len(ds.y_val) >= len(classes) >= 2, "too small a fixture: the split cannot be stratified and the check would be empty"
    for c, n in zip(classes, counts):
        assert abs(np.sum(ds.y_val == c) - n * len(ds.y_val) / len(y)) <= 1, (ds.name, c)


def check_text(ds, classes, n_train):
    assert ds.modality == "text" and ds.num_classes == classes
    assert len(ds.x_train) + len(ds.x_val) == n_train
    for x in (ds.x_train, ds.x_val, ds.x_test):
        assert x.dtype == np.int32 and x.min() >= 0 and x.max() < ds.vocab_size  # never an out-of-range id
    assert ds.x_train.shape[1] == ds.preprocessing["seq_len"] <= 400
    check_stratified(ds)


@pytest.mark.parametrize("name,writer,shape,n_train,names,flip", [  # the datasets' published class lists, first three
    ("mnist", fixtures.write_mnist, (28, 28, 1), 300, ["0", "1", "2"], False),  # a mirrored digit is another symbol
    ("fashion_mnist", fixtures.write_fashion, (28, 28, 1), 300, ["t-shirt", "trouser", "pullover"], True),
    ("cifar100", fixtures.write_cifar100, (32, 32, 3), 1000, ["apple", "aquarium_fish", "baby"], True),
])
def test_keras_image_loaders(name, writer, shape, n_train, names, flip, keras_home, no_hash_check):
    writer(keras_home / "datasets")
    ds = load_dataset(name, seed=0)
    check_image(ds, shape, REGISTRY[name].classes, n_train)
    assert ds.class_names[:3] == names and len(ds.class_names) == ds.num_classes
    assert ds.flip_ok is flip


def test_cifar10_loader(keras_home, no_hash_check):
    fixtures.write_cifar10(keras_home / "datasets")
    ds = load_dataset("cifar10", seed=0)
    check_image(ds, (32, 32, 3), 10, 50000)
    assert len(ds.x_test) == 200 and ds.class_names[0] == "airplane"
    assert abs(len(ds.x_val) / 50000 - 0.2) < 1e-3


def test_imdb_loader_truncates_long_reviews(keras_home, no_hash_check):
    fixtures.write_imdb(keras_home / "datasets")
    ds = load_dataset("imdb", seed=0)
    check_text(ds, 2, 200)
    assert ds.class_names == ["negative", "positive"]
    assert len(ds.x_test) == 100  # long reviews are kept (truncated), not dropped
    assert np.count_nonzero(ds.x_train, axis=1).max() == ds.preprocessing["seq_len"]


def test_reuters_loader(keras_home, no_hash_check):
    fixtures.write_reuters(keras_home / "datasets")
    ds = load_dataset("reuters", seed=0)
    check_text(ds, 46, int(460 * 0.8))


def test_gtsrb_loader_reads_official_archives_and_caches(keras_home, no_hash_check):
    fixtures.write_gtsrb(keras_home / "datasets", per_class=6)  # a validation split of at least one example per class
    ds = load_dataset("gtsrb", seed=0)
    check_image(ds, (32, 32, 3), 43, 43 * 6)
    assert len(ds.x_test) == 86
    # the ROI crop removed the dark border: class c's sign is 5*c bright everywhere
    (xtr, ytr), _ = load_gtsrb()
    for c in (0, 7, 42):
        assert np.all(xtr[ytr == c] == 5 * c)
    assert (keras_home / "datasets" / "gtsrb" / "gtsrb_32.npz").exists()
    for zf in (keras_home / "datasets" / "gtsrb").glob("*.zip"): zf.unlink()
    (xtr2, _), _ = load_gtsrb()  # served from the npz cache, archives gone
    np.testing.assert_array_equal(xtr, xtr2)


def test_digits_is_offline_and_default():
    ds = load_dataset("digits")
    check_image(ds, (8, 8, 1), 10, 1797 - len(ds.x_test))


def test_npz_path_and_arrays(tmp_path):
    x, y = fixtures.images(120, (12, 12, 3), 4)
    p = tmp_path / "signs.npz"
    np.savez(p, x_train=x[:100], y_train=y[:100], x_test=x[100:], y_test=y[100:])
    ds = load_dataset(str(p))
    assert ds.name == "signs" and ds.input_shape == (12, 12, 3) and ds.num_classes == 4
    arr = from_arrays(x[:100], y[:100] + 10, x[100:], y[100:] + 10)
    assert arr.class_names == ["10", "11", "12", "13"] and set(arr.y_train) <= {0, 1, 2, 3}


def test_npz_missing_keys_is_a_clear_error(tmp_path):
    p = tmp_path / "bad.npz"
    np.savez(p, x_train=np.zeros((4, 5, 5)), y_train=np.zeros(4))
    with pytest.raises(DataError, match="lacks x_test, y_test"):
        load_dataset(str(p))


def test_gtsrb_md5_check_sets_a_damaged_archive_aside(keras_home, monkeypatch):
    "Keras's real md5 comparison: intact archives load; one cut in half is set aside and, offline, named in one DataError."
    import hashlib
    import hpo_kit.data.gtsrb as g
    folder = keras_home / "datasets" / "gtsrb"
    shutil.rmtree(folder, ignore_errors=True)
    fixtures.write_gtsrb(keras_home / "datasets")
    monkeypatch.setattr(g, "GTSRB_ARCHIVES", {n: hashlib.md5((folder / n).read_bytes()).hexdigest() for n in g.GTSRB_ARCHIVES})
    assert len(load_gtsrb()[0][0]) == 3 * 43  # the fixture's own md5s pass the check
    (folder / f"gtsrb_{g.GTSRB_SIZE}.npz").unlink()
    train = folder / "GTSRB_Final_Training_Images.zip"
    train.write_bytes(train.read_bytes()[: train.stat().st_size // 2])  # a download cut in half
    for k in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"): monkeypatch.setenv(k, "http://127.0.0.1:9")  # offline
    for k in ("no_proxy", "NO_PROXY"): monkeypatch.setenv(k, "")
    with pytest.raises(DataError, match=r"GTSRB_Final_Training_Images\.zip failed its md5 check .* kept as \*\.damaged"):
        load_dataset("gtsrb", seed=0)
    assert (folder / "GTSRB_Final_Training_Images.zip.damaged").exists() and not train.exists()
