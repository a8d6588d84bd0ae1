"""Benchmark tasks generated from offline data, each as `(x_train, y_train, x_test, y_test)`.

- `digits`: scikit-learn's 1,797 handwritten 8x8 digits with hpo-kit's fixed test split.
- `distorted_digits`: a harder image task from the same digits: 16x16, randomly rotated, shifted, scaled, with
  pixel noise and a distracting stroke, and fewer training images. Train and test come from disjoint source images.
- `order_text`: a short-text task whose class depends on token order: sentiment words, some negated by the word
  before them ("not good"), among filler words. A bag of words cannot tell "not good" from "good ... not".
"""
import numpy as np
from scipy import ndimage


def digits(seed=0):
    "scikit-learn digits with hpo-kit's own fixed test split (the `digits` built-in)."
    from hpo_kit.data import REGISTRY
    (xtr, ytr), (xte, yte) = REGISTRY["digits"].load()
    return xtr, ytr, xte, yte


def _distort(img, rng):
    x = ndimage.zoom(img / 16.0, 2, order=1)  # 8x8 -> 16x16
    x = ndimage.rotate(x, rng.uniform(-20, 20), reshape=False, order=1)
    s = rng.uniform(0.8, 1.15)
    x = ndimage.affine_transform(x, np.eye(2) / s, offset=8 - 8 / s + rng.uniform(-2, 2, 2), order=1)
    r, c = rng.integers(0, 16, 2)  # a distracting stroke
    if rng.random() < 0.5: x[r, max(0, c - 4):c + 4] = np.maximum(x[r, max(0, c - 4):c + 4], rng.uniform(0.5, 1))
    else: x[max(0, r - 4):r + 4, c] = np.maximum(x[max(0, r - 4):r + 4, c], rng.uniform(0.5, 1))
    x = x + rng.normal(0, 0.15, x.shape)
    return np.clip(x, 0, 1).astype(np.float32)


def distorted_digits(seed=0, n_train=1000, copies=1):
    "Distorted 16x16 digits: `n_train` training images, the test set from the remaining source images."
    from sklearn.datasets import load_digits
    d = load_digits()
    rng = np.random.default_rng(1234)  # the task itself is fixed; `seed` varies only the searches
    order = rng.permutation(len(d.target))
    tr, te = order[:n_train], order[n_train:]
    xtr = np.stack([_distort(d.images[i], rng) for i in np.repeat(tr, copies)])
    xte = np.stack([_distort(d.images[i], rng) for i in te])
    return xtr, np.repeat(d.target[tr], copies), xte, d.target[te]


_POS, _NEG = range(2, 22), range(22, 42)  # 20 positive and 20 negative sentiment words
_NOT, _FILL = 42, range(43, 300)           # one negator, filler words


def _sentence(rng, length):
    words = list(rng.choice(list(_FILL), length))
    score, k = 0, int(rng.integers(1, 4))
    for pos in sorted(rng.choice(np.arange(1, length), k, replace=False)):
        positive = rng.random() < 0.5
        words[pos] = int(rng.choice(list(_POS if positive else _NEG)))
        negated = rng.random() < 0.4
        if negated: words[pos - 1] = _NOT
        elif rng.random() < 0.3: words[min(length - 1, pos + 1)] = _NOT  # a "not" after the word negates nothing
        score += (1 if positive else -1) * (-1 if negated else 1)
    return words, score


def order_text(seed=0, n_train=3000, n_test=1000, length=24):
    "Token-id sequences labelled positive (1) or negative (0) by their negation-aware sentiment; ties are dropped."
    rng = np.random.default_rng(4321)
    xs, ys = [], []
    while len(xs) < n_train + n_test:
        words, score = _sentence(rng, length)
        if score == 0: continue
        xs.append(words); ys.append(int(score > 0))
    x, y = np.array(xs, np.int32), np.array(ys)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


TASKS = dict(digits=digits, distorted_digits=distorted_digits, order_text=order_text)
