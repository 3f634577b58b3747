"""The grading pipeline as a library: discover → execute → probe → check → record → report.

`grade_folder` is what the `grade` command calls. One bad submission never
stops the batch: whatever goes wrong becomes that submission's status and
message, and the next one is graded.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import nbformat

from grader.assignment import Assignment, load_assignments
from grader.check import run_checks
from grader.discover import Submission, assignment_of, discover, identify
from grader.execute import ExecuteSettings, require_kernel, run_notebook
from grader.intake import latest_per_student, opened
from grader.lateness import LatePolicy, assess
from grader.probe import Probe
from grader.record import Fingerprint, Gradebook, remove_result_files, write_grades_csv, write_result_json
from grader.report import write_reports
from grader.results import SubmissionResult

Progress = Callable[[Submission, SubmissionResult | None], None]


@dataclass(frozen=True)
class BatchSummary:
    results: list[SubmissionResult]  # this batch's submissions, in discovery order
    regraded: int  # executed in this run
    reused: int  # unchanged since the stored result: not executed again
    seconds: float
    superseded: int = 0  # older notebooks of a student for the same assignment, not graded


def grader_version() -> str:
    try:
        return metadata.version("nbgrade-torch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def default_solutions_dir() -> Path:
    """`./solutions` when the current folder has one, else the solutions shipped beside the package."""
    here = Path("solutions")
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "solutions"


def grade_folder(
    folder: Path,
    out: Path = Path("reports"),
    solutions: Path | None = None,
    settings: ExecuteSettings = ExecuteSettings(),
    force: bool = False,
    progress: Progress | None = None,
    late: LatePolicy | None = None,
    submission_times: Mapping[str, datetime] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Grade every notebook under `folder` (a folder or an LMS .zip) into `out`; return this batch's results.

    Of several notebooks one student handed in for the same assignment, only the latest is
    graded (grader/intake.py); the others are listed in its result and dropped from the
    gradebook. `late` and `submission_times` apply the late policy (grader/lateness.py).
    `on_plan` is told how many notebooks will be graded, before the first one is.
    """
    started = time.perf_counter()
    assignments = load_assignments(solutions or default_solutions_dir())
    require_kernel(settings.kernel_name)
    gradebook = Gradebook(out / "gradebook.sqlite")
    stored = gradebook.fingerprints()
    version = grader_version()
    # Unreadable and unknown notebooks have no spec hash: they are cheap to look at again.
    spec_hashes: dict[str, str | None] = {a.id: a.spec_hash() for a in assignments}
    results, regraded = [], 0
    with opened(folder) as root:
        chosen, older = latest_per_student(discover(root), lambda s: assignment_of(s.path, assignments))
        if on_plan:
            on_plan(len(chosen))
        for submission in chosen:
            if progress:
                progress(submission, None)
            previous = None if force else stored.get(submission.id)
            unchanged = previous is not None and previous == Fingerprint(
                submission.notebook_hash, previous.assignment, spec_hashes.get(previous.assignment), version
            )
            result = gradebook.result(submission.id) if unchanged else None
            if result is None:
                result = grade_submission(submission, assignments, settings)
                regraded += 1
            settle(result, submission, older[submission.id], late, submission_times or {})
            gradebook.save(result)
            write_result_json(result, out)
            results.append(result)
            if progress:
                progress(submission, result)
    replaced = [s.id for group in older.values() for s in group]
    gradebook.forget(replaced)
    remove_result_files(replaced, out)
    publish(gradebook, out)
    seconds = time.perf_counter() - started
    return BatchSummary(results, regraded, len(results) - regraded, seconds, superseded=len(replaced))


def settle(
    result: SubmissionResult,
    submission: Submission,
    older: list[Submission],
    late: LatePolicy | None,
    submission_times: Mapping[str, datetime],
) -> None:
    """Record what the intake knows (name, older notebooks, lateness) and apply the late penalty.

    Runs on fresh and on stored results alike, so a changed deadline or policy never needs
    a re-grade: the penalty is recomputed from the checks' points every time.
    """
    result.student_name = submission.student_name
    result.superseded = [s.relative_path for s in older]
    submitted, source = submission_time(submission, submission_times)
    lateness = assess(late, submitted, source, submission.lms_late)
    result.submitted_at, result.late_note = lateness.submitted_at, lateness.note
    if result.status not in ("graded", "kernel-died"):
        return  # nothing was scored; the message says why
    earned = sum(e.points for e in result.exercises)
    result.late_penalty = round(result.max_score * lateness.percent / 100, 2)
    result.score = round(max(0.0, earned - result.late_penalty), 2) if result.late_penalty else earned
    older_note = f"{len(older)} older notebook{'s' if len(older) > 1 else ''} not graded" if older else ""
    result.message = "; ".join(part for part in (_summary_message(result), lateness.summary, older_note) if part)


def submission_time(submission: Submission, times: Mapping[str, datetime]) -> tuple[datetime | None, str]:
    """When the submission was handed in, and where that comes from; (None, "") when unknown."""
    for key in (submission.student, submission.student_name):
        if key and key in times:
            return times[key], "from the list of submission times"
    if submission.submitted_at is not None:
        return submission.submitted_at, f"from the {submission.lms.capitalize()} file name"
    return None, ""


def publish(gradebook: Gradebook, out: Path) -> int:
    """Write grades.csv and every HTML report from what the gradebook holds; return the count."""
    results = gradebook.results()
    write_grades_csv(results, out)
    write_reports(results, out)
    return len(results)


def rerender(out: Path) -> int:
    """`grade report OUT`: rebuild the CSV and the reports of OUT without grading anything."""
    database = out / "gradebook.sqlite"
    if not database.is_file():
        raise FileNotFoundError(f"{database} not found; grade a folder into {out} first (grade FOLDER --out {out})")
    return publish(Gradebook(database), out)


def grade_submission(
    submission: Submission,
    assignments: list[Assignment],
    settings: ExecuteSettings,
    with_probe: Callable[[Probe], None] | None = None,
) -> SubmissionResult:
    """Execute, probe and check one notebook; never raises.

    `with_probe`, when given, is called with the live probe after the hidden checks, before
    the kernel shuts down (`grade validate` runs the public checks there too).
    """
    started = time.perf_counter()
    result = SubmissionResult(
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
    try:
        _grade_into(result, submission, assignments, settings, with_probe)
    except Exception as exc:  # a grader bug must not stop the batch
        result.status = "grader-error"
        result.message = f"the grader failed: {type(exc).__name__}: {exc}"
        result.exercises = []
        traceback.print_exc()
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _grade_into(
    result: SubmissionResult,
    submission: Submission,
    assignments: list[Assignment],
    settings: ExecuteSettings,
    with_probe: Callable[[Probe], None] | None,
) -> None:
    problem = notebook_problem(submission.path)
    if problem:
        result.status, result.message = "invalid", problem
        return
    raw = json.loads(submission.path.read_text(encoding="utf-8"))
    identification = identify(raw, assignments)
    result.identified_by = identification.how
    assignment = identification.assignment
    if assignment is None:
        result.status = "unknown-assignment"
        result.message = "could not tell which assignment this notebook is: " + identification.how
        return
    result.assignment, result.assignment_title = assignment.id, assignment.title
    result.spec_hash = assignment.spec_hash()
    with run_notebook(submission.path, settings) as live:
        probe = Probe(live, assignment, live.result.cells)
        result.exercises = run_checks(assignment, probe)
        result.resolutions = list(probe.resolutions.values())
        result.execution = live.result
        if with_probe:
            with_probe(probe)
    result.score = sum(e.points for e in result.exercises)
    result.max_score = sum(e.max_points for e in result.exercises)
    result.status = "kernel-died" if live.result.kernel_died else "graded"
    result.message = _summary_message(result)


def notebook_problem(path: Path) -> str:
    """Why the file cannot be graded as a notebook, or '' when it can."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the notebook again from Jupyter"
    try:
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception as exc:
        return f"not a readable notebook: {type(exc).__name__}: {str(exc)[:300]}"
    if nb.get("nbformat") != 4:
        return f"nbformat {nb.get('nbformat')} notebooks are not supported; open and save it in a current Jupyter"
    if not any(cell.get("cell_type") == "code" for cell in nb.cells):
        return "the notebook has no code cells"
    return ""


def _summary_message(result: SubmissionResult) -> str:
    execution = result.execution
    if execution is None:
        return ""
    parts = []
    if execution.kernel_died:
        parts.append(execution.kernel_message)
    failing = [c for c in execution.cells if c.status in ("error", "timeout")]
    if failing:
        numbers = ", ".join(str(c.index) for c in failing[:6]) + (", …" if len(failing) > 6 else "")
        plural = "s" if len(failing) > 1 else ""
        parts.append(f"{len(failing)} failing cell{plural} (cell{plural} {numbers})")
    parts.extend(c.note for c in execution.cells if "is not installed" in c.note)
    return "; ".join(parts)
