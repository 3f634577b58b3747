"""The grading pipeline as a library: discover → execute → probe → check → record → report.

`grade_folder` is what the `grade` command calls. One bad submission never
stops the batch: whatever goes wrong becomes that submission's status and
message, and the next one is graded.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import nbformat

from grader.assignment import Assignment, load_assignments
from grader.check import run_checks
from grader.discover import Submission, discover, identify
from grader.execute import ExecuteSettings, require_kernel, run_notebook
from grader.probe import Probe
from grader.record import Fingerprint, Gradebook, write_grades_csv, write_result_json
from grader.report import write_reports
from grader.results import SubmissionResult

Progress = Callable[[Submission, SubmissionResult | None], None]


@dataclass(frozen=True)
class BatchSummary:
    results: list[SubmissionResult]  # this batch's submissions, in discovery order
    regraded: int  # executed in this run
    reused: int  # unchanged since the stored result: not executed again
    seconds: float


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
) -> BatchSummary:
    """Grade every notebook under `folder` into `out`; return this batch's results."""
    started = time.perf_counter()
    assignments = load_assignments(solutions or default_solutions_dir())
    require_kernel(settings.kernel_name)
    gradebook = Gradebook(out / "gradebook.sqlite")
    stored = gradebook.fingerprints()
    version = grader_version()
    # Unreadable and unknown notebooks have no spec hash: they are cheap to look at again.
    spec_hashes: dict[str, str | None] = {a.id: a.spec_hash() for a in assignments}
    results, regraded = [], 0
    for submission in discover(folder):
        if progress:
            progress(submission, None)
        previous = None if force else stored.get(submission.id)
        unchanged = previous is not None and previous == Fingerprint(
            submission.notebook_hash, previous.assignment, spec_hashes.get(previous.assignment), version
        )
        result = gradebook.result(submission.id) if unchanged else None
        if result is None:
            result = grade_submission(submission, assignments, settings)
            gradebook.save(result)
            write_result_json(result, out)
            regraded += 1
        results.append(result)
        if progress:
            progress(submission, result)
    publish(gradebook, out)
    return BatchSummary(results, regraded, len(results) - regraded, time.perf_counter() - started)


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
