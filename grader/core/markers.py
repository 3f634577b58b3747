"""The reference notebook's markers and the notebooks made from them: the release format, as definitions.

A reference notebook marks its solutions with `### BEGIN SOLUTION` … `### END SOLUTION`, tags the
cells students must not change `locked` and the instructor's own cells `hidden`. `release_notebook`
makes the student notebook of it, `clean_solution` the notebook of a student who solved everything;
`grade release` (grader/authoring/release.py) writes them, the integrity stage reads the template
everyone received, and tamper detection compares the locked cells' checksums.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.core.files import write_atomically

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
CODE_PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_PLACEHOLDER = ("_YOUR ANSWER HERE_",)
LOCKED, HIDDEN = "locked", "hidden"
# Notebook metadata that reaches students; everything else (widgets, colab, instructor notes) stays behind.
KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")


class ReleaseError(ValueError):
    """The reference notebook cannot be released as it is (unbalanced markers, a locked solution, …)."""


# --------------------------------------------------------------------------- sources


def _is_marker(line: str, marker: str) -> bool:
    return line.strip() == marker


def strip_solutions(source: str, placeholder: tuple[str, ...] = CODE_PLACEHOLDER, where: str = "a cell") -> str:
    """The source with each BEGIN/END SOLUTION region replaced by `placeholder`, indented like the marker."""
    kept: list[str] = []
    inside = False
    for number, line in enumerate(source.split("\n"), start=1):
        if _is_marker(line, BEGIN_SOLUTION):
            if inside:
                raise ReleaseError(f"{where}, line {number}: {BEGIN_SOLUTION!r} inside another solution region")
            indent = line[: len(line) - len(line.lstrip())]
            kept.extend(indent + text for text in placeholder)
            inside = True
        elif _is_marker(line, END_SOLUTION):
            if not inside:
                raise ReleaseError(f"{where}, line {number}: {END_SOLUTION!r} without {BEGIN_SOLUTION!r}")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ReleaseError(f"{where}: {BEGIN_SOLUTION!r} is never closed with {END_SOLUTION!r}")
    return "\n".join(kept)


def remove_solution_markers(source: str) -> str:
    """The source without its BEGIN/END SOLUTION marker lines (the code between them stays)."""
    return "\n".join(
        line
        for line in source.split("\n")
        if not (_is_marker(line, BEGIN_SOLUTION) or _is_marker(line, END_SOLUTION))
    )


def has_markers(source: str) -> bool:
    return any(_is_marker(line, BEGIN_SOLUTION) or _is_marker(line, END_SOLUTION) for line in source.split("\n"))


def normalised_source(source: str) -> str:
    """The source as the checksum sees it: newlines unified, trailing spaces and blank edges dropped."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def locked_checksum(source: str) -> str:
    """'sha256:<hex>' of the normalised source: what `metadata.grader.checksum` of a locked cell holds."""
    return "sha256:" + hashlib.sha256(normalised_source(source).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- notebooks


def cell_tags(cell: NotebookNode) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _cell_name(cell: NotebookNode, position: int) -> str:
    cell_id = cell.get("id")
    return f"cell {position}" + (f" (id {cell_id!r})" if cell_id else "")


def _released_cell(cell: NotebookNode, position: int, keep_solutions: bool) -> NotebookNode:
    where = _cell_name(cell, position)
    tags = cell_tags(cell)
    out = copy.deepcopy(cell)
    out.metadata = nbformat.from_dict({"tags": tags} if tags else {})
    if cell.cell_type == "code":
        if LOCKED in tags and has_markers(cell.source):
            raise ReleaseError(f"{where} is tagged {LOCKED!r} but holds a solution region; a locked cell is given code")
        out.source = remove_solution_markers(cell.source) if keep_solutions else strip_solutions(cell.source, where=where)
        out.outputs = []
        out.execution_count = None
        if LOCKED in tags:
            out.metadata["grader"] = {"checksum": locked_checksum(out.source)}
    elif cell.cell_type == "markdown":
        out.source = (
            remove_solution_markers(cell.source)
            if keep_solutions
            else strip_solutions(cell.source, MARKDOWN_PLACEHOLDER, where=where)
        )
    return out


def release_notebook(reference: NotebookNode, keep_solutions: bool = False) -> NotebookNode:
    """The student notebook made from `reference` (see the module docstring).

    With `keep_solutions`, the solution code stays (marker lines removed): the notebook a
    student who solved everything would hand in, used for demo submissions and `grade validate`.
    """
    assignment = declared_assignment(reference)
    out = copy.deepcopy(reference)
    out.metadata = nbformat.from_dict(
        {key: copy.deepcopy(reference.metadata[key]) for key in KEPT_NOTEBOOK_METADATA if key in reference.metadata}
    )
    out.metadata["grader"] = {"assignment": assignment}
    out.cells = [
        _released_cell(cell, position, keep_solutions)
        for position, cell in enumerate(reference.cells, start=1)
        if HIDDEN not in cell_tags(cell)
    ]
    return out


def clean_solution(reference: NotebookNode) -> NotebookNode:
    """The reference as a student who solved everything would hand it in."""
    return release_notebook(reference, keep_solutions=True)


def declared_assignment(reference: NotebookNode) -> str:
    grader = reference.get("metadata", {}).get("grader", {})
    assignment = grader.get("assignment") if isinstance(grader, dict) else None
    if not isinstance(assignment, str) or not assignment:
        raise ReleaseError(
            'the reference notebook has no metadata.grader.assignment; add {"grader": {"assignment": "<id>"}} '
            "to its notebook metadata"
        )
    return assignment


def notebook_text(nb: NotebookNode) -> str:
    """The file content of a notebook, validated, exactly as `grade release` writes it."""
    nbformat.validate(nb)
    text: str = nbformat.writes(nb, version=4)
    return text


def write_notebook(nb: NotebookNode, path: Path) -> None:
    write_atomically(path, notebook_text(nb))
