r"""The ``digits`` target: scikit-learn's 8x8 handwritten digits, a real 64-D data set.

scikit-learn ships the 1,797 images of the UCI optical digits set inside the package
(``sklearn.datasets.load_digits``; Alpaydin and Kaynak 1998), so nothing is
downloaded. Pixels (0..16) are scaled to [0, 1]. A stratified split with a fixed seed
gives :data:`TRAIN` images to train on and the rest held out; the generator never
sees the held-out images.

Scores (``gan.arena.score``):

- :math:`W_2` between as many generated images as there are held-out ones and the
  held-out images (64-D, squared Euclidean cost, exact by the network simplex); the
  *floor* is :math:`W_2` between a training subset of the same size and the held-out
  images, what a generator that reproduces the training set scores.
- class coverage by a k-nearest-neighbour classifier fitted on the training split
  (about 98% accurate on the held-out images): ``classes``, the number of the 10
  classes that receive at least a tenth of their fair share of the generated images,
  and ``class_kl``, :math:`\mathrm{KL}(\hat p_{\rm gen} \,\|\, \hat p_{\rm real})`
  between the predicted class histograms of the generated and the held-out images
  (the "reverse KL" of the PacGAN and VEEGAN stacked-MNIST tables; finite since every
  class is present in the held-out set; :math:`\log 10 \approx 2.30` for a generator
  that draws one class).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["CLASSES", "HIT_SHARE", "SPLIT_SEED", "TRAIN", "ClassCoverage", "Digits", "class_coverage", "load"]

CLASSES = 10
TRAIN = 1198  # two thirds of 1,797; the other 599 are held out
SPLIT_SEED = 0
NEIGHBOURS = 5
HIT_SHARE = 0.1  # a class is produced when it gets a tenth of its fair share n / 10


@dataclass(frozen=True)
class Digits:
    """The digits target: ``train`` (TRAIN, 64) and ``held_out`` images in [0, 1], with labels."""

    name: str
    summary: str
    reference: str
    train: np.ndarray
    train_labels: np.ndarray
    held_out: np.ndarray
    held_out_labels: np.ndarray

    dim = 64
    discrete = False
    n_modes = CLASSES
    std = None

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` training images drawn with replacement, float64 (n, 64)."""
        return self.train[rng.integers(0, len(self.train), n)]

    def floor_set(self, rng: np.random.Generator) -> np.ndarray:
        """A training subset as large as the held-out set, drawn without replacement."""
        return self.train[rng.choice(len(self.train), len(self.held_out), replace=False)]


@functools.lru_cache(maxsize=1)
def _load() -> Digits:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = data.data.astype(np.float64) / 16.0
    xtr, xte, ytr, yte = train_test_split(x, data.target, train_size=TRAIN, stratify=data.target,
                                          random_state=SPLIT_SEED)
    return Digits("digits", f"scikit-learn's 8x8 digits: {TRAIN} training, {len(xte)} held-out images, pixels in [0, 1]",
                  "Alpaydin and Kaynak, UCI optical recognition of handwritten digits (1998), via "
                  "sklearn.datasets.load_digits", xtr, ytr, xte, yte)


def load() -> Digits:
    """The digits target, loaded once per process (scikit-learn is imported on first use)."""
    return _load()


@functools.lru_cache(maxsize=1)
def _classifier():
    from sklearn.neighbors import KNeighborsClassifier

    d = _load()
    return KNeighborsClassifier(NEIGHBOURS).fit(d.train, d.train_labels)


@dataclass(frozen=True)
class ClassCoverage:
    """``classes`` produced (of 10), ``class_kl`` = KL(generated || held-out class histogram),
    ``quality`` = share of images the classifier labels with probability >= 0.8."""

    classes: int
    class_kl: float
    quality: float


def class_coverage(images: np.ndarray) -> ClassCoverage:
    r"""Classes produced and the KL between class histograms, by the training-split classifier.

    >>> d = load()
    >>> c = class_coverage(d.held_out)
    >>> c.classes, c.class_kl < 0.01
    (10, True)
    """
    d = _load()
    proba = _classifier().predict_proba(np.clip(images, -1.0, 2.0))  # far-off pixels would only add ties
    labels = proba.argmax(axis=1)
    counts = np.bincount(labels, minlength=CLASSES)
    needed = max(1, math.ceil(HIT_SHARE * len(images) / CLASSES))
    p_gen = counts / counts.sum()
    p_real = np.bincount(_classifier().predict(d.held_out), minlength=CLASSES) / len(d.held_out)
    mask = p_gen > 0
    kl = float(np.sum(p_gen[mask] * np.log(p_gen[mask] / p_real[mask])))
    return ClassCoverage(int((counts >= needed).sum()), max(kl, 0.0), float((proba.max(axis=1) >= 0.8).mean()))
