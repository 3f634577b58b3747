"""`grade validate`: prove that an assignment's reference, release and checks agree.

Four runs through the whole grading pipeline, each in a fresh kernel:

1. the reference solution (markers removed, as a student would hand it in) must get full marks,
   with no failing cell, and pass every public check;
2. the released blank notebook must get zero, and no check may end in a grader fault, a
   timeout or a crash (an error because an object is missing is what a blank should get);
3. and 4. the reference again with other seeds must get the same score.

The released files must also match what `grade release` writes now.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.assignment import PUBLIC_SPECS, Assignment, load_assignment
from grader.check import run_checks
from grader.discover import submission_at
from grader.execute import ExecuteSettings, require_kernel
from grader.pipeline import grade_submission
from grader.probe import Probe
from grader.release import clean_solution, out_of_date, release_notebook, write_notebook
from grader.results import ExerciseResult, SubmissionResult

OTHER_SEEDS = (1, 2)


@dataclass
class ValidationRun:
    label: str  # "reference" or "blank"
    seed: int
    expected: str  # what the run must score, in words
    result: SubmissionResult
    public: list[ExerciseResult] | None = None  # the public checks, when they ran
    problems: list[str] = field(default_factory=list)

    def outcomes(self) -> Counter[str]:
        return Counter(c.outcome for e in self.result.exercises for c in e.checks)

    def public_passed(self) -> tuple[int, int] | None:
        if self.public is None:
            return None
        checks = [c for e in self.public for c in e.checks]
        return sum(c.outcome == "passed" for c in checks), len(checks)


@dataclass
class Validation:
    assignment: Assignment
    runs: list[ValidationRun]
    release_problems: list[str]
    seconds: float

    @property
    def problems(self) -> list[str]:
        return self.release_problems + [f"{run.label}, seed {run.seed}: {p}" for run in self.runs for p in run.problems]

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_assignment(
    folder: Path,
    settings: ExecuteSettings = ExecuteSettings(),
    seeds: Sequence[int] = OTHER_SEEDS,
    progress: Callable[[str], None] | None = None,
) -> Validation:
    """Run the reference, the blank and the reference under `seeds`; say what violates the contract."""
    started = time.perf_counter()
    assignment = load_assignment(folder)
    require_kernel(settings.kernel_name)
    public = dataclasses.replace(assignment, specs=PUBLIC_SPECS) if (folder / PUBLIC_SPECS).is_dir() else None
    reference = nbformat.read(assignment.notebook, as_version=4)
    scratch = Path(tempfile.mkdtemp(prefix="grade-validate-"))
    try:
        notebooks = {"reference": clean_solution(reference), "blank": release_notebook(reference)}
        for name, nb in notebooks.items():
            write_notebook(nb, scratch / name / f"{assignment.id}.ipynb")
        plan = [
            ("reference", "reference", settings.seed, "full marks", public),
            ("blank", "blank", settings.seed, "zero", public),
            *(("reference", "reference", s, f"= seed {settings.seed}", None) for s in seeds),
        ]
        runs = []
        for label, name, seed, expected, public_checks in plan:
            if progress:
                progress(f"{label}, seed {seed}")
            path = scratch / name / f"{assignment.id}.ipynb"
            runs.append(_run(label, expected, path, assignment, dataclasses.replace(settings, seed=seed), public_checks))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _judge(runs)
    stale = out_of_date(assignment)
    release_problems = [
        f"{path} is not what `grade release {folder}` writes now: run it and commit the result" for path in stale
    ]
    return Validation(assignment, runs, release_problems, time.perf_counter() - started)


def _run(
    label: str, expected: str, path: Path, assignment: Assignment, settings: ExecuteSettings, public: Assignment | None
) -> ValidationRun:
    public_results: list[ExerciseResult] = []

    def check_public(probe: Probe) -> None:
        if public is not None:
            public_results.extend(run_checks(public, probe))

    result = grade_submission(submission_at(path.parent, path), [assignment], settings, check_public)
    ran_public = public is not None and result.status in ("graded", "kernel-died")
    return ValidationRun(label, settings.seed, expected, result, public_results if ran_public else None)


def _judge(runs: list[ValidationRun]) -> None:
    """Fill in each run's problems: what it should have scored and how its checks may end."""
    first = runs[0]
    for run in runs:
        result = run.result
        if result.status != "graded":
            run.problems.append(f"status {result.status}: {result.message}")
        faults = [
            f"{c.id} ended in {'a grader fault' if c.grader_fault else c.outcome}: {c.message.splitlines()[0] if c.message else ''}"
            for e in result.exercises
            for c in e.checks
            if c.grader_fault or c.outcome in ("crash", "timeout")
        ]
        run.problems.extend(faults)
        if run.label == "blank":
            _judge_blank(run)
        else:
            _judge_reference(run, first)


def _judge_blank(run: ValidationRun) -> None:
    passed = [c.id for e in run.result.exercises for c in e.checks if c.outcome == "passed"]
    if run.result.score != 0:
        run.problems.append(f"scored {run.result.score:g}, not 0; checks that pass on a blank notebook: {', '.join(passed)}")
    public_passed = [c.id for e in run.public or [] for c in e.checks if c.outcome == "passed"]
    if public_passed:
        run.problems.append(f"public checks pass on a blank notebook: {', '.join(public_passed)}")
    public_faults = [c.id for e in run.public or [] for c in e.checks if c.grader_fault or c.outcome in ("crash", "timeout")]
    if public_faults:
        run.problems.append(f"public checks end in a grader fault, timeout or crash: {', '.join(public_faults)}")


def _judge_reference(run: ValidationRun, first: ValidationRun) -> None:
    result = run.result
    if run is first:
        lost = [f"{c.id} ({c.outcome}: {c.message.splitlines()[0] if c.message else ''})"
                for e in result.exercises for c in e.checks if c.outcome != "passed"]
        if result.score != result.max_score:
            run.problems.append(f"scored {result.score:g} of {result.max_score:g}; lost: {'; '.join(lost)}")
        cells = result.execution.cells if result.execution else []
        failing = [c for c in cells if c.status in ("error", "timeout", "crash", "not-run")]
        if failing:
            named = ", ".join(f"cell {c.index} ({c.status}{': ' + c.ename if c.ename else ''})" for c in failing)
            run.problems.append(f"cells that did not run cleanly: {named}")
        public_lost = [c.id for e in run.public or [] for c in e.checks if c.outcome != "passed"]
        if public_lost:
            run.problems.append(f"public checks that fail on the reference: {', '.join(public_lost)}")
    elif result.score != first.result.score:
        changed = sorted(
            {c.id for e in result.exercises for c in e.checks if c.outcome != "passed"}
            ^ {c.id for e in first.result.exercises for c in e.checks if c.outcome != "passed"}
        )
        run.problems.append(
            f"scored {result.score:g}, but {first.result.score:g} with seed {first.seed}; checks that differ: "
            + ", ".join(changed)
        )
