"""The review commands of `grade` (thin, like grader/cli/commands.py): `grade serve OUT` and `grade export OUT`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.core.feedback import AUDIENCES
from grader.intake.lateness import read_extensions
from grader.pipeline import apply_extensions
from grader.review.export import FORMATS, Export, export_grades
from grader.review.moodle_feedback import export_moodle_feedback
from grader.review.serve import LOOPBACK, ServeOptions, serve

USAGE_ERROR = 2
HELP = {
    "serve": "a local web app over the gradebook: override, comment, mark reviewed",
    "export": "fill the LMS's exported gradebook (Canvas, Moodle) or a CSV with the reviewed scores",
}


def add_serve_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        prog="grade serve",
        help=HELP["serve"],
        description=(
            "Serve the class summary and every report of OUT on this machine, with forms to override a check's or an "
            "exercise's points (with a reason), comment (from a bank per assignment), keep staff notes and mark "
            "submissions reviewed. Every change is recorded with --as NAME in the gradebook's audit table."
        ),
    )
    parser.add_argument("out", type=Path, help="a results folder written by `grade FOLDER --out OUT`")
    parser.add_argument("--as", dest="reviewer", required=True, metavar="NAME", help="who you are: the audit trail records it")
    parser.add_argument(
        "--host", default=LOOPBACK,
        help="address to listen on (default: %(default)s, this machine only; anything else is reachable by others and is warned about)",
    )
    parser.add_argument("--port", type=int, default=ServeOptions.port, help="port (default: %(default)s; 0: any free port)")
    parser.set_defaults(run=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    try:
        if not (args.out / "gradebook.sqlite").is_file():
            raise ValueError(f"{args.out / 'gradebook.sqlite'} not found; grade a folder into {args.out} first (grade FOLDER --out {args.out})")
        options = ServeOptions(args.out, args.reviewer, args.host, args.port)
    except ValueError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    if not options.local_only:
        console.print(
            f"[red]warning:[/] serving on {escape(options.host)}, beyond this machine: anyone who can reach it and has "
            "the token can change grades, and the connection is not encrypted. Prefer the default (127.0.0.1) "
            "with an SSH tunnel."
        )

    def announce(url: str) -> None:
        console.print(f"Reviewing {escape(str(args.out))} as {escape(options.reviewer)}. Open (Ctrl-C stops):")
        print(url, flush=True)

    try:
        serve(options, announce)
    except KeyboardInterrupt:
        console.print("stopped")
    except OSError as exc:
        console.print(f"[red]error:[/] cannot listen on {escape(options.host)}:{options.port}: {escape(str(exc))} (try --port 0)")
        return USAGE_ERROR
    return 0


def add_export_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "export",
        prog="grade export",
        help=HELP["export"],
        description=(
            "Fill the gradebook file your LMS exported (--gradebook) with the reviewed scores of one assignment "
            "(automatic + overrides − late penalty), matching students by the LMS id the intake recorded; every other "
            "cell is kept. Prints what changes; --dry-run writes nothing."
        ),
    )
    parser.add_argument("out", type=Path, help="a results folder written by `grade FOLDER --out OUT`")
    parser.add_argument(
        "--format", choices=(*FORMATS, "moodle-feedback"), required=True,
        help="canvas: gradebook CSV; moodle: grading worksheet; csv: plain; "
        "moodle-feedback: the zip of student reports for Moodle's 'Upload multiple feedback files in a zip'",
    )
    parser.add_argument(
        "--gradebook", type=Path, default=None, metavar="FILE",
        help="the file the LMS exported (needed for canvas and moodle; with moodle-feedback, the worksheet gives the names)",
    )
    parser.add_argument("--assignment", default=None, metavar="ID", help="which assignment (needed when OUT has several)")
    parser.add_argument("--column", default=None, help="the LMS column to fill (default: the one named like the assignment; Moodle: Grade)")
    parser.add_argument("--output", type=Path, default=None, metavar="FILE", help="where to write (default: OUT/export-FORMAT-ASSIGNMENT.csv)")
    parser.add_argument("--dry-run", action="store_true", help="only print what would change")
    parser.add_argument(
        "--comments", action="store_true",
        help="moodle: also fill 'Feedback comments' with the comments and override reasons students may read",
    )
    parser.add_argument(
        "--extensions", type=Path, default=None, metavar="FILE",
        help="CSV student,deadline: record these extensions and apply them in the recorded late policy first "
        "(grades.csv, reports and exports are rewritten; nothing is re-executed)",
    )
    parser.add_argument(
        "--feedback", choices=AUDIENCES, default="ta", help="with --extensions: who the rewritten HTML reports are for (default: %(default)s)"
    )
    parser.set_defaults(run=export_command)


def export_command(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    try:
        if args.extensions is not None:
            changed = apply_extensions(args.out, read_extensions(args.extensions), args.feedback)
            console.print(f"extensions recorded: {changed} result(s) settled again under the late policy")
        if args.format == "moodle-feedback":
            return _feedback_zip(args, console)
        export = export_grades(
            args.out, args.format, args.gradebook, args.assignment, args.column, args.output, args.dry_run, args.comments
        )
    except (ValueError, FileNotFoundError) as exc:  # ExportError is a ValueError
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    Console(soft_wrap=True).print(export_table(export))
    if export.unmatched:
        console.print(f"[yellow]not in the LMS file:[/] {escape(', '.join(export.unmatched))}")
    verb = "wrote" if export.written else "would write (dry run)"
    console.print(f"{verb} {escape(str(export.path))}: {len(export.changes)} grade(s) change in {escape(export.column)!s}")
    return 0


def _feedback_zip(args: argparse.Namespace, console: Console) -> int:
    written = export_moodle_feedback(args.out, args.assignment, args.gradebook, args.output, args.dry_run)
    if written.unmatched:
        console.print(f"[yellow]no Moodle participant id (left out):[/] {escape(', '.join(written.unmatched))}")
    verb = "wrote" if written.written else "would write (dry run)"
    console.print(
        f"{verb} {escape(str(written.path))}: the student-view reports of {len(written.folders)} participant(s) of "
        f"{escape(written.assignment)}; upload it under 'Upload multiple feedback files in a zip'"
    )
    return 0


def export_table(export: Export) -> Table:
    table = Table(title=f"{export.assignment}: {export.column}")
    for heading in ("student", "name", "old", "new"):
        table.add_column(heading)
    for change in export.changes:
        table.add_row(escape(change.student), escape(change.name), escape(change.old) or "—", escape(change.new))
    return table
