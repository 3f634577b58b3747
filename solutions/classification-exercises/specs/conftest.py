"""Hidden data for the classification exercises: fresh draws the students never see.

The draws come from the same generators as the notebook's data. Their randomness comes
from the course secret (`hidden_rng`, grader/core/secret.py), never from a seed written
here, so the points a kernel receives cannot be traced back to their labels. Only the
inputs are ever sent to the kernel; the labels stay here.

Sizes follow from the thresholds: a draw of n points measures an accuracy p with a
standard error of sqrt(p (1 - p) / n), at most 0.5 points at the threshold:
  moons,   2000 points: 0.44 points at 96 %;
  spirals, 3000 points: 0.40 points at 95 %.
"""

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

MOONS = {"noise": 0.07}
NOTEBOOK_MOONS = {"n_samples": 1000, "random_state": 42}  # the locked data cell of Ex 1
HIDDEN_MOONS_POINTS = 2_000
HIDDEN_SPIRALS_PER_CLASS = 1_000  # 3 classes: 3000 points


def moons_draw(rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(n_samples=HIDDEN_MOONS_POINTS, **MOONS, random_state=rng)
    return X.astype(np.float32), y.astype(np.int64)


def notebook_moons_test_split() -> tuple[np.ndarray, np.ndarray]:
    """X_test, y_test of the notebook's own moons (the data Ex 4 states its criterion on)."""
    X, y = make_moons(**NOTEBOOK_MOONS, **MOONS)
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    return X_test.astype(np.float32), y_test.astype(np.int64)


def spirals_draw(rng: np.random.RandomState, points_per_class: int, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spirals: radius grows linearly, angle sweeps 4 radians per class plus noise."""
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
def hidden_moons(hidden_rng) -> tuple[np.ndarray, np.ndarray]:
    return moons_draw(hidden_rng("moons"))


@pytest.fixture
def hidden_spirals(hidden_rng) -> tuple[np.ndarray, np.ndarray]:
    return spirals_draw(hidden_rng("spirals"), HIDDEN_SPIRALS_PER_CLASS)


@pytest.fixture
def moons_test_split() -> tuple[np.ndarray, np.ndarray]:
    return notebook_moons_test_split()
