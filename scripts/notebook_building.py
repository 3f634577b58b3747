"""Shared parts of the notebook builders: cells from specs, solution stripping, source edits, writing.

A builder (scripts/build_<assignment>_notebooks.py) lists its cells as `CellSpec`s and its demo
submissions as functions of (solution, student) notebooks, then calls `build_assignment`.
Cells get fixed ids and no outputs or execution counts, so every build is byte-identical.

The student notebook is the solution with every `### BEGIN SOLUTION` ... `### END SOLUTION`
region replaced by a placeholder. The edits that make demo submissions fail loudly when
their target text is missing, so a changed solution cannot silently produce a wrong variant.
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode, v4

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")

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


def _is_marker(line: str, marker: str) -> bool:
    return line.strip() == marker


def strip_solutions(source: str) -> str:
    """The source with each BEGIN/END SOLUTION region replaced by the student placeholder."""
    kept: list[str] = []
    inside = False
    for line in source.split("\n"):
        if _is_marker(line, BEGIN_SOLUTION):
            assert not inside, f"nested {BEGIN_SOLUTION!r} in:\n{source}"
            indent = line[: len(line) - len(line.lstrip())]
            kept.extend(indent + text for text in PLACEHOLDER)
            inside = True
        elif _is_marker(line, END_SOLUTION):
            assert inside, f"{END_SOLUTION!r} without {BEGIN_SOLUTION!r} in:\n{source}"
            inside = False
        elif not inside:
            kept.append(line)
    assert not inside, f"unterminated {BEGIN_SOLUTION!r} in:\n{source}"
    return "\n".join(kept)


def remove_solution_markers(source: str) -> str:
    """The source without its BEGIN/END SOLUTION marker lines (the code between them stays)."""
    lines = source.split("\n")
    return "\n".join(
        line for line in lines if not (_is_marker(line, BEGIN_SOLUTION) or _is_marker(line, END_SOLUTION))
    )


def map_code_sources(nb: NotebookNode, transform: Callable[[str], str]) -> NotebookNode:
    """A copy of the notebook with `transform` applied to every code cell's source."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.source = transform(cell.source)
    return out


def student_notebook(solution: NotebookNode) -> NotebookNode:
    return map_code_sources(solution, strip_solutions)


def clean_solution(solution: NotebookNode) -> NotebookNode:
    """The solution as a student would hand it in: same code, no marker lines."""
    return map_code_sources(solution, remove_solution_markers)


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


def write_notebook(nb: NotebookNode, path: Path) -> None:
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb, version=4), encoding="utf-8")


def build_assignment(
    root: Path, assignment: str, solution: NotebookNode, submissions: dict[str, MakeSubmission]
) -> list[Path]:
    """Write the solution, the student notebook and every demo submission under root; return the paths.

    solutions/<assignment>/<assignment>.ipynb, assignments/<assignment>.ipynb and
    submissions/<student>/<assignment>.ipynb, one per entry of `submissions`.
    """
    filename = f"{assignment}.ipynb"
    student = student_notebook(solution)
    outputs = {
        root / "solutions" / assignment / filename: solution,
        root / "assignments" / filename: student,
    }
    for name, make in submissions.items():
        outputs[root / "submissions" / name / filename] = make(solution, student)
    for path, nb in outputs.items():
        write_notebook(nb, path)
    return list(outputs)
