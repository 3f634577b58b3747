"""What grading keeps of a submission's behaviour for the integrity stage, made at check and probe time.

The hidden points a model got wrong (`prediction_record`), digests of a model's parameters and of a
function's outputs on fixed probe points. The integrity stage (grader/integrity/behaviour.py) compares
them across a class; they are staff-only fields of the result that students never see.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

import numpy as np

from grader.core.results import ObjectDigest, PredictionRecord

ROUNDING = 6  # decimals parameters are compared at: float32 round trips do not change a digest
# Where a function is compared: a grid, and values whose last bits differ between formulas.
PROBE_POINTS = np.concatenate([np.linspace(-6.0, 6.0, 241), [0.1234567, -2.7182817, 3.1415927, 1e-4, -17.5]]).astype(np.float32)


def prediction_record(check: str, exercise: str, predicted: np.ndarray, labels: np.ndarray) -> PredictionRecord | None:
    """The compact record of one accuracy measurement; None when the arrays cannot be compared."""
    predicted, labels = np.asarray(predicted).reshape(-1), np.asarray(labels).reshape(-1)
    if predicted.shape != labels.shape or not predicted.size:
        return None
    wrong = predicted != labels
    draw = hashlib.sha256(str(labels.size).encode() + labels.astype(np.int64).tobytes()).hexdigest()[:16]
    return PredictionRecord(
        check=check,
        exercise=exercise,
        draw=draw,
        points=int(labels.size),
        wrong=base64.b64encode(np.packbits(wrong).tobytes()).decode(),
        wrong_labels=base64.b64encode(np.clip(predicted[wrong], 0, 255).astype(np.uint8).tobytes()).decode(),
    )


def parameter_digest(role: str, parameters: Sequence[np.ndarray]) -> ObjectDigest:
    """Digests of a model's parameters: exact (order and values), and up to a permutation of hidden units."""
    exact, permuted = hashlib.sha256(), []
    for array in parameters:
        values = np.round(np.asarray(array, dtype=np.float64), ROUNDING) + 0.0  # + 0.0: -0.0 is 0.0
        exact.update(str(values.shape).encode() + values.tobytes())
        rows = values.reshape(values.shape[0] if values.ndim else 1, -1)
        row_hashes = sorted(hashlib.sha256(np.sort(row).tobytes()).hexdigest() for row in rows)
        permuted.append(hashlib.sha256((str(values.shape) + "".join(row_hashes)).encode()).hexdigest())
    joined = hashlib.sha256("".join(sorted(permuted)).encode()).hexdigest()
    size = sum(int(np.size(a)) for a in parameters)
    return ObjectDigest(role, "parameters", exact.hexdigest()[:24], joined[:24], size)


def output_digest(role: str, outputs: np.ndarray) -> ObjectDigest:
    """A digest of a function's outputs on the probe points, to the last bit."""
    values = np.ascontiguousarray(outputs)
    return ObjectDigest(role, "outputs", hashlib.sha256(str(values.dtype).encode() + values.tobytes()).hexdigest()[:24], "", int(values.size))
