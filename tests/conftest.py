"""Shared helpers: notebooks built in memory, the tiny `mini` assignment, live kernels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.assignment import Assignment, load_assignment
from grader.execute import ExecuteSettings, LiveKernel, run_notebook

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_SOLUTIONS = ROOT / "tests" / "fixtures" / "solutions"


def code(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


def notebook(*cells: nbformat.NotebookNode, assignment: str | None = None) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_markdown_cell("# test notebook"), *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if assignment:
        nb.metadata["grader"] = {"assignment": assignment}
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def mini() -> Assignment:
    return load_assignment(FIXTURE_SOLUTIONS / "mini")


FAST = ExecuteSettings(cell_timeout=20, probe_timeout=10)


def live_kernel(nb: nbformat.NotebookNode, tmp: Path, settings: ExecuteSettings = FAST) -> Iterator[LiveKernel]:
    """Run `nb` and yield its live kernel (for module-scoped fixtures)."""
    write(nb, tmp / "submission.ipynb")  # what the kernel's folder will hold, kept for inspection
    with run_notebook(nb, settings) as live:
        yield live
