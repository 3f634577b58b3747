"""Record stage: the SQLite gradebook, `result.json` per submission, `grades.csv` and Gradescope exports.

Only this module touches storage. Each submission is saved in one transaction
that replaces its current rows (`submissions`, `checks`), so re-grading never
duplicates them and a crash never leaves half a submission behind, and appends
one grading to the history (`gradings`, `check_history`), which is never
rewritten: every grading of every check stays queryable by `graded_at`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from grader.core.feedback import for_audience
from grader.core.files import write_atomically
from grader.core.results import SubmissionResult
from grader.integrity.evidence import IntegrityReport

CSV_COLUMNS = (
    "submission", "student", "assignment", "score", "max_score", "status", "message",
    "student_name", "submitted_at", "late_penalty",
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    submission   TEXT PRIMARY KEY,
    student      TEXT NOT NULL,
    assignment   TEXT NOT NULL,
    path         TEXT NOT NULL,
    status       TEXT NOT NULL,
    message      TEXT NOT NULL,
    score        REAL NOT NULL,
    max_score    REAL NOT NULL,
    notebook_hash TEXT NOT NULL,
    spec_hash    TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    seed         INTEGER,
    graded_at    TEXT NOT NULL,
    result_json  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checks (
    submission   TEXT NOT NULL REFERENCES submissions(submission) ON DELETE CASCADE,
    check_id     TEXT NOT NULL,
    exercise     TEXT NOT NULL,
    points       REAL NOT NULL,
    max_points   REAL NOT NULL,
    outcome      TEXT NOT NULL,
    message      TEXT NOT NULL,
    PRIMARY KEY (submission, check_id)
);
CREATE INDEX IF NOT EXISTS checks_by_id ON checks(check_id, outcome);

-- History: one row per grading and one per check of it, appended and never changed.
CREATE TABLE IF NOT EXISTS gradings (
    grading      INTEGER PRIMARY KEY AUTOINCREMENT,
    submission   TEXT NOT NULL,
    student      TEXT NOT NULL,
    assignment   TEXT NOT NULL,
    status       TEXT NOT NULL,
    score        REAL NOT NULL,
    max_score    REAL NOT NULL,
    notebook_hash TEXT NOT NULL,
    spec_hash    TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    graded_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS check_history (
    grading      INTEGER NOT NULL REFERENCES gradings(grading),
    submission   TEXT NOT NULL,
    graded_at    TEXT NOT NULL,
    check_id     TEXT NOT NULL,
    exercise     TEXT NOT NULL,
    points       REAL NOT NULL,
    max_points   REAL NOT NULL,
    outcome      TEXT NOT NULL,
    message      TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    PRIMARY KEY (grading, check_id)
);
CREATE INDEX IF NOT EXISTS gradings_by_submission ON gradings(submission, graded_at);
CREATE INDEX IF NOT EXISTS check_history_by_check ON check_history(submission, check_id, graded_at);
CREATE TRIGGER IF NOT EXISTS gradings_append_only_update BEFORE UPDATE ON gradings
    BEGIN SELECT RAISE(ABORT, 'gradings is append-only'); END;
CREATE TRIGGER IF NOT EXISTS gradings_append_only_delete BEFORE DELETE ON gradings
    BEGIN SELECT RAISE(ABORT, 'gradings is append-only'); END;
CREATE TRIGGER IF NOT EXISTS check_history_append_only_update BEFORE UPDATE ON check_history
    BEGIN SELECT RAISE(ABORT, 'check_history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS check_history_append_only_delete BEFORE DELETE ON check_history
    BEGIN SELECT RAISE(ABORT, 'check_history is append-only'); END;
"""
GRADESCOPE_FOLDER = "gradescope"  # <out>/<submission>/gradescope/results.json


class Fingerprint(NamedTuple):
    """What a stored result depends on: same fingerprint, same result."""

    notebook_hash: str
    assignment: str
    spec_hash: str | None  # None: the assignment is unknown now, so never unchanged
    grader_version: str
    seed: int | None


class CheckRecord(NamedTuple):
    """One grading of one check, from the history."""

    graded_at: str
    grading: int
    check_id: str
    exercise: str
    points: float
    max_points: float
    outcome: str
    message: str
    visibility: str


class Gradebook:
    """The gradebook file `<out>/gradebook.sqlite`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            with db:  # one transaction: committed on success, rolled back on error
                yield db

    def save(self, result: SubmissionResult) -> None:
        """Make `result` the current record of its submission and append it to the history, atomically."""
        with self._connect() as db:
            db.execute("DELETE FROM submissions WHERE submission = ?", (result.submission,))
            db.execute(
                "INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    result.submission, result.student, result.assignment, result.path,
                    result.status, result.message, result.score, result.max_score,
                    result.notebook_hash, result.spec_hash, result.grader_version,
                    result.execution.seed if result.execution else None,
                    result.graded_at, result.to_json(),
                ),
            )
            db.executemany(
                "INSERT INTO checks VALUES (?,?,?,?,?,?,?)",
                [
                    (result.submission, c.id, c.exercise, c.points, c.max_points, c.outcome, c.message)
                    for exercise in result.exercises
                    for c in exercise.checks
                ],
            )
            self._append_history(db, result)

    @staticmethod
    def _append_history(db: sqlite3.Connection, result: SubmissionResult) -> None:
        cursor = db.execute(
            "INSERT INTO gradings (submission, student, assignment, status, score, max_score,"
            " notebook_hash, spec_hash, grader_version, graded_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                result.submission, result.student, result.assignment, result.status, result.score,
                result.max_score, result.notebook_hash, result.spec_hash, result.grader_version, result.graded_at,
            ),
        )
        db.executemany(
            "INSERT INTO check_history VALUES (?,?,?,?,?,?,?,?,?,?)",
            [
                (cursor.lastrowid, result.submission, result.graded_at, c.id, c.exercise, c.points,
                 c.max_points, c.outcome, c.message, c.visibility)
                for exercise in result.exercises
                for c in exercise.checks
            ],
        )

    def check_history(self, submission: str, check_id: str | None = None) -> list[CheckRecord]:
        """Every recorded grading of the submission's checks (or of one check), oldest first."""
        query = (
            "SELECT graded_at, grading, check_id, exercise, points, max_points, outcome, message, visibility"
            " FROM check_history WHERE submission = ?"
        )
        parameters: tuple[str, ...] = (submission,)
        if check_id is not None:
            query += " AND check_id = ?"
            parameters += (check_id,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY graded_at, grading, check_id", parameters).fetchall()
        return [CheckRecord(*row) for row in rows]

    def forget(self, submissions: list[str]) -> None:
        """Delete what is recorded for these submission ids (their checks go with them)."""
        with self._connect() as db:
            db.executemany("DELETE FROM submissions WHERE submission = ?", [(s,) for s in submissions])

    def results(self) -> list[SubmissionResult]:
        """Every stored result, ordered by submission id."""
        with self._connect() as db:
            rows = db.execute("SELECT result_json FROM submissions ORDER BY submission").fetchall()
        return [SubmissionResult.from_json(row[0]) for row in rows]

    def result(self, submission: str) -> SubmissionResult | None:
        """The stored result of one submission, or None."""
        with self._connect() as db:
            row = db.execute("SELECT result_json FROM submissions WHERE submission = ?", (submission,)).fetchone()
        return SubmissionResult.from_json(row[0]) if row else None

    def fingerprints(self) -> dict[str, Fingerprint]:
        """submission -> what its stored result was computed from."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT submission, notebook_hash, assignment, spec_hash, grader_version, seed FROM submissions"
            ).fetchall()
        return {row[0]: Fingerprint(*row[1:]) for row in rows}


def remove_result_files(submissions: list[str], out_dir: Path) -> None:
    """Delete `<out>/<submission>/` of submissions no longer graded (superseded by a later notebook)."""
    for submission in submissions:
        folder = out_dir / submission
        if submission and "/" not in submission and folder.is_dir():
            shutil.rmtree(folder)


def write_result_json(result: SubmissionResult, out_dir: Path) -> Path:
    path = out_dir / result.submission / "result.json"
    write_atomically(path, result.to_json() + "\n")
    return path


def gradescope_results(result: SubmissionResult, hidden_visibility: str = "visible", note: str = "") -> dict[str, Any]:
    """The submission in Gradescope's autograder format (results.json), as a student may read it.

    Gradescope shows `output` to students, so this is made from the student view:
    a hidden check keeps its score and outcome, and its message says that its
    details are for the staff. Visible checks are "visible"; hidden checks get
    `hidden_visibility` (the export: "visible", the staff read the TA report; the
    Gradescope autograder: "after_published" by default). `note` ends `output`
    (the autograder says there which isolation ran).
    """
    view = for_audience(result, "student")
    adjusted = {o.target: f"Adjusted by the staff: {o.reason}" for o in view.overrides}  # points already applied
    tests = [
        {
            "name": f"{exercise.title or exercise.id}: {check.description or check.id}",
            "score": check.points,
            "max_score": check.max_points,
            "status": "passed" if check.outcome == "passed" else "failed",
            "output": "\n".join(
                part
                for part in (
                    check.message if check.outcome == "passed" else f"{check.outcome}: {check.message}".rstrip(": "),
                    adjusted.get(check.id, ""),
                )
                if part
            ),
            "visibility": hidden_visibility if check.visibility == "hidden" else "visible",
            "tags": [exercise.id],
            "extra_data": {"check": check.id, "outcome": check.outcome},
        }
        for exercise in view.exercises
        for check in exercise.checks
    ]
    output = f"{view.status}: {view.message}" if view.message else view.status
    output += f"\n{note}" if note else ""
    return {
        "score": view.score,
        "execution_time": round(view.seconds),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"submission": view.submission, "assignment": view.assignment, "max_score": view.max_score},
    }


def prairielearn_results(result: SubmissionResult, note: str = "") -> dict[str, Any]:
    """The submission in PrairieLearn's external-grader format (results.json: `gradable`, `score` in 0-1,
    `message`, `output`, `tests`), made from the Gradescope results above so both share one student view.

    An upload that could not be graded at all (no notebook, several, unreadable) is not gradable.
    """
    gradescope = gradescope_results(result, "visible", note)
    maximum = float(gradescope["extra_data"]["max_score"])
    tests = [
        {"name": test["name"], "points": test["score"], "max_points": test["max_score"], "message": test["output"], "output": ""}
        for test in gradescope["tests"]
    ]
    return {
        "gradable": not (result.status == "invalid" and not result.exercises),
        "score": round(min(1.0, max(0.0, float(gradescope["score"]) / maximum)), 6) if maximum else 0.0,
        "message": gradescope["output"],
        "output": "",
        "tests": tests,
    }


def write_gradescope_json(result: SubmissionResult, out_dir: Path) -> Path:
    path = out_dir / result.submission / GRADESCOPE_FOLDER / "results.json"
    write_atomically(path, json.dumps(gradescope_results(result), indent=1, ensure_ascii=False) + "\n")
    return path


def write_integrity_json(report: IntegrityReport, out_dir: Path) -> Path:
    """OUT/integrity.json: the integrity stage's flagged pairs and clusters, for the staff (never an export)."""
    path = out_dir / "integrity.json"
    write_atomically(path, json.dumps(dataclasses.asdict(report), indent=1) + "\n")
    return path


def write_grades_csv(results: list[SubmissionResult], out_dir: Path) -> Path:
    """`<out>/grades.csv`: one row per submission, the columns of CSV_COLUMNS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in sorted(results, key=lambda r: r.submission):
        row = (
            r.submission, r.student, r.assignment, _number(r.score), _number(r.max_score), r.status, r.message,
            r.student_name, r.submitted_at, _number(r.late_penalty),
        )
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    path = out_dir / "grades.csv"
    write_atomically(path, buffer.getvalue())
    return path


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(cell: str) -> str:
    """`cell` as a spreadsheet shows it literally: a leading `'` before what Excel or Sheets would run as a formula.

    Student-made text (folder and file names, messages quoting their code) reaches our CSVs; OWASP's
    advice against CSV injection is to prefix cells starting with = + - @ tab or carriage return.
    Numbers we write ourselves (a negative score cannot occur) pass unchanged. A lone carriage
    return becomes a newline: Python's csv module quotes "\n" in a cell, not "\r".
    """
    cell = cell.replace("\r\n", "\n").replace("\r", "\n")
    if cell.startswith(_FORMULA_STARTS) and not _is_number(cell):
        return "'" + cell
    return cell


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(value: float) -> str:
    return f"{value:g}"
