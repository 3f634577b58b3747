"""Plain typed data that flows between the pipeline stages.

Every stage takes and returns these dataclasses; they serialise to JSON with
`dataclasses.asdict` and are reloaded defensively by `SubmissionResult.from_dict`,
so a report can be rebuilt from stored results without re-grading.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from grader.core.phases import Phases, phases_from_json

# The failure taxonomy of a check: a wrong value is a *failure*, a missing
# student object or a student function that raises is an *error*, a probe that
# hangs is a *timeout*, a dead kernel is a *crash*.
CheckOutcome = Literal["passed", "failed", "error", "timeout", "crash", "skipped"]

# What happened to one notebook cell.
CellStatus = Literal["ok", "error", "timeout", "crash", "not-run", "skipped"]

# What happened to the submission as a whole.
#   graded             executed and checked (cells may still have failed)
#   kernel-died        the kernel died part-way; checks ran against what was left
#   invalid            not a readable notebook: nothing was executed
#   unknown-assignment no assignment matched the notebook
#   grader-error       a bug in the grader; the message says where
SubmissionStatus = Literal[
    "graded", "kernel-died", "invalid", "unknown-assignment", "grader-error"
]

# Who may read a check's message or see a figure. A "hidden" check's message and a
# figure drawn over hidden data are for the teaching staff only: student feedback
# shows a hidden check's outcome and points, and leaves hidden figures out.
Visibility = Literal["visible", "hidden"]
VISIBILITIES: tuple[str, ...] = ("visible", "hidden")

# What a grader-drawn figure shows.
FigureKind = Literal["decision-boundary", "curves", "confusion-matrix", "misclassified-images"]


@dataclass
class CellResult:
    """One executed (or skipped) code cell of a submission."""

    index: int  # 1-based position among all cells (markdown too), top to bottom as in Jupyter
    tags: list[str]
    source: str
    status: CellStatus
    duration: float = 0.0
    ename: str = ""
    evalue: str = ""
    traceback: str = ""  # ANSI colour codes stripped
    stdout: str = ""  # truncated to a budget
    images: int = 0  # number of image outputs (figures) the cell produced
    note: str = ""  # e.g. "shell escape neutralised"
    execution_count: int | None = None  # the kernel's count for this run of the cell (None when not run)
    missing_package: str = ""  # the package a failed import needed
    library_error: str = ""  # the installed third-party package the cell's error was raised in, e.g. "torchmetrics 1.9.0"
    warnings: int = 0  # warnings the cell printed on stderr, counted (never stored one by one)
    stderr_summary: str = ""  # e.g. "12,345 warnings, 3 distinct: UserWarning: … (×4,115); 20,000,000 characters on stderr"


@dataclass
class ExecutionResult:
    """The outcome of running a notebook once in a fresh kernel."""

    cells: list[CellResult]
    kernel_died: bool = False
    kernel_message: str = ""
    device: str = "cpu"
    seed: int = 0
    versions: dict[str, str] = field(default_factory=dict)
    # the kernel's boot: from its launch (or fork) until its set-up ended and it was ready for cells
    kernel_boot_seconds: float = 0.0
    # how long this submission waited for its kernel: 0 when it was ready ahead, while another was graded
    kernel_wait_seconds: float = 0.0
    execute_seconds: float = 0.0  # the student's cells, first to last
    isolation: str = ""  # what the kernel's sandbox enforced, in words
    unsandboxed: str = ""  # why the kernel ran without the bubblewrap sandbox, with the fix; "" when it had one


@dataclass
class Resolution:
    """How a spec's named object was found in the student's namespace."""

    object: str  # the spec's name for it, e.g. "moons_model"
    found: str  # the student's variable name, "" when not found
    how: Literal["tag", "name", "fallback", "not-found"]  # fallback: the best fit of its section
    detail: str  # a sentence for the report: where it was bound, why it was chosen, what was passed over
    handle: str = ""  # how the probe addresses the kept object in the kernel ("@n")
    cell: int = 0  # the cell that bound it (1-based among all cells)


@dataclass
class Measurement:
    """A number a check measured (an accuracy), for the staff and for `grade calibrate`."""

    quantity: str  # what was measured, e.g. "accuracy"
    value: float
    count: int  # how many points it was measured on: a proportion's 95 % interval follows
    data: str  # what it was measured on: "hidden draw", "notebook test split"
    lower: float | None = None  # the check requires more than this
    upper: float | None = None  # and less than this
    judged: bool = True  # False: recorded for calibration only, the check's outcome does not depend on it
    # how many distinct items the points came from (perturbations of one image share it); None: every point its own
    items: int | None = None


@dataclass
class CheckResult:
    """One hidden check (a pytest test) run against one submission."""

    id: str  # stable id: "<spec file>::<test name>"
    exercise: str
    description: str  # the test's docstring first line, or its name
    points: float
    max_points: float
    outcome: CheckOutcome
    message: str = ""  # what was expected and what was found
    duration: float = 0.0
    visibility: Visibility = "visible"  # from the spec's @pytest.mark.visibility
    grader_fault: bool = False  # the check itself raised (a bug in the spec or the grader, not the student's)
    measurements: list[Measurement] = field(default_factory=list)  # staff only: numbers behind the outcome


@dataclass
class Figure:
    """A plot the grader drew from probe data, stored as an image so reports never re-draw."""

    title: str
    kind: FigureKind
    exercise: str  # the exercise of the check that asked for it
    check: str  # the id of that check
    visibility: Visibility  # "hidden" when drawn over hidden data: never in student feedback
    caption: str  # what it shows, in a sentence (also the image's alt text)
    media_type: str = "image/png"
    data: str = ""  # base64 of the image file
    width: int = 0  # pixels
    height: int = 0


@dataclass
class PredictionRecord:
    """Which points of a hidden draw a model got wrong, for the integrity stage (staff only).

    Made grader-side when a spec measures an accuracy (`grader.spec.accuracy`); never in a student
    view or an export. Compact: one bit per point, and the predicted label of each wrong point."""

    check: str  # the check that measured the accuracy
    exercise: str
    draw: str  # digest of the hidden labels: records are compared only over the same draw
    points: int
    wrong: str  # base64 of numpy.packbits(predicted != labels)
    wrong_labels: str = ""  # base64 of the predicted labels at the wrong points, one byte each (0-255)
    # which item each input came from, when the check says (noisy copies of one image): "<dtype>:<base64>"
    # of item numbers 0 … k-1 (grader/core/digests.py, encode_items); "" when every input is its own item
    items: str = ""


@dataclass
class ObjectDigest:
    """A digest of what one of the student's objects is (staff only): a model's parameters, or a
    function's outputs on fixed probe points. `permuted` is the same for parameters that differ
    only by an order of hidden units. For a model, how the kernel saw it trained: two models
    trained in their own kernels by the same number of steps, neither given saved parameters, are
    what one seeded recipe gives twice (grader/integrity/behaviour.py)."""

    role: str  # the assignment's name for it, e.g. "moons_model"
    kind: Literal["parameters", "outputs"]
    exact: str
    permuted: str = ""
    size: int = 0  # parameters, or output values
    steps: int = 0  # a model's optimizer steps in the kernel
    loaded: bool = False  # a model (or a part) was given saved parameters: load_state_dict, or unpickled


@dataclass
class ExerciseResult:
    id: str
    title: str
    points: float
    max_points: float
    checks: list[CheckResult]


@dataclass
class Override:
    """A TA's points for one check (or a whole exercise) in place of the automatic ones (grader/review/overlay.py)."""

    target: str  # a check id, or "exercise:<id>" for a whole exercise
    exercise: str
    points: float  # replaces the automatic points
    automatic_points: float  # what the grader gave when the override was made
    automatic_outcome: str  # the check's outcome then ("" for an exercise)
    notebook_hash: str  # of the notebook the override was made on
    reason: str
    author: str
    at: str  # ISO 8601, UTC
    flag: str = ""  # why a re-grade wants it looked at again; "" while it stands


@dataclass
class Comment:
    """A TA's comment on an exercise or the whole submission; private ones are staff notes."""

    id: int
    exercise: str  # "" for the whole submission
    text: str
    author: str
    at: str
    private: bool = False  # a staff note: never in student feedback


@dataclass
class EnvironmentChoice:
    """Which environment the kept execution ran in, and why (results before the fallback have none)."""

    graded_in: Literal["course", "grader", ""] = ""  # "": no [environment] pins, the grader's own environment
    reason: str = ""  # a sentence for the report; "" when the course's environment was never in question
    # the course's run: the first cell that raised inside a pinned package, and that package ("torchmetrics 0.10.3")
    cell: int = 0
    package: str = ""
    error: str = ""  # "TypeError: ..."
    failing_course: int = 0  # cells that did not run cleanly in the course's environment
    failing_grader: int = -1  # in the grader's, -1 when the notebook was not run there
    grader_versions: dict[str, str] = field(default_factory=dict)  # the pinned packages' versions in the grader's
    fallback_seconds: float = 0.0  # the extra execution in the grader's environment


@dataclass
class SubmissionResult:
    """Everything recorded about grading one submission file."""

    submission: str  # unique id within the batch, from the relative path
    student: str
    path: str  # the notebook path relative to the submissions folder
    assignment: str  # assignment id, "" when unknown
    assignment_title: str
    identified_by: str  # how the assignment was recognised
    status: SubmissionStatus
    message: str  # one line for the class table
    score: float
    max_score: float
    exercises: list[ExerciseResult] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)
    execution: ExecutionResult | None = None
    notebook_hash: str = ""
    spec_hash: str = ""
    grader_version: str = ""
    # the kernel environment built for the assignment's [environment] specifiers: its hash ("" when the kernel
    # ran in the grader's own environment) and each pinned package's installed version
    environment: str = ""
    environment_versions: dict[str, str] = field(default_factory=dict)
    environment_choice: EnvironmentChoice = field(default_factory=EnvironmentChoice)
    graded_at: str = ""  # ISO 8601, UTC
    seconds: float = 0.0  # wall time of the whole submission
    figures: list[Figure] = field(default_factory=list)
    figure_seconds: float = 0.0  # probing the grids and curves for the figures, and drawing them
    notes: list[str] = field(default_factory=list)  # for the staff: e.g. a plot that could not be drawn
    locked_cells_changed: list[str] = field(default_factory=list)  # locked cells that differ from the assignment's
    student_name: str = ""  # the name an LMS download gave the file, "" otherwise
    superseded: list[str] = field(default_factory=list)  # this student's older notebooks for the assignment, not graded
    submitted_at: str = ""  # ISO 8601, when known (see grader/intake/lateness.py)
    late_penalty: float = 0.0  # points taken off `score` for lateness
    late_note: str = ""  # how the deadline applied, for the report
    sections: dict[str, int] = field(default_factory=dict)  # exercise -> the 1-based cell its section starts at
    predictions: list[PredictionRecord] = field(default_factory=list)  # staff only: see PredictionRecord
    digests: list[ObjectDigest] = field(default_factory=list)  # staff only: see ObjectDigest
    # The TAs' review (grader/review/overlay.py), laid over the stored automatic result when it is read:
    overrides: list[Override] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    automatic_score: float | None = None  # the grader's score (after the late penalty) when the review changed it
    reviewed_by: str = ""  # who marked the submission reviewed, "" when nobody has
    score_note: str = ""  # why the score is not automatic + overrides − penalty (e.g. --no-decrease kept the old one)
    phases: Phases = field(default_factory=Phases)  # where `seconds` went (all zero in results made before phases)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        """Rebuild a result from JSON, ignoring unknown keys and filling missing ones."""
        execution = data.get("execution")
        result: SubmissionResult = _build(
            cls,
            data,
            exercises=[
                _build(
                    ExerciseResult,
                    ex,
                    checks=[
                        _build(
                            CheckResult,
                            c,
                            measurements=[_measurement(m) for m in c.get("measurements", []) if isinstance(m, dict)],
                        )
                        for c in ex.get("checks", [])
                    ],
                )
                for ex in data.get("exercises", [])
            ],
            resolutions=[_build(Resolution, r) for r in data.get("resolutions", [])],
            overrides=[_build(Override, o) for o in data.get("overrides", []) if isinstance(o, dict)],
            comments=[_build(Comment, c) for c in data.get("comments", []) if isinstance(c, dict)],
            figures=[_build(Figure, f) for f in data.get("figures", []) if isinstance(f, dict)],
            predictions=[_build(PredictionRecord, p) for p in data.get("predictions", []) if isinstance(p, dict)],
            digests=[_build(ObjectDigest, d) for d in data.get("digests", []) if isinstance(d, dict)],
            environment_versions=_string_map(data.get("environment_versions")),
            environment_choice=_environment_choice(data.get("environment_choice")),
            phases=phases_from_json(data.get("phases")),
            execution=(
                _build(
                    ExecutionResult,
                    execution,
                    cells=[_build(CellResult, c) for c in execution.get("cells", [])],
                )
                if isinstance(execution, dict)
                else None
            ),
        )

        return result

    @classmethod
    def from_json(cls, text: str) -> SubmissionResult:
        return cls.from_dict(json.loads(text))


def _measurement(data: dict[str, Any]) -> Measurement:
    """A stored measurement; a distinct-item count that is missing or not a positive whole number reads as None."""
    items = data.get("items")
    valid = isinstance(items, int) and not isinstance(items, bool) and items > 0
    return _build(Measurement, data, items=items if valid else None)  # type: ignore[no-any-return]


def _build(cls: type, data: dict[str, Any], **nested: Any) -> Any:
    """Construct dataclass `cls` from `data`, keeping only the fields it declares."""
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names and k not in nested}
    kwargs.update(nested)
    return cls(**kwargs)


def summary_message(result: SubmissionResult) -> str:
    """One line for the class table: changed locked cells, a dead kernel, failing cells, missing packages."""
    execution = result.execution
    if execution is None:
        return ""
    parts = list(result.locked_cells_changed)
    if execution.kernel_died:
        parts.append(execution.kernel_message)
    failing = [c for c in execution.cells if c.status in ("error", "timeout")]
    if failing:
        numbers = ", ".join(str(c.index) for c in failing[:6]) + (", …" if len(failing) > 6 else "")
        plural = "s" if len(failing) > 1 else ""
        parts.append(f"{len(failing)} failing cell{plural} (cell{plural} {numbers})")
    parts.extend(c.note for c in execution.cells if c.missing_package)
    return "; ".join(parts)


def _string_map(value: Any) -> dict[str, str]:
    """`value` when it is a table of strings (as written), else {}: older results have none."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}


def _environment_choice(value: Any) -> EnvironmentChoice:
    """The recorded choice when it is a table of the right kinds (as written), else the empty one."""
    if not isinstance(value, dict):
        return EnvironmentChoice()
    empty = EnvironmentChoice()
    kept = {k: v for k, v in value.items() if k != "grader_versions" and _same_kind(v, getattr(empty, k, None))}
    if kept.get("graded_in") not in ("course", "grader", ""):
        kept.pop("graded_in", None)
    choice: EnvironmentChoice = _build(EnvironmentChoice, kept, grader_versions=_string_map(value.get("grader_versions")))
    return choice


def _same_kind(value: Any, default: Any) -> bool:
    """Whether a reloaded `value` has the kind of the field whose default is `default` (an int is a float)."""
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return default is not None and type(value) is type(default)
