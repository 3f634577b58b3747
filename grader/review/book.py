"""Record stage, review half: the TAs' overrides, comments, comment bank, reviewed marks and the audit trail.

These tables live in the same `gradebook.sqlite` as the automatic results (grader/record/gradebook.py) and are
never touched by a re-grade: the stored result stays the grader's, the review is laid over it on
reading (`grader.review.apply_review`). Every change is one transaction that also appends one row to
`audit` (who, when, what, before, after, why), a table triggers keep append-only. Writers take the
write lock up front (`BEGIN IMMEDIATE`) and wait for each other (WAL, a 30 s busy timeout), so two
TAs, or two servers, on one gradebook lose nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from grader.core.results import Comment, Override, SubmissionResult
from grader.intake.lateness import LatePolicy
from grader.review.overlay import (
    Review,
    ReviewError,
    apply_review,
    flags_after_grading,
    require_reason,
    target_of,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS overrides (
    submission TEXT NOT NULL, target TEXT NOT NULL, exercise TEXT NOT NULL, points REAL NOT NULL,
    automatic_points REAL NOT NULL, automatic_outcome TEXT NOT NULL, notebook_hash TEXT NOT NULL,
    reason TEXT NOT NULL, author TEXT NOT NULL, at TEXT NOT NULL, flag TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (submission, target)
);
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, submission TEXT NOT NULL, exercise TEXT NOT NULL, text TEXT NOT NULL,
    author TEXT NOT NULL, at TEXT NOT NULL, private INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS comment_bank (
    assignment TEXT NOT NULL, text TEXT NOT NULL, uses INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (assignment, text)
);
CREATE TABLE IF NOT EXISTS reviewed (submission TEXT PRIMARY KEY, reviewer TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS score_floors (submission TEXT PRIMARY KEY, score REAL NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS regradings (  -- one row per batch that re-graded something graded before
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, regraded INTEGER NOT NULL, changes_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS extensions (student TEXT PRIMARY KEY, deadline TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS late_policy (  -- the late policy of the latest batch (grade --deadline ...)
    id INTEGER PRIMARY KEY CHECK (id = 1), deadline TEXT NOT NULL, percent_per_unit REAL NOT NULL, unit TEXT NOT NULL,
    max_percent REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
    submission TEXT NOT NULL, target TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL, why TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
"""
GRADER = "grader"  # the audit's `who` for changes a grading run makes (flags, --no-decrease)
_OVERRIDE_COLUMNS = "target, exercise, points, automatic_points, automatic_outcome, notebook_hash, reason, author, at, flag"


class AuditEntry(NamedTuple):
    id: int
    at: str
    who: str
    action: str
    submission: str
    target: str
    before: str  # JSON, "" when there was nothing
    after: str  # JSON, "" when nothing is left
    why: str


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ReviewBook:
    """The review tables of the gradebook file at `path` (created beside the automatic results)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found; grade a folder into {path.parent} first")
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute(begin)
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One write transaction holding the write lock from its start: concurrent writers queue, none is lost."""
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One read transaction: a consistent snapshot, taking no lock from the writers (WAL)."""
        return self._transaction("BEGIN")

    # ------------------------------------------------------------------ reading

    def _review(self, db: sqlite3.Connection, submission: str) -> Review:
        overrides = [
            Override(*row)
            for row in db.execute(
                f"SELECT {_OVERRIDE_COLUMNS} FROM overrides WHERE submission = ? ORDER BY target", (submission,)
            )
        ]
        comments = [
            Comment(row[0], row[1], row[2], row[3], row[4], bool(row[5]))
            for row in db.execute(
                "SELECT id, exercise, text, author, at, private FROM comments WHERE submission = ? ORDER BY id",
                (submission,),
            )
        ]
        mark = db.execute("SELECT reviewer FROM reviewed WHERE submission = ?", (submission,)).fetchone()
        floor = db.execute("SELECT score, note FROM score_floors WHERE submission = ?", (submission,)).fetchone()
        return Review(overrides, comments, mark[0] if mark else "", floor[0] if floor else None, floor[1] if floor else "")

    def _automatic(self, db: sqlite3.Connection, submission: str) -> SubmissionResult:
        row = db.execute("SELECT result_json FROM submissions WHERE submission = ?", (submission,)).fetchone()
        if row is None:
            raise ReviewError(f"no submission {submission!r} in {self.path}")
        return SubmissionResult.from_json(row[0])

    def automatic(self, submission: str) -> SubmissionResult:
        """The grader's own stored result of `submission`, without the review."""
        with self._read() as db:
            return self._automatic(db, submission)

    def result(self, submission: str) -> SubmissionResult:
        """The stored result of `submission` with its review laid over it."""
        with self._read() as db:
            return apply_review(self._automatic(db, submission), self._review(db, submission))

    def results(self) -> list[SubmissionResult]:
        """Every stored result with its review, ordered by submission id."""
        with self._read() as db:
            rows = db.execute("SELECT submission, result_json FROM submissions ORDER BY submission").fetchall()
            return [apply_review(SubmissionResult.from_json(row[1]), self._review(db, row[0])) for row in rows]

    def bank(self, assignment: str) -> list[str]:
        """The assignment's reusable comments, most used first."""
        with self._read() as db:
            rows = db.execute(
                "SELECT text FROM comment_bank WHERE assignment = ? ORDER BY uses DESC, text", (assignment,)
            ).fetchall()
        return [row[0] for row in rows]

    def audit(self, submission: str | None = None) -> list[AuditEntry]:
        """The audit trail, oldest first (of one submission, or all)."""
        query, parameters = "SELECT * FROM audit", tuple[str, ...]()
        if submission is not None:
            query, parameters = query + " WHERE submission = ?", (submission,)
        with self._read() as db:
            return [AuditEntry(*row) for row in db.execute(query + " ORDER BY id", parameters)]

    # ------------------------------------------------------------------ changing

    def set_override(self, submission: str, target: str, points: float, reason: str, who: str) -> Override:
        """Give `target` (a check id or "exercise:<id>") `points` in place of the automatic ones, saying why."""
        reason = require_reason(reason)
        with self._write() as db:
            result = self._automatic(db, submission)
            found = target_of(result, target, points)
            before = self._override_row(db, submission, target)
            override = Override(
                target, found.exercise, float(points), float(found.points), found.outcome, result.notebook_hash, reason,
                _who(who), now(),
            )
            db.execute(
                f"INSERT OR REPLACE INTO overrides (submission, {_OVERRIDE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (submission, *dataclasses.astuple(override)),
            )
            _audit(db, who, "override", submission, target, before, _override_json(override), reason)
            self._refresh_score(db, submission)
        return override

    def remove_override(self, submission: str, target: str, reason: str, who: str) -> None:
        """Give `target` its automatic points back, saying why."""
        reason = require_reason(reason)
        with self._write() as db:
            before = self._override_row(db, submission, target)
            if not before:
                raise ReviewError(f"{submission} has no override of {target!r}")
            db.execute("DELETE FROM overrides WHERE submission = ? AND target = ?", (submission, target))
            _audit(db, who, "remove override", submission, target, before, "", reason)
            self._refresh_score(db, submission)

    def add_comment(self, submission: str, exercise: str, text: str, who: str, private: bool = False) -> Comment:
        """A comment on `exercise` ("" for the whole submission); a public one joins the assignment's bank."""
        text = text.strip()
        if not text:
            raise ReviewError("A comment needs some text")
        with self._write() as db:
            result = self._automatic(db, submission)
            if exercise and exercise not in {e.id for e in result.exercises}:
                raise ReviewError(f"{submission} has no exercise {exercise!r}")
            at = now()
            cursor = db.execute(
                "INSERT INTO comments (submission, exercise, text, author, at, private) VALUES (?,?,?,?,?,?)",
                (submission, exercise, text, _who(who), at, int(private)),
            )
            comment = Comment(int(cursor.lastrowid or 0), exercise, text, _who(who), at, private)
            if not private and result.assignment:
                db.execute(
                    "INSERT INTO comment_bank VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET uses = uses + 1",
                    (result.assignment, text),
                )
            action = "staff note" if private else "comment"
            _audit(db, who, action, submission, exercise, "", json.dumps(_comment_dict(comment)), "")
        return comment

    def remove_comment(self, submission: str, comment_id: int, reason: str, who: str) -> None:
        reason = require_reason(reason)
        with self._write() as db:
            row = db.execute(
                "SELECT id, exercise, text, author, at, private FROM comments WHERE id = ? AND submission = ?",
                (comment_id, submission),
            ).fetchone()
            if row is None:
                raise ReviewError(f"{submission} has no comment {comment_id}")
            db.execute("DELETE FROM comments WHERE id = ?", (comment_id,))
            before = json.dumps(_comment_dict(Comment(row[0], row[1], row[2], row[3], row[4], bool(row[5]))))
            _audit(db, who, "remove comment", submission, row[1], before, "", reason)

    def mark_reviewed(self, submission: str, who: str, reviewed: bool = True) -> None:
        """Mark the submission reviewed by `who` (or take the mark back)."""
        with self._write() as db:
            self._automatic(db, submission)  # exists
            mark = db.execute("SELECT reviewer, at FROM reviewed WHERE submission = ?", (submission,)).fetchone()
            before = json.dumps({"reviewer": mark[0], "at": mark[1]}) if mark else ""
            if reviewed:
                at = now()
                db.execute("INSERT OR REPLACE INTO reviewed VALUES (?,?,?)", (submission, _who(who), at))
                _audit(db, who, "reviewed", submission, "", before, json.dumps({"reviewer": _who(who), "at": at}), "")
            elif mark:
                db.execute("DELETE FROM reviewed WHERE submission = ?", (submission,))
                _audit(db, who, "unreviewed", submission, "", before, "", "")

    def after_grading(self, result: SubmissionResult) -> None:
        """Flag the overrides a fresh grading of `result` puts in doubt, and store the reviewed score."""
        with self._write() as db:
            overrides = self._review(db, result.submission).overrides
            for target, flag in flags_after_grading(result, overrides).items():
                if flag != next(o.flag for o in overrides if o.target == target):
                    before = self._override_row(db, result.submission, target)
                    db.execute(
                        "UPDATE overrides SET flag = ? WHERE submission = ? AND target = ?", (flag, result.submission, target)
                    )
                    after = self._override_row(db, result.submission, target)
                    _audit(db, GRADER, "flag override", result.submission, target, before, after, flag)
            self._refresh_score(db, result.submission)

    def carry_over(self, old: str, new: str) -> bool:
        """Move the review of `old`, superseded by the student's later notebook `new`, onto `new`; False when it had none.

        Overrides keep the notebook hash they were made on, so the next `after_grading(new)` flags them;
        comments move as they are; the reviewed mark is dropped (a new notebook wants a new look).
        """
        with self._write() as db:
            review = self._review(db, old)
            if not (review.overrides or review.comments or review.reviewed_by):
                return False
            why = f"carried over from {old}, superseded by a later notebook"
            for override in review.overrides:
                if self._override_row(db, new, override.target):
                    continue  # the later notebook has its own override: it wins
                db.execute("UPDATE overrides SET submission = ? WHERE submission = ? AND target = ?", (new, old, override.target))
                _audit(db, GRADER, "carry over", new, override.target, "", self._override_row(db, new, override.target), why)
            for comment in review.comments:
                db.execute("UPDATE comments SET submission = ? WHERE id = ?", (new, comment.id))
                _audit(db, GRADER, "carry over", new, comment.exercise, "", json.dumps(_comment_dict(comment)), why)
            db.execute("DELETE FROM reviewed WHERE submission = ?", (old,))
        return True

    def set_floor(self, submission: str, score: float | None, note: str, why: str) -> None:
        """Keep `submission`'s score at least `score` (None: no floor any more), for `grade --no-decrease`."""
        with self._write() as db:
            row = db.execute("SELECT score, note FROM score_floors WHERE submission = ?", (submission,)).fetchone()
            before = json.dumps({"score": row[0], "note": row[1]}) if row else ""
            if score is None and row is None:
                return
            db.execute("DELETE FROM score_floors WHERE submission = ?", (submission,))
            after = ""
            if score is not None:
                db.execute("INSERT INTO score_floors VALUES (?,?,?)", (submission, score, note))
                after = json.dumps({"score": score, "note": note})
            if before != after:
                _audit(db, GRADER, "score floor", submission, "", before, after, why)
            self._refresh_score(db, submission)

    def record_regrading(self, regraded: int, changes_json: str) -> None:
        """Keep what a batch that re-graded `regraded` submissions changed (grader/review/changes.py), for the index."""
        with self._write() as db:
            db.execute("INSERT INTO regradings (at, regraded, changes_json) VALUES (?,?,?)", (now(), regraded, changes_json))

    def latest_regrading(self) -> tuple[str, int, str] | None:
        """(when, how many were re-graded, the changes as JSON) of the latest batch that re-graded anything."""
        with self._read() as db:
            row = db.execute("SELECT at, regraded, changes_json FROM regradings ORDER BY id DESC LIMIT 1").fetchone()
        return (row[0], row[1], row[2]) if row else None

    def replace_extensions(self, extensions: Mapping[str, datetime], who: str) -> None:
        """Make `extensions` (student -> own deadline) the gradebook's extensions, one audit row per change."""
        wanted = {student: deadline.isoformat() for student, deadline in extensions.items()}
        with self._write() as db:
            stored = dict(db.execute("SELECT student, deadline FROM extensions").fetchall())
            for student in sorted(stored.keys() | wanted.keys()):
                before, after = stored.get(student, ""), wanted.get(student, "")
                if before != after:
                    db.execute("DELETE FROM extensions WHERE student = ?", (student,))
                    if after:
                        db.execute("INSERT INTO extensions VALUES (?, ?)", (student, after))
                    _audit(db, who, "extension", "", student, before, after, "")

    def extensions(self) -> dict[str, datetime]:
        """student -> own deadline, as recorded by the latest --extensions."""
        with self._read() as db:
            rows = db.execute("SELECT student, deadline FROM extensions").fetchall()
        return {student: datetime.fromisoformat(deadline) for student, deadline in rows}

    def store_policy(self, policy: LatePolicy | None) -> None:
        """Remember the late policy a batch was settled with, so extensions can be applied later."""
        with self._write() as db:
            db.execute("DELETE FROM late_policy")
            if policy is not None:
                db.execute(
                    "INSERT INTO late_policy VALUES (1, ?, ?, ?, ?)",
                    (policy.deadline.isoformat(), policy.percent_per_unit, policy.unit, policy.max_percent),
                )

    def policy(self) -> LatePolicy | None:
        with self._read() as db:
            row = db.execute("SELECT deadline, percent_per_unit, unit, max_percent FROM late_policy").fetchone()
        return LatePolicy(datetime.fromisoformat(row[0]), row[1], row[2], row[3]) if row else None

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _override_row(db: sqlite3.Connection, submission: str, target: str) -> str:
        row = db.execute(
            f"SELECT {_OVERRIDE_COLUMNS} FROM overrides WHERE submission = ? AND target = ?", (submission, target)
        ).fetchone()
        return _override_json(Override(*row)) if row else ""

    def _refresh_score(self, db: sqlite3.Connection, submission: str) -> None:
        """`submissions.score` is the score everyone reads: automatic + overrides − penalty (or the floor)."""
        row = db.execute("SELECT result_json FROM submissions WHERE submission = ?", (submission,)).fetchone()
        if row is not None:
            reviewed = apply_review(SubmissionResult.from_json(row[0]), self._review(db, submission))
            db.execute("UPDATE submissions SET score = ? WHERE submission = ?", (reviewed.score, submission))


def _who(who: str) -> str:
    return who.strip() or "unknown"


def _audit(
    db: sqlite3.Connection, who: str, action: str, submission: str, target: str, before: str, after: str, why: str
) -> None:
    db.execute(
        "INSERT INTO audit (at, who, action, submission, target, before, after, why) VALUES (?,?,?,?,?,?,?,?)",
        (now(), _who(who), action, submission, target, before, after, why),
    )


def _override_json(override: Override) -> str:
    return json.dumps(dataclasses.asdict(override))


def _comment_dict(comment: Comment) -> dict[str, Any]:
    return dataclasses.asdict(comment)
