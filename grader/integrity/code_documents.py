"""What the code comparison reads: a notebook's code cells by exercise, from a file or a stored result.

Cells are placed in exercises the way the grader places them for its checks (grader/probe/sections.py:
tags, "Exercise N" lines, numbered headings, alignment phrases), so untagged notebooks work. A
stored result carries the section starts found when it was graded (`SubmissionResult.sections`);
an older result without them falls back to its cells' tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import nbformat

from grader.core.assignment import Assignment
from grader.core.markers import ReleaseError, release_notebook
from grader.core.results import CellResult, SubmissionResult
from grader.intake.discover import identify, read_notebook
from grader.integrity.similarity import CodeCell, CodeDocument
from grader.probe.sections import exercise_starts

KNOWN_SUFFIXES = (".ipynb", ".py")


def exercise_at(starts: Mapping[str, int], cell: int) -> str:
    """The exercise whose section holds `cell`: the latest start at or before it ("" before the first)."""
    before = [(start, exercise) for exercise, start in starts.items() if start <= cell]
    return max(before)[1] if before else ""


def notebook_cells(nb: nbformat.NotebookNode) -> list[CellResult]:
    """The code cells of `nb` as unexecuted CellResults (1-based index among all cells)."""
    return [
        CellResult(index=i, tags=list(c.get("metadata", {}).get("tags", [])), source=str(c.get("source", "")), status="not-run")
        for i, c in enumerate(nb.cells, start=1)
        if c.get("cell_type") == "code"
    ]


def notebook_document(name: str, nb: nbformat.NotebookNode, assignment: Assignment | None, known: bool = False) -> CodeDocument:
    """The code of notebook `nb` by exercise of `assignment` (all in "" when None)."""
    cells = notebook_cells(nb)
    starts = exercise_starts(nb, assignment, cells) if assignment is not None else {}
    return CodeDocument(
        name=name,
        assignment=assignment.id if assignment is not None else "",
        cells=tuple(CodeCell(c.index, exercise_at(starts, c.index), c.source) for c in cells),
        known=known,
    )


def result_document(result: SubmissionResult, assignment: Assignment | None) -> CodeDocument | None:
    """The code a stored result ran, by exercise; None when nothing was executed."""
    if result.execution is None or not result.assignment:
        return None
    cells = result.execution.cells
    starts = result.sections
    if not starts and assignment is not None:
        starts = exercise_starts(None, assignment, cells)
    return CodeDocument(
        name=result.submission,
        assignment=result.assignment,
        cells=tuple(CodeCell(c.index, exercise_at(starts, c.index), c.source) for c in cells),
    )


def template_document(assignment: Assignment) -> CodeDocument | None:
    """The released notebook's code (`assignments/<id>.ipynb`, else released from the reference now);
    None when there is neither (a reference that cannot be released has no template to leave out)."""
    if assignment.student_notebook is not None:
        nb, _ = read_notebook(assignment.student_notebook)
        if nb is not None:
            return notebook_document(f"template:{assignment.id}", nb, assignment)
    reference = _reference(assignment)
    try:
        released = release_notebook(reference) if reference is not None else None
    except ReleaseError:
        return None
    return notebook_document(f"template:{assignment.id}", released, assignment) if released is not None else None


def known_documents(folder: Path, assignments: list[Assignment]) -> list[CodeDocument]:
    """Every notebook and Python file under `folder` as a known solution, named by its path.

    A notebook is placed in the exercises of the assignment it is identified as; one that no
    assignment claims, and every .py file, is compared with the submissions of every assignment."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: the folder of known solutions (--compare-with, compare_with) is not a folder")
    documents = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in KNOWN_SUFFIXES and p.is_file() and ".ipynb_checkpoints" not in p.parts):
        name = str(path)
        if path.suffix == ".py":
            source = path.read_text(encoding="utf-8", errors="replace")
            documents.append(CodeDocument(name, "", (CodeCell(1, "", source),), known=True))
            continue
        nb, _ = read_notebook(path)
        if nb is None:
            continue
        assignment = identify(nb, assignments).assignment
        documents.append(notebook_document(name, nb, assignment, known=True))
    return documents


def reference_document(assignment: Assignment) -> CodeDocument | None:
    """The assignment's own solution notebook, the first known solution of every class (None when unreadable)."""
    reference = _reference(assignment)
    return notebook_document(str(assignment.notebook), reference, assignment, known=True) if reference is not None else None


def _reference(assignment: Assignment) -> nbformat.NotebookNode | None:
    nb, _ = read_notebook(assignment.notebook) if assignment.notebook.is_file() else (None, "")
    return nb
