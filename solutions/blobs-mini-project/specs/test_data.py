"""Ex 1: the blobs as float32 / int64 tensors, split 80/20 with train_test_split(random_state=42)."""

import numpy as np
import pytest

SPLIT_KEYS = ("X_train", "X_test", "y_train", "y_test")
DTYPES = {"X_train": "torch.float32", "X_test": "torch.float32", "y_train": "torch.int64", "y_test": "torch.int64"}


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_split_shapes_and_dtypes(submission, blobs_split):
    """X_train, X_test are float32 and y_train, y_test int64 tensors of 8000 and 2000 points"""
    wrong = []
    for key, expected in zip(SPLIT_KEYS, blobs_split, strict=True):
        info = submission.tensor(key)
        if info.shape != expected.shape or info.dtype != DTYPES[key]:
            wrong.append(f"{submission.resolve(key)}: {info.shape} {info.dtype}, expected {expected.shape} {DTYPES[key]}")
    assert not wrong, "; ".join(wrong)


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_split_is_train_test_split_seed_42(submission, blobs_split):
    """The split holds the same points, in the same order, as train_test_split(test_size=0.2, random_state=42)"""
    wrong = []
    for key, expected in zip(SPLIT_KEYS, blobs_split, strict=True):
        values = submission.array(key)
        if values.shape != expected.shape or not np.allclose(values, expected, atol=1e-5):
            wrong.append(submission.resolve(key))
    assert not wrong, (
        f"{', '.join(wrong)} differ from train_test_split(X, y, test_size=0.2, random_state=42) "
        "on the notebook's blobs; split the tensors made from X_blobs and y_blobs with exactly these arguments"
    )
