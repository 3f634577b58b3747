"""Two audiences: the staff see everything; student feedback never shows hidden data."""

from __future__ import annotations

import json
import shutil

import pytest

from grader.cli.commands import main
from grader.core.feedback import HIDDEN_MESSAGE, for_audience
from grader.record.gradebook import Gradebook, gradescope_results
from grader.report.html import render_submission
from grader.core.results import CheckResult, ExerciseResult, Figure, SubmissionResult
from tests.conftest import WRONG_SQUARE_MESSAGE

SECRET = "hidden accuracy 71.3% on 1000 hidden points"
SECRET_IMAGE = "SECRETIMAGEDATA"


def result_with_hidden_parts() -> SubmissionResult:
    checks = [
        CheckResult("t.py::test_shape", "ex1", "Shape", 1, 1, "passed"),
        CheckResult("t.py::test_accuracy", "ex1", "Accuracy on hidden data", 0, 3, "failed", SECRET, visibility="hidden"),
        CheckResult("t.py::test_odd", "ex1", "Odd visibility", 0, 1, "failed", SECRET + " (odd)", visibility="unheard-of"),  # type: ignore[arg-type]
        CheckResult("t.py::test_curves", "ex1", "Curves", 0, 1, "failed", "train_losses has shape (3,)"),
    ]
    figures = [
        Figure("Boundary", "decision-boundary", "ex1", "t.py::test_accuracy", "hidden", "over hidden points", data=SECRET_IMAGE),
        Figure("Odd", "confusion-matrix", "ex1", "t.py::test_odd", "secret", "odd", data=SECRET_IMAGE),  # type: ignore[arg-type]
        Figure("Curves", "curves", "ex1", "t.py::test_curves", "visible", "the student's curves", data="Q1VSVkVT"),
    ]
    return SubmissionResult(
        submission="ada__hw", student="ada", path="ada/hw.ipynb", assignment="hw", assignment_title="HW",
        identified_by="metadata", status="graded", message="", score=1, max_score=6,
        exercises=[ExerciseResult("ex1", "Ex 1", 1, 6, checks)], figures=figures,
        notes=[f"'Boundary' was not drawn: {SECRET}"],
    )


def test_staff_view_is_the_result_itself():
    result = result_with_hidden_parts()
    assert for_audience(result, "ta") is result


def test_student_view_keeps_outcomes_and_points_and_hides_the_rest():
    result = result_with_hidden_parts()
    view = for_audience(result, "student")
    checks = {c.id: c for c in view.exercises[0].checks}
    assert [(c.outcome, c.points) for c in checks.values()] == [("passed", 1), ("failed", 0), ("failed", 0), ("failed", 0)]
    assert checks["t.py::test_accuracy"].message == HIDDEN_MESSAGE
    assert checks["t.py::test_odd"].message == HIDDEN_MESSAGE  # unknown visibility fails closed
    assert checks["t.py::test_curves"].message == "train_losses has shape (3,)"
    assert [f.title for f in view.figures] == ["Curves"] and view.notes == []
    assert (view.score, view.max_score) == (1, 6)
    assert result.exercises[0].checks[1].message == SECRET  # the stored result is untouched


def test_an_unknown_audience_is_refused():
    with pytest.raises(ValueError, match="Invalid audience 'parents': use one of ta, student"):
        for_audience(result_with_hidden_parts(), "parents")  # type: ignore[arg-type]


def test_student_report_and_gradescope_export_leak_nothing_hidden():
    result = result_with_hidden_parts()
    staff = render_submission(result, "ta")
    assert SECRET in staff and SECRET_IMAGE in staff  # the sentinels are there to be found
    for student in (render_submission(result, "student"), json.dumps(gradescope_results(result))):
        assert SECRET not in student and SECRET_IMAGE not in student and "over hidden points" not in student
    student = render_submission(result, "student")
    assert "Q1VSVkVT" in student and 'content="student"' in student and "Class summary" not in student


def test_graded_batch_in_student_view_leaks_no_hidden_value_or_figure(report_batch, tmp_path, capsys):
    out = tmp_path / "feedback"
    shutil.copytree(report_batch, out)
    assert main(["report", str(out), "--feedback", "student"]) == 0
    assert "re-rendered 6 report(s) (student view)" in capsys.readouterr().err
    staff = {r.submission: r for r in Gradebook(out / "gradebook.sqlite").results()}
    wrong = staff["wrong__mini"]
    assert WRONG_SQUARE_MESSAGE in {c.message for e in wrong.exercises for c in e.checks}  # the staff know
    hidden_images = [f.data for r in staff.values() for f in r.figures if f.visibility != "visible"]
    assert hidden_images, "the batch has figures over hidden points"
    student_files = [*out.glob("*/report.html"), *out.glob("*/gradescope/results.json")]
    assert len(student_files) == 12
    for path in student_files:
        text = path.read_text(encoding="utf-8")
        assert WRONG_SQUARE_MESSAGE not in text and "[-4.0, 1.0, 6.0]" not in text, path
        assert not any(image[:200] in text for image in hidden_images), path
        assert "data:image" not in text, path  # the only figures of this batch are over hidden points
    assert "Your feedback" in (out / "wrong__mini" / "report.html").read_text(encoding="utf-8")
