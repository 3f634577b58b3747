"""The TAs' review of a graded submission: overrides, comments, reviewed marks (plain domain, no storage).

The gradebook keeps the grader's automatic result untouched (`submissions.result_json`) and the
review beside it (grader/review/book.py). `apply_review` lays a review over an automatic result,
so every output reads the same score:

    score = max(0, automatic points with overrides − late penalty)

An override replaces a check's points, or a whole exercise's. The late penalty is a share of the
maximum score, fixed when the result was settled (grader/intake/lateness.py), so it applies after the
overrides unchanged. An override remembers the notebook hash and the automatic result it was made
on; `flags_after_grading` says which overrides a re-grade puts in doubt: they are kept, and
flagged for a TA to look at again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from grader.core.results import (
    CheckResult,
    Comment,
    ExerciseResult,
    Override,
    SubmissionResult,
)

EXERCISE_TARGET = "exercise:"  # an override's target for a whole exercise: "exercise:ex1"
SCORED_STATUSES = ("graded", "kernel-died")  # the statuses that have points to override


class ReviewError(ValueError):
    """A review change that cannot be made: the message says what to fix."""


@dataclass(frozen=True)
class Review:
    """Everything the TAs added to one submission."""

    overrides: list[Override] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    reviewed_by: str = ""
    floor: float | None = None  # a score kept by `grade --no-decrease`
    floor_note: str = ""


@dataclass(frozen=True)
class Target:
    """What an override may replace: a check's points or an exercise's, with the automatic ones."""

    target: str
    exercise: str
    points: float
    max_points: float
    outcome: str  # "" for an exercise


def targets(result: SubmissionResult) -> dict[str, Target]:
    """Every check and exercise of `result` an override can address, by target id."""
    found: dict[str, Target] = {}
    for exercise in result.exercises:
        key = EXERCISE_TARGET + exercise.id
        found[key] = Target(key, exercise.id, exercise.points, exercise.max_points, "")
        for check in exercise.checks:
            found[check.id] = Target(check.id, exercise.id, check.points, check.max_points, check.outcome)
    return found


def target_of(result: SubmissionResult, target: str, points: float) -> Target:
    """The target an override of `points` would replace; ReviewError when there is none or points are out of range."""
    if result.status not in SCORED_STATUSES:
        raise ReviewError(f"{result.submission} has status {result.status}: there are no points to override")
    found = targets(result).get(target)
    if found is None:
        raise ReviewError(f"{result.submission} has no check or exercise {target!r}")
    if not 0 <= points <= found.max_points:
        raise ReviewError(f"Invalid points {points:g} for {target}: give a number from 0 to {found.max_points:g}")
    return found


def require_reason(reason: str) -> str:
    """The reason, stripped; ReviewError when there is none (every override and removal needs one)."""
    if not reason.strip():
        raise ReviewError("A reason is required: say why the points change (students read it)")
    return reason.strip()


def apply_review(result: SubmissionResult, review: Review) -> SubmissionResult:
    """`result` with the review laid over it: overridden points, exercise sums, the score, comments and marks."""
    by_target = {override.target: override for override in review.overrides}
    exercises = [_apply_exercise(exercise, by_target) for exercise in result.exercises]
    reviewed = dataclasses.replace(
        result, exercises=exercises, overrides=list(review.overrides), comments=list(review.comments),
        reviewed_by=review.reviewed_by,
    )
    if result.status not in SCORED_STATUSES:
        return reviewed
    earned = sum(exercise.points for exercise in exercises)
    score = round(max(0.0, earned - result.late_penalty), 2)
    if review.floor is not None and review.floor > score:
        score, reviewed.score_note = review.floor, review.floor_note
    if score != result.score:
        reviewed.score, reviewed.automatic_score = score, result.score
    return reviewed


def _apply_exercise(exercise: ExerciseResult, by_target: dict[str, Override]) -> ExerciseResult:
    checks = [_apply_check(check, by_target.get(check.id)) for check in exercise.checks]
    whole = by_target.get(EXERCISE_TARGET + exercise.id)
    points = whole.points if whole is not None else round(sum(check.points for check in checks), 2)
    if whole is None and not any(check.id in by_target for check in exercise.checks):
        points = exercise.points  # untouched: keep the grader's sum exactly
    return dataclasses.replace(exercise, checks=checks, points=points)


def _apply_check(check: CheckResult, override: Override | None) -> CheckResult:
    return check if override is None else dataclasses.replace(check, points=override.points)


def flags_after_grading(result: SubmissionResult, overrides: list[Override]) -> dict[str, str]:
    """target -> why the fresh automatic `result` puts that override in doubt (only the ones it does)."""
    now = targets(result)
    flags = {}
    for override in overrides:
        reasons = []
        if override.notebook_hash != result.notebook_hash:
            reasons.append("the notebook changed since the override")
        fresh = now.get(override.target)
        if fresh is None:
            reasons.append("the re-grade has no such check any more")
        elif (fresh.points, fresh.outcome) != (override.automatic_points, override.automatic_outcome):
            was = _automatic(override.automatic_points, override.automatic_outcome)
            reasons.append(f"the automatic result changed from {was} to {_automatic(fresh.points, fresh.outcome)}")
        if reasons:
            flags[override.target] = "; ".join(reasons)
    return flags


def _automatic(points: float, outcome: str) -> str:
    return f"{points:g} points ({outcome})" if outcome else f"{points:g} points"


def next_unreviewed(results: list[SubmissionResult], after: str = "") -> SubmissionResult | None:
    """The first unreviewed submission after `after` in `results`' order, wrapping round; None when all are reviewed."""
    ids = [result.submission for result in results]
    start = ids.index(after) + 1 if after in ids else 0
    for result in results[start:] + results[:start]:
        if not result.reviewed_by and result.submission != after:
            return result
    return None
