"""Data for the assignment-6 specs: the notebook's own circles and split, and hidden draws.

The hidden draws come from the same generators as the notebook's data. Their randomness
comes from the course secret (`hidden_rng`, grader/core/secret.py), never from a seed written
here. Only their inputs are ever sent to the kernel; the labels stay here. The blobs need
care: `make_blobs` with another random state would also move the centres, so the hidden
blobs are fresh points around the notebook's centres.

Sizes follow from the thresholds: a draw of n points measures an accuracy p with a
standard error of sqrt(p (1 - p) / n), at most 0.5 points at the threshold:
  circles, 4000 points: 0.47 points at 90 %, 0.75 at the baseline's 35-65 % band
           (whose edges sit 15 points from where a linear model lands);
  blobs,   2000 points: 0.49 points at 95 %.
"""

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_circles
from sklearn.model_selection import train_test_split

from grader.spec import NONLINEAR_OPS, Probe, activation_modules, affine_deviation, uses_any

NOTEBOOK_SEED = 42
HIDDEN_CIRCLES_POINTS = 4_000
HIDDEN_BLOBS_POINTS = 2_000
CIRCLES = {"n_samples": 2000, "noise": 0.05}
BLOBS = {"n_samples": 1000, "n_features": 2, "centers": 4, "cluster_std": 1.5}
# An affine map deviates from affinity by float32 rounding only (~1e-7 relative).
AFFINE_TOLERANCE = 1e-4


@lru_cache(maxsize=1)
def notebook_circles() -> tuple[np.ndarray, np.ndarray]:
    """The circles of the notebook's locked data cell."""
    return make_circles(**CIRCLES, random_state=NOTEBOOK_SEED)


@lru_cache(maxsize=1)
def notebook_split() -> tuple[np.ndarray, ...]:
    """X_train, X_test, y_train, y_test as the notebook asks for them (float32, 80/20, seed 42)."""
    X, y = notebook_circles()
    return tuple(
        part.astype(np.float32)
        for part in train_test_split(X, y, test_size=0.2, random_state=NOTEBOOK_SEED)
    )


def circles_draw(rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_circles(**{**CIRCLES, "n_samples": HIDDEN_CIRCLES_POINTS}, random_state=rng)
    return X.astype(np.float32), y.astype(np.int64)


def blobs_centers() -> np.ndarray:
    """The 4 centres make_blobs draws for the notebook's seed."""
    _, _, centers = make_blobs(**BLOBS, random_state=NOTEBOOK_SEED, return_centers=True)
    return centers


def blobs_draw(rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    """Fresh points around the notebook's centres; label i is centre i, as in the notebook."""
    settings = {**BLOBS, "centers": blobs_centers(), "n_samples": HIDDEN_BLOBS_POINTS}
    del settings["n_features"]  # implied by the centres
    X, y = make_blobs(**settings, random_state=rng)
    return X.astype(np.float32), y.astype(np.int64)


@lru_cache(maxsize=1)
def notebook_blobs_test_split() -> tuple[np.ndarray, np.ndarray]:
    """X_test, y_test of the notebook's own blobs (80/20, seed 42, as Ex 9 asks)."""
    X, y = make_blobs(**BLOBS, random_state=NOTEBOOK_SEED)
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.2, random_state=NOTEBOOK_SEED)
    return X_test.astype(np.float32), y_test.astype(np.int64)


def linear_only_problems(submission: Probe, key: str, inputs: np.ndarray, low: float, high: float) -> list[str]:
    """Why the model is not linear-only: activation layers, non-linear operators, a non-affine map."""
    problems = []
    layers = activation_modules(submission.structure(key))
    if layers:
        problems.append(f"it holds activation layers: {', '.join(layers)}")
    operators = uses_any(submission.forward_ops(key, inputs), NONLINEAR_OPS)
    if operators:
        problems.append(f"its forward pass applies non-linear operators: {', '.join(operators)}")
    deviation = affine_deviation(lambda x: submission.forward(key, x), low, high, features=inputs.shape[1])
    if deviation >= AFFINE_TOLERANCE:
        problems.append(
            f"its output is not an affine map of its input (relative deviation {deviation:.1e} on probe points)"
        )
    return problems


@pytest.fixture
def circles_data() -> tuple[np.ndarray, np.ndarray]:
    return notebook_circles()


@pytest.fixture
def circles_split() -> tuple[np.ndarray, ...]:
    return notebook_split()


@pytest.fixture
def hidden_circles(hidden_rng) -> tuple[np.ndarray, np.ndarray]:
    return circles_draw(hidden_rng("circles"))


@pytest.fixture
def hidden_blobs(hidden_rng) -> tuple[np.ndarray, np.ndarray]:
    return blobs_draw(hidden_rng("blobs"))


@pytest.fixture
def blobs_test_split() -> tuple[np.ndarray, np.ndarray]:
    return notebook_blobs_test_split()


@pytest.fixture
def linear_only() -> Callable[..., list[str]]:
    return linear_only_problems
