"""Ex 1–2: the circles' shapes and number of features, then the float32 tensors of the 80/20 split."""

import numpy as np
import pytest

SPLIT_KEYS = ("circles_X_train", "circles_X_test", "circles_y_train", "circles_y_test")


def _shown(value: np.ndarray) -> str:
    """A recorded number as `2`, a recorded shape as `(2000, 2)`."""
    numbers = [f"{number:g}" for number in value.reshape(-1)]
    return numbers[0] if value.ndim == 0 else f"({', '.join(numbers)})"


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_number_of_features(submission, circles_data):
    """n_features is the second dimension of X: the number of coordinates of a point"""
    X, _ = circles_data
    value = submission.array("circles_n_features").reshape(-1)  # a number arrives as shape (1,)
    assert value.shape == (1,) and value[0] == X.shape[1], (
        f"n_features is {_shown(value.reshape(()) if value.size == 1 else value)}; "
        f"X has shape {X.shape}, so a point has {X.shape[1]} features"
    )


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_shapes_of_X_and_y(submission, circles_data):
    """The recorded shapes of X and y are those of the circles data"""
    X, y = circles_data
    wrong = []
    for key, expected in (("circles_X_shape", X.shape), ("circles_y_shape", y.shape)):
        value = submission.array(key)
        if value.shape != (len(expected),) or tuple(value) != expected:
            wrong.append(f"{submission.resolve(key)} is {_shown(value)}, the shape is {expected}")
    assert not wrong, "; ".join(wrong)


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_split_shapes_and_dtypes(submission, circles_split):
    """X_train, X_test, y_train, y_test are float32 tensors of 1600 and 400 points"""
    wrong = []
    for key, expected in zip(SPLIT_KEYS, circles_split, strict=True):
        info = submission.tensor(key)
        if info.shape != expected.shape or info.dtype != "torch.float32":
            found = f"{info.shape} {info.dtype}"
            wrong.append(f"{submission.resolve(key)}: {found}, expected {expected.shape} torch.float32")
    assert not wrong, "; ".join(wrong)


@pytest.mark.exercise("ex2")
@pytest.mark.points(2)
def test_split_is_train_test_split_seed_42(submission, circles_split):
    """The split holds the same points, in the same order, as train_test_split(test_size=0.2, random_state=42)"""
    wrong = []
    for key, expected in zip(SPLIT_KEYS, circles_split, strict=True):
        values = submission.array(key)
        if values.shape != expected.shape or not np.allclose(values, expected, atol=1e-6):
            wrong.append(submission.resolve(key))
    assert not wrong, (
        f"{', '.join(wrong)} differ from train_test_split(X, y, test_size=0.2, random_state=42) "
        "of the circles: split the data of Exercise 1 with exactly these settings"
    )
