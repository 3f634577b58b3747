"""Hidden data for the classification exercises: fresh draws the students never see.

The draws come from the same generators as the notebook's data, with seeds
that appear nowhere in the student material. Only the inputs are ever sent to
the kernel; the labels stay here.
"""

from functools import lru_cache

import numpy as np
import pytest
from sklearn.datasets import make_moons

HIDDEN_MOONS_SEED = 86_243
HIDDEN_SPIRALS_SEED = 31_337


@lru_cache(maxsize=1)
def moons_draw() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n_samples=1000, noise=0.07, random_state=HIDDEN_MOONS_SEED)
    return X.astype(np.float32), y.astype(np.int64)


@lru_cache(maxsize=1)
def spirals_draw(points_per_class: int = 100, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spirals: radius grows linearly, angle sweeps 4 radians per class plus noise."""
    rng = np.random.RandomState(HIDDEN_SPIRALS_SEED)
    X = np.zeros((points_per_class * classes, 2), dtype=np.float32)
    y = np.zeros(points_per_class * classes, dtype=np.int64)
    for label in range(classes):
        rows = slice(points_per_class * label, points_per_class * (label + 1))
        radius = np.linspace(0.0, 1.0, points_per_class)
        angle = np.linspace(label * 4, (label + 1) * 4, points_per_class) + rng.randn(points_per_class) * 0.2
        X[rows] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
        y[rows] = label
    return X, y


@pytest.fixture
def hidden_moons() -> tuple[np.ndarray, np.ndarray]:
    return moons_draw()


@pytest.fixture
def hidden_spirals() -> tuple[np.ndarray, np.ndarray]:
    return spirals_draw()
