"""`grade calibrate` and `grade secret`: the instructor's commands around an assignment's hidden data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    Progress,
)
from rich.table import Table
from rich.text import Text

from grader.authoring.calibrate import DEFAULT_DRAWS, DEFAULT_SEEDS, Run, calibrate_assignment
from grader.authoring.calibration import (
    CALIBRATION_FILE,
    PASS_RATE_REQUIRED,
    Calibration,
    MeasuredCheck,
)
from grader.cli.console import bar_columns, warn_if_unsandboxed
from grader.cli.options import add_kernel_options, execute_settings
from grader.core import legacy
from grader.core.assignment import AssignmentError
from grader.core.secret import SECRET_FILE, write_secret
from grader.execute.kernels import KernelNotFound
from grader.execute.sandbox import SandboxUnavailable

USAGE_ERROR = 2


def add_calibrate_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "calibrate",
        prog="grade calibrate",
        help="measure the reference over training seeds and hidden draws; write calibration.json",
        description=(
            "Grade the reference solution with SEEDS training seeds (every seed the notebook sets is varied) "
            f"x DRAWS hidden draws, and the usual wrong answers; write {CALIBRATION_FILE} beside assignment.toml "
            "with each measured check's distribution, pass rate and suggested threshold. Resumes an interrupted run. "
            f"Exits 1 when the reference fails a check in more than {1 - PASS_RATE_REQUIRED:.0%} of its runs."
        ),
    )
    parser.add_argument("assignment", type=Path, metavar="SOLUTION", help="assignment folder, e.g. solutions/<id>")
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="training seeds (default: %(default)s)")
    parser.add_argument("--draws", type=int, default=DEFAULT_DRAWS, help="hidden draws per seed (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="runs at once, each in its own process (default: %(default)s)")
    add_kernel_options(parser)
    parser.set_defaults(run=calibrate_command)


def calibrate_command(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    try:
        settings = execute_settings(args)
        warn_if_unsandboxed(settings, console)
        for line in legacy.spec_imports(args.assignment):  # said first: they still work, and the run is long
            console.print(Text(f"deprecated: {line}"))
        with Progress(*bar_columns(), console=console, transient=True) as bar:
            task = bar.add_task(f"calibrating {escape(str(args.assignment))}", total=None)

            def advance(run: Run, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description=f"{run.variant}, seed {run.seed} done")

            calibration = calibrate_assignment(
                args.assignment, settings, args.seeds, args.draws, max(args.workers, 1), advance
            )
    except (ValueError, SandboxUnavailable, AssignmentError, KernelNotFound) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    print_calibration(calibration)
    console.print(
        f"{escape(calibration.assignment)}: {calibration.seeds} seeds x {calibration.draws} draws in "
        f"{calibration.seconds:.0f} s; wrote {escape(str(args.assignment / CALIBRATION_FILE))}"
    )
    return 1 if calibration.flagged else 0


def print_calibration(calibration: Calibration) -> None:
    out = Console(soft_wrap=True, width=160)
    if calibration.measured:
        out.print(calibration_table(calibration))
    always = sum(rate.passed == rate.runs for rate in calibration.pass_rates)
    out.print(Text(
        f"reference: {always} of {len(calibration.pass_rates)} checks pass in every one of its "
        f"{max((rate.runs for rate in calibration.pass_rates), default=0)} runs"
    ))
    for rate in calibration.pass_rates:
        if rate.flagged:
            out.print(Text(
                f"flag: the reference fails {rate.check} in {rate.runs - rate.passed} of {rate.runs} runs "
                f"(pass rate {rate.passed / rate.runs:.1%}, 95 % interval {rate.low:.1%}-{rate.high:.1%})"
                + (f": {rate.message}" if rate.message else "")
            ))
    print_wrong_answers(calibration, out)
    for judged, stated in _stated_pairs(calibration):
        gap = judged.mean - stated.mean
        out.print(Text(
            f"relation: {judged.check}: the reference scores {stated.mean:.2%} on the {stated.data} "
            f"({stated.count} points) and {judged.mean:.2%} on the {judged.data} ({judged.count} points): "
            + (f"the {judged.data} is {-gap * 100:.1f} points harder" if gap < -0.0005 else f"the {judged.data} is no harder")
        ))
    for measured in calibration.measured:
        if measured.judged and not measured.in_range:
            out.print(Text(f"flag: {measured.check}: the threshold is stricter than the suggested {_bounds(measured, True)}"))
        if measured.separates is False:
            out.print(Text(f"note: {measured.check}: a wrong answer also passes ({_wrong(measured)})"))
        if measured.judged and measured.count:
            out.print(Text(precision_line(measured)))


def print_wrong_answers(calibration: Calibration, out: Console) -> None:
    """Each wrong answer's pass rate on every check, and a flag for a check it passes that it must lose."""
    for variant in [v for v in calibration.variants if v != "reference"]:
        rates = [r for r in calibration.wrong_answers if r.variant == variant]
        passed = ", ".join(f"{r.check.split('::')[-1]} {r.passed}/{r.runs}" for r in rates)
        out.print(Text(f"wrong answer {variant}: passes {passed or 'no check'}"))
        for rate in rates:
            if rate.flagged:
                out.print(Text(
                    f"flag: the wrong answer {variant} passes {rate.check}, which it must lose, in {rate.passed} of "
                    f"{rate.runs} runs" + (f" (when it failed: {rate.message})" if rate.message else "")
                ))


def precision_line(m: MeasuredCheck) -> str:
    """What precision one measurement reaches, and how many distinct items ±0.5 points at 95 % would take."""
    distinct = m.items if m.items is not None and m.items < m.count else m.count
    source = f"{distinct} distinct items ({m.count} points)" if distinct < m.count else f"{m.count} independent points"
    needed = m.items_for_half_point
    reach = "reaches ±0.5 points" if distinct >= needed else f"±0.5 points would need {needed} distinct items"
    return (
        f"precision: {m.check} on the {m.data}: {source} give ±{m.precision * 100:.1f} points at 95 % "
        f"around {m.mean:.1%} (binomial over the points: ±{1.96 * m.binomial_error * 100:.1f}); {reach}"
    )


def _stated_pairs(calibration: Calibration) -> list[tuple[MeasuredCheck, MeasuredCheck]]:
    """(judged, stated) measurements of the same check and quantity: the hidden draw and the data the
    exercise states its criterion on (the notebook's own test split)."""
    stated = {(m.check, m.quantity): m for m in calibration.measured if not m.judged}
    return [(m, stated[(m.check, m.quantity)]) for m in calibration.measured if m.judged and (m.check, m.quantity) in stated]


def calibration_table(calibration: Calibration) -> Table:
    table = Table(title=f"grade calibrate {calibration.assignment}: {calibration.seeds} seeds x {calibration.draws} draws")
    for column in ("check", "data", "n", "min", "q05", "mean ± se", "max", "threshold", "passes (95 % CI)", "suggested", "wrong answers"):
        table.add_column(column, overflow="fold")
    for m in calibration.measured:
        cells = (
            m.check.split("::")[-1].removeprefix("test_"),
            m.data if m.judged else f"{m.data} (not judged)",
            str(m.count),
            f"{m.minimum:.1%}",
            f"{m.q05:.1%}",
            f"{m.mean:.2%} ± {m.standard_error:.2%}",
            f"{m.maximum:.1%}",
            _bounds(m, False) if m.judged else "—",
            f"{m.passed}/{m.runs} ({m.pass_low:.1%}-{m.pass_high:.1%})" if m.judged else "—",
            _bounds(m, True) if m.judged else "—",
            _wrong(m),
        )
        table.add_row(*(Text(cell) for cell in cells))
    return table


def _bounds(m: MeasuredCheck, suggested: bool) -> str:
    lower, upper = (m.suggested_lower, m.suggested_upper) if suggested else (m.lower, m.upper)
    parts = ([f"> {lower:.1%}"] if lower is not None else []) + ([f"< {upper:.1%}"] if upper is not None else [])
    return ", ".join(parts) or "—"


def _wrong(m: MeasuredCheck) -> str:
    return ", ".join(f"{variant} {value:.1%}" for variant, value in m.wrong.items()) or "—"


def add_secret_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "secret",
        prog="grade secret",
        help=f"create (or --rotate) the course secret the hidden draws come from ({SECRET_FILE})",
        description=(
            f"Write a random 128-bit secret to SOLUTIONS/{SECRET_FILE}. Every hidden draw is derived from it, so "
            "rotating it changes every hidden draw, re-grades every stored submission on the next batch and makes "
            "every calibration stale. Keep it with the instructor-only solutions; never release it."
        ),
    )
    parser.add_argument("solutions", type=Path, metavar="SOLUTIONS", help="the course's solutions folder")
    parser.add_argument("--rotate", action="store_true", help="replace an existing secret")
    parser.set_defaults(run=secret_command)


def secret_command(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)
    try:
        path = write_secret(args.solutions, rotate=args.rotate)
    except FileExistsError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return USAGE_ERROR
    console.print(f"wrote {escape(str(path))}; recalibrate with `grade calibrate` and commit calibration.json")
    return 0
