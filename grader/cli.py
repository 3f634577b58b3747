"""The `grade` command: a thin layer over the library (`grader.pipeline.grade_folder` and one function per subcommand).

`grade FOLDER` exits non-zero only on a usage error (bad option, missing folder,
broken assignment definitions), never because a submission failed. `grade validate`
and `grade check` exit 1 when what they check does not hold, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.assignment import AssignmentError
from grader.discover import Submission
from grader.kernels import KernelNotFound
from grader.settings import KERNEL_STARTS, ExecuteSettings
from grader.sandbox import SANDBOX_MODES, Limits, SandboxUnavailable, unsandboxed_reason
from grader.feedback import AUDIENCES
from grader.intake import IntakeError, require_source
from grader.lateness import LatePolicy, parse_penalty, parse_percent, parse_time, read_submission_times
from grader.pipeline import BatchSummary, default_solutions_dir, grade_folder, rerender
from grader.release import ReleaseError, release_assignment
from grader.results import SubmissionResult
from grader.selfcheck import check_notebook
from grader.validate import OTHER_SEEDS, Validation, validate_assignment

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
    parser.add_argument(
        "folder",
        type=Path,
        help="folder of submissions (searched recursively for .ipynb files) or an LMS bulk download (.zip)",
    )
    parser.add_argument("--out", type=Path, default=Path("reports"), help="where results go (default: reports/)")
    parser.add_argument(
        "--solutions",
        type=Path,
        default=None,
        help="folder of assignments (solutions/<id>/assignment.toml and specs/); default: ./solutions, else the bundled one",
    )
    add_kernel_options(parser)
    parser.add_argument("--workers", type=int, default=None, help="submissions graded at once, each in its own kernel (default: the number of CPU cores)")
    parser.add_argument("--per-gpu", type=int, default=1, help="with GPUs: at most this many workers share one GPU, the others use the CPU (default: %(default)s)")
    parser.add_argument("--dask", metavar="ADDRESS", default=None, help="grade on a Dask cluster, one task per submission (e.g. tcp://scheduler:8786)")
    parser.add_argument("--dask-gpu", action="store_true", help="with --dask: each task needs a worker with the resource GPU=1")
    parser.add_argument("--force", action="store_true", help="re-grade submissions even when notebook, specs and grader are unchanged")
    _add_feedback_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    late = parser.add_argument_group("deadline and late penalty")
    late.add_argument("--deadline", help="ISO 8601 time, e.g. 2025-03-01T23:59+01:00 (no offset: this computer's time zone)")
    late.add_argument("--late-penalty", help="percentage of the maximum score per started hour, day or week late, e.g. 10%%/day")
    late.add_argument("--max-late-penalty", default="100%", help="cap on the late penalty (default: %(default)s)")
    late.add_argument(
        "--submitted-at",
        type=Path,
        help="CSV with the columns student,submitted_at (student id or LMS name; ISO 8601 times)",
    )
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


def late_options(args: argparse.Namespace) -> tuple[LatePolicy | None, dict[str, datetime]]:
    """The late policy and the submission times the options ask for; ValueError naming the option."""
    if args.deadline is None:
        if args.late_penalty is not None:
            raise ValueError("--late-penalty needs --deadline")
        policy = None
    else:
        rate, unit = parse_penalty(args.late_penalty, "--late-penalty") if args.late_penalty else (0.0, "day")
        policy = LatePolicy(
            deadline=parse_time(args.deadline, "--deadline"),
            percent_per_unit=rate,
            unit=unit,
            max_percent=parse_percent(args.max_late_penalty, "--max-late-penalty"),
        )
    times = read_submission_times(args.submitted_at) if args.submitted_at is not None else {}
    return policy, times


def main(argv: list[str] | None = None) -> int:
    """`grade FOLDER …` grades; `grade COMMAND …` runs one of COMMANDS."""
    argv = sys.argv[1:] if argv is None else argv
    if threading.current_thread() is threading.main_thread():
        # SIGTERM unwinds like Ctrl-C, so the batch writes grades.csv and the index for what finished
        signal.signal(signal.SIGTERM, _terminate)
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    return grade_command(argv)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def grade_command(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)
    try:
        require_source(args.folder)
        settings = execute_settings(args)
        late, times = late_options(args)
    except ValueError as exc:  # IntakeError is a ValueError
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    try:
        warn_if_unsandboxed(settings, console)
        summary = _grade_with_progress(args, settings, console, late, times)
    except (AssignmentError, KernelNotFound, IntakeError, SandboxUnavailable) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    Console().print(summary_table(summary))
    older = f", {summary.superseded} older notebook(s) not graded" if summary.superseded else ""
    console.print(
        f"{len(summary.results)} submission(s): {summary.regraded} graded, {summary.reused} unchanged{older} "
        f"in {summary.seconds:.1f} s. Reports: {escape(str(args.out / 'index.html'))}"
    )
    return 0


def warn_if_unsandboxed(settings: ExecuteSettings, console: Console) -> None:
    """Say before anything runs that kernels will not be isolated, and why; raise SandboxUnavailable under required."""
    reason = unsandboxed_reason(settings.sandbox)
    if reason:
        console.print(
            f"[bold red]warning: student code will run WITHOUT the sandbox[/] ({escape(reason)}): it can read what "
            "you can read, reach the network and signal your processes. Use --sandbox required to refuse instead."
        )


def add_kernel_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that runs notebooks shares."""
    parser.add_argument("--kernel", default=DEFAULTS.kernel_name, help="Jupyter kernel name (default: python3, the grader's own Python)")
    parser.add_argument("--cell-timeout", type=int, default=DEFAULTS.cell_timeout, help="seconds a cell may run (default: %(default)s)")
    parser.add_argument("--probe-timeout", type=int, default=DEFAULTS.probe_timeout, help="seconds one probe of a student object may take (default: %(default)s)")
    parser.add_argument("--submission-timeout", type=int, default=DEFAULTS.submission_timeout, help="seconds all cells of one notebook may take together (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed, help="seed for Python, NumPy and torch before the student's code (default: %(default)s)")
    parser.add_argument("--memory-mb", type=int, default=DEFAULTS.limits.memory_mb, help="address-space limit of a kernel in MiB, 0 for none (default: %(default)s)")
    parser.add_argument("--cpu-seconds", type=int, default=DEFAULTS.limits.cpu_seconds, help="CPU-time limit of a kernel, 0 for none (default: %(default)s)")
    parser.add_argument(
        "--sandbox",
        choices=SANDBOX_MODES,
        default=DEFAULTS.sandbox,
        help="auto: isolate kernels in a bubblewrap sandbox where it works, say so loudly where it does not; "
        "required: refuse to grade unisolated; off: no sandbox (limits still apply) (default: %(default)s)",
    )
    parser.add_argument("--no-sandbox", dest="sandbox", action="store_const", const="off", help="the same as --sandbox off")
    parser.add_argument(
        "--kernel-start",
        choices=KERNEL_STARTS,
        default=DEFAULTS.kernel_start,
        help="fork: fork each kernel from a sandboxed template that imported torch and friends once; "
        "launch: start each kernel as a new process (default: %(default)s; fork needs bubblewrap, else launch)",
    )


def execute_settings(args: argparse.Namespace) -> ExecuteSettings:
    """ExecuteSettings from the kernel options; ValueError saying the value came from the command line."""
    try:
        for name in ("workers", "per_gpu"):
            value = getattr(args, name, None)
            if value is not None and value < 1:
                raise ValueError(f"Invalid {name} {value}: must be at least 1")
        return ExecuteSettings(
            kernel_name=args.kernel,
            cell_timeout=args.cell_timeout,
            probe_timeout=args.probe_timeout,
            submission_timeout=args.submission_timeout,
            seed=args.seed,
            limits=Limits(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds),
            sandbox=args.sandbox,
            kernel_start=args.kernel_start,
        )
    except ValueError as exc:
        raise ValueError(f"{exc} (from the command line)") from None


def _grade_with_progress(
    args: argparse.Namespace,
    settings: ExecuteSettings,
    console: Console,
    late: LatePolicy | None,
    times: dict[str, datetime],
) -> BatchSummary:
    solutions = args.solutions or default_solutions_dir()
    if args.quiet:
        return grade_folder(args.folder, args.out, solutions, settings, args.force, **_batch_options(args, late, times))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("grading", total=None)

        def advance(submission: Submission, result: SubmissionResult | None) -> None:
            if result is None:
                bar.update(task, description=f"grading {escape(submission.relative_path)}")
            else:
                bar.advance(task)

        return grade_folder(
            args.folder, args.out, solutions, settings, args.force, progress=advance,
            on_plan=lambda total: bar.update(task, total=total), **_batch_options(args, late, times),
        )


def _batch_options(args: argparse.Namespace, late: LatePolicy | None, times: dict[str, datetime]) -> dict[str, Any]:
    """The grade_folder options that come straight from the command line."""
    return {
        "workers": args.workers,
        "dask": args.dask,
        "dask_gpu": args.dask_gpu,
        "per_gpu": args.per_gpu,
        "audience": args.feedback,
        "late": late,
        "submission_times": times,
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


def release_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="grade release",
        description=(
            "Write what students receive from an assignment's reference notebook: the student notebook "
            "(solutions replaced by placeholders, locked cells checksummed, outputs cleared) and the public checks."
        ),
    )
    parser.add_argument("solution", type=Path, help="an assignment folder (solutions/<id>) or its reference notebook")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: the assignments/ folder beside solutions/)")
    args = parser.parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)
    try:
        release = release_assignment(args.solution, args.out)
    except (AssignmentError, ReleaseError) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    for path in release.files:
        Console(soft_wrap=True).print(escape(str(path)))
    console.print(f"released {release.assignment}: {len(release.files)} file(s)")
    return 0


def validate_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="grade validate",
        description=(
            "Grade an assignment's reference solution (full marks required), its released blank notebook "
            "(zero required, no check may crash) and the reference with other seeds (same score required). "
            "Exits 1 on any violation."
        ),
    )
    parser.add_argument(
        "assignments", type=Path, nargs="+", metavar="ASSIGNMENT", help="assignment folder(s), e.g. solutions/<id>"
    )
    add_kernel_options(parser)
    parser.add_argument(
        "--seeds", default=",".join(map(str, OTHER_SEEDS)), help="the other seeds, comma-separated (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)
    try:
        settings = execute_settings(args)
        seeds = parse_seeds(args.seeds)
        warn_if_unsandboxed(settings, console)
    except (ValueError, SandboxUnavailable) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    valid = True
    for folder in args.assignments:
        try:
            validation = validate_assignment(
                folder, settings, seeds, progress=lambda run: console.print(f"{escape(str(folder))}: {run} …")
            )
        except (AssignmentError, KernelNotFound) as exc:
            console.print(f"[red]error:[/] {escape(str(exc))}")
            return USAGE_ERROR
        print_validation(validation, console)
        valid = valid and validation.ok
    return 0 if valid else 1


def parse_seeds(text: str) -> list[int]:
    """'1,2' -> [1, 2]; ValueError naming --seeds."""
    try:
        return [int(seed) for seed in text.split(",") if seed.strip()]
    except ValueError:
        raise ValueError(f"Invalid --seeds {text!r}: give whole numbers separated by commas, e.g. 1,2") from None


def print_validation(validation: Validation, console: Console) -> None:
    """The table and the violations on stdout, the verdict on `console`."""
    out = Console(soft_wrap=True)
    out.print(validation_table(validation))
    for problem in validation.problems:
        out.print(Text(f"violation: {problem}"))
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


def check_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="grade check",
        description=(
            "Run your notebook the way the grader does and check it with the assignment's public checks. "
            "These are not your grade: hidden checks on hidden data decide it. Exits 1 when a public check does not pass."
        ),
    )
    parser.add_argument("notebook", type=Path, help="your notebook (.ipynb)")
    parser.add_argument(
        "--public",
        type=Path,
        default=None,
        help="the released assignment folder holding public_specs/ (default: beside the notebook, else ./assignments)",
    )
    add_kernel_options(parser)
    args = parser.parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)
    try:
        settings = execute_settings(args)
        result = check_notebook(args.notebook, args.public, settings)
    except (ValueError, FileNotFoundError, KernelNotFound) as exc:  # AssignmentError is a ValueError
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    if result.status not in ("graded", "kernel-died"):
        Console(soft_wrap=True).print(Text(f"{args.notebook}: {result.status}: {result.message}"))
        return 1
    return 0 if print_self_check(result) else 1


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


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "report": report_command,
    "release": release_command,
    "validate": validate_command,
    "check": check_command,
}
COMMAND_HELP = {  # usage -> what it does, for `grade --help`
    "report OUT [--feedback student]": "re-render grades.csv, the exports and the HTML reports from the gradebook",
    "release SOLUTION": "write the student notebook and public checks of an assignment into assignments/",
    "validate ASSIGNMENT": "reference gets full marks, blank gets zero, other seeds the same score",
    "check NOTEBOOK": "students: run the public checks of your assignment on your notebook",
}


if __name__ == "__main__":
    sys.exit(main())
