"""Figure requests: what the specs ask to be drawn, gathered from the kernel only after every check has run.

A spec calls `submission.illustrate_…` while it has the data at hand; nothing is
asked of the kernel then. After the last check, `illustrations()` probes what
each figure needs (a model's classes on a grid, recorded curves) and returns
plain `PlotData`, which the plots stage (grader/report/plots.py) draws grader-side.
A figure can never change a check's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Union

import numpy as np

from grader.core.outputs import class_labels
from grader.core.results import Visibility

Labeller = Callable[[np.ndarray], np.ndarray]
GRID_SIZE = 100  # a decision boundary is drawn from the model's classes on GRID_SIZE² points
CURVE_POINTS = 100_000  # values kept per recorded curve
MAX_CLASSES = 20  # more classes than this make no readable figure
MISCLASSIFIED_LIMIT = 24  # misclassified images a grid shows at most, whatever a spec asks
IMAGE_SIDE = 64  # larger images are subsampled to at most this many pixels a side before they are kept


@dataclass(frozen=True)
class Illustration:
    """What every figure a spec asks for carries: its title and the check that asked."""

    title: str
    check: str
    exercise: str
    visibility: Visibility


@dataclass(frozen=True)
class DecisionBoundaryData(Illustration):
    """A model's classes over a grid, with the points it was checked on."""

    model: str  # the student's variable
    points: np.ndarray  # (N, 2) inputs sent to the model
    labels: np.ndarray  # (N,) true classes; they never left the grader
    predicted: np.ndarray  # (N,) the model's classes
    grid_x: np.ndarray  # (G,)
    grid_y: np.ndarray  # (G,)
    grid_predicted: np.ndarray  # (G, G) the model's class at (grid_x[j], grid_y[i])
    classes: int


@dataclass(frozen=True)
class ConfusionData(Illustration):
    model: str
    matrix: np.ndarray  # (C, C) counts: rows are true classes, columns predicted ones


@dataclass(frozen=True)
class CurvesData(Illustration):
    """Recorded values per epoch, one panel per quantity (loss, accuracy), several series each."""

    panels: tuple[tuple[str, tuple[tuple[str, np.ndarray], ...]], ...]


@dataclass(frozen=True)
class MisclassifiedData(Illustration):
    """Some of the inputs a model got wrong, as images, with their true and predicted classes.

    Always hidden: the images are hidden items, which students never see."""

    model: str
    images: np.ndarray  # (K, H, W) grey or (K, H, W, 3) colour, uint8, each stretched to 0-255
    labels: np.ndarray  # (K,) true classes
    predicted: np.ndarray  # (K,) the model's classes
    wrong: int  # misclassified inputs in all
    points: int  # inputs checked


PlotData = Union[DecisionBoundaryData, ConfusionData, CurvesData, MisclassifiedData]


class ObjectNotFound(LookupError):
    """No variable in the submission fits what a spec asks for."""


class FigureRequests:
    """The figure half of the probe: `Probe` supplies `forward`, `array` and `resolve`."""

    def __init__(self) -> None:
        self._check = ("", "")  # (check id, exercise) of the running check
        self._requests: list[tuple[str, Callable[[], PlotData]]] = []

    def forward(self, key: str, inputs: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def array(self, key: str) -> np.ndarray:
        raise NotImplementedError

    def resolve(self, key: str) -> str:
        raise NotImplementedError


    def begin_check(self, check: str, exercise: str) -> None:
        """Note which check runs now: the figures it asks for are filed under it."""
        self._check = (check, exercise)

    def illustrate_decision_boundary(
        self,
        key: str,
        inputs: np.ndarray,
        labels: np.ndarray,
        title: str,
        labels_of: Labeller | None = None,
        visibility: Visibility = "hidden",
    ) -> None:
        """Ask for a figure of the model's decision regions over 2-D `inputs`, misclassified points marked.

        Nothing is asked of the kernel now: the grid is probed after every check has
        run (`illustrations`), so a figure can never change a check's outcome.
        `visibility` is "hidden" by default because `labels` usually come from a hidden draw.
        """
        info = Illustration(title, *self._check, visibility)
        points, truth = np.array(inputs, dtype=np.float32), np.array(labels).reshape(-1)
        self._requests.append((f"the decision boundary of {key}", lambda: self._boundary(info, key, points, truth, labels_of)))

    def illustrate_confusion_matrix(
        self,
        key: str,
        inputs: np.ndarray,
        labels: np.ndarray,
        title: str,
        labels_of: Labeller | None = None,
        visibility: Visibility = "hidden",
    ) -> None:
        """Ask for a confusion matrix of the model's classes on `inputs` against `labels`."""
        info = Illustration(title, *self._check, visibility)
        points, truth = np.array(inputs, dtype=np.float32), np.array(labels).reshape(-1)
        self._requests.append((f"the confusion matrix of {key}", lambda: self._confusion(info, key, points, truth, labels_of)))

    def illustrate_misclassified(
        self,
        key: str,
        inputs: np.ndarray,
        labels: np.ndarray,
        title: str,
        limit: int = 16,
        labels_of: Labeller | None = None,
    ) -> None:
        """Ask for a grid of the images in `inputs` ((N, C, H, W) or (N, H, W)) the model misclassifies,
        the first `limit` of them (at most MISCLASSIFIED_LIMIT), each with its true and predicted class.

        Always for the staff only: the images are hidden items, so there is no `visibility` to choose."""
        info = Illustration(title, *self._check, "hidden")
        images, truth = np.array(inputs, dtype=np.float32), np.array(labels).reshape(-1)
        count = max(1, min(int(limit), MISCLASSIFIED_LIMIT))
        self._requests.append(
            (f"the misclassified images of {key}", lambda: self._misclassified(info, key, images, truth, count, labels_of))
        )

    def illustrate_curves(
        self, title: str, panels: Mapping[str, Mapping[str, str]], visibility: Visibility = "visible"
    ) -> None:
        """Ask for a figure of recorded curves: {panel: {series label: object key}}, e.g. losses and accuracies."""
        info = Illustration(title, *self._check, visibility)
        wanted = {panel: dict(series) for panel, series in panels.items()}
        self._requests.append((f"the curves '{title}'", lambda: self._curves(info, wanted)))

    def illustrations(self) -> tuple[list[PlotData], list[str]]:
        """The plot data the specs asked for, and a note for each figure that could not be had."""
        plots: list[PlotData] = []
        notes: list[str] = []
        for what, gather in self._requests:
            try:
                plots.append(gather())
            except Exception as exc:  # the student's object may raise anything; a figure is never worth a failure
                notes.append(f"{what} was not drawn: {type(exc).__name__}: {str(exc)[:300]}")
        return plots, notes

    def _boundary(
        self, info: Illustration, key: str, points: np.ndarray, truth: np.ndarray, labels_of: Labeller | None
    ) -> DecisionBoundaryData:
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"a decision boundary needs 2-D points, got shape {points.shape}")
        outputs = self.forward(key, points)  # the check's own request: answered from the cache
        labeller = labels_of or default_labeller(outputs)
        (low_x, low_y), (high_x, high_y) = points.min(axis=0), points.max(axis=0)
        pad_x, pad_y = 0.1 * (high_x - low_x) or 1.0, 0.1 * (high_y - low_y) or 1.0
        grid_x = np.linspace(low_x - pad_x, high_x + pad_x, GRID_SIZE, dtype=np.float32)
        grid_y = np.linspace(low_y - pad_y, high_y + pad_y, GRID_SIZE, dtype=np.float32)
        mesh = np.stack(np.meshgrid(grid_x, grid_y), axis=-1).reshape(-1, 2)
        predicted = _classes(labeller, outputs, len(points))
        grid_predicted = _classes(labeller, self.forward(key, mesh), len(mesh)).reshape(GRID_SIZE, GRID_SIZE)
        classes = _class_count(truth, predicted, grid_predicted)
        return DecisionBoundaryData(
            *_fields(info), model=self.resolve(key), points=points, labels=truth.astype(np.int64),
            predicted=predicted, grid_x=grid_x, grid_y=grid_y, grid_predicted=grid_predicted, classes=classes,
        )

    def _confusion(
        self, info: Illustration, key: str, points: np.ndarray, truth: np.ndarray, labels_of: Labeller | None
    ) -> ConfusionData:
        outputs = self.forward(key, points)
        predicted = _classes(labels_of or default_labeller(outputs), outputs, len(points))
        truth = truth.astype(np.int64)
        classes = _class_count(truth, predicted)
        matrix = np.zeros((classes, classes), dtype=np.int64)
        np.add.at(matrix, (truth, predicted), 1)
        return ConfusionData(*_fields(info), model=self.resolve(key), matrix=matrix)

    def _misclassified(
        self, info: Illustration, key: str, inputs: np.ndarray, truth: np.ndarray, limit: int, labels_of: Labeller | None
    ) -> MisclassifiedData:
        if inputs.ndim not in (3, 4):  # refuse what is no image before the kernel is asked
            raise ValueError(f"images must have shape (N, H, W) or (N, C, H, W), got shape {inputs.shape}")
        if len(truth) != len(inputs):
            raise ValueError(f"{len(truth)} labels for {len(inputs)} images")
        outputs = self.forward(key, inputs)
        predicted = _classes(labels_of or default_labeller(outputs), outputs, len(inputs))
        truth = truth.astype(np.int64)
        wrong = np.flatnonzero(predicted != truth)
        shown = wrong[:limit]
        return MisclassifiedData(
            *_fields(info), model=self.resolve(key), images=as_images(inputs[shown]), labels=truth[shown],
            predicted=predicted[shown], wrong=int(wrong.size), points=int(len(inputs)),
        )

    def _curves(self, info: Illustration, wanted: dict[str, dict[str, str]]) -> CurvesData:
        panels = []
        missing = []
        for panel, series in wanted.items():
            found = []
            for label, key in series.items():
                try:
                    found.append((label, self.array(key).reshape(-1)[:CURVE_POINTS].astype(np.float64)))
                except Exception as exc:  # one missing curve still leaves the others worth drawing
                    missing.append(f"{key}: {type(exc).__name__}: {str(exc)[:200]}")
            if found:
                panels.append((panel, tuple(found)))
        if not panels:
            raise ObjectNotFound("no recorded curve could be read (" + "; ".join(missing) + ")")
        return CurvesData(*_fields(info), panels=tuple(panels))


def default_labeller(outputs: np.ndarray) -> Labeller:
    """Classes from outputs by `grader.core.outputs.class_labels`; one column counts as probabilities when all
    of it lies in [0, 1], else as logits. Decided once, on the checked points."""
    flat = outputs.reshape(len(outputs), -1)
    probabilities = bool(flat.shape[1] == 1 and flat.size and flat.min() >= 0 and flat.max() <= 1)
    return lambda out: class_labels(out, probabilities)


def as_images(inputs: np.ndarray) -> np.ndarray:
    """(N, H, W) or (N, C, H, W) inputs as uint8 pictures, each stretched to 0-255: (N, H, W) grey, or
    (N, H, W, 3) for three channels; other channel counts are averaged to grey. Sides over IMAGE_SIDE
    are subsampled, so a figure's data stays small whatever the images' size."""
    if inputs.ndim == 4:
        channels = inputs.shape[1]
        inputs = np.moveaxis(inputs, 1, -1) if channels == 3 else inputs.mean(axis=1)
    elif inputs.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W) or (N, C, H, W), got shape {inputs.shape}")
    step_h, step_w = -(-inputs.shape[1] // IMAGE_SIDE), -(-inputs.shape[2] // IMAGE_SIDE)
    pictures = np.nan_to_num(inputs[:, ::step_h, ::step_w].astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    axes = tuple(range(1, pictures.ndim))
    low, high = pictures.min(axis=axes, keepdims=True), pictures.max(axis=axes, keepdims=True)
    stretched = (pictures - low) / np.where(high > low, high - low, 1.0)
    images: np.ndarray = np.round(255 * stretched).astype(np.uint8)
    return images


def _classes(labeller: Labeller, outputs: np.ndarray, count: int) -> np.ndarray:
    classes = np.asarray(labeller(outputs)).reshape(-1)
    if classes.shape != (count,):
        raise ValueError(f"expected one class per point ({count}), got shape {classes.shape} from outputs {outputs.shape}")
    if classes.size and classes.min() < 0:
        raise ValueError("class labels must not be negative")
    return classes.astype(np.int64)


def _class_count(*labels: np.ndarray) -> int:
    """How many classes the labels span; raise ValueError when they are negative or too many to draw."""
    if any(part.size and part.min() < 0 for part in labels):
        raise ValueError("class labels must not be negative")
    count = max(int(part.max(initial=0)) for part in labels) + 1
    if count > MAX_CLASSES:
        raise ValueError(f"{count} classes are more than a figure can show ({MAX_CLASSES})")
    return count


def _fields(info: Illustration) -> tuple[str, str, str, Visibility]:
    return info.title, info.check, info.exercise, info.visibility
