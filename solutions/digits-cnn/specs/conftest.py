"""Data for the digits-cnn specs: the notebook's digits and split, and hidden noisy copies of its test images.

The digits are a fixed public dataset: there is no fresh draw of new handwriting. The hidden
draw is therefore the notebook's 360 test images, each 5 times with secret pixel noise
(Gaussian, standard deviation 0.05 on pixels in [0, 1], clipped), from the course secret
(`hidden_rng`, grader/core/secret.py), never from a seed written here. Only the noisy pixels
reach the kernel. The 1800 inputs hold 360 distinct items (`items`): a model's errors on the 5
copies of one image go together, so an accuracy measured on them is as precise as one on 360
images (a standard error of about 0.9 points at 97 %), not on 1800: the checks pass `items=`, so
the reported interval, `grade calibrate`'s precision and the integrity stage's shared mistakes are
all counted over the 360 images.
"""

from functools import lru_cache

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from grader.spec import pixel_noise

SPLIT_SEED = 42  # train_test_split(..., test_size=0.2, random_state=42) in Ex 1
COPIES = 5  # noisy copies of each test image in a hidden draw
NOISE = 0.05  # the pixel noise's standard deviation (pixels in [0, 1])


@lru_cache(maxsize=1)
def notebook_split() -> tuple[np.ndarray, ...]:
    """X_train, X_test (float32, (N, 1, 8, 8), pixels / 16), y_train, y_test (int64), as Ex 1 asks for them."""
    digits = load_digits()
    X = (digits.images[:, None] / 16).astype(np.float32)
    y = digits.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SPLIT_SEED)
    return X_train, X_test, y_train, y_test


@pytest.fixture
def digits_split() -> tuple[np.ndarray, ...]:
    return notebook_split()


@pytest.fixture
def hidden_digits(hidden_rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noisy copies of the notebook's test images: inputs, labels and the test image each came from."""
    _, X_test, _, y_test = notebook_split()
    inputs, items = pixel_noise(X_test, hidden_rng("digits"), NOISE, copies=COPIES, low=0.0, high=1.0)
    return inputs, y_test[items], items
