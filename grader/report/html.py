"""The report stage: render stored grading results as HTML pages.

Reports are built from `SubmissionResult` data only, through the Jinja2
templates in `templates/`, so they can be rebuilt without re-grading. Each
report is one self-contained file (figures are data URIs). The class summary
adds the item analysis: which checks and exercises the class fails most.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean, median
from typing import get_args

import jinja2

from grader.core.feedback import Audience, for_audience
from grader.core.files import write_atomically
from grader.core.results import CheckResult, SubmissionResult, SubmissionStatus
from grader.core.regrades import Regrading
from grader.integrity.evidence import IntegrityReport, PairEvidence

STATUSES: tuple[str, ...] = get_args(SubmissionStatus)
OVERRIDE_FLAGGED = "override flagged"  # a re-grade changed the notebook or the automatic result under an override
FLAGS = ("timed out", "crashed", "tampered")  # "late" needs submission times, which are not recorded
HISTOGRAM_BINS = 10
LOST_OUTCOME_ORDER = ("failed", "error", "timeout", "crash", "skipped")  # most telling first


class ReportError(Exception):
    """Some reports could not be rendered or written; the others were."""


@dataclass(frozen=True)
class HistogramBin:
    label: str  # e.g. "60–69 %"
    count: int
    share: float  # count / the tallest bin's count, for the bar height


@dataclass(frozen=True)
class CheckStats:
    """How the class did on one check (item analysis)."""

    check: str
    description: str
    exercise: str
    max_points: float
    visibility: str
    attempts: int  # submissions the check ran on
    passed: int
    outcomes: list[tuple[str, int]]  # the other outcomes and how often, most frequent first
    discrimination: float | None  # correlation of passing with the rest of the score; None when undefined
    common_message: str  # the most frequent message of a submission that lost the check

    @property
    def pass_rate(self) -> float:
        return self.passed / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class ExerciseStats:
    exercise: str
    title: str
    attempts: int
    full_marks: int  # submissions with every point of the exercise
    mean_points: float
    max_points: float

    @property
    def pass_rate(self) -> float:
        return self.full_marks / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class AssignmentSummary:
    """One assignment over the submissions that matched it: scores, their spread, the item analysis."""

    assignment: str
    title: str
    submissions: int
    mean_score: float
    max_score: float
    median_score: float = 0.0
    histogram: tuple[HistogramBin, ...] = ()
    exercises: tuple[ExerciseStats, ...] = ()  # hardest first
    checks: tuple[CheckStats, ...] = ()  # most failed first


def templates_dir() -> Path:
    """Return the folder of report templates: the repo's, else the packaged copy."""
    repo_templates = Path(__file__).resolve().parents[2] / "templates"
    # Check for our own template, not just the folder: when installed as a
    # wheel, parents[2] is site-packages, which may hold any `templates/`.
    if (repo_templates / "report.html.j2").is_file():
        return repo_templates
    return Path(__file__).resolve().parents[1] / "templates"  # grader/templates in the wheel


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
    env.filters["flags"] = submission_flags
    return env


def render_submission(
    result: SubmissionResult,
    audience: Audience = "ta",
    integrity: list[PairEvidence] | None = None,
    template: str = "report.html.j2",
    index_href: str | None = None,
    **extra: object,
) -> str:
    """Return the HTML report of one submission as `audience` may read it (`integrity`: its flagged pairs,
    staff only; `template` may extend the report's)."""
    view = for_audience(result, audience)
    numbered = list(enumerate(view.figures, start=1))  # figure N has the anchor #figure-N
    placed = {exercise.id for exercise in view.exercises}
    return (
        environment()
        .get_template(template)
        .render(
            **extra,
            result=view,
            audience=audience,
            figures_of_exercise={e.id: [(n, f) for n, f in numbered if f.exercise == e.id] for e in view.exercises},
            figures_of_check={c: [(n, f) for n, f in numbered if f.check == c] for c in {f.check for f in view.figures}},
            unplaced_figures=[(n, f) for n, f in numbered if f.exercise not in placed],
            lost_checks=[
                (number, exercise, check)
                for number, exercise in enumerate(view.exercises, start=1)
                for check in exercise.checks
                if check.outcome != "passed" or check.points < check.max_points
            ],
            index_href=index_href or "../" * (result.submission.count("/") + 1) + "index.html",
            integrity=(integrity or []) if audience == "ta" else [],
            override_of={override.target: override for override in view.overrides},
        )
    )


def render_index(
    results: list[SubmissionResult],
    audience: Audience = "ta",
    integrity: IntegrityReport | None = None,
    regrading: Regrading | None = None,
    template: str = "index.html.j2",
    **extra: object,
) -> str:
    """Return the HTML class summary linking to every submission's report (the staff's: integrity included;
    `template` may extend the index's)."""
    return (
        environment()
        .get_template(template)
        .render(
            **extra,
            regrading=regrading,
            results=sorted(results, key=index_order),
            status_counts=count_statuses(results),
            flag_counts=count_flags(results),
            unsandboxed=unsandboxed_reasons(results),
            assignments=summarise_assignments(results),
            audience=audience,
            integrity=integrity,
        )
    )


def render_audit(entries: Sequence[object], **extra: object) -> str:
    """The review app's audit page: `entries` (AuditEntry rows, newest first) and the page's filters."""
    return environment().get_template("serve_audit.html.j2").render(entries=entries, **extra)


def unsandboxed_reasons(results: list[SubmissionResult]) -> list[tuple[str, int]]:
    """(why, how many) for the kernels that ran without the sandbox, most frequent reason first."""
    counts: Counter[str] = Counter(r.execution.unsandboxed for r in results if r.execution and r.execution.unsandboxed)
    return counts.most_common()


def submission_flags(result: SubmissionResult) -> list[str]:
    """What a TA should look at beyond the score: timed out, crashed, tampered (of FLAGS)."""
    cells = result.execution.cells if result.execution is not None else []
    outcomes = {check.outcome for exercise in result.exercises for check in exercise.checks}
    statuses = {cell.status for cell in cells}
    flags = []
    if "timeout" in statuses or "timeout" in outcomes:
        flags.append("timed out")
    if result.status == "kernel-died" or "crash" in statuses or "crash" in outcomes:
        flags.append("crashed")
    if result.locked_cells_changed:
        flags.append("tampered")
    if any(override.flag for override in result.overrides):
        flags.append(OVERRIDE_FLAGGED)
    return flags


def count_flags(results: list[SubmissionResult]) -> list[tuple[str, int]]:
    """Every flag of FLAGS with its count, and overrides a re-grade put in doubt when there are some."""
    counts: Counter[str] = Counter(flag for result in results for flag in submission_flags(result))
    return [(flag, counts[flag]) for flag in FLAGS] + [(OVERRIDE_FLAGGED, counts[OVERRIDE_FLAGGED])] * bool(counts[OVERRIDE_FLAGGED])


def index_order(result: SubmissionResult) -> tuple[str, str, str]:
    """Return the sort key of an index row: student, then assignment."""
    return (result.student.casefold(), result.assignment.casefold(), result.submission)


def count_statuses(results: list[SubmissionResult]) -> list[tuple[str, int]]:
    """Return (status, count) for every known status, then any unexpected ones."""
    counts: Counter[str] = Counter(result.status for result in results)
    extra = sorted(status for status in counts if status not in STATUSES)
    return [(status, counts[status]) for status in (*STATUSES, *extra)]


def summarise_assignments(results: list[SubmissionResult]) -> list[AssignmentSummary]:
    """Return each known assignment's scores and item analysis, ordered by assignment id."""
    groups: dict[str, list[SubmissionResult]] = {}
    for result in results:
        if result.assignment:
            groups.setdefault(result.assignment, []).append(result)
    return [_summarise(assignment, group) for assignment, group in sorted(groups.items())]


def _summarise(assignment: str, group: list[SubmissionResult]) -> AssignmentSummary:
    max_score = max(r.max_score for r in group)
    checked = [r for r in group if r.exercises]  # kernel-died still counts; invalid has no checks
    return AssignmentSummary(
        assignment=assignment,
        title=next((r.assignment_title for r in group if r.assignment_title), assignment),
        submissions=len(group),
        mean_score=fmean(r.score for r in group),
        max_score=max_score,
        median_score=median(r.score for r in group),
        histogram=score_histogram([r.score / r.max_score if r.max_score else 0.0 for r in group]),
        exercises=tuple(sorted(exercise_stats(checked), key=lambda e: (e.pass_rate, e.exercise))),
        checks=tuple(sorted(check_stats(checked), key=lambda c: (c.pass_rate, c.exercise, c.check))),
    )


def score_histogram(shares: list[float], bins: int = HISTOGRAM_BINS) -> tuple[HistogramBin, ...]:
    """Scores as shares of the maximum (0–1) counted in `bins` equal bins; full marks go in the last."""
    counts = [0] * bins
    for share in shares:
        counts[min(max(int(share * bins), 0), bins - 1)] += 1
    peak = max(counts, default=0) or 1
    width = 100 // bins
    labels = [f"{i * width}–{(i + 1) * width - 1} %" for i in range(bins - 1)] + [f"{(bins - 1) * width}–100 %"]
    return tuple(HistogramBin(label, count, count / peak) for label, count in zip(labels, counts))


def exercise_stats(results: list[SubmissionResult]) -> list[ExerciseStats]:
    """Per exercise: how many submissions got every point, and the mean points."""
    rows: dict[str, list[tuple[float, float]]] = {}
    titles: dict[str, str] = {}
    for result in results:
        for exercise in result.exercises:
            rows.setdefault(exercise.id, []).append((exercise.points, exercise.max_points))
            titles.setdefault(exercise.id, exercise.title or exercise.id)
    return [
        ExerciseStats(
            exercise=exercise,
            title=titles[exercise],
            attempts=len(points),
            full_marks=sum(1 for got, most in points if got >= most),
            mean_points=fmean(got for got, _ in points),
            max_points=max(most for _, most in points),
        )
        for exercise, points in rows.items()
    ]


def check_stats(results: list[SubmissionResult]) -> list[CheckStats]:
    """Per check: pass rate, how it was lost, and how well passing it goes with the rest of the score."""
    runs: dict[str, list[tuple[CheckResult, float]]] = {}
    for result in results:
        for exercise in result.exercises:
            for check in exercise.checks:
                runs.setdefault(check.id, []).append((check, result.score))
    stats = []
    for check_id, pairs in runs.items():
        first = pairs[0][0]
        lost = [check for check, _ in pairs if check.outcome != "passed"]
        stats.append(
            CheckStats(
                check=check_id,
                description=first.description,
                exercise=first.exercise,
                max_points=first.max_points,
                visibility=first.visibility,
                attempts=len(pairs),
                passed=len(pairs) - len(lost),
                outcomes=[(str(outcome), n) for outcome, n in Counter(check.outcome for check in lost).most_common()],
                discrimination=discrimination(
                    [check.outcome == "passed" for check, _ in pairs],
                    [score - check.points for check, score in pairs],
                ),
                common_message=common_message(lost),
            )
        )
    return stats


def common_message(lost: list[CheckResult]) -> str:
    """The message most submissions lost the check with; a wrong value says more than a crash."""
    counts = Counter((check.outcome, check.message) for check in lost if check.message)
    order = {outcome: rank for rank, outcome in enumerate(LOST_OUTCOME_ORDER)}
    ranked = sorted(counts, key=lambda key: (-counts[key], order.get(key[0], len(order))))
    return ranked[0][1] if ranked else ""


def discrimination(passed: list[bool], rest: list[float]) -> float | None:
    """Point-biserial correlation of passing a check with the rest of the score; None when undefined.

    Near 1: the students who pass it are those who do well elsewhere. Near 0 or
    negative: the check measures something else, or is broken.
    """
    if len(passed) < 3 or all(passed) or not any(passed):
        return None
    xs = [1.0 if p else 0.0 for p in passed]
    mean_x, mean_y = fmean(xs), fmean(rest)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, rest))
    spread = math.sqrt(sum((x - mean_x) ** 2 for x in xs) * sum((y - mean_y) ** 2 for y in rest))
    return covariance / spread if spread > 0 else None


def write_reports(
    results: list[SubmissionResult],
    out_dir: Path,
    audience: Audience = "ta",
    integrity: IntegrityReport | None = None,
    regrading: Regrading | None = None,
) -> None:
    """Write out_dir/<submission>/report.html for each result (for `audience`), then out_dir/index.html.

    One report that fails to render does not stop the others; the failures are
    raised together as a ReportError once everything else is written.
    """
    out_dir = Path(out_dir)
    failures: list[str] = []
    for result in results:
        try:
            pairs = integrity.pairs_of(result.submission) if integrity else []
            write_atomically(report_path(out_dir, result.submission), render_submission(result, audience, pairs))
        except (jinja2.TemplateError, OSError, ValueError) as exc:
            failures.append(f"{result.submission}: {type(exc).__name__}: {exc}")
    write_atomically(out_dir / "index.html", render_index(results, audience, integrity, regrading))
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
