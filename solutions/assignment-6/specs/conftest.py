"""Data for the assignment-6 specs: the notebook's own circles and split, and hidden draws.

The hidden draws come from the same generators as the notebook's data, with seeds that
appear nowhere in the student material. Only their inputs are ever sent to the kernel;
the labels stay here. The blobs need care: `make_blobs` with another random_state would
also move the centres, so the hidden blobs are fresh points around the notebook's centres.
"""

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_circles
from sklearn.model_selection import train_test_split

from grader.probe import Probe
from grader.spec import NONLINEAR_OPS, activation_modules, affine_deviation, uses_any

NOTEBOOK_SEED = 42
HIDDEN_CIRCLES_SEED = 57_281
HIDDEN_BLOBS_SEED = 90_817
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


@lru_cache(maxsize=1)
def circles_draw() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_circles(**CIRCLES, random_state=HIDDEN_CIRCLES_SEED)
    return X.astype(np.float32), y.astype(np.int64)


def blobs_centers() -> np.ndarray:
    """The 4 centres make_blobs draws for the notebook's seed."""
    _, _, centers = make_blobs(**BLOBS, random_state=NOTEBOOK_SEED, return_centers=True)
    return centers


@lru_cache(maxsize=1)
def blobs_draw() -> tuple[np.ndarray, np.ndarray]:
    """Fresh points around the notebook's centres; label i is centre i, as in the notebook."""
    settings = {**BLOBS, "centers": blobs_centers()}
    del settings["n_features"]  # implied by the centres
    X, y = make_blobs(**settings, random_state=HIDDEN_BLOBS_SEED)
    return X.astype(np.float32), y.astype(np.int64)


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
def hidden_circles() -> tuple[np.ndarray, np.ndarray]:
    return circles_draw()


@pytest.fixture
def hidden_blobs() -> tuple[np.ndarray, np.ndarray]:
    return blobs_draw()


@pytest.fixture
def linear_only() -> Callable[..., list[str]]:
    return linear_only_problems
