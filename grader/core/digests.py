"""What grading keeps of a submission's behaviour for the integrity stage, made at check and probe time.

The hidden points a model got wrong (`prediction_record`), digests of a model's parameters and of a
function's outputs on fixed probe points. The integrity stage (grader/integrity/behaviour.py) compares
them across a class; they are staff-only fields of the result that students never see. `grade
calibrate` also keeps, per check, how often the reference's training runs missed each point of the
graded hidden draw (`Difficulty`, in calibration.json): which points are hard, known before any
student is graded.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.core.results import ObjectDigest, PredictionRecord

ROUNDING = 6  # decimals parameters are compared at: float32 round trips do not change a digest
# Where a function is compared: a grid, and values whose last bits differ between formulas.
PROBE_POINTS = np.concatenate([np.linspace(-6.0, 6.0, 241), [0.1234567, -2.7182817, 3.1415927, 1e-4, -17.5]]).astype(np.float32)


def prediction_record(
    check: str, exercise: str, predicted: np.ndarray, labels: np.ndarray, items: np.ndarray | None = None
) -> PredictionRecord | None:
    """The compact record of one accuracy measurement; None when the arrays cannot be compared.

    `items`, when the check knows it, says which item each input came from (noisy copies of one image
    share an item): the integrity stage then counts shared errors per item. Items that do not match
    the labels one to one are left out."""
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
        items=encode_items(items, labels.size) if items is not None else "",
    )


def encode_items(items: np.ndarray, count: int) -> str:
    """Items as "<dtype>:<base64>": renumbered 0 … k-1 in order of first appearance, in the smallest
    unsigned type that holds them; "" when they are not one per input."""
    values = np.asarray(items).reshape(-1)
    if values.size != count:
        return ""
    _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # unique values renumbered by where they first appear
    numbered = order[inverse.reshape(-1)]
    dtype = np.uint8 if numbered.max() < 2**8 else np.uint16 if numbered.max() < 2**16 else np.uint32
    return f"{np.dtype(dtype).name}:" + base64.b64encode(numbered.astype(np.dtype(dtype).newbyteorder("<")).tobytes()).decode()


def decode_items(record: PredictionRecord) -> np.ndarray | None:
    """The item of each input of `record`, or None when it has none or they cannot be read."""
    if not isinstance(record.items, str):  # a stored result is read defensively
        return None
    kind, _, data = record.items.partition(":")
    if kind not in ("uint8", "uint16", "uint32"):
        return None
    try:
        values = np.frombuffer(base64.b64decode(data, validate=True), dtype=np.dtype(kind).newbyteorder("<"))
    except ValueError:
        return None
    return values.astype(np.int64) if values.size == record.points else None


def parameter_digest(role: str, parameters: Sequence[np.ndarray], steps: int = 0, loaded: bool = False) -> ObjectDigest:
    """Digests of a model's parameters: exact (order and values), and up to a permutation of hidden units;
    `steps` and `loaded` say how the kernel saw it trained (ObjectDigest)."""
    exact, permuted = hashlib.sha256(), []
    for array in parameters:
        values = np.round(np.asarray(array, dtype=np.float64), ROUNDING) + 0.0  # + 0.0: -0.0 is 0.0
        exact.update(str(values.shape).encode() + values.tobytes())
        rows = values.reshape(values.shape[0] if values.ndim else 1, -1)
        row_hashes = sorted(hashlib.sha256(np.sort(row).tobytes()).hexdigest() for row in rows)
        permuted.append(hashlib.sha256((str(values.shape) + "".join(row_hashes)).encode()).hexdigest())
    joined = hashlib.sha256("".join(sorted(permuted)).encode()).hexdigest()
    size = sum(int(np.size(a)) for a in parameters)
    return ObjectDigest(role, "parameters", exact.hexdigest()[:24], joined[:24], size, steps, loaded)


def output_digest(role: str, outputs: np.ndarray) -> ObjectDigest:
    """A digest of a function's outputs on the probe points, to the last bit."""
    values = np.ascontiguousarray(outputs)
    return ObjectDigest(role, "outputs", hashlib.sha256(str(values.dtype).encode() + values.tobytes()).hexdigest()[:24], "", int(values.size))


@dataclass(frozen=True)
class Difficulty:
    """How often the reference's runs (training seeds) missed each point of one check's graded hidden draw."""

    check: str
    draw: str  # the draw's digest, as in PredictionRecord.draw: a class is compared with it only on the same draw
    runs: int
    misses: str  # base64 of one uint8 per point: in how many of the runs the point was missed


def reference_difficulty(records: Sequence[PredictionRecord]) -> list[Difficulty]:
    """The misses per point of the reference's runs, one Difficulty per (check, draw) of `records`."""
    grouped: dict[tuple[str, str], list[PredictionRecord]] = {}
    for record in records:
        grouped.setdefault((record.check, record.draw), []).append(record)
    found = []
    for (check, draw), group in sorted(grouped.items()):
        counts = sum(wrong_points(record).astype(np.int64) for record in group)
        misses = np.clip(np.asarray(counts), 0, 255).astype(np.uint8)
        found.append(Difficulty(check, draw, len(group), base64.b64encode(misses.tobytes()).decode()))
    return found


def reference_misses(calibration: Path) -> dict[tuple[str, str], np.ndarray]:
    """(check, draw) -> in how many of the reference's runs each point was missed, from calibration.json's
    `difficulty`; {} when there is none or it cannot be read."""
    try:
        entries = json.loads(calibration.read_text(encoding="utf-8")).get("difficulty", [])
        rates = {}
        for entry in entries:
            misses = np.frombuffer(base64.b64decode(entry["misses"]), dtype=np.uint8)
            rates[(str(entry["check"]), str(entry["draw"]))] = misses.astype(np.float64)
        return rates
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def wrong_points(record: PredictionRecord) -> np.ndarray:
    """The boolean vector of wrong points of `record`."""
    bits = np.frombuffer(base64.b64decode(record.wrong), dtype=np.uint8)
    return np.unpackbits(bits, count=record.points).astype(bool)
