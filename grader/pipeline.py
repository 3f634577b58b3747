"""The grading pipeline as a library: discover → execute → probe → check → plots → record → report.

`grade_folder` is what the `grade` command calls. One bad submission never
stops the batch: whatever goes wrong becomes that submission's status and
message, and the next one is graded.
"""

from __future__ import annotations

import atexit
import functools
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat

from grader import sandbox
from grader.assignment import Assignment, load_assignments
from grader.check import run_checks
from grader.discover import Submission, assignment_of, discover, identify
from grader.execute import ExecuteSettings, KernelSupply, require_kernel, run_notebook
from grader.feedback import Audience
from grader.intake import latest_per_student, opened
from grader.lateness import LatePolicy, assess
from grader.plots import draw_figures
from grader.probe import Probe
from grader.record import (
    Fingerprint,
    Gradebook,
    remove_result_files,
    write_gradescope_json,
    write_grades_csv,
    write_result_json,
)
from grader.report import write_reports
from grader.results import SubmissionResult
from grader.tamper import locked_cell_changes

Progress = Callable[[Submission, SubmissionResult | None], None]


@dataclass(frozen=True)
class BatchSummary:
    results: list[SubmissionResult]  # this batch's submissions, in discovery order
    regraded: int  # executed in this run
    reused: int  # unchanged since the stored result: not executed again
    seconds: float
    superseded: int = 0  # older notebooks of a student for the same assignment, not graded


@functools.lru_cache(maxsize=1)
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
    workers: int | None = None,
    dask: str | None = None,
    dask_gpu: bool = False,
    per_gpu: int = 1,
    audience: Audience = "ta",
    late: LatePolicy | None = None,
    submission_times: Mapping[str, datetime] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Grade every notebook under `folder` (a folder or an LMS .zip) into `out`; return this batch's results.

    Of several notebooks one student handed in for the same assignment, only the latest is
    graded (grader/intake.py); the others are listed in its result and dropped from the
    gradebook. `late` and `submission_times` apply the late policy (grader/lateness.py).
    `on_plan` is told how many notebooks will be graded, before the first one is.

    `workers` submissions are graded at once, each in its own process and
    kernel (default: one per CPU core); results do not depend on it. With
    `dask` (a scheduler address) the submissions are graded on that cluster
    instead, one task each (`dask_gpu`: each task needs a worker resource GPU=1).
    When GPUs are present, at most `per_gpu` local workers share each GPU; the
    others run their kernels on the CPU. Each result records its device.
    Reports are written for `audience`.
    """
    started = time.perf_counter()
    assignments = load_assignments(solutions or default_solutions_dir())
    require_kernel(settings.kernel_name)
    sandbox.unsandboxed_reason(settings.sandbox)  # raises SandboxUnavailable under --sandbox required
    gradebook = Gradebook(out / "gradebook.sqlite")
    fingerprints = {} if force else gradebook.fingerprints()
    # Unreadable and unknown notebooks have no spec hash: they are cheap to look at again.
    spec_hashes: dict[str, str | None] = {a.id: a.spec_hash() for a in assignments}
    results: dict[str, SubmissionResult] = {}
    with opened(folder) as root:
        chosen, older = latest_per_student(discover(root), lambda s: assignment_of(s.path, assignments))
        if on_plan:
            on_plan(len(chosen))

        def record(submission: Submission, result: SubmissionResult, stored: bool = False) -> None:
            before = result.to_json() if stored else ""
            settle(result, submission, older[submission.id], late, submission_times or {})
            if not stored or result.to_json() != before:  # a stored result is saved again only if settling changed it
                gradebook.save(result)  # one transaction per submission: a crash loses nothing recorded
                write_result_json(result, out)
            results[submission.id] = result
            if progress:
                progress(submission, result)

        pending = []
        for submission in chosen:
            previous = fingerprints.get(submission.id)
            unchanged = previous is not None and previous == Fingerprint(
                submission.notebook_hash, previous.assignment, spec_hashes.get(previous.assignment), grader_version(), settings.seed
            )
            stored = gradebook.result(submission.id) if unchanged else None
            if stored is None:
                pending.append(submission)
            else:
                record(submission, stored, stored=True)  # settled again: a changed late policy needs no re-grade
        if dask:
            from grader.distributed import grade_on_cluster

            grade_on_cluster(dask, pending, assignments, settings, record, _failed_remotely, gpu=dask_gpu)
        else:
            _grade_all(pending, assignments, settings, workers or os.cpu_count() or 1, record, progress, per_gpu)
    replaced = [s.id for group in older.values() for s in group]
    gradebook.forget(replaced)
    remove_result_files(replaced, out)
    publish(gradebook, out, audience)
    ordered = [results[s.id] for s in chosen]
    seconds = time.perf_counter() - started
    return BatchSummary(ordered, len(pending), len(chosen) - len(pending), seconds, superseded=len(replaced))


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


def _grade_all(
    pending: list[Submission],
    assignments: list[Assignment],
    settings: ExecuteSettings,
    workers: int,
    record: Callable[[Submission, SubmissionResult], None],
    progress: Progress | None,
    per_gpu: int = 1,
) -> None:
    """Grade `pending`, `workers` at a time, recording each result as soon as it is known."""
    if workers <= 1 or len(pending) <= 1:
        supply = KernelSupply(settings, expected=len(pending))
        try:
            for submission in pending:
                if progress:
                    progress(submission, None)
                record(submission, grade_submission(submission, assignments, settings, supply))
        finally:
            supply.close()
        return
    # spawn: a clean interpreter per worker (no inherited threads or sockets); pytest runs in each
    context = multiprocessing.get_context("spawn")
    devices = context.Queue()
    for device in gpu_assignments(visible_gpus(), per_gpu, workers):
        devices.put(device)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(settings, devices)) as pool:
        futures = {pool.submit(_grade_in_worker, s, assignments, settings): s for s in pending}
        for future in as_completed(futures):
            submission = futures[future]
            record(submission, _worker_result(future, submission, assignments, settings))


_worker_supply: KernelSupply | None = None


def _start_worker(settings: ExecuteSettings, devices: Any) -> None:
    """In each worker process: its GPU (or none), and a kernel supply that launches the next kernel
    while one is graded."""
    global _worker_supply
    _die_with_parent()
    device = devices.get()
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device  # inherited by this worker's kernels
    _worker_supply = KernelSupply(settings)
    atexit.register(_worker_supply.close)


def _die_with_parent() -> None:
    """On Linux, end this worker (and so its kernels) when the grader dies, even by SIGKILL:
    a pool worker would otherwise wait forever for work, holding its kernel template."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the pool's own shutdown still ends the worker when the grader exits normally


def visible_gpus() -> list[str]:
    """The GPUs kernels may use: CUDA_VISIBLE_DEVICES when set, else the NVIDIA devices present."""
    declared = os.environ.get("CUDA_VISIBLE_DEVICES")
    if declared is not None:
        return [d.strip() for d in declared.split(",") if d.strip() and d.strip() != "-1"]
    return sorted((p.name.removeprefix("nvidia") for p in Path("/dev").glob("nvidia[0-9]*")), key=int)


def gpu_assignments(gpus: list[str], per_gpu: int, workers: int) -> list[str | None]:
    """CUDA_VISIBLE_DEVICES per worker: at most `per_gpu` workers share a GPU, the others get
    none ("": CPU). Without GPUs every worker keeps the environment as it is (None)."""
    if not gpus:
        return [None] * workers
    slots = [gpu for gpu in gpus for _ in range(per_gpu)]
    return [slots[i] if i < len(slots) else "" for i in range(workers)]


def _grade_in_worker(submission: Submission, assignments: list[Assignment], settings: ExecuteSettings) -> SubmissionResult:
    return grade_submission(submission, assignments, settings, _worker_supply)


def _worker_result(
    future: Future[SubmissionResult], submission: Submission, assignments: list[Assignment], settings: ExecuteSettings
) -> SubmissionResult:
    try:
        return future.result()
    except Exception as exc:  # the worker process itself died: grade this one again, alone
        traceback.print_exc()
        result = grade_submission(submission, assignments, settings)
        if result.status == "grader-error":
            result.message += f" (worker failed first: {type(exc).__name__})"
        return result


def publish(gradebook: Gradebook, out: Path, audience: Audience = "ta") -> int:
    """Write grades.csv, the Gradescope exports and every HTML report from what the gradebook holds; return the count."""
    results = gradebook.results()
    write_grades_csv(results, out)
    for result in results:
        write_gradescope_json(result, out)
    write_reports(results, out, audience)
    return len(results)


def rerender(out: Path, audience: Audience = "ta") -> int:
    """`grade report OUT`: rebuild the CSV, the exports and the reports of OUT without grading anything."""
    database = out / "gradebook.sqlite"
    if not database.is_file():
        raise FileNotFoundError(f"{database} not found; grade a folder into {out} first (grade FOLDER --out {out})")
    return publish(Gradebook(database), out, audience)


def _failed_remotely(submission: Submission, exc: BaseException) -> SubmissionResult:
    result = new_result(submission)
    result.status, result.message = "grader-error", f"the cluster could not grade it: {type(exc).__name__}: {exc}"
    return result


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
) -> SubmissionResult:
    """Execute, probe and check one notebook; never raises.

    `supply` hands out kernels launched ahead; by default one is launched for this notebook.
    `with_probe`, when given, is called with the live probe after the hidden checks, before
    the kernel shuts down (`grade validate` runs the public checks there too).
    """
    started = time.perf_counter()
    result = new_result(submission)
    try:
        _grade_into(result, submission, assignments, settings, supply, with_probe)
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
) -> None:
    nb, problem = read_notebook(submission.path)
    if nb is None:
        result.status, result.message = "invalid", problem
        return
    identification = identify(nb, assignments)
    result.identified_by = identification.how
    assignment = identification.assignment
    if assignment is None:
        result.status = "unknown-assignment"
        result.message = "could not tell which assignment this notebook is: " + identification.how
        return
    result.assignment, result.assignment_title = assignment.id, assignment.title
    result.spec_hash = assignment.spec_hash()
    result.locked_cells_changed = locked_cell_changes(nb, assignment.notebook)
    with run_notebook(nb, settings, supply.take() if supply else None) as live:
        probe = Probe(live, assignment, live.result.cells)
        result.exercises = run_checks(assignment, probe)
        started = time.perf_counter()
        plots, result.notes = probe.illustrations()  # after every check: a figure never changes an outcome
        probing = time.perf_counter() - started
        result.resolutions = list(probe.resolutions.values())
        result.execution = live.result
        if with_probe:
            with_probe(probe)
    if problem:
        live.result.cells[0].note = "; ".join(filter(None, [problem, live.result.cells[0].note]))
    started = time.perf_counter()
    result.figures, drawing_notes = draw_figures(plots)
    result.notes += drawing_notes
    result.figure_seconds = round(probing + time.perf_counter() - started, 3)
    result.score = sum(e.points for e in result.exercises)
    result.max_score = sum(e.max_points for e in result.exercises)
    result.status = "kernel-died" if live.result.kernel_died else "graded"
    result.message = _summary_message(result)


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The notebook as version 4 and a note, or None and why it cannot be graded."""
    text, note = decode_notebook_bytes(path.read_bytes())
    try:
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception as exc:
        return None, f"not a readable notebook: {type(exc).__name__}: {str(exc)[:300]}"
    version = nb.get("nbformat")
    if version != 4:
        try:
            nb = nbformat.convert(nb, 4)
        except Exception as exc:
            return None, f"nbformat {version} notebook that could not be converted: {exc}"
        note = "; ".join(filter(None, [note, f"converted from nbformat {version} to 4"]))
    if not any(cell.get("cell_type") == "code" and cell.get("source", "").strip() for cell in nb.cells):
        return None, "the notebook has no code to run (no non-empty code cells)"
    return nb, note


def decode_notebook_bytes(data: bytes) -> tuple[str, str]:
    """The notebook's text and a note: UTF-8 (with or without a byte-order mark), else Windows-1252/Latin-1."""
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        note = f"not UTF-8 (byte {exc.start}); read as Windows-1252/Latin-1"
    try:
        return data.decode("cp1252"), note
    except UnicodeDecodeError:
        return data.decode("latin-1"), note


def _summary_message(result: SubmissionResult) -> str:
    execution = result.execution
    if execution is None:
        return ""
    parts = list(result.locked_cells_changed)
    if execution.kernel_died:
        parts.append(execution.kernel_message)
    failing = [c for c in execution.cells if c.status in ("error", "timeout")]
    if failing:
        numbers = ", ".join(str(c.index) for c in failing[:6]) + (", …" if len(failing) > 6 else "")
        plural = "s" if len(failing) > 1 else ""
        parts.append(f"{len(failing)} failing cell{plural} (cell{plural} {numbers})")
    parts.extend(c.note for c in execution.cells if "is not installed" in c.note)
    return "; ".join(parts)
