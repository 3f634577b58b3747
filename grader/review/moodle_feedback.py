"""`grade export OUT --format moodle-feedback`: the zip Moodle's "Upload multiple feedback files in a zip" takes.

Moodle's importer (mod/assign/feedback/file/importziplib.php) reads each path part as
`fullname_participantid_plugintype_pluginname[_]` and files whatever lies below it as that participant's
feedback. So every student of the assignment whose id is a Moodle participant id (the number the intake
read from Moodle's own download names, grader/intake/lms.py) gets one folder named as Moodle's download
named it, `Jane Smith_4242_assignsubmission_file_/`, holding the student-view report (`feedback.html`:
scores, the failing checks and why, the comments and overrides students may read; hidden measurements
never). A Moodle grading worksheet (`--gradebook`) gives the names exactly as Moodle writes them; without
one, the names the intake recorded are used. Students whose id is not a participant id are listed as
unmatched.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.core.files import write_atomically_bytes
from grader.report.html import render_submission
from grader.review.export import ExportError, assignment_results

FEEDBACK_FILE = "feedback.html"
_PLUGIN = "assignsubmission_file"  # the plugin Moodle's download names the folders after
_PARTICIPANT = re.compile(r"(\d+)\s*$")  # the worksheet's Identifier: "Participant 4242"
_NUMBER = re.compile(r"\d+")
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # a fixed time in every entry: the same results give the same zip


@dataclass
class FeedbackZip:
    """What the export wrote (or, dry, would write): one folder per matched participant."""

    path: Path
    assignment: str
    folders: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # our students with no Moodle participant id
    written: bool = False


def export_moodle_feedback(
    out: Path, assignment: str | None = None, worksheet: Path | None = None, output: Path | None = None,
    dry_run: bool = False,
) -> FeedbackZip:
    """Write the feedback zip of one assignment in `out`'s gradebook (default OUT/moodle-feedback-ASSIGNMENT.zip)."""
    chosen, results = assignment_results(out, assignment)
    names = _worksheet_names(worksheet) if worksheet is not None else {}
    export = FeedbackZip(output or out / f"moodle-feedback-{chosen}.zip", chosen)
    entries: dict[str, str] = {}
    for student, result in sorted(results.items()):
        if not _NUMBER.fullmatch(student) or (names and student not in names):
            export.unmatched.append(student)
            continue
        folder = moodle_folder(names.get(student) or result.student_name or f"Participant {student}", student)
        entries[f"{folder}/{FEEDBACK_FILE}"] = render_submission(result, "student")
        export.folders.append(folder)
    if not dry_run:
        write_atomically_bytes(export.path, _zip(entries))
        export.written = True
    return export


def moodle_folder(name: str, participant: str) -> str:
    """The folder name Moodle's download gives a participant's files, which its feedback import parses back.

    Underscores and slashes in the name would split it where Moodle splits the folder name: they become spaces.
    """
    clean = " ".join(re.sub(r"[_/\\\x00-\x1f]", " ", name).split()) or f"Participant {participant}"
    return f"{clean}_{participant}_{_PLUGIN}_"


def _worksheet_names(path: Path) -> dict[str, str]:
    """Participant id -> full name, from a Moodle grading worksheet (columns Identifier and Full name)."""
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except OSError as exc:
        raise ExportError(f"cannot read the Moodle grading worksheet {path}: {exc.strerror}") from None
    header = rows[0] if rows else []
    if "Identifier" not in header or "Full name" not in header:
        raise ExportError(
            f"{path} is not a Moodle grading worksheet (it needs the columns 'Identifier' and 'Full name'): "
            "download it from the assignment's 'Download grading worksheet'"
        )
    id_at, name_at = header.index("Identifier"), header.index("Full name")
    names = {}
    for row in rows[1:]:
        match = _PARTICIPANT.search(row[id_at]) if len(row) > max(id_at, name_at) else None
        if match:
            names[match[1]] = row[name_at].strip()
    return names


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
