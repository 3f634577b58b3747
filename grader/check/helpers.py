"""Helpers for writing hidden specs: grader-side measurements on what the probe returns.

Specs import them from `grader.spec`, the stable API that re-exports them; grader code imports them here.

Everything here runs in the grader's process on plain arrays; the kernel never
sees hidden labels or the verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Protocol

import numpy as np

from grader.core.results import CellResult, Measurement


class ProbeLike(Protocol):
    """What the helpers below ask of `grader.probe.probe.Probe` (a protocol, so that the helpers need no probe)."""

    def resolve(self, key: str) -> str: ...

    def training(self, key: str) -> TrainingEvidence: ...

    def depends_on_parameters(self, key: str, inputs: np.ndarray) -> bool: ...

    def cells_calling(self, key: str, grid_points: int = 0) -> list[CellResult]: ...

    def measure(self, measurement: Measurement) -> None: ...


class TrainingEvidence(Protocol):
    @property
    def optimizer_steps(self) -> int: ...

    @property
    def changed(self) -> bool: ...

# ATen operators that make a forward pass non-affine (activations and friends).
NONLINEAR_OPS = frozenset(
    {
        "relu", "relu_", "relu6", "gelu", "sigmoid", "sigmoid_", "tanh", "tanh_", "elu", "elu_",
        "leaky_relu", "leaky_relu_", "silu", "silu_", "mish", "softplus", "hardtanh", "hardtanh_",
        "hardswish", "hardsigmoid", "selu", "celu", "prelu", "_prelu_kernel", "rrelu_with_noise",
        "threshold", "threshold_", "clamp", "clamp_", "clamp_min", "clamp_min_", "clamp_max",
        "maximum", "minimum", "abs", "exp", "log", "log1p", "expm1", "sin", "cos", "sqrt", "rsqrt",
        "pow", "square", "softmax", "_softmax", "log_softmax", "_log_softmax", "glu", "logsigmoid",
        "log_sigmoid_forward", "erf",
        # max pooling, as a CNN's forward pass dispatches it (observed with torch 2.13 through `forward_ops`)
        "max_pool1d", "max_pool2d", "max_pool2d_with_indices", "max_pool3d_with_indices",
    }
)
# A decision boundary is drawn from a model's classes on a grid of at least this many points (20 x 20).
BOUNDARY_GRID_POINTS = 400
# The built-in tanh under every name it dispatches as.
TANH_OPS = frozenset({"tanh", "tanh_", "tanh_backward"})


# Told of every accuracy a spec measures (predicted labels, true labels, the item of each input or None):
# the integrity stage's record of which hidden points each model got wrong (grader/check/collector.py sets
# it per run of the specs).
# An observer is called with the items only when a spec gives them, so two-argument observers keep working.
PredictionObserver = Callable[..., None]
_prediction_observer: ContextVar[PredictionObserver | None] = ContextVar("prediction_observer", default=None)


@contextmanager
def observing_predictions(observer: PredictionObserver) -> Iterator[None]:
    """Within the block, `accuracy` tells `observer` what it compared."""
    token = _prediction_observer.set(observer)
    try:
        yield
    finally:
        _prediction_observer.reset(token)


def accuracy(predicted: np.ndarray, labels: np.ndarray, items: np.ndarray | None = None) -> float:
    """The share of `predicted` equal to `labels` (and, while observed, the comparison is recorded).

    `items`, one per input, says which item each input came from (noisy copies of one image), so that
    the integrity stage counts shared mistakes per item, not per copy."""
    observer = _prediction_observer.get()
    if observer is not None:
        with suppress(Exception):  # a record that cannot be made must never change a check's outcome
            if items is None:
                observer(np.asarray(predicted), np.asarray(labels))
            else:
                observer(np.asarray(predicted), np.asarray(labels), np.asarray(items))
    return float((predicted == labels).mean())


def wilson_interval(successes: int, count: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95 % by default) of a proportion `successes / count`."""
    if count <= 0:
        return 0.0, 1.0
    share = successes / count
    denominator = 1 + z * z / count
    centre = (share + z * z / (2 * count)) / denominator
    spread = z * float(np.sqrt(share * (1 - share) / count + z * z / (4 * count * count))) / denominator
    return max(0.0, centre - spread), min(1.0, centre + spread)


def distinct_items(items: np.ndarray | None, count: int) -> int | None:
    """How many distinct items `items` (the item each of `count` points came from) holds; None without items."""
    if items is None:
        return None
    items = np.asarray(items)
    if len(items) != count:
        raise ValueError(f"items has {len(items)} entries for {count} points: give the item of every point")
    return len(np.unique(items))


def effective_count(count: int, items: int | None) -> int:
    """The number of independent observations a proportion over `count` points from `items` distinct items
    is worth: the items (see `grader/authoring/calibration.py` for why), else every point."""
    return min(count, items) if items else count


def assert_accuracy(
    submission: ProbeLike,
    predicted: np.ndarray,
    labels: np.ndarray,
    what: str,
    above: float | None = None,
    below: float | None = None,
    items: np.ndarray | None = None,
) -> float:
    """Measure the accuracy of `predicted` on `labels` (points described by `what`, e.g. "hidden moons
    points"), file it for the staff and `grade calibrate`, and assert it is above `above` and below
    `below`. `items`, when the points are perturbations of fewer distinct items (images), gives the item
    each point came from. The message gives the 95 % interval of the measurement, over the distinct
    items when there are fewer items than points."""
    score = accuracy(predicted, labels, items)  # with items, integrity counts shared mistakes per item
    distinct = distinct_items(items, len(labels))
    submission.measure(Measurement("accuracy", score, len(labels), "hidden draw", above, below, items=distinct))
    effective = effective_count(len(labels), distinct)
    low, high = wilson_interval(int(round(score * effective)), effective)
    source = f" from {distinct} distinct items" if distinct is not None and distinct < len(labels) else ""
    measured = f"accuracy {score:.1%} (95 % interval {low:.1%}–{high:.1%}) on {len(labels)} {what}{source}"
    if above is not None:
        assert score > above, f"{measured}; more than {above:.0%} is required"
    if below is not None:
        assert score < below, f"{measured}; less than {below:.0%} is required"
    return score


def record_accuracy(
    submission: ProbeLike, predicted: np.ndarray, labels: np.ndarray, data: str, items: np.ndarray | None = None
) -> float:
    """File an accuracy that does not decide the check (e.g. on the notebook's own test split, the data
    an exercise states its criterion on), so that `grade calibrate` can relate it to the hidden draw.
    It is not shown to the integrity stage: shared mistakes are looked for on hidden draws only, the
    data no student has seen, and one check then carries one record. `items` as for `assert_accuracy`."""
    score = float((np.asarray(predicted) == np.asarray(labels)).mean())
    distinct = distinct_items(items, len(labels))
    submission.measure(Measurement("accuracy", score, len(labels), data, judged=False, items=distinct))
    return score


def affine_deviation(
    forward: Callable[[np.ndarray], np.ndarray], low: float, high: float, features: int | Sequence[int], seed: int = 0
) -> float:
    """How far f is from affine: max |f(t·a+(1−t)·b) − (t·f(a)+(1−t)·f(b))|, relative to f's spread.

    `features` is the shape of one input: an int for feature vectors (N, features), or a shape such
    as (1, 28, 28) for images, so that a CNN is probed with (N, 1, 28, 28). An affine map gives ~1e-7
    (float32 rounding); any ReLU/tanh network with non-degenerate weights gives orders of magnitude
    more over a wide box.
    """
    shape = (int(features),) if isinstance(features, (int, np.integer)) else tuple(int(n) for n in features)
    if not shape or min(shape) < 1:
        raise ValueError(f"an input shape needs positive sizes, got {features!r}")
    rng = np.random.default_rng(seed)
    count = 256
    a = rng.uniform(low, high, size=(count, *shape)).astype(np.float32)
    b = rng.uniform(low, high, size=(count, *shape)).astype(np.float32)
    t = rng.choice(np.array([-1.0, 0.25, 0.5, 0.8, 2.0], dtype=np.float32), size=(count, 1))
    mixed = (t.reshape(count, *[1] * len(shape)) * a + (1 - t.reshape(count, *[1] * len(shape))) * b).astype(np.float32)
    outputs = forward(np.concatenate([a, b, mixed])).astype(np.float64).reshape(3 * count, -1)
    fa, fb, fm = outputs[:count], outputs[count : 2 * count], outputs[2 * count :]
    expected = t * fa + (1 - t) * fb
    spread = max(float(np.abs(outputs - outputs.mean(axis=0)).max()), 1e-6)
    return float(np.abs(fm - expected).max() / spread)


def uses_any(ops: Iterable[str], names: frozenset[str]) -> list[str]:
    """The operators of `ops` that appear in `names`, sorted."""
    return sorted(set(ops) & names)


def activation_modules(structure: Iterable[tuple[str, str, str]]) -> list[str]:
    """The sub-modules (from `Probe.structure`) that are torch activation layers, as 'name (Class)'."""
    return [
        f"{name} ({class_name})"
        for name, class_name, module in structure
        if module == "torch.nn.modules.activation"
    ]


def assert_trained(submission: ProbeLike, key: str, inputs: np.ndarray) -> None:
    """Fail unless the model was trained: an optimizer stepped over its parameters (or they changed
    since it was made), and its outputs on `inputs` depend on them. A check on "the trained model"
    calls this first, so that no accuracy can be had from a model that was not learnt."""
    evidence = submission.training(key)
    name = submission.resolve(key)
    assert evidence.optimizer_steps or evidence.changed, (
        f"`{name}` was never trained: no optimizer stepped over its parameters and they never changed"
    )
    assert submission.depends_on_parameters(key, inputs), (
        f"the outputs of `{name}` do not depend on its parameters: its answer was not learnt"
    )


def boundary_cells(submission: ProbeLike, key: str) -> list[str]:
    """Where the model's decision boundary was drawn: cells that ran, produced a figure and called the
    model on a grid of points (a boundary drawn without asking the model does not count)."""
    return [
        f"cell {cell.index}"
        for cell in submission.cells_calling(key, grid_points=BOUNDARY_GRID_POINTS)
        if cell.images and cell.status == "ok"
    ]


# --------------------------------------------------------------------------- perturbations of public data
# Hidden data for a fixed public dataset: each image drawn anew from the course secret (`hidden_rng`), so the
# points a kernel receives are not the public ones. Images are arrays whose last two axes are height and
# width ((N, H, W) or (N, C, H, W); reshape flat inputs first). Each helper returns the perturbed images and,
# for each, the index of the image it came from: pass it as `items=` to `assert_accuracy`.


def pixel_noise(
    images: np.ndarray, rng: np.random.RandomState, scale: float, copies: int = 1,
    low: float | None = None, high: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`copies` noisy versions of every image: Gaussian pixel noise of standard deviation `scale`, clipped
    to [`low`, `high`] where given; (perturbed images, item of each)."""
    items = np.repeat(np.arange(len(images)), copies)
    noisy = images[items] + rng.normal(0.0, scale, size=images[items].shape)
    if low is not None or high is not None:
        noisy = np.clip(noisy, low, high)
    return noisy.astype(images.dtype, copy=False), items


def integer_shifts(
    images: np.ndarray, rng: np.random.RandomState, max_shift: int = 1, copies: int = 1, fill: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """`copies` shifted versions of every image: moved by whole pixels, at most `max_shift` each way along
    height and width, the uncovered border filled with `fill` (nothing wraps round); (perturbed images, item of each)."""
    items = np.repeat(np.arange(len(images)), copies)
    shifted = np.full_like(images[items], fill)
    moves = rng.randint(-max_shift, max_shift + 1, size=(len(items), 2))
    height, width = images.shape[-2:]
    for row, (item, (down, right)) in enumerate(zip(items, moves)):
        source = images[item][..., max(0, -down) : height - max(0, down), max(0, -right) : width - max(0, right)]
        shifted[row][..., max(0, down) : max(0, down) + source.shape[-2], max(0, right) : max(0, right) + source.shape[-1]] = source
    return shifted, items


def horizontal_flips(
    images: np.ndarray, rng: np.random.RandomState, share: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Every image, a random `share` of them mirrored left to right: only where a flip keeps the label
    (photographs of objects, not digits or letters); (perturbed images, item of each)."""
    flipped = images.copy()
    chosen = rng.random_sample(len(images)) < share
    flipped[chosen] = images[chosen][..., ::-1]
    return flipped, np.arange(len(images))
