import csv
import sqlite3

from grader.record import CSV_COLUMNS, Gradebook, write_grades_csv
from grader.results import CheckResult, ExerciseResult, SubmissionResult


def _result(score: float) -> SubmissionResult:
    check = CheckResult("t.py::test_a", "ex1", "a", score, 2.0, "passed" if score else "failed", "m")
    return SubmissionResult(
        submission="alice__hw", student="alice", path="alice/hw.ipynb", assignment="mini",
        assignment_title="Mini", identified_by="metadata", status="graded", message="",
        score=score, max_score=2.0, exercises=[ExerciseResult("ex1", "Ex 1", score, 2.0, [check])],
    )


def test_regrading_replaces_rows_never_duplicates(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    book.save(_result(0.0))
    book.save(_result(2.0))
    with sqlite3.connect(tmp_path / "gradebook.sqlite") as db:
        assert db.execute("SELECT COUNT(*), MAX(score) FROM submissions").fetchone() == (1, 2.0)
        assert db.execute("SELECT COUNT(*), SUM(points) FROM checks").fetchone() == (1, 2.0)
    assert [r.score for r in book.results()] == [2.0]


def test_results_round_trip_through_the_gradebook(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.save(_result(2.0))
    assert book.results()[0] == _result(2.0)


def test_grades_csv_has_the_contract_columns(tmp_path):
    path = write_grades_csv([_result(2.0)], tmp_path)
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["score"] == "2" and rows[0]["max_score"] == "2" and rows[0]["status"] == "graded"
