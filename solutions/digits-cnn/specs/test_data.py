"""Ex 1: the digits as (N, 1, 8, 8) float32 images in [0, 1] and int64 labels, split 80/20 with random_state=42."""

import numpy as np
import pytest

SPLIT_KEYS = ("X_train", "X_test", "y_train", "y_test")
DTYPES = {"X_train": "torch.float32", "X_test": "torch.float32", "y_train": "torch.int64", "y_test": "torch.int64"}


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_split_shapes_and_dtypes(submission, digits_split):
    """X_train, X_test are float32 (N, 1, 8, 8) tensors and y_train, y_test int64 labels of 1437 and 360 images"""
    wrong = []
    for key, expected in zip(SPLIT_KEYS, digits_split, strict=True):
        info = submission.tensor(key)
        if info.shape != expected.shape or info.dtype != DTYPES[key]:
            wrong.append(f"{submission.resolve(key)}: {info.shape} {info.dtype}, expected {expected.shape} {DTYPES[key]}")
    assert not wrong, "; ".join(wrong)


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_pixels_are_scaled_to_the_unit_range(submission, digits_split):
    """The images' pixels run from 0 to 1 (digits.images divided by 16)"""
    low, high = [], []
    for key in ("X_train", "X_test"):
        values = submission.array(key)
        low.append(float(values.min()))
        high.append(float(values.max()))
    assert min(low) >= 0.0 and max(high) <= 1.0 + 1e-6, (
        f"the pixels run from {min(low):g} to {max(high):g}; divide digits.images (0 to 16) by 16"
    )
    assert max(high) >= 0.5, f"the largest pixel is {max(high):g}; divide by 16, not by more"


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_split_is_train_test_split_seed_42(submission, digits_split):
    """The split holds the same images, in the same order, as train_test_split(test_size=0.2, random_state=42)"""
    wrong = []
    for key, expected in zip(SPLIT_KEYS, digits_split, strict=True):
        values = submission.array(key).astype(np.float64)
        if key.startswith("X") and values.size and values.max() > 0:
            values = values / values.max() * expected.max()  # the scale has a check of its own
        if values.shape != expected.shape or not np.allclose(values, expected, atol=1e-5):
            wrong.append(submission.resolve(key))
    assert not wrong, (
        f"{', '.join(wrong)} differ from train_test_split(X_digits, y_digits, test_size=0.2, random_state=42); "
        "split the tensors made from digits.images and digits.target with exactly these arguments"
    )
