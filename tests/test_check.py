"""Check stage: hidden specs run in-process, outcomes mapped onto the failure taxonomy."""

import dataclasses
import shutil

import pytest

from grader.check.collector import SpecError, run_checks
from grader.probe.probe import Probe
from tests.conftest import code, live_kernel, notebook


@pytest.fixture(scope="module")
def wrong_square(tmp_path_factory):
    nb = notebook(
        code("import torch\nfrom torch import nn"),
        code("def square(x):\n    return x + x\nprint(square(torch.tensor(3.0)))", "ex2"),
    )
    yield from live_kernel(nb, tmp_path_factory.mktemp("check"))


def _by_id(exercises):
    return {c.id: c for e in exercises for c in e.checks}


def test_wrong_value_is_a_failure_missing_object_an_error(wrong_square, mini):
    checks = _by_id(run_checks(mini, Probe(wrong_square, mini, wrong_square.result.cells)))
    layer = checks["test_mini.py::test_layer_shape"]
    assert (layer.outcome, layer.points, layer.max_points) == ("error", 0, 2)
    assert "no nn.Module with 2 inputs and 1 outputs found for layer" in layer.message
    square = checks["test_mini.py::test_square_values"]
    assert (square.outcome, square.points) == ("failed", 0)
    assert square.message.startswith("square([-2.0, 0.5, 3.0]) gave [-4.0, 1.0, 6.0]")
    printed = checks["test_mini.py::test_square_printed"]
    assert (printed.outcome, printed.points, printed.description) == ("failed", 0, "The square cell prints a result")


def test_results_are_grouped_by_exercise_in_assignment_order(wrong_square, mini):
    exercises = run_checks(mini, Probe(wrong_square, mini, wrong_square.result.cells))
    assert [(e.id, e.title, e.max_points) for e in exercises] == [
        ("ex1", "Ex 1 · a linear layer", 2),
        ("ex2", "Ex 2 · a square function", 2),
    ]



def test_visibility_comes_from_the_marker(wrong_square, mini):
    checks = _by_id(run_checks(mini, Probe(wrong_square, mini, wrong_square.result.cells)))
    assert {check_id: c.visibility for check_id, c in checks.items()} == {
        "test_mini.py::test_layer_shape": "visible",
        "test_mini.py::test_square_values": "hidden",
        "test_mini.py::test_square_printed": "visible",
    }


def test_an_invalid_visibility_is_a_spec_error_naming_the_test(wrong_square, mini, tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(mini.folder, folder)
    (folder / "specs" / "test_bad.py").write_text(
        "import pytest\n\n@pytest.mark.visibility('secret')\ndef test_x(submission):\n    pass\n", encoding="utf-8"
    )
    broken = dataclasses.replace(mini, folder=folder)
    with pytest.raises(SpecError, match=r"Invalid visibility 'secret' from @pytest.mark.visibility on .*test_bad.py::test_x; use one of visible, hidden"):
        run_checks(broken, Probe(wrong_square, broken, wrong_square.result.cells))


def test_spec_modules_are_kept_between_submissions_until_they_could_carry_something(wrong_square, mini, tmp_path):
    """One import of the specs serves submission after submission; a spec that keeps something at module
    level, an edited spec or another hidden draw gets them imported afresh, as each submission once did."""
    import sys

    folder = tmp_path / "mini"
    shutil.copytree(mini.folder, folder)
    (folder / "specs" / "test_memory.py").write_text(
        "import pytest\n\nSEEN = []\n\n@pytest.mark.exercise('ex2')\ndef test_first_of_its_session(submission):\n"
        "    SEEN.append(submission.resolve('square'))\n    assert len(SEEN) == 1, f'{len(SEEN)} submissions seen'\n",
        encoding="utf-8",
    )
    assignment = dataclasses.replace(mini, folder=folder)
    probe = Probe(wrong_square, assignment, wrong_square.result.cells)
    outcomes, modules = [], []
    for draw in (0, 0, 0, 1):
        checks = _by_id(run_checks(assignment, probe, draw=draw))
        outcomes.append(checks["test_memory.py::test_first_of_its_session"].outcome)
        modules.append(sys.modules.get("mini.specs.test_mini"))
    assert outcomes == ["passed"] * 4  # the list that kept a submission made the next one import afresh
    (folder / "specs" / "test_memory.py").unlink()
    kept = [sys.modules.get("mini.specs.test_mini")]
    for _ in range(2):
        run_checks(assignment, probe)
        kept.append(sys.modules.get("mini.specs.test_mini"))
    assert kept[1] is not kept[0] and kept[2] is kept[1]  # an edited spec folder: imported again, then kept
