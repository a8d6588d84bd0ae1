"""Benchmark tasks generated from offline data, each as `(x_train, y_train, x_test, y_test)`.

- `digits`: scikit-learn's 1,797 handwritten 8x8 digits with hpo-kit's fixed test split.
- `distorted_digits`: a harder image task from the same digits: 16x16, randomly rotated, shifted, scaled, with
  pixel noise and a distracting stroke, and fewer training images. Train and test come from disjoint source images.
- `order_text`: a short-text task whose class depends on token order: sentiment words, some negated by the word
  before them ("not good"), among filler words. A bag of words cannot tell "not good" from "good ... not".
- `noisy_text`: short texts (10-32 tokens of a Zipf-distributed 3,000-word vocabulary) whose weak signal lies in rare
  words and in pairs of common words that mean nothing alone, 40/60 classes, 10% of labels flipped: like real reviews,
  models sit at the majority class for a while before they learn. A TF-IDF logistic regression of words and word
  pairs (scikit-learn, best of C in 0.3-30) reaches 0.76 test accuracy on 3,000 training texts, 0.70 on 1,000.
- `*_small`: the text tasks with 1,000 training examples (`distorted_digits` already has 1,000).
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


_VOCAB, _CUES, _PAIR_WORDS, _PAIRS = 3000, 50, 40, 60


def _noisy_doc(rng, y, n, words, zipf, cue, mid, pairs):
    doc = list(rng.choice(words, n, p=zipf))
    for _ in range(rng.poisson(3.0)):  # cues: 90% of them point to the true class
        c = y if rng.random() < 0.9 else 1 - y
        pos = int(rng.integers(0, n - 1))
        if rng.random() < 0.5: doc[pos] = int(rng.choice(cue[c]))
        else: doc[pos], doc[pos + 1] = (int(mid[i]) for i in pairs[c, rng.integers(0, _PAIRS)])
    for _ in range(rng.poisson(1.0)):  # the pair words in pairs that mean nothing
        pos = int(rng.integers(0, n - 1))
        doc[pos], doc[pos + 1] = int(rng.choice(mid)), int(rng.choice(mid))
    return doc


def noisy_text(seed=0, n_train=3000, n_test=1500, length=32, noise=0.1, positive=0.4):
    "Padded token-id texts of 10-`length` words; the class leans on rare cue words and word pairs; `noise` of labels flipped."
    rng = np.random.default_rng(2718)
    words = np.arange(2, _VOCAB)  # 0 is padding, 1 out of vocabulary
    zipf = 1 / np.arange(1, len(words) + 1) ** 1.05
    zipf /= zipf.sum()
    cue = rng.permutation(words[1000:])[:2 * _CUES].reshape(2, _CUES)  # rare words, 50 per class
    mid = rng.permutation(words[50:400])[:_PAIR_WORDS]  # common words, neutral alone
    pairs = rng.integers(0, _PAIR_WORDS, (2, _PAIRS, 2))
    xs, ys = [], []
    for _ in range(n_train + n_test):
        y, n = int(rng.random() < positive), int(rng.integers(10, length + 1))
        xs.append(_noisy_doc(rng, y, n, words, zipf, cue, mid, pairs) + [0] * (length - n))
        ys.append(1 - y if rng.random() < noise else y)
    x, y = np.array(xs, np.int32), np.array(ys)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _small(task):
    return lambda seed=0: task(seed, n_train=1000)


TASKS = dict(digits=digits, distorted_digits=distorted_digits, order_text=order_text, noisy_text=noisy_text,
             order_text_small=_small(order_text), noisy_text_small=_small(noisy_text))
