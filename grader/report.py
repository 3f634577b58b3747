"""The report stage: render stored grading results as HTML pages.

Reports are built from `SubmissionResult` data only, through the Jinja2
templates in `templates/`, so they can be rebuilt without re-grading.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import get_args

import jinja2

from grader.files import write_atomically

from grader.results import SubmissionResult, SubmissionStatus

STATUSES: tuple[str, ...] = get_args(SubmissionStatus)


class ReportError(Exception):
    """Some reports could not be rendered or written; the others were."""


@dataclass(frozen=True)
class AssignmentSummary:
    """Mean score of one assignment over the submissions that matched it."""

    assignment: str
    title: str
    submissions: int
    mean_score: float
    max_score: float


def templates_dir() -> Path:
    """Return the folder of report templates: the repo's, else the packaged copy."""
    repo_templates = Path(__file__).resolve().parent.parent / "templates"
    # Check for our own template, not just the folder: when installed as a
    # wheel, parent.parent is site-packages, which may hold any `templates/`.
    if (repo_templates / "report.html.j2").is_file():
        return repo_templates
    return Path(__file__).parent / "templates"


def format_points(value: float) -> str:
    """Return points without a trailing .0: 3, 2.5, 0.33."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_seconds(value: float) -> str:
    """Return a duration for people: "1.2 s", "< 0.1 s" for a nonzero blink."""
    if 0 < value < 0.05:
        return "< 0.1 s"
    return f"{value:.1f} s"


def format_percent(score: float, max_score: float) -> str:
    """Return score as a whole percentage of max_score, or an em dash when max is 0."""
    if max_score <= 0:
        return "\u2014"
    return f"{100 * score / max_score:.0f} %"


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Return the Jinja2 environment the reports render with (autoescaped, strict)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(["html", "j2", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["points"] = format_points
    env.filters["seconds"] = format_seconds
    env.filters["percent"] = format_percent
    return env


def render_submission(result: SubmissionResult) -> str:
    """Return the HTML report of one submission."""
    return environment().get_template("report.html.j2").render(result=result)


def render_index(results: list[SubmissionResult]) -> str:
    """Return the HTML class summary linking to every submission's report."""
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            results=sorted(results, key=index_order),
            status_counts=count_statuses(results),
            assignments=summarise_assignments(results),
        )
    )


def index_order(result: SubmissionResult) -> tuple[str, str, str]:
    """Return the sort key of an index row: student, then assignment."""
    return (result.student.casefold(), result.assignment.casefold(), result.submission)


def count_statuses(results: list[SubmissionResult]) -> list[tuple[str, int]]:
    """Return (status, count) for every known status, then any unexpected ones."""
    counts: Counter[str] = Counter(result.status for result in results)
    extra = sorted(status for status in counts if status not in STATUSES)
    return [(status, counts[status]) for status in (*STATUSES, *extra)]


def summarise_assignments(results: list[SubmissionResult]) -> list[AssignmentSummary]:
    """Return the mean score of each known assignment, ordered by assignment id."""
    groups: dict[str, list[SubmissionResult]] = {}
    for result in results:
        if result.assignment:
            groups.setdefault(result.assignment, []).append(result)
    return [
        AssignmentSummary(
            assignment=assignment,
            title=next((r.assignment_title for r in group if r.assignment_title), assignment),
            submissions=len(group),
            mean_score=fmean(r.score for r in group),
            max_score=max(r.max_score for r in group),
        )
        for assignment, group in sorted(groups.items())
    ]


def write_reports(results: list[SubmissionResult], out_dir: Path) -> None:
    """Write out_dir/<submission>/report.html for each result, then out_dir/index.html.

    One report that fails to render does not stop the others; the failures are
    raised together as a ReportError once everything else is written.
    """
    out_dir = Path(out_dir)
    failures: list[str] = []
    for result in results:
        try:
            write_atomically(report_path(out_dir, result.submission), render_submission(result))
        except (jinja2.TemplateError, OSError, ValueError) as exc:
            failures.append(f"{result.submission}: {type(exc).__name__}: {exc}")
    write_atomically(out_dir / "index.html", render_index(results))
    if failures:
        raise ReportError(
            f"{len(failures)} of {len(results)} reports were not written:\n  "
            + "\n  ".join(failures)
        )


def report_path(out_dir: Path, submission: str) -> Path:
    """Return out_dir/<submission>/report.html, refusing ids that escape out_dir."""
    root = out_dir.resolve()
    path = (root / submission / "report.html").resolve()
    if not submission or root not in path.parents or path.parent == root:
        raise ValueError(f"submission id {submission!r} does not name a folder inside {root}")
    return path
