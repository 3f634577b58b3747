"""The questions a spec asks of a student's object, by role, whoever answers them.

`ObjectQuestions` turns each question into a request (`_ask(method, **arguments)`) to the kernel
side (grader/inside/questions.py) about the object the resolver chose, and decodes the plain answer.
The grader's `Probe` asks a sandboxed kernel over its channel; the in-notebook checks
(grader/notebook/) ask the running kernel in-process: the same questions, the same answers.
This module imports nothing that talks to a kernel.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.core.results import CellResult
from grader.probe.resolve import Resolver


@dataclass(frozen=True)
class CallAnswer:
    """What a student function returned for the probe input."""

    type: str  # e.g. "torch.Tensor"
    ops: list[str]  # ATen operators it dispatched
    values: np.ndarray | None  # None when it did not return a tensor
    dtype: str
    grad: np.ndarray | None  # d(sum f(x))/dx, None when no gradient flowed
    guarded: bool = False  # the operator recorder proved armed around the call (canaries seen); see `ops`


@dataclass(frozen=True)
class TensorInfo:
    shape: tuple[int, ...]
    dtype: str
    device: str


@dataclass(frozen=True)
class TrainingEvidence:
    parameters: int
    optimizer_steps: int  # steps of optimizers over its parameters, counted by a global step hook
    changed: bool  # its parameters differ from when the kernel first saw it
    loaded: bool = False  # it (or a part) was given saved parameters: load_state_dict, or unpickled


@dataclass(frozen=True)
class OptimizerInfo:
    type: str
    lrs: list[float]
    model_params: int  # parameters of the model it was checked against
    optimizer_params: int
    shared_params: int  # of the model's parameters, how many the optimizer updates


class ObjectQuestions:
    """Typed questions about the objects roles resolve to; subclasses provide `_ask`, `resolver` and `cells`."""

    resolver: Resolver
    cells: list[CellResult]

    def _ask(self, method: str, **arguments: Any) -> Any:
        raise NotImplementedError

    def resolve(self, key: str) -> str:
        """The student's variable name for the assignment object `key`; raise ObjectNotFound."""
        return self.resolver.resolve(key).found

    def _handle(self, key: str) -> str:
        """How the kernel addresses the object resolved for `key` (it may have been rebound since)."""
        return self.resolver.resolve(key).handle

    def training(self, key: str) -> TrainingEvidence:
        """How the model was trained: optimizer steps over its parameters, whether they changed."""
        answer = self._ask("training", name=self._handle(key))
        return TrainingEvidence(
            int(answer["parameters"]), int(answer["optimizer_steps"]), bool(answer["changed"]), bool(answer.get("loaded"))
        )

    def cells_calling(self, key: str, grid_points: int = 0) -> list[CellResult]:
        """The executed cells that called the model, recorded by a forward hook while the notebook ran
        (the object, whatever name it had then); with `grid_points`, only those that called it on a
        grid of at least that many 2-D points (as a decision boundary does)."""
        counts = {int(count) for count, _, grid in self._ask("calls", name=self._handle(key)) if grid >= grid_points}
        return [cell for cell in self.cells if cell.execution_count in counts]

    def depends_on_parameters(self, key: str, inputs: np.ndarray) -> bool:
        """Whether the model's outputs on `inputs` change when its parameters are perturbed."""
        return bool(self._ask("depends_on_parameters", name=self._handle(key), inputs=encode(inputs)))

    # ------------------------------------------------------------ asking objects

    def forward(self, key: str, inputs: np.ndarray) -> np.ndarray:
        """The model's output on `inputs` (eval mode, no gradients)."""
        return decode(self._ask("forward", name=self._handle(key), inputs=encode(inputs)))

    def forward_ops(self, key: str, inputs: np.ndarray) -> list[str]:
        """The ATen operators the model's forward pass dispatches on `inputs`."""
        return list(self._ask("forward_ops", name=self._handle(key), inputs=encode(inputs)))

    def structure(self, key: str) -> list[tuple[str, str, str]]:
        """(qualified name, class name, class module) for every sub-module of the model."""
        return [(str(name), str(kind), str(module)) for name, kind, module in self._ask("structure", name=self._handle(key))]

    def parameter_shapes(self, key: str) -> list[tuple[str, tuple[int, ...]]]:
        """(qualified name, shape) of every parameter of the model, in registration order."""
        answer = self._ask("parameter_shapes", name=self._handle(key))
        return [(str(name), tuple(int(n) for n in shape)) for name, shape in answer]

    def parameter_values(self, key: str, limit: int = 5_000_000) -> list[np.ndarray]:
        """Every parameter of the model as float32, in registration order; [] when it has more than `limit` values."""
        return [decode(packed) for packed in self._ask("parameter_values", name=self._handle(key), limit=limit)]

    def call(self, key: str, inputs: np.ndarray) -> CallAnswer:
        """Call the student's function on a float32 tensor made from `inputs`."""
        answer = self._ask("call", name=self._handle(key), inputs=encode(inputs))
        return CallAnswer(
            type=str(answer.get("type", "")),
            ops=list(answer.get("ops", [])),
            values=decode(answer["values"]) if answer.get("values") else None,
            dtype=str(answer.get("dtype", "")),
            grad=decode(answer["grad"]) if answer.get("grad") else None,
            guarded=bool(answer.get("guarded")),
        )

    def source(self, key: str) -> str:
        return str(self._ask("source", name=self._handle(key)))

    def tensor(self, key: str) -> TensorInfo:
        answer = self._ask("describe", name=self._handle(key))
        return TensorInfo(
            shape=tuple(int(n) for n in answer.get("shape", [])),
            dtype=str(answer.get("dtype", answer.get("type", ""))),
            device=str(answer.get("device", "")),
        )

    def array(self, key: str) -> np.ndarray:
        """The values of a tensor, array or list of numbers (e.g. a loss curve), as float64."""
        return decode(self._ask("as_array", name=self._handle(key)))

    def device(self, key: str) -> str:
        """'cpu' or 'cuda:0': where a tensor lives, or a model's parameters."""
        return str(self._ask("device_of", name=self._handle(key)))

    def type_name(self, key: str) -> str:
        """The class name of the student's object, e.g. 'BCEWithLogitsLoss'."""
        return str(self._ask("describe", name=self._handle(key))["type"])

    def optimizer(self, key: str, model_key: str) -> OptimizerInfo:
        answer = self._ask("optimizer_info", name=self._handle(key), model=self._handle(model_key))
        return OptimizerInfo(**{k: answer[k] for k in OptimizerInfo.__dataclass_fields__})

    def loss_value(self, key: str, inputs: np.ndarray, targets: np.ndarray) -> float:
        return float(
            self._ask("loss_value", name=self._handle(key), inputs=encode(inputs), targets=encode(targets))
        )

    def cells_of(self, exercise: str) -> list[CellResult]:
        """The executed cells tagged with `exercise` (empty when tags were lost)."""
        return [cell for cell in self.cells if exercise in cell.tags]

    def cells_mentioning(self, key: str) -> list[CellResult]:
        """Cells whose source uses the student's variable for object `key`."""
        name = self.resolve(key)
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        return [cell for cell in self.cells if pattern.search(cell.source)]


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
