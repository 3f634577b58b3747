"""Image models in a real kernel: a tiny CNN's misclassified images, its confusion matrix, its operators
and the shape-aware `affine_deviation`; the misclassified images never reach a student."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from grader.check.helpers import NONLINEAR_OPS, affine_deviation, uses_any
from grader.core.assignment import ObjectSpec
from grader.core.feedback import for_audience
from grader.core.results import SubmissionResult
from grader.probe.figure_requests import MisclassifiedData
from grader.probe.probe import Probe
from grader.report.plots import FIGURE_BUDGET, draw_figures
from tests.conftest import code, live_kernel, notebook

CELLS = [
    code("import torch\nfrom torch import nn"),
    code(
        "torch.manual_seed(0)\n"
        "cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))\n"
        "linear_cnn = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 6 * 6, 3))\n"
        "class Grey(nn.Module):  # takes (N, H, W)\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.cnn = cnn\n"
        "    def forward(self, x):\n"
        "        return self.cnn(x.unsqueeze(1))\n"
        "grey = Grey()"
    ),
]
IMAGES = np.random.default_rng(3).uniform(0, 1, size=(40, 1, 8, 8)).astype(np.float32)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    yield from live_kernel(notebook(*CELLS), tmp_path_factory.mktemp("cnn"))


@pytest.fixture
def probe(kernel, mini):
    objects = {key: ObjectSpec(key=key, kind="module", exercise="x", names=(key,)) for key in ("cnn", "linear_cnn", "grey")}
    return Probe(kernel, dataclasses.replace(mini, objects=objects), kernel.result.cells)


@pytest.fixture
def truth(probe):
    """The CNN's own classes, five of them changed: labels it gets wrong exactly five times."""
    labels = probe.forward("cnn", IMAGES).argmax(axis=1)
    labels[:5] = (labels[:5] + 1) % 3
    return labels


def test_misclassified_images_and_confusion_matrix_of_a_cnn(probe, truth):
    probe.begin_check("test_digits.py::test_accuracy", "ex3")
    probe.illustrate_misclassified("cnn", IMAGES, truth, title="cnn: misclassified hidden images", limit=4)
    probe.illustrate_confusion_matrix("cnn", IMAGES, truth, title="cnn confusion")
    probe.illustrate_misclassified("grey", IMAGES[:, 0], truth, title="as (N, H, W)", limit=100)
    (grid, confusion, flat), notes = probe.illustrations()
    assert notes == []
    assert isinstance(grid, MisclassifiedData) and grid.visibility == "hidden" and grid.model == "cnn"
    assert (grid.wrong, grid.points) == (5, 40) and grid.labels.tolist() == truth[:4].tolist()
    assert grid.predicted.tolist() == ((truth[:4] + 2) % 3).tolist()
    assert grid.images.shape == (4, 8, 8) and grid.images.dtype == np.uint8 and grid.images.max() == 255
    assert flat.images.shape == (5, 8, 8)  # all five: a limit is only an upper bound
    assert confusion.matrix.sum() == 40 and np.trace(confusion.matrix) == 35
    figures, notes = draw_figures([grid, confusion, flat])
    assert notes == [] and [f.kind for f in figures] == ["misclassified-images", "confusion-matrix", "misclassified-images"]
    assert all(len(f.data) <= FIGURE_BUDGET for f in figures) and figures[0].visibility == "hidden"
    assert figures[0].caption.startswith("Inputs `cnn` misclassified: 5 of 40 (the first 4 shown)")
    result = SubmissionResult("s", "s", "s.ipynb", "mini", "Mini", "tag", "graded", "", 0, 0, figures=figures)
    assert [f.kind for f in for_audience(result, "ta").figures] == [f.kind for f in figures]
    assert for_audience(result, "student").figures == []
    # fail closed: even filed as visible, images of hidden items never reach a student
    visible = [dataclasses.replace(f, visibility="visible") for f in figures]
    assert [f.kind for f in for_audience(dataclasses.replace(result, figures=visible), "student").figures] == [
        "confusion-matrix"
    ]


def test_a_misclassified_grid_of_no_images_becomes_a_note(probe, truth):
    probe.illustrate_misclassified("cnn", IMAGES.reshape(40, -1), truth, title="flat")
    plots, notes = probe.illustrations()
    assert plots == [] and len(notes) == 1
    assert notes[0] == (
        "the misclassified images of cnn was not drawn: ValueError: "
        "images must have shape (N, H, W) or (N, C, H, W), got shape (40, 64)"
    )


def test_a_cnns_forward_operators(probe):
    ops = probe.forward_ops("cnn", IMAGES[:2])
    assert {"convolution", "max_pool2d_with_indices"} <= set(ops)
    assert uses_any(ops, NONLINEAR_OPS) == ["max_pool2d_with_indices", "relu"]


def test_affine_deviation_takes_an_image_shape(probe):
    linear = affine_deviation(lambda x: probe.forward("linear_cnn", x), -1, 1, (1, 8, 8))
    relu = affine_deviation(lambda x: probe.forward("cnn", x), -1, 1, (1, 8, 8))
    assert linear < 1e-4 and relu > 1e-2


def test_affine_deviation_keeps_feature_vectors_and_refuses_empty_shapes():
    weights = np.random.default_rng(1).normal(size=(2, 3))
    def relu(x: np.ndarray) -> np.ndarray:
        return np.maximum(x @ weights, 0)

    assert affine_deviation(relu, -3, 3, 2) == affine_deviation(relu, -3, 3, (2,)) > 0.1
    assert affine_deviation(lambda x: x @ weights, -3, 3, 2) < 1e-6
    pixels = np.random.default_rng(2).normal(size=(16, 3))
    assert affine_deviation(lambda x: x.reshape(len(x), -1) @ pixels, -1, 1, (1, 4, 4)) < 1e-6
    with pytest.raises(ValueError, match="positive sizes"):
        affine_deviation(relu, -1, 1, (1, 0, 4))
