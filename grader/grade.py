"""Grading one submission: read → identify → execute → probe and check → figures.

The batch (grader/pipeline.py and its pool), `grade validate`, `grade check`
and the Dask task all call `grade_submission`, which never raises: whatever
goes wrong becomes the result's status and message.
"""

from __future__ import annotations

import functools
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata

from grader.check.collector import run_checks
from grader.core.assignment import Assignment, environment_differences
from grader.core.results import SubmissionResult, summary_message
from grader.core.settings import ExecuteSettings
from grader.execute.kernels import KernelSupply, require_environment
from grader.execute.fallback import kept_execution
from grader.intake.discover import Submission, identify, read_notebook
from grader.intake.tamper import locked_cell_changes
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


def grade_submission(
    submission: Submission,
    assignments: list[Assignment],
    settings: ExecuteSettings,
    supply: KernelSupply | None = None,
    with_probe: Callable[[Probe], None] | None = None,
    assume: bool = False,
) -> SubmissionResult:
    """Execute, probe and check one notebook; never raises.

    `assume`: with a single assignment, a notebook nothing identifies (no metadata, tags or
    shared text) is graded as that assignment (`grade --assignment`, `grade check`).

    `supply` hands out kernels launched ahead; by default one is launched for this notebook.
    `with_probe`, when given, is called with the live probe after the hidden checks, before
    the kernel shuts down (`grade validate` runs the public checks there too).
    """
    started = time.perf_counter()
    result = new_result(submission)
    try:
        _grade_into(result, submission, assignments, settings, supply, with_probe, assume)
    except Exception as exc:  # a grader bug must not stop the batch
        result.status = "grader-error"
        result.message = f"the grader failed: {type(exc).__name__}: {exc}"
        result.exercises, result.figures = [], []
        traceback.print_exc()
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _grade_into(
    result: SubmissionResult,
    submission: Submission,
    assignments: list[Assignment],
    settings: ExecuteSettings,
    supply: KernelSupply | None,
    with_probe: Callable[[Probe], None] | None = None,
    assume: bool = False,
) -> None:
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
    with kept_execution(nb, settings, supply.take() if supply else None, built) as (live, choice):
        result.environment_choice = choice
        if choice.graded_in == "course" and built is not None:  # in the grader's own, no kernel environment is recorded
            result.environment, result.environment_versions = built.key, dict(built.versions)
        result.sections = exercise_starts(nb, assignment, live.result.cells)
        probe = Probe(live, assignment, live.result.cells, result.sections)
        result.exercises = run_checks(assignment, probe, result.predictions)
        result.digests = probe.object_digests()  # staff only, for the integrity stage; never changes a score
        started = time.perf_counter()
        plots, figure_notes = probe.illustrations()  # after every check: a figure never changes an outcome
        environment = environment_differences(assignment, live.result.versions)
        fallback = [choice.reason] if choice.reason else []
        result.notes = [*([problem] if problem else []), *fallback, *environment, *probe.notes(), *figure_notes]
        probing = time.perf_counter() - started
        result.resolutions = list(probe.resolutions.values())
        result.execution = live.result
        if with_probe:
            with_probe(probe)
    started = time.perf_counter()
    result.figures, drawing_notes = draw_figures(plots)
    result.notes += drawing_notes
    result.figure_seconds = round(probing + time.perf_counter() - started, 3)
    result.score = sum(e.points for e in result.exercises)
    result.max_score = sum(e.max_points for e in result.exercises)
    result.status = "kernel-died" if live.result.kernel_died else "graded"
    result.message = summary_message(result)
