"""Record stage: the SQLite gradebook, `result.json` per submission and `grades.csv`.

Only this module touches storage. Each submission is saved in one transaction
that replaces whatever was recorded for it before, so re-grading never
duplicates rows and a crash never leaves half a submission behind.
"""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import NamedTuple

from grader.files import write_atomically
from grader.results import SubmissionResult

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
"""


class Fingerprint(NamedTuple):
    """What a stored result depends on: same fingerprint, same result."""

    notebook_hash: str
    assignment: str
    spec_hash: str | None  # None: the assignment is unknown now, so never unchanged
    grader_version: str


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
        """Replace everything recorded for `result.submission` with `result`, atomically."""
        with self._connect() as db:
            db.execute("DELETE FROM submissions WHERE submission = ?", (result.submission,))
            db.execute(
                "INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    result.submission, result.student, result.assignment, result.path,
                    result.status, result.message, result.score, result.max_score,
                    result.notebook_hash, result.spec_hash, result.grader_version,
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
                "SELECT submission, notebook_hash, assignment, spec_hash, grader_version FROM submissions"
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


def write_grades_csv(results: list[SubmissionResult], out_dir: Path) -> Path:
    """`<out>/grades.csv`: one row per submission, the columns of CSV_COLUMNS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in sorted(results, key=lambda r: r.submission):
        writer.writerow(
            (
                r.submission, r.student, r.assignment, _number(r.score), _number(r.max_score), r.status, r.message,
                r.student_name, r.submitted_at, _number(r.late_penalty),
            )
        )
    path = out_dir / "grades.csv"
    write_atomically(path, buffer.getvalue())
    return path


def _number(value: float) -> str:
    return f"{value:g}"
