"""Deadlines, submission times and the late-penalty policy.

A submission's time comes from, in order: the CSV given with `--submitted-at`
(columns `student,submitted_at`, matched on the student id or the LMS name), or the
LMS file name when it carries one (Blackboard). Canvas and Moodle file names carry
no time, and file modification times in a download are not submission times, so
without the CSV those submissions get no penalty, and the report says why.

The penalty is a percentage of the maximum score per started unit (hour, day or
week) after the deadline, up to a cap: `10%/day` with a cap of 50 % takes 20 % of
the maximum off a notebook handed in 1 day and 2 hours late. Scores never go below 0.
Times without a UTC offset are read in this computer's time zone.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from grader.core.results import SubmissionResult, summary_message
from grader.intake.discover import Submission

UNITS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
_PENALTY = re.compile(r"^\s*(?P<rate>\d+(?:\.\d+)?)\s*%\s*/\s*(?P<unit>hour|day|week)s?\s*$", re.I)
_PERCENT = re.compile(r"^\s*(?P<value>\d+(?:\.\d+)?)\s*%?\s*$")


@dataclass(frozen=True)
class LatePolicy:
    deadline: datetime  # timezone-aware
    percent_per_unit: float = 0.0  # of the maximum score; 0 reports lateness and takes nothing off
    unit: str = "day"  # a key of UNITS
    max_percent: float = 100.0

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"Invalid late-penalty unit {self.unit!r}: use one of {', '.join(UNITS)}")
        if not 0 <= self.max_percent <= 100 or self.percent_per_unit < 0:
            raise ValueError("Invalid late penalty: percentages must lie between 0 and 100")


@dataclass(frozen=True)
class Lateness:
    """What the deadline means for one submission."""

    submitted_at: str  # ISO 8601, "" when unknown
    percent: float  # of the maximum score taken off
    note: str  # a sentence for the report, "" when there is nothing to say
    summary: str  # a few words for the class table, "" when on time or unknown


def parse_time(text: str, where: str) -> datetime:
    """An ISO 8601 time as an aware datetime (no offset: this computer's time zone)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"Invalid time {text!r} from {where}: use ISO 8601, e.g. 2025-03-01T23:59 or 2025-03-01T23:59+01:00"
        ) from None
    return value if value.tzinfo is not None else value.astimezone()


def parse_penalty(text: str, where: str) -> tuple[float, str]:
    """'10%/day' -> (10.0, 'day')."""
    match = _PENALTY.match(text)
    if not match or float(match["rate"]) > 100:
        raise ValueError(f"Invalid late penalty {text!r} from {where}: write it as a percentage per unit, e.g. 10%/day")
    return float(match["rate"]), match["unit"].lower()


def parse_percent(text: str, where: str) -> float:
    """'50%' or '50' -> 50.0, between 0 and 100."""
    match = _PERCENT.match(text)
    if not match or float(match["value"]) > 100:
        raise ValueError(f"Invalid percentage {text!r} from {where}: write a number between 0 and 100, e.g. 50%")
    return float(match["value"])


def read_submission_times(path: Path) -> dict[str, datetime]:
    """student -> submission time, from a CSV with the columns `student` and `submitted_at`."""
    return read_student_times(path, "submitted_at", "submission times")


def read_extensions(path: Path) -> dict[str, datetime]:
    """student -> that student's own deadline, from a CSV with the columns `student` and `deadline`."""
    return read_student_times(path, "deadline", "extensions")


def read_student_times(path: Path, column: str, what: str) -> dict[str, datetime]:
    """student -> the time in `column`, from a CSV with the columns `student` and `column`."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"cannot read {what} from {path}: {exc.strerror}") from None
    rows = csv.DictReader(text.splitlines())
    if not rows.fieldnames or not {"student", column} <= {f.strip() for f in rows.fieldnames}:
        raise ValueError(f"{path} needs a header row with the columns student,{column}")
    times = {}
    for number, row in enumerate(rows, start=2):
        row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        if row["student"]:
            times[row["student"]] = parse_time(row[column], f"{path}, line {number}")
    return times


def assess(
    policy: LatePolicy | None, submitted: datetime | None, source: str, lms_late: bool = False
) -> Lateness:
    """What the deadline means for a submission handed in at `submitted` (known from `source`)."""
    stamp = submitted.isoformat(timespec="minutes") if submitted else ""
    if submitted is None:
        return Lateness("", 0.0, _unknown_time_note(policy, lms_late), "late (Canvas)" if lms_late else "")
    when = f"Submitted {_show(submitted)} ({source})"
    if policy is None:
        return Lateness(stamp, 0.0, f"{when}; no deadline was given.", "")
    late_by = submitted - policy.deadline
    deadline = f"the deadline ({_show(policy.deadline)})"
    if late_by <= timedelta(0):
        return Lateness(stamp, 0.0, f"{when}, before {deadline}.", "")
    units = math.ceil(late_by / UNITS[policy.unit])
    percent = min(units * policy.percent_per_unit, policy.max_percent)
    late = f"{when}, {_duration(late_by)} after {deadline}"
    if policy.percent_per_unit == 0:
        return Lateness(stamp, 0.0, f"{late}; no late penalty was set.", f"late by {_duration(late_by)}")
    plural = "" if units == 1 else "s"
    rule = f"{units} started {policy.unit}{plural} × {policy.percent_per_unit:g} %"
    if percent < units * policy.percent_per_unit:
        rule += f", capped at {policy.max_percent:g} %"
    note = f"{late}: {rule} = {percent:g} % of the maximum score taken off."
    return Lateness(stamp, percent, note, f"late by {_duration(late_by)}: −{percent:g} %")


def _unknown_time_note(policy: LatePolicy | None, lms_late: bool) -> str:
    if lms_late and policy is None:
        return "Canvas marked this submission late; no deadline was given, so nothing was taken off."
    if lms_late:
        return (
            "Canvas marked this submission late, but its file name carries no submission time: no penalty "
            "was applied. Pass --submitted-at with a CSV of times to apply the late policy."
        )
    if policy is not None:
        return "Submission time unknown: no late penalty was applied (pass --submitted-at with a CSV of times)."
    return ""


def _show(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %z").replace(" +0000", " UTC")


def _duration(span: timedelta) -> str:
    minutes = math.ceil(span.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts[:2]) or "0 min"


def settle(
    result: SubmissionResult,
    submission: Submission,
    older: list[Submission],
    late: LatePolicy | None,
    submission_times: Mapping[str, datetime],
    extensions: Mapping[str, datetime] | None = None,
) -> None:
    """Record what the intake knows (name, older notebooks, lateness) and apply the late penalty.

    Runs on fresh and on stored results alike, so a changed deadline or policy never needs
    a re-grade: the penalty is recomputed from the checks' points every time. A student with
    an extension (`extensions`: student id or LMS name -> deadline) has that deadline instead.
    """
    result.student_name = submission.student_name
    result.superseded = [s.relative_path for s in older]
    submitted, source = submission_time(submission, submission_times)
    extension = extension_of(extensions or {}, submission.student, submission.student_name)
    _apply_lateness(result, late, extension, submitted, source, submission.lms_late)


def resettle(result: SubmissionResult, late: LatePolicy | None, extensions: Mapping[str, datetime]) -> None:
    """Settle a stored result again under `late` and `extensions`, with the submission time it recorded.

    Without a recorded time or a policy there is nothing to recompute: the result is left as it is.
    """
    if result.submitted_at and late is not None:
        submitted = parse_time(result.submitted_at, "the gradebook")
        extension = extension_of(extensions, result.student, result.student_name)
        _apply_lateness(result, late, extension, submitted, "as recorded in the gradebook", False)


def extension_of(extensions: Mapping[str, datetime], *keys: str) -> datetime | None:
    """The extended deadline of the first of `keys` (student id, LMS name) that has one."""
    return next((extensions[key] for key in keys if key and key in extensions), None)


def _apply_lateness(
    result: SubmissionResult,
    late: LatePolicy | None,
    extension: datetime | None,
    submitted: datetime | None,
    source: str,
    lms_late: bool,
) -> None:
    policy = dataclasses.replace(late, deadline=extension) if late is not None and extension is not None else late
    lateness = assess(policy, submitted, source, lms_late)
    note = f"Extension to {_show(extension)}. " if late is not None and extension is not None else ""
    result.submitted_at, result.late_note = lateness.submitted_at, note + lateness.note
    if result.status not in ("graded", "kernel-died"):
        return  # nothing was scored; the message says why
    earned = sum(e.points for e in result.exercises)
    result.late_penalty = round(result.max_score * lateness.percent / 100, 2)
    result.score = round(max(0.0, earned - result.late_penalty), 2) if result.late_penalty else earned
    older = len(result.superseded)
    older_note = f"{older} older notebook{'s' if older > 1 else ''} not graded" if older else ""
    result.message = "; ".join(part for part in (summary_message(result), lateness.summary, older_note) if part)


def submission_time(submission: Submission, times: Mapping[str, datetime]) -> tuple[datetime | None, str]:
    """When the submission was handed in, and where that comes from; (None, "") when unknown."""
    for key in (submission.student, submission.student_name):
        if key and key in times:
            return times[key], "from the list of submission times"
    if submission.submitted_at is not None:
        return submission.submitted_at, f"from the {submission.lms.capitalize()} file name"
    return None, ""
