"""The course's environment first, the grader's own when a notebook was written for the newer API.

A class mixes cohorts: notebooks written against the course's pinned versions
(torchmetrics 0.x `Accuracy()`) and notebooks written against the current ones
(`Accuracy(task="multiclass", num_classes=K)`, which torchmetrics 0.10 rejects).
When a cell raised inside a *pinned* package's files (a traceback frame in the
kernel environment's own site-packages), the notebook is executed once more in
the grader's own environment (the kernel spec's Python, no overlay) and the
execution with fewer failing cells is kept; a tie keeps the course's. A notebook
whose own code raises, or a library the course does not pin, is executed once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from importlib import metadata
from typing import Literal

import nbformat

from grader.core.results import CellResult, EnvironmentChoice, ExecutionResult
from grader.core.settings import ExecuteSettings
from grader.execute.channel import LiveKernel
from grader.execute.environments import KernelEnvironment
from grader.execute.kernels import PreparedKernel
from grader.execute.notebook import run_notebook


def _pinned_frame(environment: KernelEnvironment) -> re.Pattern[str]:
    """A traceback frame in the environment's own site-packages (only pinned distributions live there)."""
    # the key rather than the full prefix: IPython may shorten the home folder to "~" in traceback paths
    return re.compile(re.escape(environment.key) + r"[/\\]lib[/\\]python[^/\\]*[/\\]site-packages[/\\]([A-Za-z_]\w*)")


def _normal(name: str) -> str:
    """A distribution name compared the way packaging does (case, `_` and `.` as `-`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_package(module: str, environment: KernelEnvironment) -> str:
    """The pinned distribution that provides top-level `module` (pkg_resources: setuptools), else `module`."""
    owners = metadata.packages_distributions().get(module, []) + [module]
    pinned = {_normal(name): name for name in environment.versions}
    return next((pinned[_normal(owner)] for owner in owners if _normal(owner) in pinned), module)


def pinned_failure(cells: list[CellResult], environment: KernelEnvironment) -> tuple[CellResult, str] | None:
    """The first cell whose error was raised through a pinned package, and that package; None when none was."""
    frame = _pinned_frame(environment)
    for cell in cells:
        if cell.status != "error":
            continue
        modules = frame.findall(cell.traceback)
        if modules:
            return cell, pinned_package(modules[-1], environment)  # the deepest pinned frame
    return None


def failing_cells(execution: ExecutionResult) -> int:
    """How many code cells did not run cleanly (raised, timed out, crashed, or never ran after a crash)."""
    return sum(1 for cell in execution.cells if cell.status != "ok")


def _choice(course: LiveKernel, cell: CellResult, package: str, environment: KernelEnvironment) -> EnvironmentChoice:
    """The choice before the second execution: what failed in the course's environment."""
    return EnvironmentChoice(
        graded_in="course",
        cell=cell.index,
        package=f"{package} {environment.versions.get(package, '')}".strip(),
        error=f"{cell.ename}: {cell.evalue}".strip(": ")[:300],
        failing_course=failing_cells(course.result),
    )


def _decide(choice: EnvironmentChoice, own: LiveKernel, seconds: float) -> EnvironmentChoice:
    """`choice` completed with the grader's execution: which one is kept, and the sentence that says why."""
    package = choice.package.split()[0]
    version = own.result.versions.get(package) or _installed(package)
    failing = failing_cells(own.result)
    kept: Literal["grader", "course"] = "grader" if failing < choice.failing_course else "course"
    course = f"the course's ({choice.package})"
    grader = f"the grader's environment ({package} {version})".replace(" )", ")")
    raised = f"cell {choice.cell} raised inside {package}: {choice.error}"
    if kept == "grader":
        reason = (f"graded in {grader}: in {course}, {raised}; {failing} of its cells failed there, "
                  f"{choice.failing_course} in the course's")
    else:
        reason = (f"graded in the course's environment ({choice.package}): {raised}, but in {grader} "
                  f"{failing} cells failed against {choice.failing_course}, so the course's run is kept")
    return replace(choice, graded_in=kept, reason=reason, failing_grader=failing,
                   grader_versions={package: version} if version else {}, fallback_seconds=round(seconds, 3))


def _installed(package: str) -> str:
    """The grader environment's version of `package`, "" when it has none."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


@contextmanager
def kept_execution(
    nb: nbformat.NotebookNode,
    settings: ExecuteSettings,
    kernel: PreparedKernel | None,
    environment: KernelEnvironment | None,
) -> Iterator[tuple[LiveKernel, EnvironmentChoice]]:
    """Execute `nb` in the course's environment, once more in the grader's when a pinned package raised;
    yield the live kernel of the execution kept (the other one is shut down first) and the choice."""
    with ExitStack() as course_stack:
        course = course_stack.enter_context(run_notebook(nb, settings, kernel))
        failure = pinned_failure(course.result.cells, environment) if environment is not None else None
        if environment is None or failure is None:
            yield course, EnvironmentChoice(graded_in="course" if environment is not None else "")
            return
        choice = _choice(course, *failure, environment)
        started = time.perf_counter()
        with ExitStack() as own_stack:
            # launched now, only for this notebook: batches that never fall back never start one
            own = own_stack.enter_context(run_notebook(nb, replace(settings, kernel_pins=()), None))
            choice = _decide(choice, own, time.perf_counter() - started)
            if choice.graded_in == "grader":
                course_stack.close()
                yield own, choice
            else:
                own_stack.close()
                yield course, choice
