"""Hidden sets: private labelled held-out data for assignments on a fixed public dataset.

A fixed dataset (scikit-learn's digits) has no fresh draws, so its hidden data is a file:
`solutions/<id>/hidden/<name>.npz` with the arrays `inputs` and `labels`, and optionally
`items` (for each input, the item it came from: inputs made from one image share its item).
Specs read it through the `hidden_set(name)` fixture, grader-side; the kernel only ever
receives `inputs` through `submission.forward`. The files' bytes are part of
`Assignment.spec_hash()`, `grade release` never copies them and the sandbox never shows them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

HIDDEN_DATA = "hidden"  # solutions/<id>/hidden: the hidden sets


class HiddenSetError(ValueError):
    """A hidden set is missing or is not what a hidden set holds."""


class HiddenSet(NamedTuple):
    """A hidden set's inputs, their labels, and the item each input came from (its index by default)."""

    inputs: np.ndarray
    labels: np.ndarray
    items: np.ndarray


# The `hidden_set` fixture's type: the hidden set of that name.
HiddenSetLoader = Callable[[str], HiddenSet]


def hidden_files(assignment_folder: Path) -> list[Path]:
    """Every file under `assignment_folder/hidden/`, sorted (what the spec hash covers)."""
    folder = assignment_folder / HIDDEN_DATA
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def load_hidden_set(assignment_folder: Path, name: str) -> HiddenSet:
    """The hidden set `hidden/<name>.npz` of the assignment in `assignment_folder`; HiddenSetError naming the fix."""
    path = assignment_folder / HIDDEN_DATA / f"{name.removesuffix('.npz')}.npz"
    if not path.is_file():
        raise HiddenSetError(f"no hidden set {name!r}: expected {path} with arrays `inputs` and `labels`")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: np.asarray(data[key]) for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise HiddenSetError(f"cannot read the hidden set {path}: {exc}") from exc
    missing = [key for key in ("inputs", "labels") if key not in arrays]
    if missing:
        raise HiddenSetError(f"{path} has no array {', '.join(missing)}; a hidden set holds `inputs`, `labels` and optionally `items`")
    inputs, labels = arrays["inputs"], arrays["labels"]
    items = arrays.get("items", np.arange(len(inputs)))
    if not len(inputs) == len(labels) == len(items):
        raise HiddenSetError(
            f"{path}: inputs, labels and items differ in length ({len(inputs)}, {len(labels)}, {len(items)})"
        )
    return HiddenSet(inputs, labels, items)
