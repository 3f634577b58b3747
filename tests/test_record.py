import csv
import json
import sqlite3
from contextlib import closing

import pytest

from grader.core.feedback import HIDDEN_MESSAGE
from grader.record.gradebook import CSV_COLUMNS, Gradebook, write_gradescope_json, write_grades_csv
from grader.core.results import CheckResult, ExerciseResult, SubmissionResult
from grader.core.phases import Phases


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


def test_phases_round_trip_and_older_results_load_without_them():
    result = _result(2.0)
    result.phases = Phases(read=0.01, execution=1.5, checks=0.25, record=0.004)
    assert SubmissionResult.from_json(result.to_json()).phases == result.phases
    older = json.loads(result.to_json())
    del older["phases"]  # a result.json written before phases were recorded
    assert SubmissionResult.from_dict(older).phases == Phases()
    older["phases"] = {"execution": "slow", "checks": True, "read": 2, "gone": 1.0}  # only numbers are kept
    assert SubmissionResult.from_dict(older).phases == Phases(read=2.0)


def test_grades_csv_has_the_contract_columns(tmp_path):
    path = write_grades_csv([_result(2.0)], tmp_path)
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["score"] == "2" and rows[0]["max_score"] == "2" and rows[0]["status"] == "graded"


def test_every_grading_is_kept_in_the_check_history(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    first, second = _result(0.0), _result(2.0)
    first.graded_at, second.graded_at = "2024-05-01T10:00:00+00:00", "2024-05-02T10:00:00+00:00"
    book.save(first)
    book.save(second)
    history = book.check_history("alice__hw", "t.py::test_a")
    assert [(h.graded_at, h.outcome, h.points, h.visibility) for h in history] == [
        ("2024-05-01T10:00:00+00:00", "failed", 0.0, "visible"),
        ("2024-05-02T10:00:00+00:00", "passed", 2.0, "visible"),
    ]
    assert book.check_history("alice__hw") == history and book.check_history("nobody") == []
    with sqlite3.connect(tmp_path / "gradebook.sqlite") as db:
        assert db.execute("SELECT COUNT(*), MAX(score) FROM gradings").fetchone() == (2, 2.0)
        # plain SQL answers "when did this check start passing?"
        assert db.execute(
            "SELECT MIN(graded_at) FROM check_history WHERE check_id = 't.py::test_a' AND outcome = 'passed'"
        ).fetchone() == ("2024-05-02T10:00:00+00:00",)


def test_the_history_is_append_only(tmp_path):
    book = Gradebook(tmp_path / "gradebook.sqlite")
    book.save(_result(2.0))
    with closing(sqlite3.connect(tmp_path / "gradebook.sqlite")) as db:
        for statement in ("UPDATE check_history SET points = 0", "DELETE FROM check_history", "DELETE FROM gradings"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)


def test_gradescope_export_follows_their_results_format(tmp_path):
    result = _result(0.0)
    hidden = CheckResult("t.py::test_b", "ex1", "b on hidden data", 1.0, 1.0, "passed", visibility="hidden")
    secret = CheckResult("t.py::test_c", "ex1", "c on hidden data", 0.0, 3.0, "failed", "expected 0.93", visibility="hidden")
    result.exercises[0].checks += [hidden, secret]
    result.score, result.max_score = 1.0, 6.0
    path = write_gradescope_json(result, tmp_path)
    assert path == tmp_path / "alice__hw" / "gradescope" / "results.json"
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert exported["score"] == 1.0 and exported["output"] == "graded" and exported["stdout_visibility"] == "hidden"
    assert [(t["name"], t["score"], t["max_score"], t["status"], t["visibility"]) for t in exported["tests"]] == [
        ("Ex 1: a", 0.0, 2.0, "failed", "visible"),
        ("Ex 1: b on hidden data", 1.0, 1.0, "passed", "visible"),
        ("Ex 1: c on hidden data", 0.0, 3.0, "failed", "visible"),
    ]
    assert exported["tests"][0]["output"] == "failed: m"
    assert exported["tests"][2]["output"] == f"failed: {HIDDEN_MESSAGE}" and "0.93" not in path.read_text(encoding="utf-8")
    assert sum(t["score"] for t in exported["tests"]) == exported["score"]


@pytest.mark.parametrize("danger", ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_grades_csv_cells_never_start_a_formula(tmp_path, danger):
    result = _result(2.0)
    result.submission = result.student = result.student_name = danger
    result.message = danger
    with write_grades_csv([result], tmp_path).open(newline="") as file:
        rows = list(csv.reader(file))
    row = dict(zip(rows[0], rows[1]))
    for column in ("submission", "student", "message", "student_name"):
        assert row[column] == "'" + danger.replace("\r", "\n"), (column, row[column])
    assert row["score"] == "2" and row["late_penalty"] == "0"  # our own numbers are left alone
