"""`Checker`: the released notebook's `check("ex3")` and `check.all()`, run on the objects of the running kernel.

Which object a role is follows the grader's resolver (grader/probe/resolve.py) over what the kernel bound
so far, with the kernel's own history standing in for the notebook's cells: every cell run since the
previous check counts as tagged with the exercise checked now (what an nbgrader test cell placed there
would see), and an exercise's section starts at its first such cell. The checks are the assignment's
public checks, embedded in the student package by `grade release` (or a released folder beside the
notebook); nothing hidden is in either.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from grader.core.assignment import Assignment, AssignmentError, load_public_assignment
from grader.core.results import CellResult, Measurement, Resolution
from grader.notebook.kernel_side import ask, ipython, kernel_side, record_now
from grader.notebook.runner import TestFunction, load_checks, marker, run_check
from grader.notebook.table import CheckTable
from grader.probe.asking import ObjectQuestions
from grader.probe.figure_requests import FigureRequests
from grader.probe.resolve import Resolver

EMBEDDED = Path(__file__).resolve().parent / "assignments"  # written into the student wheel by `grade release`


class NotebookProbe(ObjectQuestions, FigureRequests):
    """The `submission` the public checks get in the notebook: the grader's questions, asked in-process."""

    def __init__(self, assignment: Assignment, cells: list[CellResult], starts: Mapping[str, int]) -> None:
        super().__init__()
        self.assignment = assignment
        self.cells = cells
        self.resolver = Resolver(ask, assignment, cells, starts)

    def _ask(self, method: str, **arguments: Any) -> Any:
        return ask(method, **arguments)

    def resolutions(self) -> dict[str, Resolution]:
        """The roles resolved so far, by key."""
        return self.resolver.resolutions

    def measure(self, measurement: Measurement) -> None:
        """Public checks measure nothing that counts: a measurement is dropped."""


class Checker:
    """`check = Checker("assignment-6")`; `check("ex3")` after an exercise, `check.all()` for every exercise.

    Never raises: a missing assignment or a broken check shows in the table it returns."""

    def __init__(self, assignment: str = "", public: str | Path | None = None) -> None:
        self.problem = ""
        self.assignment: Assignment | None = None
        self.checks: list[tuple[str, TestFunction]] = []
        try:
            self.assignment = load_public_assignment(released_folder(assignment, Path(public) if public else None))
            self.checks = load_checks(self.assignment.specs_dir, self.assignment.id)
            kernel_side()
        except (AssignmentError, OSError, ImportError, SyntaxError) as exc:
            self.problem = f"the in-notebook checks cannot run: {exc}"
        # (execution count, exercises checked) per call; the cells up to this one belong to no exercise
        self.calls: list[tuple[int, tuple[str, ...]]] = [(current_count(), ())]

    def __call__(self, *exercises: str) -> CheckTable:
        """The public checks of `exercises` on the kernel's objects as they stand now."""
        return self._run(tuple(exercises), tagged=True)

    def all(self) -> CheckTable:
        """The public checks of every exercise."""
        exercises = tuple(e.id for e in self.assignment.exercises) if self.assignment else ()
        return self._run(exercises, tagged=False)

    def __repr__(self) -> str:
        which = self.assignment.id if self.assignment else "no assignment"
        return f"Checker({which}): check('ex1') after an exercise, check.all() for all" + (
            f"; {self.problem}" if self.problem else ""
        )

    def _run(self, exercises: tuple[str, ...], tagged: bool) -> CheckTable:
        name = self.assignment.id if self.assignment else "?"
        if self.assignment is None:
            return CheckTable(name, exercises, (), (self.problem,))
        known = [e.id for e in self.assignment.exercises]
        unknown = [e for e in exercises if e not in known]
        if unknown:
            note = f"{name} has no exercise {', '.join(unknown)} (its exercises: {', '.join(known)})"
            return CheckTable(name, exercises, (), (note,))
        count = current_count()
        record_now(count)
        self.calls.append((count, exercises if tagged else ()))
        cells = history_cells(self.calls, count)
        probe = NotebookProbe(self.assignment, cells, section_starts(cells, known))
        chosen = [(n, f) for n, f in self.checks if marker(f, "exercise", "") in exercises]
        rows = tuple(run_check(n, f, probe) for n, f in chosen)
        empty = [e for e in exercises if all(marker(f, "exercise", "") != e for _, f in chosen)]
        notes = (f"no public checks for {', '.join(empty)}: the hidden checks alone grade it",) if empty and tagged else ()
        found = tuple(f"{key}: `{r.found}` (In [{r.cell}])" for key, r in probe.resolutions().items() if r.found)
        return CheckTable(name, exercises, rows, notes, found)


def released_folder(assignment: str, public: Path | None = None) -> Path:
    """The released folder (assignment.toml, public_specs/) of `assignment`: `public`, else the one embedded
    in the student package, else `<id>/` or `assignments/<id>/` in the working folder."""
    embedded = sorted(p.parent.name for p in EMBEDDED.glob("*/assignment.toml"))
    wanted = assignment or (embedded[0] if len(embedded) == 1 else "")
    if not wanted:
        raise AssignmentError(f"say which assignment: Checker(\"<id>\") (embedded here: {', '.join(embedded) or 'none'})")
    places = [public, public / wanted] if public is not None else []
    places += [EMBEDDED / wanted, Path(wanted), Path("assignments") / wanted]
    for place in places:
        if place is not None and (place / "assignment.toml").is_file():
            return place
    raise AssignmentError(
        f"no public checks of {wanted!r} here: install the package the notebook's first cell names "
        f"(embedded here: {', '.join(embedded) or 'none'}), or keep the folder {wanted}/ beside the notebook"
    )


def current_count() -> int:
    """The execution count of the cell running now (0 outside IPython)."""
    shell = ipython()
    return int(shell.execution_count) if shell is not None else 0


def history_cells(calls: list[tuple[int, tuple[str, ...]]], count: int) -> list[CellResult]:
    """The cells run so far (by execution count, from IPython's history), each tagged with the exercises
    of the checks called after it and before any earlier check; cells re-run keep their own counts."""
    shell = ipython()
    sources = list(shell.user_ns.get("In", [])) if shell is not None else []
    tags: dict[int, set[str]] = {}
    for position, (at, exercises) in enumerate(calls):
        before = max((c for c, _ in calls[:position] if c < at), default=0)
        for number in range(before + 1, at + 1):
            tags.setdefault(number, set()).update(exercises)
    return [
        CellResult(index=n, tags=sorted(tags.get(n, ())), source=str(sources[n]), status="ok", execution_count=n)
        for n in range(1, min(count, len(sources) - 1) + 1)
    ]


def section_starts(cells: list[CellResult], order: list[str]) -> dict[str, int]:
    """Where each checked exercise's section starts (its first tagged cell), kept only in the assignment's
    order: an exercise checked before an earlier one keeps no section and is looked for everywhere."""
    first = {tag: min(c.index for c in cells if tag in c.tags) for cell in cells for tag in cell.tags}
    starts: dict[str, int] = {}
    for exercise in order:
        if exercise in first and all(first[exercise] > at for at in starts.values()):
            starts[exercise] = first[exercise]
    return starts
