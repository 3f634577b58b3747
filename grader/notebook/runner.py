"""A tiny runner of public checks: each `test_*` function called with the `submission` it asks for.

Why not `pytest.main` as the grader's collector does: inside the student's running kernel pytest would
load every plugin the environment registers (Colab's included), and take over sys.path, warnings and
output capture of the student's own process. Public checks are plain functions that take one fixture,
`submission`, and carry `exercise` and `points` markers, which this runner reads; pytest is imported
only for the markers the checks declare and its skip exception.
"""

from __future__ import annotations

import importlib.util
import inspect
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from grader.notebook.table import CheckRow, Outcome
from grader.probe.figure_requests import ObjectNotFound

TestFunction = Callable[..., Any]


def load_checks(folder: Path, assignment: str) -> list[tuple[str, TestFunction]]:
    """Every `test_*` function of the public spec files in `folder`, file by file, in definition order."""
    found: list[tuple[str, TestFunction]] = []
    for path in sorted(folder.glob("*.py")):
        module = _load(path, f"_nbgrade_public_{assignment.replace('-', '_')}_{path.stem}")
        found += [
            (name, value)
            for name, value in vars(module).items()
            if name.startswith("test") and inspect.isfunction(value) and value.__module__ == module.__name__
        ]
    return found


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the public checks in {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def marker(function: TestFunction, name: str, default: Any) -> Any:
    """The first argument of the function's pytest marker `name`, else `default`."""
    for mark in getattr(function, "pytestmark", []):
        if mark.name == name and mark.args:
            return mark.args[0]
    return default


def run_check(name: str, function: TestFunction, submission: object) -> CheckRow:
    """Call one check with the fixtures it asks for; the row says how it ended."""
    exercise = str(marker(function, "exercise", ""))
    description = (inspect.getdoc(function) or "").split("\n")[0]
    unknown = [p for p in inspect.signature(function).parameters if p != "submission"]
    if unknown:
        message = f"asks for {', '.join(unknown)}, which only `grade check` provides: run `grade check` on the notebook"
        return CheckRow(exercise, name, description, "skipped", message)
    try:
        function(submission)
    except AssertionError as exc:
        return CheckRow(exercise, name, description, "failed", str(exc) or _failed_line(exc))
    except pytest.skip.Exception as exc:
        return CheckRow(exercise, name, description, "skipped", str(exc.msg))
    except Exception as exc:  # the student's object may raise anything: it is this check's answer
        outcome, message = _error(exc)
        return CheckRow(exercise, name, description, outcome, message)
    return CheckRow(exercise, name, description, "passed")


def _error(exc: Exception) -> tuple[Outcome, str]:
    """How an exception other than a failed assertion reads in the table (the grader's wording)."""
    if isinstance(exc, ObjectNotFound):
        return "error", str(exc)
    if isinstance(exc, NotImplementedError):
        return "error", "not attempted: the code still raises NotImplementedError"
    return "error", f"your code raised {type(exc).__name__}: {exc}"


def _failed_line(exc: AssertionError) -> str:
    """A bare `assert` has no message: the line of the check that failed."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"failed: {frames[-1].line}" if frames else "failed"
