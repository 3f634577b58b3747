"""Measure how well the reference models of "classification-exercises" do on data they never saw.

Run:  OMP_NUM_THREADS=1 python scripts/measure_reference_accuracy.py

The model, loss, optimizer and training cells are taken from the solution notebook itself
and run in-process once per training seed: every `torch.manual_seed(42)` in those cells
becomes `torch.manual_seed(seed)`, so both the initial weights and the training see the
seed. The data cells run unchanged (the notebook's seed-42 data). Each trained model is then
scored on hidden draws: `make_moons(..., random_state=r)` for the moons and the spirals
generator driven by `np.random.RandomState(r)` for the spirals, with r != 42.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # the data cells draw scatter plots; nothing is shown

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "classification-exercises" / "classification-exercises.ipynb"
NOTEBOOK_SEED = "torch.manual_seed(42)"

MOONS_CELLS = ("setup", "ex1-data", "ex2-model", "ex3-loss-optimizer", "ex4-accuracy", "ex4-train")
SPIRALS_CELLS = ("setup", "ex4-accuracy", "ex7-data", "ex7-split", "ex7-model", "ex7-loss-optimizer", "ex7-train")


@dataclass(frozen=True)
class SeedResult:
    seed: int
    notebook_test_accuracy: float  # on the notebook's own 20 % test split
    hidden_accuracies: tuple[float, ...]  # one per hidden draw
    train_seconds: float


def cell_sources(notebook: Path) -> dict[str, str]:
    nb = nbformat.read(notebook, as_version=4)
    return {cell.id: cell.source for cell in nb.cells if cell.cell_type == "code"}


def run_cells(sources: dict[str, str], cell_ids: tuple[str, ...], seed: int) -> tuple[dict[str, Any], float]:
    """Execute the cells in one namespace with the training seed swapped in; return it and the seconds taken."""
    namespace: dict[str, Any] = {"__name__": "__reference__"}
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        for cell_id in cell_ids:
            source = sources[cell_id].replace(NOTEBOOK_SEED, f"torch.manual_seed({seed})")
            exec(compile(source, f"<cell {cell_id}>", "exec"), namespace)
    matplotlib.pyplot.close("all")
    return namespace, time.perf_counter() - start


def draw_spirals(rng: np.random.RandomState, points_per_class: int = 100, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spirals, as in the notebook's locked cell, from the given random state."""
    X = np.zeros((points_per_class * classes, 2))
    y = np.zeros(points_per_class * classes, dtype="uint8")
    for j in range(classes):
        rows = slice(points_per_class * j, points_per_class * (j + 1))
        r = np.linspace(0.0, 1.0, points_per_class)
        t = np.linspace(j * 4, (j + 1) * 4, points_per_class) + rng.randn(points_per_class) * 0.2
        X[rows] = np.column_stack([r * np.sin(t), r * np.cos(t)])
        y[rows] = j
    return X, y


def predicted_labels(model: torch.nn.Module, X: np.ndarray) -> np.ndarray:
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        logits = model(torch.from_numpy(X).float().to(device)).cpu()
    return (logits[:, 0] > 0).long().numpy() if logits.shape[1] == 1 else logits.argmax(dim=1).numpy()


def hidden_accuracy(model: torch.nn.Module, draws: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, ...]:
    return tuple(100.0 * float(np.mean(predicted_labels(model, X) == y)) for X, y in draws)


def measure(
    sources: dict[str, str],
    cell_ids: tuple[str, ...],
    model_name: str,
    test_names: tuple[str, str],
    draws: list[tuple[np.ndarray, np.ndarray]],
    seeds: range,
) -> list[SeedResult]:
    results = []
    for seed in seeds:
        namespace, seconds = run_cells(sources, cell_ids, seed)
        model = namespace[model_name]
        X_test, y_test = (namespace[name].cpu().numpy() for name in test_names)
        test_accuracy = 100.0 * float(np.mean(predicted_labels(model, X_test) == y_test))
        results.append(SeedResult(seed, test_accuracy, hidden_accuracy(model, draws), seconds))
    return results


def check_spirals_generator(sources: dict[str, str]) -> None:
    """Fail unless draw_spirals reproduces the notebook's locked data cell for seed 42."""
    namespace, _ = run_cells(sources, ("setup", "ex7-data"), seed=42)
    X, y = draw_spirals(np.random.RandomState(42))
    assert np.array_equal(X, namespace["X_spirals"]) and np.array_equal(y, namespace["y_spirals"])


def print_table(title: str, results: list[SeedResult], draw_seeds: list[int]) -> None:
    print(f"\n{title}  (hidden draws r = {draw_seeds})")
    print("seed | notebook test acc | hidden min | hidden mean | train+setup s")
    for res in results:
        print(
            f"{res.seed:4d} | {res.notebook_test_accuracy:17.2f} | {min(res.hidden_accuracies):10.2f} "
            f"| {statistics.mean(res.hidden_accuracies):11.2f} | {res.train_seconds:6.2f}"
        )
    every = [acc for res in results for acc in res.hidden_accuracies]
    print(f"all  | {min(r.notebook_test_accuracy for r in results):17.2f} | {min(every):10.2f} | {statistics.mean(every):11.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="training seeds 0 .. N-1 (default 5)")
    parser.add_argument("--draws", type=int, default=10, help="hidden draws r = 0 .. N (skipping 42) (default 10)")
    args = parser.parse_args()

    sources = cell_sources(SOLUTION)
    check_spirals_generator(sources)
    draw_seeds = [r for r in range(args.draws + 1) if r != 42][: args.draws]
    moons_draws = [make_moons(n_samples=1000, noise=0.07, random_state=r) for r in draw_seeds]
    spirals_draws = [draw_spirals(np.random.RandomState(r)) for r in draw_seeds]
    seeds = range(args.seeds)

    moons = measure(sources, MOONS_CELLS, "moons_model", ("X_test", "y_test"), moons_draws, seeds)
    print_table("moons_model, accuracy %", moons, draw_seeds)
    spirals = measure(
        sources, SPIRALS_CELLS, "spirals_model", ("X_spirals_test", "y_spirals_test"), spirals_draws, seeds
    )
    print_table("spirals_model, accuracy %", spirals, draw_seeds)


if __name__ == "__main__":
    main()
