"""Probe stage: ask the live kernel about the student's objects and get plain data back.

Specs ask for objects by role ("the moons model"), not by variable name. The
probe resolves a role to a variable in this order: names defined in the cells
tagged with the exercise, the names the assignment asks for, then any variable
in the namespace that fits (most recently defined first). Every resolution is
recorded so the report can say how each object was found. Answers are arrays
and dictionaries decoded from JSON; nothing is unpickled.
"""

from __future__ import annotations

import ast
import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from grader.assignment import Assignment, ObjectSpec
from grader.execute import LiveKernel
from grader.results import CellResult, Resolution, Visibility

_KIND_WORDS = {
    "module": "nn.Module",
    "function": "function",
    "tensor": "tensor",
    "loss": "loss function",
    "optimizer": "optimizer",
    "value": "value",
}


class ObjectNotFound(LookupError):
    """No variable in the submission fits what a spec asks for."""


@dataclass(frozen=True)
class CallAnswer:
    """What a student function returned for the probe input."""

    type: str  # e.g. "torch.Tensor"
    ops: list[str]  # ATen operators it dispatched
    values: np.ndarray | None  # None when it did not return a tensor
    dtype: str
    grad: np.ndarray | None  # d(sum f(x))/dx, None when no gradient flowed


@dataclass(frozen=True)
class TensorInfo:
    shape: tuple[int, ...]
    dtype: str
    device: str


@dataclass(frozen=True)
class OptimizerInfo:
    type: str
    lrs: list[float]
    model_params: int  # parameters of the model it was checked against
    optimizer_params: int
    shared_params: int  # of the model's parameters, how many the optimizer updates


# Maps a model's raw outputs (N, C) or (N,) to class labels (N,).
Labeller = Callable[[np.ndarray], np.ndarray]
GRID_SIZE = 100  # a decision boundary is drawn from the model's classes on GRID_SIZE² points
CURVE_POINTS = 100_000  # values kept per recorded curve
MAX_CLASSES = 20  # more classes than this make no readable figure


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


PlotData = Union[DecisionBoundaryData, ConfusionData, CurvesData]


class Probe:
    """The specs' window onto one executed submission."""

    def __init__(self, kernel: LiveKernel, assignment: Assignment, cells: list[CellResult]) -> None:
        self.kernel = kernel
        self.assignment = assignment
        self.cells = cells
        self.resolutions: dict[str, Resolution] = {}
        self._cache: dict[str, Any] = {}
        self._definition_order = definition_order(cells)
        self._check = ("", "")  # (check id, exercise) of the running check
        self._requests: list[tuple[str, Callable[[], PlotData]]] = []

    # ------------------------------------------------------------ resolving roles

    def resolve(self, key: str) -> str:
        """The student's variable name for the assignment object `key`; raise ObjectNotFound."""
        if key not in self.resolutions:
            self.resolutions[key] = self._resolve(self._spec(key))
        resolution = self.resolutions[key]
        if not resolution.found:
            raise ObjectNotFound(resolution.detail)
        return resolution.found

    def _spec(self, key: str) -> ObjectSpec:
        try:
            return self.assignment.objects[key]
        except KeyError:
            raise KeyError(f"spec asks for object {key!r}, not declared in assignment.toml") from None

    def _resolve(self, spec: ObjectSpec) -> Resolution:
        probe_spec = spec.to_probe()
        if spec.kind == "optimizer" and spec.for_model:
            probe_spec["model_name"] = self._model_name_or_empty(spec.for_model)
        candidates = self._candidates(spec)
        answer = self._ask("find", spec=probe_spec, candidates=candidates, rank=self._fallback_rank(spec))
        found, how = answer["found"], answer["how"]
        return Resolution(object=spec.key, found=found, how=how, detail=_detail(spec, found, how, answer))

    def _model_name_or_empty(self, key: str) -> str:
        try:
            return self.resolve(key)
        except ObjectNotFound:
            return ""

    def _fallback_rank(self, spec: ObjectSpec) -> int:
        """How many roles of the same shape belong to later exercises.

        Without tags or names, the last of several same-shaped objects goes to
        the last exercise that asks for one, the one before to the exercise
        before, and so on (notebooks are written top to bottom).
        """
        order = [exercise.id for exercise in self.assignment.exercises]
        position = order.index(spec.exercise) if spec.exercise in order else len(order)
        return sum(
            1
            for other in self.assignment.objects.values()
            if other.key != spec.key
            and other.fallback_signature() == spec.fallback_signature()
            and (order.index(other.exercise) if other.exercise in order else len(order)) > position
        )

    def _candidates(self, spec: ObjectSpec) -> list[list[str]]:
        in_tagged_cells = [
            name
            for cell in reversed(self.cells)
            if spec.exercise in cell.tags
            for name in reversed(assigned_names(cell.source))
        ]
        # the assignment's own names come first among those the exercise's cells define;
        # a plain value (a number, a list) is only recognised by tag under one of those names
        tagged = [n for n in in_tagged_cells if n in spec.names]
        if spec.kind != "value":
            tagged += in_tagged_cells
        namespace = self._ask("namespace_names")
        position = {name: i for i, name in enumerate(self._definition_order)}
        by_recency = sorted(namespace, key=lambda n: position.get(n, -1), reverse=True)
        candidates: list[list[str]] = []
        seen: set[str] = set()
        for names, how in ((tagged, "tag"), (list(spec.names), "name"), (by_recency, "fallback")):
            for name in names:
                if name not in seen:
                    seen.add(name)
                    candidates.append([name, how])
        return candidates

    # ------------------------------------------------------------ asking objects

    def forward(self, key: str, inputs: np.ndarray) -> np.ndarray:
        """The model's output on `inputs` (eval mode, no gradients)."""
        return decode(self._ask("forward", name=self.resolve(key), inputs=encode(inputs)))

    def forward_ops(self, key: str, inputs: np.ndarray) -> list[str]:
        """The ATen operators the model's forward pass dispatches on `inputs`."""
        return list(self._ask("forward_ops", name=self.resolve(key), inputs=encode(inputs)))

    def structure(self, key: str) -> list[tuple[str, str, str]]:
        """(qualified name, class name, class module) for every sub-module of the model."""
        return [tuple(row) for row in self._ask("structure", name=self.resolve(key))]  # type: ignore[misc]

    def parameter_shapes(self, key: str) -> list[tuple[str, tuple[int, ...]]]:
        """(qualified name, shape) of every parameter of the model, in registration order."""
        answer = self._ask("parameter_shapes", name=self.resolve(key))
        return [(str(name), tuple(int(n) for n in shape)) for name, shape in answer]

    def call(self, key: str, inputs: np.ndarray) -> CallAnswer:
        """Call the student's function on a float32 tensor made from `inputs`."""
        answer = self._ask("call", name=self.resolve(key), inputs=encode(inputs))
        return CallAnswer(
            type=str(answer.get("type", "")),
            ops=list(answer.get("ops", [])),
            values=decode(answer["values"]) if answer.get("values") else None,
            dtype=str(answer.get("dtype", "")),
            grad=decode(answer["grad"]) if answer.get("grad") else None,
        )

    def source(self, key: str) -> str:
        return str(self._ask("source", name=self.resolve(key)))

    def tensor(self, key: str) -> TensorInfo:
        answer = self._ask("describe", name=self.resolve(key))
        return TensorInfo(
            shape=tuple(int(n) for n in answer.get("shape", [])),
            dtype=str(answer.get("dtype", answer.get("type", ""))),
            device=str(answer.get("device", "")),
        )

    def array(self, key: str) -> np.ndarray:
        """The values of a tensor, array or list of numbers (e.g. a loss curve), as float64."""
        return decode(self._ask("as_array", name=self.resolve(key)))

    def device(self, key: str) -> str:
        """'cpu' or 'cuda:0': where a tensor lives, or a model's parameters."""
        return str(self._ask("device_of", name=self.resolve(key)))

    def type_name(self, key: str) -> str:
        """The class name of the student's object, e.g. 'BCEWithLogitsLoss'."""
        return str(self._ask("describe", name=self.resolve(key))["type"])

    def optimizer(self, key: str, model_key: str) -> OptimizerInfo:
        answer = self._ask("optimizer_info", name=self.resolve(key), model=self.resolve(model_key))
        return OptimizerInfo(**{k: answer[k] for k in OptimizerInfo.__dataclass_fields__})

    def loss_value(self, key: str, inputs: np.ndarray, targets: np.ndarray) -> float:
        return float(
            self._ask("loss_value", name=self.resolve(key), inputs=encode(inputs), targets=encode(targets))
        )

    def cells_of(self, exercise: str) -> list[CellResult]:
        """The executed cells tagged with `exercise` (empty when tags were lost)."""
        return [cell for cell in self.cells if exercise in cell.tags]

    def cells_mentioning(self, key: str) -> list[CellResult]:
        """Cells whose source uses the student's variable for object `key`."""
        name = self.resolve(key)
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        return [cell for cell in self.cells if pattern.search(cell.source)]

    # ------------------------------------------------------------ illustrations

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

    def _ask(self, method: str, **arguments: Any) -> Any:
        key = method + json.dumps(arguments, sort_keys=True)
        if key not in self._cache:
            self._cache[key] = self.kernel.request(method, **arguments)
        return self._cache[key]


def default_labeller(outputs: np.ndarray) -> Labeller:
    """Classes from outputs: argmax of several columns; one column cut at 0.5 when all of it
    lies in [0, 1] (probabilities), else at 0 (logits). Decided once, on the checked points."""
    flat = outputs.reshape(len(outputs), -1)
    if flat.shape[1] > 1:
        return lambda out: out.reshape(len(out), -1).argmax(axis=1)
    cut = 0.5 if flat.size and flat.min() >= 0 and flat.max() <= 1 else 0.0
    return lambda out: (out.reshape(len(out), -1)[:, 0] > cut).astype(np.int64)


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


def _detail(spec: ObjectSpec, found: str, how: str, answer: dict[str, Any]) -> str:
    what = _KIND_WORDS[spec.kind]
    if spec.kind == "module" and spec.in_features is not None:
        what += f" with {spec.in_features} inputs"
        if spec.out_features is not None:
            what += f" and {spec.out_features} outputs"
    if how == "tag":
        return f"`{found}`, defined in the cells tagged {spec.exercise}"
    if how == "name":
        return f"`{found}`, the name the assignment asks for"
    if how == "fallback":
        return f"`{found}`, the most recently defined {what} in the notebook (tags and names did not match)"
    rejected = "; ".join(f"`{name}`: {why}" for name, why in answer.get("rejected", [])[:5])
    looked = ", ".join(f"`{n}`" for n in spec.names) or "none"
    message = f"no {what} found for {spec.key} (looked in cells tagged {spec.exercise}, at names {looked}, then the whole namespace)"
    return message + (f"; rejected {rejected}" if rejected else "")


def assigned_names(source: str) -> list[str]:
    """Top-level names a cell binds, in order (magics and shell lines ignored)."""
    cleaned = "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
    try:
        tree = ast.parse(cleaned)
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        names.extend(_bound_by(node))
    return names


def _bound_by(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def definition_order(cells: list[CellResult]) -> list[str]:
    """Every name bound in the notebook, ordered by the position of its last binding."""
    last: dict[str, int] = {}
    position = 0
    for cell in cells:
        for name in assigned_names(cell.source):
            last[name] = position
            position += 1
    return sorted(last, key=last.__getitem__)


def encode(array: np.ndarray) -> dict[str, Any]:
    """Pack an array for the wire: dtype, shape and base64 of little-endian bytes."""
    array = np.ascontiguousarray(array)
    little = array.astype(array.dtype.newbyteorder("<"))
    return {
        "dtype": array.dtype.str.lstrip("<>|="),
        "shape": list(array.shape),
        "data": base64.b64encode(little.tobytes()).decode(),
    }


def decode(packed: Any) -> np.ndarray:
    """Unpack an array sent by the kernel, validating what it claims to be."""
    if not isinstance(packed, dict):
        raise ValueError("the kernel sent a malformed array")
    dtype = np.dtype(str(packed.get("dtype"))).newbyteorder("<")
    if dtype.kind not in "fiub":
        raise ValueError(f"the kernel sent an array of unexpected dtype {dtype}")
    shape = tuple(int(n) for n in packed.get("shape", []))
    raw = base64.b64decode(str(packed.get("data", "")))
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
