"""Plots stage: figures drawn grader-side from plain data, within a size budget, never raising."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from grader.probe.figure_requests import (
    GRID_SIZE,
    MISCLASSIFIED_LIMIT,
    ConfusionData,
    CurvesData,
    DecisionBoundaryData,
    MisclassifiedData,
    as_images,
)
from grader.report.plots import FIGURE_BUDGET, draw_figure, draw_figures

RNG = np.random.default_rng(1)


def boundary(points: int = 400, classes: int = 2, title: str = "model on hidden points") -> DecisionBoundaryData:
    X = RNG.uniform(-1, 1, size=(points, 2)).astype(np.float32)
    labels = (X[:, 0] > 0).astype(np.int64) if classes == 2 else RNG.integers(0, classes, size=points)
    predicted = labels.copy()
    predicted[:7] = (predicted[:7] + 1) % classes  # seven mistakes
    grid = np.linspace(-1.1, 1.1, GRID_SIZE, dtype=np.float32)
    grid_predicted = np.broadcast_to((grid > 0).astype(np.int64), (GRID_SIZE, GRID_SIZE)).copy()
    return DecisionBoundaryData(
        title, "test_m.py::test_accuracy", "ex4", "hidden", model="clf", points=X, labels=labels,
        predicted=predicted, grid_x=grid, grid_y=grid, grid_predicted=grid_predicted, classes=classes,
    )


def curves(values: np.ndarray | None = None) -> CurvesData:
    losses = np.linspace(0.7, 0.1, 100) if values is None else values
    return CurvesData(
        "training curves", "test_m.py::test_curves", "ex5", "visible",
        panels=(("loss", (("train", losses), ("test", losses + 0.05))), ("accuracy (%)", (("train", np.linspace(50, 99, 100)),))),
    )


def confusion() -> ConfusionData:
    matrix = np.array([[98, 2, 0], [1, 95, 4], [0, 3, 97]])
    return ConfusionData("spirals confusion", "test_s.py::test_accuracy", "ex7", "hidden", model="net", matrix=matrix)


def decoded(figure) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(figure.data)))
    image.load()
    return image


def test_each_kind_becomes_a_png_figure_filed_under_its_check():
    figures, notes = draw_figures([boundary(), confusion(), curves()])
    assert notes == []
    assert [f.kind for f in figures] == ["decision-boundary", "confusion-matrix", "curves"]
    for figure in figures:
        image = decoded(figure)
        assert image.format == "PNG" and image.size == (figure.width, figure.height) and figure.width > 200
        assert len(figure.data) <= FIGURE_BUDGET and figure.media_type == "image/png"
    first = figures[0]
    assert (first.title, first.check, first.exercise, first.visibility) == (
        "model on hidden points", "test_m.py::test_accuracy", "ex4", "hidden"
    )
    assert first.caption == (
        "Decision regions of `clf` with the 400 points it was checked on: 7 misclassified (red crosses), accuracy 98.2%."
    )
    assert figures[1].caption.startswith("Confusion matrix of `net` on 300 points: 290 on the diagonal")
    assert figures[2].visibility == "visible" and "loss: train (100 values, last 0.1)" in figures[2].caption


def test_many_classes_and_points_still_fit_one_figure():
    figure = draw_figure(boundary(points=3000, classes=8))
    assert len(figure.data) <= FIGURE_BUDGET and decoded(figure).size[0] > 100


def test_the_same_data_draws_the_same_bytes():
    assert draw_figure(confusion()).data == draw_figure(confusion()).data


def test_curves_that_are_not_finite_still_draw():
    values = np.array([np.nan, np.inf, -np.inf, 1.0, 2.0])
    figure = draw_figure(curves(values))
    assert decoded(figure).size[0] > 100
    assert "last 2" in figure.caption
    assert "none finite" in draw_figure(curves(np.full(3, np.nan))).caption


def test_a_plot_that_cannot_be_drawn_becomes_a_note():
    broken = boundary()
    broken = DecisionBoundaryData(
        broken.title, broken.check, broken.exercise, broken.visibility, model="clf", points=broken.points,
        labels=broken.labels[:5], predicted=broken.predicted, grid_x=broken.grid_x, grid_y=broken.grid_y,
        grid_predicted=broken.grid_predicted, classes=2,
    )
    figures, notes = draw_figures([broken, confusion()])
    assert [f.kind for f in figures] == ["confusion-matrix"]
    assert len(notes) == 1 and notes[0].startswith("'model on hidden points' was not drawn: ")


def test_figures_over_the_report_budget_are_left_out_with_a_note():
    one = len(draw_figure(confusion()).data)
    figures, notes = draw_figures([confusion(), confusion(), confusion()], budget=2 * one)
    assert len(figures) == 2
    assert notes == [f"'spirals confusion' was left out: the report's figure budget ({2 * one // 1000} kB) is spent"]


def misclassified(count: int = 12, wrong: int = 30, colour: bool = False) -> MisclassifiedData:
    shape = (count, 28, 28, 3) if colour else (count, 28, 28)
    images = RNG.integers(0, 256, size=shape).astype(np.uint8)
    labels = RNG.integers(0, 10, size=count)
    return MisclassifiedData(
        "digits the model got wrong", "test_d.py::test_accuracy", "ex3", "hidden", model="cnn", images=images,
        labels=labels, predicted=(labels + 1) % 10, wrong=wrong, points=2000,
    )


def test_misclassified_images_draw_as_a_grid_within_the_budget():
    figure = draw_figure(misclassified())
    assert figure.kind == "misclassified-images" and figure.visibility == "hidden"
    assert len(figure.data) <= FIGURE_BUDGET
    assert figure.caption == (
        "Inputs `cnn` misclassified: 30 of 2000 (the first 12 shown), each titled with its true and predicted class. "
        "Hidden items: for the teaching staff only."
    )
    two_rows, three_rows = decoded(figure), decoded(draw_figure(misclassified(count=MISCLASSIFIED_LIMIT)))
    assert two_rows.width == three_rows.width and three_rows.height > two_rows.height
    assert len(draw_figure(misclassified(count=MISCLASSIFIED_LIMIT, colour=True)).data) <= FIGURE_BUDGET
    assert "all shown" in draw_figure(misclassified(count=3, wrong=3)).caption
    assert decoded(draw_figure(misclassified(count=0, wrong=0))).size[0] > 100


def test_images_are_kept_small_and_stretched_whatever_they_are():
    big = RNG.normal(size=(2, 3, 200, 130)).astype(np.float32)
    pictures = as_images(big)
    assert pictures.shape == (2, 50, 44, 3) and pictures.dtype == np.uint8
    assert pictures.reshape(2, -1).min(axis=1).tolist() == [0, 0] and pictures.reshape(2, -1).max(axis=1).tolist() == [255, 255]
    grey = as_images(np.stack([np.full((5, 4, 4), np.nan), np.ones((5, 4, 4))]).astype(np.float32))
    assert grey.shape == (2, 4, 4) and grey.max() == 0  # five channels averaged; NaN and flat images stay black


def test_the_background_drawer_draws_the_same_bytes_and_keeps_the_order():
    from contextlib import closing

    from grader.core.results import SubmissionResult
    from grader.grade import Undrawn
    from grader.pool import FigureDrawer

    plots = [boundary(), confusion(), curves(np.array([0.5, np.nan]))]  # boundary() draws new points each call

    def undrawn(name: str) -> Undrawn:
        result = SubmissionResult(name, name, f"{name}.ipynb", "a", "A", "metadata", "graded", "", 1.0, 1.0)
        result.notes = ["before drawing"]
        return Undrawn(result, list(plots))

    here, notes = draw_figures(plots)
    with closing(FigureDrawer()) as drawer:
        futures = [(name, drawer.submit(undrawn(name))) for name in ("one", "two")]
        results = [(name, drawer.result(future, undrawn(name))) for name, future in futures]
        bare = drawer.result(drawer.submit(Undrawn(undrawn("three").result)), Undrawn(undrawn("three").result))
    for name, result in results:
        assert result.submission == name
        assert [f.data for f in result.figures] == [f.data for f in here]  # drawn in another process, byte for byte
        assert result.notes == ["before drawing", *notes] and result.phases.drawing > 0
    assert bare.figures == [] and bare.phases.drawing == 0  # nothing to draw: no drawing process needed
