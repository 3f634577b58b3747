"""What a re-grade changed: per submission the old and new score, the checks that flipped, and why.

`grade` keeps, for every submission it is about to execute again, the result as it stood (with the
TAs' review laid over it), and compares it with the fresh one once the batch is done. The reason
comes from the fingerprints both results carry: the spec's hash, the notebook's hash, the grader's
version, the seed (`--force` with none of them changed says so). `--no-decrease` keeps the higher of
the old and the new score, as a floor stored with the review (grader/review/book.py).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader.core.files import write_atomically
from grader.core.results import CheckResult, SubmissionResult
from grader.core.regrades import Change, Regrading, changes_from_json
from grader.record.gradebook import spreadsheet_safe
from grader.review.book import ReviewBook

CHANGES_CSV = "changes.csv"
CHANGES_COLUMNS = ("submission", "student", "assignment", "old_score", "new_score", "kept_score", "reason", "flipped_checks")
NO_DECREASE_NOTE = "kept from before the re-grade (grade --no-decrease)"


def latest_regrading(reviews: ReviewBook) -> Regrading | None:
    stored = reviews.latest_regrading()
    return Regrading(stored[0], stored[1], changes_from_json(stored[2])) if stored else None


def reason(old: SubmissionResult, new: SubmissionResult) -> str:
    """Why `new` was graded again, from the fingerprints of the two results."""
    seeds = (old.execution.seed if old.execution else None, new.execution.seed if new.execution else None)
    parts = [
        label
        for label, changed in (
            ("spec changed", old.spec_hash != new.spec_hash),
            ("notebook changed", old.notebook_hash != new.notebook_hash),
            (f"grader changed ({old.grader_version} → {new.grader_version})", old.grader_version != new.grader_version),
            ("seed changed", seeds[0] != seeds[1]),
        )
        if changed
    ]
    return ", ".join(parts) or "re-graded with nothing changed (--force)"


def flipped(old: SubmissionResult, new: SubmissionResult) -> list[str]:
    """The checks whose automatic outcome or points differ, as "id: old → new"."""
    before, after = _checks(old), _checks(new)
    lines = []
    for check_id in sorted(before.keys() | after.keys()):
        was, now = before.get(check_id), after.get(check_id)
        if was is None or now is None or (was.outcome, was.points) != (now.outcome, now.points):
            lines.append(f"{check_id}: {_state(was)} → {_state(now)}")
    return lines


def _checks(result: SubmissionResult) -> dict[str, CheckResult]:
    return {check.id: check for exercise in result.exercises for check in exercise.checks}


def _state(check: CheckResult | None) -> str:
    return "absent" if check is None else f"{check.outcome} ({check.points:g})"


@dataclass(frozen=True)
class Standing:
    """A submission as it stood: the grader's own result, and the result with the TAs' review laid over it."""

    automatic: SubmissionResult
    reviewed: SubmissionResult


def standing(reviews: ReviewBook, submission: str) -> Standing:
    return Standing(reviews.automatic(submission), reviews.result(submission))


def compare(old: Standing, new: Standing) -> Change | None:
    """The change from `old` to `new`, or None when the score and the automatic checks are the same.

    Scores are the reviewed ones (what the student gets); flipped checks compare the automatic results.
    """
    checks = flipped(old.automatic, new.automatic)
    before, after = old.reviewed, new.reviewed
    if not checks and before.score == after.score and before.status == after.status:
        return None
    return Change(
        after.submission, after.student, after.assignment, before.score, after.score, reason(before, after), checks
    )


def settle_changes(reviews: ReviewBook, before: dict[str, Standing], no_decrease: bool) -> list[Change]:
    """Compare every re-graded submission with how it stood before; with `no_decrease`, keep the higher score."""
    changes = []
    for submission, old in sorted(before.items()):
        reviews.set_floor(submission, None, "", "re-graded")  # a floor lasts until the next re-grade
        new = reviews.result(submission)
        change = compare(old, Standing(reviews.automatic(submission), new))
        if change is None:
            continue
        if no_decrease and new.score < old.reviewed.score:
            kept = old.reviewed.score
            reviews.set_floor(submission, kept, NO_DECREASE_NOTE, f"--no-decrease: {new.score:g} < {kept:g}")
            change = Change(**{**change.__dict__, "kept_score": kept})
        changes.append(change)
    return changes


def write_changes_csv(changes: list[Change], out: Path) -> Path:
    """`<out>/changes.csv`: one row per changed submission, every cell spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CHANGES_COLUMNS)
    for change in changes:
        kept = "" if change.kept_score is None else f"{change.kept_score:g}"
        row = (
            change.submission, change.student, change.assignment, f"{change.old_score:g}", f"{change.new_score:g}",
            kept, change.reason, "; ".join(change.flipped),
        )
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    path = out / CHANGES_CSV
    write_atomically(path, buffer.getvalue())
    return path
