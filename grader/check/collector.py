"""Check stage: run an assignment's hidden pytest specs against one probed submission.

Specs are ordinary pytest files run in the grader's process with
`pytest.main(..., plugins=[collector])`. The collector hands them the
`submission` fixture (a `Probe`), reads each test's points and exercise from its
markers, and turns every test report into a `CheckResult`, the way pytest's
junitxml reporter builds its records from `pytest_runtest_logreport`.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from grader.check import reuse
from grader.check.helpers import observing_predictions
from grader.core.assignment import Assignment
from grader.core.digests import prediction_record
from grader.core.hidden import HiddenSet, HiddenSetLoader, load_hidden_set
from grader.core.results import (
    VISIBILITIES,
    CheckOutcome,
    CheckResult,
    ExerciseResult,
    Measurement,
    PredictionRecord,
    Visibility,
)
from grader.core.secret import HiddenRng, hidden_rng_of
from grader.execute.channel import KernelDied, ProbeError, ProbeTimeout
from grader.probe.probe import ObjectNotFound, Probe

MESSAGE_BUDGET = 4000


class SpecError(RuntimeError):
    """The hidden specs could not be collected (a bug in the specs, not in the submission)."""


@dataclass
class _Item:
    exercise: str
    description: str
    max_points: float
    visibility: Visibility = "visible"
    outcome: CheckOutcome = "passed"
    message: str = ""
    duration: float = 0.0
    grader_fault: bool = False
    measurements: list[Measurement] = field(default_factory=list)


@dataclass(eq=False)  # pluggy keeps plugins in sets: identity hashing
class SpecCollector:
    """pytest plugin: provides the `submission` and `hidden_rng` fixtures and records one result per test."""

    probe: Probe
    assignment: Assignment
    draw: int = 0  # which hidden draw `hidden_rng` gives: 0 grades, `grade calibrate` also measures others
    items: dict[str, _Item] = field(default_factory=dict)
    collection_errors: list[str] = field(default_factory=list)
    predictions: dict[tuple[str, str], PredictionRecord] = field(default_factory=dict)  # (check, draw) -> the last
    current: str = ""  # the check running now

    @pytest.fixture
    def submission(self) -> Probe:
        return self.probe

    @pytest.fixture
    def hidden_rng(self) -> HiddenRng:
        """`hidden_rng(name)`: the generator of the hidden draw `name`, derived from the course secret."""
        return hidden_rng_of(self.assignment.folder, self.assignment.id, self.draw)

    @pytest.fixture
    def hidden_set(self) -> HiddenSetLoader:
        """`hidden_set(name)`: the hidden set `hidden/<name>.npz` (inputs, labels, items), read grader-side."""

        def load(name: str) -> HiddenSet:
            return load_hidden_set(self.assignment.folder, name)

        return load

    def pytest_configure(self, config: pytest.Config) -> None:
        # A failed check's message is made from its exception (_classify); pytest's own long traceback of
        # it, with source, cost ~50 ms a failed check and was never read. Python's plain traceback instead
        # (what --tb=native sets; the option itself belongs to the terminal plugin, which is off).
        config.option.tbstyle = "native"
        config.addinivalue_line("markers", "points(n): points the check is worth")
        config.addinivalue_line("markers", "exercise(id): the exercise (cell tag) the check belongs to")
        config.addinivalue_line(
            "markers", "visibility(kind): 'visible' (default) or 'hidden': a hidden check's message is for the staff only"
        )

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            visibility = _marker_arg(item, "visibility", "visible")
            if visibility not in VISIBILITIES:
                self.collection_errors.append(
                    f"Invalid visibility {visibility!r} from @pytest.mark.visibility on {item.nodeid}; "
                    f"use one of {', '.join(VISIBILITIES)}"
                )
            self.items[_check_id(item)] = _Item(
                exercise=_marker_arg(item, "exercise", "other"),
                description=_description(item),
                max_points=float(_marker_arg(item, "points", 1)),
                visibility=visibility,
            )

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        # figures a check asks for are filed under that check and its exercise
        self.current = _check_id(item)
        self.probe.begin_check(self.current, self.items[self.current].exercise)

    def observe_predictions(self, predicted: np.ndarray, labels: np.ndarray, items: np.ndarray | None = None) -> None:
        """Keep which points the running check's accuracy found wrong (for the integrity stage)."""
        item = self.items.get(self.current)
        record = prediction_record(self.current, item.exercise, predicted, labels, items) if item else None
        if record is not None:
            self.predictions[(record.check, record.draw)] = record

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        reuse.collected(self.assignment)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        record = self.items[_check_id(item)]
        record.duration += report.duration
        if report.when == "call":
            record.measurements = self.probe.measurements.pop(_check_id(item), [])
        if report.skipped and record.outcome == "passed":
            record.outcome, record.message = "skipped", _skip_reason(report)
        elif report.failed and record.outcome == "passed":
            record.outcome, record.message = _classify(call.excinfo)
            record.grader_fault = _is_grader_fault(call.excinfo)


def run_checks(
    assignment: Assignment, probe: Probe, predictions: list[PredictionRecord] | None = None, draw: int = 0
) -> list[ExerciseResult]:
    """Run the hidden specs of `assignment` against `probe` (on hidden draw `draw`); group the results by exercise.

    `predictions`, when given, receives a record of every accuracy the specs measured (staff only)."""
    collector = SpecCollector(probe, assignment, draw)
    reuse.prepare(assignment, draw)  # the modules of the previous session, unless they may have kept something
    try:
        with observing_predictions(collector.observe_predictions):
            code = pytest.main(pytest_arguments(assignment), plugins=[collector])
    finally:
        reuse.finished(assignment)
    if predictions is not None:
        predictions.extend(collector.predictions.values())
    if collector.collection_errors:
        raise SpecError("; ".join(collector.collection_errors))
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise SpecError(f"pytest could not run the specs in {assignment.specs_dir} (exit code {code!r})")
    return group_by_exercise(assignment, collector.items)


def import_spec_dependencies(assignment: Assignment) -> None:
    """Collect `assignment`'s specs once without running them, so that they and what they import are
    loaded before the first submission needs them (kept for it as grader/check/reuse.py says)."""
    reuse.prepare(assignment, 0)
    pytest.main([*pytest_arguments(assignment), "--collect-only"], plugins=[_Collected(assignment)])
    reuse.finished(assignment)


@dataclass(eq=False)
class _Collected:
    """pytest plugin of a collection alone: the state of the spec modules once collected."""

    assignment: Assignment

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        reuse.collected(self.assignment)


def pytest_arguments(assignment: Assignment) -> list[str]:
    return [
        str(assignment.specs_dir),
        "--rootdir",
        str(assignment.folder.parent),
        "-c",
        os.devnull,
        "--import-mode=importlib",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "-p",
        "no:logging",
        # its two full gc.collect() per session cost 0.3 s in a process holding torch, every submission; an
        # unraisable exception only ever became a warning, and warnings are ignored below
        "-p",
        "no:unraisableexception",
        "--capture=sys",
        "-W",
        "ignore",
    ]


def group_by_exercise(assignment: Assignment, items: dict[str, _Item]) -> list[ExerciseResult]:
    order = [exercise.id for exercise in assignment.exercises]
    exercises: dict[str, list[CheckResult]] = {}
    for check_id, item in items.items():
        exercises.setdefault(item.exercise, []).append(_check_result(check_id, item))
    ranked = sorted(exercises, key=lambda e: (order.index(e) if e in order else len(order), e))
    return [
        ExerciseResult(
            id=exercise,
            title=assignment.exercise_title(exercise),
            points=sum(c.points for c in exercises[exercise]),
            max_points=sum(c.max_points for c in exercises[exercise]),
            checks=exercises[exercise],
        )
        for exercise in ranked
    ]


def _check_result(check_id: str, item: _Item) -> CheckResult:
    return CheckResult(
        id=check_id,
        exercise=item.exercise,
        description=item.description,
        points=item.max_points if item.outcome == "passed" else 0.0,
        max_points=item.max_points,
        outcome=item.outcome,
        message=item.message,
        duration=round(item.duration, 3),
        visibility=item.visibility,
        grader_fault=item.grader_fault,
        measurements=item.measurements,
    )


def _classify(excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[CheckOutcome, str]:
    """Map the exception that ended a check onto the failure taxonomy, with a message."""
    if excinfo is None:
        return "error", "the check failed without an exception"
    exc = excinfo.value
    if isinstance(exc, AssertionError):
        return "failed", _clip(_assertion_message(exc) or excinfo.exconly())
    if isinstance(exc, ObjectNotFound):
        return "error", _clip(str(exc))
    if isinstance(exc, ProbeError):
        if exc.error == "NotImplementedError":
            return "error", "not attempted: the code still raises NotImplementedError"
        return "error", _clip(f"your code raised {exc.error}: {exc.message}\n{_student_frames(exc.traceback)}")
    if isinstance(exc, ProbeTimeout):
        return "timeout", _clip(str(exc))
    if isinstance(exc, KernelDied):
        return "crash", _clip(str(exc))
    return "error", _clip(excinfo.exconly())


def _is_grader_fault(excinfo: pytest.ExceptionInfo[BaseException] | None) -> bool:
    """The check ended on an exception that no submission should cause: the spec or the grader is wrong."""
    expected = (AssertionError, pytest.fail.Exception, ObjectNotFound, ProbeError, ProbeTimeout, KernelDied)
    return excinfo is None or not isinstance(excinfo.value, expected)


def _assertion_message(exc: AssertionError) -> str:
    """The spec's own message, without pytest's re-evaluation of the expression when there is one."""
    text = str(exc)
    message, separator, _ = text.partition("\nassert ")
    return message if separator and message.strip() else text


def _student_frames(traceback: str) -> str:
    """The traceback lines that point into the student's code, not into the grader's probe."""
    lines = traceback.strip().splitlines()
    kept: list[str] = []
    skipping = False
    for line in lines[1:-1]:  # drop "Traceback (most recent call last):" and the final line
        if line.startswith("  File "):
            skipping = "<grader probe>" in line
        if not skipping:
            kept.append(line)
    return "\n".join(kept[-12:])


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_BUDGET else text[:MESSAGE_BUDGET] + " … [cut]"


def _check_id(item: pytest.Item) -> str:
    return f"{item.path.name}::{item.name}"


def _marker_arg(item: pytest.Item, name: str, default: Any) -> Any:
    marker = item.get_closest_marker(name)
    return marker.args[0] if marker is not None and marker.args else default


def _description(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    return first or item.name.removeprefix("test_").replace("_", " ")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return "skipped"
