"""Grading the notebook a student uploaded to a platform: exactly one, as the package's assignment.

Whatever goes wrong (no notebook, several, an unreadable one, a broken package) becomes a result
with score 0 and a message that names the fix; `grade_upload` never raises.
"""

from __future__ import annotations

import json
import os
import traceback
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from grader.core.assignment import load_assignment
from grader.core.kernel_needs import kernel_settings
from grader.core.results import SubmissionResult
from grader.core.settings import ExecuteSettings
from grader.execute.sandbox import unsandboxed_reason
from grader.grade import grade_submission, grader_version
from grader.intake.discover import submission_at
from grader.intake.lateness import LatePolicy, settle
from grader.platforms.bundle import ASSIGNMENT_FOLDER, PlatformConfig, read_config
from grader.platforms.isolation import IsolationChoice, apply_isolation, choose_isolation

STAFF_RESULT_VARIABLE = "NBGRADE_STAFF_RESULT"  # a path: also write the staff result there (tests, debugging)


@dataclass(frozen=True)
class Upload:
    """Where one platform's submission and package are, and what it says about the student."""

    package: Path  # the unpacked package (platform.json, assignment/<id>/)
    notebooks: Path  # the folder holding the student's upload
    student: str
    submitted_at: datetime | None = None
    deadline: datetime | None = None
    locked: tuple[Path, ...] = ()  # the grader's files, made root-only on the unprivileged-user path


@dataclass(frozen=True)
class Graded:
    """The grader's result for an upload and the sentence saying which isolation ran."""

    result: SubmissionResult
    isolation: str
    config: PlatformConfig | None


def grade_upload(upload: Upload) -> Graded:
    """The upload graded (or a score-0 result naming the fix); never raises."""
    config = None
    isolation = ""
    try:
        config = read_config(upload.package)
        choice = choose_isolation()
        isolation = choice.summary
        result = _grade(upload, config, choice)
    except Exception as exc:  # a broken package or container must still give the student a result
        traceback.print_exc()
        result = problem_result(upload.student, f"the autograder could not grade this submission ({type(exc).__name__}: {exc}); tell the course staff")
    _write_staff_copy(result)
    return Graded(result, isolation, config)


def _grade(upload: Upload, config: PlatformConfig, choice: IsolationChoice) -> SubmissionResult:
    notebooks = uploaded_notebooks(upload.notebooks)
    if len(notebooks) != 1:
        return problem_result(upload.student, wrong_count_message(notebooks, upload.notebooks))
    apply_isolation(choice, list(upload.locked))
    unsandboxed_reason(choice.sandbox)  # SandboxUnavailable when bubblewrap was asked for and cannot work
    assignment = load_assignment(upload.package / ASSIGNMENT_FOLDER / config.assignment)
    # the assignment's data folders and kernel environment (built by setup.sh, here from the cache)
    settings = kernel_settings(ExecuteSettings(sandbox=choice.sandbox, kernel_start="launch"), [assignment])
    submission = replace(submission_at(upload.notebooks, notebooks[0]), student=upload.student)
    result = grade_submission(submission, [assignment], settings, assume=True)
    if result.status == "invalid":
        result.message += ": save the notebook in Jupyter (File > Save) and upload the .ipynb file again"
    times = {upload.student: upload.submitted_at} if upload.submitted_at else {}
    settle(result, submission, [], _late_policy(config, upload.deadline), times)
    return result


def uploaded_notebooks(folder: Path) -> list[Path]:
    """The .ipynb files of an upload (checkpoints skipped), in a stable order."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file())


def wrong_count_message(notebooks: list[Path], folder: Path) -> str:
    """Why an upload with no or several notebooks is not graded, and what to upload instead."""
    if not notebooks:
        found = sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        seen = f" (the upload holds {', '.join(found[:5])})" if found else ""
        return f"no notebook (.ipynb) in the submission{seen}: upload your notebook, the .ipynb file saved by Jupyter"
    names = ", ".join(p.relative_to(folder).as_posix() for p in notebooks)
    return f"{len(notebooks)} notebooks in the submission ({names}): upload exactly one .ipynb file, the one to grade"


def problem_result(student: str, message: str) -> SubmissionResult:
    """A score-0 result for an upload that could not be graded, saying why."""
    return SubmissionResult(
        submission=student or "submission", student=student, student_name="", path="", assignment="",
        assignment_title="", identified_by="", status="invalid", message=message, score=0.0, max_score=0.0,
        notebook_hash="", grader_version=grader_version(),
        graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def _late_policy(config: PlatformConfig, deadline: datetime | None) -> LatePolicy | None:
    if deadline is None:
        return None
    return LatePolicy(deadline, config.late_percent_per_unit, config.late_unit, config.late_max_percent)


def _write_staff_copy(result: SubmissionResult) -> None:
    """The staff result (cell outputs, measurements) where NBGRADE_STAFF_RESULT asks; never for students."""
    target = os.environ.get(STAFF_RESULT_VARIABLE, "")
    if target:
        Path(target).write_text(result.to_json() + "\n", encoding="utf-8")


def read_json(path: Path) -> dict[str, object]:
    """A JSON object from `path`, {} when it is missing or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
