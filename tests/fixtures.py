"""Writers of format-faithful offline fixtures for each dataset loader (layouts as the real downloads have them)."""
import gzip, io, pickle, tarfile, zipfile
from pathlib import Path
import numpy as np

RNG = np.random.default_rng(0)


def images(n, shape, classes):
    "uint8 images whose brightness encodes the class, and their labels (every class present)."
    y = np.arange(n) % classes
    x = (y.reshape(-1, *[1] * len(shape)) * (200 // classes) + RNG.integers(0, 40, (n, *shape))).astype(np.uint8)
    return x, y.astype(np.uint8)


def write_mnist(d: Path, n=300):
    (xtr, ytr), (xte, yte) = images(n, (28, 28), 10), images(n // 3, (28, 28), 10)
    np.savez(d / "mnist.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)


def _idx(data: np.ndarray, header: int) -> bytes:
    return gzip.compress(b"\0" * header + data.tobytes())


def write_fashion(d: Path, n=300):
    folder = d / "fashion-mnist"; folder.mkdir(exist_ok=True)
    (xtr, ytr), (xte, yte) = images(n, (28, 28), 10), images(n // 3, (28, 28), 10)
    for name, arr, head in [("train-labels-idx1-ubyte.gz", ytr, 8), ("train-images-idx3-ubyte.gz", xtr, 16),
                            ("t10k-labels-idx1-ubyte.gz", yte, 8), ("t10k-images-idx3-ubyte.gz", xte, 16)]:
        (folder / name).write_bytes(_idx(arr, head))


def _tar(archive: Path, members: dict):
    with tarfile.open(archive, "w:gz", compresslevel=1) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name); info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def _batch(x, labels_key, y, protocol=3):
    d = {b"data": x.reshape(len(x), -1), labels_key: [int(v) for v in y]}
    if labels_key == b"fine_labels": d[b"coarse_labels"] = [int(v) // 5 for v in y]
    return pickle.dumps(d, protocol=protocol)


def write_cifar10(d: Path):
    "The CIFAR-10 loader insists on exactly 5 batches of 10,000 training rows."
    members = {}
    for i in range(1, 6):
        x, y = images(10000, (3, 32, 32), 10)
        members[f"cifar-10-batches-py/data_batch_{i}"] = _batch(x, b"labels", y)
    x, y = images(200, (3, 32, 32), 10)
    members["cifar-10-batches-py/test_batch"] = _batch(x, b"labels", y, protocol=4)
    _tar(d / "cifar-10-batches-py-target_archive", members)


def write_cifar100(d: Path, n=1000):
    (xtr, ytr), (xte, yte) = images(n, (3, 32, 32), 100), images(n // 5, (3, 32, 32), 100)
    _tar(d / "cifar-100-python-target_archive", {"cifar-100-python/train": _batch(xtr, b"fine_labels", ytr),
                                                  "cifar-100-python/test": _batch(xte, b"fine_labels", yte)})


def _ragged(n, classes, vocab, long_every=7):
    "Token-id sequences (some far longer than the rest) whose ids lean on the class."
    xs, ys = [], []
    for i in range(n):
        c = i % classes
        length = 900 if i % long_every == 0 else int(RNG.integers(5, 60))
        xs.append([int(v) for v in (RNG.integers(1, vocab, length) // classes) * classes + c])
        ys.append(c)
    arr = np.empty(n, dtype=object); arr[:] = xs
    return arr, np.array(ys, np.int64)


def write_imdb(d: Path, n=200):
    (xtr, ytr), (xte, yte) = _ragged(n, 2, 30000), _ragged(n // 2, 2, 30000)
    np.savez(d / "imdb.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)


def write_reuters(d: Path, n=460):
    x, y = _ragged(n, 46, 30000)
    np.savez(d / "reuters.npz", x=x, y=y)


def _ppm(img):
    h, w, _ = img.shape
    return f"P6\n# fixture\n{w} {h}\n255\n".encode() + img.tobytes()


def write_gtsrb(d: Path, per_class=3, classes=43, n_test=86):
    "The three official GTSRB archives, in their layout, with ';' CSVs and ROIs."
    folder = d / "gtsrb"; folder.mkdir(exist_ok=True)
    head = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2"
    with zipfile.ZipFile(folder / "GTSRB_Final_Training_Images.zip", "w") as z:
        for c in range(classes):
            base = f"GTSRB/Final_Training/Images/{c:05d}"
            rows = [head + ";ClassId"]
            for k in range(per_class):
                h, w = int(RNG.integers(30, 60)), int(RNG.integers(30, 60))
                img = np.full((h, w, 3), 10, np.uint8); img[5:h-5, 5:w-5] = 5 * c
                z.writestr(f"{base}/{k:05d}_00000.ppm", _ppm(img))
                rows.append(f"{k:05d}_00000.ppm;{w};{h};5;5;{w-6};{h-6};{c}")
            z.writestr(f"{base}/GT-{c:05d}.csv", "\n".join(rows) + "\n")
    test_rows, gt_rows = [head], [head + ";ClassId"]
    with zipfile.ZipFile(folder / "GTSRB_Final_Test_Images.zip", "w") as z:
        for i in range(n_test):
            c = i % classes
            img = np.full((40, 40, 3), 5 * c, np.uint8)
            z.writestr(f"GTSRB/Final_Test/Images/{i:05d}.ppm", _ppm(img))
            test_rows.append(f"{i:05d}.ppm;40;40;5;5;34;34"); gt_rows.append(f"{i:05d}.ppm;40;40;5;5;34;34;{c}")
        z.writestr("GTSRB/Final_Test/Images/GT-final_test.test.csv", "\n".join(test_rows) + "\n")
    with zipfile.ZipFile(folder / "GTSRB_Final_Test_GT.zip", "w") as z:
        z.writestr("GT-final_test.csv", "\n".join(gt_rows) + "\n")
