"""Ex 2: the six-layer network, 2 -> 16 -> 32 -> 64 -> 32 -> 16 -> 8 with ReLU between the layers."""

from collections import Counter

import pytest

from grader.spec import affine_deviation

WIDTHS = (2, 16, 32, 64, 32, 16, 8)
WEIGHT_SHAPES = Counter((out, inp) for inp, out in zip(WIDTHS[:-1], WIDTHS[1:]))
# Over the box the blobs live in, an affine map deviates by float32 rounding (~1e-7);
# a trained or untrained ReLU network by orders of magnitude more.
NONLINEAR_DEVIATION = 1e-3


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_model_gives_eight_scores_per_point(submission, hidden_blobs):
    """The model maps a batch of 2-D points to 8 class scores per point"""
    out = submission.forward("blobs_model", hidden_blobs[0][:8])
    assert out.shape == (8, 8), f"a batch of 8 points should give shape (8, 8), one score per class; got {out.shape}"


@pytest.mark.exercise("ex2")
@pytest.mark.points(2)
def test_model_has_the_six_linear_layers(submission):
    """The model's weights are those of six linear layers 2 -> 16 -> 32 -> 64 -> 32 -> 16 -> 8"""
    shapes = [shape for _, shape in submission.parameter_shapes("blobs_model")]
    weights = Counter(shape for shape in shapes if len(shape) == 2)
    found = ", ".join(f"{inp}->{out}" for out, inp in (shape for shape in shapes if len(shape) == 2)) or "none"
    assert weights == WEIGHT_SHAPES, (
        f"expected linear layers 2->16, 16->32, 32->64, 64->32, 32->16, 16->8; the model's layers map {found}"
    )


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_model_applies_relu_between_layers(submission, hidden_blobs):
    """The model applies ReLU between its layers: its forward pass uses relu and is not an affine map"""
    ops = submission.forward_ops("blobs_model", hidden_blobs[0][:8])
    deviation = affine_deviation(lambda x: submission.forward("blobs_model", x), -15, 15, features=2)
    problems = []
    if not {"relu", "relu_"} & set(ops):
        problems.append("its forward pass applies no relu")
    if deviation < NONLINEAR_DEVIATION:
        problems.append(f"it behaves like one affine map (deviation {deviation:.1e} on probe points)")
    assert not problems, "put a ReLU after each of the first five layers; " + " and ".join(problems)


@pytest.mark.exercise("ex2")
@pytest.mark.points(1)
def test_model_is_on_device(submission):
    """The model's parameters are on `device` (the GPU when there is one)"""
    expected = "cuda" if submission.kernel.result.device.startswith("cuda") else "cpu"
    found = submission.device("blobs_model")
    assert found.startswith(expected), f"the model's parameters are on {found or 'no device'}; move it with .to(device)"
