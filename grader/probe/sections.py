"""Sections: where each exercise of an assignment starts in a student's notebook.

From the exercise's tag where the notebook kept its tags; else from its markdown: a line naming the
exercise ("Exercise 3", "Ex 3 ·"), a numbered heading ("## 3. …") at the heading level that numbers
the most exercises (so a title such as "# 02. …" is not taken for one), or a heading holding one of
the exercise's alignment phrases from assignment.toml. Sections follow the exercise order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import nbformat

from grader.core.assignment import Assignment
from grader.core.results import CellResult

# "## 3. Build a model", "### Exercise 3", "**Ex 3 ·** …", "Question 3:"
_NUMBERED = re.compile(r"^\s*(#{1,6})?\s*(?:\*\*|__)?\s*((?:exercise|ex|question|task|q)\.?\s*)?(\d{1,2})\s*(?:[.):·\-–—]|\s|\*|$)", re.I)


def exercise_starts(nb: nbformat.NotebookNode | None, assignment: Assignment, cells: list[CellResult]) -> dict[str, int]:
    """The 1-based cell index where each exercise's section starts, from tags, else numbered headings."""
    order = [exercise.id for exercise in assignment.exercises]
    starts: dict[str, int] = {}
    for cell in cells:
        for tag in cell.tags:
            if tag in order and tag not in starts:
                starts[tag] = cell.index
    if nb is not None:
        for exercise, index in _heading_starts(nb, assignment).items():
            starts.setdefault(exercise, index)
        for exercise, index in _hinted_starts(nb, assignment, starts).items():
            starts.setdefault(exercise, index)
    # sections follow the exercise order: drop a start that comes before an earlier exercise's
    ordered: dict[str, int] = {}
    latest = 0
    for exercise in order:
        if exercise in starts and starts[exercise] >= latest:
            ordered[exercise] = latest = starts[exercise]
    return ordered


def _heading_starts(nb: nbformat.NotebookNode, assignment: Assignment) -> dict[str, int]:
    """Exercise starts from markdown: lines that name an exercise ("Exercise 3", "Ex 3 ·"), then bare numbered
    headings ("## 3. …") at the heading level that numbers the most exercises (not the notebook's "# 02. Title")."""
    by_number = {_exercise_number(e.id, e.title): e.id for e in assignment.exercises}
    by_number.pop(None, None)
    named: dict[str, int] = {}
    numbered: dict[int, dict[str, int]] = {}  # heading level -> exercise -> first cell index
    for position, cell in enumerate(nb.cells, start=1):
        if cell.get("cell_type") != "markdown":
            continue
        for line in str(cell.get("source", "")).splitlines()[:3]:
            match = _NUMBERED.match(line)
            if not match or not (match.group(1) or match.group(2)):
                continue
            exercise = by_number.get(int(match.group(3)))
            if exercise is None:
                continue
            if match.group(2):
                named.setdefault(exercise, position)
            else:
                numbered.setdefault(len(match.group(1)), {}).setdefault(exercise, position)
            break
    starts = dict(named)
    if numbered:
        best = max(numbered, key=lambda level: (len(numbered[level]), level))
        for exercise, position in numbered[best].items():
            starts.setdefault(exercise, position)
    return starts


def _hinted_starts(nb: nbformat.NotebookNode, assignment: Assignment, found: Mapping[str, int]) -> dict[str, int]:
    """Starts of exercises no tag or number placed, from the assignment's alignment hints: the first markdown
    heading after the previous exercise's start that contains one of the exercise's hint phrases."""
    starts: dict[str, int] = {}
    after = 0
    for exercise in assignment.exercises:
        if exercise.id in found:
            after = found[exercise.id]
            continue
        hints = [hint.lower() for hint in assignment.alignment.get(exercise.id, ())]
        for position, cell in enumerate(nb.cells, start=1):
            if position <= after or cell.get("cell_type") != "markdown" or not hints:
                continue
            headings = [line.lower() for line in str(cell.get("source", "")).splitlines() if line.lstrip().startswith("#")]
            if any(hint in line for line in headings for hint in hints):
                starts[exercise.id] = after = position
                break
    return starts


def _exercise_number(exercise_id: str, title: str) -> int | None:
    for text in (exercise_id, title):
        match = re.search(r"(\d+)", text)
        if match:
            return int(match.group(1))
    return None
