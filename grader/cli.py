"""The `grade` command: a thin layer over `grader.pipeline.grade_folder`.

Exits non-zero only on a usage error (bad option, missing folder, broken
assignment definitions), never because a submission failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.assignment import AssignmentError
from grader.discover import Submission
from grader.execute import ExecuteSettings, KernelNotFound
from grader.sandbox import Limits
from grader.feedback import AUDIENCES
from grader.pipeline import BatchSummary, default_solutions_dir, grade_folder, rerender
from grader.results import SubmissionResult

USAGE_ERROR = 2
DEFAULTS = ExecuteSettings()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grade",
        description=(
            "Grade every student notebook (.ipynb) under FOLDER: each runs in a fresh kernel, "
            "hidden pytest specs check what it defined, and scores, a SQLite gradebook and "
            "HTML reports are written to --out."
        ),
        epilog="Other commands: " + "; ".join(f"grade {usage} ({doc})" for usage, doc in COMMAND_HELP.items()),
    )
    parser.add_argument("folder", type=Path, help="folder of submissions, searched recursively for .ipynb files")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="where results go (default: reports/)")
    parser.add_argument(
        "--solutions",
        type=Path,
        default=None,
        help="folder of assignments (solutions/<id>/assignment.toml and specs/); default: ./solutions, else the bundled one",
    )
    parser.add_argument("--kernel", default=DEFAULTS.kernel_name, help="Jupyter kernel name (default: python3, the grader's own Python)")
    parser.add_argument("--cell-timeout", type=int, default=DEFAULTS.cell_timeout, help="seconds a cell may run (default: %(default)s)")
    parser.add_argument("--probe-timeout", type=int, default=DEFAULTS.probe_timeout, help="seconds one probe of a student object may take (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed, help="seed for Python, NumPy and torch before the student's code (default: %(default)s)")
    parser.add_argument("--submission-timeout", type=int, default=DEFAULTS.submission_timeout, help="seconds all cells of one notebook may take together (default: %(default)s)")
    parser.add_argument("--memory-mb", type=int, default=DEFAULTS.limits.memory_mb, help="address-space limit of a kernel in MiB, 0 for none (default: %(default)s)")
    parser.add_argument("--cpu-seconds", type=int, default=DEFAULTS.limits.cpu_seconds, help="CPU-time limit of a kernel, 0 for none (default: %(default)s)")
    parser.add_argument("--no-sandbox", action="store_true", help="do not use the bubblewrap sandbox even where it works (limits still apply)")
    parser.add_argument("--workers", type=int, default=None, help="submissions graded at once, each in its own kernel (default: the number of CPU cores)")
    parser.add_argument("--per-gpu", type=int, default=1, help="with GPUs: at most this many workers share one GPU, the others use the CPU (default: %(default)s)")
    parser.add_argument("--dask", metavar="ADDRESS", default=None, help="grade on a Dask cluster, one task per submission (e.g. tcp://scheduler:8786)")
    parser.add_argument("--dask-gpu", action="store_true", help="with --dask: each task needs a worker with the resource GPU=1")
    parser.add_argument("--force", action="store_true", help="re-grade submissions even when notebook, specs and grader are unchanged")
    _add_feedback_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _add_feedback_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--feedback",
        choices=AUDIENCES,
        default="ta",
        help=(
            "who the HTML reports are for: 'ta' (default) shows everything; 'student' shows every check's outcome "
            "and points but the messages of visible checks only, and no figure drawn over hidden data"
        ),
    )


def main(argv: list[str] | None = None) -> int:
    """`grade FOLDER …` grades; `grade COMMAND …` runs one of COMMANDS."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    return grade_command(argv)


def grade_command(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    if not args.folder.is_dir():
        console.print(f"[red]error:[/] submissions folder {escape(str(args.folder))} not found")
        return USAGE_ERROR
    try:
        settings = ExecuteSettings(
            kernel_name=args.kernel,
            cell_timeout=args.cell_timeout,
            probe_timeout=args.probe_timeout,
            submission_timeout=args.submission_timeout,
            seed=args.seed,
            limits=Limits(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds),
            isolate=not args.no_sandbox,
        )
        for name in ("workers", "per_gpu"):
            value = getattr(args, name)
            if value is not None and value < 1:
                raise ValueError(f"Invalid {name} {value}: must be at least 1")
    except ValueError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))} (from the command line)")
        return USAGE_ERROR
    try:
        summary = _grade_with_progress(args, settings, console)
    except (AssignmentError, KernelNotFound) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    Console().print(summary_table(summary))
    console.print(
        f"{len(summary.results)} submission(s): {summary.regraded} graded, {summary.reused} unchanged "
        f"in {summary.seconds:.1f} s. Reports: {escape(str(args.out / 'index.html'))}"
    )
    return 0


def _grade_with_progress(args: argparse.Namespace, settings: ExecuteSettings, console: Console) -> BatchSummary:
    solutions = args.solutions or default_solutions_dir()
    if args.quiet:
        return grade_folder(args.folder, args.out, solutions, settings, args.force, **_batch_options(args))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    total = len(list(args.folder.rglob("*.ipynb")))
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("grading", total=total)

        def advance(submission: Submission, result: SubmissionResult | None) -> None:
            if result is None:
                bar.update(task, description=f"grading {escape(submission.relative_path)}")
            else:
                bar.advance(task)

        return grade_folder(args.folder, args.out, solutions, settings, args.force, progress=advance, **_batch_options(args))


def _batch_options(args: argparse.Namespace) -> dict[str, Any]:
    """The grade_folder options that come straight from the command line."""
    return {
        "workers": args.workers,
        "dask": args.dask,
        "dask_gpu": args.dask_gpu,
        "per_gpu": args.per_gpu,
        "audience": args.feedback,
    }


def summary_table(summary: BatchSummary) -> Table:
    table = Table(title="Grades")
    for column in ("submission", "assignment", "score", "status", "message"):
        table.add_column(column, overflow="fold")
    for r in summary.results:
        cells = (r.submission, r.assignment or "—", f"{r.score:g} / {r.max_score:g}", r.status, r.message)
        table.add_row(*(Text(cell) for cell in cells))  # Text: student-made strings are not markup
    return table


def report_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="grade report",
        description=(
            "Re-render grades.csv, the Gradescope exports and every HTML report from OUT/gradebook.sqlite, "
            "without re-grading."
        ),
    )
    parser.add_argument("out", type=Path, help="a results folder written by `grade FOLDER --out OUT`")
    _add_feedback_option(parser)
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    try:
        count = rerender(args.out, args.feedback)
    except FileNotFoundError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    view = " (student view)" if args.feedback == "student" else ""
    console.print(f"re-rendered {count} report(s){view}: {escape(str(args.out / 'index.html'))}")
    return 0


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "report": report_command,
}
COMMAND_HELP = {  # usage -> what it does, for `grade --help`
    "report OUT [--feedback student]": "re-render grades.csv, the exports and the HTML reports from the gradebook",
}


if __name__ == "__main__":
    sys.exit(main())
