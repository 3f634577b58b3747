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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from grader.authoring.release import release_assignment
from grader.authoring.selfcheck import check_notebook
from grader.authoring.validate import OTHER_SEEDS, parse_seeds, validate_assignment
from grader.cli.authoring import add_calibrate_parser, add_secret_parser
from grader.cli.console import (
    phase_line,
    print_self_check,
    print_validation,
    progress_bar,
    summary_table,
    warn_if_unsandboxed,
)
from grader.cli.options import add_kernel_options, execute_settings
from grader.cli.platforms import HELP as PACKAGE_HELP
from grader.cli.platforms import add_package_parser
from grader.cli.review import HELP as REVIEW_HELP
from grader.cli.review import add_export_parser, add_serve_parser
from grader.core.assignment import AssignmentError
from grader.core.feedback import AUDIENCES
from grader.core.markers import ReleaseError
from grader.execute.environments import EnvironmentProblem
from grader.execute.kernels import KernelNotFound
from grader.execute.sandbox import SandboxUnavailable
from grader.intake.lateness import (
    LatePolicy,
    parse_penalty,
    parse_percent,
    parse_time,
    read_extensions,
    read_submission_times,
)
from grader.intake.lms import IntakeError, require_source
from grader.pipeline import BatchOptions, grade_folder, rerender

USAGE_ERROR = 2
HELP = {  # one line per subcommand for `grade --help`
    "report": "re-render grades.csv, the exports and the HTML reports from the gradebook",
    "release": "write the student notebook and public checks of an assignment into assignments/",
    "validate": "reference gets full marks, blank gets zero, other training runs the same outcomes",
    "check": "students: run the public checks of your assignment on your notebook",
    **REVIEW_HELP,
    "package": PACKAGE_HELP,
}  # calibrate and secret: grader/cli/authoring.py
BATCH = BatchOptions()
LATE_CAP = LatePolicy(datetime.now(timezone.utc)).max_percent


def build_parser() -> argparse.ArgumentParser:
    """`grade` and its subcommands, each with generated help (`grade --help`, `grade validate --help`)."""
    parser = argparse.ArgumentParser(
        prog="grade",
        description="An autograder for PyTorch classification notebooks. `grade FOLDER` is `grade grade FOLDER`.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (
        _add_grade_parser, _add_report_parser, _add_release_parser, _add_validate_parser, _add_check_parser,
        add_calibrate_parser, add_secret_parser, add_serve_parser, add_export_parser, add_package_parser,
    ):
        add(commands)
    return parser


def _add_grade_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "grade",
        prog="grade",
        help="grade every notebook under FOLDER (the default command)",
        description=(
            "Grade every student notebook (.ipynb) under FOLDER: each runs in a fresh kernel, "
            "hidden pytest specs check what it defined, and scores, a SQLite gradebook and "
            "HTML reports are written to --out."
        ),
    )
    parser.set_defaults(run=grade_command)
    parser.add_argument(
        "folder",
        type=Path,
        help="folder of submissions (searched recursively for .ipynb files) or an LMS bulk download (.zip)",
    )
    parser.add_argument("--out", type=Path, default=BATCH.out, help="where results go (default: %(default)s)")
    parser.add_argument(
        "--solutions",
        type=Path,
        default=BATCH.solutions,
        help="folder of assignments (solutions/<id>/assignment.toml and specs/); default: ./solutions, else the bundled one",
    )
    add_kernel_options(parser)
    parser.add_argument(
        "--assignment",
        default=BATCH.assignment,
        metavar="ID",
        help="the batch's assignment: a notebook that nothing identifies (no metadata, tags or shared text) is graded as it",
    )
    parser.add_argument("--workers", type=int, default=BATCH.workers, help="submissions graded at once, each in its own kernel (default: the number of CPU cores)")
    parser.add_argument("--per-gpu", type=int, default=BATCH.per_gpu, help="with GPUs: at most this many workers share one GPU, the others use the CPU (default: %(default)s)")
    parser.add_argument("--dask", metavar="ADDRESS", default=None, help="grade on a Dask cluster, one task per submission (e.g. tcp://scheduler:8786)")
    parser.add_argument("--dask-gpu", action="store_true", help="with --dask: each task needs a worker with the resource GPU=1")
    parser.add_argument("--force", action="store_true", help="re-grade submissions even when notebook, specs and grader are unchanged")
    parser.add_argument("--no-decrease", action="store_true", help="a re-graded submission keeps the higher of its old and new score")
    _add_feedback_option(parser)
    _add_compare_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    late = parser.add_argument_group("deadline and late penalty")
    late.add_argument("--deadline", help="ISO 8601 time, e.g. 2025-03-01T23:59+01:00 (no offset: this computer's time zone)")
    late.add_argument("--late-penalty", help="percentage of the maximum score per started hour, day or week late, e.g. 10%%/day")
    late.add_argument("--max-late-penalty", default=f"{LATE_CAP:g}%", help="cap on the late penalty (default: %(default)s)")
    late.add_argument(
        "--submitted-at",
        type=Path,
        help="CSV with the columns student,submitted_at (student id or LMS name; ISO 8601 times)",
    )
    late.add_argument("--extensions", type=Path, help="CSV student,deadline: own deadlines, kept in the gradebook for later runs")


def _add_compare_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compare-with",
        type=Path,
        metavar="DIR",
        help="a folder of known solutions (.ipynb, .py: published solutions, earlier terms) every submission is "
        "compared with; matches are flagged for the staff in the Integrity section, never in a score",
    )


def _add_feedback_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--feedback",
        choices=AUDIENCES,
        default=BATCH.audience,
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
    if not argv or argv[0] not in COMMANDS | {"-h", "--help"}:
        argv = ["grade", *argv]  # `grade FOLDER` is the default command
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def grade_command(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    try:
        require_source(args.folder)
        options = batch_options(args)
    except ValueError as exc:  # IntakeError is a ValueError
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    try:
        warn_if_unsandboxed(options.settings, console)
        with progress_bar(console, enabled=not args.quiet) as (advance, on_plan):
            summary = grade_folder(args.folder, options, advance, on_plan)
    except (AssignmentError, KernelNotFound, IntakeError, SandboxUnavailable, EnvironmentProblem) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    Console().print(summary_table(summary))
    older = f", {summary.superseded} older notebook(s) not graded" if summary.superseded else ""
    older += f", {len(summary.changes)} changed on re-grade (changes.csv)" if summary.changes else ""
    console.print(
        f"{len(summary.results)} submission(s): {summary.regraded} graded, {summary.reused} unchanged{older} "
        f"in {summary.seconds:.1f} s. Reports: {escape(str(args.out / 'index.html'))}"
    )
    if summary.regraded:
        console.print(phase_line(summary.phases))
    return 0


def batch_options(args: argparse.Namespace) -> BatchOptions:
    """BatchOptions from the command line; ValueError naming the option, said to come from the command line."""
    settings = execute_settings(args)
    late, times = late_options(args)
    try:
        return BatchOptions(
            out=args.out, solutions=args.solutions, settings=settings, force=args.force, workers=args.workers,
            dask=args.dask, dask_gpu=args.dask_gpu, per_gpu=args.per_gpu, audience=args.feedback, assignment=args.assignment,
            late=late, submission_times=times, compare_with=args.compare_with, no_decrease=args.no_decrease,
            extensions=read_extensions(args.extensions) if args.extensions is not None else None,
        )
    except ValueError as exc:
        raise ValueError(f"{exc} (from the command line)") from None


def _add_report_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "report",
        prog="grade report",
        help=HELP["report"],
        description=(
            "Re-render grades.csv, the Gradescope exports and every HTML report from OUT/gradebook.sqlite, "
            "without re-grading."
        ),
    )
    parser.add_argument("out", type=Path, help="a results folder written by `grade FOLDER --out OUT`")
    _add_feedback_option(parser)
    _add_compare_option(parser)
    parser.set_defaults(run=report_command)


def report_command(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        if args.compare_with is not None and not args.compare_with.is_dir():
            raise FileNotFoundError(f"{args.compare_with}: not a folder of known solutions (from --compare-with)")
        count = rerender(args.out, args.feedback, args.compare_with)
    except FileNotFoundError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    view = " (student view)" if args.feedback == "student" else ""
    console.print(f"re-rendered {count} report(s){view}: {escape(str(args.out / 'index.html'))}")
    return 0


def _add_release_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "release",
        prog="grade release",
        help=HELP["release"],
        description=(
            "Write what students receive from an assignment's reference notebook: the student notebook "
            "(solutions replaced by placeholders, locked cells checksummed, outputs cleared) and the public checks."
        ),
    )
    parser.add_argument("solution", type=Path, help="an assignment folder (solutions/<id>) or its reference notebook")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: the assignments/ folder beside solutions/)")
    parser.set_defaults(run=release_command)


def release_command(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    try:
        release = release_assignment(args.solution, args.out)
    except (AssignmentError, ReleaseError) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    for path in release.files:
        Console(soft_wrap=True).print(escape(str(path)))
    console.print(f"released {release.assignment}: {len(release.files) + len(release.binaries)} file(s)")
    return 0


def _add_validate_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "validate",
        prog="grade validate",
        help=HELP["validate"],
        description=(
            "Grade an assignment's reference solution (full marks required), its released blank notebook "
            "(zero required, no check may crash) and the reference with other seeds, which also vary every seed "
            "the notebook sets (every check must end the same way); the calibration must be current. "
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
    parser.set_defaults(run=validate_command)


def validate_command(args: argparse.Namespace) -> int:
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
        except (AssignmentError, KernelNotFound, EnvironmentProblem) as exc:
            console.print(f"[red]error:[/] {escape(str(exc))}")
            return USAGE_ERROR
        print_validation(validation, console)
        valid = valid and validation.ok
    return 0 if valid else 1


def _add_check_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "check",
        prog="grade check",
        help=HELP["check"],
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
    parser.set_defaults(run=check_command)


def check_command(args: argparse.Namespace) -> int:
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


COMMANDS = {"grade", "report", "release", "validate", "check", "calibrate", "secret", "serve", "export", "package"}


if __name__ == "__main__":
    sys.exit(main())
