"""What a classifier's outputs mean: the one rule that turns them into class labels.

Specs (through `grader.spec`), the figures and the integrity records all read outputs this way, so an
accuracy, a confusion matrix and a decision boundary always agree on which class a point got.
"""

from __future__ import annotations

import numpy as np


def class_labels(outputs: np.ndarray, probabilities: bool = False) -> np.ndarray:
    """Class labels from a classifier's outputs, the one rule every accuracy check uses.

    One column (or a 1-D output): a binary classifier's logit cut at 0, or its probability at 0.5
    (`probabilities`). Several columns: class scores (logits or probabilities), so the argmax;
    this covers a binary classifier with two class scores and a model with spare outputs.
    """
    flat = outputs.reshape(len(outputs), -1)
    labels: np.ndarray
    if flat.shape[1] == 1:
        labels = (flat[:, 0] > (0.5 if probabilities else 0.0)).astype(np.int64)
    else:
        labels = flat.argmax(axis=1).astype(np.int64)
    return labels


def class_scores(outputs: np.ndarray) -> int:
    """How many columns of scores a model's outputs (N, C) or (N,) carry."""
    return 1 if outputs.ndim == 1 else int(np.prod(outputs.shape[1:]))
