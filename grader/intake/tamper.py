"""Tamper detection: the cells an assignment gives locked must arrive unchanged.

A locked cell (tag `locked` in the reference notebook) is found in the
submission by its cell id, else by its position among the submission's locked
cells, else as the most similar code cell; its source is compared with the
reference after normalising whitespace. The student's metadata is never
trusted: the reference notebook is the only source of truth. The checks never
read the student's copy of the data anyway; this only tells the TA.
"""

from __future__ import annotations

import ast
import difflib
import functools
from pathlib import Path
from typing import Any

import nbformat

LOCKED_TAG = "locked"
MIN_SIMILARITY = 0.5  # below this, a code cell is not taken for the locked cell


def locked_cell_changes(submission: nbformat.NotebookNode, reference_path: Path) -> list[str]:
    """One sentence per locked cell of the reference that the submission changed or lost.

    Without the reference (a student's self-check has only the public material) there is nothing to compare.
    """
    if not reference_path.is_file():
        return []
    reference = _locked_cells(reference_path)
    code_cells = [cell for cell in submission.cells if cell.get("cell_type") == "code"]
    by_id = {cell.get("id"): cell for cell in code_cells if cell.get("id")}
    tagged = [cell for cell in code_cells if LOCKED_TAG in cell.get("metadata", {}).get("tags", [])]
    flags = []
    for position, (cell_id, source) in enumerate(reference):
        match = by_id.get(cell_id) or (tagged[position] if position < len(tagged) else None)
        if match is None or not _same_code(match.source, source):
            match = _most_similar(source, code_cells) or match
        if match is None:
            flags.append(f"locked cell {position + 1} ({_first_line(source)}) is missing")
        elif not _same_code(match.source, source):
            flags.append(f"locked cell {position + 1} ({_first_line(source)}) was changed: {_first_difference(source, match.source)}")
    return flags


@functools.lru_cache(maxsize=16)
def _locked_cells(reference_path: Path) -> tuple[tuple[str, str], ...]:
    nb = nbformat.read(reference_path, as_version=4)
    return tuple(
        (cell.get("id", ""), _normalised(cell.source))
        for cell in nb.cells
        if cell.cell_type == "code" and LOCKED_TAG in cell.metadata.get("tags", [])
    )


def _normalised(source: Any) -> str:
    text = "".join(source) if isinstance(source, list) else str(source)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _same_code(found: Any, expected: str) -> bool:
    """Equal as code: comments and layout do not count (syntax trees compared when both parse)."""
    found_text = _normalised(found)
    if found_text == expected:
        return True
    try:
        return ast.dump(ast.parse(found_text)) == ast.dump(ast.parse(expected))
    except (SyntaxError, ValueError):
        return False


def _most_similar(source: str, cells: list[Any]) -> Any:
    scored = [(difflib.SequenceMatcher(None, source, _normalised(c.source)).ratio(), i) for i, c in enumerate(cells)]
    best = max(scored, default=(0.0, -1))
    return cells[best[1]] if best[0] >= MIN_SIMILARITY else None


def _first_line(source: str) -> str:
    line = next((l for l in source.splitlines() if l.strip() and not l.lstrip().startswith("#")), "")
    return line.strip()[:60]


def _first_difference(expected: str, found: Any) -> str:
    """The first changed line, as 'old' -> 'new' (or what was added or removed)."""
    removed = added = None
    for line in difflib.unified_diff(expected.splitlines(), _normalised(found).splitlines(), lineterm="", n=0):
        if line.startswith("-") and not line.startswith("---") and removed is None:
            removed = line[1:].strip()[:100]
        elif line.startswith("+") and not line.startswith("+++") and added is None:
            added = line[1:].strip()[:100]
    if removed is not None and added is not None:
        return f"{removed!r} became {added!r}"
    if removed is not None:
        return f"{removed!r} was removed"
    if added is not None:
        return f"{added!r} was added"
    return "only whitespace or line order differs"
