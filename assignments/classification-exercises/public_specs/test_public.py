"""Public checks of the classification exercises: the objects exist and have the right form.

Students run these with `grade check`. They use made-up inputs only: no hidden data and no
accuracy thresholds. Passing them says the grader can find and use your objects, not that
they are right; the hidden checks decide the grade.
"""

import numpy as np
import pytest

from grader.spec import loss_mismatch, output_kind

POINTS = np.array([[0.0, 0.0], [1.0, -0.5], [-1.0, 0.5], [2.0, 1.0]], dtype=np.float32)
# Made-up points well beyond the moons, where raw logits leave [0, 1]: what the model outputs decides the loss.
WIDE_POINTS = np.random.default_rng(22).uniform(-6, 6, size=(256, 2)).astype(np.float32)
BINARY_LOSSES = {"BCEWithLogitsLoss", "BCELoss", "CrossEntropyLoss"}


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_moons_model_gives_one_output_per_point(submission):
    """moons_model takes points with 2 features and gives one output (or two class scores) per point"""
    out = submission.forward("moons_model", POINTS)
    assert out.shape in {(4, 1), (4,), (4, 2)}, f"4 points in should give shape (4, 1) or (4, 2); got {out.shape}"


@pytest.mark.exercise("ex3")
@pytest.mark.points(1)
def test_moons_loss_and_optimizer_exist(submission):
    """loss_fn is a binary cross-entropy loss (or a cross-entropy over class scores) that fits moons_model's
    outputs, and optimizer updates moons_model"""
    kind = submission.type_name("moons_loss")
    assert kind in BINARY_LOSSES, f"expected a binary cross-entropy loss (or nn.CrossEntropyLoss with class scores); found {kind}"
    outputs = submission.forward("moons_model", WIDE_POINTS)
    problem = loss_mismatch(kind, output_kind(outputs, submission.forward_ops("moons_model", POINTS)))
    assert problem is None, problem
    info = submission.optimizer("moons_optimizer", "moons_model")
    assert info.model_params > 0 and info.shared_params == info.model_params, (
        f"the optimizer updates {info.shared_params} of the model's {info.model_params} parameters"
    )


@pytest.mark.exercise("ex6")
@pytest.mark.points(1)
def test_tanh_returns_a_tensor_of_the_same_shape(submission):
    """tanh takes a tensor and returns a tensor of the same shape"""
    x = np.linspace(-2, 2, 5, dtype=np.float32)
    answer = submission.call("tanh", x)
    assert answer.values is not None, f"tanh returned {answer.type}, not a tensor"
    assert answer.values.shape == x.shape, f"tanh of shape {x.shape} gave shape {answer.values.shape}"


@pytest.mark.exercise("ex7")
@pytest.mark.points(1)
def test_spirals_tensors_have_the_split_shapes(submission):
    """X_spirals_train, X_spirals_test, y_spirals_train, y_spirals_test are tensors of 240 and 60 points"""
    expected = {"spirals_X_train": (240, 2), "spirals_X_test": (60, 2), "spirals_y_train": (240,), "spirals_y_test": (60,)}
    wrong = [
        f"{submission.resolve(key)} has shape {submission.tensor(key).shape}, expected {shape}"
        for key, shape in expected.items()
        if submission.tensor(key).shape != shape
    ]
    assert not wrong, "; ".join(wrong)


@pytest.mark.exercise("ex7")
@pytest.mark.points(1)
def test_spirals_model_gives_three_scores_per_point(submission):
    """spirals_model takes points with 2 features and gives 3 class scores per point"""
    out = submission.forward("spirals_model", POINTS)
    assert out.shape == (4, 3), f"4 points in should give shape (4, 3); got {out.shape}"
