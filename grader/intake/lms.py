"""Intake: submissions as instructors get them, a folder or an LMS bulk-download `.zip`.

LMS downloads name each file after its student. The names are mapped to a
student id (the LMS's own id, the one its gradebook import expects) and a name:

* Canvas:     `smithjane_12345_67890_notebook.ipynb`, late ones `smithjane_LATE_12345_67890_notebook.ipynb`
              (sortable name, user id, file id, the file's own name; a later upload has a larger file id)
* Moodle:     `Jane Smith_12345_assignsubmission_file_/notebook.ipynb` (one folder per student), or
              the same prefix on the file name itself (participant id 12345)
* Blackboard: `Homework 6_jsmith_attempt_2025-03-01-22-15-09_notebook.ipynb` (username, attempt time)

Any other path keeps the plain rule of `discover`: the first sub-folder, else the file name.
When one student handed in several notebooks for the same assignment, the latest is graded
and the others are listed with it; see `latest_per_student` for what "latest" means.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol, TypeVar

Lms = Literal["canvas", "moodle", "blackboard"]

# A class's notebooks rarely reach 100 MB together; a zip that inflates past this is refused.
MAX_EXTRACTED_BYTES = 2 * 1024**3

_CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<file_id>\d+)_(?P<file>.+)$", re.I)
_MOODLE = re.compile(r"^(?P<name>.+)_(?P<user>\d+)_assignsubmission_[a-z]+_(?P<file>.*)$")
_BLACKBOARD = re.compile(
    r"^(?P<assignment>.+)_(?P<user>[^_]+)_attempt_(?P<time>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_(?P<file>.+))?$"
)


class IntakeError(ValueError):
    """The submissions cannot be read: not a folder or zip, an unsafe or oversized zip."""


@dataclass(frozen=True)
class LmsName:
    """What an LMS download's file name says about a submission."""

    lms: Lms
    student: str  # the LMS's id for the student (Canvas user id, Moodle participant id, Blackboard username)
    name: str  # the student's name as the LMS wrote it, "" when it gives none
    late: bool = False  # Canvas put LATE in the name
    file_id: int | None = None  # Canvas: the uploaded file's id, larger for later uploads
    attempt_time: datetime | None = None  # Blackboard: when the attempt was submitted (LMS server time)


def parse_lms_name(relative_path: str) -> LmsName | None:
    """The LMS reading of a path relative to the submissions folder, or None for a plain path."""
    parts = PurePosixPath(relative_path.replace("\\", "/")).parts
    for part in parts:  # Moodle: a folder per student, or the prefix of the file name
        moodle = _MOODLE.match(part)
        if moodle:
            return LmsName("moodle", moodle["user"], moodle["name"].strip())
    filename = parts[-1] if parts else ""
    canvas = _CANVAS.match(filename)
    if canvas:
        return LmsName("canvas", canvas["user"], canvas["name"], bool(canvas["late"]), int(canvas["file_id"]))
    blackboard = _BLACKBOARD.match(filename)
    if blackboard:
        attempt = datetime.strptime(blackboard["time"], "%Y-%m-%d-%H-%M-%S")
        return LmsName("blackboard", blackboard["user"], "", attempt_time=attempt)
    return None


# --------------------------------------------------------------------------- folders and zips


@contextmanager
def opened(source: Path) -> Iterator[Path]:
    """The folder of submissions: `source` itself, or a temporary folder holding a zip's notebooks."""
    require_source(source)
    if source.is_dir():
        yield source
        return
    scratch = Path(tempfile.mkdtemp(prefix="grade-intake-"))
    try:
        extract_notebooks(source, scratch)
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def require_source(source: Path) -> None:
    """Raise IntakeError unless `source` is a folder or a zip file."""
    if not source.exists():
        raise IntakeError(f"submissions folder or .zip {source} not found")
    if not source.is_dir() and not zipfile.is_zipfile(source):
        raise IntakeError(f"{source} is neither a folder nor a .zip file; pass the folder or the LMS download")


def extract_notebooks(archive: Path, into: Path) -> list[Path]:
    """Extract the `.ipynb` members of `archive` into `into`, keeping their stored times; return the paths.

    Members with absolute paths or `..` are refused (IntakeError), macOS resource forks
    and checkpoints are skipped, and a zip that inflates past MAX_EXTRACTED_BYTES is refused.
    """
    written: list[Path] = []
    with zipfile.ZipFile(archive) as bundle:
        members = [info for info in bundle.infolist() if _is_notebook_member(info)]
        total = sum(info.file_size for info in members)
        if total > MAX_EXTRACTED_BYTES:
            raise IntakeError(f"{archive} would inflate to {total / 1024**2:.0f} MB of notebooks; refusing to extract")
        for info in members:
            target = into / _safe_member_path(info.filename, archive)
            target.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(info) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
            stamp = time.mktime((*info.date_time, 0, 0, -1))  # zip times are local wall-clock times
            os.utime(target, (stamp, stamp))
            written.append(target)
    return written


def _is_notebook_member(info: zipfile.ZipInfo) -> bool:
    parts = PurePosixPath(info.filename.replace("\\", "/")).parts
    return (
        not info.is_dir()
        and info.filename.lower().endswith(".ipynb")
        and "__MACOSX" not in parts
        and ".ipynb_checkpoints" not in parts
    )


def _safe_member_path(name: str, archive: Path) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise IntakeError(f"{archive} holds an unsafe path {name!r}; refusing to extract it")
    return path


def count_notebooks(source: Path) -> int:
    """How many notebooks a folder or zip holds (before the latest of each student is chosen)."""
    if source.is_dir():
        return sum(1 for p in source.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    with zipfile.ZipFile(source) as bundle:
        return sum(1 for info in bundle.infolist() if _is_notebook_member(info))


# --------------------------------------------------------------------------- one notebook per student


class Dated(Protocol):
    """What `latest_per_student` needs of a submission (a `discover.Submission`)."""

    @property
    def id(self) -> str: ...
    @property
    def student(self) -> str: ...
    @property
    def relative_path(self) -> str: ...
    @property
    def recency(self) -> float: ...


S = TypeVar("S", bound=Dated)


def latest_per_student(
    submissions: list[S], assignment_of: Callable[[S], str | None]
) -> tuple[list[S], dict[str, list[S]]]:
    """Keep the latest notebook of each student for each assignment.

    Returns the kept submissions in their original order and, for each kept id, the
    older ones it replaces (latest first). "Latest" is the larger `recency` (Canvas
    file id, Blackboard attempt time, else the file's modification time, which a zip
    carries per member), then the later path in sorted order. Notebooks whose
    assignment is unknown (`assignment_of` gives None) are always kept: they compete
    with nothing.
    """
    groups: dict[tuple[str, str], list[S]] = {}
    for submission in submissions:
        assignment = assignment_of(submission)
        key = (submission.student, assignment) if assignment else (submission.id, "")
        groups.setdefault(key, []).append(submission)
    kept, replaced = set(), {}
    for group in groups.values():
        ranked = sorted(group, key=lambda s: (s.recency, s.relative_path), reverse=True)
        kept.add(ranked[0].id)
        replaced[ranked[0].id] = ranked[1:]
    return [s for s in submissions if s.id in kept], replaced
