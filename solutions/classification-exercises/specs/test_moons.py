"""Ex 2–5: the moons classifier, its loss and optimizer, its training and its plot."""

import re

import numpy as np
import pytest

from grader.spec import (
    NONLINEAR_OPS,
    ObjectNotFound,
    OutputKind,
    ProbeError,
    affine_deviation,
    assert_accuracy,
    assert_trained,
    boundary_cells,
    class_labels,
    loss_mismatch,
    output_kind,
    record_accuracy,
    uses_any,
)

# grade calibrate (calibration.json; 20 training seeds x 5 hidden draws of 2000 points): the
# reference scores 99.9-100 % (mean 99.99 %), passes 100 of 100 runs, suggested threshold 99.5 %;
# the reference without its activations scores at most 88.6 %. The threshold is the criterion the
# exercise states (> 96 %), which the reference meets on its own test split too (100 %).
# (With 16 hidden units, 2 training seeds in 20 got stuck at 90 %: the reference has 32.)
MOONS_ACCURACY = 0.96
PROBABILITY_LOSSES = {"BCELoss"}
BINARY_LOSSES = {"BCEWithLogitsLoss", "BCELoss", "CrossEntropyLoss"}
# Probe points for what the model's outputs are (logits, probabilities, class scores): well beyond the
# moons (x in -1.2..2.2, y in -0.7..1.2), where raw logits leave [0, 1]; made up, not hidden data.
PAIRING_POINTS = np.random.default_rng(22).uniform(-6, 6, size=(256, 2)).astype(np.float32)


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_moons_model_outputs_one_value_per_point(submission, hidden_moons):
    """The moons model maps a batch of 2-D points to one logit (or two class scores) per point"""
    # The exercise asks for one output per point; two class scores for the two classes are as good.
    # K >= 3 class scores are still labelled by argmax for the accuracy, but not the shape asked for.
    X, _ = hidden_moons
    out = submission.forward("moons_model", X[:8])
    extra = f": {out.shape[1]} class scores for 2 classes" if out.ndim == 2 and out.shape[1] > 2 else ""
    assert out.shape in {(8, 1), (8,), (8, 2)}, (
        f"a batch of 8 points should give shape (8, 1), or (8, 2) for two class scores; got {out.shape}{extra}"
    )


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_moons_model_is_not_affine(submission):
    """The moons model is a non-linear function of its input (affine test on probe points)"""
    deviation = affine_deviation(lambda x: submission.forward("moons_model", x), -3, 3, features=2)
    assert deviation > 1e-3, (
        "the model behaves like an affine map on probe points "
        f"(relative deviation {deviation:.1e}); add non-linear activations between the layers"
    )


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_moons_model_uses_an_activation(submission, hidden_moons):
    """The moons model's forward pass applies a non-linear activation"""
    ops = submission.forward_ops("moons_model", hidden_moons[0][:8])
    assert uses_any(ops, NONLINEAR_OPS), (
        f"the forward pass only used {', '.join(ops) or 'no operators'}: no activation such as ReLU"
    )


@pytest.mark.exercise("ex3")
@pytest.mark.points(1)
def test_moons_loss_is_binary_cross_entropy(submission):
    """The moons loss is a binary cross-entropy (or a cross-entropy over class scores), fits the model's outputs and computes it correctly"""
    kind = submission.type_name("moons_loss")
    assert kind in BINARY_LOSSES, (
        f"expected nn.BCEWithLogitsLoss (or nn.BCELoss, or nn.CrossEntropyLoss with class scores); found {kind}"
    )
    output = _moons_output_kind(submission)
    assert output is not None or kind != "CrossEntropyLoss", (
        "nn.CrossEntropyLoss needs a moons model that gives class scores, and no moons model could be asked"
    )
    problem = loss_mismatch(kind, output) if output is not None else None  # the loss must fit the graded model
    assert problem is None, problem
    inputs, targets, expected = _cross_entropy_probe(kind, output.columns if output is not None else 1)
    value = submission.loss_value("moons_loss", inputs, targets)
    assert abs(value - expected) < 1e-4, f"on probe inputs the loss gave {value:.5f}, the cross-entropy is {expected:.5f}"


def _cross_entropy_probe(kind: str, columns: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Probe inputs and targets for the loss `kind`, and the cross-entropy it should give on them."""
    rng = np.random.default_rng(3)
    if kind == "CrossEntropyLoss":  # class scores: the two moons classes among `columns` scores
        targets = rng.integers(0, 2, size=16).astype(np.int64)
        inputs = rng.normal(0, 2, size=(16, columns)).astype(np.float32)
        peak = inputs.max(axis=1, keepdims=True)
        log_softmax = inputs - (peak + np.log(np.exp(inputs - peak).sum(axis=1, keepdims=True)))
        return inputs, targets, float(-np.mean(log_softmax[np.arange(16), targets]))
    targets = rng.integers(0, 2, size=16).astype(np.float32)
    if kind == "BCELoss":
        inputs = rng.uniform(0.05, 0.95, size=16).astype(np.float32)
        return inputs, targets, float(-np.mean(targets * np.log(inputs) + (1 - targets) * np.log(1 - inputs)))
    inputs = rng.normal(0, 2, size=16).astype(np.float32)
    return inputs, targets, float(np.mean(np.logaddexp(0, inputs) - targets * inputs))


def _unique(cells):
    return list({cell.index: cell for cell in cells}.values())


def _moons_output_kind(submission) -> OutputKind | None:
    """What the moons model outputs on the pairing points; None when there is no model to ask."""
    try:
        outputs = submission.forward("moons_model", PAIRING_POINTS)
        return output_kind(outputs, submission.forward_ops("moons_model", PAIRING_POINTS[:8]))
    except (ObjectNotFound, ProbeError, ValueError):
        return None


@pytest.mark.exercise("ex3")
@pytest.mark.points(1)
def test_optimizer_updates_the_moons_model(submission):
    """The optimizer updates every parameter of the moons model"""
    info = submission.optimizer("moons_optimizer", "moons_model")
    assert info.model_params > 0 and info.shared_params == info.model_params, (
        f"the {info.type} optimizer updates {info.shared_params} of the model's {info.model_params} parameters"
    )


@pytest.mark.exercise("ex4")
@pytest.mark.points(3)
@pytest.mark.visibility("hidden")
def test_moons_accuracy_on_hidden_data(submission, hidden_moons, moons_test_split):
    """The trained moons model is more than 96 % accurate on a hidden draw of moons"""
    X, y = hidden_moons
    outputs = submission.forward("moons_model", X)
    assert outputs.shape == (len(X),) or outputs.ndim == 2 and outputs.shape[0] == len(X), (
        f"expected one output (or K class scores) per point, got shape {outputs.shape}"
    )
    assert_trained(submission, "moons_model", X[:64])
    probabilities = _outputs_probabilities(submission, outputs)
    submission.illustrate_decision_boundary(
        "moons_model", X, y, title="Moons model on the hidden moons",
        labels_of=lambda out: class_labels(out, probabilities=probabilities),
    )
    X_test, y_test = moons_test_split  # the split Ex 4 states its criterion on, for `grade calibrate`
    own = class_labels(submission.forward("moons_model", X_test), probabilities=probabilities)
    record_accuracy(submission, own, y_test, "notebook test split")
    predicted = class_labels(outputs, probabilities=probabilities)
    assert_accuracy(submission, predicted, y, "hidden moons points", above=MOONS_ACCURACY)


@pytest.mark.exercise("ex4")
@pytest.mark.points(1)
def test_training_reports_every_10_epochs(submission):
    """The training loop prints its progress every 10 epochs"""
    cells = _unique(submission.cells_mentioning("moons_model") + submission.cells_calling("moons_model"))
    epochs = [
        [int(n) for n in re.findall(r"epoch\D{0,3}?(\d+)", cell.stdout, flags=re.IGNORECASE)] for cell in cells
    ]
    best = max(epochs, key=len, default=[])
    steps = {b - a for a, b in zip(best, best[1:])}
    assert len(best) >= 3 and steps == {10}, (
        "expected lines like 'Epoch: 0 …', 'Epoch: 10 …', 'Epoch: 20 …' from the training cell; "
        f"found epochs {best[:8] or 'none'}"
    )


@pytest.mark.exercise("ex5")
@pytest.mark.points(1)
def test_moons_decision_boundary_is_plotted(submission):
    """A cell that calls the trained moons model draws a figure"""
    drawn = boundary_cells(submission, "moons_model")
    assert drawn, (
        "no cell drew a figure while calling the moons model on a grid of points; plot its decision boundary"
    )


def _outputs_probabilities(submission, outputs: np.ndarray) -> bool:
    """Whether the model outputs probabilities (paired with BCELoss) rather than logits."""
    try:
        return submission.type_name("moons_loss") in PROBABILITY_LOSSES
    except LookupError:
        return bool(outputs.min() >= 0 and outputs.max() <= 1)
