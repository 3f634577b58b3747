"""Shared parts of the notebook builders: cells from specs, source edits for demo submissions, writing.

A builder (scripts/build_<assignment>_notebooks.py) lists its cells as `CellSpec`s and its demo
submissions as functions of (solution, student) notebooks, then calls `build_assignment`.
Cells get fixed ids and no outputs or execution counts, so every build is byte-identical.

The student notebook is what `grade release` makes of the solution (grader/authoring/release.py): every
`### BEGIN SOLUTION` ... `### END SOLUTION` region replaced by a placeholder, locked cells
checksummed. The edits that make demo submissions fail loudly when their target text is
missing, so a changed solution cannot silently produce a wrong variant.
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode, v4

from grader.authoring.release import release_assignment
from grader.core.markers import clean_solution, release_notebook, write_notebook

__all__ = ["clean_solution"]  # the builders make their demo submissions from it

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}

# A demo submission: made from the reference notebook and the released student notebook.
MakeSubmission = Callable[[NotebookNode, NotebookNode], NotebookNode]


@dataclass(frozen=True)
class CellSpec:
    """One cell of the reference notebook."""

    id: str
    kind: str  # "markdown" or "code"
    source: str
    tags: tuple[str, ...] = ()


def md(cell_id: str, source: str, *tags: str) -> CellSpec:
    return CellSpec(cell_id, "markdown", textwrap.dedent(source).strip(), tags)


def code(cell_id: str, source: str, *tags: str) -> CellSpec:
    return CellSpec(cell_id, "code", textwrap.dedent(source).strip(), tags)


# --------------------------------------------------------------------------- notebooks


def new_cell(spec: CellSpec) -> NotebookNode:
    """A notebook cell with the spec's fixed id and tags, and no outputs."""
    make = v4.new_markdown_cell if spec.kind == "markdown" else v4.new_code_cell
    cell = make(source=spec.source)
    cell.id = spec.id
    if spec.tags:
        cell.metadata["tags"] = list(spec.tags)
    return cell


def build_notebook(cells: Iterable[CellSpec], assignment: str) -> NotebookNode:
    """The reference notebook of `assignment`, solution markers included."""
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = copy.deepcopy(LANGUAGE_INFO)
    nb.metadata["grader"] = {"assignment": assignment}
    nb.cells = [new_cell(spec) for spec in cells]
    return nb


def map_code_sources(nb: NotebookNode, transform: Callable[[str], str]) -> NotebookNode:
    """A copy of the notebook with `transform` applied to every code cell's source."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.source = transform(cell.source)
    return out


# --------------------------------------------------------------------------- submission edits


def cell_by_id(nb: NotebookNode, cell_id: str) -> NotebookNode:
    matches = [cell for cell in nb.cells if cell.id == cell_id]
    assert len(matches) == 1, f"expected one cell with id {cell_id!r}, found {len(matches)}"
    return matches[0]


def replace_once(nb: NotebookNode, cell_id: str, old: str, new: str) -> None:
    """Replace the single occurrence of `old` in the cell's source; fail if it is not there exactly once."""
    cell = cell_by_id(nb, cell_id)
    count = cell.source.count(old)
    assert count == 1, f"cell {cell_id!r}: expected {old!r} once, found it {count} times"
    cell.source = cell.source.replace(old, new)


def rename_identifier(nb: NotebookNode, old: str, new: str) -> None:
    """Rename a Python name in every code cell; attribute accesses such as `torch.tanh` are left alone."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(old)}\b")
    total = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source, count = pattern.subn(new, cell.source)
            total += count
    assert total > 0, f"rename {old!r} -> {new!r}: the name does not occur in any code cell"


def exercise_tags(cell: NotebookNode) -> set[str]:
    return {tag for tag in cell.metadata.get("tags", []) if tag.startswith("ex")}


# --------------------------------------------------------------------------- writing


def build_assignment(
    root: Path, assignment: str, solution: NotebookNode, submissions: dict[str, MakeSubmission]
) -> list[Path]:
    """Write the solution, release it, and write every demo submission under root; return the paths.

    solutions/<assignment>/<assignment>.ipynb, then what `grade release` writes
    (assignments/<assignment>.ipynb and the public checks), then
    submissions/<student>/<assignment>.ipynb, one per entry of `submissions`.
    """
    filename = f"{assignment}.ipynb"
    reference = root / "solutions" / assignment / filename
    write_notebook(solution, reference)
    released = release_assignment(reference.parent)
    student = release_notebook(solution)
    demos = {root / "submissions" / name / filename: make(solution, student) for name, make in submissions.items()}
    for path, nb in demos.items():
        write_notebook(nb, path)
    return [reference, *released.files, *demos]
