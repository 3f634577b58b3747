"""`grade calibrate`, seed variation and notebook-first authoring, on a tiny assignment made from a notebook alone."""

import json
import math
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.core.assignment import load_assignment
from grader.authoring.calibrate import PARTIAL_FILE, Run, calibrate_assignment, linear_variant
from grader.authoring.calibration import CALIBRATION_FILE, Observation, summarise
from grader.cli.commands import main
from grader.core.settings import ExecuteSettings
from tests.conftest import code, live_kernel, notebook

FAST = ["--cell-timeout", "60", "--probe-timeout", "20"]

# Everything an instructor writes for a new assignment: a notebook (in Jupyter: markers, tags,
# metadata), assignment.toml and the specs. No Python outside the specs.
DATA = """import torch
from sklearn.datasets import make_moons
from torch import nn

X_np, y_np = make_moons(n_samples=400, noise=0.1, random_state=0)
X, y = torch.tensor(X_np, dtype=torch.float32), torch.tensor(y_np, dtype=torch.float32)"""
MODEL = """torch.manual_seed(42)
### BEGIN SOLUTION
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
for step in range(STEPS):
    loss = nn.functional.binary_cross_entropy_with_logits(model(X).squeeze(1), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
### END SOLUTION
print(f"loss {loss.item():.3f}")"""
TOML = """id = "tiny-moons"
title = "Tiny moons"
notebook = "tiny-moons.ipynb"

[exercises]
ex1 = "Ex 1 · A model for the moons"

[objects.model]
kind = "module"
exercise = "ex1"
names = ["model"]
in_features = 2
out_features = 1
outputs = "binary"
"""
CONFTEST = '''import numpy as np
import pytest
from sklearn.datasets import make_moons


@pytest.fixture
def hidden_moons(hidden_rng):
    X, y = make_moons(n_samples=2000, noise=0.1, random_state=hidden_rng("moons"))
    return X.astype(np.float32), y.astype(np.int64)
'''
SPEC = '''import pytest

from grader.spec import assert_accuracy, assert_trained, class_labels

THRESHOLD = {threshold}


@pytest.mark.exercise("ex1")
@pytest.mark.points(2)
@pytest.mark.visibility("hidden")
def test_moons_accuracy(submission, hidden_moons):
    """The trained model is accurate on a hidden draw of moons"""
    X, y = hidden_moons
    assert_trained(submission, "model", X[:64])
    predicted = class_labels(submission.forward("model", X))
    assert_accuracy(submission, predicted, y, "hidden moons points", above=THRESHOLD)
'''


def author(root: Path, steps: int = 300, threshold: float = 0.9) -> Path:
    """Write the tiny assignment into root/solutions/tiny-moons the way an instructor would; return the folder."""
    folder = root / "solutions" / "tiny-moons"
    (folder / "specs").mkdir(parents=True)
    cells = [
        nbformat.v4.new_markdown_cell("# Tiny moons\nFill in the cell tagged `ex1`."),
        code(DATA, "locked"),
        nbformat.v4.new_markdown_cell("## Ex 1: train `model` on the moons", metadata={"tags": ["ex1"]}),
        code(MODEL.replace("STEPS", str(steps)), "ex1"),
    ]
    nb = notebook(*cells, assignment="tiny-moons")
    nbformat.write(nb, folder / "tiny-moons.ipynb")
    (folder / "assignment.toml").write_text(TOML, encoding="utf-8")
    (folder / "specs" / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (folder / "specs" / "test_tiny.py").write_text(SPEC.format(threshold=threshold), encoding="utf-8")
    return folder


@pytest.mark.slow
def test_a_new_assignment_from_a_notebook_alone(tmp_path, capsys):
    """secret → calibrate → release → validate, through the real commands, with no Python but the specs."""
    folder = author(tmp_path)
    assert main(["secret", str(tmp_path / "solutions")]) == 0
    assert main(["calibrate", str(folder), "--seeds", "2", "--draws", "2", "--workers", "2", *FAST]) == 0
    calibration = json.loads((folder / CALIBRATION_FILE).read_text(encoding="utf-8"))
    (measured,) = [m for m in calibration["measured"] if m["data"] == "hidden draw"]
    assert measured["check"] == "test_tiny.py::test_moons_accuracy" and measured["count"] == 2000
    assert measured["runs"] == 4 and measured["passed"] == 4 and measured["lower"] == 0.9
    assert measured["minimum"] > 0.95 and measured["suggested_lower"] < measured["minimum"]
    assert measured["wrong"]["linear"] < 0.9 and measured["separates"] is True  # no ReLU: a straight line
    assert calibration["variants"] == ["reference", "blank", "linear"]
    assert not (folder / PARTIAL_FILE).exists()
    assert "moons_accuracy │ hidden draw" in capsys.readouterr().out
    assert main(["release", str(folder)]) == 0
    assert (tmp_path / "assignments" / "tiny-moons.ipynb").is_file()
    assert main(["validate", str(folder), *FAST]) == 0, capsys.readouterr().out
    # editing a spec's comment changes nothing; editing its code makes the calibration stale
    spec = folder / "specs" / "test_tiny.py"
    spec.write_text("# measured with grade calibrate\n" + spec.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["validate", str(folder), "--seeds", "", *FAST]) == 0
    spec.write_text(spec.read_text(encoding="utf-8").replace("THRESHOLD = 0.9", "THRESHOLD = 0.8"), encoding="utf-8")
    assert main(["validate", str(folder), "--seeds", "", *FAST]) == 1
    assert "calibration.json is stale: the specs or course secret changed" in capsys.readouterr().out


@pytest.mark.slow
def test_validate_fails_a_check_whose_outcome_depends_on_the_training_seed(tmp_path, capsys):
    """A threshold set inside the spread of an undertrained reference: some training runs pass, some fail."""
    folder = author(tmp_path, steps=12, threshold=0.855)
    assert main(["secret", str(tmp_path / "solutions")]) == 0
    assert main(["release", str(folder)]) == 0
    assert main(["validate", str(folder), "--seeds", "1,2,3,4", *FAST]) == 1
    out = capsys.readouterr().out
    flips = [line for line in out.splitlines() if "changes with the training seed" in line]
    assert flips, out
    assert all("test_tiny.py::test_moons_accuracy changes with the training seed: " in line for line in flips)
    assert all(len(re.findall(r"\(accuracy \d+\.\d%", line)) == 2 and "on hidden draw" in line for line in flips)


def test_reseeding_varies_the_notebooks_own_seeds_and_nothing_else(tmp_path):
    cell = code(
        "import random, numpy as np, torch\n"
        "from sklearn.datasets import make_moons\n"
        "torch.manual_seed(42); np.random.seed(42); random.seed(42)\n"
        "print(round(torch.rand(1).item(), 6), round(np.random.rand(), 6), round(random.random(), 6),\n"
        "      round(float(make_moons(5, random_state=42)[0][0, 0]), 6), torch.Generator().manual_seed(7).initial_seed())"
    )
    outputs = []
    for reseed in (None, None, 1, 2):
        settings = ExecuteSettings(cell_timeout=20, probe_timeout=10, reseed=reseed)
        for live in live_kernel(notebook(cell), tmp_path / str(len(outputs)), settings):
            outputs.append(live.result.cells[0].stdout.split())
    stock, again, one, two = outputs
    assert stock == again and stock[:3] == ["0.882269", "0.37454", "0.639427"]  # torch, NumPy, random at 42
    for varied in (one, two):
        assert all(a != b for a, b in zip(varied[:3], stock[:3]))  # every seed the notebook sets is varied
        assert varied[3:] == stock[3:]  # explicit generators (the data's random_state) are not
    assert one[:3] != two[:3]


def test_the_linear_wrong_answer_replaces_activations_only():
    nb = notebook(
        code("model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())"),
        code("h = torch.tanh(x) + F.relu(x) + torch.nn.functional.gelu(x)\nout = torch.sigmoid(h)"),
    )
    variant = linear_variant(nb)
    assert [c.source for c in variant.cells[-2:]] == [
        "model = nn.Sequential(nn.Linear(2, 8), nn.Identity(), nn.Linear(8, 1), nn.Sigmoid())",
        "h = torch.nn.Identity()(x) + torch.nn.Identity()(x) + torch.nn.Identity()(x)\nout = torch.sigmoid(h)",
    ]
    assert linear_variant(notebook(code("layer = nn.Linear(2, 1)"))) is None


def _observation(seed: int, draw: int, value: float, variant: str = "reference") -> list[Observation]:
    base = Observation(variant, seed, draw, "t.py::test_accuracy", "passed" if value > 0.9 else "failed")
    measured = Observation(
        variant, seed, draw, base.check, base.outcome, "accuracy", value, 1000, "hidden draw", lower=0.9
    )
    return [base, measured]


def test_summary_statistics_pass_rates_and_suggested_threshold(mini):
    values = [0.97, 0.96, 0.95, 0.89] * 5  # 20 runs, 5 of them below the threshold
    observations = [o for i, v in enumerate(values) for o in _observation(i // 2, i % 2, v)]
    observations += _observation(0, 0, 0.62, "linear") + _observation(0, 1, 0.66, "linear")
    calibration = summarise(mini, observations, seeds=10, draws=2)
    (measured,) = calibration.measured
    assert (measured.runs, measured.passed, measured.minimum, measured.maximum) == (20, 15, 0.89, 0.97)
    assert measured.mean == pytest.approx(0.9425) and 0.53 < measured.pass_low < 0.54 < 0.88 < measured.pass_high < 0.89
    draw_error = math.sqrt(0.9425 * 0.0575 / 1000)
    assert measured.suggested_lower == math.floor((0.89 - 1.96 * draw_error) * 200) / 200 == 0.875
    assert not measured.in_range  # 0.9 is stricter than what the worst reference run allows
    assert measured.wrong == {"linear": 0.66} and measured.separates is True
    (rate,) = calibration.pass_rates
    assert (rate.runs, rate.passed, rate.flagged) == (20, 15, True) and calibration.flagged == ["t.py::test_accuracy"]


def test_an_interrupted_calibration_resumes_where_it_stopped(tmp_path, mini):
    folder = tmp_path / "mini"
    shutil.copytree(mini.folder, folder)
    (folder / CALIBRATION_FILE).unlink(missing_ok=True)
    runs = []
    settings = ExecuteSettings(cell_timeout=20, probe_timeout=10)
    calibrate_assignment(folder, settings, seeds=2, draws=1, progress=lambda run, done, total: runs.append(run))
    assert runs == [Run("reference", 0), Run("reference", 1), Run("blank", 0)]
    first = (folder / CALIBRATION_FILE).read_text(encoding="utf-8")
    # as if it had been stopped after one run: that run is kept, the others run again
    assignment = load_assignment(folder)
    from grader.authoring.calibrate import _append, observe_run  # noqa: PLC0415  (the runner's own record of one run)

    kept = observe_run(Run("reference", 0), assignment.notebook, assignment, settings, 1, None)
    _append(assignment, 1, Run("reference", 0), kept)
    (folder / "specs").joinpath("unused.txt").write_text("x")  # not a spec file: the hash stays
    runs.clear()
    calibrate_assignment(folder, settings, seeds=2, draws=1, progress=lambda run, done, total: runs.append((run, done)))
    assert runs == [(Run("reference", 1), 2), (Run("blank", 0), 3)]
    assert _without_timing(first) == _without_timing((folder / CALIBRATION_FILE).read_text(encoding="utf-8"))


def _without_timing(text: str) -> dict:
    data = json.loads(text)
    data.pop("seconds")
    return data
