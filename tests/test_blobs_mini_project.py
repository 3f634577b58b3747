"""The blobs mini-project (authored with docs/authoring.md): hidden data, demo submissions end to end, self-check.

The end-to-end fixture grades a copy of submissions/ holding only this assignment's notebooks.
"""

import importlib.util

import nbformat
import numpy as np
import pytest

from grader.core.assignment import load_assignment
from grader.cli.commands import main
from tests.conftest import ROOT, demo_expectations

ASSIGNMENT = "blobs-mini-project"
FOLDER = ROOT / "solutions" / ASSIGNMENT
MAX_SCORE = 15
# submission -> the checks it must lose (every other check must pass)
EXPECTED = demo_expectations(ASSIGNMENT)["demos"]


@pytest.fixture(scope="module")
def conftest():
    spec = importlib.util.spec_from_file_location("blobs_mini_project_conftest", FOLDER / "specs" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_spec_data_is_the_notebooks_data(conftest):
    """The specs rebuild the locked cell's blobs: same call, same points."""
    cells = {cell.id: cell.source for cell in nbformat.read(FOLDER / f"{ASSIGNMENT}.ipynb", as_version=4).cells}
    assert (
        "make_blobs(n_samples=10_000, n_features=2, centers=8, cluster_std=1.0, random_state=13)" in cells["ex1-data"]
    )
    assert "test_size=0.2, random_state=42" in cells["ex1-split"]
    X, y, centers = conftest.notebook_blobs()
    assert X.shape == (10_000, 2) and set(np.unique(y)) == set(range(8)) and centers.shape == (8, 2)


def test_hidden_draw_is_new_points_around_the_same_centres(conftest):
    X, y, centers = conftest.notebook_blobs()
    X_hidden, y_hidden = conftest.blobs_draw(np.random.RandomState(0))
    notebook_points = {tuple(point) for point in X.astype(np.float32)}
    assert not any(tuple(point) in notebook_points for point in X_hidden)
    for label in range(8):  # each hidden class sits around the notebook's centre of the same number
        distances = np.linalg.norm(centers - X_hidden[y_hidden == label].mean(axis=0), axis=1)
        assert distances.argmin() == label and distances[label] < 0.25  # 500 points: the mean is off by ~0.06


def test_checks_add_up_to_the_maximum_score():
    assignment = load_assignment(FOLDER)
    assert [e.id for e in assignment.exercises] == ["ex1", "ex2", "ex3", "ex4", "ex5"]
    points = [
        int(line.split("(")[1].split(")")[0])
        for path in assignment.specs_dir.glob("test_*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("@pytest.mark.points(")
    ]
    assert sum(points) == MAX_SCORE


@pytest.fixture(scope="module")
def graded(demo_batch):
    return demo_batch.of(ASSIGNMENT)


def _checks(result):
    return {c.id: c for e in result.exercises for c in e.checks}


@pytest.mark.slow
def test_blank_notebook_scores_zero_and_every_check_says_why(graded):
    blank = graded["blank"]
    assert blank.score == 0
    assert all(c.outcome == "error" and c.message and not c.grader_fault for c in _checks(blank).values())


@pytest.mark.slow
def test_messages_say_what_was_expected_and_found(graded):
    shallow = _checks(graded["shallow-network"])["test_model.py::test_model_has_the_six_linear_layers"].message
    assert shallow.endswith("the model's layers map 2->16, 16->8")
    no_relu = _checks(graded["no-relu"])["test_model.py::test_model_applies_relu_between_layers"].message
    assert no_relu.startswith("put a ReLU after each of the first five layers; its forward pass applies no relu")
    undertrained = _checks(graded["undertrained"])["test_training.py::test_accuracy_on_hidden_blobs"].message
    assert undertrained.endswith("more than 88% is required")
    wrong_set = _checks(graded["predicts-the-training-set"])
    message = wrong_set["test_predictions.py::test_predictions_are_the_models_classes_for_the_test_set"].message
    assert message == "test_pred holds 8000 values; predict one class per test point (2000)"


@pytest.mark.slow
def test_self_check_of_the_reference_submission(capsys):
    """What a student who solved everything sees from `grade check`."""
    notebook = ROOT / "submissions" / "ada" / f"{ASSIGNMENT}.ipynb"
    assert main(["check", str(notebook), "--public", str(ROOT / "assignments" / ASSIGNMENT)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"public checks of {ASSIGNMENT}: {ASSIGNMENT}.ipynb"
    rows = [line.split("│")[1:4] for line in out if line.startswith("│ ")]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["Ex 1 · The data as tensors, split for training and testing", "1 of 1", "ok"],
        ["Ex 2 · A network of six layers", "1 of 1", "ok"],
        ["Ex 3 · Loss function and optimizer", "1 of 1", "ok"],
        ["Ex 4 · Training", "1 of 1", "ok"],
        ["Ex 5 · Predictions and decision boundaries", "1 of 1", "ok"],
    ]
    assert out[-1] == "5 of 5 public checks passed. Public checks are not your grade: hidden checks on hidden data decide it."
