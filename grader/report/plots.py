"""Plots stage: draw the figures the specs asked for, grader-side, from plain probe data.

The kernel never draws: the probe hands over arrays (`PlotData` of grader/probe/figure_requests.py),
and this module turns each into a small PNG with matplotlib's Agg canvas (no
pyplot, no global state). Figures are stored as base64 in the result, so a
report stays one self-contained file and can be re-rendered without re-grading.
A figure that cannot be drawn, or does not fit the report's size budget,
becomes a note: plotting never fails a submission.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.core.results import Figure, FigureKind
from grader.probe.figure_requests import ConfusionData, CurvesData, DecisionBoundaryData, MisclassifiedData, PlotData

DPI = 100
FIGURE_BUDGET = 120_000  # base64 characters one figure may take; drawn again smaller when over
REPORT_BUDGET = 600_000  # base64 characters all the figures of one report may take
# Colour-blind-safe class colours (Okabe–Ito); light tints of the same for the regions.
CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
MISCLASSIFIED = "#C9252D"


def draw_figures(plots: Sequence[PlotData], budget: int = REPORT_BUDGET) -> tuple[list[Figure], list[str]]:
    """Draw every plot as a PNG figure within `budget`; return the figures and a note per plot left out."""
    figures: list[Figure] = []
    notes: list[str] = []
    used = 0
    for plot in plots:
        try:
            figure = draw_figure(plot)
        except Exception as exc:  # bad student data (NaN, odd shapes) must not fail the submission
            notes.append(f"'{plot.title}' was not drawn: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        if used + len(figure.data) > budget:
            notes.append(f"'{plot.title}' was left out: the report's figure budget ({budget // 1000} kB) is spent")
            continue
        used += len(figure.data)
        figures.append(figure)
    return figures, notes


def draw_figure(plot: PlotData) -> Figure:
    """One figure as a PNG: drawn again at a lower resolution while it is over FIGURE_BUDGET."""
    drawer, kind, caption = _DRAWERS[type(plot)]
    for dpi in (DPI, 0.75 * DPI, 0.5 * DPI):
        data, width, height = _png(drawer, plot, dpi)
        if len(data) <= FIGURE_BUDGET:
            break
    else:
        raise ValueError(f"the image takes {len(data) // 1000} kB even at low resolution")
    return Figure(
        title=plot.title,
        kind=kind,
        exercise=plot.exercise,
        check=plot.check,
        visibility=plot.visibility,
        caption=caption(plot),
        media_type="image/png",
        data=data,
        width=width,
        height=height,
    )


def _png(drawer: Callable[[Any, Any], None], plot: PlotData, dpi: float) -> tuple[str, int, int]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as Canvas
    from PIL import Image

    canvas = Canvas(figsize=_size(plot), dpi=dpi)
    agg = FigureCanvasAgg(canvas)
    drawer(canvas, plot)
    agg.draw()
    # A palette of 128 colours: a third of the bytes of true colour, and no visible difference
    # for flat regions, points and lines.
    image = Image.fromarray(np.asarray(agg.buffer_rgba())).convert("RGB")
    image = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return base64.b64encode(buffer.getvalue()).decode("ascii"), image.width, image.height


# ---------------------------------------------------------------- decision boundary


def _draw_boundary(canvas: Any, plot: DecisionBoundaryData) -> None:
    from matplotlib.colors import ListedColormap

    colours = [CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(plot.classes)]
    canvas.subplots_adjust(left=0.13, right=0.97, bottom=0.21, top=0.92)
    ax = canvas.add_subplot()
    # the probed grid itself, one pixel block per grid point: what the model decided, unsmoothed
    extent = (plot.grid_x[0], plot.grid_x[-1], plot.grid_y[0], plot.grid_y[-1])
    ax.imshow(plot.grid_predicted, origin="lower", extent=extent, aspect="auto", interpolation="nearest",
              cmap=ListedColormap(colours), vmin=-0.5, vmax=plot.classes - 0.5, alpha=0.25)
    right = plot.predicted == plot.labels
    for label in range(plot.classes):
        rows = right & (plot.labels == label)
        ax.scatter(*plot.points[rows].T, s=5, color=colours[label], linewidths=0, label=f"class {label}")
    wrong = ~right
    ax.scatter(*plot.points[wrong].T, s=22, marker="x", color=MISCLASSIFIED, linewidths=1.1,
               label=f"misclassified ({int(wrong.sum())})")
    _decorate(ax, plot.title)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=min(plot.classes + 1, 5),
              frameon=False, markerscale=1.5, handletextpad=0.1, columnspacing=0.8)


def _boundary_caption(plot: DecisionBoundaryData) -> str:
    wrong = int((plot.predicted != plot.labels).sum())
    share = 1 - wrong / max(len(plot.labels), 1)
    return (
        f"Decision regions of `{plot.model}` with the {len(plot.labels)} points it was checked on: "
        f"{wrong} misclassified (red crosses), accuracy {share:.1%}."
    )


# ---------------------------------------------------------------- confusion matrix


def _draw_confusion(canvas: Any, plot: ConfusionData) -> None:
    canvas.subplots_adjust(left=0.17, right=0.97, bottom=0.15, top=0.9)
    ax = canvas.add_subplot()
    matrix = plot.matrix
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(int(matrix.max()), 1))
    threshold = matrix.max() / 2
    for (row, column), count in np.ndenumerate(matrix):
        ax.text(column, row, str(count), ha="center", va="center", fontsize=8,
                color="white" if count > threshold else "#1f2328")
    ticks = range(len(matrix))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xlabel("predicted class", fontsize=8)
    ax.set_ylabel("true class", fontsize=8)
    _decorate(ax, plot.title, nbins=None)


def _confusion_caption(plot: ConfusionData) -> str:
    total = int(plot.matrix.sum())
    right = int(np.trace(plot.matrix))
    return f"Confusion matrix of `{plot.model}` on {total} points: {right} on the diagonal (correct), {total - right} off it."


# ---------------------------------------------------------------- misclassified images

IMAGE_COLUMNS = 8  # images per row of the grid


def _draw_misclassified(canvas: Any, plot: MisclassifiedData) -> None:
    count = len(plot.images)
    if count == 0:
        ax = canvas.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, "no input was misclassified", ha="center", va="center", fontsize=9)
        canvas.suptitle(plot.title, fontsize=9)
        return
    columns = min(count, IMAGE_COLUMNS)
    axes = canvas.subplots(-(-count // columns), columns, squeeze=False)
    canvas.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86, wspace=0.1, hspace=0.45)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < count:
            image = plot.images[index]
            ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
            ax.set_title(f"true {plot.labels[index]}, pred {plot.predicted[index]}", fontsize=6, pad=2,
                         color=MISCLASSIFIED)
    canvas.suptitle(plot.title, fontsize=9)


def _misclassified_caption(plot: MisclassifiedData) -> str:
    shown = len(plot.images)
    first = f"the first {shown} shown" if shown < plot.wrong else "all shown"
    return (
        f"Inputs `{plot.model}` misclassified: {plot.wrong} of {plot.points} ({first}), "
        "each titled with its true and predicted class. Hidden items: for the teaching staff only."
    )


# ---------------------------------------------------------------- recorded curves


def _draw_curves(canvas: Any, plot: CurvesData) -> None:
    canvas.subplots_adjust(left=0.09, right=0.98, bottom=0.17, top=0.82, wspace=0.25)
    axes = canvas.subplots(1, len(plot.panels), squeeze=False)[0]
    for ax, (panel, series) in zip(axes, plot.panels):
        for index, (label, values) in enumerate(series):
            finite = np.where(np.isfinite(values), values, np.nan)
            ax.plot(np.arange(len(finite)), finite, color=CLASS_COLOURS[index % len(CLASS_COLOURS)],
                    linewidth=1.2, label=label)
        ax.set_xlabel("epoch", fontsize=8)
        _decorate(ax, panel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    canvas.suptitle(plot.title, fontsize=9)


def _decorate(ax: Any, title: str, nbins: int | None = 5) -> None:
    # A fixed title position: matplotlib otherwise measures every tick label to place it (a third of the time).
    ax.set_title(title, fontsize=9, y=1.0, pad=4)
    ax.tick_params(labelsize=7)
    if nbins:
        ax.locator_params(nbins=nbins)


def _curves_caption(plot: CurvesData) -> str:
    parts = []
    for panel, series in plot.panels:
        described = ", ".join(f"{label} ({len(values)} values{_last(values)})" for label, values in series)
        parts.append(f"{panel}: {described}")
    return "Curves recorded by the notebook. " + "; ".join(parts) + "."


def _last(values: np.ndarray) -> str:
    finite = values[np.isfinite(values)]
    return f", last {finite[-1]:.4g}" if finite.size else ", none finite"


_DRAWERS: dict[type, tuple[Callable[[Any, Any], None], FigureKind, Callable[[Any], str]]] = {
    DecisionBoundaryData: (_draw_boundary, "decision-boundary", _boundary_caption),
    ConfusionData: (_draw_confusion, "confusion-matrix", _confusion_caption),
    CurvesData: (_draw_curves, "curves", _curves_caption),
    MisclassifiedData: (_draw_misclassified, "misclassified-images", _misclassified_caption),
}
_SIZES: dict[type, tuple[float, float]] = {
    DecisionBoundaryData: (4.0, 3.6),
    ConfusionData: (3.2, 3.0),
    CurvesData: (6.4, 2.7),
}


def _size(plot: PlotData) -> tuple[float, float]:
    """Inches: fixed per kind, except an image grid, which grows a row at a time."""
    if isinstance(plot, MisclassifiedData):
        rows = max(1, -(-len(plot.images) // IMAGE_COLUMNS))
        return 6.4, 0.45 + 0.95 * rows
    return _SIZES[type(plot)]
