"""`grade validate`: prove that an assignment's reference, release and checks agree.

Four runs through the whole grading pipeline, each in a fresh kernel:

1. the reference solution (markers removed, as a student would hand it in) must get full marks,
   with no failing cell, and pass every public check;
2. the released blank notebook must get zero, and no check may end in a grader fault, a
   timeout or a crash (an error because an object is missing is what a blank should get);
3. and 4. the reference again with other seeds must get the same score. These runs change every
   seed the notebook sets (its `torch.manual_seed(42)` becomes another seed, settings.reseed), so
   they are other training runs for real; a check whose outcome changes fails validation with the
   values it measured in both runs.

`calibration.json` must exist and match the reference notebook and specs (`grade calibrate`).

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

from grader.authoring.calibration import calibration_problems
from grader.authoring.release import out_of_date
from grader.check.collector import run_checks
from grader.core import legacy
from grader.core.assignment import PUBLIC_SPECS, Assignment, load_assignment
from grader.core.kernel_needs import kernel_settings
from grader.core.markers import clean_solution, release_notebook, write_notebook
from grader.core.results import CheckResult, ExerciseResult, SubmissionResult
from grader.core.settings import ExecuteSettings
from grader.execute.kernels import KernelSupply, require_environment, require_kernel
from grader.grade import grade_submission
from grader.intake.discover import submission_at
from grader.probe.probe import Probe

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
        """How the hidden checks ended: outcome -> count."""
        return Counter(c.outcome for c in _checks(self.result.exercises))

    def public_passed(self) -> tuple[int, int] | None:
        """(passed, total) public checks, None when they did not run."""
        if self.public is None:
            return None
        checks = _checks(self.public)
        return sum(c.outcome == "passed" for c in checks), len(checks)


@dataclass
class Validation:
    assignment: Assignment
    runs: list[ValidationRun]
    release_problems: list[str]
    seconds: float
    # specs that import the grader from elsewhere than grader.spec (still working, for one release)
    old_imports: list[str] = field(default_factory=list)

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
    settings = kernel_settings(settings, [assignment])
    require_kernel(settings.kernel_name)
    require_environment(settings)  # built once, before the first notebook; refused here when it cannot be
    assignment.require_course_secret()
    public = dataclasses.replace(assignment, specs=PUBLIC_SPECS) if (folder / PUBLIC_SPECS).is_dir() else None
    reference = nbformat.read(assignment.notebook, as_version=4)
    # the runs with other seeds also vary the seeds the notebook sets itself (settings.reseed):
    # its torch.manual_seed(42) becomes another seed, so they are other training runs
    plan = [
        ("reference", settings, "full marks", public),
        ("blank", settings, "zero", public),
        *(
            ("reference", dataclasses.replace(settings, seed=seed, reseed=seed), f"= seed {settings.seed}", None)
            for seed in seeds
        ),
    ]
    scratch = Path(tempfile.mkdtemp(prefix="grade-validate-"))
    supply = KernelSupply(settings, expected=len(plan))  # the kernels do not depend on the seed
    try:
        write_notebook(clean_solution(reference), scratch / "reference" / f"{assignment.id}.ipynb")
        write_notebook(release_notebook(reference), scratch / "blank" / f"{assignment.id}.ipynb")
        runs = []
        for label, run_settings, expected, public_checks in plan:
            if progress:
                progress(f"{label}, seed {run_settings.seed}")
            path = scratch / label / f"{assignment.id}.ipynb"
            runs.append(_run(label, expected, path, assignment, run_settings, public_checks, supply))
    finally:
        supply.close()
        shutil.rmtree(scratch, ignore_errors=True)
    _judge(runs)
    stale = out_of_date(assignment)
    release_problems = [
        f"{path} is not what `grade release {folder}` writes now: run it and commit the result" for path in stale
    ]
    release_problems += calibration_problems(assignment)
    old_imports = legacy.spec_imports(assignment.folder)
    return Validation(assignment, runs, release_problems, time.perf_counter() - started, old_imports)


def _run(
    label: str,
    expected: str,
    path: Path,
    assignment: Assignment,
    settings: ExecuteSettings,
    public: Assignment | None,
    supply: KernelSupply,
) -> ValidationRun:
    public_results: list[ExerciseResult] = []

    def check_public(probe: Probe) -> None:
        if public is not None:
            public_results.extend(run_checks(public, probe))

    result = grade_submission(submission_at(path.parent, path), [assignment], settings, supply, with_probe=check_public)
    ran_public = public is not None and result.status in ("graded", "kernel-died")
    return ValidationRun(label, settings.seed, expected, result, public_results if ran_public else None)


def _judge(runs: list[ValidationRun]) -> None:
    """Fill in each run's problems: what it should have scored and how its checks may end."""
    first = runs[0]
    for run in runs:
        if run.result.status != "graded":
            run.problems.append(f"status {run.result.status}: {run.result.message}")
        run.problems.extend(
            f"{c.id} ended in {'a grader fault' if c.grader_fault else c.outcome}: {_first_line(c.message)}"
            for c in _checks(run.result.exercises)
            if _is_fault(c)
        )
        if run.label == "blank":
            _judge_blank(run)
        elif run is first:
            _judge_reference(run)
        else:
            _judge_other_seed(run, first)


def _judge_blank(run: ValidationRun) -> None:
    passed = [c.id for c in _checks(run.result.exercises) if c.outcome == "passed"]
    if run.result.score != 0:
        run.problems.append(f"scored {run.result.score:g}, not 0; checks that pass on a blank notebook: {', '.join(passed)}")
    public = _checks(run.public or [])
    if any(c.outcome == "passed" for c in public):
        names = ", ".join(c.id for c in public if c.outcome == "passed")
        run.problems.append(f"public checks pass on a blank notebook: {names}")
    if any(_is_fault(c) for c in public):
        names = ", ".join(c.id for c in public if _is_fault(c))
        run.problems.append(f"public checks end in a grader fault, timeout or crash: {names}")


def _judge_reference(run: ValidationRun) -> None:
    result = run.result
    if result.score != result.max_score:
        lost = [f"{c.id} ({c.outcome}: {_first_line(c.message)})" for c in _checks(result.exercises) if c.outcome != "passed"]
        run.problems.append(f"scored {result.score:g} of {result.max_score:g}; lost: {'; '.join(lost)}")
    cells = result.execution.cells if result.execution else []
    failing = [c for c in cells if c.status in ("error", "timeout", "crash", "not-run")]
    if failing:
        named = ", ".join(f"cell {c.index} ({c.status}{': ' + c.ename if c.ename else ''})" for c in failing)
        run.problems.append(f"cells that did not run cleanly: {named}")
    public_lost = [c.id for c in _checks(run.public or []) if c.outcome != "passed"]
    if public_lost:
        run.problems.append(f"public checks that fail on the reference: {', '.join(public_lost)}")


def _judge_other_seed(run: ValidationRun, first: ValidationRun) -> None:
    """Every check must end as in the first run: an outcome that depends on the training seed is unfair."""
    before = {c.id: c for c in _checks(first.result.exercises)}
    for check in _checks(run.result.exercises):
        other = before.get(check.id)
        if other is None or other.outcome == check.outcome:
            continue
        run.problems.append(
            f"{check.id} changes with the training seed: {other.outcome}{_measured(other)} with seed {first.seed}, "
            f"{check.outcome}{_measured(check)} with seed {run.seed}"
        )


def _measured(check: CheckResult) -> str:
    """' (accuracy 95.1 % on hidden draw)' for the values a check judged, '' when it measured none."""
    values = [f"{m.quantity} {m.value:.1%} on {m.data}" for m in check.measurements if m.judged]
    return f" ({'; '.join(values)})" if values else ""


def _checks(exercises: list[ExerciseResult]) -> list[CheckResult]:
    return [check for exercise in exercises for check in exercise.checks]


def _not_passed(run: ValidationRun) -> set[str]:
    return {c.id for c in _checks(run.result.exercises) if c.outcome != "passed"}


def _is_fault(check: CheckResult) -> bool:
    """A check no notebook should be able to end this way: the check or the grader is at fault."""
    return check.grader_fault or check.outcome in ("crash", "timeout")


def _first_line(message: str) -> str:
    return message.splitlines()[0] if message else ""



def parse_seeds(text: str) -> list[int]:
    """'1,2' -> [1, 2]; ValueError naming --seeds."""
    try:
        return [int(seed) for seed in text.split(",") if seed.strip()]
    except ValueError:
        raise ValueError(f"Invalid --seeds {text!r}: give whole numbers separated by commas, e.g. 1,2") from None
