"""Ex 6: tanh written from its formula, without the built-in.

Every check here first requires the function to be pure PyTorch (autograd
flows through it, so no NumPy or math round trip) and not to call the built-in
tanh under any of its names (torch.tanh, Tensor.tanh, nn.Tanh, F.tanh,
torch.ops.aten.tanh all dispatch the same ATen operator), so that none of the
points can be had without writing the formula.
"""

import ast

import numpy as np
import pytest

from grader.spec import TANH_OPS, uses_any

PROBE = np.concatenate([np.linspace(-10, 10, 201), [-3.3, -0.01, 0.0, 0.01, 2.7]]).astype(np.float32)
BUILTIN_NAMES = {"tanh", "Tanh", "tanh_"}


def _answer_without_builtin(submission, inputs=PROBE):
    answer = submission.call("tanh", inputs)
    assert answer.guarded, (
        "could not verify that your tanh avoids the built-in: the grader's operator guard did not see its "
        "own test calls in your kernel (was dispatch tracing disabled?); a TA will review this by hand"
    )
    called = uses_any(answer.ops, TANH_OPS)
    assert not called, f"your tanh calls the built-in tanh (dispatched {', '.join(called)}); write the formula"
    assert not _mentions_builtin(submission.source("tanh")), (
        "your tanh refers to a built-in tanh (torch.tanh, Tensor.tanh, nn.Tanh, …); write the formula"
    )
    assert answer.values is not None, f"your tanh returned {answer.type}, not a torch tensor"
    assert answer.grad is not None, (
        "no gradient flows through your tanh: compute it with torch operations (torch.exp), not NumPy or math"
    )
    return answer


def _mentions_builtin(source: str) -> bool:
    """Whether the function body refers to an attribute named tanh/Tanh (e.g. torch.tanh)."""
    try:
        tree = ast.parse(source.strip() or "pass")
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Attribute) and node.attr in BUILTIN_NAMES for node in ast.walk(tree))


@pytest.mark.exercise("ex6")
@pytest.mark.points(2)
def test_tanh_matches_reference_values(submission):
    """tanh(x) matches the true hyperbolic tangent on [-10, 10]"""
    answer = _answer_without_builtin(submission)
    expected = np.tanh(PROBE.astype(np.float64))
    error = np.abs(answer.values.reshape(-1).astype(np.float64) - expected)
    worst = int(np.argmax(error))
    assert answer.values.size == PROBE.size and error.max() < 1e-5, (
        f"tanh({PROBE[worst]:.2f}) gave {answer.values.reshape(-1)[worst]:.6f}, expected {expected[worst]:.6f}"
    )


@pytest.mark.exercise("ex6")
@pytest.mark.points(1)
def test_tanh_is_differentiable_pytorch(submission):
    """tanh is computed with PyTorch operations, so autograd gives its derivative 1 − tanh²"""
    answer = _answer_without_builtin(submission)
    expected = 1 - np.tanh(PROBE.astype(np.float64)) ** 2
    assert np.abs(answer.grad - expected).max() < 1e-4, "the gradient of your tanh is not 1 − tanh²(x)"


@pytest.mark.exercise("ex6")
@pytest.mark.points(1)
def test_tanh_keeps_shape_and_dtype(submission):
    """tanh works element-wise on a 2-D tensor and returns float32 of the same shape"""
    grid = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    answer = _answer_without_builtin(submission, grid)
    assert answer.values.shape == (3, 4) and answer.dtype == "torch.float32", (
        f"a (3, 4) float32 input gave shape {answer.values.shape} and dtype {answer.dtype}"
    )
    assert np.abs(answer.values - np.tanh(grid)).max() < 1e-5, "wrong values on a 2-D input"
