"""`grade check NOTEBOOK`: a student runs the public checks of their assignment on their own notebook.

Students receive the released notebook `<id>.ipynb` and the folder `<id>/` beside it
(assignment.toml and public_specs/, written by `grade release`). The notebook is run
exactly as the grader runs it, and only the public checks look at it: no hidden data,
no hidden thresholds, no points that count.
"""

from __future__ import annotations

from pathlib import Path

from grader.core.assignment import PUBLIC_SPECS, Assignment, AssignmentError, load_public_assignment
from grader.core.kernel_needs import with_kernel_pins
from grader.core.results import SubmissionResult
from grader.core.settings import ExecuteSettings
from grader.execute.kernels import require_environment, require_kernel
from grader.grade import grade_submission
from grader.intake.discover import identify, read_notebook, submission_at


def public_folders(notebook: Path, public: Path | None) -> list[Path]:
    """Released assignment folders that may hold the notebook's public checks, nearest first."""
    if public is not None:
        if (public / "assignment.toml").is_file():
            return [public]
        return sorted(p.parent for p in public.glob("*/assignment.toml"))
    nearby = [notebook.parent, notebook.parent / "assignments", Path("assignments")]
    folders: list[Path] = []
    for place in nearby:
        for config in sorted(place.glob("*/assignment.toml")):
            if (config.parent / PUBLIC_SPECS).is_dir() and config.parent.resolve() not in {f.resolve() for f in folders}:
                folders.append(config.parent)
    return folders


def find_public_assignment(notebook: Path, public: Path | None = None) -> Assignment:
    """The released assignment whose public checks apply to `notebook`; AssignmentError naming the fix."""
    folders = public_folders(notebook, public)
    where = str(public) if public is not None else f"{notebook.parent} or ./assignments"
    if not folders:
        raise AssignmentError(
            f"no public checks found in {where}: keep the folder <assignment>/ that came with the notebook "
            "beside it, or pass --public DIR"
        )
    assignments = [load_public_assignment(folder) for folder in folders]
    nb, problem = read_notebook(notebook)
    if nb is None:
        raise AssignmentError(f"{notebook}: {problem}")
    found = identify(nb, assignments).assignment
    if found is None:
        names = ", ".join(a.id for a in assignments)
        raise AssignmentError(f"{notebook} does not look like any assignment with public checks here ({names})")
    return found


def check_notebook(
    notebook: Path, public: Path | None = None, settings: ExecuteSettings = ExecuteSettings()
) -> SubmissionResult:
    """Run `notebook` and the public checks of its assignment; the result's exercises hold those checks."""
    if not notebook.is_file():
        raise FileNotFoundError(f"notebook {notebook} not found")
    assignment = find_public_assignment(notebook, public)
    settings = with_kernel_pins(settings, [assignment])  # the same kernel environment as grading
    require_kernel(settings.kernel_name)
    require_environment(settings)
    return grade_submission(submission_at(notebook.parent, notebook), [assignment], settings, assume=True)
