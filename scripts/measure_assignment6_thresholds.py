"""Measure the reference models of "assignment-6" on hidden data, to set the specs' thresholds.

Run:  OMP_NUM_THREADS=1 python scripts/measure_assignment6_thresholds.py

As in measure_reference_accuracy.py (whose helpers this reuses), the cells come from the
solution notebook and run in-process once per training seed, with every
`torch.manual_seed(42)` turned into `torch.manual_seed(seed)`. Each trained model is scored
on hidden draws r != 42: `make_circles(2000, noise=0.05, random_state=r)` for the circles
models, and fresh points around the notebook's blob centres (`make_blobs(centers=<the
seed-42 centres>, cluster_std=1.5, random_state=r)`) for the blobs model. It also trains the
baseline with a ReLU slipped between its layers, to show that the near-chance window of
Ex 5 catches it.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.datasets import make_blobs, make_circles

from measure_reference_accuracy import ROOT, SeedResult, cell_sources, measure, print_table

SOLUTION = ROOT / "solutions" / "assignment-6" / "assignment-6.ipynb"

HELPERS = ("setup", "helpers-accuracy", "helpers-evaluate")
CIRCLES_DATA = (*HELPERS, "ex1-data", "ex2-split", "ex3-model", "ex4-loss-optimizer")
BASELINE_CELLS = (*CIRCLES_DATA, "ex5-train")
CIRCLES_CELLS = (*CIRCLES_DATA, "ex6-model", "ex7-optimizer", "ex7-train")
BLOBS_CELLS = ("setup", "helpers-accuracy", "ex9-data", "ex9-split", "ex9-model", "ex9-loss-optimizer", "ex9-train")

LINEAR_FORWARD = "return self.layer2(self.layer1(x))"
RELU_FORWARD = "return self.layer2(torch.relu(self.layer1(x)))"


def blobs_draws(draw_seeds: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fresh blobs around the centres make_blobs picks for the notebook's seed 42."""
    _, _, centers = make_blobs(
        n_samples=1000, n_features=2, centers=4, cluster_std=1.5, random_state=42, return_centers=True
    )
    return [make_blobs(n_samples=1000, centers=centers, cluster_std=1.5, random_state=r) for r in draw_seeds]


def print_range(title: str, results: list[SeedResult]) -> None:
    every = [acc for res in results for acc in res.hidden_accuracies]
    print(f"{title}: hidden accuracy from {min(every):.2f} to {max(every):.2f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="training seeds 0 .. N-1 (default 10)")
    parser.add_argument("--draws", type=int, default=10, help="hidden draws r = 0 .. N (skipping 42) (default 10)")
    args = parser.parse_args()

    sources = cell_sources(SOLUTION)
    assert sources["ex3-model"].count(LINEAR_FORWARD) == 1, "the baseline's forward changed; update LINEAR_FORWARD"
    draw_seeds = [r for r in range(args.draws + 1) if r != 42][: args.draws]
    circles = [make_circles(n_samples=2000, noise=0.05, random_state=r) for r in draw_seeds]
    seeds = range(args.seeds)
    test_split = ("X_test", "y_test")

    baseline = measure(sources, BASELINE_CELLS, "baseline_model", test_split, circles, seeds)
    print_table("baseline_model (linear only), accuracy %", baseline, draw_seeds)
    print_range("baseline_model", baseline)

    with_relu = {**sources, "ex3-model": sources["ex3-model"].replace(LINEAR_FORWARD, RELU_FORWARD)}
    sneaky = measure(with_relu, BASELINE_CELLS, "baseline_model", test_split, circles, seeds)
    print_table("baseline_model with a ReLU slipped in, accuracy %", sneaky, draw_seeds)
    print_range("baseline_model with a ReLU", sneaky)

    nonlinear = measure(sources, CIRCLES_CELLS, "circles_model", test_split, circles, seeds)
    print_table("circles_model, accuracy %", nonlinear, draw_seeds)
    print_range("circles_model", nonlinear)

    blobs_split = ("X_blobs_test", "y_blobs_test")
    blobs = measure(sources, BLOBS_CELLS, "blobs_model", blobs_split, blobs_draws(draw_seeds), seeds)
    print_table("blobs_model, accuracy %", blobs, draw_seeds)
    print_range("blobs_model", blobs)


if __name__ == "__main__":
    main()
