"""Overrides through a real re-grade: kept, flagged, applied in every output; changes.csv; --no-decrease; extensions."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

import pytest

from grader.intake.lateness import LatePolicy
from grader.pipeline import BatchOptions, grade_folder, rerender
from grader.review.book import ReviewBook
from tests.conftest import FAST, FIXTURE_SOLUTIONS, code, notebook, write

IMPORTS = code("import torch\nfrom torch import nn", "locked")
LAYER = code("layer = nn.Linear(2, 1)", "ex1")
SQUARE_CHECK = "test_mini.py::test_square_values"
TIMES = {"bo": datetime(2025, 3, 2, 12, 0, tzinfo=UTC), "ada": datetime(2025, 3, 2, 12, 0, tzinfo=UTC)}
LATE = LatePolicy(datetime(2025, 3, 1, 23, 59, tzinfo=UTC), 25.0, "day")
CY_OLD, CY_NEW = "cy_555_1_mini", "cy_555_2_mini"  # submission ids of a Canvas upload and its later re-upload


def square(body: str) -> object:
    return code(f"def square(x):\n    return {body}\nprint(square(torch.tensor(3.0)))", "ex2")


@pytest.fixture(scope="module")
def regraded(tmp_path_factory):
    root = tmp_path_factory.mktemp("regrade")
    folder, out = root / "submissions", root / "out"
    write(notebook(IMPORTS, LAYER, square("x * x"), assignment="mini"), folder / "ada" / "mini.ipynb")
    write(notebook(IMPORTS, LAYER, square("x + x"), assignment="mini"), folder / "bo" / "mini.ipynb")
    write(notebook(IMPORTS, LAYER, square("x + x"), assignment="mini"), folder / "cy_555_1_mini.ipynb")  # Canvas names
    options = BatchOptions(out, FIXTURE_SOLUTIONS, FAST, late=LATE, submission_times=TIMES, extensions={"ada": datetime(2025, 3, 3, tzinfo=UTC)})
    first = grade_folder(folder, options)
    reviews = ReviewBook(out / "gradebook.sqlite")
    reviews.set_override("bo__mini", SQUARE_CHECK, 1, "<b>x+x</b> equals x*x at 2: accepted", who="tom")
    reviews.add_comment("bo__mini", "ex2", "Try negative inputs.", who="tom")
    reviews.add_comment("bo__mini", "", "Staff only: asked about late days", who="tom", private=True)
    cy = next(r for r in first.results if r.student == "555").submission
    reviews.set_override(cy, SQUARE_CHECK, 1, "accepted", who="tom")
    reviews.add_comment(cy, "ex2", "Look again at negative inputs.", who="tom")
    rerender(out)
    after_review = (out / "grades.csv").read_text()
    # ada breaks her square (score goes down: --no-decrease keeps it); bo changes an unrelated cell
    write(notebook(IMPORTS, LAYER, square("x * 3"), assignment="mini"), folder / "ada" / "mini.ipynb")
    write(notebook(IMPORTS, LAYER, square("x + x"), code("print('more')"), assignment="mini"), folder / "bo" / "mini.ipynb")
    # cy hands in again: Canvas gives the new upload a larger file id, so a new file beside the old one
    write(notebook(IMPORTS, LAYER, square("x + x"), code("print('again')"), assignment="mini"), folder / "cy_555_2_mini.ipynb")
    second = grade_folder(folder, BatchOptions(**{**options.__dict__, "no_decrease": True}))
    return out, first, second, after_review


def rows(path):
    return {row["submission"]: row for row in csv.DictReader(path.read_text(encoding="utf-8").splitlines())}


def test_an_extension_moves_the_deadline_of_one_student(regraded):
    _, first, _, _ = regraded
    ada, bo = (next(r for r in first.results if r.student == s) for s in ("ada", "bo"))
    assert ada.late_penalty == 0 and "Extension to 2025-03-03" in ada.late_note
    assert bo.late_penalty == 1  # 1 started day × 25 % of 4


def test_override_applies_everywhere_after_the_penalty(regraded):
    _, first, _, after_review = regraded
    bo = next(r for r in first.results if r.student == "bo")
    assert bo.score == 1  # the layer's 2 − 1 late (x + x also prints no 9), before the review
    assert "bo__mini,bo,mini,2,4," in after_review  # 3 with the override − 1 late


def test_the_override_survives_the_regrade_flagged(regraded):
    out, _, second, _ = regraded
    bo = next(r for r in second.results if r.student == "bo")
    (override,) = bo.overrides
    assert override.points == 1 and "the notebook changed" in override.flag and "automatic result" not in override.flag
    assert bo.score == 2
    assert rows(out / "grades.csv")["bo__mini"]["score"] == "2"
    report = (out / "bo__mini" / "report.html").read_text()
    assert "&lt;b&gt;x+x&lt;/b&gt; equals x*x at 2: accepted" in report and "To review again" in report
    assert "Staff only" in report  # the staff report has the note
    gradescope = json.loads((out / "bo__mini" / "gradescope" / "results.json").read_text())
    assert gradescope["score"] == 2
    square_test = next(t for t in gradescope["tests"] if t["extra_data"]["check"] == SQUARE_CHECK)
    assert square_test["score"] == 1 and "Adjusted by the staff: <b>x+x</b> equals" in square_test["output"]


def test_student_reports_show_overrides_and_comments_not_staff_notes(regraded, tmp_path):
    out, _, _, _ = regraded
    import shutil

    student = tmp_path / "student"
    shutil.copytree(out, student)
    rerender(student, "student")
    report = (student / "bo__mini" / "report.html").read_text()
    assert "Adjusted by the staff" in report and "Try negative inputs." in report
    assert "Staff only" not in report and "To review again" not in report


def test_changes_csv_and_no_decrease(regraded):
    out, _, second, _ = regraded
    changes = rows(out / "changes.csv")
    assert set(changes) == {"ada__mini"}  # bo's score and checks are unchanged: not a change
    ada = changes["ada__mini"]
    assert (ada["old_score"], ada["new_score"], ada["kept_score"], ada["reason"]) == ("4", "3", "4", "notebook changed")
    assert ada["flipped_checks"] == f"{SQUARE_CHECK}: passed (1) → failed (0)"
    assert next(r for r in second.results if r.student == "ada").score == 4
    index = (out / "index.html").read_text()
    assert "What changed" in index and "kept 4 (--no-decrease)" in index


def test_every_change_is_in_the_audit(regraded):
    out, _, _, _ = regraded
    actions = [(a.who, a.action, a.submission) for a in ReviewBook(out / "gradebook.sqlite").audit()]
    assert actions == [
        ("grader", "extension", ""),  # ada's, recorded by the first batch; the second gave the same
        ("tom", "override", "bo__mini"), ("tom", "comment", "bo__mini"), ("tom", "staff note", "bo__mini"),
        ("tom", "override", CY_OLD), ("tom", "comment", CY_OLD),
        ("grader", "flag override", "bo__mini"), ("grader", "carry over", CY_NEW), ("grader", "carry over", CY_NEW),
        ("grader", "flag override", CY_NEW), ("grader", "score floor", "ada__mini"),
    ]


def test_a_review_moves_to_the_students_later_notebook(regraded):
    out, first, second, _ = regraded
    assert next(r for r in first.results if r.student == "555").submission == CY_OLD
    cy = next(r for r in second.results if r.student == "555")
    assert cy.submission == CY_NEW and cy.superseded == ["cy_555_1_mini.ipynb"]
    (override,) = cy.overrides
    assert override.points == 1 and override.flag == "the notebook changed since the override"
    assert [c.text for c in cy.comments] == ["Look again at negative inputs."]
    assert cy.score == 3  # 2 + the override
    grades = rows(out / "grades.csv")
    assert [s for s, row in grades.items() if row["student"] == "555"] == [CY_NEW]


def test_extensions_are_kept_in_the_gradebook_and_applied_by_export(regraded, tmp_path):
    import shutil

    from grader.cli.commands import main

    out = regraded[0]
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    # a later run without --extensions keeps ada's recorded one (and executes nothing)
    summary = grade_folder(out.parent / "submissions", BatchOptions(copy, FIXTURE_SOLUTIONS, FAST, late=LATE, submission_times=TIMES))
    ada = next(r for r in summary.results if r.student == "ada")
    assert summary.regraded == 0 and ada.late_penalty == 0 and "Extension to 2025-03-03" in ada.late_note
    # grade export --extensions: bo gets one too, under the recorded policy; grades.csv follows
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("student,deadline\nada,2025-03-03T00:00+00:00\nbo,2025-03-04T00:00+00:00\n", encoding="utf-8")
    from grader.record.gradebook import Gradebook

    history = len(Gradebook(copy / "gradebook.sqlite").check_history("ada__mini"))
    assert main(["export", str(copy), "--format", "csv", "--extensions", str(extensions)]) == 0
    assert len(Gradebook(copy / "gradebook.sqlite").check_history("ada__mini")) == history  # her deadline did not move
    bo = rows(copy / "grades.csv")["bo__mini"]
    assert (bo["score"], bo["late_penalty"]) == ("3", "0")  # 2 + the override, nothing off
    exported = {row["student"]: row for row in csv.DictReader((copy / "export-csv-mini.csv").read_text().splitlines())}
    assert exported["bo"]["score"] == "3"
    assert "Extension to 2025-03-04" in (copy / "bo__mini" / "report.html").read_text()
    audit = [(a.action, a.target, a.after) for a in ReviewBook(copy / "gradebook.sqlite").audit() if a.action == "extension"]
    assert audit == [("extension", "ada", "2025-03-03T00:00:00+00:00"), ("extension", "bo", "2025-03-04T00:00:00+00:00")]
