"""Assignments on a fixed public dataset: hidden sets, perturbations, distinct items, the data folder,
declared wrong answers, and calibrate stopping at a spec's own error."""

import dataclasses
import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.authoring.calibrate import SpecFault, calibrate_assignment, variant_notebooks
from grader.authoring.calibration import CALIBRATION_FILE, Observation, summarise
from grader.authoring.release import release
from grader.cli.authoring import print_calibration
from grader.authoring.wrong_answers import WrongAnswerError, make_wrong_answer
from grader.core.assignment import AssignmentError, WrongAnswer, load_assignment
from grader.core.kernel_needs import with_data_folders
from grader.core.hidden import HiddenSetError, load_hidden_set
from grader.core.results import CheckResult, ExerciseResult, Measurement, SubmissionResult
from grader.core.secret import hidden_generator, write_secret
from grader.core.settings import ExecuteSettings
from grader.spec import horizontal_flips, integer_shifts, pixel_noise
from tests.conftest import FIXTURE_SOLUTIONS, code, live_kernel, notebook

FAST = ExecuteSettings(cell_timeout=60, probe_timeout=20)

# A fixed dataset, the way a course ships one: the public images in the data folder, which the notebook
# reads from disk; a private held-out part in hidden/, which only the specs read.
DATA = """import numpy as np
import torch
from torch import nn

public = np.load("data/digits.npz")
X, y = torch.tensor(public["inputs"], dtype=torch.float32), torch.tensor(public["labels"])
X_train, X_test, y_train, y_test = X[:900], X[900:], y[:900], y[900:]"""
MODEL = """torch.manual_seed(0)
### BEGIN SOLUTION
model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(150):
    loss = nn.functional.cross_entropy(model(X_train), y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
### END SOLUTION
print(f"test accuracy {(model(X_test).argmax(1) == y_test).float().mean():.3f}")"""
TOML = """id = "digits-mini"
title = "Digits (tests)"
notebook = "digits-mini.ipynb"

[exercises]
ex1 = "Ex 1 · a classifier of digits"

[data]
folder = "data"

[objects.model]
kind = "module"
exercise = "ex1"
names = ["model"]
in_features = 64
out_features = 10
outputs = "classes"

[[wrong_answers]]
name = "no training"
transform = "no_training"
must_lose = ["test_digits.py::test_hidden_accuracy"]

[[wrong_answers]]
name = "no activations"
transform = "linear"
must_lose = ["test_digits.py::test_ten_scores"]
"""
SPEC = '''import numpy as np
import pytest

from grader.spec import assert_accuracy, class_labels, pixel_noise


@pytest.mark.exercise("ex1")
@pytest.mark.points(1)
def test_ten_scores(submission):
    """The model gives ten class scores"""
    assert submission.forward("model", np.zeros((3, 64), dtype=np.float32)).shape == (3, 10)


@pytest.mark.exercise("ex1")
@pytest.mark.points(2)
@pytest.mark.visibility("hidden")
def test_hidden_accuracy(submission, hidden_set, hidden_rng):
    """The model reads held-out digits, each seen with fresh pixel noise"""
    inputs, labels, _ = hidden_set("test")
    noisy, items = pixel_noise(inputs, hidden_rng("noise"), scale=0.5, copies=3, low=0.0, high=16.0)
    predicted = class_labels(submission.forward("model", noisy.astype(np.float32)))
    assert_accuracy(submission, predicted, labels[items], "noisy held-out digits", above=0.8, items=items)
'''


def author_digits(root: Path) -> Path:
    """solutions/digits-mini: the public part of the digits in data/, 200 held-out ones in hidden/."""
    from sklearn.datasets import load_digits  # noqa: PLC0415

    digits = load_digits()
    folder = root / "solutions" / "digits-mini"
    for sub in ("specs", "data", "hidden"):
        (folder / sub).mkdir(parents=True)
    np.savez(folder / "data" / "digits.npz", inputs=digits.data[:1200], labels=digits.target[:1200])
    np.savez(folder / "hidden" / "test.npz", inputs=digits.data[1200:1400], labels=digits.target[1200:1400])
    cells = [code(DATA, "locked"), nbformat.v4.new_markdown_cell("## Ex 1", metadata={"tags": ["ex1"]}), code(MODEL, "ex1")]
    nbformat.write(notebook(*cells, assignment="digits-mini"), folder / "digits-mini.ipynb")
    (folder / "assignment.toml").write_text(TOML, encoding="utf-8")
    (folder / "specs" / "test_digits.py").write_text(SPEC, encoding="utf-8")
    write_secret(root / "solutions")
    return folder


@pytest.fixture
def digits(tmp_path: Path) -> Path:
    return author_digits(tmp_path)


# --------------------------------------------------------------------------- hidden sets and the spec hash


def test_a_hidden_set_is_read_grader_side_and_is_part_of_the_spec_hash(digits):
    assignment = load_assignment(digits)
    inputs, labels, items = load_hidden_set(digits, "test")
    assert inputs.shape == (200, 64) and labels.shape == (200,) and items.tolist() == list(range(200))
    before = assignment.spec_hash()
    np.savez(digits / "hidden" / "test.npz", inputs=inputs, labels=(labels + 1) % 10)  # one relabelling
    assert assignment.spec_hash() != before
    with pytest.raises(HiddenSetError, match=r"no hidden set 'other': expected .*hidden/other.npz"):
        load_hidden_set(digits, "other")
    np.savez(digits / "hidden" / "bad.npz", inputs=inputs)
    with pytest.raises(HiddenSetError, match="has no array labels"):
        load_hidden_set(digits, "bad")


def test_release_never_copies_hidden_sets_or_the_data(digits):
    (digits / "public_specs").mkdir()
    (digits / "public_specs" / "test_public.py").write_text("def test_nothing():\n    pass\n", encoding="utf-8")
    files = release(load_assignment(digits)).files
    assert sorted(p.name for p in files) == ["assignment.toml", "digits-mini.ipynb", "test_public.py"]
    assert not any("hidden" in p.parts or p.suffix == ".npz" for p in files)


def test_the_data_folder_and_wrong_answers_are_read_with_clear_errors(digits):
    assignment = load_assignment(digits)
    assert assignment.data_folder == (digits / "data").resolve()
    assert [(w.name, w.transform) for w in assignment.wrong_answers] == [("no training", "no_training"), ("no activations", "linear")]
    assert with_data_folders(FAST, [assignment]).data_folders == (str(digits / "data"),)
    toml = digits / "assignment.toml"
    original = toml.read_text(encoding="utf-8")
    for bad, message in [
        ('folder = "data"', "would show the kernel hidden specs, hidden sets or the course secret"),
        ('folder = "missing"', r"Invalid data.folder from .*: .*missing is not a folder"),
        ('transform = "linear"', "Invalid wrong_answers\\[1\\].transform 'shuffle' from .*; use one of linear, no_training"),
    ]:
        changed = {
            'folder = "data"': original.replace('folder = "data"', 'folder = "."'),
            'folder = "missing"': original.replace('folder = "data"', 'folder = "missing"'),
            'transform = "linear"': original.replace('transform = "linear"', 'transform = "shuffle"'),
        }[bad]
        toml.write_text(changed, encoding="utf-8")
        with pytest.raises(AssignmentError, match=message):
            load_assignment(digits)
    toml.write_text(original + '\n[[wrong_answers]]\nname = "on test"\ntransform = "train_on_test"\ntrain = ["X_train"]\n', encoding="utf-8")
    with pytest.raises(AssignmentError, match=r"wrong_answers\[2\] \(train_on_test\) needs train and test"):
        load_assignment(digits)


# --------------------------------------------------------------------------- perturbations and distinct items


def test_perturbations_are_deterministic_per_secret_and_say_where_each_image_came_from():
    images = np.arange(2 * 4 * 4, dtype=np.float64).reshape(2, 4, 4)

    def draw(secret: bytes) -> list[np.ndarray]:
        noisy, noise_items = pixel_noise(images, hidden_generator(secret, "a", "noise"), scale=1.0, copies=3)
        shifted, shift_items = integer_shifts(images, hidden_generator(secret, "a", "shift"), max_shift=1, copies=2)
        flipped, flip_items = horizontal_flips(images, hidden_generator(secret, "a", "flip"), share=0.5)
        assert noise_items.tolist() == [0, 0, 0, 1, 1, 1] and shift_items.tolist() == [0, 0, 1, 1]
        assert flip_items.tolist() == [0, 1]
        return [noisy, shifted, flipped]

    first, again, other = draw(b"\x01" * 16), draw(b"\x01" * 16), draw(b"\x02" * 16)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    noisy, shifted, flipped = first
    assert noisy.shape == (6, 4, 4) and not np.array_equal(noisy[0], noisy[1])  # each copy has its own noise
    for row, item in enumerate([0, 0, 1, 1]):  # a whole-pixel shift keeps values, filling the border with 0
        values = set(shifted[row].ravel().tolist()) - {0.0}
        assert values <= set(images[item].ravel().tolist()) and len(values) >= 9
    for row in range(2):
        assert np.array_equal(flipped[row], images[row]) or np.array_equal(flipped[row], images[row][:, ::-1])


def _runs(value: float, items: int | None) -> list[Observation]:
    return [
        Observation("reference", seed, 0, "t.py::test_acc", "passed", "accuracy", value + 0.01 * seed, 1800, "hidden draw", 0.8, items=items)
        for seed in range(4)
    ]


def test_the_error_over_distinct_items_is_larger_than_the_binomial_one(mini):
    (independent,) = summarise(mini, _runs(0.95, None), 4, 1).measured
    (repeated,) = summarise(mini, _runs(0.95, 360), 4, 1).measured
    assert independent.draw_error == pytest.approx(independent.binomial_error)
    assert repeated.binomial_error == pytest.approx(independent.binomial_error)
    assert repeated.draw_error == pytest.approx(repeated.binomial_error * np.sqrt(1800 / 360))
    assert repeated.items == 360 and repeated.suggested_lower < independent.suggested_lower
    # 360 distinct images at 96.5 %: ±1.9 points at 95 %, far from ±0.5, which would take some 5,200
    assert repeated.precision == pytest.approx(0.019, abs=0.0005) and 5000 < repeated.items_for_half_point < 5400


def test_a_stored_measurement_without_a_valid_item_count_reads_as_none():
    measured = Measurement("accuracy", 0.9, 1800, "hidden draw", items=360)
    check = CheckResult("t.py::t", "ex1", "", 1, 1, "passed", measurements=[measured])
    result = SubmissionResult("s", "s", "s.ipynb", "a", "A", "tag", "graded", "", 1, 1, [ExerciseResult("ex1", "Ex 1", 1, 1, [check])])
    stored = json.loads(result.to_json())
    for items, read in [(None, None), ("many", None), (-3, None), (True, None), (360, 360)]:
        stored["exercises"][0]["checks"][0]["measurements"][0]["items"] = items
        assert SubmissionResult.from_dict(stored).exercises[0].checks[0].measurements[0].items == read
    del stored["exercises"][0]["checks"][0]["measurements"][0]["items"]  # a result stored before items existed
    assert SubmissionResult.from_dict(stored).exercises[0].checks[0].measurements[0].items is None


# --------------------------------------------------------------------------- wrong answers from the reference's source


def test_each_transform_rewrites_the_reference_source():
    nb = notebook(
        code("X_train, X_test, y_train, y_test = split(X, y)"),
        code("net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), torch.nn.Conv2d(4, 2, 3))"),
        code("for step in range(9):\n    optimizer.step()\n    schedulers[0].step()\nlbfgs.step(closure)"),
    )
    (no_training,) = [make_wrong_answer(nb, WrongAnswer("n", "no_training")).cells[-1].source]
    assert no_training == "for step in range(9):\n    None\n    None\nNone"
    swapped = make_wrong_answer(nb, WrongAnswer("t", "train_on_test", train=("X_train", "y_train"), test=("X_test", "y_test")))
    assert swapped.cells[2].source == "X_train, y_train = X_test, y_test"
    replaced = make_wrong_answer(nb, WrongAnswer("c", "replace_layer", layer="Conv2d")).cells[-2].source
    assert "nn.Sequential(_grader_stand_in(nn.Conv2d, 1, 4, 3, padding=1), nn.ReLU(), _grader_stand_in(torch.nn.Conv2d, 4, 2, 3))" in replaced
    assert make_wrong_answer(nb, WrongAnswer("b", "replace_layer", layer="BatchNorm2d")) is None
    with pytest.raises(WrongAnswerError, match="never assigns X_val"):
        make_wrong_answer(nb, WrongAnswer("v", "train_on_test", train=("X_train",), test=("X_val",)))


def test_the_stand_in_keeps_the_layers_shape_and_sees_nothing_of_the_input():
    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415

    nb = notebook(code("layer = nn.Conv2d(1, 4, 3, stride=2)"))
    source = make_wrong_answer(nb, WrongAnswer("c", "replace_layer", layer="Conv2d")).cells[-1].source
    namespace = {"nn": nn, "torch": torch}
    exec(compile(source, "<variant>", "exec"), namespace)
    torch.manual_seed(0)
    a, b = torch.randn(2, 1, 9, 9), torch.randn(2, 1, 9, 9)
    assert namespace["layer"](a).shape == nn.Conv2d(1, 4, 3, stride=2)(a).shape == (2, 4, 4, 4)
    assert torch.equal(namespace["layer"](a), namespace["layer"](b))
    assert sum(p.numel() for p in namespace["layer"].parameters()) == 4 * 9 + 4  # its parameters still train


def test_a_declared_wrong_answer_that_changes_nothing_is_refused(digits):
    toml = digits / "assignment.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[[wrong_answers]]\nname = "no conv"\ntransform = "replace_layer"\nlayer = "Conv2d"\n', encoding="utf-8")
    with pytest.raises(AssignmentError, match="wrong answer 'no conv' \\(replace_layer\\) changes nothing in digits-mini.ipynb"):
        variant_notebooks(load_assignment(digits))
    toml.write_text(toml.read_text(encoding="utf-8").replace("[[wrong_answers]]\nname = \"no conv\"", "[[wrong_answers]]\nname = \"x\"").replace('"replace_layer"\nlayer = "Conv2d"', '"no_training"'), encoding="utf-8")
    assert list(variant_notebooks(load_assignment(digits))) == ["reference", "no training", "no activations", "x", "blank"]


# --------------------------------------------------------------------------- real kernels


@pytest.mark.parametrize("sandbox", ["auto", "off"])
def test_the_kernel_reads_the_data_folder_and_never_the_hidden_one(digits, tmp_path, sandbox):
    hidden = digits / "hidden" / "test.npz"
    cell = code(
        "import os, numpy as np\n"
        "print('public', np.load('data/digits.npz')['inputs'].shape)\n"
        f"print('absolute', os.path.isfile({str((digits / 'data' / 'digits.npz').resolve())!r}))\n"
        "try:\n    open('data/new.txt', 'w').write('x')\n    print('writable')\nexcept OSError as exc:\n    print('read-only', type(exc).__name__)\n"
        f"print('hidden', os.path.exists({str(hidden)!r}), os.path.exists({str(digits / 'specs')!r}))"
    )
    settings = with_data_folders(dataclasses.replace(FAST, sandbox=sandbox), [load_assignment(digits)])
    for live in live_kernel(notebook(cell), tmp_path / "kernel", settings):
        out = live.result.cells[0].stdout
    assert "public (1200, 64)" in out and "absolute True" in out, out
    if sandbox == "auto":
        assert "read-only OSError" in out and "hidden False False" in out, out
    else:  # without the sandbox the kernel can read what the grader can: said in every report
        assert "hidden True True" in out
    (digits / "data" / "new.txt").unlink(missing_ok=True)


@pytest.mark.slow
def test_calibrate_runs_the_declared_wrong_answers_and_flags_a_passing_must_lose_check(digits, capsys):
    calibration = calibrate_assignment(digits, FAST, seeds=1, draws=1)
    assert calibration.variants == ["reference", "blank", "no activations", "no training"]
    rates = {(r.variant, r.check.split("::")[1]): r for r in calibration.wrong_answers}
    assert not calibration.pass_rates[0].flagged and not calibration.pass_rates[1].flagged
    untrained = rates[("no training", "test_hidden_accuracy")]
    assert (untrained.passed, untrained.must_lose, untrained.flagged) == (0, True, False)
    assert "on 600 noisy held-out digits from 200 distinct items" in untrained.message
    linear = rates[("no activations", "test_ten_scores")]
    assert (linear.passed, linear.runs, linear.flagged) == (1, 1, True)
    assert calibration.flagged == ["test_digits.py::test_ten_scores"]
    (measured,) = calibration.measured
    assert (measured.count, measured.items) == (600, 200) and measured.draw_error > measured.binomial_error
    stored = json.loads((digits / CALIBRATION_FILE).read_text(encoding="utf-8"))
    assert stored["wrong_answers"][0]["variant"] == "blank" and stored["measured"][0]["items"] == 200
    print_calibration(calibration)  # what `grade calibrate` shows
    out = capsys.readouterr().out
    assert "wrong answer no training: passes test_hidden_accuracy 0/1, test_ten_scores 1/1" in out
    assert "flag: the wrong answer no activations passes test_digits.py::test_ten_scores, which it must lose, in 1 of 1 runs" in out
    assert "precision: test_digits.py::test_hidden_accuracy on the hidden draw: 200 distinct items (600 points) give ±" in out
    assert "±0.5 points would need" in out


def test_a_spec_that_raises_an_error_of_its_own_stops_calibrate_after_the_first_run(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(FIXTURE_SOLUTIONS / "mini", folder)
    (folder / "specs" / "test_bug.py").write_text(
        'import pytest\n\n\n@pytest.mark.exercise("ex1")\ndef test_buggy(submission):\n    len(3)\n', encoding="utf-8"
    )
    finished = []
    with pytest.raises(SpecFault) as raised:
        calibrate_assignment(folder, FAST, seeds=5, draws=2, progress=lambda run, done, total: finished.append(run))
    assert str(raised.value).startswith(
        "calibration stopped after reference at seed 0: the spec test_bug.py::test_buggy raised an error of its own on draw 0"
    )
    assert "TypeError: object of type 'int' has no len()" in str(raised.value)
    assert finished == [] and not (folder / "calibration.partial.jsonl").exists()
