"""Release: the student notebook and the public checks, generated from an assignment's reference notebook.

`grade release solutions/<id>` writes what students receive, and nothing else:

* `assignments/<id>.ipynb`: the reference notebook with every `### BEGIN SOLUTION` …
  `### END SOLUTION` region replaced by a placeholder, cells tagged `hidden` dropped,
  outputs and execution counts cleared, cell metadata reduced to tags, and every cell
  tagged `locked` given the checksum of its source (`metadata.grader.checksum`) so that
  a changed locked cell can be told from the one released;
* `assignments/<id>/assignment.toml`: exercise titles and object roles, re-written from
  the parsed definition (the instructor's comments are not copied);
* `assignments/<id>/public_specs/`: the public checks (`solutions/<id>/public_specs/*.py`);
* with `checker = true` in assignment.toml, `assignments/<id>/nbgrade_check_<id>-<version>-py3-none-any.whl`,
  the student package of in-notebook checks (grader/authoring/student_package.py), and a first locked
  cell in the notebook that makes `check = Checker("<id>")` (or prints the pip line when not installed).

Hidden specs, their data and the reference notebook are never read into the output.
The same functions make the demo submissions of `scripts/build_*_notebooks.py`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from grader.authoring.student_package import build_wheel, wheel_name, with_checker_cell
from grader.core.assignment import PUBLIC_SPECS, Assignment, AssignmentError, load_assignment
from grader.core.files import write_atomically, write_atomically_bytes
from grader.core.markers import ReleaseError, cell_tags, declared_assignment, notebook_text, release_notebook


@dataclass(frozen=True)
class Release:
    """What `grade release` writes: file contents by path."""

    assignment: str
    files: dict[Path, str]
    binaries: dict[Path, bytes] = field(default_factory=dict)  # the student wheel, with `checker = true`


# --------------------------------------------------------------------------- assignments


def release(assignment: Assignment, out: Path | None = None) -> Release:
    """The files `grade release` writes for `assignment` under `out` (default: the assignments/ beside solutions/)."""
    root = out if out is not None else default_release_dir(assignment)
    reference = nbformat.read(assignment.notebook, as_version=4)
    declared = declared_assignment(reference)
    if declared != assignment.id:
        raise ReleaseError(
            f"{assignment.notebook} declares assignment {declared!r} in metadata.grader.assignment, "
            f"but {assignment.folder / 'assignment.toml'} has id {assignment.id!r}"
        )
    student = release_notebook(reference)
    _require_exercise_cells(assignment, student)
    if assignment.checker:
        student = with_checker_cell(student, assignment)
    files = {root / f"{assignment.id}.ipynb": notebook_text(student)}
    public_dir = assignment.folder / PUBLIC_SPECS
    if public_dir.is_dir():
        files[root / assignment.id / "assignment.toml"] = public_definition(assignment)
        for spec in sorted(public_dir.glob("*.py")):
            files[root / assignment.id / PUBLIC_SPECS / spec.name] = spec.read_text(encoding="utf-8")
    binaries = {}
    if assignment.checker:
        if not public_dir.is_dir():
            raise ReleaseError(f"{assignment.folder}: checker = true needs public checks in {PUBLIC_SPECS}/")
        released = {path.relative_to(root / assignment.id).as_posix(): text for path, text in files.items()
                    if root / assignment.id in path.parents}
        binaries[root / assignment.id / wheel_name(assignment)] = build_wheel(assignment, released)
    return Release(assignment.id, files, binaries)


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
    for path, data in result.binaries.items():
        write_atomically_bytes(path, data)
    return result


def out_of_date(assignment: Assignment, out: Path | None = None) -> list[Path]:
    """The released files that differ from what `grade release` would write now (missing ones included)."""
    expected = release(assignment, out)
    stale = [
        path
        for path, text in expected.files.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ] + [path for path, data in expected.binaries.items() if not path.is_file() or path.read_bytes() != data]
    public = (out if out is not None else default_release_dir(assignment)) / assignment.id / PUBLIC_SPECS
    extra = [p for p in sorted(public.glob("*.py")) if p not in expected.files] if public.is_dir() else []
    return stale + extra


def _require_exercise_cells(assignment: Assignment, student: NotebookNode) -> None:
    tags = {tag for cell in student.cells for tag in cell_tags(cell)}
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
            "input_shape": list(spec.input_shape) if spec.input_shape is not None else None,
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

