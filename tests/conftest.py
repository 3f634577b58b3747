"""Shared helpers: notebooks built in memory, the tiny `mini` assignment, live kernels."""

from __future__ import annotations

import fcntl
import os
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.core.assignment import Assignment, load_assignment
from grader.execute.channel import LiveKernel
from grader.execute.notebook import run_notebook
from grader.execute.kernels import KernelSupply
from grader.core.settings import ExecuteSettings

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_SOLUTIONS = ROOT / "tests" / "fixtures" / "solutions"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite the golden HTML files under tests/goldens/ from what the reports render now",
    )


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
    """Run `nb` and yield its live kernel (for module-scoped fixtures).

    The kernel is started as a batch would start it: forked from a template
    (settings.kernel_start "fork", where forking works here) or launched.
    """
    write(nb, tmp / "submission.ipynb")  # what the kernel's folder will hold, kept for inspection
    supply = KernelSupply(settings, expected=1)
    try:
        with run_notebook(nb, settings, supply.take()) as live:
            yield live
    finally:
        supply.close()


# --------------------------------------------------------------------------- a graded batch for report tests

HOSTILE_STUDENT = "mallory<script>"
WRONG_SQUARE_MESSAGE = "square([-2.0, 0.5, 3.0]) gave [-4.0, 1.0, 6.0]"  # the hidden check's expected values


def report_submissions(folder: Path) -> None:
    """The mini solution, a wrong square (its hidden check fails), hostile and malformed notebooks."""
    imports = code("import torch\nfrom torch import nn", "locked")
    layer = code("layer = nn.Linear(2, 1)", "ex1")
    write(notebook(imports, layer, code("def square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))", "ex2"),
                   assignment="mini"), folder / "ada" / "mini.ipynb")
    write(notebook(imports, layer, code("def square(x):\n    return x + x\nprint(square(torch.tensor(3.0)))", "ex2"),
                   assignment="mini"), folder / "wrong" / "mini.ipynb")
    hostile = notebook(
        code("import torch\nfrom torch import nn\nimport os  # a changed locked cell", "locked"),
        layer,
        code("print('<script>alert(\"pwned\")</script>')\nprint('A' * 300_000)\nprint('x' * 5000)", "ex2"),
        code("raise ValueError('<img src=x onerror=alert(1)>' + 'y' * 3000)", "<b>tag</b>"),
        assignment="mini",
    )
    write(hostile, folder / HOSTILE_STUDENT / "mini.ipynb")
    write(notebook(imports, layer, code("import os\nos._exit(1)"), assignment="mini"), folder / "crashy" / "mini.ipynb")
    (folder / "broken").mkdir(parents=True)
    (folder / "broken" / "mini.ipynb").write_text("{ this is not json", encoding="utf-8")
    (folder / "shapeless").mkdir(parents=True)
    (folder / "shapeless" / "mini.ipynb").write_text('{"cells": 5, "nbformat": 4}', encoding="utf-8")


@pytest.fixture(scope="session")
def report_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A graded batch (staff view) of `report_submissions`; returns its results folder."""
    from grader.pipeline import BatchOptions, grade_folder  # imported late: conftest stays cheap to load

    root = tmp_path_factory.mktemp("report-batch")
    report_submissions(root / "submissions")
    grade_folder(root / "submissions", BatchOptions(root / "out", FIXTURE_SOLUTIONS, FAST))
    return root / "out"


# --------------------------------------------------------------------------- the demo class, graded once

ASSIGNMENTS = ("classification-exercises", "assignment-6", "blobs-mini-project", "digits-cnn")


def demo_expectations(assignment: str) -> dict[str, Any]:
    """solutions/<assignment>/demos.toml: max_score and, per demo student, how it is made and what it loses."""
    return tomllib.loads((ROOT / "solutions" / assignment / "demos.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class DemoBatch:
    out: Path  # the reports folder
    results: dict[tuple[str, str], Any]  # (assignment, student) -> SubmissionResult

    def of(self, assignment: str) -> dict[str, Any]:
        return {student: r for (a, student), r in self.results.items() if a == assignment}


@pytest.fixture(scope="session")
def demo_batch(tmp_path_factory: pytest.TempPathFactory) -> DemoBatch:
    """`grade submissions/` on a copy of the bundled demo class: one batch for every assignment's demos."""
    from grader.cli.commands import main  # imported late: conftest stays cheap to load
    from grader.record.gradebook import Gradebook

    # Graded once per run: under pytest-xdist the first test process to need it grades it into the run's
    # shared temporary folder (pytest-xdist's documented pattern) while the others wait on the lock,
    # instead of every process grading the whole class at once on the same cores. Tests only read it.
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    batch, out = shared / "demo-batch", shared / "demo-batch" / "reports"
    with open(shared / "demo-batch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (batch / "graded").exists():
            shutil.rmtree(batch, ignore_errors=True)
            shutil.copytree(ROOT / "submissions", batch / "submissions")
            arguments = [str(batch / "submissions"), "--out", str(out), "--solutions", str(ROOT / "solutions"), "--quiet"]
            assert main(arguments) == 0
            (batch / "graded").touch()
    return DemoBatch(out, {(r.assignment, r.student): r for r in Gradebook(out / "gradebook.sqlite").results()})
