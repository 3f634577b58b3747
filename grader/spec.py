"""Helpers for writing hidden specs: grader-side measurements on what the probe returns.

Everything here runs in the grader's process on plain arrays; the kernel never
sees hidden labels or the verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

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
    }
)
# The built-in tanh under every name it dispatches as.
TANH_OPS = frozenset({"tanh", "tanh_", "tanh_backward"})


def labels_from_binary_outputs(outputs: np.ndarray, probabilities: bool) -> np.ndarray:
    """0/1 labels from a binary model's outputs: logits cut at 0, probabilities at 0.5."""
    flat = outputs.reshape(len(outputs), -1)[:, 0]
    return (flat > (0.5 if probabilities else 0.0)).astype(np.int64)


def labels_from_multiclass_outputs(outputs: np.ndarray) -> np.ndarray:
    return outputs.reshape(len(outputs), -1).argmax(axis=1)


def accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    return float((predicted == labels).mean())


def affine_deviation(forward: Callable[[np.ndarray], np.ndarray], low: float, high: float, features: int, seed: int = 0) -> float:
    """How far f is from affine: max |f(t·a+(1−t)·b) − (t·f(a)+(1−t)·f(b))|, relative to f's spread.

    An affine map gives ~1e-7 (float32 rounding); any ReLU/tanh network with
    non-degenerate weights gives orders of magnitude more over a wide box.
    """
    rng = np.random.default_rng(seed)
    count = 256
    a = rng.uniform(low, high, size=(count, features)).astype(np.float32)
    b = rng.uniform(low, high, size=(count, features)).astype(np.float32)
    t = rng.choice(np.array([-1.0, 0.25, 0.5, 0.8, 2.0], dtype=np.float32), size=(count, 1))
    mixed = (t * a + (1 - t) * b).astype(np.float32)
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
