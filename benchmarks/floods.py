"""Time the two hostile floods through the real pipeline: time to grade and each probe request's latency.

    PYTHONPATH=. python benchmarks/floods.py [--probe-timeout 60] [--cell-timeout 300]

Grades tests/hostile/{control,print-flood-after-training,warning-flood-before-training}.ipynb
one at a time and prints, per notebook, its score, status, seconds and the latency of each request
after the notebook's cells (the first one is the request that used to wait behind the flood).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

from grader.core.settings import ExecuteSettings
from grader.execute.channel import LiveKernel
from grader.core.assignment import load_assignments
from grader.grade import grade_submission
from grader.intake.discover import submission_at

ROOT = Path(__file__).resolve().parent.parent
CASES = ["control", "print-flood-after-training", "warning-flood-before-training"]


def _timed_requests(latencies: list[tuple[str, float]]) -> Any:
    """LiveKernel.request, recording (method, seconds) of each call."""
    original = LiveKernel.request

    def request(self: LiveKernel, method: str, **arguments: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, method, **arguments)
        finally:
            latencies.append((method, time.perf_counter() - started))

    return request


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe-timeout", type=int, default=60)
    parser.add_argument("--cell-timeout", type=int, default=300)
    parser.add_argument("--cases", nargs="*", default=CASES)
    args = parser.parse_args()
    settings = dataclasses.replace(ExecuteSettings(), probe_timeout=args.probe_timeout, cell_timeout=args.cell_timeout)
    assignments = load_assignments(ROOT / "tests" / "fixtures" / "solutions")
    for case in args.cases:
        latencies: list[tuple[str, float]] = []
        LiveKernel.request = _timed_requests(latencies)  # type: ignore[method-assign]
        hostile = ROOT / "tests" / "hostile"
        started = time.perf_counter()
        result = grade_submission(submission_at(hostile, hostile / f"{case}.ipynb"), assignments, settings)
        seconds = time.perf_counter() - started
        after = latencies[1:]  # the first is the set-up before the cells
        print(f"{case}: {result.status} {result.score}/{result.max_score} in {seconds:.1f} s; "
              f"execute {result.execution.execute_seconds if result.execution else 0:.1f} s; {len(after)} requests")
        print("  first requests:", ", ".join(f"{m} {s:.3f}s" for m, s in after[:4]))
        print(f"  slowest: {max((s for _, s in after), default=0):.3f} s; total {sum(s for _, s in after):.2f} s")
        for check in (c for e in result.exercises for c in e.checks if c.points < c.max_points):
            print("  FAILED", check.id, check.message[:200])


if __name__ == "__main__":
    main()
