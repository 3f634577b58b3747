"""Grading many submissions at once on this machine: a process pool, one kernel supply per worker, GPUs shared out.

Each worker is a fresh (spawned) interpreter with its own kernel supply; at
most `per_gpu` workers share each GPU and the others run on the CPU. A worker
that dies costs only the submission it held: that one is graded again, alone.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from grader.core.assignment import Assignment
from grader.core.results import SubmissionResult
from grader.core.settings import ExecuteSettings
from grader.execute.kernels import KernelSupply
from grader.grade import grade_submission
from grader.intake.discover import Submission

Progress = Callable[[Submission, SubmissionResult | None], None]


def grade_all(
    pending: list[Submission],
    assignments: list[Assignment],
    settings: ExecuteSettings,
    workers: int,
    record: Callable[[Submission, SubmissionResult], None],
    progress: Progress | None,
    per_gpu: int = 1,
    assume: bool = False,
) -> None:
    """Grade `pending`, `workers` at a time, recording each result as soon as it is known."""
    if workers <= 1 or len(pending) <= 1:
        supply = KernelSupply(settings, expected=len(pending))
        try:
            for submission in pending:
                if progress:
                    progress(submission, None)
                record(submission, grade_submission(submission, assignments, settings, supply, assume=assume))
        finally:
            supply.close()
        return
    with open_workers(settings, workers, per_gpu) as pool:
        futures = {pool.submit(_grade_in_worker, s, assignments, settings, assume): s for s in pending}
        for future in as_completed(futures):
            submission = futures[future]
            record(submission, _worker_result(future, submission, assignments, settings, assume))


def open_workers(settings: ExecuteSettings, workers: int, per_gpu: int = 1) -> ProcessPoolExecutor:
    """A pool of `workers` grading processes, each with its GPU (or none) and its kernel supply
    (`worker_supply()` inside a task)."""
    # spawn: a clean interpreter per worker (no inherited threads or sockets); pytest runs in each
    context = multiprocessing.get_context("spawn")
    devices = context.Queue()
    for device in gpu_assignments(visible_gpus(), per_gpu, workers):
        devices.put(device)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(settings, devices))


def worker_supply() -> KernelSupply | None:
    """The kernel supply of this worker process (None outside a pool's worker)."""
    return _worker_supply


_worker_supply: KernelSupply | None = None


def _start_worker(settings: ExecuteSettings, devices: Any) -> None:
    """In each worker process: its GPU (or none), and a kernel supply that launches the next kernel
    while one is graded."""
    global _worker_supply
    _die_with_parent()
    device = devices.get()
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device  # inherited by this worker's kernels
    _worker_supply = KernelSupply(settings)
    atexit.register(_worker_supply.close)


def _die_with_parent() -> None:
    """On Linux, end this worker (and so its kernels) when the grader dies, even by SIGKILL:
    a pool worker would otherwise wait forever for work, holding its kernel template."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the pool's own shutdown still ends the worker when the grader exits normally


def visible_gpus() -> list[str]:
    """The GPUs kernels may use: CUDA_VISIBLE_DEVICES when set, else the NVIDIA devices present."""
    declared = os.environ.get("CUDA_VISIBLE_DEVICES")
    if declared is not None:
        return [d.strip() for d in declared.split(",") if d.strip() and d.strip() != "-1"]
    return sorted((p.name.removeprefix("nvidia") for p in Path("/dev").glob("nvidia[0-9]*")), key=int)


def gpu_assignments(gpus: list[str], per_gpu: int, workers: int) -> list[str | None]:
    """CUDA_VISIBLE_DEVICES per worker: at most `per_gpu` workers share a GPU, the others get
    none ("": CPU). Without GPUs every worker keeps the environment as it is (None)."""
    if not gpus:
        return [None] * workers
    slots = [gpu for gpu in gpus for _ in range(per_gpu)]
    return [slots[i] if i < len(slots) else "" for i in range(workers)]


def _grade_in_worker(
    submission: Submission, assignments: list[Assignment], settings: ExecuteSettings, assume: bool
) -> SubmissionResult:
    return grade_submission(submission, assignments, settings, _worker_supply, assume=assume)


def _worker_result(
    future: Future[SubmissionResult], submission: Submission, assignments: list[Assignment], settings: ExecuteSettings, assume: bool = False
) -> SubmissionResult:
    try:
        return future.result()
    except Exception as exc:  # the worker process itself died: grade this one again, alone
        traceback.print_exc()
        result = grade_submission(submission, assignments, settings, assume=assume)
        if result.status == "grader-error":
            result.message += f" (worker failed first: {type(exc).__name__})"
        return result
