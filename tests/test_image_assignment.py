"""An image assignment written the way docs/authoring.md tells a new instructor, from the notebook alone.

Images of bars (vertical, horizontal, diagonal) on 6 x 6 pixels: the course's dataset is a file the
notebook loads from disk (`[data] folder`), the held-out images a private set in `hidden/`, the
model a small CNN declared by its input shape. Through the real commands: secret, calibrate,
release, validate, then grading a class of three students.
"""

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.authoring.calibration import CALIBRATION_FILE
from grader.cli.commands import main
from tests.conftest import code, notebook

FAST = ["--cell-timeout", "60", "--probe-timeout", "20"]
SIDE = 6

LOAD = """import numpy as np
import torch
from torch import nn

bars = np.load("data/bars.npz")  # the course's dataset, downloaded beside the notebook
X_train = torch.tensor(bars["train_images"][:, None], dtype=torch.float32)
y_train = torch.tensor(bars["train_labels"], dtype=torch.int64)
print(X_train.shape)"""
MODEL = """torch.manual_seed(0)
### BEGIN SOLUTION
bars_model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 4 * 4, 3))
optimizer = torch.optim.Adam(bars_model.parameters(), lr=0.01)
for step in range(150):
    loss = nn.functional.cross_entropy(bars_model(X_train), y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
### END SOLUTION
print(f"loss {loss.item():.3f}")"""
TOML = """id = "bars"
title = "Bars on six by six pixels"
notebook = "bars.ipynb"

[exercises]
ex1 = "Ex 1 · A convolutional network for the bars"

[objects.bars_model]
kind = "module"
exercise = "ex1"
names = ["bars_model"]
input_shape = [1, 6, 6]
out_features = 3

[data]
folder = "data"

[[wrong_answers]]
name = "never trained"
transform = "no_training"
must_lose = ["test_bars.py::test_bars_accuracy_on_held_out_images"]
"""
SPEC = '''import numpy as np
import pytest

from grader.spec import assert_accuracy, assert_trained, class_labels

# grade calibrate: the reference reads nearly every held-out bar; one never trained reads a third
BARS_ACCURACY = 0.8


@pytest.mark.exercise("ex1")
@pytest.mark.points(2)
@pytest.mark.visibility("hidden")
def test_bars_accuracy_on_held_out_images(submission, hidden_set):
    """The trained network tells the held-out bars apart"""
    images, labels, items = hidden_set("holdout")
    assert_trained(submission, "bars_model", images[:4])
    predicted = class_labels(submission.forward("bars_model", images))
    assert_accuracy(submission, predicted, labels, "held-out bar images", above=BARS_ACCURACY, items=items)


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_bars_model_convolves(submission):
    """The network holds an nn.Conv2d"""
    kinds = [kind for _, kind, _ in submission.structure("bars_model")]
    assert "Conv2d" in kinds, f"no nn.Conv2d in {submission.resolve('bars_model')} (its layers: {', '.join(kinds)})"
'''


PUBLIC = '''import numpy as np
import pytest


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_bars_model_gives_three_scores(submission):
    """bars_model maps (N, 1, 6, 6) images to 3 class scores"""
    out = submission.forward("bars_model", np.zeros((2, 1, 6, 6), dtype=np.float32))
    assert out.shape == (2, 3), f"got {out.shape}"
'''


def bar_images(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` noisy images of a vertical (0), horizontal (1) or diagonal (2) bar at a random place."""
    labels = rng.integers(0, 3, count)
    images = rng.uniform(0.0, 0.8, (count, SIDE, SIDE))  # noisy enough that a few bars are misread
    for image, label in zip(images, labels):
        at = rng.integers(0, SIDE)
        if label == 0:
            image[:, at] = 1.0
        elif label == 1:
            image[at, :] = 1.0
        else:
            np.fill_diagonal(image if rng.integers(2) else np.fliplr(image), 1.0)
    return images.astype(np.float32), labels.astype(np.int64)


def author(root: Path) -> Path:
    """What the instructor writes: the dataset file, a private held-out set, the notebook, the toml, a spec."""
    folder = root / "solutions" / "bars"
    for sub in ("specs", "public_specs", "data", "hidden"):
        (folder / sub).mkdir(parents=True)
    train_images, train_labels = bar_images(np.random.default_rng(1), 300)
    np.savez(folder / "data" / "bars.npz", train_images=train_images, train_labels=train_labels)
    held_out, held_labels = bar_images(np.random.default_rng(2), 240)
    np.savez(folder / "hidden" / "holdout.npz", inputs=held_out[:, None], labels=held_labels)
    cells = [
        nbformat.v4.new_markdown_cell("# Bars\nFill in the cell tagged `ex1`."),
        code(LOAD, "locked"),
        nbformat.v4.new_markdown_cell("## Ex 1: a convolutional network for the bars", metadata={"tags": ["ex1"]}),
        code(MODEL, "ex1"),
    ]
    nbformat.write(notebook(*cells, assignment="bars"), folder / "bars.ipynb")
    (folder / "assignment.toml").write_text(TOML, encoding="utf-8")
    (folder / "specs" / "test_bars.py").write_text(SPEC, encoding="utf-8")
    (folder / "public_specs" / "test_bars_public.py").write_text(PUBLIC, encoding="utf-8")
    return folder


def student(source: str, tagged: bool = True) -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_markdown_cell("# Bars"),
        code(LOAD, "locked"),
        nbformat.v4.new_markdown_cell("## Ex 1: a convolutional network for the bars", metadata={"tags": ["ex1"]}),
        code(source, *(["ex1"] if tagged else [])),
    ]
    return notebook(*cells, assignment="bars")


RENAMED = """torch.manual_seed(3)
bars_model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 3))
opt = torch.optim.SGD(bars_model.parameters(), lr=0.5, momentum=0.9)
for epoch in range(200):
    opt.zero_grad()
    nn.CrossEntropyLoss()(bars_model(X_train), y_train).backward()
    opt.step()"""
MLP = """torch.manual_seed(0)
bars_model = nn.Sequential(nn.Flatten(), nn.Linear(36, 32), nn.ReLU(), nn.Linear(32, 3))
optimizer = torch.optim.Adam(bars_model.parameters(), lr=0.01)
for step in range(150):
    loss = nn.functional.cross_entropy(bars_model(X_train), y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()"""


@pytest.mark.slow
def test_an_image_assignment_from_the_docs_validates_and_grades_its_students(tmp_path, capsys):
    folder = author(tmp_path)
    assert main(["secret", str(tmp_path / "solutions")]) == 0
    assert main(["calibrate", str(folder), "--seeds", "2", "--draws", "1", "--workers", "2", *FAST]) == 0, capsys.readouterr()
    calibration = json.loads((folder / CALIBRATION_FILE).read_text(encoding="utf-8"))
    (hidden,) = [m for m in calibration["measured"] if m["data"] == "hidden draw"]
    assert hidden["items"] == 240 and hidden["minimum"] > 0.9, hidden
    assert calibration["variants"] == ["reference", "blank", "never trained"]
    assert main(["release", str(folder)]) == 0
    released = (tmp_path / "assignments" / "bars" / "assignment.toml").read_text(encoding="utf-8")
    assert "input_shape = [1, 6, 6]" in released and not (tmp_path / "assignments" / "bars" / "hidden").exists()
    assert main(["validate", str(folder), *FAST]) == 0, capsys.readouterr().out
    capsys.readouterr()

    submissions = tmp_path / "submissions"
    for name, nb in {
        "ann": nbformat.read(folder / "bars.ipynb", as_version=4),  # the reference's code, as a student would hand it in
        "ben": student(RENAMED, tagged=False),  # another CNN, another optimizer, no tags
        "cy": student(MLP),  # no convolution
    }.items():
        (submissions / name).mkdir(parents=True)
        nbformat.write(nb, submissions / name / "bars.ipynb")
    out = tmp_path / "out"
    assert main([str(submissions), "--out", str(out), "--solutions", str(tmp_path / "solutions"), "--quiet", *FAST]) == 0
    scores = {row.split(",")[1]: row.split(",")[3] for row in (out / "grades.csv").read_text().splitlines()[1:]}
    assert scores == {"ann": "3", "ben": "3", "cy": "2"}, scores
    report = json.loads((out / "cy__bars" / "result.json").read_text())
    failed = [c["id"] for e in report["exercises"] for c in e["checks"] if c["outcome"] != "passed"]
    assert failed == ["test_bars.py::test_bars_model_convolves"]
