"""Release: the student notebook and the public checks, generated from an assignment's reference notebook.

`grade release solutions/<id>` writes what students receive, and nothing else:

* `assignments/<id>.ipynb`: the reference notebook with every `### BEGIN SOLUTION` …
  `### END SOLUTION` region replaced by a placeholder, cells tagged `hidden` dropped,
  outputs and execution counts cleared, cell metadata reduced to tags, and every cell
  tagged `locked` given the checksum of its source (`metadata.grader.checksum`) so that
  a changed locked cell can be told from the one released;
* `assignments/<id>/assignment.toml`: exercise titles and object roles, re-written from
  the parsed definition (the instructor's comments are not copied);
* `assignments/<id>/public_specs/`: the public checks (`solutions/<id>/public_specs/*.py`).

Hidden specs, their data and the reference notebook are never read into the output.
The same functions make the demo submissions of `scripts/build_*_notebooks.py`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from grader.assignment import PUBLIC_SPECS, Assignment, AssignmentError, load_assignment
from grader.files import write_atomically

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
CODE_PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_PLACEHOLDER = ("_YOUR ANSWER HERE_",)
LOCKED, HIDDEN = "locked", "hidden"
# Notebook metadata that reaches students; everything else (widgets, colab, instructor notes) stays behind.
KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")


class ReleaseError(ValueError):
    """The reference notebook cannot be released as it is (unbalanced markers, a locked solution, …)."""


@dataclass(frozen=True)
class Release:
    """What `grade release` writes: file contents by path."""

    assignment: str
    files: dict[Path, str]


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


def _tags(cell: NotebookNode) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _cell_name(cell: NotebookNode, position: int) -> str:
    cell_id = cell.get("id")
    return f"cell {position}" + (f" (id {cell_id!r})" if cell_id else "")


def _released_cell(cell: NotebookNode, position: int, keep_solutions: bool) -> NotebookNode:
    where = _cell_name(cell, position)
    tags = _tags(cell)
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
    assignment = _declared_assignment(reference)
    out = copy.deepcopy(reference)
    out.metadata = nbformat.from_dict(
        {key: copy.deepcopy(reference.metadata[key]) for key in KEPT_NOTEBOOK_METADATA if key in reference.metadata}
    )
    out.metadata["grader"] = {"assignment": assignment}
    out.cells = [
        _released_cell(cell, position, keep_solutions)
        for position, cell in enumerate(reference.cells, start=1)
        if HIDDEN not in _tags(cell)
    ]
    return out


def clean_solution(reference: NotebookNode) -> NotebookNode:
    """The reference as a student who solved everything would hand it in."""
    return release_notebook(reference, keep_solutions=True)


def _declared_assignment(reference: NotebookNode) -> str:
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


# --------------------------------------------------------------------------- assignments


def release(assignment: Assignment, out: Path | None = None) -> Release:
    """The files `grade release` writes for `assignment` under `out` (default: the assignments/ beside solutions/)."""
    root = out if out is not None else default_release_dir(assignment)
    reference = nbformat.read(assignment.notebook, as_version=4)
    declared = _declared_assignment(reference)
    if declared != assignment.id:
        raise ReleaseError(
            f"{assignment.notebook} declares assignment {declared!r} in metadata.grader.assignment, "
            f"but {assignment.folder / 'assignment.toml'} has id {assignment.id!r}"
        )
    student = release_notebook(reference)
    _require_exercise_cells(assignment, student)
    files = {root / f"{assignment.id}.ipynb": notebook_text(student)}
    public_dir = assignment.folder / PUBLIC_SPECS
    if public_dir.is_dir():
        files[root / assignment.id / "assignment.toml"] = public_definition(assignment)
        for spec in sorted(public_dir.glob("*.py")):
            files[root / assignment.id / PUBLIC_SPECS / spec.name] = spec.read_text(encoding="utf-8")
    return Release(assignment.id, files)


def default_release_dir(assignment: Assignment) -> Path:
    """`assignments/` beside the `solutions/` folder that holds the assignment."""
    return assignment.folder.parent.parent / "assignments"


def release_assignment(solution: Path, out: Path | None = None) -> Release:
    """`grade release SOLUTION`: write the release of an assignment folder (or of the notebook in one)."""
    folder = solution.parent if solution.suffix == ".ipynb" else solution
    if not (folder / "assignment.toml").is_file():
        raise AssignmentError(f"{folder} has no assignment.toml; pass an assignment folder such as solutions/<id>")
    assignment = load_assignment(folder)
    if solution.suffix == ".ipynb" and solution.resolve() != assignment.notebook.resolve():
        raise AssignmentError(f"{solution} is not the reference notebook of {folder} ({assignment.notebook.name})")
    result = release(assignment, out)
    stale = (out if out is not None else default_release_dir(assignment)) / assignment.id / PUBLIC_SPECS
    for old in sorted(stale.glob("*.py")) if stale.is_dir() else []:
        if old not in result.files:
            old.unlink()  # a public spec removed from solutions/ must not linger in the release
    for path, text in result.files.items():
        write_atomically(path, text)
    return result


def out_of_date(assignment: Assignment, out: Path | None = None) -> list[Path]:
    """The released files that differ from what `grade release` would write now (missing ones included)."""
    expected = release(assignment, out)
    stale = [
        path
        for path, text in expected.files.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    public = (out if out is not None else default_release_dir(assignment)) / assignment.id / PUBLIC_SPECS
    extra = [p for p in sorted(public.glob("*.py")) if p not in expected.files] if public.is_dir() else []
    return stale + extra


def _require_exercise_cells(assignment: Assignment, student: NotebookNode) -> None:
    tags = {tag for cell in student.cells for tag in _tags(cell)}
    missing = [exercise.id for exercise in assignment.exercises if exercise.id not in tags]
    if missing:
        raise ReleaseError(
            f"{assignment.notebook}: no cell is tagged {', '.join(missing)}; tag the cells of every exercise "
            "named in assignment.toml"
        )


# --------------------------------------------------------------------------- the public definition


def public_definition(assignment: Assignment) -> str:
    """assignment.toml for students: id, title, exercise titles and object roles, no comments."""
    lines = [
        "# Generated by `grade release` from the assignment's definition: do not edit.",
        f"id = {_toml(assignment.id)}",
        f"title = {_toml(assignment.title)}",
        "",
        "[exercises]",
        *(f"{exercise.id} = {_toml(exercise.title)}" for exercise in assignment.exercises),
    ]
    if assignment.alignment:
        lines += ["", "[alignment]", *(f"{ex} = {_toml(list(hints))}" for ex, hints in assignment.alignment.items())]
    if assignment.environment:
        lines += ["", "[environment]", *(f"{package} = {_toml(version)}" for package, version in sorted(assignment.environment.items()))]
    for key, spec in assignment.objects.items():
        lines += ["", f"[objects.{key}]", f"kind = {_toml(spec.kind)}", f"exercise = {_toml(spec.exercise)}"]
        optional: dict[str, Any] = {
            "names": list(spec.names),
            "in_features": spec.in_features,
            "out_features": spec.out_features,
            "shape": list(spec.shape) if spec.shape is not None else None,
            "name_hint": spec.name_hint,
            "types": list(spec.types),
            "for_model": spec.for_model,
            "outputs": spec.outputs if spec.outputs != "exact" else None,
        }
        lines += [f"{name} = {_toml(value)}" for name, value in optional.items() if value not in (None, "", [])]
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    """A TOML literal for the plain values assignment.toml holds (JSON strings are TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")

