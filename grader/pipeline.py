"""The grading pipeline as a library: discover → execute → probe → check → plots → record → report.

`grade_folder` is what the `grade` command calls. One bad submission never
stops the batch: whatever goes wrong becomes that submission's status and
message, and the next one is graded.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grader.core.assignment import Assignment, AssignmentError, load_assignments
from grader.core.kernel_needs import kernel_settings
from grader.core.feedback import AUDIENCES, Audience
from grader.core.results import SubmissionResult
from grader.core.phases import PHASES, Phases
from grader.core.regrades import Change, changes_to_json
from grader.core.settings import ExecuteSettings
from grader.execute import sandbox
from grader.execute.kernels import require_environment, require_kernel
from grader.grade import grader_version, new_result
from grader.intake.discover import Submission, assignment_of, discover
from grader.intake.lateness import LatePolicy, resettle, settle
from grader.intake.lms import latest_per_student, opened
from grader.integrity.evidence import IntegrityReport, check_integrity
from grader.pool import Progress, grade_all
from grader.record.gradebook import (
    Fingerprint,
    Gradebook,
    remove_result_files,
    write_grades_csv,
    write_gradescope_json,
    write_integrity_json,
    write_result_json,
)
from grader.report.html import write_reports
from grader.review.book import GRADER, ReviewBook
from grader.review.changes import latest_regrading, settle_changes, standing, write_changes_csv


@dataclass(frozen=True)
class BatchSummary:
    results: list[SubmissionResult]  # this batch's submissions, in discovery order
    regraded: int  # executed in this run
    reused: int  # unchanged since the stored result: not executed again
    seconds: float
    superseded: int = 0  # older notebooks of a student for the same assignment, not graded
    changes: list[Change] = field(default_factory=list)  # what re-grading changed (changes.csv)
    phases: Phases = field(default_factory=Phases)  # the totals over the submissions executed in this run


@dataclass(frozen=True)
class BatchOptions:
    """Everything `grade FOLDER` can be told, with its default (the CLI only parses into this)."""

    out: Path = Path("reports")  # where grades.csv, the gradebook and the reports go
    solutions: Path | None = None  # assignments and hidden specs; None: default_solutions_dir()
    settings: ExecuteSettings = field(default_factory=ExecuteSettings)
    force: bool = False  # re-grade even when notebook, specs, grader and seed are unchanged
    workers: int | None = None  # submissions graded at once, each in its own process; None: one per CPU core
    dask: str | None = None  # a Dask scheduler address: grade there instead, one task per submission
    dask_gpu: bool = False  # with dask: each task needs a worker resource GPU=1
    per_gpu: int = 1  # with GPUs: at most this many local workers share one
    audience: Audience = "ta"  # who the HTML reports are for
    assignment: str | None = None  # grade every notebook as this assignment when nothing else identifies it
    late: LatePolicy | None = None
    submission_times: Mapping[str, datetime] = field(default_factory=dict)
    compare_with: Path | None = None  # a folder of known solutions every submission is compared with (integrity)
    extensions: Mapping[str, datetime] | None = None  # student -> own deadline; None: those recorded before
    no_decrease: bool = False  # a re-graded submission keeps the higher of its old and new score

    def __post_init__(self) -> None:
        if self.compare_with is not None and not self.compare_with.is_dir():
            raise ValueError(f"Invalid compare_with {str(self.compare_with)!r}: not a folder of known solutions")
        for name in ("workers", "per_gpu"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"Invalid {name} {value!r}: must be at least 1")
        if self.audience not in AUDIENCES:
            raise ValueError(f"Invalid feedback {self.audience!r}: use one of {', '.join(AUDIENCES)}")
        if self.dask_gpu and not self.dask:
            raise ValueError("Invalid dask_gpu: it needs a Dask scheduler address (dask)")

    @property
    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


def only_assignment(assignments: list[Assignment], wanted: str) -> Assignment:
    """The assignment with id `wanted`; AssignmentError naming the ones there are."""
    for assignment in assignments:
        if assignment.id == wanted:
            return assignment
    known = ", ".join(a.id for a in assignments)
    raise AssignmentError(f"Invalid assignment {wanted!r} from --assignment: the solutions folder has {known}")


def default_solutions_dir() -> Path:
    """`./solutions` when the current folder has one, else the solutions shipped beside the package."""
    here = Path("solutions")
    return here if here.is_dir() else Path(__file__).resolve().parent.parent / "solutions"


def grade_folder(
    folder: Path,
    options: BatchOptions = BatchOptions(),
    progress: Progress | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Grade every notebook under `folder` (a folder or an LMS .zip) as `options` say; return this batch's results.

    Of several notebooks one student handed in for the same assignment, only the latest is
    graded (grader/intake/lms.py); the others are listed in its result and dropped from the
    gradebook. The late policy applies to every result (grader/intake/lateness.py). `progress` is
    told when each submission starts (result None) and ends; `on_plan` how many notebooks will
    be graded, before the first one is. Results do not depend on the number of workers; with
    a Dask scheduler the submissions are graded on that cluster; when GPUs are present, at most
    `per_gpu` local workers share each GPU and the others run on the CPU.
    """
    out, settings, late, audience = options.out, options.settings, options.late, options.audience
    assume = options.assignment is not None
    started = time.perf_counter()
    assignments = load_assignments(options.solutions or default_solutions_dir())
    if options.assignment is not None:
        assignments = [only_assignment(assignments, options.assignment)]
    for assignment in assignments:
        assignment.require_course_secret()
    settings = kernel_settings(settings, assignments)
    require_kernel(settings.kernel_name)
    require_environment(settings)  # built once, before the first notebook; refused here when it cannot be
    sandbox.unsandboxed_reason(settings.sandbox)  # raises SandboxUnavailable under --sandbox required
    gradebook = Gradebook(out / "gradebook.sqlite")
    reviews = ReviewBook(gradebook.path)
    extensions = record_extensions(reviews, options.extensions, late)
    fingerprints = {} if options.force else gradebook.fingerprints()
    graded_before = gradebook.fingerprints().keys()
    # Unreadable and unknown notebooks have no spec hash: they are cheap to look at again.
    spec_hashes: dict[str, str | None] = {a.id: a.spec_hash() for a in assignments}
    results: dict[str, SubmissionResult] = {}
    with opened(folder) as root:
        found = discover(root)
        identified = {s.id: assignment_of(s.path, assignments) for s in found}
        chosen, older = latest_per_student(found, lambda s: identified[s.id])
        if on_plan:
            on_plan(len(chosen))

        def record(submission: Submission, result: SubmissionResult, stored: bool = False) -> None:
            before = result.to_json() if stored else ""
            began = time.perf_counter()
            settle(result, submission, older[submission.id], late, options.submission_times, extensions)
            if not stored or result.to_json() != before:  # a stored result is saved again only if settling changed it
                gradebook.save(result)  # one transaction per submission: a crash loses nothing recorded
                reviews.after_grading(result)  # overrides kept; flagged when this grading puts them in doubt
                if not stored:  # known only now: result.json has it, the gradebook's copy (saved above) does not
                    result.phases.record = round(time.perf_counter() - began, 3)
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
        before = {s.id: standing(reviews, s.id) for s in pending if s.id in graded_before}  # as they stood
        try:
            if options.dask:
                from grader.distributed import grade_on_cluster

                grade_on_cluster(
                    options.dask, pending, assignments, settings, record, _failed_remotely, gpu=options.dask_gpu,
                    assume=assume,
                )
            else:
                expected = {identified[s.id] for s in pending}  # whose specs the workers import before their first notebook
                grade_all(
                    pending, assignments, settings, options.worker_count, record, progress, options.per_gpu, assume,
                    [a for a in assignments if a.id in expected or (assume and None in expected)],
                )
        except BaseException:  # interrupted (SIGINT, SIGTERM): what finished still gets its CSV row and report
            publish(gradebook, out, audience, assignments, options.compare_with)
            raise
    replaced = [s.id for group in older.values() for s in group]
    for kept, group in older.items():  # a TA's review of an older notebook moves to the student's latest one
        moved = [reviews.carry_over(s.id, kept) for s in group]  # every one, not up to the first
        if kept in results and True in moved:
            reviews.after_grading(results[kept])
    gradebook.forget(replaced)
    remove_result_files(replaced, out)
    changes = settle_changes(reviews, before, options.no_decrease)
    if before:  # this batch re-graded something graded before: say what changed
        reviews.record_regrading(len(before), changes_to_json(changes))
        write_changes_csv(changes, out)
    publish(gradebook, out, audience, assignments, options.compare_with)
    reviewed = {result.submission: result for result in reviews.results()}
    ordered = [reviewed.get(s.id, results[s.id]) for s in chosen]
    for result in ordered:  # the record phase was measured after the gradebook's copy was saved
        result.phases = results[result.submission].phases
    seconds = time.perf_counter() - started
    totals = total_phases([results[s.id] for s in pending if s.id in results])
    return BatchSummary(
        ordered, len(pending), len(chosen) - len(pending), seconds, superseded=len(replaced), changes=changes,
        phases=totals,
    )


def total_phases(results: list[SubmissionResult]) -> Phases:
    """The phases of `results`, added up."""
    return Phases(**{name: round(sum(getattr(r.phases, name) for r in results), 3) for name in PHASES})


def record_extensions(
    reviews: ReviewBook, extensions: Mapping[str, datetime] | None, late: LatePolicy | None
) -> dict[str, datetime]:
    """Record the late policy and, when given, the extensions; return the extensions that apply (given or recorded)."""
    if extensions is not None:
        reviews.replace_extensions(extensions, GRADER)
    reviews.store_policy(late)
    return reviews.extensions()


def apply_extensions(out: Path, extensions: Mapping[str, datetime], audience: Audience = "ta") -> int:
    """Record `extensions` in OUT's gradebook, settle every stored result again under the recorded late policy,
    and publish; return how many results changed. No notebook is executed."""
    gradebook = Gradebook(_existing_gradebook(out))
    reviews = ReviewBook(gradebook.path)
    policy, previous = reviews.policy(), reviews.extensions()
    recorded = record_extensions(reviews, extensions, policy)
    moved = {student for student in previous.keys() | recorded.keys() if previous.get(student) != recorded.get(student)}
    changed = 0
    for result in gradebook.results():
        if not moved & {result.student, result.student_name}:
            continue  # its deadline is the same: leave it (and its history) alone
        before = result.to_json()
        resettle(result, policy, recorded)
        if result.to_json() != before:
            gradebook.save(result)
            reviews.after_grading(result)
            write_result_json(result, out)
            changed += 1
    publish(gradebook, out, audience)
    return changed


def publish(
    gradebook: Gradebook,
    out: Path,
    audience: Audience = "ta",
    assignments: list[Assignment] | None = None,
    compare_with: Path | None = None,
) -> int:
    """Write grades.csv, the Gradescope exports, integrity.json and every HTML report from what the
    gradebook holds (automatic + overrides − late penalty, with the TAs' comments); return the count.
    `assignments` (default: the solutions folder's) give the templates and known solutions of the
    integrity stage; `compare_with` adds known solutions."""
    reviews = ReviewBook(gradebook.path)
    results = reviews.results()
    write_grades_csv(results, out)
    for result in results:
        write_gradescope_json(result, out)
    integrity = integrity_of(results, assignments, compare_with)
    write_integrity_json(integrity, out)
    write_reports(results, out, audience, integrity, latest_regrading(reviews))
    return len(results)


def integrity_of(results: list[SubmissionResult], assignments: list[Assignment] | None, compare_with: Path | None) -> IntegrityReport:
    """The integrity stage over stored results (grader/integrity/evidence.py): flags for the staff, never a score."""
    if assignments is None:
        try:
            assignments = load_assignments(default_solutions_dir())
        except AssignmentError:  # `grade report` away from the solutions: compare the submissions only
            assignments = []
    folders = [a.compare_with for a in assignments if a.compare_with is not None and a.compare_with.is_dir()]
    return check_integrity(results, assignments, [*folders, *([compare_with] if compare_with else [])])


def rerender(out: Path, audience: Audience = "ta", compare_with: Path | None = None) -> int:
    """`grade report OUT`: rebuild the CSV, the exports and the reports of OUT without grading anything."""
    return publish(Gradebook(_existing_gradebook(out)), out, audience, compare_with=compare_with)


def _existing_gradebook(out: Path) -> Path:
    database = out / "gradebook.sqlite"
    if not database.is_file():
        raise FileNotFoundError(f"{database} not found; grade a folder into {out} first (grade FOLDER --out {out})")
    return database


def _failed_remotely(submission: Submission, exc: BaseException) -> SubmissionResult:
    result = new_result(submission)
    result.status, result.message = "grader-error", f"the cluster could not grade it: {type(exc).__name__}: {exc}"
    return result


