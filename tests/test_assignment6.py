"""Assignment 6 (circles and blobs): its demo submissions graded end to end, and its linear-only check.

The end-to-end fixture grades a copy of submissions/ holding only the assignment-6
notebooks, so these tests do not pay for the classification-exercises batch.
"""

import dataclasses
import importlib.util
import json

import numpy as np
import pytest

from grader.core.assignment import load_assignment, load_assignments
from grader.intake.discover import discover, identify
from grader.probe.probe import Probe
from tests.browser import chromium, chromium_path, open_index_and_reports, problems
from tests.conftest import ROOT, code, demo_expectations, live_kernel, notebook

ASSIGNMENT = "assignment-6"
FOLDER = ROOT / "solutions" / ASSIGNMENT
SPECS = FOLDER / "specs"
MAX_SCORE = 29

EXPECTED = demo_expectations(ASSIGNMENT)["demos"]
NEAR_CHANCE = "test_baseline.py::test_trained_baseline_stays_near_chance"


@pytest.fixture(scope="module")
def reports(demo_batch):
    return demo_batch.out


@pytest.fixture(scope="module")
def graded(demo_batch):
    return demo_batch.of(ASSIGNMENT)


def _checks(result):
    return {c.id: c for e in result.exercises for c in e.checks}


def test_demo_notebooks_are_told_apart_from_the_classification_exercises():
    assignments = load_assignments(ROOT / "solutions")
    placed = {}
    for submission in discover(ROOT / "submissions"):
        identification = identify(json.loads(submission.path.read_text(encoding="utf-8")), assignments)
        placed[submission.relative_path] = identification.assignment.id if identification.assignment else None
    assert {path for path, found in placed.items() if found == ASSIGNMENT} == {
        f"{student}/{ASSIGNMENT}.ipynb" for student in EXPECTED
    }
    assert all(found == path.rsplit("/", 1)[-1].removesuffix(".ipynb") for path, found in placed.items())


def test_checks_add_up_to_the_maximum_score():
    assert len(load_assignment(FOLDER).exercises) == 9
    points = [
        int(line.split("(")[1].split(")")[0])
        for path in SPECS.glob("test_*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("@pytest.mark.points(")
    ]
    assert sum(points) == MAX_SCORE and set(points) <= {1, 2, 3}


@pytest.mark.slow
def test_blank_notebook_scores_zero_and_every_check_says_why(graded):
    blank = graded["blank"]
    assert blank.score == 0
    assert all(c.message for c in _checks(blank).values())


@pytest.mark.slow
def test_messages_say_what_was_expected_and_found(graded):
    wrong_size = _checks(graded["wrong-output-size"])
    assert "got (8, 2)" in wrong_size["test_circles_model.py::test_circles_model_outputs_one_value_per_point"].message
    relu = _checks(graded["relu-in-blobs"])["test_blobs.py::test_blobs_model_is_linear_only"].message
    assert "non-linear operators: relu" in relu and "activation layers" not in relu
    split = _checks(graded["wrong-split"])["test_circles_data.py::test_split_is_train_test_split_seed_42"].message
    assert split.startswith("X_train, X_test, y_train, y_test differ from train_test_split")
    assert "train_losses" in _checks(graded["no-curves"])[NEAR_CHANCE].message


@pytest.mark.slow
def test_figures_are_drawn_for_every_model_the_checks_reached(graded):
    kinds = {student: [(f.kind, f.exercise) for f in r.figures] for student, r in graded.items()}
    boundaries = [("decision-boundary", "ex5"), ("decision-boundary", "ex9"), ("confusion-matrix", "ex9"), ("decision-boundary", "ex7")]
    assert kinds["ada"] == [("curves", "ex5"), *boundaries]
    assert kinds["no-curves"] == boundaries[1:]  # no curves, and the near-chance check stops before its figure
    assert kinds["wrong-output-size"] == [("curves", "ex5"), *boundaries[:3]]
    assert all(f.visibility == ("visible" if f.kind == "curves" else "hidden") for r in graded.values() for f in r.figures)
    assert graded["no-curves"].notes[0].startswith("the curves 'The baseline's recorded training curves' was not drawn")


@pytest.mark.slow
@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_reports_show_their_figures_in_chromium(reports, tmp_path):
    with chromium(tmp_path / "profile") as browser:
        index, pages = open_index_and_reports(browser, reports, tmp_path / "shots")
    for page in [index, *pages]:
        assert problems(page) == [], page.path
    images = {page.path.parent.name.removesuffix("__assignment-6"): page.images for page in pages if page.path.parent.name.endswith("__assignment-6")}
    assert images["ada"] == 5 and images["no-curves"] == 3 and images["blank"] == 0


# --------------------------------------------------------------------------- the linear-only check

MODEL_SETUP = """import torch
from torch import nn
import torch.nn.functional as F
torch.manual_seed(0)

class TorchRelu(nn.Module):
    def __init__(self, out):
        super().__init__()
        self.a, self.b = nn.Linear(2, 8), nn.Linear(8, out)
    def forward(self, x):
        return self.b(torch.relu(self.a(x)))

class FunctionalRelu(TorchRelu):
    def forward(self, x):
        return self.b(F.relu(self.a(x)))

class WhereRelu(TorchRelu):
    def forward(self, x):
        h = self.a(x)
        return self.b(torch.where(h > 0, h, torch.zeros_like(h)))

class Sneaky(nn.Module):
    def forward(self, x):
        return x.clamp(min=0)

class TwoLinear(nn.Module):
    def __init__(self, out):
        super().__init__()
        self.layer1, self.layer2 = nn.Linear(2, 8), nn.Linear(8, out)
    def forward(self, x):
        return self.layer2(self.layer1(x))
"""

MODELS = {
    "relu_module": "nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, {out}))",
    "torch_relu_in_forward": "TorchRelu({out})",
    "functional_relu_in_forward": "FunctionalRelu({out})",
    "where_relu_in_forward": "WhereRelu({out})",
    "hidden_in_custom_module": "nn.Sequential(nn.Linear(2, 8), Sneaky(), nn.Linear(8, {out}))",
    "unused_activation_layer": "TwoLinear({out})\n{name}.spare = nn.Tanh()",
    "two_linear_layers": "TwoLinear({out})",
    "sequential_linear": "nn.Sequential(nn.Linear(2, 8), nn.Linear(8, {out}))",
    "identity_flatten_dropout": (
        "nn.Sequential(nn.Flatten(), nn.Linear(2, 8), nn.Identity(), nn.Dropout(0.5), nn.Linear(8, {out}))"
    ),
}
LINEAR_MODELS = {"two_linear_layers", "sequential_linear", "identity_flatten_dropout"}
# spec module, check, object key, hidden-data fixture, outputs
LINEAR_ONLY_CHECKS = {
    "baseline": ("test_baseline", "test_baseline_is_linear_only", "baseline_model", "circles_draw", 1),
    "blobs": ("test_blobs", "test_blobs_model_is_linear_only", "blobs_model", "blobs_draw", 4),
}


@pytest.fixture(scope="module")
def specs(pytestconfig):
    """The spec modules by name; their markers are registered first, as the grader's collector does."""
    pytestconfig.addinivalue_line("markers", "points(n): points the check is worth")
    pytestconfig.addinivalue_line("markers", "exercise(id): the exercise (cell tag) the check belongs to")
    modules = {}
    for name in ("conftest", "test_baseline", "test_blobs"):
        spec = importlib.util.spec_from_file_location(f"assignment6_{name}", SPECS / f"{name}.py")
        modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(modules[name])
    return modules


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    cells = [code(MODEL_SETUP)]
    for _, _, _, _, out in LINEAR_ONLY_CHECKS.values():
        cells += [code(f"{name}_{out} = {expr.format(out=out, name=f'{name}_{out}')}") for name, expr in MODELS.items()]
    yield from live_kernel(notebook(*cells), tmp_path_factory.mktemp("linear-only"))


def _probe(kernel, key, name):
    assignment = load_assignment(FOLDER)
    objects = dict(assignment.objects)
    objects[key] = dataclasses.replace(objects[key], names=(name,), exercise="none")
    return Probe(kernel, dataclasses.replace(assignment, objects=objects), kernel.result.cells)


@pytest.mark.parametrize("check", sorted(LINEAR_ONLY_CHECKS))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_linear_only_check_sees_every_non_linearity(kernel, specs, check, name):
    module, function, key, draw, out = LINEAR_ONLY_CHECKS[check]
    conftest = specs["conftest"]
    probe = _probe(kernel, key, f"{name}_{out}")
    try:
        hidden = getattr(conftest, draw)(np.random.RandomState(0))  # any draw: the check uses its first points
        getattr(specs[module], function)(probe, hidden, conftest.linear_only_problems)
    except AssertionError:
        passed = False
    else:
        passed = True
    assert passed == (name in LINEAR_MODELS)
