"""Discover stage: find every notebook under a folder, name its student, and tell its assignment.

Students are named by the LMS download's file names when there are any (grader/intake/lms.py),
else by the first sub-folder or the file name.

Which assignment a notebook belongs to is decided, in order, by the notebook's
`metadata.grader.assignment`, by its exercise cell tags, by how much of each
assignment's released notebook text it still contains, and finally by the
headings it kept (of the released notebook, the reference, or the exercise titles
of assignment.toml), so notebooks that lost their metadata or tags (Colab copies,
re-typed notebooks that keep only the exercise headings) are still placed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat

from grader.core.assignment import Assignment
from grader.intake.lms import parse_lms_name

# Below this share of an assignment's distinctive words, a notebook is "unknown".
MIN_TEXT_OVERLAP = 0.35
# Headings of one assignment a notebook must keep to be placed by its headings alone; a heading counts
# when it has this many words at least besides its number ("Given helpers", "Ex 1 · The data" could be
# any course's).
MIN_HEADINGS = 2
MIN_HEADING_WORDS = 3
_NUMBERING = re.compile(r"^(?:(?:exercise|ex|part|task|question|step)\s*)?\d+[a-z]?\b\s*")


@dataclass(frozen=True)
class Submission:
    id: str  # unique within the batch: the relative path, slugified
    student: str  # the LMS's student id for an LMS download, else the sub-folder or file name
    path: Path
    relative_path: str
    notebook_hash: str  # sha256 of the file's bytes (first 16 hex digits)
    student_name: str = ""  # the name an LMS download gives, "" otherwise
    lms: str = ""  # "canvas", "moodle", "blackboard", or "" for a plain folder
    lms_late: bool = False  # the LMS marked the file late (Canvas)
    submitted_at: datetime | None = None  # when the LMS file name says it was submitted (Blackboard)
    recency: float = 0.0  # larger is later: Canvas file id, Blackboard attempt time, else file time


@dataclass(frozen=True)
class Identification:
    assignment: Assignment | None
    how: str  # a sentence for the report


def discover(folder: Path) -> list[Submission]:
    """Every `.ipynb` under `folder`, recursively, in a stable order (checkpoints skipped)."""
    paths = sorted(
        p
        for p in folder.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts and p.is_file()
    )
    return [submission_at(folder, path) for path in paths]


def submission_at(root: Path, path: Path) -> Submission:
    """The submission at `path` inside the submissions folder `root`, its student named (see grader/intake/lms.py)."""
    relative = path.relative_to(root)
    lms = parse_lms_name(relative.as_posix())
    plain_student = relative.parts[0] if len(relative.parts) > 1 else path.stem
    submission = Submission(
        id=slugify(relative.with_suffix("").as_posix()),
        student=lms.student if lms else plain_student,
        path=path,
        relative_path=relative.as_posix(),
        notebook_hash=hashlib.sha256(path.read_bytes()).hexdigest()[:16],
        recency=path.stat().st_mtime,
    )
    if lms is None:
        return submission
    recency = lms.file_id if lms.file_id is not None else lms.attempt_time.timestamp() if lms.attempt_time else None
    return replace(
        submission,
        student_name=lms.name,
        lms=lms.lms,
        lms_late=lms.late,
        submitted_at=lms.attempt_time.astimezone() if lms.attempt_time else None,
        recency=submission.recency if recency is None else float(recency),
    )


def slugify(text: str) -> str:
    """A file-name-safe id: letters, digits, '-', '_' and '.', path separators become '__'."""
    text = text.replace("/", "__")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "submission"


def identify(notebook: dict[str, Any], assignments: list[Assignment]) -> Identification:
    """Tell which assignment a parsed notebook (plain JSON dict) belongs to."""
    by_id = {a.id: a for a in assignments}
    declared = _declared_assignment(notebook)
    if declared in by_id:
        return Identification(by_id[declared], f"notebook metadata names {declared!r}")
    tags = _tags(notebook)
    tag_matches = [a for a in assignments if tags and _exercise_tags(a) <= tags]
    if len(tag_matches) == 1:
        return Identification(tag_matches[0], "its cell tags match this assignment's exercises")
    return _identify_by_text(notebook, tag_matches or assignments)


def assignment_of(path: Path, assignments: list[Assignment]) -> str | None:
    """The id of the assignment the notebook file at `path` belongs to; None when unreadable or unknown."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        found = identify(notebook, assignments).assignment if isinstance(notebook, dict) else None
    except Exception:  # unreadable or malformed: grading will say what is wrong with it
        return None
    return found.id if found else None


def _identify_by_text(notebook: dict[str, Any], candidates: list[Assignment]) -> Identification:
    words = _words(notebook)
    best, best_overlap = None, 0.0
    for assignment in candidates:
        reference = _reference_words(assignment)
        overlap = len(words & reference) / max(len(reference), 1)
        if overlap > best_overlap:
            best, best_overlap = assignment, overlap
    if best is None or best_overlap < MIN_TEXT_OVERLAP:
        return _identify_by_headings(notebook, candidates)
    return Identification(
        best, f"its text matches {best_overlap:.0%} of this assignment's notebook"
    )


def _identify_by_headings(notebook: dict[str, Any], candidates: list[Assignment]) -> Identification:
    """The assignment whose headings the notebook kept: MIN_HEADINGS headings of the notebook holding
    one of the assignment's each, more than for any other; a heading several candidates share ("loss function and optimizer")
    counts for none of them."""
    kept = _headings(notebook)
    headings = {assignment.id: _reference_headings(assignment) for assignment in candidates}
    shared = {h for a in headings for b in headings if a < b for h in headings[a] & headings[b]}
    found = {
        assignment.id: sorted(k for k in kept if any(_within(h, k) for h in headings[assignment.id] - shared))
        for assignment in candidates
    }
    ranked = sorted(candidates, key=lambda a: len(found[a.id]), reverse=True)
    best = ranked[0] if ranked else None
    runner_up = len(found[ranked[1].id]) if len(ranked) > 1 else 0
    if best is None or len(found[best.id]) < MIN_HEADINGS or len(found[best.id]) == runner_up:
        return Identification(None, "no metadata, tags, text or headings matched any assignment")
    quoted = ", ".join(f"'{h}'" for h in found[best.id][:3])
    return Identification(best, f"it keeps {len(found[best.id])} of this assignment's headings ({quoted})")


def _declared_assignment(notebook: dict[str, Any]) -> str | None:
    metadata = notebook.get("metadata")
    grader = metadata.get("grader") if isinstance(metadata, dict) else None
    value = grader.get("assignment") if isinstance(grader, dict) else None
    return value if isinstance(value, str) else None


def _tags(notebook: dict[str, Any]) -> set[str]:
    tags: set[str] = set()
    for cell in notebook.get("cells", []):
        cell_tags = cell.get("metadata", {}).get("tags", []) if isinstance(cell, dict) else []
        tags.update(t for t in cell_tags if isinstance(t, str))
    return tags


def _exercise_tags(assignment: Assignment) -> set[str]:
    return {exercise.id for exercise in assignment.exercises}


def _words(notebook: dict[str, Any]) -> set[str]:
    text = []
    for cell in notebook.get("cells", []):
        if isinstance(cell, dict):
            source = cell.get("source", "")
            text.append("".join(source) if isinstance(source, list) else str(source))
    return set(re.findall(r"[A-Za-z_]{4,}", " ".join(text).lower()))


def _reference_words(assignment: Assignment) -> set[str]:
    path = assignment.student_notebook or assignment.notebook
    return _notebook_words(path) if path.is_file() else set()  # a public definition may come without it


@functools.lru_cache(maxsize=32)
def _notebook_words(path: Path) -> set[str]:
    return _words(json.loads(path.read_text(encoding="utf-8")))


def _markdown_lines(notebook: dict[str, Any]) -> list[str]:
    lines = []
    for cell in notebook.get("cells", []):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            lines += ("".join(source) if isinstance(source, list) else str(source)).splitlines()
    return lines


def _heading(text: str) -> str:
    """A heading as compared: lower case, words only ("## Ex 2 · A model!" is "ex 2 a model")."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _headings(notebook: dict[str, Any]) -> set[str]:
    """The notebook's markdown headings (lines starting with #), as compared."""
    return {_heading(line.lstrip("#")) for line in _markdown_lines(notebook) if line.lstrip().startswith("#")}


def _within(heading: str, kept: str) -> bool:
    """Whether a kept heading holds the whole of `heading` (a student may add to a heading: "… (done)")."""
    return f" {heading} " in f" {kept} "


def _reference_headings(assignment: Assignment) -> frozenset[str]:
    """The headings that tell `assignment`: its released and reference notebooks' and its exercise titles."""
    paths = {p for p in (assignment.student_notebook, assignment.notebook) if p is not None and p.is_file()}
    found = {h for path in sorted(paths) for h in _notebook_headings(path)}
    found |= {_heading(exercise.title) for exercise in assignment.exercises}
    unnumbered = {_NUMBERING.sub("", h) for h in found}  # "exercise 3 …" matches a notebook that renumbered
    return frozenset(h for h in unnumbered if len(h.split()) >= MIN_HEADING_WORDS)


@functools.lru_cache(maxsize=32)
def _notebook_headings(path: Path) -> frozenset[str]:
    return frozenset(_headings(json.loads(path.read_text(encoding="utf-8"))))


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
