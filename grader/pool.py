"""Grading many submissions at once on this machine: a process pool, one kernel supply per worker, GPUs shared out.

Each worker is a fresh (spawned) interpreter with its own kernel supply; at
most `per_gpu` workers share each GPU and the others run on the CPU. A worker
that dies costs only the submission it held: that one is graded again, alone.
Figures are drawn by one background process (`FigureDrawer`) from the plot data
a worker hands back with the kernel released, so no worker waits for matplotlib.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import closing
from pathlib import Path
from typing import Any

from grader.check.collector import import_spec_dependencies
from grader.core.assignment import Assignment
from grader.core.results import SubmissionResult
from grader.core.settings import ExecuteSettings
from grader.execute.kernels import KernelSupply
from grader.grade import Undrawn, draw, grade_undrawn
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
    expected: Sequence[Assignment] | None = None,
) -> None:
    """Grade `pending`, `workers` at a time, recording each result as soon as its figures are drawn.

    `expected`: the assignments `pending` belong to, as far as is known (default: all), whose specs each
    worker imports before its first notebook; an assignment met later is imported when first graded."""
    warm = list(assignments if expected is None else expected)
    if workers <= 1 or len(pending) <= 1:
        _grade_serially(pending, assignments, settings, record, progress, assume, warm)
        return
    with open_workers(settings, workers, per_gpu, warm) as pool, closing(FigureDrawer()) as drawer:
        grading = {pool.submit(_grade_in_worker, s, assignments, settings, assume): s for s in pending}
        drawing: dict[Future[SubmissionResult], tuple[Submission, Undrawn]] = {}
        while grading or drawing:
            running: list[Future[Any]] = [*grading, *drawing]
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                if future in grading:
                    submission = grading.pop(future)
                    undrawn = _worker_result(future, submission, assignments, settings, assume)
                    drawing[drawer.submit(undrawn)] = (submission, undrawn)
                else:
                    submission, undrawn = drawing.pop(future)
                    record(submission, drawer.result(future, undrawn))


def _grade_serially(
    pending: list[Submission],
    assignments: list[Assignment],
    settings: ExecuteSettings,
    record: Callable[[Submission, SubmissionResult], None],
    progress: Progress | None,
    assume: bool,
    warm: list[Assignment],
) -> None:
    """Grade `pending` one after the other here, each one's figures drawn while the next one executes."""
    supply = KernelSupply(settings, expected=len(pending))
    _import_spec_dependencies(supply, warm)
    queue: deque[tuple[Submission, Undrawn, Future[SubmissionResult]]] = deque()
    try:
        with closing(FigureDrawer()) as drawer:
            for submission in pending:
                if progress:
                    progress(submission, None)
                undrawn = grade_undrawn(submission, assignments, settings, supply, assume=assume)
                queue.append((submission, undrawn, drawer.submit(undrawn)))
                while queue and (queue[0][2].done() or len(queue) > 1):  # in order; one drawing at most in flight
                    done, undrawn_done, future = queue.popleft()
                    record(done, drawer.result(future, undrawn_done))
            while queue:
                done, undrawn_done, future = queue.popleft()
                record(done, drawer.result(future, undrawn_done))
    finally:
        supply.close()


class FigureDrawer:
    """One background process that draws the figures of graded submissions (matplotlib is not thread-safe:
    a process of its own, never a thread beside the grading); a submission without plots needs none."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, undrawn: Undrawn) -> Future[SubmissionResult]:
        """A future of the result with its figures drawn."""
        if undrawn.plots:
            try:
                if self._pool is None:  # started with the first figure: a batch without figures never pays for it
                    # it ends with the grader, as the workers do: killed, the grader would leave it waiting forever
                    self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_die_with_parent)
                return self._pool.submit(draw, undrawn)
            except RuntimeError:  # the drawer broke (BrokenProcessPool is one): draw below, here
                pass
        ready: Future[SubmissionResult] = Future()
        ready.set_result(draw(undrawn))
        return ready

    @staticmethod
    def result(future: Future[SubmissionResult], undrawn: Undrawn) -> SubmissionResult:
        """The drawn result; where the drawing process died, the figures drawn here instead."""
        try:
            return future.result()
        except Exception:  # the drawer's process died (a figure never raises: draw_figures makes it a note)
            traceback.print_exc()
            return draw(undrawn)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def open_workers(
    settings: ExecuteSettings, workers: int, per_gpu: int = 1, assignments: Sequence[Assignment] = ()
) -> ProcessPoolExecutor:
    """A pool of `workers` grading processes, each with its GPU (or none) and its kernel supply
    (`worker_supply()` inside a task), which import what `assignments`' specs need before their first task."""
    # spawn: a clean interpreter per worker (no inherited threads or sockets); pytest runs in each
    context = multiprocessing.get_context("spawn")
    devices = context.Queue()
    for device in gpu_assignments(visible_gpus(), per_gpu, workers):
        devices.put(device)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(settings, devices, list(assignments)))


def worker_supply() -> KernelSupply | None:
    """The kernel supply of this worker process (None outside a pool's worker)."""
    return _worker_supply


_worker_supply: KernelSupply | None = None


def _start_worker(settings: ExecuteSettings, devices: Any, assignments: list[Assignment] | None = None) -> None:
    """In each worker process: its GPU (or none), a kernel supply that launches the next kernel
    while one is graded, and the specs' imports done while its first kernel boots."""
    global _worker_supply
    _die_with_parent()
    device = devices.get()
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device  # inherited by this worker's kernels
    _worker_supply = KernelSupply(settings)  # the template's imports start now, in its own process
    atexit.register(_worker_supply.close)
    _import_spec_dependencies(_worker_supply, assignments or [])


def _import_spec_dependencies(supply: KernelSupply, assignments: list[Assignment]) -> None:
    """The grader's first-use imports (what the specs import), done before the first submission while the
    supply's template boots, so that neither waits for the other (without a template nothing boots meanwhile)."""
    if supply.template is None:
        return
    for assignment in assignments:
        try:
            import_spec_dependencies(assignment)
        except Exception:  # a spec that cannot be collected fails its submissions' checks, where it is reported
            traceback.print_exc()


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
) -> Undrawn:
    return grade_undrawn(submission, assignments, settings, _worker_supply, assume=assume)


def _worker_result(
    future: Future[Undrawn], submission: Submission, assignments: list[Assignment], settings: ExecuteSettings, assume: bool = False
) -> Undrawn:
    try:
        return future.result()
    except Exception as exc:  # the worker process itself died: grade this one again, alone
        traceback.print_exc()
        undrawn = grade_undrawn(submission, assignments, settings, assume=assume)
        if undrawn.result.status == "grader-error":
            undrawn.result.message += f" (worker failed first: {type(exc).__name__})"
        return undrawn
