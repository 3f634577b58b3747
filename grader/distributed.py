"""A Dask backend: one task per submission on a `dask.distributed` cluster.

The task carries the notebook's bytes and the assignments' spec bundles (every
file of each `solutions/<id>/` folder, plus the released student notebook used
to recognise untagged notebooks); the worker unpacks them into a temporary
folder, grades the submission exactly as a local worker would (same sandbox,
same seed) and returns the result as JSON-ready data, which the instructor's
machine records. Workers need this package installed, nothing else.

    dask-scheduler                                   # on one machine
    dask-worker tcp://SCHEDULER:8786 --nthreads 1    # on each grading machine
    dask-worker tcp://SCHEDULER:8786 --nthreads 1 --resources "GPU=1"   # per GPU
    grade submissions/ --dask tcp://SCHEDULER:8786 [--dask-gpu]
"""

from __future__ import annotations

import atexit
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.core.assignment import Assignment, load_assignments
from grader.core.results import SubmissionResult
from grader.core.settings import ExecuteSettings
from grader.execute.kernels import KernelSupply, PreparedKernel
from grader.intake.discover import Submission

Bundle = dict[str, bytes]  # relative path -> file content


def bundle(assignments: list[Assignment]) -> Bundle:
    """Every file the workers need to grade against `assignments`, keyed by a relative path."""
    files: Bundle = {}
    for assignment in assignments:
        for path in sorted(assignment.folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files[f"solutions/{assignment.id}/{path.relative_to(assignment.folder).as_posix()}"] = path.read_bytes()
        if assignment.student_notebook is not None:
            files[f"assignments/{assignment.id}.ipynb"] = assignment.student_notebook.read_bytes()
    return files


class _WorkerKernels:
    """One kernel supply per worker process and settings (a kernel template where forking works),
    kept between tasks so the imports are paid once per worker, not once per task."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._supplies: dict[ExecuteSettings, KernelSupply] = {}

    def take(self, settings: ExecuteSettings) -> PreparedKernel:
        with self._lock:  # a worker started with several threads runs tasks side by side
            if settings not in self._supplies:
                self._supplies[settings] = KernelSupply(settings)
                if len(self._supplies) == 1:
                    atexit.register(self.close)
            return self._supplies[settings].take()

    def close(self) -> None:
        with self._lock:
            for supply in self._supplies.values():
                supply.close()
            self._supplies.clear()


_worker_kernels = _WorkerKernels()


class _TaskKernels:
    """The `KernelSupply` face `grade_submission` uses: a kernel from this worker's supply, when needed."""

    def __init__(self, settings: ExecuteSettings) -> None:
        self.settings = settings

    def take(self) -> PreparedKernel:
        return _worker_kernels.take(self.settings)


def grade_task(
    notebook: bytes, submission: dict[str, str], files: Bundle, settings: ExecuteSettings, assume: bool = False
) -> dict[str, Any]:
    """Runs on a worker: unpack, grade one submission, return its result as plain data."""
    from grader.grade import grade_submission  # imported on the worker

    with tempfile.TemporaryDirectory(prefix="grade-task-") as scratch:
        root = Path(scratch)
        for relative, content in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        path = root / "submission" / Path(submission["relative_path"]).name
        path.parent.mkdir()
        path.write_bytes(notebook)
        local = Submission(
            id=submission["id"],
            student=submission["student"],
            path=path,
            relative_path=submission["relative_path"],
            notebook_hash=submission["notebook_hash"],
        )
        supply = _TaskKernels(settings)
        return grade_submission(local, load_assignments(root / "solutions"), settings, supply, assume=assume).to_dict()  # type: ignore[arg-type]  # _TaskKernels has the one method used: take()


def grade_on_cluster(
    address: str,
    pending: list[Submission],
    assignments: list[Assignment],
    settings: ExecuteSettings,
    record: Callable[[Submission, SubmissionResult], None],
    failed: Callable[[Submission, BaseException], SubmissionResult],
    gpu: bool = False,
    assume: bool = False,
) -> None:
    """Send one task per submission to the scheduler at `address`; record results as they come back."""
    from distributed import Client, as_completed

    with Client(address) as client:
        files = client.scatter(bundle(assignments), broadcast=True)
        resources = {"GPU": 1} if gpu else None
        futures = {
            client.submit(
                grade_task,
                submission.path.read_bytes(),
                {
                    "id": submission.id,
                    "student": submission.student,
                    "relative_path": submission.relative_path,
                    "notebook_hash": submission.notebook_hash,
                },
                files,
                settings,
                assume,
                key=f"grade-{submission.id}-{submission.notebook_hash}",
                resources=resources,
                pure=False,
            ): submission
            for submission in pending
        }
        for future in as_completed(futures):
            submission = futures[future]
            try:
                result = SubmissionResult.from_dict(future.result())
            except Exception as exc:  # the worker died or the task could not run: this one gets an error row
                result = failed(submission, exc)
            record(submission, result)
