"""What the `grade` commands print: tables and verdicts for the terminal, built with rich.

Student-made strings (file names, messages) always go in as `Text`, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from grader.authoring.validate import Validation
from grader.core.results import SubmissionResult
from grader.core.phases import PHASES, Phases
from grader.core.settings import ExecuteSettings
from grader.execute.sandbox import unsandboxed_reason
from grader.intake.discover import Submission
from grader.pipeline import BatchSummary


def warn_if_unsandboxed(settings: ExecuteSettings, console: Console) -> None:
    """Say before anything runs that kernels will not be isolated, and why; raise SandboxUnavailable under required."""
    reason = unsandboxed_reason(settings.sandbox)
    if reason:
        console.print(
            f"[bold red]warning: student code will run WITHOUT the sandbox[/] ({escape(reason)}): it can read what "
            "you can read, reach the network and signal your processes. Use --sandbox required to refuse instead."
        )


def summary_table(summary: BatchSummary) -> Table:
    table = Table(title="Grades")
    for column in ("submission", "assignment", "score", "status", "message"):
        table.add_column(column, overflow="fold")
    for r in summary.results:
        cells = (r.submission, r.assignment or "—", f"{r.score:g} / {r.max_score:g}", r.status, r.message)
        table.add_row(*(Text(cell) for cell in cells))  # Text: student-made strings are not markup
    return table


def phase_line(totals: Phases) -> str:
    """One line: the seconds each phase took, summed over the submissions graded (drawing and record off the workers)."""
    parts = [f"{name.replace('_', ' ')} {getattr(totals, name):.1f}" for name in PHASES]
    return f"Time by phase (s, all submissions): {', '.join(parts)}"


def print_validation(validation: Validation, console: Console) -> None:
    """The table and the violations on stdout, the verdict on `console`."""
    out = Console(soft_wrap=True)
    out.print(validation_table(validation))
    for problem in validation.problems:
        out.print(Text(f"violation: {problem}"))
    for line in validation.old_imports:
        out.print(Text(f"deprecated: {line}"))
    verdict = "valid" if validation.ok else f"INVALID ({len(validation.problems)} violation(s))"
    console.print(f"{escape(validation.assignment.id)}: {verdict} in {validation.seconds:.1f} s")


def validation_table(validation: Validation) -> Table:
    table = Table(title=f"grade validate {validation.assignment.id}")
    for column in ("run", "seed", "expected", "score", "checks", "public", "time", "verdict"):
        table.add_column(column, overflow="fold", no_wrap=column in ("run", "score", "time", "verdict"))
    for run in validation.runs:
        outcomes = ", ".join(f"{count} {outcome}" for outcome, count in sorted(run.outcomes().items()))
        public = run.public_passed()
        cells = (
            run.label,
            str(run.seed),
            run.expected,
            f"{run.result.score:g} / {run.result.max_score:g}",
            outcomes or "—",
            f"{public[0]} of {public[1]}" if public else "—",
            f"{run.result.seconds:.1f} s",
            "ok" if not run.problems else "VIOLATION",
        )
        table.add_row(*(Text(cell) for cell in cells))
    return table


def print_self_check(result: SubmissionResult) -> bool:
    """The per-exercise table, each public check that did not pass, and a summary; True when all passed."""
    out = Console(soft_wrap=True)
    out.print(self_check_table(result))
    checks = [c for e in result.exercises for c in e.checks]
    for check in checks:
        if check.outcome != "passed":
            out.print(Text(f"✗ {check.description} ({check.id}): {check.outcome}: {check.message}"))
    if result.message:
        out.print(Text(f"note: {result.message}"))
    for note in result.notes:
        if note.startswith("the course uses"):
            out.print(Text(f"note: {note}"))
    passed = sum(c.outcome == "passed" for c in checks)
    out.print(Text(
        f"{passed} of {len(checks)} public checks passed. "
        "Public checks are not your grade: hidden checks on hidden data decide it."
    ))
    return passed == len(checks)


def self_check_table(result: SubmissionResult) -> Table:
    table = Table(title=f"public checks of {result.assignment}: {result.path}")
    for column in ("exercise", "passed", "status"):
        table.add_column(column, overflow="fold")
    for exercise in result.exercises:
        passed = sum(c.outcome == "passed" for c in exercise.checks)
        status = "ok" if passed == len(exercise.checks) else "to do"
        table.add_row(Text(exercise.title), Text(f"{passed} of {len(exercise.checks)}"), Text(status))
    return table


Advance = Callable[[Submission, SubmissionResult | None], None]


def bar_columns() -> tuple[TextColumn, BarColumn, MofNCompleteColumn, TimeElapsedColumn]:
    """The columns of every progress bar the commands show: what runs, the bar, done of total, time."""
    return TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()


@contextmanager
def progress_bar(console: Console, enabled: bool = True) -> Iterator[tuple[Advance | None, Callable[[int], None] | None]]:
    """A transient bar for a batch: (called per submission, told the total), or (None, None) when disabled."""
    if not enabled:
        yield None, None
        return
    with Progress(*bar_columns(), console=console, transient=True) as bar:
        task = bar.add_task("grading", total=None)

        def advance(submission: Submission, result: SubmissionResult | None) -> None:
            if result is None:
                bar.update(task, description=f"grading {escape(submission.relative_path)}")
            else:
                bar.advance(task)

        yield advance, lambda total: bar.update(task, total=total)
