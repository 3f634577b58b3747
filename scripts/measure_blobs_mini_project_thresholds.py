"""Measure the reference network of "blobs-mini-project" on hidden blobs, to set the specs' threshold.

Run:  OMP_NUM_THREADS=1 python scripts/measure_blobs_mini_project_thresholds.py

As in measure_reference_accuracy.py (whose helpers this reuses), the cells come from the
solution notebook and run in-process once per training seed, with every
`torch.manual_seed(42)` turned into `torch.manual_seed(seed)`, so the starting weights see
the seed. Each trained network is scored on hidden draws r = 0 .. N-1: fresh points around
the centres `make_blobs(..., random_state=13)` places, with the notebook's spread (the
specs' secret seed is not among them). It also prints the best any model can do on each
draw: the share of points nearest to their own centre (the blobs are isotropic Gaussians
of equal spread, so that is the Bayes-optimal rule).
"""

from __future__ import annotations

import argparse
import statistics
import sys

import numpy as np
from sklearn.datasets import make_blobs

from measure_reference_accuracy import ROOT, cell_sources, measure, print_table

sys.path.insert(0, str(ROOT / "solutions" / "blobs-mini-project" / "specs"))
from conftest import blobs_draw, notebook_blobs  # noqa: E402  (the specs' own data, so both agree)

SOLUTION = ROOT / "solutions" / "blobs-mini-project" / "blobs-mini-project.ipynb"
CELLS = ("setup", "helpers-accuracy", "ex1-data", "ex1-split", "ex2-model", "ex3-loss-optimizer", "ex4-train")


def nearest_centre_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    """The accuracy of assigning each point to its nearest centre: the ceiling for any model."""
    _, _, centers = notebook_blobs()
    distances = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return 100.0 * float(np.mean(distances.argmin(axis=1) == y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="training seeds 0 .. N-1 (default 10)")
    parser.add_argument("--draws", type=int, default=10, help="hidden draws r = 0 .. N-1 (default 10)")
    args = parser.parse_args()

    sources = cell_sources(SOLUTION)
    draw_seeds = list(range(args.draws))
    draws = [blobs_draw(r) for r in draw_seeds]
    ceilings = [nearest_centre_accuracy(X, y) for X, y in draws]
    print(f"nearest-centre ceiling on the draws: {min(ceilings):.2f} to {max(ceilings):.2f} % (mean {statistics.mean(ceilings):.2f})")

    results = measure(sources, CELLS, "blobs_model", ("X_test", "y_test"), draws, range(args.seeds))
    print_table("blobs_model, accuracy %", results, draw_seeds)
    every = [acc for res in results for acc in res.hidden_accuracies]
    print(f"blobs_model: hidden accuracy from {min(every):.2f} to {max(every):.2f} % over {len(every)} (seed, draw) pairs")
    print(f"training + setup: {min(r.train_seconds for r in results):.1f} to {max(r.train_seconds for r in results):.1f} s")


if __name__ == "__main__":
    main()
