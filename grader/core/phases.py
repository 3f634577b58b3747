"""Where one submission's time went: the phases `result.json` records (grader/grade.py, grader/pipeline.py)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass
class Phases:
    """Where one submission's time went, in seconds, phase by phase (grader/grade.py, grader/pipeline.py).

    `read` … `other` happen in the worker one after the other and sum to the result's `seconds`
    (`other` is what no phase measured: making the result, a grader error). `drawing` and
    `record` come on top, off the worker's critical path: the figures are drawn in a background
    process, and the batch's own process records the result while the worker grades the next one.
    """

    read: float = 0.0  # reading and identifying the notebook, its locked cells
    kernel_wait: float = 0.0  # taking a kernel and waiting until it was ready (0 when it was ready ahead)
    setup: float = 0.0  # the notebook written for the kernel, the client connected, the set-up request
    execution: float = 0.0  # the student's cells, first to last
    checks: float = 0.0  # section alignment, the probes and the hidden checks (and `grade validate`'s public ones)
    digests: float = 0.0  # the objects' digests for the integrity stage
    figures: float = 0.0  # probing the kernel for the figures' data, the notes
    shutdown: float = 0.0  # the kernel shut down
    other: float = 0.0  # the rest of `seconds`
    drawing: float = 0.0  # matplotlib drawing the figures, in the background
    record: float = 0.0  # settling lateness, the gradebook and the review's flags, before result.json is written

    def worker_total(self) -> float:
        """The sum of the worker's phases: `seconds`, up to rounding."""
        return float(sum(getattr(self, name) for name in WORKER_PHASES))


# The phases that sum to a result's `seconds`, in the order they happen.
WORKER_PHASES: tuple[str, ...] = (
    "read", "kernel_wait", "setup", "execution", "checks", "digests", "figures", "shutdown", "other"
)
PHASES: tuple[str, ...] = (*WORKER_PHASES, "drawing", "record")


def phases_from_json(data: Any) -> Phases:
    """Stored phases; missing (an older result), an unknown name, or a value that is not a number, reads as 0."""
    if not isinstance(data, dict):
        return Phases()
    known = {f.name for f in fields(Phases)}
    return Phases(**{
        k: float(v) for k, v in data.items() if k in known and isinstance(v, (int, float)) and not isinstance(v, bool)
    })
