"""`grade export`: fill the gradebook file the LMS exported with the reviewed scores, ready to import back.

Students are matched by the id the intake recorded from the LMS's own file names (grader/intake/lms.py):
Canvas's user id is the gradebook CSV's `ID` column; Moodle's participant id is the number in the grading
worksheet's `Identifier` ("Participant 4242"). Every other row and column of the LMS file is written back
as it came, so each identity column the LMS needs is its own. Scores are the reviewed ones (automatic +
overrides − late penalty), scaled to the points the LMS column is worth. `--format csv` writes a plain
`student,student_name,assignment,score,max_score` file, or fills a `--column` of any CSV with a `student`
column. Every cell goes through `record.spreadsheet_safe`.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from grader.core.feedback import for_audience
from grader.core.files import write_atomically
from grader.core.results import SubmissionResult
from grader.record.gradebook import spreadsheet_safe
from grader.review.book import ReviewBook

Format = Literal["canvas", "moodle", "csv"]
FORMATS: tuple[str, ...] = get_args(Format)
_CANVAS_ID = "ID"
_MOODLE_ID, _MOODLE_GRADE, _MOODLE_MAX = "Identifier", "Grade", "Maximum Grade"
_MOODLE_FEEDBACK = "Feedback comments"
_PARTICIPANT = re.compile(r"(\d+)\s*$")
_ASSIGNMENT_ID = re.compile(r"\s*\(\d+\)\s*$")  # Canvas headers: "Homework 6 (12345)"


class ExportError(ValueError):
    """The LMS file or the options do not fit: the message says what to fix."""


@dataclass(frozen=True)
class GradeChange:
    student: str
    name: str
    old: str
    new: str


@dataclass
class Export:
    """What an export wrote (or, dry, would write)."""

    path: Path
    assignment: str
    column: str
    changes: list[GradeChange] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # our students the LMS file does not list
    written: bool = False


def export_grades(
    out: Path, fmt: str, lms_file: Path | None = None, assignment: str | None = None, column: str | None = None,
    output: Path | None = None, dry_run: bool = False, feedback: bool = False,
) -> Export:
    """Fill `lms_file` (or write a plain CSV) with the reviewed scores of one assignment in `out`'s gradebook.

    With `feedback`, Moodle's "Feedback comments" column gets what the student may read of the review.
    """
    if fmt not in FORMATS:
        raise ExportError(f"Invalid format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt != "csv" and lms_file is None:
        raise ExportError(f"--format {fmt} fills the gradebook file {fmt.capitalize()} exported: pass it with --gradebook FILE")
    chosen, results = assignment_results(out, assignment)
    target = output or out / f"export-{fmt}-{chosen}.csv"
    if lms_file is None:
        return _plain(results, chosen, target, dry_run)
    rows = _read(lms_file)
    fill = _fill_canvas if fmt == "canvas" else _fill_moodle if fmt == "moodle" else _fill_csv
    export = fill(rows, results, column, Export(target, chosen, ""))
    if feedback:
        _fill_feedback(rows, results, fmt)
    if not dry_run:
        _write(rows, target)
        export.written = True
    return export


def assignment_results(out: Path, assignment: str | None) -> tuple[str, dict[str, SubmissionResult]]:
    """The assignment to export (the only one in `out`'s gradebook when None) and its reviewed results by student."""
    results = [r for r in ReviewBook(out / "gradebook.sqlite").results() if r.assignment]
    known = sorted({r.assignment for r in results})
    if assignment is None and len(known) == 1:
        assignment = known[0]
    if assignment not in known:
        raise ExportError(f"Pick the assignment with --assignment: the gradebook has {', '.join(known) or 'none'}")
    return assignment, {r.student: r for r in results if r.assignment == assignment}


def _read(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ExportError(f"cannot read the LMS gradebook {path}: {exc.strerror}") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ExportError(f"{path} is empty: export the gradebook from the LMS again")
    return rows


def _write(rows: list[list[str]], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    write_atomically(path, buffer.getvalue())


def _column(header: list[str], wanted: str, what: str) -> int:
    if wanted not in header:
        raise ExportError(f"the LMS file has no column {wanted!r} ({what}); its columns: {', '.join(header)}")
    return header.index(wanted)


def _assignment_column(header: list[str], column: str | None, result: SubmissionResult | None, assignment: str) -> int:
    if column is not None:
        return _column(header, column, "from --column")
    names = {assignment.casefold()} | ({result.assignment_title.casefold()} if result and result.assignment_title else set())
    found = [i for i, name in enumerate(header) if _ASSIGNMENT_ID.sub("", name).strip().casefold() in names]
    if len(found) != 1:
        raise ExportError(
            f"found {len(found)} columns named like {assignment!r} in the LMS file: name the one to fill with --column"
        )
    return found[0]


def _fill(
    rows: list[list[str]], results: dict[str, SubmissionResult], export: Export, id_at: int, grade_at: int,
    student_of: Callable[[str], str], possible_of: Callable[[list[str]], float | None], name_at: int,
) -> Export:
    matched = set()
    for row in rows[1:]:
        if len(row) <= max(id_at, grade_at):
            continue
        result = results.get(student_of(row[id_at]))
        if result is None:
            continue
        matched.add(result.student)
        possible = possible_of(row) or result.max_score
        new = _number(result.score / result.max_score * possible if result.max_score else 0.0)
        if row[grade_at].strip() != new:
            export.changes.append(GradeChange(result.student, row[name_at], row[grade_at], new))
        row[grade_at] = new
    export.unmatched = sorted(set(results) - matched)
    export.column = rows[0][grade_at]
    return export


def _fill_canvas(rows: list[list[str]], results: dict[str, SubmissionResult], column: str | None, export: Export) -> Export:
    header = rows[0]
    id_at = _column(header, _CANVAS_ID, "Canvas's user id")
    grade_at = _assignment_column(header, column, next(iter(results.values()), None), export.assignment)
    points_row = next((row for row in rows[1:3] if row and row[0].strip() == "Points Possible"), None)
    possible = _float(points_row[grade_at]) if points_row and len(points_row) > grade_at else None
    return _fill(rows, results, export, id_at, grade_at, str.strip, lambda row: possible, 0)


def _fill_moodle(rows: list[list[str]], results: dict[str, SubmissionResult], column: str | None, export: Export) -> Export:
    header = rows[0]
    id_at = _column(header, _MOODLE_ID, "Moodle's participant identifier")
    grade_at = _column(header, column or _MOODLE_GRADE, "the grade")
    max_at = header.index(_MOODLE_MAX) if _MOODLE_MAX in header else None
    name_at = header.index("Full name") if "Full name" in header else id_at

    def participant(cell: str) -> str:
        match = _PARTICIPANT.search(cell)
        return match[1] if match else cell.strip()

    return _fill(
        rows, results, export, id_at, grade_at, participant,
        lambda row: _float(row[max_at]) if max_at is not None and len(row) > max_at else None, name_at,
    )


def _fill_feedback(rows: list[list[str]], results: dict[str, SubmissionResult], fmt: str) -> None:
    """Moodle's "Feedback comments" (HTML) of each matched row: the student's comments and override reasons."""
    header = rows[0]
    if fmt != "moodle" or _MOODLE_FEEDBACK not in header:
        raise ExportError(f"--feedback fills Moodle's {_MOODLE_FEEDBACK!r} column: export the grading worksheet with it")
    id_at, at = header.index(_MOODLE_ID), header.index(_MOODLE_FEEDBACK)
    for row in rows[1:]:
        match = _PARTICIPANT.search(row[id_at]) if len(row) > max(id_at, at) else None
        result = results.get(match[1]) if match else None
        if result is not None:
            row[at] = feedback_html(for_audience(result, "student"))


def feedback_html(view: SubmissionResult) -> str:
    """The review a student may read, as escaped HTML lines (Moodle renders feedback comments as HTML)."""
    titles = {exercise.id: exercise.title or exercise.id for exercise in view.exercises}
    lines = [f"{titles.get(o.exercise, o.exercise)}: adjusted to {o.points:g} points: {o.reason}" for o in view.overrides]
    lines += [f"{titles[c.exercise]}: {c.text}" if c.exercise in titles else c.text for c in view.comments]
    return "<br>".join(html.escape(line) for line in lines)


def _fill_csv(rows: list[list[str]], results: dict[str, SubmissionResult], column: str | None, export: Export) -> Export:
    header = rows[0]
    id_at = _column(header, "student", "the student id")
    return _fill(rows, results, export, id_at, _column(header, column or "score", "the score"), str.strip, lambda row: None, id_at)


def _plain(results: dict[str, SubmissionResult], assignment: str, target: Path, dry_run: bool) -> Export:
    rows = [["student", "student_name", "assignment", "score", "max_score"]]
    rows += [[r.student, r.student_name, assignment, _number(r.score), _number(r.max_score)] for _, r in sorted(results.items())]
    export = Export(target, assignment, "score", [GradeChange(r[0], r[1], "", r[3]) for r in rows[1:]])
    if not dry_run:
        _write(rows, target)
        export.written = True
    return export


def _float(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _number(value: float) -> str:
    return f"{round(value, 2):g}"
