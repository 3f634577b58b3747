"""`grade calibrate SOLUTION`: measure the reference's spread, so that every threshold is fair and stated.

The reference solution runs through the real grading pipeline once per training seed:
seed 0 is the notebook as graded; seed k > 0 mixes k into every seed the notebook sets
(`ExecuteSettings.reseed`: its `torch.manual_seed(42)` becomes another seed, with no
change to the notebook). On each run the hidden checks run on hidden draw 0 (the one
grading uses) and on draws 1 … M-1 (derived from the course secret like it), against the
same trained kernel. Wrong answers run too, at seed 0 on every draw: those the assignment
declares in `[[wrong_answers]]` (made from the reference by grader/authoring/wrong_answers.py),
else the reference with every activation replaced by the identity ("linear"); and always the
released blank notebook ("blank"). A spec that raises an error of its own (a grader fault) stops
the calibration after the run it happened in, with the check's message. Each run's
observations are appended to `calibration.partial.jsonl` as soon as it ends, so an
interrupted calibration resumes where it stopped; the summary goes to `calibration.json`
(grader/authoring/calibration.py).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Generator
from concurrent.futures import as_completed
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader import pool
from grader.authoring.calibration import (
    Calibration,
    Observation,
    notebook_hash,
    summarise,
    write_calibration,
)
from grader.authoring.wrong_answers import linear_variant, make_wrong_answer
from grader.check.collector import run_checks
from grader.core.assignment import Assignment, AssignmentError, load_assignment
from grader.core.kernel_needs import kernel_settings
from grader.core.markers import clean_solution, release_notebook, write_notebook
from grader.core.results import ExerciseResult, PredictionRecord, SubmissionResult
from grader.core.settings import ExecuteSettings
from grader.execute.kernels import KernelSupply, require_environment, require_kernel
from grader.grade import grade_submission
from grader.intake.discover import submission_at
from grader.probe.probe import Probe

PARTIAL_FILE = "calibration.partial.jsonl"
DEFAULT_SEEDS = 20
DEFAULT_DRAWS = 5


class SpecFault(AssignmentError):
    """A spec raised an error of its own while calibrating: a bug in the spec, reported at once."""


@dataclass(frozen=True)
class Run:
    variant: str  # "reference", "blank", or a wrong answer's name ("linear", or one declared)
    seed: int

    @property
    def key(self) -> str:
        return f"{self.variant}@{self.seed}"


Progress = Callable[[Run, int, int], None]  # the run that ended, runs done, runs in all


DEFAULT_SETTINGS = ExecuteSettings()


def calibrate_assignment(
    folder: Path,
    settings: ExecuteSettings = DEFAULT_SETTINGS,
    seeds: int = DEFAULT_SEEDS,
    draws: int = DEFAULT_DRAWS,
    workers: int = 1,
    progress: Progress | None = None,
) -> Calibration:
    """Calibrate the assignment in `folder` over `seeds` training seeds × `draws` hidden draws; write calibration.json."""
    if seeds < 1 or draws < 1:
        raise ValueError(f"Invalid calibration size {seeds} seeds x {draws} draws: both must be at least 1")
    started = time.perf_counter()
    assignment = load_assignment(folder)
    settings = kernel_settings(settings, [assignment])
    require_kernel(settings.kernel_name)
    require_environment(settings)  # built once, before the first notebook; refused here when it cannot be
    assignment.require_course_secret()
    notebooks = variant_notebooks(assignment)
    runs = [Run("reference", seed) for seed in range(seeds)] + [Run(v, 0) for v in notebooks if v != "reference"]
    done = _resume(assignment, draws)
    observations = [o for run in runs for o in done.get(run.key, [])]
    pending = [run for run in runs if run.key not in done]
    scratch = Path(tempfile.mkdtemp(prefix="grade-calibrate-"))
    try:
        paths = {}
        for variant, nb in notebooks.items():
            paths[variant] = scratch / variant / f"{assignment.id}.ipynb"
            write_notebook(nb, paths[variant])
        finished = len(runs) - len(pending)
        with closing(_run_all(pending, paths, assignment, settings, draws, workers)) as ending:
            for run, found in ending:
                _stop_on_spec_fault(run, found)
                _append(assignment, draws, run, found)
                observations += found
                finished += 1
                if progress:
                    progress(run, finished, len(runs))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _require_known_checks(assignment, observations)
    must_lose = {w.name: w.must_lose for w in assignment.wrong_answers}
    calibration = summarise(assignment, observations, seeds, draws, must_lose)
    calibration.seconds = round(time.perf_counter() - started, 1)
    write_calibration(calibration, folder)
    (folder / PARTIAL_FILE).unlink(missing_ok=True)
    return calibration


def variant_notebooks(assignment: Assignment) -> dict[str, NotebookNode]:
    """The notebooks calibrate runs, by variant: the reference, the wrong answers, the blank.

    A declared wrong answer whose transform finds nothing to change in the reference is an
    AssignmentError: it would only measure the reference again."""
    reference = nbformat.read(assignment.notebook, as_version=4)
    solved = clean_solution(reference)
    notebooks: dict[str, NotebookNode] = {"reference": solved}
    if not assignment.wrong_answers:
        linear = linear_variant(solved)
        if linear is not None:
            notebooks["linear"] = linear
    for answer in assignment.wrong_answers:
        try:
            variant = make_wrong_answer(solved, answer)
        except ValueError as exc:
            raise AssignmentError(f"wrong answer {answer.name!r}: {exc}") from exc
        if variant is None:
            raise AssignmentError(
                f"wrong answer {answer.name!r} ({answer.transform}) changes nothing in {assignment.notebook.name}: "
                "the reference has nothing that transform applies to; remove it or choose another transform"
            )
        notebooks[answer.name] = variant
    notebooks["blank"] = release_notebook(reference)
    return notebooks


def _stop_on_spec_fault(run: Run, observations: list[Observation]) -> None:
    """SpecFault, with the check's message, when a check of this run raised an error of its own."""
    for o in observations:
        if o.grader_fault:
            raise SpecFault(
                f"calibration stopped after {run.variant} at seed {run.seed}: the spec {o.check} raised an error of its "
                f"own on draw {o.draw} (a bug in the spec, not in the notebook): {o.message}"
            )


def _require_known_checks(assignment: Assignment, observations: list[Observation]) -> None:
    """AssignmentError for a must_lose entry that names no check the specs have."""
    known = {o.check for o in observations}
    for answer in assignment.wrong_answers:
        unknown = [check for check in answer.must_lose if check not in known]
        if unknown:
            raise AssignmentError(
                f"wrong answer {answer.name!r}: must_lose names {', '.join(unknown)}, which no spec defines; "
                f"the checks are {', '.join(sorted(known))}"
            )


def settings_for(run: Run, settings: ExecuteSettings) -> ExecuteSettings:
    """Seed 0 grades as usual; seed k > 0 is another training run (every seed the notebook sets mixed with k)."""
    if run.seed == 0:
        return settings
    return dataclasses.replace(settings, seed=run.seed, reseed=run.seed)


def _run_all(
    pending: list[Run], paths: dict[str, Path], assignment: Assignment, settings: ExecuteSettings, draws: int, workers: int
) -> Generator[tuple[Run, list[Observation]], None, None]:
    """Yield (run, observations) as runs end, `workers` at a time."""
    if workers <= 1 or len(pending) <= 1:
        supply = KernelSupply(settings, expected=len(pending))
        try:
            for run in pending:
                yield run, observe_run(run, paths[run.variant], assignment, settings_for(run, settings), draws, supply)
        finally:
            supply.close()
        return
    with pool.open_workers(settings, workers) as executor:
        futures = {
            executor.submit(_observe_in_worker, run, paths[run.variant], assignment, settings_for(run, settings), draws): run
            for run in pending
        }
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:  # stopped early (a spec fault): the runs not started yet are not run
            for future in futures:
                future.cancel()


def _observe_in_worker(run: Run, path: Path, assignment: Assignment, settings: ExecuteSettings, draws: int) -> list[Observation]:
    return observe_run(run, path, assignment, settings, draws, pool.worker_supply())


def observe_run(
    run: Run, path: Path, assignment: Assignment, settings: ExecuteSettings, draws: int, supply: KernelSupply | None
) -> list[Observation]:
    """Grade the notebook at `path` once, then run the checks again on hidden draws 1 … draws-1."""
    later: list[Observation] = []

    def other_draws(probe: Probe) -> None:
        for draw in range(1, draws):
            later.extend(_observations(run, draw, run_checks(assignment, probe, draw=draw)))

    result = grade_submission(submission_at(path.parent, path), [assignment], settings, supply, other_draws, assume=True)
    if result.status == "grader-error":
        raise SpecFault(f"calibration stopped: grading {run.variant} at seed {run.seed} failed in the grader: {_why(result)}")
    graded = [_with_record(o, result.predictions) for o in _observations(run, 0, result.exercises)]
    return graded + later


def _with_record(observation: Observation, records: list[PredictionRecord]) -> Observation:
    """The check's observation on the graded draw with the points it got wrong (for calibration.json's difficulty)."""
    record = next((r for r in records if r.check == observation.check), None)
    if record is None or observation.quantity:
        return observation
    return dataclasses.replace(observation, wrong=record.wrong, points=record.points, draw_digest=record.draw)


def _why(result: SubmissionResult) -> str:
    return result.message or "no message"


def _observations(run: Run, draw: int, exercises: list[ExerciseResult]) -> list[Observation]:
    found = []
    for check in (c for e in exercises for c in e.checks):
        message = check.message if check.outcome != "passed" else ""
        base = Observation(run.variant, run.seed, draw, check.id, check.outcome, message=message, grader_fault=check.grader_fault)
        found.append(base)
        found += [
            dataclasses.replace(
                base, quantity=m.quantity, value=m.value, count=m.count, data=m.data, lower=m.lower, upper=m.upper,
                judged=m.judged, items=m.items,
            )
            for m in check.measurements
        ]
    return found


def _resume(assignment: Assignment, draws: int) -> dict[str, list[Observation]]:
    """Runs an interrupted calibration of this very notebook, specs and size already finished."""
    path = assignment.folder / PARTIAL_FILE
    if not path.is_file():
        return {}
    key = (notebook_hash(assignment), assignment.spec_hash(), draws)
    done: dict[str, list[Observation]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            if (entry["notebook_hash"], entry["spec_hash"], entry["draws"]) == key:
                done[entry["run"]] = [Observation(**o) for o in entry["observations"]]
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by the interruption
    return done


def _append(assignment: Assignment, draws: int, run: Run, observations: list[Observation]) -> None:
    entry = {
        "run": run.key, "notebook_hash": notebook_hash(assignment), "spec_hash": assignment.spec_hash(), "draws": draws,
        "observations": [dataclasses.asdict(o) for o in observations],
    }
    with open(assignment.folder / PARTIAL_FILE, "a", encoding="utf-8") as partial:
        partial.write(json.dumps(entry) + "\n")
