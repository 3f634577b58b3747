"""`grade package gradescope|prairielearn SOLUTION`: an assignment packaged for the platform that collects the work."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from grader.core.assignment import AssignmentError
from grader.core.secret import SecretMissing
from grader.intake.lateness import parse_penalty, parse_percent
from grader.platforms.bundle import DEFAULT_TORCH_INDEX, HIDDEN_VISIBILITIES, PackageError
from grader.platforms.gradescope import package_gradescope
from grader.platforms.prairielearn import DEFAULT_IMAGE, DEFAULT_TIMEOUT, package_prairielearn

USAGE_ERROR = 2
HELP = "package an assignment as a Gradescope autograder (zip) or a PrairieLearn external-graded question"


def add_package_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "package",
        prog="grade package",
        help=HELP,
        description=(
            "Write what a platform needs to grade an assignment the moment a student submits: gradescope writes "
            "autograder.zip (setup.sh, run_autograder, the grader's wheel, this assignment's specs and derived secret); "
            "prairielearn writes a question folder and its serverFilesCourse files."
        ),
    )
    parser.add_argument("platform", choices=("gradescope", "prairielearn"))
    parser.add_argument("solution", type=Path, metavar="SOLUTION", help="an assignment folder (solutions/<id>) or its reference notebook")
    parser.add_argument("--out", type=Path, default=None, help="the zip (gradescope; default: autograder.zip) or folder (prairielearn; default: prairielearn/)")
    parser.add_argument(
        "--torch-index", default=DEFAULT_TORCH_INDEX,
        help="the package index setup.sh installs torch from; '' for pip's own configuration (default: %(default)s)",
    )
    parser.add_argument(
        "--hidden-visibility", choices=HIDDEN_VISIBILITIES, default="after_published",
        help="gradescope: when students see the hidden checks' tests (default: %(default)s)",
    )
    parser.add_argument("--late-penalty", help="gradescope: percentage per started hour, day or week after the due date, e.g. 10%%/day")
    parser.add_argument("--max-late-penalty", default="100%", help="gradescope: cap on the late penalty (default: %(default)s)")
    parser.add_argument("--image", default=DEFAULT_IMAGE, help="prairielearn: the grading image (built from serverFilesCourse/nbgrade/Dockerfile; default: %(default)s)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="prairielearn: seconds a grading job may take (default: %(default)s)")
    parser.set_defaults(run=package_command)


def package_command(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    try:
        if args.platform == "gradescope":
            rate, unit = parse_penalty(args.late_penalty, "--late-penalty") if args.late_penalty else (0.0, "day")
            written = package_gradescope(
                args.solution, args.out or Path("autograder.zip"), args.torch_index, args.hidden_visibility,
                rate, unit, parse_percent(args.max_late_penalty, "--max-late-penalty"),
            )
        else:
            written = package_prairielearn(args.solution, args.out or Path("prairielearn"), args.image, args.timeout, args.torch_index)
    except (AssignmentError, PackageError, SecretMissing, ValueError) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    Console(soft_wrap=True).print(escape(str(written)))
    return 0
