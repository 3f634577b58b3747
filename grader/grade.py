"""Grading one submission: read → identify → execute → probe and check → figures.

The batch (grader/pipeline.py and its pool), `grade validate`, `grade check`
and the Dask task all call `grade_submission`, which never raises: whatever
goes wrong becomes the result's status and message. The pool calls its two
halves, `grade_undrawn` (everything that needs the kernel) and `draw` (matplotlib,
in a background process), so that no worker waits for the figures. Each stage's
time goes to the result's `phases`.
"""

from __future__ import annotations

import functools
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata

from grader.check.collector import run_checks
from grader.core.assignment import Assignment
from grader.core.kernel_needs import environment_differences
from grader.core.results import ExecutionResult, SubmissionResult, summary_message
from grader.core.phases import Phases
from grader.core.settings import ExecuteSettings
from grader.execute.fallback import kept_execution
from grader.execute.kernels import KernelSupply, PreparedKernel, require_environment
from grader.intake.discover import Submission, identify, read_notebook
from grader.intake.tamper import locked_cell_changes
from grader.probe.figure_requests import PlotData
from grader.probe.probe import Probe
from grader.probe.sections import exercise_starts
from grader.report.plots import draw_figures


@functools.lru_cache(maxsize=1)
def grader_version() -> str:
    try:
        return metadata.version("nbgrade-torch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def new_result(submission: Submission) -> SubmissionResult:
    """An empty result for `submission`, before anything is known about it."""
    return SubmissionResult(
        submission=submission.id,
        student=submission.student,
        student_name=submission.student_name,
        path=submission.relative_path,
        assignment="",
        assignment_title="",
        identified_by="",
        status="invalid",
        message="",
        score=0.0,
        max_score=0.0,
        notebook_hash=submission.notebook_hash,
        grader_version=grader_version(),
        graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


@dataclass
class Undrawn:
    """A submission graded up to its figures: the result, and the plot data its figures are drawn from."""

    result: SubmissionResult
    plots: list[PlotData] = field(default_factory=list)


class Laps:
    """A stopwatch over `phases`: each lap adds the time since the previous one to a phase."""

    def __init__(self, phases: Phases) -> None:
        self.phases, self.last = phases, time.perf_counter()

    def lap(self, phase: str) -> float:
        """The seconds since the previous lap, which are added to `phase`."""
        now = time.perf_counter()
        spent, self.last = now - self.last, now
        setattr(self.phases, phase, getattr(self.phases, phase) + spent)
        return spent


def grade_submission(
    submission: Submission,
    assignments: list[Assignment],
    settings: ExecuteSettings,
    supply: KernelSupply | None = None,
    with_probe: Callable[[Probe], None] | None = None,
    assume: bool = False,
) -> SubmissionResult:
    """Execute, probe and check one notebook and draw its figures; never raises.

    `assume`: with a single assignment, a notebook nothing identifies (no metadata, tags or
    shared text) is graded as that assignment (`grade --assignment`, `grade check`).

    `supply` hands out kernels launched ahead; by default one is launched for this notebook.
    `with_probe`, when given, is called with the live probe after the hidden checks, before
    the kernel shuts down (`grade validate` runs the public checks there too).
    """
    return draw(grade_undrawn(submission, assignments, settings, supply, with_probe, assume))


def grade_undrawn(
    submission: Submission,
    assignments: list[Assignment],
    settings: ExecuteSettings,
    supply: KernelSupply | None = None,
    with_probe: Callable[[Probe], None] | None = None,
    assume: bool = False,
) -> Undrawn:
    """The submission graded, its kernel released, and the data of the figures still to be drawn; never raises.

    The arguments are `grade_submission`'s."""
    started = time.perf_counter()
    result = new_result(submission)
    undrawn = Undrawn(result)
    try:
        _grade_into(undrawn, submission, assignments, settings, supply, with_probe, assume)
    except Exception as exc:  # a grader bug must not stop the batch
        result.status = "grader-error"
        result.message = f"the grader failed: {type(exc).__name__}: {exc}"
        result.exercises, result.figures, undrawn.plots = [], [], []
        traceback.print_exc()
    result.seconds = round(time.perf_counter() - started, 3)
    _round_phases(result)
    return undrawn


def draw(undrawn: Undrawn) -> SubmissionResult:
    """The result with its figures drawn from the plot data (and a note for each that could not be)."""
    result = undrawn.result
    if not undrawn.plots:
        return result
    started = time.perf_counter()
    result.figures, drawing_notes = draw_figures(undrawn.plots)
    result.notes += drawing_notes
    drawing = time.perf_counter() - started
    result.phases.drawing = round(drawing, 3)
    result.figure_seconds = round(result.figure_seconds + drawing, 3)
    return result


def _round_phases(result: SubmissionResult) -> None:
    """Round the worker's phases to milliseconds and make `other` the rest, so that they sum to `seconds`."""
    phases = result.phases
    phases.other = 0.0
    for name, value in vars(phases).items():
        setattr(phases, name, round(value, 3))
    phases.other = round(max(0.0, result.seconds - phases.worker_total()), 3)


def _grade_into(
    undrawn: Undrawn,
    submission: Submission,
    assignments: list[Assignment],
    settings: ExecuteSettings,
    supply: KernelSupply | None,
    with_probe: Callable[[Probe], None] | None = None,
    assume: bool = False,
) -> None:
    result = undrawn.result
    laps = Laps(result.phases)
    nb, problem = read_notebook(submission.path)
    if nb is None:
        result.status, result.message = "invalid", problem
        return
    identification = identify(nb, assignments)
    result.identified_by = identification.how
    assignment = identification.assignment
    if assignment is None and assume and len(assignments) == 1:
        assignment = assignments[0]
        result.identified_by = f"graded as {assignment.id}, the assignment given for the batch ({identification.how})"
    if assignment is None:
        result.status = "unknown-assignment"
        result.message = "could not tell which assignment this notebook is: " + identification.how
        return
    result.assignment, result.assignment_title = assignment.id, assignment.title
    result.spec_hash = assignment.spec_hash()
    result.locked_cells_changed = locked_cell_changes(nb, assignment.notebook)
    built = require_environment(settings)  # built before the batch; here read from the cache
    laps.lap("read")
    began = laps.last
    kernel = supply.take() if supply else None  # which also starts the next submission's kernel
    laps.lap("kernel_wait")
    with kept_execution(nb, settings, kernel, built) as (live, choice):
        _split_start(result.phases, laps, began, kernel, live.result, choice.fallback_seconds)
        result.environment_choice = choice
        if choice.graded_in == "course" and built is not None:  # in the grader's own, no kernel environment is recorded
            result.environment, result.environment_versions = built.key, dict(built.versions)
        result.sections = exercise_starts(nb, assignment, live.result.cells)
        probe = Probe(live, assignment, live.result.cells, result.sections)
        result.exercises = run_checks(assignment, probe, result.predictions)
        laps.lap("checks")
        result.digests = probe.object_digests()  # staff only, for the integrity stage; never changes a score
        laps.lap("digests")
        undrawn.plots, figure_notes = probe.illustrations()  # after every check: a figure never changes an outcome
        environment = environment_differences(assignment, live.result.versions)
        fallback = [choice.reason] if choice.reason else []
        result.notes = [*([problem] if problem else []), *fallback, *environment, *probe.notes(), *figure_notes]
        result.resolutions = list(probe.resolutions.values())
        result.execution = live.result
        result.figure_seconds = round(laps.lap("figures"), 3)
        if with_probe:
            with_probe(probe)
            laps.lap("checks")
    laps.lap("shutdown")
    result.score = sum(e.points for e in result.exercises)
    result.max_score = sum(e.max_points for e in result.exercises)
    result.status = "kernel-died" if live.result.kernel_died else "graded"
    result.message = summary_message(result)


def _split_start(
    phases: Phases, laps: Laps, began: float, kernel: PreparedKernel | None, execution: ExecutionResult, again: float = 0.0,
) -> None:
    """Split the time from taking a kernel (at `began`) to the student's last cell into waiting, set-up and execution
    (`again`: the notebook's second execution, in the grader's own environment, counted as execution)."""
    laps.lap("setup")
    spent = laps.last - began
    # the kernel's own wait counts from when the submission took it (from its launch inside run_notebook)
    offset = kernel.taken - began if kernel is not None and kernel.taken is not None else 0.0
    executed = min(spent, execution.execute_seconds + again)
    before_cells = max(0.0, spent - executed)
    waited = max(phases.kernel_wait, offset + execution.kernel_wait_seconds)  # the take itself, at least
    phases.execution = executed
    phases.kernel_wait = min(before_cells, waited)
    phases.setup = before_cells - phases.kernel_wait
