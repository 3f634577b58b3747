"""Who reads a result: the teaching staff see everything, students see what is theirs to see.

Every student-facing output (the student report, the Gradescope export) is made
from `for_audience(result, "student")`, one redacted copy, so there is a single
place that decides what a student may read. It fails closed: a check or a
figure whose visibility is anything but "visible" counts as hidden, and a figure of hidden items
(misclassified images) is never shown to students.
"""

from __future__ import annotations

import dataclasses
from typing import Literal, get_args

from grader.core.results import CheckResult, ExerciseResult, SubmissionResult

Audience = Literal["ta", "student"]
AUDIENCES: tuple[str, ...] = get_args(Audience)
# Figures that show hidden items themselves (the inputs of a hidden draw): never for students, whatever
# visibility they were filed with.
HIDDEN_ITEM_FIGURES: frozenset[str] = frozenset({"misclassified-images"})
HIDDEN_MESSAGE = "This check uses hidden data: its outcome and points are shown, its details are for the teaching staff."


def for_audience(result: SubmissionResult, audience: Audience) -> SubmissionResult:
    """`result` as `audience` may read it: unchanged for the staff, redacted for students."""
    if audience == "ta":
        return result
    if audience != "student":
        raise ValueError(f"Invalid audience {audience!r}: use one of {', '.join(AUDIENCES)}")
    return dataclasses.replace(
        result,
        exercises=[_exercise_for_students(exercise) for exercise in result.exercises],
        figures=[f for f in result.figures if f.visibility == "visible" and f.kind not in HIDDEN_ITEM_FIGURES],
        notes=[],  # grader notes name hidden checks' figures; they are for the staff
        predictions=[],  # which hidden points were wrong, and digests of the models: the integrity stage's, staff only
        digests=[],
        comments=[comment for comment in result.comments if comment.private is False],  # staff notes stay
        overrides=[dataclasses.replace(override, flag="") for override in result.overrides],  # flags are staff work
        reviewed_by="",
    )


def _exercise_for_students(exercise: ExerciseResult) -> ExerciseResult:
    return dataclasses.replace(exercise, checks=[_check_for_students(check) for check in exercise.checks])


def _check_for_students(check: CheckResult) -> CheckResult:
    if check.visibility == "visible":
        return dataclasses.replace(check, measurements=[])  # measurements feed calibration and staff reports
    return dataclasses.replace(
        check, message=HIDDEN_MESSAGE if check.message else "", visibility="hidden", measurements=[]
    )
